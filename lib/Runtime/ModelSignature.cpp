//===- ModelSignature.cpp - read a trm entry's shapes and weight table ----===//
#include "trm/Runtime/ModelSignature.h"
#include "trm/Builder/ModelBuilder.h"
#include "trm/Conversion/TRMToLinalg/TRMToLinalg.h"
#include "trm/Import/Tensor.h"
#include "trm/Pipelines/Pipelines.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/xxhash.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::trm;

static llvm::Error error(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::Expected<ModelSignature>
ModelSignature::fromModule(ModuleOp module, llvm::StringRef entry) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func)
    return error("module has no function @" + entry);
  FunctionType type = func.getFunctionType();
  auto tensorShape = [&](Type t) -> ArrayRef<int64_t> {
    auto ranked = dyn_cast<RankedTensorType>(t);
    return ranked ? ranked.getShape() : ArrayRef<int64_t>();
  };
  auto shapeError = [&] {
    return error("@" + entry +
                 " does not have the trm entry signature (tokens [B,S] i32, "
                 "puzzle ids [B] i32, sample count [1] i32) -> (predictions "
                 "[B,S] i32, logits [B,S,V] f32, q logits [B,K,2] f32, steps "
                 "[B] i32, step predictions [B,K,S] i32, network calls [1] "
                 "i32)");
  };
  if (type.getNumInputs() != 3 || type.getNumResults() != 6 ||
      tensorShape(type.getInput(0)).size() != 2 ||
      tensorShape(type.getResult(1)).size() != 3 ||
      tensorShape(type.getResult(2)).size() != 3)
    return shapeError();
  ModelSignature sig;
  sig.entry = entry.str();
  sig.batch = tensorShape(type.getInput(0))[0];
  sig.seqLen = tensorShape(type.getInput(0))[1];
  sig.vocab = tensorShape(type.getResult(1))[2];
  sig.maxSteps = tensorShape(type.getResult(2))[1];
  const int64_t b = sig.batch, s = sig.seqLen, v = sig.vocab,
                k = sig.maxSteps;
  // The runtime passes host buffers of exactly these types: anything else
  // (an i64 token tensor, say) would be read or written out of bounds.
  Builder builder(module.getContext());
  Type i32 = builder.getI32Type(), f32 = builder.getF32Type();
  auto expected = [&](ArrayRef<int64_t> shape, Type elt) -> Type {
    return RankedTensorType::get(shape, elt);
  };
  const Type inputs[] = {expected({b, s}, i32), expected({b}, i32),
                         expected({1}, i32)};
  const Type results[] = {expected({b, s}, i32),    expected({b, s, v}, f32),
                          expected({b, k, 2}, f32), expected({b}, i32),
                          expected({b, k, s}, i32), expected({1}, i32)};
  static const char *const inputNames[] = {"tokens", "puzzle ids",
                                           "sample count"};
  static const char *const resultNames[] = {
      "predictions", "logits", "q logits", "steps", "step predictions",
      "network calls"};
  for (auto [i, t] : llvm::enumerate(inputs))
    if (type.getInput(i) != t)
      return error(llvm::formatv("@{0} argument {1} ({2}) must be {3}, got {4}",
                                 entry, i, inputNames[i], t, type.getInput(i))
                       .str());
  for (auto [i, t] : llvm::enumerate(results))
    if (type.getResult(i) != t)
      return error(llvm::formatv("@{0} result {1} ({2}) must be {3}, got {4}",
                                 entry, i, resultNames[i], t,
                                 type.getResult(i))
                       .str());
  if (b < 1 || s < 1 || v < 1 || k < 1)
    return shapeError();
  auto config = module->getAttrOfType<DictionaryAttr>(kConfigAttrName);
  if (!config)
    return error("module has no trm.config attribute");
  auto intField = [&](StringRef name) -> int64_t {
    auto attr = config.getAs<IntegerAttr>(name);
    return attr ? attr.getInt() : 0;
  };
  // Puzzle ids index the embedding table, so its rows bound them, whatever
  // the trm.config attribute says.
  func.walk([&](WeightOp weight) {
    if (weight.getKey() == kPuzzleEmbeddingKey)
      sig.numPuzzleIds = weight.getType().getDimSize(0);
  });
  sig.hCycles = intField("H_cycles");
  sig.lCycles = intField("L_cycles");
  return sig;
}

llvm::Error ModelSignature::readWeightTable(ModuleOp module) {
  Operation *func = SymbolTable::lookupSymbolIn(module, entry);
  if (!func)
    return error("lowered module has no @" + entry);
  auto table = func->getAttrOfType<ArrayAttr>(kWeightTableAttrName);
  if (!table)
    return error("@" + entry + " has no " + kWeightTableAttrName +
                 " (was trm-bind-weights run?)");
  weightTable.clear();
  packedSize = 0;
  // Entries come from a file when the module is an artifact: every field is
  // checked, and sizes are overflow-checked, before the runtime sizes a
  // buffer or an offset from them.
  constexpr int64_t kMaxPackedElements = int64_t(1) << 40;
  for (auto [i, a] : llvm::enumerate(table)) {
    auto entryError = [&, i = i](const llvm::Twine &msg) {
      return error(llvm::formatv("{0} entry {1}: {2}", kWeightTableAttrName, i,
                                 msg.str())
                       .str());
    };
    auto dict = dyn_cast<DictionaryAttr>(a);
    auto key = dict ? dict.getAs<StringAttr>("key") : StringAttr();
    auto offset = dict ? dict.getAs<IntegerAttr>("offset") : IntegerAttr();
    auto shape = dict ? dict.getAs<DenseI64ArrayAttr>("shape")
                      : DenseI64ArrayAttr();
    if (!key || key.getValue().empty() || !offset || !shape)
      return entryError("needs a key, an offset and a shape");
    PackedWeight w;
    w.key = key.str();
    w.offset = offset.getInt();
    w.shape.assign(shape.asArrayRef().begin(), shape.asArrayRef().end());
    int64_t elements = 1;
    for (int64_t d : w.shape) {
      if (d < 0 || (d > 0 && elements > kMaxPackedElements / d))
        return entryError("'" + w.key + "' has a bad shape");
      elements *= d;
    }
    if (w.offset < 0 || w.offset > kMaxPackedElements - elements)
      return entryError(llvm::formatv("'{0}' has a bad offset {1}", w.key,
                                      w.offset));
    if (auto rows = dict.getAs<IntegerAttr>("streamed_rows")) {
      w.streamedRows = rows.getInt();
      if (w.streamedRows < 1 || w.shape.size() != 2 || w.shape[0] != batch)
        return entryError(llvm::formatv(
            "'{0}' is streamed from {1} rows into {2}: a streamed table "
            "needs at least one row and one slot per batch row ({3})",
            w.key, w.streamedRows, formatShape(w.shape), batch));
    }
    packedSize = std::max(packedSize, w.offset + elements);
    if (w.streamedRows)
      numPuzzleIds = w.streamedRows;
    else if (w.key == kPuzzleEmbeddingKey && !w.shape.empty())
      numPuzzleIds = w.shape[0];
    weightTable.push_back(std::move(w));
  }
  return llvm::Error::success();
}

std::string ModelSignature::artifactKey(llvm::StringRef device,
                                        const VulkanCodegenOptions &vulkan) {
  // A lowered module is only valid for the pipeline and the LLVM that made
  // it, and for the runtime calling convention (bump kRuntimeAbi when the
  // argument layout in CpuExecutable::run changes).
  constexpr int kRuntimeAbi = 2;
  std::string pipeline = device == "vulkan"
                             ? getTRMToVulkanPipelineText(vulkan)
                             : getTRMToLLVMPipelineText();
  std::string basis =
      pipeline + "|" LLVM_VERSION_STRING "|" + std::to_string(kRuntimeAbi);
  return "trm-" + device.str() + "-" +
         llvm::utohexstr(llvm::xxh3_64bits(basis));
}

void ModelSignature::writeArtifactAttr(ModuleOp lowered, llvm::StringRef policy,
                                       llvm::StringRef device,
                                       const VulkanCodegenOptions &vulkan) const {
  Builder b(lowered.getContext());
  NamedAttrList fields;
  fields.append("key", b.getStringAttr(artifactKey(device, vulkan)));
  fields.append("device", b.getStringAttr(device));
  fields.append("f16", b.getBoolAttr(vulkan.f16));
  if (device == "vulkan")
    fields.append("device_kind", b.getStringAttr(stringifyVulkanDeviceKind(
                                     vulkan.deviceKind)));
  fields.append("entry", b.getStringAttr(entry));
  fields.append("policy", b.getStringAttr(policy));
  fields.append("batch", b.getI64IntegerAttr(batch));
  fields.append("seq_len", b.getI64IntegerAttr(seqLen));
  fields.append("vocab_size", b.getI64IntegerAttr(vocab));
  fields.append("max_steps", b.getI64IntegerAttr(maxSteps));
  fields.append("num_puzzle_identifiers", b.getI64IntegerAttr(numPuzzleIds));
  fields.append("H_cycles", b.getI64IntegerAttr(hCycles));
  fields.append("L_cycles", b.getI64IntegerAttr(lCycles));
  if (device == "cpu") {
    fields.append("target_cpu", b.getStringAttr(targetCpu));
    fields.append("target_features", b.getStringAttr(targetFeatures));
  }
  lowered->setAttr(kArtifactAttrName,
                   fields.getDictionary(lowered.getContext()));
}

llvm::Expected<ModelSignature>
ModelSignature::fromArtifact(ModuleOp module, llvm::StringRef path,
                             std::string &policy, std::string &device,
                             VulkanCodegenOptions &vulkan) {
  auto dict = module->getAttrOfType<DictionaryAttr>(kArtifactAttrName);
  if (!dict)
    return error(path + ": not a compiled trm artifact");
  auto str = [&](StringRef name) -> std::string {
    auto a = dict.getAs<StringAttr>(name);
    return a ? a.str() : std::string();
  };
  auto num = [&](StringRef name) -> int64_t {
    auto a = dict.getAs<IntegerAttr>(name);
    return a ? a.getInt() : 0;
  };
  device = str("device");
  if (device != "cpu" && device != "vulkan")
    return error(path + ": artifact names no device (cpu or vulkan)");
  auto f16Attr = dict.getAs<BoolAttr>("f16");
  vulkan.f16 = f16Attr && f16Attr.getValue();
  if (device == "vulkan") {
    std::optional<VulkanDeviceKind> kind =
        parseVulkanDeviceKind(str("device_kind"));
    if (!kind)
      return error(path + ": artifact field 'device_kind' must be gpu or "
                   "cpu, not '" + str("device_kind") + "'");
    vulkan.deviceKind = *kind;
  }
  if (str("key") != artifactKey(device, vulkan))
    return error(path + ": stale artifact (key " + str("key") +
                 ", this trm-run expects " + artifactKey(device, vulkan) +
                 "); compile it again with --compile-only");
  ModelSignature sig;
  sig.entry = str("entry");
  sig.batch = num("batch");
  sig.seqLen = num("seq_len");
  sig.vocab = num("vocab_size");
  sig.maxSteps = num("max_steps");
  sig.hCycles = num("H_cycles");
  sig.lCycles = num("L_cycles");
  sig.targetCpu = str("target_cpu");
  sig.targetFeatures = str("target_features");
  policy = str("policy");
  for (auto [field, value] :
       {std::pair<const char *, int64_t>{"batch", sig.batch},
        {"seq_len", sig.seqLen},
        {"vocab_size", sig.vocab},
        {"max_steps", sig.maxSteps},
        {"H_cycles", sig.hCycles},
        {"L_cycles", sig.lCycles}})
    if (value < 1 || value > (int64_t(1) << 24))
      return error(llvm::formatv("{0}: artifact field '{1}' must be in [1, "
                                 "2^24], got {2}",
                                 path, field, value)
                       .str());
  if (sig.entry.empty())
    return error(path + ": artifact field 'entry' is missing");
  // The table's shapes, not the recorded num_puzzle_identifiers, bound the
  // puzzle ids.
  if (llvm::Error err = sig.readWeightTable(module))
    return error(path + ": " + llvm::toString(std::move(err)));
  return sig;
}

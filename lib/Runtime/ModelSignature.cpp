//===- ModelSignature.cpp - read a trm entry's shapes and weight table ----===//
#include "trm/Runtime/ModelSignature.h"
#include "trm/Builder/ModelBuilder.h"
#include "trm/Conversion/TRMToLinalg/TRMToLinalg.h"

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
  if (type.getNumInputs() != 2 || type.getNumResults() != 5 ||
      tensorShape(type.getInput(0)).size() != 2 ||
      tensorShape(type.getResult(1)).size() != 3 ||
      tensorShape(type.getResult(2)).size() != 3)
    return error("@" + entry +
                 " does not have the trm entry signature (tokens, puzzle ids)"
                 " -> (predictions, logits, q logits, steps, step "
                 "predictions)");
  ModelSignature sig;
  sig.entry = entry.str();
  sig.batch = tensorShape(type.getInput(0))[0];
  sig.seqLen = tensorShape(type.getInput(0))[1];
  sig.vocab = tensorShape(type.getResult(1))[2];
  sig.maxSteps = tensorShape(type.getResult(2))[1];
  auto config = module->getAttrOfType<DictionaryAttr>(kConfigAttrName);
  if (!config)
    return error("module has no trm.config attribute");
  auto intField = [&](StringRef name) -> int64_t {
    auto attr = config.getAs<IntegerAttr>(name);
    return attr ? attr.getInt() : 0;
  };
  if (intField("puzzle_emb_ndim") > 0)
    sig.numPuzzleIds = intField("num_puzzle_identifiers");
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
  for (Attribute a : table) {
    auto dict = cast<DictionaryAttr>(a);
    PackedWeight w;
    w.key = dict.getAs<StringAttr>("key").str();
    w.offset = dict.getAs<IntegerAttr>("offset").getInt();
    auto shape = dict.getAs<DenseI64ArrayAttr>("shape");
    w.shape.assign(shape.asArrayRef().begin(), shape.asArrayRef().end());
    packedSize = std::max(packedSize, w.offset + w.numElements());
    weightTable.push_back(std::move(w));
  }
  return llvm::Error::success();
}

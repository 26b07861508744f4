//===- artifact_fuzzer.cpp - compiled artifacts as trm-run loads them -----===//
//
// The bytes go where trm-run's file goes: the checksum check of an artifact
// file, the MLIR parser, then the signature and weight-table checks, which
// text modules reach without a checksum (trm-run refuses them after these
// checks; here mutations of the text seed reach them). Bytecode that is not
// a verified artifact stops before MLIR's bytecode reader, which upstream's
// mlir-parser-fuzzer covers, and whose fatal errors trm-run reports as
// errors. Any input is an error or a signature whose sizes the runtime can
// allocate from.
//
// Built with the project (it needs MLIR) by scripts/sanitize.sh, not by
// fuzz/CMakeLists.txt.
//
//===----------------------------------------------------------------------===//
#include "trm/Runtime/ArtifactFile.h"
#include "trm/Runtime/ModelSignature.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::trm;

static MLIRContext &fuzzContext() {
  static MLIRContext *context = [] {
    DialectRegistry registry;
    registry.insert<func::FuncDialect, LLVM::LLVMDialect>();
    auto *c = new MLIRContext(registry, MLIRContext::Threading::DISABLED);
    c->loadAllAvailableDialects();
    // Parse errors are expected; they are not printed.
    c->getDiagEngine().registerHandler([](Diagnostic &) {});
    return c;
  }();
  return *context;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto kind = checkModelFile(bytes, "fuzz");
  if (!kind) {
    llvm::consumeError(kind.takeError());
    return 0; // refused before parsing, as in trm-run
  }
  if (*kind == ModelFileKind::Bytecode)
    return 0;
  // NUL-terminated, as the MemoryBuffer of a file trm-run reads is (MLIR's
  // lexer relies on it).
  const std::string text = bytes.str();
  ParserConfig config(&fuzzContext());
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(llvm::StringRef(text), config);
  if (!module)
    return 0;
  std::string policy, device;
  VulkanCodegenOptions vulkan;
  auto sig = ModelSignature::fromArtifact(*module, "fuzz", policy, device,
                                          vulkan);
  if (!sig) {
    llvm::consumeError(sig.takeError());
    return 0;
  }
  // What the runtime sizes its buffers and the packed weights from.
  for (int64_t v : {sig->batch, sig->seqLen, sig->vocab, sig->maxSteps,
                    sig->hCycles, sig->lCycles})
    if (v < 1 || v > (int64_t(1) << 24))
      abort();
  if (sig->packedSize < 0 || sig->packedSize > (int64_t(1) << 40))
    abort();
  for (const PackedWeight &w : sig->weightTable)
    if (w.offset < 0 || w.offset > sig->packedSize || w.key.empty())
      abort();
  if (device != "cpu" && device != "vulkan")
    abort();
  return 0;
}

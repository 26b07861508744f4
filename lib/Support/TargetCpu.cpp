//===- TargetCpu.cpp - CPU names LLVM knows -------------------------------===//
#include "trm/Support/TargetCpu.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FormatVariadic.h"

#include <memory>

llvm::Error mlir::trm::checkTargetCpuName(const llvm::Triple &triple,
                                          llvm::StringRef cpu) {
  std::string lookupError;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target ? target->createMCSubtargetInfo(triple, "", "") : nullptr);
  if (generic && generic->isCPUStringValid(cpu))
    return llvm::Error::success();
  return llvm::createStringError(
      llvm::formatv("target CPU '{0}' is not one LLVM knows for {1} "
                    "(llc -mtriple={1} -mcpu=help lists them)",
                    cpu, triple.str())
          .str());
}

//===- Version.cpp - what --version prints ---------------------------------===//
#include "trm/Support/Version.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

#include <string>
#include <vector>

llvm::StringRef mlir::trm::getVersionString() {
  return TRM_VERSION " (git " TRM_GIT_REVISION ")";
}

void mlir::trm::printVersion(llvm::raw_ostream &os) {
  llvm::InitializeAllTargetInfos();
  std::vector<std::string> targets;
  for (const llvm::Target &target : llvm::TargetRegistry::targets())
    targets.push_back(target.getName());
  llvm::sort(targets);
  os << "trm-mlir " TRM_VERSION " (git " TRM_GIT_REVISION ")\n"
     << "  LLVM and MLIR " LLVM_VERSION_STRING "\n"
     << "  host: " << llvm::sys::getDefaultTargetTriple() << ", CPU "
     << llvm::sys::getHostCPUName() << "\n"
     << "  devices: cpu (LLVM JIT), vulkan (SPIR-V 1.3 kernels)\n"
     << "  LLVM targets: " << llvm::join(targets, " ") << "\n";
}

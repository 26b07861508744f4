//===- HostCpu.h - can this CPU run an artifact's code? -----------*- C++ -*-===//
#ifndef TRM_RUNTIME_SRC_HOSTCPU_H
#define TRM_RUNTIME_SRC_HOSTCPU_H

#include <string>
#include <vector>

namespace trm::rt {
/// The architecture of this runtime's build, as a target triple starts
/// ("x86_64", "aarch64").
const char *hostArchitecture();

/// Of the instruction-set features `required` (LLVM's names, as trm-compile
/// records the code's), those this CPU lacks. Features the runtime cannot
/// test are assumed present; the ones that change what instructions code may
/// contain (the SIMD extensions) are all testable.
std::vector<std::string>
missingCpuFeatures(const std::vector<std::string> &required);
} // namespace trm::rt

#endif

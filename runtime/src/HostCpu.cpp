//===- HostCpu.cpp - can this CPU run an artifact's code? -----------------===//
#include "HostCpu.h"

#include <cstring>

#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

using namespace trm::rt;

const char *trm::rt::hostArchitecture() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "unknown";
#endif
}

namespace {
struct Feature {
  const char *name;
  bool (*present)();
};
} // namespace

#if defined(__x86_64__)
// __builtin_cpu_supports takes literals only: one function per feature.
#define TRM_X86(name, builtin)                                                 \
  {name, [] { return __builtin_cpu_supports(builtin) != 0; }}
static const Feature kFeatures[] = {
    TRM_X86("sse3", "sse3"),
    TRM_X86("ssse3", "ssse3"),
    TRM_X86("sse4.1", "sse4.1"),
    TRM_X86("sse4.2", "sse4.2"),
    TRM_X86("popcnt", "popcnt"),
    TRM_X86("avx", "avx"),
    TRM_X86("avx2", "avx2"),
    TRM_X86("fma", "fma"),
    TRM_X86("f16c", "f16c"),
    TRM_X86("bmi", "bmi"),
    TRM_X86("bmi2", "bmi2"),
    TRM_X86("avx512f", "avx512f"),
    TRM_X86("avx512bw", "avx512bw"),
    TRM_X86("avx512cd", "avx512cd"),
    TRM_X86("avx512dq", "avx512dq"),
    TRM_X86("avx512vl", "avx512vl"),
    TRM_X86("avx512ifma", "avx512ifma"),
    TRM_X86("avx512vbmi", "avx512vbmi"),
    TRM_X86("avx512vbmi2", "avx512vbmi2"),
    TRM_X86("avx512vnni", "avx512vnni"),
    TRM_X86("avx512bitalg", "avx512bitalg"),
    TRM_X86("avx512vpopcntdq", "avx512vpopcntdq"),
    TRM_X86("avx512bf16", "avx512bf16"),
    TRM_X86("avx512fp16", "avx512fp16"),
    TRM_X86("avxvnni", "avxvnni"),
    TRM_X86("gfni", "gfni"),
    TRM_X86("vaes", "vaes"),
    TRM_X86("vpclmulqdq", "vpclmulqdq"),
};
#undef TRM_X86
#elif defined(__aarch64__)
#define TRM_HWCAP(name, word, bit)                                             \
  {name, [] { return (getauxval(word) & (bit)) != 0; }}
static const Feature kFeatures[] = {
    TRM_HWCAP("fp-armv8", AT_HWCAP, HWCAP_FP),
    TRM_HWCAP("neon", AT_HWCAP, HWCAP_ASIMD),
    TRM_HWCAP("fullfp16", AT_HWCAP, HWCAP_ASIMDHP),
    TRM_HWCAP("dotprod", AT_HWCAP, HWCAP_ASIMDDP),
    TRM_HWCAP("sve", AT_HWCAP, HWCAP_SVE),
    TRM_HWCAP("sve2", AT_HWCAP2, HWCAP2_SVE2),
    TRM_HWCAP("bf16", AT_HWCAP2, HWCAP2_BF16),
    TRM_HWCAP("i8mm", AT_HWCAP2, HWCAP2_I8MM),
};
#undef TRM_HWCAP
#else
static const Feature kFeatures[] = {{"", nullptr}};
#endif

std::vector<std::string>
trm::rt::missingCpuFeatures(const std::vector<std::string> &required) {
  std::vector<std::string> missing;
  for (const std::string &name : required)
    for (const Feature &f : kFeatures)
      if (f.present && name == f.name && !f.present())
        missing.push_back(name);
  return missing;
}

// cpu.cpp — pick the micro-kernel family once from CPUID (+ XGETBV) and MLBASICS_CPU.
#include "mlbasics/cpu.hpp"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "cpu_internal.hpp"

#if defined(__x86_64__) || defined(_M_X64)
#if defined(__GNUC__) || defined(__clang__)
#include <cpuid.h>
#define MLBASICS_CPUID_GNU 1
#elif defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#define MLBASICS_CPUID_MSVC 1
#endif
#endif

namespace mlbasics {
namespace detail {

bool cpu_has_avx2_fma() {
#if defined(MLBASICS_CPUID_GNU)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool fma = (ecx & (1u << 12)) != 0;
  const bool osxsave = (ecx & (1u << 27)) != 0;
  const bool avx = (ecx & (1u << 28)) != 0;
  if (!(fma && osxsave && avx)) return false;
  // XGETBV(0): the OS must save XMM (bit 1) and YMM (bit 2) state on context switches.
  unsigned xlo = 0, xhi = 0;
  __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
  if ((xlo & 0x6u) != 0x6u) return false;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  return (ebx & (1u << 5)) != 0;  // AVX2
#elif defined(MLBASICS_CPUID_MSVC)
  int r[4];
  __cpuid(r, 1);
  const bool fma = (r[2] & (1 << 12)) != 0;
  const bool osxsave = (r[2] & (1 << 27)) != 0;
  const bool avx = (r[2] & (1 << 28)) != 0;
  if (!(fma && osxsave && avx)) return false;
  if ((_xgetbv(0) & 0x6u) != 0x6u) return false;
  __cpuid(r, 0);
  if (r[0] < 7) return false;
  __cpuidex(r, 7, 0);
  return (r[1] & (1 << 5)) != 0;
#else
  return false;
#endif
}

bool avx2_kernels_available() {
#if defined(MLBASICS_HAVE_AVX2_TU)
  static const bool ok = cpu_has_avx2_fma();
  return ok;
#else
  return false;
#endif
}

const char* resolve_cpu_path(const char* env, bool avx2_available) {
  if (env == nullptr || *env == '\0') return avx2_available ? "avx2" : "generic";
  if (std::strcmp(env, "generic") == 0) return "generic";
  if (std::strcmp(env, "avx2") == 0) {
    if (!avx2_available) throw std::invalid_argument("MLBASICS_CPU: 'avx2' requested but this CPU/build has no AVX2+FMA");
    return "avx2";
  }
  throw std::invalid_argument(std::string("MLBASICS_CPU: expected 'generic' or 'avx2' (or unset), got '") + env + "'");
}

bool KernelPathSwitch::avx2() {
  int p = path_.load(std::memory_order_acquire);
  if (p == kUnset) {
    // cpu_path() throws (and nothing is stored) while MLBASICS_CPU is invalid, so no kernel of
    // this group runs on an unvalidated choice.
    p = (std::strcmp(cpu_path(), "avx2") == 0 && avx2_kernels_available()) ? kAvx2 : kGeneric;
    path_.store(p, std::memory_order_release);
  }
  return p == kAvx2;
}

bool KernelPathSwitch::force(const char* name) {
  int p = kUnset;
  if (name == nullptr) p = kUnset;
  else if (std::strcmp(name, "generic") == 0) p = kGeneric;
  else if (std::strcmp(name, "avx2") == 0 && avx2_kernels_available()) p = kAvx2;
  else return false;
  path_.store(p, std::memory_order_release);
  return true;
}

}  // namespace detail

const char* cpu_path() {
  // Function-local static: initialised exactly once, thread-safe (C++11 "magic statics"). If the
  // initialiser throws (invalid MLBASICS_CPU), nothing is stored and the next call throws again.
  static const char* const path = detail::resolve_cpu_path(std::getenv("MLBASICS_CPU"),
                                                           detail::avx2_kernels_available());
  return path;
}

}  // namespace mlbasics

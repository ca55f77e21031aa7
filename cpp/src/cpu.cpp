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
namespace {

// Whether an AVX-512 machine runs the avx512 family by default (MLBASICS_CPU unset); either way
// MLBASICS_CPU=avx512 selects it. Measured on AMD Zen 5 (2026-12-01, 1 thread): GEMM 1.6–2.0× the
// AVX2 family (1024³, 256³, the dense-layer shapes, float32 and float64; see gemm_avx512.cpp),
// optimizer steps 1.1–1.8× in cache and equal when memory-bound. Zen 4, which splits 512-bit
// operations in two 256-bit halves, was not available to measure.
constexpr bool kAvx512ByDefault = true;

}  // namespace

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

bool cpu_has_avx512() {
  if (!cpu_has_avx2_fma()) return false;  // also checks OSXSAVE, CPUID leaf 7 exists
#if defined(MLBASICS_CPUID_GNU)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  // AVX512F (bit 16), AVX512DQ (17), AVX512BW (30), AVX512VL (31)
  const unsigned want = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
  if ((ebx & want) != want) return false;
  // XGETBV(0): XMM (bit 1), YMM (2), opmask (5), ZMM_Hi256 (6) and Hi16_ZMM (7) state saved by the OS.
  unsigned xlo = 0, xhi = 0;
  __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
  return (xlo & 0xE6u) == 0xE6u;
#elif defined(MLBASICS_CPUID_MSVC)
  int r[4];
  __cpuidex(r, 7, 0);
  const unsigned ebx = static_cast<unsigned>(r[1]);
  const unsigned want = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
  if ((ebx & want) != want) return false;
  return (_xgetbv(0) & 0xE6u) == 0xE6u;
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

bool avx512_kernels_available() {
#if defined(MLBASICS_HAVE_AVX2_TU) && defined(MLBASICS_HAVE_AVX512_TU)
  static const bool ok = cpu_has_avx512();
  return ok;
#else
  return false;
#endif
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "generic";
  }
}

bool isa_available(Isa isa) {
  switch (isa) {
    case Isa::avx512: return avx512_kernels_available();
    case Isa::avx2: return avx2_kernels_available();
    default: return true;
  }
}

Isa default_isa(bool avx2_available, bool avx512_available) {
  // AVX-512 first where it is measured faster: see kAvx512ByDefault.
  if (avx512_available && kAvx512ByDefault) return Isa::avx512;
  if (avx2_available) return Isa::avx2;
  if (avx512_available) return Isa::avx512;
  return Isa::generic;
}

const char* resolve_cpu_path(const char* env, bool avx2_available, bool avx512_available) {
  if (env == nullptr || *env == '\0') return isa_name(default_isa(avx2_available, avx512_available));
  if (std::strcmp(env, "generic") == 0) return "generic";
  if (std::strcmp(env, "avx2") == 0) {
    if (!avx2_available) throw std::invalid_argument("MLBASICS_CPU: 'avx2' requested but this CPU/build has no AVX2+FMA");
    return "avx2";
  }
  if (std::strcmp(env, "avx512") == 0) {
    if (!avx512_available)
      throw std::invalid_argument(
          "MLBASICS_CPU: 'avx512' requested but this CPU/build has no AVX-512 (F, DQ, BW, VL with OS support for zmm "
          "state)");
    return "avx512";
  }
  throw std::invalid_argument(std::string("MLBASICS_CPU: expected 'generic', 'avx2' or 'avx512' (or unset), got '") +
                              env + "'");
}

Isa KernelPathSwitch::isa() {
  int p = path_.load(std::memory_order_acquire);
  if (p == kUnset) {
    // cpu_path() throws (and nothing is stored) while MLBASICS_CPU is invalid, so no kernel of
    // this group runs on an unvalidated choice.
    const char* path = cpu_path();
    Isa isa = Isa::generic;
    if (std::strcmp(path, "avx512") == 0 && avx512_kernels_available()) isa = Isa::avx512;
    else if (std::strcmp(path, "avx2") == 0 && avx2_kernels_available()) isa = Isa::avx2;
    p = static_cast<int>(isa);
    path_.store(p, std::memory_order_release);
  }
  return static_cast<Isa>(p);
}

bool KernelPathSwitch::force(const char* name) {
  int p = kUnset;
  if (name == nullptr) p = kUnset;
  else if (std::strcmp(name, "generic") == 0) p = static_cast<int>(Isa::generic);
  else if (std::strcmp(name, "avx2") == 0 && avx2_kernels_available()) p = static_cast<int>(Isa::avx2);
  else if (std::strcmp(name, "avx512") == 0 && avx512_kernels_available()) p = static_cast<int>(Isa::avx512);
  else return false;
  path_.store(p, std::memory_order_release);
  return true;
}

}  // namespace detail

bool cpu_path_available(const char* name) {
  if (name == nullptr) return false;
  if (std::strcmp(name, "generic") == 0) return true;
  if (std::strcmp(name, "avx2") == 0) return detail::avx2_kernels_available();
  if (std::strcmp(name, "avx512") == 0) return detail::avx512_kernels_available();
  return false;
}

const char* cpu_path() {
  // Function-local static: initialised exactly once, thread-safe (C++11 "magic statics"). If the
  // initialiser throws (invalid MLBASICS_CPU), nothing is stored and the next call throws again.
  static const char* const path = detail::resolve_cpu_path(std::getenv("MLBASICS_CPU"),
                                                           detail::avx2_kernels_available(),
                                                           detail::avx512_kernels_available());
  return path;
}

}  // namespace mlbasics

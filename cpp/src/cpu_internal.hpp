// cpu_internal.hpp — CPU feature checks used by cpu.cpp and the kernel dispatch (internal).
#pragma once
#include <atomic>

namespace mlbasics {
namespace detail {

// The micro-kernel families, in order of preference on a CPU that has them all.
enum class Isa : int { generic = 0, avx2 = 1, avx512 = 2 };

// "generic", "avx2" or "avx512".
const char* isa_name(Isa isa);

// CPUID says AVX2 + FMA and XGETBV says the OS saves ymm state.
bool cpu_has_avx2_fma();

// cpu_has_avx2_fma(), and CPUID leaf 7 says AVX-512 F, DQ, BW and VL, and XGETBV says the OS saves
// the opmask registers and all of zmm0–31 (XCR0 bits 5, 6, 7, besides 1 and 2).
bool cpu_has_avx512();

// cpu_has_avx2_fma() and the AVX2 translation units were compiled in (x86-64 builds only).
bool avx2_kernels_available();

// cpu_has_avx512() and the AVX-512 translation units were compiled in (x86-64 builds whose
// compiler takes -mavx512f ...). Implies avx2_kernels_available().
bool avx512_kernels_available();

// Whether a family can run here: "generic" always, "avx2" and "avx512" as above, anything else
// never.
bool isa_available(Isa isa);

// The family chosen when MLBASICS_CPU is unset or empty, among the available ones (see cpu.cpp
// for the measurement behind the order).
Isa default_isa(bool avx2_available, bool avx512_available);

// The choice behind cpu_path(), as a pure function of MLBASICS_CPU's value (nullptr: unset) and
// what is available: unset or "" → default_isa(); "generic"; "avx2" or "avx512" (available);
// anything else, or a family that is not available here, throws std::invalid_argument with a
// message naming MLBASICS_CPU.
const char* resolve_cpu_path(const char* env, bool avx2_available, bool avx512_available);

// Which micro-kernel family one group of kernels (gemm, optim, distances) runs: cpu_path()
// unless forced. A group without kernels of its own for a family runs the best one it has below
// it, kernel by kernel (e.g. the distances group's neighbour filter has no AVX2 version: on the
// avx2 path it runs the portable scalar test).
class KernelPathSwitch {
 public:
  // The family in use. The first use resolves cpu_path(), so it throws std::invalid_argument
  // while MLBASICS_CPU is invalid.
  Isa isa();
  bool avx2() { return isa() == Isa::avx2; }
  bool avx512() { return isa() == Isa::avx512; }
  const char* name() { return isa_name(isa()); }
  // Force "generic", "avx2" or "avx512" (where available), or nullptr to go back to cpu_path().
  // Returns false (and changes nothing) for anything else. Not meant to be called while the
  // kernels run.
  bool force(const char* name);

 private:
  static constexpr int kUnset = -1;
  std::atomic<int> path_{kUnset};
};

}  // namespace detail
}  // namespace mlbasics

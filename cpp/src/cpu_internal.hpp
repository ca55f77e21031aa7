// cpu_internal.hpp — CPU feature checks used by cpu.cpp and the kernel dispatch (internal).
#pragma once
#include <atomic>

namespace mlbasics {
namespace detail {

// CPUID says AVX2 + FMA and XGETBV says the OS saves ymm state.
bool cpu_has_avx2_fma();

// cpu_has_avx2_fma() and the AVX2 translation unit was compiled in (x86-64 builds only).
bool avx2_kernels_available();

// The choice behind cpu_path(), as a pure function of MLBASICS_CPU's value (nullptr: unset) and
// avx2_kernels_available(): unset or "" → the best available; "generic"; "avx2" (available);
// anything else, or "avx2" where it is not available, throws std::invalid_argument with a
// message naming MLBASICS_CPU.
const char* resolve_cpu_path(const char* env, bool avx2_available);

// Which micro-kernel family one group of kernels (gemm, optim) runs: cpu_path() unless forced.
class KernelPathSwitch {
 public:
  // Whether the AVX2 family runs. The first use resolves cpu_path(), so it throws
  // std::invalid_argument while MLBASICS_CPU is invalid.
  bool avx2();
  const char* name() { return avx2() ? "avx2" : "generic"; }
  // Force "generic", "avx2" (where available), or nullptr to go back to cpu_path(). Returns false
  // (and changes nothing) for anything else. Not meant to be called while the kernels run.
  bool force(const char* name);

 private:
  enum : int { kUnset = -1, kGeneric = 0, kAvx2 = 1 };
  std::atomic<int> path_{kUnset};
};

}  // namespace detail
}  // namespace mlbasics

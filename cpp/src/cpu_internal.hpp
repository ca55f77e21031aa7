// cpu_internal.hpp — CPU feature checks used by cpu.cpp and the kernel dispatch (internal).
#pragma once

namespace mlbasics {
namespace detail {

// CPUID says AVX2 + FMA and XGETBV says the OS saves ymm state.
bool cpu_has_avx2_fma();

// cpu_has_avx2_fma() and the AVX2 translation unit was compiled in (x86-64 builds only).
bool avx2_kernels_available();

}  // namespace detail
}  // namespace mlbasics

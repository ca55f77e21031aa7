// mlbasics/cpu.hpp — which micro-kernel family runs on this CPU.
#pragma once

namespace mlbasics {

// "avx2" (AVX2 + FMA, with OS support for ymm state) or "generic" (portable C++).
// Chosen once, on first use, from CPUID; the environment variable MLBASICS_CPU forces a choice:
// unset or empty → the best available, "generic", or "avx2". Any other value, or "avx2" on a
// CPU/build without AVX2+FMA, throws std::invalid_argument (message naming MLBASICS_CPU) from
// this call and from every kernel that dispatches on it.
const char* cpu_path();

}  // namespace mlbasics

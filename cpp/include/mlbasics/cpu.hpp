// mlbasics/cpu.hpp — which micro-kernel family runs on this CPU.
#pragma once

namespace mlbasics {

// "avx2" (AVX2 + FMA, with OS support for ymm state) or "generic" (portable C++).
// Chosen once, on first use, from CPUID; the environment variable MLBASICS_CPU=generic|avx2
// forces a choice (asking for avx2 on a CPU without it falls back to generic).
const char* cpu_path();

}  // namespace mlbasics

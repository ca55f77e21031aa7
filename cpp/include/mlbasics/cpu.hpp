// mlbasics/cpu.hpp — which micro-kernel family runs on this CPU.
#pragma once

namespace mlbasics {

// "avx512" (AVX-512 F/DQ/BW/VL + AVX2/FMA, with OS support for zmm and opmask state), "avx2"
// (AVX2 + FMA, with OS support for ymm state) or "generic" (portable C++).
// Chosen once, on first use, from CPUID; the environment variable MLBASICS_CPU forces a choice:
// unset or empty → the default for this CPU (see detail::default_isa), "generic", "avx2" or
// "avx512". Any other value, or a family this CPU/build does not have, throws
// std::invalid_argument (message naming MLBASICS_CPU) from this call and from every kernel that
// dispatches on it.
const char* cpu_path();

// Whether MLBASICS_CPU=name would be accepted here ("generic" always; "avx2", "avx512" where
// the CPU and the build have them; false for anything else). Does not read MLBASICS_CPU.
bool cpu_path_available(const char* name);

}  // namespace mlbasics

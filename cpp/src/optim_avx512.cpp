// optim_avx512.cpp — the optimizer loops of optim_loops.hpp compiled with AVX-512 (F, DQ, BW, VL)
// and FMA, so they run 16 floats / 8 doubles per instruction (the CMake flags add
// -mprefer-vector-width=512: GCC would otherwise keep 256-bit vectors), with masked tails. Like
// gemm_avx512.cpp, only reached after cpu_path() has checked CPUID and XGETBV; x86-64 builds only.
#include "optim_loops.hpp"

MLB_OPTIM_DEFINE_TABLES(avx512)

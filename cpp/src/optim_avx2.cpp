// optim_avx2.cpp — the optimizer loops of optim_loops.hpp compiled with -mavx2 -mfma, so they run
// 8 floats / 4 doubles per instruction with FMA, vsqrtps and vdivps. Like gemm_avx2.cpp, only
// reached after cpu_path() has checked CPUID and XGETBV; x86-64 builds only.
#include "optim_loops.hpp"

MLB_OPTIM_DEFINE_TABLES(avx2)

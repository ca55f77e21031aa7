// mlp_rows_avx2.cpp — the fused MLP epoch's elementwise passes (mlp_rows_loops.hpp) compiled with
// AVX2 and FMA (8 floats / 4 doubles per instruction). Only reached after cpu_path() has checked
// CPUID and XGETBV; x86-64 builds only.
#include "mlp_rows_loops.hpp"

MLB_MLP_ROWS_DEFINE_TABLES(avx2)

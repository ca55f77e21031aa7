// mlp_rows_avx512.cpp — the fused MLP epoch's elementwise passes (mlp_rows_loops.hpp) compiled with
// AVX-512 (16 floats / 8 doubles per instruction, masked tails). Only reached after cpu_path()
// has checked CPUID and XGETBV; x86-64 builds whose compiler takes AVX-512 only.
#include "mlp_rows_loops.hpp"

MLB_MLP_ROWS_DEFINE_TABLES(avx512)

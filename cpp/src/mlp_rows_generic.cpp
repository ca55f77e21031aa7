// mlp_rows_generic.cpp — the fused MLP epoch's elementwise passes (mlp_rows_loops.hpp) compiled for
// the baseline ISA (SSE2 on x86-64): the "generic" path, and every non-x86 build.
#include "mlp_rows_loops.hpp"

MLB_MLP_ROWS_DEFINE_TABLES(generic)

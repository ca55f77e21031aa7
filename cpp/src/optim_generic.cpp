// optim_generic.cpp — the portable optimizer loops (plain C++; the compiler vectorizes them for
// the baseline ISA, e.g. SSE2 on x86-64, NEON on aarch64). Always compiled.
#include "optim_loops.hpp"

MLB_OPTIM_DEFINE_TABLES(generic)

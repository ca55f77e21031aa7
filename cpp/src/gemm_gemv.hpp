// gemm_gemv.hpp — the loops of the matrix-vector products (gemm_ex's path for C with one column,
// or up to kGemvCols when A's columns are contiguous; see the comment in gemm.cpp), included by
// every family's translation unit (gemm_generic.cpp, gemm_avx2.cpp, gemm_avx512.cpp) so that each
// context carries them vectorized for its ISA: in the portable SSE2 build, Xᵀ·[y − ȳ | 1] over a
// 1,000,000×100 float64 X took 94 ms at 1 thread, bound by its arithmetic, against ~35 ms for one
// read of X. Internal linkage, and no inline library template called (see optim_loops.hpp).
#pragma once
#include "gemm_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

constexpr index_t kGemvRows = 256;
constexpr index_t kGemvCols = 16;

// gemv_fn: C rows [i0, i1) (see gemm_kernels.hpp).
template <class T>
void gemv_rows(index_t i0, index_t i1, index_t nb, index_t k, const T* a, index_t rs_a, index_t cs_a, const T* b,
               index_t rs_b, index_t cs_b, T* c, index_t rs_c, index_t cs_c, bool accumulate) {
  if (rs_a == 1 && cs_a != 1) {
    T acc[kGemvCols][kGemvRows];
    for (index_t ib = i0; ib < i1; ib += kGemvRows) {
      const index_t len = (i1 - ib < kGemvRows ? i1 - ib : kGemvRows);
      for (index_t j = 0; j < nb; ++j)
        for (index_t i = 0; i < len; ++i) acc[j][i] = accumulate ? c[(ib + i) * rs_c + j * cs_c] : T(0);
      index_t p = 0;
      for (; p + 4 <= k; p += 4) {  // four columns of A per pass over acc, added in order p, p+1, …
        const T* a0 = a + ib + p * cs_a;
        const T* a1 = a0 + cs_a;
        const T* a2 = a1 + cs_a;
        const T* a3 = a2 + cs_a;
        for (index_t j = 0; j < nb; ++j) {
          const T* bj = b + p * rs_b + j * cs_b;
          const T b0 = bj[0], b1 = bj[rs_b], b2 = bj[2 * rs_b], b3 = bj[3 * rs_b];
          T* aj = acc[j];
          for (index_t i = 0; i < len; ++i) aj[i] = (((aj[i] + a0[i] * b0) + a1[i] * b1) + a2[i] * b2) + a3[i] * b3;
        }
      }
      for (; p < k; ++p) {
        const T* ap = a + ib + p * cs_a;
        for (index_t j = 0; j < nb; ++j) {
          const T bp = b[p * rs_b + j * cs_b];
          for (index_t i = 0; i < len; ++i) acc[j][i] += ap[i] * bp;
        }
      }
      for (index_t j = 0; j < nb; ++j)
        for (index_t i = 0; i < len; ++i) c[(ib + i) * rs_c + j * cs_c] = acc[j][i];
    }
    return;
  }
  constexpr int U = 8;  // partial sums, for the adder's latency (and SIMD when both are contiguous)
  for (index_t i = i0; i < i1; ++i) {  // nb == 1 here
    const T* ai = a + i * rs_a;
    T part[U] = {};
    index_t p = 0;
    if (cs_a == 1 && rs_b == 1) {
      for (; p + U <= k; p += U)
        for (int u = 0; u < U; ++u) part[u] += ai[p + u] * b[p + u];
    } else {
      for (; p + U <= k; p += U)
        for (int u = 0; u < U; ++u) part[u] += ai[(p + u) * cs_a] * b[(p + u) * rs_b];
    }
    for (int u = 0; p < k; ++p, ++u) part[u] += ai[p * cs_a] * b[p * rs_b];
    const T sum = ((part[0] + part[4]) + (part[2] + part[6])) + ((part[1] + part[5]) + (part[3] + part[7]));
    c[i * rs_c] = accumulate ? c[i * rs_c] + sum : sum;
  }
}

}  // namespace
}  // namespace detail
}  // namespace mlbasics

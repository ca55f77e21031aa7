// gemm_pack_cols.hpp — the packing of panels whose R elements per depth step are contiguous in
// memory (s_i == 1: the A and B panels of a Gram matrix xᵀx of a row-major x) minus a shift per
// element (gemm_ex's a_shift / b_shift: gram's shift; unshifted packs keep the driver's loops). Included
// by the per-ISA translation units (gemm_avx2.cpp, gemm_avx512.cpp), whose compiler flags
// vectorize the same loops for their ISA. The packing was half of a tall Gram matrix's time (1,000,000
// ×100 float64 at 1 thread on Zen 5: 34% of the samples in the driver's portable SSE2 loops, 31% in
// the micro-kernels); mostly waiting for x, which the driver's prefetch of the next depth block
// addresses (gemm.cpp); these loops took about a tenth off on their own. Internal linkage (the
// anonymous namespace): no instantiation compiled for one ISA can be shared with a TU of another.
#pragma once
#include "gemm_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

// Row by row of x (depth step p outer, panels inner): each step reads one contiguous run of len
// values, so that x streams through the cache in address order; panel by panel would stride
// through the kc rows once per panel (the first version: no faster than the SSE2 loops, as the
// time went to waiting for x).
template <int R, class T>
void pack_cols_panels(index_t len, index_t kc, const T* x, index_t s_p, const T* shift, T* dst) {
  const index_t full = len / R * R;  // columns in whole panels
  const index_t rows = len - full;   // of the last, partial panel
  // The row `ahead` rows on (~6 KB) is prefetched as this one is packed. The driver's prefetch
  // of the next depth block (gemm.cpp) covers only B larger than 8 MiB; a Gram product of a
  // block of rows (LinearRegression's and PCA's streamed co-moments: 4 MiB, just read by the
  // product with [y − ȳ | 1]) packed without it, waiting for x. 10⁶×100 float64 in 5,242-row
  // blocks, both products, 1 thread, Zen 5, C++ driver: 180–190 → 166–173 ms on the avx512 path,
  // 299–304 → 281–286 on avx2; the Gram product of the whole 10⁶×100 X: 160–164 → 141–142 ms.
  const index_t line = 64 / static_cast<index_t>(sizeof(T));
  const index_t ahead = (6 * 1024 / static_cast<index_t>(sizeof(T)) + len - 1) / len;
  for (index_t p = 0; p < kc; ++p) {
    const T* src = x + p * s_p;
    T* d = dst + p * R;
    if (p + ahead < kc)
      for (index_t off = 0; off < len; off += line) __builtin_prefetch(src + ahead * s_p + off, 0, 3);
    for (index_t ir = 0; ir < full; ir += R, d += R * kc)
      for (int i = 0; i < R; ++i) d[i] = src[ir + i] - shift[ir + i];
    if (rows > 0) {
      for (index_t i = 0; i < rows; ++i) d[i] = src[full + i] - shift[full + i];
      for (index_t i = rows; i < R; ++i) d[i] = T(0);
    }
  }
}

// pack_cols_fn: the panel heights of the shipped contexts; false (nothing written) for others.
template <class T>
bool pack_cols(int r, index_t len, index_t kc, const T* x, index_t s_p, const T* shift, T* dst) {
  switch (r) {
    case 6: pack_cols_panels<6>(len, kc, x, s_p, shift, dst); return true;
    case 8: pack_cols_panels<8>(len, kc, x, s_p, shift, dst); return true;
    case 16: pack_cols_panels<16>(len, kc, x, s_p, shift, dst); return true;
    case 24: pack_cols_panels<24>(len, kc, x, s_p, shift, dst); return true;
    case 48: pack_cols_panels<48>(len, kc, x, s_p, shift, dst); return true;
    default: return false;
  }
}

}  // namespace
}  // namespace detail
}  // namespace mlbasics

// sparse.cpp — CSR × dense products (see mlbasics/sparse.hpp). Portable C++: the loops are gathers
// and scatters bound by memory, and the inner loop over b's k columns vectorizes as it is.
#include "mlbasics/sparse.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "mlbasics/parallel.hpp"

namespace mlbasics {
namespace {

// Below this many multiply-adds a call runs on the calling thread.
constexpr index_t kParallelMin = index_t{1} << 15;
// Columns of b (of g) per pass: a row's sums for this many columns stay in registers.
constexpr index_t kCols = 16;

// Entries ahead whose row of b is prefetched: the gathers from a b larger than the caches are
// what the product waits for (measured 10-20% faster on 100,000 × 50,000, k = 10).
constexpr index_t kPrefetch = 8;

template <class T>
inline void prefetch(const T* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

// out[i, :K] = Σ_e data[e] b[indices[e], :K] for rows r0..r1 (b, out: K of their ld columns).
template <int K, class T, class I>
void rows_k(index_t r0, index_t r1, index_t ld, const T* data, const I* indices, const I* indptr, const T* b, T* out) {
  const index_t last = indptr[r1];
  for (index_t i = r0; i < r1; ++i) {
    T acc[K] = {};
    for (index_t e = indptr[i], end = indptr[i + 1]; e < end; ++e) {
      if (e + kPrefetch < last) prefetch(b + static_cast<index_t>(indices[e + kPrefetch]) * ld);
      const T v = data[e];
      const T* src = b + static_cast<index_t>(indices[e]) * ld;
      for (int q = 0; q < K; ++q) acc[q] += v * src[q];
    }
    T* row = out + i * ld;
    for (int q = 0; q < K; ++q) row[q] = acc[q];
  }
}

// out[j, :K] += data[e] g[i, :K] for the entries of every row i with c0 <= j = indices[e] < c1, in
// entry order.
template <int K, class T, class I>
void scatter_k(index_t n_rows, index_t c0, index_t c1, index_t ld, const T* data, const I* indices, const I* indptr,
               const T* g, T* out) {
  for (index_t i = 0; i < n_rows; ++i) {
    const index_t begin = indptr[i], end = indptr[i + 1];
    if (begin == end) continue;
    T gi[K];
    for (int q = 0; q < K; ++q) gi[q] = g[i * ld + q];
    for (index_t e = begin; e < end; ++e) {
      const index_t j = indices[e];
      if (j < c0 || j >= c1) continue;
      const T v = data[e];
      T* dst = out + j * ld;
      for (int q = 0; q < K; ++q) dst[q] += v * gi[q];
    }
  }
}

// f(std::integral_constant<int, K>) for K = kk in [1, kCols].
template <class F>
void with_cols(index_t kk, F&& f) {
  switch (kk) {
#define MLBASICS_CASE(K) case K: f(std::integral_constant<int, K>{}); break;
    MLBASICS_CASE(1) MLBASICS_CASE(2) MLBASICS_CASE(3) MLBASICS_CASE(4) MLBASICS_CASE(5) MLBASICS_CASE(6)
    MLBASICS_CASE(7) MLBASICS_CASE(8) MLBASICS_CASE(9) MLBASICS_CASE(10) MLBASICS_CASE(11) MLBASICS_CASE(12)
    MLBASICS_CASE(13) MLBASICS_CASE(14) MLBASICS_CASE(15) MLBASICS_CASE(16)
#undef MLBASICS_CASE
    default: break;
  }
}

template <class T, class I>
void rows(index_t r0, index_t r1, index_t k, const T* data, const I* indices, const I* indptr, const T* b, T* out) {
  for (index_t q0 = 0; q0 < k; q0 += kCols)
    with_cols(std::min(kCols, k - q0), [&](auto K) {
      rows_k<decltype(K)::value>(r0, r1, k, data, indices, indptr, b + q0, out + q0);
    });
}

template <class T, class I>
void scatter(index_t n_rows, index_t c0, index_t c1, index_t k, const T* data, const I* indices, const I* indptr,
             const T* g, T* out) {
  for (index_t q0 = 0; q0 < k; q0 += kCols)
    with_cols(std::min(kCols, k - q0), [&](auto K) {
      scatter_k<decltype(K)::value>(n_rows, c0, c1, k, data, indices, indptr, g + q0, out + q0);
    });
}

}  // namespace

template <class T, class I>
void csr_matmul(index_t n_rows, index_t k, const T* data, const I* indices, const I* indptr, const T* b, T* out) {
  if (n_rows <= 0 || k <= 0) return;
  const index_t lo = indptr[0], nnz = indptr[n_rows] - lo;
  const int threads = get_num_threads();
  if (threads <= 1 || n_rows < 2 || nnz * k < kParallelMin) {
    rows(0, n_rows, k, data, indices, indptr, b, out);
    return;
  }
  // Chunk c covers the rows whose entries start in the c-th share of [lo, lo + nnz): each chunk
  // has about the same number of entries. More chunks than threads absorbs uneven rows.
  const index_t chunks = std::min<index_t>(n_rows, 4 * static_cast<index_t>(threads));
  std::vector<index_t> bounds(static_cast<std::size_t>(chunks) + 1);
  bounds[0] = 0;
  bounds[static_cast<std::size_t>(chunks)] = n_rows;
  for (index_t c = 1; c < chunks; ++c) {
    const index_t target = lo + static_cast<index_t>((static_cast<long double>(nnz) * c) / chunks);
    const I* at = std::lower_bound(indptr, indptr + n_rows + 1, static_cast<I>(target));
    bounds[static_cast<std::size_t>(c)] = std::clamp<index_t>(at - indptr, bounds[static_cast<std::size_t>(c - 1)], n_rows);
  }
  parallel_for(chunks, 1, [&](std::ptrdiff_t c0, std::ptrdiff_t c1) {
    for (std::ptrdiff_t c = c0; c < c1; ++c)
      rows(bounds[static_cast<std::size_t>(c)], bounds[static_cast<std::size_t>(c) + 1], k, data, indices, indptr, b, out);
  });
}

template <class T, class I>
void csr_matmul_t_add(index_t n_rows, index_t n_cols, index_t k, const T* data, const I* indices, const I* indptr,
                      const T* g, T* out) {
  if (n_rows <= 0 || n_cols <= 0 || k <= 0) return;
  const index_t nnz = indptr[n_rows] - indptr[0];
  const int threads = get_num_threads();
  const index_t parts = std::min<index_t>(threads, n_cols);
  if (parts <= 1 || nnz * k < kParallelMin) {
    scatter(n_rows, 0, n_cols, k, data, indices, indptr, g, out);
    return;
  }
  parallel_for(parts, 1, [&](std::ptrdiff_t p0, std::ptrdiff_t p1) {
    for (std::ptrdiff_t p = p0; p < p1; ++p)
      scatter(n_rows, p * n_cols / parts, (p + 1) * n_cols / parts, k, data, indices, indptr, g, out);
  });
}

#define MLBASICS_SPARSE_INSTANTIATE(T, I)                                                                  \
  template void csr_matmul<T, I>(index_t, index_t, const T*, const I*, const I*, const T*, T*);            \
  template void csr_matmul_t_add<T, I>(index_t, index_t, index_t, const T*, const I*, const I*, const T*, T*);
MLBASICS_SPARSE_INSTANTIATE(float, std::int32_t)
MLBASICS_SPARSE_INSTANTIATE(float, std::int64_t)
MLBASICS_SPARSE_INSTANTIATE(double, std::int32_t)
MLBASICS_SPARSE_INSTANTIATE(double, std::int64_t)
#undef MLBASICS_SPARSE_INSTANTIATE

}  // namespace mlbasics

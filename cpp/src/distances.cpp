// distances.cpp — squared distances, the k-means assignment step and k nearest neighbours, each a
// GEMM of a block of rows against all centres / candidates, consumed while the block is in cache.
#include "mlbasics/distances.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "cpu_internal.hpp"
#include "distances_kernels.hpp"
#include "gemm_kernels.hpp"
#include "mlbasics/parallel.hpp"

namespace mlbasics {
namespace {

template <class T>
void sq_norms(index_t n, index_t p, const T* x, T* out) {
  for (index_t i = 0; i < n; ++i) {
    const T* xi = x + i * p;
    T s = 0;
    for (index_t q = 0; q < p; ++q) s += xi[q] * xi[q];
    out[i] = s;
  }
}

// Σ_q (a_q − b_q)², accumulated in double.
template <class T>
T direct_sq_distance(index_t p, const T* a, const T* b) {
  double s = 0.0;
  for (index_t q = 0; q < p; ++q) {
    const double d = static_cast<double>(a[q]) - static_cast<double>(b[q]);
    s += d * d;
  }
  return static_cast<T>(s);
}

// c (rows, cols) = a (rows, p) · bᵀ for b (cols, p): both row-major, one GEMM with b transposed by
// its strides. Inside a parallel_for this runs on the calling thread (the pool does not nest).
template <class T>
void cross(index_t rows, index_t cols, index_t p, const T* a, const T* b, T* c) {
  gemm<T>(rows, cols, p, a, p, 1, b, 1, p, c, cols, false);
}

// (value, index) order of the neighbour search: numbers ascending, then NaN; ties by index.
template <class T>
struct Candidate {
  T v;
  std::int64_t i;
};

template <class T>
bool before(const Candidate<T>& a, const Candidate<T>& b) {
  const bool an = a.v != a.v, bn = b.v != b.v;
  if (an != bn) return bn;  // a number before a NaN
  if (!an && a.v != b.v) return a.v < b.v;
  return a.i < b.i;
}

detail::KernelPathSwitch g_path;

template <class T>
detail::AssignRows<T> assign_rows();
template <>
detail::AssignRows<float> assign_rows<float>() {
#if defined(MLBASICS_HAVE_AVX512_TU)
  if (g_path.isa() >= detail::Isa::avx512) return detail::assign_rows_avx512_f32;
#endif
#if defined(MLBASICS_HAVE_AVX2_TU)
  if (g_path.isa() >= detail::Isa::avx2) return detail::assign_rows_avx2_f32;
#endif
  return detail::assign_rows_generic_f32;
}
template <>
detail::AssignRows<double> assign_rows<double>() {
#if defined(MLBASICS_HAVE_AVX512_TU)
  if (g_path.isa() >= detail::Isa::avx512) return detail::assign_rows_avx512_f64;
#endif
#if defined(MLBASICS_HAVE_AVX2_TU)
  if (g_path.isa() >= detail::Isa::avx2) return detail::assign_rows_avx2_f64;
#endif
  return detail::assign_rows_generic_f64;
}

// The direct (GEMM-free) assignment for k ≤ its max_k, where this path has one.
template <class T>
const detail::AssignDirect<T>* assign_direct();
template <>
const detail::AssignDirect<float>* assign_direct<float>() {
#if defined(MLBASICS_HAVE_AVX512_TU)
  if (g_path.isa() >= detail::Isa::avx512) return &detail::assign_direct_avx512_f32;
#endif
#if defined(MLBASICS_HAVE_AVX2_TU)
  if (g_path.isa() >= detail::Isa::avx2) return &detail::assign_direct_avx2_f32;
#endif
  return nullptr;
}
template <>
const detail::AssignDirect<double>* assign_direct<double>() {
#if defined(MLBASICS_HAVE_AVX512_TU)
  if (g_path.isa() >= detail::Isa::avx512) return &detail::assign_direct_avx512_f64;
#endif
#if defined(MLBASICS_HAVE_AVX2_TU)
  if (g_path.isa() >= detail::Isa::avx2) return &detail::assign_direct_avx2_f64;
#endif
  return nullptr;
}

// The neighbour filter of this path (nullptr: the scalar test only).
template <class T>
detail::NextBelow<T> next_below();
template <>
detail::NextBelow<float> next_below<float>() {
#if defined(MLBASICS_HAVE_AVX512_TU)
  if (g_path.isa() >= detail::Isa::avx512) return detail::next_below_avx512_f32;
#endif
  return nullptr;
}
template <>
detail::NextBelow<double> next_below<double>() {
#if defined(MLBASICS_HAVE_AVX512_TU)
  if (g_path.isa() >= detail::Isa::avx512) return detail::next_below_avx512_f64;
#endif
  return nullptr;
}

template <class T>
detail::GroupMinima<T> group_minima();
template <>
detail::GroupMinima<float> group_minima<float>() {
#if defined(MLBASICS_HAVE_AVX512_TU)
  if (g_path.isa() >= detail::Isa::avx512) return detail::group_minima_avx512_f32;
#endif
  return nullptr;
}
template <>
detail::GroupMinima<double> group_minima<double>() {
#if defined(MLBASICS_HAVE_AVX512_TU)
  if (g_path.isa() >= detail::Isa::avx512) return detail::group_minima_avx512_f64;
#endif
  return nullptr;
}

// Columns to compute so that every one goes through the same micro-kernel. The AVX2 GEMM runs an
// edge tile of at most split_nr (= NR/2) columns with a half-width kernel whose two FMA chains
// (even and odd k) round differently from the full kernel, so two equal centres (or candidates)
// in a full and a half tile would get products a few ulp apart, and a tie could go to the higher
// index. Padding with zero columns up to a multiple of NR avoids the mix; a matrix of at most
// split_nr columns is one half tile, consistent with itself. Families whose every tile rounds
// alike (split_nr == 0: generic, avx512) need no padding. NR and split_nr are the run-time
// context's, i.e. those of the GEMM that cross() will run.
template <class T>
index_t uniform_columns(index_t n) {
  const detail::GemmContext<T>& ctx = detail::gemm_context<T>();
  const index_t NR = ctx.nr, split = ctx.split_nr;
  if (split == 0) return n;
  const index_t rem = n % NR;
  return (n > NR && rem != 0 && rem <= split) ? n + (NR - rem) : n;
}

// `rows` rows of p values from src, followed by `padded − rows` zero rows.
template <class T>
std::vector<T> zero_padded(index_t rows, index_t padded, index_t p, const T* src) {
  std::vector<T> out(static_cast<std::size_t>(padded * p), T(0));
  std::copy(src, src + rows * p, out.begin());
  return out;
}

constexpr index_t kChunkRows = 2048;  // rows of x per partial sum (fixed: thread-independent sums)

}  // namespace

bool detail::set_distances_kernel_path(const char* name) { return g_path.force(name); }

template <class T>
void pairwise_sq_distances(index_t n, index_t m, index_t p, const T* x, const T* y, bool same, T* out) {
  if (n == 0 || m == 0) return;
  std::vector<T> xx(static_cast<std::size_t>(n)), yy(static_cast<std::size_t>(m));
  sq_norms(n, p, x, xx.data());
  if (same) yy = xx; else sq_norms(m, p, y, yy.data());
  gemm<T>(n, m, p, x, p, 1, y, 1, p, out, m, false);
  parallel_for(n, 64, [&](std::ptrdiff_t i0, std::ptrdiff_t i1) {
    for (index_t i = i0; i < i1; ++i) {
      T* o = out + i * m;
      const T xi = xx[static_cast<std::size_t>(i)];
      for (index_t j = 0; j < m; ++j) {
        const T d = (xi - T(2) * o[j]) + yy[static_cast<std::size_t>(j)];
        o[j] = d < T(0) ? T(0) : d;  // NaN < 0 is false: NaN kept
      }
    }
  });
  if (same) {  // mirror the upper triangle into the lower one, 32×32 tiles at a time
    constexpr index_t B = 32;
    parallel_for((n + B - 1) / B, 1, [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
      for (index_t bi = b0; bi < b1; ++bi) {
        const index_t i0 = bi * B, i1 = std::min(n, i0 + B);
        for (index_t j0 = 0; j0 <= i0; j0 += B) {
          const index_t j1 = std::min(n, j0 + B);
          for (index_t i = i0; i < i1; ++i)
            for (index_t j = j0; j < std::min(j1, i); ++j) out[i * n + j] = out[j * n + i];
        }
        for (index_t i = i0; i < i1; ++i) out[i * n + i] = T(0);
      }
    });
  }
}

template <class T>
void kmeans_step(index_t n, index_t p, index_t k, const T* x, const T* centers, const T* sample_weight,
                 std::int64_t* labels, T* sq_dist, T* sums, T* weights) {
  std::vector<T> cc(static_cast<std::size_t>(k));
  sq_norms(k, p, centers, cc.data());
  // A few centres: the direct loop (no GEMM), on the centres as it packs them.
  const detail::AssignDirect<T>* direct = assign_direct<T>();
  if (direct && k > direct->max_k) direct = nullptr;
  std::vector<T> packed;
  if (direct) {
    packed.resize(static_cast<std::size_t>(detail::direct_pack_size<T>(p)));
    direct->pack(k, p, centers, cc.data(), packed.data());
  }
  const T* centers_for_gemm = centers;
  const index_t kp = direct ? k : uniform_columns<T>(k);  // products per row (k, or k padded with zero centres)
  std::vector<T> padded;
  if (kp != k) {
    padded = zero_padded(k, kp, p, centers);
    centers_for_gemm = padded.data();
  }
  // The centres packed once for every block's product (bit for bit the product cross() makes).
  const index_t packed_size = direct ? 0 : detail::packed_b_size<T>(p, kp);
  std::vector<T> packed_store(packed_size > 0 ? static_cast<std::size_t>(packed_size) + 64 / sizeof(T) : 0);
  T* packed_b = nullptr;
  if (packed_size > 0) {
    void* ptr = packed_store.data();
    std::size_t space = packed_store.size() * sizeof(T);
    packed_b = static_cast<T*>(std::align(64, static_cast<std::size_t>(packed_size) * sizeof(T), ptr, space));
    detail::pack_b_once<T>(p, kp, centers_for_gemm, 1, p, packed_b);
  }
  // Rows per GEMM block: its k products stay in L2 (about 128 KiB) until the argmin reads them.
  // A whole number of the GEMM's MR-row strips, so that no strip runs its tile with rows left
  // empty: 64 rows were 10 strips of 6 and one of 4 on the avx2 path (60 are 10 of 6; 10⁶×32
  // float64, k = 256, 1 thread, Zen 5: 3% of a step).
  const index_t mr = detail::gemm_context<T>().mr;
  index_t block = std::max<index_t>(8, std::min<index_t>(256, (index_t(1) << 17) / (kp * index_t(sizeof(T)))));
  block = std::max<index_t>(mr, block / mr * mr);
  const index_t n_chunks = (n + kChunkRows - 1) / kChunkRows;
  // Chunks run in waves of a few per thread; each chunk sums into its own slot, and the slots are
  // merged in chunk order after every wave, so the order of additions never depends on threads.
  const index_t wave = std::max<index_t>(1, 2 * static_cast<index_t>(get_num_threads()));
  const std::size_t slot = static_cast<std::size_t>(k * p + k);
  std::vector<double> partial(static_cast<std::size_t>(std::min(wave, n_chunks)) * slot);
  std::vector<double> total(slot, 0.0);
  const detail::AssignRows<T> assign = assign_rows<T>();
  for (index_t c0 = 0; c0 < n_chunks; c0 += wave) {
    const index_t c1 = std::min(n_chunks, c0 + wave);
    parallel_for(c1 - c0, 1, [&](std::ptrdiff_t a, std::ptrdiff_t b) {
      std::vector<T> buf(direct ? 0 : static_cast<std::size_t>(block * kp));
      for (index_t c = c0 + a; c < c0 + b; ++c) {
        double* ps = partial.data() + static_cast<std::size_t>(c - c0) * slot;
        double* pw = ps + k * p;
        std::fill(ps, ps + slot, 0.0);
        const index_t r_end = std::min(n, (c + 1) * kChunkRows);
        if (direct) {
          const index_t r0 = c * kChunkRows;
          direct->assign(r_end - r0, k, p, packed.data(), x + r0 * p, centers, sample_weight ? sample_weight + r0 : nullptr,
                         labels + r0, sq_dist ? sq_dist + r0 : nullptr, ps, pw);
          continue;
        }
        for (index_t r0 = c * kChunkRows; r0 < r_end; r0 += block) {
          const index_t rows = std::min(block, r_end - r0);
          if (packed_b != nullptr)
            detail::gemm_packed_b<T>(rows, kp, p, x + r0 * p, p, 1, centers_for_gemm, 1, p, packed_b, buf.data(), kp);
          else
            cross(rows, kp, p, x + r0 * p, centers_for_gemm, buf.data());
          assign(rows, k, kp, p, buf.data(), cc.data(), x + r0 * p, centers, sample_weight ? sample_weight + r0 : nullptr,
                 labels + r0, sq_dist ? sq_dist + r0 : nullptr, ps, pw);
        }
      }
    });
    for (index_t c = c0; c < c1; ++c) {
      const double* ps = partial.data() + static_cast<std::size_t>(c - c0) * slot;
      for (std::size_t e = 0; e < slot; ++e) total[e] += ps[e];
    }
  }
  for (index_t e = 0; e < k * p; ++e) sums[e] = static_cast<T>(total[static_cast<std::size_t>(e)]);
  for (index_t j = 0; j < k; ++j) weights[j] = static_cast<T>(total[static_cast<std::size_t>(k * p + j)]);
}

template <class T>
void nearest_neighbors(index_t n, index_t m, index_t p, const T* x, const T* y, bool same, index_t kn,
                       T* sq_dist, std::int64_t* indices) {
  if (n == 0) return;
  std::vector<T> yy(static_cast<std::size_t>(m));
  sq_norms(m, p, y, yy.data());
  constexpr index_t kRows = 64;     // query rows per block
  constexpr index_t kCols = 2048;   // candidate rows per GEMM
  const detail::NextBelow<T> skip = next_below<T>();
  // Where the path has both vector helpers, each row first gets a bound from its first block of
  // candidates: of kGroupMinima disjoint groups of candidates, the minima (NaN left out) are
  // distinct candidates, so the `need`-th smallest minimum B has at least `need` candidates at or
  // below it, and the row's final kn-th best (self excluded: need = kn + 1 then) is at most B.
  // A candidate above B can never be kept, so it is never inserted: with the bound the heap sees
  // a few candidates more than kn instead of kn·(1 + ln(m/kn)) on random data. The result is the
  // same: every candidate at or below B meets the same test in the same order. No finite bound
  // (too few groups, or NaN everywhere): NaN, and the loop without it.
  const detail::GroupMinima<T> minima = skip && kn + 1 <= detail::kGroupMinima ? group_minima<T>() : nullptr;
  const auto row_bound = [&](index_t cols, const T* yyb, const T* v, index_t need) -> T {
    T g[detail::kGroupMinima];
    minima(cols, yyb, v, g);
    std::nth_element(g, g + (need - 1), g + detail::kGroupMinima);
    const T b = g[need - 1];
    if (!(b < std::numeric_limits<T>::infinity())) return std::numeric_limits<T>::quiet_NaN();
    return std::nextafter(b, std::numeric_limits<T>::infinity());  // val ≤ b as val < bound
  };
  parallel_for((n + kRows - 1) / kRows, 1, [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
    const index_t cols_max = uniform_columns<T>(std::min(m, kCols));
    std::vector<T> buf(static_cast<std::size_t>(kRows * cols_max));
    std::vector<T> ypad;  // the last block of candidates, zero-padded when it needs it
    std::vector<Candidate<T>> heaps(static_cast<std::size_t>(kRows * kn));
    std::vector<index_t> sizes(kRows);
    std::vector<T> bounds(kRows);
    const auto worse = [](const Candidate<T>& a, const Candidate<T>& b) { return before(a, b); };
    for (index_t blk = b0; blk < b1; ++blk) {
      const index_t i0 = blk * kRows, rows = std::min(kRows, n - i0);
      std::fill(sizes.begin(), sizes.end(), 0);
      for (index_t j0 = 0; j0 < m; j0 += kCols) {
        const index_t cols = std::min(kCols, m - j0), ld = uniform_columns<T>(cols);
        const T* yb = y + j0 * p;
        if (ld != cols) {
          if (ypad.empty()) ypad = zero_padded(cols, ld, p, yb);
          yb = ypad.data();
        }
        cross(rows, ld, p, x + i0 * p, yb, buf.data());
        for (index_t r = 0; r < rows; ++r) {
          // a max-heap (by `before`) of the row's kn best so far: its top is the worst kept
          Candidate<T>* h = heaps.data() + r * kn;
          index_t& size = sizes[static_cast<std::size_t>(r)];
          const T* v = buf.data() + r * ld;
          const index_t self = same ? i0 + r - j0 : -1;  // this row's own column in the block
          index_t c = 0;
          if (j0 == 0 && minima) bounds[static_cast<std::size_t>(r)] = row_bound(cols, yy.data(), v, kn + (same ? 1 : 0));
          const T bound = minima ? bounds[static_cast<std::size_t>(r)] : std::numeric_limits<T>::quiet_NaN();
          if (bound == bound) {  // a bound: the candidates above it never enter (nor does a NaN)
            T top = size == kn ? std::min(h[0].v, bound) : bound;
            for (; c < cols; ++c) {
              c = skip(c, cols, yy.data() + j0, v, top);
              if (c == cols) break;
              const T val = yy[static_cast<std::size_t>(j0 + c)] - T(2) * v[c];
              if (!(val < top) || c == self) continue;
              if (size < kn) {
                h[size++] = Candidate<T>{val, j0 + c};
                std::push_heap(h, h + size, worse);
              } else {
                std::pop_heap(h, h + kn, worse);
                h[kn - 1] = Candidate<T>{val, j0 + c};
                std::push_heap(h, h + kn, worse);
              }
              top = size == kn ? std::min(h[0].v, bound) : bound;
            }
            continue;
          }
          for (; c < cols && size < kn; ++c) {  // fill the heap with the first kn candidates
            if (c == self) continue;
            h[size++] = Candidate<T>{yy[static_cast<std::size_t>(j0 + c)] - T(2) * v[c], j0 + c};
            std::push_heap(h, h + size, worse);
          }
          // Then only a candidate below the worst kept one enters. Candidates come in increasing
          // index order, so one equal to the worst loses the tie; the test is a plain compare
          // (rarely true once the heap holds good neighbours), except while the worst is a NaN,
          // which any number beats.
          T top = h[0].v;
          for (; c < cols; ++c) {
            if (skip && top == top) {  // jump to the next candidate below top (the same test, vectorized)
              c = skip(c, cols, yy.data() + j0, v, top);
              if (c == cols) break;
            }
            const T val = yy[static_cast<std::size_t>(j0 + c)] - T(2) * v[c];
            if (!(val < top) && !(top != top && val == val)) continue;
            if (c == self) continue;
            std::pop_heap(h, h + kn, worse);
            h[kn - 1] = Candidate<T>{val, j0 + c};
            std::push_heap(h, h + kn, worse);
            top = h[0].v;
          }
        }
      }
      for (index_t r = 0; r < rows; ++r) {
        Candidate<T>* h = heaps.data() + r * kn;
        const index_t i = i0 + r;
        for (index_t t = 0; t < kn; ++t) h[t].v = direct_sq_distance(p, x + i * p, y + h[t].i * p);
        std::sort(h, h + kn, before<T>);
        for (index_t t = 0; t < kn; ++t) {
          sq_dist[i * kn + t] = h[t].v;
          indices[i * kn + t] = h[t].i;
        }
      }
    }
  });
}

#define MLB_INSTANTIATE(T)                                                                           \
  template void pairwise_sq_distances<T>(index_t, index_t, index_t, const T*, const T*, bool, T*);     \
  template void kmeans_step<T>(index_t, index_t, index_t, const T*, const T*, const T*, std::int64_t*, \
                               T*, T*, T*);                                                          \
  template void nearest_neighbors<T>(index_t, index_t, index_t, const T*, const T*, bool, index_t, T*, \
                                     std::int64_t*);
MLB_INSTANTIATE(float)
MLB_INSTANTIATE(double)
#undef MLB_INSTANTIATE

}  // namespace mlbasics

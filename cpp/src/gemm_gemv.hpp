// gemm_gemv.hpp — the loops of the matrix-vector products (gemm_ex's path for C with one column,
// or up to kGemvCols when A's columns are contiguous; see the comment in gemm.cpp), included by
// every family's translation unit (gemm_generic.cpp, gemm_avx2.cpp, gemm_avx512.cpp) so that each
// context carries them vectorized for its ISA: in the portable SSE2 build, Xᵀ·[y − ȳ | 1] over a
// 1,000,000×100 float64 X took 94 ms at 1 thread, bound by its arithmetic, against ~35 ms for one
// read of X. Internal linkage, and no inline library template called (see optim_loops.hpp).
#pragma once
#include <cstdint>

#include "gemm_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

constexpr index_t kGemvRows = 256;
constexpr index_t kGemvCols = 16;
// How far ahead in A (bytes) the few-column loops below prefetch: the hardware's own prefetch
// kept one read of a row-major X (1,000,000×100 float64 in 5,242-row blocks, 2 columns, 1 thread,
// Zen 5) at 17 GB/s, 46–48 ms, where a plain streaming loop reads 30 GB/s; prefetching every row
// ~12 KB (16 rows) ahead: 26.3–26.7 ms (a fixed 64 or 128 rows ahead: 32–40).
constexpr index_t kGemvAheadBytes = 12 * 1024;
// How many depth steps ahead the register tiles prefetch their vectors of A (gemv_tile).
constexpr index_t kGemvTileAhead = 32;

// A hint to fetch the line at p + bytes (never dereferenced: the address may lie past the end).
template <class T>
inline void prefetch_at(const T* p, index_t bytes) {
  const std::uintptr_t at = reinterpret_cast<std::uintptr_t>(p) + static_cast<std::uintptr_t>(bytes);
  __builtin_prefetch(reinterpret_cast<const void*>(at), 0, 3);
}

#if defined(__GNUC__)
// A's columns contiguous (rs_a == 1, e.g. Xᵀ·G for a row-major X): tiles of C of NV vectors of
// outputs i (a contiguous run of each column of A) × JB columns j, held in registers over the whole
// of k. Per depth step p: NV vector loads of A's column p, JB broadcasts of B's row p, NV·JB
// multiply-adds. (GCC/Clang vector extensions, one vector = the translation unit's widest register:
// zmm in gemm_avx512.cpp, ymm in gemm_avx2.cpp, xmm in gemm_generic.cpp; a*b + c contracts to FMA
// where the ISA has it.) The loops they replace kept C's block in memory and read and wrote it for
// every four depth steps: Xᵀ·G with 10 columns over 2,621×100 float64 blocks, 1 thread, Zen 5,
// avx512 path: 20 GFLOP/s.
#if defined(__AVX512F__)
constexpr int kGemvVecBytes = 64;
constexpr int kGemvJB = 14;  // 2·14 accumulators + 2 loads + 1 broadcast of the 32 zmm
#elif defined(__AVX__)
constexpr int kGemvVecBytes = 32;
constexpr int kGemvJB = 6;  // 2·6 + 3 of the 16 ymm
#else
constexpr int kGemvVecBytes = 16;
constexpr int kGemvJB = 6;  // 2·6 + 3 of the 16 xmm
#endif

template <class T>
struct GemvVec {
  typedef T V __attribute__((vector_size(kGemvVecBytes)));
  static constexpr int L = kGemvVecBytes / static_cast<int>(sizeof(T));
};

// The depth steps [p0, p1) of the tile of C rows [i, i + NV·L) × columns [j, j + JB) (V = T: L = 1,
// one output per vector), added onto C's values (from_c) or onto zero and stored back into C; lanes
// below `skip` are computed and not stored (a tail tile that overlaps the tile before it: what it
// reads there is the other tile's, and is dropped). Each output sums its k terms in the order
// p = 0, 1, … onto C's value (accumulate) or onto zero, so neither the tiling, nor the depth
// chunks, nor a split across threads changes a bit.
template <class T, class V, int NV, int JB>
inline void gemv_tile(index_t i, index_t j, index_t p0, index_t p1, bool from_c, int skip, const T* a, index_t cs_a,
                      const T* b, index_t rs_b, index_t cs_b, T* c, index_t rs_c, index_t cs_c) {
  constexpr int L = static_cast<int>(sizeof(V) / sizeof(T));
  V acc[JB][NV];
  for (int jj = 0; jj < JB; ++jj) {
    for (int v = 0; v < NV; ++v) {
      T t[L];
      for (int l = 0; l < L; ++l) t[l] = from_c ? c[(i + v * L + l) * rs_c + (j + jj) * cs_c] : T(0);
      __builtin_memcpy(&acc[jj][v], t, sizeof(V));
    }
  }
  const T* ap = a + i + p0 * cs_a;
  const T* bp = b + j * cs_b + p0 * rs_b;
  const auto step = [&](const T* bj, index_t stride) {
    V x[NV];
    for (int v = 0; v < NV; ++v) __builtin_memcpy(&x[v], ap + v * L, sizeof(V));
    for (int jj = 0; jj < JB; ++jj) {
      const T s = bj[jj * stride];
      for (int v = 0; v < NV; ++v) acc[jj][v] += x[v] * s;
    }
  };
  // Each step reads NV vectors from a new row of a row-major X (cs_a elements on): prefetched
  // kGemvTileAhead steps ahead, as the hardware's prefetch did not keep up with that stride from
  // L3. B's rows contiguous (a row-major G): offsets known to the compiler, where a run-time
  // stride had GCC keep the JB offsets on the stack and reload them every step. Xᵀ·G with 10
  // columns in 2,621-row blocks of a 10⁵×100 float64 X just read by the forward product (a
  // LogisticRegression's gradient), 1 thread, Zen 5, avx512 path: 2.77–3.12 → 2.31–2.50 ms.
  if (cs_b == 1) {
    for (index_t p = p0; p < p1; ++p, ap += cs_a, bp += rs_b) {
      for (int v = 0; v < NV; ++v) prefetch_at(ap, (kGemvTileAhead * cs_a + v * L) * static_cast<index_t>(sizeof(T)));
      step(bp, index_t{1});
    }
  } else {
    for (index_t p = p0; p < p1; ++p, ap += cs_a, bp += rs_b) {
      for (int v = 0; v < NV; ++v) prefetch_at(ap, (kGemvTileAhead * cs_a + v * L) * static_cast<index_t>(sizeof(T)));
      step(bp, cs_b);
    }
  }
  for (int jj = 0; jj < JB; ++jj) {
    for (int v = 0; v < NV; ++v) {
      T t[L];
      __builtin_memcpy(t, &acc[jj][v], sizeof(V));
      for (int l = 0; l < L; ++l)
        if (v * L + l >= skip) c[(i + v * L + l) * rs_c + (j + jj) * cs_c] = t[l];
    }
  }
}

// gemv_tile with JB chosen at run time (1 <= jb <= kGemvJB).
template <class T, class V, int NV, int JB = kGemvJB>
inline void gemv_tile_jb(int jb, index_t i, index_t j, index_t p0, index_t p1, bool from_c, int skip, const T* a,
                         index_t cs_a, const T* b, index_t rs_b, index_t cs_b, T* c, index_t rs_c, index_t cs_c) {
  if constexpr (JB > 1) {
    if (jb < JB)
      return gemv_tile_jb<T, V, NV, JB - 1>(jb, i, j, p0, p1, from_c, skip, a, cs_a, b, rs_b, cs_b, c, rs_c, cs_c);
  }
  gemv_tile<T, V, NV, JB>(i, j, p0, p1, from_c, skip, a, cs_a, b, rs_b, cs_b, c, rs_c, cs_c);
}

// Depth chunk of the tiles: kGemvChunk rows of a row-major X (A = Xᵀ) stay in L2 while every tile
// of C reads its columns of them, so X streams from memory once, in address order, rather than
// once per tile, each pass reading a tile's cache lines of every row. (Measured on Zen 5, 1 thread,
// 10⁶×100 float64 from memory: with two columns 52 ms per pass unchunked, 46 chunked — two columns
// now take the loops below; with ten, 7.9 ms per 10⁵ rows either way.)
constexpr index_t kGemvChunk = 512;

// C rows [i0, i1) × all nb columns: column groups of at most kGemvJB (split evenly: 16 = 8 + 8);
// row tiles of two vectors, then one, then one vector placed to end at i1 over the tile before it
// (its first lanes recomputed, bit for bit, and not stored), then single outputs when fewer than
// one vector's worth of rows remain; depth in chunks of kGemvChunk, C holding the sums between them.
template <class T>
void gemv_tiles(index_t i0, index_t i1, index_t nb, index_t k, const T* a, index_t cs_a, const T* b, index_t rs_b,
                index_t cs_b, T* c, index_t rs_c, index_t cs_c, bool accumulate) {
  using V = typename GemvVec<T>::V;
  constexpr int L = GemvVec<T>::L;
  const index_t groups = (nb + kGemvJB - 1) / kGemvJB;
  for (index_t p0 = 0; p0 < k; p0 += kGemvChunk) {  // k >= 1 (gemm_ex)
    const index_t p1 = k - p0 < kGemvChunk ? k : p0 + kGemvChunk;
    const bool from_c = accumulate || p0 > 0;
    for (index_t g = 0; g < groups; ++g) {
      const index_t j = nb * g / groups;
      const int jb = static_cast<int>(nb * (g + 1) / groups - j);
      index_t i = i0;
      for (; i + 2 * L <= i1; i += 2 * L)
        gemv_tile_jb<T, V, 2>(jb, i, j, p0, p1, from_c, 0, a, cs_a, b, rs_b, cs_b, c, rs_c, cs_c);
      for (; i + L <= i1; i += L)
        gemv_tile_jb<T, V, 1>(jb, i, j, p0, p1, from_c, 0, a, cs_a, b, rs_b, cs_b, c, rs_c, cs_c);
      if (i < i1 && i1 - i0 >= L) {
        gemv_tile_jb<T, V, 1>(jb, i1 - L, j, p0, p1, from_c, static_cast<int>(L - (i1 - i)), a, cs_a, b, rs_b, cs_b,
                              c, rs_c, cs_c);
        i = i1;
      }
      for (; i < i1; ++i) gemv_tile_jb<T, T, 1>(jb, i, j, p0, p1, from_c, 0, a, cs_a, b, rs_b, cs_b, c, rs_c, cs_c);
    }
  }
}
#endif

// gemv_fn: C rows [i0, i1) (see gemm_kernels.hpp).
template <class T>
void gemv_rows(index_t i0, index_t i1, index_t nb, index_t k, const T* a, index_t rs_a, index_t cs_a, const T* b,
               index_t rs_b, index_t cs_b, T* c, index_t rs_c, index_t cs_c, bool accumulate) {
  if (rs_a == 1 && cs_a != 1) {
#if defined(__GNUC__)
    // More than four columns: the register tiles. Up to four (the streamed co-moments' Xᵀ·[y − ȳ | 1],
    // bound by reading X): the loops below, as fast or faster there (10⁶×100 float64 from memory,
    // 1 thread, two columns: 58 against 80 ms on the avx2 path, where a tile of two columns has too
    // few sums in flight; 43 against 44 on the avx512 path).
    if (nb > 4) {
      gemv_tiles(i0, i1, nb, k, a, cs_a, b, rs_b, cs_b, c, rs_c, cs_c, accumulate);
      return;
    }
#endif
    T acc[kGemvCols][kGemvRows];
    for (index_t ib = i0; ib < i1; ib += kGemvRows) {
      const index_t len = (i1 - ib < kGemvRows ? i1 - ib : kGemvRows);
      const index_t row_bytes = len * static_cast<index_t>(sizeof(T));
      const index_t ahead = (kGemvAheadBytes + row_bytes - 1) / row_bytes;
      for (index_t j = 0; j < nb; ++j)
        for (index_t i = 0; i < len; ++i) acc[j][i] = accumulate ? c[(ib + i) * rs_c + j * cs_c] : T(0);
      index_t p = 0;
      for (; p + 4 <= k; p += 4) {  // four columns of A per pass over acc, added in order p, p+1, …
        if (p + ahead + 4 <= k) {  // the rows this pass reads, `ahead` rows on
          const T* next = a + ib + (p + ahead) * cs_a;
          for (index_t q = 0; q < 4; ++q, next += cs_a)
            for (index_t off = 0; off < row_bytes; off += 64) prefetch_at(next, off);
        }
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

// distances_direct.hpp — the direct few-centre k-means assignment (no GEMM), written once and
// compiled by each SIMD TU (distances_avx2.cpp, distances_avx512.cpp) on its own traits struct S.
// Include it only from such a TU, after <immintrin.h>: everything here has internal linkage, and
// nothing calls an inline library template the linker could share with a portable TU.
//
// For k ≤ 2 vectors of centres, a group of rows is multiplied by all k centres in registers (one
// broadcast x_i[q] times the column q of the transposed centres per FMA), and each row's argmin is
// taken from its registers. At such k a GEMM runs a narrow edge tile of the packed panel for
// little work per row, and the step is bound by that per-row overhead, not by the FLOPs.
//
// S provides, for W values of T per vector V with lane masks M (bit t = lane t):
//   lanes(n) zero() load(p) set1(x) fmadd(a,b,c) rank(cc,prod) = cc − 2·prod in one rounding,
//   min(a,b) mask_mov(src,m,a) unord(m,a) eq(m,a,b) → M, inf(), all_min(v) (in every lane),
//   the pairs layout: pair(p) (p[0], p[1]) in every pair of lanes, even() the even lanes,
//   fmadd_even(a,b,c) (c in the odd lanes), add_pairs(a) (lane 2t + lane 2t+1);
// and for DW doubles per vector DV with masks DM: dlanes(n) dzero() dload(p) dloadz(m,p)
// dstore(p,v) dstore(m,p,v) dadd dsub dfmadd dset1(x) dsum(v) (the lanes' total), to_f64(p) and
// to_f64(m,p) (DW values of T from p as doubles, lanes outside m 0), kSumVectors (vectors of
// sums group_sums keeps in registers).
#pragma once
#include <cstddef>
#include <cstdint>

#include "distances_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

using idx = std::ptrdiff_t;

inline int first_set(unsigned mask) {
#if defined(_MSC_VER) && !defined(__clang__)
  unsigned long i;
  _BitScanForward(&i, static_cast<unsigned long>(mask));
  return static_cast<int>(i);
#else
  return __builtin_ctz(mask);
#endif
}

// ‖a − b‖² over p elements, DW partial sums in double.
template <class S>
double sq_distance(idx p, const typename S::T* a, const typename S::T* b) {
  using DV = typename S::DV;
  DV acc = S::dzero();
  idx q = 0;
  for (; q + S::DW <= p; q += S::DW) {  // whole vectors unmasked (AVX2's masked loads cost more)
    const DV d = S::dsub(S::to_f64(a + q), S::to_f64(b + q));
    acc = S::dfmadd(d, d, acc);
  }
  if (q < p) {
    const typename S::DM m = S::dlanes(p - q);
    const DV d = S::dsub(S::to_f64(m, a + q), S::to_f64(m, b + q));
    acc = S::dfmadd(d, d, acc);
  }
  return S::dsum(acc);
}

// The sums and weights of `rows` labelled rows, centre by centre: the rows of each centre (in
// row order, as a row-by-row loop would add them) are summed in registers, then added to the
// centre's sums once. No read-modify-write of a centre's sums from one row to the next: those make
// a chain through memory whenever two nearby rows share a centre (often, when k is small), and the
// loads of the next rows wait on it. k ≤ kGroupMaxK, rows ≤ kGroupRows.
constexpr idx kGroupMaxK = direct_max_k<float>;
constexpr idx kGroupRows = 256;
template <class S>
void group_sums(idx rows, idx k, idx p, const typename S::T* x, const typename S::T* w,
                const std::int64_t* labels, double* sums, double* weights) {
  using T = typename S::T;
  using DV = typename S::DV;
  constexpr int U = S::kSumVectors;  // vectors of sums at a time
  constexpr idx DW = S::DW;
  int start[kGroupMaxK + 1];
  int order[kGroupRows];
  for (idx j = 0; j <= k; ++j) start[j] = 0;
  for (idx i = 0; i < rows; ++i) ++start[labels[i] + 1];
  for (idx j = 0; j < k; ++j) start[j + 1] += start[j];
  int next[kGroupMaxK];
  for (idx j = 0; j < k; ++j) next[j] = start[j];
  for (idx i = 0; i < rows; ++i) order[next[labels[i]]++] = static_cast<int>(i);
  for (idx j = 0; j < k; ++j) {
    const int b = start[j], e = start[j + 1];
    if (b == e) continue;
    double* s = sums + j * p;
    double wsum = weights[j];  // added in row order
    if (w) {
      for (int t = b; t < e; ++t) wsum += static_cast<double>(w[order[t]]);
    } else {
      for (int t = b; t < e; ++t) wsum += 1.0;
    }
    weights[j] = wsum;
    idx q = 0;
    for (; q + U * DW <= p; q += U * DW) {
      DV a[U];
      for (int u = 0; u < U; ++u) a[u] = S::dload(s + q + u * DW);
      for (int t = b; t < e; ++t) {
        const T* xi = x + order[t] * p + q;
        if (w) {
          const DV wi = S::dset1(static_cast<double>(w[order[t]]));
          for (int u = 0; u < U; ++u) a[u] = S::dfmadd(wi, S::to_f64(xi + u * DW), a[u]);
        } else {
          for (int u = 0; u < U; ++u) a[u] = S::dadd(a[u], S::to_f64(xi + u * DW));
        }
      }
      for (int u = 0; u < U; ++u) S::dstore(s + q + u * DW, a[u]);
    }
    for (; q < p; q += DW) {
      const typename S::DM m = S::dlanes(p - q);
      DV a = S::dloadz(m, s + q);
      for (int t = b; t < e; ++t) {
        const T* xi = x + order[t] * p + q;
        a = w ? S::dfmadd(S::dset1(static_cast<double>(w[order[t]])), S::to_f64(m, xi), a)
              : S::dadd(a, S::to_f64(m, xi));
      }
      S::dstore(m, s + q, a);
    }
  }
}

// The first minimum of the ranking values r[0..NV) (lanes outside valid[v] ignored): a NaN wins
// (the first one), else the first lane equal to the minimum.
template <class S, int NV>
inline idx first_min(const typename S::V* r, const typename S::M* valid) {
  using V = typename S::V;
  using M = typename S::M;
  M nan[NV];
  bool any = false;
  for (int v = 0; v < NV; ++v) {
    nan[v] = S::unord(valid[v], r[v]);
    any |= nan[v] != 0;
  }
  if (any) {
    for (int v = 0; v < NV; ++v)
      if (nan[v]) return v * S::W + first_set(nan[v]);
  }
  V rr[NV];
  V m = S::inf();
  for (int v = 0; v < NV; ++v) {
    rr[v] = S::mask_mov(S::inf(), valid[v], r[v]);
    m = S::min(m, rr[v]);
  }
  m = S::all_min(m);
  for (int v = 0; v < NV; ++v) {
    const M hit = S::eq(valid[v], rr[v], m);
    if (hit) return v * S::W + first_set(hit);
  }
  return 0;  // unreachable
}

// The packed centres (direct_pack_size values; LD = 2·W ≤ direct_max_k): the norms cc as the
// loop's ranking vectors, then the centres' values, one vector per step of the product loop. Two
// layouts:
//  * plain (k > W/2): step q holds c_j[q] in lane j (two vectors when k > W), LD apart;
//  * pairs (k ≤ W/2, so that half a vector would idle): step u holds c_t[2u] in lane 2t and
//    c_t[2u+1] in lane 2t+1; the loop broadcasts the pair (x[2u], x[2u+1]) and so does two
//    features per FMA, and adds the lanes 2t and 2t+1 at the end (cc sits in the even lanes).
// Lanes of no centre (and the odd feature past p) hold 0.
template <class S>
bool pairs(idx k) { return k <= S::W / 2; }

template <class S>
void pack(idx k, idx p, const typename S::T* centers, const typename S::T* cc, typename S::T* packed) {
  using T = typename S::T;
  constexpr idx LD = 2 * S::W;
  static_assert(LD <= direct_max_k<T>, "direct_pack_size is sized for direct_max_k lanes per step");
  for (idx e = 0; e < direct_pack_size<T>(p); ++e) packed[e] = T(0);
  T* body = packed + LD;
  if (pairs<S>(k)) {
    for (idx t = 0; t < k; ++t) {
      packed[2 * t] = cc[t];
      for (idx q = 0; q < p; ++q) body[(q / 2) * S::W + 2 * t + (q & 1)] = centers[t * p + q];
    }
  } else {
    for (idx j = 0; j < k; ++j) {
      packed[j] = cc[j];
      for (idx q = 0; q < p; ++q) body[q * LD + j] = centers[j * p + q];
    }
  }
}

constexpr idx kPrefetchBytes = 16384;

template <class T>
inline void prefetch_rows(const T* xr, idx rows, idx p) {
  // the rows kPrefetchBytes ahead, towards L1 (x streams from memory once per step); without it
  // the AVX-512 loop ran at half its in-cache speed on data out of memory (1M×32 float32, k = 8:
  // 20 ns per row against 11; 8 KiB ahead: 11.9, 16 KiB: ~9.5, on this busy machine)
  const char* ahead = reinterpret_cast<const char*>(xr) + kPrefetchBytes;
  const idx bytes = rows * p * static_cast<idx>(sizeof(T));
  for (idx b = 0; b < bytes; b += 64) _mm_prefetch(ahead + b, _MM_HINT_T0);
}

// R rows from row i0 (plain layout): their products with the NV vectors of centres, accumulated
// over q in registers, then each row's argmin (and direct distance).
template <class S, int NV, int R>
inline void direct_group(idx i0, idx p, const typename S::T* body, const typename S::V* ccv,
                         const typename S::M* valid, const typename S::T* x, const typename S::T* centers,
                         std::int64_t* labels, typename S::T* sq_dist) {
  using V = typename S::V;
  constexpr idx LD = 2 * S::W;
  V acc[R][NV];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = S::zero();
  const typename S::T* xr = x + i0 * p;
  prefetch_rows(xr, R, p);
  for (idx q = 0; q < p; ++q) {
    V c[NV];
    for (int v = 0; v < NV; ++v) c[v] = S::load(body + q * LD + v * S::W);
    for (int r = 0; r < R; ++r) {
      const V b = S::set1(xr[r * p + q]);
      for (int v = 0; v < NV; ++v) acc[r][v] = S::fmadd(b, c[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r) {
    V rk[NV];
    for (int v = 0; v < NV; ++v) rk[v] = S::rank(ccv[v], acc[r][v]);
    const idx j = first_min<S, NV>(rk, valid);
    labels[i0 + r] = j;
    if (sq_dist) sq_dist[i0 + r] = static_cast<typename S::T>(sq_distance<S>(p, xr + r * p, centers + j * p));
  }
}

// The same in the pairs layout (k ≤ W/2): two features per FMA.
template <class S, int R>
inline void pair_group(idx i0, idx p, const typename S::T* body, typename S::V ccv, typename S::M valid,
                       const typename S::T* x, const typename S::T* centers, std::int64_t* labels,
                       typename S::T* sq_dist) {
  using V = typename S::V;
  V acc[R];
  for (int r = 0; r < R; ++r) acc[r] = S::zero();
  const typename S::T* xr = x + i0 * p;
  prefetch_rows(xr, R, p);
  const idx half = p / 2;
  for (idx u = 0; u < half; ++u) {
    const V c = S::load(body + u * S::W);
    for (int r = 0; r < R; ++r) acc[r] = S::fmadd(S::pair(xr + r * p + 2 * u), c, acc[r]);
  }
  if (p & 1) {  // the last feature alone, in the even lanes only (0·inf would be a NaN in the odd ones)
    const V c = S::load(body + half * S::W);
    for (int r = 0; r < R; ++r) acc[r] = S::fmadd_even(S::set1(xr[r * p + p - 1]), c, acc[r]);
  }
  for (int r = 0; r < R; ++r) {
    const V rk = S::rank(ccv, S::add_pairs(acc[r]));
    const idx j = first_min<S, 1>(&rk, &valid) >> 1;
    labels[i0 + r] = j;
    if (sq_dist) sq_dist[i0 + r] = static_cast<typename S::T>(sq_distance<S>(p, xr + r * p, centers + j * p));
  }
}

template <class S, int NV, int R>
void direct_rows(idx rows, idx k, idx p, const typename S::T* packed, const typename S::T* x,
                 const typename S::T* centers, const typename S::T* w, std::int64_t* labels,
                 typename S::T* sq_dist, double* sums, double* weights) {
  using V = typename S::V;
  using M = typename S::M;
  const typename S::T* body = packed + 2 * S::W;
  V ccv[NV];
  M valid[NV];
  for (int v = 0; v < NV; ++v) {
    valid[v] = S::lanes(k - v * S::W);
    ccv[v] = S::load(packed + v * S::W);
  }
  const M even_valid = static_cast<M>(S::even() & S::lanes(2 * k));
  // blocks of rows: their labels (and distances), then their sums centre by centre
  for (idx i0 = 0; i0 < rows; i0 += kGroupRows) {
    const idx i1 = rows - i0 < kGroupRows ? rows : i0 + kGroupRows;
    idx i = i0;
    if (NV == 1 && pairs<S>(k)) {
      for (; i + R <= i1; i += R) pair_group<S, R>(i, p, body, ccv[0], even_valid, x, centers, labels, sq_dist);
      for (; i < i1; ++i) pair_group<S, 1>(i, p, body, ccv[0], even_valid, x, centers, labels, sq_dist);
    } else {
      for (; i + R <= i1; i += R) direct_group<S, NV, R>(i, p, body, ccv, valid, x, centers, labels, sq_dist);
      for (; i < i1; ++i) direct_group<S, NV, 1>(i, p, body, ccv, valid, x, centers, labels, sq_dist);
    }
    group_sums<S>(i1 - i0, k, p, x + i0 * p, w ? w + i0 : nullptr, labels + i0, sums, weights);
  }
}

// k ≤ 2·W. 8 rows × 1 vector or 6 rows × 2 vectors of accumulators: enough independent FMA chains
// to cover the FMA latency, with the centres' vectors and a broadcast left in the registers (16
// ymm on AVX2, 32 zmm on AVX-512).
template <class S>
void assign_direct(idx rows, idx k, idx p, const typename S::T* packed, const typename S::T* x,
                   const typename S::T* centers, const typename S::T* w, std::int64_t* labels,
                   typename S::T* sq_dist, double* sums, double* weights) {
  if (k <= S::W)
    direct_rows<S, 1, 8>(rows, k, p, packed, x, centers, w, labels, sq_dist, sums, weights);
  else
    direct_rows<S, 2, 6>(rows, k, p, packed, x, centers, w, labels, sq_dist, sums, weights);
}

// The table distances.cpp picks from.
template <class S>
constexpr AssignDirect<typename S::T> direct_table() {
  return {2 * S::W, &pack<S>, &assign_direct<S>};
}

}  // namespace
}  // namespace detail
}  // namespace mlbasics

// distances_avx512.cpp — the k-means assignment with AVX-512 (F, DQ, BW, VL) and FMA, in two loops:
//  * assign_rows: after the GEMM, as distances_avx2.cpp but 16 floats / 8 doubles per
//    instruction with masked tails (no scalar tail): the argmin in two passes (ranking values and
//    their minimum, then the first position equal to it), the direct distance and the per-centre
//    sums 8 doubles per instruction;
//  * assign_direct: for k ≤ 2 vectors of centres (32 floats / 16 doubles) no GEMM at all: a group
//    of rows is multiplied by all k centres in registers (one broadcast x_i[q] times the column q
//    of the transposed centres per FMA), and each row's argmin is taken from its registers. At such
//    k a GEMM runs a narrow edge tile of the packed panel for little work per row, and the step is
//    bound by that per-row overhead, not by the FLOPs.
// It also has the neighbour search's filter: the first candidate below the worst kept one, 16 / 8
// candidates per compare.
// Like gemm_avx512.cpp, only reached after cpu_path() has checked CPUID and XGETBV; x86-64 builds
// only. Everything but the four exported pointers has internal linkage, and nothing here calls an
// inline library template that the linker could share with a portable TU.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports the unmasked AVX-512 intrinsics' internal undefined source operand
// (_mm512_undefined_*) as maybe-uninitialized inside avx512fintrin.h.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

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

struct F32 {
  using T = float;
  using V = __m512;
  using M = __mmask16;
  static constexpr int W = 16;
  static M lanes(idx n) { return n >= W ? M(0xFFFF) : static_cast<M>((1u << n) - 1u); }
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const T* p) { return _mm512_loadu_ps(p); }
  static V loadz(M m, const T* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(M m, T* p, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static V set1(T x) { return _mm512_set1_ps(x); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  // cc − 2·prod, one rounding (as the AVX2 loop)
  static V rank(V cc, V prod) { return _mm512_fnmadd_ps(_mm512_set1_ps(2.0f), prod, cc); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V mask_min(V src, M m, V a, V b) { return _mm512_mask_min_ps(src, m, a, b); }
  static V mask_mov(V src, M m, V a) { return _mm512_mask_mov_ps(src, m, a); }
  static M unord(M m, V a) { return _mm512_mask_cmp_ps_mask(m, a, a, _CMP_UNORD_Q); }
  static M eq(M m, V a, V b) { return _mm512_mask_cmp_ps_mask(m, a, b, _CMP_EQ_OQ); }
  static M lt(M m, V a, V b) { return _mm512_mask_cmp_ps_mask(m, a, b, _CMP_LT_OQ); }
  static V inf() { return _mm512_set1_ps(__builtin_huge_valf()); }
  // the minimum of the 16 lanes, in every lane
  static V all_min(V v) {
    V m = _mm512_min_ps(v, _mm512_shuffle_f32x4(v, v, 0x4E));
    m = _mm512_min_ps(m, _mm512_shuffle_f32x4(m, m, 0xB1));
    m = _mm512_min_ps(m, _mm512_permute_ps(m, 0x4E));
    return _mm512_min_ps(m, _mm512_permute_ps(m, 0xB1));
  }
  // 8 values from p as doubles (lanes outside m are 0)
  static __m512d to_f64(__mmask8 m, const T* p) { return _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, p)); }
  // the pairs layout: (p[0], p[1]) in every pair of lanes; the even lanes; lane 2t + lane 2t+1
  static V pair(const T* p) {
    long long bits;
    __builtin_memcpy(&bits, p, sizeof bits);
    return _mm512_castsi512_ps(_mm512_set1_epi64(bits));
  }
  static M even() { return M(0x5555); }
  static V fmadd_even(V a, V b, V c) { return _mm512_mask3_fmadd_ps(a, b, c, M(0x5555)); }
  static V add_pairs(V a) { return _mm512_add_ps(a, _mm512_permute_ps(a, 0xB1)); }
};

struct F64 {
  using T = double;
  using V = __m512d;
  using M = __mmask8;
  static constexpr int W = 8;
  static M lanes(idx n) { return n >= W ? M(0xFF) : static_cast<M>((1u << n) - 1u); }
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const T* p) { return _mm512_loadu_pd(p); }
  static V loadz(M m, const T* p) { return _mm512_maskz_loadu_pd(m, p); }
  static void store(M m, T* p, V v) { _mm512_mask_storeu_pd(p, m, v); }
  static V set1(T x) { return _mm512_set1_pd(x); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V rank(V cc, V prod) { return _mm512_fnmadd_pd(_mm512_set1_pd(2.0), prod, cc); }
  static V min(V a, V b) { return _mm512_min_pd(a, b); }
  static V mask_min(V src, M m, V a, V b) { return _mm512_mask_min_pd(src, m, a, b); }
  static V mask_mov(V src, M m, V a) { return _mm512_mask_mov_pd(src, m, a); }
  static M unord(M m, V a) { return _mm512_mask_cmp_pd_mask(m, a, a, _CMP_UNORD_Q); }
  static M eq(M m, V a, V b) { return _mm512_mask_cmp_pd_mask(m, a, b, _CMP_EQ_OQ); }
  static M lt(M m, V a, V b) { return _mm512_mask_cmp_pd_mask(m, a, b, _CMP_LT_OQ); }
  static V inf() { return _mm512_set1_pd(__builtin_huge_val()); }
  static V all_min(V v) {
    V m = _mm512_min_pd(v, _mm512_shuffle_f64x2(v, v, 0x4E));
    m = _mm512_min_pd(m, _mm512_shuffle_f64x2(m, m, 0xB1));
    return _mm512_min_pd(m, _mm512_permute_pd(m, 0x55));
  }
  static __m512d to_f64(__mmask8 m, const T* p) { return _mm512_maskz_loadu_pd(m, p); }
  static V pair(const T* p) { return _mm512_broadcast_f64x2(_mm_loadu_pd(p)); }
  static M even() { return M(0x55); }
  static V fmadd_even(V a, V b, V c) { return _mm512_mask3_fmadd_pd(a, b, c, M(0x55)); }
  static V add_pairs(V a) { return _mm512_add_pd(a, _mm512_permute_pd(a, 0x55)); }
};

inline __mmask8 lanes8(idx n) { return n >= 8 ? __mmask8(0xFF) : static_cast<__mmask8>((1u << n) - 1u); }

// ‖a − b‖² over p elements, 8 partial sums in double.
template <class S>
double sq_distance(idx p, const typename S::T* a, const typename S::T* b) {
  __m512d acc = _mm512_setzero_pd();
  for (idx q = 0; q < p; q += 8) {
    const __mmask8 m = lanes8(p - q);
    const __m512d d = _mm512_sub_pd(S::to_f64(m, a + q), S::to_f64(m, b + q));
    acc = _mm512_fmadd_pd(d, d, acc);
  }
  return _mm512_reduce_add_pd(acc);
}

// s[q] += w·x[q] (or += x[q] without weights) in double.
template <class S>
void add_row(idx p, const typename S::T* xi, const double* wi, double* s) {
  for (idx q = 0; q < p; q += 8) {
    const __mmask8 m = lanes8(p - q);
    const __m512d xv = S::to_f64(m, xi + q);
    const __m512d sv = _mm512_maskz_loadu_pd(m, s + q);
    _mm512_mask_storeu_pd(s + q, m, wi ? _mm512_fmadd_pd(_mm512_set1_pd(*wi), xv, sv) : _mm512_add_pd(sv, xv));
  }
}

// Everything after the argmin of row i: its label, direct distance, and its share of the sums.
template <class S>
inline void finish_row(idx i, idx j, idx p, const typename S::T* x, const typename S::T* centers,
                       const typename S::T* w, std::int64_t* labels, typename S::T* sq_dist, double* sums,
                       double* weights) {
  using T = typename S::T;
  const T* xi = x + i * p;
  labels[i] = j;
  if (sq_dist) sq_dist[i] = static_cast<T>(sq_distance<S>(p, xi, centers + j * p));
  if (w) {
    const double wi = static_cast<double>(w[i]);
    add_row<S>(p, xi, &wi, sums + j * p);
    weights[j] += wi;
  } else {
    add_row<S>(p, xi, nullptr, sums + j * p);
    weights[j] += 1.0;
  }
}

// The sums and weights of `rows` labelled rows, centre by centre: the rows of each centre (in
// row order, as finish_row would add them) are summed in registers, then added to the centre's
// sums once. No read-modify-write of a centre's sums from one row to the next: those make a chain
// through memory whenever two nearby rows share a centre (often, when k is small), and the
// loads of the next rows wait on it. k ≤ kGroupMaxK, rows ≤ kGroupRows.
constexpr idx kGroupMaxK = direct_max_k<float>;
constexpr idx kGroupRows = 256;
template <class S>
void group_sums(idx rows, idx k, idx p, const typename S::T* x, const typename S::T* w,
                const std::int64_t* labels, double* sums, double* weights) {
  using T = typename S::T;
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
    double wsum = weights[j];  // added in row order, as finish_row does
    if (w) {
      for (int t = b; t < e; ++t) wsum += static_cast<double>(w[order[t]]);
    } else {
      for (int t = b; t < e; ++t) wsum += 1.0;
    }
    weights[j] = wsum;
    idx q = 0;
    for (; q + 32 <= p; q += 32) {  // four vectors of sums at a time
      __m512d a0 = _mm512_loadu_pd(s + q), a1 = _mm512_loadu_pd(s + q + 8);
      __m512d a2 = _mm512_loadu_pd(s + q + 16), a3 = _mm512_loadu_pd(s + q + 24);
      for (int t = b; t < e; ++t) {
        const T* xi = x + order[t] * p + q;
        if (w) {
          const __m512d wi = _mm512_set1_pd(static_cast<double>(w[order[t]]));
          a0 = _mm512_fmadd_pd(wi, S::to_f64(0xFF, xi), a0);
          a1 = _mm512_fmadd_pd(wi, S::to_f64(0xFF, xi + 8), a1);
          a2 = _mm512_fmadd_pd(wi, S::to_f64(0xFF, xi + 16), a2);
          a3 = _mm512_fmadd_pd(wi, S::to_f64(0xFF, xi + 24), a3);
        } else {
          a0 = _mm512_add_pd(a0, S::to_f64(0xFF, xi));
          a1 = _mm512_add_pd(a1, S::to_f64(0xFF, xi + 8));
          a2 = _mm512_add_pd(a2, S::to_f64(0xFF, xi + 16));
          a3 = _mm512_add_pd(a3, S::to_f64(0xFF, xi + 24));
        }
      }
      _mm512_storeu_pd(s + q, a0);
      _mm512_storeu_pd(s + q + 8, a1);
      _mm512_storeu_pd(s + q + 16, a2);
      _mm512_storeu_pd(s + q + 24, a3);
    }
    for (; q < p; q += 8) {
      const __mmask8 m = lanes8(p - q);
      __m512d a = _mm512_maskz_loadu_pd(m, s + q);
      for (int t = b; t < e; ++t) {
        const T* xi = x + order[t] * p + q;
        a = w ? _mm512_fmadd_pd(_mm512_set1_pd(static_cast<double>(w[order[t]])), S::to_f64(m, xi), a)
              : _mm512_add_pd(a, S::to_f64(m, xi));
      }
      _mm512_mask_storeu_pd(s + q, m, a);
    }
  }
}

// ---------------------------------------------------------------- after the GEMM

// The contract's argmin of cc[j] − 2·prod[j] over k values; prod is overwritten with them.
template <class S>
idx argmin(idx k, const typename S::T* cc, typename S::T* prod) {
  using V = typename S::V;
  using M = typename S::M;
  constexpr int W = S::W;
  // pass 1: ranking values (stored back), their minimum (two chains), any NaN
  V m0 = S::inf(), m1 = S::inf();
  M nan = 0;
  idx t = 0;
  for (; t + 2 * W <= k; t += 2 * W) {
    const V d0 = S::rank(S::load(cc + t), S::load(prod + t));
    const V d1 = S::rank(S::load(cc + t + W), S::load(prod + t + W));
    S::store(M(~M(0)), prod + t, d0);
    S::store(M(~M(0)), prod + t + W, d1);
    nan |= S::unord(M(~M(0)), d0) | S::unord(M(~M(0)), d1);
    m0 = S::min(m0, d0);
    m1 = S::min(m1, d1);
  }
  for (; t < k; t += W) {
    const M lm = S::lanes(k - t);
    const V d = S::rank(S::loadz(lm, cc + t), S::loadz(lm, prod + t));
    S::store(lm, prod + t, d);
    nan |= S::unord(lm, d);
    m0 = S::mask_min(m0, lm, m0, d);
  }
  if (nan) {  // the contract's NaN rule on the stored ranking values: the first NaN wins
    for (idx u = 0; u < k; ++u)
      if (prod[u] != prod[u]) return u;
  }
  const V mv = S::all_min(S::min(m0, m1));
  // pass 2: the first position equal to the minimum
  for (t = 0; t < k; t += W) {
    const M lm = S::lanes(k - t);
    const M hit = S::eq(lm, S::loadz(lm, prod + t), mv);
    if (hit) return t + first_set(hit);
  }
  return 0;  // unreachable: the minimum is one of the values
}

template <class S>
void assign_rows(idx rows, idx k, idx ldp, idx p, typename S::T* prod, const typename S::T* cc,
                 const typename S::T* x, const typename S::T* centers, const typename S::T* w,
                 std::int64_t* labels, typename S::T* sq_dist, double* sums, double* weights) {
  for (idx i = 0; i < rows; ++i)
    finish_row<S>(i, argmin<S>(k, cc, prod + i * ldp), p, x, centers, w, labels, sq_dist, sums, weights);
}

// ---------------------------------------------------------------- direct, k ≤ 2 vectors

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

// The packed centres (direct_pack_size values): the norms cc as the loop's ranking vectors, then
// the centres' values, one vector per step of the product loop. Two layouts:
//  * plain (k > W/2): step q holds c_j[q] in lane j (two vectors when k > W);
//  * pairs (k ≤ W/2, so that half a vector would idle): step u holds c_t[2u] in lane 2t and
//    c_t[2u+1] in lane 2t+1; the loop broadcasts the pair (x[2u], x[2u+1]) and so does two
//    features per FMA, and adds the lanes 2t and 2t+1 at the end (cc sits in the even lanes).
// Lanes of no centre (and the odd feature past p) hold 0.
template <class S>
bool pairs(idx k) { return k <= S::W / 2; }

template <class S>
void pack(idx k, idx p, const typename S::T* centers, const typename S::T* cc, typename S::T* packed) {
  using T = typename S::T;
  constexpr idx LD = direct_max_k<T>;
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
  // the loop ran at half its in-cache speed on data out of memory (1M×32 float32, k = 8: 20 ns
  // per row against 11; 8 KiB ahead: 11.9, 16 KiB: ~9.5, on this busy machine)
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
  constexpr idx LD = direct_max_k<typename S::T>;
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
  const typename S::T* body = packed + direct_max_k<typename S::T>;
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

template <class S>
void assign_direct(idx rows, idx k, idx p, const typename S::T* packed, const typename S::T* x,
                   const typename S::T* centers, const typename S::T* w, std::int64_t* labels,
                   typename S::T* sq_dist, double* sums, double* weights) {
  // 8 rows × 1 vector or 6 rows × 2 vectors of accumulators: enough independent FMA chains to
  // cover the FMA latency, with the centres' vectors and a broadcast left in the 32 registers.
  if (k <= S::W)
    direct_rows<S, 1, 8>(rows, k, p, packed, x, centers, w, labels, sq_dist, sums, weights);
  else
    direct_rows<S, 2, 6>(rows, k, p, packed, x, centers, w, labels, sq_dist, sums, weights);
}

// ---------------------------------------------------------------- neighbours

template <class S>
idx next_below(idx c, idx cols, const typename S::T* yy, const typename S::T* v, typename S::T top) {
  using V = typename S::V;
  using M = typename S::M;
  const V tv = S::set1(top);
  for (; c < cols; c += S::W) {
    const M lm = S::lanes(cols - c);
    const V val = S::rank(S::loadz(lm, yy + c), S::loadz(lm, v + c));  // yy − 2v, as the scalar loop
    const M hit = S::lt(lm, val, tv);
    if (hit) return c + first_set(hit);
  }
  return cols;
}

template <class S>
void group_minima(idx cols, const typename S::T* yy, const typename S::T* v, typename S::T* out) {
  using V = typename S::V;
  using M = typename S::M;
  constexpr int NACC = static_cast<int>(kGroupMinima) / S::W;  // groups: lane × accumulator
  V m[NACC];
  for (int a = 0; a < NACC; ++a) m[a] = S::inf();
  idx c = 0;
  for (; c + NACC * S::W <= cols; c += NACC * S::W)
    for (int a = 0; a < NACC; ++a) {
      const V val = S::rank(S::load(yy + c + a * S::W), S::load(v + c + a * S::W));
      m[a] = S::mask_min(m[a], static_cast<M>(~S::unord(M(~M(0)), val)), m[a], val);
    }
  for (int a = 0; c < cols; c += S::W, ++a) {
    const M lm = S::lanes(cols - c);
    const V val = S::rank(S::loadz(lm, yy + c), S::loadz(lm, v + c));
    m[a] = S::mask_min(m[a], static_cast<M>(lm & ~S::unord(lm, val)), m[a], val);
  }
  for (int a = 0; a < NACC; ++a) S::store(M(~M(0)), out + a * S::W, m[a]);
}

}  // namespace

const GroupMinima<float> group_minima_avx512_f32 = &group_minima<F32>;
const GroupMinima<double> group_minima_avx512_f64 = &group_minima<F64>;
const NextBelow<float> next_below_avx512_f32 = &next_below<F32>;
const NextBelow<double> next_below_avx512_f64 = &next_below<F64>;
const AssignRows<float> assign_rows_avx512_f32 = &assign_rows<F32>;
const AssignRows<double> assign_rows_avx512_f64 = &assign_rows<F64>;
const AssignDirect<float> assign_direct_avx512_f32 = {&pack<F32>, &assign_direct<F32>};
const AssignDirect<double> assign_direct_avx512_f64 = {&pack<F64>, &assign_direct<F64>};

}  // namespace detail
}  // namespace mlbasics

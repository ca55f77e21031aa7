// distances_avx512.cpp — the k-means assignment with AVX-512 (F, DQ, BW, VL) and FMA, in two loops:
//  * assign_rows: after the GEMM, as distances_avx2.cpp but 16 floats / 8 doubles per
//    instruction with masked tails (no scalar tail): the argmin in two passes (ranking values and
//    their minimum, then the first position equal to it), the direct distance and the per-centre
//    sums 8 doubles per instruction;
//  * assign_direct: for k ≤ 2 vectors of centres (32 floats / 16 doubles) no GEMM at all: the
//    loop of distances_direct.hpp (shared with the AVX2 TU) on the traits below.
// It also has the neighbour search's filter: the first candidate below the worst kept one, 16 / 8
// candidates per compare.
// Like gemm_avx512.cpp, only reached after cpu_path() has checked CPUID and XGETBV; x86-64 builds
// only. Everything but the exported pointers and tables has internal linkage, and nothing here calls an
// inline library template that the linker could share with a portable TU.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports the unmasked AVX-512 intrinsics' internal undefined source operand
// (_mm512_undefined_*) as maybe-uninitialized inside avx512fintrin.h, and, depending on inlining,
// as uninitialized (_mm512_reduce_add_pd in sq_distance).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "distances_direct.hpp"
#include "distances_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

// The double vectors of both element types' loops (per-centre sums and direct distances), DW per
// vector.
struct D512 {
  using DV = __m512d;
  using DM = __mmask8;
  static constexpr int DW = 8;
  static constexpr int kSumVectors = 4;
  static DM dlanes(idx n) { return n >= DW ? DM(0xFF) : static_cast<DM>((1u << n) - 1u); }
  static DV dzero() { return _mm512_setzero_pd(); }
  static DV dload(const double* p) { return _mm512_loadu_pd(p); }
  static DV dloadz(DM m, const double* p) { return _mm512_maskz_loadu_pd(m, p); }
  static void dstore(double* p, DV v) { _mm512_storeu_pd(p, v); }
  static void dstore(DM m, double* p, DV v) { _mm512_mask_storeu_pd(p, m, v); }
  static DV dset1(double x) { return _mm512_set1_pd(x); }
  static DV dadd(DV a, DV b) { return _mm512_add_pd(a, b); }
  static DV dsub(DV a, DV b) { return _mm512_sub_pd(a, b); }
  static DV dfmadd(DV a, DV b, DV c) { return _mm512_fmadd_pd(a, b, c); }
  static double dsum(DV v) { return _mm512_reduce_add_pd(v); }
};

struct F32 : D512 {
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
  static __m512d to_f64(const T* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
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

struct F64 : D512 {
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
  static __m512d to_f64(const T* p) { return _mm512_loadu_pd(p); }
  static V pair(const T* p) { return _mm512_broadcast_f64x2(_mm_loadu_pd(p)); }
  static M even() { return M(0x55); }
  static V fmadd_even(V a, V b, V c) { return _mm512_mask3_fmadd_pd(a, b, c, M(0x55)); }
  static V add_pairs(V a) { return _mm512_add_pd(a, _mm512_permute_pd(a, 0x55)); }
};

inline __mmask8 lanes8(idx n) { return n >= 8 ? __mmask8(0xFF) : static_cast<__mmask8>((1u << n) - 1u); }

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
const AssignDirect<float> assign_direct_avx512_f32 = direct_table<F32>();
const AssignDirect<double> assign_direct_avx512_f64 = direct_table<F64>();

}  // namespace detail
}  // namespace mlbasics

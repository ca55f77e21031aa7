// distances_avx2.cpp — the k-means assignment loop with AVX2/FMA: the argmin runs 8 floats or
// 4 doubles per instruction (a minimum, then the first position equal to it), and the direct
// distance accumulates 4 doubles per FMA. For k ≤ 2 vectors of centres (16 floats / 8 doubles)
// there is no GEMM at all: the direct loop of distances_direct.hpp (shared with the AVX-512 TU) on
// the traits below, its lane masks as bit masks (movemask) turned back into vectors for blends.
// Like gemm_avx2.cpp, only reached after cpu_path() has checked CPUID and XGETBV; x86-64 builds
// only. Everything but the exported pointers and tables has internal linkage.
#include <immintrin.h>

#include <limits>
#include <type_traits>

#include "distances_direct.hpp"
#include "distances_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

// The AVX2 argmin in two passes over the row, with no index bookkeeping: (1) d = cc − 2·prod
// into the row's own scratch (prod), a vector minimum and a NaN flag; (2) the first position
// equal to that minimum (a compare and a movemask per vector). The first equal position is the
// contract's first minimum (−0 and +0 compare equal, as in np.argmin). A row holding a NaN goes
// to the scalar loop (the contract's NaN rule). Rows of fewer than one vector use the scalar loop.
// The double vectors of both element types' loops (per-centre sums and direct distances): DW per
// vector; a DM holds all-ones in the lanes it keeps.
struct D256 {
  using DV = __m256d;
  using DM = __m256i;
  static constexpr int DW = 4;
  static constexpr int kSumVectors = 8;
  static DM dlanes(idx n) {
    return n >= DW ? _mm256_set1_epi64x(-1) : _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static DV dzero() { return _mm256_setzero_pd(); }
  static DV dload(const double* p) { return _mm256_loadu_pd(p); }
  static DV dloadz(DM m, const double* p) { return _mm256_maskload_pd(p, m); }
  static void dstore(double* p, DV v) { _mm256_storeu_pd(p, v); }
  static void dstore(DM m, double* p, DV v) { _mm256_maskstore_pd(p, m, v); }
  static DV dset1(double x) { return _mm256_set1_pd(x); }
  static DV dadd(DV a, DV b) { return _mm256_add_pd(a, b); }
  static DV dsub(DV a, DV b) { return _mm256_sub_pd(a, b); }
  static DV dfmadd(DV a, DV b, DV c) { return _mm256_fmadd_pd(a, b, c); }
  static double dsum(DV v) {
    const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
};

struct F32 : D256 {
  using T = float;
  using V = __m256;
  using M = unsigned;  // bit t = lane t
  static constexpr int L = 8;
  static constexpr int W = 8;
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
  static V set1(T x) { return _mm256_set1_ps(x); }
  static V rank(V cc, V prod) { return _mm256_fnmadd_ps(_mm256_set1_ps(2.0f), prod, cc); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V unord(V a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static V unord(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_UNORD_Q); }  // a NaN in either
  static V eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static V or_(V a, V b) { return _mm256_or_ps(a, b); }
  static int mask(V a) { return _mm256_movemask_ps(a); }
  static T hmin(V v) {
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
  }
  // the direct loop's operations (see distances_direct.hpp)
  static M lanes(idx n) { return n >= W ? M(0xFF) : (1u << n) - 1u; }
  static V zero() { return _mm256_setzero_ps(); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V from_bits(M m) {
    const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(m)), sel), sel));
  }
  static V mask_mov(V src, M m, V a) { return _mm256_blendv_ps(src, a, from_bits(m)); }
  static M unord(M m, V a) { return static_cast<M>(_mm256_movemask_ps(_mm256_cmp_ps(a, a, _CMP_UNORD_Q))) & m; }
  static M eq(M m, V a, V b) { return static_cast<M>(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_EQ_OQ))) & m; }
  static V inf() { return _mm256_set1_ps(__builtin_huge_valf()); }
  static V all_min(V v) {
    V m = _mm256_min_ps(v, _mm256_permute2f128_ps(v, v, 0x01));
    m = _mm256_min_ps(m, _mm256_permute_ps(m, 0x4E));
    return _mm256_min_ps(m, _mm256_permute_ps(m, 0xB1));
  }
  static V pair(const T* p) {
    long long bits;
    __builtin_memcpy(&bits, p, sizeof bits);
    return _mm256_castsi256_ps(_mm256_set1_epi64x(bits));
  }
  static M even() { return 0x55u; }
  static V fmadd_even(V a, V b, V c) { return _mm256_blend_ps(c, _mm256_fmadd_ps(a, b, c), 0x55); }
  static V add_pairs(V a) { return _mm256_add_ps(a, _mm256_permute_ps(a, 0xB1)); }
  static DV to_f64(const T* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
  static DV to_f64(DM m, const T* p) {  // the low half of each 64-bit mask lane as the float mask
    const __m128i m32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(m, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7)));
    return _mm256_cvtps_pd(_mm_maskload_ps(p, m32));
  }
};

struct F64 : D256 {
  using T = double;
  using V = __m256d;
  using M = unsigned;  // bit t = lane t
  static constexpr int L = 4;
  static constexpr int W = 4;
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
  static V set1(T x) { return _mm256_set1_pd(x); }
  static V rank(V cc, V prod) { return _mm256_fnmadd_pd(_mm256_set1_pd(2.0), prod, cc); }
  static V min(V a, V b) { return _mm256_min_pd(a, b); }
  static V unord(V a) { return _mm256_cmp_pd(a, a, _CMP_UNORD_Q); }
  static V unord(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_UNORD_Q); }  // a NaN in either
  static V eq(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
  static V or_(V a, V b) { return _mm256_or_pd(a, b); }
  static int mask(V a) { return _mm256_movemask_pd(a); }
  static T hmin(V v) {
    __m128d m = _mm_min_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    m = _mm_min_sd(m, _mm_unpackhi_pd(m, m));
    return _mm_cvtsd_f64(m);
  }
  // the direct loop's operations (see distances_direct.hpp)
  static M lanes(idx n) { return n >= W ? M(0xF) : (1u << n) - 1u; }
  static V zero() { return _mm256_setzero_pd(); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V from_bits(M m) {
    const __m256i sel = _mm256_setr_epi64x(1, 2, 4, 8);
    return _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_and_si256(_mm256_set1_epi64x(static_cast<long long>(m)), sel), sel));
  }
  static V mask_mov(V src, M m, V a) { return _mm256_blendv_pd(src, a, from_bits(m)); }
  static M unord(M m, V a) { return static_cast<M>(_mm256_movemask_pd(_mm256_cmp_pd(a, a, _CMP_UNORD_Q))) & m; }
  static M eq(M m, V a, V b) { return static_cast<M>(_mm256_movemask_pd(_mm256_cmp_pd(a, b, _CMP_EQ_OQ))) & m; }
  static V inf() { return _mm256_set1_pd(__builtin_huge_val()); }
  static V all_min(V v) {
    const V m = _mm256_min_pd(v, _mm256_permute2f128_pd(v, v, 0x01));
    return _mm256_min_pd(m, _mm256_permute_pd(m, 0x5));
  }
  static V pair(const T* p) { return _mm256_broadcast_pd(reinterpret_cast<const __m128d*>(p)); }
  static M even() { return 0x5u; }
  static V fmadd_even(V a, V b, V c) { return _mm256_blend_pd(c, _mm256_fmadd_pd(a, b, c), 0x5); }
  static V add_pairs(V a) { return _mm256_add_pd(a, _mm256_permute_pd(a, 0x5)); }
  static DV to_f64(const T* p) { return _mm256_loadu_pd(p); }
  static DV to_f64(DM m, const T* p) { return _mm256_maskload_pd(p, m); }
};

template <class S>
std::ptrdiff_t argmin(std::ptrdiff_t k, const typename S::T* cc, typename S::T* prod) {
  using T = typename S::T;
  using V = typename S::V;
  constexpr int L = S::L;
  if (k < L) return argmin_scalar(k, cc, prod);
  V m = S::rank(S::load(cc), S::load(prod));
  V nan = S::unord(m);
  S::store(prod, m);
  std::ptrdiff_t j = L;
  // Four vectors per step into four running minima: one chain of minimum instructions waits on
  // their latency (kmeans_step on 10⁶×32 float64, k = 256, 1 thread, Zen 5: 343 → 338 ms, the
  // best of 7, three interleaved runs). The minimum of the four is the row's minimum value
  // whatever the order (a NaN sends the row to the scalar loop; −0 and +0 compare equal in the
  // second pass).
  V m1 = S::set1(std::numeric_limits<T>::infinity()), m2 = m1, m3 = m1;
  for (; j + 4 * L <= k; j += 4 * L) {
    const V d0 = S::rank(S::load(cc + j), S::load(prod + j));
    const V d1 = S::rank(S::load(cc + j + L), S::load(prod + j + L));
    const V d2 = S::rank(S::load(cc + j + 2 * L), S::load(prod + j + 2 * L));
    const V d3 = S::rank(S::load(cc + j + 3 * L), S::load(prod + j + 3 * L));
    S::store(prod + j, d0);
    S::store(prod + j + L, d1);
    S::store(prod + j + 2 * L, d2);
    S::store(prod + j + 3 * L, d3);
    m = S::min(m, d0);
    m1 = S::min(m1, d1);
    m2 = S::min(m2, d2);
    m3 = S::min(m3, d3);
    nan = S::or_(nan, S::or_(S::unord(d0, d1), S::unord(d2, d3)));
  }
  m = S::min(S::min(m, m1), S::min(m2, m3));
  for (; j + L <= k; j += L) {
    const V d = S::rank(S::load(cc + j), S::load(prod + j));
    S::store(prod + j, d);
    m = S::min(m, d);
    nan = S::or_(nan, S::unord(d));
  }
  T mv = S::hmin(m);
  bool has_nan = S::mask(nan) != 0;
  for (std::ptrdiff_t t = j; t < k; ++t) {  // the tail, in scalars
    const T d = cc[t] - T(2) * prod[t];
    prod[t] = d;
    has_nan |= d != d;
    mv = d < mv ? d : mv;
  }
  if (has_nan) {  // prod now holds the ranking values: the scalar loop on them (cc = 0, prod = −d/2)
    std::ptrdiff_t b = 0;
    for (std::ptrdiff_t t = 1; t < k && prod[b] == prod[b]; ++t)
      if (prod[t] < prod[b] || prod[t] != prod[t]) b = t;
    return b;
  }
  const V mvv = S::set1(mv);
  for (std::ptrdiff_t t = 0; t + L <= k; t += L) {
    const int hit = S::mask(S::eq(S::load(prod + t), mvv));
    if (hit) return t + first_set(hit);
  }
  for (std::ptrdiff_t t = j; t < k; ++t)
    if (prod[t] == mv) return t;
  return 0;  // unreachable: mv is one of the values
}

inline __m256d load4(const float* a) { return _mm256_cvtps_pd(_mm_loadu_ps(a)); }
inline __m256d load4(const double* a) { return _mm256_loadu_pd(a); }

// ‖a − b‖² over p elements, four partial sums in double, the tail in scalars.
template <class T>
double row_sq_distance(std::ptrdiff_t p, const T* a, const T* b) {
  __m256d acc = _mm256_setzero_pd();
  std::ptrdiff_t q = 0;
  for (; q + 4 <= p; q += 4) {
    const __m256d d = _mm256_sub_pd(load4(a + q), load4(b + q));
    acc = _mm256_fmadd_pd(d, d, acc);
  }
  alignas(32) double part[4];
  _mm256_store_pd(part, acc);
  double s = (part[0] + part[1]) + (part[2] + part[3]);
  for (; q < p; ++q) {
    const double d = static_cast<double>(a[q]) - static_cast<double>(b[q]);
    s += d * d;
  }
  return s;
}

template <class T>
void assign_rows(std::ptrdiff_t rows, std::ptrdiff_t k, std::ptrdiff_t ldp, std::ptrdiff_t p, T* prod, const T* cc,
                 const T* x, const T* centers, const T* w, std::int64_t* labels, T* sq_dist, double* sums,
                 double* weights) {
  for (std::ptrdiff_t i = 0; i < rows; ++i) {
    const std::ptrdiff_t j = argmin<std::conditional_t<sizeof(T) == 4, F32, F64>>(k, cc, prod + i * ldp);
    const T* xi = x + i * p;
    labels[i] = j;
    if (sq_dist) sq_dist[i] = static_cast<T>(row_sq_distance(p, xi, centers + j * p));
    const double wi = w ? static_cast<double>(w[i]) : 1.0;
    add_row(p, xi, wi, sums + j * p);
    weights[j] += wi;
  }
}

}  // namespace

const AssignRows<float> assign_rows_avx2_f32 = &assign_rows<float>;
const AssignRows<double> assign_rows_avx2_f64 = &assign_rows<double>;
const AssignDirect<float> assign_direct_avx2_f32 = direct_table<F32>();
const AssignDirect<double> assign_direct_avx2_f64 = direct_table<F64>();

}  // namespace detail
}  // namespace mlbasics

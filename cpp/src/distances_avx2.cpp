// distances_avx2.cpp — the k-means assignment loop with AVX2/FMA: the argmin runs 8 floats or
// 4 doubles per instruction (a minimum, then the first position equal to it), and the direct
// distance accumulates 4 doubles per FMA. Like gemm_avx2.cpp, only reached after cpu_path() has checked
// CPUID and XGETBV; x86-64 builds only.
#include <immintrin.h>

#include <type_traits>

#include "distances_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

// The AVX2 argmin in two passes over the row, with no index bookkeeping: (1) d = cc − 2·prod
// into the row's own scratch (prod), a vector minimum and a NaN flag; (2) the first position
// equal to that minimum (a compare and a movemask per vector). The first equal position is the
// contract's first minimum (−0 and +0 compare equal, as in np.argmin). A row holding a NaN goes
// to the scalar loop (the contract's NaN rule). Rows of fewer than one vector use the scalar loop.
struct F32 {
  using T = float;
  using V = __m256;
  static constexpr int L = 8;
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
  static V set1(T x) { return _mm256_set1_ps(x); }
  static V rank(V cc, V prod) { return _mm256_fnmadd_ps(_mm256_set1_ps(2.0f), prod, cc); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V unord(V a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static V eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static V or_(V a, V b) { return _mm256_or_ps(a, b); }
  static int mask(V a) { return _mm256_movemask_ps(a); }
  static T hmin(V v) {
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
  }
};

struct F64 {
  using T = double;
  using V = __m256d;
  static constexpr int L = 4;
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
  static V set1(T x) { return _mm256_set1_pd(x); }
  static V rank(V cc, V prod) { return _mm256_fnmadd_pd(_mm256_set1_pd(2.0), prod, cc); }
  static V min(V a, V b) { return _mm256_min_pd(a, b); }
  static V unord(V a) { return _mm256_cmp_pd(a, a, _CMP_UNORD_Q); }
  static V eq(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
  static V or_(V a, V b) { return _mm256_or_pd(a, b); }
  static int mask(V a) { return _mm256_movemask_pd(a); }
  static T hmin(V v) {
    __m128d m = _mm_min_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    m = _mm_min_sd(m, _mm_unpackhi_pd(m, m));
    return _mm_cvtsd_f64(m);
  }
};

inline int first_set(int mask) {
#if defined(_MSC_VER) && !defined(__clang__)
  unsigned long i;
  _BitScanForward(&i, static_cast<unsigned long>(mask));
  return static_cast<int>(i);
#else
  return __builtin_ctz(static_cast<unsigned>(mask));
#endif
}

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

// ‖a − b‖² over p elements, four partial sums in double.
template <class T>
double sq_distance(std::ptrdiff_t p, const T* a, const T* b) {
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
    if (sq_dist) sq_dist[i] = static_cast<T>(sq_distance(p, xi, centers + j * p));
    const double wi = w ? static_cast<double>(w[i]) : 1.0;
    add_row(p, xi, wi, sums + j * p);
    weights[j] += wi;
  }
}

}  // namespace

const AssignRows<float> assign_rows_avx2_f32 = &assign_rows<float>;
const AssignRows<double> assign_rows_avx2_f64 = &assign_rows<double>;

}  // namespace detail
}  // namespace mlbasics

// distances_avx2.cpp — the k-means assignment loop with AVX2/FMA: the argmin runs 8 floats or
// 4 doubles per compare, tracking each lane's best index with blends, and the direct distance
// accumulates 4 doubles per FMA. Like gemm_avx2.cpp, only reached after cpu_path() has checked
// CPUID and XGETBV; x86-64 builds only.
#include <immintrin.h>

#include "distances_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

// Index of the first minimum of cc[j] − 2·prod[j], j < k; a row that holds a NaN goes to the
// scalar loop (the contract's NaN rule). Lanes keep the first minimum of their own indices; the
// final reduction takes the smallest value and, among equal values, the smallest index.
std::ptrdiff_t argmin(std::ptrdiff_t k, const float* cc, const float* prod) {
  if (k < 16) return argmin_scalar(k, cc, prod);
  const __m256 two = _mm256_set1_ps(2.0f);
  __m256 best = _mm256_fnmadd_ps(two, _mm256_loadu_ps(prod), _mm256_loadu_ps(cc));
  __m256i at = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i idx = at;
  const __m256i step = _mm256_set1_epi32(8);
  __m256 nan = _mm256_cmp_ps(best, best, _CMP_UNORD_Q);
  std::ptrdiff_t j = 8;
  for (; j + 8 <= k; j += 8) {
    idx = _mm256_add_epi32(idx, step);
    const __m256 d = _mm256_fnmadd_ps(two, _mm256_loadu_ps(prod + j), _mm256_loadu_ps(cc + j));
    const __m256 lt = _mm256_cmp_ps(d, best, _CMP_LT_OQ);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(d, d, _CMP_UNORD_Q));
    best = _mm256_blendv_ps(best, d, lt);
    at = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(at), _mm256_castsi256_ps(idx), lt));
  }
  alignas(32) float bv[8];
  alignas(32) std::int32_t bi[8];
  _mm256_store_ps(bv, best);
  _mm256_store_si256(reinterpret_cast<__m256i*>(bi), at);
  bool has_nan = _mm256_movemask_ps(nan) != 0;
  std::ptrdiff_t b = bi[0];
  float v = bv[0];
  for (int l = 1; l < 8; ++l) {  // selects, not branches (the winning lane is unpredictable)
    const bool better = (bv[l] < v) | ((bv[l] == v) & (bi[l] < b));
    v = better ? bv[l] : v;
    b = better ? bi[l] : b;
  }
  for (; j < k; ++j) {
    const float d = cc[j] - 2.0f * prod[j];
    has_nan |= d != d;
    const bool lt = d < v;
    v = lt ? d : v;
    b = lt ? j : b;
  }
  return has_nan ? argmin_scalar(k, cc, prod) : b;
}

std::ptrdiff_t argmin(std::ptrdiff_t k, const double* cc, const double* prod) {
  if (k < 8) return argmin_scalar(k, cc, prod);
  const __m256d two = _mm256_set1_pd(2.0);
  __m256d best = _mm256_fnmadd_pd(two, _mm256_loadu_pd(prod), _mm256_loadu_pd(cc));
  __m256i at = _mm256_setr_epi64x(0, 1, 2, 3);
  __m256i idx = at;
  const __m256i step = _mm256_set1_epi64x(4);
  __m256d nan = _mm256_cmp_pd(best, best, _CMP_UNORD_Q);
  std::ptrdiff_t j = 4;
  for (; j + 4 <= k; j += 4) {
    idx = _mm256_add_epi64(idx, step);
    const __m256d d = _mm256_fnmadd_pd(two, _mm256_loadu_pd(prod + j), _mm256_loadu_pd(cc + j));
    const __m256d lt = _mm256_cmp_pd(d, best, _CMP_LT_OQ);
    nan = _mm256_or_pd(nan, _mm256_cmp_pd(d, d, _CMP_UNORD_Q));
    best = _mm256_blendv_pd(best, d, lt);
    at = _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(at), _mm256_castsi256_pd(idx), lt));
  }
  alignas(32) double bv[4];
  alignas(32) std::int64_t bi[4];
  _mm256_store_pd(bv, best);
  _mm256_store_si256(reinterpret_cast<__m256i*>(bi), at);
  bool has_nan = _mm256_movemask_pd(nan) != 0;
  std::ptrdiff_t b = static_cast<std::ptrdiff_t>(bi[0]);
  double v = bv[0];
  for (int l = 1; l < 4; ++l) {
    const bool better = (bv[l] < v) | ((bv[l] == v) & (bi[l] < b));
    v = better ? bv[l] : v;
    b = better ? static_cast<std::ptrdiff_t>(bi[l]) : b;
  }
  for (; j < k; ++j) {
    const double d = cc[j] - 2.0 * prod[j];
    has_nan |= d != d;
    const bool lt = d < v;
    v = lt ? d : v;
    b = lt ? j : b;
  }
  return has_nan ? argmin_scalar(k, cc, prod) : b;
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
void assign_rows(std::ptrdiff_t rows, std::ptrdiff_t k, std::ptrdiff_t ldp, std::ptrdiff_t p, const T* prod, const T* cc,
                 const T* x, const T* centers, const T* w, std::int64_t* labels, T* sq_dist, double* sums,
                 double* weights) {
  for (std::ptrdiff_t i = 0; i < rows; ++i) {
    const std::ptrdiff_t j = argmin(k, cc, prod + i * ldp);
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

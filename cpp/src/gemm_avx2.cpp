// gemm_avx2.cpp — AVX2 + FMA micro-kernels. The only file compiled with -mavx2 -mfma; its
// functions are called only after cpu_path() has checked CPUID and XGETBV.
//
// float: 6×16 tile = 6 rows × 2 ymm = 12 accumulators; per k step 2 aligned loads of the B
// micro-panel and 6 broadcasts of A. double: 6×8 tile, same shape in 4-wide vectors.
#include <immintrin.h>

#include "gemm_kernels.hpp"

namespace mlbasics {
namespace detail {

static_assert(Blocking<float>::MR == 6 && Blocking<float>::NR == 16, "kernel is 6x16");
static_assert(Blocking<double>::MR == 6 && Blocking<double>::NR == 8, "kernel is 6x8");

namespace {

template <class T, int MR, int NR>
inline void store_edge(const T* acc, T* c, index_t ldc, int mr, int nr, bool add) {
  for (int i = 0; i < mr; ++i) {
    T* ci = c + i * ldc;
    if (add) {
      for (int j = 0; j < nr; ++j) ci[j] += acc[i * NR + j];
    } else {
      for (int j = 0; j < nr; ++j) ci[j] = acc[i * NR + j];
    }
  }
}

}  // namespace

void ukernel_avx2_f32(index_t kc, const float* ap, const float* bp, float* c, index_t ldc,
                      int mr, int nr, bool add) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  const float* a = ap;
  const float* b = bp;
  // Warm the C tile while the rank-1 updates run (its rows are ldc apart).
  for (int i = 0; i < mr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
  }

#define MLB_STEP_F32(A, B)                                 \
  {                                                        \
    const __m256 b0 = _mm256_load_ps(B);                   \
    const __m256 b1 = _mm256_load_ps((B) + 8);             \
    __m256 av = _mm256_broadcast_ss(A);                    \
    c00 = _mm256_fmadd_ps(av, b0, c00);                    \
    c01 = _mm256_fmadd_ps(av, b1, c01);                    \
    av = _mm256_broadcast_ss((A) + 1);                     \
    c10 = _mm256_fmadd_ps(av, b0, c10);                    \
    c11 = _mm256_fmadd_ps(av, b1, c11);                    \
    av = _mm256_broadcast_ss((A) + 2);                     \
    c20 = _mm256_fmadd_ps(av, b0, c20);                    \
    c21 = _mm256_fmadd_ps(av, b1, c21);                    \
    av = _mm256_broadcast_ss((A) + 3);                     \
    c30 = _mm256_fmadd_ps(av, b0, c30);                    \
    c31 = _mm256_fmadd_ps(av, b1, c31);                    \
    av = _mm256_broadcast_ss((A) + 4);                     \
    c40 = _mm256_fmadd_ps(av, b0, c40);                    \
    c41 = _mm256_fmadd_ps(av, b1, c41);                    \
    av = _mm256_broadcast_ss((A) + 5);                     \
    c50 = _mm256_fmadd_ps(av, b0, c50);                    \
    c51 = _mm256_fmadd_ps(av, b1, c51);                    \
  }

  index_t p = 0;
  for (; p + 4 <= kc; p += 4, a += 24, b += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 256), _MM_HINT_T0);
    MLB_STEP_F32(a, b)
    MLB_STEP_F32(a + 6, b + 16)
    _mm_prefetch(reinterpret_cast<const char*>(a + 96), _MM_HINT_T0);
    MLB_STEP_F32(a + 12, b + 32)
    MLB_STEP_F32(a + 18, b + 48)
  }
  for (; p < kc; ++p, a += 6, b += 16) MLB_STEP_F32(a, b)
#undef MLB_STEP_F32

  if (mr == 6 && nr == 16) {
    float* r0 = c;
    float* r1 = c + ldc;
    float* r2 = c + 2 * ldc;
    float* r3 = c + 3 * ldc;
    float* r4 = c + 4 * ldc;
    float* r5 = c + 5 * ldc;
    if (add) {
      c00 = _mm256_add_ps(c00, _mm256_loadu_ps(r0));
      c01 = _mm256_add_ps(c01, _mm256_loadu_ps(r0 + 8));
      c10 = _mm256_add_ps(c10, _mm256_loadu_ps(r1));
      c11 = _mm256_add_ps(c11, _mm256_loadu_ps(r1 + 8));
      c20 = _mm256_add_ps(c20, _mm256_loadu_ps(r2));
      c21 = _mm256_add_ps(c21, _mm256_loadu_ps(r2 + 8));
      c30 = _mm256_add_ps(c30, _mm256_loadu_ps(r3));
      c31 = _mm256_add_ps(c31, _mm256_loadu_ps(r3 + 8));
      c40 = _mm256_add_ps(c40, _mm256_loadu_ps(r4));
      c41 = _mm256_add_ps(c41, _mm256_loadu_ps(r4 + 8));
      c50 = _mm256_add_ps(c50, _mm256_loadu_ps(r5));
      c51 = _mm256_add_ps(c51, _mm256_loadu_ps(r5 + 8));
    }
    _mm256_storeu_ps(r0, c00);
    _mm256_storeu_ps(r0 + 8, c01);
    _mm256_storeu_ps(r1, c10);
    _mm256_storeu_ps(r1 + 8, c11);
    _mm256_storeu_ps(r2, c20);
    _mm256_storeu_ps(r2 + 8, c21);
    _mm256_storeu_ps(r3, c30);
    _mm256_storeu_ps(r3 + 8, c31);
    _mm256_storeu_ps(r4, c40);
    _mm256_storeu_ps(r4 + 8, c41);
    _mm256_storeu_ps(r5, c50);
    _mm256_storeu_ps(r5 + 8, c51);
    return;
  }
  alignas(32) float t[6 * 16];
  _mm256_store_ps(t + 0, c00);
  _mm256_store_ps(t + 8, c01);
  _mm256_store_ps(t + 16, c10);
  _mm256_store_ps(t + 24, c11);
  _mm256_store_ps(t + 32, c20);
  _mm256_store_ps(t + 40, c21);
  _mm256_store_ps(t + 48, c30);
  _mm256_store_ps(t + 56, c31);
  _mm256_store_ps(t + 64, c40);
  _mm256_store_ps(t + 72, c41);
  _mm256_store_ps(t + 80, c50);
  _mm256_store_ps(t + 88, c51);
  store_edge<float, 6, 16>(t, c, ldc, mr, nr, add);
}

void ukernel_avx2_f64(index_t kc, const double* ap, const double* bp, double* c, index_t ldc,
                      int mr, int nr, bool add) {
  __m256d c00 = _mm256_setzero_pd(), c01 = _mm256_setzero_pd();
  __m256d c10 = _mm256_setzero_pd(), c11 = _mm256_setzero_pd();
  __m256d c20 = _mm256_setzero_pd(), c21 = _mm256_setzero_pd();
  __m256d c30 = _mm256_setzero_pd(), c31 = _mm256_setzero_pd();
  __m256d c40 = _mm256_setzero_pd(), c41 = _mm256_setzero_pd();
  __m256d c50 = _mm256_setzero_pd(), c51 = _mm256_setzero_pd();
  const double* a = ap;
  const double* b = bp;
  // Warm the C tile while the rank-1 updates run (its rows are ldc apart).
  for (int i = 0; i < mr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
  }

#define MLB_STEP_F64(A, B)                                 \
  {                                                        \
    const __m256d b0 = _mm256_load_pd(B);                  \
    const __m256d b1 = _mm256_load_pd((B) + 4);            \
    __m256d av = _mm256_broadcast_sd(A);                   \
    c00 = _mm256_fmadd_pd(av, b0, c00);                    \
    c01 = _mm256_fmadd_pd(av, b1, c01);                    \
    av = _mm256_broadcast_sd((A) + 1);                     \
    c10 = _mm256_fmadd_pd(av, b0, c10);                    \
    c11 = _mm256_fmadd_pd(av, b1, c11);                    \
    av = _mm256_broadcast_sd((A) + 2);                     \
    c20 = _mm256_fmadd_pd(av, b0, c20);                    \
    c21 = _mm256_fmadd_pd(av, b1, c21);                    \
    av = _mm256_broadcast_sd((A) + 3);                     \
    c30 = _mm256_fmadd_pd(av, b0, c30);                    \
    c31 = _mm256_fmadd_pd(av, b1, c31);                    \
    av = _mm256_broadcast_sd((A) + 4);                     \
    c40 = _mm256_fmadd_pd(av, b0, c40);                    \
    c41 = _mm256_fmadd_pd(av, b1, c41);                    \
    av = _mm256_broadcast_sd((A) + 5);                     \
    c50 = _mm256_fmadd_pd(av, b0, c50);                    \
    c51 = _mm256_fmadd_pd(av, b1, c51);                    \
  }

  index_t p = 0;
  for (; p + 4 <= kc; p += 4, a += 24, b += 32) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 128), _MM_HINT_T0);
    MLB_STEP_F64(a, b)
    MLB_STEP_F64(a + 6, b + 8)
    _mm_prefetch(reinterpret_cast<const char*>(a + 96), _MM_HINT_T0);
    MLB_STEP_F64(a + 12, b + 16)
    MLB_STEP_F64(a + 18, b + 24)
  }
  for (; p < kc; ++p, a += 6, b += 8) MLB_STEP_F64(a, b)
#undef MLB_STEP_F64

  if (mr == 6 && nr == 8) {
    double* r0 = c;
    double* r1 = c + ldc;
    double* r2 = c + 2 * ldc;
    double* r3 = c + 3 * ldc;
    double* r4 = c + 4 * ldc;
    double* r5 = c + 5 * ldc;
    if (add) {
      c00 = _mm256_add_pd(c00, _mm256_loadu_pd(r0));
      c01 = _mm256_add_pd(c01, _mm256_loadu_pd(r0 + 4));
      c10 = _mm256_add_pd(c10, _mm256_loadu_pd(r1));
      c11 = _mm256_add_pd(c11, _mm256_loadu_pd(r1 + 4));
      c20 = _mm256_add_pd(c20, _mm256_loadu_pd(r2));
      c21 = _mm256_add_pd(c21, _mm256_loadu_pd(r2 + 4));
      c30 = _mm256_add_pd(c30, _mm256_loadu_pd(r3));
      c31 = _mm256_add_pd(c31, _mm256_loadu_pd(r3 + 4));
      c40 = _mm256_add_pd(c40, _mm256_loadu_pd(r4));
      c41 = _mm256_add_pd(c41, _mm256_loadu_pd(r4 + 4));
      c50 = _mm256_add_pd(c50, _mm256_loadu_pd(r5));
      c51 = _mm256_add_pd(c51, _mm256_loadu_pd(r5 + 4));
    }
    _mm256_storeu_pd(r0, c00);
    _mm256_storeu_pd(r0 + 4, c01);
    _mm256_storeu_pd(r1, c10);
    _mm256_storeu_pd(r1 + 4, c11);
    _mm256_storeu_pd(r2, c20);
    _mm256_storeu_pd(r2 + 4, c21);
    _mm256_storeu_pd(r3, c30);
    _mm256_storeu_pd(r3 + 4, c31);
    _mm256_storeu_pd(r4, c40);
    _mm256_storeu_pd(r4 + 4, c41);
    _mm256_storeu_pd(r5, c50);
    _mm256_storeu_pd(r5 + 4, c51);
    return;
  }
  alignas(32) double t[6 * 8];
  _mm256_store_pd(t + 0, c00);
  _mm256_store_pd(t + 4, c01);
  _mm256_store_pd(t + 8, c10);
  _mm256_store_pd(t + 12, c11);
  _mm256_store_pd(t + 16, c20);
  _mm256_store_pd(t + 20, c21);
  _mm256_store_pd(t + 24, c30);
  _mm256_store_pd(t + 28, c31);
  _mm256_store_pd(t + 32, c40);
  _mm256_store_pd(t + 36, c41);
  _mm256_store_pd(t + 40, c50);
  _mm256_store_pd(t + 44, c51);
  store_edge<double, 6, 8>(t, c, ldc, mr, nr, add);
}

}  // namespace detail
}  // namespace mlbasics

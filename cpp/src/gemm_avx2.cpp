// gemm_avx2.cpp — AVX2 + FMA micro-kernels. The only file compiled with -mavx2 -mfma; its
// functions are called only after cpu_path() has checked CPUID and XGETBV.
//
// float: 6×16 tile = 6 rows × 2 ymm = 12 accumulators; per k step 2 aligned loads of the B
// micro-panel and 6 broadcasts of A. double: 6×8 tile, same shape in 4-wide vectors.
// Each kernel also comes in a half-width form (one ymm per row) used for edge tiles with
// nr <= NR/2 (e.g. n = 10 outputs), and in an unpacked-A form (ukernel_avx2_ua_*) that
// broadcasts straight from the rows of a row-major A, for problems too small to amortize
// packing A (see use_unpacked_a in gemm.cpp).
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

// UA == false: ap is a packed A micro-panel (element (i, p) at ap[p*6 + i]).
// UA == true: ap points at A(0, 0) of an unpacked row-major tile (element (i, p) at
// ap[i*rs_a + p]); rows i >= mr are never read (their accumulators use row 0 and are dropped).
template <bool UA, bool HALF>
static inline void kernel_f32(index_t kc, const float* ap, index_t rs_a, const float* bp, float* c,
                              index_t ldc, int mr, int nr, bool add) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  const float* a = ap;
  const float* b = bp;
  // Unpacked A: one pointer per row; rows past mr alias row 0 (always valid, results unused).
  const float* const u0 = ap;
  const float* const u1 = UA && mr > 1 ? ap + 1 * rs_a : ap;
  const float* const u2 = UA && mr > 2 ? ap + 2 * rs_a : ap;
  const float* const u3 = UA && mr > 3 ? ap + 3 * rs_a : ap;
  const float* const u4 = UA && mr > 4 ? ap + 4 * rs_a : ap;
  const float* const u5 = UA && mr > 5 ? ap + 5 * rs_a : ap;
  // Warm the C tile while the rank-1 updates run (its rows are ldc apart).
  for (int i = 0; i < mr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
  }

#define MLB_STEP_F32(A, B, Q, ODD)                                         \
  {                                                                         \
    const __m256 b0 = _mm256_load_ps(B);                                    \
    const __m256 b1 = HALF ? b0 : _mm256_load_ps((B) + 8);                  \
    __m256 av = _mm256_broadcast_ss(UA ? u0 + (Q) : (A));                   \
    if (HALF && (ODD)) c01 = _mm256_fmadd_ps(av, b0, c01);                  \
    else c00 = _mm256_fmadd_ps(av, b0, c00);                                \
    if (!HALF) c01 = _mm256_fmadd_ps(av, b1, c01);                          \
    av = _mm256_broadcast_ss(UA ? u1 + (Q) : (A) + 1);                      \
    if (HALF && (ODD)) c11 = _mm256_fmadd_ps(av, b0, c11);                  \
    else c10 = _mm256_fmadd_ps(av, b0, c10);                                \
    if (!HALF) c11 = _mm256_fmadd_ps(av, b1, c11);                          \
    av = _mm256_broadcast_ss(UA ? u2 + (Q) : (A) + 2);                      \
    if (HALF && (ODD)) c21 = _mm256_fmadd_ps(av, b0, c21);                  \
    else c20 = _mm256_fmadd_ps(av, b0, c20);                                \
    if (!HALF) c21 = _mm256_fmadd_ps(av, b1, c21);                          \
    av = _mm256_broadcast_ss(UA ? u3 + (Q) : (A) + 3);                      \
    if (HALF && (ODD)) c31 = _mm256_fmadd_ps(av, b0, c31);                  \
    else c30 = _mm256_fmadd_ps(av, b0, c30);                                \
    if (!HALF) c31 = _mm256_fmadd_ps(av, b1, c31);                          \
    av = _mm256_broadcast_ss(UA ? u4 + (Q) : (A) + 4);                      \
    if (HALF && (ODD)) c41 = _mm256_fmadd_ps(av, b0, c41);                  \
    else c40 = _mm256_fmadd_ps(av, b0, c40);                                \
    if (!HALF) c41 = _mm256_fmadd_ps(av, b1, c41);                          \
    av = _mm256_broadcast_ss(UA ? u5 + (Q) : (A) + 5);                      \
    if (HALF && (ODD)) c51 = _mm256_fmadd_ps(av, b0, c51);                  \
    else c50 = _mm256_fmadd_ps(av, b0, c50);                                \
    if (!HALF) c51 = _mm256_fmadd_ps(av, b1, c51);                          \
  }

  index_t p = 0;
  for (; p + 4 <= kc; p += 4, a += 24, b += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 256), _MM_HINT_T0);
    MLB_STEP_F32(a, b, p, 0)
    MLB_STEP_F32(a + 6, b + 16, p + 1, 1)
    if (!UA) _mm_prefetch(reinterpret_cast<const char*>(a + 96), _MM_HINT_T0);
    MLB_STEP_F32(a + 12, b + 32, p + 2, 0)
    MLB_STEP_F32(a + 18, b + 48, p + 3, 1)
  }
  for (; p < kc; ++p, a += 6, b += 16) MLB_STEP_F32(a, b, p, 0)
#undef MLB_STEP_F32
  if (HALF) {  // odd k steps went to the (otherwise unused) second column of accumulators
    c00 = _mm256_add_ps(c00, c01);
    c10 = _mm256_add_ps(c10, c11);
    c20 = _mm256_add_ps(c20, c21);
    c30 = _mm256_add_ps(c30, c31);
    c40 = _mm256_add_ps(c40, c41);
    c50 = _mm256_add_ps(c50, c51);
  }

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

// UA == false: ap is a packed A micro-panel (element (i, p) at ap[p*6 + i]).
// UA == true: ap points at A(0, 0) of an unpacked row-major tile (element (i, p) at
// ap[i*rs_a + p]); rows i >= mr are never read (their accumulators use row 0 and are dropped).
template <bool UA, bool HALF>
static inline void kernel_f64(index_t kc, const double* ap, index_t rs_a, const double* bp, double* c,
                              index_t ldc, int mr, int nr, bool add) {
  __m256d c00 = _mm256_setzero_pd(), c01 = _mm256_setzero_pd();
  __m256d c10 = _mm256_setzero_pd(), c11 = _mm256_setzero_pd();
  __m256d c20 = _mm256_setzero_pd(), c21 = _mm256_setzero_pd();
  __m256d c30 = _mm256_setzero_pd(), c31 = _mm256_setzero_pd();
  __m256d c40 = _mm256_setzero_pd(), c41 = _mm256_setzero_pd();
  __m256d c50 = _mm256_setzero_pd(), c51 = _mm256_setzero_pd();
  const double* a = ap;
  const double* b = bp;
  // Unpacked A: one pointer per row; rows past mr alias row 0 (always valid, results unused).
  const double* const u0 = ap;
  const double* const u1 = UA && mr > 1 ? ap + 1 * rs_a : ap;
  const double* const u2 = UA && mr > 2 ? ap + 2 * rs_a : ap;
  const double* const u3 = UA && mr > 3 ? ap + 3 * rs_a : ap;
  const double* const u4 = UA && mr > 4 ? ap + 4 * rs_a : ap;
  const double* const u5 = UA && mr > 5 ? ap + 5 * rs_a : ap;
  // Warm the C tile while the rank-1 updates run (its rows are ldc apart).
  for (int i = 0; i < mr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
  }

#define MLB_STEP_F64(A, B, Q, ODD)                                         \
  {                                                                         \
    const __m256d b0 = _mm256_load_pd(B);                                   \
    const __m256d b1 = HALF ? b0 : _mm256_load_pd((B) + 4);                 \
    __m256d av = _mm256_broadcast_sd(UA ? u0 + (Q) : (A));                  \
    if (HALF && (ODD)) c01 = _mm256_fmadd_pd(av, b0, c01);                  \
    else c00 = _mm256_fmadd_pd(av, b0, c00);                                \
    if (!HALF) c01 = _mm256_fmadd_pd(av, b1, c01);                          \
    av = _mm256_broadcast_sd(UA ? u1 + (Q) : (A) + 1);                      \
    if (HALF && (ODD)) c11 = _mm256_fmadd_pd(av, b0, c11);                  \
    else c10 = _mm256_fmadd_pd(av, b0, c10);                                \
    if (!HALF) c11 = _mm256_fmadd_pd(av, b1, c11);                          \
    av = _mm256_broadcast_sd(UA ? u2 + (Q) : (A) + 2);                      \
    if (HALF && (ODD)) c21 = _mm256_fmadd_pd(av, b0, c21);                  \
    else c20 = _mm256_fmadd_pd(av, b0, c20);                                \
    if (!HALF) c21 = _mm256_fmadd_pd(av, b1, c21);                          \
    av = _mm256_broadcast_sd(UA ? u3 + (Q) : (A) + 3);                      \
    if (HALF && (ODD)) c31 = _mm256_fmadd_pd(av, b0, c31);                  \
    else c30 = _mm256_fmadd_pd(av, b0, c30);                                \
    if (!HALF) c31 = _mm256_fmadd_pd(av, b1, c31);                          \
    av = _mm256_broadcast_sd(UA ? u4 + (Q) : (A) + 4);                      \
    if (HALF && (ODD)) c41 = _mm256_fmadd_pd(av, b0, c41);                  \
    else c40 = _mm256_fmadd_pd(av, b0, c40);                                \
    if (!HALF) c41 = _mm256_fmadd_pd(av, b1, c41);                          \
    av = _mm256_broadcast_sd(UA ? u5 + (Q) : (A) + 5);                      \
    if (HALF && (ODD)) c51 = _mm256_fmadd_pd(av, b0, c51);                  \
    else c50 = _mm256_fmadd_pd(av, b0, c50);                                \
    if (!HALF) c51 = _mm256_fmadd_pd(av, b1, c51);                          \
  }

  index_t p = 0;
  for (; p + 4 <= kc; p += 4, a += 24, b += 32) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 128), _MM_HINT_T0);
    MLB_STEP_F64(a, b, p, 0)
    MLB_STEP_F64(a + 6, b + 8, p + 1, 1)
    if (!UA) _mm_prefetch(reinterpret_cast<const char*>(a + 96), _MM_HINT_T0);
    MLB_STEP_F64(a + 12, b + 16, p + 2, 0)
    MLB_STEP_F64(a + 18, b + 24, p + 3, 1)
  }
  for (; p < kc; ++p, a += 6, b += 8) MLB_STEP_F64(a, b, p, 0)
#undef MLB_STEP_F64
  if (HALF) {  // odd k steps went to the (otherwise unused) second column of accumulators
    c00 = _mm256_add_pd(c00, c01);
    c10 = _mm256_add_pd(c10, c11);
    c20 = _mm256_add_pd(c20, c21);
    c30 = _mm256_add_pd(c30, c31);
    c40 = _mm256_add_pd(c40, c41);
    c50 = _mm256_add_pd(c50, c51);
  }

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

void ukernel_avx2_f32(index_t kc, const float* ap, const float* bp, float* c, index_t ldc,
                      int mr, int nr, bool add) {
  if (nr <= 8) kernel_f32<false, true>(kc, ap, 0, bp, c, ldc, mr, nr, add);
  else kernel_f32<false, false>(kc, ap, 0, bp, c, ldc, mr, nr, add);
}
void ukernel_avx2_f64(index_t kc, const double* ap, const double* bp, double* c, index_t ldc,
                      int mr, int nr, bool add) {
  if (nr <= 4) kernel_f64<false, true>(kc, ap, 0, bp, c, ldc, mr, nr, add);
  else kernel_f64<false, false>(kc, ap, 0, bp, c, ldc, mr, nr, add);
}
void ukernel_avx2_ua_f32(index_t kc, const float* a, index_t rs_a, const float* bp, float* c, index_t ldc,
                         int mr, int nr, bool add) {
  if (nr <= 8) kernel_f32<true, true>(kc, a, rs_a, bp, c, ldc, mr, nr, add);
  else kernel_f32<true, false>(kc, a, rs_a, bp, c, ldc, mr, nr, add);
}
void ukernel_avx2_ua_f64(index_t kc, const double* a, index_t rs_a, const double* bp, double* c, index_t ldc,
                         int mr, int nr, bool add) {
  if (nr <= 4) kernel_f64<true, true>(kc, a, rs_a, bp, c, ldc, mr, nr, add);
  else kernel_f64<true, false>(kc, a, rs_a, bp, c, ldc, mr, nr, add);
}

}  // namespace detail
}  // namespace mlbasics

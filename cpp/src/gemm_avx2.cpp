// gemm_avx2.cpp — AVX2 + FMA micro-kernels. The only file compiled with -mavx2 -mfma; its
// functions are called only after cpu_path() has checked CPUID and XGETBV.
//
// One kernel, written once over the element type: a ymm register holds L = 8 floats or 4
// doubles (the Ymm<T> traits below), and the register tile is MR = 6 rows × NR = 2·L columns —
// 6×16 for float, 6×8 for double — i.e. 6 rows × 2 ymm = 12 accumulators; per k step 2 aligned
// loads of the B micro-panel and 6 broadcasts of A.
// The kernel also comes in a half-width form (one ymm per row) used for edge tiles with
// nr <= NR/2 (e.g. n = 10 outputs), and in an unpacked-A form (ukernel_avx2_ua_*) that
// broadcasts straight from the rows of a row-major A, for problems too small to amortize
// packing A (see use_unpacked_a in gemm.cpp).
//
// A last strip of at most 4 rows runs a 4-row tile (8 accumulators); with A read in place, the
// driver cuts a last 7 or 8 rows into two such strips (ua_split_tail = 2) rather than 6 + 1 or 2.
//
// The accumulators are a small array indexed only by constants once the row loops are unrolled
// (MLB_UNROLL), so the compiler keeps all 12 in registers; the depth loop is not unrolled
// (MLB_NO_UNROLL, see kernel below).
#include <immintrin.h>

#include "gemm_kernels.hpp"
#include "gemm_gemv.hpp"
#include "gemm_pack_cols.hpp"

#if defined(__clang__)
#define MLB_UNROLL _Pragma("unroll")
#define MLB_NO_UNROLL _Pragma("nounroll")
#elif defined(__GNUC__)
#define MLB_UNROLL _Pragma("GCC unroll 16")
#define MLB_NO_UNROLL _Pragma("GCC unroll 1")
#else
#define MLB_UNROLL
#define MLB_NO_UNROLL
#endif

namespace mlbasics {
namespace detail {
namespace {

// The AVX2/FMA operations the kernel needs, per element type: Ymm<float> (8 lanes, _ps
// intrinsics) and Ymm<double> (4 lanes, _pd), both spelled out by this one macro.
template <class T>
struct Ymm;

#define MLB_YMM_TRAITS(T, VEC, LANES, PS, SS)                                          \
  template <>                                                                          \
  struct Ymm<T> {                                                                      \
    using V = VEC;                                                                     \
    static constexpr int L = LANES;                                                    \
    static V zero() { return _mm256_setzero_##PS(); }                                  \
    static V load(const T* p) { return _mm256_load_##PS(p); } /* 32-byte aligned */    \
    static V loadu(const T* p) { return _mm256_loadu_##PS(p); }                        \
    static void store(T* p, V v) { _mm256_store_##PS(p, v); }                          \
    static void storeu(T* p, V v) { _mm256_storeu_##PS(p, v); }                        \
    static V broadcast(const T* p) { return _mm256_broadcast_##SS(p); }                \
    static V fmadd(V a, V b, V c) { return _mm256_fmadd_##PS(a, b, c); }               \
    static V add(V a, V b) { return _mm256_add_##PS(a, b); }                           \
  };
MLB_YMM_TRAITS(float, __m256, 8, ps, ss)
MLB_YMM_TRAITS(double, __m256d, 4, pd, sd)
#undef MLB_YMM_TRAITS


// UA == false: ap is a packed A micro-panel (element (i, p) at ap[p*6 + i]).
// UA == true: ap points at A(0, 0) of an unpacked row-major tile (element (i, p) at
// ap[i*rs_a + p]); rows i >= mr are never read (their accumulators use row 0 and are dropped).
// HALF: nr <= L, only the first ymm column of B is used; the odd k steps then accumulate into
// the otherwise unused second column (two independent FMA chains), summed at the end.
template <class T, bool UA, bool HALF, int ROWS>
inline void kernel(index_t kc, const T* ap, index_t rs_a, const T* bp, T* c, index_t ldc, int mr, int nr,
                   bool add) {
  using Y = Ymm<T>;
  using V = typename Y::V;
  constexpr int MR = 6, L = Y::L, NR = 2 * L;  // MR: the packed panel's height (its stride)

  V acc[ROWS][2];
  MLB_UNROLL
  for (int i = 0; i < ROWS; ++i) acc[i][0] = acc[i][1] = Y::zero();
  // Unpacked A: one pointer per row; rows past mr alias row 0 (always valid, results unused).
  const T* u[ROWS];
  MLB_UNROLL
  for (int i = 0; i < ROWS; ++i) u[i] = UA && mr > i ? ap + i * rs_a : ap;
  // Warm the C tile while the rank-1 updates run (its rows are ldc apart).
  for (int i = 0; i < mr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
  }

  // One rank-1 update: k step q, packed A column at a, B row at b.
  const auto step = [&](const T* a, const T* b, index_t q, bool odd) {
    const V b0 = Y::load(b);
    const V b1 = HALF ? b0 : Y::load(b + L);
    MLB_UNROLL
    for (int i = 0; i < ROWS; ++i) {
      const V av = Y::broadcast(UA ? u[i] + q : a + i);
      if (HALF && odd) acc[i][1] = Y::fmadd(av, b0, acc[i][1]);
      else acc[i][0] = Y::fmadd(av, b0, acc[i][0]);
      if (!HALF) acc[i][1] = Y::fmadd(av, b1, acc[i][1]);
    }
  };

  // U steps per iteration of the depth loop, which GCC is told not to unroll further. With 4
  // steps per iteration everywhere (as before), GCC 12 interleaved them and ran out of the 16 ymm
  // registers: 2 accumulators spilled to the stack and 4 register moves per iteration. One step
  // per iteration measured 2–4% faster on packed panels (1024³ against OpenBLAS, Zen 5, 1 thread:
  // float64 0.96 → 0.99–1.00×, float32 0.95 → 0.97–0.99×). Unpacked A streams the rows of a
  // large X from memory, and there fewer, longer iterations read it faster (X·W over 10⁵×100
  // float64, 10 columns: 8 columns 7.8 ms with one step, 6.1 with two; the 2 others 5.1 ms with
  // two, 4.2 with four). The half-width tile needs an even U (one step per chain).
  // Packed A and B̃ are prefetched 16 steps ahead; with unpacked A they are not: B̃ is then one
  // small panel, and prefetches past its end went to memory while the rows of A streamed in.
  const T* a = ap;
  const T* b = bp;
  index_t p = 0;
  constexpr int U = HALF ? (UA ? 4 : 2) : (UA ? 2 : 1);
  MLB_NO_UNROLL
  for (; p + U <= kc; p += U, a += U * MR, b += U * NR) {
    if (!UA) {
      _mm_prefetch(reinterpret_cast<const char*>(b + 16 * NR), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(a + 16 * MR), _MM_HINT_T0);
    }
    MLB_UNROLL
    for (int q = 0; q < U; ++q) step(a + q * MR, b + q * NR, p + q, q % 2 == 1);
  }
  for (; p < kc; ++p, a += MR, b += NR) step(a, b, p, false);
  if (HALF) {
    MLB_UNROLL
    for (int i = 0; i < ROWS; ++i) acc[i][0] = Y::add(acc[i][0], acc[i][1]);
  }

  if (mr == ROWS && nr == NR) {
    MLB_UNROLL
    for (int i = 0; i < ROWS; ++i) {
      T* ci = c + i * ldc;
      if (add) {
        acc[i][0] = Y::add(acc[i][0], Y::loadu(ci));
        acc[i][1] = Y::add(acc[i][1], Y::loadu(ci + L));
      }
      Y::storeu(ci, acc[i][0]);
      Y::storeu(ci + L, acc[i][1]);
    }
    return;
  }
  alignas(32) T t[ROWS * NR];
  MLB_UNROLL
  for (int i = 0; i < ROWS; ++i) {
    Y::store(t + i * NR, acc[i][0]);
    Y::store(t + i * NR + L, acc[i][1]);
  }
  store_tile<T, ROWS, NR>(t, c, ldc, mr, nr, add);
}

// Full or half width by the tile's nr; a last strip of at most 4 rows (m = 64 leaves 4 after ten
// strips of 6) runs a 4-row tile instead of computing 6 rows and dropping 2.
template <class T, bool UA>
inline void kernel_for_width(index_t kc, const T* ap, index_t rs_a, const T* bp, T* c, index_t ldc, int mr, int nr,
                             bool add) {
  const bool half = nr <= Ymm<T>::L;
  if (mr <= 4) {
    if (half) kernel<T, UA, true, 4>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
    else kernel<T, UA, false, 4>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
  } else if (half) {
    kernel<T, UA, true, 6>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
  } else {
    kernel<T, UA, false, 6>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
  }
}

// ---------------------------------------------------------------- transposing pack

// The 8×8 float block at s (row i at s + i*ld) transposed into d (row c at d + c*ldd). The unpacks
// transpose within each 128-bit lane, leaving for every group g of 4 source rows a vector v[g][e]
// whose lane j holds column 4j + e of those rows; a 128-bit lane permute then pairs lane j of the
// two groups. (Float only: 4×4 double blocks measured slower than the driver's loops.)
inline void transpose_block(const float* s, index_t ld, float* d, index_t ldd) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(s + i * ld);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // per lane: a0 b0 a1 b1
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // per lane: a2 b2 a3 b3
  }
  __m256 v[2][4];  // v[g][e]: lane j = column 4j + e of rows 4g..4g+3
  for (int g = 0; g < 2; ++g) {
    const __m256d t0 = _mm256_castps_pd(t[4 * g]), t1 = _mm256_castps_pd(t[4 * g + 1]);
    const __m256d t2 = _mm256_castps_pd(t[4 * g + 2]), t3 = _mm256_castps_pd(t[4 * g + 3]);
    v[g][0] = _mm256_castpd_ps(_mm256_unpacklo_pd(t0, t2));
    v[g][1] = _mm256_castpd_ps(_mm256_unpackhi_pd(t0, t2));
    v[g][2] = _mm256_castpd_ps(_mm256_unpacklo_pd(t1, t3));
    v[g][3] = _mm256_castpd_ps(_mm256_unpackhi_pd(t1, t3));
  }
  for (int e = 0; e < 4; ++e) {
    _mm256_storeu_ps(d + e * ldd, _mm256_permute2f128_ps(v[0][e], v[1][e], 0x20));
    _mm256_storeu_ps(d + (4 + e) * ldd, _mm256_permute2f128_ps(v[0][e], v[1][e], 0x31));
  }
}

// pack_rows_fn: whole panels of a height that is a multiple of L go L×L block by block; a partial
// last panel and the depth tail below L use the element loop. Other heights (the A panels, MR = 6)
// are left to the driver's loops (returns false).
template <class T>
bool pack_rows(int r, index_t len, index_t kc, const T* x, index_t s_i, T* dst) {
  constexpr int L = Ymm<T>::L;
  if (r % L != 0) return false;
  for (index_t ir = 0; ir < len; ir += r, dst += r * kc) {
    const index_t rows = len - ir < r ? len - ir : r;
    const T* src = x + ir * s_i;
    index_t p = 0;
    if (rows == r) {
      for (; p + L <= kc; p += L)
        for (int g = 0; g < r; g += L) transpose_block(src + g * s_i + p, s_i, dst + p * r + g, r);
    }
    for (; p < kc; ++p) {
      T* d = dst + p * r;
      for (index_t i = 0; i < rows; ++i) d[i] = src[i * s_i + p];
      for (index_t i = rows; i < r; ++i) d[i] = T(0);
    }
  }
  return true;
}

void ukernel_avx2_f32(index_t kc, const float* ap, const float* bp, float* c, index_t ldc, int mr, int nr,
                      bool add) {
  kernel_for_width<float, false>(kc, ap, 0, bp, c, ldc, mr, nr, add);
}
void ukernel_avx2_f64(index_t kc, const double* ap, const double* bp, double* c, index_t ldc, int mr, int nr,
                      bool add) {
  kernel_for_width<double, false>(kc, ap, 0, bp, c, ldc, mr, nr, add);
}
void ukernel_avx2_ua_f32(index_t kc, const float* a, index_t rs_a, const float* bp, float* c, index_t ldc,
                         int mr, int nr, bool add) {
  kernel_for_width<float, true>(kc, a, rs_a, bp, c, ldc, mr, nr, add);
}
void ukernel_avx2_ua_f64(index_t kc, const double* a, index_t rs_a, const double* bp, double* c, index_t ldc,
                         int mr, int nr, bool add) {
  kernel_for_width<double, true>(kc, a, rs_a, bp, c, ldc, mr, nr, add);
}

}  // namespace

// 6×16 / 6×8 tiles; KC·NR·sizeof(T) = 16 KiB of B micro-panel in L1, MC·KC = 144 KiB (f32) /
// 144 KiB (f64) of packed A in L2. Edge tiles of at most NR/2 columns use the half-width kernel.
// Float B panels are packed by 8×8 transposes where B is transposed (64×256 · (784×256)ᵀ:
// 99–102 → 109–111 GFLOP/s on Zen 5, thread CPU time); double keeps the driver's loops (measured
// 52–53 → 48–49 with 4×4 blocks). No strided-A kernel: 6-row A panels do not tile a B̃ panel of
// 16 or 8 columns, so the Gram product packs A (see kernel_sa in gemm_kernels.hpp).
const GemmContext<float> gemm_context_avx2_f32 = {"avx2", 6, 16, 256, 144, 4080, 8, &ukernel_avx2_f32,
                                                  &ukernel_avx2_ua_f32, &pack_rows<float>, &pack_cols<float>,
                                                  &gemv_rows<float>, nullptr, 2};
const GemmContext<double> gemm_context_avx2_f64 = {"avx2", 6, 8, 256, 72, 4080, 4, &ukernel_avx2_f64,
                                                   &ukernel_avx2_ua_f64, nullptr, &pack_cols<double>,
                                                   &gemv_rows<double>, nullptr, 2};

}  // namespace detail
}  // namespace mlbasics

// gemm_avx512.cpp — AVX-512 micro-kernels (F, DQ, BW, VL + FMA). The only GEMM file compiled with
// AVX-512 flags; its functions are called only after cpu_path() has checked CPUID (leaf 7:
// AVX512F/DQ/BW/VL) and XGETBV (opmask and zmm state saved by the OS).
//
// One kernel over the element type: a zmm register holds L = 16 floats or 8 doubles (Zmm<T>
// below), and the register tile is MR rows × NV zmm columns (NR = NV·L), with MR·NV accumulators
// out of the 32 zmm registers; per k step NV aligned loads of the B micro-panel and MR broadcasts
// of A. Edge tiles use the same code with fewer zmm columns (NVU < NV, chosen by the tile's nr)
// and masked loads/stores for the last partial vector, so every column of C gets the same
// sequence of FMAs whatever the width of its tile (split_nr = 0: no half-width kernel with other
// rounding, unlike the AVX2 family). Rows past mr are computed from the zero-padded packed A (or
// from row 0 of an unpacked A) and dropped.
//
// The kernel also comes in an unpacked-A form (ukernel_avx512_ua_*) that broadcasts straight
// from the rows of a row-major A, for problems too small to amortize packing A (see
// use_unpacked_a in gemm.cpp).
//
// Tile and block sizes: see the contexts at the end of the file, and the measurements there.
#include <immintrin.h>

#include "gemm_kernels.hpp"

#if defined(__clang__)
#define MLB_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define MLB_UNROLL _Pragma("GCC unroll 32")
#else
#define MLB_UNROLL
#endif

namespace mlbasics {
namespace detail {
namespace {

// The AVX-512 operations the kernel needs, per element type.
template <class T>
struct Zmm;

#define MLB_ZMM_TRAITS(T, VEC, MASK, LANES, PS)                                              \
  template <>                                                                                \
  struct Zmm<T> {                                                                            \
    using V = VEC;                                                                           \
    using M = MASK;                                                                          \
    static constexpr int L = LANES;                                                          \
    static V zero() { return _mm512_setzero_##PS(); }                                        \
    static V load(const T* p) { return _mm512_load_##PS(p); } /* 64-byte aligned */          \
    static V loadu(const T* p) { return _mm512_loadu_##PS(p); }                              \
    static V maskz_loadu(M m, const T* p) { return _mm512_maskz_loadu_##PS(m, p); }          \
    static void storeu(T* p, V v) { _mm512_storeu_##PS(p, v); }                              \
    static void mask_storeu(T* p, M m, V v) { _mm512_mask_storeu_##PS(p, m, v); }            \
    static V set1(T x) { return _mm512_set1_##PS(x); }                                       \
    static V fmadd(V a, V b, V c) { return _mm512_fmadd_##PS(a, b, c); }                     \
    static V add(V a, V b) { return _mm512_add_##PS(a, b); }                                 \
    /* the first n lanes, 1 <= n <= L */                                                     \
    static M first(int n) { return static_cast<M>((1u << n) - 1u); }                         \
  };
MLB_ZMM_TRAITS(float, __m512, __mmask16, 16, ps)
MLB_ZMM_TRAITS(double, __m512d, __mmask8, 8, pd)
#undef MLB_ZMM_TRAITS

// MR×(NVU zmm) tile of a kernel whose packed B micro-panel is NV zmm wide (NVU <= NV).
// UA == false: ap is a packed A micro-panel (element (i, p) at ap[p*MR + i]).
// UA == true: ap points at A(0, 0) of an unpacked row-major tile (element (i, p) at
// ap[i*rs_a + p]); rows i >= mr are never read (their accumulators use row 0 and are dropped).
template <class T, int MR, int NV, int NVU, bool UA>
inline void kernel(index_t kc, const T* ap, index_t rs_a, const T* bp, T* c, index_t ldc, int mr, int nr,
                   bool add) {
  using Z = Zmm<T>;
  using V = typename Z::V;
  constexpr int L = Z::L, NR = NV * L;
  static_assert(NVU >= 1 && NVU <= NV && MR * NVU + NVU <= 32, "the tile must fit the 32 zmm registers");

  V acc[MR][NVU];
  MLB_UNROLL
  for (int i = 0; i < MR; ++i) {
    MLB_UNROLL
    for (int v = 0; v < NVU; ++v) acc[i][v] = Z::zero();
  }
  const T* u[MR];
  MLB_UNROLL
  for (int i = 0; i < MR; ++i) u[i] = UA && mr > i ? ap + i * rs_a : ap;
  // Warm the C tile while the rank-1 updates run (its rows are ldc apart).
  for (int i = 0; i < mr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
  }

  // One rank-1 update: k step q, packed A column at a, B row at b.
  const auto step = [&](const T* a, const T* b, index_t q) {
    V bv[NVU];
    MLB_UNROLL
    for (int v = 0; v < NVU; ++v) bv[v] = Z::load(b + v * L);
    MLB_UNROLL
    for (int i = 0; i < MR; ++i) {
      const V av = Z::set1(UA ? u[i][q] : a[i]);
      MLB_UNROLL
      for (int v = 0; v < NVU; ++v) acc[i][v] = Z::fmadd(av, bv[v], acc[i][v]);
    }
  };

  const T* a = ap;
  const T* b = bp;
  index_t p = 0;
  for (; p + 4 <= kc; p += 4, a += 4 * MR, b += 4 * NR) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * NR), _MM_HINT_T0);
    step(a, b, p);
    step(a + MR, b + NR, p + 1);
    if (!UA) _mm_prefetch(reinterpret_cast<const char*>(a + 8 * MR), _MM_HINT_T0);
    step(a + 2 * MR, b + 2 * NR, p + 2);
    step(a + 3 * MR, b + 3 * NR, p + 3);
  }
  for (; p < kc; ++p, a += MR, b += NR) step(a, b, p);

  // Columns of the last zmm column: 1..L (nr > (NVU-1)·L by the choice of NVU).
  const int tail = nr - (NVU - 1) * L;
  const typename Z::M m = Z::first(tail < L ? tail : L);
  MLB_UNROLL
  for (int i = 0; i < MR; ++i) {
    if (i < mr) {
      T* ci = c + i * ldc;
      MLB_UNROLL
      for (int v = 0; v + 1 < NVU; ++v) {
        V r = acc[i][v];
        if (add) r = Z::add(r, Z::loadu(ci + v * L));
        Z::storeu(ci + v * L, r);
      }
      T* cl = ci + (NVU - 1) * L;
      V r = acc[i][NVU - 1];
      if (tail >= L) {
        if (add) r = Z::add(r, Z::loadu(cl));
        Z::storeu(cl, r);
      } else {
        if (add) r = Z::add(r, Z::maskz_loadu(m, cl));
        Z::mask_storeu(cl, m, r);
      }
    }
  }
}

// The kernel with as many zmm columns as the tile's nr needs.
template <class T, int MR, int NV, bool UA>
inline void kernel_for_width(index_t kc, const T* ap, index_t rs_a, const T* bp, T* c, index_t ldc, int mr, int nr,
                             bool add) {
  constexpr int L = Zmm<T>::L;
  const int nv = (nr + L - 1) / L;
  if (nv >= NV) return kernel<T, MR, NV, NV, UA>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
  if constexpr (NV >= 4) {
    if (nv == 3) return kernel<T, MR, NV, 3, UA>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
  }
  if constexpr (NV >= 3) {
    if (nv == 2) return kernel<T, MR, NV, 2, UA>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
  }
  kernel<T, MR, NV, 1, UA>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
}

// The shipped tiles (see the measurements below).
constexpr int kMRf = 8, kNVf = 3;  // float: 8×48
constexpr int kMRd = 8, kNVd = 3;  // double: 8×24

void ukernel_avx512_f32(index_t kc, const float* ap, const float* bp, float* c, index_t ldc, int mr, int nr,
                        bool add) {
  kernel_for_width<float, kMRf, kNVf, false>(kc, ap, 0, bp, c, ldc, mr, nr, add);
}
void ukernel_avx512_f64(index_t kc, const double* ap, const double* bp, double* c, index_t ldc, int mr, int nr,
                        bool add) {
  kernel_for_width<double, kMRd, kNVd, false>(kc, ap, 0, bp, c, ldc, mr, nr, add);
}
void ukernel_avx512_ua_f32(index_t kc, const float* a, index_t rs_a, const float* bp, float* c, index_t ldc,
                           int mr, int nr, bool add) {
  kernel_for_width<float, kMRf, kNVf, true>(kc, a, rs_a, bp, c, ldc, mr, nr, add);
}
void ukernel_avx512_ua_f64(index_t kc, const double* a, index_t rs_a, const double* bp, double* c, index_t ldc,
                           int mr, int nr, bool add) {
  kernel_for_width<double, kMRd, kNVd, true>(kc, a, rs_a, bp, c, ldc, mr, nr, add);
}

}  // namespace

const GemmContext<float> gemm_context_avx512_f32 = {"avx512", kMRf, kNVf * 16, 384, 192, 4080, 0,
                                                    &ukernel_avx512_f32, &ukernel_avx512_ua_f32};
const GemmContext<double> gemm_context_avx512_f64 = {"avx512", kMRd, kNVd * 8, 384, 192, 4080, 0,
                                                     &ukernel_avx512_f64, &ukernel_avx512_ua_f64};

}  // namespace detail
}  // namespace mlbasics

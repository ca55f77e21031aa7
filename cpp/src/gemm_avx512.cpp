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
// use_unpacked_a in gemm.cpp), and in a strided-A form (ukernel_avx512_sa_*) that reads A's panels
// from the columns of a packed B̃, for the Gram product (see a_from_b in run_piece).
//
// Tile and block sizes: see the contexts at the end of the file, with the measurements behind them.
#include <immintrin.h>

#include "gemm_kernels.hpp"
#include "gemm_gemv.hpp"
#include "gemm_pack_cols.hpp"

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
// UA == false: ap is a packed A micro-panel (element (i, p) at ap[p*MR + i]), or with SA a
// panel whose depth steps are rs_a apart (element (i, p) at ap[p*rs_a + i]: MR columns of a
// packed B̃ panel, for the Gram product, see run_piece in gemm.cpp).
// UA == true: ap points at A(0, 0) of an unpacked row-major tile (element (i, p) at
// ap[i*rs_a + p]); rows i >= mr are never read (their accumulators use row 0 and are dropped).
template <class T, int MR, int NV, int NVU, bool UA, bool SA = false>
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
  const index_t sa = SA ? rs_a : MR;  // the packed A panel's step
  index_t p = 0;
  for (; p + 4 <= kc; p += 4, a += 4 * sa, b += 4 * NR) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * NR), _MM_HINT_T0);
    step(a, b, p);
    step(a + sa, b + NR, p + 1);
    if (!UA) _mm_prefetch(reinterpret_cast<const char*>(a + 8 * sa), _MM_HINT_T0);
    step(a + 2 * sa, b + 2 * NR, p + 2);
    step(a + 3 * sa, b + 3 * NR, p + 3);
  }
  for (; p < kc; ++p, a += sa, b += NR) step(a, b, p);

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
template <class T, int MR, int NV, bool UA, bool SA = false>
inline void kernel_for_width(index_t kc, const T* ap, index_t rs_a, const T* bp, T* c, index_t ldc, int mr, int nr,
                             bool add) {
  constexpr int L = Zmm<T>::L;
  const int nv = (nr + L - 1) / L;
  if (nv >= NV) return kernel<T, MR, NV, NV, UA, SA>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
  if constexpr (NV >= 4) {
    if (nv == 3) return kernel<T, MR, NV, 3, UA, SA>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
  }
  if constexpr (NV >= 3) {
    if (nv == 2) return kernel<T, MR, NV, 2, UA, SA>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
  }
  kernel<T, MR, NV, 1, UA, SA>(kc, ap, rs_a, bp, c, ldc, mr, nr, add);
}

// ---------------------------------------------------------------- transposing pack

// The L×L block at s (row i at s + i*ld) transposed into d (row c at d + c*ldd): 16×16 floats or
// 8×8 doubles in three rounds of shuffles. Rounds 1–2 (float) or 1 (double) transpose within each
// 128-bit lane, leaving for every group g of 4 (float) / 2 (double) source rows a vector v[g][e]
// whose lane j holds column j·W + e of those rows (W = 4 / 2); round 3 gathers lane j of the
// four groups' v[·][e] into output row j·W + e with two 128-bit lane shuffles.
// All-lanes forms of the shuffles, spelled as masked operations with a full mask: GCC 12's plain
// _mm512_unpacklo_ps & co. pass _mm512_undefined_ps() to their builtin, which -Wuninitialized
// reports (an error under MLBASICS_WERROR); the masked builtins take a real source and compile to
// the same instruction.
inline __m512 unpacklo(__m512 a, __m512 b) { return _mm512_mask_unpacklo_ps(a, 0xFFFF, a, b); }
inline __m512 unpackhi(__m512 a, __m512 b) { return _mm512_mask_unpackhi_ps(a, 0xFFFF, a, b); }
inline __m512d unpacklo(__m512d a, __m512d b) { return _mm512_mask_unpacklo_pd(a, 0xFF, a, b); }
inline __m512d unpackhi(__m512d a, __m512d b) { return _mm512_mask_unpackhi_pd(a, 0xFF, a, b); }
template <int IMM>
inline __m512 lanes(__m512 a, __m512 b) { return _mm512_mask_shuffle_f32x4(a, 0xFFFF, a, b, IMM); }
template <int IMM>
inline __m512d lanes(__m512d a, __m512d b) { return _mm512_mask_shuffle_f64x2(a, 0xFF, a, b, IMM); }

inline void transpose_block(const float* s, index_t ld, float* d, index_t ldd) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(s + i * ld);
  for (int i = 0; i < 16; i += 2) {
    t[i] = unpacklo(r[i], r[i + 1]);      // per lane: a0 b0 a1 b1
    t[i + 1] = unpackhi(r[i], r[i + 1]);  // per lane: a2 b2 a3 b3
  }
  __m512 v[4][4];  // v[g][e]: lane j = column 4j + e of rows 4g..4g+3
  for (int g = 0; g < 4; ++g) {
    const __m512d t0 = _mm512_castps_pd(t[4 * g]), t1 = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d t2 = _mm512_castps_pd(t[4 * g + 2]), t3 = _mm512_castps_pd(t[4 * g + 3]);
    v[g][0] = _mm512_castpd_ps(unpacklo(t0, t2));
    v[g][1] = _mm512_castpd_ps(unpackhi(t0, t2));
    v[g][2] = _mm512_castpd_ps(unpacklo(t1, t3));
    v[g][3] = _mm512_castpd_ps(unpackhi(t1, t3));
  }
  for (int e = 0; e < 4; ++e) {
    const __m512 x0 = lanes<0x44>(v[0][e], v[1][e]), x1 = lanes<0xEE>(v[0][e], v[1][e]);
    const __m512 y0 = lanes<0x44>(v[2][e], v[3][e]), y1 = lanes<0xEE>(v[2][e], v[3][e]);
    _mm512_storeu_ps(d + (0 + e) * ldd, lanes<0x88>(x0, y0));
    _mm512_storeu_ps(d + (4 + e) * ldd, lanes<0xDD>(x0, y0));
    _mm512_storeu_ps(d + (8 + e) * ldd, lanes<0x88>(x1, y1));
    _mm512_storeu_ps(d + (12 + e) * ldd, lanes<0xDD>(x1, y1));
  }
}

inline void transpose_block(const double* s, index_t ld, double* d, index_t ldd) {
  __m512d r[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm512_loadu_pd(s + i * ld);
  __m512d v[4][2];  // v[g][e]: lane j = column 2j + e of rows 2g, 2g+1
  for (int g = 0; g < 4; ++g) {
    v[g][0] = unpacklo(r[2 * g], r[2 * g + 1]);
    v[g][1] = unpackhi(r[2 * g], r[2 * g + 1]);
  }
  for (int e = 0; e < 2; ++e) {
    const __m512d x0 = lanes<0x44>(v[0][e], v[1][e]), x1 = lanes<0xEE>(v[0][e], v[1][e]);
    const __m512d y0 = lanes<0x44>(v[2][e], v[3][e]), y1 = lanes<0xEE>(v[2][e], v[3][e]);
    _mm512_storeu_pd(d + (0 + e) * ldd, lanes<0x88>(x0, y0));
    _mm512_storeu_pd(d + (2 + e) * ldd, lanes<0xDD>(x0, y0));
    _mm512_storeu_pd(d + (4 + e) * ldd, lanes<0x88>(x1, y1));
    _mm512_storeu_pd(d + (6 + e) * ldd, lanes<0xDD>(x1, y1));
  }
}

// pack_rows_fn: whole panels of a height that is a multiple of L go L×L block by block; a
// partial last panel and the depth tail below L use the element loop. Other heights (the A panels
// of 8 floats) are left to the driver's loops, which are specialized for them (returns false).
template <class T>
bool pack_rows(int r, index_t len, index_t kc, const T* x, index_t s_i, T* dst) {
  constexpr int L = Zmm<T>::L;
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

// ---------------------------------------------------------------- contexts

// The shipped tiles and block sizes, measured on a 2-core AMD EPYC Zen 5 (family 26; full-width
// 512-bit FMA; L1d 48 KiB, L2 1 MiB per core), 1 thread, GFLOP/s as the median of thread CPU time
// (the machine was shared: wall time swung 2× between runs), gcc 12, 2026-12-01:
//                 1024³ f64   1024³ f32   64×784·784×256 f64/f32   784×64·64×256 f64/f32
//   AVX2 6×2 ymm     57          113           51 / 112                 59 / 121
//   8×3 zmm         104–108     216–227        98–107 / 216–222        112–124 / 240–245
//   6×4 zmm          98–111     206–218        101 / 212               125 / 230
//   12×2 zmm         92–105     197–222         89 / 181               101 / 230
//   14×2 zmm         —          —               95 / 189               116 / 230
// 8×3 (24 accumulators, 3 B loads and 8 broadcasts per k step) is at or near the best everywhere
// and has the fewest rows, which suits the MLP's 64-row batches; KC 256–512 and MC 96–384 were
// within ~5% of each other at 1024³ (KC·NR·8 bytes of B micro-panel = 72 KiB at KC 384 outgrows L1,
// but Zen 5 streams it from L2 fast enough).
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
void ukernel_avx512_sa_f32(index_t kc, const float* a, index_t sa, const float* bp, float* c, index_t ldc,
                           int mr, int nr, bool add) {
  kernel_for_width<float, kMRf, kNVf, false, true>(kc, a, sa, bp, c, ldc, mr, nr, add);
}
void ukernel_avx512_sa_f64(index_t kc, const double* a, index_t sa, const double* bp, double* c, index_t ldc,
                           int mr, int nr, bool add) {
  kernel_for_width<double, kMRd, kNVd, false, true>(kc, a, sa, bp, c, ldc, mr, nr, add);
}

}  // namespace

const GemmContext<float> gemm_context_avx512_f32 = {"avx512", kMRf, kNVf * 16, 384, 192, 4080, 0,
                                                    &ukernel_avx512_f32, &ukernel_avx512_ua_f32, &pack_rows<float>,
                                                    &pack_cols<float>, &gemv_rows<float>, &ukernel_avx512_sa_f32, 0};
const GemmContext<double> gemm_context_avx512_f64 = {"avx512", kMRd, kNVd * 8, 384, 192, 4080, 0,
                                                     &ukernel_avx512_f64, &ukernel_avx512_ua_f64, &pack_rows<double>,
                                                     &pack_cols<double>, &gemv_rows<double>, &ukernel_avx512_sa_f64, 0};

}  // namespace detail
}  // namespace mlbasics

// gemm_kernels.hpp — internals of the BLIS-style GEMM: block sizes, micro-kernel interface,
// kernel dispatch and the extended driver used by gemm, gram and the dense layers.
#pragma once
#include <cstddef>

#include "mlbasics/gemm.hpp"

namespace mlbasics {
namespace detail {

// Register tile MR×NR of the micro-kernel and cache blocks (tunable constants).
//   KC: depth of one packed panel pair (B micro-panel KC×NR stays in L1).
//   MC: rows of packed A (MC×KC in L2).   NC: columns of packed B (KC×NC in L3).
template <class T>
struct Blocking;
template <>
struct Blocking<float> {
  static constexpr int MR = 6, NR = 16;
  static constexpr index_t KC = 256, MC = 144, NC = 4080;
};
template <>
struct Blocking<double> {
  static constexpr int MR = 6, NR = 8;
  static constexpr index_t KC = 256, MC = 72, NC = 4080;
};

// Problems with m·n·k below this go through simple unpacked loops (measured on Zen: packing
// already wins at 8×8×8).
constexpr double kDirectMaxMNK = 300.0;
// Problems with m·n·k at or above this are split over the thread pool.
constexpr double kThreadMinMNK = 2097152.0;  // 2^21

// Write rows < mr and columns < nr of the row-major MR×NR tile `acc` into C: C = acc, or
// C += acc when add. Internal linkage on purpose: the AVX2 translation unit includes this header
// too, and an external-linkage instantiation compiled with AVX2 flags could be the one the linker
// keeps for the portable kernels.
namespace {
template <class T, int MR, int NR>
inline void store_tile(const T* acc, T* c, index_t ldc, int mr, int nr, bool add) {
  const auto store_rows = [&](int rows, int cols) {
    for (int i = 0; i < rows; ++i) {
      T* ci = c + i * ldc;
      if (add) {
        for (int j = 0; j < cols; ++j) ci[j] += acc[i * NR + j];
      } else {
        for (int j = 0; j < cols; ++j) ci[j] = acc[i * NR + j];
      }
    }
  };
  if (mr == MR && nr == NR) store_rows(MR, NR);  // constant bounds: the compiler vectorizes
  else store_rows(mr, nr);
}
}  // namespace

// Micro-kernel. ap: packed A micro-panel (kc × MR, element (i, p) at ap[p*MR + i]);
// bp: packed B micro-panel (kc × NR, element (p, j) at bp[p*NR + j]); both 64-byte aligned and
// zero-padded. Computes the MR×NR tile acc = ap·bp and, for i < mr, j < nr, writes
//   c[i*ldc + j] = add ? c[i*ldc + j] + acc(i, j) : acc(i, j)
// (c is not read when add is false). kc may be 0.
template <class T>
using ukernel_fn = void (*)(index_t kc, const T* ap, const T* bp, T* c, index_t ldc,
                            int mr, int nr, bool add);

void ukernel_generic_f32(index_t kc, const float* ap, const float* bp, float* c, index_t ldc,
                         int mr, int nr, bool add);
void ukernel_generic_f64(index_t kc, const double* ap, const double* bp, double* c, index_t ldc,
                         int mr, int nr, bool add);

// Micro-kernel on an unpacked row-major A: a points at A(0, 0) of the tile, element (i, p) at
// a[i*rs_a + p] (unit column stride); rows i >= mr are never read. Otherwise as ukernel_fn.
// Used instead of packing A where the kernel family provides one (see gemm.cpp).
template <class T>
using ukernel_ua_fn = void (*)(index_t kc, const T* a, index_t rs_a, const T* bp, T* c, index_t ldc,
                               int mr, int nr, bool add);

#if defined(MLBASICS_HAVE_AVX2_TU)
void ukernel_avx2_ua_f32(index_t kc, const float* a, index_t rs_a, const float* bp, float* c,
                         index_t ldc, int mr, int nr, bool add);
void ukernel_avx2_ua_f64(index_t kc, const double* a, index_t rs_a, const double* bp, double* c,
                         index_t ldc, int mr, int nr, bool add);
void ukernel_avx2_f32(index_t kc, const float* ap, const float* bp, float* c, index_t ldc,
                      int mr, int nr, bool add);
void ukernel_avx2_f64(index_t kc, const double* ap, const double* bp, double* c, index_t ldc,
                      int mr, int nr, bool add);
#endif

// The micro-kernel family in use: "avx2" or "generic". Defaults to cpu_path().
const char* gemm_kernel_path();
// Force a family (for tests and benchmarks): "generic", "avx2", or nullptr to go back to
// cpu_path(). Returns false (and changes nothing) if the family is not available here.
// Not meant to be called while other threads run gemm.
bool set_gemm_kernel_path(const char* name);

// A row-major A (cs_a == 1) of at most this many bytes is read in place instead of packed,
// where the kernel family has an unpacked-A micro-kernel (see use_unpacked_a in gemm.cpp).
constexpr double kUnpackedAMaxBytes = 256.0 * 1024.0;

// For tests and tuning: -1 (default) decides per problem; 0 always packs A; 1 reads a row-major A
// in place whenever the kernel family can. Not meant to be called while other threads run gemm.
void set_gemm_unpacked_a(int mode);

// Called once the final values of C rows [i0, i1) × columns [j0, j1) are stored (still hot in
// cache), with disjoint ranges; may run on several threads at once.
struct Epilogue {
  void (*fn)(void* ctx, index_t i0, index_t i1, index_t j0, index_t j1);
  void* ctx;
};

// gemm plus: an optional epilogue; upper_only (m == n required) computes at least every C(i, j)
// with j >= i, skipping whole tiles strictly below the diagonal (their content is unspecified;
// a tile straddling the diagonal is written in full); threads == false forces one thread;
// b_scale (k values, or nullptr) multiplies row p of op(B) by b_scale[p] as B is packed, so that
// C = op(A)·diag(b_scale)·op(B) with each product term a(i, p)·(b_scale[p]·b(p, j)) — no scaled
// copy of B is made (the weighted Gram matrix xᵀ·diag(w)·x).
template <class T>
void gemm_ex(index_t m, index_t n, index_t k,
             const T* a, index_t rs_a, index_t cs_a,
             const T* b, index_t rs_b, index_t cs_b,
             T* c, index_t ldc, bool accumulate,
             const Epilogue* epilogue, bool upper_only, bool threads = true, const T* b_scale = nullptr);

}  // namespace detail
}  // namespace mlbasics

// gemm_kernels.hpp — internals of the BLIS-style GEMM: micro-kernel interface, the run-time
// block-size context of each kernel family, kernel dispatch and the extended driver used by
// gemm, gram, the dense layers, the MLP epoch and the distances.
#pragma once
#include <cstddef>

#include "mlbasics/gemm.hpp"

namespace mlbasics {
namespace detail {

// Problems with m·n·k below this go through simple unpacked loops (measured on Zen: packing
// already wins at 8×8×8).
constexpr double kDirectMaxMNK = 300.0;
// Problems with m·n·k at or above this are split over the thread pool.
constexpr double kThreadMinMNK = 2097152.0;  // 2^21

// Write rows < mr and columns < nr of the row-major MR×NR tile `acc` into C: C = acc, or
// C += acc when add. Internal linkage on purpose: the AVX2 and AVX-512 translation units include
// this header too, and an external-linkage instantiation compiled with their flags could be the
// one the linker keeps for the portable kernels.
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

// Micro-kernel on an unpacked row-major A: a points at A(0, 0) of the tile, element (i, p) at
// a[i*rs_a + p] (unit column stride); rows i >= mr are never read. Otherwise as ukernel_fn.
// Used instead of packing A where the kernel family provides one (see gemm.cpp).
template <class T>
using ukernel_ua_fn = void (*)(index_t kc, const T* a, index_t rs_a, const T* bp, T* c, index_t ldc,
                               int mr, int nr, bool add);

// Packing of R-row micro-panels from rows that are contiguous along the depth: len rows of an
// len×kc block, element (i, p) at x[i*s_i + p], into panels as pack_panels in gemm.cpp lays them
// out (panel q at dst + q*R*kc, element (i, p) at [p*R + i], rows past len zero). That is a
// transpose (B of a product with a transposed B, A of one with a row-major A), which the portable
// loops do one element at a time; a family may provide a vectorized one. Returns false (having
// written nothing) for a panel height it leaves to the portable loops.
template <class T>
using pack_rows_fn = bool (*)(int r, index_t len, index_t kc, const T* x, index_t s_i, T* dst);

// The same packing for panels whose R elements per depth step p are contiguous (s_i == 1; element
// (i, p) at x[i + p*s_p]), minus shift[i] (gemm_ex's a_shift / b_shift, never null): vectorized
// for the family's ISA, row by row of x (gemm_pack_cols.hpp). Returns false (having written
// nothing) for a panel height it leaves to the portable loops.
template <class T>
using pack_cols_fn = bool (*)(int r, index_t len, index_t kc, const T* x, index_t s_p, const T* shift, T* dst);

// Rows [i0, i1) of a matrix-vector product C (·×nb) = op(A)·op(B), nb = 1, or up to kGemvCols when
// A's columns are contiguous (rs_a == 1); C(i, j) at c[i*rs_c + j*cs_c] (gemm_gemv.hpp).
template <class T>
using gemv_fn = void (*)(index_t i0, index_t i1, index_t nb, index_t k, const T* a, index_t rs_a, index_t cs_a,
                         const T* b, index_t rs_b, index_t cs_b, T* c, index_t rs_c, index_t cs_c, bool accumulate);

// The block sizes and micro-kernels of one kernel family for one element type: the run-time
// context the GEMM driver works in (as BLIS's context, instead of compile-time constants), chosen
// with the micro-kernel because the cache blocks follow from its register tile:
//   MR×NR: register tile of the micro-kernel (A is packed in MR-row, B in NR-column panels).
//   KC: depth of one packed panel pair (a B micro-panel KC×NR is reused from L1 by every MR rows).
//   MC: rows of packed A (MC×KC in L2), a multiple of MR.
//   NC: columns of packed B (KC×NC in L3), a multiple of NR.
//   split_nr: edge tiles of at most split_nr columns run a kernel whose sums round differently
//   from the full-width kernel's (the AVX2 family's half-width kernel adds two FMA chains); 0 when
//   every column of C gets the same sequence of operations whatever the width of its tile. Code
//   that needs exact ties between columns (distances.cpp) pads around it.
template <class T>
struct GemmContext {
  const char* family;  // "generic", "avx2", "avx512"
  int mr, nr;
  index_t kc, mc, nc;
  int split_nr;
  ukernel_fn<T> kernel;
  ukernel_ua_fn<T> kernel_ua;  // unpacked-A micro-kernel, or nullptr: A is always packed
  pack_rows_fn<T> pack_rows;   // vectorized transposing pack, or nullptr: the portable loops
  pack_cols_fn<T> pack_cols;   // vectorized contiguous (and shifted) pack, or nullptr: the portable loops
  gemv_fn<T> gemv;             // the matrix-vector loops, compiled for the family (never null)
  // The packed kernel reading A from a panel whose depth steps are rs_a apart (element (i, p) at
  // a[p*rs_a + i]), or nullptr. Where NR is a multiple of MR, MR columns of a packed B̃ panel are
  // such a panel, so the Gram product xᵀx reads its A panels from B̃ instead of packing x twice.
  ukernel_ua_fn<T> kernel_sa;
  // With A read in place (kernel_ua), a strip of rows followed by at most this many others is cut
  // into two near-equal strips instead, where the family's kernel runs short strips on a smaller
  // tile without computing dead rows (0: strips are always MR rows, the last one shorter).
  int ua_split_tail;
};

// Whether a context keeps the driver's invariants (positive sizes, MC a multiple of MR, NC of NR,
// a kernel). Checked by the unit tests for every family.
template <class T>
constexpr bool valid_context(const GemmContext<T>& c) {
  return c.mr >= 1 && c.nr >= 1 && c.kc >= 1 && c.mc >= c.mr && c.mc % c.mr == 0 && c.nc >= c.nr &&
         c.nc % c.nr == 0 && c.split_nr >= 0 && c.split_nr < c.nr && c.kernel != nullptr && c.gemv != nullptr;
}

// Defined with their kernels: gemm_generic.cpp (always), gemm_avx2.cpp and gemm_avx512.cpp
// (x86-64 builds).
extern const GemmContext<float> gemm_context_generic_f32;
extern const GemmContext<double> gemm_context_generic_f64;
#if defined(MLBASICS_HAVE_AVX2_TU)
extern const GemmContext<float> gemm_context_avx2_f32;
extern const GemmContext<double> gemm_context_avx2_f64;
#endif
#if defined(MLBASICS_HAVE_AVX512_TU)
extern const GemmContext<float> gemm_context_avx512_f32;
extern const GemmContext<double> gemm_context_avx512_f64;
#endif

// The context of the family in use (gemm_kernel_path()), or the override below if one is set.
template <class T>
const GemmContext<T>& gemm_context();

// For tests and tuning: run every GEMM on `ctx` (valid, its kernels runnable on this CPU, alive
// while in use); nullptr goes back to the family in use. Not meant to be called while other
// threads run gemm.
void set_gemm_context_override(const GemmContext<float>* ctx);
void set_gemm_context_override(const GemmContext<double>* ctx);

// The micro-kernel family in use: "avx512", "avx2" or "generic". Defaults to cpu_path().
const char* gemm_kernel_path();
// Force a family (for tests and benchmarks): "generic", "avx2", "avx512", or nullptr to go back
// to cpu_path(). Returns false (and changes nothing) if the family is not available here.
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
// with j >= i, skipping whole tiles strictly below the diagonal and the cache lines of a
// straddling tile that lie wholly below it (what is below the diagonal is unspecified); threads == false forces one thread;
// b_scale (k values, or nullptr) multiplies row p of op(B) by b_scale[p] as B is packed, so that
// C = op(A)·diag(b_scale)·op(B) with each product term a(i, p)·(b_scale[p]·b(p, j)) — no scaled
// copy of B is made (the weighted Gram matrix xᵀ·diag(w)·x); a_shift (m values) and b_shift (n
// values), or nullptr, are subtracted from row i of op(A) and column j of op(B) as they are packed:
// C = (op(A) − a_shift·1ᵀ)·(op(B) − 1·b_shiftᵀ), each difference rounded once (the co-moment
// matrix of x without a centred copy). A shifted A is always packed.
template <class T>
void gemm_ex(index_t m, index_t n, index_t k,
             const T* a, index_t rs_a, index_t cs_a,
             const T* b, index_t rs_b, index_t cs_b,
             T* c, index_t ldc, bool accumulate,
             const Epilogue* epilogue, bool upper_only, bool threads = true, const T* b_scale = nullptr,
             const T* a_shift = nullptr, const T* b_shift = nullptr);

// One operand packed once for many products on one thread: the k-means assignment multiplies
// every block of rows of x by the same centres, and packing them per block cost ~7% of an
// iteration (10⁶×32 float64, k = 256). packed_b_size gives the elements of the packed op(B)
// (k×n) under the current context, 0 when a product with it would not be one pass of the packed
// kernels (k above KC or n above NC: then use gemm). pack_b_once writes it into `dst`, 64-byte
// aligned. gemm_packed_b computes C (m×n) = op(A)·op(B) on the calling thread with the same
// kernels and tiles as gemm, so the same bits; op(B) is still passed for the products that gemm
// would not run through the packed kernels (tiny ones, one row), which it then receives.
template <class T>
index_t packed_b_size(index_t k, index_t n);
template <class T>
void pack_b_once(index_t k, index_t n, const T* b, index_t rs_b, index_t cs_b, T* dst);
template <class T>
void gemm_packed_b(index_t m, index_t n, index_t k, const T* a, index_t rs_a, index_t cs_a, const T* b, index_t rs_b,
                   index_t cs_b, const T* packed, T* c, index_t ldc);

}  // namespace detail
}  // namespace mlbasics

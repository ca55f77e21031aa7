// mlbasics/gemm.hpp — general matrix multiply, BLIS-style (packing + register micro-kernel).
#pragma once
#include <cstddef>

namespace mlbasics {

using index_t = std::ptrdiff_t;

// C = op(A) · op(B)            (accumulate == false; C is never read, it may hold NaN)
// C = C + op(A) · op(B)        (accumulate == true)
//
// The m×k matrix op(A) has element (i, p) at a[i*rs_a + p*cs_a]; the k×n matrix op(B) has
// element (p, j) at b[p*rs_b + j*cs_b]. Strides are in elements and may be any value (a
// transpose is a swap of rs and cs; a strided view just has bigger strides). C is m×n with
// element (i, j) at c[i*ldc + j]. Any of m, n, k may be 0 (k == 0 gives C = 0 or C unchanged).
// C must not overlap A or B. Threads: uses the pool of parallel.hpp when the work pays for it.
template <class T>
void gemm(index_t m, index_t n, index_t k,
          const T* a, index_t rs_a, index_t cs_a,
          const T* b, index_t rs_b, index_t cs_b,
          T* c, index_t ldc, bool accumulate);

// out = xᵀ·x for an n×p matrix x (element (i, j) at x[i*rs + j*cs]); out is p×p row-major,
// exactly symmetric (the lower triangle is a copy of the upper one).
// With weights w (n values, or nullptr for none): out = xᵀ·diag(w)·x = Σᵢ wᵢ xᵢxᵢᵀ, each term
// x(i, q)·(w[i]·x(i, r)): the weights scale one operand as it is packed, x is not copied.
// With a shift (p values, or nullptr for none): x's column j minus shift[j] in both operands,
// subtracted as they are packed (each difference rounded once): with the column means, the
// co-moment matrix (x − 1·μᵀ)ᵀ·(x − 1·μᵀ) without a centred copy of x.
template <class T>
void gram(index_t n, index_t p, const T* x, index_t rs, index_t cs, T* out, const T* w = nullptr,
          const T* shift = nullptr);

// The block sizes the GEMM runs with for element type T: those of the micro-kernel family in use
// (cpu_path(), see mlbasics/cpu.hpp), chosen at run time with its micro-kernel. MR×NR is the
// register tile, KC the depth of one packed panel pair, MC the rows of a packed block of A, NC the
// columns of a packed block of B. For tests (sizes that cross every boundary) and diagnostics.
struct GemmBlocking {
  const char* family;  // "generic", "avx2", "avx512"
  int mr, nr;
  index_t kc, mc, nc;
};
template <class T>
GemmBlocking gemm_blocking();

}  // namespace mlbasics

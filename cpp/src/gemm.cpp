// gemm.cpp — the portable GEMM framework: blocking, packing, threading, kernel dispatch.
//
// Structure (Goto / BLIS): the block sizes MR, NR, KC, MC, NC come with the micro-kernel in a
// run-time context (GemmContext, gemm_kernels.hpp) of the family in use; for each piece of C owned
// by one thread,
//   jc (NC columns) → pc (KC depth: pack B̃ = B[pc, jc], KC×NC, into NR-column micro-panels)
//   → ic (MC rows: pack Ã = A[ic, pc], MC×KC, into MR-row micro-panels)
//   → jr (NR) → ir (MR) → micro-kernel on one MR×NR tile of C.
// The first pc block stores into C (unless accumulate), later ones add, so C is never read
// when accumulate == false. Tiny problems skip packing altogether.
//
// Threading: C is cut into at most num_threads pieces along its larger dimension (whole column
// units, see gemm_ex, or MR row panels), and each thread runs the sequential algorithm on its piece
// with its own packing buffers. One parallel_for per call, no barriers; the price is that the
// operand along the uncut dimension is packed by every thread (a few % for large problems). The
// Gram product of a tall x is the exception: two fixed halves of its rows, side by side (gram).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

#include "gemm_gemv.hpp"
#include "gemm_kernels.hpp"
#include "cpu_internal.hpp"
#include "mlbasics/cpu.hpp"
#include "mlbasics/gemm.hpp"
#include "mlbasics/parallel.hpp"

namespace mlbasics {
namespace detail {

// ---------------------------------------------------------------- kernel dispatch

namespace {

KernelPathSwitch g_path;

// The contexts of each family for one element type (SUFFIX: f32, f64); a family not compiled in
// falls back to the best one below it (never reached: KernelPathSwitch only selects families
// that are available).
template <class T>
struct Contexts;
#if defined(MLBASICS_HAVE_AVX2_TU)
#define MLB_AVX2_CONTEXT(SUFFIX) &gemm_context_avx2_##SUFFIX
#else
#define MLB_AVX2_CONTEXT(SUFFIX) &gemm_context_generic_##SUFFIX
#endif
#if defined(MLBASICS_HAVE_AVX512_TU)
#define MLB_AVX512_CONTEXT(SUFFIX) &gemm_context_avx512_##SUFFIX
#else
#define MLB_AVX512_CONTEXT(SUFFIX) MLB_AVX2_CONTEXT(SUFFIX)
#endif
#define MLB_CONTEXTS(T, SUFFIX)                                                        \
  template <>                                                                          \
  struct Contexts<T> {                                                                 \
    static const GemmContext<T>* of(Isa isa) {                                         \
      switch (isa) {                                                                   \
        case Isa::avx512: return MLB_AVX512_CONTEXT(SUFFIX);                           \
        case Isa::avx2: return MLB_AVX2_CONTEXT(SUFFIX);                               \
        default: return &gemm_context_generic_##SUFFIX;                                \
      }                                                                                \
    }                                                                                  \
    static std::atomic<const GemmContext<T>*> override_;                               \
  };                                                                                   \
  std::atomic<const GemmContext<T>*> Contexts<T>::override_{nullptr};
MLB_CONTEXTS(float, f32)
MLB_CONTEXTS(double, f64)
#undef MLB_CONTEXTS
#undef MLB_AVX512_CONTEXT
#undef MLB_AVX2_CONTEXT

std::atomic<int> g_unpacked_a{-1};

}  // namespace

template <class T>
const GemmContext<T>& gemm_context() {
  const GemmContext<T>* o = Contexts<T>::override_.load(std::memory_order_acquire);
  return o != nullptr ? *o : *Contexts<T>::of(g_path.isa());
}
template const GemmContext<float>& gemm_context<float>();
template const GemmContext<double>& gemm_context<double>();

void set_gemm_context_override(const GemmContext<float>* ctx) {
  Contexts<float>::override_.store(ctx, std::memory_order_release);
}
void set_gemm_context_override(const GemmContext<double>* ctx) {
  Contexts<double>::override_.store(ctx, std::memory_order_release);
}

void set_gemm_unpacked_a(int mode) { g_unpacked_a.store(mode < 0 ? -1 : (mode > 0 ? 1 : 0), std::memory_order_release); }

const char* gemm_kernel_path() { return g_path.name(); }

bool set_gemm_kernel_path(const char* name) { return g_path.force(name); }

// ---------------------------------------------------------------- packing buffers

namespace {

constexpr std::size_t kAlign = 64;

// A growable, 64-byte aligned scratch array; contents are not preserved when it grows.
template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { release(); }
  T* get(std::size_t n) {
    if (n > cap_) {
      release();
      // Round up to whole cache lines so vector loads past the end stay inside the block.
      const std::size_t bytes = ((n * sizeof(T) + kAlign - 1) / kAlign) * kAlign;
      p_ = static_cast<T*>(::operator new(bytes, std::align_val_t(kAlign)));
      cap_ = bytes / sizeof(T);
    }
    return p_;
  }

 private:
  void release() {
    if (p_ != nullptr) ::operator delete(p_, std::align_val_t(kAlign));
    p_ = nullptr;
    cap_ = 0;
  }
  T* p_ = nullptr;
  std::size_t cap_ = 0;
};

template <class T>
struct PackBuffers {
  AlignedBuffer<T> a, b;
};

template <class T>
PackBuffers<T>& thread_buffers() {
  static thread_local PackBuffers<T> bufs;
  return bufs;
}

// Pack `len` rows of a len×kc matrix X (element (i, p) at x[i*s_i + p*s_p]) into R-row
// micro-panels: panel r (rows r*R ...) starts at dst + r*R*kc, element (i, p) at [p*R + i]; rows
// past len are zero. Packs op(A) into MR-row panels and, seen transposed, op(B) into NR-column
// panels (see pack_a, pack_b).
template <int R, class T>
void pack_panels(index_t len, index_t kc, const T* x, index_t s_i, index_t s_p, T* dst) {
  for (index_t ir = 0; ir < len; ir += R, dst += R * kc) {
    const index_t rows = std::min<index_t>(R, len - ir);
    const T* src = x + ir * s_i;
    if (rows == R) {
      if (s_p == 1) {
        for (index_t p = 0; p < kc; ++p)
          for (int i = 0; i < R; ++i) dst[p * R + i] = src[i * s_i + p];
      } else if (s_i == 1) {
        for (index_t p = 0; p < kc; ++p)
          for (int i = 0; i < R; ++i) dst[p * R + i] = src[i + p * s_p];
      } else {
        for (index_t p = 0; p < kc; ++p)
          for (int i = 0; i < R; ++i) dst[p * R + i] = src[i * s_i + p * s_p];
      }
    } else {
      for (index_t p = 0; p < kc; ++p) {
        for (index_t i = 0; i < rows; ++i) dst[p * R + i] = src[i * s_i + p * s_p];
        for (index_t i = rows; i < R; ++i) dst[p * R + i] = T(0);
      }
    }
  }
}

// pack_panels for a panel height R known only at run time: the heights of the shipped contexts
// get their own constant-bound loops, any other height (a tuning context) a generic loop.
// (The unshifted copies of contiguous runs, s_i == 1, stay in these loops: the context's pack_cols,
// row by row, made the MLP epoch's packing of its weights 3-5% slower; it serves the shifted packs.)
template <class T>
void pack_panels_rt(int r, index_t len, index_t kc, const T* x, index_t s_i, index_t s_p, T* dst,
                    pack_rows_fn<T> pack_rows) {
  if (s_p == 1 && pack_rows != nullptr && pack_rows(r, len, kc, x, s_i, dst)) return;
  switch (r) {
    case 6: return pack_panels<6>(len, kc, x, s_i, s_p, dst);
    case 8: return pack_panels<8>(len, kc, x, s_i, s_p, dst);
    case 12: return pack_panels<12>(len, kc, x, s_i, s_p, dst);
    case 14: return pack_panels<14>(len, kc, x, s_i, s_p, dst);
    case 16: return pack_panels<16>(len, kc, x, s_i, s_p, dst);
    case 24: return pack_panels<24>(len, kc, x, s_i, s_p, dst);
    case 32: return pack_panels<32>(len, kc, x, s_i, s_p, dst);
    case 48: return pack_panels<48>(len, kc, x, s_i, s_p, dst);
    default: break;
  }
  for (index_t ir = 0; ir < len; ir += r, dst += r * kc) {
    const index_t rows = std::min<index_t>(r, len - ir);
    const T* src = x + ir * s_i;
    for (index_t p = 0; p < kc; ++p) {
      for (index_t i = 0; i < rows; ++i) dst[p * r + i] = src[i * s_i + p * s_p];
      for (index_t i = rows; i < r; ++i) dst[p * r + i] = T(0);
    }
  }
}

// The mc×kc block of op(A) at `a` (strides rs, cs) into MR-row micro-panels.
template <class T>
void pack_a(const GemmContext<T>& ctx, index_t mc, index_t kc, const T* a, index_t rs, index_t cs, T* dst) {
  pack_panels_rt(ctx.mr, mc, kc, a, rs, cs, dst, ctx.pack_rows);
}

// The kc×nc block of op(B) at `b` into NR-column micro-panels (element (p, j) at [p*NR + j]):
// its transpose packed into NR-row panels.
template <class T>
void pack_b(const GemmContext<T>& ctx, index_t kc, index_t nc, const T* b, index_t rs, index_t cs, T* dst) {
  pack_panels_rt(ctx.nr, nc, kc, b, cs, rs, dst, ctx.pack_rows);
}

// pack_panels with a shift: element (i, p) is x(i, p) − shift[i] (the shift of row i of the
// block, e.g. the column means of the x of a Gram matrix), rows past len zero. The difference is
// rounded once, as the subtraction into a centred copy would round it.
template <int R, class T>
void pack_panels_shifted(index_t len, index_t kc, const T* x, index_t s_i, index_t s_p, const T* shift, T* dst) {
  for (index_t ir = 0; ir < len; ir += R, dst += R * kc) {
    const index_t rows = std::min<index_t>(R, len - ir);
    const T* src = x + ir * s_i;
    const T* sh = shift + ir;
    if (rows == R && s_i == 1) {  // a Gram matrix's operands: R consecutive columns of a row of x
      T s[R];
      for (int i = 0; i < R; ++i) s[i] = sh[i];
      for (index_t p = 0; p < kc; ++p)
        for (int i = 0; i < R; ++i) dst[p * R + i] = src[i + p * s_p] - s[i];
      continue;
    }
    for (index_t p = 0; p < kc; ++p) {
      for (index_t i = 0; i < rows; ++i) dst[p * R + i] = src[i * s_i + p * s_p] - sh[i];
      for (index_t i = rows; i < R; ++i) dst[p * R + i] = T(0);
    }
  }
}

template <class T>
void pack_panels_shifted_rt(int r, index_t len, index_t kc, const T* x, index_t s_i, index_t s_p, const T* shift,
                            T* dst, pack_cols_fn<T> pack_cols) {
  if (s_i == 1 && pack_cols != nullptr && pack_cols(r, len, kc, x, s_p, shift, dst)) return;
  switch (r) {
    case 6: return pack_panels_shifted<6>(len, kc, x, s_i, s_p, shift, dst);
    case 8: return pack_panels_shifted<8>(len, kc, x, s_i, s_p, shift, dst);
    case 12: return pack_panels_shifted<12>(len, kc, x, s_i, s_p, shift, dst);
    case 14: return pack_panels_shifted<14>(len, kc, x, s_i, s_p, shift, dst);
    case 16: return pack_panels_shifted<16>(len, kc, x, s_i, s_p, shift, dst);
    case 24: return pack_panels_shifted<24>(len, kc, x, s_i, s_p, shift, dst);
    case 32: return pack_panels_shifted<32>(len, kc, x, s_i, s_p, shift, dst);
    case 48: return pack_panels_shifted<48>(len, kc, x, s_i, s_p, shift, dst);
    default: break;
  }
  for (index_t ir = 0; ir < len; ir += r, dst += r * kc) {
    const index_t rows = std::min<index_t>(r, len - ir);
    const T* src = x + ir * s_i;
    for (index_t p = 0; p < kc; ++p) {
      for (index_t i = 0; i < rows; ++i) dst[p * r + i] = src[i * s_i + p * s_p] - shift[ir + i];
      for (index_t i = rows; i < r; ++i) dst[p * r + i] = T(0);
    }
  }
}

// The same, row p of the block multiplied by scale[p] (the weights of a weighted product):
// element (p, j) at [p*NR + j] is scale[p]·b(p, j), rounded once; with a shift (nullptr: none),
// scale[p]·(b(p, j) − shift[j]), the difference rounded first.
template <class T>
void pack_b_scaled(int nr, index_t kc, index_t nc, const T* b, index_t rs, index_t cs, const T* scale,
                   const T* shift, T* dst) {
  const index_t R = nr;
  for (index_t jr = 0; jr < nc; jr += R, dst += R * kc) {
    const index_t cols = std::min<index_t>(R, nc - jr);
    const T* src = b + jr * cs;
    const T* sh = shift != nullptr ? shift + jr : nullptr;
    for (index_t p = 0; p < kc; ++p) {
      const T s = scale[p];
      const T* bp = src + p * rs;
      T* d = dst + p * R;
      if (sh != nullptr) {
        for (index_t j = 0; j < cols; ++j) d[j] = s * (bp[j * cs] - sh[j]);
      } else if (cs == 1) {
        for (index_t j = 0; j < cols; ++j) d[j] = s * bp[j];
      } else {
        for (index_t j = 0; j < cols; ++j) d[j] = s * bp[j * cs];
      }
      for (index_t j = cols; j < R; ++j) d[j] = T(0);
    }
  }
}

template <class T>
struct Problem {
  index_t m, n, k;
  const T* a;
  index_t rs_a, cs_a;
  const T* b;
  index_t rs_b, cs_b;
  T* c;
  index_t ldc;
  bool accumulate;
  const Epilogue* epilogue;
  bool upper_only;
  const GemmContext<T>* ctx;   // block sizes and micro-kernel
  ukernel_ua_fn<T> kernel_ua;  // non-null: A is read in place (cs_a == 1), never packed
  const T* b_scale;            // non-null: row p of op(B) is scaled by b_scale[p] as it is packed
  const T* a_shift;            // non-null: a_shift[i] is subtracted from row i of op(A) as it is packed
  const T* b_shift;            // non-null: b_shift[j] is subtracted from column j of op(B) as it is packed
  const T* b_packed = nullptr;  // non-null: op(B) already packed (pack_b_once: k <= KC, n <= NC, piece from column 0)
};

// The cache lines of rows [p0, p0 + rows) × columns [j0, j0 + cols) of a row-major op(B)
// (cs_b == 1; nothing otherwise), prefetched `per_call` at a time by some(), spread over about
// `calls` calls.
constexpr double kPrefetchMinBytes = 8.0 * 1024 * 1024;

template <class T>
struct NextRows {
  const char* base = nullptr;
  index_t row_bytes = 0, rows = 0, lines = 0, per_call = 0, row = 0, line = 0;
  std::size_t stride = 0;
  NextRows(const Problem<T>& P, index_t p0, index_t rows_, index_t j0, index_t cols, index_t calls) {
    // Only for a B too large to stay in the cache between calls: the MLP's weights (800 KB) are
    // there already, and their prefetches cost its epoch 3-7% (784-256-10, float32).
    const double bytes = static_cast<double>(P.k) * static_cast<double>(cols) * sizeof(T);
    if (P.cs_b != 1 || rows_ <= 0 || bytes < kPrefetchMinBytes) return;
    base = reinterpret_cast<const char*>(P.b + p0 * P.rs_b + j0);
    stride = static_cast<std::size_t>(P.rs_b) * sizeof(T);
    rows = rows_;
    lines = (cols * static_cast<index_t>(sizeof(T)) + 63) / 64 + 1;  // +1: a row need not start a line
    per_call = (rows * lines + calls - 1) / std::max<index_t>(calls, 1);
  }
  void some() {
    for (index_t k = 0; k < per_call && row < rows; ++k) {
      __builtin_prefetch(base + static_cast<std::size_t>(row) * stride + static_cast<std::size_t>(line) * 64, 0, 2);
      if (++line == lines) {
        line = 0;
        ++row;
      }
    }
  }
};

// Sequential blocked algorithm on the piece rows [i0, i1) × columns [j0, j1) of C.
template <class T>
void run_piece(const Problem<T>& P, index_t i0, index_t i1, index_t j0, index_t j1) {
  const GemmContext<T>& X = *P.ctx;
  const int MR = X.mr, NR = X.nr;
  const index_t MC = X.mc, NC = X.nc;
  // k in equal passes of at most the context's KC (784 = 3 × 262 rather than 384 + 384 + 16): a
  // short last pass would cost a whole pass over C and a packing of B for little work. Depends
  // only on k, so every piece and thread sums in the same order.
  const index_t line = static_cast<index_t>(kAlign / sizeof(T));  // elements of C in a cache line
  const index_t passes = (P.k + X.kc - 1) / X.kc;
  const index_t KC = (P.k + passes - 1) / passes;
  if (i0 >= i1 || j0 >= j1) return;
  PackBuffers<T>& bufs = thread_buffers<T>();
  const index_t kc_max = std::min<index_t>(KC, P.k);
  const index_t nc_max = std::min<index_t>(NC, j1 - j0);
  const index_t mc_max = std::min<index_t>(MC, i1 - i0);
  // B̃: packed here per (jc, pc) block, or given already packed (one pass, one column block)
  T* const b_buf =
      P.b_packed != nullptr ? nullptr : bufs.b.get(static_cast<std::size_t>(kc_max * ((nc_max + NR - 1) / NR) * NR));
  const T* bt = P.b_packed != nullptr ? P.b_packed : b_buf;
  const ukernel_fn<T> kernel = X.kernel;
  const ukernel_ua_fn<T> kernel_ua = P.kernel_ua;
  // The Gram product xᵀx (op(A) = op(B)ᵀ: one matrix, one shift, no scale) reads its A panels
  // from B̃ where the family has a strided-A kernel and this piece's rows lie in its one block of
  // columns, at whole MR panels from its start: MR columns of a B̃ panel, NR apart per depth step,
  // are an A panel (NR is a multiple of MR). x is packed once per depth block instead of twice
  // (1,000,000×100 float64 with a shift, 1 thread, Zen 5, C++ driver: 176–184 → 158–164 ms; in
  // the LinearRegression fit, whose blocks are in cache: 161–166 → 148–154 ms). Same values,
  // same kernel arithmetic: the same bits as packing A.
  const bool a_from_b = P.upper_only && X.kernel_sa != nullptr && NR % MR == 0 && kernel_ua == nullptr &&
                        P.b_packed == nullptr && P.b_scale == nullptr && P.a == P.b && P.rs_a == P.cs_b &&
                        P.cs_a == P.rs_b && P.a_shift == P.b_shift && j1 - j0 <= NC && j0 <= i0 && i1 <= j1 &&
                        (i0 - j0) % MR == 0;
  T* at = kernel_ua != nullptr || a_from_b
              ? nullptr
              : bufs.a.get(static_cast<std::size_t>(kc_max * ((mc_max + MR - 1) / MR) * MR));

  for (index_t jc = j0; jc < j1; jc += NC) {
    const index_t nc = std::min<index_t>(NC, j1 - jc);
    for (index_t pc = 0; pc < P.k; pc += KC) {
      const index_t kc = std::min<index_t>(KC, P.k - pc);
      const bool add = P.accumulate || pc > 0;
      const bool last = pc + kc >= P.k;
      const T* bblock = P.b + pc * P.rs_b + jc * P.cs_b;
      if (P.b_packed != nullptr) {
        // given: nothing to pack
      } else if (P.b_scale != nullptr) {
        pack_b_scaled(NR, kc, nc, bblock, P.rs_b, P.cs_b, P.b_scale + pc,
                      P.b_shift != nullptr ? P.b_shift + jc : nullptr, b_buf);
      } else if (P.b_shift != nullptr) {
        pack_panels_shifted_rt(NR, nc, kc, bblock, P.cs_b, P.rs_b, P.b_shift + jc, b_buf, X.pack_cols);
      } else {
        pack_b(X, kc, nc, bblock, P.rs_b, P.cs_b, b_buf);
      }
      // While the micro-kernels work on this block, prefetch the next depth block's rows of a
      // row-major op(B) into the cache, a few lines per kernel call, so that its packing finds
      // them there: a tall Gram matrix packs B straight from memory, and the packing waited for
      // it (1,000,000×100 float64 with a shift, 1 thread, Zen 5, with the per-ISA shifted packs:
      // 200-210 → 171-189 ms per 10⁶ rows on the avx512 path, 311-325 → 259 on the avx2 path).
      NextRows<T> next(P, pc + kc, std::min<index_t>(KC, P.k - pc - kc), jc, nc,
                       ((nc + NR - 1) / NR) * ((std::min<index_t>(MC, i1 - i0) + MR - 1) / MR));
      for (index_t ic = i0; ic < i1; ic += MC) {
        const index_t mc = std::min<index_t>(MC, i1 - ic);
        // Upper triangle only: rows ic.. are all below columns < jc + nc.
        if (P.upper_only && ic >= jc + nc) break;
        const T* ablock = P.a + ic * P.rs_a + pc * P.cs_a;
        if (a_from_b) {
          // read from B̃ below
        } else if (P.a_shift != nullptr)
          pack_panels_shifted_rt(MR, mc, kc, ablock, P.rs_a, P.cs_a, P.a_shift + ic, at, X.pack_cols);
        else if (kernel_ua == nullptr)
          pack_a(X, mc, kc, ablock, P.rs_a, P.cs_a, at);
        for (index_t jr = 0; jr < nc; jr += NR) {
          const int nr = static_cast<int>(std::min<index_t>(NR, nc - jr));
          const T* bp = bt + jr * kc;
          T* cc = P.c + ic * P.ldc + jc + jr;
          for (index_t ir = 0, mr = 0; ir < mc; ir += mr) {
            if (P.upper_only && ic + ir >= jc + jr + nr) break;
            // Strips of MR rows; with A in place, the last MR + 1 or MR + 2 rows as two short
            // strips where the family says so (ua_split_tail). AVX2: 32 rows as 5 × 6 + 2 ran the 2
            // on a 4-row tile; as 4 × 6 + 4 + 4 no row is computed in vain (32³ float64, 1 thread,
            // Zen 5, C++ driver: 1.39 → 1.27–1.29 µs; float32 0.72 → 0.66–0.67 µs).
            const index_t left = mc - ir;
            const bool split = kernel_ua != nullptr && left > MR && left - MR <= X.ua_split_tail;
            mr = split ? left / 2 : std::min<index_t>(MR, left);
            const int mr_ = static_cast<int>(mr);
            // Upper triangle only: a tile straddling the diagonal skips its leading columns that
            // lie wholly below it, in whole cache lines of C (the kernel reads the packed panel
            // from column o on, still NR apart). For a tall x's Gram matrix (p = 100, tiles
            // 8×24) this computes 5,824 of C's entries instead of 8,256 (5,050 needed).
            index_t o = 0;
            if (P.upper_only && ic + ir > jc + jr) o = (ic + ir - jc - jr) / line * line;
            const int w = nr - static_cast<int>(o);
            next.some();
            if (a_from_b) {
              const index_t col = ic + ir - jc;  // this strip's first row of A is column col of B̃
              X.kernel_sa(kc, bt + col / NR * NR * kc + col % NR, NR, bp + o, cc + ir * P.ldc + o, P.ldc, mr_, w,
                          add);
            } else if (kernel_ua != nullptr)
              kernel_ua(kc, ablock + ir * P.rs_a, P.rs_a, bp + o, cc + ir * P.ldc + o, P.ldc, mr_, w, add);
            else
              kernel(kc, at + ir * kc, bp + o, cc + ir * P.ldc + o, P.ldc, mr_, w, add);
          }
        }
        if (last && P.epilogue != nullptr) {
          P.epilogue->fn(P.epilogue->ctx, ic, ic + mc, jc, jc + nc);
        }
      }
    }
  }
}

// Unpacked loops for tiny problems (k >= 1).
template <class T>
void gemm_direct(const Problem<T>& P) {
  for (index_t i = 0; i < P.m; ++i) {
    T* ci = P.c + i * P.ldc;
    if (!P.accumulate) std::fill(ci, ci + P.n, T(0));
    const T* ai = P.a + i * P.rs_a;
    for (index_t p = 0; p < P.k; ++p) {
      const T aip = P.a_shift != nullptr ? ai[p * P.cs_a] - P.a_shift[i] : ai[p * P.cs_a];
      const T* bp = P.b + p * P.rs_b;
      if (P.b_shift != nullptr) {
        const T s = P.b_scale != nullptr ? P.b_scale[p] : T(1);
        for (index_t j = 0; j < P.n; ++j) ci[j] += aip * (s * (bp[j * P.cs_b] - P.b_shift[j]));
      } else if (P.b_scale != nullptr) {
        const T s = P.b_scale[p];
        for (index_t j = 0; j < P.n; ++j) ci[j] += aip * (s * bp[j * P.cs_b]);
      } else if (P.cs_b == 1) {
        for (index_t j = 0; j < P.n; ++j) ci[j] += aip * bp[j];
      } else {
        for (index_t j = 0; j < P.n; ++j) ci[j] += aip * bp[j * P.cs_b];
      }
    }
  }
}

// Matrix-vector products (C with one column, or one row seen transposed): c(i) = Σ_p A(i, p)·b(p)
// for the rows [i0, i1), C's element i at c[i*inc_c]. They read A once and do 2 flops per element
// of A, so they are bound by memory, not arithmetic: no packing, no micro-kernel. Each c(i) sums
// its k terms in an order fixed by k alone (a split across threads changes nothing), and every
// product is computed (a NaN or inf of A or b reaches C as in the packed GEMM).
//   A with contiguous columns (rs_a == 1, e.g. Xᵀ·r for a row-major X): C accumulates column by
//   column in a block of kGemvRows outputs, each column of A read as a contiguous slice (terms in
//   order p = 0, 1, …), up to 4 columns of C at once (X's column sums and Xᵀ·(y − ȳ) in one pass
//   for the streamed co-moments), up to kGemvCols when k >= 1024 (a tall X's Xᵀ·G for a logistic
//   regression's gradient, 10 classes); with GCC or Clang and more than four columns, tiles of C
//   stay in registers over chunks of k (gemm_gemv.hpp: Xᵀ·G over 10⁵×100 float64 in cache-resident
//   blocks of 2,621 rows, 1 thread, Zen 5: 5.4 → 2.2 ms on the avx512 path, 6.4 → 3.7 on avx2);
//   otherwise (one column only): one dot product per row of A in 8 partial sums (term p in sum
//   p mod 8), added in a fixed tree.
// C (m×nb) = op(A)·op(B) with op(B) nb columns (1, or up to kGemvCols when A's columns are
// contiguous), C(i, j) at c[i*rs_c + j*cs_c]; on the pool when it pays.
template <class T>
void gemv(index_t m, index_t nb, index_t k, const T* a, index_t rs_a, index_t cs_a, const T* b, index_t rs_b,
          index_t cs_b, T* c, index_t rs_c, index_t cs_c, bool accumulate, bool threads) {
  const gemv_fn<T> rows = gemm_context<T>().gemv;  // the loops compiled for the family's ISA
  const double mk = static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(nb);
  const index_t units = (m + 7) / 8;  // pieces in whole 8-row units (a cache line of float64 C)
  const int nt = (threads && mk >= kThreadMinMNK) ? static_cast<int>(std::min<index_t>(get_num_threads(), units)) : 1;
  if (nt <= 1) {
    rows(0, m, nb, k, a, rs_a, cs_a, b, rs_b, cs_b, c, rs_c, cs_c, accumulate);
    return;
  }
  parallel_for(nt, 1, [&](std::ptrdiff_t q0, std::ptrdiff_t q1) {
    for (std::ptrdiff_t q = q0; q < q1; ++q) {
      const index_t r0 = std::min(m, units * q / nt * 8), r1 = std::min(m, units * (q + 1) / nt * 8);
      rows(r0, r1, nb, k, a, rs_a, cs_a, b, rs_b, cs_b, c, rs_c, cs_c, accumulate);
    }
  });
}

// Whether to read a row-major A (cs_a == 1) in place instead of packing it. Packing A costs about
// one extra pass over each MC×KC block (a scalar transpose), which only pays for itself when the
// block is reused over many NR-column panels of B; reading in place costs nothing up front but
// streams MR rows rs_a apart, which suffers from cache-set conflicts when rows are a multiple of
// 4 KiB apart.
// Measured (1 thread, AVX2): in place wins clearly while A is small (64×64 f32 77 → 90 GFLOP/s,
// 64×256·256×10 30 → 52, 64×256·(784×256)ᵀ 67 → 82) and loses a few % once A outgrows L2
// (512², 1024², f64 64×784).
// Whatever A's size, a product with C at most two NR panels wide reads each block of A at most
// twice, so packing it would cost as much as it saves (X_b @ W with 10 columns, 2,621×100 float64
// blocks of a logistic regression, 1 thread, Zen 5: 7.97 → 3.98 ms per 10⁵ rows on the avx512 path,
// 14.2 → 6.4 ms on the avx2 path).
template <class T>
bool use_unpacked_a(index_t m, index_t n, index_t k, index_t rs_a, index_t nr) {
  const double bytes = static_cast<double>(m) * static_cast<double>(k) * sizeof(T);
  const bool aliasing = (rs_a * static_cast<index_t>(sizeof(T))) % 4096 == 0;
  return !aliasing && (bytes <= kUnpackedAMaxBytes || n <= 2 * nr);
}

// C (m×n) = op(A)·op(B) as matrix-vector products over its columns: one column, or a few with A's
// columns contiguous. gemm_ex takes that path for a plain product (no triangle, weights or shifts),
// or the transposed one for a single row (takes_gemv).
inline bool few_columns(index_t n, index_t k, index_t rs_a, index_t cs_a) {
  return n == 1 || (rs_a == 1 && cs_a != 1 && (n <= 4 || (n <= kGemvCols && k >= 1024)));
}
inline bool takes_gemv(index_t m, index_t n, index_t k, index_t rs_a, index_t cs_a) {
  return m == 1 || few_columns(n, k, rs_a, cs_a);
}

// The unpacked-A micro-kernel when A is read in place for this problem (see use_unpacked_a), else null.
template <class T>
ukernel_ua_fn<T> unpacked_a_kernel(const GemmContext<T>& ctx, index_t m, index_t n, index_t k, index_t rs_a,
                                   index_t cs_a, const T* a_shift) {
  if (cs_a != 1 || a_shift != nullptr) return nullptr;
  const int mode = g_unpacked_a.load(std::memory_order_acquire);
  return (mode == 1 || (mode == -1 && use_unpacked_a<T>(m, n, k, rs_a, ctx.nr))) ? ctx.kernel_ua : nullptr;
}

// Boundary of part `c` of `parts` when the rows [0, m) of an upper-triangular product are cut
// into pieces of equal work (row i costs ~ m - i).
index_t triangle_split(index_t m, int c, int parts) {
  if (c <= 0) return 0;
  if (c >= parts) return m;
  const double x = static_cast<double>(m) * (1.0 - std::sqrt(1.0 - static_cast<double>(c) / parts));
  return static_cast<index_t>(x);
}

}  // namespace

template <class T>
void gemm_ex(index_t m, index_t n, index_t k,
             const T* a, index_t rs_a, index_t cs_a,
             const T* b, index_t rs_b, index_t cs_b,
             T* c, index_t ldc, bool accumulate,
             const Epilogue* epilogue, bool upper_only, bool threads, const T* b_scale,
             const T* a_shift, const T* b_shift) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (index_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, T(0));
    }
    if (epilogue != nullptr) epilogue->fn(epilogue->ctx, 0, m, 0, n);
    return;
  }
  const Problem<T> P{m, n, k, a, rs_a, cs_a, b, rs_b, cs_b, c, ldc, accumulate,
                     epilogue, upper_only, nullptr, nullptr, b_scale, a_shift, b_shift};
  const double mnk = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (mnk < kDirectMaxMNK) {
    gemm_direct(P);
    if (epilogue != nullptr) epilogue->fn(epilogue->ctx, 0, m, 0, n);
    return;
  }
  if (takes_gemv(m, n, k, rs_a, cs_a) && !upper_only && b_scale == nullptr && a_shift == nullptr && b_shift == nullptr) {
    if (few_columns(n, k, rs_a, cs_a))  // C (m×n) = op(A)·op(B), A's columns contiguous when n > 1
      gemv(m, n, k, a, rs_a, cs_a, b, rs_b, cs_b, c, ldc, index_t{1}, accumulate, threads);
    else  // C (1×n): its transpose, Cᵀ = op(B)ᵀ·aᵀ, with op(B)ᵀ(j, p) at b[j*cs_b + p*rs_b]
      gemv(n, index_t{1}, k, b, cs_b, rs_b, a, cs_a, index_t{0}, c, index_t{1}, index_t{0}, accumulate, threads);
    if (epilogue != nullptr) epilogue->fn(epilogue->ctx, 0, m, 0, n);
    return;
  }
  Problem<T> Q = P;
  Q.ctx = &gemm_context<T>();
  Q.kernel_ua = unpacked_a_kernel(*Q.ctx, m, n, k, rs_a, cs_a, a_shift);

  const int nt = (threads && mnk >= kThreadMinMNK) ? get_num_threads() : 1;
  if (nt <= 1) {
    run_piece(Q, 0, m, 0, n);
    return;
  }
  const index_t MR = Q.ctx->mr, NR = Q.ctx->nr;
  const index_t row_units = (m + MR - 1) / MR;
  if (upper_only) {
    const int parts = static_cast<int>(std::min<index_t>(nt, row_units));
    parallel_for(parts, 1, [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
      for (std::ptrdiff_t q = b0; q < b1; ++q) {
        const index_t r0 = std::min(triangle_split(row_units, static_cast<int>(q), parts) * MR, m);
        const index_t r1 = std::min(triangle_split(row_units, static_cast<int>(q) + 1, parts) * MR, m);
        // columns left of the NR panel holding row r0 are wholly below the diagonal: not packed
        run_piece(Q, r0, r1, r0 / NR * NR, n);
      }
    });
  } else if (n >= m) {
    // Column pieces in whole units of `cw` columns: a cache line of C when every column gets the
    // same operations whatever the width of its tile (split_nr == 0) and NR is a whole number of
    // lines, else whole NR panels. On AVX-512 a line is one zmm column of the tile, and the
    // finer unit balances the pieces: n = 256 splits 128 + 128 instead of 144 + 112 (panels of
    // 48 f32 / 24 f64). Measured (Zen 5, one piece alone on one thread), the slower piece of
    // 64×784 @ 784×256 goes from 67 to 60 µs in f32 and from 147 to 135 µs in f64 (256³: 79 →
    // 70, 171 → 153); separate lines also keep the threads' stores to C off each other's lines.
    const index_t line = static_cast<index_t>(kAlign / sizeof(T));
    const index_t cw = (Q.ctx->split_nr == 0 && NR % line == 0) ? line : NR;
    const index_t units = (n + cw - 1) / cw;
    const int parts = static_cast<int>(std::min<index_t>(nt, units));
    parallel_for(parts, 1, [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
      for (std::ptrdiff_t q = b0; q < b1; ++q) {
        const index_t u0 = units * q / parts, u1 = units * (q + 1) / parts;
        run_piece(Q, 0, m, std::min(u0 * cw, n), std::min(u1 * cw, n));
      }
    });
  } else {
    const int parts = static_cast<int>(std::min<index_t>(nt, row_units));
    parallel_for(parts, 1, [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
      for (std::ptrdiff_t q = b0; q < b1; ++q) {
        const index_t u0 = row_units * q / parts, u1 = row_units * (q + 1) / parts;
        run_piece(Q, std::min(u0 * MR, m), std::min(u1 * MR, m), 0, n);
      }
    });
  }
}

template <class T>
index_t packed_b_size(index_t k, index_t n) {
  const GemmContext<T>& X = gemm_context<T>();
  if (k < 1 || n < 1 || k > X.kc || n > X.nc) return 0;
  return ((n + X.nr - 1) / X.nr) * X.nr * k;
}

template <class T>
void pack_b_once(index_t k, index_t n, const T* b, index_t rs_b, index_t cs_b, T* dst) {
  pack_b(gemm_context<T>(), k, n, b, rs_b, cs_b, dst);
}

template <class T>
void gemm_packed_b(index_t m, index_t n, index_t k, const T* a, index_t rs_a, index_t cs_a, const T* b, index_t rs_b,
                   index_t cs_b, const T* packed, T* c, index_t ldc) {
  const double mnk = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (m <= 0 || mnk < kDirectMaxMNK || takes_gemv(m, n, k, rs_a, cs_a) || packed_b_size<T>(k, n) == 0) {
    gemm_ex<T>(m, n, k, a, rs_a, cs_a, b, rs_b, cs_b, c, ldc, false, nullptr, false, false);  // its other paths
    return;
  }
  Problem<T> Q{m, n, k, a, rs_a, cs_a, b, rs_b, cs_b, c, ldc, false, nullptr, false, nullptr, nullptr, nullptr,
               nullptr, nullptr};
  Q.ctx = &gemm_context<T>();
  Q.kernel_ua = unpacked_a_kernel(*Q.ctx, m, n, k, rs_a, cs_a, static_cast<const T*>(nullptr));
  Q.b_packed = packed;
  run_piece(Q, 0, m, 0, n);
}

template index_t packed_b_size<float>(index_t, index_t);
template index_t packed_b_size<double>(index_t, index_t);
template void pack_b_once<float>(index_t, index_t, const float*, index_t, index_t, float*);
template void pack_b_once<double>(index_t, index_t, const double*, index_t, index_t, double*);
template void gemm_packed_b<float>(index_t, index_t, index_t, const float*, index_t, index_t, const float*, index_t,
                                   index_t, const float*, float*, index_t);
template void gemm_packed_b<double>(index_t, index_t, index_t, const double*, index_t, index_t, const double*, index_t,
                                    index_t, const double*, double*, index_t);

template void gemm_ex<float>(index_t, index_t, index_t, const float*, index_t, index_t,
                             const float*, index_t, index_t, float*, index_t, bool,
                             const Epilogue*, bool, bool, const float*, const float*, const float*);
template void gemm_ex<double>(index_t, index_t, index_t, const double*, index_t, index_t,
                              const double*, index_t, index_t, double*, index_t, bool,
                              const Epilogue*, bool, bool, const double*, const double*, const double*);

}  // namespace detail

template <class T>
void gemm(index_t m, index_t n, index_t k,
          const T* a, index_t rs_a, index_t cs_a,
          const T* b, index_t rs_b, index_t cs_b,
          T* c, index_t ldc, bool accumulate) {
  detail::gemm_ex<T>(m, n, k, a, rs_a, cs_a, b, rs_b, cs_b, c, ldc, accumulate, nullptr, false);
}

template <class T>
void gram(index_t n, index_t p, const T* x, index_t rs, index_t cs, T* out, const T* w, const T* shift) {
  if (p <= 0) return;
  // out = xᵀ·x: op(A) = xᵀ is p×n with element (i, q) at x[q*rs + i*cs]; only the tiles on or
  // above the diagonal are computed, then the upper triangle is mirrored. Weighted, op(B) = x has
  // its row q scaled by w[q] as it is packed. Shifted, both operands have shift[i] subtracted from
  // column i of x as they are packed: the co-moment matrix without a centred copy of x.
  //
  // A tall x (n >= 8p, p <= 512, n >= 1024) is summed as two halves of its rows, x₁ᵀx₁ + x₂ᵀx₂,
  // whatever the thread count (so every thread count gives the same bits). On two threads the
  // halves run side by side: each thread packs only its own rows, where cutting the triangle of
  // C between threads had both pack (nearly) all of x (1,000,000×100 float64 in the blocks of a
  // LinearRegression fit, Zen 5, 2 threads: 98–114 → 75–87 ms against 143–149 ms on one). Other
  // thread counts run the halves one after the other, each cut between the threads as before.
  if (n >= 8 * p && p <= 512 && n >= 1024) {
    const index_t n1 = n / 2;
    std::vector<T> second(static_cast<std::size_t>(p * p));
    const auto half = [&](int h, bool threads) {
      const index_t r0 = h == 0 ? 0 : n1, rows = h == 0 ? n1 : n - n1;
      detail::gemm_ex<T>(p, p, rows, x + r0 * rs, cs, rs, x + r0 * rs, rs, cs, h == 0 ? out : second.data(), p,
                         false, nullptr, true, threads, w != nullptr ? w + r0 : nullptr, shift, shift);
    };
    if (get_num_threads() == 2) {
      parallel_for(2, 1, [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
        for (std::ptrdiff_t h = b0; h < b1; ++h) half(static_cast<int>(h), false);
      });
    } else {
      half(0, true);
      half(1, true);
    }
    for (index_t i = 0; i < p; ++i)
      for (index_t j = i; j < p; ++j) out[i * p + j] += second[static_cast<std::size_t>(i * p + j)];
  } else {
    detail::gemm_ex<T>(p, p, n, x, cs, rs, x, rs, cs, out, p, false, nullptr, true, true, w, shift, shift);
  }
  constexpr index_t TB = 32;  // mirror in tiles so both sides stay in cache
  for (index_t ib = 0; ib < p; ib += TB) {
    const index_t ie = std::min(ib + TB, p);
    for (index_t jb = ib; jb < p; jb += TB) {
      const index_t je = std::min(jb + TB, p);
      for (index_t i = ib; i < ie; ++i)
        for (index_t j = std::max(jb, i + 1); j < je; ++j) out[j * p + i] = out[i * p + j];
    }
  }
}

template <class T>
GemmBlocking gemm_blocking() {
  const detail::GemmContext<T>& c = detail::gemm_context<T>();
  return GemmBlocking{c.family, c.mr, c.nr, c.kc, c.mc, c.nc};
}
template GemmBlocking gemm_blocking<float>();
template GemmBlocking gemm_blocking<double>();

template void gemm<float>(index_t, index_t, index_t, const float*, index_t, index_t,
                          const float*, index_t, index_t, float*, index_t, bool);
template void gemm<double>(index_t, index_t, index_t, const double*, index_t, index_t,
                           const double*, index_t, index_t, double*, index_t, bool);
template void gram<float>(index_t, index_t, const float*, index_t, index_t, float*, const float*, const float*);
template void gram<double>(index_t, index_t, const double*, index_t, index_t, double*, const double*,
                           const double*);

}  // namespace mlbasics

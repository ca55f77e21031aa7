// test_kernels.cpp — ctest unit tests for the mlbasics kernel library (no external framework).
// Each check prints the failing expression with its location; the exit status is the number of
// failures (capped), so ctest reports any failure.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "cpu_internal.hpp"
#include "distances_kernels.hpp"
#include "gemm_kernels.hpp"
#include "mlp_rows.hpp"
#include "norms_kernels.hpp"
#include "optim_kernels.hpp"
#include "philox.hpp"
#include "mlbasics/cpu.hpp"
#include "mlbasics/distances.hpp"
#include "mlbasics/gemm.hpp"
#include "mlbasics/layers.hpp"
#include "mlbasics/losses.hpp"
#include "mlbasics/mlp.hpp"
#include "mlbasics/norms.hpp"
#include "mlbasics/optim.hpp"
#include "mlbasics/parallel.hpp"
#include "mlbasics/sparse.hpp"
#include "test_pool_waiting.hpp"

using mlbasics::index_t;

namespace {

int g_failures = 0;
int g_checks = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    ++g_checks;                                                                       \
    if (!(cond)) {                                                                    \
      ++g_failures;                                                                   \
      if (g_failures <= 50) std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                                 \
  } while (0)

#define CHECK_MSG(cond, ...)                                                          \
  do {                                                                                \
    ++g_checks;                                                                       \
    if (!(cond)) {                                                                    \
      ++g_failures;                                                                   \
      if (g_failures <= 50) {                                                         \
        std::fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
        std::fprintf(stderr, __VA_ARGS__);                                            \
        std::fprintf(stderr, "\n");                                                   \
      }                                                                               \
    }                                                                                 \
  } while (0)

std::mt19937_64 rng(12345);

template <class T>
std::vector<T> random_vec(std::size_t n, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

template <class T>
const char* tname() { return sizeof(T) == 4 ? "float" : "double"; }

template <class T>
double eps_of() { return static_cast<double>(std::numeric_limits<T>::epsilon()); }

bool close(double got, double want, double tol_rel, double tol_abs = 0.0) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  return std::fabs(got - want) <= tol_abs + tol_rel * std::fabs(want);
}

// ----------------------------------------------------------------------------- gemm

// Storage of an r×c operand: element (i, j) at base[i*rs + j*cs]; layout 0 row-major,
// 1 column-major (a transpose), 2 a strided view with padding in both directions.
struct Layout {
  index_t rs, cs, size;
};
Layout make_layout(int kind, index_t r, index_t c) {
  r = std::max<index_t>(r, 1);
  c = std::max<index_t>(c, 1);
  switch (kind) {
    case 0: return {c, 1, r * c};
    case 1: return {1, r, r * c};
    default: return {3 * c + 1, 2, (r - 1) * (3 * c + 1) + (c - 1) * 2 + 1};
  }
}

template <class T>
int check_gemm(index_t m, index_t n, index_t k, int la, int lb, bool accumulate) {
  const Layout A = make_layout(la, m, k), B = make_layout(lb, k, n);
  std::vector<T> a = random_vec<T>(static_cast<std::size_t>(A.size));
  std::vector<T> b = random_vec<T>(static_cast<std::size_t>(B.size));
  const index_t ldc = n + 3;
  const T sentinel = T(777);
  const std::size_t csize = static_cast<std::size_t>(std::max<index_t>(m, 1) * ldc);
  std::vector<T> c(csize, sentinel);
  std::vector<T> c0 = random_vec<T>(csize);
  for (index_t i = 0; i < m; ++i)
    for (index_t j = 0; j < n; ++j)
      c[i * ldc + j] = accumulate ? c0[i * ldc + j] : std::numeric_limits<T>::quiet_NaN();
  mlbasics::gemm<T>(m, n, k, a.data(), A.rs, A.cs, b.data(), B.rs, B.cs, c.data(), ldc, accumulate);
  int bad = 0;
  for (index_t i = 0; i < m; ++i) {
    for (index_t j = 0; j < n; ++j) {
      double ref = accumulate ? static_cast<double>(c0[i * ldc + j]) : 0.0;
      double mag = std::fabs(ref);
      for (index_t p = 0; p < k; ++p) {
        const double prod = static_cast<double>(a[i * A.rs + p * A.cs]) * static_cast<double>(b[p * B.rs + j * B.cs]);
        ref += prod;
        mag += std::fabs(prod);
      }
      const double got = static_cast<double>(c[i * ldc + j]);
      const double tol = 4.0 * (static_cast<double>(k) + 2.0) * eps_of<T>() * mag + 1e-30;
      if (!(std::fabs(got - ref) <= tol)) {
        if (++bad <= 3)
          std::fprintf(stderr, "gemm<%s> m=%td n=%td k=%td la=%d lb=%d acc=%d kernel=%s: C(%td,%td)=%g want %g\n",
                       tname<T>(), m, n, k, la, lb, int(accumulate), mlbasics::detail::gemm_kernel_path(),
                       i, j, got, ref);
      }
    }
    for (index_t j = n; j < ldc; ++j) {
      if (c[i * ldc + j] != sentinel && ++bad <= 3)
        std::fprintf(stderr, "gemm<%s> m=%td n=%td k=%td: padding of C row %td overwritten\n", tname<T>(), m, n, k, i);
    }
  }
  return bad;
}

template <class T>
void test_gemm_shapes() {
  const index_t dims[] = {0, 1, 2, 5, 6, 7, 15, 16, 17, 33, 100, 257};
  const index_t ks[] = {0, 1, 2, 7, 16, 17, 100, 257, 300};
  int combo = 0;
  int bad_total = 0;
  int runs = 0;
  for (index_t m : dims)
    for (index_t n : dims)
      for (index_t k : ks) {
        // Rotate through the 9 layout pairs and both accumulate modes; small problems get all.
        const bool small = m * n * k <= 4096;
        for (int lay = 0; lay < 9; ++lay) {
          if (!small && lay != combo % 9) continue;
          for (int acc = 0; acc < 2; ++acc) {
            if (!small && acc != (combo / 9) % 2) continue;
            bad_total += check_gemm<T>(m, n, k, lay / 3, lay % 3, acc == 1);
            ++runs;
          }
        }
        ++combo;
      }
  // Row counts whose last MR + 1 or MR + 2 rows the unpacked-A loop cuts into two short strips
  // (ua_split_tail: 8 = 4 + 4, 14 = 6 + 4 + 4, 32 = 4·6 + 4 + 4, 80 = a whole MC block + 4 + 4 on
  // the AVX2 path), every layout, both accumulate modes.
  for (index_t m : {8, 14, 32, 80})
    for (index_t n : {3, 10, 17})
      for (index_t k : {5, 64})
        for (int lay = 0; lay < 9; ++lay)
          for (int acc = 0; acc < 2; ++acc) {
            bad_total += check_gemm<T>(m, n, k, lay / 3, lay % 3, acc == 1);
            ++runs;
          }
  CHECK_MSG(bad_total == 0, "gemm<%s> shape sweep: %d bad elements over %d runs (kernel %s)", tname<T>(), bad_total,
            runs, mlbasics::detail::gemm_kernel_path());
}

template <class T>
void test_gemm_large() {
  // Bigger problems: pc accumulation (k > KC), several MC blocks, several NC blocks, and both
  // the row split and the column split when 2 threads are set.
  struct S { index_t m, n, k; };
  // m or n = 1: the matrix-vector path, threaded at these sizes (m·k above kThreadMinMNK)
  const S shapes[] = {{300, 129, 300}, {129, 300, 301}, {13, 4100, 40}, {5, 5000, 300}, {1000, 7, 300}, {200, 200, 520},
                      {4001, 1, 700}, {1, 3001, 900}, {2500, 1, 1000}, {1, 999, 2500}};
  // 2..16 columns of C with A's columns contiguous (layout 1): the matrix-vector path's several columns,
  // threaded (m·n·k above kThreadMinMNK), each layout of B, with and without accumulate
  int bad = 0;
  for (index_t n : {2, 3, 4, 10, 16})  // 10 and 16 columns: only with k >= 1024
    bad += check_gemm<T>(999, n, n <= 4 ? 800 * n : 1100, 1, static_cast<int>(n % 3), n == 3 || n == 10);
  int i = 0;
  for (const S& s : shapes) {
    bad += check_gemm<T>(s.m, s.n, s.k, i % 3, (i + 1) % 3, (i % 2) == 1);
    ++i;
  }
  CHECK_MSG(bad == 0, "gemm<%s> large shapes: %d bad elements (kernel %s, threads %d)", tname<T>(), bad,
            mlbasics::detail::gemm_kernel_path(), mlbasics::get_num_threads());
}

template <class T>
void test_gram() {
  struct S { index_t n, p; int lay; };
  const S shapes[] = {{0, 3, 0}, {1, 1, 0}, {5, 7, 1}, {17, 16, 2}, {100, 33, 0}, {40, 257, 1}, {400, 300, 2}, {301, 50, 0},
                      {700, 1, 0}, {900, 37, 0}};
  for (const S& s : shapes) {
    const Layout X = make_layout(s.lay, s.n, s.p);
    std::vector<T> x = random_vec<T>(static_cast<std::size_t>(X.size));
    // unweighted, then weighted (weights in [0, 2), every third one 0)
    std::vector<T> w = random_vec<T>(static_cast<std::size_t>(s.n), 0, 2);
    for (index_t q = 0; q < s.n; q += 3) w[q] = T(0);
    // a shift per column: the column means (the co-moment matrix), then arbitrary values
    std::vector<T> mean(static_cast<std::size_t>(s.p), T(0));
    for (index_t j = 0; j < s.p; ++j) {
      double acc = 0;
      for (index_t q = 0; q < s.n; ++q) acc += static_cast<double>(x[q * X.rs + j * X.cs]);
      mean[j] = static_cast<T>(s.n > 0 ? acc / static_cast<double>(s.n) : 0.0);
    }
    const std::vector<T> other = random_vec<T>(static_cast<std::size_t>(s.p), -3, 3);
    for (const T* wp : {static_cast<const T*>(nullptr), static_cast<const T*>(w.data())})
      for (const T* sp : {static_cast<const T*>(nullptr), static_cast<const T*>(mean.data()), other.data()}) {
        std::vector<T> out(static_cast<std::size_t>(s.p * s.p), std::numeric_limits<T>::quiet_NaN());
        mlbasics::gram<T>(s.n, s.p, x.data(), X.rs, X.cs, out.data(), wp, sp);
        int bad = 0, asym = 0;
        for (index_t i = 0; i < s.p; ++i)
          for (index_t j = 0; j < s.p; ++j) {
            double ref = 0, mag = 0;
            for (index_t q = 0; q < s.n; ++q) {
              const double wq = wp != nullptr ? static_cast<double>(wp[q]) : 1.0;
              // the kernel rounds each difference to T once, as a centred copy would
              const T xi = sp != nullptr ? static_cast<T>(x[q * X.rs + i * X.cs] - sp[i]) : x[q * X.rs + i * X.cs];
              const T xj = sp != nullptr ? static_cast<T>(x[q * X.rs + j * X.cs] - sp[j]) : x[q * X.rs + j * X.cs];
              const double prod = static_cast<double>(xi) * wq * static_cast<double>(xj);
              ref += prod;
              mag += std::fabs(prod);
            }
            const double got = static_cast<double>(out[i * s.p + j]);
            if (!(std::fabs(got - ref) <= 4.0 * (static_cast<double>(s.n) + 2.0) * eps_of<T>() * mag + 1e-30)) ++bad;
            if (!(out[i * s.p + j] == out[j * s.p + i])) ++asym;
          }
        CHECK_MSG(bad == 0 && asym == 0,
                  "gram<%s> n=%td p=%td lay=%d weighted=%d shift=%d: %d wrong, %d asymmetric (kernel %s)", tname<T>(),
                  s.n, s.p, s.lay, wp != nullptr ? 1 : 0, sp == nullptr ? 0 : (sp == mean.data() ? 1 : 2), bad, asym,
                  mlbasics::detail::gemm_kernel_path());
      }
  }
}

// Sizes that cross every blocking boundary of the context in use: k above KC (several pc passes,
// the last one short), m above MC (several ic blocks, an edge of rows), n above NC (several jc
// blocks), and every edge width 1..NR-1 of a column tile (with an edge of rows, and every layout
// of A and B: row-major, transposed, strided). Each shape runs with and without accumulate.
template <class T>
void test_gemm_blocking_boundaries() {
  const mlbasics::detail::GemmContext<T>& ctx = mlbasics::detail::gemm_context<T>();
  CHECK_MSG(mlbasics::detail::valid_context(ctx), "context of %s<%s> is not valid", ctx.family, tname<T>());
  const index_t MR = ctx.mr, NR = ctx.nr, KC = ctx.kc, MC = ctx.mc, NC = ctx.nc;
  struct S { index_t m, n, k; };
  const S shapes[] = {
      {2 * MR + 3, 2 * NR + 5, 2 * KC + 7},  // k > KC: three pc passes
      {MC + MR + 3, NR + 3, 17},             // m > MC
      {MR + 1, NC + NR + 5, 9},              // n > NC
      {MC + 1, NC + 1, 3},                   // m and n at once, 1-wide edges
  };
  int bad = 0, i = 0;
  for (const S& sh : shapes) {
    bad += check_gemm<T>(sh.m, sh.n, sh.k, i % 3, (i + 2) % 3, false);
    bad += check_gemm<T>(sh.m, sh.n, sh.k, (i + 1) % 3, i % 3, true);
    ++i;
  }
  for (index_t w = 1; w < NR; ++w) bad += check_gemm<T>(MR + w % MR, NR + w, 33 + w, int(w % 3), int((w / 3) % 3), w % 2 == 1);
  CHECK_MSG(bad == 0, "gemm<%s> blocking boundaries of %s (MR %td NR %td KC %td MC %td NC %td): %d bad elements, %d threads",
            tname<T>(), ctx.family, MR, NR, KC, MC, NC, bad, mlbasics::get_num_threads());
}

// The matrix-vector path with several columns (Xᵀ·R for a row-major X: A's columns contiguous) sums
// each output's terms in depth order whatever the tiling: the same bits on 1 and 2 threads, across
// its depth chunks, its column groups and its overlapping tail tiles, with and without accumulate.
template <class T>
void test_gemv_columns_bits() {
  int differ = 0, cases = 0;
  for (index_t m : {5, 17, 100, 999})
    for (index_t nb : {1, 2, 3, 7, 10, 16})
      for (index_t k : {1100, 1537}) {
        const std::vector<T> x = random_vec<T>(static_cast<std::size_t>(k * m));
        const std::vector<T> r = random_vec<T>(static_cast<std::size_t>(k * nb));
        const std::vector<T> c0 = random_vec<T>(static_cast<std::size_t>(m * nb));
        for (bool acc : {false, true}) {
          std::vector<T> c1 = c0, c2 = c0;
          mlbasics::set_num_threads(1);
          mlbasics::gemm<T>(m, nb, k, x.data(), 1, m, r.data(), nb, 1, c1.data(), nb, acc);
          mlbasics::set_num_threads(2);
          mlbasics::gemm<T>(m, nb, k, x.data(), 1, m, r.data(), nb, 1, c2.data(), nb, acc);
          differ += std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(T)) != 0;
          ++cases;
        }
      }
  CHECK_MSG(differ == 0, "gemv<%s> several columns: %d of %d cases differ between 1 and 2 threads (kernel %s)",
            tname<T>(), differ, cases, mlbasics::detail::gemm_kernel_path());
}

// gemm_packed_b (op(B) packed once, products on the calling thread) gives gemm's bits: shapes
// through the packed kernels (row and column edges, A read in place or packed) and through the
// fallbacks (tiny, one row, a matrix-vector product, k above KC).
template <class T>
void test_gemm_packed_b() {
  struct S { index_t m, n, k; int lay; };
  const S shapes[] = {{64, 256, 32, 0}, {37, 100, 17, 0}, {200, 19, 64, 1}, {5, 7, 3, 0}, {1, 50, 40, 0},
                      {300, 1, 40, 0}, {65, 30, 5000, 0}, {130, 258, 31, 2}};
  int differ = 0, packed = 0;
  for (const S& s : shapes) {
    // A (m×k): row-major (0), column-major (1), strided rows (2); B: the transpose of a row-major n×k
    const index_t rs_a = s.lay == 1 ? 1 : (s.lay == 2 ? s.k + 3 : s.k), cs_a = s.lay == 1 ? s.m : 1;
    const std::vector<T> a = random_vec<T>(static_cast<std::size_t>(s.lay == 2 ? s.m * (s.k + 3) : s.m * s.k));
    const std::vector<T> b = random_vec<T>(static_cast<std::size_t>(s.n * s.k));
    std::vector<T> want(static_cast<std::size_t>(s.m * s.n)), got(want.size(), T(-7));
    mlbasics::set_num_threads(1);
    mlbasics::gemm<T>(s.m, s.n, s.k, a.data(), rs_a, cs_a, b.data(), 1, s.k, want.data(), s.n, false);
    const index_t size = mlbasics::detail::packed_b_size<T>(s.k, s.n);
    std::vector<T> store(static_cast<std::size_t>(size) + 64);
    void* ptr = store.data();
    std::size_t space = store.size() * sizeof(T);
    T* pb = static_cast<T*>(std::align(64, static_cast<std::size_t>(size) * sizeof(T), ptr, space));
    if (size > 0) {
      mlbasics::detail::pack_b_once<T>(s.k, s.n, b.data(), 1, s.k, pb);
      ++packed;
    }
    mlbasics::detail::gemm_packed_b<T>(s.m, s.n, s.k, a.data(), rs_a, cs_a, b.data(), 1, s.k, size > 0 ? pb : nullptr,
                                       got.data(), s.n);
    differ += std::memcmp(want.data(), got.data(), want.size() * sizeof(T)) != 0;
  }
  mlbasics::set_num_threads(2);
  CHECK_MSG(differ == 0 && packed >= 6, "gemm_packed_b<%s>: %d of %zu shapes differ from gemm, %d packed (kernel %s)",
            tname<T>(), differ, sizeof(shapes) / sizeof(shapes[0]), packed, mlbasics::detail::gemm_kernel_path());
}

// The Gram product reads its A panels from the packed B̃ where the family has a strided-A kernel
// (run_piece's a_from_b): the same bits as packing A from a separate copy of x, shifted or not,
// with the tiles straddling the diagonal and the pieces of a 2-thread split.
template <class T>
void test_gram_a_from_b_bits() {
  struct S { index_t n, p; };
  const S shapes[] = {{5000, 100}, {1000, 37}, {700, 130}, {3000, 8}, {400, 300}, {900, 1}};
  int differ = 0;
  for (const S& s : shapes) {
    const std::vector<T> x = random_vec<T>(static_cast<std::size_t>(s.n * s.p));
    const std::vector<T> copy = x;
    std::vector<T> shift = random_vec<T>(static_cast<std::size_t>(s.p));
    for (bool shifted : {false, true}) {
      const T* sh = shifted ? shift.data() : nullptr;
      std::vector<T> want(static_cast<std::size_t>(s.p * s.p), T(-3)), got(want.size(), T(-3));
      mlbasics::detail::gemm_ex<T>(s.p, s.p, s.n, copy.data(), 1, s.p, x.data(), s.p, 1, want.data(), s.p, false,
                                   nullptr, true, true, nullptr, sh, sh);
      mlbasics::detail::gemm_ex<T>(s.p, s.p, s.n, x.data(), 1, s.p, x.data(), s.p, 1, got.data(), s.p, false,
                                   nullptr, true, true, nullptr, sh, sh);
      differ += std::memcmp(want.data(), got.data(), want.size() * sizeof(T)) != 0;
    }
  }
  CHECK_MSG(differ == 0, "gram A from B̃<%s>: %d of %zu products differ from packing A (kernel %s, %d threads)",
            tname<T>(), differ, 2 * sizeof(shapes) / sizeof(shapes[0]), mlbasics::detail::gemm_kernel_path(),
            mlbasics::get_num_threads());
}

// gram() on 1, 2 and 3 threads gives the same bits: a tall x is summed as two fixed halves of its
// rows (side by side on 2 threads, one after the other otherwise), a short one is cut along C only.
template <class T>
void test_gram_threads_bits() {
  struct S { index_t n, p; bool weighted, shifted; };
  const S shapes[] = {{5000, 100, false, true}, {3001, 37, true, true}, {1100, 130, true, false},
                      {2000, 8, false, false}, {900, 300, false, true}};
  int differ = 0;
  for (const S& s : shapes) {
    const std::vector<T> x = random_vec<T>(static_cast<std::size_t>(s.n * s.p));
    std::vector<T> w = random_vec<T>(static_cast<std::size_t>(s.n));
    for (T& v : w) v = std::abs(v);
    const std::vector<T> shift = random_vec<T>(static_cast<std::size_t>(s.p));
    std::vector<T> first;
    for (int nt : {1, 2, 3}) {
      mlbasics::set_num_threads(nt);
      std::vector<T> out(static_cast<std::size_t>(s.p * s.p), T(-5));
      mlbasics::gram<T>(s.n, s.p, x.data(), s.p, 1, out.data(), s.weighted ? w.data() : nullptr,
                        s.shifted ? shift.data() : nullptr);
      if (nt == 1) first = out;
      else differ += std::memcmp(first.data(), out.data(), out.size() * sizeof(T)) != 0;
    }
  }
  mlbasics::set_num_threads(2);
  CHECK_MSG(differ == 0, "gram<%s>: %d of %zu products differ between 1 and 2 or 3 threads (kernel %s)", tname<T>(),
            differ, 2 * sizeof(shapes) / sizeof(shapes[0]), mlbasics::detail::gemm_kernel_path());
}

const char* const kPaths[] = {"generic", "avx2", "avx512"};

void test_gemm_all_kernels() {
  for (const char* path : kPaths) {
    if (!mlbasics::detail::set_gemm_kernel_path(path)) {
      CHECK(!mlbasics::cpu_path_available(path));
      std::printf("  kernel %s not available on this CPU/build: skipped\n", path);
      continue;
    }
    CHECK(std::strcmp(mlbasics::detail::gemm_context<float>().family, path) == 0);
    CHECK(std::strcmp(mlbasics::detail::gemm_context<double>().family, path) == 0);
    // A packed always (0) and, where the family has an unpacked-A kernel, read in place whenever
    // it is row-major (1); the default (-1) picks one of the two per problem.
    const bool has_ua = mlbasics::detail::gemm_context<float>().kernel_ua != nullptr;
    for (int ua : {0, 1}) {
      if (ua == 1 && !has_ua) continue;
      mlbasics::detail::set_gemm_unpacked_a(ua);
      for (int nt : {1, 2}) {
        mlbasics::set_num_threads(nt);
        auto t0 = std::chrono::steady_clock::now();
        const int before = g_failures;
        if (nt == 1) {
          test_gemm_shapes<float>();
          test_gemm_shapes<double>();
        }
        test_gemm_large<float>();
        test_gemm_large<double>();
        test_gemm_blocking_boundaries<float>();
        test_gemm_blocking_boundaries<double>();
        test_gram<float>();
        test_gram<double>();
        if (ua == 0) {
          test_gram_a_from_b_bits<float>();
          test_gram_a_from_b_bits<double>();
        }
        if (ua == 0 && nt == 2) {
          test_gram_threads_bits<float>();
          test_gram_threads_bits<double>();
        }
        if (nt == 2 && ua == 0) {
          test_gemv_columns_bits<float>();
          test_gemv_columns_bits<double>();
        }
        if (nt == 1) {
          test_gemm_packed_b<float>();
          test_gemm_packed_b<double>();
        }
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("  gemm/gram kernel=%s unpacked_a=%d threads=%d: %.2f s%s\n", path, ua, nt, sec,
                    g_failures == before ? "" : " FAILED");
      }
    }
  }
  mlbasics::detail::set_gemm_unpacked_a(-1);
  mlbasics::detail::set_gemm_kernel_path(nullptr);
  mlbasics::set_num_threads(2);
}

// The shipped contexts keep the driver's invariants, and a context forced for tuning (an odd
// tile on the portable kernel's code: MR 6, NR 16/8, tiny cache blocks) is honoured.
void test_gemm_contexts() {
  using mlbasics::detail::valid_context;
  CHECK(valid_context(mlbasics::detail::gemm_context_generic_f32));
  CHECK(valid_context(mlbasics::detail::gemm_context_generic_f64));
#if defined(MLBASICS_HAVE_AVX2_TU)
  CHECK(valid_context(mlbasics::detail::gemm_context_avx2_f32));
  CHECK(valid_context(mlbasics::detail::gemm_context_avx2_f64));
#endif
#if defined(MLBASICS_HAVE_AVX512_TU)
  CHECK(valid_context(mlbasics::detail::gemm_context_avx512_f32));
  CHECK(valid_context(mlbasics::detail::gemm_context_avx512_f64));
#endif
  mlbasics::detail::GemmContext<float> f = mlbasics::detail::gemm_context_generic_f32;
  mlbasics::detail::GemmContext<double> d = mlbasics::detail::gemm_context_generic_f64;
  f.kc = d.kc = 5;
  f.mc = d.mc = 12;
  f.nc = 32;
  d.nc = 16;
  CHECK(valid_context(f) && valid_context(d));
  mlbasics::detail::set_gemm_context_override(&f);
  mlbasics::detail::set_gemm_context_override(&d);
  CHECK(mlbasics::detail::gemm_context<float>().kc == 5 && mlbasics::detail::gemm_context<double>().nc == 16);
  for (int nt : {1, 2}) {
    mlbasics::set_num_threads(nt);
    test_gemm_blocking_boundaries<float>();
    test_gemm_blocking_boundaries<double>();
    test_gemm_large<float>();
    test_gemm_large<double>();
  }
  mlbasics::detail::set_gemm_context_override(static_cast<const mlbasics::detail::GemmContext<float>*>(nullptr));
  mlbasics::detail::set_gemm_context_override(static_cast<const mlbasics::detail::GemmContext<double>*>(nullptr));
  CHECK(mlbasics::detail::gemm_context<float>().kc != 5);
  mlbasics::set_num_threads(2);
}

// ----------------------------------------------------------------------------- layers

template <class T>
double act_ref(double z, mlbasics::Activation act) {
  switch (act) {
    case mlbasics::Activation::relu: return z > 0 ? z : 0;
    case mlbasics::Activation::sigmoid: return 1.0 / (1.0 + std::exp(-z));
    case mlbasics::Activation::tanh: return std::tanh(z);
    default: return z;
  }
}

template <class T>
void test_layers() {
  using mlbasics::Activation;
  const Activation acts[] = {Activation::identity, Activation::relu, Activation::sigmoid, Activation::tanh};
  struct S { index_t n, n_in, n_out; };
  const S shapes[] = {{1, 1, 1}, {3, 5, 7}, {32, 20, 10}, {64, 100, 33}, {300, 200, 150}, {0, 4, 3}, {5, 0, 3}};
  for (const S& s : shapes) {
    for (Activation act : acts) {
      for (int with_h = 0; with_h < 2; ++with_h) {
        if (!with_h && act != Activation::identity) continue;
        std::vector<T> x = random_vec<T>(static_cast<std::size_t>(s.n * s.n_in + 1));
        std::vector<T> w = random_vec<T>(static_cast<std::size_t>(s.n_in * s.n_out + 1));
        std::vector<T> b = random_vec<T>(static_cast<std::size_t>(s.n_out));
        // Extreme biases: the activation must stay finite for |z| ~ 1e4.
        if (s.n_out >= 3) {
          b[0] = T(1e4);
          b[1] = T(-1e4);
        }
        const std::size_t nz = static_cast<std::size_t>(s.n * s.n_out + 1);
        std::vector<T> z(nz, std::numeric_limits<T>::quiet_NaN()), h(nz, std::numeric_limits<T>::quiet_NaN());
        mlbasics::linear_forward<T>(s.n, s.n_in, s.n_out, x.data(), w.data(), b.data(), z.data(),
                                    with_h ? h.data() : nullptr, act);
        int bad = 0;
        std::vector<double> zref(nz, 0.0);
        for (index_t i = 0; i < s.n; ++i)
          for (index_t j = 0; j < s.n_out; ++j) {
            double ref = b[j], mag = std::fabs(static_cast<double>(b[j]));
            for (index_t p = 0; p < s.n_in; ++p) {
              const double prod = static_cast<double>(x[i * s.n_in + p]) * w[p * s.n_out + j];
              ref += prod;
              mag += std::fabs(prod);
            }
            zref[i * s.n_out + j] = ref;
            const double tol = 4.0 * (s.n_in + 2.0) * eps_of<T>() * mag + 1e-30;
            if (!(std::fabs(z[i * s.n_out + j] - ref) <= tol)) ++bad;
            if (with_h) {
              const double href = act_ref<T>(static_cast<double>(z[i * s.n_out + j]), act);
              const double got = h[i * s.n_out + j];
              if (!std::isfinite(got) || !close(got, href, 8 * eps_of<T>(), 8 * eps_of<T>())) ++bad;
            }
          }
        CHECK_MSG(bad == 0, "linear_forward<%s> n=%td n_in=%td n_out=%td act=%d h=%d: %d bad", tname<T>(), s.n,
                  s.n_in, s.n_out, int(act), with_h, bad);
        if (!with_h) continue;

        // Backward, against a naive transcription.
        std::vector<T> gh = random_vec<T>(nz);
        std::vector<T> gx(static_cast<std::size_t>(s.n * s.n_in + 1), std::numeric_limits<T>::quiet_NaN());
        std::vector<T> gw(static_cast<std::size_t>(s.n_in * s.n_out + 1), std::numeric_limits<T>::quiet_NaN());
        std::vector<T> gb(static_cast<std::size_t>(s.n_out), std::numeric_limits<T>::quiet_NaN());
        const bool pass_z = act == Activation::relu;
        const bool pass_h = act == Activation::sigmoid || act == Activation::tanh;
        mlbasics::linear_backward<T>(s.n, s.n_in, s.n_out, x.data(), w.data(), pass_z ? z.data() : nullptr,
                                     pass_h ? h.data() : nullptr, gh.data(), gx.data(), gw.data(), gb.data(), act);
        std::vector<double> gz(nz, 0.0);
        for (index_t e = 0; e < s.n * s.n_out; ++e) {
          const double hv = h[e], zv = z[e];
          double d = 1.0;
          if (act == Activation::relu) d = zv > 0 ? 1.0 : 0.0;
          if (act == Activation::sigmoid) d = hv * (1.0 - hv);
          if (act == Activation::tanh) d = 1.0 - hv * hv;
          gz[e] = gh[e] * d;
        }
        int badb = 0;
        for (index_t i = 0; i < s.n; ++i)
          for (index_t j = 0; j < s.n_in; ++j) {
            double ref = 0, mag = 0;
            for (index_t q = 0; q < s.n_out; ++q) {
              const double prod = gz[i * s.n_out + q] * w[j * s.n_out + q];
              ref += prod;
              mag += std::fabs(prod);
            }
            if (!(std::fabs(gx[i * s.n_in + j] - ref) <= 8.0 * (s.n_out + 2.0) * eps_of<T>() * mag + 1e-30)) ++badb;
          }
        for (index_t i = 0; i < s.n_in; ++i)
          for (index_t j = 0; j < s.n_out; ++j) {
            double ref = 0, mag = 0;
            for (index_t q = 0; q < s.n; ++q) {
              const double prod = static_cast<double>(x[q * s.n_in + i]) * gz[q * s.n_out + j];
              ref += prod;
              mag += std::fabs(prod);
            }
            if (!(std::fabs(gw[i * s.n_out + j] - ref) <= 8.0 * (s.n + 2.0) * eps_of<T>() * mag + 1e-30)) ++badb;
          }
        for (index_t j = 0; j < s.n_out; ++j) {
          double ref = 0, mag = 0;
          for (index_t q = 0; q < s.n; ++q) {
            ref += gz[q * s.n_out + j];
            mag += std::fabs(gz[q * s.n_out + j]);
          }
          if (!(std::fabs(gb[j] - ref) <= 8.0 * (s.n + 2.0) * eps_of<T>() * mag + 1e-30)) ++badb;
        }
        CHECK_MSG(badb == 0, "linear_backward<%s> n=%td n_in=%td n_out=%td act=%d: %d bad", tname<T>(), s.n, s.n_in,
                  s.n_out, int(act), badb);
      }
    }
  }
  // grad_x == nullptr is allowed.
  std::vector<T> x = random_vec<T>(12), w = random_vec<T>(6), gh = random_vec<T>(8);
  std::vector<T> gw(6), gb(2);
  mlbasics::linear_backward<T>(4, 3, 2, x.data(), w.data(), nullptr, nullptr, gh.data(), nullptr, gw.data(),
                               gb.data(), mlbasics::Activation::identity);
  CHECK(std::isfinite(static_cast<double>(gw[0])) && std::isfinite(static_cast<double>(gb[1])));
}

// ----------------------------------------------------------------------------- losses

template <class T>
void test_losses() {
  for (index_t C : {1, 2, 5, 40}) {
    for (index_t n : {1, 3, 17}) {
      std::vector<T> logits = random_vec<T>(static_cast<std::size_t>(n * C), -5, 5);
      if (n * C >= 4) {
        logits[0] = T(1e4);
        logits[1] = T(-1e4);
        logits[static_cast<std::size_t>(n * C - 1)] = T(-1e4);
      }
      std::vector<std::int64_t> y(static_cast<std::size_t>(n));
      for (index_t i = 0; i < n; ++i) y[i] = static_cast<std::int64_t>((i * 7 + 3) % C);
      std::vector<T> grad(static_cast<std::size_t>(n * C), std::numeric_limits<T>::quiet_NaN());
      const double loss = mlbasics::softmax_cross_entropy<T>(n, C, logits.data(), y.data(), grad.data());
      const double loss2 = mlbasics::softmax_cross_entropy<T>(n, C, logits.data(), y.data(), nullptr);
      double ref = 0;
      int bad = 0;
      for (index_t i = 0; i < n; ++i) {
        long double mx = -1e300L;
        for (index_t j = 0; j < C; ++j) mx = std::max<long double>(mx, logits[i * C + j]);
        long double s = 0;
        for (index_t j = 0; j < C; ++j) s += std::exp(static_cast<long double>(logits[i * C + j]) - mx);
        ref += static_cast<double>(mx + std::log(s) - logits[i * C + y[i]]);
        for (index_t j = 0; j < C; ++j) {
          const double pj = static_cast<double>(std::exp(static_cast<long double>(logits[i * C + j]) - mx) / s);
          const double gref = (pj - (j == y[i] ? 1.0 : 0.0)) / static_cast<double>(n);
          if (!std::isfinite(static_cast<double>(grad[i * C + j])) ||
              !close(grad[i * C + j], gref, 16 * eps_of<T>(), 16 * eps_of<T>() / n))
            ++bad;
        }
      }
      ref /= static_cast<double>(n);
      CHECK_MSG(std::isfinite(loss) && close(loss, ref, 16 * eps_of<T>(), 16 * eps_of<T>()) && loss == loss2,
                "softmax_cross_entropy<%s> n=%td C=%td: %g want %g", tname<T>(), n, C, loss, ref);
      CHECK_MSG(bad == 0, "softmax_cross_entropy<%s> grad n=%td C=%td: %d bad", tname<T>(), n, C, bad);
    }
  }
  // Out-of-range labels throw before anything is written.
  {
    std::vector<T> logits = random_vec<T>(6);
    std::vector<T> grad(6, T(42));
    for (std::int64_t badlabel : {std::int64_t(-1), std::int64_t(3)}) {
      std::vector<std::int64_t> y = {0, badlabel};
      bool threw = false;
      try {
        mlbasics::softmax_cross_entropy<T>(2, 3, logits.data(), y.data(), grad.data());
      } catch (const std::invalid_argument&) {
        threw = true;
      }
      CHECK(threw);
      CHECK(std::all_of(grad.begin(), grad.end(), [](T v) { return v == T(42); }));
    }
  }
  // BCE with logits.
  {
    const index_t n = 37;
    std::vector<T> x = random_vec<T>(n, -6, 6), y = random_vec<T>(n, 0, 1);
    x[0] = T(1e4);
    x[1] = T(-1e4);
    y[0] = T(0);
    y[1] = T(1);
    y[2] = T(1);
    std::vector<T> grad(n);
    const double loss = mlbasics::binary_cross_entropy_with_logits<T>(n, x.data(), y.data(), grad.data());
    double ref = 0;
    int bad = 0;
    for (index_t i = 0; i < n; ++i) {
      const double xi = x[i], yi = y[i];
      ref += std::max(xi, 0.0) - xi * yi + std::log1p(std::exp(-std::fabs(xi)));
      const double sig = xi >= 0 ? 1.0 / (1.0 + std::exp(-xi)) : std::exp(xi) / (1.0 + std::exp(xi));
      if (!std::isfinite(static_cast<double>(grad[i])) || !close(grad[i], (sig - yi) / n, 8 * eps_of<T>(), 8 * eps_of<T>() / n))
        ++bad;
    }
    ref /= n;
    // The kernel takes exp(-|x|) in T (the reference in double): each log1p term may be off by
    // about eps(T)·e ≤ eps(T), so the mean is within eps(T) absolute (plus double rounding).
    CHECK_MSG(std::isfinite(loss) && close(loss, ref, 1e-12, 1e-12 + eps_of<T>()), "bce<%s>: %.17g want %.17g",
              tname<T>(), loss, ref);
    CHECK_MSG(bad == 0, "bce<%s> grad: %d bad", tname<T>(), bad);
  }
  // MSE.
  {
    const index_t n = 29;
    std::vector<T> p = random_vec<T>(n), t = random_vec<T>(n), grad(n);
    const double loss = mlbasics::mse<T>(n, p.data(), t.data(), grad.data());
    double ref = 0;
    int bad = 0;
    for (index_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(p[i]) - t[i];
      ref += d * d;
      if (!close(grad[i], 2 * d / n, 8 * eps_of<T>(), 1e-30)) ++bad;
    }
    ref /= n;
    CHECK_MSG(close(loss, ref, 8 * eps_of<T>()), "mse<%s>: %g want %g", tname<T>(), loss, ref);
    CHECK_MSG(bad == 0, "mse<%s> grad: %d bad", tname<T>(), bad);
    CHECK(mlbasics::mse<T>(n, p.data(), t.data(), nullptr) == loss);
  }
}

// Weighted losses: integer weights equal repeated rows (loss, and the repeated rows' gradients
// summed), zero weights equal dropped rows.
template <class T>
void test_weighted_losses() {
  const index_t n = 11, C = 4;
  std::vector<T> logits = random_vec<T>(static_cast<std::size_t>(n * C), -4, 4);
  std::vector<std::int64_t> y(static_cast<std::size_t>(n));
  std::vector<T> t = random_vec<T>(static_cast<std::size_t>(n), 0, 1);
  std::vector<T> w(static_cast<std::size_t>(n));
  std::vector<index_t> rep;  // row indices, row i repeated w[i] times
  for (index_t i = 0; i < n; ++i) {
    y[i] = static_cast<std::int64_t>((i * 5 + 1) % C);
    w[i] = static_cast<T>(i % 4);  // 0, 1, 2, 3, 0, ...
    for (index_t r = 0; r < i % 4; ++r) rep.push_back(i);
  }
  const index_t m = static_cast<index_t>(rep.size());
  std::vector<T> lr(static_cast<std::size_t>(m * C)), tr(static_cast<std::size_t>(m));
  std::vector<std::int64_t> yr(static_cast<std::size_t>(m));
  for (index_t r = 0; r < m; ++r) {
    std::copy(logits.begin() + rep[r] * C, logits.begin() + (rep[r] + 1) * C, lr.begin() + r * C);
    yr[r] = y[rep[r]];
    tr[r] = t[rep[r]];
  }
  const double tol = 64 * eps_of<T>();
  // softmax cross-entropy on (n, C) and, as C·n elements, mse with one weight per row of C
  std::vector<T> gw(static_cast<std::size_t>(n * C)), gr(static_cast<std::size_t>(m * C));
  double lw = mlbasics::softmax_cross_entropy<T>(n, C, logits.data(), y.data(), gw.data(), w.data());
  double lrep = mlbasics::softmax_cross_entropy<T>(m, C, lr.data(), yr.data(), gr.data());
  CHECK_MSG(close(lw, lrep, tol, tol), "weighted softmax_cross_entropy<%s>: %g, repeated %g", tname<T>(), lw, lrep);
  for (int which = 0; which < 2; ++which) {
    if (which == 1) {
      std::vector<T> zero(static_cast<std::size_t>(m * C), T(0));
      lw = mlbasics::mse<T>(n * C, logits.data(), std::vector<T>(static_cast<std::size_t>(n * C), T(0)).data(),
                            gw.data(), w.data(), n);
      lrep = mlbasics::mse<T>(m * C, lr.data(), zero.data(), gr.data());
      CHECK_MSG(close(lw, lrep, tol, tol), "weighted mse<%s>: %g, repeated %g", tname<T>(), lw, lrep);
    }
    int bad = 0;
    for (index_t i = 0; i < n; ++i)
      for (index_t j = 0; j < C; ++j) {
        double sum = 0;
        for (index_t r = 0; r < m; ++r)
          if (rep[r] == i) sum += static_cast<double>(gr[r * C + j]);
        if (!close(gw[i * C + j], sum, tol, tol / m)) ++bad;
      }
    CHECK_MSG(bad == 0, "weighted %s<%s> grad: %d differ from the repeated rows' sums", which ? "mse" : "softmax",
              tname<T>(), bad);
  }
  // binary cross-entropy on the first column
  std::vector<T> x(static_cast<std::size_t>(n)), xr(static_cast<std::size_t>(m)), g1(static_cast<std::size_t>(n)),
      g2(static_cast<std::size_t>(m));
  for (index_t i = 0; i < n; ++i) x[i] = logits[i * C];
  for (index_t r = 0; r < m; ++r) xr[r] = x[rep[r]];
  lw = mlbasics::binary_cross_entropy_with_logits<T>(n, x.data(), t.data(), g1.data(), w.data());
  lrep = mlbasics::binary_cross_entropy_with_logits<T>(m, xr.data(), tr.data(), g2.data());
  CHECK_MSG(close(lw, lrep, tol, tol), "weighted bce<%s>: %g, repeated %g", tname<T>(), lw, lrep);
  for (index_t i = 0; i < n; ++i) {
    double sum = 0;
    for (index_t r = 0; r < m; ++r)
      if (rep[r] == i) sum += static_cast<double>(g2[r]);
    CHECK_MSG(close(g1[i], sum, tol, tol / m), "weighted bce<%s> grad[%td]: %g want %g", tname<T>(), i,
              static_cast<double>(g1[i]), sum);
  }
  // all weights 1: the unweighted values
  std::vector<T> ones(static_cast<std::size_t>(n), T(1));
  CHECK(close(mlbasics::softmax_cross_entropy<T>(n, C, logits.data(), y.data(), nullptr, ones.data()),
              mlbasics::softmax_cross_entropy<T>(n, C, logits.data(), y.data(), nullptr), 1e-14, 1e-14));
}

// ----------------------------------------------------------------------------- optimizers
// Naive per-element transcriptions of the header formulas, in T, compared after a few steps.

template <class T>
T sgnT(T v) { return v > 0 ? T(1) : (v < 0 ? T(-1) : T(0)); }

template <class T>
int compare(const std::vector<T>& got, const std::vector<T>& want, double tol) {
  int bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!close(got[i], want[i], tol, tol)) ++bad;
  return bad;
}

template <class T>
void test_optim_n(index_t n) {
  const double tol = 64 * eps_of<T>();
  const int steps = 4;
  // Gradients of magnitude in [0.1, 1): with weight decay (at most 0.05·|p| here) the effective
  // gradient g = grad + wd·p stays far from 0. Near g ≈ eps an adaptive step m/(√v + eps) turns
  // the last-bit difference of a contracted FMA (the kernels' paths) against the reference's two
  // roundings into a relative change of ~1e-11 in p: this test failed now and then on the data a
  // different random stream drew (adam variant 1, n = 65659), never on a wrong kernel.
  std::vector<std::vector<T>> grads;
  for (int s = 0; s < steps; ++s) {
    std::vector<T> g = random_vec<T>(static_cast<std::size_t>(n), 0.1, 1.0);
    const std::vector<T> sign = random_vec<T>(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < g.size(); ++i)
      if (sign[i] < T(0)) g[i] = -g[i];
    grads.push_back(g);
  }
  const std::vector<T> p0 = random_vec<T>(static_cast<std::size_t>(n));

  // SGD
  for (int variant = 0; variant < 4; ++variant) {
    const double lr = 0.1, mom = variant == 0 ? 0.0 : 0.9, damp = variant == 2 ? 0.1 : 0.0;
    const double wd = variant >= 2 ? 0.01 : 0.0;
    const bool nesterov = variant == 3;
    std::vector<T> p = p0, buf(n, std::numeric_limits<T>::quiet_NaN()), pr = p0, br(n);
    for (int s = 0; s < steps; ++s) {
      mlbasics::sgd_step<T>(n, p.data(), grads[s].data(), mom != 0 ? buf.data() : nullptr, lr, mom, damp, wd, nesterov, s == 0);
      for (index_t i = 0; i < n; ++i) {
        T g = grads[s][i] + T(wd) * pr[i];
        if (mom != 0) {
          br[i] = s == 0 ? g : T(mom) * br[i] + T(1 - damp) * g;
          g = nesterov ? g + T(mom) * br[i] : br[i];
        }
        pr[i] = pr[i] - T(lr) * g;
      }
    }
    CHECK_MSG(compare(p, pr, tol) == 0, "sgd<%s> variant %d n=%td", tname<T>(), variant, n);
  }
  // Adam / AdamW
  for (int variant = 0; variant < 3; ++variant) {
    const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = variant == 0 ? 0.0 : 0.05;
    const bool decoupled = variant == 2;
    std::vector<T> p = p0, m(n, T(0)), v(n, T(0)), pr = p0, mr(n, T(0)), vr(n, T(0));
    for (int s = 0; s < steps; ++s) {
      const std::int64_t step = s + 1;
      mlbasics::adam_step<T>(n, p.data(), grads[s].data(), m.data(), v.data(), step, lr, b1, b2, eps, wd, decoupled);
      const double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
      for (index_t i = 0; i < n; ++i) {
        T g = grads[s][i];
        if (decoupled) pr[i] = pr[i] * T(1 - lr * wd);
        else g = g + T(wd) * pr[i];
        mr[i] = T(b1) * mr[i] + T(1 - b1) * g;
        vr[i] = T(b2) * vr[i] + T(1 - b2) * g * g;
        pr[i] = pr[i] - T(lr / bc1) * mr[i] / (std::sqrt(vr[i]) / T(std::sqrt(bc2)) + T(eps));
      }
    }
    CHECK_MSG(compare(p, pr, tol) == 0, "adam<%s> variant %d n=%td", tname<T>(), variant, n);
  }
  // RMSprop
  for (int variant = 0; variant < 4; ++variant) {
    const double lr = 1e-2, alpha = 0.99, eps = 1e-8, wd = variant == 3 ? 0.01 : 0.0;
    const double mom = (variant & 1) ? 0.9 : 0.0;
    const bool centered = variant >= 2;
    std::vector<T> p = p0, sq(n, T(0)), buf(n, T(0)), ga(n, T(0)), pr = p0, sqr(n, T(0)), bufr(n, T(0)), gar(n, T(0));
    for (int s = 0; s < steps; ++s) {
      mlbasics::rmsprop_step<T>(n, p.data(), grads[s].data(), sq.data(), mom > 0 ? buf.data() : nullptr,
                                centered ? ga.data() : nullptr, lr, alpha, eps, wd, mom, centered);
      for (index_t i = 0; i < n; ++i) {
        T g = grads[s][i] + T(wd) * pr[i];
        sqr[i] = T(alpha) * sqr[i] + T(1 - alpha) * g * g;
        T vt = sqr[i];
        if (centered) {
          gar[i] = T(alpha) * gar[i] + T(1 - alpha) * g;
          vt = sqr[i] - gar[i] * gar[i];
        }
        if (mom > 0) {
          bufr[i] = T(mom) * bufr[i] + g / (std::sqrt(vt) + T(eps));
          pr[i] = pr[i] - T(lr) * bufr[i];
        } else {
          pr[i] = pr[i] - T(lr) * g / (std::sqrt(vt) + T(eps));
        }
      }
    }
    CHECK_MSG(compare(p, pr, tol) == 0, "rmsprop<%s> variant %d n=%td", tname<T>(), variant, n);
  }
  // Adagrad
  {
    const double lr = 0.1, lr_decay = 0.01, wd = 0.02, eps = 1e-10;
    std::vector<T> p = p0, sum(n, T(0.1)), pr = p0, sumr(n, T(0.1));
    for (int s = 0; s < steps; ++s) {
      const std::int64_t step = s + 1;
      mlbasics::adagrad_step<T>(n, p.data(), grads[s].data(), sum.data(), step, lr, lr_decay, wd, eps);
      const T clr = T(lr / (1 + (step - 1) * lr_decay));
      for (index_t i = 0; i < n; ++i) {
        const T g = grads[s][i] + T(wd) * pr[i];
        sumr[i] = sumr[i] + g * g;
        pr[i] = pr[i] - clr * g / (std::sqrt(sumr[i]) + T(eps));
      }
    }
    CHECK_MSG(compare(p, pr, tol) == 0, "adagrad<%s> n=%td", tname<T>(), n);
  }
  // Adadelta
  {
    const double lr = 1.0, rho = 0.9, eps = 1e-6, wd = 0.01;
    std::vector<T> p = p0, v(n, T(0)), u(n, T(0)), pr = p0, vr(n, T(0)), ur(n, T(0));
    for (int s = 0; s < steps; ++s) {
      mlbasics::adadelta_step<T>(n, p.data(), grads[s].data(), v.data(), u.data(), lr, rho, eps, wd);
      for (index_t i = 0; i < n; ++i) {
        const T g = grads[s][i] + T(wd) * pr[i];
        vr[i] = T(rho) * vr[i] + T(1 - rho) * g * g;
        const T d = std::sqrt(ur[i] + T(eps)) / std::sqrt(vr[i] + T(eps)) * g;
        ur[i] = T(rho) * ur[i] + T(1 - rho) * d * d;
        pr[i] = pr[i] - T(lr) * d;
      }
    }
    CHECK_MSG(compare(p, pr, tol) == 0, "adadelta<%s> n=%td", tname<T>(), n);
  }
  // Rprop (with some exact zeros in the gradients)
  {
    const double em = 0.5, ep = 1.2, smin = 1e-6, smax = 50;
    std::vector<T> p = p0, prev(n, T(0)), st(n, T(0.01)), pr = p0, prevr(n, T(0)), str(n, T(0.01));
    for (int s = 0; s < steps; ++s) {
      std::vector<T> g = grads[s];
      for (index_t i = 0; i < n; i += 5) g[i] = T(0);
      if (s % 2 == 1)
        for (index_t i = 1; i < n; i += 3) g[i] = -g[i];
      mlbasics::rprop_step<T>(n, p.data(), g.data(), prev.data(), st.data(), em, ep, smin, smax);
      for (index_t i = 0; i < n; ++i) {
        const T sgn = sgnT(g[i] * prevr[i]);
        str[i] = std::min(std::max(str[i] * (sgn > 0 ? T(ep) : sgn < 0 ? T(em) : T(1)), T(smin)), T(smax));
        const T gg = sgn < 0 ? T(0) : g[i];
        pr[i] = pr[i] - sgnT(gg) * str[i];
        prevr[i] = gg;
      }
    }
    CHECK_MSG(compare(p, pr, tol) == 0 && compare(st, str, tol) == 0 && compare(prev, prevr, tol) == 0,
              "rprop<%s> n=%td", tname<T>(), n);
  }
}

template <class T>
void test_optim() {
  for (const char* path : kPaths) {
    if (!mlbasics::detail::set_optim_kernel_path(path)) {
      std::printf("  optim kernels %s not available on this CPU/build: skipped\n", path);
      continue;
    }
    CHECK(std::string(mlbasics::detail::optim_kernel_path()) == path);
    for (int nt : {1, 2}) {
      mlbasics::set_num_threads(nt);
      const int before = g_failures;
      test_optim_n<T>(1);
      test_optim_n<T>(7);
      test_optim_n<T>(1003);
      test_optim_n<T>((1 << 16) + 123);  // split over the pool
      if (g_failures != before)
        std::fprintf(stderr, "  (failures above: optim<%s> kernels=%s threads=%d)\n", tname<T>(), path, nt);
    }
  }
  mlbasics::detail::set_optim_kernel_path(nullptr);
  mlbasics::set_num_threads(2);
}

// ----------------------------------------------------------------------------- parallel

// The pool's spin-then-sleep policy and dynamic participation (test_pool_waiting.hpp).
void test_pool_waiting() { CHECK(pool_waiting_failures() == 0); }

void test_parallel() {
  mlbasics::set_num_threads(2);
  CHECK(mlbasics::get_num_threads() == 2);
  bool threw = false;
  try {
    mlbasics::set_num_threads(0);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);

  for (int nt : {1, 2, 3, 4}) {
    mlbasics::set_num_threads(nt);
    for (std::ptrdiff_t n : {0, 1, 2, 7, 100, 1001, 100000}) {
      for (std::ptrdiff_t grain : {0, 1, 3, 64, 5000}) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        for (auto& h : hits) h.store(0);
        mlbasics::parallel_for(n, grain, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
          for (std::ptrdiff_t i = b; i < e; ++i) hits[static_cast<std::size_t>(i)].fetch_add(1);
        });
        bool ok = true;
        for (auto& h : hits) ok = ok && h.load() == 1;
        CHECK_MSG(ok, "parallel_for coverage nt=%d n=%td grain=%td", nt, n, grain);
      }
    }
  }
  mlbasics::set_num_threads(2);

  // Nesting: the inner call runs serially on the calling thread and still covers its range.
  {
    std::atomic<long> total{0};
    std::atomic<int> inner_threads_mismatch{0};
    mlbasics::parallel_for(8, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
      for (std::ptrdiff_t i = b; i < e; ++i) {
        const auto me = std::this_thread::get_id();
        mlbasics::parallel_for(1000, 1, [&](std::ptrdiff_t b2, std::ptrdiff_t e2) {
          if (std::this_thread::get_id() != me) inner_threads_mismatch.fetch_add(1);
          total.fetch_add(static_cast<long>(e2 - b2));
        });
      }
    });
    CHECK(total.load() == 8000);
    CHECK(inner_threads_mismatch.load() == 0);
  }

  // Exceptions are rethrown on the caller; the pool keeps working afterwards.
  {
    bool caught = false;
    try {
      mlbasics::parallel_for(100, 1, [&](std::ptrdiff_t b, std::ptrdiff_t) {
        if (b > 0) throw std::runtime_error("boom");
      });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "boom";
    }
    CHECK(caught);
    std::atomic<long> sum{0};
    mlbasics::parallel_for(100, 1, [&](std::ptrdiff_t b, std::ptrdiff_t e) { sum.fetch_add(static_cast<long>(e - b)); });
    CHECK(sum.load() == 100);
  }

  // Several user threads at once (some find the pool busy and run alone), plus resizing.
  {
    std::atomic<int> bad{0};
    std::vector<std::thread> users;
    for (int u = 0; u < 4; ++u) {
      users.emplace_back([&, u] {
        for (int rep = 0; rep < 200; ++rep) {
          if (u == 0 && rep % 50 == 0) mlbasics::set_num_threads(1 + (rep / 50) % 3);
          std::vector<int> hits(513, 0);
          mlbasics::parallel_for(513, 8, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
            for (std::ptrdiff_t i = b; i < e; ++i) hits[static_cast<std::size_t>(i)] += 1;
          });
          for (int h : hits)
            if (h != 1) bad.fetch_add(1);
        }
      });
    }
    for (auto& t : users) t.join();
    CHECK(bad.load() == 0);
  }
  mlbasics::set_num_threads(2);

  // Concurrent gemm calls from several threads give correct results.
  {
    std::atomic<int> bad{0};
    std::vector<std::thread> users;
    for (int u = 0; u < 3; ++u) {
      users.emplace_back([&] {
        const index_t m = 150, n = 140, k = 130;
        std::vector<double> a(m * k, 1.0), b(k * n, 2.0), c(m * n, 0.0);
        for (int rep = 0; rep < 5; ++rep) {
          mlbasics::gemm<double>(m, n, k, a.data(), k, 1, b.data(), n, 1, c.data(), n, false);
          for (double v : c)
            if (v != 2.0 * k) bad.fetch_add(1);
        }
      });
    }
    for (auto& t : users) t.join();
    CHECK(bad.load() == 0);
  }
}

// ----------------------------------------------------------------------------- mlp

// One epoch as the explicit sequence of gather, linear_forward, loss, linear_backward (+ L2) and
// optimizer-step calls: what mlp_epoch must equal.
template <class T>
mlbasics::EpochResult explicit_epoch(const mlbasics::MLPConfig& net, const T* X, const std::int64_t* labels,
                                     const T* y, const std::vector<std::int64_t>& order, T* params,
                                     const mlbasics::OptimizerConfig& opt, const mlbasics::OptimizerState<T>& st) {
  using mlbasics::Activation;
  using mlbasics::Loss;
  const auto& u = net.layer_sizes;
  const int L = static_cast<int>(u.size()) - 1;
  const index_t P = mlbasics::mlp_num_params(u), k = u[L];
  std::vector<T> grads(static_cast<std::size_t>(P));
  mlbasics::EpochResult r;
  for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(net.batch_size)) {
    const index_t nb = std::min<index_t>(net.batch_size, static_cast<index_t>(order.size() - start));
    std::vector<std::vector<T>> in(L + 1), z(L), h(L);
    in[0].resize(static_cast<std::size_t>(nb * u[0]));
    std::vector<std::int64_t> lb(static_cast<std::size_t>(nb));
    std::vector<T> yb(static_cast<std::size_t>(nb * k));
    for (index_t i = 0; i < nb; ++i) {
      const index_t src = order[start + i];
      for (index_t j = 0; j < u[0]; ++j) in[0][i * u[0] + j] = X[src * u[0] + j];
      if (labels) lb[i] = labels[src];
      else for (index_t j = 0; j < k; ++j) yb[i * k + j] = y[src * k + j];
    }
    index_t off = 0;
    std::vector<index_t> w_off(L);
    for (int l = 0; l < L; ++l) {
      w_off[l] = off;
      z[l].resize(static_cast<std::size_t>(nb * u[l + 1]));
      h[l].resize(z[l].size());
      const Activation a = l < L - 1 ? net.hidden : Activation::identity;
      mlbasics::linear_forward<T>(nb, u[l], u[l + 1], in[l].data(), params + off, params + off + u[l] * u[l + 1],
                                  z[l].data(), h[l].data(), a);
      in[l + 1] = h[l];
      off += (u[l] + 1) * u[l + 1];
    }
    std::vector<T> g(static_cast<std::size_t>(nb * k));
    double value;
    if (net.loss == Loss::softmax_cross_entropy) {
      value = static_cast<T>(mlbasics::softmax_cross_entropy<T>(nb, k, z[L - 1].data(), lb.data(), g.data()));
    } else if (net.loss == Loss::binary_cross_entropy_with_logits) {
      value = static_cast<T>(mlbasics::binary_cross_entropy_with_logits<T>(nb, z[L - 1].data(), yb.data(), g.data()));
    } else {
      value = 0.5 * static_cast<T>(mlbasics::mse<T>(nb * k, z[L - 1].data(), yb.data(), g.data()));
      for (auto& e : g) e *= static_cast<T>(0.5 * k);
    }
    double sumsq = 0.0;
    for (int l = L - 1; l >= 0; --l) {
      const Activation a = l < L - 1 ? net.hidden : Activation::identity;
      std::vector<T> gx(l > 0 ? static_cast<std::size_t>(nb * u[l]) : 0);
      T* W = params + w_off[l];
      T* gW = grads.data() + w_off[l];
      mlbasics::linear_backward<T>(nb, u[l], u[l + 1], in[l].data(), W, z[l].data(), h[l].data(), g.data(),
                                   l > 0 ? gx.data() : nullptr, gW, gW + u[l] * u[l + 1], a);
      for (index_t e = 0; e < u[l] * u[l + 1]; ++e) {
        sumsq += static_cast<double>(W[e]) * W[e];
        gW[e] += static_cast<T>(net.alpha / nb) * W[e];
      }
      g = gx;
    }
    value += 0.5 * net.alpha * sumsq / nb;
    if (!std::isfinite(value)) {
      r.loss_sum = value;
      return r;
    }
    const std::int64_t t = opt.step + r.steps + 1;
    const bool first = opt.first_step && r.steps == 0;
    switch (opt.kind) {
      case mlbasics::OptimizerKind::sgd:
        mlbasics::sgd_step<T>(P, params, grads.data(), st.momentum_buffer, opt.lr, opt.momentum, opt.dampening,
                              opt.weight_decay, opt.nesterov, first);
        break;
      case mlbasics::OptimizerKind::adam:
        mlbasics::adam_step<T>(P, params, grads.data(), st.exp_avg, st.exp_avg_sq, t, opt.lr, opt.beta1, opt.beta2,
                               opt.eps, opt.weight_decay, opt.decoupled_weight_decay);
        break;
      case mlbasics::OptimizerKind::rmsprop:
        mlbasics::rmsprop_step<T>(P, params, grads.data(), st.square_avg, st.momentum_buffer, st.grad_avg, opt.lr,
                                  opt.alpha, opt.eps, opt.weight_decay, opt.momentum, opt.centered);
        break;
      case mlbasics::OptimizerKind::adagrad:
        mlbasics::adagrad_step<T>(P, params, grads.data(), st.sum, t, opt.lr, opt.lr_decay, opt.weight_decay, opt.eps);
        break;
      case mlbasics::OptimizerKind::adadelta:
        mlbasics::adadelta_step<T>(P, params, grads.data(), st.square_avg, st.acc_delta, opt.lr, opt.rho, opt.eps,
                                   opt.weight_decay);
        break;
      case mlbasics::OptimizerKind::rprop:
        mlbasics::rprop_step<T>(P, params, grads.data(), st.prev, st.step_size, opt.etaminus, opt.etaplus,
                                opt.step_size_min, opt.step_size_max);
        break;
    }
    r.steps += 1;
    r.loss_sum += value * nb;
  }
  return r;
}

// Fresh state arrays (3 per slot kind) for one optimizer run.
template <class T>
struct StateBuffers {
  std::vector<T> a, b, c;
  mlbasics::OptimizerState<T> bind(mlbasics::OptimizerKind kind, T lr) {
    using K = mlbasics::OptimizerKind;
    mlbasics::OptimizerState<T> s;
    std::fill(a.begin(), a.end(), T(0));
    std::fill(b.begin(), b.end(), kind == K::rprop ? lr : T(0));
    std::fill(c.begin(), c.end(), T(0));
    switch (kind) {
      case K::sgd: s.momentum_buffer = a.data(); break;
      case K::adam: s.exp_avg = a.data(); s.exp_avg_sq = b.data(); break;
      case K::rmsprop: s.square_avg = a.data(); s.grad_avg = b.data(); s.momentum_buffer = c.data(); break;
      case K::adagrad: s.sum = a.data(); break;
      case K::adadelta: s.square_avg = a.data(); s.acc_delta = b.data(); break;
      case K::rprop: s.prev = a.data(); s.step_size = b.data(); break;
    }
    return s;
  }
};

template <class T>
void check_mlp_case(const std::vector<index_t>& sizes, mlbasics::Activation act, mlbasics::Loss loss,
                    mlbasics::OptimizerConfig opt, index_t n, index_t batch, double alpha) {
  mlbasics::MLPConfig net;
  net.layer_sizes = sizes;
  net.hidden = act;
  net.loss = loss;
  net.alpha = alpha;
  net.batch_size = batch;
  const index_t P = mlbasics::mlp_num_params(sizes), k = sizes.back();
  std::vector<T> X = random_vec<T>(static_cast<std::size_t>(n * sizes[0]));
  std::vector<T> y = random_vec<T>(static_cast<std::size_t>(n * k), 0.0, 1.0);
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  for (auto& v : labels) v = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(k));
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (auto& v : order) v = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n));  // with repeats
  const std::vector<T> p0 = random_vec<T>(static_cast<std::size_t>(P), -0.5, 0.5);
  const bool use_labels = loss == mlbasics::Loss::softmax_cross_entropy;
  StateBuffers<T> s1{std::vector<T>(P), std::vector<T>(P), std::vector<T>(P)}, s2 = s1;
  std::vector<T> p1 = p0, p2 = p0, grads(static_cast<std::size_t>(P), std::numeric_limits<T>::quiet_NaN());
  const auto got = mlbasics::mlp_epoch<T>(net, n, X.data(), use_labels ? labels.data() : nullptr,
                                          use_labels ? nullptr : y.data(), order.data(), n, p1.data(), grads.data(),
                                          opt, s1.bind(opt.kind, static_cast<T>(opt.lr)));
  const auto want = explicit_epoch<T>(net, X.data(), use_labels ? labels.data() : nullptr,
                                      use_labels ? nullptr : y.data(), order, p2.data(), opt,
                                      s2.bind(opt.kind, static_cast<T>(opt.lr)));
  const double tol = sizeof(T) == 4 ? 1e-4 : 1e-11;
  CHECK_MSG(got.steps == want.steps && got.steps == (n + batch - 1) / batch, "%s: steps %lld vs %lld", tname<T>(),
            static_cast<long long>(got.steps), static_cast<long long>(want.steps));
  CHECK_MSG(close(got.loss_sum, want.loss_sum, tol), "%s: loss_sum %.17g vs %.17g", tname<T>(), got.loss_sum,
            want.loss_sum);
  double worst = 0.0;
  for (index_t e = 0; e < P; ++e) worst = std::max(worst, std::fabs(double(p1[e]) - double(p2[e])));
  CHECK_MSG(worst <= tol, "%s: params differ by %g (sizes %zu layers, loss %d, optimizer %d, act %d)", tname<T>(), worst,
            sizes.size(), static_cast<int>(loss), static_cast<int>(opt.kind), static_cast<int>(act));
}

template <class T>
void test_mlp() {
  using mlbasics::Activation;
  using mlbasics::Loss;
  using K = mlbasics::OptimizerKind;
  std::vector<mlbasics::OptimizerConfig> opts;
  for (K kind : {K::sgd, K::adam, K::rmsprop, K::adagrad, K::adadelta, K::rprop}) {
    mlbasics::OptimizerConfig o;
    o.kind = kind;
    o.lr = kind == K::adadelta ? 1.0 : 0.01;
    o.momentum = kind == K::rmsprop ? 0.5 : 0.9;
    o.nesterov = kind == K::sgd;
    o.centered = true;
    o.weight_decay = 1e-3;
    o.first_step = true;
    o.step = 3;
    opts.push_back(o);
  }
  opts.back().step = 0;
  mlbasics::OptimizerConfig adamw = opts[1];
  adamw.decoupled_weight_decay = true;
  opts.push_back(adamw);
  const Activation acts[] = {Activation::relu, Activation::tanh, Activation::sigmoid, Activation::identity};
  int c = 0;
  for (const auto& o : opts) {
    for (Activation a : acts) {
      ++c;
      check_mlp_case<T>({5, 6, 4, 3}, a, Loss::softmax_cross_entropy, o, 23, 7, 1e-3);
      check_mlp_case<T>({5, 1}, a, Loss::binary_cross_entropy_with_logits, o, 23, 23, 0.0);
      check_mlp_case<T>({5, 7, 2}, a, Loss::squared_error, o, 24, 6, c % 2 ? 1e-2 : 0.0);
    }
  }
  // big enough that the GEMMs run on the pool
  for (int threads : {1, 2}) {
    mlbasics::set_num_threads(threads);
    check_mlp_case<T>({300, 128, 10}, Activation::relu, Loss::softmax_cross_entropy, opts[0], 150, 64, 1e-4);
    // a batch above KC of the GEMM context in use: the weight-gradient product's k = batch runs in
    // several pc passes, and its fused update epilogue must wait for the last one
    const index_t batch = mlbasics::detail::gemm_context<T>().kc + 9;
    check_mlp_case<T>({21, 30, 3}, Activation::tanh, Loss::softmax_cross_entropy, opts[1], 2 * batch + 5, batch, 1e-3);
  }
  mlbasics::set_num_threads(2);
  // divergence: stops before the update of the first non-finite batch
  mlbasics::MLPConfig net;
  net.layer_sizes = {2, 3, 2};
  net.batch_size = 2;
  const T inf = std::numeric_limits<T>::infinity();
  std::vector<T> X = {inf, T(1), T(1), T(1), T(1), T(-1), T(1), T(1)};
  std::vector<std::int64_t> labels = {0, 1, 0, 1}, order = {2, 3, 0, 1};
  const index_t P = mlbasics::mlp_num_params(net.layer_sizes);
  std::vector<T> p(static_cast<std::size_t>(P), T(1)), g(p.size());
  mlbasics::OptimizerConfig o;
  o.lr = 0.1;
  const auto r = mlbasics::mlp_epoch<T>(net, 4, X.data(), labels.data(), nullptr, order.data(), 4, p.data(), g.data(),
                                        o, mlbasics::OptimizerState<T>{});
  CHECK(r.steps == 1);
  CHECK(!std::isfinite(r.loss_sum));
}

// The dense layers and the fused MLP epoch run on GEMM internals (epilogues, the context's KC):
// run their tests again on every GEMM family other than the default one.
void test_layers_mlp_other_paths() {
  const std::string dflt = mlbasics::detail::gemm_kernel_path();
  for (const char* path : kPaths) {
    if (dflt == path || !mlbasics::detail::set_gemm_kernel_path(path)) continue;
    const int before = g_failures;
    test_layers<float>();
    test_layers<double>();
    test_mlp<float>();
    test_mlp<double>();
    std::printf("  layers + mlp on gemm kernel=%s%s\n", path, g_failures == before ? "" : " FAILED");
  }
  mlbasics::detail::set_gemm_kernel_path(nullptr);
}

void test_cpu_path() {
  const std::string p = mlbasics::cpu_path();
  CHECK(p == "avx512" || p == "avx2" || p == "generic");
  CHECK(mlbasics::cpu_path_available(p.c_str()));
  CHECK(mlbasics::cpu_path_available("generic"));
  CHECK(!mlbasics::cpu_path_available("sse9") && !mlbasics::cpu_path_available(nullptr));
  // AVX-512 implies AVX2 here (the avx512 family falls back to AVX2 kernels where it has none)
  CHECK(!mlbasics::cpu_path_available("avx512") || mlbasics::cpu_path_available("avx2"));
  CHECK(std::string(mlbasics::cpu_path()) == p);  // stable
  CHECK(!mlbasics::detail::set_gemm_kernel_path("sse9"));
  CHECK(!mlbasics::detail::set_optim_kernel_path("sse9"));
  CHECK(std::string(mlbasics::detail::optim_kernel_path()) == p);
  std::printf("  cpu_path() = %s\n", p.c_str());
}

// MLBASICS_CPU's values, as a pure function (the cached cpu_path() reads the real environment).
void test_resolve_cpu_path() {
  using mlbasics::detail::resolve_cpu_path;
  const auto throws = [](const char* env, bool avx2, bool avx512, const std::string& expected) {
    try {
      resolve_cpu_path(env, avx2, avx512);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what()) == expected;
    }
    return false;
  };
  const std::string no512 =
      "MLBASICS_CPU: 'avx512' requested but this CPU/build has no AVX-512 (F, DQ, BW, VL with OS support for zmm state)";
  for (int have = 0; have < 3; ++have) {  // nothing, AVX2, AVX2 + AVX-512
    const bool avx2 = have >= 1, avx512 = have >= 2;
    const std::string best = mlbasics::detail::isa_name(mlbasics::detail::default_isa(avx2, avx512));
    CHECK(best == (avx512 ? "avx512" : avx2 ? "avx2" : "generic"));
    CHECK(resolve_cpu_path(nullptr, avx2, avx512) == best);  // unset
    CHECK(resolve_cpu_path("", avx2, avx512) == best);
    CHECK(std::string(resolve_cpu_path("generic", avx2, avx512)) == "generic");
    for (const char* bad : {"bogus", "AVX2", "avx2 ", "generic,avx2", "sse2", "AVX512", "avx512f", "avx-512"})
      CHECK(throws(bad, avx2, avx512,
                   std::string("MLBASICS_CPU: expected 'generic', 'avx2' or 'avx512' (or unset), got '") + bad + "'"));
    if (avx2) CHECK(std::string(resolve_cpu_path("avx2", avx2, avx512)) == "avx2");
    else CHECK(throws("avx2", avx2, avx512, "MLBASICS_CPU: 'avx2' requested but this CPU/build has no AVX2+FMA"));
    if (avx512) CHECK(std::string(resolve_cpu_path("avx512", avx2, avx512)) == "avx512");
    else CHECK(throws("avx512", avx2, avx512, no512));
  }
}

// Run with MLBASICS_CPU set to an invalid value (ctest case mlbasics_cpu_env_invalid): cpu_path()
// and every kernel that dispatches on it throw std::invalid_argument naming MLBASICS_CPU, each
// time, and no kernel runs.

// The tricks path of the epoch (issue #11), also for the sanitizers: (1) a residual flag on a network
// without equal widths runs the tricks path and gives today's epoch; (2) batch norm skips a one-row
// last batch and updates the running statistics (finite); dropout, group norm and spectral norm run,
// stay finite, move u and v and keep them unit vectors; the same call twice gives the same bits.
template <class T>
void test_mlp_tricks() {
  using mlbasics::Norm;
  const std::vector<index_t> plain_sizes = {5, 7, 3};
  mlbasics::MLPConfig net;
  net.layer_sizes = plain_sizes;
  net.hidden = mlbasics::Activation::tanh;
  net.alpha = 1e-3;
  net.batch_size = 4;
  const index_t n = 17;
  std::vector<T> X = random_vec<T>(static_cast<std::size_t>(n * 5));
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n)), order(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    labels[static_cast<std::size_t>(i)] = i % 2;
    order[static_cast<std::size_t>(i)] = (i * 5) % n;
  }
  mlbasics::OptimizerConfig o;
  o.lr = 0.05;
  o.momentum = 0.9;
  o.first_step = true;
  const index_t P = mlbasics::mlp_num_params(plain_sizes);
  const std::vector<T> p0 = random_vec<T>(static_cast<std::size_t>(P), -0.5, 0.5);
  std::vector<T> pa = p0, pb = p0, ga(p0.size()), gb(p0.size()), ma(p0.size()), mb(p0.size());
  mlbasics::OptimizerState<T> sa, sb;
  sa.momentum_buffer = ma.data();
  sb.momentum_buffer = mb.data();
  const auto ra = mlbasics::mlp_epoch<T>(net, n, X.data(), labels.data(), nullptr, order.data(), n, pa.data(),
                                         ga.data(), o, sa);
  net.tricks.residual = true;  // 5 → 7 → 3: no layer has equal widths
  const auto rb = mlbasics::mlp_epoch<T>(net, n, X.data(), labels.data(), nullptr, order.data(), n, pb.data(),
                                         gb.data(), o, sb);
  const double tol = sizeof(T) == 4 ? 1e-5 : 1e-13;
  double worst = 0.0;
  for (std::size_t e = 0; e < pa.size(); ++e) worst = std::max(worst, std::fabs(double(pa[e]) - double(pb[e])));
  CHECK_MSG(ra.steps == rb.steps && close(ra.loss_sum, rb.loss_sum, tol) && worst <= tol,
            "%s: tricks path without effective tricks vs today's: %g", tname<T>(), worst);

  // every trick on a residual network 5 → 6 → 6 → 2, batch 4 over 17 rows (last batch: one row)
  const std::vector<index_t> sizes = {5, 6, 6, 2};
  for (Norm norm : {Norm::batch, Norm::group}) {
    mlbasics::MLPConfig t;
    t.layer_sizes = sizes;
    t.hidden = mlbasics::Activation::relu;
    t.alpha = 1e-3;
    t.batch_size = 4;
    t.tricks.dropout = {0.3, 0.5};
    t.tricks.seed = 99;
    t.tricks.norm = norm;
    t.tricks.groups = norm == Norm::group ? 3 : 1;
    t.tricks.residual = true;
    t.tricks.spectral = true;
    const index_t Pt = mlbasics::mlp_num_params(sizes, true);
    std::vector<T> q0 = random_vec<T>(static_cast<std::size_t>(Pt), -0.5, 0.5);
    std::vector<T> run0(24), vec0(5 + 6 + 6 + 6 + 6 + 2);
    for (std::size_t e = 0; e < run0.size(); ++e) run0[e] = (e / 6) % 2 ? T(1) : T(0);
    for (auto& v : vec0) v = T(0.3);
    std::vector<T> out[2];
    std::vector<T> vec1;
    mlbasics::EpochResult res[2];
    for (int rep = 0; rep < 2; ++rep) {
      std::vector<T> q = q0, g(q.size()), m(q.size()), run = run0, vec = vec0;
      mlbasics::OptimizerState<T> st;
      st.momentum_buffer = m.data();
      mlbasics::MLPTrickState<T> ts;
      ts.running = norm == Norm::batch ? run.data() : nullptr;
      ts.spectral = vec.data();
      res[rep] = mlbasics::mlp_epoch<T>(t, n, X.data(), labels.data(), nullptr, order.data(), n, q.data(), g.data(), o,
                                        st, nullptr, ts);
      out[rep] = q;
      vec1 = vec;
      bool finite = std::isfinite(res[rep].loss_sum);
      for (T v : q) finite = finite && std::isfinite(static_cast<double>(v));
      for (T v : run) finite = finite && std::isfinite(static_cast<double>(v));
      CHECK_MSG(finite, "%s: tricks epoch (norm %d) not finite", tname<T>(), static_cast<int>(norm));
      if (norm == Norm::batch) CHECK(run != run0);
    }
    CHECK(res[0].steps == (norm == Norm::batch ? 4 : 5));  // the one-row batch is skipped with batch norm
    CHECK(out[0] == out[1] && res[0].loss_sum == res[1].loss_sum);
    CHECK(vec1 != vec0);
    index_t off = 0;
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l)
      for (index_t len : {sizes[l + 1], sizes[l]}) {
        double q = 0;
        for (index_t e = 0; e < len; ++e) q += double(vec1[static_cast<std::size_t>(off + e)]) * double(vec1[static_cast<std::size_t>(off + e)]);
        CHECK_MSG(std::fabs(q - 1.0) < 1e-5, "%s: |u| or |v| = %g", tname<T>(), std::sqrt(q));
        off += len;
      }
  }
}

// The fused epoch's elementwise passes (mlp_rows.hpp) on every path this CPU has give the same
// epoch bit for bit: the GEMM path stays the process's, only the row kernels (and the Philox
// words) change. Widths 37 and 53 cover the 16- and 8-lane bodies and their tails; every
// activation, no normalization / batch / group norm, dropout + the skip, and the plain epoch.
// The table's exp (softmax_cross_entropy's exponentials) on every path: the same bits, within 2 ulp
// of the C library's exp over the whole range (a tail past every vector width), the edges exact.
template <class T>
void test_exp_paths() {
  std::vector<T> x;
  for (int i = -7500; i <= 7200; ++i) x.push_back(static_cast<T>(i * 0.0987654321));  // -740.7 .. 711.1
  std::vector<T> r = random_vec<T>(1003, -30, 30);
  x.insert(x.end(), r.begin(), r.end());
  const T inf = std::numeric_limits<T>::infinity();
  const T edges[] = {T(0), T(-0.0), -inf, inf, std::numeric_limits<T>::quiet_NaN(), T(-708), T(-708.1), T(-87.5),
                     T(88.8), T(1e-20), T(-1e-20), std::numeric_limits<T>::max(), std::numeric_limits<T>::lowest()};
  x.insert(x.end(), std::begin(edges), std::end(edges));
  const std::size_t n = x.size();
  std::vector<T> first;
  for (const char* path : {"generic", "avx2", "avx512"}) {
    if (!mlbasics::detail::set_mlp_rows_kernel_path(path)) continue;
    std::vector<T> out(n);
    mlbasics::detail::mlp_row_kernels<T>().exp(static_cast<index_t>(n), x.data(), out.data());
    int far = 0, edge = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double xi = static_cast<double>(x[i]);
      const T want = static_cast<T>(std::exp(xi));
      const T got = out[i];
      if (std::isnan(xi)) {
        if (!std::isnan(got)) ++edge;
      } else if (xi < -708.0) {
        if (!(got >= T(0) && static_cast<double>(got) <= 3.4e-308)) ++edge;  // flushed below -708
      } else if (std::isinf(want) || want == T(0)) {
        if (!(got == want)) ++edge;
      } else if (std::fabs(static_cast<double>(got) - static_cast<double>(want)) >
                 2.0 * eps_of<T>() * std::fabs(static_cast<double>(want)) + (sizeof(T) == 4 ? 1.5e-45 : 0.0)) {
        if (++far <= 3) std::fprintf(stderr, "exp<%s> %s: exp(%.17g) = %.17g, libm %.17g\n", tname<T>(), path, xi,
                                     static_cast<double>(got), static_cast<double>(want));
      }
    }
    CHECK_MSG(far == 0 && edge == 0, "exp<%s> on %s: %d values beyond 2 ulp, %d wrong edge cases", tname<T>(), path, far,
              edge);
    CHECK_MSG(out[n - 13] == T(1) && out[n - 11] == T(0), "exp<%s> on %s: exp(0) must be 1 and exp(-inf) 0",
              tname<T>(), path);
    if (first.empty()) {
      first = out;
    } else {
      int differ = 0;
      for (std::size_t i = 0; i < n; ++i)
        if (std::memcmp(&first[i], &out[i], sizeof(T)) != 0) ++differ;
      CHECK_MSG(differ == 0, "exp<%s>: %d values differ between generic and %s", tname<T>(), differ, path);
    }
  }
  mlbasics::detail::set_mlp_rows_kernel_path(nullptr);
}

template <class T>
void test_mlp_rows_paths() {
  using mlbasics::Norm;
  const index_t n = 45, n0 = 53;
  std::vector<T> X = random_vec<T>(static_cast<std::size_t>(n * n0));
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n)), order(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    labels[static_cast<std::size_t>(i)] = i % 3;
    order[static_cast<std::size_t>(i)] = (i * 7) % n;
  }
  mlbasics::OptimizerConfig o;
  o.lr = 0.05;
  o.momentum = 0.9;
  o.first_step = true;
  const std::vector<index_t> sizes = {n0, 37, 37, 3};
  int compared = 0;
  for (auto act : {mlbasics::Activation::relu, mlbasics::Activation::tanh, mlbasics::Activation::sigmoid,
                   mlbasics::Activation::identity})
    for (int variant = 0; variant < 4; ++variant) {  // plain, no norm + tricks, batch, group
      mlbasics::MLPConfig t;
      t.layer_sizes = sizes;
      t.hidden = act;
      t.alpha = 1e-3;
      t.batch_size = 8;
      if (variant > 0) {
        t.tricks.dropout = {0.3, 0.2};
        t.tricks.seed = 7;
        t.tricks.residual = true;
        t.tricks.norm = variant == 2 ? Norm::batch : variant == 3 ? Norm::group : Norm::none;
        t.tricks.groups = variant == 3 ? 37 : 1;
      }
      const bool norm = t.tricks.norm != Norm::none;
      const index_t P = mlbasics::mlp_num_params(sizes, norm);
      const std::vector<T> q0 = random_vec<T>(static_cast<std::size_t>(P), -0.3, 0.3);
      std::vector<T> ref_q, ref_run;
      double ref_loss = 0.0;
      for (const char* path : {"generic", "avx2", "avx512"}) {
        if (!mlbasics::detail::set_mlp_rows_kernel_path(path)) continue;  // not available here
        mlbasics::detail::set_norms_kernel_path(path);
        std::vector<T> q = q0, g(q.size()), m(q.size()), run(4 * 37);
        for (std::size_t e = 0; e < run.size(); ++e) run[e] = (e / 37) % 2 ? T(1) : T(0);
        mlbasics::OptimizerState<T> st;
        st.momentum_buffer = m.data();
        mlbasics::MLPTrickState<T> ts;
        ts.running = t.tricks.norm == Norm::batch ? run.data() : nullptr;
        const auto r = mlbasics::mlp_epoch<T>(t, n, X.data(), labels.data(), nullptr, order.data(), n, q.data(),
                                              g.data(), o, st, nullptr, ts);
        if (std::strcmp(path, "generic") == 0) {
          ref_q = q;
          ref_run = run;
          ref_loss = r.loss_sum;
          CHECK_MSG(std::isfinite(r.loss_sum), "%s: epoch loss not finite", tname<T>());
        } else {
          ++compared;
          CHECK_MSG(q == ref_q && run == ref_run && r.loss_sum == ref_loss,
                    "%s: mlp rows path %s != generic (activation %d, variant %d)", tname<T>(), path,
                    static_cast<int>(act), variant);
        }
      }
    }
  mlbasics::detail::set_mlp_rows_kernel_path(nullptr);
  mlbasics::detail::set_norms_kernel_path(nullptr);
  std::printf("  (%s: %d path comparisons)\n", tname<T>(), compared);
}

// Philox4x32-10 against the known answers of Random123 (kat_vectors), the scalar and the batched
// word generators against each other (any offset, across the 2⁶⁴ wrap), and dropout's mask.
void test_philox() {
  using mlbasics::detail::philox4x32_10;
  const auto r0 = philox4x32_10(0, 0, 0, 0, 0, 0);
  CHECK(r0.w[0] == 0x6627e8d5u && r0.w[1] == 0xe169c58du && r0.w[2] == 0xbc57ac4cu && r0.w[3] == 0x9b00dbd8u);
  const std::uint32_t f = 0xffffffffu;
  const auto r1 = philox4x32_10(f, f, f, f, f, f);
  CHECK(r1.w[0] == 0x408f276du && r1.w[1] == 0x41c83b0eu && r1.w[2] == 0xa20bc7c6u && r1.w[3] == 0x6d5451fdu);
  const auto r2 = philox4x32_10(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u);
  CHECK(r2.w[0] == 0xd16cfe09u && r2.w[1] == 0x94fdccebu && r2.w[2] == 0x5001e420u && r2.w[3] == 0x24126ea1u);
  const std::uint64_t offsets[] = {0, 1, 2, 3, 5, 1000, ~std::uint64_t{0} - 40, ~std::uint64_t{0}};
  for (const char* path : {"generic", "avx2", "avx512"}) {
    if (!mlbasics::detail::set_norms_kernel_path(path)) continue;  // not available here
    const auto words = mlbasics::detail::philox_words_kernel();
    for (std::uint64_t off : offsets)
      for (std::int64_t n : {0, 1, 3, 4, 31, 32, 33, 63, 64, 65, 100, 300}) {
        std::vector<std::uint32_t> a(static_cast<std::size_t>(n) + 1, 7u), b(a), c(a);
        mlbasics::detail::philox_words(0x0123456789abcdefULL, 99, off, n, a.data());
        mlbasics::detail::philox_words_batched(0x0123456789abcdefULL, 99, off, n, b.data());
        words(0x0123456789abcdefULL, 0xfedcba9876543210ULL, off, n, c.data());
        mlbasics::detail::philox_words(0x0123456789abcdefULL, 0xfedcba9876543210ULL, off, n, a.data());
        CHECK_MSG(a == c, "%s: offset %llu, n %lld", path, static_cast<unsigned long long>(off),
                  static_cast<long long>(n));
        mlbasics::detail::philox_words(0x0123456789abcdefULL, 99, off, n, a.data());
        CHECK_MSG(a == b, "offset %llu, n %lld", static_cast<unsigned long long>(off), static_cast<long long>(n));
        CHECK(b[static_cast<std::size_t>(n)] == 7u && c[static_cast<std::size_t>(n)] == 7u);  // nothing past n
      }
  }
  mlbasics::detail::set_norms_kernel_path(nullptr);
  // dropout: the mask is the words' test, y = x·s or 0 (even for NaN), on 1 and 2 threads alike
  const index_t count = 70001;  // above the threading threshold, not a multiple of a chunk
  std::vector<float> x(static_cast<std::size_t>(count));
  for (index_t e = 0; e < count; ++e) x[static_cast<std::size_t>(e)] = e % 7 == 0 ? NAN : 0.001f * static_cast<float>(e);
  std::vector<std::uint32_t> w(x.size());
  const std::uint64_t off = ~std::uint64_t{0} - 1000;  // wraps around 2⁶⁴
  mlbasics::detail::philox_words(5, 3, off, count, w.data());
  const double p = 0.3;
  const std::uint32_t thr = static_cast<std::uint32_t>(std::ceil(p * 16777216.0));
  const float s = static_cast<float>(1.0 / (1.0 - p));
  const int saved = mlbasics::get_num_threads();
  std::vector<std::uint8_t> mask1;
  for (int threads : {1, 2}) {
    mlbasics::set_num_threads(threads);
    std::vector<float> y(x.size());
    std::vector<std::uint8_t> mask(x.size(), 9);
    mlbasics::dropout_forward<float>(count, x.data(), p, 5, off, 3, y.data(), mask.data());
    bool same = true;
    std::size_t kept = 0;
    for (std::size_t e = 0; e < x.size(); ++e) {
      const bool keep = (w[e] >> 8) >= thr;
      kept += keep;
      same = same && mask[e] == keep &&
             (keep ? (std::isnan(x[e]) ? std::isnan(y[e]) : y[e] == x[e] * s) : (y[e] == 0.0f && !std::signbit(y[e])));
    }
    CHECK(same);
    CHECK(std::fabs(static_cast<double>(kept) / static_cast<double>(count) - (1.0 - p)) < 0.01);
    if (threads == 1) mask1 = mask;
    else CHECK(mask == mask1);
    std::vector<float> gx(x.size());
    mlbasics::dropout_backward<float>(count, x.data(), mask.data(), p, gx.data());
    CHECK(gx == y || std::equal(gx.begin(), gx.end(), y.begin(), [](float a, float b) {
      return a == b || (std::isnan(a) && std::isnan(b));
    }));
  }
  mlbasics::set_num_threads(saved);
  // p = 0 keeps everything and y == x exactly
  std::vector<float> y0(x.size());
  std::vector<std::uint8_t> m0(x.size());
  mlbasics::dropout_forward<float>(count, x.data(), 0.0, 1, 0, 0, y0.data(), m0.data());
  CHECK(std::all_of(m0.begin(), m0.end(), [](std::uint8_t v) { return v == 1; }));
  CHECK(std::memcmp(y0.data(), x.data(), x.size() * sizeof(float)) == 0);
}

// Identities of batch and group normalization: normalized columns (rows' groups) have mean 0 and
// variance 1 before γ/β; the gradients sum to 0 and are orthogonal to x̂ (per column / row group);
// grad_beta = Σ grad_y; layer norm of xᵀ is batch norm of x; running statistics; eval mode.
template <class T>
void test_norms() {
  const double tol = std::is_same<T, float>::value ? 1e-4 : 1e-10;
  std::mt19937_64 gen(11);
  std::normal_distribution<double> nd(0.0, 1.0);
  for (int threads : {1, 2}) {
    mlbasics::set_num_threads(threads);
    for (auto [n, m] : {std::pair<index_t, index_t>{2, 3}, {7, 12}, {300, 257}}) {
      std::vector<T> x(static_cast<std::size_t>(n * m)), g(x.size()), gamma(static_cast<std::size_t>(m)),
          beta(gamma.size()), ones(gamma.size(), T(1)), zeros(gamma.size(), T(0));
      for (auto& v : x) v = static_cast<T>(3.0 + 2.0 * nd(gen));
      for (auto& v : g) v = static_cast<T>(nd(gen));
      for (auto& v : gamma) v = static_cast<T>(nd(gen));
      for (auto& v : beta) v = static_cast<T>(nd(gen));
      std::vector<T> y(x.size()), mean(gamma.size()), invstd(gamma.size()), rm(gamma.size(), T(0)),
          rv(gamma.size(), T(1));
      mlbasics::batch_norm_forward<T>(n, m, x.data(), ones.data(), zeros.data(), rm.data(), rv.data(), true, 0.1, 0.0,
                                      y.data(), mean.data(), invstd.data());
      bool ok = true;
      for (index_t j = 0; j < m; ++j) {
        double s = 0, q = 0, mu = 0, var = 0;
        for (index_t i = 0; i < n; ++i) mu += static_cast<double>(x[static_cast<std::size_t>(i * m + j)]);
        mu /= static_cast<double>(n);
        for (index_t i = 0; i < n; ++i) {
          const double d = static_cast<double>(x[static_cast<std::size_t>(i * m + j)]) - mu;
          var += d * d;
          s += static_cast<double>(y[static_cast<std::size_t>(i * m + j)]);
          q += static_cast<double>(y[static_cast<std::size_t>(i * m + j)]) * static_cast<double>(y[static_cast<std::size_t>(i * m + j)]);
        }
        var /= static_cast<double>(n);
        ok = ok && std::fabs(s / static_cast<double>(n)) < tol && std::fabs(q / static_cast<double>(n) - 1.0) < 10 * tol;
        ok = ok && std::fabs(static_cast<double>(rm[static_cast<std::size_t>(j)]) - 0.1 * mu) < tol * (1 + std::fabs(mu));
        ok = ok && std::fabs(static_cast<double>(rv[static_cast<std::size_t>(j)]) -
                             (0.9 + 0.1 * var * static_cast<double>(n) / static_cast<double>(n - 1))) < tol * 10;
      }
      CHECK_MSG(ok, "batch norm forward n=%lld m=%lld", static_cast<long long>(n), static_cast<long long>(m));
      // eval with the batch statistics as running ones reproduces training's y (eps = 0)
      std::vector<T> var_b(gamma.size());
      for (index_t j = 0; j < m; ++j) {
        const double iv = static_cast<double>(invstd[static_cast<std::size_t>(j)]);
        var_b[static_cast<std::size_t>(j)] = static_cast<T>(1.0 / (iv * iv));
      }
      std::vector<T> y2(x.size()), mean2(gamma.size()), inv2(gamma.size());
      std::vector<T> mcopy = mean;
      mlbasics::batch_norm_forward<T>(n, m, x.data(), ones.data(), zeros.data(), mcopy.data(), var_b.data(), false, 0.1,
                                      0.0, y2.data(), mean2.data(), inv2.data());
      CHECK(mean2 == mean);
      double err = 0;
      for (std::size_t e = 0; e < y.size(); ++e) err = std::max(err, std::fabs(static_cast<double>(y[e] - y2[e])));
      CHECK_MSG(err < 100 * tol, "eval vs training: %g", err);
      // backward identities with γ ≠ 1: Σᵢ grad_x = 0 and Σᵢ grad_x·x̂ = 0 per column
      mlbasics::batch_norm_forward<T>(n, m, x.data(), gamma.data(), beta.data(), nullptr, nullptr, true, 0.1, 0.0,
                                      y.data(), mean.data(), invstd.data());
      std::vector<T> gx(x.size()), gg(gamma.size()), gb(gamma.size());
      mlbasics::batch_norm_backward<T>(n, m, g.data(), x.data(), gamma.data(), mean.data(), invstd.data(), gx.data(),
                                       gg.data(), gb.data());
      ok = true;
      for (index_t j = 0; j < m; ++j) {
        double s = 0, sx = 0, sg = 0, sgx = 0;
        for (index_t i = 0; i < n; ++i) {
          const std::size_t e = static_cast<std::size_t>(i * m + j);
          const double xh = (static_cast<double>(x[e]) - static_cast<double>(mean[static_cast<std::size_t>(j)])) *
                            static_cast<double>(invstd[static_cast<std::size_t>(j)]);
          s += static_cast<double>(gx[e]);
          sx += static_cast<double>(gx[e]) * xh;
          sg += static_cast<double>(g[e]);
          sgx += static_cast<double>(g[e]) * xh;
        }
        ok = ok && std::fabs(s) < 100 * tol && std::fabs(sx) < 100 * tol;
        ok = ok && std::fabs(sg - static_cast<double>(gb[static_cast<std::size_t>(j)])) < tol * 10 &&
             std::fabs(sgx - static_cast<double>(gg[static_cast<std::size_t>(j)])) < tol * 10;
      }
      CHECK_MSG(ok, "batch norm backward n=%lld m=%lld", static_cast<long long>(n), static_cast<long long>(m));
      // layer norm (1 group) of xᵀ (m, n) equals batch norm of x, with γ = 1, β = 0
      std::vector<T> xt(x.size()), yt(x.size()), mt(static_cast<std::size_t>(m)), it(mt.size()), gt(x.size()),
          gxt(x.size()), ggt(static_cast<std::size_t>(n)), gbt(ggt.size()), onesn(ggt.size(), T(1)),
          zerosn(ggt.size(), T(0));
      for (index_t i = 0; i < n; ++i)
        for (index_t j = 0; j < m; ++j) {
          xt[static_cast<std::size_t>(j * n + i)] = x[static_cast<std::size_t>(i * m + j)];
          gt[static_cast<std::size_t>(j * n + i)] = g[static_cast<std::size_t>(i * m + j)];
        }
      mlbasics::group_norm_forward<T>(m, n, 1, xt.data(), onesn.data(), zerosn.data(), 1e-5, yt.data(), mt.data(),
                                      it.data());
      mlbasics::batch_norm_forward<T>(n, m, x.data(), ones.data(), zeros.data(), nullptr, nullptr, true, 0.1, 1e-5,
                                      y.data(), mean.data(), invstd.data());
      mlbasics::group_norm_backward<T>(m, n, 1, gt.data(), xt.data(), onesn.data(), mt.data(), it.data(), gxt.data(),
                                       ggt.data(), gbt.data());
      mlbasics::batch_norm_backward<T>(n, m, g.data(), x.data(), ones.data(), mean.data(), invstd.data(), gx.data(),
                                       gg.data(), gb.data());
      double e1 = 0, e2 = 0;
      for (index_t i = 0; i < n; ++i)
        for (index_t j = 0; j < m; ++j) {
          e1 = std::max(e1, std::fabs(static_cast<double>(yt[static_cast<std::size_t>(j * n + i)] - y[static_cast<std::size_t>(i * m + j)])));
          e2 = std::max(e2, std::fabs(static_cast<double>(gxt[static_cast<std::size_t>(j * n + i)] - gx[static_cast<std::size_t>(i * m + j)])));
        }
      CHECK_MSG(e1 < 10 * tol && e2 < 100 * tol, "layer norm of x^T vs batch norm: %g %g", e1, e2);
      CHECK(mt == mean && it == invstd);
      // group norm: every row group of y (γ = 1, β = 0) has mean 0; grad_beta = Σ grad_y
      const index_t G = m % 3 == 0 ? 3 : 1;
      std::vector<T> mg(static_cast<std::size_t>(n * G)), ig(mg.size());
      mlbasics::group_norm_forward<T>(n, m, G, x.data(), ones.data(), zeros.data(), 1e-5, y.data(), mg.data(), ig.data());
      ok = true;
      const index_t k = m / G;
      for (index_t i = 0; i < n; ++i)
        for (index_t gi = 0; gi < G; ++gi) {
          double s = 0;
          for (index_t j = gi * k; j < (gi + 1) * k; ++j) s += static_cast<double>(y[static_cast<std::size_t>(i * m + j)]);
          ok = ok && std::fabs(s / static_cast<double>(k)) < 10 * tol;
        }
      CHECK(ok);
      mlbasics::group_norm_backward<T>(n, m, G, g.data(), x.data(), gamma.data(), mg.data(), ig.data(), gx.data(),
                                       gg.data(), gb.data());
      ok = true;
      for (index_t j = 0; j < m; ++j) {
        double s = 0;
        for (index_t i = 0; i < n; ++i) s += static_cast<double>(g[static_cast<std::size_t>(i * m + j)]);
        ok = ok && std::fabs(s - static_cast<double>(gb[static_cast<std::size_t>(j)])) < 10 * tol;
      }
      for (index_t i = 0; i < n; ++i)
        for (index_t gi = 0; gi < G; ++gi) {
          double s = 0;
          for (index_t j = gi * k; j < (gi + 1) * k; ++j) s += static_cast<double>(gx[static_cast<std::size_t>(i * m + j)]);
          ok = ok && std::fabs(s) < 100 * tol;
        }
      CHECK(ok);
    }
  }
  mlbasics::set_num_threads(2);
}

int expect_invalid_cpu_env() {
  const auto rejects = [](const char* what, auto&& fn) {
    try {
      fn();
    } catch (const std::invalid_argument& e) {
      const bool ok = std::strncmp(e.what(), "MLBASICS_CPU: ", 14) == 0;
      std::printf("  %s: invalid_argument \"%s\"%s\n", what, e.what(), ok ? "" : " (unexpected message)");
      return ok;
    }
    std::printf("  %s: did not throw\n", what);
    return false;
  };
  std::vector<float> a(64 * 64, 1.0f), b(64 * 64, 1.0f), c(64 * 64, -1.0f), g(64, 1.0f), buf(64, 0.0f);
  bool ok = rejects("cpu_path()", [] { mlbasics::cpu_path(); });
  ok = rejects("cpu_path() again", [] { mlbasics::cpu_path(); }) && ok;
  ok = rejects("gemm", [&] { mlbasics::gemm<float>(64, 64, 64, a.data(), 64, 1, b.data(), 64, 1, c.data(), 64, false); }) && ok;
  ok = rejects("sgd_step", [&] { mlbasics::sgd_step<float>(64, a.data(), g.data(), buf.data(), 0.1, 0.9, 0.0, 0.0, false, true); }) && ok;
  ok = ok && c[0] == -1.0f && a[0] == 1.0f;  // nothing was written
  std::printf("%s\n", ok ? "ok: invalid MLBASICS_CPU rejected" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace

// Run with MLBASICS_CPU set to a valid value (ctest cases mlbasics_cpu_env_*): that path is the
// one cpu_path() reports and the one the gemm and optim kernels dispatch to.
int expect_cpu_path(const char* expected) {
  const char* env = std::getenv("MLBASICS_CPU");
  if (!mlbasics::cpu_path_available(expected)) {
    // Forcing a family this CPU/build lacks is an error, not a silent fallback.
    try {
      mlbasics::cpu_path();
    } catch (const std::invalid_argument& e) {
      const bool ok = std::strstr(e.what(), "requested but this CPU/build has no") != nullptr;
      std::printf("  MLBASICS_CPU=%s not available here: \"%s\"\n%s\n", env ? env : "(unset)", e.what(),
                  ok ? "ok" : "FAIL");
      return ok ? 0 : 1;
    }
    std::printf("  MLBASICS_CPU=%s not available here but cpu_path() did not throw\nFAIL\n", env ? env : "(unset)");
    return 1;
  }
  std::printf("  MLBASICS_CPU=%s: cpu_path() = %s, gemm %s, optim %s, mlp rows %s\n", env ? env : "(unset)",
              mlbasics::cpu_path(), mlbasics::detail::gemm_kernel_path(), mlbasics::detail::optim_kernel_path(),
              mlbasics::detail::mlp_rows_kernel_path());
  const bool ok = std::strcmp(mlbasics::cpu_path(), expected) == 0 &&
                  std::strcmp(mlbasics::detail::gemm_kernel_path(), expected) == 0 &&
                  std::strcmp(mlbasics::detail::optim_kernel_path(), expected) == 0 &&
                  std::strcmp(mlbasics::detail::mlp_rows_kernel_path(), expected) == 0;
  std::printf("%s\n", ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}

// ----------------------------------------------------------------------------- non-finite values
// The NumPy reference's IEEE semantics (see tests/test_nonfinite.py for the full property tests).

template <class T>
void test_nonfinite() {
  using mlbasics::Activation;
  const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
  // relu(NaN) = NaN, relu(-inf) = 0; sigmoid(±inf) = 1/0, tanh(±inf) = ±1 exactly.
  {
    const T x[4] = {nan, -inf, inf, T(-1)};
    const T w[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    const T b[4] = {0, 0, 0, 0};
    T z[4], h[4];
    // one row per value: x @ I would spread 0·NaN = NaN over every column
    for (int i = 0; i < 4; ++i) {
      mlbasics::linear_forward<T>(1, 1, 1, x + i, w, b, z, h, Activation::relu);
      CHECK_MSG(i == 0 ? std::isnan(h[0]) : h[0] == (i == 2 ? inf : T(0)), "relu(%g) = %g", double(x[i]), double(h[0]));
      mlbasics::linear_forward<T>(1, 1, 1, x + i, w, b, z, h, Activation::sigmoid);
      CHECK(i == 0 ? std::isnan(h[0]) : h[0] == (i == 1 ? T(0) : (i == 2 ? T(1) : h[0])));
      mlbasics::linear_forward<T>(1, 1, 1, x + i, w, b, z, h, Activation::tanh);
      CHECK(i == 0 ? std::isnan(h[0]) : h[0] == (i == 1 ? T(-1) : (i == 2 ? T(1) : h[0])));
    }
  }
  // relu backward multiplies grad_h by relu'(z) (NaN for NaN z): NaN·0 and inf·0 are NaN.
  {
    const T z[5] = {T(-1), T(0), T(1), nan, T(-2)};
    const T gh[5] = {nan, inf, nan, T(1), T(1)};
    const T x[1] = {T(1)};
    const T w[5] = {1, 1, 1, 1, 1};
    T gw[5], gb[5];
    mlbasics::linear_backward<T>(1, 1, 5, x, w, z, nullptr, gh, nullptr, gw, gb, Activation::relu);
    for (int j = 0; j < 4; ++j) CHECK_MSG(std::isnan(gb[j]) && std::isnan(gw[j]), "relu backward column %d", j);
    CHECK(gb[4] == T(0) && gw[4] == T(0));
  }
  // GEMM: 0·NaN = NaN in every size class (direct loops, packed tiles with edges, KC passes).
  const index_t sizes[3][3] = {{2, 3, 2}, {7, 5, 17}, {13, 300, 9}};
  for (const auto& s : sizes) {
    const index_t m = s[0], k = s[1], n = s[2];
    std::vector<T> a(static_cast<std::size_t>(m * k), T(1)), bm(static_cast<std::size_t>(k * n), T(0));
    std::vector<T> c(static_cast<std::size_t>(m * n), nan);  // never read
    a[static_cast<std::size_t>(m * k - 1)] = nan;
    mlbasics::gemm<T>(m, n, k, a.data(), k, 1, bm.data(), n, 1, c.data(), n, false);
    int bad = 0;
    for (index_t i = 0; i < m; ++i)
      for (index_t j = 0; j < n; ++j) {
        const T v = c[static_cast<std::size_t>(i * n + j)];
        if (i == m - 1 ? !std::isnan(v) : v != T(0)) ++bad;
      }
    CHECK_MSG(bad == 0, "gemm<%s> %td x %td x %td: %d wrong NaN/0 entries", tname<T>(), m, k, n, bad);
  }
}

// CSR × dense against a dense reference: empty rows, unsorted and duplicate columns, a row slice
// (indptr not starting at 0), k across the 16-column passes, 1 to 3 threads (bit-identical).
template <class T, class I>
void test_sparse() {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uniform_int_distribution<int> coin(0, 3);
  for (index_t n_rows : {0, 1, 7, 300})
    for (index_t n_cols : {1, 5, 80})
      for (index_t k : {1, 3, 16, 21}) {
        std::vector<I> indptr{0}, indices;
        std::vector<T> data;
        std::vector<double> dense(static_cast<std::size_t>(n_rows * n_cols), 0.0);
        for (index_t i = 0; i < n_rows; ++i) {
          const int kind = coin(rng);  // 0: empty row
          const index_t count = kind == 0 ? 0 : 1 + static_cast<index_t>(rng() % static_cast<unsigned>(2 * n_cols));
          for (index_t e = 0; e < count; ++e) {  // random columns: unsorted, with repeats
            const index_t j = static_cast<index_t>(rng() % static_cast<unsigned>(n_cols));
            const T v = static_cast<T>(u(rng));
            indices.push_back(static_cast<I>(j));
            data.push_back(v);
            dense[static_cast<std::size_t>(i * n_cols + j)] += static_cast<double>(v);
          }
          indptr.push_back(static_cast<I>(indices.size()));
        }
        std::vector<T> b(static_cast<std::size_t>(n_cols * k)), g(static_cast<std::size_t>(n_rows * k));
        for (auto& x : b) x = static_cast<T>(u(rng));
        for (auto& x : g) x = static_cast<T>(u(rng));
        const double tol = std::is_same<T, float>::value ? 1e-4 : 1e-12;
        std::vector<T> first_fwd, first_t;
        for (int nt : {1, 2, 3}) {
          mlbasics::set_num_threads(nt);
          std::vector<T> out(static_cast<std::size_t>(n_rows * k), T(42)), out_t(static_cast<std::size_t>(n_cols * k), 0);
          mlbasics::csr_matmul<T, I>(n_rows, k, data.data(), indices.data(), indptr.data(), b.data(), out.data());
          mlbasics::csr_matmul_t_add<T, I>(n_rows, n_cols, k, data.data(), indices.data(), indptr.data(), g.data(),
                                           out_t.data());
          int bad = 0;
          for (index_t i = 0; i < n_rows; ++i)
            for (index_t q = 0; q < k; ++q) {
              double ref = 0.0, mag = 1.0;
              for (index_t j = 0; j < n_cols; ++j) {
                ref += dense[static_cast<std::size_t>(i * n_cols + j)] * static_cast<double>(b[static_cast<std::size_t>(j * k + q)]);
                mag += std::fabs(dense[static_cast<std::size_t>(i * n_cols + j)]);
              }
              if (std::fabs(static_cast<double>(out[static_cast<std::size_t>(i * k + q)]) - ref) > tol * mag * 4) ++bad;
            }
          for (index_t j = 0; j < n_cols; ++j)
            for (index_t q = 0; q < k; ++q) {
              double ref = 0.0, mag = 1.0;
              for (index_t i = 0; i < n_rows; ++i) {
                ref += dense[static_cast<std::size_t>(i * n_cols + j)] * static_cast<double>(g[static_cast<std::size_t>(i * k + q)]);
                mag += std::fabs(dense[static_cast<std::size_t>(i * n_cols + j)]);
              }
              if (std::fabs(static_cast<double>(out_t[static_cast<std::size_t>(j * k + q)]) - ref) > tol * mag * 4) ++bad;
            }
          CHECK_MSG(bad == 0, "csr<%s> %td x %td, k=%td, %d threads: %d wrong entries", tname<T>(), n_rows, n_cols, k, nt, bad);
          if (nt == 1) {
            first_fwd = out;
            first_t = out_t;
          } else {
            CHECK_MSG(out == first_fwd && out_t == first_t, "csr<%s> %td x %td, k=%td: %d threads differ from 1",
                      tname<T>(), n_rows, n_cols, k, nt);
          }
        }
        // a slice of rows: indptr starting past 0, out += for the transposed product
        if (n_rows >= 2) {
          const index_t r0 = n_rows / 2, rows = n_rows - r0;
          std::vector<T> part(static_cast<std::size_t>(rows * k));
          mlbasics::csr_matmul<T, I>(rows, k, data.data(), indices.data(), indptr.data() + r0, b.data(), part.data());
          CHECK(std::equal(part.begin(), part.end(), first_fwd.begin() + r0 * k));
          std::vector<T> acc(static_cast<std::size_t>(n_cols * k), 0);
          mlbasics::csr_matmul_t_add<T, I>(r0, n_cols, k, data.data(), indices.data(), indptr.data(), g.data(), acc.data());
          mlbasics::csr_matmul_t_add<T, I>(rows, n_cols, k, data.data(), indices.data(), indptr.data() + r0,
                                           g.data() + r0 * k, acc.data());
          CHECK_MSG(acc == first_t, "csr_matmul_t_add<%s> in two slices differs from one call", tname<T>());
        }
      }
  mlbasics::set_num_threads(2);
}

// kmeans_step and nearest_neighbors on small integers (every product, norm and sum exact) on
// every distances path, against brute force bit for bit: the first minimum (duplicate centres
// and exact ties go to the lowest index), sums and weights in row order, the direct distances.
// k crosses the direct loops' vector widths (AVX-512: no GEMM up to 32 floats / 16 doubles, AVX2: 16 / 8, two
// features per FMA up to half a vector) and p their tails; the neighbours cross two column
// blocks and the 64 groups of the per-row bound.
template <class T>
void test_distances_paths() {
  std::mt19937 gen(11);
  std::uniform_int_distribution<int> small(-3, 3), weight(0, 3);
  auto ints = [&](index_t count) {
    std::vector<T> v(static_cast<std::size_t>(count));
    for (auto& e : v) e = static_cast<T>(small(gen));
    return v;
  };
  for (const char* path : kPaths) {
    if (!mlbasics::detail::set_distances_kernel_path(path)) continue;
    const int before = g_failures;
    const index_t n = 300;
    for (index_t k : {1, 2, 3, 4, 5, 8, 9, 16, 17, 32, 33, 40})
      for (index_t p : {1, 4, 7, 33}) {
        std::vector<T> x = ints(n * p), c = ints(k * p), w(static_cast<std::size_t>(n));
        for (auto& e : w) e = static_cast<T>(weight(gen));
        if (k > 2)
          for (index_t q = 0; q < p; ++q) c[static_cast<std::size_t>((k - 1) * p + q)] = c[static_cast<std::size_t>(q)];
        for (const T* wp : {static_cast<const T*>(nullptr), static_cast<const T*>(w.data())}) {
          std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
          std::vector<T> sq(static_cast<std::size_t>(n)), sums(static_cast<std::size_t>(k * p)),
              ws(static_cast<std::size_t>(k));
          mlbasics::kmeans_step<T>(n, p, k, x.data(), c.data(), wp, labels.data(), sq.data(), sums.data(), ws.data());
          std::vector<double> es(static_cast<std::size_t>(k * p), 0.0), ew(static_cast<std::size_t>(k), 0.0);
          for (index_t i = 0; i < n; ++i) {
            index_t best = 0;
            double bd = 0.0;
            for (index_t j = 0; j < k; ++j) {
              double d = 0.0;
              for (index_t q = 0; q < p; ++q) {
                const double t = double(x[static_cast<std::size_t>(i * p + q)]) - double(c[static_cast<std::size_t>(j * p + q)]);
                d += t * t;
              }
              if (j == 0 || d < bd) { bd = d; best = j; }
            }
            CHECK(labels[static_cast<std::size_t>(i)] == best);
            CHECK(sq[static_cast<std::size_t>(i)] == static_cast<T>(bd));
            const double wi = wp ? double(wp[i]) : 1.0;
            for (index_t q = 0; q < p; ++q) es[static_cast<std::size_t>(best * p + q)] += wi * double(x[static_cast<std::size_t>(i * p + q)]);
            ew[static_cast<std::size_t>(best)] += wi;
          }
          for (index_t e = 0; e < k * p; ++e) CHECK(sums[static_cast<std::size_t>(e)] == static_cast<T>(es[static_cast<std::size_t>(e)]));
          for (index_t j = 0; j < k; ++j) CHECK(ws[static_cast<std::size_t>(j)] == static_cast<T>(ew[static_cast<std::size_t>(j)]));
        }
      }
    const index_t nq = 70, m = 2100, p = 3;
    std::vector<T> xq = ints(nq * p), y = ints(m * p);
    for (index_t kn : {1, 10, 63}) {
      std::vector<T> d(static_cast<std::size_t>(nq * kn));
      std::vector<std::int64_t> idx(static_cast<std::size_t>(nq * kn));
      mlbasics::nearest_neighbors<T>(nq, m, p, xq.data(), y.data(), false, kn, d.data(), idx.data());
      std::vector<std::pair<double, index_t>> all(static_cast<std::size_t>(m));
      for (index_t i = 0; i < nq; ++i) {
        for (index_t j = 0; j < m; ++j) {
          double s = 0.0;
          for (index_t q = 0; q < p; ++q) {
            const double t = double(xq[static_cast<std::size_t>(i * p + q)]) - double(y[static_cast<std::size_t>(j * p + q)]);
            s += t * t;
          }
          all[static_cast<std::size_t>(j)] = {s, j};
        }
        std::sort(all.begin(), all.end());
        for (index_t t = 0; t < kn; ++t) {
          CHECK(idx[static_cast<std::size_t>(i * kn + t)] == all[static_cast<std::size_t>(t)].second);
          CHECK(d[static_cast<std::size_t>(i * kn + t)] == static_cast<T>(all[static_cast<std::size_t>(t)].first));
        }
      }
    }
    std::printf("  distances kernel=%s%s\n", path, g_failures == before ? "" : " FAILED");
  }
  mlbasics::detail::set_distances_kernel_path(nullptr);
}

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--expect-invalid-cpu-env") == 0) return expect_invalid_cpu_env();
  if (argc > 2 && std::strcmp(argv[1], "--expect-cpu-path") == 0) return expect_cpu_path(argv[2]);
  auto t0 = std::chrono::steady_clock::now();
  auto section = [&](const char* name, void (*fn)()) {
    const int before = g_failures;
    auto s0 = std::chrono::steady_clock::now();
    fn();
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
    std::printf("[%s] %s (%.2f s)\n", g_failures == before ? " ok " : "FAIL", name, sec);
    std::fflush(stdout);
  };
  section("cpu_path", test_cpu_path);
  section("resolve_cpu_path (MLBASICS_CPU values)", test_resolve_cpu_path);
  section("parallel_for", test_parallel);
  section("pool waiting policy", test_pool_waiting);
  section("gemm + gram (all kernels, 1 and 2 threads)", test_gemm_all_kernels);
  section("gemm contexts (shipped and forced)", test_gemm_contexts);
  section("layers<float>", test_layers<float>);
  section("layers<double>", test_layers<double>);
  section("losses<float>", test_losses<float>);
  section("losses<double>", test_losses<double>);
  section("weighted losses<float>", test_weighted_losses<float>);
  section("weighted losses<double>", test_weighted_losses<double>);
  section("optim<float>", test_optim<float>);
  section("optim<double>", test_optim<double>);
  section("mlp<float>", test_mlp<float>);
  section("mlp<double>", test_mlp<double>);
  section("layers + mlp on every other GEMM path", test_layers_mlp_other_paths);
  section("non-finite values<float>", test_nonfinite<float>);
  section("non-finite values<double>", test_nonfinite<double>);
  section("sparse<float, int32>", test_sparse<float, std::int32_t>);
  section("sparse<double, int64>", test_sparse<double, std::int64_t>);
  section("philox + dropout", test_philox);
  section("norms<float>", test_norms<float>);
  section("norms<double>", test_norms<double>);
  section("mlp tricks<float>", test_mlp_tricks<float>);
  section("mlp tricks<double>", test_mlp_tricks<double>);
  section("exp on every path<float>", test_exp_paths<float>);
  section("exp on every path<double>", test_exp_paths<double>);
  section("mlp rows on every path<float>", test_mlp_rows_paths<float>);
  section("mlp rows on every path<double>", test_mlp_rows_paths<double>);
  section("distances on every path<float>", test_distances_paths<float>);
  section("distances on every path<double>", test_distances_paths<double>);
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%d checks, %d failures, %.2f s\n", g_checks, g_failures, sec);
  return g_failures == 0 ? 0 : 1;
}

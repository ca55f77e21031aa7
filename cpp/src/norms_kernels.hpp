// norms_kernels.hpp — the pieces of the norms family shared by norms.cpp (the kernels) and mlp.cpp
// (the fused epoch): Philox words in batches, the dropout of a contiguous range, and the
// normalizations over a range of columns (batch norm) or rows (group norm), single-threaded.
// Internal header; the arithmetic is the NumPy reference's (double, one rounding per output).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "mlbasics/gemm.hpp"
#include "philox.hpp"

namespace mlbasics {
namespace detail {

#if defined(MLBASICS_HAVE_AVX2_TU)
// The same words, 16 counters at a time with AVX2 (norms_avx2.cpp).
void philox_words_avx2(std::uint64_t seed, std::uint64_t stream, std::uint64_t offset, std::int64_t n,
                       std::uint32_t* out);
#endif
#if defined(MLBASICS_HAVE_AVX512_TU)
// The same words, 32 counters at a time with AVX-512 (norms_avx512.cpp).
void philox_words_avx512(std::uint64_t seed, std::uint64_t stream, std::uint64_t offset, std::int64_t n,
                         std::uint32_t* out);
#endif

// The word generator for this CPU: philox_words_avx512 on the "avx512" path, philox_words_avx2 on
// the "avx2" one, else philox_words_batched (norms.cpp; the choice follows cpu_path()).
using philox_words_fn = void (*)(std::uint64_t, std::uint64_t, std::uint64_t, std::int64_t, std::uint32_t*);
philox_words_fn philox_words_kernel();
// For tests: force "generic", "avx2" or "avx512" (where available), or nullptr for cpu_path(); false if not available.
bool set_norms_kernel_path(const char* name);

// Everything below has internal linkage: the per-ISA translation units (mlp_rows_*.cpp) compile
// their own copies with their own vector width, and an inline function of external linkage
// instantiated there could be picked by the linker for a portable TU too (and then run AVX-512
// code on a CPU without it).
namespace {

// Words offset, ..., offset + n − 1 (mod 2⁶⁴) of `stream` under `seed`, as philox_words, computed
// eight counters at a time so that the compiler vectorizes the rounds (32×32→64-bit products).
inline void philox_words_batched(std::uint64_t seed, std::uint64_t stream, std::uint64_t offset, std::int64_t n,
                                 std::uint32_t* out) {
  constexpr int N = 8;
  constexpr std::uint64_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  constexpr std::uint64_t kBlockMask = (std::uint64_t{1} << 62) - 1;  // word numbers wrap mod 2⁶⁴
  const std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  const std::uint32_t s0 = static_cast<std::uint32_t>(stream), s1 = static_cast<std::uint32_t>(stream >> 32);
  std::uint64_t block = offset >> 2;
  unsigned skip = static_cast<unsigned>(offset & 3u);
  while (n > 0) {
    std::uint32_t c0[N], c1[N], c2[N], c3[N];
    for (int i = 0; i < N; ++i) {
      const std::uint64_t b = (block + static_cast<std::uint64_t>(i)) & kBlockMask;
      c0[i] = static_cast<std::uint32_t>(b);
      c1[i] = static_cast<std::uint32_t>(b >> 32);
      c2[i] = s0;
      c3[i] = s1;
    }
    std::uint32_t K0 = k0, K1 = k1;
    for (int r = 0; r < 10; ++r) {
      if (r) {
        K0 += kW0;
        K1 += kW1;
      }
      for (int i = 0; i < N; ++i) {
        const std::uint64_t p0 = kM0 * c0[i], p1 = kM1 * c2[i];
        const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1[i] ^ K0;
        const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3[i] ^ K1;
        c1[i] = static_cast<std::uint32_t>(p1);
        c3[i] = static_cast<std::uint32_t>(p0);
        c0[i] = n0;
        c2[i] = n2;
      }
    }
    if (skip == 0 && n >= 4 * N) {
      for (int i = 0; i < N; ++i) {
        out[4 * i] = c0[i];
        out[4 * i + 1] = c1[i];
        out[4 * i + 2] = c2[i];
        out[4 * i + 3] = c3[i];
      }
      out += 4 * N;
      n -= 4 * N;
    } else {
      for (int i = 0; i < N && n > 0; ++i) {
        const std::uint32_t w[4] = {c0[i], c1[i], c2[i], c3[i]};
        for (unsigned j = skip; j < 4 && n > 0; ++j, --n) *out++ = w[j];
        skip = 0;
      }
    }
    block += N;
  }
}


// ⌈p·2²⁴⌉ for 0 <= p < 1 (exact in double).
inline std::uint32_t keep_threshold(double p) { return static_cast<std::uint32_t>(std::ceil(p * 16777216.0)); }

// s = T(1 / (1 − p)): computed in double, rounded once.
template <class T>
inline T dropout_scale(double p) {
  return static_cast<T>(1.0 / (1.0 - p));
}

// Dropout of elements [0, count) whose words start at `offset`: mask = kept, y = kept ? x·s : 0.
// y may be x (in place). mask may be nullptr.
template <class T>
void dropout_range(index_t count, const T* x, std::uint64_t seed, std::uint64_t offset, std::uint64_t stream,
                   std::uint32_t threshold, T s, T* y, std::uint8_t* mask) {
  using U = typename std::conditional<sizeof(T) == 4, std::uint32_t, std::uint64_t>::type;
  static_assert(sizeof(U) == sizeof(T), "float or double");
  constexpr index_t kChunk = 256;
  std::uint32_t w[kChunk];
  const std::int32_t thr = static_cast<std::int32_t>(threshold);
  const philox_words_fn words = philox_words_kernel();
  for (index_t e0 = 0; e0 < count; e0 += kChunk) {
    const index_t c = count - e0 < kChunk ? count - e0 : kChunk;
    words(seed, stream, offset + static_cast<std::uint64_t>(e0), c, w);
    const T* xe = x + e0;
    T* ye = y + e0;
    // y = x·s with its bits and-ed with all ones (kept) or zeros (dropped: +0, even for NaN x):
    // integer selects of the float's width, which the compiler vectorizes (a float select with a
    // narrower integer condition it does not). (w >> 8) < 2²⁴ and threshold <= 2²⁴: signed compares.
    for (index_t j = 0; j < c; ++j) {
      const U keep = static_cast<std::int32_t>(w[j] >> 8) >= thr ? ~U(0) : U(0);
      const T v = xe[j] * s;
      U b;
      std::memcpy(&b, &v, sizeof(T));
      b &= keep;
      std::memcpy(ye + j, &b, sizeof(T));
    }
    if (mask != nullptr)
      for (index_t j = 0; j < c; ++j)
        mask[e0 + j] = static_cast<std::uint8_t>(static_cast<std::int32_t>(w[j] >> 8) >= thr);
  }
}

// grad_x = mask ? grad_y·s : 0 over [0, count); grad_x may be grad_y.
// As dropout_range: the select is an and with an integer mask of the float's width (branch-free,
// vectorized; a branch on the mask mispredicts on every other element).
template <class T>
inline void dropout_backward_range(index_t count, const T* grad_y, const std::uint8_t* mask, T s, T* grad_x) {
  using U = typename std::conditional<sizeof(T) == 4, std::uint32_t, std::uint64_t>::type;
  for (index_t e = 0; e < count; ++e) {
    const U keep = U(0) - static_cast<U>(mask[e] == 1);
    const T v = grad_y[e] * s;
    U b;
    std::memcpy(&b, &v, sizeof(T));
    b &= keep;
    std::memcpy(grad_x + e, &b, sizeof(T));
  }
}

// Batch-norm statistics of columns [j0, j1) of x (n, ld): mu[j − j0] = Σᵢ x/n, var = Σᵢ (x − mu)²/n,
// both in double, rows added in order (two passes).
template <class T>
void column_stats(index_t n, index_t ld, index_t j0, index_t j1, const T* x, double* mu, double* var) {
  const index_t w = j1 - j0;
  for (index_t j = 0; j < w; ++j) mu[j] = var[j] = 0.0;  // no std::fill: see the namespace's note
  for (index_t i = 0; i < n; ++i) {
    const T* xi = x + i * ld + j0;
    for (index_t j = 0; j < w; ++j) mu[j] += static_cast<double>(xi[j]);
  }
  const double dn = static_cast<double>(n);
  for (index_t j = 0; j < w; ++j) mu[j] /= dn;
  for (index_t i = 0; i < n; ++i) {
    const T* xi = x + i * ld + j0;
    for (index_t j = 0; j < w; ++j) {
      const double d = static_cast<double>(xi[j]) - mu[j];
      var[j] += d * d;
    }
  }
  for (index_t j = 0; j < w; ++j) var[j] /= dn;
}

// y = T(((x − mu)·inv)·gamma + beta) over `w` values (mu, inv in double, per column).
template <class T>
inline void normalize_row(index_t w, const T* x, const double* mu, const double* inv, const T* gamma, const T* beta,
                          T* y) {
  for (index_t j = 0; j < w; ++j) {
    const double xh = (static_cast<double>(x[j]) - mu[j]) * inv[j];
    y[j] = static_cast<T>(xh * static_cast<double>(gamma[j]) + static_cast<double>(beta[j]));
  }
}

// One row's contribution to batch norm's backward sums: gb[j] += grad_y[j], gg[j] += grad_y[j]·x̂[j]
// over w columns (mean, invstd: those columns' stored statistics).
template <class T>
inline void batch_norm_backward_sums_row(index_t w, const T* grad_y, const T* x, const T* mean, const T* invstd,
                                         double* gb, double* gg) {
  for (index_t j = 0; j < w; ++j) {
    const double g = static_cast<double>(grad_y[j]);
    const double xh = (static_cast<double>(x[j]) - static_cast<double>(mean[j])) * static_cast<double>(invstd[j]);
    gb[j] += g;
    gg[j] += g * xh;
  }
}

template <class T>
void batch_norm_backward_apply(index_t n, index_t ld, index_t j0, index_t j1, const T* grad_y, const T* x,
                               const T* gamma, const T* mean, const T* invstd, T* grad_x, const double* gb,
                               const double* gg);

// Batch-norm backward over columns [j0, j1) of (n, ld) arrays; gb, gg: scratch of j1 − j0 doubles
// (they end holding Σ grad_y and Σ grad_y·x̂). grad_x may be grad_y (in place).
template <class T>
void batch_norm_backward_cols(index_t n, index_t ld, index_t j0, index_t j1, const T* grad_y, const T* x,
                              const T* gamma, const T* mean, const T* invstd, T* grad_x, double* gb, double* gg) {
  const index_t w = j1 - j0;
  std::fill(gb, gb + w, 0.0);
  std::fill(gg, gg + w, 0.0);
  for (index_t i = 0; i < n; ++i)
    batch_norm_backward_sums_row<T>(w, grad_y + i * ld + j0, x + i * ld + j0, mean + j0, invstd + j0, gb, gg);
  batch_norm_backward_apply<T>(n, ld, j0, j1, grad_y, x, gamma, mean, invstd, grad_x, gb, gg);
}

// The second pass of batch_norm_backward_cols, given the sums gb = Σᵢ grad_y and gg = Σᵢ grad_y·x̂.
template <class T>
void batch_norm_backward_apply(index_t n, index_t ld, index_t j0, index_t j1, const T* grad_y, const T* x,
                               const T* gamma, const T* mean, const T* invstd, T* grad_x, const double* gb,
                               const double* gg) {
  const index_t w = j1 - j0;
  const double dn = static_cast<double>(n);
  for (index_t i = 0; i < n; ++i) {
    const T* gi = grad_y + i * ld + j0;
    const T* xi = x + i * ld + j0;
    T* oi = grad_x + i * ld + j0;
    for (index_t j = 0; j < w; ++j) {
      const double inv = static_cast<double>(invstd[j0 + j]);
      const double xh = (static_cast<double>(xi[j]) - static_cast<double>(mean[j0 + j])) * inv;
      const double g = static_cast<double>(gi[j]);
      oi[j] = static_cast<T>(static_cast<double>(gamma[j0 + j]) * inv / dn * (dn * g - gb[j] - xh * gg[j]));
    }
  }
}

// Group-norm statistics of one row x (m values): mu[g], inv[g] in double for each of `groups` groups.
template <class T>
void group_stats_row(index_t m, index_t groups, const T* x, double eps, double* mu, double* inv) {
  const index_t k = m / groups;
  const double dk = static_cast<double>(k);
  for (index_t g = 0; g < groups; ++g) {
    const T* xg = x + g * k;
    double s = 0.0;
    for (index_t j = 0; j < k; ++j) s += static_cast<double>(xg[j]);
    const double mean = s / dk;
    double q = 0.0;
    for (index_t j = 0; j < k; ++j) {
      const double d = static_cast<double>(xg[j]) - mean;
      q += d * d;
    }
    mu[g] = mean;
    inv[g] = 1.0 / std::sqrt(q / dk + eps);
  }
}

// y = T(((x − mu_g)·inv_g)·gamma + beta) for one row of m values.
template <class T>
void group_normalize_row(index_t m, index_t groups, const T* x, const double* mu, const double* inv, const T* gamma,
                         const T* beta, T* y) {
  const index_t k = m / groups;
  for (index_t g = 0; g < groups; ++g) {
    const double mg = mu[g], ig = inv[g];
    const T* xg = x + g * k;
    const T* ga = gamma + g * k;
    const T* be = beta + g * k;
    T* yg = y + g * k;
    for (index_t j = 0; j < k; ++j) {
      const double xh = (static_cast<double>(xg[j]) - mg) * ig;
      yg[j] = static_cast<T>(xh * static_cast<double>(ga[j]) + static_cast<double>(be[j]));
    }
  }
}

// grad_x of one row (m values) of group norm; mean, invstd: this row's `groups` stored values.
// grad_x may be grad_y (in place).
template <class T>
void group_norm_backward_row(index_t m, index_t groups, const T* grad_y, const T* x, const T* gamma, const T* mean,
                             const T* invstd, T* grad_x) {
  const index_t k = m / groups;
  const double dk = static_cast<double>(k);
  for (index_t g = 0; g < groups; ++g) {
    const double mg = static_cast<double>(mean[g]), ig = static_cast<double>(invstd[g]);
    const index_t o = g * k;
    double s1 = 0.0, s2 = 0.0;
    for (index_t j = o; j < o + k; ++j) {
      const double gh = static_cast<double>(grad_y[j]) * static_cast<double>(gamma[j]);
      const double xh = (static_cast<double>(x[j]) - mg) * ig;
      s1 += gh;
      s2 += gh * xh;
    }
    for (index_t j = o; j < o + k; ++j) {
      const double gh = static_cast<double>(grad_y[j]) * static_cast<double>(gamma[j]);
      const double xh = (static_cast<double>(x[j]) - mg) * ig;
      grad_x[j] = static_cast<T>(ig / dk * (dk * gh - s1 - xh * s2));
    }
  }
}

// grad_gamma[j] += Σᵢ grad_y·x̂, grad_beta[j] += Σᵢ grad_y over columns [j0, j1) of group norm's
// (n, m) arrays, accumulated in the doubles gg, gb (j1 − j0 each, zeroed here).
template <class T>
void group_norm_param_grads_cols(index_t n, index_t m, index_t groups, index_t j0, index_t j1, const T* grad_y,
                                 const T* x, const T* mean, const T* invstd, double* gg, double* gb) {
  const index_t k = m / groups, w = j1 - j0;
  std::fill(gb, gb + w, 0.0);
  std::fill(gg, gg + w, 0.0);
  for (index_t i = 0; i < n; ++i) {
    const T* gi = grad_y + i * m;
    const T* xi = x + i * m;
    const T* mi = mean + i * groups;
    const T* vi = invstd + i * groups;
    for (index_t j = j0; j < j1; ++j) {
      const index_t g = j / k;
      const double xh = (static_cast<double>(xi[j]) - static_cast<double>(mi[g])) * static_cast<double>(vi[g]);
      const double gy = static_cast<double>(gi[j]);
      gb[j - j0] += gy;
      gg[j - j0] += gy * xh;
    }
  }
}

}  // namespace
}  // namespace detail
}  // namespace mlbasics

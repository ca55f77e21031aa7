// mlp_rows_loops.hpp — the loop bodies behind mlp_rows.hpp's table, included by each per-ISA
// translation unit (mlp_rows_generic.cpp, mlp_rows_avx2.cpp, mlp_rows_avx512.cpp), which then
// defines its tables with MLB_MLP_ROWS_DEFINE_TABLES. The compiler vectorizes the same code for
// that TU's ISA (16 floats / 8 doubles per instruction with AVX-512).
//
// As optim_loops.hpp: everything here (and in the headers it uses, activations.hpp and
// norms_kernels.hpp) has internal linkage, and calls no inline library template (std::fill,
// std::min, ...) that the linker could share with a portable TU; only C library functions
// (memcpy, sqrt, exp, tanh) and the out-of-line Philox word generator are called.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "activations.hpp"
#include "mlp_rows.hpp"
#include "norms_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

inline float exp_of(float v) { return ::expf(v); }
inline double exp_of(double v) { return ::exp(v); }
inline float tanh_of(float v) { return ::tanhf(v); }
inline double tanh_of(double v) { return ::tanh(v); }

template <class T>
inline T sigmoid_of(T v) {  // as layers.cpp's: never overflows
  if (v >= T(0)) return T(1) / (T(1) + exp_of(-v));
  const T e = exp_of(v);
  return e / (T(1) + e);
}

// exp(x) in double without a library call, so that a loop over independent values vectorizes
// (glibc's exp is one scalar call per value): x = k·ln 2 + r with k = round(x / ln 2) and
// |r| <= ln 2 / 2, e^r by its Taylor series to r¹³ (truncation below 5·10⁻¹⁸), 2^k built in the
// exponent bits (as 2^(k-1)·2, so that k = 1024 near the top of the range needs no special case).
// ln 2 is split in two (its high part has 32 significant bits, so k·ln2_hi is exact) and every
// operation rounds separately (these TUs never contract to FMA), so every path gives the same
// bits; measured against long double expl on 4·10⁶ values, within 1 ulp (glibc's exp: 0.51).
// x above 709.78 gives +inf, x below -708 gives 0 (the true value is below 3.4·10⁻³⁰⁸, a
// subnormal), NaN stays NaN, exp(0) is exactly 1.
inline double exp_series(double x) {
  const double lo = -708.0, hi = 709.79;  // k in [-1021, 1024]
  double c = x < lo ? lo : x;  // NaN passes both tests unchanged
  c = c > hi ? hi : c;
  const double shifter = 6755399441055744.0;  // 1.5·2⁵²: adding it rounds to an integer in the low bits
  const double kd = c * 1.4426950408889634 + shifter;
  std::uint64_t bits;  // unsigned: a NaN's bits make a meaningless k, never an overflow
  std::memcpy(&bits, &kd, sizeof bits);
  const std::uint64_t k = bits - std::uint64_t{0x4338000000000000};  // k modulo 2⁶⁴
  const double kf = kd - shifter;
  const double r = (c - kf * 6.93147180369123816490e-01) - kf * 1.90821492927058770002e-10;
  // e^r = 1 + (r + r²·q(r)), q(r) = Σ_{j<12} r^j / (j + 2)!, by Estrin's scheme: 8 dependent
  // operations from r to p instead of Horner's 28, so that one vector's latency no longer sets
  // the vectorized loop's pace (Zen 5, 640 values a call, ns per value: avx512 path 1.00–1.09 →
  // 0.68–0.72, avx2 1.90–2.07 → 1.25–1.36, generic 4.5–4.9 → 3.1–3.5). |q| < 0.6 and r²·q < 0.07
  // carry their roundings far below the result's ulp, which the last two additions set.
  const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const double q01 = 1.0 / 2.0 + r * (1.0 / 6.0), q23 = 1.0 / 24.0 + r * (1.0 / 120.0);
  const double q45 = 1.0 / 720.0 + r * (1.0 / 5040.0), q67 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
  const double q89 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0), qab = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
  const double q03 = q01 + r2 * q23, q47 = q45 + r2 * q67, q8b = q89 + r2 * qab;
  const double q = (q03 + r4 * q47) + r8 * q8b;
  const double p = 1.0 + (r + r2 * q);
  const std::uint64_t sbits = (k + 1022) << 52;  // 2^(k-1), a normal number for k in [-1021, 1024]
  double scale;
  std::memcpy(&scale, &sbits, sizeof scale);
  const double e = (p * scale) * 2.0;  // both products exact but for the final overflow to +inf
  const double out = x < lo ? 0.0 : e;
  return x > 709.782712893384 ? HUGE_VAL : out;
}

// out[i] = exp(x[i]) for i < n (out may be x); float computes in double and rounds once.
template <class T>
void exp_loop(index_t n, const T* x, T* out) {
  for (index_t i = 0; i < n; ++i) out[i] = static_cast<T>(exp_series(static_cast<double>(x[i])));
}

template <class T>
void col_sums_loop(index_t nb, index_t w, const T* g, T* out) {
  for (index_t j = 0; j < w; ++j) out[j] = T(0);
  for (index_t i = 0; i < nb; ++i) {
    const T* gi = g + i * w;
    for (index_t j = 0; j < w; ++j) out[j] += gi[j];
  }
}

template <class T>
void add_scaled_loop(index_t n, T l2, const T* p, T* g) {
  for (index_t e = 0; e < n; ++e) g[e] += l2 * p[e];
}

template <class T>
double sum_squares_loop(const T* a, index_t n) {
  constexpr int W = 16;
  T acc[W] = {};
  index_t i = 0;
  for (; i + W <= n; i += W)
    for (int l = 0; l < W; ++l) acc[l] += a[i + l] * a[i + l];
  double s = 0.0;
  for (; i < n; ++i) s += static_cast<double>(a[i]) * static_cast<double>(a[i]);
  for (int l = 0; l < W; ++l) s += static_cast<double>(acc[l]);
  return s;
}

template <class T, Activation A>
void derivative_rows(T* g, const T* z, const T* h, index_t ld, index_t i0, index_t i1, index_t j0, index_t j1) {
  for (index_t i = i0; i < i1; ++i) {
    T* gi = g + i * ld;
    if (A == Activation::relu) {
      const T* zi = z + i * ld;
      for (index_t j = j0; j < j1; ++j) gi[j] = relu_grad(gi[j], zi[j]);
    } else if (A == Activation::sigmoid) {
      const T* hi = h + i * ld;
      for (index_t j = j0; j < j1; ++j) gi[j] = gi[j] * (hi[j] * (T(1) - hi[j]));
    } else if (A == Activation::tanh) {
      const T* hi = h + i * ld;
      for (index_t j = j0; j < j1; ++j) gi[j] = gi[j] * (T(1) - hi[j] * hi[j]);
    }
  }
}

template <class T>
void derivative_loop(Activation act, T* g, const T* z, const T* h, index_t ld, index_t i0, index_t i1, index_t j0,
                     index_t j1) {
  switch (act) {
    case Activation::relu: derivative_rows<T, Activation::relu>(g, z, h, ld, i0, i1, j0, j1); break;
    case Activation::sigmoid: derivative_rows<T, Activation::sigmoid>(g, z, h, ld, i0, i1, j0, j1); break;
    case Activation::tanh: derivative_rows<T, Activation::tanh>(g, z, h, ld, i0, i1, j0, j1); break;
    case Activation::identity: break;
  }
}

// g = act(a) over w values.
template <class T>
void activate_row(Activation act, index_t w, const T* a, T* g) {
  switch (act) {
    case Activation::identity: std::memcpy(g, a, static_cast<std::size_t>(w) * sizeof(T)); break;
    case Activation::relu: for (index_t j = 0; j < w; ++j) g[j] = relu(a[j]); break;
    case Activation::sigmoid: for (index_t j = 0; j < w; ++j) g[j] = sigmoid_of(a[j]); break;
    case Activation::tanh: for (index_t j = 0; j < w; ++j) g[j] = tanh_of(a[j]); break;
  }
}

// out = grad ⊙ act'(·) over w values (relu reads a, sigmoid/tanh read g = act(a)); out may be grad.
template <class T>
void activation_grad_row(Activation act, index_t w, const T* grad, const T* a, const T* g, T* out) {
  switch (act) {
    case Activation::identity:
      if (out != grad) std::memcpy(out, grad, static_cast<std::size_t>(w) * sizeof(T));
      break;
    case Activation::relu: for (index_t j = 0; j < w; ++j) out[j] = relu_grad(grad[j], a[j]); break;
    case Activation::sigmoid: for (index_t j = 0; j < w; ++j) out[j] = grad[j] * (g[j] * (T(1) - g[j])); break;
    case Activation::tanh: for (index_t j = 0; j < w; ++j) out[j] = grad[j] * (T(1) - g[j] * g[j]); break;
  }
}

template <class T>
void bn_stats_loop(index_t nb, index_t w, const T* z, double eps, double momentum, T* running, double* mu,
                   double* var, double* inv, T* st_mean, T* st_inv) {
  column_stats<T>(nb, w, 0, w, z, mu, var);
  for (index_t j = 0; j < w; ++j) {
    inv[j] = 1.0 / ::sqrt(var[j] + eps);  // with -fno-math-errno: (v)sqrtpd, no libm call
    st_mean[j] = static_cast<T>(mu[j]);
    st_inv[j] = static_cast<T>(inv[j]);
  }
  if (running != nullptr) {
    const double unbias = static_cast<double>(nb) / static_cast<double>(nb - 1);
    T* rm = running;
    T* rv = running + w;
    for (index_t j = 0; j < w; ++j) {
      rm[j] = static_cast<T>((1.0 - momentum) * static_cast<double>(rm[j]) + momentum * mu[j]);
      rv[j] = static_cast<T>((1.0 - momentum) * static_cast<double>(rv[j]) + momentum * var[j] * unbias);
    }
  }
}

template <class T>
void forward_loop(const HiddenForward<T>& f) {
  const index_t w = f.w;
  for (index_t i = 0; i < f.nb; ++i) {
    const index_t o = i * w;
    const T* ai = f.src + o;
    if (f.mu != nullptr) {
      normalize_row<T>(w, f.src + o, f.mu, f.inv, f.gamma, f.beta, f.a + o);
      ai = f.a + o;
    }
    const T* gi = ai;
    if (f.act != Activation::identity) {
      activate_row<T>(f.act, w, ai, f.g + o);
      gi = f.g + o;
    }
    if (f.h == nullptr) continue;
    T* hi = f.h + o;
    if (f.drop) {
      dropout_range<T>(w, gi, f.seed, f.word0 + static_cast<std::uint64_t>(o), f.stream, f.thr, f.scale, hi,
                       f.mask + o);
      if (f.res_in != nullptr) {
        const T* xi = f.res_in + o;
        for (index_t j = 0; j < w; ++j) hi[j] = xi[j] + hi[j];
      }
    } else {  // the skip only
      const T* xi = f.res_in + o;
      for (index_t j = 0; j < w; ++j) hi[j] = xi[j] + gi[j];
    }
  }
}

template <class T>
void backward_loop(const HiddenBackward<T>& b) {
  const index_t w = b.w;
  if (b.z != nullptr)
    for (index_t j = 0; j < w; ++j) b.gb[j] = b.gg[j] = 0.0;
  for (index_t i = 0; i < b.nb; ++i) {
    const index_t o = i * w;
    const T* src = b.gh + o;
    T* gzi = b.gz + o;
    if (b.drop) {
      dropout_backward_range<T>(w, src, b.mask + o, b.scale, gzi);
      src = gzi;
    }
    activation_grad_row<T>(b.act, w, src, b.a + o, b.g == nullptr ? nullptr : b.g + o, gzi);
    if (b.z != nullptr) batch_norm_backward_sums_row<T>(w, gzi, b.z + o, b.mean, b.invstd, b.gb, b.gg);
  }
}

template <class T>
void bn_apply_loop(index_t nb, index_t w, const T* gz, const T* z, const T* gamma, const T* mean, const T* invstd,
                   T* out, const double* gb, const double* gg) {
  batch_norm_backward_apply<T>(nb, w, 0, w, gz, z, gamma, mean, invstd, out, gb, gg);
}

template <class T>
constexpr MlpRowKernels<T> make_mlp_rows() {
  return MlpRowKernels<T>{&col_sums_loop<T>, &add_scaled_loop<T>, &sum_squares_loop<T>, &derivative_loop<T>,
                          &bn_stats_loop<T>,  &forward_loop<T>,    &backward_loop<T>,     &bn_apply_loop<T>,
                          &exp_loop<T>};
}

}  // namespace
}  // namespace detail
}  // namespace mlbasics

// Defines the tables mlp_rows_<ISA>_f32 / _f64 declared in mlp_rows.hpp.
#define MLB_MLP_ROWS_DEFINE_TABLES(ISA)                                              \
  namespace mlbasics {                                                               \
  namespace detail {                                                                 \
  const MlpRowKernels<float> mlp_rows_##ISA##_f32 = make_mlp_rows<float>();         \
  const MlpRowKernels<double> mlp_rows_##ISA##_f64 = make_mlp_rows<double>();       \
  }                                                                                  \
  }

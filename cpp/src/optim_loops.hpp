// optim_loops.hpp — the optimizer loop bodies, included by each per-ISA translation unit
// (optim_generic.cpp, optim_avx2.cpp), which then defines its table with MLB_OPTIM_DEFINE_TABLES.
// The compiler vectorizes the same code for that TU's ISA (e.g. 8-wide with FMA, vsqrtps and
// vdivps under AVX2).
//
// Everything here has internal linkage (anonymous namespace) and calls no out-of-line library
// function: an inline function with external linkage instantiated in the AVX2 TU could be
// picked by the linker for the portable TU too, and then run AVX2 code on a CPU without it.
//
// Flags are template parameters so the inner loops are branch-free; the per-element arithmetic
// is done in T exactly as written in mlbasics/optim.hpp.
#pragma once
#include <cstdint>

#include "optim_kernels.hpp"

#if !(defined(__GNUC__) || defined(__clang__))
#include <cmath>
#endif

namespace mlbasics {
namespace detail {
namespace {

inline float sqrt_of(float x) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_sqrtf(x);  // with -fno-math-errno: one (v)sqrtss / vsqrtps, no libm call
#else
  return std::sqrt(x);
#endif
}
inline double sqrt_of(double x) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_sqrt(x);
#else
  return std::sqrt(x);
#endif
}

template <class T>
inline T sign_of(T v) {
  // -1, 0 (for ±0) or +1; NaN stays NaN, as np.sign and torch.sign do, so a NaN gradient
  // reaches the parameter instead of silently freezing it (Rprop's update is sign(g)·step).
  return v != v ? v : static_cast<T>((v > T(0)) - (v < T(0)));
}

// ---------------------------------------------------------------- SGD

template <class T, bool WD, bool MOM, bool FIRST, bool NESTEROV>
void sgd_loop(index_t b, index_t e, T* __restrict p, const T* __restrict grad,
              T* __restrict buf, T lr, T mom, T one_minus_damp, T wd) {
  for (index_t i = b; i < e; ++i) {
    T g = grad[i];
    if (WD) g = g + wd * p[i];
    if (MOM) {
      const T bi = FIRST ? g : mom * buf[i] + one_minus_damp * g;
      buf[i] = bi;
      g = NESTEROV ? g + mom * bi : bi;
    }
    p[i] = p[i] - lr * g;
  }
}

template <class T, bool WD>
void sgd_variant(const SgdArgs<T>& a, index_t b, index_t e) {
  T* p = a.p;
  const T* g = a.g;
  T* buf = a.buf;
  if (!a.use_mom)
    return sgd_loop<T, WD, false, false, false>(b, e, p, g, buf, a.lr, a.mom, a.one_minus_damp, a.wd);
  if (a.first) {
    if (a.nesterov)
      return sgd_loop<T, WD, true, true, true>(b, e, p, g, buf, a.lr, a.mom, a.one_minus_damp, a.wd);
    return sgd_loop<T, WD, true, true, false>(b, e, p, g, buf, a.lr, a.mom, a.one_minus_damp, a.wd);
  }
  if (a.nesterov)
    return sgd_loop<T, WD, true, false, true>(b, e, p, g, buf, a.lr, a.mom, a.one_minus_damp, a.wd);
  return sgd_loop<T, WD, true, false, false>(b, e, p, g, buf, a.lr, a.mom, a.one_minus_damp, a.wd);
}

template <class T>
void sgd_range(const SgdArgs<T>& a, index_t b, index_t e) {
  if (a.use_wd) sgd_variant<T, true>(a, b, e);
  else sgd_variant<T, false>(a, b, e);
}

// ---------------------------------------------------------------- Adam / AdamW

template <class T, int WDMODE>  // 0: none, 1: L2 (g += wd·p), 2: decoupled (p *= 1 - lr·wd)
void adam_loop(index_t b, index_t e, T* __restrict p, const T* __restrict grad,
               T* __restrict m, T* __restrict v, T beta1, T omb1, T beta2, T omb2, T wd,
               T decay, T step_size, T bc2_sqrt, T eps) {
  for (index_t i = b; i < e; ++i) {
    T pi = p[i];
    T g = grad[i];
    if (WDMODE == 1) g = g + wd * pi;
    if (WDMODE == 2) pi = pi * decay;
    const T mi = beta1 * m[i] + omb1 * g;
    const T vi = beta2 * v[i] + omb2 * (g * g);
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - step_size * mi / (sqrt_of(vi) / bc2_sqrt + eps);
  }
}

template <class T>
void adam_range(const AdamArgs<T>& a, index_t b, index_t e) {
#define MLB_ADAM(MODE)                                                                              \
  adam_loop<T, MODE>(b, e, a.p, a.g, a.m, a.v, a.beta1, a.omb1, a.beta2, a.omb2, a.wd, a.decay, \
                     a.step_size, a.bc2_sqrt, a.eps)
  if (a.wd_mode == 0) MLB_ADAM(0);
  else if (a.wd_mode == 1) MLB_ADAM(1);
  else MLB_ADAM(2);
#undef MLB_ADAM
}

// ---------------------------------------------------------------- RMSprop

template <class T, bool WD, bool CENTERED, bool MOM>
void rmsprop_loop(index_t b, index_t e, T* __restrict p, const T* __restrict grad,
                  T* __restrict sq, T* __restrict buf, T* __restrict gavg,
                  T lr, T alpha, T oma, T eps, T wd, T mom) {
  for (index_t i = b; i < e; ++i) {
    T g = grad[i];
    if (WD) g = g + wd * p[i];
    const T v = alpha * sq[i] + oma * (g * g);
    sq[i] = v;
    T vt = v;
    if (CENTERED) {
      const T ga = alpha * gavg[i] + oma * g;
      gavg[i] = ga;
      vt = v - ga * ga;
    }
    const T denom = sqrt_of(vt) + eps;
    if (MOM) {
      const T bi = mom * buf[i] + g / denom;
      buf[i] = bi;
      p[i] = p[i] - lr * bi;
    } else {
      p[i] = p[i] - lr * g / denom;
    }
  }
}

template <class T>
void rmsprop_range(const RmspropArgs<T>& a, index_t b, index_t e) {
#define MLB_RMS(WD, C, M) \
  rmsprop_loop<T, WD, C, M>(b, e, a.p, a.g, a.sq, a.buf, a.gavg, a.lr, a.alpha, a.oma, a.eps, a.wd, a.mom)
  const int variant = (a.use_wd ? 4 : 0) + (a.centered ? 2 : 0) + (a.use_mom ? 1 : 0);
  switch (variant) {
    case 0: MLB_RMS(false, false, false); break;
    case 1: MLB_RMS(false, false, true); break;
    case 2: MLB_RMS(false, true, false); break;
    case 3: MLB_RMS(false, true, true); break;
    case 4: MLB_RMS(true, false, false); break;
    case 5: MLB_RMS(true, false, true); break;
    case 6: MLB_RMS(true, true, false); break;
    default: MLB_RMS(true, true, true); break;
  }
#undef MLB_RMS
}

// ---------------------------------------------------------------- Adagrad

template <class T, bool WD>
void adagrad_loop(index_t b, index_t e, T* __restrict p, const T* __restrict grad,
                  T* __restrict sum, T clr, T wd, T eps) {
  for (index_t i = b; i < e; ++i) {
    T g = grad[i];
    if (WD) g = g + wd * p[i];
    const T s = sum[i] + g * g;
    sum[i] = s;
    p[i] = p[i] - clr * g / (sqrt_of(s) + eps);
  }
}

template <class T>
void adagrad_range(const AdagradArgs<T>& a, index_t b, index_t e) {
  if (a.use_wd) adagrad_loop<T, true>(b, e, a.p, a.g, a.sum, a.clr, a.wd, a.eps);
  else adagrad_loop<T, false>(b, e, a.p, a.g, a.sum, a.clr, a.wd, a.eps);
}

// ---------------------------------------------------------------- Adadelta

template <class T, bool WD>
void adadelta_loop(index_t b, index_t e, T* __restrict p, const T* __restrict grad,
                   T* __restrict sq, T* __restrict acc, T lr, T rho, T omr, T eps, T wd) {
  for (index_t i = b; i < e; ++i) {
    T g = grad[i];
    if (WD) g = g + wd * p[i];
    const T v = rho * sq[i] + omr * (g * g);
    sq[i] = v;
    const T delta = sqrt_of(acc[i] + eps) / sqrt_of(v + eps) * g;
    acc[i] = rho * acc[i] + omr * (delta * delta);
    p[i] = p[i] - lr * delta;
  }
}

template <class T>
void adadelta_range(const AdadeltaArgs<T>& a, index_t b, index_t e) {
  if (a.use_wd) adadelta_loop<T, true>(b, e, a.p, a.g, a.sq, a.acc, a.lr, a.rho, a.omr, a.eps, a.wd);
  else adadelta_loop<T, false>(b, e, a.p, a.g, a.sq, a.acc, a.lr, a.rho, a.omr, a.eps, a.wd);
}

// ---------------------------------------------------------------- Rprop

template <class T>
void rprop_range(const RpropArgs<T>& a, index_t b, index_t e) {
  T* __restrict p = a.p;
  const T* __restrict grad = a.g;
  T* __restrict prev = a.prev;
  T* __restrict step = a.step;
  const T etaminus = a.etaminus, etaplus = a.etaplus, smin = a.smin, smax = a.smax;
  for (index_t i = b; i < e; ++i) {
    const T g0 = grad[i];
    const T prod = g0 * prev[i];
    const T factor = prod > T(0) ? etaplus : (prod < T(0) ? etaminus : T(1));
    T st = step[i] * factor;
    st = st < smin ? smin : st;
    st = st > smax ? smax : st;
    step[i] = st;
    const T g = prod < T(0) ? T(0) : g0;
    p[i] = p[i] - sign_of(g) * st;
    prev[i] = g;
  }
}

// A range function F run in two pieces, split at the first element whose address in the parameter
// array is 64-byte aligned, so that the vectorized loop reads and writes whole cache lines of the
// parameter and of every buffer that shares its misalignment (NumPy's large arrays all sit 16
// bytes past a page boundary). A 64-byte vector straddling two cache lines costs an extra access:
// measured on a memory-bound SGD step of 10⁷ floats (AMD Zen 5, AVX-512), 3.6 ms misaligned
// against 3.0 ms aligned. The elementwise result does not depend on the split.
template <class T, class Args, void (*F)(const Args&, index_t, index_t)>
void aligned_range(const Args& a, index_t b, index_t e) {
  const std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(a.p + b);
  const index_t head = static_cast<index_t>(((64 - addr % 64) % 64) / sizeof(T));
  if (head > 0 && head < e - b) {
    F(a, b, b + head);
    b += head;
  }
  F(a, b, e);
}

template <class T>
constexpr OptimKernels<T> make_optim_kernels() {
  return OptimKernels<T>{&aligned_range<T, SgdArgs<T>, &sgd_range<T>>,
                         &aligned_range<T, AdamArgs<T>, &adam_range<T>>,
                         &aligned_range<T, RmspropArgs<T>, &rmsprop_range<T>>,
                         &aligned_range<T, AdagradArgs<T>, &adagrad_range<T>>,
                         &aligned_range<T, AdadeltaArgs<T>, &adadelta_range<T>>,
                         &aligned_range<T, RpropArgs<T>, &rprop_range<T>>};
}

}  // namespace
}  // namespace detail
}  // namespace mlbasics

// Defines the tables optim_kernels_<ISA>_f32 / _f64 declared in optim_kernels.hpp.
#define MLB_OPTIM_DEFINE_TABLES(ISA)                                                     \
  namespace mlbasics {                                                                   \
  namespace detail {                                                                     \
  const OptimKernels<float> optim_kernels_##ISA##_f32 = make_optim_kernels<float>();    \
  const OptimKernels<double> optim_kernels_##ISA##_f64 = make_optim_kernels<double>();  \
  }                                                                                      \
  }

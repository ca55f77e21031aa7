// optim.cpp — in-place optimizer steps: one fused pass over n contiguous elements each.
// Hyper-parameters (and constants derived from them, such as 1 - β, computed in double) are
// rounded to T once; the per-element arithmetic is done in T. Flags are template parameters so
// the inner loops are branch-free and vectorizable. Large buffers are split over the pool.
#include "mlbasics/optim.hpp"

#include <cmath>

#include "mlbasics/parallel.hpp"

namespace mlbasics {
namespace {

constexpr index_t kParallelMin = index_t(1) << 16;  // elements before threads pay off
constexpr index_t kGrain = index_t(1) << 15;

// Run f(begin, end) over [0, n), split over the pool for large n.
template <class F>
void for_range(index_t n, const F& f) {
  if (n <= 0) return;
  if (n < kParallelMin) {
    f(index_t(0), n);
    return;
  }
  parallel_for(n, kGrain, [&](std::ptrdiff_t b, std::ptrdiff_t e) { f(b, e); });
}

template <class T>
inline T sign_of(T v) {
  return static_cast<T>((v > T(0)) - (v < T(0)));  // 0 for ±0 (and for NaN)
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
void sgd_dispatch(index_t b, index_t e, T* p, const T* g, T* buf, T lr, T mom, T omd, T wd,
                  bool use_mom, bool first, bool nesterov) {
  if (!use_mom) return sgd_loop<T, WD, false, false, false>(b, e, p, g, buf, lr, mom, omd, wd);
  if (first) {
    if (nesterov) return sgd_loop<T, WD, true, true, true>(b, e, p, g, buf, lr, mom, omd, wd);
    return sgd_loop<T, WD, true, true, false>(b, e, p, g, buf, lr, mom, omd, wd);
  }
  if (nesterov) return sgd_loop<T, WD, true, false, true>(b, e, p, g, buf, lr, mom, omd, wd);
  return sgd_loop<T, WD, true, false, false>(b, e, p, g, buf, lr, mom, omd, wd);
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
    p[i] = pi - step_size * mi / (std::sqrt(vi) / bc2_sqrt + eps);
  }
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
    const T denom = std::sqrt(vt) + eps;
    if (MOM) {
      const T bi = mom * buf[i] + g / denom;
      buf[i] = bi;
      p[i] = p[i] - lr * bi;
    } else {
      p[i] = p[i] - lr * g / denom;
    }
  }
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
    p[i] = p[i] - clr * g / (std::sqrt(s) + eps);
  }
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
    const T delta = std::sqrt(acc[i] + eps) / std::sqrt(v + eps) * g;
    acc[i] = rho * acc[i] + omr * (delta * delta);
    p[i] = p[i] - lr * delta;
  }
}

// ---------------------------------------------------------------- Rprop

template <class T>
void rprop_loop(index_t b, index_t e, T* __restrict p, const T* __restrict grad,
                T* __restrict prev, T* __restrict step, T etaminus, T etaplus, T smin, T smax) {
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

}  // namespace

template <class T>
void sgd_step(index_t n, T* param, const T* grad, T* momentum_buf,
              double lr, double momentum, double dampening, double weight_decay,
              bool nesterov, bool first_step) {
  const T lr_t = static_cast<T>(lr), mom = static_cast<T>(momentum);
  const T omd = static_cast<T>(1.0 - dampening), wd = static_cast<T>(weight_decay);
  const bool use_mom = momentum != 0.0;
  const bool use_wd = weight_decay != 0.0;
  for_range(n, [&](index_t b, index_t e) {
    if (use_wd)
      sgd_dispatch<T, true>(b, e, param, grad, momentum_buf, lr_t, mom, omd, wd, use_mom, first_step, nesterov);
    else
      sgd_dispatch<T, false>(b, e, param, grad, momentum_buf, lr_t, mom, omd, wd, use_mom, first_step, nesterov);
  });
}

template <class T>
void adam_step(index_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
               std::int64_t step, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool decoupled_weight_decay) {
  const double s = static_cast<double>(step);
  const double bc1 = 1.0 - std::pow(beta1, s);
  const double bc2 = 1.0 - std::pow(beta2, s);
  const T step_size = static_cast<T>(lr / bc1);
  const T bc2_sqrt = static_cast<T>(std::sqrt(bc2));
  const T b1 = static_cast<T>(beta1), omb1 = static_cast<T>(1.0 - beta1);
  const T b2 = static_cast<T>(beta2), omb2 = static_cast<T>(1.0 - beta2);
  const T wd = static_cast<T>(weight_decay), eps_t = static_cast<T>(eps);
  const T decay = static_cast<T>(1.0 - lr * weight_decay);
  const int mode = weight_decay == 0.0 ? 0 : (decoupled_weight_decay ? 2 : 1);
  for_range(n, [&](index_t b, index_t e) {
    if (mode == 0)
      adam_loop<T, 0>(b, e, param, grad, exp_avg, exp_avg_sq, b1, omb1, b2, omb2, wd, decay, step_size, bc2_sqrt, eps_t);
    else if (mode == 1)
      adam_loop<T, 1>(b, e, param, grad, exp_avg, exp_avg_sq, b1, omb1, b2, omb2, wd, decay, step_size, bc2_sqrt, eps_t);
    else
      adam_loop<T, 2>(b, e, param, grad, exp_avg, exp_avg_sq, b1, omb1, b2, omb2, wd, decay, step_size, bc2_sqrt, eps_t);
  });
}

template <class T>
void rmsprop_step(index_t n, T* param, const T* grad, T* square_avg, T* momentum_buffer, T* grad_avg,
                  double lr, double alpha, double eps, double weight_decay, double momentum,
                  bool centered) {
  const T lr_t = static_cast<T>(lr), a = static_cast<T>(alpha), oma = static_cast<T>(1.0 - alpha);
  const T eps_t = static_cast<T>(eps), wd = static_cast<T>(weight_decay), mom = static_cast<T>(momentum);
  const bool use_wd = weight_decay != 0.0, use_mom = momentum > 0.0;
  const int variant = (use_wd ? 4 : 0) + (centered ? 2 : 0) + (use_mom ? 1 : 0);
  for_range(n, [&](index_t b, index_t e) {
#define MLB_RMS(WD, C, M) \
  rmsprop_loop<T, WD, C, M>(b, e, param, grad, square_avg, momentum_buffer, grad_avg, lr_t, a, oma, eps_t, wd, mom)
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
  });
}

template <class T>
void adagrad_step(index_t n, T* param, const T* grad, T* sum, std::int64_t step,
                  double lr, double lr_decay, double weight_decay, double eps) {
  const T clr = static_cast<T>(lr / (1.0 + static_cast<double>(step - 1) * lr_decay));
  const T wd = static_cast<T>(weight_decay), eps_t = static_cast<T>(eps);
  const bool use_wd = weight_decay != 0.0;
  for_range(n, [&](index_t b, index_t e) {
    if (use_wd) adagrad_loop<T, true>(b, e, param, grad, sum, clr, wd, eps_t);
    else adagrad_loop<T, false>(b, e, param, grad, sum, clr, wd, eps_t);
  });
}

template <class T>
void adadelta_step(index_t n, T* param, const T* grad, T* square_avg, T* acc_delta,
                   double lr, double rho, double eps, double weight_decay) {
  const T lr_t = static_cast<T>(lr), r = static_cast<T>(rho), omr = static_cast<T>(1.0 - rho);
  const T eps_t = static_cast<T>(eps), wd = static_cast<T>(weight_decay);
  const bool use_wd = weight_decay != 0.0;
  for_range(n, [&](index_t b, index_t e) {
    if (use_wd) adadelta_loop<T, true>(b, e, param, grad, square_avg, acc_delta, lr_t, r, omr, eps_t, wd);
    else adadelta_loop<T, false>(b, e, param, grad, square_avg, acc_delta, lr_t, r, omr, eps_t, wd);
  });
}

template <class T>
void rprop_step(index_t n, T* param, const T* grad, T* prev, T* step_size,
                double etaminus, double etaplus, double step_size_min, double step_size_max) {
  const T em = static_cast<T>(etaminus), ep = static_cast<T>(etaplus);
  const T smin = static_cast<T>(step_size_min), smax = static_cast<T>(step_size_max);
  for_range(n, [&](index_t b, index_t e) {
    rprop_loop<T>(b, e, param, grad, prev, step_size, em, ep, smin, smax);
  });
}

#define MLB_INSTANTIATE(T)                                                                     \
  template void sgd_step<T>(index_t, T*, const T*, T*, double, double, double, double, bool,   \
                            bool);                                                             \
  template void adam_step<T>(index_t, T*, const T*, T*, T*, std::int64_t, double, double,      \
                             double, double, double, bool);                                    \
  template void rmsprop_step<T>(index_t, T*, const T*, T*, T*, T*, double, double, double,     \
                                double, double, bool);                                         \
  template void adagrad_step<T>(index_t, T*, const T*, T*, std::int64_t, double, double,       \
                                double, double);                                               \
  template void adadelta_step<T>(index_t, T*, const T*, T*, T*, double, double, double,        \
                                 double);                                                      \
  template void rprop_step<T>(index_t, T*, const T*, T*, T*, double, double, double, double);

MLB_INSTANTIATE(float)
MLB_INSTANTIATE(double)
#undef MLB_INSTANTIATE

}  // namespace mlbasics

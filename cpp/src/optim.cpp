// optim.cpp — in-place optimizer steps: one fused pass over n contiguous elements each.
// Hyper-parameters (and constants derived from them, such as 1 - β, computed in double) are
// rounded to T once; the per-element arithmetic is done in T. The loops themselves live in
// optim_loops.hpp, compiled once per ISA (optim_generic.cpp, optim_avx2.cpp); this file picks
// the table once from cpu_path() and splits large buffers over the pool.
#include "mlbasics/optim.hpp"

#include <atomic>
#include <cmath>
#include <cstring>

#include "cpu_internal.hpp"
#include "mlbasics/cpu.hpp"
#include "mlbasics/parallel.hpp"
#include "optim_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

KernelPathSwitch g_optim_path;

// The loop tables of each family for one element type.
template <class T>
struct OptimTables;
template <>
struct OptimTables<float> {
  static const OptimKernels<float>& generic() { return optim_kernels_generic_f32; }
#if defined(MLBASICS_HAVE_AVX2_TU)
  static const OptimKernels<float>& avx2() { return optim_kernels_avx2_f32; }
#endif
};
template <>
struct OptimTables<double> {
  static const OptimKernels<double>& generic() { return optim_kernels_generic_f64; }
#if defined(MLBASICS_HAVE_AVX2_TU)
  static const OptimKernels<double>& avx2() { return optim_kernels_avx2_f64; }
#endif
};

}  // namespace

template <class T>
const OptimKernels<T>& optim_kernels() {
#if defined(MLBASICS_HAVE_AVX2_TU)
  if (g_optim_path.avx2()) return OptimTables<T>::avx2();
#endif
  return OptimTables<T>::generic();
}

const char* optim_kernel_path() { return g_optim_path.name(); }

bool set_optim_kernel_path(const char* name) { return g_optim_path.force(name); }

}  // namespace detail

namespace {

constexpr index_t kParallelMin = index_t(1) << 16;  // elements before threads pay off
constexpr index_t kGrain = index_t(1) << 15;

// Run fn(args, begin, end) over [0, n), split over the pool for large n.
template <class Args>
void for_range(index_t n, void (*fn)(const Args&, index_t, index_t), const Args& args) {
  if (n <= 0) return;
  if (n < kParallelMin) {
    fn(args, index_t(0), n);
    return;
  }
  parallel_for(n, kGrain, [&](std::ptrdiff_t b, std::ptrdiff_t e) { fn(args, b, e); });
}

}  // namespace

template <class T>
void sgd_step(index_t n, T* param, const T* grad, T* momentum_buf,
              double lr, double momentum, double dampening, double weight_decay,
              bool nesterov, bool first_step) {
  const detail::SgdArgs<T> a{param, grad, momentum_buf,
                             static_cast<T>(lr), static_cast<T>(momentum),
                             static_cast<T>(1.0 - dampening), static_cast<T>(weight_decay),
                             weight_decay != 0.0, momentum != 0.0, first_step, nesterov};
  for_range(n, detail::optim_kernels<T>().sgd, a);
}

template <class T>
void adam_step(index_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
               std::int64_t step, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool decoupled_weight_decay) {
  const double s = static_cast<double>(step);
  const double bc1 = 1.0 - std::pow(beta1, s);
  const double bc2 = 1.0 - std::pow(beta2, s);
  const detail::AdamArgs<T> a{param, grad, exp_avg, exp_avg_sq,
                              static_cast<T>(beta1), static_cast<T>(1.0 - beta1),
                              static_cast<T>(beta2), static_cast<T>(1.0 - beta2),
                              static_cast<T>(weight_decay), static_cast<T>(1.0 - lr * weight_decay),
                              static_cast<T>(lr / bc1), static_cast<T>(std::sqrt(bc2)),
                              static_cast<T>(eps),
                              weight_decay == 0.0 ? 0 : (decoupled_weight_decay ? 2 : 1)};
  for_range(n, detail::optim_kernels<T>().adam, a);
}

template <class T>
void rmsprop_step(index_t n, T* param, const T* grad, T* square_avg, T* momentum_buffer, T* grad_avg,
                  double lr, double alpha, double eps, double weight_decay, double momentum,
                  bool centered) {
  const detail::RmspropArgs<T> a{param, grad, square_avg, momentum_buffer, grad_avg,
                                 static_cast<T>(lr), static_cast<T>(alpha), static_cast<T>(1.0 - alpha),
                                 static_cast<T>(eps), static_cast<T>(weight_decay), static_cast<T>(momentum),
                                 weight_decay != 0.0, centered, momentum > 0.0};
  for_range(n, detail::optim_kernels<T>().rmsprop, a);
}

template <class T>
void adagrad_step(index_t n, T* param, const T* grad, T* sum, std::int64_t step,
                  double lr, double lr_decay, double weight_decay, double eps) {
  const detail::AdagradArgs<T> a{param, grad, sum,
                                 static_cast<T>(lr / (1.0 + static_cast<double>(step - 1) * lr_decay)),
                                 static_cast<T>(weight_decay), static_cast<T>(eps), weight_decay != 0.0};
  for_range(n, detail::optim_kernels<T>().adagrad, a);
}

template <class T>
void adadelta_step(index_t n, T* param, const T* grad, T* square_avg, T* acc_delta,
                   double lr, double rho, double eps, double weight_decay) {
  const detail::AdadeltaArgs<T> a{param, grad, square_avg, acc_delta,
                                  static_cast<T>(lr), static_cast<T>(rho), static_cast<T>(1.0 - rho),
                                  static_cast<T>(eps), static_cast<T>(weight_decay), weight_decay != 0.0};
  for_range(n, detail::optim_kernels<T>().adadelta, a);
}

template <class T>
void rprop_step(index_t n, T* param, const T* grad, T* prev, T* step_size,
                double etaminus, double etaplus, double step_size_min, double step_size_max) {
  const detail::RpropArgs<T> a{param, grad, prev, step_size,
                               static_cast<T>(etaminus), static_cast<T>(etaplus),
                               static_cast<T>(step_size_min), static_cast<T>(step_size_max)};
  for_range(n, detail::optim_kernels<T>().rprop, a);
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

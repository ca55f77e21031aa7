// optim.cpp — in-place optimizer steps: one fused pass over n contiguous elements each.
// Hyper-parameters (and constants derived from them, such as 1 - β, computed in double) are
// rounded to T once; the per-element arithmetic is done in T. The loops themselves live in
// optim_loops.hpp, compiled once per ISA (optim_generic.cpp, optim_avx2.cpp, optim_avx512.cpp); this file picks
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

// The loop tables of each family for one element type (SUFFIX: f32, f64).
template <class T>
struct OptimTables;
#if defined(MLBASICS_HAVE_AVX2_TU)
#define MLB_AVX2_TABLE(SUFFIX) optim_kernels_avx2_##SUFFIX
#else
#define MLB_AVX2_TABLE(SUFFIX) optim_kernels_generic_##SUFFIX
#endif
#if defined(MLBASICS_HAVE_AVX512_TU)
#define MLB_AVX512_TABLE(SUFFIX) optim_kernels_avx512_##SUFFIX
#else
#define MLB_AVX512_TABLE(SUFFIX) MLB_AVX2_TABLE(SUFFIX)
#endif
#define MLB_OPTIM_TABLES(T, SUFFIX)                                    \
  template <>                                                          \
  struct OptimTables<T> {                                              \
    static const OptimKernels<T>& of(Isa isa) {                        \
      switch (isa) {                                                   \
        case Isa::avx512: return MLB_AVX512_TABLE(SUFFIX);             \
        case Isa::avx2: return MLB_AVX2_TABLE(SUFFIX);                 \
        default: return optim_kernels_generic_##SUFFIX;                \
      }                                                                \
    }                                                                  \
  };
MLB_OPTIM_TABLES(float, f32)
MLB_OPTIM_TABLES(double, f64)
#undef MLB_OPTIM_TABLES
#undef MLB_AVX512_TABLE
#undef MLB_AVX2_TABLE

}  // namespace

template <class T>
const OptimKernels<T>& optim_kernels() {
  return OptimTables<T>::of(g_optim_path.isa());
}

const char* optim_kernel_path() { return g_optim_path.name(); }

bool set_optim_kernel_path(const char* name) { return g_optim_path.force(name); }

}  // namespace detail

namespace {

constexpr index_t kParallelMin = index_t(1) << 16;  // elements before threads pay off
constexpr index_t kGrain = index_t(1) << 15;

// A hyper-parameter (or a constant derived from it in double) rounded to the element type.
template <class T>
constexpr T to(double v) {
  return static_cast<T>(v);
}

// One step: the range function `loop` of the table in use, over [0, n), split over the pool for
// large n.
template <class T, class Args>
void run_step(index_t n, void (*const detail::OptimKernels<T>::*loop)(const Args&, index_t, index_t),
              const Args& args) {
  if (n <= 0) return;
  const auto fn = detail::optim_kernels<T>().*loop;
  if (n < kParallelMin) {
    fn(args, index_t(0), n);
    return;
  }
  parallel_for(n, kGrain, [&](std::ptrdiff_t b, std::ptrdiff_t e) { fn(args, b, e); });
}

}  // namespace

template <class T>
void sgd_step(index_t n, T* param, const T* grad, T* momentum_buf, double lr, double momentum, double dampening,
              double weight_decay, bool nesterov, bool first_step) {
  run_step(n, &detail::OptimKernels<T>::sgd,
           detail::SgdArgs<T>{param, grad, momentum_buf, to<T>(lr), to<T>(momentum), to<T>(1.0 - dampening),
                              to<T>(weight_decay), weight_decay != 0.0, momentum != 0.0, first_step, nesterov});
}

template <class T>
void adam_step(index_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq, std::int64_t step, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool decoupled_weight_decay) {
  const double s = static_cast<double>(step);
  const double bc1 = 1.0 - std::pow(beta1, s);
  const double bc2 = 1.0 - std::pow(beta2, s);
  const int wd_mode = weight_decay == 0.0 ? 0 : (decoupled_weight_decay ? 2 : 1);
  run_step(n, &detail::OptimKernels<T>::adam,
           detail::AdamArgs<T>{param, grad, exp_avg, exp_avg_sq, to<T>(beta1), to<T>(1.0 - beta1), to<T>(beta2),
                               to<T>(1.0 - beta2), to<T>(weight_decay), to<T>(1.0 - lr * weight_decay),
                               to<T>(lr / bc1), to<T>(std::sqrt(bc2)), to<T>(eps), wd_mode});
}

template <class T>
void rmsprop_step(index_t n, T* param, const T* grad, T* square_avg, T* momentum_buffer, T* grad_avg, double lr,
                  double alpha, double eps, double weight_decay, double momentum, bool centered) {
  run_step(n, &detail::OptimKernels<T>::rmsprop,
           detail::RmspropArgs<T>{param, grad, square_avg, momentum_buffer, grad_avg, to<T>(lr), to<T>(alpha),
                                  to<T>(1.0 - alpha), to<T>(eps), to<T>(weight_decay), to<T>(momentum),
                                  weight_decay != 0.0, centered, momentum > 0.0});
}

template <class T>
void adagrad_step(index_t n, T* param, const T* grad, T* sum, std::int64_t step, double lr, double lr_decay,
                  double weight_decay, double eps) {
  const double clr = lr / (1.0 + static_cast<double>(step - 1) * lr_decay);
  run_step(n, &detail::OptimKernels<T>::adagrad,
           detail::AdagradArgs<T>{param, grad, sum, to<T>(clr), to<T>(weight_decay), to<T>(eps), weight_decay != 0.0});
}

template <class T>
void adadelta_step(index_t n, T* param, const T* grad, T* square_avg, T* acc_delta, double lr, double rho, double eps,
                   double weight_decay) {
  run_step(n, &detail::OptimKernels<T>::adadelta,
           detail::AdadeltaArgs<T>{param, grad, square_avg, acc_delta, to<T>(lr), to<T>(rho), to<T>(1.0 - rho),
                                   to<T>(eps), to<T>(weight_decay), weight_decay != 0.0});
}

template <class T>
void rprop_step(index_t n, T* param, const T* grad, T* prev, T* step_size, double etaminus, double etaplus,
                double step_size_min, double step_size_max) {
  run_step(n, &detail::OptimKernels<T>::rprop,
           detail::RpropArgs<T>{param, grad, prev, step_size, to<T>(etaminus), to<T>(etaplus), to<T>(step_size_min),
                                to<T>(step_size_max)});
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

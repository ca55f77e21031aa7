// optim_kernels.hpp — internals of the optimizer steps: the per-range loop bodies are compiled
// once per ISA (optim_generic.cpp, optim_avx2.cpp, optim_avx512.cpp) into a table of functions; optim.cpp picks a
// table once (like the GEMM micro-kernel) and splits large buffers over the pool.
#pragma once
#include "mlbasics/gemm.hpp"

namespace mlbasics {
namespace detail {

// Everything one step needs, hyper-parameters already rounded to T (see optim.cpp). A range
// function updates the elements [b, e) of the buffers and nothing else.
template <class T>
struct SgdArgs {
  T* p;
  const T* g;
  T* buf;
  T lr, mom, one_minus_damp, wd;
  bool use_wd, use_mom, first, nesterov;
};

template <class T>
struct AdamArgs {
  T* p;
  const T* g;
  T* m;
  T* v;
  T beta1, omb1, beta2, omb2, wd, decay, step_size, bc2_sqrt, eps;
  int wd_mode;  // 0: none, 1: L2 (g += wd·p), 2: decoupled (p *= decay)
};

template <class T>
struct RmspropArgs {
  T* p;
  const T* g;
  T* sq;
  T* buf;
  T* gavg;
  T lr, alpha, oma, eps, wd, mom;
  bool use_wd, centered, use_mom;
};

template <class T>
struct AdagradArgs {
  T* p;
  const T* g;
  T* sum;
  T clr, wd, eps;
  bool use_wd;
};

template <class T>
struct AdadeltaArgs {
  T* p;
  const T* g;
  T* sq;
  T* acc;
  T lr, rho, omr, eps, wd;
  bool use_wd;
};

template <class T>
struct RpropArgs {
  T* p;
  const T* g;
  T* prev;
  T* step;
  T etaminus, etaplus, smin, smax;
};

template <class T>
struct OptimKernels {
  void (*sgd)(const SgdArgs<T>&, index_t b, index_t e);
  void (*adam)(const AdamArgs<T>&, index_t b, index_t e);
  void (*rmsprop)(const RmspropArgs<T>&, index_t b, index_t e);
  void (*adagrad)(const AdagradArgs<T>&, index_t b, index_t e);
  void (*adadelta)(const AdadeltaArgs<T>&, index_t b, index_t e);
  void (*rprop)(const RpropArgs<T>&, index_t b, index_t e);
};

// Defined in optim_generic.cpp (always), optim_avx2.cpp and optim_avx512.cpp (x86-64 builds).
extern const OptimKernels<float> optim_kernels_generic_f32;
extern const OptimKernels<double> optim_kernels_generic_f64;
#if defined(MLBASICS_HAVE_AVX2_TU)
extern const OptimKernels<float> optim_kernels_avx2_f32;
extern const OptimKernels<double> optim_kernels_avx2_f64;
#endif
#if defined(MLBASICS_HAVE_AVX512_TU)
extern const OptimKernels<float> optim_kernels_avx512_f32;
extern const OptimKernels<double> optim_kernels_avx512_f64;
#endif

// The table family in use: "avx512", "avx2" or "generic". Defaults to cpu_path().
const char* optim_kernel_path();
// Force a family (for tests and benchmarks): "generic", "avx2", "avx512", or nullptr to go back to
// cpu_path(). Returns false (and changes nothing) if the family is not available here.
// Not meant to be called while other threads run optimizer steps.
bool set_optim_kernel_path(const char* name);

}  // namespace detail
}  // namespace mlbasics

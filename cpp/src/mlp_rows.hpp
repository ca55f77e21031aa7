// mlp_rows.hpp — the elementwise passes of the fused MLP epoch (mlp.cpp), compiled once per ISA
// (mlp_rows_generic.cpp, mlp_rows_avx2.cpp, mlp_rows_avx512.cpp) into a table of functions, as
// the optimizer loops are. mlp.cpp keeps the orchestration (buffers, GEMMs, the optimizer) in
// portable code and calls the table for every pass over a minibatch's activations: the bias
// gradient's column sums, the L2 term and Σ W², the activation derivative in the backward GEMM's
// epilogue, and the hidden layers' normalization, activation, dropout and residual add.
//
// Every family computes the same values bit for bit: the loops are the same code, vectorized
// across independent elements or columns only (no reassociated sums, no contracted FMAs: the
// library is built with -std=c++17, where GCC's default is -ffp-contract=off), so the choice of
// path changes the speed of an epoch, not its result.
#pragma once
#include <cstdint>

#include "mlbasics/gemm.hpp"
#include "mlbasics/layers.hpp"

namespace mlbasics {
namespace detail {

// A hidden layer's forward pass after its GEMM, row by row while the row is in L1:
// a = batch_norm(src) (when mu != nullptr), g = act(a), h = dropout(g) (+ res_in: the skip).
// Without batch norm a is src (already normalized by group norm, or z itself); with identity
// activation g is a; without dropout or skip h is g. Pointers are (nb, w) row-major blocks.
template <class T>
struct HiddenForward {
  index_t nb, w;
  const T* src;                 // z, or group norm's output
  T* a;                         // batch norm's output (when mu != nullptr)
  const double *mu, *inv;       // batch statistics (w each), or nullptr: no batch norm here
  const T *gamma, *beta;        // batch norm's scale and shift
  Activation act;
  T* g;                         // act(a), unless act is identity
  bool drop;                    // dropout with keep threshold thr and scale
  std::uint64_t seed, word0, stream;
  std::uint32_t thr;
  T scale;
  std::uint8_t* mask;           // (nb, w) kept flags (when drop)
  const T* res_in;              // the layer's input, added after dropout (or nullptr)
  T* h;                         // output when drop or res_in
};

// The matching backward pass of a hidden layer: from ∂L/∂h (gh) to ∂L/∂(pre-normalization) gz
// through dropout and the activation, and batch norm's column sums gb = Σᵢ gz, gg = Σᵢ gz·x̂
// (when z != nullptr; zeroed here) taken as the rows come out. gz may be gh.
template <class T>
struct HiddenBackward {
  index_t nb, w;
  const T* gh;
  T* gz;
  bool drop;
  const std::uint8_t* mask;
  T scale;
  Activation act;
  const T* a;                    // the activation's input (relu reads it)
  const T* g;                    // act(a) (sigmoid/tanh read it; nullptr for identity)
  const T *z, *mean, *invstd;   // batch norm's input and stored statistics, or z == nullptr
  double *gb, *gg;
};

template <class T>
struct MlpRowKernels {
  // out[j] = Σᵢ g[i·w + j] over nb rows, in T, rows added in order (the bias gradient).
  void (*col_sums)(index_t nb, index_t w, const T* g, T* out);
  // g[e] += l2 · p[e] (the L2 term of a block of the weight gradient).
  void (*add_scaled)(index_t n, T l2, const T* p, T* g);
  // Σ a² in 16 independent lanes of T, the lanes added in double (the next batch's L2 term).
  double (*sum_squares)(const T* a, index_t n);
  // g ← g ⊙ act'(·) on rows [i0, i1), columns [j0, j1) of (·, ld) blocks (relu reads z,
  // sigmoid/tanh read h = act(z)): the backward GEMM's epilogue.
  void (*derivative)(Activation act, T* g, const T* z, const T* h, index_t ld, index_t i0, index_t i1, index_t j0,
                     index_t j1);
  // Batch norm's statistics of z (nb, w) in double: mu, var (biased), inv = 1/√(var + eps), the
  // stored T copies st_mean, st_inv, and, when running != nullptr, running (mean, then var: w
  // each) ← (1 − momentum)·running + momentum·(mu, var·nb/(nb − 1)).
  void (*bn_stats)(index_t nb, index_t w, const T* z, double eps, double momentum, T* running, double* mu,
                   double* var, double* inv, T* st_mean, T* st_inv);
  void (*forward)(const HiddenForward<T>& f);
  void (*backward)(const HiddenBackward<T>& b);
  // Batch norm's input gradient from the sums gb, gg (bn_stats' stored statistics); out may be gz.
  void (*bn_apply)(index_t nb, index_t w, const T* gz, const T* z, const T* gamma, const T* mean, const T* invstd,
                   T* out, const double* gb, const double* gg);
  // out[i] = exp(x[i]), i < n (out may be x): vectorized, the same bits on every path, within
  // 2 ulp of the C library's exp (softmax_cross_entropy's exponentials, losses.cpp).
  void (*exp)(index_t n, const T* x, T* out);
};

// Defined in mlp_rows_generic.cpp (always), mlp_rows_avx2.cpp and mlp_rows_avx512.cpp (x86-64).
extern const MlpRowKernels<float> mlp_rows_generic_f32;
extern const MlpRowKernels<double> mlp_rows_generic_f64;
#if defined(MLBASICS_HAVE_AVX2_TU)
extern const MlpRowKernels<float> mlp_rows_avx2_f32;
extern const MlpRowKernels<double> mlp_rows_avx2_f64;
#endif
#if defined(MLBASICS_HAVE_AVX512_TU)
extern const MlpRowKernels<float> mlp_rows_avx512_f32;
extern const MlpRowKernels<double> mlp_rows_avx512_f64;
#endif

// The table of the family in use (cpu_path() unless forced).
template <class T>
const MlpRowKernels<T>& mlp_row_kernels();
// "generic", "avx2" or "avx512".
const char* mlp_rows_kernel_path();
// Force a family (tests, benchmarks): "generic", "avx2", "avx512", or nullptr for cpu_path().
// False (nothing changed) if it is not available here. Not while an epoch runs.
bool set_mlp_rows_kernel_path(const char* name);

}  // namespace detail
}  // namespace mlbasics

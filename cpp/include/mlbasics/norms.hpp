// mlbasics/norms.hpp — inverted dropout with Philox masks, batch normalization
// (torch.nn.BatchNorm1d on (n, m)) and group normalization (torch.nn.GroupNorm on (n, m); layer
// normalization is one group), forward and backward. Every array is row-major and contiguous.
//
// Statistics and every intermediate are computed in double; each output is rounded to T once,
// when stored (the NumPy reference's arithmetic). The normalizations compute x̂ = (x − mean)·invstd
// and then y = x̂·gamma + beta, each product in that order (no fused multiply-add).
#pragma once
#include <cstdint>

#include "mlbasics/gemm.hpp"

namespace mlbasics {

// Element e (row-major flat index, 0 <= e < count) uses Philox word offset + e (mod 2⁶⁴) of
// `stream` under key `seed` (philox.hpp's numbering) and is kept iff (word >> 8) >= ⌈p·2²⁴⌉.
// mask[e] = kept; y[e] = kept ? x[e]·s : 0 with s = T(1 / (1 − p)). 0 <= p < 1.
// Threads: large arrays are split into chunks that draw disjoint word ranges (same mask).
template <class T>
void dropout_forward(index_t count, const T* x, double p, std::uint64_t seed, std::uint64_t offset,
                     std::uint64_t stream, T* y, std::uint8_t* mask);

// grad_x[e] = mask[e] == 1 ? grad_y[e]·s : 0 (exactly 0 where dropped, even for NaN/inf).
template <class T>
void dropout_backward(index_t count, const T* grad_y, const std::uint8_t* mask, double p, T* grad_x);

// x (n, m); gamma, beta, mean, invstd (m). training (n >= 2): batch mean and biased variance per
// column; running_mean/running_var (m each, or both nullptr) updated in place as BatchNorm1d does
// (unbiased variance n/(n − 1)). Eval: mean = running_mean, variance = running_var (both required).
// invstd = 1/sqrt(var + eps); y = (x − mean)·invstd·gamma + beta. Threads: over column blocks.
template <class T>
void batch_norm_forward(index_t n, index_t m, const T* x, const T* gamma, const T* beta, T* running_mean,
                        T* running_var, bool training, double momentum, double eps, T* y, T* mean, T* invstd);

// The training-mode gradient: x̂ = (x − mean)·invstd, grad_beta = Σᵢ grad_y, grad_gamma = Σᵢ grad_y·x̂,
// grad_x = gamma·invstd/n·(n·grad_y − grad_beta − x̂·grad_gamma).
template <class T>
void batch_norm_backward(index_t n, index_t m, const T* grad_y, const T* x, const T* gamma, const T* mean,
                         const T* invstd, T* grad_x, T* grad_gamma, T* grad_beta);

// groups divides m; group g of row i is the columns [g·k, (g+1)·k), k = m/groups. mean, invstd
// (n, groups): biased statistics per row and group. y = (x − mean)·invstd·gamma + beta.
template <class T>
void group_norm_forward(index_t n, index_t m, index_t groups, const T* x, const T* gamma, const T* beta, double eps,
                        T* y, T* mean, T* invstd);

// ĝ = grad_y·gamma; grad_x = invstd/k·(k·ĝ − Σ_g ĝ − x̂·Σ_g ĝx̂); grad_gamma = Σᵢ grad_y·x̂;
// grad_beta = Σᵢ grad_y.
template <class T>
void group_norm_backward(index_t n, index_t m, index_t groups, const T* grad_y, const T* x, const T* gamma,
                         const T* mean, const T* invstd, T* grad_x, T* grad_gamma, T* grad_beta);

}  // namespace mlbasics

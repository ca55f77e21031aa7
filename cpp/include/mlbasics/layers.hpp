// mlbasics/layers.hpp — dense layer forward/backward with a fused activation.
#pragma once
#include "mlbasics/gemm.hpp"

namespace mlbasics {

enum class Activation : int { identity = 0, relu = 1, sigmoid = 2, tanh = 3 };

// All matrices row-major and contiguous: x (n, n_in), w (n_in, n_out), b (n_out), z and h (n, n_out).
// z = x·w + b;  h = act(z). For identity, h may be nullptr (then only z is written).
// sigmoid(z) = 1/(1+exp(-z)), evaluated so that it never overflows (|z| = 1e4 is fine).
template <class T>
void linear_forward(index_t n, index_t n_in, index_t n_out,
                    const T* x, const T* w, const T* b, T* z, T* h, Activation act);

// Given grad_h = ∂L/∂h (n, n_out):
//   grad_z = grad_h ⊙ act'(z)   (relu: z > 0 ? 1 : 0;  sigmoid: h(1-h);  tanh: 1 - h²;  identity: 1)
//   grad_x = grad_z · wᵀ  (n, n_in);  grad_w = xᵀ · grad_z  (n_in, n_out);  grad_b = Σ_rows grad_z  (n_out)
// z is read only for relu, h only for sigmoid/tanh (the other may be nullptr).
// grad_x may be nullptr (first layer: not needed).
template <class T>
void linear_backward(index_t n, index_t n_in, index_t n_out,
                     const T* x, const T* w, const T* z, const T* h, const T* grad_h,
                     T* grad_x, T* grad_w, T* grad_b, Activation act);

}  // namespace mlbasics

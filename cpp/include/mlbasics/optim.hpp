// mlbasics/optim.hpp — in-place optimizer steps, one fused pass over contiguous buffers of n
// elements. Each follows the update rule documented for the torch.optim class of the same name
// (maximize=False, amsgrad=False). Arithmetic is done in T; hyper-parameters arrive as double and
// are rounded to T once. State arrays that a configuration does not use may be nullptr and are
// then never touched.
#pragma once
#include <cstdint>
#include "mlbasics/gemm.hpp"

namespace mlbasics {

// g = grad + wd·p
// momentum != 0:  b = first_step ? g : momentum·b + (1 - dampening)·g   (b's old value unread on first step)
//                 g = nesterov ? g + momentum·b : b
// p = p - lr·g
template <class T>
void sgd_step(index_t n, T* param, const T* grad, T* momentum_buf,
              double lr, double momentum, double dampening, double weight_decay,
              bool nesterov, bool first_step);

// decoupled: p = p·(1 - lr·wd), g = grad      else: g = grad + wd·p
// m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²
// p = p - (lr / (1-β1^step)) · m / (sqrt(v)/sqrt(1-β2^step) + eps)      (step >= 1)
template <class T>
void adam_step(index_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
               std::int64_t step, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool decoupled_weight_decay);

// g = grad + wd·p;  v = α·v + (1-α)·g²;  centered: ḡ = α·ḡ + (1-α)·g, ṽ = v - ḡ², else ṽ = v
// momentum > 0: buf = momentum·buf + g/(sqrt(ṽ)+eps); p = p - lr·buf
// else:         p = p - lr·g/(sqrt(ṽ)+eps)
template <class T>
void rmsprop_step(index_t n, T* param, const T* grad, T* square_avg, T* momentum_buffer, T* grad_avg,
                  double lr, double alpha, double eps, double weight_decay, double momentum,
                  bool centered);

// clr = lr / (1 + (step-1)·lr_decay);  g = grad + wd·p;  sum = sum + g²;  p = p - clr·g/(sqrt(sum)+eps)
template <class T>
void adagrad_step(index_t n, T* param, const T* grad, T* sum, std::int64_t step,
                  double lr, double lr_decay, double weight_decay, double eps);

// g = grad + wd·p;  v = ρ·v + (1-ρ)·g²;  Δ = sqrt(u+eps)/sqrt(v+eps)·g;  u = ρ·u + (1-ρ)·Δ²;  p = p - lr·Δ
template <class T>
void adadelta_step(index_t n, T* param, const T* grad, T* square_avg, T* acc_delta,
                   double lr, double rho, double eps, double weight_decay);

// s = sign(grad·prev); step_size = clamp(step_size · (s>0 ? η+ : s<0 ? η- : 1), min, max)
// g = (s<0) ? 0 : grad;  p = p - sign(g)·step_size;  prev = g
template <class T>
void rprop_step(index_t n, T* param, const T* grad, T* prev, T* step_size,
                double etaminus, double etaplus, double step_size_min, double step_size_max);

}  // namespace mlbasics

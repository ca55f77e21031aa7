// layers.cpp — dense layer forward/backward. The forward pass fuses bias + activation into the
// GEMM as an epilogue that runs on each block of z right after its last update (still in cache).
#include "mlbasics/layers.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "activations.hpp"
#include "gemm_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

template <class T>
inline T sigmoid_stable(T v) {
  if (v >= T(0)) return T(1) / (T(1) + std::exp(-v));
  const T e = std::exp(v);
  return e / (T(1) + e);
}

template <class T>
struct ForwardCtx {
  const T* b;
  T* z;
  T* h;
  index_t n_out;
  Activation act;
};

template <class T, Activation A>
void epilogue_rows(const ForwardCtx<T>& C, index_t i0, index_t i1, index_t j0, index_t j1) {
  for (index_t i = i0; i < i1; ++i) {
    T* zi = C.z + i * C.n_out;
    T* hi = C.h != nullptr ? C.h + i * C.n_out : nullptr;
    if (C.b != nullptr) {
      for (index_t j = j0; j < j1; ++j) zi[j] += C.b[j];
    }
    if (hi == nullptr) continue;
    for (index_t j = j0; j < j1; ++j) {
      const T v = zi[j];
      if (A == Activation::identity) {
        hi[j] = v;
      } else if (A == Activation::relu) {
        hi[j] = relu(v);  // NaN propagates
      } else if (A == Activation::sigmoid) {
        hi[j] = sigmoid_stable(v);
      } else {
        hi[j] = std::tanh(v);
      }
    }
  }
}

template <class T>
void forward_epilogue(void* ctx, index_t i0, index_t i1, index_t j0, index_t j1) {
  const ForwardCtx<T>& C = *static_cast<const ForwardCtx<T>*>(ctx);
  switch (C.act) {
    case Activation::identity: epilogue_rows<T, Activation::identity>(C, i0, i1, j0, j1); break;
    case Activation::relu: epilogue_rows<T, Activation::relu>(C, i0, i1, j0, j1); break;
    case Activation::sigmoid: epilogue_rows<T, Activation::sigmoid>(C, i0, i1, j0, j1); break;
    case Activation::tanh: epilogue_rows<T, Activation::tanh>(C, i0, i1, j0, j1); break;
  }
}

}  // namespace
}  // namespace detail

template <class T>
void linear_forward(index_t n, index_t n_in, index_t n_out,
                    const T* x, const T* w, const T* b, T* z, T* h, Activation act) {
  if (n <= 0 || n_out <= 0) return;
  detail::ForwardCtx<T> ctx{b, z, h, n_out, act};
  const detail::Epilogue epi{&detail::forward_epilogue<T>, &ctx};
  detail::gemm_ex<T>(n, n_out, n_in, x, n_in, 1, w, n_out, 1, z, n_out, false, &epi, false);
}

template <class T>
void linear_backward(index_t n, index_t n_in, index_t n_out,
                     const T* x, const T* w, const T* z, const T* h, const T* grad_h,
                     T* grad_x, T* grad_w, T* grad_b, Activation act) {
  if (n_out <= 0) {  // grad_w and grad_b are empty; grad_x = grad_z · wᵀ is a sum of no terms
    if (grad_x != nullptr && n > 0 && n_in > 0) std::fill(grad_x, grad_x + n * n_in, T(0));
    return;
  }
  const index_t total = n > 0 ? n * n_out : 0;
  std::vector<T> scratch;
  const T* gz = grad_h;
  if (act != Activation::identity && total > 0) {
    scratch.resize(static_cast<std::size_t>(total));
    T* s = scratch.data();
    switch (act) {
      case Activation::relu:
        for (index_t e = 0; e < total; ++e) s[e] = detail::relu_grad(grad_h[e], z[e]);
        break;
      case Activation::sigmoid:
        for (index_t e = 0; e < total; ++e) s[e] = grad_h[e] * (h[e] * (T(1) - h[e]));
        break;
      case Activation::tanh:
        for (index_t e = 0; e < total; ++e) s[e] = grad_h[e] * (T(1) - h[e] * h[e]);
        break;
      case Activation::identity:
        break;
    }
    gz = s;
  }
  // grad_w (n_in × n_out) = xᵀ · grad_z: op(A) = xᵀ has element (i, p) at x[p*n_in + i].
  if (grad_w != nullptr && n_in > 0) {
    gemm<T>(n_in, n_out, std::max<index_t>(n, 0), x, 1, n_in, gz, n_out, 1, grad_w, n_out, false);
  }
  // grad_x (n × n_in) = grad_z · wᵀ: op(B) = wᵀ has element (p, j) at w[j*n_out + p].
  if (grad_x != nullptr && n > 0 && n_in > 0) {
    gemm<T>(n, n_in, n_out, gz, n_out, 1, w, 1, n_out, grad_x, n_in, false);
  }
  if (grad_b != nullptr) {
    std::fill(grad_b, grad_b + n_out, T(0));
    for (index_t i = 0; i < n; ++i) {
      const T* gi = gz + i * n_out;
      for (index_t j = 0; j < n_out; ++j) grad_b[j] += gi[j];
    }
  }
}

template void linear_forward<float>(index_t, index_t, index_t, const float*, const float*,
                                    const float*, float*, float*, Activation);
template void linear_forward<double>(index_t, index_t, index_t, const double*, const double*,
                                     const double*, double*, double*, Activation);
template void linear_backward<float>(index_t, index_t, index_t, const float*, const float*,
                                     const float*, const float*, const float*, float*, float*,
                                     float*, Activation);
template void linear_backward<double>(index_t, index_t, index_t, const double*, const double*,
                                      const double*, const double*, const double*, double*,
                                      double*, double*, Activation);

}  // namespace mlbasics

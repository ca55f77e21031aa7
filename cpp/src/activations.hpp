// activations.hpp — the elementwise activation pieces shared by layers.cpp and mlp.cpp, written
// once so the forward/backward passes of both agree with the NumPy reference on non-finite values:
// relu(NaN) = NaN; relu'(z) = 1[z > 0] with relu'(NaN) = NaN (np.heaviside); the derivative is
// multiplied into the gradient, never selected, so a NaN/inf gradient where z <= 0 gives NaN
// (NaN·0, inf·0) as grad_h · 1[z > 0] does in NumPy. Branch-free: compares and selects only.
#pragma once

namespace mlbasics {
namespace detail {
// Internal linkage: also compiled into the per-ISA translation units (see norms_kernels.hpp).
namespace {

// max(z, 0) with NaN propagated (std::max(z, 0) would too, but std::max(0, z) would not).
template <class T>
inline T relu(T z) {
  return z < T(0) ? T(0) : z;
}

// grad · relu'(z): relu'(z) = 1 for z > 0, 0 for z <= 0, NaN for NaN z.
// Written as two flat selects: GCC 12 if-converts and vectorizes this form, but compiles the
// nested `z > 0 ? 1 : (z <= 0 ? 0 : z)` to branches (measured 3.5x / 17x slower, f32 / f64).
template <class T>
inline T relu_grad(T grad, T z) {
  T d = z > T(0) ? T(1) : T(0);
  d = z == z ? d : z;  // NaN z: d = NaN
  return grad * d;
}

}  // namespace
}  // namespace detail
}  // namespace mlbasics

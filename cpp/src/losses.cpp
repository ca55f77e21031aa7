// losses.cpp — losses fused with their gradients; stable for logits of ±1e4.
#include "mlbasics/losses.hpp"

#include <cmath>
#include <stdexcept>

namespace mlbasics {

template <class T>
double softmax_cross_entropy(index_t n, index_t C, const T* logits, const std::int64_t* y, T* grad) {
  // Validate every label before anything is written.
  for (index_t i = 0; i < n; ++i) {
    if (y[i] < 0 || y[i] >= static_cast<std::int64_t>(C)) {
      throw std::invalid_argument("label out of range");
    }
  }
  if (n <= 0) return 0.0;
  const T inv_n = T(1) / static_cast<T>(n);
  double total = 0.0;
  for (index_t i = 0; i < n; ++i) {
    const T* li = logits + i * C;
    T mx = li[0];
    for (index_t j = 1; j < C; ++j) mx = li[j] > mx ? li[j] : mx;
    double s = 0.0;
    if (grad != nullptr) {
      T* gi = grad + i * C;
      for (index_t j = 0; j < C; ++j) {
        const T e = std::exp(li[j] - mx);
        gi[j] = e;
        s += static_cast<double>(e);
      }
      const T scale = static_cast<T>(1.0 / s) * inv_n;
      for (index_t j = 0; j < C; ++j) gi[j] *= scale;
      gi[y[i]] -= inv_n;
    } else {
      for (index_t j = 0; j < C; ++j) s += static_cast<double>(std::exp(li[j] - mx));
    }
    const index_t yi = static_cast<index_t>(y[i]);
    total += (static_cast<double>(mx) - static_cast<double>(li[yi])) + std::log(s);
  }
  return total / static_cast<double>(n);
}

template <class T>
double binary_cross_entropy_with_logits(index_t n, const T* logits, const T* y, T* grad) {
  if (n <= 0) return 0.0;
  const T inv_n = T(1) / static_cast<T>(n);
  double total = 0.0;
  for (index_t i = 0; i < n; ++i) {
    const T x = logits[i];
    const T e = std::exp(-std::fabs(x));  // in (0, 1]: never overflows
    const double xd = static_cast<double>(x), yd = static_cast<double>(y[i]);
    total += (xd > 0.0 ? xd : 0.0) - xd * yd + std::log1p(static_cast<double>(e));
    if (grad != nullptr) {
      const T sig = x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
      grad[i] = (sig - y[i]) * inv_n;
    }
  }
  return total / static_cast<double>(n);
}

template <class T>
double mse(index_t n, const T* pred, const T* target, T* grad) {
  if (n <= 0) return 0.0;
  const T two_over_n = T(2) / static_cast<T>(n);
  double total = 0.0;
  for (index_t i = 0; i < n; ++i) {
    const T d = pred[i] - target[i];
    total += static_cast<double>(d) * static_cast<double>(d);
    if (grad != nullptr) grad[i] = two_over_n * d;
  }
  return total / static_cast<double>(n);
}

template double softmax_cross_entropy<float>(index_t, index_t, const float*, const std::int64_t*, float*);
template double softmax_cross_entropy<double>(index_t, index_t, const double*, const std::int64_t*, double*);
template double binary_cross_entropy_with_logits<float>(index_t, const float*, const float*, float*);
template double binary_cross_entropy_with_logits<double>(index_t, const double*, const double*, double*);
template double mse<float>(index_t, const float*, const float*, float*);
template double mse<double>(index_t, const double*, const double*, double*);

}  // namespace mlbasics

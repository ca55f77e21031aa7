// losses.cpp — losses fused with their gradients; stable for logits of ±1e4.
#include "mlbasics/losses.hpp"

#include <cmath>
#include <stdexcept>

namespace mlbasics {
namespace {

// The mean over i < n of term(i), accumulated in double (0 for n <= 0). Each loss writes its
// gradient, already divided by n, from inside its term.
template <class Term>
double mean_of(index_t n, Term term) {
  if (n <= 0) return 0.0;
  double total = 0.0;
  for (index_t i = 0; i < n; ++i) total += term(i);
  return total / static_cast<double>(n);
}

// Σ w, accumulated in double.
template <class T>
double weight_sum(index_t n, const T* w) {
  double s = 0.0;
  for (index_t i = 0; i < n; ++i) s += static_cast<double>(w[i]);
  return s;
}

// The weighted mean Σᵢ wᵢ·term(i, rᵢ) / Σ w over i < n, with rᵢ = wᵢ / Σ w (the row's gradient
// factor, in double) handed to the term.
template <class T, class Term>
double weighted_mean_of(index_t n, const T* w, Term term) {
  if (n <= 0) return 0.0;
  const double sw = weight_sum(n, w);
  const double inv = 1.0 / sw;
  double total = 0.0;
  for (index_t i = 0; i < n; ++i) {
    const double wi = static_cast<double>(w[i]);
    total += wi * term(i, wi * inv);
  }
  return total / sw;
}

}  // namespace

template <class T>
double softmax_cross_entropy(index_t n, index_t C, const T* logits, const std::int64_t* y, T* grad, const T* w) {
  // Validate every label before anything is written.
  for (index_t i = 0; i < n; ++i) {
    if (y[i] < 0 || y[i] >= static_cast<std::int64_t>(C)) {
      throw std::invalid_argument("label out of range");
    }
  }
  if (w != nullptr) {
    return weighted_mean_of(n, w, [&](index_t i, double ri) {
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
        const T scale = static_cast<T>(ri / s);
        for (index_t j = 0; j < C; ++j) gi[j] *= scale;
        gi[y[i]] = static_cast<T>(static_cast<double>(gi[y[i]]) - ri);
      } else {
        for (index_t j = 0; j < C; ++j) s += static_cast<double>(std::exp(li[j] - mx));
      }
      const index_t yi = static_cast<index_t>(y[i]);
      return (static_cast<double>(mx) - static_cast<double>(li[yi])) + std::log(s);
    });
  }
  const T inv_n = n > 0 ? T(1) / static_cast<T>(n) : T(0);
  return mean_of(n, [&](index_t i) {
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
    return (static_cast<double>(mx) - static_cast<double>(li[yi])) + std::log(s);
  });
}

template <class T>
double binary_cross_entropy_with_logits(index_t n, const T* logits, const T* y, T* grad, const T* w) {
  if (w != nullptr) {
    return weighted_mean_of(n, w, [&](index_t i, double ri) {
      const T x = logits[i];
      const T e = std::exp(-std::fabs(x));
      if (grad != nullptr) {
        const T sig = x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
        grad[i] = static_cast<T>(static_cast<double>(sig - y[i]) * ri);
      }
      const double xd = static_cast<double>(x), yd = static_cast<double>(y[i]);
      return (xd > 0.0 ? xd : 0.0) - xd * yd + std::log1p(static_cast<double>(e));
    });
  }
  const T inv_n = n > 0 ? T(1) / static_cast<T>(n) : T(0);
  return mean_of(n, [&](index_t i) {
    const T x = logits[i];
    const T e = std::exp(-std::fabs(x));  // in (0, 1]: never overflows
    if (grad != nullptr) {
      const T sig = x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
      grad[i] = (sig - y[i]) * inv_n;
    }
    const double xd = static_cast<double>(x), yd = static_cast<double>(y[i]);
    return (xd > 0.0 ? xd : 0.0) - xd * yd + std::log1p(static_cast<double>(e));
  });
}

template <class T>
double mse(index_t n, const T* pred, const T* target, T* grad, const T* w, index_t rows) {
  if (w != nullptr) {
    if (rows <= 0 || n % rows != 0) throw std::invalid_argument("mse: rows must be >= 1 and divide n");
    const index_t k = n / rows;
    const double kd = static_cast<double>(k);
    return weighted_mean_of(rows, w, [&](index_t i, double ri) {
      const double two_r = 2.0 * ri / kd;
      double row = 0.0;
      for (index_t e = i * k; e < (i + 1) * k; ++e) {
        const T d = pred[e] - target[e];
        if (grad != nullptr) grad[e] = static_cast<T>(static_cast<double>(d) * two_r);
        row += static_cast<double>(d) * static_cast<double>(d);
      }
      return row;
    }) / kd;
  }
  const T two_over_n = n > 0 ? T(2) / static_cast<T>(n) : T(0);
  return mean_of(n, [&](index_t i) {
    const T d = pred[i] - target[i];
    if (grad != nullptr) grad[i] = two_over_n * d;
    return static_cast<double>(d) * static_cast<double>(d);
  });
}

template double softmax_cross_entropy<float>(index_t, index_t, const float*, const std::int64_t*, float*,
                                             const float*);
template double softmax_cross_entropy<double>(index_t, index_t, const double*, const std::int64_t*, double*,
                                              const double*);
template double binary_cross_entropy_with_logits<float>(index_t, const float*, const float*, float*, const float*);
template double binary_cross_entropy_with_logits<double>(index_t, const double*, const double*, double*,
                                                         const double*);
template double mse<float>(index_t, const float*, const float*, float*, const float*, index_t);
template double mse<double>(index_t, const double*, const double*, double*, const double*, index_t);

}  // namespace mlbasics

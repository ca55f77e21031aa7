// losses.cpp — losses fused with their gradients; stable for logits of ±1e4.
#include "mlbasics/losses.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "mlp_rows.hpp"

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
  if (n <= 0) return 0.0;
  // Rows in blocks of kRows: each row's logits minus its maximum go to the gradient's rows (or a
  // scratch block), one vectorized exp over the whole block (detail::MlpRowKernels::exp), then
  // per row the sum s in double, the loss max − z_y + log s and the gradient (e/s − onehot)/n
  // (weighted: the factor rᵢ = wᵢ/Σw instead of 1/n). glibc's exp, one call per value, was most
  // of this kernel's time (100,000 × 10 logits: 5.3 ms).
  constexpr index_t kRows = 64;
  const auto exp_block = detail::mlp_row_kernels<T>().exp;
  std::vector<T> scratch(grad == nullptr ? static_cast<std::size_t>(std::min(n, kRows) * C) : 0);
  const double sw = w != nullptr ? weight_sum(n, w) : static_cast<double>(n);
  const double inv_sw = 1.0 / sw;
  const T inv_n = T(1) / static_cast<T>(n);
  double total = 0.0;
  T mx[kRows];
  // The loss's log s per row, as one log per group of rows of the product of their s: each s is
  // in [1, C] (the row's maximum was subtracted), so a group of g rows with C^g < 2^1000 cannot
  // overflow. One std::log per row was ~18% of this kernel (100,000 × 10 float64, 1 thread, Zen 5:
  // 2.19–2.23 → 1.79–1.84 ms).
  const index_t group = std::max<index_t>(1, static_cast<index_t>(1000.0 / std::log2(static_cast<double>(C) + 1.0)));
  double prod = 1.0;
  index_t in_prod = 0;
  for (index_t i0 = 0; i0 < n; i0 += kRows) {
    const index_t nb = std::min(kRows, n - i0);
    T* e = grad != nullptr ? grad + i0 * C : scratch.data();
    for (index_t r = 0; r < nb; ++r) {
      const T* li = logits + (i0 + r) * C;
      T m = li[0];
      for (index_t j = 1; j < C; ++j) m = li[j] > m ? li[j] : m;
      mx[r] = m;
      T* er = e + r * C;
      for (index_t j = 0; j < C; ++j) er[j] = li[j] - m;
    }
    exp_block(nb * C, e, e);
    for (index_t r = 0; r < nb; ++r) {
      const index_t i = i0 + r;
      T* er = e + r * C;
      double s = 0.0;
      for (index_t j = 0; j < C; ++j) s += static_cast<double>(er[j]);
      const index_t yi = static_cast<index_t>(y[i]);
      const double shifted = static_cast<double>(mx[r]) - static_cast<double>(logits[i * C + yi]);
      if (w != nullptr) {
        const double wi = static_cast<double>(w[i]);
        total += wi * (shifted + std::log(s));
        if (grad != nullptr) {
          const double ri = wi * inv_sw;
          const T scale = static_cast<T>(ri / s);
          for (index_t j = 0; j < C; ++j) er[j] *= scale;
          er[yi] = static_cast<T>(static_cast<double>(er[yi]) - ri);
        }
      } else {
        total += shifted;
        prod *= s;
        if (++in_prod == group) {
          total += std::log(prod);
          prod = 1.0;
          in_prod = 0;
        }
        if (grad != nullptr) {
          const T scale = static_cast<T>(1.0 / s) * inv_n;
          for (index_t j = 0; j < C; ++j) er[j] *= scale;
          er[yi] -= inv_n;
        }
      }
    }
  }
  if (in_prod > 0) total += std::log(prod);
  return total / sw;
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

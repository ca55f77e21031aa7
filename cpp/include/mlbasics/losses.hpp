// mlbasics/losses.hpp — losses fused with their gradients; all stable for logits of ±1e4.
#pragma once
#include <cstdint>
#include "mlbasics/gemm.hpp"

namespace mlbasics {

// Weights: every loss takes optional per-row weights w (nullptr: every row weighs 1). Weighted,
// the mean becomes Σ wᵢ·termᵢ / Σ wᵢ and each gradient row is scaled by wᵢ / Σ wᵢ instead of 1/n
// (sums in double; each term is multiplied by its weight as written, so 0·inf is NaN). The
// weights are not validated here (finite, >= 0, positive sum: the bindings check them).

// logits (n, C) row-major contiguous, labels y (n) in [0, C) (throws std::invalid_argument
// otherwise). Returns mean over rows of -log softmax(logits)[i, y_i] (accumulated in double).
// grad (n, C), if not nullptr: (softmax(logits) - onehot(y)) / n. n >= 1, C >= 1.
template <class T>
double softmax_cross_entropy(index_t n, index_t C, const T* logits, const std::int64_t* y, T* grad,
                             const T* w = nullptr);

// logits (n), targets y (n) in [0, 1]. Returns mean of max(x,0) - x*y + log1p(exp(-|x|));
// grad, if not nullptr: (sigmoid(x) - y) / n. n >= 1.
template <class T>
double binary_cross_entropy_with_logits(index_t n, const T* logits, const T* y, T* grad, const T* w = nullptr);

// Returns mean of (pred - target)² over n elements; grad, if not nullptr: 2 (pred - target) / n.
// Weighted: w has `rows` entries (rows >= 1 divides n), row i holding the k = n / rows elements
// [i·k, (i + 1)·k); returns Σᵢ wᵢ Σ_row d² / (k Σ w) and grad = 2 wᵢ d / (k Σ w).
template <class T>
double mse(index_t n, const T* pred, const T* target, T* grad, const T* w = nullptr, index_t rows = 0);

}  // namespace mlbasics

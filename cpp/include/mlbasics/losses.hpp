// mlbasics/losses.hpp — losses fused with their gradients; all stable for logits of ±1e4.
#pragma once
#include <cstdint>
#include "mlbasics/gemm.hpp"

namespace mlbasics {

// logits (n, C) row-major contiguous, labels y (n) in [0, C) (throws std::invalid_argument
// otherwise). Returns mean over rows of -log softmax(logits)[i, y_i] (accumulated in double).
// grad (n, C), if not nullptr: (softmax(logits) - onehot(y)) / n. n >= 1, C >= 1.
template <class T>
double softmax_cross_entropy(index_t n, index_t C, const T* logits, const std::int64_t* y, T* grad);

// logits (n), targets y (n) in [0, 1]. Returns mean of max(x,0) - x*y + log1p(exp(-|x|));
// grad, if not nullptr: (sigmoid(x) - y) / n. n >= 1.
template <class T>
double binary_cross_entropy_with_logits(index_t n, const T* logits, const T* y, T* grad);

// Returns mean of (pred - target)² over n elements; grad, if not nullptr: 2 (pred - target) / n.
template <class T>
double mse(index_t n, const T* pred, const T* target, T* grad);

}  // namespace mlbasics

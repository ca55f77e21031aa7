// mlbasics/mlp.hpp — one training epoch of a dense multi-layer perceptron in one call.
//
// For each consecutive chunk B = order[s, s + batch_size) of the row order (the last may be
// shorter), without returning to the caller:
//   forward   h⁰ = X[B];  hˡ = act(hˡ⁻¹·Wˡ + bˡ)  (the hidden activation on all but the last
//             layer, identity on the last: the logits o)                      — linear_forward
//   loss      softmax_cross_entropy(o, labels[B]), binary_cross_entropy_with_logits(o, y[B])
//             (one output), or squared_error = ½·mse(o, y[B]) with gradient mse'·k/2 = (o − y)/|B|
//             (scikit-learn's); the value is rounded to T, then the L2 term
//             alpha/(2|B|)·Σₗ‖Wˡ‖² is added (biases are not penalized)            — losses.hpp
//   backward  linear_backward through every layer (no grad_x for the first), with alpha·Wˡ/|B|
//             added to each weight gradient, into the flat `grads`
//   update    one optimizer step (optim.hpp) over the whole flat `params`.
// If a batch's loss (with its L2 term) is not finite, the epoch stops before that batch's update.
// Each layer's update is applied block by block as its weight gradient is produced (the steps are
// elementwise, so this is the same update as one step over the whole buffer at the end).
//
// Flat layout of params/grads (P = Σ (n_in + 1)·n_out elements): per layer W (n_in × n_out,
// row-major), then b (n_out). Work buffers (the gathered batch, activations, gradient scratch)
// are allocated once per call. Threads: the GEMMs and large optimizer steps use the pool.
#pragma once
#include <cstdint>
#include <vector>

#include "mlbasics/gemm.hpp"
#include "mlbasics/layers.hpp"

namespace mlbasics {

enum class Loss : int { softmax_cross_entropy = 0, binary_cross_entropy_with_logits = 1, squared_error = 2 };

enum class OptimizerKind : int { sgd = 0, adam = 1, rmsprop = 2, adagrad = 3, adadelta = 4, rprop = 5 };

// The optimizer and its hyper-parameters (the arguments of the optim.hpp step of that kind;
// fields of other kinds are ignored).
struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::sgd;
  double lr = 1e-3;
  double momentum = 0.0, dampening = 0.0, weight_decay = 0.0;  // sgd (momentum, weight_decay: rmsprop too)
  bool nesterov = false;                                        // sgd
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;                // adam (eps: rmsprop, adagrad, adadelta too)
  bool decoupled_weight_decay = false;                          // adam → AdamW
  double alpha = 0.99;                                          // rmsprop
  bool centered = false;                                        // rmsprop
  double lr_decay = 0.0;                                        // adagrad
  double rho = 0.9;                                             // adadelta
  double etaminus = 0.5, etaplus = 1.2, step_size_min = 1e-6, step_size_max = 50.0;  // rprop
  std::int64_t step = 0;    // updates taken before this call: the t-th batch is update step + t
  bool first_step = false;  // sgd: the momentum buffer is new (read only from the 2nd batch on)
};

// The optimizer's state arrays (P elements each, updated in place); those the kind and its
// hyper-parameters do not use may be nullptr.
template <class T>
struct OptimizerState {
  T* momentum_buffer = nullptr;  // sgd (momentum != 0), rmsprop (momentum > 0)
  T* exp_avg = nullptr;          // adam
  T* exp_avg_sq = nullptr;       // adam
  T* square_avg = nullptr;       // rmsprop, adadelta
  T* grad_avg = nullptr;         // rmsprop (centered)
  T* sum = nullptr;              // adagrad
  T* acc_delta = nullptr;        // adadelta
  T* prev = nullptr;             // rprop
  T* step_size = nullptr;        // rprop
};

struct MLPConfig {
  std::vector<index_t> layer_sizes;  // (n_features, hidden..., n_outputs), at least 2, all >= 1
  Activation hidden = Activation::relu;
  Loss loss = Loss::softmax_cross_entropy;
  double alpha = 0.0;    // L2 strength
  index_t batch_size = 1;
};

struct EpochResult {
  double loss_sum = 0.0;  // Σ over batches of (batch loss incl. L2)·|B|, or the non-finite batch loss
  std::int64_t steps = 0; // optimizer steps taken (fewer than the batches exactly when diverged)
};

// X: n × layer_sizes[0] row-major. Targets: `labels` (n, values in [0, n_outputs)) for
// softmax_cross_entropy, else `y` (n × n_outputs row-major; n_outputs == 1 for the binary loss);
// the other may be nullptr. order: n_order row indices in [0, n). params, grads: P elements each;
// grads is overwritten (never read) and ends holding the gradient of the last batch that took a
// step (unspecified after a divergence).
// Arguments are not validated here beyond labels (std::invalid_argument, as the loss kernel).
template <class T>
EpochResult mlp_epoch(const MLPConfig& net, index_t n, const T* X, const std::int64_t* labels, const T* y,
                      const std::int64_t* order, index_t n_order, T* params, T* grads,
                      const OptimizerConfig& opt, const OptimizerState<T>& state);

// Number of parameters P of the flat buffer for these layer sizes.
index_t mlp_num_params(const std::vector<index_t>& layer_sizes);

}  // namespace mlbasics

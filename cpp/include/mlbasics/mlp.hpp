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
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mlbasics/gemm.hpp"
#include "mlbasics/layers.hpp"

namespace mlbasics {

enum class Loss : int { softmax_cross_entropy = 0, binary_cross_entropy_with_logits = 1, squared_error = 2 };

enum class OptimizerKind : int { sgd = 0, adam = 1, rmsprop = 2, adagrad = 3, adadelta = 4, rprop = 5 };

// ---------------------------------------------------------------- the optimizer schema
//
// Written once, here: the hyper-parameters (fields of OptimizerConfig), the state arrays (slots
// of OptimizerState<T>), and in kOptimizerKinds, per kind, its name, the hyper-parameters it
// reads and the state it needs given them. The structs, the enums ConfigField / StateSlot and
// the name and member tables are all generated from the two lists below; the bindings read the
// Python dicts by walking these tables (and export them as _core.optimizer_schema()).

// X(type, name, default): the arguments of the optim.hpp steps, in the order the kinds list them.
#define MLBASICS_OPTIMIZER_CONFIG_FIELDS(X)                                    \
  X(double, lr, 1e-3)                                                          \
  X(double, momentum, 0.0)                /* sgd, rmsprop */                   \
  X(double, dampening, 0.0)               /* sgd */                            \
  X(double, weight_decay, 0.0)            /* all but rprop */                  \
  X(bool, nesterov, false)                /* sgd */                            \
  X(double, beta1, 0.9)                   /* adam */                           \
  X(double, beta2, 0.999)                 /* adam */                           \
  X(double, eps, 1e-8)                    /* adam, rmsprop, adagrad, adadelta */ \
  X(bool, decoupled_weight_decay, false)  /* adam → AdamW */                   \
  X(double, alpha, 0.99)                  /* rmsprop */                        \
  X(bool, centered, false)                /* rmsprop */                        \
  X(double, lr_decay, 0.0)                /* adagrad */                        \
  X(double, rho, 0.9)                     /* adadelta */                       \
  X(double, etaminus, 0.5)                /* rprop */                          \
  X(double, etaplus, 1.2)                 /* rprop */                          \
  X(double, step_size_min, 1e-6)          /* rprop */                          \
  X(double, step_size_max, 50.0)          /* rprop */

// X(name): the state arrays (P elements each, updated in place).
#define MLBASICS_OPTIMIZER_STATE_SLOTS(X)                                      \
  X(momentum_buffer)  /* sgd (momentum != 0), rmsprop (momentum > 0) */        \
  X(exp_avg)          /* adam */                                               \
  X(exp_avg_sq)       /* adam */                                               \
  X(square_avg)       /* rmsprop, adadelta */                                  \
  X(grad_avg)         /* rmsprop (centered) */                                 \
  X(sum)              /* adagrad */                                            \
  X(acc_delta)        /* adadelta */                                           \
  X(prev)             /* rprop */                                              \
  X(step_size)        /* rprop */

// The optimizer and its hyper-parameters (fields of other kinds are ignored).
struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::sgd;
#define MLBASICS_FIELD(type, name, value) type name = value;
  MLBASICS_OPTIMIZER_CONFIG_FIELDS(MLBASICS_FIELD)
#undef MLBASICS_FIELD
  std::int64_t step = 0;    // updates taken before this call: the t-th batch is update step + t
  bool first_step = false;  // sgd: the momentum buffer is new (read only from the 2nd batch on)
};

// The optimizer's state arrays; those the kind and its hyper-parameters do not use may be nullptr.
template <class T>
struct OptimizerState {
#define MLBASICS_SLOT(name) T* name = nullptr;
  MLBASICS_OPTIMIZER_STATE_SLOTS(MLBASICS_SLOT)
#undef MLBASICS_SLOT
};

enum class ConfigField : int {
#define MLBASICS_FIELD(type, name, value) name,
  MLBASICS_OPTIMIZER_CONFIG_FIELDS(MLBASICS_FIELD)
#undef MLBASICS_FIELD
};

enum class StateSlot : int {
#define MLBASICS_SLOT(name) name,
  MLBASICS_OPTIMIZER_STATE_SLOTS(MLBASICS_SLOT)
#undef MLBASICS_SLOT
};

// A hyper-parameter: its name and its member, a real number or a flag (the other is nullptr).
struct ConfigFieldInfo {
  const char* name;
  double OptimizerConfig::*real;
  bool OptimizerConfig::*flag;
};
constexpr ConfigFieldInfo config_field_info(const char* name, double OptimizerConfig::*m) { return {name, m, nullptr}; }
constexpr ConfigFieldInfo config_field_info(const char* name, bool OptimizerConfig::*m) { return {name, nullptr, m}; }

// Indexed by ConfigField.
inline constexpr ConfigFieldInfo kConfigFields[] = {
#define MLBASICS_FIELD(type, name, value) config_field_info(#name, &OptimizerConfig::name),
    MLBASICS_OPTIMIZER_CONFIG_FIELDS(MLBASICS_FIELD)
#undef MLBASICS_FIELD
};

// Indexed by StateSlot.
inline constexpr const char* kStateSlotNames[] = {
#define MLBASICS_SLOT(name) #name,
    MLBASICS_OPTIMIZER_STATE_SLOTS(MLBASICS_SLOT)
#undef MLBASICS_SLOT
};
template <class T>
inline constexpr T* OptimizerState<T>::*kStateSlotMembers[] = {
#define MLBASICS_SLOT(name) &OptimizerState<T>::name,
    MLBASICS_OPTIMIZER_STATE_SLOTS(MLBASICS_SLOT)
#undef MLBASICS_SLOT
};

inline const ConfigFieldInfo& field_info(ConfigField f) { return kConfigFields[static_cast<int>(f)]; }
inline const char* slot_name(StateSlot s) { return kStateSlotNames[static_cast<int>(s)]; }
template <class T>
T*& slot_of(OptimizerState<T>& state, StateSlot s) { return state.*kStateSlotMembers<T>[static_cast<int>(s)]; }

// A constant array seen as a range (pointer + size).
template <class E>
struct TableRange {
  const E* first;
  std::size_t size;
  template <std::size_t N>
  constexpr TableRange(const E (&a)[N]) : first(a), size(N) {}
  constexpr const E* begin() const { return first; }
  constexpr const E* end() const { return first + size; }
};

// A state array a kind uses, and whether it needs it given the hyper-parameters.
struct StateUse {
  StateSlot slot;
  bool (*needed)(const OptimizerConfig&);
};

struct OptimizerKindInfo {
  OptimizerKind kind;
  const char* name;
  TableRange<ConfigField> hyper;  // exactly the hyper-parameters it reads
  TableRange<StateUse> state;     // every state array it may use
};

namespace optimizer_schema {
using F = ConfigField;
using S = StateSlot;
constexpr bool always(const OptimizerConfig&) { return true; }
constexpr bool with_momentum(const OptimizerConfig& o) { return o.momentum != 0.0; }
constexpr bool with_positive_momentum(const OptimizerConfig& o) { return o.momentum > 0.0; }
constexpr bool when_centered(const OptimizerConfig& o) { return o.centered; }

inline constexpr ConfigField kSgdHyper[] = {F::lr, F::momentum, F::dampening, F::weight_decay, F::nesterov};
inline constexpr StateUse kSgdState[] = {{S::momentum_buffer, with_momentum}};
inline constexpr ConfigField kAdamHyper[] = {F::lr, F::beta1, F::beta2, F::eps, F::weight_decay,
                                             F::decoupled_weight_decay};
inline constexpr StateUse kAdamState[] = {{S::exp_avg, always}, {S::exp_avg_sq, always}};
inline constexpr ConfigField kRmspropHyper[] = {F::lr, F::alpha, F::eps, F::weight_decay, F::momentum, F::centered};
inline constexpr StateUse kRmspropState[] = {
    {S::square_avg, always}, {S::momentum_buffer, with_positive_momentum}, {S::grad_avg, when_centered}};
inline constexpr ConfigField kAdagradHyper[] = {F::lr, F::lr_decay, F::weight_decay, F::eps};
inline constexpr StateUse kAdagradState[] = {{S::sum, always}};
inline constexpr ConfigField kAdadeltaHyper[] = {F::lr, F::rho, F::eps, F::weight_decay};
inline constexpr StateUse kAdadeltaState[] = {{S::square_avg, always}, {S::acc_delta, always}};
inline constexpr ConfigField kRpropHyper[] = {F::etaminus, F::etaplus, F::step_size_min, F::step_size_max};
inline constexpr StateUse kRpropState[] = {{S::prev, always}, {S::step_size, always}};
}  // namespace optimizer_schema

// Indexed by OptimizerKind.
inline constexpr OptimizerKindInfo kOptimizerKinds[] = {
    {OptimizerKind::sgd, "sgd", optimizer_schema::kSgdHyper, optimizer_schema::kSgdState},
    {OptimizerKind::adam, "adam", optimizer_schema::kAdamHyper, optimizer_schema::kAdamState},
    {OptimizerKind::rmsprop, "rmsprop", optimizer_schema::kRmspropHyper, optimizer_schema::kRmspropState},
    {OptimizerKind::adagrad, "adagrad", optimizer_schema::kAdagradHyper, optimizer_schema::kAdagradState},
    {OptimizerKind::adadelta, "adadelta", optimizer_schema::kAdadeltaHyper, optimizer_schema::kAdadeltaState},
    {OptimizerKind::rprop, "rprop", optimizer_schema::kRpropHyper, optimizer_schema::kRpropState},
};

constexpr bool optimizer_kinds_in_enum_order() {
  int i = 0;
  for (const OptimizerKindInfo& k : kOptimizerKinds)
    if (static_cast<int>(k.kind) != i++) return false;
  return true;
}
static_assert(optimizer_kinds_in_enum_order(), "kOptimizerKinds must be indexed by OptimizerKind");

inline const OptimizerKindInfo& kind_info(OptimizerKind k) { return kOptimizerKinds[static_cast<int>(k)]; }

// Normalization of the hidden layers' pre-activations (issue #11): none, batch (BatchNorm1d:
// batch statistics in training, running statistics updated) or group (GroupNorm; layer norm is
// one group).
enum class Norm : int { none = 0, batch = 1, group = 2 };

// The training tricks of issue #11. All off (the default) is today's network and today's code
// path, bit for bit. With any on, one training step on batch B (update number t) is:
//   0. spectral: for every layer, from the raw W (n_in × n_out): u ← normalize(Wᵀv),
//      v ← normalize(W u), σ = uᵀWᵀv (double), W̃ = W / T(σ); u, v updated in place. Else W̃ = W.
//   1. hidden layer l: z = h W̃ + b; a = norm(z) with γ, β (batch: B's statistics, running ones
//      updated; group: per row); g = act(a); d = dropout(g) with p_l, words (l << 40) + the flat
//      index in the (|B|, n_out) block, stream t, key seed; h ← h + d when residual and
//      n_in == n_out, else d. Output layer: o = h W̃ + b.
//   2. loss as without tricks (L2 on the raw W).
//   3. backward through all of it; with spectral norm the raw weight's gradient is
//      G/σ − (⟨G, W⟩/σ²)·v uᵀ (G the gradient of W̃), then + alpha·W/S.
//   4. one optimizer step over the whole flat buffer (γ, β included).
// With batch norm, one-row batches are skipped (no step, no update number).
// Flat layout: per layer W, b, then (hidden layers, normalization on) γ, β (n_out each).
// running (batch norm): per hidden layer running_mean (n_out), running_var (n_out).
// spectral vectors: per layer (all, the output one too) u (n_out), then v (n_in).
struct MLPTricks {
  std::vector<double> dropout;  // p per hidden layer, each in [0, 1) (missing entries: 0)
  std::uint64_t seed = 0;       // the dropout key
  Norm norm = Norm::none;
  index_t groups = 1;           // group norm: divides every hidden width
  double momentum = 0.1;        // batch norm's running statistics
  double eps = 1e-5;
  bool residual = false;
  bool spectral = false;
  bool any() const {
    bool drop = false;
    for (double p : dropout) drop = drop || p > 0.0;
    return drop || norm != Norm::none || residual || spectral;
  }
};

// The in-place state arrays of the tricks (nullptr when unused).
template <class T>
struct MLPTrickState {
  T* running = nullptr;   // 2·Σ hidden widths (batch norm)
  T* spectral = nullptr;  // Σ over all layers of n_out + n_in (spectral norm)
};

struct MLPConfig {
  std::vector<index_t> layer_sizes;  // (n_features, hidden..., n_outputs), at least 2, all >= 1
  Activation hidden = Activation::relu;
  Loss loss = Loss::softmax_cross_entropy;
  double alpha = 0.0;    // L2 strength
  index_t batch_size = 1;
  MLPTricks tricks;      // issue #11 (all off by default)
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
// sample_weight (n values, finite and >= 0, or nullptr): each batch's loss is the weighted mean
// over its rows (the losses' weighted form) and its total weight S = Σ_B w replaces |B| in the L2
// term and its gradient; a batch with S = 0 is skipped (no step, nothing added to loss_sum).
// loss_sum still adds each batch's loss times its row count |B|.
// Arguments are not validated here beyond labels (std::invalid_argument, as the loss kernel).
// net.tricks all off: today's epoch (and code path). With tricks: params/grads/state in the tricks'
// layout (mlp_num_params(sizes, norm != none)); trick_state.running required with batch norm,
// trick_state.spectral with spectral norm (net.tricks.spectral is ignored without it).
template <class T>
EpochResult mlp_epoch(const MLPConfig& net, index_t n, const T* X, const std::int64_t* labels, const T* y,
                      const std::int64_t* order, index_t n_order, T* params, T* grads,
                      const OptimizerConfig& opt, const OptimizerState<T>& state,
                      const T* sample_weight = nullptr, const MLPTrickState<T>& trick_state = MLPTrickState<T>{});

// Number of parameters P of the flat buffer for these layer sizes (with γ, β per hidden unit when
// `normalization`).
index_t mlp_num_params(const std::vector<index_t>& layer_sizes, bool normalization = false);

}  // namespace mlbasics

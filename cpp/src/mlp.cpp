// mlp.cpp — one MLP training epoch per call: gather → forward → loss → backward → optimizer step
// for every minibatch, with all work buffers allocated once. The forward pass is linear_forward
// (GEMM with the fused bias + activation epilogue); the backward pass multiplies the activation
// derivative into grad_x inside the GEMM's epilogue, so grad_z of the layer below comes out of
// the product directly, and the weight-gradient GEMM's epilogue finishes each block of the
// gradient (+ the L2 term) and applies the optimizer step to the same block of weights while both
// are still in cache (the steps are elementwise, so a block at a time is the same update), also
// summing the new weights' squares for the next batch's L2 term. grad_x of a layer is computed
// before its weights change.
#include "mlbasics/mlp.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "activations.hpp"
#include "gemm_kernels.hpp"
#include "mlbasics/losses.hpp"
#include "mlbasics/optim.hpp"

namespace mlbasics {
namespace detail {
namespace {

// grad_z = grad_h ⊙ act'(·) in place on the rows/columns one GEMM block has just finished.
template <class T>
struct DerivativeCtx {
  T* g;          // grad_h on entry, grad_z on exit (n × ld)
  const T* z;    // relu reads z
  const T* h;    // sigmoid/tanh read h = act(z)
  index_t ld;
  Activation act;
};

template <class T, Activation A>
void derivative_rows(const DerivativeCtx<T>& C, index_t i0, index_t i1, index_t j0, index_t j1) {
  for (index_t i = i0; i < i1; ++i) {
    T* gi = C.g + i * C.ld;
    if (A == Activation::relu) {
      const T* zi = C.z + i * C.ld;
      for (index_t j = j0; j < j1; ++j) gi[j] = relu_grad(gi[j], zi[j]);
    } else if (A == Activation::sigmoid) {
      const T* hi = C.h + i * C.ld;
      for (index_t j = j0; j < j1; ++j) gi[j] = gi[j] * (hi[j] * (T(1) - hi[j]));
    } else if (A == Activation::tanh) {
      const T* hi = C.h + i * C.ld;
      for (index_t j = j0; j < j1; ++j) gi[j] = gi[j] * (T(1) - hi[j] * hi[j]);
    }
  }
}

template <class T>
void derivative_epilogue(void* ctx, index_t i0, index_t i1, index_t j0, index_t j1) {
  const DerivativeCtx<T>& C = *static_cast<const DerivativeCtx<T>*>(ctx);
  switch (C.act) {
    case Activation::relu: derivative_rows<T, Activation::relu>(C, i0, i1, j0, j1); break;
    case Activation::sigmoid: derivative_rows<T, Activation::sigmoid>(C, i0, i1, j0, j1); break;
    case Activation::tanh: derivative_rows<T, Activation::tanh>(C, i0, i1, j0, j1); break;
    case Activation::identity: break;
  }
}

template <class T>
void optimizer_step(index_t P, T* params, const T* grads, const OptimizerConfig& o, const OptimizerState<T>& s,
                    std::int64_t t, bool first) {
  switch (o.kind) {
    case OptimizerKind::sgd:
      sgd_step<T>(P, params, grads, o.momentum != 0.0 ? s.momentum_buffer : nullptr, o.lr, o.momentum,
                  o.dampening, o.weight_decay, o.nesterov, first);
      break;
    case OptimizerKind::adam:
      adam_step<T>(P, params, grads, s.exp_avg, s.exp_avg_sq, t, o.lr, o.beta1, o.beta2, o.eps, o.weight_decay,
                   o.decoupled_weight_decay);
      break;
    case OptimizerKind::rmsprop:
      rmsprop_step<T>(P, params, grads, s.square_avg, o.momentum > 0.0 ? s.momentum_buffer : nullptr,
                      o.centered ? s.grad_avg : nullptr, o.lr, o.alpha, o.eps, o.weight_decay, o.momentum,
                      o.centered);
      break;
    case OptimizerKind::adagrad:
      adagrad_step<T>(P, params, grads, s.sum, t, o.lr, o.lr_decay, o.weight_decay, o.eps);
      break;
    case OptimizerKind::adadelta:
      adadelta_step<T>(P, params, grads, s.square_avg, s.acc_delta, o.lr, o.rho, o.eps, o.weight_decay);
      break;
    case OptimizerKind::rprop:
      rprop_step<T>(P, params, grads, s.prev, s.step_size, o.etaminus, o.etaplus, o.step_size_min,
                    o.step_size_max);
      break;
  }
}

// The step over elements [begin, begin + count) of the flat buffers.
template <class T>
void optimizer_step_range(index_t begin, index_t count, T* params, const T* grads, const OptimizerConfig& o,
                          const OptimizerState<T>& s, std::int64_t t, bool first) {
  OptimizerState<T> r;
  for (T* OptimizerState<T>::*slot : kStateSlotMembers<T>) r.*slot = s.*slot != nullptr ? s.*slot + begin : nullptr;
  optimizer_step<T>(count, params + begin, grads + begin, o, r, t, first);
}

// Σ a² in 16 independent lanes of T (vectorizable), the lanes added in double.
template <class T>
double sum_squares(const T* a, index_t n) {
  constexpr int W = 16;
  T acc[W] = {};
  index_t i = 0;
  for (; i + W <= n; i += W)
    for (int l = 0; l < W; ++l) acc[l] += a[i + l] * a[i + l];
  double s = 0.0;
  for (; i < n; ++i) s += static_cast<double>(a[i]) * static_cast<double>(a[i]);
  for (int l = 0; l < W; ++l) s += static_cast<double>(acc[l]);
  return s;
}

// Epilogue of gW = x_inᵀ·grad_z (n_in × n_out at offset `off` of the flat buffers): per finished
// block, gW += l2·W, then the optimizer step on that block of W, then Σ W_new² (if l2 is used).
template <class T>
struct UpdateCtx {
  T* params;
  T* grads;
  index_t off, ld;
  T l2;
  bool use_l2;
  const OptimizerConfig* opt;
  const OptimizerState<T>* state;
  std::int64_t t;
  bool first;
  std::mutex* mu;
  double* sumsq;
};

template <class T>
void update_epilogue(void* ctx, index_t i0, index_t i1, index_t j0, index_t j1) {
  const UpdateCtx<T>& C = *static_cast<const UpdateCtx<T>*>(ctx);
  double s = 0.0;
  // Whole rows are one contiguous range: one pass instead of one per row.
  const bool whole_rows = j0 == 0 && j1 == C.ld;
  const index_t rows = whole_rows ? 1 : i1 - i0;
  const index_t cnt = whole_rows ? (i1 - i0) * C.ld : j1 - j0;
  for (index_t r = 0; r < rows; ++r) {
    const index_t b = C.off + (i0 + r) * C.ld + j0;
    if (C.use_l2) {
      const T* w = C.params + b;
      T* g = C.grads + b;
      for (index_t j = 0; j < cnt; ++j) g[j] += C.l2 * w[j];
    }
    optimizer_step_range<T>(b, cnt, C.params, C.grads, *C.opt, *C.state, C.t, C.first);
    if (C.use_l2) s += sum_squares(C.params + b, cnt);
  }
  if (C.use_l2) {
    std::lock_guard<std::mutex> lock(*C.mu);
    *C.sumsq += s;
  }
}

}  // namespace
}  // namespace detail

index_t mlp_num_params(const std::vector<index_t>& u) {
  index_t total = 0;
  for (std::size_t l = 0; l + 1 < u.size(); ++l) total += (u[l] + 1) * u[l + 1];
  return total;
}

template <class T>
EpochResult mlp_epoch(const MLPConfig& net, index_t n, const T* X, const std::int64_t* labels, const T* y,
                      const std::int64_t* order, index_t n_order, T* params, T* grads,
                      const OptimizerConfig& opt, const OptimizerState<T>& state, const T* sample_weight) {
  (void)n;
  const std::vector<index_t>& u = net.layer_sizes;
  const int L = static_cast<int>(u.size()) - 1;
  EpochResult result;
  if (L < 1 || n_order <= 0 || net.batch_size < 1) return result;
  const index_t bs = std::min(net.batch_size, n_order);
  const index_t n0 = u[0], k = u[L];
  const bool hidden_identity = net.hidden == Activation::identity;

  // Offsets of each layer's W and b in the flat buffers.
  std::vector<index_t> w_off(L), b_off(L);
  index_t max_width = 0;
  for (index_t off = 0, l = 0; l < L; ++l) {
    w_off[l] = off;
    b_off[l] = off + u[l] * u[l + 1];
    off = b_off[l] + u[l + 1];
    max_width = std::max(max_width, u[l + 1]);
  }
  max_width = std::max(max_width, n0);

  // Work buffers, once per call.
  std::vector<T> xb(static_cast<std::size_t>(bs * n0));
  std::vector<std::int64_t> lb(labels != nullptr ? static_cast<std::size_t>(bs) : 0);
  std::vector<T> yb(labels == nullptr ? static_cast<std::size_t>(bs * k) : 0);
  std::vector<std::vector<T>> z(L), h(L);
  for (int l = 0; l < L; ++l) {
    z[l].resize(static_cast<std::size_t>(bs * u[l + 1]));
    if (l < L - 1 && !hidden_identity) h[l].resize(z[l].size());
  }
  std::vector<T> ga(static_cast<std::size_t>(bs * max_width)), gb(ga.size());
  std::vector<T> wb(sample_weight != nullptr ? static_cast<std::size_t>(bs) : 0);
  const T* wbatch = sample_weight != nullptr ? wb.data() : nullptr;
  auto out_of = [&](int l) -> const T* { return h[l].empty() ? z[l].data() : h[l].data(); };

  double sumsq = 0.0;  // Σ‖W‖² of the current weights (for the L2 term)
  if (net.alpha != 0.0)
    for (int l = 0; l < L; ++l) sumsq += detail::sum_squares(params + w_off[l], u[l] * u[l + 1]);

  for (index_t start = 0; start < n_order; start += bs) {
    const index_t nb = std::min(bs, n_order - start);
    const std::int64_t* rows = order + start;
    // |B|, or the batch's total weight S (a batch with S = 0 is skipped: as if its rows were absent)
    double denom = static_cast<double>(nb);
    if (sample_weight != nullptr) {
      double sw = 0.0;
      for (index_t r = 0; r < nb; ++r) {
        wb[r] = sample_weight[rows[r]];
        sw += static_cast<double>(wb[r]);
      }
      if (!(sw > 0.0)) continue;
      denom = sw;
    }
    // gather the minibatch
    for (index_t r = 0; r < nb; ++r) {
      const index_t src = static_cast<index_t>(rows[r]);
      std::memcpy(xb.data() + r * n0, X + src * n0, static_cast<std::size_t>(n0) * sizeof(T));
      if (labels != nullptr) {
        lb[r] = labels[src];
      } else {
        std::memcpy(yb.data() + r * k, y + src * k, static_cast<std::size_t>(k) * sizeof(T));
      }
    }
    // forward
    const T* in = xb.data();
    for (int l = 0; l < L; ++l) {
      const bool last = l == L - 1;
      linear_forward<T>(nb, u[l], u[l + 1], in, params + w_off[l], params + b_off[l], z[l].data(),
                        h[l].empty() ? nullptr : h[l].data(), last ? Activation::identity : net.hidden);
      in = out_of(l);
    }
    // loss and its gradient with respect to the logits
    const T* logits = z[L - 1].data();
    T* g = ga.data();
    double value;
    switch (net.loss) {
      case Loss::softmax_cross_entropy:
        value = static_cast<double>(static_cast<T>(softmax_cross_entropy<T>(nb, k, logits, lb.data(), g, wbatch)));
        break;
      case Loss::binary_cross_entropy_with_logits:
        value = static_cast<double>(
            static_cast<T>(binary_cross_entropy_with_logits<T>(nb, logits, yb.data(), g, wbatch)));
        break;
      default: {
        value = 0.5 * static_cast<double>(static_cast<T>(mse<T>(nb * k, logits, yb.data(), g, wbatch, nb)));
        const T scale = static_cast<T>(0.5 * static_cast<double>(k));
        for (index_t e = 0; e < nb * k; ++e) g[e] *= scale;
      }
    }
    // the loss with its L2 term (Σ‖W‖² of the current weights, summed when they were last updated)
    if (net.alpha != 0.0) value += 0.5 * net.alpha * sumsq / denom;
    if (!std::isfinite(value)) {
      result.loss_sum = value;
      return result;
    }
    // backward, each layer's update fused into its weight-gradient GEMM
    const std::int64_t t = opt.step + result.steps + 1;
    const bool first = opt.first_step && result.steps == 0;
    const T l2 = static_cast<T>(net.alpha / denom);
    double sumsq_new = 0.0;
    std::mutex mu;
    T* gnext = gb.data();
    for (int l = L - 1; l >= 0; --l) {
      const index_t n_in = u[l], n_out = u[l + 1];
      const T* x_in = l == 0 ? xb.data() : out_of(l - 1);
      const T* W = params + w_off[l];
      T* gbias = grads + b_off[l];
      std::fill(gbias, gbias + n_out, T(0));
      for (index_t i = 0; i < nb; ++i) {
        const T* gi = g + i * n_out;
        for (index_t j = 0; j < n_out; ++j) gbias[j] += gi[j];
      }
      if (l > 0) {
        // grad_z of layer l-1 = (g · Wᵀ) ⊙ act'(z_{l-1}), with the weights before this step:
        // op(B) = Wᵀ has (p, j) at W[j*n_out + p].
        detail::DerivativeCtx<T> ctx{gnext, z[l - 1].data(), h[l - 1].empty() ? nullptr : h[l - 1].data(), n_in,
                                     net.hidden};
        const detail::Epilogue epi{&detail::derivative_epilogue<T>, &ctx};
        detail::gemm_ex<T>(nb, n_in, n_out, g, n_out, 1, W, 1, n_out, gnext, n_in, false,
                           hidden_identity ? nullptr : &epi, false);
      }
      // gW = x_inᵀ · g (op(A) = x_inᵀ has (i, p) at x_in[p*n_in + i]), then L2 + step per block.
      detail::UpdateCtx<T> uctx{params, grads, w_off[l], n_out, l2, net.alpha != 0.0, &opt, &state, t, first,
                                &mu, &sumsq_new};
      const detail::Epilogue upd{&detail::update_epilogue<T>, &uctx};
      detail::gemm_ex<T>(n_in, n_out, nb, x_in, 1, n_in, g, n_out, 1, grads + w_off[l], n_out, false, &upd, false);
      detail::optimizer_step_range<T>(b_off[l], n_out, params, grads, opt, state, t, first);
      if (l > 0) std::swap(g, gnext);
    }
    sumsq = sumsq_new;
    result.steps += 1;
    result.loss_sum += value * static_cast<double>(nb);
  }
  return result;
}

template EpochResult mlp_epoch<float>(const MLPConfig&, index_t, const float*, const std::int64_t*, const float*,
                                      const std::int64_t*, index_t, float*, float*, const OptimizerConfig&,
                                      const OptimizerState<float>&, const float*);
template EpochResult mlp_epoch<double>(const MLPConfig&, index_t, const double*, const std::int64_t*,
                                       const double*, const std::int64_t*, index_t, double*, double*,
                                       const OptimizerConfig&, const OptimizerState<double>&, const double*);

}  // namespace mlbasics

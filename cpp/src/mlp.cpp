// mlp.cpp — one MLP training epoch per call: gather → forward → loss → backward → optimizer step
// for every minibatch, with all work buffers allocated once. The forward pass is linear_forward
// (GEMM with the fused bias + activation epilogue); the backward pass multiplies the activation
// derivative into grad_x inside the GEMM's epilogue, so grad_z of the layer below comes out of
// the product directly, and the weight-gradient GEMM's epilogue finishes each block of the
// gradient (+ the L2 term) and applies the optimizer step to the same block of weights while both
// are still in cache (the steps are elementwise, so a block at a time is the same update), also
// summing the new weights' squares for the next batch's L2 term. grad_x of a layer is computed
// before its weights change. The passes over a minibatch's activations (the derivative, the bias
// sums, the L2 term, the tricks' normalization, activation, dropout and skip) are the row kernels
// of mlp_rows.hpp, compiled per SIMD path; this file stays portable.
#include "mlbasics/mlp.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "cpu_internal.hpp"
#include "gemm_kernels.hpp"
#include "mlbasics/losses.hpp"
#include "mlbasics/optim.hpp"
#include "mlp_rows.hpp"
#include "norms_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {
KernelPathSwitch g_mlp_rows_path;
}  // namespace

#if defined(MLBASICS_HAVE_AVX2_TU)
#define MLB_ROWS_AVX2(SUFFIX) mlp_rows_avx2_##SUFFIX
#else
#define MLB_ROWS_AVX2(SUFFIX) mlp_rows_generic_##SUFFIX
#endif
#if defined(MLBASICS_HAVE_AVX512_TU)
#define MLB_ROWS_AVX512(SUFFIX) mlp_rows_avx512_##SUFFIX
#else
#define MLB_ROWS_AVX512(SUFFIX) MLB_ROWS_AVX2(SUFFIX)
#endif
#define MLB_ROWS_TABLE(T, SUFFIX)                          \
  template <>                                              \
  const MlpRowKernels<T>& mlp_row_kernels<T>() {           \
    switch (g_mlp_rows_path.isa()) {                       \
      case Isa::avx512: return MLB_ROWS_AVX512(SUFFIX);    \
      case Isa::avx2: return MLB_ROWS_AVX2(SUFFIX);        \
      default: return mlp_rows_generic_##SUFFIX;           \
    }                                                      \
  }
MLB_ROWS_TABLE(float, f32)
MLB_ROWS_TABLE(double, f64)
#undef MLB_ROWS_TABLE
#undef MLB_ROWS_AVX512
#undef MLB_ROWS_AVX2

const char* mlp_rows_kernel_path() { return g_mlp_rows_path.name(); }

bool set_mlp_rows_kernel_path(const char* name) { return g_mlp_rows_path.force(name); }

namespace {

// Asks the memory system for the rows of the next minibatch (X's rows order[0..nb)), one request
// per cache line, while this one trains: a minibatch is nb rows at random places in X, and
// gathering them waits on the memory latency of every line (784-256-10, batch 64: about 3,100
// lines per step). Measured (Zen 5, 1 thread, kernel-level epoch): 289 → 285 ms on 784-256-10,
// 416 → 404 ms on 784-256-256-10 — small, and free.
template <class T>
void prefetch_rows(const T* X, index_t n0, const std::int64_t* order, index_t nb) {
#if defined(__GNUC__) || defined(__clang__)
  constexpr index_t kLine = 64 / static_cast<index_t>(sizeof(T));
  for (index_t r = 0; r < nb; ++r) {
    const T* row = X + static_cast<index_t>(order[r]) * n0;
    for (index_t j = 0; j < n0; j += kLine) __builtin_prefetch(row + j, 0, 1);
    __builtin_prefetch(row + n0 - 1, 0, 1);  // the last line, when the row is not line-aligned
  }
#else
  (void)X, (void)n0, (void)order, (void)nb;
#endif
}

// One minibatch, rows[0..nb) of X (and its labels or targets, and weights into wb), copied into
// xb, lb / yb; then the next minibatch's rows (next[0..n_next)) are prefetched. Returns the
// batch's denominator: |B|, or its total weight S — and 0 (nothing gathered) when S is not
// positive: such a batch is skipped, as if its rows were absent.
template <class T>
double gather_batch(index_t nb, index_t n0, index_t k, const T* X, const std::int64_t* labels, const T* y,
                    const T* sample_weight, const std::int64_t* rows, const std::int64_t* next, index_t n_next,
                    T* xb, std::int64_t* lb, T* yb, T* wb) {
  double denom = static_cast<double>(nb);
  if (sample_weight != nullptr) {
    double sw = 0.0;
    for (index_t r = 0; r < nb; ++r) {
      wb[r] = sample_weight[rows[r]];
      sw += static_cast<double>(wb[r]);
    }
    if (!(sw > 0.0)) return 0.0;
    denom = sw;
  }
  for (index_t r = 0; r < nb; ++r) {
    const index_t src = static_cast<index_t>(rows[r]);
    std::memcpy(xb + r * n0, X + src * n0, static_cast<std::size_t>(n0) * sizeof(T));
    if (labels != nullptr) lb[r] = labels[src];
    else std::memcpy(yb + r * k, y + src * k, static_cast<std::size_t>(k) * sizeof(T));
  }
  if (n_next > 0) prefetch_rows(X, n0, next, n_next);
  return denom;
}

// grad_z = grad_h ⊙ act'(·) in place on the rows/columns one GEMM block has just finished.
template <class T>
struct DerivativeCtx {
  T* g;          // grad_h on entry, grad_z on exit (n × ld)
  const T* z;    // relu reads z
  const T* h;    // sigmoid/tanh read h = act(z)
  index_t ld;
  Activation act;
  const MlpRowKernels<T>* rk;
};

template <class T>
void derivative_epilogue(void* ctx, index_t i0, index_t i1, index_t j0, index_t j1) {
  const DerivativeCtx<T>& C = *static_cast<const DerivativeCtx<T>*>(ctx);
  C.rk->derivative(C.act, C.g, C.z, C.h, C.ld, i0, i1, j0, j1);
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
  const MlpRowKernels<T>* rk;
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
    if (C.use_l2) C.rk->add_scaled(cnt, C.l2, C.params + b, C.grads + b);
    optimizer_step_range<T>(b, cnt, C.params, C.grads, *C.opt, *C.state, C.t, C.first);
    if (C.use_l2) s += C.rk->sum_squares(C.params + b, cnt);
  }
  if (C.use_l2) {
    std::lock_guard<std::mutex> lock(*C.mu);
    *C.sumsq += s;
  }
}

// The batch's loss (rounded to T, as the loss kernels return it; without the L2 term) and its
// gradient with respect to the logits (nb × k) into g.
template <class T>
double batch_loss(Loss loss, index_t nb, index_t k, const T* logits, const std::int64_t* lb, const T* yb,
                  const T* wbatch, T* g) {
  switch (loss) {
    case Loss::softmax_cross_entropy:
      return static_cast<double>(static_cast<T>(softmax_cross_entropy<T>(nb, k, logits, lb, g, wbatch)));
    case Loss::binary_cross_entropy_with_logits:
      return static_cast<double>(static_cast<T>(binary_cross_entropy_with_logits<T>(nb, logits, yb, g, wbatch)));
    default: {
      const double value = 0.5 * static_cast<double>(static_cast<T>(mse<T>(nb * k, logits, yb, g, wbatch, nb)));
      const T scale = static_cast<T>(0.5 * static_cast<double>(k));
      for (index_t e = 0; e < nb * k; ++e) g[e] *= scale;
      return value;
    }
  }
}

}  // namespace
}  // namespace detail

namespace detail {
namespace {

// One power-iteration step of spectral normalization on W (n_in × n_out): u ← normalize(Wᵀv),
// v ← normalize(W u) (u, v stored in T), σ = uᵀWᵀv = Σᵢ vᵢ (W u)ᵢ accumulated in double; writes
// Wt = W / T(σ) and returns T(σ). tu (n_out), tv (n_in): double scratch.
template <class T>
T spectral_step(index_t n_in, index_t n_out, const T* W, T* u, T* v, T* Wt, double* tu, double* tv) {
  std::fill(tu, tu + n_out, 0.0);
  for (index_t i = 0; i < n_in; ++i) {
    const double vi = static_cast<double>(v[i]);
    const T* wi = W + i * n_out;
    for (index_t j = 0; j < n_out; ++j) tu[j] += static_cast<double>(wi[j]) * vi;
  }
  double q = 0.0;
  for (index_t j = 0; j < n_out; ++j) q += tu[j] * tu[j];
  double d = std::max(std::sqrt(q), 1e-12);
  for (index_t j = 0; j < n_out; ++j) u[j] = static_cast<T>(tu[j] / d);
  for (index_t i = 0; i < n_in; ++i) {
    const T* wi = W + i * n_out;
    double s = 0.0;
    for (index_t j = 0; j < n_out; ++j) s += static_cast<double>(wi[j]) * static_cast<double>(u[j]);
    tv[i] = s;
  }
  q = 0.0;
  for (index_t i = 0; i < n_in; ++i) q += tv[i] * tv[i];
  d = std::max(std::sqrt(q), 1e-12);
  double sigma = 0.0;
  for (index_t i = 0; i < n_in; ++i) {
    v[i] = static_cast<T>(tv[i] / d);
    sigma += tv[i] * static_cast<double>(v[i]);
  }
  const T st = static_cast<T>(sigma);
  for (index_t e = 0; e < n_in * n_out; ++e) Wt[e] = W[e] / st;
  return st;
}

// The epoch with the tricks of issue #11 (mlp.hpp describes the step).
template <class T>
EpochResult mlp_epoch_tricks(const MLPConfig& net, const T* X, const std::int64_t* labels, const T* y,
                             const std::int64_t* order, index_t n_order, T* params, T* grads,
                             const OptimizerConfig& opt, const OptimizerState<T>& state, const T* sample_weight,
                             const MLPTrickState<T>& ts) {
  const std::vector<index_t>& u = net.layer_sizes;
  const int L = static_cast<int>(u.size()) - 1;
  EpochResult result;
  if (L < 1 || n_order <= 0 || net.batch_size < 1) return result;
  const MLPTricks& tr = net.tricks;
  const int H = L - 1;  // hidden layers
  const bool norm = tr.norm != Norm::none, bn = tr.norm == Norm::batch;
  const bool spectral = tr.spectral && ts.spectral != nullptr;
  const index_t G = tr.norm == Norm::group ? tr.groups : 1;
  const index_t bs = std::min(net.batch_size, n_order);
  const index_t n0 = u[0], k = u[L];
  const Activation act = net.hidden;
  const MlpRowKernels<T>& rk = mlp_row_kernels<T>();

  // Offsets of W, b, γ (β follows) in the flat buffers, of the running statistics and of the
  // spectral vectors; W̃'s offset in its own buffer.
  std::vector<index_t> w_off(L), b_off(L), r_off(L, 0), s_off(L), wt_off(L);
  index_t max_width = n0;
  {
    index_t off = 0, ro = 0, so = 0, wo = 0;
    for (int l = 0; l < L; ++l) {
      w_off[l] = off;
      b_off[l] = off + u[l] * u[l + 1];
      off = b_off[l] + u[l + 1] + (norm && l < H ? 2 * u[l + 1] : 0);
      r_off[l] = ro;
      if (bn && l < H) ro += 2 * u[l + 1];
      s_off[l] = so;
      so += u[l + 1] + u[l];
      wt_off[l] = wo;
      wo += u[l] * u[l + 1];
      max_width = std::max(max_width, u[l + 1]);
    }
  }
  std::vector<T> wt(spectral ? static_cast<std::size_t>(wt_off[L - 1] + u[L - 1] * u[L]) : 0);
  std::vector<T> sigma(static_cast<std::size_t>(L), T(1));

  // Per hidden layer: dropout threshold and scale, residual, and the buffers the backward pass
  // reads: z (GEMM output), a = norm(z) (with normalization), g = act(a) (unless identity),
  // h = the layer's output (with dropout or residual; else h is g), the mask, the statistics.
  std::vector<char> drop(H), res(H);
  std::vector<std::uint32_t> thr(H);
  std::vector<T> scale(H);
  std::vector<std::vector<T>> z(L), a(H), g(H), h(H), st_mean(H), st_inv(H);
  std::vector<std::vector<std::uint8_t>> mask(H);
  for (int l = 0; l < L; ++l) {
    const std::size_t blk = static_cast<std::size_t>(bs * u[l + 1]);
    z[l].resize(blk);
    if (l == L - 1) break;
    const double p = static_cast<std::size_t>(l) < tr.dropout.size() ? tr.dropout[static_cast<std::size_t>(l)] : 0.0;
    drop[l] = p > 0.0;
    thr[l] = keep_threshold(p);
    scale[l] = dropout_scale<T>(p);
    res[l] = tr.residual && u[l] == u[l + 1];
    if (norm) a[l].resize(blk);
    if (act != Activation::identity) g[l].resize(blk);
    if (drop[l] || res[l]) h[l].resize(blk);
    if (drop[l]) mask[l].resize(blk);
    if (norm) {
      const std::size_t ns = bn ? static_cast<std::size_t>(u[l + 1]) : static_cast<std::size_t>(bs * G);
      st_mean[l].resize(ns);
      st_inv[l].resize(ns);
    }
  }
  auto a_of = [&](int l) -> T* { return norm ? a[l].data() : z[l].data(); };
  auto g_of = [&](int l) -> T* { return act == Activation::identity ? a_of(l) : g[l].data(); };
  auto h_of = [&](int l) -> T* { return h[l].empty() ? g_of(l) : h[l].data(); };
  auto w_use = [&](int l) -> const T* { return spectral ? wt.data() + wt_off[l] : params + w_off[l]; };

  std::vector<T> xb(static_cast<std::size_t>(bs * n0));
  std::vector<std::int64_t> lb(labels != nullptr ? static_cast<std::size_t>(bs) : 0);
  std::vector<T> yb(labels == nullptr ? static_cast<std::size_t>(bs * k) : 0);
  std::vector<T> gz(static_cast<std::size_t>(bs * max_width)), ghA(gz.size()), ghB(gz.size());
  std::vector<T> wb(sample_weight != nullptr ? static_cast<std::size_t>(bs) : 0);
  const T* wbatch = sample_weight != nullptr ? wb.data() : nullptr;
  std::vector<double> d1(static_cast<std::size_t>(max_width)), d2(d1.size()), d3(d1.size());

  double sumsq = 0.0;  // Σ‖W‖² of the current raw weights (for the L2 term)
  if (net.alpha != 0.0)
    for (int l = 0; l < L; ++l) sumsq += rk.sum_squares(params + w_off[l], u[l] * u[l + 1]);

  for (index_t start = 0; start < n_order; start += bs) {
    const index_t nb = std::min(bs, n_order - start);
    if (bn && nb < 2) continue;  // batch norm never trains on one row
    const index_t n_next = std::max<index_t>(0, std::min(bs, n_order - start - bs));
    const double denom = gather_batch(nb, n0, k, X, labels, y, sample_weight, order + start,
                                      n_next > 0 ? order + start + bs : nullptr, n_next, xb.data(), lb.data(),
                                      yb.data(), wb.data());
    if (denom == 0.0) continue;
    const std::int64_t t = opt.step + result.steps + 1;  // this step's update number: the dropout stream
    const std::uint64_t stream = static_cast<std::uint64_t>(t);

    // 0. spectral normalization: one power-iteration step per layer, W̃ = W / σ
    if (spectral)
      for (int l = 0; l < L; ++l) {
        T* uv = ts.spectral + s_off[l];
        sigma[l] = spectral_step<T>(u[l], u[l + 1], params + w_off[l], uv, uv + u[l + 1], wt.data() + wt_off[l],
                                    d1.data(), d2.data());
      }

    // 1. forward: the GEMM (+ bias) per layer, then one pass over each hidden block: normalization,
    // activation, dropout and the residual add, row by row while the row is in L1.
    const T* in = xb.data();
    for (int l = 0; l < L; ++l) {
      const index_t n_in = u[l], n_out = u[l + 1];
      T* zl = z[l].data();
      linear_forward<T>(nb, n_in, n_out, in, w_use(l), params + b_off[l], zl, nullptr, Activation::identity);
      if (l == L - 1) break;
      const T* gamma = norm ? params + b_off[l] + n_out : nullptr;
      const T* beta = norm ? gamma + n_out : nullptr;
      double* mu = d1.data();
      double* inv = d2.data();
      if (bn) {
        rk.bn_stats(nb, n_out, zl, tr.eps, tr.momentum, ts.running != nullptr ? ts.running + r_off[l] : nullptr, mu,
                    d3.data(), inv, st_mean[l].data(), st_inv[l].data());
      } else if (norm) {  // group (or layer) norm: per-row statistics, in portable code
        for (index_t i = 0; i < nb; ++i) {
          const index_t o = i * n_out;
          group_stats_row<T>(n_out, G, zl + o, tr.eps, mu, inv);
          for (index_t q = 0; q < G; ++q) {
            st_mean[l][i * G + q] = static_cast<T>(mu[q]);
            st_inv[l][i * G + q] = static_cast<T>(inv[q]);
          }
          group_normalize_row<T>(n_out, G, zl + o, mu, inv, gamma, beta, a[l].data() + o);
        }
      }
      // activation, dropout and the skip, row by row (and batch norm's normalization first)
      const HiddenForward<T> fw{nb, n_out, bn || !norm ? zl : a[l].data(), norm ? a[l].data() : nullptr,
                                bn ? mu : nullptr, bn ? inv : nullptr, gamma, beta, act,
                                act != Activation::identity ? g[l].data() : nullptr, drop[l] != 0, tr.seed,
                                static_cast<std::uint64_t>(l) << 40, stream, thr[l], scale[l],
                                drop[l] ? mask[l].data() : nullptr, res[l] ? in : nullptr,
                                h[l].empty() ? nullptr : h[l].data()};
      rk.forward(fw);
      in = h_of(l);
    }

    // 2. loss (+ the L2 term on the raw weights)
    double value = batch_loss<T>(net.loss, nb, k, z[L - 1].data(), lb.data(), yb.data(), wbatch, gz.data());
    if (net.alpha != 0.0) value += 0.5 * net.alpha * sumsq / denom;
    if (!std::isfinite(value)) {
      result.loss_sum = value;
      return result;
    }

    // 3. + 4. backward, each layer's update as its gradient is complete
    const bool first = opt.first_step && result.steps == 0;
    const T l2 = static_cast<T>(net.alpha / denom);
    const bool use_l2 = net.alpha != 0.0;
    double sumsq_new = 0.0;
    std::mutex mu_lock;
    T* gh_cur = nullptr;  // ∂L/∂(output of the layer being processed), hidden layers only
    for (int l = L - 1; l >= 0; --l) {
      const index_t n_in = u[l], n_out = u[l + 1];
      const T* x_in = l == 0 ? xb.data() : h_of(l - 1);
      rk.col_sums(nb, n_out, gz.data(), grads + b_off[l]);
      // ∂L/∂h_in = gz · W̃ᵀ (+ ∂L/∂h_out through the skip), before W changes. With the skip the
      // product is accumulated into ∂L/∂h_out itself (its last use: gz came from it).
      T* gh_in = nullptr;
      if (l > 0) {
        const bool skip = l < L - 1 && res[l];
        gh_in = skip ? gh_cur : (gh_cur == ghA.data() ? ghB.data() : ghA.data());
        gemm_ex<T>(nb, n_in, n_out, gz.data(), n_out, 1, w_use(l), 1, n_out, gh_in, n_in, skip, nullptr, false);
      }
      T* gw = grads + w_off[l];
      T* W = params + w_off[l];
      if (!spectral) {
        UpdateCtx<T> uctx{params, grads, w_off[l], n_out, l2, use_l2, &opt, &state, t, first, &mu_lock, &sumsq_new,
                          &rk};
        const Epilogue upd{&update_epilogue<T>, &uctx};
        gemm_ex<T>(n_in, n_out, nb, x_in, 1, n_in, gz.data(), n_out, 1, gw, n_out, false, &upd, false);
      } else {
        // G = x_inᵀ·gz is the gradient of W̃; the raw weight's is G/σ − (⟨G, W⟩/σ²)·v uᵀ
        gemm_ex<T>(n_in, n_out, nb, x_in, 1, n_in, gz.data(), n_out, 1, gw, n_out, false, nullptr, false);
        const index_t cnt = n_in * n_out;
        double dot = 0.0;
        for (index_t e = 0; e < cnt; ++e) dot += static_cast<double>(gw[e]) * static_cast<double>(W[e]);
        const double sg = static_cast<double>(sigma[l]);
        const double c = dot / (sg * sg);
        const T* uu = ts.spectral + s_off[l];
        const T* vv = uu + n_out;
        const T st = sigma[l];
        for (index_t i = 0; i < n_in; ++i) {
          const double vi = static_cast<double>(vv[i]);
          T* gi = gw + i * n_out;
          for (index_t j = 0; j < n_out; ++j)  // (G/σ in T) − c·(v uᵀ), as the reference rounds it
            gi[j] = static_cast<T>(static_cast<double>(gi[j] / st) - c * (vi * static_cast<double>(uu[j])));
          if (use_l2) {
            const T* wi = W + i * n_out;
            for (index_t j = 0; j < n_out; ++j) gi[j] += l2 * wi[j];
          }
        }
        optimizer_step_range<T>(w_off[l], cnt, params, grads, opt, state, t, first);
        if (use_l2) sumsq_new += rk.sum_squares(W, cnt);
      }
      // bias (and γ, β of a normalized hidden layer, whose gradients are already in grads)
      optimizer_step_range<T>(b_off[l], norm && l < H ? 3 * n_out : n_out, params, grads, opt, state, t, first);
      if (l == 0) break;

      // gz of hidden layer l − 1 from ∂L/∂h: dropout, activation, normalization backward (batch
      // norm's column sums taken row by row as the rows come out, while they are in L1)
      const int lh = l - 1;
      const index_t w = n_in;
      const HiddenBackward<T> bw{nb, w, gh_in, gz.data(), drop[lh] != 0, drop[lh] ? mask[lh].data() : nullptr,
                                 scale[lh], act, a_of(lh), act == Activation::identity ? nullptr : g_of(lh),
                                 bn ? z[lh].data() : nullptr, st_mean[lh].data(), st_inv[lh].data(), d1.data(),
                                 d2.data()};
      rk.backward(bw);
      if (norm) {
        const T* gamma = params + b_off[lh] + w;  // not yet stepped: layer lh's update comes next
        T* ggam = grads + b_off[lh] + w;
        T* gbet = ggam + w;
        if (bn) {
          rk.bn_apply(nb, w, gz.data(), z[lh].data(), gamma, st_mean[lh].data(), st_inv[lh].data(), gz.data(),
                      d1.data(), d2.data());
          for (index_t j = 0; j < w; ++j) {
            ggam[j] = static_cast<T>(d2[j]);
            gbet[j] = static_cast<T>(d1[j]);
          }
        } else {
          group_norm_param_grads_cols<T>(nb, w, G, 0, w, gz.data(), z[lh].data(), st_mean[lh].data(),
                                         st_inv[lh].data(), d2.data(), d1.data());
          for (index_t j = 0; j < w; ++j) {
            ggam[j] = static_cast<T>(d2[j]);
            gbet[j] = static_cast<T>(d1[j]);
          }
          for (index_t i = 0; i < nb; ++i)
            group_norm_backward_row<T>(w, G, gz.data() + i * w, z[lh].data() + i * w, gamma,
                                       st_mean[lh].data() + i * G, st_inv[lh].data() + i * G, gz.data() + i * w);
        }
      }
      gh_cur = gh_in;
    }
    sumsq = sumsq_new;
    result.steps += 1;
    result.loss_sum += value * static_cast<double>(nb);
  }
  return result;
}

}  // namespace
}  // namespace detail

index_t mlp_num_params(const std::vector<index_t>& u, bool normalization) {
  index_t total = 0;
  for (std::size_t l = 0; l + 1 < u.size(); ++l) total += (u[l] + 1) * u[l + 1];
  if (normalization)
    for (std::size_t l = 1; l + 1 < u.size(); ++l) total += 2 * u[l];
  return total;
}

template <class T>
EpochResult mlp_epoch(const MLPConfig& net, index_t n, const T* X, const std::int64_t* labels, const T* y,
                      const std::int64_t* order, index_t n_order, T* params, T* grads,
                      const OptimizerConfig& opt, const OptimizerState<T>& state, const T* sample_weight,
                      const MLPTrickState<T>& trick_state) {
  (void)n;
  if (net.tricks.any())
    return detail::mlp_epoch_tricks<T>(net, X, labels, y, order, n_order, params, grads, opt, state, sample_weight,
                                       trick_state);
  const std::vector<index_t>& u = net.layer_sizes;
  const int L = static_cast<int>(u.size()) - 1;
  EpochResult result;
  if (L < 1 || n_order <= 0 || net.batch_size < 1) return result;
  const index_t bs = std::min(net.batch_size, n_order);
  const index_t n0 = u[0], k = u[L];
  const bool hidden_identity = net.hidden == Activation::identity;
  const detail::MlpRowKernels<T>& rk = detail::mlp_row_kernels<T>();

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
    for (int l = 0; l < L; ++l) sumsq += rk.sum_squares(params + w_off[l], u[l] * u[l + 1]);

  for (index_t start = 0; start < n_order; start += bs) {
    const index_t nb = std::min(bs, n_order - start);
    // gather the minibatch (and ask for the next one's rows); a batch of zero total weight is skipped
    const index_t n_next = std::max<index_t>(0, std::min(bs, n_order - start - bs));
    const double denom = detail::gather_batch(nb, n0, k, X, labels, y, sample_weight, order + start,
                                              n_next > 0 ? order + start + bs : nullptr, n_next, xb.data(),
                                              lb.data(), yb.data(), wb.data());
    if (denom == 0.0) continue;
    // forward
    const T* in = xb.data();
    for (int l = 0; l < L; ++l) {
      const bool last = l == L - 1;
      linear_forward<T>(nb, u[l], u[l + 1], in, params + w_off[l], params + b_off[l], z[l].data(),
                        h[l].empty() ? nullptr : h[l].data(), last ? Activation::identity : net.hidden);
      in = out_of(l);
    }
    // loss and its gradient with respect to the logits
    T* g = ga.data();
    double value = detail::batch_loss<T>(net.loss, nb, k, z[L - 1].data(), lb.data(), yb.data(), wbatch, g);
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
      rk.col_sums(nb, n_out, g, grads + b_off[l]);
      if (l > 0) {
        // grad_z of layer l-1 = (g · Wᵀ) ⊙ act'(z_{l-1}), with the weights before this step:
        // op(B) = Wᵀ has (p, j) at W[j*n_out + p].
        detail::DerivativeCtx<T> ctx{gnext, z[l - 1].data(), h[l - 1].empty() ? nullptr : h[l - 1].data(), n_in,
                                     net.hidden, &rk};
        const detail::Epilogue epi{&detail::derivative_epilogue<T>, &ctx};
        detail::gemm_ex<T>(nb, n_in, n_out, g, n_out, 1, W, 1, n_out, gnext, n_in, false,
                           hidden_identity ? nullptr : &epi, false);
      }
      // gW = x_inᵀ · g (op(A) = x_inᵀ has (i, p) at x_in[p*n_in + i]), then L2 + step per block.
      detail::UpdateCtx<T> uctx{params, grads, w_off[l], n_out, l2, net.alpha != 0.0, &opt, &state, t, first,
                                &mu, &sumsq_new, &rk};
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
                                      const OptimizerState<float>&, const float*,
                                      const MLPTrickState<float>&);
template EpochResult mlp_epoch<double>(const MLPConfig&, index_t, const double*, const std::int64_t*,
                                       const double*, const std::int64_t*, index_t, double*, double*,
                                       const OptimizerConfig&, const OptimizerState<double>&, const double*,
                                       const MLPTrickState<double>&);

}  // namespace mlbasics

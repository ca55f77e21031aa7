// register_mlp.cpp — bindings for mlbasics/mlp.hpp.
//
// mlp_epoch(X, targets, order, params, grads, state, layer_sizes, activation, loss, alpha,
//           batch_size, optimizer, hyper, step, first_step) -> (loss_sum, steps)
// Every array is checked (dtype, ndim, shape, contiguity, writability, overlaps, index and label
// ranges) before the GIL is released; state and hyper are dicts keyed by the names of
// mlbasics::OptimizerState / OptimizerConfig.
#include <pybind11/stl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "mlbasics/mlp.hpp"

namespace py = pybind11;
using namespace mlbasics_py;

namespace {

double hyper_value(const py::dict& hyper, const char* key) {
  if (!hyper.contains(key)) value_error(std::string("hyper: missing '") + key + "'");
  return hyper[key].cast<double>();
}

bool hyper_flag(const py::dict& hyper, const char* key) {
  if (!hyper.contains(key)) value_error(std::string("hyper: missing '") + key + "'");
  return hyper[key].cast<bool>();
}

mlbasics::OptimizerConfig optimizer_config(const std::string& kind, const py::dict& h, std::int64_t step,
                                           bool first_step) {
  using K = mlbasics::OptimizerKind;
  mlbasics::OptimizerConfig o;
  o.step = step;
  o.first_step = first_step;
  if (kind == "sgd") {
    o.kind = K::sgd;
    o.lr = hyper_value(h, "lr");
    o.momentum = hyper_value(h, "momentum");
    o.dampening = hyper_value(h, "dampening");
    o.weight_decay = hyper_value(h, "weight_decay");
    o.nesterov = hyper_flag(h, "nesterov");
  } else if (kind == "adam") {
    o.kind = K::adam;
    o.lr = hyper_value(h, "lr");
    o.beta1 = hyper_value(h, "beta1");
    o.beta2 = hyper_value(h, "beta2");
    o.eps = hyper_value(h, "eps");
    o.weight_decay = hyper_value(h, "weight_decay");
    o.decoupled_weight_decay = hyper_flag(h, "decoupled_weight_decay");
  } else if (kind == "rmsprop") {
    o.kind = K::rmsprop;
    o.lr = hyper_value(h, "lr");
    o.alpha = hyper_value(h, "alpha");
    o.eps = hyper_value(h, "eps");
    o.weight_decay = hyper_value(h, "weight_decay");
    o.momentum = hyper_value(h, "momentum");
    o.centered = hyper_flag(h, "centered");
  } else if (kind == "adagrad") {
    o.kind = K::adagrad;
    o.lr = hyper_value(h, "lr");
    o.lr_decay = hyper_value(h, "lr_decay");
    o.weight_decay = hyper_value(h, "weight_decay");
    o.eps = hyper_value(h, "eps");
  } else if (kind == "adadelta") {
    o.kind = K::adadelta;
    o.lr = hyper_value(h, "lr");
    o.rho = hyper_value(h, "rho");
    o.eps = hyper_value(h, "eps");
    o.weight_decay = hyper_value(h, "weight_decay");
  } else if (kind == "rprop") {
    o.kind = K::rprop;
    o.etaminus = hyper_value(h, "etaminus");
    o.etaplus = hyper_value(h, "etaplus");
    o.step_size_min = hyper_value(h, "step_size_min");
    o.step_size_max = hyper_value(h, "step_size_max");
  } else {
    value_error("optimizer: expected sgd, adam, rmsprop, adagrad, adadelta or rprop, got '" + kind + "'");
  }
  return o;
}

// The state arrays this configuration reads and writes (name, whether required).
std::vector<std::pair<const char*, bool>> state_slots(const mlbasics::OptimizerConfig& o) {
  using K = mlbasics::OptimizerKind;
  switch (o.kind) {
    case K::sgd: return {{"momentum_buffer", o.momentum != 0.0}};
    case K::adam: return {{"exp_avg", true}, {"exp_avg_sq", true}};
    case K::rmsprop: return {{"square_avg", true}, {"momentum_buffer", o.momentum > 0.0}, {"grad_avg", o.centered}};
    case K::adagrad: return {{"sum", true}};
    case K::adadelta: return {{"square_avg", true}, {"acc_delta", true}};
    case K::rprop: return {{"prev", true}, {"step_size", true}};
  }
  return {};
}

template <class T>
T*& state_field(mlbasics::OptimizerState<T>& s, const std::string& name) {
  if (name == "momentum_buffer") return s.momentum_buffer;
  if (name == "exp_avg") return s.exp_avg;
  if (name == "exp_avg_sq") return s.exp_avg_sq;
  if (name == "square_avg") return s.square_avg;
  if (name == "grad_avg") return s.grad_avg;
  if (name == "sum") return s.sum;
  if (name == "acc_delta") return s.acc_delta;
  if (name == "prev") return s.prev;
  return s.step_size;
}

template <class T>
py::tuple mlp_epoch(const py::object& X_, const py::object& targets_, const py::object& order_, const py::object& params_,
                    const py::object& grads_, const py::dict& state_, const std::vector<std::int64_t>& sizes,
                    int act_code, int loss_code, double alpha, std::int64_t batch_size, const std::string& optimizer,
                    const py::dict& hyper, std::int64_t step, bool first_step) {
  using mlbasics::index_t;
  if (act_code < 0 || act_code > 3) value_error("activation: expected a code in 0..3, got " + std::to_string(act_code));
  if (loss_code < 0 || loss_code > 2) value_error("loss: expected a code in 0..2, got " + std::to_string(loss_code));
  if (sizes.size() < 2) value_error("layer_sizes: expected at least 2 sizes");
  for (auto s : sizes)
    if (s < 1) value_error("layer_sizes: every size must be >= 1, got " + std::to_string(s));
  if (batch_size < 1) value_error("batch_size: expected an integer >= 1, got " + std::to_string(batch_size));
  if (step < 0) value_error("step: expected an integer >= 0, got " + std::to_string(step));
  if (!(alpha >= 0.0)) value_error("alpha: expected a value >= 0");
  // The epoch allocates Σ (n_in + 1)·n_out parameters' worth of scratch and batch × widest-layer
  // activation buffers: their sizes must not wrap around, or the kernel would index past them.
  std::int64_t n_params = 0, widest = 0, layer = 0;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l)
    if (__builtin_add_overflow(sizes[l], std::int64_t{1}, &layer) ||
        __builtin_mul_overflow(layer, sizes[l + 1], &layer) || __builtin_add_overflow(n_params, layer, &n_params))
      value_error("layer_sizes: the network's parameter count overflows a 64-bit integer");
  for (auto s : sizes) widest = std::max(widest, s);

  mlbasics::MLPConfig net;
  net.layer_sizes.assign(sizes.begin(), sizes.end());
  net.hidden = static_cast<mlbasics::Activation>(act_code);
  net.loss = static_cast<mlbasics::Loss>(loss_code);
  net.alpha = alpha;
  net.batch_size = batch_size;
  const index_t k = net.layer_sizes.back();
  const index_t P = mlbasics::mlp_num_params(net.layer_sizes);

  const View<T> X = view<T>(X_, "X", 2, true, false);
  const index_t n = X.rows;
  if (X.cols != net.layer_sizes[0]) value_error("layer_sizes: layer_sizes[0] does not match X's columns");

  View<T> yv;
  const std::int64_t* labels = nullptr;
  View<std::int64_t> lv;
  if (net.loss == mlbasics::Loss::softmax_cross_entropy) {
    lv = view<std::int64_t>(targets_, "targets", 1, true, false);
    check_len("targets", lv.rows, n);
    for (index_t i = 0; i < n; ++i)
      if (lv.data[i] < 0 || lv.data[i] >= k) value_error("targets: labels must be in [0, n_outputs)");
    labels = lv.data;
  } else if (net.loss == mlbasics::Loss::binary_cross_entropy_with_logits) {
    if (k != 1) value_error("layer_sizes: binary_cross_entropy_with_logits needs 1 output");
    yv = view<T>(targets_, "targets", 1, true, false);
    check_len("targets", yv.rows, n);
  } else {
    yv = view<T>(targets_, "targets", 2, true, false);
    check_shape("targets", yv.rows, yv.cols, n, k);
  }

  const View<std::int64_t> order = view<std::int64_t>(order_, "order", 1, true, false);
  for (index_t i = 0; i < order.rows; ++i)
    if (order.data[i] < 0 || order.data[i] >= n) value_error("order: row indices must be in [0, n)");
  std::int64_t buffer = 0;
  if (__builtin_mul_overflow(std::min<std::int64_t>(batch_size, std::max<std::int64_t>(order.rows, 1)), widest,
                             &buffer))
    value_error("batch_size: batch_size × the widest layer overflows a 64-bit integer");

  const View<T> params = view<T>(params_, "params", 1, true, true);
  check_len("params", params.rows, P);
  const View<T> grads = view<T>(grads_, "grads", 1, true, true);
  check_len("grads", grads.rows, P);

  const mlbasics::OptimizerConfig opt = optimizer_config(optimizer, hyper, step, first_step);
  mlbasics::OptimizerState<T> state;
  std::vector<std::pair<View<T>, std::string>> written = {{params, "params"}, {grads, "grads"}};
  for (auto [name, needed] : state_slots(opt)) {
    if (!needed) continue;
    const std::string label = std::string("state['") + name + "']";
    if (!state_.contains(name) || state_[name].is_none()) value_error(label + ": required, got None");
    const py::object obj = state_[py::str(name)];
    const View<T> s = view<T>(obj, label.c_str(), 1, true, true);
    check_len(label.c_str(), s.rows, P);
    state_field(state, name) = s.data;
    written.push_back({s, label});
  }
  // Written arrays overlap neither the inputs nor each other.
  for (std::size_t i = 0; i < written.size(); ++i) {
    const auto& [w, wname] = written[i];
    check_no_overlap(w, wname.c_str(), X, "X");
    check_no_overlap(w, wname.c_str(), order, "order");
    if (labels != nullptr) check_no_overlap(w, wname.c_str(), lv, "targets");
    else check_no_overlap(w, wname.c_str(), yv, "targets");
    for (std::size_t j = i + 1; j < written.size(); ++j)
      check_no_overlap(w, wname.c_str(), written[j].first, written[j].second.c_str());
  }

  mlbasics::EpochResult r;
  {
    py::gil_scoped_release nogil;
    r = mlbasics::mlp_epoch<T>(net, n, X.data, labels, labels != nullptr ? nullptr : yv.data, order.data,
                               order.rows, params.data, grads.data, opt, state);
  }
  return py::make_tuple(r.loss_sum, r.steps);
}

}  // namespace

void register_mlp(py::module_& m) {
  m.def("mlp_epoch", [](const py::object& X, const py::object& targets, const py::object& order, const py::object& params,
                        const py::object& grads, const py::dict& state, const std::vector<std::int64_t>& layer_sizes,
                        int activation, int loss, double alpha, std::int64_t batch_size, const std::string& optimizer,
                        const py::dict& hyper, std::int64_t step, bool first_step) {
    return dispatch_float(params, "params", [&](auto t) {
      return mlp_epoch<decltype(t)>(X, targets, order, params, grads, state, layer_sizes, activation, loss, alpha,
                                    batch_size, optimizer, hyper, step, first_step);
    });
  }, py::arg("X"), py::arg("targets"), py::arg("order"), py::arg("params"), py::arg("grads"), py::arg("state"),
  py::arg("layer_sizes"), py::arg("activation"), py::arg("loss"), py::arg("alpha"), py::arg("batch_size"),
  py::arg("optimizer"), py::arg("hyper"), py::arg("step"), py::arg("first_step"),
  "One MLP training epoch (see mlbasics/mlp.hpp); returns (loss_sum, steps).");
}

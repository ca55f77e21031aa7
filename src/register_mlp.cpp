// register_mlp.cpp — bindings for mlbasics/mlp.hpp.
//
// mlp_epoch(X, targets, order, params, grads, state, layer_sizes, activation, loss, alpha,
//           batch_size, optimizer, hyper, step, first_step[, sample_weight[, tricks]]) -> (loss_sum, steps)
// Every array is checked (dtype, ndim, shape, contiguity, writability, overlaps, index and label
// ranges) before the GIL is released; state and hyper are dicts keyed by the names of
// mlbasics::OptimizerState / OptimizerConfig.
#include <pybind11/stl.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "mlbasics/mlp.hpp"

namespace py = pybind11;
using namespace mlbasics_py;

namespace {

using mlbasics::OptimizerKindInfo;

// "a, b and c" from the names of a table's entries.
template <class Range, class Name>
std::string name_list(const Range& items, Name name) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + std::string(name(item));
  return out;
}

const OptimizerKindInfo& optimizer_kind(const std::string& name) {
  for (const OptimizerKindInfo& k : mlbasics::kOptimizerKinds)
    if (name == k.name) return k;
  value_error("optimizer: expected one of " +
              name_list(mlbasics::kOptimizerKinds, [](const OptimizerKindInfo& k) { return k.name; }) +
              ", got '" + name + "'");
}

std::string key_of(const py::handle& key, const char* dict) {
  if (!py::isinstance<py::str>(key))
    type_error(std::string(dict) + ": expected str keys, got " +
               py::str(py::type::handle_of(key).attr("__name__")).cast<std::string>());
  return key.cast<std::string>();
}

// hyper → OptimizerConfig by walking the kind's fields: every key must be one of them, and every
// one of them must be given.
mlbasics::OptimizerConfig read_hyper(const OptimizerKindInfo& kind, const py::dict& hyper) {
  const auto field_name = [](mlbasics::ConfigField f) { return mlbasics::field_info(f).name; };
  for (const auto& item : hyper) {
    const std::string key = key_of(item.first, "hyper");
    bool known = false;
    for (mlbasics::ConfigField f : kind.hyper) known = known || key == field_name(f);
    if (!known)
      value_error("hyper: unknown key '" + key + "' for '" + kind.name + "'; expected " +
                  name_list(kind.hyper, field_name));
  }
  mlbasics::OptimizerConfig o;
  o.kind = kind.kind;
  for (mlbasics::ConfigField f : kind.hyper) {
    const mlbasics::ConfigFieldInfo& info = mlbasics::field_info(f);
    if (!hyper.contains(info.name)) value_error(std::string("hyper: missing '") + info.name + "'");
    const py::object value = hyper[py::str(info.name)];
    try {
      if (info.real != nullptr) o.*info.real = value.cast<double>();
      else o.*info.flag = value.cast<bool>();
    } catch (const py::cast_error&) {
      type_error(std::string("hyper['") + info.name + "']: expected " + (info.real != nullptr ? "a number" : "a bool") +
                 ", got " + py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>());
    }
  }
  return o;
}

// state → OptimizerState<T> by walking the kind's slots: each slot the configuration needs is a
// writable, contiguous array of P elements of T; any other key must be a slot name whose value is
// None. The arrays are appended to `written` for the overlap checks.
template <class T>
mlbasics::OptimizerState<T> read_state(const OptimizerKindInfo& kind, const mlbasics::OptimizerConfig& o,
                                       const py::dict& state, mlbasics::index_t P,
                                       std::vector<std::pair<View<T>, std::string>>& written) {
  const auto uses = [&](const std::string& name) {
    for (const mlbasics::StateUse& u : kind.state)
      if (name == mlbasics::slot_name(u.slot)) return u.needed(o);
    return false;
  };
  const auto all_slots = name_list(mlbasics::kStateSlotNames, [](const char* n) { return n; });
  for (const auto& item : state) {
    const std::string key = key_of(item.first, "state");
    if (std::none_of(std::begin(mlbasics::kStateSlotNames), std::end(mlbasics::kStateSlotNames),
                     [&](const char* n) { return key == n; }))
      value_error("state: unknown key '" + key + "'; expected some of " + all_slots);
    if (!uses(key) && !item.second.is_none())
      value_error("state['" + key + "']: not used by '" + kind.name + "' with these hyper-parameters; expected None");
  }
  mlbasics::OptimizerState<T> s;
  for (const mlbasics::StateUse& u : kind.state) {
    if (!u.needed(o)) continue;
    const char* name = mlbasics::slot_name(u.slot);
    const std::string label = std::string("state['") + name + "']";
    if (!state.contains(name) || state[name].is_none()) value_error(label + ": required, got None");
    const py::object obj = state[py::str(name)];
    const View<T> v = view<T>(obj, label.c_str(), 1, true, true);
    check_len(label.c_str(), v.rows, P);
    mlbasics::slot_of(s, u.slot) = v.data;
    written.push_back({v, label});
  }
  return s;
}

// {kind: {"hyper": [field names], "state": [slot names]}} in table order.
py::dict optimizer_schema() {
  py::dict out;
  for (const OptimizerKindInfo& k : mlbasics::kOptimizerKinds) {
    py::list hyper, state;
    for (mlbasics::ConfigField f : k.hyper) hyper.append(mlbasics::field_info(f).name);
    for (const mlbasics::StateUse& u : k.state) state.append(mlbasics::slot_name(u.slot));
    py::dict entry;
    entry["hyper"] = hyper;
    entry["state"] = state;
    out[k.name] = entry;
  }
  return out;
}

// The `tricks` dict (issue #11) → MLPTricks + the in-place arrays. Exactly the keys dropout, seed,
// norm, groups, momentum, eps, running, residual, spectral; each checked (ranges, group sizes
// dividing every hidden width, the arrays' dtype, length, contiguity and writability).
template <class T>
mlbasics::MLPTrickState<T> read_tricks(const py::dict& d, mlbasics::MLPConfig& net,
                                       std::vector<std::pair<View<T>, std::string>>& written) {
  static const char* const keys[] = {"dropout", "seed", "norm", "groups", "momentum", "eps", "running", "residual",
                                     "spectral"};
  for (const auto& item : d) {
    const std::string key = key_of(item.first, "tricks");
    if (std::none_of(std::begin(keys), std::end(keys), [&](const char* k) { return key == k; }))
      value_error("tricks: unknown key '" + key + "'; expected dropout, seed, norm, groups, momentum, eps, running, "
                  "residual and spectral");
  }
  for (const char* k : keys)
    if (!d.contains(k)) value_error(std::string("tricks: missing '") + k + "'");
  const auto get = [&](const char* k) { return py::object(d[py::str(k)]); };
  const auto number = [&](const char* k) {
    const py::object v = get(k);
    if (py::isinstance<py::bool_>(v) || !(py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v)))
      type_error(std::string("tricks['") + k + "']: expected a number, got " +
                 py::str(py::type::handle_of(v).attr("__name__")).cast<std::string>());
    return v.cast<double>();
  };
  const auto flag = [&](const char* k) {
    const py::object v = get(k);
    if (!py::isinstance<py::bool_>(v))
      type_error(std::string("tricks['") + k + "']: expected a bool, got " +
                 py::str(py::type::handle_of(v).attr("__name__")).cast<std::string>());
    return v.cast<bool>();
  };
  const auto& u = net.layer_sizes;
  const std::size_t H = u.size() - 2;
  mlbasics::MLPTricks& tr = net.tricks;
  const py::object drop = get("dropout");
  if (!py::isinstance<py::tuple>(drop) && !py::isinstance<py::list>(drop))
    type_error("tricks['dropout']: expected a tuple of " + std::to_string(H) + " floats (one per hidden layer)");
  const py::sequence ps = py::reinterpret_borrow<py::sequence>(drop);
  if (ps.size() != H)
    value_error("tricks['dropout']: expected " + std::to_string(H) + " values (one per hidden layer), got " +
                std::to_string(ps.size()));
  for (const auto& item : ps) {
    if (py::isinstance<py::bool_>(item) || !(py::isinstance<py::float_>(item) || py::isinstance<py::int_>(item)))
      type_error("tricks['dropout']: expected floats");
    const double p = item.cast<double>();
    if (!(p >= 0.0 && p < 1.0)) value_error("tricks['dropout']: every p must be in [0, 1), got " + std::to_string(p));
    tr.dropout.push_back(p);
  }
  tr.seed = u64_arg(get("seed"), "tricks['seed']");
  const py::object nk = get("norm");
  if (py::isinstance<py::bool_>(nk) || !py::isinstance<py::int_>(nk)) type_error("tricks['norm']: expected an int 0, 1 or 2");
  const long long norm = nk.cast<long long>();
  if (norm < 0 || norm > 2) value_error("tricks['norm']: expected 0 (none), 1 (batch) or 2 (group), got " + std::to_string(norm));
  tr.norm = static_cast<mlbasics::Norm>(norm);
  const py::object gk = get("groups");
  if (py::isinstance<py::bool_>(gk) || !py::isinstance<py::int_>(gk)) type_error("tricks['groups']: expected an int");
  const long long groups = gk.cast<long long>();
  if (tr.norm == mlbasics::Norm::group) {
    if (groups < 1) value_error("tricks['groups']: expected an int >= 1, got " + std::to_string(groups));
    for (std::size_t l = 1; l + 1 < u.size(); ++l)
      if (u[l] % groups != 0)
        value_error("tricks['groups']: " + std::to_string(groups) + " does not divide the hidden width " +
                    std::to_string(u[l]));
    tr.groups = static_cast<mlbasics::index_t>(groups);
  }
  tr.momentum = number("momentum");
  if (!(tr.momentum >= 0.0 && tr.momentum <= 1.0))
    value_error("tricks['momentum']: expected a value in [0, 1], got " + std::to_string(tr.momentum));
  tr.eps = number("eps");
  if (!(tr.eps >= 0.0 && tr.eps <= std::numeric_limits<double>::max()))
    value_error("tricks['eps']: expected a finite value >= 0, got " + std::to_string(tr.eps));
  tr.residual = flag("residual");

  mlbasics::MLPTrickState<T> ts;
  std::int64_t hidden = 0, vectors = 0;
  for (std::size_t l = 1; l + 1 < u.size(); ++l) hidden += u[l];
  for (std::size_t l = 0; l + 1 < u.size(); ++l) vectors += u[l] + u[l + 1];
  const py::object running = get("running");
  if (tr.norm == mlbasics::Norm::batch) {
    if (running.is_none()) value_error("tricks['running']: required with batch norm, got None");
    const View<T> v = view<T>(running, "tricks['running']", 1, true, true);
    check_len("tricks['running']", v.rows, 2 * hidden);
    ts.running = v.data;
    written.push_back({v, "tricks['running']"});
  } else if (!running.is_none()) {
    value_error("tricks['running']: only used with batch norm; expected None");
  }
  const py::object spectral = get("spectral");
  if (!spectral.is_none()) {
    const View<T> v = view<T>(spectral, "tricks['spectral']", 1, true, true);
    check_len("tricks['spectral']", v.rows, vectors);
    ts.spectral = v.data;
    tr.spectral = true;
    written.push_back({v, "tricks['spectral']"});
  }
  return ts;
}

template <class T>
py::tuple mlp_epoch(const py::object& X_, const py::object& targets_, const py::object& order_, const py::object& params_,
                    const py::object& grads_, const py::dict& state_, const std::vector<std::int64_t>& sizes,
                    int act_code, int loss_code, double alpha, std::int64_t batch_size, const std::string& optimizer,
                    const py::dict& hyper, std::int64_t step, bool first_step, const py::object& w_,
                    const py::object& tricks_) {
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
    if (!checked_add(sizes[l], std::int64_t{1}, &layer) || !checked_mul(layer, sizes[l + 1], &layer) ||
        !checked_add(n_params, layer, &n_params))
      value_error("layer_sizes: the network's parameter count overflows a 64-bit integer");
  for (auto s : sizes) widest = std::max(widest, s);

  mlbasics::MLPConfig net;
  net.layer_sizes.assign(sizes.begin(), sizes.end());
  net.hidden = static_cast<mlbasics::Activation>(act_code);
  net.loss = static_cast<mlbasics::Loss>(loss_code);
  net.alpha = alpha;
  net.batch_size = batch_size;
  const index_t k = net.layer_sizes.back();
  std::vector<std::pair<View<T>, std::string>> written;
  mlbasics::MLPTrickState<T> trick_state;
  if (!tricks_.is_none()) {
    if (!py::isinstance<py::dict>(tricks_)) type_error("tricks: expected a dict or None");
    trick_state = read_tricks<T>(py::reinterpret_borrow<py::dict>(tricks_), net, written);
  }
  const index_t P = mlbasics::mlp_num_params(net.layer_sizes, net.tricks.norm != mlbasics::Norm::none);

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

  const View<T> sw = optional_weights<T>(w_, "sample_weight", n, false);
  const View<std::int64_t> order = view<std::int64_t>(order_, "order", 1, true, false);
  for (index_t i = 0; i < order.rows; ++i)
    if (order.data[i] < 0 || order.data[i] >= n) value_error("order: row indices must be in [0, n)");
  std::int64_t buffer = 0;
  if (!checked_mul(std::min<std::int64_t>(batch_size, std::max<std::int64_t>(order.rows, 1)), widest, &buffer))
    value_error("batch_size: batch_size × the widest layer overflows a 64-bit integer");

  const View<T> params = view<T>(params_, "params", 1, true, true);
  check_len("params", params.rows, P);
  const View<T> grads = view<T>(grads_, "grads", 1, true, true);
  check_len("grads", grads.rows, P);

  const OptimizerKindInfo& kind = optimizer_kind(optimizer);
  mlbasics::OptimizerConfig opt = read_hyper(kind, hyper);
  opt.step = step;
  opt.first_step = first_step;
  written.push_back({params, "params"});
  written.push_back({grads, "grads"});
  const mlbasics::OptimizerState<T> state = read_state<T>(kind, opt, state_, P, written);
  // Written arrays overlap neither the inputs nor each other.
  for (std::size_t i = 0; i < written.size(); ++i) {
    const auto& [w, wname] = written[i];
    check_no_overlap(w, wname.c_str(), X, "X");
    check_no_overlap(w, wname.c_str(), order, "order");
    if (sw.data != nullptr) check_no_overlap(w, wname.c_str(), sw, "sample_weight");
    if (labels != nullptr) check_no_overlap(w, wname.c_str(), lv, "targets");
    else check_no_overlap(w, wname.c_str(), yv, "targets");
    for (std::size_t j = i + 1; j < written.size(); ++j)
      check_no_overlap(w, wname.c_str(), written[j].first, written[j].second.c_str());
  }

  mlbasics::EpochResult r;
  {
    py::gil_scoped_release nogil;
    r = mlbasics::mlp_epoch<T>(net, n, X.data, labels, labels != nullptr ? nullptr : yv.data, order.data,
                               order.rows, params.data, grads.data, opt, state, sw.data, trick_state);
  }
  return py::make_tuple(r.loss_sum, r.steps);
}

}  // namespace

void register_mlp(py::module_& m) {
  m.def("mlp_epoch", [](const py::object& X, const py::object& targets, const py::object& order, const py::object& params,
                        const py::object& grads, const py::dict& state, const std::vector<std::int64_t>& layer_sizes,
                        int activation, int loss, double alpha, std::int64_t batch_size, const std::string& optimizer,
                        const py::dict& hyper, std::int64_t step, bool first_step,
                        const py::object& sample_weight, const py::object& tricks) {
    return dispatch_float(params, "params", [&](auto t) {
      return mlp_epoch<decltype(t)>(X, targets, order, params, grads, state, layer_sizes, activation, loss, alpha,
                                    batch_size, optimizer, hyper, step, first_step, sample_weight, tricks);
    });
  }, py::arg("X"), py::arg("targets"), py::arg("order"), py::arg("params"), py::arg("grads"), py::arg("state"),
  py::arg("layer_sizes"), py::arg("activation"), py::arg("loss"), py::arg("alpha"), py::arg("batch_size"),
  py::arg("optimizer"), py::arg("hyper"), py::arg("step"), py::arg("first_step"),
  py::arg("sample_weight") = py::none(), py::arg("tricks") = py::none(),
  "One MLP training epoch (see mlbasics/mlp.hpp); returns (loss_sum, steps). sample_weight: optional per-row "
  "weights (each batch's loss is their weighted mean; batches of zero total weight are skipped).");
  m.def("optimizer_schema", &optimizer_schema,
        "The C++ optimizer schema: {kind: {'hyper': [hyper-parameter names], 'state': [state array names]}}.");
}

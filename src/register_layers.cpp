// register_layers.cpp — bindings for mlbasics/layers.hpp.
#include "arrays.hpp"
#include "mlbasics/layers.hpp"

namespace py = pybind11;
using namespace mlbasics_py;
using mlbasics::Activation;

namespace {

Activation activation(int code) {
  if (code < 0 || code > 3) value_error("activation: expected a code in 0..3, got " + std::to_string(code));
  return static_cast<Activation>(code);
}

// An optional (n, n_out) C-contiguous array; nullptr for None.
template <class T>
T* optional_matrix(const py::object& o, const char* name, index_t rows, index_t cols, bool writable) {
  if (o.is_none()) return nullptr;
  const View<T> v = view<T>(o, name, 2, true, writable);
  check_shape(name, v.rows, v.cols, rows, cols);
  return v.data;
}

template <class T>
void linear_forward(const py::object& x_, const py::object& w_, const py::object& b_, int act_code,
                    const py::object& z_, const py::object& h_) {
  const Activation act = activation(act_code);
  const View<T> x = view<T>(x_, "x", 2, true, false);
  const View<T> w = view<T>(w_, "w", 2, true, false);
  const View<T> b = view<T>(b_, "b", 1, true, false);
  const View<T> z = view<T>(z_, "z", 2, true, true);
  const index_t n = x.rows, n_in = x.cols, n_out = w.cols;
  check_shape("w", w.rows, w.cols, n_in, n_out);
  check_len("b", b.rows, n_out);
  check_shape("z", z.rows, z.cols, n, n_out);
  T* h = optional_matrix<T>(h_, "h", n, n_out, true);
  if (act != Activation::identity && h == nullptr) value_error("h: required for a non-identity activation");
  for (auto [v, name] : {std::pair{x, "x"}, {w, "w"}, {b, "b"}}) check_no_overlap(z, "z", v, name);
  if (h) {
    View<T> hv{h, n, n_out, n_out, 1};
    for (auto [v, name] : {std::pair{x, "x"}, {w, "w"}, {b, "b"}, {z, "z"}}) check_no_overlap(hv, "h", v, name);
  }
  py::gil_scoped_release nogil;
  mlbasics::linear_forward<T>(n, n_in, n_out, x.data, w.data, b.data, z.data, h, act);
}

template <class T>
void linear_backward(const py::object& x_, const py::object& w_, const py::object& z_, const py::object& h_,
                     const py::object& grad_h_, int act_code, const py::object& grad_x_,
                     const py::object& grad_w_, const py::object& grad_b_) {
  const Activation act = activation(act_code);
  const View<T> x = view<T>(x_, "x", 2, true, false);
  const View<T> w = view<T>(w_, "w", 2, true, false);
  const index_t n = x.rows, n_in = x.cols, n_out = w.cols;
  check_shape("w", w.rows, w.cols, n_in, n_out);
  const T* z = optional_matrix<T>(z_, "z", n, n_out, false);
  const T* h = optional_matrix<T>(h_, "h", n, n_out, false);
  if (act == Activation::relu && z == nullptr) value_error("z: required for activation relu");
  if ((act == Activation::sigmoid || act == Activation::tanh) && h == nullptr)
    value_error("h: required for activations sigmoid and tanh");
  const View<T> gh = view<T>(grad_h_, "grad_h", 2, true, false);
  check_shape("grad_h", gh.rows, gh.cols, n, n_out);
  T* gx = optional_matrix<T>(grad_x_, "grad_x", n, n_in, true);
  View<T> gw = view<T>(grad_w_, "grad_w", 2, true, true);
  check_shape("grad_w", gw.rows, gw.cols, n_in, n_out);
  View<T> gb = view<T>(grad_b_, "grad_b", 1, true, true);
  check_len("grad_b", gb.rows, n_out);
  // Outputs must not overlap inputs or each other.
  std::vector<std::pair<View<T>, const char*>> ins = {{x, "x"}, {w, "w"}, {gh, "grad_h"}};
  if (z) ins.push_back({View<T>{const_cast<T*>(z), n, n_out, n_out, 1}, "z"});
  if (h) ins.push_back({View<T>{const_cast<T*>(h), n, n_out, n_out, 1}, "h"});
  std::vector<std::pair<View<T>, const char*>> outs = {{gw, "grad_w"}, {gb, "grad_b"}};
  if (gx) outs.push_back({View<T>{gx, n, n_in, n_in, 1}, "grad_x"});
  for (size_t i = 0; i < outs.size(); ++i) {
    for (auto& [v, name] : ins) check_no_overlap(outs[i].first, outs[i].second, v, name);
    for (size_t j = i + 1; j < outs.size(); ++j)
      check_no_overlap(outs[i].first, outs[i].second, outs[j].first, outs[j].second);
  }
  py::gil_scoped_release nogil;
  mlbasics::linear_backward<T>(n, n_in, n_out, x.data, w.data, z, h, gh.data, gx, gw.data, gb.data, act);
}

}  // namespace

void register_layers(py::module_& m) {
  m.def("linear_forward", [](const py::object& x, const py::object& w, const py::object& b, int act,
                             const py::object& z, const py::object& h) {
    dispatch_float(x, "x", [&](auto t) { linear_forward<decltype(t)>(x, w, b, act, z, h); });
  }, py::arg("x"), py::arg("w"), py::arg("b"), py::arg("activation"), py::arg("z"), py::arg("h").none(true),
  "z = x @ w + b; h = act(z) (h None for identity). All C-contiguous.");
  m.def("linear_backward", [](const py::object& x, const py::object& w, const py::object& z, const py::object& h,
                              const py::object& grad_h, int act, const py::object& grad_x,
                              const py::object& grad_w, const py::object& grad_b) {
    dispatch_float(x, "x", [&](auto t) {
      linear_backward<decltype(t)>(x, w, z, h, grad_h, act, grad_x, grad_w, grad_b);
    });
  }, py::arg("x"), py::arg("w"), py::arg("z").none(true), py::arg("h").none(true), py::arg("grad_h"),
  py::arg("activation"), py::arg("grad_x").none(true), py::arg("grad_w"), py::arg("grad_b"),
  "grad_z = grad_h * act'(z); grad_x = grad_z @ w.T; grad_w = x.T @ grad_z; grad_b = grad_z.sum(0).");
}

// register_losses.cpp — bindings for mlbasics/losses.hpp.
#include "arrays.hpp"
#include "mlbasics/losses.hpp"

namespace py = pybind11;
using namespace mlbasics_py;

namespace {

template <class T>
double softmax_cross_entropy(const py::object& logits_, const py::object& y_, const py::object& grad_,
                             const py::object& w_) {
  const View<T> logits = view<T>(logits_, "logits", 2, true, false);
  const View<std::int64_t> y = view<std::int64_t>(y_, "y", 1, true, false);
  const View<T> grad = view<T>(grad_, "grad", 2, true, true);
  const index_t n = logits.rows, C = logits.cols;
  if (n < 1 || C < 1) value_error("logits: expected at least one row and one column");
  check_len("y", y.rows, n);
  check_shape("grad", grad.rows, grad.cols, n, C);
  check_no_overlap(grad, "grad", logits, "logits");
  check_no_overlap(grad, "grad", y, "y");
  const View<T> w = optional_weights<T>(w_, "sample_weight", n, true);
  if (w.data != nullptr) check_no_overlap(grad, "grad", w, "sample_weight");
  py::gil_scoped_release nogil;
  return mlbasics::softmax_cross_entropy<T>(n, C, logits.data, y.data, grad.data, w.data);
}

// The elementwise losses share one shape of arguments: two inputs and a gradient, all (n,), and
// optional weights: one per element, or (mse) one per row of the flattened arrays.
template <class T, double (*Loss)(index_t, const T*, const T*, T*, const T*, index_t)>
double elementwise_loss(const py::object& a_, const char* a_name, const py::object& b_, const char* b_name,
                        const py::object& grad_, const py::object& w_, bool rows_of_elements) {
  const View<T> a = view<T>(a_, a_name, 1, true, false);
  const View<T> b = view<T>(b_, b_name, 1, true, false);
  const View<T> grad = view<T>(grad_, "grad", 1, true, true);
  if (a.rows < 1) value_error(std::string(a_name) + ": expected at least one element");
  check_len(b_name, b.rows, a.rows);
  check_len("grad", grad.rows, a.rows);
  check_no_overlap(grad, "grad", a, a_name);
  check_no_overlap(grad, "grad", b, b_name);
  index_t rows = a.rows;
  if (!w_.is_none() && rows_of_elements) {
    const View<T> probe = view<T>(w_, "sample_weight", 1, true, false);
    if (probe.rows < 1 || a.rows % probe.rows != 0)
      value_error(std::string("sample_weight: expected a number of weights that divides ") + a_name +
                  "'s " + std::to_string(a.rows) + " elements (one per row), got " + std::to_string(probe.rows));
    rows = probe.rows;
  }
  const View<T> w = optional_weights<T>(w_, "sample_weight", rows, true);
  if (w.data != nullptr) check_no_overlap(grad, "grad", w, "sample_weight");
  py::gil_scoped_release nogil;
  return Loss(a.rows, a.data, b.data, grad.data, w.data, rows);
}

template <class T>
double bce(index_t n, const T* x, const T* y, T* grad, const T* w, index_t) {
  return mlbasics::binary_cross_entropy_with_logits<T>(n, x, y, grad, w);
}

}  // namespace

void register_losses(py::module_& m) {
  m.def("softmax_cross_entropy", [](const py::object& logits, const py::object& y, const py::object& grad,
                                    const py::object& sample_weight) {
    return dispatch_float(logits, "logits", [&](auto t) {
      return softmax_cross_entropy<decltype(t)>(logits, y, grad, sample_weight);
    });
  }, py::arg("logits"), py::arg("y"), py::arg("grad"), py::arg("sample_weight") = py::none(),
  "Mean softmax cross-entropy of int64 labels y; grad = (softmax - onehot) / n (weighted mean with sample_weight).");
  m.def("binary_cross_entropy_with_logits", [](const py::object& logits, const py::object& y, const py::object& grad,
                                               const py::object& sample_weight) {
    return dispatch_float(logits, "logits", [&](auto t) {
      using T = decltype(t);
      return elementwise_loss<T, &bce<T>>(logits, "logits", y, "y", grad, sample_weight, false);
    });
  }, py::arg("logits"), py::arg("y"), py::arg("grad"), py::arg("sample_weight") = py::none(),
  "Mean BCE with logits; grad = (sigmoid - y) / n (weighted mean with sample_weight).");
  m.def("mse", [](const py::object& pred, const py::object& target, const py::object& grad,
                  const py::object& sample_weight) {
    return dispatch_float(pred, "pred", [&](auto t) {
      using T = decltype(t);
      return elementwise_loss<T, &mlbasics::mse<T>>(pred, "pred", target, "target", grad, sample_weight, true);
    });
  }, py::arg("pred"), py::arg("target"), py::arg("grad"), py::arg("sample_weight") = py::none(),
  "Mean squared error; grad = 2 (pred - target) / n (with sample_weight: one weight per row of n / len(w) "
  "elements, the weighted mean).");
}

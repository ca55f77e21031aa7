// register_gemm.cpp — bindings for mlbasics/gemm.hpp.
#include "arrays.hpp"
#include "mlbasics/gemm.hpp"

namespace py = pybind11;
using namespace mlbasics_py;

namespace {

template <class T>
void matmul(const py::object& a_, const py::object& b_, bool trans_a, bool trans_b, const py::object& out_) {
  View<T> a = view<T>(a_, "a", 2, false, false);
  View<T> b = view<T>(b_, "b", 2, false, false);
  View<T> out = view<T>(out_, "out", 2, true, true);
  if (trans_a) { std::swap(a.rows, a.cols); std::swap(a.rs, a.cs); }
  if (trans_b) { std::swap(b.rows, b.cols); std::swap(b.rs, b.cs); }
  if (a.cols != b.rows)
    value_error("b: op(b) has " + std::to_string(b.rows) + " rows but op(a) has " + std::to_string(a.cols) +
                " columns");
  check_shape("out", out.rows, out.cols, a.rows, b.cols);
  check_no_overlap(out, "out", a, "a");
  check_no_overlap(out, "out", b, "b");
  py::gil_scoped_release nogil;
  mlbasics::gemm<T>(a.rows, b.cols, a.cols, a.data, a.rs, a.cs, b.data, b.rs, b.cs, out.data, out.rs, false);
}

template <class T>
void gram(const py::object& x_, const py::object& out_, const py::object& w_, const py::object& shift_) {
  const View<T> x = view<T>(x_, "x", 2, false, false);
  View<T> out = view<T>(out_, "out", 2, true, true);
  check_shape("out", out.rows, out.cols, x.cols, x.cols);
  check_no_overlap(out, "out", x, "x");
  const View<T> w = optional_weights<T>(w_, "sample_weight", x.rows, false);
  if (w.data != nullptr) check_no_overlap(out, "out", w, "sample_weight");
  View<T> shift;
  if (!shift_.is_none()) {
    shift = view<T>(shift_, "shift", 1, true, false);
    check_len("shift", shift.rows, x.cols);
    check_no_overlap(out, "out", shift, "shift");
  }
  py::gil_scoped_release nogil;
  mlbasics::gram<T>(x.rows, x.cols, x.data, x.rs, x.cs, out.data, w.data, shift.data);
}

template <class T>
py::dict blocking() {
  const mlbasics::GemmBlocking b = mlbasics::gemm_blocking<T>();
  py::dict d;
  d["family"] = b.family;
  d["mr"] = b.mr;
  d["nr"] = b.nr;
  d["kc"] = b.kc;
  d["mc"] = b.mc;
  d["nc"] = b.nc;
  return d;
}

}  // namespace

void register_gemm(py::module_& m) {
  m.def("matmul", [](const py::object& a, const py::object& b, bool trans_a, bool trans_b, const py::object& out) {
    dispatch_float(a, "a", [&](auto t) { matmul<decltype(t)>(a, b, trans_a, trans_b, out); });
  }, py::arg("a"), py::arg("b"), py::arg("trans_a"), py::arg("trans_b"), py::arg("out"),
  "out = op(a) @ op(b); out C-contiguous, not overlapping a or b.");
  m.def("_gemm_blocking", [](const std::string& dtype) {
    if (dtype == "float32") return blocking<float>();
    if (dtype == "float64") return blocking<double>();
    value_error("dtype: expected 'float32' or 'float64', got '" + dtype + "'");
    return py::dict();
  }, py::arg("dtype"), "The GEMM's block sizes for this dtype (of the kernel family in use): family, mr, nr, kc, mc, nc.");
  m.def("gram", [](const py::object& x, const py::object& out, const py::object& sample_weight,
                   const py::object& shift) {
    dispatch_float(x, "x", [&](auto t) { gram<decltype(t)>(x, out, sample_weight, shift); });
  }, py::arg("x"), py::arg("out"), py::arg("sample_weight") = py::none(), py::arg("shift") = py::none(),
  "out = (x - shift).T @ (x - shift), or with diag(sample_weight) between (exactly symmetric); the shift\n"
  "(one value per column, or None) is subtracted as x is packed, never into a copy.");
}

// register_gemm.cpp — bindings for mlbasics/gemm.hpp.
#include "arrays.hpp"
#include "mlbasics/gemm.hpp"

namespace py = pybind11;
using namespace mlbasics_py;

namespace {

// op(x): x itself, or its transpose (a swap of sizes and strides).
template <class T>
View<T> op(View<T> x, bool trans) {
  if (trans) {
    std::swap(x.rows, x.cols);
    std::swap(x.rs, x.cs);
  }
  return x;
}

// c = a·b for checked views; the GIL is given up only around a product worth it (below 2¹⁶
// multiply-adds the kernel takes less time than releasing the GIL and taking it back).
template <class T>
void gemm_views(const View<T>& a, const View<T>& b, const View<T>& c) {
  const double mnk = static_cast<double>(a.rows) * static_cast<double>(b.cols) * static_cast<double>(a.cols);
  if (mnk < 65536.0) {
    mlbasics::gemm<T>(a.rows, b.cols, a.cols, a.data, a.rs, a.cs, b.data, b.rs, b.cs, c.data, c.rs, false);
    return;
  }
  py::gil_scoped_release nogil;
  mlbasics::gemm<T>(a.rows, b.cols, a.cols, a.data, a.rs, a.cs, b.data, b.rs, b.cs, c.data, c.rs, false);
}

template <class T>
void matmul(const py::object& a_, const py::object& b_, bool trans_a, bool trans_b, const py::object& out_) {
  const View<T> a = op(view<T>(a_, "a", 2, false, false), trans_a);
  const View<T> b = op(view<T>(b_, "b", 2, false, false), trans_b);
  const View<T> out = view<T>(out_, "out", 2, true, true);
  if (a.cols != b.rows)
    value_error("b: op(b) has " + std::to_string(b.rows) + " rows but op(a) has " + std::to_string(a.cols) +
                " columns");
  check_shape("out", out.rows, out.cols, a.rows, b.cols);
  check_no_overlap(out, "out", a, "a");
  check_no_overlap(out, "out", b, "b");
  gemm_views(a, b, out);
}

// The contract's fast path of matmul (GemmContract.matmul), checked here rather than in Python,
// where each attribute read costs ~30-50 ns and the checks ~0.5 µs against ~1.3 µs for the kernel
// of a 32×32 product. Recognizes only the plain call: a and b exactly numpy.ndarray, 2-D, aligned,
// of the canonical float32/float64 dtype (the same dtype object, as `a.dtype is np.dtype(...)`),
// with op(a)'s columns equal to op(b)'s rows; the flags exactly True/False; out None (allocated
// here) or exactly an ndarray of that dtype and shape (m, n), C-contiguous, writable, not sharing
// memory with a or b. Returns out, or None for any other call, having done nothing: the
// contract's full path then converts, checks and raises, or forms an overlapping product in a
// temporary. It never raises for a bad argument.
inline bool plain_array(py::handle h, PyObject* descr) {
  namespace d = py::detail;
  if (Py_TYPE(h.ptr()) != d::npy_api::get().PyArray_Type_) return false;
  const d::PyArray_Proxy* a = d::array_proxy(h.ptr());
  return a->descr == descr && a->nd == 2 && (a->flags & d::npy_api::NPY_ARRAY_ALIGNED_) != 0;
}

template <class T>
py::object matmul_fast(py::handle a_, py::handle b_, bool trans_a, bool trans_b, py::handle out_) {
  namespace d = py::detail;
  const py::dtype dt = py::dtype::of<T>();
  if (!plain_array(b_, dt.ptr())) return py::none();
  const View<T> a = op(view<T>(a_, "a", 2, false, false), trans_a);  // a's dtype is T (dispatched on it), b's too
  const View<T> b = op(view<T>(b_, "b", 2, false, false), trans_b);
  if (a.cols != b.rows) return py::none();
  py::array out;
  if (out_.is_none()) {
    out = py::array(dt, {a.rows, b.cols});
  } else {
    if (Py_TYPE(out_.ptr()) != d::npy_api::get().PyArray_Type_) return py::none();
    const d::PyArray_Proxy* o = d::array_proxy(out_.ptr());
    constexpr int need = d::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | d::npy_api::NPY_ARRAY_WRITEABLE_ |
                         d::npy_api::NPY_ARRAY_ALIGNED_;
    if (o->descr != dt.ptr() || o->nd != 2 || o->dimensions[0] != a.rows || o->dimensions[1] != b.cols ||
        (o->flags & need) != need)
      return py::none();
    out = py::reinterpret_borrow<py::array>(out_);
  }
  const View<T> c = view<T>(out, "out", 2, true, true);
  if (c.size() > 0 && ((a.size() > 0 && overlaps(c, a)) || (b.size() > 0 && overlaps(c, b)))) return py::none();
  gemm_views(a, b, c);
  return std::move(out);
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
  m.def("matmul_fast", [](py::handle a, py::handle b, py::handle trans_a, py::handle trans_b, py::handle out) -> py::object {
    const bool flags = (trans_a.ptr() == Py_True || trans_a.ptr() == Py_False) &&
                       (trans_b.ptr() == Py_True || trans_b.ptr() == Py_False);
    if (!flags) return py::none();
    const bool ta = trans_a.ptr() == Py_True, tb = trans_b.ptr() == Py_True;
    if (plain_array(a, py::dtype::of<double>().ptr())) return matmul_fast<double>(a, b, ta, tb, out);
    if (plain_array(a, py::dtype::of<float>().ptr())) return matmul_fast<float>(a, b, ta, tb, out);
    return py::none();
  }, py::arg("a"), py::arg("b"), py::arg("trans_a"), py::arg("trans_b"), py::arg("out"),
  "The contract's fast path of matmul: out = op(a) @ op(b) for plain arguments (exact float ndarrays,\n"
  "bool flags, out None or a C-contiguous array not sharing memory with a or b), returning out;\n"
  "None, having done nothing, for any other call.");
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

// arrays.hpp — checked views of NumPy arrays for the bindings.
//
// Every array that crosses into cpp/ passes through here first: dtype, ndim, shape, strides,
// writability and overlap are checked, and a bad argument raises TypeError/ValueError naming it.
// Nothing here knows machine learning; it only adapts arrays to pointers + sizes + strides.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "mlbasics/gemm.hpp"

namespace mlbasics_py {

namespace py = pybind11;
using mlbasics::index_t;

inline std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

[[noreturn]] inline void type_error(const std::string& msg) { throw py::type_error(msg); }
[[noreturn]] inline void value_error(const std::string& msg) { throw py::value_error(msg); }

// *out = a + b, or false (and *out unchanged) if that overflows. Portable (no compiler builtins).
inline bool checked_add(std::int64_t a, std::int64_t b, std::int64_t* out) {
  constexpr std::int64_t hi = std::numeric_limits<std::int64_t>::max(), lo = std::numeric_limits<std::int64_t>::min();
  if ((b > 0 && a > hi - b) || (b < 0 && a < lo - b)) return false;
  *out = a + b;
  return true;
}

// *out = a · b, or false (and *out unchanged) if that overflows.
inline bool checked_mul(std::int64_t a, std::int64_t b, std::int64_t* out) {
  constexpr std::int64_t hi = std::numeric_limits<std::int64_t>::max(), lo = std::numeric_limits<std::int64_t>::min();
  if (a > 0 ? (b > 0 ? a > hi / b : b < lo / a) : (b > 0 ? a < lo / b : (a != 0 && b < hi / a))) return false;
  *out = a * b;
  return true;
}

// A strided 2-D (or 1-D, cols == 1) view with strides in elements.
template <class T>
struct View {
  T* data = nullptr;
  index_t rows = 0, cols = 1;
  index_t rs = 0, cs = 0;
  index_t size() const { return rows * cols; }
};

// Returns the array as a View<T>. Checks the dtype is exactly T (native byte order), ndim, that
// byte strides are multiples of the item size and, if asked, C-contiguity and writability.
// The argument must already be a numpy.ndarray: it is borrowed, never converted. (Converting a list
// would make a temporary array that dies before the kernel runs, and writes to it would be lost.)
inline py::array as_ndarray(const py::handle& h, const char* name) {
  if (!py::isinstance<py::array>(h))
    type_error(std::string(name) + ": expected a numpy.ndarray, got " +
               py::str(py::type::handle_of(h).attr("__name__")).cast<std::string>());
  return py::reinterpret_borrow<py::array>(h);
}

template <class T>
View<T> view(const py::handle& h, const char* name, int ndim, bool contiguous, bool writable) {
  const py::array a = as_ndarray(h, name);
  if (!a.dtype().equal(py::dtype::of<T>()))
    type_error(std::string(name) + ": expected dtype " + py::str(py::dtype::of<T>()).cast<std::string>() +
               " like the other arrays of this call, got " + dtype_name(a));
  if (a.ndim() != ndim)
    value_error(std::string(name) + ": expected a " + std::to_string(ndim) + "-D array, got " +
                std::to_string(a.ndim()) + "-D");
  if (writable && !a.writeable()) value_error(std::string(name) + ": array is read-only");
  if (contiguous && !(a.flags() & py::array::c_style))
    value_error(std::string(name) + ": expected a C-contiguous array");
  // Kernels read and write whole T values (and SIMD loads assume T's alignment): a view that
  // starts at an odd byte offset (e.g. np.frombuffer(buf, offset=1)) would be undefined behaviour.
  if (reinterpret_cast<std::uintptr_t>(a.data()) % alignof(T) != 0)
    value_error(std::string(name) + ": array data is not aligned for its dtype (an unaligned view); "
                "pass a copy, e.g. np.array(x)");
  View<T> v;
  v.data = static_cast<T*>(const_cast<void*>(a.data()));
  const auto item = static_cast<index_t>(sizeof(T));
  // An axis of length 0 or 1 is never stepped along, so its stride can be anything (NumPy calls
  // such an array aligned and contiguous whatever it is, e.g. as_strided(x, (1, 3), (3, 8))):
  // it gets the stride of a C-contiguous array instead.
  const auto stride = [&](int axis, index_t c_stride) -> index_t {
    if (a.shape(axis) <= 1) return c_stride;
    if (a.strides(axis) % item) value_error(std::string(name) + ": strides are not a multiple of the item size");
    return a.strides(axis) / item;
  };
  v.rows = a.shape(0);
  if (ndim == 2) {
    v.cols = a.shape(1);
    v.cs = stride(1, 1);
  }
  v.rs = stride(0, ndim == 2 ? v.cols : 1);
  return v;
}

// Byte range [lo, hi) touched by a non-empty strided view.
template <class T>
inline std::pair<const char*, const char*> byte_range(const View<T>& x) {
  const char* base = reinterpret_cast<const char*>(x.data);
  index_t lo = 0, hi = 0;
  for (auto [n, s] : {std::pair<index_t, index_t>{x.rows, x.rs}, {x.cols, x.cs}}) {
    const index_t ext = (n - 1) * s * static_cast<index_t>(sizeof(T));
    if (ext < 0) lo += ext; else hi += ext;
  }
  return {base + lo, base + hi + sizeof(T)};
}

// Whether two non-empty strided views touch a common byte range.
template <class T, class U>
inline bool overlaps(const View<T>& x, const View<U>& y) {
  const auto [xlo, xhi] = byte_range(x);
  const auto [ylo, yhi] = byte_range(y);
  return xlo < yhi && ylo < xhi;
}

// Raises ValueError if the output view `out` shares memory with input `in`.
template <class T, class U>
inline void check_no_overlap(const View<T>& out, const char* out_name, const View<U>& in, const char* in_name) {
  if (out.size() == 0 || in.size() == 0) return;
  if (overlaps(out, in)) value_error(std::string(out_name) + ": must not share memory with " + in_name);
}

inline void check_shape(const char* name, index_t got_rows, index_t got_cols, index_t rows, index_t cols) {
  if (got_rows != rows || got_cols != cols)
    value_error(std::string(name) + ": expected shape (" + std::to_string(rows) + ", " + std::to_string(cols) +
                "), got (" + std::to_string(got_rows) + ", " + std::to_string(got_cols) + ")");
}

inline void check_len(const char* name, index_t got, index_t want) {
  if (got != want)
    value_error(std::string(name) + ": expected length " + std::to_string(want) + ", got " + std::to_string(got));
}

// Optional per-row weights: None gives an empty View (data == nullptr); otherwise a 1-D
// C-contiguous array of T with `n` entries, every one finite and >= 0 and, if `positive_sum`,
// summing to more than 0 — else TypeError/ValueError naming the argument.
template <class T>
View<T> optional_weights(const py::handle& h, const char* name, index_t n, bool positive_sum) {
  View<T> w;
  if (h.is_none()) return w;
  w = view<T>(h, name, 1, true, false);
  check_len(name, w.rows, n);
  double sum = 0.0;
  for (index_t i = 0; i < w.rows; ++i) {
    const T v = w.data[i];
    if (!(v >= T(0) && v <= std::numeric_limits<T>::max()))  // false for NaN, negatives and +inf
      value_error(std::string(name) + ": weights must be finite and >= 0");
    sum += static_cast<double>(v);
  }
  if (positive_sum && !(sum > 0.0))
    value_error(std::string(name) + ": the weights sum to 0; at least one row needs a positive weight");
  return w;
}

// A Python int (or an object with __index__, not a bool) in [0, 2⁶⁴) as an unsigned 64-bit value —
// else TypeError/ValueError naming the argument.
inline std::uint64_t u64_arg(const py::handle& h, const char* name) {
  if (py::isinstance<py::bool_>(h) || !PyIndex_Check(h.ptr()))
    type_error(std::string(name) + ": expected an int in [0, 2**64), got " +
               py::str(py::type::handle_of(h).attr("__name__")).cast<std::string>());
  const py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(h.ptr()));
  if (!i) throw py::error_already_set();
  const unsigned long long v = PyLong_AsUnsignedLongLong(i.ptr());
  if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    value_error(std::string(name) + ": expected an int in [0, 2**64), got " + py::repr(i).cast<std::string>());
  }
  return static_cast<std::uint64_t>(v);
}

// Calls f(T{}) with T = float or double according to the dtype of `a`.
template <class F>
auto dispatch_float(const py::handle& h, const char* name, F&& f) {
  const py::array a = as_ndarray(h, name);
  if (a.dtype().equal(py::dtype::of<float>())) return f(float{});
  if (a.dtype().equal(py::dtype::of<double>())) return f(double{});
  type_error(std::string(name) + ": expected dtype float32 or float64, got " + dtype_name(a));
}

}  // namespace mlbasics_py

// register_sparse.cpp — bindings for mlbasics/sparse.hpp.
//
// The structure of the CSR arrays is checked again here (the contract checked it first), with the
// GIL released: lengths, indptr non-decreasing and within the entries, every column index of the
// matrix in range. Nothing reaches cpp/ that could read or write out of bounds.
#include <cstdint>
#include <limits>
#include <string>

#include "arrays.hpp"
#include "mlbasics/sparse.hpp"

namespace py = pybind11;
using namespace mlbasics_py;

namespace {

// "" when the CSR structure is valid for a matrix of n_cols columns, else the error message.
template <class I>
std::string csr_error(index_t nnz_capacity, const I* indices, const I* indptr, index_t n_ptr, index_t n_cols) {
  if (n_ptr < 1) return "indptr: expected at least one value (n_rows + 1 of them), got an empty array";
  if (indptr[0] < 0) return "indptr: expected non-negative values, got indptr[0]=" + std::to_string(indptr[0]);
  for (index_t i = 0; i + 1 < n_ptr; ++i)
    if (indptr[i + 1] < indptr[i])
      return "indptr: expected non-decreasing values, got indptr[" + std::to_string(i) + "]=" +
             std::to_string(indptr[i]) + " > indptr[" + std::to_string(i + 1) + "]=" + std::to_string(indptr[i + 1]);
  if (static_cast<index_t>(indptr[n_ptr - 1]) > nnz_capacity)
    return "indptr: its last value " + std::to_string(indptr[n_ptr - 1]) + " exceeds the " +
           std::to_string(nnz_capacity) + " entries of indices and data";
  // one loop without exits or branches (it vectorizes), then the position of a bad index if any
  const index_t begin = indptr[0], end = indptr[n_ptr - 1];
  const bool any_fits = n_cols > static_cast<index_t>(std::numeric_limits<I>::max());
  const I limit = any_fits ? std::numeric_limits<I>::max() : static_cast<I>(n_cols);
  int bad = 0;
  if (any_fits) {
    for (index_t e = begin; e < end; ++e) bad |= indices[e] < 0;
  } else {
    for (index_t e = begin; e < end; ++e) bad |= (indices[e] < 0) | (indices[e] >= limit);
  }
  if (!bad) return {};
  for (index_t e = begin; e < end; ++e)
    if (indices[e] < 0 || static_cast<index_t>(indices[e]) >= n_cols)
      return "indices: expected indices in [0, n_cols=" + std::to_string(n_cols) + "), got " +
             std::to_string(indices[e]) + " at position " + std::to_string(e);
  return {};
}

template <class T, class I>
struct Csr {
  View<T> data;
  View<I> indices, indptr;
  index_t n_rows() const { return indptr.rows - 1; }
};

template <class T, class I>
Csr<T, I> csr_views(const py::object& data_, const py::object& indices_, const py::object& indptr_) {
  Csr<T, I> x;
  x.data = view<T>(data_, "data", 1, true, false);
  x.indices = view<I>(indices_, "indices", 1, true, false);
  x.indptr = view<I>(indptr_, "indptr", 1, true, false);
  check_len("indices", x.indices.rows, x.data.rows);
  if (x.indptr.rows < 1) value_error("indptr: expected at least one value (n_rows + 1 of them), got an empty array");
  return x;
}

template <class T, class I>
void check_structure(const Csr<T, I>& x, index_t n_cols) {
  std::string err;
  {
    py::gil_scoped_release nogil;
    err = csr_error<I>(x.indices.rows, x.indices.data, x.indptr.data, x.indptr.rows, n_cols);
  }
  if (!err.empty()) value_error(err);
}

template <class T, class I, class U>
void check_out_apart(const View<U>& out, const Csr<T, I>& x, const View<T>& dense, const char* dense_name) {
  check_no_overlap(out, "out", x.data, "data");
  check_no_overlap(out, "out", x.indices, "indices");
  check_no_overlap(out, "out", x.indptr, "indptr");
  check_no_overlap(out, "out", dense, dense_name);
}

template <class T, class I>
void csr_matmul(const py::object& data_, const py::object& indices_, const py::object& indptr_, const py::object& b_,
                const py::object& out_) {
  const Csr<T, I> x = csr_views<T, I>(data_, indices_, indptr_);
  const View<T> b = view<T>(b_, "b", 2, true, false);
  const View<T> out = view<T>(out_, "out", 2, true, true);
  check_shape("out", out.rows, out.cols, x.n_rows(), b.cols);
  check_out_apart(out, x, b, "b");
  check_structure(x, b.rows);
  py::gil_scoped_release nogil;
  mlbasics::csr_matmul<T, I>(x.n_rows(), b.cols, x.data.data, x.indices.data, x.indptr.data, b.data, out.data);
}

template <class T, class I>
void csr_matmul_t(const py::object& data_, const py::object& indices_, const py::object& indptr_, const py::object& g_,
                  const py::object& out_) {
  const Csr<T, I> x = csr_views<T, I>(data_, indices_, indptr_);
  const View<T> g = view<T>(g_, "g", 2, true, false);
  const View<T> out = view<T>(out_, "out", 2, true, true);
  if (g.rows != x.n_rows())
    value_error("g: expected " + std::to_string(x.n_rows()) + " rows (len(indptr) - 1), got " + std::to_string(g.rows));
  if (out.cols != g.cols)
    value_error("out: expected " + std::to_string(g.cols) + " columns (as g), got " + std::to_string(out.cols));
  check_out_apart(out, x, g, "g");
  check_structure(x, out.rows);
  py::gil_scoped_release nogil;
  mlbasics::csr_matmul_t_add<T, I>(x.n_rows(), out.rows, g.cols, x.data.data, x.indices.data, x.indptr.data, g.data,
                                   out.data);
}

// Calls f(T{}, I{}) for data's float dtype and indices' integer dtype (int32 or int64).
template <class F>
void dispatch_csr(const py::object& data, const py::object& indices, F&& f) {
  dispatch_float(data, "data", [&](auto t) {
    const py::array ind = as_ndarray(indices, "indices");
    if (ind.dtype().equal(py::dtype::of<std::int32_t>())) return f(t, std::int32_t{});
    if (ind.dtype().equal(py::dtype::of<std::int64_t>())) return f(t, std::int64_t{});
    type_error("indices: expected dtype int32 or int64, got " + dtype_name(ind));
  });
}

}  // namespace

void register_sparse(py::module_& m) {
  m.def("csr_matmul", [](const py::object& data, const py::object& indices, const py::object& indptr,
                         const py::object& b, const py::object& out) {
    dispatch_csr(data, indices, [&](auto t, auto i) {
      csr_matmul<decltype(t), decltype(i)>(data, indices, indptr, b, out);
    });
  }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("b"), py::arg("out"),
  "out = X @ b for the CSR matrix X = (data, indices, indptr) with b.shape[0] columns.");
  m.def("csr_matmul_t", [](const py::object& data, const py::object& indices, const py::object& indptr,
                           const py::object& g, const py::object& out) {
    dispatch_csr(data, indices, [&](auto t, auto i) {
      csr_matmul_t<decltype(t), decltype(i)>(data, indices, indptr, g, out);
    });
  }, py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("g"), py::arg("out"),
  "out += X.T @ g for the CSR matrix X = (data, indices, indptr) with out.shape[0] columns.");
}

// register_distances.cpp — bindings for mlbasics/distances.hpp.
#include "arrays.hpp"
#include "mlbasics/distances.hpp"

namespace py = pybind11;
using namespace mlbasics_py;

namespace {

// x (n, p) and y (m, p): C-contiguous rows of one dtype with the same number of columns.
template <class T>
std::pair<View<T>, View<T>> rows_pair(const py::object& x_, const py::object& y_) {
  const View<T> x = view<T>(x_, "x", 2, true, false);
  const View<T> y = view<T>(y_, "y", 2, true, false);
  if (y.cols != x.cols)
    value_error("y: expected " + std::to_string(x.cols) + " columns (as x), got " + std::to_string(y.cols));
  return {x, y};
}

template <class T>
void pairwise_sq_distances(const py::object& x_, const py::object& y_, bool same, const py::object& out_) {
  const auto [x, y] = rows_pair<T>(x_, y_);
  const View<T> out = view<T>(out_, "out", 2, true, true);
  if (same && (x.data != y.data || x.rows != y.rows)) value_error("y: same=True requires y to be x");
  check_shape("out", out.rows, out.cols, x.rows, y.rows);
  check_no_overlap(out, "out", x, "x");
  check_no_overlap(out, "out", y, "y");
  py::gil_scoped_release nogil;
  mlbasics::pairwise_sq_distances<T>(x.rows, y.rows, x.cols, x.data, y.data, same, out.data);
}

template <class T>
void kmeans_step(const py::object& x_, const py::object& c_, const py::object& w_, const py::object& labels_,
                 const py::object& sq_dist_, const py::object& sums_, const py::object& weights_) {
  const View<T> x = view<T>(x_, "x", 2, true, false);
  const View<T> c = view<T>(c_, "centers", 2, true, false);
  const index_t n = x.rows, p = x.cols, k = c.rows;
  if (n < 1) value_error("x: expected at least one row, got 0");
  if (k < 1) value_error("centers: expected at least one centre (row), got 0");
  if (c.cols != p) value_error("centers: expected " + std::to_string(p) + " columns (as x), got " + std::to_string(c.cols));
  View<T> w;
  if (!w_.is_none()) {
    w = view<T>(w_, "sample_weight", 1, true, false);
    check_len("sample_weight", w.rows, n);
  }
  const View<std::int64_t> labels = view<std::int64_t>(labels_, "labels", 1, true, true);
  // sq_dist may be None: the distances are then not computed
  const View<T> sq_dist = sq_dist_.is_none() ? View<T>{} : view<T>(sq_dist_, "sq_dist", 1, true, true);
  const View<T> sums = view<T>(sums_, "sums", 2, true, true);
  const View<T> weights = view<T>(weights_, "weights", 1, true, true);
  check_len("labels", labels.rows, n);
  if (sq_dist.data) check_len("sq_dist", sq_dist.rows, n);
  check_shape("sums", sums.rows, sums.cols, k, p);
  check_len("weights", weights.rows, k);
  for (const auto& [out_name, out] : {std::pair<const char*, View<T>>{"sq_dist", sq_dist}, {"sums", sums}, {"weights", weights}}) {
    if (!out.data) continue;
    check_no_overlap(out, out_name, x, "x");
    check_no_overlap(out, out_name, c, "centers");
    if (w.data) check_no_overlap(out, out_name, w, "sample_weight");
    check_no_overlap(labels, "labels", out, out_name);
  }
  if (sq_dist.data) {
    check_no_overlap(sq_dist, "sq_dist", sums, "sums");
    check_no_overlap(sq_dist, "sq_dist", weights, "weights");
  }
  check_no_overlap(sums, "sums", weights, "weights");
  check_no_overlap(labels, "labels", x, "x");
  check_no_overlap(labels, "labels", c, "centers");
  if (w.data) check_no_overlap(labels, "labels", w, "sample_weight");
  py::gil_scoped_release nogil;
  mlbasics::kmeans_step<T>(n, p, k, x.data, c.data, w.data, labels.data, sq_dist.data, sums.data, weights.data);
}

template <class T>
void nearest_neighbors(const py::object& x_, const py::object& y_, bool same, const py::object& sq_dist_,
                       const py::object& indices_) {
  const auto [x, y] = rows_pair<T>(x_, y_);
  if (same && (x.data != y.data || x.rows != y.rows)) value_error("y: same=True requires y to be x");
  const View<T> sq_dist = view<T>(sq_dist_, "sq_dist", 2, true, true);
  const View<std::int64_t> indices = view<std::int64_t>(indices_, "indices", 2, true, true);
  const index_t kn = sq_dist.cols, candidates = same ? y.rows - 1 : y.rows;
  if (kn < 1 || kn > candidates)
    value_error("n_neighbors: expected 1 to " + std::to_string(candidates) + " neighbours, got " + std::to_string(kn));
  check_shape("sq_dist", sq_dist.rows, sq_dist.cols, x.rows, kn);
  check_shape("indices", indices.rows, indices.cols, x.rows, kn);
  check_no_overlap(sq_dist, "sq_dist", x, "x");
  check_no_overlap(sq_dist, "sq_dist", y, "y");
  check_no_overlap(indices, "indices", x, "x");
  check_no_overlap(indices, "indices", y, "y");
  check_no_overlap(indices, "indices", sq_dist, "sq_dist");
  py::gil_scoped_release nogil;
  mlbasics::nearest_neighbors<T>(x.rows, y.rows, x.cols, x.data, y.data, same, kn, sq_dist.data, indices.data);
}

}  // namespace

void register_distances(py::module_& m) {
  m.def("pairwise_sq_distances", [](const py::object& x, const py::object& y, bool same, const py::object& out) {
    dispatch_float(x, "x", [&](auto t) { pairwise_sq_distances<decltype(t)>(x, y, same, out); });
  }, py::arg("x"), py::arg("y"), py::arg("same"), py::arg("out"),
  "out = squared Euclidean distances between the rows of x and y (same: y is x).");
  m.def("kmeans_step", [](const py::object& x, const py::object& centers, const py::object& sample_weight,
                          const py::object& labels, const py::object& sq_dist, const py::object& sums,
                          const py::object& weights) {
    dispatch_float(x, "x", [&](auto t) {
      kmeans_step<decltype(t)>(x, centers, sample_weight, labels, sq_dist, sums, weights);
    });
  }, py::arg("x"), py::arg("centers"), py::arg("sample_weight"), py::arg("labels"), py::arg("sq_dist"),
  py::arg("sums"), py::arg("weights"), "One Lloyd pass: labels, distances to them, per-centre sums and weights.");
  m.def("nearest_neighbors", [](const py::object& x, const py::object& y, bool same, const py::object& sq_dist,
                                const py::object& indices) {
    dispatch_float(x, "x", [&](auto t) { nearest_neighbors<decltype(t)>(x, y, same, sq_dist, indices); });
  }, py::arg("x"), py::arg("y"), py::arg("same"), py::arg("sq_dist"), py::arg("indices"),
  "The nearest rows of y to each row of x (sq_dist's columns = their number); same: y is x, self excluded.");
}

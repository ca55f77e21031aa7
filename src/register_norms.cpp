// register_norms.cpp — bindings for mlbasics/norms.hpp.
//
// dropout_forward(x, p, seed, offset, stream, y, mask)
// dropout_backward(grad_y, mask, p, grad_x)
// batch_norm_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps, y, mean, invstd)
// batch_norm_backward(grad_y, x, gamma, mean, invstd, grad_x, grad_gamma, grad_beta)
// group_norm_forward(x, gamma, beta, groups, eps, y, mean, invstd)
// group_norm_backward(grad_y, x, gamma, mean, invstd, groups, grad_x, grad_gamma, grad_beta)
// Every array is checked (dtype, ndim, shape, contiguity, writability, overlaps) and every scalar
// range before the GIL is released; running_* may be None.
#include <cmath>
#include <initializer_list>
#include <string>
#include <utility>

#include "arrays.hpp"
#include "mlbasics/norms.hpp"

namespace py = pybind11;
using namespace mlbasics_py;

namespace {

template <class T>
using Named = std::pair<View<T>, const char*>;

double probability(double p) {
  if (!(p >= 0.0 && p < 1.0)) value_error("p: expected a drop probability in [0, 1), got " + std::to_string(p));
  return p;
}

double checked_eps(double eps) {
  if (!(eps >= 0.0)) value_error("eps: expected a value >= 0, got " + std::to_string(eps));
  return eps;
}

// A 2-D C-contiguous array of T shaped like `like`.
template <class T>
View<T> rows_like(const py::handle& h, const char* name, const View<T>& like, bool writable) {
  const View<T> v = view<T>(h, name, 2, true, writable);
  check_shape(name, v.rows, v.cols, like.rows, like.cols);
  return v;
}

template <class T>
View<T> vec(const py::handle& h, const char* name, index_t len, bool writable) {
  const View<T> v = view<T>(h, name, 1, true, writable);
  check_len(name, v.rows, len);
  return v;
}

// Every output overlaps no input and no other output.
template <class T>
void check_outputs(std::initializer_list<Named<T>> outs, std::initializer_list<Named<T>> ins,
                   const View<std::uint8_t>* mask = nullptr, bool mask_is_output = false) {
  for (auto o = outs.begin(); o != outs.end(); ++o) {
    for (const auto& in : ins) check_no_overlap(o->first, o->second, in.first, in.second);
    for (auto p = o + 1; p != outs.end(); ++p) check_no_overlap(o->first, o->second, p->first, p->second);
    if (mask != nullptr) {
      if (mask_is_output) check_no_overlap(*mask, "mask", o->first, o->second);
      else check_no_overlap(o->first, o->second, *mask, "mask");
    }
  }
  if (mask != nullptr && mask_is_output)
    for (const auto& in : ins) check_no_overlap(*mask, "mask", in.first, in.second);
}

index_t checked_groups(std::int64_t groups, index_t m) {
  if (groups < 1 || m % groups != 0)
    value_error("groups: expected a divisor of the " + std::to_string(m) + " columns of x, got " +
                std::to_string(groups));
  return static_cast<index_t>(groups);
}

template <class T>
void dropout_forward(const py::object& x_, double p, const py::object& seed_, const py::object& offset_,
                     const py::object& stream_, const py::object& y_, const py::object& mask_) {
  const View<T> x = view<T>(x_, "x", 2, true, false);
  probability(p);
  const std::uint64_t seed = u64_arg(seed_, "seed"), offset = u64_arg(offset_, "offset"),
                      stream = u64_arg(stream_, "stream");
  const View<T> y = rows_like<T>(y_, "y", x, true);
  const View<std::uint8_t> mask = view<std::uint8_t>(mask_, "mask", 2, true, true);
  check_shape("mask", mask.rows, mask.cols, x.rows, x.cols);
  check_outputs<T>({{y, "y"}}, {{x, "x"}}, &mask, true);
  py::gil_scoped_release nogil;
  mlbasics::dropout_forward<T>(x.size(), x.data, p, seed, offset, stream, y.data, mask.data);
}

template <class T>
void dropout_backward(const py::object& g_, const py::object& mask_, double p, const py::object& gx_) {
  const View<T> g = view<T>(g_, "grad_y", 2, true, false);
  const View<std::uint8_t> mask = view<std::uint8_t>(mask_, "mask", 2, true, false);
  check_shape("mask", mask.rows, mask.cols, g.rows, g.cols);
  probability(p);
  const View<T> gx = rows_like<T>(gx_, "grad_x", g, true);
  check_outputs<T>({{gx, "grad_x"}}, {{g, "grad_y"}}, &mask, false);
  py::gil_scoped_release nogil;
  mlbasics::dropout_backward<T>(g.size(), g.data, mask.data, p, gx.data);
}

template <class T>
void batch_norm_forward(const py::object& x_, const py::object& gamma_, const py::object& beta_,
                        const py::object& rm_, const py::object& rv_, bool training, double momentum, double eps,
                        const py::object& y_, const py::object& mean_, const py::object& invstd_) {
  const View<T> x = view<T>(x_, "x", 2, true, false);
  const index_t n = x.rows, m = x.cols;
  const View<T> gamma = vec<T>(gamma_, "gamma", m, false), beta = vec<T>(beta_, "beta", m, false);
  if (rm_.is_none() != rv_.is_none()) value_error("running_mean: expected running_mean and running_var both or neither");
  View<T> rm, rv;
  if (!rm_.is_none()) {
    rm = vec<T>(rm_, "running_mean", m, training);
    rv = vec<T>(rv_, "running_var", m, training);
  }
  if (training && n < 2) value_error("x: expected at least 2 rows in training, got " + std::to_string(n));
  if (!training && rm.data == nullptr) value_error("running_mean: required when training=False, got None");
  if (!(momentum >= 0.0 && momentum <= 1.0))
    value_error("momentum: expected a value in [0, 1], got " + std::to_string(momentum));
  checked_eps(eps);
  const View<T> y = rows_like<T>(y_, "y", x, true);
  const View<T> mean = vec<T>(mean_, "mean", m, true), invstd = vec<T>(invstd_, "invstd", m, true);
  check_outputs<T>({{y, "y"}, {mean, "mean"}, {invstd, "invstd"}}, {{x, "x"}, {gamma, "gamma"}, {beta, "beta"}});
  if (rm.data != nullptr) {
    for (const auto& o : {Named<T>{y, "y"}, {mean, "mean"}, {invstd, "invstd"}}) {
      check_no_overlap(o.first, o.second, rm, "running_mean");
      check_no_overlap(o.first, o.second, rv, "running_var");
    }
    if (training) {
      check_outputs<T>({{rm, "running_mean"}, {rv, "running_var"}}, {{x, "x"}, {gamma, "gamma"}, {beta, "beta"}});
    }
  }
  py::gil_scoped_release nogil;
  mlbasics::batch_norm_forward<T>(n, m, x.data, gamma.data, beta.data, rm.data, rv.data, training, momentum, eps,
                                  y.data, mean.data, invstd.data);
}

template <class T>
void batch_norm_backward(const py::object& g_, const py::object& x_, const py::object& gamma_, const py::object& mean_,
                         const py::object& invstd_, const py::object& gx_, const py::object& gg_, const py::object& gb_) {
  const View<T> g = view<T>(g_, "grad_y", 2, true, false);
  const index_t n = g.rows, m = g.cols;
  const View<T> x = rows_like<T>(x_, "x", g, false);
  if (n < 2) value_error("grad_y: expected at least 2 rows, got " + std::to_string(n));
  const View<T> gamma = vec<T>(gamma_, "gamma", m, false), mean = vec<T>(mean_, "mean", m, false),
                invstd = vec<T>(invstd_, "invstd", m, false);
  const View<T> gx = rows_like<T>(gx_, "grad_x", g, true);
  const View<T> gg = vec<T>(gg_, "grad_gamma", m, true), gb = vec<T>(gb_, "grad_beta", m, true);
  check_outputs<T>({{gx, "grad_x"}, {gg, "grad_gamma"}, {gb, "grad_beta"}},
                   {{g, "grad_y"}, {x, "x"}, {gamma, "gamma"}, {mean, "mean"}, {invstd, "invstd"}});
  py::gil_scoped_release nogil;
  mlbasics::batch_norm_backward<T>(n, m, g.data, x.data, gamma.data, mean.data, invstd.data, gx.data, gg.data, gb.data);
}

template <class T>
void group_norm_forward(const py::object& x_, const py::object& gamma_, const py::object& beta_, std::int64_t groups,
                        double eps, const py::object& y_, const py::object& mean_, const py::object& invstd_) {
  const View<T> x = view<T>(x_, "x", 2, true, false);
  const index_t n = x.rows, m = x.cols;
  const View<T> gamma = vec<T>(gamma_, "gamma", m, false), beta = vec<T>(beta_, "beta", m, false);
  const index_t G = checked_groups(groups, m);
  checked_eps(eps);
  const View<T> y = rows_like<T>(y_, "y", x, true);
  const View<T> mean = view<T>(mean_, "mean", 2, true, true), invstd = view<T>(invstd_, "invstd", 2, true, true);
  check_shape("mean", mean.rows, mean.cols, n, G);
  check_shape("invstd", invstd.rows, invstd.cols, n, G);
  check_outputs<T>({{y, "y"}, {mean, "mean"}, {invstd, "invstd"}}, {{x, "x"}, {gamma, "gamma"}, {beta, "beta"}});
  py::gil_scoped_release nogil;
  mlbasics::group_norm_forward<T>(n, m, G, x.data, gamma.data, beta.data, eps, y.data, mean.data, invstd.data);
}

template <class T>
void group_norm_backward(const py::object& g_, const py::object& x_, const py::object& gamma_, const py::object& mean_,
                         const py::object& invstd_, std::int64_t groups, const py::object& gx_, const py::object& gg_,
                         const py::object& gb_) {
  const View<T> g = view<T>(g_, "grad_y", 2, true, false);
  const index_t n = g.rows, m = g.cols;
  const View<T> x = rows_like<T>(x_, "x", g, false);
  const index_t G = checked_groups(groups, m);
  const View<T> gamma = vec<T>(gamma_, "gamma", m, false);
  const View<T> mean = view<T>(mean_, "mean", 2, true, false), invstd = view<T>(invstd_, "invstd", 2, true, false);
  check_shape("mean", mean.rows, mean.cols, n, G);
  check_shape("invstd", invstd.rows, invstd.cols, n, G);
  const View<T> gx = rows_like<T>(gx_, "grad_x", g, true);
  const View<T> gg = vec<T>(gg_, "grad_gamma", m, true), gb = vec<T>(gb_, "grad_beta", m, true);
  check_outputs<T>({{gx, "grad_x"}, {gg, "grad_gamma"}, {gb, "grad_beta"}},
                   {{g, "grad_y"}, {x, "x"}, {gamma, "gamma"}, {mean, "mean"}, {invstd, "invstd"}});
  py::gil_scoped_release nogil;
  mlbasics::group_norm_backward<T>(n, m, G, g.data, x.data, gamma.data, mean.data, invstd.data, gx.data, gg.data,
                                   gb.data);
}

}  // namespace

void register_norms(py::module_& m) {
  m.def("dropout_forward", [](const py::object& x, double p, const py::object& seed, const py::object& offset,
                              const py::object& stream, const py::object& y, const py::object& mask) {
    dispatch_float(x, "x", [&](auto t) { dropout_forward<decltype(t)>(x, p, seed, offset, stream, y, mask); });
  }, py::arg("x"), py::arg("p"), py::arg("seed"), py::arg("offset"), py::arg("stream"), py::arg("y"), py::arg("mask"),
  "Inverted dropout with a Philox mask: y = x·s where kept, else 0; mask = kept (uint8).");
  m.def("dropout_backward", [](const py::object& grad_y, const py::object& mask, double p, const py::object& grad_x) {
    dispatch_float(grad_y, "grad_y", [&](auto t) { dropout_backward<decltype(t)>(grad_y, mask, p, grad_x); });
  }, py::arg("grad_y"), py::arg("mask"), py::arg("p"), py::arg("grad_x"), "grad_x = grad_y·s where mask == 1, else 0.");
  m.def("batch_norm_forward", [](const py::object& x, const py::object& gamma, const py::object& beta,
                                 const py::object& running_mean, const py::object& running_var, bool training,
                                 double momentum, double eps, const py::object& y, const py::object& mean,
                                 const py::object& invstd) {
    dispatch_float(x, "x", [&](auto t) {
      batch_norm_forward<decltype(t)>(x, gamma, beta, running_mean, running_var, training, momentum, eps, y, mean,
                                      invstd);
    });
  }, py::arg("x"), py::arg("gamma"), py::arg("beta"), py::arg("running_mean"), py::arg("running_var"),
  py::arg("training"), py::arg("momentum"), py::arg("eps"), py::arg("y"), py::arg("mean"), py::arg("invstd"),
  "Batch normalization over the rows of x (training: batch statistics, running ones updated; eval: running ones).");
  m.def("batch_norm_backward", [](const py::object& grad_y, const py::object& x, const py::object& gamma,
                                  const py::object& mean, const py::object& invstd, const py::object& grad_x,
                                  const py::object& grad_gamma, const py::object& grad_beta) {
    dispatch_float(grad_y, "grad_y", [&](auto t) {
      batch_norm_backward<decltype(t)>(grad_y, x, gamma, mean, invstd, grad_x, grad_gamma, grad_beta);
    });
  }, py::arg("grad_y"), py::arg("x"), py::arg("gamma"), py::arg("mean"), py::arg("invstd"), py::arg("grad_x"),
  py::arg("grad_gamma"), py::arg("grad_beta"), "The training-mode gradient of batch_norm_forward.");
  m.def("group_norm_forward", [](const py::object& x, const py::object& gamma, const py::object& beta,
                                 std::int64_t groups, double eps, const py::object& y, const py::object& mean,
                                 const py::object& invstd) {
    dispatch_float(x, "x", [&](auto t) { group_norm_forward<decltype(t)>(x, gamma, beta, groups, eps, y, mean, invstd); });
  }, py::arg("x"), py::arg("gamma"), py::arg("beta"), py::arg("groups"), py::arg("eps"), py::arg("y"), py::arg("mean"),
  py::arg("invstd"), "Group normalization of each row of x over its groups of columns.");
  m.def("group_norm_backward", [](const py::object& grad_y, const py::object& x, const py::object& gamma,
                                  const py::object& mean, const py::object& invstd, std::int64_t groups,
                                  const py::object& grad_x, const py::object& grad_gamma, const py::object& grad_beta) {
    dispatch_float(grad_y, "grad_y", [&](auto t) {
      group_norm_backward<decltype(t)>(grad_y, x, gamma, mean, invstd, groups, grad_x, grad_gamma, grad_beta);
    });
  }, py::arg("grad_y"), py::arg("x"), py::arg("gamma"), py::arg("mean"), py::arg("invstd"), py::arg("groups"),
  py::arg("grad_x"), py::arg("grad_gamma"), py::arg("grad_beta"), "The gradient of group_norm_forward.");
}

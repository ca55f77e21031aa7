// register_optim.cpp — bindings for mlbasics/optim.hpp.
//
// Every step takes a param (written), a grad (read) and state arrays (written), all 1-D,
// C-contiguous, of one length and dtype. Optional state (None) is passed as nullptr.
#include <array>
#include <tuple>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "mlbasics/optim.hpp"

namespace py = pybind11;
using namespace mlbasics_py;

namespace {

// Collects the arrays of one step call, checks them, and hands out pointers.
template <class T>
class StepArgs {
 public:
  StepArgs(const py::object& param, const py::object& grad) {
    const View<T> p = view<T>(param, "param", 1, true, true);
    n_ = p.rows;
    written_.push_back({p, "param"});
    grad_ = add(grad, "grad", false);
  }
  index_t n() const { return n_; }
  const T* grad() const { return grad_; }
  T* param() const { return written_.front().first.data; }

  // A required state array (written in place).
  T* state(const py::object& a, const char* name) { return add(a, name, true); }
  // An optional state array: nullptr for None; required when `needed`.
  T* state(const py::object& o, const char* name, bool needed) {
    if (o.is_none()) {
      if (needed) value_error(std::string(name) + ": required for these hyper-parameters, got None");
      return nullptr;
    }
    return add(o, name, true);
  }

  // Checks the overlaps, then calls kernel(n, param, grad, args...) without the GIL.
  template <class Kernel, class... Args>
  void run(Kernel kernel, Args... args) const {
    check_overlaps();
    py::gil_scoped_release nogil;
    kernel(n_, param(), grad_, args...);
  }

 private:
  // Written arrays may not overlap each other nor grad.
  void check_overlaps() const {
    for (size_t i = 0; i < written_.size(); ++i) {
      const auto& [v, name] = written_[i];
      check_no_overlap(v, name, grad_view_, "grad");
      for (size_t j = i + 1; j < written_.size(); ++j) check_no_overlap(v, name, written_[j].first, written_[j].second);
    }
  }

  T* add(const py::object& a, const char* name, bool writable) {
    const View<T> v = view<T>(a, name, 1, true, writable);
    check_len(name, v.rows, n_);
    if (writable) written_.push_back({v, name}); else grad_view_ = v;
    return v.data;
  }
  index_t n_ = 0;
  const T* grad_ = nullptr;
  View<T> grad_view_;
  std::vector<std::pair<View<T>, const char*>> written_;
};

void check_step(std::int64_t step) {
  if (step < 1) value_error("step: expected the 1-based number of this update, got " + std::to_string(step));
}

template <class T>
void sgd(const py::object& param, const py::object& grad, const py::object& buf, double lr, double momentum,
         double dampening, double weight_decay, bool nesterov, bool first_step) {
  StepArgs<T> s(param, grad);
  T* b = s.state(buf, "momentum_buf", momentum != 0.0);
  s.run(mlbasics::sgd_step<T>, momentum != 0.0 ? b : nullptr, lr, momentum, dampening, weight_decay, nesterov,
        first_step);
}

// A step whose state arrays are all required: checks param, grad and the states (in this order),
// then calls kernel(n, param, grad, state pointers..., hyper...) without the GIL.
template <class T, std::size_t N, class Kernel, class... Hyper>
void run_with_states(Kernel kernel, const py::object& param, const py::object& grad,
                     const std::pair<py::object, const char*> (&states)[N], Hyper... hyper) {
  StepArgs<T> s(param, grad);
  std::array<T*, N> ptrs;
  for (std::size_t i = 0; i < N; ++i) ptrs[i] = s.state(states[i].first, states[i].second);
  std::apply([&](auto... p) { s.run(kernel, p..., hyper...); }, ptrs);
}

template <class T>
void adam(const py::object& param, const py::object& grad, const py::object& m, const py::object& v, std::int64_t step,
          double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled) {
  check_step(step);
  run_with_states<T>(mlbasics::adam_step<T>, param, grad, {{m, "exp_avg"}, {v, "exp_avg_sq"}}, step, lr, beta1, beta2,
                     eps, weight_decay, decoupled);
}

template <class T>
void rmsprop(const py::object& param, const py::object& grad, const py::object& square_avg,
             const py::object& momentum_buffer, const py::object& grad_avg, double lr, double alpha, double eps,
             double weight_decay, double momentum, bool centered) {
  StepArgs<T> s(param, grad);
  T* sq = s.state(square_avg, "square_avg");
  T* mb = s.state(momentum_buffer, "momentum_buffer", momentum > 0.0);
  T* ga = s.state(grad_avg, "grad_avg", centered);
  s.run(mlbasics::rmsprop_step<T>, sq, momentum > 0.0 ? mb : nullptr, centered ? ga : nullptr, lr, alpha, eps,
        weight_decay, momentum, centered);
}

template <class T>
void adagrad(const py::object& param, const py::object& grad, const py::object& sum, std::int64_t step, double lr,
             double lr_decay, double weight_decay, double eps) {
  check_step(step);
  run_with_states<T>(mlbasics::adagrad_step<T>, param, grad, {{sum, "sum"}}, step, lr, lr_decay, weight_decay, eps);
}

template <class T>
void adadelta(const py::object& param, const py::object& grad, const py::object& square_avg, const py::object& acc_delta,
              double lr, double rho, double eps, double weight_decay) {
  run_with_states<T>(mlbasics::adadelta_step<T>, param, grad, {{square_avg, "square_avg"}, {acc_delta, "acc_delta"}},
                     lr, rho, eps, weight_decay);
}

template <class T>
void rprop(const py::object& param, const py::object& grad, const py::object& prev, const py::object& step_size,
           double etaminus, double etaplus, double step_size_min, double step_size_max) {
  run_with_states<T>(mlbasics::rprop_step<T>, param, grad, {{prev, "prev"}, {step_size, "step_size"}}, etaminus,
                     etaplus, step_size_min, step_size_max);
}

#define MLB_DISPATCH(fn, ...) dispatch_float(param, "param", [&](auto t) { fn<decltype(t)>(__VA_ARGS__); })

}  // namespace

void register_optim(py::module_& m) {
  m.def("sgd_step", [](const py::object& param, const py::object& grad, const py::object& momentum_buf, double lr,
                       double momentum, double dampening, double weight_decay, bool nesterov, bool first_step) {
    MLB_DISPATCH(sgd, param, grad, momentum_buf, lr, momentum, dampening, weight_decay, nesterov, first_step);
  }, py::arg("param"), py::arg("grad"), py::arg("momentum_buf").none(true), py::arg("lr"), py::arg("momentum"),
  py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"), py::arg("first_step"));
  m.def("adam_step", [](const py::object& param, const py::object& grad, const py::object& exp_avg,
                        const py::object& exp_avg_sq, std::int64_t step, double lr, double beta1, double beta2,
                        double eps, double weight_decay, bool decoupled) {
    MLB_DISPATCH(adam, param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, decoupled);
  }, py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("step"), py::arg("lr"),
  py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("decoupled_weight_decay"));
  m.def("rmsprop_step", [](const py::object& param, const py::object& grad, const py::object& square_avg,
                           const py::object& momentum_buffer, const py::object& grad_avg, double lr, double alpha,
                           double eps, double weight_decay, double momentum, bool centered) {
    MLB_DISPATCH(rmsprop, param, grad, square_avg, momentum_buffer, grad_avg, lr, alpha, eps, weight_decay,
                 momentum, centered);
  }, py::arg("param"), py::arg("grad"), py::arg("square_avg"), py::arg("momentum_buffer").none(true),
  py::arg("grad_avg").none(true), py::arg("lr"), py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"),
  py::arg("momentum"), py::arg("centered"));
  m.def("adagrad_step", [](const py::object& param, const py::object& grad, const py::object& sum, std::int64_t step,
                           double lr, double lr_decay, double weight_decay, double eps) {
    MLB_DISPATCH(adagrad, param, grad, sum, step, lr, lr_decay, weight_decay, eps);
  }, py::arg("param"), py::arg("grad"), py::arg("sum"), py::arg("step"), py::arg("lr"), py::arg("lr_decay"),
  py::arg("weight_decay"), py::arg("eps"));
  m.def("adadelta_step", [](const py::object& param, const py::object& grad, const py::object& square_avg,
                            const py::object& acc_delta, double lr, double rho, double eps, double weight_decay) {
    MLB_DISPATCH(adadelta, param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay);
  }, py::arg("param"), py::arg("grad"), py::arg("square_avg"), py::arg("acc_delta"), py::arg("lr"), py::arg("rho"),
  py::arg("eps"), py::arg("weight_decay"));
  m.def("rprop_step", [](const py::object& param, const py::object& grad, const py::object& prev,
                         const py::object& step_size, double etaminus, double etaplus, double step_size_min,
                         double step_size_max) {
    MLB_DISPATCH(rprop, param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max);
  }, py::arg("param"), py::arg("grad"), py::arg("prev"), py::arg("step_size"), py::arg("etaminus"),
  py::arg("etaplus"), py::arg("step_size_min"), py::arg("step_size_max"));
}

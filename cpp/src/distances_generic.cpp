// distances_generic.cpp — the portable k-means assignment loop (plain C++). Always compiled.
#include "distances_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

template <class T>
void assign_rows(std::ptrdiff_t rows, std::ptrdiff_t k, std::ptrdiff_t ldp, std::ptrdiff_t p, T* prod, const T* cc,
                 const T* x, const T* centers, const T* w, std::int64_t* labels, T* sq_dist, double* sums,
                 double* weights) {
  for (std::ptrdiff_t i = 0; i < rows; ++i) {
    const std::ptrdiff_t j = argmin_scalar(k, cc, prod + i * ldp);
    const T* xi = x + i * p;
    const T* cj = centers + j * p;
    labels[i] = j;
    if (sq_dist) {
      double s = 0.0;
      for (std::ptrdiff_t q = 0; q < p; ++q) {
        const double d = static_cast<double>(xi[q]) - static_cast<double>(cj[q]);
        s += d * d;
      }
      sq_dist[i] = static_cast<T>(s);
    }
    const double wi = w ? static_cast<double>(w[i]) : 1.0;
    add_row(p, xi, wi, sums + j * p);
    weights[j] += wi;
  }
}

}  // namespace

const AssignRows<float> assign_rows_generic_f32 = &assign_rows<float>;
const AssignRows<double> assign_rows_generic_f64 = &assign_rows<double>;

}  // namespace detail
}  // namespace mlbasics

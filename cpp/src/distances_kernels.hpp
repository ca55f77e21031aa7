// distances_kernels.hpp — internals of the k-means assignment: the loop that consumes one block
// of products (argmin, direct distance, per-centre sums) is compiled once per ISA
// (distances_generic.cpp, distances_avx2.cpp); distances.cpp picks one from cpu_path().
#pragma once
#include <cstdint>

#include "mlbasics/gemm.hpp"

namespace mlbasics {
namespace detail {

// For each of `rows` rows i (x_i = x + i·p): j = argmin over the k values cc[j] − 2·prod[i·ldp + j]
// (the first minimum; a NaN wins, as np.argmin), labels[i] = j, sq_dist[i] = ‖x_i − c_j‖² summed
// in double (unless sq_dist is nullptr), sums[j·p + q] += w_i·x_i[q] and weights[j] += w_i in
// double (w_i = 1 without w). prod is scratch: the loop may overwrite it.
template <class T>
using AssignRows = void (*)(std::ptrdiff_t rows, std::ptrdiff_t k, std::ptrdiff_t ldp, std::ptrdiff_t p, T* prod, const T* cc,
                            const T* x, const T* centers, const T* w, std::int64_t* labels, T* sq_dist,
                            double* sums, double* weights);

extern const AssignRows<float> assign_rows_generic_f32;
extern const AssignRows<double> assign_rows_generic_f64;
#if defined(MLBASICS_HAVE_AVX2_TU)
extern const AssignRows<float> assign_rows_avx2_f32;
extern const AssignRows<double> assign_rows_avx2_f64;
#endif

// The scalar argmin of the contract (first minimum, first NaN wins) of cc[j] − 2·prod[j].
template <class T>
inline std::ptrdiff_t argmin_scalar(std::ptrdiff_t k, const T* cc, const T* prod) {
  // Branch-free first pass (selects, not jumps: the winner is unpredictable when centres are
  // close together); a row that meets a NaN is redone by the NaN-aware loop.
  std::ptrdiff_t b = 0;
  T bv = cc[0] - T(2) * prod[0];
  bool nan = bv != bv;
  for (std::ptrdiff_t j = 1; j < k; ++j) {
    const T d = cc[j] - T(2) * prod[j];
    nan |= d != d;
    const bool lt = d < bv;
    bv = lt ? d : bv;
    b = lt ? j : b;
  }
  if (!nan) return b;
  b = 0;
  bv = cc[0] - T(2) * prod[0];
  for (std::ptrdiff_t j = 1; j < k && bv == bv; ++j) {
    const T d = cc[j] - T(2) * prod[j];
    if (d < bv || d != d) { bv = d; b = j; }
  }
  return b;
}

// The bookkeeping after the argmin, shared by both ISAs (the compiler vectorizes the loops).
template <class T>
inline void add_row(std::ptrdiff_t p, const T* xi, double wi, double* s) {
  for (std::ptrdiff_t q = 0; q < p; ++q) s[q] += wi * static_cast<double>(xi[q]);
}

}  // namespace detail
}  // namespace mlbasics

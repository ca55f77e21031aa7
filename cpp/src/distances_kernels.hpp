// distances_kernels.hpp — internals of the k-means assignment: the loop that consumes one block
// of products (argmin, direct distance, per-centre sums) is compiled once per ISA
// (distances_generic.cpp, distances_avx2.cpp, distances_avx512.cpp); distances.cpp picks one from
// cpu_path(). For a few centres (k ≤ 2 vectors) the AVX2 and AVX-512 TUs also have a direct loop
// with no GEMM (distances_direct.hpp): the products of a group of rows against all k centres in
// registers.
#pragma once
#include <cstdint>

#include "mlbasics/gemm.hpp"

namespace mlbasics {
namespace detail {

// For each of `rows` rows i (x_i = x + i·p): j = argmin over the k values cc[j] − 2·prod[i·ldp + j]
// (the first minimum; a NaN wins, as np.argmin), labels[i] = j, sq_dist[i] = ‖x_i − c_j‖² summed
// in double (unless sq_dist is nullptr), sums[j·p + q] += w_i·x_i[q] and weights[j] += w_i in
// double (w_i = 1 without w). prod is scratch: the loop may overwrite it.
// Force the family this group of kernels runs ("generic", "avx2", "avx512" where available), or
// nullptr for cpu_path() again (tests). False, and nothing changed, for anything else.
bool set_distances_kernel_path(const char* name);

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

// The direct assignment of `rows` rows against k ≤ max_k (≤ direct_max_k<T>) centres, no GEMM: the same
// outputs as AssignRows (labels, optional sq_dist, sums and weights added in row order), with each
// product x_i·c_j accumulated in registers in one fixed order for every centre (so equal centres
// give equal products and ties go low). `pack` lays the centres and their norms cc out as the
// loop reads them, in direct_pack_size<T>(p) values; `assign` then runs on any rows.
template <class T>
struct AssignDirect {
  std::ptrdiff_t max_k;  // two vectors of T on this path
  void (*pack)(std::ptrdiff_t k, std::ptrdiff_t p, const T* centers, const T* cc, T* packed);
  void (*assign)(std::ptrdiff_t rows, std::ptrdiff_t k, std::ptrdiff_t p, const T* packed, const T* x,
                 const T* centers, const T* w, std::int64_t* labels, T* sq_dist, double* sums, double* weights);
};
template <class T>
constexpr std::ptrdiff_t direct_max_k = 128 / static_cast<std::ptrdiff_t>(sizeof(T));  // two zmm of T: any path's max_k
template <class T>
constexpr std::ptrdiff_t direct_pack_size(std::ptrdiff_t p) { return (p + 2) * direct_max_k<T>; }

#if defined(MLBASICS_HAVE_AVX2_TU)
extern const AssignDirect<float> assign_direct_avx2_f32;
extern const AssignDirect<double> assign_direct_avx2_f64;
#endif

// The neighbour search's filter: the first c in [c0, cols) with yy[c] − 2·v[c] < top (top a
// number; a NaN value is never below it), or cols.
template <class T>
using NextBelow = std::ptrdiff_t (*)(std::ptrdiff_t c0, std::ptrdiff_t cols, const T* yy, const T* v, T top);

// The minima of yy[c] − 2·v[c] over kGroupMinima disjoint groups of the cols candidates (NaN
// left out; +inf for a group with no number).
constexpr std::ptrdiff_t kGroupMinima = 64;
template <class T>
using GroupMinima = void (*)(std::ptrdiff_t cols, const T* yy, const T* v, T* minima);

#if defined(MLBASICS_HAVE_AVX512_TU)
extern const GroupMinima<float> group_minima_avx512_f32;
extern const GroupMinima<double> group_minima_avx512_f64;
extern const NextBelow<float> next_below_avx512_f32;
extern const NextBelow<double> next_below_avx512_f64;
extern const AssignRows<float> assign_rows_avx512_f32;
extern const AssignRows<double> assign_rows_avx512_f64;
extern const AssignDirect<float> assign_direct_avx512_f32;
extern const AssignDirect<double> assign_direct_avx512_f64;
#endif

// The helpers below have internal linkage: each ISA's TU compiles its own copy, so the linker can
// never hand a portable TU the AVX2 build of one (or the other way round).
namespace {

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

}  // namespace
}  // namespace detail
}  // namespace mlbasics

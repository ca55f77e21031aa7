// mlbasics/distances.hpp — squared Euclidean distances through the GEMM, the k-means assignment
// step and k nearest neighbours. Every array is row-major and contiguous.
#pragma once
#include <cstdint>
#include "mlbasics/gemm.hpp"

namespace mlbasics {

// out (n, m): ‖x_i − y_j‖² = ‖x_i‖² − 2 x_i·y_j + ‖y_j‖², clamped at 0 (NaN kept). x (n, p),
// y (m, p). same: y is x (m == n); then out is exactly symmetric with a zero diagonal.
template <class T>
void pairwise_sq_distances(index_t n, index_t m, index_t p, const T* x, const T* y, bool same, T* out);

// One Lloyd assignment pass over x (n, p) against centers (k, p), n, k >= 1:
// labels[i] = argmin_j (‖c_j‖² − 2 x_i·c_j) (first minimum; a NaN value wins, as np.argmin),
// sq_dist[i] = ‖x_i − c_labels[i]‖² computed directly (skipped when sq_dist is nullptr), sums (k, p) = Σ w_i x_i and weights (k) =
// Σ w_i over the rows of each label (w = 1 when sample_weight is nullptr). Sums are accumulated in
// double over fixed chunks of rows merged in chunk order: the result does not depend on threads.
template <class T>
void kmeans_step(index_t n, index_t p, index_t k, const T* x, const T* centers, const T* sample_weight,
                 std::int64_t* labels, T* sq_dist, T* sums, T* weights);

// For each row of x (n, p), the kn rows of y (m, p) with the smallest ‖y_j‖² − 2 x_i·y_j (ties to
// the lower index, NaN after every number), row i itself excluded when same (y is x); then their
// exact squared distances, each row ordered by (distance, index). sq_dist and indices are (n, kn);
// 1 <= kn <= m (m − 1 when same).
template <class T>
void nearest_neighbors(index_t n, index_t m, index_t p, const T* x, const T* y, bool same, index_t kn,
                       T* sq_dist, std::int64_t* indices);

}  // namespace mlbasics

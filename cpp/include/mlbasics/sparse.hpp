// mlbasics/sparse.hpp — products of a CSR matrix with a dense row-major matrix.
//
// A CSR matrix X (n_rows, n_cols) is given by data, indices and indptr: row i holds the entries
// data[e] at columns indices[e] for e in [indptr[i], indptr[i+1]). indptr[0] need not be 0 (a
// slice of a larger matrix's rows). Duplicate columns in a row are summed, unsorted columns are
// fine. Preconditions (the caller checks them): indptr non-decreasing, every indices[e] used in
// [0, n_cols). I is std::int32_t or std::int64_t; T is float or double.
#pragma once
#include <cstdint>
#include "mlbasics/gemm.hpp"

namespace mlbasics {

// out (n_rows, k) = X · b, b (n_cols, k). Parallel over rows, the rows split so that each thread
// gets about the same number of entries.
template <class T, class I>
void csr_matmul(index_t n_rows, index_t k, const T* data, const I* indices, const I* indptr, const T* b, T* out);

// out (n_cols, k) += Xᵀ · g, g (n_rows, k). Each thread owns a range of out's rows and reads every
// entry, keeping those in its range: no races, and every element sums its terms in entry order, so
// the result is the same on any number of threads.
template <class T, class I>
void csr_matmul_t_add(index_t n_rows, index_t n_cols, index_t k, const T* data, const I* indices, const I* indptr,
                      const T* g, T* out);

}  // namespace mlbasics

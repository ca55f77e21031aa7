// norms.cpp — dropout, batch normalization and group normalization kernels (mlbasics/norms.hpp).
// The arithmetic lives in norms_kernels.hpp (shared with the fused MLP epoch); here the work is
// split over the pool when it is large: dropout over chunks of elements (each chunk draws its own,
// disjoint range of Philox words, so the mask does not depend on the threads), batch norm over
// blocks of columns, group norm over blocks of rows (its γ/β gradients over blocks of columns).
#include "mlbasics/norms.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cpu_internal.hpp"
#include "mlbasics/parallel.hpp"
#include "norms_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {
KernelPathSwitch g_norms_path;
}  // namespace

philox_words_fn philox_words_kernel() {
  const Isa isa = g_norms_path.isa();
#if defined(MLBASICS_HAVE_AVX512_TU)
  if (isa == Isa::avx512) return &philox_words_avx512;
#endif
#if defined(MLBASICS_HAVE_AVX2_TU)
  // a SIMD path without words of its own runs the AVX2 ones (its CPUs have AVX2 too)
  if (isa != Isa::generic) return &philox_words_avx2;
#endif
  (void)isa;
  return &philox_words_batched;
}

bool set_norms_kernel_path(const char* name) { return g_norms_path.force(name); }

}  // namespace detail

namespace {

// Work (elements) below which a kernel runs on the calling thread.
constexpr index_t kThreadMinElems = index_t{1} << 16;

// Column blocks of a multiple of 16 columns, each with about kThreadMinElems / 2 elements.
index_t column_grain(index_t n) { return std::max<index_t>(16, ((kThreadMinElems / 2) / std::max<index_t>(n, 1) + 15) / 16 * 16); }

// Calls body(j0, j1) over column blocks of an (n, m) array: in parallel when n·m is large.
template <class F>
void over_columns(index_t n, index_t m, F&& body) {
  if (n * m < kThreadMinElems) {
    body(index_t{0}, m);
    return;
  }
  const index_t grain = column_grain(n);
  parallel_for((m + grain - 1) / grain, 1, [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
    body(static_cast<index_t>(b0) * grain, std::min<index_t>(m, static_cast<index_t>(b1) * grain));
  });
}

// Calls body(i0, i1) over row blocks of an (n, m) array: in parallel when n·m is large.
template <class F>
void over_rows(index_t n, index_t m, F&& body) {
  if (n * m < kThreadMinElems) {
    body(index_t{0}, n);
    return;
  }
  const index_t grain = std::max<index_t>(1, (kThreadMinElems / 2) / std::max<index_t>(m, 1));
  parallel_for(n, grain, [&](std::ptrdiff_t i0, std::ptrdiff_t i1) { body(static_cast<index_t>(i0), static_cast<index_t>(i1)); });
}

}  // namespace

template <class T>
void dropout_forward(index_t count, const T* x, double p, std::uint64_t seed, std::uint64_t offset,
                     std::uint64_t stream, T* y, std::uint8_t* mask) {
  if (count <= 0) return;
  const std::uint32_t thr = detail::keep_threshold(p);
  const T s = detail::dropout_scale<T>(p);
  if (count < kThreadMinElems) {
    detail::dropout_range<T>(count, x, seed, offset, stream, thr, s, y, mask);
    return;
  }
  // chunks of whole Philox blocks (4 words): no block is computed twice
  constexpr index_t kChunk = 4096;
  parallel_for((count + kChunk - 1) / kChunk, 4, [&](std::ptrdiff_t c0, std::ptrdiff_t c1) {
    const index_t e0 = static_cast<index_t>(c0) * kChunk, e1 = std::min<index_t>(count, static_cast<index_t>(c1) * kChunk);
    detail::dropout_range<T>(e1 - e0, x + e0, seed, offset + static_cast<std::uint64_t>(e0), stream, thr, s, y + e0,
                             mask + e0);
  });
}

template <class T>
void dropout_backward(index_t count, const T* grad_y, const std::uint8_t* mask, double p, T* grad_x) {
  if (count <= 0) return;
  const T s = detail::dropout_scale<T>(p);
  over_rows(count, 1, [&](index_t e0, index_t e1) {
    detail::dropout_backward_range<T>(e1 - e0, grad_y + e0, mask + e0, s, grad_x + e0);
  });
}

template <class T>
void batch_norm_forward(index_t n, index_t m, const T* x, const T* gamma, const T* beta, T* running_mean,
                        T* running_var, bool training, double momentum, double eps, T* y, T* mean, T* invstd) {
  if (m <= 0) return;
  over_columns(n, m, [&](index_t j0, index_t j1) {
    const index_t w = j1 - j0;
    std::vector<double> mu(static_cast<std::size_t>(w)), var(static_cast<std::size_t>(w)), inv(mu.size());
    if (training) {
      detail::column_stats<T>(n, m, j0, j1, x, mu.data(), var.data());
      if (running_mean != nullptr) {
        const double unbias = static_cast<double>(n) / static_cast<double>(n - 1);
        for (index_t j = 0; j < w; ++j) {
          const index_t c = j0 + j;
          running_mean[c] = static_cast<T>((1.0 - momentum) * static_cast<double>(running_mean[c]) + momentum * mu[j]);
          running_var[c] =
              static_cast<T>((1.0 - momentum) * static_cast<double>(running_var[c]) + momentum * var[j] * unbias);
        }
      }
    } else {
      for (index_t j = 0; j < w; ++j) {
        mu[j] = static_cast<double>(running_mean[j0 + j]);
        var[j] = static_cast<double>(running_var[j0 + j]);
      }
    }
    for (index_t j = 0; j < w; ++j) {
      inv[j] = 1.0 / std::sqrt(var[j] + eps);
      mean[j0 + j] = static_cast<T>(mu[j]);
      invstd[j0 + j] = static_cast<T>(inv[j]);
    }
    for (index_t i = 0; i < n; ++i)
      detail::normalize_row<T>(w, x + i * m + j0, mu.data(), inv.data(), gamma + j0, beta + j0, y + i * m + j0);
  });
}

template <class T>
void batch_norm_backward(index_t n, index_t m, const T* grad_y, const T* x, const T* gamma, const T* mean,
                         const T* invstd, T* grad_x, T* grad_gamma, T* grad_beta) {
  if (m <= 0) return;
  over_columns(n, m, [&](index_t j0, index_t j1) {
    const index_t w = j1 - j0;
    std::vector<double> gb(static_cast<std::size_t>(w)), gg(gb.size());
    detail::batch_norm_backward_cols<T>(n, m, j0, j1, grad_y, x, gamma, mean, invstd, grad_x, gb.data(), gg.data());
    for (index_t j = 0; j < w; ++j) {
      grad_gamma[j0 + j] = static_cast<T>(gg[j]);
      grad_beta[j0 + j] = static_cast<T>(gb[j]);
    }
  });
}

template <class T>
void group_norm_forward(index_t n, index_t m, index_t groups, const T* x, const T* gamma, const T* beta, double eps,
                        T* y, T* mean, T* invstd) {
  if (n <= 0 || m <= 0) return;
  over_rows(n, m, [&](index_t i0, index_t i1) {
    std::vector<double> mu(static_cast<std::size_t>(groups)), inv(mu.size());
    for (index_t i = i0; i < i1; ++i) {
      detail::group_stats_row<T>(m, groups, x + i * m, eps, mu.data(), inv.data());
      detail::group_normalize_row<T>(m, groups, x + i * m, mu.data(), inv.data(), gamma, beta, y + i * m);
      for (index_t g = 0; g < groups; ++g) {
        mean[i * groups + g] = static_cast<T>(mu[g]);
        invstd[i * groups + g] = static_cast<T>(inv[g]);
      }
    }
  });
}

template <class T>
void group_norm_backward(index_t n, index_t m, index_t groups, const T* grad_y, const T* x, const T* gamma,
                         const T* mean, const T* invstd, T* grad_x, T* grad_gamma, T* grad_beta) {
  if (m <= 0) return;
  over_columns(n, m, [&](index_t j0, index_t j1) {
    const index_t w = j1 - j0;
    std::vector<double> gg(static_cast<std::size_t>(w)), gb(gg.size());
    detail::group_norm_param_grads_cols<T>(n, m, groups, j0, j1, grad_y, x, mean, invstd, gg.data(), gb.data());
    for (index_t j = 0; j < w; ++j) {
      grad_gamma[j0 + j] = static_cast<T>(gg[j]);
      grad_beta[j0 + j] = static_cast<T>(gb[j]);
    }
  });
  if (n <= 0) return;
  over_rows(n, m, [&](index_t i0, index_t i1) {
    for (index_t i = i0; i < i1; ++i)
      detail::group_norm_backward_row<T>(m, groups, grad_y + i * m, x + i * m, gamma, mean + i * groups,
                                         invstd + i * groups, grad_x + i * m);
  });
}

#define MLBASICS_NORMS_INSTANTIATE(T)                                                                              \
  template void dropout_forward<T>(index_t, const T*, double, std::uint64_t, std::uint64_t, std::uint64_t, T*,     \
                                   std::uint8_t*);                                                                 \
  template void dropout_backward<T>(index_t, const T*, const std::uint8_t*, double, T*);                          \
  template void batch_norm_forward<T>(index_t, index_t, const T*, const T*, const T*, T*, T*, bool, double, double, \
                                      T*, T*, T*);                                                                 \
  template void batch_norm_backward<T>(index_t, index_t, const T*, const T*, const T*, const T*, const T*, T*, T*, \
                                       T*);                                                                        \
  template void group_norm_forward<T>(index_t, index_t, index_t, const T*, const T*, const T*, double, T*, T*, T*); \
  template void group_norm_backward<T>(index_t, index_t, index_t, const T*, const T*, const T*, const T*, const T*, \
                                       T*, T*, T*);
MLBASICS_NORMS_INSTANTIATE(float)
MLBASICS_NORMS_INSTANTIATE(double)
#undef MLBASICS_NORMS_INSTANTIATE

}  // namespace mlbasics

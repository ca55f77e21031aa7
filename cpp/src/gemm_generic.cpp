// gemm_generic.cpp — portable micro-kernels (plain C++; GCC/Clang vectorize the inner loops
// for the baseline ISA, e.g. SSE2 on x86-64, NEON on aarch64).
#include "gemm_kernels.hpp"
#include "gemm_gemv.hpp"

namespace mlbasics {
namespace detail {
namespace {

// The MR rows are processed RB at a time so that the RB×NR accumulators fit in the 16 vector
// registers of SSE2/NEON; the B micro-panel (kc×NR) is re-read from L1 for each row group.
template <class T, int MR, int NR, int RB>
inline void kernel_generic(index_t kc, const T* __restrict ap, const T* __restrict bp,
                           T* c, index_t ldc, int mr, int nr, bool add) {
  static_assert(MR % RB == 0, "row groups must tile MR");
  alignas(64) T tile[MR * NR];
  for (int r0 = 0; r0 < MR; r0 += RB) {
    T acc[RB][NR];
    for (int i = 0; i < RB; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] = T(0);
    const T* a = ap + r0;
    const T* b = bp;
    for (index_t p = 0; p < kc; ++p, a += MR, b += NR) {
      for (int i = 0; i < RB; ++i) {
        const T ai = a[i];
        for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
      }
    }
    for (int i = 0; i < RB; ++i)
      for (int j = 0; j < NR; ++j) tile[(r0 + i) * NR + j] = acc[i][j];
  }
  store_tile<T, MR, NR>(tile, c, ldc, mr, nr, add);
}

// The portable family's tile: 6×16 floats / 6×8 doubles (the AVX2 family's shape, so that the
// two give the same blocking), every tile run by the same code (split_nr = 0).
constexpr int kMR = 6, kNRf = 16, kNRd = 8;

void ukernel_generic_f32(index_t kc, const float* ap, const float* bp, float* c, index_t ldc, int mr, int nr,
                         bool add) {
  kernel_generic<float, kMR, kNRf, 2>(kc, ap, bp, c, ldc, mr, nr, add);
}
void ukernel_generic_f64(index_t kc, const double* ap, const double* bp, double* c, index_t ldc, int mr, int nr,
                         bool add) {
  kernel_generic<double, kMR, kNRd, 2>(kc, ap, bp, c, ldc, mr, nr, add);
}

}  // namespace

const GemmContext<float> gemm_context_generic_f32 = {"generic", kMR, kNRf, 256, 144, 4080, 0, &ukernel_generic_f32,
                                                     nullptr, nullptr, nullptr, &gemv_rows<float>, nullptr, 0};
const GemmContext<double> gemm_context_generic_f64 = {"generic", kMR, kNRd, 256, 72, 4080, 0, &ukernel_generic_f64,
                                                      nullptr, nullptr, nullptr, &gemv_rows<double>, nullptr, 0};

}  // namespace detail
}  // namespace mlbasics

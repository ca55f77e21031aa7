// norms_avx2.cpp — Philox4x32-10 words with AVX2: 16 counters at a time in two independent sets
// of 8 lanes (the 32×32→64-bit products by vpmuludq on even and odd lanes), the same words as
// philox.hpp's philox_words. Only reached after cpu_path() has checked CPUID and XGETBV; x86-64
// builds only.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "norms_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

struct Lanes {
  __m256i c0, c1, c2, c3;
};

// hi32 and lo32 of the lane-wise 64-bit products a·m (a: 8 lanes of uint32, m: the multiplier
// broadcast in every 64-bit lane).
inline void mul_hilo(__m256i a, __m256i m, __m256i& hi, __m256i& lo) {
  const __m256i pe = _mm256_mul_epu32(a, m);                          // lanes 0, 2, 4, 6
  const __m256i po = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);   // lanes 1, 3, 5, 7
  hi = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
  lo = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
}

inline void round(Lanes& s, __m256i m0, __m256i m1, __m256i k0, __m256i k1) {
  __m256i hi0, lo0, hi1, lo1;
  mul_hilo(s.c0, m0, hi0, lo0);
  mul_hilo(s.c2, m1, hi1, lo1);
  const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, s.c1), k0);
  const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, s.c3), k1);
  s.c1 = lo1;
  s.c3 = lo0;
  s.c0 = n0;
  s.c2 = n2;
}

// The 32 words of 8 consecutive blocks, in order, to out.
inline void store_words(const Lanes& s, std::uint32_t* out) {
  const __m256i a = _mm256_unpacklo_epi32(s.c0, s.c1), b = _mm256_unpackhi_epi32(s.c0, s.c1);
  const __m256i c = _mm256_unpacklo_epi32(s.c2, s.c3), d = _mm256_unpackhi_epi32(s.c2, s.c3);
  const __m256i r0 = _mm256_unpacklo_epi64(a, c), r1 = _mm256_unpackhi_epi64(a, c);  // blocks 0|4, 1|5
  const __m256i r2 = _mm256_unpacklo_epi64(b, d), r3 = _mm256_unpackhi_epi64(b, d);  // blocks 2|6, 3|7
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permute2x128_si256(r0, r1, 0x20));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8), _mm256_permute2x128_si256(r2, r3, 0x20));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16), _mm256_permute2x128_si256(r0, r1, 0x31));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 24), _mm256_permute2x128_si256(r2, r3, 0x31));
}

// The 64 words of the 16 blocks block, block + 1, ... (block numbers mod 2⁶²).
inline void blocks16(std::uint64_t block, __m256i s0, __m256i s1, std::uint32_t k0, std::uint32_t k1,
                     std::uint32_t* out) {
  constexpr std::uint64_t kBlockMask = (std::uint64_t{1} << 62) - 1;
  alignas(32) std::uint32_t lo[16], hi[16];
  for (int i = 0; i < 16; ++i) {
    const std::uint64_t b = (block + static_cast<std::uint64_t>(i)) & kBlockMask;
    lo[i] = static_cast<std::uint32_t>(b);
    hi[i] = static_cast<std::uint32_t>(b >> 32);
  }
  Lanes A{_mm256_load_si256(reinterpret_cast<const __m256i*>(lo)), _mm256_load_si256(reinterpret_cast<const __m256i*>(hi)),
          s0, s1};
  Lanes B{_mm256_load_si256(reinterpret_cast<const __m256i*>(lo + 8)),
          _mm256_load_si256(reinterpret_cast<const __m256i*>(hi + 8)), s0, s1};
  const __m256i m0 = _mm256_set1_epi64x(0xD2511F53), m1 = _mm256_set1_epi64x(0xCD9E8D57);
  std::uint32_t K0 = k0, K1 = k1;
  for (int r = 0; r < 10; ++r) {
    if (r) {
      K0 += 0x9E3779B9u;
      K1 += 0xBB67AE85u;
    }
    const __m256i kk0 = _mm256_set1_epi32(static_cast<int>(K0)), kk1 = _mm256_set1_epi32(static_cast<int>(K1));
    round(A, m0, m1, kk0, kk1);
    round(B, m0, m1, kk0, kk1);
  }
  store_words(A, out);
  store_words(B, out + 32);
}

}  // namespace

void philox_words_avx2(std::uint64_t seed, std::uint64_t stream, std::uint64_t offset, std::int64_t n,
                       std::uint32_t* out) {
  const std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  const __m256i s0 = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(stream)));
  const __m256i s1 = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(stream >> 32)));
  std::uint64_t block = offset >> 2;
  unsigned skip = static_cast<unsigned>(offset & 3u);
  while (n > 0) {
    if (skip == 0 && n >= 64) {
      blocks16(block, s0, s1, k0, k1, out);
      out += 64;
      n -= 64;
    } else {
      std::uint32_t tmp[64];
      blocks16(block, s0, s1, k0, k1, tmp);
      const std::int64_t c = n < 64 - static_cast<std::int64_t>(skip) ? n : 64 - static_cast<std::int64_t>(skip);
      std::memcpy(out, tmp + skip, static_cast<std::size_t>(c) * sizeof(std::uint32_t));
      out += c;
      n -= c;
      skip = 0;
    }
    block += 16;
  }
}

}  // namespace detail
}  // namespace mlbasics

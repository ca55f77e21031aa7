// norms_avx512.cpp — Philox4x32-10 words with AVX-512: 32 counters at a time in two independent
// sets of 16 lanes (the 32×32→64-bit products by vpmuludq on even and odd lanes, merged with
// masked blends), the same words as philox.hpp's philox_words and norms_avx2.cpp's. Only reached
// after cpu_path() has checked CPUID and XGETBV; x86-64 builds whose compiler takes AVX-512 only.
// GCC 12's unmasked AVX-512 shift and multiply intrinsics pass _mm512_undefined_epi32() (a
// self-initialized vector) as their pass-through operand, which -Wmaybe-uninitialized reports
// from inside the header; the value is never read (all lanes are written).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "norms_kernels.hpp"

namespace mlbasics {
namespace detail {
namespace {

struct Lanes16 {
  __m512i c0, c1, c2, c3;
};

// hi32 and lo32 of the lane-wise 64-bit products a·m (a: 16 lanes of uint32, m: the multiplier
// in every 64-bit lane).
inline void mul_hilo16(__m512i a, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i pe = _mm512_mul_epu32(a, m);                         // lanes 0, 2, ..., 14
  const __m512i po = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);  // lanes 1, 3, ..., 15
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(pe, 32), po);
  lo = _mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32));
}

inline void round16(Lanes16& s, __m512i m0, __m512i m1, __m512i k0, __m512i k1) {
  __m512i hi0, lo0, hi1, lo1;
  mul_hilo16(s.c0, m0, hi0, lo0);
  mul_hilo16(s.c2, m1, hi1, lo1);
  const __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, s.c1), k0);
  const __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, s.c3), k1);
  s.c1 = lo1;
  s.c3 = lo0;
  s.c0 = n0;
  s.c2 = n2;
}

// The 64 words of 16 consecutive blocks, in order, to out: word k of block i goes to out[4i + k].
inline void store_words16(const Lanes16& s, std::uint32_t* out) {
  const __m512i lo_idx = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi_idx = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512i a = _mm512_permutex2var_epi32(s.c0, lo_idx, s.c1);  // (c0, c1) of blocks 0–7
  const __m512i b = _mm512_permutex2var_epi32(s.c0, hi_idx, s.c1);  // blocks 8–15
  const __m512i c = _mm512_permutex2var_epi32(s.c2, lo_idx, s.c3);
  const __m512i d = _mm512_permutex2var_epi32(s.c2, hi_idx, s.c3);
  const __m512i q_lo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);  // 64-bit pairs: (c0 c1)(c2 c3)
  const __m512i q_hi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
  _mm512_storeu_si512(out, _mm512_permutex2var_epi64(a, q_lo, c));
  _mm512_storeu_si512(out + 16, _mm512_permutex2var_epi64(a, q_hi, c));
  _mm512_storeu_si512(out + 32, _mm512_permutex2var_epi64(b, q_lo, d));
  _mm512_storeu_si512(out + 48, _mm512_permutex2var_epi64(b, q_hi, d));
}

// The 128 words of the 32 blocks block, block + 1, ... (block numbers mod 2⁶²).
inline void blocks32(std::uint64_t block, __m512i s0, __m512i s1, std::uint32_t k0, std::uint32_t k1,
                     std::uint32_t* out) {
  constexpr std::uint64_t kBlockMask = (std::uint64_t{1} << 62) - 1;
  alignas(64) std::uint32_t lo[32], hi[32];
  for (int i = 0; i < 32; ++i) {
    const std::uint64_t b = (block + static_cast<std::uint64_t>(i)) & kBlockMask;
    lo[i] = static_cast<std::uint32_t>(b);
    hi[i] = static_cast<std::uint32_t>(b >> 32);
  }
  Lanes16 A{_mm512_load_si512(lo), _mm512_load_si512(hi), s0, s1};
  Lanes16 B{_mm512_load_si512(lo + 16), _mm512_load_si512(hi + 16), s0, s1};
  const __m512i m0 = _mm512_set1_epi64(0xD2511F53), m1 = _mm512_set1_epi64(0xCD9E8D57);
  std::uint32_t K0 = k0, K1 = k1;
  for (int r = 0; r < 10; ++r) {
    if (r) {
      K0 += 0x9E3779B9u;
      K1 += 0xBB67AE85u;
    }
    const __m512i kk0 = _mm512_set1_epi32(static_cast<int>(K0)), kk1 = _mm512_set1_epi32(static_cast<int>(K1));
    round16(A, m0, m1, kk0, kk1);
    round16(B, m0, m1, kk0, kk1);
  }
  store_words16(A, out);
  store_words16(B, out + 64);
}

}  // namespace

void philox_words_avx512(std::uint64_t seed, std::uint64_t stream, std::uint64_t offset, std::int64_t n,
                         std::uint32_t* out) {
  const std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  const __m512i s0 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(stream)));
  const __m512i s1 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(stream >> 32)));
  std::uint64_t block = offset >> 2;
  unsigned skip = static_cast<unsigned>(offset & 3u);
  while (n > 0) {
    if (skip == 0 && n >= 128) {
      blocks32(block, s0, s1, k0, k1, out);
      out += 128;
      n -= 128;
    } else {
      alignas(64) std::uint32_t tmp[128];
      blocks32(block, s0, s1, k0, k1, tmp);
      const std::int64_t c = n < 128 - static_cast<std::int64_t>(skip) ? n : 128 - static_cast<std::int64_t>(skip);
      std::memcpy(out, tmp + skip, static_cast<std::size_t>(c) * sizeof(std::uint32_t));
      out += c;
      n -= c;
      skip = 0;
    }
    block += 32;
  }
}

}  // namespace detail
}  // namespace mlbasics

// philox.hpp — Philox4x32-10, the counter-based generator behind dropout (internal header).
//
// Ten rounds of two 32×32→64-bit multiplications, xors and a Weyl key schedule map a 128-bit
// counter and a 64-bit key to four 32-bit words (Salmon et al., SC 2011). mlbasics numbers the
// words of a stream: word n (64-bit) of stream s under key `seed` is word n mod 4 of
// Philox4x32-10 at counter (lo32(n >> 2), hi32(n >> 2), lo32(s), hi32(s)) and key
// (lo32(seed), hi32(seed)) — the same numbering as the NumPy reference
// (python/mlbasics/backends/numpy/_philox.py) and the Numba kernels, so every backend draws the
// same dropout mask, on any number of threads.
#pragma once
#include <cstdint>

namespace mlbasics {
namespace detail {

struct Philox4x32 {
  std::uint32_t w[4];
};

inline Philox4x32 philox4x32_10(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3,
                                std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint64_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int r = 0; r < 10; ++r) {
    if (r) {
      k0 += kW0;
      k1 += kW1;
    }
    const std::uint64_t p0 = kM0 * c0, p1 = kM1 * c2;
    const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<std::uint32_t>(p1);
    c3 = static_cast<std::uint32_t>(p0);
    c0 = n0;
    c2 = n2;
  }
  return {{c0, c1, c2, c3}};
}

// Words offset, offset + 1, ..., offset + n − 1 (mod 2⁶⁴) of `stream` under `seed`, into out[0, n).
inline void philox_words(std::uint64_t seed, std::uint64_t stream, std::uint64_t offset, std::int64_t n,
                         std::uint32_t* out) {
  const std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  const std::uint32_t s0 = static_cast<std::uint32_t>(stream), s1 = static_cast<std::uint32_t>(stream >> 32);
  std::int64_t i = 0;
  while (i < n) {
    const std::uint64_t word = offset + static_cast<std::uint64_t>(i);
    const std::uint64_t block = word >> 2;
    const Philox4x32 r = philox4x32_10(static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                                       s0, s1, k0, k1);
    for (unsigned j = static_cast<unsigned>(word & 3u); j < 4 && i < n; ++j) out[i++] = r.w[j];
  }
}

// An element is kept by dropout with probability p exactly when (word >> 8) >= threshold, with
// threshold = ceil(p · 2²⁴) (computed by the caller in double precision, where it is exact).
inline bool dropout_keep(std::uint32_t word, std::uint32_t threshold) { return (word >> 8) >= threshold; }

}  // namespace detail
}  // namespace mlbasics

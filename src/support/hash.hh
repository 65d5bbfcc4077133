// Hashes used by serialized modules and the compilation cache.
//
//  - Sha256: FIPS 180-4 SHA-256, the strong hash that names cache entries
//    (wasm bytes + configuration key + build fingerprint). The round
//    constants are derived at first use from their definition (fractional
//    parts of the cube / square roots of the first primes) with exact
//    integer roots, so no table is typed in by hand.
//  - checksum64: a fast non-cryptographic 64-bit checksum that detects
//    accidental damage of a serialized module (truncation, bit rot, a torn
//    write). It is not a MAC: anyone can recompute it, so it says nothing
//    about who produced a blob (docs/serialization.md, "Trust").
//
// Both are deterministic across hosts: input words are read little-endian.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ember {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  Sha256& update(std::span<const uint8_t> data);
  Sha256& update(const void* data, size_t n) {
    return update(std::span<const uint8_t>(static_cast<const uint8_t*>(data), n));
  }
  // Pads and returns the digest; the object must not be updated afterwards.
  Digest finish();

  static Digest of(std::span<const uint8_t> data) { return Sha256().update(data).finish(); }
  static std::string hex(const Digest& d);

 private:
  void block(const uint8_t* p);

  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes
};

// The checksum of docs/serialization.md ("Integrity"): four 64-bit lanes over
// 32-byte stripes, a tail word, then a splitmix64-style finalisation.
uint64_t checksum64(std::span<const uint8_t> data, uint64_t seed = 0);

// 64-bit FNV-1a, for small fingerprint inputs (names, tables).
inline uint64_t fnv1a64(const void* data, size_t n, uint64_t h = 0xcbf29ce484222325ull) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace ember

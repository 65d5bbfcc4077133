// SHA-256 (FIPS 180-4) and the serialized-module checksum. See hash.hh.
#include "support/hash.hh"

#include <cstring>

namespace ember {

namespace {

using u128 = unsigned __int128;

// Largest x with x^k <= n (k = 2 or 3), by bisection; n < 2^106.
uint64_t int_root(u128 n, int k) {
  uint64_t lo = 0, hi = uint64_t(1) << 36;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;
    u128 p = u128(mid) * mid;
    if (k == 3) p *= mid;
    if (p <= n) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

struct Constants {
  uint32_t k[64];
  uint32_t h0[8];
  Constants() {
    // The first 64 primes.
    uint32_t primes[64];
    int n = 0;
    for (uint32_t c = 2; n < 64; c++) {
      bool prime = true;
      for (int i = 0; i < n && primes[i] * primes[i] <= c; i++)
        if (c % primes[i] == 0) prime = false;
      if (prime) primes[n++] = c;
    }
    // First 32 bits of the fractional part of the cube root of each prime:
    // floor(cbrt(p) * 2^32) mod 2^32 = floor(cbrt(p * 2^96)) mod 2^32.
    for (int i = 0; i < 64; i++) k[i] = uint32_t(int_root(u128(primes[i]) << 96, 3));
    // Same with square roots of the first 8 primes for the initial state.
    for (int i = 0; i < 8; i++) h0[i] = uint32_t(int_root(u128(primes[i]) << 64, 2));
  }
};

const Constants& constants() {
  static const Constants c;
  return c;
}

inline uint32_t rotr(uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}
inline uint64_t rotl64(uint64_t x, int n) {
  return (x << n) | (x >> (64 - n));
}

inline uint64_t load64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

Sha256::Sha256() {
  std::memcpy(h_, constants().h0, sizeof h_);
}

void Sha256::block(const uint8_t* p) {
  const uint32_t* k = constants().k;
  uint32_t w[64];
  for (int t = 0; t < 16; t++)
    w[t] = uint32_t(p[4 * t]) << 24 | uint32_t(p[4 * t + 1]) << 16 | uint32_t(p[4 * t + 2]) << 8 |
           uint32_t(p[4 * t + 3]);
  for (int t = 16; t < 64; t++) {
    uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
  for (int t = 0; t < 64; t++) {
    uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = h + S1 + ch + k[t] + w[t];
    uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + maj;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h_[0] += a;
  h_[1] += b;
  h_[2] += c;
  h_[3] += d;
  h_[4] += e;
  h_[5] += f;
  h_[6] += g;
  h_[7] += h;
}

Sha256& Sha256::update(std::span<const uint8_t> data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  total_ += n;
  if (buf_len_ > 0) {
    size_t take = std::min(n, sizeof buf_ - buf_len_);
    std::memcpy(buf_ + buf_len_, p, take);
    buf_len_ += take;
    p += take;
    n -= take;
    if (buf_len_ < sizeof buf_) return *this;
    block(buf_);
    buf_len_ = 0;
  }
  for (; n >= 64; p += 64, n -= 64) block(p);
  if (n > 0) std::memcpy(buf_, p, n);
  buf_len_ = n;
  return *this;
}

Sha256::Digest Sha256::finish() {
  uint64_t bits = total_ * 8;
  uint8_t pad[72] = {0x80};
  size_t pad_len = (buf_len_ < 56 ? 56 : 120) - buf_len_;
  for (int i = 0; i < 8; i++) pad[pad_len + i] = uint8_t(bits >> (56 - 8 * i));
  update(pad, pad_len + 8);
  Digest d;
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 4; j++) d[4 * i + j] = uint8_t(h_[i] >> (24 - 8 * j));
  return d;
}

std::string Sha256::hex(const Digest& d) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

uint64_t checksum64(std::span<const uint8_t> data, uint64_t seed) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;  // 2^64 / golden ratio
  constexpr uint64_t kOdd = 0xd6e8feb86659fd93ull;
  uint64_t lane[4];
  for (int i = 0; i < 4; i++) lane[i] = mix64(seed + uint64_t(i + 1) * kMul);
  const uint8_t* p = data.data();
  size_t n = data.size();
  for (; n >= 32; p += 32, n -= 32) {
    for (int i = 0; i < 4; i++) lane[i] = rotl64(lane[i] ^ (load64(p + 8 * i) * kOdd), 29) * kMul;
  }
  uint64_t h = mix64(uint64_t(data.size()) ^ seed);
  for (int i = 0; i < 4; i++) h = mix64(h ^ lane[i]) * kMul;
  // Tail: up to 31 bytes, one word at a time (the last word zero-padded).
  while (n > 0) {
    uint8_t w[8] = {};
    size_t take = n < 8 ? n : 8;
    std::memcpy(w, p, take);
    h = mix64(h ^ (load64(w) * kOdd) ^ take);
    p += take;
    n -= take;
  }
  return mix64(h);
}

}  // namespace ember

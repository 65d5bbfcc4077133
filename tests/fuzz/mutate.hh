// The byte mutations of the mutation tests (mutate_modules.cc,
// mutate_components.cc): bit flips, byte overwrites, insertions, deletions,
// truncation, 0xFF runs and LEB128 continuation bytes, one to three per case.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>

namespace ember::fuzz {

template <class Seq>
void mutate(Seq& b, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n ? size_t(rng() % n) : 0; };
  // Half the cases keep the length, so section and body sizes stay
  // consistent and the mutation reaches the validator and translator.
  static constexpr int kSamePlace[] = {0, 1, 6};
  bool keep_size = rng() % 2;
  int rounds = 1 + int(rng() % 3);
  for (int r = 0; r < rounds; r++) {
    switch (keep_size ? kSamePlace[rng() % 3] : int(rng() % 7)) {
      case 0:
        if (!b.empty()) b[pick(b.size())] ^= uint8_t(1u << (rng() % 8));
        break;
      case 1:
        if (!b.empty()) b[pick(b.size())] = uint8_t(rng());
        break;
      case 2: b.insert(b.begin() + pick(b.size() + 1), uint8_t(rng())); break;
      case 3:
        if (!b.empty()) {
          size_t at = pick(b.size());
          b.erase(b.begin() + at, b.begin() + std::min(b.size(), at + 1 + pick(8)));
        }
        break;
      case 4: b.resize(pick(b.size() + 1)); break;
      case 5: {
        size_t at = pick(b.size() + 1);
        b.insert(b.begin() + at, 1 + pick(5), 0xFF);
        break;
      }
      case 6:
        if (b.size() > 8) {
          size_t at = 8 + pick(b.size() - 8);
          b[at] = uint8_t(rng() % 2 ? 0x7F : 0x80);
        }
        break;
    }
  }
}

}  // namespace ember::fuzz

// LEB128 output: the one encoder (the text format's binary writer, test
// module builders). Reading is binary/reader.hh's Reader, which also gives
// the spec's malformed-encoding errors.
#pragma once

#include <cstdint>
#include <vector>

namespace ember {

inline void put_uleb(std::vector<uint8_t>& b, uint64_t v) {
  do {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    if (v) byte |= 0x80;
    b.push_back(byte);
  } while (v);
}

inline void put_sleb(std::vector<uint8_t>& b, int64_t v) {
  for (;;) {
    uint8_t byte = v & 0x7F;
    v >>= 7;  // arithmetic shift
    bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    if (!done) byte |= 0x80;
    b.push_back(byte);
    if (done) return;
  }
}

}  // namespace ember

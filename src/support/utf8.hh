// UTF-8: the one validator and encoder (names in the binary format, the text
// format's strings and identifiers, serialized modules).
//
// Valid means what the WebAssembly spec's `name` production accepts: shortest
// forms only, no surrogates (U+D800..U+DFFF), nothing past U+10FFFF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ember {

// Length of the valid UTF-8 sequence at s[0] (1 to 4) given `n` > 0 bytes
// available, or 0 when it is malformed.
size_t utf8_sequence_length(const uint8_t* s, size_t n);

// True if [data, data+n) is valid UTF-8.
bool is_valid_utf8(const uint8_t* data, size_t n);
inline bool is_valid_utf8(std::string_view s) {
  return is_valid_utf8(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Appends code point `cp` (at most U+10FFFF, not a surrogate) encoded.
void append_utf8(std::string& out, uint32_t cp);

}  // namespace ember

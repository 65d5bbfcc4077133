// Reader helpers that are too large to inline: names and UTF-8 checking.
#include "binary/reader.hh"

namespace ember {

bool is_valid_utf8(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Reject overlong forms, surrogates and code points past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
      return false;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    if (cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

Expected<std::string> Reader::name() {
  uint64_t at = offset();
  EMBER_ASSIGN(uint32_t len, u32());
  if (remaining() < len) return fail_at("length out of bounds", at);
  const uint8_t* d = p_;
  if (!is_valid_utf8(d, len)) return fail_at("malformed UTF-8 encoding", at);
  p_ += len;
  return std::string(reinterpret_cast<const char*>(d), len);
}

}  // namespace ember

// Reader helpers that are too large to inline: names.
#include "binary/reader.hh"

namespace ember {

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

#include "support/error.hh"

#include <cstdio>

namespace ember {

const char* error_kind_name(ErrorKind k) {
  switch (k) {
    case ErrorKind::Malformed: return "malformed";
    case ErrorKind::Invalid: return "invalid";
    case ErrorKind::Unlinkable: return "unlinkable";
    case ErrorKind::Trap: return "trap";
    case ErrorKind::Exhaustion: return "exhaustion";
    case ErrorKind::Internal: return "error";
    case ErrorKind::Unsupported: return "unsupported";
  }
  return "error";
}

std::string ErrorInfo::describe() const {
  std::string s = error_kind_name(kind);
  s += ": ";
  s += message;
  char buf[64];
  if (line != 0) {
    std::snprintf(buf, sizeof buf, " (at %u:%u)", line, column);
    s += buf;
  } else if (offset != UINT64_MAX) {
    std::snprintf(buf, sizeof buf, " (at offset 0x%llx)", (unsigned long long)offset);
    s += buf;
  }
  return s;
}

}  // namespace ember

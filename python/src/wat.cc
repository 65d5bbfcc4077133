// The extension's access to the engine's WAT parser (src/text).
//
// Until the text parser is part of ember_core this reports a clear error, so
// binary modules work on their own; this file is the only place that knows
// the parser's header.
#include "common.hh"

#if __has_include("text/wat.hh")
#include "text/wat.hh"
#define EMBER_PY_HAVE_WAT 1
#endif

namespace ember::py {

#ifdef EMBER_PY_HAVE_WAT
Expected<std::vector<uint8_t>> parse_wat(std::string_view text) {
  return wat_to_wasm(text);
}
#else
Expected<std::vector<uint8_t>> parse_wat(std::string_view) {
  return Error(ErrorKind::Internal, "the WAT text parser is not available in this build");
}
#endif

}  // namespace ember::py

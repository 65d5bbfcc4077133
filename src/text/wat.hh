// WAT text format -> WebAssembly binary.
//
// Place in the pipeline: the text front end. A module written in the text
// format is turned into its binary encoding, which the one binary decoder then
// decodes; text and binary therefore share a single decode/validate path.
//
// Invariants: the parser rejects malformed text (bad tokens, unknown
// operators or identifiers, out-of-range literals, bad syntax) with
// ErrorKind::Malformed and a line:column. It does not type-check: everything
// that is well-formed but ill-typed is left for the validator.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "support/error.hh"

namespace ember {

// Parses one module in the text format — "(module $id? field*)" or a bare
// sequence of module fields — and returns its binary encoding. The module's
// $id and function $names are emitted in a "name" custom section, and each
// `(@custom "name" place? "bytes"*)` annotation as a custom section; other
// annotations are ignored. Text with neither a token nor an annotation (empty,
// or only space and comments) is Malformed: "expected at least one module
// field", as in wasm-tools.
Expected<std::vector<uint8_t>> wat_to_wasm(std::string_view text);

}  // namespace ember

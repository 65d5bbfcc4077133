// WAT text format -> WebAssembly binary.
//
// Place in the pipeline: the text front end. A module written in the text
// format is turned into its binary encoding, which the one binary decoder then
// decodes; text and binary therefore share a single decode/validate path.
//
// Invariants: the parser rejects malformed text (bad tokens, unknown
// operators or identifiers, out-of-range literals, bad syntax) with
// ErrorKind::Malformed and a line:column. It does not type-check: everything
// that is well-formed but ill-typed is left for the validator. The one
// exception is a limit the binary cannot encode (see wat_to_wasm).
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
//
// `features` picks the text format where the spec's versions differ. With
// memory64 (Wasm 3.0) table and memory limits are u64 literals, and one
// beyond 2^32-1 on a 32-bit table or memory is Invalid (the validator's
// message, reported from here once the rest has parsed); without it (2.0)
// they are u32 literals and such a limit is Malformed.
Expected<std::vector<uint8_t>> wat_to_wasm(std::string_view text,
                                           const FeatureSet& features = FeatureSet::defaults());

// Parses one component in the text format, "(component $id? field*)", into
// the component binary format (wasm-tools' syntax and abbreviations: inline
// exports, inline value and function types, `(core func $i "name")`
// references, inline instances; nested core modules use wat_to_wasm).
// Malformed text is ErrorKind::Malformed with a line:column; the rest is
// left to the component validator. The value sort (`value`, `start`) is
// Malformed "not supported".
Expected<std::vector<uint8_t>> component_wat_to_wasm(
    std::string_view text, const FeatureSet& features = FeatureSet::all());
// True when `text` starts with `(component` (after space and comments).
bool is_component_text(std::string_view text);

}  // namespace ember

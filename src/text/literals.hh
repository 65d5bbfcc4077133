// Numeric literals of the WebAssembly text format.
//
// Place in the pipeline: used by the WAT parser (instruction immediates,
// limits, indices) and the WAST script parser (arguments and results).
//
// Invariants: every function parses the whole token text or fails; `_`
// separators are accepted only between digits; floats are rounded once,
// to nearest even, directly to the target width; a finite literal that
// rounds to infinity is out of range.
#pragma once

#include <cstdint>
#include <string_view>

namespace ember::text {

enum class LitResult : uint8_t { Ok, Syntax, Range };

// Unsigned integer (decimal or 0x hex, no sign) that fits in `max`.
LitResult parse_uint(std::string_view s, uint64_t max, uint64_t* out);
// iN literal (N = 32 or 64): signed or unsigned forms, stored as N-bit
// two's complement in the low bits of *out.
LitResult parse_int(std::string_view s, unsigned bits, uint64_t* out);
// fN literals, as IEEE bit patterns.
LitResult parse_f32(std::string_view s, uint32_t* out);
LitResult parse_f64(std::string_view s, uint64_t* out);

}  // namespace ember::text

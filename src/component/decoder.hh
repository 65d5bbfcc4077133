// Component decoder: bytes -> ComponentData (component.hh).
//
// Rejects only malformed input (ErrorKind::Malformed with a byte offset into
// the outermost bytes): a bad preamble, bad LEB128, unknown section ids and
// opcodes, sizes that do not add up, names that break the component name
// grammar (names.hh). Constructs the format has but Ember does not decode
// yet (core GC types inside components) are ErrorKind::Unsupported.
// Nested core modules are decoded by the core decoder (binary/decoder.hh).
// Nesting (components in components, types in types) deeper than
// kMaxNesting is refused; counts are checked against the bytes left before
// anything is reserved.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "component/component.hh"
#include "support/error.hh"

namespace ember::comp {

// True when `bytes` start with the component preamble (`\0asm 0d 00 01 00`).
bool is_component(const uint8_t* data, size_t size);
inline bool is_component(const std::vector<uint8_t>& b) {
  return is_component(b.data(), b.size());
}

Expected<std::unique_ptr<ComponentData>> decode_component(const std::vector<uint8_t>& bytes,
                                                          const FeatureSet& features);

}  // namespace ember::comp

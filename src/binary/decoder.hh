// Binary decoder: bytes -> ModuleData.
//
// Rejects only malformed input (ErrorKind::Malformed with a byte offset):
// bad magic/version, bad LEB128, section order and size errors, inconsistent
// function/code counts, bad UTF-8 names, unknown section ids, and so on.
// Function bodies are not decoded here: they are recorded as byte ranges and
// decoded by the one-pass validate+translate step (src/validate), which
// reports malformed instruction encodings itself. Validity (types, indices)
// is checked only by the validator.
//
// No allocation is sized by an untrusted count: vectors grow as elements are
// actually read, and a declared count larger than the bytes left fails fast.
#pragma once

#include <memory>
#include <vector>

#include "ir/module.hh"
#include "support/error.hh"

namespace ember {

Expected<std::shared_ptr<ModuleData>> decode_module(std::vector<uint8_t> bytes,
                                                    const FeatureSet& features);

}  // namespace ember

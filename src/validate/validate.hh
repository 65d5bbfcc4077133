// Validation + translation entry point (pipeline: decode -> [this] -> Module).
//
// compile_module() checks every module-level rule of the spec (types,
// imports/exports, limits, constant expressions, segments, start function,
// feature gates) and then runs ONE pass per function body that both validates
// the body (the spec's operand/control stack algorithm) and feeds each checked
// operator to the interpreter translator (src/interp/translate.hh).
//
// On success `m.type_ids` holds the engine-canonical id of every entry of
// `m.types` and `m.code` the translated interpreter code. Errors carry a byte
// offset into `m.bytes`: ErrorKind::Invalid for validation failures and
// ErrorKind::Malformed for encoding errors only found inside function bodies
// (illegal opcode, bad LEB128, "data count section required", "too many
// locals", "unexpected end", "END opcode expected").
#pragma once

#include <cstdint>

#include "ir/module.hh"
#include "runtime/store_data.hh"
#include "support/error.hh"

namespace ember {

// Upper bound on the total number of locals (params included) of one function.
constexpr uint32_t kMaxFunctionLocals = 50000;

// `validate == false` (Module(..., validate=False): trusted input) skips
// the module-level rules no later stage relies on (see check_module in
// module_validate.cc and docs/decisions.md); function bodies are always
// type-checked because the translator is driven by the validator. Large
// modules are translated on several threads when the engine's
// parallel_compilation is on; the code is identical either way. The
// engine's type registry is internally synchronized, so interning through a
// const engine is safe.
Status compile_module(ModuleData& m, const rt::EngineData& engine, bool validate = true);

// Threads compile_module uses for `m` (1 = serial): parallel_compilation on,
// at least 128 KiB of function bodies and 16 bodies per thread.
unsigned compile_threads(const ModuleData& m, const rt::EngineConfig& config);

// Module-level validation only, no function bodies (what compile_module
// checks first; serialized modules are re-checked with it when loaded).
// `full == false` is the validate=False subset.
Status validate_module_level(const ModuleData& m, const FeatureSet& features, bool full = true);

// The type a constant expression must produce is `expected`; checks that the
// expression is constant and well-typed in module `m` (2.0 rules: global.get
// only of imported immutable globals; extended-const ops when enabled).
Status validate_const_expr(const ModuleData& m, const ConstExpr& e, ValType expected,
                           const FeatureSet& features);

}  // namespace ember

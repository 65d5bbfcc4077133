// Validation (pipeline: decode -> [validate -> lower] -> Module).
//
// Module-level rules of the spec (types, imports/exports, limits, constant
// expressions, segments, start function, feature gates) live here; function
// bodies are checked by validate/func_validate.hh, which drives a Lowering
// (validate/lowering.hh). src/compile/compile.hh runs both over a module.
// Errors carry a byte offset into `m.bytes`: ErrorKind::Invalid for
// validation failures and ErrorKind::Malformed for encoding errors only found
// inside function bodies (illegal opcode, bad LEB128, "data count section
// required", "too many locals", "unexpected end", "END opcode expected").
#pragma once

#include <cstdint>
#include <vector>

#include "ir/module.hh"
#include "support/error.hh"

namespace ember {

// Upper bound on the total number of locals (params included) of one function.
constexpr uint32_t kMaxFunctionLocals = 50000;

// Module-level validation only, no function bodies (what compile_module
// checks first; serialized modules are re-checked with it when loaded).
// `full == false` is the validate=False subset.
// The module's types must be interned (intern_types) first.
Status validate_module_level(const ModuleData& m, const FeatureSet& features,
                             const TypeRegistry& types, bool full = true);

// Checks the type section's references (every concrete heap type names a
// type of the module; a declared supertype comes earlier, is not final and
// is matched) and interns its recursion groups into `types`, filling
// `m.type_ids`. Before anything else is validated: the rest compares types
// by their canonical ids.
Status intern_types(ModuleData& m, TypeRegistry& types);

// The type a constant expression must produce is `expected`; checks that the
// expression is constant and well-typed in module `m`: global.get only of
// immutable globals below `visible_globals`, extended-const ops when enabled.
// (With GC, Wasm 3.0, a global's initializer sees the globals before it and
// the other constant expressions every global; without, only imported ones.)
Status validate_const_expr(const ModuleData& m, const ConstExpr& e, ValType expected,
                           const FeatureSet& features, const TypeRegistry& types,
                           size_t visible_globals);

// C.refs: the functions `ref.func` may name in bodies (those named outside
// function bodies: global initializers, element segments, exports).
std::vector<bool> declared_funcs(const ModuleData& m);

}  // namespace ember

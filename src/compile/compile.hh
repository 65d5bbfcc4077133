// The compile driver (pipeline: decode -> [validate + lower, per function]
// -> Module).
//
// compile_module() checks the module-level rules (validate/validate.hh), then
// runs ONE pass per function body that both validates it and lowers each
// checked operator (validate/func_validate.hh driving a Lowering). Today the
// one lowering is the interpreter's translator (interp/translate.hh); this is
// the place that chooses a tier, and where a compiled tier's lowering joins.
// Large modules are lowered on several threads (parallel_compilation): each
// thread translates a contiguous range of bodies into its own CompiledCode
// and the ranges are concatenated in order. Translated code is position
// independent (branch offsets are relative, calls name function indices),
// so only function ranges and pc_map words move, and the result is identical
// to the serial translation.
//
// On success `m.type_ids` holds the engine-canonical id of every entry of
// `m.types` and `m.code` the translated code.
#pragma once

#include "ir/module.hh"
#include "runtime/store_data.hh"
#include "support/error.hh"

namespace ember {

// `validate == false` (Module(..., validate=False): trusted input) skips
// the module-level rules no later stage relies on (see check_module in
// validate/module_validate.cc and docs/decisions.md); function bodies are
// always type-checked because the lowering is driven by the validator. The
// engine's type registry is internally synchronized, so interning through a
// const engine is safe.
Status compile_module(ModuleData& m, const rt::EngineData& engine, bool validate = true);

// Threads compile_module uses for `m` (1 = serial): parallel_compilation on,
// at least 128 KiB of function bodies and 16 bodies per thread.
// The compiled tier's part (src/jit) for translated `code`: with
// Config::strategy "cranelift", every function it lowers is compiled now
// (others stay interpreted); otherwise nothing (step 1 of the tier: no
// tiering up yet).
Status compile_native(CompiledCode& code, const ModuleData& m, const rt::EngineConfig& config);

unsigned compile_threads(const ModuleData& m, const rt::EngineConfig& config);

}  // namespace ember

// One-pass validation + translation of a function body (internal to
// src/validate; compile_module drives it for every defined function).
//
// Decodes the body's operators from ModuleData::bytes, checks them with the
// spec's operand-stack/control-stack algorithm (Unknown types in unreachable
// code) and feeds each checked operator to a Lowering (validate/lowering.hh).
#pragma once

#include <cstdint>
#include <vector>

#include "ir/module.hh"
#include "support/error.hh"
#include "validate/lowering.hh"

namespace ember {

// Module-wide facts a function body is checked against.
struct ModuleContext {
  const ModuleData& m;
  FeatureSet features;
  std::vector<bool> declared_funcs;  // C.refs: functions ref.func may name
  const TypeRegistry* types;         // the engine's: m.type_ids are its ids
};

Status validate_function(const ModuleContext& cx, uint32_t defined_index, Lowering& out);

// Decodes a body without validating it: reports only Malformed errors. The
// spec decodes a whole module before validating it, so after a validation
// error compile_module uses this to prefer a later malformed encoding.
Status decode_function(const ModuleData& m, uint32_t defined_index, const FeatureSet& f);

}  // namespace ember

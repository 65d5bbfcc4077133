// What the LLVM lowering knows of each IR opcode, built from the one
// description of the IR (ir/operators.def via operators_by_kind.inc,
// interp/ir_derived.def): the operators.def row of a 1:1 opcode (kind,
// operand and result type, bytes accessed, sign of a narrow load) and, for a
// derived opcode, its base row and variant. No operand layout is written
// here: positions come from ir_insn.hh's structs.
#pragma once

#include <cstdint>

#include "interp/code.hh"
#include "interp/ir_codec.hh"
#include "ir/types.hh"

namespace ember::jit {

enum class VType : uint8_t { None, I32, I64, F32, F64, V128, Other };

using interp::Variant;

struct OpInfo {
  bool row = false;                        // a 1:1 or derived opcode of an operators.def row
  interp::IOp base = interp::IOp::Count_;  // the row's own opcode
  Variant variant = Variant::Plain;
  SigKind kind = SigKind::Special;
  VType in = VType::None, out = VType::None;
  uint8_t size = 0;          // bytes a load/store accesses
  bool sign_extend = false;  // a narrow load that sign-extends
};

const OpInfo& op_info(interp::IOp op);

}  // namespace ember::jit

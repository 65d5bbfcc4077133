// The SIMD operators compiled code does not expand inline, as out-of-line
// functions with the interpreter's own semantics (interp/simd.hh), so both
// tiers compute the same bits.
//
// Every operand and the result are 16-byte buffers (a v128, or a scalar in
// the low bytes), by kind of the operators.def row:
//   VUnary    void(void* d, const void* a)
//   VBinary   void(void* d, const void* a, const void* b)
//   VTernary  void(void* d, const void* a, const void* b, const void* c)
//   VShift    void(void* d, const void* a, uint32_t count)
// A scalar result (any_true, all_true, bitmask) is written as a zero-extended
// 64-bit slot. Each reads all its operands before it writes d.
#pragma once

#include "interp/ir_codec.hh"

namespace ember::jit {

// The function for IR opcode `op` (a 1:1 row of one of those kinds), or null
// (another kind, or a row the lowering always expands itself: the shuffle).
const void* simd_thunk(interp::IOp op);

}  // namespace ember::jit

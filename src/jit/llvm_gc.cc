// Lowering of the GC instructions (but ref.eq and i31, inline in
// llvm_lower.cc): each runs the interpreter's handler out of line
// (interp::ember_native_gc), on the operands this function writes to its
// frame first and reads back after. An allocation is a safepoint: the frame
// is parked around it (the collector may run), as at a call.
#include <algorithm>

#include "jit/llvm_lowering.hh"

namespace ember::jit::lower {

bool Lowering::lower_gc(IOp op) {
  const interp::IrLayout& lay = interp::ir_layout(op);
  // The slots the handler may read or write: each slot operand and the one
  // after it (the second half where the value is a v128; a spare copy
  // otherwise), and the window of fields or elements.
  std::vector<uint32_t> touched;
  auto touch = [&](uint32_t s) {
    if (s < fc_.frame_slots) touched.push_back(s);
  };
  int32_t branch = -1;
  for (uint32_t k = 0; k < lay.count; k++) {
    if (lay.ops[k] == interp::Operand::Branch) branch = int32_t(1 + k);
    if (lay.ops[k] != interp::Operand::Slot && lay.ops[k] != interp::Operand::Slot2) continue;
    touch(w(1 + k));
    touch(w(1 + k) + 1);
  }
  uint64_t window = interp::gc_window_slots(op, words() + at_ + 1, cx_.module);
  if (window) {
    const uint32_t base =
        op == IOp::StructNew ? w(ir::StructNew::At::base) : w(ir::ArrayNewFixed::At::base);
    for (uint64_t s = base; s < base + window; s++) touch(uint32_t(s));
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (uint32_t s : touched) b_.CreateStore(get64(s), fp_slot(s));
  // (of the GC instructions, the allocations)
  Value* prev = interp::is_safepoint(op) ? park(at_ + length()) : nullptr;
  Value* r =
      runtime_call(reinterpret_cast<const void*>(&interp::ember_native_gc), i32_,
                   {st_, view_, func_code(fc_), fp_, b_.getInt32(at_), b_.getInt32(uint32_t(op))});
  unpark(prev);
  for (uint32_t s : touched) b_.CreateStore(b_.CreateLoad(i64_, fp_slot(s)), slots_[s]);
  if (branch >= 0) {
    cond_br(b_.CreateICmpEQ(r, b_.getInt32(interp::kGcBranchTaken)), branch_target(branch));
    return true;
  }
  trap_unless_ok(r);
  return true;
}

}  // namespace ember::jit::lower

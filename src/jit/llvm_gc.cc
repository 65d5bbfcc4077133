// Lowering of the GC instructions (but ref.eq and i31, inline in
// llvm_lower.cc). Field and element accesses (struct.get/set,
// array.get/set/len; not of v128) are inline: the same null and bounds
// checks and loads and stores as runtime/gc.hh's load_field/store_field.
// The others run the interpreter's handler out of line
// (interp::ember_native_gc), on the operands this function writes to its
// frame first and reads back after. An allocation is a safepoint: the frame
// is parked around it (the collector may run), as at a call.
#include <algorithm>
#include <cstddef>

#include "jit/llvm_lowering.hh"

namespace ember::jit::lower {

namespace {

llvm::Type* storage_type(llvm::LLVMContext& c, rt::Storage s) {
  switch (s) {
    case rt::Storage::I8: return llvm::Type::getInt8Ty(c);
    case rt::Storage::I16: return llvm::Type::getInt16Ty(c);
    case rt::Storage::B32: return llvm::Type::getInt32Ty(c);
    default: return llvm::Type::getInt64Ty(c);
  }
}

}  // namespace

// The object slot `s` references, trapping with `null_trap` on null.
Value* Lowering::gc_object(uint32_t s, TrapCode null_trap) {
  Value* v = get64(s);
  trap_if(b_.CreateICmpEQ(v, b_.getInt64(0)), null_trap);
  return b_.CreateIntToPtr(v, ptr_);
}

// Element `index`'s address in array `o`, trapping when out of bounds.
Value* Lowering::gc_element(Value* o, uint32_t index_slot, rt::Storage e) {
  Value* length = b_.CreateLoad(
      i32_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), o, offsetof(rt::GcObject, length)));
  Value* i = get(index_slot, VType::I32);
  trap_if(b_.CreateICmpUGE(i, length), TrapCode::ArrayOutOfBounds);
  Value* at = b_.CreateAdd(b_.getInt64(rt::kArrayData),
                           b_.CreateMul(b_.CreateZExt(i, i64_), b_.getInt64(rt::storage_size(e))));
  return b_.CreateInBoundsGEP(b_.getInt8Ty(), o, at);
}

void Lowering::load_storage(uint32_t d, Value* p, rt::Storage e, bool sign) {
  Value* v = b_.CreateAlignedLoad(storage_type(c_, e), p, llvm::MaybeAlign(1));
  if (e == rt::Storage::I8 || e == rt::Storage::I16)
    v = sign ? b_.CreateSExt(v, i32_) : b_.CreateZExt(v, i32_);
  set(d, v);
}

void Lowering::store_storage(Value* p, rt::Storage e, uint32_t v) {
  b_.CreateAlignedStore(b_.CreateTrunc(get64(v), storage_type(c_, e)), p, llvm::MaybeAlign(1));
}

bool Lowering::lower_gc_access(IOp op) {
  switch (op) {
    case IOp::StructGet: {
      using A = ir::StructGet::At;
      const rt::Storage e = rt::Storage(w(A::storage));
      if (e == rt::Storage::V128) return false;
      Value* o = gc_object(w(A::s), TrapCode::NullStructReference);
      load_storage(w(A::d), b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), o, w(A::offset)), e,
                   w(A::sign));
      return true;
    }
    case IOp::StructSet: {
      using A = ir::StructSet::At;
      const rt::Storage e = rt::Storage(w(A::storage));
      if (e == rt::Storage::V128) return false;
      Value* o = gc_object(w(A::s), TrapCode::NullStructReference);
      store_storage(b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), o, w(A::offset)), e, w(A::v));
      return true;
    }
    case IOp::ArrayGet: {
      using A = ir::ArrayGet::At;
      const rt::Storage e = rt::Storage(w(A::storage));
      if (e == rt::Storage::V128) return false;
      Value* o = gc_object(w(A::a), TrapCode::NullArrayReference);
      load_storage(w(A::d), gc_element(o, w(A::i), e), e, w(A::sign));
      return true;
    }
    case IOp::ArraySet: {
      using A = ir::ArraySet::At;
      const rt::Storage e = rt::Storage(w(A::storage));
      if (e == rt::Storage::V128) return false;
      Value* o = gc_object(w(A::a), TrapCode::NullArrayReference);
      store_storage(gc_element(o, w(A::i), e), e, w(A::v));
      return true;
    }
    case IOp::ArrayLen: {
      using A = ir::ArrayLen::At;
      Value* o = gc_object(w(A::a), TrapCode::NullArrayReference);
      set(w(A::d), b_.CreateLoad(i32_, b_.CreateConstInBoundsGEP1_64(
                                           b_.getInt8Ty(), o, offsetof(rt::GcObject, length))));
      return true;
    }
    default: return false;
  }
}

bool Lowering::lower_gc(IOp op) {
  if (lower_gc_access(op)) return true;
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

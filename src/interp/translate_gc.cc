// Translation of the GC operators (see translate.hh and ir_ops.def's GC
// rows): allocations and casts call runtime/gc.hh; struct and array
// accesses are handled in the dispatch loop.
#include "interp/translate.hh"

namespace ember::interp {

namespace {
bool wide(const FieldType& f) {
  return f.packed == FieldType::None && f.type == ValType::V128;
}
}  // namespace

uint32_t Translator::window(uint32_t n) {
  const uint32_t top = uint32_t(stack_.size());
  for (uint32_t i = top - n; i < top; i++) materialize(i);
  for (uint32_t i = 0; i < n; i++) pop();
  return next_slot();
}

// Allocations are safepoints: a collection may run before the object
// exists, so their maps include their inputs (read after it).
void Translator::allocation(IOp op, std::span<const FieldType> inputs,
                            std::initializer_list<uint32_t> imms) {
  note_refs(inputs, 1);
  uint32_t srcs[2];
  for (size_t i = inputs.size(); i-- > 0;) srcs[i] = pop_slot();
  emit_op(op);
  word(next_slot());
  for (uint32_t imm : imms) word(imm);
  for (size_t i = 0; i < inputs.size(); i++) word(srcs[i]);
  add_stack_map();
  push_stack();
}

// struct.new and array.new_fixed take their inputs (typed `inputs`) as a
// window of slots: in their slots and noted for the stack map, then popped.
uint32_t Translator::allocation_window(std::span<const FieldType> inputs) {
  const uint32_t top = uint32_t(stack_.size()), n = uint32_t(inputs.size());
  for (uint32_t i = top - n; i < top; i++) materialize(i);
  note_refs(inputs, 1);
  return window(n);
}

void Translator::struct_new(uint32_t type, std::span<const FieldType> fields, bool default_init) {
  if (dead_) return;
  if (default_init) return allocation(IOp::StructNewDefault, {}, {type});
  const uint32_t base = allocation_window(fields);
  emit(ir::StructNew{.d = base, .type = type, .base = base});
  add_stack_map();
  push_stack();
}

// Accesses name the field's offset and storage (the layout is fixed by the
// type), so a handler is one load or store after the null check.
void Translator::struct_get(uint32_t type, std::span<const FieldType> fields, uint32_t field,
                            bool sign) {
  const rt::GcField& f = layouts_.of(type, fields)[field];
  generic(IOp::StructGet, 1, wide(fields[field]) ? 2 : 1,
          {type, field, f.offset, uint32_t(f.storage), uint32_t(sign)});
}

void Translator::struct_set(uint32_t type, std::span<const FieldType> fields, uint32_t field) {
  const rt::GcField& f = layouts_.of(type, fields)[field];
  generic(IOp::StructSet, 2, 0, {type, field, f.offset, uint32_t(f.storage)});
}

void Translator::array_op(Op op, uint32_t type, const FieldType& elem, uint32_t imm) {
  if (dead_) return;
  static constexpr FieldType counts[2] = {};  // i32 inputs (new_default takes the first)
  switch (op) {
    case Op::ArrayNew: {
      const FieldType inputs[2] = {elem, FieldType{}};
      return allocation(IOp::ArrayNew, inputs, {type});
    }
    case Op::ArrayNewDefault: return allocation(IOp::ArrayNewDefault, std::span(counts, 1), {type});
    case Op::ArrayNewFixed: {
      fixed_inputs_.assign(imm, elem);
      const uint32_t base = allocation_window(fixed_inputs_);
      emit(ir::ArrayNewFixed{.d = base, .type = type, .n = imm, .base = base});
      add_stack_map();
      push_stack();
      return;
    }
    case Op::ArrayNewData: return allocation(IOp::ArrayNewData, counts, {type, imm});
    case Op::ArrayNewElem: return allocation(IOp::ArrayNewElem, counts, {type, imm});
    case Op::ArrayGet:
    case Op::ArrayGetS:
    case Op::ArrayGetU:
      return generic(IOp::ArrayGet, 2, wide(elem) ? 2 : 1,
                     {type, uint32_t(rt::storage_of(elem)), imm});
    case Op::ArraySet: return generic(IOp::ArraySet, 3, 0, {type, uint32_t(rt::storage_of(elem))});
    case Op::ArrayFill: return generic(IOp::ArrayFill, 4, 0, {type});
    case Op::ArrayCopy: return generic(IOp::ArrayCopy, 5, 0, {type, imm});
    case Op::ArrayInitData: return generic(IOp::ArrayInitData, 4, 0, {type, imm});
    case Op::ArrayInitElem: return generic(IOp::ArrayInitElem, 4, 0, {type, imm});
    default: return;
  }
}

void Translator::ref_test(ValType target) {
  generic(IOp::RefTest, 1, 1, {target.bits()});
}

// The value keeps its slot: a cast only checks it.
void Translator::ref_cast(ValType target) {
  if (dead_) return;
  emit(ir::RefCast{.target = target.bits(), .s = top_slot()});
}

// The reference stays on the stack on both paths: the label's last value
// on the branch, the operand on the way on. A branch that needs moves jumps
// over them on the opposite test (as branch_on_ref does).
void Translator::br_on_cast(uint32_t depth, ValType target, bool on_fail) {
  if (dead_) return;
  const uint32_t c = top_slot();
  Label& l = labels_[labels_.size() - 1 - depth];
  if (on_fail) ref_branch(l, IOp::BrOnCastFail, IOp::BrOnCast, {c, target.bits()});
  else ref_branch(l, IOp::BrOnCast, IOp::BrOnCastFail, {c, target.bits()});
}

void Translator::gc_simple(Op op) {
  switch (op) {
    case Op::RefEq: return generic(IOp::RefEq, 2, 1, {});
    case Op::RefI31: return generic(IOp::RefI31, 1, 1, {});
    case Op::I31GetS: return generic(IOp::I31GetS, 1, 1, {});
    case Op::I31GetU: return generic(IOp::I31GetU, 1, 1, {});
    case Op::ArrayLen: return generic(IOp::ArrayLen, 1, 1, {});
    default: return;  // the conversions: the same bits (runtime/gc.hh)
  }
}

}  // namespace ember::interp

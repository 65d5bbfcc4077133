// Validation of the GC proposal's operators (the rows of operators.def with
// Feature::Gc), on the function validator's stacks (func_validator.hh).
#include <string>

#include "validate/func_validator.hh"

namespace ember {

namespace {

// The value type a field reads as (packed fields read as i32).
ValType unpacked(const FieldType& f) {
  return f.packed != FieldType::None ? ValType::I32 : f.type;
}

bool defaultable(const FieldType& f) {
  return !f.type.is_ref() || f.type.nullable();
}

// The reference type of the top of `t`'s hierarchy, nullable.
ValType top_of(ValType t) {
  return ValType::ref(heap_top(t.heap()), true);
}

}  // namespace

Status FuncValidator::gc_type(uint32_t x, CompKind kind, const TypeDecl** out) const {
  if (x >= m_.types.size()) return invalid("unknown type " + std::to_string(x));
  const TypeDecl& d = m_.type_decls[x];
  if (d.kind != kind)
    return invalid(std::string("type mismatch: type ") + std::to_string(x) + " is not " +
                   (kind == CompKind::Struct ? "a struct" : "an array") + " type");
  *out = &d;
  return Status::Ok();
}

Status FuncValidator::gc_op(const Instr& in) {
  switch (in.op()) {
    case Op::StructNew:
    case Op::StructNewDefault:
    case Op::StructGet:
    case Op::StructGetS:
    case Op::StructGetU:
    case Op::StructSet: return struct_op(in);
    case Op::RefTest:
    case Op::RefTestNull:
    case Op::RefCast:
    case Op::RefCastNull:
    case Op::BrOnCast:
    case Op::BrOnCastFail: return cast_op(in);
    case Op::RefEq:
    case Op::RefI31:
    case Op::I31GetS:
    case Op::I31GetU:
    case Op::AnyConvertExtern:
    case Op::ExternConvertAny:
    case Op::ArrayLen: return simple_gc_op(in);
    default: return array_op(in);
  }
}

Status FuncValidator::simple_gc_op(const Instr& in) {
  switch (in.op()) {
    case Op::RefEq:
      EMBER_TRY(pop(ValType::ref(HeapKind::Eq, true)));
      EMBER_TRY(pop(ValType::ref(HeapKind::Eq, true)));
      push(ValType::I32);
      break;
    case Op::RefI31:
      EMBER_TRY(pop(ValType::I32));
      push(ValType::ref(HeapKind::I31, false));
      break;
    case Op::I31GetS:
    case Op::I31GetU:
      EMBER_TRY(pop(ValType::ref(HeapKind::I31, true)));
      push(ValType::I32);
      break;
    case Op::ArrayLen:
      EMBER_TRY(pop(ValType::ref(HeapKind::Array, true)));
      push(ValType::I32);
      break;
    default: {  // the conversions keep the operand's nullability
      const bool to_any = in.op() == Op::AnyConvertExtern;
      const HeapKind from = to_any ? HeapKind::Extern : HeapKind::Any;
      ValType t = kUnknown;
      EMBER_TRY(pop(ValType::ref(from, true), &t));
      const bool nullable = !t.is_bottom() && t.nullable();
      push(ValType::ref(to_any ? HeapKind::Any : HeapKind::Extern, nullable));
      break;
    }
  }
  out_.gc_simple(in.op());
  return Status::Ok();
}

Status FuncValidator::struct_op(const Instr& in) {
  const uint32_t x = in.index[0];
  const TypeDecl* d = nullptr;
  EMBER_TRY(gc_type(x, CompKind::Struct, &d));
  const std::vector<FieldType>& fs = d->fields;
  const ValType ref = ValType::ref_index(x, true, HeapKind::Struct);
  switch (in.op()) {
    case Op::StructNew:
      for (size_t i = fs.size(); i-- > 0;) EMBER_TRY(pop(unpacked(fs[i])));
      push(ref.as_nullable(false));
      out_.struct_new(x, fs, false);
      return Status::Ok();
    case Op::StructNewDefault:
      for (const FieldType& f : fs)
        if (!defaultable(f)) return invalid("type mismatch: field is not defaultable");
      push(ref.as_nullable(false));
      out_.struct_new(x, fs, true);
      return Status::Ok();
    default: break;
  }
  const uint32_t y = in.index[1];
  if (y >= fs.size()) return invalid("unknown field " + std::to_string(y));
  const FieldType& f = fs[y];
  if (in.op() == Op::StructSet) {
    if (!f.mut) return invalid("field is immutable");
    EMBER_TRY(pop(unpacked(f)));
    EMBER_TRY(pop(ref));
    out_.struct_set(x, fs, y);
    return Status::Ok();
  }
  const bool packed = f.packed != FieldType::None;
  if (packed != (in.op() != Op::StructGet))
    return invalid(packed ? "type mismatch: field is packed"
                          : "type mismatch: field is not packed");
  EMBER_TRY(pop(ref));
  push(unpacked(f));
  out_.struct_get(x, fs, y, in.op() == Op::StructGetS);
  return Status::Ok();
}

Status FuncValidator::array_op(const Instr& in) {
  const uint32_t x = in.index[0];
  const TypeDecl* d = nullptr;
  EMBER_TRY(gc_type(x, CompKind::Array, &d));
  if (d->fields.size() != 1) return invalid("malformed array type");
  const FieldType& e = d->fields[0];
  const ValType ref = ValType::ref_index(x, true, HeapKind::Array);
  const ValType elem = unpacked(e);
  const bool packed = e.packed != FieldType::None;
  auto needs_mut = [&]() -> Status {
    if (!e.mut) return invalid("array is immutable");
    return Status::Ok();
  };
  auto needs_numeric = [&]() -> Status {
    if (e.type.is_ref()) return invalid("type mismatch: array type is not numeric or vector");
    return Status::Ok();
  };
  auto needs_elem = [&](uint32_t seg) -> Status {
    EMBER_TRY(check_elem(seg));
    if (!matches(m_.elems[seg].type, e.type)) return invalid("type mismatch");
    return Status::Ok();
  };
  uint32_t imm = in.index[1];
  switch (in.op()) {
    case Op::ArrayNew:
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(elem));
      break;
    case Op::ArrayNewDefault:
      if (!defaultable(e)) return invalid("type mismatch: array type is not defaultable");
      EMBER_TRY(pop(ValType::I32));
      break;
    case Op::ArrayNewFixed:
      for (uint32_t i = 0; i < imm; i++) EMBER_TRY(pop(elem));
      break;
    case Op::ArrayNewData:
      EMBER_TRY(needs_numeric());
      EMBER_TRY(check_data(imm));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ValType::I32));
      break;
    case Op::ArrayNewElem:
      EMBER_TRY(needs_elem(imm));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ValType::I32));
      break;
    case Op::ArrayGet:
    case Op::ArrayGetS:
    case Op::ArrayGetU:
      if (packed != (in.op() != Op::ArrayGet))
        return invalid(packed ? "type mismatch: array is packed"
                              : "type mismatch: array is not packed");
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ref));
      push(elem);
      out_.array_op(in.op(), x, e, in.op() == Op::ArrayGetS);
      return Status::Ok();
    case Op::ArraySet:
      EMBER_TRY(needs_mut());
      EMBER_TRY(pop(elem));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ref));
      out_.array_op(in.op(), x, e, 0);
      return Status::Ok();
    case Op::ArrayFill:
      EMBER_TRY(needs_mut());
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(elem));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ref));
      out_.array_op(in.op(), x, e, 0);
      return Status::Ok();
    case Op::ArrayCopy: {
      EMBER_TRY(needs_mut());
      const TypeDecl* sd = nullptr;
      EMBER_TRY(gc_type(imm, CompKind::Array, &sd));
      if (sd->fields.size() != 1) return invalid("malformed array type");
      const FieldType& se = sd->fields[0];
      if (se.packed != e.packed || !matches(se.type, e.type))
        return invalid("type mismatch: array types do not match");
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ValType::ref_index(imm, true, HeapKind::Array)));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ref));
      out_.array_op(in.op(), x, e, imm);
      return Status::Ok();
    }
    case Op::ArrayInitData:
    case Op::ArrayInitElem:
      EMBER_TRY(needs_mut());
      if (in.op() == Op::ArrayInitData) {
        EMBER_TRY(needs_numeric());
        EMBER_TRY(check_data(imm));
      } else {
        EMBER_TRY(needs_elem(imm));
      }
      for (int i = 0; i < 3; i++) EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ref));
      out_.array_op(in.op(), x, e, imm);
      return Status::Ok();
    default: return invalid(std::string("unsupported operator ") + in.info->mnemonic);
  }
  push(ref.as_nullable(false));  // the allocations
  out_.array_op(in.op(), x, e, imm);
  return Status::Ok();
}

// ref.test, ref.cast and br_on_cast(_fail): the operand is any reference
// of the target's hierarchy.
Status FuncValidator::cast_op(const Instr& in) {
  ValType target = in.op() == Op::BrOnCast || in.op() == Op::BrOnCastFail ? in.ref2 : in.ref;
  EMBER_TRY(check_type(target));
  target = with_def_kind(target, m_);
  switch (in.op()) {
    case Op::RefTest:
    case Op::RefTestNull:
    case Op::RefCast:
    case Op::RefCastNull: {
      EMBER_TRY(pop(top_of(target)));
      const bool test = in.op() == Op::RefTest || in.op() == Op::RefTestNull;
      push(test ? ValType::I32 : target);
      if (test) out_.ref_test(target);
      else out_.ref_cast(target);
      return Status::Ok();
    }
    default: break;
  }
  EMBER_TRY(check_type(in.ref));
  const ValType source = with_def_kind(in.ref, m_);
  if (!matches(target, source))
    return invalid("type mismatch: cast target is not a subtype of the source");
  const Ctrl* l = nullptr;
  EMBER_TRY(label(in.index[0], &l));
  std::vector<ValType> ts = label_types(*l);
  if (ts.empty()) return invalid("type mismatch: the label has no reference result");
  // The type of what does not pass: the source, non-null when the target
  // admits null.
  const ValType rest = source.as_nullable(source.nullable() && !target.nullable());
  const bool on_fail = in.op() == Op::BrOnCastFail;
  if (!matches(on_fail ? rest : target, ts.back())) return invalid("type mismatch");
  EMBER_TRY(pop(source));
  ts.pop_back();
  EMBER_TRY(pop_all(ts));
  push_all(ts);
  push(on_fail ? target : rest);
  out_.br_on_cast(in.index[0], target, on_fail);
  return Status::Ok();
}

}  // namespace ember

// WAT -> binary for the GC proposal's instructions; see wat_parser.hh.
//
// The immediates of the GC rows of operators.def, encoded as the binary
// reader (binary/operator_reader.cc) reads them:
//   struct.get $t $f        type index, field index ($f resolved in $t's
//                           field names, recorded by parse_type_def)
//   array.new_fixed $t N    type index, u32 count
//   array.new_data $t $d    type index, data index (in a function, the
//                           module needs the data count section)
//   array.new_elem $t $e    type index, elem index
//   array.copy $t1 $t2      two type indices
//   ref.test rt, ref.cast rt
//                           one mnemonic, two opcodes: rt's nullability picks
//                           the row, then rt's heap type
//   br_on_cast $l rt1 rt2   flags (bit 0: rt1 nullable, bit 1: rt2), the
//                           label, rt1's heap type, rt2's heap type
// Instructions with no immediates (ref.eq, ref.i31, array.len, ...) need
// nothing here.
#include "text/wat_parser.hh"

namespace ember::text {

Expected<uint32_t> WatParser::parse_field_index(uint32_t type) {
  static const IndexSpace kNoNames;
  auto it = field_sp_.find(type);
  return parse_index(it == field_sp_.end() ? kNoNames : it->second, "field");
}

Status WatParser::parse_gc_immediates(const OpInfo& info, Buf& out) {
  EMBER_ASSIGN(uint32_t type, parse_index(type_sp_, "type"));
  put_uleb(out, type);
  uint32_t second;
  switch (info.imm) {
    case ImmKind::TypeField: {
      EMBER_ASSIGN(second, parse_field_index(type));
      break;
    }
    case ImmKind::TypeCount: {
      EMBER_ASSIGN(uint64_t n, parse_u64_lit(UINT32_MAX));
      second = uint32_t(n);
      break;
    }
    case ImmKind::TypeData: {
      note_data_use();
      EMBER_ASSIGN(second, parse_index(data_sp_, "data segment"));
      break;
    }
    case ImmKind::TypeElem: {
      EMBER_ASSIGN(second, parse_index(elem_sp_, "elem segment"));
      break;
    }
    case ImmKind::TypeType: {
      EMBER_ASSIGN(second, parse_index(type_sp_, "type"));
      break;
    }
    default: return error("unknown operator");
  }
  put_uleb(out, second);
  return Status::Ok();
}

// `ref.test rt` / `ref.cast rt`, the mnemonic read: the row whose target
// nullability matches rt's (RefTest takes a non-null target, RefTestNull a
// nullable one), then rt's heap type.
Status WatParser::parse_cast(const OpInfo& info, Buf& out) {
  EMBER_ASSIGN(ValType rt, parse_reftype());
  Op op = info.op;
  if (rt.nullable()) op = op == Op::RefTest ? Op::RefTestNull : Op::RefCastNull;
  put_opcode(op_info(op), out);
  put_heap_type(out, rt);
  return Status::Ok();
}

Status WatParser::parse_br_on_cast(Buf& out) {
  EMBER_ASSIGN(uint32_t label, parse_label());
  EMBER_ASSIGN(ValType from, parse_reftype());
  EMBER_ASSIGN(ValType to, parse_reftype());
  out.push_back(uint8_t((from.nullable() ? 1 : 0) | (to.nullable() ? 2 : 0)));
  put_uleb(out, label);
  put_heap_type(out, from);
  put_heap_type(out, to);
  return Status::Ok();
}

}  // namespace ember::text

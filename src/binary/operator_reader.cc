// The operator reader (see operator_reader.hh).
#include "binary/operator_reader.hh"

namespace ember {

namespace {
Error pending_error(const PendingConstruct& p, const FeatureSet& features, uint64_t at) {
  bool invalid;
  std::string msg = pending_message(p, features, &invalid);
  return Error(invalid ? ErrorKind::Invalid : ErrorKind::Unsupported, std::move(msg), at);
}
}  // namespace

Error not_enabled(Feature f, uint64_t at) {
  return Error(ErrorKind::Invalid, std::string(proposal_name(f)) + " support is not enabled", at);
}

std::optional<Error> val_type_gate(ValType t, const FeatureSet& features, uint64_t at) {
  if (!t.is_ref()) return std::nullopt;
  Feature need;
  if (t.has_index()) {
    need = Feature::FunctionReferences;
  } else {
    switch (t.heap()) {
      case HeapKind::Func:
      case HeapKind::Extern:
        need = t.nullable() ? Feature::ReferenceTypes : Feature::FunctionReferences;
        break;
      case HeapKind::Exn:
      case HeapKind::NoExn: need = Feature::Exceptions; break;
      default: need = Feature::Gc; break;
    }
  }
  if (features.has(need)) return std::nullopt;
  return not_enabled(need, at);
}

ValType with_def_kind(ValType t, const ModuleData& m) {
  if (!t.has_index() || t.index() >= m.type_decls.size()) return t;
  return ValType::ref_index(t.index(), t.nullable(), comp_heap(m.type_decls[t.index()].kind));
}

Expected<ValType> read_heap_type(Reader& r, const FeatureSet& features, const ModuleData& m,
                                 bool nullable) {
  const uint64_t at = r.offset();
  EMBER_ASSIGN(int64_t v, r.s33());
  ValType t;
  HeapKind h;
  if (v >= 0) {
    if (uint64_t(v) > ValType::kMaxIndex) return Error(ErrorKind::Invalid, "unknown type", at);
    t = with_def_kind(ValType::ref_index(uint32_t(v), nullable), m);
  } else if (v >= -64 && heap_kind_from_byte(uint8_t(v & 0x7F), &h)) {
    t = ValType::ref(h, nullable);
  } else {
    return r.fail_at("malformed reference type", at);
  }
  if (auto e = val_type_gate(t, features, at)) return std::move(*e);
  return t;
}

Expected<ValType> read_val_type(Reader& r, const FeatureSet& features, const ModuleData& m,
                                const char* malformed) {
  const uint64_t at = r.offset();
  EMBER_ASSIGN(uint8_t b, r.u8());
  if (b == 0x63 || b == 0x64) {
    if (!features.has(Feature::FunctionReferences))
      return not_enabled(Feature::FunctionReferences, at);
    return read_heap_type(r, features, m, b == 0x63);
  }
  ValType t;
  if (!val_type_from_byte(b, &t)) return type_byte_error(b, features, at, malformed);
  if (auto e = val_type_gate(t, features, at)) return std::move(*e);
  return t;
}

Expected<ValType> read_ref_type(Reader& r, const FeatureSet& features, const ModuleData& m) {
  const uint64_t at = r.offset();
  EMBER_ASSIGN(ValType t, read_val_type(r, features, m, "malformed reference type"));
  if (!t.is_ref()) return r.fail_at("malformed reference type", at);
  return t;
}

Error type_byte_error(uint8_t b, const FeatureSet& features, uint64_t at, const char* malformed) {
  if (const PendingConstruct* p = pending_type_by_byte(b)) return pending_error(*p, features, at);
  return Error(ErrorKind::Malformed, malformed, at);
}

std::optional<Error> pending_op_error(uint8_t prefix, uint32_t code, const FeatureSet& features,
                                      uint64_t at) {
  if (const PendingConstruct* p = pending_op_by_code(prefix, code))
    return pending_error(*p, features, at);
  return std::nullopt;
}

Status OperatorReader::next(Instr* out) {
  out->offset = r_.offset();
  EMBER_ASSIGN(uint8_t b, r_.u8());
  uint8_t prefix = 0;
  uint32_t code = b;
  if (b == 0xFB || b == 0xFC || b == 0xFD || b == 0xFE) {
    prefix = b;
    EMBER_ASSIGN(code, r_.u32());
  }
  out->info = op_by_code(prefix, code);
  if (!out->info) {
    if (auto e = pending_op_error(prefix, code, features_, out->offset)) return std::move(*e);
    return r_.fail_at("illegal opcode", out->offset);
  }
  return immediates(out);
}

Status OperatorReader::immediates(Instr* out) {
  switch (out->info->imm) {
    case ImmKind::None: return Status::Ok();
    case ImmKind::Block: return block_type(&out->block);
    case ImmKind::BrTable: return br_table(out);
    case ImmKind::CallIndirect: {
      EMBER_ASSIGN(out->index[0], r_.u32());
      if (features_.has(Feature::ReferenceTypes)) {
        EMBER_ASSIGN(out->index[1], r_.u32());
        return Status::Ok();
      }
      EMBER_ASSIGN(uint8_t zero, r_.u8());
      if (zero != 0) return r_.fail("zero byte expected");
      out->index[1] = 0;
      return Status::Ok();
    }
    case ImmKind::TableInit:
    case ImmKind::TableCopy:
    case ImmKind::TypeField:
    case ImmKind::TypeCount:
    case ImmKind::TypeElem:
    case ImmKind::TypeType: {
      EMBER_ASSIGN(out->index[0], r_.u32());
      EMBER_ASSIGN(out->index[1], r_.u32());
      return Status::Ok();
    }
    case ImmKind::SelectT: return select_types(out);
    case ImmKind::MemArg: return memarg(&out->memarg);
    case ImmKind::MemArgLane: {
      EMBER_TRY(memarg(&out->memarg));
      EMBER_ASSIGN(out->lane, r_.u8());
      return Status::Ok();
    }
    case ImmKind::Lane: {
      EMBER_ASSIGN(out->lane, r_.u8());
      return Status::Ok();
    }
    case ImmKind::Zero: {
      EMBER_ASSIGN(uint8_t zero, r_.u8());
      if (zero != 0) return r_.fail("zero byte expected");
      return Status::Ok();
    }
    case ImmKind::Shuffle: {
      EMBER_ASSIGN(out->lanes, r_.bytes(16));
      return Status::Ok();
    }
    case ImmKind::V128: {
      EMBER_ASSIGN(out->bits, r_.u64_fixed());
      EMBER_ASSIGN(out->bits_hi, r_.u64_fixed());
      return Status::Ok();
    }
    case ImmKind::Memory: return memory_index(&out->index[0]);
    case ImmKind::MemoryInit: {
      EMBER_ASSIGN(out->index[0], r_.u32());
      EMBER_TRY(data_count_required());
      return memory_index(&out->index[1]);
    }
    case ImmKind::Data: {
      EMBER_ASSIGN(out->index[0], r_.u32());
      return data_count_required();
    }
    case ImmKind::TypeData: {
      EMBER_ASSIGN(out->index[0], r_.u32());
      EMBER_ASSIGN(out->index[1], r_.u32());
      return data_count_required();
    }
    case ImmKind::CastType: {
      EMBER_ASSIGN(out->ref, read_heap_type(r_, features_, m_, false));
      return Status::Ok();
    }
    case ImmKind::BrOnCast: return br_on_cast(out);
    case ImmKind::MemoryCopy: {
      EMBER_TRY(memory_index(&out->index[0]));
      return memory_index(&out->index[1]);
    }
    case ImmKind::I32: {
      EMBER_ASSIGN(int32_t v, r_.s32());
      out->bits = uint32_t(v);
      return Status::Ok();
    }
    case ImmKind::I64: {
      EMBER_ASSIGN(int64_t v, r_.s64());
      out->bits = uint64_t(v);
      return Status::Ok();
    }
    case ImmKind::F32: {
      EMBER_ASSIGN(out->bits, r_.u32_fixed());
      return Status::Ok();
    }
    case ImmKind::F64: {
      EMBER_ASSIGN(out->bits, r_.u64_fixed());
      return Status::Ok();
    }
    case ImmKind::HeapType: {
      EMBER_ASSIGN(out->ref, read_heap_type(r_, features_, m_, true));
      return Status::Ok();
    }
    case ImmKind::TryTable: EMBER_TRY(block_type(&out->block)); return catch_clauses(out);
    case ImmKind::Tag:
    case ImmKind::Type:
    case ImmKind::Label:
    case ImmKind::Func:
    case ImmKind::Local:
    case ImmKind::Global:
    case ImmKind::Table:
    case ImmKind::Elem: {
      EMBER_ASSIGN(out->index[0], r_.u32());
      return Status::Ok();
    }
  }
  return r_.fail("illegal opcode");
}

// br_table: a count, then that many targets and the default.
Status OperatorReader::br_table(Instr* out) {
  EMBER_ASSIGN(uint32_t n, r_.u32());
  targets_.clear();
  for (uint64_t i = 0; i <= n; i++) {
    EMBER_ASSIGN(uint32_t d, r_.u32());
    targets_.push_back(d);
  }
  out->targets = targets_;
  return Status::Ok();
}

// br_on_cast(_fail): a flags byte (bit 0: the source is nullable, bit 1:
// the target), the label, then the two heap types.
Status OperatorReader::br_on_cast(Instr* out) {
  const uint64_t at = r_.offset();
  EMBER_ASSIGN(uint8_t flags, r_.u8());
  if (flags > 3) return r_.fail_at("invalid cast flags", at);
  EMBER_ASSIGN(out->index[0], r_.u32());
  EMBER_ASSIGN(out->ref, read_heap_type(r_, features_, m_, flags & 1));
  EMBER_ASSIGN(out->ref2, read_heap_type(r_, features_, m_, flags & 2));
  return Status::Ok();
}

// Typed select: a vector of value types (the validator wants exactly one).
Status OperatorReader::select_types(Instr* out) {
  EMBER_ASSIGN(uint32_t n, r_.u32());
  types_.clear();
  for (uint32_t i = 0; i < n; i++) {
    EMBER_ASSIGN(ValType t, read_val_type(r_, features_, m_));
    types_.push_back(t);
  }
  out->types = types_;
  return Status::Ok();
}

// try_table's catch clauses: a count, then each kind byte with its tag
// (catch, catch_ref) and label.
Status OperatorReader::catch_clauses(Instr* out) {
  EMBER_ASSIGN(uint32_t n, r_.u32());
  catches_.clear();
  for (uint32_t i = 0; i < n; i++) {
    const uint64_t at = r_.offset();
    EMBER_ASSIGN(uint8_t kind, r_.u8());
    if (kind > CatchClause::CatchAllRef) return r_.fail_at("malformed catch clause", at);
    CatchClause c;
    c.kind = CatchClause::Kind(kind);
    if (c.has_tag()) {
      EMBER_ASSIGN(c.tag, r_.u32());
    }
    EMBER_ASSIGN(c.label, r_.u32());
    catches_.push_back(c);
  }
  out->catches = catches_;
  return Status::Ok();
}

Status OperatorReader::block_type(BlockType* out) {
  if (r_.at_end()) return r_.fail("unexpected end");
  uint8_t b = *r_.pos();
  if (b == 0x40) {
    r_.skip(1);
    out->kind = BlockType::Kind::Empty;
    return Status::Ok();
  }
  ValType one;
  if (val_type_from_byte(b, &one) || b == 0x63 || b == 0x64) {
    EMBER_ASSIGN(out->value, read_val_type(r_, features_, m_));
    out->kind = BlockType::Kind::Value;
    return Status::Ok();
  }
  uint64_t at = r_.offset();
  if (pending_type_by_byte(b)) return type_byte_error(b, features_, at, "malformed value type");
  EMBER_ASSIGN(int64_t idx, r_.s33());
  if (idx < 0) return r_.fail_at("malformed value type", at);
  out->kind = BlockType::Kind::Index;
  out->index = uint32_t(idx);  // s33: a non-negative value fits 32 bits
  return Status::Ok();
}

// A memarg: the alignment's bit 6 announces a memory index (multi-memory);
Status OperatorReader::memarg(MemArg* out) {
  uint64_t at = r_.offset();
  EMBER_ASSIGN(out->align, r_.u32());
  if (out->align >= 0x80) return r_.fail_at("malformed memop flags", at);
  out->mem = 0;
  if ((out->align & 0x40) && features_.has(Feature::MultiMemory)) {
    EMBER_ASSIGN(out->mem, r_.u32());
    out->align &= ~0x40u;
  }
  // With memory64 every offset is a u64 (the validator checks a 32-bit
  // memory's fits 32 bits), as in Wasm 3.0; without it, a u32 as in 2.0.
  if (features_.has(Feature::Memory64)) {
    EMBER_ASSIGN(out->offset, r_.uleb(64));
  } else {
    EMBER_ASSIGN(out->offset, r_.u32());
  }
  return Status::Ok();
}

// memory.size/grow/fill/init/copy: a memory index with multi-memory, else a
// reserved zero byte.
Status OperatorReader::memory_index(uint32_t* out) {
  if (features_.has(Feature::MultiMemory)) {
    EMBER_ASSIGN(*out, r_.u32());
    return Status::Ok();
  }
  EMBER_ASSIGN(uint8_t b, r_.u8());
  if (b != 0) return r_.fail("zero byte expected");
  *out = 0;
  return Status::Ok();
}

Status OperatorReader::data_count_required() {
  if (context_ == Context::FunctionBody && !m_.data_count) {
    return r_.fail("data count section required");
  }
  return Status::Ok();
}

}  // namespace ember

// Function-body validation (spec appendix algorithm) driving a Lowering.
#include "validate/func_validate.hh"

#include <string>

#include "binary/reader.hh"
#include "validate/validate.hh"

namespace ember {

namespace {

constexpr uint8_t kUnknown = 0;  // the bottom type of unreachable code

class FuncValidator {
 public:
  FuncValidator(const ModuleContext& cx, uint32_t defined_index, Lowering& out)
      : cx_(cx),
        m_(cx.m),
        r_(m_.bytes.data() + m_.bodies[defined_index].offset, m_.bodies[defined_index].size,
           m_.bodies[defined_index].offset),
        out_(out),
        func_index_(m_.num_imported_funcs + defined_index) {}

  Status run();

 private:
  struct Ctrl {
    Op op;
    std::vector<ValType> params, results;
    uint32_t height;
    bool unreachable = false;
  };

  [[gnu::cold]] Error invalid(std::string msg) const {
    return Error(ErrorKind::Invalid, std::move(msg), op_offset_);
  }
  [[gnu::cold]] Error malformed(std::string msg) const {
    return Error(ErrorKind::Malformed, std::move(msg), op_offset_);
  }

  Status read_locals();
  Status operator_(const OpInfo& info);
  Status special(const OpInfo& info);
  Status memarg(const OpInfo& info, uint32_t* mem, uint32_t* offset);
  Status memory_op(const OpInfo& info);
  Status simd_op(const OpInfo& info);
  Status simd_memory_op(const OpInfo& info);
  Status lane_index(const OpInfo& info, uint32_t* lane);
  Status bulk_op(const OpInfo& info);
  Status table_op(const OpInfo& info);
  Status control_op(const OpInfo& info);
  Status call_op(const OpInfo& info);

  // Operand stack.
  void push(ValType t) { vals_.push_back(uint8_t(t)); }
  void push_raw(uint8_t t) { vals_.push_back(t); }
  void push_all(const std::vector<ValType>& ts) {
    for (ValType t : ts) push(t);
  }
  Status pop_any(uint8_t* out) {
    const Ctrl& c = ctrls_.back();
    if (vals_.size() == c.height) {
      if (c.unreachable) {
        *out = kUnknown;
        return Status::Ok();
      }
      return invalid("type mismatch");
    }
    *out = vals_.back();
    vals_.pop_back();
    return Status::Ok();
  }
  Status pop(ValType expect, uint8_t* actual = nullptr) {
    uint8_t t = kUnknown;
    EMBER_TRY(pop_any(&t));
    if (t != kUnknown && t != uint8_t(expect)) return invalid("type mismatch");
    if (actual) *actual = t;
    return Status::Ok();
  }
  Status pop_all(const std::vector<ValType>& ts, std::vector<uint8_t>* actual = nullptr) {
    if (actual) actual->assign(ts.size(), kUnknown);
    for (size_t i = ts.size(); i-- > 0;) {
      uint8_t a = kUnknown;
      EMBER_TRY(pop(ts[i], &a));
      if (actual) (*actual)[i] = a;
    }
    return Status::Ok();
  }
  void set_unreachable() {
    Ctrl& c = ctrls_.back();
    vals_.resize(c.height);
    c.unreachable = true;
  }
  const std::vector<ValType>& label_types(const Ctrl& c) const {
    return c.op == Op::Loop ? c.params : c.results;
  }
  Status label(uint32_t depth, const Ctrl** out) {
    if (depth >= ctrls_.size()) return invalid("unknown label");
    *out = &ctrls_[ctrls_.size() - 1 - depth];
    return Status::Ok();
  }

  // Immediates and index checks.
  Status block_type(std::vector<ValType>* params, std::vector<ValType>* results);
  Status mem_index(uint32_t* mem);  // memory.size/grow/fill/init immediates
  Status check_memory(uint32_t mem) {
    if (mem >= m_.memories.size()) return invalid("unknown memory " + std::to_string(mem));
    return Status::Ok();
  }
  Status check_table(uint32_t t) {
    if (t >= m_.tables.size()) return invalid("unknown table " + std::to_string(t));
    return Status::Ok();
  }
  Status check_data(uint32_t d) {
    if (!m_.data_count) return malformed("data count section required");
    if (d >= *m_.data_count) return invalid("unknown data segment " + std::to_string(d));
    return Status::Ok();
  }
  Status check_elem(uint32_t e) {
    if (e >= m_.elems.size()) return invalid("unknown elem segment " + std::to_string(e));
    return Status::Ok();
  }
  ValType addr_type(uint32_t mem) const {
    return m_.memories[mem].limits.is64 ? ValType::I64 : ValType::I32;
  }
  ValType table_index_type(uint32_t t) const {
    return m_.tables[t].limits.is64 ? ValType::I64 : ValType::I32;
  }

  const ModuleContext& cx_;
  const ModuleData& m_;
  Reader r_;
  Lowering& out_;
  uint32_t func_index_;
  uint64_t op_offset_ = 0;
  std::vector<ValType> locals_;
  std::vector<uint8_t> vals_;
  std::vector<Ctrl> ctrls_;
  std::vector<uint32_t> depths_;     // br_table scratch
  std::vector<uint8_t> scratch_;     // br_table scratch
};

Status FuncValidator::read_locals() {
  const FuncType& ft = m_.func_type(func_index_);
  locals_ = ft.params;
  op_offset_ = r_.offset();
  EMBER_ASSIGN(uint32_t groups, r_.u32());
  uint64_t total = locals_.size();
  for (uint32_t g = 0; g < groups; g++) {
    op_offset_ = r_.offset();
    EMBER_ASSIGN(uint32_t n, r_.u32());
    EMBER_ASSIGN(uint8_t b, r_.u8());
    total += n;
    if (total > kMaxFunctionLocals) return malformed("too many locals");
    ValType t;
    if (!val_type_from_byte(b, &t)) return malformed("malformed value type");
    if (t == ValType::V128 && !cx_.features.has(Feature::Simd)) {
      return invalid("v128 requires the simd feature");
    }
    locals_.insert(locals_.end(), n, t);
  }
  return Status::Ok();
}

Status FuncValidator::run() {
  EMBER_TRY(read_locals());
  const FuncType& ft = m_.func_type(func_index_);
  out_.begin_function(func_index_, ft, locals_);
  ctrls_.push_back(Ctrl{Op::Block, {}, ft.results, 0, false});
  while (!ctrls_.empty()) {
    op_offset_ = r_.offset();
    if (r_.at_end()) return malformed("END opcode expected");
    out_.at(op_offset_);
    EMBER_ASSIGN(uint8_t b, r_.u8());
    uint8_t prefix = 0;
    uint32_t code = b;
    if (b == 0xFC || b == 0xFD) {
      prefix = b;
      EMBER_ASSIGN(code, r_.u32());
    }
    const OpInfo* info = op_by_code(prefix, code);
    if (!info) return malformed("illegal opcode");
    if (!cx_.features.has(info->feature)) {
      return invalid(std::string(info->mnemonic) + " requires the " +
                     feature_name(info->feature) + " feature");
    }
    out_.charge(info->op);
    EMBER_TRY(operator_(*info));
  }
  if (!r_.at_end()) {
    op_offset_ = r_.offset();
    return malformed("section size mismatch");
  }
  return out_.finish_function();
}

Status FuncValidator::operator_(const OpInfo& info) {
  switch (info.sig) {
    case SigKind::Unary:
      EMBER_TRY(pop(*info.in));
      push(*info.out);
      out_.unary(info.op);
      return Status::Ok();
    case SigKind::Binary:
      EMBER_TRY(pop(*info.in));
      EMBER_TRY(pop(*info.in));
      push(*info.out);
      out_.binary(info.op);
      return Status::Ok();
    case SigKind::Load:
    case SigKind::Store:
      return memory_op(info);
    case SigKind::Special:
      return special(info);
    default:
      return simd_op(info);
  }
  return Status::Ok();
}

// A memarg immediate: alignment (at most natural), memory, offset.
Status FuncValidator::memarg(const OpInfo& info, uint32_t* mem_out, uint32_t* offset_out) {
  EMBER_ASSIGN(uint32_t align, r_.u32());
  uint32_t mem = 0;
  if ((align & 0x40) && cx_.features.has(Feature::MultiMemory)) {
    EMBER_ASSIGN(mem, r_.u32());
    align &= ~0x40u;
  }
  uint64_t offset;
  if (mem < m_.memories.size() && m_.memories[mem].limits.is64) {
    EMBER_ASSIGN(offset, r_.uleb(64));
  } else {
    EMBER_ASSIGN(offset, r_.u32());
  }
  EMBER_TRY(check_memory(mem));
  if (align >= 32 || (1u << align) > info.size) {
    return invalid("alignment must not be larger than natural");
  }
  if (offset > UINT32_MAX) return invalid("memory offsets beyond 4GiB are not supported yet");
  *mem_out = mem;
  *offset_out = uint32_t(offset);
  return Status::Ok();
}

Status FuncValidator::memory_op(const OpInfo& info) {
  uint32_t mem, offset;
  EMBER_TRY(memarg(info, &mem, &offset));
  bool addr64 = addr_type(mem) == ValType::I64;
  if (info.sig == SigKind::Load) {
    EMBER_TRY(pop(addr_type(mem)));
    push(*info.out);
    out_.load(info.op, offset, addr64, mem);
  } else {
    EMBER_TRY(pop(*info.in));
    EMBER_TRY(pop(addr_type(mem)));
    out_.store(info.op, offset, addr64, mem);
  }
  return Status::Ok();
}

// A lane index immediate, below the lane count of the operator's shape.
Status FuncValidator::lane_index(const OpInfo& info, uint32_t* lane) {
  EMBER_ASSIGN(uint8_t l, r_.u8());
  if (l >= 16 / info.size) return invalid("invalid lane index");
  *lane = l;
  return Status::Ok();
}

Status FuncValidator::simd_op(const OpInfo& info) {
  constexpr ValType V = ValType::V128;
  switch (info.sig) {
    case SigKind::VUnary:
      EMBER_TRY(pop(*info.in));
      push(*info.out);
      out_.simd(info.op, {});
      return Status::Ok();
    case SigKind::VBinary: {
      const uint8_t* lanes = nullptr;
      if (info.imm == ImmKind::Shuffle) {
        EMBER_ASSIGN(lanes, r_.bytes(16));
        for (int i = 0; i < 16; i++) {
          if (lanes[i] >= 32) return invalid("invalid lane index");
        }
      }
      EMBER_TRY(pop(V));
      EMBER_TRY(pop(V));
      push(V);
      if (lanes) out_.shuffle(lanes);
      else out_.simd(info.op, {});
      return Status::Ok();
    }
    case SigKind::VTernary:
      EMBER_TRY(pop(V));
      EMBER_TRY(pop(V));
      EMBER_TRY(pop(V));
      push(V);
      out_.simd(info.op, {});
      return Status::Ok();
    case SigKind::VShift:
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(V));
      push(V);
      out_.simd(info.op, {});
      return Status::Ok();
    case SigKind::VExtract: {
      uint32_t lane;
      EMBER_TRY(lane_index(info, &lane));
      EMBER_TRY(pop(V));
      push(*info.out);
      out_.simd(info.op, {lane});
      return Status::Ok();
    }
    case SigKind::VReplace: {
      uint32_t lane;
      EMBER_TRY(lane_index(info, &lane));
      EMBER_TRY(pop(*info.in));
      EMBER_TRY(pop(V));
      push(V);
      out_.simd(info.op, {lane});
      return Status::Ok();
    }
    default:
      return simd_memory_op(info);
  }
}

Status FuncValidator::simd_memory_op(const OpInfo& info) {
  uint32_t mem, offset, lane = 0;
  EMBER_TRY(memarg(info, &mem, &offset));
  if (mem != 0) return invalid("SIMD accesses beyond memory 0 are not supported yet");
  if (addr_type(mem) == ValType::I64) return invalid("SIMD accesses to 64-bit memories are not supported yet");
  bool has_lane = info.sig == SigKind::VLoadLane || info.sig == SigKind::VStoreLane;
  if (has_lane) EMBER_TRY(lane_index(info, &lane));
  if (info.sig != SigKind::VLoad) EMBER_TRY(pop(ValType::V128));
  EMBER_TRY(pop(addr_type(mem)));
  if (info.out) push(*info.out);
  if (has_lane) out_.simd(info.op, {offset, lane});
  else out_.simd(info.op, {offset});
  return Status::Ok();
}

Status FuncValidator::mem_index(uint32_t* mem) {
  if (cx_.features.has(Feature::MultiMemory)) {
    EMBER_ASSIGN(*mem, r_.u32());
  } else {
    EMBER_ASSIGN(uint8_t b, r_.u8());
    if (b != 0) return malformed("zero byte expected");
    *mem = 0;
  }
  return check_memory(*mem);
}

Status FuncValidator::block_type(std::vector<ValType>* params, std::vector<ValType>* results) {
  params->clear();
  results->clear();
  if (r_.at_end()) return malformed("unexpected end");
  uint8_t b = *r_.pos();
  if (b == 0x40) {
    r_.skip(1);
    return Status::Ok();
  }
  ValType t;
  if (val_type_from_byte(b, &t)) {
    r_.skip(1);
    if (t == ValType::V128 && !cx_.features.has(Feature::Simd)) {
      return invalid("v128 requires the simd feature");
    }
    results->push_back(t);
    return Status::Ok();
  }
  EMBER_ASSIGN(int64_t idx, r_.s33());
  if (idx < 0) return malformed("malformed value type");
  if (uint64_t(idx) >= m_.types.size()) return invalid("unknown type");
  const FuncType& ft = m_.types[idx];
  if ((!ft.params.empty() || ft.results.size() > 1) && !cx_.features.has(Feature::MultiValue)) {
    return invalid("invalid result arity");
  }
  *params = ft.params;
  *results = ft.results;
  return Status::Ok();
}

Status FuncValidator::special(const OpInfo& info) {
  switch (info.op) {
    case Op::Unreachable: case Op::Nop: case Op::Block: case Op::Loop: case Op::If:
    case Op::Else: case Op::End: case Op::Br: case Op::BrIf: case Op::BrTable:
    case Op::Return:
      return control_op(info);
    case Op::Call: case Op::CallIndirect: case Op::ReturnCall: case Op::ReturnCallIndirect:
      return call_op(info);
    case Op::Drop: {
      uint8_t t = kUnknown;
      EMBER_TRY(pop_any(&t));
      out_.drop();
      return Status::Ok();
    }
    case Op::Select: {
      EMBER_TRY(pop(ValType::I32));
      uint8_t t1 = kUnknown, t2 = kUnknown;
      EMBER_TRY(pop_any(&t1));
      EMBER_TRY(pop_any(&t2));
      auto numeric = [](uint8_t t) {
        return t == kUnknown || is_num(ValType(t)) || ValType(t) == ValType::V128;
      };
      if (!numeric(t1) || !numeric(t2)) return invalid("type mismatch");
      if (t1 != kUnknown && t2 != kUnknown && t1 != t2) return invalid("type mismatch");
      push_raw(t1 == kUnknown ? t2 : t1);
      out_.select();
      return Status::Ok();
    }
    case Op::SelectT: {
      EMBER_ASSIGN(uint32_t n, r_.u32());
      if (n != 1) return invalid("invalid result arity");
      EMBER_ASSIGN(uint8_t b, r_.u8());
      ValType t;
      if (!val_type_from_byte(b, &t)) return malformed("malformed value type");
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(t));
      EMBER_TRY(pop(t));
      push(t);
      out_.select();
      return Status::Ok();
    }
    case Op::LocalGet: case Op::LocalSet: case Op::LocalTee: {
      EMBER_ASSIGN(uint32_t x, r_.u32());
      if (x >= locals_.size()) return invalid("unknown local " + std::to_string(x));
      ValType t = locals_[x];
      if (info.op == Op::LocalGet) {
        push(t);
        out_.local_get(x);
      } else {
        EMBER_TRY(pop(t));
        if (info.op == Op::LocalTee) {
          push(t);
          out_.local_tee(x);
        } else {
          out_.local_set(x);
        }
      }
      return Status::Ok();
    }
    case Op::GlobalGet: case Op::GlobalSet: {
      EMBER_ASSIGN(uint32_t g, r_.u32());
      if (g >= m_.globals.size()) return invalid("unknown global " + std::to_string(g));
      const GlobalType& gt = m_.globals[g].type;
      if (info.op == Op::GlobalGet) {
        push(gt.type);
        out_.global_get(g, gt.type);
      } else {
        if (!gt.mut) return invalid("global is immutable");
        EMBER_TRY(pop(gt.type));
        out_.global_set(g, gt.type);
      }
      return Status::Ok();
    }
    case Op::I32Const: {
      EMBER_ASSIGN(int32_t v, r_.s32());
      push(ValType::I32);
      out_.constant(uint32_t(v));
      return Status::Ok();
    }
    case Op::I64Const: {
      EMBER_ASSIGN(int64_t v, r_.s64());
      push(ValType::I64);
      out_.constant(uint64_t(v));
      return Status::Ok();
    }
    case Op::F32Const: {
      EMBER_ASSIGN(uint32_t v, r_.u32_fixed());
      push(ValType::F32);
      out_.constant(v);
      return Status::Ok();
    }
    case Op::F64Const: {
      EMBER_ASSIGN(uint64_t v, r_.u64_fixed());
      push(ValType::F64);
      out_.constant(v);
      return Status::Ok();
    }
    case Op::V128Const: {
      EMBER_ASSIGN(uint64_t lo, r_.u64_fixed());
      EMBER_ASSIGN(uint64_t hi, r_.u64_fixed());
      push(ValType::V128);
      out_.constant_v128(lo, hi);
      return Status::Ok();
    }
    case Op::RefNull: {
      EMBER_ASSIGN(uint8_t b, r_.u8());
      if (b != uint8_t(ValType::FuncRef) && b != uint8_t(ValType::ExternRef)) {
        return malformed("malformed reference type");
      }
      push(ValType(b));
      out_.constant(0);
      return Status::Ok();
    }
    case Op::RefIsNull: {
      uint8_t t = kUnknown;
      EMBER_TRY(pop_any(&t));
      if (t != kUnknown && !is_ref(ValType(t))) return invalid("type mismatch");
      push(ValType::I32);
      out_.entity_op(Op::RefIsNull, {});
      return Status::Ok();
    }
    case Op::RefFunc: {
      EMBER_ASSIGN(uint32_t f, r_.u32());
      if (f >= m_.funcs.size()) return invalid("unknown function " + std::to_string(f));
      if (!cx_.declared_funcs[f]) return invalid("undeclared function reference");
      push(ValType::FuncRef);
      out_.entity_op(Op::RefFunc, {f});
      return Status::Ok();
    }
    case Op::MemorySize: case Op::MemoryGrow: case Op::MemoryInit: case Op::DataDrop:
    case Op::MemoryCopy: case Op::MemoryFill:
      return bulk_op(info);
    default:
      return table_op(info);
  }
}

Status FuncValidator::control_op(const OpInfo& info) {
  switch (info.op) {
    case Op::Unreachable:
      out_.unreachable();
      set_unreachable();
      return Status::Ok();
    case Op::Nop:
      return Status::Ok();
    case Op::Block: case Op::Loop: case Op::If: {
      Ctrl c{info.op, {}, {}, 0, false};
      EMBER_TRY(block_type(&c.params, &c.results));
      if (info.op == Op::If) EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop_all(c.params));
      c.height = uint32_t(vals_.size());
      ctrls_.push_back(std::move(c));
      const Ctrl& nc = ctrls_.back();
      push_all(nc.params);
      if (info.op == Op::Block) out_.block(nc.params, nc.results);
      else if (info.op == Op::Loop) out_.loop(nc.params, nc.results);
      else out_.if_(nc.params, nc.results);
      return Status::Ok();
    }
    case Op::Else: {
      Ctrl& c = ctrls_.back();
      if (c.op != Op::If) return invalid("else without matching if");
      EMBER_TRY(pop_all(c.results));
      if (vals_.size() != c.height) return invalid("type mismatch");
      out_.else_();
      c.op = Op::Else;
      c.unreachable = false;
      push_all(c.params);
      return Status::Ok();
    }
    case Op::End: {
      Ctrl& c = ctrls_.back();
      EMBER_TRY(pop_all(c.results));
      if (vals_.size() != c.height) return invalid("type mismatch");
      if (c.op == Op::If && c.params != c.results) return invalid("type mismatch");
      out_.end();
      std::vector<ValType> results = std::move(c.results);
      ctrls_.pop_back();
      push_all(results);
      return Status::Ok();
    }
    case Op::Br: {
      EMBER_ASSIGN(uint32_t depth, r_.u32());
      const Ctrl* l = nullptr;
      EMBER_TRY(label(depth, &l));
      EMBER_TRY(pop_all(label_types(*l)));
      out_.br(depth);
      set_unreachable();
      return Status::Ok();
    }
    case Op::BrIf: {
      EMBER_ASSIGN(uint32_t depth, r_.u32());
      const Ctrl* l = nullptr;
      EMBER_TRY(label(depth, &l));
      EMBER_TRY(pop(ValType::I32));
      const std::vector<ValType>& ts = label_types(*l);
      EMBER_TRY(pop_all(ts));
      push_all(ts);  // the label's types, as the spec's algorithm does
      out_.br_if(depth);
      return Status::Ok();
    }
    case Op::BrTable: {
      EMBER_ASSIGN(uint32_t n, r_.u32());
      depths_.clear();
      for (uint64_t i = 0; i <= n; i++) {
        EMBER_ASSIGN(uint32_t d, r_.u32());
        depths_.push_back(d);
      }
      EMBER_TRY(pop(ValType::I32));
      const Ctrl* def = nullptr;
      EMBER_TRY(label(depths_.back(), &def));
      size_t arity = label_types(*def).size();
      for (uint32_t d : depths_) {
        const Ctrl* l = nullptr;
        EMBER_TRY(label(d, &l));
        if (label_types(*l).size() != arity) return invalid("type mismatch");
        EMBER_TRY(pop_all(label_types(*l), &scratch_));
        for (uint8_t t : scratch_) push_raw(t);
      }
      EMBER_TRY(pop_all(label_types(*def)));
      out_.br_table(depths_);
      set_unreachable();
      return Status::Ok();
    }
    case Op::Return:
      EMBER_TRY(pop_all(ctrls_.front().results));
      out_.return_();
      set_unreachable();
      return Status::Ok();
    default:
      return invalid("unexpected operator");
  }
}

Status FuncValidator::call_op(const OpInfo& info) {
  const FuncType* ft;
  uint32_t func = 0, type_index = 0, table = 0;
  bool indirect = info.op == Op::CallIndirect || info.op == Op::ReturnCallIndirect;
  if (!indirect) {
    EMBER_ASSIGN(func, r_.u32());
    if (func >= m_.funcs.size()) return invalid("unknown function " + std::to_string(func));
    ft = &m_.func_type(func);
  } else {
    EMBER_ASSIGN(type_index, r_.u32());
    if (cx_.features.has(Feature::ReferenceTypes)) {
      EMBER_ASSIGN(table, r_.u32());
    } else {
      EMBER_ASSIGN(uint8_t b, r_.u8());
      if (b != 0) return malformed("zero byte expected");
    }
    EMBER_TRY(check_table(table));
    if (m_.tables[table].elem != ValType::FuncRef) return invalid("type mismatch");
    if (type_index >= m_.types.size()) return invalid("unknown type");
    ft = &m_.types[type_index];
    EMBER_TRY(pop(table_index_type(table)));
  }
  EMBER_TRY(pop_all(ft->params));
  bool tail = info.op == Op::ReturnCall || info.op == Op::ReturnCallIndirect;
  if (tail) {
    if (ft->results != ctrls_.front().results) return invalid("type mismatch");
    if (indirect) out_.return_call_indirect(m_.type_ids[type_index], table, *ft);
    else out_.return_call(func, *ft);
    set_unreachable();
    return Status::Ok();
  }
  push_all(ft->results);
  if (indirect) out_.call_indirect(m_.type_ids[type_index], table, *ft);
  else out_.call(func, *ft);
  return Status::Ok();
}

Status FuncValidator::bulk_op(const OpInfo& info) {
  switch (info.op) {
    case Op::MemorySize: {
      uint32_t mem;
      EMBER_TRY(mem_index(&mem));
      push(addr_type(mem));
      out_.entity_op(Op::MemorySize, {mem});
      return Status::Ok();
    }
    case Op::MemoryGrow: {
      uint32_t mem;
      EMBER_TRY(mem_index(&mem));
      EMBER_TRY(pop(addr_type(mem)));
      push(addr_type(mem));
      out_.entity_op(Op::MemoryGrow, {mem});
      return Status::Ok();
    }
    case Op::MemoryInit: {
      EMBER_ASSIGN(uint32_t data, r_.u32());
      uint32_t mem;
      EMBER_TRY(mem_index(&mem));
      EMBER_TRY(check_data(data));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(addr_type(mem)));
      out_.entity_op(Op::MemoryInit, {mem, data});
      return Status::Ok();
    }
    case Op::DataDrop: {
      EMBER_ASSIGN(uint32_t data, r_.u32());
      EMBER_TRY(check_data(data));
      out_.entity_op(Op::DataDrop, {data});
      return Status::Ok();
    }
    case Op::MemoryCopy: {
      uint32_t dm, sm;
      EMBER_TRY(mem_index(&dm));
      EMBER_TRY(mem_index(&sm));
      ValType dt = addr_type(dm), st = addr_type(sm);
      ValType nt = (dt == ValType::I64 && st == ValType::I64) ? ValType::I64 : ValType::I32;
      EMBER_TRY(pop(nt));
      EMBER_TRY(pop(st));
      EMBER_TRY(pop(dt));
      out_.entity_op(Op::MemoryCopy, {dm, sm}, nt == ValType::I64);
      return Status::Ok();
    }
    case Op::MemoryFill: {
      uint32_t mem;
      EMBER_TRY(mem_index(&mem));
      EMBER_TRY(pop(addr_type(mem)));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(addr_type(mem)));
      out_.entity_op(Op::MemoryFill, {mem}, addr_type(mem) == ValType::I64);
      return Status::Ok();
    }
    default:
      return invalid("unexpected operator");
  }
}

Status FuncValidator::table_op(const OpInfo& info) {
  switch (info.op) {
    case Op::TableGet: case Op::TableSet: case Op::TableGrow: case Op::TableSize:
    case Op::TableFill: {
      EMBER_ASSIGN(uint32_t t, r_.u32());
      EMBER_TRY(check_table(t));
      ValType et = m_.tables[t].elem;
      ValType it = table_index_type(t);
      if (info.op == Op::TableGet) {
        EMBER_TRY(pop(it));
        push(et);
        out_.entity_op(Op::TableGet, {t});
      } else if (info.op == Op::TableSet) {
        EMBER_TRY(pop(et));
        EMBER_TRY(pop(it));
        out_.entity_op(Op::TableSet, {t});
      } else if (info.op == Op::TableGrow) {
        EMBER_TRY(pop(it));
        EMBER_TRY(pop(et));
        push(it);
        out_.entity_op(Op::TableGrow, {t});
      } else if (info.op == Op::TableSize) {
        push(it);
        out_.entity_op(Op::TableSize, {t});
      } else {
        EMBER_TRY(pop(it));
        EMBER_TRY(pop(et));
        EMBER_TRY(pop(it));
        out_.entity_op(Op::TableFill, {t}, it == ValType::I64);
      }
      return Status::Ok();
    }
    case Op::TableInit: {
      EMBER_ASSIGN(uint32_t e, r_.u32());
      EMBER_ASSIGN(uint32_t t, r_.u32());
      EMBER_TRY(check_elem(e));
      EMBER_TRY(check_table(t));
      if (m_.elems[e].type != m_.tables[t].elem) return invalid("type mismatch");
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(table_index_type(t)));
      out_.entity_op(Op::TableInit, {t, e});
      return Status::Ok();
    }
    case Op::ElemDrop: {
      EMBER_ASSIGN(uint32_t e, r_.u32());
      EMBER_TRY(check_elem(e));
      out_.entity_op(Op::ElemDrop, {e});
      return Status::Ok();
    }
    case Op::TableCopy: {
      EMBER_ASSIGN(uint32_t dt, r_.u32());
      EMBER_ASSIGN(uint32_t st, r_.u32());
      EMBER_TRY(check_table(dt));
      EMBER_TRY(check_table(st));
      if (m_.tables[dt].elem != m_.tables[st].elem) return invalid("type mismatch");
      ValType dit = table_index_type(dt), sit = table_index_type(st);
      ValType nt = (dit == ValType::I64 && sit == ValType::I64) ? ValType::I64 : ValType::I32;
      EMBER_TRY(pop(nt));
      EMBER_TRY(pop(sit));
      EMBER_TRY(pop(dit));
      out_.entity_op(Op::TableCopy, {dt, st}, nt == ValType::I64);
      return Status::Ok();
    }
    default:
      return invalid(std::string("unsupported operator ") + info.mnemonic);
  }
}

// Decode-only walk of a body: finds the malformed encodings the spec's
// decoder would report before any validation error (used only after a
// validation error, so valid modules are decoded once).
Status skim_immediates(Reader& r, const OpInfo& info, const ModuleData& m, const FeatureSet& f) {
  auto mem_idx = [&]() -> Status {
    if (f.has(Feature::MultiMemory)) return r.u32().ok() ? Status::Ok() : r.fail("unexpected end");
    EMBER_ASSIGN(uint8_t b, r.u8());
    if (b != 0) return r.fail("zero byte expected");
    return Status::Ok();
  };
  switch (info.imm) {
    case ImmKind::None: return Status::Ok();
    case ImmKind::Block: {
      if (r.at_end()) return r.fail("unexpected end");
      ValType t;
      if (*r.pos() == 0x40 || val_type_from_byte(*r.pos(), &t)) {
        r.skip(1);
        return Status::Ok();
      }
      EMBER_ASSIGN(int64_t idx, r.s33());
      if (idx < 0) return r.fail("malformed value type");
      return Status::Ok();
    }
    case ImmKind::BrTable: {
      EMBER_ASSIGN(uint32_t n, r.u32());
      for (uint64_t i = 0; i <= n; i++) EMBER_TRY(r.u32());
      return Status::Ok();
    }
    case ImmKind::CallIndirect:
      EMBER_TRY(r.u32());
      if (f.has(Feature::ReferenceTypes)) {
        EMBER_TRY(r.u32());
      } else {
        EMBER_ASSIGN(uint8_t b, r.u8());
        if (b != 0) return r.fail("zero byte expected");
      }
      return Status::Ok();
    case ImmKind::TableInit: case ImmKind::TableCopy:
      EMBER_TRY(r.u32());
      EMBER_TRY(r.u32());
      return Status::Ok();
    case ImmKind::SelectT: {
      EMBER_ASSIGN(uint32_t n, r.u32());
      for (uint32_t i = 0; i < n; i++) {
        EMBER_ASSIGN(uint8_t b, r.u8());
        ValType t;
        if (!val_type_from_byte(b, &t)) return r.fail("malformed value type");
      }
      return Status::Ok();
    }
    case ImmKind::MemArg: case ImmKind::MemArgLane: {
      EMBER_ASSIGN(uint32_t align, r.u32());
      if ((align & 0x40) && f.has(Feature::MultiMemory)) EMBER_TRY(r.u32());
      EMBER_TRY(r.uleb(64));
      if (info.imm == ImmKind::MemArgLane) EMBER_TRY(r.u8());
      return Status::Ok();
    }
    case ImmKind::V128: case ImmKind::Shuffle: EMBER_TRY(r.bytes(16)); return Status::Ok();
    case ImmKind::Lane: EMBER_TRY(r.u8()); return Status::Ok();
    case ImmKind::Memory: return mem_idx();
    case ImmKind::MemoryInit:
      EMBER_TRY(r.u32());
      if (!m.data_count) return r.fail("data count section required");
      return mem_idx();
    case ImmKind::Data:
      EMBER_TRY(r.u32());
      if (!m.data_count) return r.fail("data count section required");
      return Status::Ok();
    case ImmKind::MemoryCopy:
      EMBER_TRY(mem_idx());
      return mem_idx();
    case ImmKind::I32: EMBER_TRY(r.s32()); return Status::Ok();
    case ImmKind::I64: EMBER_TRY(r.s64()); return Status::Ok();
    case ImmKind::F32: EMBER_TRY(r.u32_fixed()); return Status::Ok();
    case ImmKind::F64: EMBER_TRY(r.u64_fixed()); return Status::Ok();
    case ImmKind::HeapType: {
      EMBER_ASSIGN(uint8_t b, r.u8());
      if (b != uint8_t(ValType::FuncRef) && b != uint8_t(ValType::ExternRef)) {
        return r.fail("malformed reference type");
      }
      return Status::Ok();
    }
    default: EMBER_TRY(r.u32()); return Status::Ok();
  }
}

}  // namespace

Status decode_function(const ModuleData& m, uint32_t defined_index, const FeatureSet& f) {
  const FuncBody& body = m.bodies[defined_index];
  Reader r(m.bytes.data() + body.offset, body.size, body.offset);
  EMBER_ASSIGN(uint32_t groups, r.u32());
  uint32_t type_index = m.funcs[m.num_imported_funcs + defined_index];
  uint64_t total = type_index < m.types.size() ? m.types[type_index].params.size() : 0;
  for (uint32_t g = 0; g < groups; g++) {
    EMBER_ASSIGN(uint32_t n, r.u32());
    EMBER_ASSIGN(uint8_t b, r.u8());
    total += n;
    if (total > kMaxFunctionLocals) return r.fail("too many locals");
    ValType t;
    if (!val_type_from_byte(b, &t)) return r.fail("malformed value type");
  }
  uint64_t depth = 1;
  while (depth > 0) {
    if (r.at_end()) return r.fail("END opcode expected");
    uint64_t at = r.offset();
    EMBER_ASSIGN(uint8_t b, r.u8());
    uint8_t prefix = 0;
    uint32_t code = b;
    if (b == 0xFC || b == 0xFD) {
      prefix = b;
      EMBER_ASSIGN(code, r.u32());
    }
    const OpInfo* info = op_by_code(prefix, code);
    if (!info) return r.fail_at("illegal opcode", at);
    if (info->op == Op::Block || info->op == Op::Loop || info->op == Op::If) depth++;
    if (info->op == Op::End) depth--;
    EMBER_TRY(skim_immediates(r, *info, m, f));
  }
  if (!r.at_end()) return r.fail("section size mismatch");
  return Status::Ok();
}

Status validate_function(const ModuleContext& cx, uint32_t defined_index,
                         Lowering& out) {
  FuncValidator v(cx, defined_index, out);
  return v.run();
}

}  // namespace ember

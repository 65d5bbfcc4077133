// Function-body validation (spec appendix algorithm) driving a Lowering.
#include "validate/func_validate.hh"

#include <algorithm>
#include <cstring>
#include <string>

#include "validate/func_validator.hh"
#include "validate/validate.hh"

namespace ember {

Status FuncValidator::read_locals() {
  const FuncType& ft = m_.func_type(func_index_);
  locals_ = ft.params;
  op_offset_ = r_.offset();
  EMBER_ASSIGN(uint32_t groups, r_.u32());
  uint64_t total = locals_.size();
  for (uint32_t g = 0; g < groups; g++) {
    op_offset_ = r_.offset();
    EMBER_ASSIGN(uint32_t n, r_.u32());
    total += n;
    if (total > kMaxFunctionLocals) return malformed("too many locals");
    EMBER_ASSIGN(ValType t, read_val_type(r_, cx_.features, m_));
    EMBER_TRY(check_type(t));
    if (t == ValType::V128 && !cx_.features.has(Feature::Simd)) {
      return invalid("v128 requires the simd feature");
    }
    locals_.insert(locals_.end(), n, t);
  }
  local_set_.assign(locals_.size(), true);
  for (size_t i = ft.params.size(); i < locals_.size(); i++)
    if (locals_[i].is_ref() && !locals_[i].nullable()) local_set_[i] = false;
  return Status::Ok();
}

Status FuncValidator::run() {
  EMBER_TRY(read_locals());
  const FuncType& ft = m_.func_type(func_index_);
  // The entry's own instructions (fuel, epoch and tier-up checks) map to
  // the first operator, whichever functions were translated before.
  out_.at(r_.offset());
  out_.begin_function(func_index_, ft, locals_, legacy_catch_depth(), vals_);
  push_ctrl(Ctrl{Op::Block, {}, ft.results, 0, false});
  while (!ctrls_.empty()) {
    op_offset_ = r_.offset();
    if (r_.at_end()) return malformed("END opcode expected");
    EMBER_TRY(ops_.next(&in_));
    const OpInfo& info = *in_.info;
    if (!cx_.features.has(info.feature)) {
      if (info.feature == Feature::Exceptions || info.feature == Feature::FunctionReferences ||
          info.feature == Feature::Threads || info.feature == Feature::Gc)
        return invalid(std::string(proposal_name(info.feature)) + " support is not enabled");
      return invalid(std::string(info.mnemonic) + " requires the " + feature_name(info.feature) +
                     " feature");
    }
    out_.at(op_offset_);
    out_.charge(info.op);
    EMBER_TRY(operator_(in_));
  }
  if (!r_.at_end()) {
    op_offset_ = r_.offset();
    return malformed("section size mismatch");
  }
  return out_.finish_function();
}

Status FuncValidator::operator_(const Instr& in) {
  const OpInfo& info = *in.info;
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
    case SigKind::Binary128:
    case SigKind::BinaryWide:
      for (int i = info.sig == SigKind::Binary128 ? 4 : 2; i > 0; i--) EMBER_TRY(pop(*info.in));
      push(*info.out);
      push(*info.out);
      out_.wide_arith(info.op);
      return Status::Ok();
    case SigKind::Load:
    case SigKind::Store: return memory_op(in);
    case SigKind::AtomicLoad:
    case SigKind::AtomicStore:
    case SigKind::AtomicRmw:
    case SigKind::AtomicCmpxchg:
    case SigKind::AtomicWait: return atomic_op(in);
    case SigKind::Special: return special(in);
    default: return simd_op(in);
  }
  return Status::Ok();
}

// A memarg immediate: alignment (at most natural), memory, offset (below
// 2^32 for a 32-bit memory).
Status FuncValidator::memarg(const Instr& in, uint32_t* mem_out, uint64_t* offset_out) {
  const OpInfo& info = *in.info;
  uint32_t align = in.memarg.align, mem = in.memarg.mem;
  uint64_t offset = in.memarg.offset;
  EMBER_TRY(check_memory(mem));
  if (align >= 32 || (1u << align) > info.size) {
    return invalid("alignment must not be larger than natural");
  }
  if (offset > UINT32_MAX && addr_type(mem) != ValType::I64) return invalid("offset out of range");
  *mem_out = mem;
  *offset_out = offset;
  return Status::Ok();
}

Status FuncValidator::memory_op(const Instr& in) {
  const OpInfo& info = *in.info;
  uint32_t mem;
  uint64_t offset;
  EMBER_TRY(memarg(in, &mem, &offset));
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

// An atomic access (threads): its alignment must be exactly natural; the
// operands are the address, then the row's shape (operators.def).
Status FuncValidator::atomic_op(const Instr& in) {
  const OpInfo& info = *in.info;
  uint32_t mem;
  uint64_t offset;
  EMBER_TRY(memarg(in, &mem, &offset));
  if ((1u << in.memarg.align) != info.size) return invalid("atomic alignment must be natural");
  switch (info.sig) {
    case SigKind::AtomicWait:
      EMBER_TRY(pop(ValType::I64));
      EMBER_TRY(pop(*info.in));
      break;
    case SigKind::AtomicCmpxchg: EMBER_TRY(pop(*info.in)); [[fallthrough]];
    case SigKind::AtomicRmw:
    case SigKind::AtomicStore: EMBER_TRY(pop(*info.in)); break;
    default: break;
  }
  EMBER_TRY(pop(addr_type(mem)));
  if (info.out) push(*info.out);
  out_.atomic(info.op, offset, addr_type(mem) == ValType::I64, mem);
  return Status::Ok();
}

// A lane index immediate, below the lane count of the operator's shape.
Status FuncValidator::lane_index(const Instr& in, uint32_t* lane) {
  const OpInfo& info = *in.info;
  if (in.lane >= 16 / info.size) return invalid("invalid lane index");
  *lane = in.lane;
  return Status::Ok();
}

Status FuncValidator::simd_op(const Instr& in) {
  const OpInfo& info = *in.info;
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
        lanes = in.lanes;
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
      EMBER_TRY(lane_index(in, &lane));
      EMBER_TRY(pop(V));
      push(*info.out);
      out_.simd(info.op, {lane});
      return Status::Ok();
    }
    case SigKind::VReplace: {
      uint32_t lane;
      EMBER_TRY(lane_index(in, &lane));
      EMBER_TRY(pop(*info.in));
      EMBER_TRY(pop(V));
      push(V);
      out_.simd(info.op, {lane});
      return Status::Ok();
    }
    default: return simd_memory_op(in);
  }
}

Status FuncValidator::simd_memory_op(const Instr& in) {
  const OpInfo& info = *in.info;
  uint32_t mem, lane = 0;
  uint64_t offset;
  EMBER_TRY(memarg(in, &mem, &offset));
  bool has_lane = info.sig == SigKind::VLoadLane || info.sig == SigKind::VStoreLane;
  if (has_lane) EMBER_TRY(lane_index(in, &lane));
  if (info.sig != SigKind::VLoad) EMBER_TRY(pop(ValType::V128));
  EMBER_TRY(pop(addr_type(mem)));
  if (info.out) push(*info.out);
  out_.simd_access(info.op, offset, addr_type(mem) == ValType::I64, mem, lane);
  return Status::Ok();
}

Status FuncValidator::block_type(const BlockType& bt, std::vector<ValType>* params,
                                 std::vector<ValType>* results) {
  params->clear();
  results->clear();
  if (bt.kind == BlockType::Kind::Empty) return Status::Ok();
  if (bt.kind == BlockType::Kind::Value) {
    if (bt.value == ValType::V128 && !cx_.features.has(Feature::Simd)) {
      return invalid("v128 requires the simd feature");
    }
    EMBER_TRY(check_type(bt.value));
    results->push_back(bt.value);
    return Status::Ok();
  }
  EMBER_TRY(check_func_type(bt.index));
  const FuncType& ft = m_.types[bt.index];
  if ((!ft.params.empty() || ft.results.size() > 1) && !cx_.features.has(Feature::MultiValue)) {
    return invalid("invalid result arity");
  }
  *params = ft.params;
  *results = ft.results;
  return Status::Ok();
}

Status FuncValidator::special(const Instr& in) {
  const OpInfo& info = *in.info;
  if (info.feature == Feature::Gc) return gc_op(in);
  switch (info.op) {
    case Op::Unreachable:
    case Op::Nop:
    case Op::Block:
    case Op::Loop:
    case Op::If:
    case Op::Else:
    case Op::End:
    case Op::Br:
    case Op::BrIf:
    case Op::BrTable:
    case Op::Return: return control_op(in);
    case Op::Call:
    case Op::CallIndirect:
    case Op::ReturnCall:
    case Op::ReturnCallIndirect: return call_op(in);
    case Op::CallRef:
    case Op::ReturnCallRef: return call_ref_op(in);
    case Op::RefAsNonNull:
    case Op::BrOnNull:
    case Op::BrOnNonNull: return null_op(in);
    case Op::Throw:
    case Op::ThrowRef:
    case Op::TryTable: return exception_op(in);
    case Op::Try:
    case Op::Catch:
    case Op::CatchAll:
    case Op::Delegate:
    case Op::Rethrow: return legacy_op(in);
    case Op::AtomicFence: out_.atomic_fence(); return Status::Ok();
    case Op::Drop: {
      ValType t = kUnknown;
      EMBER_TRY(pop_any(&t));
      out_.drop();
      return Status::Ok();
    }
    case Op::Select: {
      EMBER_TRY(pop(ValType::I32));
      ValType t1 = kUnknown, t2 = kUnknown;
      EMBER_TRY(pop_any(&t1));
      EMBER_TRY(pop_any(&t2));
      auto numeric = [](ValType t) { return t.is_bottom() || t.is_num() || t == ValType::V128; };
      if (!numeric(t1) || !numeric(t2)) return invalid("type mismatch");
      if (t1 != kUnknown && t2 != kUnknown && t1 != t2) return invalid("type mismatch");
      push(t1 == kUnknown ? t2 : t1);
      out_.select();
      return Status::Ok();
    }
    case Op::SelectT: {
      if (in.types.size() != 1) return invalid("invalid result arity");
      ValType t = in.types[0];
      EMBER_TRY(check_type(t));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(t));
      EMBER_TRY(pop(t));
      push(t);
      out_.select();
      return Status::Ok();
    }
    case Op::LocalGet:
    case Op::LocalSet:
    case Op::LocalTee: {
      uint32_t x = in.index[0];
      if (x >= locals_.size()) return invalid("unknown local " + std::to_string(x));
      ValType t = locals_[x];
      if (info.op == Op::LocalGet) {
        if (!local_set_[x]) return invalid("uninitialized local " + std::to_string(x));
        push(t);
        out_.local_get(x);
      } else {
        EMBER_TRY(pop(t));
        init_local(x);
        if (info.op == Op::LocalTee) {
          push(t);
          out_.local_tee(x);
        } else {
          out_.local_set(x);
        }
      }
      return Status::Ok();
    }
    case Op::GlobalGet:
    case Op::GlobalSet: {
      uint32_t g = in.index[0];
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
      push(ValType::I32);
      out_.constant(in.bits);
      return Status::Ok();
    }
    case Op::I64Const: {
      push(ValType::I64);
      out_.constant(in.bits);
      return Status::Ok();
    }
    case Op::F32Const: {
      push(ValType::F32);
      out_.constant(in.bits);
      return Status::Ok();
    }
    case Op::F64Const: {
      push(ValType::F64);
      out_.constant(in.bits);
      return Status::Ok();
    }
    case Op::V128Const: {
      push(ValType::V128);
      out_.constant_v128(in.bits, in.bits_hi);
      return Status::Ok();
    }
    case Op::RefNull: {
      EMBER_TRY(check_type(in.ref));
      push(in.ref);
      out_.constant(0);
      return Status::Ok();
    }
    case Op::RefIsNull: {
      ValType t = kUnknown;
      EMBER_TRY(pop_ref(&t));
      push(ValType::I32);
      out_.entity_op(Op::RefIsNull, {});
      return Status::Ok();
    }
    case Op::RefFunc: {
      uint32_t f = in.index[0];
      if (f >= m_.funcs.size()) return invalid("unknown function " + std::to_string(f));
      if (!cx_.declared_funcs[f]) return invalid("undeclared function reference");
      push(ValType::ref_index(m_.funcs[f], false));
      out_.entity_op(Op::RefFunc, {f});
      return Status::Ok();
    }
    case Op::MemorySize:
    case Op::MemoryGrow:
    case Op::MemoryInit:
    case Op::DataDrop:
    case Op::MemoryCopy:
    case Op::MemoryFill: return bulk_op(in);
    default: return table_op(in);
  }
}

Status FuncValidator::control_op(const Instr& in) {
  const OpInfo& info = *in.info;
  switch (info.op) {
    case Op::Unreachable:
      out_.unreachable();
      set_unreachable();
      return Status::Ok();
    case Op::Nop: return Status::Ok();
    case Op::Block:
    case Op::Loop:
    case Op::If: {
      Ctrl c{info.op, {}, {}, 0, false};
      EMBER_TRY(block_type(in.block, &c.params, &c.results));
      if (info.op == Op::If) EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop_all(c.params));
      c.height = uint32_t(vals_.size());
      push_ctrl(std::move(c));
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
      reset_inits(c.init_height);
      c.op = Op::Else;
      c.unreachable = false;
      push_all(c.params);
      return Status::Ok();
    }
    case Op::End: {
      Ctrl& c = ctrls_.back();
      EMBER_TRY(pop_all(c.results));
      if (vals_.size() != c.height) return invalid("type mismatch");
      if (c.op == Op::If && !all_match(c.params, c.results)) return invalid("type mismatch");
      out_.end();
      reset_inits(c.init_height);
      std::vector<ValType> results = std::move(c.results);
      ctrls_.pop_back();
      push_all(results);
      return Status::Ok();
    }
    case Op::Br: {
      uint32_t depth = in.index[0];
      const Ctrl* l = nullptr;
      EMBER_TRY(label(depth, &l));
      EMBER_TRY(pop_all(label_types(*l)));
      out_.br(depth);
      set_unreachable();
      return Status::Ok();
    }
    case Op::BrIf: {
      uint32_t depth = in.index[0];
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
      EMBER_TRY(pop(ValType::I32));
      const Ctrl* def = nullptr;
      EMBER_TRY(label(in.targets.back(), &def));
      size_t arity = label_types(*def).size();
      for (uint32_t d : in.targets) {
        const Ctrl* l = nullptr;
        EMBER_TRY(label(d, &l));
        if (label_types(*l).size() != arity) return invalid("type mismatch");
        EMBER_TRY(pop_all(label_types(*l), &scratch_));
        for (ValType t : scratch_) push(t);
      }
      EMBER_TRY(pop_all(label_types(*def)));
      out_.br_table(in.targets);
      set_unreachable();
      return Status::Ok();
    }
    case Op::Return:
      EMBER_TRY(pop_all(ctrls_.front().results));
      out_.return_();
      set_unreachable();
      return Status::Ok();
    default: return invalid("unexpected operator");
  }
}

// throw, throw_ref and try_table. A catch clause's label is counted from
// outside the try_table and must take exactly what the clause hands it:
// the tag's payload (catch), then an exnref (catch_ref), or only the exnref
// (catch_all_ref), or nothing (catch_all).
Status FuncValidator::exception_op(const Instr& in) {
  switch (in.op()) {
    case Op::Throw: {
      uint32_t tag = in.index[0];
      EMBER_TRY(check_tag(tag));
      EMBER_TRY(pop_all(tag_type(tag).params));
      out_.throw_(tag, tag_type(tag));
      set_unreachable();
      return Status::Ok();
    }
    case Op::ThrowRef:
      EMBER_TRY(pop(ValType::ExnRef));
      out_.throw_ref();
      set_unreachable();
      return Status::Ok();
    default: break;
  }
  Ctrl c{Op::TryTable, {}, {}, 0, false};
  EMBER_TRY(block_type(in.block, &c.params, &c.results));
  std::vector<ValType> want;
  for (const CatchClause& k : in.catches) {
    want.clear();
    if (k.has_tag()) {
      EMBER_TRY(check_tag(k.tag));
      want = tag_type(k.tag).params;
    }
    if (k.has_ref()) want.push_back(ValType::ref(HeapKind::Exn, false));  // never null
    const Ctrl* l = nullptr;
    EMBER_TRY(label(k.label, &l));
    if (!all_match(want, label_types(*l))) return invalid("type mismatch");
  }
  EMBER_TRY(pop_all(c.params));
  c.height = uint32_t(vals_.size());
  push_ctrl(std::move(c));
  const Ctrl& nc = ctrls_.back();
  push_all(nc.params);
  out_.try_table(nc.params, nc.results, in.catches);
  return Status::Ok();
}

// try, catch, catch_all, delegate, rethrow (the legacy instructions). A
// catch or catch_all block replaces the try's frame as `else` does an if's;
// delegate closes the try and names a label outside it; rethrow names a
// catch block.
Status FuncValidator::legacy_op(const Instr& in) {
  switch (in.op()) {
    case Op::Try: {
      Ctrl c{Op::Try, {}, {}, 0, false};
      EMBER_TRY(block_type(in.block, &c.params, &c.results));
      EMBER_TRY(pop_all(c.params));
      c.height = uint32_t(vals_.size());
      push_ctrl(std::move(c));
      push_all(ctrls_.back().params);
      out_.try_(ctrls_.back().params, ctrls_.back().results);
      return Status::Ok();
    }
    case Op::Catch:
    case Op::CatchAll: {
      Ctrl& c = ctrls_.back();
      const bool all = in.op() == Op::CatchAll;
      if (c.op != Op::Try && c.op != Op::Catch)
        return invalid(std::string(all ? "catch_all" : "catch") + " found outside of a try block");
      if (!all) EMBER_TRY(check_tag(in.index[0]));
      EMBER_TRY(pop_all(c.results));
      if (vals_.size() != c.height) return invalid("type mismatch");
      reset_inits(c.init_height);
      c.op = in.op();
      c.unreachable = false;
      if (all) {
        out_.catch_all();
      } else {
        push_all(tag_type(in.index[0]).params);
        out_.catch_(in.index[0], tag_type(in.index[0]));
      }
      return Status::Ok();
    }
    case Op::Delegate: {
      Ctrl& c = ctrls_.back();
      if (c.op != Op::Try) return invalid("delegate found outside of a try block");
      EMBER_TRY(pop_all(c.results));
      if (vals_.size() != c.height) return invalid("type mismatch");
      reset_inits(c.init_height);
      std::vector<ValType> results = std::move(c.results);
      ctrls_.pop_back();
      const Ctrl* l = nullptr;
      EMBER_TRY(label(in.index[0], &l));
      out_.delegate(in.index[0]);
      push_all(results);
      return Status::Ok();
    }
    default: {  // rethrow
      const Ctrl* l = nullptr;
      if (in.index[0] >= ctrls_.size()) return invalid("invalid rethrow label");
      EMBER_TRY(label(in.index[0], &l));
      if (l->op != Op::Catch && l->op != Op::CatchAll) return invalid("invalid rethrow label");
      out_.rethrow(in.index[0]);
      set_unreachable();
      return Status::Ok();
    }
  }
}

// How deeply legacy catch blocks nest in the body: a decode-only walk of
// the operators (from the reader's place, after the locals), made only when
// they have a `try` opcode byte at all (0 on a decoding error, which
// validation then reports).
uint32_t FuncValidator::legacy_catch_depth() const {
  if (!cx_.features.has(Feature::Exceptions) || !std::memchr(r_.pos(), 0x06, r_.remaining()))
    return 0;
  Reader r = r_;
  OperatorReader ops(r, m_, cx_.features, OperatorReader::Context::FunctionBody);
  std::vector<bool> in_catch{false};  // per open block: is it a catch block
  uint32_t active = 0, deepest = 0;
  Instr in;
  while (!in_catch.empty() && !r.at_end()) {
    if (!ops.next(&in)) return 0;
    Op op = in.op();
    if (in.info->imm == ImmKind::Block || op == Op::TryTable) {
      in_catch.push_back(false);
    } else if (op == Op::Catch || op == Op::CatchAll) {
      if (!in_catch.back()) active++;
      in_catch.back() = true;
      deepest = std::max(deepest, active);
    } else if (op == Op::End || op == Op::Delegate) {
      if (in_catch.back()) active--;
      in_catch.pop_back();
    }
  }
  return deepest;
}

Status FuncValidator::call_op(const Instr& in) {
  const OpInfo& info = *in.info;
  const FuncType* ft;
  uint32_t func = 0, type_index = 0, table = 0;
  bool indirect = info.op == Op::CallIndirect || info.op == Op::ReturnCallIndirect;
  if (!indirect) {
    func = in.index[0];
    if (func >= m_.funcs.size()) return invalid("unknown function " + std::to_string(func));
    ft = &m_.func_type(func);
  } else {
    type_index = in.index[0];
    table = in.index[1];
    EMBER_TRY(check_table(table));
    if (!matches(m_.tables[table].elem, ValType::FuncRef)) return invalid("type mismatch");
    EMBER_TRY(check_func_type(type_index));
    ft = &m_.types[type_index];
    EMBER_TRY(pop(table_index_type(table)));
  }
  EMBER_TRY(pop_all(ft->params));
  bool tail = info.op == Op::ReturnCall || info.op == Op::ReturnCallIndirect;
  if (tail) {
    if (!all_match(ft->results, ctrls_.front().results)) return invalid("type mismatch");
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

// call_ref / return_call_ref $t: the callee is a `(ref null $t)` on top.
Status FuncValidator::call_ref_op(const Instr& in) {
  const bool tail = in.op() == Op::ReturnCallRef;
  if (tail && !cx_.features.has(Feature::TailCall))
    return invalid("return_call_ref requires the tail_call feature");
  const uint32_t type_index = in.index[0];
  EMBER_TRY(check_func_type(type_index));
  const FuncType& ft = m_.types[type_index];
  EMBER_TRY(pop(ValType::ref_index(type_index, true)));
  EMBER_TRY(pop_all(ft.params));
  const uint32_t id = m_.type_ids[type_index];
  if (tail) {
    if (!all_match(ft.results, ctrls_.front().results)) return invalid("type mismatch");
    out_.return_call_ref(id, ft);
    set_unreachable();
    return Status::Ok();
  }
  push_all(ft.results);
  out_.call_ref(id, ft);
  return Status::Ok();
}

// ref.as_non_null, br_on_null and br_on_non_null: a reference of any type
// on top, known to be non-null where execution continues (or, for
// br_on_non_null, at the label, whose last type must take it).
Status FuncValidator::null_op(const Instr& in) {
  ValType t = kUnknown;
  EMBER_TRY(pop_ref(&t));
  const ValType non_null = t.is_bottom() ? t : t.as_nullable(false);
  if (in.op() == Op::RefAsNonNull) {
    push(non_null);
    out_.ref_as_non_null();
    return Status::Ok();
  }
  const Ctrl* l = nullptr;
  EMBER_TRY(label(in.index[0], &l));
  std::vector<ValType> ts = label_types(*l);
  if (in.op() == Op::BrOnNull) {
    EMBER_TRY(pop_all(ts));
    push_all(ts);
    push(non_null);
    out_.br_on_null(in.index[0]);
    return Status::Ok();
  }
  if (ts.empty()) return invalid("type mismatch");
  push(non_null);
  EMBER_TRY(pop_all(ts));
  ts.pop_back();
  push_all(ts);
  out_.br_on_non_null(in.index[0]);
  return Status::Ok();
}

Status FuncValidator::bulk_op(const Instr& in) {
  const OpInfo& info = *in.info;
  switch (info.op) {
    case Op::MemorySize: {
      uint32_t mem = in.index[0];
      EMBER_TRY(check_memory(mem));
      push(addr_type(mem));
      out_.entity_op(Op::MemorySize, {mem});
      return Status::Ok();
    }
    case Op::MemoryGrow: {
      uint32_t mem = in.index[0];
      EMBER_TRY(check_memory(mem));
      EMBER_TRY(pop(addr_type(mem)));
      push(addr_type(mem));
      out_.entity_op(Op::MemoryGrow, {mem});
      return Status::Ok();
    }
    case Op::MemoryInit: {
      uint32_t data = in.index[0], mem = in.index[1];
      EMBER_TRY(check_memory(mem));
      EMBER_TRY(check_data(data));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(addr_type(mem)));
      out_.entity_op(Op::MemoryInit, {mem, data});
      return Status::Ok();
    }
    case Op::DataDrop: {
      uint32_t data = in.index[0];
      EMBER_TRY(check_data(data));
      out_.entity_op(Op::DataDrop, {data});
      return Status::Ok();
    }
    case Op::MemoryCopy: {
      uint32_t dm = in.index[0], sm = in.index[1];
      EMBER_TRY(check_memory(dm));
      EMBER_TRY(check_memory(sm));
      ValType dt = addr_type(dm), st = addr_type(sm);
      ValType nt = (dt == ValType::I64 && st == ValType::I64) ? ValType::I64 : ValType::I32;
      EMBER_TRY(pop(nt));
      EMBER_TRY(pop(st));
      EMBER_TRY(pop(dt));
      out_.entity_op(Op::MemoryCopy, {dm, sm}, nt == ValType::I64);
      return Status::Ok();
    }
    case Op::MemoryFill: {
      uint32_t mem = in.index[0];
      EMBER_TRY(check_memory(mem));
      EMBER_TRY(pop(addr_type(mem)));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(addr_type(mem)));
      out_.entity_op(Op::MemoryFill, {mem}, addr_type(mem) == ValType::I64);
      return Status::Ok();
    }
    default: return invalid("unexpected operator");
  }
}

Status FuncValidator::table_op(const Instr& in) {
  const OpInfo& info = *in.info;
  switch (info.op) {
    case Op::TableGet:
    case Op::TableSet:
    case Op::TableGrow:
    case Op::TableSize:
    case Op::TableFill: {
      uint32_t t = in.index[0];
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
      uint32_t e = in.index[0], t = in.index[1];
      EMBER_TRY(check_elem(e));
      EMBER_TRY(check_table(t));
      if (!matches(m_.elems[e].type, m_.tables[t].elem)) return invalid("type mismatch");
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(ValType::I32));
      EMBER_TRY(pop(table_index_type(t)));
      out_.entity_op(Op::TableInit, {t, e});
      return Status::Ok();
    }
    case Op::ElemDrop: {
      uint32_t e = in.index[0];
      EMBER_TRY(check_elem(e));
      out_.entity_op(Op::ElemDrop, {e});
      return Status::Ok();
    }
    case Op::TableCopy: {
      uint32_t dt = in.index[0], st = in.index[1];
      EMBER_TRY(check_table(dt));
      EMBER_TRY(check_table(st));
      if (!matches(m_.tables[st].elem, m_.tables[dt].elem)) return invalid("type mismatch");
      ValType dit = table_index_type(dt), sit = table_index_type(st);
      ValType nt = (dit == ValType::I64 && sit == ValType::I64) ? ValType::I64 : ValType::I32;
      EMBER_TRY(pop(nt));
      EMBER_TRY(pop(sit));
      EMBER_TRY(pop(dit));
      out_.entity_op(Op::TableCopy, {dt, st}, nt == ValType::I64);
      return Status::Ok();
    }
    default: return invalid(std::string("unsupported operator ") + info.mnemonic);
  }
}

Status decode_function(const ModuleData& m, uint32_t defined_index, const FeatureSet& f) {
  const FuncBody& body = m.bodies[defined_index];
  Reader r(m.bytes.data() + body.offset, body.size, body.offset);
  EMBER_ASSIGN(uint32_t groups, r.u32());
  uint32_t type_index = m.funcs[m.num_imported_funcs + defined_index];
  uint64_t total = type_index < m.types.size() ? m.types[type_index].params.size() : 0;
  for (uint32_t g = 0; g < groups; g++) {
    EMBER_ASSIGN(uint32_t n, r.u32());
    total += n;
    if (total > kMaxFunctionLocals) return r.fail("too many locals");
    Expected<ValType> t = read_val_type(r, f, m);
    if (!t && t.error().kind() == ErrorKind::Malformed) return t.take_error();
  }
  OperatorReader ops(r, m, f, OperatorReader::Context::FunctionBody);
  Instr in;
  uint64_t depth = 1;
  while (depth > 0) {
    if (r.at_end()) return r.fail("END opcode expected");
    EMBER_TRY(ops.next(&in));
    if (in.info->imm == ImmKind::Block || in.op() == Op::TryTable) depth++;
    if (in.op() == Op::End || in.op() == Op::Delegate) depth--;
  }
  if (!r.at_end()) return r.fail("section size mismatch");
  return Status::Ok();
}

Status validate_function(const ModuleContext& cx, uint32_t defined_index, Lowering& out) {
  FuncValidator v(cx, defined_index, out);
  return v.run();
}

}  // namespace ember

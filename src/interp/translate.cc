// Translator: wasm operators -> register IR. See translate.hh for the model.
#include "interp/translate.hh"

#include <algorithm>

namespace ember::interp {

namespace {

IOp numeric_iop(Op op) {
  switch (op) {
#define EMBER_OP(name, prefix, code, text, imm, kind, in, out, size, feature) \
  EMBER_TR_##kind(name)
#define EMBER_TR_Special(name)
#define EMBER_TR_Unary(name) case Op::name: return IOp::name;
#define EMBER_TR_Binary(name) case Op::name: return IOp::name;
#define EMBER_TR_Load(name) case Op::name: return IOp::name;
#define EMBER_TR_Store(name) case Op::name: return IOp::name;
#include "ir/operators.def"
    default: return IOp::Unreachable;
  }
}

// Binary operators with an immediate-rhs variant.
bool imm_variant(Op op, IOp* out, bool* wide) {
  *wide = false;
  switch (op) {
    case Op::I32Add: *out = IOp::I32AddImm; return true;
    case Op::I32Sub: *out = IOp::I32SubImm; return true;
    case Op::I32Mul: *out = IOp::I32MulImm; return true;
    case Op::I32And: *out = IOp::I32AndImm; return true;
    case Op::I32Or: *out = IOp::I32OrImm; return true;
    case Op::I32Xor: *out = IOp::I32XorImm; return true;
    case Op::I32Shl: *out = IOp::I32ShlImm; return true;
    case Op::I32ShrS: *out = IOp::I32ShrSImm; return true;
    case Op::I32ShrU: *out = IOp::I32ShrUImm; return true;
    case Op::I32Eq: *out = IOp::I32EqImm; return true;
    case Op::I32Ne: *out = IOp::I32NeImm; return true;
    case Op::I32LtS: *out = IOp::I32LtSImm; return true;
    case Op::I32LtU: *out = IOp::I32LtUImm; return true;
    case Op::I32GtS: *out = IOp::I32GtSImm; return true;
    case Op::I32GtU: *out = IOp::I32GtUImm; return true;
    case Op::I32LeS: *out = IOp::I32LeSImm; return true;
    case Op::I32LeU: *out = IOp::I32LeUImm; return true;
    case Op::I32GeS: *out = IOp::I32GeSImm; return true;
    case Op::I32GeU: *out = IOp::I32GeUImm; return true;
    case Op::I64Add: *out = IOp::I64AddImm; *wide = true; return true;
    case Op::I64Sub: *out = IOp::I64SubImm; *wide = true; return true;
    default: return false;
  }
}

// Fused branch for an i32 comparison: jump when it holds (or, negated, when
// it does not).
bool fused_branch(IOp cmp, bool negate, IOp* out) {
  struct Row { IOp cmp, when_true, when_false; };
  static const Row kRows[] = {
      {IOp::I32Eqz, IOp::BrIfI32Eqz, IOp::BrIfI32Nez},
      {IOp::I32Eq, IOp::BrIfI32Eq, IOp::BrIfI32Ne},
      {IOp::I32Ne, IOp::BrIfI32Ne, IOp::BrIfI32Eq},
      {IOp::I32LtS, IOp::BrIfI32LtS, IOp::BrIfI32GeS},
      {IOp::I32LtU, IOp::BrIfI32LtU, IOp::BrIfI32GeU},
      {IOp::I32GtS, IOp::BrIfI32GtS, IOp::BrIfI32LeS},
      {IOp::I32GtU, IOp::BrIfI32GtU, IOp::BrIfI32LeU},
      {IOp::I32LeS, IOp::BrIfI32LeS, IOp::BrIfI32GtS},
      {IOp::I32LeU, IOp::BrIfI32LeU, IOp::BrIfI32GtU},
      {IOp::I32GeS, IOp::BrIfI32GeS, IOp::BrIfI32LtS},
      {IOp::I32GeU, IOp::BrIfI32GeU, IOp::BrIfI32LtU},
  };
  for (const Row& r : kRows) {
    if (r.cmp == cmp) {
      *out = negate ? r.when_false : r.when_true;
      return true;
    }
  }
  return false;
}

}  // namespace

// ---- function framing ---------------------------------------------------------

void Translator::begin_function(uint32_t func_index, const FuncType& type,
                                uint32_t num_locals) {
  fn_ = FuncCode{};
  fn_.func_index = func_index;
  fn_.num_params = uint32_t(type.params.size());
  fn_.num_results = uint32_t(type.results.size());
  fn_.num_locals = num_locals;
  fn_.begin = here();
  num_locals_ = num_locals;
  max_height_ = 0;
  pending_locals_ = 0;
  dead_ = false;
  dead_depth_ = 0;
  last_ = LastDef{};
  last_mapped_offset_ = UINT64_MAX;
  fuel_pending_ = 0;
  cond_path_word_ = UINT32_MAX;
  stack_.clear();
  labels_.clear();
  labels_.push_back(Label{LabelKind::Func, 0, 0, fn_.num_results, 0, UINT32_MAX, {}});
  entry_checks(1);  // wasmtime charges one unit for entering a function
}

// ---- fuel and epochs ------------------------------------------------------------

void Translator::charge(Op op) {
  if (!opt_.fuel || dead_) return;
  switch (op) {
    case Op::Nop: case Op::Drop: case Op::Block: case Op::Loop: case Op::Unreachable:
    case Op::Return: case Op::Else: case Op::End:
      return;
    default:
      fuel_pending_++;
  }
}

void Translator::commit_fuel(bool save) {
  if (!opt_.fuel || dead_ || (fuel_pending_ == 0 && !save)) return;
  emit_op(save ? IOp::FuelSave : IOp::Fuel);
  word(fuel_pending_);
  fuel_pending_ = 0;
}

// Flags word of the per-unit fuel ops: bit 0 "count is i64", bit 1 "check
// now", bit 2 "charge" (always set, so a zero word means "no charge").
uint32_t Translator::unit_fuel_flags(IOp op) const {
  if (!opt_.fuel) return 0;
  switch (op) {
    case IOp::MemoryFill: case IOp::MemoryCopy: case IOp::MemoryInit: case IOp::MemoryGrow:
    case IOp::TableFill: case IOp::TableCopy: case IOp::TableInit: case IOp::TableGrow:
      break;
    default:
      return 0;
  }
  const Operand& count = stack_.back();
  bool check = !(count.kind == Kind::Const && count.bits <= 128);
  return kFuelCharge | (check ? kFuelCheckNow : 0);
}

void Translator::entry_checks(uint32_t cost) {
  if (opt_.fuel) {
    emit_op(IOp::FuelCheck);
    word(cost);
  }
  if (opt_.epoch) emit_op(IOp::EpochCheck);
}

Status Translator::finish_function() {
  fn_.end = here();
  // Slots for the deepest operand stack, and room for callee results written
  // in place (a call's results never exceed the height they are pushed at).
  uint64_t frame = uint64_t(num_locals_) + max_height_ + 1;
  frame = std::max<uint64_t>(frame, fn_.num_results);
  if (frame > (1u << 24)) return Error(ErrorKind::Invalid, "function frame too large", offset_);
  fn_.frame_slots = uint32_t(frame);
  out_.funcs.push_back(fn_);
  return Status::Ok();
}

void Translator::emit_op(IOp op) {
  last_.valid = false;
  if (offset_ != last_mapped_offset_) {
    out_.pc_map.push_back(PcMapEntry{here(), uint32_t(offset_)});
    last_mapped_offset_ = offset_;
  }
  word(handler_word(op));
}

// ---- operand stack --------------------------------------------------------------

void Translator::push(const Operand& o) {
  stack_.push_back(o);
  if (o.kind == Kind::Local) pending_locals_++;
  max_height_ = std::max<uint32_t>(max_height_, uint32_t(stack_.size()));
}

void Translator::push_stack() { push(Operand{}); }

Translator::Operand Translator::pop() {
  Operand o = stack_.back();
  stack_.pop_back();
  if (o.kind == Kind::Local) pending_locals_--;
  return o;
}

// Pops the top operand and returns the slot holding its value.
uint32_t Translator::pop_slot() {
  uint32_t index = uint32_t(stack_.size() - 1);
  if (stack_[index].kind == Kind::Const) materialize(index);
  Operand o = pop();
  return o.kind == Kind::Local ? o.local : slot(index);
}

void Translator::move_to(uint32_t index, uint32_t dst) {
  const Operand& o = stack_[index];
  switch (o.kind) {
    case Kind::Stack:
      if (slot(index) == dst) return;
      emit_op(IOp::Copy);
      word(dst);
      word(slot(index));
      return;
    case Kind::Local:
      emit_op(IOp::Copy);
      word(dst);
      word(o.local);
      return;
    case Kind::Const:
      if (o.bits <= UINT32_MAX) {
        emit_op(IOp::Const32);
        word(dst);
        word(uint32_t(o.bits));
      } else {
        emit_op(IOp::Const64);
        word(dst);
        word(uint32_t(o.bits));
        word(uint32_t(o.bits >> 32));
      }
      return;
  }
}

void Translator::materialize(uint32_t index) {
  Operand& o = stack_[index];
  if (o.kind == Kind::Stack) return;
  move_to(index, slot(index));
  if (o.kind == Kind::Local) pending_locals_--;
  o = Operand{};
}

// At a control entry: pending locals anywhere, and the top `np` (params).
void Translator::materialize_entry(uint32_t np) {
  uint32_t n = uint32_t(stack_.size());
  for (uint32_t i = n - np; i < n; i++) materialize(i);
  if (pending_locals_ == 0) return;
  for (uint32_t i = 0; i < n - np && pending_locals_ > 0; i++) {
    if (stack_[i].kind == Kind::Local) materialize(i);
  }
}

// ---- control --------------------------------------------------------------------

// True (and counts nesting) when the current code is dead.
bool Translator::dead_skip() { return dead_; }

void Translator::enter(LabelKind kind, uint32_t np, uint32_t nr) {
  Label l{kind, uint32_t(stack_.size()) - np, np, nr, 0, UINT32_MAX, {}};
  labels_.push_back(std::move(l));
}

void Translator::unreachable() {
  if (dead_) return;
  commit_fuel(true);
  uint64_t own = offset_;
  if (here() == cond_path_word_) offset_ = cond_offset_;
  emit_op(IOp::Unreachable);
  offset_ = own;
  dead_ = true;
}

void Translator::block(uint32_t np, uint32_t nr) {
  if (dead_) { dead_depth_++; return; }
  materialize_entry(np);
  enter(LabelKind::Block, np, nr);
}

void Translator::loop(uint32_t np, uint32_t nr) {
  if (dead_) { dead_depth_++; return; }
  materialize_entry(np);
  commit_fuel();
  enter(LabelKind::Loop, np, nr);
  labels_.back().loop_pc = here();
  mark_label();
  entry_checks(0);
}

// Removes the compare that produced the operand at `index` (the last emitted
// instruction) and returns a fused branch op and its operand slots.
bool Translator::try_fuse_branch(uint32_t index, bool negate, uint32_t* a, uint32_t* b,
                                 IOp* op) {
  if (!last_.valid || last_.index != index || stack_[index].kind != Kind::Stack) return false;
  if (!fused_branch(last_.op, negate, op)) return false;
  const uint32_t* w = &out_.words[last_.start];
  *a = w[2];
  *b = last_.op == IOp::I32Eqz ? 0 : w[3];
  out_.words.resize(last_.start);
  while (!out_.pc_map.empty() && out_.pc_map.back().word >= last_.start) out_.pc_map.pop_back();
  last_mapped_offset_ = UINT64_MAX;
  last_.valid = false;
  return true;
}

void Translator::if_(uint32_t np, uint32_t nr) {
  if (dead_) { dead_depth_++; return; }
  uint32_t ci = uint32_t(stack_.size() - 1);
  uint32_t a = 0, b = 0;
  IOp fused;
  bool is_fused = try_fuse_branch(ci, true, &a, &b, &fused);
  uint32_t cond = is_fused ? 0 : pop_slot();
  if (is_fused) pop();
  materialize_entry(np);
  enter(LabelKind::If, np, nr);
  commit_fuel();
  if (is_fused) {
    emit_op(fused);
    word(a);
    if (fused != IOp::BrIfI32Eqz && fused != IOp::BrIfI32Nez) word(b);
  } else {
    emit_op(IOp::BrIfNot);
    word(cond);
  }
  labels_.back().else_fixup = here();
  word(0);
  labels_.back().if_offset = offset_;
  cond_path_word_ = here();
  cond_offset_ = offset_;
}

void Translator::else_() {
  if (dead_ && dead_depth_ > 0) return;
  Label& l = labels_.back();
  if (!dead_) {
    uint32_t n = uint32_t(stack_.size());
    for (uint32_t i = n - l.nr; i < n; i++) materialize(i);
    commit_fuel();
    emit_op(IOp::Br);
    l.fixups.push_back(here());
    word(0);
  }
  patch(l.else_fixup, here());
  l.else_fixup = UINT32_MAX;
  cond_path_word_ = here();
  cond_offset_ = l.if_offset;
  mark_label();
  while (stack_.size() > l.height) pop();
  for (uint32_t i = 0; i < l.np; i++) push_stack();
  dead_ = false;
}

void Translator::end() {
  if (dead_ && dead_depth_ > 0) { dead_depth_--; return; }
  Label& l = labels_.back();
  if (l.kind == LabelKind::Func) {
    if (!dead_) emit_return();
    labels_.pop_back();
    return;
  }
  if (!dead_) {
    uint32_t n = uint32_t(stack_.size());
    for (uint32_t i = n - l.nr; i < n; i++) materialize(i);
    commit_fuel();
  }
  if (l.else_fixup != UINT32_MAX) patch(l.else_fixup, here());
  for (uint32_t f : l.fixups) patch(f, here());
  mark_label();
  while (stack_.size() > l.height) pop();
  for (uint32_t i = 0; i < l.nr; i++) push_stack();
  labels_.pop_back();
  dead_ = false;
}

bool Translator::needs_moves(const Label& l) const {
  uint32_t n = arity(l);
  uint32_t top = uint32_t(stack_.size());
  for (uint32_t k = 0; k < n; k++) {
    uint32_t index = top - n + k;
    if (stack_[index].kind != Kind::Stack || index != l.height + k) return true;
  }
  return false;
}

// Ascending copies are safe: a stack source never sits below its target
// slot, and locals are never targets.
void Translator::emit_moves(const Label& l) {
  uint32_t n = arity(l);
  uint32_t top = uint32_t(stack_.size());
  for (uint32_t k = 0; k < n; k++) move_to(top - n + k, slot(l.height + k));
}

void Translator::emit_jump_to(Label& l) {
  if (l.kind == LabelKind::Func) {
    emit_return();
    return;
  }
  emit_moves(l);
  emit_op(IOp::Br);
  if (l.kind == LabelKind::Loop) {
    branch_word(l.loop_pc);
  } else {
    l.fixups.push_back(here());
    word(0);
  }
}

// Never changes operand kinds: a conditional return (br_if) leaves the
// fall-through path's operands as they were.
void Translator::emit_return() {
  commit_fuel(true);
  uint32_t n = fn_.num_results;
  uint32_t top = uint32_t(stack_.size());
  if (n == 0) {
    emit_op(IOp::Return);
    return;
  }
  if (n == 1) {
    const Operand& o = stack_[top - 1];
    if (o.kind == Kind::Const) {
      move_to(top - 1, 0);
      emit_op(IOp::Return);
      return;
    }
    emit_op(IOp::Return1);
    word(o.kind == Kind::Local ? o.local : slot(top - 1));
    return;
  }
  // Locals first go to their own stack slots (a local may be a target), then
  // ascending copies: a stack source never sits below its target.
  for (uint32_t i = top - n; i < top; i++) {
    if (stack_[i].kind == Kind::Local) move_to(i, slot(i));
  }
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = top - n + k;
    if (stack_[i].kind == Kind::Const) {
      move_to(i, k);
    } else if (slot(i) != k) {
      emit_op(IOp::Copy);
      word(k);
      word(slot(i));
    }
  }
  emit_op(IOp::Return);
}

void Translator::br(uint32_t depth) {
  if (dead_) return;
  commit_fuel();
  emit_jump_to(labels_[labels_.size() - 1 - depth]);
  dead_ = true;
}

void Translator::br_if(uint32_t depth) {
  if (dead_) return;
  Label& l = labels_[labels_.size() - 1 - depth];
  uint32_t ci = uint32_t(stack_.size() - 1);
  bool direct = l.kind != LabelKind::Func;
  uint32_t a = 0, b = 0;
  IOp fused;
  // Peek the moves on the stack without the condition.
  Operand cond_op = stack_.back();
  stack_.pop_back();
  if (direct) direct = !needs_moves(l);
  stack_.push_back(cond_op);
  bool is_fused = try_fuse_branch(ci, !direct, &a, &b, &fused);
  uint32_t cond = 0;
  if (is_fused) pop();
  else cond = pop_slot();
  commit_fuel();
  if (is_fused) {
    emit_op(fused);
    word(a);
    if (fused != IOp::BrIfI32Eqz && fused != IOp::BrIfI32Nez) word(b);
  } else {
    emit_op(direct ? IOp::BrIf : IOp::BrIfNot);
    word(cond);
  }
  if (direct) {
    if (l.kind == LabelKind::Loop) {
      branch_word(l.loop_pc);
    } else {
      l.fixups.push_back(here());
      word(0);
    }
  } else {
    uint32_t skip = here();
    word(0);
    emit_jump_to(l);
    patch(skip, here());
    mark_label();
  }
  cond_path_word_ = here();
  cond_offset_ = offset_;
}

void Translator::br_table(const std::vector<uint32_t>& depths) {
  if (dead_) return;
  uint32_t index = pop_slot();
  commit_fuel();
  emit_op(IOp::BrTable);
  word(index);
  word(uint32_t(depths.size() - 1));
  uint32_t table = here();
  std::vector<std::pair<uint32_t, uint32_t>> stubs;  // (table word, depth)
  for (uint32_t d : depths) {
    Label& l = labels_[labels_.size() - 1 - d];
    if (l.kind != LabelKind::Func && !needs_moves(l)) {
      if (l.kind == LabelKind::Loop) {
        branch_word(l.loop_pc);
      } else {
        l.fixups.push_back(here());
        word(0);
      }
    } else {
      stubs.emplace_back(here(), d);
      word(0);
    }
  }
  (void)table;
  std::vector<std::pair<uint32_t, uint32_t>> done;  // (depth, stub pc)
  for (auto [pos, d] : stubs) {
    auto it = std::find_if(done.begin(), done.end(), [&](auto& e) { return e.first == d; });
    if (it != done.end()) {
      patch(pos, it->second);
      continue;
    }
    done.emplace_back(d, here());
    patch(pos, here());
    emit_jump_to(labels_[labels_.size() - 1 - d]);
  }
  dead_ = true;
}

void Translator::return_() {
  if (dead_) return;
  emit_return();
  dead_ = true;
}

// ---- calls ---------------------------------------------------------------------

// Materializes the top `np` operands (a call's arguments, which must be in
// consecutive stack slots), pops them and returns the first one's slot.
// `nr` results will be written from there: the frame keeps room for them.
uint32_t Translator::call_args(uint32_t np, uint32_t nr) {
  uint32_t top = uint32_t(stack_.size());
  for (uint32_t i = top - np; i < top; i++) materialize(i);
  uint32_t base = slot(top - np);
  for (uint32_t i = 0; i < np; i++) pop();
  max_height_ = std::max(max_height_, top - np + nr);
  commit_fuel(true);
  return base;
}

void Translator::call(uint32_t func, uint32_t np, uint32_t nr) {
  if (dead_) return;
  uint32_t base = call_args(np, nr);
  emit_op(IOp::Call);
  word(func);
  word(base);
  for (uint32_t i = 0; i < nr; i++) push_stack();
}

void Translator::call_indirect(uint32_t type_id, uint32_t table, uint32_t np, uint32_t nr) {
  if (dead_) return;
  uint32_t index = pop_slot();
  uint32_t base = call_args(np, nr);
  emit_op(IOp::CallIndirect);
  word(type_id);
  word(table);
  word(index);
  word(base);
  for (uint32_t i = 0; i < nr; i++) push_stack();
}

// Tail calls reuse the caller's frame: the dispatch loop moves the arguments
// to the frame's base and enters the callee without pushing a frame record.
void Translator::return_call(uint32_t func, uint32_t np, uint32_t nr) {
  if (dead_) return;
  uint32_t base = call_args(np, nr);
  emit_op(IOp::ReturnCall);
  word(func);
  word(base);
  dead_ = true;
}

void Translator::return_call_indirect(uint32_t type_id, uint32_t table, uint32_t np,
                                      uint32_t nr) {
  if (dead_) return;
  uint32_t index = pop_slot();
  uint32_t base = call_args(np, nr);
  emit_op(IOp::ReturnCallIndirect);
  word(type_id);
  word(table);
  word(index);
  word(base);
  dead_ = true;
}

// ---- parametric and variables ---------------------------------------------------

void Translator::drop() {
  if (dead_) return;
  pop();
}

void Translator::select() {
  if (dead_) return;
  uint32_t c = pop_slot();
  uint32_t b = pop_slot();
  uint32_t a = pop_slot();
  uint32_t index = uint32_t(stack_.size());
  emit_op(IOp::Select);
  uint32_t dpos = here();
  word(slot(index));
  word(c);
  word(a);
  word(b);
  push_stack();
  last_ = LastDef{true, IOp::Select, dpos - 1, dpos, index};
}

void Translator::local_get(uint32_t x) {
  if (dead_) return;
  push(Operand{Kind::Local, x, 0});
}

void Translator::local_set(uint32_t x) {
  if (dead_) return;
  uint32_t index = uint32_t(stack_.size() - 1);
  LastDef def = last_;
  Operand v = pop();
  if (v.kind == Kind::Local && v.local == x) return;
  if (pending_locals_ > 0) {
    for (uint32_t i = 0; i < stack_.size(); i++) {
      if (stack_[i].kind == Kind::Local && stack_[i].local == x) materialize(i);
    }
  }
  if (v.kind == Kind::Stack && def.valid && last_.valid && def.index == index) {
    out_.words[def.dst_word] = x;  // the producer writes the local directly
    last_.valid = false;
    return;
  }
  stack_.push_back(v);  // move_to reads the operand in place
  move_to(index, x);
  stack_.pop_back();
}

void Translator::local_tee(uint32_t x) {
  if (dead_) return;
  local_set(x);
  push(Operand{Kind::Local, x, 0});
}

void Translator::constant(uint64_t bits) {
  if (dead_) return;
  push(Operand{Kind::Const, 0, bits});
}

// ---- numeric and memory -----------------------------------------------------------

void Translator::unary(Op op) { generic(numeric_iop(op), 1, true, {}); }

void Translator::binary(Op op) {
  if (dead_) return;
  IOp imm_op;
  bool wide;
  uint32_t top = uint32_t(stack_.size());
  const Operand& rhs = stack_[top - 1];
  if (rhs.kind == Kind::Const && stack_[top - 2].kind != Kind::Const &&
      imm_variant(op, &imm_op, &wide)) {
    int64_t v = int64_t(rhs.bits);
    if (!wide || (v >= INT32_MIN && v <= INT32_MAX)) {
      uint32_t imm = uint32_t(rhs.bits);
      pop();
      generic(imm_op, 1, true, {});
      out_.words.push_back(imm);  // layout: [op][d][a][imm]
      return;
    }
  }
  generic(numeric_iop(op), 2, true, {});
}

void Translator::load(Op op, uint32_t offset) { generic(numeric_iop(op), 1, true, {offset}); }

void Translator::store(Op op, uint32_t offset) { generic(numeric_iop(op), 2, false, {offset}); }

void Translator::generic(IOp op, uint32_t nin, bool result,
                         std::initializer_list<uint32_t> imms, bool count64) {
  if (dead_) return;
  uint32_t fuel_flags = unit_fuel_flags(op);
  uint32_t srcs[8];
  for (uint32_t i = nin; i-- > 0;) srcs[i] = pop_slot();
  uint32_t index = uint32_t(stack_.size());
  if (fuel_flags && op != IOp::MemoryGrow && op != IOp::TableGrow) {
    commit_fuel();  // a check includes the block's cost so far
    emit_op(IOp::FuelUnits);
    word(srcs[nin - 1]);
    word(fuel_flags | (count64 ? kFuelCount64 : 0));
  }
  emit_op(op);
  uint32_t start = here() - 1;
  uint32_t dpos = here();
  if (result) word(slot(index));
  for (uint32_t imm : imms) word(imm);
  for (uint32_t i = 0; i < nin; i++) word(srcs[i]);
  if (result) {
    push_stack();
    last_ = LastDef{true, op, start, dpos, index};
  }
  if (fuel_flags && (op == IOp::MemoryGrow || op == IOp::TableGrow)) {
    commit_fuel();
    emit_op(op == IOp::MemoryGrow ? IOp::FuelMemoryGrow : IOp::FuelTableGrow);
    word(slot(index));
    word(*imms.begin());
    word(fuel_flags);
  }
}

}  // namespace ember::interp

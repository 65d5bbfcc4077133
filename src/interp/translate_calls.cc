// Translator, continued: calls (direct, indirect, through references), the
// null tests of typed references, and exception handling. The rest of the
// translation and the model are translate.cc's and translate.hh's.
#include <algorithm>

#include "interp/translate.hh"

namespace ember::interp {

// ---- calls ---------------------------------------------------------------------

// Materializes a call's arguments (the top operands, in consecutive stack
// slots), pops them and returns the first one's slot, where the callee's
// frame starts. Its results will be written from there (in slots): the
// frame keeps room for them.
uint32_t Translator::call_args(const FuncType& type) {
  uint32_t np = uint32_t(type.params.size());
  uint32_t top = uint32_t(stack_.size());
  for (uint32_t i = top - np; i < top; i++) materialize(i);
  for (uint32_t i = 0; i < np; i++) pop();
  uint32_t base = next_slot();
  uint32_t results = 0;
  for (ValType t : type.results) results += slot_count(t);
  max_height_ = std::max(max_height_, base - num_locals_ + results);
  commit_fuel(true);
  return base;
}

// A call to a defined function of this module names it relative to the
// caller (CallLocal): the dispatch loop finds its code without looking at
// the instance and knows it is wasm code of the same instance.
void Translator::call(uint32_t func, const FuncType& type) {
  if (dead_) return;
  uint32_t base = call_args(type);
  note_refs({}, type.results.size());
  if (func >= opt_.num_imported_funcs)
    emit(ir::CallLocal{.delta = uint32_t(int32_t(func - fn_.func_index)), .base = base});
  else emit(ir::Call{.func = func, .base = base});
  add_stack_map();
  push_types(type.results);
}

void Translator::call_indirect(uint32_t type_id, uint32_t table, const FuncType& type) {
  if (dead_) return;
  uint32_t index = pop_slot();
  uint32_t base = call_args(type);
  note_refs({}, type.results.size());
  emit(ir::CallIndirect{.type_id = type_id, .table = table, .i = index, .base = base});
  add_stack_map();
  push_types(type.results);
}

// Tail calls reuse the caller's frame: the dispatch loop moves the arguments
// to the frame's base and enters the callee without pushing a frame record.
void Translator::return_call(uint32_t func, const FuncType& type) {
  if (dead_) return;
  uint32_t base = call_args(type);
  emit(ir::ReturnCall{.func = func, .base = base});
  dead_ = true;
}

void Translator::return_call_indirect(uint32_t type_id, uint32_t table, const FuncType& type) {
  if (dead_) return;
  uint32_t index = pop_slot();
  uint32_t base = call_args(type);
  emit(ir::ReturnCallIndirect{.type_id = type_id, .table = table, .i = index, .base = base});
  dead_ = true;
}

void Translator::call_ref(uint32_t type_id, const FuncType& type) {
  if (dead_) return;
  uint32_t f = pop_slot();
  uint32_t base = call_args(type);
  note_refs({}, type.results.size());
  emit(ir::CallRef{.type_id = type_id, .f = f, .base = base});
  add_stack_map();
  push_types(type.results);
}

void Translator::return_call_ref(uint32_t type_id, const FuncType& type) {
  if (dead_) return;
  uint32_t f = pop_slot();
  uint32_t base = call_args(type);
  emit(ir::ReturnCallRef{.type_id = type_id, .f = f, .base = base});
  dead_ = true;
}

// ---- null tests ------------------------------------------------------------------

// The slot holding the top operand's value, which stays on the stack (a
// constant is materialized; a local is read in place).
uint32_t Translator::top_slot() {
  const uint32_t index = uint32_t(stack_.size() - 1);
  if (stack_[index].kind == Kind::Const) materialize(index);
  const Operand& o = stack_[index];
  return o.kind == Kind::Local ? o.local : o.slot;
}

void Translator::ref_as_non_null() {
  if (dead_) return;
  emit(ir::RefAsNonNull{.s = top_slot()});
}

// br_on_null drops the reference on the branch and keeps it on the way on;
// br_on_non_null keeps it for the label and drops it on the way on. A
// branch that needs moves (or returns) jumps over them on the opposite test.
// The moves cannot clobber the reference: they only write label slots below
// it, and locals are never targets.
void Translator::branch_on_ref(uint32_t depth, bool on_null) {
  const uint32_t c = top_slot();
  Operand ref{};
  if (on_null) ref = pop();  // not part of the label's values
  Label& l = labels_[labels_.size() - 1 - depth];
  if (on_null) ref_branch(l, IOp::BrOnNull, IOp::BrOnNonNull, {c});
  else ref_branch(l, IOp::BrOnNonNull, IOp::BrOnNull, {c});
  if (on_null) push(ref);
  else pop();
}

void Translator::ref_branch(Label& l, IOp jump, IOp skip,
                            std::initializer_list<uint32_t> operands) {
  commit_fuel();
  const bool direct = l.kind != LabelKind::Func && !needs_moves(l);
  emit_op(direct ? jump : skip);
  for (uint32_t w : operands) word(w);
  branch_target(l, direct);
}

void Translator::br_on_null(uint32_t depth) {
  if (!dead_) branch_on_ref(depth, true);
}

void Translator::br_on_non_null(uint32_t depth) {
  if (!dead_) branch_on_ref(depth, false);
}

// ---- exceptions ------------------------------------------------------------------

void Translator::throw_(uint32_t tag, const FuncType& type) {
  if (dead_) return;
  uint32_t base = call_args(type);
  note_refs({}, 0);  // (the exnrefs below the payload: code.hh, StackMap)
  emit(ir::Throw{.tag = tag, .base = base});
  add_stack_map();
  dead_ = true;
}

void Translator::throw_ref() {
  if (dead_) return;
  uint32_t s = pop_slot();
  commit_fuel(true);
  emit(ir::ThrowRef{.s = s});
  dead_ = true;
}

// The clauses resolve their labels before the try_table's own is pushed
// (their depths count from outside it). A clause lands where a branch to
// its label would: the label's first slot (slot 0, returning, for the
// function's label), at the label's end, or its loop header.
void Translator::try_table(Types params, Types results, std::span<const CatchClause> catches) {
  if (dead_) {
    dead_depth_++;
    return;
  }
  materialize_entry(uint32_t(params.size()));
  uint32_t first = uint32_t(out_.handlers.size());
  for (const CatchClause& c : catches) {
    Label& l = labels_[labels_.size() - 1 - c.label];
    CatchHandler h{uint32_t(c.kind), c.has_tag() ? c.tag : 0, l.height_slot, 0, 0};
    if (l.kind == LabelKind::Func) {
      h.dst = 0;
      h.target = kReturnTarget;
    } else if (l.kind == LabelKind::Loop) {
      h.target = l.loop_pc;
    } else {
      l.handler_fixups.push_back(uint32_t(out_.handlers.size()));
    }
    // The payload and exnref are written above whatever the stack holds,
    // where the label takes its values (the exnref last).
    uint32_t n = 0;
    for (ValType t : l.kind == LabelKind::Loop ? label_params(l) : label_results(l))
      n += slot_count(t);
    h.ref_dst = c.has_ref() ? h.dst + n - 1 : 0;
    out_.handlers.push_back(h);
    max_height_ = std::max(max_height_, h.dst + n > num_locals_ ? h.dst + n - num_locals_ : 0);
  }
  enter(LabelKind::Try, params, results);
  mark_label();
  Label& t = labels_.back();
  t.try_begin = here();
  t.try_first = first;
  t.try_count = uint32_t(catches.size());
}

// At a label's end: the delegates to it resume at the next range closed
// from here (a try's own, pushed right after), and a try with clauses
// closes its range.
void Translator::close_ranges(Label& l) {
  for (uint32_t d : l.delegate_fixups) out_.tries[d].first = uint32_t(out_.tries.size());
  if (l.kind == LabelKind::Try && l.try_count > 0)
    out_.tries.push_back(TryRange{l.try_begin, here(), l.try_first, l.try_count});
  if (l.kind == LabelKind::LegacyTry && l.body_end != UINT32_MAX) {
    out_.tries.push_back(TryRange{l.try_begin, l.body_end, l.try_first, l.try_count});
    catch_level_--;
  }
}

void Translator::try_(Types params, Types results) {
  if (dead_) {
    dead_depth_++;
    return;
  }
  materialize_entry(uint32_t(params.size()));
  enter(LabelKind::LegacyTry, params, results);
  mark_label();
  labels_.back().try_begin = here();
}

// Ends the try body or the previous catch block as `else` ends an if's
// first arm, then starts a catch block: its clause lands here with the
// payload at the try's height and the exception in this catch level's slot.
void Translator::begin_catch(CatchClause::Kind kind, uint32_t tag) {
  Label& l = labels_.back();
  close_arm(l);
  if (l.body_end == UINT32_MAX) {
    l.body_end = here();
    l.try_first = uint32_t(out_.handlers.size());
    l.catch_slot = catch_base_ + catch_level_++;
  }
  mark_label();
  out_.handlers.push_back(CatchHandler{uint32_t(kind), tag, l.height_slot, here(), l.catch_slot});
  l.try_count++;
  cond_path_word_ = UINT32_MAX;
  while (stack_.size() > l.height) pop();
  dead_ = false;
}

void Translator::catch_(uint32_t tag, const FuncType& type) {
  if (dead_ && dead_depth_ > 0) return;
  begin_catch(CatchClause::CatchRef, tag);
  push_types(type.params);
}

void Translator::catch_all() {
  if (dead_ && dead_depth_ > 0) return;
  begin_catch(CatchClause::CatchAllRef, 0);
}

// Closes the try like `end`; its body becomes a delegating range, resolved
// when the target label ends (or at once: on to the caller).
void Translator::delegate(uint32_t depth) {
  if (dead_ && dead_depth_ > 0) {
    dead_depth_--;
    return;
  }
  uint32_t begin = labels_.back().try_begin;
  end();  // resolves delegates to this try: to the range pushed next
  uint32_t range = uint32_t(out_.tries.size());
  out_.tries.push_back(TryRange{begin, here(), kDelegateToCaller, kDelegate});
  Label& target = labels_[labels_.size() - 1 - depth];
  if (target.kind != LabelKind::Func) target.delegate_fixups.push_back(range);
}

void Translator::rethrow(uint32_t depth) {
  if (dead_) return;
  commit_fuel(true);
  emit(ir::ThrowRef{.s = labels_[labels_.size() - 1 - depth].catch_slot});
  dead_ = true;
}

}  // namespace ember::interp

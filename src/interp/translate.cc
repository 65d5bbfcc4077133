// Translator: wasm operators -> register IR. See translate.hh for the model.
#include "interp/translate.hh"

#include <algorithm>
#include <cstring>
#include <optional>

#include "interp/ir_codec.hh"

namespace ember::interp {

namespace {

IOp numeric_iop(Op op) {
  switch (op) {
#define EMBER_OPK_Lowered(name, ...) \
  case Op::name: return IOp::name;
#include "ir/operators_by_kind.inc"
    default: return IOp::Unreachable;
  }
}

// The deterministic profile's operator for a relaxed SIMD operator: the
// non-relaxed operator it then behaves as, or the operator itself when its
// own handler already computes the deterministic result.
Op relaxed_deterministic_op(Op op) {
  switch (op) {
    case Op::I8x16RelaxedSwizzle: return Op::I8x16Swizzle;
    case Op::I32x4RelaxedTruncF32x4S: return Op::I32x4TruncSatF32x4S;
    case Op::I32x4RelaxedTruncF32x4U: return Op::I32x4TruncSatF32x4U;
    case Op::I32x4RelaxedTruncF64x2SZero: return Op::I32x4TruncSatF64x2SZero;
    case Op::I32x4RelaxedTruncF64x2UZero: return Op::I32x4TruncSatF64x2UZero;
    case Op::I8x16RelaxedLaneselect:
    case Op::I16x8RelaxedLaneselect:
    case Op::I32x4RelaxedLaneselect:
    case Op::I64x2RelaxedLaneselect: return Op::V128Bitselect;
    case Op::F32x4RelaxedMin: return Op::F32x4Min;
    case Op::F32x4RelaxedMax: return Op::F32x4Max;
    case Op::F64x2RelaxedMin: return Op::F64x2Min;
    case Op::F64x2RelaxedMax: return Op::F64x2Max;
    case Op::I16x8RelaxedQ15mulrS: return Op::I16x8Q15mulrSatS;
    default: return op;  // madd/nmadd (unfused) and the dot products (signed)
  }
}

// Operands a row lowered 1:1 pops (SIMD, wide arithmetic): the source slots
// of its kind's layout (ir_kinds.def).
uint32_t kind_arity(SigKind k) {
  switch (k) {
#define EMBER_IRKIND(name, ...) \
  case SigKind::name: return ir::kind::name::sources;
#include "interp/ir_kinds.def"
    default: return 0;
  }
}

// The constant-right-operand variant of a Binary operator (ir_derived.def).
IOp imm_iop(Op op) {
  switch (op) {
#define EMBER_OPK_Binary(name, ...) \
  case Op::name: return IOp::name##Imm;
#include "ir/operators_by_kind.inc"
    default: return IOp::Count_;
  }
}

// The fused test-and-branch for the instruction that produced a branch
// condition: jump when the result is non-zero (or, negated, zero).
bool fused_branch(IOp producer, bool negate, IOp* out) {
  switch (producer) {
#define EMBER_OPK_Binary(name, imm, in, out, size) EMBER_TF_BR_##out(name)
#define EMBER_TF_BR_I32(name)                                                        \
  case IOp::name: *out = negate ? IOp::BrIfNot##name : IOp::BrIf##name; return true; \
  case IOp::name##Imm: *out = negate ? IOp::BrIfNot##name##Imm : IOp::BrIf##name##Imm; return true;
#define EMBER_TF_BR_I64(name)
#define EMBER_TF_BR_F32(name)
#define EMBER_TF_BR_F64(name)
#include "ir/operators_by_kind.inc"
#undef EMBER_TF_BR_I32
#undef EMBER_TF_BR_I64
#undef EMBER_TF_BR_F32
#undef EMBER_TF_BR_F64
    case IOp::I32Eqz: *out = negate ? IOp::BrIfI32Nez : IOp::BrIfI32Eqz; return true;
    case IOp::I64Eqz: *out = negate ? IOp::BrIfI64Nez : IOp::BrIfI64Eqz; return true;
    default: return false;
  }
}

// The address forms of a Load or Store row, and the memory64 and
// other-memory forms of a SIMD access row (ir_derived.def); IOp::Count_ for
// a form the row does not have.
enum class AddrForm { AddImm, Add, AddShl, A64, Mem, MemA64 };
IOp addr_iop(Op op, AddrForm form) {
  switch (op) {
#define EMBER_TA_ROW(name, ...)                           \
  case Op::name:                                          \
    return form == AddrForm::AddImm   ? IOp::name##AddImm \
           : form == AddrForm::Add    ? IOp::name##Add    \
           : form == AddrForm::AddShl ? IOp::name##AddShl \
           : form == AddrForm::A64    ? IOp::name##A64    \
           : form == AddrForm::Mem    ? IOp::name##Mem    \
                                      : IOp::name##MemA64;
#define EMBER_TA_VROW(name, ...)                          \
  case Op::name:                                          \
    return form == AddrForm::A64      ? IOp::name##A64    \
           : form == AddrForm::Mem    ? IOp::name##Mem    \
           : form == AddrForm::MemA64 ? IOp::name##MemA64 \
                                      : IOp::Count_;
#define EMBER_OPK_Load EMBER_TA_ROW
#define EMBER_OPK_Store EMBER_TA_ROW
#define EMBER_OPK_VLoad EMBER_TA_VROW
#define EMBER_OPK_VStore EMBER_TA_VROW
#define EMBER_OPK_VLoadLane EMBER_TA_VROW
#define EMBER_OPK_VStoreLane EMBER_TA_VROW
#include "ir/operators_by_kind.inc"
#undef EMBER_TA_ROW
#undef EMBER_TA_VROW
    default: return IOp::Count_;
  }
}

// The integer compare that is the negation of `cmp` (register or immediate
// form), e.g. I32LtS -> I32GeS; false for anything else (float compares have
// no negation among the compares: NaN is unordered).
bool negated_compare(IOp cmp, IOp* out) {
#define EMBER_NEG_PAIRS(X) X(Eq, Ne) X(LtS, GeS) X(LtU, GeU) X(GtS, LeS) X(GtU, LeU)
#define EMBER_NEG_T(T, a, b)                               \
  case IOp::T##a: *out = IOp::T##b; return true;           \
  case IOp::T##b: *out = IOp::T##a; return true;           \
  case IOp::T##a##Imm: *out = IOp::T##b##Imm; return true; \
  case IOp::T##b##Imm: *out = IOp::T##a##Imm; return true;
#define EMBER_NEG(a, b) EMBER_NEG_T(I32, a, b) EMBER_NEG_T(I64, a, b)
  switch (cmp) {
    EMBER_NEG_PAIRS(EMBER_NEG)
    default: return false;
  }
#undef EMBER_NEG
#undef EMBER_NEG_T
#undef EMBER_NEG_PAIRS
}

// Words of the immediate of a Binary operator's NImm variant.
uint32_t imm_words(Op op) {
  ValType in = *op_info(op).in;
  return in == ValType::I64 || in == ValType::F64 ? 2 : 1;
}

// The ref_slots entry of a value of type `t` in `slot` (code.hh, StackMap),
// or none when it holds nothing a frame must keep for a collector.
std::optional<uint32_t> ref_entry(ValType t, uint32_t slot) {
  if (gc_traced(t)) return slot;
  if (t.kind() == ValKind::ExnRef) return slot | kExnRefSlot;
  return std::nullopt;
}

}  // namespace

// ---- function framing ---------------------------------------------------------

void Translator::begin_function(uint32_t func_index, const FuncType& type,
                                const std::vector<ValType>& locals, uint32_t catch_depth,
                                const std::vector<ValType>& operand_types) {
  fn_ = FuncCode{};
  types_ = &operand_types;
  out_of_step_ = false;
  fn_.func_index = func_index;
  local_slot_.resize(locals.size());
  local_wide_.resize(locals.size());
  uint32_t at = 0;
  for (size_t i = 0; i < locals.size(); i++) {
    if (i == type.params.size()) fn_.num_params = at;
    local_slot_[i] = at;
    local_wide_[i] = locals[i] == ValType::V128;
    at += slot_count(locals[i]);
  }
  fn_.ref_locals_begin = uint32_t(out_.ref_slots.size());
  for (size_t i = 0; i < locals.size(); i++)
    if (auto e = ref_entry(locals[i], local_slot_[i])) out_.ref_slots.push_back(*e);
  fn_.ref_locals_end = uint32_t(out_.ref_slots.size());
  if (locals.size() == type.params.size()) fn_.num_params = at;
  for (ValType t : type.results) fn_.num_results += slot_count(t);
  fn_.num_locals = at;
  catch_base_ = at;
  catch_level_ = 0;
  at += catch_depth;  // never zeroed: a catch writes its slot before anything reads it
  fn_.begin = here();
  fn_.tries_begin = fn_.tries_end = uint32_t(out_.tries.size());
  num_locals_ = at;
  max_height_ = 0;
  pending_locals_ = 0;
  dead_ = false;
  dead_depth_ = 0;
  nstaged_ = 0;
  building_ = false;
  new_entry_ = false;
  last_mapped_offset_ = UINT64_MAX;
  fuel_pending_ = 0;
  cond_path_word_ = UINT32_MAX;
  stack_.clear();
  labels_.clear();
  label_types_.clear();
  enter(LabelKind::Func, {}, type.results);
  entry_checks(1, false);  // wasmtime charges one unit for entering a function
}

// ---- fuel and epochs ------------------------------------------------------------

void Translator::charge(Op op) {
  if (!opt_.fuel || dead_) return;
  switch (op) {
    case Op::Nop:
    case Op::Drop:
    case Op::Block:
    case Op::Loop:
    case Op::Unreachable:
    case Op::Return:
    case Op::Else:
    case Op::End:
    case Op::Try:  // the legacy structure costs nothing, as block and else do
    case Op::Catch:
    case Op::CatchAll:
    case Op::Delegate: return;
    default: fuel_pending_++;
  }
}

void Translator::commit_fuel(bool save) {
  if (!opt_.fuel || dead_ || (fuel_pending_ == 0 && !save)) return;
  if (save) emit(ir::FuelSave{.cost = fuel_pending_});
  else emit(ir::Fuel{.cost = fuel_pending_});
  fuel_pending_ = 0;
}

// Flags word of the per-unit fuel ops: bit 0 "count is i64", bit 1 "check
// now", bit 2 "charge" (always set, so a zero word means "no charge").
uint32_t Translator::unit_fuel_flags(IOp op) const {
  if (!opt_.fuel) return 0;
  switch (op) {
    case IOp::MemoryFill:
    case IOp::MemoryCopy:
    case IOp::MemoryInit:
    case IOp::MemoryGrow:
    case IOp::TableFill:
    case IOp::TableCopy:
    case IOp::TableInit:
    case IOp::TableGrow: break;
    default: return 0;
  }
  const Operand& count = stack_.back();
  bool check = !(count.kind == Kind::Const && count.bits <= 128);
  return kFuelCharge | (check ? kFuelCheckNow : 0);
}

void Translator::entry_checks(uint32_t cost, bool loop) {
  if (opt_.fuel) emit(ir::FuelCheck{.cost = cost});
  if (opt_.epoch) emit(ir::EpochCheck{});
  // Last: a loop entered at its TierUp has had this iteration's checks.
  if (opt_.tier_up) emit(ir::TierUp{.loop = loop ? 1u : 0u});
}

Status Translator::finish_function() {
  write_staged();
  fn_.end = here();
  // Slots for the deepest operand stack, and room for callee results written
  // in place (a call's results never exceed the height they are pushed at).
  uint64_t frame = uint64_t(num_locals_) + max_height_ + 1;
  frame = std::max<uint64_t>(frame, fn_.num_results);
  if (frame > (1u << 24)) return Error(ErrorKind::Invalid, "function frame too large", offset_);
  fn_.frame_slots = uint32_t(frame);
  // The stack maps rely on the validator's types lining up with the operands.
  if (out_of_step_)
    return Error(ErrorKind::Internal, "operand stack out of step with the validator's", offset_);
  fn_.tries_end = uint32_t(out_.tries.size());
  out_.funcs.push_back(fn_);
  return Status::Ok();
}

// ---- stack maps (code.hh, StackMap) ------------------------------------------

// Before a safepoint, with its inputs still on the stack: the slots of the
// reference operands that sit in their own slot. Those below the inputs
// take their types from the validator (whose stack holds them, then the
// operator's `results` results); `inputs` types the top ones.
void Translator::note_refs(std::span<const FieldType> inputs, size_t results) {
  pending_refs_.clear();
  const size_t below = stack_.size() - inputs.size();
  if (types_->size() != below + results) {
    out_of_step_ = true;
    return;
  }
  for (size_t i = 0; i < stack_.size(); i++) {
    const ValType t = i < below ? (*types_)[i] : inputs[i - below].type;
    if (stack_[i].kind != Kind::Stack) continue;
    if (auto e = ref_entry(t, stack_[i].slot)) pending_refs_.push_back(*e);
  }
}

// Right after the safepoint instruction: its map, keyed by its last word.
void Translator::add_stack_map() {
  if (pending_refs_.empty()) return;
  out_.stack_maps.push_back(
      StackMap{here() - 1, uint32_t(out_.ref_slots.size()), uint32_t(pending_refs_.size())});
  out_.ref_slots.insert(out_.ref_slots.end(), pending_refs_.begin(), pending_refs_.end());
  pending_refs_.clear();
}

void Translator::emit_op(IOp op) {
  write_staged();
  if (new_entry_) last_mapped_offset_ = UINT64_MAX;
  new_entry_ = false;
  if (offset_ != last_mapped_offset_) {
    out_.pc_map.push_back(PcMapEntry{here(), uint32_t(offset_)});
    last_mapped_offset_ = offset_;
  }
  word(handler_word(op));
}

// Every IR instruction has at most as many operands as a layout holds
// (EveryIrOpHasALayout), plus the two words fold_eqz may append.
static_assert(Translator::kMaxStagedWords >=
              1 + sizeof(IrLayout::ops) / sizeof(IrLayout::ops[0]) + 2);

// Starts a staged instruction defining stack operand `index`, whose
// destination is word `dst`; the words that follow go to it.
void Translator::stage_op(IOp op, uint32_t index, uint32_t dst) {
  building_ = false;
  if (nstaged_ == 2) {  // only the last two can be fused: write the older
    Staged keep = staged_[1];
    nstaged_ = 1;
    write_staged();
    staged_[0] = keep;
    nstaged_ = 1;
  }
  Staged& s = staged_[nstaged_++];
  s = Staged{};
  s.op = op;
  s.offset = offset_;
  s.index = index;
  s.dst = dst;
  s.n = 1;
  s.new_entry = new_entry_;
  new_entry_ = false;
  building_ = true;
}

// A fusion took the last staged instruction's place: it is never written.
// The next instruction started gets its own pc map entry, as it would have
// after the dropped one.
void Translator::drop_last_def() {
  building_ = false;
  nstaged_--;
  new_entry_ = true;
}

// Writes the staged instructions, in order, with their pc map entries.
void Translator::write_staged() {
  building_ = false;
  uint32_t n = nstaged_;
  nstaged_ = 0;  // here() is out_.words' size from now on
  for (uint32_t i = 0; i < n; i++) {
    const Staged& s = staged_[i];
    if (s.new_entry) last_mapped_offset_ = UINT64_MAX;
    if (s.offset != last_mapped_offset_) {
      out_.pc_map.push_back(PcMapEntry{here(), uint32_t(s.offset)});
      last_mapped_offset_ = s.offset;
    }
    out_.words.push_back(handler_word(s.op));
    out_.words.insert(out_.words.end(), s.w + 1, s.w + s.n);
  }
}

// ---- operand stack --------------------------------------------------------------

void Translator::push(Operand o) {
  o.slot = next_slot();
  stack_.push_back(o);
  if (o.kind == Kind::Local) pending_locals_++;
  max_height_ = std::max<uint32_t>(max_height_, o.slot + (o.wide ? 2 : 1) - num_locals_);
}

void Translator::push_stack(bool wide) {
  Operand o;
  o.wide = wide;
  push(o);
}

void Translator::push_types(Types ts) {
  for (ValType t : ts) push_stack(t == ValType::V128);
}

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
  return o.kind == Kind::Local ? o.local : o.slot;
}

void Translator::move_to(uint32_t index, uint32_t dst) {
  const Operand& o = stack_[index];
  switch (o.kind) {
    case Kind::Stack:
      if (o.slot == dst) return;
      emit_copy(o.wide, dst, o.slot);
      return;
    case Kind::Local: emit_copy(o.wide, dst, o.local); return;
    case Kind::Const:
      if (o.wide) {
        emit(ir::ConstV128{.d = dst,
                           .w0 = uint32_t(o.bits),
                           .w1 = uint32_t(o.bits >> 32),
                           .w2 = uint32_t(o.bits_hi),
                           .w3 = uint32_t(o.bits_hi >> 32)});
      } else if (o.bits <= UINT32_MAX) {
        emit(ir::Const32{.d = dst, .imm = uint32_t(o.bits)});
      } else {
        emit(ir::Const64{.d = dst, .lo = uint32_t(o.bits), .hi = uint32_t(o.bits >> 32)});
      }
      return;
  }
}

void Translator::materialize(uint32_t index) {
  Operand& o = stack_[index];
  if (o.kind == Kind::Stack) return;
  move_to(index, o.slot);
  if (o.kind == Kind::Local) pending_locals_--;
  o.kind = Kind::Stack;
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
bool Translator::dead_skip() {
  return dead_;
}

void Translator::enter(LabelKind kind, Types params, Types results) {
  uint32_t np = uint32_t(params.size()), nr = uint32_t(results.size());
  uint32_t height = uint32_t(stack_.size()) - np;
  uint32_t height_slot = height < stack_.size() ? stack_[height].slot : next_slot();
  Label l{};
  l.kind = kind;
  l.height = height;
  l.height_slot = height_slot;
  l.np = np;
  l.nr = nr;
  l.types_at = uint32_t(label_types_.size());
  label_types_.insert(label_types_.end(), params.begin(), params.end());
  label_types_.insert(label_types_.end(), results.begin(), results.end());
  labels_.push_back(std::move(l));
}

void Translator::leave() {
  label_types_.resize(labels_.back().types_at);
  labels_.pop_back();
}

void Translator::unreachable() {
  if (dead_) return;
  commit_fuel(true);
  uint64_t own = offset_;
  if (here() == cond_path_word_) offset_ = cond_offset_;
  emit(ir::Unreachable{});
  offset_ = own;
  dead_ = true;
}

void Translator::block(Types params, Types results) {
  if (dead_) {
    dead_depth_++;
    return;
  }
  materialize_entry(uint32_t(params.size()));
  enter(LabelKind::Block, params, results);
}

void Translator::loop(Types params, Types results) {
  if (dead_) {
    dead_depth_++;
    return;
  }
  materialize_entry(uint32_t(params.size()));
  commit_fuel();
  enter(LabelKind::Loop, params, results);
  labels_.back().loop_pc = here();
  mark_label();
  entry_checks(0, true);
}

// Branch instructions write their offset word last, through branch_word()
// or a fixup, after emit_op() and their other operands.
static_assert(ir::Br::At::off == ir::Br::At::words - 1);
static_assert(ir::BrIf::At::off == ir::BrIf::At::words - 1);
static_assert(ir::BrIfNot::At::off == ir::BrIfNot::At::words - 1);

// The words written below for ir_derived.def's variants, and read back from
// the last instruction by the fusions, are in the order of their
// ir_kinds.def rows; these checks tie each writer and reader to its row.
namespace irk = ir::kind;
namespace irv = ir::variant;
// binary(): generic() with one source, then the constant.
static_assert(irv::BinaryImm<>::d == 1 && irv::BinaryImm<>::a == 2 && irv::BinaryImm<>::c == 3);
// A fused branch takes its producer's operands after the result, in order,
// then the offset: Binary [d][a][b] -> BrIf [a][b][off], BinaryImm
// [d][a][c] -> BrIfImm [a][c][off].
template <int32_t W>
constexpr bool branch_takes_producer_operands() {
  using P = irv::BinaryImm<W>;
  using B = irv::BinaryBrIfImm<W>;
  using N = irv::BinaryBrIfNotImm<W>;
  return B::a == P::a - 1 && B::c == P::c - 1 && B::off == P::words - 1 && N::a == B::a &&
         N::c == B::c && N::off == B::off;
}
static_assert(branch_takes_producer_operands<1>() && branch_takes_producer_operands<2>());
static_assert(irv::BinaryBrIf<>::a == irk::Binary::At::a - 1 &&
              irv::BinaryBrIf<>::b == irk::Binary::At::b - 1 &&
              irv::BinaryBrIf<>::off == irk::Binary::At::words - 1 &&
              irv::BinaryBrIfNot<>::off == irv::BinaryBrIf<>::off);
// Binary and BinaryImm keep their first operand at the same word (the
// address fusion reads either).
static_assert(irk::Binary::At::a == irv::BinaryImm<>::a &&
              irk::Binary::At::b == irv::BinaryImm<>::c);
// load(): [d][offset][a] then b (or the shifted x) and k.
static_assert(irv::LoadAddImm<>::addr == 3 && irv::LoadAddImm<>::k == 4 && irv::LoadAdd<>::b == 4 &&
              irv::LoadAddShl<>::b == 4 && irv::LoadAddShl<>::k == 5 &&
              irv::LoadAddShl<>::offset == 2 && irv::LoadAddImm<>::d == 1);
// store(): [offset][a] then b (or x) and k, then the value.
static_assert(irv::StoreAddImm<>::offset == 1 && irv::StoreAddImm<>::addr == 2 &&
              irv::StoreAddImm<>::k == 3 && irv::StoreAddImm<>::v == 4 && irv::StoreAdd<>::b == 3 &&
              irv::StoreAdd<>::v == 4 && irv::StoreAddShl<>::b == 3 && irv::StoreAddShl<>::k == 4 &&
              irv::StoreAddShl<>::v == 5);
// simd_access(): generic() with the immediates offset ('n' for memory 0,
// else 'i'), offset_hi (memory64 forms), mem (other-memory forms) and the
// lane (lane accesses), after the result and before the address and the
// other sources.
constexpr bool simd_access_layout(const char* l, bool result, bool a64, bool other, bool lane) {
  if (result && *l++ != 'v') return false;
  if (*l++ != (other ? 'i' : 'n')) return false;
  if (a64 && *l++ != 'N') return false;
  if (other && *l++ != 'm') return false;
  if (lane && *l++ != 'l') return false;
  if (*l++ != 's') return false;
  for (; *l; l++)
    if (*l != 'v') return false;
  return true;
}
#define EMBER_SIMD_ACCESS_LAYOUTS(K, result, lane)                                      \
  static_assert(simd_access_layout(irk::K::layout, result, false, false, lane) &&       \
                simd_access_layout(irv::K##A64<>::layout, result, true, false, lane) && \
                simd_access_layout(irv::K##Mem<>::layout, result, false, true, lane) && \
                simd_access_layout(irv::K##MemA64<>::layout, result, true, true, lane));
EMBER_SIMD_ACCESS_LAYOUTS(VLoad, true, false)
EMBER_SIMD_ACCESS_LAYOUTS(VStore, false, false)
EMBER_SIMD_ACCESS_LAYOUTS(VLoadLane, true, true)
EMBER_SIMD_ACCESS_LAYOUTS(VStoreLane, false, true)
#undef EMBER_SIMD_ACCESS_LAYOUTS
static_assert(ir::BrIfI32Eqz::At::off == ir::BrIfI32Eqz::At::words - 1);
static_assert(ir::BrIfI64Nez::At::off == ir::BrIfI64Nez::At::words - 1);

// Removes the instruction that produced the operand at `index` (the last
// emitted one) when a fused branch exists for it; `*op` is the branch and
// `operands` the producer's words after its destination ([a][b], [a][IMM]
// or [a]), which the branch takes in the same order.
bool Translator::try_fuse_branch(uint32_t index, bool negate, FusedOperands* operands, IOp* op) {
  Staged* p = last_def(index);
  if (!p || !fused_branch(p->op, negate, op)) return false;
  operands->n = 0;
  for (uint32_t w = irk::Binary::At::a; w < p->n; w++) operands->w[operands->n++] = p->w[w];
  drop_last_def();
  return true;
}

void Translator::if_(Types params, Types results) {
  if (dead_) {
    dead_depth_++;
    return;
  }
  uint32_t ci = uint32_t(stack_.size() - 1);
  FusedOperands fo;
  IOp fused;
  bool is_fused = try_fuse_branch(ci, true, &fo, &fused);
  uint32_t cond = is_fused ? 0 : pop_slot();
  if (is_fused) pop();
  materialize_entry(uint32_t(params.size()));
  enter(LabelKind::If, params, results);
  commit_fuel();
  if (is_fused) {
    emit_op(fused);
    for (uint32_t i = 0; i < fo.n; i++) word(fo.w[i]);
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

// On a live path, the label's results go to their slots and fuel is
// committed: how an arm or block falls into its end.
void Translator::results_in_place(const Label& l) {
  if (dead_) return;
  uint32_t n = uint32_t(stack_.size());
  for (uint32_t i = n - l.nr; i < n; i++) materialize(i);
  commit_fuel();
}

// Ends an if's first arm, a try body or a catch block: results in place,
// then a branch to the label's end (none on a dead path).
void Translator::close_arm(Label& l) {
  if (dead_) return;
  results_in_place(l);
  emit_op(IOp::Br);
  l.fixups.push_back(here());
  word(0);
}

void Translator::else_() {
  if (dead_ && dead_depth_ > 0) return;
  Label& l = labels_.back();
  close_arm(l);
  patch(l.else_fixup, here());
  l.else_fixup = UINT32_MAX;
  cond_path_word_ = here();
  cond_offset_ = l.if_offset;
  mark_label();
  while (stack_.size() > l.height) pop();
  push_types(label_params(l));
  dead_ = false;
}

void Translator::end() {
  if (dead_ && dead_depth_ > 0) {
    dead_depth_--;
    return;
  }
  Label& l = labels_.back();
  if (l.kind == LabelKind::Func) {
    if (!dead_) emit_return();
    leave();
    return;
  }
  results_in_place(l);
  if (l.else_fixup != UINT32_MAX) patch(l.else_fixup, here());
  for (uint32_t f : l.fixups) patch(f, here());
  for (uint32_t h : l.handler_fixups) out_.handlers[h].target = here();
  close_ranges(l);
  mark_label();
  while (stack_.size() > l.height) pop();
  push_types(label_results(l));
  leave();
  dead_ = false;
}

bool Translator::needs_moves(const Label& l) const {
  uint32_t n = arity(l);
  uint32_t top = uint32_t(stack_.size());
  uint32_t target = l.height_slot;
  for (uint32_t k = 0; k < n; k++) {
    const Operand& o = stack_[top - n + k];
    if (o.kind != Kind::Stack || o.slot != target) return true;
    target += o.wide ? 2 : 1;
  }
  return false;
}

// Ascending copies are safe: a stack source never sits below its target
// slot, and locals are never targets.
void Translator::emit_moves(const Label& l) {
  uint32_t n = arity(l);
  uint32_t top = uint32_t(stack_.size());
  uint32_t target = l.height_slot;
  for (uint32_t k = 0; k < n; k++) {
    move_to(top - n + k, target);
    target += stack_[top - n + k].wide ? 2 : 1;
  }
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
  uint32_t n = labels_.front().nr;
  uint32_t top = uint32_t(stack_.size());
  if (n == 0) {
    emit(ir::Return{});
    return;
  }
  if (n == 1 && !stack_[top - 1].wide) {
    const Operand& o = stack_[top - 1];
    if (o.kind == Kind::Const) {
      move_to(top - 1, 0);
      emit(ir::Return{});
      return;
    }
    emit(ir::Return1{.s = o.kind == Kind::Local ? o.local : o.slot});
    return;
  }
  // Locals first go to their own stack slots (a local may be a target), then
  // ascending copies: a stack source never sits below its target.
  for (uint32_t i = top - n; i < top; i++) {
    if (stack_[i].kind == Kind::Local) move_to(i, stack_[i].slot);
  }
  uint32_t target = 0;
  for (uint32_t k = 0; k < n; k++) {
    const Operand& o = stack_[top - n + k];
    if (o.kind == Kind::Const) {
      move_to(top - n + k, target);
    } else if (o.slot != target) {
      emit_copy(o.wide, target, o.slot);
    }
    target += o.wide ? 2 : 1;
  }
  emit(ir::Return{});
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
  FusedOperands fo;
  IOp fused;
  // Peek the moves on the stack without the condition.
  Operand cond_op = stack_.back();
  stack_.pop_back();
  if (direct) direct = !needs_moves(l);
  stack_.push_back(cond_op);
  bool is_fused = try_fuse_branch(ci, !direct, &fo, &fused);
  uint32_t cond = 0;
  if (is_fused) pop();
  else cond = pop_slot();
  commit_fuel();
  if (is_fused) {
    emit_op(fused);
    for (uint32_t i = 0; i < fo.n; i++) word(fo.w[i]);
  } else {
    emit_op(direct ? IOp::BrIf : IOp::BrIfNot);
    word(cond);
  }
  branch_target(l, direct);
  cond_path_word_ = here();
  cond_offset_ = offset_;
}

// The branch offset word of a conditional branch op just emitted: to the
// label when `direct`; else past the moves and jump to the label that
// follow (the op having tested the opposite condition).
void Translator::branch_target(Label& l, bool direct) {
  if (direct) {
    if (l.kind == LabelKind::Loop) {
      branch_word(l.loop_pc);
    } else {
      l.fixups.push_back(here());
      word(0);
    }
    return;
  }
  uint32_t skip = here();
  word(0);
  emit_jump_to(l);
  patch(skip, here());
  mark_label();
}

void Translator::br_table(std::span<const uint32_t> depths) {
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

// ---- parametric and variables ---------------------------------------------------

void Translator::drop() {
  if (dead_) return;
  pop();
}

void Translator::select() {
  if (dead_) return;
  bool wide = stack_[stack_.size() - 2].wide;
  uint32_t c = pop_slot();
  uint32_t b = pop_slot();
  uint32_t a = pop_slot();
  uint32_t index = uint32_t(stack_.size());
  if (wide) stage(ir::SelectV128{.d = next_slot(), .c = c, .a = a, .b = b}, index);
  else stage(ir::Select{.d = next_slot(), .c = c, .a = a, .b = b}, index);
  push_stack(wide);
}

void Translator::local_get(uint32_t x) {
  if (dead_) return;
  Operand o;
  o.kind = Kind::Local;
  o.wide = local_wide_[x];
  o.local = local_slot_[x];
  push(o);
}

void Translator::local_set(uint32_t x) {
  if (dead_) return;
  uint32_t index = uint32_t(stack_.size() - 1);
  uint32_t xs = local_slot_[x];
  bool produced = last_def(index) != nullptr;
  Operand v = pop();
  if (v.kind == Kind::Local && v.local == xs) return;
  if (pending_locals_ > 0) {
    for (uint32_t i = 0; i < stack_.size(); i++) {
      if (stack_[i].kind == Kind::Local && stack_[i].local == xs) materialize(i);
    }
  }
  Staged* p = last_def();  // still the producer unless a copy was emitted above
  if (produced && p && p->index == index) {
    p->w[p->dst] = xs;  // the producer writes the local directly
    p->live = false;
    return;
  }
  stack_.push_back(v);  // move_to reads the operand in place
  move_to(index, xs);
  stack_.pop_back();
}

void Translator::local_tee(uint32_t x) {
  if (dead_) return;
  local_set(x);
  local_get(x);
}

void Translator::constant(uint64_t bits) {
  if (dead_) return;
  Operand o;
  o.kind = Kind::Const;
  o.bits = bits;
  push(o);
}

void Translator::constant_v128(uint64_t lo, uint64_t hi) {
  if (dead_) return;
  Operand o;
  o.kind = Kind::Const;
  o.wide = true;
  o.bits = lo;
  o.bits_hi = hi;
  push(o);
}

void Translator::global_get(uint32_t g, ValType t) {
  if (t == ValType::V128) generic(IOp::GlobalGetV128, 0, 2, {g});
  else generic(IOp::GlobalGet, 0, 1, {g});
}

void Translator::global_set(uint32_t g, ValType t) {
  generic(t == ValType::V128 ? IOp::GlobalSetV128 : IOp::GlobalSet, 1, 0, {g});
}

// ---- numeric and memory -----------------------------------------------------------

void Translator::unary(Op op) {
  if (op == Op::I32Eqz && fold_eqz()) return;
  generic(numeric_iop(op), 1, 1, {});
  canonicalize_nan(op);
}

// The operators whose NaN results Cranelift's NaN canonicalization replaces
// (arithmetic, rounding, min/max, promote/demote, fused multiply-add; not
// abs, neg, copysign or pmin/pmax, which only move bits), with the IR op
// that canonicalizes their result; IOp::Count_ for the others.
static IOp nan_canonicalizer(Op op) {
  switch (op) {
    case Op::F32Ceil:
    case Op::F32Floor:
    case Op::F32Trunc:
    case Op::F32Nearest:
    case Op::F32Sqrt:
    case Op::F32Add:
    case Op::F32Sub:
    case Op::F32Mul:
    case Op::F32Div:
    case Op::F32Min:
    case Op::F32Max:
    case Op::F32DemoteF64: return IOp::CanonNanF32;
    case Op::F64Ceil:
    case Op::F64Floor:
    case Op::F64Trunc:
    case Op::F64Nearest:
    case Op::F64Sqrt:
    case Op::F64Add:
    case Op::F64Sub:
    case Op::F64Mul:
    case Op::F64Div:
    case Op::F64Min:
    case Op::F64Max:
    case Op::F64PromoteF32: return IOp::CanonNanF64;
    case Op::F32x4Ceil:
    case Op::F32x4Floor:
    case Op::F32x4Trunc:
    case Op::F32x4Nearest:
    case Op::F32x4Sqrt:
    case Op::F32x4Add:
    case Op::F32x4Sub:
    case Op::F32x4Mul:
    case Op::F32x4Div:
    case Op::F32x4Min:
    case Op::F32x4Max:
    case Op::F32x4DemoteF64x2Zero:
    case Op::F32x4RelaxedMadd:
    case Op::F32x4RelaxedNmadd: return IOp::CanonNanF32x4;
    case Op::F64x2Ceil:
    case Op::F64x2Floor:
    case Op::F64x2Trunc:
    case Op::F64x2Nearest:
    case Op::F64x2Sqrt:
    case Op::F64x2Add:
    case Op::F64x2Sub:
    case Op::F64x2Mul:
    case Op::F64x2Div:
    case Op::F64x2Min:
    case Op::F64x2Max:
    case Op::F64x2PromoteLowF32x4:
    case Op::F64x2RelaxedMadd:
    case Op::F64x2RelaxedNmadd: return IOp::CanonNanF64x2;
    default: return IOp::Count_;
  }
}

// In place on the result just pushed: [CanonNan*][d][d]. A following
// local.set may retarget d as for any defining instruction.
void Translator::canonicalize_nan(Op op) {
  if (!opt_.nan_canonicalization || dead_) return;
  IOp canon = nan_canonicalizer(op);
  if (canon == IOp::Count_) return;
  generic(canon, 1, canon == IOp::CanonNanF32 || canon == IOp::CanonNanF64 ? 1 : 2, {});
}

// i32.eqz of a value the last instruction just computed as a test: an
// integer compare is replaced by its negation, i32.eqz/i64.eqz x by
// "x != 0" (so a following br_if or if fuses with it, where `br_if (i32.eqz
// (i64.eqz x))` would cost three instructions).
bool Translator::fold_eqz() {
  Staged* p = dead_ ? nullptr : last_def(uint32_t(stack_.size() - 1));
  if (!p) return false;
  IOp neg;
  if (negated_compare(p->op, &neg)) {
    p->op = neg;
    return true;
  }
  if (p->op != IOp::I32Eqz && p->op != IOp::I64Eqz) return false;
  bool wide = p->op == IOp::I64Eqz;
  // [I*Eqz][d][a] becomes [I*NeImm][d][a][0 (0)]: the same d and a words, a
  // new opcode and the constant appended.
  static_assert(irk::Unary::At::d == irv::BinaryImm<>::d &&
                irk::Unary::At::a == irv::BinaryImm<>::a &&
                irk::Unary::At::words == irv::BinaryImm<>::c);
  p->op = wide ? IOp::I64NeImm : IOp::I32NeImm;
  p->w[p->n++] = 0;
  if (wide) p->w[p->n++] = 0;
  return true;
}

// A constant right operand becomes an immediate (NImm, ir_derived.def).
void Translator::binary(Op op) {
  if (dead_) return;
  uint32_t top = uint32_t(stack_.size());
  const Operand& rhs = stack_[top - 1];
  if (rhs.kind == Kind::Const && stack_[top - 2].kind != Kind::Const) {
    uint64_t bits = rhs.bits;
    pop();
    generic(imm_iop(op), 1, 1, {});
    word(uint32_t(bits));  // layout: [op][d][a][IMM]
    if (imm_words(op) == 2) word(uint32_t(bits >> 32));
    canonicalize_nan(op);
    return;
  }
  generic(numeric_iop(op), 2, 1, {});
  canonicalize_nan(op);
}

// [op][d][sources...], the two results in slots d and d + 1 (ir_kinds.def).
// Not staged: no fusion takes a pair of results, and a local.set retargeting
// d would move both halves.
void Translator::wide_arith(Op op) {
  if (dead_) return;
  constexpr uint32_t kMaxSources = std::max(irk::Binary128::sources, irk::BinaryWide::sources);
  uint32_t nin = kind_arity(op_info(op).sig), srcs[kMaxSources];
  for (uint32_t i = nin; i-- > 0;) srcs[i] = pop_slot();
  emit_op(numeric_iop(op));
  word(next_slot());
  for (uint32_t i = 0; i < nin; i++) word(srcs[i]);
  push_stack();
  push_stack();
}

// When the address operand at `index` was computed by the last instruction
// as `a + k` (I32AddImm) or `a + b` (I32Add), returns the fused access's
// form and operands; `avoid` is a slot the fused access will find
// overwritten (neither a nor b may be it). take_address also removes the add.
bool Translator::peek_address(uint32_t index, uint32_t avoid, IOp* add, uint32_t* a, uint32_t* b) {
  const Staged* p = last_def(index);
  if (!p || (p->op != IOp::I32AddImm && p->op != IOp::I32Add)) return false;
  *add = p->op;
  *a = p->w[irk::Binary::At::a];  // or BinaryImm's a
  *b = p->w[irk::Binary::At::b];  // or BinaryImm's c
  return *a != avoid && (*add == IOp::I32AddImm || *b != avoid);
}

bool Translator::take_address(uint32_t index, uint32_t avoid, IOp* add, uint32_t* a, uint32_t* b) {
  if (!peek_address(index, avoid, add, a, b)) return false;
  drop_last_def();
  return true;
}

// Loads and stores: memory64 addresses take the A64 forms; a 32-bit address
// just computed by an i32.add folds into the access (AddImm / Add forms).
void Translator::load(Op op, uint64_t offset64, bool addr64, uint32_t mem) {
  if (dead_) return;
  const uint32_t offset = uint32_t(offset64), hi = uint32_t(offset64 >> 32);
  if (addr64 && mem != 0) return generic(addr_iop(op, AddrForm::MemA64), 1, 1, {offset, hi, mem});
  if (addr64) return generic(addr_iop(op, AddrForm::A64), 1, 1, {offset, hi});
  if (mem != 0) return generic(addr_iop(op, AddrForm::Mem), 1, 1, {offset, mem});
  IOp add;
  uint32_t a, b;
  if (!take_address(uint32_t(stack_.size() - 1), UINT32_MAX, &add, &a, &b))
    return generic(numeric_iop(op), 1, 1, {offset});
  pop();
  uint32_t index = uint32_t(stack_.size());
  uint32_t x, k;
  bool shl = add == IOp::I32Add && take_shift(&a, &b, &x, &k);
  IOp fused = addr_iop(op, shl                     ? AddrForm::AddShl
                           : add == IOp::I32AddImm ? AddrForm::AddImm
                                                   : AddrForm::Add);
  stage_op(fused, index, irv::LoadAdd<>::d);
  word(next_slot());
  word(offset);
  word(a);
  word(shl ? x : b);
  if (shl) word(k);
  push_stack();
}

// After take_address removed `a + b`: when one of a and b is a stack
// temporary the instruction before it computed as `x << k` (I32ShlImm), that
// shift goes too. *a becomes the other addend; *x and *k the shift's.
bool Translator::take_shift(uint32_t* a, uint32_t* b, uint32_t* x, uint32_t* k) {
  const Staged* p = last_def();  // the instruction before the add, now dropped
  if (!p || p->op != IOp::I32ShlImm) return false;
  uint32_t d = p->w[p->dst];
  if (d < num_locals_ || (d != *a && d != *b)) return false;
  if (d == *a) std::swap(*a, *b);
  if (*a == d) return false;  // a + (a << k) with the shift in place of both
  *x = p->w[irv::BinaryImm<>::a];
  *k = p->w[irv::BinaryImm<>::c] & 31;
  drop_last_def();
  return true;
}

void Translator::store(Op op, uint64_t offset64, bool addr64, uint32_t mem) {
  if (dead_) return;
  const uint32_t offset = uint32_t(offset64), hi = uint32_t(offset64 >> 32);
  if (addr64 && mem != 0) return generic(addr_iop(op, AddrForm::MemA64), 2, 0, {offset, hi, mem});
  if (addr64) return generic(addr_iop(op, AddrForm::A64), 2, 0, {offset, hi});
  if (mem != 0) return generic(addr_iop(op, AddrForm::Mem), 2, 0, {offset, mem});
  IOp add;
  uint32_t a, b;
  uint32_t top = uint32_t(stack_.size());
  // The address is below the value: it can only fold when the add is the
  // last instruction, i.e. the value is a local or a constant (materialized
  // into its own stack slot after the add is gone: a and b must not be that).
  const Operand& v = stack_[top - 1];
  uint32_t clobbered = v.kind == Kind::Const ? v.slot : UINT32_MAX;
  if (v.kind == Kind::Stack || !take_address(top - 2, clobbered, &add, &a, &b))
    return generic(numeric_iop(op), 2, 0, {offset});
  uint32_t value = pop_slot();
  pop();
  uint32_t x, k;
  bool shl = add == IOp::I32Add && v.kind == Kind::Local && take_shift(&a, &b, &x, &k);
  emit_op(addr_iop(op, shl                     ? AddrForm::AddShl
                       : add == IOp::I32AddImm ? AddrForm::AddImm
                                               : AddrForm::Add));
  word(offset);
  word(a);
  word(shl ? x : b);
  if (shl) word(k);
  word(value);
}

IOp Translator::simd_iop(Op op) const {
  const OpInfo& info = op_info(op);
  if (info.feature == Feature::RelaxedSimd && opt_.relaxed_simd_deterministic) {
    return numeric_iop(relaxed_deterministic_op(op));
  }
  return numeric_iop(op);
}

void Translator::simd(Op op, std::initializer_list<uint32_t> imms) {
  const OpInfo& info = op_info(op);
  uint32_t result = info.out ? slot_count(*info.out) : 0;
  generic(simd_iop(op), kind_arity(info.sig), result, imms);
  canonicalize_nan(op);
}

// A SIMD access of memory 0 with a 32-bit address is its row's IR op; the
// others take the A64, Mem or MemA64 form, whose immediates are those of the
// row's form in order: the offset, its high word (memory64), the memory
// (not memory 0), the lane (lane accesses). No address fusion.
void Translator::simd_access(Op op, uint64_t offset, bool addr64, uint32_t mem, uint32_t lane) {
  const OpInfo& info = op_info(op);
  const bool lanes = info.sig == SigKind::VLoadLane || info.sig == SigKind::VStoreLane;
  uint32_t imms[4], n = 0;
  imms[n++] = uint32_t(offset);
  if (addr64) imms[n++] = uint32_t(offset >> 32);
  if (mem != 0) imms[n++] = mem;
  if (lanes) imms[n++] = lane;
  IOp iop = addr64 && mem != 0 ? addr_iop(op, AddrForm::MemA64)
            : addr64           ? addr_iop(op, AddrForm::A64)
            : mem != 0         ? addr_iop(op, AddrForm::Mem)
                               : numeric_iop(op);
  generic(iop, kind_arity(info.sig), info.out ? 2 : 0, std::span<const uint32_t>(imms, n));
}

// Atomic rows lower onto the Atomic* instruction of their shape, with the
// row as an immediate (ir_ops.def).
void Translator::atomic(Op op, uint64_t offset, bool, uint32_t mem) {
  const uint32_t imms[] = {uint32_t(op), uint32_t(offset), uint32_t(offset >> 32), mem};
  switch (op_info(op).sig) {
    case SigKind::AtomicLoad: return generic(IOp::AtomicLoad, 1, 1, imms);
    case SigKind::AtomicStore: return generic(IOp::AtomicStore, 2, 0, imms);
    case SigKind::AtomicRmw: return generic(IOp::AtomicRmw, 2, 1, imms);
    default: return generic(IOp::AtomicRmw3, 3, 1, imms);
  }
}

void Translator::atomic_fence() {
  if (!dead_) emit_op(IOp::AtomicFence);
}

// The lane indices become two byte-selection masks in the pshufb form (one
// per operand; 0x80 selects nothing), so the handler needs no index
// arithmetic: [op][d][ma x4][mb x4][a][b].
void Translator::shuffle(const uint8_t* lanes) {
  uint8_t masks[32];
  for (int i = 0; i < 16; i++) {
    masks[i] = lanes[i] < 16 ? lanes[i] : 0x80;
    masks[16 + i] = lanes[i] >= 16 ? uint8_t(lanes[i] - 16) : 0x80;
  }
  uint32_t w[8];
  std::memcpy(w, masks, sizeof w);
  generic(simd_iop(Op::I8x16Shuffle), 2, 2, {w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]});
}

void Translator::generic(IOp op, uint32_t nin, uint32_t result, std::span<const uint32_t> imms,
                         bool count64) {
  if (dead_) return;
  uint32_t fuel_flags = unit_fuel_flags(op);
  uint32_t srcs[8];
  for (uint32_t i = nin; i-- > 0;) srcs[i] = pop_slot();
  uint32_t index = uint32_t(stack_.size());
  // An instruction with a result is staged (it may still be fused); the
  // layouts put the result first (ir_kinds.def).
  if (result) stage_op(op, index, 1);
  else emit_op(op);
  if (result) word(next_slot());
  for (uint32_t imm : imms) word(imm);
  for (uint32_t i = 0; i < nin; i++) word(srcs[i]);
  if (result) push_stack(result == 2);
  // Per-unit fuel, charged (and checked) once the operation has succeeded,
  // as wasmtime does: an out-of-bounds one traps without charging, and one
  // that runs out of fuel has done its work. The count operand of a bulk
  // operation is still in its slot (they have no result).
  if (fuel_flags) {
    commit_fuel();  // a check includes the block's cost so far
    if (op == IOp::MemoryGrow) {
      emit(ir::FuelMemoryGrow{.d = slot(index), .mem = imms[0], .flags = fuel_flags});
    } else if (op == IOp::TableGrow) {
      emit(ir::FuelTableGrow{.d = slot(index), .t = imms[0], .flags = fuel_flags});
    } else {
      emit(ir::FuelUnits{.s = srcs[nin - 1], .flags = fuel_flags | (count64 ? kFuelCount64 : 0)});
    }
  }
}

}  // namespace ember::interp

namespace ember::interp {

// The IR op of each entity operator, with the operands it pops and the slots
// its result takes (layouts in ir_ops.def).
namespace {
struct EntityForm {
  IOp op;
  uint32_t nin, result;
};

EntityForm entity_form(Op op) {
  switch (op) {
    case Op::RefIsNull: return {IOp::RefIsNull, 1, 1};
    case Op::RefFunc: return {IOp::RefFunc, 0, 1};
    case Op::MemorySize: return {IOp::MemorySize, 0, 1};
    case Op::MemoryGrow: return {IOp::MemoryGrow, 1, 1};
    case Op::MemoryInit: return {IOp::MemoryInit, 3, 0};
    case Op::DataDrop: return {IOp::DataDrop, 0, 0};
    case Op::MemoryCopy: return {IOp::MemoryCopy, 3, 0};
    case Op::MemoryFill: return {IOp::MemoryFill, 3, 0};
    case Op::TableGet: return {IOp::TableGet, 1, 1};
    case Op::TableSet: return {IOp::TableSet, 2, 0};
    case Op::TableGrow: return {IOp::TableGrow, 2, 1};
    case Op::TableSize: return {IOp::TableSize, 0, 1};
    case Op::TableFill: return {IOp::TableFill, 3, 0};
    case Op::TableInit: return {IOp::TableInit, 3, 0};
    case Op::ElemDrop: return {IOp::ElemDrop, 0, 0};
    case Op::TableCopy: return {IOp::TableCopy, 3, 0};
    default: return {IOp::Unreachable, 0, 0};
  }
}
}  // namespace

void Translator::entity_op(Op op, std::initializer_list<uint32_t> imms, bool count64) {
  EntityForm f = entity_form(op);
  generic(f.op, f.nin, f.result, imms, count64);
}

}  // namespace ember::interp

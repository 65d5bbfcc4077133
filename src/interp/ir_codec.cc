// Portable IR and its verifier (see ir_codec.hh for the checks).
#include "interp/ir_codec.hh"

#include "runtime/gc.hh"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <unordered_map>

#include "interp/interp_state.hh"
#include "interp/ir_insn.hh"
#include "runtime/gc.hh"
#include "support/hash.hh"
#include "support/parallel.hh"

namespace ember::interp {

namespace {

// IOps expanded from operators.def, in IOp order: their wasm operators and
// names (every kind but Special has IR ops, as code.hh expands them).
constexpr Op kNumericOps[] = {
#define EMBER_OPK_Lowered(name, ...) Op::name,
#include "ir/operators_by_kind.inc"
};
constexpr size_t kNumericCount = sizeof(kNumericOps) / sizeof(kNumericOps[0]);

const char* const kIOpNames[] = {
#define EMBER_OPK_Lowered(name, ...) #name,
#include "ir/operators_by_kind.inc"
#define EMBER_IROP(name, ...) #name,
#include "interp/ir_ops.def"
#define EMBER_DERIVED(name, base, variant) #name,
#include "interp/ir_derived.def"
};
static_assert(sizeof(kIOpNames) / sizeof(kIOpNames[0]) == kIOpCount);

// ir_ops.def's layouts (ir_insn.hh checks them against the operand names),
// indexed by IOp - kNumericCount.
constexpr const char* kIrOps[] = {
#define EMBER_IROP(name, ...) ir::name::layout,
#include "interp/ir_ops.def"
};
constexpr size_t kIrOpCount = sizeof(kIrOps) / sizeof(kIrOps[0]);

// ir_derived.def's variants: the operators.def row each one derives from.
struct DerivedRow {
  Op base;
  Variant variant;
};
constexpr DerivedRow kDerived[] = {
#define EMBER_DERIVED(name, base, variant) {Op::base, Variant::variant},
#include "interp/ir_derived.def"
};
static_assert(kNumericCount + kIrOpCount + sizeof(kDerived) / sizeof(kDerived[0]) == kIOpCount);

Operand operand_of(char c) {
  switch (c) {
    case 's': return Operand::Slot;
    case 'v': return Operand::Slot2;
    case 'i': return Operand::Imm;
    case 'b': return Operand::Branch;
    case 'f': return Operand::Func;
    case 'r': return Operand::LocalFunc;
    case 'g': return Operand::Global;
    case 't': return Operand::Table;
    case 'm': return Operand::Memory;
    case 'e': return Operand::Elem;
    case 'a': return Operand::Data;
    case 'y': return Operand::TypeId;
    case 'T': return Operand::Tag;
    case 'X': return Operand::GcType;
    case 'F': return Operand::Field;
    case 'C': return Operand::CastType;
    default: return Operand::CallBase;
  }
}

uint64_t slots_of_types(const std::vector<ValType>& ts) {
  uint64_t n = 0;
  for (ValType t : ts) n += slot_count(t);
  return n;
}

Operand slot_of(const std::optional<ValType>& t) {
  return t && *t == ValType::V128 ? Operand::Slot2 : Operand::Slot;
}

void set_masks(IrLayout& x) {
  for (uint8_t k = 0; k < x.count; k++) {
    switch (x.ops[k]) {
      case Operand::Slot: x.slot1_mask |= uint16_t(1u << k); break;
      case Operand::Slot2: x.slot2_mask |= uint16_t(1u << k); break;
      case Operand::Imm: break;
      default: x.other_mask |= uint16_t(1u << k); break;
    }
  }
}

// The layout string of the instruction a row lowers to 1:1 (ir_kinds.def),
// or null for the rows lowered by hand.
const char* kind_layout(const OpInfo& info) {
#define EMBER_IRKIND(...)
#define EMBER_IRSHAPE(name, sig_kind, imm_kind, ...) \
  if (info.sig == SigKind::sig_kind && info.imm == ImmKind::imm_kind) return ir::kind::name::layout;
#include "interp/ir_kinds.def"
  switch (info.sig) {
#define EMBER_IRKIND(name, ...) \
  case SigKind::name: return ir::kind::name::layout;
#include "interp/ir_kinds.def"
    default: return nullptr;
  }
}

// The layout string of ir_derived.def's variant `v` of a row of kind `k`
// (ir_kinds.def), or null when the kind has no such variant.
const char* variant_layout(SigKind k, Variant v) {
#define EMBER_IRKIND(...)
#define EMBER_IRVARIANT(variant_name, kind_name, ...)        \
  if (k == SigKind::kind_name && v == Variant::variant_name) \
    return ir::variant::kind_name##variant_name<>::layout;
#include "interp/ir_kinds.def"
  return nullptr;
}

// A layout of ir_kinds.def with its letters resolved for `info`'s row.
void resolve_layout(const char* s, const OpInfo& info, IrLayout& x) {
  if (!s) return;  // unknown
  x.known = true;
  uint32_t wide = info.in && (*info.in == ValType::I64 || *info.in == ValType::F64) ? 2 : 1;
  for (; *s; s++) {
    switch (*s) {
      case 'O': x.ops[x.count++] = slot_of(info.out); break;
      case 'P': x.ops[x.count++] = Operand::Slot2; break;  // two scalar results
      case 'I': x.ops[x.count++] = slot_of(info.in); break;
      case 'n':
        x.ops[x.count++] = Operand::Imm;
        x.memory0 = true;
        break;
      case 'l':
        x.ops[x.count++] = Operand::Lane;
        x.lanes = uint8_t(16 / std::max<uint8_t>(info.size, 1));
        break;
      case 'w':
        for (uint32_t k = 0; k < wide; k++) x.ops[x.count++] = Operand::Imm;
        break;
      case 'N': x.ops[x.count++] = Operand::Imm; break;
      case 'x': x.ops[x.count++] = Operand::Shift; break;
      default: x.ops[x.count++] = operand_of(*s); break;
    }
  }
}

struct Layouts {
  IrLayout l[kIOpCount];
  Layouts() {
    for (size_t i = 0; i < kNumericCount; i++) {
      const OpInfo& info = op_info(kNumericOps[i]);
      resolve_layout(kind_layout(info), info, l[i]);
    }
    for (size_t i = 0; i < kIrOpCount; i++) {
      IrLayout& x = l[kNumericCount + i];
      const char* s = kIrOps[i];
      x.terminator = *s == '!';
      if (x.terminator) s++;
      x.variable = *s == '*';
      if (x.variable) s++;
      size_t n = std::strlen(s);
      // A layout longer than IrLayout holds is treated as unknown (and fails
      // the EveryIrOpHasALayout test).
      if (n > sizeof(x.ops) / sizeof(x.ops[0])) continue;
      x.known = true;
      for (size_t k = 0; k < n; k++) x.ops[x.count++] = operand_of(s[k]);
    }
    for (size_t i = 0; i < sizeof(kDerived) / sizeof(kDerived[0]); i++) {
      const OpInfo& info = op_info(kDerived[i].base);
      resolve_layout(variant_layout(info.sig, kDerived[i].variant), info,
                     l[kNumericCount + kIrOpCount + i]);
    }
    for (IrLayout& x : l) set_masks(x);
  }
};

const Layouts& layouts() {
  static const Layouts t;
  return t;
}

[[gnu::cold]] Error corrupt(const std::string& what, uint32_t func = UINT32_MAX,
                            uint64_t word = UINT64_MAX) {
  std::string msg = "serialized module is corrupted: " + what;
  if (func != UINT32_MAX) msg += " (defined function " + std::to_string(func);
  if (word != UINT64_MAX) msg += ", word " + std::to_string(word);
  if (func != UINT32_MAX) msg += ")";
  return Error(ErrorKind::Malformed, std::move(msg));
}

// Handler word -> IOp. Ops whose handlers share one label (aliases in the
// dispatch loop) are interchangeable when their layouts agree; otherwise the
// word is marked ambiguous.
struct Reverse {
  std::unordered_map<uint32_t, uint32_t> op;  // UINT32_MAX = ambiguous
  Reverse() {
    for (size_t i = 0; i < kIOpCount; i++) {
      uint32_t w = handler_word(IOp(i));
      auto [it, fresh] = op.emplace(w, uint32_t(i));
      if (fresh || it->second == UINT32_MAX) continue;
      const IrLayout& a = ir_layout(IOp(it->second));
      const IrLayout& b = ir_layout(IOp(i));
      bool same = a.known && b.known && a.variable == b.variable && a.count == b.count &&
                  a.terminator == b.terminator && a.lanes == b.lanes && a.memory0 == b.memory0 &&
                  std::equal(a.ops, a.ops + a.count, b.ops);
      if (!same) it->second = UINT32_MAX;
    }
  }
};

const Reverse& reverse() {
  static const Reverse r;
  return r;
}

// The access form of a load or store IOp, read from its ir_kinds.def layout
// (the kind's for the 1:1 ops, the variant's for the address forms).
bool access_form(IOp op, MemAccess* out) {
  size_t i = static_cast<size_t>(op);
  const OpInfo* info = nullptr;
  const char* layout = nullptr;
  bool addr64 = false;
  if (i < kNumericCount) {
    info = &op_info(kNumericOps[i]);
    layout = kind_layout(*info);
  } else if (i >= kNumericCount + kIrOpCount) {
    const DerivedRow& row = kDerived[i - kNumericCount - kIrOpCount];
    info = &op_info(row.base);
    layout = variant_layout(info->sig, row.variant);
    addr64 = row.variant == Variant::A64 || row.variant == Variant::MemA64;
  }
  SigKind k = info ? info->sig : SigKind::Special;
  bool access = k == SigKind::Load || k == SigKind::Store || k == SigKind::VLoad ||
                k == SigKind::VStore || k == SigKind::VLoadLane || k == SigKind::VStoreLane;
  if (!access || !layout) return false;
  // In every access layout the first immediate is the offset and the first
  // slot after it the address; then an added constant, an added slot and
  // its shift count (the address forms).
  MemAccess a;
  a.size = info->size;
  a.addr64 = addr64;
  uint8_t w = 1;
  for (const char* c = layout; *c; c++, w++) {
    bool before_addr = a.addr == 0;
    switch (*c) {
      case 'n':
      case 'i':
        if (a.offset == 0) a.offset = w;
        else if (!before_addr) a.add_imm = w;
        break;
      case 'm': a.mem = w; break;
      case 's':
        if (before_addr) a.addr = w;
        else a.add_slot = w;
        break;
      case 'x': a.shift = w; break;
      default: break;
    }
  }
  *out = a;
  return true;
}

uint32_t instruction_words(const IrLayout& l, const uint32_t* w, size_t left) {
  if (!l.variable) return 1 + l.count;
  // BrTable: [op][i][n][off x (n+1)]
  if (left < 3) return 0;
  uint64_t n = uint64_t(w[2]) + 1;
  return n + 3 > left ? 0 : uint32_t(n + 3);
}

}  // namespace

const IrLayout& ir_layout(IOp op) {
  return layouts().l[size_t(op)];
}

const char* iop_name(IOp op) {
  return size_t(op) < kIOpCount ? kIOpNames[size_t(op)] : "?";
}

uint64_t ir_fingerprint() {
  static const uint64_t fp = [] {
    uint64_t h = fnv1a64("ember-ir", 8);
    for (size_t i = 0; i < kIOpCount; i++) {
      const IrLayout& l = ir_layout(IOp(i));
      h = fnv1a64(kIOpNames[i], std::strlen(kIOpNames[i]), h);
      uint8_t facts[6] = {l.known, l.variable, l.terminator, l.count, l.lanes, l.memory0};
      h = fnv1a64(facts, sizeof facts, h);
      h = fnv1a64(l.ops, l.count, h);
      h = fnv1a64(handler_table() + i, sizeof(int32_t), h);
    }
    for (size_t i = 0; i < kOpCount; i++) {
      const OpInfo& info = op_info(Op(i));
      h = fnv1a64(info.mnemonic, std::strlen(info.mnemonic), h);
      uint8_t facts[5] = {uint8_t(info.sig), uint8_t(info.imm),
                          info.in ? uint8_t(info.in->bits()) : uint8_t(0),
                          info.out ? uint8_t(info.out->bits()) : uint8_t(0), info.size};
      h = fnv1a64(facts, sizeof facts, h);
    }
    for (size_t i = 1; i < kFeatureCount; i++) {
      const char* n = feature_name(Feature(i));
      h = fnv1a64(n, std::strlen(n), h);
    }
    return h;
  }();
  return fp;
}

Expected<std::vector<uint32_t>> to_portable(const CompiledCode& code, const ModuleData& m) {
  std::vector<uint32_t> out(code.words);
  std::unordered_map<uint32_t, uint32_t> type_index;  // engine id -> module type index
  for (size_t i = m.type_ids.size(); i-- > 0;) type_index[m.type_ids[i]] = uint32_t(i);
  const Reverse& rev = reverse();
  for (uint32_t fi = 0; fi < code.funcs.size(); fi++) {
    const FuncCode& fc = code.funcs[fi];
    for (uint32_t pc = fc.begin; pc < fc.end;) {
      auto it = rev.op.find(code.words[pc]);
      if (it == rev.op.end())
        return Error(ErrorKind::Internal,
                     "cannot serialize: unknown handler word in translated code");
      if (it->second == UINT32_MAX)
        return Error(ErrorKind::Internal,
                     "cannot serialize: IR ops with different layouts share a handler");
      IOp op = IOp(it->second);
      const IrLayout& l = ir_layout(op);
      if (!l.known)
        return Error(ErrorKind::Internal, std::string("cannot serialize: IR op ") + iop_name(op) +
                                              " has no operand layout (src/interp/ir_codec.cc)");
      uint32_t n = instruction_words(l, &code.words[pc], fc.end - pc);
      if (n == 0 || n > fc.end - pc)
        return Error(ErrorKind::Internal, "cannot serialize: translated code is inconsistent");
      out[pc] = uint32_t(op);
      for (uint32_t k = 0; k < l.count && !l.variable; k++) {
        if (l.ops[k] != Operand::TypeId) continue;
        auto t = type_index.find(code.words[pc + 1 + k]);
        if (t == type_index.end())
          return Error(ErrorKind::Internal,
                       "cannot serialize: call_indirect type not in the module");
        out[pc + 1 + k] = t->second;
      }
      pc += n;
    }
  }
  return out;
}

uint64_t gc_window_slots(IOp op, const uint32_t* x, const ModuleData& m) {
  auto slots = [&](const FieldType& f) -> uint64_t { return f.type == ValType::V128 ? 2 : 1; };
  uint64_t n = 0;
  if (op == IOp::StructNew)
    for (const FieldType& f : m.type_decls[x[1]].fields) n += slots(f);
  else if (op == IOp::ArrayNewFixed && !m.type_decls[x[1]].fields.empty())
    n = uint64_t(x[2]) * slots(m.type_decls[x[1]].fields[0]);
  return n;
}

namespace {

// What the GC instructions need beyond their operands' ranges: v128
// fields and elements take two slots, StructNew's window of fields and
// ArrayNewFixed's of elements lie in the frame, segments fill arrays of
// their kind (bytes into numeric elements, references into reference
// elements of a supertype) and array.copy moves elements to a supertype.
bool gc_operands_ok(IOp op, const uint32_t* x, const ModuleData& m, const TypeRegistry& types,
                    uint64_t frame, rt::StructLayouts& layouts) {
  auto slots = [&](const FieldType& f) -> uint64_t { return f.type == ValType::V128 ? 2 : 1; };
  auto is_array = [&](uint32_t t) {
    return m.type_decls[t].kind == CompKind::Array && m.type_decls[t].fields.size() == 1;
  };
  auto elem = [&](uint32_t t) -> const FieldType& { return m.type_decls[t].fields[0]; };
  auto numeric = [&](uint32_t t) { return !is_ref(elem(t).type); };
  auto elem_from = [&](uint32_t seg, uint32_t t) {
    return is_ref(elem(t).type) && m.subtype(m.elems[seg].type, elem(t).type, types);
  };
  // The offset and storage of struct t's field f, as the layout has them
  // (the Field operand already checked f); an array element's storage.
  auto laid_out = [&](uint32_t t, uint32_t f, uint32_t offset, uint32_t storage) {
    const rt::GcField& g = layouts.of(t, m.type_decls[t].fields)[f];
    return offset == g.offset && storage == uint32_t(g.storage);
  };
  auto stored = [&](uint32_t t, uint32_t storage) {
    return storage == uint32_t(rt::storage_of(elem(t)));
  };
  switch (op) {
    case IOp::StructNew:
      return m.type_decls[x[1]].kind == CompKind::Struct &&
             x[2] + gc_window_slots(op, x, m) <= frame;
    case IOp::StructNewDefault: return m.type_decls[x[1]].kind == CompKind::Struct;
    case IOp::StructGet:
      return x[0] + slots(m.type_decls[x[1]].fields[x[2]]) <= frame &&
             laid_out(x[1], x[2], x[3], x[4]) && x[5] <= 1;
    case IOp::StructSet:
      return x[5] + slots(m.type_decls[x[0]].fields[x[1]]) <= frame &&
             laid_out(x[0], x[1], x[2], x[3]);
    case IOp::ArrayNew: return is_array(x[1]) && x[2] + slots(elem(x[1])) <= frame;
    case IOp::ArrayNewDefault: return is_array(x[1]);
    case IOp::ArrayNewFixed: return is_array(x[1]) && x[3] + gc_window_slots(op, x, m) <= frame;
    case IOp::ArrayNewData: return is_array(x[1]) && numeric(x[1]);
    case IOp::ArrayNewElem: return is_array(x[1]) && elem_from(x[2], x[1]);
    case IOp::ArrayGet:
      return is_array(x[1]) && x[0] + slots(elem(x[1])) <= frame && stored(x[1], x[2]) && x[3] <= 1;
    case IOp::ArraySet:
      return is_array(x[0]) && x[4] + slots(elem(x[0])) <= frame && stored(x[0], x[1]);
    case IOp::ArrayFill: return is_array(x[0]) && x[3] + slots(elem(x[0])) <= frame;
    case IOp::ArrayCopy:
      return is_array(x[0]) && is_array(x[1]) &&
             rt::storage_of(elem(x[0])) == rt::storage_of(elem(x[1])) &&
             m.subtype(elem(x[1]).type, elem(x[0]).type, types);
    case IOp::ArrayInitData: return is_array(x[0]) && numeric(x[0]);
    case IOp::ArrayInitElem: return is_array(x[0]) && elem_from(x[1], x[0]);
    default: return true;
  }
}

// One catch clause of defined function `fi`.
Status verify_handler(const CatchHandler& h, const CompiledCode& code, const ModuleData& m,
                      uint32_t fi, const std::vector<uint8_t>& starts) {
  // starts[i]: an instruction begins at word code.funcs[fi].begin + i.
  const FuncCode& fc = code.funcs[fi];
  if (h.kind > CatchClause::CatchAllRef) return corrupt("unknown catch kind", fi);
  CatchClause c{CatchClause::Kind(h.kind), h.tag, 0};
  uint64_t n = 0;
  if (c.has_tag()) {
    if (h.tag >= m.tags.size() || m.tags[h.tag] >= m.types.size())
      return corrupt("catch clause names no tag of the module", fi);
    n = slots_of_types(m.types[m.tags[h.tag]].params);
  }
  if (uint64_t(h.dst) + n > fc.frame_slots || (c.has_ref() && h.ref_dst >= fc.frame_slots))
    return corrupt("catch payload out of frame", fi);
  if (h.target == kReturnTarget) {
    // The function's results: the payload, then the exnref.
    if (h.dst != 0 || n + (c.has_ref() ? 1 : 0) != fc.num_results ||
        (c.has_ref() && h.ref_dst != n))
      return corrupt("catch clause returns other values than its function's", fi);
  } else if (h.target < fc.begin || h.target >= fc.end || !starts[h.target - fc.begin]) {
    return corrupt("catch target is not an instruction of its function", fi);
  }
  return Status::Ok();
}

// The try ranges and catch clauses of defined function `fi` (ir_codec.hh).
Status verify_tries(const CompiledCode& code, const ModuleData& m, uint32_t fi,
                    const std::vector<uint8_t>& starts) {
  const FuncCode& fc = code.funcs[fi];
  if (fc.tries_begin > fc.tries_end || fc.tries_end > code.tries.size())
    return corrupt("try table out of range", fi);
  for (uint32_t i = fc.tries_begin; i < fc.tries_end; i++) {
    const TryRange& r = code.tries[i];
    const bool delegate = r.count == kDelegate;
    if (r.begin < fc.begin || r.begin > r.end || r.end > fc.end ||
        (!delegate && uint64_t(r.first) + r.count > code.handlers.size()))
      return corrupt("try range out of its function", fi);
    // A delegate goes on further down the list, within the function.
    if (delegate && r.first != kDelegateToCaller && (r.first <= i || r.first > fc.tries_end))
      return corrupt("delegate target out of order", fi);
    // Innermost first: a later range never lies inside an earlier one's span
    // unless it contains it.
    for (uint32_t j = fc.tries_begin; j < i; j++) {
      const TryRange& q = code.tries[j];
      bool disjoint = q.end <= r.begin || r.end <= q.begin;
      bool outer = r.begin <= q.begin && q.end <= r.end;
      if (!disjoint && !outer) return corrupt("try ranges out of order", fi);
    }
    for (uint32_t k = r.first; !delegate && k < r.first + r.count; k++)
      EMBER_TRY(verify_handler(code.handlers[k], code, m, fi, starts));
  }
  return Status::Ok();
}

}  // namespace

bool is_safepoint(IOp op) {
  switch (op) {
    case IOp::Call:
    case IOp::CallLocal:
    case IOp::CallIndirect:
    case IOp::CallRef:
    case IOp::Throw:
    case IOp::StructNew:
    case IOp::StructNewDefault:
    case IOp::ArrayNew:
    case IOp::ArrayNewDefault:
    case IOp::ArrayNewFixed:
    case IOp::ArrayNewData:
    case IOp::ArrayNewElem: return true;
    default: return false;
  }
}

namespace {

// The stack maps and reference locals of function `fi`, whose safepoint
// instructions end at the words `ends` (ascending); `next` is its first
// map, advanced past its last.
Status verify_stack_maps(const CompiledCode& code, uint32_t fi, const std::vector<uint32_t>& ends,
                         size_t* next) {
  const FuncCode& fc = code.funcs[fi];
  const size_t npool = code.ref_slots.size();
  auto pool_ok = [&](uint64_t first, uint64_t n) { return first <= npool && n <= npool - first; };
  if (fc.ref_locals_begin > fc.ref_locals_end ||
      !pool_ok(fc.ref_locals_begin, fc.ref_locals_end - fc.ref_locals_begin))
    return corrupt("reference locals out of range", fi);
  for (uint32_t i = fc.ref_locals_begin; i < fc.ref_locals_end; i++)
    if (entry_slot(code.ref_slots[i]) >= fc.num_locals)
      return corrupt("reference local out of range", fi);
  size_t k = *next;
  for (; k < code.stack_maps.size() && code.stack_maps[k].word < fc.end; k++) {
    const StackMap& sm = code.stack_maps[k];
    if (k > *next && sm.word <= code.stack_maps[k - 1].word)
      return corrupt("stack maps out of order", fi);
    if (!std::binary_search(ends.begin(), ends.end(), sm.word))
      return corrupt("stack map not at a call, allocation or throw", fi, sm.word);
    if (!pool_ok(sm.first, sm.count)) return corrupt("stack map out of range", fi, sm.word);
    for (uint32_t i = sm.first; i < sm.first + sm.count; i++)
      if (entry_slot(code.ref_slots[i]) >= fc.frame_slots)
        return corrupt("stack map slot out of frame", fi, sm.word);
  }
  *next = k;
  return Status::Ok();
}

}  // namespace

namespace {

// Verifies one function's portable words and makes them executable in place
// (from_portable's work per function), with the scratch vectors reused
// from one function of a range to the next.
struct FunctionCheck {
  // Defined function `fi`, whose stack maps start at code.stack_maps[first_map].
  Status function(uint32_t fi, size_t first_map);

  CompiledCode& code;
  const ModuleData& m;
  const TypeRegistry& types;
  std::vector<uint8_t> starts;  // one byte per word of the function: an instruction starts
  std::vector<std::pair<uint64_t, uint64_t>> branches;  // (holder word, target)
  std::vector<uint32_t> safepoint_ends;
  rt::StructLayouts layouts;
};

Status FunctionCheck::function(uint32_t fi, size_t first_map) {
  std::vector<uint32_t>& w = code.words;
  const uint32_t ndefined = uint32_t(m.funcs.size() - m.num_imported_funcs);
  const int32_t* handlers = handler_table();
  const IrLayout* layout = interp::layouts().l;
  FuncCode& fc = code.funcs[fi];
  fc.func_index = m.num_imported_funcs + fi;
  const FuncType& type = m.func_type(fc.func_index);
  uint64_t frame = fc.frame_slots;
  if (frame == 0 || frame > (1u << 24) || fc.num_locals > frame || fc.num_params > fc.num_locals ||
      fc.num_results > frame || fc.num_params != slots_of_types(type.params) ||
      fc.num_results != slots_of_types(type.results))
    return corrupt("function frame does not match its type", fi);
  branches.clear();
  safepoint_ends.clear();
  starts.assign(fc.end - fc.begin, 0);
  bool falls_through = true;
  for (uint64_t pc = fc.begin; pc < fc.end;) {
    uint32_t opw = w[pc];
    if (opw >= kIOpCount) return corrupt("unknown IR op", fi, pc);
    IOp op = IOp(opw);
    const IrLayout& l = layout[opw];
    if (!l.known)
      return corrupt(std::string("IR op ") + iop_name(op) + " cannot be loaded", fi, pc);
    uint32_t n = instruction_words(l, &w[pc], fc.end - pc);
    if (n == 0 || (!l.variable && n > fc.end - pc))
      return corrupt("instruction runs past its function", fi, pc);
    starts[pc - fc.begin] = 1;
    if (l.memory0 && m.memories.empty())
      return corrupt("memory access in a module without memory", fi, pc);
    auto slot_ok = [&](uint64_t s, uint64_t width) { return s + width <= frame; };
    if (l.variable) {  // BrTable: [op][i][n][off x (n+1)]
      if (!slot_ok(w[pc + 1], 1)) return corrupt("slot out of frame", fi, pc);
      for (uint64_t k = pc + 3; k < pc + n; k++)
        branches.emplace_back(k, k + int64_t(int32_t(w[k])));
    } else {
      // Fast path: slot operands against the frame.
      const uint32_t* x = &w[pc + 1];
      bool bad = false;
      for (uint32_t k = 0; k < l.count; k++) {
        uint64_t v = x[k];
        bad |= (((l.slot1_mask >> k) & 1) && v + 1 > frame) |
               (((l.slot2_mask >> k) & 1) && v + 2 > frame);
      }
      if (bad) return corrupt(std::string("operand out of range in ") + iop_name(op), fi, pc);
      const FuncType* callee = nullptr;
      uint32_t gc_type = UINT32_MAX;
      for (uint32_t k = 0; l.other_mask && k < l.count; k++) {
        if (!((l.other_mask >> k) & 1)) continue;
        uint64_t at = pc + 1 + k;
        uint32_t v = w[at];
        bool ok = true;
        switch (l.ops[k]) {
          case Operand::Slot:
          case Operand::Slot2:
          case Operand::Imm: break;  // checked above
          case Operand::Lane: ok = v < l.lanes; break;
          case Operand::Shift: ok = v < 32; break;
          case Operand::Branch: branches.emplace_back(at, at + int64_t(int32_t(v))); break;
          case Operand::Func:
            ok = v < m.funcs.size();
            if (ok) callee = &m.func_type(v);
            break;
          case Operand::LocalFunc: {
            int64_t target = int64_t(fi) + int32_t(v);
            ok = target >= 0 && target < int64_t(ndefined);
            if (ok) callee = &m.func_type(uint32_t(m.num_imported_funcs + target));
            break;
          }
          case Operand::Global: ok = v < m.globals.size(); break;
          case Operand::Table: ok = v < m.tables.size(); break;
          case Operand::Memory: ok = v < m.memories.size(); break;
          case Operand::Elem: ok = v < m.elems.size(); break;
          case Operand::Data: ok = v < m.datas.size(); break;
          case Operand::Tag:
            ok = v < m.tags.size() && m.tags[v] < m.types.size();
            if (ok) callee = &m.types[m.tags[v]];
            break;
          case Operand::TypeId:
            ok = v < m.types.size() && v < m.type_ids.size();
            if (ok) {
              callee = &m.types[v];
              w[at] = m.type_ids[v];
            }
            break;
          case Operand::GcType:
            ok = v < m.types.size() && v < m.type_decls.size() &&
                 m.type_decls[v].kind != CompKind::Func;
            if (ok) gc_type = v;
            break;
          case Operand::Field:
            ok = gc_type < m.type_decls.size() && m.type_decls[gc_type].kind == CompKind::Struct &&
                 v < m.type_decls[gc_type].fields.size();
            break;
          case Operand::CastType: {
            ValType t;
            ok = ValType::from_bits(v, &t) && t.is_ref() &&
                 (!t.has_index() || t.index() < m.types.size());
            break;
          }
          case Operand::CallBase:
            ok = callee != nullptr && slot_ok(v, std::max(slots_of_types(callee->params),
                                                          slots_of_types(callee->results)));
            break;
        }
        if (!ok) return corrupt(std::string("operand out of range in ") + iop_name(op), fi, pc);
      }
      // Reference moves between tables and segments go to a supertype.
      auto below = [&](ValType a, ValType b) { return m.subtype(a, b, types); };
      if ((op == IOp::CallIndirect || op == IOp::ReturnCallIndirect) &&
          m.tables[x[1]].elem.kind() != ValKind::FuncRef)
        return corrupt("call_indirect through a non-funcref table", fi, pc);
      if (op == IOp::TableCopy && !below(m.tables[x[1]].elem, m.tables[x[0]].elem))
        return corrupt("table.copy between tables of different types", fi, pc);
      if (op == IOp::TableInit && !below(m.elems[x[1]].type, m.tables[x[0]].elem))
        return corrupt("table.init from a segment of another type", fi, pc);
      if (!gc_operands_ok(op, x, m, types, frame, layouts))
        return corrupt(std::string("GC operand out of its frame or type in ") + iop_name(op), fi,
                       pc);
    }
    falls_through = !l.terminator;
    if (is_safepoint(op)) safepoint_ends.push_back(uint32_t(pc + n - 1));
    w[pc] = uint32_t(handlers[opw]);
    pc += n;
  }
  if (falls_through) return corrupt("function code does not end in a return or branch", fi);
  for (auto [holder, target] : branches) {
    if (target < fc.begin || target >= fc.end || !starts[target - fc.begin])
      return corrupt("branch target is not an instruction of its function", fi, holder);
  }
  EMBER_TRY(verify_tries(code, m, fi, starts));
  size_t next_map = first_map;
  EMBER_TRY(verify_stack_maps(code, fi, safepoint_ends, &next_map));
  fc.entry = w.data() + fc.begin;
  return Status::Ok();
}

// What from_portable checks before the functions: their ranges tile the
// words in order, and the stack maps ascend through them. Fills first_map:
// the index of each function's first stack map.
Status check_layout(const CompiledCode& code, std::vector<size_t>& first_map) {
  const size_t nwords = code.words.size();
  uint64_t next_begin = 0;
  for (uint32_t fi = 0; fi < code.funcs.size(); fi++) {
    const FuncCode& fc = code.funcs[fi];
    if (fc.begin != next_begin || fc.end <= fc.begin || fc.end > nwords)
      return corrupt("function code range out of order or out of bounds", fi);
    next_begin = fc.end;
  }
  if (next_begin != nwords) return corrupt("code words outside every function");
  const std::vector<StackMap>& maps = code.stack_maps;
  for (size_t k = 1; k < maps.size(); k++)
    if (maps[k].word <= maps[k - 1].word) return corrupt("stack maps out of order");
  if (!maps.empty() && maps.back().word >= nwords)
    return corrupt("stack maps outside every function");
  first_map.resize(code.funcs.size());
  size_t k = 0;
  for (uint32_t fi = 0; fi < code.funcs.size(); fi++) {
    while (k < maps.size() && maps[k].word < code.funcs[fi].begin) k++;
    first_map[fi] = k;
  }
  for (size_t i = 1; i < code.pc_map.size(); i++)
    if (code.pc_map[i].word < code.pc_map[i - 1].word) return corrupt("pc map out of order");
  if (!code.pc_map.empty() && code.pc_map.back().word >= nwords)
    return corrupt("pc map out of order");
  return Status::Ok();
}

}  // namespace

Status from_portable(CompiledCode& code, const ModuleData& m, const TypeRegistry& types,
                     unsigned threads) {
  const uint32_t ndefined = uint32_t(m.funcs.size() - m.num_imported_funcs);
  if (code.funcs.size() != ndefined) return corrupt("function table does not match the module");
  std::vector<size_t> first_map;
  EMBER_TRY(check_layout(code, first_map));
  // Contiguous ranges of functions of about equal size, several per
  // thread; the first failing function's error is reported whatever the
  // thread count.
  const std::vector<uint32_t> bounds =
      balanced_ranges(ndefined, threads <= 1 ? 1 : std::min<size_t>(ndefined, threads * 4),
                      [&](uint32_t fi) { return code.funcs[fi].end - code.funcs[fi].begin; });
  const size_t nparts = bounds.size() - 1;
  std::vector<Status> results;
  results.reserve(nparts);
  for (size_t c = 0; c < nparts; c++) results.push_back(Status::Ok());
  std::atomic<uint32_t> first_failure{UINT32_MAX};
  for_each_part(nparts, threads, [&](size_t c) {
    FunctionCheck check{code, m, types, {}, {}, {}, {}};
    for (uint32_t fi = bounds[c]; fi < bounds[c + 1] && fi < first_failure.load(); fi++) {
      try {
        results[c] = check.function(fi, first_map[fi]);
      } catch (const std::bad_alloc&) {
        results[c] = Error(ErrorKind::Exhaustion, "out of memory while loading a module");
      }
      if (!results[c]) {
        uint32_t cur = first_failure.load();
        while (fi < cur && !first_failure.compare_exchange_weak(cur, fi)) {}
        break;
      }
    }
    return true;
  });
  for (Status& st : results)
    if (!st) return std::move(st);
  return Status::Ok();
}

uint32_t instruction_length(const uint32_t* pc, uint32_t avail) {
  const Reverse& rev = reverse();
  auto it = rev.op.find(pc[0]);
  if (it == rev.op.end() || it->second == UINT32_MAX) return 0;
  const IrLayout& l = ir_layout(IOp(it->second));
  if (!l.known) return 0;
  uint32_t n = instruction_words(l, pc, avail);
  return n <= avail ? n : 0;
}

bool memory_access(uint32_t handler_word, MemAccess* out) {
  const Reverse& rev = reverse();
  auto it = rev.op.find(handler_word);
  if (it == rev.op.end() || it->second == UINT32_MAX) return false;
  return access_form(IOp(it->second), out);
}

}  // namespace ember::interp

// Instantiation: import matching, allocation of a module's entities, constant
// expression evaluation, segment initialisation and the start function.
//
// Order follows the spec: check every import, allocate functions, tables,
// memories and globals (each global initialiser sees the imported and the
// earlier globals), evaluate element segments, then initialise active
// element segments in order, then active data segments in order (each
// bounds-checked as it runs, so a trap leaves earlier writes in place), drop
// active and declarative segments, and finally run the start function.
#include <cstring>

#include "runtime/tier.hh"
#include "platform/vm.hh"
#include "runtime/memory_image.hh"
#include "runtime/runtime.hh"

namespace ember::rt {

namespace {

Error unlinkable(const Import& imp, const std::string& why) {
  return Error(ErrorKind::Unlinkable,
               "incompatible import type for `" + imp.module + "::" + imp.name + "`: " + why);
}

bool limits_match(const Limits& have, const Limits& want) {
  if (have.is64 != want.is64 || have.shared != want.shared) return false;
  if (have.min < want.min) return false;
  if (!want.max) return true;
  return have.max && *have.max <= *want.max;
}

// ---- constant expressions ------------------------------------------------------

struct ConstValue {
  Slot lo = 0, hi = 0;
  bool traced = false;  // a reference the collector traces (gc_traced)
};

// The value of a one-instruction constant expression (the usual case), or
// false when `e` needs the general evaluator.
inline bool eval_simple(const ConstExpr& e, const ModuleInst& inst, ConstValue* out) {
  if (e.instrs.size() != 1) return false;
  const ConstInstr& ci = e.instrs[0];
  switch (ci.op) {
    case Op::I32Const:
    case Op::F32Const: *out = {uint32_t(ci.imm), 0}; return true;
    case Op::I64Const:
    case Op::F64Const: *out = {ci.imm, 0}; return true;
    case Op::RefNull: *out = {0, 0}; return true;
    case Op::RefFunc:
      if (ci.imm >= inst.funcs.size()) return false;
      *out = {reinterpret_cast<Slot>(inst.funcs[ci.imm]), 0};
      return true;
    default: return false;
  }
}

// The GC operators of a constant expression (allocations, i31 and the
// conversions) on `st`; false if `ci` is none of them or is ill-formed.
Expected<bool> eval_gc(const ConstInstr& ci, const ModuleInst& inst, StoreData& s,
                       std::vector<ConstValue>& st) {
  auto type = [&]() -> const GcType* {
    return ci.imm < inst.gc_types.size() ? inst.gc_types[ci.imm] : nullptr;
  };
  Slot r = 0;
  TrapCode trap = TrapCode::None;
  // The top n values into `buf` as call slots (the high half only for a
  // value `wide(i)` says is a v128), popped.
  std::vector<Slot> buf;
  auto take = [&](size_t n, auto wide) {
    for (size_t i = 0; i < n; i++) {
      const ConstValue& v = st[st.size() - n + i];
      buf.push_back(v.lo);
      if (wide(i)) buf.push_back(v.hi);
    }
    st.resize(st.size() - n);
  };
  switch (ci.op) {
    case Op::RefI31:
      if (st.empty()) return false;
      st.back() = {make_i31(uint32_t(st.back().lo)), 0};
      return true;
    case Op::AnyConvertExtern:
    case Op::ExternConvertAny: return !st.empty();
    case Op::StructNew:
    case Op::StructNewDefault:
    case Op::ArrayNew:
    case Op::ArrayNewDefault:
    case Op::ArrayNewFixed: break;
    default: return false;
  }
  const GcType* t = type();
  if (!t) return false;
  // The values on the expression's stack survive a collection the
  // allocation may run.
  s.temp_roots.clear();
  for (const ConstValue& v : st)
    if (v.traced) s.temp_roots.push_back(v.lo);
  switch (ci.op) {
    case Op::StructNew: {
      if (st.size() < t->fields.size()) return false;
      take(t->fields.size(), [&](size_t i) { return t->fields[i].storage == Storage::V128; });
      trap = struct_new(s, t, buf.data(), &r);
      break;
    }
    case Op::StructNewDefault: {
      GcObject* o = new_struct(s, t);
      trap = o ? TrapCode::None : s.heap.failure;
      r = gc_slot(o);
      break;
    }
    case Op::ArrayNew: {
      if (st.size() < 2) return false;
      const Slot n = st.back().lo, init[2] = {st[st.size() - 2].lo, st[st.size() - 2].hi};
      st.resize(st.size() - 2);
      trap = array_new(s, t, uint32_t(n), init, &r);
      break;
    }
    case Op::ArrayNewDefault: {
      if (st.empty()) return false;
      GcObject* o = new_array(s, t, uint32_t(st.back().lo));
      st.pop_back();
      trap = o ? TrapCode::None : s.heap.failure;
      r = gc_slot(o);
      break;
    }
    default: {  // array.new_fixed
      if (st.size() < ci.imm_hi) return false;
      take(size_t(ci.imm_hi), [&](size_t) { return t->elem == Storage::V128; });
      trap = array_new_fixed(s, t, uint32_t(ci.imm_hi), buf.data(), &r);
      break;
    }
  }
  if (trap != TrapCode::None) return Error(ErrorKind::Trap, trap_spec_message(trap));
  st.push_back({r, 0, true});
  return true;
}

Expected<ConstValue> eval_general(const ConstExpr& e, const ModuleInst& inst, StoreData& s) {
  std::vector<ConstValue> stack;
  for (const ConstInstr& ci : e.instrs) {
    auto binary = [&](auto fn) -> bool {
      if (stack.size() < 2) return false;
      stack[stack.size() - 2].lo = fn(stack[stack.size() - 2].lo, stack.back().lo);
      stack.pop_back();
      return true;
    };
    bool ok = true;
    switch (ci.op) {
      case Op::I32Const: stack.push_back({uint32_t(ci.imm), 0}); break;
      case Op::I64Const:
      case Op::F64Const: stack.push_back({ci.imm, 0}); break;
      case Op::F32Const: stack.push_back({uint32_t(ci.imm), 0}); break;
      case Op::RefNull: stack.push_back({0, 0}); break;
      case Op::RefFunc:
        if (ci.imm >= inst.funcs.size()) ok = false;
        else stack.push_back({reinterpret_cast<Slot>(inst.funcs[ci.imm]), 0});
        break;
      case Op::GlobalGet:
        if (ci.imm >= inst.globals.size()) ok = false;
        else {
          const GlobalInst& g = *inst.globals[ci.imm];
          stack.push_back({g.value[0], g.value[1], gc_traced(g.type.type)});
        }
        break;
      case Op::I32Add: ok = binary([](Slot a, Slot b) -> Slot { return uint32_t(a + b); }); break;
      case Op::I32Sub: ok = binary([](Slot a, Slot b) -> Slot { return uint32_t(a - b); }); break;
      case Op::I32Mul: ok = binary([](Slot a, Slot b) -> Slot { return uint32_t(a * b); }); break;
      case Op::I64Add: ok = binary([](Slot a, Slot b) -> Slot { return a + b; }); break;
      case Op::I64Sub: ok = binary([](Slot a, Slot b) -> Slot { return a - b; }); break;
      case Op::I64Mul: ok = binary([](Slot a, Slot b) -> Slot { return a * b; }); break;
      case Op::V128Const: stack.push_back({ci.imm, ci.imm_hi}); break;
      default: {
        EMBER_ASSIGN(ok, eval_gc(ci, inst, s, stack));
        break;
      }
    }
    if (!ok) return Error(ErrorKind::Internal, "unsupported constant expression", e.offset);
  }
  s.temp_roots.clear();
  if (stack.size() != 1)
    return Error(ErrorKind::Internal, "constant expression yields no single value", e.offset);
  return stack[0];
}

Expected<ConstValue> eval_const(const ConstExpr& e, const ModuleInst& inst, StoreData& s) {
  ConstValue v;
  if (eval_simple(e, inst, &v)) return v;
  return eval_general(e, inst, s);
}

Error trap_error(TrapCode code, TrapCode* out) {
  if (out) *out = code;
  return Error(ErrorKind::Trap, trap_spec_message(code));
}

// ---- allocation ------------------------------------------------------------------

Status bind_imports(const ModuleData& m, std::span<const Extern> imports, ModuleInst& inst,
                    const TypeRegistry& types) {
  if (imports.size() != m.imports.size())
    return Error(ErrorKind::Unlinkable, "expected " + std::to_string(m.imports.size()) +
                                            " imports, found " + std::to_string(imports.size()));
  for (size_t i = 0; i < imports.size(); i++) {
    EMBER_TRY(check_import(m, m.imports[i], imports[i], types));
    const Extern& e = imports[i];
    switch (e.kind) {
      case ExternKind::Func: inst.funcs.push_back(e.func()); break;
      case ExternKind::Table: inst.tables.push_back(e.table()); break;
      case ExternKind::Memory: inst.memories.push_back(e.memory()); break;
      case ExternKind::Global: inst.globals.push_back(e.global()); break;
      case ExternKind::Tag: inst.tags.push_back(e.tag()); break;
    }
  }
  return Status::Ok();
}

// Code that accesses 32-bit memories unchecked (Tier::needs_guard_pages)
// runs only where every such memory of the instance has its guard region:
// the reservation falls back to less when 8 GiB of address space cannot be
// had (a low RLIMIT_AS), and then the instance is refused, as the
// `wasmtime` package refuses it, rather than run without bounds.
Status check_guard_regions(const ModuleData& m, const ModuleInst& inst) {
  if (!m.code || !m.tier->needs_guard_pages || !m.tier->needs_guard_pages(*m.code))
    return Status::Ok();
  for (const MemoryInst* mem : inst.memories)
    if (!mem->type.limits.is64 && mem->type.page_size_log2 == 16 &&
        mem->reserved < platform::kGuardedReservation)
      return Error(ErrorKind::Exhaustion,
                   "cannot reserve the guard region compiled code needs for a linear memory "
                   "(8 GiB of address space); Config.signals_based_traps = False compiles "
                   "bounds checks instead");
  return Status::Ok();
}

Status allocate(StoreData& s, const ModuleData& m, ModuleInst& inst) {
  inst.gc_types.assign(m.types.size(), nullptr);
  for (size_t i = 0; i < m.type_decls.size() && i < m.type_ids.size(); i++)
    if (m.type_decls[i].kind != CompKind::Func)
      inst.gc_types[i] = s.engine->gc_types.get(m.type_ids[i]);
  // The instance's own functions, in one block it owns.
  size_t ndefined = m.funcs.size() - m.num_imported_funcs;
  inst.own_funcs.reset(ndefined ? new FuncInst[ndefined] : nullptr);
  inst.funcs.reserve(m.funcs.size());
  for (size_t i = m.num_imported_funcs; i < m.funcs.size(); i++) {
    FuncInst& f = inst.own_funcs[i - m.num_imported_funcs];
    uint32_t type_index = m.funcs[i];
    f.type = &m.canonical_types[type_index];
    f.type_id = m.type_ids[type_index];
    f.instance = &inst;
    f.index = static_cast<uint32_t>(i);
    if (m.code)
      f.code = m.tier->function_code(*m.code, static_cast<uint32_t>(i - m.num_imported_funcs));
    inst.funcs.push_back(&f);
  }
  for (size_t i = m.num_imported_tables; i < m.tables.size(); i++) {
    TableType tt = m.tables[i];
    tt.elem = m.canonical(tt.elem);
    EMBER_ASSIGN(TableInst * t, create_table(s, tt, nullptr));
    inst.tables.push_back(t);
    s.instance_tables++;
  }
  for (size_t i = m.num_imported_memories; i < m.memories.size(); i++) {
    EMBER_ASSIGN(MemoryInst * mem, create_memory(s, m.memories[i]));
    inst.memories.push_back(mem);
    s.instance_memories++;
  }
  EMBER_TRY(check_guard_regions(m, inst));
  // The initial contents, copy-on-write, when the module has an image.
  if (const MemoryImage* image = memory_image(m)) {
    MemoryInst* mem = inst.memories[image->memory];
    inst.memory_imaged = platform::vm_map_image(mem->base, image->size, image->fd);
  }
  for (size_t i = m.num_imported_tags; i < m.tags.size(); i++) {
    TagInst* tag = create_tag(s, m.canonical_types[m.tags[i]], m.type_ids[m.tags[i]]);
    tag->owner = &inst;
    tag->index = uint32_t(i);
    inst.tags.push_back(tag);
  }
  for (size_t i = m.num_imported_globals; i < m.globals.size(); i++) {
    EMBER_ASSIGN(ConstValue v, eval_const(m.globals[i].init, inst, s));
    Slot slots[2] = {v.lo, v.hi};
    GlobalType gt = m.globals[i].type;
    gt.type = m.canonical(gt.type);
    inst.globals.push_back(create_global(s, gt, slots));
  }
  // Table initializers may read globals: after them.
  for (const auto& [table, init] : m.table_inits) {
    EMBER_ASSIGN(ConstValue v, eval_const(init, inst, s));
    std::vector<void*>& elems = inst.tables[table]->elems;
    std::fill(elems.begin(), elems.end(), reinterpret_cast<void*>(v.lo));
  }
  return Status::Ok();
}

// Passive segments keep their references for table.init; active and
// declarative ones are dropped by instantiation, so init_elems evaluates
// their items straight into the table.
Status evaluate_segments(StoreData& s, const ModuleData& m, ModuleInst& inst) {
  inst.elems.resize(m.elems.size());
  for (size_t i = 0; i < m.elems.size(); i++) {
    if (m.elems[i].mode != SegmentMode::Passive) continue;
    std::vector<void*>& refs = inst.elems[i];
    refs.reserve(m.elems[i].items.size());
    for (const ConstExpr& item : m.elems[i].items) {
      EMBER_ASSIGN(ConstValue v, eval_const(item, inst, s));
      refs.push_back(reinterpret_cast<void*>(v.lo));
    }
  }
  inst.datas.resize(m.datas.size());
  for (size_t i = 0; i < m.datas.size(); i++)
    inst.datas[i] = DataInst{m.datas[i].bytes.data(), m.datas[i].bytes.size()};
  return Status::Ok();
}

Status init_elems(StoreData& s, const ModuleData& m, ModuleInst& inst, TrapCode* trap) {
  for (size_t i = 0; i < m.elems.size(); i++) {
    const ElemSegment& seg = m.elems[i];
    if (seg.mode == SegmentMode::Passive) continue;
    if (seg.mode == SegmentMode::Active) {
      EMBER_ASSIGN(ConstValue off, eval_const(seg.offset, inst, s));
      TableInst* table = inst.tables[seg.table];
      uint64_t offset = table->type.limits.is64 ? off.lo : uint32_t(off.lo);
      if (offset > table->elems.size() || seg.items.size() > table->elems.size() - offset)
        return trap_error(TrapCode::TableOutOfBounds, trap);
      void** dst = table->elems.data() + offset;
      for (const ConstExpr& item : seg.items) {
        EMBER_ASSIGN(ConstValue v, eval_const(item, inst, s));
        *dst++ = reinterpret_cast<void*>(v.lo);
      }
    }
    // elem.drop: active and declarative segments hold nothing after this.
  }
  return Status::Ok();
}

// With a memory image mapped, the active segments are already in place
// (memory_image.hh): only their dropping remains.
Status init_datas(StoreData& s, const ModuleData& m, ModuleInst& inst, TrapCode* trap) {
  for (size_t i = 0; i < m.datas.size(); i++) {
    const DataSegment& seg = m.datas[i];
    if (seg.mode != SegmentMode::Active) continue;
    if (inst.memory_imaged) {
      inst.datas[i].size = 0;
      continue;
    }
    EMBER_ASSIGN(ConstValue off, eval_const(seg.offset, inst, s));
    MemoryInst* mem = inst.memories[seg.memory];
    uint64_t offset = mem->type.limits.is64 ? off.lo : uint32_t(off.lo);
    if (offset > mem->size || seg.bytes.size() > mem->size - offset)
      return trap_error(TrapCode::MemoryOutOfBounds, trap);
    if (!seg.bytes.empty()) std::memcpy(mem->base + offset, seg.bytes.data(), seg.bytes.size());
    inst.datas[i].size = 0;  // data.drop
  }
  return Status::Ok();
}

}  // namespace

// ---- public (internal API) -------------------------------------------------------

Status check_import(const ModuleData& m, const Import& imp, const Extern& ext,
                    const TypeRegistry& types) {
  if (ext.ptr == nullptr || ext.kind != imp.kind)
    return unlinkable(imp, std::string("expected ") + extern_kind_name(imp.kind) + ", found " +
                               extern_kind_name(ext.kind));
  switch (imp.kind) {
    case ExternKind::Func: {
      // Function types match by subtyping of canonical ids: equal types are
      // one id; a declared subtype is accepted for its supertype.
      const FuncInst& have = *ext.func();
      const uint32_t want = m.type_ids[imp.func_type];
      if (!types.is_subtype(have.type_id, want))
        return unlinkable(imp, "expected " + m.canonical_types[imp.func_type].to_string() +
                                   ", found " + have.type->to_string());
      return Status::Ok();
    }
    case ExternKind::Table: {
      // Element types are invariant: equal canonical types.
      TableType have = current_type(*ext.table());
      if (have.elem != m.canonical(imp.table.elem) || !limits_match(have.limits, imp.table.limits))
        return unlinkable(imp, "table types do not match");
      return Status::Ok();
    }
    case ExternKind::Memory: {
      MemoryType have = current_type(*ext.memory());
      // Page sizes have no subtyping: they must be equal.
      if (have.page_size_log2 != imp.memory.page_size_log2)
        return unlinkable(imp, "memory types do not match: expected a page size of " +
                                   std::to_string(imp.memory.page_size()) + ", found " +
                                   std::to_string(have.page_size()));
      if (!limits_match(have.limits, imp.memory.limits))
        return unlinkable(imp, "memory types do not match");
      return Status::Ok();
    }
    case ExternKind::Global: {
      // Mutable globals are invariant, immutable ones covariant.
      const GlobalType& have = ext.global()->type;
      const ValType want = m.canonical(imp.global.type);
      const bool ok = have.mut == imp.global.mut &&
                      (have.mut ? have.type == want : val_subtype(have.type, want, types));
      if (!ok) return unlinkable(imp, "global types do not match");
      return Status::Ok();
    }
    case ExternKind::Tag: {
      // Tag types match exactly (canonical type ids, as for call_indirect).
      const FuncType& want = m.canonical_types[imp.tag_type];
      const TagInst& have = *ext.tag();
      if (have.type_id != m.type_ids[imp.tag_type])
        return unlinkable(imp, "tag types do not match: expected " + want.to_string() + ", found " +
                                   have.type.to_string());
      return Status::Ok();
    }
  }
  return unlinkable(imp, "unsupported import kind");
}

// The store's count limits (instances, and the memories and tables that
// instances define), checked before anything is created; host-created
// memories and tables do not count, as in wasmtime.
static Status check_counts(StoreData& s, const ModuleData& m) {
  auto over = [](int64_t limit, uint64_t n) { return limit >= 0 && n > uint64_t(limit); };
  auto fail = [](const char* what, uint64_t n) {
    return Error(ErrorKind::Exhaustion, std::string("resource limit exceeded: ") + what +
                                            " count too high at " + std::to_string(n));
  };
  uint64_t mems = s.instance_memories + m.memories.size() - m.num_imported_memories;
  uint64_t tables = s.instance_tables + m.tables.size() - m.num_imported_tables;
  if (over(s.limits.instances, s.instances.size() + 1))
    return fail("instance", s.instances.size() + 1);
  if (over(s.limits.memories, mems)) return fail("memory", mems);
  if (over(s.limits.tables, tables)) return fail("table", tables);
  return Status::Ok();
}

Expected<ModuleInst*> instantiate(StoreData& s, std::shared_ptr<const ModuleData> m,
                                  std::span<const Extern> imports, TrapCode* trap) {
  if (trap) *trap = TrapCode::None;
  EMBER_TRY(check_counts(s, *m));
  // Check the imports before creating anything.
  {
    ModuleInst probe;
    EMBER_TRY(bind_imports(*m, imports, probe, s.engine->types));
  }
  ModuleInst& inst = s.instances.emplace_back();
  inst.module = m;
  EMBER_TRY(bind_imports(*m, imports, inst, s.engine->types));
  for (MemoryInst* mem : inst.memories) adopt_shared_memory(s, *mem);
  EMBER_TRY(allocate(s, *m, inst));
  EMBER_TRY(evaluate_segments(s, *m, inst));
  EMBER_TRY(init_elems(s, *m, inst, trap));
  EMBER_TRY(init_datas(s, *m, inst, trap));
  if (m->start) {
    FuncInst* f = inst.funcs[*m->start];
    std::vector<Slot> slots(call_slots(*f->type) + 1);
    // A host start function sees the instance being initialised as its caller.
    TrapCode code = invoke(s, f, slots.data(), &inst);
    if (code != TrapCode::None) return trap_error(code, trap);
  }
  return &inst;
}

Extern export_extern(const ModuleInst& inst, const Export& e) {
  switch (e.kind) {
    case ExternKind::Func: return {e.kind, inst.funcs[e.index]};
    case ExternKind::Table: return {e.kind, inst.tables[e.index]};
    case ExternKind::Memory: return {e.kind, inst.memories[e.index]};
    case ExternKind::Global: return {e.kind, inst.globals[e.index]};
    case ExternKind::Tag: return {e.kind, inst.tags[e.index]};
  }
  return {e.kind, nullptr};
}

std::optional<Extern> find_export(const ModuleInst& inst, std::string_view name) {
  for (const Export& e : inst.module->exports)
    if (e.name == name) return export_extern(inst, e);
  return std::nullopt;
}

size_t call_slots(const FuncType& t) {
  return std::max(slots_of(t.params), slots_of(t.results));
}

TrapCode invoke(StoreData& s, FuncInst* f, Slot* slots, ModuleInst* caller) {
  struct Entered {
    StoreData& s;
    explicit Entered(StoreData& st) : s(st) { ++s.entered; }
    ~Entered() {
      // An interrupt the outermost call did not reach is spent with it.
      if (--s.entered == 0 && s.interrupt_requested.load(std::memory_order_relaxed))
        take_interrupt(s);
    }
  } entered(s);
  if (f->is_host()) {
    HostCall call{&s, caller};
    return f->host->fn(call, slots);
  }
  const Tier* tier = f->instance->module->tier;
  s.tier = tier;
  return tier->call(s, f, slots);
}

}  // namespace ember::rt

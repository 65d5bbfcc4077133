// Module-level validation: the rules of the spec's module validation (types,
// imports, limits, globals, exports, start, segments, C.refs) and constant
// expressions. Function bodies are validate/func_validate.cc's; the driver
// that runs both and lowers the bodies is src/compile/compile.cc.
#include <algorithm>
#include <string>
#include <unordered_set>

#include "validate/func_validate.hh"
#include "validate/validate.hh"

namespace ember {

namespace {

[[gnu::cold]] Error invalid(std::string msg, uint64_t offset = UINT64_MAX) {
  return Error(ErrorKind::Invalid, std::move(msg), offset);
}

Status check_table_type(const TableType& t) {
  if (t.limits.max && t.limits.min > *t.limits.max) {
    return invalid("size minimum must not be greater than maximum");
  }
  if (!t.limits.is64 &&
      (t.limits.min > UINT32_MAX || (t.limits.max && *t.limits.max > UINT32_MAX))) {
    return invalid("table size must be at most 2^32-1");
  }
  return Status::Ok();
}

Status check_memory_type(const MemoryType& mt, const FeatureSet& f) {
  const Limits& l = mt.limits;
  // The proposal allows 1-byte and 64 KiB pages (the encoding leaves room
  // for every power of two up to 64 KiB later).
  if (mt.page_size_log2 != 0 && mt.page_size_log2 != 16) return invalid("invalid custom page size");
  uint64_t max_pages = mt.max_pages();
  if (l.min > max_pages || (l.max && *l.max > max_pages)) return invalid(memory_size_error(mt));
  if (l.max && l.min > *l.max) return invalid("size minimum must not be greater than maximum");
  if (l.shared) {
    if (!f.has(Feature::Threads)) return invalid("shared memories require the threads feature");
    if (!l.max) return invalid("shared memory must have maximum");
  }
  if (l.is64 && !f.has(Feature::Memory64)) return invalid("memory64 is not enabled");
  return Status::Ok();
}

bool is_extended_const_op(Op op) {
  switch (op) {
    case Op::I32Add:
    case Op::I32Sub:
    case Op::I32Mul:
    case Op::I64Add:
    case Op::I64Sub:
    case Op::I64Mul: return true;
    default: return false;
  }
}

// v128 anywhere in a module's types needs the simd feature.
Status check_simd_types(const ModuleData& m, const FeatureSet& f) {
  if (f.has(Feature::Simd)) return Status::Ok();
  auto v128 = [](const std::vector<ValType>& ts) {
    for (ValType t : ts) {
      if (t == ValType::V128) return true;
    }
    return false;
  };
  for (const FuncType& t : m.types) {
    if (v128(t.params) || v128(t.results)) return invalid("v128 requires the simd feature");
  }
  for (const GlobalDecl& g : m.globals) {
    if (g.type.type == ValType::V128) return invalid("v128 requires the simd feature");
  }
  return Status::Ok();
}

// `full == false` (Module(..., validate=False)) skips the rules that only
// enforce the spec and that no later stage relies on for safety: feature
// gates of module-level constructs the runtime handles either way
// (multi-value types, mutable global imports, several tables or memories,
// stated page sizes) and unique export names. Everything indices, types,
// limits, page sizes and constant expressions need stays checked.
Status check_func_type(const ModuleData& m, uint32_t t) {
  if (t >= m.types.size()) return invalid("unknown type");
  if (!m.is_func_type(t))
    return invalid("type mismatch: type " + std::to_string(t) + " is not a function type");
  return Status::Ok();
}

// Every concrete heap type outside the type section names a type of the
// module (the type section's own are intern_types').
Status check_type_refs(const ModuleData& m) {
  const size_t n = m.types.size();
  auto known = [n](ValType t) { return !t.has_index() || t.index() < n; };
  auto fail = [](ValType t) { return invalid("unknown type " + std::to_string(t.index())); };
  for (const Import& im : m.imports) {
    if (im.kind == ExternKind::Table && !known(im.table.elem)) return fail(im.table.elem);
    if (im.kind == ExternKind::Global && !known(im.global.type)) return fail(im.global.type);
  }
  for (const TableType& t : m.tables)
    if (!known(t.elem)) return fail(t.elem);
  for (const GlobalDecl& g : m.globals)
    if (!known(g.type.type)) return fail(g.type.type);
  for (const ElemSegment& s : m.elems)
    if (!known(s.type)) return fail(s.type);
  return Status::Ok();
}

Status check_module(const ModuleData& m, const FeatureSet& f, const TypeRegistry& r, bool full) {
  // Stating a page size at all, even the default one, needs the proposal
  // (wasmtime's message).
  if (full && m.page_size_flag_at != UINT64_MAX && !f.has(Feature::CustomPageSizes)) {
    return invalid(
        "the custom page sizes proposal must be enabled to customize a memory's page size",
        m.page_size_flag_at);
  }
  for (const FuncType& t : m.types) {
    if (full && t.results.size() > 1 && !f.has(Feature::MultiValue))
      return invalid("invalid result arity");
  }
  EMBER_TRY(check_simd_types(m, f));
  EMBER_TRY(check_type_refs(m));
  for (const Import& im : m.imports) {
    switch (im.kind) {
      case ExternKind::Func: EMBER_TRY(check_func_type(m, im.func_type)); break;
      case ExternKind::Table: EMBER_TRY(check_table_type(im.table)); break;
      case ExternKind::Memory: EMBER_TRY(check_memory_type(im.memory, f)); break;
      case ExternKind::Global:
        if (full && im.global.mut && !f.has(Feature::MutableGlobal)) {
          return invalid("mutable globals cannot be imported");
        }
        break;
      case ExternKind::Tag: break;  // with the defined tags below
    }
  }
  for (uint32_t t : m.tags) {
    EMBER_TRY(check_func_type(m, t));
    if (!m.types[t].results.empty()) return invalid("non-empty tag result type");
  }
  for (uint32_t t : m.funcs) EMBER_TRY(check_func_type(m, t));
  if (full && m.tables.size() > 1 && !f.has(Feature::ReferenceTypes))
    return invalid("multiple tables");
  for (const TableType& t : m.tables) EMBER_TRY(check_table_type(t));
  // A table of non-nullable references needs an initializer.
  for (size_t i = m.num_imported_tables, k = 0; i < m.tables.size(); i++) {
    while (k < m.table_inits.size() && m.table_inits[k].first < i) k++;
    const bool has_init = k < m.table_inits.size() && m.table_inits[k].first == i;
    if (!m.tables[i].elem.nullable() && !has_init) return invalid("type mismatch");
  }
  const bool gc = f.has(Feature::Gc);
  const size_t all_globals = gc ? m.globals.size() : m.num_imported_globals;
  // Tables precede the globals: their initializers see only imported ones.
  for (const auto& [table, init] : m.table_inits) {
    if (table >= m.tables.size()) return invalid("unknown table");
    EMBER_TRY(validate_const_expr(m, init, m.tables[table].elem, f, r, m.num_imported_globals));
  }
  if (full && m.memories.size() > 1 && !f.has(Feature::MultiMemory))
    return invalid("multiple memories");
  for (const MemoryType& mt : m.memories) EMBER_TRY(check_memory_type(mt, f));
  for (size_t i = m.num_imported_globals; i < m.globals.size(); i++) {
    const GlobalDecl& g = m.globals[i];
    EMBER_TRY(validate_const_expr(m, g.init, g.type.type, f, r, gc ? i : m.num_imported_globals));
  }
  std::unordered_set<std::string> names;
  for (const Export& e : m.exports) {
    if (!names.insert(e.name).second && full) return invalid("duplicate export name");
    switch (e.kind) {
      case ExternKind::Func:
        if (e.index >= m.funcs.size()) return invalid("unknown function");
        break;
      case ExternKind::Table:
        if (e.index >= m.tables.size()) return invalid("unknown table");
        break;
      case ExternKind::Memory:
        if (e.index >= m.memories.size()) return invalid("unknown memory");
        break;
      case ExternKind::Global:
        if (e.index >= m.globals.size()) return invalid("unknown global");
        break;
      case ExternKind::Tag:
        if (e.index >= m.tags.size()) return invalid("unknown tag");
        break;
    }
  }
  if (m.start) {
    if (*m.start >= m.funcs.size()) return invalid("unknown function");
    const FuncType& t = m.func_type(*m.start);
    if (!t.params.empty() || !t.results.empty()) return invalid("start function");
  }
  for (const ElemSegment& s : m.elems) {
    if (s.mode == SegmentMode::Active) {
      if (s.table >= m.tables.size()) return invalid("unknown table", s.offset_in_binary);
      const TableType& tt = m.tables[s.table];
      if (!m.subtype(s.type, tt.elem, r)) return invalid("type mismatch", s.offset_in_binary);
      EMBER_TRY(validate_const_expr(m, s.offset, tt.limits.is64 ? ValType::I64 : ValType::I32, f, r,
                                    all_globals));
    }
    for (const ConstExpr& e : s.items)
      EMBER_TRY(validate_const_expr(m, e, s.type, f, r, all_globals));
  }
  for (const DataSegment& d : m.datas) {
    if (d.mode != SegmentMode::Active) continue;
    if (d.memory >= m.memories.size()) return invalid("unknown memory " + std::to_string(d.memory));
    ValType at = m.memories[d.memory].limits.is64 ? ValType::I64 : ValType::I32;
    EMBER_TRY(validate_const_expr(m, d.offset, at, f, r, all_globals));
  }
  return Status::Ok();
}

}  // namespace

std::vector<bool> declared_funcs(const ModuleData& m) {
  std::vector<bool> refs(m.funcs.size(), false);
  auto scan = [&](const ConstExpr& e) {
    for (const ConstInstr& ci : e.instrs) {
      if (ci.op == Op::RefFunc && ci.imm < refs.size()) refs[ci.imm] = true;
    }
  };
  for (size_t i = m.num_imported_globals; i < m.globals.size(); i++) scan(m.globals[i].init);
  for (const ElemSegment& s : m.elems) {
    for (const ConstExpr& e : s.items) scan(e);
  }
  for (const Export& e : m.exports) {
    if (e.kind == ExternKind::Func && e.index < refs.size()) refs[e.index] = true;
  }
  return refs;
}

Status validate_module_level(const ModuleData& m, const FeatureSet& features,
                             const TypeRegistry& types, bool full) {
  if (m.bodies.size() + m.num_imported_funcs != m.funcs.size())
    return Error(ErrorKind::Malformed, "function and code section have inconsistent lengths");
  return check_module(m, features, types, full);
}

Status intern_types(ModuleData& m, TypeRegistry& r) {
  const size_t n = m.types.size();
  m.type_ids.clear();
  m.type_ids.reserve(n);
  if (m.type_decls.size() != n) return invalid("malformed type declarations");
  for (size_t i = 0; i < n; i++) {
    const TypeDecl& d = m.type_decls[i];
    // A type refers to earlier types and to those of its own group only.
    const size_t visible = std::min<size_t>(n, size_t(d.group_begin) + d.group_size);
    auto hidden = [visible](ValType t) { return t.has_index() && t.index() >= visible; };
    for (const std::vector<ValType>* ts : {&m.types[i].params, &m.types[i].results})
      for (ValType t : *ts)
        if (hidden(t)) return invalid("unknown type " + std::to_string(t.index()));
    for (const FieldType& f : d.fields)
      if (hidden(f.type)) return invalid("unknown type " + std::to_string(f.type.index()));
    if (d.super && *d.super >= i) return invalid("unknown type: supertype must be declared first");
    if (d.group_begin > i || d.group_begin + d.group_size <= i || d.group_begin + d.group_size > n)
      return invalid("malformed recursion group");
  }
  for (size_t i = 0; i < n;) {
    const TypeDecl& d = m.type_decls[i];
    const uint32_t first =
        r.intern_group(std::span(m.types).subspan(i, d.group_size),
                       std::span(m.type_decls).subspan(i, d.group_size), uint32_t(i), m.type_ids);
    if (first == TypeRegistry::kFull)
      return Error(ErrorKind::Exhaustion,
                   "too many distinct types in this engine (its type registry is full)");
    for (uint32_t k = 0; k < d.group_size; k++) m.type_ids.push_back(first + k);
    i += d.group_size;
  }
  m.canonical_types.clear();
  for (uint32_t id : m.type_ids) m.canonical_types.push_back(r.get(id));
  // Declared supertypes: not final, and matched by the subtype.
  for (size_t i = 0; i < n; i++) {
    const TypeDecl& d = m.type_decls[i];
    if (!d.super) continue;
    if (m.type_decls[*d.super].final)
      return invalid("sub type cannot be a subtype of a final type");
    if (!declared_subtype_ok(m.type_ids[i], m.type_ids[*d.super], r))
      return invalid("sub type must match super type");
  }
  return Status::Ok();
}

namespace {

// The GC operators allowed in constant expressions: allocations, ref.i31
// and the conversions. `*handled` is false for any other operator.
Status const_gc_op(const ModuleData& m, const ConstInstr& ci, const TypeRegistry& r,
                   std::vector<ValType>& st, uint64_t at, bool* handled) {
  *handled = true;
  auto pop = [&](ValType want) -> Status {
    if (st.empty() || !m.subtype(st.back(), want, r)) return invalid("type mismatch", at);
    st.pop_back();
    return Status::Ok();
  };
  auto decl = [&](CompKind k) -> Expected<const TypeDecl*> {
    if (ci.imm >= m.types.size() || ci.imm >= m.type_decls.size())
      return invalid("unknown type " + std::to_string(ci.imm), at);
    if (m.type_decls[ci.imm].kind != k) return invalid("type mismatch", at);
    return &m.type_decls[ci.imm];
  };
  auto unpacked = [](const FieldType& f) {
    return f.packed != FieldType::None ? ValType::I32 : f.type;
  };
  auto defaultable = [](const FieldType& f) { return !f.type.is_ref() || f.type.nullable(); };
  const HeapKind sk = HeapKind::Struct, ak = HeapKind::Array;
  switch (ci.op) {
    case Op::RefI31:
      EMBER_TRY(pop(ValType::I32));
      st.push_back(ValType::ref(HeapKind::I31, false));
      return Status::Ok();
    case Op::AnyConvertExtern:
    case Op::ExternConvertAny: {
      const bool to_any = ci.op == Op::AnyConvertExtern;
      if (st.empty()) return invalid("type mismatch", at);
      const bool nullable = st.back().nullable();
      EMBER_TRY(pop(ValType::ref(to_any ? HeapKind::Extern : HeapKind::Any, true)));
      st.push_back(ValType::ref(to_any ? HeapKind::Any : HeapKind::Extern, nullable));
      return Status::Ok();
    }
    case Op::StructNew:
    case Op::StructNewDefault: {
      EMBER_ASSIGN(const TypeDecl* d, decl(CompKind::Struct));
      for (size_t i = d->fields.size(); i-- > 0;) {
        if (ci.op == Op::StructNew) EMBER_TRY(pop(unpacked(d->fields[i])));
        else if (!defaultable(d->fields[i])) return invalid("type mismatch", at);
      }
      st.push_back(ValType::ref_index(uint32_t(ci.imm), false, sk));
      return Status::Ok();
    }
    case Op::ArrayNew:
    case Op::ArrayNewDefault:
    case Op::ArrayNewFixed: {
      EMBER_ASSIGN(const TypeDecl* d, decl(CompKind::Array));
      if (d->fields.size() != 1) return invalid("type mismatch", at);
      const FieldType& f = d->fields[0];
      if (ci.op == Op::ArrayNewFixed) {
        for (uint64_t i = 0; i < ci.imm_hi; i++) EMBER_TRY(pop(unpacked(f)));
      } else {
        EMBER_TRY(pop(ValType::I32));
        if (ci.op == Op::ArrayNew) EMBER_TRY(pop(unpacked(f)));
        else if (!defaultable(f)) return invalid("type mismatch", at);
      }
      st.push_back(ValType::ref_index(uint32_t(ci.imm), false, ak));
      return Status::Ok();
    }
    default: *handled = false; return Status::Ok();
  }
}

}  // namespace

Status validate_const_expr(const ModuleData& m, const ConstExpr& e, ValType expected,
                           const FeatureSet& f, const TypeRegistry& r, size_t visible_globals) {
  std::vector<ValType> st;
  auto err = [&](const char* msg) { return invalid(msg, e.offset); };
  for (const ConstInstr& ci : e.instrs) {
    switch (ci.op) {
      case Op::I32Const: st.push_back(ValType::I32); break;
      case Op::I64Const: st.push_back(ValType::I64); break;
      case Op::F32Const: st.push_back(ValType::F32); break;
      case Op::F64Const: st.push_back(ValType::F64); break;
      case Op::V128Const:
        if (!f.has(Feature::Simd)) return err("constant expression required");
        st.push_back(ValType::V128);
        break;
      case Op::RefNull: {
        ValType t;
        if (!ValType::from_bits(uint32_t(ci.imm), &t)) return err("malformed reference type");
        if (t.has_index() && t.index() >= m.types.size())
          return invalid("unknown type " + std::to_string(t.index()), e.offset);
        st.push_back(t);
        break;
      }
      case Op::RefFunc:
        if (ci.imm >= m.funcs.size())
          return invalid("unknown function " + std::to_string(ci.imm), e.offset);
        st.push_back(ValType::ref_index(m.funcs[ci.imm], false));
        break;
      case Op::GlobalGet: {
        if (ci.imm >= visible_globals && ci.imm < m.globals.size() && !f.has(Feature::Gc)) {
          return err("constant expression required: global.get of locally defined global");
        }
        if (ci.imm >= visible_globals) {
          return invalid("unknown global " + std::to_string(ci.imm), e.offset);
        }
        const GlobalType& gt = m.globals[ci.imm].type;
        if (gt.mut) return err("constant expression required");
        st.push_back(gt.type);
        break;
      }
      default: {
        if (f.has(Feature::Gc)) {
          bool handled = false;
          EMBER_TRY(const_gc_op(m, ci, r, st, e.offset, &handled));
          if (handled) break;
        }
        if (!f.has(Feature::ExtendedConst) || !is_extended_const_op(ci.op)) {
          return err("constant expression required");
        }
        ValType t = *op_info(ci.op).in;
        if (st.size() < 2 || st[st.size() - 1] != t || st[st.size() - 2] != t) {
          return err("type mismatch");
        }
        st.pop_back();
        break;
      }
    }
  }
  if (st.size() != 1 || !m.subtype(st[0], expected, r)) return err("type mismatch");
  return Status::Ok();
}

}  // namespace ember

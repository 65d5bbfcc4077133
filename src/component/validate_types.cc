// Component validation: type definitions (see validator.hh for how types
// are resolved and interned).
#include <algorithm>

#include "component/names.hh"
#include "component/validator.hh"

namespace ember::comp {
namespace {

bool is_value_kind(TypeKind k) {
  return k <= TypeKind::Map;
}

uint64_t align_to(uint64_t n, uint32_t a) {
  return (n + a - 1) / a * a;
}

// The canonical ABI's `join` of two flattened core types.
ValType join(ValType a, ValType b) {
  if (a == b) return a;
  if ((a == ValType::I32 && b == ValType::F32) || (a == ValType::F32 && b == ValType::I32))
    return ValType::I32;
  return ValType::I64;
}

void append_flat(std::vector<ValType>& out, const std::vector<ValType>& more) {
  for (ValType t : more) {
    if (out.size() >= kFlatCap) return;
    out.push_back(t);
  }
}

// Size and alignment of a primitive (canonical ABI `elem_size`/`alignment`).
void prim_layout(Prim p, VType& v) {
  switch (p) {
    case Prim::Bool:
    case Prim::S8:
    case Prim::U8: v.size = v.align = 1; break;
    case Prim::S16:
    case Prim::U16: v.size = v.align = 2; break;
    case Prim::S64:
    case Prim::U64:
    case Prim::F64: v.size = v.align = 8; break;
    case Prim::String:
      v.size = 8;
      v.align = 4;
      break;
    default: v.size = v.align = 4; break;
  }
}

ValType prim_flat(Prim p) {
  switch (p) {
    case Prim::S64:
    case Prim::U64: return ValType::I64;
    case Prim::F32: return ValType::F32;
    case Prim::F64: return ValType::F64;
    default: return ValType::I32;
  }
}

// The labels of one type are kebab-case and, canonicalized, differ
// (strong uniqueness).
Status unique_labels(const std::vector<std::string>& labels, const char* what, uint64_t offset) {
  std::set<std::string> seen;
  for (const std::string& l : labels) {
    if (!is_label(l))
      return invalid(std::string(what) + " label \"" + l + "\" is not in kebab case", offset);
    if (!seen.insert(unique_key(l)).second)
      return invalid(std::string(what) + " label \"" + l + "\" conflicts with another", offset);
  }
  return Status::Ok();
}

}  // namespace

Validator::Validator(const FeatureSet& f, const CoreModuleCheck& check)
    : features_(f), check_(check) {
  for (uint8_t p = 0; p <= uint8_t(Prim::ErrorContext); p++) {
    VType v;
    v.prim = Prim(p);
    intern(std::move(v));
  }
}

// The resources a type's handles name: its own, or the union of its parts'.
// At most kMaxResourcesPerType are kept (then `many_resources`), so the
// work per type is bounded by its number of parts.
static void collect_resources(const std::deque<VType>& types, VType& v) {
  std::set<TypeId> all;
  if (v.resource != kNoType) all.insert(v.resource);
  auto add = [&](TypeId k) {
    if (k == kNoType) return;
    v.many_resources |= types[k].many_resources;
    for (TypeId r : types[k].resources) {
      if (all.size() >= kMaxResourcesPerType && !all.count(r)) {
        v.many_resources = true;
        return;
      }
      all.insert(r);
    }
  };
  for (TypeId k : v.kids) add(k);
  add(v.ok);
  add(v.err);
  v.resources.assign(all.begin(), all.end());
}

ExternList::ExternList(std::vector<Extern> v) : list(std::move(v)) {
  for (size_t i = 0; i < list.size(); i++) by_name.emplace(list[i].name, i);
}

const Extern* ExternList::find(const std::string& name) const {
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : &list[it->second];
}

// a + b, saturated at kMaxEffectiveSize.
static uint32_t add_effective(uint32_t a, uint32_t b) {
  return uint32_t(std::min<uint64_t>(uint64_t(a) + b, kMaxEffectiveSize));
}

Status Validator::note_effective_size(VType& v, uint64_t offset) const {
  uint32_t n = 1;
  for (const ExternList* l : {v.imports.get(), v.exports.get()})
    for (const Extern& e : l->list)
      n = add_effective(n, e.type == kNoType ? 1 : types_[e.type].effective);
  v.effective = n;
  if (n >= kMaxEffectiveSize) return effective_too_big(offset);
  return Status::Ok();
}

void Validator::compute_facts(VType& v) const {
  collect_resources(types_, v);
  v.effective = 1;
  for (TypeId k : v.kids)
    if (k != kNoType) v.effective = add_effective(v.effective, types_[k].effective);
  for (TypeId k : {v.ok, v.err})
    if (k != kNoType) v.effective = add_effective(v.effective, types_[k].effective);
  v.has_nominal = v.kind == TypeKind::Record || v.kind == TypeKind::Variant ||
                  v.kind == TypeKind::Enum || v.kind == TypeKind::Flags ||
                  v.kind == TypeKind::Own || v.kind == TypeKind::Borrow;
  for (TypeId k : v.kids)
    if (k != kNoType) v.has_nominal |= types_[k].has_nominal;
  for (TypeId k : {v.ok, v.err})
    if (k != kNoType) v.has_nominal |= types_[k].has_nominal;
  auto kid = [&](TypeId id) -> const VType* { return id == kNoType ? nullptr : &types_[id]; };
  auto inherit = [&](const VType* k) {
    if (!k) return;
    v.has_borrow |= k->has_borrow;
    v.has_memory_data |= k->has_memory_data;
  };
  switch (v.kind) {
    case TypeKind::Prim:
      prim_layout(v.prim, v);
      if (v.prim == Prim::String) {
        v.flat = {ValType::I32, ValType::I32};
        v.has_memory_data = true;
      } else {
        v.flat = {prim_flat(v.prim)};
      }
      return;
    case TypeKind::List:
      inherit(kid(v.kids[0]));
      v.has_memory_data = true;
      v.flat = {ValType::I32, ValType::I32};
      v.size = 8;
      v.align = 4;
      return;
    case TypeKind::Own:
    case TypeKind::Borrow:
      v.has_borrow = v.kind == TypeKind::Borrow;
      v.flat = {ValType::I32};
      v.size = v.align = 4;
      return;
    case TypeKind::Flags: {
      size_t n = v.names.size();
      v.size = v.align = n <= 8 ? 1 : n <= 16 ? 2 : 4;
      v.flat = {ValType::I32};
      return;
    }
    case TypeKind::Record:
    case TypeKind::Tuple: {
      uint64_t s = 0;
      for (TypeId k : v.kids) {
        const VType& t = types_[k];
        inherit(&t);
        append_flat(v.flat, t.flat);
        s = std::min(align_to(s, t.align) + t.size, kMaxValueSize);
        v.align = std::max(v.align, t.align);
      }
      v.size = std::min(align_to(s, v.align), kMaxValueSize);
      return;
    }
    case TypeKind::Variant:
    case TypeKind::Enum:
    case TypeKind::Option:
    case TypeKind::Result: break;
    default: return;  // functions: no facts of their own
  }
  // Variant, Enum, Option, Result: a discriminant and the joined payloads.
  std::vector<TypeId> cases = v.kids;
  if (v.kind == TypeKind::Enum) cases.assign(v.names.size(), kNoType);
  if (v.kind == TypeKind::Option) cases = {kNoType, v.kids[0]};
  if (v.kind == TypeKind::Result) cases = {v.ok, v.err};
  uint32_t disc = cases.size() <= 256 ? 1 : cases.size() <= 65536 ? 2 : 4;
  uint32_t case_align = 1;
  uint64_t case_size = 0;
  std::vector<ValType> payload;
  for (TypeId c : cases) {
    const VType* t = kid(c);
    if (!t) continue;
    inherit(t);
    case_align = std::max(case_align, t->align);
    case_size = std::max(case_size, t->size);
    for (size_t i = 0; i < t->flat.size(); i++) {
      if (i < payload.size()) payload[i] = join(payload[i], t->flat[i]);
      else if (payload.size() < kFlatCap) payload.push_back(t->flat[i]);
    }
  }
  v.flat = {ValType::I32};
  append_flat(v.flat, payload);
  v.align = std::max(disc, case_align);
  v.size = std::min(align_to(align_to(disc, case_align) + case_size, v.align), kMaxValueSize);
}

TypeId Validator::intern(VType v) {
  compute_facts(v);
  std::string key;
  key += char(v.kind);
  key += char(v.prim);
  auto number = [&](uint64_t n) {
    key.append(std::to_string(n));
    key.push_back(',');
  };
  for (const std::string& n : v.names) {
    number(n.size());
    key.append(n);
  }
  key.push_back('|');
  for (TypeId k : v.kids) number(k);
  key.push_back('|');
  number(v.ok);
  number(v.err);
  number(v.resource);
  auto [it, fresh] = interned_.emplace(std::move(key), TypeId(types_.size()));
  if (fresh) types_.push_back(std::move(v));
  return it->second;
}

void Validator::note_resources(VType& v, TypeId start) const {
  TypeId lo = kNoType;
  for (const ExternList* l : {v.imports.get(), v.exports.get()}) {
    for (const Extern& e : l->list) {
      if (e.type == kNoType) continue;
      const VType& t = types_[e.type];
      if (t.kind == TypeKind::Resource) lo = std::min(lo, e.type);
      if (t.kind == TypeKind::Component || t.kind == TypeKind::Instance)
        lo = std::min(lo, t.min_resource);
      if (t.many_resources) lo = 0;
      if (!t.resources.empty()) lo = std::min(lo, t.resources.front());
    }
  }
  v.min_resource = lo;
  v.outer_resources = lo != kNoType && lo < start;
}

bool Validator::imports_abstract_resources(const std::vector<Extern>& imports) const {
  auto abstract = [&](const Extern& e) {
    return e.sort == Sort::Type && types_[e.type].kind == TypeKind::Resource &&
           types_[e.type].owner == 0;
  };
  std::set<TypeId> seen;
  for (const Extern& e : imports) {
    if (abstract(e)) return true;
    if (e.sort != Sort::Instance && e.sort != Sort::Component) continue;
    if (!seen.insert(e.type).second) continue;
    const VType& t = types_[e.type];
    for (const Extern& x : t.exports->list)
      if (abstract(x)) return true;
    if (t.abstract_imports) return true;
  }
  return false;
}

TypeId Validator::add_type(VType v) {
  types_.push_back(std::move(v));
  return TypeId(types_.size() - 1);
}

Expected<TypeId> Validator::value_type(const ValTypeRef& r, const Scope& s) const {
  if (r.is_prim) {
    if (r.prim == Prim::ErrorContext) return unsupported("the error-context type", r.offset);
    return prim(r.prim);
  }
  if (r.index >= s.types.size())
    return invalid("type index " + std::to_string(r.index) + " out of range (" +
                       std::to_string(s.types.size()) + " types)",
                   r.offset);
  TypeId id = s.types[r.index];
  if (!is_value_kind(types_[id].kind))
    return invalid("type " + std::to_string(r.index) + " is not a value type", r.offset);
  return id;
}

Expected<TypeId> Validator::type_of_sort(const Scope& s, Sort sort, uint32_t index, TypeKind want,
                                         uint64_t offset) const {
  EMBER_TRY(check_index(s, Sort::Type, index, offset));
  TypeId id = s.types[index];
  if (types_[id].kind != want) {
    const char* what = want == TypeKind::Func        ? "function"
                       : want == TypeKind::Component ? "component"
                       : want == TypeKind::Instance  ? "instance"
                                                     : "resource";
    return invalid("type " + std::to_string(index) + " is not a " + what + " type (for a " +
                       sort_name(sort) + ")",
                   offset);
  }
  return id;
}

Status Validator::value_type_def(const TypeDef& t, Scope& s, VType& v) {
  v.kind = t.kind;
  v.prim = t.prim;
  switch (t.kind) {
    case TypeKind::FixedList: return unsupported("the fixed-size list type", t.offset);
    case TypeKind::Stream: return unsupported("the stream type", t.offset);
    case TypeKind::Future: return unsupported("the future type", t.offset);
    case TypeKind::Map: return unsupported("the map type", t.offset);
    case TypeKind::Prim:
      if (t.prim == Prim::ErrorContext) return unsupported("the error-context type", t.offset);
      return Status::Ok();
    case TypeKind::Own:
    case TypeKind::Borrow: {
      EMBER_ASSIGN(v.resource, type_of_sort(s, Sort::Type, t.index, TypeKind::Resource, t.offset));
      return Status::Ok();
    }
    default: break;
  }
  for (const Labeled& f : t.fields) {
    v.names.push_back(f.label);
    TypeId id = kNoType;
    if (f.type) {
      EMBER_ASSIGN(id, value_type(*f.type, s));
    }
    v.kids.push_back(id);
  }
  for (const ValTypeRef& e : t.elems) {
    EMBER_ASSIGN(TypeId id, value_type(e, s));
    v.kids.push_back(id);
  }
  for (const std::string& l : t.labels) v.names.push_back(l);
  if (t.ok) {
    EMBER_ASSIGN(v.ok, value_type(*t.ok, s));
  }
  if (t.err) {
    EMBER_ASSIGN(v.err, value_type(*t.err, s));
  }
  const char* what = t.kind == TypeKind::Record    ? "record"
                     : t.kind == TypeKind::Variant ? "variant"
                     : t.kind == TypeKind::Tuple   ? "tuple"
                     : t.kind == TypeKind::Flags   ? "flags"
                                                   : "enum";
  bool listed = t.kind == TypeKind::Record || t.kind == TypeKind::Variant ||
                t.kind == TypeKind::Tuple || t.kind == TypeKind::Flags || t.kind == TypeKind::Enum;
  if (listed && v.names.empty() && v.kids.empty())
    return invalid(std::string(what) + " type must have at least one member", t.offset);
  if (t.kind == TypeKind::Flags && v.names.size() > 32)
    return invalid("flags type has more than 32 flags", t.offset);
  if (t.kind != TypeKind::Tuple) EMBER_TRY(unique_labels(v.names, what, t.offset));
  return Status::Ok();
}

Status Validator::func_type_def(const TypeDef& t, Scope& s, VType& v) {
  if (t.async) return unsupported("the async function type", t.offset);
  v.kind = TypeKind::Func;
  for (const Labeled& p : t.fields) {
    v.names.push_back(p.label);
    EMBER_ASSIGN(TypeId id, value_type(*p.type, s));
    v.kids.push_back(id);
  }
  EMBER_TRY(unique_labels(v.names, "parameter", t.offset));
  if (t.ok) {
    EMBER_ASSIGN(v.ok, value_type(*t.ok, s));
    if (types_[v.ok].has_borrow)
      return invalid("function result types may not contain a borrow handle", t.ok->offset);
  }
  return Status::Ok();
}

static bool nominal(TypeKind k) {
  return k == TypeKind::Record || k == TypeKind::Variant || k == TypeKind::Enum ||
         k == TypeKind::Flags || k == TypeKind::Resource;
}

// A (validated) type definition's visibility: nominal types it refers to
// must be named; other types it refers to must be visible themselves.
Visibility Validator::def_visibility(const TypeDef& t, const Scope& s) const {
  Visibility v;
  auto index = [&](uint32_t j) {
    const Visibility& r = s.type_vis[j];
    if (nominal(types_[s.types[j]].kind)) {
      v.clean_for_import &= r.named_by_import;
      v.clean_for_export &= r.named_by_import || r.named_by_export;
    } else {
      v.clean_for_import &= r.clean_for_import;
      v.clean_for_export &= r.clean_for_export;
    }
  };
  auto ref = [&](const std::optional<ValTypeRef>& r) {
    if (r && !r->is_prim) index(r->index);
  };
  for (const Labeled& f : t.fields) ref(f.type);
  for (const ValTypeRef& e : t.elems) ref(e);
  ref(t.ok);
  ref(t.err);
  if (t.kind == TypeKind::Own || t.kind == TypeKind::Borrow) index(t.index);
  return v;
}

// The type of a function or type imported or exported with type index
// d.index must be visible: named where it must be.
// Instance types defer the rule to where they are imported or exported
// (VType::invisible); component types apply it at once.
Status Validator::visible(Scope& s, const ExternDesc& d, bool is_import, uint64_t offset) const {
  bool ok = true;
  if (d.sort == Sort::Func || (d.sort == Sort::Type && d.bound == ExternDesc::Bound::Index)) {
    const Visibility& v = s.type_vis[d.index];
    ok = is_import ? v.clean_for_import : v.clean_for_export;
  }
  if (d.sort == Sort::Instance) ok = !types_[s.types[d.index]].invisible;
  if (ok) return Status::Ok();
  if (s.kind == Scope::Kind::InstanceType) {
    s.invisible = true;
    return Status::Ok();
  }
  return invalid(std::string(sort_name(d.sort)) + " not valid to be used as " +
                     (is_import ? "import" : "export") +
                     ": its type refers to a record, variant, enum, flags or resource type " +
                     "through an index that was not " +
                     (is_import ? "imported" : "imported or exported"),
                 offset);
}

Status Validator::type_def(const TypeDef& t, Scope& s) {
  VType v;
  switch (t.kind) {
    case TypeKind::Func: EMBER_TRY(func_type_def(t, s, v)); break;
    case TypeKind::Component:
    case TypeKind::Instance: return decl_type(t, s);
    case TypeKind::Resource: {
      if (s.kind != Scope::Kind::Component)
        return invalid("resource types may not be defined in component or instance types",
                       t.offset);
      if (t.rep != ValType::I32)
        return invalid("a resource's representation must be i32", t.offset);
      if (t.dtor) {
        EMBER_TRY(check_index(s, Sort::CoreFunc, *t.dtor, t.offset));
        if (!(s.core_funcs[*t.dtor] == FuncType{{ValType::I32}, {}}))
          return invalid("a resource destructor must have type [i32] -> []", t.offset);
      }
      v.kind = TypeKind::Resource;
      v.owner = s.id;
      s.add_type(add_type(std::move(v)), Visibility{});
      return Status::Ok();
    }
    default: EMBER_TRY(value_type_def(t, s, v)); break;
  }
  TypeId id = intern(std::move(v));
  if (types_[id].effective >= kMaxEffectiveSize) return effective_too_big(t.offset);
  if (types_[id].size >= kMaxValueSize)
    return invalid("value type is too large (canonical ABI size of 2^28 bytes or more)", t.offset);
  s.add_type(id, def_visibility(t, s));
  return Status::Ok();
}

// A component or instance type: its declarators in a scope of their own.
Status Validator::decl_type(const TypeDef& t, Scope& outer) {
  const TypeId start = TypeId(types_.size());
  Scope s;
  s.kind = t.kind == TypeKind::Component ? Scope::Kind::ComponentType : Scope::Kind::InstanceType;
  s.id = new_scope_id();
  scopes.push_back(&outer);
  struct Pop {
    std::vector<Scope*>& v;
    ~Pop() { v.pop_back(); }
  } pop{scopes};
  for (const Decl& d : t.decls) {
    switch (d.kind) {
      case Decl::Kind::CoreType: EMBER_TRY(core_type_def(*d.core_type, s)); break;
      case Decl::Kind::Type: EMBER_TRY(type_def(*d.type, s)); break;
      case Decl::Kind::Alias: {
        const Alias& a = d.alias;
        bool ok = a.kind == Alias::Kind::Outer
                      ? (a.sort == Sort::Type || a.sort == Sort::CoreType)
                      : (a.kind == Alias::Kind::Export &&
                         (a.sort == Sort::Type || a.sort == Sort::Instance));
        if (!ok)
          return invalid("this alias is not allowed in a component or instance type", a.offset);
        EMBER_TRY(a.kind == Alias::Kind::Outer ? outer_alias(a, s) : export_alias(a, s));
        break;
      }
      case Decl::Kind::Import:
      case Decl::Kind::Export:
        EMBER_TRY(add_extern(s, d.name, d.desc, d.kind == Decl::Kind::Import, d.offset));
        break;
    }
  }
  VType v;
  v.kind = t.kind;
  v.abstract_imports = imports_abstract_resources(s.imports);
  v.imports = std::make_shared<const ExternList>(std::move(s.imports));
  v.exports = std::make_shared<const ExternList>(std::move(s.exports));
  note_resources(v, start);
  EMBER_TRY(note_effective_size(v, t.offset));
  v.invisible = s.invisible;
  Visibility vis = kAliasName;
  vis.clean_for_import = vis.clean_for_export = !s.invisible;
  outer.add_type(add_type(std::move(v)), vis);
  return Status::Ok();
}

// A core function type, or a module type with its own core type space.
Status Validator::core_type_def(const CoreTypeDef& t, Scope& s) {
  auto info = std::make_shared<CoreTypeInfo>();
  if (!t.is_module) {
    info->func = t.func;
    s.core_types.push_back(std::move(info));
    return Status::Ok();
  }
  info->is_module = true;
  auto module = std::make_shared<CoreModuleInfo>();
  std::vector<FuncType> local;  // the module type's own core types
  std::set<std::string> export_names, import_names;
  for (const CoreDecl& d : t.decls) {
    switch (d.kind) {
      case CoreDecl::Kind::Type:
        if (d.type->is_module)
          return invalid("a module type may not define a module type", d.offset);
        local.push_back(d.type->func);
        break;
      case CoreDecl::Kind::Alias: {
        if (d.outer_count == 0) {
          if (d.outer_index >= local.size())
            return invalid("core type index out of range", d.offset);
          local.push_back(local[d.outer_index]);
          break;
        }
        if (d.outer_count > scopes.size() + 1)
          return invalid("outer alias count out of range", d.offset);
        const Scope& target = d.outer_count == 1 ? s : *scopes[scopes.size() + 1 - d.outer_count];
        if (d.outer_index >= target.core_types.size())
          return invalid("core type index out of range", d.offset);
        if (target.core_types[d.outer_index]->is_module)
          return invalid("a module type may not alias a module type", d.offset);
        local.push_back(target.core_types[d.outer_index]->func);
        break;
      }
      case CoreDecl::Kind::Import:
      case CoreDecl::Kind::Export: {
        if (d.extern_kind == ExternKind::Memory) {
          const Limits& l = d.memory.limits;
          const uint64_t limit = l.is64 ? uint64_t{1} << 48 : uint64_t{1} << 16;
          if (l.min > limit || (l.max && *l.max > limit))
            return invalid("memory size must be at most " + std::to_string(limit) + " pages",
                           d.offset);
        }
        const Limits& l = d.extern_kind == ExternKind::Memory ? d.memory.limits : d.table.limits;
        if (l.max && *l.max < l.min)
          return invalid("size minimum must not be greater than maximum", d.offset);
        CoreModuleInfo::Entry e{d.module, d.name, d.extern_kind, {}, d.table, d.memory, d.global};
        if (d.extern_kind == ExternKind::Func || d.extern_kind == ExternKind::Tag) {
          if (d.type_index >= local.size())
            return invalid("core type index " + std::to_string(d.type_index) + " out of range",
                           d.offset);
          e.func = local[d.type_index];
        }
        bool is_import = d.kind == CoreDecl::Kind::Import;
        std::string key = is_import ? d.module + '\0' + d.name : d.name;
        if (!(is_import ? import_names : export_names).insert(key).second)
          return invalid("duplicate " + std::string(is_import ? "import" : "export") + " \"" +
                             d.name + "\" in a module type",
                         d.offset);
        if (is_import) module->imports.emplace(std::make_pair(e.module, e.name), std::move(e));
        else module->exports.emplace(e.name, std::move(e));
        break;
      }
    }
  }
  info->module = std::move(module);
  s.core_types.push_back(std::move(info));
  return Status::Ok();
}

static bool limits_within(const Limits& have, const Limits& want) {
  if (have.is64 != want.is64 || have.shared != want.shared || have.min < want.min) return false;
  return !want.max || (have.max && *have.max <= *want.max);
}

std::string core_mismatch(const CoreModuleInfo::Entry& have, const CoreModuleInfo::Entry& want) {
  if (have.kind != want.kind) return "a different kind of entity";
  switch (want.kind) {
    case ExternKind::Func:
    case ExternKind::Tag:
      if (have.func == want.func) return "";
      return "expected " + want.func.to_string() + ", found " + have.func.to_string();
    case ExternKind::Table:
      if (have.table.elem != want.table.elem) return "table element types differ";
      return limits_within(have.table.limits, want.table.limits) ? "" : "mismatch in table limits";
    case ExternKind::Memory:
      if (have.memory.page_size_log2 != want.memory.page_size_log2) return "page sizes differ";
      return limits_within(have.memory.limits, want.memory.limits) ? ""
                                                                   : "mismatch in memory limits";
    case ExternKind::Global: return have.global == want.global ? "" : "global types differ";
  }
  return "";
}

// A core module of type `a` where one of type `b` is expected: every export
// `b` has, `a` has too (covariant), and each import of `a` accepts what `b`'s
// import of that name is given (contravariant).
static std::string module_mismatch(const CoreModuleInfo& a, const CoreModuleInfo& b) {
  for (const auto& [name, want] : b.exports) {
    auto it = a.exports.find(name);
    if (it == a.exports.end() || !core_mismatch(it->second, want).empty())
      return "the core module has no matching export \"" + name + "\"";
  }
  for (const auto& [key, need] : a.imports) {
    auto [lo, hi] = b.imports.equal_range(key);
    if (!std::any_of(lo, hi, [&](const auto& e) { return core_mismatch(e.second, need).empty(); }))
      return "the core module's import \"" + need.module + "\" \"" + need.name +
             "\" is not expected";
  }
  return "";
}

std::string Validator::mismatch(const Extern& a, const Extern& b, uint32_t depth) const {
  if (depth > 2 * kMaxNesting) return "types nested too deeply to compare";
  if (a.sort != b.sort)
    return std::string("expected a ") + sort_name(b.sort) + ", found a " + sort_name(a.sort);
  if (a.sort == Sort::CoreModule) return module_mismatch(*a.module, *b.module);
  if (a.type == b.type) return "";
  const VType& ta = types_[a.type];
  const VType& tb = types_[b.type];
  // An abstract resource expected (a `(sub resource)` export of an instance
  // type): any resource (no substitution into later types yet).
  if (tb.kind == TypeKind::Resource && tb.owner == 0 && ta.kind == TypeKind::Resource) return "";
  if (ta.kind != tb.kind || (ta.kind != TypeKind::Instance && ta.kind != TypeKind::Component))
    return "type mismatch: expected " + type_text(b.type) + ", found " + type_text(a.type);
  if (compatible_.count({a.type, b.type})) return "";
  for (const Extern& want : tb.exports->list) {
    const Extern* have = ta.exports->find(want.name);
    if (!have) return "missing export \"" + want.name + "\"";
    std::string m = mismatch(*have, want, depth + 1);
    if (!m.empty()) return "export \"" + want.name + "\": " + m;
  }
  for (const Extern& need : ta.imports->list) {
    const Extern* given = tb.imports->find(need.name);
    if (!given) return "unexpected import \"" + need.name + "\"";
    std::string m = mismatch(*given, need, depth + 1);
    if (!m.empty()) return "import \"" + need.name + "\": " + m;
  }
  compatible_.insert({a.type, b.type});
  return "";
}

}  // namespace ember::comp

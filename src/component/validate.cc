// Component validation: scopes and definitions in binary order, aliases,
// instances, imports and exports (see validate.hh; types are in
// validate_types.cc, canonical built-ins in validate_canon.cc).
#include "component/validate.hh"

#include <algorithm>

#include "component/names.hh"
#include "component/validator.hh"
#include "validate/validate.hh"

namespace ember::comp {
namespace {

ExternKind extern_kind(Sort s) {
  switch (s) {
    case Sort::CoreTable: return ExternKind::Table;
    case Sort::CoreMemory: return ExternKind::Memory;
    case Sort::CoreGlobal: return ExternKind::Global;
    case Sort::CoreTag: return ExternKind::Tag;
    default: return ExternKind::Func;
  }
}

Sort core_sort(ExternKind k) {
  switch (k) {
    case ExternKind::Table: return Sort::CoreTable;
    case ExternKind::Memory: return Sort::CoreMemory;
    case ExternKind::Global: return Sort::CoreGlobal;
    case ExternKind::Tag: return Sort::CoreTag;
    default: return Sort::CoreFunc;
  }
}

bool is_core_extern(Sort s) {
  return s <= Sort::CoreTag;
}

// The core entity `item` of `s` (in range) as an export entry.
CoreModuleInfo::Entry core_entry(const Scope& s, SortIdx item) {
  CoreModuleInfo::Entry e;
  e.kind = extern_kind(item.sort);
  switch (item.sort) {
    case Sort::CoreFunc: e.func = s.core_funcs[item.index]; break;
    case Sort::CoreTable: e.table = s.core_tables[item.index]; break;
    case Sort::CoreMemory: e.memory = s.core_memories[item.index]; break;
    case Sort::CoreGlobal: e.global = s.core_globals[item.index]; break;
    default: e.func = s.core_tags[item.index]; break;
  }
  return e;
}

// Adds a core instance's export to the index space of its sort.
void add_core(Scope& s, const CoreModuleInfo::Entry& e) {
  switch (e.kind) {
    case ExternKind::Func: s.core_funcs.push_back(e.func); break;
    case ExternKind::Table: s.core_tables.push_back(e.table); break;
    case ExternKind::Memory: s.core_memories.push_back(e.memory); break;
    case ExternKind::Global: s.core_globals.push_back(e.global); break;
    case ExternKind::Tag: s.core_tags.push_back(e.func); break;
  }
}

Error value_sort_unsupported(uint64_t offset) {
  return unsupported("the value sort (component values and start functions)", offset);
}

}  // namespace

uint32_t Scope::count(Sort s) const {
  switch (s) {
    case Sort::CoreFunc: return uint32_t(core_funcs.size());
    case Sort::CoreTable: return uint32_t(core_tables.size());
    case Sort::CoreMemory: return uint32_t(core_memories.size());
    case Sort::CoreGlobal: return uint32_t(core_globals.size());
    case Sort::CoreTag: return uint32_t(core_tags.size());
    case Sort::CoreType: return uint32_t(core_types.size());
    case Sort::CoreModule: return uint32_t(modules.size());
    case Sort::CoreInstance: return uint32_t(core_instances.size());
    case Sort::Func: return uint32_t(funcs.size());
    case Sort::Value: return values;
    case Sort::Type: return uint32_t(types.size());
    case Sort::Component: return uint32_t(components.size());
    case Sort::Instance: return uint32_t(instances.size());
  }
  return 0;
}

Status Validator::check_index(const Scope& s, Sort sort, uint32_t index, uint64_t offset) const {
  uint32_t n = s.count(sort);
  if (index < n) return Status::Ok();
  return invalid(std::string(sort_name(sort)) + " index " + std::to_string(index) +
                     " out of range (" + std::to_string(n) + " defined)",
                 offset);
}

// Adds the entity an Extern describes to its index space in `s`.
static void push_entity(Scope& s, const Extern& e, Visibility vis = kAliasName) {
  switch (e.sort) {
    case Sort::CoreModule: s.modules.push_back(e.module); break;
    case Sort::Func: s.add_func(e.type, vis); break;
    case Sort::Type: s.add_type(e.type, vis); break;
    case Sort::Component: s.components.push_back(e.type); break;
    case Sort::Instance: s.add_instance(e.type, vis); break;
    default: break;
  }
}

// The Extern for entity `index` of `sort` in `s` (a component-level sort or
// a core module; checked in range).
static Extern entity(const Scope& s, Sort sort, uint32_t index) {
  Extern e;
  e.sort = sort;
  switch (sort) {
    case Sort::CoreModule: e.module = s.modules[index]; break;
    case Sort::Func: e.type = s.funcs[index]; break;
    case Sort::Type: e.type = s.types[index]; break;
    case Sort::Component: e.type = s.components[index]; break;
    case Sort::Instance: e.type = s.instances[index]; break;
    default: break;
  }
  return e;
}

// Types that need a name to be used in an export's type: resources,
// records, variants, enums and flags.
static bool needs_name(TypeKind k) {
  return k == TypeKind::Resource || k == TypeKind::Record || k == TypeKind::Variant ||
         k == TypeKind::Enum || k == TypeKind::Flags;
}

// The types needing a name that an instance type exports, directly or
// through the instances it exports (each instance type walked once per call).
static void exported_named(const std::deque<VType>& types, TypeId inst, std::set<TypeId>& out,
                           std::set<TypeId>& walked) {
  std::vector<TypeId> todo = {inst};
  while (!todo.empty()) {
    TypeId t = todo.back();
    todo.pop_back();
    if (!walked.insert(t).second) continue;
    for (const Extern& x : types[t].exports->list) {
      if (x.sort == Sort::Type && needs_name(types[x.type].kind)) out.insert(x.type);
      if (x.sort == Sort::Instance) todo.push_back(x.type);
    }
  }
}

// The records, variants, enums and flags value type `t` uses: itself when it
// is one, else those inside it (each type looked at once per `seen`).
static void records_used(const std::deque<VType>& types, TypeId t, std::set<TypeId>& seen,
                         std::vector<TypeId>& out) {
  std::vector<TypeId> todo = {t};
  while (!todo.empty()) {
    TypeId id = todo.back();
    todo.pop_back();
    if (id == kNoType || !seen.insert(id).second) continue;
    const VType& v = types[id];
    if (v.kind == TypeKind::Resource) continue;  // (exportable() checks resources)
    if (needs_name(v.kind)) {
      out.push_back(id);
      continue;
    }
    for (TypeId k : v.kids) todo.push_back(k);
    todo.push_back(v.ok);
    todo.push_back(v.err);
  }
}

// The named types an import or export brings into scope: a resource type,
// an imported record, variant, enum or flags type, or those an instance type
// exports. (A type export names its own new index, not the type an
// instance aliased out of a child refers to: records_named.)
void Validator::name_resources(Scope& s, const Extern& e, bool is_import) const {
  if (e.type == kNoType) return;
  const VType& t = types_[e.type];
  if (e.sort == Sort::Type && (t.kind == TypeKind::Resource || (is_import && needs_name(t.kind))))
    s.named_types.insert(e.type);
  if (e.sort == Sort::Type && !is_import && needs_name(t.kind)) s.exported_types.insert(e.type);
  if (e.sort == Sort::Instance) exported_named(types_, e.type, s.named_types, s.naming_instances);
}

// An exported instance: the records, variants, enums and flags its
// functions and types use (through its nested instances too) must be
// exported by it or named here -- imported, aliased out of an imported or
// exported instance, or exported by such an instance; for a bundle made
// here, also exported by this component (its functions' types use the
// exported index; Ember's structural types cannot tell the two indices
// apart). One aliased out of a child's instance refers to the child's type,
// which a type export here does not name (the `wasmtime` package's rule).
Status Validator::records_named(const Scope& s, const Extern& e, bool aliased,
                                uint64_t offset) const {
  std::set<TypeId> own, seen, walked;  // own: the named types it exports
  std::vector<TypeId> todo = {e.type}, used;
  while (!todo.empty()) {
    TypeId inst = todo.back();
    todo.pop_back();
    if (!walked.insert(inst).second) continue;
    for (const Extern& x : types_[inst].exports->list) {
      if (x.sort == Sort::Instance) todo.push_back(x.type);
      if (x.sort != Sort::Func && x.sort != Sort::Type) continue;
      const VType& xt = types_[x.type];
      if (x.sort == Sort::Func || !needs_name(xt.kind)) {
        records_used(types_, x.type, seen, used);
        continue;
      }
      own.insert(x.type);  // an exported named type: what it refers to
      for (TypeId k : xt.kids) records_used(types_, k, seen, used);
      records_used(types_, xt.ok, seen, used);
      records_used(types_, xt.err, seen, used);
    }
  }
  for (TypeId r : used)
    if (!own.count(r) && !s.named_types.count(r) && (aliased || !s.exported_types.count(r)))
      return invalid("instance not valid to be used as export: the type of export \"" + e.name +
                         "\" refers to a record, variant, enum or flags type that has no name " +
                         "here (one needs an import, or an imported or exported instance that " +
                         "exports it)",
                     offset);
  return Status::Ok();
}

// Every resource used in the type of an export must have a name: imported
// or exported before it (here or in an enclosing scope), aliased out of an
// instance, or exported by the exported instance itself. (The explainer's
// "external visibility" asks more: see decision 47.)
Status Validator::exportable(Scope& s, const Extern& e, uint64_t offset) const {
  // Functions and types: the visibility rule (Validator::visible) instead.
  if (e.type == kNoType || e.sort != Sort::Instance) return Status::Ok();
  if (s.exportable_instances.count(e.type)) return Status::Ok();
  std::set<TypeId> own, walked;  // the types needing a name the instance exports itself
  exported_named(types_, e.type, own, walked);
  auto named = [&](TypeId r) {
    if (own.count(r) || s.named_types.count(r)) return true;
    return std::any_of(scopes.begin(), scopes.end(),
                       [&](const Scope* o) { return o->named_types.count(r) > 0; });
  };
  for (const Extern& p : types_[e.type].exports->list) {
    if (p.type == kNoType) continue;
    const VType& pt = types_[p.type];
    if (pt.many_resources)
      return unsupported(
          "a type naming more than " + std::to_string(kMaxResourcesPerType) + " resource types",
          offset);
    for (TypeId r : pt.resources)
      if (!named(r))
        return invalid("the type of export \"" + e.name + "\" uses a resource type that has " +
                           "no name (neither imported nor exported before it)",
                       offset);
  }
  s.exportable_instances.insert(e.type);
  return Status::Ok();
}

// The grammar of an import or export name and of its attributes.
static Status check_name(const ExternName& n, uint64_t offset) {
  std::string problem = extern_name_problem(n.name);
  if (!problem.empty())
    return invalid("invalid import/export name \"" + n.name + "\": " + problem, offset);
  if (n.repeated_attribute) return invalid("a name attribute is given twice", offset);
  if (n.implements &&
      (n.implements->find(':') == std::string::npos || !extern_name_problem(*n.implements).empty()))
    return invalid("`implements` must be an interface name: \"" + *n.implements + "\"", offset);
  return Status::Ok();
}

// The attributes' rules: `implements` only on instances with a plain name.
static Status attribute_rules(const ExternName& n, Sort sort, uint64_t offset) {
  if (n.version_suffix) return unsupported("the `versionsuffix` name attribute", offset);
  if (n.implements && sort != Sort::Instance)
    return invalid("only instances can have an `implements` attribute", offset);
  if (n.implements && n.name.find(':') != std::string::npos)
    return invalid("name `" + n.name + "` is not valid with `implements` (a plain name is)",
                   offset);
  return Status::Ok();
}

Status Validator::name_rules(Scope& s, const ExternName& n, const Extern& e, bool is_import,
                             uint64_t offset) {
  EMBER_TRY(check_name(n, offset));
  if (!is_import) EMBER_TRY(exportable(s, e, offset));
  name_resources(s, e, is_import);
  std::set<std::string>& keys = is_import ? s.import_keys : s.export_keys;
  if (!keys.insert(unique_key(n.name)).second)
    return invalid(
        std::string("duplicate ") + (is_import ? "import" : "export") + " name \"" + n.name + "\"",
        offset);
  EMBER_TRY(attribute_rules(n, e.sort, offset));
  auto& resources = is_import ? s.import_resources : s.export_resources;
  if (e.sort == Sort::Type && types_[e.type].kind == TypeKind::Resource &&
      n.name.find(':') == std::string::npos)
    resources[n.name] = e.type;
  Annotation a = annotation(n.name);
  if (a.kind.empty()) return Status::Ok();
  if (e.sort != Sort::Func) return invalid("\"" + n.name + "\" must be a function", offset);
  auto r = resources.find(std::string(a.resource));
  if (r == resources.end())
    return invalid("\"" + n.name + "\" names no resource " + (is_import ? "imported" : "exported") +
                       " before it",
                   offset);
  const VType& f = types_[e.type];
  if (a.kind == "method") {
    bool ok = !f.kids.empty() && f.names[0] == "self" &&
              types_[f.kids[0]].kind == TypeKind::Borrow && types_[f.kids[0]].resource == r->second;
    if (!ok) return invalid("a method's first parameter must be `self: borrow<resource>`", offset);
  } else if (a.kind == "constructor") {
    TypeId res = f.ok;
    if (res != kNoType && types_[res].kind == TypeKind::Result) res = types_[res].ok;
    bool ok =
        res != kNoType && types_[res].kind == TypeKind::Own && types_[res].resource == r->second;
    if (!ok) return invalid("a constructor must return `own<resource>`", offset);
  }
  return Status::Ok();
}

// The entity an import's or export's extern type describes, in `s`.
Expected<Extern> Validator::resolve_desc(Scope& s, const ExternDesc& d, uint64_t offset) {
  Extern e;
  e.sort = d.sort;
  switch (d.sort) {
    case Sort::Value: return value_sort_unsupported(offset);
    case Sort::CoreModule: {
      EMBER_TRY(check_index(s, Sort::CoreType, d.index, offset));
      if (!s.core_types[d.index]->is_module)
        return invalid("core type " + std::to_string(d.index) + " is not a module type", offset);
      e.module = s.core_types[d.index]->module;
      return e;
    }
    case Sort::Func:
    case Sort::Component:
    case Sort::Instance: {
      TypeKind want = d.sort == Sort::Func        ? TypeKind::Func
                      : d.sort == Sort::Component ? TypeKind::Component
                                                  : TypeKind::Instance;
      EMBER_ASSIGN(e.type, type_of_sort(s, d.sort, d.index, want, offset));
      return e;
    }
    case Sort::Type:
      if (d.bound == ExternDesc::Bound::SubResource) {
        VType r;
        r.kind = TypeKind::Resource;  // abstract: owned by no component
        e.type = add_type(std::move(r));
      } else {
        EMBER_TRY(check_index(s, Sort::Type, d.index, offset));
        e.type = s.types[d.index];
      }
      return e;
    default: break;
  }
  return invalid("this sort cannot be imported or exported", offset);
}

// An import, or an import or export declarator of a component or instance
// type.
Status Validator::add_extern(Scope& s, const ExternName& name, const ExternDesc& d, bool is_import,
                             uint64_t offset) {
  EMBER_ASSIGN(Extern e, resolve_desc(s, d, offset));
  e.name = name.name;
  if (!is_import && e.type != kNoType && types_[e.type].has_borrow)
    return invalid("exported types may not contain a borrow handle", offset);
  EMBER_TRY(visible(s, d, is_import, offset));
  EMBER_TRY(name_rules(s, name, e, is_import, offset));
  Visibility vis = kAliasName;
  if (d.sort == Sort::Type || d.sort == Sort::Instance) vis = {is_import, !is_import, true, true};
  if (d.sort == Sort::Func) vis = s.type_vis[d.index];
  push_entity(s, e, vis);
  (is_import ? s.imports : s.exports).push_back(std::move(e));
  return Status::Ok();
}

Status Validator::outer_alias(const Alias& a, Scope& s) {
  if (a.instance > scopes.size())
    return invalid("outer alias count " + std::to_string(a.instance) + " out of range (" +
                       std::to_string(scopes.size()) + " enclosing scopes)",
                   a.offset);
  const Scope& target = a.instance == 0 ? s : *scopes[scopes.size() - a.instance];
  EMBER_TRY(check_index(target, a.sort, a.index, a.offset));
  if (a.sort == Sort::CoreType) {
    s.core_types.push_back(target.core_types[a.index]);
    return Status::Ok();
  }
  Extern e = entity(target, a.sort, a.index);
  Visibility vis = a.sort == Sort::Type ? target.type_vis[a.index] : kAliasName;
  bool crosses_component = s.kind == Scope::Kind::Component && a.instance > 0;
  for (uint32_t i = 1; i < a.instance; i++)
    crosses_component |= scopes[scopes.size() - i]->kind == Scope::Kind::Component;
  if (crosses_component && a.sort == Sort::Type) {
    const VType& t = types_[e.type];
    if (t.kind == TypeKind::Resource || !t.resources.empty() || t.many_resources ||
        t.outer_resources)
      return invalid("an outer alias may not bring a resource type into a component", a.offset);
  }
  if (crosses_component) vis.named_by_import = vis.named_by_export = false;
  push_entity(s, e, vis);
  return Status::Ok();
}

Status Validator::export_alias(const Alias& a, Scope& s) {
  if (a.sort == Sort::Value) return value_sort_unsupported(a.offset);
  if (a.kind == Alias::Kind::CoreExport) {
    EMBER_TRY(check_index(s, Sort::CoreInstance, a.instance, a.offset));
    const CoreInstanceInfo& inst = *s.core_instances[a.instance];
    auto it = inst.exports->find(a.name);
    if (it == inst.exports->end())
      return invalid(
          "core instance " + std::to_string(a.instance) + " has no export \"" + a.name + "\"",
          a.offset);
    if (!is_core_extern(a.sort) || core_sort(it->second.kind) != a.sort)
      return invalid("core export \"" + a.name + "\" is not a " + sort_name(a.sort), a.offset);
    add_core(s, it->second);
    return Status::Ok();
  }
  EMBER_TRY(check_index(s, Sort::Instance, a.instance, a.offset));
  const VType& inst = types_[s.instances[a.instance]];
  const Extern* e = inst.exports->find(a.name);
  if (!e)
    return invalid("instance " + std::to_string(a.instance) + " has no export \"" + a.name + "\"",
                   a.offset);
  if (e->sort != a.sort)
    return invalid("export \"" + a.name + "\" of instance " + std::to_string(a.instance) +
                       " is a " + sort_name(e->sort) + ", not a " + sort_name(a.sort),
                   a.offset);
  // What is aliased out of an imported or exported instance is named the
  // same way; out of another instance, it is not (a function then counts as
  // visible only when its type has nothing that needs a name; a resource
  // is named by any instance's export).
  const Visibility& iv = s.instance_vis[a.instance];
  if (e->sort == Sort::Type &&
      (types_[e->type].kind == TypeKind::Resource ||
       (needs_name(types_[e->type].kind) && (iv.named_by_import || iv.named_by_export))))
    s.named_types.insert(e->type);
  if (e->sort == Sort::Instance) s.aliased_instances.insert(uint32_t(s.instances.size()));
  Visibility vis{iv.named_by_import, iv.named_by_export, true, true};
  if (e->sort == Sort::Func && !iv.named_by_import && !iv.named_by_export)
    vis.clean_for_import = vis.clean_for_export = !types_[e->type].has_nominal;
  push_entity(s, *e, vis);
  return Status::Ok();
}

Status Validator::alias(const Alias& a, Scope& s) {
  return a.kind == Alias::Kind::Outer ? outer_alias(a, s) : export_alias(a, s);
}

// A nested core module: checked (module-level by default), then described
// by its imports and exports.
Status Validator::core_module(const CoreModuleDef& def, Scope& s) {
  ModuleData& m = *def.module;
  Status st = Status::Ok();
  if (check_) {
    st = check_(m);
  } else {
    st = intern_types(m, registry_);
    if (st) st = validate_module_level(m, features_, registry_);
  }
  if (!st) {
    Error e = st.take_error();
    if (e.info().offset != UINT64_MAX) e.info().offset += def.offset;
    e.info().message =
        "in core module " + std::to_string(s.modules.size()) + ": " + e.info().message;
    return e;
  }
  auto info = std::make_shared<CoreModuleInfo>();
  for (const Import& im : m.imports) {
    if (info->imports.count({im.module, im.name}))
      return invalid("duplicate import name `" + im.module + ":" + im.name + "` in core module " +
                         std::to_string(s.modules.size()),
                     def.offset);
    CoreModuleInfo::Entry e{im.module, im.name, im.kind, {}, im.table, im.memory, im.global};
    if (im.kind == ExternKind::Func && im.func_type < m.types.size())
      e.func = m.types[im.func_type];
    if (im.kind == ExternKind::Tag && im.tag_type < m.types.size()) e.func = m.types[im.tag_type];
    info->imports.emplace(std::make_pair(im.module, im.name), std::move(e));
  }
  for (const Export& ex : m.exports) {
    CoreModuleInfo::Entry e;
    e.name = ex.name;
    e.kind = ex.kind;
    switch (ex.kind) {
      case ExternKind::Func: e.func = m.func_type(ex.index); break;
      case ExternKind::Table: e.table = m.tables[ex.index]; break;
      case ExternKind::Memory: e.memory = m.memories[ex.index]; break;
      case ExternKind::Global: e.global = m.globals[ex.index].type; break;
      case ExternKind::Tag: e.func = m.types[m.tags[ex.index]]; break;
    }
    info->exports.emplace(ex.name, std::move(e));
  }
  s.modules.push_back(std::move(info));
  return Status::Ok();
}

Status Validator::core_instance(const InstanceDef& d, Scope& s) {
  auto inst = std::make_shared<CoreInstanceInfo>();
  if (!d.instantiate) {
    auto exports = std::make_shared<std::map<std::string, CoreModuleInfo::Entry>>();
    for (const InlineExport& e : d.exports) {
      if (!is_core_extern(e.item.sort))
        return invalid(std::string("a core instance cannot export a ") + sort_name(e.item.sort),
                       e.offset);
      EMBER_TRY(check_index(s, e.item.sort, e.item.index, e.offset));
      CoreModuleInfo::Entry entry = core_entry(s, e.item);
      entry.name = e.name;
      if (!exports->emplace(e.name, std::move(entry)).second)
        return invalid("duplicate core export name \"" + e.name + "\"", e.offset);
    }
    inst->exports = std::move(exports);
    s.core_instances.push_back(std::move(inst));
    return Status::Ok();
  }
  EMBER_TRY(check_index(s, Sort::CoreModule, d.of, d.offset));
  const std::shared_ptr<const CoreModuleInfo>& module = s.modules[d.of];
  std::map<std::string, const CoreInstanceInfo*> args;
  for (const InstantiateArg& a : d.args) {
    EMBER_TRY(check_index(s, Sort::CoreInstance, a.item.index, a.offset));
    if (!args.emplace(a.name, s.core_instances[a.item.index].get()).second)
      return invalid("duplicate instantiation argument \"" + a.name + "\"", a.offset);
  }
  for (const auto& [key, im] : module->imports) {
    auto arg = args.find(im.module);
    if (arg == args.end())
      return invalid("missing instantiation argument \"" + im.module + "\" (module " +
                         std::to_string(d.of) + " imports from it)",
                     d.offset);
    const auto& exports = *arg->second->exports;
    auto it = exports.find(im.name);
    if (it == exports.end() || it->second.kind != im.kind)
      return invalid("instantiation argument \"" + im.module + "\" has no " +
                         sort_name(core_sort(im.kind)) + " export \"" + im.name + "\"",
                     d.offset);
    std::string m = core_mismatch(it->second, im);
    if (!m.empty())
      return invalid("type mismatch for import \"" + im.module + "\" \"" + im.name + "\": " + m,
                     d.offset);
  }
  // The module's exports, shared (aliasing the module's information).
  inst->exports =
      std::shared_ptr<const std::map<std::string, CoreModuleInfo::Entry>>(module, &module->exports);
  s.core_instances.push_back(std::move(inst));
  return Status::Ok();
}

Status Validator::instance(const InstanceDef& d, Scope& s) {
  VType v;
  v.kind = TypeKind::Instance;
  v.imports = std::make_shared<const ExternList>(std::vector<Extern>{});
  if (!d.instantiate) {
    std::vector<Extern> exports;
    Scope names;  // for the uniqueness of the bundle's names
    for (const InlineExport& e : d.exports) {
      if (e.item.sort == Sort::Value) return value_sort_unsupported(e.offset);
      if (is_core(e.item.sort) && e.item.sort != Sort::CoreModule)
        return invalid(std::string("an instance cannot export a ") + sort_name(e.item.sort),
                       e.offset);
      EMBER_TRY(check_index(s, e.item.sort, e.item.index, e.offset));
      Extern x = entity(s, e.item.sort, e.item.index);
      x.name = e.name;
      EMBER_TRY(check_name(e.attributes, e.offset));
      EMBER_TRY(attribute_rules(e.attributes, e.item.sort, e.offset));
      if (!names.export_keys.insert(unique_key(e.name)).second)
        return invalid("duplicate export name \"" + e.name + "\"", e.offset);
      // A bundle names no resources, so `[constructor]`, `[method]` and
      // `[static]` functions have none to refer to (the `wasmtime`
      // package's validator refuses them however the resource is named).
      if (!annotation(e.name).kind.empty())
        return invalid("\"" + e.name + "\": resource used in function does not have a name " +
                           "in this context (a bundle of exports names no resources for " +
                           "`[constructor]`, `[method]` or `[static]` functions)",
                       e.offset);
      exports.push_back(std::move(x));
    }
    v.exports = std::make_shared<const ExternList>(std::move(exports));
    EMBER_TRY(note_effective_size(v, d.offset));
    s.add_instance(add_type(std::move(v)), Visibility{});
    return Status::Ok();
  }
  EMBER_TRY(check_index(s, Sort::Component, d.of, d.offset));
  const VType& c = types_[s.components[d.of]];
  if (c.abstract_imports)
    return unsupported("instantiating a component that imports resource types", d.offset);
  std::map<std::string, Extern> args;
  for (const InstantiateArg& a : d.args) {
    if (a.item.sort == Sort::Value) return value_sort_unsupported(a.offset);
    if (is_core(a.item.sort) && a.item.sort != Sort::CoreModule)
      return invalid(std::string("a component cannot be given a ") + sort_name(a.item.sort),
                     a.offset);
    EMBER_TRY(check_index(s, a.item.sort, a.item.index, a.offset));
    if (!args.emplace(a.name, entity(s, a.item.sort, a.item.index)).second)
      return invalid("duplicate instantiation argument \"" + a.name + "\"", a.offset);
  }
  for (const Extern& im : c.imports->list) {
    auto it = args.find(im.name);
    if (it == args.end())
      return invalid("missing instantiation argument \"" + im.name + "\"", d.offset);
    std::string m = mismatch(it->second, im, 0);
    if (!m.empty()) return invalid("instantiation argument \"" + im.name + "\": " + m, d.offset);
  }
  v.exports = c.exports;
  EMBER_TRY(note_effective_size(v, d.offset));
  s.add_instance(add_type(std::move(v)), Visibility{});
  return Status::Ok();
}

// A nested component definition: a scope of its own inside `s`.
Status Validator::nested_component(const ComponentData& c, Scope& outer) {
  Scope s;
  s.kind = Scope::Kind::Component;
  s.id = new_scope_id();
  scopes.push_back(&outer);
  Status st = component(c, s);
  scopes.pop_back();
  EMBER_TRY(std::move(st));
  VType v;
  v.kind = TypeKind::Component;
  v.abstract_imports = imports_abstract_resources(s.imports);
  v.imports = std::make_shared<const ExternList>(std::move(s.imports));
  v.exports = std::make_shared<const ExternList>(std::move(s.exports));
  EMBER_TRY(note_effective_size(v, c.offset));
  outer.components.push_back(add_type(std::move(v)));
  return Status::Ok();
}

Status Validator::export_def(const ExportDef& e, Scope& s) {
  if (e.item.sort == Sort::Value) return value_sort_unsupported(e.offset);
  if (is_core(e.item.sort) && e.item.sort != Sort::CoreModule)
    return invalid(std::string("a component cannot export a ") + sort_name(e.item.sort), e.offset);
  EMBER_TRY(check_index(s, e.item.sort, e.item.index, e.offset));
  Extern x = entity(s, e.item.sort, e.item.index);
  x.name = e.name.name;
  if (e.ascribed && (e.ascribed->sort == Sort::Func || e.ascribed->sort == Sort::Type)) {
    EMBER_TRY(check_index(s, Sort::Type, e.ascribed->index, e.offset));
    if (e.ascribed->bound == ExternDesc::Bound::Index)
      EMBER_TRY(visible(s, *e.ascribed, false, e.offset));
  } else if (x.sort == Sort::Instance && types_[x.type].invisible) {
    return invalid(
        "instance not valid to be used as export: its type exports a function or "
        "type that refers to a record, variant, enum, flags or resource type "
        "through an index that was not imported or exported",
        e.offset);
  } else if (x.sort == Sort::Instance) {
    EMBER_TRY(records_named(s, x, s.aliased_instances.count(e.item.index) > 0, e.offset));
  } else if (x.sort == Sort::Func || x.sort == Sort::Type) {
    const Visibility& v =
        x.sort == Sort::Func ? s.func_vis[e.item.index] : s.type_vis[e.item.index];
    if (!v.clean_for_export)
      return invalid(std::string(sort_name(x.sort)) + " not valid to be used as export: its type " +
                         "refers to a record, variant, enum, flags or resource type through an " +
                         "index that was not imported or exported",
                     e.offset);
  }
  if (e.ascribed) {
    EMBER_ASSIGN(Extern want, resolve_desc(s, *e.ascribed, e.offset));
    bool fresh_resource = want.sort == Sort::Type && x.sort == Sort::Type &&
                          types_[want.type].kind == TypeKind::Resource &&
                          types_[want.type].owner == 0;
    std::string m;
    if (!fresh_resource) m = mismatch(x, want, 0);
    else if (types_[x.type].kind != TypeKind::Resource) m = "expected a resource type";
    if (!m.empty()) return invalid("export \"" + e.name.name + "\": " + m, e.offset);
    // The ascribed type is what the export shows from here on (in the
    // component's type and in the index the export adds): exports the
    // ascription leaves out are gone for a consumer.
    if (want.sort == x.sort && (x.sort == Sort::Instance || x.sort == Sort::Component))
      x.type = want.type;
    if (want.sort == x.sort && x.sort == Sort::CoreModule) x.module = want.module;
  }
  if (x.type != kNoType && types_[x.type].has_borrow)
    return invalid("exported types may not contain a borrow handle", e.offset);
  EMBER_TRY(name_rules(s, e.name, x, false, e.offset));
  bool names = x.sort == Sort::Type || x.sort == Sort::Instance;
  push_entity(s, x, Visibility{false, names, true, true});
  s.exports.push_back(std::move(x));
  return Status::Ok();
}

Status Validator::definition(const ComponentData& c, ComponentData::Item item, uint32_t i,
                             Scope& s) {
  using Item = ComponentData::Item;
  switch (item) {
    case Item::CoreModule: return core_module(c.modules[i], s);
    case Item::CoreInstance: return core_instance(c.core_instances[i], s);
    case Item::CoreType: return core_type_def(*c.core_types[i], s);
    case Item::Component: return nested_component(*c.components[i], s);
    case Item::Instance: return instance(c.instances[i], s);
    case Item::Alias: return alias(c.aliases[i], s);
    case Item::Type: return type_def(*c.types[i], s);
    case Item::Canon: return canon(c.canons[i], s);
    case Item::Start: return value_sort_unsupported(c.starts[i].offset);
    case Item::Import: {
      const ImportDef& im = c.imports[i];
      EMBER_TRY(add_extern(s, im.name, im.desc, true, im.offset));
      imports[&im] = s.imports.back();
      return Status::Ok();
    }
    case Item::Export: return export_def(c.exports[i], s);
    case Item::Value: return value_sort_unsupported(c.values[i].offset);
  }
  return Status::Ok();
}

Status Validator::component(const ComponentData& c, Scope& s) {
  for (const auto& [item, i] : c.order) EMBER_TRY(definition(c, item, i, s));
  type_spaces[&c] = s.types;
  return Status::Ok();
}

Expected<ComponentSummary> validate_component(const ComponentData& c, const FeatureSet& features,
                                              const CoreModuleCheck& check_module,
                                              std::shared_ptr<const ComponentTypes>* types) {
  Validator v(features, check_module);
  Scope top;
  top.id = v.new_scope_id();
  EMBER_TRY(v.component(c, top));
  ComponentSummary out;
  for (size_t i = 0; i < kNumSorts; i++) out.counts[i] = top.count(Sort(i));
  for (const Extern& e : top.imports) out.imports.push_back({e.name, e.sort, v.extern_text(e)});
  for (const Extern& e : top.exports) out.exports.push_back({e.name, e.sort, v.extern_text(e)});
  if (types) {
    auto keep = std::make_shared<ComponentTypes>();
    keep->lifts = std::move(v.lifts);
    keep->imports = std::move(v.imports);
    keep->exports = top.exports;
    keep->type_spaces = std::move(v.type_spaces);
    keep->types = v.take_types();
    *types = std::move(keep);
  }
  return out;
}

}  // namespace ember::comp

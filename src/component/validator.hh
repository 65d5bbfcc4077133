// The component validator's state: resolved types, scopes and their index
// spaces. Internal to src/component (validate.cc: definitions, scopes,
// aliases, imports and exports; validate_types.cc: types; validate_canon.cc:
// canonical built-ins and the ABI's flattening).
//
// Types are resolved into one arena (`Validator::types_`) as they are
// defined, so that a type refers to its parts by arena id, never by an index
// of some scope. Value and function types are interned structurally: two
// equal types get one id, so type equality is id equality and no comparison
// recurses. Every fact the canonical ABI needs (flattening, size, whether a
// string, list or borrow is inside) is computed once, from the facts of the
// parts, when a type is interned. Resource types are never interned: each
// definition or `(sub resource)` import is a type of its own.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "component/component.hh"
#include "component/validate.hh"
#include "ir/type_registry.hh"

namespace ember::comp {

using TypeId = uint32_t;
constexpr TypeId kNoType = UINT32_MAX;
constexpr size_t kMaxFlatParams = 16;
constexpr size_t kMaxFlatResults = 1;
// A type whose flattening is longer is passed through memory anyway: the
// flattening is kept up to this length only.
constexpr size_t kFlatCap = kMaxFlatParams + 1;
// The canonical ABI's bound on the size of a value type.
constexpr uint64_t kMaxValueSize = uint64_t{1} << 28;
// A type's effective size counts every part at each use (1 + its parts'),
// so that a type built by reusing one a million times over is refused as
// the `wasmtime` package's validator refuses it (its MAX_WASM_TYPE_SIZE);
// Ember's own work never grows with it (types are shared, not expanded).
constexpr uint32_t kMaxEffectiveSize = 1'000'000;
// The most distinct resource types one type may name (its handles); a type
// naming more is refused as not supported, so that no set of resources is
// copied from type to type without bound.
constexpr size_t kMaxResourcesPerType = 64;

struct CoreModuleInfo {
  struct Entry {
    std::string module, name;  // module: imports only
    ExternKind kind = ExternKind::Func;
    FuncType func;  // kind == Func, Tag
    TableType table;
    MemoryType memory;
    GlobalType global;
  };
  std::multimap<std::pair<std::string, std::string>, Entry> imports;  // by (module, name)
  std::map<std::string, Entry> exports;
};

// A core instance's exports: its own, or (an instantiation) its module's,
// shared.
// "" when core entity `have` may be given for an import of `want` (same
// kind; function and tag types equal; limits within; global types equal).
std::string core_mismatch(const CoreModuleInfo::Entry& have, const CoreModuleInfo::Entry& want);

struct CoreInstanceInfo {
  std::shared_ptr<const std::map<std::string, CoreModuleInfo::Entry>> exports;
};

struct CoreTypeInfo {
  bool is_module = false;
  FuncType func;
  std::shared_ptr<const CoreModuleInfo> module;
};

// An import or export of a component or instance type.
struct Extern {
  std::string name;
  Sort sort = Sort::Func;
  TypeId type = kNoType;                         // not for CoreModule
  std::shared_ptr<const CoreModuleInfo> module;  // CoreModule
};

// The imports or exports of a component or instance type, found by name;
// shared by every instance of the type (an instantiation copies nothing).
struct ExternList {
  std::vector<Extern> list;
  std::unordered_map<std::string, size_t> by_name;
  explicit ExternList(std::vector<Extern> v);
  const Extern* find(const std::string& name) const;
};
using ExternListPtr = std::shared_ptr<const ExternList>;

struct VType {
  TypeKind kind = TypeKind::Prim;
  Prim prim = Prim::Bool;
  std::vector<std::string> names;      // field, case, param, flag or enum labels
  std::vector<TypeId> kids;            // field, case (kNoType: none), param, tuple, list, option
  TypeId ok = kNoType, err = kNoType;  // result; a function's result
  TypeId resource = kNoType;           // own, borrow
  ExternListPtr imports, exports;      // component, instance (never null there)
  uint32_t owner = 0;             // resource: the component scope that defined it (0: abstract)
  bool abstract_imports = false;  // component: imports abstract resource types
  // Component and instance types: the smallest resource id their imports
  // and exports mention (kNoType: none). Ids grow as types are made, so a
  // resource below the type's own first id comes from outside it.
  TypeId min_resource = kNoType;
  bool outer_resources = false;  // mentions a resource from outside itself
  // Instance types: an import or export declarator broke the visibility
  // rule (checked when the type is used by an import or export).
  bool invisible = false;
  // Facts of value types.
  std::vector<ValType> flat;  // up to kFlatCap entries
  bool has_borrow = false, has_memory_data = false;
  // Value and function types: a record, variant, enum, flags or handle is
  // inside (what external visibility is about).
  bool has_nominal = false;
  // Value and function types: the resources their handles name (sorted; at
  // most kMaxResourcesPerType, `many_resources` when there were more).
  std::vector<TypeId> resources;
  bool many_resources = false;
  uint64_t size = 0;
  uint32_t align = 1;
  // Every type: its effective size (kMaxEffectiveSize above), saturated.
  uint32_t effective = 1;
};

// What the runtime keeps of a validation: the type arena (ids stay valid)
// and the function type of every `canon lift` of the component and the
// components nested in it, by definition.
struct ComponentTypes {
  std::deque<VType> types;
  std::unordered_map<const CanonDef*, TypeId> lifts;
  std::unordered_map<const ImportDef*, Extern> imports;  // what each import asks for
  std::vector<Extern> exports;                           // of the outermost component
  // Each component's type index space (the outermost and nested ones).
  std::unordered_map<const ComponentData*, std::vector<TypeId>> type_spaces;
  const VType& operator[](TypeId id) const { return types[id]; }
};

// External visibility (the explainer's rule for the types of imports and
// exports), per type or function index: how the index got a name, and
// whether every record, variant, enum, flags or resource type its
// definition refers to is referred to through a named index -- a name an
// import gave, or any name (exports may use what imports named, imports
// may not use what exports named).
struct Visibility {
  bool named_by_import = false, named_by_export = false;
  bool clean_for_import = true, clean_for_export = true;
};
// An index aliased out of an instance: named for both (its instance's
// exports name it, the "bag of exports" rule).
constexpr Visibility kAliasName{true, true, true, true};

struct Scope {
  enum class Kind : uint8_t { Component, ComponentType, InstanceType };
  Kind kind = Kind::Component;
  uint32_t id = 0;  // unique per scope (resource ownership)
  std::vector<FuncType> core_funcs;
  std::vector<TableType> core_tables;
  std::vector<MemoryType> core_memories;
  std::vector<GlobalType> core_globals;
  std::vector<FuncType> core_tags;
  std::vector<std::shared_ptr<const CoreTypeInfo>> core_types;
  std::vector<std::shared_ptr<const CoreModuleInfo>> modules;
  std::vector<std::shared_ptr<const CoreInstanceInfo>> core_instances;
  std::vector<TypeId> funcs, types, components, instances;
  std::vector<Visibility> func_vis, type_vis, instance_vis;  // parallel to those
  bool invisible = false;  // instance type scopes: see VType::invisible
  uint32_t values = 0;
  std::set<std::string> import_keys, export_keys;
  std::vector<Extern> imports, exports;
  // Resources named by imports and by exports, by label ([method]r.f and
  // such refer to those of their own kind).
  std::map<std::string, TypeId> import_resources, export_resources;
  // Resources an import, export or alias introduced so far (directly, or
  // exported by an imported or exported instance), and records, variants,
  // enums and flags imported or aliased out of (or exported by) an
  // imported or exported instance: what exported types may use.
  std::set<TypeId> named_types;
  std::set<TypeId> exported_types;  // records, variants, enums, flags exported as types
  // Instance indices made by an alias out of another instance.
  std::set<uint32_t> aliased_instances;
  // Instance types already found exportable / whose resources were named.
  std::set<TypeId> exportable_instances, naming_instances;

  uint32_t count(Sort s) const;
  void add_func(TypeId t, Visibility v) {
    funcs.push_back(t);
    func_vis.push_back(v);
  }
  void add_instance(TypeId t, Visibility v) {
    instances.push_back(t);
    instance_vis.push_back(v);
  }
  void add_type(TypeId t, Visibility v) {
    types.push_back(t);
    type_vis.push_back(v);
  }
};

[[gnu::cold]] inline Error invalid(std::string msg, uint64_t offset) {
  return Error(ErrorKind::Invalid, std::move(msg), offset);
}
[[gnu::cold]] inline Error effective_too_big(uint64_t offset) {
  return invalid("effective type size exceeds the limit of " + std::to_string(kMaxEffectiveSize) +
                     " (a type repeats its parts too many times)",
                 offset);
}

class Validator {
 public:
  Validator(const FeatureSet& f, const CoreModuleCheck& check);
  // ---- definitions (validate.cc) ----
  Status component(const ComponentData& c, Scope& s);
  Status add_extern(Scope& s, const ExternName& name, const ExternDesc& d, bool is_import,
                    uint64_t offset);
  Expected<Extern> resolve_desc(Scope& s, const ExternDesc& d, uint64_t offset);
  Status outer_alias(const Alias& a, Scope& s);
  Status export_alias(const Alias& a, Scope& s);
  Status check_index(const Scope& s, Sort sort, uint32_t index, uint64_t offset) const;
  TypeId new_scope_id() { return ++scope_ids_; }

  // ---- types (validate_types.cc) ----
  Status type_def(const TypeDef& t, Scope& s);
  Status core_type_def(const CoreTypeDef& t, Scope& s);
  Expected<TypeId> value_type(const ValTypeRef& r, const Scope& s) const;
  Expected<TypeId> type_of_sort(const Scope& s, Sort sort, uint32_t index, TypeKind want,
                                uint64_t offset) const;
  const VType& type(TypeId id) const { return types_[id]; }
  TypeId prim(Prim p) const { return TypeId(p); }
  // "" when a value of type `a` may stand where one of type `b` is expected.
  std::string mismatch(const Extern& a, const Extern& b, uint32_t depth) const;
  std::string type_text(TypeId id) const;
  std::string extern_text(const Extern& e) const;
  TypeId add_type(VType t);  // a component, instance or resource type (not interned)
  // True when these imports bring in abstract resource types (`sub
  // resource`), directly or as exports of an imported instance.
  bool imports_abstract_resources(const std::vector<Extern>& imports) const;
  // Sets a component or instance type's min_resource and outer_resources;
  // `start`: the first type id made while its declarators were checked.
  void note_resources(VType& v, TypeId start) const;
  // Sets a component or instance type's effective size from its imports
  // and exports; fails when it reaches kMaxEffectiveSize.
  Status note_effective_size(VType& v, uint64_t offset) const;

  // ---- canon (validate_canon.cc) ----
  Status canon(const CanonDef& d, Scope& s);

  std::vector<Scope*> scopes;  // the scopes around the one being validated, innermost last
  std::unordered_map<const CanonDef*, TypeId> lifts;     // canon lift -> its function type
  std::unordered_map<const ImportDef*, Extern> imports;  // import -> its type
  std::unordered_map<const ComponentData*, std::vector<TypeId>> type_spaces;
  std::deque<VType> take_types() { return std::move(types_); }

 private:
  Status definition(const ComponentData& c, ComponentData::Item item, uint32_t i, Scope& s);
  Status core_module(const CoreModuleDef& m, Scope& s);
  Status core_instance(const InstanceDef& d, Scope& s);
  Status instance(const InstanceDef& d, Scope& s);
  Status nested_component(const ComponentData& c, Scope& s);
  Status alias(const Alias& a, Scope& s);
  Status export_def(const ExportDef& e, Scope& s);
  Status exportable(Scope& s, const Extern& e, uint64_t offset) const;
  Status records_named(const Scope& s, const Extern& e, bool aliased, uint64_t offset) const;
  void name_resources(Scope& s, const Extern& e, bool is_import) const;
  Status name_rules(Scope& s, const ExternName& n, const Extern& e, bool is_import,
                    uint64_t offset);
  Status value_type_def(const TypeDef& t, Scope& s, VType& v);
  Visibility def_visibility(const TypeDef& t, const Scope& s) const;
  Status visible(Scope& s, const ExternDesc& d, bool is_import, uint64_t offset) const;
  Status func_type_def(const TypeDef& t, Scope& s, VType& v);
  Status decl_type(const TypeDef& t, Scope& s);
  TypeId intern(VType t);
  std::string text(TypeId id, uint32_t depth, uint32_t& budget) const;
  void compute_facts(VType& v) const;

  const FeatureSet& features_;
  const CoreModuleCheck& check_;
  TypeRegistry registry_;
  std::deque<VType> types_;
  std::map<std::string, TypeId> interned_;
  uint32_t scope_ids_ = 0;
  // Pairs of component/instance types found compatible (so that shared
  // parts are compared once, whatever the number of paths to them).
  mutable std::set<std::pair<TypeId, TypeId>> compatible_;
};

}  // namespace ember::comp

// The decoded form of a WebAssembly component (the component model's binary
// format, preamble `\0asm 0d 00 01 00`).
//
// Place: src/component/decoder.hh turns bytes into a `ComponentData`;
// src/component/validate.hh checks it. The structure mirrors the binary
// format: one vector per kind of definition plus `order`, the definitions in
// the order they appear, because each definition extends an index space and
// only later definitions may refer to it. Indices are kept as written; only
// the validator gives them meaning. Nested core modules are decoded eagerly
// with the core decoder (decode_module): the validator needs their imports,
// exports and function types, and decoding a module keeps function bodies
// as byte ranges, so it is cheap.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/module.hh"
#include "support/error.hh"

namespace ember::comp {

// How deeply components and component/instance/module types may nest
// (a deeper one is refused, so that no walk recurses without bound).
constexpr uint32_t kMaxNesting = 64;

// Every index space of a component scope, core and component level.
enum class Sort : uint8_t {
  CoreFunc,
  CoreTable,
  CoreMemory,
  CoreGlobal,
  CoreTag,
  CoreType,
  CoreModule,
  CoreInstance,
  Func,
  Value,
  Type,
  Component,
  Instance,
};
constexpr size_t kNumSorts = size_t(Sort::Instance) + 1;
const char* sort_name(Sort s);  // "core func", ..., "instance"
inline bool is_core(Sort s) {
  return s <= Sort::CoreInstance;
}

struct SortIdx {
  Sort sort = Sort::Func;
  uint32_t index = 0;
};

enum class Prim : uint8_t {
  Bool,
  S8,
  U8,
  S16,
  U16,
  S32,
  U32,
  S64,
  U64,
  F32,
  F64,
  Char,
  String,
  ErrorContext,
};
const char* prim_name(Prim p);

// A value type as written: a primitive, or an index into the type space.
struct ValTypeRef {
  bool is_prim = false;
  Prim prim = Prim::Bool;
  uint32_t index = 0;
  uint64_t offset = 0;
};

enum class TypeKind : uint8_t {
  Prim,
  Record,
  Variant,
  List,
  FixedList,
  Tuple,
  Flags,
  Enum,
  Option,
  Result,
  Own,
  Borrow,
  Stream,
  Future,
  Map,
  Func,
  Component,
  Instance,
  Resource,
};

// A record field, a variant case (type optional) or a function parameter.
struct Labeled {
  std::string label;
  std::optional<ValTypeRef> type;
  uint64_t offset = 0;
};

// An import or export name as written (its grammar is the validator's to
// check, names.hh); the attributes are decoded and kept.
struct ExternName {
  std::string name;
  std::optional<std::string> implements;      // (implements "...")
  std::optional<std::string> version_suffix;  // (versionsuffix "...")
  bool repeated_attribute = false;            // an attribute kind given twice
  uint64_t offset = 0;
};

// An `externtype`: the sort of an import or export and its type bound.
struct ExternDesc {
  enum class Bound : uint8_t { Index, SubResource, ValType };
  Sort sort = Sort::Func;  // CoreModule, Func, Value, Type, Component or Instance
  Bound bound = Bound::Index;
  uint32_t index = 0;  // a type index (a value index for a value `eq` bound)
  ValTypeRef val;      // Bound::ValType
};

struct Alias {
  enum class Kind : uint8_t { Export, CoreExport, Outer };
  Kind kind = Kind::Export;
  Sort sort = Sort::Func;
  uint32_t instance = 0;  // Export, CoreExport: the instance; Outer: the scope count
  uint32_t index = 0;     // Outer: the index in the target scope
  std::string name;       // Export, CoreExport
  uint64_t offset = 0;
};

struct TypeDef;
struct CoreTypeDef;

// A declarator of a component or instance type.
struct Decl {
  enum class Kind : uint8_t { CoreType, Type, Alias, Import, Export };
  Kind kind = Kind::Type;
  uint64_t offset = 0;
  std::shared_ptr<const CoreTypeDef> core_type;  // CoreType
  std::shared_ptr<const TypeDef> type;           // Type
  comp::Alias alias;                             // Alias
  ExternName name;                               // Import, Export
  ExternDesc desc;                               // Import, Export
};

// A component-level type definition.
struct TypeDef {
  TypeKind kind = TypeKind::Prim;
  uint64_t offset = 0;
  Prim prim = Prim::Bool;             // Prim
  std::vector<Labeled> fields;        // Record fields, Variant cases, Func params
  std::vector<ValTypeRef> elems;      // Tuple; List, FixedList, Option: one;
                                      // Stream, Future: zero or one; Map: two
  std::vector<std::string> labels;    // Flags, Enum
  std::optional<ValTypeRef> ok, err;  // Result; Func: `ok` is the result
  uint32_t index = 0;                 // Own, Borrow: resource type; FixedList: length
  bool async = false;                 // Func
  std::vector<Decl> decls;            // Component, Instance
  ValType rep = ValType::I32;         // Resource
  std::optional<uint32_t> dtor;       // Resource: core func index
};

// A declarator of a core module type.
struct CoreDecl {
  enum class Kind : uint8_t { Import, Type, Alias, Export };
  Kind kind = Kind::Import;
  uint64_t offset = 0;
  std::string module, name;                   // Import (module, name), Export (name)
  ExternKind extern_kind = ExternKind::Func;  // Import, Export
  uint32_t type_index = 0;                    // Import, Export of a func or tag
  TableType table;                            // Import, Export of a table
  MemoryType memory;                          // Import, Export of a memory
  GlobalType global;                          // Import, Export of a global
  std::shared_ptr<const CoreTypeDef> type;    // Type
  uint32_t outer_count = 0, outer_index = 0;  // Alias (outer, type sort)
};

// A core type: a function type or a module type.
struct CoreTypeDef {
  bool is_module = false;
  uint64_t offset = 0;
  FuncType func;                // !is_module
  std::vector<CoreDecl> decls;  // is_module
};

struct InlineExport {
  std::string name;
  SortIdx item;
  uint64_t offset = 0;
  ExternName attributes;  // component-level bundles: the name's attributes
};

struct InstantiateArg {
  std::string name;
  SortIdx item;  // core: always CoreInstance
  uint64_t offset = 0;
};

// A core instance or a component instance: an instantiation, or a bundle
// of inline exports.
struct InstanceDef {
  bool instantiate = false;
  uint32_t of = 0;  // module or component index
  std::vector<InstantiateArg> args;
  std::vector<InlineExport> exports;
  uint64_t offset = 0;
};

enum class CanonOptCode : uint8_t {
  Utf8 = 0,
  Utf16 = 1,
  Latin1Utf16 = 2,
  Memory = 3,
  Realloc = 4,
  PostReturn = 5,
  Async = 6,
  Callback = 7,
};
struct CanonOpt {
  CanonOptCode code = CanonOptCode::Utf8;
  uint32_t index = 0;  // Memory, Realloc, PostReturn, Callback
  uint64_t offset = 0;
};

// A `canon` definition. `op` is the binary opcode (0x00 lift, 0x01 lower,
// 0x02..0x04 resource.new/drop/rep, the rest the concurrency, error-context
// and thread built-ins); the immediates each form has are in the fields.
struct CanonDef {
  uint8_t op = 0;
  uint32_t func = 0;                 // lift: core func; lower: func
  uint32_t type = 0;                 // lift: func type; resource.*, stream.*, future.*: type
  uint32_t extra = 0;                // context.get/set: slot; table index; memory index
  ValType core_type = ValType::I32;  // context.get/set
  bool flag = false;                 // async?, cancel?, shared?
  std::optional<ValTypeRef> result;  // task.return
  std::vector<CanonOpt> opts;
  uint64_t offset = 0;
};
const char* canon_name(uint8_t op);  // "lift", "resource.new", ...

struct StartDef {
  uint32_t func = 0;
  std::vector<uint32_t> args;
  uint32_t results = 0;
  uint64_t offset = 0;
};

struct ImportDef {
  ExternName name;
  ExternDesc desc;
  uint64_t offset = 0;
};

struct ExportDef {
  ExternName name;
  SortIdx item;
  std::optional<ExternDesc> ascribed;
  uint64_t offset = 0;
};

struct ValueDef {
  ValTypeRef type;
  uint64_t offset = 0, size = 0;  // the encoded value's bytes
};

struct CustomSection {
  std::string name;
  uint64_t offset = 0, size = 0;  // the payload after the name
};

struct CoreModuleDef {
  std::shared_ptr<ModuleData> module;
  uint64_t offset = 0;  // of the module's preamble in the component's bytes
};

struct ComponentData {
  enum class Item : uint8_t {
    CoreModule,
    CoreInstance,
    CoreType,
    Component,
    Instance,
    Alias,
    Type,
    Canon,
    Start,
    Import,
    Export,
    Value,
  };
  std::vector<CoreModuleDef> modules;
  std::vector<InstanceDef> core_instances;
  std::vector<std::shared_ptr<const CoreTypeDef>> core_types;
  std::vector<std::unique_ptr<ComponentData>> components;
  std::vector<InstanceDef> instances;
  std::vector<Alias> aliases;
  std::vector<std::shared_ptr<const TypeDef>> types;
  std::vector<CanonDef> canons;
  std::vector<StartDef> starts;
  std::vector<ImportDef> imports;
  std::vector<ExportDef> exports;
  std::vector<ValueDef> values;
  std::vector<CustomSection> customs;
  // Every definition in binary order: its kind and index in its vector.
  std::vector<std::pair<Item, uint32_t>> order;
  uint64_t offset = 0;  // of the preamble in the outermost bytes
};

// A construct the format has that Ember does not implement yet.
[[gnu::cold]] inline Error unsupported(std::string what, uint64_t offset) {
  return Error(ErrorKind::Unsupported, std::move(what) + " is not supported yet", offset);
}

}  // namespace ember::comp

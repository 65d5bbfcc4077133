// Components at run time (pipeline: src/component decodes and validates;
// this folder instantiates and calls, on the public C++ API).
//
// A component instance is a Frame: one vector per index space, filled
// definition by definition as instantiate.cc walks the component's
// `order`. Core entities are the public API's Externs and Instances; a
// component function is a FuncImpl (a lifted core function with its
// canonical options); a component instance is the map of its exports. A
// nested component is its definition plus the frame it was defined in (for
// outer aliases). abi.cc moves values between Value trees and core values
// or linear memory, as the canonical ABI lays them out.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "component/component.hh"
#include "component/validate.hh"
#include "component/validator.hh"
#include "ember/component.hh"
#include "ember/instance.hh"
#include "ember/module.hh"
#include "ember/objects.hh"

namespace ember::component {

using comp::TypeId;

struct ComponentImpl {
  Engine engine;
  std::vector<uint8_t> bytes;  // the binary (serialize)
  std::unique_ptr<comp::ComponentData> data;
  std::shared_ptr<const comp::ComponentTypes> types;
  comp::ComponentSummary summary;
  std::unordered_map<const comp::CoreModuleDef*, Module> modules;  // compiled
  // The outermost exports: their type ids (the runtime's view of names).
  std::map<std::string, std::pair<comp::Sort, TypeId>> export_types;
};

enum class Encoding : uint8_t { Utf8, Utf16, Latin1Utf16 };

struct InstanceState;

// A resource type at run time: each instantiation of a component defines
// its own; a host type is its tag.
struct RType {
  bool host = false;
  bool builtin = false;                // a host type of Ember's own (WASI's)
  uint32_t tag = 0;                    // host types
  std::weak_ptr<InstanceState> owner;  // the defining component instance
  uint64_t store_id = 0;               // and its store (0: a host type)
  std::optional<ember::Func> dtor;     // the defining component's destructor
  Linker::HostDtor host_dtor;          // a host type's, from the linker
  // A type as reflection shows it (Type::resource_type): the validator's
  // type arena and id, equal to the same pair only.
  const void* reflected_arena = nullptr;
  uint32_t reflected_id = 0;
};
bool same_type(const RType& a, const RType& b);

// A handle the host holds (Resource). `type` is the type as the instance
// it came from knows it (so its destructor is at hand).
struct ResourceState {
  std::shared_ptr<const RType> type;
  uint32_t rep = 0;
  bool owned = false;
  bool consumed = false;
};

// One entry of a component instance's handle table.
struct Handle {
  std::shared_ptr<const RType> type;
  uint32_t rep = 0;
  bool own = false;
  bool used = false;
  uint64_t generation = 0;  // tells a reused index from the handle lent before
  uint32_t lends = 0;       // borrows of it passed to calls still running
};

// What the component model keeps per component instance: whether it may
// be entered (not while one of its exports runs, nor after a trap), and
// its resource handles (index 0 is never a handle).
struct InstanceState {
  bool may_enter = true;
  std::vector<Handle> handles = std::vector<Handle>(1);
  std::vector<uint32_t> free;
  uint64_t generations = 0;

  uint32_t insert(std::shared_ptr<const RType> type, uint32_t rep, bool own);
  // The handle at `index`, of type `type` (a trap otherwise).
  Handle& get(uint32_t index, const RType& type);
  Handle remove(uint32_t index, const RType& type);
};

// The resource types a component instance's function types name, by the
// validator's type id.
using ResourceMap = std::unordered_map<TypeId, std::shared_ptr<RType>>;

// The canonical options of a lift or lower: where values live in memory,
// and whose handle table resources go to or come from.
struct Options {
  std::optional<Memory> memory;
  std::optional<ember::Func> realloc;
  Encoding encoding = Encoding::Utf8;
  std::shared_ptr<InstanceState> state;
};

// A component function: a lifted core function, or (`host`) a function
// the linker supplied for an import.
struct FuncImpl {
  std::shared_ptr<const ComponentImpl> component;  // keeps the types alive
  TypeId type = comp::kNoType;
  std::optional<ember::Func> core;
  Options opts;
  std::optional<ember::Func> post_return;
  std::shared_ptr<InstanceState> state;
  uint64_t store_id = 0;
  HostFunc host;
  std::shared_ptr<const ResourceMap> resources;  // of the instance it came from

  const comp::ComponentTypes& types() const { return *component->types; }
  // `cx`: the calling store (for host functions).
  std::optional<Value> call(std::span<const Value> args, StoreContext cx);
  FuncType func_type() const;
};

// A linker definition: an instance of further definitions, a host
// function or a core module.
struct LinkerNode {
  enum class Kind : uint8_t { Instance, Func, Module, Resource };
  Kind kind = Kind::Instance;
  HostFunc func;
  HostFuncFactory make_func;  // define_func_per_store: `func` is empty
  std::optional<Module> module;
  std::shared_ptr<RType> resource;
  std::map<std::string, std::shared_ptr<LinkerNode>> defs;
  // An instance's answer for any function it does not define, made from
  // the function's name (WASI's functions that refuse, such as wasi:sockets).
  std::function<HostFunc(const std::string& name)> fallback;
};

struct CompDef;
struct CInstance;

// One entry of a component-level index space.
struct Item {
  comp::Sort sort = comp::Sort::Func;
  std::shared_ptr<FuncImpl> func;
  std::shared_ptr<CInstance> instance;
  std::shared_ptr<CompDef> component;
  std::optional<Module> module;
  TypeId type = comp::kNoType;      // Type sort
  std::shared_ptr<RType> resource;  // Type sort: a resource type
};

struct CInstance {
  std::map<std::string, Item> exports;
};

// A core instance: instantiated from a module, or a bundle of exports.
struct CoreInst {
  std::optional<ember::Instance> inst;
  std::map<std::string, Extern> bundle;
  std::optional<Extern> get(const std::string& name) const;
};

struct Frame {
  std::shared_ptr<Frame> parent;  // where this component was defined
  std::shared_ptr<InstanceState> state = std::make_shared<InstanceState>();
  std::vector<Extern> core[5];  // by ExternKind: funcs, tables, memories, globals, tags
  std::vector<Module> modules;
  std::vector<std::shared_ptr<CoreInst>> core_instances;
  std::vector<std::shared_ptr<FuncImpl>> funcs;
  std::vector<std::shared_ptr<CInstance>> instances;
  std::vector<std::shared_ptr<CompDef>> components;
  std::vector<TypeId> types;
  std::shared_ptr<ResourceMap> resources = std::make_shared<ResourceMap>();
  std::map<std::string, Item> args;    // a nested instantiation's imports
  const LinkerNode* linker = nullptr;  // the outermost instantiation's imports
  std::map<std::string, Item> exports;
};

struct CompDef {
  const comp::ComponentData* data = nullptr;
  std::shared_ptr<Frame> parent;  // reset once the instantiation is over (run_component)
};

struct InstanceImpl {
  std::shared_ptr<const ComponentImpl> component;
  std::shared_ptr<Frame> top;
  uint64_t store_id = 0;
};

// Runs the definitions of `def` into `frame` (instantiate.cc): a whole
// instantiation, nested components included.
void run_component(Store& store, const std::shared_ptr<const ComponentImpl>& c,
                   const comp::ComponentData& def, const std::shared_ptr<Frame>& frame);

// A core function that calls `target` through the canonical ABI with the
// lowering options `opts` (abi.cc: canon lower).
ember::Func lower_func(Store& store, std::shared_ptr<FuncImpl> target, Options opts,
                       const ember::FuncType& core_type);

// `canon resource.new`, `.drop`, `.rep` of `type` for the instance `state`
// (resources.cc); `op` is the canon opcode (0x02, 0x03, 0x04).
ember::Func resource_builtin(Store& store, uint8_t op, std::shared_ptr<RType> type,
                             std::shared_ptr<InstanceState> state);
// Runs the destructor of an owned handle's type for `rep`.
void run_dtor(const RType& type, uint32_t rep, StoreContext cx);

}  // namespace ember::component

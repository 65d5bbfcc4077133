// Components (the component model): load, instantiate, call.
//
// A Component is decoded, validated and its core modules compiled when it
// is made; it is immutable and shareable like a Module. Instantiating one
// in a Store through a Linker (which supplies its imports: host functions,
// instances of them, core modules) runs its definitions in order (core
// instances, aliases, `canon lift`/`lower`, nested components) and gives an
// Instance whose exported functions take and return component values
// (Value) through the canonical ABI. Linker::add_wasip2() supplies WASI
// 0.2 from the store's WasiConfig.
//
// Values carry no type: a Value means what the function's Type says it
// means, and a call checks each argument's shape against it (WasmError,
// kind Internal, naming the parameter, when it does not fit). Errors the
// guest makes in the canonical ABI (a string out of bounds, an invalid
// discriminant or `char`, a misaligned pointer) are Traps.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/engine.hh"
#include "ember/module.hh"
#include "ember/store.hh"

namespace ember::comp {
struct ComponentTypes;
}

namespace ember::component {

struct ComponentImpl;
struct InstanceImpl;
struct FuncImpl;

enum class TypeKind : uint8_t {
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
  List,
  Record,
  Tuple,
  Variant,
  Enum,
  Option,
  Result,
  Flags,
  Own,
  Borrow,
  Other,  // a type Ember reflects no further (streams, futures, maps)
  // Not value types: what imports and exports have.
  Func,
  Component,
  Instance,
  Resource,
};

class Type;
struct FuncType;
class ResourceType;

// An import or export of a component or instance type, with its type; a
// core module's carries the module's imports and exports instead.
struct ExternItem {
  std::string name;
  std::string sort;  // "func", "instance", "component", "core module", "type"
  std::shared_ptr<const Type> type;
  std::vector<ImportType> module_imports;
  std::vector<ExportType> module_exports;
};

// A component value type. Equal types compare equal (types are interned).
class Type {
 public:
  Type(std::shared_ptr<const comp::ComponentTypes> arena, uint32_t id)
      : arena_(std::move(arena)), id_(id) {}
  TypeKind kind() const;
  // Record field, variant case, enum and flags labels, in order.
  const std::vector<std::string>& names() const;
  // Record fields, tuple elements, variant case payloads (nullopt: a case
  // without one); a list's or option's element is child(0).
  size_t child_count() const;
  std::optional<Type> child(size_t i) const;
  std::optional<Type> ok() const;   // result
  std::optional<Type> err() const;  // result
  FuncType func() const;            // a function type's parameters and result
  // The resource type of an own, borrow or resource type, as reflection
  // sees it: equal for every use of the same resource type of this
  // component (not to the types its instances make at run time).
  ResourceType resource_type() const;
  // A component type's imports; a component or instance type's exports.
  std::vector<ExternItem> imports() const;
  std::vector<ExternItem> exports() const;
  bool operator==(const Type& o) const { return arena_ == o.arena_ && id_ == o.id_; }
  uint32_t id() const { return id_; }
  const std::shared_ptr<const comp::ComponentTypes>& arena() const { return arena_; }

 private:
  std::shared_ptr<const comp::ComponentTypes> arena_;
  uint32_t id_;
};

struct RType;
struct ResourceState;

// A resource type: defined by a component instance (each instantiation
// makes its own types), or by the host (`host(tag)`: host types with equal
// tags are the same type).
class ResourceType {
 public:
  static ResourceType host(uint32_t tag);
  bool operator==(const ResourceType& o) const;
  bool is_host() const;
  uint32_t host_tag() const;  // 0 for a type a component defined
  explicit ResourceType(std::shared_ptr<const RType> t) : t_(std::move(t)) {}
  const std::shared_ptr<const RType>& raw() const { return t_; }

 private:
  std::shared_ptr<const RType> t_;
};

// A resource handle the host holds: what an `own<R>` or `borrow<R>` value
// carries. Passing an owned handle of a component's resource into wasm (as
// an `own<R>`) moves it: the handle is consumed and cannot be used again. A
// host resource's handle is its (rep, tag) and may be passed any number of
// times.
class Resource {
 public:
  // A handle to the host resource `rep` of type ResourceType::host(tag).
  static Resource host(uint32_t rep, uint32_t tag, bool owned);
  ResourceType type() const;
  uint32_t rep() const;
  bool owned() const;
  bool consumed() const;  // moved into wasm, dropped or given up
  // Gives the handle up without running a destructor (for an embedder that
  // keeps the resource by other means).
  void give_up() const;
  // Drops the handle: an owned one runs its type's destructor (the defining
  // component's, or the host's given to Linker::define_resource); a borrowed
  // one ends the borrow. WasmError for a consumed handle.
  void drop(Store& store) const;
  explicit Resource(std::shared_ptr<ResourceState> s) : s_(std::move(s)) {}
  const std::shared_ptr<ResourceState>& raw() const { return s_; }

 private:
  std::shared_ptr<ResourceState> s_;
};

// A component value, shaped by its Type:
//   bool, integers   num (integers two's complement, sign-extended)
//   f32, f64         num holds the bits
//   char             num holds the Unicode scalar value
//   string           bytes holds UTF-8
//   list<u8>         bytes holds the elements; other lists: items
//   record, tuple    items, one per field or element
//   variant          num is the case index; items its payload (0 or 1)
//   enum             num is the case index
//   option           num 0 none, 1 some; items the payload
//   result           num 0 ok, 1 error; items the payload (0 or 1)
//   flags            num: bit i set when flag i is
//   own, borrow      resource
struct Value {
  uint64_t num = 0;
  std::string bytes;
  std::vector<Value> items;
  std::shared_ptr<ResourceState> resource;

  static Value of(uint64_t n) { return Value{n, {}, {}, {}}; }
  static Value of_string(std::string s) { return Value{0, std::move(s), {}, {}}; }
  static Value of_items(std::vector<Value> v, uint64_t n = 0) {
    return Value{n, {}, std::move(v), {}};
  }
  static Value of_resource(const Resource& r) { return Value{0, {}, {}, r.raw()}; }
  bool operator==(const Value& o) const = default;
};

struct FuncType {
  std::vector<std::pair<std::string, Type>> params;
  std::optional<Type> result;
};

// What a component imports or exports, by name.
struct ExternInfo {
  std::string name;
  std::string sort;  // "func", "instance", "component", "core module", "type"
  std::string type;  // its type as text
};

class Component {
 public:
  // From the binary format (WasmError: Malformed, Invalid or Unsupported;
  // a core module's bytes are refused as not a component).
  static Component from_binary(const Engine& engine, std::span<const uint8_t> bytes);
  static bool is_component(std::span<const uint8_t> bytes);
  // From the text format, `(component ...)` (WasmError, Malformed with a
  // line:column, for text that does not parse; then as from_binary).
  static Component from_text(const Engine& engine, std::string_view text);
  // The binary form of component text (WasmError, Malformed).
  static std::vector<uint8_t> text_to_binary(std::string_view text);
  // The serialized form: the component binary behind a magic number and a
  // checksum (a component compiles in a fraction of a second, so machine
  // code is not kept). deserialize() refuses anything else with WasmError
  // (Malformed) and validates the binary again.
  std::vector<uint8_t> serialize() const;
  static Component deserialize(const Engine& engine, std::span<const uint8_t> blob);

  std::vector<ExternInfo> imports() const;
  std::vector<ExternInfo> exports() const;
  // The same with their types.
  std::vector<ExternItem> import_items() const;
  std::vector<ExternItem> export_items() const;
  // The sort ("func", "instance", ...) of export `name` of the instance
  // exported at `path` (the outermost component when empty); nullopt when
  // there is no such export.
  std::optional<std::string> export_sort(std::span<const std::string> path,
                                         std::string_view name) const;
  const Engine& engine() const;
  const std::shared_ptr<const ComponentImpl>& raw() const { return impl_; }

 private:
  explicit Component(std::shared_ptr<const ComponentImpl> i) : impl_(std::move(i)) {}
  std::shared_ptr<const ComponentImpl> impl_;
};

class Func {
 public:
  // Calls with `args` (one per parameter) and returns the result, if the
  // type has one. Throws Trap for a trap (also the canonical ABI's), and
  // WasmError (Internal) when an argument does not fit its parameter's
  // type, when the instance is still inside a call or waits for
  // post_return(), or when the store is not the instance's.
  std::optional<Value> call(Store& store, std::span<const Value> args) const;
  // Runs the function's `post-return` (if any) for the last call's result;
  // calling it when no call waits for it does nothing.
  void post_return(Store& store) const;
  FuncType type() const;
  explicit Func(std::shared_ptr<FuncImpl> f) : impl_(std::move(f)) {}

 private:
  std::shared_ptr<FuncImpl> impl_;
};

// The calling store, as a host function or a host destructor sees it
// (valid for that call only).
class StoreContext {
 public:
  explicit StoreContext(rt::StoreData* store) : store_(store) {}
  void* data() const;  // the store's Store::data()
  rt::StoreData* raw() const { return store_; }

 private:
  rt::StoreData* store_;
};

// A host function: called with the arguments its import's type says
// (`type`), it returns the result (nullopt when the type has none). An
// exception it throws leaves the instance that called it unenterable and
// reaches the embedder unchanged.
using HostFunc = std::function<std::optional<Value>(StoreContext cx, const FuncType& type,
                                                    std::span<const Value> args)>;

// A host function made for each store: the linker calls it when an
// instantiation in store `cx` needs the definition (once for each import
// it satisfies there), so that what the function refers to can belong to
// that store. (A language binding keeps its callables in the store this
// way, where its garbage collector can see them.) It runs on the thread
// instantiating.
using HostFuncFactory = std::function<HostFunc(StoreContext cx)>;

struct LinkerNode;

// Definitions for a component's imports, by name: a tree whose inner nodes
// are instances. `path` names an instance defined before (empty: the root).
class Linker {
 public:
  explicit Linker(const Engine& engine);
  // Each throws WasmError (Internal) when `path` names no instance, or when
  // `name` is defined already and shadowing is not allowed.
  void define_instance(std::span<const std::string> path, const std::string& name);
  void define_func(std::span<const std::string> path, const std::string& name, HostFunc f);
  void define_func_per_store(std::span<const std::string> path, const std::string& name,
                             HostFuncFactory make);
  // Visits the factory of each define_func_per_store definition that this
  // linker alone holds (a definition in a subtree that a copy of this
  // linker shares is not visited).
  void for_each_host_factory(const std::function<void(const HostFuncFactory&)>& visit) const;
  void define_module(std::span<const std::string> path, const std::string& name, const Module& m);
  // A host resource type (`type` must be a host type) for a component's
  // `(sub resource)` import; `dtor` runs when an owned handle of it is
  // dropped, with the calling store and the representation.
  using HostDtor = std::function<void(StoreContext cx, uint32_t rep)>;
  void define_resource(std::span<const std::string> path, const std::string& name,
                       const ResourceType& type, HostDtor dtor);
  // Defines every import of `c` this linker lacks as a stand-in: a
  // function that traps when called ("unknown import: `name` has not been
  // defined"), an instance of stand-ins, a resource type of its own.
  void define_unknown_imports_as_traps(const Component& c);
  // Defines WASI 0.2 (wasi:io, wasi:cli, wasi:clocks, wasi:random,
  // wasi:filesystem; wasi:sockets refuses every operation with an error) at
  // version 0.2.9, which every 0.2.x import finds. Its functions use the
  // calling store's WASI context (ember::set_wasi: stdio, arguments,
  // environment, preopened directories); calling one in a store without
  // one fails with WasmError. `wasi:cli/exit` ends the call with a Trap of
  // TrapCode::Exit and the exit status. Functions it does not implement
  // return their `unsupported` error, or trap when they have none.
  void add_wasip2();
  // Defines wasi:http/types and wasi:http/outgoing-handler (0.2.9; any
  // 0.2.x import finds them): a guest builds requests and sends them with
  // HTTP/1.1 (https over TLS with the system's roots, when Ember was built
  // with OpenSSL), each on a thread of its own, at most 64 at a time per
  // store; response bodies are read as fast as the guest consumes them.
  // The server side (incoming-request, response-outparam,
  // outgoing-response) traps. Uses the calling store's WASI context, like
  // add_wasip2(), which it needs beside it.
  void add_wasi_http();
  void allow_shadowing(bool allow) { shadowing_ = allow; }
  const Engine& engine() const { return engine_; }
  const std::shared_ptr<LinkerNode>& root() const { return root_; }

 private:
  LinkerNode& node(std::span<const std::string> path) const;
  void define(std::span<const std::string> path, const std::string& name,
              std::shared_ptr<LinkerNode> def);
  Engine engine_;
  std::shared_ptr<LinkerNode> root_;
  bool shadowing_ = false;
};

class Instance {
 public:
  // Instantiates `component` in `store` with imports from `linker`
  // (WasmError, Unlinkable, naming the first import it cannot satisfy); a
  // trap while core instances start is a Trap.
  static Instance instantiate(Store& store, const Component& component, const Linker& linker);
  // The same with an empty linker.
  static Instance instantiate(Store& store, const Component& component);

  // The exported function `name` of the instance exported at `path` (the
  // outermost instance when `path` is empty); nullopt when there is none
  // or it is not a function.
  std::optional<Func> get_func(std::span<const std::string> path, std::string_view name) const;
  // True when `path` names an exported (nested) instance.
  bool has_instance(std::span<const std::string> path) const;
  explicit Instance(std::shared_ptr<InstanceImpl> i) : impl_(std::move(i)) {}

 private:
  std::shared_ptr<InstanceImpl> impl_;
};

}  // namespace ember::component

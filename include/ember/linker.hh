// Linker: resolves a module's imports by (module, name).
//
// A definition is either an extern of one store (define, define_instance)
// or store-independent: a host function (func_new), the WASI preview1
// functions (define_wasi), stand-ins for unknown imports. A store-independent
// definition becomes a Func of each store that needs it (instantiate, get,
// get_default), made once per store and definition and kept by the store,
// so a long-lived Linker serving many stores holds nothing of any of them.
//
// Redefining a name throws WasmError "import of `m::n` defined twice" unless
// shadowing is allowed. instantiate() throws WasmError (Unlinkable) naming
// the first import that has no definition or whose type does not match. An
// extern defined from one store and used in another is refused by store id,
// without touching the extern, so a store that is gone cannot be reached
// through the linker.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/instance.hh"
#include "ember/module.hh"
#include "ember/objects.hh"

namespace ember {

class InstancePre;

// Makes the callback of a host function for one store
// (Linker::func_new_per_store).
using HostCallbackFactory = std::function<HostCallback()>;

class Linker {
 public:
  explicit Linker(const Engine& engine);
  const Engine& engine() const { return engine_; }

  void allow_shadowing(bool on) { shadowing_ = on; }
  void define(std::string_view module, std::string_view name, const Extern& item);
  // Defines every export of `instance` under the module name `module`.
  void define_instance(std::string_view module, const Instance& instance);
  // A host function for every store (see above).
  void func_new(std::string_view module, std::string_view name, const FuncType& type,
                HostCallback callback);
  // The same, with a callback of its own in each store: `make` runs once in
  // every store the definition becomes a Func of, on the thread that makes
  // it (during instantiate, get or get_default), and that store keeps what
  // it returns. For an embedder that must know which store holds what its
  // callbacks refer to (the Python package: each store holds its own
  // reference to the Python callable, which its garbage collector sees).
  void func_new_per_store(std::string_view module, std::string_view name, const FuncType& type,
                          HostCallbackFactory make);
  // Visits `make` of every func_new_per_store definition that this linker
  // alone holds (not one an InstancePre made by it still holds too).
  void for_each_host_factory(const std::function<void(const HostCallbackFactory&)>& visit) const;
  // Defines a host function of `store` from a C++ callable (see Func::wrap).
  template <typename F>
  void func_wrap(Store& store, std::string_view module, std::string_view name, F fn) {
    define(module, name, Func::wrap(store, std::move(fn)));
  }
  // Every wasi_snapshot_preview1 function (ember/wasi.hh), per store, bound
  // to the store's current WASI context. Defines nothing when one of them is
  // already defined and shadowing is off.
  void define_wasi();
  // For every function import of `module` without a definition: a function
  // that traps "unknown import `m::n` was called".
  void define_unknown_imports_as_traps(const Module& module);
  // For every import of `module` without a definition: a function returning
  // zeros and null references, or a global (zero or null), memory, table
  // (null elements) or tag (a new one) of the imported type created in `store`.
  void define_unknown_imports_as_default_values(Store& store, const Module& module);

  // The definition as an extern of `store`; none when there is none. Throws
  // WasmError for an extern of another store.
  std::optional<Extern> get(Store& store, std::string_view module, std::string_view name) const;
  // The default function of `module` (named "" or "_start"), or a function
  // of `store` that does nothing.
  Func get_default(Store& store, std::string_view module) const;
  Instance instantiate(Store& store, const Module& module) const;
  // The imports of `module` resolved now: later definitions do not change
  // what the result instantiates.
  InstancePre instantiate_pre(const Module& module) const;

  struct Definition;  // an extern of a store, or made per store

 private:
  using Defs = std::vector<std::shared_ptr<const Definition>>;
  void insert(std::string_view module, std::string_view name,
              std::shared_ptr<const Definition> def);
  const Definition* find(std::string_view module, std::string_view name) const;
  Defs resolve(const Module& module) const;
  friend class InstancePre;

  Engine engine_;
  bool shadowing_ = false;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Definition>, std::less<>>
      items_;
};

// A module with its imports resolved by a Linker.
class InstancePre {
 public:
  const Module& module() const { return module_; }
  Instance instantiate(Store& store) const;

 private:
  friend class Linker;
  InstancePre(Module module, Linker::Defs defs)
      : module_(std::move(module)), defs_(std::move(defs)) {}
  Module module_;
  Linker::Defs defs_;
};

}  // namespace ember

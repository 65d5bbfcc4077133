// Linker: resolves a module's imports by (module, name).
//
// Definitions are Externs of one store. Redefining a name throws unless
// shadowing is allowed; instantiate() throws WasmError (Unlinkable) naming the
// first import that has no definition or whose type does not match.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ember/instance.hh"
#include "ember/module.hh"
#include "ember/objects.hh"

namespace ember {

class Linker {
 public:
  explicit Linker(const Engine& engine) : engine_(engine) {}

  void allow_shadowing(bool on) { shadowing_ = on; }
  void define(std::string_view module, std::string_view name, const Extern& item);
  // Defines every export of `instance` under the module name `module`.
  void define_instance(std::string_view module, const Instance& instance);
  // Defines a host function from a C++ callable (see Func::wrap).
  template <typename F>
  void func_wrap(Store& store, std::string_view module, std::string_view name, F fn) {
    define(module, name, Func::wrap(store, std::move(fn)));
  }

  std::optional<Extern> get(std::string_view module, std::string_view name) const;
  Instance instantiate(Store& store, const Module& module) const;

 private:
  Engine engine_;
  bool shadowing_ = false;
  std::map<std::pair<std::string, std::string>, Extern> items_;
};

}  // namespace ember

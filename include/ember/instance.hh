// Instance: a module instantiated in a store.
//
// Construction resolves nothing by name: imports are given in the order of
// Module::imports() (use Linker to resolve by name). It throws WasmError with
// kind Unlinkable for import mismatches, Exhaustion for exceeded store
// limits, and Trap when segment initialisation or the start function traps.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/module.hh"
#include "ember/objects.hh"
#include "ember/store.hh"

namespace ember {

namespace rt {
struct ModuleInst;
}

class Instance {
 public:
  // Instantiates `module` in `store`. A module of another engine is used
  // through module.for_engine(store.engine()) (WasmError if the engines are
  // configured differently).
  Instance(Store& store, const Module& module, std::span<const Extern> imports);
  Instance(rt::StoreData* s, rt::ModuleInst* i) : store_(s), inst_(i) {}

  std::optional<Extern> get_export(std::string_view name) const;
  // Every export, in the module's order.
  std::vector<std::pair<std::string, Extern>> exports() const;

  rt::StoreData* store() const { return store_; }
  rt::ModuleInst* raw() const { return inst_; }

 private:
  rt::StoreData* store_;
  rt::ModuleInst* inst_;
};

}  // namespace ember

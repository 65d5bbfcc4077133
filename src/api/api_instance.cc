// Public API: Instance and Linker.
#include "ember/linker.hh"
#include "api/api_support.hh"

namespace ember {

namespace {

rt::Extern to_rt(const Extern& e, rt::StoreData* store) {
  if (e.store() != store) throw WasmError(ErrorKind::Internal, "import comes from another store");
  return rt::Extern{e.kind(), e.raw()};
}

}  // namespace

Instance::Instance(Store& store, const Module& module, std::span<const Extern> imports)
    : store_(store.raw()), inst_(nullptr) {
  if (module.engine().raw() != store.engine().raw())
    throw WasmError(ErrorKind::Internal, "module and store belong to different engines");
  std::vector<rt::Extern> ext;
  ext.reserve(imports.size());
  for (const Extern& e : imports) ext.push_back(to_rt(e, store_));
  TrapCode trap = TrapCode::None;
  Expected<rt::ModuleInst*> inst = rt::instantiate(*store_, module.raw(), ext, &trap);
  if (!inst) api::throw_error(inst.take_error(), trap, store_);
  inst_ = *inst;
}

std::optional<Extern> Instance::get_export(std::string_view name) const {
  std::optional<rt::Extern> e = rt::find_export(*inst_, name);
  if (!e) return std::nullopt;
  return Extern(e->kind, store_, e->ptr);
}

std::vector<std::pair<std::string, Extern>> Instance::exports() const {
  std::vector<std::pair<std::string, Extern>> out;
  for (const Export& e : inst_->module->exports) {
    rt::Extern x = rt::export_extern(*inst_, e);
    out.emplace_back(e.name, Extern(x.kind, store_, x.ptr));
  }
  return out;
}

// ---- Linker ------------------------------------------------------------------

void Linker::define(std::string_view module, std::string_view name, const Extern& item) {
  auto key = std::make_pair(std::string(module), std::string(name));
  auto it = items_.find(key);
  if (it != items_.end()) {
    if (!shadowing_)
      throw WasmError(ErrorKind::Internal,
                      "import of `" + key.first + "::" + key.second + "` defined twice");
    it->second = item;
    return;
  }
  items_.emplace(std::move(key), item);
}

void Linker::define_instance(std::string_view module, const Instance& instance) {
  for (const auto& [name, ext] : instance.exports()) define(module, name, ext);
}

std::optional<Extern> Linker::get(std::string_view module, std::string_view name) const {
  auto it = items_.find(std::make_pair(std::string(module), std::string(name)));
  if (it == items_.end()) return std::nullopt;
  return it->second;
}

Instance Linker::instantiate(Store& store, const Module& module) const {
  std::vector<Extern> imports;
  for (const Import& imp : module.raw()->imports) {
    std::optional<Extern> e = get(imp.module, imp.name);
    if (!e)
      throw WasmError(ErrorKind::Unlinkable, "unknown import: `" + imp.module + "::" + imp.name +
                                                 "` has not been defined");
    imports.push_back(*e);
  }
  return Instance(store, module, imports);
}

}  // namespace ember

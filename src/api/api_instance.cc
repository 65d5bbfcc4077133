// Public API: Instance (the Linker is in api_linker.cc).
#include "ember/instance.hh"
#include "api/api_support.hh"

namespace ember {

namespace {

rt::Extern to_rt(const Extern& e, rt::StoreData* store) {
  if (e.store() != store && !e.shared_memory())
    throw WasmError(ErrorKind::Internal, "import comes from another store");
  return rt::Extern{e.kind(), e.raw()};
}

}  // namespace

Instance::Instance(Store& store, const Module& of_any_engine, std::span<const Extern> imports)
    : store_(store.raw()), inst_(nullptr) {
  Module module = of_any_engine.for_engine(store.engine());
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

}  // namespace ember

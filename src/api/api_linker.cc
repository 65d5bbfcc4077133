// Public API: Linker and InstancePre.
//
// Store-independent definitions (host functions, WASI, stand-ins for
// unknown imports) carry a process-unique id; a store keeps the Func it made
// for one in StoreData::linker_funcs under that id, so each store makes it
// once and nothing of a store stays in the linker. An id, unlike the
// definition's address, is never reused, so a store's cached Func can never
// answer for a newer definition.
#include <algorithm>
#include <atomic>

#include "ember/linker.hh"
#include "ember/wasi.hh"
#include "api/api_support.hh"

namespace ember {

namespace {
std::atomic<uint64_t> g_next_definition{1};

std::string qualified(std::string_view module, std::string_view name) {
  return std::string(module) + "::" + std::string(name);
}

Val zero(ValType t) {
  switch (t.kind()) {
    case ValKind::I32: return Val::i32(0);
    case ValKind::I64: return Val::i64(0);
    case ValKind::F32: return Val::f32_bits(0);
    case ValKind::F64: return Val::f64_bits(0);
    case ValKind::V128: return Val::v128(0, 0);
    default: break;
  }
  return Val::null(t);
}
}  // namespace

struct Linker::Definition {
  enum class Kind { Extern, Host, Wasi, Shared };
  Kind kind = Kind::Extern;
  std::optional<Extern> item;          // Kind::Extern, of the store with id `store_id`
  std::optional<SharedMemory> shared;  // Kind::Shared, of no store
  uint64_t store_id = 0;
  uint64_t id = 0;  // Kind::Host
  FuncType type;
  HostCallback callback;     // Kind::Host: shared by every store
  HostCallbackFactory make;  // Kind::Host, instead: a callback per store
  std::string wasi_name;     // Kind::Wasi

  static std::shared_ptr<Definition> host(const FuncType& type, HostCallback cb = nullptr) {
    auto d = std::make_shared<Definition>();
    d->kind = Kind::Host;
    d->id = g_next_definition.fetch_add(1, std::memory_order_relaxed);
    d->type = type;
    d->callback = std::move(cb);
    return d;
  }

  // The definition as an extern of `store`. The store check compares ids
  // before the extern is touched: its own store may be gone.
  Extern in_store(Store& store) const {
    switch (kind) {
      case Kind::Extern:
        if (store_id != store.id())
          throw WasmError(ErrorKind::Internal, "import comes from another store");
        return *item;
      case Kind::Host: {
        auto& made = store.raw()->linker_funcs;
        auto it = made.find(id);
        if (it != made.end()) return Func(store.raw(), it->second);
        Func f = Func::create(store, type, make ? make() : callback);
        made.emplace(id, f.raw());
        return f;
      }
      case Kind::Wasi: return wasi_func(store, wasi_name);
      case Kind::Shared: return Extern(*shared);
    }
    throw WasmError(ErrorKind::Internal, "bad linker definition");
  }
};

Linker::Linker(const Engine& engine) : engine_(engine) {}

void Linker::insert(std::string_view module, std::string_view name,
                    std::shared_ptr<const Definition> def) {
  auto key = std::make_pair(std::string(module), std::string(name));
  auto it = items_.find(key);
  if (it == items_.end()) {
    items_.emplace(std::move(key), std::move(def));
    return;
  }
  if (!shadowing_)
    throw WasmError(ErrorKind::Internal,
                    "import of `" + qualified(module, name) + "` defined twice");
  it->second = std::move(def);
}

const Linker::Definition* Linker::find(std::string_view module, std::string_view name) const {
  auto it = items_.find(std::make_pair(std::string(module), std::string(name)));
  return it == items_.end() ? nullptr : it->second.get();
}

void Linker::define(std::string_view module, std::string_view name, const Extern& item) {
  auto d = std::make_shared<Definition>();
  if ((d->shared = item.shared_memory())) {  // any store's, and kept alive
    d->kind = Definition::Kind::Shared;
    insert(module, name, std::move(d));
    return;
  }
  d->item = item;
  d->store_id = item.store()->id;
  insert(module, name, std::move(d));
}

void Linker::define_instance(std::string_view module, const Instance& instance) {
  for (const auto& [name, ext] : instance.exports()) define(module, name, ext);
}

void Linker::func_new(std::string_view module, std::string_view name, const FuncType& type,
                      HostCallback callback) {
  insert(module, name, Definition::host(type, std::move(callback)));
}

void Linker::func_new_per_store(std::string_view module, std::string_view name,
                                const FuncType& type, HostCallbackFactory make) {
  auto d = Definition::host(type);
  d->make = std::move(make);
  insert(module, name, std::move(d));
}

void Linker::for_each_host_factory(
    const std::function<void(const HostCallbackFactory&)>& visit) const {
  for (const auto& [key, d] : items_)
    if (d->kind == Definition::Kind::Host && d->make && d.use_count() == 1) visit(d->make);
}

void Linker::define_wasi() {
  std::vector<std::pair<std::string, FuncType>> all = wasi_imports();
  if (!shadowing_)
    for (const auto& [name, type] : all)
      if (find(kWasiModule, name))
        throw WasmError(ErrorKind::Internal,
                        "import of `" + qualified(kWasiModule, name) + "` defined twice");
  for (const auto& [name, type] : all) {
    auto d = std::make_shared<Definition>();
    d->kind = Definition::Kind::Wasi;
    d->wasi_name = name;
    insert(kWasiModule, name, std::move(d));
  }
}

void Linker::define_unknown_imports_as_traps(const Module& module) {
  for (const ImportType& imp : module.imports()) {
    if (imp.type.kind != ExternKind::Func || find(imp.module, imp.name)) continue;
    std::string message = "unknown import `" + qualified(imp.module, imp.name) + "` was called";
    insert(imp.module, imp.name,
           Definition::host(imp.type.func,
                            [message](Caller&, uint64_t*) -> void { throw Trap(message); }));
  }
}

void Linker::define_unknown_imports_as_default_values(Store& store, const Module& module) {
  for (const ImportType& imp : module.imports()) {
    if (find(imp.module, imp.name)) continue;
    const ExternType& t = imp.type;
    switch (t.kind) {
      case ExternKind::Func: {
        size_t n = 0;
        for (ValType r : t.func.results) n += slot_count(r);
        insert(imp.module, imp.name, Definition::host(t.func, [n](Caller&, uint64_t* slots) {
                 std::fill(slots, slots + n, uint64_t{0});
               }));
        break;
      }
      case ExternKind::Global:
        define(imp.module, imp.name, Global::create(store, t.global, zero(t.global.type)));
        break;
      case ExternKind::Memory:
        if (t.memory.limits.shared) {
          define(imp.module, imp.name, SharedMemory::create(engine_, t.memory));
        } else {
          define(imp.module, imp.name, Memory::create(store, t.memory));
        }
        break;
      case ExternKind::Table:
        define(imp.module, imp.name, Table::create(store, t.table, Val::null(t.table.elem)));
        break;
      case ExternKind::Tag: define(imp.module, imp.name, Tag::create(store, t.tag)); break;
    }
  }
}

std::optional<Extern> Linker::get(Store& store, std::string_view module,
                                  std::string_view name) const {
  const Definition* d = find(module, name);
  if (!d) return std::nullopt;
  return d->in_store(store);
}

Func Linker::get_default(Store& store, std::string_view module) const {
  for (std::string_view name : {std::string_view(""), std::string_view("_start")}) {
    const Definition* d = find(module, name);
    if (!d) continue;
    std::optional<Func> f = d->in_store(store).func();
    if (!f)
      throw WasmError(ErrorKind::Internal,
                      "default export of `" + std::string(module) + "` is not a function");
    return *f;
  }
  return Func::create(store, FuncType{}, [](Caller&, uint64_t*) {});
}

Linker::Defs Linker::resolve(const Module& module) const {
  Defs defs;
  for (const ImportType& imp : module.imports()) {
    auto it = items_.find(std::make_pair(imp.module, imp.name));
    if (it == items_.end())
      throw WasmError(ErrorKind::Unlinkable, "unknown import: `" + qualified(imp.module, imp.name) +
                                                 "` has not been defined");
    defs.push_back(it->second);
  }
  return defs;
}

Instance Linker::instantiate(Store& store, const Module& module) const {
  return InstancePre(module, resolve(module)).instantiate(store);
}

InstancePre Linker::instantiate_pre(const Module& module) const {
  return InstancePre(module, resolve(module));
}

Instance InstancePre::instantiate(Store& store) const {
  std::vector<Extern> imports;
  imports.reserve(defs_.size());
  for (const auto& d : defs_) imports.push_back(d->in_store(store));
  return Instance(store, module_, imports);
}

}  // namespace ember

// Public API of components (include/ember/component.hh): loading (decode,
// validate, compile the core modules), type reflection, instantiation and
// calls.
#include <algorithm>

#include "api/api_support.hh"
#include "canon/canon.hh"
#include "component/decoder.hh"
#include "compile/compile.hh"
#include "compile/module_cache.hh"
#include "runtime/store_data.hh"
#include "text/wat.hh"
#include "support/hash.hh"

namespace ember::component {
namespace {

void compile_nested(const comp::ComponentData& d, const Engine& engine, ComponentImpl& c) {
  for (const comp::CoreModuleDef& m : d.modules) c.modules.emplace(&m, Module(engine, m.module));
  for (const auto& child : d.components) compile_nested(*child, engine, c);
}

const comp::VType& vtype(const Type& t) {
  return (*t.arena())[t.id()];
}

}  // namespace

// ---- Type ------------------------------------------------------------------------

TypeKind Type::kind() const {
  const comp::VType& t = vtype(*this);
  switch (t.kind) {
    case comp::TypeKind::Prim: return TypeKind(uint8_t(t.prim));
    case comp::TypeKind::List: return TypeKind::List;
    case comp::TypeKind::Record: return TypeKind::Record;
    case comp::TypeKind::Tuple: return TypeKind::Tuple;
    case comp::TypeKind::Variant: return TypeKind::Variant;
    case comp::TypeKind::Enum: return TypeKind::Enum;
    case comp::TypeKind::Option: return TypeKind::Option;
    case comp::TypeKind::Result: return TypeKind::Result;
    case comp::TypeKind::Flags: return TypeKind::Flags;
    case comp::TypeKind::Own: return TypeKind::Own;
    case comp::TypeKind::Borrow: return TypeKind::Borrow;
    case comp::TypeKind::Func: return TypeKind::Func;
    case comp::TypeKind::Component: return TypeKind::Component;
    case comp::TypeKind::Instance: return TypeKind::Instance;
    case comp::TypeKind::Resource: return TypeKind::Resource;
    default: return TypeKind::Other;
  }
}

const std::vector<std::string>& Type::names() const {
  return vtype(*this).names;
}

size_t Type::child_count() const {
  return vtype(*this).kids.size();
}

std::optional<Type> Type::child(size_t i) const {
  const comp::VType& t = vtype(*this);
  if (i >= t.kids.size() || t.kids[i] == comp::kNoType) return std::nullopt;
  return Type(arena_, t.kids[i]);
}

ResourceType Type::resource_type() const {
  const comp::VType& t = vtype(*this);
  auto r = std::make_shared<RType>();
  r->reflected_arena = arena_.get();
  r->reflected_id = t.resource != comp::kNoType ? t.resource : id_;
  return ResourceType(std::move(r));
}

std::optional<Type> Type::ok() const {
  TypeId id = vtype(*this).ok;
  if (id == comp::kNoType) return std::nullopt;
  return Type(arena_, id);
}

std::optional<Type> Type::err() const {
  TypeId id = vtype(*this).err;
  if (id == comp::kNoType) return std::nullopt;
  return Type(arena_, id);
}

FuncType Type::func() const {
  const comp::VType& ft = vtype(*this);
  FuncType out;
  if (ft.kind != comp::TypeKind::Func) return out;
  for (size_t i = 0; i < ft.kids.size(); i++)
    out.params.emplace_back(ft.names[i], Type(arena_, ft.kids[i]));
  if (ft.ok != comp::kNoType) out.result = Type(arena_, ft.ok);
  return out;
}

static ExternItem extern_item(const std::shared_ptr<const comp::ComponentTypes>& arena,
                              const comp::Extern& e) {
  ExternItem out;
  out.name = e.name;
  out.sort = comp::sort_name(e.sort);
  if (e.type != comp::kNoType) out.type = std::make_shared<const Type>(arena, e.type);
  if (e.module) {
    auto type_of = [](const comp::CoreModuleInfo::Entry& x) {
      ExternType t;
      t.kind = x.kind;
      t.func = x.func;
      t.table = x.table;
      t.memory = x.memory;
      t.global = x.global;
      t.tag.functype = x.func;
      return t;
    };
    for (const auto& [key, x] : e.module->imports)
      out.module_imports.push_back(ImportType{key.first, key.second, type_of(x)});
    for (const auto& [name, x] : e.module->exports)
      out.module_exports.push_back(ExportType{name, type_of(x)});
  }
  return out;
}

static std::vector<ExternItem> extern_items(const std::shared_ptr<const comp::ComponentTypes>& a,
                                            const comp::ExternListPtr& list) {
  std::vector<ExternItem> out;
  if (list)
    for (const comp::Extern& e : list->list) out.push_back(extern_item(a, e));
  return out;
}

std::vector<ExternItem> Type::imports() const {
  const comp::VType& t = vtype(*this);
  return t.kind == comp::TypeKind::Component ? extern_items(arena_, t.imports)
                                             : std::vector<ExternItem>{};
}

std::vector<ExternItem> Type::exports() const {
  const comp::VType& t = vtype(*this);
  bool has = t.kind == comp::TypeKind::Component || t.kind == comp::TypeKind::Instance;
  return has ? extern_items(arena_, t.exports) : std::vector<ExternItem>{};
}

// ---- Component ---------------------------------------------------------------------

bool Component::is_component(std::span<const uint8_t> bytes) {
  return comp::is_component(bytes.data(), bytes.size());
}

Component Component::from_text(const Engine& engine, std::string_view text) {
  auto bytes = component_wat_to_wasm(text, engine.features());
  if (!bytes) throw WasmError(ErrorKind::Malformed, bytes.error().describe());
  return from_binary(engine, *bytes);
}

std::vector<uint8_t> Component::text_to_binary(std::string_view text) {
  auto bytes = component_wat_to_wasm(text);
  if (!bytes) throw WasmError(ErrorKind::Malformed, bytes.error().describe());
  return std::move(*bytes);
}

Component Component::from_binary(const Engine& engine, std::span<const uint8_t> bytes) {
  const FeatureSet& features = engine.features();
  std::vector<uint8_t> copy(bytes.begin(), bytes.end());
  if (!comp::is_component(copy))
    throw WasmError(ErrorKind::Malformed,
                    "not a WebAssembly component (a core module is loaded with Module)");
  auto data = comp::decode_component(copy, features);
  if (!data) api::throw_error(data.take_error());
  auto c = std::make_shared<ComponentImpl>(
      ComponentImpl{engine, std::move(copy), std::move(*data), {}, {}, {}, {}});
  std::shared_ptr<const comp::ComponentTypes> types;
  const rt::EngineData& e = *engine.raw();
  auto summary = comp::validate_component(
      *c->data, features, [&](ModuleData& m) { return rt::compile_decoded(m, e); }, &types);
  if (!summary) api::throw_error(summary.take_error());
  c->summary = std::move(*summary);
  c->types = std::move(types);
  compile_nested(*c->data, engine, *c);
  return Component(std::move(c));
}

namespace {
constexpr char kMagic[8] = {'\x7f', 'E', 'M', 'B', 'C', 'M', 'P', '1'};
constexpr size_t kHeader = sizeof(kMagic) + 8;  // magic, checksum of the rest
}  // namespace

std::vector<uint8_t> Component::serialize() const {
  const std::vector<uint8_t>& b = impl_->bytes;
  std::vector<uint8_t> out(kMagic, kMagic + sizeof(kMagic));
  uint64_t sum = fnv1a64(b.data(), b.size());
  for (int i = 0; i < 8; i++) out.push_back(uint8_t(sum >> (8 * i)));
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Component Component::deserialize(const Engine& engine, std::span<const uint8_t> blob) {
  if (blob.size() < kHeader || !std::equal(kMagic, kMagic + sizeof(kMagic), blob.begin()))
    throw WasmError(ErrorKind::Malformed, "not a serialized component");
  uint64_t sum = 0;
  for (int i = 0; i < 8; i++) sum |= uint64_t(blob[sizeof(kMagic) + i]) << (8 * i);
  std::span<const uint8_t> body = blob.subspan(kHeader);
  if (fnv1a64(body.data(), body.size()) != sum)
    throw WasmError(ErrorKind::Malformed, "serialized component is damaged (checksum mismatch)");
  return from_binary(engine, body);
}

std::vector<ExternInfo> Component::imports() const {
  std::vector<ExternInfo> out;
  for (const comp::ExternSummary& e : impl_->summary.imports)
    out.push_back({e.name, comp::sort_name(e.sort), e.type});
  return out;
}

std::vector<ExternInfo> Component::exports() const {
  std::vector<ExternInfo> out;
  for (const comp::ExternSummary& e : impl_->summary.exports)
    out.push_back({e.name, comp::sort_name(e.sort), e.type});
  return out;
}

std::optional<std::string> Component::export_sort(std::span<const std::string> path,
                                                  std::string_view name) const {
  const comp::ComponentTypes& T = *impl_->types;
  const std::vector<comp::Extern>* list = &T.exports;
  auto find = [&](std::string_view n) -> const comp::Extern* {
    for (const comp::Extern& e : *list)
      if (e.name == n) return &e;
    return nullptr;
  };
  for (const std::string& p : path) {
    const comp::Extern* e = find(p);
    if (!e || e->sort != comp::Sort::Instance || e->type == comp::kNoType) return std::nullopt;
    list = &T[e->type].exports->list;
  }
  const comp::Extern* e = find(name);
  if (!e) return std::nullopt;
  return std::string(comp::sort_name(e->sort));
}

std::vector<ExternItem> Component::import_items() const {
  const comp::ComponentTypes& T = *impl_->types;
  std::vector<ExternItem> out;
  for (const comp::ImportDef& im : impl_->data->imports) {
    auto it = T.imports.find(&im);
    if (it != T.imports.end()) out.push_back(extern_item(impl_->types, it->second));
  }
  return out;
}

std::vector<ExternItem> Component::export_items() const {
  std::vector<ExternItem> out;
  for (const comp::Extern& e : impl_->types->exports) out.push_back(extern_item(impl_->types, e));
  return out;
}

const Engine& Component::engine() const {
  return impl_->engine;
}

// ---- Linker ------------------------------------------------------------------------

Linker::Linker(const Engine& engine) : engine_(engine), root_(std::make_shared<LinkerNode>()) {}

LinkerNode& Linker::node(std::span<const std::string> path) const {
  LinkerNode* n = root_.get();
  for (const std::string& p : path) {
    auto it = n->defs.find(p);
    if (it == n->defs.end() || it->second->kind != LinkerNode::Kind::Instance)
      throw WasmError(ErrorKind::Internal, "linker: no instance `" + p + "` to define in");
    n = it->second.get();
  }
  return *n;
}

void Linker::define(std::span<const std::string> path, const std::string& name,
                    std::shared_ptr<LinkerNode> def) {
  LinkerNode& n = node(path);
  auto [it, fresh] = n.defs.emplace(name, def);
  if (fresh) return;
  if (!shadowing_) throw WasmError(ErrorKind::Internal, "map entry `" + name + "` defined twice");
  it->second = std::move(def);
}

void Linker::define_instance(std::span<const std::string> path, const std::string& name) {
  define(path, name, std::make_shared<LinkerNode>());
}

void Linker::define_func(std::span<const std::string> path, const std::string& name, HostFunc f) {
  auto def = std::make_shared<LinkerNode>();
  def->kind = LinkerNode::Kind::Func;
  def->func = std::move(f);
  define(path, name, std::move(def));
}

void Linker::define_func_per_store(std::span<const std::string> path, const std::string& name,
                                   HostFuncFactory make) {
  auto def = std::make_shared<LinkerNode>();
  def->kind = LinkerNode::Kind::Func;
  def->make_func = std::move(make);
  define(path, name, std::move(def));
}

namespace {
void visit_factories(const std::shared_ptr<LinkerNode>& n,
                     const std::function<void(const HostFuncFactory&)>& visit) {
  if (n.use_count() != 1) return;  // (shared with a copy of the linker)
  if (n->make_func) visit(n->make_func);
  for (const auto& [name, def] : n->defs) visit_factories(def, visit);
}
}  // namespace

void Linker::for_each_host_factory(const std::function<void(const HostFuncFactory&)>& visit) const {
  visit_factories(root_, visit);
}

void Linker::define_module(std::span<const std::string> path, const std::string& name,
                           const Module& m) {
  auto def = std::make_shared<LinkerNode>();
  def->kind = LinkerNode::Kind::Module;
  def->module = m;
  define(path, name, std::move(def));
}

// ---- Instance and Func ---------------------------------------------------------------

Instance Instance::instantiate(Store& store, const Component& component) {
  return instantiate(store, component, Linker(component.engine()));
}

Instance Instance::instantiate(Store& store, const Component& component, const Linker& linker) {
  auto impl = std::make_shared<InstanceImpl>();
  impl->component = component.raw();
  impl->top = std::make_shared<Frame>();
  impl->top->linker = linker.root().get();
  impl->store_id = store.id();
  run_component(store, impl->component, *impl->component->data, impl->top);
  return Instance(std::move(impl));
}

static const std::map<std::string, Item>* exports_at(const InstanceImpl& i,
                                                     std::span<const std::string> path) {
  const std::map<std::string, Item>* ex = &i.top->exports;
  for (const std::string& p : path) {
    auto it = ex->find(p);
    if (it == ex->end() || it->second.sort != comp::Sort::Instance) return nullptr;
    ex = &it->second.instance->exports;
  }
  return ex;
}

std::optional<Func> Instance::get_func(std::span<const std::string> path,
                                       std::string_view name) const {
  const auto* ex = exports_at(*impl_, path);
  if (!ex) return std::nullopt;
  auto it = ex->find(std::string(name));
  if (it == ex->end() || it->second.sort != comp::Sort::Func) return std::nullopt;
  return Func(it->second.func);
}

bool Instance::has_instance(std::span<const std::string> path) const {
  return exports_at(*impl_, path) != nullptr;
}

std::optional<Value> Func::call(Store& store, std::span<const Value> args) const {
  if (store.id() != impl_->store_id)
    throw WasmError(ErrorKind::Internal, "the function belongs to another store");
  return impl_->call(args, StoreContext(store.raw()));
}

void Func::post_return(Store& store) const {
  if (store.id() != impl_->store_id)
    throw WasmError(ErrorKind::Internal, "the function belongs to another store");
  // The post-return function runs as each call returns (as the `wasmtime`
  // package does since its version 40): nothing waits here.
}

FuncType Func::type() const {
  return impl_->func_type();
}

void* StoreContext::data() const {
  return store_->embedder_data;
}

FuncType FuncImpl::func_type() const {
  return Type(component->types, type).func();
}

}  // namespace ember::component

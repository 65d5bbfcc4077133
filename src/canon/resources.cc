// Resources at run time: resource types, each component instance's handle
// table, the `canon resource.new/drop/rep` built-ins, and the host's
// handles (Resource). How own and borrow values move between the host and
// wasm is abi.cc's (lift and lower).
#include <atomic>

#include "canon/canon.hh"

namespace ember::component {
namespace {

[[noreturn]] void trap(const std::string& what) {
  throw Trap(what);
}

}  // namespace

bool same_type(const RType& a, const RType& b) {
  if (a.reflected_arena)
    return a.reflected_arena == b.reflected_arena && a.reflected_id == b.reflected_id;
  return &a == &b || (a.host && b.host && a.tag == b.tag && a.builtin == b.builtin);
}

uint32_t InstanceState::insert(std::shared_ptr<const RType> type, uint32_t rep, bool own) {
  uint32_t index;
  if (!free.empty()) {
    index = free.back();
    free.pop_back();
  } else {
    if (handles.size() >= (uint32_t{1} << 28)) trap("too many resource handles");
    index = uint32_t(handles.size());
    handles.emplace_back();
  }
  handles[index] = Handle{std::move(type), rep, own, true, ++generations, 0};
  return index;
}

Handle& InstanceState::get(uint32_t index, const RType& type) {
  if (index >= handles.size() || !handles[index].used)
    trap("unknown handle index " + std::to_string(index));
  Handle& h = handles[index];
  if (!same_type(*h.type, type))
    trap("handle index " + std::to_string(index) + " used with the wrong type");
  return h;
}

Handle InstanceState::remove(uint32_t index, const RType& type) {
  Handle h = get(index, type);
  if (h.lends > 0) trap("cannot remove owned resource while borrowed");
  handles[index] = Handle{};
  free.push_back(index);
  return h;
}

void run_dtor(const RType& type, uint32_t rep, StoreContext cx) {
  if (type.dtor) {
    uint64_t slots[1] = {rep};
    type.dtor->call_raw(slots);
  } else if (type.host_dtor) {
    type.host_dtor(cx, rep);
  }
}

ember::Func resource_builtin(Store& store, uint8_t op, std::shared_ptr<RType> type,
                             std::shared_ptr<InstanceState> state) {
  using VT = ValType;
  switch (op) {
    case 0x02:  // resource.new: rep -> a new owned handle
      return ember::Func::create(store, ember::FuncType{{VT::I32}, {VT::I32}},
                                 [type, state](Caller&, uint64_t* s) {
                                   s[0] = state->insert(type, uint32_t(s[0]), true);
                                 });
    case 0x03:  // resource.drop: the handle goes; an owned one's resource too
      return ember::Func::create(store, ember::FuncType{{VT::I32}, {}},
                                 [type, state](Caller& caller, uint64_t* s) {
                                   Handle h = state->remove(uint32_t(s[0]), *type);
                                   if (h.own)
                                     run_dtor(*h.type, h.rep, StoreContext(caller.store()));
                                 });
    default:  // resource.rep
      return ember::Func::create(
          store, ember::FuncType{{VT::I32}, {VT::I32}},
          [type, state](Caller&, uint64_t* s) { s[0] = state->get(uint32_t(s[0]), *type).rep; });
  }
}

// ---- public API ----------------------------------------------------------------

ResourceType ResourceType::host(uint32_t tag) {
  auto t = std::make_shared<RType>();
  t->host = true;
  t->tag = tag;
  return ResourceType(std::move(t));
}

bool ResourceType::operator==(const ResourceType& o) const {
  return same_type(*t_, *o.t_);
}

bool ResourceType::is_host() const {
  return t_->host;
}

uint32_t ResourceType::host_tag() const {
  return t_->host ? t_->tag : 0;
}

Resource Resource::host(uint32_t rep, uint32_t tag, bool owned) {
  auto s = std::make_shared<ResourceState>();
  s->type = ResourceType::host(tag).raw();
  s->rep = rep;
  s->owned = owned;
  return Resource(std::move(s));
}

ResourceType Resource::type() const {
  return ResourceType(s_->type);
}

uint32_t Resource::rep() const {
  return s_->rep;
}

bool Resource::owned() const {
  return s_->owned;
}

bool Resource::consumed() const {
  return s_->consumed;
}

void Resource::give_up() const {
  s_->consumed = true;
}

void Resource::drop(Store& store) const {
  if (s_->type->store_id != 0 && s_->type->store_id != store.id())
    throw WasmError(ErrorKind::Internal, "resource used with the wrong store");
  if (s_->consumed)
    throw WasmError(ErrorKind::Internal, "unknown handle index: the resource was dropped or moved");
  s_->consumed = true;
  if (s_->owned) run_dtor(*s_->type, s_->rep, StoreContext(store.raw()));
}

void Linker::define_resource(std::span<const std::string> path, const std::string& name,
                             const ResourceType& type, HostDtor dtor) {
  if (!type.is_host())
    throw WasmError(ErrorKind::Internal, "only a host resource type can be defined in a linker");
  auto def = std::make_shared<LinkerNode>();
  def->kind = LinkerNode::Kind::Resource;
  def->resource = std::make_shared<RType>(*type.raw());
  def->resource->host_dtor = std::move(dtor);
  define(path, name, std::move(def));
}

namespace {

// Stand-ins for what `e` needs that `n` lacks (define_unknown_imports_as_traps).
void stand_in(const comp::ComponentTypes& T, LinkerNode& n, const comp::Extern& e,
              const std::string& path) {
  static std::atomic<uint32_t> next_tag{0x80000000u};
  auto it = n.defs.find(e.name);
  bool missing = it == n.defs.end();
  auto def = missing ? std::make_shared<LinkerNode>() : it->second;
  switch (e.sort) {
    case comp::Sort::Func:
      if (!missing) return;
      def->kind = LinkerNode::Kind::Func;
      def->func = [path](StoreContext, const FuncType&,
                         std::span<const Value>) -> std::optional<Value> {
        throw Trap("unknown import: `" + path + "` has not been defined");
      };
      break;
    case comp::Sort::Instance:
      if (def->kind != LinkerNode::Kind::Instance) return;
      for (const comp::Extern& x : T[e.type].exports->list)
        stand_in(T, *def, x, path + "#" + x.name);
      break;
    case comp::Sort::Type:
      if (!missing || T[e.type].kind != comp::TypeKind::Resource) return;
      def->kind = LinkerNode::Kind::Resource;
      def->resource = std::make_shared<RType>();
      def->resource->host = true;
      def->resource->tag = next_tag++;
      break;
    default: return;
  }
  if (missing) n.defs.emplace(e.name, std::move(def));
}

}  // namespace

void Linker::define_unknown_imports_as_traps(const Component& c) {
  const comp::ComponentTypes& T = *c.raw()->types;
  for (const comp::ImportDef& im : c.raw()->data->imports) {
    auto it = T.imports.find(&im);
    if (it != T.imports.end()) stand_in(T, *root_, it->second, it->second.name);
  }
}

}  // namespace ember::component

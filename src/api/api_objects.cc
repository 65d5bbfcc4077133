// Public API: Val, ExternRef, Func (calls and host functions), Memory, Table,
// Global, Tag, Extern and Caller.
#include <cstring>

#include "ember/objects.hh"

#include <string>

#include "ember/instance.hh"
#include "api/api_support.hh"

namespace ember {

using api::throw_trap;

// ---- ExternRef / Val ---------------------------------------------------------

ExternRef ExternRef::create(Store& store, std::shared_ptr<void> payload, uint64_t id) {
  return ExternRef(store.raw(), rt::create_extern(*store.raw(), id, std::move(payload)));
}
ExternRef::ExternRef(rt::StoreData* s, rt::ExternObj* o)
    : store_(s),
      obj_(o),
      root_(s && o ? rt::make_root(*s, rt::Slot(reinterpret_cast<uintptr_t>(o))) : nullptr) {}

const std::shared_ptr<void>& ExternRef::payload() const {
  static const std::shared_ptr<void> none;
  return is_host() ? obj_->payload : none;
}
uint64_t ExternRef::id() const {
  return is_host() ? obj_->host_id : 0;
}
bool ExternRef::is_host() const {
  return rt::is_host_extern(rt::Slot(reinterpret_cast<uintptr_t>(obj_)));
}

Val Val::funcref(const std::optional<Func>& f) {
  Val v(ValType::FuncRef, f ? reinterpret_cast<uint64_t>(f->raw()) : 0);
  v.store_ = f ? f->store() : nullptr;
  return v;
}

Val Val::externref(const std::optional<ExternRef>& r) {
  Val v(ValType::ExternRef, r ? reinterpret_cast<uint64_t>(r->raw()) : 0);
  v.store_ = r ? r->store() : nullptr;
  if (r) v.root_ = r->root();
  return v;
}

Val Val::i31ref(uint32_t x) {
  return Val(ValType::ref(HeapKind::I31, false), rt::make_i31(x));
}

bool Val::usable_in(const rt::StoreData* s) const {
  if (!is_ref(type_) || lo_ == 0 || store_ == s) return true;
  return (type_.kind() == ValKind::AnyRef || type_.kind() == ValKind::ExternRef) && rt::is_i31(lo_);
}

namespace {
// A value entering wasm of store `s`: of type `t` and of that store.
void check_entering(const Val& v, ValType t, const rt::StoreData* s, const std::string& what) {
  if (!v.matches(t)) {
    const bool null = v.type().is_ref() && v.bits() == 0;
    throw WasmError(ErrorKind::Internal,
                    what + " is " + (null ? std::string("null") : val_type_name(v.type())) +
                        ", expected " + val_type_name(t));
  }
  if (!v.usable_in(s))
    throw WasmError(ErrorKind::Internal, what + " is a reference from another store");
}
}  // namespace

Val::GcKind Val::gc_kind() const {
  if (lo_ == 0 || (type_.kind() != ValKind::AnyRef && type_.kind() != ValKind::ExternRef))
    return GcKind::Null;
  if (rt::is_i31(lo_)) return GcKind::I31;
  switch (rt::gc_obj(lo_)->type->kind) {
    case rt::ObjKind::Struct: return GcKind::Struct;
    case rt::ObjKind::Array: return GcKind::Array;
    default: return GcKind::Extern;
  }
}

std::optional<int32_t> Val::i31_s() const {
  if (gc_kind() != GcKind::I31) return std::nullopt;
  return rt::i31_get_s(lo_);
}

std::optional<uint32_t> Val::i31_u() const {
  if (gc_kind() != GcKind::I31) return std::nullopt;
  return rt::i31_get_u(lo_);
}

std::optional<Func> Val::funcref() const {
  check(ValType::FuncRef);
  if (lo_ == 0) return std::nullopt;
  auto* f = reinterpret_cast<rt::FuncInst*>(lo_);
  return Func(store_, f);
}

std::optional<ExternRef> Val::externref() const {
  check(ValType::ExternRef);
  if (lo_ == 0) return std::nullopt;
  return ExternRef(store_, reinterpret_cast<rt::ExternObj*>(lo_), root_);
}

Val Val::from_slots(ValType t, const uint64_t* slots, rt::StoreData* store) {
  Val v(t, slots[0]);
  if (t == ValType::V128) v.hi_ = slots[1];
  else if (t == ValType::I32 || t == ValType::F32) v.lo_ = uint32_t(slots[0]);
  if (is_ref(t)) v.store_ = store;
  if (store && (t.kind() == ValKind::AnyRef || t.kind() == ValKind::ExternRef))
    v.root_ = rt::make_root(*store, v.lo_);
  return v;
}

void Val::to_slots(uint64_t* slots) const {
  slots[0] = lo_;
  if (type_ == ValType::V128) slots[1] = hi_;
}

bool Val::matches(ValType t) const {
  if (type_.kind() != t.kind()) return false;
  if (!t.is_ref()) return true;
  if (lo_ == 0) return t.nullable();
  if (type_ == t) return true;
  // A non-null reference: never one of a bottom type; a function's own
  // type decides a concrete one.
  if (t.heap() == heap_bottom(t.heap())) return false;
  // Any and extern references: what the object is decides (an i31 is no
  // struct, a struct of another type fails a concrete type).
  if (t.kind() == ValKind::AnyRef || t.kind() == ValKind::ExternRef) {
    if (!t.has_index()) return rt::gc_value_is(lo_, t.heap(), nullptr);
    return store_ != nullptr && rt::gc_value_matches(*store_->engine, lo_, t);
  }
  if (!t.has_index()) return true;
  if (t.kind() != ValKind::FuncRef || store_ == nullptr) return false;
  const auto* f = reinterpret_cast<const rt::FuncInst*>(lo_);
  return store_->engine->types.is_subtype(f->type_id, t.index());
}

// The accessors ask for a representation: funcref() reads any function
// reference, `(ref $t)` included.
void Val::check(ValType want) const {
  if (type_.kind() != want.kind())
    throw WasmError(ErrorKind::Internal, std::string("value is ") + val_type_name(type_) +
                                             ", not " + val_type_name(want));
}

// ---- Caller ------------------------------------------------------------------

std::optional<Extern> Caller::get_export(std::string_view name) const {
  if (call_->caller == nullptr) return std::nullopt;
  std::optional<rt::Extern> e = rt::find_export(*call_->caller, name);
  if (!e) return std::nullopt;
  return Extern(e->kind, call_->store, e->ptr);
}
std::optional<Instance> Caller::instance() const {
  if (call_->caller == nullptr) return std::nullopt;
  return Instance(call_->store, call_->caller);
}
void* Caller::data() const {
  return call_->store->embedder_data;
}
rt::StoreData* Caller::store() const {
  return call_->store;
}

// ---- Func --------------------------------------------------------------------

namespace {

// The runtime's body of an API host function: runs the callback and turns
// what it throws into the call's trap. A named type, so that
// Func::for_each_host_callback finds the callback inside the store's HostFn.
struct HostThunk {
  HostCallback cb;

  TrapCode operator()(rt::HostCall& call, rt::Slot* slots) const {
    try {
      Caller caller(&call);
      cb(caller, slots);
      return TrapCode::None;
    } catch (const Trap& t) {
      if (t.code() == TrapCode::Exit) {
        call.store->exit_code = t.exit_code();
        return TrapCode::Exit;
      }
      // A wasm exception passing through: on into the wasm caller.
      if (const auto& x = t.thrown(); x && x->store_id == call.store->id) {
        if (rt::ExnObj* e = rt::exn_by_token(*call.store, x->index, x->generation)) {
          call.store->pending_exn = e;
          return TrapCode::Exception;
        }
      }
      call.store->host_error = std::current_exception();
      return TrapCode::HostError;
    } catch (...) {
      call.store->host_error = std::current_exception();
      return TrapCode::HostError;
    }
  }
};

}  // namespace

Func Func::create(Store& store, const FuncType& type, HostCallback callback) {
  rt::HostFn fn = HostThunk{std::move(callback)};
  return Func(store.raw(), rt::create_host_func(*store.raw(), type, std::move(fn)));
}

void Func::for_each_host_callback(const Store& store,
                                  const std::function<void(const HostCallback&)>& visit) {
  for (const rt::HostFunc& h : store.raw()->host_funcs)
    if (const HostThunk* t = h.fn.target<HostThunk>()) visit(t->cb);
}

FuncType Func::type() const {
  return *func_->type;
}
const FuncType& Func::signature() const {
  return *func_->type;
}

WasmError argument_count_error(size_t given, size_t expected) {
  return WasmError(ErrorKind::Internal, std::string(given > expected ? "too many" : "too few") +
                                            " parameters provided: given " + std::to_string(given) +
                                            ", expected " + std::to_string(expected));
}

WasmError grow_error(ExternKind kind, std::string_view amount) {
  return WasmError(ErrorKind::Exhaustion, std::string("failed to grow ") +
                                              (kind == ExternKind::Memory ? "memory" : "table") +
                                              " by `" + std::string(amount) + "`");
}

size_t Func::slot_count() const {
  return rt::call_slots(*func_->type);
}

void Func::call_raw(uint64_t* slots) const {
  TrapCode code = rt::invoke(*store_, func_, slots);
  if (code != TrapCode::None) throw_trap(*store_, code);
}

std::vector<Val> Func::call(std::span<const Val> args) const {
  const FuncType& t = *func_->type;
  if (args.size() != t.params.size()) throw argument_count_error(args.size(), t.params.size());
  std::vector<uint64_t> slots(std::max<size_t>(slot_count(), 1));
  size_t at = 0;
  for (size_t i = 0; i < args.size(); i++) {
    check_entering(args[i], t.params[i], store_, "argument " + std::to_string(i));
    args[i].to_slots(&slots[at]);
    at += ember::slot_count(t.params[i]);
  }
  call_raw(slots.data());
  std::vector<Val> results;
  results.reserve(t.results.size());
  at = 0;
  for (ValType r : t.results) {
    results.push_back(Val::from_slots(r, &slots[at], store_));
    at += ember::slot_count(r);
  }
  return results;
}

// ---- Memory ------------------------------------------------------------------

Memory Memory::create(Store& store, const MemoryType& type) {
  if (type.limits.shared)
    throw WasmError(ErrorKind::Internal, "shared memories must be created through SharedMemory");
  Expected<rt::MemoryInst*> m = rt::create_memory(*store.raw(), type);
  if (!m) api::throw_error(m.take_error());
  return Memory(store.raw(), *m);
}
MemoryType Memory::type() const {
  return rt::current_type(*mem_);
}
uint8_t* Memory::data() const {
  return mem_->base;
}
uint64_t Memory::data_size() const {
  return mem_->size;
}
uint64_t Memory::size() const {
  return mem_->size >> mem_->type.page_size_log2;
}
uint8_t Memory::page_size_log2() const {
  return mem_->type.page_size_log2;
}
uint64_t Memory::page_size() const {
  return mem_->type.page_size();
}

uint64_t Memory::grow(uint64_t delta_pages) const {
  int64_t old = rt::memory_grow(*store_, *mem_, delta_pages);
  if (old < 0) throw grow_error(ExternKind::Memory, std::to_string(delta_pages));
  return static_cast<uint64_t>(old);
}

void Memory::read(uint64_t offset, std::span<uint8_t> out) const {
  if (offset > mem_->size || out.size() > mem_->size - offset)
    throw WasmError(ErrorKind::Internal, "out of bounds memory access");
  if (!out.empty()) std::memcpy(out.data(), mem_->base + offset, out.size());
}

void Memory::write(uint64_t offset, std::span<const uint8_t> bytes) const {
  if (offset > mem_->size || bytes.size() > mem_->size - offset)
    throw WasmError(ErrorKind::Internal, "out of bounds memory access");
  if (!bytes.empty()) std::memcpy(mem_->base + offset, bytes.data(), bytes.size());
}

// ---- SharedMemory ------------------------------------------------------------

SharedMemory SharedMemory::create(const Engine& engine, const MemoryType& type) {
  if (!engine.raw()->config.shared_memory)
    throw WasmError(ErrorKind::Internal,
                    "shared memory support is disabled for this engine -- see "
                    "`Config::shared_memory`");
  if (!type.limits.shared)
    throw WasmError(ErrorKind::Internal, "a SharedMemory needs a shared memory type");
  Expected<std::shared_ptr<rt::SharedMemory>> m = rt::create_shared_memory(type);
  if (!m) api::throw_error(m.take_error());
  return SharedMemory(std::move(*m));
}
rt::MemoryInst* SharedMemory::raw() const {
  return &mem_->mem;
}
MemoryType SharedMemory::type() const {
  return rt::current_type(mem_->mem);
}
uint8_t* SharedMemory::data() const {
  return mem_->mem.base;
}
uint64_t SharedMemory::data_size() const {
  return mem_->mem.size;
}
uint64_t SharedMemory::size() const {
  return mem_->mem.size >> mem_->mem.type.page_size_log2;
}
uint64_t SharedMemory::page_size() const {
  return mem_->mem.type.page_size();
}
uint64_t SharedMemory::grow(uint64_t delta_pages) const {
  int64_t old = rt::shared_memory_grow(*mem_, delta_pages);
  if (old < 0) throw grow_error(ExternKind::Memory, std::to_string(delta_pages));
  return static_cast<uint64_t>(old);
}

// ---- Table -------------------------------------------------------------------

static void* table_ref(const TableType& t, const Val& v, const rt::StoreData* s) {
  if (!v.matches(t.elem))
    throw WasmError(ErrorKind::Internal, std::string("table holds ") + val_type_name(t.elem) +
                                             ", not " + val_type_name(v.type()));
  if (!v.usable_in(s))
    throw WasmError(ErrorKind::Internal, "table element is a reference from another store");
  return reinterpret_cast<void*>(v.bits());
}

Table Table::create(Store& store, const TableType& type, const Val& init) {
  Expected<rt::TableInst*> t =
      rt::create_table(*store.raw(), type, table_ref(type, init, store.raw()));
  if (!t) api::throw_error(t.take_error());
  return Table(store.raw(), *t);
}
TableType Table::type() const {
  return rt::current_type(*table_);
}
uint64_t Table::size() const {
  return table_->elems.size();
}

Val Table::get(uint64_t index) const {
  if (index >= table_->elems.size())
    throw WasmError(ErrorKind::Internal, "out of bounds table access");
  uint64_t slots[2] = {reinterpret_cast<uint64_t>(table_->elems[index]), 0};
  return Val::from_slots(table_->type.elem, slots, store_);
}

void Table::set(uint64_t index, const Val& v) const {
  void* ref = table_ref(table_->type, v, store_);
  if (index >= table_->elems.size())
    throw WasmError(ErrorKind::Internal, "table index out of bounds");
  table_->elems[index] = ref;
}

uint64_t Table::grow(uint64_t delta, const Val& init) const {
  int64_t old = rt::table_grow(*store_, *table_, delta, table_ref(table_->type, init, store_));
  if (old < 0) throw grow_error(ExternKind::Table, std::to_string(delta));
  return static_cast<uint64_t>(old);
}

// ---- Global ------------------------------------------------------------------

Global Global::create(Store& store, const GlobalType& type, const Val& init) {
  check_entering(init, type.type, store.raw(), "global initial value");
  uint64_t slots[2] = {};
  init.to_slots(slots);
  return Global(store.raw(), rt::create_global(*store.raw(), type, slots));
}
GlobalType Global::type() const {
  return global_->type;
}
Val Global::get() const {
  return Val::from_slots(global_->type.type, global_->value, store_);
}

void Global::set(const Val& v) const {
  if (!global_->type.mut) throw WasmError(ErrorKind::Internal, "immutable global cannot be set");
  check_entering(v, global_->type.type, store_, "global value");
  v.to_slots(global_->value);
}

// ---- Tag ---------------------------------------------------------------------

Tag Tag::create(Store& store, const TagType& type) {
  if (!type.functype.results.empty())
    throw WasmError(ErrorKind::Internal,
                    "a tag's type cannot have results, found " + type.functype.to_string());
  return Tag(store.raw(), rt::create_tag(*store.raw(), type.functype));
}
TagType Tag::type() const {
  return TagType{tag_->type};
}

// ---- Extern ------------------------------------------------------------------

Extern::Extern(const Memory& m) : kind_(ExternKind::Memory), store_(m.store()), ptr_(m.raw()) {}
Extern::Extern(const SharedMemory& m) : kind_(ExternKind::Memory), store_(nullptr), ptr_(m.raw()) {}
Extern::Extern(const Table& t) : kind_(ExternKind::Table), store_(t.store()), ptr_(t.raw()) {}
Extern::Extern(const Global& g) : kind_(ExternKind::Global), store_(g.store()), ptr_(g.raw()) {}
Extern::Extern(const Tag& t) : kind_(ExternKind::Tag), store_(t.store()), ptr_(t.raw()) {}

std::optional<Func> Extern::func() const {
  if (kind_ != ExternKind::Func) return std::nullopt;
  return Func(store_, static_cast<rt::FuncInst*>(ptr_));
}
std::optional<Memory> Extern::memory() const {
  if (kind_ != ExternKind::Memory || !store_) return std::nullopt;
  return Memory(store_, static_cast<rt::MemoryInst*>(ptr_));
}
std::optional<SharedMemory> Extern::shared_memory() const {
  if (kind_ != ExternKind::Memory) return std::nullopt;
  rt::SharedMemory* owner = static_cast<rt::MemoryInst*>(ptr_)->shared;
  if (!owner) return std::nullopt;
  return SharedMemory(owner->shared_from_this());
}
std::optional<Table> Extern::table() const {
  if (kind_ != ExternKind::Table) return std::nullopt;
  return Table(store_, static_cast<rt::TableInst*>(ptr_));
}
std::optional<Global> Extern::global() const {
  if (kind_ != ExternKind::Global) return std::nullopt;
  return Global(store_, static_cast<rt::GlobalInst*>(ptr_));
}
std::optional<Tag> Extern::tag() const {
  if (kind_ != ExternKind::Tag) return std::nullopt;
  return Tag(store_, static_cast<rt::TagInst*>(ptr_));
}

}  // namespace ember

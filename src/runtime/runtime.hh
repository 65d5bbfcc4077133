// Internal runtime API: creating store entities, linking and instantiation.
//
// Place in the pipeline: a validated + translated ModuleData comes in (from
// src/binary + src/validate), a ModuleInst inside a StoreData comes out; the
// interpreter (src/interp) then executes its functions. The public C++ API
// (include/ember), the .wast runner (src/wast) and the CLI sit on top of this.
//
// Invariants:
//  - every entity is allocated in the StoreData's deques and never freed
//    before the store, so the raw pointers handed out here stay valid;
//  - errors are returned, never thrown: linking problems are
//    ErrorKind::Unlinkable, traps during instantiation ErrorKind::Trap,
//    exceeded store limits ErrorKind::Exhaustion;
//  - no allocation is sized by an untrusted count beyond the documented caps
//    (kMaxTableElements for tables; memories are reserved, not allocated).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/store_data.hh"
#include "support/error.hh"

namespace ember::rt {

// Largest table the runtime will allocate, whatever the type allows.
constexpr uint64_t kMaxTableElements = 10'000'000;

// A reference to an entity in a store: what imports and exports are made of.
struct Extern {
  ExternKind kind = ExternKind::Func;
  void* ptr = nullptr;  // FuncInst* / TableInst* / MemoryInst* / GlobalInst* / TagInst*

  FuncInst* func() const {
    return kind == ExternKind::Func ? static_cast<FuncInst*>(ptr) : nullptr;
  }
  TableInst* table() const {
    return kind == ExternKind::Table ? static_cast<TableInst*>(ptr) : nullptr;
  }
  MemoryInst* memory() const {
    return kind == ExternKind::Memory ? static_cast<MemoryInst*>(ptr) : nullptr;
  }
  GlobalInst* global() const {
    return kind == ExternKind::Global ? static_cast<GlobalInst*>(ptr) : nullptr;
  }
  TagInst* tag() const { return kind == ExternKind::Tag ? static_cast<TagInst*>(ptr) : nullptr; }
};

// ---- entities ----------------------------------------------------------------

// A memory of type `t`, its minimum committed. Fails (Exhaustion) when the
// store's memory count or byte limit forbids it or no address space is left.
// A shared type makes a SharedMemory the store holds a reference to.
Expected<MemoryInst*> create_memory(StoreData& s, const MemoryType& t);
// A shared memory of the shared type `t`, owned by no store; `limit`: a
// byte limit for its minimum (-1 = none).
Expected<std::shared_ptr<SharedMemory>> create_shared_memory(const MemoryType& t,
                                                             int64_t limit = -1);
// A store that imports memory `m` keeps it alive when it is shared.
void adopt_shared_memory(StoreData& s, MemoryInst& m);
// A table of type `t` filled with `init` (a FuncInst*/ExternObj* or null).
Expected<TableInst*> create_table(StoreData& s, const TableType& t, void* init);
// A global holding `value` (two slots are read only for v128).
GlobalInst* create_global(StoreData& s, const GlobalType& t, const Slot* value);
// A tag of canonical type `t` (a function type without results), distinct
// from every other tag. `type_id` is its canonical id when known (a
// module's tag: its recursion group's); else `t` is interned in the engine.
TagInst* create_tag(StoreData& s, const FuncType& t, uint32_t type_id = TypeRegistry::kFull);
// A host function; its canonical type id is interned in the engine.
FuncInst* create_host_func(StoreData& s, FuncType type, HostFn fn);
// A fresh externref object.
ExternObj* create_extern(StoreData& s, uint64_t host_id, std::shared_ptr<void> payload);
// A full collection (runtime/gc.hh, collect_garbage): the GC objects and
// host externs nothing reachable holds are freed. The externs' payloads are
// moved out and returned, so the caller can forget its own references to
// them before the payloads go (a payload's destructor may run host code).
std::vector<std::shared_ptr<void>> collect_externs(StoreData& s);

// ---- exceptions (runtime/exceptions.cc) ----------------------------------------

// A new exception of `tag` carrying the tag's params from `payload`. May
// first collect unreachable exception objects: `frames` is the live part of
// the running wasm value stack, scanned conservatively (any slot equal to an
// object's address keeps it).
ExnObj* new_exn(StoreData& s, TagInst* tag, const Slot* payload, std::span<const Slot> frames);
// Frees the exception objects that nothing holds: tables, globals, element
// segments, the payloads of held exceptions, `frames` and pending_exn are
// scanned conservatively. Returns how many were freed.
size_t collect_exns(StoreData& s, std::span<const Slot> frames = {});
// The object a host-held token names, or null when it is not (or no longer)
// an exception of this store.
ExnObj* exn_by_token(StoreData& s, uint64_t index, uint64_t generation);
// "tag 0 of module `m`", "tag \"e\" ...": the tag of an uncaught exception.
std::string describe_tag(const TagInst& tag);

// The current type of an entity as import matching sees it (a table's or
// memory's minimum is its current size).
TableType current_type(const TableInst& t);
MemoryType current_type(const MemoryInst& m);

// ---- linking -----------------------------------------------------------------

// Checks that `ext` may satisfy import `imp` of module `m` (spec import
// matching: equal function/global types, limits subtyping for tables and
// memories). Error kind Unlinkable, "incompatible import type ...".
Status check_import(const ModuleData& m, const Import& imp, const Extern& ext,
                    const TypeRegistry& types);

// Instantiates `m` (decoded, validated and translated) with `imports` given in
// the order of `m->imports`. Runs element and data initialisation in spec
// order and then the start function. On a trap, returns ErrorKind::Trap with
// the spec message and stores the code in `*trap` when given; entities
// written before the trap stay written.
Expected<ModuleInst*> instantiate(StoreData& s, std::shared_ptr<const ModuleData> m,
                                  std::span<const Extern> imports, TrapCode* trap = nullptr);

// The entity an export of `inst` refers to.
Extern export_extern(const ModuleInst& inst, const Export& e);
std::optional<Extern> find_export(const ModuleInst& inst, std::string_view name);

// ---- calls -------------------------------------------------------------------

// Slots a call buffer for `t` needs: max(params, results), v128 counting two.
size_t call_slots(const FuncType& t);
// Calls `f` with arguments in slots[0..) and leaves results in slots[0..).
// A host `f` sees `caller` as the calling instance (the instance being
// initialised, for a start function; null from the embedder).
TrapCode invoke(StoreData& s, FuncInst* f, Slot* slots, ModuleInst* caller = nullptr);

// Reads the bits of a value of type `t` from/to slots (refs are pointers).
inline size_t slots_of(const std::vector<ValType>& ts) {
  size_t n = 0;
  for (ValType t : ts) n += slot_count(t);
  return n;
}

}  // namespace ember::rt

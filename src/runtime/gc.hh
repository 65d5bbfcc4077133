// GC objects: structs, arrays and host externs on one heap (decision 41).
//
// Place: src/runtime, below the interpreter's GC handlers (interp/
// dispatch_gc.inc), the instantiation of constant expressions and the
// public API's reference values. Every tier reads objects through the
// layouts here, so they are decided once.
//
// Values. Every reference of the any and extern hierarchies is one 8-byte
// slot: 0 is null; an odd value is an i31 (`(x << 1) | 1` of its low 31
// bits); any other value points at a GcObject, whose header names its kind
// (struct, array, host extern) and type. extern.convert_any and
// any.convert_extern are therefore the identity on bits, and ref.eq
// compares bits. Funcrefs (FuncInst*) and exnrefs (ExnObj*) are not GC
// objects.
//
// Types. Each canonical struct or array type gets one GcType per engine
// (GcTypes), built on first use and never freed while the engine lives: its
// field layout and its supertype display (its ancestors by depth), so a
// concrete cast is a depth compare and one load, without locks.
//
// Heap. Objects are allocated from size classes (gc_space.hh) and
// collected by a non-moving mark-sweep (gc_collect.cc) when the bytes
// allocated since the last collection exceed both 1 MiB and what survived
// it, and on Store::gc().
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "ir/type_registry.hh"
#include "ir/types.hh"
#include "runtime/gc_space.hh"

namespace ember::rt {

struct StoreData;
struct EngineData;
struct ModuleInst;
struct DataInst;
using Slot = uint64_t;

// How a field or array element is stored: packed integers, 4 or 8 bytes of
// number, a v128, or a reference (8 bytes, traced).
enum class Storage : uint8_t { I8, I16, B32, B64, V128, Ref };
Storage storage_of(const FieldType& f);
inline uint32_t storage_size(Storage s) {
  switch (s) {
    case Storage::I8: return 1;
    case Storage::I16: return 2;
    case Storage::B32: return 4;
    case Storage::V128: return 16;
    default: return 8;
  }
}

enum class ObjKind : uint8_t { Struct, Array, Extern };

struct GcField {
  uint32_t offset;  // from the object's start
  Storage storage;
};

// A struct's layout: its fields at their natural alignment (8 at most)
// after the header, in declaration order, so a subtype's fields extend its
// supertype's at the same offsets. Returns the size, header included.
uint32_t struct_layout(std::span<const FieldType> fields, std::vector<GcField>* out);

// Struct layouts by module type index, each worked out once (translation
// and the serialized-code verifier put offsets into instructions).
class StructLayouts {
 public:
  const std::vector<GcField>& of(uint32_t type, std::span<const FieldType> fields) {
    auto [it, fresh] = map_.try_emplace(type);
    if (fresh) struct_layout(fields, &it->second);
    return it->second;
  }

 private:
  std::unordered_map<uint32_t, std::vector<GcField>> map_;
};

struct GcType {
  uint32_t id = 0;  // canonical type id (unused for the extern kind)
  ObjKind kind = ObjKind::Struct;
  uint32_t size = 0;             // a struct's bytes, header included
  Storage elem = Storage::B32;   // an array's element storage
  uint32_t elem_size = 0;        // bytes per array element
  std::vector<GcField> fields;   // a struct's fields
  std::vector<uint32_t> refs;    // offsets of a struct's reference fields
  std::vector<uint32_t> traced;  // those of them in the any or extern hierarchy
  bool elem_traced = false;      // an array's elements are any or extern references
  uint32_t depth = 0;            // display[depth] == this
  std::vector<const GcType*> display;
  // Whether objects of this type are instances of `t` (t is this type or a
  // declared ancestor).
  bool is_sub(const GcType* t) const { return t->depth <= depth && display[t->depth] == t; }
};

// The header of every GC object. Arrays keep their length here; their
// elements follow at kArrayData.
struct GcObject {
  const GcType* type;
  uint32_t mark = 0;
  uint32_t length = 0;
};
constexpr uint32_t kStructData = sizeof(GcObject);
constexpr uint32_t kArrayData = sizeof(GcObject);
static_assert(sizeof(GcObject) == 16);
// The bytes a struct or array takes (its header included).
inline uint64_t object_bytes(const GcObject* o) {
  const GcType* t = o->type;
  return t->kind == ObjKind::Array ? kArrayData + uint64_t(o->length) * t->elem_size : t->size;
}

// The GcType of host externs (ExternObj derives from GcObject).
const GcType* extern_gc_type();

// The engine's GcTypes: one per canonical struct or array id.
class GcTypes {
 public:
  explicit GcTypes(const TypeRegistry& r) : reg_(r) {}
  // The GcType of canonical type `id` (a struct or array type), built on
  // first use; thread-safe, and stable for the engine's life.
  const GcType* get(uint32_t id);

 private:
  const GcType* build(uint32_t id);  // mu_ held
  const TypeRegistry& reg_;
  std::mutex mu_;
  std::unordered_map<uint32_t, std::unique_ptr<GcType>> types_;
};

// ---- values ----------------------------------------------------------------

inline bool is_i31(Slot v) {
  return v & 1;
}
inline Slot make_i31(uint32_t x) {
  return (Slot(x & 0x7fffffffu) << 1) | 1;
}
inline int32_t i31_get_s(Slot v) {
  return int32_t(uint32_t(v)) >> 1;
}
inline uint32_t i31_get_u(Slot v) {
  return uint32_t(v >> 1) & 0x7fffffffu;
}
// The object a non-null, non-i31 reference points at.
inline GcObject* gc_obj(Slot v) {
  return reinterpret_cast<GcObject*>(uintptr_t(v));
}
inline Slot gc_slot(const GcObject* o) {
  return Slot(reinterpret_cast<uintptr_t>(o));
}
// Whether slot `v` of the any/extern hierarchies holds a host extern.
inline bool is_host_extern(Slot v) {
  return v != 0 && !is_i31(v) && gc_obj(v)->type->kind == ObjKind::Extern;
}

// Whether the any-hierarchy value `v` (not null) is of heap type `t`
// (abstract, or concrete with `target` its GcType): the check of ref.test,
// ref.cast and br_on_cast for non-function targets.
bool gc_value_is(Slot v, HeapKind abstract_kind, const GcType* target);

// The same for a non-null value `v` entering wasm from the host, against a
// type `t` of the any or extern hierarchy whose concrete type is a
// canonical id of engine `e`.
bool gc_value_matches(EngineData& e, Slot v, ValType t);

// ---- objects -----------------------------------------------------------------

// Reads element/field storage at `p` into a slot (`sign`: sign-extend a
// packed integer), and writes a slot's value there (a v128 takes two slots).
inline void load_field(const uint8_t* p, Storage s, bool sign, Slot* out) {
  switch (s) {
    case Storage::I8: *out = sign ? uint32_t(int32_t(int8_t(*p))) : uint32_t(*p); return;
    case Storage::I16: {
      uint16_t x;
      std::memcpy(&x, p, 2);
      *out = sign ? uint32_t(int32_t(int16_t(x))) : uint32_t(x);
      return;
    }
    case Storage::B32: {
      uint32_t x;
      std::memcpy(&x, p, 4);
      *out = x;
      return;
    }
    case Storage::V128: std::memcpy(out, p, 16); return;
    default: std::memcpy(out, p, 8); return;
  }
}

inline void store_field(uint8_t* p, Storage s, const Slot* in) {
  switch (s) {  // little-endian: the low bytes
    case Storage::I8: *p = uint8_t(*in); return;
    case Storage::I16: std::memcpy(p, in, 2); return;
    case Storage::B32: std::memcpy(p, in, 4); return;
    case Storage::V128: std::memcpy(p, in, 16); return;
    default: std::memcpy(p, in, 8); return;
  }
}

// Allocation; null when the object cannot be made, the heap's `failure`
// saying why: AllocationTooLarge (above the per-object maximum, or the
// host is out of memory) or GcHeapOutOfMemory (the store's memory limit
// holds the heap even after a collection). Fields and elements start
// zeroed (null, 0).
GcObject* new_struct(StoreData& s, const GcType* t);
GcObject* new_array(StoreData& s, const GcType* t, uint64_t length);
inline uint8_t* array_data(GcObject* a) {
  return reinterpret_cast<uint8_t*>(a) + kArrayData;
}

// ---- operations (the interpreter's handlers and constant expressions) ------------

// ref.test: whether reference `v` (any hierarchy) is of type `target` (a
// ValType's bits; concrete types index `inst`'s module types).
bool ref_test(const ModuleInst& inst, const StoreData& s, Slot v, uint32_t target);
// struct.new from field values in slots (a v128 takes two).
TrapCode struct_new(StoreData& s, const GcType* t, const Slot* fields, Slot* out);
// array.new (every element `init`), array.new_fixed (elements from
// slots), array.new_data and array.new_elem (from a segment at `src`).
TrapCode array_new(StoreData& s, const GcType* t, uint32_t n, const Slot* init, Slot* out);
TrapCode array_new_fixed(StoreData& s, const GcType* t, uint32_t n, const Slot* elems, Slot* out);
TrapCode array_new_data(StoreData& s, const GcType* t, const DataInst& d, uint32_t src, uint32_t n,
                        Slot* out);
TrapCode array_new_elem(StoreData& s, const GcType* t, const std::vector<void*>& seg, uint32_t src,
                        uint32_t n, Slot* out);
// array.fill, array.copy, array.init_data, array.init_elem: `a` may be null.
TrapCode array_fill(Slot a, uint32_t at, const Slot* v, uint32_t n);
TrapCode array_copy(Slot dst, uint32_t at, Slot src, uint32_t from, uint32_t n);
TrapCode array_init_data(Slot a, uint32_t at, const DataInst& d, uint32_t src, uint32_t n);
TrapCode array_init_elem(Slot a, uint32_t at, const std::vector<void*>& seg, uint32_t src,
                         uint32_t n);

// The heap of a store: every object it allocated and has not collected.
struct GcHeap {
  GcSpace space;  // their memory
  std::vector<GcObject*> objects;
  uint64_t bytes = 0;            // of the objects
  uint64_t allocated_since = 0;  // bytes allocated since the last collection
  uint64_t live_after = 0;       // bytes that survived it
  uint64_t collections = 0;
  TrapCode failure = TrapCode::AllocationTooLarge;  // of the last failed allocation
  GcHeap() = default;
  GcHeap(const GcHeap&) = delete;
  GcHeap& operator=(const GcHeap&) = delete;
  ~GcHeap();
};

// A reference the host holds (a C++ Val or ExternRef): the store's
// collections treat `v` as a root while the cell lives.
struct GcRoot {
  Slot v = 0;
};
// A root for `v`; null when `v` needs none (null, an i31).
std::shared_ptr<GcRoot> make_root(StoreData& s, Slot v);

// ---- collection (gc_collect.cc) ------------------------------------------------------

// Marks from the roots (globals, tables, element segments, exception
// payloads, host roots, the store's temporary roots and, while wasm runs,
// the references its frames' stack maps list) and frees every unmarked
// struct and array. With `released`, unreachable host externs are freed
// too, their payloads moved there (the host drops them where it may run
// their destructors: Store::gc). Without, host externs all stay: an
// allocation's collection runs inside wasm, where a payload's destructor
// must not run and the host's maps of payloads to externs must not change.
void collect_garbage(StoreData& s, std::vector<std::shared_ptr<void>>* released);
// Collects (structs and arrays only) when the heap has grown enough since
// the last collection; before each allocation.
void maybe_collect(StoreData& s);

// Calls `f(slot)` for every reference slot held by a GC object of the store,
// function and exception references included (the conservative collector
// of exceptions treats them as roots).
template <class F>
void for_each_heap_ref(const GcHeap& h, F&& f) {
  for (const GcObject* o : h.objects) {
    const GcType* t = o->type;
    const uint8_t* base = reinterpret_cast<const uint8_t*>(o);
    if (t->kind == ObjKind::Struct) {
      for (uint32_t off : t->refs) {
        Slot v;
        std::memcpy(&v, base + off, 8);
        f(v);
      }
    } else if (t->kind == ObjKind::Array && t->elem == Storage::Ref) {
      for (uint32_t i = 0; i < o->length; i++) {
        Slot v;
        std::memcpy(&v, base + kArrayData + 8 * uint64_t(i), 8);
        f(v);
      }
    }
  }
}

}  // namespace ember::rt

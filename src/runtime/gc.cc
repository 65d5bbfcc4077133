// GC objects: layouts, displays, values and allocation (see gc.hh).
#include "runtime/gc.hh"

#include <cstdlib>
#include <new>

#include "runtime/store_data.hh"

namespace ember::rt {

namespace {
// No object may be larger than this (an allocation beyond it traps
// AllocationTooLarge, whatever the store's limits).
constexpr uint64_t kMaxObjectBytes = uint64_t{1} << 30;
}  // namespace

Storage storage_of(const FieldType& f) {
  if (f.packed == FieldType::I8) return Storage::I8;
  if (f.packed == FieldType::I16) return Storage::I16;
  switch (f.type.kind()) {
    case ValKind::I32:
    case ValKind::F32: return Storage::B32;
    case ValKind::I64:
    case ValKind::F64: return Storage::B64;
    case ValKind::V128: return Storage::V128;
    default: return Storage::Ref;
  }
}

uint32_t struct_layout(std::span<const FieldType> fields, std::vector<GcField>* out) {
  out->clear();
  uint32_t off = kStructData;
  for (const FieldType& f : fields) {
    const Storage s = storage_of(f);
    const uint32_t size = storage_size(s), align = size < 8 ? size : 8;
    off = (off + align - 1) / align * align;
    out->push_back({off, s});
    off += size;
  }
  return (off + 7) / 8 * 8;
}

const GcType* extern_gc_type() {
  static const GcType* t = [] {
    auto* x = new GcType;
    x->kind = ObjKind::Extern;
    x->display.push_back(x);
    return x;
  }();
  return t;
}

// ---- types ---------------------------------------------------------------------

const GcType* GcTypes::get(uint32_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return build(id);
}

const GcType* GcTypes::build(uint32_t id) {
  auto it = types_.find(id);
  if (it != types_.end()) return it->second.get();
  auto t = std::make_unique<GcType>();
  t->id = id;
  const std::vector<FieldType> fields = reg_.fields(id);
  if (reg_.kind(id) == CompKind::Array) {
    t->kind = ObjKind::Array;
    t->elem = fields.empty() ? Storage::B32 : storage_of(fields[0]);
    t->elem_size = storage_size(t->elem);
    t->elem_traced = !fields.empty() && t->elem == Storage::Ref && gc_traced(fields[0].type);
    t->size = kArrayData;
  } else {
    t->kind = ObjKind::Struct;
    t->size = struct_layout(fields, &t->fields);
    for (size_t i = 0; i < fields.size(); i++) {
      if (t->fields[i].storage != Storage::Ref) continue;
      t->refs.push_back(t->fields[i].offset);
      if (gc_traced(fields[i].type)) t->traced.push_back(t->fields[i].offset);
    }
  }
  const uint32_t super = reg_.super_of(id);
  if (super != UINT32_MAX) {
    const GcType* parent = build(super);
    t->display = parent->display;
    t->depth = parent->depth + 1;
  }
  t->display.push_back(t.get());
  const GcType* out = t.get();
  types_.emplace(id, std::move(t));
  return out;
}

// ---- values --------------------------------------------------------------------

bool gc_value_is(Slot v, HeapKind kind, const GcType* target) {
  if (target)
    return !is_i31(v) && gc_obj(v)->type->kind != ObjKind::Extern &&
           gc_obj(v)->type->is_sub(target);
  switch (kind) {
    case HeapKind::Any:
    case HeapKind::Extern: return true;
    case HeapKind::I31: return is_i31(v);
    case HeapKind::Eq: return is_i31(v) || gc_obj(v)->type->kind != ObjKind::Extern;
    case HeapKind::Struct: return !is_i31(v) && gc_obj(v)->type->kind == ObjKind::Struct;
    case HeapKind::Array: return !is_i31(v) && gc_obj(v)->type->kind == ObjKind::Array;
    default: return false;  // the bottoms hold only null
  }
}

bool gc_value_matches(EngineData& e, Slot v, ValType t) {
  if (!t.has_index()) return gc_value_is(v, t.heap(), nullptr);
  if (t.heap() != HeapKind::Struct && t.heap() != HeapKind::Array) return false;
  if (e.types.kind(t.index()) !=
      (t.heap() == HeapKind::Struct ? CompKind::Struct : CompKind::Array))
    return false;
  return gc_value_is(v, t.heap(), e.gc_types.get(t.index()));
}

// ---- allocation ------------------------------------------------------------------

namespace {
// Within the store's memory limit, if it has one, after a collection if
// need be.
bool fits_limit(StoreData& s, uint64_t bytes) {
  const int64_t limit = s.limits.memory_size;
  if (limit < 0 || s.heap.bytes + bytes <= uint64_t(limit)) return true;
  collect_garbage(s, nullptr);
  return s.heap.bytes + bytes <= uint64_t(limit);
}

GcObject* allocate(StoreData& s, const GcType* t, uint64_t bytes) {
  s.heap.failure = TrapCode::AllocationTooLarge;
  if (bytes > kMaxObjectBytes) return nullptr;
  maybe_collect(s);
  if (!fits_limit(s, bytes)) {
    s.heap.failure = TrapCode::GcHeapOutOfMemory;
    return nullptr;
  }
  void* mem = s.heap.space.allocate(bytes);
  if (!mem) return nullptr;
  auto* o = new (mem) GcObject{t, 0, 0};
  s.heap.objects.push_back(o);
  s.heap.bytes += bytes;
  s.heap.allocated_since += bytes;
  return o;
}
}  // namespace

GcObject* new_struct(StoreData& s, const GcType* t) {
  return allocate(s, t, t->size);
}

GcObject* new_array(StoreData& s, const GcType* t, uint64_t length) {
  if (length > kMaxObjectBytes) return nullptr;
  GcObject* a = allocate(s, t, kArrayData + length * t->elem_size);
  if (a) a->length = uint32_t(length);
  return a;
}

// ---- operations ------------------------------------------------------------------

bool ref_test(const ModuleInst& inst, const StoreData& s, Slot v, uint32_t target) {
  ValType t;
  if (!ValType::from_bits(target, &t)) return false;
  if (v == 0) return t.nullable();
  switch (t.kind()) {
    case ValKind::FuncRef: {
      if (!t.has_index()) return t.heap() == HeapKind::Func;
      const auto* f = reinterpret_cast<const FuncInst*>(uintptr_t(v));
      return s.engine->types.is_subtype(f->type_id, inst.module->type_ids[t.index()]);
    }
    case ValKind::ExnRef: return t.heap() == HeapKind::Exn;
    default: return gc_value_is(v, t.heap(), t.has_index() ? inst.gc_types[t.index()] : nullptr);
  }
}

namespace {
uint64_t slot_step(Storage s) {
  return s == Storage::V128 ? 2 : 1;
}
uint8_t* elem_at(GcObject* a, uint64_t i) {
  return array_data(a) + i * a->type->elem_size;
}
// Whether [at, at + n) lies within `len` elements.
bool in_range(uint64_t at, uint64_t n, uint64_t len) {
  return at <= len && n <= len - at;
}
}  // namespace

TrapCode struct_new(StoreData& s, const GcType* t, const Slot* fields, Slot* out) {
  GcObject* o = new_struct(s, t);
  if (!o) return s.heap.failure;
  uint8_t* p = reinterpret_cast<uint8_t*>(o);
  for (const GcField& f : t->fields) {
    store_field(p + f.offset, f.storage, fields);
    fields += slot_step(f.storage);
  }
  *out = gc_slot(o);
  return TrapCode::None;
}

TrapCode array_new(StoreData& s, const GcType* t, uint32_t n, const Slot* init, Slot* out) {
  GcObject* a = new_array(s, t, n);
  if (!a) return s.heap.failure;
  for (uint32_t i = 0; i < n; i++) store_field(elem_at(a, i), t->elem, init);
  *out = gc_slot(a);
  return TrapCode::None;
}

TrapCode array_new_fixed(StoreData& s, const GcType* t, uint32_t n, const Slot* elems, Slot* out) {
  GcObject* a = new_array(s, t, n);
  if (!a) return s.heap.failure;
  for (uint32_t i = 0; i < n; i++)
    store_field(elem_at(a, i), t->elem, elems + i * slot_step(t->elem));
  *out = gc_slot(a);
  return TrapCode::None;
}

TrapCode array_new_data(StoreData& s, const GcType* t, const DataInst& d, uint32_t src, uint32_t n,
                        Slot* out) {
  const uint64_t bytes = uint64_t(n) * t->elem_size;
  if (!in_range(src, bytes, d.size)) return TrapCode::MemoryOutOfBounds;
  GcObject* a = new_array(s, t, n);
  if (!a) return s.heap.failure;
  if (bytes) std::memcpy(array_data(a), d.bytes + src, bytes);
  *out = gc_slot(a);
  return TrapCode::None;
}

TrapCode array_new_elem(StoreData& s, const GcType* t, const std::vector<void*>& seg, uint32_t src,
                        uint32_t n, Slot* out) {
  if (!in_range(src, n, seg.size())) return TrapCode::TableOutOfBounds;
  GcObject* a = new_array(s, t, n);
  if (!a) return s.heap.failure;
  for (uint32_t i = 0; i < n; i++) {
    const Slot v = Slot(reinterpret_cast<uintptr_t>(seg[src + i]));
    store_field(elem_at(a, i), Storage::Ref, &v);
  }
  *out = gc_slot(a);
  return TrapCode::None;
}

TrapCode array_fill(Slot a, uint32_t at, const Slot* v, uint32_t n) {
  if (a == 0) return TrapCode::NullArrayReference;
  GcObject* o = gc_obj(a);
  if (!in_range(at, n, o->length)) return TrapCode::ArrayOutOfBounds;
  for (uint32_t i = 0; i < n; i++) store_field(elem_at(o, uint64_t(at) + i), o->type->elem, v);
  return TrapCode::None;
}

TrapCode array_copy(Slot dst, uint32_t at, Slot src, uint32_t from, uint32_t n) {
  if (dst == 0 || src == 0) return TrapCode::NullArrayReference;
  GcObject* d = gc_obj(dst);
  GcObject* s = gc_obj(src);
  if (!in_range(at, n, d->length) || !in_range(from, n, s->length))
    return TrapCode::ArrayOutOfBounds;
  if (n) std::memmove(elem_at(d, at), elem_at(s, from), uint64_t(n) * d->type->elem_size);
  return TrapCode::None;
}

TrapCode array_init_data(Slot a, uint32_t at, const DataInst& d, uint32_t src, uint32_t n) {
  if (a == 0) return TrapCode::NullArrayReference;
  GcObject* o = gc_obj(a);
  if (!in_range(at, n, o->length)) return TrapCode::ArrayOutOfBounds;
  const uint64_t bytes = uint64_t(n) * o->type->elem_size;
  if (!in_range(src, bytes, d.size)) return TrapCode::MemoryOutOfBounds;
  if (bytes) std::memcpy(elem_at(o, at), d.bytes + src, bytes);
  return TrapCode::None;
}

TrapCode array_init_elem(Slot a, uint32_t at, const std::vector<void*>& seg, uint32_t src,
                         uint32_t n) {
  if (a == 0) return TrapCode::NullArrayReference;
  GcObject* o = gc_obj(a);
  if (!in_range(at, n, o->length)) return TrapCode::ArrayOutOfBounds;
  if (!in_range(src, n, seg.size())) return TrapCode::TableOutOfBounds;
  for (uint32_t i = 0; i < n; i++) {
    const Slot v = Slot(reinterpret_cast<uintptr_t>(seg[src + i]));
    store_field(elem_at(o, uint64_t(at) + i), Storage::Ref, &v);
  }
  return TrapCode::None;
}

GcHeap::~GcHeap() {
  for (GcObject* o : objects) space.release_at_end(o, object_bytes(o));
}

}  // namespace ember::rt

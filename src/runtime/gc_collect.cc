// The collector: non-moving mark-sweep over a store's GC objects and host
// externs (see gc.hh and decision 41).
#include <cstdlib>

#include "runtime/gc.hh"
#include "runtime/store_data.hh"

namespace ember::rt {

namespace {

constexpr uint64_t kMinCollectBytes = uint64_t{1} << 20;

class Marker {
 public:
  explicit Marker(StoreData& s) : s_(s) {}

  // A precise root or field: null, an i31 or a GcObject.
  void mark(Slot v) {
    if (v == 0 || is_i31(v)) return;
    GcObject* o = gc_obj(v);
    if (o->mark) return;
    o->mark = 1;
    work_.push_back(o);
  }

  void trace() {
    while (!work_.empty()) {
      GcObject* o = work_.back();
      work_.pop_back();
      const GcType* t = o->type;
      const uint8_t* base = reinterpret_cast<const uint8_t*>(o);
      Slot v;
      if (t->kind == ObjKind::Struct) {
        for (uint32_t off : t->traced) {
          std::memcpy(&v, base + off, 8);
          mark(v);
        }
      } else if (t->kind == ObjKind::Array && t->elem_traced) {
        for (uint32_t i = 0; i < o->length; i++) {
          std::memcpy(&v, base + kArrayData + 8 * uint64_t(i), 8);
          mark(v);
        }
      }
    }
  }

 private:
  StoreData& s_;
  std::vector<GcObject*> work_;
};

void mark_entities(StoreData& s, Marker& m) {
  for (const GlobalInst& g : s.globals)
    if (gc_traced(g.type.type)) m.mark(g.value[0]);
  for (const TableInst& t : s.tables)
    if (gc_traced(t.type.elem))
      for (void* e : t.elems) m.mark(Slot(reinterpret_cast<uintptr_t>(e)));
  for (const ModuleInst& inst : s.instances)
    for (size_t i = 0; i < inst.elems.size() && i < inst.module->elems.size(); i++)
      if (gc_traced(inst.module->elems[i].type))
        for (void* e : inst.elems[i]) m.mark(Slot(reinterpret_cast<uintptr_t>(e)));
  for (const ExnObj& x : s.exns) {
    if (!x.live || !x.tag) continue;
    size_t k = 0;
    for (ValType t : x.tag->type.params) {
      if (gc_traced(t) && k < x.payload.size()) m.mark(x.payload[k]);
      k += t == ValType::V128 ? 2 : 1;
    }
  }
}

void mark_host(StoreData& s, Marker& m) {
  std::erase_if(s.roots, [&](const std::weak_ptr<GcRoot>& w) {
    std::shared_ptr<GcRoot> r = w.lock();
    if (!r) return true;
    m.mark(r->v);
    return false;
  });
  s.roots_after_prune = s.roots.size();
  for (Slot v : s.temp_roots) m.mark(v);
  if (s.frame_roots)
    s.frame_roots(s, [](void* cx, Slot v) { static_cast<Marker*>(cx)->mark(v); }, &m);
}

void sweep(StoreData& s, std::vector<std::shared_ptr<void>>* released) {
  GcHeap& h = s.heap;
  size_t keep = 0;
  for (GcObject* o : h.objects) {
    if (o->mark) {
      o->mark = 0;
      h.objects[keep++] = o;
    } else {
      const uint64_t n = object_bytes(o);
      h.bytes -= n;
      h.space.release(o, n);
    }
  }
  h.objects.resize(keep);
  for (ExternObj& e : s.externs) {
    if (released && e.live && !e.mark) {
      released->push_back(std::move(e.payload));
      e.payload = nullptr;
      e.host_id = 0;
      e.live = false;
      s.free_externs.push_back(&e);
    }
    e.mark = 0;
  }
}

}  // namespace

std::shared_ptr<GcRoot> make_root(StoreData& s, Slot v) {
  if (v == 0 || is_i31(v)) return nullptr;
  if (s.roots.size() > 2 * s.roots_after_prune + 64) {
    std::erase_if(s.roots, [](const std::weak_ptr<GcRoot>& w) { return w.expired(); });
    s.roots_after_prune = s.roots.size();
  }
  auto r = std::make_shared<GcRoot>(GcRoot{v});
  s.roots.push_back(r);
  return r;
}

void collect_garbage(StoreData& s, std::vector<std::shared_ptr<void>>* released) {
  Marker m(s);
  mark_entities(s, m);
  mark_host(s, m);
  m.trace();
  sweep(s, released);
  s.heap.live_after = s.heap.bytes;
  s.heap.allocated_since = 0;
  s.heap.collections++;
}

// EMBER_GC_STRESS=1 in the environment collects before every allocation
// (the tests' way to find an object the roots miss).
bool gc_stress() {
  static const bool on = [] {
    const char* v = std::getenv("EMBER_GC_STRESS");
    return v && *v && *v != '0';
  }();
  return on;
}

void maybe_collect(StoreData& s) {
  const GcHeap& h = s.heap;
  if ((h.allocated_since > kMinCollectBytes && h.allocated_since > h.live_after) || gc_stress())
    collect_garbage(s, nullptr);
}

}  // namespace ember::rt

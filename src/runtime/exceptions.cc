// Exception objects (exceptions): allocation, collection, host tokens.
//
// A thrown exception is an ExnObj in its store's deque (stable addresses,
// never freed before the store); an exnref is its address. Nothing counts
// references to them: a throw that finds as many live objects as twice
// those left by the last collection first collects, marking from the
// store's tables, globals and element segments, the running wasm value
// stack and the exception in flight, then through the payloads of what is
// marked. The scan is conservative (a slot equal to an object's address
// keeps it), which can keep garbage but never frees a held object. So a
// program that throws in a loop runs in bounded memory.
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/runtime.hh"

namespace ember::rt {

namespace {

constexpr size_t kMinExnsBeforeCollect = 1024;

size_t live_exns(const StoreData& s) {
  return s.exns.size() - s.free_exns.size();
}

}  // namespace

ExnObj* new_exn(StoreData& s, TagInst* tag, const Slot* payload, std::span<const Slot> frames) {
  size_t live = live_exns(s);
  if (live >= kMinExnsBeforeCollect && live >= 2 * s.exns_live_after_gc) collect_exns(s, frames);
  ExnObj* e;
  if (!s.free_exns.empty()) {
    e = s.free_exns.back();
    s.free_exns.pop_back();
    e->generation++;
  } else {
    e = &s.exns.emplace_back();
    e->index = uint32_t(s.exns.size() - 1);
  }
  e->tag = tag;
  e->payload.assign(payload, payload + slots_of(tag->type.params));
  e->live = true;
  return e;
}

size_t collect_exns(StoreData& s, std::span<const Slot> frames) {
  if (live_exns(s) == 0) return 0;
  std::unordered_map<uint64_t, ExnObj*> by_address;
  by_address.reserve(live_exns(s));
  for (ExnObj& e : s.exns)
    if (e.live) by_address.emplace(reinterpret_cast<uint64_t>(&e), &e);
  std::unordered_set<uint64_t> marked;
  std::vector<ExnObj*> work;
  auto hold = [&](uint64_t v) {
    auto it = by_address.find(v);
    if (it == by_address.end() || marked.count(v)) return;
    marked.insert(v);
    work.push_back(it->second);
  };
  for (const TableInst& t : s.tables)
    for (const void* p : t.elems) hold(reinterpret_cast<uint64_t>(p));
  for (const GlobalInst& g : s.globals) hold(g.value[0]);
  for (const ModuleInst& inst : s.instances)
    for (const std::vector<void*>& seg : inst.elems)
      for (const void* p : seg) hold(reinterpret_cast<uint64_t>(p));
  for (Slot v : frames) hold(v);
  for_each_heap_ref(s.heap, hold);  // GC objects live as long as the store for now
  hold(reinterpret_cast<uint64_t>(s.pending_exn));
  while (!work.empty()) {
    ExnObj* e = work.back();
    work.pop_back();
    for (Slot v : e->payload) hold(v);
  }
  size_t freed = 0;
  for (auto [addr, e] : by_address) {
    if (marked.count(addr)) continue;
    e->live = false;
    e->tag = nullptr;
    e->payload.clear();
    s.free_exns.push_back(e);
    freed++;
  }
  s.exns_live_after_gc = live_exns(s);
  return freed;
}

ExnObj* exn_by_token(StoreData& s, uint64_t index, uint64_t generation) {
  if (index >= s.exns.size()) return nullptr;
  ExnObj& e = s.exns[index];
  return e.live && e.generation == generation ? &e : nullptr;
}

std::string describe_tag(const TagInst& tag) {
  if (!tag.owner) return "a host tag";
  const ModuleData& m = *tag.owner->module;
  for (const Export& e : m.exports)
    if (e.kind == ExternKind::Tag && e.index == tag.index) return "tag \"" + e.name + "\"";
  std::string where = m.names.module_name.empty() ? "" : " of module `" + m.names.module_name + "`";
  return "tag " + std::to_string(tag.index) + where;
}

}  // namespace ember::rt

// The engine's type registry and subtyping (see type_registry.hh).
#include "ir/type_registry.hh"

namespace ember {

namespace {

void put_u32(std::string& key, uint32_t v) {
  for (int i = 0; i < 4; ++i) key.push_back(char(v >> (8 * i)));
}

// A group's key. A reference inside the group is marked and counted from the
// group's start; any other heap type is kept with its canonical id. Every
// value type starts with a marker byte ('v', or its heap kind's byte for a
// concrete one), so the key is injective.
struct GroupKeyWriter {
  std::string key;
  uint32_t group_begin, group_end;
  std::span<const uint32_t> ids;
  bool indices_are_ids;  // canonical ids already (intern), not type indices

  void ref(uint32_t index) {
    const bool inside = !indices_are_ids && index >= group_begin && index < group_end;
    key.push_back(inside ? 'r' : 'c');
    put_u32(key, inside ? index - group_begin : indices_are_ids ? index : ids[index]);
  }
  void val(ValType t) {
    if (!t.has_index()) {
      key.push_back('v');
      put_u32(key, t.bits());
      return;
    }
    put_u32(key, t.with_index(0).bits());
    ref(t.index());
  }
  void type(const FuncType& f, const TypeDecl& d) {
    key.push_back(d.final ? 'F' : 'O');
    if (d.super) ref(*d.super);
    else key.push_back('-');
    key.push_back(char('0' + int(d.kind)));
    put_u32(key, uint32_t(d.fields.size()));
    for (const FieldType& x : d.fields) {
      key.push_back(char(x.packed));
      key.push_back(x.mut ? 'm' : 'c');
      val(x.type);
    }
    put_u32(key, uint32_t(f.params.size()));
    for (ValType t : f.params) val(t);
    put_u32(key, uint32_t(f.results.size()));
    for (ValType t : f.results) val(t);
  }
};

}  // namespace

template <class ToId>
uint32_t TypeRegistry::find_or_add(std::string key, std::span<const FuncType> funcs,
                                   std::span<const TypeDecl> decls, ToId to_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = groups_.find(key);
  if (it != groups_.end()) return it->second;
  if (funcs.size() > capacity_ - types_.size()) return kFull;
  const uint32_t first = uint32_t(types_.size());
  auto canon = [&](ValType t) { return t.has_index() ? t.with_index(to_id(first, t.index())) : t; };
  for (size_t k = 0; k < funcs.size(); k++) {
    const TypeDecl& d = decls[k];
    Entry e;
    for (ValType t : funcs[k].params) e.canonical.params.push_back(canon(t));
    for (ValType t : funcs[k].results) e.canonical.results.push_back(canon(t));
    for (FieldType f : d.fields) {
      f.type = canon(f.type);
      e.fields.push_back(f);
    }
    e.super = d.super ? to_id(first, *d.super) : UINT32_MAX;
    e.final = d.final;
    e.kind = d.kind;
    types_.push_back(std::move(e));
  }
  groups_.emplace(std::move(key), first);
  return first;
}

uint32_t TypeRegistry::intern_group(std::span<const FuncType> funcs,
                                    std::span<const TypeDecl> decls, uint32_t group_begin,
                                    std::span<const uint32_t> ids) {
  const uint32_t n = uint32_t(funcs.size());
  GroupKeyWriter w{{}, group_begin, group_begin + n, ids, false};
  put_u32(w.key, n);
  for (uint32_t k = 0; k < n; k++) w.type(funcs[k], decls[k]);
  // Indices inside the group map to the ids about to be assigned.
  return find_or_add(std::move(w.key), funcs, decls, [&](uint32_t first, uint32_t index) {
    return index >= group_begin ? first + (index - group_begin) : ids[index];
  });
}

uint32_t TypeRegistry::intern(const FuncType& t) {
  const TypeDecl final_func;
  GroupKeyWriter w{{}, 0, 0, {}, true};
  put_u32(w.key, 1);
  w.type(t, final_func);
  return find_or_add(std::move(w.key), std::span(&t, 1), std::span(&final_func, 1),
                     [](uint32_t, uint32_t id) { return id; });
}

FuncType TypeRegistry::get(uint32_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return id < types_.size() ? types_[id].canonical : FuncType{};
}

CompKind TypeRegistry::kind(uint32_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return id < types_.size() ? types_[id].kind : CompKind::Func;
}

std::vector<FieldType> TypeRegistry::fields(uint32_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return id < types_.size() ? types_[id].fields : std::vector<FieldType>{};
}

uint32_t TypeRegistry::super_of(uint32_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return id < types_.size() ? types_[id].super : UINT32_MAX;
}

bool TypeRegistry::is_subtype(uint32_t sub, uint32_t super) const {
  if (sub == super) return true;
  std::lock_guard<std::mutex> lock(mu_);
  // Supertypes always have smaller ids (they are declared earlier), so the
  // walk ends.
  while (sub < types_.size() && types_[sub].super != UINT32_MAX) {
    sub = types_[sub].super;
    if (sub == super) return true;
  }
  return false;
}

size_t TypeRegistry::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return types_.size();
}

// ---- subtyping -----------------------------------------------------------------

namespace {

// Abstract heap subtyping within one hierarchy (the tops differ otherwise).
bool abstract_below(HeapKind a, HeapKind b) {
  if (heap_top(a) != heap_top(b)) return false;
  if (a == b || b == heap_top(a) || a == heap_bottom(a)) return true;
  // The any hierarchy's middle: i31, struct, array <: eq.
  return b == HeapKind::Eq && (a == HeapKind::I31 || a == HeapKind::Struct || a == HeapKind::Array);
}

bool heap_subtype(ValType a, ValType b, const TypeRegistry& r) {
  if (a.has_index() && b.has_index()) return r.is_subtype(a.index(), b.index());
  if (a.has_index()) return abstract_below(a.heap(), b.heap());  // $t <: its kind's supertypes
  if (b.has_index()) return a.heap() == heap_bottom(b.heap());   // only the bottom is below $t
  return abstract_below(a.heap(), b.heap());
}

}  // namespace

bool val_subtype(ValType a, ValType b, const TypeRegistry& r) {
  if (a == b || a.is_bottom()) return true;
  if (!a.is_ref() || !b.is_ref()) return false;
  if (a.nullable() && !b.nullable()) return false;
  return heap_subtype(a, b, r);
}

namespace {
bool field_subtype(const FieldType& a, const FieldType& b, const TypeRegistry& r) {
  if (a.mut != b.mut || a.packed != b.packed) return false;
  return a.mut ? a.type == b.type : val_subtype(a.type, b.type, r);
}
}  // namespace

bool declared_subtype_ok(uint32_t sub, uint32_t super, const TypeRegistry& r) {
  const CompKind k = r.kind(sub);
  if (k != r.kind(super)) return false;
  if (k == CompKind::Func) return func_subtype(r.get(sub), r.get(super), r);
  const std::vector<FieldType> a = r.fields(sub), b = r.fields(super);
  if (k == CompKind::Array ? a.size() != b.size() : a.size() < b.size()) return false;
  for (size_t i = 0; i < b.size(); i++)
    if (!field_subtype(a[i], b[i], r)) return false;
  return true;
}

bool func_subtype(const FuncType& a, const FuncType& b, const TypeRegistry& r) {
  if (a.params.size() != b.params.size() || a.results.size() != b.results.size()) return false;
  for (size_t i = 0; i < a.params.size(); i++)
    if (!val_subtype(b.params[i], a.params[i], r)) return false;
  for (size_t i = 0; i < a.results.size(); i++)
    if (!val_subtype(a.results[i], b.results[i], r)) return false;
  return true;
}

}  // namespace ember

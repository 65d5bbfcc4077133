// The engine's type registry: canonical ids for defined types, shared by
// every module and store of one Engine.
//
// Wasm 3.0 compares defined types iso-recursively: two types are the same
// when their recursion groups are structurally identical, references into
// the group counted from the group's start and references out of it by the
// canonical id of the referenced type, and they sit at the same position.
// The registry interns whole groups under exactly that key, so the
// canonical ids of two equivalent types are equal and `call_indirect`,
// `call_ref` casts, import matching and the validator's subtype checks
// compare integers. A group's types get consecutive ids.
//
// Each id also records its declared supertype (an id as well) and whether it
// is final; `is_subtype` walks that chain. The registry keeps the canonical
// form of each type: its function type with every concrete heap type
// rewritten to a canonical id.
//
// Thread-safe (one mutex); ids are never reused or freed while the engine
// lives.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "ember/types.hh"

namespace ember {

// A field of a struct type, or an array type's element: a value type or a
// packed storage type (i8, i16: read as i32), mutable or not.
struct FieldType {
  enum Packed : uint8_t { None = 0, I16 = 0x77, I8 = 0x78 };
  ValType type = ValType::I32;  // I32 when packed
  Packed packed = None;
  bool mut = false;
  bool operator==(const FieldType& o) const {
    return type == o.type && packed == o.packed && mut == o.mut;
  }
};

// What a defined type is: a function signature (FuncType, kept in
// ModuleData::types), a struct's fields or an array's element (`fields`, one
// for an array). GC (issue 14) gives the last two their objects.
enum class CompKind : uint8_t { Func = 0, Struct = 1, Array = 2 };
// The abstract heap kind a concrete type of this kind is below.
inline HeapKind comp_heap(CompKind k) {
  return k == CompKind::Func     ? HeapKind::Func
         : k == CompKind::Struct ? HeapKind::Struct
                                 : HeapKind::Array;
}

// How a module declares each of its types (besides a function type's
// signature, which ModuleData::types holds; empty for struct and array
// types): its recursion group, declared supertype and composite kind.
struct TypeDecl {
  std::optional<uint32_t> super;  // declared supertype (a type index), if any
  bool final = true;              // `(type (func ...))` is final
  uint32_t group_begin = 0;       // index of the first type of its recursion group
  uint32_t group_size = 1;
  CompKind kind = CompKind::Func;
  std::vector<FieldType> fields;  // Struct, Array
};

class TypeRegistry {
 public:
  // What intern and intern_group return once the registry is full: an id no
  // type has, so a function or tag that gets it matches nothing (its calls
  // through tables trap, imports of it do not link).
  static constexpr uint32_t kFull = UINT32_MAX;
  // At most `capacity` ids (every id must fit a ValType's index); smaller in
  // tests of the full registry.
  explicit TypeRegistry(uint32_t capacity = ValType::kMaxIndex + 1) : capacity_(capacity) {}

  // Interns one recursion group: the signatures and declarations of the
  // module's types group_begin.. (funcs.size() == decls.size()). Its
  // concrete heap types and supertypes are type indices of the module:
  // below `group_begin` they refer to earlier types, whose canonical ids
  // `ids` holds (ids.size() == group_begin); inside the group they count
  // from the module's start too. The caller has checked every index
  // (intern_types). Returns the first id, or kFull if the group's types do
  // not fit any more.
  uint32_t intern_group(std::span<const FuncType> funcs, std::span<const TypeDecl> decls,
                        uint32_t group_begin, std::span<const uint32_t> ids);
  // A final function type with no supertype whose concrete heap types are
  // canonical ids already (host functions, tags made through the API);
  // kFull if it is new and the registry is full.
  uint32_t intern(const FuncType& t);

  // The canonical form of type `id` (its heap types canonical ids); an empty
  // function type for an unknown id or one of another kind.
  FuncType get(uint32_t id) const;
  CompKind kind(uint32_t id) const;
  std::vector<FieldType> fields(uint32_t id) const;  // canonical, Struct / Array
  // The declared supertype of `id`, or UINT32_MAX if it has none.
  uint32_t super_of(uint32_t id) const;
  // True if type `sub` is `super` or declares it, directly or further up.
  bool is_subtype(uint32_t sub, uint32_t super) const;
  size_t size() const;

 private:
  struct Entry {
    FuncType canonical;
    uint32_t super = UINT32_MAX;
    bool final = true;
    CompKind kind = CompKind::Func;
    std::vector<FieldType> fields;
  };
  // The id of the group whose key is `key`, else the first of `funcs`'
  // types appended, their heap types mapped to ids by `to_id(first, x)`.
  template <class ToId>
  uint32_t find_or_add(std::string key, std::span<const FuncType> funcs,
                       std::span<const TypeDecl> decls, ToId to_id);

  const uint32_t capacity_;
  mutable std::mutex mu_;
  std::vector<Entry> types_;
  std::unordered_map<std::string, uint32_t> groups_;  // group key -> first id
};

// ---- subtyping -----------------------------------------------------------------

// `a <: b` for value types whose concrete heap types are canonical ids.
// Bottom is below every type.
bool val_subtype(ValType a, ValType b, const TypeRegistry& r);
// Function subtyping: parameters contravariant, results covariant.
bool func_subtype(const FuncType& a, const FuncType& b, const TypeRegistry& r);
// Whether canonical type `sub` may declare `super` as its supertype: the
// same kind, and a function subtype, or a struct whose fields start with
// super's (immutable ones covariant, mutable ones the same), or an array
// whose element matches that way.
bool declared_subtype_ok(uint32_t sub, uint32_t super, const TypeRegistry& r);

}  // namespace ember

// ModuleData: everything known about a module after decoding.
//
// The decoder (src/binary) fills every field except `code`; validation and
// translation (src/validate + src/interp) fill `code` and `type_ids`. After
// that the ModuleData is immutable and shared (`shared_ptr<const ModuleData>`)
// by any number of stores and threads.
//
// Index spaces follow the spec: imported entities come first in each space
// (funcs, tables, memories, globals), so `funcs[i]` for i < num_imported_funcs
// describes an import.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/type_registry.hh"
#include "ir/types.hh"

namespace ember {

// One instruction of a constant expression (global initialisers, segment
// offsets, element items). The decoder records whatever operators appear;
// the validator checks that they are constant and well-typed.
struct ConstInstr {
  Op op;
  uint64_t imm = 0;     // i32/i64 value, f32/f64 bits, func/global/type index, heap type bits
  uint64_t imm_hi = 0;  // upper half of a v128 constant; array.new_fixed's count
};
struct ConstExpr {
  std::vector<ConstInstr> instrs;  // without the final `end`
  uint64_t offset = 0;             // byte offset in the binary, for errors
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t func_type = 0;  // kind == Func: type index
  TableType table;         // kind == Table
  MemoryType memory;       // kind == Memory
  GlobalType global;       // kind == Global
  uint32_t tag_type = 0;   // kind == Tag: type index (a function type without results)
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
};

struct GlobalDecl {
  GlobalType type;
  ConstExpr init;  // empty for imported globals
};

enum class SegmentMode : uint8_t { Active, Passive, Declarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::Active;
  uint32_t table = 0;
  ConstExpr offset;  // Active only
  ValType type = ValType::FuncRef;
  std::vector<ConstExpr> items;  // each yields one reference
  uint64_t offset_in_binary = 0;
};

struct DataSegment {
  SegmentMode mode = SegmentMode::Active;  // never Declarative
  uint32_t memory = 0;
  ConstExpr offset;  // Active only
  std::vector<uint8_t> bytes;
};

// A function body as found in the code section: a byte range of
// `ModuleData::bytes` starting at the local declarations.
struct FuncBody {
  uint32_t offset = 0;  // of the body (after its size LEB), in `bytes`
  uint32_t size = 0;
};

struct CustomSection {
  std::string name;
  std::vector<uint8_t> data;
};

// Names from the `name` custom section (decoded leniently: a malformed name
// section is ignored, as the spec asks of custom sections).
struct NameMap {
  std::string module_name;  // empty if absent
  std::unordered_map<uint32_t, std::string> funcs;
};

// Produced by the interpreter translator; opaque to everything before it.
struct CompiledCode;
// The tier that produced a module's code (runtime/tier.hh).
namespace rt {
struct Tier;
}

// What the runtime derives lazily from a module and keeps with it (the
// copy-on-write image of its initial memory: runtime/memory_image.hh).
// Opaque here; one per module, shared by copies of the ModuleData.
struct ModuleCache;
std::shared_ptr<ModuleCache> make_module_cache();

struct ModuleData {
  std::vector<uint8_t> bytes;  // the binary, kept for function bodies and offsets

  std::vector<FuncType> types;
  // One per entry of `types`: its recursion group and declared supertype
  // (ir/type_registry.hh). Concrete heap types anywhere in the module are
  // indices into `types`.
  std::vector<TypeDecl> type_decls;
  std::vector<Import> imports;
  std::vector<uint32_t> funcs;    // type index of every function, imports first
  std::vector<TableType> tables;  // imports first
  // (table index, initializer expression) of the defined tables that have
  // one (function references); the others start out null.
  std::vector<std::pair<uint32_t, ConstExpr>> table_inits;
  std::vector<MemoryType> memories;  // imports first
  std::vector<GlobalDecl> globals;   // imports first
  std::vector<uint32_t> tags;        // type index of every tag, imports first
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::vector<DataSegment> datas;
  std::optional<uint32_t> data_count;
  std::vector<FuncBody> bodies;  // one per defined (non-imported) function
  std::vector<CustomSection> customs;
  NameMap names;
  uint64_t code_section_offset = 0;  // start of the code section's contents
  // Byte offset of the first memory type that states its page size (limits
  // flag 0x08), for the validator's custom-page-sizes gate; UINT64_MAX if
  // none does. Not serialized: a loaded module was validated already.
  uint64_t page_size_flag_at = UINT64_MAX;

  uint32_t num_imported_funcs = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;
  uint32_t num_imported_tags = 0;

  // Filled by validation/translation.
  std::vector<uint32_t> type_ids;  // engine-canonical id of each entry of `types`
  // Each entry of `types` with its concrete heap types as canonical ids: the
  // types of the module's functions, tags, tables and globals at run time.
  std::vector<FuncType> canonical_types;
  ValType canonical(ValType t) const {
    return t.has_index() ? t.with_index(type_ids[t.index()]) : t;
  }
  // `a <: b` for types of this module (concrete heap types in range).
  bool subtype(ValType a, ValType b, const TypeRegistry& r) const {
    return a == b || val_subtype(canonical(a), canonical(b), r);
  }
  std::shared_ptr<const CompiledCode> code;
  const rt::Tier* tier = nullptr;  // set with `code`: how the runtime runs it

  // Built on first use by the runtime (thread-safe; see ModuleCache).
  std::shared_ptr<ModuleCache> cache = make_module_cache();

  const FuncType& func_type(uint32_t func_index) const { return types[funcs[func_index]]; }
  // Type `i` exists and is a function type (not a struct or array type).
  bool is_func_type(uint32_t i) const {
    return i < types.size() && (i >= type_decls.size() || type_decls[i].kind == CompKind::Func);
  }
};

}  // namespace ember

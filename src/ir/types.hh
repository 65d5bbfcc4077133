// The engine's own vocabulary on top of the public one.
//
// ValType, FuncType, the limits and entity types, ExternKind, Feature,
// FeatureSet and TrapCode are the public API's (include/ember/types.hh): one
// definition shared by every stage and the API, so nothing converts at the
// edge. This header adds what only the engine needs: the operator enum and
// its static facts expanded from operators.def, and helpers on value types.
// Plain data: no behaviour beyond equality and printing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ember/types.hh"

namespace ember {

inline bool is_num(ValType t) {
  return t.is_num();
}
// A reference the collector traces: of the any or extern hierarchy (one
// slot; null, an i31 or a GC object, runtime/gc.hh). Function references
// and exnrefs point at entities the store owns and are not traced.
inline bool gc_traced(ValType t) {
  return t.kind() == ValKind::AnyRef || t.kind() == ValKind::ExternRef;
}
// Appends `t`'s binary encoding: a one-byte shorthand where there is one,
// else 0x63/0x64 and the heap type (s33).
void put_val_type(std::vector<uint8_t>& out, ValType t);
// Appends the heap type of reference type `t` (an abstract kind's byte or
// the type index as an s33), as ref.null's immediate.
void put_heap_type(std::vector<uint8_t>& out, ValType t);
// slot_count (8-byte registers a value takes) and val_type_from_byte are
// declared with ValType in include/ember/types.hh.

// ---- memory types --------------------------------------------------------------

// The validator's message for limits beyond `t.max_pages()`, e.g. "memory
// size must be at most 65536 pages (4GiB)"; the text parser gives it too,
// for limits the binary format cannot even encode.
std::string memory_size_error(const MemoryType& t);

// ---- operators (operators.def) ----------------------------------------------

enum class Op : uint16_t {
#define EMBER_OP(name, ...) name,
#include "ir/operators.def"
  Count_
};
constexpr size_t kOpCount = static_cast<size_t>(Op::Count_);

enum class ImmKind : uint8_t {
  None,
  Block,
  Label,
  BrTable,
  Func,
  CallIndirect,
  SelectT,
  Local,
  Global,
  Table,
  MemArg,
  Memory,
  I32,
  I64,
  F32,
  F64,
  HeapType,
  MemoryInit,
  Data,
  MemoryCopy,
  TableInit,
  Elem,
  TableCopy,
  V128,        // 16 bytes: a v128 constant
  Lane,        // 1 byte: lane index
  Shuffle,     // 16 bytes: lane indices into two v128 operands
  MemArgLane,  // memarg, then a 1-byte lane index
  Tag,         // a tag index (exceptions)
  TryTable,    // a block type, then a vector of catch clauses
  Type,        // a type index (call_ref)
  Zero,        // a reserved zero byte (atomic.fence)
  // GC: a type index, then a second index (operators.def's GC rows).
  TypeField,  // struct.get/set: the struct type and a field of it
  TypeCount,  // array.new_fixed: the array type and the element count
  TypeData,   // array.new_data / init_data: the array type and a data segment
  TypeElem,   // array.new_elem / init_elem: the array type and an elem segment
  TypeType,   // array.copy: destination and source array types
  CastType,   // ref.test / ref.cast: the target heap type, not nullable
  BrOnCast,   // br_on_cast(_fail): flags, label, source and target heap types
};

enum class SigKind : uint8_t {
  Special,
  Unary,
  Binary,
  Load,
  Store,
  // Two results: a 128-bit integer as (low, high) (operators.def).
  Binary128,
  BinaryWide,
  // SIMD shapes (operators.def documents each).
  VUnary,
  VBinary,
  VTernary,
  VShift,
  VExtract,
  VReplace,
  VLoad,
  VStore,
  VLoadLane,
  VStoreLane,
  // Atomic shapes (threads; operators.def documents each).
  AtomicLoad,
  AtomicStore,
  AtomicRmw,
  AtomicCmpxchg,
  AtomicWait,
};

// One catch clause of try_table: the tag (catch, catch_ref) and the label
// depth, counted from outside the try_table.
struct CatchClause {
  enum Kind : uint8_t { Catch = 0, CatchRef = 1, CatchAll = 2, CatchAllRef = 3 };
  Kind kind = Catch;
  uint32_t tag = 0;
  uint32_t label = 0;
  bool has_tag() const { return kind == Catch || kind == CatchRef; }
  bool has_ref() const { return kind == CatchRef || kind == CatchAllRef; }
};

// Static facts about one operator (from operators.def).
struct OpInfo {
  Op op;
  uint8_t prefix;  // 0, 0xFC, 0xFD, 0xFE
  uint32_t code;
  const char* mnemonic;
  ImmKind imm;
  SigKind sig;
  std::optional<ValType> in, out;
  uint8_t size;  // bytes accessed by a load/store
  Feature feature;
};
const OpInfo& op_info(Op op);
// Lookup by encoding; nullptr if no such operator.
const OpInfo* op_by_code(uint8_t prefix, uint32_t code);
// Lookup by text mnemonic; nullptr if none. `select` maps to Op::Select.
const OpInfo* op_by_mnemonic(std::string_view mnemonic);

// A construct of ir/pending.def: a Wasm 3.0 operator, value type or type
// form Ember knows but does not implement yet.
struct PendingConstruct {
  const char* name;  // mnemonic or type name ("" for a whole prefix)
  Feature feature;
  const char* what;  // "exception handling instructions", ...
};
const PendingConstruct* pending_op_by_code(uint8_t prefix, uint32_t code);
const PendingConstruct* pending_op_by_mnemonic(std::string_view mnemonic);
const PendingConstruct* pending_type_by_byte(uint8_t b);
// Why a module using `p` is refused: its proposal is off (`*invalid` set:
// the module is invalid under these features, "exceptions support is not
// enabled"), or on but not implemented yet (`*invalid` cleared: "try_table:
// exception handling instructions are not supported yet").
std::string pending_message(const PendingConstruct& p, const FeatureSet& features, bool* invalid);
// A proposal as wasmtime's "<proposal> support is not enabled" names it.
const char* proposal_name(Feature f);

}  // namespace ember

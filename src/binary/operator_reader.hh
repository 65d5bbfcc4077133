// The operator reader: the one place that decodes WebAssembly operators.
//
// Place: src/binary, below every consumer of instruction sequences — the
// function-body validator (src/validate/func_validate.cc), the decode-only
// walk that ranks malformed encodings ahead of validation errors, and the
// module decoder's constant expressions. Each consumer asks for the next
// operator and gets its OpInfo row (ir/operators.def) with every immediate
// decoded into an Instr. Checks that need only the bytes (LEB128 ranges,
// reserved zero bytes, value-type and heap-type bytes, the data count
// section that memory.init and data.drop require) are made here and are
// Malformed errors; checks against the module's index spaces and types are
// the validator's.
//
// Adding an immediate kind: one enumerator in ir/types.hh ImmKind, one case
// in OperatorReader::immediates, and the field of Instr it fills.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "binary/reader.hh"
#include "ir/module.hh"
#include "support/error.hh"

namespace ember {

// A block type: no value, one value type, or a type index.
struct BlockType {
  enum class Kind : uint8_t { Empty, Value, Index } kind = Kind::Empty;
  ValType value = ValType::I32;  // Kind::Value
  uint32_t index = 0;            // Kind::Index
};

// A memarg immediate as encoded: alignment exponent (with the multi-memory
// flag removed when it named a memory), memory index, offset.
struct MemArg {
  uint32_t align = 0;
  uint32_t mem = 0;
  uint64_t offset = 0;
};

// One decoded operator. Which fields are meaningful follows info->imm:
//   Block              block
//   Label, Func, Local, Global, Table, Elem, Data, Memory   index[0]
//   CallIndirect       index[0] type, index[1] table
//   TableInit          index[0] elem, index[1] table
//   TableCopy          index[0] destination, index[1] source table
//   MemoryInit         index[0] data, index[1] memory
//   MemoryCopy         index[0] destination, index[1] source memory
//   BrTable            targets (the default target last)
//   SelectT            types
//   MemArg             memarg;  MemArgLane: memarg and lane
//   Lane               lane
//   I32, F32           bits (the 32-bit value, zero-extended)
//   I64, F64           bits
//   V128               bits (low half), bits_hi (high half)
//   Shuffle            lanes (16 bytes, pointing into the module)
//   HeapType           ref (the heap type, as a nullable reference)
//   Tag                index[0]
//   TryTable           block and catches
//   Type               index[0]
//   TypeField, TypeCount, TypeData, TypeElem, TypeType   index[0] type, index[1]
//   CastType           ref (the target, not nullable); HeapType: nullable
//   BrOnCast           index[0] label, ref source type, ref2 target type
struct Instr {
  const OpInfo* info = nullptr;
  uint64_t offset = 0;  // of the opcode
  uint32_t index[2] = {0, 0};
  uint64_t bits = 0, bits_hi = 0;
  MemArg memarg;
  uint8_t lane = 0;
  const uint8_t* lanes = nullptr;
  ValType ref = ValType::FuncRef;
  ValType ref2 = ValType::FuncRef;
  BlockType block;
  std::span<const uint32_t> targets;
  std::span<const ValType> types;
  std::span<const CatchClause> catches;

  Op op() const { return info->op; }
};

// The error for a byte that is no value type Ember implements: a Wasm 3.0
// type of ir/pending.def names its proposal (Invalid when the proposal is
// off, Unsupported "not supported yet" when on); any other byte is Malformed
// `malformed`.
Error type_byte_error(uint8_t b, const FeatureSet& features, uint64_t at, const char* malformed);
// Invalid "<proposal> support is not enabled" (wasmtime's wording).
Error not_enabled(Feature f, uint64_t at);
// A value type whose proposal is off: Invalid "<proposal> support is not
// enabled" (exnref without exceptions); nullopt when the type is allowed.
std::optional<Error> val_type_gate(ValType t, const FeatureSet& features, uint64_t at);

// Value and heap types (the one reading of them for every section and
// operator). A value type is a one-byte shorthand or 0x63/0x64 `(ref
// null? ht)`; a heap type is an s33, negative for the abstract kinds and a
// type index otherwise (checked against the module by the validator; a
// concrete type is taken to be a function type until GC adds the others).
// Each is gated by its proposal (val_type_gate); other bytes are Malformed
// `malformed`. A concrete type gets its definition's kind from `m`'s
// type declarations when it is known there (see resolve_type_kinds).
Expected<ValType> read_val_type(Reader& r, const FeatureSet& features, const ModuleData& m,
                                const char* malformed = "malformed value type");
// A value type that must be a reference type (tables, element segments).
Expected<ValType> read_ref_type(Reader& r, const FeatureSet& features, const ModuleData& m);
// ref.null's immediate: the heap type, as the nullable reference to it.
Expected<ValType> read_heap_type(Reader& r, const FeatureSet& features, const ModuleData& m,
                                 bool nullable);
// `t` with its concrete type's definition kind taken from `m` (a type the
// reader met before its definition: later in its own recursion group).
ValType with_def_kind(ValType t, const ModuleData& m);
// The same for an opcode (prefix 0 for one byte): nullopt if it is no
// pending operator either.
std::optional<Error> pending_op_error(uint8_t prefix, uint32_t code, const FeatureSet& features,
                                      uint64_t at);

class OperatorReader {
 public:
  // Where the operators come from decides one check: memory.init and
  // data.drop in a function body require a data count section.
  enum class Context : uint8_t { FunctionBody, ConstExpr };

  // `m` supplies the memories (a memory64's memarg offset is a 64-bit
  // LEB128) and the data count; `features` decides the encodings that
  // multi-memory and reference types changed.
  OperatorReader(Reader& r, const ModuleData& m, const FeatureSet& features, Context context)
      : r_(r), m_(m), features_(features), context_(context) {}

  // Decodes the next operator into *out. Fails with a Malformed error on an
  // unknown opcode or a malformed immediate. The span fields of *out stay
  // valid until the next call.
  Status next(Instr* out);

  Reader& reader() { return r_; }

 private:
  Status immediates(Instr* out);
  Status block_type(BlockType* out);
  Status br_table(Instr* out);
  Status br_on_cast(Instr* out);
  Status select_types(Instr* out);
  Status catch_clauses(Instr* out);
  Status memarg(MemArg* out);
  Status memory_index(uint32_t* out);
  Status data_count_required();

  Reader& r_;
  const ModuleData& m_;
  FeatureSet features_;
  Context context_;
  std::vector<uint32_t> targets_;
  std::vector<ValType> types_;
  std::vector<CatchClause> catches_;
};

}  // namespace ember

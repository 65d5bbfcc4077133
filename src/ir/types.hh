// WebAssembly types and the enums expanded from the .def tables.
//
// These are the engine's internal vocabulary, shared by every pipeline stage.
// They are plain data: no behaviour beyond equality and printing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

// Value types, by their binary encoding.
enum class ValType : uint8_t {
  I32 = 0x7F,
  I64 = 0x7E,
  F32 = 0x7D,
  F64 = 0x7C,
  V128 = 0x7B,
  FuncRef = 0x70,
  ExternRef = 0x6F,
};

inline bool is_ref(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }
inline bool is_num(ValType t) { return !is_ref(t) && t != ValType::V128; }
// Registers (8-byte slots) one value of this type occupies in a frame.
inline uint32_t slot_count(ValType t) { return t == ValType::V128 ? 2 : 1; }
const char* val_type_name(ValType t);  // "i32", "funcref", ...
// Decodes a value-type byte; false if it is not one.
bool val_type_from_byte(uint8_t b, ValType* out);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType& o) const {
    return params == o.params && results == o.results;
  }
  std::string to_string() const;  // "(i32, i64) -> (f32)"
};

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
  bool shared = false;
  bool is64 = false;  // memory64 / table64 index type
  bool operator==(const Limits& o) const {
    return min == o.min && max == o.max && shared == o.shared && is64 == o.is64;
  }
};

struct TableType {
  ValType elem = ValType::FuncRef;
  Limits limits;
  bool operator==(const TableType& o) const { return elem == o.elem && limits == o.limits; }
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
  bool operator==(const MemoryType& o) const { return limits == o.limits; }
};

struct GlobalType {
  ValType type = ValType::I32;
  bool mut = false;
  bool operator==(const GlobalType& o) const { return type == o.type && mut == o.mut; }
};

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3, Tag = 4 };
const char* extern_kind_name(ExternKind k);  // "func", "table", ...

constexpr uint64_t kPageSize = 65536;
constexpr uint64_t kMaxPages32 = 65536;  // 4 GiB

// ---- enums expanded from the tables ---------------------------------------

enum class Op : uint16_t {
#define EMBER_OP(name, ...) name,
#include "ir/operators.def"
  Count_
};
constexpr size_t kOpCount = static_cast<size_t>(Op::Count_);

enum class ImmKind : uint8_t {
  None, Block, Label, BrTable, Func, CallIndirect, SelectT, Local, Global,
  Table, MemArg, Memory, I32, I64, F32, F64, HeapType, MemoryInit, Data,
  MemoryCopy, TableInit, Elem, TableCopy,
  V128,        // 16 bytes: a v128 constant
  Lane,        // 1 byte: lane index
  Shuffle,     // 16 bytes: lane indices into two v128 operands
  MemArgLane,  // memarg, then a 1-byte lane index
};

enum class SigKind : uint8_t {
  Special, Unary, Binary, Load, Store,
  // SIMD shapes (operators.def documents each).
  VUnary, VBinary, VTernary, VShift, VExtract, VReplace, VLoad, VStore, VLoadLane, VStoreLane,
};

enum class Feature : uint8_t {
  Core,
#define EMBER_FEATURE(name, ...) name,
#include "ir/features.def"
  Count_
};
constexpr size_t kFeatureCount = static_cast<size_t>(Feature::Count_);

// A set of enabled features. Core is always in it.
struct FeatureSet {
  uint32_t bits = 1u;  // bit 0 = Core
  bool has(Feature f) const { return bits & (1u << static_cast<unsigned>(f)); }
  void set(Feature f, bool on) {
    if (f == Feature::Core) return;
    if (on) bits |= 1u << static_cast<unsigned>(f);
    else bits &= ~(1u << static_cast<unsigned>(f));
  }
  static FeatureSet defaults();  // wasmtime's defaults (features.def)
  static FeatureSet all();
  bool operator==(const FeatureSet& o) const { return bits == o.bits; }
};
const char* feature_name(Feature f);  // config name, e.g. "bulk_memory"
bool feature_from_name(std::string_view name, Feature* out);

enum class TrapCode : uint8_t {
  None = 0,  // not a trap (0 so "no trap" tests cheaply)
#define EMBER_TRAP(name, ...) name,
#include "ir/traps.def"
  Count_
};
const char* trap_spec_message(TrapCode c);      // "integer divide by zero"
const char* trap_wasmtime_message(TrapCode c);  // "wasm `unreachable` ..."
int trap_wasmtime_code(TrapCode c);             // Python TrapCode value or -1

// Static facts about one operator (from operators.def).
struct OpInfo {
  Op op;
  uint8_t prefix;  // 0, 0xFC, 0xFD
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

}  // namespace ember

// The vocabulary of the public C++ API: value and entity types, proposals
// (features), trap codes and error categories.
//
// Place: the bottom of the public API. Every other public header takes these
// names from here, and so does the engine itself: src/ir/types.hh and
// src/support/error.hh include this header rather than defining their own, so
// there is one ValType, one FeatureSet, one TrapCode in the whole program and
// nothing to convert at the API edge.
//
// Invariants:
//   - ValType's values are the binary encodings of the value types.
//   - Feature lists the rows of src/ir/features.def and TrapCode the rows of
//     src/ir/traps.def, in order, after Core / None. The tables hold their
//     names, defaults and messages; src/api/api_vocabulary.cc checks at
//     compile time that every row has its enumerator, in its place. Adding a
//     row means adding its enumerator here.
//   - Plain data: the out-of-line functions below are defined in the library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

// ---- values and entities -----------------------------------------------------

// A WebAssembly value type; the value is its binary encoding.
enum class ValType : uint8_t {
  I32 = 0x7F,
  I64 = 0x7E,
  F32 = 0x7D,
  F64 = 0x7C,
  V128 = 0x7B,
  FuncRef = 0x70,
  ExternRef = 0x6F,
  ExnRef = 0x69,  // exceptions: a caught exception (nullable)
};

inline bool is_ref(ValType t) {
  return t == ValType::FuncRef || t == ValType::ExternRef || t == ValType::ExnRef;
}
// The text format's name: "i32", "funcref", ...
const char* val_type_name(ValType t);
// Call slots (8 bytes each) one value of this type takes: 2 for v128, else 1.
inline uint32_t slot_count(ValType t) {
  return t == ValType::V128 ? 2 : 1;
}
// Decodes a value-type byte (the enum's value); false if it is not one.
bool val_type_from_byte(uint8_t b, ValType* out);

// A function signature.
struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType& o) const { return params == o.params && results == o.results; }
  std::string to_string() const;  // "(i32, i64) -> (f32)"
};

// The size limits of a memory (in its pages) or a table (in elements).
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
  Limits limits;  // in pages of 2^page_size_log2 bytes
  // 16 (64 KiB pages) unless the custom-page-sizes proposal says otherwise;
  // a valid type has 16 or 0 (1-byte pages). Imports match only equal sizes.
  uint8_t page_size_log2 = 16;
  bool operator==(const MemoryType& o) const {
    return limits == o.limits && page_size_log2 == o.page_size_log2;
  }
  uint64_t page_size() const { return uint64_t{1} << page_size_log2; }
  // The largest page count a valid type of this index type and page size
  // may state: 2^32 (2^64) bytes in pages, and at most 2^32-1 (2^64-1)
  // pages. So 65536 (2^48) for 64 KiB pages, 2^32-1 (2^64-1) for 1-byte ones.
  uint64_t max_pages() const {
    const unsigned bits = limits.is64 ? 64 : 32;
    if (page_size_log2 == 0) return limits.is64 ? UINT64_MAX : uint64_t{UINT32_MAX};
    return page_size_log2 < bits ? uint64_t{1} << (bits - page_size_log2) : 1;
  }
};

struct GlobalType {
  ValType type = ValType::I32;
  bool mut = false;
  bool operator==(const GlobalType& o) const { return type == o.type && mut == o.mut; }
};

// The type of an exception tag (exceptions): the signature of its payload.
// The function type's params are the values an exception of the tag carries;
// a tag that wasm can define or that Tag::create makes has no results.
struct TagType {
  FuncType functype;
  bool operator==(const TagType& o) const { return functype == o.functype; }
};

// What an import or export is; the value is its binary encoding.
enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3, Tag = 4 };
const char* extern_kind_name(ExternKind k);  // "func", "table", ...

constexpr uint64_t kPageSize = 65536;    // the default page size
constexpr uint64_t kMaxPages32 = 65536;  // 4 GiB in default pages

// ---- features ----------------------------------------------------------------

// A WebAssembly proposal that Config can switch on or off. Core, the base
// language, is always on. One enumerator per row of src/ir/features.def, in
// its order; Count_ is the number of enumerators, not a feature.
enum class Feature : uint8_t {
  Core = 0,
  MutableGlobal = 1,
  SignExtension = 2,
  SaturatingFloatToInt = 3,
  MultiValue = 4,
  BulkMemory = 5,
  ReferenceTypes = 6,
  Simd = 7,
  RelaxedSimd = 8,
  TailCall = 9,
  MultiMemory = 10,
  ExtendedConst = 11,
  Threads = 12,
  Memory64 = 13,
  Exceptions = 14,
  FunctionReferences = 15,
  Gc = 16,
  WideArithmetic = 17,
  CustomPageSizes = 18,
  Count_
};
constexpr size_t kFeatureCount = static_cast<size_t>(Feature::Count_);

// A set of enabled features: bit i is Feature(i). Core is always in it.
struct FeatureSet {
  uint32_t bits = 1u;  // bit 0 = Core
  bool has(Feature f) const { return bits & (1u << static_cast<unsigned>(f)); }
  void set(Feature f, bool on) {
    if (f == Feature::Core) return;
    if (on) bits |= 1u << static_cast<unsigned>(f);
    else bits &= ~(1u << static_cast<unsigned>(f));
  }
  static FeatureSet defaults();  // wasmtime's defaults
  static FeatureSet all();
  bool operator==(const FeatureSet& o) const { return bits == o.bits; }
};
// The Config name without "wasm_", as the CLI spells it: "bulk_memory".
const char* feature_name(Feature f);
// The feature called `name` (as feature_name gives it); false if none.
bool feature_from_name(std::string_view name, Feature* out);

// ---- traps -------------------------------------------------------------------

// Why wasm execution stopped. None (0) is "no trap". One enumerator per row
// of src/ir/traps.def, in its order; Count_ is the number of enumerators.
enum class TrapCode : uint8_t {
  None = 0,
  StackOverflow = 1,
  MemoryOutOfBounds = 2,
  HeapMisaligned = 3,
  TableOutOfBounds = 4,
  UndefinedElement = 5,
  UninitializedElement = 6,
  IndirectCallTypeMismatch = 7,
  IntegerOverflow = 8,
  IntegerDivideByZero = 9,
  InvalidConversionToInteger = 10,
  Unreachable = 11,
  Interrupt = 12,
  OutOfFuel = 13,
  NullReference = 14,
  HostError = 15,  // a host function failed; the embedder gets its exception
  Exit = 16,       // WASI proc_exit
  Exception = 17,  // a wasm exception no handler caught (exceptions)
  Count_
};
const char* trap_spec_message(TrapCode c);      // the spec testsuite's: "integer divide by zero"
const char* trap_wasmtime_message(TrapCode c);  // wasmtime's: "wasm `unreachable` ..."
int trap_wasmtime_code(TrapCode c);             // wasmtime's TrapCode value, or -1

// ---- errors ------------------------------------------------------------------

// The category of a failure, as the spec's script assertions tell them apart.
enum class ErrorKind : uint8_t {
  Malformed = 0,   // the bytes or text do not follow the format (decode / parse)
  Invalid = 1,     // well-formed but fails validation
  Unlinkable = 2,  // imports do not match at instantiation
  Trap = 3,        // a trap during instantiation (start function, segment init)
  Exhaustion = 4,  // a resource ran out (stack, memory, limits)
  Internal = 5,    // anything else: I/O, bad API use
  // Well-formed input that uses a WebAssembly construct Ember does not
  // implement yet (src/ir/pending.def): neither malformed nor invalid.
  Unsupported = 6,
};
const char* error_kind_name(ErrorKind k);  // "malformed", ...; Internal is "error"

}  // namespace ember

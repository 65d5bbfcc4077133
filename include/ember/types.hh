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

// The abstract heap types; the value is the binary encoding (which is also
// the byte of the nullable reference type's shorthand: 0x70 = funcref).
// Three hierarchies with Wasm 3.0's exceptions, four with GC:
//   func   > (function types)          > nofunc
//   extern >                             noextern
//   exn    >                             noexn
//   any    > eq > i31, struct > (struct types), array > (array types) > none
enum class HeapKind : uint8_t {
  Func = 0x70,
  Extern = 0x6F,
  Exn = 0x69,
  Any = 0x6E,
  Eq = 0x6D,
  I31 = 0x6C,
  Struct = 0x6B,
  Array = 0x6A,
  None = 0x71,
  NoExtern = 0x72,
  NoFunc = 0x73,
  NoExn = 0x74,
};
// The top of `h`'s hierarchy: Func, Extern, Exn or Any.
constexpr HeapKind heap_top(HeapKind h) {
  switch (h) {
    case HeapKind::Func:
    case HeapKind::NoFunc: return HeapKind::Func;
    case HeapKind::Extern:
    case HeapKind::NoExtern: return HeapKind::Extern;
    case HeapKind::Exn:
    case HeapKind::NoExn: return HeapKind::Exn;
    default: return HeapKind::Any;
  }
}
// The bottom of `h`'s hierarchy: NoFunc, NoExtern, NoExn or None.
constexpr HeapKind heap_bottom(HeapKind h) {
  switch (heap_top(h)) {
    case HeapKind::Func: return HeapKind::NoFunc;
    case HeapKind::Extern: return HeapKind::NoExtern;
    case HeapKind::Exn: return HeapKind::NoExn;
    default: return HeapKind::None;
  }
}
// The text format's name: "func", "nofunc", ...
const char* heap_kind_name(HeapKind h);
// Decodes an abstract heap-type byte; false if it is not one.
bool heap_kind_from_byte(uint8_t b, HeapKind* out);

// How a value is represented: the number types by their encodings, and a
// reference by the top of its heap type's hierarchy (all references of one
// hierarchy share one representation). Bottom is the validator's type of
// values in unreachable code and no value's type.
enum class ValKind : uint8_t {
  Bottom = 0,
  I32 = 0x7F,
  I64 = 0x7E,
  F32 = 0x7D,
  F64 = 0x7C,
  V128 = 0x7B,
  FuncRef = 0x70,
  ExternRef = 0x6F,
  ExnRef = 0x69,
  AnyRef = 0x6E,
};

// A WebAssembly value type: a number type, v128, or a reference type
// `(ref null? ht)` whose heap type is abstract (HeapKind) or concrete (a type
// index). Four bytes: bits 0-7 the number type's encoding or the heap kind
// (for a concrete heap type, the abstract kind of its definition: Func for
// function types), bit 8 nullable, bit 9 concrete, bits 10-31 the index.
//
// Whose index it is depends on where the type sits: in a module's
// declarations (ModuleData) an index into the module's types; anywhere at
// run time (store entities, the engine's type registry, the public API) an
// engine-canonical type id (src/ir/type_registry.hh). Equality is exact:
// `(ref $t)` is not FuncRef (`(ref null func)`); ask kind() or heap() about
// the representation or the hierarchy.
class ValType {
 public:
  static const ValType I32, I64, F32, F64, V128;
  static const ValType FuncRef, ExternRef, ExnRef;  // the nullable shorthands
  static const ValType Bottom;

  constexpr ValType() : bits_(0x7F) {}
  static constexpr ValType ref(HeapKind h, bool nullable) {
    return ValType(uint32_t(h) | (nullable ? kNullable : 0));
  }
  // `(ref null? $index)`: a concrete heap type whose definition is of
  // abstract kind `def` (HeapKind::Func until GC adds struct and array).
  static constexpr ValType ref_index(uint32_t index, bool nullable, HeapKind def = HeapKind::Func) {
    return ValType(uint32_t(def) | (nullable ? kNullable : 0) | kConcrete | (index << kIndexShift));
  }
  // The serialized form (bits()); false if `b` is no valid ValType.
  static bool from_bits(uint32_t b, ValType* out);

  constexpr ValKind kind() const {
    if (!is_ref()) return ValKind(code());
    return ValKind(uint8_t(heap_top(heap())));
  }
  constexpr bool is_ref() const { return code() <= 0x74 && code() >= 0x69; }
  constexpr bool is_num() const { return code() >= 0x7C; }
  constexpr bool is_bottom() const { return bits_ == 0; }
  constexpr bool nullable() const { return bits_ & kNullable; }
  constexpr bool has_index() const { return bits_ & kConcrete; }
  constexpr uint32_t index() const { return bits_ >> kIndexShift; }
  // The abstract heap kind (of a concrete type: its definition's kind).
  constexpr HeapKind heap() const { return HeapKind(code()); }
  constexpr uint32_t bits() const { return bits_; }
  constexpr ValType as_nullable(bool n = true) const {
    return ValType(n ? bits_ | kNullable : bits_ & ~kNullable);
  }
  constexpr ValType with_index(uint32_t index) const {
    return ValType((bits_ & ((1u << kIndexShift) - 1)) | (index << kIndexShift));
  }
  constexpr bool operator==(const ValType& o) const { return bits_ == o.bits_; }

  // Concrete indices must stay below this (the registry and decoders check).
  static constexpr uint32_t kMaxIndex = (1u << 22) - 1;

 private:
  static constexpr uint32_t kNullable = 1u << 8, kConcrete = 1u << 9, kIndexShift = 10;
  constexpr uint8_t code() const { return uint8_t(bits_); }
  constexpr explicit ValType(uint32_t bits) : bits_(bits) {}
  uint32_t bits_;
};

// (A static member's initializer may use the private constructor.)
inline constexpr ValType ValType::I32 = ValType(0x7F);
inline constexpr ValType ValType::I64 = ValType(0x7E);
inline constexpr ValType ValType::F32 = ValType(0x7D);
inline constexpr ValType ValType::F64 = ValType(0x7C);
inline constexpr ValType ValType::V128 = ValType(0x7B);
inline constexpr ValType ValType::FuncRef = ValType::ref(HeapKind::Func, true);
inline constexpr ValType ValType::ExternRef = ValType::ref(HeapKind::Extern, true);
inline constexpr ValType ValType::ExnRef = ValType::ref(HeapKind::Exn, true);
inline constexpr ValType ValType::Bottom = ValType(0);

inline bool is_ref(ValType t) {
  return t.is_ref();
}
// The text format's name: "i32", "funcref", "(ref $3)", "(ref null nofunc)".
std::string val_type_name(ValType t);
// Call slots (8 bytes each) one value of this type takes: 2 for v128, else 1.
inline uint32_t slot_count(ValType t) {
  return t == ValType::V128 ? 2 : 1;
}
// Decodes a one-byte value type (a number type, v128 or a nullable
// reference shorthand such as 0x70 funcref); false if `b` is not one.
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
  HostError = 15,                  // a host function failed; the embedder gets its exception
  Exit = 16,                       // WASI proc_exit
  Exception = 17,                  // a wasm exception no handler caught (exceptions)
  NullFunctionReference = 18,      // call_ref of a null reference (wasmtime: NullReference)
  AtomicWaitNonSharedMemory = 19,  // memory.atomic.wait on an unshared memory (threads)
  NullStructReference = 20,        // GC: struct access through null (wasmtime: NullReference)
  NullArrayReference = 21,         // GC: array access through null (wasmtime: NullReference)
  NullI31Reference = 22,           // GC: i31.get of null (wasmtime: NullReference)
  ArrayOutOfBounds = 23,           // GC: an array index or range out of bounds
  AllocationTooLarge = 24,         // GC: an object larger than the heap allows
  CastFailure = 25,                // GC: ref.cast of a value not of the type
  GcHeapOutOfMemory = 26,          // GC: the heap is at the store's memory limit
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

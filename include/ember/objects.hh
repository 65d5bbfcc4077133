// Values and store handles: Val, ExternRef, Func, Memory, Table, Global,
// Tag, Extern, and host functions built from C++ callables.
//
// Every handle is a (store, entity) pair of plain pointers: cheap to copy,
// valid while its Store lives (see store.hh). Operations throw WasmError or
// Trap (errors.hh) on failure.
//
// The call path has an allocation-free form: Func::call_raw takes a
// caller-provided buffer of 8-byte slots (arguments in, results out; a v128
// takes two slots, a funcref is the FuncInst pointer, an externref the
// ExternObj pointer, null is 0), and Func::typed<R(Args...)>() checks the
// signature once and then calls with no allocation at all.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "ember/errors.hh"
#include "ember/store.hh"
#include "ember/types.hh"

namespace ember {

namespace rt {
struct FuncInst;
struct MemoryInst;
struct SharedMemory;
struct TableInst;
struct GlobalInst;
struct TagInst;
struct ExternObj;
struct HostCall;
struct GcRoot;
}  // namespace rt

class Func;
class Extern;
class Instance;

// A host object passed to wasm as an externref. Two ExternRefs are the same
// reference when they refer to the same object. While an ExternRef (or a
// Val holding a reference) lives, the store's collector keeps what it
// refers to.
class ExternRef {
 public:
  // A new reference carrying `payload` (opaque to the engine) and `id`.
  static ExternRef create(Store& store, std::shared_ptr<void> payload, uint64_t id = 0);
  // The payload and id it was created with; none and 0 for an externref
  // that wasm made from one of its own values (extern.convert_any).
  const std::shared_ptr<void>& payload() const;
  uint64_t id() const;
  // Whether the host created it (ExternRef::create), rather than wasm.
  bool is_host() const;
  bool operator==(const ExternRef& o) const { return obj_ == o.obj_; }

  // A handle to `o` of store `s`, which it keeps from being collected.
  ExternRef(rt::StoreData* s, rt::ExternObj* o);
  rt::ExternObj* raw() const { return obj_; }
  rt::StoreData* store() const { return store_; }
  const std::shared_ptr<rt::GcRoot>& root() const { return root_; }

 private:
  friend class Val;
  // A handle sharing the root of the Val it comes from.
  ExternRef(rt::StoreData* s, rt::ExternObj* o, std::shared_ptr<rt::GcRoot> root)
      : store_(s), obj_(o), root_(std::move(root)) {}
  rt::StoreData* store_;
  rt::ExternObj* obj_;
  std::shared_ptr<rt::GcRoot> root_;
};

// A WebAssembly value: its type and its bits.
class Val {
 public:
  Val() = default;  // i32 0
  static Val i32(int32_t v) { return Val(ValType::I32, uint32_t(v)); }
  static Val i64(int64_t v) { return Val(ValType::I64, uint64_t(v)); }
  static Val f32(float v) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    return Val(ValType::F32, b);
  }
  static Val f64(double v) {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    return Val(ValType::F64, b);
  }
  static Val f32_bits(uint32_t b) { return Val(ValType::F32, b); }
  static Val f64_bits(uint64_t b) { return Val(ValType::F64, b); }
  static Val v128(uint64_t lo, uint64_t hi) {
    Val v(ValType::V128, lo);
    v.hi_ = hi;
    return v;
  }
  static Val funcref(const std::optional<Func>& f);
  static Val externref(const std::optional<ExternRef>& r);
  static Val null(ValType ref_type) { return Val(ref_type, 0); }
  // An i31 reference (`(ref i31)`) of the low 31 bits of `x`.
  static Val i31ref(uint32_t x);

  ValType type() const { return type_; }
  int32_t i32() const {
    check(ValType::I32);
    return int32_t(uint32_t(lo_));
  }
  int64_t i64() const {
    check(ValType::I64);
    return int64_t(lo_);
  }
  float f32() const {
    check(ValType::F32);
    float f;
    uint32_t b = uint32_t(lo_);
    std::memcpy(&f, &b, 4);
    return f;
  }
  double f64() const {
    check(ValType::F64);
    double d;
    std::memcpy(&d, &lo_, 8);
    return d;
  }
  std::optional<Func> funcref() const;
  std::optional<ExternRef> externref() const;
  bool is_null() const { return is_ref(type_) && lo_ == 0; }
  // What a reference of the any or extern hierarchy holds (GC, Wasm 3.0):
  // an i31, a struct, an array or a host extern; Null for null and for
  // every other value.
  enum class GcKind : uint8_t { Null, I31, Struct, Array, Extern };
  GcKind gc_kind() const;
  // The value of an i31 reference, sign- or zero-extended (i31.get_s /
  // i31.get_u); nullopt for any other value.
  std::optional<int32_t> i31_s() const;
  std::optional<uint32_t> i31_u() const;
  // Whether this value may stand where type `t` is expected: the same
  // representation (t.kind()) and, for a reference, null only if `t` is
  // nullable, and a function whose type is a subtype of t's concrete type.
  // A typed function reference is checked this way wherever a value enters
  // wasm (arguments, host results, tables, globals).
  bool matches(ValType t) const;

  // Raw bits: the low slot (everything but the high half of a v128) and the high slot.
  uint64_t bits() const { return lo_; }
  // Whether this value may enter wasm of store `s`: anything but a
  // reference to an object of another store (a function, an extern, a GC
  // object; i31 values and nulls belong to no store).
  bool usable_in(const rt::StoreData* s) const;
  uint64_t bits_hi() const { return hi_; }
  // Conversion to and from call slots (a ref's store is needed to read it back).
  static Val from_slots(ValType t, const uint64_t* slots, rt::StoreData* store);
  void to_slots(uint64_t* slots) const;

 private:
  Val(ValType t, uint64_t lo) : type_(t), lo_(lo) {}
  void check(ValType want) const;
  ValType type_ = ValType::I32;
  uint64_t lo_ = 0, hi_ = 0;
  rt::StoreData* store_ = nullptr;    // for references
  std::shared_ptr<rt::GcRoot> root_;  // keeps an object it refers to from collection
};

// Access from inside a host function to the calling instance and store.
class Caller {
 public:
  explicit Caller(rt::HostCall* call) : call_(call) {}
  // An export of the calling instance (none when called from the embedder).
  std::optional<Extern> get_export(std::string_view name) const;
  // The calling instance (none when called from the embedder); unlike the
  // Caller, it stays valid after the call, while the store lives.
  std::optional<Instance> instance() const;
  // The calling store's Store::data().
  void* data() const;
  rt::StoreData* store() const;
  rt::HostCall* raw() const { return call_; }

 private:
  rt::HostCall* call_;
};

// A host function body in raw form: arguments in slots[0..), results written
// to slots[0..) (the buffer holds max(params, results) slots). Throwing any
// exception makes the call fail; the exception reaches the embedder. A
// reference argument in the slots is not a GC root: read it into a Val
// (Val::from_slots) before anything that may collect (Store::gc, a call
// into wasm).
using HostCallback = std::function<void(Caller& caller, uint64_t* slots)>;

namespace detail {
template <typename T>
struct WasmType;
template <>
struct WasmType<int32_t> {
  static constexpr ValType type = ValType::I32;
};
template <>
struct WasmType<uint32_t> {
  static constexpr ValType type = ValType::I32;
};
template <>
struct WasmType<int64_t> {
  static constexpr ValType type = ValType::I64;
};
template <>
struct WasmType<uint64_t> {
  static constexpr ValType type = ValType::I64;
};
template <>
struct WasmType<float> {
  static constexpr ValType type = ValType::F32;
};
template <>
struct WasmType<double> {
  static constexpr ValType type = ValType::F64;
};

template <typename T>
T from_slot(uint64_t s) {
  if constexpr (std::is_same_v<T, float>) {
    float f;
    uint32_t b = uint32_t(s);
    std::memcpy(&f, &b, 4);
    return f;
  } else if constexpr (std::is_same_v<T, double>) {
    double d;
    std::memcpy(&d, &s, 8);
    return d;
  } else return static_cast<T>(s);
}
template <typename T>
uint64_t to_slot(T v) {
  if constexpr (std::is_same_v<T, float>) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    return b;
  } else if constexpr (std::is_same_v<T, double>) {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    return b;
  } else if constexpr (sizeof(T) == 4) return uint32_t(v);
  else return uint64_t(v);
}

// Results: void, one scalar, or a std::tuple of scalars.
template <typename R>
struct Results {
  static void types(std::vector<ValType>& out) { out.push_back(WasmType<R>::type); }
  static void store(const R& r, uint64_t* slots) { slots[0] = to_slot(r); }
  static R load(const uint64_t* slots) { return from_slot<R>(slots[0]); }
};
template <>
struct Results<void> {
  static void types(std::vector<ValType>&) {}
};
template <typename... Ts>
struct Results<std::tuple<Ts...>> {
  static void types(std::vector<ValType>& out) { (out.push_back(WasmType<Ts>::type), ...); }
  static void store(const std::tuple<Ts...>& r, uint64_t* slots) {
    std::apply(
        [&](const Ts&... v) {
          size_t i = 0;
          ((slots[i++] = to_slot(v)), ...);
        },
        r);
  }
  static std::tuple<Ts...> load(const uint64_t* slots) {
    return load_at(slots, std::index_sequence_for<Ts...>{});
  }
  template <size_t... I>
  static std::tuple<Ts...> load_at(const uint64_t* s, std::index_sequence<I...>) {
    return std::tuple<Ts...>(from_slot<Ts>(s[I])...);
  }
};

template <typename F>
struct Callable : Callable<decltype(&F::operator())> {};
template <typename R, typename... A>
struct Callable<R (*)(A...)> {
  using Ret = R;
  using Args = std::tuple<A...>;
};
template <typename R, typename... A>
struct Callable<R(A...)> : Callable<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Callable<R (C::*)(A...) const> : Callable<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Callable<R (C::*)(A...)> : Callable<R (*)(A...)> {};

template <typename Tuple>
struct ParamList;
template <typename... A>
struct ParamList<std::tuple<A...>> {
  static constexpr bool has_caller = false;
  static void types(std::vector<ValType>& out) {
    (out.push_back(WasmType<std::decay_t<A>>::type), ...);
  }
  template <typename F, size_t... I>
  static auto invoke(F& f, Caller&, const uint64_t* s, std::index_sequence<I...>) {
    return f(from_slot<std::decay_t<A>>(s[I])...);
  }
  static constexpr size_t count = sizeof...(A);
};
template <typename... A>
struct ParamList<std::tuple<Caller&, A...>> {
  static constexpr bool has_caller = true;
  static void types(std::vector<ValType>& out) {
    (out.push_back(WasmType<std::decay_t<A>>::type), ...);
  }
  template <typename F, size_t... I>
  static auto invoke(F& f, Caller& c, const uint64_t* s, std::index_sequence<I...>) {
    return f(c, from_slot<std::decay_t<A>>(s[I])...);
  }
  static constexpr size_t count = sizeof...(A);
};
}  // namespace detail

template <typename Sig>
class TypedFunc;

class Func {
 public:
  // A host function of type `type` running `callback`.
  static Func create(Store& store, const FuncType& type, HostCallback callback);
  // Visits the callback of every host function of `store` made by create()
  // (directly or as a Linker's definition), for an embedder that accounts
  // for what its callbacks hold (the Python package's garbage-collector
  // support). Only while the store is not executing: calls add functions.
  static void for_each_host_callback(const Store& store,
                                     const std::function<void(const HostCallback&)>& visit);
  // A host function whose wasm type is derived from the C++ signature:
  // parameters and results of int32_t/uint32_t (i32), int64_t/uint64_t (i64),
  // float (f32), double (f64); the result may be void or a std::tuple; an
  // optional first parameter `Caller&` gives access to the caller.
  template <typename F>
  static Func wrap(Store& store, F fn);

  FuncType type() const;
  // The same type without a copy: valid while the store lives.
  const FuncType& signature() const;
  // Calls with typed values (checked against the signature).
  std::vector<Val> call(std::span<const Val> args) const;
  // Calls with a caller-provided slot buffer of at least slot_count() slots.
  void call_raw(uint64_t* slots) const;
  // max(params, results) in slots.
  size_t slot_count() const;
  // Checks the signature once; the result calls without allocating.
  template <typename Sig>
  TypedFunc<Sig> typed() const;

  Func(rt::StoreData* s, rt::FuncInst* f) : store_(s), func_(f) {}
  rt::StoreData* store() const { return store_; }
  rt::FuncInst* raw() const { return func_; }
  bool operator==(const Func& o) const { return func_ == o.func_; }

 private:
  rt::StoreData* store_;
  rt::FuncInst* func_;
};

template <typename R, typename... Args>
class TypedFunc<R(Args...)> {
 public:
  explicit TypedFunc(Func f) : f_(f) {}
  R operator()(Args... args) const {
    uint64_t slots[kSlots] = {};
    size_t i = 0;
    ((slots[i++] = detail::to_slot(args)), ...);
    (void)i;
    f_.call_raw(slots);
    if constexpr (!std::is_void_v<R>) return detail::Results<R>::load(slots);
  }

 private:
  static constexpr size_t kResults = [] {
    if constexpr (std::is_void_v<R>) return size_t{0};
    else if constexpr (requires { std::tuple_size<R>::value; }) return std::tuple_size<R>::value;
    else return size_t{1};
  }();
  static constexpr size_t kSlots = std::max<size_t>({sizeof...(Args), kResults, size_t{1}});
  Func f_;
};

// A linear memory. Sizes are in the memory's pages (64 KiB, or 1 byte for
// a type with page_size_log2 0, which Memory::create accepts whatever the
// engine's features: the custom-page-sizes switch gates modules only).
class Memory {
 public:
  static Memory create(Store& store, const MemoryType& type);
  MemoryType type() const;                                   // minimum = current size
  uint8_t* data() const;                                     // stable while the memory lives
  uint64_t data_size() const;                                // bytes
  uint64_t size() const;                                     // pages
  uint64_t page_size() const;                                // bytes per page
  uint8_t page_size_log2() const;                            // 16, or 0
  uint64_t grow(uint64_t delta_pages) const;                 // old size in pages; throws on failure
  void read(uint64_t offset, std::span<uint8_t> out) const;  // throws if out of bounds
  void write(uint64_t offset, std::span<const uint8_t> bytes) const;

  Memory(rt::StoreData* s, rt::MemoryInst* m) : store_(s), mem_(m) {}
  rt::MemoryInst* raw() const { return mem_; }
  rt::StoreData* store() const { return store_; }

 private:
  rt::StoreData* store_;
  rt::MemoryInst* mem_;
};

// A shared linear memory (threads): made for an engine, not a store, and
// usable from any thread. Each store that imports it (or whose instance
// defined it) holds a reference, as does each handle, so it lives while any
// of them does. It never moves; growth by one thread is seen by the others.
// Instances take it as a memory import (Extern(SharedMemory)); a shared
// memory an instance exports is both a Memory of that store and, through
// Extern::shared_memory(), a SharedMemory.
class SharedMemory {
 public:
  // Throws WasmError (Internal) when `type` is not shared or has no maximum,
  // or the engine's Config::shared_memory is off; (Exhaustion) when no
  // address space is left.
  static SharedMemory create(const Engine& engine, const MemoryType& type);
  MemoryType type() const;                    // minimum = current size
  uint8_t* data() const;                      // stable while the memory lives
  uint64_t data_size() const;                 // bytes
  uint64_t size() const;                      // pages
  uint64_t page_size() const;                 // bytes per page
  uint64_t grow(uint64_t delta_pages) const;  // old size in pages; throws on failure

  explicit SharedMemory(std::shared_ptr<rt::SharedMemory> m) : mem_(std::move(m)) {}
  rt::MemoryInst* raw() const;
  bool operator==(const SharedMemory& o) const { return mem_ == o.mem_; }

 private:
  std::shared_ptr<rt::SharedMemory> mem_;
};

class Table {
 public:
  static Table create(Store& store, const TableType& type, const Val& init);
  TableType type() const;  // minimum = current size
  uint64_t size() const;
  Val get(uint64_t index) const;  // throws if out of bounds
  void set(uint64_t index, const Val& v) const;
  uint64_t grow(uint64_t delta, const Val& init) const;  // old size; throws on failure

  Table(rt::StoreData* s, rt::TableInst* t) : store_(s), table_(t) {}
  rt::TableInst* raw() const { return table_; }
  rt::StoreData* store() const { return store_; }

 private:
  rt::StoreData* store_;
  rt::TableInst* table_;
};

class Global {
 public:
  static Global create(Store& store, const GlobalType& type, const Val& init);
  GlobalType type() const;
  Val get() const;
  void set(const Val& v) const;  // throws for an immutable global or a type mismatch

  Global(rt::StoreData* s, rt::GlobalInst* g) : store_(s), global_(g) {}
  rt::GlobalInst* raw() const { return global_; }
  rt::StoreData* store() const { return store_; }

 private:
  rt::StoreData* store_;
  rt::GlobalInst* global_;
};

// An exception tag (exceptions): what a thrown exception is identified by.
// A tag is its definition: each Tag::create makes a new one, and so does
// each instantiation of a module for each tag the module defines. Two tags
// of equal types are still different tags; operator== is identity. An
// imported tag matches when its type equals the import's (exactly).
class Tag {
 public:
  // A new tag, distinct from every other. Throws WasmError (Internal) when
  // the type has results: an exception's payload is the params only. The
  // engine's exceptions switch gates modules, not this.
  static Tag create(Store& store, const TagType& type);
  TagType type() const;

  Tag(rt::StoreData* s, rt::TagInst* t) : store_(s), tag_(t) {}
  rt::TagInst* raw() const { return tag_; }
  rt::StoreData* store() const { return store_; }
  bool operator==(const Tag& o) const { return tag_ == o.tag_; }

 private:
  rt::StoreData* store_;
  rt::TagInst* tag_;
};

// The errors Func::call, Memory::grow and Table::grow throw, for embedders
// that check first or whose integers do not fit in 64 bits: a call with the
// wrong number of arguments, and a growth by `amount` (as written) that failed.
WasmError argument_count_error(size_t given, size_t expected);
WasmError grow_error(ExternKind kind, std::string_view amount);

// Any of the five: what imports take and exports give.
class Extern {
 public:
  Extern(const Func& f) : kind_(ExternKind::Func), store_(f.store()), ptr_(f.raw()) {}
  Extern(const Memory& m);
  // Of no store: a shared memory is importable into any store. The Extern
  // borrows it: keep the SharedMemory while the Extern is used.
  Extern(const SharedMemory& m);
  Extern(const Table& t);
  Extern(const Global& g);
  Extern(const Tag& t);
  Extern(ExternKind k, rt::StoreData* s, void* p) : kind_(k), store_(s), ptr_(p) {}

  ExternKind kind() const { return kind_; }
  std::optional<Func> func() const;
  std::optional<Memory> memory() const;               // not for an Extern of no store
  std::optional<SharedMemory> shared_memory() const;  // a memory that is shared
  std::optional<Table> table() const;
  std::optional<Global> global() const;
  std::optional<Tag> tag() const;
  rt::StoreData* store() const { return store_; }
  void* raw() const { return ptr_; }

 private:
  ExternKind kind_;
  rt::StoreData* store_;
  void* ptr_;
};

// ---- templates ---------------------------------------------------------------

template <typename F>
Func Func::wrap(Store& store, F fn) {
  using Traits = detail::Callable<F>;
  using Params = detail::ParamList<typename Traits::Args>;
  using R = typename Traits::Ret;
  FuncType type;
  Params::types(type.params);
  detail::Results<R>::types(type.results);
  return create(store, type, [fn = std::move(fn)](Caller& caller, uint64_t* slots) mutable {
    auto seq = std::make_index_sequence<Params::count>{};
    if constexpr (std::is_void_v<R>) Params::invoke(fn, caller, slots, seq);
    else detail::Results<R>::store(Params::invoke(fn, caller, slots, seq), slots);
  });
}

template <typename Sig>
TypedFunc<Sig> Func::typed() const {
  using Traits = detail::Callable<Sig>;
  FuncType want;
  detail::ParamList<typename Traits::Args>::types(want.params);
  detail::Results<typename Traits::Ret>::types(want.results);
  if (!(want == type()))
    throw WasmError(ErrorKind::Internal, "function type mismatch: the function is " +
                                             type().to_string() + ", not " + want.to_string());
  return TypedFunc<Sig>(*this);
}

}  // namespace ember

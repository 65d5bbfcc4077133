// Execution state as plain structs.
//
// These are what the interpreter (src/interp) reads and writes and what the
// runtime (src/runtime) creates at instantiation. They are deliberately plain
// (no virtuals, stable addresses) so generated code of a later JIT tier can
// address them directly.
//
// Lifetime rule: nothing a Store creates is freed until the Store goes. All
// entities live in deques owned by StoreData, so pointers to them are stable;
// public handles are (store, pointer) pairs checked against their store.
//
// Values in frames, globals and host-call buffers are 8-byte slots (`Slot`);
// a v128 takes two consecutive slots. References are pointers stored in a
// slot: a funcref is a `FuncInst*`, an exnref an `ExnObj*`; null is 0. The
// any and extern hierarchies share runtime/gc.hh's encoding: a GcObject*
// (a struct, an array or an ExternObj) or an i31.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/module.hh"
#include "ir/type_registry.hh"
#include "ir/types.hh"
#include "runtime/gc.hh"

namespace ember::rt {

using Slot = uint64_t;
// Receives each root a tier finds in its frames (StoreData::frame_roots).
using RootVisitor = void (*)(void* cx, Slot v);

struct FuncInst;
struct ModuleInst;
struct SharedMemory;
struct StoreData;
struct EngineData;
struct Tier;

// ---- engine-wide state (thread-safe) ---------------------------------------

// The engine-wide type registry is ir/type_registry.hh's.
using ember::TypeRegistry;

// Largest Config::max_wasm_stack accepted (the interpreter maps eight times
// this much address space per store, touched only as deep as calls go).
constexpr uint64_t kMaxWasmStack = uint64_t{1} << 30;

struct EngineConfig {
  FeatureSet features = FeatureSet::defaults();
  bool consume_fuel = false;
  bool epoch_interruption = false;
  bool signals_based_traps = true;
  bool parallel_compilation = true;
  // Relaxed SIMD operators give the deterministic profile's results (decided
  // at translate time) instead of the fastest native ones.
  bool relaxed_simd_deterministic = false;
  // SharedMemory::create is allowed (wasmtime's Config.shared_memory).
  bool shared_memory = false;
  uint64_t max_wasm_stack = 512 * 1024;  // bytes of wasm stack, as wasmtime
  // Compilation cache directory; empty = no cache (compile/module_cache.hh).
  std::string cache_dir;
  // Settings accepted for compatibility; see docs/decisions.md.
  bool debug_info = false;
  std::string strategy = "auto";  // "auto" (tiered), "cranelift" (eager), "interpreter"
  // Tiering: a function's calls and loop iterations before it is compiled
  // (Config::tier_up_after, Ember's own).
  uint32_t tier_up_after = 10000;
  std::string profiler = "none";
  std::string opt_level = "speed";
  bool cranelift_debug_verifier = false;
  bool nan_canonicalization = false;
  // Eager compilation (strategy "cranelift") reports the functions compiled
  // of the total to it, from the compiling threads, one call at a time
  // (Config::compile_progress, Ember's own; `ember compile` shows it).
  std::function<void(uint32_t done, uint32_t total)> compile_progress;
};

// Modules of other engines loaded into this one (Module::for_engine), by
// the original's data; entries whose original has gone are dropped at the
// next insertion (or with the engine).
struct ReboundModules {
  std::mutex mu;
  struct Entry {
    std::weak_ptr<const ModuleData> original;
    std::shared_ptr<const ModuleData> copy;
  };
  std::unordered_map<const ModuleData*, Entry> entries;
};

// Modules this engine compiled from wasm bytes and that are still alive, by
// a checksum of the bytes (compile/module_cache.hh, "Live modules"): a
// compile of the same bytes returns the live module, with the code tiering
// gave it so far. Entries whose module has gone are dropped by a sweep at
// an insertion that finds the table at `sweep_at` entries, which is then
// set to twice what is left (at least 64): amortized constant work per
// compile however many modules live.
struct LiveModules {
  std::mutex mu;
  struct Entry {
    std::weak_ptr<ModuleData> module;
    bool validated = false;
  };
  std::unordered_multimap<uint64_t, Entry> entries;
  size_t sweep_at = 64;
};

struct EngineData {
  EngineConfig config;
  TypeRegistry types;
  GcTypes gc_types{types};
  std::atomic<uint64_t> epoch{0};
  ReboundModules rebound;
  mutable LiveModules live;
};

// ---- store entities --------------------------------------------------------

// A host-owned value passed as externref. `payload` is opaque to the engine
// (the Python binding keeps a PyObject* there; the wast runner an integer).
// It is a GC object (of the extern kind): an externref slot, and an anyref
// made from one by any.convert_extern, point at it.
struct ExternObj : GcObject {
  ExternObj() : GcObject{extern_gc_type(), 0, 0} {}
  uint64_t host_id = 0;
  std::shared_ptr<void> payload;
  bool live = true;  // false once collected: the object waits for reuse
};

// A linear memory. Its size is kept in bytes, exact to the byte (a memory
// of 1-byte pages need not fill its last host page): every access is
// checked against `size`, never against what is committed. A memory never
// moves: it grows within its reservation. `size` is atomic because a shared
// memory (`shared` set) is grown by any thread that holds it; it only grows,
// and the pages are committed before the new size is published.
struct MemoryInst {
  uint8_t* base = nullptr;        // start of linear memory
  std::atomic<uint64_t> size{0};  // accessible bytes (pages << type.page_size_log2)
  MemoryType type;
  uint64_t max_pages = kMaxPages32;  // effective maximum, in the type's pages
  uint64_t reserved = 0;             // bytes of address space reserved at base
  SharedMemory* shared = nullptr;    // the owner, for a shared memory
  ~MemoryInst();
};

// A shared memory (threads): one MemoryInst that every store holding it
// points at, owned by reference counting (the SharedMemory handles of the
// API and each store that created or imported it), so it outlives any one
// store. Growth is serialized by `grow_mu`; memory.atomic.wait/notify park
// threads in `waiters` (runtime/atomics.cc).
struct SharedMemory : std::enable_shared_from_this<SharedMemory> {
  MemoryInst mem;
  std::mutex grow_mu;
  struct Waiter {
    uint64_t address;
    std::condition_variable cv;
    bool woken = false;
  };
  std::mutex wait_mu;
  std::list<Waiter*> waiters;  // in arrival order; guarded by wait_mu
};

struct TableInst {
  std::vector<void*> elems;  // FuncInst* / ExternObj* / nullptr
  TableType type;
  uint64_t max = UINT32_MAX;  // effective maximum
};

struct GlobalInst {
  Slot value[2] = {0, 0};  // value[1] used only by v128
  GlobalType type;
};

// The host side of a call: the store, and the instance of the calling wasm
// function (null when called from the embedder).
struct HostCall {
  StoreData* store = nullptr;
  ModuleInst* caller = nullptr;
};

// A host function: arguments arrive in `slots[0..)` and results are written
// back to `slots[0..)` (the buffer holds max(params, results) slots).
// Returns TrapCode::None on success. To fail with an arbitrary error a host
// function stores it in `StoreData::host_error` and returns
// TrapCode::HostError (or TrapCode::Exit for WASI proc_exit).
using HostFn = std::function<TrapCode(HostCall&, Slot* slots)>;

// What a host function owns: its callable and its type.
struct HostFunc {
  HostFn fn;
  FuncType type;
};

// 40 bytes: an instance creates one per defined function.
struct FuncInst {
  const FuncType* type = nullptr;  // owned by the module or by `host`
  ModuleInst* instance = nullptr;  // null for host functions
  const void* code = nullptr;      // interpreter function (opaque here)
  HostFunc* host = nullptr;        // set for host functions (owned by the store)
  uint32_t type_id = 0;            // canonical (EngineData::types)
  uint32_t index = 0;              // in the instance's function index space
  bool is_host() const { return host != nullptr; }
};

// An exception tag (exceptions): its identity is its address; its type
// is a function type without results (the payload's types).
struct TagInst {
  FuncType type;
  uint32_t type_id = 0;  // engine-canonical id of `type`
  // Where it was defined, for messages: the instance and its tag index
  // (null for a tag the host made).
  ModuleInst* owner = nullptr;
  uint32_t index = 0;
};

// A thrown exception (exceptions): the tag and the payload, in slots (a
// v128 takes two). An exnref is an `ExnObj*`. Objects are store-owned and
// reused once collected (rt::collect_exns); `generation` counts reuses, so
// that a token naming an object (index, generation) held by the host goes
// stale instead of naming the next exception.
struct ExnObj {
  TagInst* tag = nullptr;
  std::vector<Slot> payload;
  uint32_t index = 0;  // in StoreData::exns
  uint64_t generation = 0;
  bool live = true;
};

struct DataInst {
  const uint8_t* bytes = nullptr;
  uint64_t size = 0;  // 0 once dropped
};

// What compiled code reads of an instance, at fixed offsets (a compiled
// tier's functions get a pointer to it): the arrays of ModuleInst's
// vectors, which do not change once the instance is made. Filled whenever
// compiled code is entered (interp::native_view).
struct InstView {
  MemoryInst* const* memories = nullptr;
  GlobalInst* const* globals = nullptr;
  FuncInst* const* funcs = nullptr;
  ModuleInst* inst = nullptr;
};

struct ModuleInst {
  std::shared_ptr<const ModuleData> module;
  InstView view;
  std::vector<FuncInst*> funcs;           // imported, then own_funcs
  std::unique_ptr<FuncInst[]> own_funcs;  // the defined functions (stable)
  bool memory_imaged = false;             // initial memory mapped from the module's image
  std::vector<TableInst*> tables;
  std::vector<MemoryInst*> memories;
  std::vector<GlobalInst*> globals;
  std::vector<TagInst*> tags;             // imported, then defined
  std::vector<std::vector<void*>> elems;  // element segments; cleared on drop
  std::vector<DataInst> datas;
  // The GcType of each of the module's types (null for function types).
  std::vector<const GcType*> gc_types;
};

struct StoreLimits {
  int64_t memory_size = -1;  // bytes; -1 = unlimited
  int64_t table_elements = -1;
  int64_t instances = -1;
  int64_t tables = -1;
  int64_t memories = -1;
};

struct StoreData {
  std::shared_ptr<EngineData> engine;

  std::deque<FuncInst> funcs;  // host functions (instances own theirs)
  std::deque<HostFunc> host_funcs;
  std::deque<TableInst> tables;
  std::deque<MemoryInst> memories;
  // The shared memories this store created or imported (threads): a store
  // holds a reference to each for as long as it lives.
  std::vector<std::shared_ptr<SharedMemory>> shared_memories;
  std::deque<GlobalInst> globals;
  std::deque<TagInst> tags;
  std::deque<ModuleInst> instances;
  std::deque<ExternObj> externs;
  std::vector<ExternObj*> free_externs;  // collected, reused by create_extern
  GcHeap heap;                           // structs and arrays
  // The collector's roots besides entities (runtime/gc.hh): the cells of
  // host-held references (pruned as they expire), the references a
  // constant expression holds while it allocates, and those of the live
  // wasm frames, which the tier running them hands to `visit` from its
  // stack maps (set by the tier when it first runs wasm in this store).
  std::vector<std::weak_ptr<GcRoot>> roots;
  size_t roots_after_prune = 0;
  std::vector<Slot> temp_roots;
  void (*frame_roots)(const StoreData& s, RootVisitor visit, void* cx) = nullptr;
  std::deque<ExnObj> exns;
  std::vector<ExnObj*> free_exns;  // collected, reused by new_exn
  size_t exns_live_after_gc = 0;   // live exception objects after the last collection
  // The exception of the last TrapCode::Exception: thrown by wasm and not
  // caught before it reached the host.
  ExnObj* pending_exn = nullptr;

  StoreLimits limits;
  // Memories and tables defined by instances (what the count limits count).
  uint64_t instance_memories = 0;
  uint64_t instance_tables = 0;

  // Execution control. Fuel is kept as wasmtime keeps it: the interpreter
  // adds each basic block's cost to `fuel_injected`, which starts at minus
  // the fuel handed to wasm and means "spent" once it is >= 0; fuel beyond
  // INT64_MAX waits in `fuel_reserve`. `fuel_saved` is the value as of the
  // last save point (calls, returns, unreachable); a trap rolls back to it,
  // as wasmtime keeps fuel in a register between save points.
  int64_t fuel_injected = 0;
  int64_t fuel_saved = 0;
  uint64_t fuel_reserve = 0;
  // The absolute engine epoch that interrupts: `epoch_deadline` is what the
  // interpreter compares with (0 while an interrupt is pending),
  // `epoch_deadline_set` what set_epoch_deadline asked for. Store::interrupt
  // may come from another thread, hence the atomics.
  std::atomic<uint64_t> epoch_deadline{0};
  uint64_t epoch_deadline_set = 0;
  std::atomic<bool> interrupt_requested{false};
  std::exception_ptr host_error;  // set with TrapCode::HostError
  // The last trap's memory fault, when it was an out-of-bounds load or store
  // that wasmtime would report as one (see runtime/backtrace.hh).
  struct MemoryFault {
    bool valid = false;
    uint64_t address = 0;      // the first inaccessible wasm address touched
    uint64_t memory_size = 0;  // bytes
  } fault;
  int32_t exit_code = 0;  // set with TrapCode::Exit
  // Calls into the store (rt::invoke) not yet returned: nonzero while wasm
  // or a host function of the store runs.
  uint32_t entered = 0;

  // Embedding: the public Store's id (unique in the process, never reused),
  // the embedder's pointer (Store::set_data), and the functions made in this
  // store for a Linker's store-independent definitions, by definition id.
  uint64_t id = 0;
  void* embedder_data = nullptr;
  std::unordered_map<uint64_t, FuncInst*> linker_funcs;

  // Interpreter state (owned by src/interp; allocated lazily on first call).
  std::shared_ptr<void> interp;
  // The store's WASI state (owned by src/api/api_wasi.cc; null until used).
  std::shared_ptr<void> wasi;
  // The store's WASI 0.2 resources (owned by src/wasip2; null until used).
  std::shared_ptr<void> wasip2;
  // The tier of the most recent wasm call, which holds the last trap's
  // backtrace (runtime/tier.hh).
  const Tier* tier = nullptr;
};

// Fuel left in `s` (what Store.get_fuel reports; 0 once spent).
uint64_t fuel_remaining(const StoreData& s);
// Sets the fuel left in `s` to `fuel` (Store.set_fuel).
void set_fuel(StoreData& s, uint64_t fuel);
// Interrupt once the engine's epoch is `ticks` past its current value
// (saturating: a deadline past UINT64_MAX never arrives).
inline void set_epoch_deadline(StoreData& s, uint64_t ticks) {
  uint64_t now = s.engine->epoch.load(std::memory_order_relaxed);
  s.epoch_deadline_set = ticks > UINT64_MAX - now ? UINT64_MAX : now + ticks;
  s.epoch_deadline.store(s.epoch_deadline_set);
  // An interrupt requested meanwhile (seq_cst on both sides) stays pending.
  if (s.interrupt_requested.load()) s.epoch_deadline.store(0);
}
// Store::interrupt, from any thread: the next epoch check traps.
inline void request_interrupt(StoreData& s) {
  s.interrupt_requested.store(true);
  s.epoch_deadline.store(0);
}
// Spends a pending interrupt (the owning thread, when an epoch check traps or
// the outermost call returns): the deadline is the one last set again.
inline void take_interrupt(StoreData& s) {
  if (s.interrupt_requested.exchange(false)) s.epoch_deadline.store(s.epoch_deadline_set);
}

// Adds `units` to the fuel spent (saturating).
inline void charge_fuel(StoreData& s, uint64_t units) {
  if (units > uint64_t(INT64_MAX) || s.fuel_injected > INT64_MAX - int64_t(units)) {
    s.fuel_injected = INT64_MAX;
  } else {
    s.fuel_injected += int64_t(units);
  }
}
// Moves fuel from the reserve into play when the injected fuel is spent;
// false when there is none left (the caller traps OutOfFuel).
bool refuel(StoreData& s);

// Growth, honouring the type's maximum, the engine and the store limits.
// Return the old size (pages / elements) or -1 when growth is refused.
// Implemented in src/runtime; called by the interpreter and the public API.
int64_t memory_grow(StoreData& store, MemoryInst& mem, uint64_t delta_pages);
// The same for a shared memory grown by no store (SharedMemory::grow): only
// the type's maximum and the reservation bound it.
int64_t shared_memory_grow(SharedMemory& mem, uint64_t delta_pages);
int64_t table_grow(StoreData& store, TableInst& table, uint64_t delta, void* init);

}  // namespace ember::rt

// Store: owns every instance, function, memory, table and global created in it.
//
// A Store is single-threaded. Nothing created in a store is freed before the
// store itself, so handles (Func, Memory, ...) stay valid while their store
// lives; using a handle after its store is destroyed is undefined. A Store
// may be moved but not copied; moving keeps handles valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ember/engine.hh"

namespace ember {

namespace rt {
struct StoreData;
}

class Store {
 public:
  explicit Store(const Engine& engine);
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const Engine& engine() const { return engine_; }
  // Unique in the process and never reused, even after the store is gone
  // (so an embedder can tell a stale handle from one of a newer store).
  uint64_t id() const;
  // The embedder's own pointer kept with the store (wasmtime's store data);
  // host functions read it through Caller::data(). Null until set.
  void set_data(void* data);
  void* data() const;

  // Resource limits; a negative value means unlimited. `memory_size` is in
  // bytes per memory; `table_elements` per table; the others count entities.
  void set_limits(int64_t memory_size = -1, int64_t table_elements = -1, int64_t instances = -1,
                  int64_t tables = -1, int64_t memories = -1);

  // Fuel (Config::consume_fuel must be on, else these throw WasmError
  // "fuel is not configured in this store").
  void set_fuel(uint64_t fuel);
  uint64_t get_fuel() const;

  // Interrupts execution once the engine's epoch passes now + `ticks`.
  void set_epoch_deadline(uint64_t ticks);
  // Makes the wasm running in this store (or, if none runs, the next call)
  // trap with TrapCode::Interrupt at its next epoch check (function entry or
  // loop header), without touching the engine's epoch or other stores. The
  // one call that may come from any thread. The interrupt is spent by that
  // trap or when the outermost call returns; the deadline set before stays.
  // Throws WasmError unless Config::epoch_interruption is on (without it,
  // code has no epoch checks).
  void interrupt();

  // True while wasm or host code called through this store is running (a
  // host function asking about its own store sees true).
  bool executing() const;

  // A full collection: frees the GC objects nothing reaches and releases
  // every externref that nothing holds (no table, global, element segment,
  // GC object, host-held Val or running wasm frame), returning their
  // payloads (the embedder drops them, or forgets what it knew of them
  // first). Caught exceptions (exnref) nothing holds are freed too, unless
  // wasm is executing(). Called from a host function, it finds the running
  // frames' references through their stack maps; the reference arguments
  // of that host function are not roots (read them into Vals first).
  std::vector<std::shared_ptr<void>> gc();
  // Externrefs alive in the store (created and not released by gc()).
  size_t externref_count() const;
  // Exception objects alive in the store (thrown and not yet collected).
  size_t exception_count() const;

  rt::StoreData* raw() const { return data_.get(); }

 private:
  Engine engine_;
  std::unique_ptr<rt::StoreData> data_;
};

}  // namespace ember

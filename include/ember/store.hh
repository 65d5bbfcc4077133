// Store: owns every instance, function, memory, table and global created in it.
//
// A Store is single-threaded. Nothing created in a store is freed before the
// store itself, so handles (Func, Memory, ...) stay valid while their store
// lives; using a handle after its store is destroyed is undefined. A Store
// may be moved but not copied; moving keeps handles valid.
#pragma once

#include <cstdint>
#include <memory>

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

  // Resource limits; a negative value means unlimited. `memory_size` is in
  // bytes per memory; `table_elements` per table; the others count entities.
  void set_limits(int64_t memory_size = -1, int64_t table_elements = -1, int64_t instances = -1,
                  int64_t tables = -1, int64_t memories = -1);

  // Fuel (Config::consume_fuel must be on, else these throw WasmError).
  void set_fuel(uint64_t fuel);
  uint64_t get_fuel() const;

  // Interrupts execution once the engine's epoch passes now + `ticks`.
  void set_epoch_deadline(uint64_t ticks);

  rt::StoreData* raw() const { return data_.get(); }

 private:
  Engine engine_;
  std::unique_ptr<rt::StoreData> data_;
};

}  // namespace ember

// Engine and Config: process-wide, thread-safe compilation settings.
//
// An Engine holds its Config (fixed once the Engine exists), the canonical
// function-type registry and the epoch counter. Engines are cheap shared
// handles: copies refer to the same engine. Modules compiled by one engine
// may only be instantiated in stores of that engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ember/types.hh"

namespace ember {

namespace rt {
struct EngineConfig;
struct EngineData;
}  // namespace rt

class Config {
 public:
  Config();
  Config(const Config&);
  Config& operator=(const Config&);
  ~Config();

  // Enables or disables a WebAssembly proposal (features.def).
  Config& wasm_feature(Feature f, bool on);
  Config& features(const FeatureSet& all);
  const FeatureSet& features() const;
  Config& consume_fuel(bool on);
  Config& epoch_interruption(bool on);
  // Bytes of wasm stack a call may use before it traps "call stack exhausted".
  Config& max_wasm_stack(uint64_t bytes);
  Config& signals_based_traps(bool on);
  Config& nan_canonicalization(bool on);
  // Translate the functions of large modules on several threads (default
  // on); the translated code is the same either way.
  Config& parallel_compilation(bool on);

  // Compilation cache (docs/serialization.md): on = the default directory
  // ($XDG_CACHE_HOME/ember or ~/.cache/ember; WasmError if neither is
  // known), off = none.
  Config& cache(bool on);
  // The cache in directory `dir` (created on first write); "" = no cache.
  Config& cache_dir(const std::string& dir);
  // wasmtime's cache configuration file (TOML [cache] table: `enabled`,
  // `directory`). Throws WasmError if it cannot be read or parsed.
  Config& cache_config_file(const std::string& path);

  // Settings of wasmtime's code generator, accepted for compatibility; what
  // each does in Ember is in docs/decisions.md (today: the interpreter runs
  // everything, so none changes execution). Bad names throw WasmError.
  Config& strategy(const std::string& name);  // "auto" | "cranelift" | "winch"
  Config& profiler(const std::string& name);  // "none" | "jitdump" | "vtune" | "perfmap"
  Config& cranelift_opt_level(const std::string& level);  // "none" | "speed" | "speed_and_size"
  Config& cranelift_debug_verifier(bool on);
  Config& debug_info(bool on);
  // Relaxed SIMD operators give the deterministic profile's results rather
  // than the fastest native ones (wasmtime's relaxed_simd_deterministic).
  Config& relaxed_simd_deterministic(bool on);

  // All settings, including the ones accepted only for compatibility.
  rt::EngineConfig& raw() { return *cfg_; }
  const rt::EngineConfig& raw() const { return *cfg_; }

 private:
  std::unique_ptr<rt::EngineConfig> cfg_;
};

class Engine {
 public:
  Engine();
  explicit Engine(const Config& config);

  // Advances the epoch; stores whose deadline is reached trap "interrupt".
  void increment_epoch();
  const FeatureSet& features() const;
  // False: Ember runs its own register-IR interpreter, not wasmtime's
  // Pulley bytecode (tier() says which tier runs code).
  bool is_pulley() const { return false; }
  // The execution tier compiled code targets: "interpreter".
  const char* tier() const { return "interpreter"; }

  const std::shared_ptr<rt::EngineData>& raw() const { return data_; }

 private:
  std::shared_ptr<rt::EngineData> data_;
};

}  // namespace ember

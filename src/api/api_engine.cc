// Public API: Config, Engine, Store, and the error conversion helpers.
#include <exception>

#include "ember/engine.hh"
#include "ember/store.hh"
#include "interp/interp.hh"
#include "runtime/backtrace.hh"
#include "api/api_support.hh"
#include "compile/module_cache.hh"

namespace ember {

namespace api {

void throw_error(Error e, TrapCode trap, rt::StoreData* store) {
  if (e.kind() == ErrorKind::Trap && trap != TrapCode::None) {
    if (store != nullptr) throw_trap(*store, trap);
    throw Trap(trap);
  }
  throw WasmError(e.kind(), e.describe());
}

void throw_trap(rt::StoreData& store, TrapCode code) {
  if (code == TrapCode::HostError && store.host_error) {
    std::exception_ptr e = std::move(store.host_error);
    store.host_error = nullptr;
    std::rethrow_exception(e);
  }
  throw Trap(code, rt::backtrace_frames(store), store.exit_code, rt::last_fault(store));
}

}  // namespace api

std::string Trap::report() const { return rt::trap_report(code_, frames_, fault_); }

// ---- Config ------------------------------------------------------------------

Config::Config() : cfg_(std::make_unique<rt::EngineConfig>()) {}
Config::Config(const Config& o) : cfg_(std::make_unique<rt::EngineConfig>(*o.cfg_)) {}
Config& Config::operator=(const Config& o) {
  *cfg_ = *o.cfg_;
  return *this;
}
Config::~Config() = default;

Config& Config::wasm_feature(Feature f, bool on) {
  cfg_->features.set(f, on);
  return *this;
}
Config& Config::features(const FeatureSet& all) {
  cfg_->features = all;
  return *this;
}
const FeatureSet& Config::features() const { return cfg_->features; }
Config& Config::consume_fuel(bool on) {
  cfg_->consume_fuel = on;
  return *this;
}
Config& Config::epoch_interruption(bool on) {
  cfg_->epoch_interruption = on;
  return *this;
}
Config& Config::max_wasm_stack(uint64_t bytes) {
  if (bytes == 0 || bytes > rt::kMaxWasmStack)
    throw WasmError(ErrorKind::Internal, "max_wasm_stack must be between 1 byte and 1 GiB, not " +
                                             std::to_string(bytes));
  cfg_->max_wasm_stack = bytes;
  return *this;
}
Config& Config::signals_based_traps(bool on) {
  cfg_->signals_based_traps = on;
  return *this;
}
Config& Config::nan_canonicalization(bool on) {
  cfg_->nan_canonicalization = on;
  return *this;
}
Config& Config::parallel_compilation(bool on) {
  cfg_->parallel_compilation = on;
  return *this;
}

Config& Config::cache(bool on) {
  if (!on) {
    cfg_->cache_dir.clear();
    return *this;
  }
  std::string dir = rt::default_cache_dir();
  if (dir.empty()) throw WasmError(ErrorKind::Internal, "no cache directory: set XDG_CACHE_HOME or HOME");
  cfg_->cache_dir = dir;
  return *this;
}
Config& Config::cache_dir(const std::string& dir) {
  cfg_->cache_dir = dir;
  return *this;
}
Config& Config::cache_config_file(const std::string& path) {
  Expected<std::string> dir = rt::cache_dir_from_config_file(path);
  if (!dir) api::throw_error(dir.take_error());
  cfg_->cache_dir = *dir;
  return *this;
}

namespace {
void check_choice(const std::string& what, const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (v == a) return;
  throw WasmError(ErrorKind::Internal, "unknown " + what + ": " + v);
}
}  // namespace

Config& Config::strategy(const std::string& name) {
  check_choice("strategy", name, {"auto", "cranelift", "winch"});
  cfg_->strategy = name;
  return *this;
}
Config& Config::profiler(const std::string& name) {
  check_choice("profiler", name, {"none", "jitdump", "vtune", "perfmap"});
  cfg_->profiler = name;
  return *this;
}
Config& Config::cranelift_opt_level(const std::string& level) {
  check_choice("opt_level", level, {"none", "speed", "speed_and_size"});
  cfg_->opt_level = level;
  return *this;
}
Config& Config::cranelift_debug_verifier(bool on) {
  cfg_->cranelift_debug_verifier = on;
  return *this;
}
Config& Config::debug_info(bool on) {
  cfg_->debug_info = on;
  return *this;
}
Config& Config::relaxed_simd_deterministic(bool on) {
  cfg_->relaxed_simd_deterministic = on;
  return *this;
}

// ---- Engine ------------------------------------------------------------------

Engine::Engine() : data_(std::make_shared<rt::EngineData>()) {}
Engine::Engine(const Config& config) : data_(std::make_shared<rt::EngineData>()) {
  data_->config = config.raw();
}
void Engine::increment_epoch() { data_->epoch.fetch_add(1, std::memory_order_relaxed); }
const FeatureSet& Engine::features() const { return data_->config.features; }

// ---- Store -------------------------------------------------------------------

Store::Store(const Engine& engine) : engine_(engine), data_(std::make_unique<rt::StoreData>()) {
  data_->engine = engine.raw();
}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

void Store::set_limits(int64_t memory_size, int64_t table_elements, int64_t instances,
                       int64_t tables, int64_t memories) {
  auto norm = [](int64_t v) { return v < 0 ? int64_t{-1} : v; };
  data_->limits = rt::StoreLimits{norm(memory_size), norm(table_elements), norm(instances),
                                  norm(tables), norm(memories)};
}

void Store::set_fuel(uint64_t fuel) {
  if (!engine_.raw()->config.consume_fuel)
    throw WasmError(ErrorKind::Internal, "fuel is not enabled in this store's engine (Config::consume_fuel)");
  rt::set_fuel(*data_, fuel);
}

uint64_t Store::get_fuel() const {
  if (!engine_.raw()->config.consume_fuel)
    throw WasmError(ErrorKind::Internal, "fuel is not enabled in this store's engine (Config::consume_fuel)");
  return rt::fuel_remaining(*data_);
}

void Store::set_epoch_deadline(uint64_t ticks) { rt::set_epoch_deadline(*data_, ticks); }

}  // namespace ember

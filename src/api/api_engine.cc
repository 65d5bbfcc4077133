// Public API: Config, Engine, Store, and the error conversion helpers.
#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <vector>

#include "ember/engine.hh"
#include "ember/store.hh"
#include "interp/interp.hh"
#include "jit/jit.hh"
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
  throw WasmError(e.kind(), e.describe(), e.message());
}

void throw_trap(rt::StoreData& store, TrapCode code) {
  if (code == TrapCode::HostError && store.host_error) {
    std::exception_ptr e = std::move(store.host_error);
    store.host_error = nullptr;
    try {
      std::rethrow_exception(e);
    } catch (Trap& t) {
      // A trap of a call the host function made (not one it made up):
      // this call's frames, from the host function's caller out, follow
      // that call's (wasmtime lists the whole stack).
      if (t.code() != TrapCode::HostError)
        t.add_outer_frames(rt::backtrace_frames(store), rt::kMaxBacktraceFrames);
      throw;
    }
  }
  Trap t(code, rt::backtrace_frames(store), store.exit_code, rt::last_fault(store));
  // The exception stays the store's pending one (kept from collection)
  // until another escapes, so that a host function may rethrow it.
  if (code == TrapCode::Exception && store.pending_exn) {
    const rt::ExnObj& e = *store.pending_exn;
    t.set_thrown(ThrownException{store.id, e.index, e.generation, rt::describe_tag(*e.tag)});
  }
  throw t;
}

}  // namespace api

std::string Trap::report() const {
  if (own_message_) return what();
  return rt::trap_report(code_, frames_, fault_, thrown_ ? thrown_->tag : std::string());
}

// ---- Config ------------------------------------------------------------------

struct Config::Recorded {
  uint64_t memory_reservation = 0, memory_guard_size = 0, memory_reservation_for_growth = 0;
  std::string target;
  std::map<std::string, std::string, std::less<>> cranelift_flags;
  std::map<std::string, bool, std::less<>> compat_flags;
};

Config::Config() : cfg_(std::make_unique<rt::EngineConfig>()), rec_(std::make_unique<Recorded>()) {}
Config::Config(const Config& o)
    : cfg_(std::make_unique<rt::EngineConfig>(*o.cfg_)),
      rec_(std::make_unique<Recorded>(*o.rec_)) {}
Config& Config::operator=(const Config& o) {
  *cfg_ = *o.cfg_;
  *rec_ = *o.rec_;
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
const FeatureSet& Config::features() const {
  return cfg_->features;
}
Config& Config::consume_fuel(bool on) {
  cfg_->consume_fuel = on;
  return *this;
}
Config& Config::epoch_interruption(bool on) {
  cfg_->epoch_interruption = on;
  return *this;
}
Config& Config::tier_up_after(uint64_t count) {
  if (count > uint64_t(INT32_MAX))
    throw std::invalid_argument("tier_up_after must be at most " + std::to_string(INT32_MAX));
  cfg_->tier_up_after = uint32_t(count);
  return *this;
}
Config& Config::max_wasm_stack(uint64_t bytes) {
  if (bytes == 0 || bytes > rt::kMaxWasmStack)
    throw std::invalid_argument("max_wasm_stack must be between 1 and " +
                                std::to_string(rt::kMaxWasmStack) + " bytes, not " +
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
  if (dir.empty())
    throw WasmError(ErrorKind::Internal, "no cache directory: set XDG_CACHE_HOME or HOME");
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
Config& Config::cache_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return cache_config_file(path);
  fs::path dir = fs::absolute(path, ec).lexically_normal();
  if (ec)
    throw WasmError(ErrorKind::Internal,
                    "cannot use cache directory `" + path + "`: " + ec.message());
  if (!dir.has_filename() && dir.has_parent_path() && dir != dir.root_path())
    dir = dir.parent_path();
  cfg_->cache_dir = dir.string();
  return *this;
}

namespace {
template <size_t N>
void check_choice(const std::string& what, const std::string& v,
                  const std::array<std::string_view, N>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end())
    throw WasmError(ErrorKind::Internal, "unknown " + what + ": " + v);
}

// The triples wasmtime would call this host (Ember compiles for the host
// only). The architecture is the one this library was built for.
std::vector<std::string> host_triples() {
#if defined(__x86_64__) || defined(_M_X64)
  const std::string arch = "x86_64";
#elif defined(__aarch64__) || defined(_M_ARM64)
  const std::string arch = "aarch64";
#elif defined(__riscv) && __riscv_xlen == 64
  const std::string arch = "riscv64";
#elif defined(__s390x__)
  const std::string arch = "s390x";
#else
  const std::string arch = "unknown";
#endif
#if defined(__APPLE__)
  return {arch + "-apple-darwin"};
#elif defined(_WIN32)
  return {arch + "-pc-windows-msvc"};
#else
  return {arch + "-unknown-linux-gnu", arch + "-linux-gnu", arch + "-unknown-linux-musl",
          arch + "-linux"};
#endif
}
}  // namespace

Config& Config::strategy(const std::string& name) {
  check_choice("strategy", name, kStrategies);
  cfg_->strategy = name;
  return *this;
}
Config& Config::profiler(const std::string& name) {
  check_choice("profiler", name, kProfilers);
  cfg_->profiler = name;
  return *this;
}
Config& Config::cranelift_opt_level(const std::string& level) {
  check_choice("opt_level", level, kOptLevels);
  cfg_->opt_level = level;
  return *this;
}
Config& Config::compile_progress(std::function<void(uint32_t, uint32_t)> report) {
  cfg_->compile_progress = std::move(report);
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
Config& Config::cranelift_flag(const std::string& key, const std::string& value) {
  rec_->cranelift_flags[key] = value;
  return *this;
}
Config& Config::target(const std::string& triple) {
  std::vector<std::string> host = host_triples();
  if (std::find(host.begin(), host.end(), triple) == host.end())
    throw WasmError(ErrorKind::Internal,
                    "unsupported target: " + triple + " (Ember runs on the host only)");
  rec_->target = triple;
  return *this;
}
Config& Config::shared_memory(bool on) {
  cfg_->shared_memory = on;
  return *this;
}
bool Config::shared_memory() const {
  return cfg_->shared_memory;
}
Config& Config::memory_reservation(uint64_t bytes) {
  rec_->memory_reservation = bytes;
  return *this;
}
Config& Config::memory_guard_size(uint64_t bytes) {
  rec_->memory_guard_size = bytes;
  return *this;
}
Config& Config::memory_reservation_for_growth(uint64_t bytes) {
  rec_->memory_reservation_for_growth = bytes;
  return *this;
}
Config& Config::compat_flag(std::string_view name, bool on) {
  if (std::find(kCompatFlags.begin(), kCompatFlags.end(), name) == kCompatFlags.end())
    throw WasmError(ErrorKind::Internal, "unknown setting: " + std::string(name));
  rec_->compat_flags[std::string(name)] = on;
  return *this;
}
bool Config::compat_flag(std::string_view name) const {
  auto it = rec_->compat_flags.find(name);
  return it != rec_->compat_flags.end() && it->second;
}

// ---- Engine ------------------------------------------------------------------

Engine::Engine() : data_(std::make_shared<rt::EngineData>()) {}
Engine::Engine(const Config& config) : data_(std::make_shared<rt::EngineData>()) {
  data_->config = config.raw();
}
void Engine::increment_epoch() {
  data_->epoch.fetch_add(1, std::memory_order_relaxed);
}
const FeatureSet& Engine::features() const {
  return data_->config.features;
}

// ---- Store -------------------------------------------------------------------

namespace {
std::atomic<uint64_t> g_next_store_id{1};

void require_fuel(const Engine& engine) {
  if (!engine.raw()->config.consume_fuel)
    throw WasmError(ErrorKind::Internal, "fuel is not configured in this store");
}
}  // namespace

Store::Store(const Engine& engine) : engine_(engine), data_(std::make_unique<rt::StoreData>()) {
  data_->engine = engine.raw();
  data_->id = g_next_store_id.fetch_add(1, std::memory_order_relaxed);
}

uint64_t Store::id() const {
  return data_->id;
}
void Store::set_data(void* data) {
  data_->embedder_data = data;
}
void* Store::data() const {
  return data_->embedder_data;
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
  require_fuel(engine_);
  rt::set_fuel(*data_, fuel);
}

uint64_t Store::get_fuel() const {
  require_fuel(engine_);
  return rt::fuel_remaining(*data_);
}

bool Store::executing() const {
  return data_->entered != 0;
}

std::vector<std::shared_ptr<void>> Store::gc() {
  // Exceptions first: a freed one no longer holds its externrefs. Their
  // collector does not read the stack maps, so it waits while wasm runs.
  if (!executing()) rt::collect_exns(*data_);
  return rt::collect_externs(*data_);
}

size_t Store::exception_count() const {
  return data_->exns.size() - data_->free_exns.size();
}

size_t Store::externref_count() const {
  return data_->externs.size() - data_->free_externs.size();
}

void Store::set_epoch_deadline(uint64_t ticks) {
  rt::set_epoch_deadline(*data_, ticks);
}

const char* Engine::tier() const {
  const std::string& s = data_->config.strategy;
  if (!jit::available() || (s != "auto" && s != "cranelift")) return "interpreter";
  return s == "auto" ? "tiered" : "compiled";
}

void stop_background_compilation(bool wait_for_batch) {
  jit::stop_tiering(wait_for_batch);
}

void Store::interrupt() {
  if (!engine_.raw()->config.epoch_interruption)
    throw WasmError(ErrorKind::Internal,
                    "Store.interrupt needs epoch interruption: set Config.epoch_interruption");
  rt::request_interrupt(*data_);
}

}  // namespace ember

// The compile entry point and the on-disk compilation cache (module_cache.hh).
#include "compile/module_cache.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "binary/decoder.hh"
#include "compile/serialize.hh"
#include "support/hash.hh"
#include "compile/compile.hh"
#include "validate/validate.hh"

namespace ember::rt {

namespace {

namespace fs = std::filesystem;

struct AtomicStats {
  std::atomic<uint64_t> hits{0}, misses{0}, rejected{0}, writes{0}, write_errors{0};
};
AtomicStats& stats() {
  static AtomicStats s;
  return s;
}

std::atomic<uint64_t>& live_hits() {
  static std::atomic<uint64_t> n{0};
  return n;
}

constexpr uint64_t kMaxEntryBytes = uint64_t(1) << 32;

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Reads a whole regular file; false if absent, unreadable or oversized.
bool read_entry(const std::string& path, std::vector<uint8_t>* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_size) <= kMaxEntryBytes;
  if (ok) {
    out->resize(size_t(st.st_size));
    size_t got = 0;
    while (ok && got < out->size()) {
      ssize_t n = ::read(fd, out->data() + got, out->size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ok = false;
      else got += size_t(n);
    }
  }
  ::close(fd);
  return ok;
}

// mkdir -p with mode 0700 for the directories it creates.
bool make_dirs(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return true;
  if (dir.has_parent_path() && dir.parent_path() != dir && !make_dirs(dir.parent_path()))
    return false;
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return fs::is_directory(dir, ec);
  return false;
}

// Temporary file in the entry's directory, then rename over the entry.
bool write_entry(const std::string& path, const std::vector<uint8_t>& blob) {
  fs::path p(path);
  if (!make_dirs(p.parent_path())) return false;
  std::string tmpl = (p.parent_path() / (".tmp-" + p.filename().string() + "-XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());  // mode 0600
  if (fd < 0) return false;
  size_t done = 0;
  bool ok = true;
  while (ok && done < blob.size()) {
    ssize_t n = ::write(fd, blob.data() + done, blob.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else done += size_t(n);
  }
  if (::close(fd) != 0) ok = false;
  if (ok && ::rename(name.data(), path.c_str()) != 0) ok = false;
  if (!ok) ::unlink(name.data());
  return ok;
}

Expected<std::shared_ptr<ModuleData>> compile_uncached(const EngineData& engine,
                                                       std::vector<uint8_t> bytes, bool validate) {
  EMBER_ASSIGN(std::shared_ptr<ModuleData> m,
               decode_module(std::move(bytes), engine.config.features));
  EMBER_TRY(compile_module(*m, engine, validate));
  return m;
}

// ---- the cache configuration file (a TOML subset) --------------------------------

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Drops a `#` comment that is not inside a string.
std::string strip_comment(const std::string& line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); i++) {
    char c = line[i];
    if (quote) {
      if (c == '\\' && quote == '"') i++;
      else if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      return line.substr(0, i);
    }
  }
  return line;
}

// A basic ("...") or literal ('...') TOML string; false if it is not one.
bool parse_string(const std::string& v, std::string* out) {
  if (v.size() < 2 || (v[0] != '"' && v[0] != '\'') || v.back() != v[0]) return false;
  out->clear();
  if (v[0] == '\'') {
    *out = v.substr(1, v.size() - 2);
    return out->find('\'') == std::string::npos;
  }
  for (size_t i = 1; i + 1 < v.size(); i++) {
    char c = v[i];
    if (c == '"') return false;
    if (c != '\\') {
      *out += c;
      continue;
    }
    if (++i + 1 >= v.size()) return false;
    switch (v[i]) {
      case '\\': *out += '\\'; break;
      case '"': *out += '"'; break;
      case 'n': *out += '\n'; break;
      case 't': *out += '\t'; break;
      default: return false;
    }
  }
  return true;
}

}  // namespace

std::string default_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg && xdg[0] == '/') return (fs::path(xdg) / "ember").string();
  const char* home = std::getenv("HOME");
  if (home && *home) return (fs::path(home) / ".cache" / "ember").string();
  return "";
}

Expected<std::string> cache_dir_from_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return Error(ErrorKind::Internal, "failed to read cache configuration file `" + path + "`");
  auto bad = [&](size_t line, const std::string& why) {
    return Error(ErrorKind::Internal, "cache configuration file `" + path + "`, line " +
                                          std::to_string(line) + ": " + why);
  };
  std::string table, line, directory;
  bool enabled = true, saw_cache = false;
  for (size_t n = 1; std::getline(in, line); n++) {
    line = trim(strip_comment(line));
    if (line.empty()) continue;
    if (line.front() == '[') {
      if (line.back() != ']') return bad(n, "malformed table header");
      table = trim(line.substr(1, line.size() - 2));
      if (table != "cache") return bad(n, "unknown table [" + table + "] (expected [cache])");
      saw_cache = true;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos) return bad(n, "expected `key = value`");
    std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (table != "cache") return bad(n, "key `" + key + "` outside the [cache] table");
    if (key == "enabled") {
      if (value != "true" && value != "false") return bad(n, "`enabled` must be true or false");
      enabled = value == "true";
    } else if (key == "directory") {
      if (!parse_string(value, &directory)) return bad(n, "`directory` must be a string");
    } else if (value.empty()) {
      return bad(n, "missing value for `" + key + "`");
    }
    // Other keys of wasmtime's cache configuration (cleanup intervals,
    // size limits, compression levels) have no counterpart here.
  }
  if (!saw_cache)
    return Error(ErrorKind::Internal,
                 "cache configuration file `" + path + "` has no [cache] table");
  if (!enabled) return std::string();
  if (directory.empty()) {
    std::string d = default_cache_dir();
    if (d.empty())
      return Error(ErrorKind::Internal,
                   "no cache directory: set XDG_CACHE_HOME or HOME, or name one");
    return d;
  }
  fs::path dir(directory);
  if (dir.is_relative()) dir = fs::absolute(fs::path(path)).parent_path() / dir;
  return dir.lexically_normal().string();
}

std::string cache_entry_path(const EngineData& engine, std::span<const uint8_t> bytes) {
  const std::string& dir = engine.config.cache_dir;
  if (dir.empty()) return "";
  std::vector<uint8_t> key = compatibility_key(engine.config);
  uint64_t len = bytes.size();
  Sha256 h;
  // The strategy and optimization level too: an eager engine's entries
  // carry machine code (serialize.hh's NATV), a tiering engine's do not.
  const std::string& strategy = engine.config.strategy;
  const std::string& opt = engine.config.opt_level;
  h.update("ember-cache-2", 13).update(&len, sizeof len).update(bytes).update(key);
  h.update(strategy.data(), strategy.size()).update("/", 1).update(opt.data(), opt.size());
  fs::path sub = std::string("ember-") + ember_version() + "-" + hex64(build_fingerprint());
  return (fs::path(dir) / sub / (Sha256::hex(h.finish()) + ".cwasm")).string();
}

namespace {

// The entry's module, translated for `engine`, or null (no entry, or one
// that does not load: counted as rejected, then replaced).
std::shared_ptr<ModuleData> load_entry(const std::string& entry, const EngineData& engine) {
  std::vector<uint8_t> blob;
  if (!read_entry(entry, &blob)) return nullptr;
  Expected<std::shared_ptr<ModuleData>> m = deserialize_module(blob, engine);
  if (!m) {
    stats().rejected++;
    return nullptr;
  }
  stats().hits++;
  return std::move(*m);
}

void save_entry(const std::string& entry, const ModuleData& m, const EngineData& engine) {
  Expected<std::vector<uint8_t>> out = serialize_module(m, engine);
  if (out && write_entry(entry, *out)) stats().writes++;
  else stats().write_errors++;
}

// ---- live modules ---------------------------------------------------------------

// The live module compiled from exactly `bytes` (validated, when `validate`
// asks for it), or null.
std::shared_ptr<ModuleData> find_live(const EngineData& engine, uint64_t key,
                                      std::span<const uint8_t> bytes, bool validate) {
  LiveModules& live = engine.live;
  std::lock_guard<std::mutex> lock(live.mu);
  auto [first, last] = live.entries.equal_range(key);
  for (auto it = first; it != last; ++it) {
    if (validate && !it->second.validated) continue;
    std::shared_ptr<ModuleData> m = it->second.module.lock();
    if (m && std::equal(m->bytes.begin(), m->bytes.end(), bytes.begin(), bytes.end())) return m;
  }
  return nullptr;
}

void add_live(const EngineData& engine, uint64_t key, const std::shared_ptr<ModuleData>& m,
              bool validated) {
  LiveModules& live = engine.live;
  std::lock_guard<std::mutex> lock(live.mu);
  if (live.entries.size() >= live.sweep_at) {  // amortized: each sweep at twice the last size
    std::erase_if(live.entries, [](const auto& kv) { return kv.second.module.expired(); });
    live.sweep_at = std::max<size_t>(64, 2 * live.entries.size());
  }
  live.entries.emplace(key, LiveModules::Entry{m, validated});
}

// Decode + validate + translate, through the on-disk cache when enabled.
Expected<std::shared_ptr<ModuleData>> compile_new(const EngineData& engine,
                                                  std::vector<uint8_t> bytes, bool validate) {
  std::string entry = cache_entry_path(engine, bytes);
  if (entry.empty()) return compile_uncached(engine, std::move(bytes), validate);
  if (std::shared_ptr<ModuleData> m = load_entry(entry, engine)) {
    m->bytes = std::move(bytes);  // as a fresh compilation keeps them
    return m;
  }
  stats().misses++;
  EMBER_ASSIGN(std::shared_ptr<ModuleData> m, compile_uncached(engine, std::move(bytes), validate));
  if (validate) save_entry(entry, *m, engine);
  return m;
}

}  // namespace

Expected<std::shared_ptr<ModuleData>> compile_bytes(const EngineData& engine,
                                                    std::vector<uint8_t> bytes, bool validate) {
  uint64_t key = checksum64(bytes);
  if (std::shared_ptr<ModuleData> m = find_live(engine, key, bytes, validate)) {
    live_hits().fetch_add(1, std::memory_order_relaxed);
    return m;
  }
  EMBER_ASSIGN(std::shared_ptr<ModuleData> m, compile_new(engine, std::move(bytes), validate));
  add_live(engine, key, m, validate);
  return m;
}

uint64_t live_module_hits() {
  return live_hits().load(std::memory_order_relaxed);
}

Status compile_decoded(ModuleData& m, const EngineData& engine) {
  std::string entry = cache_entry_path(engine, m.bytes);
  if (entry.empty()) return compile_module(m, engine);
  if (std::shared_ptr<ModuleData> cached = load_entry(entry, engine)) {
    cached->bytes = std::move(m.bytes);
    m = std::move(*cached);
    return Status::Ok();
  }
  stats().misses++;
  EMBER_TRY(compile_module(m, engine));
  save_entry(entry, m, engine);
  return Status::Ok();
}

CacheStats cache_stats() {
  AtomicStats& s = stats();
  return CacheStats{s.hits.load(), s.misses.load(), s.rejected.load(), s.writes.load(),
                    s.write_errors.load()};
}

}  // namespace ember::rt

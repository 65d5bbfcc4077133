// Compilation cache: hits within and across processes, keys that separate
// configurations, damaged entries ignored and replaced, concurrent writers,
// and wasmtime's cache configuration file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "ember/ember.hh"
#include "compile/module_cache.hh"
#include "text/wat.hh"

namespace ember {
namespace {

namespace fs = std::filesystem;

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ember-cache-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Config config() const { return Config().cache_dir(dir_.string()); }

  // Regular files under the cache directory, by kind.
  size_t count(const char* suffix_or_prefix, bool prefix = false) const {
    size_t n = 0;
    if (!fs::exists(dir_)) return 0;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      if (!e.is_regular_file()) continue;
      std::string name = e.path().filename().string();
      if (prefix ? name.rfind(suffix_or_prefix, 0) == 0 : name.ends_with(suffix_or_prefix)) n++;
    }
    return n;
  }

  fs::path dir_;
};

std::vector<uint8_t> wasm_of(const char* wat) {
  Expected<std::vector<uint8_t>> b = wat_to_wasm(wat);
  EXPECT_TRUE(b.ok());
  return std::move(*b);
}

const char kSquare[] =
    "(module (func (export \"sq\") (param i32) (result i32) (i32.mul (local.get 0) (local.get "
    "0))))";

int32_t call_sq(const Engine& engine, const Module& m, int32_t x) {
  Store store(engine);
  Instance inst(store, m, {});
  return inst.get_export("sq")->func()->call(std::vector<Val>{Val::i32(x)})[0].i32();
}

TEST_F(CacheTest, SecondCompileLoadsTheEntry) {
  std::vector<uint8_t> wasm = wasm_of(kSquare);
  rt::CacheStats before = rt::cache_stats();
  Engine engine(config());
  Module a = Module::from_binary(engine, wasm);
  EXPECT_EQ(count(".cwasm"), 1u);
  rt::CacheStats mid = rt::cache_stats();
  EXPECT_EQ(mid.misses, before.misses + 1);
  EXPECT_EQ(mid.writes, before.writes + 1);
  // Another engine with the same configuration: a hit.
  Engine again(config());
  Module b = Module::from_binary(again, wasm);
  rt::CacheStats after = rt::cache_stats();
  EXPECT_EQ(after.hits, mid.hits + 1);
  EXPECT_EQ(call_sq(engine, a, 12), 144);
  EXPECT_EQ(call_sq(again, b, 12), 144);
  // The entry path is what the layout documents.
  std::string entry = rt::cache_entry_path(*again.raw(), wasm);
  EXPECT_TRUE(fs::exists(entry)) << entry;
  EXPECT_EQ(fs::path(entry).parent_path().parent_path(), dir_);
  EXPECT_EQ(fs::path(entry).extension(), ".cwasm");
  EXPECT_EQ((fs::status(fs::path(entry).parent_path()).permissions() & fs::perms::all),
            fs::perms::owner_all);
  EXPECT_EQ(count(".tmp-", true), 0u);
}

TEST_F(CacheTest, ALiveModuleAnswersBeforeTheCache) {
  std::vector<uint8_t> wasm = wasm_of(kSquare);
  Engine engine(config());
  Module a = Module::from_binary(engine, wasm);
  rt::CacheStats before = rt::cache_stats();
  uint64_t live_before = rt::live_module_hits();
  Module b = Module::from_binary(engine, wasm);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(rt::live_module_hits(), live_before + 1);
  EXPECT_EQ(rt::cache_stats().hits, before.hits);
  EXPECT_EQ(rt::cache_stats().misses, before.misses);
  EXPECT_EQ(call_sq(engine, b, 9), 81);
  // Text compiles to the same bytes: the same module.
  EXPECT_TRUE(Module::from_text(engine, kSquare) == a);
}

TEST(LiveModules, GoneModulesLeaveTheTableAndAreCompiledAnew) {
  Engine engine;
  std::vector<uint8_t> kept_bytes = wasm_of("(module (func (export \"k\")))");
  Module kept = Module::from_binary(engine, kept_bytes);
  for (int i = 0; i < 1000; i++) {
    std::string wat =
        "(module (func (export \"f\") (result i32) (i32.const " + std::to_string(i) + ")))";
    Module::from_binary(engine, wasm_of(wat.c_str()));  // dropped at once
  }
  rt::LiveModules& live = engine.raw()->live;
  {
    std::lock_guard<std::mutex> lock(live.mu);
    EXPECT_LE(live.entries.size(), 130u);  // swept as it grows
  }
  // The kept module is still handed out; a dropped one is compiled anew.
  uint64_t hits = rt::live_module_hits();
  EXPECT_TRUE(Module::from_binary(engine, kept_bytes) == kept);
  Module::from_binary(engine, wasm_of("(module (func (export \"f\") (result i32) (i32.const 7)))"));
  EXPECT_EQ(rt::live_module_hits(), hits + 1);
}

TEST_F(CacheTest, ConfigurationsHaveTheirOwnEntries) {
  std::vector<uint8_t> wasm = wasm_of(kSquare);
  Engine plain(config());
  Engine fuel(config().consume_fuel(true));
  Engine no_simd(config().wasm_feature(Feature::Simd, false));
  Module::from_binary(plain, wasm);
  Module::from_binary(fuel, wasm);
  Module::from_binary(no_simd, wasm);
  EXPECT_EQ(count(".cwasm"), 3u);
  EXPECT_NE(rt::cache_entry_path(*plain.raw(), wasm), rt::cache_entry_path(*fuel.raw(), wasm));
  // Other bytes, other entry.
  Module::from_binary(
      plain, wasm_of("(module (func (export \"sq\") (param i32) (result i32) (local.get 0)))"));
  EXPECT_EQ(count(".cwasm"), 4u);
  // Settings that do not change code share the entry.
  Engine stack(config().max_wasm_stack(1 << 20));
  EXPECT_EQ(rt::cache_entry_path(*plain.raw(), wasm), rt::cache_entry_path(*stack.raw(), wasm));
}

TEST_F(CacheTest, DamagedEntryIsIgnoredAndReplaced) {
  std::vector<uint8_t> wasm = wasm_of(kSquare);
  Engine engine(config());
  Module::from_binary(engine, wasm);
  std::string entry = rt::cache_entry_path(*engine.raw(), wasm);
  for (int variant = 0; variant < 3; variant++) {
    if (variant == 0) {  // flip the bits of a byte in the middle
      std::ifstream in(entry, std::ios::binary);
      std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      b[b.size() / 2] = char(~b[b.size() / 2]);
      std::ofstream(entry, std::ios::binary | std::ios::trunc).write(b.data(), long(b.size()));
    }
    if (variant == 1) fs::resize_file(entry, 40);             // truncated
    if (variant == 2) std::ofstream(entry, std::ios::trunc);  // empty
    rt::CacheStats before = rt::cache_stats();
    Module m = Module::from_binary(engine, wasm);
    EXPECT_EQ(call_sq(engine, m, 5), 25);
    rt::CacheStats after = rt::cache_stats();
    EXPECT_EQ(after.hits, before.hits);
    EXPECT_EQ(after.rejected, before.rejected + 1);
    EXPECT_EQ(after.writes, before.writes + 1);
    // Replaced by a good entry: the next compile is a hit (in another
    // engine: this one hands out `m` itself while it lives).
    Engine fresh(config());
    Module::from_binary(fresh, wasm);
    EXPECT_EQ(rt::cache_stats().hits, after.hits + 1);
  }
}

TEST_F(CacheTest, UnwritableDirectoryIsNotFatal) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  Engine engine(Config().cache_dir((dir_ / "file" / "sub").string()));  // a file in the way
  rt::CacheStats before = rt::cache_stats();
  Module m = Module::from_binary(engine, wasm_of(kSquare));
  EXPECT_EQ(call_sq(engine, m, 3), 9);
  EXPECT_EQ(rt::cache_stats().write_errors, before.write_errors + 1);
}

TEST_F(CacheTest, InvalidModulesAndUnvalidatedCompilesAreNotWritten) {
  Engine engine(config());
  EXPECT_THROW(Module::from_binary(engine, wasm_of("(module (func (result i32) (i64.const 1)))")),
               WasmError);
  EXPECT_EQ(count(".cwasm"), 0u);
  Module::from_binary(engine, wasm_of(kSquare), /*validate=*/false);
  EXPECT_EQ(count(".cwasm"), 0u);
  Module::from_binary(engine, wasm_of(kSquare));
  EXPECT_EQ(count(".cwasm"), 1u);
}

TEST_F(CacheTest, AnotherProcessLoadsTheEntry) {
  std::vector<uint8_t> wasm = wasm_of(kSquare);
  {
    Engine engine(config());
    Module::from_binary(engine, wasm);
  }
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: a fresh engine; exit status 0 only for a cache hit that runs.
    uint64_t hits = rt::cache_stats().hits;
    Engine engine(config());
    Module m = Module::from_binary(engine, wasm);
    bool hit = rt::cache_stats().hits == hits + 1;
    ::_exit(hit && call_sq(engine, m, 7) == 49 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(CacheTest, ConcurrentWritersLeaveOneWholeEntry) {
  // Several bodies so the entry is not tiny.
  std::string wat = "(module";
  for (int i = 0; i < 200; i++)
    wat += " (func (export \"f" + std::to_string(i) +
           "\") (param i32) (result i32) (i32.add (local.get 0) (i32.const " + std::to_string(i) +
           ")))";
  wat += ")";
  std::vector<uint8_t> wasm = wasm_of(wat.c_str());
  Engine engine(config());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++)
    threads.emplace_back([&] {
      for (int k = 0; k < 5; k++) Module::from_binary(engine, wasm);
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(count(".cwasm"), 1u);
  EXPECT_EQ(count(".tmp-", true), 0u);
  rt::CacheStats before = rt::cache_stats();
  Module m = Module::from_binary(engine, wasm);
  EXPECT_EQ(rt::cache_stats().hits, before.hits + 1);
  Store store(engine);
  Instance inst(store, m, {});
  EXPECT_EQ(inst.get_export("f150")->func()->call(std::vector<Val>{Val::i32(1)})[0].i32(), 151);
}

TEST_F(CacheTest, WasmtimeConfigurationFile) {
  fs::create_directories(dir_);
  auto write = [&](const std::string& text) {
    std::ofstream(dir_ / "cache.toml") << text;
    return (dir_ / "cache.toml").string();
  };
  Expected<std::string> d = rt::cache_dir_from_config_file(
      write("# comment\n[cache]\nenabled = true\ndirectory = \"entries\"  # "
            "relative\ncleanup-interval = \"30m\"\n"));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(*d, (dir_ / "entries").string());
  d = rt::cache_dir_from_config_file(write("[cache]\ndirectory = '/tmp/x y'\n"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "/tmp/x y");
  d = rt::cache_dir_from_config_file(write("[cache]\nenabled = false\n"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "");
  for (const char* bad : {"[cache]\nenabled = maybe\n", "[other]\n", "directory = \"x\"\n",
                          "[cache]\ndirectory = x\n", "[cache\n", "[cache]\njunk\n", ""}) {
    EXPECT_FALSE(rt::cache_dir_from_config_file(write(bad)).ok()) << bad;
  }
  EXPECT_FALSE(rt::cache_dir_from_config_file((dir_ / "missing.toml").string()).ok());
  // Through Config: the named directory is used.
  Config c;
  c.cache_config_file(write("[cache]\ndirectory = \"from-file\"\n"));
  Engine engine(c);
  Module::from_binary(engine, wasm_of(kSquare));
  EXPECT_TRUE(fs::exists(dir_ / "from-file"));
  EXPECT_THROW(Config().cache_config_file(write("[cache]\nenabled = 3\n")), WasmError);
}

TEST(CacheDefaults, DefaultDirectoryFollowsXdgThenHome) {
  std::string xdg = std::getenv("XDG_CACHE_HOME") ? std::getenv("XDG_CACHE_HOME") : "";
  std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::setenv("XDG_CACHE_HOME", "/somewhere/cache", 1);
  EXPECT_EQ(rt::default_cache_dir(), "/somewhere/cache/ember");
  ::unsetenv("XDG_CACHE_HOME");
  ::setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(rt::default_cache_dir(), "/home/someone/.cache/ember");
  ::unsetenv("HOME");
  EXPECT_EQ(rt::default_cache_dir(), "");
  EXPECT_THROW(Config().cache(true), WasmError);
  if (!xdg.empty()) ::setenv("XDG_CACHE_HOME", xdg.c_str(), 1);
  if (!home.empty()) ::setenv("HOME", home.c_str(), 1);
}

}  // namespace
}  // namespace ember

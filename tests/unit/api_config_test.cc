// Public API: the value rules of ember::Config. They exist only here (the
// Python binding calls these setters), so each rule is tested here with the
// exception type that tells the binding which Python error to raise:
// std::invalid_argument (ValueError) for a number out of range, WasmError
// (WasmtimeError) for a name or file the setting cannot use.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "ember/ember.hh"
#include "runtime/store_data.hh"

namespace ember {
namespace {

namespace fs = std::filesystem;

TEST(ApiConfig, MaxWasmStackRange) {
  Config c;
  EXPECT_NO_THROW(c.max_wasm_stack(1));
  EXPECT_NO_THROW(c.max_wasm_stack(uint64_t{1} << 30));
  EXPECT_EQ(c.raw().max_wasm_stack, uint64_t{1} << 30);
  EXPECT_THROW(c.max_wasm_stack(0), std::invalid_argument);
  EXPECT_THROW(c.max_wasm_stack((uint64_t{1} << 30) + 1), std::invalid_argument);
  EXPECT_THROW(c.max_wasm_stack(UINT64_MAX), std::invalid_argument);
  EXPECT_EQ(c.raw().max_wasm_stack, uint64_t{1} << 30);  // a refused value changes nothing
  try {
    c.max_wasm_stack(0);
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "max_wasm_stack must be between 1 and 1073741824 bytes, not 0");
  }
}

TEST(ApiConfig, ChoicesComeFromTheirTables) {
  Config c;
  for (std::string_view s : kStrategies) EXPECT_NO_THROW(c.strategy(std::string(s)));
  for (std::string_view p : kProfilers) EXPECT_NO_THROW(c.profiler(std::string(p)));
  for (std::string_view o : kOptLevels) EXPECT_NO_THROW(c.cranelift_opt_level(std::string(o)));
  EXPECT_EQ(c.raw().opt_level, std::string(kOptLevels.back()));
  try {
    c.strategy("pulley");
    ADD_FAILURE() << "pulley accepted";
  } catch (const WasmError& e) {
    EXPECT_STREQ(e.what(), "unknown strategy: pulley");
  }
  EXPECT_THROW(c.profiler("gprof"), WasmError);
  EXPECT_THROW(c.cranelift_opt_level("fast"), WasmError);
  EXPECT_THROW(c.strategy(""), WasmError);
}

TEST(ApiConfig, TargetIsTheHostOnly) {
  Config c;
#if defined(__x86_64__) && defined(__linux__)
  EXPECT_NO_THROW(c.target("x86_64-unknown-linux-gnu"));
  EXPECT_NO_THROW(c.target("x86_64-linux"));
#elif defined(__aarch64__) && defined(__linux__)
  EXPECT_NO_THROW(c.target("aarch64-unknown-linux-gnu"));
#endif
  EXPECT_THROW(c.target("not-a-real-target"), WasmError);
  EXPECT_THROW(c.target("wasm32-unknown-unknown"), WasmError);
}

TEST(ApiConfig, RecordedSettings) {
  Config c;
  EXPECT_FALSE(c.shared_memory());
  c.shared_memory(true)
      .memory_reservation(uint64_t{1} << 32)
      .memory_guard_size(0)
      .memory_reservation_for_growth(UINT64_MAX)
      .cranelift_flag("opt_level", "speed");
  EXPECT_TRUE(c.shared_memory());
  for (std::string_view name : kCompatFlags) {
    EXPECT_FALSE(c.compat_flag(name));
    c.compat_flag(name, true);
    EXPECT_TRUE(c.compat_flag(name));
  }
  EXPECT_THROW(c.compat_flag("wasm_simd", true), WasmError);  // a real feature, not a compat flag
  EXPECT_THROW(c.compat_flag("no_such_setting", true), WasmError);
  Config copy = c;
  EXPECT_TRUE(copy.shared_memory());
  EXPECT_TRUE(copy.compat_flag("wasm_stack_switching"));
  Engine engine(copy);  // accepted settings build an engine
  EXPECT_EQ(engine.raw()->config.max_wasm_stack, Config().raw().max_wasm_stack);
}

TEST(ApiConfig, CachePathIsADirectoryOrAConfigurationFile) {
  fs::path dir = fs::temp_directory_path() / ("ember-api-config-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "entries");
  dir = fs::canonical(dir);  // the working directory below is a resolved path
  Config c;
  c.cache_path((dir / "entries" / "").string());  // a directory, trailing separator dropped
  EXPECT_EQ(c.raw().cache_dir, (dir / "entries").string());
  std::ofstream(dir / "cache.toml") << "[cache]\ndirectory = \"from-file\"\n";
  c.cache_path((dir / "cache.toml").string());
  EXPECT_EQ(c.raw().cache_dir, (dir / "from-file").string());
  EXPECT_THROW(c.cache_path((dir / "missing.toml").string()), WasmError);
  std::ofstream(dir / "bad.toml") << "[cache]\nenabled = sometimes\n";
  EXPECT_THROW(c.cache_path((dir / "bad.toml").string()), WasmError);
  fs::path here = fs::current_path();
  fs::current_path(dir);
  c.cache_path("entries");  // relative: made absolute
  fs::current_path(here);
  EXPECT_EQ(c.raw().cache_dir, (dir / "entries").string());
  c.cache(false);
  EXPECT_EQ(c.raw().cache_dir, "");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ember

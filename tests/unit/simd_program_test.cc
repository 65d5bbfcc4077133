// SIMD end to end: tests/wasi/src/simd_dot.c (dot products written with the
// wasm SIMD intrinsics, compiled with -msimd128 by tests/wasi/build.sh)
// runs through the public API with the WASI imports; its SIMD results must
// match its scalar references and the numbers the `wasmtime` package prints
// for the same .wasm.
#include <gtest/gtest.h>

#include <filesystem>

#include "ember/ember.hh"
#include "runtime/runtime.hh"
#include "wasi/wasi.hh"

namespace ember {
namespace {

std::string simd_dot_path() {
  return (std::filesystem::path(__FILE__).parent_path() / ".." / "wasi" / "bin" / "simd_dot.wasm")
      .string();
}

struct ProgramRun {
  int32_t exit_code = -1;
  std::string out, error;
};

ProgramRun run_simd_dot(const Config& config, std::vector<std::string> argv) {
  ProgramRun r;
  wasi::Config wc;
  wc.argv = std::move(argv);
  wc.stdout_custom = [&](const uint8_t* p, size_t n) {
    r.out.append(reinterpret_cast<const char*>(p), n);
  };
  auto ctx = wasi::make_context(wc);
  if (!ctx.ok()) {
    r.error = ctx.error().describe();
    return r;
  }
  Engine engine(config);
  Store store(engine);
  Linker linker(engine);
  for (wasi::HostImport& imp : wasi::preview1_imports(*ctx)) {
    rt::FuncInst* f = rt::create_host_func(*store.raw(), imp.type, std::move(imp.fn));
    linker.define(wasi::kModuleName, imp.name, Func(store.raw(), f));
  }
  try {
    Instance inst = linker.instantiate(store, Module::from_file(engine, simd_dot_path()));
    inst.get_export("_start")->func()->call(std::vector<Val>{});
    r.exit_code = 0;
  } catch (const Trap& t) {
    if (t.code() == TrapCode::Exit) r.exit_code = t.exit_code();
    else r.error = t.what();
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

const char kExpected[] =
    "f32 dot: 91 (scalar 91)\n"
    "i16 dot: 4230494 (scalar 4230494)\n"
    "i8 dot: 27632 (scalar 27632)\n"
    "checksum over 20 repetitions: 2683082001\n"
    "ok\n";

TEST(SimdProgram, DotProductsMatchTheirScalarReferences) {
  if (!std::filesystem::exists(simd_dot_path())) GTEST_SKIP() << "tests/wasi/bin not built";
  ProgramRun r = run_simd_dot(Config(), {"simd_dot"});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, kExpected);
  // Other repetition counts end on other tail lengths; still consistent.
  r = run_simd_dot(Config(), {"simd_dot", "4"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.error;
}

TEST(SimdProgram, NeedsTheSimdFeature) {
  if (!std::filesystem::exists(simd_dot_path())) GTEST_SKIP() << "tests/wasi/bin not built";
  Config no_simd;
  no_simd.wasm_feature(Feature::Simd, false);
  no_simd.wasm_feature(Feature::RelaxedSimd, false);
  ProgramRun r = run_simd_dot(no_simd, {"simd_dot"});
  EXPECT_NE(r.error, "");
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace ember

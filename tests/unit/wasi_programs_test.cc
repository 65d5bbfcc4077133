// WASI end to end: our C test programs (tests/wasi/src, prebuilt into
// tests/wasi/bin by tests/wasi/build.sh) instantiated through the public API
// with every wasi_snapshot_preview1 import, run through `_start`. The
// expected stdout and exit codes are what the `wasmtime` package's WASI
// produces for the same .wasm (tests/wasi/differential.py checks that live).
#include <sys/stat.h>

#include <filesystem>

#include "ember/ember.hh"
#include "runtime/runtime.hh"
#include "wasi_harness.hh"

namespace ember::wasi::test {
namespace {

std::string bin_path(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path() / ".." / "wasi" / "bin" / (name + ".wasm"))
      .string();
}

struct RunResult {
  int32_t exit_code = -1;
  std::string out, err;
  std::string trap;  // empty unless a non-exit trap / error
};

RunResult run_program(const std::string& name, Config config) {
  RunResult r;
  config.stdout_custom = [&](const uint8_t* p, size_t n) {
    r.out.append(reinterpret_cast<const char*>(p), n);
  };
  config.stderr_custom = [&](const uint8_t* p, size_t n) {
    r.err.append(reinterpret_cast<const char*>(p), n);
  };
  auto ctx = make_context(config);
  if (!ctx.ok()) {
    r.trap = ctx.error().describe();
    return r;
  }
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  for (HostImport& imp : preview1_imports(*ctx)) {
    rt::FuncInst* f = rt::create_host_func(*store.raw(), imp.type, std::move(imp.fn));
    linker.define(kModuleName, imp.name, Func(store.raw(), f));
  }
  try {
    Module m = Module::from_file(engine, bin_path(name));
    Instance inst = linker.instantiate(store, m);
    inst.get_export("_start")->func()->call(std::vector<Val>{});
    r.exit_code = 0;
  } catch (const Trap& t) {
    if (t.code() == TrapCode::Exit) r.exit_code = t.exit_code();
    else r.trap = t.what();
  } catch (const std::exception& e) {
    r.trap = e.what();
  }
  return r;
}

bool have_programs() {
  return std::filesystem::exists(bin_path("report"));
}

TEST(WasiPrograms, ReportUsesFilesArgvEnvStdinClocksRandom) {
  if (!have_programs()) GTEST_SKIP() << "tests/wasi/bin not built";
  TempDir d;
  d.write("input.txt", "1\n2\n39\n");
  d.write("notes.txt", "notes\n");
  mkdir((d / "sub").c_str(), 0755);
  Config c = config_with_dir(d.path);
  c.preopens[0].guest_path = "/data";
  c.argv = {"report", "/data/input.txt", "/data/out.txt", "5"};
  c.env = {{"GREETING", "hi"}};
  std::string in = "stdin data\n";
  c.stdin_bytes = std::vector<uint8_t>(in.begin(), in.end());
  RunResult r = run_program("report", c);
  EXPECT_EQ(r.trap, "");
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.out,
            "argc=4\nargv[1]=/data/input.txt\nargv[2]=/data/out.txt\nargv[3]=5\nGREETING=hi\n"
            "MISSING=(unset)\n/data: 3 entries\n  input.txt: 7 bytes, checksum cead50f0\n"
            "  notes.txt: 6 bytes, checksum c4a82840\n  sub/\ninput lines=3 sum=42\nstdin bytes=11 "
            "checksum=2de3c67f\n"
            "monotonic ok=1 realtime after 2020=1\nrandom ok=1\nwrote /data/out.txt\n");
  EXPECT_EQ(d.read("out.txt"), "lines 3\nsum 42\nstdin 11\ngreeting hi\n");
}

TEST(WasiPrograms, FileSystemOperations) {
  if (!have_programs()) GTEST_SKIP() << "tests/wasi/bin not built";
  TempDir d;
  Config c = config_with_dir(d.path);
  c.preopens[0].guest_path = "/work";
  c.argv = {"fs_ops"};
  RunResult r = run_program("fs_ops", c);
  EXPECT_EQ(r.trap, "");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("entry f19\nentry link\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("failures=0\n"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::is_empty(d.path));
}

TEST(WasiPrograms, EscapeAttemptsAreAllDenied) {
  if (!have_programs()) GTEST_SKIP() << "tests/wasi/bin not built";
  TempDir root;
  mkdir((root / "box").c_str(), 0755);
  mkdir((root / "box/sub").c_str(), 0755);
  root.write("secret", "OUTSIDE");
  root.write("box/inside", "x");
  Config c = config_with_dir(root / "box");
  c.preopens[0].guest_path = "/box";
  c.argv = {"escape"};
  RunResult r = run_program("escape", c);
  EXPECT_EQ(r.trap, "");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("ESCAPED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("denied stat\nescaped=0\n"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(root / "created"));
  EXPECT_FALSE(std::filesystem::exists(root / "moved"));
}

TEST(WasiPrograms, ClocksPollStdinAndExitCodes) {
  if (!have_programs()) GTEST_SKIP() << "tests/wasi/bin not built";
  Config c;
  c.argv = {"misc", "7", "exit"};
  std::string in = "line one\n";
  c.stdin_bytes = std::vector<uint8_t>(in.begin(), in.end());
  RunResult r = run_program("misc", c);
  EXPECT_EQ(r.trap, "");
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.out,
            "res monotonic ok=1\nslept >= 30ms: 1\npoll stdin: r=1 readable=1\nstdin: line one\n"
            "sched_yield=0\ngetentropy=0\n");
  EXPECT_EQ(r.err, "cputime ok=1\n");
  c.argv = {"misc", "3"};  // returning from main
  EXPECT_EQ(run_program("misc", c).exit_code, 3);
}

TEST(WasiPrograms, ReadOnlyPreopen) {
  if (!have_programs()) GTEST_SKIP() << "tests/wasi/bin not built";
  TempDir d;
  d.write("data.txt", "readonly");
  Config c = config_with_dir(d.path, /*writable=*/false);
  c.preopens[0].guest_path = "/ro";
  c.argv = {"readonly"};
  RunResult r = run_program("readonly", c);
  EXPECT_EQ(r.trap, "");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("ALLOWED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("read: 8 readonly\n"), std::string::npos) << r.out;
  EXPECT_EQ(d.read("data.txt"), "readonly");
}

}  // namespace
}  // namespace ember::wasi::test

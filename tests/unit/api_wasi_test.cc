// Public API: WASI preview1 (include/ember/wasi.hh) — the store's context,
// the per-store trampolines that forward to it, and what a WASI program
// written in WAT sees through them.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "ember/ember.hh"
#include "ember/wasi.hh"

namespace ember {
namespace {

// A small WASI program. Scratch layout: iovec at 0, nwritten at 8, sizes at
// 32/36, prestat at 64, argv/environ pointers at 1024, their strings at 2048.
constexpr const char* kProgram = R"((module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get"
    (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  ;; fd_write(1) of memory[p, p+n); the errno.
  (func $write (param $p i32) (param $n i32) (result i32)
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (local.get $n))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "hello") (result i32) (call $write (i32.const 16) (i32.const 6)))
  ;; Writes the NUL-terminated argument strings to stdout.
  (func (export "args") (result i32) (local $e i32)
    (local.set $e (call $args_sizes_get (i32.const 32) (i32.const 36)))
    (if (local.get $e) (then (return (local.get $e))))
    (local.set $e (call $args_get (i32.const 1024) (i32.const 2048)))
    (if (local.get $e) (then (return (local.get $e))))
    (call $write (i32.const 2048) (i32.load (i32.const 36))))
  (func (export "argc") (result i32)
    (drop (call $args_sizes_get (i32.const 32) (i32.const 36)))
    (i32.load (i32.const 32)))
  ;; Writes the NUL-terminated NAME=VALUE strings to stdout.
  (func (export "environ") (result i32) (local $e i32)
    (local.set $e (call $environ_sizes_get (i32.const 32) (i32.const 36)))
    (if (local.get $e) (then (return (local.get $e))))
    (local.set $e (call $environ_get (i32.const 1024) (i32.const 2048)))
    (if (local.get $e) (then (return (local.get $e))))
    (call $write (i32.const 2048) (i32.load (i32.const 36))))
  ;; fd_prestat_get(3): the errno, else the length of the preopen's name.
  (func (export "prestat3") (result i32) (local $e i32)
    (local.set $e (call $fd_prestat_get (i32.const 3) (i32.const 64)))
    (if (result i32) (local.get $e)
      (then (local.get $e)) (else (i32.load (i32.const 68)))))
  (func (export "exit") (param i32) (call $proc_exit (local.get 0)))))";

constexpr int32_t kEio = 29;
constexpr int32_t kEbadf = 8;

// A store with the program instantiated through Linker::define_wasi (no context yet).
struct Program {
  Engine engine;
  Store store{engine};
  Instance inst;
  Program() : inst(link(engine, store)) {}
  static Instance link(const Engine& engine, Store& store) {
    Linker linker(engine);
    linker.define_wasi();
    return linker.instantiate(store, Module::from_text(engine, kProgram));
  }
  Func func(const char* name) { return *inst.get_export(name)->func(); }
  int32_t call(const char* name) { return func(name).typed<int32_t()>()(); }
};

// A config whose stdout appends to `out`.
WasiConfig capture(std::string* out) {
  WasiConfig c;
  c.stdout_custom = [out](const uint8_t* p, size_t n) -> int64_t {
    out->append(reinterpret_cast<const char*>(p), n);
    return static_cast<int64_t>(n);
  };
  return c;
}

const char kNoContext[] =
    "wasi context must be populated: call Store.set_wasi(WasiConfig()) before running WASI code "
    "(`fd_write` was called)";

TEST(ApiWasi, FdWriteReachesCustomStdout) {
  Program p;
  std::string out;
  set_wasi(p.store, capture(&out));
  EXPECT_EQ(p.call("hello"), 0);
  EXPECT_EQ(out, "hello\n");
}

TEST(ApiWasi, ArgsAndEnvironmentAreTheConfigs) {
  Program p;
  std::string out;
  WasiConfig c = capture(&out);
  c.argv = {"prog", "two words"};
  c.env = {{"A", "1"}, {"B", "x=y"}};
  set_wasi(p.store, c);
  EXPECT_EQ(p.call("argc"), 2);
  ASSERT_EQ(p.call("args"), 0);
  EXPECT_EQ(out, std::string("prog\0two words\0", 15));
  out.clear();
  ASSERT_EQ(p.call("environ"), 0);
  EXPECT_EQ(out, std::string("A=1\0B=x=y\0", 10));
}

TEST(ApiWasi, InheritArgvGivesTheHostArgv) {
  Program p;
  std::string out;
  WasiConfig c = capture(&out);
  c.argv = {"ignored"};
  c.inherit_argv = true;
  set_wasi_host_argv({"host", "-v"});
  set_wasi(p.store, c);
  set_wasi_host_argv({});  // read when the context is built
  ASSERT_EQ(p.call("args"), 0);
  EXPECT_EQ(out, std::string("host\0-v\0", 8));
}

TEST(ApiWasi, ContextMayComeAfterInstantiation) {
  Program p;  // linked and instantiated before any context exists
  std::string out;
  set_wasi(p.store, capture(&out));
  EXPECT_EQ(p.call("hello"), 0);
  EXPECT_EQ(out, "hello\n");
}

TEST(ApiWasi, CallWithoutContextFailsWithWasmError) {
  Program p;
  try {
    p.call("hello");
    FAIL() << "no error";
  } catch (const Trap& t) {
    FAIL() << "a trap: " << t.what();
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
    EXPECT_STREQ(e.what(), kNoContext);
  }
  // Called by the embedder directly, not from wasm.
  try {
    wasi_func(p.store, "sched_yield").call({});
    FAIL() << "no error";
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
    EXPECT_NE(std::string(e.what()).find("(`sched_yield` was called)"), std::string::npos)
        << e.what();
  }
  // The store stays usable.
  std::string out;
  set_wasi(p.store, capture(&out));
  EXPECT_EQ(p.call("hello"), 0);
  EXPECT_EQ(out, "hello\n");
}

TEST(ApiWasi, ReplacingTheContextRedirectsOutput) {
  Program p;
  std::string first, second;
  set_wasi(p.store, capture(&first));
  EXPECT_EQ(p.call("hello"), 0);
  set_wasi(p.store, capture(&second));
  EXPECT_EQ(p.call("hello"), 0);
  EXPECT_EQ(p.call("hello"), 0);
  EXPECT_EQ(first, "hello\n");
  EXPECT_EQ(second, "hello\nhello\n");
}

TEST(ApiWasi, ContextsArePerStore) {
  Program a, b;
  std::string out;
  set_wasi(a.store, capture(&out));
  EXPECT_EQ(a.call("hello"), 0);
  EXPECT_THROW(b.call("hello"), WasmError);
  EXPECT_EQ(out, "hello\n");
}

TEST(ApiWasi, ProcExitIsAnExitTrapWithTheStatus) {
  Program p;
  set_wasi(p.store, WasiConfig{});
  try {
    p.func("exit").typed<void(int32_t)>()(7);
    FAIL() << "no trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.code(), TrapCode::Exit);
    EXPECT_EQ(t.exit_code(), 7);
  }
}

TEST(ApiWasi, UnknownNameIsRefused) {
  Engine engine;
  Store store(engine);
  try {
    wasi_func(store, "fd_frobnicate");
    FAIL() << "no error";
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
    EXPECT_STREQ(e.what(), "`fd_frobnicate` is not a function of wasi_snapshot_preview1");
  }
}

TEST(ApiWasi, OneFuncPerStoreAndName) {
  Engine engine;
  Store store(engine), other(engine);
  Func f = wasi_func(store, "fd_write");
  EXPECT_EQ(f, wasi_func(store, "fd_write"));
  EXPECT_FALSE(f == wasi_func(other, "fd_write"));
  EXPECT_FALSE(f == wasi_func(store, "fd_read"));
  Linker linker(engine);
  linker.define_wasi();
  std::optional<Extern> defined = linker.get(store, kWasiModule, "fd_write");
  ASSERT_TRUE(defined && defined->func());
  EXPECT_EQ(*defined->func(), f);
}

TEST(ApiWasi, ImportsListEveryFunctionWithItsType) {
  std::vector<std::pair<std::string, FuncType>> imports = wasi_imports();
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  linker.define_wasi();
  std::set<std::string> names;
  for (const auto& [name, type] : imports) {
    EXPECT_TRUE(names.insert(name).second) << name << " twice";
    EXPECT_EQ(wasi_func(store, name).type(), type) << name;
    EXPECT_TRUE(linker.get(store, kWasiModule, name)) << name;
  }
  EXPECT_EQ(names.size(), 46u);  // all of wasi_snapshot_preview1, sock_accept included
  auto type_of = [&](const std::string& name) -> FuncType {
    for (const auto& [n, t] : imports)
      if (n == name) return t;
    ADD_FAILURE() << name << " missing";
    return {};
  };
  EXPECT_EQ(type_of("fd_write"),
            (FuncType{{ValType::I32, ValType::I32, ValType::I32, ValType::I32}, {ValType::I32}}));
  EXPECT_EQ(type_of("proc_exit"), (FuncType{{ValType::I32}, {}}));
  EXPECT_EQ(type_of("fd_seek"),
            (FuncType{{ValType::I32, ValType::I64, ValType::I32, ValType::I32}, {ValType::I32}}));
}

TEST(ApiWasi, PreopenedDirectoryIsFdThree) {
  char tmpl[] = "/tmp/ember-api-wasi-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  Program p;
  WasiConfig c;
  c.preopens.push_back(WasiPreopen{dir, "/data"});
  set_wasi(p.store, c);
  EXPECT_EQ(p.call("prestat3"), 5);  // strlen("/data")
  set_wasi(p.store, WasiConfig{});
  EXPECT_EQ(p.call("prestat3"), kEbadf);
  std::filesystem::remove_all(dir);
}

TEST(ApiWasi, MissingPreopenIsAnErrorNamingThePath) {
  Program p;
  std::string out;
  set_wasi(p.store, capture(&out));
  WasiConfig c;
  const std::string missing = "/nonexistent/ember-api-wasi-test";
  c.preopens.push_back(WasiPreopen{missing, "/data"});
  try {
    set_wasi(p.store, c);
    FAIL() << "no error";
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  // The store keeps its context.
  EXPECT_EQ(p.call("hello"), 0);
  EXPECT_EQ(out, "hello\n");
}

TEST(ApiWasi, FailingOutputIsEio) {
  Program p;
  WasiConfig c;
  c.stdout_custom = [](const uint8_t*, size_t) -> int64_t { return -1; };
  set_wasi(p.store, c);
  EXPECT_EQ(p.call("hello"), kEio);
}

TEST(ApiWasi, OutputExceptionReachesTheEmbedder) {
  Program p;
  WasiConfig c;
  c.stdout_custom = [](const uint8_t*, size_t) -> int64_t { throw std::runtime_error("sink"); };
  set_wasi(p.store, c);
  try {
    p.call("hello");
    FAIL() << "exception swallowed";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "sink");
  }
}

// A sink of a named type, as a language binding makes to find its own.
struct CountingSink {
  std::shared_ptr<size_t> bytes = std::make_shared<size_t>(0);
  int64_t operator()(const uint8_t*, size_t n) const {
    *bytes += n;
    return static_cast<int64_t>(n);
  }
};

TEST(ApiWasi, ForEachWasiOutputFindsTheContextsSinks) {
  Program p;
  std::vector<const CountingSink*> seen;
  auto visit = [&](const WasiOutput& out) { seen.push_back(out.target<CountingSink>()); };
  for_each_wasi_output(p.store, visit);  // no context yet
  EXPECT_TRUE(seen.empty());
  WasiConfig c;
  CountingSink sink;
  c.stdout_custom = sink;
  c.stderr_custom = [](const uint8_t*, size_t) {};  // wrapped: another type inside
  set_wasi(p.store, c);
  EXPECT_EQ(p.call("hello"), 0);
  EXPECT_EQ(*sink.bytes, 6u);
  for_each_wasi_output(p.store, visit);
  ASSERT_EQ(seen.size(), 2u);  // stdout's sink, then stderr's
  ASSERT_NE(seen[0], nullptr);
  EXPECT_EQ(seen[0]->bytes, sink.bytes);
  EXPECT_EQ(seen[1], nullptr);
  // A context without custom sinks has none to visit.
  set_wasi(p.store, WasiConfig{});
  seen.clear();
  for_each_wasi_output(p.store, visit);
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(sink.bytes.use_count(), 2);  // `sink` and the config `c`
}

}  // namespace
}  // namespace ember

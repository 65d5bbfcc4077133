// Public API: host functions from C++ callables, calls in both directions,
// traps and host exceptions, memories/tables/globals from the embedder.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "ember/ember.hh"

namespace ember {
namespace {

TEST(ApiHost, TypedHostFunctionIsCalledFromWasm) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  int calls = 0;
  linker.func_wrap(store, "env", "add", [&](int32_t a, int32_t b) {
    calls++;
    return a + b;
  });
  Module m = Module::from_text(engine, R"((module
      (import "env" "add" (func $add (param i32 i32) (result i32)))
      (func (export "twice") (param i32) (result i32)
        (call $add (local.get 0) (local.get 0)))))");
  Instance inst = linker.instantiate(store, m);
  Func twice = *inst.get_export("twice")->func();
  std::vector<Val> r = twice.call(std::vector<Val>{Val::i32(21)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].i32(), 42);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(twice.typed<int32_t(int32_t)>()(5), 10);
}

TEST(ApiHost, SignatureIsDerivedFromCpp) {
  Engine engine;
  Store store(engine);
  Func f = Func::wrap(store, [](int64_t a, float b, double c) -> std::tuple<int32_t, double> {
    return {int32_t(a), b + c};
  });
  FuncType want{{ValType::I64, ValType::F32, ValType::F64}, {ValType::I32, ValType::F64}};
  EXPECT_EQ(f.type(), want);
  std::vector<Val> r = f.call(std::vector<Val>{Val::i64(7), Val::f32(1.5f), Val::f64(2.25)});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].i32(), 7);
  EXPECT_DOUBLE_EQ(r[1].f64(), 3.75);
  EXPECT_THROW(f.typed<int32_t(int32_t)>(), WasmError);
  EXPECT_THROW(f.call(std::vector<Val>{Val::i32(1)}), WasmError);
}

TEST(ApiHost, CallerSeesTheCallingInstancesMemory) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  std::string seen;
  linker.func_wrap(store, "env", "log", [&](Caller& caller, int32_t ptr, int32_t len) {
    Memory mem = *caller.get_export("memory")->memory();
    seen.assign(reinterpret_cast<const char*>(mem.data()) + ptr, size_t(len));
  });
  Module m = Module::from_text(engine, R"((module
      (import "env" "log" (func $log (param i32 i32)))
      (memory (export "memory") 1)
      (data (i32.const 8) "hello")
      (func (export "run") (call $log (i32.const 8) (i32.const 5)))))");
  Instance inst = linker.instantiate(store, m);
  inst.get_export("run")->func()->call({});
  EXPECT_EQ(seen, "hello");
}

TEST(ApiHost, HostExceptionReachesTheEmbedderUnchanged) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  linker.func_wrap(store, "env", "fail", [] { throw std::runtime_error("boom"); });
  Module m = Module::from_text(engine, R"((module
      (import "env" "fail" (func $fail))
      (func (export "run") (call $fail))))");
  Instance inst = linker.instantiate(store, m);
  Func run = *inst.get_export("run")->func();
  try {
    run.call({});
    FAIL() << "exception swallowed";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
  // The store stays usable.
  EXPECT_THROW(run.call({}), std::runtime_error);
}

TEST(ApiHost, WasmTrapsBecomeTrapExceptions) {
  Engine engine;
  Store store(engine);
  Module m = Module::from_text(engine, R"((module
      (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))))");
  Instance inst(store, m, {});
  auto div = inst.get_export("div")->func()->typed<int32_t(int32_t, int32_t)>();
  EXPECT_EQ(div(7, 2), 3);
  try {
    div(1, 0);
    FAIL() << "no trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.code(), TrapCode::IntegerDivideByZero);
    EXPECT_STREQ(t.spec_message(), "integer divide by zero");
  }
}

// A trap in a call a host function makes, let through the host function:
// the embedder catches that Trap with the frames of the wasm outside the
// host function added (the host function's caller at its call), as the
// wasmtime package lists the whole stack; one the host makes up has none.
TEST(ApiHost, NestedTrapLeavingAHostFunctionListsTheFramesOutsideIt) {
  for (const char* strategy : {"interpreter", "cranelift", "auto"}) {
    Config config;
    config.strategy(strategy);
    Engine engine(config);
    Store store(engine);
    Linker linker(engine);
    std::optional<Func> inner;
    linker.func_wrap(store, "h", "f", [&] { inner->call({}); });
    Module m = Module::from_text(engine, R"((module
        (import "h" "f" (func $f))
        (func $u (export "u") unreachable)
        (func $g (export "g") call $f)
        (func (export "outer") call $g)))");
    Instance inst = linker.instantiate(store, m);
    inner = *inst.get_export("u")->func();
    try {
      inst.get_export("outer")->func()->call({});
      FAIL() << "no trap";
    } catch (const Trap& t) {
      EXPECT_EQ(t.code(), TrapCode::Unreachable);
      std::vector<std::pair<uint32_t, uint64_t>> frames;
      for (const FrameInfo& f : t.frames()) frames.emplace_back(f.func_index, f.module_offset);
      std::vector<std::pair<uint32_t, uint64_t>> want{{1, 0x35}, {2, 0x39}, {3, 0x3e}};
      EXPECT_EQ(frames, want) << strategy;
    }
  }
}

TEST(ApiHost, RawHostFunctionUsesSlots) {
  Engine engine;
  Store store(engine);
  Func f = Func::create(store, FuncType{{ValType::I64}, {ValType::I64, ValType::I64}},
                        [](Caller&, uint64_t* slots) {
                          uint64_t x = slots[0];
                          slots[0] = x + 1;
                          slots[1] = x * 2;
                        });
  EXPECT_EQ(f.slot_count(), 2u);
  uint64_t slots[2] = {10, 0};
  f.call_raw(slots);
  EXPECT_EQ(slots[0], 11u);
  EXPECT_EQ(slots[1], 20u);
}

TEST(ApiObjects, MemoryTableGlobalFromTheEmbedder) {
  Engine engine;
  Store store(engine);
  MemoryType mt;
  mt.limits.min = 1;
  mt.limits.max = 2;
  Memory mem = Memory::create(store, mt);
  const uint8_t bytes[] = {1, 2, 3};
  mem.write(100, bytes);
  uint8_t back[3] = {};
  mem.read(100, back);
  EXPECT_EQ(back[2], 3);
  EXPECT_THROW(mem.write(65535, bytes), WasmError);
  EXPECT_EQ(mem.grow(1), 1u);
  EXPECT_THROW(mem.grow(1), WasmError);

  TableType tt;
  tt.elem = ValType::ExternRef;
  tt.limits.min = 1;
  Table table = Table::create(store, tt, Val::null(ValType::ExternRef));
  ExternRef r = ExternRef::create(store, std::make_shared<int>(5), 9);
  table.set(0, Val::externref(r));
  EXPECT_EQ(table.get(0).externref()->id(), 9u);
  EXPECT_EQ(*std::static_pointer_cast<int>(table.get(0).externref()->payload()), 5);
  EXPECT_EQ(table.grow(2, Val::null(ValType::ExternRef)), 1u);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_THROW(table.set(0, Val::i32(1)), WasmError);

  Global g = Global::create(store, GlobalType{ValType::F64, true}, Val::f64(1.5));
  g.set(Val::f64(2.5));
  EXPECT_DOUBLE_EQ(g.get().f64(), 2.5);
  Global c = Global::create(store, GlobalType{ValType::I32, false}, Val::i32(1));
  EXPECT_THROW(c.set(Val::i32(2)), WasmError);
}

TEST(ApiModule, ErrorsCarryTheirCategory) {
  Engine engine;
  const uint8_t junk[] = {0, 'a', 's', 'm', 2, 0, 0, 0};
  try {
    Module::from_binary(engine, junk);
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed);
  }
  try {
    Module::from_text(engine, "(module (func (result i32)))");
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Invalid);
  }
  Module m = Module::from_text(engine, R"((module
      (import "a" "b" (memory 1 2))
      (func (export "f") (param i32) (result i64) (i64.const 0))))");
  ASSERT_EQ(m.imports().size(), 1u);
  EXPECT_EQ(m.imports()[0].type.kind, ExternKind::Memory);
  EXPECT_EQ(m.imports()[0].type.memory.limits.max, 2u);
  ASSERT_EQ(m.exports().size(), 1u);
  EXPECT_EQ(m.exports()[0].type.func, (FuncType{{ValType::I32}, {ValType::I64}}));
}

}  // namespace
}  // namespace ember

// Public API: execution control. Fuel (wasmtime's accounting), epoch
// interruption from another thread, store limits, stack exhaustion (wasm
// recursion, wasm -> host -> wasm, small native stacks), and trap backtraces.
#include <gtest/gtest.h>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "ember/ember.hh"

namespace ember {
namespace {

Instance instantiate(Store& store, const char* wat) {
  Module m = Module::from_text(store.engine(), wat);
  return Instance(store, m, {});
}

Func export_func(const Instance& inst, const char* name) {
  return *inst.get_export(name)->func();
}

TrapCode trap_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Trap& t) {
    return t.code();
  }
  return TrapCode::None;
}

const char* kCountdown = R"((module
  (func (export "spin") (param i32) (result i32)
    (loop $l local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l)
    local.get 0)))";

// ---- fuel ----------------------------------------------------------------------

TEST(ApiFuel, ChargedAsWasmtimeDoes) {
  Config c;
  c.consume_fuel(true);
  Engine engine(c);
  Store store(engine);
  auto spin = export_func(instantiate(store, kCountdown), "spin").typed<int32_t(int32_t)>();
  store.set_fuel(1000);
  EXPECT_EQ(spin(10), 0);
  // 1 (entry) + 10 iterations of 5 (local.get, i32.const, i32.sub,
  // local.tee, br_if; `loop` and `end` are free) + the final local.get.
  EXPECT_EQ(store.get_fuel(), 1000u - 1 - 10 * 5 - 1);
}

TEST(ApiFuel, RunningOutTrapsAndTheStoreStaysUsable) {
  Config c;
  c.consume_fuel(true);
  Engine engine(c);
  Store store(engine);
  auto spin = export_func(instantiate(store, kCountdown), "spin").typed<int32_t(int32_t)>();
  store.set_fuel(100);
  EXPECT_EQ(trap_of([&] { spin(1'000'000); }), TrapCode::OutOfFuel);
  EXPECT_EQ(store.get_fuel(), 0u);
  store.set_fuel(1'000'000);
  EXPECT_EQ(spin(100), 0);
  EXPECT_GT(store.get_fuel(), 0u);
}

TEST(ApiFuel, FuelBeyondInt64IsKept) {
  Config c;
  c.consume_fuel(true);
  Engine engine(c);
  Store store(engine);
  store.set_fuel(UINT64_MAX);
  EXPECT_EQ(store.get_fuel(), UINT64_MAX);
  auto spin = export_func(instantiate(store, kCountdown), "spin").typed<int32_t(int32_t)>();
  EXPECT_EQ(spin(3), 0);
  EXPECT_EQ(store.get_fuel(), UINT64_MAX - 1 - 3 * 5 - 1);
}

TEST(ApiFuel, WithoutConsumeFuelTheCallsThrow) {
  Engine engine;
  Store store(engine);
  EXPECT_THROW(store.set_fuel(10), WasmError);
  EXPECT_THROW(store.get_fuel(), WasmError);
  // And nothing is charged: a long loop just runs.
  auto spin = export_func(instantiate(store, kCountdown), "spin").typed<int32_t(int32_t)>();
  EXPECT_EQ(spin(100000), 0);
}

TEST(ApiFuel, BulkOperationsCostPerByte) {
  Config c;
  c.consume_fuel(true);
  Engine engine(c);
  Store store(engine);
  Instance inst = instantiate(store, R"((module (memory 1)
    (func (export "fill") (param i32)
      i32.const 0 i32.const 7 local.get 0 memory.fill)))");
  auto fill = export_func(inst, "fill").typed<void(int32_t)>();
  store.set_fuel(10000);
  fill(1000);
  // entry 1 + three operands + memory.fill 1 + 1000 bytes
  EXPECT_EQ(store.get_fuel(), 10000u - 1 - 3 - 1 - 1000);
  store.set_fuel(500);
  EXPECT_EQ(trap_of([&] { fill(1000); }), TrapCode::OutOfFuel);
}

// ---- epochs --------------------------------------------------------------------

TEST(ApiEpoch, DeadlineInTheFutureLetsCodeRun) {
  Config c;
  c.epoch_interruption(true);
  Engine engine(c);
  Store store(engine);
  auto spin = export_func(instantiate(store, kCountdown), "spin").typed<int32_t(int32_t)>();
  store.set_epoch_deadline(1);
  EXPECT_EQ(spin(1000), 0);
  engine.increment_epoch();
  EXPECT_EQ(trap_of([&] { spin(1000); }), TrapCode::Interrupt);
  store.set_epoch_deadline(5);
  EXPECT_EQ(spin(1000), 0);  // the store is usable again
}

TEST(ApiEpoch, AnotherThreadInterruptsAnInfiniteLoop) {
  Config c;
  c.epoch_interruption(true);
  Engine engine(c);
  Store store(engine);
  Instance inst = instantiate(store, R"((module (func (export "forever") (loop br 0))))");
  store.set_epoch_deadline(3);
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    while (!stop) {
      engine.increment_epoch();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  TrapCode t = trap_of([&] { export_func(inst, "forever").call(std::vector<Val>{}); });
  stop = true;
  ticker.join();
  EXPECT_EQ(t, TrapCode::Interrupt);
}

TEST(ApiEpochInterrupt, AnotherThreadStopsOneStoreOnly) {
  Config c;
  c.epoch_interruption(true);
  Engine engine(c);
  Store store(engine), other(engine);
  const char* wat = R"((module (func (export "forever") (loop br 0))))";
  Instance inst = instantiate(store, wat);
  Instance other_inst = instantiate(other, wat);
  store.set_epoch_deadline(100);
  other.set_epoch_deadline(100);
  // interrupt() is the one Store call allowed from another thread. Early or
  // late, it stops the call: before the call starts, it traps at entry.
  std::thread interrupter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    store.interrupt();
  });
  TrapCode t = trap_of([&] { export_func(inst, "forever").call(std::vector<Val>{}); });
  interrupter.join();
  EXPECT_EQ(t, TrapCode::Interrupt);
  // The store keeps its deadline: a loop of 1000 runs, and the engine's
  // epoch was never touched, so the other store was not disturbed.
  auto spin = export_func(instantiate(store, kCountdown), "spin").typed<int32_t(int32_t)>();
  EXPECT_EQ(spin(1000), 0);
  engine.increment_epoch();  // deadlines are still 100 ticks away
  EXPECT_EQ(spin(1000), 0);
  (void)other_inst;
}

TEST(ApiEpochInterrupt, BeforeACallStopsThatCallOnly) {
  Config c;
  c.epoch_interruption(true);
  Engine engine(c);
  Store store(engine);
  auto spin = export_func(instantiate(store, kCountdown), "spin").typed<int32_t(int32_t)>();
  store.set_epoch_deadline(10);
  store.interrupt();
  EXPECT_EQ(trap_of([&] { spin(5); }), TrapCode::Interrupt);
  EXPECT_EQ(spin(5), 0);
  // A deadline set while an interrupt is pending does not cancel it.
  store.interrupt();
  store.set_epoch_deadline(10);
  EXPECT_EQ(trap_of([&] { spin(5); }), TrapCode::Interrupt);
  EXPECT_EQ(spin(5), 0);
}

TEST(ApiEpochInterrupt, SpentWhenTheCallReturnsWithoutACheck) {
  Config c;
  c.epoch_interruption(true);
  Engine engine(c);
  Store store(engine);
  store.set_epoch_deadline(10);
  auto spin = export_func(instantiate(store, kCountdown), "spin").typed<int32_t(int32_t)>();
  Func host = Func::wrap(store, [&](Caller&) { store.interrupt(); });
  host.call({});  // host code has no epoch check: the interrupt ends with the call
  EXPECT_EQ(spin(5), 0);
}

TEST(ApiEpochInterrupt, NeedsEpochInterruption) {
  Engine engine;
  Store store(engine);
  EXPECT_THROW(store.interrupt(), WasmError);
}

TEST(ApiEpoch, ChecksAtFunctionEntry) {
  Config c;
  c.epoch_interruption(true);
  Engine engine(c);
  Store store(engine);
  Instance inst = instantiate(store, R"((module (func (export "nop"))))");
  // The default deadline (0) has already passed: wasmtime's behaviour.
  EXPECT_EQ(trap_of([&] { export_func(inst, "nop").call(std::vector<Val>{}); }),
            TrapCode::Interrupt);
  store.set_epoch_deadline(1);
  EXPECT_EQ(trap_of([&] { export_func(inst, "nop").call(std::vector<Val>{}); }), TrapCode::None);
}

TEST(ApiEpoch, HugeDeadlineNeverArrives) {
  Config c;
  c.epoch_interruption(true);
  Engine engine(c);
  Store store(engine);
  engine.increment_epoch();
  store.set_epoch_deadline(UINT64_MAX);  // saturates instead of wrapping
  auto spin = export_func(instantiate(store, kCountdown), "spin").typed<int32_t(int32_t)>();
  EXPECT_EQ(spin(10), 0);
}

// ---- limits --------------------------------------------------------------------

TEST(ApiLimits, CountsAreCheckedBeforeInstantiating) {
  Engine engine;
  Store store(engine);
  store.set_limits(-1, -1, -1, -1, /*memories=*/1);
  Module two = Module::from_text(engine, "(module (memory 1) (memory 1))");
  try {
    Instance(store, two, {});
    FAIL() << "instantiated past the memory count limit";
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Exhaustion);
    EXPECT_NE(std::string(e.what()).find("resource limit exceeded: memory count too high at 2"),
              std::string::npos);
  }
  // Host-created memories do not count (wasmtime's rule).
  Memory::create(store, MemoryType{Limits{1, std::nullopt}});
  Memory::create(store, MemoryType{Limits{1, std::nullopt}});
  Module one = Module::from_text(engine, "(module (memory 1))");
  Instance ok(store, one, {});
  EXPECT_THROW(Instance(store, one, {}), WasmError);
}

TEST(ApiLimits, InstanceCount) {
  Engine engine;
  Store store(engine);
  store.set_limits(-1, -1, /*instances=*/2);
  Module m = Module::from_text(engine, "(module)");
  Instance a(store, m, {});
  Instance b(store, m, {});
  EXPECT_THROW(Instance(store, m, {}), WasmError);
}

TEST(ApiLimits, MemoryGrowthInWasmAndFromTheHost) {
  Engine engine;
  Store store(engine);
  store.set_limits(/*memory_size=*/2 * 65536);
  Instance inst = instantiate(store, R"((module (memory (export "m") 1)
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)))");
  auto grow = export_func(inst, "grow").typed<int32_t(int32_t)>();
  EXPECT_EQ(grow(1), 1);
  EXPECT_EQ(grow(1), -1);  // refused inside wasm: -1, no trap
  Memory mem = *inst.get_export("m")->memory();
  EXPECT_THROW(mem.grow(1), WasmError);  // refused from the host: an error
  EXPECT_EQ(mem.size(), 2u);
  EXPECT_THROW(Memory::create(store, MemoryType{Limits{3, std::nullopt}}), WasmError);
}

TEST(ApiLimits, TableElements) {
  Engine engine;
  Store store(engine);
  store.set_limits(-1, /*table_elements=*/10);
  EXPECT_THROW(instantiate(store, "(module (table 11 funcref))"), WasmError);
  Instance inst = instantiate(store, R"((module (table 5 funcref)
    (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow 0)))");
  auto grow = export_func(inst, "grow").typed<int32_t(int32_t)>();
  EXPECT_EQ(grow(6), -1);
  EXPECT_EQ(grow(5), 5);
}

// ---- stack ---------------------------------------------------------------------

const char* kRecursion = R"((module
  (global $depth (export "depth") (mut i32) (i32.const 0))
  (func $r (export "r") (param i32) (result i32)
    global.get $depth i32.const 1 i32.add global.set $depth
    local.get 0 i32.eqz if (result i32) i32.const 0
    else local.get 0 i32.const 1 i32.sub call $r end)
  (func $forever (export "forever") call $forever)))";

TEST(ApiStack, InfiniteRecursionTraps) {
  Engine engine;
  Store store(engine);
  Instance inst = instantiate(store, kRecursion);
  EXPECT_EQ(trap_of([&] { export_func(inst, "forever").call(std::vector<Val>{}); }),
            TrapCode::StackOverflow);
  // Deep but finite recursion still works afterwards.
  EXPECT_EQ(export_func(inst, "r").typed<int32_t(int32_t)>()(20000), 0);
}

TEST(ApiStack, MaxWasmStackBoundsTheDepth) {
  auto depth_reached = [](uint64_t stack) {
    Config c;
    c.max_wasm_stack(stack);
    Engine engine(c);
    Store store(engine);
    Instance inst = instantiate(store, kRecursion);
    EXPECT_EQ(
        trap_of([&] { export_func(inst, "r").call(std::vector<Val>{Val::i32(100'000'000)}); }),
        TrapCode::StackOverflow);
    return inst.get_export("depth")->global()->get().i32();
  };
  int32_t small = depth_reached(16 * 1024);
  int32_t large = depth_reached(1024 * 1024);
  EXPECT_GT(small, 100);
  EXPECT_GT(large, 16 * small);
  // Out of range: std::invalid_argument (ValueError in Python), api_config_test.cc.
  EXPECT_THROW(Config().max_wasm_stack(0), std::invalid_argument);
  EXPECT_THROW(Config().max_wasm_stack(uint64_t{1} << 40), std::invalid_argument);
}

// wasm -> host -> wasm recursion without end.
TrapCode host_reentry_without_end() {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  std::optional<Func> again;
  linker.func_wrap(store, "", "h",
                   [&](int32_t x) -> int32_t { return again->typed<int32_t(int32_t)>()(x + 1); });
  Module m = Module::from_text(engine, R"((module (import "" "h" (func $h (param i32) (result i32)))
    (func (export "f") (param i32) (result i32) local.get 0 call $h)))");
  Instance inst = linker.instantiate(store, m);
  again = export_func(inst, "f");
  return trap_of([&] { again->call(std::vector<Val>{Val::i32(0)}); });
}

TEST(ApiStack, HostReentryTraps) {
  EXPECT_EQ(host_reentry_without_end(), TrapCode::StackOverflow);
}

TEST(ApiStack, HostReentryOnASmallNativeStackTraps) {
  // 256 KiB of native stack: the interpreter must notice it is running out.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  TrapCode got = TrapCode::None;
  pthread_t t;
  auto body = [](void* p) -> void* {
    *static_cast<TrapCode*>(p) = host_reentry_without_end();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&t, &attr, body, &got), 0);
  pthread_join(t, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(got, TrapCode::StackOverflow);
}

// ---- backtraces ------------------------------------------------------------------

TEST(ApiBacktrace, FramesNamesAndOffsets) {
  Engine engine;
  Store store(engine);
  Instance inst = instantiate(store, R"((module $mod
    (func $bar (export "bar") unreachable)
    (func $foo (export "foo") call $bar)
    (func (export "anon") call $foo)))");
  try {
    export_func(inst, "anon").call(std::vector<Val>{});
    FAIL() << "no trap";
  } catch (const Trap& t) {
    ASSERT_EQ(t.frames().size(), 3u);
    EXPECT_EQ(t.frames()[0].func_name, "bar");
    EXPECT_EQ(t.frames()[0].module_name, "mod");
    EXPECT_EQ(t.frames()[0].func_offset, 1u);  // past the body's local count
    EXPECT_EQ(t.frames()[1].func_name, "foo");
    EXPECT_EQ(t.frames()[2].func_name, "");
    EXPECT_EQ(t.frames()[2].func_index, 2u);
    EXPECT_EQ(t.report(),
              "error while executing at wasm backtrace:\n"
              "    0:     0x2f - mod!bar\n"
              "    1:     0x33 - mod!foo\n"
              "    2:     0x38 - mod!<wasm function 2>\n"
              "\n"
              "Caused by:\n"
              "    wasm trap: wasm `unreachable` instruction executed\n");
  }
}

TEST(ApiBacktrace, StackOverflowKeepsTwentyFramesAndTheEnteredFunction) {
  Engine engine;
  Store store(engine);
  Instance inst = instantiate(store, kRecursion);
  try {
    export_func(inst, "forever").call(std::vector<Val>{});
    FAIL() << "no trap";
  } catch (const Trap& t) {
    ASSERT_EQ(t.frames().size(), 20u);
    EXPECT_EQ(t.frames()[0].module_offset, FrameInfo::kUnknownOffset);
    EXPECT_NE(t.frames()[1].module_offset, FrameInfo::kUnknownOffset);
    EXPECT_NE(t.report().find("    0: <unknown>!forever\n"), std::string::npos);
  }
}

}  // namespace
}  // namespace ember

// Public API: wasm exceptions seen from C++ -- an uncaught exception is a
// Trap of code Exception naming its tag, a host callback that lets it
// propagate rethrows it into the wasm caller, exception objects are
// collected (a program that throws in a loop runs in bounded memory, and
// exnrefs held in globals survive collection), and fuel is charged the
// same whether an exception is thrown or not.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "ember/ember.hh"

namespace ember {
namespace {

constexpr const char* kLoop = R"((module
    (tag $e (param i32))
    (global $kept (mut exnref) (ref.null exn))
    (func $thrower (param i32) (throw $e (local.get 0)))
    ;; Throws and catches n times; keeps the exnref of the first throw.
    (func (export "loop") (param $n i32) (result i32) (local $sum i32) (local $x exnref)
      (loop $l
        (block $h (result i32 exnref)
          (try_table (catch_ref $e $h) (call $thrower (local.get $n)))
          (unreachable))
        (local.set $x)
        (if (ref.is_null (global.get $kept))
          (then (global.set $kept (local.get $x))))
        (local.set $sum (i32.add (local.get $sum)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (local.get $sum))
    ;; Rethrows the kept exception and returns its payload.
    (func (export "kept") (result i32)
      (block $h (result i32)
        (try_table (catch $e $h) (throw_ref (global.get $kept)))
        (i32.const -1)))))";

Func func(const Instance& inst, std::string_view name) {
  std::optional<Extern> e = inst.get_export(name);
  EXPECT_TRUE(e && e->func()) << name;
  return *e->func();
}

int32_t call_i32(const Instance& inst, std::string_view name, std::vector<Val> args = {}) {
  std::vector<Val> r = func(inst, name).call(args);
  EXPECT_EQ(r.size(), 1u);
  return r.at(0).i32();
}

TEST(Exceptions, ThrowingInALoopRunsInBoundedMemory) {
  Engine engine;
  Store store(engine);
  Instance inst(store, Module::from_text(engine, kLoop), {});
  constexpr int32_t n = 200000;
  int64_t want = int64_t(n) * (n + 1) / 2;
  EXPECT_EQ(call_i32(inst, "loop", {Val::i32(n)}), int32_t(want));
  // Collected as they piled up: far fewer objects than throws.
  EXPECT_LT(store.exception_count(), 10000u);
  // The one a global holds survived every collection.
  EXPECT_EQ(call_i32(inst, "kept"), n);
  store.gc();
  EXPECT_EQ(call_i32(inst, "kept"), n);
  EXPECT_LE(store.exception_count(), 2u);
}

constexpr const char* kHost = R"((module
    (tag $t (export "t") (param i32))
    (import "host" "call" (func $host (param i32)))
    (func (export "thrower") (param i32) (throw $t (local.get 0)))
    (func (export "via_host") (param i32) (result i32)
      (block $h (result i32)
        (try_table (catch $t $h) (call $host (local.get 0)))
        (i32.const -1)))))";

TEST(Exceptions, UncaughtIsATrapNamingTheTag) {
  Engine engine;
  Store store(engine);
  Func host = Func::create(store, FuncType{{ValType::I32}, {}}, [](Caller&, uint64_t*) {});
  Instance inst(store, Module::from_text(engine, kHost), std::vector<Extern>{Extern(host)});
  try {
    func(inst, "thrower").call(std::vector<Val>{Val::i32(3)});
    FAIL() << "no trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.code(), TrapCode::Exception);
    ASSERT_TRUE(t.thrown().has_value());
    EXPECT_EQ(t.thrown()->tag, "tag \"t\"");
    EXPECT_NE(t.report().find("thrown Wasm exception (tag \"t\")"), std::string::npos)
        << t.report();
    EXPECT_EQ(t.report().find("wasm trap:"), std::string::npos) << t.report();
    ASSERT_EQ(t.frames().size(), 1u);
  }
  EXPECT_EQ(call_i32(inst, "via_host", {Val::i32(4)}), -1);  // the store stays usable
}

TEST(Exceptions, HostCallbackLettingItPropagateRethrowsIntoWasm) {
  Engine engine;
  Store store(engine);
  std::optional<Instance> inst;
  bool catch_it = false;
  Func host = Func::create(store, FuncType{{ValType::I32}, {}}, [&](Caller&, uint64_t* slots) {
    try {
      func(*inst, "thrower").call(std::vector<Val>{Val::i32(int32_t(slots[0]))});
    } catch (const Trap&) {
      if (!catch_it) throw;
    }
  });
  inst.emplace(store, Module::from_text(engine, kHost), std::vector<Extern>{Extern(host)});
  EXPECT_EQ(call_i32(*inst, "via_host", {Val::i32(42)}), 42);
  catch_it = true;
  EXPECT_EQ(call_i32(*inst, "via_host", {Val::i32(42)}), -1);
  // A forged token names nothing (no such object, or a stale generation):
  // the Trap stays a host error and wasm does not catch it.
  for (uint64_t index : {uint64_t{123456}, uint64_t{0}}) {
    Func forger = Func::create(store, FuncType{{ValType::I32}, {}}, [&](Caller&, uint64_t*) {
      Trap t(TrapCode::Exception);
      t.set_thrown(ThrownException{store.id(), index, 99, "forged"});
      throw t;
    });
    Instance other(store, Module::from_text(engine, kHost), std::vector<Extern>{Extern(forger)});
    EXPECT_THROW(func(other, "via_host").call(std::vector<Val>{Val::i32(1)}), Trap);
  }
}

TEST(Exceptions, SwitchedOffRefusesTheInstructions) {
  Config config;
  config.wasm_feature(Feature::Exceptions, false);
  Engine engine(config);
  try {
    Module::from_text(engine, kLoop);
    FAIL() << "compiled";
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Invalid);
    EXPECT_NE(std::string(e.what()).find("exceptions"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ember

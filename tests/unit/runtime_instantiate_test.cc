// Instantiation through the public API: imports and linking errors, segment
// initialisation order, start functions, constant expressions, memory growth
// beyond the maximum, store limits.
#include <gtest/gtest.h>

#include "ember/ember.hh"

namespace ember {
namespace {

Module wat(const Engine& e, const char* text) {
  return Module::from_text(e, text);
}

TEST(RuntimeInstantiate, UnknownImportIsUnlinkable) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  Module m = wat(engine, R"((module (import "env" "f" (func))))");
  try {
    linker.instantiate(store, m);
    FAIL() << "instantiated without its import";
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unlinkable);
    EXPECT_NE(std::string(e.what()).find("env::f"), std::string::npos);
  }
}

TEST(RuntimeInstantiate, IncompatibleImportTypesAreUnlinkable) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  linker.func_wrap(store, "env", "f", [](int64_t) {});
  linker.define("env", "g", Global::create(store, GlobalType{ValType::I32, true}, Val::i32(1)));
  Module wrong_func = wat(engine, R"((module (import "env" "f" (func (param i32)))))");
  Module wrong_mut = wat(engine, R"((module (import "env" "g" (global i32))))");
  Module ok = wat(
      engine,
      R"((module (import "env" "f" (func (param i64))) (import "env" "g" (global (mut i32)))))");
  for (const Module* m : {&wrong_func, &wrong_mut}) {
    try {
      linker.instantiate(store, *m);
      FAIL() << "mismatched import accepted";
    } catch (const WasmError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unlinkable);
    }
  }
  EXPECT_NO_THROW(linker.instantiate(store, ok));
}

TEST(RuntimeInstantiate, DataSegmentsRunInOrderAndEarlierWritesStay) {
  Engine engine;
  Store store(engine);
  MemoryType mt;
  mt.limits.min = 1;
  Memory mem = Memory::create(store, mt);
  Linker linker(engine);
  linker.define("env", "mem", mem);
  Module m = wat(engine, R"((module
      (import "env" "mem" (memory 1))
      (data (i32.const 0) "ab")
      (data (i32.const 65535) "xy")
      (data (i32.const 10) "zz")))");
  try {
    linker.instantiate(store, m);
    FAIL() << "out-of-bounds data segment did not trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.code(), TrapCode::MemoryOutOfBounds);
  }
  EXPECT_EQ(mem.data()[0], 'a');
  EXPECT_EQ(mem.data()[1], 'b');
  EXPECT_EQ(mem.data()[10], 0);  // the segment after the trap never ran
}

TEST(RuntimeInstantiate, ElementSegmentTrapKeepsEarlierEntries) {
  Engine engine;
  Store store(engine);
  TableType tt;
  tt.limits.min = 3;
  Table table = Table::create(store, tt, Val::null(ValType::FuncRef));
  Linker linker(engine);
  linker.define("env", "t", table);
  Module m = wat(engine, R"((module
      (import "env" "t" (table 3 funcref))
      (func $f)
      (elem (i32.const 0) $f)
      (elem (i32.const 2) $f $f)))");
  EXPECT_THROW(linker.instantiate(store, m), Trap);
  EXPECT_FALSE(table.get(0).is_null());
  EXPECT_TRUE(table.get(1).is_null());
  EXPECT_TRUE(table.get(2).is_null());
}

TEST(RuntimeInstantiate, StartFunctionAndConstantExpressions) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  linker.define("env", "base",
                Global::create(store, GlobalType{ValType::I32, false}, Val::i32(40)));
  Module m = wat(engine, R"((module
      (import "env" "base" (global $base i32))
      (global $g (export "g") (mut i32) (global.get $base))
      (global $h (export "h") i64 (i64.mul (i64.const 6) (i64.const 7)))
      (func $start (global.set $g (i32.add (global.get $g) (i32.const 2))))
      (start $start)))");
  Instance inst = linker.instantiate(store, m);
  EXPECT_EQ(inst.get_export("g")->global()->get().i32(), 42);
  EXPECT_EQ(inst.get_export("h")->global()->get().i64(), 42);
}

TEST(RuntimeInstantiate, TrappingStartFunctionIsATrap) {
  Engine engine;
  Store store(engine);
  Module m = wat(engine, R"((module (func $s unreachable) (start $s)))");
  try {
    Instance inst(store, m, {});
    FAIL() << "start function trap ignored";
  } catch (const Trap& t) {
    EXPECT_EQ(t.code(), TrapCode::Unreachable);
    EXPECT_STREQ(t.spec_message(), "unreachable");
  }
}

TEST(RuntimeInstantiate, MemoryGrowBeyondMaximumReturnsMinusOne) {
  Engine engine;
  Store store(engine);
  Module m = wat(engine, R"((module
      (memory (export "mem") 1 2)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))");
  Instance inst(store, m, {});
  auto grow = inst.get_export("grow")->func()->typed<int32_t(int32_t)>();
  EXPECT_EQ(grow(1), 1);
  EXPECT_EQ(grow(1), -1);
  EXPECT_EQ(inst.get_export("mem")->memory()->size(), 2u);
}

TEST(RuntimeInstantiate, StoreLimitsApplyToWasmGrowthAndInstances) {
  Engine engine;
  Store store(engine);
  store.set_limits(/*memory_size=*/2 * 65536, -1, /*instances=*/1);
  Module m = wat(engine, R"((module
      (memory 1)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))");
  Instance inst(store, m, {});
  auto grow = inst.get_export("grow")->func()->typed<int32_t(int32_t)>();
  EXPECT_EQ(grow(1), 1);
  EXPECT_EQ(grow(1), -1);
  try {
    Instance second(store, m, {});
    FAIL() << "instance limit ignored";
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Exhaustion);
  }
}

}  // namespace
}  // namespace ember

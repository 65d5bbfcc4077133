// Public API: what an embedding layer needs from a store beyond calls (ids,
// externref collection, "executing"), the calling instance, error texts
// without their category, the text parser and the cache counters. The
// Python binding is built on exactly these.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ember/ember.hh"

namespace ember {
namespace {

TEST(ApiStore, IdsAreUniqueAndNeverReused) {
  Engine engine;
  uint64_t first;
  {
    Store a(engine);
    first = a.id();
  }
  Store b(engine);
  Store c(engine);
  EXPECT_NE(b.id(), first);
  EXPECT_NE(c.id(), b.id());
  Store moved(std::move(c));
  EXPECT_NE(moved.id(), b.id());
}

TEST(ApiStore, GcReleasesOnlyUnheldExternrefs) {
  Engine engine;
  Store store(engine);
  Module m = Module::from_text(engine, R"((module
      (global (export "g") (mut externref) (ref.null extern))))");
  Instance inst(store, m, {});
  Global g = *inst.get_export("g")->global();
  auto held = std::make_shared<int>(1);
  auto loose = std::make_shared<int>(2);
  g.set(Val::externref(ExternRef::create(store, held, 7)));
  (void)ExternRef::create(store, loose, 8);
  EXPECT_EQ(store.externref_count(), 2u);
  std::vector<std::shared_ptr<void>> released = store.gc();
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].get(), loose.get());
  EXPECT_EQ(store.externref_count(), 1u);
  EXPECT_EQ(g.get().externref()->id(), 7u);
}

TEST(ApiStore, ExecutingWhileAHostFunctionRunsAndGcWorksThere) {
  Engine engine;
  Store store(engine);
  bool seen = false;
  size_t released = 99;
  Func host = Func::wrap(store, [&](Caller&) {
    seen = store.executing();
    released = store.gc().size();
  });
  (void)ExternRef::create(store, std::make_shared<int>(1));
  EXPECT_FALSE(store.executing());
  host.call({});
  EXPECT_TRUE(seen);
  EXPECT_EQ(released, 1u);  // nothing held it: no frame, no Val
  EXPECT_FALSE(store.executing());
  EXPECT_EQ(store.gc().size(), 0u);
}

// A reference a running frame holds (here an operand under the call to the
// host) survives a collection the host runs; one it no longer holds does not.
TEST(ApiStore, GcFromAHostFunctionKeepsWhatRunningFramesHold) {
  Engine engine;
  Store store(engine);
  Module m = Module::from_text(engine, R"((module
    (import "" "make" (func $make (result externref)))
    (import "" "gc" (func $gc))
    (func (export "f") (result externref) (call $make) (call $gc) (call $make) (drop))))");
  std::weak_ptr<int> made;
  std::vector<size_t> released;
  Func make =
      Func::create(store, FuncType{{}, {ValType::ExternRef}}, [&](Caller&, uint64_t* slots) {
        auto p = std::make_shared<int>(int(released.size()));
        made = p;
        Val::externref(ExternRef::create(store, p)).to_slots(slots);
      });
  Func gc = Func::wrap(store, [&](Caller&) { released.push_back(store.gc().size()); });
  std::vector<Extern> imports{make, gc};
  Instance inst(store, m, imports);
  std::vector<Val> r = inst.get_export("f")->func()->call({});
  ASSERT_EQ(released, std::vector<size_t>{0});  // the first made one was under the call
  ASSERT_EQ(r.size(), 1u);
  std::shared_ptr<void> first = r[0].externref()->payload();
  ASSERT_TRUE(first);
  EXPECT_EQ(*static_cast<int*>(first.get()), 0);
  r.clear();
  first.reset();
  EXPECT_EQ(store.gc().size(), 2u);  // both, now that nothing holds them
  EXPECT_TRUE(made.expired());
}

TEST(ApiStore, ExecutingEndsWhenACallTraps) {
  Engine engine;
  Store store(engine);
  Module m = Module::from_text(engine, R"((module (func (export "f") unreachable)))");
  Instance inst(store, m, {});
  EXPECT_THROW(inst.get_export("f")->func()->call({}), Trap);
  EXPECT_FALSE(store.executing());
}

TEST(ApiStore, FuelNeedsTheSettingWithWasmtimesText) {
  Engine engine;
  Store store(engine);
  try {
    store.set_fuel(1);
    FAIL() << "set_fuel without consume_fuel";
  } catch (const WasmError& e) {
    EXPECT_STREQ(e.what(), "fuel is not configured in this store");
  }
}

TEST(ApiCaller, InstanceOutlivesTheCall) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  std::optional<Instance> caller_instance;
  linker.func_wrap(store, "env", "h", [&](Caller& c) { caller_instance = c.instance(); });
  Module m = Module::from_text(engine, R"((module
      (import "env" "h" (func $h))
      (global (export "answer") i32 (i32.const 42))
      (func (export "run") (call $h))))");
  Instance inst = linker.instantiate(store, m);
  inst.get_export("run")->func()->call({});
  ASSERT_TRUE(caller_instance.has_value());
  EXPECT_EQ(caller_instance->raw(), inst.raw());
  EXPECT_EQ(caller_instance->get_export("answer")->global()->get().i32(), 42);

  // Called by the embedder: no calling instance.
  caller_instance.reset();
  bool asked = false;
  Func direct = Func::wrap(store, [&](Caller& c) {
    asked = true;
    caller_instance = c.instance();
  });
  direct.call({});
  EXPECT_TRUE(asked);
  EXPECT_FALSE(caller_instance.has_value());
}

TEST(ApiFunc, SignatureIsTheTypeWithoutACopy) {
  Engine engine;
  Store store(engine);
  Func f = Func::wrap(store, [](int32_t a) { return int64_t(a); });
  const FuncType& sig = f.signature();
  EXPECT_EQ(&sig, &f.signature());
  EXPECT_EQ(sig, f.type());
  EXPECT_EQ(sig.to_string(), "(i32) -> (i64)");
}

TEST(ApiErrors, MessagesAreWasmtimes) {
  Engine engine;
  Store store(engine);
  Func f = Func::wrap(store, [](int32_t) {});
  try {
    f.call({});
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_STREQ(e.what(), "too few parameters provided: given 0, expected 1");
  }
  EXPECT_STREQ(argument_count_error(3, 1).what(),
               "too many parameters provided: given 3, expected 1");

  Memory mem = Memory::create(store, MemoryType{Limits{1, 1}});
  try {
    mem.grow(1);
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_STREQ(e.what(), "failed to grow memory by `1`");
    EXPECT_EQ(e.kind(), ErrorKind::Exhaustion);
  }
  EXPECT_STREQ(grow_error(ExternKind::Table, "18446744073709551621").what(),
               "failed to grow table by `18446744073709551621`");

  Table table =
      Table::create(store, TableType{ValType::FuncRef, Limits{1, 1}}, Val::null(ValType::FuncRef));
  try {
    table.set(1, Val::null(ValType::FuncRef));
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_STREQ(e.what(), "table index out of bounds");
  }
  Global g = Global::create(store, GlobalType{ValType::I32, false}, Val::i32(1));
  try {
    g.set(Val::i32(2));
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_STREQ(e.what(), "immutable global cannot be set");
  }
}

TEST(ApiErrors, MessageIsWithoutCategoryAndPlace) {
  Engine engine;
  try {
    (void)Module::from_text(engine, "(module (func (result i32)))");
    FAIL();
  } catch (const WasmError& e) {
    std::string what = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::Invalid);
    EXPECT_EQ(what.rfind("invalid: ", 0), 0u) << what;
    EXPECT_NE(what.find(e.message()), std::string::npos);
    EXPECT_EQ(e.message().find("invalid: "), std::string::npos) << e.message();
    EXPECT_EQ(e.message().find("(at "), std::string::npos) << e.message();
  }
  WasmError plain(ErrorKind::Internal, "just this");
  EXPECT_EQ(plain.message(), "just this");
}

TEST(ApiModule, Wat2WasmAndModuleEquality) {
  Engine engine;
  std::vector<uint8_t> bin = wat2wasm("(module (func (export \"f\")))");
  ASSERT_GE(bin.size(), 8u);
  EXPECT_EQ(bin[1], 'a');
  Module a = Module::from_binary(engine, bin);
  EXPECT_EQ(a.exports().size(), 1u);
  Module copy = a;
  EXPECT_TRUE(copy == a);
  // The same bytes while `a` lives: `a` itself (decision 62); another
  // engine or other bytes: another module.
  EXPECT_TRUE(Module::from_binary(engine, bin) == a);
  EXPECT_FALSE(Module::from_binary(Engine(), bin) == a);
  EXPECT_FALSE(Module::from_binary(engine, wat2wasm("(module (func (export \"g\")))")) == a);
  EXPECT_TRUE(a.engine() == engine);
  EXPECT_FALSE(Engine() == engine);
  try {
    (void)wat2wasm("(module (func (oops)))");
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Malformed);
    EXPECT_NE(std::string(e.what()).find("(at 1:"), std::string::npos) << e.what();
  }
}

TEST(ApiModule, RunsInAStoreOfAnEngineConfiguredAlike) {
  Config fuel;
  fuel.consume_fuel(true);
  Engine a(fuel), b(fuel), plain;
  Module m = Module::from_text(a, R"((module
      (type $t (func (result i32)))
      (table 1 funcref) (elem (i32.const 0) $k)
      (func $k (type $t) i32.const 42)
      (func (export "f") (result i32) i32.const 0 call_indirect (type $t))))");
  EXPECT_FALSE(m.binary().empty());
  EXPECT_TRUE(m.for_engine(a) == m);
  Module in_b = m.for_engine(b);
  EXPECT_TRUE(in_b.engine() == b);
  EXPECT_TRUE(in_b.binary().empty());    // loaded from the serialized form
  EXPECT_TRUE(m.for_engine(b) == in_b);  // made once per engine
  Store store(b);
  store.set_fuel(100);
  Instance inst(store, m, {});
  // call_indirect compares type ids of the store's engine.
  EXPECT_EQ(inst.get_export("f")->func()->call({})[0].i32(), 42);
  Store other(plain);
  try {
    Instance refused(other, m, {});
    FAIL() << "an engine configured differently accepted the module";
  } catch (const WasmError& e) {
    EXPECT_NE(std::string(e.what()).find("configurations differ"), std::string::npos) << e.what();
  }
}

TEST(ApiModule, DeserializeFileNamesAMissingFile) {
  Engine engine;
  try {
    (void)Module::deserialize_file(engine, "/nonexistent/ember/x.cwasm");
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_STREQ(e.what(),
                 "failed to read serialized module `/nonexistent/ember/x.cwasm`: No such file or "
                 "directory");
  }
}

TEST(ApiModule, CacheStatsCountCompilations) {
  CacheStats before = cache_stats();
  Engine engine;  // no cache: nothing counted
  (void)Module::from_text(engine, "(module)");
  CacheStats after = cache_stats();
  EXPECT_EQ(after.misses, before.misses);
  EXPECT_EQ(after.hits, before.hits);
}

TEST(ApiWasiStore, SetWasiIsRefusedWhileExecuting) {
  Engine engine;
  Store store(engine);
  std::string why;
  Func host = Func::wrap(store, [&](Caller&) {
    try {
      set_wasi(store, WasiConfig{});
    } catch (const WasmError& e) {
      why = e.what();
    }
  });
  host.call({});
  EXPECT_EQ(why, "cannot call set_wasi while the store is executing");
  set_wasi(store, WasiConfig{});  // fine outside a call
}

}  // namespace
}  // namespace ember

// Public API: the Linker's store-independent definitions (func_new, WASI,
// stand-ins for unknown imports), get/get_default, InstancePre, and the
// store check by id that keeps a gone store out of reach.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ember/ember.hh"

namespace ember {
namespace {

constexpr const char* kImportsF = R"((module
    (import "m" "f" (func $f (result i32)))
    (func (export "g") (result i32) (call $f))))";

int32_t call_g(const Instance& inst) {
  return inst.get_export("g")->func()->typed<int32_t()>()();
}

HostCallback returning(int32_t v, int* calls = nullptr) {
  return [v, calls](Caller&, uint64_t* slots) {
    if (calls) ++*calls;
    slots[0] = uint32_t(v);
  };
}

const FuncType kI32Result{{}, {ValType::I32}};

TEST(ApiLinkerDefs, FuncNewIsMadeOncePerStore) {
  Engine engine;
  Linker linker(engine);
  int calls = 0;
  linker.func_new("m", "f", kI32Result, returning(7, &calls));
  Module m = Module::from_text(engine, kImportsF);
  Store a(engine), b(engine);
  Func fa = *linker.get(a, "m", "f")->func();
  EXPECT_EQ(*linker.get(a, "m", "f")->func(), fa);
  Func fb = *linker.get(b, "m", "f")->func();
  EXPECT_FALSE(fa == fb);
  EXPECT_EQ(call_g(linker.instantiate(a, m)), 7);
  EXPECT_EQ(call_g(linker.instantiate(b, m)), 7);
  EXPECT_EQ(calls, 2);
  // Many stores through one linker: each store's Func goes with the store.
  for (int i = 0; i < 100; i++) {
    Store s(engine);
    EXPECT_EQ(call_g(linker.instantiate(s, m)), 7);
  }
}

TEST(ApiLinkerDefs, FuncNewPerStoreMakesOneCallbackForEachStore) {
  Engine engine;
  Linker linker(engine);
  auto made = std::make_shared<int>(0);  // callbacks made; each returns its number
  HostCallbackFactory make = [made] { return returning(++*made); };
  linker.func_new_per_store("m", "f", kI32Result, make);
  Module m = Module::from_text(engine, kImportsF);
  Store a(engine), b(engine);
  EXPECT_EQ(*made, 0);  // nothing until a store needs it
  EXPECT_EQ(call_g(linker.instantiate(a, m)), 1);
  EXPECT_EQ(call_g(linker.instantiate(a, m)), 1);  // made once per store
  EXPECT_EQ(call_g(linker.instantiate(b, m)), 2);
  EXPECT_EQ(*made, 2);

  // What each holder keeps: every store its own callback (found among the
  // store's host functions), the linker its factory.
  auto count_callbacks = [](const Store& s) {
    int n = 0;
    Func::for_each_host_callback(s, [&](const HostCallback& cb) { n += cb != nullptr; });
    return n;
  };
  EXPECT_EQ(count_callbacks(a), 1);
  Func::create(a, kI32Result, returning(9));
  EXPECT_EQ(count_callbacks(a), 2);
  EXPECT_EQ(count_callbacks(Store(engine)), 0);
  int factories = 0;
  linker.for_each_host_factory([&](const HostCallbackFactory&) { ++factories; });
  EXPECT_EQ(factories, 1);
  linker.func_new("m", "plain", kI32Result, returning(3));  // not a factory
  factories = 0;
  linker.for_each_host_factory([&](const HostCallbackFactory&) { ++factories; });
  EXPECT_EQ(factories, 1);
  // A definition an InstancePre also holds is not the linker's alone.
  InstancePre pre = linker.instantiate_pre(m);
  factories = 0;
  linker.for_each_host_factory([&](const HostCallbackFactory&) { ++factories; });
  EXPECT_EQ(factories, 0);
  Store c(engine);
  EXPECT_EQ(call_g(pre.instantiate(c)), 3);
}

TEST(ApiLinkerDefs, DefinedTwiceNamesTheImport) {
  Engine engine;
  Linker linker(engine);
  linker.func_new("m", "f", kI32Result, returning(1));
  try {
    linker.func_new("m", "f", kI32Result, returning(2));
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_STREQ(e.what(), "import of `m::f` defined twice");
  }
  linker.define_wasi();
  try {
    linker.define_wasi();
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_NE(std::string(e.what()).find("wasi_snapshot_preview1::"), std::string::npos);
  }
  linker.allow_shadowing(true);
  linker.func_new("m", "f", kI32Result, returning(3));
  linker.define_wasi();
  Store s(engine);
  EXPECT_EQ(call_g(linker.instantiate(s, Module::from_text(engine, kImportsF))), 3);
}

TEST(ApiLinkerDefs, UnknownImportTextAndInstancePreResolveWhenMade) {
  Engine engine;
  Linker linker(engine);
  linker.allow_shadowing(true);
  Module m = Module::from_text(engine, kImportsF);
  try {
    (void)linker.instantiate_pre(m);
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unlinkable);
    EXPECT_STREQ(e.what(), "unknown import: `m::f` has not been defined");
  }
  linker.func_new("m", "f", kI32Result, returning(1));
  InstancePre pre = linker.instantiate_pre(m);
  linker.func_new("m", "f", kI32Result, returning(2));
  Store s(engine);
  EXPECT_EQ(call_g(pre.instantiate(s)), 1);
  EXPECT_EQ(call_g(linker.instantiate(s, m)), 2);
  EXPECT_TRUE(pre.module() == m);
}

TEST(ApiLinkerDefs, UnknownImportsAsTrapsAndDefaults) {
  Engine engine;
  Module m = Module::from_text(engine, R"((module
      (import "a" "f" (func $f (param i32) (result i32 f64 externref)))
      (import "a" "g" (global $g i64))
      (import "a" "mem" (memory 1))
      (import "a" "t" (table 2 funcref))
      (func (export "run") (result i32) (drop (drop (call $f (i32.const 5)))))
      (func (export "glob") (result i64) (global.get $g))))");
  Store store(engine);
  Linker defaults(engine);
  defaults.define_unknown_imports_as_default_values(store, m);
  Instance inst = defaults.instantiate(store, m);
  EXPECT_EQ(inst.get_export("run")->func()->typed<int32_t()>()(), 0);
  EXPECT_EQ(inst.get_export("glob")->func()->typed<int64_t()>()(), 0);

  Linker traps(engine);
  traps.define_unknown_imports_as_traps(m);
  EXPECT_THROW(traps.instantiate(store, m), WasmError);  // the global is still unknown
  traps.define("a", "g", *defaults.get(store, "a", "g"));
  traps.define("a", "mem", *defaults.get(store, "a", "mem"));
  traps.define("a", "t", *defaults.get(store, "a", "t"));
  Instance trapping = traps.instantiate(store, m);
  try {
    trapping.get_export("run")->func()->call({});
    FAIL();
  } catch (const Trap& t) {
    EXPECT_EQ(t.code(), TrapCode::HostError);
    EXPECT_EQ(t.report(), "unknown import `a::f` was called");
  }
}

TEST(ApiLinkerDefs, GetDefault) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  Func noop = linker.get_default(store, "nothing");
  EXPECT_TRUE(noop.call({}).empty());
  linker.func_new("cmd", "_start", kI32Result, returning(9));
  EXPECT_EQ(linker.get_default(store, "cmd").typed<int32_t()>()(), 9);
  linker.func_new("both", "", kI32Result, returning(1));
  linker.func_new("both", "_start", kI32Result, returning(2));
  EXPECT_EQ(linker.get_default(store, "both").typed<int32_t()>()(), 1);
}

TEST(ApiLinkerDefs, ExternOfAnotherStoreIsRefusedById) {
  Engine engine;
  Linker linker(engine);
  {
    Store gone(engine);
    linker.define("m", "f", Func::wrap(gone, []() -> int32_t { return 1; }));
  }
  // A new store may well reuse the gone one's memory: the id tells them apart.
  Store s(engine);
  Module m = Module::from_text(engine, kImportsF);
  try {
    (void)linker.instantiate(s, m);
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_STREQ(e.what(), "import comes from another store");
  }
  EXPECT_THROW((void)linker.get(s, "m", "f"), WasmError);
  EXPECT_FALSE(linker.get(s, "m", "missing").has_value());
}

TEST(ApiLinkerDefs, HostFunctionsFindTheEmbeddersStoreData) {
  Engine engine;
  Linker linker(engine);
  std::string seen;
  linker.func_new("m", "f", kI32Result, [&](Caller& c, uint64_t* slots) {
    seen = *static_cast<std::string*>(c.data());
    slots[0] = 0;
  });
  std::string mine = "store one";
  Store s(engine);
  EXPECT_EQ(s.data(), nullptr);
  s.set_data(&mine);
  (void)call_g(linker.instantiate(s, Module::from_text(engine, kImportsF)));
  EXPECT_EQ(seen, "store one");
}

}  // namespace
}  // namespace ember

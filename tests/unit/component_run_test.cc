// Components through the C++ API (include/ember/component.hh): values of
// each kind through the canonical ABI, the parameter area, a guest's bad
// value as a Trap that leaves the instance unenterable, a host value of the
// wrong shape as an error that does not, and components linked inside one.
// The components are tests/component/run/*.wasm.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <cctype>
#include <iterator>

#include "ember/component.hh"
#include "ember/errors.hh"
#include "ember/wasi.hh"

namespace {

namespace cm = ember::component;
namespace fs = std::filesystem;

std::vector<uint8_t> read(const char* name) {
  std::ifstream in(fs::path(EMBER_COMPONENT_TEST_DIR) / "run" / name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Fixture {
  ember::Engine engine;
  ember::Store store{engine};
  cm::Component component;
  cm::Instance instance;
  explicit Fixture(const char* file)
      : component(cm::Component::from_binary(engine, read(file))),
        instance(cm::Instance::instantiate(store, component)) {}
  cm::Func func(const char* name, std::vector<std::string> path = {}) {
    auto f = instance.get_func(path, name);
    EXPECT_TRUE(f.has_value()) << name;
    return *f;
  }
  cm::Value call(const char* name, std::vector<cm::Value> args) {
    auto r = func(name).call(store, args);
    EXPECT_TRUE(r.has_value()) << name;
    return r ? *r : cm::Value{};
  }
};

TEST(ComponentRun, ScalarsWrapToTheirWidth) {
  Fixture f("values.wasm");
  EXPECT_EQ(f.call("echo-u8", {cm::Value::of(300)}).num, 44u);
  EXPECT_EQ(f.call("echo-s8", {cm::Value::of(uint64_t(-5))}).num, uint64_t(-5));
  EXPECT_EQ(f.call("echo-s16", {cm::Value::of(0x18000)}).num, uint64_t(int64_t(-32768)));
  EXPECT_EQ(f.call("echo-bool", {cm::Value::of(7)}).num, 1u);
  EXPECT_EQ(f.call("echo-u64", {cm::Value::of(UINT64_MAX)}).num, UINT64_MAX);
}

TEST(ComponentRun, StringsListsAndVariants) {
  Fixture f("values.wasm");
  for (const char* fn : {"echo-string", "echo-string16", "echo-string-latin1"})
    EXPECT_EQ(f.call(fn, {cm::Value::of_string("h\xc3\xa9llo \xf0\x9f\x8c\x8d")}).bytes,
              "h\xc3\xa9llo \xf0\x9f\x8c\x8d")
        << fn;
  EXPECT_EQ(f.call("echo-bytes", {cm::Value::of_string(std::string("\0\1\2", 3))}).bytes,
            std::string("\0\1\2", 3));
  cm::Value list =
      cm::Value::of_items({cm::Value::of_items({}, 0), cm::Value::of_items({cm::Value::of(5)}, 1),
                           cm::Value::of_items({cm::Value::of(uint64_t(1) << 40)}, 2)});
  EXPECT_EQ(f.call("echo-variants", {list}), list);
  cm::Value rec = cm::Value::of_items(
      {cm::Value::of(7), cm::Value::of_string("x"), cm::Value::of(0x4004000000000000)});
  EXPECT_EQ(f.call("echo-records", {cm::Value::of_items({rec, rec})}).items[1], rec);
  std::vector<cm::Value> args;
  for (uint64_t i = 0; i < 17; i++) args.push_back(cm::Value::of(i));
  EXPECT_EQ(f.call("sum17", args).num, 136u);
}

TEST(ComponentRun, TypesReflect) {
  Fixture f("values.wasm");
  cm::FuncType t = f.func("echo-records").type();
  ASSERT_EQ(t.params.size(), 1u);
  EXPECT_EQ(t.params[0].first, "v");
  ASSERT_TRUE(t.result.has_value());
  EXPECT_EQ(t.result->kind(), cm::TypeKind::List);
  cm::Type rec = *t.result->child(0);
  EXPECT_EQ(rec.kind(), cm::TypeKind::Record);
  EXPECT_EQ(rec.names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rec.child(1)->kind(), cm::TypeKind::String);
  EXPECT_TRUE(t.params[0].second == *t.result);
}

TEST(ComponentRun, AGuestErrorTrapsAndPoisonsTheInstance) {
  Fixture f("values.wasm");
  EXPECT_THROW(f.func("bad-disc").call(f.store, {}), ember::Trap);
  try {
    f.func("posts").call(f.store, {});
    ADD_FAILURE() << "entered a trapped instance";
  } catch (const ember::Trap& t) {
    EXPECT_NE(std::string(t.what()).find("cannot enter component instance"), std::string::npos);
  }
}

TEST(ComponentRun, AHostValueOfTheWrongShapeIsAnErrorOnly) {
  Fixture f("values.wasm");
  cm::Value bad_case = cm::Value::of_items({cm::Value::of_items({}, 9)});
  try {
    f.func("echo-variants").call(f.store, std::vector<cm::Value>{bad_case});
    ADD_FAILURE() << "accepted case 9";
  } catch (const ember::Trap&) {
    ADD_FAILURE() << "a host error reported as a trap";
  } catch (const ember::WasmError& e) {
    EXPECT_EQ(e.kind(), ember::ErrorKind::Internal);
  }
  EXPECT_THROW(f.func("echo-u32").call(f.store, {}), ember::WasmError);
  EXPECT_EQ(f.call("echo-u32", {cm::Value::of(3)}).num, 3u);  // still enterable
}

TEST(ComponentRun, LinkedComponents) {
  Fixture f("linked.wasm");
  EXPECT_EQ(f.call("twice", {cm::Value::of_string("abc")}).bytes, "abc");
  auto one = f.func("next", {"one"}), two = f.func("next", {"two"});
  EXPECT_EQ(one.call(f.store, {})->num, 1u);
  EXPECT_EQ(one.call(f.store, {})->num, 2u);
  EXPECT_EQ(two.call(f.store, {})->num, 1u);
  EXPECT_FALSE(f.instance.get_func(std::vector<std::string>{"one"}, "nope"));
  EXPECT_EQ(f.component.export_sort(std::vector<std::string>{"one"}, "next"), "func");
}

// The imports of tests/component/run/imports.wasm, defined in C++.
cm::Linker imports_linker(const ember::Engine& engine, std::vector<std::string>& log) {
  cm::Linker l(engine);
  std::vector<std::string> root, host = {"host"}, nested = {"host", "nested"};
  l.define_func(root, "add",
                [](cm::StoreContext, const cm::FuncType&, std::span<const cm::Value> a) {
                  return cm::Value::of(uint32_t(a[0].num + a[1].num));
                });
  l.define_instance(root, "host");
  l.define_func(host, "upper",
                [](cm::StoreContext, const cm::FuncType&, std::span<const cm::Value> a) {
                  std::string s = a[0].bytes;
                  for (char& c : s) c = char(std::toupper(uint8_t(c)));
                  return cm::Value::of_string(s);
                });
  l.define_func(host, "sum",
                [](cm::StoreContext, const cm::FuncType&, std::span<const cm::Value> a) {
                  uint64_t t = 0;
                  for (const cm::Value& x : a[0].items) t += x.num;
                  return cm::Value::of(t);
                });
  l.define_func(host, "log",
                [&log](cm::StoreContext, const cm::FuncType&, std::span<const cm::Value> a) {
                  log.push_back(a[0].bytes);
                  return std::optional<cm::Value>();
                });
  l.define_instance(host, "nested");
  l.define_func(nested, "seven",
                [](cm::StoreContext, const cm::FuncType&, std::span<const cm::Value>) {
                  return cm::Value::of(7);
                });
  l.define_module(root, "helper",
                  ember::Module::from_text(engine,
                                           "(module (func (export \"triple\") (param i32) "
                                           "(result i32) (i32.mul (local.get 0) (i32.const 3))))"));
  return l;
}

TEST(ComponentRun, HostFunctionsAsImports) {
  ember::Engine engine;
  ember::Store store(engine);
  std::vector<std::string> log;
  cm::Linker linker = imports_linker(engine, log);
  cm::Component c = cm::Component::from_binary(engine, read("imports.wasm"));
  cm::Instance inst = cm::Instance::instantiate(store, c, linker);
  std::vector<std::string> top;
  auto call = [&](const char* name, std::vector<cm::Value> args) {
    return *inst.get_func(top, name)->call(store, args);
  };
  EXPECT_EQ(call("add3", {cm::Value::of(1), cm::Value::of(2), cm::Value::of(3)}).num, 6u);
  EXPECT_EQ(call("shout", {cm::Value::of_string("abc")}).bytes, "ABC");
  EXPECT_EQ(log, std::vector<std::string>{"ABC"});
  cm::Value xs = cm::Value::of_items({cm::Value::of(UINT32_MAX), cm::Value::of(2)});
  EXPECT_EQ(call("total", {xs}).num, uint64_t(UINT32_MAX) + 2);
  EXPECT_EQ(call("twenty-one", {}).num, 21u);
  EXPECT_THROW(linker.define_func(top, "add", {}), ember::WasmError);  // defined twice
  EXPECT_THROW(linker.define_instance(std::vector<std::string>{"nope"}, "x"), ember::WasmError);
}

TEST(ComponentRun, DefineFuncPerStoreMakesAFunctionForEachStore) {
  ember::Engine engine;
  std::vector<std::string> log;
  cm::Linker linker = imports_linker(engine, log);
  linker.allow_shadowing(true);
  std::vector<const void*> made_for;  // the store each function was made in
  std::vector<std::string> top;
  linker.define_func_per_store(top, "add", [&](cm::StoreContext cx) -> cm::HostFunc {
    made_for.push_back(cx.raw());
    uint32_t bias = uint32_t(made_for.size()) * 100;
    return [bias](cm::StoreContext, const cm::FuncType&, std::span<const cm::Value> a) {
      return cm::Value::of(uint32_t(a[0].num + a[1].num + bias));
    };
  });
  cm::Component c = cm::Component::from_binary(engine, read("imports.wasm"));
  ember::Store one(engine), two(engine);
  cm::Instance a = cm::Instance::instantiate(one, c, linker);
  cm::Instance b = cm::Instance::instantiate(two, c, linker);
  ASSERT_EQ(made_for, (std::vector<const void*>{one.raw(), two.raw()}));
  std::vector<cm::Value> args = {cm::Value::of(1), cm::Value::of(2), cm::Value::of(3)};
  // (add3 calls `add` twice.)
  EXPECT_EQ(a.get_func(top, "add3")->call(one, args)->num, 206u);  // the first store's function
  EXPECT_EQ(b.get_func(top, "add3")->call(two, args)->num, 406u);
  size_t factories = 0;
  linker.for_each_host_factory([&](const cm::HostFuncFactory&) { ++factories; });
  EXPECT_EQ(factories, 1u);
  // A copy of the linker shares its definitions: neither holds them alone.
  cm::Linker copy = linker;
  factories = 0;
  linker.for_each_host_factory([&](const cm::HostFuncFactory&) { ++factories; });
  copy.for_each_host_factory([&](const cm::HostFuncFactory&) { ++factories; });
  EXPECT_EQ(factories, 0u);
}

TEST(ComponentRun, AMissingImportIsUnlinkable) {
  ember::Engine engine;
  ember::Store store(engine);
  cm::Component c = cm::Component::from_binary(engine, read("imports.wasm"));
  try {
    cm::Instance::instantiate(store, c);
    ADD_FAILURE() << "instantiated without imports";
  } catch (const ember::WasmError& e) {
    EXPECT_EQ(e.kind(), ember::ErrorKind::Unlinkable);
    EXPECT_NE(std::string(e.what()).find("function `add`"), std::string::npos) << e.what();
  }
}

TEST(ComponentRun, Resources) {
  ember::Engine engine;
  ember::Store store(engine);
  std::vector<uint32_t> dtors;
  cm::Linker l(engine);
  std::vector<std::string> root;
  l.define_resource(root, "thing", cm::ResourceType::host(7),
                    [&dtors](cm::StoreContext, uint32_t rep) { dtors.push_back(rep); });
  l.define_func(
      root, "make-thing", [](cm::StoreContext, const cm::FuncType&, std::span<const cm::Value> a) {
        return cm::Value::of_resource(cm::Resource::host(uint32_t(a[0].num * 10), 7, true));
      });
  l.define_func(root, "[method]thing.value",
                [](cm::StoreContext, const cm::FuncType&, std::span<const cm::Value> a) {
                  return cm::Value::of(cm::Resource(a[0].resource).rep() + 1);
                });
  cm::Component c = cm::Component::from_binary(engine, read("resources.wasm"));
  cm::Instance inst = cm::Instance::instantiate(store, c, l);
  auto call = [&](const char* name, std::vector<cm::Value> args) {
    return inst.get_func(root, name)->call(store, args);
  };
  cm::Value counter = *call("[constructor]counter", {cm::Value::of(5)});
  ASSERT_TRUE(counter.resource);
  EXPECT_TRUE(cm::Resource(counter.resource).owned());
  EXPECT_EQ(call("[method]counter.inc", {counter})->num, 6u);
  EXPECT_EQ(call("[static]counter.finish", {counter})->num, 6u);
  EXPECT_TRUE(cm::Resource(counter.resource).consumed());
  EXPECT_EQ(call("dropped", {})->num, 1u);
  EXPECT_THROW(call("[method]counter.inc", {counter}), ember::WasmError);
  cm::Value thing = cm::Value::of_resource(cm::Resource::host(42, 7, true));
  EXPECT_EQ(call("peek", {thing})->num, 43u);
  call("take", {thing});
  EXPECT_EQ(dtors, std::vector<uint32_t>{42});
  cm::Value made = *call("fresh", {cm::Value::of(3)});
  EXPECT_EQ(cm::Resource(made.resource).rep(), 30u);
  EXPECT_TRUE(cm::Resource(made.resource).type() == cm::ResourceType::host(7));
  EXPECT_THROW(call("keep", {thing}), ember::Trap);  // a borrow kept past the call
}

TEST(ComponentRun, RefusalsAreErrors) {
  ember::Engine engine;
  std::vector<uint8_t> core = {0, 'a', 's', 'm', 1, 0, 0, 0};
  EXPECT_THROW(cm::Component::from_binary(engine, core), ember::WasmError);
  std::vector<uint8_t> bytes = read("values.wasm");
  ASSERT_GT(bytes.size(), 5u);
  bytes.erase(bytes.end() - 5, bytes.end());  // cut short
  EXPECT_THROW(cm::Component::from_binary(engine, bytes), ember::WasmError);
}

}  // namespace

// WASI 0.2: run/command.wasm writes to stdout through wasi:cli/stdout and
// wasi:io/streams; the store's WasiConfig (here a custom stdout) serves it.
TEST(ComponentWasi, ACommandWritesToTheStoresStdout) {
  ember::Engine engine;
  ember::Store store(engine);
  std::string out;
  ember::WasiConfig wasi;
  wasi.stdout_custom = [&out](const uint8_t* p, size_t n) { out.append(p, p + n); };
  ember::set_wasi(store, wasi);
  cm::Component c = cm::Component::from_binary(engine, read("command.wasm"));
  cm::Linker linker(engine);
  linker.add_wasip2();  // 0.2.9 definitions serve the component's 0.2.0 imports
  cm::Instance inst = cm::Instance::instantiate(store, c, linker);
  std::vector<std::string> path{"wasi:cli/run@0.2.0"};
  std::optional<cm::Value> r = inst.get_func(path, "run")->call(store, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->num, 0u);  // ok
  EXPECT_EQ(out, "hello from a command component\n");
  EXPECT_EQ(inst.get_func(path, "run")->call(store, {})->num, 0u);  // runs again
  EXPECT_EQ(out, "hello from a command component\nhello from a command component\n");
}

TEST(ComponentWasi, AStoreWithoutAContextFailsClearly) {
  ember::Engine engine;
  ember::Store store(engine);
  cm::Component c = cm::Component::from_binary(engine, read("command.wasm"));
  cm::Linker linker(engine);
  linker.add_wasip2();
  cm::Instance inst = cm::Instance::instantiate(store, c, linker);
  std::vector<std::string> path{"wasi:cli/run@0.2.0"};
  try {
    inst.get_func(path, "run")->call(store, {});
    FAIL() << "expected an error";
  } catch (const ember::WasmError& e) {
    EXPECT_NE(std::string(e.what()).find("wasi context must be populated"), std::string::npos)
        << e.what();
  }
}

// A guest that takes handles and never drops them cannot grow the host's
// WASI tables without bound: past 2^20 live resources, a trap.
TEST(ComponentWasi, LiveResourcesAreBounded) {
  ember::Engine engine;
  ember::Store store(engine);
  ember::set_wasi(store, ember::WasiConfig{});
  cm::Component c = cm::Component::from_text(engine, R"(
    (component
      (import "wasi:io/streams@0.2.0" (instance $streams
        (export "output-stream" (type (sub resource)))))
      (alias export $streams "output-stream" (type $output-stream))
      (import "wasi:cli/stdout@0.2.0" (instance $stdout
        (export "output-stream" (type $os (eq $output-stream)))
        (export "get-stdout" (func (result (own $os))))))
      (core func $get (canon lower (func $stdout "get-stdout")))
      (core module $M
        (import "h" "get" (func $get (result i32)))
        (func (export "hoard") (param $n i32) (result i32)
          (loop $l
            (drop (call $get))
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
          (local.get $n)))
      (core instance $m (instantiate $M (with "h" (instance (export "get" (func $get))))))
      (func (export "hoard") (param "n" u32) (result u32) (canon lift (core func $m "hoard"))))
  )");
  cm::Linker linker(engine);
  linker.add_wasip2();
  cm::Instance inst = cm::Instance::instantiate(store, c, linker);
  std::optional<cm::Func> hoard = inst.get_func({}, "hoard");
  ASSERT_TRUE(hoard.has_value());
  std::vector<cm::Value> few{cm::Value::of(1000)}, many{cm::Value::of(uint64_t{1} << 21)};
  EXPECT_EQ(hoard->call(store, few)->num, 0u);  // well below the bound
  try {
    hoard->call(store, many);
    FAIL() << "expected a trap";
  } catch (const ember::Trap& t) {
    EXPECT_NE(std::string(t.what()).find("too many WASI resources"), std::string::npos) << t.what();
  }
}

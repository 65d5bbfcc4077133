// Public API: Linker definitions (shadowing, whole instances), exports,
// custom sections and externref round trips through wasm.
#include <gtest/gtest.h>

#include "ember/ember.hh"

namespace ember {
namespace {

TEST(ApiLinker, RedefinitionNeedsShadowing) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  linker.func_wrap(store, "env", "f", []() -> int32_t { return 1; });
  EXPECT_THROW(linker.func_wrap(store, "env", "f", []() -> int32_t { return 2; }), WasmError);
  linker.allow_shadowing(true);
  linker.func_wrap(store, "env", "f", []() -> int32_t { return 3; });
  Module m = Module::from_text(engine, R"((module
      (import "env" "f" (func $f (result i32)))
      (func (export "g") (result i32) (call $f))))");
  Instance inst = linker.instantiate(store, m);
  EXPECT_EQ(inst.get_export("g")->func()->typed<int32_t()>()(), 3);
}

TEST(ApiLinker, DefineInstanceLinksModulesTogether) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  Module provider = Module::from_text(engine, R"((module
      (memory (export "mem") 1)
      (global $c (export "counter") (mut i32) (i32.const 0))
      (func (export "bump") (global.set $c (i32.add (global.get $c) (i32.const 1))))))");
  Instance a = linker.instantiate(store, provider);
  linker.define_instance("a", a);
  Module user = Module::from_text(engine, R"((module
      (import "a" "bump" (func $bump))
      (import "a" "mem" (memory 1))
      (func (export "run") (call $bump) (call $bump) (i32.store8 (i32.const 3) (i32.const 9)))))");
  Instance b = linker.instantiate(store, user);
  b.get_export("run")->func()->call({});
  EXPECT_EQ(a.get_export("counter")->global()->get().i32(), 2);
  EXPECT_EQ(a.get_export("mem")->memory()->data()[3], 9);
  std::vector<std::pair<std::string, Extern>> exports = a.exports();
  ASSERT_EQ(exports.size(), 3u);
  EXPECT_EQ(exports[0].first, "mem");
  EXPECT_EQ(exports[0].second.kind(), ExternKind::Memory);
  EXPECT_FALSE(a.get_export("nope").has_value());
}

TEST(ApiLinker, ExternrefsRoundTripThroughWasm) {
  Engine engine;
  Store store(engine);
  Module m = Module::from_text(engine, R"((module
      (table $t (export "t") 2 externref)
      (func (export "put") (param externref) (table.set $t (i32.const 1) (local.get 0)))
      (func (export "get") (result externref) (table.get $t (i32.const 1)))))");
  Instance inst(store, m, {});
  ExternRef r = ExternRef::create(store, std::make_shared<std::string>("payload"), 77);
  inst.get_export("put")->func()->call(std::vector<Val>{Val::externref(r)});
  std::vector<Val> out = inst.get_export("get")->func()->call({});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].externref().has_value());
  EXPECT_EQ(*out[0].externref(), r);
  EXPECT_EQ(*std::static_pointer_cast<std::string>(out[0].externref()->payload()), "payload");
  EXPECT_TRUE(inst.get_export("t")->table()->get(0).is_null());
}

TEST(ApiModule, CustomSectionsAndName) {
  Engine engine;
  // A module named $demo with one custom section "hello" holding "abc".
  const uint8_t bin[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x09,
                         0x05, 'h',  'e',  'l',  'l',  'o',  'a',  'b',  'c'};
  Module m = Module::from_binary(engine, bin);
  auto sections = m.custom_sections("hello");
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(std::string(sections[0].begin(), sections[0].end()), "abc");
  EXPECT_TRUE(m.custom_sections("other").empty());
  EXPECT_EQ(Module::from_text(engine, "(module $demo)").name(), "demo");
}

TEST(ApiModule, ModulesAreSharedAcrossStores) {
  Engine engine;
  Module m = Module::from_text(engine, R"((module
      (global $g (mut i32) (i32.const 0))
      (func (export "inc") (result i32)
        (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))))");
  Store s1(engine), s2(engine);
  Instance i1(s1, m, {}), i2(s2, m, {});
  auto inc1 = i1.get_export("inc")->func()->typed<int32_t()>();
  auto inc2 = i2.get_export("inc")->func()->typed<int32_t()>();
  EXPECT_EQ(inc1(), 1);
  EXPECT_EQ(inc1(), 2);
  EXPECT_EQ(inc2(), 1);
  // Another engine takes it only when configured alike (Module::for_engine).
  Config fuel;
  fuel.consume_fuel(true);
  Engine other(fuel);
  Store s3(other);
  EXPECT_THROW(Instance(s3, m, {}), WasmError);
}

}  // namespace
}  // namespace ember

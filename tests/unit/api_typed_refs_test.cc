// Public API: typed function references. A value of type `(ref $t)` can
// only be a function whose canonical type is $t or a declared subtype of it
// (call_ref calls without a signature check), so Val::matches guards every
// way in: call arguments, tables, globals. And the engine's type registry
// gives iso-recursively equal types one id across modules.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "ember/ember.hh"

namespace ember {
namespace {

constexpr const char* kTyped = R"((module
    (type $ii (func (param i32) (result i32)))
    (func $inc (export "inc") (type $ii) (i32.add (local.get 0) (i32.const 1)))
    (func (export "nop"))
    (func (export "apply") (param (ref $ii)) (param i32) (result i32)
      (call_ref $ii (local.get 1) (local.get 0)))
    (table (export "t") 1 (ref null $ii))
    (global (export "g") (mut (ref null $ii)) (ref.null $ii))))";

std::vector<Val> call(const Func& f, std::vector<Val> args) {
  return f.call(args);
}

Func func(const Instance& inst, std::string_view name) {
  std::optional<Extern> e = inst.get_export(name);
  EXPECT_TRUE(e && e->func()) << name;
  return *e->func();
}

TEST(TypedRefs, ArgumentsTablesAndGlobalsTakeOnlyMatchingFunctions) {
  Engine engine;
  Store store(engine);
  Instance inst(store, Module::from_text(engine, kTyped), {});
  Func apply = func(inst, "apply"), inc = func(inst, "inc"), nop = func(inst, "nop");
  const ValType param = apply.type().params[0];
  ASSERT_TRUE(param.has_index());
  EXPECT_FALSE(param.nullable());
  EXPECT_EQ(param.kind(), ValKind::FuncRef);

  EXPECT_TRUE(Val::funcref(inc).matches(param));
  EXPECT_FALSE(Val::funcref(nop).matches(param));
  EXPECT_FALSE(Val::funcref(std::nullopt).matches(param));  // null, non-nullable
  EXPECT_TRUE(Val::funcref(std::nullopt).matches(param.as_nullable()));
  EXPECT_FALSE(Val::i32(0).matches(param));

  std::vector<Val> r = call(apply, {Val::funcref(inc), Val::i32(41)});
  EXPECT_EQ(r.at(0).i32(), 42);
  EXPECT_THROW(call(apply, {Val::funcref(nop), Val::i32(1)}), WasmError);
  EXPECT_THROW(call(apply, {Val::funcref(std::nullopt), Val::i32(1)}), WasmError);

  Table t = *inst.get_export("t")->table();
  EXPECT_THROW(t.set(0, Val::funcref(nop)), WasmError);
  t.set(0, Val::funcref(inc));
  Global g = *inst.get_export("g")->global();
  EXPECT_THROW(g.set(Val::funcref(nop)), WasmError);
  g.set(Val::funcref(inc));
  EXPECT_EQ(call(apply, {g.get(), Val::i32(1)}).at(0).i32(), 2);
}

TEST(TypedRefs, EquivalentTypesOfTwoModulesShareOneCanonicalType) {
  Engine engine;
  Store store(engine);
  Instance a(store, Module::from_text(engine, kTyped), {});
  Instance b(store, Module::from_text(engine, R"((module
      (type $other (func (param i32) (result i32)))
      (func (export "neg") (type $other) (i32.sub (i32.const 0) (local.get 0)))))"),
             {});
  Func apply = func(a, "apply"), neg = func(b, "neg");
  EXPECT_EQ(neg.type(), func(a, "inc").type());
  EXPECT_EQ(call(apply, {Val::funcref(neg), Val::i32(5)}).at(0).i32(), -5);
}

}  // namespace
}  // namespace ember

// Public API: exception tags as entities (Tag, TagType): creation, identity,
// import and export between instances and through the Linker, the import
// check, module reflection, serialization and the exceptions switch.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "ember/ember.hh"

namespace ember {
namespace {

const TagType kI32Tag{FuncType{{ValType::I32}, {}}};
const TagType kI64F32Tag{FuncType{{ValType::I64, ValType::F32}, {}}};

// Defines a tag and exports it.
constexpr const char* kDefines = R"((module
    (tag $t (param i32))
    (export "t" (tag $t))))";

// Imports a tag, exports it again and defines one of its own.
constexpr const char* kImports = R"((module
    (import "m" "t" (tag $t (param i32)))
    (tag $own (param i64 f32))
    (export "again" (tag $t))
    (export "own" (tag $own))))";

Tag export_tag(const Instance& inst, std::string_view name) {
  std::optional<Extern> e = inst.get_export(name);
  EXPECT_TRUE(e.has_value()) << name;
  EXPECT_EQ(e->kind(), ExternKind::Tag);
  return *e->tag();
}

std::string unlinkable_message(Store& store, const Module& m, const std::vector<Extern>& imports) {
  try {
    Instance inst(store, m, imports);
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unlinkable) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "instantiation succeeded";
  return "";
}

TEST(ApiTag, CreateGivesATagOfTheType) {
  Engine engine;
  Store store(engine);
  Tag t = Tag::create(store, kI64F32Tag);
  EXPECT_EQ(t.type(), kI64F32Tag);
  Extern e(t);
  EXPECT_EQ(e.kind(), ExternKind::Tag);
  ASSERT_TRUE(e.tag().has_value());
  EXPECT_EQ(*e.tag(), t);
  EXPECT_FALSE(e.func().has_value());
  EXPECT_FALSE(e.global().has_value());
  EXPECT_TRUE(Extern(Tag::create(store, TagType{})).tag()->type().functype.params.empty());
}

TEST(ApiTag, ATypeWithResultsIsRefused) {
  Engine engine;
  Store store(engine);
  try {
    Tag::create(store, TagType{FuncType{{ValType::I32}, {ValType::I32}}});
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
    EXPECT_NE(std::string(e.what()).find("cannot have results"), std::string::npos) << e.what();
  }
}

TEST(ApiTag, TagsOfEqualTypesAreDifferentTags) {
  Engine engine;
  Store store(engine);
  Tag a = Tag::create(store, kI32Tag);
  Tag b = Tag::create(store, kI32Tag);
  EXPECT_EQ(a.type(), b.type());
  EXPECT_FALSE(a == b);
  Tag copy = a;
  EXPECT_EQ(copy, a);
  // Each instantiation defines its own tags.
  Module m = Module::from_text(engine, kDefines);
  EXPECT_FALSE(export_tag(Instance(store, m, {}), "t") == export_tag(Instance(store, m, {}), "t"));
}

TEST(ApiTag, ModuleReflectionShowsTagTypes) {
  Engine engine;
  Module m = Module::from_text(engine, kImports);
  std::vector<ImportType> imports = m.imports();
  ASSERT_EQ(imports.size(), 1u);
  EXPECT_EQ(imports[0].module, "m");
  EXPECT_EQ(imports[0].name, "t");
  EXPECT_EQ(imports[0].type.kind, ExternKind::Tag);
  EXPECT_EQ(imports[0].type.tag, kI32Tag);
  std::vector<ExportType> exports = m.exports();
  ASSERT_EQ(exports.size(), 2u);
  EXPECT_EQ(exports[0].name, "again");
  EXPECT_EQ(exports[0].type.kind, ExternKind::Tag);
  EXPECT_EQ(exports[0].type.tag, kI32Tag);
  EXPECT_EQ(exports[1].type.tag, kI64F32Tag);
}

TEST(ApiTag, ExportOfOneInstanceIsImportOfAnother) {
  Engine engine;
  Store store(engine);
  Instance a(store, Module::from_text(engine, kDefines), {});
  Tag t = export_tag(a, "t");
  EXPECT_EQ(t.type(), kI32Tag);
  Instance b(store, Module::from_text(engine, kImports), std::vector<Extern>{Extern(t)});
  EXPECT_EQ(export_tag(b, "again"), t);
  EXPECT_EQ(export_tag(b, "own").type(), kI64F32Tag);
  std::vector<std::pair<std::string, Extern>> all = b.exports();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(*all[0].second.tag(), t);

  // A host tag imports just as well.
  Tag host = Tag::create(store, kI32Tag);
  Instance c(store, Module::from_text(engine, kImports), std::vector<Extern>{Extern(host)});
  EXPECT_EQ(export_tag(c, "again"), host);
}

TEST(ApiTag, AMismatchedTagIsUnlinkable) {
  Engine engine;
  Store store(engine);
  Module m = Module::from_text(engine, kImports);
  std::string msg = unlinkable_message(store, m, {Extern(Tag::create(store, kI64F32Tag))});
  EXPECT_NE(msg.find("incompatible import type for `m::t`"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tag types do not match"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(i32)"), std::string::npos) << msg;

  Func f = Func::create(store, FuncType{{ValType::I32}, {}}, [](Caller&, uint64_t*) {});
  msg = unlinkable_message(store, m, {Extern(f)});
  EXPECT_NE(msg.find("expected tag"), std::string::npos) << msg;

  Module wants_func = Module::from_text(engine, R"((module (import "m" "f" (func))))");
  msg = unlinkable_message(store, wants_func, {Extern(Tag::create(store, kI32Tag))});
  EXPECT_NE(msg.find("incompatible import type for `m::f`"), std::string::npos) << msg;
}

TEST(ApiTag, ATagOfAnotherStoreIsRefused) {
  Engine engine;
  Store store(engine), other(engine);
  Module m = Module::from_text(engine, kImports);
  EXPECT_THROW(Instance(store, m, std::vector<Extern>{Extern(Tag::create(other, kI32Tag))}),
               WasmError);
}

TEST(ApiTag, TheLinkerDefinesAndResolvesTags) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  Tag t = Tag::create(store, kI32Tag);
  linker.define("m", "t", t);
  std::optional<Extern> got = linker.get(store, "m", "t");
  ASSERT_TRUE(got && got->tag());
  EXPECT_EQ(*got->tag(), t);
  Instance inst = linker.instantiate(store, Module::from_text(engine, kImports));
  EXPECT_EQ(export_tag(inst, "again"), t);

  // define_instance takes the tags along with the other exports.
  Linker by_instance(engine);
  by_instance.define_instance("m", Instance(store, Module::from_text(engine, kDefines), {}));
  Instance via = by_instance.instantiate(store, Module::from_text(engine, kImports));
  EXPECT_EQ(export_tag(via, "again"), *by_instance.get(store, "m", "t")->tag());

  // A mismatch through the linker is unlinkable too.
  Linker wrong(engine);
  wrong.define("m", "t", Tag::create(store, kI64F32Tag));
  try {
    wrong.instantiate(store, Module::from_text(engine, kImports));
    FAIL();
  } catch (const WasmError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unlinkable);
    EXPECT_NE(std::string(e.what()).find("`m::t`"), std::string::npos) << e.what();
  }
}

TEST(ApiTag, DefaultValuesForAnUnknownTagImportIsANewTag) {
  Engine engine;
  Store store(engine);
  Linker linker(engine);
  Module m = Module::from_text(engine, kImports);
  linker.define_unknown_imports_as_default_values(store, m);
  Instance a = linker.instantiate(store, m);
  Tag t = export_tag(a, "again");
  EXPECT_EQ(t.type(), kI32Tag);
  EXPECT_EQ(export_tag(linker.instantiate(store, m), "again"), t);
}

TEST(ApiTag, ACallerFindsTheInstancesTags) {
  Engine engine;
  Store store(engine);
  Module m = Module::from_text(engine, R"((module
      (import "h" "f" (func $f))
      (tag $t (param f64))
      (export "t" (tag $t))
      (func (export "run") (call $f))))");
  std::optional<Tag> seen;
  Func host = Func::create(store, FuncType{}, [&](Caller& caller, uint64_t*) {
    std::optional<Extern> e = caller.get_export("t");
    if (e) seen = e->tag();
  });
  Instance inst(store, m, std::vector<Extern>{Extern(host)});
  inst.get_export("run")->func()->call({});
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(*seen, export_tag(inst, "t"));
  EXPECT_EQ(seen->type(), (TagType{FuncType{{ValType::F64}, {}}}));
}

TEST(ApiTag, SerializationKeepsTagImportsAndExports) {
  Engine engine;
  Module m = Module::from_text(engine, kImports);
  Module back = Module::deserialize(engine, m.serialize());
  ASSERT_EQ(back.imports().size(), 1u);
  EXPECT_EQ(back.imports()[0].type.kind, ExternKind::Tag);
  EXPECT_EQ(back.imports()[0].type.tag, kI32Tag);
  ASSERT_EQ(back.exports().size(), 2u);
  EXPECT_EQ(back.exports()[1].type.tag, kI64F32Tag);

  Store store(engine);
  Tag t = Tag::create(store, kI32Tag);
  Instance inst(store, back, std::vector<Extern>{Extern(t)});
  EXPECT_EQ(export_tag(inst, "again"), t);
  EXPECT_EQ(export_tag(inst, "own").type(), kI64F32Tag);
  std::string msg = unlinkable_message(store, back, {Extern(Tag::create(store, kI64F32Tag))});
  EXPECT_NE(msg.find("tag types do not match"), std::string::npos) << msg;
}

TEST(ApiTag, WithoutExceptionsAModuleWithATagIsRefused) {
  Config config;
  config.wasm_feature(Feature::Exceptions, false);
  Engine engine(config);
  std::vector<uint8_t> defines = wat2wasm(kDefines);
  std::vector<uint8_t> imports = wat2wasm(kImports);
  // A tag section is invalid without the proposal; a tag import is not even
  // an import kind then (malformed, as the 2.0 testsuite says): both name it.
  for (const auto* bytes : {&defines, &imports}) {
    try {
      Module::from_binary(engine, *bytes);
      FAIL();
    } catch (const WasmError& e) {
      EXPECT_EQ(e.kind(), bytes == &defines ? ErrorKind::Invalid : ErrorKind::Malformed);
      EXPECT_NE(std::string(e.what()).find("exceptions proposal not enabled"), std::string::npos)
          << e.what();
    }
  }
  // Host tags do not depend on the switch, as in wasmtime.
  Store store(engine);
  EXPECT_EQ(Tag::create(store, kI32Tag).type(), kI32Tag);
}

}  // namespace
}  // namespace ember

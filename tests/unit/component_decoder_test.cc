// Component binaries: decoding (src/component/decoder.hh) and validation
// (src/component/validate.hh) over the committed components of
// tests/component (valid ones written as WAT, one made by the toolchain,
// and invalid/*.wasm, each breaking the rule named in its source's first
// line), plus malformed bytes built here.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "binary/reader.hh"
#include "compile/compile.hh"
#include "component/decoder.hh"
#include "component/names.hh"
#include "component/validate.hh"
#include "runtime/store_data.hh"

namespace ember::comp {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

const fs::path kDir = EMBER_COMPONENT_TEST_DIR;

Bytes read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

FeatureSet features() {
  return FeatureSet::defaults();
}

// Decode and validate, nested core modules compiled (bodies validated).
Expected<ComponentSummary> check(const Bytes& b) {
  auto c = decode_component(b, features());
  if (!c) return c.take_error();
  rt::EngineData engine;
  engine.config.features = features();
  return validate_component(**c, features(),
                            [&](ModuleData& m) { return compile_module(m, engine); });
}

ComponentSummary valid(const std::string& name) {
  Bytes b = read_bytes(kDir / name);
  EXPECT_FALSE(b.empty()) << name;
  auto s = check(b);
  EXPECT_TRUE(s) << name << ": " << (s ? "" : s.error().describe());
  return s ? std::move(*s) : ComponentSummary{};
}

// "name: sort" of each entry, for compact expectations.
std::vector<std::string> listing(const std::vector<ExternSummary>& v) {
  std::vector<std::string> out;
  for (const ExternSummary& e : v) out.push_back(e.name + ": " + sort_name(e.sort));
  return out;
}

using V = std::vector<std::string>;

TEST(ComponentDecoder, RecognizesThePreamble) {
  Bytes comp = {0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00};
  Bytes core = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  EXPECT_TRUE(is_component(comp));
  EXPECT_FALSE(is_component(core));
  auto empty = check(comp);
  ASSERT_TRUE(empty) << empty.error().describe();
  EXPECT_TRUE(empty->imports.empty() && empty->exports.empty());
  auto not_comp = decode_component(core, features());
  ASSERT_FALSE(not_comp);
  EXPECT_EQ(not_comp.error().kind(), ErrorKind::Malformed);
  EXPECT_NE(not_comp.error().message().find("not a component"), std::string::npos);
}

TEST(ComponentValidate, StringsLiftAndLower) {
  ComponentSummary s = valid("strings.wasm");
  EXPECT_EQ(listing(s.imports), V{"log: func"});
  EXPECT_EQ(listing(s.exports), V{"greet: func"});
  EXPECT_EQ(s.exports[0].type, "func(name: string) -> string");
  EXPECT_EQ(s.count(Sort::CoreModule), 2u);
  EXPECT_EQ(s.count(Sort::CoreInstance), 4u);
  EXPECT_EQ(s.count(Sort::CoreMemory), 1u);
  EXPECT_EQ(s.count(Sort::CoreTable), 1u);
  // log, greet, and the export's own index.
  EXPECT_EQ(s.count(Sort::Func), 3u);
}

TEST(ComponentValidate, EveryValueTypeKind) {
  ComponentSummary s = valid("types.wasm");
  EXPECT_EQ(listing(s.imports), V{"wasi:cli/environment@0.2.0: instance"});
  EXPECT_EQ(listing(s.exports),
            (V{"point: type", "shape: type", "color: type", "perms: type", "area: func",
               "paint: func", "example:shapes/api@1.2.3: instance", "args: func"}));
  EXPECT_EQ(s.exports[0].type, "type record { x: s32, y: s32 }");
  EXPECT_EQ(s.exports[7].type, "func() -> list<string>");
}

TEST(ComponentValidate, ResourcesAndTheirBuiltins) {
  ComponentSummary s = valid("resources.wasm");
  EXPECT_EQ(listing(s.exports),
            (V{"counter: type", "[constructor]counter: func", "[method]counter.len: func"}));
  EXPECT_EQ(s.exports[1].type, "func(start: u32) -> own<resource>");
  EXPECT_EQ(s.count(Sort::CoreFunc), 6u);  // dtor/new/len aliases and the three built-ins
}

TEST(ComponentValidate, NestedComponentsAndAliases) {
  ComponentSummary s = valid("nested.wasm");
  EXPECT_EQ(listing(s.imports), (V{"greet: func", "plugin: core module", "factory: component"}));
  EXPECT_EQ(listing(s.exports), (V{"hi: func", "factory: component"}));
  EXPECT_EQ(s.count(Sort::Component), 3u);  // inner, factory, and its export
  EXPECT_EQ(s.count(Sort::Instance), 1u);
}

// The valid neighbours of five invalid/*.wat (what the `wasmtime` package's
// validator accepts there): an ascribed export that keeps what a consumer
// needs, an instance of a child re-exported after the child's instance
// (which names its enum), a constructor exported by the component, and a
// type whose effective size is 10^5.
TEST(ComponentValidate, VisibilityAscriptionAndTypeSize) {
  ComponentSummary s = valid("visibility.wasm");
  EXPECT_EQ(listing(s.imports), (V{"host: func"}));
  EXPECT_EQ(listing(s.exports),
            (V{"child: instance", "api: instance", "counter: type", "[constructor]counter: func"}));
  EXPECT_EQ(s.exports[1].type, "instance { get: func() -> enum { x, y }; }");
}

TEST(ComponentValidate, MadeByTheToolchain) {
  ComponentSummary s = valid("toolchain.wasm");
  ASSERT_FALSE(s.imports.empty());
  EXPECT_EQ(s.imports[0].name, "example:counter/logging@0.1.0");
  EXPECT_EQ(s.imports[0].sort, Sort::Instance);
  V exports = listing(s.exports);
  EXPECT_NE(std::find(exports.begin(), exports.end(), "add: func"), exports.end());
  EXPECT_NE(std::find(exports.begin(), exports.end(), "describe: func"), exports.end());
  // The decoded structure: three core modules (the code, the shim and the
  // fixups wasm-tools adds) and the custom sections at the end.
  auto c = decode_component(read_bytes(kDir / "toolchain.wasm"), features());
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->modules.size(), 3u);
  EXPECT_FALSE((*c)->modules[0].module->exports.empty());
  std::vector<std::string> customs;
  for (const CustomSection& cs : (*c)->customs) customs.push_back(cs.name);
  EXPECT_EQ(customs, (V{"component-name", "producers"}));
}

// The offsets at which the top-level sections of a component end.
std::vector<size_t> section_ends(const Bytes& b) {
  std::vector<size_t> ends = {8};
  Reader r(b.data(), b.size());
  r.skip(8);
  while (!r.at_end()) {
    EXPECT_TRUE(r.u8());
    auto size = r.u32();
    EXPECT_TRUE(size);
    r.skip(*size);
    ends.push_back(size_t(r.offset()));
  }
  return ends;
}

TEST(ComponentDecoder, EveryTruncationIsMalformed) {
  for (const char* name :
       {"strings.wasm", "types.wasm", "resources.wasm", "nested.wasm", "toolchain.wasm"}) {
    Bytes full = read_bytes(kDir / name);
    std::vector<size_t> ends = section_ends(full);
    for (size_t n = 0; n < full.size(); n++) {
      Bytes cut(full.begin(), full.begin() + n);
      auto c = decode_component(cut, features());
      bool boundary = std::find(ends.begin(), ends.end(), n) != ends.end();
      if (boundary) continue;  // fewer sections: well-formed
      ASSERT_FALSE(c) << name << " cut at " << n;
      EXPECT_EQ(c.error().kind(), ErrorKind::Malformed) << name << " cut at " << n;
      EXPECT_LE(c.error().info().offset, n) << name << " cut at " << n;
    }
  }
}

// A component of one section (payloads under 128 bytes).
Bytes component_with(uint8_t id, const Bytes& payload) {
  Bytes b = {0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00, id, uint8_t(payload.size())};
  for (uint8_t x : payload) b.push_back(x);
  return b;
}

Error malformed(const Bytes& b) {
  auto c = decode_component(b, features());
  EXPECT_FALSE(c);
  if (c) return Error(ErrorKind::Internal, "decoded");
  EXPECT_EQ(c.error().kind(), ErrorKind::Malformed) << c.error().describe();
  return c.take_error();
}

TEST(ComponentDecoder, BadSectionIdsAndSizes) {
  Error e = malformed(component_with(13, {}));
  EXPECT_NE(e.message().find("section id"), std::string::npos);
  EXPECT_EQ(e.info().offset, 8u);
  Bytes too_long = component_with(7, {0x01});
  too_long[9] = 5;  // a size past the end
  EXPECT_NE(malformed(too_long).message().find("size"), std::string::npos);
  // A type section with a byte left over.
  EXPECT_NE(malformed(component_with(7, {0x00, 0x00})).message().find("size mismatch"),
            std::string::npos);
  // A declared count larger than the bytes left fails before allocating.
  EXPECT_NE(malformed(component_with(10, {0xFF, 0xFF, 0xFF, 0xFF, 0x0F})).message().find("count"),
            std::string::npos);
}

// A component with one function type, imported under `name`.
Bytes import_named(const std::string& name) {
  Bytes p = {0x01, 0x00, uint8_t(name.size())};
  p.insert(p.end(), name.begin(), name.end());
  p.insert(p.end(), {0x01, 0x00});
  Bytes b = component_with(10, p);
  Bytes type = {0x07, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00};  // (type (func))
  b.insert(b.begin() + 8, type.begin(), type.end());
  return b;
}

// `b` is well-formed but invalid: the error.
Error invalid_one(const Bytes& b) {
  EXPECT_TRUE(decode_component(b, features()));
  auto s = check(b);
  EXPECT_FALSE(s);
  if (s) return Error(ErrorKind::Internal, "valid");
  EXPECT_EQ(s.error().kind(), ErrorKind::Invalid) << s.error().describe();
  return s.take_error();
}

// A name that breaks the grammar is invalid (well-formed bytes: the
// component model's own tests make the grammar a validation rule).
TEST(ComponentValidate, ImportAndExportNames) {
  for (const char* bad :
       {"foo bar", "foo--bar", "1abc", "aB", "-a", "a-", "[method]foo", "[static]a", "wasi:cli",
        "wasi:cli/run@1.0", "Wasi:cli/run", "wasi:cli/run@01.0.0", "", "foo:bar/baz/qux"}) {
    Error e = invalid_one(import_named(bad));
    EXPECT_NE(e.message().find("invalid import/export name"), std::string::npos) << bad;
  }
  for (const char* good : {"foo", "a-b-c", "A-B-C", "a1-2-3", "HTTP-2", "wasi:cli/run",
                           "wasi:cli/run@0.2.0", "ns:pkg/iface@1.0.0-rc.1+build.5"}) {
    auto s = check(import_named(good));
    EXPECT_TRUE(s) << good << ": " << (s ? "" : s.error().describe());
  }
  // Annotated names follow the grammar but need a resource to refer to.
  for (const char* annotated : {"[constructor]foo", "[method]foo.bar", "[static]foo.new"}) {
    Error e = invalid_one(import_named(annotated));
    EXPECT_NE(e.message().find("names no resource"), std::string::npos) << annotated;
  }
}

TEST(ComponentDecoder, StrongUniqueness) {
  EXPECT_EQ(unique_key("foo-BAR"), unique_key("foo-bar"));
  EXPECT_EQ(unique_key("[method]foo.foo"), unique_key("foo"));
  EXPECT_EQ(unique_key("[static]foo.bar"), unique_key("[method]foo.bar"));
  EXPECT_NE(unique_key("[constructor]foo"), unique_key("foo"));
  EXPECT_NE(unique_key("foo:bar/baz"), unique_key("foo-bar"));
}

TEST(ComponentDecoder, BadLabelsAndOpcodes) {
  // A label that is not kebab-case is well-formed but invalid.
  // (type (record (field "Bad_Label" u32)))
  Bytes rec = {0x01, 0x72, 0x01, 0x09};
  for (char c : std::string("Bad_Label")) rec.push_back(uint8_t(c));
  rec.push_back(0x79);
  EXPECT_NE(invalid_one(component_with(7, rec)).message().find("not in kebab case"),
            std::string::npos);
  EXPECT_NE(malformed(component_with(7, {0x01, 0x10})).message().find("type opcode"),
            std::string::npos);
  EXPECT_NE(malformed(component_with(8, {0x01, 0x99})).message().find("canon opcode"),
            std::string::npos);
  EXPECT_NE(malformed(component_with(6, {0x01, 0x07, 0x00, 0x00})).message().find("sort"),
            std::string::npos);
}

void put_leb(Bytes& b, uint32_t n) {
  do {
    b.push_back(uint8_t((n & 0x7F) | (n > 0x7F ? 0x80 : 0)));
    n >>= 7;
  } while (n);
}

// A component of one section whose payload may be long.
Bytes component_with_long(uint8_t id, const Bytes& payload) {
  Bytes b = {0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00, id};
  put_leb(b, uint32_t(payload.size()));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

TEST(ComponentDecoder, NestingIsBounded) {
  // (type (instance (type (instance ... )))) deeper than kMaxNesting.
  Bytes payload = {0x01};
  for (uint32_t i = 0; i < kMaxNesting + 2; i++) payload.insert(payload.end(), {0x42, 0x01, 0x01});
  payload.insert(payload.end(), {0x42, 0x00});
  EXPECT_NE(malformed(component_with_long(0x07, payload)).message().find("nested too deeply"),
            std::string::npos);
}

// A type index where a value type goes: a non-negative signed LEB128 (the
// negative ones are the primitive types).
void put_index(Bytes& b, uint32_t n) {
  uint64_t v = n;
  while (v >= 0x40) {
    b.push_back(uint8_t((v & 0x7F) | 0x80));
    v >>= 7;
  }
  b.push_back(uint8_t(v));
}

// Types refer to earlier ones by index, so a chain can be as long as the
// bytes allow: list<list<...<u8>...>> 100,000 deep validates without
// recursing (and a record doubling each step reaches the effective size
// bound of 10^6 at its 20th step).
TEST(ComponentValidate, LongTypeChainsDoNotRecurse) {
  constexpr uint32_t kDepth = 100000;
  Bytes types;
  put_leb(types, kDepth);
  types.insert(types.end(), {0x70, 0x7D});  // list<u8>
  for (uint32_t i = 1; i < kDepth; i++) {
    types.push_back(0x70);
    put_index(types, i - 1);
  }
  auto s = check(component_with_long(7, types));
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(s->count(Sort::Type), kDepth);

  Bytes records;
  put_leb(records, 40);
  records.insert(records.end(), {0x72, 0x01, 0x01, 'a', 0x78});  // record { a: u64 }
  for (uint32_t i = 1; i < 40; i++) {
    records.insert(records.end(), {0x72, 0x02, 0x01, 'a'});
    put_index(records, i - 1);
    records.insert(records.end(), {0x01, 'b'});
    put_index(records, i - 1);
  }
  auto big = check(component_with_long(7, records));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind(), ErrorKind::Invalid);
  EXPECT_NE(big.error().message().find("effective type size exceeds the limit of 1000000"),
            std::string::npos);
}

// Two chains of instance types, each exporting the previous one twice (as
// trees: 2^chain leaves), the export of the first ascribed the second
// chain's type.
Bytes twin_chains(uint32_t chain_length) {
  Bytes types;
  put_leb(types, 2 * (chain_length + 1));
  for (uint32_t chain = 0; chain < 2; chain++) {
    uint32_t base = chain * (chain_length + 1);
    types.insert(types.end(), {0x42, 0x00});  // instance {}
    for (uint32_t i = 1; i <= chain_length; i++) {
      types.insert(types.end(), {0x42, 0x03, 0x02, 0x03, 0x02, 0x01});  // alias outer 1 (type)
      put_leb(types, base + i - 1);
      for (char name : {'a', 'b'})
        types.insert(types.end(), {0x04, 0x00, 0x01, uint8_t(name), 0x05, 0x00});
    }
  }
  Bytes b = component_with_long(7, types);
  Bytes imports = {0x01, 0x00, 0x01, 'x', 0x05};  // import "x" (instance (type B))
  put_leb(imports, 2 * chain_length + 1);
  Bytes exports = {0x01, 0x00, 0x01, 'y', 0x05, 0x00, 0x01, 0x05};  // export "y" (instance 0) A
  put_leb(exports, chain_length);
  for (const Bytes* sec : {&imports, &exports}) {
    b.push_back(sec == &imports ? 10 : 11);
    put_leb(b, uint32_t(sec->size()));
    b.insert(b.end(), sec->begin(), sec->end());
  }
  return b;
}

// Comparing the chains looks at each pair of types once: 2^18 leaves
// validate at once. At 2^60 leaves the types are refused for their
// effective size (as the `wasmtime` package refuses them), also at once.
TEST(ComponentValidate, SharedTypesAreComparedOnce) {
  auto s = check(twin_chains(18));
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(listing(s->exports), V{"y: instance"});
  auto big = check(twin_chains(60));
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message().find("effective type size"), std::string::npos);
}

// Without a CoreModuleCheck, nested modules get module-level validation
// only: bodies are left to whoever compiles the module.
TEST(ComponentValidate, DefaultCoreModuleCheckIsModuleLevel) {
  auto c = decode_component(read_bytes(kDir / "invalid/core-body-type-mismatch.wasm"), features());
  ASSERT_TRUE(c);
  EXPECT_TRUE(validate_component(**c, features()));
  auto bad = decode_component(read_bytes(kDir / "invalid/missing-core-arg.wasm"), features());
  ASSERT_TRUE(bad);
  EXPECT_FALSE(validate_component(**bad, features()));
}

TEST(ComponentDecoder, NestedModuleErrorsPointIntoTheComponent) {
  // A core module section whose module has a bad version.
  Bytes m = {0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00};
  Error e = malformed(component_with(1, m));
  EXPECT_NE(e.message().find("core module"), std::string::npos);
  EXPECT_EQ(e.info().offset, 10u + 4u);
}

// Each invalid/*.wasm breaks the rule its source names in its first line
// (";; invalid: <message part>" or ";; unsupported: <message part>").
TEST(ComponentValidate, InvalidComponents) {
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(kDir / "invalid")) {
    if (entry.path().extension() != ".wat") continue;
    std::ifstream src(entry.path());
    std::string first;
    std::getline(src, first);
    bool is_unsupported = first.rfind(";; unsupported: ", 0) == 0;
    ASSERT_TRUE(is_unsupported || first.rfind(";; invalid: ", 0) == 0) << entry.path();
    std::string want = first.substr(first.find(": ") + 2);
    fs::path bin = entry.path();
    bin.replace_extension(".wasm");
    auto s = check(read_bytes(bin));
    ASSERT_FALSE(s) << bin.filename() << " validated";
    EXPECT_EQ(s.error().kind(), is_unsupported ? ErrorKind::Unsupported : ErrorKind::Invalid)
        << bin.filename() << ": " << s.error().describe();
    EXPECT_NE(s.error().message().find(want), std::string::npos)
        << bin.filename() << ": " << s.error().describe();
    EXPECT_NE(s.error().info().offset, UINT64_MAX) << bin.filename();
    seen++;
  }
  EXPECT_GE(seen, 25);
}

}  // namespace
}  // namespace ember::comp

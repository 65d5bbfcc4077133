// Binary decoder: framing, sections, malformed input and resource safety.
#include <gtest/gtest.h>

#include <chrono>

#include "binary/decoder.hh"

namespace ember {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes with_header(std::initializer_list<uint8_t> body) {
  Bytes b;
  b.reserve(8 + body.size());  // (growing in insert trips a GCC 12 -Warray-bounds false positive)
  b.assign({0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00});
  b.insert(b.end(), body);
  return b;
}

Expected<std::shared_ptr<ModuleData>> decode(Bytes b) {
  return decode_module(std::move(b), FeatureSet::defaults());
}

void expect_malformed(Bytes b, const std::string& fragment) {
  auto r = decode(std::move(b));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::Malformed);
  EXPECT_NE(r.error().message().find(fragment), std::string::npos) << r.error().describe();
}

TEST(Decoder, EmptyModule) {
  auto r = decode(with_header({}));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE((*r)->types.empty());
  EXPECT_TRUE((*r)->funcs.empty());
}

TEST(Decoder, BadMagicAndVersion) {
  expect_malformed({}, "magic header");
  expect_malformed({0x00, 0x61, 0x73, 0x6E, 1, 0, 0, 0}, "magic header");
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 2, 0, 0, 0}, "unknown binary version");
  // A component's preamble (layer 1): said so, as the wasmtime package does.
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 0x0D, 0, 1, 0},
                   "expected a WebAssembly module but was given a WebAssembly component");
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 1, 0}, "unexpected end");
}

TEST(Decoder, TypesImportsExports) {
  auto r = decode(with_header({
      0x01, 0x07, 0x01, 0x60, 0x02, 0x7F, 0x7E, 0x01, 0x7D,  // type (i32 i64)->f32
      0x02, 0x07, 0x01, 0x01, 'm',  0x01, 'f',  0x00, 0x00,  // import m.f func 0
      0x03, 0x02, 0x01, 0x00,                                // one function of type 0
      0x07, 0x05, 0x01, 0x01, 'g',  0x00, 0x01,              // export "g" func 1
      0x0A, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0B,              // body: no locals, unreachable
  }));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const ModuleData& m = **r;
  ASSERT_EQ(m.types.size(), 1u);
  EXPECT_EQ(m.types[0].params, (std::vector<ValType>{ValType::I32, ValType::I64}));
  EXPECT_EQ(m.types[0].results, (std::vector<ValType>{ValType::F32}));
  ASSERT_EQ(m.imports.size(), 1u);
  EXPECT_EQ(m.imports[0].module, "m");
  EXPECT_EQ(m.imports[0].name, "f");
  EXPECT_EQ(m.num_imported_funcs, 1u);
  EXPECT_EQ(m.funcs.size(), 2u);
  ASSERT_EQ(m.exports.size(), 1u);
  EXPECT_EQ(m.exports[0].name, "g");
  EXPECT_EQ(m.exports[0].index, 1u);
  ASSERT_EQ(m.bodies.size(), 1u);
  EXPECT_EQ(m.bytes[m.bodies[0].offset], 0x00);  // locals count
  EXPECT_EQ(m.bodies[0].size, 3u);
}

TEST(Decoder, SectionOrderAndSize) {
  // Memory section (5) after global section (6).
  expect_malformed(with_header({0x06, 0x01, 0x00, 0x05, 0x01, 0x00}), "unexpected content");
  // Duplicate type section.
  expect_malformed(with_header({0x01, 0x01, 0x00, 0x01, 0x01, 0x00}), "unexpected content");
  // Section longer than the module.
  expect_malformed(with_header({0x01, 0x05, 0x00}), "length out of bounds");
  // Section content shorter than its declared size.
  expect_malformed(with_header({0x01, 0x02, 0x00, 0x00}), "section size mismatch");
  expect_malformed(with_header({0x0E, 0x00}), "malformed section id");
}

TEST(Decoder, FunctionAndCodeCountsMustAgree) {
  expect_malformed(with_header({0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00}),
                   "inconsistent lengths");
}

TEST(Decoder, DataCountMustMatchDataSection) {
  expect_malformed(with_header({0x0C, 0x01, 0x01}), "inconsistent lengths");
}

TEST(Decoder, LebLimits) {
  // Type count encoded in 6 bytes: too long for a u32.
  expect_malformed(with_header({0x01, 0x07, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00}),
                   "integer representation too long");
  // Fifth byte with bits above 32 set.
  expect_malformed(with_header({0x01, 0x06, 0x80, 0x80, 0x80, 0x80, 0x70, 0x00}),
                   "integer too large");
}

TEST(Decoder, HugeCountsFailFast) {
  // 4 billion functions declared in a 6-byte section: must fail immediately,
  // without allocating for the declared count.
  auto t0 = std::chrono::steady_clock::now();
  expect_malformed(with_header({0x03, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}), "unexpected end");
  expect_malformed(with_header({0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}), "unexpected end");
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LT(ms, 100);
}

TEST(Decoder, InvalidUtf8Name) {
  expect_malformed(with_header({0x00, 0x02, 0x01, 0xFF}), "UTF-8");
}

TEST(Decoder, NameSectionGivesModuleAndFunctionNames) {
  auto r =
      decode(
          with_header({
              0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
              0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B, 0x00, 0x12, 0x04, 'n',
              'a',  'm',  'e',  0x00, 0x04, 0x03, 'm',  'o',  'd',  // module name
              0x01, 0x05, 0x01, 0x00, 0x02, 'f',  'n',              // func 0 = "fn"
          }));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ((*r)->names.module_name, "mod");
  EXPECT_EQ((*r)->names.funcs.at(0), "fn");
  ASSERT_EQ((*r)->customs.size(), 1u);
  EXPECT_EQ((*r)->customs[0].name, "name");
}

TEST(Decoder, MalformedNameSectionIsIgnored) {
  auto r = decode(with_header({0x00, 0x07, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x7F}));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE((*r)->names.funcs.empty());
}

TEST(Decoder, ElementSegmentEncodings) {
  auto r = decode(with_header({
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01,
      0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01,              // table funcref min 1
      0x09, 0x15, 0x04, 0x00, 0x41, 0x00, 0x0B, 0x01, 0x00,  // flags 0: active, func idx
      0x01, 0x00, 0x01, 0x00,                                // flags 1: passive
      0x03, 0x00, 0x01, 0x00,                                // flags 3: declarative
      0x05, 0x70, 0x01, 0xD0, 0x70, 0x0B,                    // flags 5: passive exprs
      0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
  }));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const auto& e = (*r)->elems;
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].mode, SegmentMode::Active);
  ASSERT_EQ(e[0].offset.instrs.size(), 1u);
  EXPECT_EQ(e[0].offset.instrs[0].op, Op::I32Const);
  EXPECT_EQ(e[1].mode, SegmentMode::Passive);
  EXPECT_EQ(e[2].mode, SegmentMode::Declarative);
  EXPECT_EQ(e[3].items[0].instrs[0].op, Op::RefNull);
  EXPECT_EQ(e[0].items[0].instrs[0].op, Op::RefFunc);
}

TEST(Decoder, DataSegments) {
  auto r = decode(with_header({
      0x05, 0x03, 0x01, 0x00, 0x01,                              // memory min 1
      0x0B, 0x0B, 0x02, 0x00, 0x41, 0x08, 0x0B, 0x02, 'h', 'i',  // active at 8
      0x01, 0x01, 'x',                                           // passive
  }));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const auto& d = (*r)->datas;
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].bytes, (std::vector<uint8_t>{'h', 'i'}));
  EXPECT_EQ(d[0].offset.instrs[0].imm, 8u);
  EXPECT_EQ(d[1].mode, SegmentMode::Passive);
}

TEST(Decoder, BadImportKindAndMutability) {
  expect_malformed(with_header({0x02, 0x06, 0x01, 0x01, 'm', 0x01, 'f', 0x07}), "import kind");
  expect_malformed(with_header({0x06, 0x06, 0x01, 0x7F, 0x02, 0x41, 0x00, 0x0B}), "mutability");
}

}  // namespace
}  // namespace ember

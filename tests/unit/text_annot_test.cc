// Annotations in the text format: `(@custom ...)` becomes a custom section
// placed as the annotations proposal says (expected layouts checked against
// wasmtime's wat2wasm); `(@name ...)` names modules and functions; branch
// hints become the metadata.code.branch_hint section; every other annotation
// is ignored wherever it stands.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "text/wast.hh"
#include "text/wat_parser.hh"
#include "text/wat.hh"

using ember::ErrorKind;
using ember::wat_to_wasm;
using Bytes = std::vector<uint8_t>;

namespace {

// The module's sections in order: "<id>" for a standard section,
// "name=content" for a custom one.
std::vector<std::string> layout(const std::string& text) {
  auto r = wat_to_wasm(text);
  EXPECT_TRUE(r.ok()) << text << "\n" << (r.ok() ? "" : r.error().describe());
  std::vector<std::string> out;
  if (!r.ok()) return out;
  const Bytes& b = *r;
  for (size_t i = 8; i < b.size();) {
    const int id = b[i++];
    size_t n = 0;
    for (int s = 0;; s += 7) {
      const uint8_t x = b[i++];
      n |= size_t(x & 0x7F) << s;
      if (!(x & 0x80)) break;
    }
    if (id != 0) {
      out.push_back(std::to_string(id));
    } else {
      const size_t len = b[i];  // names here are shorter than 128 bytes
      out.push_back(std::string(b.begin() + i + 1, b.begin() + i + 1 + len) + "=" +
                    std::string(b.begin() + i + 1 + len, b.begin() + i + n));
    }
    i += n;
  }
  return out;
}

using Layout = std::vector<std::string>;

void expect_error(const std::string& text, const std::string& message, uint32_t line,
                  uint32_t col) {
  auto r = wat_to_wasm(text);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.error().kind(), ErrorKind::Malformed) << text;
  EXPECT_EQ(r.error().info().message, message) << text;
  EXPECT_EQ(r.error().info().line, line) << text << ": " << r.error().describe();
  EXPECT_EQ(r.error().info().column, col) << text << ": " << r.error().describe();
}

// The first module of the testsuite's custom/custom_annot.wast.
TEST(TextAnnot, CustomSectionsArePlaced) {
  const char* text = R"((module
    (type $t (func))
    (@custom "my-section1" "contents-bytes1")
    (@custom "my-section2" "more-contents-bytes0")
    (@custom "my-section1" "contents-bytes2")
    (@custom "my-section2" (before global) "more-contents-bytes1")
    (@custom "my-section2" (after func) "more-contents-bytes2")
    (@custom "my-section2" (after func) "more-contents-bytes3")
    (@custom "my-section2" (before global) "more-contents-bytes4")
    (func)
    (@custom "my-section2" "more-contents-bytes5")
    (global $g i32 (i32.const 0))
    (@custom "my-section3")
    (@custom "my-section4" "" "1" "" "2" "3" "")
    (@custom "")
  ))";
  EXPECT_EQ(layout(text),
            (Layout{"1", "3", "my-section2=more-contents-bytes2",
                    "my-section2=more-contents-bytes3", "my-section2=more-contents-bytes1",
                    "my-section2=more-contents-bytes4", "6", "10", "my-section1=contents-bytes1",
                    "my-section2=more-contents-bytes0", "my-section1=contents-bytes2",
                    "my-section2=more-contents-bytes5", "my-section3=", "my-section4=123", "="}));
}

TEST(TextAnnot, PlacementByAbsentSections) {
  // Placements refer to the binary order even when the section is absent.
  EXPECT_EQ(layout("(module (@custom \"a\" (after type) \"1\") (@custom \"b\" (before type) \"2\")"
                   " (@custom \"c\" (after data) \"3\") (@custom \"d\" (before data) \"4\")"
                   " (@custom \"e\" (after code) \"5\") (@custom \"f\" (before code) \"6\"))"),
            (Layout{"b=2", "a=1", "f=6", "e=5", "d=4", "c=3"}));
  EXPECT_EQ(layout("(module (memory 1) (data \"a\") (func (drop (data.drop 0)))"
                   " (@custom \"e\" (after code) \"5\") (@custom \"f\" (before code) \"6\")"
                   " (@custom \"x\" (after elem) \"9\") (@custom \"y\" (before start) \"10\")"
                   " (@custom \"z\" (after export) \"11\") (@custom \"t\" (before tag) \"12\")"
                   " (@custom \"w\" (after tag) \"13\") (@custom \"v\" (after last) \"14\")"
                   " (@custom \"u\" (before first) \"15\"))"),
            (Layout{"u=15", "1", "3", "5", "t=12", "w=13", "z=11", "y=10", "x=9", "12", "f=6", "10",
                    "e=5", "11", "v=14"}));
  // The spec also names the data count section.
  EXPECT_EQ(layout("(module (memory 1) (data \"a\") (func (drop (data.drop 0)))"
                   " (@custom \"a\" (after datacount)) (@custom \"b\" (before datacount)))"),
            (Layout{"1", "3", "5", "b=", "12", "a=", "10", "11"}));
}

TEST(TextAnnot, NameSection) {
  // The generated name section comes after every custom section ...
  EXPECT_EQ(
      layout("(module $m (func $f) (@custom \"a\" (before first) \"x\")"
             " (@custom \"b\" (after last) \"y\") (@custom \"c\" \"z\"))"),
      (Layout{"a=x", "1", "3", "10", "b=y", "c=z", std::string("name=\0\2\1m\1\4\1\0\1f", 15)}));
  // ... and is left out when the text writes its own.
  EXPECT_EQ(layout("(module (@custom \"name\" \"abc\") (func $f))"),
            (Layout{"1", "3", "10", "name=abc"}));
}

TEST(TextAnnot, CustomSectionForms) {
  EXPECT_EQ(layout("(@custom \"a\" \"b\")"), (Layout{"a=b"}));  // no field at all
  EXPECT_EQ(layout("(@custom \"a\")"), (Layout{"a="}));
  EXPECT_EQ(layout("(@custom \"a\" \"b\" \"c\") (func)"), (Layout{"1", "3", "10", "a=bc"}));
  EXPECT_EQ(layout("(func) (@custom \"a\" ( before first ) \"x\" \"y\")"),
            (Layout{"a=xy", "1", "3", "10"}));
  EXPECT_EQ(layout("(@\"custom\" \"a\" \"b\")"), (Layout{"a=b"}));
  EXPECT_EQ(layout("(@custom \"\\u{e9}\" \"\\ff\\00\")"),
            (Layout{"\xc3\xa9=\xff" + std::string(1, '\0')}));
  // Comments and other annotations inside are skipped.
  EXPECT_EQ(layout("(module (@custom \"a\" (@x y) (;c;) \"b\" ;; hi\n))"), (Layout{"a=b"}));
  EXPECT_EQ(layout("(@customx \"a\")"), Layout{});  // another annotation
}

// The reference interpreter's messages (testsuite custom/custom_annot.wast).
TEST(TextAnnot, MalformedCustom) {
  expect_error("(@custom)", "@custom annotation: missing section name", 1, 1);
  expect_error("(@custom 4)", "@custom annotation: missing section name", 1, 1);
  expect_error("(@custom bla)", "@custom annotation: missing section name", 1, 1);
  expect_error("(@custom \"\\df\")", "@custom annotation: malformed UTF-8 encoding", 1, 10);
  expect_error("(@custom \"bla\" here)", "@custom annotation: unexpected token", 1, 16);
  expect_error("(@custom \"bla\" after)", "@custom annotation: unexpected token", 1, 16);
  expect_error("(@custom \"bla\" (after))", "@custom annotation: malformed section kind", 1, 16);
  expect_error("(@custom \"bla\" (type))", "@custom annotation: malformed placement", 1, 16);
  expect_error("(@custom \"bla\" (aft type))", "@custom annotation: malformed placement", 1, 16);
  expect_error("(@custom \"bla\" (before types))", "@custom annotation: malformed section kind", 1,
               16);
  expect_error("(@custom \"a\" (before first x))", "@custom annotation: unexpected token", 1, 28);
  expect_error("(@custom \"a\" (before type) (after type))", "@custom annotation: unexpected token",
               1, 28);
  expect_error("(@custom \"a\" \"x\" (before type))", "@custom annotation: unexpected token", 1,
               18);
  expect_error("(@custom \"a\" \"x\" $y)", "@custom annotation: unexpected token", 1, 18);
  expect_error("(@custom \"a\"", "unclosed annotation", 1, 13);
  expect_error("(@custom\"a\")", "unknown operator", 1, 9);
}

TEST(TextAnnot, MisplacedCustom) {
  const std::string msg = "misplaced @custom annotation";
  expect_error("(type (@custom \"bla\") $t (func))", msg, 1, 7);
  expect_error("(func (@custom \"bla\"))", msg, 1, 7);
  expect_error("(func (block (@custom \"bla\")))", msg, 1, 14);
  expect_error("(func (nop (@custom \"bla\")))", msg, 1, 12);
  expect_error("(module (@custom \"a\" \"b\") $m)", msg, 1, 9);
  expect_error("((@custom \"a\" \"b\") module)", msg, 1, 2);
  expect_error("(module) (@custom \"a\" \"b\")", msg, 1, 10);
  expect_error("(@custom \"a\" \"b\") (module)", msg, 1, 1);
}

// Unknown annotations are ignored wherever a token may stand.
TEST(TextAnnot, OtherAnnotationsAreIgnored) {
  const std::string plain =
      "(module (type $T (func (param i32) (result i32))) (memory 1) (global $g i32 (i32.const 7))"
      " (func $f (export \"f\") (type $T) (local i32) (block (result i32) (i32.add (local.get 0)"
      " (global.get $g)))) (data (i32.const 0) \"x\"))";
  const std::string annotated =
      "(@a) ((@a) module (@a x (y) \"z\") (type (@b) $T (func (param (@c) i32) (result i32 (@c))))"
      " (memory (@m 1) 1) (global $g (@x) i32 (i32.const (@k) 7)) (func $f (export \"f\" (@e))"
      " (type $T) (local (@l) i32) (block (@b) (result i32) (i32.add (local.get (@z) 0)"
      " (global.get $g)))) (data (i32.const 0) (@d) \"x\" (@d)) (@end)) (@after)";
  auto a = wat_to_wasm(plain), b = wat_to_wasm(annotated);
  ASSERT_TRUE(a.ok()) << a.error().describe();
  ASSERT_TRUE(b.ok()) << b.error().describe();
  EXPECT_EQ(*a, *b);
}

// `@name` names the module and functions (in place of their $id), is
// accepted after other definition keywords, and is misplaced elsewhere.
TEST(TextAnnot, NameAnnotations) {
  EXPECT_EQ(layout("(module $m (@name \"M\") (func $f (@name \"\\u{3bb}\")) (func $g))"),
            (Layout{"1", "3", "10", std::string("name=\0\2\1M\1\10\2\0\2\xce\xbb\1\1g", 19)}));
  EXPECT_TRUE(wat_to_wasm("(module (global $g (@name \"G\") i32 (i32.const 0)))").ok());
  expect_error("(module (func) (@name \"M\"))", "misplaced @name annotation", 1, 16);
  expect_error("(module (@name \"A\") (@name \"B\"))", "@name annotation: multiple module", 1, 21);
}

// The body offset (from the local declarations) of each hinted if / br_if,
// flat or folded; byte-identical to wasmtime's wat2wasm for the flat case.
TEST(TextAnnot, BranchHints) {
  auto flat = wat_to_wasm(
      "(module (func (param i32) local.get 0 (@metadata.code.branch_hint \"\\01\") if end))");
  ASSERT_TRUE(flat.ok());
  const std::string hex = [&] {
    std::string h;
    for (uint8_t c : *flat) h += "0123456789abcdef"[c >> 4], h += "0123456789abcdef"[c & 15];
    return h;
  }();
  EXPECT_EQ(hex,
            "0061736d0100000001050160017f00030201000020196d657461646174612e636f64652e6272616e63"
            "685f68696e740100010301010a09010700200004400b0b");
  // Folded: the opcode comes after the condition. Function 1 (after an
  // import): `if` at 3 (locals 0, local.get 0), `br_if` at 10.
  EXPECT_EQ(layout("(module (func (import \"m\" \"f\")) (func (param i32)"
                   " (@metadata.code.branch_hint \"\\00\") (if (local.get 0) (then))"
                   " (block (@metadata.code.branch_hint \"\\01\") (br_if 0 (local.get 0)))))"),
            (Layout{"1", "2", "3",
                    std::string("metadata.code.branch_hint=\1\1\2\3\1\0\x0a\1\1", 35), "10"}));
  auto dup = wat_to_wasm(
      "(module (func (param i32) local.get 0 (@metadata.code.branch_hint \"\\01\")"
      " (@metadata.code.branch_hint \"\\01\") if end))");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().info().message,
            "@metadata.code.branch_hint annotation: duplicate annotation");
  auto outside = wat_to_wasm("(module (@metadata.code.branch_hint \"\\01\") (func))");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().info().message,
            "@metadata.code.branch_hint annotation: not in a function");
  // Before an instruction that is no branch: dropped, or with strict
  // annotations (assert_invalid_custom) an invalid module.
  const char* nop = "(module (func (@metadata.code.branch_hint \"\\01\") nop))";
  ASSERT_TRUE(wat_to_wasm(nop).ok());
  EXPECT_EQ(layout(nop), (Layout{"1", "3", "10"}));
  auto strict = ember::text::wat_to_wasm_at(nop, 1, ember::FeatureSet::defaults(), true);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.error().kind(), ErrorKind::Invalid);
}

// The .wast reader keeps module text (annotations included) for conversion.
TEST(TextAnnot, WastModulesKeepCustomSections) {
  auto s = ember::wast::parse_script(
      "(module (@custom \"c\" \"x\"))\n(module quote \"(@custom \\\"q\\\" \\\"y\\\")\")\n"
      "(module quote \"\")");
  ASSERT_TRUE(s.ok()) << s.error().describe();
  ASSERT_EQ(s->commands.size(), 3u);
  auto b0 = s->commands[0].module.to_binary(), b1 = s->commands[1].module.to_binary();
  ASSERT_TRUE(b0.ok() && b1.ok());
  EXPECT_EQ(*b0, (Bytes{0, 'a', 's', 'm', 1, 0, 0, 0, 0, 3, 1, 'c', 'x'}));
  EXPECT_EQ(*b1, (Bytes{0, 'a', 's', 'm', 1, 0, 0, 0, 0, 3, 1, 'q', 'y'}));
  auto b2 = s->commands[2].module.to_binary();  // empty quoted text: no module
  ASSERT_FALSE(b2.ok());
  EXPECT_EQ(b2.error().info().message, "expected at least one module field");
}

}  // namespace

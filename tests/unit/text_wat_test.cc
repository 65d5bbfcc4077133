// WAT -> binary: abbreviations, implicit types, folded/flat equivalence,
// identifier resolution, the name section, and malformed-text errors with
// their line:column.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "text/wat.hh"

using ember::ErrorKind;
using ember::wat_to_wasm;
using Bytes = std::vector<uint8_t>;

namespace {

Bytes wasm(const std::string& text) {
  auto r = wat_to_wasm(text);
  EXPECT_TRUE(r.ok()) << text << "\n" << (r.ok() ? "" : r.error().describe());
  return r.ok() ? *r : Bytes{};
}

// Section id -> payload (custom sections keyed by 0, last one wins).
std::map<int, Bytes> sections(const Bytes& b) {
  std::map<int, Bytes> out;
  size_t i = 8;
  while (i < b.size()) {
    int id = b[i++];
    uint64_t n = 0;
    for (int s = 0;; s += 7) {
      uint8_t x = b[i++];
      n |= uint64_t(x & 0x7F) << s;
      if (!(x & 0x80)) break;
    }
    out[id] = Bytes(b.begin() + i, b.begin() + i + n);
    i += n;
  }
  return out;
}

void expect_malformed(const std::string& text, uint32_t line, uint32_t col) {
  auto r = wat_to_wasm(text);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.error().kind(), ErrorKind::Malformed);
  EXPECT_EQ(r.error().info().line, line) << r.error().describe();
  EXPECT_EQ(r.error().info().column, col) << r.error().describe();
}

bool fails(const std::string& text) {
  return !wat_to_wasm(text).ok();
}

TEST(TextWat, EmptyModule) {
  EXPECT_EQ(wasm("(module)"), (Bytes{0, 'a', 's', 'm', 1, 0, 0, 0}));
  EXPECT_EQ(wasm("(module) ;; comment\n(; block (; nested ;) ;)"), wasm("(module)"));
  EXPECT_EQ(wasm("(@foo)"), wasm("(module)"));  // an annotation is not "no text"
}

// Text with no token at all is no module (wasm-tools: "expected at least one
// module field", positioned at the end of the text).
TEST(TextWat, EmptyTextIsRefused) {
  const std::pair<const char*, std::pair<uint32_t, uint32_t>> cases[] = {
      {"", {1, 1}},
      {"  ", {1, 3}},
      {";; c\n", {2, 1}},
      {"(; x ;)", {1, 8}},
      {"\n\t(;a;) ;;b", {2, 11}},
  };
  for (const auto& [text, at] : cases) {
    auto r = wat_to_wasm(text);
    ASSERT_FALSE(r.ok()) << "'" << text << "'";
    EXPECT_EQ(r.error().kind(), ErrorKind::Malformed);
    EXPECT_EQ(r.error().info().message, "expected at least one module field");
    EXPECT_EQ(r.error().info().line, at.first) << "'" << text << "'";
    EXPECT_EQ(r.error().info().column, at.second) << "'" << text << "'";
  }
}

// Every module field is closed right after its last part: trailing tokens
// are "unexpected token", never silently dropped.
TEST(TextWat, TrailingTokensInFieldsAreRefused) {
  auto r = wat_to_wasm("(module (type (func (param i32)) (result i64)))");
  ASSERT_FALSE(r.ok()) << "the (result i64) after (func ...) was dropped";
  EXPECT_EQ(r.error().describe(), "malformed: unexpected token (at 1:34)");
  expect_malformed("(type (func (param i32)) (result i64))", 1, 26);
  expect_malformed("(module (type $t (func) x))", 1, 25);
  expect_malformed("(module (type (func) (func)))", 1, 22);
  const char* junk[] = {
      "(module (func) x)",
      "(module (func (result i32) (i32.const 1) junk))",
      "(module (memory 1 2 3))",
      "(module (memory 1 (data \"a\") x))",
      "(module (table 1 funcref x))",
      "(module (table funcref (elem) x))",
      "(module (global i32 (i32.const 0) x))",
      "(module (global (mut i32 x) (i32.const 0)))",
      "(module (export \"a\" (func 0) x) (func))",
      "(module (export \"a\" (func 0 x)) (func))",
      "(module (start 0 x) (func))",
      "(module (import \"a\" \"b\" (func) x))",
      "(module (import \"a\" \"b\" (func x)))",
      "(module (import \"a\" \"b\" (memory 1) x))",
      "(module (func (import \"a\" \"b\" x)))",
      "(module (func (export \"a\" x)))",
      "(module (func (type 0 x)) (type (func)))",
      "(module (func (param $x i32 i64)))",
      "(module (data \"a\" x))",
      "(module (memory 1) (data (memory 0 x) (i32.const 0)))",
      "(module (elem func 0 x) (func))",
      "(module (table 1 funcref) (elem (table 0 x) (i32.const 0)))",
      "(module (memory 1) (data (offset (i32.const 0)) \"a\" 1))",
  };
  for (const char* text : junk) {
    auto r2 = wat_to_wasm(text);
    EXPECT_FALSE(r2.ok()) << text;
    if (!r2.ok()) {
      EXPECT_EQ(r2.error().kind(), ErrorKind::Malformed) << text;
    }
  }
}

TEST(TextWat, FunctionBody) {
  Bytes b = wasm("(module (func (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))");
  auto s = sections(b);
  EXPECT_EQ(s[1], (Bytes{1, 0x60, 1, 0x7F, 1, 0x7F}));
  EXPECT_EQ(s[3], (Bytes{1, 0}));
  EXPECT_EQ(s[10], (Bytes{1, 7, 0, 0x20, 0, 0x41, 1, 0x6A, 0x0B}));
}

TEST(TextWat, FoldedEqualsFlat) {
  EXPECT_EQ(
      wasm("(func (result i32) (i32.mul (i32.add (i32.const 1) (i32.const 2)) (i32.const 3)))"),
      wasm("(func (result i32) i32.const 1 i32.const 2 i32.add i32.const 3 i32.mul)"));
  EXPECT_EQ(wasm("(func (param i32) (if (local.get 0) (then (nop)) (else (unreachable))))"),
            wasm("(func (param i32) local.get 0 if nop else unreachable end)"));
  EXPECT_EQ(wasm("(func (block $a (loop $b (br_if $b (i32.const 0)) (br $a))))"),
            wasm("(func block $a loop $b i32.const 0 br_if $b br $a end $b end $a)"));
}

TEST(TextWat, Labels) {
  // Shadowing: the innermost $l is depth 0; the outer one is reached by number.
  EXPECT_EQ(wasm("(func block $l block $l br $l end br 1 end)"),
            wasm("(func block block br 0 end br 1 end)"));
  EXPECT_EQ(wasm("(func (block $x (block $y (br $x))))"), wasm("(func (block (block (br 1))))"));
  EXPECT_TRUE(fails("(func (block $x (br $y)))"));
  EXPECT_TRUE(fails("(func block $a end $b)"));  // mismatching label
  EXPECT_TRUE(fails("(func block end $a)"));
}

TEST(TextWat, InlineExportAndImport) {
  EXPECT_EQ(wasm("(func (export \"a\") (export \"b\"))"),
            wasm("(func) (export \"a\" (func 0)) (export \"b\" (func 0))"));
  EXPECT_EQ(wasm("(func (import \"m\" \"f\") (param i32))"),
            wasm("(import \"m\" \"f\" (func (param i32)))"));
  EXPECT_EQ(wasm("(memory (export \"m\") (import \"a\" \"b\") 1 2)"),
            wasm("(import \"a\" \"b\" (memory 1 2)) (export \"m\" (memory 0))"));
  EXPECT_EQ(wasm("(global (import \"a\" \"b\") (mut i64))"),
            wasm("(import \"a\" \"b\" (global (mut i64)))"));
  // Imports take the first indices, so they must precede definitions.
  EXPECT_TRUE(fails("(func) (import \"a\" \"b\" (func))"));
  EXPECT_TRUE(fails("(global i32 (i32.const 0)) (func (import \"a\" \"b\"))"));
}

TEST(TextWat, ImplicitTypes) {
  // Explicit types first, then inline signatures in order of first use.
  auto s =
      sections(wasm("(func (param i32)) (type (func)) (func (result i64)) (func (param i32))"));
  EXPECT_EQ(s[1], (Bytes{3, 0x60, 0, 0, 0x60, 1, 0x7F, 0, 0x60, 0, 1, 0x7E}));
  EXPECT_EQ(s[3], (Bytes{3, 1, 2, 1}));
  // A use that matches an explicit type reuses it.
  s = sections(wasm("(type $t (func (param i32))) (func (param i32)) (func (type $t))"));
  EXPECT_EQ(s[1][0], 1);
  EXPECT_EQ(s[3], (Bytes{2, 0, 0}));
  // Block types: single results are inline, multi-value creates a type.
  s =
      sections(wasm("(func (block (result i32) (i32.const 0)) drop"
                    " (block (param) (result i32 i32) (i32.const 0) (i32.const 0)) drop drop)"));
  EXPECT_EQ(s[1], (Bytes{2, 0x60, 0, 0, 0x60, 0, 2, 0x7F, 0x7F}));
}

TEST(TextWat, InlineTypeMustMatch) {
  EXPECT_TRUE(wat_to_wasm("(type $t (func (param i32))) (func (type $t) (param i32))").ok());
  auto r = wat_to_wasm("(type $t (func (param i32))) (func (type $t) (param i64))");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::Malformed);
  EXPECT_NE(r.error().message().find("inline function type"), std::string::npos);
}

TEST(TextWat, Identifiers) {
  EXPECT_EQ(wasm("(func $a (call $b)) (func $b (call $a))"),
            wasm("(func $a (call 1)) (func $b (call 0))"));
  EXPECT_EQ(
      sections(wasm(
          "(func (param $x i32) (local $y i64) (local.set $y (i64.extend_i32_u (local.get $x))))"))
          [10],
      sections(wasm(
          "(func (param i32) (local i64) (local.set 1 (i64.extend_i32_u (local.get 0))))"))[10]);
  EXPECT_TRUE(fails("(func (call $nope))"));
  EXPECT_TRUE(fails("(func $f) (func $f)"));
  EXPECT_TRUE(fails("(func (param $x i32) (local $x i32))"));
  EXPECT_TRUE(fails("(global $g i32 (i32.const 0)) (func (global.get $h) drop)"));
}

TEST(TextWat, NameSection) {
  auto s = sections(wasm("(module $mod (func $first) (func) (func $third))"));
  const Bytes& n = s[0];
  std::string text(n.begin(), n.end());
  EXPECT_EQ(text.substr(1, 4), "name");
  EXPECT_NE(text.find("mod"), std::string::npos);
  // Function names subsection: 2 entries, indices 0 and 2.
  const Bytes fn = {1, 15, 2, 0, 5, 'f', 'i', 'r', 's', 't', 2, 5, 't', 'h', 'i', 'r', 'd'};
  EXPECT_NE(std::search(n.begin(), n.end(), fn.begin(), fn.end()), n.end());
}

TEST(TextWat, TablesAndSegments) {
  // Inline elem: table limits from the item count and an active segment.
  auto s = sections(wasm("(func $f) (table funcref (elem $f $f))"));
  EXPECT_EQ(s[4], (Bytes{1, 0x70, 1, 2, 2}));
  EXPECT_EQ(s[9], (Bytes{1, 0, 0x41, 0, 0x0B, 2, 0, 0}));
  // Inline data: memory pages from the byte count.
  s = sections(wasm("(memory (data \"ab\" \"c\"))"));
  EXPECT_EQ(s[5], (Bytes{1, 1, 1, 1}));
  EXPECT_EQ(s[11], (Bytes{1, 0, 0x41, 0, 0x0B, 3, 'a', 'b', 'c'}));
  // Passive, declarative and externref segments.
  s =
      sections(wasm("(table 1 externref) (func $f) (elem $p func $f) (elem declare func $f)"
                    " (elem (table 0) (i32.const 0) externref (ref.null extern))"));
  EXPECT_EQ(s[9],
            (Bytes{3, 1, 0, 1, 0, 3, 0, 1, 0, 6, 0, 0x41, 0, 0x0B, 0x6F, 1, 0xD0, 0x6F, 0x0B}));
  // memory.init needs the data count section.
  s =
      sections(wasm("(memory 1) (data $d \"x\") (func (memory.init $d (i32.const 0) (i32.const 0) "
                    "(i32.const 1)))"));
  EXPECT_EQ(s[12], (Bytes{1}));
}

TEST(TextWat, MemArgs) {
  auto s = sections(wasm("(memory 1) (func (drop (i64.load offset=16 align=4 (i32.const 0))))"));
  EXPECT_EQ(s[10], (Bytes{1, 8, 0, 0x41, 0, 0x29, 2, 16, 0x1A, 0x0B}));
  // A non-zero memory index sets bit 6 of the flags and follows them.
  s = sections(wasm("(memory 1) (memory $m 1) (func (drop (i32.load $m (i32.const 0))))"));
  EXPECT_EQ(s[10], (Bytes{1, 9, 0, 0x41, 0, 0x28, 0x42, 1, 0, 0x1A, 0x0B}));
  EXPECT_TRUE(fails("(memory 1) (func (drop (i32.load align=3 (i32.const 0))))"));
  // Offsets are u64 literals (a 32-bit memory's range is the validator's).
  EXPECT_FALSE(fails("(memory 1) (func (drop (i32.load offset=4294967296 (i32.const 0))))"));
  EXPECT_TRUE(
      fails("(memory 1) (func (drop (i32.load offset=18446744073709551616 (i32.const 0))))"));
}

TEST(TextWat, Constants) {
  auto s = sections(wasm("(func (result f32) (f32.const -0x1p-1))"));
  EXPECT_EQ(s[10], (Bytes{1, 7, 0, 0x43, 0, 0, 0, 0xBF, 0x0B}));
  s = sections(wasm("(func (result i32) (i32.const 0xffff_ffff))"));
  EXPECT_EQ(s[10], (Bytes{1, 4, 0, 0x41, 0x7F, 0x0B}));
  EXPECT_TRUE(fails("(func (i32.const 4294967296) drop)"));
  EXPECT_TRUE(fails("(func (i64.const 18446744073709551616) drop)"));
  EXPECT_TRUE(fails("(func (f32.const 1e40) drop)"));
  EXPECT_TRUE(fails("(func (f64.const nan:0x0) drop)"));
}

TEST(TextWat, ErrorsCarryLineAndColumn) {
  expect_malformed("(module\n  (func\n    i32.bogus))", 3, 5);
  expect_malformed("(module (func (call $missing)))", 1, 21);
  expect_malformed("(module\n (func (i32.const 99999999999)))", 2, 19);
  expect_malformed("(module (func (br 0))\n  \"unclosed", 2, 12);
  expect_malformed("(module (func)) (func)", 1, 17);
  expect_malformed("(module (bogus))", 1, 10);
}

TEST(TextWat, DeepNestingIsAnErrorNotACrash) {
  std::string folded = "(func ", flat = "(func ";
  for (int i = 0; i < 100000; i++) folded += "(block ", flat += "block ";
  EXPECT_TRUE(fails(folded));
  EXPECT_TRUE(fails(flat));
  std::string ok = "(func ";
  for (int i = 0; i < 500; i++) ok += "(block ";
  ok += std::string(500, ')') + ")";
  EXPECT_TRUE(wat_to_wasm(ok).ok());
}

TEST(TextWat, MalformedText) {
  EXPECT_TRUE(fails("(func (nop)"));
  EXPECT_TRUE(fails("(func) )"));
  EXPECT_TRUE(fails("(func (local i32) (param i32))"));
  EXPECT_TRUE(fails("(func (block (param $x i32)))"));
  EXPECT_TRUE(fails("(func (br_table))"));
  EXPECT_TRUE(fails("(data \"a\"\"b\")"));
  EXPECT_TRUE(fails("(export \"\\ff\" (func 0))"));    // names must be UTF-8
  EXPECT_TRUE(fails("(func (ref.null i32) drop)"));    // not a heap type
  EXPECT_TRUE(fails("(func (ref.null $nope) drop)"));  // no such type
  EXPECT_TRUE(
      fails("(func (i32.const 0) (select (result i32) (i32.const 1) (i32.const 2)) \"x\")"));
  EXPECT_TRUE(
      wat_to_wasm(
          "(func (result i32) (select (result i32) (i32.const 1) (i32.const 2) (i32.const 0)))")
          .ok());
}

}  // namespace

// Custom page sizes: `(pagesize N)` sets limits flag 0x08 and appends log2 N;
// the inline-data abbreviation counts its pages in that size.
TEST(TextWat, PageSizes) {
  EXPECT_EQ(sections(wasm("(memory 1 2 (pagesize 1))"))[5], (Bytes{1, 0x09, 1, 2, 0}));
  EXPECT_EQ(sections(wasm("(memory i64 3 (pagesize 65536))"))[5], (Bytes{1, 0x0C, 3, 16}));
  EXPECT_EQ(sections(wasm("(memory 1 1 shared (pagesize 1))"))[5], (Bytes{1, 0x0B, 1, 1, 0}));
  EXPECT_EQ(sections(wasm("(memory (pagesize 1) (data \"xyz\"))"))[5], (Bytes{1, 0x09, 3, 3, 0}));
  EXPECT_EQ(sections(wasm("(import \"m\" \"m\" (memory 0 (pagesize 1)))"))[2],
            (Bytes{1, 1, 'm', 1, 'm', 2, 0x08, 0, 0}));
  expect_malformed("(memory 0 (pagesize 3))", 1, 21);
  expect_malformed("(memory 0 (pagesize 0))", 1, 21);
  expect_malformed("(memory (pagesize 1))", 1, 21);  // the abbreviation needs its data
}

// A 32-bit limit beyond 2^32-1 is invalid in the 3.0 text format (reported
// once the rest has parsed, so malformed text still wins) and a malformed
// u32 literal in the 2.0 one (memory64 off).
TEST(TextWat, OversizedLimitsAreInvalidIn30AndMalformedIn20) {
  for (const char* text :
       {"(memory 0x1_0000_0000)", "(memory 0 0x1_0000_0000)", "(table 0x1_0000_0000 funcref)",
        "(memory 0x1_0000_0000 (pagesize 1))"}) {
    auto r = wat_to_wasm(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().kind(), ErrorKind::Invalid) << text;
    ember::FeatureSet v20 = ember::FeatureSet::defaults();
    v20.set(ember::Feature::Memory64, false);
    auto r20 = wat_to_wasm(text, v20);
    ASSERT_FALSE(r20.ok()) << text;
    EXPECT_EQ(r20.error().kind(), ErrorKind::Malformed) << text;
  }
  auto r = wat_to_wasm("(memory 0x1_0000_0000) (func (bogus))");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::Malformed);
  EXPECT_TRUE(wat_to_wasm("(memory i64 0x1_0000_0000)").ok());
  EXPECT_TRUE(wat_to_wasm("(memory 0xFFFF_FFFF (pagesize 1))").ok());
}

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

// ---- GC instructions --------------------------------------------------------
// Expected bytes were checked once against `wasm-tools parse` (1.262).

namespace {

// "41 01 fb 00" -> {0x41, 0x01, 0xFB, 0x00}.
Bytes hex(const char* s) {
  Bytes out;
  for (const char* p = s; *p;) {
    if (*p == ' ') {
      p++;
      continue;
    }
    out.push_back(uint8_t(std::stoul(std::string(p, 2), nullptr, 16)));
    p += 2;
  }
  return out;
}

// The instructions of a module's only function (its body after the local
// declarations, which must be none), up to and including the final `end`.
Bytes body(const Bytes& module) {
  Bytes code = sections(module)[10];
  EXPECT_GE(code.size(), 3u);
  if (code.size() < 3) return {};
  size_t i = 1;                       // past the function count (1)
  while (code[i++] & 0x80) continue;  // the body size
  EXPECT_EQ(code[i], 0) << "locals";
  return Bytes(code.begin() + i + 1, code.end());
}

}  // namespace

// struct.new/get/set name their type and a field, by index or by name; names
// resolve among the type's own fields, counted with unnamed ones.
TEST(TextWat, GcStructAccess) {
  const Bytes b = wasm(R"((module
    (type $p (struct (field $x i32) (field f32 f64) (field $y (mut i64)) (field i8)
                     (field $z (mut i16))))
    (type $q (struct (field $y i32) (field $x (mut i32))))
    (func (param (ref $p) (ref $q))
      (drop (struct.new $q (i32.const 1) (i32.const 2)))
      (drop (struct.new_default $p))
      (drop (struct.get $p $x (local.get 0)))
      (drop (struct.get $p 2 (local.get 0)))
      (drop (struct.get_s $p 4 (local.get 0)))
      (drop (struct.get_u $p $z (local.get 0)))
      (struct.set $p $y (local.get 0) (i64.const 7))
      (struct.set $q $x (local.get 1) (i32.const 3))
      local.get 1
      struct.get 1 $y
      drop)))");
  EXPECT_EQ(body(b), hex("41 01 41 02 fb 00 01 1a"   // struct.new $q
                         " fb 01 00 1a"              // struct.new_default $p
                         " 20 00 fb 02 00 00 1a"     // struct.get $p $x
                         " 20 00 fb 02 00 02 1a"     // struct.get $p 2
                         " 20 00 fb 03 00 04 1a"     // struct.get_s $p 4
                         " 20 00 fb 04 00 05 1a"     // struct.get_u $p $z
                         " 20 00 42 07 fb 05 00 03"  // struct.set $p $y
                         " 20 01 41 03 fb 05 01 01"  // struct.set $q $x
                         " 20 01 fb 02 01 00 1a 0b"));
  const char* types = "(type $p (struct (field $x i32))) (type $q (struct (field $y i32)))";
  EXPECT_TRUE(fails(std::string(types) +
                    "(func (param (ref $q)) (drop (struct.get $q $x (local.get 0))))"));
  EXPECT_TRUE(
      fails(std::string(types) + "(func (param (ref $q)) (drop (struct.get $q (local.get 0))))"));
  expect_malformed("(type (struct (field $x i32) (field $x i64)))", 1, 37);  // duplicate field
  EXPECT_FALSE(fails("(type (struct (field $x i32))) (type (struct (field $x i64)))"));
}

// Array instructions; array.new_data and array.init_data in a function
// require the data count section.
TEST(TextWat, GcArrays) {
  const Bytes b = wasm(R"((module
    (type $a (array (mut i8)))
    (type $b (array (mut i8)))
    (type $f (array (mut funcref)))
    (data $d "abc")
    (elem $e func)
    (func (param (ref $a) (ref $f))
      (drop (array.new $a (i32.const 1) (i32.const 2)))
      (drop (array.new_default $a (i32.const 2)))
      (drop (array.new_fixed $a 3 (i32.const 1) (i32.const 2) (i32.const 3)))
      (drop (array.new_data $a $d (i32.const 0) (i32.const 3)))
      (drop (array.new_elem $f $e (i32.const 0) (i32.const 0)))
      (drop (array.get_s $a (local.get 0) (i32.const 0)))
      (drop (array.get_u $b (local.get 0) (i32.const 0)))
      (drop (array.get $f (local.get 1) (i32.const 0)))
      (array.set $a (local.get 0) (i32.const 0) (i32.const 9))
      (drop (array.len (local.get 0)))
      (array.fill $a (local.get 0) (i32.const 0) (i32.const 1) (i32.const 2))
      (array.copy $a $b (local.get 0) (i32.const 0) (local.get 0) (i32.const 1) (i32.const 2))
      (array.init_data $a $d (local.get 0) (i32.const 0) (i32.const 0) (i32.const 1))
      (array.init_elem $f 0 (local.get 1) (i32.const 0) (i32.const 0) (i32.const 0)))))");
  EXPECT_EQ(body(b), hex("41 01 41 02 fb 06 00 1a"                     // array.new $a
                         " 41 02 fb 07 00 1a"                          // array.new_default $a
                         " 41 01 41 02 41 03 fb 08 00 03 1a"           // array.new_fixed $a 3
                         " 41 00 41 03 fb 09 00 00 1a"                 // array.new_data $a $d
                         " 41 00 41 00 fb 0a 02 00 1a"                 // array.new_elem $f $e
                         " 20 00 41 00 fb 0c 00 1a"                    // array.get_s $a
                         " 20 00 41 00 fb 0d 01 1a"                    // array.get_u $b
                         " 20 01 41 00 fb 0b 02 1a"                    // array.get $f
                         " 20 00 41 00 41 09 fb 0e 00"                 // array.set $a
                         " 20 00 fb 0f 1a"                             // array.len
                         " 20 00 41 00 41 01 41 02 fb 10 00"           // array.fill $a
                         " 20 00 41 00 20 00 41 01 41 02 fb 11 00 01"  // array.copy $a $b
                         " 20 00 41 00 41 00 41 01 fb 12 00 00"        // array.init_data $a $d
                         " 20 01 41 00 41 00 41 00 fb 13 02 00 0b"));  // array.init_elem $f 0
  EXPECT_EQ(sections(b)[12], Bytes{1});
  EXPECT_TRUE(fails("(type $a (array i8)) (func (drop (array.new_fixed $a -1)))"));
  EXPECT_TRUE(fails("(type $a (array i8)) (func (drop (array.new_fixed $a 4294967296)))"));
  EXPECT_TRUE(fails("(type $a (array i8)) (func (drop (array.new_data $a $nope)))"));
  EXPECT_TRUE(fails("(type $a (array i8)) (func (array.copy $a))"));
}

// ref.test / ref.cast take a reference type: a non-null one selects opcode
// 0x14 / 0x16, a nullable one 0x15 / 0x17; then its heap type. br_on_cast(_fail)
// writes flags (bit 0: source nullable, bit 1: target nullable), the label,
// both heap types. ref.eq, ref.i31, i31.get_*, the conversions: no immediates.
TEST(TextWat, GcCastsAndBranches) {
  const Bytes b = wasm(R"((module
    (type $s (struct))
    (func (param anyref externref) (result anyref)
      (drop (ref.test (ref $s) (local.get 0)))
      (drop (ref.test (ref null $s) (local.get 0)))
      (drop (ref.test i31ref (local.get 0)))
      (drop (ref.test (ref i31) (local.get 0)))
      (drop (ref.cast (ref any) (local.get 0)))
      (drop (ref.cast nullref (local.get 0)))
      (drop (ref.cast (ref null struct) (local.get 0)))
      local.get 0
      ref.cast eqref
      drop
      (block $l (result anyref)
        (drop (br_on_cast $l anyref (ref $s) (local.get 0)))
        (drop (br_on_cast 0 (ref any) (ref null $s) (local.get 0)))
        (drop (br_on_cast_fail $l anyref arrayref (local.get 0)))
        local.get 0
        br_on_cast_fail $l (ref any) (ref eq)
        drop
        local.get 0)
      (drop (ref.eq (ref.i31 (i32.const 1)) (ref.i31 (i32.const 2))))
      (drop (i31.get_s (ref.i31 (i32.const 3))))
      (drop (i31.get_u (ref.cast (ref i31) (local.get 0))))
      (drop (extern.convert_any (any.convert_extern (local.get 1)))))))");
  EXPECT_EQ(body(b), hex("20 00 fb 14 00 1a"               // ref.test (ref $s)
                         " 20 00 fb 15 00 1a"              // ref.test (ref null $s)
                         " 20 00 fb 15 6c 1a"              // ref.test i31ref
                         " 20 00 fb 14 6c 1a"              // ref.test (ref i31)
                         " 20 00 fb 16 6e 1a"              // ref.cast (ref any)
                         " 20 00 fb 17 71 1a"              // ref.cast nullref
                         " 20 00 fb 17 6b 1a"              // ref.cast (ref null struct)
                         " 20 00 fb 17 6d 1a"              // ref.cast eqref
                         " 02 6e"                          // block $l (result anyref)
                         " 20 00 fb 18 01 00 6e 00 1a"     // br_on_cast: anyref -> (ref $s)
                         " 20 00 fb 18 02 00 6e 00 1a"     // (ref any) -> (ref null $s)
                         " 20 00 fb 19 03 00 6e 6a 1a"     // br_on_cast_fail: anyref -> arrayref
                         " 20 00 fb 19 00 00 6e 6d 1a"     // (ref any) -> (ref eq)
                         " 20 00 0b"                       // end of block
                         " 41 01 fb 1c 41 02 fb 1c d3 1a"  // ref.eq of two ref.i31
                         " 41 03 fb 1c fb 1d 1a"           // i31.get_s
                         " 20 00 fb 16 6c fb 1e 1a"        // i31.get_u (ref.cast (ref i31))
                         " 20 01 fb 1a fb 1b 1a 0b"));     // any.convert_extern, extern.convert_any
  const char* f = "(type $s (struct)) (func (param anyref) (drop ";
  EXPECT_TRUE(fails(std::string(f) + "(ref.test (local.get 0))))"));
  EXPECT_TRUE(fails(std::string(f) + "(ref.test i32 (local.get 0))))"));
  EXPECT_TRUE(fails(std::string(f) + "(ref.cast $s (local.get 0))))"));  // a heap type alone
  EXPECT_TRUE(fails(std::string(f) + "(block (br_on_cast 0 anyref (local.get 0))))))"));
}

// GC instructions in constant expressions: table and global initializers,
// element items and an offset. A data segment used only there does not
// need the data count section.
TEST(TextWat, GcConstantExpressions) {
  const auto s = sections(wasm(R"((module
    (type $s (struct (field $v i32)))
    (type $a (array i8))
    (data $d "xy")
    (table $t 2 (ref null i31) (ref.i31 (i32.const 9)))
    (global $g (ref i31) (ref.i31 (i32.const 5)))
    (global (ref $s) (struct.new $s (i32.const 1)))
    (global (ref $a) (array.new_fixed $a 2 (i32.const 1) (i32.const 2)))
    (global (ref $a) (array.new_data $a $d (i32.const 0) (i32.const 2)))
    (global externref (extern.convert_any (global.get $g)))
    (elem (table $t) (offset (i31.get_u (ref.i31 (i32.const 1)))) (ref i31)
          (item (ref.i31 (i32.const 7))))
    (elem i31ref (ref.i31 (i32.const 2)) (item i32.const 3 ref.i31))))"));
  EXPECT_EQ(s.at(4), hex("01 40 00 6c 00 02 41 09 fb 1c 0b"));
  EXPECT_EQ(s.at(6), hex("05"
                         " 64 6c 00 41 05 fb 1c 0b"              // ref.i31
                         " 64 00 00 41 01 fb 00 00 0b"           // struct.new $s
                         " 64 01 00 41 01 41 02 fb 08 01 02 0b"  // array.new_fixed $a 2
                         " 64 01 00 41 00 41 02 fb 09 01 00 0b"  // array.new_data $a $d
                         " 6f 00 23 00 fb 1b 0b"));              // extern.convert_any
  EXPECT_EQ(s.at(9), hex("02"
                         " 06 00 41 01 fb 1c fb 1e 0b 64 6c 01 41 07 fb 1c 0b"
                         " 05 6c 02 41 02 fb 1c 0b 41 03 fb 1c 0b"));
  EXPECT_EQ(s.count(12), 0u);
}

// A `(rec ...)` field is a recursion group in the binary too, even of one
// type or none; a `(type ...)` field is its type alone.
TEST(TextWat, GcRecGroupsKeepTheirForm) {
  EXPECT_EQ(sections(wasm("(rec) (type (func)) (rec (type (func)))"))[1],
            hex("03 4e 00 60 00 00 4e 01 60 00 00"));
  EXPECT_EQ(sections(wasm("(rec (type $a (struct)) (type $b (sub (array (ref $a)))))"))[1],
            hex("01 4e 02 5f 00 50 00 5e 64 00 00"));
}

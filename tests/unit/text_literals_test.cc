// Numeric literals of the text format: integer ranges, separators, float
// rounding (decimal and hex, directly to f32), NaN payloads.
#include <gtest/gtest.h>

#include "text/literals.hh"

using namespace ember::text;

namespace {

uint32_t f32(const char* s) {
  uint32_t v = 0;
  EXPECT_EQ(parse_f32(s, &v), LitResult::Ok) << s;
  return v;
}
uint64_t f64(const char* s) {
  uint64_t v = 0;
  EXPECT_EQ(parse_f64(s, &v), LitResult::Ok) << s;
  return v;
}
uint64_t i32(const char* s) {
  uint64_t v = 0;
  EXPECT_EQ(parse_int(s, 32, &v), LitResult::Ok) << s;
  return v;
}

TEST(TextLiterals, IntegerForms) {
  EXPECT_EQ(i32("0"), 0u);
  EXPECT_EQ(i32("4294967295"), 0xFFFFFFFFu);
  EXPECT_EQ(i32("-2147483648"), 0x80000000u);
  EXPECT_EQ(i32("+2147483647"), 0x7FFFFFFFu);
  EXPECT_EQ(i32("-1"), 0xFFFFFFFFu);
  EXPECT_EQ(i32("0xffff_ffff"), 0xFFFFFFFFu);
  EXPECT_EQ(i32("1_000_000"), 1000000u);
  EXPECT_EQ(i32("-0x8000_0000"), 0x80000000u);
  uint64_t v;
  EXPECT_EQ(parse_int("18446744073709551615", 64, &v), LitResult::Ok);
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_EQ(parse_int("-9223372036854775808", 64, &v), LitResult::Ok);
  EXPECT_EQ(v, 0x8000000000000000ull);
}

TEST(TextLiterals, IntegerErrors) {
  uint64_t v;
  EXPECT_EQ(parse_int("4294967296", 32, &v), LitResult::Range);
  EXPECT_EQ(parse_int("-2147483649", 32, &v), LitResult::Range);
  EXPECT_EQ(parse_int("+2147483648", 32, &v), LitResult::Range);
  EXPECT_EQ(parse_int("18446744073709551616", 64, &v), LitResult::Range);
  EXPECT_EQ(parse_int("99999999999999999999999", 64, &v), LitResult::Range);
  EXPECT_EQ(parse_int("_1", 32, &v), LitResult::Syntax);
  EXPECT_EQ(parse_int("1_", 32, &v), LitResult::Syntax);
  EXPECT_EQ(parse_int("1__0", 32, &v), LitResult::Syntax);
  EXPECT_EQ(parse_int("0x", 32, &v), LitResult::Syntax);
  EXPECT_EQ(parse_int("0x_1", 32, &v), LitResult::Syntax);
  EXPECT_EQ(parse_int("1a", 32, &v), LitResult::Syntax);
  EXPECT_EQ(parse_int("--1", 32, &v), LitResult::Syntax);
  EXPECT_EQ(parse_uint("-1", UINT32_MAX, &v), LitResult::Syntax);
}

TEST(TextLiterals, FloatSpecials) {
  EXPECT_EQ(f32("inf"), 0x7F800000u);
  EXPECT_EQ(f32("-inf"), 0xFF800000u);
  EXPECT_EQ(f32("nan"), 0x7FC00000u);
  EXPECT_EQ(f32("-nan"), 0xFFC00000u);
  EXPECT_EQ(f32("nan:0x1"), 0x7F800001u);
  EXPECT_EQ(f32("-nan:0x7fffff"), 0xFFFFFFFFu);
  EXPECT_EQ(f64("nan:0x8_0000_0000_0001"), 0x7FF8000000000001ull);
  EXPECT_EQ(f32("-0"), 0x80000000u);
  uint32_t v;
  EXPECT_EQ(parse_f32("nan:0x0", &v), LitResult::Range);
  EXPECT_EQ(parse_f32("nan:0x800000", &v), LitResult::Range);
  EXPECT_EQ(parse_f32("nan:1", &v), LitResult::Syntax);
}

TEST(TextLiterals, FloatRounding) {
  EXPECT_EQ(f32("0x1p-149"), 0x00000001u);    // smallest subnormal
  EXPECT_EQ(f32("0x1p-150"), 0x00000000u);    // tie to even: rounds to 0
  EXPECT_EQ(f32("0x1.8p-149"), 0x00000002u);  // tie to even: rounds up
  EXPECT_EQ(f32("0x1.fffffep127"), 0x7F7FFFFFu);
  EXPECT_EQ(f32("0x1.fffffefffffffffffp127"), 0x7F7FFFFFu);
  // Exactly halfway between 1 and the next f32 plus a tiny bit: rounds up.
  // A detour through double would lose the final 1 and round to even (down).
  EXPECT_EQ(f32("0x1.000001000000000001p0"), 0x3F800001u);
  EXPECT_EQ(f32("0x1.000001p0"), 0x3F800000u);                // exact tie: to even
  EXPECT_EQ(f32("0x1.000003p0"), 0x3F800002u);                // exact tie: to even (up)
  EXPECT_EQ(f32("1.000000059604644775390625"), 0x3F800000u);  // decimal tie
  EXPECT_EQ(f32("1.0000000596046447753906251"), 0x3F800001u);
  EXPECT_EQ(f32("1e-45"), 0x00000001u);
  EXPECT_EQ(f32("1_000.5e0_1"), f32("10005"));
  EXPECT_EQ(f64("0x1p-1074"), 1ull);
  EXPECT_EQ(f64("0x1.fffffffffffff7ffffp1023"), 0x7FEFFFFFFFFFFFFFull);
  EXPECT_EQ(f64("1.7976931348623157e308"), 0x7FEFFFFFFFFFFFFFull);
  EXPECT_EQ(f64("0.1"), 0x3FB999999999999Aull);
  EXPECT_EQ(f64("1."), 0x3FF0000000000000ull);
  EXPECT_EQ(f64("0x1.p1"), 0x4000000000000000ull);
  EXPECT_EQ(f64("1.e1"), 0x4024000000000000ull);
}

TEST(TextLiterals, FloatErrors) {
  uint32_t v;
  uint64_t w;
  EXPECT_EQ(parse_f32("0x1p128", &v), LitResult::Range);
  EXPECT_EQ(parse_f32("0x1.ffffffp127", &v), LitResult::Range);  // rounds to inf
  EXPECT_EQ(parse_f32("1e39", &v), LitResult::Range);
  EXPECT_EQ(parse_f64("1e309", &w), LitResult::Range);
  EXPECT_EQ(parse_f64("0x1.fffffffffffff8p1023", &w), LitResult::Range);  // tie -> inf
  EXPECT_EQ(parse_f32(".5", &v), LitResult::Syntax);
  EXPECT_EQ(parse_f32("1.5e", &v), LitResult::Syntax);
  EXPECT_EQ(parse_f32("0x1.5e", &v), LitResult::Ok);  // hex digit e, no exponent
  EXPECT_EQ(parse_f32("1_.5", &v), LitResult::Syntax);
  EXPECT_EQ(parse_f32("1._5", &v), LitResult::Syntax);
  EXPECT_EQ(parse_f32("0x1p", &v), LitResult::Syntax);
  EXPECT_EQ(parse_f32("infinity", &v), LitResult::Syntax);
  EXPECT_EQ(parse_f32("nan:canonical", &v), LitResult::Syntax);
}

}  // namespace

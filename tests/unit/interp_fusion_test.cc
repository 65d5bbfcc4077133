// Translator fusions, checked by their results: immediate operands of every
// type, fused test-and-branch (including NaN operands, where "branch if not
// a < b" is not "branch if a >= b"), address arithmetic folded into loads and
// stores (with i32 wrap-around and slot aliasing), and memory64 addresses.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ember/ember.hh"

namespace ember {
namespace {

struct Fixture {
  Engine engine;
  Store store{engine};
  Instance inst;
  explicit Fixture(const char* wat, Config config = Config())
      : engine(config), store(engine), inst(store, Module::from_text(engine, wat), {}) {}
  Func f(const char* name) const { return *inst.get_export(name)->func(); }
};

TEST(InterpFusion, ImmediatesOfEveryType) {
  Fixture fx(R"((module
    (func (export "i32") (param i32) (result i32) local.get 0 i32.const 5 i32.rotl)
    (func (export "i64") (param i64) (result i64) local.get 0 i64.const 0x100000001 i64.mul)
    (func (export "i64shr") (param i64) (result i64) local.get 0 i64.const 65 i64.shr_u)
    (func (export "f32") (param f32) (result f32) local.get 0 f32.const 0.5 f32.mul)
    (func (export "f64") (param f64) (result f64) local.get 0 f64.const -2.25 f64.sub)
    (func (export "div0") (param i32) (result i32) local.get 0 i32.const 0 i32.div_u)))");
  EXPECT_EQ(fx.f("i32").typed<uint32_t(uint32_t)>()(0x80000001u), 0x00000030u);
  EXPECT_EQ(fx.f("i64").typed<uint64_t(uint64_t)>()(3), 0x300000003ull);
  EXPECT_EQ(fx.f("i64shr").typed<uint64_t(uint64_t)>()(0x8000000000000000ull),
            0x4000000000000000ull);
  EXPECT_EQ(fx.f("f32").typed<float(float)>()(3.0f), 1.5f);
  EXPECT_EQ(fx.f("f64").typed<double(double)>()(1.0), 3.25);
  EXPECT_THROW(fx.f("div0").typed<int32_t(int32_t)>()(7), Trap);
}

TEST(InterpFusion, BranchesOnEveryCompare) {
  Fixture fx(R"((module
    (func (export "i64lt") (param i64) (result i32)
      (block (br_if 0 (i64.lt_s (local.get 0) (i64.const -5))) (return (i32.const 0))) i32.const 1)
    (func (export "f64lt") (param f64 f64) (result i32)
      (if (result i32) (f64.lt (local.get 0) (local.get 1)) (then i32.const 1) (else i32.const 0)))
    (func (export "f64ge_imm") (param f64) (result i32)
      (block (br_if 0 (f64.ge (local.get 0) (f64.const 1.5))) (return (i32.const 0))) i32.const 1)
    (func (export "and_test") (param i32) (result i32)
      (if (result i32) (i32.and (local.get 0) (i32.const 4)) (then i32.const 1) (else i32.const 0)))
    (func (export "i64eqz") (param i64) (result i32)
      (if (result i32) (i64.eqz (local.get 0)) (then i32.const 1) (else i32.const 0)))))");
  auto i64lt = fx.f("i64lt").typed<int32_t(int64_t)>();
  EXPECT_EQ(i64lt(-6), 1);
  EXPECT_EQ(i64lt(-5), 0);
  auto f64lt = fx.f("f64lt").typed<int32_t(double, double)>();
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(f64lt(1, 2), 1);
  EXPECT_EQ(f64lt(2, 1), 0);
  EXPECT_EQ(f64lt(nan, 1), 0);  // `if` branches on "not lt": NaN must take else
  EXPECT_EQ(f64lt(1, nan), 0);
  auto ge = fx.f("f64ge_imm").typed<int32_t(double)>();
  EXPECT_EQ(ge(1.5), 1);
  EXPECT_EQ(ge(1.0), 0);
  EXPECT_EQ(ge(nan), 0);
  auto and_test = fx.f("and_test").typed<int32_t(int32_t)>();
  EXPECT_EQ(and_test(12), 1);
  EXPECT_EQ(and_test(11), 0);
  auto eqz = fx.f("i64eqz").typed<int32_t(int64_t)>();
  EXPECT_EQ(eqz(0), 1);
  EXPECT_EQ(eqz(int64_t(1) << 40), 0);  // the upper half counts
}

TEST(InterpFusion, EqzOfATestIsItsNegation) {
  Fixture fx(R"((module
    (func (export "not_lt") (param i32 i32) (result i32) (i32.eqz (i32.lt_u (local.get 0) (local.get 1))))
    (func (export "not_ge_imm") (param i64) (result i32) (i32.eqz (i64.ge_s (local.get 0) (i64.const -3))))
    (func (export "nonzero64") (param i64) (result i32)
      (if (result i32) (i32.eqz (i64.eqz (local.get 0))) (then i32.const 1) (else i32.const 0)))
    (func (export "nonzero32") (param i32) (result i32) (i32.eqz (i32.eqz (local.get 0))))
    (func (export "not_flt") (param f64 f64) (result i32) (i32.eqz (f64.lt (local.get 0) (local.get 1))))))");
  auto not_lt = fx.f("not_lt").typed<int32_t(uint32_t, uint32_t)>();
  EXPECT_EQ(not_lt(1, 2), 0);
  EXPECT_EQ(not_lt(2, 2), 1);
  EXPECT_EQ(not_lt(0xFFFFFFFFu, 2), 1);  // unsigned
  auto not_ge = fx.f("not_ge_imm").typed<int32_t(int64_t)>();
  EXPECT_EQ(not_ge(-4), 1);
  EXPECT_EQ(not_ge(-3), 0);
  auto nz64 = fx.f("nonzero64").typed<int32_t(int64_t)>();
  EXPECT_EQ(nz64(0), 0);
  EXPECT_EQ(nz64(int64_t(1) << 33), 1);
  auto nz32 = fx.f("nonzero32").typed<int32_t(int32_t)>();
  EXPECT_EQ(nz32(0), 0);
  EXPECT_EQ(nz32(-7), 1);  // exactly 1, not the value
  auto not_flt = fx.f("not_flt").typed<int32_t(double, double)>();
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(not_flt(nan, 1), 1);  // a float compare is not negated into >=
  EXPECT_EQ(not_flt(1, 2), 0);
}

TEST(InterpFusion, AddressArithmeticFoldsExactly) {
  Fixture fx(R"((module (memory 1)
    (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c")
    (func (export "ld_imm") (param i32) (result i32) local.get 0 i32.const 8 i32.add i32.load8_u offset=1)
    (func (export "ld_add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add i32.load8_u)
    (func (export "st_const") (param i32 i32) (result i32)
      ;; the add's right operand is a stack temporary in the slot where the
      ;; stored constant is materialized
      local.get 0 local.get 1 i32.const 1 i32.mul i32.add i32.const 0x77 i32.store8
      i32.const 20 i32.load8_u)
    (func (export "st_local") (param i32 i32) local.get 0 i32.const 4 i32.add local.get 1 i32.store offset=16)
    (func (export "peek") (param i32) (result i32) local.get 0 i32.load)
    (func (export "ld_shl") (param i32 i32) (result i32)
      local.get 0 local.get 1 i32.const 34 i32.shl i32.add i32.load8_u)  ;; shift count 34 & 31 = 2
    (func (export "ld_shl_left") (param i32 i32) (result i32)
      local.get 1 i32.const 1 i32.shl local.get 0 i32.add i32.load8_u)
    (func (export "st_shl") (param i32 i32 i32) local.get 0 local.get 1 i32.const 2 i32.shl i32.add local.get 2 i32.store8)))");
  auto ld_imm = fx.f("ld_imm").typed<int32_t(uint32_t)>();
  EXPECT_EQ(ld_imm(0), 0x0a);            // 0 + 8, then offset 1
  EXPECT_EQ(ld_imm(0xFFFFFFFCu), 0x06);  // i32.add wraps to 4, then offset 1
  EXPECT_THROW(ld_imm(65528), Trap);     // 65536 + 1: out of bounds
  auto ld_add = fx.f("ld_add").typed<int32_t(uint32_t, uint32_t)>();
  EXPECT_EQ(ld_add(2, 3), 0x06);
  EXPECT_EQ(ld_add(0xFFFFFFFFu, 2), 0x02);  // wraps to 1
  auto st_const = fx.f("st_const").typed<int32_t(uint32_t, uint32_t)>();
  EXPECT_EQ(st_const(15, 5), 0x77);
  fx.f("st_local").typed<void(uint32_t, uint32_t)>()(0xFFFFFFFEu, 0xAABBCCDDu);  // (2) + 16
  EXPECT_EQ(uint32_t(fx.f("peek").typed<int32_t(uint32_t)>()(18)), 0xAABBCCDDu);
  auto ld_shl = fx.f("ld_shl").typed<int32_t(uint32_t, uint32_t)>();
  EXPECT_EQ(ld_shl(1, 2), 0x0a);            // 1 + (2 << 2) = 9
  EXPECT_EQ(ld_shl(5, 0x40000001u), 0x0a);  // (0x40000001 << 2) wraps to 4
  EXPECT_EQ(ld_shl(0xFFFFFFF0u, 5), 0x05);  // 0xFFFFFFF0 + 20 wraps to 4
  EXPECT_EQ(fx.f("ld_shl_left").typed<int32_t(uint32_t, uint32_t)>()(2, 3), 0x09);  // (3 << 1) + 2
  fx.f("st_shl").typed<void(uint32_t, uint32_t, uint32_t)>()(100, 3, 0x5A);
  EXPECT_EQ(fx.f("ld_add").typed<int32_t(uint32_t, uint32_t)>()(100, 12), 0x5A);
  EXPECT_THROW(ld_shl(65535, 1), Trap);
}

TEST(InterpFusion, Memory64AddressesAreNotTruncated) {
  Config c;
  c.wasm_feature(Feature::Memory64, true);
  Fixture fx(R"((module (memory i64 1)
    (func (export "ld") (param i64) (result i32) local.get 0 i32.load offset=4)
    (func (export "st") (param i64 i32) local.get 0 local.get 1 i32.store)))",
             c);
  auto ld = fx.f("ld").typed<int32_t(uint64_t)>();
  auto st = fx.f("st").typed<void(uint64_t, int32_t)>();
  st(8, 42);
  EXPECT_EQ(ld(4), 42);
  EXPECT_THROW(ld(65532), Trap);
  EXPECT_THROW(ld((uint64_t{1} << 32) + 4), Trap);  // would alias address 8 if truncated
  EXPECT_THROW(st((uint64_t{1} << 32) + 8, 1), Trap);
  EXPECT_THROW(ld(UINT64_MAX - 2), Trap);  // address + offset overflows 64 bits
  EXPECT_EQ(ld(4), 42);
}

}  // namespace
}  // namespace ember

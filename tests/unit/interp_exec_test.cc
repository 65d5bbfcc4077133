// Interpreter tests: translation edge cases (deferred local operands, branch
// values, multi-value, loops with params) and execution semantics (traps,
// calls, recursion limits), on hand-assembled modules run through the
// runtime.
#include <gtest/gtest.h>

#include <bit>

#include "interp_builder.hh"
#include "interp/interp.hh"

namespace ember::testing {
namespace {

// One exported function "f" of the given type and body.
Bytes one_func(Bytes params, Bytes results, Bytes body, Bytes locals = {0x00}) {
  ModuleBuilder b;
  uint32_t t = b.type(params, results);
  b.func(t, locals, body, "f");
  return b.build();
}

TEST(InterpExec, Add) {
  Instance in(one_func({I32, I32}, {I32}, cat({lget(0), lget(1), {0x6A, 0x0B}})));
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("f", {40, 2}), 42u);
  EXPECT_EQ(in.call1("f", {0xFFFFFFFF, 1}), 0u);  // wraps in 32 bits
}

TEST(InterpExec, PendingLocalReadSurvivesLocalSet) {
  // local.get 0 ; i32.const 5 ; local.set 0 ; local.get 0 ; i32.add
  // -> old x + 5: the deferred read of x must see the old value.
  Instance in(one_func({I32}, {I32}, cat({lget(0), i32c(5), lset(0), lget(0), {0x6A, 0x0B}})));
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("f", {10}), 15u);
}

TEST(InterpExec, PendingLocalReadSurvivesLocalTee) {
  // x * (x + 1) with the tee writing x in between.
  Instance in(
      one_func({I32}, {I32}, cat({lget(0), lget(0), i32c(1), {0x6A}, ltee(0), {0x6C, 0x0B}})));
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("f", {3}), 12u);
}

TEST(InterpExec, PendingLocalAcrossBlockWithConditionalSet) {
  // local.get 0 ; block ; local.get 1 ; br_if 0 ; i32.const 9 ; local.set 0 ; end
  // local.get 0 ; i32.add  -> old x + (new or old x)
  Bytes body = cat({lget(0),
                    {0x02, 0x40},
                    lget(1),
                    {0x0D, 0x00},
                    i32c(9),
                    lset(0),
                    {0x0B},
                    lget(0),
                    {0x6A, 0x0B}});
  Instance in(one_func({I32, I32}, {I32}, body));
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("f", {1, 0}), 10u);  // 1 + 9
  EXPECT_EQ(in.call1("f", {1, 1}), 2u);   // 1 + 1 (branch skipped the set)
}

TEST(InterpExec, SwapThroughMultiValueReturn) {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32, I32});
  b.func(t, {0x00}, cat({lget(1), lget(0), {0x0B}}), "swap");
  Instance in(b.build());
  ASSERT_EQ(in.error, "");
  std::vector<rt::Slot> r;
  ASSERT_EQ(in.call("swap", {1, 2}, &r), TrapCode::None);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], 2u);
  EXPECT_EQ(r[1], 1u);
}

TEST(InterpExec, BrOutOfNestedBlocksCarriesValue) {
  // block (result i32) ; i32.const 1 ; block ; i32.const 7 ; br 1 ; end ; drop ; i32.const 0 ; end
  Bytes body = cat({{0x02, I32},
                    i32c(1),
                    {0x02, 0x40},
                    i32c(7),
                    {0x0C, 0x01, 0x0B, 0x1A},
                    i32c(0),
                    {0x0B, 0x0B}});
  Instance in(one_func({}, {I32}, body));
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("f", {}), 7u);
}

TEST(InterpExec, BrIfWithValueTakenAndNotTaken) {
  // block (result i32) ; local.get 0 (value) ; local.get 1 (cond) ; br_if 0 ;
  //   i32.const 100 ; i32.add ; end
  Bytes body = cat({{0x02, I32}, lget(0), lget(1), {0x0D, 0x00}, i32c(100), {0x6A, 0x0B, 0x0B}});
  Instance in(one_func({I32, I32}, {I32}, body));
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("f", {5, 1}), 5u);
  EXPECT_EQ(in.call1("f", {5, 0}), 105u);
}

TEST(InterpExec, BrTableSelectsTargetsWithValues) {
  // block(result i32) block(result i32) block(result i32)
  //   i32.const 10 ; local.get 0 ; br_table 0 1 2 ; end ; i32.const 1 ; i32.add ; end
  //   i32.const 2 ; i32.add ; end
  Bytes body = cat({{0x02, I32, 0x02, I32, 0x02, I32},
                    i32c(10),
                    lget(0),
                    {0x0E, 0x02, 0x00, 0x01, 0x02, 0x0B},
                    i32c(1),
                    {0x6A, 0x0B},
                    i32c(2),
                    {0x6A, 0x0B, 0x0B}});
  Instance in(one_func({I32}, {I32}, body));
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("f", {0}), 13u);
  EXPECT_EQ(in.call1("f", {1}), 12u);
  EXPECT_EQ(in.call1("f", {2}), 10u);
  EXPECT_EQ(in.call1("f", {99}), 10u);  // default
}

TEST(InterpExec, LoopWithParamsSums) {
  // sum 1..n with a loop carrying (acc, i) as block params:
  // i32.const 0 ; local.get 0 ; loop (param i32 i32) (result i32)
  //   local.set 1 (i) ; local.get 1 ; i32.add (acc+i) ; local.get 1 ; i32.const 1 ; i32.sub
  //   local.tee 1 ; local.get 1 ; br_if 0 ; drop ; end
  ModuleBuilder b;
  uint32_t lt = b.type({I32, I32}, {I32});
  uint32_t t = b.type({I32}, {I32});
  Bytes body = cat({i32c(0),
                    lget(0),
                    {0x03, uint8_t(lt)},
                    lset(1),
                    lget(1),
                    {0x6A},
                    lget(1),
                    i32c(1),
                    {0x6B},
                    ltee(1),
                    lget(1),
                    {0x0D, 0x00, 0x1A, 0x0B, 0x0B}});
  b.func(t, {0x01, 0x01, I32}, body, "f");
  Instance in(b.build());
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("f", {10}), 55u);
  EXPECT_EQ(in.call1("f", {1}), 1u);
}

TEST(InterpExec, IfElseWithFusedCompare) {
  // if (x < 10) 1 else 2
  Bytes body = cat({lget(0), i32c(10), {0x48, 0x04, I32}, i32c(1), {0x05}, i32c(2), {0x0B, 0x0B}});
  Instance in(one_func({I32}, {I32}, body));
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("f", {3}), 1u);
  EXPECT_EQ(in.call1("f", {10}), 2u);
  EXPECT_EQ(in.call1("f", {uint32_t(-5)}), 1u);  // signed compare
}

TEST(InterpExec, RecursiveFactorial) {
  // fac(n) = n == 0 ? 1 : n * fac(n - 1), on i64
  ModuleBuilder b;
  uint32_t t = b.type({I64}, {I64});
  Bytes body = cat({lget(0),
                    {0x50, 0x04, I64},
                    i64c(1),
                    {0x05},
                    lget(0),
                    lget(0),
                    i64c(1),
                    {0x7D},
                    call(0),
                    {0x7E, 0x0B, 0x0B}});
  b.func(t, {0x00}, body, "fac");
  Instance in(b.build());
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("fac", {20}), 2432902008176640000ull);
}

TEST(InterpExec, InfiniteRecursionTrapsWithStackOverflow) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  b.func(t, {0x00}, cat({call(0), {0x0B}}), "f");
  Instance in(b.build());
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call("f", {}), TrapCode::StackOverflow);
  // The store stays usable afterwards.
  EXPECT_EQ(in.call("f", {}), TrapCode::StackOverflow);
}

TEST(InterpExec, IntegerTraps) {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32});
  b.func(t, {0x00}, cat({lget(0), lget(1), {0x6D, 0x0B}}), "div_s");
  b.func(t, {0x00}, cat({lget(0), lget(1), {0x6F, 0x0B}}), "rem_s");
  Instance in(b.build());
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call("div_s", {1, 0}), TrapCode::IntegerDivideByZero);
  EXPECT_EQ(in.call("div_s", {0x80000000u, 0xFFFFFFFFu}), TrapCode::IntegerOverflow);
  EXPECT_EQ(in.call1("rem_s", {0x80000000u, 0xFFFFFFFFu}), 0u);
  EXPECT_EQ(in.call1("div_s", {uint32_t(-7), 2}), uint32_t(-3));
}

TEST(InterpExec, UnreachableTrapsWithBacktrace) {
  Instance in(one_func({}, {}, {0x01, 0x00, 0x0B}));
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call("f", {}), TrapCode::Unreachable);
  auto bt = interp::last_backtrace(in.store);
  ASSERT_EQ(bt.size(), 1u);
  EXPECT_EQ(bt[0].func_index, 0u);
  EXPECT_GT(bt[0].module_offset, 0u);
}

TEST(InterpExec, MemoryBoundsAreChecked) {
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {I32});
  b.memory(1);
  b.func(t, {0x00}, cat({lget(0), {0x28, 0x02, 0x00, 0x0B}}), "load");
  uint32_t st = b.type({I32, I32}, {});
  b.func(st, {0x00}, cat({lget(0), lget(1), {0x36, 0x02, 0x04, 0x0B}}), "store_at_plus4");
  Instance in(b.build());
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call("store_at_plus4", {100, 0xABCD}), TrapCode::None);
  EXPECT_EQ(in.call1("load", {104}), 0xABCDu);
  EXPECT_EQ(in.call1("load", {65532}), 0u);
  EXPECT_EQ(in.call("load", {65533}), TrapCode::MemoryOutOfBounds);
  EXPECT_EQ(in.call("load", {0xFFFFFFFFu}), TrapCode::MemoryOutOfBounds);
  EXPECT_EQ(in.call("store_at_plus4", {65532, 1}), TrapCode::MemoryOutOfBounds);
}

TEST(InterpExec, CallIndirectTraps) {
  ModuleBuilder b;
  uint32_t t0 = b.type({}, {I32});
  uint32_t t1 = b.type({I32}, {I32});
  b.table(3);
  uint32_t f0 = b.func(t0, {0x00}, cat({i32c(42), {0x0B}}));
  b.func(t1, {0x00}, cat({lget(0), {0x11, uint8_t(t0), 0x00, 0x0B}}), "ci");
  b.elem(0, {f0, 1});
  Instance in(b.build());
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("ci", {0}), 42u);
  EXPECT_EQ(in.call("ci", {1}), TrapCode::IndirectCallTypeMismatch);
  EXPECT_EQ(in.call("ci", {2}), TrapCode::UninitializedElement);
  EXPECT_EQ(in.call("ci", {3}), TrapCode::UndefinedElement);
}

TEST(InterpExec, HostFunctionCalledFromWasm) {
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {I32});
  uint32_t h = b.import_func("env", "double", t);
  b.func(t, {0x00}, cat({lget(0), call(h), i32c(1), {0x6A, 0x0B}}), "f");
  Instance in;
  rt::FuncInst* host = rt::create_host_func(in.store, FuncType{{ValType::I32}, {ValType::I32}},
                                            [](rt::HostCall& hc, rt::Slot* s) {
                                              EXPECT_NE(hc.caller, nullptr);
                                              s[0] = uint32_t(s[0]) * 2;
                                              return TrapCode::None;
                                            });
  in.load(b.build(), {rt::Extern{ExternKind::Func, host}});
  ASSERT_EQ(in.error, "");
  EXPECT_EQ(in.call1("f", {20}), 41u);
}

TEST(InterpExec, FloatSemantics) {
  ModuleBuilder b;
  uint32_t ff = b.type({F32, F32}, {F32});
  uint32_t f1 = b.type({F32}, {F32});
  uint32_t fi = b.type({F32}, {I32});
  b.func(ff, {0x00}, cat({lget(0), lget(1), {0x96, 0x0B}}), "min");
  b.func(f1, {0x00}, cat({lget(0), {0x90, 0x0B}}), "nearest");
  b.func(fi, {0x00}, cat({lget(0), {0xA8, 0x0B}}), "trunc_s");
  b.func(fi, {0x00}, cat({lget(0), {0xFC, 0x00, 0x0B}}), "trunc_sat_s");
  Instance in(b.build());
  ASSERT_EQ(in.error, "");
  auto bits = [](float f) { return rt::Slot(std::bit_cast<uint32_t>(f)); };
  EXPECT_EQ(in.call1("min", {bits(0.0f), bits(-0.0f)}), bits(-0.0f));
  EXPECT_EQ(in.call1("nearest", {bits(2.5f)}), bits(2.0f));
  EXPECT_EQ(in.call1("nearest", {bits(3.5f)}), bits(4.0f));
  EXPECT_EQ(in.call1("trunc_s", {bits(-2147483648.0f)}), 0x80000000u);
  EXPECT_EQ(in.call("trunc_s", {bits(2147483648.0f)}), TrapCode::IntegerOverflow);
  EXPECT_EQ(in.call("trunc_s", {bits(std::numeric_limits<float>::quiet_NaN())}),
            TrapCode::InvalidConversionToInteger);
  EXPECT_EQ(in.call1("trunc_sat_s", {bits(1e20f)}), 0x7FFFFFFFu);
  EXPECT_EQ(in.call1("trunc_sat_s", {bits(std::numeric_limits<float>::quiet_NaN())}), 0u);
}

}  // namespace
}  // namespace ember::testing

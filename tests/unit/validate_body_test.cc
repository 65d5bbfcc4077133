// Validator tests: module-level rules and function-body type checking, with
// hand-assembled binaries. Asserts error categories (and key messages).
#include <gtest/gtest.h>

#include "interp_builder.hh"

namespace ember::testing {
namespace {

struct Result {
  bool ok;
  ErrorKind kind;
  std::string message;
};

Result check(const Bytes& bytes, FeatureSet features = FeatureSet::defaults()) {
  rt::EngineData engine;
  engine.config.features = features;
  auto m = compile(bytes, engine);
  if (m) return {true, ErrorKind::Internal, ""};
  return {false, m.error().kind(), m.error().message()};
}

// A module with one function of type params -> results and the given body.
Bytes one_func(Bytes params, Bytes results, Bytes body, Bytes locals = {0x00}) {
  ModuleBuilder b;
  uint32_t t = b.type(params, results);
  b.func(t, locals, body);
  return b.build();
}

TEST(ValidateBody, AcceptsWellTypedArithmetic) {
  auto r = check(one_func({I32, I32}, {I32}, cat({lget(0), lget(1), {0x6A, 0x0B}})));
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(ValidateBody, RejectsWrongResultType) {
  auto r = check(one_func({}, {I32}, cat({i64c(0), {0x0B}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  EXPECT_EQ(r.message, "type mismatch");
}

TEST(ValidateBody, RejectsStackUnderflow) {
  auto r = check(one_func({}, {I32}, cat({i32c(1), {0x6A, 0x0B}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
}

TEST(ValidateBody, UnreachableMakesStackPolymorphic) {
  // unreachable; i32.add  -> fine: operands are of the bottom type.
  EXPECT_TRUE(check(one_func({}, {I32}, {0x00, 0x6A, 0x0B})).ok);
  // unreachable; i64.const; i32.add -> the known operand still mismatches.
  auto r = check(one_func({}, {I32}, cat({{0x00}, i64c(1), {0x6A, 0x0B}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  // br leaves a polymorphic stack for the rest of the block, too.
  EXPECT_TRUE(check(one_func({}, {I32}, cat({i32c(1), {0x0C, 0x00, 0x6A, 0x0B}}))).ok);
}

TEST(ValidateBody, ExtraValuesAtEndAreRejected) {
  auto r = check(one_func({}, {}, cat({i32c(1), {0x0B}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "type mismatch");
}

TEST(ValidateBody, BrTableTargetsMustAgreeInArity) {
  // block (result i32) block ; i32.const 0 ; i32.const 0 ; br_table 0 1 ; end ; ...
  Bytes body = cat({{0x02, I32, 0x02, 0x40},
                    i32c(0),
                    i32c(0),
                    {0x0E, 0x01, 0x00, 0x01, 0x0B},
                    i32c(1),
                    {0x0B, 0x0B}});
  auto r = check(one_func({}, {I32}, body));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
}

TEST(ValidateBody, UntypedSelectRejectsReferences) {
  Bytes body = {0xD0, FUNCREF, 0xD0, FUNCREF, 0x41, 0x01, 0x1B, 0x1A, 0x0B};
  auto r = check(one_func({}, {}, body));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "type mismatch");
  // Typed select accepts them.
  Bytes typed = {0xD0, FUNCREF, 0xD0, FUNCREF, 0x41, 0x01, 0x1C, 0x01, FUNCREF, 0x1A, 0x0B};
  EXPECT_TRUE(check(one_func({}, {}, typed)).ok);
}

TEST(ValidateBody, UnknownLocalAndLabel) {
  auto r = check(one_func({}, {}, cat({lget(3), {0x1A, 0x0B}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  r = check(one_func({}, {}, {0x0C, 0x05, 0x0B}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "unknown label");
}

TEST(ValidateBody, HugeLocalCountFailsFastAsMalformed) {
  Bytes locals = {0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, I32, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, I64};
  auto r = check(one_func({}, {}, {0x0B}, locals));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Malformed);
  EXPECT_EQ(r.message, "too many locals");
}

TEST(ValidateBody, MissingEndIsMalformed) {
  auto r = check(one_func({}, {}, {0x01}));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Malformed);
}

TEST(ValidateBody, MalformedLaterInBodyWinsOverTypeError) {
  // i64.const 0 (a type error at the end) and then an illegal opcode.
  auto r = check(one_func({}, {I32}, cat({i64c(0), {0x0B}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  ModuleBuilder b;
  uint32_t t = b.type({}, {I32});
  b.func(t, {0x00}, cat({i64c(0), {0x0B}}));
  b.func(t, {0x00}, {0xFF, 0x0B});  // illegal opcode in the next body
  r = check(b.build());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Malformed);
}

TEST(ValidateBody, MemoryInitWithoutDataCountIsMalformed) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  b.memory(1);
  b.func(t, {0x00}, cat({i32c(0), i32c(0), i32c(0), {0xFC, 0x08, 0x00, 0x00, 0x0B}}));
  auto r = check(b.build());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Malformed);
  EXPECT_EQ(r.message, "data count section required");
}

TEST(ValidateBody, AlignmentMustNotExceedNatural) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {I32});
  b.memory(1);
  b.func(t, {0x00}, cat({i32c(0), {0x28, 0x03, 0x00, 0x0B}}));  // i32.load align=8
  auto r = check(b.build());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "alignment must not be larger than natural");
}

TEST(ValidateBody, RefFuncNeedsDeclaration) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  b.func(t, {0x00}, {0xD2, 0x00, 0x1A, 0x0B});
  auto r = check(b.build());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "undeclared function reference");
  ModuleBuilder ok;
  t = ok.type({}, {});
  ok.func(t, {0x00}, {0xD2, 0x00, 0x1A, 0x0B}, "f");  // exported = declared
  EXPECT_TRUE(check(ok.build()).ok);
}

TEST(ValidateBody, MultiValueBlocksAndLoops) {
  // (type (func (param i32) (result i32 i32))) used by a block.
  ModuleBuilder b;
  uint32_t bt = b.type({I32}, {I32, I32});
  uint32_t t = b.type({}, {I32});
  b.func(t, {0x00}, cat({i32c(1), {0x02, uint8_t(bt)}, i32c(2), {0x0B, 0x6A, 0x0B}}));
  EXPECT_TRUE(check(b.build()).ok);
  (void)bt;
}

TEST(ValidateBody, WideArithmeticIsGatedAndTyped) {
  // i64.mul_wide_u (0xFC 22): [i64 i64] -> [i64 i64].
  Bytes body = cat({lget(0), lget(1), {0xFC, 0x16, 0x0B}});
  FeatureSet on = FeatureSet::defaults(), off = on;  // on by default, as in wasmtime
  off.set(Feature::WideArithmetic, false);
  EXPECT_TRUE(check(one_func({I64, I64}, {I64, I64}, body), on).ok);
  auto r = check(one_func({I64, I64}, {I64, I64}, body), off);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  EXPECT_EQ(r.message, "i64.mul_wide_u requires the wide_arithmetic feature");
  // Two results: one is not enough, and an i32 operand is not an i64.
  r = check(one_func({I64, I64}, {I64}, body), on);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  r = check(one_func({I64, I32}, {I64, I64}, body), on);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  // i64.add128 (0xFC 19) pops four.
  Bytes add = cat({lget(0), lget(1), lget(2), {0xFC, 0x13, 0x0B}});
  EXPECT_FALSE(check(one_func({I64, I64, I64}, {I64, I64}, add), on).ok);
}

TEST(ValidateModule, MemoryLimits) {
  ModuleBuilder b;
  b.memory(65537);
  auto r = check(b.build());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "memory size must be at most 65536 pages (4GiB)");
  ModuleBuilder c;
  c.memory(2, 1);
  r = check(c.build());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "size minimum must not be greater than maximum");
}

TEST(ValidateModule, DuplicateExportNames) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  b.func(t, {0x00}, {0x0B}, "a");
  b.export_("a", 0, 0);
  auto r = check(b.build());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "duplicate export name");
}

TEST(ValidateModule, StartFunctionType) {
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {});
  b.func(t, {0x00}, {0x0B});
  b.raw_section(8, {0x00});
  auto r = check(b.build());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "start function");
}

TEST(ValidateModule, GlobalInitializerMustBeConstant) {
  ModuleBuilder b;
  // (global i32 (i32.const 1) (i32.const 2) i32.add) without extended-const
  // is fine with it enabled; a nop is never constant.
  b.raw_section(6, {0x01, I32, 0x00, 0x01, 0x0B});
  auto r = check(b.build());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "constant expression required");
  ModuleBuilder c;
  c.raw_section(6, {0x01, I32, 0x00, 0x42, 0x00, 0x0B});  // i64.const for an i32
  r = check(c.build());
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "type mismatch");
}

}  // namespace
}  // namespace ember::testing

// SIMD tests: decoding and validation errors of the 0xFD immediates (lane
// indices, shuffle masks, alignment hints, feature gates), the text forms,
// and execution through the public API of what the register IR does with
// two-slot values (v128 locals and arguments across calls, block params and
// results, globals, host calls) plus the relaxed SIMD modes.
#include <gtest/gtest.h>

#include <cstring>

#include "ember/ember.hh"
#include "interp_builder.hh"
#include "text/wat.hh"

namespace ember::testing {
namespace {

constexpr uint8_t V128 = 0x7B;

// 0xFD-prefixed opcode.
Bytes simd(uint32_t code) {
  Bytes b{0xFD};
  uleb(b, code);
  return b;
}
Bytes v128c(uint8_t fill) {
  Bytes b = simd(0x0C);
  for (int i = 0; i < 16; i++) b.push_back(fill);
  return b;
}

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

Bytes one_func(Bytes params, Bytes results, Bytes body, Bytes locals = {0x00}) {
  ModuleBuilder b;
  uint32_t t = b.type(params, results);
  b.memory(1);
  b.func(t, locals, body);
  return b.build();
}

// ---- validation ---------------------------------------------------------------

TEST(SimdValidate, ExtractLaneIndexBoundPerShape) {
  // i8x16.extract_lane_s 15 is the last lane; 16 is out of range.
  EXPECT_TRUE(check(one_func({}, {I32}, cat({v128c(1), simd(0x15), {15, 0x0B}}))).ok);
  auto r = check(one_func({}, {I32}, cat({v128c(1), simd(0x15), {16, 0x0B}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  EXPECT_EQ(r.message, "invalid lane index");
  // i64x2.replace_lane has two lanes.
  r = check(one_func({}, {V128}, cat({v128c(0), i64c(1), simd(0x1E), {2, 0x0B}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "invalid lane index");
  EXPECT_TRUE(check(one_func({}, {V128}, cat({v128c(0), i64c(1), simd(0x1E), {1, 0x0B}}))).ok);
}

TEST(SimdValidate, ShuffleMaskIndicesBelow32) {
  Bytes ok = cat({v128c(1), v128c(2), simd(0x0D)});
  for (int i = 0; i < 16; i++) ok.push_back(uint8_t(31 - i));
  ok.push_back(0x0B);
  EXPECT_TRUE(check(one_func({}, {V128}, ok)).ok);
  Bytes bad = cat({v128c(1), v128c(2), simd(0x0D)});
  for (int i = 0; i < 16; i++) bad.push_back(i == 7 ? 32 : 0);
  bad.push_back(0x0B);
  auto r = check(one_func({}, {V128}, bad));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  EXPECT_EQ(r.message, "invalid lane index");
}

TEST(SimdValidate, TruncatedImmediatesAreMalformed) {
  // A shuffle mask cut short, and a v128.const with 3 bytes, end the body.
  Bytes shuffle = cat({v128c(1), v128c(2), simd(0x0D), {0, 1, 2}});
  auto r = check(one_func({}, {V128}, shuffle));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Malformed);
  r = check(one_func({}, {V128}, cat({simd(0x0C), {1, 2, 3}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Malformed);
}

TEST(SimdValidate, UnassignedOpcodeIsMalformed) {
  // 0xFD 0x9A is a hole in the opcode space.
  auto r = check(one_func({}, {}, cat({v128c(1), simd(0x9A), {0x1A, 0x0B}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Malformed);
  EXPECT_EQ(r.message, "illegal opcode");
}

TEST(SimdValidate, AlignmentAtMostNatural) {
  // v128.load align=2^4 is natural; 2^5 is not.
  Bytes body = cat({i32c(0), simd(0x00), {4, 0}, {0x0B}});
  EXPECT_TRUE(check(one_func({}, {V128}, body)).ok);
  body = cat({i32c(0), simd(0x00), {5, 0}, {0x0B}});
  auto r = check(one_func({}, {V128}, body));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  EXPECT_EQ(r.message, "alignment must not be larger than natural");
  // load8x8_s accesses 8 bytes; load32_splat 4; load16_lane 2.
  EXPECT_FALSE(check(one_func({}, {V128}, cat({i32c(0), simd(0x01), {4, 0}, {0x0B}}))).ok);
  EXPECT_FALSE(check(one_func({}, {V128}, cat({i32c(0), simd(0x09), {3, 0}, {0x0B}}))).ok);
  EXPECT_FALSE(
      check(one_func({}, {V128}, cat({i32c(0), v128c(0), simd(0x55), {2, 0, 0}, {0x0B}}))).ok);
  EXPECT_TRUE(
      check(one_func({}, {V128}, cat({i32c(0), v128c(0), simd(0x55), {1, 0, 7}, {0x0B}}))).ok);
}

TEST(SimdValidate, LaneMemoryOpsCheckTheLane) {
  // v128.load32_lane has lanes 0..3.
  auto r = check(one_func({}, {V128}, cat({i32c(0), v128c(0), simd(0x56), {2, 0, 4}, {0x0B}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "invalid lane index");
  // v128.store64_lane lane 1 is fine, 2 is not.
  EXPECT_TRUE(check(one_func({}, {}, cat({i32c(0), v128c(0), simd(0x5B), {3, 0, 1}, {0x0B}}))).ok);
  EXPECT_FALSE(check(one_func({}, {}, cat({i32c(0), v128c(0), simd(0x5B), {3, 0, 2}, {0x0B}}))).ok);
}

TEST(SimdValidate, OperandTypes) {
  // i8x16.shl takes [v128 i32].
  auto r = check(one_func({}, {V128}, cat({v128c(0), v128c(0), simd(0x6B), {0x0B}})));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "type mismatch");
  // A v128 where an i32 is expected, and the other way round.
  EXPECT_FALSE(check(one_func({}, {I32}, cat({v128c(0), {0x0B}}))).ok);
  EXPECT_FALSE(check(one_func({}, {V128}, cat({i32c(0), {0x0B}}))).ok);
}

TEST(SimdValidate, FeatureGates) {
  FeatureSet no_simd = FeatureSet::defaults();
  no_simd.set(Feature::Simd, false);
  auto r = check(one_func({}, {V128}, cat({v128c(0), {0x0B}})), no_simd);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  r = check(one_func({}, {}, {0x0B}, {0x01, 0x01, V128}), no_simd);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.kind, ErrorKind::Invalid);
  r = check(one_func({V128}, {}, {0x0B}), no_simd);  // a v128 in a signature
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.message, "v128 requires the simd feature");
  EXPECT_TRUE(check(one_func({V128}, {}, {0x0B})).ok);
  FeatureSet no_relaxed = FeatureSet::defaults();
  no_relaxed.set(Feature::RelaxedSimd, false);
  Bytes relaxed = cat({v128c(0), v128c(0), simd(0x100), {0x0B}});
  EXPECT_TRUE(check(one_func({}, {V128}, relaxed)).ok);
  EXPECT_FALSE(check(one_func({}, {V128}, relaxed), no_relaxed).ok);
}

// ---- text ---------------------------------------------------------------------

ErrorKind text_error(const std::string& body) {
  auto r = wat_to_wasm("(module (memory 1) (func (result v128) " + body + "))");
  return r ? ErrorKind::Internal : r.error().kind();
}

TEST(SimdText, LaneAndShuffleImmediates) {
  EXPECT_EQ(text_error("(i8x16.replace_lane 256 (v128.const i64x2 0 0) (i32.const 1))"),
            ErrorKind::Malformed);
  EXPECT_EQ(text_error("(i8x16.replace_lane -1 (v128.const i64x2 0 0) (i32.const 1))"),
            ErrorKind::Malformed);
  EXPECT_EQ(text_error("(i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14"
                       " (v128.const i64x2 0 0) (v128.const i64x2 0 0))"),
            ErrorKind::Malformed);
  EXPECT_EQ(text_error("(v128.const i32x4 1 2 3)"), ErrorKind::Malformed);
  EXPECT_EQ(text_error("(v128.const i8x16 256 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)"),
            ErrorKind::Malformed);
  EXPECT_EQ(text_error("(v128.const i16x4 0 0 0 0)"), ErrorKind::Malformed);
  // Lane loads: a lone number is the lane; two numbers are memory and lane.
  EXPECT_EQ(text_error("(v128.load8_lane 15 (i32.const 0) (v128.const i64x2 0 0))"),
            ErrorKind::Internal);
  EXPECT_EQ(text_error("(v128.load8_lane 0 15 (i32.const 0) (v128.const i64x2 0 0))"),
            ErrorKind::Internal);
}

TEST(SimdText, ConstShapesEncodeLittleEndianLanes) {
  auto a = wat_to_wasm("(module (func (result v128) (v128.const i16x8 1 2 3 4 5 6 7 -1)))");
  auto b = wat_to_wasm(
      "(module (func (result v128) (v128.const i8x16 1 0 2 0 3 0 4 0 5 0 6 0 7 0 255 255)))");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  auto c = wat_to_wasm("(module (func (result v128) (v128.const f32x4 1 -0 0x1p-1 inf)))");
  auto d = wat_to_wasm(
      "(module (func (result v128) (v128.const i32x4 0x3f800000 0x80000000 0x3f000000 "
      "0x7f800000)))");
  ASSERT_TRUE(c && d);
  EXPECT_EQ(*c, *d);
}

// ---- execution through the public API -------------------------------------------

struct Fixture {
  Engine engine;
  Store store;
  ember::Instance inst;
  Fixture(const char* wat, const Config& config = Config())
      : engine(config), store(engine), inst(store, Module::from_text(engine, wat), {}) {}
  Func func(const char* name) { return *inst.get_export(name)->func(); }
};

Val v(uint64_t lo, uint64_t hi) {
  return Val::v128(lo, hi);
}
void expect_v128(const Val& got, uint64_t lo, uint64_t hi) {
  ASSERT_EQ(got.type(), ValType::V128);
  EXPECT_EQ(got.bits(), lo);
  EXPECT_EQ(got.bits_hi(), hi);
}

TEST(SimdExec, V128ArgumentsAndResultsAcrossCalls) {
  // Mixed widths shift every later slot: i32, v128, i64, v128 -> v128, i64, v128.
  Fixture f(R"((module
    (func $inner (param i32 v128 i64 v128) (result v128 i64 v128)
      (i32x4.add (local.get 1) (i32x4.splat (local.get 0)))
      (local.get 2)
      (local.get 3))
    (func (export "outer") (param v128 v128) (result v128 i64 v128)
      (local $t v128)
      (local.set $t (local.get 1))
      (call $inner (i32.const 1) (local.get 0) (i64.const 77) (local.get $t)))))");
  std::vector<Val> r = f.func("outer").call(
      std::vector<Val>{v(0x0000000200000001, 0x0000000400000003), v(0x1111, 0x2222)});
  ASSERT_EQ(r.size(), 3u);
  expect_v128(r[0], 0x0000000300000002, 0x0000000500000004);
  EXPECT_EQ(r[1].i64(), 77);
  expect_v128(r[2], 0x1111, 0x2222);
}

TEST(SimdExec, V128BlockParamsAndResults) {
  Fixture f(R"((module
    (func (export "f") (param $x v128) (param $n i32) (result v128)
      (local.get $x)
      (i32.const 0)
      (block (param v128 i32) (result v128)
        (drop)
        (loop (param v128) (result v128)
          (i32x4.add (i32x4.splat (i32.const 1)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if 0 (local.get $n)))
        (if (param v128) (result v128) (i32.const 1)
          (then (i64x2.neg))
          (else))))
    (func (export "table") (param $i i32) (result v128)
      (block (result v128)
        (block (result v128)
          (br_table 0 1 (v128.const i32x4 7 7 7 7) (local.get $i)))
        (i32x4.mul (v128.const i32x4 2 2 2 2))))))");
  std::vector<Val> r = f.func("f").call(std::vector<Val>{v(0, 0), Val::i32(3)});
  // Lanes 3 3 3 3 after the loop, then i64x2.neg of (3 | 3 << 32).
  uint64_t three = 0x0000000300000003;
  expect_v128(r[0], uint64_t(0) - three, uint64_t(0) - three);
  r = f.func("table").call(std::vector<Val>{Val::i32(0)});
  expect_v128(r[0], 0x0000000E0000000E, 0x0000000E0000000E);
  r = f.func("table").call(std::vector<Val>{Val::i32(5)});
  expect_v128(r[0], 0x0000000700000007, 0x0000000700000007);
}

TEST(SimdExec, V128GlobalsFromWasmAndEmbedder) {
  Engine engine;
  Store store(engine);
  Global imported = Global::create(store, GlobalType{ValType::V128, false}, v(5, 6));
  Module m = Module::from_text(engine, R"((module
    (import "env" "g" (global $in v128))
    (global $acc (export "acc") (mut v128) (v128.const i64x2 1 2))
    (func (export "bump") (result v128)
      (global.set $acc (i64x2.add (global.get $acc) (global.get $in)))
      (global.get $acc))))");
  ember::Instance inst(store, m, std::vector<Extern>{imported});
  Func bump = *inst.get_export("bump")->func();
  expect_v128(bump.call({})[0], 6, 8);
  Global acc = *inst.get_export("acc")->global();
  expect_v128(acc.get(), 6, 8);
  acc.set(v(100, 200));
  expect_v128(bump.call({})[0], 105, 206);
}

TEST(SimdExec, SelectTeeAndAliasedResults) {
  Fixture f(R"((module
    (func (export "f") (param $a v128) (param $b v128) (param $c i32) (result v128 v128)
      (local.set $a (i8x16.add (local.get $a) (local.get $b)))
      (select (local.get $a) (local.tee $b (f32x4.min (local.get $b) (local.get $b)))
              (local.get $c))
      (local.get $b))))");
  std::vector<Val> r =
      f.func("f").call(std::vector<Val>{v(0x0101, 0), v(0x3f800000, 0), Val::i32(1)});
  expect_v128(r[0], 0x3f800101, 0);
  expect_v128(r[1], 0x3f800000, 0);
  r = f.func("f").call(std::vector<Val>{v(0x0101, 0), v(0x3f800000, 0), Val::i32(0)});
  expect_v128(r[0], 0x3f800000, 0);
}

TEST(SimdExec, HostFunctionsTakeAndReturnV128) {
  Engine engine;
  Store store(engine);
  // A host function of type (i32 v128) -> (v128 i32) that calls back into
  // wasm before reading its arguments: the nested call's frame must start
  // above the whole buffer of max(3, 3) slots.
  FuncType t{{ValType::I32, ValType::V128}, {ValType::V128, ValType::I32}};
  Func host = Func::create(store, t, [](Caller& caller, uint64_t* s) {
    Func inner = *caller.get_export("inner")->func();
    inner.call(std::vector<Val>{Val::v128(~0ull, ~0ull), Val::v128(~0ull, ~0ull)});
    uint32_t k = uint32_t(s[0]);
    uint64_t lo = s[1], hi = s[2];
    s[0] = hi + k;
    s[1] = lo + k;
    s[2] = k * 2;
  });
  Module m = Module::from_text(engine, R"((module
    (import "env" "h" (func $h (param i32 v128) (result v128 i32)))
    (func (export "inner") (param v128 v128) (result v128)
      (local v128 v128)
      (local.set 2 (local.get 0))
      (local.set 3 (local.get 1))
      (v128.xor (local.get 2) (local.get 3)))
    (func (export "f") (param v128) (result v128)
      (local $keep v128)
      (local.set $keep (v128.const i64x2 -1 -1))
      (call $h (i32.const 3) (local.get 0))
      (drop)
      (v128.and (local.get $keep)))))");
  ember::Instance inst(store, m, std::vector<Extern>{host});
  expect_v128(inst.get_export("f")->func()->call(std::vector<Val>{v(10, 20)})[0], 23, 13);
}

TEST(SimdExec, TailCallsMoveTwoSlotArguments) {
  // return_call reuses the frame: the v128 arguments (and the i32 between
  // them) move down to the frame's base; a host callee's buffer is in slots.
  Engine engine;
  Store store(engine);
  FuncType t{{ValType::V128, ValType::I32}, {ValType::V128}};
  Func host = Func::create(store, t, [](Caller& caller, uint64_t* s) {
    // Re-enter wasm first: the nested frame must not overlap the 3 slots.
    caller.get_export("leaf")->func()->call(std::vector<Val>{Val::i32(7)});
    s[0] += s[2];
    s[1] += s[2];
  });
  Module m = Module::from_text(engine, R"((module
    (import "env" "h" (func $h (param v128 i32) (result v128)))
    (func (export "leaf") (param i32) (result i32) (local v128 v128) (local.get 0))
    (func $sum (param $acc v128) (param $n i32) (param $step v128) (result v128)
      (if (result v128) (i32.eqz (local.get $n))
        (then (return_call $h (local.get $acc) (i32.const 100)))
        (else (return_call $sum (i64x2.add (local.get $acc) (local.get $step))
                                (i32.sub (local.get $n) (i32.const 1))
                                (local.get $step)))))
    (func (export "f") (param i32) (result v128)
      (local $pad v128)
      (call $sum (v128.const i64x2 0 0) (local.get 0) (v128.const i64x2 1 2)))))");
  ember::Instance inst(store, m, std::vector<Extern>{host});
  Func f = *inst.get_export("f")->func();
  expect_v128(f.call(std::vector<Val>{Val::i32(10)})[0], 110, 120);
  expect_v128(f.call(std::vector<Val>{Val::i32(100000)})[0], 100100, 200100);
}

TEST(SimdExec, MemoryFormsTrapOutOfBounds) {
  Fixture f(R"((module (memory 1)
    (func (export "load") (param i32) (result v128) (v128.load (local.get 0)))
    (func (export "lane") (param i32) (result v128)
      (v128.load64_lane 1 (local.get 0) (v128.const i64x2 1 2)))
    (func (export "store") (param i32)
      (v128.store8_lane 15 (local.get 0) (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 42)))
    (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))))");
  expect_v128(f.func("load").call(std::vector<Val>{Val::i32(65536 - 16)})[0], 0, 0);
  EXPECT_THROW(f.func("load").call(std::vector<Val>{Val::i32(65536 - 15)}), Trap);
  EXPECT_THROW(f.func("lane").call(std::vector<Val>{Val::i32(65536 - 7)}), Trap);
  f.func("store").call(std::vector<Val>{Val::i32(65535)});
  EXPECT_EQ(f.func("byte").call(std::vector<Val>{Val::i32(65535)})[0].i32(), 42);
  EXPECT_THROW(f.func("store").call(std::vector<Val>{Val::i32(65536)}), Trap);
}

// Relaxed SIMD: the default takes the native (x86) results, the
// deterministic profile the non-relaxed operators' results.
const char kRelaxed[] = R"((module
  (func (export "trunc") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
  (func (export "min") (param v128 v128) (result v128) (f32x4.relaxed_min (local.get 0) (local.get 1)))
  (func (export "laneselect") (param v128 v128 v128) (result v128)
    (i32x4.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))))";

TEST(SimdExec, RelaxedNativeAndDeterministic) {
  const uint64_t nan_and_big = 0x4f8000007fc00000;  // lanes: NaN, 2^32
  Config det;
  det.relaxed_simd_deterministic(true);
  Fixture native(kRelaxed), deterministic(kRelaxed, det);
  std::vector<Val> arg{v(nan_and_big, 0)};
  expect_v128(native.func("trunc").call(arg)[0], 0x8000000080000000, 0);
  expect_v128(deterministic.func("trunc").call(arg)[0], 0x7fffffff00000000, 0);
  // min(NaN, 1): the second operand natively, the canonical NaN otherwise.
  std::vector<Val> args{v(0x7fc00001, 0), v(0x3f800000, 0)};
  expect_v128(native.func("min").call(args)[0], 0x3f800000, 0);
  expect_v128(deterministic.func("min").call(args)[0], 0x7fc00000, 0);
  // laneselect is bitwise in both modes.
  std::vector<Val> sel{v(~0ull, ~0ull), v(0, 0), v(0x00000000F0F0F0F0, 0)};
  expect_v128(native.func("laneselect").call(sel)[0], 0x00000000F0F0F0F0, 0);
  expect_v128(deterministic.func("laneselect").call(sel)[0], 0x00000000F0F0F0F0, 0);
}

}  // namespace
}  // namespace ember::testing

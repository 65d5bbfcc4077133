// Tiering (strategy "auto"): a function whose loop entry (OSR) was compiled
// before its own entry, and whose loops do not nest, has its calls served
// by that code -- from its start, with its locals zeroed, whatever the
// frame held -- and those calls spend its hotness, so that its own entry
// is compiled in turn. Calls reach the serving code from the embedder,
// from the interpreter and from compiled code. Nested loops are not
// served.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "ember/ember.hh"
#include "interp/code.hh"
#include "jit/jit.hh"

namespace ember {
namespace {

// $sum's locals start at zero on every call: served from a frame another
// activation left with other values, it must not see them (what a call of
// another $n left there is no state of this call's loop).
const char kProgram[] = R"((module
  (func $sum (export "sum") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (local.get $acc)
          (i64.extend_i32_u (i32.add (local.get $i) (local.get $n)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  (func (export "sums") (param $k i32) (param $n i32) (result i64)
    (local $acc i64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $acc (i64.add (local.get $acc) (call $sum (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  ;; nested loops: its OSR entry does not serve calls (decision 60)
  (func (export "grid") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $acc i64)
    (block $done_i
      (loop $li
        (br_if $done_i (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $done_j
          (loop $lj
            (br_if $done_j (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $j))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $lj)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $li)))
    (local.get $acc)))
)";

// $sum(n): the sum of i + n for i below n.
int64_t triangle(int64_t n) {
  return n * (n - 1) / 2 + n * n;
}

struct Tiered {
  Engine engine;
  Module module;
  Store store;
  Instance instance;

  explicit Tiered(uint32_t tier_up_after)
      : engine([&] {
          Config c;
          c.strategy("auto").tier_up_after(tier_up_after).parallel_compilation(false);
          return c;
        }()),
        module(Module::from_text(engine, kProgram)),
        store(engine),
        instance(store, module, {}) {}

  int64_t call(const char* name, std::vector<Val> args) {
    return instance.get_export(name)->func()->call(args)[0].i64();
  }
  const interp::FuncCode& code(uint32_t defined) const {
    return module.raw()->code->funcs[defined];
  }
  // Whether the function's calls run its OSR entry (no entry of its own yet).
  bool served(uint32_t defined) const {
    const interp::FuncCode& fc = code(defined);
    return fc.osr.get() && fc.native.get() == fc.osr.get()->code &&
           fc.tier.get() != interp::TierState::Compiled;
  }
};

class TierServing : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!jit::available()) GTEST_SKIP() << "this build has no compiled tier";
  }
};

TEST_F(TierServing, TheEmbeddersCallRunsTheLoopEntryFromTheStart) {
  // A budget of 100: the first call's loop spends it (its entry only one
  // unit), so the loop entry is what gets compiled.
  Tiered t(100);
  EXPECT_EQ(t.call("sum", {Val::i32(10000)}), triangle(10000));
  ASSERT_TRUE(t.served(0));
  // The next call is served, from the start with zeroed locals, and asks
  // for the entry, which is compiled before it returns (no parallel
  // compilation).
  EXPECT_EQ(t.call("sum", {Val::i32(3)}), triangle(3));
  EXPECT_FALSE(t.served(0));
  EXPECT_EQ(t.code(0).tier.get(), interp::TierState::Compiled);
  EXPECT_NE(t.code(0).native.get(), t.code(0).osr.get()->code);
  for (int32_t n : {0, 1, 2, 77}) EXPECT_EQ(t.call("sum", {Val::i32(n)}), triangle(n)) << n;
}

TEST_F(TierServing, InterpretedCallersReachIt) {
  Tiered t(100);
  // `sums` runs interpreted; its first call of $sum tiers $sum's loop up;
  // the second is served (and asks for $sum's entry); the rest run that.
  const int32_t k = 5, n = 3000;
  int64_t expected = 0;
  for (int32_t j = 0; j < k; j++) expected += triangle(n - j);
  EXPECT_EQ(t.call("sums", {Val::i32(k), Val::i32(n)}), expected);
  EXPECT_EQ(t.code(0).tier.get(), interp::TierState::Compiled);
}

TEST_F(TierServing, CompiledCallersReachIt) {
  Tiered t(100);
  EXPECT_EQ(t.call("sums", {Val::i32(1), Val::i32(10000)}), triangle(10000));
  ASSERT_TRUE(t.served(0));
  // `sums` gets compiled by calls that do not call $sum.
  for (int i = 0; i < 1000 && !t.code(1).native.get(); i++)
    t.call("sums", {Val::i32(0), Val::i32(0)});
  ASSERT_NE(t.code(1).native.get(), nullptr);
  ASSERT_TRUE(t.served(0));
  // Compiled `sums` calls served $sum (its frame where the first call's
  // was), which asks for its entry; the second call runs that.
  EXPECT_EQ(t.call("sums", {Val::i32(2), Val::i32(50)}), triangle(50) + triangle(49));
  EXPECT_EQ(t.code(0).tier.get(), interp::TierState::Compiled);
}

TEST_F(TierServing, NestedLoopsDoNotServeCalls) {
  // Their OSR entry reaches the inner loop from outside the outer one; a
  // path from the start as well would make the whole nest slower, so the
  // next call asks for (and waits for) the function's own entry.
  Tiered t(100);
  auto grid = [](int64_t n) { return n * n * (n - 1) / 2; };
  EXPECT_EQ(t.call("grid", {Val::i32(300)}), grid(300));
  ASSERT_NE(t.code(2).osr.get(), nullptr);
  EXPECT_EQ(t.code(2).native.get(), nullptr);
  EXPECT_EQ(t.call("grid", {Val::i32(7)}), grid(7));
  EXPECT_EQ(t.code(2).tier.get(), interp::TierState::Compiled);
  EXPECT_NE(t.code(2).native.get(), t.code(2).osr.get()->code);
}

}  // namespace
}  // namespace ember

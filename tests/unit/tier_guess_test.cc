// Tiering (strategy "auto") with parallel compilation: once a function is
// compiled on request, the tiering thread, with nothing asked of it,
// compiles the functions that function calls directly and that loop or
// recurse -- its guess at what gets hot next -- before they are called.
// Functions without either, and anything when the program waits for each
// compile (no parallel compilation) or runs on one core, stay interpreted.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "ember/ember.hh"
#include "interp/code.hh"
#include "jit/jit.hh"

namespace ember {
namespace {

// Defined functions: 0 $count (a loop), 1 $down (recursion), 2 $leaf
// (neither), 3 $unused (a loop nothing calls), 4 "run": a loop that gets
// hot, and calls the first three only when $call is set.
const char kProgram[] = R"((module
  (func $count (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i))
  (func $down (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 2) (call $down (i32.sub (local.get $n) (i32.const 1)))))))
  (func $leaf (param $n i32) (result i32)
    (i32.mul (local.get $n) (i32.const 3)))
  (func $unused (param $n i32) (result i32)
    (loop $l (br_if $l (i32.eqz (local.get $n))))
    (local.get $n))
  (func (export "run") (param $n i32) (param $call i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $i)))
        (if (local.get $call)
          (then
            (local.set $acc (i32.add (local.get $acc) (call $count (local.get $i))))
            (local.set $acc (i32.add (local.get $acc) (call $down (local.get $i))))
            (local.set $acc (i32.add (local.get $acc) (call $leaf (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc)))
)";

constexpr uint32_t kCount = 0, kDown = 1, kLeaf = 2, kUnused = 3, kRun = 4;

struct Tiered {
  Engine engine;
  Module module;
  Store store;
  Instance instance;

  explicit Tiered(bool parallel)
      : engine([&] {
          Config c;
          c.strategy("auto").tier_up_after(100).parallel_compilation(parallel);
          return c;
        }()),
        module(Module::from_text(engine, kProgram)),
        store(engine),
        instance(store, module, {}) {}

  int32_t run(int32_t n, bool call) {
    std::vector<Val> args = {Val::i32(n), Val::i32(call)};
    return instance.get_export("run")->func()->call(args)[0].i32();
  }
  interp::TierState tier(uint32_t defined) const {
    return module.raw()->code->funcs[defined].tier.get();
  }
  // Waits (up to 20 s) for the tiering thread to compile `defined`.
  bool compiled_soon(uint32_t defined) const {
    for (int i = 0; i < 2000 && tier(defined) != interp::TierState::Compiled; i++)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return tier(defined) == interp::TierState::Compiled;
  }
};

// run(n, true): the sum over i < n of i + count(i) + down(i) + leaf(i).
int32_t expected(int32_t n) {
  int64_t acc = 0;
  for (int64_t i = 0; i < n; i++) acc += i + i + 2 * i + 3 * i;
  return int32_t(uint32_t(acc));
}

class TierGuess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!jit::available()) GTEST_SKIP() << "this build has no compiled tier";
  }
};

TEST_F(TierGuess, LoopingCalleesOfHotCodeAreCompiledBeforeTheyRun) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "guesses need a second core";
  Tiered t(true);
  // Only run's loop runs: it spends its budget and its loop entry is
  // compiled; none of its callees has been called.
  EXPECT_EQ(t.run(200000, false), int32_t(uint32_t(int64_t(200000) * 199999 / 2)));
  ASSERT_TRUE(t.compiled_soon(kCount));
  ASSERT_TRUE(t.compiled_soon(kDown));
  EXPECT_EQ(t.tier(kLeaf), interp::TierState::Interpreted);    // no loop, no recursion
  EXPECT_EQ(t.tier(kUnused), interp::TierState::Interpreted);  // not called by hot code
  // The guessed code is what runs now, and computes what the interpreter
  // would have.
  EXPECT_EQ(t.run(300, true), expected(300));
  EXPECT_EQ(t.run(0, true), 0);
}

TEST_F(TierGuess, NoGuessesWhenTheProgramWaitsForEachCompile) {
  Tiered t(false);
  EXPECT_EQ(t.run(200000, false), int32_t(uint32_t(int64_t(200000) * 199999 / 2)));
  ASSERT_NE(t.module.raw()->code->funcs[kRun].osr.get(), nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(t.tier(kCount), interp::TierState::Interpreted);
  EXPECT_EQ(t.tier(kDown), interp::TierState::Interpreted);
  EXPECT_EQ(t.run(300, true), expected(300));
}

}  // namespace
}  // namespace ember

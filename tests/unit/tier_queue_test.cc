// Tiering's queue does not keep modules alive: a module its embedder drops
// while batches of it wait to compile is freed at once (or after the batch
// in flight), and nothing more is compiled for it. A program that makes
// module after module faster than they compile otherwise kept every one.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ember/ember.hh"
#include "jit/jit.hh"

namespace ember {
namespace {

// `n` functions, each a loop, so that each is worth compiling.
std::string many_loops(int n) {
  std::string wat = "(module";
  for (int i = 0; i < n; i++) {
    wat += "(func (export \"f";
    wat += std::to_string(i);
    wat += "\") (param i32) (result i32) (local i32)";
    wat += " (block $d (loop $l (br_if $d (i32.ge_u (local.get 1) (local.get 0)))";
    wat += " (local.set 1 (i32.add (local.get 1) (i32.const ";
    wat += std::to_string(i % 7 + 1);
    wat += "))) (br $l))) (local.get 1))";
  }
  return wat + ")";
}

// What f<i> returns for `n`: the first multiple of its step i % 7 + 1 at or
// above n.
int32_t counted(int i, int32_t n) {
  const int32_t step = i % 7 + 1;
  return (n + step - 1) / step * step;
}

TEST(TierQueue, ConcurrentDropFreesTheModuleBeforeItsBatchesCompile) {
  if (!jit::available()) GTEST_SKIP() << "this build has no compiled tier";
  Config config;
  config.strategy("auto").tier_up_after(1);
  Engine engine(config);
  std::weak_ptr<const ModuleData> weak;
  {
    // A thousand functions, each asking to be compiled at its first call:
    // seconds of LLVM's work queued behind the first batch.
    Module module = Module::from_text(engine, many_loops(1000));
    Store store(engine);
    Instance instance(store, module, {});
    for (int i = 0; i < 1000; i++) {
      std::vector<Val> args{Val::i32(20)};
      std::string name = std::to_string(i);
      name.insert(0, 1, 'f');
      ASSERT_EQ(instance.get_export(name)->func()->call(args)[0].i32(), counted(i, 20));
    }
    weak = module.raw();
  }
  // Freed once the batch in flight, if any, is done: well before the rest
  // of the thousand would have compiled.
  const auto start = std::chrono::steady_clock::now();
  while (!weak.expired() && std::chrono::steady_clock::now() - start < std::chrono::seconds(3))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(weak.expired()) << "the module outlived its last holder by 3 s";
  // The engine goes on compiling for the modules that are alive.
  Module again = Module::from_text(engine, many_loops(2));
  Store store(engine);
  Instance instance(store, again, {});
  std::vector<Val> args{Val::i32(9)};
  for (int k = 0; k < 3; k++)
    EXPECT_EQ(instance.get_export("f1")->func()->call(args)[0].i32(), counted(1, 9));
}

}  // namespace
}  // namespace ember

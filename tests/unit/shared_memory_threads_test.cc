// Shared memories and atomics across threads (threads proposal): one
// SharedMemory imported by instances in several stores, each store used by
// its own thread. Counts must be exact, waits must wake or time out, and a
// memory grown by one thread must never show another a torn size or an
// access outside what was committed. Also run under TSan (*Thread*).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ember/ember.hh"

namespace ember {
namespace {

constexpr const char* kCounter = R"((module
    (import "env" "mem" (memory 1 16 shared))
    (func (export "add") (param $n i32)
      (loop $l
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
    (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
    (func (export "wait") (param i32 i32 i64) (result i32)
      (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
    (func (export "notify") (param i32 i32) (result i32)
      (memory.atomic.notify (local.get 0) (local.get 1)))
    (func (export "size") (result i32) (memory.size))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "last") (result i32)
      ;; the last word of the memory as this thread sees its size
      (i32.load (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 4))))))";

Engine shared_engine() {
  Config c;
  c.shared_memory(true);
  return Engine(c);
}

MemoryType shared_type(uint64_t min, uint64_t max) {
  MemoryType t;
  t.limits.min = min;
  t.limits.max = max;
  t.limits.shared = true;
  return t;
}

// One thread's store and instance of kCounter on `mem`.
struct Worker {
  Store store;
  Instance inst;
  Worker(const Engine& e, const Module& m, const SharedMemory& mem)
      : store(e), inst(store, m, std::vector<Extern>{Extern(mem)}) {}
  Func func(std::string_view name) { return *inst.get_export(name)->func(); }
  int32_t call(std::string_view name, std::vector<Val> args) {
    std::vector<Val> r = func(name).call(args);
    return r.empty() ? 0 : r[0].i32();
  }
};

TEST(SharedMemoryThreads, CreationChecksTheConfigAndTheType) {
  EXPECT_THROW(SharedMemory::create(Engine(), shared_type(1, 2)), WasmError);
  Engine e = shared_engine();
  MemoryType unshared = shared_type(1, 2);
  unshared.limits.shared = false;
  EXPECT_THROW(SharedMemory::create(e, unshared), WasmError);
  Store store(e);
  EXPECT_THROW(Memory::create(store, shared_type(1, 2)), WasmError);

  SharedMemory m = SharedMemory::create(e, shared_type(1, 3));
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.data_size(), 65536u);
  EXPECT_EQ(m.grow(2), 1u);
  EXPECT_EQ(m.size(), 3u);
  EXPECT_THROW(m.grow(1), WasmError);  // past the maximum
  EXPECT_TRUE(m.type().limits.shared);
}

TEST(SharedMemoryThreads, AtomicIncrementsFromFourThreadsAreExact) {
  Engine e = shared_engine();
  Module module = Module::from_text(e, kCounter);
  SharedMemory mem = SharedMemory::create(e, shared_type(1, 16));
  constexpr int kThreads = 4, kEach = 1000000;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; i++) {
    threads.emplace_back([&] {
      Worker w(e, module, mem);
      w.call("add", {Val::i32(kEach)});
    });
  }
  for (std::thread& t : threads) t.join();
  Worker w(e, module, mem);
  EXPECT_EQ(w.call("load", {Val::i32(0)}), kThreads * kEach);
}

TEST(SharedMemoryThreads, WaitIsWokenByNotifyAndTimesOut) {
  Engine e = shared_engine();
  Module module = Module::from_text(e, kCounter);
  SharedMemory mem = SharedMemory::create(e, shared_type(1, 1));
  Worker main(e, module, mem);
  // The value differs: "not-equal" at once.
  EXPECT_EQ(main.call("wait", {Val::i32(8), Val::i32(1), Val::i64(-1)}), 1);
  // Nobody notifies: "timed-out" after about the timeout.
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(main.call("wait", {Val::i32(8), Val::i32(0), Val::i64(20'000'000)}), 2);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20));

  std::atomic<int32_t> woke{-1};
  std::thread waiter([&] {
    Worker w(e, module, mem);
    woke = w.call("wait", {Val::i32(8), Val::i32(0), Val::i64(-1)});  // no timeout
  });
  // Notify until the waiter was there to be woken (it may not be parked yet).
  int32_t n = 0;
  for (int tries = 0; tries < 10000 && n == 0; tries++) {
    n = main.call("notify", {Val::i32(8), Val::i32(1)});
    if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  waiter.join();
  EXPECT_EQ(n, 1);
  EXPECT_EQ(woke.load(), 0);
  EXPECT_EQ(main.call("notify", {Val::i32(8), Val::i32(5)}), 0);  // nobody left
}

TEST(SharedMemoryThreads, GrowthInOneThreadIsSeenWholeByAnother) {
  Engine e = shared_engine();
  Module module = Module::from_text(e, kCounter);
  SharedMemory mem = SharedMemory::create(e, shared_type(1, 16));
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    Worker w(e, module, mem);
    int32_t seen = 1;
    while (!done.load()) {
      int32_t size = w.call("size", {});
      if (size < seen || size > 16) bad++;  // sizes only grow, within the maximum
      seen = size;
      w.call("last", {});  // must not trap: the last word of `size` pages is there
    }
  });
  {
    Worker w(e, module, mem);
    for (int i = 1; i < 16; i++) {
      EXPECT_EQ(w.call("grow", {Val::i32(1)}), i);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(w.call("grow", {Val::i32(1)}), -1);
  }
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(mem.size(), 16u);
}

TEST(SharedMemoryThreads, AnExportedSharedMemoryOutlivesItsStore) {
  Engine e = shared_engine();
  std::optional<SharedMemory> kept;
  {
    Store store(e);
    Instance inst(store, Module::from_text(e, R"((module
        (memory (export "mem") 1 2 shared)
        (data (i32.const 0) "\2a")))"),
                  {});
    Extern ex = *inst.get_export("mem");
    ASSERT_TRUE(ex.memory());  // also a Memory of its store
    kept = ex.shared_memory();
    ASSERT_TRUE(kept);
    Linker linker(e);
    linker.define("env", "mem", ex);  // the linker keeps it too
  }
  EXPECT_EQ(kept->data()[0], 0x2a);
  Worker w(e, Module::from_text(e, kCounter), *kept);
  EXPECT_EQ(w.call("load", {Val::i32(0)}), 0x2a);
  w.call("store", {Val::i32(0), Val::i32(7)});
  EXPECT_EQ(kept->data()[0], 7);
}

TEST(SharedMemoryThreads, AtomicsTrapOnMisalignedAndOutOfBoundsAddresses) {
  Engine e = shared_engine();
  Module module = Module::from_text(e, kCounter);
  SharedMemory mem = SharedMemory::create(e, shared_type(1, 1));
  Worker w(e, module, mem);
  try {
    w.call("load", {Val::i32(2)});
    ADD_FAILURE() << "misaligned load did not trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.code(), TrapCode::HeapMisaligned);
  }
  try {
    w.call("load", {Val::i32(65536)});
    ADD_FAILURE() << "out-of-bounds load did not trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.code(), TrapCode::MemoryOutOfBounds);
  }
  // The store stays usable.
  EXPECT_EQ(w.call("load", {Val::i32(0)}), 0);

  Store plain(e);
  Instance inst(plain, Module::from_text(e, R"((module (memory 1)
      (func (export "wait") (result i32)
        (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))
      (func (export "notify") (result i32) (memory.atomic.notify (i32.const 0) (i32.const 1)))))"),
                {});
  EXPECT_EQ(inst.get_export("notify")->func()->call({})[0].i32(), 0);
  try {
    inst.get_export("wait")->func()->call({});
    ADD_FAILURE() << "wait on an unshared memory did not trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.code(), TrapCode::AtomicWaitNonSharedMemory);
  }
}

}  // namespace
}  // namespace ember

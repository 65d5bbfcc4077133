// The GC heap and its collector, through the public API: memory stays
// bounded while wasm allocates and drops objects, everything reachable
// survives (from frames, globals, tables and host-held values), host
// externs are released once nothing holds them, and values entering wasm
// are checked against GC types by what the object is.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "ember/ember.hh"
#include "runtime/gc_space.hh"
#include "runtime/store_data.hh"

namespace ember {
namespace {

constexpr const char* kGc = R"((module
  (type $p (struct (field (mut i64)) (field (mut anyref))))
  (type $bytes (array (mut i8)))
  (global $g (mut anyref) (ref.null any))
  (table $t (export "t") 2 anyref)
  (func (export "make") (param i64) (result (ref $p))
    (struct.new $p (local.get 0) (ref.null any)))
  (func (export "read") (param (ref $p)) (result i64) (struct.get $p 0 (local.get 0)))
  (func (export "read-any") (param anyref) (result i64)
    (struct.get $p 0 (ref.cast (ref $p) (local.get 0))))
  ;; n allocations of 1 KiB arrays, each dropped; a struct kept in a local
  ;; across them is read at the end.
  (func (export "churn") (param $n i32) (result i64)
    (local $keep (ref $p)) (local $i i32)
    (local.set $keep (struct.new $p (i64.const 7) (ref.null any)))
    (loop $l
      (drop (array.new_default $bytes (i32.const 1024)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (struct.get $p 0 (local.get $keep)))
  (func (export "keep") (param i64)
    (global.set $g (struct.new $p (local.get 0) (ref.null any)))
    (table.set $t (i32.const 0) (struct.new $p (i64.add (local.get 0) (i64.const 1)) (ref.null any))))
  (func (export "kept") (result i64)
    (i64.add (struct.get $p 0 (ref.cast (ref $p) (global.get $g)))
             (struct.get $p 0 (ref.cast (ref $p) (table.get $t (i32.const 0))))))
  (func (export "box") (param externref)
    (global.set $g (struct.new $p (i64.const 0) (any.convert_extern (local.get 0)))))
  (func (export "unbox") (result externref)
    (extern.convert_any (struct.get $p 1 (ref.cast (ref $p) (global.get $g)))))
  (func (export "clear") (global.set $g (ref.null any)))
  (func (export "i31") (result anyref) (ref.i31 (i32.const 5)))))";

std::vector<Val> call(const Func& f, std::vector<Val> args = {}) {
  return f.call(args);
}

Func func(const Instance& inst, std::string_view name) {
  std::optional<Extern> e = inst.get_export(name);
  EXPECT_TRUE(e && e->func()) << name;
  return *e->func();
}

struct Fixture {
  Engine engine;
  Store store{engine};
  Instance inst{store, Module::from_text(engine, kGc), {}};
  rt::GcHeap& heap() { return store.raw()->heap; }
};

TEST(Gc, DroppedObjectsAreCollectedWhileWasmRuns) {
  Fixture f;
  // 20,000 arrays of 1 KiB: about 20 MiB allocated, all but the last dropped.
  std::vector<Val> r = call(func(f.inst, "churn"), {Val::i32(20000)});
  EXPECT_EQ(r.at(0).i64(), 7);  // the struct held in a local survived
  EXPECT_GT(f.heap().collections, 5u);
  EXPECT_LT(f.heap().bytes, uint64_t{4} << 20);
}

TEST(Gc, GlobalsTablesAndHostValuesKeepObjects) {
  Fixture f;
  call(func(f.inst, "keep"), {Val::i64(40)});
  std::vector<Val> held = call(func(f.inst, "make"), {Val::i64(99)});
  call(func(f.inst, "churn"), {Val::i32(5000)});
  f.store.gc();
  EXPECT_EQ(call(func(f.inst, "kept")).at(0).i64(), 81);
  // The Val returned by "make" still names its struct.
  EXPECT_EQ(call(func(f.inst, "read"), {held.at(0)}).at(0).i64(), 99);
  EXPECT_EQ(call(func(f.inst, "read-any"), {held.at(0)}).at(0).i64(), 99);
}

TEST(Gc, ObjectsNothingHoldsAreFreedByStoreGc) {
  Fixture f;
  {
    std::vector<Val> held = call(func(f.inst, "make"), {Val::i64(1)});
    f.store.gc();
    EXPECT_EQ(f.heap().objects.size(), 1u);
  }
  f.store.gc();
  EXPECT_EQ(f.heap().objects.size(), 0u);
  EXPECT_EQ(f.heap().bytes, 0u);
}

TEST(Gc, ExternsHeldByGcObjectsSurviveAndGoWithThem) {
  Fixture f;
  bool dropped = false;
  {
    std::shared_ptr<int> payload(new int(5), [&](int* p) {
      dropped = true;
      delete p;
    });
    ExternRef r = ExternRef::create(f.store, payload, 77);
    call(func(f.inst, "box"), {Val::externref(r)});
  }
  call(func(f.inst, "churn"), {Val::i32(5000)});
  f.store.gc();
  EXPECT_FALSE(dropped);
  std::optional<ExternRef> back = call(func(f.inst, "unbox")).at(0).externref();
  ASSERT_TRUE(back && back->is_host());
  EXPECT_EQ(back->id(), 77u);
  EXPECT_EQ(*static_cast<int*>(back->payload().get()), 5);
  back.reset();
  call(func(f.inst, "clear"));
  f.store.gc();
  EXPECT_TRUE(dropped);
}

TEST(Gc, HostValuesAreCheckedByWhatTheObjectIs) {
  Fixture f;
  Val i31 = call(func(f.inst, "i31")).at(0);
  const ValType p = func(f.inst, "read").type().params.at(0);  // (ref $p)
  EXPECT_FALSE(i31.matches(p));
  EXPECT_TRUE(i31.matches(ValType::ref(HeapKind::I31, false)));
  EXPECT_FALSE(i31.matches(ValType::ref(HeapKind::Struct, true)));
  EXPECT_THROW(call(func(f.inst, "read"), {i31}), WasmError);
  Val s = call(func(f.inst, "make"), {Val::i64(3)}).at(0);
  EXPECT_TRUE(s.matches(p));
  EXPECT_TRUE(s.matches(ValType::ref(HeapKind::Eq, true)));
  EXPECT_FALSE(s.matches(ValType::ref(HeapKind::Array, true)));
  EXPECT_FALSE(s.matches(ValType::ref(HeapKind::I31, true)));
}

// A reference of one store never enters another's wasm, tables or
// globals: its collector would not see it there, and the object would
// die with its own store.
TEST(Gc, ReferencesOfAnotherStoreAreRefused) {
  Fixture a, b;
  Val s = call(func(a.inst, "make"), {Val::i64(4)}).at(0);
  EXPECT_FALSE(s.usable_in(b.store.raw()));
  EXPECT_THROW(call(func(b.inst, "read-any"), {s}), WasmError);
  Table t = *b.inst.get_export("t")->table();
  EXPECT_THROW(t.set(0, s), WasmError);
  Val f = Val::funcref(func(a.inst, "make"));
  EXPECT_THROW(Global::create(b.store, GlobalType{ValType::FuncRef, false}, f), WasmError);
  // An i31 belongs to no store; the store's own values pass.
  EXPECT_EQ(
      call(func(b.inst, "read-any"), {call(func(b.inst, "make"), {Val::i64(6)}).at(0)}).at(0).i64(),
      6);
  EXPECT_TRUE(Val::i31ref(1).usable_in(b.store.raw()));
  t.set(1, Val::i31ref(1));
}

TEST(Gc, I31ValuesAreMadeAndReadByTheHost) {
  Fixture f;
  Val made = Val::i31ref(uint32_t(-3));
  EXPECT_EQ(made.gc_kind(), Val::GcKind::I31);
  EXPECT_EQ(made.i31_s(), -3);
  EXPECT_EQ(made.i31_u(), 0x7FFFFFFDu);
  EXPECT_TRUE(made.matches(ValType::ref(HeapKind::Eq, false)));
  Val back = call(func(f.inst, "i31")).at(0);
  EXPECT_EQ(back.gc_kind(), Val::GcKind::I31);
  EXPECT_EQ(back.i31_s(), 5);
  Val s = call(func(f.inst, "make"), {Val::i64(1)}).at(0);
  EXPECT_EQ(s.gc_kind(), Val::GcKind::Struct);
  EXPECT_EQ(s.i31_s(), std::nullopt);
}

// GcSpace: zeroed, aligned memory of each size; a released small object is
// reused by its own size class only (after the quarantine of a sanitizer
// build), zeroed again; large objects come and go by themselves.
TEST(GcSpace, ReusesFreedObjectsOfTheirClassZeroed) {
  rt::GcSpace space;
  std::vector<std::pair<uint8_t*, uint64_t>> got;
  for (uint64_t bytes : {16, 17, 32, 48, 100, 255, 256, 257, 4096}) {
    auto* p = static_cast<uint8_t*>(space.allocate(bytes));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << bytes;
    for (uint64_t i = 0; i < bytes; i++) ASSERT_EQ(p[i], 0) << bytes;
    std::memset(p, 0xAB, bytes);
    got.emplace_back(p, bytes);
  }
  for (size_t i = 0; i < got.size(); i++)  // (no two overlap)
    for (size_t j = i + 1; j < got.size(); j++)
      EXPECT_TRUE(got[i].first + got[i].second <= got[j].first ||
                  got[j].first + got[j].second <= got[i].first);
  EXPECT_EQ(space.block_bytes(), rt::GcSpace::kBlockBytes);  // (257 and 4096 are not in it)
  // Many objects of one class, released and allocated again, three times:
  // the blocks grow by less than half, and each object comes back zeroed.
  std::vector<void*> objs;
  for (int i = 0; i < 20000; i++) {
    objs.push_back(space.allocate(48));
    std::memset(objs.back(), 0xCD, 48);
  }
  const uint64_t blocks = space.block_bytes();
  for (int round = 0; round < 3; round++) {
    for (void* p : objs) space.release(p, 48);
    std::set<void*> before(objs.begin(), objs.end());
    for (void*& p : objs) {
      p = space.allocate(40);  // (the same 48-byte class)
      auto* b = static_cast<uint8_t*>(p);
      for (int i = 0; i < 48; i++) ASSERT_EQ(b[i], 0);
      std::memset(p, 0xCD, 48);
    }
  }
  // (Without reuse each round would add as much again; a sanitizer build
  // holds back its quarantine.)
  EXPECT_LT(space.block_bytes(), 2 * blocks);
  for (void* p : objs) space.release(p, 48);
  for (auto [p, bytes] : got) space.release(p, bytes);
}

#if defined(__SANITIZE_ADDRESS__)
// In a sanitizer build a released object stays poisoned: a reference the
// collector missed faults when used, as with calloc/free.
TEST(GcSpaceDeathTest, AReleasedObjectIsPoisoned) {
  rt::GcSpace space;
  auto* p = static_cast<volatile uint8_t*>(space.allocate(32));
  space.release(const_cast<uint8_t*>(p), 32);
  EXPECT_DEATH(p[8] = 1, "use-after-poison");
}
#endif

}  // namespace
}  // namespace ember

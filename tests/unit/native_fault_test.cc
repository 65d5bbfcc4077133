// What the fault handler relies on to turn a fault of compiled code into a
// trap (interp/native_fault.cc): the code maps' lookups, and a 32-bit
// memory's reservation covering every address compiled code can form.
#include <gtest/gtest.h>

#include <algorithm>

#include "ember/ember.hh"
#include "interp/code.hh"
#include "interp/ir_codec.hh"
#include "interp/native.hh"
#include "platform/vm.hh"
#include "runtime/runtime.hh"

namespace ember::interp {
namespace {

// Two functions: f3 at [0x1000, 0x1040) with rows at +0 (offset 100),
// +0x10 (merged code: no offset), +0x20 (offset 120); the wrapper of f5
// at [0x2000, 0x2010) without rows.
CodeMap sample_map() {
  CodeMap m;
  m.rows = {{0x0, 100}, {0x10, 0}, {0x20, 120}};
  m.ranges.push_back(CodeRange{0x1000, 0x1040, 3, false, 0, 3});
  m.ranges.push_back(CodeRange{0x2000, 0x2010, 5, true, 3, 3});
  return m;
}

TEST(CodeMap, FindsTheRangeHoldingAPcAndNothingBetweenRanges) {
  CodeMap m = sample_map();
  EXPECT_EQ(m.find(0xfff), nullptr);
  ASSERT_NE(m.find(0x1000), nullptr);
  EXPECT_EQ(m.find(0x1000)->func, 3u);
  EXPECT_EQ(m.find(0x103f)->func, 3u);
  EXPECT_EQ(m.find(0x1040), nullptr);  // (end is exclusive)
  EXPECT_EQ(m.find(0x1fff), nullptr);
  ASSERT_NE(m.find(0x2008), nullptr);
  EXPECT_TRUE(m.find(0x2008)->wrapper);
  EXPECT_EQ(m.find(0x2010), nullptr);
  EXPECT_EQ(CodeMap{}.find(0x1000), nullptr);
}

TEST(CodeMap, OffsetIsTheRowsOrTheNearestNamedOneBefore) {
  CodeMap m = sample_map();
  const CodeRange& f3 = m.ranges[0];
  EXPECT_EQ(m.offset_at(f3, 0x1000), 100u);
  EXPECT_EQ(m.offset_at(f3, 0x100f), 100u);
  EXPECT_EQ(m.offset_at(f3, 0x1010), 100u);  // a row without an offset
  EXPECT_EQ(m.offset_at(f3, 0x1020), 120u);
  EXPECT_EQ(m.offset_at(f3, 0x103f), 120u);
  EXPECT_EQ(m.offset_at(m.ranges[1], 0x2004), 0u);  // no rows: unknown
}

TEST(GuardRegion, CoversEveryAddressCompiledCodeForms) {
  // zext(u32 address) + u32 offset, then up to 16 bytes accessed.
  constexpr uint64_t kLastByte = uint64_t{UINT32_MAX} + UINT32_MAX + 15;
  EXPECT_LT(kLastByte, platform::kGuardedReservation);
  rt::StoreData store;
  store.engine = std::make_shared<rt::EngineData>();
  MemoryType t;
  t.limits.min = 1;
  auto m = rt::create_memory(store, t);
  ASSERT_TRUE(m.ok());
  EXPECT_GE((*m)->reserved, platform::kGuardedReservation);
}

// A fault at code whose row names no instruction (the code generator left
// the load without a location, and the row before it is the prologue's,
// at the function's start): the function's first access is taken -- what
// an AMD host's code for `folded` needed (test_guard_pages.py).
TEST(FaultingAccess, ALoadWithoutARowAfterThePrologueIsTheFirstAccess) {
  Config config;
  config.strategy("interpreter");
  Engine engine(config);
  Module module = Module::from_text(engine, R"((module (memory 1)
    (func (param i32) (result i32)
      (i32.and (i32.load offset=4 (local.get 0)) (i32.const 0x7f)))))");
  const CompiledCode& cc = *module.raw()->code;
  const FuncCode& fc = cc.funcs[0];
  uint32_t first = UINT32_MAX, load = UINT32_MAX;
  MemAccess a;
  for (const PcMapEntry& e : cc.pc_map) {
    if (e.word < fc.begin || e.word >= fc.end) continue;
    first = std::min(first, e.offset);
    if (memory_access(cc.words[e.word], &a)) load = e.offset;
  }
  ASSERT_NE(load, UINT32_MAX);
  ASSERT_LE(first, load);
  const uint32_t* access = faulting_access(cc, fc, first - 1, false);
  ASSERT_NE(access, nullptr);
  EXPECT_TRUE(memory_access(access[0], &a));
  EXPECT_EQ(cc.offset_of(uint32_t(access - cc.words.data())), load);
  // Its own row at the prologue: no access there or before it. And no
  // offset at all: no guess.
  EXPECT_EQ(faulting_access(cc, fc, first - 1, true), nullptr);
  EXPECT_EQ(faulting_access(cc, fc, 0, false), nullptr);
  // The load's own offset is the load, however the row was found.
  EXPECT_EQ(faulting_access(cc, fc, load, true), access);
  EXPECT_EQ(faulting_access(cc, fc, load, false), access);
}

}  // namespace
}  // namespace ember::interp

// Runtime entities without wasm code: linear memory reservation and growth,
// tables, store limits and the engine's type registry.
#include <gtest/gtest.h>

#include "runtime/runtime.hh"

namespace ember::rt {
namespace {

struct Fixture {
  Fixture() { store.engine = std::make_shared<EngineData>(); }
  StoreData store;
};

MemoryType mem_type(uint64_t min, std::optional<uint64_t> max) {
  MemoryType t;
  t.limits.min = min;
  t.limits.max = max;
  return t;
}

TEST(RuntimeMemory, GrowsInPlaceUpToItsMaximum) {
  Fixture f;
  Expected<MemoryInst*> m = create_memory(f.store, mem_type(1, 3));
  ASSERT_TRUE(m.ok());
  MemoryInst* mem = *m;
  uint8_t* base = mem->base;
  ASSERT_NE(base, nullptr);
  EXPECT_EQ(mem->size, kPageSize);
  base[kPageSize - 1] = 7;  // committed and writable
  EXPECT_EQ(memory_grow(f.store, *mem, 1), 1);
  EXPECT_EQ(mem->base, base);  // stable across growth
  EXPECT_EQ(mem->size, 2 * kPageSize);
  EXPECT_EQ(base[2 * kPageSize - 1], 0);  // new pages read as zero
  base[2 * kPageSize - 1] = 9;
  EXPECT_EQ(memory_grow(f.store, *mem, 2), -1);  // beyond max: refused, unchanged
  EXPECT_EQ(mem->size, 2 * kPageSize);
  EXPECT_EQ(memory_grow(f.store, *mem, 0), 2);
  EXPECT_EQ(memory_grow(f.store, *mem, 1), 2);
  EXPECT_EQ(base[kPageSize - 1], 7);
}

TEST(RuntimeMemory, ThirtyTwoBitMemoryReservesGuardRegion) {
  Fixture f;
  Expected<MemoryInst*> m = create_memory(f.store, mem_type(0, std::nullopt));
  ASSERT_TRUE(m.ok());
  // 4 GiB + 4 GiB guard, unless the platform refused (then at least the maximum).
  EXPECT_GE((*m)->reserved, uint64_t{4} << 30);
  EXPECT_EQ((*m)->size, 0u);
  EXPECT_EQ(memory_grow(f.store, **m, 65537), -1);
}

TEST(RuntimeMemory, HugeSixtyFourBitMemoriesFailCleanly) {
  Fixture f;
  MemoryType t = mem_type(uint64_t{1} << 48, std::nullopt);
  t.limits.is64 = true;
  Expected<MemoryInst*> m = create_memory(f.store, t);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind(), ErrorKind::Exhaustion);
  MemoryType small = mem_type(1, std::nullopt);
  small.limits.is64 = true;
  Expected<MemoryInst*> s = create_memory(f.store, small);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(memory_grow(f.store, **s, (uint64_t{1} << 48) - 1), -1);
  EXPECT_EQ(memory_grow(f.store, **s, 1), 1);
}

TEST(RuntimeMemory, StoreByteLimitRefusesGrowthAndCreation) {
  Fixture f;
  f.store.limits.memory_size = 2 * kPageSize;
  Expected<MemoryInst*> m = create_memory(f.store, mem_type(1, std::nullopt));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(memory_grow(f.store, **m, 1), 1);
  EXPECT_EQ(memory_grow(f.store, **m, 1), -1);
  Expected<MemoryInst*> big = create_memory(f.store, mem_type(3, std::nullopt));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().kind(), ErrorKind::Exhaustion);
}

// Count limits apply to what instances define (checked at instantiation,
// see api_exec_control_test.cc); memories and tables the host creates are
// not counted, as in wasmtime.
TEST(RuntimeMemory, HostCreatedEntitiesAreNotCounted) {
  Fixture f;
  f.store.limits.memories = 1;
  f.store.limits.tables = 1;
  EXPECT_TRUE(create_memory(f.store, mem_type(0, 1)).ok());
  EXPECT_TRUE(create_memory(f.store, mem_type(0, 1)).ok());
  TableType t;
  EXPECT_TRUE(create_table(f.store, t, nullptr).ok());
  EXPECT_TRUE(create_table(f.store, t, nullptr).ok());
}

TEST(RuntimeTable, GrowHonoursMaximumAndStoreLimit) {
  Fixture f;
  TableType t;
  t.limits.min = 2;
  t.limits.max = 5;
  Expected<TableInst*> tab = create_table(f.store, t, nullptr);
  ASSERT_TRUE(tab.ok());
  int marker = 0;
  EXPECT_EQ(table_grow(f.store, **tab, 2, &marker), 2);
  ASSERT_EQ((*tab)->elems.size(), 4u);
  EXPECT_EQ((*tab)->elems[0], nullptr);
  EXPECT_EQ((*tab)->elems[3], &marker);
  EXPECT_EQ(table_grow(f.store, **tab, 2, nullptr), -1);
  EXPECT_EQ(current_type(**tab).limits.min, 4u);

  f.store.limits.table_elements = 4;
  TableType unbounded;
  Expected<TableInst*> u = create_table(f.store, unbounded, nullptr);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(table_grow(f.store, **u, 4, nullptr), 0);
  EXPECT_EQ(table_grow(f.store, **u, 1, nullptr), -1);
}

TEST(RuntimeTable, HugeGrowthIsRefusedNotAllocated) {
  Fixture f;
  TableType t;  // no maximum
  Expected<TableInst*> tab = create_table(f.store, t, nullptr);
  ASSERT_TRUE(tab.ok());
  EXPECT_EQ(table_grow(f.store, **tab, 0xFFFFFFF0u, nullptr), -1);
  EXPECT_EQ((*tab)->elems.size(), 0u);
}

TEST(RuntimeTypes, RegistryInternsStructurally) {
  EngineData e;
  FuncType a{{ValType::I32, ValType::I64}, {ValType::F32}};
  FuncType b{{ValType::I32, ValType::I64}, {ValType::F32}};
  FuncType c{{ValType::I32}, {ValType::I64, ValType::F32}};
  uint32_t ia = e.types.intern(a);
  EXPECT_EQ(e.types.intern(b), ia);
  uint32_t ic = e.types.intern(c);
  EXPECT_NE(ic, ia);
  EXPECT_EQ(e.types.get(ic), c);
  EXPECT_EQ(e.types.get(ia), a);
}

TEST(RuntimeLinking, ImportMatchingFollowsLimitSubtyping) {
  Fixture f;
  ModuleData m;
  Import imp;
  imp.module = "env";
  imp.name = "mem";
  imp.kind = ExternKind::Memory;
  imp.memory = mem_type(1, 4);
  m.imports.push_back(imp);
  Expected<MemoryInst*> small_max = create_memory(f.store, mem_type(2, 3));
  Expected<MemoryInst*> no_max = create_memory(f.store, mem_type(2, std::nullopt));
  Expected<MemoryInst*> too_small = create_memory(f.store, mem_type(0, 4));
  ASSERT_TRUE(small_max.ok() && no_max.ok() && too_small.ok());
  EXPECT_TRUE(check_import(m, imp, {ExternKind::Memory, *small_max}, f.store.engine->types).ok());
  Status s1 = check_import(m, imp, {ExternKind::Memory, *no_max}, f.store.engine->types);
  ASSERT_FALSE(s1.ok());
  EXPECT_EQ(s1.error().kind(), ErrorKind::Unlinkable);
  EXPECT_FALSE(check_import(m, imp, {ExternKind::Memory, *too_small}, f.store.engine->types).ok());
  // Growing the too-small memory makes it match: the current size counts.
  EXPECT_EQ(memory_grow(f.store, **too_small, 1), 0);
  EXPECT_TRUE(check_import(m, imp, {ExternKind::Memory, *too_small}, f.store.engine->types).ok());
  // Wrong kind.
  Slot zero[2] = {0, 0};
  GlobalInst* g = create_global(f.store, GlobalType{ValType::I32, false}, zero);
  EXPECT_EQ(check_import(m, imp, {ExternKind::Global, g}, f.store.engine->types).error().kind(),
            ErrorKind::Unlinkable);
}

}  // namespace
}  // namespace ember::rt

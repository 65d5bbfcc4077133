// The engine's type registry gives two function types the same canonical id
// exactly when they are the same type: call_indirect trusts that id, so a
// collision would let wasm reinterpret the bits of one type as another.
// Exhaustive over every signature of up to four values of every value type.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "runtime/store_data.hh"
#include "validate/validate.hh"

namespace ember::rt {
namespace {

const ValType kTypes[] = {ValType::I32,  ValType::I64,     ValType::F32,      ValType::F64,
                          ValType::V128, ValType::FuncRef, ValType::ExternRef};

// Every split of every sequence of `n` value types into params and results.
void add_signatures(size_t n, std::vector<ValType>& prefix, std::vector<FuncType>& out) {
  if (prefix.size() == n) {
    for (size_t k = 0; k <= n; ++k) {
      FuncType t;
      t.params.assign(prefix.begin(), prefix.begin() + k);
      t.results.assign(prefix.begin() + k, prefix.end());
      out.push_back(std::move(t));
    }
    return;
  }
  for (ValType v : kTypes) {
    prefix.push_back(v);
    add_signatures(n, prefix, out);
    prefix.pop_back();
  }
}

TEST(TypeRegistry, DistinctSignaturesNeverShareAnId) {
  std::vector<FuncType> sigs;
  std::vector<ValType> prefix;
  for (size_t n = 0; n <= 4; ++n) add_signatures(n, prefix, sigs);
  ASSERT_EQ(sigs.size(), 1u + 2 * 7 + 3 * 49 + 4 * 343 + 5 * 2401);

  TypeRegistry registry;
  std::map<uint32_t, size_t> owner;  // id -> first signature given it
  for (size_t i = 0; i < sigs.size(); ++i) {
    uint32_t id = registry.intern(sigs[i]);
    auto [it, fresh] = owner.emplace(id, i);
    ASSERT_TRUE(fresh) << "signatures " << it->second << " and " << i << " share id " << id;
  }
  // Interning again gives the same id, and the id maps back to the type.
  for (size_t i = 0; i < sigs.size(); ++i) {
    uint32_t id = registry.intern(sigs[i]);
    EXPECT_EQ(owner.at(id), i);
    FuncType back = registry.get(id);
    EXPECT_EQ(back.params, sigs[i].params);
    EXPECT_EQ(back.results, sigs[i].results);
  }
}

TEST(TypeRegistry, LongSignaturesDoNotCollideAcrossTheBoundary) {
  // 300 parameters against 44 parameters + 256 results, and the like: the
  // parameter count is part of the key, whatever its size.
  TypeRegistry registry;
  FuncType a, b;
  a.params.assign(300, ValType::F64);
  b.params.assign(44, ValType::F64);
  b.results.assign(256, ValType::F64);
  EXPECT_NE(registry.intern(a), registry.intern(b));
}

// A canonical id must fit a ValType's index; an id past it would be cut and
// name another type. So the registry has a capacity and, once full, new
// types get kFull (which matches nothing) and modules with new types fail
// to compile with an exhaustion error, while known types keep their ids.
TEST(TypeRegistry, AFullRegistryRefusesNewTypesAndKeepsTheOldOnes) {
  TypeRegistry registry(3);
  FuncType a, b, c, d;
  b.params = {ValType::I32};
  c.params = {ValType::I64};
  d.params = {ValType::F32};
  const uint32_t ia = registry.intern(a), ib = registry.intern(b), ic = registry.intern(c);
  EXPECT_EQ(registry.intern(d), TypeRegistry::kFull);
  EXPECT_EQ(registry.intern(a), ia);
  EXPECT_EQ(registry.intern(c), ic);
  EXPECT_NE(ib, TypeRegistry::kFull);
  EXPECT_FALSE(registry.is_subtype(TypeRegistry::kFull, ia));
  EXPECT_EQ(registry.size(), 3u);
}

TEST(TypeRegistry, AModuleWhoseTypesDoNotFitFailsToCompile) {
  TypeRegistry registry(2);
  ModuleData m;
  for (uint32_t i = 0; i < 3; i++) {
    FuncType t;
    t.params.assign(i, ValType::I32);
    m.types.push_back(t);
    m.type_decls.push_back(TypeDecl{std::nullopt, true, i, 1, CompKind::Func, {}});
  }
  Status st = intern_types(m, registry);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::Exhaustion);
  // A module of types the registry knows still compiles.
  m.types.resize(2);
  m.type_decls.resize(2);
  EXPECT_TRUE(intern_types(m, registry).ok());
}

}  // namespace
}  // namespace ember::rt

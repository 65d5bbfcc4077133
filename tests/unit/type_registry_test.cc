// The engine's type registry gives two function types the same canonical id
// exactly when they are the same type: call_indirect trusts that id, so a
// collision would let wasm reinterpret the bits of one type as another.
// Exhaustive over every signature of up to four values of every value type.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "runtime/store_data.hh"

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

}  // namespace
}  // namespace ember::rt

// Runtime symbols of compiled code (llvm_symbols.hh).
#include "jit/llvm_symbols.hh"

#include <llvm/ExecutionEngine/Orc/AbsoluteSymbols.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>

#include <unordered_map>

#include "interp/ir_codec.hh"
#include "jit/llvm_lowering.hh"
#include "jit/simd_thunks.hh"
#include "support/hash.hh"

namespace ember::jit {

namespace {

struct Symbols {
  std::vector<std::pair<std::string, const void*>> list;
  std::unordered_map<const void*, size_t> by_address;

  Symbols() {
    // Every interp::ember_native_* function compiled code calls.
#define EMBER_HELPER(name) \
  add("ember_native_" #name, reinterpret_cast<const void*>(&interp::ember_native_##name))
    EMBER_HELPER(atomic);
    EMBER_HELPER(call);
    EMBER_HELPER(call_indirect);
    EMBER_HELPER(catch);
    EMBER_HELPER(data_drop);
    EMBER_HELPER(elem_drop);
    EMBER_HELPER(fuel_memory_grow);
    EMBER_HELPER(fuel_table_grow);
    EMBER_HELPER(fuel_units);
    EMBER_HELPER(gc);
    EMBER_HELPER(interrupt);
    EMBER_HELPER(memory_copy);
    EMBER_HELPER(memory_fill);
    EMBER_HELPER(memory_grow);
    EMBER_HELPER(memory_init);
    EMBER_HELPER(memory_size);
    EMBER_HELPER(refuel);
    EMBER_HELPER(resolve_indirect);
    EMBER_HELPER(table_copy);
    EMBER_HELPER(table_fill);
    EMBER_HELPER(table_get);
    EMBER_HELPER(table_grow);
    EMBER_HELPER(table_init);
    EMBER_HELPER(table_set);
    EMBER_HELPER(table_size);
    EMBER_HELPER(tail_call);
    EMBER_HELPER(throw);
    EMBER_HELPER(throw_ref);
    EMBER_HELPER(tier_up);
    EMBER_HELPER(trap);
    EMBER_HELPER(unwind);
#undef EMBER_HELPER
    for (size_t op = 0; op < interp::kIOpCount; op++)
      if (const void* fn = simd_thunk(interp::IOp(op)))
        add(std::string("ember_simd_") + interp::iop_name(interp::IOp(op)), fn);
  }
  void add(std::string name, const void* fn) {
    by_address.emplace(fn, list.size());
    list.emplace_back(std::move(name), fn);
  }
};

const Symbols& symbols() {
  static const Symbols s;
  return s;
}

}  // namespace

const char* runtime_symbol(const void* fn) {
  const Symbols& s = symbols();
  auto it = s.by_address.find(fn);
  return it == s.by_address.end() ? nullptr : s.list[it->second].first.c_str();
}

std::string define_runtime_symbols(llvm::orc::LLJIT& jit, const CompiledCode& code) {
  llvm::orc::SymbolMap map;
  auto define = [&](const std::string& name, const void* address) {
    map[jit.mangleAndIntern(name)] = llvm::orc::ExecutorSymbolDef(
        llvm::orc::ExecutorAddr::fromPtr(address), llvm::JITSymbolFlags::Exported);
  };
  for (const auto& [name, fn] : symbols().list) define(name, fn);
  define(kFuncTableSymbol, code.funcs.data());
  if (llvm::Error e = jit.getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(map))))
    return llvm::toString(std::move(e));
  return {};
}

uint64_t layout_fingerprint(bool guard_pages) {
  using namespace lower;
  // Raised when compiled functions call each other differently
  // (2: llvm_lower.hh's register convention; 3: traps of unchecked
  // accesses found by the line tables, interp/native_fault.cc).
  constexpr uint64_t kCallConvention = 3;
  const uint64_t fields[] = {kStackEnd,        kNativeLimit,    kStore,
                             kNativeDepth,     kNativeMaxDepth, kOsrWord,
                             kEngineEpoch,     kFuelInjected,   kFuelSaved,
                             kEpochDeadline,   kMemBase,        kMemSize,
                             kViewMemories,    kViewGlobals,    kViewFuncs,
                             kGlobalValue,     kViewInst,       kFuncInstance,
                             kFuncCode,        kFuncHost,       kCodeNative,
                             kCodeFrameSlots,  kCodeHotness,    sizeof(interp::FuncCode),
                             sizeof(rt::Slot), kCallConvention, uint64_t(guard_pages)};
  uint64_t h = fnv1a64(fields, sizeof fields);
  for (const auto& [name, fn] : symbols().list) h = fnv1a64(name.data(), name.size(), h);
  return h;
}

// VNNI's multiply-accumulate (vpdpwssd) is left out: the code generator
// fuses every `i32x4.dot_i16x8_s` whose result is added into one, and a
// reduction over a loop then chains its iterations through one 4-5 cycle
// instruction per product instead of a 1-cycle add (the simd benchmark's
// dot-product loop: eager code 1.4x slower with VNNI than without, which
// issues vpmaddwd + vpaddd as native code built for baseline x86-64 does).
void leave_out_features(llvm::orc::JITTargetMachineBuilder& host) {
  host.getFeatures().AddFeature("avxvnni", false);
  host.getFeatures().AddFeature("avx512vnni", false);
}

}  // namespace ember::jit

// Unchecked memory accesses (LowerContext::guard_pages) in the compiled
// tier: what keeps their traps, and the code maps that locate them
// (interp/code.hh's CodeMap, read by interp/native_fault.cc).
#pragma once

#include <llvm/ADT/StringRef.h>
#include <llvm/IR/PassManager.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "interp/code.hh"
#include "support/error.hh"

namespace ember::jit {

// A load from an unchecked address traps through its fault, so it must
// stay even when nothing uses its value (a dropped load). Before any other
// pass, HoldUncheckedLoads gives each unchecked load a use that nothing
// removes (a call of "ember.keep"); once SROA has turned frame slots into
// values, KeepUncheckedLoads makes each unchecked load whose value reaches
// no side effect, branch or return volatile, which no later pass removes,
// and drops the holds. (Loads whose value is used keep every IR
// optimization; see pin_unchecked_loads for code generation.)
struct HoldUncheckedLoads : llvm::PassInfoMixin<HoldUncheckedLoads> {
  llvm::PreservedAnalyses run(llvm::Function& f, llvm::FunctionAnalysisManager& am);
};
struct KeepUncheckedLoads : llvm::PassInfoMixin<KeepUncheckedLoads> {
  llvm::PreservedAnalyses run(llvm::Function& f, llvm::FunctionAnalysisManager& am);
};
// A trap the wasm code reaches after an unchecked load must not come
// first, and the load must happen: to LLVM a load cannot trap, so it moves
// one below a later trap check (into the block that uses it) or deletes
// it where its effect cancels (a byte stored back where it was loaded
// from). The holds keep the loads in place through the IR passes (held
// again after the loop vectorizer), and before code generation
// pin_unchecked_loads makes every unchecked load volatile: the code
// generator then neither moves it to another block nor deletes it. (The
// loads the loop vectorizer made are not tagged: a vectorized loop has no
// trap check inside.) A load folded into the instruction using it faults
// at that instruction's row, so an arithmetic or comparison instruction
// whose one unchecked operand is a load takes the load's row.
void pin_unchecked_loads(llvm::Module& m);

// The compiled functions of an object file: each function symbol's name,
// size and the module offsets of its code from the object's line table.
struct ObjectCode {
  struct Function {
    std::string name;
    uint64_t size = 0;
    std::vector<interp::CodeRow> rows;  // ascending pc from the symbol's start
  };
  std::vector<Function> functions;
};
Expected<ObjectCode> read_object_code(llvm::StringRef object);

// The code map of a linked object: `address` gives a symbol's address (0
// if unknown); `registers[f]`: defined function f has a register body (so
// its entry "f<N>" is a wrapper, not a frame).
std::unique_ptr<interp::CodeMap> make_code_map(
    const ObjectCode& object, const std::function<uint64_t(const std::string&)>& address,
    const std::vector<bool>& registers);

}  // namespace ember::jit

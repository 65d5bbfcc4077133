// Loop versioning for 32-bit addresses known not to wrap (decision 55).
#pragma once

#include <llvm/IR/PassManager.h>

namespace ember::jit {

// A wasm address is an i32 sum, zero-extended: `c[j]` and `c[j + 1]` are
// zext(p) and zext(p + 8), which LLVM cannot relate (p + 8 may wrap), so
// the loop vectorizer sees unrelated pointers whose ranges overlap, and a
// strided index gives gathers. For an innermost loop whose zero-extended
// i32 values are affine recurrences {A + C, +, s}, WidenLoopAddresses
// puts a check before the loop that A + C + k*s stays in [0, 2^32) for
// every iteration k the loop can run, and a copy of the loop where the
// check holds, in which each such zext is the i64 recurrence
// {zext(A) + C, +, s}: the same value, now one base plus constants.
// Where the check fails the original loop runs.
struct WidenLoopAddresses : llvm::PassInfoMixin<WidenLoopAddresses> {
  llvm::PreservedAnalyses run(llvm::Function& f, llvm::FunctionAnalysisManager& am);
};

}  // namespace ember::jit

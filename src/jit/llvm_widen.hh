// Loop versioning: loops vectorize where no address wraps and no access
// faults (decision 55).
#pragma once

#include <llvm/IR/PassManager.h>

namespace ember::jit {

// A wasm address is an i32 sum, zero-extended: `c[j]` and `c[j + 1]` are
// zext(p) and zext(p + 8), which LLVM cannot relate (p + 8 may wrap), so
// the loop vectorizer sees unrelated pointers whose ranges overlap, and a
// strided index gives gathers. And a vectorized loop loads or stores
// several iterations at once, so where an access faults, the fault would
// come from another access than the interpreter's first faulting one.
//
// An innermost loop that is small, has no calls, one exit block, an i32
// trip count SCEV can bound, and whose memory accesses are plain loads and
// stores of wasm memories (or of the frame) at offsets affine in the loop,
// gets a check before it and a copy of it that runs when the check holds:
// every widened recurrence {A + C, +, s} (a zext of an i32 one) stays in
// [0, 2^32), and every access of every iteration lies within its memory's
// size. In the copy each such zext is the i64 recurrence
// {zext(A) + C, +, s}, the same value, now one base plus constants; the
// copy may vectorize and never faults. Where the check fails the loop as
// written runs, kept scalar. Other loops are left as they are (the
// vectorizer may still take one, gathering through an index it loads).
struct WidenLoopAddresses : llvm::PassInfoMixin<WidenLoopAddresses> {
  llvm::PreservedAnalyses run(llvm::Function& f, llvm::FunctionAnalysisManager& am);
};

}  // namespace ember::jit

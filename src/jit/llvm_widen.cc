// WidenLoopAddresses (llvm_widen.hh): versions innermost loops so that, in
// the copy that runs when a check before the loop holds, zero-extended i32
// recurrences are i64 recurrences LLVM's loop access analysis can compare.
#include "jit/llvm_widen.hh"

#include <llvm/Analysis/AssumptionCache.h>
#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/ScalarEvolution.h>
#include <llvm/Analysis/ScalarEvolutionExpressions.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/Transforms/Utils/BasicBlockUtils.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <llvm/Transforms/Utils/LoopSimplify.h>
#include <llvm/Transforms/Utils/LoopUtils.h>
#include <llvm/Transforms/Utils/ScalarEvolutionExpander.h>
#include <llvm/Transforms/Utils/ValueMapper.h>

#include <cstdint>
#include <vector>

namespace ember::jit {
namespace {

using llvm::SCEV;

// Bounds that keep the check's i64 arithmetic exact: |C| < 2^31 (an i32
// constant), 0 <= zext(A) < 2^32, |s| <= 2^20 and the trip count below
// 2^32 (an i32 count), so every term stays far below 2^63.
constexpr int64_t kMaxStep = int64_t{1} << 20;
// A loop worth a copy is one the vectorizer may take: small, no calls.
constexpr unsigned kMaxInstructions = 400;
constexpr unsigned kMaxWidened = 16;

// zext(v) where v = {base + offset, +, step} in the loop.
struct Widened {
  llvm::Instruction* zext;  // or an `and` of the low 32 bits
  const SCEV* base;         // i32, invariant in the loop
  int64_t offset;
  int64_t step;
};

// Splits an i32 start value into a constant and the rest.
void split_constant(llvm::ScalarEvolution& se, const SCEV* s, const SCEV** rest, int64_t* c) {
  *rest = s, *c = 0;
  if (auto* k = llvm::dyn_cast<llvm::SCEVConstant>(s)) {
    *c = k->getAPInt().getSExtValue();
    *rest = se.getZero(s->getType());
  } else if (auto* add = llvm::dyn_cast<llvm::SCEVAddExpr>(s)) {
    if (auto* k = llvm::dyn_cast<llvm::SCEVConstant>(add->getOperand(0))) {
      *c = k->getAPInt().getSExtValue();
      llvm::SmallVector<const SCEV*, 4> ops(add->operands().drop_front());
      *rest = se.getAddExpr(ops);
    }
  }
}

bool small_and_straight(const llvm::Loop& loop) {
  unsigned n = 0;
  for (llvm::BasicBlock* bb : loop.blocks()) {
    for (llvm::Instruction& i : *bb) {
      if (++n > kMaxInstructions) return false;
      if (llvm::isa<llvm::CallBase>(i) && !llvm::isa<llvm::IntrinsicInst>(i)) return false;
    }
  }
  return true;
}

std::vector<Widened> find_widened(llvm::ScalarEvolution& se, llvm::Loop& loop,
                                  llvm::SCEVExpander& expander) {
  std::vector<Widened> out;
  llvm::Type* i64 = llvm::Type::getInt64Ty(loop.getHeader()->getContext());
  llvm::Instruction* at = loop.getLoopPreheader()->getTerminator();
  for (llvm::BasicBlock* bb : loop.blocks()) {
    for (llvm::Instruction& i : *bb) {
      // zext i32 -> i64, or `and i64 x, 0xffffffff` (a frame slot's i32)
      if (i.getType() != i64 || !se.isSCEVable(i64)) continue;
      auto* z = llvm::dyn_cast<llvm::SCEVZeroExtendExpr>(se.getSCEV(&i));
      if (!z || !z->getOperand()->getType()->isIntegerTy(32)) continue;
      auto* ar = llvm::dyn_cast<llvm::SCEVAddRecExpr>(z->getOperand());
      if (!ar || ar->getLoop() != &loop || !ar->isAffine()) continue;
      auto* step = llvm::dyn_cast<llvm::SCEVConstant>(ar->getStepRecurrence(se));
      if (!step) continue;
      int64_t s = step->getAPInt().getSExtValue();
      if (s == 0 || s > kMaxStep || s < -kMaxStep) continue;
      Widened w{&i, nullptr, 0, s};
      split_constant(se, ar->getStart(), &w.base, &w.offset);
      if (!expander.isSafeToExpandAt(w.base, at)) continue;
      out.push_back(w);
      if (out.size() == kMaxWidened) return out;
    }
  }
  return out;
}

// True before the loop when each widened value's first and last values
// (at iterations 0 and `count`, the most the back edge can be taken) lie
// in [0, 2^32): a recurrence is linear, so every value between does too.
llvm::Value* no_wrap_check(llvm::ScalarEvolution& se, llvm::SCEVExpander& expander,
                           const std::vector<Widened>& widened, const SCEV* count,
                           llvm::Instruction* at) {
  llvm::Type* i64 = llvm::Type::getInt64Ty(at->getContext());
  const SCEV* count64 = se.getZeroExtendExpr(count, i64);
  llvm::IRBuilder<> b(at);
  llvm::Value* limit = b.getInt64(int64_t{1} << 32);
  llvm::Value* ok = b.getTrue();
  for (const Widened& w : widened) {
    const SCEV* first =
        se.getAddExpr(se.getZeroExtendExpr(w.base, i64), se.getConstant(i64, w.offset, true));
    const SCEV* last =
        se.getAddExpr(first, se.getMulExpr(se.getConstant(i64, w.step, true), count64));
    for (const SCEV* bound : {first, last}) {
      llvm::Value* v = expander.expandCodeFor(bound, i64, at);
      b.SetInsertPoint(at);
      ok = b.CreateAnd(ok, b.CreateICmpULT(v, limit));
    }
  }
  return ok;
}

// Runs the loop as it is when `ok` is false: a copy of it (with its own
// preheader) goes on the false edge; the two meet at the exit block.
void version(llvm::Loop& loop, llvm::Value* ok, llvm::DominatorTree& dt, llvm::LoopInfo& li) {
  llvm::BasicBlock* check = loop.getLoopPreheader();
  llvm::BasicBlock* exit = loop.getExitBlock();
  llvm::BasicBlock* preheader =
      llvm::SplitBlock(check, check->getTerminator(), &dt, &li, nullptr, "wide.ph");
  llvm::ValueToValueMapTy map;
  llvm::SmallVector<llvm::BasicBlock*, 8> blocks;
  llvm::Loop* narrow =
      llvm::cloneLoopWithPreheader(preheader, check, &loop, map, ".narrow", &li, &dt, blocks);
  llvm::remapInstructionsInBlocks(blocks, map);
  llvm::Instruction* old = check->getTerminator();
  llvm::BranchInst::Create(preheader, narrow->getLoopPreheader(), ok, old->getIterator());
  old->eraseFromParent();
  for (llvm::PHINode& phi : exit->phis()) {
    for (unsigned i = 0, n = phi.getNumIncomingValues(); i < n; ++i) {
      llvm::BasicBlock* from = phi.getIncomingBlock(i);
      if (!loop.contains(from)) continue;
      llvm::Value* v = phi.getIncomingValue(i);
      llvm::Value* copy = map.lookup(v);
      phi.addIncoming(copy ? copy : v, llvm::cast<llvm::BasicBlock>(map[from]));
    }
  }
  dt.changeImmediateDominator(exit, check);
  llvm::formDedicatedExitBlocks(narrow, &dt, &li, nullptr, true);
  llvm::formDedicatedExitBlocks(&loop, &dt, &li, nullptr, true);
}

bool widen(llvm::Loop& loop, llvm::ScalarEvolution& se, llvm::DominatorTree& dt, llvm::LoopInfo& li,
           llvm::AssumptionCache& ac) {
  bool changed = llvm::simplifyLoop(&loop, &dt, &li, &se, &ac, nullptr, false);
  if (!loop.isLoopSimplifyForm() || !loop.getExitBlock() || !small_and_straight(loop))
    return changed;
  const SCEV* count = se.getSymbolicMaxBackedgeTakenCount(&loop);
  if (llvm::isa<llvm::SCEVCouldNotCompute>(count) || !count->getType()->isIntegerTy() ||
      count->getType()->getIntegerBitWidth() > 32)
    return changed;
  llvm::SCEVExpander checks(se, "wide.check");
  std::vector<Widened> widened = find_widened(se, loop, checks);
  if (widened.empty() || !checks.isSafeToExpandAt(count, loop.getLoopPreheader()->getTerminator()))
    return changed;
  llvm::formLCSSARecursively(loop, dt, &li, &se);
  llvm::Value* ok =
      no_wrap_check(se, checks, widened, count, loop.getLoopPreheader()->getTerminator());
  version(loop, ok, dt, li);
  se.forgetLoop(&loop);
  llvm::Type* i64 = llvm::Type::getInt64Ty(loop.getHeader()->getContext());
  llvm::SCEVExpander values(se, "wide");
  for (const Widened& w : widened) {
    const SCEV* start =
        se.getAddExpr(se.getZeroExtendExpr(w.base, i64), se.getConstant(i64, w.offset, true));
    const SCEV* wide =
        se.getAddRecExpr(start, se.getConstant(i64, w.step, true), &loop, SCEV::FlagAnyWrap);
    llvm::Value* v = values.expandCodeFor(wide, i64, w.zext->getIterator());
    w.zext->replaceAllUsesWith(v);
    w.zext->eraseFromParent();
  }
  return true;
}

}  // namespace

llvm::PreservedAnalyses WidenLoopAddresses::run(llvm::Function& f,
                                                llvm::FunctionAnalysisManager& am) {
  if (f.hasOptSize()) return llvm::PreservedAnalyses::all();  // (no vectorizing either)
  auto& li = am.getResult<llvm::LoopAnalysis>(f);
  auto& dt = am.getResult<llvm::DominatorTreeAnalysis>(f);
  auto& se = am.getResult<llvm::ScalarEvolutionAnalysis>(f);
  auto& ac = am.getResult<llvm::AssumptionAnalysis>(f);
  std::vector<llvm::Loop*> innermost;
  for (llvm::Loop* loop : li.getLoopsInPreorder())
    if (loop->isInnermost()) innermost.push_back(loop);
  bool changed = false;
  for (llvm::Loop* loop : innermost) changed |= widen(*loop, se, dt, li, ac);
  return changed ? llvm::PreservedAnalyses::none() : llvm::PreservedAnalyses::all();
}

}  // namespace ember::jit

// WidenLoopAddresses (llvm_widen.hh): versions innermost loops so that the
// copy the loop vectorizer may take runs only when no i32 address of the
// loop wraps and every access of every iteration is in bounds.
#include "jit/llvm_widen.hh"

#include <llvm/ADT/DenseMap.h>
#include <llvm/Analysis/AssumptionCache.h>
#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/ScalarEvolution.h>
#include <llvm/Analysis/ScalarEvolutionExpressions.h>
#include <llvm/Analysis/ValueTracking.h>
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
#include <utility>
#include <vector>

#include "jit/llvm_lower.hh"
#include "jit/llvm_lowering.hh"

namespace ember::jit {
namespace {

using llvm::SCEV;

// Bounds that keep the checks' i64 arithmetic exact: |C| < 2^31 (an i32
// constant), 0 <= zext(A) < 2^32, |s| <= 2^20, the trip count below 2^32
// (an i32 count) and an access's first offset within +-2^40, so every term
// stays far below 2^63.
constexpr int64_t kMaxStep = int64_t{1} << 20;
constexpr int64_t kMaxFirstOffset = int64_t{1} << 40;
// A loop worth a copy is one the vectorizer may take: small, no calls.
constexpr unsigned kMaxInstructions = 400;
constexpr unsigned kMaxAccesses = 32;

// zext(v) where v = {A + C, +, step} in the loop, and the i64 recurrence
// it is in the copy: {zext(A) + C, +, step}.
struct Recurrence {
  const SCEV* step;   // i64, constant
  const SCEV* first;  // i64: zext(A) + C
  const SCEV* wide;
};

// The constant step of an affine recurrence of `loop`, if |step| <= kMaxStep.
const llvm::SCEVConstant* small_step(llvm::ScalarEvolution& se, const SCEV* s,
                                     const llvm::Loop& loop) {
  auto* ar = llvm::dyn_cast<llvm::SCEVAddRecExpr>(s);
  if (!ar || ar->getLoop() != &loop || !ar->isAffine()) return nullptr;
  auto* step = llvm::dyn_cast<llvm::SCEVConstant>(ar->getStepRecurrence(se));
  if (!step) return nullptr;
  int64_t v = step->getAPInt().getSExtValue();
  return v != 0 && v <= kMaxStep && v >= -kMaxStep ? step : nullptr;
}

// An access to a wasm memory: `ptr` is `base` (the MemoryInst's base,
// loaded by an instruction tagged kMemoryBase) plus an offset.
struct Access {
  llvm::Value* ptr;
  llvm::LoadInst* base;
  uint64_t bytes;
};

// Rewrites an expression of the loop with each zext of a recurrence
// replaced by its i64 recurrence, and keeps the recurrences it used.
class Widener : public llvm::SCEVRewriteVisitor<Widener> {
 public:
  Widener(llvm::ScalarEvolution& se, llvm::Loop& loop, llvm::SCEVExpander& expander)
      : SCEVRewriteVisitor(se), loop_(loop), expander_(expander) {}

  const SCEV* visitZeroExtendExpr(const llvm::SCEVZeroExtendExpr* z) {
    if (const Recurrence* r = recurrence(z)) return r->wide;
    return SCEVRewriteVisitor::visitZeroExtendExpr(z);
  }

  // The recurrence `z` widens to, or null.
  const Recurrence* recurrence(const llvm::SCEVZeroExtendExpr* z) {
    auto found = used_.find(z);
    if (found != used_.end()) return &found->second;
    llvm::Type* i64 = llvm::Type::getInt64Ty(loop_.getHeader()->getContext());
    const llvm::SCEVConstant* step = small_step(SE, z->getOperand(), loop_);
    if (z->getType() != i64 || !z->getOperand()->getType()->isIntegerTy(32) || !step)
      return nullptr;
    const SCEV* base;
    int64_t offset;
    split_constant(llvm::cast<llvm::SCEVAddRecExpr>(z->getOperand())->getStart(), &base, &offset);
    if (!expander_.isSafeToExpandAt(base, loop_.getLoopPreheader()->getTerminator()))
      return nullptr;
    Recurrence r;
    r.step = SE.getConstant(i64, step->getAPInt().getSExtValue(), true);
    r.first = SE.getAddExpr(SE.getZeroExtendExpr(base, i64), SE.getConstant(i64, offset, true));
    r.wide = SE.getAddRecExpr(r.first, r.step, &loop_, SCEV::FlagAnyWrap);
    return &used_.try_emplace(z, r).first->second;
  }

  const llvm::DenseMap<const SCEV*, Recurrence>& used() const { return used_; }

 private:
  // Splits an i32 start value into a constant and the rest.
  void split_constant(const SCEV* s, const SCEV** rest, int64_t* c) {
    *rest = s, *c = 0;
    if (auto* k = llvm::dyn_cast<llvm::SCEVConstant>(s)) {
      *c = k->getAPInt().getSExtValue();
      *rest = SE.getZero(s->getType());
    } else if (auto* add = llvm::dyn_cast<llvm::SCEVAddExpr>(s)) {
      if (auto* k = llvm::dyn_cast<llvm::SCEVConstant>(add->getOperand(0))) {
        *c = k->getAPInt().getSExtValue();
        llvm::SmallVector<const SCEV*, 4> ops(add->operands().drop_front());
        *rest = SE.getAddExpr(ops);
      }
    }
  }

  llvm::Loop& loop_;
  llvm::SCEVExpander& expander_;
  llvm::DenseMap<const SCEV*, Recurrence> used_;
};

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

// The loop vectorizer leaves the loop scalar.
void keep_scalar(llvm::Loop& loop) {
  llvm::addStringMetadataToLoop(&loop, "llvm.loop.vectorize.width", 1);
  llvm::addStringMetadataToLoop(&loop, "llvm.loop.interleave.count", 1);
}

// The loop's wasm memory accesses, false if it touches memory otherwise
// than by plain loads and stores of wasm memories or of the frame and the
// State (an argument's or an alloca's: those never fault).
bool find_accesses(const llvm::Loop& loop, std::vector<Access>* out) {
  const llvm::DataLayout& dl = loop.getHeader()->getDataLayout();
  const unsigned kind = loop.getHeader()->getContext().getMDKindID(kMemoryBase);
  for (llvm::BasicBlock* bb : loop.blocks()) {
    for (llvm::Instruction& i : *bb) {
      if (!i.mayReadOrWriteMemory()) continue;
      auto* load = llvm::dyn_cast<llvm::LoadInst>(&i);
      auto* store = llvm::dyn_cast<llvm::StoreInst>(&i);
      if ((!load || !load->isSimple()) && (!store || !store->isSimple())) return false;
      llvm::Value* ptr = load ? load->getPointerOperand() : store->getPointerOperand();
      llvm::Type* type = load ? load->getType() : store->getValueOperand()->getType();
      const llvm::Value* object = llvm::getUnderlyingObject(ptr, 0);
      if (llvm::isa<llvm::Argument>(object) || llvm::isa<llvm::AllocaInst>(object)) continue;
      auto* base = llvm::dyn_cast<llvm::LoadInst>(const_cast<llvm::Value*>(object));
      if (!base || !base->getMetadata(kind) || loop.contains(base) || out->size() == kMaxAccesses)
        return false;
      out->push_back(Access{ptr, base, dl.getTypeStoreSize(type).getFixedValue()});
    }
  }
  return true;
}

// The memory's size (bytes accessible), read where its base is.
llvm::Value* memory_size(llvm::LoadInst* base,
                         llvm::DenseMap<llvm::LoadInst*, llvm::Value*>& sizes) {
  llvm::Value*& size = sizes[base];
  if (size) return size;
  llvm::IRBuilder<> b(base->getNextNode());
  llvm::Value* at = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), base->getPointerOperand(),
                                                 lower::kMemSize - lower::kMemBase);
  // (a shared memory grows from other threads: as the interpreter reads it)
  auto* load = b.CreateAlignedLoad(b.getInt64Ty(), at, llvm::Align(8));
  load->setAtomic(llvm::AtomicOrdering::Monotonic);
  return size = load;
}

// The condition, before the loop, under which the copy runs: each widened
// recurrence's first and last values (at iterations 0 and `count`, the
// most the back edge can be taken) lie in [0, 2^32), and each access's
// range over every iteration lies in its memory (a recurrence is linear:
// the values between lie between). Null if an access's range is not known.
llvm::Value* copy_condition(llvm::ScalarEvolution& se, llvm::SCEVExpander& expander,
                            Widener& widener, const std::vector<Access>& accesses,
                            const llvm::Loop& loop, const SCEV* count) {
  llvm::Instruction* at = loop.getLoopPreheader()->getTerminator();
  llvm::Type* i64 = llvm::Type::getInt64Ty(at->getContext());
  const SCEV* count64 = se.getZeroExtendExpr(count, i64);
  // [first, end) of each access's offsets from its memory's base.
  struct Range {
    const SCEV* first;
    const SCEV* end;
    const Access* access;
  };
  std::vector<Range> ranges;
  for (const Access& a : accesses) {
    const SCEV* p = se.getSCEV(a.ptr);
    if (se.getPointerBase(p) != se.getSCEV(a.base)) return nullptr;
    const SCEV* offset = widener.visit(se.removePointerBase(p));
    const SCEV* first = offset;
    const SCEV* last = offset;
    const SCEV* start = offset;
    if (auto* ar = llvm::dyn_cast<llvm::SCEVAddRecExpr>(offset)) {
      const llvm::SCEVConstant* step = small_step(se, ar, loop);
      if (!step) return nullptr;
      first = start = ar->getStart();
      last = se.getAddExpr(first, se.getMulExpr(step, count64));
      if (step->getAPInt().isNegative()) std::swap(first, last);
    } else if (!se.isLoopInvariant(offset, &loop)) {
      return nullptr;
    }
    if (offset->getType() != i64 || se.getSignedRangeMax(start).sgt(kMaxFirstOffset) ||
        se.getSignedRangeMin(start).slt(-kMaxFirstOffset) ||
        !expander.isSafeToExpandAt(first, at) || !expander.isSafeToExpandAt(last, at))
      return nullptr;
    ranges.push_back({first, se.getAddExpr(last, se.getConstant(i64, a.bytes)), &a});
  }
  llvm::IRBuilder<> b(at);
  llvm::Value* ok = b.getTrue();
  auto within = [&](const SCEV* bound, llvm::Value* limit, bool end) {
    llvm::Value* v = expander.expandCodeFor(bound, i64, at);
    b.SetInsertPoint(at);
    // (a first offset is at least 0; an end at most the memory's size)
    ok = b.CreateAnd(
        ok, end ? b.CreateICmpSLE(v, limit)
                : b.CreateAnd(b.CreateICmpSGE(v, b.getInt64(0)), b.CreateICmpSLT(v, limit)));
  };
  for (const auto& [z, r] : widener.used()) {
    within(r.first, b.getInt64(int64_t{1} << 32), false);
    within(se.getAddExpr(r.first, se.getMulExpr(r.step, count64)), b.getInt64(int64_t{1} << 32),
           false);
  }
  llvm::DenseMap<llvm::LoadInst*, llvm::Value*> sizes;
  for (const Range& r : ranges) {
    llvm::Value* size = memory_size(r.access->base, sizes);
    within(r.first, size, false);
    within(r.end, size, true);
  }
  return ok;
}

// Runs the loop as it is when `ok` is false: a copy of it (with its own
// preheader) goes on the false edge; the two meet at the exit block.
// Returns the copy.
llvm::Loop* version(llvm::Loop& loop, llvm::Value* ok, llvm::DominatorTree& dt,
                    llvm::LoopInfo& li) {
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
  return narrow;
}

// Versions one innermost loop (above). True if the IR changed.
bool widen(llvm::Loop& loop, llvm::ScalarEvolution& se, llvm::DominatorTree& dt, llvm::LoopInfo& li,
           llvm::AssumptionCache& ac) {
  bool changed = llvm::simplifyLoop(&loop, &dt, &li, &se, &ac, nullptr, false);
  if (!loop.isLoopSimplifyForm() || !loop.getExitBlock() || !small_and_straight(loop))
    return changed;
  // A loop whose counter steps by 2 up to `i != n` from a value SCEV does
  // not know (a loop-header entry reads it from the frame) has a count
  // only if the counter does not wrap: such predicates join the check.
  llvm::SmallVector<const llvm::SCEVPredicate*, 4> predicates;
  const SCEV* count = se.getSymbolicMaxBackedgeTakenCount(&loop);
  if (llvm::isa<llvm::SCEVCouldNotCompute>(count))
    count = se.getPredicatedSymbolicMaxBackedgeTakenCount(&loop, predicates);
  std::vector<Access> accesses;
  if (llvm::isa<llvm::SCEVCouldNotCompute>(count) || !count->getType()->isIntegerTy() ||
      count->getType()->getIntegerBitWidth() > 32 || !find_accesses(loop, &accesses) ||
      accesses.empty())
    return changed;
  llvm::SCEVExpander checks(se, "wide.check");
  llvm::Instruction* at = loop.getLoopPreheader()->getTerminator();
  if (!checks.isSafeToExpandAt(count, at)) return changed;
  Widener widener(se, loop, checks);
  llvm::Type* i64 = llvm::Type::getInt64Ty(at->getContext());
  std::vector<std::pair<llvm::Instruction*, const Recurrence*>> replaced;
  for (llvm::BasicBlock* bb : loop.blocks()) {
    for (llvm::Instruction& i : *bb) {
      // zext i32 -> i64, or `and i64 x, 0xffffffff` (a frame slot's i32)
      if (i.getType() != i64) continue;
      if (auto* z = llvm::dyn_cast<llvm::SCEVZeroExtendExpr>(se.getSCEV(&i)))
        if (const Recurrence* r = widener.recurrence(z)) replaced.push_back({&i, r});
    }
  }
  llvm::Value* ok = copy_condition(se, checks, widener, accesses, loop, count);
  if (!ok) return changed;    // (and the loop may still vectorize: decision 55)
  if (!predicates.empty()) {  // (expanded as true where one does not hold)
    llvm::SCEVUnionPredicate all(predicates, se);
    llvm::Value* broken = checks.expandCodeForPredicate(&all, at);
    llvm::IRBuilder<> b(at);
    ok = b.CreateAnd(ok, b.CreateNot(broken));
  }
  llvm::formLCSSARecursively(loop, dt, &li, &se);
  keep_scalar(*version(loop, ok, dt, li));
  se.forgetLoop(&loop);
  llvm::SCEVExpander values(se, "wide");
  for (auto [i, r] : replaced) {
    i->replaceAllUsesWith(values.expandCodeFor(r->wide, i64, i->getIterator()));
    i->eraseFromParent();
  }
  return true;
}

}  // namespace

llvm::PreservedAnalyses WidenLoopAddresses::run(llvm::Function& f,
                                                llvm::FunctionAnalysisManager& am) {
  if (f.hasOptSize()) return llvm::PreservedAnalyses::all();  // (no vectorizing with checks)
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

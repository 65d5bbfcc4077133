// Lowering of register IR to LLVM IR (see llvm_lower.hh).
#include "jit/llvm_lower.hh"

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <map>
#include <cmath>

#include <llvm/IR/DebugInfoMetadata.h>

#include "jit/llvm_lowering.hh"

namespace ember::jit {

namespace lower {

using interp::IOp;
using llvm::BasicBlock;
using llvm::Value;
namespace ir = interp::ir;

namespace {

// The reason an unsupported instruction gives.
std::string unsupported(IOp op) {
  return std::string("instruction ") + interp::iop_name(op) + " is not compiled yet";
}

}  // namespace

llvm::Value* Lowering::memory_base(llvm::Value* m) {
  auto* base = b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), m, kMemBase));
  base->setMetadata(kMemoryBase, llvm::MDNode::get(c_, {}));
  return base;
}

void Lowering::reload_memory() {
  if (!mem_base_) return;
  Value* mems =
      b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), view_, kViewMemories));
  Value* m0 = b_.CreateLoad(ptr_, mems);
  b_.CreateStore(memory_base(m0), mem_base_);
  auto* size = b_.CreateLoad(i64_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), m0, kMemSize));
  // A shared memory grows from other threads: read its size as the
  // interpreter does (relaxed atomic). Another grows only through this
  // thread's calls, after which this runs again: a plain load, which the
  // optimizer may drop when nothing reads it.
  if (cx_.module.memories[0].limits.shared) {
    size->setAtomic(llvm::AtomicOrdering::Monotonic);
    size->setAlignment(llvm::Align(8));
  }
  b_.CreateStore(size, mem_size_);
}

// The frame's first `from_frame` slots as the caller left them at fp (or
// the parameters passed in registers), the others zero.
void Lowering::init_slots(uint32_t from_frame) {
  for (uint32_t s = 0; s < fc_.frame_slots; s++) {
    Value* init = b_.getInt64(0);
    if (regs_ && s < fc_.num_params) init = fn_->getArg(4 + s);
    else if (s < from_frame) init = b_.CreateLoad(i64_, fp_slot(s));
    b_.CreateStore(init, slots_[s]);
  }
}

// Whether a loop's header lies inside another loop (loops: header -> its
// last branch back).
bool loops_nest(const std::map<uint32_t, uint32_t>& loops) {
  uint32_t end = 0;  // where the loops so far end, at the furthest
  for (const auto& [header, back] : loops) {
    if (header != loops.begin()->first && header <= end) return true;
    end = std::max(end, back);
  }
  return false;
}

// An OSR entry: at the loop header State::osr_word names, with the whole
// frame the interpreter left; with no header named (kNoOsrWord), when its
// loops do not nest, a call: the function from its start, which lets this
// code serve the function's calls until its own entry is compiled
// (jit/llvm_tier.cc). The word is reset as it is read: a later call must
// not find it. (Nested loops entered at their headers from outside are
// irreducible already; the start's path into them as well made matmul's
// loop nest, entered so, run 1.5-2x slower.)
void Lowering::enter_at_header(const OsrEntryInfo& osr, BasicBlock* first) {
  Value* word = b_.CreateLoad(i32_, state_field(kOsrWord));
  b_.CreateStore(b_.getInt32(interp::kNoOsrWord), state_field(kOsrWord));
  auto to_headers = [&] {
    BasicBlock* none = BasicBlock::Create(c_, "no_header", fn_);
    llvm::SwitchInst* sw = b_.CreateSwitch(word, none, uint32_t(osr.headers.size()));
    for (uint32_t header : osr.headers) sw->addCase(b_.getInt32(header), blocks_[header]);
    b_.SetInsertPoint(none);
    b_.CreateUnreachable();
  };
  if (!osr.serves_calls) {
    init_slots(fc_.frame_slots);
    to_headers();
    return;
  }
  BasicBlock* start = BasicBlock::Create(c_, "start", fn_);
  BasicBlock* resume = BasicBlock::Create(c_, "resume", fn_);
  llvm::SwitchInst* sw = b_.CreateSwitch(word, start, uint32_t(osr.headers.size()));
  for (uint32_t header : osr.headers) sw->addCase(b_.getInt32(header), resume);
  b_.SetInsertPoint(start);
  count_call();
  init_slots(fc_.num_params);
  b_.CreateBr(first);
  b_.SetInsertPoint(resume);
  init_slots(fc_.frame_slots);
  to_headers();
}

// A call of an OSR entry spends a unit of the function's hotness, as the
// interpreter's TierUp at its start would (FuncCode::hotness's relaxed
// rule); spent, the function's own entry is asked for.
void Lowering::count_call() {
  Value* p = b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), func_code(fc_), kCodeHotness);
  llvm::LoadInst* hot = b_.CreateLoad(i32_, p);
  hot->setAtomic(llvm::AtomicOrdering::Monotonic);
  hot->setAlignment(llvm::Align(4));
  Value* left = b_.CreateSub(hot, b_.getInt32(1));
  llvm::StoreInst* store = b_.CreateStore(left, p);
  store->setAtomic(llvm::AtomicOrdering::Monotonic);
  store->setAlignment(llvm::Align(4));
  BasicBlock* ask = BasicBlock::Create(c_, "tier_up", fn_);
  BasicBlock* go = BasicBlock::Create(c_, "", fn_);
  b_.CreateCondBr(b_.CreateICmpSLT(left, b_.getInt32(0)), ask, go,
                  llvm::MDBuilder(c_).createUnlikelyBranchWeights());
  b_.SetInsertPoint(ask);
  runtime_call(reinterpret_cast<const void*>(&interp::ember_native_tier_up), b_.getVoidTy(),
               {st_, view_, func_code(fc_)});
  b_.CreateBr(go);
  b_.SetInsertPoint(go);
}

std::string Lowering::run(OsrEntryInfo* osr) {
  BasicBlock* entry = BasicBlock::Create(c_, "entry", fn_);
  b_.SetInsertPoint(entry);
  // With debug information (Config::debug_info), the entry is at the
  // function's line (its body's offset in the module) and each
  // instruction at its own: the module offset backtraces report.
  llvm::DISubprogram* sp = fn_->getSubprogram();
  if (sp) b_.SetCurrentDebugLocation(llvm::DILocation::get(c_, sp->getLine(), 0, sp));
  st_ = fn_->getArg(0);
  view_ = fn_->getArg(1);
  fp_ = fn_->getArg(2);
  regs_ = !fn_->getReturnType()->isIntegerTy();
  depth_ =
      regs_ ? static_cast<Value*>(fn_->getArg(3)) : b_.CreateLoad(i32_, state_field(kNativeDepth));
  slots_.resize(fc_.frame_slots);
  // One array of slots, so that SROA sees a v128's two slots accessed as a
  // vector and keeps it in a vector register (a phi of <2 x i64> in a loop,
  // not two i64 phis rebuilt into a vector at every use).
  Value* frame = b_.CreateAlloca(llvm::ArrayType::get(i64_, std::max(fc_.frame_slots, 1u)));
  for (uint32_t s = 0; s < fc_.frame_slots; s++)
    slots_[s] = b_.CreateConstInBoundsGEP1_64(i64_, frame, s);
  if (!osr) init_slots(fc_.num_params);
  // What bounds a call, fixed while this function runs (State's fields are
  // set when compiled code is entered from outside).
  stack_end_ = b_.CreateLoad(ptr_, state_field(kStackEnd));
  native_limit_ = b_.CreateLoad(i64_, state_field(kNativeLimit));
  max_depth_ = b_.CreateLoad(i32_, state_field(kNativeMaxDepth));
  scratch_ = b_.CreateAlloca(i64_);
  start_parking();
  for (Value*& buf : vbuf_) buf = b_.CreateAlloca(llvm::FixedVectorType::get(i64_, 2));
  if (!cx_.module.memories.empty()) {
    mem_base_ = b_.CreateAlloca(ptr_);
    mem_size_ = b_.CreateAlloca(i64_);
    reload_memory();
  }
  // Every word a branch lands on starts a block (found first: a loop's
  // header is met before the branch back to it).
  BasicBlock* first = block_at(fc_.begin);
  std::map<uint32_t, uint32_t> loops;  // OSR: header word -> its last branch back
  auto target = [&](uint32_t pos) {
    uint32_t to = branch_target(pos);
    block_at(to);
    if (osr && to <= at_) loops[to] = std::max(loops[to], at_);
  };
  for (at_ = fc_.begin; at_ < fc_.end; at_ += length()) {
    const interp::IrLayout& lay = interp::ir_layout(IOp(words()[at_]));
    if (osr && IOp(words()[at_]) == IOp::TierUp && w(ir::TierUp::At::loop)) {
      osr->headers.push_back(at_);
      block_at(at_);
    }
    if (lay.variable) {
      for (uint32_t k = 0; k <= w(2); k++) target(3 + k);
      continue;
    }
    for (uint32_t k = 0; k < lay.count; k++)
      if (lay.ops[k] == interp::Operand::Branch) target(1 + k);
  }
  if (osr) osr->serves_calls = !loops_nest(loops);
  // A catch clause's target starts a block too (it is entered from the
  // calls and throws of its try range, leave()).
  for (uint32_t r = fc_.tries_begin; r < fc_.tries_end; r++) {
    const interp::TryRange& range = cx_.code.tries[r];
    if (range.count == interp::kDelegate) continue;
    for (uint32_t k = range.first; k < range.first + range.count; k++)
      if (cx_.code.handlers[k].target != interp::kReturnTarget)
        block_at(cx_.code.handlers[k].target);
  }
  if (osr) enter_at_header(*osr, first);
  else b_.CreateBr(first);
  b_.SetInsertPoint(first);
  for (at_ = fc_.begin; at_ < fc_.end;) {
    if (at_ != fc_.begin) {
      auto it = blocks_.find(at_);
      if (it != blocks_.end()) {
        if (!b_.GetInsertBlock()->getTerminator()) b_.CreateBr(it->second);
        b_.SetInsertPoint(it->second);
      }
    }
    op_ = IOp(words()[at_]);
    if (sp)
      b_.SetCurrentDebugLocation(
          llvm::DILocation::get(c_, unsigned(cx_.code.offset_of(at_)), 0, sp));
    uint32_t len = length();
    if (!lower_one(op_)) return why_.empty() ? unsupported(op_) : why_;
    at_ += len;
  }
  // A block started by a branch target past the last instruction cannot
  // exist (the verifier proves targets land on instructions); close the
  // trailing dead block.
  if (!b_.GetInsertBlock()->getTerminator()) b_.CreateUnreachable();
  for (auto& [word, bb] : blocks_)
    if (!bb->getTerminator()) b_.SetInsertPoint(bb), b_.CreateUnreachable();
  return why_;  // (empty unless a runtime function had no symbol)
}

std::vector<uint32_t> Lowering::catch_candidates() const {
  std::vector<uint32_t> out;
  search_clauses(cx_.code, fc_, at_, [&](uint32_t k) {
    out.push_back(k);
    return false;  // (which matches is known at run time)
  });
  return out;
}

void Lowering::leave(Value* r) {
  std::vector<uint32_t> clauses = catch_candidates();
  if (clauses.empty()) {
    ret(r);
    return;
  }
  BasicBlock* thrown = BasicBlock::Create(c_, "exception", fn_);
  BasicBlock* out = BasicBlock::Create(c_, "leave", fn_);
  b_.CreateCondBr(b_.CreateICmpEQ(r, b_.getInt32(uint32_t(TrapCode::Exception))), thrown, out);
  b_.SetInsertPoint(out);
  ret(r);
  b_.SetInsertPoint(thrown);
  llvm::FunctionType* ty = llvm::FunctionType::get(i32_, {ptr_, ptr_, ptr_, ptr_, i32_}, false);
  Value* k = b_.CreateCall(ty, fn_const(reinterpret_cast<const void*>(&interp::ember_native_catch)),
                           {st_, view_, func_code(fc_), fp_, b_.getInt32(at_)});
  BasicBlock* uncaught = BasicBlock::Create(c_, "uncaught", fn_);
  llvm::SwitchInst* sw = b_.CreateSwitch(k, uncaught, uint32_t(clauses.size()));
  b_.SetInsertPoint(uncaught);
  ret(r);
  const ModuleData& m = cx_.module;
  for (uint32_t index : clauses) {
    const interp::CatchHandler& h = cx_.code.handlers[index];
    BasicBlock* caught = BasicBlock::Create(c_, "caught", fn_);
    sw->addCase(b_.getInt32(index + 1), caught);
    b_.SetInsertPoint(caught);
    if (h.target == interp::kReturnTarget) {  // the payload is the function's results
      if (regs_) ret_ok(fc_.num_results ? b_.CreateLoad(i64_, fp_slot(0)) : nullptr);
      else b_.CreateRet(b_.getInt32(0));
      continue;
    }
    CatchClause c{CatchClause::Kind(h.kind), h.tag, 0};
    uint32_t n = c.has_tag() ? rt::slots_of(m.types[m.tags[h.tag]].params) : 0;
    for (uint32_t s = h.dst; s < h.dst + n; s++)
      b_.CreateStore(b_.CreateLoad(i64_, fp_slot(s)), slots_[s]);
    if (c.has_ref()) b_.CreateStore(b_.CreateLoad(i64_, fp_slot(h.ref_dst)), slots_[h.ref_dst]);
    reload_memory();  // (the code it came out of may have grown it)
    b_.CreateBr(block_at(h.target));
  }
}

void Lowering::store_results_and_return(uint32_t n) {
  if (regs_) {
    ret_ok(n ? get64(0) : nullptr);  // (n <= 1: register_functions)
  } else {
    for (uint32_t s = 0; s < n; s++) b_.CreateStore(get64(s), fp_slot(s));
    b_.CreateRet(b_.getInt32(0));
  }
  dead_end();
}

bool Lowering::lower_one(IOp op) {
  const OpInfo& info = op_info(op);
  if (info.row) return lower_row(op, info);
  switch (op) {
    case IOp::Unreachable: trap_now(TrapCode::Unreachable); return true;
    case IOp::Copy: set(w(1), get64(w(2))); return true;
    case IOp::Const32: set(w(1), b_.getInt32(w(2))); return true;
    case IOp::Const64: set(w(1), b_.getInt64(uint64_t(w(2)) | uint64_t(w(3)) << 32)); return true;
    case IOp::Br:
      br_to(branch_target(ir::Br::At::off));
      dead_end();
      return true;
    case IOp::BrIf:
    case IOp::BrIfI32Nez:
      cond_br(b_.CreateICmpNE(get(w(1), VType::I32), b_.getInt32(0)), branch_target(2));
      return true;
    case IOp::BrIfNot:
    case IOp::BrIfI32Eqz:
      cond_br(b_.CreateICmpEQ(get(w(1), VType::I32), b_.getInt32(0)), branch_target(2));
      return true;
    case IOp::BrIfI64Nez:
      cond_br(b_.CreateICmpNE(get64(w(1)), b_.getInt64(0)), branch_target(2));
      return true;
    case IOp::BrIfI64Eqz:
      cond_br(b_.CreateICmpEQ(get64(w(1)), b_.getInt64(0)), branch_target(2));
      return true;
    case IOp::BrTable: {
      uint32_t n = w(2);
      llvm::SwitchInst* sw =
          b_.CreateSwitch(get(w(1), VType::I32), block_at(branch_target(3 + n)), n);
      for (uint32_t k = 0; k < n; k++) sw->addCase(b_.getInt32(k), block_at(branch_target(3 + k)));
      dead_end();
      return true;
    }
    case IOp::Return: store_results_and_return(fc_.num_results); return true;
    case IOp::Return1:
      set(0, get64(w(1)));
      store_results_and_return(1);
      return true;
    case IOp::Select: {
      using A = ir::Select::At;
      Value* c = b_.CreateICmpNE(get(w(A::c), VType::I32), b_.getInt32(0));
      set(w(A::d), b_.CreateSelect(c, get64(w(A::a)), get64(w(A::b))));
      return true;
    }
    case IOp::GlobalGet:
    case IOp::GlobalSet: {
      uint32_t g = op == IOp::GlobalGet ? w(ir::GlobalGet::At::g) : w(ir::GlobalSet::At::g);
      Value* p = global_value_ptr(g);
      if (op == IOp::GlobalGet) set(w(ir::GlobalGet::At::d), b_.CreateLoad(i64_, p));
      else b_.CreateStore(get64(w(ir::GlobalSet::At::s)), p);
      return true;
    }
    case IOp::MemorySize:
    case IOp::MemoryGrow: {
      bool grow = op == IOp::MemoryGrow;
      uint32_t mem = grow ? w(ir::MemoryGrow::At::mem) : w(ir::MemorySize::At::mem);
      uint32_t d = grow ? w(ir::MemoryGrow::At::d) : w(ir::MemorySize::At::d);
      bool is64 = cx_.module.memories[mem].limits.is64;
      Value* r;
      if (grow) {
        Value* delta = get64(w(ir::MemoryGrow::At::delta));
        if (!is64) delta = b_.CreateAnd(delta, b_.getInt64(0xffffffff));
        llvm::FunctionType* ty = llvm::FunctionType::get(i64_, {ptr_, ptr_, i32_, i64_}, false);
        publish_depth();  // (a resource limiter runs host code)
        r = b_.CreateCall(
            ty, fn_const(reinterpret_cast<const void*>(&interp::ember_native_memory_grow)),
            {st_, view_, b_.getInt32(mem), delta});
      } else {
        llvm::FunctionType* ty = llvm::FunctionType::get(i64_, {ptr_, i32_}, false);
        r = b_.CreateCall(
            ty, fn_const(reinterpret_cast<const void*>(&interp::ember_native_memory_size)),
            {view_, b_.getInt32(mem)});
      }
      set(d, is64 ? r : b_.CreateTrunc(r, i32_));
      if (grow) reload_memory();
      return true;
    }
    case IOp::Fuel:
    case IOp::FuelSave:
    case IOp::FuelCheck:
    case IOp::FuelUnits:
    case IOp::FuelMemoryGrow:
    case IOp::FuelTableGrow: return lower_fuel(op);
    case IOp::EpochCheck: lower_epoch_check(); return true;
    case IOp::TierUp: return true;  // (compiled already)
    case IOp::CopyV128:
    case IOp::ConstV128:
    case IOp::SelectV128:
    case IOp::GlobalGetV128:
    case IOp::GlobalSetV128: return lower_v128_move(op);
    case IOp::CallIndirect: return lower_call_indirect();
    case IOp::ReturnCall:
    case IOp::ReturnCallIndirect:
    case IOp::ReturnCallRef: return lower_tail_call(op);
    case IOp::CallRef: return lower_call_ref();
    case IOp::Throw: {
      using A = ir::Throw::At;
      const FuncType& tag = cx_.module.types[cx_.module.tags[w(A::tag)]];
      store_args(w(A::base), rt::slots_of(tag.params));
      spill_refs(at_ + length());  // (for the exception collector that may run)
      leave(runtime_call(reinterpret_cast<const void*>(&interp::ember_native_throw), i32_,
                         {st_, view_, func_code(fc_), fp_, b_.getInt32(at_), b_.getInt32(w(A::tag)),
                          b_.getInt32(w(A::base))}));
      dead_end();
      return true;
    }
    case IOp::ThrowRef: {
      Value* exn = get64(w(ir::ThrowRef::At::s));
      trap_if(b_.CreateICmpEQ(exn, b_.getInt64(0)), TrapCode::NullReference);
      leave(runtime_call(reinterpret_cast<const void*>(&interp::ember_native_throw_ref), i32_,
                         {st_, view_, func_code(fc_), b_.getInt32(at_), exn}));
      dead_end();
      return true;
    }
    case IOp::MemoryFill: {
      using A = ir::MemoryFill::At;
      Value* r =
          runtime_call(reinterpret_cast<const void*>(&interp::ember_native_memory_fill), i32_,
                       {view_, b_.getInt32(w(A::mem)), get64(w(A::d)), get(w(A::val), VType::I32),
                        get64(w(A::n))});
      trap_unless_zero(r, TrapCode::MemoryOutOfBounds);
      return true;
    }
    case IOp::MemoryCopy: {
      using A = ir::MemoryCopy::At;
      Value* r =
          runtime_call(reinterpret_cast<const void*>(&interp::ember_native_memory_copy), i32_,
                       {view_, b_.getInt32(w(A::dmem)), b_.getInt32(w(A::smem)), get64(w(A::d)),
                        get64(w(A::s)), get64(w(A::n))});
      trap_unless_zero(r, TrapCode::MemoryOutOfBounds);
      return true;
    }
    case IOp::MemoryInit: {
      using A = ir::MemoryInit::At;
      Value* r =
          runtime_call(reinterpret_cast<const void*>(&interp::ember_native_memory_init), i32_,
                       {view_, b_.getInt32(w(A::mem)), b_.getInt32(w(A::data)), get64(w(A::d)),
                        get(w(A::s), VType::I32), get(w(A::n), VType::I32)});
      trap_unless_zero(r, TrapCode::MemoryOutOfBounds);
      return true;
    }
    case IOp::RefIsNull:
      set(w(ir::RefIsNull::At::d), b_.CreateICmpEQ(get64(w(ir::RefIsNull::At::s)), b_.getInt64(0)));
      return true;
    case IOp::RefEq:
      set(w(ir::RefEq::At::d),
          b_.CreateICmpEQ(get64(w(ir::RefEq::At::a)), get64(w(ir::RefEq::At::b))));
      return true;
    case IOp::RefI31: {  // (runtime/gc.hh's make_i31: the low 31 bits above a tag bit)
      Value* x = b_.CreateAnd(get64(w(ir::RefI31::At::s)), b_.getInt64(0x7fffffff));
      set(w(ir::RefI31::At::d), b_.CreateOr(b_.CreateShl(x, 1), b_.getInt64(1)));
      return true;
    }
    case IOp::I31GetS:
    case IOp::I31GetU: {
      using A = ir::I31GetS::At;
      static_assert(int(A::d) == int(ir::I31GetU::At::d) && int(A::s) == int(ir::I31GetU::At::s));
      Value* v = get64(w(A::s));
      trap_if(b_.CreateICmpEQ(v, b_.getInt64(0)), TrapCode::NullI31Reference);
      Value* low = b_.CreateTrunc(v, i32_);
      set(w(A::d), op == IOp::I31GetS
                       ? b_.CreateAShr(low, 1)
                       : b_.CreateAnd(b_.CreateLShr(low, 1), b_.getInt32(0x7fffffff)));
      return true;
    }
    case IOp::RefAsNonNull:
      trap_if(b_.CreateICmpEQ(get64(w(ir::RefAsNonNull::At::s)), b_.getInt64(0)),
              TrapCode::NullReference);
      return true;
    case IOp::BrOnNull:
      cond_br(b_.CreateICmpEQ(get64(w(ir::BrOnNull::At::c)), b_.getInt64(0)),
              branch_target(ir::BrOnNull::At::off));
      return true;
    case IOp::BrOnNonNull:
      cond_br(b_.CreateICmpNE(get64(w(ir::BrOnNonNull::At::c)), b_.getInt64(0)),
              branch_target(ir::BrOnNonNull::At::off));
      return true;
    case IOp::RefFunc: {
      Value* funcs =
          b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), view_, kViewFuncs));
      Value* f =
          b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(ptr_, funcs, w(ir::RefFunc::At::func)));
      set(w(ir::RefFunc::At::d), b_.CreatePtrToInt(f, i64_));
      return true;
    }
    case IOp::TableGet: {
      using A = ir::TableGet::At;
      Value* r = runtime_call(reinterpret_cast<const void*>(&interp::ember_native_table_get), i32_,
                              {view_, b_.getInt32(w(A::t)), get64(w(A::i)), scratch_});
      trap_unless_zero(r, TrapCode::TableOutOfBounds);
      set(w(A::d), b_.CreateLoad(i64_, scratch_));
      return true;
    }
    case IOp::TableSet: {
      using A = ir::TableSet::At;
      Value* r = runtime_call(reinterpret_cast<const void*>(&interp::ember_native_table_set), i32_,
                              {view_, b_.getInt32(w(A::t)), get64(w(A::i)), get64(w(A::s))});
      trap_unless_zero(r, TrapCode::TableOutOfBounds);
      return true;
    }
    case IOp::TableSize: {
      using A = ir::TableSize::At;
      bool is64 = cx_.module.tables[w(A::t)].limits.is64;
      Value* r = runtime_call(reinterpret_cast<const void*>(&interp::ember_native_table_size), i64_,
                              {view_, b_.getInt32(w(A::t))});
      set(w(A::d), is64 ? r : b_.CreateTrunc(r, i32_));
      return true;
    }
    case IOp::AtomicLoad:
    case IOp::AtomicStore:
    case IOp::AtomicRmw:
    case IOp::AtomicRmw3: return lower_atomic(op);
    case IOp::AtomicFence:
      b_.CreateFence(llvm::AtomicOrdering::SequentiallyConsistent);
      return true;
    case IOp::TableGrow: {
      using A = ir::TableGrow::At;
      bool is64 = cx_.module.tables[w(A::t)].limits.is64;
      Value* r =
          runtime_call(reinterpret_cast<const void*>(&interp::ember_native_table_grow), i64_,
                       {st_, view_, b_.getInt32(w(A::t)), get64(w(A::init)), get64(w(A::n))});
      set(w(A::d), is64 ? r : b_.CreateTrunc(r, i32_));
      return true;
    }
    case IOp::TableFill: {
      using A = ir::TableFill::At;
      Value* r = runtime_call(
          reinterpret_cast<const void*>(&interp::ember_native_table_fill), i32_,
          {view_, b_.getInt32(w(A::t)), get64(w(A::i)), get64(w(A::val)), get64(w(A::n))});
      trap_unless_zero(r, TrapCode::TableOutOfBounds);
      return true;
    }
    case IOp::TableCopy: {
      using A = ir::TableCopy::At;
      Value* r = runtime_call(reinterpret_cast<const void*>(&interp::ember_native_table_copy), i32_,
                              {view_, b_.getInt32(w(A::dt)), b_.getInt32(w(A::st)), get64(w(A::d)),
                               get64(w(A::s)), get64(w(A::n))});
      trap_unless_zero(r, TrapCode::TableOutOfBounds);
      return true;
    }
    case IOp::TableInit: {
      using A = ir::TableInit::At;
      Value* r = runtime_call(reinterpret_cast<const void*>(&interp::ember_native_table_init), i32_,
                              {view_, b_.getInt32(w(A::t)), b_.getInt32(w(A::elem)), get64(w(A::d)),
                               get(w(A::s), VType::I32), get(w(A::n), VType::I32)});
      trap_unless_zero(r, TrapCode::TableOutOfBounds);
      return true;
    }
    case IOp::ElemDrop:
      runtime_call(reinterpret_cast<const void*>(&interp::ember_native_elem_drop), b_.getVoidTy(),
                   {view_, b_.getInt32(w(ir::ElemDrop::At::elem))});
      return true;
    case IOp::DataDrop:
      runtime_call(reinterpret_cast<const void*>(&interp::ember_native_data_drop), b_.getVoidTy(),
                   {view_, b_.getInt32(w(ir::DataDrop::At::data))});
      return true;
    case IOp::Call: {
      using A = ir::Call::At;
      uint32_t f = w(A::func);
      uint32_t nimp = cx_.module.num_imported_funcs;
      return lower_call(f < nimp ? f : f - nimp, f >= nimp, w(A::base), at_ + A::words);
    }
    case IOp::CallLocal: {
      using A = ir::CallLocal::At;
      return lower_call(index_ + int32_t(w(A::delta)), true, w(A::base), at_ + A::words);
    }
    case IOp::StructNew:
    case IOp::StructNewDefault:
    case IOp::StructGet:
    case IOp::StructSet:
    case IOp::ArrayNew:
    case IOp::ArrayNewDefault:
    case IOp::ArrayNewFixed:
    case IOp::ArrayNewData:
    case IOp::ArrayNewElem:
    case IOp::ArrayGet:
    case IOp::ArraySet:
    case IOp::ArrayLen:
    case IOp::ArrayFill:
    case IOp::ArrayCopy:
    case IOp::ArrayInitData:
    case IOp::ArrayInitElem:
    case IOp::RefTest:
    case IOp::RefCast:
    case IOp::BrOnCast:
    case IOp::BrOnCastFail: return lower_gc(op);
    default: return false;
  }
}

// A call of defined function `callee` (local) or of function index `callee`
// (an import): the argument window goes to the frame, the callee runs (a
// direct call when it is compiled too), the results come back.
// A call of compiled code at `target` (direct, or the callee's
// FuncCode::native): the checks the interpreter makes before it pushes a
// frame (the callee's frame fits the value stack, the native stack has
// room, the depth budget), then the call; a failure returns with this
// frame added to the trap's.
void Lowering::check_call(const interp::FuncCode& cfc, Value* nfp, uint32_t next_word,
                          Value* finst) {
  Value* frame_end = b_.CreateConstGEP1_64(i64_, nfp, cfc.frame_slots);
  Value* sp = b_.CreatePtrToInt(
      b_.CreateIntrinsic(llvm::Intrinsic::frameaddress, {ptr_}, {b_.getInt32(0)}), i64_);
  Value* over = b_.CreateOr(b_.CreateOr(b_.CreateICmpUGT(b_.CreatePtrToInt(frame_end, i64_),
                                                         b_.CreatePtrToInt(stack_end_, i64_)),
                                        b_.CreateICmpULT(sp, native_limit_)),
                            b_.CreateICmpUGE(depth_, max_depth_));
  BasicBlock* trap = BasicBlock::Create(c_, "overflow", fn_);
  BasicBlock* go = BasicBlock::Create(c_, "", fn_);
  b_.CreateCondBr(over, trap, go, llvm::MDBuilder(c_).createUnlikelyBranchWeights());
  b_.SetInsertPoint(trap);
  ret(trap_call(uint32_t(TrapCode::StackOverflow), next_word, finst));
  b_.SetInsertPoint(go);
}

void Lowering::unwind_if_failed(Value* r, uint32_t next_word) {
  BasicBlock* failed = BasicBlock::Create(c_, "failed", fn_);
  BasicBlock* ok = BasicBlock::Create(c_, "", fn_);
  b_.CreateCondBr(b_.CreateICmpNE(r, b_.getInt32(0)), failed, ok,
                  llvm::MDBuilder(c_).createUnlikelyBranchWeights());
  b_.SetInsertPoint(failed);
  llvm::FunctionType* ty = llvm::FunctionType::get(i32_, {ptr_, ptr_, ptr_, i32_, i32_}, false);
  leave(b_.CreateCall(ty, fn_const(reinterpret_cast<const void*>(&interp::ember_native_unwind)),
                      {st_, view_, func_code(fc_), b_.getInt32(next_word), r}));
  b_.SetInsertPoint(ok);
}

void Lowering::start_parking() {
  const auto& maps = cx_.code.stack_maps;  // (sorted by word)
  auto first = std::lower_bound(maps.begin(), maps.end(), fc_.begin,
                                [](const interp::StackMap& m, uint32_t w) { return m.word < w; });
  const bool maps_here = first != maps.end() && first->word < fc_.end;
  if (fc_.ref_locals_begin == fc_.ref_locals_end && !maps_here) return;
  using F = interp::CompiledFrame;
  parked_ = b_.CreateAlloca(llvm::ArrayType::get(i64_, (sizeof(F) + 7) / 8));
  auto field = [&](size_t offset) {
    return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), parked_, offset);
  };
  b_.CreateStore(fp_, field(offsetof(F, fp)));
  b_.CreateStore(
      b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), view_, kViewInst)),
      field(offsetof(F, inst)));
  b_.CreateStore(func_code(fc_), field(offsetof(F, fn)));
}

bool Lowering::spill_refs(uint32_t next_word) {
  if (!parked_) return false;
  bool traced = false;
  auto spill = [&](uint32_t entry) {
    uint32_t s = interp::entry_slot(entry);
    b_.CreateStore(get64(s), fp_slot(s));
    traced |= interp::entry_traced(entry);
  };
  for (uint32_t i = fc_.ref_locals_begin; i < fc_.ref_locals_end; i++) spill(cx_.code.ref_slots[i]);
  for (uint32_t entry : cx_.code.stack_map(next_word - 1)) spill(entry);
  return traced;
}

Value* Lowering::park(uint32_t next_word) {
  if (!spill_refs(next_word)) return nullptr;
  using F = interp::CompiledFrame;
  b_.CreateStore(b_.getInt32(next_word),
                 b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), parked_, offsetof(F, word)));
  Value* prev = b_.CreateLoad(ptr_, state_field(kCompiledFrames));
  b_.CreateStore(prev, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), parked_, offsetof(F, prev)));
  b_.CreateStore(parked_, state_field(kCompiledFrames));
  return prev;
}

void Lowering::call_compiled(Value* target, const interp::FuncCode& cfc, Value* nfp,
                             uint32_t next_word, Value* finst) {
  check_call(cfc, nfp, next_word, finst);
  // The callee's entry reads its depth from the State.
  b_.CreateStore(b_.CreateAdd(depth_, b_.getInt32(1)), state_field(kNativeDepth));
  llvm::FunctionType* entry = llvm::FunctionType::get(i32_, {ptr_, ptr_, ptr_}, false);
  Value* prev = park(next_word);
  Value* r = b_.CreateCall(entry, target, {st_, view_, nfp});
  unpark(prev);
  unwind_if_failed(r, next_word);
}

void Lowering::call_body(llvm::Function* body, const interp::FuncCode& cfc, uint32_t base,
                         uint32_t next_word, Value* finst) {
  Value* nfp = fp_slot(base);
  check_call(cfc, nfp, next_word, finst);
  std::vector<Value*> args{st_, view_, nfp, b_.CreateAdd(depth_, b_.getInt32(1))};
  for (uint32_t s = 0; s < cfc.num_params; s++) args.push_back(get64(base + s));
  Value* prev = park(next_word);
  Value* r = b_.CreateCall(body->getFunctionType(), body, args);
  unpark(prev);
  unwind_if_failed(b_.CreateExtractValue(r, 1), next_word);
  if (cfc.num_results) set(base, b_.CreateExtractValue(r, 0));
}

// call / call_local: a compiled callee of this batch directly; another
// function of this module through its FuncCode::native when tiering has
// compiled it by then; anything else through the runtime.
bool Lowering::lower_call(uint32_t callee, bool local, uint32_t base, uint32_t next_word) {
  const ModuleData& m = cx_.module;
  uint32_t func_index = local ? callee + m.num_imported_funcs : callee;
  const FuncType& ft = m.types[m.funcs[func_index]];
  uint32_t nparams = rt::slots_of(ft.params), nresults = rt::slots_of(ft.results);
  Value* funcs =
      b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), view_, kViewFuncs));
  Value* finst = b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(ptr_, funcs, func_index));
  if (llvm::Function* body = local ? cx_.registers[callee] : nullptr) {
    call_body(body, cx_.code.funcs[callee], base, next_word, finst);
    reload_memory();  // (the callee may have grown it)
    return true;
  }
  store_args(base, nparams);
  Value* nfp = fp_slot(base);
  llvm::Function* direct = local ? cx_.compiled[callee] : nullptr;
  if (direct) {
    call_compiled(direct, cx_.code.funcs[callee], nfp, next_word, finst);
    take_results(base, nresults);
    return true;
  }
  BasicBlock* slow = BasicBlock::Create(c_, "runtime", fn_);
  BasicBlock* join = BasicBlock::Create(c_, "", fn_);
  if (local) {
    const interp::FuncCode& cfc = cx_.code.funcs[callee];
    auto* native = b_.CreateLoad(
        ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), func_code(cfc), kCodeNative));
    native->setAtomic(llvm::AtomicOrdering::Acquire);  // (FuncCode::native's rule)
    native->setAlignment(llvm::Align(8));
    BasicBlock* fast = BasicBlock::Create(c_, "", fn_);
    b_.CreateCondBr(b_.CreateIsNull(native), slow, fast);
    b_.SetInsertPoint(fast);
    call_compiled(native, cfc, nfp, next_word, finst);
    b_.CreateBr(join);
  } else {
    b_.CreateBr(slow);
  }
  b_.SetInsertPoint(slow);
  publish_depth();
  llvm::FunctionType* ty =
      llvm::FunctionType::get(i32_, {ptr_, ptr_, ptr_, ptr_, i32_, ptr_, ptr_}, false);
  Value* prev = park(next_word);
  Value* r = b_.CreateCall(ty, fn_const(reinterpret_cast<const void*>(&interp::ember_native_call)),
                           {st_, view_, func_code(fc_), fp_, b_.getInt32(next_word), finst, nfp});
  unpark(prev);
  return_if_failed(r);
  b_.CreateBr(join);
  b_.SetInsertPoint(join);
  take_results(base, nresults);
  return true;
}

// Fuel as the interpreter keeps it (StoreData::fuel_injected, counting up
// to 0): a block's cost added, saved for traps, checked.
bool Lowering::lower_fuel(IOp op) {
  const void* refuel = reinterpret_cast<const void*>(&interp::ember_native_refuel);
  if (op == IOp::FuelUnits || op == IOp::FuelMemoryGrow || op == IOp::FuelTableGrow) {
    Value* r;
    if (op == IOp::FuelTableGrow) {
      using A = ir::FuelTableGrow::At;
      r = runtime_call(
          reinterpret_cast<const void*>(&interp::ember_native_fuel_table_grow), i32_,
          {st_, view_, b_.getInt32(w(A::t)), get64(w(A::d)), b_.getInt32(w(A::flags))});
    } else if (op == IOp::FuelUnits) {
      using A = ir::FuelUnits::At;
      uint32_t flags = w(A::flags);
      Value* units = (flags & interp::kFuelCount64) ? get64(w(A::s))
                                                    : b_.CreateZExt(get(w(A::s), VType::I32), i64_);
      r = runtime_call(reinterpret_cast<const void*>(&interp::ember_native_fuel_units), i32_,
                       {st_, units, b_.getInt32(flags)});
    } else {
      using A = ir::FuelMemoryGrow::At;
      bool is64 = cx_.module.memories[w(A::mem)].limits.is64;
      Value* old = is64 ? get64(w(A::d)) : b_.CreateZExt(get(w(A::d), VType::I32), i64_);
      r = runtime_call(reinterpret_cast<const void*>(&interp::ember_native_fuel_memory_grow), i32_,
                       {st_, view_, b_.getInt32(w(A::mem)), old, b_.getInt32(w(A::flags))});
    }
    trap_unless_zero(r, TrapCode::OutOfFuel);
    return true;
  }
  Value* p = store_field(kFuelInjected);
  Value* v = b_.CreateAdd(b_.CreateLoad(i64_, p), b_.getInt64(w(1)));
  b_.CreateStore(v, p);
  if (op == IOp::FuelSave) b_.CreateStore(v, store_field(kFuelSaved));
  if (op == IOp::FuelCheck) {
    BasicBlock* slow = BasicBlock::Create(c_, "refuel", fn_);
    BasicBlock* next = BasicBlock::Create(c_, "", fn_);
    b_.CreateCondBr(b_.CreateICmpSGE(v, b_.getInt64(0)), slow, next,
                    llvm::MDBuilder(c_).createUnlikelyBranchWeights());
    b_.SetInsertPoint(slow);
    trap_unless_zero(runtime_call(refuel, i32_, {st_}), TrapCode::OutOfFuel);
    b_.CreateBr(next);
    b_.SetInsertPoint(next);
  }
  return true;
}

// The engine's epoch against the store's deadline (both may change from
// other threads: relaxed atomic loads, as the interpreter's).
void Lowering::lower_epoch_check() {
  auto relaxed = [&](Value* p) {
    llvm::LoadInst* l = b_.CreateLoad(i64_, p);
    l->setAtomic(llvm::AtomicOrdering::Monotonic);
    l->setAlignment(llvm::Align(8));
    return l;
  };
  Value* epoch = relaxed(b_.CreateLoad(ptr_, state_field(kEngineEpoch)));
  Value* deadline = relaxed(store_field(kEpochDeadline));
  BasicBlock* slow = BasicBlock::Create(c_, "interrupt", fn_);
  BasicBlock* next = BasicBlock::Create(c_, "", fn_);
  b_.CreateCondBr(b_.CreateICmpUGE(epoch, deadline), slow, next,
                  llvm::MDBuilder(c_).createUnlikelyBranchWeights());
  b_.SetInsertPoint(slow);
  runtime_call(reinterpret_cast<const void*>(&interp::ember_native_interrupt), i32_, {st_});
  ret(trap_call(uint32_t(TrapCode::Interrupt), at_, nullptr));
  b_.SetInsertPoint(next);
}

// call_indirect: the table checks and the call in the runtime (the type id
// is the engine's, from the executable words; the signature the module's).
bool Lowering::lower_call_indirect() {
  using A = ir::CallIndirect::At;
  const FuncType& ft = cx_.module.types[w(A::type_id)];
  uint32_t base = w(A::base);
  uint32_t nparams = rt::slots_of(ft.params), nresults = rt::slots_of(ft.results);
  store_args(base, nparams);
  Value* index = get(w(A::i), VType::I32);
  Value* prev = park(at_ + A::words);
  Value* r = runtime_call(reinterpret_cast<const void*>(&interp::ember_native_call_indirect), i32_,
                          {st_, view_, func_code(fc_), fp_, b_.getInt32(at_),
                           b_.getInt32(at_ + A::words), b_.getInt32(w(A::table)), index,
                           b_.getInt32(cx_.code.words[at_ + A::type_id]), fp_slot(base)});
  unpark(prev);
  return_if_failed(r);
  take_results(base, nresults);
  return true;
}

// call_ref: a null reference traps; the call goes through the runtime,
// which runs any function (compiled, interpreted, host, another instance's).
bool Lowering::lower_call_ref() {
  using A = ir::CallRef::At;
  const FuncType& ft = cx_.module.types[w(A::type_id)];
  uint32_t base = w(A::base);
  Value* callee = b_.CreateIntToPtr(get64(w(A::f)), ptr_);
  trap_if(b_.CreateIsNull(callee), TrapCode::NullFunctionReference);
  store_args(base, rt::slots_of(ft.params));
  publish_depth();
  llvm::FunctionType* ty =
      llvm::FunctionType::get(i32_, {ptr_, ptr_, ptr_, ptr_, i32_, ptr_, ptr_}, false);
  Value* prev = park(at_ + A::words);
  Value* r = b_.CreateCall(
      ty, fn_const(reinterpret_cast<const void*>(&interp::ember_native_call)),
      {st_, view_, func_code(fc_), fp_, b_.getInt32(at_ + A::words), callee, fp_slot(base)});
  unpark(prev);
  return_if_failed(r);
  take_results(base, rt::slots_of(ft.results));
  return true;
}

void Lowering::check_tail_frame(Value* frame_slots, Value* entered) {
  Value* end = stack_end_;
  Value* frame_end = b_.CreateInBoundsGEP(i64_, fp_, b_.CreateZExt(frame_slots, i64_));
  BasicBlock* trap = BasicBlock::Create(c_, "overflow", fn_);
  BasicBlock* go = BasicBlock::Create(c_, "", fn_);
  b_.CreateCondBr(
      b_.CreateICmpUGT(b_.CreatePtrToInt(frame_end, i64_), b_.CreatePtrToInt(end, i64_)), trap, go,
      llvm::MDBuilder(c_).createUnlikelyBranchWeights());
  b_.SetInsertPoint(trap);
  ret(trap_call(uint32_t(TrapCode::StackOverflow), at_, entered));
  b_.SetInsertPoint(go);
}

void Lowering::musttail_return(llvm::FunctionCallee callee) {
  publish_depth();  // (the callee's entry reads it)
  llvm::CallInst* call = b_.CreateCall(callee, {st_, view_, fp_});
  call->setTailCallKind(llvm::CallInst::TCK_MustTail);
  b_.CreateRet(call);
}

// return_call / return_call_indirect / return_call_ref: the arguments move to the frame's
// start and the callee takes the frame over. A compiled callee of this
// instance is entered by a guaranteed tail call (constant native stack, as
// the interpreter's constant frame stack); others run through the runtime.
bool Lowering::lower_tail_call(IOp op) {
  // return_call_indirect and return_call_ref find their callee at run time
  // (the table, the reference): "indirect" below.
  const bool indirect = op != IOp::ReturnCall;
  const ModuleData& m = cx_.module;
  const void* helper = reinterpret_cast<const void*>(&interp::ember_native_tail_call);
  uint32_t base;
  const FuncType* ft;
  Value* callee;
  llvm::Function* direct = nullptr;
  uint32_t direct_frame = 0;
  Value* funcs =
      b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), view_, kViewFuncs));
  if (!indirect) {
    using A = ir::ReturnCall::At;
    uint32_t f = w(A::func);
    base = w(A::base);
    ft = &m.types[m.funcs[f]];
    callee = b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(ptr_, funcs, f));
    if (f >= m.num_imported_funcs) {
      direct = cx_.compiled[f - m.num_imported_funcs];
      direct_frame = cx_.code.funcs[f - m.num_imported_funcs].frame_slots;
    }
  } else if (op == IOp::ReturnCallRef) {
    using A = ir::ReturnCallRef::At;
    base = w(A::base);
    ft = &m.types[w(A::type_id)];
    callee = b_.CreateIntToPtr(get64(w(A::f)), ptr_);
    trap_if(b_.CreateIsNull(callee), TrapCode::NullFunctionReference);
  } else {
    using A = ir::ReturnCallIndirect::At;
    base = w(A::base);
    ft = &m.types[w(A::type_id)];
    callee = runtime_call(
        reinterpret_cast<const void*>(&interp::ember_native_resolve_indirect), ptr_,
        {st_, view_, func_code(fc_), fp_, b_.getInt32(at_), b_.getInt32(w(A::table)),
         get(w(A::i), VType::I32), b_.getInt32(cx_.code.words[at_ + A::type_id]), scratch_});
    BasicBlock* failed = BasicBlock::Create(c_, "failed", fn_);
    BasicBlock* ok = BasicBlock::Create(c_, "", fn_);
    b_.CreateCondBr(b_.CreateIsNull(callee), failed, ok,
                    llvm::MDBuilder(c_).createUnlikelyBranchWeights());
    b_.SetInsertPoint(failed);
    ret(b_.CreateTrunc(b_.CreateLoad(i64_, scratch_), i32_));
    b_.SetInsertPoint(ok);
  }
  uint32_t nparams = rt::slots_of(ft->params);
  std::vector<Value*> args;
  for (uint32_t s = 0; s < nparams; s++) args.push_back(get64(base + s));
  for (uint32_t s = 0; s < nparams; s++) b_.CreateStore(args[s], fp_slot(s));
  llvm::FunctionType* sig = fn_->getFunctionType();
  if (direct) {
    check_tail_frame(b_.getInt32(direct_frame), callee);
    musttail_return(llvm::FunctionCallee(sig, direct));
    dead_end();
    return true;
  }
  // Compiled (now: tiering may have installed it since) and of this
  // instance: a guaranteed tail call through its pointer.
  BasicBlock* slow = BasicBlock::Create(c_, "runtime", fn_);
  bool defined = indirect || w(ir::ReturnCall::At::func) >= m.num_imported_funcs;
  if (defined) {
    Value* code =
        b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), callee, kFuncCode));
    if (indirect) {
      Value* host =
          b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), callee, kFuncHost));
      Value* inst =
          b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), callee, kFuncInstance));
      Value* mine =
          b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), view_, kViewInst));
      BasicBlock* wasm = BasicBlock::Create(c_, "", fn_);
      b_.CreateCondBr(b_.CreateAnd(b_.CreateIsNull(host), b_.CreateICmpEQ(inst, mine)), wasm, slow);
      b_.SetInsertPoint(wasm);
    }
    auto* native =
        b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), code, kCodeNative));
    native->setAtomic(llvm::AtomicOrdering::Acquire);  // (FuncCode::native's rule)
    native->setAlignment(llvm::Align(8));
    BasicBlock* fast = BasicBlock::Create(c_, "", fn_);
    b_.CreateCondBr(b_.CreateIsNull(native), slow, fast);
    b_.SetInsertPoint(fast);
    check_tail_frame(
        b_.CreateLoad(i32_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), code, kCodeFrameSlots)),
        callee);
    musttail_return(llvm::FunctionCallee(sig, native));
  } else {
    b_.CreateBr(slow);
  }
  b_.SetInsertPoint(slow);
  ret(runtime_call(helper, i32_, {st_, view_, func_code(fc_), fp_, b_.getInt32(at_), callee}));
  dead_end();
  return true;
}

llvm::Type* llvm_type(llvm::IRBuilder<>& b, VType t) {
  switch (t) {
    case VType::I32: return b.getInt32Ty();
    case VType::I64: return b.getInt64Ty();
    case VType::F32: return b.getFloatTy();
    case VType::F64: return b.getDoubleTy();
    default: return nullptr;
  }
}

bool Lowering::lower_row(IOp op, const OpInfo& info) {
  const bool scalar_in = info.in == VType::I32 || info.in == VType::I64 || info.in == VType::F32 ||
                         info.in == VType::F64;
  if (info.kind == SigKind::Load || info.kind == SigKind::Store) return lower_load_store(op, info);
  if (info.kind >= SigKind::VUnary && info.kind <= SigKind::VStoreLane) return lower_simd(op, info);
  if (info.kind == SigKind::Binary128 || info.kind == SigKind::BinaryWide) return lower_wide(op);
  if (!scalar_in) return false;
  if (info.kind == SigKind::Unary) {
    using A = ir::kind::Unary::At;
    Value* r = unary(info.base, get(w(A::a), info.in));
    if (!r) return false;
    set(w(A::d), r);
    return true;
  }
  if (info.kind != SigKind::Binary) return false;
  const int32_t wide = (info.in == VType::I64 || info.in == VType::F64) ? 2 : 1;
  Value* r;
  switch (info.variant) {
    case Variant::Plain: {
      using A = ir::kind::Binary::At;
      if (!(r = binary(info.base, get(w(A::a), info.in), get(w(A::b), info.in)))) return false;
      set(w(A::d), r);
      return true;
    }
    case Variant::Imm: {
      using V = ir::variant::BinaryImm<1>;
      if (!(r = binary(info.base, get(w(V::a), info.in), const_of(V::c, info.in)))) return false;
      set(w(V::d), r);
      return true;
    }
    case Variant::BrIf:
    case Variant::BrIfNot: {
      using V = ir::variant::BinaryBrIf<1>;
      if (!(r = binary(info.base, get(w(V::a), info.in), get(w(V::b), info.in)))) return false;
      r = info.variant == Variant::BrIf ? b_.CreateICmpNE(r, b_.getInt32(0))
                                        : b_.CreateICmpEQ(r, b_.getInt32(0));
      cond_br(r, branch_target(V::off));
      return true;
    }
    case Variant::BrIfImm:
    case Variant::BrIfNotImm: {
      int32_t c = ir::variant::BinaryBrIfImm<1>::c;
      int32_t off =
          wide == 2 ? ir::variant::BinaryBrIfImm<2>::off : ir::variant::BinaryBrIfImm<1>::off;
      if (!(r = binary(info.base, get(w(ir::variant::BinaryBrIfImm<1>::a), info.in),
                       const_of(c, info.in))))
        return false;
      r = info.variant == Variant::BrIfImm ? b_.CreateICmpNE(r, b_.getInt32(0))
                                           : b_.CreateICmpEQ(r, b_.getInt32(0));
      cond_br(r, branch_target(off));
      return true;
    }
    default: return false;
  }
}

// The host pointer of the access at at_ (any access form: memory 0 or
// another, a 32- or 64-bit address, the fused address forms), after the
// bounds check the interpreter makes; the slots the trap report reads are
// written back on the trap path. Null when the module has no such memory.
// With guard pages, a 32-bit address into a memory of 64 KiB pages is not
// checked: the address (GEP) is marked kUncheckedAccess, and a fault in
// the guard region is the trap (interp/native_fault.cc).
Value* Lowering::access_pointer(const interp::MemAccess& a) {
  uint32_t mem = a.mem ? w(a.mem) : 0;
  if (mem >= cx_.module.memories.size() || (mem == 0 && !mem_base_)) return nullptr;
  const MemoryType& type = cx_.module.memories[mem];
  const bool unchecked = cx_.guard_pages && !a.addr64 && type.page_size_log2 == 16;
  Value *base, *size = nullptr;
  if (mem == 0) {
    base = b_.CreateLoad(ptr_, mem_base_);
    if (!unchecked) size = b_.CreateLoad(i64_, mem_size_);
  } else {  // read at each access: calls may grow it (other threads too, if shared)
    Value* mems =
        b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), view_, kViewMemories));
    Value* m = b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(ptr_, mems, mem));
    base = memory_base(m);
    if (!unchecked) {
      auto* sz = b_.CreateLoad(i64_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), m, kMemSize));
      if (type.limits.shared) {  // (as reload_memory)
        sz->setAtomic(llvm::AtomicOrdering::Monotonic);
        sz->setAlignment(llvm::Align(8));
      }
      size = sz;
    }
  }
  Value* n = b_.getInt64(a.size);
  Value *ea, *out = nullptr;
  if (a.addr64) {  // the offset's high word follows it
    Value* addr = get64(w(a.addr));
    Value* off = b_.getInt64(uint64_t(w(a.offset)) | uint64_t(w(a.offset + 1)) << 32);
    Value* room = b_.CreateSub(size, addr);
    out = b_.CreateOr(
        b_.CreateICmpUGE(addr, size),
        b_.CreateOr(b_.CreateICmpULT(room, n), b_.CreateICmpULT(b_.CreateSub(room, n), off)));
    ea = b_.CreateAdd(addr, off);
  } else {
    Value* addr = get(w(a.addr), VType::I32);
    if (a.add_imm) addr = b_.CreateAdd(addr, b_.getInt32(w(a.add_imm)));
    if (a.add_slot) {
      Value* x = get(w(a.add_slot), VType::I32);
      if (a.shift) x = b_.CreateShl(x, b_.getInt32(w(a.shift) & 31));
      addr = b_.CreateAdd(addr, x);
    }
    ea = b_.CreateAdd(b_.CreateZExt(addr, i64_), b_.getInt64(w(a.offset)), "", true, true);
    if (!unchecked) out = b_.CreateICmpUGT(b_.CreateAdd(ea, n), size);
  }
  if (unchecked) {
    Value* p = b_.CreateGEP(b_.getInt8Ty(), base, ea);
    if (auto* gep = llvm::dyn_cast<llvm::Instruction>(p))
      gep->setMetadata(kUncheckedAccess, llvm::MDNode::get(c_, {}));
    return p;
  }
  if (a.add_slot) trap_if(out, TrapCode::MemoryOutOfBounds, {w(a.addr), w(a.add_slot)});
  else trap_if(out, TrapCode::MemoryOutOfBounds, {w(a.addr)});
  return b_.CreateInBoundsGEP(b_.getInt8Ty(), base, ea);
}

bool Lowering::lower_load_store(IOp op, const OpInfo& info) {
  if (info.in != VType::I32 && info.in != VType::I64 && info.in != VType::F32 &&
      info.in != VType::F64 && info.kind == SigKind::Store)
    return false;
  if (info.kind == SigKind::Load && llvm_type(b_, info.out) == nullptr) return false;
  interp::MemAccess a;
  if (!interp::memory_access(interp::handler_word(op), &a)) return false;
  Value* p = access_pointer(a);
  if (!p) return false;
  llvm::Type* narrow = b_.getIntNTy(a.size * 8);
  if (info.kind == SigKind::Load) {
    llvm::Type* out = llvm_type(b_, info.out);
    Value* v;
    if (info.out == VType::F32 || info.out == VType::F64) {
      v = b_.CreateAlignedLoad(out, p, llvm::Align(1));
    } else {
      v = b_.CreateAlignedLoad(narrow, p, llvm::Align(1));
      if (narrow != out) v = info.sign_extend ? b_.CreateSExt(v, out) : b_.CreateZExt(v, out);
    }
    set(w(1), v);
  } else {
    Value* v = get64(w(interp::ir_layout(op).count));  // the value is the last operand
    if (narrow != i64_) v = b_.CreateTrunc(v, narrow);
    b_.CreateAlignedStore(v, p, llvm::Align(1));
  }
  return true;
}

// Atomic accesses: rt::atomic_access out of line, as the interpreter does
// (alignment, bounds and wait/notify rules in one place).
bool Lowering::lower_atomic(IOp op) {
  uint32_t d = 0, code, offset, offset_hi, mem, addr;
  Value *a = b_.getInt64(0), *b = b_.getInt64(0);
  switch (op) {
    case IOp::AtomicLoad: {
      using A = ir::AtomicLoad::At;
      d = w(A::d), code = w(A::op), offset = w(A::offset), offset_hi = w(A::offset_hi);
      mem = w(A::mem), addr = w(A::addr);
      break;
    }
    case IOp::AtomicStore: {
      using A = ir::AtomicStore::At;
      code = w(A::op), offset = w(A::offset), offset_hi = w(A::offset_hi);
      mem = w(A::mem), addr = w(A::addr), a = get64(w(A::v));
      break;
    }
    case IOp::AtomicRmw: {
      using A = ir::AtomicRmw::At;
      d = w(A::d), code = w(A::op), offset = w(A::offset), offset_hi = w(A::offset_hi);
      mem = w(A::mem), addr = w(A::addr), a = get64(w(A::v));
      break;
    }
    default: {
      using A = ir::AtomicRmw3::At;
      d = w(A::d), code = w(A::op), offset = w(A::offset), offset_hi = w(A::offset_hi);
      mem = w(A::mem), addr = w(A::addr), a = get64(w(A::a)), b = get64(w(A::b));
      break;
    }
  }
  Value* r =
      runtime_call(reinterpret_cast<const void*>(&interp::ember_native_atomic), i32_,
                   {view_, b_.getInt32(code), b_.getInt32(mem), get64(addr),
                    b_.getInt64(uint64_t(offset) | uint64_t(offset_hi) << 32), a, b, scratch_});
  trap_unless_ok(r);
  if (op != IOp::AtomicStore) set(d, b_.CreateLoad(i64_, scratch_));
  reload_memory();  // (a wait may block while another thread grows the memory)
  return true;
}

// Wide arithmetic: 128-bit operands and results as (low, high) slot pairs.
bool Lowering::lower_wide(IOp op) {
  llvm::Type* i128 = b_.getInt128Ty();
  auto pair = [&](uint32_t lo, uint32_t hi) {
    return b_.CreateOr(b_.CreateZExt(get64(lo), i128),
                       b_.CreateShl(b_.CreateZExt(get64(hi), i128), 64));
  };
  Value* r;
  uint32_t d;
  if (op == IOp::I64Add128 || op == IOp::I64Sub128) {
    using A = ir::kind::Binary128::At;
    d = w(A::d);
    Value* a = pair(w(A::alo), w(A::ahi));
    Value* b = pair(w(A::blo), w(A::bhi));
    r = op == IOp::I64Add128 ? b_.CreateAdd(a, b) : b_.CreateSub(a, b);
  } else if (op == IOp::I64MulWideS || op == IOp::I64MulWideU) {
    using A = ir::kind::BinaryWide::At;
    d = w(A::d);
    bool s = op == IOp::I64MulWideS;
    Value* a = s ? b_.CreateSExt(get64(w(A::a)), i128) : b_.CreateZExt(get64(w(A::a)), i128);
    Value* b = s ? b_.CreateSExt(get64(w(A::b)), i128) : b_.CreateZExt(get64(w(A::b)), i128);
    r = b_.CreateMul(a, b);
  } else {
    return false;
  }
  set(d, b_.CreateTrunc(r, i64_));
  set(d + 1, b_.CreateTrunc(b_.CreateLShr(r, 64), i64_));
  return true;
}

// Float to integer with wasm's traps: NaN is an invalid conversion, a value
// whose truncation is outside the target's range an overflow.
Value* Lowering::trunc_checked(Value* a, llvm::Type* to, bool is_signed) {
  llvm::Type* ft = a->getType();
  unsigned bits = to->getIntegerBitWidth();
  trap_if(b_.CreateFCmpUNO(a, a), TrapCode::InvalidConversionToInteger);
  Value* t = b_.CreateUnaryIntrinsic(llvm::Intrinsic::trunc, a);
  double lo = is_signed ? -std::ldexp(1.0, bits - 1) : 0.0;
  double hi = std::ldexp(1.0, is_signed ? bits - 1 : bits);
  Value* out_of_range = b_.CreateOr(b_.CreateFCmpOLT(t, llvm::ConstantFP::get(ft, lo)),
                                    b_.CreateFCmpOGE(t, llvm::ConstantFP::get(ft, hi)));
  trap_if(out_of_range, TrapCode::IntegerOverflow);
  return is_signed ? b_.CreateFPToSI(t, to) : b_.CreateFPToUI(t, to);
}

Value* Lowering::unary(IOp op, Value* a) {
  using llvm::Intrinsic::ID;
  auto intr = [&](ID id) { return b_.CreateUnaryIntrinsic(id, a); };
  auto count = [&](ID id) { return b_.CreateIntrinsic(id, {a->getType()}, {a, b_.getFalse()}); };
  auto sat = [&](ID id, llvm::Type* to) { return b_.CreateIntrinsic(id, {to, a->getType()}, {a}); };
  switch (op) {
    case IOp::I32Eqz:
    case IOp::I64Eqz:
      return b_.CreateZExt(b_.CreateICmpEQ(a, llvm::ConstantInt::get(a->getType(), 0)), i32_);
    case IOp::I32Clz:
    case IOp::I64Clz: return count(llvm::Intrinsic::ctlz);
    case IOp::I32Ctz:
    case IOp::I64Ctz: return count(llvm::Intrinsic::cttz);
    case IOp::I32Popcnt:
    case IOp::I64Popcnt: return intr(llvm::Intrinsic::ctpop);
    case IOp::F32Abs:
    case IOp::F64Abs: return intr(llvm::Intrinsic::fabs);
    case IOp::F32Neg:
    case IOp::F64Neg: return b_.CreateFNeg(a);
    case IOp::F32Ceil:
    case IOp::F64Ceil: return quiet(intr(llvm::Intrinsic::ceil));
    case IOp::F32Floor:
    case IOp::F64Floor: return quiet(intr(llvm::Intrinsic::floor));
    case IOp::F32Trunc:
    case IOp::F64Trunc: return quiet(intr(llvm::Intrinsic::trunc));
    case IOp::F32Nearest:
    case IOp::F64Nearest: return quiet(intr(llvm::Intrinsic::roundeven));
    case IOp::F32Sqrt:
    case IOp::F64Sqrt: return quiet(intr(llvm::Intrinsic::sqrt));
    case IOp::I32WrapI64: return b_.CreateTrunc(a, i32_);
    case IOp::I64ExtendI32S: return b_.CreateSExt(a, i64_);
    case IOp::I64ExtendI32U: return b_.CreateZExt(a, i64_);
    case IOp::I32TruncF32S:
    case IOp::I32TruncF64S: return trunc_checked(a, i32_, true);
    case IOp::I32TruncF32U:
    case IOp::I32TruncF64U: return trunc_checked(a, i32_, false);
    case IOp::I64TruncF32S:
    case IOp::I64TruncF64S: return trunc_checked(a, i64_, true);
    case IOp::I64TruncF32U:
    case IOp::I64TruncF64U: return trunc_checked(a, i64_, false);
    case IOp::I32TruncSatF32S:
    case IOp::I32TruncSatF64S: return sat(llvm::Intrinsic::fptosi_sat, i32_);
    case IOp::I32TruncSatF32U:
    case IOp::I32TruncSatF64U: return sat(llvm::Intrinsic::fptoui_sat, i32_);
    case IOp::I64TruncSatF32S:
    case IOp::I64TruncSatF64S: return sat(llvm::Intrinsic::fptosi_sat, i64_);
    case IOp::I64TruncSatF32U:
    case IOp::I64TruncSatF64U: return sat(llvm::Intrinsic::fptoui_sat, i64_);
    case IOp::F32ConvertI32S:
    case IOp::F32ConvertI64S: return b_.CreateSIToFP(a, f32_);
    case IOp::F32ConvertI32U:
    case IOp::F32ConvertI64U: return b_.CreateUIToFP(a, f32_);
    case IOp::F64ConvertI32S:
    case IOp::F64ConvertI64S: return b_.CreateSIToFP(a, f64_);
    case IOp::F64ConvertI32U:
    case IOp::F64ConvertI64U: return b_.CreateUIToFP(a, f64_);
    case IOp::F32DemoteF64: return quiet(b_.CreateFPTrunc(a, f32_));
    case IOp::F64PromoteF32: return quiet(b_.CreateFPExt(a, f64_));
    case IOp::I32ReinterpretF32: return b_.CreateBitCast(a, i32_);
    case IOp::I64ReinterpretF64: return b_.CreateBitCast(a, i64_);
    case IOp::F32ReinterpretI32: return b_.CreateBitCast(a, f32_);
    case IOp::F64ReinterpretI64: return b_.CreateBitCast(a, f64_);
    case IOp::I32Extend8S: return b_.CreateSExt(b_.CreateTrunc(a, b_.getInt8Ty()), i32_);
    case IOp::I32Extend16S: return b_.CreateSExt(b_.CreateTrunc(a, b_.getInt16Ty()), i32_);
    case IOp::I64Extend8S: return b_.CreateSExt(b_.CreateTrunc(a, b_.getInt8Ty()), i64_);
    case IOp::I64Extend16S: return b_.CreateSExt(b_.CreateTrunc(a, b_.getInt16Ty()), i64_);
    case IOp::I64Extend32S: return b_.CreateSExt(b_.CreateTrunc(a, i32_), i64_);
    default: return nullptr;
  }
}

Value* Lowering::binary(IOp op, Value* a, Value* b) {
  llvm::Type* t = a->getType();
  auto bits = [&] { return llvm::ConstantInt::get(t, t->getIntegerBitWidth() - 1); };
  auto cmp = [&](llvm::CmpInst::Predicate p) { return b_.CreateZExt(b_.CreateCmp(p, a, b), i32_); };
  auto zero = [&] { return llvm::ConstantInt::get(t, 0); };
  auto check_zero = [&] { trap_if(b_.CreateICmpEQ(b, zero()), TrapCode::IntegerDivideByZero); };
  auto min_signed = [&] {
    return llvm::ConstantInt::get(t, llvm::APInt::getSignedMinValue(t->getIntegerBitWidth()));
  };
  auto minus_one = [&] { return llvm::ConstantInt::getSigned(t, -1); };
  using P = llvm::CmpInst::Predicate;
  switch (op) {
    case IOp::I32Eq:
    case IOp::I64Eq: return cmp(P::ICMP_EQ);
    case IOp::I32Ne:
    case IOp::I64Ne: return cmp(P::ICMP_NE);
    case IOp::I32LtS:
    case IOp::I64LtS: return cmp(P::ICMP_SLT);
    case IOp::I32LtU:
    case IOp::I64LtU: return cmp(P::ICMP_ULT);
    case IOp::I32GtS:
    case IOp::I64GtS: return cmp(P::ICMP_SGT);
    case IOp::I32GtU:
    case IOp::I64GtU: return cmp(P::ICMP_UGT);
    case IOp::I32LeS:
    case IOp::I64LeS: return cmp(P::ICMP_SLE);
    case IOp::I32LeU:
    case IOp::I64LeU: return cmp(P::ICMP_ULE);
    case IOp::I32GeS:
    case IOp::I64GeS: return cmp(P::ICMP_SGE);
    case IOp::I32GeU:
    case IOp::I64GeU: return cmp(P::ICMP_UGE);
    case IOp::F32Eq:
    case IOp::F64Eq: return cmp(P::FCMP_OEQ);
    case IOp::F32Ne:
    case IOp::F64Ne: return cmp(P::FCMP_UNE);
    case IOp::F32Lt:
    case IOp::F64Lt: return cmp(P::FCMP_OLT);
    case IOp::F32Gt:
    case IOp::F64Gt: return cmp(P::FCMP_OGT);
    case IOp::F32Le:
    case IOp::F64Le: return cmp(P::FCMP_OLE);
    case IOp::F32Ge:
    case IOp::F64Ge: return cmp(P::FCMP_OGE);
    case IOp::I32Add:
    case IOp::I64Add: return b_.CreateAdd(a, b);
    case IOp::I32Sub:
    case IOp::I64Sub: return b_.CreateSub(a, b);
    case IOp::I32Mul:
    case IOp::I64Mul: return b_.CreateMul(a, b);
    case IOp::I32DivS:
    case IOp::I64DivS:
      check_zero();
      trap_if(b_.CreateAnd(b_.CreateICmpEQ(a, min_signed()), b_.CreateICmpEQ(b, minus_one())),
              TrapCode::IntegerOverflow);
      return b_.CreateSDiv(a, b);
    case IOp::I32DivU:
    case IOp::I64DivU: check_zero(); return b_.CreateUDiv(a, b);
    case IOp::I32RemS:
    case IOp::I64RemS: {
      check_zero();
      // INT_MIN % -1 is 0 in wasm (and undefined in LLVM): divide by 1 instead.
      Value* safe =
          b_.CreateSelect(b_.CreateICmpEQ(b, minus_one()), llvm::ConstantInt::get(t, 1), b);
      return b_.CreateSRem(a, safe);
    }
    case IOp::I32RemU:
    case IOp::I64RemU: check_zero(); return b_.CreateURem(a, b);
    case IOp::I32And:
    case IOp::I64And: return b_.CreateAnd(a, b);
    case IOp::I32Or:
    case IOp::I64Or: return b_.CreateOr(a, b);
    case IOp::I32Xor:
    case IOp::I64Xor: return b_.CreateXor(a, b);
    case IOp::I32Shl:
    case IOp::I64Shl: return b_.CreateShl(a, b_.CreateAnd(b, bits()));
    case IOp::I32ShrS:
    case IOp::I64ShrS: return b_.CreateAShr(a, b_.CreateAnd(b, bits()));
    case IOp::I32ShrU:
    case IOp::I64ShrU: return b_.CreateLShr(a, b_.CreateAnd(b, bits()));
    case IOp::I32Rotl:
    case IOp::I64Rotl: return b_.CreateIntrinsic(llvm::Intrinsic::fshl, {t}, {a, a, b});
    case IOp::I32Rotr:
    case IOp::I64Rotr: return b_.CreateIntrinsic(llvm::Intrinsic::fshr, {t}, {a, a, b});
    case IOp::F32Add:
    case IOp::F64Add: return quiet(b_.CreateFAdd(a, b));
    case IOp::F32Sub:
    case IOp::F64Sub: return quiet(b_.CreateFSub(a, b));
    case IOp::F32Mul:
    case IOp::F64Mul: return quiet(b_.CreateFMul(a, b));
    case IOp::F32Div:
    case IOp::F64Div: return quiet(b_.CreateFDiv(a, b));
    case IOp::F32Min:
    case IOp::F64Min: return quiet(b_.CreateBinaryIntrinsic(llvm::Intrinsic::minimum, a, b));
    case IOp::F32Max:
    case IOp::F64Max: return quiet(b_.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, a, b));
    case IOp::F32Copysign:
    case IOp::F64Copysign: return b_.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, a, b);
    default: return nullptr;
  }
}

}  // namespace lower

std::string lower_function(const LowerContext& cx, uint32_t index, llvm::Function* fn,
                           OsrEntryInfo* osr) {
  return lower::Lowering(cx, index, fn).run(osr);
}

std::vector<bool> register_functions(const CompiledCode& code, const std::vector<uint32_t>& words) {
  std::vector<bool> out(code.funcs.size(), false);
  if (words.size() < code.words.size()) return out;  // (no portable code: nothing lowers)
  for (size_t i = 0; i < code.funcs.size(); i++) {
    const interp::FuncCode& fc = code.funcs[i];
    bool ok = fc.num_results <= 1;
    for (uint32_t at = fc.begin; ok && at < fc.end;) {
      using interp::IOp;
      IOp op = IOp(words[at]);
      ok = op != IOp::ReturnCall && op != IOp::ReturnCallIndirect && op != IOp::ReturnCallRef;
      at += interp::portable_length(&words[at]);
    }
    out[i] = ok;
  }
  return out;
}

llvm::FunctionType* register_type(llvm::LLVMContext& c, uint32_t param_slots) {
  llvm::Type* ptr = llvm::PointerType::getUnqual(c);
  llvm::Type* i64 = llvm::Type::getInt64Ty(c);
  std::vector<llvm::Type*> params{ptr, ptr, ptr, llvm::Type::getInt32Ty(c)};
  params.insert(params.end(), param_slots, i64);
  return llvm::FunctionType::get(llvm::StructType::get(c, {i64, llvm::Type::getInt32Ty(c)}), params,
                                 false);
}

void build_entry(const CompiledCode& code, uint32_t index, llvm::Function* entry,
                 llvm::Function* body) {
  using namespace lower;
  const interp::FuncCode& fc = code.funcs[index];
  llvm::LLVMContext& c = entry->getContext();
  llvm::IRBuilder<> b(BasicBlock::Create(c, "entry", entry));
  if (llvm::DISubprogram* sp = entry->getSubprogram())
    b.SetCurrentDebugLocation(llvm::DILocation::get(c, sp->getLine(), 0, sp));
  Value* st = entry->getArg(0);
  Value* fp = entry->getArg(2);
  std::vector<Value*> args{
      st, entry->getArg(1), fp,
      b.CreateLoad(b.getInt32Ty(), b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), st, kNativeDepth))};
  for (uint32_t s = 0; s < fc.num_params; s++)
    args.push_back(
        b.CreateLoad(b.getInt64Ty(), b.CreateConstInBoundsGEP1_64(b.getInt64Ty(), fp, s)));
  Value* r = b.CreateCall(body->getFunctionType(), body, args);
  Value* trap = b.CreateExtractValue(r, 1);
  if (fc.num_results) {  // the result to the frame, on success only
    BasicBlock* ok = BasicBlock::Create(c, "ok", entry);
    BasicBlock* out = BasicBlock::Create(c, "out", entry);
    b.CreateCondBr(b.CreateICmpEQ(trap, b.getInt32(0)), ok, out);
    b.SetInsertPoint(ok);
    b.CreateStore(b.CreateExtractValue(r, 0), fp);
    b.CreateBr(out);
    b.SetInsertPoint(out);
  }
  b.CreateRet(trap);
}

}  // namespace ember::jit

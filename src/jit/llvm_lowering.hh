// The lowering of one function (llvm_lower.hh), shared by the files that
// lower its instructions: llvm_lower.cc (control, calls, scalar numeric,
// memory) and llvm_simd.cc (v128). Internal to src/jit.
#pragma once

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "interp/interp_state.hh"
#include "interp/ir_codec.hh"
#include "interp/ir_insn.hh"
#include "interp/native.hh"
#include "jit/llvm_lower.hh"
#include "jit/llvm_ops.hh"
#include "jit/llvm_symbols.hh"
#include "runtime/gc.hh"
#include "runtime/runtime.hh"

namespace ember::jit::lower {

using interp::IOp;
using llvm::BasicBlock;
using llvm::Value;
namespace ir = interp::ir;

// Offsets of the fields compiled code reads (these types are not
// standard-layout, so offsetof is conditionally supported: GCC and Clang
// support it for classes without virtual bases).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
constexpr size_t kStackEnd = offsetof(interp::State, stack_end);
constexpr size_t kNativeLimit = offsetof(interp::State, native_limit);
constexpr size_t kStore = offsetof(interp::State, store);
constexpr size_t kNativeDepth = offsetof(interp::State, native_depth);
constexpr size_t kNativeMaxDepth = offsetof(interp::State, native_max_depth);
constexpr size_t kOsrWord = offsetof(interp::State, osr_word);
constexpr size_t kCompiledFrames = offsetof(interp::State, compiled_frames);
constexpr size_t kEngineEpoch = offsetof(interp::State, engine_epoch);
constexpr size_t kFuelInjected = offsetof(rt::StoreData, fuel_injected);
constexpr size_t kFuelSaved = offsetof(rt::StoreData, fuel_saved);
constexpr size_t kEpochDeadline = offsetof(rt::StoreData, epoch_deadline);
constexpr size_t kMemBase = offsetof(rt::MemoryInst, base);
constexpr size_t kMemSize = offsetof(rt::MemoryInst, size);
constexpr size_t kViewMemories = offsetof(rt::InstView, memories);
constexpr size_t kViewGlobals = offsetof(rt::InstView, globals);
constexpr size_t kViewFuncs = offsetof(rt::InstView, funcs);
constexpr size_t kGlobalValue = offsetof(rt::GlobalInst, value);
constexpr size_t kViewInst = offsetof(rt::InstView, inst);
constexpr size_t kFuncInstance = offsetof(rt::FuncInst, instance);
constexpr size_t kFuncCode = offsetof(rt::FuncInst, code);
constexpr size_t kFuncHost = offsetof(rt::FuncInst, host);
constexpr size_t kCodeNative = offsetof(interp::FuncCode, native);
constexpr size_t kCodeFrameSlots = offsetof(interp::FuncCode, frame_slots);
constexpr size_t kCodeHotness = offsetof(interp::FuncCode, hotness);
static_assert(sizeof(interp::FuncCode::hotness) == sizeof(int32_t), "read as an i32");
#pragma GCC diagnostic pop

class Lowering {
 public:
  Lowering(const LowerContext& cx, uint32_t index, llvm::Function* fn)
      : cx_(cx),
        fc_(cx.code.funcs[index]),
        index_(index),
        fn_(fn),
        c_(fn->getContext()),
        b_(c_),
        i32_(b_.getInt32Ty()),
        i64_(b_.getInt64Ty()),
        f32_(b_.getFloatTy()),
        f64_(b_.getDoubleTy()),
        ptr_(b_.getPtrTy()) {}

  // osr: null for the function's entry; else the function is lowered as
  // its OSR entry (every frame slot read from fp, then a jump to the loop
  // header State::osr_word names; with none named, a call when its loops
  // do not nest) and *osr says where it enters and whether it serves calls.
  std::string run(OsrEntryInfo* osr);

 private:
  void init_slots(uint32_t from_frame);
  void enter_at_header(const OsrEntryInfo& osr, llvm::BasicBlock* first);
  void count_call();

  // ---- frame slots ----
  Value* slot_ptr(uint32_t s) { return slots_[s]; }
  Value* get64(uint32_t s) { return b_.CreateLoad(i64_, slots_[s]); }
  Value* get(uint32_t s, VType t) {
    Value* v = get64(s);
    switch (t) {
      case VType::I32: return b_.CreateTrunc(v, i32_);
      case VType::I64: return v;
      case VType::F32: return b_.CreateBitCast(b_.CreateTrunc(v, i32_), f32_);
      case VType::F64: return b_.CreateBitCast(v, f64_);
      default: return v;
    }
  }
  void set(uint32_t s, Value* v) {
    llvm::Type* t = v->getType();
    if (t->isFloatTy()) v = b_.CreateBitCast(v, i32_), t = i32_;
    if (t->isDoubleTy()) v = b_.CreateBitCast(v, i64_), t = i64_;
    if (t->isIntegerTy(1)) v = b_.CreateZExt(v, i32_), t = i32_;
    if (t != i64_) v = b_.CreateZExt(v, i64_);
    b_.CreateStore(v, slots_[s]);
  }
  Value* fp_slot(uint32_t s) { return b_.CreateConstInBoundsGEP1_64(i64_, fp_, s); }
  uint32_t w(uint32_t pos) const { return words()[at_ + pos]; }
  const uint32_t* words() const { return cx_.words.data(); }
  int64_t imm_w(uint32_t pos, VType t) const {
    return (t == VType::I64 || t == VType::F64)
               ? int64_t(uint64_t(w(pos)) | uint64_t(w(pos + 1)) << 32)
               : int64_t(w(pos));
  }
  Value* const_of(uint32_t pos, VType t) {
    int64_t bits = imm_w(pos, t);
    switch (t) {
      case VType::I32: return b_.getInt32(uint32_t(bits));
      case VType::I64: return b_.getInt64(uint64_t(bits));
      case VType::F32: return b_.CreateBitCast(b_.getInt32(uint32_t(bits)), f32_);
      case VType::F64: return b_.CreateBitCast(b_.getInt64(uint64_t(bits)), f64_);
      default: return nullptr;
    }
  }

  // ---- control ----
  BasicBlock* block_at(uint32_t word) {
    auto [it, fresh] = blocks_.try_emplace(word, nullptr);
    if (fresh) it->second = BasicBlock::Create(c_, llvm::Twine("w") + llvm::Twine(word), fn_);
    return it->second;
  }
  // Words of the instruction at at_.
  uint32_t length() const { return interp::portable_length(&words()[at_]); }
  uint32_t branch_target(uint32_t pos) const { return at_ + pos + int32_t(w(pos)); }
  void br_to(uint32_t target) { b_.CreateBr(block_at(target)); }
  void cond_br(Value* cond, uint32_t target) {
    BasicBlock* next = BasicBlock::Create(c_, "", fn_);
    b_.CreateCondBr(cond, block_at(target), next);
    b_.SetInsertPoint(next);
  }
  // A new block for code after an unconditional transfer (dead unless a
  // branch lands on it, which block_at handles).
  void dead_end() { b_.SetInsertPoint(BasicBlock::Create(c_, "", fn_)); }

  // ---- traps and runtime calls ----
  // A runtime function (interp/native.hh) as a callee: an external symbol
  // (llvm_symbols.hh), so that the code does not embed this process's
  // addresses.
  Value* fn_const(const void* p) {
    const char* name = runtime_symbol(p);
    if (!name) {
      if (why_.empty()) why_ = "internal: a runtime function without a symbol";
      return llvm::ConstantPointerNull::get(ptr_);
    }
    return fn_->getParent()
        ->getOrInsertFunction(name, llvm::FunctionType::get(b_.getVoidTy(), false))
        .getCallee();
  }
  // The address of FuncCode `f` of this module: an offset into the
  // function-table symbol.
  Value* func_code(const interp::FuncCode& f) {
    llvm::Module* mod = fn_->getParent();
    llvm::GlobalVariable* table = mod->getGlobalVariable(kFuncTableSymbol);
    if (!table)
      table =
          new llvm::GlobalVariable(*mod, b_.getInt8Ty(), true, llvm::GlobalValue::ExternalLinkage,
                                   nullptr, kFuncTableSymbol);
    uint64_t index = uint64_t(&f - cx_.code.funcs.data());
    return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), table, index * sizeof(interp::FuncCode));
  }
  Value* trap_call(Value* code, uint32_t word, Value* entered) {
    llvm::FunctionType* ty =
        llvm::FunctionType::get(i32_, {ptr_, ptr_, ptr_, ptr_, i32_, i32_, ptr_}, false);
    return b_.CreateCall(ty, fn_const(reinterpret_cast<const void*>(&interp::ember_native_trap)),
                         {st_, view_, func_code(fc_), fp_, b_.getInt32(word), code,
                          entered ? entered : llvm::ConstantPointerNull::get(ptr_)});
  }
  Value* trap_call(uint32_t code, uint32_t word, Value* entered) {
    return trap_call(b_.getInt32(code), word, entered);
  }
  // Returns trap `status` (an i32) from the function, in its convention.
  void ret(Value* status) {
    if (!regs_) {
      b_.CreateRet(status);
      return;
    }
    b_.CreateRet(b_.CreateInsertValue(llvm::PoisonValue::get(fn_->getReturnType()), status, 1));
  }
  // Returns normally with `result` (the i64 of slot 0, or null without
  // results): in the frame, or in the register convention's result.
  void ret_ok(Value* result) {
    if (!regs_) {
      if (result) b_.CreateStore(result, fp_slot(0));
      b_.CreateRet(b_.getInt32(0));
      return;
    }
    Value* r = llvm::PoisonValue::get(fn_->getReturnType());
    r = b_.CreateInsertValue(r, result ? result : b_.getInt64(0), 0);
    b_.CreateRet(b_.CreateInsertValue(r, b_.getInt32(0), 1));
  }
  // State::native_depth := this activation's depth (before the runtime
  // may read it: llvm_lower.hh's register convention).
  void publish_depth() { b_.CreateStore(depth_, state_field(kNativeDepth)); }
  // Branches to a new cold block named `name` when `cond` holds and makes
  // it the insertion point; returns the block where the code goes on.
  BasicBlock* cold_branch(Value* cond, const char* name) {
    BasicBlock* cold = BasicBlock::Create(c_, name, fn_);
    BasicBlock* next = BasicBlock::Create(c_, "", fn_);
    b_.CreateCondBr(cond, cold, next, llvm::MDBuilder(c_).createUnlikelyBranchWeights());
    b_.SetInsertPoint(cold);
    return next;
  }
  // Leaves with the trap code `r` (an i32 a runtime function returned)
  // unless it is 0.
  void trap_unless_ok(Value* r) {
    BasicBlock* next = cold_branch(b_.CreateICmpNE(r, b_.getInt32(0)), "trap");
    ret(trap_call(r, at_, nullptr));
    b_.SetInsertPoint(next);
  }
  // Leaves with trap `code` at the current instruction when `cond` holds;
  // the slots in `flush` are written back first (what the trap report reads).
  void trap_if(Value* cond, TrapCode code, std::initializer_list<uint32_t> flush = {}) {
    BasicBlock* next = cold_branch(cond, "trap");
    for (uint32_t s : flush) b_.CreateStore(get64(s), fp_slot(s));
    ret(trap_call(uint32_t(code), at_, nullptr));
    b_.SetInsertPoint(next);
  }
  void trap_now(TrapCode code) {
    ret(trap_call(uint32_t(code), at_, nullptr));
    dead_end();
  }
  void reload_memory();
  // Loads the base of MemoryInst `m`, tagged kMemoryBase.
  llvm::Value* memory_base(llvm::Value* m);
  // Where global `g` of this instance keeps its value (GlobalInst::value).
  Value* global_value_ptr(uint32_t g) {
    Value* globals =
        b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), view_, kViewGlobals));
    Value* gi = b_.CreateLoad(ptr_, b_.CreateConstInBoundsGEP1_64(ptr_, globals, g));
    return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), gi, kGlobalValue);
  }
  // A field of the State / of the store (through State::store).
  Value* state_field(size_t offset) {
    return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), st_, offset);
  }
  Value* store_field(size_t offset) {
    return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), b_.CreateLoad(ptr_, state_field(kStore)),
                                         offset);
  }
  // (A runtime function given the State may run code: the depth first.)
  Value* runtime_call(const void* fn, llvm::Type* ret, std::initializer_list<Value*> args) {
    if (args.size() && *args.begin() == st_) publish_depth();
    std::vector<llvm::Type*> types;
    for (Value* a : args) types.push_back(a->getType());
    return b_.CreateCall(llvm::FunctionType::get(ret, types, false), fn_const(fn), args);
  }
  // Leaves with the trap a runtime function returned (not 0).
  void trap_unless_zero(Value* r, TrapCode code) {
    trap_if(b_.CreateICmpNE(r, b_.getInt32(0)), code);
  }
  bool lower_fuel(IOp op);
  void lower_epoch_check();
  bool lower_call_indirect();
  bool lower_tail_call(IOp op);
  bool lower_call_ref();
  bool lower_gc(IOp op);  // (llvm_gc.cc)
  bool lower_gc_access(IOp op);
  Value* gc_object(uint32_t s, TrapCode null_trap);
  Value* gc_element(Value* o, uint32_t index_slot, rt::Storage e);
  void load_storage(uint32_t d, Value* p, rt::Storage e, bool sign);
  void store_storage(Value* p, rt::Storage e, uint32_t v);
  // A function holding GC references parks its frame around each call
  // (interp_state.hh's CompiledFrame): `park` writes the references live
  // at the call ending before `next_word` to the frame and links the
  // record, returning the previous head (null when the function holds
  // none, or exnrefs only: they need the frame written, not linked),
  // which `unpark` puts back once the call returns. `spill_refs` only
  // writes them, and says whether any is a GC reference.
  void start_parking();
  Value* park(uint32_t next_word);
  bool spill_refs(uint32_t next_word);
  void unpark(Value* prev) {
    if (prev) b_.CreateStore(prev, state_field(kCompiledFrames));
  }
  // A direct call of compiled code: `target` with native.hh's convention
  // (arguments in the frame), or `body`, a register body (arguments from
  // the slots at `base`, its result to slot `base`).
  void call_compiled(Value* target, const interp::FuncCode& cfc, Value* nfp, uint32_t next_word,
                     Value* finst);
  void call_body(llvm::Function* body, const interp::FuncCode& cfc, uint32_t base,
                 uint32_t next_word, Value* finst);
  // The checks before a compiled callee's frame (value stack, native
  // stack, depth); the callee `finst` could not start when they fail.
  void check_call(const interp::FuncCode& cfc, Value* nfp, uint32_t next_word, Value* finst);
  // After a call that returned `r`: a failure adds this frame to the
  // trap's (or goes to a catching clause).
  void unwind_if_failed(Value* r, uint32_t next_word);
  // Traps with StackOverflow (callee `entered` could not start) unless a
  // frame of `frame_slots` fits the value stack at fp.
  void check_tail_frame(Value* frame_slots, Value* entered);
  void musttail_return(llvm::FunctionCallee callee);

  // ---- v128 (llvm_simd.cc) ----
  // A v128 is two consecutive slots, as an LLVM value a <2 x i64>.
  struct Lanes {
    llvm::Type* elem = nullptr;
    unsigned n = 0;
  };
  Value* getv(uint32_t s);
  void setv(uint32_t s, Value* v);
  Value* view(Value* v, Lanes l) {
    return b_.CreateBitCast(v, llvm::FixedVectorType::get(l.elem, l.n));
  }
  Lanes lanes_of(IOp op);  // the shape its name starts with (I8x16...)
  bool lower_v128_move(IOp op);
  bool lower_simd(IOp op, const OpInfo& info);
  bool lower_simd_access(IOp op, const OpInfo& info);
  bool lower_shuffle();
  Value* simd_inline(IOp op, Value* a, Value* b, Value* c);
  Value* simd_extend(IOp op, Value* a, Value* b, Lanes to);
  Value* simd_thunk_call(IOp op, const OpInfo& info, const std::vector<uint32_t>& slots,
                         Value* count);

  // ---- instructions ----
  bool lower_one(IOp op);
  bool lower_row(IOp op, const OpInfo& info);
  Value* unary(IOp base, Value* a);
  Value* binary(IOp base, Value* a, Value* b);
  Value* trunc_checked(Value* a, llvm::Type* to, bool is_signed);
  // Wasm wants a quiet NaN out of arithmetic on a signaling one; LLVM may
  // fold x - 0.0, x * 1.0 and the like to x (its default environment lets
  // a signaling NaN pass) and x86's minss/maxss pass one through.
  // llvm.canonicalize quiets it.
  Value* quiet(Value* v) { return b_.CreateUnaryIntrinsic(llvm::Intrinsic::canonicalize, v); }
  bool lower_load_store(IOp op, const OpInfo& info);
  Value* access_pointer(const interp::MemAccess& a);
  bool lower_wide(IOp op);
  bool lower_atomic(IOp op);
  bool lower_call(uint32_t callee_index, bool local, uint32_t base, uint32_t next_word);
  void store_results_and_return(uint32_t n);
  // Call windows: the arguments written to the frame, a failed call's code
  // returned at once, the results read back (memory reloaded: the callee
  // may have grown it).
  void store_args(uint32_t base, uint32_t n) {
    for (uint32_t s = 0; s < n; s++) b_.CreateStore(get64(base + s), fp_slot(base + s));
  }
  void return_if_failed(Value* r) {
    BasicBlock* ok = cold_branch(b_.CreateICmpNE(r, b_.getInt32(0)), "failed");
    leave(r);
    b_.SetInsertPoint(ok);
  }
  // Ends the current block: returns the failure `r` (a trap code) from the
  // function -- unless it is an exception that a clause of this function
  // catches at the current instruction (a call or a throw): then the
  // clause's payload is taken from the frame and control goes to its
  // target (interp::ember_native_catch finds the clause).
  void leave(Value* r);
  // The clauses the search for a handler at the current instruction may
  // reach, in search order (indices into CompiledCode::handlers).
  std::vector<uint32_t> catch_candidates() const;
  void take_results(uint32_t base, uint32_t n) {
    for (uint32_t s = 0; s < n; s++)
      b_.CreateStore(b_.CreateLoad(i64_, fp_slot(base + s)), slots_[base + s]);
    reload_memory();
  }

  const LowerContext& cx_;
  const interp::FuncCode& fc_;
  uint32_t index_;
  llvm::Function* fn_;
  llvm::LLVMContext& c_;
  llvm::IRBuilder<> b_;
  llvm::Type *i32_, *i64_, *f32_, *f64_;
  llvm::PointerType* ptr_;
  Value *st_ = nullptr, *view_ = nullptr, *fp_ = nullptr;
  bool regs_ = false;       // the register convention (llvm_lower.hh)
  Value* depth_ = nullptr;  // this activation's State::native_depth (an i32)
  Value *mem_base_ = nullptr, *mem_size_ = nullptr;  // allocas (memory 0)
  Value *stack_end_ = nullptr, *native_limit_ = nullptr, *max_depth_ = nullptr;  // (run)
  Value* scratch_ = nullptr;  // an i64 alloca a runtime function writes a result to
  Value* parked_ = nullptr;   // its CompiledFrame (an alloca), when it parks
  Value* vbuf_[4] = {};       // 16-byte allocas: a SIMD thunk's result and operands
  std::vector<Value*> slots_;
  std::map<uint32_t, BasicBlock*> blocks_;
  uint32_t at_ = 0;  // word of the current instruction
  IOp op_ = IOp::Count_;
  std::string why_;
};

llvm::Type* llvm_type(llvm::IRBuilder<>& b, VType t);

}  // namespace ember::jit::lower

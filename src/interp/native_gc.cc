// The GC instructions of compiled code (native.hh's ember_native_gc): the
// interpreter's handlers (dispatch_gc.inc), entered at one instruction and
// left after it. The compiled function keeps the instruction's operands in
// its frame around the call, and parks the frame for an allocation
// (jit/llvm_lower.cc).
#include <cstdint>

#include "interp/gc_made.hh"
#include "interp/interp_state.hh"
#include "interp/ir_codec.hh"
#include "interp/ir_insn.hh"
#include "interp/native.hh"
#include "runtime/gc.hh"
#include "runtime/runtime.hh"

namespace ember::interp {

extern "C" uint32_t ember_native_gc(State* stp, NativeView* view, const FuncCode* fc, rt::Slot* fp,
                                    uint32_t word, uint32_t op) {
  rt::ModuleInst* inst = view->inst;
  rt::StoreData& store = *stp->store;
  const uint32_t* pc = inst->module->code->words.data() + word;
#define S(i) fp[pc[i]]
#define GET_I32(i) uint32_t(fp[pc[i]])
#define SET_I32(i, v) fp[pc[i]] = uint64_t(uint32_t(v))
#define NEXT(n) return 0
#define JUMP(i) return kGcBranchTaken
#define TRAP(code) return uint32_t(code)
#define PARK_FRAME(next) static_cast<void>(0)
#define UNPARK_FRAME() static_cast<void>(0)
  static_cast<void>(fc);
  switch (IOp(op)) {  // (*pc is the dispatch loop's handler word)
#define EMBER_GC_OP(name) \
  case IOp::name: goto L_##name;
    EMBER_GC_OP(RefEq)
    EMBER_GC_OP(RefI31)
    EMBER_GC_OP(I31GetS)
    EMBER_GC_OP(I31GetU)
    EMBER_GC_OP(StructNew)
    EMBER_GC_OP(StructNewDefault)
    EMBER_GC_OP(StructGet)
    EMBER_GC_OP(StructSet)
    EMBER_GC_OP(ArrayNew)
    EMBER_GC_OP(ArrayNewDefault)
    EMBER_GC_OP(ArrayNewFixed)
    EMBER_GC_OP(ArrayNewData)
    EMBER_GC_OP(ArrayNewElem)
    EMBER_GC_OP(ArrayGet)
    EMBER_GC_OP(ArraySet)
    EMBER_GC_OP(ArrayLen)
    EMBER_GC_OP(ArrayFill)
    EMBER_GC_OP(ArrayCopy)
    EMBER_GC_OP(ArrayInitData)
    EMBER_GC_OP(ArrayInitElem)
    EMBER_GC_OP(RefTest)
    EMBER_GC_OP(RefCast)
    EMBER_GC_OP(BrOnCast)
    EMBER_GC_OP(BrOnCastFail)
#undef EMBER_GC_OP
    default: return uint32_t(TrapCode::Unreachable);  // (the lowering calls it for these only)
  }
#include "interp/dispatch_gc.inc"
#undef S
#undef GET_I32
#undef SET_I32
#undef NEXT
#undef JUMP
#undef TRAP
#undef PARK_FRAME
#undef UNPARK_FRAME
}

}  // namespace ember::interp

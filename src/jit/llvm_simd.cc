// Lowering of the v128 instructions (llvm_lowering.hh). The operators whose
// semantics LLVM's vector operations state exactly (lane arithmetic,
// comparisons, shifts, bitwise, splats, lanes, shuffles, extends, the
// accesses) become those operations; the others (float min/max, rounding,
// conversions, narrowing, swizzle, the relaxed operators) call the
// interpreter's own functions (simd_thunks.hh), so both tiers give the
// same bits wherever the spec leaves a choice.
#include <llvm/IR/Intrinsics.h>

#include <cstring>

#include "jit/llvm_lowering.hh"
#include "jit/simd_thunks.hh"

namespace ember::jit::lower {

// (The slots are consecutive elements of one array: llvm_lower.cc's run.)
Value* Lowering::getv(uint32_t s) {
  return b_.CreateAlignedLoad(llvm::FixedVectorType::get(i64_, 2), slots_[s], llvm::Align(8));
}

void Lowering::setv(uint32_t s, Value* v) {
  b_.CreateAlignedStore(b_.CreateBitCast(v, llvm::FixedVectorType::get(i64_, 2)), slots_[s],
                        llvm::Align(8));
}

// "I16x8Add" -> 8 lanes of i16; "V128And" -> none.
Lowering::Lanes Lowering::lanes_of(IOp op) {
  const char* name = interp::iop_name(op);
  if (name[0] != 'I' && name[0] != 'F') return {};
  unsigned bits = 0, n = 0;
  const char* p = name + 1;
  while (*p >= '0' && *p <= '9') bits = bits * 10 + unsigned(*p++ - '0');
  if (*p++ != 'x') return {};
  while (*p >= '0' && *p <= '9') n = n * 10 + unsigned(*p++ - '0');
  if (bits * n != 128) return {};
  if (name[0] == 'F') return {bits == 32 ? f32_ : f64_, n};
  return {b_.getIntNTy(bits), n};
}

bool Lowering::lower_v128_move(IOp op) {
  switch (op) {
    case IOp::CopyV128: {
      using A = ir::CopyV128::At;
      setv(w(A::d), getv(w(A::s)));  // (both halves read before either is written)
      return true;
    }
    case IOp::ConstV128: {
      using A = ir::ConstV128::At;
      uint64_t lo = uint64_t(w(A::w0)) | uint64_t(w(A::w1)) << 32;
      uint64_t hi = uint64_t(w(A::w2)) | uint64_t(w(A::w3)) << 32;
      set(w(A::d), b_.getInt64(lo));
      set(w(A::d) + 1, b_.getInt64(hi));
      return true;
    }
    case IOp::SelectV128: {
      using A = ir::SelectV128::At;
      Value* c = b_.CreateICmpNE(get(w(A::c), VType::I32), b_.getInt32(0));
      setv(w(A::d), b_.CreateSelect(c, getv(w(A::a)), getv(w(A::b))));
      return true;
    }
    case IOp::GlobalGetV128:
    case IOp::GlobalSetV128: {
      bool get_it = op == IOp::GlobalGetV128;
      uint32_t g = get_it ? w(ir::GlobalGetV128::At::g) : w(ir::GlobalSetV128::At::g);
      Value* p = global_value_ptr(g);
      auto* vt = llvm::FixedVectorType::get(i64_, 2);
      if (get_it) setv(w(ir::GlobalGetV128::At::d), b_.CreateAlignedLoad(vt, p, llvm::Align(8)));
      else b_.CreateAlignedStore(getv(w(ir::GlobalSetV128::At::s)), p, llvm::Align(8));
      return true;
    }
    default: return false;
  }
}

bool Lowering::lower_simd(IOp op, const OpInfo& info) {
  switch (info.kind) {
    case SigKind::VLoad:
    case SigKind::VStore:
    case SigKind::VLoadLane:
    case SigKind::VStoreLane: return lower_simd_access(op, info);
    case SigKind::VExtract: {
      using A = ir::kind::VExtract::At;
      Value* x = b_.CreateExtractElement(view(getv(w(A::a)), lanes_of(op)), uint64_t(w(A::lane)));
      if (x->getType()->isFloatingPointTy())  // the lane's bits, as the interpreter copies them
        x = b_.CreateBitCast(x, b_.getIntNTy(x->getType()->getPrimitiveSizeInBits()));
      if (x->getType()->getIntegerBitWidth() < 32)
        x = info.sign_extend ? b_.CreateSExt(x, i32_) : b_.CreateZExt(x, i32_);
      set(w(A::d), x);
      return true;
    }
    case SigKind::VReplace: {
      using A = ir::kind::VReplace::At;
      Lanes l = lanes_of(op);
      unsigned bits = 128 / l.n;
      Value* x = b_.CreateTrunc(get64(w(A::x)), b_.getIntNTy(bits));
      Lanes as_int{b_.getIntNTy(bits), l.n};
      setv(w(A::d), b_.CreateInsertElement(view(getv(w(A::a)), as_int), x, uint64_t(w(A::lane))));
      return true;
    }
    default: break;
  }
  if (op == IOp::I8x16Shuffle) return lower_shuffle();
  // The result slot and the operand slots by kind (a shift's count apart).
  uint32_t d;
  std::vector<uint32_t> srcs;
  Value* count = nullptr;
  switch (info.kind) {
    case SigKind::VUnary:
      d = w(ir::kind::VUnary::At::d), srcs = {w(ir::kind::VUnary::At::a)};
      break;
    case SigKind::VBinary:
      d = w(ir::kind::VBinary::At::d);
      srcs = {w(ir::kind::VBinary::At::a), w(ir::kind::VBinary::At::b)};
      break;
    case SigKind::VTernary:
      d = w(ir::kind::VTernary::At::d);
      srcs = {w(ir::kind::VTernary::At::a), w(ir::kind::VTernary::At::b),
              w(ir::kind::VTernary::At::c)};
      break;
    case SigKind::VShift:
      d = w(ir::kind::VShift::At::d), srcs = {w(ir::kind::VShift::At::a)};
      count = get(w(ir::kind::VShift::At::count), VType::I32);
      break;
    default: return false;
  }
  // Operands as simd_inline takes them: v128 as <2 x i64>, a splat's
  // scalar typed, a shift's count second.
  Value* ops[3] = {nullptr, count, nullptr};
  for (size_t k = 0; k < srcs.size(); k++)
    ops[k] = info.in == VType::V128 ? getv(srcs[k]) : get(srcs[k], info.in);
  Value* r = simd_inline(op, ops[0], ops[1], ops[2]);
  if (!r) r = simd_thunk_call(op, info, srcs, count);
  if (!r) return false;
  if (info.out == VType::V128) setv(d, r);
  else set(d, r);
  return true;
}

// The translator's two pshufb-style masks (Translator::shuffle) back to the
// 16 lane indices of a shufflevector over a ++ b.
bool Lowering::lower_shuffle() {
  using A = ir::kind::VShuffle::At;
  uint8_t masks[32];
  for (int k = 0; k < 8; k++) {
    uint32_t word = w(A::m0 + k);
    std::memcpy(masks + 4 * k, &word, 4);
  }
  int lanes[16];
  for (int i = 0; i < 16; i++)
    lanes[i] = masks[i] < 16 ? masks[i] : (masks[16 + i] < 16 ? 16 + masks[16 + i] : -1);
  for (int lane : lanes)
    if (lane < 0) return false;  // (the verifier's masks always select one lane)
  Lanes bytes{b_.getInt8Ty(), 16};
  setv(w(A::d), b_.CreateShuffleVector(view(getv(w(A::a)), bytes), view(getv(w(A::b)), bytes),
                                       llvm::ArrayRef<int>(lanes, 16)));
  return true;
}

// Every access form (access_pointer); the operands other than the address
// at the positions of the instruction's kind (the memory64 and other-memory
// forms keep them in the same order, after their extra immediates).
bool Lowering::lower_simd_access(IOp op, const OpInfo& info) {
  interp::MemAccess a;
  if (!interp::memory_access(interp::handler_word(op), &a)) return false;
  Value* p = access_pointer(a);
  if (!p) return false;
  uint32_t bytes = info.size;
  llvm::Type* scalar = b_.getIntNTy(bytes * 8);
  auto* v2 = llvm::FixedVectorType::get(i64_, 2);
  const IOp base = info.base;
  // In every form: a load's result first, a store's value (or a lane
  // access's vector) last, a lane right before the address.
  const uint32_t d = w(1), last = w(interp::ir_layout(op).count);
  switch (base) {
    case IOp::V128Load: setv(d, b_.CreateAlignedLoad(v2, p, llvm::Align(1))); return true;
    case IOp::V128Store: b_.CreateAlignedStore(getv(last), p, llvm::Align(1)); return true;
    case IOp::V128Load8x8S:
    case IOp::V128Load8x8U:
    case IOp::V128Load16x4S:
    case IOp::V128Load16x4U:
    case IOp::V128Load32x2S:
    case IOp::V128Load32x2U: {
      unsigned from = base <= IOp::V128Load8x8U ? 8 : base <= IOp::V128Load16x4U ? 16 : 32;
      auto* narrow = llvm::FixedVectorType::get(b_.getIntNTy(from), 64 / from);
      auto* wide = llvm::FixedVectorType::get(b_.getIntNTy(2 * from), 64 / from);
      Value* x = b_.CreateAlignedLoad(narrow, p, llvm::Align(1));
      setv(d, info.sign_extend ? b_.CreateSExt(x, wide) : b_.CreateZExt(x, wide));
      return true;
    }
    case IOp::V128Load8Splat:
    case IOp::V128Load16Splat:
    case IOp::V128Load32Splat:
    case IOp::V128Load64Splat:
      setv(d, b_.CreateVectorSplat(128 / (bytes * 8),
                                   b_.CreateAlignedLoad(scalar, p, llvm::Align(1))));
      return true;
    case IOp::V128Load32Zero:
    case IOp::V128Load64Zero: {
      auto* vt = llvm::FixedVectorType::get(scalar, 128 / (bytes * 8));
      setv(d, b_.CreateInsertElement(llvm::Constant::getNullValue(vt),
                                     b_.CreateAlignedLoad(scalar, p, llvm::Align(1)), uint64_t(0)));
      return true;
    }
    default: break;
  }
  Lanes l{scalar, 128 / (bytes * 8)};
  uint64_t lane = w(a.addr - 1);
  if (info.kind == SigKind::VLoadLane) {
    Value* x = b_.CreateAlignedLoad(scalar, p, llvm::Align(1));
    setv(d, b_.CreateInsertElement(view(getv(last), l), x, lane));
    return true;
  }
  if (info.kind == SigKind::VStoreLane) {
    b_.CreateAlignedStore(b_.CreateExtractElement(view(getv(last), l), lane), p, llvm::Align(1));
    return true;
  }
  return false;
}

// One of the operators lowered inline, or null. a/b/c: the operands (v128
// as <2 x i64>, a splat's scalar typed, a shift's count as b).
Value* Lowering::simd_inline(IOp op, Value* a, Value* b, Value* c) {
  using P = llvm::CmpInst::Predicate;
  using llvm::Intrinsic::ID;
  const Lanes l = lanes_of(op);
  auto A = [&] { return view(a, l); };
  auto B = [&] { return view(b, l); };
  auto cmp = [&](P p) {  // all-ones / all-zeros lanes of the lane width
    llvm::Type* mask = llvm::FixedVectorType::get(b_.getIntNTy(128 / l.n), l.n);
    return b_.CreateSExt(b_.CreateCmp(p, A(), B()), mask);
  };
  auto intr2 = [&](ID id) { return b_.CreateBinaryIntrinsic(id, A(), B()); };
  auto shift = [&](llvm::Instruction::BinaryOps how) {
    unsigned bits = l.elem->getIntegerBitWidth();
    Value* n = b_.CreateAnd(b, b_.getInt32(bits - 1));
    n = b_.CreateZExtOrTrunc(n, l.elem);
    return b_.CreateBinOp(how, A(), b_.CreateVectorSplat(l.n, n));
  };
  switch (op) {
    // ---- bitwise ----
    case IOp::V128Not: return b_.CreateNot(a);
    case IOp::V128And: return b_.CreateAnd(a, b);
    case IOp::V128Andnot: return b_.CreateAnd(a, b_.CreateNot(b));
    case IOp::V128Or: return b_.CreateOr(a, b);
    case IOp::V128Xor: return b_.CreateXor(a, b);
    case IOp::V128Bitselect:
      return b_.CreateOr(b_.CreateAnd(a, c), b_.CreateAnd(b, b_.CreateNot(c)));
    case IOp::V128AnyTrue:
      return b_.CreateZExt(b_.CreateICmpNE(b_.CreateBitCast(a, b_.getInt128Ty()),
                                           llvm::ConstantInt::get(b_.getInt128Ty(), 0)),
                           i32_);
    // ---- splats ----
    case IOp::I8x16Splat:
    case IOp::I16x8Splat: return b_.CreateVectorSplat(l.n, b_.CreateTrunc(a, l.elem));
    case IOp::I32x4Splat:
    case IOp::I64x2Splat:
    case IOp::F32x4Splat:
    case IOp::F64x2Splat: return b_.CreateVectorSplat(l.n, a);
    // ---- integer lanes ----
    case IOp::I8x16Add:
    case IOp::I16x8Add:
    case IOp::I32x4Add:
    case IOp::I64x2Add: return b_.CreateAdd(A(), B());
    case IOp::I8x16Sub:
    case IOp::I16x8Sub:
    case IOp::I32x4Sub:
    case IOp::I64x2Sub: return b_.CreateSub(A(), B());
    case IOp::I16x8Mul:
    case IOp::I32x4Mul:
    case IOp::I64x2Mul: return b_.CreateMul(A(), B());
    case IOp::I8x16Neg:
    case IOp::I16x8Neg:
    case IOp::I32x4Neg:
    case IOp::I64x2Neg: return b_.CreateNeg(A());
    case IOp::I8x16Abs:
    case IOp::I16x8Abs:
    case IOp::I32x4Abs:
    case IOp::I64x2Abs:
      return b_.CreateIntrinsic(llvm::Intrinsic::abs, {A()->getType()}, {A(), b_.getFalse()});
    case IOp::I8x16Popcnt: return b_.CreateUnaryIntrinsic(llvm::Intrinsic::ctpop, A());
    case IOp::I8x16MinS:
    case IOp::I16x8MinS:
    case IOp::I32x4MinS: return intr2(llvm::Intrinsic::smin);
    case IOp::I8x16MinU:
    case IOp::I16x8MinU:
    case IOp::I32x4MinU: return intr2(llvm::Intrinsic::umin);
    case IOp::I8x16MaxS:
    case IOp::I16x8MaxS:
    case IOp::I32x4MaxS: return intr2(llvm::Intrinsic::smax);
    case IOp::I8x16MaxU:
    case IOp::I16x8MaxU:
    case IOp::I32x4MaxU: return intr2(llvm::Intrinsic::umax);
    case IOp::I8x16AddSatS:
    case IOp::I16x8AddSatS: return intr2(llvm::Intrinsic::sadd_sat);
    case IOp::I8x16AddSatU:
    case IOp::I16x8AddSatU: return intr2(llvm::Intrinsic::uadd_sat);
    case IOp::I8x16SubSatS:
    case IOp::I16x8SubSatS: return intr2(llvm::Intrinsic::ssub_sat);
    case IOp::I8x16SubSatU:
    case IOp::I16x8SubSatU: return intr2(llvm::Intrinsic::usub_sat);
    case IOp::I8x16AvgrU:
    case IOp::I16x8AvgrU: {  // (a + b + 1) >> 1 without overflow
      auto* wide = llvm::FixedVectorType::get(b_.getIntNTy(2 * l.elem->getIntegerBitWidth()), l.n);
      Value* s = b_.CreateAdd(b_.CreateAdd(b_.CreateZExt(A(), wide), b_.CreateZExt(B(), wide)),
                              llvm::ConstantInt::get(wide, 1));
      return b_.CreateTrunc(b_.CreateLShr(s, llvm::ConstantInt::get(wide, 1)), A()->getType());
    }
    case IOp::I8x16Shl:
    case IOp::I16x8Shl:
    case IOp::I32x4Shl:
    case IOp::I64x2Shl: return shift(llvm::Instruction::Shl);
    case IOp::I8x16ShrS:
    case IOp::I16x8ShrS:
    case IOp::I32x4ShrS:
    case IOp::I64x2ShrS: return shift(llvm::Instruction::AShr);
    case IOp::I8x16ShrU:
    case IOp::I16x8ShrU:
    case IOp::I32x4ShrU:
    case IOp::I64x2ShrU: return shift(llvm::Instruction::LShr);
    case IOp::I8x16AllTrue:
    case IOp::I16x8AllTrue:
    case IOp::I32x4AllTrue:
    case IOp::I64x2AllTrue: {
      Value* nz = b_.CreateICmpNE(A(), llvm::Constant::getNullValue(A()->getType()));
      return b_.CreateZExt(b_.CreateAndReduce(nz), i32_);
    }
    case IOp::I8x16Bitmask:
    case IOp::I16x8Bitmask:
    case IOp::I32x4Bitmask:
    case IOp::I64x2Bitmask: {
      Value* neg = b_.CreateICmpSLT(A(), llvm::Constant::getNullValue(A()->getType()));
      return b_.CreateZExt(b_.CreateBitCast(neg, b_.getIntNTy(l.n)), i32_);
    }
    case IOp::I8x16Eq:
    case IOp::I16x8Eq:
    case IOp::I32x4Eq:
    case IOp::I64x2Eq: return cmp(P::ICMP_EQ);
    case IOp::I8x16Ne:
    case IOp::I16x8Ne:
    case IOp::I32x4Ne:
    case IOp::I64x2Ne: return cmp(P::ICMP_NE);
    case IOp::I8x16LtS:
    case IOp::I16x8LtS:
    case IOp::I32x4LtS:
    case IOp::I64x2LtS: return cmp(P::ICMP_SLT);
    case IOp::I8x16GtS:
    case IOp::I16x8GtS:
    case IOp::I32x4GtS:
    case IOp::I64x2GtS: return cmp(P::ICMP_SGT);
    case IOp::I8x16LeS:
    case IOp::I16x8LeS:
    case IOp::I32x4LeS:
    case IOp::I64x2LeS: return cmp(P::ICMP_SLE);
    case IOp::I8x16GeS:
    case IOp::I16x8GeS:
    case IOp::I32x4GeS:
    case IOp::I64x2GeS: return cmp(P::ICMP_SGE);
    case IOp::I8x16LtU:
    case IOp::I16x8LtU:
    case IOp::I32x4LtU: return cmp(P::ICMP_ULT);
    case IOp::I8x16GtU:
    case IOp::I16x8GtU:
    case IOp::I32x4GtU: return cmp(P::ICMP_UGT);
    case IOp::I8x16LeU:
    case IOp::I16x8LeU:
    case IOp::I32x4LeU: return cmp(P::ICMP_ULE);
    case IOp::I8x16GeU:
    case IOp::I16x8GeU:
    case IOp::I32x4GeU: return cmp(P::ICMP_UGE);
    // ---- float lanes: the operations whose NaN results the hardware picks
    // in either tier (quieted, as the scalar ones), and those on bits ----
    case IOp::F32x4Add:
    case IOp::F64x2Add: return quiet(b_.CreateFAdd(A(), B()));
    case IOp::F32x4Sub:
    case IOp::F64x2Sub: return quiet(b_.CreateFSub(A(), B()));
    case IOp::F32x4Mul:
    case IOp::F64x2Mul: return quiet(b_.CreateFMul(A(), B()));
    case IOp::F32x4Div:
    case IOp::F64x2Div: return quiet(b_.CreateFDiv(A(), B()));
    case IOp::F32x4Sqrt:
    case IOp::F64x2Sqrt: return quiet(b_.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, A()));
    case IOp::F32x4Abs:
    case IOp::F64x2Abs: return b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, A());
    case IOp::F32x4Neg:
    case IOp::F64x2Neg: return b_.CreateFNeg(A());
    case IOp::F32x4Pmin:
    case IOp::F64x2Pmin: return b_.CreateSelect(b_.CreateFCmpOLT(B(), A()), B(), A());
    case IOp::F32x4Pmax:
    case IOp::F64x2Pmax: return b_.CreateSelect(b_.CreateFCmpOLT(A(), B()), B(), A());
    case IOp::F32x4Eq:
    case IOp::F64x2Eq: return cmp(P::FCMP_OEQ);
    case IOp::F32x4Ne:
    case IOp::F64x2Ne: return cmp(P::FCMP_UNE);
    case IOp::F32x4Lt:
    case IOp::F64x2Lt: return cmp(P::FCMP_OLT);
    case IOp::F32x4Gt:
    case IOp::F64x2Gt: return cmp(P::FCMP_OGT);
    case IOp::F32x4Le:
    case IOp::F64x2Le: return cmp(P::FCMP_OLE);
    case IOp::F32x4Ge:
    case IOp::F64x2Ge: return cmp(P::FCMP_OGE);
    default: return simd_extend(op, a, b, l);
  }
}

// The operators on a half of the lanes widened: extend, extmul,
// extadd_pairwise, dot. `to` is the result's shape (the name's first); the
// source has lanes half as wide, twice as many.
Value* Lowering::simd_extend(IOp op, Value* a, Value* b, Lanes to) {
  bool low = true, is_signed = true, mul = false;
  switch (op) {
#define EMBER_EXTEND(R, Src)                                              \
  case IOp::R##ExtendLow##Src##S: break;                                  \
  case IOp::R##ExtendHigh##Src##S: low = false; break;                    \
  case IOp::R##ExtendLow##Src##U: is_signed = false; break;               \
  case IOp::R##ExtendHigh##Src##U: low = false, is_signed = false; break; \
  case IOp::R##ExtmulLow##Src##S: mul = true; break;                      \
  case IOp::R##ExtmulHigh##Src##S: low = false, mul = true; break;        \
  case IOp::R##ExtmulLow##Src##U: is_signed = false, mul = true; break;   \
  case IOp::R##ExtmulHigh##Src##U: low = false, is_signed = false, mul = true; break;
    EMBER_EXTEND(I16x8, I8x16)
    EMBER_EXTEND(I32x4, I16x8)
    EMBER_EXTEND(I64x2, I32x4)
#undef EMBER_EXTEND
    case IOp::I16x8ExtaddPairwiseI8x16S:
    case IOp::I16x8ExtaddPairwiseI8x16U:
    case IOp::I32x4ExtaddPairwiseI16x8S:
    case IOp::I32x4ExtaddPairwiseI16x8U:
    case IOp::I32x4DotI16x8S: {
      // even lanes + odd lanes, widened (dot: of the products)
      bool u = op == IOp::I16x8ExtaddPairwiseI8x16U || op == IOp::I32x4ExtaddPairwiseI16x8U;
      Lanes from{b_.getIntNTy(to.elem->getIntegerBitWidth() / 2), to.n * 2};
      auto* wide = llvm::FixedVectorType::get(to.elem, to.n * 2);
      Value* x = u ? b_.CreateZExt(view(a, from), wide) : b_.CreateSExt(view(a, from), wide);
      if (op == IOp::I32x4DotI16x8S) x = b_.CreateMul(x, b_.CreateSExt(view(b, from), wide));
      std::vector<int> even, odd;
      for (unsigned i = 0; i < to.n; i++) even.push_back(int(2 * i)), odd.push_back(int(2 * i + 1));
      return b_.CreateAdd(b_.CreateShuffleVector(x, even), b_.CreateShuffleVector(x, odd));
    }
    default: return nullptr;
  }
  Lanes from{b_.getIntNTy(to.elem->getIntegerBitWidth() / 2), to.n * 2};
  auto* wide = llvm::FixedVectorType::get(to.elem, to.n);
  std::vector<int> half;
  for (unsigned i = 0; i < to.n; i++) half.push_back(int(low ? i : to.n + i));
  auto widen = [&](Value* v) {
    Value* h = b_.CreateShuffleVector(view(v, from), half);
    return is_signed ? b_.CreateSExt(h, wide) : b_.CreateZExt(h, wide);
  };
  Value* x = widen(a);
  return mul ? b_.CreateMul(x, widen(b)) : x;
}

// The interpreter's function for `op` on copies of the operand slots (pairs
// for v128, one slot for a scalar) in the 16-byte buffers; `count` for a
// shift. Null when there is none.
Value* Lowering::simd_thunk_call(IOp op, const OpInfo& info, const std::vector<uint32_t>& slots,
                                 Value* count) {
  const void* fn = simd_thunk(op);
  if (!fn) return nullptr;
  std::vector<Value*> args{vbuf_[0]};
  size_t k = 1;
  for (uint32_t s : slots) {
    Value* buf = vbuf_[k++];
    b_.CreateStore(get64(s), b_.CreateConstInBoundsGEP1_64(i64_, buf, 0));
    if (info.in == VType::V128)
      b_.CreateStore(get64(s + 1), b_.CreateConstInBoundsGEP1_64(i64_, buf, 1));
    args.push_back(buf);
  }
  if (count) args.push_back(count);
  std::vector<llvm::Type*> types;
  for (Value* v : args) types.push_back(v->getType());
  b_.CreateCall(llvm::FunctionType::get(b_.getVoidTy(), types, false), fn_const(fn), args);
  if (info.out == VType::V128) return b_.CreateLoad(llvm::FixedVectorType::get(i64_, 2), vbuf_[0]);
  return b_.CreateLoad(i64_, vbuf_[0]);
}

}  // namespace ember::jit::lower

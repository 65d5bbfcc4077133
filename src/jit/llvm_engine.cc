// The compiled tier's driver: one LLVM module per batch of functions,
// optimized by a pipeline chosen from Config::cranelift_opt_level and
// linked in memory by ORC's LLJIT, which owns the code for as long as the
// module's CompiledCode lives.
//
//   opt level        passes                                   code generator
//   none             SROA, EarlyCSE, InstCombine, SimplifyCFG  FastISel (CodeGenOptLevel::None)
//   speed            function simplification O2                 CodeGenOptLevel::Default
//   speed_and_size   the same, functions marked optsize         CodeGenOptLevel::Default
#include <llvm/Analysis/CGSCCPassManager.h>
#include <llvm/Analysis/LoopAnalysisManager.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "interp/ir_codec.hh"
#include "jit/jit.hh"
#include "jit/llvm_lower.hh"

namespace ember::jit {

namespace {

void init_llvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

std::string llvm_message(llvm::Error e) {
  return llvm::toString(std::move(e));
}

void optimize(llvm::Module& mod, llvm::TargetMachine* tm, const std::string& level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::FunctionPassManager fpm;
  if (level == "none") {
    fpm.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
    fpm.addPass(llvm::EarlyCSEPass());
    fpm.addPass(llvm::InstCombinePass());
    fpm.addPass(llvm::SimplifyCFGPass());
  } else {
    fpm = pb.buildFunctionSimplificationPipeline(llvm::OptimizationLevel::O2,
                                                 llvm::ThinOrFullLTOPhase::None);
  }
  llvm::ModulePassManager mpm;
  mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
  mpm.run(mod, mam);
}

// The lowering quiets every float result with llvm.canonicalize (see
// llvm_lower.cc's quiet()), which x86 emits as a multiply by 1.0. Once the
// optimizer has run, a canonicalize whose operand is still an arithmetic
// instruction is redundant: the hardware instruction quiets a signaling
// NaN itself (SSE and NEON arithmetic, square root and rounding do). What
// stays is quieting where a fold removed the arithmetic (x * 1.0 became x),
// after min/max, which may pass a signaling NaN through, and after
// conversions (the code generator folds demote(promote(x)) to x).
void drop_redundant_quieting(llvm::Module& mod) {
  std::vector<llvm::IntrinsicInst*> dead;
  for (llvm::Function& f : mod)
    for (llvm::BasicBlock& bb : f)
      for (llvm::Instruction& i : bb) {
        auto* call = llvm::dyn_cast<llvm::IntrinsicInst>(&i);
        if (!call || call->getIntrinsicID() != llvm::Intrinsic::canonicalize) continue;
        llvm::Value* x = call->getArgOperand(0);
        bool quiets = false;
        if (auto* op = llvm::dyn_cast<llvm::Instruction>(x)) {
          switch (op->getOpcode()) {
            case llvm::Instruction::FAdd:
            case llvm::Instruction::FSub:
            case llvm::Instruction::FMul:
            case llvm::Instruction::FDiv: quiets = true; break;
            default: break;
          }
          if (auto* in = llvm::dyn_cast<llvm::IntrinsicInst>(op)) {
            switch (in->getIntrinsicID()) {
              case llvm::Intrinsic::sqrt:
              case llvm::Intrinsic::ceil:
              case llvm::Intrinsic::floor:
              case llvm::Intrinsic::trunc:
              case llvm::Intrinsic::roundeven:
              case llvm::Intrinsic::canonicalize: quiets = true; break;
              default: break;
            }
          }
        }
        if (!quiets) continue;
        call->replaceAllUsesWith(x);
        dead.push_back(call);
      }
  for (llvm::IntrinsicInst* call : dead) call->eraseFromParent();
}

// What a module's compiled code keeps alive.
struct NativeModule {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

}  // namespace

bool available() {
  return true;
}

Status compile_module(CompiledCode& code, const ModuleData& m, const rt::EngineConfig& config) {
  if (code.funcs.empty()) return Status::Ok();
  init_llvm();
  auto words = interp::to_portable(code, m);
  if (!words) {
    code.native_skipped_reason = words.error().message();
    return Status::Ok();
  }
  auto tmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmb) return Error(ErrorKind::Internal, "compiled tier: " + llvm_message(tmb.takeError()));
  tmb->setCodeGenOptLevel(config.opt_level == "none" ? llvm::CodeGenOptLevel::None
                                                     : llvm::CodeGenOptLevel::Default);
  auto tm = tmb->createTargetMachine();
  if (!tm) return Error(ErrorKind::Internal, "compiled tier: " + llvm_message(tm.takeError()));

  auto ctx = std::make_unique<llvm::LLVMContext>();
  auto mod = std::make_unique<llvm::Module>("wasm", *ctx);
  mod->setDataLayout((*tm)->createDataLayout());
  mod->setTargetTriple((*tm)->getTargetTriple());
  llvm::PointerType* ptr = llvm::PointerType::getUnqual(*ctx);
  llvm::FunctionType* sig =
      llvm::FunctionType::get(llvm::Type::getInt32Ty(*ctx), {ptr, ptr, ptr}, false);
  const uint32_t n = uint32_t(code.funcs.size());
  auto declare = [&](uint32_t i, const char* prefix) {
    llvm::Function* f = llvm::Function::Create(sig, llvm::Function::ExternalLinkage,
                                               llvm::Twine(prefix) + llvm::Twine(i), mod.get());
    f->addFnAttr("frame-pointer", "all");
    f->addFnAttr(llvm::Attribute::NoUnwind);
    if (config.opt_level == "speed_and_size") f->addFnAttr(llvm::Attribute::OptimizeForSize);
    return f;
  };
  // Which functions the tier lowers: each is lowered once on its own
  // (calls through the runtime), then for real with direct calls.
  std::vector<llvm::Function*> none(n, nullptr), compiled(n, nullptr);
  for (uint32_t i = 0; i < n; i++) {
    llvm::Function* probe = declare(i, "probe");
    std::string why = lower_function(LowerContext{code, m, *words, none}, i, probe);
    probe->eraseFromParent();
    if (why.empty()) compiled[i] = declare(i, "f");
    else if (code.native_skipped_reason.empty()) code.native_skipped_reason = why;
  }
  uint32_t count = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (!compiled[i]) continue;
    std::string why = lower_function(LowerContext{code, m, *words, compiled}, i, compiled[i]);
    if (!why.empty()) return Error(ErrorKind::Internal, "compiled tier: " + why);
    count++;
  }
  if (count == 0) return Status::Ok();
  {  // (always, while the tier is young; Config::cranelift_debug_verifier asks for it)
    std::string report;
    llvm::raw_string_ostream os(report);
    if (llvm::verifyModule(*mod, &os))
      return Error(ErrorKind::Internal, "compiled tier: LLVM IR does not verify: " + report);
  }
  optimize(*mod, tm->get(), config.opt_level);
  drop_redundant_quieting(*mod);

  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*tmb)).create();
  if (!jit) return Error(ErrorKind::Internal, "compiled tier: " + llvm_message(jit.takeError()));
  if (auto e = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(mod), std::move(ctx))))
    return Error(ErrorKind::Internal, "compiled tier: " + llvm_message(std::move(e)));
  for (uint32_t i = 0; i < n; i++) {
    if (!compiled[i]) continue;
    auto sym = (*jit)->lookup((llvm::Twine("f") + llvm::Twine(i)).str());
    if (!sym) return Error(ErrorKind::Internal, "compiled tier: " + llvm_message(sym.takeError()));
    code.funcs[i].native = sym->toPtr<const void*>();
  }
  auto owner = std::make_shared<NativeModule>();
  owner->jit = std::move(*jit);
  code.native_code = std::move(owner);
  code.native_funcs = count;
  return Status::Ok();
}

}  // namespace ember::jit

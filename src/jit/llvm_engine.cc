// The compiled tier's driver: one LLVM module per batch of functions,
// optimized by a pipeline chosen from Config::cranelift_opt_level and
// linked in memory by ORC's LLJIT (one per wasm module, every batch in its
// main library, so a later batch calls earlier ones directly), which owns
// the code for as long as the module's CompiledCode lives.
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
#include "jit/batch.hh"
#include "jit/jit.hh"
#include "jit/llvm_lower.hh"
#include "jit/llvm_profile.hh"

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

}  // namespace

struct NativeCode::Llvm {
  std::unique_ptr<llvm::TargetMachine> tm;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::vector<uint32_t> words;  // the module's code in portable form
  std::string unusable;         // why the module's code cannot be lowered
  std::vector<std::unique_ptr<interp::OsrEntry>> osr;
};

NativeCode::NativeCode() = default;
NativeCode::~NativeCode() = default;

namespace {

Error llvm_failed(llvm::Error e) {
  return Error(ErrorKind::Internal, "compiled tier: " + llvm_message(std::move(e)));
}

Status set_up(NativeCode& native, const CompiledCode& code, const ModuleData& m) {
  auto l = std::make_unique<NativeCode::Llvm>();
  auto words = interp::to_portable(code, m);
  if (words) l->words = std::move(*words);
  else l->unusable = words.error().message();
  auto tmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmb) return llvm_failed(tmb.takeError());
  tmb->setCodeGenOptLevel(native.opt_level == "none" ? llvm::CodeGenOptLevel::None
                                                     : llvm::CodeGenOptLevel::Default);
  auto tm = tmb->createTargetMachine();
  if (!tm) return llvm_failed(tm.takeError());
  l->tm = std::move(*tm);
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*tmb)).create();
  if (!jit) return llvm_failed(jit.takeError());
  l->jit = std::move(*jit);
  add_profiler(*l->jit, native.profiler, code, m);
  native.llvm = std::move(l);
  return Status::Ok();
}

std::string entry_name(uint32_t func) {
  return (llvm::Twine("f") + llvm::Twine(func)).str();
}

std::string osr_name(const BatchItem& item) {
  return (llvm::Twine("f") + llvm::Twine(item.func) + "_osr").str();
}

// One batch in an LLVM module: the entries it compiles (others of the
// module already compiled are declarations the JIT resolves), then the
// loop-header entries of compiled functions.
struct BatchModule {
  std::unique_ptr<llvm::LLVMContext> ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> mod;
  std::vector<uint32_t> entries;  // functions whose entry it defines
  struct OsrFunction {
    uint32_t func;
    std::vector<uint32_t> headers;  // the loop headers (TierUp words) it enters at
  };
  std::vector<OsrFunction> osr;  // loop-header entries it defines
};

Expected<BatchModule> lower_batch(NativeCode& native, const CompiledCode& code, const ModuleData& m,
                                  std::span<const BatchItem> items, std::string* skipped) {
  NativeCode::Llvm& l = *native.llvm;
  BatchModule b;
  b.mod = std::make_unique<llvm::Module>("wasm", *b.ctx);
  b.mod->setDataLayout(l.tm->createDataLayout());
  b.mod->setTargetTriple(l.tm->getTargetTriple());
  llvm::PointerType* ptr = llvm::PointerType::getUnqual(*b.ctx);
  llvm::FunctionType* sig =
      llvm::FunctionType::get(llvm::Type::getInt32Ty(*b.ctx), {ptr, ptr, ptr}, false);
  auto declare = [&](const std::string& name) {
    llvm::Function* f =
        llvm::Function::Create(sig, llvm::Function::ExternalLinkage, name, b.mod.get());
    f->addFnAttr("frame-pointer", "all");
    f->addFnAttr(llvm::Attribute::NoUnwind);
    if (native.opt_level == "speed_and_size") f->addFnAttr(llvm::Attribute::OptimizeForSize);
    return f;
  };
  auto refuse = [&](uint32_t f, const std::string& why) {
    code.funcs[f].tier.set(interp::TierState::Refused);
    if (skipped && skipped->empty()) *skipped = why;
  };
  const uint32_t n = uint32_t(code.funcs.size());
  std::vector<llvm::Function*> none(n, nullptr), direct(n, nullptr);
  for (uint32_t i = 0; i < n; i++)
    if (code.funcs[i].native.get()) direct[i] = declare(entry_name(i));
  // Which functions the tier lowers: each is lowered once on its own
  // (calls through the runtime), then for real with direct calls.
  std::vector<bool> lowers(n, false);
  for (const BatchItem& item : items) {
    uint32_t i = item.func;
    if (direct[i] || lowers[i] || code.funcs[i].tier.get() == interp::TierState::Refused) continue;
    if (!l.unusable.empty()) {
      refuse(i, l.unusable);
      continue;
    }
    llvm::Function* probe = declare("probe");
    std::string why = lower_function(LowerContext{code, m, l.words, none}, i, probe);
    probe->eraseFromParent();
    if (!why.empty()) refuse(i, why);
    else lowers[i] = true;
  }
  for (const BatchItem& item : items) {
    uint32_t i = item.func;
    if (item.osr || direct[i] || !lowers[i]) continue;
    direct[i] = declare(entry_name(i));
    b.entries.push_back(i);
  }
  LowerContext cx{code, m, l.words, direct};
  for (uint32_t i : b.entries) {
    std::string why = lower_function(cx, i, direct[i]);
    if (!why.empty()) return Error(ErrorKind::Internal, "compiled tier: " + why);
  }
  for (const BatchItem& item : items) {
    if (!item.osr || (!direct[item.func] && !lowers[item.func])) continue;
    std::vector<uint32_t> headers;
    std::string why = lower_function(cx, item.func, declare(osr_name(item)), &headers);
    if (!why.empty()) return Error(ErrorKind::Internal, "compiled tier: " + why);
    b.osr.push_back(BatchModule::OsrFunction{item.func, std::move(headers)});
  }
  return b;
}

// Publishes the batch's code: entries, then loop-header entries.
Status install(NativeCode& native, const CompiledCode& code, const BatchModule& b) {
  NativeCode::Llvm& l = *native.llvm;
  std::vector<const void*> entries, osr;
  for (uint32_t i : b.entries) {
    auto sym = l.jit->lookup(entry_name(i));
    if (!sym) return llvm_failed(sym.takeError());
    entries.push_back(sym->toPtr<const void*>());
  }
  for (const BatchModule::OsrFunction& item : b.osr) {
    auto sym = l.jit->lookup(osr_name(BatchItem{item.func, true}));
    if (!sym) return llvm_failed(sym.takeError());
    osr.push_back(sym->toPtr<const void*>());
  }
  for (size_t k = 0; k < b.entries.size(); k++) {
    const interp::FuncCode& fc = code.funcs[b.entries[k]];
    fc.native.set(entries[k]);
    fc.tier.set(interp::TierState::Compiled);
  }
  for (size_t k = 0; k < b.osr.size(); k++) {
    const interp::FuncCode& fc = code.funcs[b.osr[k].func];
    for (uint32_t header : b.osr[k].headers) {
      l.osr.push_back(
          std::make_unique<interp::OsrEntry>(interp::OsrEntry{header, osr[k], fc.osr.get()}));
      fc.osr.set(l.osr.back().get());
    }
  }
  return Status::Ok();
}

}  // namespace

Expected<uint32_t> compile_batch(NativeCode& native, const CompiledCode& code, const ModuleData& m,
                                 std::span<const BatchItem> items, std::string* skipped) {
  std::lock_guard<std::mutex> lock(native.compiling);
  init_llvm();
  if (!native.llvm) EMBER_TRY(set_up(native, code, m));
  auto b = lower_batch(native, code, m, items, skipped);
  if (!b) return b.take_error();
  if (b->entries.empty() && b->osr.empty()) return 0u;
  {  // (always, while the tier is young; Config::cranelift_debug_verifier asks for it)
    std::string report;
    llvm::raw_string_ostream os(report);
    if (llvm::verifyModule(*b->mod, &os))
      return Error(ErrorKind::Internal, "compiled tier: LLVM IR does not verify: " + report);
  }
  NativeCode::Llvm& l = *native.llvm;
  optimize(*b->mod, l.tm.get(), native.opt_level);
  drop_redundant_quieting(*b->mod);
  if (auto e =
          l.jit->addIRModule(llvm::orc::ThreadSafeModule(std::move(b->mod), std::move(b->ctx))))
    return llvm_failed(std::move(e));
  EMBER_TRY(install(native, code, *b));
  return uint32_t(b->entries.size());
}

bool available() {
  return true;
}

Status compile_module(CompiledCode& code, const ModuleData& m, const rt::EngineConfig& config) {
  if (code.funcs.empty()) return Status::Ok();
  auto native = std::make_shared<NativeCode>();
  native->opt_level = config.opt_level;
  native->profiler = config.profiler;
  std::vector<BatchItem> all;
  for (uint32_t i = 0; i < code.funcs.size(); i++) all.push_back(BatchItem{i, false});
  auto count = compile_batch(*native, code, m, all, &code.native_skipped_reason);
  if (!count) return count.take_error();
  code.native_funcs = *count;
  if (*count) code.native_code = std::move(native);
  return Status::Ok();
}

}  // namespace ember::jit

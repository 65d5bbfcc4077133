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
#include <llvm/ExecutionEngine/Orc/Debugging/ELFDebugObjectPlugin.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/DIBuilder.h>
#include <llvm/IR/CFG.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/ErrorHandling.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Passes/StandardInstrumentations.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>
#include <llvm/Transforms/Utils/BasicBlockUtils.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <llvm/Transforms/Utils/ValueMapper.h>
#include <llvm/Transforms/Vectorize/LoopVectorize.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "interp/ir_codec.hh"
#include "interp/ir_insn.hh"
#include "jit/batch.hh"
#include "jit/jit.hh"
#include "jit/llvm_codemap.hh"
#include "jit/llvm_lower.hh"
#include "jit/llvm_profile.hh"
#include "jit/llvm_symbols.hh"
#include "jit/llvm_widen.hh"
#include "platform/fault.hh"
#include "support/parallel.hh"

namespace ember::jit {

namespace {

// Eager compilation cuts a module into chunks of about 1/32 of its code
// (progress steps; work for every thread), within these bounds (IR words).
constexpr size_t kMinChunkWords = 4096, kMaxChunkWords = size_t{1} << 20;
constexpr size_t kMaxEagerThreads = 16;

// LLVM's report of an internal error; LLVM ends the process if this
// returns. On tiering's thread it does not return (batch.hh).
void fatal_error(void*, const char* reason, bool) {
  if (on_tier_thread()) fail_tier_thread(reason);
  std::fprintf(stderr, "LLVM ERROR: %s\n", reason);  // (what LLVM prints without a handler)
}

std::vector<std::string> llvm_options_from_env() {
  std::vector<std::string> options;
  if (const char* v = std::getenv("EMBER_LLVM_OPTIONS")) {
    std::istringstream words(v);
    for (std::string word; words >> word;) options.push_back(word);
  }
  return options;
}

void init_llvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::install_fatal_error_handler(&fatal_error);
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    std::vector<const char*> args = {"ember"};
    // The machine-value analysis behind variable locations (LiveDebugValues
    // with instruction references) runs over every function with a line
    // table, as ours have (faults are located by it), though they describe
    // no variable: 2.1% of an eager compile's samples, 0.45% with the older
    // analysis, which has nothing to do without variables.
    args.push_back("-experimental-debug-variable-locations=false");
#if defined(__x86_64__)
    // No jump may cross or end at a 32-byte boundary: on Intel cores with
    // the JCC erratum microcode such a jump leaves the decoded-uop cache
    // (fib ran 20% slower or not by where its code happened to land).
    // And no conditional move becomes a branch: the pass that does so
    // moves a load folded into a cmov into one arm of the branch, so an
    // unchecked load (volatile, pin_unchecked_loads) whose value the select
    // drops would not fault (found by the differential fuzzer: a loop kept
    // running past an out-of-bounds f32.load). And an instruction without
    // a location gets a row of its own (line 0) in the line table instead
    // of joining the row before it, so a fault in an unchecked load the
    // code generator left without one is not taken for the instruction
    // before (CodeMap::offset_at's `own`).
    args.insert(args.end(), {"-x86-align-branch-boundary=32", "-x86-align-branch=fused+jcc+jmp",
                             "-x86-cmov-converter=false", "-use-unknown-locations=Enable"});
#endif
    // EMBER_LLVM_OPTIONS: more of LLVM's options, or other values for
    // those above, for tuning and diagnosis (docs/architecture.md).
    std::vector<std::string> extra = llvm_options_from_env();
    auto named = [&](std::string_view arg) {
      std::string_view name = arg.substr(0, arg.find('='));
      return std::any_of(extra.begin(), extra.end(), [&](const std::string& e) {
        return e.compare(0, name.size(), name) == 0 &&
               (e.size() == name.size() || e[name.size()] == '=');
      });
    };
    args.erase(std::remove_if(args.begin() + 1, args.end(), named), args.end());
    for (const std::string& e : extra) args.push_back(e.c_str());
    std::string errors;
    llvm::raw_string_ostream os(errors);
    if (!llvm::cl::ParseCommandLineOptions(int(args.size()), args.data(), "", &os))
      std::fprintf(stderr, "ember: EMBER_LLVM_OPTIONS: %s", errors.c_str());
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
  // With EMBER_LLVM_OPTIONS set, LLVM's instrumentation serves its
  // diagnosis options (-print-after=..., -time-passes) in the optimizer too.
  static const bool diagnose = !llvm_options_from_env().empty();
  llvm::PassInstrumentationCallbacks callbacks;
  std::optional<llvm::StandardInstrumentations> instruments;
  if (diagnose) {
    instruments.emplace(mod.getContext(), false);
    instruments->registerCallbacks(callbacks, &mam);
  }
  llvm::PassBuilder pb(tm, llvm::PipelineTuningOptions(), std::nullopt,
                       diagnose ? &callbacks : nullptr);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::FunctionPassManager fpm;
  // Unchecked loads are held (llvm_codemap.hh) while the code simplifies;
  // then those whose value is unused become volatile and the holds go,
  // before the vectorizers (a held load would keep its loop scalar).
  fpm.addPass(HoldUncheckedLoads());
  fpm.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
  if (level == "none") {
    fpm.addPass(llvm::EarlyCSEPass());
    fpm.addPass(llvm::InstCombinePass());
    fpm.addPass(KeepUncheckedLoads());
    fpm.addPass(llvm::SimplifyCFGPass());
  } else {
    fpm.addPass(pb.buildFunctionSimplificationPipeline(llvm::OptimizationLevel::O2,
                                                       llvm::ThinOrFullLTOPhase::None));
    fpm.addPass(KeepUncheckedLoads());
    // Loops over memory vectorize once their accesses are unchecked (a
    // bounds check's trap branch is a loop exit the vectorizer refuses).
    // (The SLP vectorizer is left out: it made mandel 1.8x slower.)
    // A loop's copy where no i32 address wraps and every access is in
    // bounds lets it relate c[j] to c[j + 1], see strides, and vectorize
    // without faulting (decision 55).
    fpm.addPass(WidenLoopAddresses());
    fpm.addPass(llvm::LoopVectorizePass());
    fpm.addPass(HoldUncheckedLoads());  // (the last passes sink loads too)
    fpm.addPass(llvm::InstCombinePass());
    fpm.addPass(llvm::SimplifyCFGPass());
    fpm.addPass(KeepUncheckedLoads());
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

// The optimizer merges a function's returns into one block whose phis
// pick the result and the status; code generation then keeps the status
// in a stack slot written in the entry block, which pins the whole
// prologue (five register saves) onto the paths that return at once
// (fib's leaf). Such a return block (phis, at most two instructions and
// the ret) is copied back into each block that jumps to it; a return of
// up to kEntryReturn instructions is copied onto the entry block's edge to
// it, which split_early_returns then takes apart.
constexpr size_t kJoinedReturn = 3, kEntryReturn = 8;
void split_returns(llvm::Module& mod) {
  auto own_size = [](llvm::BasicBlock* bb) {
    return bb->size() - size_t(std::distance(bb->phis().begin(), bb->phis().end()));
  };
  for (llvm::Function& f : mod) {
    std::vector<llvm::BasicBlock*> blocks;
    for (llvm::BasicBlock& bb : f)
      if (llvm::isa<llvm::ReturnInst>(bb.getTerminator()) && own_size(&bb) <= kEntryReturn)
        blocks.push_back(&bb);
    while (!blocks.empty()) {
      llvm::BasicBlock* bb = blocks.back();
      blocks.pop_back();
      std::vector<llvm::BasicBlock*> preds, entry_edge;
      for (llvm::BasicBlock* pred : llvm::predecessors(bb)) {
        auto* br = llvm::dyn_cast<llvm::BranchInst>(pred->getTerminator());
        if (br && br->isUnconditional() && own_size(bb) <= kJoinedReturn) preds.push_back(pred);
        else if (br && pred->isEntryBlock() && br->getSuccessor(0) != br->getSuccessor(1))
          entry_edge.push_back(pred);
      }
      const size_t joined = preds.size();
      for (llvm::BasicBlock* pred : entry_edge) preds.push_back(llvm::SplitEdge(pred, bb));
      for (size_t k = 0; k < preds.size(); k++) {
        llvm::BasicBlock* pred = preds[k];
        llvm::ValueToValueMapTy map;
        for (llvm::PHINode& phi : bb->phis()) map[&phi] = phi.getIncomingValueForBlock(pred);
        llvm::Instruction* jump = pred->getTerminator();
        for (llvm::Instruction& i : *bb) {
          if (llvm::isa<llvm::PHINode>(i)) continue;
          llvm::Instruction* copy = i.clone();
          copy->insertBefore(jump->getIterator());
          // (Metadata stays as it is: a location copied with new
          // metadata would name a copy of the function's subprogram.)
          llvm::RemapInstruction(copy, map,
                                 llvm::RF_IgnoreMissingLocals | llvm::RF_NoModuleLevelChanges);
          map[&i] = copy;
        }
        jump->eraseFromParent();
        bb->removePredecessor(pred);
        // A block that now returns may itself be copied into the entry's edge.
        if (k < joined && own_size(pred) <= kEntryReturn) blocks.push_back(pred);
      }
      if (!preds.empty() && llvm::pred_empty(bb)) bb->eraseFromParent();
    }
  }
}

// A register body whose entry block tests its parameters and may return at
// once (fib's `n < 2`) pays the whole prologue on that path too: the
// register allocator keeps a parameter in a callee-saved register from the
// entry block on, and LLVM's shrink-wrapping gives up. Such a body
// "f<N>_r" becomes the test and the early return, and a jump (musttail) to
// a copy of the body without the test, "f<N>_s". Only where the
// entry block and the early return have no effects and read no memory
// (so the wrapper, which keeps no frame, cannot fault: the fault handler
// walks frames by rbp), and the rest makes calls.
bool returns_at_once(llvm::BasicBlock* bb) {
  if (!llvm::isa<llvm::ReturnInst>(bb->getTerminator()) || !bb->getSinglePredecessor())
    return false;
  for (llvm::Instruction& i : *bb)
    if (!llvm::isa<llvm::PHINode>(i) && !llvm::isa<llvm::ReturnInst>(i) &&
        (i.mayHaveSideEffects() || i.mayReadFromMemory() || llvm::isa<llvm::CallBase>(i)))
      return false;
  return true;
}

bool makes_calls(llvm::Function& f, const llvm::BasicBlock* except) {
  for (llvm::BasicBlock& bb : f)
    if (&bb != except && &bb != &f.getEntryBlock())
      for (llvm::Instruction& i : bb)
        if (llvm::isa<llvm::CallBase>(i) && !llvm::isa<llvm::IntrinsicInst>(i)) return true;
  return false;
}

void split_early_return(llvm::Function& f) {
  llvm::BasicBlock& entry = f.getEntryBlock();
  auto* br = llvm::dyn_cast<llvm::BranchInst>(entry.getTerminator());
  if (!br || !br->isConditional()) return;
  for (llvm::Instruction& i : entry)
    if (&i != br && (i.mayHaveSideEffects() || i.mayReadFromMemory() ||
                     llvm::isa<llvm::AllocaInst>(i) || llvm::isa<llvm::CallBase>(i)))
      return;
  unsigned leaf = returns_at_once(br->getSuccessor(0)) ? 0 : 1;
  llvm::BasicBlock* early = br->getSuccessor(leaf);
  if (!returns_at_once(early) || br->getSuccessor(0) == br->getSuccessor(1) ||
      !makes_calls(f, early))
    return;
  llvm::ValueToValueMapTy clone_map;
  llvm::Function* rest = llvm::CloneFunction(&f, clone_map);
  std::string name = f.getName().str();
  rest->setName(name.substr(0, name.size() - 2) + "_s");
  rest->setLinkage(llvm::GlobalValue::ExternalLinkage);
  // The rest is entered only when the test fails: it goes straight on.
  auto* rest_br = llvm::cast<llvm::BranchInst>(rest->getEntryBlock().getTerminator());
  auto* rest_early = llvm::cast<llvm::BasicBlock>(clone_map[early]);
  rest_early->removePredecessor(&rest->getEntryBlock());
  llvm::BranchInst::Create(rest_br->getSuccessor(1 - leaf), rest_br->getIterator())
      ->setDebugLoc(rest_br->getDebugLoc());
  rest_br->eraseFromParent();
  rest_early->eraseFromParent();
  // The wrapper: the entry block, the early return, a jump to the rest.
  llvm::LLVMContext& ctx = f.getContext();
  llvm::BasicBlock* jump = llvm::BasicBlock::Create(ctx, "rest", &f);
  std::vector<llvm::Value*> args;
  for (llvm::Argument& a : f.args()) args.push_back(&a);
  llvm::CallInst* call = llvm::CallInst::Create(rest, args, "", jump);
  call->setTailCallKind(llvm::CallInst::TCK_MustTail);
  call->setCallingConv(rest->getCallingConv());
  call->setDebugLoc(br->getDebugLoc());
  llvm::ReturnInst::Create(ctx, f.getReturnType()->isVoidTy() ? nullptr : call, jump);
  // (No frame of its own: it makes no call and cannot fault.)
  f.addFnAttr("frame-pointer", "non-leaf");
  llvm::BasicBlock* body = br->getSuccessor(1 - leaf);
  body->removePredecessor(&entry);
  br->setSuccessor(1 - leaf, jump);
  std::vector<llvm::BasicBlock*> dead;
  for (llvm::BasicBlock& bb : f)
    if (&bb != &entry && &bb != early && &bb != jump) dead.push_back(&bb);
  for (llvm::BasicBlock* bb : dead) bb->dropAllReferences();
  for (llvm::BasicBlock* bb : dead) bb->eraseFromParent();
}

void split_early_returns(llvm::Module& mod) {
  std::vector<llvm::Function*> bodies;
  for (llvm::Function& f : mod)
    if (!f.isDeclaration() && f.getName().ends_with("_r")) bodies.push_back(&f);
  for (llvm::Function* f : bodies) split_early_return(*f);
}

}  // namespace

struct NativeCode::Llvm {
  // The host's target with the JIT's code model (PIC, small): each code
  // generation makes its own TargetMachine from it (one per thread).
  std::unique_ptr<llvm::orc::JITTargetMachineBuilder> tmb;
  std::unique_ptr<llvm::TargetMachine> tm;  // data layout, triple
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::vector<uint32_t> words;  // the module's code in portable form
  std::vector<bool> registers;  // per defined function: has a register body (llvm_lower.hh)
  std::string unusable;         // why the module's code cannot be lowered
  std::vector<std::unique_ptr<interp::OsrEntry>> osr;
  std::vector<std::string> objects;  // with NativeCode::keep_objects
  // With NativeCode::guard_pages: the objects added and not yet mapped,
  // and the maps published (CompiledCode::code_maps).
  std::vector<ObjectCode> unmapped;
  std::vector<std::unique_ptr<interp::CodeMap>> maps;
};

NativeCode::NativeCode(const rt::EngineConfig& config, bool keep)
    : opt_level(config.opt_level),
      profiler(config.profiler),
      keep_objects(keep),
      debug_info(config.debug_info),
      guard_pages(config.signals_based_traps && platform::fault_handling_supported()) {}
NativeCode::~NativeCode() = default;

namespace {

// Whether the function's own entry (entry_name, body_name) is linked: its
// FuncCode::native may also be an OSR entry serving its calls meanwhile
// (install), which later batches must not call by name.
bool has_entry(const interp::FuncCode& fc) {
  return fc.tier.get() == interp::TierState::Compiled;
}

Error llvm_failed(llvm::Error e) {
  return Error(ErrorKind::Internal, "compiled tier: " + llvm_message(std::move(e)));
}

Status set_up(NativeCode& native, const CompiledCode& code, const ModuleData& m) {
  auto l = std::make_unique<NativeCode::Llvm>();
  auto words = interp::to_portable(code, m);
  if (words) l->words = std::move(*words);
  else l->unusable = words.error().message();
  l->registers = register_functions(code, l->words);
  auto tmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmb) return llvm_failed(tmb.takeError());
  tmb->setCodeGenOptLevel(native.opt_level == "none" ? llvm::CodeGenOptLevel::None
                                                     : llvm::CodeGenOptLevel::Default);
  // What LLJIT chooses for JITLink, chosen here because code is generated
  // here: position-independent, small code model.
  tmb->setRelocationModel(llvm::Reloc::PIC_);
  tmb->setCodeModel(llvm::CodeModel::Small);
  leave_out_features(*tmb);
  auto tm = tmb->createTargetMachine();
  if (!tm) return llvm_failed(tm.takeError());
  l->tm = std::move(*tm);
  l->tmb = std::make_unique<llvm::orc::JITTargetMachineBuilder>(*tmb);
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*tmb)).create();
  if (!jit) return llvm_failed(jit.takeError());
  l->jit = std::move(*jit);
  std::string undefined = define_runtime_symbols(*l->jit, code);
  if (!undefined.empty()) return Error(ErrorKind::Internal, "compiled tier: " + undefined);
  add_profiler(*l->jit, native.profiler, code, m);
  if (native.debug_info) {
    // GDB's JIT interface (__jit_debug_register_code): each object with
    // debug sections is registered as it is linked.
    llvm::Error err = llvm::Error::success();
    auto plugin = std::make_unique<llvm::orc::ELFDebugObjectPlugin>(l->jit->getExecutionSession(),
                                                                    true, true, err);
    if (err) return llvm_failed(std::move(err));
    if (auto* layer = llvm::dyn_cast<llvm::orc::ObjectLinkingLayer>(&l->jit->getObjLinkingLayer()))
      layer->addPlugin(std::move(plugin));
  }
  native.llvm = std::move(l);
  return Status::Ok();
}

std::string entry_name(uint32_t func) {
  return (llvm::Twine("f") + llvm::Twine(func)).str();
}

// A function's register body (llvm_lower.hh).
std::string body_name(uint32_t func) {
  return (llvm::Twine("f") + llvm::Twine(func) + "_r").str();
}

std::string osr_name(const BatchItem& item) {
  return (llvm::Twine("f") + llvm::Twine(item.func) + "_osr").str();
}

// One batch in an LLVM module: the entries it compiles (other compiled
// functions of the module are declarations the JIT resolves), then the
// loop-header entries of compiled functions.
struct BatchModule {
  std::unique_ptr<llvm::LLVMContext> ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> mod;
  std::vector<uint32_t> entries;  // functions whose entry it defines
  struct OsrFunction {
    uint32_t func;
    OsrEntryInfo entry;  // the loop headers it enters at; whether it serves calls
  };
  std::vector<OsrFunction> osr;  // loop-header entries it defines
};

// A module for a batch, the declaration of its functions and, with
// NativeCode::debug_info, their debug information.
struct ModuleBuilder {
  const NativeCode& native;
  BatchModule& b;
  llvm::FunctionType* sig;
  std::unique_ptr<llvm::DIBuilder> di;
  llvm::DIFile* file = nullptr;

  ModuleBuilder(const NativeCode& n, BatchModule& batch) : native(n), b(batch) {
    const NativeCode::Llvm& l = *native.llvm;
    b.mod = std::make_unique<llvm::Module>("wasm", *b.ctx);
    b.mod->setDataLayout(l.tm->createDataLayout());
    b.mod->setTargetTriple(l.tm->getTargetTriple());
    llvm::PointerType* ptr = llvm::PointerType::getUnqual(*b.ctx);
    sig = llvm::FunctionType::get(llvm::Type::getInt32Ty(*b.ctx), {ptr, ptr, ptr}, false);
  }
  // Starts the module's debug information: one compile unit, the module
  // (`full`: for debuggers; else line tables only).
  void start_debug_info(const ModuleData& m, bool full) {
    b.mod->addModuleFlag(llvm::Module::Warning, "Debug Info Version", llvm::DEBUG_METADATA_VERSION);
    b.mod->addModuleFlag(llvm::Module::Warning, "Dwarf Version", 4);
    di = std::make_unique<llvm::DIBuilder>(*b.mod);
    std::string name = m.names.module_name.empty() ? "wasm" : m.names.module_name;
    file = di->createFile(name + ".wasm", ".");
    di->createCompileUnit(
        llvm::dwarf::DW_LANG_C, file, "ember", true, "", 0, llvm::StringRef(),
        full ? llvm::DICompileUnit::FullDebug : llvm::DICompileUnit::LineTablesOnly);
  }
  // Function `f` (defined index `func`) gets its wasm name; its line is its
  // body's offset in the module.
  void describe(llvm::Function* f, uint32_t func, const ModuleData& m) {
    if (!di) return;
    uint32_t index = func + m.num_imported_funcs;
    auto it = m.names.funcs.find(index);
    std::string name = it != m.names.funcs.end()
                           ? it->second
                           : (llvm::Twine("wasm-function[") + llvm::Twine(index) + "]").str();
    unsigned line = func < m.bodies.size() ? unsigned(m.bodies[func].offset) : 0;
    llvm::DISubprogram* sp =
        di->createFunction(file, name, llvm::StringRef(), file, line,
                           di->createSubroutineType(di->getOrCreateTypeArray({})), line,
                           llvm::DINode::FlagZero, llvm::DISubprogram::SPFlagDefinition);
    f->setSubprogram(sp);
  }
  void finish() {
    if (di) di->finalize();
  }
  llvm::Function* declare(const std::string& name, llvm::FunctionType* type = nullptr) {
    llvm::Function* f = llvm::Function::Create(type ? type : sig, llvm::Function::ExternalLinkage,
                                               name, b.mod.get());
    f->addFnAttr("frame-pointer", "all");
    f->addFnAttr(llvm::Attribute::NoUnwind);
    if (native.opt_level == "speed_and_size") f->addFnAttr(llvm::Attribute::OptimizeForSize);
    return f;
  }
};

// Which functions of `items` the tier lowers: each is lowered once on its
// own (calls through the runtime) into a scratch module. The others become
// TierState::Refused (the first reason in *skipped).
std::vector<bool> probe(const NativeCode& native, const CompiledCode& code, const ModuleData& m,
                        std::span<const BatchItem> items, std::string* skipped) {
  const NativeCode::Llvm& l = *native.llvm;
  const uint32_t n = uint32_t(code.funcs.size());
  std::vector<bool> lowers(n, false);
  BatchModule scratch;
  ModuleBuilder mb(native, scratch);
  std::vector<llvm::Function*> none(n, nullptr);
  for (const BatchItem& item : items) {
    uint32_t i = item.func;
    if (lowers[i] || has_entry(code.funcs[i]) ||
        code.funcs[i].tier.get() == interp::TierState::Refused)
      continue;
    std::string why = l.unusable;
    if (why.empty()) {
      llvm::Function* probe = mb.declare("probe");
      why = lower_function(LowerContext{code, m, l.words, none, none}, i, probe);
      probe->eraseFromParent();
    }
    if (why.empty()) {
      lowers[i] = true;
    } else {
      code.funcs[i].tier.set(interp::TierState::Refused);
      if (skipped && skipped->empty()) *skipped = why;
    }
  }
  return lowers;
}

// Lowers the entries `entries` and the loop-header entries of `osr` (all
// probed) into one module; calls to a function of `callable` (or one with
// code already) are direct.
Expected<BatchModule> lower_batch(const NativeCode& native, const CompiledCode& code,
                                  const ModuleData& m, std::span<const uint32_t> entries,
                                  std::span<const uint32_t> osr,
                                  const std::vector<bool>& callable) {
  const NativeCode::Llvm& l = *native.llvm;
  BatchModule b;
  ModuleBuilder mb(native, b);
  // (Line tables locate the traps of unchecked accesses: native_fault.cc.)
  if (native.debug_info || native.guard_pages) mb.start_debug_info(m, native.debug_info);
  const uint32_t n = uint32_t(code.funcs.size());
  std::vector<llvm::Function*> direct(n, nullptr), body(n, nullptr);
  for (uint32_t i = 0; i < n; i++) {
    if (!callable[i] && !has_entry(code.funcs[i])) continue;
    direct[i] = mb.declare(entry_name(i));
    if (l.registers[i])
      body[i] = mb.declare(body_name(i), register_type(*b.ctx, code.funcs[i].num_params));
  }
  LowerContext cx{code, m, l.words, direct, body, native.guard_pages};
  for (uint32_t i : entries) {
    mb.describe(direct[i], i, m);
    llvm::Function* f = body[i] ? body[i] : direct[i];
    if (body[i]) mb.describe(body[i], i, m);
    std::string why = lower_function(cx, i, f);
    if (!why.empty()) return Error(ErrorKind::Internal, "compiled tier: " + why);
    if (body[i]) build_entry(code, i, direct[i], body[i]);
    b.entries.push_back(i);
  }
  for (uint32_t i : osr) {
    OsrEntryInfo entry;
    llvm::Function* f = mb.declare(osr_name(BatchItem{i, true}));
    mb.describe(f, i, m);
    std::string why = lower_function(cx, i, f, &entry);
    if (!why.empty()) return Error(ErrorKind::Internal, "compiled tier: " + why);
    b.osr.push_back(BatchModule::OsrFunction{i, std::move(entry)});
  }
  mb.finish();
  return b;
}

Expected<std::string> emit_object(llvm::TargetMachine& tm, llvm::Module& mod) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile))
    return Error(ErrorKind::Internal, "compiled tier: the target cannot emit object files");
  pm.run(mod);
  return std::string(buffer.begin(), buffer.end());
}

// LLVM's verifier over a batch's IR and its debug information (the line
// tables that locate faults), `when` naming the step in its report.
Status verify(const llvm::Module& mod, const char* when) {
  std::string report;
  llvm::raw_string_ostream os(report);
  bool broken_debug_info = false;
  if (llvm::verifyModule(mod, &os, &broken_debug_info) || broken_debug_info)
    return Error(ErrorKind::Internal,
                 std::string("compiled tier: LLVM IR does not verify ") + when + ": " + report);
  return Status::Ok();
}

// Where a tiering batch's time goes, for the trace (EMBER_TIER_TRACE).
class PhaseClock {
 public:
  void mark(const char* phase, size_t bytes = 0) {
    const auto now = std::chrono::steady_clock::now();
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s%s %.1f ms", report_.empty() ? "" : ", ", phase,
                  std::chrono::duration<double, std::milli>(now - last_).count());
    report_ += buf;
    if (bytes) {
      std::snprintf(buf, sizeof buf, " (object: %zu bytes)", bytes);
      report_ += buf;
    }
    last_ = now;
  }
  const std::string& report() const { return report_; }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::string report_;
};

// Verifies, optimizes and generates the object file of a lowered batch.
// (The verifier runs always, while the tier is young, before and after our
// own passes; Config::cranelift_debug_verifier asks for it.)
Expected<std::string> generate(const NativeCode& native, BatchModule& b,
                               PhaseClock* clock = nullptr) {
  EMBER_TRY(verify(*b.mod, "as lowered"));
  auto tm = native.llvm->tmb->createTargetMachine();  // one per thread
  if (!tm) return llvm_failed(tm.takeError());
  optimize(*b.mod, tm->get(), native.opt_level);
  drop_redundant_quieting(*b.mod);
  split_returns(*b.mod);
  split_early_returns(*b.mod);
  pin_unchecked_loads(*b.mod);
  EMBER_TRY(verify(*b.mod, "after optimization"));
  if (clock) clock->mark("optimize");
  auto object = emit_object(**tm, *b.mod);
  if (clock) clock->mark("code generation", object ? object->size() : 0);
  return object;
}

Status add_object(NativeCode& native, llvm::StringRef object) {
  NativeCode::Llvm& l = *native.llvm;
  if (native.guard_pages) {
    EMBER_ASSIGN(ObjectCode functions, read_object_code(object));
    l.unmapped.push_back(std::move(functions));
  }
  if (auto e = l.jit->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(object, "wasm")))
    return llvm_failed(std::move(e));
  if (native.keep_objects) l.objects.push_back(object.str());
  return Status::Ok();
}

// Publishes the code maps of the objects added since the last call (the
// fault handler must find code before it can run: before install()).
Status map_objects(NativeCode& native, const CompiledCode& code) {
  NativeCode::Llvm& l = *native.llvm;
  Status status = Status::Ok();
  auto address = [&](const std::string& name) -> uint64_t {
    auto sym = l.jit->lookup(name);
    if (!sym) {
      if (status) status = llvm_failed(sym.takeError());
      else llvm::consumeError(sym.takeError());
      return 0;
    }
    return sym->getValue();
  };
  for (const ObjectCode& object : l.unmapped) {
    std::unique_ptr<interp::CodeMap> map = make_code_map(object, address, l.registers);
    map->next = code.code_maps.get();
    code.code_maps.set(map.get());
    l.maps.push_back(std::move(map));
  }
  l.unmapped.clear();
  return status;
}

// Publishes code linked into the JIT: function entries, then loop-header
// entries (looking them up links the objects that define them).
Status install(NativeCode& native, const CompiledCode& code, std::span<const uint32_t> funcs,
               std::span<const BatchModule::OsrFunction> loops) {
  NativeCode::Llvm& l = *native.llvm;
  std::vector<const void*> entries, osr;
  for (uint32_t i : funcs) {
    auto sym = l.jit->lookup(entry_name(i));
    if (!sym) return llvm_failed(sym.takeError());
    entries.push_back(sym->toPtr<const void*>());
  }
  for (const BatchModule::OsrFunction& item : loops) {
    auto sym = l.jit->lookup(osr_name(BatchItem{item.func, true}));
    if (!sym) return llvm_failed(sym.takeError());
    osr.push_back(sym->toPtr<const void*>());
  }
  for (size_t k = 0; k < funcs.size(); k++) {
    const interp::FuncCode& fc = code.funcs[funcs[k]];
    fc.native.set(entries[k]);
    fc.tier.set(interp::TierState::Compiled);
  }
  for (size_t k = 0; k < loops.size(); k++) {
    const interp::FuncCode& fc = code.funcs[loops[k].func];
    for (uint32_t header : loops[k].entry.headers) {
      l.osr.push_back(
          std::make_unique<interp::OsrEntry>(interp::OsrEntry{header, osr[k], fc.osr.get()}));
      fc.osr.set(l.osr.back().get());
    }
    // Its calls run this code (from the start) until its entry is compiled.
    if (loops[k].entry.serves_calls && !fc.native.get()) fc.native.set(osr[k]);
  }
  return Status::Ok();
}

Status prepare(NativeCode& native, const CompiledCode& code, const ModuleData& m) {
  init_llvm();
  if (!native.llvm) EMBER_TRY(set_up(native, code, m));
  return Status::Ok();
}

// Eager compilation's chunks: the functions the tier lowers, in index
// order, cut where a chunk reaches `target` IR words.
std::vector<std::vector<uint32_t>> chunks_of(const CompiledCode& code,
                                             const std::vector<bool>& lowers, size_t target) {
  std::vector<std::vector<uint32_t>> chunks(1);
  size_t words = 0;
  for (uint32_t i = 0; i < code.funcs.size(); i++) {
    if (!lowers[i]) continue;
    if (words >= target) chunks.emplace_back(), words = 0;
    chunks.back().push_back(i);
    words += code.funcs[i].end - code.funcs[i].begin;
  }
  if (chunks.back().empty()) chunks.pop_back();
  return chunks;
}

}  // namespace

Expected<uint32_t> compile_batch(NativeCode& native, const CompiledCode& code, const ModuleData& m,
                                 std::span<const BatchItem> items, std::string* skipped) {
  std::lock_guard<std::mutex> lock(native.compiling);
  EMBER_TRY(prepare(native, code, m));
  // Fault injection for tests (tests/python/test_tier_failure.py): LLVM's
  // fatal error at a tiering batch's start.
  if (on_tier_thread() && std::getenv("EMBER_TEST_TIER_FATAL"))
    llvm::report_fatal_error("injected by EMBER_TEST_TIER_FATAL");
  std::vector<bool> lowers = probe(native, code, m, items, skipped);
  std::vector<uint32_t> entries, osr;
  for (const BatchItem& item : items) {
    uint32_t i = item.func;
    if (item.osr && (lowers[i] || has_entry(code.funcs[i]))) osr.push_back(i);
    else if (!item.osr && lowers[i]) entries.push_back(i);
  }
  std::vector<bool> callable(code.funcs.size(), false);
  for (uint32_t i : entries) callable[i] = true;
  if (entries.empty() && osr.empty()) return 0u;
  std::optional<PhaseClock> clock;
  if (on_tier_thread() && tier_trace_on()) clock.emplace();
  EMBER_ASSIGN(BatchModule b, lower_batch(native, code, m, entries, osr, callable));
  if (clock) clock->mark("lowering");
  EMBER_ASSIGN(std::string object, generate(native, b, clock ? &*clock : nullptr));
  EMBER_TRY(add_object(native, object));
  EMBER_TRY(map_objects(native, code));
  EMBER_TRY(install(native, code, b.entries, b.osr));
  if (clock) clock->mark("linking");
  if (clock) tier_trace("batch done:", clock->report());
  return uint32_t(b.entries.size());
}

Status link_objects(NativeCode& native, const CompiledCode& code, const ModuleData& m,
                    std::span<const std::vector<uint8_t>> objects,
                    std::span<const uint32_t> funcs) {
  std::lock_guard<std::mutex> lock(native.compiling);
  EMBER_TRY(prepare(native, code, m));
  for (const std::vector<uint8_t>& object : objects)
    EMBER_TRY(add_object(
        native, llvm::StringRef(reinterpret_cast<const char*>(object.data()), object.size())));
  EMBER_TRY(map_objects(native, code));
  return install(native, code, funcs, {});
}

std::vector<std::string> kept_objects(const NativeCode& native) {
  std::lock_guard<std::mutex> lock(native.compiling);
  return native.llvm ? native.llvm->objects : std::vector<std::string>{};
}

namespace {

// The defined functions that defined function `func` calls directly (its
// own index included when it recurses), and whether it has a loop, from
// its code in portable form.
struct CallsAndLoops {
  std::vector<uint32_t> callees;
  bool loops = false;
};

CallsAndLoops calls_and_loops(const std::vector<uint32_t>& words, const CompiledCode& code,
                              const ModuleData& m, uint32_t func) {
  CallsAndLoops out;
  const interp::FuncCode& fc = code.funcs[func];
  for (uint32_t at = fc.begin; at < fc.end;) {
    const auto op = interp::IOp(words[at]);
    if (op == interp::IOp::TierUp && words[at + interp::ir::TierUp::At::loop]) out.loops = true;
    uint32_t callee = UINT32_MAX;
    if (op == interp::IOp::Call || op == interp::IOp::ReturnCall) {
      static_assert(int(interp::ir::Call::At::func) == int(interp::ir::ReturnCall::At::func));
      uint32_t f = words[at + interp::ir::Call::At::func];
      if (f >= m.num_imported_funcs) callee = f - m.num_imported_funcs;
    } else if (op == interp::IOp::CallLocal) {
      callee = func + words[at + interp::ir::CallLocal::At::delta];  // (mod 2^32: signed delta)
    }
    if (callee < code.funcs.size()) out.callees.push_back(callee);
    at += interp::portable_length(&words[at]);
  }
  return out;
}

}  // namespace

std::vector<uint32_t> looping_callees(const NativeCode& native, const CompiledCode& code,
                                      const ModuleData& m, uint32_t func) {
  std::lock_guard<std::mutex> lock(native.compiling);
  if (!native.llvm || !native.llvm->unusable.empty()) return {};
  const std::vector<uint32_t>& words = native.llvm->words;
  std::vector<uint32_t> out;
  for (uint32_t callee : calls_and_loops(words, code, m, func).callees) {
    if (callee == func || std::find(out.begin(), out.end(), callee) != out.end()) continue;
    CallsAndLoops c = calls_and_loops(words, code, m, callee);
    if (c.loops || std::find(c.callees.begin(), c.callees.end(), callee) != c.callees.end())
      out.push_back(callee);
  }
  return out;
}

bool available() {
  return true;
}

// Eager compilation: every function the tier lowers, in chunks that
// threads (Config::parallel_compilation) lower, optimize and generate
// independently -- calls between chunks are direct, resolved when the
// objects are linked together -- reporting progress per chunk.
Status compile_module(CompiledCode& code, const ModuleData& m, const rt::EngineConfig& config) {
  if (code.funcs.empty()) return Status::Ok();
  auto native = std::make_shared<NativeCode>(config, true);
  std::lock_guard<std::mutex> lock(native->compiling);
  EMBER_TRY(prepare(*native, code, m));
  std::vector<BatchItem> all;
  for (uint32_t i = 0; i < code.funcs.size(); i++) all.push_back(BatchItem{i, false});
  std::vector<bool> lowers = probe(*native, code, m, all, &code.native_skipped_reason);
  const uint32_t total = uint32_t(std::count(lowers.begin(), lowers.end(), true));
  if (total == 0) return Status::Ok();
  const size_t words = code.words.size();
  std::vector<std::vector<uint32_t>> chunks =
      chunks_of(code, lowers, std::clamp<size_t>(words / 32, kMinChunkWords, kMaxChunkWords));
  unsigned threads = 1;
  if (config.parallel_compilation)
    threads = unsigned(std::min<size_t>(
        {chunks.size(), std::max(1u, std::thread::hardware_concurrency()), kMaxEagerThreads}));
  std::vector<std::optional<Expected<std::string>>> objects(chunks.size());
  std::mutex progress_mu;
  uint32_t done = 0;
  if (config.compile_progress) config.compile_progress(0, total);
  for_each_part(chunks.size(), threads, [&](size_t k) {
    auto b = lower_batch(*native, code, m, chunks[k], {}, lowers);
    objects[k] = b ? generate(*native, *b) : Expected<std::string>(b.take_error());
    if (!*objects[k]) return false;  // the others stop after their chunk
    std::lock_guard<std::mutex> p(progress_mu);
    done += uint32_t(chunks[k].size());
    if (config.compile_progress) config.compile_progress(done, total);
    return true;
  });
  std::vector<uint32_t> entries;
  for (size_t k = 0; k < chunks.size(); k++) {
    if (!objects[k]) return Error(ErrorKind::Internal, "compiled tier: a chunk was not compiled");
    if (!*objects[k]) return objects[k]->take_error();
    EMBER_TRY(add_object(*native, **objects[k]));
    entries.insert(entries.end(), chunks[k].begin(), chunks[k].end());
  }
  code.guard_pages = native->guard_pages;
  EMBER_TRY(map_objects(*native, code));
  EMBER_TRY(install(*native, code, entries, {}));
  code.native_funcs = total;
  code.native_code = std::move(native);
  return Status::Ok();
}

}  // namespace ember::jit

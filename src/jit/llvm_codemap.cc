// Unchecked memory accesses (llvm_codemap.hh): the pass that keeps dead
// unchecked loads, and code maps from an object's symbols and line table.
#include "jit/llvm_codemap.hh"

#include <llvm/ADT/SmallPtrSet.h>
#include <llvm/ADT/DenseMap.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/Analysis/ValueTracking.h>
#include <llvm/DebugInfo/DWARF/DWARFContext.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/MemoryBuffer.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "jit/llvm_lower.hh"

namespace ember::jit {

namespace {

constexpr const char* kKeepFunction = "ember.keep";

// A load from an unchecked address: its address GEP carries the metadata
// (as the lowering made it), or the load itself (tagged by the first hold).
bool unchecked_load(const llvm::Instruction& i, unsigned kind) {
  auto* load = llvm::dyn_cast<llvm::LoadInst>(&i);
  if (!load) return false;
  if (load->getMetadata(kind)) return true;
  auto* gep = llvm::dyn_cast<llvm::GetElementPtrInst>(load->getPointerOperand());
  return gep && gep->getMetadata(kind);
}

bool is_keep(const llvm::Instruction& i) {
  auto* call = llvm::dyn_cast<llvm::CallInst>(&i);
  return call && call->getCalledFunction() && call->getCalledFunction()->getName() == kKeepFunction;
}

}  // namespace

llvm::PreservedAnalyses HoldUncheckedLoads::run(llvm::Function& f, llvm::FunctionAnalysisManager&) {
  const unsigned kind = f.getContext().getMDKindID(kUncheckedAccess);
  llvm::Module& m = *f.getParent();
  llvm::FunctionCallee keep = m.getOrInsertFunction(
      kKeepFunction, llvm::FunctionType::get(llvm::Type::getVoidTy(m.getContext()), true));
  // No memory, no unwinding: memory optimizations see through it. Not
  // `willreturn`: so it counts as a side effect, which nothing deletes.
  if (auto* fn = llvm::dyn_cast<llvm::Function>(keep.getCallee())) {
    fn->setDoesNotAccessMemory();
    fn->setDoesNotThrow();
  }
  bool changed = false;
  for (llvm::BasicBlock& bb : f)
    for (llvm::Instruction& i : bb)
      if (unchecked_load(i, kind)) {
        if (!i.getMetadata(kind)) i.setMetadata(kind, llvm::MDNode::get(f.getContext(), {}));
        llvm::CallInst::Create(keep, {&i}, "", i.getNextNode()->getIterator());
        changed = true;
      }
  return changed ? llvm::PreservedAnalyses::none() : llvm::PreservedAnalyses::all();
}

namespace {

// The instruction the code generator may fold `load` into, when naming it
// by the load's row is right: the load's one user, in its block, an
// arithmetic, bitwise or comparison instruction that cannot trap (integer
// division's checks are branches of their own) and reads no other
// unchecked load (of two, either may be the one folded).
llvm::Instruction* folding_user(llvm::LoadInst& load, unsigned kind) {
  if (!load.hasOneUse()) return nullptr;
  auto* user = llvm::dyn_cast<llvm::Instruction>(*load.user_begin());
  if (!user || user->getParent() != load.getParent() || user->isIntDivRem() ||
      !(llvm::isa<llvm::BinaryOperator>(user) || llvm::isa<llvm::CmpInst>(user)))
    return nullptr;
  for (llvm::Value* op : user->operands()) {
    auto* other = llvm::dyn_cast<llvm::LoadInst>(op);
    if (other && other != &load && other->getMetadata(kind)) return nullptr;
  }
  return user;
}

}  // namespace

void pin_unchecked_loads(llvm::Module& m) {
  const unsigned kind = m.getContext().getMDKindID(kUncheckedAccess);
  for (llvm::Function& f : m)
    for (llvm::BasicBlock& bb : f)
      for (llvm::Instruction& i : bb) {
        auto* load = llvm::dyn_cast<llvm::LoadInst>(&i);
        if (!load || !load->getMetadata(kind)) continue;
        load->setVolatile(true);
        // Folded into its user, the load faults at the user's row.
        if (llvm::Instruction* user = folding_user(*load, kind))
          user->setDebugLoc(load->getDebugLoc());
      }
}

llvm::PreservedAnalyses KeepUncheckedLoads::run(llvm::Function& f, llvm::FunctionAnalysisManager&) {
  const unsigned kind = f.getContext().getMDKindID(kUncheckedAccess);
  // What stays whatever the optimizer proves: side effects, control flow,
  // and everything their operands need (the holds aside). A store into a
  // local variable SROA left in memory is needed only once that variable
  // is (something live reads it or it escapes).
  llvm::SmallPtrSet<llvm::Instruction*, 32> live;
  llvm::SmallVector<llvm::Instruction*, 128> work, holds;
  llvm::DenseMap<const llvm::Value*, llvm::SmallVector<llvm::Instruction*, 4>> stores_into;
  for (llvm::BasicBlock& bb : f)
    for (llvm::Instruction& i : bb) {
      if (is_keep(i)) {
        holds.push_back(&i);
        continue;
      }
      if (auto* store = llvm::dyn_cast<llvm::StoreInst>(&i); store && store->isSimple()) {
        const llvm::Value* object = llvm::getUnderlyingObject(store->getPointerOperand());
        if (llvm::isa<llvm::AllocaInst>(object)) {
          stores_into[object].push_back(&i);
          continue;
        }
      }
      if (i.isTerminator() || i.mayHaveSideEffects()) {
        live.insert(&i);
        work.push_back(&i);
      }
    }
  while (!work.empty()) {
    llvm::Instruction* i = work.pop_back_val();
    if (llvm::isa<llvm::AllocaInst>(i))
      if (auto it = stores_into.find(i); it != stores_into.end())
        for (llvm::Instruction* store : it->second)
          if (live.insert(store).second) work.push_back(store);
    for (llvm::Use& u : i->operands())
      if (auto* op = llvm::dyn_cast<llvm::Instruction>(u.get()))
        if (live.insert(op).second) work.push_back(op);
  }
  // Each hold's operand is its load's value, or what the simplification
  // made of it: the load (maybe another one of the same address, or cast),
  // or a value forwarded from a store to that address (which then faulted
  // first).
  for (llvm::Instruction* hold : holds) {
    llvm::Value* v = llvm::cast<llvm::CallInst>(hold)->getArgOperand(0);
    while (auto* cast = llvm::dyn_cast<llvm::CastInst>(v)) {
      if (live.count(cast)) break;
      v = cast->getOperand(0);
    }
    auto* load = llvm::dyn_cast<llvm::LoadInst>(v);
    if (!load) continue;
    // (A load the simplification rewrote may have lost the tag.)
    load->setMetadata(kind, llvm::MDNode::get(f.getContext(), {}));
    if (!live.count(load)) load->setVolatile(true);
  }
  for (llvm::Instruction* hold : holds) hold->eraseFromParent();
  return llvm::PreservedAnalyses::none();
}

namespace {

Error object_error(llvm::Error e) {
  return Error(ErrorKind::Internal, "compiled tier: object file: " + llvm::toString(std::move(e)));
}

struct Symbol {
  std::string name;
  uint64_t section, address, size;
};

}  // namespace

Expected<ObjectCode> read_object_code(llvm::StringRef object) {
  auto file = llvm::object::ObjectFile::createObjectFile(llvm::MemoryBufferRef(object, "wasm"));
  if (!file) return object_error(file.takeError());
  const llvm::object::ObjectFile& obj = **file;
  std::vector<Symbol> symbols;
  for (const llvm::object::SymbolRef& sym : obj.symbols()) {
    auto type = sym.getType();
    auto name = sym.getName();
    auto address = sym.getAddress();
    auto section = sym.getSection();
    if (!type || !name || !address || !section) {
      if (!type) llvm::consumeError(type.takeError());
      if (!name) llvm::consumeError(name.takeError());
      if (!address) llvm::consumeError(address.takeError());
      if (!section) llvm::consumeError(section.takeError());
      continue;
    }
    if (*type != llvm::object::SymbolRef::ST_Function || *section == obj.section_end()) continue;
    uint64_t size = llvm::object::ELFSymbolRef(sym).getSize();
    symbols.push_back(Symbol{name->str(), (*section)->getIndex(), *address, size});
  }
  // Rows by section, in address order.
  std::map<uint64_t, std::vector<interp::CodeRow>> rows;
  std::map<uint64_t, std::vector<uint64_t>> addresses;
  std::unique_ptr<llvm::DWARFContext> dwarf = llvm::DWARFContext::create(obj);
  for (const auto& unit : dwarf->compile_units()) {
    const llvm::DWARFDebugLine::LineTable* table = dwarf->getLineTableForUnit(unit.get());
    if (!table) continue;
    for (const llvm::DWARFDebugLine::Row& row : table->Rows) {
      if (row.EndSequence) continue;
      addresses[row.Address.SectionIndex].push_back(row.Address.Address);
      rows[row.Address.SectionIndex].push_back(interp::CodeRow{0, uint32_t(row.Line)});
    }
  }
  ObjectCode out;
  for (const Symbol& s : symbols) {
    ObjectCode::Function fn{s.name, s.size, {}};
    const std::vector<uint64_t>& at = addresses[s.section];
    const std::vector<interp::CodeRow>& r = rows[s.section];
    for (size_t k = 0; k < at.size(); k++)
      if (at[k] >= s.address && at[k] < s.address + s.size)
        fn.rows.push_back(interp::CodeRow{uint32_t(at[k] - s.address), r[k].offset});
    std::stable_sort(
        fn.rows.begin(), fn.rows.end(),
        [](const interp::CodeRow& a, const interp::CodeRow& b) { return a.pc < b.pc; });
    out.functions.push_back(std::move(fn));
  }
  return out;
}

namespace {

// Defined function N of a symbol "f<N>", "f<N>_r", "f<N>_s" or "f<N>_osr" (*suffix:
// what follows N), or false.
bool function_of(const std::string& name, uint32_t* func, std::string* suffix) {
  if (name.size() < 2 || name[0] != 'f' || !std::isdigit(static_cast<unsigned char>(name[1])))
    return false;
  size_t end = 1;
  uint64_t n = 0;
  while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end])) &&
         n <= UINT32_MAX)
    n = n * 10 + uint64_t(name[end++] - '0');
  if (n > UINT32_MAX) return false;
  *suffix = name.substr(end);
  *func = uint32_t(n);
  return suffix->empty() || *suffix == "_r" || *suffix == "_s" || *suffix == "_osr";
}

}  // namespace

std::unique_ptr<interp::CodeMap> make_code_map(
    const ObjectCode& object, const std::function<uint64_t(const std::string&)>& address,
    const std::vector<bool>& registers) {
  auto map = std::make_unique<interp::CodeMap>();
  for (const ObjectCode::Function& fn : object.functions) {
    uint32_t func;
    std::string suffix;
    if (!function_of(fn.name, &func, &suffix) || func >= registers.size() || fn.size == 0) continue;
    uint64_t at = address(fn.name);
    if (at == 0) continue;
    interp::CodeRange r;
    r.begin = uintptr_t(at);
    r.end = uintptr_t(at + fn.size);
    r.func = func;
    r.wrapper = suffix.empty() && registers[func];
    r.rows_begin = uint32_t(map->rows.size());
    map->rows.insert(map->rows.end(), fn.rows.begin(), fn.rows.end());
    r.rows_end = uint32_t(map->rows.size());
    map->ranges.push_back(r);
  }
  std::sort(
      map->ranges.begin(), map->ranges.end(),
      [](const interp::CodeRange& a, const interp::CodeRange& b) { return a.begin < b.begin; });
  return map;
}

}  // namespace ember::jit

// Config::profiler "perfmap": a JITLink plugin that, once a batch is linked,
// writes one line per compiled function to /tmp/perf-<pid>.map (perf's
// format: hex start, hex size, name). Names are the wasm function's:
// `wasm[MODULE]::NAME` (the name section's names, `function[i]` without
// one), and `...::osr` for its entry at its loop headers (decision 43).
#include "jit/llvm_profile.hh"

#include <unistd.h>

#include <llvm/ExecutionEngine/JITLink/JITLink.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ember::jit {

namespace {

std::mutex g_perf_map_mu;  // lines of several JITs and threads stay whole

class PerfMapPlugin : public llvm::orc::ObjectLinkingLayer::Plugin {
 public:
  PerfMapPlugin(const CompiledCode& code, const ModuleData& m)
      : code_(code), module_(m.names.module_name.empty() ? "module" : m.names.module_name) {
    for (const interp::FuncCode& fc : code.funcs) {
      auto it = m.names.funcs.find(fc.func_index);
      if (it != m.names.funcs.end()) names_[fc.func_index] = it->second;
    }
  }

  void modifyPassConfig(llvm::orc::MaterializationResponsibility&, llvm::jitlink::LinkGraph&,
                        llvm::jitlink::PassConfiguration& config) override {
    config.PostFixupPasses.push_back([this](llvm::jitlink::LinkGraph& g) {
      write(g);
      return llvm::Error::success();
    });
  }
  llvm::Error notifyFailed(llvm::orc::MaterializationResponsibility&) override {
    return llvm::Error::success();
  }
  llvm::Error notifyRemovingResources(llvm::orc::JITDylib&, llvm::orc::ResourceKey) override {
    return llvm::Error::success();
  }
  void notifyTransferringResources(llvm::orc::JITDylib&, llvm::orc::ResourceKey,
                                   llvm::orc::ResourceKey) override {}

 private:
  // "f<i>" (defined function i) or "f<i>_osr" (its loop-header entry).
  std::string wasm_name(llvm::StringRef symbol) const {
    unsigned func = 0;
    if (!symbol.consume_front("f") || symbol.consumeInteger(10, func) || func >= code_.funcs.size())
      return {};
    uint32_t index = code_.funcs[func].func_index;
    auto it = names_.find(index);
    std::string name = "wasm[" + module_ + "]::";
    name += it != names_.end() ? it->second : "function[" + std::to_string(index) + "]";
    if (symbol == "_osr") name += "::osr";
    return name;
  }

  void write(llvm::jitlink::LinkGraph& g) const {
    std::string lines;
    for (llvm::jitlink::Symbol* s : g.defined_symbols()) {
      if (!s->isCallable() || !s->hasName() || s->getSize() == 0) continue;
      std::string name = wasm_name(*s->getName());
      if (name.empty()) continue;
      char head[64];
      std::snprintf(head, sizeof head, "%" PRIx64 " %" PRIx64 " ", s->getAddress().getValue(),
                    uint64_t(s->getSize()));
      lines += head + name + "\n";
    }
    if (lines.empty()) return;
    std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
    std::lock_guard<std::mutex> lock(g_perf_map_mu);
    if (FILE* f = std::fopen(path.c_str(), "a")) {
      std::fwrite(lines.data(), 1, lines.size(), f);
      std::fclose(f);
    }
  }

  const CompiledCode& code_;
  std::string module_;
  std::unordered_map<uint32_t, std::string> names_;
};

}  // namespace

void add_profiler(llvm::orc::LLJIT& jit, const std::string& profiler, const CompiledCode& code,
                  const ModuleData& m) {
  if (profiler != "perfmap") return;
  if (auto* layer = llvm::dyn_cast<llvm::orc::ObjectLinkingLayer>(&jit.getObjLinkingLayer()))
    layer->addPlugin(std::make_shared<PerfMapPlugin>(code, m));
}

}  // namespace ember::jit

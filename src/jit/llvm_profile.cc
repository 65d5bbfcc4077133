// Config::profiler: a JITLink plugin that, once a batch is linked, tells
// the profiler about each compiled function, named after the wasm function:
// `wasm[MODULE]::NAME` (the name section's names, `function[i]` without
// one), and `...::osr` for its entry at its loop headers (decision 43).
//   perfmap  one line per function in /tmp/perf-<pid>.map (perf's format:
//            hex start, hex size, name)
//   jitdump  a JIT_CODE_LOAD record per function, with its machine code, in
//            /tmp/jit-<pid>.dump (perf's jitdump format: `perf record -k 1`,
//            then `perf inject --jit` makes ELF images perf report reads);
//            the file's first page is mapped executable, which is how perf
//            finds it
#include "jit/llvm_profile.hh"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <llvm/ExecutionEngine/JITLink/JITLink.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace ember::jit {

namespace {

std::mutex g_profile_mu;  // records of several JITs and threads stay whole

struct Function {
  uint64_t address, size;
  std::string name;
  const char* code;  // the linked bytes
};

void write_perf_map(const std::vector<Function>& fns) {
  std::string lines;
  for (const Function& f : fns) {
    char head[64];
    std::snprintf(head, sizeof head, "%" PRIx64 " %" PRIx64 " ", f.address, f.size);
    lines += head + f.name + "\n";
  }
  std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  if (FILE* f = std::fopen(path.c_str(), "a")) {
    std::fwrite(lines.data(), 1, lines.size(), f);
    std::fclose(f);
  }
}

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// The jitdump file of this process, opened (header written, first page
// mapped executable) at its first record; null if it cannot be written.
FILE* jitdump_file() {
  static FILE* file = nullptr;
  static pid_t owner = 0;
  if (file && owner == getpid()) return file;
  owner = getpid();  // (a forked child starts a file of its own)
  std::string path = "/tmp/jit-" + std::to_string(owner) + ".dump";
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0666);
  if (fd < 0) return file = nullptr;
  struct {
    uint32_t magic, version, total_size, elf_mach, pad1, pid;
    uint64_t timestamp, flags;
  } header = {0x4A695444, 1, 40, EM_X86_64, 0, uint32_t(owner), monotonic_ns(), 0};
  static_assert(sizeof header == 40);
#if defined(__aarch64__)
  header.elf_mach = EM_AARCH64;
#endif
  if (write(fd, &header, sizeof header) != ssize_t(sizeof header)) {
    close(fd);
    return file = nullptr;
  }
  void* marker =
      mmap(nullptr, size_t(sysconf(_SC_PAGESIZE)), PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  (void)marker;  // (kept mapped for the process's life: perf sees the mmap)
  return file = fdopen(fd, "a");
}

void write_jitdump(const std::vector<Function>& fns) {
  FILE* f = jitdump_file();
  if (!f) return;
  static uint64_t index = 0;
  for (const Function& fn : fns) {
    struct {
      uint32_t id, total_size;
      uint64_t timestamp;
      uint32_t pid, tid;
      uint64_t vma, code_addr, code_size, code_index;
    } rec = {0,
             0,
             monotonic_ns(),
             uint32_t(getpid()),
             uint32_t(syscall(SYS_gettid)),
             fn.address,
             fn.address,
             fn.size,
             index++};
    static_assert(sizeof rec == 56);
    rec.total_size = uint32_t(sizeof rec + fn.name.size() + 1 + fn.size);
    std::fwrite(&rec, sizeof rec, 1, f);
    std::fwrite(fn.name.c_str(), 1, fn.name.size() + 1, f);
    std::fwrite(fn.code, 1, fn.size, f);
  }
  std::fflush(f);
}

class ProfilerPlugin : public llvm::orc::ObjectLinkingLayer::Plugin {
 public:
  ProfilerPlugin(const std::string& profiler, const CompiledCode& code, const ModuleData& m)
      : jitdump_(profiler == "jitdump"),
        code_(code),
        module_(m.names.module_name.empty() ? "module" : m.names.module_name) {
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
    std::vector<Function> fns;
    for (llvm::jitlink::Symbol* s : g.defined_symbols()) {
      if (!s->isCallable() || !s->hasName() || s->getSize() == 0) continue;
      std::string name = wasm_name(*s->getName());
      if (name.empty()) continue;
      const char* bytes = s->getBlock().getContent().data() + s->getOffset();
      fns.push_back({s->getAddress().getValue(), uint64_t(s->getSize()), std::move(name), bytes});
    }
    if (fns.empty()) return;
    std::lock_guard<std::mutex> lock(g_profile_mu);
    if (jitdump_) write_jitdump(fns);
    else write_perf_map(fns);
  }

  bool jitdump_;
  const CompiledCode& code_;
  std::string module_;
  std::unordered_map<uint32_t, std::string> names_;
};

}  // namespace

void add_profiler(llvm::orc::LLJIT& jit, const std::string& profiler, const CompiledCode& code,
                  const ModuleData& m) {
  if (profiler != "perfmap" && profiler != "jitdump") return;
  if (auto* layer = llvm::dyn_cast<llvm::orc::ObjectLinkingLayer>(&jit.getObjLinkingLayer()))
    layer->addPlugin(std::make_shared<ProfilerPlugin>(profiler, code, m));
}

}  // namespace ember::jit

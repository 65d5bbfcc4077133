// wasi-threads for `ember run -S threads`: the shared memories, the
// `wasi::thread-spawn` host function and the threads it starts
// (wasi_threads.hh has the process rules).
#include "wasi_threads.hh"

#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <system_error>
#include <thread>

#include "cli.hh"

namespace ember::cli {

namespace {

constexpr const char* kEntry = "wasi_thread_start";
// Thread ids are positive and below 2^29 (the proposal leaves the top bits
// to the guest's own use, e.g. wasi-libc's mutex owner field).
constexpr uint32_t kMaxThreadId = (uint32_t(1) << 29) - 1;

bool imports_thread_spawn(const Module& m) {
  for (const ImportType& i : m.imports())
    if (i.module == "wasi" && i.name == "thread-spawn") return true;
  return false;
}

bool exports_entry(const Module& m) {
  const FuncType want{{ValType::I32, ValType::I32}, {}};
  for (const ExportType& e : m.exports())
    if (e.name == kEntry) return e.type.kind == ExternKind::Func && e.type.func == want;
  return false;
}

std::string context(const std::string& file) {
  return "failed to run main module `" + file + "`";
}

}  // namespace

std::shared_ptr<WasiThreads> WasiThreads::create(ThreadedProgram program) {
  auto t = std::make_shared<WasiThreads>(std::move(program));
  const Module& m = t->program_.module;
  if (imports_thread_spawn(m) && !exports_entry(m))
    throw WasmError(ErrorKind::Unlinkable,
                    "the module imports `wasi::thread-spawn` but does not export `" +
                        std::string(kEntry) + "` of type (i32, i32) -> ()");
  for (const ImportType& i : m.imports())
    if (i.type.kind == ExternKind::Memory && i.type.memory.limits.shared)
      t->memories_.emplace_back(i, SharedMemory::create(t->program_.engine, i.type.memory));
  return t;
}

void WasiThreads::define(Linker& linker, Store& store) {
  for (const auto& [import, memory] : memories_)
    linker.define(import.module, import.name, Extern(memory));
  linker.define("wasi", "thread-spawn",
                Func::wrap(store, [self = shared_from_this()](int32_t start_arg) -> int32_t {
                  return self->spawn(start_arg);
                }));
}

int WasiThreads::finish(int status) const {
  if (spawned()) end_process([status] { return status; });
  return status;
}

void WasiThreads::end_process(const std::function<int()>& last_words) {
  static std::mutex gate;
  gate.lock();  // never unlocked: whoever comes later waits for the exit
  int status = last_words();
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(status);
}

// Starts thread `tid` and waits until its instance exists, so that a thread
// that cannot be instantiated is a failed spawn (negative), not a thread.
int32_t WasiThreads::spawn(int32_t start_arg) {
  uint32_t tid = next_tid_.load();
  do {
    if (tid > kMaxThreadId) return -1;
  } while (!next_tid_.compare_exchange_weak(tid, tid + 1));
  auto started = std::make_shared<std::promise<bool>>();
  std::future<bool> ready = started->get_future();
  try {
    std::thread([self = shared_from_this(), tid, start_arg, started] {
      self->thread_main(int32_t(tid), start_arg, [&](bool ok) { started->set_value(ok); });
    }).detach();
  } catch (const std::system_error&) {
    return -1;  // no OS thread to be had
  }
  spawned_ = true;
  return ready.get() ? int32_t(tid) : -1;
}

void WasiThreads::thread_main(int32_t tid, int32_t start_arg,
                              const std::function<void(bool)>& started) {
  const std::string thread = " in thread " + std::to_string(tid);
  std::string stage = "failed to instantiate \"" + program_.file + "\"" + thread;
  bool running = false;
  try {
    Store store(program_.engine);
    Func entry = instantiate(store);
    running = true;
    started(true);
    stage = "failed to invoke `" + std::string(kEntry) + "`" + thread;
    entry.call(std::vector<Val>{Val::i32(tid), Val::i32(start_arg)});
  } catch (const Trap& t) {
    end_with_trap(stage, t);
  } catch (const std::exception& e) {
    if (running)
      end_process([&] { return report(context(program_.file), {stage, e.what()}, kExitError); });
    std::fprintf(stderr, "ember run: thread-spawn: %s: %s\n", stage.c_str(), e.what());
    started(false);
  }
}

// The thread's own instance of the program in `store`; its entry point.
Func WasiThreads::instantiate(Store& store) {
  if (program_.fuel) store.set_fuel(*program_.fuel);
  set_wasi(store, program_.wasi);
  Linker linker(program_.engine);
  linker.define_wasi();
  define(linker, store);
  Instance instance = linker.instantiate(store, program_.module);
  return *instance.get_export(kEntry)->func();  // its type checked by create()
}

void WasiThreads::end_with_trap(const std::string& stage, const Trap& t) const {
  end_process([&] {
    if (t.code() == TrapCode::Exit) return int(t.exit_code());
    return report(context(program_.file), trap_causes(stage, t), kExitTrap);
  });
}

}  // namespace ember::cli

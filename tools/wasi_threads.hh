// wasi-threads for `ember run -S threads` (programs built for
// wasm32-wasip1-threads), as `wasmtime run -S threads` runs them.
//
// Such a module imports a shared memory (usually `env::memory`) and
// `wasi::thread-spawn: (i32) -> (i32)`, and exports
// `wasi_thread_start: (i32 tid, i32 start_arg) -> ()`. The runner creates
// one SharedMemory per shared memory import; every instance of the program,
// the main one and one per spawned thread, imports those same memories.
// thread-spawn starts an OS thread that makes its own Store of the same
// engine, gets its own WASI context from the same WasiConfig, instantiates
// the same module and calls wasi_thread_start(tid, start_arg).
//
// Process rules (the whole program is one process):
//  - A thread that traps or calls proc_exit ends the process: a trap is
//    reported as `ember run` reports the main thread's (status 134), proc_exit
//    gives its status. The main thread's `_start` returning ends the process
//    too, whatever the other threads are doing.
//  - Once a thread has been spawned, the process ends only through
//    end_process(): the first thread to enter it prints its last words and
//    exits with std::_Exit (no static destructors run under threads that are
//    still executing wasm); any later one waits there for the end.
//
// This is CLI policy, not library behaviour: it is built on the public API
// only (SharedMemory, Store, set_wasi, Linker).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ember/ember.hh"
#include "ember/wasi.hh"

namespace ember::cli {

// What every thread's instance of the program is made from.
struct ThreadedProgram {
  Engine engine;  // Config::shared_memory on
  Module module;
  WasiConfig wasi;
  std::optional<uint64_t> fuel;  // each thread's store gets this much
  std::string file;              // for reports
};

class WasiThreads : public std::enable_shared_from_this<WasiThreads> {
 public:
  // The wasi-threads host side for `program`: creates a shared memory for
  // each shared memory the module imports. Throws WasmError when the module
  // imports `wasi::thread-spawn` without exporting a `wasi_thread_start` of
  // type (i32, i32) -> (), or a memory cannot be created.
  static std::shared_ptr<WasiThreads> create(ThreadedProgram program);

  // Defines in `linker`, for instances in `store`: the shared memories under
  // their import names and `wasi::thread-spawn`.
  void define(Linker& linker, Store& store);

  // True once a thread has been started.
  bool spawned() const { return spawned_.load(); }

  // What the runner does when the main thread is done and `status` is its
  // exit status: end_process(status) once a thread was spawned, else return.
  int finish(int status) const;

  // Ends the process with the status `last_words` returns (it may print a
  // report first); see the process rules above.
  [[noreturn]] static void end_process(const std::function<int()>& last_words);

  explicit WasiThreads(ThreadedProgram program) : program_(std::move(program)) {}

 private:
  int32_t spawn(int32_t start_arg);
  void thread_main(int32_t tid, int32_t start_arg, const std::function<void(bool)>& started);
  Func instantiate(Store& store);
  [[noreturn]] void end_with_trap(const std::string& stage, const Trap& t) const;

  ThreadedProgram program_;
  std::vector<std::pair<ImportType, SharedMemory>> memories_;
  std::atomic<uint32_t> next_tid_{1};
  std::atomic<bool> spawned_{false};
};

}  // namespace ember::cli

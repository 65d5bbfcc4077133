// Memory faults of compiled code (platform layer).
//
// Compiled wasm code accesses 32-bit linear memories without bounds checks:
// an access past the memory's size lands in the inaccessible part of its
// reservation (vm.hh) and faults. A process-wide SIGSEGV/SIGBUS handler,
// installed when compiled code first runs, offers each fault to the hook the
// runtime registered; a fault the hook does not claim goes to the handler
// that was installed before (another engine's, Python's faulthandler, a
// sanitizer's) or, when there was none, takes the default action (the
// process dies as it would have without Ember).
//
// A claiming hook redirects the faulting thread: it rewrites the signal's
// context so that, once the handler returns, the thread calls `resume(arg)`
// on its own stack below the faulting frames (which stay intact for it to
// read). `resume` never returns (it jumps back to where compiled code was
// entered). Everything machine-specific is here; on machines this file does
// not know, fault_handling_supported() is false and compiled code keeps its
// explicit checks.
#pragma once

#include <cstdint>

namespace ember::platform {

// The registers of a faulting thread a hook reads.
struct FaultContext {
  uintptr_t pc = 0;    // the faulting instruction
  uintptr_t fp = 0;    // its frame pointer (compiled code keeps one)
  uintptr_t sp = 0;    // its stack pointer
  uintptr_t addr = 0;  // the address whose access faulted
};

// Returns true to claim the fault, setting *resume and *arg.
using FaultHook = bool (*)(const FaultContext& fault, void (**resume)(void*), void** arg);

// Whether this build can turn faults into resumptions (known machine).
bool fault_handling_supported();

// Installs the handler with `hook` (once per process; later calls do
// nothing). Async-signal-safe hooks only: they run inside the handler.
void install_fault_handler(FaultHook hook);

}  // namespace ember::platform

// Profiler support for compiled code (Config::profiler): "perfmap" appends
// each compiled function's address, size and wasm name to
// /tmp/perf-<pid>.map when it is linked, so `perf report` names wasm
// functions (perf reads the file for addresses it cannot resolve);
// "jitdump" writes the same with the machine code to /tmp/jit-<pid>.dump
// (perf's jitdump format, for `perf inject --jit`).
#pragma once

#include "interp/code.hh"
#include "ir/module.hh"

namespace llvm::orc {
class LLJIT;
}

namespace ember::jit {

// Adds the profiler's hook to `jit` (the JIT of `code`, translated for
// `m`); nothing for "none" or a profiler not supported yet.
void add_profiler(llvm::orc::LLJIT& jit, const std::string& profiler, const CompiledCode& code,
                  const ModuleData& m);

}  // namespace ember::jit

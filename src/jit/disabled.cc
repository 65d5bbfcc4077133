// The compiled tier in a build without LLVM (CMake EMBER_JIT=OFF or LLVM
// not found): every function stays interpreted.
#include "jit/jit.hh"

namespace ember::jit {

bool available() {
  return false;
}

Status compile_module(CompiledCode& code, const ModuleData&, const rt::EngineConfig&) {
  code.native_skipped_reason = "this build has no compiled tier (EMBER_JIT=OFF)";
  return Status::Ok();
}

bool tiers_up(const rt::EngineConfig&) {
  return false;
}

void prepare_tiering(CompiledCode&, const rt::EngineConfig&) {}

void stop_tiering() {}

}  // namespace ember::jit

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

bool native_image(const CompiledCode&, NativeImage*) {
  return false;
}

std::string image_mismatch(const NativeImage&) {
  return "this build has no compiled tier (EMBER_JIT=OFF)";
}

Status load_native_image(CompiledCode&, const ModuleData&, const rt::EngineConfig&,
                         const NativeImage&) {
  return Error(ErrorKind::Internal, "this build has no compiled tier (EMBER_JIT=OFF)");
}

void stop_tiering(bool) {}

}  // namespace ember::jit

// Machine code in serialized modules (jit.hh's NativeImage): what an eagerly
// compiled module's blob carries, the check that it fits this process, and
// its installation through ORC's linker alone.
//
// The lowering refers to runtime functions and the function table by
// symbol (llvm_symbols.hh), so the object file a batch produced links in any
// process: the JIT of the loading module defines those symbols at this
// process's addresses. What must agree is keyed: the LLVM version (object
// conventions), the target triple, the CPU features the code may use (each
// feature the image was compiled with must be one this host has), and the
// layouts compiled code reads (llvm_symbols.hh's layout_fingerprint).
#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>

#include <algorithm>
#include <set>

#include "jit/batch.hh"
#include "jit/jit.hh"
#include "jit/llvm_symbols.hh"

namespace ember::jit {

namespace {

// This process's fields of an image (fixed for its lifetime).
const NativeImage& host() {
  static const NativeImage h = [] {
    NativeImage t;
    t.llvm_version = LLVM_VERSION_STRING;
    auto tmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (tmb) {
      leave_out_features(*tmb);
      t.triple = tmb->getTargetTriple().str();
      t.cpu = tmb->getCPU();
      t.features = tmb->getFeatures().getString();
    } else {
      llvm::consumeError(tmb.takeError());
    }
    t.layout = layout_fingerprint(false);
    return t;
  }();
  return h;
}

std::set<std::string> enabled_features(const std::string& list) {
  std::set<std::string> out;
  size_t at = 0;
  while (at <= list.size()) {
    size_t end = std::min(list.find(',', at), list.size());
    // (A later "-f" takes back an earlier "+f": leave_out_features.)
    if (end > at && list[at] == '+') out.insert(list.substr(at + 1, end - at - 1));
    if (end > at && list[at] == '-') out.erase(list.substr(at + 1, end - at - 1));
    at = end + 1;
  }
  return out;
}

}  // namespace

bool native_image(const CompiledCode& code, NativeImage* out) {
  auto* native = static_cast<const NativeCode*>(code.native_code.get());
  if (!native || !native->keep_objects) return false;
  std::vector<std::string> objects = kept_objects(*native);
  if (objects.empty()) return false;
  NativeImage image = host();
  image.opt_level = native->opt_level;
  image.layout = layout_fingerprint(code.guard_pages);
  image.skipped_reason = code.native_skipped_reason;
  for (uint32_t i = 0; i < code.funcs.size(); i++)
    if (code.funcs[i].native.get()) image.funcs.push_back(i);
  for (const std::string& o : objects) image.objects.emplace_back(o.begin(), o.end());
  *out = std::move(image);
  return true;
}

std::string image_mismatch(const NativeImage& image) {
  const NativeImage& h = host();
  if (image.llvm_version != h.llvm_version)
    return "its machine code was compiled by LLVM " + image.llvm_version +
           ", this build has LLVM " + h.llvm_version;
  if (image.triple != h.triple)
    return "its machine code was compiled for " + image.triple + ", this host is " + h.triple;
  std::set<std::string> have = enabled_features(h.features);
  std::string lacking;
  for (const std::string& f : enabled_features(image.features))
    if (!have.count(f)) lacking += (lacking.empty() ? "" : ", ") + f;
  if (!lacking.empty())
    return "its machine code uses CPU features this host lacks (" + lacking +
           "); compile it again on this host";
  if (image.layout != layout_fingerprint(false) && image.layout != layout_fingerprint(true))
    return "its machine code was compiled against other runtime layouts (another build of "
           "Ember); compile it again";
  return {};
}

Status load_native_image(CompiledCode& code, const ModuleData& m, const rt::EngineConfig& config,
                         const NativeImage& image) {
  if (code.funcs.empty()) return Status::Ok();
  auto native = std::make_shared<NativeCode>(config, true);
  native->opt_level = image.opt_level;
  native->guard_pages = image.layout == layout_fingerprint(true);
  code.guard_pages = native->guard_pages;
  EMBER_TRY(link_objects(*native, code, m, image.objects, image.funcs));
  std::vector<bool> compiled(code.funcs.size(), false);
  for (uint32_t f : image.funcs) compiled[f] = true;
  for (uint32_t i = 0; i < code.funcs.size(); i++)
    if (!compiled[i]) code.funcs[i].tier.set(interp::TierState::Refused);
  code.native_funcs = uint32_t(image.funcs.size());
  code.native_skipped_reason = image.skipped_reason;
  code.native_from_image = true;
  if (!image.funcs.empty()) code.native_code = std::move(native);
  return Status::Ok();
}

}  // namespace ember::jit

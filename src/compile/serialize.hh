// Serialized modules: a compiled ModuleData (decoded module + translated
// interpreter code) as bytes, and back, skipping validation and translation.
//
// Place in the pipeline: Module::serialize / Module::deserialize (C++ and
// Python), `ember compile`, and the on-disk compilation cache
// (module_cache.hh) sit on top of this. docs/serialization.md is the
// reference; in short (format version 1, integers little-endian):
//
//   header   magic "\0embercw" | u32 format version | u32 flags (0)
//            | u64 total size | u64 checksum64 of every byte after this field
//   key      str Ember version | u64 build fingerprint
//            | u32 n, n x (str name, u64 value): the configuration fields
//              that change translated code (features, consume_fuel, ...)
//   payload  tagged sections in a fixed order: TYPE IMPT FUNC TABL TINI
//            MEMS TAGS GLOB EXPT STRT ELEM DATA DCNT BODY CUST NAME CODE
//            NATV (machine code of an eagerly compiled module, or absent),
//            then END!
//   (str = u32 length + bytes; vectors = u32 count + items)
//
// Loading checks, in order: magic, format version, size, checksum, Ember
// version, build fingerprint (ir_fingerprint(): IR op list, layouts and the
// dispatch loop's handler table), configuration key, then parses the
// payload with every count checked against the bytes left before anything
// is allocated, re-runs the module-level validation that safety needs
// (indices, types, limits, constant expressions, segments: the checks
// validate=False keeps; cheap, no function bodies), interns the
// types in the loading engine and verifies + relinks the code
// (interp/ir_codec.hh). Any failure is an Error naming the reason; nothing is
// kept and the engine is not changed beyond its internally synchronized type
// registry (as a failed compilation would leave it).
//
// Every field added to ModuleData or CompiledCode that a loaded module needs
// must be written here (and the format version bumped); every EngineConfig
// field that changes translated code must be added to config_key().
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ir/module.hh"
#include "runtime/store_data.hh"
#include "support/error.hh"

namespace ember::rt {

constexpr uint8_t kSerializedMagic[8] = {0x00, 'e', 'm', 'b', 'e', 'r', 'c', 'w'};
// 2: memory page sizes, table initializers, tags; 3: exception handler tables;
// 4: GC instructions; 5: stack maps of GC references; 6: machine code (NATV)
constexpr uint32_t kSerializedFormat = 6;

// True if `bytes` starts with the serialized-module magic.
bool is_serialized(std::span<const uint8_t> bytes);

// The Ember version compiled into this build ("0.1.0").
const char* ember_version();
// Fingerprint of this build's translated-code format (see above).
uint64_t build_fingerprint();

// The configuration fields of `c` that change translated code, by name.
std::vector<std::pair<std::string, uint64_t>> config_key(const EngineConfig& c);
// Version, build fingerprint and config_key as bytes: what a blob's key
// section holds and what the cache hashes with the wasm bytes.
std::vector<uint8_t> compatibility_key(const EngineConfig& c);

// Serializes `m` (compiled by an engine with config `engine.config`).
// Fails (ErrorKind::Internal) only if `m` has no translated code or uses an
// IR op without a recorded layout.
Expected<std::vector<uint8_t>> serialize_module(const ModuleData& m, const EngineData& engine);

// Loads a blob for `engine`. Malformed: not a blob, truncated, corrupted;
// Internal: another format version, Ember version, build or configuration.
// The result has empty `bytes` (function bodies are not kept).
Expected<std::shared_ptr<ModuleData>> deserialize_module(std::span<const uint8_t> blob,
                                                         const EngineData& engine);

// What a blob says about itself, for tools (`ember inspect FILE.cwasm`):
// its key, counts, and the key of the machine code it carries, with why
// that code would not load here.
struct BlobSummary {
  uint32_t format = 0;
  std::string version;
  std::vector<std::pair<std::string, uint64_t>> config;
  size_t functions = 0, imports = 0, exports = 0;
  bool has_machine_code = false;
  std::string llvm_version, triple, cpu, features, opt_level;
  size_t compiled = 0, objects = 0, object_bytes = 0;
  std::string unusable_here;  // empty: the code loads on this host
};
// Fails as deserialize_module does on a damaged blob; does not need an
// engine of the blob's configuration (nothing is linked or interned).
Expected<BlobSummary> summarize_blob(std::span<const uint8_t> blob);

// The checksum field of a blob recomputed over its contents (tests and
// tools that edit blobs on purpose). No-op on a blob shorter than a header.
void reseal(std::vector<uint8_t>& blob);

}  // namespace ember::rt

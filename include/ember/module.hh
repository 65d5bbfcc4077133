// Module: a decoded, validated and translated WebAssembly module.
//
// Immutable after construction and shareable between stores and threads of
// its engine. Construction throws WasmError with kind Malformed (bytes or text
// that do not parse) or Invalid (fails validation). With the engine's cache
// enabled (Config::cache), compiling goes through the on-disk cache.
//
// serialize() turns a module into bytes that deserialize() loads without
// validating or translating again (docs/serialization.md). A serialized
// module is trusted input, like a native executable: it is checked for
// damage and structural consistency, not proven safe (see "Trust" there).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ember/engine.hh"
#include "ember/types.hh"

namespace ember {

struct ModuleData;

// The type of an import or export; only the field for `kind` is meaningful.
struct ExternType {
  ExternKind kind = ExternKind::Func;
  FuncType func;
  TableType table;
  MemoryType memory;
  GlobalType global;
  TagType tag;
};

struct ImportType {
  std::string module;
  std::string name;
  ExternType type;
};

struct ExportType {
  std::string name;
  ExternType type;
};

class Module {
 public:
  // From the binary format. `validate == false` (trusted input) skips the
  // module-level checks that safe execution does not need (docs/decisions.md).
  // Bytes the engine compiled already, while that module is alive, give that
  // module (== it), with the code tiering gave it so far (decision 62).
  static Module from_binary(const Engine& engine, std::span<const uint8_t> bytes,
                            bool validate = true);
  // From the text format (WAT).
  static Module from_text(const Engine& engine, std::string_view wat);
  // Binary or text, told apart by the "\0asm" magic.
  static Module from_bytes_or_text(const Engine& engine, std::span<const uint8_t> bytes);
  // Reads a .wasm or .wat file (throws WasmError naming the file on I/O errors).
  static Module from_file(const Engine& engine, const std::string& path);
  // Throws like from_binary when `bytes` is not a valid module.
  static void validate(const Engine& engine, std::span<const uint8_t> bytes);

  // Loads the output of serialize(). Throws WasmError: Malformed when `blob`
  // is not a serialized module or is truncated or damaged; Internal when it
  // was produced by another Ember version or build, or for an engine whose
  // configuration changes translated code differently (features, fuel,
  // epochs, ...). The message names the reason. The engine is unaffected.
  static Module deserialize(const Engine& engine, std::span<const uint8_t> blob);
  // Same, from a file (throws WasmError naming the file on I/O errors).
  static Module deserialize_file(const Engine& engine, const std::string& path);
  // A .wasm, .wat or serialized module file (`ember compile` output), told
  // apart by its first bytes.
  static Module load_file(const Engine& engine, const std::string& path);
  // True if `bytes` starts like a serialized module.
  static bool is_serialized(std::span<const uint8_t> bytes);

  // The serialized form: versioned, keyed to this build of Ember and to the
  // engine configuration, with an integrity checksum.
  std::vector<uint8_t> serialize() const;

  // This module as a module of `engine`, for a store of another engine:
  // itself when `engine` is its own; when the two engines' configurations
  // translate code alike (the rule of deserialize()), a copy loaded into
  // `engine` through the serialized form, made once per engine and module;
  // otherwise WasmError (Internal) naming the difference. Instance and the
  // Linker use it, so a module unpickled into one engine runs in a store of
  // any engine configured alike (docs/decisions.md).
  Module for_engine(const Engine& engine) const;

  std::vector<ImportType> imports() const;
  std::vector<ExportType> exports() const;
  // The contents of every custom section called `name`, in order.
  std::vector<std::span<const uint8_t>> custom_sections(std::string_view name) const;
  // The module name from the name section (empty if none).
  std::string name() const;
  // How many of its defined functions have compiled code now (an entry,
  // or only an entry at their loop headers): all the compiled tier lowers
  // after eager compilation (strategy "cranelift"), those that got hot so
  // far with tiering ("auto"); 0 interpreter-only or in a build without
  // the tier.
  uint32_t compiled_functions() const;
  // The binary the module was compiled from (a text module's translation);
  // empty for a deserialized module, which does not keep it.
  std::span<const uint8_t> binary() const;

  const Engine& engine() const { return engine_; }
  const std::shared_ptr<const ModuleData>& raw() const { return data_; }
  bool operator==(const Module& o) const { return data_ == o.data_; }
  Module(Engine engine, std::shared_ptr<const ModuleData> data)
      : engine_(std::move(engine)), data_(std::move(data)) {}

 private:
  Engine engine_;
  std::shared_ptr<const ModuleData> data_;
};

// The text format (WAT) in binary form; throws WasmError (Malformed) naming
// the line and column of the first error.
std::vector<uint8_t> wat2wasm(std::string_view text);

// What the compilation caches of this process did, summed over engines
// (docs/serialization.md).
struct CacheStats {
  uint64_t hits = 0;      // modules loaded from the cache instead of compiled
  uint64_t misses = 0;    // compilations with a cache enabled
  uint64_t rejected = 0;  // entries found but not loadable (then replaced)
  uint64_t writes = 0;    // entries written
  uint64_t write_errors = 0;
};
CacheStats cache_stats();

}  // namespace ember

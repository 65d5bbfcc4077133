// Compiling a module, through the on-disk compilation cache when enabled.
//
// Place in the pipeline: every compile of wasm bytes by the public APIs
// (Module::from_binary & co., Python's Module) goes through compile_bytes(),
// and every core module of a component through compile_decoded():
// decode -> validate + translate, or, when EngineConfig::cache_dir is set, a
// lookup of the serialized module under a key that hashes (SHA-256) the wasm
// bytes with the compatibility key (Ember version, build fingerprint and the
// configuration fields that change translated code; serialize.hh).
//
// Layout (docs/serialization.md, "Cache"):
//   <cache_dir>/ember-<version>-<build fingerprint, 16 hex>/<sha256 hex>.cwasm
// Writes go to a temporary file in the same directory, renamed over the entry
// when complete, so concurrent processes only ever see whole entries. An
// entry that does not load (damaged, truncated, another configuration) is
// ignored and replaced. Cache I/O errors never fail a compilation. Only
// validated compilations are written (validate=False ones may read).
// Directories are created 0700 and entries 0600: the cache is trusted input
// (a serialized module is; docs/serialization.md, "Trust").
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ir/module.hh"
#include "runtime/store_data.hh"
#include "support/error.hh"

namespace ember::rt {

// Decode, validate and translate `bytes` (the binary format) for `engine`.
//
// Live modules: when a module `engine` compiled from exactly these bytes is
// still alive (held by a Module, an instance or the tier), that module is
// returned instead, with the code tiering gave it so far -- as a browser's
// engine shares one compiled module among loads of the same bytes. The
// match is byte for byte (the checksum only picks candidates), and a module
// compiled with validate=false never answers a validating compile.
// Compiling the same bytes again is then as cheap as copying a pointer,
// and code that got hot under one Module() is not compiled again for the
// next. docs/decisions.md, decision 62.
Expected<std::shared_ptr<ModuleData>> compile_bytes(const EngineData& engine,
                                                    std::vector<uint8_t> bytes,
                                                    bool validate = true);

// How many compile_bytes() calls of this process returned a live module.
uint64_t live_module_hits();

// Validates and translates a module decoded already (a component's core
// module), in place; through the cache as compile_bytes() does, keyed by
// `m.bytes`, so a hit replaces `m` with the cached translation.
Status compile_decoded(ModuleData& m, const EngineData& engine);

// $XDG_CACHE_HOME/ember, else $HOME/.cache/ember; "" when neither is set.
std::string default_cache_dir();

// Reads wasmtime's cache configuration file (TOML: a [cache] table with
// `enabled` and `directory`; other keys are accepted and ignored). Returns
// the cache directory ("" when enabled = false; the default directory when
// none is named; a relative directory is relative to the file's folder).
Expected<std::string> cache_dir_from_config_file(const std::string& path);

// The file the cache would use for `bytes` under `engine` ("" if disabled).
std::string cache_entry_path(const EngineData& engine, std::span<const uint8_t> bytes);

// Process-wide counters (tests and diagnostics).
struct CacheStats {
  uint64_t hits = 0;      // entries loaded instead of compiling
  uint64_t misses = 0;    // compilations with the cache enabled
  uint64_t rejected = 0;  // entries found but not loadable (then replaced)
  uint64_t writes = 0;    // entries written
  uint64_t write_errors = 0;
};
CacheStats cache_stats();

}  // namespace ember::rt

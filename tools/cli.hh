// The `ember` command line: shared declarations of the subcommands.
//
// Each subcommand takes its arguments (after the subcommand name), reads
// them with the shared option parser (options.hh), prints `--help`, names
// the file and the problem on errors, and returns the process exit status
// (0 on success).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ember/ember.hh"
#include "ir/types.hh"

namespace ember::cli {

using Args = std::vector<std::string>;

int cmd_wast(const Args& args);
int cmd_run(const Args& args);
int cmd_validate(const Args& args);
int cmd_wat2wasm(const Args& args);
int cmd_inspect(const Args& args);
int cmd_compile(const Args& args);

// The most bytes a command reads from one input: 1 GiB, the module size limit
// that wasmparser (wasmtime's decoder) and the web engines agree on. Ember's
// decoder has no limit of its own (a serialized module keeps code offsets in
// 32 bits, so 4 GiB at most).
inline constexpr size_t kMaxInputSize = size_t(1) << 30;

// Reads a whole file of at most kMaxInputSize bytes, in chunks, so an endless
// input (a FIFO, /dev/zero) stops at the limit. False with *why set to the
// reason alone ("Is a directory", the size limit; no path) on failure.
bool read_file(const std::string& path, std::vector<uint8_t>* out, std::string* why);

// The module (binary or text) in `path`, read by read_file. Throws
// WasmError whose message starts with the path, as Module::from_file.
Module module_from_file(const Engine& engine, const std::string& path);

// `path` with its extension (if any) replaced by `ext` (".wasm").
std::string with_extension(const std::string& path, const std::string& ext);

// `ember run`'s exit statuses besides the guest's own.
inline constexpr int kExitTrap = 134;  // 128 + SIGABRT, what `wasmtime run` exits with
inline constexpr int kExitError = 1;   // the module cannot be read, compiled or instantiated
inline constexpr int kExitUsage = 2;   // a bad command line

// Prints wasmtime's error layout to stderr ("Error: CONTEXT", then the
// numbered causes; a cause spanning several lines continues under its
// text) after flushing stdout; returns `status`.
int report(const std::string& context, const std::vector<std::string>& causes, int status);

// How `ember run` ends on trap `t` in `stage`: WASI's exit gives its status
// (after flushing stdout); another trap is reported, status kExitTrap.
int trap_status(const std::string& context, const std::string& stage, const Trap& t);

// A trap's causes for report(): `what` (the stage that failed), the wasm
// backtrace (innermost first), then the trap.
std::vector<std::string> trap_causes(const std::string& what, const Trap& t);

// Writes `bytes` to the file `path` (`-`: standard output). On failure prints
// `ember COMMAND: PATH: cannot write...` and returns 1; 0 on success.
int write_output(const std::string& command, const std::string& path,
                 const std::vector<uint8_t>& bytes);

// Components (tools/cmd_component.cc): true when FILE's bytes are a
// component rather than a core module.
bool is_component_file(const std::vector<uint8_t>& bytes);
// `ember inspect` of a component: its index spaces, imports and exports.
int inspect_component(const std::string& file, const std::vector<uint8_t>& bytes);
// Decodes and validates a component: "" when it is valid, else why not.
std::string component_problem(const std::vector<uint8_t>& bytes, const FeatureSet& features);
// `ember run` of a component: a `wasi:cli/command` (it exports
// `wasi:cli/run@0.2.x`) runs with WASI 0.2 from `wasi`; the exit status is
// 0 when `run` returns ok, 1 when it returns an error, the status given to
// `wasi:cli/exit`, or kExitTrap / kExitError as for a module. `http` adds
// wasi:http (`-S http`).
struct ComponentRun {
  const std::string& file;
  const std::vector<uint8_t>& bytes;
  const FeatureSet& features;
  const WasiConfig& wasi;
  std::optional<uint64_t> fuel;
  bool http = false;
};
int run_component(const ComponentRun& r);

}  // namespace ember::cli

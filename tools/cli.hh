// The `ember` command line: shared declarations of the subcommands.
//
// Each subcommand takes its arguments (after the subcommand name), prints
// `--help`, names the file and the problem on errors, and returns the process
// exit status (0 on success).
#pragma once

#include <string>
#include <vector>

#include "ir/types.hh"

namespace ember::cli {

using Args = std::vector<std::string>;

int cmd_wast(const Args& args);
int cmd_run(const Args& args);
int cmd_validate(const Args& args);
int cmd_wat2wasm(const Args& args);
int cmd_inspect(const Args& args);
int cmd_compile(const Args& args);

// Parses `--wasm NAME=on|off` / `--all-features` / `--wasm-2.0` at args[*i]; advances *i past
// what it consumed. Returns false (with *err set) on a bad value; sets
// *matched when the option was one of these.
bool parse_feature_option(const Args& args, size_t* i, FeatureSet* features, bool* matched,
                          std::string* err);

// Reads a whole file; false with *err on failure.
bool read_file(const std::string& path, std::vector<uint8_t>* out, std::string* err);

}  // namespace ember::cli

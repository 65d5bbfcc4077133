// In-process .wast script runner (spec testsuite format).
//
// Place in the pipeline: on top of everything — text/wast.hh parses the
// script; each module goes through the binary decoder, the validator and the
// runtime's instantiation; actions run in the interpreter. Used by
// `ember wast` and the spec-test harness (tests/spec).
//
// Every command of a script is one check that passes or fails: module
// definitions, register, actions and every assertion. Assertions are judged
// by error category (ErrorKind), never by guessing from message text:
//   assert_malformed      converting/decoding must fail with Malformed (a text
//                         module that does not parse counts as malformed)
//   assert_invalid        compilation must fail with Invalid
//   assert_unlinkable     instantiation must fail with Unlinkable
//   assert_uninstantiable / assert_trap on a module: instantiation traps
//   assert_trap           the action traps, with the expected spec message
//   assert_exhaustion     the action traps with StackOverflow
//   assert_return         results match, with NaN patterns and references
// A command the runner cannot execute (e.g. assert_exception) fails.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ir/types.hh"

namespace ember::wast {

struct Failure {
  uint32_t line = 0;
  std::string message;
};

struct FileResult {
  std::string file;
  uint32_t passed = 0;
  uint32_t failed = 0;
  std::vector<Failure> failures;
  // With a compiling strategy: defined functions the compiled tier left to
  // the interpreter, counted under the first reason of their module.
  std::map<std::string, uint32_t> interpreted;
};

struct RunOptions {
  FeatureSet features = FeatureSet::defaults();
  // Every module that compiles is serialized and loaded back before use
  // (runs the whole script against deserialized modules).
  bool via_serialization = false;
  bool relaxed_simd_deterministic = false;
  // Config::strategy ("cranelift": every function the compiled tier lowers
  // is compiled when its module is) and Config::cranelift_opt_level.
  std::string strategy = "auto";
  std::string opt_level = "speed";
  // Tiering (strategy "auto"): Config::tier_up_after and
  // Config::parallel_compilation (off: a function compiles before the
  // call that made it hot goes on, so a budget of 0 runs every function
  // compiled from its second call and every loop from its first header).
  uint32_t tier_up_after = 10000;
  bool parallel_compilation = true;
  // Non-empty: every action that traps appends a line to this file: the
  // script and line, the trap's message and its backtrace (function index
  // and module offset of each frame), so runs of different tiers can be
  // compared frame for frame.
  std::string trap_log;
};

// Runs a script held in memory; `name` is used only for messages.
FileResult run_script(std::string_view text, const std::string& name, const RunOptions& opts);
// Reads and runs a file; an unreadable or unparsable file is one failure.
FileResult run_script_file(const std::string& path, const RunOptions& opts);

}  // namespace ember::wast

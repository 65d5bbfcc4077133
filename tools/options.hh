// The `ember` command line's one option parser.
//
// Each subcommand declares a Syntax: its options (name, alias, what value
// they take, a handler), how its operands are read, and its help text.
// parse() reads the arguments by it, calling the handlers in command-line
// order, and words the mistakes it finds itself the same way for every
// command (printed as `ember CMD: ...`, exit status 2):
//
//   unknown option `--x` (see `ember CMD --help`)
//   --x needs a value (WHAT)
//   unexpected argument `x` (see `ember CMD --help`)
//   no WHAT given (see `ember CMD --help`)
//
// A handler that refuses a value (a bad --env, an unknown feature) writes
// its own message, printed the same way. No arguments at all print the help
// to stderr (status 2); -h or --help prints it to stdout (status 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cli.hh"

namespace ember::cli {

// What an option takes after its name.
enum class Takes : uint8_t {
  Nothing,  // a flag: --fuel
  Value,    // `--dir VALUE` or `--dir=VALUE`
  // `--json VALUE` only, whatever VALUE is; `--json=V` is an unknown option.
  // Every option outside `ember run` has always read its value so; making
  // them Value would accept more.
  NextArg,
};

// An option's handler: gets the value ("" for a flag); false with *err set
// to the whole message when the value is refused.
using Handler = std::function<bool(const std::string& value, std::string* err)>;

struct Option {
  std::string name = {};   // "--dir"
  std::string alias = {};  // "-v", or empty
  Takes takes = Takes::Nothing;
  std::string metavar = {};  // what the value is, for "needs a value (WHAT)"
  Handler apply = {};
};

// How a command tells options from operands (its other arguments).
enum class Operands : uint8_t {
  // `run FILE ARGS...`: options come first; the first operand (`-` and ""
  // are operands; after `--`, whatever comes next) is FILE, and everything
  // after it is the rest, never read as options.
  FileThenRest,
  // Options and operands in any order; every argument that starts with `-`
  // is an option.
  Mixed,
  // Only the declared options are options; any other argument, `-x`
  // included, is an operand.
  Any,
};

// Where -h / --help counts.
enum class HelpAt : uint8_t {
  InOrder,   // where an option may stand (not as a value, not in the rest)
  Anywhere,  // any argument, looked for before anything else is read
  Alone,     // only as the one argument; among others, read as any other
};

struct Syntax {
  std::string command = {};  // "run", for messages
  const char* help = "";     // the whole --help text
  std::vector<Option> options = {};
  Operands operands = Operands::Mixed;
  HelpAt help_at = HelpAt::InOrder;
  std::string operand_name = {};  // "module file": "no module file given"
  size_t min_operands = 0;
  size_t max_operands = SIZE_MAX;
  // An empty argument where an operand may still go fills no place
  // (`compile "" FILE` compiles FILE; `compile ""` lacks its file).
  bool empty_operand_is_none = false;
  Handler on_operand = {};  // optional: called for each operand, in order
};

enum class Outcome : uint8_t {
  Ok,
  Help,   // -h or --help
  Usage,  // no arguments at all
  Error,  // CommandLine::error says what
};

struct CommandLine {
  Outcome outcome = Outcome::Ok;
  std::string error;  // for Outcome::Error
  std::vector<std::string> operands;
  std::vector<std::string> rest;  // Operands::FileThenRest: after FILE
};

// Reads `args` (what follows the subcommand's name) by `syntax`.
CommandLine parse(const Syntax& syntax, const Args& args);

// Prints what parse() decided when it is not Outcome::Ok: the help (stdout),
// the help as usage (stderr) or the error (stderr); the exit status.
int stop(const Syntax& syntax, const CommandLine& cl);

// What a list of switches (`-W threads=y,simd=n`) calls for each: false
// with *err set to the whole message when `name` is unknown.
using SwitchSetter = std::function<bool(std::string name, bool on, std::string* err)>;

// Reads `list`, comma-separated `NAME[=VALUE]` items as wasmtime's `-W` and
// `-S` take them (NAME alone is on; VALUE is on/off, true/false, y/n or
// yes/no), calling `set` for each in order; `option` ("--wasm") names the
// option in the message about a bad value.
bool read_switches(const std::string& list, const std::string& option, const SwitchSetter& set,
                   std::string* err);

// The feature options every compiling command shares, then `others`:
// `--wasm` or `-W` with a list of features as read_switches() reads it
// (wasmtime's `relaxed-simd` is Ember's `relaxed_simd`),
// `--all-features`, `--wasm-2.0` (exactly the WebAssembly 2.0 features),
// each applied to *features in command-line order.
std::vector<Option> feature_options(FeatureSet* features, std::vector<Option> others = {});

// Handlers for the common cases: set a bool (for a flag), keep the value.
Handler set_flag(bool* flag, bool to = true);
Handler store(std::string* into);

}  // namespace ember::cli

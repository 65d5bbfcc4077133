// `ember compile`: translates a module ahead of time and writes it in the
// serialized form (docs/serialization.md) that `ember run`, Module::
// deserialize and Python's Module.deserialize load without compiling again.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli.hh"
#include "ember/ember.hh"
#include "options.hh"

namespace ember::cli {

namespace {

const char kCompileHelp[] =
    "usage: ember compile [OPTIONS] FILE [-o OUT]\n"
    "\n"
    "Compiles FILE (.wasm or .wat) and writes the compiled module to OUT\n"
    "(default: FILE with the extension .cwasm; `-o -` writes to standard\n"
    "output): the translated code and, from the compiled tier, the machine\n"
    "code of every function, which `ember run` and Module.deserialize link\n"
    "without compiling again. The output loads only into an engine of the\n"
    "same Ember build with the same features and execution settings, its\n"
    "machine code only on a host with the CPU features it was compiled for,\n"
    "and it is trusted input: run only files you produced.\n"
    "\n"
    "options:\n"
    "  --strategy NAME        cranelift (default): machine code for every\n"
    "                         function; auto or interpreter: translated code\n"
    "                         only (an engine that tiers compiles what gets hot)\n"
    "  --opt-level LEVEL      none, speed (default) or speed_and_size\n"
    "  --fuel                 code for engines that consume fuel (what\n"
    "                         `ember run --fuel N` and Config.consume_fuel use)\n"
    "  --epoch-interruption   code for engines with epoch interruption\n"
    "  -W, --wasm FEATURE[=on|off][,...], --all-features, --wasm-2.0\n"
    "                         as for `ember run`\n"
    "  -o OUT                 the output file\n";

// A progress line on a terminal (standard error), for modules that take a
// while: functions compiled of the total and the time left, estimated from
// the rate so far; shown from a quarter second on, erased at the end.
class Progress {
 public:
  static bool wanted() { return isatty(STDERR_FILENO) == 1; }

  void report(uint32_t done, uint32_t total) {
    using namespace std::chrono;
    double elapsed = duration<double>(steady_clock::now() - start_).count();
    if (elapsed < 0.25 || done == 0) return;
    double left = elapsed * double(total - done) / double(done);
    std::fprintf(stderr, "\rember compile: %u of %u functions compiled, %.0f s left\033[K", done,
                 total, left);
    std::fflush(stderr);
    shown_ = true;
  }
  ~Progress() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool shown_ = false;
};

}  // namespace

int cmd_compile(const Args& args) {
  FeatureSet features = Config().features();
  bool fuel = false, epoch = false;
  std::string out, strategy = "cranelift", opt_level = "speed";
  auto one_of = [](std::string* to, const char* option, std::vector<std::string> names) {
    return [=](const std::string& v, std::string* err) {
      for (const std::string& n : names)
        if (v == n) return *to = v, true;
      *err = std::string(option) + " `" + v + "`: expected ";
      for (size_t i = 0; i < names.size(); i++)
        *err += (i ? (i + 1 == names.size() ? " or " : ", ") : "") + names[i];
      return false;
    };
  };
  const Syntax syntax{
      .command = "compile",
      .help = kCompileHelp,
      .options = feature_options(
          &features,
          {
              {.name = "-o", .takes = Takes::NextArg, .metavar = "OUT", .apply = store(&out)},
              {.name = "--fuel", .apply = set_flag(&fuel)},
              {.name = "--epoch-interruption", .apply = set_flag(&epoch)},
              {.name = "--strategy",
               .takes = Takes::Value,
               .metavar = "cranelift|auto|interpreter",
               .apply = one_of(&strategy, "--strategy", {"cranelift", "auto", "interpreter"})},
              {.name = "--opt-level",
               .takes = Takes::Value,
               .metavar = "none|speed|speed_and_size",
               .apply = one_of(&opt_level, "--opt-level", {"none", "speed", "speed_and_size"})},
          }),
      .operands = Operands::Mixed,
      .help_at = HelpAt::Anywhere,
      .operand_name = "input file",
      .min_operands = 1,
      .max_operands = 1,
      .empty_operand_is_none = true,
  };
  CommandLine cl = parse(syntax, args);
  if (cl.outcome != Outcome::Ok) return stop(syntax, cl);
  const std::string& in = cl.operands[0];
  Config config;
  config.features(features).consume_fuel(fuel).epoch_interruption(epoch);
  config.strategy(strategy).cranelift_opt_level(opt_level);
  std::vector<uint8_t> blob;
  try {
    std::optional<Progress> progress;
    if (Progress::wanted()) {
      progress.emplace();
      config.compile_progress(
          [&](uint32_t done, uint32_t total) { progress->report(done, total); });
    }
    Engine engine(config);
    Module module = module_from_file(engine, in);
    progress.reset();
    blob = module.serialize();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ember compile: %s\n", e.what());
    return 1;
  }
  return write_output(syntax.command, out.empty() ? with_extension(in, ".cwasm") : out, blob);
}

}  // namespace ember::cli

// `ember compile`: translates a module ahead of time and writes it in the
// serialized form (docs/serialization.md) that `ember run`, Module::
// deserialize and Python's Module.deserialize load without compiling again.
#include <cstdio>

#include "cli.hh"
#include "ember/ember.hh"
#include "options.hh"

namespace ember::cli {

namespace {

const char kCompileHelp[] =
    "usage: ember compile [OPTIONS] FILE [-o OUT]\n"
    "\n"
    "Compiles FILE (.wasm or .wat) and writes the translated module to OUT\n"
    "(default: FILE with the extension .cwasm; `-o -` writes to standard\n"
    "output). The output loads only into an engine of the same Ember build\n"
    "with the same features and execution settings, and is trusted input:\n"
    "run only files you produced.\n"
    "\n"
    "options:\n"
    "  --fuel                 code for engines that consume fuel (what\n"
    "                         `ember run --fuel N` and Config.consume_fuel use)\n"
    "  --epoch-interruption   code for engines with epoch interruption\n"
    "  -W, --wasm FEATURE[=on|off][,...], --all-features, --wasm-2.0\n"
    "                         as for `ember run`\n"
    "  -o OUT                 the output file\n";

}  // namespace

int cmd_compile(const Args& args) {
  FeatureSet features = Config().features();
  bool fuel = false, epoch = false;
  std::string out;
  const Syntax syntax{
      .command = "compile",
      .help = kCompileHelp,
      .options = feature_options(
          &features,
          {
              {.name = "-o", .takes = Takes::NextArg, .metavar = "OUT", .apply = store(&out)},
              {.name = "--fuel", .apply = set_flag(&fuel)},
              {.name = "--epoch-interruption", .apply = set_flag(&epoch)},
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
  std::vector<uint8_t> blob;
  try {
    Engine engine(config);
    blob = module_from_file(engine, in).serialize();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ember compile: %s\n", e.what());
    return 1;
  }
  return write_output(syntax.command, out.empty() ? with_extension(in, ".cwasm") : out, blob);
}

}  // namespace ember::cli

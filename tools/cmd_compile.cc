// `ember compile`: translates a module ahead of time and writes it in the
// serialized form (docs/serialization.md) that `ember run`, Module::
// deserialize and Python's Module.deserialize load without compiling again.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli.hh"
#include "ember/ember.hh"

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
    "  --wasm FEATURE=on|off  enable or disable a proposal; repeatable\n"
    "  --all-features, --wasm-2.0  as for `ember run`\n"
    "  -o OUT                 the output file\n";

std::string default_output(const std::string& in) {
  size_t dot = in.find_last_of('.');
  size_t slash = in.find_last_of('/');
  bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_ext ? in.substr(0, dot) : in) + ".cwasm";
}

}  // namespace

int cmd_compile(const Args& args) {
  for (const std::string& a : args)
    if (a == "-h" || a == "--help") {
      std::fputs(kCompileHelp, stdout);
      return 0;
    }
  Config config;
  std::string in, out;
  for (size_t i = 0; i < args.size(); i++) {
    bool matched;
    std::string err;
    FeatureSet fs = config.features();
    if (!parse_feature_option(args, &i, &fs, &matched, &err)) {
      std::fprintf(stderr, "ember compile: %s\n", err.c_str());
      return 2;
    }
    if (matched) {
      config.features(fs);
      continue;
    }
    if (args[i] == "-o" && i + 1 < args.size()) {
      out = args[++i];
    } else if (args[i] == "--fuel") {
      config.consume_fuel(true);
    } else if (args[i] == "--epoch-interruption") {
      config.epoch_interruption(true);
    } else if (in.empty() && !args[i].starts_with("-")) {
      in = args[i];
    } else {
      std::fprintf(stderr, "ember compile: unexpected argument `%s`\n", args[i].c_str());
      return 2;
    }
  }
  if (in.empty()) {
    std::fputs(kCompileHelp, stderr);
    return 2;
  }
  if (out.empty()) out = default_output(in);
  std::vector<uint8_t> blob;
  try {
    Engine engine(config);
    blob = module_from_file(engine, in).serialize();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ember compile: %s\n", e.what());
    return 1;
  }
  FILE* f = out == "-" ? stdout : std::fopen(out.c_str(), "wb");
  if (f == nullptr || std::fwrite(blob.data(), 1, blob.size(), f) != blob.size()) {
    std::fprintf(stderr, "ember compile: %s: cannot write: %s\n", out.c_str(), std::strerror(errno));
    if (f != nullptr && f != stdout) std::fclose(f);
    return 1;
  }
  if (f != stdout && std::fclose(f) != 0) {
    std::fprintf(stderr, "ember compile: %s: cannot write\n", out.c_str());
    return 1;
  }
  return 0;
}

}  // namespace ember::cli

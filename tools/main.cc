// `ember`: entry point and subcommand dispatch.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "cli.hh"

namespace ember::cli {

bool parse_feature_option(const Args& args, size_t* i, FeatureSet* features, bool* matched,
                          std::string* err) {
  *matched = false;
  const std::string& a = args[*i];
  if (a == "--wasm-2.0") {
    // Exactly the features of WebAssembly 2.0 (what its spec testsuite assumes).
    *matched = true;
    *features = FeatureSet{};
    for (Feature f : {Feature::MutableGlobal, Feature::SignExtension, Feature::SaturatingFloatToInt,
                      Feature::MultiValue, Feature::BulkMemory, Feature::ReferenceTypes, Feature::Simd})
      features->set(f, true);
    return true;
  }
  if (a == "--all-features") {
    *matched = true;
    *features = FeatureSet::all();
    return true;
  }
  if (a != "--wasm") return true;
  *matched = true;
  if (*i + 1 >= args.size()) {
    *err = "--wasm needs NAME=on|off";
    return false;
  }
  std::string v = args[++*i];
  size_t eq = v.find('=');
  std::string name = v.substr(0, eq);
  std::string val = eq == std::string::npos ? "on" : v.substr(eq + 1);
  Feature f;
  if (!feature_from_name(name, &f)) {
    *err = "unknown feature `" + name + "`";
    return false;
  }
  if (val != "on" && val != "off" && val != "true" && val != "false" && val != "y" && val != "n") {
    *err = "bad value `" + val + "` for --wasm " + name + " (use on or off)";
    return false;
  }
  features->set(f, val == "on" || val == "true" || val == "y");
  return true;
}

bool read_file(const std::string& path, std::vector<uint8_t>* out, std::string* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err = path + ": cannot open file: " + std::strerror(errno);
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    *err = path + ": read error";
    return false;
  }
  return true;
}

}  // namespace ember::cli

static const char kUsage[] =
    "usage: ember <command> [options] [args]\n"
    "\n"
    "commands:\n"
    "  run FILE [--invoke NAME] [ARGS...]   run a module (.wasm, .wat or .cwasm)\n"
    "  compile FILE [-o OUT]                write a precompiled module (.cwasm)\n"
    "  wast FILE|DIR...                     run .wast spec scripts\n"
    "  validate FILE                        check that a module is valid\n"
    "  wat2wasm FILE [-o OUT]               convert text to binary\n"
    "  inspect FILE                         show sections, imports and exports\n"
    "\n"
    "`ember <command> --help` describes each command.\n";

int main(int argc, char** argv) {
  using namespace ember::cli;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::puts("ember 0.1.0");
    return 0;
  }
  std::string cmd = argv[1];
  Args args(argv + 2, argv + argc);
  if (cmd == "run") return cmd_run(args);
  if (cmd == "wast") return cmd_wast(args);
  if (cmd == "validate") return cmd_validate(args);
  if (cmd == "wat2wasm") return cmd_wat2wasm(args);
  if (cmd == "inspect") return cmd_inspect(args);
  if (cmd == "compile") return cmd_compile(args);
  std::fprintf(stderr, "ember: unknown command `%s`\n\n%s", cmd.c_str(), kUsage);
  return 2;
}

// `ember`: entry point and subcommand dispatch.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

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
  // POSIX calls, not iostreams: a directory or an unreadable file must be an
  // error message, never an exception out of a stream iterator.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    fd = -1;
    errno = EISDIR;
  }
  if (fd < 0) {
    int e = errno;
    *err = path + ": cannot open file: " + std::strerror(e);
    errno = e;
    return false;
  }
  out->clear();
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      *err = path + ": read error: " + std::strerror(e);
      errno = e;
      return false;
    }
    if (n == 0) break;
    out->insert(out->end(), buf, buf + n);
  }
  ::close(fd);
  return true;
}

}  // namespace ember::cli

static const char kUsage[] =
    "usage: ember <command> [options] [args]\n"
    "\n"
    "commands:\n"
    "  run [OPTIONS] FILE [ARGS...]         run a module (.wasm or .wat), WASI included\n"
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
  std::fprintf(stderr, "ember: unknown command `%s`\n\n%s", cmd.c_str(), kUsage);
  return 2;
}

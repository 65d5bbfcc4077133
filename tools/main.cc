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

namespace {

// Opens `path` for reading; a directory is refused (EISDIR) before any read.
int open_input(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    fd = -1;
    errno = EISDIR;
  }
  return fd;
}

// Reads into [p, p+n) until it is full or the input ends: the count, or -1
// with errno set.
ssize_t read_full(int fd, uint8_t* p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += size_t(r);
  }
  return ssize_t(got);
}

std::string too_large() {
  return "larger than " + std::to_string(kMaxInputSize >> 30) + " GiB, the largest module Ember reads";
}

// Reads `fd` to its end in 1 MiB chunks, giving up as soon as more than
// kMaxInputSize bytes have come (a FIFO or /dev/zero may never end). The
// chunks are joined once at the end: memory stays near the limit, with no
// regrowth of one ever larger vector.
bool read_bounded(int fd, std::vector<uint8_t>* out, std::string* why) {
  constexpr size_t kChunk = size_t(1) << 20;
  std::vector<std::vector<uint8_t>> chunks;
  size_t total = 0;
  for (bool more = true; more;) {
    std::vector<uint8_t> c(kChunk);
    ssize_t n = read_full(fd, c.data(), c.size());
    if (n < 0) {
      *why = std::strerror(errno);
      return false;
    }
    total += size_t(n);
    if (total > kMaxInputSize) {
      *why = too_large();
      return false;
    }
    more = size_t(n) == kChunk;
    c.resize(size_t(n));
    chunks.push_back(std::move(c));
  }
  out->clear();
  out->reserve(total);
  for (const std::vector<uint8_t>& c : chunks) out->insert(out->end(), c.begin(), c.end());
  return true;
}

}  // namespace

bool read_file(const std::string& path, std::vector<uint8_t>* out, std::string* why) {
  // POSIX calls, not iostreams: a directory or an unreadable file must be an
  // error message, never an exception out of a stream iterator.
  int fd = open_input(path);
  if (fd < 0) {
    *why = std::strerror(errno);
    return false;
  }
  struct stat st;
  bool ok;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_size) > kMaxInputSize) {
    *why = too_large();  // known from its size: nothing read
    ok = false;
  } else {
    ok = read_bounded(fd, out, why);
  }
  ::close(fd);
  return ok;
}

}  // namespace ember::cli

static const char kUsage[] =
    "usage: ember <command> [options] [args]\n"
    "\n"
    "commands:\n"
    "  run [OPTIONS] FILE [ARGS...]         run a module (.wasm, .wat or .cwasm), WASI included\n"
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

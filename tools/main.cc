// `ember`: entry point and subcommand dispatch.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli.hh"
#include "ember/engine.hh"

namespace ember::cli {

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
  return "larger than " + std::to_string(kMaxInputSize >> 30) +
         " GiB, the largest module Ember reads";
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

std::string with_extension(const std::string& path, const std::string& ext) {
  size_t dot = path.find_last_of('.');
  size_t slash = path.find_last_of('/');
  bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_ext ? path.substr(0, dot) : path) + ext;
}

int write_output(const std::string& command, const std::string& path,
                 const std::vector<uint8_t>& bytes) {
  FILE* f = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    std::fprintf(stderr, "ember %s: %s: cannot write: %s\n", command.c_str(), path.c_str(),
                 std::strerror(errno));
    if (f != nullptr && f != stdout) std::fclose(f);
    return 1;
  }
  if (f != stdout && std::fclose(f) != 0) {
    std::fprintf(stderr, "ember %s: %s: cannot write\n", command.c_str(), path.c_str());
    return 1;
  }
  return 0;
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
  static const struct {
    const char* name;
    int (*run)(const Args&);
  } kCommands[] = {{"run", cmd_run},           {"wast", cmd_wast},       {"validate", cmd_validate},
                   {"wat2wasm", cmd_wat2wasm}, {"inspect", cmd_inspect}, {"compile", cmd_compile}};
  Args args(argv + 2, argv + argc);
  for (const auto& c : kCommands)
    if (!std::strcmp(argv[1], c.name)) {
      int status = c.run(args);
      ember::stop_background_compilation(/*wait_for_batch=*/false);
      return status;
    }
  std::fprintf(stderr, "ember: unknown command `%s`\n\n%s", argv[1], kUsage);
  return 2;
}

// WASI context: building it from a Config (stdio, preopens, argv/env), the
// fd table, checked guest-memory helpers, errno mapping, and the import list
// expanded from wasi_p1.def.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "wasi/context.hh"

extern char** environ;

namespace ember::wasi {

// ---- small pieces --------------------------------------------------------------

HostFd& HostFd::operator=(HostFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.release();
  }
  return *this;
}

HostFd::~HostFd() {
  if (fd_ >= 0) close(fd_);
}

Errno errno_from_host(int host_errno) {
  struct Row {
    int host;
    Errno wasi;
  };
  static constexpr Row kRows[] = {
#define EMBER_WASI_ERRNO(name, value, text, host) {host, Errno::name},
#include "wasi/errno.def"
  };
  if (host_errno == 0) return Errno::Success;
  for (const Row& r : kRows) {
    if (r.host == host_errno) return r.wasi;
  }
  return Errno::Io;
}

const char* errno_name(uint16_t v) {
  switch (v) {
#define EMBER_WASI_ERRNO(name, value, text, host) \
  case value: return text;
#include "wasi/errno.def"
    default: return "unknown";
  }
}

Errno last_error() {
  return errno_from_host(errno);
}

uint8_t filetype_of_mode(uint32_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return kFiletypeRegularFile;
    case S_IFDIR: return kFiletypeDirectory;
    case S_IFLNK: return kFiletypeSymlink;
    case S_IFCHR: return kFiletypeCharDevice;
    case S_IFBLK: return kFiletypeBlockDevice;
    case S_IFSOCK: return kFiletypeSocketStream;
    default: return kFiletypeUnknown;
  }
}

void write_filestat(uint8_t* p, const void* host_stat) {
  const auto& st = *static_cast<const struct stat*>(host_stat);
  auto put64 = [p](uint32_t off, uint64_t v) { std::memcpy(p + off, &v, 8); };
  auto ns = [](const timespec& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
  };
  std::memset(p, 0, kFilestatSize);
  put64(0, st.st_dev);
  put64(8, st.st_ino);
  p[16] = filetype_of_mode(st.st_mode);
  put64(24, st.st_nlink);
  put64(32, static_cast<uint64_t>(st.st_size));
  put64(40, ns(st.st_atim));
  put64(48, ns(st.st_mtim));
  put64(56, ns(st.st_ctim));
}

// ---- fd table and guest memory ----------------------------------------------------

Errno Context::insert(std::unique_ptr<FdEntry> e, uint32_t* out) {
  uint32_t n = 0;
  for (const auto& [num, entry] : fds) {  // ordered: first gap is the lowest free
    if (num != n) break;
    ++n;
  }
  if (fds.size() >= kMaxFds) return Errno::Mfile;
  fds.emplace(n, std::move(e));
  *out = n;
  return Errno::Success;
}

Errno Env::string(uint32_t ptr, uint32_t len, std::string* out) const {
  const uint8_t* p = at(ptr, len);
  if (!p) return Errno::Fault;
  if (len > 16384) return Errno::Nametoolong;
  out->assign(reinterpret_cast<const char*>(p), len);
  return Errno::Success;
}

Errno Env::fd(uint32_t num, uint64_t rights, FdEntry** out) const {
  FdEntry* e = ctx.find(num);
  if (!e) return Errno::Badf;
  if ((e->rights_base & rights) != rights) {
    uint64_t missing = rights & ~e->rights_base;
    if (missing & (kRightFdRead | kRightFdWrite)) return Errno::Badf;
    return Errno::Notcapable;
  }
  *out = e;
  return Errno::Success;
}

Errno read_iovecs(const Env& env, uint32_t iovs, uint32_t count, std::vector<IoSpan>* out) {
  if (count > 1024) return Errno::Inval;  // IOV_MAX
  if (!env.in_range(iovs, uint64_t{count} * kIovecSize)) return Errno::Fault;
  out->clear();
  out->reserve(count);
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t buf = 0, len = 0;
    env.load(iovs + uint64_t{i} * kIovecSize, &buf);
    env.load(iovs + uint64_t{i} * kIovecSize + 4, &len);
    uint8_t* p = env.at(buf, len);
    if (!p) return Errno::Fault;
    total += len;
    if (total > UINT32_MAX) return Errno::Inval;
    out->push_back({p, len});
  }
  return Errno::Success;
}

// ---- building a context -------------------------------------------------------------

namespace {

std::mutex g_argv_mu;
std::vector<std::string> g_host_argv;

Error open_error(const std::string& what, const std::string& path) {
  return Error(ErrorKind::Internal,
               "failed to open " + what + " '" + path + "': " + std::strerror(errno));
}

std::unique_ptr<FdEntry> stream_entry(FdKind kind, bool input) {
  auto e = std::make_unique<FdEntry>();
  e->kind = kind;
  e->filetype = kFiletypeCharDevice;
  e->rights_base = kRightsStream & ~(input ? kRightFdWrite : kRightFdRead);
  e->readable = input;
  e->writable = !input;
  return e;
}

Expected<std::unique_ptr<FdEntry>> make_stdin(const Config& c) {
  if (c.stdin_bytes) {
    auto e = stream_entry(FdKind::Bytes, true);
    e->bytes = std::make_shared<const std::vector<uint8_t>>(*c.stdin_bytes);
    return e;
  }
  if (c.stdin_file) {
    int fd = open(c.stdin_file->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return open_error("stdin file", *c.stdin_file);
    auto e = stream_entry(FdKind::File, true);
    e->fd = HostFd(fd);
    e->filetype = kFiletypeRegularFile;
    e->rights_base |= kRightFdSeek | kRightFdTell;
    return e;
  }
  if (c.inherit_stdin) {
    auto e = stream_entry(FdKind::HostStream, true);
    e->stream_fd = 0;
    return e;
  }
  return stream_entry(FdKind::Sink, true);
}

Expected<std::unique_ptr<FdEntry>> make_output(const OutputFn& custom,
                                               const std::optional<std::string>& file, bool inherit,
                                               int host_fd) {
  if (custom) {
    auto e = stream_entry(FdKind::Callback, false);
    e->callback = custom;
    return e;
  }
  if (file) {
    int fd = open(file->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return open_error(host_fd == 1 ? "stdout file" : "stderr file", *file);
    auto e = stream_entry(FdKind::File, false);
    e->fd = HostFd(fd);
    e->filetype = kFiletypeRegularFile;
    return e;
  }
  if (inherit) {
    auto e = stream_entry(FdKind::HostStream, false);
    e->stream_fd = host_fd;
    return e;
  }
  return stream_entry(FdKind::Sink, false);
}

Expected<std::unique_ptr<FdEntry>> make_preopen(const Preopen& p) {
  int fd = open(p.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return open_error("preopened directory", p.host_path);
  auto e = std::make_unique<FdEntry>();
  e->kind = FdKind::Dir;
  e->fd = HostFd(fd);
  e->filetype = kFiletypeDirectory;
  e->rights_base = kRightsDir;
  e->rights_inheriting = kRightsDir | kRightsFile;
  e->readable = true;
  e->perms = Perms{p.dir_read, p.dir_write, p.file_read, p.file_write};
  e->preopen_name = p.guest_path;  // may be empty, as in wasmtime
  e->is_preopen = true;
  return e;
}

Expected<std::unique_ptr<FdEntry>> make_socket(int host_fd) {
  int fd = fcntl(host_fd, F_DUPFD_CLOEXEC, 0);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    if (fd >= 0) close(fd);
    return Error(ErrorKind::Internal,
                 "WASI socket: host fd " + std::to_string(host_fd) + " is not an open socket");
  }
  int type = 0;
  socklen_t len = sizeof type;
  getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
  auto e = std::make_unique<FdEntry>();
  e->kind = FdKind::File;
  e->fd = HostFd(fd);
  e->filetype = type == SOCK_DGRAM ? kFiletypeSocketDgram : kFiletypeSocketStream;
  e->rights_base = kRightsSocket;
  e->rights_inheriting = kRightsSocket;
  e->readable = e->writable = true;
  return e;
}

}  // namespace

void set_host_argv(std::vector<std::string> argv) {
  std::lock_guard<std::mutex> lock(g_argv_mu);
  g_host_argv = std::move(argv);
}

Expected<std::shared_ptr<Context>> make_context(const Config& c) {
  auto ctx = std::make_shared<Context>();
  if (c.inherit_argv) {
    std::lock_guard<std::mutex> lock(g_argv_mu);
    ctx->args = g_host_argv;
  } else {
    ctx->args = c.argv;
  }
  if (c.inherit_env) {
    for (char** e = environ; e && *e; ++e) ctx->env.emplace_back(*e);
  } else {
    for (const auto& [k, v] : c.env) ctx->env.push_back(k + "=" + v);
  }
  EMBER_ASSIGN(auto in, make_stdin(c));
  EMBER_ASSIGN(auto out, make_output(c.stdout_custom, c.stdout_file, c.inherit_stdout, 1));
  EMBER_ASSIGN(auto err, make_output(c.stderr_custom, c.stderr_file, c.inherit_stderr, 2));
  ctx->fds.emplace(0, std::move(in));
  ctx->fds.emplace(1, std::move(out));
  ctx->fds.emplace(2, std::move(err));
  uint32_t n = 3;
  for (const Preopen& p : c.preopens) {
    EMBER_ASSIGN(auto e, make_preopen(p));
    ctx->fds.emplace(n++, std::move(e));
  }
  for (int s : c.sockets) {
    EMBER_ASSIGN(auto e, make_socket(s));
    ctx->fds.emplace(n++, std::move(e));
  }
  return ctx;
}

// ---- the import list ----------------------------------------------------------------

namespace {

FuncType type_of(const char* params, const char* results) {
  FuncType t;
  for (const char* p = params; *p; ++p) t.params.push_back(*p == 'I' ? ValType::I64 : ValType::I32);
  for (const char* r = results; *r; ++r)
    t.results.push_back(*r == 'I' ? ValType::I64 : ValType::I32);
  return t;
}

// The caller's linear memory: its export "memory", else memory 0.
rt::MemoryInst* caller_memory(const rt::HostCall& call) {
  const rt::ModuleInst* inst = call.caller;
  if (!inst) return nullptr;
  if (inst->module) {
    for (const Export& ex : inst->module->exports) {
      if (ex.kind == ExternKind::Memory && ex.name == "memory" && ex.index < inst->memories.size())
        return inst->memories[ex.index];
    }
  }
  return inst->memories.empty() ? nullptr : inst->memories[0];
}

using Impl = Errno (*)(Env&, const rt::Slot*);

rt::HostFn bind(std::shared_ptr<Context> ctx, Impl impl, bool has_result) {
  return [ctx = std::move(ctx), impl, has_result](rt::HostCall& call, rt::Slot* slots) {
    Env env{call, *ctx};
    if (rt::MemoryInst* m = caller_memory(call)) {
      env.base = m->base;
      env.size = m->base ? m->size.load() : 0;
    }
    Errno e = impl(env, slots);
    if (env.trap != TrapCode::None) return env.trap;
    if (has_result) slots[0] = static_cast<uint32_t>(e);
    return TrapCode::None;
  };
}

}  // namespace

std::vector<HostImport> preview1_imports(std::shared_ptr<Context> ctx) {
  std::vector<HostImport> out;
#define EMBER_WASI_FN(name, params, results) \
  out.push_back({#name, type_of(params, results), bind(ctx, &fn_##name, results[0] != '\0')});
#include "wasi/wasi_p1.def"
  return out;
}

}  // namespace ember::wasi

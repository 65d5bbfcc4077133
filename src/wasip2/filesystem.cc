// WASI 0.2: wasi:filesystem (types, preopens). A descriptor is a host fd
// with the permissions of the preopen it came from; every path is resolved
// by the preview-1 sandbox (wasi/sandbox.hh) beneath its directory fd, and
// the final step never follows a symlink the resolver has not expanded.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "wasi/sandbox.hh"
#include "wasip2/wasip2.hh"

namespace ember::wasip2 {

namespace {

using Args = std::span<const Value>;
using wasi::Errno;

// Flag bits, in the order WASI 0.2 declares them.
constexpr uint64_t kFlagRead = 1, kFlagWrite = 2, kFlagMutateDir = 32;
constexpr uint64_t kOpenCreate = 1, kOpenDirectory = 2, kOpenExclusive = 4, kOpenTruncate = 8;
constexpr uint64_t kPathFollow = 1;

// Thrown inside a function body, answered as err(error-code).
struct Fail {
  Errno e;
};

[[noreturn]] void fail(Errno e) {
  throw Fail{e};
}

Errno last() {
  return wasi::last_error();
}

Descriptor& desc(State& s, const Value& h) {
  return entry(s.descriptors, h, "descriptor");
}

Descriptor& dir_of(State& s, const Value& h, bool mutate) {
  Descriptor& d = desc(s, h);
  if (!d.dir) fail(Errno::Notdir);
  if (!d.perms.dir_read || (mutate && !d.perms.dir_write)) fail(Errno::Perm);
  return d;
}

wasi::Resolved resolve(const Descriptor& d, const std::string& path, bool follow) {
  wasi::Resolved r;
  if (Errno e = wasi::resolve_path(d.fd->get(), path, follow, &r); e != Errno::Success) fail(e);
  return r;
}

void check(int rc) {
  if (rc != 0) fail(last());
}

uint64_t type_index(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFBLK: return 1;
    case S_IFCHR: return 2;
    case S_IFDIR: return 3;
    case S_IFIFO: return 4;
    case S_IFLNK: return 5;
    case S_IFREG: return 6;
    case S_IFSOCK: return 7;
    default: return 0;
  }
}

uint64_t dirent_type_index(uint8_t t) {
  switch (t) {
    case wasi::kFiletypeBlockDevice: return 1;
    case wasi::kFiletypeCharDevice: return 2;
    case wasi::kFiletypeDirectory: return 3;
    case wasi::kFiletypeSymlink: return 5;
    case wasi::kFiletypeRegularFile: return 6;
    case wasi::kFiletypeSocketStream:
    case wasi::kFiletypeSocketDgram: return 7;
    default: return 0;
  }
}

Value datetime(const timespec& t) {
  return some(Value::of_items({Value::of(uint64_t(t.tv_sec)), Value::of(uint64_t(t.tv_nsec))}));
}

Value stat_value(const struct stat& st) {
  return Value::of_items({Value::of(type_index(st.st_mode)), Value::of(uint64_t(st.st_nlink)),
                          Value::of(uint64_t(st.st_size)), datetime(st.st_atim),
                          datetime(st.st_mtim), datetime(st.st_ctim)});
}

Value hash_value(const struct stat& st) {
  uint64_t lower = uint64_t(st.st_ino) * 0x9E3779B97F4A7C15ull ^ uint64_t(st.st_dev);
  uint64_t upper = uint64_t(st.st_dev) * 0xC2B2AE3D27D4EB4Full ^ uint64_t(st.st_ino);
  return Value::of_items({Value::of(lower), Value::of(upper)});
}

// A new-timestamp variant as a timespec for futimens / utimensat.
timespec timestamp(const Value& v) {
  switch (v.num) {
    case 0: return timespec{0, UTIME_OMIT};
    case 1: return timespec{0, UTIME_NOW};
    default: {
      const Value& dt = v.items.at(0);
      if (dt.items.at(1).num >= 1000000000ull) fail(Errno::Inval);
      return timespec{time_t(dt.items.at(0).num), long(dt.items.at(1).num)};
    }
  }
}

Value new_descriptor(State& s, Descriptor d) {
  uint32_t r = s.rep();
  s.descriptors[r] = std::move(d);
  return own(Res::Descriptor, r);
}

Value new_stream(State& s, const Descriptor& d, uint64_t position, bool append, Res kind) {
  Stream st;
  st.file = d.fd;
  st.position = position;
  st.append = append;
  uint32_t r = s.rep();
  s.streams[r] = std::move(st);
  return own(kind, r);
}

Value open_at(State& s, Args a) {
  Descriptor& d = dir_of(s, arg(a, 0), false);
  uint64_t oflags = arg(a, 3).num, flags = arg(a, 4).num;
  bool read = flags & kFlagRead, write = flags & kFlagWrite;
  if ((oflags & (kOpenCreate | kOpenTruncate)) && !d.perms.dir_write) fail(Errno::Perm);
  if ((write && !d.perms.file_write) || (read && !d.perms.file_read)) fail(Errno::Perm);
  if ((oflags & kOpenDirectory) && (write || (oflags & kOpenTruncate))) fail(Errno::Inval);
  wasi::Resolved r = resolve(d, arg(a, 2).bytes, arg(a, 1).num & kPathFollow);
  int hf = O_CLOEXEC | O_NOFOLLOW | (read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY);
  if (oflags & kOpenCreate) hf |= O_CREAT;
  if (oflags & kOpenExclusive) hf |= O_EXCL;
  if (oflags & kOpenTruncate) hf |= O_TRUNC;
  if ((oflags & kOpenDirectory) || r.must_be_dir) hf |= O_DIRECTORY;
  int fd = openat(r.dirfd, r.name.c_str(), hf, 0666);
  if (fd < 0) fail(errno == ELOOP ? Errno::Loop : last());
  auto held = std::make_shared<wasi::HostFd>(fd);
  struct stat st;
  check(fstat(fd, &st));
  Descriptor n;
  n.fd = std::move(held);
  n.dir = S_ISDIR(st.st_mode);
  n.read = read;
  n.write = write;
  n.perms = d.perms;
  if (n.dir && !(flags & kFlagMutateDir)) n.perms.dir_write = false;
  return ok(new_descriptor(s, std::move(n)));
}

Value read_at(State& s, Args a) {
  Descriptor& d = desc(s, arg(a, 0));
  if (d.dir) fail(Errno::Isdir);
  if (!d.read) fail(Errno::Badf);
  uint64_t len = std::min<uint64_t>(arg(a, 1).num, 1 << 24);
  std::string buf(len, '\0');
  ssize_t n;
  do {
    n = pread(d.fd->get(), buf.data(), len, off_t(arg(a, 2).num));
  } while (n < 0 && errno == EINTR);
  if (n < 0) fail(last());
  buf.resize(size_t(n));
  bool end = n == 0 && len > 0;
  return ok(tuple({str(std::move(buf)), Value::of(end)}));
}

Value write_at(State& s, Args a) {
  Descriptor& d = desc(s, arg(a, 0));
  if (d.dir) fail(Errno::Isdir);
  if (!d.write) fail(Errno::Badf);
  ssize_t n;
  do {
    n = pwrite(d.fd->get(), arg(a, 1).bytes.data(), arg(a, 1).bytes.size(), off_t(arg(a, 2).num));
  } while (n < 0 && errno == EINTR);
  if (n < 0) fail(last());
  return ok(u64(uint64_t(n)));
}

Value read_directory(State& s, Args a) {
  Descriptor& d = dir_of(s, arg(a, 0), false);
  wasi::DirListing list;
  if (Errno e = wasi::list_dir(d.fd->get(), &list); e != Errno::Success) fail(e);
  DirEntries entries;
  for (auto& item : list.items)
    if (item.name != "." && item.name != "..") entries.items.push_back(std::move(item));
  uint32_t r = s.rep();
  s.dir_entries[r] = std::move(entries);
  return ok(own(Res::DirEntries, r));
}

Value next_entry(State& s, Args a) {
  DirEntries& e = entry(s.dir_entries, arg(a, 0), "directory-entry-stream");
  if (e.next >= e.items.size()) return ok(none());
  const wasi::DirListing::Item& item = e.items[e.next++];
  return ok(some(Value::of_items({Value::of(dirent_type_index(item.type)), str(item.name)})));
}

Value stat_at(State& s, Args a) {
  Descriptor& d = dir_of(s, arg(a, 0), false);
  wasi::Resolved r = resolve(d, arg(a, 2).bytes, arg(a, 1).num & kPathFollow);
  struct stat st;
  check(fstatat(r.dirfd, r.name.c_str(), &st, AT_SYMLINK_NOFOLLOW));
  if (r.must_be_dir && !S_ISDIR(st.st_mode)) fail(Errno::Notdir);
  return ok(stat_value(st));
}

Value metadata_hash_at(State& s, Args a) {
  Descriptor& d = dir_of(s, arg(a, 0), false);
  wasi::Resolved r = resolve(d, arg(a, 2).bytes, arg(a, 1).num & kPathFollow);
  struct stat st;
  check(fstatat(r.dirfd, r.name.c_str(), &st, AT_SYMLINK_NOFOLLOW));
  return ok(hash_value(st));
}

Value set_times_at(State& s, Args a) {
  Descriptor& d = dir_of(s, arg(a, 0), true);
  wasi::Resolved r = resolve(d, arg(a, 2).bytes, arg(a, 1).num & kPathFollow);
  timespec ts[2] = {timestamp(arg(a, 3)), timestamp(arg(a, 4))};
  check(utimensat(r.dirfd, r.name.c_str(), ts, AT_SYMLINK_NOFOLLOW));
  return ok();
}

Value link_at(State& s, Args a) {
  Descriptor& from = dir_of(s, arg(a, 0), true);
  Descriptor& to = dir_of(s, arg(a, 3), true);
  wasi::Resolved src = resolve(from, arg(a, 2).bytes, arg(a, 1).num & kPathFollow);
  wasi::Resolved dst = resolve(to, arg(a, 4).bytes, false);
  check(linkat(src.dirfd, src.name.c_str(), dst.dirfd, dst.name.c_str(), 0));
  return ok();
}

Value rename_at(State& s, Args a) {
  Descriptor& from = dir_of(s, arg(a, 0), true);
  Descriptor& to = dir_of(s, arg(a, 2), true);
  wasi::Resolved src = resolve(from, arg(a, 1).bytes, false);
  wasi::Resolved dst = resolve(to, arg(a, 3).bytes, false);
  check(renameat(src.dirfd, src.name.c_str(), dst.dirfd, dst.name.c_str()));
  return ok();
}

Value symlink_at(State& s, Args a) {
  Descriptor& d = dir_of(s, arg(a, 0), true);
  const std::string& target = arg(a, 1).bytes;
  if (!target.empty() && target[0] == '/') fail(Errno::Perm);  // would point outside
  wasi::Resolved r = resolve(d, arg(a, 2).bytes, false);
  check(symlinkat(target.c_str(), r.dirfd, r.name.c_str()));
  return ok();
}

Value readlink_at(State& s, Args a) {
  Descriptor& d = dir_of(s, arg(a, 0), false);
  wasi::Resolved r = resolve(d, arg(a, 1).bytes, false);
  std::string buf(4096, '\0');
  ssize_t n = readlinkat(r.dirfd, r.name.c_str(), buf.data(), buf.size());
  if (n < 0) fail(last());
  buf.resize(size_t(n));
  return ok(str(std::move(buf)));
}

// The body of a filesystem function: err(error-code) for a Fail.
template <typename F>
std::pair<std::string, component::HostFunc> fsfn(const char* name, F f) {
  return {name, [f](StoreContext cx, const FuncType& ft, Args a) -> std::optional<Value> {
            State& s = state(cx);
            try {
              return f(s, a);
            } catch (const Fail& e) {
              return fs_error(ft, e.e);
            }
          }};
}

// A descriptor method that acts on its fd with `op` (0 or -1 with errno).
template <typename Op>
std::pair<std::string, component::HostFunc> fdop(const char* name, bool need_write, Op op) {
  return fsfn(name, [need_write, op](State& s, Args a) {
    Descriptor& d = desc(s, arg(a, 0));
    if (need_write && (d.dir || !d.write)) fail(d.dir ? Errno::Isdir : Errno::Badf);
    check(op(d, a));
    return ok();
  });
}

}  // namespace

Funcs filesystem_types_funcs() {
  Funcs v;
  v.push_back(fsfn("[method]descriptor.read-via-stream", [](State& s, Args a) {
    Descriptor& d = desc(s, arg(a, 0));
    if (d.dir) fail(Errno::Isdir);
    if (!d.read) fail(Errno::Badf);
    return ok(new_stream(s, d, arg(a, 1).num, false, Res::InputStream));
  }));
  v.push_back(fsfn("[method]descriptor.write-via-stream", [](State& s, Args a) {
    Descriptor& d = desc(s, arg(a, 0));
    if (d.dir) fail(Errno::Isdir);
    if (!d.write) fail(Errno::Badf);
    return ok(new_stream(s, d, arg(a, 1).num, false, Res::OutputStream));
  }));
  v.push_back(fsfn("[method]descriptor.append-via-stream", [](State& s, Args a) {
    Descriptor& d = desc(s, arg(a, 0));
    if (d.dir) fail(Errno::Isdir);
    if (!d.write) fail(Errno::Badf);
    return ok(new_stream(s, d, 0, true, Res::OutputStream));
  }));
  v.push_back(fsfn("[method]descriptor.advise", [](State& s, Args a) {
    desc(s, arg(a, 0));
    return ok();
  }));
  v.push_back(fdop("[method]descriptor.sync-data", false,
                   [](Descriptor& d, Args) { return fdatasync(d.fd->get()); }));
  v.push_back(fdop("[method]descriptor.sync", false,
                   [](Descriptor& d, Args) { return fsync(d.fd->get()); }));
  v.push_back(fdop("[method]descriptor.set-size", true, [](Descriptor& d, Args a) {
    return arg(a, 1).num > uint64_t(INT64_MAX) ? (errno = EINVAL, -1)
                                               : ftruncate(d.fd->get(), off_t(arg(a, 1).num));
  }));
  v.push_back(fsfn("[method]descriptor.set-times", [](State& s, Args a) {
    Descriptor& d = desc(s, arg(a, 0));
    if (d.dir ? !d.perms.dir_write : !d.write) fail(Errno::Perm);
    timespec ts[2] = {timestamp(arg(a, 1)), timestamp(arg(a, 2))};
    check(futimens(d.fd->get(), ts));
    return ok();
  }));
  v.push_back(fsfn("[method]descriptor.get-flags", [](State& s, Args a) {
    Descriptor& d = desc(s, arg(a, 0));
    uint64_t f = (d.read ? kFlagRead : 0) | (d.write ? kFlagWrite : 0);
    if (d.dir && d.perms.dir_write) f |= kFlagMutateDir;
    return ok(Value::of(f));
  }));
  v.push_back(fsfn("[method]descriptor.get-type", [](State& s, Args a) {
    struct stat st;
    check(fstat(desc(s, arg(a, 0)).fd->get(), &st));
    return ok(Value::of(type_index(st.st_mode)));
  }));
  v.push_back(fsfn("[method]descriptor.stat", [](State& s, Args a) {
    struct stat st;
    check(fstat(desc(s, arg(a, 0)).fd->get(), &st));
    return ok(stat_value(st));
  }));
  v.push_back(fsfn("[method]descriptor.metadata-hash", [](State& s, Args a) {
    struct stat st;
    check(fstat(desc(s, arg(a, 0)).fd->get(), &st));
    return ok(hash_value(st));
  }));
  v.push_back(fsfn("[method]descriptor.is-same-object", [](State& s, Args a) {
    struct stat x, y;
    check(fstat(desc(s, arg(a, 0)).fd->get(), &x));
    check(fstat(desc(s, arg(a, 1)).fd->get(), &y));
    return Value::of(x.st_dev == y.st_dev && x.st_ino == y.st_ino);
  }));
  v.push_back(fsfn("[method]descriptor.read", read_at));
  v.push_back(fsfn("[method]descriptor.write", write_at));
  v.push_back(fsfn("[method]descriptor.read-directory", read_directory));
  v.push_back(fsfn("[method]directory-entry-stream.read-directory-entry", next_entry));
  v.push_back(fsfn("[method]descriptor.open-at", open_at));
  v.push_back(fsfn("[method]descriptor.stat-at", stat_at));
  v.push_back(fsfn("[method]descriptor.metadata-hash-at", metadata_hash_at));
  v.push_back(fsfn("[method]descriptor.set-times-at", set_times_at));
  v.push_back(fsfn("[method]descriptor.link-at", link_at));
  v.push_back(fsfn("[method]descriptor.rename-at", rename_at));
  v.push_back(fsfn("[method]descriptor.symlink-at", symlink_at));
  v.push_back(fsfn("[method]descriptor.readlink-at", readlink_at));
  v.push_back(fsfn("[method]descriptor.create-directory-at", [](State& s, Args a) {
    wasi::Resolved r = resolve(dir_of(s, arg(a, 0), true), arg(a, 1).bytes, false);
    check(mkdirat(r.dirfd, r.name.c_str(), 0777));
    return ok();
  }));
  v.push_back(fsfn("[method]descriptor.remove-directory-at", [](State& s, Args a) {
    wasi::Resolved r = resolve(dir_of(s, arg(a, 0), true), arg(a, 1).bytes, false);
    check(unlinkat(r.dirfd, r.name.c_str(), AT_REMOVEDIR));
    return ok();
  }));
  v.push_back(fsfn("[method]descriptor.unlink-file-at", [](State& s, Args a) {
    wasi::Resolved r = resolve(dir_of(s, arg(a, 0), true), arg(a, 1).bytes, false);
    if (r.must_be_dir) fail(Errno::Notdir);
    check(unlinkat(r.dirfd, r.name.c_str(), 0));
    return ok();
  }));
  v.emplace_back(
      "filesystem-error-code",
      [](StoreContext, const FuncType&, Args) -> std::optional<Value> { return none(); });
  return v;
}

Funcs filesystem_preopens_funcs() {
  Funcs v;
  v.emplace_back("get-directories",
                 [](StoreContext cx, const FuncType&, Args) -> std::optional<Value> {
                   State& s = state(cx);
                   std::vector<Value> out;
                   for (auto& [fd, e] : s.ctx->fds) {
                     if (!e->is_preopen || e->kind != wasi::FdKind::Dir) continue;
                     int dup = fcntl(e->host(), F_DUPFD_CLOEXEC, 0);
                     if (dup < 0) throw Trap("wasi: cannot duplicate a preopened directory");
                     Descriptor d;
                     d.fd = std::make_shared<wasi::HostFd>(dup);
                     d.dir = true;
                     d.read = true;
                     d.perms = e->perms;
                     out.push_back(tuple({new_descriptor(s, std::move(d)), str(e->preopen_name)}));
                   }
                   return Value::of_items(std::move(out));
                 });
  return v;
}

}  // namespace ember::wasip2

// WASI preview1: the fd_* functions (everything that acts on an open fd).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "wasi/context.hh"

namespace ember::wasi {

namespace {

std::vector<iovec> host_iovecs(const std::vector<IoSpan>& spans) {
  std::vector<iovec> v;
  v.reserve(spans.size());
  for (const IoSpan& s : spans) v.push_back({s.ptr, s.len});
  return v;
}

uint64_t total_len(const std::vector<IoSpan>& spans) {
  uint64_t t = 0;
  for (const IoSpan& s : spans) t += s.len;
  return t;
}

bool is_host_file(const FdEntry& e) {
  return e.kind == FdKind::File || e.kind == FdKind::HostStream;
}

}  // namespace

// Reads into `spans` from any readable entry; `offset` < 0: at the position.
Errno entry_read(FdEntry& e, const std::vector<IoSpan>& spans, int64_t offset, uint64_t* n) {
  *n = 0;
  switch (e.kind) {
    case FdKind::File:
    case FdKind::HostStream: {
      auto iov = host_iovecs(spans);
      ssize_t r;
      do {
        r = offset < 0 ? readv(e.host(), iov.data(), static_cast<int>(iov.size()))
                       : preadv(e.host(), iov.data(), static_cast<int>(iov.size()), offset);
      } while (r < 0 && errno == EINTR);
      if (r < 0) return last_error();
      *n = static_cast<uint64_t>(r);
      return Errno::Success;
    }
    case FdKind::Bytes: {
      if (offset >= 0) return Errno::Spipe;
      const auto& b = *e.bytes;
      for (const IoSpan& s : spans) {
        uint64_t avail = b.size() - e.bytes_pos;
        uint64_t k = std::min<uint64_t>(avail, s.len);
        std::memcpy(s.ptr, b.data() + e.bytes_pos, k);
        e.bytes_pos += k;
        *n += k;
        if (k < s.len) break;
      }
      return Errno::Success;
    }
    case FdKind::Sink: return offset < 0 ? Errno::Success : Errno::Spipe;
    default: return Errno::Badf;
  }
}

Errno entry_write(FdEntry& e, const std::vector<IoSpan>& spans, int64_t offset, uint64_t* n) {
  *n = 0;
  switch (e.kind) {
    case FdKind::File:
    case FdKind::HostStream: {
      auto iov = host_iovecs(spans);
      ssize_t r;
      do {
        r = offset < 0 ? writev(e.host(), iov.data(), static_cast<int>(iov.size()))
                       : pwritev(e.host(), iov.data(), static_cast<int>(iov.size()), offset);
      } while (r < 0 && errno == EINTR);
      if (r < 0) return last_error();
      *n = static_cast<uint64_t>(r);
      return Errno::Success;
    }
    case FdKind::Callback: {
      if (offset >= 0) return Errno::Spipe;
      std::vector<uint8_t> all;
      all.reserve(total_len(spans));
      for (const IoSpan& s : spans) all.insert(all.end(), s.ptr, s.ptr + s.len);
      if (all.empty()) return Errno::Success;
      int64_t took = e.callback(all.data(), all.size());
      if (took < 0) return Errno::Io;
      *n = std::min<uint64_t>(static_cast<uint64_t>(took), all.size());
      return Errno::Success;
    }
    case FdKind::Sink:
      if (offset >= 0) return Errno::Spipe;
      *n = total_len(spans);
      return Errno::Success;
    default: return Errno::Badf;
  }
}

namespace {

// Shared body of fd_read/fd_pread/fd_write/fd_pwrite.
Errno rw(Env& env, const rt::Slot* a, bool write, bool positioned) {
  uint32_t result_ptr = arg32(a, positioned ? 4 : 3);
  uint64_t need = write ? kRightFdWrite : kRightFdRead;
  if (positioned) need |= kRightFdSeek;
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), need, &e); err != Errno::Success) return err;
  std::vector<IoSpan> spans;
  if (Errno err = read_iovecs(env, arg32(a, 1), arg32(a, 2), &spans); err != Errno::Success)
    return err;
  if (!env.in_range(result_ptr, 4)) return Errno::Fault;
  int64_t offset = -1;
  if (positioned) {
    uint64_t off = arg64(a, 3);
    if (off > INT64_MAX) return Errno::Inval;
    offset = static_cast<int64_t>(off);
  }
  uint64_t n = 0;
  Errno err = write ? entry_write(*e, spans, offset, &n) : entry_read(*e, spans, offset, &n);
  if (err != Errno::Success) return err;
  env.store<uint32_t>(result_ptr, static_cast<uint32_t>(n));
  return Errno::Success;
}

uint16_t current_fdflags(const FdEntry& e) {
  if (e.kind != FdKind::File && e.kind != FdKind::HostStream) return e.fdflags;
  int fl = fcntl(e.host(), F_GETFL);
  if (fl < 0) return e.fdflags;
  uint16_t f = 0;
  if (fl & O_APPEND) f |= kFdflagAppend;
  if (fl & O_NONBLOCK) f |= kFdflagNonblock;
  if ((fl & O_SYNC) == O_SYNC) f |= kFdflagSync;
  else if (fl & O_DSYNC) f |= kFdflagDsync;
  return f | (e.fdflags & kFdflagRsync);
}

Errno sync_fd(Env& env, const rt::Slot* a, uint64_t right, bool data_only) {
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), right, &e); err != Errno::Success) return err;
  if (e->kind != FdKind::File && e->kind != FdKind::Dir) return Errno::Inval;
  int r = data_only ? fdatasync(e->host()) : fsync(e->host());
  return r == 0 ? Errno::Success : last_error();
}

uint8_t dirent_type(unsigned char t) {
  switch (t) {
    case DT_REG: return kFiletypeRegularFile;
    case DT_DIR: return kFiletypeDirectory;
    case DT_LNK: return kFiletypeSymlink;
    case DT_CHR: return kFiletypeCharDevice;
    case DT_BLK: return kFiletypeBlockDevice;
    case DT_SOCK: return kFiletypeSocketStream;
    default: return kFiletypeUnknown;
  }
}

}  // namespace

// A fresh snapshot of the directory: ".", "..", then the entries by name.
Errno list_dir(int dirfd, DirListing* out) {
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return last_error();
  DIR* d = fdopendir(fd);
  if (!d) {
    close(fd);
    return last_error();
  }
  out->items.clear();
  std::vector<DirListing::Item> rest;
  while (dirent* de = readdir(d)) {
    std::string name = de->d_name;
    uint8_t type = dirent_type(de->d_type);
    if (type == kFiletypeUnknown) {
      struct stat st;
      if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        type = filetype_of_mode(st.st_mode);
    }
    DirListing::Item item{name, static_cast<uint64_t>(de->d_ino), type};
    if (name == ".") out->items.insert(out->items.begin(), item);
    else if (name == "..") out->items.push_back(item);
    else rest.push_back(std::move(item));
  }
  closedir(d);
  std::sort(rest.begin(), rest.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
  for (auto& r : rest) out->items.push_back(std::move(r));
  out->valid = true;
  return Errno::Success;
}

Errno fn_fd_read(Env& env, const rt::Slot* a) {
  return rw(env, a, false, false);
}
Errno fn_fd_pread(Env& env, const rt::Slot* a) {
  return rw(env, a, false, true);
}
Errno fn_fd_write(Env& env, const rt::Slot* a) {
  return rw(env, a, true, false);
}
Errno fn_fd_pwrite(Env& env, const rt::Slot* a) {
  return rw(env, a, true, true);
}

Errno fn_fd_close(Env& env, const rt::Slot* a) {
  auto it = env.ctx.fds.find(arg32(a, 0));
  if (it == env.ctx.fds.end()) return Errno::Badf;
  env.ctx.fds.erase(it);
  return Errno::Success;
}

Errno fn_fd_datasync(Env& env, const rt::Slot* a) {
  return sync_fd(env, a, kRightFdDatasync, true);
}
Errno fn_fd_sync(Env& env, const rt::Slot* a) {
  return sync_fd(env, a, kRightFdSync, false);
}

Errno fn_fd_advise(Env& env, const rt::Slot* a) {
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), kRightFdAdvise, &e); err != Errno::Success) return err;
  static constexpr int kAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                    POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
  uint32_t adv = arg32(a, 3);
  if (adv > 5) return Errno::Inval;
  if (e->kind != FdKind::File) return e->kind == FdKind::Dir ? Errno::Badf : Errno::Spipe;
  uint64_t off = arg64(a, 1), len = arg64(a, 2);
  if (off > INT64_MAX || len > INT64_MAX) return Errno::Inval;
  int r = posix_fadvise(e->host(), static_cast<off_t>(off), static_cast<off_t>(len), kAdvice[adv]);
  return r == 0 || r == ESPIPE ? Errno::Success : errno_from_host(r);
}

Errno fn_fd_allocate(Env& env, const rt::Slot* a) {
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), kRightFdAllocate, &e); err != Errno::Success) return err;
  if (e->kind != FdKind::File) return e->kind == FdKind::Dir ? Errno::Badf : Errno::Spipe;
  uint64_t off = arg64(a, 1), len = arg64(a, 2);
  if (off > INT64_MAX || len > INT64_MAX || off + len > INT64_MAX) return Errno::Inval;
  int r = posix_fallocate(e->host(), static_cast<off_t>(off), static_cast<off_t>(len));
  if (r == EOPNOTSUPP) {  // the file system cannot preallocate: extend instead
    struct stat st;
    if (fstat(e->host(), &st) != 0) return last_error();
    if (static_cast<uint64_t>(st.st_size) < off + len &&
        ftruncate(e->host(), static_cast<off_t>(off + len)) != 0)
      return last_error();
    return Errno::Success;
  }
  return r == 0 ? Errno::Success : errno_from_host(r);
}

Errno fn_fd_fdstat_get(Env& env, const rt::Slot* a) {
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), 0, &e); err != Errno::Success) return err;
  uint8_t* p = env.at(arg32(a, 1), kFdstatSize);
  if (!p) return Errno::Fault;
  std::memset(p, 0, kFdstatSize);
  p[0] = e->filetype;
  uint16_t flags = current_fdflags(*e);
  std::memcpy(p + 2, &flags, 2);
  std::memcpy(p + 8, &e->rights_base, 8);
  std::memcpy(p + 16, &e->rights_inheriting, 8);
  return Errno::Success;
}

Errno fn_fd_fdstat_set_flags(Env& env, const rt::Slot* a) {
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), kRightFdFdstatSetFlags, &e); err != Errno::Success)
    return err;
  uint32_t flags = arg32(a, 1);
  if (flags & ~uint32_t{0x1f}) return Errno::Inval;
  if (flags & (kFdflagDsync | kFdflagSync | kFdflagRsync)) return Errno::Notsup;
  if (e->kind == FdKind::File || e->kind == FdKind::HostStream) {
    int fl = fcntl(e->host(), F_GETFL);
    if (fl < 0) return last_error();
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & kFdflagAppend) fl |= O_APPEND;
    if (flags & kFdflagNonblock) fl |= O_NONBLOCK;
    if (fcntl(e->host(), F_SETFL, fl) != 0) return last_error();
  }
  e->fdflags = static_cast<uint16_t>(flags);
  return Errno::Success;
}

Errno fn_fd_fdstat_set_rights(Env& env, const rt::Slot* a) {
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), 0, &e); err != Errno::Success) return err;
  uint64_t base = arg64(a, 1), inh = arg64(a, 2);
  if ((base & ~e->rights_base) || (inh & ~e->rights_inheriting)) return Errno::Notcapable;
  e->rights_base = base;
  e->rights_inheriting = inh;
  return Errno::Success;
}

Errno fn_fd_filestat_get(Env& env, const rt::Slot* a) {
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), kRightFdFilestatGet, &e); err != Errno::Success) return err;
  uint8_t* p = env.at(arg32(a, 1), kFilestatSize);
  if (!p) return Errno::Fault;
  if (e->kind == FdKind::File || e->kind == FdKind::Dir || e->kind == FdKind::HostStream) {
    struct stat st;
    if (fstat(e->host(), &st) != 0) return last_error();
    write_filestat(p, &st);
  } else {
    std::memset(p, 0, kFilestatSize);
    p[16] = e->filetype;
    uint64_t one = 1;
    std::memcpy(p + 24, &one, 8);
  }
  return Errno::Success;
}

Errno fn_fd_filestat_set_size(Env& env, const rt::Slot* a) {
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), kRightFdFilestatSetSize, &e); err != Errno::Success)
    return err;
  if (e->kind != FdKind::File) return Errno::Badf;
  uint64_t size = arg64(a, 1);
  if (size > INT64_MAX) return Errno::Inval;
  return ftruncate(e->host(), static_cast<off_t>(size)) == 0 ? Errno::Success : last_error();
}

Errno times_from(uint64_t atim, uint64_t mtim, uint32_t fst, timespec out[2]) {
  if (fst & ~uint32_t{0xf}) return Errno::Inval;
  if ((fst & kFstAtim) && (fst & kFstAtimNow)) return Errno::Inval;
  if ((fst & kFstMtim) && (fst & kFstMtimNow)) return Errno::Inval;
  auto one = [](uint64_t ns, bool set, bool now, timespec* t) {
    t->tv_sec = 0;
    t->tv_nsec = UTIME_OMIT;
    if (now) t->tv_nsec = UTIME_NOW;
    if (set) {
      t->tv_sec = static_cast<time_t>(ns / 1000000000ull);
      t->tv_nsec = static_cast<long>(ns % 1000000000ull);
    }
  };
  one(atim, fst & kFstAtim, fst & kFstAtimNow, &out[0]);
  one(mtim, fst & kFstMtim, fst & kFstMtimNow, &out[1]);
  return Errno::Success;
}

Errno fn_fd_filestat_set_times(Env& env, const rt::Slot* a) {
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), kRightFdFilestatSetTimes, &e); err != Errno::Success)
    return err;
  timespec ts[2];
  if (Errno err = times_from(arg64(a, 1), arg64(a, 2), arg32(a, 3), ts); err != Errno::Success)
    return err;
  if (e->kind != FdKind::File && e->kind != FdKind::Dir) return Errno::Badf;
  return futimens(e->host(), ts) == 0 ? Errno::Success : last_error();
}

Errno fn_fd_prestat_get(Env& env, const rt::Slot* a) {
  FdEntry* e = env.ctx.find(arg32(a, 0));
  if (!e || !e->is_preopen) return Errno::Badf;
  uint8_t* p = env.at(arg32(a, 1), kPrestatSize);
  if (!p) return Errno::Fault;
  std::memset(p, 0, kPrestatSize);
  p[0] = kPreopenTypeDir;
  uint32_t len = static_cast<uint32_t>(e->preopen_name.size());
  std::memcpy(p + 4, &len, 4);
  return Errno::Success;
}

Errno fn_fd_prestat_dir_name(Env& env, const rt::Slot* a) {
  FdEntry* e = env.ctx.find(arg32(a, 0));
  if (!e || !e->is_preopen) return Errno::Badf;
  uint32_t len = arg32(a, 2);
  uint8_t* p = env.at(arg32(a, 1), len);
  if (!p) return Errno::Fault;
  if (len < e->preopen_name.size()) return Errno::Nametoolong;
  std::memcpy(p, e->preopen_name.data(), e->preopen_name.size());
  return Errno::Success;
}

Errno fn_fd_readdir(Env& env, const rt::Slot* a) {
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), kRightFdReaddir, &e); err != Errno::Success) return err;
  uint32_t buf = arg32(a, 1), buf_len = arg32(a, 2), used_ptr = arg32(a, 4);
  uint64_t cookie = arg64(a, 3);
  uint8_t* out = env.at(buf, buf_len);
  if (!out || !env.in_range(used_ptr, 4)) return Errno::Fault;
  if (e->kind != FdKind::Dir) return Errno::Notdir;
  if (!e->perms.dir_read) return Errno::Perm;
  if (cookie == 0 || !e->listing.valid) {
    if (Errno err = list_dir(e->host(), &e->listing); err != Errno::Success) return err;
  }
  uint64_t used = 0;
  for (uint64_t i = cookie; i < e->listing.items.size() && used < buf_len; ++i) {
    const auto& it = e->listing.items[i];
    uint8_t hdr[kDirentSize] = {};
    uint64_t next = i + 1;
    uint32_t namlen = static_cast<uint32_t>(it.name.size());
    std::memcpy(hdr, &next, 8);
    std::memcpy(hdr + 8, &it.ino, 8);
    std::memcpy(hdr + 16, &namlen, 4);
    hdr[20] = it.type;
    uint64_t k = std::min<uint64_t>(kDirentSize, buf_len - used);
    std::memcpy(out + used, hdr, k);
    used += k;
    k = std::min<uint64_t>(namlen, buf_len - used);
    std::memcpy(out + used, it.name.data(), k);
    used += k;
  }
  env.store<uint32_t>(used_ptr, static_cast<uint32_t>(used));
  return Errno::Success;
}

Errno fn_fd_renumber(Env& env, const rt::Slot* a) {
  uint32_t from = arg32(a, 0), to = arg32(a, 1);
  auto f = env.ctx.fds.find(from);
  auto t = env.ctx.fds.find(to);
  if (f == env.ctx.fds.end() || t == env.ctx.fds.end()) return Errno::Badf;
  if (from == to) return Errno::Success;
  t->second = std::move(f->second);
  env.ctx.fds.erase(f);
  return Errno::Success;
}

Errno fn_fd_seek(Env& env, const rt::Slot* a) {
  int64_t off = static_cast<int64_t>(arg64(a, 1));
  uint32_t whence = arg32(a, 2);
  uint64_t need = (off == 0 && whence == kWhenceCur) ? kRightFdTell : kRightFdSeek | kRightFdTell;
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), need, &e); err != Errno::Success) return err;
  if (!env.in_range(arg32(a, 3), 8)) return Errno::Fault;
  int how;
  switch (whence) {
    case kWhenceSet: how = SEEK_SET; break;
    case kWhenceCur: how = SEEK_CUR; break;
    case kWhenceEnd: how = SEEK_END; break;
    default: return Errno::Inval;
  }
  if (e->kind == FdKind::Dir) return Errno::Badf;
  if (!is_host_file(*e)) return Errno::Spipe;
  off_t r = lseek(e->host(), off, how);
  if (r < 0) return last_error();
  env.store<uint64_t>(arg32(a, 3), static_cast<uint64_t>(r));
  return Errno::Success;
}

Errno fn_fd_tell(Env& env, const rt::Slot* a) {
  FdEntry* e;
  if (Errno err = env.fd(arg32(a, 0), kRightFdTell, &e); err != Errno::Success) return err;
  if (!env.in_range(arg32(a, 1), 8)) return Errno::Fault;
  if (e->kind == FdKind::Dir) return Errno::Badf;
  if (!is_host_file(*e)) return Errno::Spipe;
  off_t r = lseek(e->host(), 0, SEEK_CUR);
  if (r < 0) return last_error();
  env.store<uint64_t>(arg32(a, 1), static_cast<uint64_t>(r));
  return Errno::Success;
}

}  // namespace ember::wasi

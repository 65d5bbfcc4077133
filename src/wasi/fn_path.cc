// WASI preview1: the path_* functions. Every path goes through
// resolve_path() (sandbox.hh) and the final step is an *at() call on the
// resolved (dirfd, name) that never follows a final symlink.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "wasi/sandbox.hh"

namespace ember::wasi {

namespace {

enum class Access { Read, Write };

// Looks up directory fd `fd` (with `right`), checks the preopen permission
// for `access`, reads the guest path and resolves it.
Errno lookup(Env& env, uint32_t fd, uint64_t right, Access access, uint32_t path, uint32_t len,
             bool follow, FdEntry** dir, Resolved* out) {
  FdEntry* e = env.ctx.find(fd);
  if (!e) return Errno::Badf;
  if (e->kind != FdKind::Dir) return Errno::Notdir;
  if (Errno err = env.fd(fd, right, &e); err != Errno::Success) return err;
  std::string p;
  if (Errno err = env.string(path, len, &p); err != Errno::Success) return err;
  if (!e->perms.dir_read) return Errno::Perm;
  if (access == Access::Write && !e->perms.dir_write) return Errno::Perm;
  if (dir) *dir = e;
  return resolve_path(e->host(), p, follow, out);
}

Errno result(int r) {
  return r == 0 ? Errno::Success : last_error();
}

// A path that ended with '/' must name a directory: ENOTDIR when it names
// something else (a final symlink has been followed by the resolver).
Errno check_dir_path(const Resolved& r) {
  if (!r.must_be_dir) return Errno::Success;
  struct stat st;
  if (fstatat(r.dirfd, r.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return last_error();
  return S_ISDIR(st.st_mode) ? Errno::Success : Errno::Notdir;
}

// The new name of path_link / path_symlink. A link is never a directory, so
// a name ending with '/' fails as on Linux (and wasmtime): EEXIST when a
// directory is there, ENOTDIR when something else is, ENOENT when nothing is.
Errno check_new_link(const Resolved& r) {
  if (r.name == ".") return Errno::Exist;
  if (!r.must_be_dir) return Errno::Success;
  Errno err = check_dir_path(r);
  return err == Errno::Success ? Errno::Exist : err;
}

struct OpenRequest {
  uint32_t oflags;
  uint64_t base, inheriting;
  uint32_t fdflags;
  bool read, write;
};

int host_open_flags(const OpenRequest& r) {
  int fl = O_CLOEXEC | O_NOFOLLOW;
  if (r.write) fl |= r.read ? O_RDWR : O_WRONLY;
  else fl |= O_RDONLY;
  if (r.oflags & kOflagCreat) fl |= O_CREAT;
  if (r.oflags & kOflagExcl) fl |= O_EXCL;
  if (r.oflags & kOflagTrunc) fl |= O_TRUNC;
  if (r.oflags & kOflagDirectory) fl |= O_DIRECTORY;
  if (r.fdflags & kFdflagAppend) fl |= O_APPEND;
  if (r.fdflags & kFdflagNonblock) fl |= O_NONBLOCK;
  if (r.fdflags & kFdflagDsync) fl |= O_DSYNC;
  if (r.fdflags & kFdflagSync) fl |= O_SYNC;
  if (r.fdflags & kFdflagRsync) fl |= O_RSYNC;
  return fl;
}

// The new entry for a host fd opened by path_open beneath `parent`.
std::unique_ptr<FdEntry> opened_entry(const FdEntry& parent, const OpenRequest& r, int fd,
                                      const struct stat& st) {
  auto e = std::make_unique<FdEntry>();
  e->fd = HostFd(fd);
  e->perms = parent.perms;
  e->filetype = filetype_of_mode(st.st_mode);
  e->readable = r.read;
  e->writable = r.write;
  e->fdflags = static_cast<uint16_t>(r.fdflags);
  if (S_ISDIR(st.st_mode)) {
    e->kind = FdKind::Dir;
    e->rights_base = r.base & kRightsDir & parent.rights_inheriting;
    e->rights_inheriting = r.inheriting & parent.rights_inheriting;
    return e;
  }
  e->kind = FdKind::File;
  uint64_t rights = r.base & kRightsFile & parent.rights_inheriting;
  if (!r.read) rights &= ~kRightFdRead;
  if (!r.write)
    rights &= ~(kRightFdWrite | kRightFdAllocate | kRightFdFilestatSetSize | kRightFdDatasync);
  e->rights_base = rights;
  e->rights_inheriting = r.inheriting & parent.rights_inheriting;
  return e;
}

// Opens the resolved path for `r` (which loses `write` when it names a
// directory). As wasmtime, a directory is never opened with fd_write, with or
// without O_DIRECTORY (EISDIR); other write rights on it are dropped.
Errno open_host(const Resolved& res, OpenRequest* r, int* fd, struct stat* st) {
  *fd = openat(res.dirfd, res.name.c_str(), host_open_flags(*r), 0666);
  bool fd_write = (r->base & kRightFdWrite) != 0;
  if (*fd < 0 && errno == EISDIR && r->write && !fd_write && !(r->oflags & kOflagTrunc)) {
    r->write = false;
    *fd = openat(res.dirfd, res.name.c_str(), host_open_flags(*r), 0666);
  }
  if (*fd < 0) return last_error();
  Errno err = Errno::Success;
  if (fstat(*fd, st) != 0) err = last_error();
  else if (S_ISDIR(st->st_mode) && fd_write) err = Errno::Isdir;
  if (err != Errno::Success) close(*fd);
  return err;
}

}  // namespace

Errno fn_path_open(Env& env, const rt::Slot* a) {
  uint32_t dirflags = arg32(a, 1), fd_out = arg32(a, 8);
  OpenRequest r{arg32(a, 4), arg64(a, 5), arg64(a, 6), arg32(a, 7), false, false};
  if (r.oflags & ~uint32_t{0xf} || r.fdflags & ~uint32_t{0x1f}) return Errno::Inval;
  if ((r.oflags & kOflagDirectory) && (r.oflags & (kOflagCreat | kOflagTrunc))) return Errno::Inval;
  constexpr uint64_t kWriteRights =
      kRightFdWrite | kRightFdAllocate | kRightFdFilestatSetSize | kRightFdDatasync;
  r.read = (r.base & (kRightFdRead | kRightFdReaddir)) != 0;
  r.write = (r.base & kWriteRights) != 0 || (r.oflags & kOflagTrunc) || (r.fdflags & kFdflagAppend);
  if (r.oflags & kOflagDirectory) r.write = false;
  uint64_t need = kRightPathOpen;
  if (r.oflags & kOflagCreat) need |= kRightPathCreateFile;
  if (r.oflags & kOflagTrunc) need |= kRightPathFilestatSetSize;
  if (!env.in_range(fd_out, 4)) return Errno::Fault;
  bool creates = (r.oflags & (kOflagCreat | kOflagTrunc)) != 0;
  FdEntry* dir;
  Resolved res;
  Errno err = lookup(env, arg32(a, 0), need, creates ? Access::Write : Access::Read, arg32(a, 2),
                     arg32(a, 3), dirflags & kLookupSymlinkFollow, &dir, &res);
  if (err != Errno::Success) return err;
  // fd_write asks for write permission even on a directory (which would
  // then fail with EISDIR): a read-only preopen answers EPERM first, as wasmtime.
  bool writes = r.write || (r.base & kRightFdWrite);
  if ((writes && !dir->perms.file_write) || (r.read && !dir->perms.file_read)) return Errno::Perm;
  if (res.must_be_dir) r.oflags |= kOflagDirectory;
  int fd;
  struct stat st;
  if (err = open_host(res, &r, &fd, &st); err != Errno::Success) return err;
  uint32_t num = 0;
  err = env.ctx.insert(opened_entry(*dir, r, fd, st), &num);
  if (err != Errno::Success) return err;
  env.store<uint32_t>(fd_out, num);
  return Errno::Success;
}

Errno fn_path_create_directory(Env& env, const rt::Slot* a) {
  Resolved res;
  Errno err = lookup(env, arg32(a, 0), kRightPathCreateDirectory, Access::Write, arg32(a, 1),
                     arg32(a, 2), false, nullptr, &res);
  if (err != Errno::Success) return err;
  if (res.name == ".") return Errno::Exist;
  return result(mkdirat(res.dirfd, res.name.c_str(), 0777));
}

Errno fn_path_filestat_get(Env& env, const rt::Slot* a) {
  uint8_t* out = env.at(arg32(a, 4), kFilestatSize);
  if (!out) return Errno::Fault;
  Resolved res;
  Errno err = lookup(env, arg32(a, 0), kRightPathFilestatGet, Access::Read, arg32(a, 2),
                     arg32(a, 3), arg32(a, 1) & kLookupSymlinkFollow, nullptr, &res);
  if (err != Errno::Success) return err;
  struct stat st;
  if (fstatat(res.dirfd, res.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return last_error();
  if (res.must_be_dir && !S_ISDIR(st.st_mode)) return Errno::Notdir;
  write_filestat(out, &st);
  return Errno::Success;
}

Errno fn_path_filestat_set_times(Env& env, const rt::Slot* a) {
  timespec ts[2];
  if (Errno err = times_from(arg64(a, 4), arg64(a, 5), arg32(a, 6), ts); err != Errno::Success)
    return err;
  Resolved res;
  Errno err = lookup(env, arg32(a, 0), kRightPathFilestatSetTimes, Access::Write, arg32(a, 2),
                     arg32(a, 3), arg32(a, 1) & kLookupSymlinkFollow, nullptr, &res);
  if (err != Errno::Success) return err;
  return result(utimensat(res.dirfd, res.name.c_str(), ts, AT_SYMLINK_NOFOLLOW));
}

Errno fn_path_link(Env& env, const rt::Slot* a) {
  Resolved from, to;
  Errno err = lookup(env, arg32(a, 0), kRightPathLinkSource, Access::Read, arg32(a, 2), arg32(a, 3),
                     arg32(a, 1) & kLookupSymlinkFollow, nullptr, &from);
  if (err != Errno::Success) return err;
  err = lookup(env, arg32(a, 4), kRightPathLinkTarget, Access::Write, arg32(a, 5), arg32(a, 6),
               false, nullptr, &to);
  if (err != Errno::Success) return err;
  if (err = check_dir_path(from); err != Errno::Success) return err;
  if (err = check_new_link(to); err != Errno::Success) return err;
  // No AT_SYMLINK_FOLLOW: a final symlink is linked as itself.
  return result(linkat(from.dirfd, from.name.c_str(), to.dirfd, to.name.c_str(), 0));
}

Errno fn_path_readlink(Env& env, const rt::Slot* a) {
  uint32_t buf = arg32(a, 3), buf_len = arg32(a, 4), used_ptr = arg32(a, 5);
  uint8_t* out = env.at(buf, buf_len);
  if (!out || !env.in_range(used_ptr, 4)) return Errno::Fault;
  Resolved res;
  Errno err = lookup(env, arg32(a, 0), kRightPathReadlink, Access::Read, arg32(a, 1), arg32(a, 2),
                     false, nullptr, &res);
  if (err != Errno::Success) return err;
  std::vector<char> tmp(4097);
  ssize_t n = readlinkat(res.dirfd, res.name.c_str(), tmp.data(), tmp.size());
  if (n < 0) return last_error();
  size_t k = std::min<size_t>(static_cast<size_t>(n), buf_len);
  std::memcpy(out, tmp.data(), k);
  env.store<uint32_t>(used_ptr, static_cast<uint32_t>(k));
  return Errno::Success;
}

Errno fn_path_remove_directory(Env& env, const rt::Slot* a) {
  Resolved res;
  Errno err = lookup(env, arg32(a, 0), kRightPathRemoveDirectory, Access::Write, arg32(a, 1),
                     arg32(a, 2), false, nullptr, &res);
  if (err != Errno::Success) return err;
  if (res.name == ".") return Errno::Inval;
  return result(unlinkat(res.dirfd, res.name.c_str(), AT_REMOVEDIR));
}

Errno fn_path_rename(Env& env, const rt::Slot* a) {
  Resolved from, to;
  Errno err = lookup(env, arg32(a, 0), kRightPathRenameSource, Access::Write, arg32(a, 1),
                     arg32(a, 2), false, nullptr, &from);
  if (err != Errno::Success) return err;
  err = lookup(env, arg32(a, 3), kRightPathRenameTarget, Access::Write, arg32(a, 4), arg32(a, 5),
               false, nullptr, &to);
  if (err != Errno::Success) return err;
  if (from.name == "." || to.name == ".") return Errno::Busy;
  return result(renameat(from.dirfd, from.name.c_str(), to.dirfd, to.name.c_str()));
}

Errno fn_path_symlink(Env& env, const rt::Slot* a) {
  std::string target;
  if (Errno err = env.string(arg32(a, 0), arg32(a, 1), &target); err != Errno::Success) return err;
  if (target.find('\0') != std::string::npos) return Errno::Ilseq;
  if (target.empty()) return Errno::Noent;
  if (target[0] == '/') return Errno::Notcapable;  // never create a link out of the sandbox
  Resolved res;
  Errno err = lookup(env, arg32(a, 2), kRightPathSymlink, Access::Write, arg32(a, 3), arg32(a, 4),
                     false, nullptr, &res);
  if (err != Errno::Success) return err;
  if (err = check_new_link(res); err != Errno::Success) return err;
  return result(symlinkat(target.c_str(), res.dirfd, res.name.c_str()));
}

Errno fn_path_unlink_file(Env& env, const rt::Slot* a) {
  Resolved res;
  Errno err = lookup(env, arg32(a, 0), kRightPathUnlinkFile, Access::Write, arg32(a, 1),
                     arg32(a, 2), false, nullptr, &res);
  if (err != Errno::Success) return err;
  if (res.must_be_dir || res.name == ".") {
    struct stat st;
    if (fstatat(res.dirfd, res.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return last_error();
    return S_ISDIR(st.st_mode) ? Errno::Isdir : Errno::Notdir;
  }
  return result(unlinkat(res.dirfd, res.name.c_str(), 0));
}

}  // namespace ember::wasi

// Sandboxed path resolution beneath a directory fd.
//
// Every path a guest passes is resolved here before any host call touches
// it. The resolver walks the path one component at a time with
// openat(O_PATH | O_DIRECTORY | O_NOFOLLOW) relative to directory fds it
// holds, so a rename racing the walk can only swap what it sees for another
// directory that is still beneath the start. `..` pops the resolver's own
// stack (never asks the kernel), so it cannot climb above the start
// directory; absolute paths and symlinks with absolute targets are refused;
// symlinks are expanded by the resolver, not the kernel (at most 32).
//
// The caller then acts on (dirfd, name) with an *at() call that does not
// follow a final symlink (O_NOFOLLOW / AT_SYMLINK_NOFOLLOW / no
// AT_SYMLINK_FOLLOW), so nothing outside the start directory is reachable.
#pragma once

#include <string>
#include <string_view>

#include "wasi/context.hh"

namespace ember::wasi {

struct Resolved {
  HostFd owned;              // the parent directory, when it is not the start fd
  int dirfd = -1;            // parent directory of `name` (owned.get() or the start)
  std::string name;          // final component: a plain name or "."
  bool must_be_dir = false;  // the path ended with '/'
};

// Resolves `path` beneath `start`. With `follow_final`, a final symlink is
// expanded too (so `name` is never a symlink at resolution time).
Errno resolve_path(int start, std::string_view path, bool follow_final, Resolved* out);

}  // namespace ember::wasi

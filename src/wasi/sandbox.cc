// Sandboxed path resolution (see sandbox.hh for the rules it enforces).
#include "wasi/sandbox.hh"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <vector>

namespace ember::wasi {

namespace {

constexpr int kMaxSymlinks = 32;
constexpr size_t kMaxLinkTarget = 4096;

// Splits at '/', keeping empty components out; reports a trailing slash.
void split_into(std::string_view path, std::deque<std::string>* comps, bool front) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  if (front) {
    comps->insert(comps->begin(), parts.begin(), parts.end());
  } else {
    comps->insert(comps->end(), parts.begin(), parts.end());
  }
}

// The target of symlink `name` in `dir`; false if it is not a symlink.
bool read_link(int dir, const std::string& name, std::string* target, int* err) {
  std::vector<char> buf(kMaxLinkTarget + 1);
  ssize_t n = readlinkat(dir, name.c_str(), buf.data(), buf.size());
  if (n < 0) {
    *err = errno;
    return false;
  }
  if (static_cast<size_t>(n) > kMaxLinkTarget) {
    *err = ENAMETOOLONG;
    return false;
  }
  target->assign(buf.data(), static_cast<size_t>(n));
  return true;
}

class Walker {
 public:
  explicit Walker(int start) : start_(start) {}
  int cur() const { return stack_.empty() ? start_ : stack_.back().get(); }

  Errno run(std::string_view path, bool follow_final, Resolved* out);

 private:
  // Handles a component that did not open as a directory.
  Errno not_a_dir(const std::string& c, int err, bool last, bool follow, bool* expanded);

  int start_;
  std::vector<HostFd> stack_;
  std::deque<std::string> comps_;
  int links_ = 0;
};

Errno Walker::not_a_dir(const std::string& c, int err, bool last, bool follow, bool* expanded) {
  *expanded = false;
  if (err == ENOENT) return last ? Errno::Success : Errno::Noent;
  if (err != ELOOP && err != ENOTDIR) return errno_from_host(err);
  std::string target;
  int lerr = 0;
  if (!read_link(cur(), c, &target, &lerr)) {
    if (lerr == EINVAL) return last ? Errno::Success : Errno::Notdir;  // not a symlink
    return errno_from_host(lerr);
  }
  if (last && !follow) return Errno::Success;
  if (++links_ > kMaxSymlinks) return Errno::Loop;
  if (target.empty()) return Errno::Noent;
  if (target[0] == '/') return Errno::Notcapable;
  bool trailing = target.back() == '/';
  if (last && trailing) comps_.push_back(".");
  split_into(target, &comps_, true);
  *expanded = true;
  return Errno::Success;
}

Errno Walker::run(std::string_view path, bool follow_final, Resolved* out) {
  if (path.empty()) return Errno::Noent;
  if (path.front() == '/') return Errno::Notcapable;
  if (path.find('\0') != std::string_view::npos) return Errno::Ilseq;
  bool must_dir = path.back() == '/';
  split_into(path, &comps_, false);
  std::string final_name = ".";
  while (!comps_.empty()) {
    std::string c = std::move(comps_.front());
    comps_.pop_front();
    bool last = comps_.empty();
    if (c == ".") {
      if (last) final_name.assign(1, '.');  // (not = "."; GCC 12 -Wrestrict false positive)
      continue;
    }
    if (c == "..") {
      if (stack_.empty()) return Errno::Notcapable;
      stack_.pop_back();
      if (last) final_name.assign(1, '.');  // (not = "."; GCC 12 -Wrestrict false positive)
      continue;
    }
    bool follow = follow_final || must_dir;
    if (last && !follow) {
      final_name = c;
      break;
    }
    int fd = openat(cur(), c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      if (last) {
        close(fd);
        final_name = c;
        break;
      }
      stack_.emplace_back(fd);
      continue;
    }
    bool expanded = false;
    Errno e = not_a_dir(c, errno, last, follow, &expanded);
    if (e != Errno::Success) return e;
    if (!expanded) {  // last component: a file, or absent (to be created)
      final_name = c;
      break;
    }
  }
  out->must_be_dir = must_dir;
  out->name = final_name;
  if (stack_.empty()) {
    out->dirfd = start_;
  } else {
    out->owned = std::move(stack_.back());
    out->dirfd = out->owned.get();
  }
  return Errno::Success;
}

}  // namespace

Errno resolve_path(int start, std::string_view path, bool follow_final, Resolved* out) {
  Walker w(start);
  return w.run(path, follow_final, out);
}

}  // namespace ember::wasi

// WASI preview1: poll_oneoff (clock and fd subscriptions) and sock_* on
// sockets the embedder handed in (Config::sockets).
//
// poll_oneoff model: regular files, in-memory stdin and discarded/callback
// outputs are always ready; pipes, terminals and sockets are polled with
// ppoll(); clock subscriptions become one timeout (CPU-time clocks are
// treated as durations). At least one event is always reported.
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "wasi/context.hh"

namespace ember::wasi {

namespace {

struct Sub {
  uint64_t userdata = 0;
  uint8_t tag = 0;
  uint32_t clock_id = 0;
  uint64_t timeout = 0;
  uint16_t flags = 0;
  uint32_t fd = 0;
};

struct Event {
  uint64_t userdata;
  Errno error;
  uint8_t type;
  uint64_t nbytes;
  uint16_t flags;
};

Sub parse_sub(const Env& env, uint64_t p) {
  Sub s;
  env.load(p, &s.userdata);
  env.load(p + 8, &s.tag);
  if (s.tag == kEventClock) {
    env.load(p + 16, &s.clock_id);
    env.load(p + 24, &s.timeout);
    env.load(p + 40, &s.flags);
  } else {
    env.load(p + 16, &s.fd);
  }
  return s;
}

uint64_t now_ns(clockid_t c) {
  timespec ts{};
  clock_gettime(c, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Nanoseconds until a clock subscription fires; false for a bad clock id.
bool clock_remaining(const Sub& s, uint64_t* out) {
  static constexpr clockid_t kClocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                          CLOCK_THREAD_CPUTIME_ID};
  if (s.clock_id > 3) return false;
  if (!(s.flags & kSubclockAbstime)) {
    *out = s.timeout;
    return true;
  }
  uint64_t now = now_ns(kClocks[s.clock_id]);
  *out = s.timeout > now ? s.timeout - now : 0;
  return true;
}

// Readiness that needs no waiting; false when the fd must be polled.
bool immediate(Env& env, const Sub& s, Event* ev) {
  FdEntry* e = nullptr;
  *ev = Event{s.userdata, Errno::Success, s.tag, 0, 0};
  bool want_read = s.tag == kEventFdRead;
  uint64_t right = kRightPollFdReadwrite | (want_read ? kRightFdRead : kRightFdWrite);
  if (Errno err = env.fd(s.fd, right, &e); err != Errno::Success) {
    ev->error = err;
    return true;
  }
  switch (e->kind) {
    case FdKind::Bytes:
      ev->nbytes = e->bytes->size() - e->bytes_pos;
      if (ev->nbytes == 0) ev->flags = kEventFdHangup;
      return true;
    case FdKind::Sink:
      if (want_read) ev->flags = kEventFdHangup;
      return true;
    case FdKind::Callback: return true;
    case FdKind::File:
      if (e->filetype != kFiletypeRegularFile) return false;
      if (want_read) {
        struct stat st;
        off_t pos = lseek(e->host(), 0, SEEK_CUR);
        if (fstat(e->host(), &st) == 0 && pos >= 0 && st.st_size > pos)
          ev->nbytes = static_cast<uint64_t>(st.st_size - pos);
      }
      return true;
    case FdKind::HostStream: return false;
    default: ev->error = Errno::Badf; return true;
  }
}

Event polled_event(const Sub& s, const pollfd& p) {
  Event ev{s.userdata, Errno::Success, s.tag, 0, 0};
  if (p.revents & POLLNVAL) ev.error = Errno::Badf;
  else if (p.revents & POLLERR) ev.error = Errno::Io;
  if (p.revents & POLLHUP) ev.flags = kEventFdHangup;
  int avail = 0;
  if (s.tag == kEventFdRead && ioctl(p.fd, FIONREAD, &avail) == 0 && avail > 0)
    ev.nbytes = static_cast<uint64_t>(avail);
  return ev;
}

void write_event(const Env& env, uint64_t p, const Event& ev) {
  uint8_t rec[kEventSize] = {};
  uint16_t err = static_cast<uint16_t>(ev.error);
  std::memcpy(rec, &ev.userdata, 8);
  std::memcpy(rec + 8, &err, 2);
  rec[10] = ev.type;
  std::memcpy(rec + 16, &ev.nbytes, 8);
  std::memcpy(rec + 24, &ev.flags, 2);
  std::memcpy(env.base + p, rec, kEventSize);
}

}  // namespace

Errno fn_poll_oneoff(Env& env, const rt::Slot* a) {
  uint32_t in = arg32(a, 0), out = arg32(a, 1), n = arg32(a, 2), nev_ptr = arg32(a, 3);
  if (n == 0) return Errno::Inval;
  if (!env.in_range(in, uint64_t{n} * kSubscriptionSize) ||
      !env.in_range(out, uint64_t{n} * kEventSize) || !env.in_range(nev_ptr, 4))
    return Errno::Fault;
  std::vector<Sub> subs;
  subs.reserve(n);  // bounded by guest memory: n * 48 bytes were range-checked
  for (uint32_t i = 0; i < n; ++i)
    subs.push_back(parse_sub(env, in + uint64_t{i} * kSubscriptionSize));

  std::vector<Event> events;
  std::vector<pollfd> pfds;
  std::vector<size_t> pfd_sub;
  std::vector<std::pair<size_t, uint64_t>> clocks;  // (sub, remaining ns)
  uint64_t min_wait = UINT64_MAX;
  for (size_t i = 0; i < subs.size(); ++i) {
    const Sub& s = subs[i];
    if (s.tag == kEventClock) {
      uint64_t rem;
      if (!clock_remaining(s, &rem)) {
        events.push_back({s.userdata, Errno::Inval, kEventClock, 0, 0});
        continue;
      }
      clocks.emplace_back(i, rem);
      min_wait = std::min(min_wait, rem);
    } else if (s.tag == kEventFdRead || s.tag == kEventFdWrite) {
      Event ev;
      if (immediate(env, s, &ev)) {
        events.push_back(ev);
      } else {
        short want = s.tag == kEventFdRead ? POLLIN : POLLOUT;
        pfds.push_back({env.ctx.find(s.fd)->host(), want, 0});
        pfd_sub.push_back(i);
      }
    } else {
      return Errno::Inval;
    }
  }
  uint64_t start = now_ns(CLOCK_MONOTONIC);
  for (;;) {
    uint64_t elapsed = now_ns(CLOCK_MONOTONIC) - start;
    bool wait = events.empty();
    uint64_t left = !wait                    ? 0
                    : min_wait == UINT64_MAX ? UINT64_MAX
                    : min_wait > elapsed     ? min_wait - elapsed
                                             : 0;
    timespec ts{static_cast<time_t>(left / 1000000000ull), static_cast<long>(left % 1000000000ull)};
    if (!pfds.empty() || left > 0) {
      int r = ppoll(pfds.data(), pfds.size(), left == UINT64_MAX ? nullptr : &ts, nullptr);
      if (r < 0 && errno != EINTR) return last_error();
      for (size_t k = 0; r > 0 && k < pfds.size(); ++k) {
        if (pfds[k].revents) events.push_back(polled_event(subs[pfd_sub[k]], pfds[k]));
      }
    }
    elapsed = now_ns(CLOCK_MONOTONIC) - start;
    for (const auto& [i, rem] : clocks) {
      if (rem <= elapsed) events.push_back({subs[i].userdata, Errno::Success, kEventClock, 0, 0});
    }
    if (!events.empty()) break;
  }
  size_t count = std::min<size_t>(events.size(), n);
  for (size_t k = 0; k < count; ++k) write_event(env, out + uint64_t{k} * kEventSize, events[k]);
  env.store<uint32_t>(nev_ptr, static_cast<uint32_t>(count));
  return Errno::Success;
}

// ---- sockets --------------------------------------------------------------------------

namespace {

// The socket `fd` with `rights`. A file, directory or stream is ENOTSOCK
// before any rights check (it never holds the sock_* rights), as wasmtime.
Errno socket_fd(Env& env, uint32_t fd, uint64_t rights, FdEntry** e) {
  FdEntry* found = env.ctx.find(fd);
  if (!found) return Errno::Badf;
  uint8_t t = found->filetype;
  if (t != kFiletypeSocketStream && t != kFiletypeSocketDgram) return Errno::Notsock;
  return env.fd(fd, rights, e);
}

}  // namespace

Errno fn_sock_accept(Env& env, const rt::Slot* a) {
  uint32_t flags = arg32(a, 1), fd_out = arg32(a, 2);
  if (flags & ~uint32_t{kFdflagNonblock}) return Errno::Inval;
  FdEntry* e;
  if (Errno err = socket_fd(env, arg32(a, 0), kRightSockAccept, &e); err != Errno::Success)
    return err;
  if (!env.in_range(fd_out, 4)) return Errno::Fault;
  int s = accept4(e->host(), nullptr, nullptr,
                  SOCK_CLOEXEC | ((flags & kFdflagNonblock) ? SOCK_NONBLOCK : 0));
  if (s < 0) return last_error();
  auto ne = std::make_unique<FdEntry>();
  ne->kind = FdKind::File;
  ne->fd = HostFd(s);
  ne->filetype = kFiletypeSocketStream;
  ne->rights_base = kRightsSocket & ~kRightSockAccept;
  ne->readable = ne->writable = true;
  ne->fdflags = static_cast<uint16_t>(flags);
  uint32_t num = 0;
  if (Errno err = env.ctx.insert(std::move(ne), &num); err != Errno::Success) return err;
  env.store<uint32_t>(fd_out, num);
  return Errno::Success;
}

Errno fn_sock_recv(Env& env, const rt::Slot* a) {
  uint32_t ri_flags = arg32(a, 3), len_ptr = arg32(a, 4), flags_ptr = arg32(a, 5);
  if (ri_flags & ~uint32_t{kRiRecvPeek | kRiRecvWaitall}) return Errno::Inval;
  FdEntry* e;
  if (Errno err = socket_fd(env, arg32(a, 0), kRightFdRead, &e); err != Errno::Success) return err;
  std::vector<IoSpan> spans;
  if (Errno err = read_iovecs(env, arg32(a, 1), arg32(a, 2), &spans); err != Errno::Success)
    return err;
  if (!env.in_range(len_ptr, 4) || !env.in_range(flags_ptr, 2)) return Errno::Fault;
  std::vector<iovec> iov;
  for (const IoSpan& s : spans) iov.push_back({s.ptr, s.len});
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  int fl =
      ((ri_flags & kRiRecvPeek) ? MSG_PEEK : 0) | ((ri_flags & kRiRecvWaitall) ? MSG_WAITALL : 0);
  ssize_t r;
  do {
    r = recvmsg(e->host(), &msg, fl);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return last_error();
  env.store<uint32_t>(len_ptr, static_cast<uint32_t>(r));
  env.store<uint16_t>(flags_ptr, (msg.msg_flags & MSG_TRUNC) ? kRoRecvDataTruncated : 0);
  return Errno::Success;
}

Errno fn_sock_send(Env& env, const rt::Slot* a) {
  uint32_t len_ptr = arg32(a, 4);
  FdEntry* e;
  if (Errno err = socket_fd(env, arg32(a, 0), kRightFdWrite, &e); err != Errno::Success) return err;
  if (arg32(a, 3) != 0) return Errno::Inval;  // no siflags are defined
  std::vector<IoSpan> spans;
  if (Errno err = read_iovecs(env, arg32(a, 1), arg32(a, 2), &spans); err != Errno::Success)
    return err;
  if (!env.in_range(len_ptr, 4)) return Errno::Fault;
  std::vector<iovec> iov;
  for (const IoSpan& s : spans) iov.push_back({s.ptr, s.len});
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  ssize_t r;
  do {
    r = sendmsg(e->host(), &msg, MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return last_error();
  env.store<uint32_t>(len_ptr, static_cast<uint32_t>(r));
  return Errno::Success;
}

Errno fn_sock_shutdown(Env& env, const rt::Slot* a) {
  FdEntry* e;
  if (Errno err = socket_fd(env, arg32(a, 0), kRightSockShutdown, &e); err != Errno::Success)
    return err;
  int how;
  switch (arg32(a, 1)) {
    case kSdRd: how = SHUT_RD; break;
    case kSdWr: how = SHUT_WR; break;
    case kSdRd | kSdWr: how = SHUT_RDWR; break;
    default: return Errno::Inval;
  }
  return shutdown(e->host(), how) == 0 ? Errno::Success : last_error();
}

}  // namespace ember::wasi

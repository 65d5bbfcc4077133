// WASI preview1: args/environ, clocks, random, process control.
#include <sched.h>
#include <sys/random.h>
#include <time.h>

#include <cerrno>

#include "wasi/context.hh"

namespace ember::wasi {

namespace {

// Writes `strs` as NUL-terminated strings into `buf` and their addresses into
// the pointer array at `ptrs`.
Errno put_strings(const Env& env, const std::vector<std::string>& strs, uint32_t ptrs,
                  uint32_t buf) {
  uint64_t total = 0;
  for (const auto& s : strs) total += s.size() + 1;
  if (!env.in_range(ptrs, uint64_t{strs.size()} * 4) || !env.in_range(buf, total))
    return Errno::Fault;
  uint64_t off = buf;
  for (size_t i = 0; i < strs.size(); ++i) {
    env.store<uint32_t>(ptrs + uint64_t{i} * 4, static_cast<uint32_t>(off));
    std::memcpy(env.base + off, strs[i].c_str(), strs[i].size() + 1);
    off += strs[i].size() + 1;
  }
  return Errno::Success;
}

Errno put_sizes(const Env& env, const std::vector<std::string>& strs, uint32_t count_ptr,
                uint32_t size_ptr) {
  uint64_t total = 0;
  for (const auto& s : strs) total += s.size() + 1;
  if (total > UINT32_MAX) return Errno::Overflow;
  if (!env.in_range(count_ptr, 4) || !env.in_range(size_ptr, 4)) return Errno::Fault;
  env.store<uint32_t>(count_ptr, static_cast<uint32_t>(strs.size()));
  env.store<uint32_t>(size_ptr, static_cast<uint32_t>(total));
  return Errno::Success;
}

bool host_clock(uint32_t id, clockid_t* out) {
  switch (id) {
    case kClockRealtime: *out = CLOCK_REALTIME; return true;
    case kClockMonotonic: *out = CLOCK_MONOTONIC; return true;
    case kClockProcessCputime: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case kClockThreadCputime: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

uint64_t to_ns(const timespec& t) {
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

}  // namespace

Errno fn_args_get(Env& env, const rt::Slot* a) {
  return put_strings(env, env.ctx.args, arg32(a, 0), arg32(a, 1));
}
Errno fn_args_sizes_get(Env& env, const rt::Slot* a) {
  return put_sizes(env, env.ctx.args, arg32(a, 0), arg32(a, 1));
}
Errno fn_environ_get(Env& env, const rt::Slot* a) {
  return put_strings(env, env.ctx.env, arg32(a, 0), arg32(a, 1));
}
Errno fn_environ_sizes_get(Env& env, const rt::Slot* a) {
  return put_sizes(env, env.ctx.env, arg32(a, 0), arg32(a, 1));
}

Errno fn_clock_res_get(Env& env, const rt::Slot* a) {
  clockid_t id;
  if (!host_clock(arg32(a, 0), &id)) return Errno::Inval;
  timespec ts{};
  if (clock_getres(id, &ts) != 0) return last_error();
  if (!env.store<uint64_t>(arg32(a, 1), to_ns(ts))) return Errno::Fault;
  return Errno::Success;
}

Errno fn_clock_time_get(Env& env, const rt::Slot* a) {
  clockid_t id;
  if (!host_clock(arg32(a, 0), &id)) return Errno::Inval;
  timespec ts{};
  if (clock_gettime(id, &ts) != 0) return last_error();
  if (!env.store<uint64_t>(arg32(a, 2), to_ns(ts))) return Errno::Fault;
  return Errno::Success;
}

Errno fn_random_get(Env& env, const rt::Slot* a) {
  uint8_t* p = env.at(arg32(a, 0), arg32(a, 1));
  if (!p) return Errno::Fault;
  size_t left = arg32(a, 1);
  while (left > 0) {
    ssize_t n = getrandom(p, left, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Errno::Success;
}

Errno fn_proc_exit(Env& env, const rt::Slot* a) {
  if (env.call.store) env.call.store->exit_code = static_cast<int32_t>(arg32(a, 0));
  env.trap = TrapCode::Exit;
  return Errno::Success;
}

// A single-process model of raise(): signals whose default action is to
// ignore or stop do nothing; the others end the program as if it had exited
// with 128 + signal (the shell's convention).
Errno fn_proc_raise(Env& env, const rt::Slot* a) {
  uint32_t sig = arg32(a, 0);
  if (sig > 30) return Errno::Inval;
  switch (sig) {
    case 0:   // none
    case 16:  // chld
    case 17:  // cont
    case 18:
    case 19:
    case 20:
    case 21:  // stop, tstp, ttin, ttou
    case 22:  // urg
    case 27:  // winch
      return Errno::Success;
    default:
      if (env.call.store) env.call.store->exit_code = static_cast<int32_t>(128 + sig);
      env.trap = TrapCode::Exit;
      return Errno::Success;
  }
}

Errno fn_sched_yield(Env&, const rt::Slot*) {
  sched_yield();
  return Errno::Success;
}

}  // namespace ember::wasi

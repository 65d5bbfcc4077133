// WASI 0.2: wasi:io (error, poll, streams), wasi:cli, wasi:clocks and
// wasi:random. Streams read and write host files at a position, or the
// preview-1 context's stdio entries (so stdin bytes, output callbacks,
// inherited and file stdio behave as in preview 1).
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "wasip2/wasip2.hh"

namespace ember::wasip2 {

namespace {

using Args = std::span<const Value>;
using component::HostFunc;

// The most one read returns, and the write budget check-write grants.
constexpr uint64_t kMaxRead = 1 << 20;
constexpr uint64_t kWriteBudget = 1 << 20;
// The most a guest writes into one HTTP request body.
constexpr uint64_t kMaxPipeBody = uint64_t{1} << 30;

// Sleeps towards the monotonic instant `until` (at most a second at a time).
void nap(uint64_t until) {
  uint64_t now = monotonic_now();
  if (until > now)
    std::this_thread::sleep_for(
        std::chrono::nanoseconds(std::min<uint64_t>(until - now, 1000000000)));
}

Stream& stream_at(State& s, const Value& handle) {
  return entry(s.streams, handle, "stream");
}

Value new_pollable(State& s, uint64_t deadline) {
  uint32_t r = s.rep();
  s.pollables[r] = Pollable{deadline, {}};
  return own(Res::Pollable, r);
}

Value new_stream(State& s, Stream st, Res kind) {
  uint32_t r = s.rep();
  s.streams[r] = std::move(st);
  return own(kind, r);
}

std::string errno_text(wasi::Errno e) {
  return std::string("stream failed: ") + wasi::errno_name(uint16_t(e));
}

// Reads from a pipe what is there (waiting for some when `blocking`).
Value read_pipe(State& s, Stream& st, uint64_t len, bool blocking) {
  Pipe& p = *st.pipe;
  std::unique_lock lock(p.m);
  if (blocking) p.cv.wait(lock, [&] { return !p.data.empty() || p.eof || !p.error.empty(); });
  if (p.data.empty() && !p.error.empty()) {
    st.closed = true;
    std::string e = p.error;
    lock.unlock();
    return stream_failed(s, std::move(e));
  }
  if (p.data.empty() && p.eof) {
    st.closed = true;
    return stream_closed();
  }
  size_t n = size_t(std::min<uint64_t>({len, kMaxRead, p.data.size()}));
  std::string out = p.data.substr(0, n);
  p.data.erase(0, n);
  p.cv.notify_all();  // the writer may wait for room
  return ok(str(std::move(out)));
}

// Appends to a pipe (the guest writes an HTTP request body).
Value write_pipe(State& s, Stream& st, std::string_view data) {
  Pipe& p = *st.pipe;
  std::lock_guard lock(p.m);
  if (p.eof || !p.error.empty()) return stream_closed();
  if (p.written + data.size() > kMaxPipeBody) {
    p.error = "the request body is larger than Ember sends (1 GiB)";
    p.cv.notify_all();
    return stream_failed(s, p.error);
  }
  p.data.append(data);
  p.written += data.size();
  p.cv.notify_all();
  return ok();
}

// Reads up to `len` bytes: ok(bytes), or err(closed) at the end (files and
// stdio block whatever `blocking` says).
Value read_some(State& s, Stream& st, uint64_t len, bool blocking) {
  if (st.closed) return stream_closed();
  if (st.pipe) return read_pipe(s, st, len, blocking);
  std::string buf(std::min(len, kMaxRead), '\0');
  if (buf.empty()) return ok(str({}));
  uint64_t got = 0;
  if (st.file) {
    ssize_t r;
    do {
      r = pread(st.file->get(), buf.data(), buf.size(), off_t(st.position));
    } while (r < 0 && errno == EINTR);
    if (r < 0) return stream_failed(s, errno_text(wasi::last_error()));
    got = uint64_t(r);
    st.position += got;
  } else {
    wasi::FdEntry* e = s.ctx->find(uint32_t(st.stdio));
    if (!e) return stream_closed();
    std::vector<wasi::IoSpan> spans{{reinterpret_cast<uint8_t*>(buf.data()), uint32_t(buf.size())}};
    if (wasi::Errno err = wasi::entry_read(*e, spans, -1, &got); err != wasi::Errno::Success)
      return stream_failed(s, errno_text(err));
  }
  if (got == 0) {
    st.closed = true;
    return stream_closed();
  }
  buf.resize(got);
  return ok(str(std::move(buf)));
}

// Writes all of `data`: ok(), or a stream-error.
Value write_all(State& s, Stream& st, std::string_view data) {
  if (st.closed) return stream_closed();
  if (st.pipe) return write_pipe(s, st, data);
  size_t done = 0;
  while (done < data.size()) {
    uint64_t n = 0;
    if (st.file) {
      if (st.append) {
        struct stat sb;
        if (fstat(st.file->get(), &sb) != 0)
          return stream_failed(s, errno_text(wasi::last_error()));
        st.position = uint64_t(sb.st_size);
      }
      ssize_t r;
      do {
        r = pwrite(st.file->get(), data.data() + done, data.size() - done, off_t(st.position));
      } while (r < 0 && errno == EINTR);
      if (r < 0) return stream_failed(s, errno_text(wasi::last_error()));
      n = uint64_t(r);
      st.position += n;
    } else {
      wasi::FdEntry* e = s.ctx->find(uint32_t(st.stdio));
      if (!e) return stream_closed();
      auto* p = reinterpret_cast<uint8_t*>(const_cast<char*>(data.data() + done));
      uint32_t len = uint32_t(std::min<size_t>(data.size() - done, 1u << 30));
      std::vector<wasi::IoSpan> spans{{p, len}};
      if (wasi::Errno err = wasi::entry_write(*e, spans, -1, &n); err != wasi::Errno::Success)
        return stream_failed(s, errno_text(err));
    }
    if (n == 0) return stream_failed(s, "stream failed: the output took no bytes");
    done += n;
  }
  return ok();
}

template <typename F>
std::pair<std::string, HostFunc> fn(const char* name, F f) {
  return {name, [f](StoreContext cx, const FuncType& ft, Args a) -> std::optional<Value> {
            return f(cx, ft, a);
          }};
}

}  // namespace

uint64_t monotonic_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

Value pollable_when(State& s, std::function<bool()> ready) {
  uint32_t r = s.rep();
  s.pollables[r] = Pollable{0, std::move(ready)};
  return own(Res::Pollable, r);
}

Value pipe_stream(State& s, std::shared_ptr<Pipe> pipe, bool output) {
  Stream st;
  st.pipe = std::move(pipe);
  st.pipe_output = output;
  return new_stream(s, std::move(st), output ? Res::OutputStream : Res::InputStream);
}

Funcs io_error_funcs() {
  Funcs v;
  v.push_back(fn("[method]error.to-debug-string", [](StoreContext cx, const FuncType&, Args a) {
    State& s = state(cx);
    return str(entry(s.errors, arg(a, 0), "error"));
  }));
  return v;
}

Funcs io_poll_funcs() {
  Funcs v;
  auto ready = [](State& s, const Value& h) {
    const Pollable& p = entry(s.pollables, h, "pollable");
    return p.ready ? p.ready() : p.deadline <= monotonic_now();
  };
  // When to look again: a pollable that is not a clock is asked each ms.
  auto deadline = [](State& s, const Value& h) {
    const Pollable& p = s.pollables.at(rep_of(h));
    return p.ready ? monotonic_now() + 1000000 : p.deadline;
  };
  v.push_back(fn("[method]pollable.ready", [ready](StoreContext cx, const FuncType&, Args a) {
    return Value::of(ready(state(cx), arg(a, 0)));
  }));
  v.push_back(
      fn("[method]pollable.block", [ready, deadline](StoreContext cx, const FuncType&, Args a) {
        State& s = state(cx);
        while (!ready(s, arg(a, 0))) nap(deadline(s, arg(a, 0)));
        return std::optional<Value>();
      }));
  v.push_back(fn("poll", [ready, deadline](StoreContext cx, const FuncType&, Args a) {
    State& s = state(cx);
    const std::vector<Value>& in = arg(a, 0).items;
    if (in.empty()) throw Trap("wasi: poll: the list of pollables is empty");
    for (;;) {
      std::vector<Value> out;
      uint64_t soonest = UINT64_MAX;
      for (size_t i = 0; i < in.size(); i++) {
        if (ready(s, in[i])) out.push_back(Value::of(i));
        soonest = std::min(soonest, deadline(s, in[i]));
      }
      if (!out.empty()) return Value::of_items(std::move(out));
      nap(soonest);
    }
  }));
  return v;
}

Funcs io_streams_funcs() {
  Funcs v;
  // read, skip: what is there (a pipe may have nothing yet); blocking-*:
  // at least a byte or the end.
  auto read = [](bool blocking) {
    return [blocking](StoreContext cx, const FuncType&, Args a) {
      State& s = state(cx);
      return read_some(s, stream_at(s, arg(a, 0)), arg(a, 1).num, blocking);
    };
  };
  auto skip = [](bool blocking) {
    return [blocking](StoreContext cx, const FuncType&, Args a) {
      State& s = state(cx);
      Value r = read_some(s, stream_at(s, arg(a, 0)), arg(a, 1).num, blocking);
      if (r.num == 0) r.items[0] = Value::of(r.items[0].bytes.size());
      return r;
    };
  };
  auto subscribe = [](StoreContext cx, const FuncType&, Args a) {
    State& s = state(cx);
    Stream& st = stream_at(s, arg(a, 0));
    if (st.pipe && !st.pipe_output)
      return pollable_when(s, [p = st.pipe] {
        std::lock_guard lock(p->m);
        return !p->data.empty() || p->eof || !p->error.empty();
      });
    return new_pollable(s, 0);  // files, stdio and request bodies are always ready
  };
  v.push_back(fn("[method]input-stream.read", read(false)));
  v.push_back(fn("[method]input-stream.blocking-read", read(true)));
  v.push_back(fn("[method]input-stream.skip", skip(false)));
  v.push_back(fn("[method]input-stream.blocking-skip", skip(true)));
  v.push_back(fn("[method]input-stream.subscribe", subscribe));
  v.push_back(fn("[method]output-stream.subscribe", subscribe));
  v.push_back(fn("[method]output-stream.check-write", [](StoreContext cx, const FuncType&, Args a) {
    State& s = state(cx);
    return stream_at(s, arg(a, 0)).closed ? stream_closed() : ok(u64(kWriteBudget));
  }));
  auto write = [](StoreContext cx, const FuncType&, Args a) {
    State& s = state(cx);
    return write_all(s, stream_at(s, arg(a, 0)), arg(a, 1).bytes);
  };
  v.push_back(fn("[method]output-stream.write", write));
  v.push_back(fn("[method]output-stream.blocking-write-and-flush", write));
  auto zeroes = [](StoreContext cx, const FuncType&, Args a) {
    State& s = state(cx);
    if (arg(a, 1).num > kWriteBudget)
      return stream_failed(s, "write-zeroes: over the write budget");
    return write_all(s, stream_at(s, arg(a, 0)), std::string(arg(a, 1).num, '\0'));
  };
  v.push_back(fn("[method]output-stream.write-zeroes", zeroes));
  v.push_back(fn("[method]output-stream.blocking-write-zeroes-and-flush", zeroes));
  auto flush = [](StoreContext cx, const FuncType&, Args a) {
    State& s = state(cx);
    return stream_at(s, arg(a, 0)).closed ? stream_closed() : ok();
  };
  v.push_back(fn("[method]output-stream.flush", flush));
  v.push_back(fn("[method]output-stream.blocking-flush", flush));
  auto splice = [](bool blocking) {
    return [blocking](StoreContext cx, const FuncType&, Args a) {
      State& s = state(cx);
      Stream& out = stream_at(s, arg(a, 0));
      Value r = read_some(s, stream_at(s, arg(a, 1)), arg(a, 2).num, blocking);
      if (r.num != 0) return r;
      std::string data = std::move(r.items[0].bytes);
      Value w = write_all(s, out, data);
      return w.num != 0 ? w : ok(u64(data.size()));
    };
  };
  v.push_back(fn("[method]output-stream.splice", splice(false)));
  v.push_back(fn("[method]output-stream.blocking-splice", splice(true)));
  return v;
}

Funcs cli_funcs(const std::string& iface) {
  Funcs v;
  if (iface == "environment") {
    v.push_back(fn("get-environment", [](StoreContext cx, const FuncType&, Args) {
      std::vector<Value> out;
      for (const std::string& kv : state(cx).ctx->env) {
        size_t eq = kv.find('=');
        std::string k = kv.substr(0, eq), val = eq == std::string::npos ? "" : kv.substr(eq + 1);
        out.push_back(tuple({str(std::move(k)), str(std::move(val))}));
      }
      return Value::of_items(std::move(out));
    }));
    v.push_back(fn("get-arguments", [](StoreContext cx, const FuncType&, Args) {
      std::vector<Value> out;
      for (const std::string& arg : state(cx).ctx->args) out.push_back(str(arg));
      return Value::of_items(std::move(out));
    }));
    v.push_back(
        fn("initial-cwd", [](StoreContext, const FuncType&, Args) -> Value { return none(); }));
  } else if (iface == "exit") {
    v.push_back(fn("exit", [](StoreContext, const FuncType&, Args a) -> std::optional<Value> {
      throw Trap(TrapCode::Exit, {}, arg(a, 0).num == 0 ? 0 : 1);
    }));
    v.push_back(
        fn("exit-with-code", [](StoreContext, const FuncType&, Args a) -> std::optional<Value> {
          throw Trap(TrapCode::Exit, {}, int32_t(uint8_t(arg(a, 0).num)));
        }));
  } else if (iface == "stdin" || iface == "stdout" || iface == "stderr") {
    int fd = iface == "stdin" ? 0 : iface == "stdout" ? 1 : 2;
    Res kind = fd == 0 ? Res::InputStream : Res::OutputStream;
    v.push_back(fn(fd == 0   ? "get-stdin"
                   : fd == 1 ? "get-stdout"
                             : "get-stderr",
                   [fd, kind](StoreContext cx, const FuncType&, Args) {
                     Stream st;
                     st.stdio = fd;
                     return new_stream(state(cx), std::move(st), kind);
                   }));
  } else {
    // terminal-stdin/-stdout/-stderr: Ember presents no terminal.
    std::string name = "get-" + iface;
    v.emplace_back(
        name, [](StoreContext, const FuncType&, Args) -> std::optional<Value> { return none(); });
  }
  return v;
}

Funcs clock_funcs(const std::string& iface) {
  Funcs v;
  auto datetime = [](clockid_t id, bool res) {
    timespec ts;
    if (res) clock_getres(id, &ts);
    else clock_gettime(id, &ts);
    return Value::of_items({Value::of(uint64_t(ts.tv_sec)), Value::of(uint64_t(ts.tv_nsec))});
  };
  if (iface == "wall-clock") {
    v.push_back(fn("now", [datetime](StoreContext, const FuncType&, Args) {
      return datetime(CLOCK_REALTIME, false);
    }));
    v.push_back(fn("resolution", [datetime](StoreContext, const FuncType&, Args) {
      return datetime(CLOCK_REALTIME, true);
    }));
    return v;
  }
  v.push_back(fn("now", [](StoreContext, const FuncType&, Args) { return u64(monotonic_now()); }));
  v.push_back(fn("resolution", [](StoreContext, const FuncType&, Args) {
    timespec ts;
    clock_getres(CLOCK_MONOTONIC, &ts);
    return u64(uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec));
  }));
  v.push_back(fn("subscribe-instant", [](StoreContext cx, const FuncType&, Args a) {
    return new_pollable(state(cx), arg(a, 0).num);
  }));
  v.push_back(fn("subscribe-duration", [](StoreContext cx, const FuncType&, Args a) {
    uint64_t now = monotonic_now();
    uint64_t when = arg(a, 0).num > UINT64_MAX - now ? UINT64_MAX : now + arg(a, 0).num;
    return new_pollable(state(cx), std::max<uint64_t>(when, 1));
  }));
  return v;
}

namespace {

std::string random_bytes(uint64_t len) {
  if (len > (uint64_t{1} << 26)) throw Trap("wasi: random: more than 64 MiB asked for at once");
  std::string out(len, '\0');
  size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(out.data() + done, len - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Trap("wasi: random: the host's getrandom failed");
    done += size_t(n);
  }
  return out;
}

uint64_t random_u64() {
  std::string b = random_bytes(8);
  uint64_t x;
  std::memcpy(&x, b.data(), 8);
  return x;
}

}  // namespace

Funcs random_funcs(const std::string& iface) {
  Funcs v;
  auto bytes = [](StoreContext, const FuncType&, Args a) {
    return str(random_bytes(arg(a, 0).num));
  };
  auto number = [](StoreContext, const FuncType&, Args) { return u64(random_u64()); };
  if (iface == "random") {
    v.push_back(fn("get-random-bytes", bytes));
    v.push_back(fn("get-random-u64", number));
  } else if (iface == "insecure") {
    v.push_back(fn("get-insecure-random-bytes", bytes));
    v.push_back(fn("get-insecure-random-u64", number));
  } else {
    v.push_back(fn("insecure-seed", [](StoreContext, const FuncType&, Args) {
      return tuple({u64(random_u64()), u64(random_u64())});
    }));
  }
  return v;
}

}  // namespace ember::wasip2

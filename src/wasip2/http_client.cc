// wasi:http: one HTTP/1.1 exchange on a thread of its own. The thread
// waits for the request body to be finished, connects (DNS, TCP), sends
// the request, reads the response head, hands the response to the store,
// then streams the body into the response's pipe as fast as the guest
// reads it. `HTTPS` requests speak TLS (http_tls.cc) on the same socket.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <system_error>
#include <thread>

#include "wasip2/http.hh"

namespace ember::wasip2 {

namespace {

// The guest gave up on the exchange: end quietly.
struct Cancelled {};

constexpr uint64_t kDefaultTimeout = 600ull * 1000000000ull;  // as the package: 10 min
constexpr size_t kMaxHead = 64 * 1024;                        // a response's header section
constexpr int kSliceMs = 100;                                 // how often a wait looks up

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) b++;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) e--;
  return std::string(s.substr(b, e - b));
}

class Socket {
 public:
  explicit Socket(Exchange& x) : x_(x) {}
  ~Socket() {
    tls_.reset();
    if (fd_ >= 0) close(fd_);
  }

  void connect_to(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      HttpError e{"DNS-error", HttpError::Payload::Dns, gai_strerror(rc), {}};
      throw e;
    }
    // (freed however the loop ends: a wait below throws when cancelled)
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(found, freeaddrinfo);
    uint64_t limit = x_.timeouts.connect.value_or(kDefaultTimeout);
    uint64_t deadline = monotonic_now() + limit;
    int last = ECONNREFUSED;
    for (addrinfo* a = list.get(); a; a = a->ai_next) {
      int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
        fd_ = fd;
        if (wait(POLLOUT, deadline)) {
          int err = 0;
          socklen_t len = sizeof err;
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
          if (err == 0) break;
          last = err;
        } else {
          last = ETIMEDOUT;
        }
        fd_ = -1;
      } else {
        last = errno;
      }
      close(fd);
    }
    if (fd_ >= 0) return;
    if (last == ETIMEDOUT) throw HttpError::of("connection-timeout");
    if (last == ECONNREFUSED) throw HttpError::of("connection-refused");
    if (last == ENETUNREACH || last == EHOSTUNREACH)
      throw HttpError::of("destination-IP-unroutable");
    throw HttpError::of("destination-unavailable");
  }

  // Speaks TLS from now on (an https request).
  void start_tls(const std::string& host) {
    uint64_t deadline = monotonic_now() + x_.timeouts.connect.value_or(kDefaultTimeout);
    tls_ = Tls::connect(fd_, host, [&](short events) {
      if (!wait(events, deadline)) throw HttpError::of("connection-timeout");
    });
  }

  void send_all(std::string_view data) {
    uint64_t between = x_.timeouts.between_bytes.value_or(kDefaultTimeout);
    while (tls_ && !data.empty()) {
      data.remove_prefix(tls_->write(data, [&](short events) {
        if (!wait(events, monotonic_now() + between))
          throw HttpError::of("connection-write-timeout");
      }));
    }
    while (!data.empty()) {
      if (!wait(POLLOUT, monotonic_now() + between))
        throw HttpError::of("connection-write-timeout");
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) throw HttpError::of("connection-terminated");
      data.remove_prefix(size_t(n));
    }
  }

  // Reads more into the buffer; false at the end of the connection.
  bool fill(uint64_t timeout, const char* timeout_case) {
    char tmp[16384];
    if (tls_) {
      size_t n = tls_->read(tmp, sizeof tmp, [&](short events) {
        if (!wait(events, monotonic_now() + timeout)) throw HttpError::of(timeout_case);
      });
      buf.append(tmp, n);
      return n > 0;
    }
    for (;;) {
      if (!wait(POLLIN, monotonic_now() + timeout)) throw HttpError::of(timeout_case);
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) throw HttpError::of("connection-terminated");
      buf.append(tmp, size_t(n));
      return n > 0;
    }
  }

  std::string buf;  // read and not yet used

 private:
  // Waits until the socket is ready for `events`; false at the deadline.
  bool wait(short events, uint64_t deadline) {
    for (;;) {
      if (x_.cancelled.load()) throw Cancelled{};
      uint64_t now = monotonic_now();
      if (now >= deadline) return false;
      int ms = int(std::min<uint64_t>((deadline - now) / 1000000 + 1, kSliceMs));
      pollfd p{fd_, events, 0};
      int r = poll(&p, 1, ms);
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return true;  // the next call reports it
    }
  }

  Exchange& x_;
  int fd_ = -1;
  std::unique_ptr<Tls> tls_;  // an https connection's
};

// The wire name of the request's method.
std::string method_of(const Request& r) {
  if (r.method == "other") return r.method_other;
  std::string m = r.method;
  for (char& c : m) c = char(c - 'a' + 'A');
  return m;
}

// host and port of an authority ("host", "host:port", "[v6]:port",
// "user@host").
std::pair<std::string, std::string> host_port(std::string a, const char* default_port) {
  if (size_t at = a.rfind('@'); at != std::string::npos) a = a.substr(at + 1);
  std::string host = a, port = default_port;
  if (!a.empty() && a[0] == '[') {
    size_t close = a.find(']');
    if (close == std::string::npos) throw HttpError::of("HTTP-request-URI-invalid");
    host = a.substr(1, close - 1);
    if (close + 1 < a.size()) {
      if (a[close + 1] != ':') throw HttpError::of("HTTP-request-URI-invalid");
      port = a.substr(close + 2);
    }
  } else if (size_t colon = a.rfind(':'); colon != std::string::npos) {
    host = a.substr(0, colon);
    port = a.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos)
    throw HttpError::of("HTTP-request-URI-invalid");
  return {host, port};
}

// Waits until the guest finished (or abandoned) the request body.
std::string take_body(Exchange& x) {
  if (!x.request.body) return {};
  Pipe& p = *x.request.body;
  std::unique_lock lock(p.m);
  while (!p.eof && p.error.empty()) {
    if (x.cancelled.load()) throw Cancelled{};
    p.cv.wait_for(lock, std::chrono::milliseconds(kSliceMs));
  }
  if (!p.error.empty()) throw HttpError::internal(p.error);
  return std::move(p.data);
}

std::string request_head(const Request& r, size_t body_size) {
  std::string h = method_of(r) + " " + r.path.value_or("/") + " HTTP/1.1\r\n";
  h += "host: " + *r.authority + "\r\n";
  for (const auto& [k, v] : r.headers.entries) h += k + ": " + v + "\r\n";
  if (!r.headers.find("content-length") && (r.body || body_size > 0))
    h += "content-length: " + std::to_string(body_size) + "\r\n";
  h += "connection: close\r\n\r\n";
  return h;
}

// Reads the status line and headers of the response (skipping 1xx).
Response read_head(Exchange& x, Socket& s) {
  uint64_t first = x.timeouts.first_byte.value_or(kDefaultTimeout);
  for (;;) {
    size_t end;
    while ((end = s.buf.find("\r\n\r\n")) == std::string::npos) {
      if (s.buf.size() > kMaxHead) {
        HttpError e{"HTTP-response-header-section-size", HttpError::Payload::OptU64, {}, {}};
        throw e;
      }
      // A first byte that does not come is a read timeout, as in the package.
      if (!s.fill(first, "connection-read-timeout"))
        throw HttpError::of("HTTP-response-incomplete");
    }
    std::string head = s.buf.substr(0, end);
    s.buf.erase(0, end + 4);
    size_t eol = head.find("\r\n");
    std::string status_line = head.substr(0, eol);
    if (status_line.size() < 12 || status_line.compare(0, 7, "HTTP/1.") != 0 ||
        status_line[8] != ' ')
      throw HttpError::of("HTTP-protocol-error");
    std::string code = status_line.substr(9, 3);
    if (code.find_first_not_of("0123456789") != std::string::npos)
      throw HttpError::of("HTTP-protocol-error");
    Response r;
    r.status = uint16_t(std::stoi(code));
    size_t at = eol == std::string::npos ? head.size() : eol + 2;
    while (at < head.size()) {
      size_t next = head.find("\r\n", at);
      if (next == std::string::npos) next = head.size();
      std::string_view line(head.data() + at, next - at);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) throw HttpError::of("HTTP-protocol-error");
      r.headers.entries.emplace_back(lower(std::string(line.substr(0, colon))),
                                     trim(line.substr(colon + 1)));
      at = next + 2;
    }
    if (r.status >= 100 && r.status < 200 && r.status != 101) continue;
    r.headers.immutable = true;
    return r;
  }
}

// Hands `data` to the guest, waiting while the pipe holds a window's worth.
void put(Exchange& x, Pipe& p, std::string_view data) {
  std::unique_lock lock(p.m);
  while (p.data.size() >= kPipeWindow && !p.reader_gone) {
    if (x.cancelled.load()) throw Cancelled{};
    p.cv.wait_for(lock, std::chrono::milliseconds(kSliceMs));
  }
  if (p.reader_gone) throw Cancelled{};
  p.data.append(data);
  p.written += data.size();
  p.cv.notify_all();
}

// Hands the next `count` bytes of the connection to the guest.
void pass(Exchange& x, Socket& s, Pipe& p, uint64_t count, const std::function<bool()>& more) {
  while (count > 0) {
    if (s.buf.empty() && !more()) throw HttpError::of("HTTP-response-incomplete");
    size_t n = size_t(std::min<uint64_t>(count, s.buf.size()));
    put(x, p, std::string_view(s.buf).substr(0, n));
    s.buf.erase(0, n);
    count -= n;
  }
}

// A body in chunked transfer coding.
void pass_chunked(Exchange& x, Socket& s, Pipe& p, const std::function<bool()>& more) {
  for (;;) {
    size_t eol;
    while ((eol = s.buf.find("\r\n")) == std::string::npos)
      if (s.buf.size() > kMaxHead || !more()) throw HttpError::of("HTTP-response-incomplete");
    std::string size_text = s.buf.substr(0, s.buf.find_first_of(";\r"));
    s.buf.erase(0, eol + 2);
    char* endp = nullptr;
    unsigned long long size = std::strtoull(size_text.c_str(), &endp, 16);
    if (size_text.empty() || *endp != '\0') throw HttpError::of("HTTP-protocol-error");
    if (size == 0) return;  // trailers, if any, are not read (decision 54)
    pass(x, s, p, size, more);
    while (s.buf.size() < 2)
      if (!more()) throw HttpError::of("HTTP-response-incomplete");
    if (s.buf.compare(0, 2, "\r\n") != 0) throw HttpError::of("HTTP-protocol-error");
    s.buf.erase(0, 2);
  }
}

// Streams the response body: by content-length, chunked, or to the end.
void read_body(Exchange& x, Socket& s, const Response& r, bool head_request) {
  uint64_t between = x.timeouts.between_bytes.value_or(kDefaultTimeout);
  std::function<bool()> more = [&] { return s.fill(between, "connection-read-timeout"); };
  if (head_request || r.status == 204 || r.status == 304) return;
  const std::string* te = r.headers.find("transfer-encoding");
  if (te && lower(*te).find("chunked") != std::string::npos)
    return pass_chunked(x, s, *r.body, more);
  if (const std::string* cl = r.headers.find("content-length")) {
    char* endp = nullptr;
    unsigned long long length = std::strtoull(cl->c_str(), &endp, 10);
    if (cl->empty() || *endp != '\0') throw HttpError::of("HTTP-protocol-error");
    return pass(x, s, *r.body, length, more);
  }
  for (;;) {  // to the end of the connection
    if (!s.buf.empty()) put(x, *r.body, s.buf);
    s.buf.clear();
    if (!more()) return;
  }
}

void finish(Exchange& x, std::optional<Response> r, std::optional<HttpError> e) {
  std::lock_guard lock(x.m);
  x.response = std::move(r);
  x.error = std::move(e);
  x.done = true;
}

// The exchange failed: before the response came, with `e`; after, its
// body fails with `message`.
void fail(Exchange& x, const std::shared_ptr<Pipe>& body, const HttpError& e,
          const std::string& message) {
  if (!body) return finish(x, std::nullopt, e);
  std::lock_guard lock(body->m);
  body->error = message;
  body->cv.notify_all();
}

void run(std::shared_ptr<Exchange> xp) {
  Exchange& x = *xp;
  struct Ended {
    std::atomic<size_t>& running;
    ~Ended() { running--; }
  } ended{*x.running};
  std::shared_ptr<Pipe> body;  // the response body, once the head is in
  try {
    bool https = x.request.scheme == "HTTPS";
    std::string payload = take_body(x);
    auto [host, port] = host_port(*x.request.authority, https ? "443" : "80");
    Socket s(x);
    s.connect_to(host, port);
    if (https) s.start_tls(host);
    s.send_all(request_head(x.request, payload.size()) + payload);
    Response r = read_head(x, s);
    body = r.body = std::make_shared<Pipe>();
    Response copy = r;
    finish(x, std::move(copy), std::nullopt);
    read_body(x, s, r, x.request.method == "head");
    std::lock_guard lock(body->m);
    body->eof = true;
    body->cv.notify_all();
  } catch (const HttpError& e) {
    fail(x, body, e, "wasi:http: the response body failed: " + e.name);
  } catch (const Cancelled&) {
    fail(x, body, HttpError::of("connection-terminated"), "wasi:http: the response was abandoned");
  } catch (const std::exception& e) {
    fail(x, body, HttpError::internal(e.what()), std::string("wasi:http: ") + e.what());
  }
}

}  // namespace

void start_exchange(std::shared_ptr<Exchange> x) {
  (*x->running)++;
  try {
    std::thread(run, x).detach();
  } catch (const std::system_error&) {  // no thread to be had
    (*x->running)--;
    finish(*x, std::nullopt, HttpError::internal("wasi:http: cannot start a thread"));
  }
}

}  // namespace ember::wasip2

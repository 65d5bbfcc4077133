// wasi:http for components: the guest's HTTP objects (fields, requests,
// bodies, responses, futures) and the exchange that sends a request and
// reads its response on a thread of its own.
//
// Place in the pipeline: host functions of wasi:http/types and
// wasi:http/outgoing-handler (http.cc) keep these objects in the calling
// store's WASI 0.2 state, keyed by representation like every WASI 0.2
// resource; http_client.cc speaks HTTP/1.1 over a TCP connection.
//
// Invariants:
//  - An exchange shares only its Exchange and Pipes with the store: the
//    exchange thread never touches the store, and the store reads what the
//    thread made under the Exchange's or the Pipe's mutex.
//  - A response body is read from the network only as fast as the guest
//    reads it (at most kPipeWindow bytes wait in the pipe).
//  - Every wait of the exchange thread is bounded: by the request's
//    timeouts, or by the guest dropping the future or the body.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wasip2/wasip2.hh"

namespace ember::wasip2 {

// ASCII letters lowercased (header names, codings).
inline std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

// Header names and values, in order; names are lowercase.
struct Fields {
  std::vector<std::pair<std::string, std::string>> entries;
  bool immutable = false;
  // The first value of (lowercase) `name`, or null.
  const std::string* find(const std::string& name) const {
    for (const auto& [k, v] : entries)
      if (k == name) return &v;
    return nullptr;
  }
};

// A wasi:http `error-code`: the case's name and its payload, if any.
struct HttpError {
  enum class Payload : uint8_t { None, OptString, OptU64, Dns, Alert };
  std::string name;  // "connection-refused", "internal-error", ...
  Payload payload = Payload::None;
  std::optional<std::string> text;  // internal-error, DNS-error's rcode
  std::optional<uint64_t> number;   // the size of a *-size case, a TLS alert's id
  static HttpError of(std::string n) { return {std::move(n), Payload::None, {}, {}}; }
  static HttpError internal(std::string message) {
    return {"internal-error", Payload::OptString, std::move(message), {}};
  }
};

struct Request {
  std::string method = "get";  // a `method` case; "other": method_other
  std::string method_other;
  std::optional<std::string> scheme;  // "HTTP", "HTTPS" or "other"
  std::string scheme_other;
  std::optional<std::string> path;  // path-with-query
  std::optional<std::string> authority;
  Fields headers;
  std::shared_ptr<Pipe> body;  // null: no body was asked for
};

struct Timeouts {
  std::optional<uint64_t> connect, first_byte, between_bytes;  // ns
};

struct Response {
  uint16_t status = 0;
  Fields headers;
  std::shared_ptr<Pipe> body;
};

// One request on its way: the exchange thread fills `response` or `error`
// and sets `done`.
struct Exchange {
  Request request;
  Timeouts timeouts;
  std::mutex m;
  bool done = false;
  std::optional<Response> response;
  std::optional<HttpError> error;
  std::atomic<bool> cancelled{false};  // the guest dropped the future
  // The store's count of running exchange threads; the thread lowers it
  // when it ends.
  std::shared_ptr<std::atomic<size_t>> running;
};

// Sends the request on a thread of its own (http_client.cc).
void start_exchange(std::shared_ptr<Exchange> x);

// A TLS client session over a connected socket (http_tls.cc). Each call
// that must wait for the socket calls `wait` with POLLIN or POLLOUT, which
// returns when the socket is ready or throws (a timeout, a cancel).
class Tls {
 public:
  using Wait = std::function<void(short events)>;
  // Handshakes with `host` (a name or an IP address), verifying its
  // certificate chain against the system's roots (OpenSSL's defaults, so
  // SSL_CERT_FILE and SSL_CERT_DIR apply) and its name. HttpError:
  // TLS-certificate-error, TLS-alert-received, TLS-protocol-error; an
  // internal-error when Ember was built without OpenSSL.
  static std::unique_ptr<Tls> connect(int fd, const std::string& host, const Wait& wait);
  virtual ~Tls() = default;
  // Writes some of `data`: how much (> 0); HttpError when the connection broke.
  virtual size_t write(std::string_view data, const Wait& wait) = 0;
  // Reads up to `n` bytes into `out`: how many, 0 at the end.
  virtual size_t read(char* out, size_t n, const Wait& wait) = 0;
};

// At most this many bytes of a response body wait for the guest to read.
constexpr size_t kPipeWindow = size_t{1} << 20;

// What the guest holds, by representation.
struct OutgoingBody {
  std::shared_ptr<Pipe> pipe;
  bool written = false;  // write() gave its stream
  std::optional<uint64_t> content_length;
};
struct FutureResponse {
  std::shared_ptr<Exchange> exchange;
  bool taken = false;
};
struct IncomingResponse {
  uint16_t status = 0;
  Fields headers;
  std::shared_ptr<Pipe> body;
  bool consumed = false;
};
struct IncomingBody {
  std::shared_ptr<Pipe> pipe;
  bool streamed = false;
};

struct Http {
  Http() = default;
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;
  // The store goes: its exchanges end (their threads see `cancelled`).
  ~Http() {
    for (auto& [_, f] : futures) f.exchange->cancelled = true;
  }
  std::map<uint32_t, Fields> fields;
  std::map<uint32_t, Request> requests;
  std::map<uint32_t, Timeouts> options;
  std::map<uint32_t, OutgoingBody> bodies;
  std::map<uint32_t, FutureResponse> futures;
  std::map<uint32_t, IncomingResponse> responses;
  std::map<uint32_t, IncomingBody> incoming_bodies;
  std::map<uint32_t, bool> trailers;  // future-trailers: taken
  // Exchange threads still running (sending, or streaming a body); at
  // most kMaxInFlight per store.
  std::shared_ptr<std::atomic<size_t>> running = std::make_shared<std::atomic<size_t>>(0);
  static constexpr size_t kMaxInFlight = 64;
};

}  // namespace ember::wasip2

// wasi:http/types and wasi:http/outgoing-handler: fields, outgoing
// requests and their bodies, request options, futures of responses,
// incoming responses and bodies. The server side (incoming-request,
// response-outparam, outgoing-response) is the linker's fallback: Ember
// runs no HTTP server, so nothing ever hands a guest those.
#include "wasip2/http.hh"

#include <algorithm>

#include "api/api_wasi.hh"

namespace ember::wasip2 {

namespace {

using Args = std::span<const Value>;
using component::HostFunc;
using component::TypeKind;

template <typename F>
std::pair<std::string, HostFunc> hfn(const char* name, F f) {
  return {name, [f](StoreContext cx, const FuncType& ft, Args a) -> std::optional<Value> {
            State& s = state(cx);
            if (!s.http) s.http = std::make_shared<Http>();
            return f(s, *s.http, ft, a);
          }};
}

// ---- values ---------------------------------------------------------------------

Value err_unit() {
  return Value::of(1);
}

Value case_value(const Type& t, const std::string& name, std::optional<Value> payload = {}) {
  uint64_t i = case_of(t, name);
  if (!payload) return Value::of(i);
  return Value::of_items({std::move(*payload)}, i);
}

Value opt_string(const std::optional<std::string>& s) {
  return s ? some(str(*s)) : none();
}

Value error_value(const Type& t, const HttpError& e) {
  using P = HttpError::Payload;
  switch (e.payload) {
    case P::None: return case_value(t, e.name);
    case P::OptString: return case_value(t, e.name, opt_string(e.text));
    case P::OptU64: return case_value(t, e.name, e.number ? some(u64(*e.number)) : none());
    case P::Dns: return case_value(t, e.name, tuple({opt_string(e.text), none()}));
    case P::Alert:
      return case_value(t, e.name,
                        tuple({e.number ? some(u64(*e.number)) : none(), opt_string(e.text)}));
  }
  return case_value(t, e.name);
}

// A part of a function's type that wasi:http's has; a trap when the guest
// imported the function with another type.
Type must(const std::optional<Type>& t) {
  if (!t) throw Trap("wasi: a wasi:http function was imported with another type");
  return *t;
}

// The payload of an option, result or variant case value.
const Value& payload(const Value& v) {
  if (v.items.empty()) throw Trap("wasi: a wasi:http function was imported with another type");
  return v.items[0];
}

// The type of a function's parameter `i`.
const Type& param(const FuncType& ft, size_t i) {
  if (i >= ft.params.size()) throw Trap("wasi: a function was imported with fewer parameters");
  return ft.params[i].second;
}

// ---- fields ---------------------------------------------------------------------

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool is_field_value(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); });
}

bool forbidden(const std::string& name) {
  static const char* const kForbidden[] = {"connection",
                                           "keep-alive",
                                           "proxy-authenticate",
                                           "proxy-authorization",
                                           "proxy-connection",
                                           "transfer-encoding",
                                           "upgrade",
                                           "host",
                                           "http2-settings"};
  return std::any_of(std::begin(kForbidden), std::end(kForbidden),
                     [&](const char* f) { return name == f; });
}

// Checks a name (and value) a guest gives: nullopt, or the header-error case.
std::optional<const char*> check_field(const Fields* f, const std::string& name,
                                       const std::string* value) {
  if (f && f->immutable) return "immutable";
  if (!is_token(name) || (value && !is_field_value(*value))) return "invalid-syntax";
  if (forbidden(lower(name))) return "forbidden";
  return std::nullopt;
}

Value new_fields(State& s, Http& h, Fields f) {
  uint32_t r = s.rep();
  h.fields[r] = std::move(f);
  return own(Res::Fields, r);
}

Fields& fields_at(Http& h, const Value& v) {
  return entry(h.fields, v, "fields");
}

void remove_named(Fields& f, const std::string& name) {
  std::erase_if(f.entries, [&](const auto& e) { return e.first == name; });
}

// Entries grouped by name, names in the order they first appear.
std::vector<std::pair<std::string, std::string>> grouped(const Fields& f) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> seen;
  for (const auto& [k, _] : f.entries) {
    if (std::find(seen.begin(), seen.end(), k) != seen.end()) continue;
    seen.push_back(k);
    for (const auto& e : f.entries)
      if (e.first == k) out.push_back(e);
  }
  return out;
}

void fields_funcs(Funcs& v) {
  v.push_back(hfn("[constructor]fields",
                  [](State& s, Http& h, const FuncType&, Args) { return new_fields(s, h, {}); }));
  v.push_back(hfn("[static]fields.from-list", [](State& s, Http& h, const FuncType& ft, Args a) {
    Fields f;
    for (const Value& e : arg(a, 0).items) {
      if (e.items.size() != 2) throw Trap("wasi: fields.from-list: an entry is not a pair");
      const std::string& name = e.items[0].bytes;
      if (auto bad = check_field(nullptr, name, &e.items[1].bytes))
        return err(case_value(err_type(ft), *bad));
      f.entries.emplace_back(lower(name), e.items[1].bytes);
    }
    return ok(new_fields(s, h, std::move(f)));
  }));
  v.push_back(hfn("[method]fields.get", [](State&, Http& h, const FuncType&, Args a) {
    std::vector<Value> out;
    std::string name = lower(arg(a, 1).bytes);
    for (const auto& [k, val] : fields_at(h, arg(a, 0)).entries)
      if (k == name) out.push_back(str(val));
    return Value::of_items(std::move(out));
  }));
  v.push_back(hfn("[method]fields.has", [](State&, Http& h, const FuncType&, Args a) {
    std::string name = lower(arg(a, 1).bytes);
    const Fields& f = fields_at(h, arg(a, 0));
    return Value::of(std::any_of(f.entries.begin(), f.entries.end(),
                                 [&](const auto& e) { return e.first == name; }));
  }));
  v.push_back(hfn("[method]fields.set", [](State&, Http& h, const FuncType& ft, Args a) {
    Fields& f = fields_at(h, arg(a, 0));
    const std::string& name = arg(a, 1).bytes;
    for (const Value& val : arg(a, 2).items)
      if (auto bad = check_field(&f, name, &val.bytes)) return err(case_value(err_type(ft), *bad));
    if (auto bad = check_field(&f, name, nullptr)) return err(case_value(err_type(ft), *bad));
    remove_named(f, lower(name));
    for (const Value& val : arg(a, 2).items) f.entries.emplace_back(lower(name), val.bytes);
    return ok();
  }));
  v.push_back(hfn("[method]fields.delete", [](State&, Http& h, const FuncType& ft, Args a) {
    Fields& f = fields_at(h, arg(a, 0));
    if (auto bad = check_field(&f, arg(a, 1).bytes, nullptr))
      return err(case_value(err_type(ft), *bad));
    remove_named(f, lower(arg(a, 1).bytes));
    return ok();
  }));
  v.push_back(hfn("[method]fields.append", [](State&, Http& h, const FuncType& ft, Args a) {
    Fields& f = fields_at(h, arg(a, 0));
    if (auto bad = check_field(&f, arg(a, 1).bytes, &arg(a, 2).bytes))
      return err(case_value(err_type(ft), *bad));
    f.entries.emplace_back(lower(arg(a, 1).bytes), arg(a, 2).bytes);
    return ok();
  }));
  v.push_back(hfn("[method]fields.entries", [](State&, Http& h, const FuncType&, Args a) {
    std::vector<Value> out;
    for (auto& [k, val] : grouped(fields_at(h, arg(a, 0))))
      out.push_back(tuple({str(k), str(val)}));
    return Value::of_items(std::move(out));
  }));
  v.push_back(hfn("[method]fields.clone", [](State& s, Http& h, const FuncType&, Args a) {
    Fields f = fields_at(h, arg(a, 0));
    f.immutable = false;
    return new_fields(s, h, std::move(f));
  }));
}

// ---- outgoing requests ------------------------------------------------------------

Request& request_at(Http& h, const Value& v) {
  return entry(h.requests, v, "outgoing-request");
}

bool valid_uri_part(std::string_view s, std::string_view refused) {
  return std::all_of(s.begin(), s.end(), [&](unsigned char c) {
    return c > 0x20 && c < 0x7f && refused.find(char(c)) == std::string_view::npos;
  });
}

bool valid_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '+' || c == '-' || c == '.';
  });
}

bool valid_path(const std::string& s) {
  return valid_uri_part(s, "#");
}

bool valid_authority(const std::string& s) {
  return !s.empty() && valid_uri_part(s, "/?#\\\"<>{}|^`");
}

// outgoing-request's getter and setter of `field` (an option<string>);
// the setter refuses (err) what `valid` refuses.
void optional_text(Funcs& v, const std::string& name, std::optional<std::string> Request::* field,
                   bool (*valid)(const std::string&)) {
  std::string get = "[method]outgoing-request." + name,
              set = "[method]outgoing-request.set-" + name;
  v.push_back(hfn(get.c_str(), [field](State&, Http& h, const FuncType&, Args a) {
    return opt_string(request_at(h, arg(a, 0)).*field);
  }));
  v.push_back(hfn(set.c_str(), [field, valid](State&, Http& h, const FuncType&, Args a) {
    Request& r = request_at(h, arg(a, 0));
    const Value& o = arg(a, 1);
    if (o.num == 0) return (r.*field).reset(), ok();
    if (!valid(payload(o).bytes)) return err_unit();
    r.*field = payload(o).bytes;
    return ok();
  }));
}

Value scheme_value(const Type& option_t, const Request& r) {
  if (!r.scheme) return none();
  const Type t = must(option_t.child(0));
  if (*r.scheme == "other") return some(case_value(t, "other", str(r.scheme_other)));
  return some(case_value(t, *r.scheme));
}

void request_accessors(Funcs& v) {
  v.push_back(
      hfn("[method]outgoing-request.method", [](State&, Http& h, const FuncType& ft, Args a) {
        const Request& r = request_at(h, arg(a, 0));
        if (r.method == "other") return case_value(must(ft.result), "other", str(r.method_other));
        return case_value(must(ft.result), r.method);
      }));
  v.push_back(
      hfn("[method]outgoing-request.set-method", [](State&, Http& h, const FuncType& ft, Args a) {
        Request& r = request_at(h, arg(a, 0));
        const Value& m = arg(a, 1);
        const std::vector<std::string>& names = param(ft, 1).names();
        if (m.num >= names.size()) throw Trap("wasi: set-method: no such method");
        std::string other =
            names[m.num] == "other" && !m.items.empty() ? m.items[0].bytes : std::string();
        if (names[m.num] == "other" && !is_token(other)) return err_unit();
        r.method = names[m.num];
        r.method_other = other;
        return ok();
      }));
  optional_text(v, "path-with-query", &Request::path, valid_path);
  v.push_back(
      hfn("[method]outgoing-request.scheme", [](State&, Http& h, const FuncType& ft, Args a) {
        return scheme_value(must(ft.result), request_at(h, arg(a, 0)));
      }));
  v.push_back(
      hfn("[method]outgoing-request.set-scheme", [](State&, Http& h, const FuncType& ft, Args a) {
        Request& r = request_at(h, arg(a, 0));
        const Value& o = arg(a, 1);
        if (o.num == 0) return r.scheme.reset(), ok();
        const Value& sc = payload(o);
        const std::vector<std::string>& names = must(param(ft, 1).child(0)).names();
        if (sc.num >= names.size()) throw Trap("wasi: set-scheme: no such scheme");
        std::string other = names[sc.num] == "other" ? payload(sc).bytes : std::string();
        if (names[sc.num] == "other" && !valid_scheme(other)) return err_unit();
        r.scheme = names[sc.num];
        r.scheme_other = other;
        return ok();
      }));
  optional_text(v, "authority", &Request::authority, valid_authority);
}

void request_funcs(Funcs& v) {
  v.push_back(hfn("[constructor]outgoing-request", [](State& s, Http& h, const FuncType&, Args a) {
    Request r;
    r.headers = take(h.fields, arg(a, 0), "fields");
    r.headers.immutable = true;
    uint32_t rep = s.rep();
    h.requests[rep] = std::move(r);
    return own(Res::OutgoingRequest, rep);
  }));
  v.push_back(hfn("[method]outgoing-request.body", [](State& s, Http& h, const FuncType&, Args a) {
    Request& r = request_at(h, arg(a, 0));
    if (r.body) return err_unit();
    r.body = std::make_shared<Pipe>();
    OutgoingBody b{r.body, false, {}};
    if (const std::string* length = r.headers.find("content-length"))
      b.content_length = std::strtoull(length->c_str(), nullptr, 10);
    uint32_t rep = s.rep();
    h.bodies[rep] = std::move(b);
    return ok(own(Res::OutgoingBody, rep));
  }));
  v.push_back(
      hfn("[method]outgoing-request.headers", [](State& s, Http& h, const FuncType&, Args a) {
        return new_fields(s, h, request_at(h, arg(a, 0)).headers);
      }));
  request_accessors(v);
}

OutgoingBody& body_at(Http& h, const Value& v) {
  return entry(h.bodies, v, "outgoing-body");
}

void body_funcs(Funcs& v) {
  v.push_back(hfn("[method]outgoing-body.write", [](State& s, Http& h, const FuncType&, Args a) {
    OutgoingBody& b = body_at(h, arg(a, 0));
    if (b.written) return err_unit();
    b.written = true;
    return ok(pipe_stream(s, b.pipe, true));
  }));
  v.push_back(hfn("[static]outgoing-body.finish", [](State&, Http& h, const FuncType& ft, Args a) {
    OutgoingBody b = take(h.bodies, arg(a, 0), "outgoing-body");
    if (a.size() > 1 && arg(a, 1).num == 1)
      take(h.fields, payload(arg(a, 1)), "fields");  // trailers
    std::lock_guard lock(b.pipe->m);
    if (b.content_length && *b.content_length != b.pipe->written) {
      b.pipe->error = "the request body's size differs from its content-length";
      b.pipe->cv.notify_all();
      HttpError e{"HTTP-request-body-size", HttpError::Payload::OptU64, {}, b.pipe->written};
      return err(error_value(err_type(ft), e));
    }
    b.pipe->eof = true;
    b.pipe->cv.notify_all();
    return ok();
  }));
}

void options_funcs(Funcs& v) {
  v.push_back(hfn("[constructor]request-options", [](State& s, Http& h, const FuncType&, Args) {
    uint32_t rep = s.rep();
    h.options[rep] = Timeouts{};
    return own(Res::RequestOptions, rep);
  }));
  auto at = [](Http& h, const Value& v) -> Timeouts& {
    return entry(h.options, v, "request-options");
  };
  using Member = std::optional<uint64_t> Timeouts::*;
  auto pair = [&](const char* get, const char* set, Member m) {
    v.push_back(hfn(get, [at, m](State&, Http& h, const FuncType&, Args a) {
      const std::optional<uint64_t>& d = at(h, arg(a, 0)).*m;
      return d ? some(u64(*d)) : none();
    }));
    v.push_back(hfn(set, [at, m](State&, Http& h, const FuncType&, Args a) {
      const Value& o = arg(a, 1);
      at(h, arg(a, 0)).*m = o.num ? std::optional<uint64_t>(payload(o).num) : std::nullopt;
      return ok();
    }));
  };
  pair("[method]request-options.connect-timeout", "[method]request-options.set-connect-timeout",
       &Timeouts::connect);
  pair("[method]request-options.first-byte-timeout",
       "[method]request-options.set-first-byte-timeout", &Timeouts::first_byte);
  pair("[method]request-options.between-bytes-timeout",
       "[method]request-options.set-between-bytes-timeout", &Timeouts::between_bytes);
}

// ---- responses ------------------------------------------------------------------

FutureResponse& future_at(Http& h, const Value& v) {
  return entry(h.futures, v, "future-incoming-response");
}

IncomingResponse& response_at(Http& h, const Value& v) {
  return entry(h.responses, v, "incoming-response");
}

void future_funcs(Funcs& v) {
  v.push_back(hfn("[method]future-incoming-response.subscribe",
                  [](State& s, Http& h, const FuncType&, Args a) {
                    return pollable_when(s, [x = future_at(h, arg(a, 0)).exchange] {
                      std::lock_guard lock(x->m);
                      return x->done;
                    });
                  }));
  v.push_back(hfn(
      "[method]future-incoming-response.get", [](State& s, Http& h, const FuncType& ft, Args a) {
        FutureResponse& f = future_at(h, arg(a, 0));
        Exchange& x = *f.exchange;
        std::lock_guard lock(x.m);
        if (!x.done) return none();
        if (f.taken) return some(err_unit());
        f.taken = true;
        if (x.error) {
          Type code = must(must(must(must(ft.result).child(0)).ok()).err());
          return some(ok(err(error_value(code, *x.error))));
        }
        uint32_t rep = s.rep();
        h.responses[rep] =
            IncomingResponse{x.response->status, x.response->headers, x.response->body, false};
        return some(ok(ok(own(Res::IncomingResponse, rep))));
      }));
}

void response_funcs(Funcs& v) {
  v.push_back(hfn("[method]incoming-response.status", [](State&, Http& h, const FuncType&, Args a) {
    return Value::of(response_at(h, arg(a, 0)).status);
  }));
  v.push_back(
      hfn("[method]incoming-response.headers", [](State& s, Http& h, const FuncType&, Args a) {
        return new_fields(s, h, response_at(h, arg(a, 0)).headers);
      }));
  v.push_back(
      hfn("[method]incoming-response.consume", [](State& s, Http& h, const FuncType&, Args a) {
        IncomingResponse& r = response_at(h, arg(a, 0));
        if (r.consumed) return err_unit();
        r.consumed = true;
        uint32_t rep = s.rep();
        h.incoming_bodies[rep] = IncomingBody{r.body, false};
        return ok(own(Res::IncomingBody, rep));
      }));
  v.push_back(hfn("[method]incoming-body.stream", [](State& s, Http& h, const FuncType&, Args a) {
    IncomingBody& b = entry(h.incoming_bodies, arg(a, 0), "incoming-body");
    if (b.streamed) return err_unit();
    b.streamed = true;
    return ok(pipe_stream(s, b.pipe, false));
  }));
  v.push_back(hfn("[static]incoming-body.finish", [](State& s, Http& h, const FuncType&, Args a) {
    http_forget(s, Res::IncomingBody, rep_of(arg(a, 0)));
    uint32_t rep = s.rep();
    h.trailers[rep] = false;
    return own(Res::FutureTrailers, rep);
  }));
  v.push_back(hfn("[method]future-trailers.subscribe", [](State& s, Http&, const FuncType&, Args) {
    return pollable_when(s, [] { return true; });
  }));
  v.push_back(hfn("[method]future-trailers.get", [](State&, Http& h, const FuncType&, Args a) {
    bool& taken = entry(h.trailers, arg(a, 0), "future-trailers");
    if (taken) return some(err_unit());
    taken = true;
    return some(ok(ok(none())));  // trailers are not read (decision 54)
  }));
  v.push_back(hfn("http-error-code", [](State&, Http&, const FuncType&, Args) { return none(); }));
}

}  // namespace

size_t State::http_live() const {
  if (!http) return 0;
  const Http& h = *http;
  return h.fields.size() + h.requests.size() + h.options.size() + h.bodies.size() +
         h.futures.size() + h.responses.size() + h.incoming_bodies.size() + h.trailers.size();
}

void http_forget(State& s, Res r, uint32_t rep) {
  if (!s.http) return;
  Http& h = *s.http;
  auto gone = [](const std::shared_ptr<Pipe>& p) {
    std::lock_guard lock(p->m);
    p->reader_gone = true;
    p->cv.notify_all();
  };
  switch (r) {
    case Res::Fields: h.fields.erase(rep); break;
    case Res::OutgoingRequest: h.requests.erase(rep); break;
    case Res::RequestOptions: h.options.erase(rep); break;
    case Res::OutgoingBody:
      if (auto it = h.bodies.find(rep); it != h.bodies.end()) {
        std::lock_guard lock(it->second.pipe->m);
        if (!it->second.pipe->eof) {
          it->second.pipe->error = "the outgoing body was dropped before outgoing-body.finish";
          it->second.pipe->cv.notify_all();
        }
      }
      h.bodies.erase(rep);
      break;
    case Res::FutureIncomingResponse:
      if (auto it = h.futures.find(rep); it != h.futures.end() && !it->second.taken)
        it->second.exchange->cancelled = true;
      h.futures.erase(rep);
      break;
    case Res::IncomingResponse:
      if (auto it = h.responses.find(rep); it != h.responses.end() && !it->second.consumed)
        gone(it->second.body);
      h.responses.erase(rep);
      break;
    case Res::IncomingBody:
      if (auto it = h.incoming_bodies.find(rep);
          it != h.incoming_bodies.end() && !it->second.streamed)
        gone(it->second.pipe);
      h.incoming_bodies.erase(rep);
      break;
    case Res::FutureTrailers: h.trailers.erase(rep); break;
    default: break;
  }
}

Funcs http_types_funcs() {
  Funcs v;
  fields_funcs(v);
  request_funcs(v);
  body_funcs(v);
  options_funcs(v);
  future_funcs(v);
  response_funcs(v);
  return v;
}

Funcs http_outgoing_funcs() {
  Funcs v;
  v.push_back(hfn("handle", [](State& s, Http& h, const FuncType& ft, Args a) {
    Request r = take(h.requests, arg(a, 0), "outgoing-request");
    Timeouts t;
    if (a.size() > 1 && arg(a, 1).num == 1)
      t = take(h.options, payload(arg(a, 1)), "request-options");
    Type code = err_type(ft);
    if (h.running->load() >= Http::kMaxInFlight)
      return err(error_value(code, HttpError::of("connection-limit-reached")));
    if (!r.authority) return err(error_value(code, HttpError::of("HTTP-request-URI-invalid")));
    if (r.scheme == "other") return err(error_value(code, HttpError::of("HTTP-protocol-error")));
    auto x = std::make_shared<Exchange>();
    x->request = std::move(r);
    x->timeouts = t;
    x->running = h.running;
    uint32_t rep = s.rep();
    h.futures[rep] = FutureResponse{x, false};
    start_exchange(std::move(x));
    return ok(own(Res::FutureIncomingResponse, rep));
  }));
  return v;
}

}  // namespace ember::wasip2

// WASI 0.2: the per-store state, resource types, value helpers, and
// Linker::add_wasip2(), which defines every interface in a linker.
#include <array>

#include "api/api_wasi.hh"
#include "wasip2/wasip2.hh"

namespace ember::wasip2 {

using component::RType;

namespace {

void forget(StoreContext cx, Res r, uint32_t rep) {
  if (!cx.raw()->wasip2) return;
  State& s = *std::static_pointer_cast<State>(cx.raw()->wasip2);
  switch (r) {
    case Res::Error: s.errors.erase(rep); break;
    case Res::Pollable: s.pollables.erase(rep); break;
    case Res::InputStream:
    case Res::OutputStream:
      if (auto it = s.streams.find(rep);
          it != s.streams.end() && it->second.pipe && !it->second.pipe_output) {
        std::lock_guard lock(it->second.pipe->m);
        it->second.pipe->reader_gone = true;  // an HTTP response body nobody reads
        it->second.pipe->cv.notify_all();
      }
      s.streams.erase(rep);
      break;
    case Res::Descriptor: s.descriptors.erase(rep); break;
    case Res::DirEntries: s.dir_entries.erase(rep); break;
    default: http_forget(s, r, rep); break;
  }
}

}  // namespace

State& state(StoreContext cx) {
  rt::StoreData& sd = *cx.raw();
  std::shared_ptr<wasi::Context> ctx = store_wasi_context(sd);
  if (!ctx)
    throw WasmError(ErrorKind::Internal,
                    "wasi context must be populated: call Store.set_wasi(WasiConfig()) before "
                    "running a component that uses WASI 0.2");
  auto s = std::static_pointer_cast<State>(sd.wasip2);
  if (!s || s->ctx != ctx) {
    // A new context (set_wasi again) starts with no WASI 0.2 resources.
    s = std::make_shared<State>();
    s->ctx = std::move(ctx);
    sd.wasip2 = s;
  }
  return *s;
}

const std::shared_ptr<RType>& resource_type(Res r) {
  static const auto* types = [] {
    auto* t = new std::array<std::shared_ptr<RType>, size_t(Res::Count)>();
    for (size_t i = 0; i < t->size(); i++) {
      auto rt = std::make_shared<RType>();
      rt->host = true;
      rt->builtin = true;
      rt->tag = uint32_t(i);
      rt->host_dtor = [r = Res(i)](StoreContext cx, uint32_t rep) { forget(cx, r, rep); };
      (*t)[i] = std::move(rt);
    }
    return t;
  }();
  return (*types)[size_t(r)];
}

Value own(Res r, uint32_t rep) {
  auto st = std::make_shared<component::ResourceState>();
  st->type = resource_type(r);
  st->rep = rep;
  st->owned = true;
  return Value{0, {}, {}, std::move(st)};
}

uint32_t rep_of(const Value& v) {
  if (!v.resource) throw WasmError(ErrorKind::Internal, "wasi: expected a resource handle");
  return v.resource->rep;
}

Value ok(Value v) {
  return Value::of_items({std::move(v)}, 0);
}
Value ok() {
  return Value::of(0);
}
Value err(Value v) {
  return Value::of_items({std::move(v)}, 1);
}
Value some(Value v) {
  return Value::of_items({std::move(v)}, 1);
}
Value none() {
  return Value::of(0);
}
Value u64(uint64_t n) {
  return Value::of(n);
}
Value str(std::string s) {
  return Value::of_string(std::move(s));
}
Value tuple(std::vector<Value> items) {
  return Value::of_items(std::move(items));
}

uint64_t case_of(const Type& t, const std::string& name) {
  const std::vector<std::string>& names = t.names();
  for (size_t i = 0; i < names.size(); i++)
    if (names[i] == name) return i;
  throw WasmError(ErrorKind::Internal, "wasi: the type has no case `" + name + "`");
}

Type err_type(const FuncType& ft) {
  if (!ft.result || ft.result->kind() != component::TypeKind::Result || !ft.result->err())
    throw WasmError(ErrorKind::Internal, "wasi: the function returns no error type");
  return *ft.result->err();
}

Value fs_error(const FuncType& ft, wasi::Errno e) {
  using E = wasi::Errno;
  const char* name = "io";
  switch (e) {
    case E::Acces: name = "access"; break;
    case E::Again: name = "would-block"; break;
    case E::Already: name = "already"; break;
    case E::Badf: name = "bad-descriptor"; break;
    case E::Busy: name = "busy"; break;
    case E::Deadlk: name = "deadlock"; break;
    case E::Dquot: name = "quota"; break;
    case E::Exist: name = "exist"; break;
    case E::Fbig: name = "file-too-large"; break;
    case E::Ilseq: name = "illegal-byte-sequence"; break;
    case E::Inprogress: name = "in-progress"; break;
    case E::Intr: name = "interrupted"; break;
    case E::Inval: name = "invalid"; break;
    case E::Isdir: name = "is-directory"; break;
    case E::Loop: name = "loop"; break;
    case E::Mlink: name = "too-many-links"; break;
    case E::Msgsize: name = "message-size"; break;
    case E::Nametoolong: name = "name-too-long"; break;
    case E::Nodev: name = "no-device"; break;
    case E::Noent: name = "no-entry"; break;
    case E::Nolck: name = "no-lock"; break;
    case E::Nomem: name = "insufficient-memory"; break;
    case E::Nospc: name = "insufficient-space"; break;
    case E::Notdir: name = "not-directory"; break;
    case E::Notempty: name = "not-empty"; break;
    case E::Notrecoverable: name = "not-recoverable"; break;
    case E::Notsup: name = "unsupported"; break;
    case E::Notty: name = "no-tty"; break;
    case E::Nxio: name = "no-such-device"; break;
    case E::Overflow: name = "overflow"; break;
    case E::Perm:
    case E::Notcapable: name = "not-permitted"; break;
    case E::Pipe: name = "pipe"; break;
    case E::Rofs: name = "read-only"; break;
    case E::Spipe: name = "invalid-seek"; break;
    case E::Txtbsy: name = "text-file-busy"; break;
    case E::Xdev: name = "cross-device"; break;
    default: break;
  }
  return err(Value::of(case_of(err_type(ft), name)));
}

Value stream_failed(State& s, std::string message) {
  uint32_t r = s.rep();
  s.errors[r] = std::move(message);
  return err(Value::of_items({own(Res::Error, r)}, 0));
}

Value stream_closed() {
  return err(Value::of(1));
}

const Value& arg(std::span<const Value> a, size_t i) {
  if (i >= a.size())
    throw Trap("wasi: a function was imported with fewer parameters than WASI gives it");
  return a[i];
}

void unknown_handle(const char* what, uint32_t rep) {
  throw Trap("wasi: unknown " + std::string(what) + " handle " + std::to_string(rep));
}

component::HostFunc refuse(const std::string& name) {
  return [name](StoreContext, const FuncType& ft, std::span<const Value>) -> std::optional<Value> {
    if (ft.result && ft.result->kind() == component::TypeKind::Result && ft.result->err()) {
      Type e = *ft.result->err();
      if (e.kind() == component::TypeKind::Enum || e.kind() == component::TypeKind::Variant) {
        for (const char* c : {"unsupported", "not-supported", "access-denied"}) {
          for (size_t i = 0; i < e.names().size(); i++)
            if (e.names()[i] == c) return err(Value::of(i));
        }
      }
    }
    throw Trap("wasi: `" + name + "` is not supported by Ember");
  };
}

}  // namespace ember::wasip2

namespace ember::component {

namespace {

// The version add_wasip2() defines; imports of any 0.2.x find it.
constexpr const char* kVersion = "@0.2.9";

using wasip2::Funcs;
using wasip2::Res;

struct Iface {
  std::string name;  // "wasi:io/streams"
  std::vector<std::pair<const char*, Res>> resources;
  Funcs funcs;
};

std::vector<Iface> interfaces() {
  using namespace wasip2;
  std::vector<Iface> v;
  v.push_back({"wasi:io/error", {{"error", Res::Error}}, io_error_funcs()});
  v.push_back({"wasi:io/poll", {{"pollable", Res::Pollable}}, io_poll_funcs()});
  v.push_back({"wasi:io/streams",
               {{"input-stream", Res::InputStream}, {"output-stream", Res::OutputStream}},
               io_streams_funcs()});
  for (const char* c : {"environment", "exit", "stdin", "stdout", "stderr", "terminal-stdin",
                        "terminal-stdout", "terminal-stderr"})
    v.push_back({std::string("wasi:cli/") + c, {}, cli_funcs(c)});
  v.push_back({"wasi:cli/terminal-input", {{"terminal-input", Res::TerminalInput}}, {}});
  v.push_back({"wasi:cli/terminal-output", {{"terminal-output", Res::TerminalOutput}}, {}});
  v.push_back({"wasi:clocks/monotonic-clock", {}, clock_funcs("monotonic-clock")});
  v.push_back({"wasi:clocks/wall-clock", {}, clock_funcs("wall-clock")});
  for (const char* r : {"random", "insecure", "insecure-seed"})
    v.push_back({std::string("wasi:random/") + r, {}, random_funcs(r)});
  v.push_back({"wasi:filesystem/types",
               {{"descriptor", Res::Descriptor}, {"directory-entry-stream", Res::DirEntries}},
               filesystem_types_funcs()});
  v.push_back({"wasi:filesystem/preopens", {}, filesystem_preopens_funcs()});
  v.push_back({"wasi:sockets/network", {{"network", Res::Network}}, {}});
  Funcs network;
  network.emplace_back("instance-network",
                       [](StoreContext, const FuncType&, std::span<const Value>) {
                         return std::optional<Value>(own(Res::Network, 0));
                       });
  v.push_back({"wasi:sockets/instance-network", {}, std::move(network)});
  v.push_back({"wasi:sockets/tcp", {{"tcp-socket", Res::TcpSocket}}, {}});
  v.push_back({"wasi:sockets/tcp-create-socket", {}, {}});
  v.push_back({"wasi:sockets/udp",
               {{"udp-socket", Res::UdpSocket},
                {"incoming-datagram-stream", Res::IncomingDatagrams},
                {"outgoing-datagram-stream", Res::OutgoingDatagrams}},
               {}});
  v.push_back({"wasi:sockets/udp-create-socket", {}, {}});
  v.push_back(
      {"wasi:sockets/ip-name-lookup", {{"resolve-address-stream", Res::ResolveAddresses}}, {}});
  return v;
}

std::vector<Iface> http_interfaces() {
  using namespace wasip2;
  std::vector<Iface> v;
  v.push_back({"wasi:http/types",
               {{"fields", Res::Fields},
                {"incoming-request", Res::IncomingRequest},
                {"outgoing-request", Res::OutgoingRequest},
                {"request-options", Res::RequestOptions},
                {"response-outparam", Res::ResponseOutparam},
                {"incoming-response", Res::IncomingResponse},
                {"incoming-body", Res::IncomingBody},
                {"future-trailers", Res::FutureTrailers},
                {"outgoing-response", Res::OutgoingResponse},
                {"outgoing-body", Res::OutgoingBody},
                {"future-incoming-response", Res::FutureIncomingResponse}},
               http_types_funcs()});
  v.push_back({"wasi:http/outgoing-handler", {}, http_outgoing_funcs()});
  return v;
}

// One linker instance per interface, named with the version.
std::vector<std::pair<std::string, std::shared_ptr<LinkerNode>>> instances(
    std::vector<Iface> list) {
  std::vector<std::pair<std::string, std::shared_ptr<LinkerNode>>> out;
  for (Iface& i : list) {
    std::string name = i.name + kVersion;
    auto inst = std::make_shared<LinkerNode>();
    for (auto& [r, res] : i.resources) {
      auto def = std::make_shared<LinkerNode>();
      def->kind = LinkerNode::Kind::Resource;
      def->resource = wasip2::resource_type(res);
      inst->defs[r] = std::move(def);
    }
    for (auto& [f, fn] : i.funcs) {
      auto def = std::make_shared<LinkerNode>();
      def->kind = LinkerNode::Kind::Func;
      def->func = std::move(fn);
      inst->defs[f] = std::move(def);
    }
    inst->fallback = [iface = name](const std::string& f) {
      return wasip2::refuse(iface + "#" + f);
    };
    out.emplace_back(std::move(name), std::move(inst));
  }
  return out;
}

}  // namespace

void Linker::add_wasip2() {
  for (auto& [name, inst] : instances(interfaces())) define({}, name, std::move(inst));
}

void Linker::add_wasi_http() {
  for (auto& [name, inst] : instances(http_interfaces())) define({}, name, std::move(inst));
}

}  // namespace ember::component

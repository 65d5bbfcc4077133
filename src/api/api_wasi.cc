// Public API: WASI preview1 (include/ember/wasi.hh) over src/wasi.
//
// A store's WASI state (WasiState, in StoreData::wasi) holds the preview1
// functions bound to its current context and, per function, the trampoline
// FuncInst that wasi_func() gives out. A trampoline looks the binding up on
// every call, so it can exist before set_wasi() and outlive a replaced
// context. Each call holds the binding it started with (a shared_ptr copy),
// so even a replaced binding frees nothing a call uses (set_wasi() is
// refused while the store executes anyway).
#include <memory>
#include <string>
#include <string_view>

#include "ember/wasi.hh"
#include "api/api_support.hh"
#include "api/api_wasi.hh"
#include "wasi/context.hh"
#include "wasi/wasi.hh"

namespace ember {

namespace {

using Binding = std::vector<rt::HostFn>;  // by index in the preview1 table

struct WasiState {
  std::shared_ptr<const Binding> fns;  // bound to the current context; null: none
  std::shared_ptr<wasi::Context> ctx;  // the current context (WASI 0.2 uses it too)
  std::vector<rt::FuncInst*> funcs;    // trampolines, by index (null until asked for)
};

// Names and types of wasi_snapshot_preview1, in table order. The functions
// are never called, so any context will do. Never freed, so a WASI call
// made while statics are destroyed still finds it.
const std::vector<wasi::HostImport>& catalog() {
  static const std::vector<wasi::HostImport>* table = [] {
    Expected<std::shared_ptr<wasi::Context>> ctx = wasi::make_context(wasi::Config{});
    auto* t = new std::vector<wasi::HostImport>(wasi::preview1_imports(ctx ? *ctx : nullptr));
    for (wasi::HostImport& imp : *t) imp.fn = nullptr;  // only names and types are kept
    return t;
  }();
  return *table;
}

size_t index_of(std::string_view name) {
  const std::vector<wasi::HostImport>& c = catalog();
  for (size_t i = 0; i < c.size(); ++i)
    if (c[i].name == name) return i;
  throw WasmError(ErrorKind::Internal,
                  "`" + std::string(name) + "` is not a function of " + wasi::kModuleName);
}

std::shared_ptr<WasiState> state_of(rt::StoreData& s) {
  if (!s.wasi) {
    auto st = std::make_shared<WasiState>();
    st->funcs.assign(catalog().size(), nullptr);
    s.wasi = st;
    return st;
  }
  return std::static_pointer_cast<WasiState>(s.wasi);
}

[[gnu::cold]] TrapCode no_context(rt::HostCall& hc, size_t i) {
  hc.store->host_error = std::make_exception_ptr(WasmError(
      ErrorKind::Internal,
      "wasi context must be populated: call Store.set_wasi(WasiConfig()) before running WASI "
      "code (`" +
          catalog()[i].name + "` was called)"));
  return TrapCode::HostError;
}

}  // namespace

void set_wasi_host_argv(std::vector<std::string> argv) {
  wasi::set_host_argv(std::move(argv));
}

void set_wasi(Store& store, const WasiConfig& config) {
  if (store.executing())
    throw WasmError(ErrorKind::Internal, "cannot call set_wasi while the store is executing");
  Expected<std::shared_ptr<wasi::Context>> ctx = wasi::make_context(config);
  if (!ctx) throw WasmError(ErrorKind::Internal, ctx.error().message());
  auto fns = std::make_shared<Binding>();
  for (wasi::HostImport& imp : wasi::preview1_imports(*ctx)) fns->push_back(std::move(imp.fn));
  std::shared_ptr<WasiState> st = state_of(*store.raw());
  st->fns = std::move(fns);
  st->ctx = *ctx;
}

std::shared_ptr<wasi::Context> store_wasi_context(rt::StoreData& store) {
  if (!store.wasi) return nullptr;
  return std::static_pointer_cast<WasiState>(store.wasi)->ctx;
}

void for_each_wasi_output(const Store& store, const std::function<void(const WasiOutput&)>& visit) {
  std::shared_ptr<wasi::Context> ctx = store_wasi_context(*store.raw());
  if (!ctx) return;
  for (const auto& [fd, entry] : ctx->fds)
    if (entry->kind == wasi::FdKind::Callback) visit(entry->callback);
}

Func wasi_func(Store& store, std::string_view name) {
  size_t i = index_of(name);
  rt::StoreData& s = *store.raw();
  std::shared_ptr<WasiState> st = state_of(s);
  if (!st->funcs[i]) {
    // The store owns both the state and the trampoline; this reference
    // keeps no store alive.
    rt::HostFn fn = [st, i](rt::HostCall& hc, rt::Slot* slots) -> TrapCode {
      std::shared_ptr<const Binding> fns = st->fns;  // held for the whole call
      if (!fns) return no_context(hc, i);
      // The embedder calls a host function directly (rt::invoke) with no
      // handler around it: exceptions (an output callback's) become the
      // call's error here.
      try {
        return (*fns)[i](hc, slots);
      } catch (...) {
        hc.store->host_error = std::current_exception();
        return TrapCode::HostError;
      }
    };
    st->funcs[i] = rt::create_host_func(s, catalog()[i].type, std::move(fn));
  }
  return Func(&s, st->funcs[i]);
}

std::vector<std::pair<std::string, FuncType>> wasi_imports() {
  std::vector<std::pair<std::string, FuncType>> out;
  for (const wasi::HostImport& imp : catalog()) out.emplace_back(imp.name, imp.type);
  return out;
}

}  // namespace ember

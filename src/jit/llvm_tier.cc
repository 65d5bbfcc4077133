// Tiering (Config::strategy "auto"): the interpreter runs a module first;
// a function whose calls and loop iterations spend its hotness budget asks
// for its code (CompiledCode::tier_up, from the dispatch loop's TierUp
// instruction), and one background thread per process compiles the
// requests of a module in batches (batch.hh) and installs the code, which
// the function's next call takes -- or, for a loop header, the loop's next
// check (on-stack replacement). The thread never touches Python; with
// Config::parallel_compilation off, the requesting thread waits for its
// batch instead of running on (the program never runs beside a compile).
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "jit/batch.hh"
#include "jit/jit.hh"

namespace ember::jit {

namespace {

// At most this many requests compile in one batch (a process exiting waits
// for the batch in flight), and with parallel compilation at most this many
// IR words, unless one function has more: a request made meanwhile waits
// for one large function's compile, not for a list of them (memcopy's
// helpers, compiled together, left its program interpreted 25% longer).
constexpr size_t kMaxBatch = 16;
constexpr size_t kBatchWords = 512;
// A guess (add_guesses) is a function of at most this many IR words.
constexpr size_t kGuessWords = 1024;

class TierService;

// What a batch or request names in the trace (tier_trace).
std::string traced(const CompiledCode& code, const std::vector<BatchItem>& items) {
  std::string out;
  for (const BatchItem& item : items) {
    const interp::FuncCode& fc = code.funcs[item.func];
    out += (out.empty() ? "" : ", ") + std::string("f") + std::to_string(item.func) +
           (item.osr ? " loops" : "") + " (" + std::to_string(fc.end - fc.begin) + " words)";
  }
  return out.empty() ? "(none left)" : out;
}
std::atomic<TierService*> g_service{nullptr};
thread_local bool t_tier_thread = false;

class TierService {
 public:
  static TierService& get() {
    static TierService service;
    g_service.store(&service, std::memory_order_release);
    return service;
  }

  // At process exit (`status`): a batch still compiling is abandoned --
  // LLVM can take many seconds over one huge function (an interpreter's
  // dispatch loop), code nothing will run -- and the process leaves at once
  // with its status, after flushing stdio. Otherwise as stop().
  void stop_at_exit(int status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      if (compiling_) {
        std::fflush(nullptr);
        std::_Exit(status);
      }
    }
    stop();
  }

  // Joins the thread once; later requests are dropped. Without `wait`, a
  // batch in flight is not waited for (the thread ends after it, or the
  // process exit abandons it: stop_at_exit).
  void stop(bool wait = true) {
    std::unique_ptr<std::thread> worker;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      queue_.clear();
      if (!wait && compiling_) {
        // The caller is about to exit (the CLI, Python's atexit): this
        // hook, registered after whatever LLVM made so far, runs before
        // their destructors and ends the process while the batch compiles.
        register_exit_hook();
        return;
      }
      worker = std::move(worker_);
    }
    wake_.notify_all();
    done_.notify_all();
    if (worker && worker->get_id() != std::this_thread::get_id()) worker->join();
    else if (worker) worker->detach();
  }

  void request(const std::shared_ptr<const ModuleData>& module, uint32_t func, uint32_t word) {
    const CompiledCode& code = *module->code;
    NativeCode& native = *static_cast<NativeCode*>(code.native_code.get());
    const interp::FuncCode& fc = code.funcs[func];
    std::unique_lock<std::mutex> lock(mu_);
    if (forked_ || stop_) return;
    // A loop asks only for its entry (a function that runs one long call
    // never needs the other); the function's next call asks for its own.
    const uint64_t ticket = native.requested + 1;
    const size_t before = native.pending.size();
    if (word == UINT32_MAX && fc.tier.get() == interp::TierState::Interpreted) {
      fc.tier.set(interp::TierState::Queued);
      native.pending.push_back(BatchItem{func, false, ticket});
    }
    if (word != UINT32_MAX && fc.tier.get() != interp::TierState::Refused &&
        native.osr_asked.insert(func).second)
      native.pending.push_back(BatchItem{func, true, ticket});
    if (native.pending.size() == before) {
      ask_again(native, func, word != UINT32_MAX);
      return;
    }
    native.asked_words += fc.end - fc.begin;
    if (tier_trace_on())
      tier_trace("request",
                 traced(code, {native.pending.begin() + ptrdiff_t(before), native.pending.end()}) +
                     (native.queued ? "" : ", module queued"));
    native.requested = ticket;
    if (!native.queued) {
      native.queued = true;
      queue_.push_back(module);
      if (!worker_) {
        register_exit_hook();  // (also after each batch: see run())
        worker_ = std::make_unique<std::thread>([this] { run(); });
      }
      wake_.notify_one();
    }
    if (code.tier_wait) done_.wait(lock, [&] { return native.finished >= ticket || stop_; });
  }

  // The compile thread cannot go on (fail_tier_thread): no more batches;
  // whoever waits for one is woken (its functions stay interpreted).
  void abandon() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      queue_.clear();
    }
    wake_.notify_all();
    done_.notify_all();
  }

  ~TierService() {
    stop();
    g_service.store(nullptr, std::memory_order_release);
  }

 private:
  TierService() {
    pthread_atfork([] { get().mu_.lock(); }, [] { get().mu_.unlock(); },
                   [] { get().after_fork(); });
  }

  // A child of fork() has no compile thread (the parent's may have been in
  // LLVM when it forked): its functions stay as they are, interpreted or
  // compiled.
  void after_fork() {
    forked_ = true;
    static_cast<void>(worker_.release());  // (not a thread of this process)
    mu_.unlock();
  }

  void run() {
    t_tier_thread = true;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      // A module nothing else holds any more is not compiled for: its
      // code would never run.
      std::shared_ptr<const ModuleData> module = queue_.front().lock();
      queue_.pop_front();
      if (!module) continue;
      compiling_ = true;
      const CompiledCode& code = *module->code;
      NativeCode& native = *static_cast<NativeCode*>(code.native_code.get());
      From from = From::Requests;
      std::vector<BatchItem> items = take_batch(code, native, from);
      // The requests this batch completes: all before the first one left.
      uint64_t upto = native.requested;
      for (const BatchItem& item : native.pending) upto = std::min(upto, item.ticket - 1);
      lock.unlock();
      std::vector<uint32_t> guesses;
      if (!items.empty()) {
        if (tier_trace_on())
          tier_trace(from == From::Guesses ? "guess" : "batch", traced(code, items));
        compile(code, *module, items);
        if (from == From::Requests && guesses_ahead(code))
          for (const BatchItem& item : items)
            for (uint32_t callee : looping_callees(native, code, *module, item.func))
              guesses.push_back(callee);
      }
      // Exit runs the handlers registered last first: LLVM's static
      // objects made during this batch go after the thread has stopped.
      register_exit_hook();
      lock.lock();
      compiling_ = false;
      add_guesses(code, native, guesses);
      native.queued = !native.pending.empty() ||
                      (!code.tier_wait && (!native.upgrades.empty() || !native.guesses.empty()));
      // (The rest is a later batch, queued behind the other modules'.)
      if (native.queued) queue_.push_back(module);
      native.finished = std::max(native.finished, upto);
      done_.notify_all();
      lock.unlock();
      module.reset();  // (may free the module: not under the lock)
      lock.lock();
    }
  }

  // Where a batch comes from (take_batch).
  enum class From { Requests, Guesses, Upgrades };

  // The next batch of a module: its requests; when none is left, its
  // guesses (add_guesses); then its upgrades. Running loops come first: a
  // function whose calls its loop entry serves has its own entry compiled
  // later, as an upgrade -- unless nothing may compile while the program
  // runs (tier_wait: the caller that asked waits for it, as for any
  // request; there are no guesses nor upgrades then).
  static std::vector<BatchItem> take_batch(const CompiledCode& code, NativeCode& native,
                                           From& from) {
    // (A guess asked for meanwhile, compiled or refused is no longer one.)
    std::erase_if(native.guesses, [&](const BatchItem& item) {
      return code.funcs[item.func].tier.get() != interp::TierState::Interpreted;
    });
    from = !native.pending.empty()   ? From::Requests
           : !native.guesses.empty() ? From::Guesses
                                     : From::Upgrades;
    std::vector<BatchItem>& list = from == From::Requests  ? native.pending
                                   : from == From::Guesses ? native.guesses
                                                           : native.upgrades;
    if (from == From::Requests && !code.tier_wait) hottest_first(native.pending);
    size_t n = 0;
    for (size_t words = 0; n < std::min(list.size(), kMaxBatch); n++) {
      const interp::FuncCode& fc = code.funcs[list[n].func];
      words += fc.end - fc.begin;
      if (n > 0 && !code.tier_wait && words > kBatchWords) break;
    }
    std::vector<BatchItem> items(list.begin(), list.begin() + ptrdiff_t(n));
    list.erase(list.begin(), list.begin() + ptrdiff_t(n));
    if (from == From::Guesses)
      for (const BatchItem& item : items) code.funcs[item.func].tier.set(interp::TierState::Queued);
    if (code.tier_wait || from != From::Requests) return items;
    // (A function asked for its entry has none: code it has is an OSR entry.)
    auto served = [&](const BatchItem& item) {
      return !item.osr && code.funcs[item.func].native.get();
    };
    std::vector<BatchItem> now;
    for (const BatchItem& item : items) (served(item) ? native.upgrades : now).push_back(item);
    return now;
  }

  // A function whose code is not there yet asked again: it still runs.
  static void ask_again(NativeCode& native, uint32_t func, bool osr) {
    for (BatchItem& item : native.pending)
      if (item.func == func && item.osr == osr) ++item.asks;
  }

  // Requests in the order of how much their functions ran while the last
  // batch compiled (asks), first come first for equal counts: what the
  // program spends its time in now is compiled next. A request made before
  // the batch in flight, for a loop that has ended since (sort's set-up
  // loop in main, a memcpy done with), no longer keeps a running one (sort's
  // quicksort) waiting. Then every count starts again.
  static void hottest_first(std::vector<BatchItem>& pending) {
    std::stable_sort(pending.begin(), pending.end(),
                     [](const BatchItem& a, const BatchItem& b) { return a.asks > b.asks; });
    for (BatchItem& item : pending) item.asks = 0;
  }

  // Whether the tiering thread compiles guesses for `code`: not when the
  // program waits for each compile (tier_wait), nor when the thread
  // would take a core the program runs on.
  static bool guesses_ahead(const CompiledCode& code) {
    static const bool cores = std::thread::hardware_concurrency() > 1;
    return cores && !code.tier_wait;
  }

  // Guesses at what gets hot next: the callees with loops (or recursion)
  // of functions compiled on request, each guessed once, each of at most
  // kGuessWords, and all of them together at most as large as what was
  // asked for (a guess costs a compile nothing may need). Smallest first:
  // most of them ready soonest. (strings ran sort_words interpreted for
  // 200 ms after main was compiled, while this thread had nothing to do.)
  static void add_guesses(const CompiledCode& code, NativeCode& native,
                          const std::vector<uint32_t>& callees) {
    const size_t before = native.guesses.size();
    for (uint32_t f : callees) {
      const interp::FuncCode& fc = code.funcs[f];
      const size_t words = fc.end - fc.begin;
      if (fc.tier.get() != interp::TierState::Interpreted || words > kGuessWords ||
          native.guessed_words + words > native.asked_words || !native.guessed.insert(f).second)
        continue;
      native.guessed_words += words;
      native.guesses.push_back(BatchItem{f, false});
    }
    auto size = [&](const BatchItem& item) {
      return code.funcs[item.func].end - code.funcs[item.func].begin;
    };
    std::stable_sort(native.guesses.begin() + ptrdiff_t(before), native.guesses.end(),
                     [&](const BatchItem& a, const BatchItem& b) { return size(a) < size(b); });
  }

  static void compile(const CompiledCode& code, const ModuleData& m,
                      const std::vector<BatchItem>& items) {
    NativeCode& native = *static_cast<NativeCode*>(code.native_code.get());
    auto compiled = compile_batch(native, code, m, items, nullptr);
    if (compiled) return;
    // LLVM failed: these stay interpreted (the interpreter is correct).
    for (const BatchItem& item : items)
      if (code.funcs[item.func].tier.get() != interp::TierState::Compiled)
        code.funcs[item.func].tier.set(interp::TierState::Refused);
  }

  std::mutex mu_;
  std::condition_variable wake_, done_;
  // Modules with batches to compile, held weakly: the queue must not keep
  // a module alive (a program that makes module after module faster than
  // they compile would otherwise keep them all, and their memory).
  std::deque<std::weak_ptr<const ModuleData>> queue_;
  std::unique_ptr<std::thread> worker_;
  bool stop_ = false;
  bool forked_ = false;
  bool compiling_ = false;  // a batch is in LLVM (under mu_)

  static void exit_hook([[maybe_unused]] int status, void*) {
    if (TierService* service = g_service.load(std::memory_order_acquire))
      service->stop_at_exit(status);
  }
  static void register_exit_hook() {
#ifdef __GLIBC__
    on_exit(&exit_hook, nullptr);  // (glibc: the handler learns the exit status)
#else
    std::atexit([] { stop_tiering(true); });
#endif
  }
};

void request_tier_up(const std::shared_ptr<const ModuleData>& module, uint32_t func,
                     uint32_t word) {
  TierService::get().request(module, func, word);
}

}  // namespace

bool tier_trace_on() {
  static const bool enabled = [] {
    const char* v = std::getenv("EMBER_TIER_TRACE");
    return v && *v && std::string_view(v) != "0";
  }();
  return enabled;
}

void tier_trace(const char* what, const std::string& detail) {
  static const auto start = std::chrono::steady_clock::now();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "ember tier %9.1f ms %s %s\n", ms, what, detail.c_str());
}

bool on_tier_thread() {
  return t_tier_thread;
}

void fail_tier_thread(const char* reason) {
  if (TierService* service = g_service.load(std::memory_order_acquire)) service->abandon();
  // When the process is exiting, its exit hook ends it meanwhile (this batch
  // is still in flight: stop_at_exit); `reason` may name destroyed objects
  // then, so it is read only once that has not happened.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  std::fprintf(stderr,
               "ember: the compiled tier stopped after an internal error of LLVM (%s); "
               "code that is not compiled yet runs in the interpreter\n",
               reason);
  for (;;) pause();  // (never returns: LLVM would end the process)
}

bool tiers_up(const rt::EngineConfig& config) {
  return config.strategy == "auto";
}

void stop_tiering(bool wait) {
  if (TierService* service = g_service.load(std::memory_order_acquire)) service->stop(wait);
}

void prepare_tiering(CompiledCode& code, const rt::EngineConfig& config) {
  if (!tiers_up(config) || code.funcs.empty()) return;
  auto native = std::make_shared<NativeCode>(config, false);
  code.guard_pages = native->guard_pages;
  code.native_code = std::move(native);
  code.tier_up = &request_tier_up;
  code.tier_budget = int32_t(std::min<uint32_t>(config.tier_up_after, INT32_MAX));
  code.tier_recheck = config.parallel_compilation ? std::min(code.tier_budget, 1000) : 0;
  code.tier_wait = !config.parallel_compilation;
  for (interp::FuncCode& fc : code.funcs) fc.hotness.set_relaxed(code.tier_budget);
}

}  // namespace ember::jit

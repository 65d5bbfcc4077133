// Memory faults of compiled code (fault.hh): the SIGSEGV/SIGBUS handler and
// the machine-specific context rewrite.
#include "platform/fault.hh"

#include <signal.h>
#include <ucontext.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace ember::platform {

namespace {

std::atomic<FaultHook> g_hook{nullptr};
struct sigaction g_previous[2];  // SIGSEGV, SIGBUS: what was installed before ours

#if defined(__x86_64__) && defined(__linux__)
constexpr bool kSupported = true;
FaultContext read_context(const ucontext_t& uc) {
  FaultContext f;
  f.pc = uintptr_t(uc.uc_mcontext.gregs[REG_RIP]);
  f.fp = uintptr_t(uc.uc_mcontext.gregs[REG_RBP]);
  f.sp = uintptr_t(uc.uc_mcontext.gregs[REG_RSP]);
  return f;
}
// As if the faulting code had called resume(arg): the stack pointer moved
// below the red zone, aligned as at a function's entry.
void redirect(ucontext_t& uc, uintptr_t sp, void (*resume)(void*), void* arg) {
  uintptr_t new_sp = ((sp - 256) & ~uintptr_t{15}) - 8;
  uc.uc_mcontext.gregs[REG_RSP] = greg_t(new_sp);
  uc.uc_mcontext.gregs[REG_RIP] = greg_t(reinterpret_cast<uintptr_t>(resume));
  uc.uc_mcontext.gregs[REG_RDI] = greg_t(reinterpret_cast<uintptr_t>(arg));
}
#elif defined(__aarch64__) && defined(__linux__)
constexpr bool kSupported = true;
FaultContext read_context(const ucontext_t& uc) {
  FaultContext f;
  f.pc = uintptr_t(uc.uc_mcontext.pc);
  f.fp = uintptr_t(uc.uc_mcontext.regs[29]);
  f.sp = uintptr_t(uc.uc_mcontext.sp);
  return f;
}
void redirect(ucontext_t& uc, uintptr_t sp, void (*resume)(void*), void* arg) {
  uc.uc_mcontext.sp = (sp - 256) & ~uint64_t{15};
  uc.uc_mcontext.pc = reinterpret_cast<uintptr_t>(resume);
  uc.uc_mcontext.regs[0] = reinterpret_cast<uintptr_t>(arg);
}
#else
constexpr bool kSupported = false;
FaultContext read_context(const ucontext_t&) {
  return {};
}
void redirect(ucontext_t&, uintptr_t, void (*)(void*), void*) {}
#endif

// Passes a fault nobody here claimed to the handler installed before.
void chain(int sig, siginfo_t* info, void* uc) {
  const struct sigaction& prev = g_previous[sig == SIGBUS ? 1 : 0];
  if (prev.sa_flags & SA_SIGINFO) {
    prev.sa_sigaction(sig, info, uc);
    return;
  }
  if (prev.sa_handler == SIG_IGN) return;
  if (prev.sa_handler != SIG_DFL) {
    prev.sa_handler(sig);
    return;
  }
  // The default action: returning re-runs the faulting instruction, which
  // now faults with the default disposition.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
}

void on_fault(int sig, siginfo_t* info, void* ucv) {
  auto& uc = *static_cast<ucontext_t*>(ucv);
  FaultHook hook = g_hook.load(std::memory_order_acquire);
  if (hook && info->si_code > 0) {  // (raised by the kernel, not by kill/raise)
    FaultContext f = read_context(uc);
    f.addr = reinterpret_cast<uintptr_t>(info->si_addr);
    void (*resume)(void*) = nullptr;
    void* arg = nullptr;
    if (hook(f, &resume, &arg)) {
      redirect(uc, f.sp, resume, arg);
      return;
    }
  }
  chain(sig, info, ucv);
}

}  // namespace

bool fault_handling_supported() {
  return kSupported;
}

void install_fault_handler(FaultHook hook) {
  static std::once_flag once;
  std::call_once(once, [hook] {
    g_hook.store(hook, std::memory_order_release);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_previous[0]);
    sigaction(SIGBUS, &sa, &g_previous[1]);
  });
}

}  // namespace ember::platform

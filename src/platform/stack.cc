// POSIX implementation of the native stack headroom query: the thread's
// stack bounds come from pthread_getattr_np once per thread.
#include "platform/stack.hh"

#include <pthread.h>

#include <cstdint>

namespace ember::platform {

namespace {

// Lowest usable address of this thread's stack, or 0 when unknown.
uintptr_t stack_low() {
  thread_local uintptr_t low = [] {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return uintptr_t{0};
    void* addr = nullptr;
    size_t size = 0;
    size_t guard = 0;
    uintptr_t result = 0;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
      pthread_attr_getguardsize(&attr, &guard);
      result = reinterpret_cast<uintptr_t>(addr) + guard;
    }
    pthread_attr_destroy(&attr);
    return result;
  }();
  return low;
}

}  // namespace

uintptr_t native_stack_low() {
  return stack_low();
}

size_t native_stack_remaining() {
  uintptr_t low = stack_low();
  if (low == 0) return SIZE_MAX;
  uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  return here > low ? here - low : 0;
}

}  // namespace ember::platform

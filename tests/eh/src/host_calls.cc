// A C++ exception that crosses a host frame: `through_host` calls the
// imported host.call_back, which is expected to call the exported `thrower`
// back; `thrower` throws an int that goes out through the host function
// (which does not catch it) into `through_host`'s handler. Built without
// WASI imports and without an entry point (no main), only these exports.
#include <cstdint>

extern "C" __attribute__((import_module("host"), import_name("call_back"))) void call_back(int32_t);

namespace {
int32_t cleanups = 0;  // destructors run while unwinding
struct Count {
  ~Count() { cleanups++; }
};
}  // namespace

// Throws `v` through one frame that has a destructor.
extern "C" __attribute__((export_name("thrower"))) void thrower(int32_t v) {
  Count c;
  if (v >= 0) throw v;
}

// What the host's callback threw, plus 1000; -1 for another type; 0 when
// the callback returned normally.
extern "C" __attribute__((export_name("through_host"))) int32_t through_host(int32_t v) {
  Count c;
  try {
    call_back(v);
  } catch (int32_t e) {
    return e + 1000;
  } catch (...) {
    return -1;
  }
  return 0;
}

extern "C" __attribute__((export_name("cleanups"))) int32_t get_cleanups() {
  return cleanups;
}

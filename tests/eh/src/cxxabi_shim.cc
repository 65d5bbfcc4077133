// The C++ exception runtime for the programs of tests/eh, just enough for
// them: Debian's wasm32 libc++abi is built without exceptions (it has no
// __cxa_throw, no personality) and there is no wasm libunwind.
//
// How LLVM lowers C++ exceptions to Wasm exception handling: `throw` calls
// __cxa_throw, which throws the tag __cpp_exception (tag 0 of
// __builtin_wasm_throw) with one i32, the address of our Header. A catch
// site's try_table catches that tag, stores its landing-pad index and its
// function's LSDA into __wasm_lpad_context, calls _Unwind_CallPersonality
// with the payload and reads back `selector`: the type-table index of the
// clause that matches, or 0 when none does (the code then rethrows with
// throw_ref). A catch(...)-only site and cleanups (destructors) skip the
// personality. Inside a clause the code calls __cxa_begin_catch and, when
// the clause ends by any path, __cxa_end_catch.
//
// Limits: a catch clause matches only the exact thrown type (no base
// classes, no pointer conversions); no dynamic exception specifications;
// single-threaded (the wasm32 programs have no threads).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <typeinfo>

namespace {

// Lives in front of each thrown object; its address is the tag's payload.
struct Header {
  const std::type_info* type;
  void* (*dtor)(void*);  // Wasm's C++ ABI: destructors return `this`
  Header* next_caught;   // the stack of exceptions being handled
  int handlers;          // catch clauses active; negated while rethrown
};
static_assert(sizeof(Header) % 16 == 0, "the thrown object stays 16-aligned");

Header* caught = nullptr;  // innermost exception being handled

uintptr_t uleb(const uint8_t*& p) {
  uintptr_t v = 0;
  unsigned shift = 0;
  uint8_t b;
  do {
    b = *p++;
    v |= uintptr_t(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  return v;
}

intptr_t sleb(const uint8_t*& p) {
  intptr_t v = 0;
  unsigned shift = 0;
  uint8_t b;
  do {
    b = *p++;
    v |= intptr_t(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  if (shift < 8 * sizeof v && (b & 0x40)) v |= -(intptr_t(1) << shift);
  return v;
}

constexpr uint8_t kOmit = 0xff;  // DW_EH_PE_omit

// Entry `index` (1-based, counted down from `types`) of the type table.
const std::type_info* catch_type(const uint8_t* types, uint8_t encoding, intptr_t index) {
  // absptr, udata4 and sdata4 are all 4 bytes on wasm32; nothing else is emitted.
  if ((encoding & 0x0f) != 0x00 && (encoding & 0x0f) != 0x03 && (encoding & 0x0f) != 0x0b) abort();
  const std::type_info* t;
  memcpy(&t, types - 4 * index, 4);
  return t;  // null for catch(...)
}

}  // namespace

// The tag itself: compiler-rt's builtins define it only when built with
// exceptions, and Debian's are not.
asm(".globl __cpp_exception\n.tagtype __cpp_exception i32\n__cpp_exception:\n");

extern "C" {

// Written by the landing pads LLVM emits, read by the personality below.
struct LpadContext {
  uintptr_t lpad_index;  // which call-site entry of the LSDA
  const uint8_t* lsda;   // the function's GCC_except_table
  uintptr_t selector;    // out: type-table index of the matching clause
};
thread_local LpadContext __wasm_lpad_context;

void* __cxa_allocate_exception(size_t size) noexcept {
  auto* h = static_cast<Header*>(malloc(sizeof(Header) + size));
  if (!h) abort();
  memset(h, 0, sizeof(Header));
  return h + 1;
}

void __cxa_free_exception(void* obj) noexcept {
  free(static_cast<Header*>(obj) - 1);
}

[[noreturn]] void __cxa_throw(void* obj, std::type_info* type, void* (*dtor)(void*)) {
  Header* h = static_cast<Header*>(obj) - 1;
  h->type = type;
  h->dtor = dtor;
  __builtin_wasm_throw(0, h);
}

// Parses the LSDA the way libc++abi's personality does for Wasm: the
// call-site table is indexed by landing pad; each entry names a chain of
// actions, each a type-table index (>0 catch, 0 cleanup) and a link.
int _Unwind_CallPersonality(void* payload) {
  enum { kHandlerFound = 6, kContinueUnwind = 8 };
  auto* h = static_cast<Header*>(payload);
  LpadContext& ctx = __wasm_lpad_context;
  ctx.selector = 0;
  const uint8_t* p = ctx.lsda;
  if (*p++ != kOmit) abort();  // a landing-pad base: never emitted for wasm
  uint8_t type_encoding = *p++;
  const uint8_t* types = nullptr;
  if (type_encoding != kOmit) {
    uintptr_t offset = uleb(p);
    types = p + offset;
  }
  p++;  // call-site encoding: entries are always ULEB128 pairs here
  uintptr_t table_size = uleb(p);
  const uint8_t* actions = p + table_size;
  uintptr_t action = 0;
  for (uintptr_t i = 0; i <= ctx.lpad_index; i++) {
    if (p >= actions) abort();
    uleb(p);  // landing pad number (unused)
    action = uleb(p);
  }
  if (action == 0) return kContinueUnwind;  // cleanup only
  const uint8_t* a = actions + (action - 1);
  for (;;) {
    intptr_t index = sleb(a);
    if (index > 0) {
      const std::type_info* t = catch_type(types, type_encoding, index);
      if (!t || *t == *h->type) {
        ctx.selector = uintptr_t(index);
        return kHandlerFound;
      }
    } else if (index < 0) {
      abort();  // dynamic exception specification: not in C++17
    }
    const uint8_t* link = a;
    intptr_t next = sleb(link);
    if (next == 0) return kContinueUnwind;
    a += next;
  }
}

void* __cxa_get_exception_ptr(void* payload) noexcept {
  return static_cast<Header*>(payload) + 1;
}

void* __cxa_begin_catch(void* payload) noexcept {
  auto* h = static_cast<Header*>(payload);
  h->handlers = h->handlers < 0 ? -h->handlers + 1 : h->handlers + 1;
  if (h != caught) {
    h->next_caught = caught;
    caught = h;
  }
  return h + 1;
}

void __cxa_end_catch() {
  Header* h = caught;
  if (!h) return;
  if (h->handlers < 0) {  // leaving a clause by `throw;`: the object lives on
    if (++h->handlers == 0) caught = h->next_caught;
    return;
  }
  if (--h->handlers == 0) {
    caught = h->next_caught;
    if (h->dtor) h->dtor(h + 1);
    free(h);
  }
}

// Replaces libc++abi's (linked for the type_info classes): its version
// prints through stdio, which would give the host-call module WASI imports.
[[noreturn]] void __abort_message(const char*, ...) {
  abort();
}

[[noreturn]] void __cxa_rethrow() {
  Header* h = caught;
  if (!h) abort();
  h->handlers = -h->handlers;
  __builtin_wasm_throw(0, h);
}

}  // extern "C"

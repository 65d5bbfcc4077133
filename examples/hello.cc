// A first embedding of Ember through the C++ API: compile a module from text,
// give it a host function, instantiate it and call its exports.
//
// Build: part of the CMake build (target `ember_example_hello`); run it with
// no arguments. It exits non-zero if anything does not behave as expected.
#include <cstdio>
#include <ember/ember.hh>

static const char kWat[] = R"(
(module
  (import "host" "print" (func $print (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "Hello from wasm")
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "shout") (param $n i32)
    (call $print (local.get $n)))
  (func (export "crash") unreachable))
)";

int main() {
  try {
    ember::Engine engine;
    ember::Store store(engine);
    ember::Module module = ember::Module::from_text(engine, kWat);

    ember::Linker linker(engine);
    int printed = 0;
    linker.func_wrap(store, "host", "print", [&](int32_t n) {
      std::printf("host.print(%d)\n", n);
      printed = n;
    });
    ember::Instance instance = linker.instantiate(store, module);

    // Typed call: the signature is checked once, calls do not allocate.
    auto add = instance.get_export("add")->func()->typed<int32_t(int32_t, int32_t)>();
    int32_t sum = add(40, 2);
    std::printf("add(40, 2) = %d\n", sum);

    // Dynamic call with Val vectors.
    ember::Func shout = *instance.get_export("shout")->func();
    shout.call(std::vector<ember::Val>{ember::Val::i32(sum)});

    ember::Memory memory = *instance.get_export("memory")->memory();
    std::printf("memory says: %.15s\n", reinterpret_cast<const char*>(memory.data()));

    try {
      instance.get_export("crash")->func()->call({});
      return 1;
    } catch (const ember::Trap& trap) {
      std::printf("trap: %s\n", trap.wasmtime_message());
    }
    return sum == 42 && printed == 42 ? 0 : 1;
  } catch (const ember::WasmError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

// C++ exceptions as a WASI command, compiled to Wasm exception handling
// (try_table, throw, throw_ref, exnref): throws across several frames whose
// destructors must run, catches by type and with catch(...), rethrows with
// `throw;`, nests try blocks and throws from inside a handler. Prints a
// fixed transcript on stdout and exits 0; tests/python/test_eh_program.py
// holds the expected text.
#include <cstdio>

namespace {

int live = 0;  // Error objects alive: every thrown one must be destroyed

struct Error {
  int code;
  explicit Error(int c) : code(c) { live++; }
  Error(const Error& e) : code(e.code) { live++; }
  ~Error() { live--; }
};

struct Other {  // a second class type, so that a clause can miss
  const char* what;
};

// Records its destruction, which happens only if unwinding runs cleanups.
struct Guard {
  const char* name;
  ~Guard() { printf("  ~Guard %s\n", name); }
};

#define NOINLINE __attribute__((noinline))

NOINLINE void level4(int code) {
  Guard g{"level4"};
  if (code) throw Error(code);
  printf("  level4 returned\n");
}
NOINLINE void level3(int code) {
  Guard g{"level3"};
  level4(code);
}
NOINLINE void level2(int code) {
  Guard g{"level2"};
  level3(code);
  printf("  level2 returned\n");
}
NOINLINE void level1(int code) {
  Guard g{"level1"};
  level2(code);
}

// Throws a different type for each `kind`.
NOINLINE void throw_kind(int kind) {
  switch (kind) {
    case 0: throw 42;
    case 1: throw Error(7);
    case 2: throw Other{"other"};
    case 3: throw 2.5;
    default: break;
  }
}

NOINLINE const char* classify(int kind) {
  try {
    throw_kind(kind);
  } catch (int v) {
    printf("  caught int %d\n", v);
    return "int";
  } catch (const Error& e) {
    printf("  caught Error %d\n", e.code);
    return "Error";
  } catch (const Other& o) {
    printf("  caught Other %s\n", o.what);
    return "Other";
  }
  return "nothing";
}

// Catches, adds 100 to the code and rethrows the same object.
NOINLINE void bump_and_rethrow() {
  Guard g{"rethrower"};
  try {
    level2(5);
  } catch (Error& e) {
    printf("  inner caught %d, rethrowing\n", e.code);
    e.code += 100;
    throw;
  }
}

}  // namespace

int main() {
  printf("deep throw:\n");
  try {
    level1(3);
    printf("  not reached\n");
  } catch (const Error& e) {
    printf("  main caught Error %d\n", e.code);
  }
  level1(0);

  printf("catch by type:\n");
  for (int kind = 0; kind < 5; kind++) {
    try {
      printf(" kind %d -> %s\n", kind, classify(kind));
    } catch (...) {
      printf(" kind %d -> escaped to catch(...)\n", kind);
    }
  }

  printf("rethrow:\n");
  try {
    bump_and_rethrow();
  } catch (const Error& e) {
    printf("  outer caught %d\n", e.code);
  }

  printf("nested:\n");
  try {
    try {
      throw 1;
    } catch (int v) {
      printf("  caught int %d\n", v);
      try {
        throw Other{"inner"};
      } catch (...) {
        printf("  inner catch(...)\n");
      }
      try {
        throw;  // the int again: handling the inner one has ended
      } catch (int w) {
        printf("  rethrown int %d\n", w);
      }
      printf("  still handling int %d, now throwing Error\n", v);
      throw Error(v + 1);
    }
  } catch (const Error& e) {
    printf("  outer caught Error %d\n", e.code);
  }
  try {
    try {
      throw Error(9);
    } catch (const Other&) {
      printf("  not reached\n");
    }
  } catch (const Error& e) {
    printf("  missed the inner clause, caught Error %d\n", e.code);
  }

  printf("live Error objects: %d\n", live);
  return live == 0 ? 0 : 1;
}

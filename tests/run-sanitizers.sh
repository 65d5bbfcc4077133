#!/usr/bin/env bash
# The sanitizer runs (part of .ci/run, after tests/run-all.sh). Two more
# builds, each tested once:
#   build/asan  ASan + UBSan (-DEMBER_SANITIZE=ON) with the Python extension:
#               CTest (unit tests, both spec lists, bounded mutation runs of
#               modules and serialized blobs; leaks checked too) and the whole
#               pytest suite with libasan preloaded into the interpreter (and
#               Python objects allocated with malloc, so ASan sees them).
#   build/tsan  ThreadSanitizer (-DEMBER_TSAN=ON): the C++ unit tests that use
#               threads and the Python threading tests (tiering's background
#               compilation and wasi:http exchanges among them), libtsan preloaded.
# EMBER_SANITIZERS=asan or =tsan runs one of them.
# Both have the compiled tier when LLVM is there (build/asan's CTest runs
# the spec suites compiled and tiered); LLVM's own code and the code it
# generates are not instrumented. tests/run-without-jit.sh keeps the build
# without the tier tested.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
which=${EMBER_SANITIZERS:-asan tsan}
libstdcxx=$(g++ -print-file-name=libstdc++.so)
status=0

# Python tests in a sanitized build: the interpreter is not instrumented, so
# the sanitizer runtime must be loaded first, and libstdc++ with it (the
# runtime finds the C++ throw it intercepts only in libraries loaded before
# it). CPython's own allocations are never freed at exit (not leaks of ours):
# leak checking is off.
pytest_in() {  # build-dir preload pytest-args...
  local build=$1 preload=$2
  shift 2
  PYTHONPATH="$PWD/$build/python" EMBER_CLI="$PWD/$build/ember" LD_PRELOAD="$preload" \
    python3 -m pytest -q -p no:cacheprovider "$@"
}

if [[ " $which " == *" asan "* ]]; then
  cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_PYTHON=ON \
        -DEMBER_SANITIZE=ON >/dev/null
  cmake --build build/asan -j"$jobs"
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # wasmtime (the reference engine the differential tests load) handles its
  # own SIGSEGVs: ASan must let it. Our own programs (CTest's) must free
  # what they allocate: LeakSanitizer checks them (a component
  # instantiation once leaked all of itself through a reference cycle).
  export ASAN_OPTIONS=detect_leaks=1:allow_user_segv_handler=1:handle_segv=0
  ctest --test-dir build/asan -j"$jobs" --output-on-failure || status=1
  # pytest: CPython's own allocator would hide Python objects from ASan;
  # with PYTHONMALLOC=malloc each is a malloc block, so a use of one after
  # it is freed is caught (a Caller was written to after its call's
  # argument tuple, its last owner, had freed it). Reports go to files
  # (pytest's output capture would lose a report that ends the process)
  # and are printed when the run fails.
  report=$PWD/build/asan/report
  rm -f "$report".*
  export ASAN_OPTIONS=detect_leaks=0:allow_user_segv_handler=1:handle_segv=0:log_path=$report
  export UBSAN_OPTIONS=$UBSAN_OPTIONS:log_path=$report
  # Tests that cap the address space cannot run under ASan (its shadow
  # memory needs terabytes of it), and a peak-RSS bound measures ASan's
  # allocator there (its quarantine and shadow pages: 100-250 MB for 10,000
  # objects, 520 MB for ten million, either build); the release run covers them.
  PYTHONMALLOC=malloc pytest_in build/asan "$(g++ -print-file-name=libasan.so) $libstdcxx" tests/python \
    --deselect tests/python/test_cli.py::test_endless_input_stops_at_the_limit \
    --deselect tests/python/test_cli.py::test_large_and_unreadable_inputs \
    --deselect tests/python/test_stack_limits.py::test_unmappable_stack_is_reported_as_such \
    --deselect tests/python/test_guard_pages.py::test_without_the_address_space_for_guard_regions_instantiation_is_refused \
    --deselect tests/python/test_gc_heap.py::test_ten_million_dropped_structs_run_in_bounded_memory \
    || { status=1; cat "$report".* 2>/dev/null || true; }
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [[ " $which " == *" tsan "* ]]; then
  cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_PYTHON=ON \
        -DEMBER_TSAN=ON >/dev/null
  cmake --build build/tsan -j"$jobs" --target ember_unit_tests _ember ember_cli
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  build/tsan/tests/ember_unit_tests \
    --gtest_filter='*Thread*:*Epoch*:*Parallel*:*Concurrent*:Cache*' || status=1
  pytest_in build/tsan "$(g++ -print-file-name=libtsan.so) $libstdcxx" tests/python/test_threads.py tests/python/test_store_threads.py tests/python/test_shared_memory.py \
    tests/python/test_execution_control.py tests/python/test_aio.py tests/python/test_tiering.py \
    tests/python/test_live_modules.py tests/python/test_reference_cycles.py \
    || status=1
  # wasi:http's exchange threads; only the tests that run Ember alone (the
  # package's threads are not instrumented).
  pytest_in build/tsan "$(g++ -print-file-name=libtsan.so) $libstdcxx" \
    tests/python/test_component_http.py -k ember_ || status=1
  unset TSAN_OPTIONS
fi
exit $status

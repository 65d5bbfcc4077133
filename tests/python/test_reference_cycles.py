"""Stores and linkers in reference cycles are freed by Python's collector.

The common way to write a host is a class that holds its store, linker and
instance and passes its own bound methods as host functions: the store then
refers (through its host functions) to the object that refers to it. Each
such store reserves gigabytes of address space for its memories, so a host
that makes one per request must get them back without closing each by hand.
The collector is told what a store and a linker hold; these tests check that
such cycles are freed, that nothing still in use is, and that the references
a store or linker holds are given back exactly.
"""
import functools
import gc
import random
import sys
import threading
import weakref
from pathlib import Path

import pytest

import ember as wasmtime
import ember.component

CALL_F = """
(module
  (import "env" "f" (func $f (result i32)))
  (func (export "run") (result i32) call $f))
"""

TABLE_OF_EXTERNREFS = """
(module
  (table (export "t") 4 externref)
  (func (export "keep") (param externref) (table.set (i32.const 0) (local.get 0))))
"""

SPIN = """
(module
  (import "env" "f" (func $f (result i32)))
  (func (export "spin") (param $n i32) (result i32)
    (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n)))
    (i32.add (local.get $acc) (call $f))))
"""

I32_RESULT = wasmtime.FuncType([], [wasmtime.ValType.i32()])


@pytest.fixture(scope="module")
def engine():
    return wasmtime.Engine()


class App:
    """A host in the usual shape: it holds the store, and wasm calls its method."""

    def __init__(self, engine, module, via_linker, caller=False):
        self.store = wasmtime.Store(engine)
        f = self.f_with_caller if caller else self.f
        if via_linker:
            self.linker = wasmtime.Linker(engine)
            self.linker.define_func("env", "f", I32_RESULT, f, access_caller=caller)
            self.instance = self.linker.instantiate(self.store, module)
        else:
            func = wasmtime.Func(self.store, I32_RESULT, f, access_caller=caller)
            self.instance = wasmtime.Instance(self.store, module, [func])

    def f(self):
        return 7

    def f_with_caller(self, caller):
        return 8

    def run(self):
        return self.instance.exports(self.store)["run"](self.store)


def on_threads(work, count=4):
    """Runs `work` on `count` threads at once and waits for them."""
    threads = [threading.Thread(target=work) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def alive(refs):
    gc.collect()
    return sum(r() is not None for r in refs)


@pytest.mark.parametrize("via_linker", [False, True], ids=["func", "linker"])
@pytest.mark.parametrize("caller", [False, True], ids=["plain", "caller"])
def test_a_store_its_own_host_function_refers_to_is_collected(engine, via_linker, caller):
    module = wasmtime.Module(engine, CALL_F)
    stores, apps = [], []
    for _ in range(20):
        app = App(engine, module, via_linker, caller)
        assert app.run() == (8 if caller else 7)
        stores.append(weakref.ref(app.store))
        apps.append(weakref.ref(app))
        del app
    assert alive(stores) == 0
    assert alive(apps) == 0


def test_what_a_store_and_a_linker_report_to_the_collector(engine):
    module = wasmtime.Module(engine, TABLE_OF_EXTERNREFS)

    def f():
        return 1

    def g():
        return 2

    class Kept:
        pass

    store = wasmtime.Store(engine)
    wasmtime.Func(store, I32_RESULT, f)
    kept = Kept()
    instance = wasmtime.Instance(store, module, [])
    instance.exports(store)["keep"](store, kept)
    referents = gc.get_referents(store)
    assert any(r is f for r in referents)
    assert any(r is kept for r in referents)
    assert any(r is engine for r in referents)

    linker = wasmtime.Linker(engine)
    linker.define_func("env", "g", I32_RESULT, g)
    assert any(r is g for r in gc.get_referents(linker._h))
    # Shared with an InstancePre, the definition is no longer the linker's
    # alone: not reported (the cycle stays, as it would without support).
    pre = linker.instantiate_pre(wasmtime.Module(engine, CALL_F.replace('"f"', '"g"')))
    assert not any(r is g for r in gc.get_referents(linker._h))
    del pre
    assert any(r is g for r in gc.get_referents(linker._h))


def test_a_cycle_through_a_partial_is_collected(engine):
    # No object with a __dict__ in the cycle: the store itself must let go.
    module = wasmtime.Module(engine, CALL_F)
    refs = []
    for _ in range(5):
        store = wasmtime.Store(engine)
        func = wasmtime.Func(store, I32_RESULT, functools.partial(lambda s: 3, store))
        instance = wasmtime.Instance(store, module, [func])
        assert instance.exports(store)["run"](store) == 3
        refs.append(weakref.ref(store))
        del store, func, instance
    assert alive(refs) == 0


def test_a_linker_its_own_host_function_refers_to_is_collected(engine):
    def make():
        # (In a function of its own: `del holder` here would empty the
        # lambda's cell and leave no cycle.)
        holder = {}
        linker = wasmtime.Linker(engine)
        holder["linker"] = linker
        linker.define_func("env", "f", I32_RESULT, lambda: len(holder))
        return weakref.ref(linker)

    refs = [make() for _ in range(5)]
    assert alive(refs) == 0


def test_a_store_holding_an_externref_to_its_owner_is_collected(engine):
    module = wasmtime.Module(engine, TABLE_OF_EXTERNREFS)

    class Owner:
        def __init__(self):
            self.store = wasmtime.Store(engine)

    refs = []
    for _ in range(5):
        owner = Owner()
        instance = wasmtime.Instance(owner.store, module, [])
        instance.exports(owner.store)["keep"](owner.store, owner)
        assert instance.exports(owner.store)["t"].get(owner.store, 0) is owner
        refs.append(weakref.ref(owner.store))
        del owner, instance
    assert alive(refs) == 0


def test_what_is_still_referenced_survives_a_collection(engine):
    module = wasmtime.Module(engine, CALL_F)
    app = App(engine, module, via_linker=True)
    gc.collect()
    assert app.run() == 7
    # The store alone (not the object holding it) is still referenced.
    store, instance = app.store, app.instance
    del app
    gc.collect()
    assert instance.exports(store)["run"](store) == 7


def test_a_collection_inside_a_host_call_leaves_the_running_store_alone(engine):
    module = wasmtime.Module(engine, CALL_F)

    class Collecting(App):
        def f(self):
            gc.collect()
            return 9

    refs = []
    for _ in range(3):
        app = Collecting(engine, module, via_linker=True)
        refs.append(weakref.ref(app.store))
        # The only references to `app` are the running call's.
        assert app.run() == 9
        del app
    assert alive(refs) == 0


def test_a_collection_on_another_thread_while_wasm_runs(engine):
    module = wasmtime.Module(engine, SPIN)
    results = []

    class Spinner:
        def __init__(self):
            self.store = wasmtime.Store(engine)
            linker = wasmtime.Linker(engine)
            linker.define_func("env", "f", I32_RESULT, self.f)
            self.spin = linker.instantiate(self.store, module).exports(self.store)["spin"]

        def f(self):
            return 1

        def run(self, n):
            results.append(self.spin(self.store, n))

    refs, collections = [], 0
    for _ in range(3):
        spinner = Spinner()
        refs.append(weakref.ref(spinner.store))
        t = threading.Thread(target=spinner.run, args=(3_000_000,))
        del spinner
        t.start()
        while t.is_alive():
            gc.collect()
            collections += 1
        t.join()
        del t
    n = 3_000_000
    expected = ((n * (n + 1) // 2) + 1) & 0xFFFFFFFF
    assert results == [expected - (1 << 32) if expected >= 1 << 31 else expected] * 3
    assert collections > 0
    assert alive(refs) == 0


def test_stores_and_linkers_give_back_every_reference_they_took(engine):
    module = wasmtime.Module(engine, CALL_F)

    def f():
        return 5

    base = sys.getrefcount(f)
    linker = wasmtime.Linker(engine)
    linker.define_func("env", "f", I32_RESULT, f)
    stores = [wasmtime.Store(engine) for _ in range(10)]
    for store in stores:
        instance = linker.instantiate(store, module)
        assert instance.exports(store)["run"](store) == 5
        func = wasmtime.Func(store, I32_RESULT, f)
        assert func(store) == 5
    assert sys.getrefcount(f) == base + 1 + 2 * len(stores)
    del stores, store, instance, func
    gc.collect()
    assert sys.getrefcount(f) == base + 1
    del linker
    gc.collect()
    assert sys.getrefcount(f) == base


def test_an_instance_pre_outliving_its_linker_still_instantiates(engine):
    module = wasmtime.Module(engine, CALL_F)

    def make_pre():
        holder = {}
        linker = wasmtime.Linker(engine)
        holder["linker"] = linker  # the linker's host function refers to it
        linker.define_func("env", "f", I32_RESULT, lambda: 4 + len(holder))
        return linker.instantiate_pre(module), weakref.ref(linker)

    pre, linker = make_pre()
    gc.collect()
    # The definition the InstancePre still holds keeps the cycle alive.
    assert linker() is not None
    store = wasmtime.Store(engine)
    assert pre.instantiate(store).exports(store)["run"](store) == 5
    del pre, store
    assert alive([linker]) == 0


def test_a_store_the_collector_closed_refuses_calls_cleanly(engine):
    # An object that survives (resurrected by a finalizer) sees a closed store.
    module = wasmtime.Module(engine, CALL_F)
    saved = []

    class Resurrecting(App):
        def __del__(self):
            saved.append((self.store, self.instance))

    app = Resurrecting(engine, module, via_linker=False)
    del app
    gc.collect()
    assert len(saved) == 1
    store, instance = saved.pop()
    # The finalizer ran before the cycle was cleared; the collector then
    # found the store referenced again and left it open.
    assert instance.exports(store)["run"](store) == 7


KEEP_AND_CALL = """
(module
  (import "env" "f" (func $f (result i32)))
  (table (export "t") 2 externref)
  (func (export "keep") (param externref) (table.set (i32.const 0) (local.get 0)))
  (func (export "run") (result i32) call $f))
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_graphs_of_stores_linkers_and_hosts(engine, seed):
    """Random steps over hosts whose stores, linkers and callables refer to
    one another, with collections at any point (inside host calls too):
    every call still returns its host's number, and once everything is
    dropped every store is freed."""
    rng = random.Random(seed)
    module = wasmtime.Module(engine, KEEP_AND_CALL)

    class Host:
        def __init__(self, number):
            self.number = number
            self.store = wasmtime.Store(engine)
            self.others = []
            self.instances = []

        def f(self):
            if rng.random() < 0.1:
                gc.collect()
            return self.number

    def run(store_refs):
        hosts: list[Host] = []
        linkers: list[tuple[wasmtime.Linker, int]] = []
        pres: list[tuple[wasmtime.InstancePre, int]] = []
        for step in range(300):
            op = rng.randrange(8)
            if op == 0 or not hosts:
                host = Host(len(store_refs))
                hosts.append(host)
                store_refs.append(weakref.ref(host.store))
            elif op == 1:
                host = rng.choice(hosts)
                linker = wasmtime.Linker(engine)
                linker.define_func("env", "f", I32_RESULT, host.f)
                host.others.append(linker)  # the linker refers back to its host
                linkers.append((linker, host.number))
            elif op == 2 and linkers:
                host = rng.choice(hosts)
                linker, number = rng.choice(linkers)
                host.instances.append((linker.instantiate(host.store, module), number))
            elif op == 3:
                host = rng.choice(hosts)
                target = rng.choice(hosts)
                func = wasmtime.Func(host.store, I32_RESULT, target.f)
                instance = wasmtime.Instance(host.store, module, [func])
                host.instances.append((instance, target.number))
            elif op == 4:
                host = rng.choice(hosts)
                if host.instances:
                    instance, number = rng.choice(host.instances)
                    exports = instance.exports(host.store)
                    assert exports["run"](host.store) == number
                    exports["keep"](host.store, rng.choice(hosts))
            elif op == 5 and linkers:
                linker, number = linkers.pop(rng.randrange(len(linkers)))
                if rng.random() < 0.5:
                    pres.append((linker.instantiate_pre(module), number))
            elif op == 6 and pres:
                host = rng.choice(hosts)
                pre, number = rng.choice(pres)
                host.instances.append((pre.instantiate(host.store), number))
            elif op == 7:
                hosts.pop(rng.randrange(len(hosts)))
                if rng.random() < 0.3:
                    gc.collect()
        for host in hosts:
            for instance, number in host.instances:
                assert instance.exports(host.store)["run"](host.store) == number

    store_refs: list[weakref.ref[wasmtime.Store]] = []
    run(store_refs)  # its locals go with it
    assert alive(store_refs) == 0


def test_one_linker_instantiating_in_stores_on_several_threads(engine):
    # Each instantiation makes the store's own context for the linker's
    # host function, taking the GIL back while the others run wasm.
    module = wasmtime.Module(engine, SPIN)
    linker = wasmtime.Linker(engine)
    linker.define_func("env", "f", I32_RESULT, lambda: 2)
    errors, refs = [], []

    def work():
        try:
            for _ in range(20):
                store = wasmtime.Store(engine)
                refs.append(weakref.ref(store))
                spin = linker.instantiate(store, module).exports(store)["spin"]
                assert spin(store, 20000) == 20000 * 20001 // 2 + 2
                gc.collect()
        except Exception as e:  # reported below, with the thread's failure
            errors.append(e)

    on_threads(work)
    assert errors == []
    assert alive(refs) == 0


# ---- WASI output callbacks -----------------------------------------------

# write(fd, ptr, len) -> errno; renumber(from, to) -> errno ("hi!\n" at 16).
WASI_WRITE = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 16) "hi!\\n")
  (func (export "write") (param $fd i32) (result i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 4))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "renumber") (param i32 i32) (result i32)
    (call $fd_renumber (local.get 0) (local.get 1))))
"""


class Printer:
    """A host whose WASI output goes to its own methods: store -> sink -> self."""

    def __init__(self, engine, module):
        self.out, self.err = [], []
        self.store = wasmtime.Store(engine)
        wasi = wasmtime.WasiConfig()
        wasi.stdout_custom = self.write_out
        wasi.stderr_custom = self.write_err
        self.store.set_wasi(wasi)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        self.exports = linker.instantiate(self.store, module).exports(self.store)

    def write_out(self, data):
        self.out.append(data)

    def write_err(self, data):
        self.err.append(data)

    def call(self, name, *args):
        return self.exports[name](self.store, *args)


def test_a_store_its_own_wasi_output_callback_refers_to_is_collected(engine):
    module = wasmtime.Module(engine, WASI_WRITE)
    stores, printers = [], []
    for i in range(10):
        p = Printer(engine, module)
        assert p.call("write", 1) == 0 and p.call("write", 2) == 0
        assert p.out == [b"hi!\n"] and p.err == [b"hi!\n"]
        if i % 2:
            # The guest moved stdout over stdin: still one reference.
            assert p.call("renumber", 1, 0) == 0
            assert p.call("write", 0) == 0 and p.out == [b"hi!\n"] * 2
        stores.append(weakref.ref(p.store))
        printers.append(weakref.ref(p))
        del p
    assert alive(stores) == 0
    assert alive(printers) == 0


def test_what_a_store_reports_of_its_wasi_output(engine):
    module = wasmtime.Module(engine, WASI_WRITE)
    p = Printer(engine, module)
    out, err = p.write_out, p.write_err  # (bound methods: compared by ==)
    referents = gc.get_referents(p.store)
    assert any(r == out for r in referents) and any(r == err for r in referents)
    # The guest replaced stderr by stdout: the stderr sink is gone.
    assert p.call("renumber", 1, 2) == 0
    referents = gc.get_referents(p.store)
    assert any(r == out for r in referents) and not any(r == err for r in referents)
    assert p.call("write", 2) == 0 and p.out == [b"hi!\n"] and p.err == []


def test_a_wasi_output_callback_gives_back_its_references(engine):
    module = wasmtime.Module(engine, WASI_WRITE)
    seen = []

    def sink(data):
        seen.append(data)

    base = sys.getrefcount(sink)
    stores = []
    for _ in range(5):
        store = wasmtime.Store(engine)
        wasi = wasmtime.WasiConfig()
        wasi.stdout_custom = sink
        store.set_wasi(wasi)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        exports = linker.instantiate(store, module).exports(store)
        assert exports["write"](store, 1) == 0
        stores.append(store)
    assert sys.getrefcount(sink) == base + len(stores)
    # A collection frees nothing still referenced, and every store still writes.
    gc.collect()
    assert sys.getrefcount(sink) == base + len(stores)
    # A new context replaces the old one and its reference.
    stores[0].set_wasi(wasmtime.WasiConfig())
    assert sys.getrefcount(sink) == base + len(stores) - 1
    del stores, store, exports, linker
    gc.collect()
    assert sys.getrefcount(sink) == base
    assert seen == [b"hi!\n"] * 5


def test_a_printer_still_referenced_survives_and_writes(engine):
    module = wasmtime.Module(engine, WASI_WRITE)
    p = Printer(engine, module)
    store, exports = p.store, p.exports
    del p
    gc.collect()
    # The printer is reachable only from the store's sink, and the store is
    # still referenced: both stay, and the output still arrives.
    assert exports["write"](store, 1) == 0
    referents = [r for r in gc.get_referents(store) if hasattr(r, "__self__")]
    assert referents and referents[0].__self__.out == [b"hi!\n"]


# ---- component host functions --------------------------------------------

# A component importing `add`, `host.upper`, `host.sum`, `host.log`,
# `host.nested.seven` and a core module `helper`; it exports `add3`,
# `shout`, `total` and `twenty-one` calling them.
IMPORTS = (Path(__file__).parents[1] / "component" / "run" / "imports.wasm").read_bytes()
HELPER = '(module (func (export "triple") (param i32) (result i32) ' \
         '(i32.mul (local.get 0) (i32.const 3))))'


def define_imports(engine, root, host):
    """Every import of IMPORTS, each a bound method of `host`."""
    root.add_func("add", host.add)
    with root.add_instance("host") as h:
        h.add_func("upper", host.upper)
        h.add_func("sum", host.sum)
        h.add_func("log", host.log)
        with h.add_instance("nested") as n:
            n.add_func("seven", host.seven)
    root.add_module("helper", wasmtime.Module(engine, HELPER))


class ComponentApp:
    """A component host in the usual shape: store, linker and instance held,
    every import a method of the object."""

    def __init__(self, engine, component, linker=None):
        self.logs = []
        self.store = wasmtime.Store(engine)
        if linker is None:
            linker = component_linker(engine, self)
        self.linker = linker
        self.instance = linker.instantiate(self.store, component)

    def add(self, sc, a, b):
        return a + b

    def upper(self, sc, s):
        return s.upper()

    def sum(self, sc, xs):
        return sum(xs)

    def log(self, sc, m):
        self.logs.append(m)

    def seven(self, sc):
        return 7

    def call(self, name, *args):
        return self.instance.get_func(self.store, name)(self.store, *args)


def component_linker(engine, host):
    linker = wasmtime.component.Linker(engine)
    with linker.root() as root:
        define_imports(engine, root, host)
    return linker


@pytest.fixture(scope="module")
def imports_component(engine):
    return wasmtime.component.Component(engine, IMPORTS)


def test_a_store_its_own_component_host_function_refers_to_is_collected(
        engine, imports_component):
    stores, apps = [], []
    for _ in range(10):
        app = ComponentApp(engine, imports_component)
        assert app.call("add3", 1, 2, 3) == 6
        assert app.call("shout", "héllo") == "HÉLLO" and app.logs == ["HÉLLO"]
        assert app.call("twenty-one") == 21
        stores.append(weakref.ref(app.store))
        apps.append(weakref.ref(app))
        del app
    assert alive(stores) == 0
    assert alive(apps) == 0


def test_stores_sharing_a_component_linker_are_collected(engine, imports_component):
    # One host object holds the linker whose functions are its methods, and
    # the apps whose stores instantiate with it: every store refers to the
    # host (through its copies of the adapters), the host to every store.
    class Shared(ComponentApp):
        def __init__(self):
            self.logs = []
            self.linker = component_linker(engine, self)
            self.apps = []

    shared = Shared()
    stores = []
    for _ in range(5):
        app = ComponentApp(engine, imports_component, linker=shared.linker)
        shared.apps.append(app)
        assert app.call("shout", "x") == "X"
        stores.append(weakref.ref(app.store))
        del app
    assert shared.logs == ["X"] * 5
    refs = [weakref.ref(shared), weakref.ref(shared.linker)]
    del shared
    assert alive(stores) == 0
    assert alive(refs) == 0


def test_a_component_linker_its_own_host_function_refers_to_is_collected(engine):
    def make():
        holder = {}
        linker = wasmtime.component.Linker(engine)
        holder["linker"] = linker
        with linker.root() as root:
            root.add_func("add", lambda sc, a, b: a + b + len(holder))
        return weakref.ref(linker)

    refs = [make() for _ in range(5)]
    assert alive(refs) == 0


def test_component_host_functions_give_back_every_reference(engine, imports_component):
    class Host(ComponentApp):
        def __init__(self):  # (only the methods)
            self.logs = []

    host = Host()
    base = sys.getrefcount(host)
    linker = component_linker(engine, host)
    # Each definition's adapter holds its bound method, and so the host.
    assert sys.getrefcount(host) == base + 5
    stores = [wasmtime.Store(engine) for _ in range(4)]
    for store in stores:
        instance = linker.instantiate(store, imports_component)
        assert instance.get_func(store, "add3")(store, 1, 1, 1) == 3
    gc.collect()
    assert sys.getrefcount(host) == base + 5  # the stores hold the adapters, not the host
    referents = [r for r in gc.get_referents(stores[0]) if getattr(r, "__name__", "") == "adapter"]
    assert len(referents) == 5  # one adapter per function the store instantiated
    del stores, store, instance, referents
    gc.collect()
    del linker
    gc.collect()
    assert sys.getrefcount(host) == base


def test_a_component_instance_still_referenced_survives_a_collection(engine, imports_component):
    app = ComponentApp(engine, imports_component)
    store, instance = app.store, app.instance
    del app
    gc.collect()
    # The app is reachable only through the store's host functions; the store
    # is referenced, so the app and everything it holds stay.
    assert instance.get_func(store, "shout")(store, "ok") == "OK"
    assert instance.get_func(store, "add3")(store, 4, 5, 6) == 15


def test_a_component_function_of_a_closed_store_is_refused(engine, imports_component):
    app = ComponentApp(engine, imports_component)
    add3 = app.instance.get_func(app.store, "add3")
    app.store.close()
    with pytest.raises(ValueError, match="closed"):
        add3(app.store, 1, 2, 3)
    other = wasmtime.Store(engine)
    with pytest.raises(wasmtime.WasmtimeError, match="wrong store"):
        add3(other, 1, 2, 3)


def test_component_instantiation_on_several_threads(engine, imports_component):
    linker = component_linker(engine, ComponentApp.__new__(ComponentApp))
    stores, errors = [], []

    def work():
        try:
            for _ in range(10):
                store = wasmtime.Store(engine)
                instance = linker.instantiate(store, imports_component)
                assert instance.get_func(store, "add3")(store, 1, 2, 3) == 6
                stores.append(weakref.ref(store))
                gc.collect()
        except Exception as e:  # reported below
            errors.append(e)

    on_threads(work)
    assert errors == []
    assert alive(stores) == 0

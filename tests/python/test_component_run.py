"""Components run: instantiation and calls through the canonical ABI,
against the `wasmtime` package (the reference engine, tests only).

The component is tests/component/run/values.wasm (its .wat says what each
export does; tests/component/build.sh makes it). Every call is made in both
engines and the results, errors and their messages compared; hypothesis
draws the values of every value type the component's echo functions take.
"""
import math
import struct
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

import pytest
import wasmtime
import wasmtime.component as wc
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.component as ec

WASM = (Path(__file__).parents[1] / "component" / "run" / "values.wasm").read_bytes()
ENGINES = [(ember, ec), (wasmtime, wc)]


def fresh(mod: Any, comp_mod: Any) -> Tuple[Any, Any]:
    engine = mod.Engine()
    store = mod.Store(engine)
    component = comp_mod.Component(engine, WASM)
    return store, comp_mod.Linker(engine).instantiate(store, component)


def record(mod: Any, **fields: Any) -> Any:
    r = mod.Record()
    for k, v in fields.items():
        setattr(r, k, v)
    return r


def outcome(mod: Any, comp_mod: Any, name: str, *args: Any) -> Tuple[str, Any]:
    store, inst = fresh(mod, comp_mod)
    try:
        return ("ok", inst.get_func(store, name)(store, *args))
    except Exception as e:  # compared across engines, class and message
        return (type(e).__name__, str(e).splitlines()[0] if str(e) else "")


def same(name: str, *args: Any,
         convert: Optional[Callable[[Any, Any], Tuple[Any, ...]]] = None) -> Any:
    """Calls `name` in both engines; both results (or errors) must agree."""
    got = []
    for mod, comp_mod in ENGINES:
        call_args = convert(mod, comp_mod) if convert is not None else args
        got.append(outcome(mod, comp_mod, name, *call_args))
    a, b = got
    if a[0] == "ok" and b[0] == "ok":
        assert normalize(a[1]) == normalize(b[1]), (name, args, a, b)
    else:
        assert a == b, (name, args, a, b)
    return a


def normalize(v: Any) -> Any:
    """Records and Variants of either package as comparable plain data."""
    if isinstance(v, (ec.Record, wc.Record)):
        return ("record", sorted((k, normalize(x)) for k, x in v.__dict__.items()))
    if isinstance(v, (ec.Variant, wc.Variant)):
        return ("variant", v.tag, normalize(v.payload))
    if isinstance(v, list):
        return [normalize(x) for x in v]
    if isinstance(v, tuple):
        return tuple(normalize(x) for x in v)
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return v


SCALARS = [
    ("echo-bool", [True, False]),
    ("echo-s8", [-128, 127, 300, -1]),
    ("echo-u8", [0, 255, 256, -1]),
    ("echo-s16", [-32768, 32767, 70000]),
    ("echo-u16", [0, 65535, -1]),
    ("echo-s32", [-2**31, 2**31 - 1, 2**32 + 5]),
    ("echo-u32", [0, 2**32 - 1, -1, True]),
    ("echo-s64", [-2**63, 2**63 - 1, 2**64 + 3]),
    ("echo-u64", [0, 2**64 - 1, -1]),
    ("echo-f32", [0.0, -1.5, 1e300, float("inf"), float("nan")]),
    ("echo-f64", [0.0, -2.25, 1e-310, float("nan")]),
    ("echo-char", ["a", "é", "🌍", "\0"]),
]


@pytest.mark.parametrize("name,values", SCALARS)
def test_scalars_round_trip_as_in_wasmtime(name: str, values: List[Any]) -> None:
    for v in values:
        same(name, v)


@pytest.mark.parametrize("name,value", [
    ("echo-bool", 1), ("echo-u32", 1.0), ("echo-f64", 1), ("echo-char", "ab"),
    ("echo-char", 97), ("echo-string", b"x"), ("echo-bytes", "x"), ("echo-bytes", [1, 2]),
    ("echo-tuples", [(1,)]), ("echo-tuples", [[1, "a"]]), ("echo-enums", ["purple"]),
    ("echo-flags", [["x"]]), ("echo-flags", [{1}]), ("echo-options", [3]),
])
def test_wrong_python_values_raise_as_in_wasmtime(name: str, value: Any) -> None:
    same(name, value)


def test_wrong_argument_count_is_a_type_error() -> None:
    for mod, comp_mod in ENGINES:
        store, inst = fresh(mod, comp_mod)
        f = inst.get_func(store, "echo-u32")
        with pytest.raises(TypeError, match="wrong number of parameters"):
            f(store)
        with pytest.raises(TypeError):
            f(store, 1, 2)


@pytest.mark.parametrize("text", ["", "héllo 🌍", "a" * 1000, "ÿ", "\u0100", "😀" * 20])
@pytest.mark.parametrize("name", ["echo-string", "echo-string16", "echo-string-latin1"])
def test_strings_in_each_encoding(name: str, text: str) -> None:
    assert same(name, text) == ("ok", text)


def test_lists_records_variants_options_results_enums_flags() -> None:
    same("echo-bytes", b"")
    same("echo-bytes", bytes(range(256)) * 10)
    same("echo-records", [], convert=lambda m, c: ([],))
    same("echo-records", convert=lambda m, c: ([record(c, a=1, b="x", c=2.5),
                                                record(c, a=300, b="", c=-0.0)],))
    same("echo-tuples", [(-1, "a"), (5, "🌍")])
    same("echo-variants", convert=lambda m, c: ([c.Variant("none"), c.Variant("num", 5),
                                                 c.Variant("big", 2**40)],))
    same("echo-var", convert=lambda m, c: (c.Variant("big", 2**64 - 1),))
    same("echo-var", convert=lambda m, c: (c.Variant("num", 7),))
    same("echo-options", [None, "x", ""])
    same("echo-results", [3, "err", 0, ""])
    same("echo-enums", ["red", "blue", "green"])
    same("echo-flags", [set(), {"x", "z"}, {"x", "y", "z"}])
    same("echo-nested", [["a", "b"], [], ["c"]])


def test_a_record_needs_its_fields() -> None:
    class Partial:
        a = 1
        b = "x"
    for mod, comp_mod in ENGINES:
        store, inst = fresh(mod, comp_mod)
        with pytest.raises(AttributeError):
            inst.get_func(store, "echo-records")(store, [Partial()])


def test_seventeen_parameters_go_through_memory() -> None:
    assert same("sum17", *range(17)) == ("ok", sum(range(17)))


def test_post_return_runs_after_each_call() -> None:
    for mod, comp_mod in ENGINES:
        store, inst = fresh(mod, comp_mod)
        echo = inst.get_func(store, "echo-u32")
        posts = inst.get_func(store, "posts")
        assert echo(store, 5) == 5
        echo.post_return(store)  # nothing waits: the post-return already ran
        assert echo(store, 6) == 6
        assert posts(store) == 2


@pytest.mark.parametrize("name,message", [
    ("bad-string", "string pointer/length out of bounds of memory"),
    ("bad-disc", "discriminant 7 out of range [0..3)"),
    ("bad-char", "converted integer out of range for `char`"),
    ("trap", "error while executing at wasm backtrace:"),
])
def test_guest_errors_are_errors_and_poison_the_instance(name: str, message: str) -> None:
    assert same(name) == ("WasmtimeError", message)
    for mod, comp_mod in ENGINES:
        store, inst = fresh(mod, comp_mod)
        with pytest.raises(mod.WasmtimeError):
            inst.get_func(store, name)(store)
        with pytest.raises(mod.WasmtimeError, match="cannot enter component instance"):
            inst.get_func(store, "posts")(store)


def test_invalid_utf8_from_the_guest_is_an_error() -> None:
    store, inst = fresh(ember, ec)
    with pytest.raises(ember.WasmtimeError, match="utf-8"):
        inst.get_func(store, "bad-utf8")(store)


def test_exports_and_indices() -> None:
    engine = ember.Engine()
    component = ec.Component(engine, WASM)
    assert component.get_export_index("echo-u32") is not None
    assert component.get_export_index("nope") is None
    store = ember.Store(engine)
    inst = ec.Linker(engine).instantiate(store, component)
    idx = inst.get_export_index(store, "echo-u32")
    assert idx is not None
    f = inst.get_func(store, idx)
    assert f is not None and f(store, 3) == 3
    assert inst.get_export_index(store, "nope") is None
    assert inst.get_func(store, "nope") is None
    with pytest.raises(ember.WasmtimeError):
        ec.ExportIndex()
    records = inst.get_func(store, "echo-records")
    assert records is not None
    ty = records.type(store)
    assert [n for n, _ in ty.params] == ["v"]
    assert isinstance(ty.result, ec.ListType)
    rec = ty.result.element
    assert isinstance(rec, ec.RecordType)
    assert [(n, type(t)) for n, t in rec.fields] == [("a", ec.U8), ("b", ec.String),
                                                    ("c", ec.F64)]
    echo = inst.get_func(store, "echo-u32")
    assert echo is not None and echo.type(store).result == ec.U32()


def test_core_module_bytes_and_text_are_refused() -> None:
    engine = ember.Engine()
    with pytest.raises(ember.WasmtimeError):
        ec.Component(engine, b"\0asm\x01\0\0\0")
    with pytest.raises(ember.WasmtimeError, match="expected `\\(component`"):
        ec.Component(engine, "(module)")
    ec.Component(engine, "(component)")  # the text format (test_component_text.py)
    with pytest.raises(ember.WasmtimeError):
        ec.Component(engine, WASM[:-3])


def test_another_store_is_refused() -> None:
    engine = ember.Engine()
    store, inst = fresh(ember, ec)
    f = inst.get_func(store, "echo-u32")
    with pytest.raises(ember.WasmtimeError, match="wrong store"):
        f(ember.Store(engine), 1)


LINKED = (Path(__file__).parents[1] / "component" / "run" / "linked.wasm").read_bytes()


@pytest.mark.parametrize("mod,comp_mod", ENGINES)
def test_components_linked_inside_a_component(mod: Any, comp_mod: Any) -> None:
    engine = mod.Engine()
    store = mod.Store(engine)
    component = comp_mod.Component(engine, LINKED)
    inst = comp_mod.Linker(engine).instantiate(store, component)
    # A string through `canon lower` from one memory to another and back.
    for text in ["", "héllo 🌍", "x" * 500]:
        assert inst.get_func(store, "twice")(store, text) == text
    # Two instances of one component keep their own state.
    one = inst.get_export_index(store, "one")
    two = inst.get_export_index(store, "two")
    next_one = inst.get_func(store, inst.get_export_index(store, "next", one))
    next_two = inst.get_func(store, inst.get_export_index(store, "next", two))
    assert [next_one(store), next_one(store), next_two(store)] == [1, 2, 1]
    assert component.get_export_index("next", component.get_export_index("one")) is not None
    assert component.get_export_index("nope", component.get_export_index("one")) is None
    assert inst.get_export_index(store, "nope", one) is None


# ---- random values of every type, both engines ------------------------------

f32s = st.floats(width=32, allow_nan=False)
texts = st.text(max_size=40)
VALUES = {
    "echo-s8": st.integers(-2**7, 2**7 - 1),
    "echo-u16": st.integers(0, 2**16 - 1),
    "echo-s64": st.integers(-2**63, 2**63 - 1),
    "echo-u64": st.integers(0, 2**64 - 1),
    "echo-f32": f32s,
    "echo-f64": st.floats(allow_nan=False),
    "echo-char": st.characters(exclude_categories=["Cs"]),
    "echo-string": texts,
    "echo-string16": texts,
    "echo-string-latin1": texts,
    "echo-bytes": st.binary(max_size=300),
    "echo-tuples": st.lists(st.tuples(st.integers(-2**15, 2**15 - 1),
                                      st.characters(exclude_categories=["Cs"])), max_size=8),
    "echo-options": st.lists(st.none() | texts, max_size=8),
    "echo-results": st.lists(st.integers(0, 2**32 - 1) | texts, max_size=8),
    "echo-enums": st.lists(st.sampled_from(["red", "green", "blue"]), max_size=8),
    "echo-flags": st.lists(st.sets(st.sampled_from(["x", "y", "z"])), max_size=8),
    "echo-nested": st.lists(st.lists(texts, max_size=4), max_size=4),
}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(VALUES)).flatmap(lambda n: st.tuples(st.just(n), VALUES[n])))
def test_random_values_agree_with_wasmtime(case: Tuple[str, Any]) -> None:
    name, value = case
    kind, got = same(name, value)
    assert kind == "ok"
    if name == "echo-f32":
        assert got == struct.unpack("f", struct.pack("f", value))[0]
    elif name not in ("echo-results",):
        assert normalize(got) == normalize(value)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 255), texts, st.floats(allow_nan=False)), max_size=6))
def test_random_records_agree_with_wasmtime(rows: List[Tuple[int, str, float]]) -> None:
    same("echo-records", convert=lambda m, c: ([record(c, a=a, b=b, c=f) for a, b, f in rows],))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["none", "num", "big"]).flatmap(
    lambda t: st.just((t, None)) if t == "none" else
    st.tuples(st.just(t), st.integers(0, 2**32 - 1 if t == "num" else 2**64 - 1))), max_size=6))
def test_random_variants_agree_with_wasmtime(cases: List[Tuple[str, Any]]) -> None:
    same("echo-variants",
         convert=lambda m, c: ([c.Variant(t, p) if t != "none" else c.Variant(t)
                                for t, p in cases],))


# ---- imports from a Linker -----------------------------------------------------

IMPORTS = (Path(__file__).parents[1] / "component" / "run" / "imports.wasm").read_bytes()
HELPER = '(module (func (export "triple") (param i32) (result i32) ' \
         '(i32.mul (local.get 0) (i32.const 3))))'


def define_all(mod: Any, engine: Any, r: Any, logs: List[str],
               add: Callable[..., Any] = lambda sc, a, b: a + b,
               skip: str = "") -> None:
    if skip != "add":
        r.add_func("add", add)
    if skip == "host":
        return
    with r.add_instance("host") as h:
        if skip != "upper":
            h.add_func("upper", lambda sc, s: s.upper())
        h.add_func("sum", lambda sc, xs: sum(xs))
        h.add_func("log", lambda sc, m: logs.append(m))
        if skip != "nested":
            with h.add_instance("nested") as n:
                n.add_func("seven", lambda sc: 7)
    if skip != "helper":
        r.add_module("helper", mod.Module(engine, HELPER))


def linked(mod: Any, comp_mod: Any, **kw: Any) -> Tuple[Any, Any, List[str]]:
    engine = mod.Engine()
    store = mod.Store(engine)
    linker = comp_mod.Linker(engine)
    logs: List[str] = []
    with linker.root() as r:
        define_all(mod, engine, r, logs, **kw)
    component = comp_mod.Component(engine, IMPORTS)
    return store, linker.instantiate(store, component), logs


@pytest.mark.parametrize("mod,comp_mod", ENGINES)
def test_host_functions_instances_and_modules_as_imports(mod: Any, comp_mod: Any) -> None:
    store, inst, logs = linked(mod, comp_mod)
    assert inst.get_func(store, "add3")(store, 1, 2, 3) == 6
    assert inst.get_func(store, "add3")(store, 2**31, 2**31, 0) == 0
    assert inst.get_func(store, "shout")(store, "héllo") == "HÉLLO"
    assert logs == ["HÉLLO"]
    assert inst.get_func(store, "total")(store, [1, 2, 2**32 - 1]) == 2**32 + 2
    assert inst.get_func(store, "twenty-one")(store) == 21


@pytest.mark.parametrize("skip", ["add", "host", "upper", "nested", "helper"])
def test_a_missing_import_is_named_as_wasmtime_names_it(skip: str) -> None:
    messages = []
    for mod, comp_mod in ENGINES:
        with pytest.raises(mod.WasmtimeError) as e:
            linked(mod, comp_mod, skip=skip)
        messages.append(str(e.value))
    assert messages[0] == messages[1]
    assert "a matching implementation was not found in the linker" in messages[0]


def test_a_definition_of_the_wrong_kind_is_named() -> None:
    messages = []
    for mod, comp_mod in ENGINES:
        engine = mod.Engine()
        linker = comp_mod.Linker(engine)
        with linker.root() as r:
            r.add_instance("add").close()
        with pytest.raises(mod.WasmtimeError) as e:
            linker.instantiate(mod.Store(engine), comp_mod.Component(engine, IMPORTS))
        messages.append(str(e.value))
    assert messages[0] == messages[1]
    assert "expected function found instance" in messages[0]


def test_host_errors_reach_the_caller_unchanged() -> None:
    def boom(sc: Any, a: int, b: int) -> int:
        raise KeyError("boom")
    for mod, comp_mod in ENGINES:
        store, inst, _ = linked(mod, comp_mod, add=boom)
        with pytest.raises(KeyError, match="boom"):
            inst.get_func(store, "add3")(store, 1, 1, 0)
        with pytest.raises(mod.WasmtimeError, match="cannot enter component instance"):
            inst.get_func(store, "twenty-one")(store)
        store, inst, _ = linked(mod, comp_mod, add=lambda sc, a, b: "x")
        with pytest.raises(TypeError, match="expected int for U32 type"):
            inst.get_func(store, "add3")(store, 1, 1, 0)


def test_the_store_context_is_a_store_during_the_call_only() -> None:
    kept = []

    def add(sc: Any, a: int, b: int) -> int:
        kept.append(sc)
        return a + b
    store, inst, _ = linked(ember, ec, add=add)
    assert inst.get_func(store, "add3")(store, 1, 2, 3) == 6
    with pytest.raises(ValueError):
        ember.Memory(kept[0], ember.MemoryType(ember.Limits(1, None)))


@pytest.mark.parametrize("mod,comp_mod", ENGINES)
def test_linker_locking_and_shadowing(mod: Any, comp_mod: Any) -> None:
    linker = comp_mod.Linker(mod.Engine())
    root = linker.root()
    with pytest.raises(mod.WasmtimeError, match="in use"):
        linker.root()
    inner = root.add_instance("x")
    with pytest.raises(mod.WasmtimeError, match="in use"):
        root.add_func("y", lambda sc: 1)
    inner.close()
    root.add_func("y", lambda sc: 1)
    with pytest.raises(mod.WasmtimeError, match="defined twice"):
        root.add_func("y", lambda sc: 1)
    root.close()
    linker.allow_shadowing = True
    with linker.root() as r:
        r.add_func("y", lambda sc: 2)


@pytest.mark.parametrize("helper", [
    "(module)",
    '(module (func (export "triple") (param i64) (result i32) i32.const 0))',
    '(module (global (export "triple") i32 (i32.const 0)))',
])
def test_a_module_without_the_imported_exports_is_refused(helper: str) -> None:
    heads = []
    for mod, comp_mod in ENGINES:
        engine = mod.Engine()
        linker = comp_mod.Linker(engine)
        with linker.root() as r:
            define_all(mod, engine, r, [], skip="helper")
            r.add_module("helper", mod.Module(engine, helper))
        with pytest.raises(mod.WasmtimeError) as e:
            linker.instantiate(mod.Store(engine), comp_mod.Component(engine, IMPORTS))
        heads.append(str(e.value).splitlines()[:4])  # the detail's wording differs
    assert heads[0] == heads[1]


# ---- resources -------------------------------------------------------------------

RESOURCES = (Path(__file__).parents[1] / "component" / "run" / "resources.wasm").read_bytes()


def with_resources(mod: Any, comp_mod: Any) -> Tuple[Any, Callable[[str], Any], List[int]]:
    engine = mod.Engine()
    store = mod.Store(engine)
    dtors: List[int] = []
    linker = comp_mod.Linker(engine)

    def value(sc: Any, t: Any) -> int:
        return int((t.to_host(sc) if isinstance(t, comp_mod.ResourceAny) else t).rep) + 1
    with linker.root() as r:
        r.add_resource("thing", comp_mod.ResourceType.host(7), lambda sc, rep: dtors.append(rep))
        r.add_func("make-thing", lambda sc, n: comp_mod.ResourceHost.own(n * 10, 7))
        r.add_func("[method]thing.value", value)
    inst = linker.instantiate(store, comp_mod.Component(engine, RESOURCES))

    def func(name: str) -> Any:
        f = inst.get_func(store, name)
        return lambda *args: f(store, *args)
    return store, func, dtors


@pytest.mark.parametrize("mod,comp_mod", ENGINES)
def test_a_components_resource_through_its_methods(mod: Any, comp_mod: Any) -> None:
    store, f, _ = with_resources(mod, comp_mod)
    counter = f("[constructor]counter")(5)
    assert isinstance(counter, comp_mod.ResourceAny) and counter.owned
    assert counter.type == counter.type
    assert [f("[method]counter.inc")(counter), f("[method]counter.inc")(counter)] == [6, 7]
    assert f("dropped")() == 0
    assert f("[static]counter.finish")(counter) == 7  # moved in: the dtor ran
    assert f("dropped")() == 1
    with pytest.raises(ValueError, match="already closed"):
        f("[method]counter.inc")(counter)


@pytest.mark.parametrize("mod,comp_mod", ENGINES)
def test_dropping_a_resource_runs_its_destructor_once(mod: Any, comp_mod: Any) -> None:
    store, f, _ = with_resources(mod, comp_mod)
    counter = f("[constructor]counter")(1)
    counter.drop(store)
    assert f("dropped")() == 1
    with pytest.raises(mod.WasmtimeError):
        counter.drop(store)
    assert f("dropped")() == 1


@pytest.mark.parametrize("mod,comp_mod", ENGINES)
def test_host_resources_lent_moved_and_made(mod: Any, comp_mod: Any) -> None:
    store, f, dtors = with_resources(mod, comp_mod)
    thing = comp_mod.ResourceHost.own(42, 7)
    assert (thing.rep, thing.type, thing.owned) == (42, 7, True)
    assert f("peek")(thing) == 43
    assert f("peek")(thing.to_any(store)) == 43
    made = f("fresh")(3)
    assert isinstance(made, comp_mod.ResourceAny) and made.owned
    host = made.to_host(store)
    assert (host.rep, host.type) == (30, 7)
    f("take")(host)  # dropped in wasm: the host destructor runs
    f("take")(host)  # a host handle is a value: passed again
    f("take")(comp_mod.ResourceHost.own(9, 7))
    assert dtors == [30, 30, 9]


@pytest.mark.parametrize("mod,comp_mod", ENGINES)
def test_resource_misuse_is_an_error(mod: Any, comp_mod: Any) -> None:
    store, f, _ = with_resources(mod, comp_mod)
    with pytest.raises(mod.WasmtimeError, match="borrow handles still remain"):
        f("keep")(comp_mod.ResourceHost.own(5, 7))
    store, f, _ = with_resources(mod, comp_mod)
    with pytest.raises(mod.WasmtimeError, match="mismatched resource types"):
        f("take")(comp_mod.ResourceHost.own(9, 8))
    store, f, _ = with_resources(mod, comp_mod)
    with pytest.raises(TypeError, match="expected ResourceAny or ResourceHost for Own type"):
        f("take")(5)
    store, f, _ = with_resources(mod, comp_mod)
    with pytest.raises(mod.WasmtimeError, match="cannot lower a `borrow` resource into an `own`"):
        f("take")(comp_mod.ResourceHost.borrow(9, 7))
    store, f, _ = with_resources(mod, comp_mod)
    counter = f("[constructor]counter")(1)
    with pytest.raises(mod.WasmtimeError, match="mismatched resource types"):
        f("take")(counter)


def test_resource_types_compare_by_host_tag() -> None:
    for mod, comp_mod in ENGINES:
        assert comp_mod.ResourceType.host(3) == comp_mod.ResourceType.host(3)
        assert comp_mod.ResourceType.host(3) != comp_mod.ResourceType.host(4)
        with pytest.raises(mod.WasmtimeError):
            comp_mod.ResourceAny()


# ---- type reflection ---------------------------------------------------------------

def describe(mod: Any, engine: Any, items: Any) -> List[Tuple[str, Any]]:
    """A component type's imports or exports as plain data."""
    out: List[Tuple[str, Any]] = []
    for name, ext in items.items():
        ty = ext.ty
        kind = type(ty).__name__
        detail: Any = None
        if kind == "FuncType":
            detail = ([(n, type(t).__name__) for n, t in ty.params], type(ty.result).__name__)
        elif kind == "ComponentInstanceType":
            detail = describe(mod, engine, ty.exports(engine))
        elif kind == "ComponentType":
            detail = (describe(mod, engine, ty.imports(engine)),
                      describe(mod, engine, ty.exports(engine)))
        elif kind == "ModuleType":
            detail = ([(i.module, i.name, type(i.type).__name__) for i in ty.imports(engine)],
                      [(x.name, type(x.type).__name__) for x in ty.exports(engine)])
        elif kind == "RecordType":
            detail = [(n, type(t).__name__) for n, t in ty.fields]
        out.append((name, (kind, detail)))
    return out


@pytest.mark.parametrize("file", ["values", "imports", "resources", "linked"])
def test_component_types_reflect_as_in_wasmtime(file: str) -> None:
    wasm = (Path(__file__).parents[1] / "component" / "run" / f"{file}.wasm").read_bytes()
    seen = []
    for mod, comp_mod in ENGINES:
        engine = mod.Engine()
        component = comp_mod.Component(engine, wasm)  # kept: the package's types need it
        t = component.type
        seen.append((describe(mod, engine, t.imports(engine)),
                     describe(mod, engine, t.exports(engine))))
    assert seen[0] == seen[1]
    assert seen[0][0] or seen[0][1]


# ---- serialization -------------------------------------------------------------

def test_serialized_components_round_trip_and_damage_is_refused(tmp_path: Path) -> None:
    engine = ember.Engine()
    blob = ec.Component(engine, WASM).serialize()
    assert isinstance(blob, bytearray)
    again = ec.Component.deserialize(engine, blob)
    store = ember.Store(engine)
    inst = ec.Linker(engine).instantiate(store, again)
    echo = inst.get_func(store, "echo-string")
    assert echo is not None and echo(store, "héllo") == "héllo"
    path = tmp_path / "values.cwasm"
    path.write_bytes(blob)
    assert ec.Component.deserialize_file(engine, str(path)).get_export_index("posts") is not None
    damaged = bytearray(blob)
    damaged[len(damaged) // 2] ^= 0x40
    for bad in [bytes(damaged), WASM, b"garbage", bytes(blob[:10])]:
        with pytest.raises(ember.WasmtimeError):
            ec.Component.deserialize(engine, bad)
    # Neither package loads the other's serialized form.
    with pytest.raises(ember.WasmtimeError):
        ec.Component.deserialize(engine, wc.Component(wasmtime.Engine(), WASM).serialize())
    with pytest.raises(wasmtime.WasmtimeError):
        wc.Component.deserialize(wasmtime.Engine(), bytes(blob))


def test_a_borrow_given_to_a_host_function_ends_with_the_call() -> None:
    engine = ember.Engine()
    store = ember.Store(engine)
    kept: List[Any] = []
    linker = ec.Linker(engine)

    def value(sc: Any, t: Any) -> int:
        kept.append(t)
        if len(kept) == 2:
            t.drop(sc)  # ending a borrow early is allowed too (the package needs it)
        return 1
    with linker.root() as r:
        r.add_resource("thing", ec.ResourceType.host(7), lambda sc, rep: None)
        r.add_func("make-thing", lambda sc, n: ec.ResourceHost.own(n, 7))
        r.add_func("[method]thing.value", value)
    inst = linker.instantiate(store, ec.Component(engine, RESOURCES))
    peek = inst.get_func(store, "peek")
    assert peek is not None
    assert peek(store, ec.ResourceHost.own(5, 7)) == 1
    assert peek(store, ec.ResourceHost.own(6, 7)) == 1
    for t in kept:
        with pytest.raises(ValueError, match="already closed"):
            t.owned


def test_a_resource_is_dropped_only_in_its_own_store() -> None:
    store, f, _ = with_resources(ember, ec)
    counter = f("[constructor]counter")(1)
    with pytest.raises(ember.WasmtimeError, match="wrong store"):
        counter.drop(ember.Store(ember.Engine()))
    counter.drop(store)
    assert f("dropped")() == 1

"""Exception tags as entities: `TagType` (consumes its FuncType, gives its
`functype`), `Tag(store, ty)`, `Tag.type`, `Tag.eq` (the same definition),
tags in module imports and exports, instantiation with tag imports
positionally and through the Linker, and the errors of each. The `wasmtime`
package is the reference: a scenario run in both must observe the same."""
from typing import Any, List

import pytest

import ember
from conftest import required
from ember import (Config, Engine, Func, FuncType, Instance, Linker, Module, Store, Tag,
                   TagType, ValType, WasmtimeError)

# Imports a tag, exports it again and defines one of its own.
IMPORTS = """(module
  (import "m" "t" (tag $t (param i32)))
  (tag $own (param i64 f32))
  (export "again" (tag $t))
  (export "own" (tag $own)))"""
# Defines a tag and exports it.
DEFINES = '(module (tag $t (param i32)) (export "t" (tag $t)))'


def i32_tagtype(mod: Any = ember) -> Any:
    return mod.TagType(mod.FuncType([mod.ValType.i32()], []))


def params(ty: Any) -> List[str]:
    return [str(p) for p in ty.functype.params]


def test_tagtype_consumes_its_functype() -> None:
    ft = FuncType([ValType.i32(), ValType.f64()], [])
    tt = TagType(ft)
    with pytest.raises(ValueError):
        ft.params
    with pytest.raises(ValueError):
        TagType(ft)
    assert params(tt) == ["i32", "f64"]
    assert tt.functype.results == []


def test_tagtype_functype_is_its_own_copy() -> None:
    tt = i32_tagtype()
    first = tt.functype
    first.close()
    assert params(tt) == ["i32"]
    assert tt.functype == FuncType([ValType.i32()], [])


def test_tagtype_errors_equality_and_repr() -> None:
    with pytest.raises(TypeError):
        TagType(1)  # type: ignore
    tt = i32_tagtype()
    assert tt == i32_tagtype() and hash(tt) == hash(i32_tagtype())
    assert tt != TagType(FuncType([ValType.i64()], []))
    assert repr(tt) == "TagType(FuncType([i32], []))"
    tt.close()
    with pytest.raises(ValueError):
        tt.functype


def test_tag_create_and_type(store: Store) -> None:
    t = Tag(store, TagType(FuncType([ValType.i64(), ValType.f32()], [])))
    ty = t.type(store)
    assert isinstance(ty, TagType)
    assert params(ty) == ["i64", "f32"] and ty.functype.results == []
    # The TagType stays usable: Tag does not consume it.
    tt = i32_tagtype()
    Tag(store, tt)
    assert params(tt) == ["i32"]


def test_tag_identity(store: Store) -> None:
    a, b = Tag(store, i32_tagtype()), Tag(store, i32_tagtype())
    assert a.eq(store, a) and not a.eq(store, b) and not b.eq(store, a)
    assert a.type(store) == b.type(store)
    assert a == a and a != b
    module = Module(store.engine, DEFINES)
    x = Instance(store, module, []).exports(store)["t"]
    y = Instance(store, module, []).exports(store)["t"]
    assert not x.eq(store, y)
    again = Instance(store, Module(store.engine, IMPORTS), [x]).exports(store)["again"]
    assert again.eq(store, x) and again == x and hash(again) == hash(x)


def test_tag_argument_errors(store: Store) -> None:
    with pytest.raises(TypeError, match="expected a TagType"):
        Tag(store, "x")  # type: ignore
    with pytest.raises(TypeError):
        Tag(store, FuncType([], []))  # type: ignore
    with pytest.raises(AttributeError):
        Tag(1, i32_tagtype())  # type: ignore
    closed = i32_tagtype()
    closed.close()
    with pytest.raises(ValueError):
        Tag(store, closed)
    with pytest.raises(WasmtimeError, match="results"):
        Tag(store, TagType(FuncType([], [ValType.i32()])))
    t = Tag(store, i32_tagtype())
    with pytest.raises(TypeError):
        t.eq(store, 3)  # type: ignore
    other = Store(store.engine)
    with pytest.raises(WasmtimeError):
        t.type(other)
    with pytest.raises(WasmtimeError):
        t.eq(store, Tag(other, i32_tagtype()))
    other.close()
    with pytest.raises(ValueError):
        t.type(other)


def test_module_imports_and_exports_show_tag_types(engine: Engine) -> None:
    module = Module(engine, IMPORTS)
    [imp] = module.imports
    assert (imp.module, imp.name) == ("m", "t")
    assert isinstance(imp.type, TagType) and params(imp.type) == ["i32"]
    exports = {e.name: e.type for e in module.exports}
    assert list(exports) == ["again", "own"]
    assert all(isinstance(t, TagType) for t in exports.values())
    assert params(exports["own"]) == ["i64", "f32"]
    back = Module.deserialize(engine, module.serialize())
    assert [(i.module, i.name, i.type) for i in back.imports] == [("m", "t", imp.type)]
    assert [(e.name, e.type) for e in back.exports] == list(exports.items())


def test_instantiate_with_a_tag_import(store: Store) -> None:
    t = Tag(store, i32_tagtype())
    ex = Instance(store, Module(store.engine, IMPORTS), [t]).exports(store)
    assert isinstance(ex["again"], Tag) and ex["again"].eq(store, t)
    own = ex["own"]
    assert isinstance(own, Tag) and params(own.type(store)) == ["i64", "f32"]
    assert [type(x) for x in ex.by_index] == [Tag, Tag]
    # From a serialized module too.
    module = Module.deserialize(store.engine, Module(store.engine, IMPORTS).serialize())
    assert Instance(store, module, [t]).exports(store)["again"].eq(store, t)


def test_import_mismatches_are_wasmtime_errors(store: Store) -> None:
    module = Module(store.engine, IMPORTS)
    wrong = Tag(store, TagType(FuncType([ValType.i64()], [])))
    with pytest.raises(WasmtimeError, match="incompatible import type for `m::t`"):
        Instance(store, module, [wrong])
    func = Func(store, FuncType([ValType.i32()], []), lambda x: None)
    with pytest.raises(WasmtimeError, match="incompatible import type for `m::t`"):
        Instance(store, module, [func])
    wants_func = Module(store.engine, '(module (import "m" "f" (func)))')
    with pytest.raises(WasmtimeError, match="incompatible import type for `m::f`"):
        Instance(store, wants_func, [Tag(store, i32_tagtype())])
    with pytest.raises(WasmtimeError):
        Instance(store, module, [Tag(Store(store.engine), i32_tagtype())])
    with pytest.raises(TypeError, match="expected a Func, Global, Memory, SharedMemory, Tag"):
        Instance(store, module, [i32_tagtype()])


def test_linker_define_get_and_instantiate(store: Store) -> None:
    t = Tag(store, i32_tagtype())
    linker = Linker(store.engine)
    linker.define(store, "m", "t", t)
    got = linker.get(store, "m", "t")
    assert isinstance(got, Tag) and got.eq(store, t)
    ex = linker.instantiate(store, Module(store.engine, IMPORTS)).exports(store)
    assert ex["again"].eq(store, t)

    by_instance = Linker(store.engine)
    by_instance.define_instance(store, "m", Instance(store, Module(store.engine, DEFINES), []))
    ex = by_instance.instantiate(store, Module(store.engine, IMPORTS)).exports(store)
    assert ex["again"].eq(store, by_instance.get(store, "m", "t"))

    wrong = Linker(store.engine)
    wrong.define(store, "m", "t", Tag(store, TagType(FuncType([ValType.f32()], []))))
    with pytest.raises(WasmtimeError, match="incompatible import type for `m::t`"):
        wrong.instantiate(store, Module(store.engine, IMPORTS))
    with pytest.raises(TypeError):
        wrong.define(store, "m", "u", i32_tagtype())


def test_unknown_tag_imports_as_default_values(store: Store) -> None:
    module = Module(store.engine, IMPORTS)
    linker = Linker(store.engine)
    linker.define_unknown_imports_as_default_values(store, module)
    t = linker.instantiate(store, module).exports(store)["again"]
    assert isinstance(t, Tag) and params(t.type(store)) == ["i32"]
    traps = Linker(store.engine)
    traps.define_unknown_imports_as_traps(module)  # functions only
    with pytest.raises(WasmtimeError, match="unknown import"):
        traps.instantiate(store, module)


def test_caller_finds_the_instances_tags(store: Store) -> None:
    wat = """(module (import "h" "f" (func $f)) (tag $u (param f64))
      (export "u" (tag $u)) (func (export "run") (call $f)))"""
    seen: List[Any] = []

    def host(caller: ember.Caller) -> None:
        seen.append(caller.get("u"))
        seen.append(caller["u"].type(caller))

    inst = Instance(store, Module(store.engine, wat),
                    [Func(store, FuncType([], []), host, access_caller=True)])
    inst.exports(store)["run"](store)
    assert isinstance(seen[0], Tag) and seen[0].eq(store, inst.exports(store)["u"])
    assert params(seen[1]) == ["f64"]


def test_without_exceptions_a_module_with_tags_is_refused() -> None:
    config = Config()
    config.wasm_exceptions = False
    engine = Engine(config)
    for wat in (DEFINES, IMPORTS):
        with pytest.raises(WasmtimeError, match="exceptions proposal not enabled"):
            Module(engine, wat)
    # Host tags do not depend on the switch, as in wasmtime.
    store = Store(engine)
    assert params(Tag(store, i32_tagtype()).type(store)) == ["i32"]


def scenario(mod: Any) -> List[Any]:
    """What a program observes of tags, in either package."""
    out: List[Any] = []
    store = mod.Store()
    ft = mod.FuncType([mod.ValType.i32()], [])
    tt = mod.TagType(ft)
    try:
        ft.params
    except ValueError:
        out.append("consumed")
    t = mod.Tag(store, tt)
    out.append([str(p) for p in t.type(store).functype.params])
    u = mod.Tag(store, i32_tagtype(mod))
    out += [t.eq(store, t), t.eq(store, u)]
    module = mod.Module(store.engine, IMPORTS)
    out.append([(i.module, i.name, type(i.type).__name__, params(i.type))
                for i in module.imports])
    out.append([(e.name, type(e.type).__name__, params(e.type)) for e in module.exports])
    ex = mod.Instance(store, module, [t]).exports(store)
    out += [ex["again"].eq(store, t), ex["own"].eq(store, t), type(ex["own"]).__name__,
            params(ex["own"].type(store))]
    for item in (mod.Tag(store, mod.TagType(mod.FuncType([mod.ValType.i64()], []))),
                 mod.Func(store, mod.FuncType([], []), lambda: None)):
        try:
            mod.Instance(store, module, [item])
        except mod.WasmtimeError as e:
            out.append("incompatible import type for `m::t`" in str(e))
    for bad in ("x", 1):
        try:
            mod.Tag(store, bad)
        except TypeError as e:
            out.append(type(e).__name__)
    try:
        mod.Tag(store, mod.TagType(mod.FuncType([], [mod.ValType.i32()])))
    except mod.WasmtimeError:
        out.append("results refused")
    linker = mod.Linker(store.engine)
    linker.define(store, "m", "t", u)
    out.append(linker.instantiate(store, module).exports(store)["again"].eq(store, u))
    out.append(linker.get(store, "m", "t").eq(store, u))
    defaults = mod.Linker(store.engine)
    defaults.define_unknown_imports_as_default_values(store, module)
    made = defaults.instantiate(store, module).exports(store)["again"]
    out += [params(made.type(store)), made.eq(store, t)]
    config = mod.Config()
    config.wasm_exceptions = False
    try:
        mod.Module(mod.Engine(config), DEFINES)
    except mod.WasmtimeError as e:
        out.append("exceptions proposal not enabled" in str(e))
    return out


def test_observations_match_wasmtime() -> None:
    try:
        import wasmtime
    except ImportError:
        required("the `wasmtime` package")
    ours = scenario(ember)
    assert ours == scenario(wasmtime)
    assert len(ours) == 20

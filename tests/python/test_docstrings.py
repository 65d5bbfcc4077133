"""Every public name of `ember` is documented, and the API reference's
wasmtime page names every name of both packages (docs/decisions.md,
"Docstrings, stubs and types").

Public: each name in `ember.__all__`, each method, property and setting of
those classes that does not start with `_` (plus `__call__`), wherever in
the package it is defined (inherited ones from `Managed` too, never those of
`Exception` or `collections.abc`), and the same for the `ember.aio` module
when it exists. The native classes count: their docstrings are the
bindings' (nanobind keeps them in `__nb_signature__`). A function's
docstring must also name each of its parameters, as the Google style's
`Args:` section does.
"""
import enum
import importlib
import inspect
import re
from pathlib import Path
from typing import Any, Iterator, List, Optional, Set, Tuple

import pytest

import ember
from conftest import required


def _is_ours(obj: Any) -> bool:
    return str(getattr(obj, "__module__", "")).split(".")[0] == "ember"


def _is_native(fn: Any) -> bool:
    return hasattr(fn, "__nb_signature__")


def _native_doc(fn: Any) -> Tuple[str, List[str]]:
    """The docstring of a nanobind function and its parameter names."""
    doc = ""
    params: List[str] = []
    for sig, overload_doc, _defaults in fn.__nb_signature__:
        doc = doc or (overload_doc or "")
        m = re.match(r"def \w+\((.*)\)", sig.replace("\n", " "))
        for p in (m.group(1).split(",") if m else []):
            name = p.split(":")[0].split("=")[0].strip().lstrip("*")
            if name and name not in ("self", "/", "*"):
                params.append(name)
    return doc.strip(), params


def _python_params(fn: Any) -> List[str]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    return [p for p in sig.parameters if p not in ("self", "cls")]


def _doc_and_params(value: Any) -> Optional[Tuple[str, List[str]]]:
    """The docstring of a class member and the parameters it must name, or
    None for a member that is plain data (an enum value, a constant)."""
    if isinstance(value, (classmethod, staticmethod)):
        value = value.__func__
    if isinstance(value, property):
        if value.fget is not None and _is_native(value.fget):
            return _native_doc(value.fget)[0], []
        return (value.__doc__ or "").strip(), []
    if _is_native(value):
        return _native_doc(value)
    if inspect.isfunction(value):
        return (value.__doc__ or "").strip(), _python_params(value)
    if hasattr(type(value), "__get__") and "__doc__" in getattr(value, "__dict__", {}):
        return (value.__dict__["__doc__"] or "").strip(), []  # a descriptor (Config settings)
    return None


def _classes() -> Iterator[Tuple[str, type]]:
    for name in ember.__all__:
        obj = getattr(ember, name)
        if inspect.isclass(obj):
            yield f"ember.{name}", obj
    aio = _aio()
    if aio is not None:
        for name, obj in _module_members(aio):
            if inspect.isclass(obj):
                yield f"ember.aio.{name}", obj


def _aio() -> Any:
    try:
        return importlib.import_module("ember.aio")
    except ModuleNotFoundError:
        return None


def _module_members(mod: Any) -> Iterator[Tuple[str, Any]]:
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n, v in vars(mod).items()
                 if not n.startswith("_") and getattr(v, "__module__", None) == mod.__name__]
    for n in names:
        yield n, getattr(mod, n)


def _members(cls: type) -> Iterator[Tuple[str, Any]]:
    """Public members of `cls`, each from the class of the package that
    defines it (nearest first)."""
    seen = set()
    for klass in cls.__mro__:
        if not _is_ours(klass):
            continue
        for name, value in vars(klass).items():
            if name in seen or (name.startswith("_") and name != "__call__"):
                continue
            seen.add(name)
            if isinstance(value, enum.Enum):
                continue
            yield name, value


def _missing() -> List[str]:
    missing = []
    for qual, cls in _classes():
        if not (cls.__doc__ or "").strip() or "__doc__" not in vars(cls):
            missing.append(f"{qual}: no class docstring")
        for name, value in _members(cls):
            found = _doc_and_params(value)
            if found is None:
                continue
            doc, params = found
            if not doc:
                missing.append(f"{qual}.{name}: no docstring")
                continue
            for p in params:
                if p not in doc:
                    missing.append(f"{qual}.{name}: the docstring does not name `{p}`")
    functions = [(f"ember.{n}", getattr(ember, n)) for n in ember.__all__
                 if inspect.isfunction(getattr(ember, n))]
    aio = _aio()
    if aio is not None:
        if not (aio.__doc__ or "").strip():
            missing.append("ember.aio: no module docstring")
        functions += [(f"ember.aio.{n}", v) for n, v in _module_members(aio)
                      if inspect.isfunction(v) or inspect.iscoroutinefunction(v)]
    for qual, fn in functions:
        doc = (fn.__doc__ or "").strip()
        if not doc:
            missing.append(f"{qual}: no docstring")
        for p in _python_params(fn):
            if doc and p not in doc:
                missing.append(f"{qual}: the docstring does not name `{p}`")
    return missing


def test_every_public_name_has_a_docstring() -> None:
    missing = _missing()
    assert not missing, "undocumented:\n  " + "\n  ".join(missing)


def test_native_classes_are_covered() -> None:
    # The walk above must see the extension's methods and properties.
    names = dict(_members(ember.Memory))
    assert "read" in names and _doc_and_params(names["read"]) is not None
    doc, params = _native_doc(ember.Memory.read)
    assert doc and params == ["store", "start", "stop"]
    assert _doc_and_params(vars(ember.Store)["engine"]) == (
        "The Engine the store was made with.", [])


def test_the_check_fails_on_a_missing_docstring(monkeypatch: pytest.MonkeyPatch) -> None:
    def undocumented(self: Any, x: int) -> None:
        pass

    monkeypatch.setattr(ember.Linker, "extra", undocumented, raising=False)
    assert "ember.Linker.extra: no docstring" in _missing()
    undocumented.__doc__ = "Documented, but not its argument."
    assert "ember.Linker.extra: the docstring does not name `x`" in _missing()


# ---- the page that maps wasmtime's names to Ember's (docs/api/wasmtime.rst) ----

WASMTIME_PAGE = Path(__file__).resolve().parents[2] / "docs" / "api" / "wasmtime.rst"
# Set on instances by wasmtime, so not seen on its classes.
WASMTIME_INSTANCE_ATTRIBUTES = {"Store.engine"}


def _public(cls: Any) -> Set[str]:
    names = {n for n in dir(cls) if not n.startswith("_")}
    if isinstance(cls, type) and issubclass(cls, BaseException):
        names -= set(dir(Exception))
    return names


def test_the_wasmtime_page_maps_every_name_and_lists_the_extensions() -> None:
    try:
        import wasmtime
    except ImportError:
        required("the wasmtime package")
    page = WASMTIME_PAGE.read_text()
    for name in set(ember.__all__) | set(wasmtime.__all__):
        assert f"``{name}``" in page, f"{name} is not on {WASMTIME_PAGE.name}"
    for name in sorted(set(wasmtime.__all__) & set(ember.__all__)):
        theirs, ours = getattr(wasmtime, name), getattr(ember, name)
        if not inspect.isclass(theirs):
            continue
        for member in sorted(_public(ours) - _public(theirs)):
            qual = f"{name}.{member}"
            if qual not in WASMTIME_INSTANCE_ATTRIBUTES:
                assert qual in page, f"the extension {qual} is not on {WASMTIME_PAGE.name}"
        for member in sorted(_public(theirs) - _public(ours)):
            assert member in page, f"wasmtime's {name}.{member} is not on {WASMTIME_PAGE.name}"
    if _aio() is not None:
        assert "ember.aio" in page, f"ember.aio is not on {WASMTIME_PAGE.name}"

"""Type classes and Val."""
import pytest

from ember import (ExportType, FuncType, GlobalType, ImportType, Limits, MemoryType, TableType,
                   TagType, Val, ValType, WasmtimeError)


def test_valtype():
    assert str(ValType.i32()) == "i32"
    assert repr(ValType.f64()) == "f64"
    assert str(ValType.funcref()) == "funcref"
    assert ValType.i32() == ValType.i32()
    assert ValType.i32() != ValType.i64()
    assert ValType.i32() != 1
    with pytest.raises(WasmtimeError):
        ValType()


def test_functype():
    ft = FuncType([ValType.i32(), ValType.f32()], [ValType.i64()])
    assert ft.params == [ValType.i32(), ValType.f32()]
    assert ft.results == [ValType.i64()]
    assert ft == FuncType([ValType.i32(), ValType.f32()], [ValType.i64()])
    assert ft != FuncType([], [])
    assert "i32" in repr(ft)
    with pytest.raises(TypeError):
        FuncType([1], [])  # type: ignore


def test_globaltype():
    gt = GlobalType(ValType.f64(), True)
    assert gt.content == ValType.f64()
    assert gt.mutable is True
    with pytest.raises(TypeError):
        GlobalType(1, True)  # type: ignore


def test_limits_tabletype_memorytype():
    assert Limits(1, None) == Limits(1, None)
    assert Limits(1, 2) != Limits(1, 3)
    tt = TableType(ValType.funcref(), Limits(1, 2))
    assert tt.element == ValType.funcref() and tt.limits == Limits(1, 2)
    with pytest.raises(TypeError):
        TableType(ValType.funcref(), 1)  # type: ignore
    mt = MemoryType(Limits(1, None))
    assert mt.limits == Limits(1, None)
    assert mt.is_64 is False and mt.is_shared is False
    assert mt.page_size == 65536 and mt.page_size_log2 == 16
    assert MemoryType(Limits(0, 1), page_size_log2=0).page_size == 1
    with pytest.raises(TypeError):
        MemoryType(1)  # type: ignore
    with pytest.raises(WasmtimeError):
        MemoryType(Limits(2**32, None))
    MemoryType(Limits(2**32, None), is_64=True)
    with pytest.raises(WasmtimeError):
        MemoryType(Limits(1, None), shared=True)


def test_tagtype():
    ft = FuncType([ValType.i32()], [])
    assert TagType(ft).functype == ft
    with pytest.raises(TypeError):
        TagType(1)  # type: ignore


def test_import_export_types_not_constructible():
    with pytest.raises(WasmtimeError):
        ImportType()
    with pytest.raises(WasmtimeError):
        ExportType()


def test_val_wrapping():
    assert Val.i32(0xFFFFFFFF).as_i32() == -1
    assert Val.i32(0x800000000).as_i32() == 0
    assert Val.i64(2**64 - 1).value == -1
    assert Val.i32(5).as_i64() is None
    for bad in ("", 1.2):
        with pytest.raises(TypeError):
            Val.i32(bad)  # type: ignore
    with pytest.raises(TypeError):
        Val.f32(1)  # mypy accepts an int for a float; Val.f32 does not
    assert Val.f32(0.1).value != 0.1
    assert Val.f64(0.1).value == 0.1


def test_val_refs_and_equality():
    obj = object()
    v = Val.externref(obj)
    assert v.as_externref() is obj
    assert v.type == ValType.externref()
    assert Val.ref_null(ValType.funcref()) == None  # noqa: E711
    assert Val.ref_null(ValType.externref()).value is None
    with pytest.raises(WasmtimeError):
        Val.ref_null(ValType.i32())
    assert Val.i32(3) == Val.i32(3)
    assert Val.i32(3) != Val.i64(3)
    assert Val.i32(3) == 3
    assert Val.funcref(None).as_funcref() is None
    with pytest.raises(TypeError):
        Val.funcref(3)  # type: ignore

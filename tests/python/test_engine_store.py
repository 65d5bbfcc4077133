"""Engine and Store."""
import pytest

from ember import Config, Engine, Store, WasmtimeError


def test_engine_basics():
    e = Engine()
    e.increment_epoch()
    assert e.is_pulley() is False
    with pytest.raises(TypeError):
        Engine(3)  # type: ignore


def test_store_default_engine():
    s = Store()
    assert isinstance(s.engine, Engine)


def test_store_engine_attr_and_data():
    e = Engine()
    data = {"request_id": "123"}
    s = Store(e, data)
    assert s.engine is e
    assert s.data() is data
    assert Store(e).data() is None
    assert Store(e, 0).data() is None  # falsy data is not kept (as wasmtime)


def test_store_bad_engine():
    with pytest.raises(TypeError):
        Store(3)  # type: ignore


def test_gc_and_limits():
    s = Store()
    s.gc()
    s.set_limits(memory_size=1 << 20)
    s.set_limits()


def test_fuel_disabled_raises():
    s = Store()
    with pytest.raises(WasmtimeError):
        s.set_fuel(10)
    with pytest.raises(WasmtimeError):
        s.get_fuel()


def test_fuel_enabled_set_get():
    c = Config()
    c.consume_fuel = True
    s = Store(Engine(c))
    assert s.get_fuel() == 0
    s.set_fuel(1000)
    assert s.get_fuel() == 1000


def test_closed_store():
    s = Store()
    s.close()
    for call in (s.gc, s.data, lambda: s.set_epoch_deadline(1), lambda: s.engine):
        with pytest.raises(ValueError):
            call()

"""Shared fixtures for the `ember` package tests.

The package is imported from PYTHONPATH (tests/run-all.sh points it at the
build tree). `xfail_later` marks tests of features owned by later issues:
strict, so the run fails as soon as one of them starts passing.
"""
import pytest

import ember


def xfail_later(reason: str):
    return pytest.mark.xfail(strict=True, reason=f"not implemented yet: {reason}")


@pytest.fixture
def engine() -> ember.Engine:
    return ember.Engine()


@pytest.fixture
def store(engine: ember.Engine) -> ember.Store:
    return ember.Store(engine)


def instantiate(store: ember.Store, wat: str, imports=()) -> ember.Instance:
    module = ember.Module(store.engine, wat)
    return ember.Instance(store, module, list(imports))

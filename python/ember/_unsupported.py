"""Names of wasmtime's API whose features Ember does not have yet:
`StoreContext` (component model). Its constructor raises WasmtimeError.
"""
from ._error import WasmtimeError


class StoreContext:
    """A store view for component-model callbacks (component model not supported).

    Raises:
        WasmtimeError: Always: it is not constructible.
    """

    def __init__(self) -> None:
        raise WasmtimeError("cannot construct directly")

"""WASI preview1 configuration (`WasiConfig`, `FilePerms`, `DirPerms`).

The settings are recorded and validated here; running WASI programs belongs
to the WASI issue, so `Store.set_wasi` and `Linker.define_wasi` raise
WasmtimeError until the engine provides it.
"""
import os
import sys
from enum import Enum
from typing import Any, Callable, Iterable, List, Optional, Tuple, Union

from ._error import WasmtimeError
from ._managed import Managed


class FilePerms(Enum):
    READ_ONLY = 1
    WRITE_ONLY = 2
    READ_WRITE = 3


class DirPerms(Enum):
    READ_ONLY = 1
    WRITE_ONLY = 2
    READ_WRITE = 3


def _write_only(name: str) -> Any:
    def getter(self: Any) -> Any:
        raise AttributeError(f"WasiConfig.{name} is write-only")
    return getter


class WasiConfig(Managed):
    """What a WASI program sees: arguments, environment, stdio, directories."""

    def __init__(self) -> None:
        self._h: Optional[dict] = {"argv": [], "env": [], "preopens": []}

    def _set(self, key: str, value: Any) -> None:
        self.ptr()[key] = value

    def _set_argv(self, argv: List[str]) -> None:
        self._set("argv", [str(a) for a in argv])

    def _set_env(self, pairs: Iterable[Tuple[str, str]]) -> None:
        self._set("env", [(str(k), str(v)) for k, v in pairs])

    def _set_path(self, key: str, path: Union[str, bytes, "os.PathLike[str]"], must_exist: bool) -> None:
        p = os.fsdecode(os.fspath(path))
        if must_exist and not os.path.isfile(p):
            raise WasmtimeError(f"failed to open file: {p}")
        self._set(key, p)

    argv = property(_write_only("argv"), _set_argv)
    env = property(_write_only("env"), _set_env)
    stdin_file = property(_write_only("stdin_file"),
                          lambda self, p: self._set_path("stdin", p, True))
    stdout_file = property(_write_only("stdout_file"),
                           lambda self, p: self._set_path("stdout", p, False))
    stderr_file = property(_write_only("stderr_file"),
                           lambda self, p: self._set_path("stderr", p, False))
    stdout_custom = property(_write_only("stdout_custom"),
                             lambda self, f: self._set("stdout", f))
    stderr_custom = property(_write_only("stderr_custom"),
                             lambda self, f: self._set("stderr", f))

    def inherit_argv(self) -> None:
        self._set("argv", list(sys.argv))

    def inherit_env(self) -> None:
        self._set("env", list(os.environ.items()))

    def inherit_stdin(self) -> None:
        self._set("stdin", "inherit")

    def inherit_stdout(self) -> None:
        self._set("stdout", "inherit")

    def inherit_stderr(self) -> None:
        self._set("stderr", "inherit")

    def preopen_dir(self, path: str, guest_path: str,
                    dir_perms: DirPerms = DirPerms.READ_WRITE,
                    file_perms: FilePerms = FilePerms.READ_WRITE) -> None:
        if not os.path.isdir(path):
            raise WasmtimeError("failed to add preopen dir")
        self.ptr()["preopens"].append((path, guest_path, dir_perms, file_perms))

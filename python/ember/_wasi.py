"""WASI preview1 configuration (`WasiConfig`, `FilePerms`, `DirPerms`).

A WasiConfig only records settings (checking each one as it is given);
`Store.set_wasi(config)` consumes it and builds the native WASI context of
the store from them (`_ember.set_wasi`), and `Linker.define_wasi()` defines
the `wasi_snapshot_preview1` functions, which use the context of whichever
store they run in.

Ember extension beyond wasmtime: `stdin_bytes` (the guest's stdin is an
in-memory buffer). `preopen_dir` also accepts a bool as its third argument,
as older wasmtime releases did (`fs_mutable`: True = read-write, False =
read-only for both directories and files).
"""
import os
import sys
from collections.abc import Mapping
from enum import Enum
from typing import Any, Callable, Iterable, List, Optional, Tuple, Union

from ._error import WasmtimeError
from ._managed import Managed

_Path = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


class FilePerms(Enum):
    """What the guest may do with files beneath a preopened directory."""
    READ_ONLY = 1
    WRITE_ONLY = 2
    READ_WRITE = 3


class DirPerms(Enum):
    """What the guest may do with a preopened directory and its subdirectories
    (READ: look up, list, stat; WRITE: create, remove, rename, link)."""
    READ_ONLY = 1
    WRITE_ONLY = 2
    READ_WRITE = 3


def _write_only(name: str) -> Any:
    def getter(self: Any) -> Any:
        raise AttributeError(f"WasiConfig.{name} is write-only")
    return getter


def _fspath(path: Any, what: str) -> str:
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{what} must be a str, bytes or os.PathLike")
    return os.fsdecode(os.fspath(path))


def _strings(items: Any, what: str) -> List[str]:
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise TypeError(f"{what} must be an iterable of str")
    out = list(items)
    for s in out:
        if not isinstance(s, str):
            raise TypeError(f"{what} must be an iterable of str, got {type(s).__name__}")
        if "\0" in s:
            raise WasmtimeError(f"{what} may not contain NUL characters")
        s.encode("utf-8")  # UnicodeEncodeError now rather than at set_wasi
    return out


class WasiConfig(Managed):
    """What a WASI program sees: arguments, environment, stdio, directories.

    A new config gives the guest nothing: no arguments, no environment, an
    empty stdin, discarded stdout/stderr, no directories.
    """

    def __init__(self) -> None:
        self._h: Optional[dict] = {
            "argv": [], "env": [], "inherit_env": False,
            "stdin": None, "stdout": None, "stderr": None, "preopens": [],
        }

    def _set(self, key: str, value: Any) -> None:
        self.ptr()[key] = value

    def _set_argv(self, argv: Iterable[str]) -> None:
        self._set("argv", _strings(argv, "argv"))

    def _set_env(self, pairs: Any) -> None:
        if isinstance(pairs, Mapping):
            pairs = list(pairs.items())
        if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Iterable):
            raise TypeError("env must be an iterable of (name, value) pairs")
        env: List[Tuple[str, str]] = []
        for pair in pairs:
            try:
                name, value = pair
            except (TypeError, ValueError):
                raise TypeError("env must be an iterable of (name, value) pairs") from None
            name, value = _strings((name, value), "env")
            if "=" in name or not name:
                raise WasmtimeError(f"invalid environment variable name {name!r}")
            env.append((name, value))
        h = self.ptr()
        h["env"] = env
        h["inherit_env"] = False

    def _set_stdin_file(self, path: _Path) -> None:
        p = _fspath(path, "stdin_file")
        if not os.path.isfile(p):
            raise WasmtimeError(f"failed to open file: {p}")
        self._set("stdin", ("file", p))

    def _set_output_file(self, key: str, path: _Path) -> None:
        p = _fspath(path, f"{key}_file")
        self.ptr()
        try:  # created or truncated now, as wasmtime does
            with open(p, "wb"):
                pass
        except OSError as e:
            raise WasmtimeError(f"failed to open file: {p}: {e.strerror}") from None
        self._set(key, ("file", p))

    def _set_custom(self, key: str, callback: Callable[[bytes], Optional[int]]) -> None:
        if not callable(callback):
            raise TypeError(f"{key}_custom must be callable")
        self._set(key, ("custom", callback))

    def _set_stdin_bytes(self, data: Union[bytes, bytearray, memoryview]) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("stdin_bytes must be bytes-like")
        self._set("stdin", ("bytes", bytes(data)))

    argv = property(_write_only("argv"), _set_argv,
                    doc="The guest's argv (write-only); argv[0] is the program name.")
    env = property(_write_only("env"), _set_env,
                   doc="The guest's environment as (name, value) pairs (write-only).")
    stdin_file = property(_write_only("stdin_file"), _set_stdin_file,
                          doc="A file the guest reads as stdin (must exist).")
    stdout_file = property(_write_only("stdout_file"),
                           lambda self, p: self._set_output_file("stdout", p),
                           doc="A file receiving stdout (created or truncated now).")
    stderr_file = property(_write_only("stderr_file"),
                           lambda self, p: self._set_output_file("stderr", p),
                           doc="A file receiving stderr (created or truncated now).")
    stdout_custom = property(_write_only("stdout_custom"),
                             lambda self, f: self._set_custom("stdout", f),
                             doc="A callable given the bytes of each stdout write; it "
                                 "returns None (all taken) or how many bytes it took. An "
                                 "exception it raises is reported through "
                                 "sys.unraisablehook and the write fails with EIO.")
    stderr_custom = property(_write_only("stderr_custom"),
                             lambda self, f: self._set_custom("stderr", f),
                             doc="Like stdout_custom, for stderr.")
    stdin_bytes = property(_write_only("stdin_bytes"), _set_stdin_bytes,
                           doc="Ember extension: the guest's stdin is these bytes.")

    def inherit_argv(self) -> None:
        """The guest's argv is this process's `sys.argv`."""
        self._set("argv", [str(a) for a in sys.argv])

    def inherit_env(self) -> None:
        """The guest sees this process's environment (as it is at `set_wasi`)."""
        h = self.ptr()
        h["env"] = []
        h["inherit_env"] = True

    def inherit_stdin(self) -> None:
        self._set("stdin", ("inherit",))

    def inherit_stdout(self) -> None:
        self._set("stdout", ("inherit",))

    def inherit_stderr(self) -> None:
        self._set("stderr", ("inherit",))

    def preopen_dir(self, path: _Path, guest_path: str,
                    dir_perms: Union[DirPerms, bool] = DirPerms.READ_WRITE,
                    file_perms: FilePerms = FilePerms.READ_WRITE) -> None:
        """Give the guest the host directory `path`, seen as `guest_path`.

        `guest_path` is the name fd_prestat_dir_name reports; it may be
        empty, as in wasmtime. `dir_perms` / `file_perms` limit what the
        guest may do (a bool is older wasmtime's `fs_mutable`).

        Raises TypeError for arguments of the wrong type and WasmtimeError
        when `path` is not a directory or `guest_path` contains NUL.
        """
        host = _fspath(path, "path")
        if not isinstance(guest_path, str):
            raise TypeError("guest_path must be a str")
        if isinstance(dir_perms, bool):  # older wasmtime: fs_mutable
            rw = dir_perms
            dir_perms = DirPerms.READ_WRITE if rw else DirPerms.READ_ONLY
            if file_perms is FilePerms.READ_WRITE and not rw:
                file_perms = FilePerms.READ_ONLY
        if not isinstance(dir_perms, DirPerms):
            raise TypeError("dir_perms must be a DirPerms")
        if not isinstance(file_perms, FilePerms):
            raise TypeError("file_perms must be a FilePerms")
        h = self.ptr()
        guest_path.encode("utf-8")
        # An empty guest_path is accepted, as wasmtime does (the guest sees
        # a preopen whose name is "").
        if not os.path.isdir(host) or "\0" in guest_path:
            raise WasmtimeError("failed to add preopen dir")
        h["preopens"].append((host, guest_path,
                              bool(dir_perms.value & 1), bool(dir_perms.value & 2),
                              bool(file_perms.value & 1), bool(file_perms.value & 2)))

"""WASI preview1 configuration (`WasiConfig`, `FilePerms`, `DirPerms`).

A WasiConfig only records settings (checking each one as it is given);
`Store.set_wasi(config)` consumes it and builds the native WASI context of
the store from them (the extension's `Store.set_wasi`), and `Linker.define_wasi()` defines
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
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

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
    empty stdin, discarded stdout/stderr, no directories. Settings are
    write-only properties and `inherit_*` methods, each checked when given;
    `Store.set_wasi(config)` consumes the config, after which every setter
    raises ValueError.
    """

    def __init__(self) -> None:
        self._h: Optional[Dict[str, Any]] = {
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
                    doc="The guest's argv, an iterable of str (write-only); argv[0] is the "
                        "program name. TypeError for other types, WasmtimeError for a NUL "
                        "character.")
    env = property(_write_only("env"), _set_env,
                   doc="The guest's environment, a mapping or (name, value) str pairs "
                       "(write-only). TypeError for other types, WasmtimeError for an "
                       "empty name, '=' in a name, or a NUL character.")
    stdin_file = property(_write_only("stdin_file"), _set_stdin_file,
                          doc="A file the guest reads as stdin (write-only path; "
                              "WasmtimeError if it is not an existing file).")
    stdout_file = property(_write_only("stdout_file"),
                           lambda self, p: self._set_output_file("stdout", p),
                           doc="A file receiving stdout (write-only path; created or "
                               "truncated now, WasmtimeError if that fails).")
    stderr_file = property(_write_only("stderr_file"),
                           lambda self, p: self._set_output_file("stderr", p),
                           doc="A file receiving stderr (write-only path; created or "
                               "truncated now, WasmtimeError if that fails).")
    stdout_custom = property(_write_only("stdout_custom"),
                             lambda self, f: self._set_custom("stdout", f),
                             doc="A callable given the bytes of each stdout write; it "
                                 "returns None (all taken) or how many bytes it took. An "
                                 "exception it raises is reported through "
                                 "sys.unraisablehook and the write fails with EIO. "
                                 "Write-only; TypeError if not callable.")
    stderr_custom = property(_write_only("stderr_custom"),
                             lambda self, f: self._set_custom("stderr", f),
                             doc="Like stdout_custom, for stderr.")
    stdin_bytes = property(_write_only("stdin_bytes"), _set_stdin_bytes,
                           doc="Ember extension: the guest's stdin is these bytes "
                               "(write-only; bytes, bytearray or memoryview, else "
                               "TypeError).")

    def inherit_argv(self) -> None:
        """Gives the guest this process's `sys.argv` as its argv.

        Raises:
            ValueError: If the config was consumed or closed.
        """
        self._set("argv", [str(a) for a in sys.argv])

    def inherit_env(self) -> None:
        """Gives the guest this process's environment, as it is at `set_wasi`.

        Raises:
            ValueError: If the config was consumed or closed.
        """
        h = self.ptr()
        h["env"] = []
        h["inherit_env"] = True

    def inherit_stdin(self) -> None:
        """Makes the guest read this process's stdin.

        Raises:
            ValueError: If the config was consumed or closed.
        """
        self._set("stdin", ("inherit",))

    def inherit_stdout(self) -> None:
        """Sends the guest's stdout to this process's stdout.

        Raises:
            ValueError: If the config was consumed or closed.
        """
        self._set("stdout", ("inherit",))

    def inherit_stderr(self) -> None:
        """Sends the guest's stderr to this process's stderr.

        Raises:
            ValueError: If the config was consumed or closed.
        """
        self._set("stderr", ("inherit",))

    def preopen_dir(self, path: _Path, guest_path: str,
                    dir_perms: Union[DirPerms, bool] = DirPerms.READ_WRITE,
                    file_perms: FilePerms = FilePerms.READ_WRITE) -> None:
        """Gives the guest the host directory `path`, seen as `guest_path`.

        Args:
            path: The host directory (str, bytes or os.PathLike).
            guest_path: The name the guest sees (what fd_prestat_dir_name
                reports); it may be empty, as in wasmtime.
            dir_perms: What the guest may do with the directories. A bool is
                older wasmtime's `fs_mutable` (True: read-write, False:
                read-only for directories and files).
            file_perms: What the guest may do with the files.

        Raises:
            TypeError: If an argument has the wrong type.
            WasmtimeError: If `path` is not a directory or `guest_path`
                contains NUL.
            ValueError: If the config was consumed or closed.
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

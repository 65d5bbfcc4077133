"""WASI preview1 corner cases, compared errno by errno with the `wasmtime` package.

One module re-exports WASI functions unchanged, so each case calls a WASI
function directly with raw arguments and gets its errno. Every case runs in
a fresh directory under Ember and, when it is installed, under wasmtime; the
errno must be the one pinned here (wasmtime 50's) and both engines must leave
the same directory entries behind. The cases are the WASI testsuite's
expectations Ember once missed: a trailing slash on the new name of
path_link / path_symlink, a directory opened with fd_write, sock_* on fds
that are not sockets, and a preopen with an empty guest path (which
published packages use). The C++ twins are in
tests/unit/wasi_conformance_test.cc.
"""
import importlib.util
import os
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

import ember
from conftest import required

# WASI errno values.
ESUCCESS, EBADF, EEXIST, EISDIR, ENOENT, ENOTDIR, ENOTSOCK, EPERM = 0, 8, 20, 31, 44, 54, 57, 63

# oflags and rights bits.
O_DIRECTORY = 2
FD_DATASYNC, FD_READ, FD_WRITE, FD_ALLOCATE = 1 << 0, 1 << 1, 1 << 6, 1 << 8
FD_READDIR, FD_FILESTAT_SET_SIZE = 1 << 14, 1 << 22
ALL_RIGHTS = (1 << 30) - 1
OTHER_WRITE_RIGHTS = FD_DATASYNC | FD_ALLOCATE | FD_FILESTAT_SET_SIZE
SD_RD, SD_WR = 1, 2

DIR_FD = 3  # the first preopen
A, B, OUT, IOV = 1000, 1100, 64, 16  # guest addresses: two strings, results, an iovec

SIGNATURES = {
    "path_link": "i32 i32 i32 i32 i32 i32 i32",
    "path_symlink": "i32 i32 i32 i32 i32",
    "path_open": "i32 i32 i32 i32 i32 i64 i64 i32 i32",
    "fd_prestat_get": "i32 i32",
    "fd_prestat_dir_name": "i32 i32 i32",
    "sock_shutdown": "i32 i32",
    "sock_accept": "i32 i32 i32",
    "sock_recv": "i32 i32 i32 i32 i32 i32",
    "sock_send": "i32 i32 i32 i32 i32",
}


def _wat() -> str:
    """A module exporting each function of SIGNATURES as itself, plus memory."""
    out = ["(module"]
    for name, params in SIGNATURES.items():
        out.append(f'  (import "wasi_snapshot_preview1" "{name}" '
                   f'(func ${name} (param {params}) (result i32)))')
    out.append('  (memory (export "memory") 1)')
    for name, params in SIGNATURES.items():
        args = " ".join(f"(local.get {i})" for i in range(len(params.split())))
        out.append(f'  (func (export "{name}") (param {params}) (result i32) '
                   f'(call ${name} {args}))')
    return "\n".join(out + [")"])


WAT = _wat()


class Guest:
    """The module instantiated in `lib` (ember or wasmtime) with one preopen."""

    def __init__(self, lib: ModuleType, host: str, guest_path: str = "/sb",
                 writable: bool = True) -> None:
        self.lib = lib
        engine = lib.Engine()
        self.store = lib.Store(engine)
        cfg = lib.WasiConfig()
        cfg.preopen_dir(host, guest_path, writable)  # fs_mutable: both packages take it
        self.store.set_wasi(cfg)
        linker = lib.Linker(engine)
        linker.define_wasi()
        self.exports = linker.instantiate(self.store, lib.Module(engine, WAT)).exports(self.store)
        self.memory = self.exports["memory"]

    def call(self, name: str, *args: int) -> int:
        result: int = self.exports[name](self.store, *args)
        return result

    def put(self, addr: int, text: str) -> Tuple[int, int]:
        """Writes `text` at addr; (addr, length) for the call."""
        data = text.encode()
        self.memory.write(self.store, data, addr)
        return addr, len(data)

    def read(self, addr: int, n: int) -> bytes:
        return bytes(self.memory.read(self.store, addr, addr + n))

    def u32(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 4), "little")

    def open(self, path: str, oflags: int, rights: int, follow: bool = True) -> int:
        """path_open beneath the preopen; the errno (the fd is at OUT)."""
        return self.call("path_open", DIR_FD, int(follow), *self.put(A, path), oflags, rights,
                         ALL_RIGHTS, 0, OUT)

    def link(self, old: str, new: str) -> int:
        return self.call("path_link", DIR_FD, 0, *self.put(A, old), DIR_FD, *self.put(B, new))

    def symlink(self, target: str, new: str) -> int:
        return self.call("path_symlink", *self.put(A, target), DIR_FD, *self.put(B, new))


def layout(root: str) -> None:
    """A file, a directory, a symlink to the directory and a dangling one."""
    with open(os.path.join(root, "file"), "w") as f:
        f.write("x")
    os.mkdir(os.path.join(root, "dir"))
    os.symlink("dir", os.path.join(root, "dirlink"))
    os.symlink("nowhere", os.path.join(root, "dangling"))


def entries(root: str) -> List[str]:
    """Every name under root, with symlink targets (what a case left behind)."""
    out = []
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            out.append(rel + (" -> " + os.readlink(p) if os.path.islink(p) else ""))
    return sorted(out)


Case = Callable[[Guest], int]


def _open_file_then(fn: Callable[[Guest, int], int]) -> Case:
    """A case run on a fd of the regular file `file`."""
    def case(g: Guest) -> int:
        assert g.open("file", 0, FD_READ | FD_WRITE) == ESUCCESS
        return fn(g, g.u32(OUT))
    return case


def _sock_cases() -> Dict[str, Tuple[Case, int]]:
    calls: Dict[str, Callable[[Guest, int], int]] = {
        "shutdown_rdwr": lambda g, fd: g.call("sock_shutdown", fd, SD_RD | SD_WR),
        "shutdown_wr": lambda g, fd: g.call("sock_shutdown", fd, SD_WR),
        "shutdown_none": lambda g, fd: g.call("sock_shutdown", fd, 0),
        "accept": lambda g, fd: g.call("sock_accept", fd, 0, OUT),
        "recv": lambda g, fd: g.call("sock_recv", fd, IOV, 1, 0, OUT, OUT + 4),
        "send": lambda g, fd: g.call("sock_send", fd, IOV, 1, 0, OUT),
        "send_siflags": lambda g, fd: g.call("sock_send", fd, IOV, 1, 5, OUT),
    }
    def on_fd(fn: Any, fd: int) -> Case:
        return lambda g: fn(g, fd)

    out: Dict[str, Tuple[Case, int]] = {}
    for what, fn in calls.items():
        for fd_name, fd in (("stdin", 0), ("stdout", 1), ("preopen", DIR_FD)):
            out[f"sock_{what}_{fd_name}"] = (on_fd(fn, fd), ENOTSOCK)
        out[f"sock_{what}_file"] = (_open_file_then(fn), ENOTSOCK)
        out[f"sock_{what}_closed"] = (on_fd(fn, 99), EBADF)
    return out


# name -> (case, wasmtime's errno), run in a writable preopen laid out by `layout`.
CASES: Dict[str, Tuple[Case, int]] = {
    # path_link: the new name may not end with '/'.
    "link_to_new_slash": (lambda g: g.link("file", "new/"), ENOENT),
    "link_to_file_slash": (lambda g: g.link("file", "file/"), ENOTDIR),
    "link_to_dir_slash": (lambda g: g.link("file", "dir/"), EEXIST),
    "link_to_dir_slashes": (lambda g: g.link("file", "dir//"), EEXIST),
    "link_to_dirlink_slash": (lambda g: g.link("file", "dirlink/"), EEXIST),
    "link_to_dangling_slash": (lambda g: g.link("file", "dangling/"), ENOENT),
    "link_to_new_slash_dot": (lambda g: g.link("file", "new/."), ENOENT),
    "link_from_file_slash": (lambda g: g.link("file/", "new"), ENOTDIR),
    "link_from_dir_slash": (lambda g: g.link("dir/", "new"), EPERM),
    "link_plain": (lambda g: g.link("file", "new"), ESUCCESS),
    # path_symlink: likewise; the link's contents may end with '/'.
    "symlink_to_new_slash": (lambda g: g.symlink("file", "new/"), ENOENT),
    "symlink_dir_to_new_slash": (lambda g: g.symlink("dir", "new/"), ENOENT),
    "symlink_to_file_slash": (lambda g: g.symlink("file", "file/"), ENOTDIR),
    "symlink_to_dir_slash": (lambda g: g.symlink("dir", "dir/"), EEXIST),
    "symlink_to_dirlink_slash": (lambda g: g.symlink("file", "dirlink/"), EEXIST),
    "symlink_to_dangling_slash": (lambda g: g.symlink("file", "dangling/"), ENOENT),
    "symlink_to_dir_dot_slash": (lambda g: g.symlink("file", "dir/./"), EEXIST),
    "symlink_to_dangling": (lambda g: g.symlink("file", "dangling"), EEXIST),
    "symlink_contents_slash": (lambda g: g.symlink("dir/", "new"), ESUCCESS),
    # path_open: a directory never opens with fd_write.
    "open_dir_directory_fd_write": (lambda g: g.open("dir", O_DIRECTORY, FD_WRITE), EISDIR),
    "open_dir_directory_all": (lambda g: g.open("dir", O_DIRECTORY, ALL_RIGHTS), EISDIR),
    "open_dir_fd_write": (lambda g: g.open("dir", 0, FD_WRITE), EISDIR),
    "open_dir_slash_fd_write": (lambda g: g.open("dir/", 0, FD_WRITE), EISDIR),
    "open_dirlink_directory_fd_write": (lambda g: g.open("dirlink", O_DIRECTORY, FD_WRITE),
                                        EISDIR),
    "open_dot_directory_fd_write": (lambda g: g.open(".", O_DIRECTORY, FD_WRITE), EISDIR),
    "open_missing_directory_fd_write": (lambda g: g.open("missing", O_DIRECTORY, FD_WRITE),
                                        ENOENT),
    "open_file_directory_fd_write": (lambda g: g.open("file", O_DIRECTORY, FD_WRITE), ENOTDIR),
    "open_dir_directory_other_writes": (
        lambda g: g.open("dir", O_DIRECTORY, FD_READ | FD_READDIR | OTHER_WRITE_RIGHTS), ESUCCESS),
    "open_dir_other_writes": (lambda g: g.open("dir", 0, OTHER_WRITE_RIGHTS), ESUCCESS),
    "open_dir_directory_read": (lambda g: g.open("dir", O_DIRECTORY, FD_READ), ESUCCESS),
    **_sock_cases(),
}

# The same, in a read-only preopen: the preopen's permission is checked first.
READ_ONLY_CASES: Dict[str, Tuple[Case, int]] = {
    "ro_open_dir_directory_fd_write": (lambda g: g.open("dir", O_DIRECTORY, FD_WRITE), EPERM),
    "ro_link_to_new_slash": (lambda g: g.link("file", "new/"), EPERM),
    "ro_symlink_to_dir_slash": (lambda g: g.symlink("dir", "dir/"), EPERM),
}


@pytest.fixture(scope="module")
def wasmtime() -> Optional[ModuleType]:
    """The reference package; None without it (only the pinned errnos are then
    checked), except under CI=true, where its absence fails the run."""
    if importlib.util.find_spec("wasmtime") is None:
        if os.environ.get("CI") == "true":
            required("the wasmtime package (pip install wasmtime)")
        return None
    import wasmtime as mod
    return mod


def run_case(lib: ModuleType, root: str, case: Case, writable: bool = True
             ) -> Tuple[int, List[str]]:
    """(errno, entries left) of `case` in a fresh layout at root."""
    os.mkdir(root)
    layout(root)
    guest = Guest(lib, root, writable=writable)
    return case(guest), entries(root)


def _check(name: str, case: Case, expected: int, tmp_path: Any, wasmtime: Optional[ModuleType],
           writable: bool) -> None:
    got, left = run_case(ember, str(tmp_path / "ember"), case, writable)
    if wasmtime is not None:
        ref, ref_left = run_case(wasmtime, str(tmp_path / "wasmtime"), case, writable)
        assert ref == expected, f"{name}: wasmtime gives {ref}, pinned {expected}"
        assert left == ref_left
    assert got == expected, f"{name}: errno {got}, wasmtime's is {expected}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_errno_as_wasmtime(name: str, tmp_path: Any, wasmtime: Optional[ModuleType]) -> None:
    case, expected = CASES[name]
    _check(name, case, expected, tmp_path, wasmtime, writable=True)


@pytest.mark.parametrize("name", sorted(READ_ONLY_CASES))
def test_read_only_errno_as_wasmtime(name: str, tmp_path: Any,
                                     wasmtime: Optional[ModuleType]) -> None:
    case, expected = READ_ONLY_CASES[name]
    _check(name, case, expected, tmp_path, wasmtime, writable=False)


# ---- a preopen with an empty guest path ---------------------------------------------------

def _empty_preopen_view(lib: ModuleType, root: str) -> Dict[str, Any]:
    """What a guest sees of a preopen given as preopen_dir(root, "")."""
    os.mkdir(root)
    with open(os.path.join(root, "file"), "w") as f:
        f.write("data")
    g = Guest(lib, root, guest_path="")
    view: Dict[str, Any] = {"prestat": g.call("fd_prestat_get", DIR_FD, OUT),
                            "tag": g.read(OUT, 1), "name_len": g.u32(OUT + 4)}
    g.put(200, "unchanged")
    view["dir_name_0"] = g.call("fd_prestat_dir_name", DIR_FD, 200, 0)
    view["dir_name_9"] = g.call("fd_prestat_dir_name", DIR_FD, 200, 9)
    view["buffer"] = g.read(200, 9)
    view["open"] = g.open("file", 0, FD_READ)
    view["next_preopen"] = g.call("fd_prestat_get", DIR_FD + 1, OUT)
    return view


EMPTY_PREOPEN_VIEW = {"prestat": ESUCCESS, "tag": b"\0", "name_len": 0, "dir_name_0": ESUCCESS,
                      "dir_name_9": ESUCCESS, "buffer": b"unchanged", "open": ESUCCESS,
                      "next_preopen": EBADF}


def test_empty_guest_path_is_accepted(tmp_path: Any) -> None:
    cfg = ember.WasiConfig()
    cfg.preopen_dir(str(tmp_path), "")
    ember.Store(ember.Engine()).set_wasi(cfg)


def test_empty_guest_path_as_wasmtime(tmp_path: Any, wasmtime: Optional[ModuleType]) -> None:
    if wasmtime is not None:
        assert _empty_preopen_view(wasmtime, str(tmp_path / "wasmtime")) == EMPTY_PREOPEN_VIEW
    assert _empty_preopen_view(ember, str(tmp_path / "ember")) == EMPTY_PREOPEN_VIEW


def test_guest_path_with_nul_is_still_refused(tmp_path: Any) -> None:
    with pytest.raises(ember.WasmtimeError, match="failed to add preopen dir"):
        ember.WasiConfig().preopen_dir(str(tmp_path), "a\0b")

"""Exported function signatures of a module, read from its binary, and the
wasm "wrapper" module through which the differential fuzzer calls them.

Neither engine's Python API is used to learn the signatures: the `wasmtime`
package aborts the process on a v128 parameter type, and the point of the
fuzzer is not to trust Ember's reflection. The wrapper turns every export
into one that takes and returns only integers (float and vector values as
their bits, references as `ref.is_null`), so results are compared bit for bit
without a host float conversion in between (which would quiet a signalling
NaN on the way to Python).
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

# Value type codes of the binary format (typed references are reported as "ref").
VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
            0x70: "funcref", 0x6F: "externref"}
# What each type becomes in the wrapper's signature.
CARRIER = {"i32": ["i32"], "i64": ["i64"], "f32": ["i32"], "f64": ["i64"],
           "v128": ["i64", "i64"], "funcref": ["funcref"], "externref": ["externref"]}
# Results: references come back as ref.is_null.
RESULT_CARRIER = dict(CARRIER, funcref=["i32"], externref=["i32"])


class Malformed(Exception):
    """The binary could not be read (only when the engines accepted it is this a bug)."""


@dataclass(frozen=True)
class FuncExport:
    name: str
    params: Tuple[str, ...]
    results: Tuple[str, ...]

    def callable(self) -> bool:
        """Whether the wrapper can pass every parameter and result."""
        return all(t in CARRIER for t in self.params + self.results)


class Reader:
    def __init__(self, data: bytes, pos: int = 0, end: Optional[int] = None) -> None:
        self.data, self.pos = data, pos
        self.end = len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise Malformed("unexpected end")
        self.pos += 1
        return self.data[self.pos - 1]

    def uleb(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def name(self) -> str:
        n = self.uleb()
        self.pos += n
        return self.data[self.pos - n:self.pos].decode("utf-8", "replace")

    def valtype(self) -> str:
        code = self.byte()
        if code in (0x63, 0x64):  # (ref null? heaptype): heap type is an s33
            self.uleb()
            return "ref"
        return VALTYPES.get(code, f"0x{code:02x}")

    def limits(self) -> None:
        flags = self.uleb()
        self.uleb()
        if flags & 1:
            self.uleb()


def _types(r: Reader) -> List[Tuple[Tuple[str, ...], Tuple[str, ...]]]:
    out = []
    for _ in range(r.uleb()):
        if r.byte() != 0x60:
            raise Malformed("non-function type")
        params = tuple(r.valtype() for _ in range(r.uleb()))
        results = tuple(r.valtype() for _ in range(r.uleb()))
        out.append((params, results))
    return out


def _imported_funcs(r: Reader) -> List[int]:
    funcs = []
    for _ in range(r.uleb()):
        r.name(), r.name()
        kind = r.byte()
        if kind in (0, 4):       # function, tag: a type index
            if kind == 4:
                r.byte()
            idx = r.uleb()
            if kind == 0:
                funcs.append(idx)
        elif kind == 1:          # table
            r.valtype()
            r.limits()
        elif kind == 2:          # memory
            r.limits()
        elif kind == 3:          # global
            r.valtype()
            r.byte()
        else:
            raise Malformed(f"import kind {kind}")
    return funcs


def _sections(wasm: bytes) -> Dict[int, Reader]:
    if wasm[:4] != b"\0asm":
        raise Malformed("no magic")
    r, out = Reader(wasm, 8), {}
    while r.pos < len(wasm):
        sid, size = r.byte(), r.uleb()
        if sid != 0:
            out[sid] = Reader(wasm, r.pos, r.pos + size)
        r.pos += size
    return out


def func_exports(wasm: bytes) -> List[FuncExport]:
    """The module's function exports, in export-section order."""
    s = _sections(wasm)
    types = _types(s[1]) if 1 in s else []
    funcs = _imported_funcs(s[2]) if 2 in s else []
    if 3 in s:
        funcs += [s[3].uleb() for _ in range(s[3].uleb())]
    out = []
    r = s.get(7)
    for _ in range(r.uleb() if r else 0):
        assert r is not None
        name, kind, idx = r.name(), r.byte(), r.uleb()
        if kind == 0:
            params, results = types[funcs[idx]]
            out.append(FuncExport(name, params, results))
    return out


def wat_string(s: str) -> str:
    return '"' + "".join(c if c.isalnum() or c in "_-.$" else f"\\{b:02x}"
                         for c in s for b in c.encode()) + '"'


def _push_params(params: Tuple[str, ...]) -> List[str]:
    code, i = [], 0
    for t in params:
        if t == "v128":
            code += ["v128.const i64x2 0 0", f"local.get {i}", "i64x2.replace_lane 0",
                     f"local.get {i + 1}", "i64x2.replace_lane 1"]
        else:
            code.append(f"local.get {i}")
            code += {"f32": ["f32.reinterpret_i32"], "f64": ["f64.reinterpret_i64"]}.get(t, [])
        i += len(CARRIER[t])
    return code


def _push_results(results: Tuple[str, ...], first_local: int) -> List[str]:
    code: List[str] = [f"local.set {first_local + j}" for j in reversed(range(len(results)))]
    for j, t in enumerate(results):
        get = f"local.get {first_local + j}"
        code += {"f32": [get, "i32.reinterpret_f32"], "f64": [get, "i64.reinterpret_f64"],
                 "v128": [get, "i64x2.extract_lane 0", get, "i64x2.extract_lane 1"],
                 "funcref": [get, "ref.is_null"], "externref": [get, "ref.is_null"]
                 }.get(t, [get])
    return code


def _clause(keyword: str, types: List[str]) -> str:
    return f" ({keyword} {' '.join(types)})" if types else ""


def _wrapper_import(k: int, f: FuncExport) -> str:
    sig = _clause("param", list(f.params)) + _clause("result", list(f.results))
    return f"(import \"t\" {wat_string(f.name)} (func $f{k}{sig}))"


def _wrapper_func(k: int, f: FuncExport) -> str:
    cparams = [c for t in f.params for c in CARRIER[t]]
    cresults = [c for t in f.results for c in RESULT_CARRIER[t]]
    body = _push_params(f.params) + [f"call $f{k}"] + _push_results(f.results, len(cparams))
    return (f"(func (export \"w{k}\"){_clause('param', cparams)}{_clause('result', cresults)}"
            f"{_clause('local', list(f.results))}\n  {' '.join(body)})")


def wrapper_wat(exports: List[FuncExport]) -> str:
    """A module importing each callable export as "t" NAME and exporting
    "w<k>" (k = its position in `exports`) that takes and returns bits."""
    wrapped = [(k, f) for k, f in enumerate(exports) if f.callable()]
    return "(module\n" + "\n".join([_wrapper_import(k, f) for k, f in wrapped] +
                                     [_wrapper_func(k, f) for k, f in wrapped]) + ")"


def carrier_params(f: FuncExport) -> List[Tuple[str, str]]:
    """(original type, carrier type) of each wrapper parameter, in order."""
    return [(t, c) for t in f.params for c in CARRIER[t]]


def carrier_results(f: FuncExport) -> List[str]:
    """The original type behind each wrapper result ("v128" twice per vector)."""
    return [t for t in f.results for _ in RESULT_CARRIER[t]]

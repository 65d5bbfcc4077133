#!/usr/bin/env python3
"""Differential fuzzing of Ember against the `wasmtime` package.

Random valid modules come from binaryen (`wasm-opt -ttf` over random bytes,
with and without `--denan`, over several feature sets). Each runs in both
engines, and everything observable is compared:

- whether the module compiles and instantiates (errors by kind only; a
  start-function trap by its cause);
- every exported function, called with zeros and with fixed values, each
  call preceded by `hangLimitInitializer` as binaryen's own harness does:
  its results, or its trap (the "wasm trap: ..." cause line and trap code);
- the values the module logs through its `fuzzing-support.log-*` imports;
- the fuel left after each call (both engines charge as Wasmtime does), and
  the exported memories' size and contents at the end.

Values cross to Python only as integers: exports are called through a wasm
wrapper (see wasm_signatures.py) and the log imports are wasm helpers that
pass bits on, so float results and logs are compared bit for bit. `--denan`
modules never make NaNs; the others run with `cranelift_nan_canonicalization`
in both engines, which fixes every NaN's bits. With `--no-canon` they run
without it and NaNs compare equal to any NaN (a difference that is left is
re-checked with canonicalization, and counted only if it remains); so do
`--denan` modules with SIMD (denan leaves vector lanes alone).

Generation is deterministic: module INDEX of run SEED is always the same
bytes, feature set and denan choice (`--index` reruns a single one).

  usage: PYTHONPATH=build/fuzz/python tests/fuzz/differential.py --time 600
  needs: binaryen's wasm-opt; `pip install wasmtime` (the reference engine)
"""
import argparse
import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wasm_signatures import (FuncExport, Malformed, carrier_params,  # noqa: E402
                             carrier_results, func_exports, wrapper_wat)

Event = Tuple[Any, ...]

WASM2 = ("--mvp-features", "--enable-sign-ext", "--enable-bulk-memory",
         "--enable-nontrapping-float-to-int", "--enable-multivalue", "--enable-mutable-globals")


@dataclass(frozen=True)
class FeatureSet:
    """binaryen's flags for a set, and the Config switches turned on in both engines."""
    name: str
    flags: Tuple[str, ...]
    config: Tuple[str, ...] = ()
    default: bool = True     # in "all" (the default selection)

    @property
    def simd(self) -> bool:
        return "--enable-simd" in self.flags


# binaryen 108 (Debian's) has no multi-memory and, with reference types,
# emits typed function references (invalid without function-references), so
# "reftypes" mostly compares the two validators. Sets whose flags this
# wasm-opt lacks are left out (see available_sets). "threads": atomics on a
# shared memory (both engines with Config.shared_memory on).
FEATURE_SETS = [
    FeatureSet("mvp", ("--mvp-features",)),
    FeatureSet("wasm2", WASM2),
    FeatureSet("reftypes", WASM2 + ("--enable-reference-types",), ("wasm_reference_types",)),
    FeatureSet("simd", WASM2 + ("--enable-simd",), ("wasm_simd",)),
    FeatureSet("tail-call", WASM2 + ("--enable-simd", "--enable-tail-call"),
               ("wasm_simd", "wasm_tail_call")),
    FeatureSet("threads", WASM2 + ("--enable-threads",), ("wasm_threads", "shared_memory")),
    FeatureSet("multi-memory", WASM2 + ("--enable-multimemory",), ("wasm_multi_memory",)),
]


# Proposals on by default in wasmtime 50 that Ember does not implement: off in
# both. (binaryen 108 writes a typed reference in its old encoding, which GC
# would read as i31ref.)
DISABLED = ("wasm_gc", "wasm_function_references", "wasm_exceptions")


@dataclass(frozen=True)
class Options:
    fuel: Tuple[int, ...] = (10_000_000, 2000, 300)  # per call, in turn; () = no fuel
    canon: bool = True       # run non-denan modules with NaN canonicalization
    argsets: int = 3         # calls per export: zeros, then fixed values
    timeout: float = 10.0    # seconds per call when running without fuel
    min_input: int = 2000    # bytes of random input given to -ttf
    max_input: int = 20000
    strategy: str = ""       # Ember's Config.strategy ("": its default)
    tier_up_after: int = 0   # Ember's Config.tier_up_after (0: its default)


@dataclass(frozen=True)
class Case:
    seed: int
    index: int
    features: FeatureSet
    denan: bool
    passes: bool = False     # binaryen's --fuzz-passes: random optimisations after -ttf

    def variant(self) -> List[str]:
        return (["denan"] if self.denan else []) + (["opt"] if self.passes else [])

    def __str__(self) -> str:
        return (f"seed {self.seed} module {self.index} "
                f"({', '.join([self.features.name] + self.variant())})")

    def filename(self) -> str:
        return "-".join([f"s{self.seed}", f"m{self.index}", self.features.name] + self.variant())


def available_sets(wasm_opt: str) -> List[FeatureSet]:
    """The feature sets whose binaryen flags this wasm-opt knows."""
    helptext = subprocess.run([wasm_opt, "--help"], capture_output=True, text=True).stdout
    return [fs for fs in FEATURE_SETS if all(f in helptext for f in fs.flags)]


def case_for(seed: int, index: int, sets: Sequence[FeatureSet]) -> Case:
    """Module `index` cycles through the sets, then --denan off and on, then
    --fuzz-passes off and on."""
    n = len(sets)
    return Case(seed, index, sets[index % n], (index // n) % 2 == 1, (index // (2 * n)) % 2 == 1)


def generate(case: Case, opts: Options, wasm_opt: str, tmp: Path) -> Optional[bytes]:
    """The module for `case`, or None if binaryen refuses the input."""
    rng = random.Random(f"{case.seed}/{case.index}")
    data, out = tmp / "input.dat", tmp / "module.wasm"
    data.write_bytes(rng.randbytes(rng.randint(opts.min_input, opts.max_input)))
    cmd = [wasm_opt, "-ttf", str(data), "-o", str(out), *case.features.flags]
    cmd += (["--denan"] if case.denan else []) + (["--fuzz-passes"] if case.passes else [])
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        return None
    return out.read_bytes()


# ---- one engine's run --------------------------------------------------------

LOG_HELPER = """(module
  (import "h" "i32" (func $i32 (param i32))) (import "h" "i64" (func $i64 (param i64)))
  (import "h" "f32" (func $f32 (param i32))) (import "h" "f64" (func $f64 (param i64)))
  (import "h" "v128" (func $v128 (param i64 i64)))
  (func (export "log-i32") (param i32) local.get 0 call $i32)
  (func (export "log-i64") (param i64) local.get 0 call $i64)
  (func (export "log-f32") (param f32) local.get 0 i32.reinterpret_f32 call $f32)
  (func (export "log-f64") (param f64) local.get 0 i64.reinterpret_f64 call $f64)
  SIMD)"""
LOG_V128 = """(func (export "log-v128") (param v128)
    local.get 0 i64x2.extract_lane 0 local.get 0 i64x2.extract_lane 1 call $v128)"""

# Argument values: call 0 passes zeros, call a > 0 passes VALUES[(a + j) % n]
# to parameter j. Float values are bits; NaNs only go to modules without --denan.
VALUES: Dict[str, List[int]] = {
    "i32": [0, 1, -1, 0x7FFFFFFF, -0x80000000, 0x55],
    "i64": [0, 1, -1, 2**63 - 1, -2**63, 0x123456789A],
    "f32": [0, 0x3F800000, -0x80000000, -0x3D0A0000, 0x7F800000, 0x4F000000],
    "f64": [0, 0x3FF0000000000000, -2**63, 0x41E0000000000000, 0x7FF0000000000000, 1],
}
NANS = {"f32": [0x7FC00000, 0x7FA00001, -0x00400001],
        "f64": [0x7FF8000000000000, 0x7FF4000000000001]}


def arg_value(ty: str, carrier: str, a: int, j: int, denan: bool) -> Any:
    if carrier in ("funcref", "externref"):
        return None
    table = VALUES[carrier if ty == "v128" else ty] + ([] if denan else NANS.get(ty, []))
    return 0 if a == 0 else table[(a + j) % len(table)]


class Ticker:
    """Advances the epoch of registered engines every `period` seconds
    (used instead of fuel to bound a call's time)."""
    period = 0.05

    def __init__(self) -> None:
        self.engines: List[Any] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.period)
            with self.lock:
                for e in self.engines:
                    e.increment_epoch()


_TICKER: Optional[Ticker] = None


def ticker() -> Ticker:
    global _TICKER
    if _TICKER is None:
        _TICKER = Ticker()
    return _TICKER


def trap_event(w: Any, e: Exception) -> Event:
    """A trap by its cause line and code; any other error by its type."""
    if isinstance(e, w.Trap):
        m = re.search(r"wasm trap: [^\n]*", str(e))
        code = e.trap_code.name if e.trap_code is not None else None
        return ("trap", m.group(0) if m else str(e).strip().splitlines()[-1], code)
    return ("error", type(e).__name__)


@dataclass
class Trace:
    """What one engine did with one module. `events` are compared; `notes`
    (error texts) only shown."""
    events: List[Event] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    interrupted: bool = False


class EngineRun:
    """One engine (`w` is the `ember` or `wasmtime` package) running one module."""

    def __init__(self, w: Any, case: Case, opts: Options, canon: bool) -> None:
        self.w, self.case, self.opts = w, case, opts
        config = w.Config()
        for name in DISABLED:
            setattr(config, name, False)
        for name in case.features.config:
            setattr(config, name, True)
        config.cranelift_nan_canonicalization = canon
        config.consume_fuel = bool(opts.fuel)
        config.epoch_interruption = not opts.fuel
        if opts.strategy and w.__name__ == "ember":
            config.strategy = opts.strategy
        if opts.tier_up_after and w.__name__ == "ember":
            config.tier_up_after = opts.tier_up_after
        self.engine = w.Engine(config)
        self.store = w.Store(self.engine)
        self.linker = w.Linker(self.engine)
        self.log: List[Event] = []
        self.trace = Trace()
        self.calls = 0

    def run(self, wasm: bytes) -> Trace:
        if not self.opts.fuel:
            with ticker().lock:
                ticker().engines.append(self.engine)
        try:
            self._run(wasm)
        finally:
            if not self.opts.fuel:
                with ticker().lock:
                    ticker().engines.remove(self.engine)
        return self.trace

    def _run(self, wasm: bytes) -> None:
        """Every export with each argument set, then the memory."""
        inst = self._instantiate(wasm)
        if inst is None:
            return
        exports = func_exports(wasm)
        self.linker.define_instance(self.store, "t", inst)
        wrap = self.linker.instantiate(self.store, self.w.Module(self.engine, wrapper_wat(exports)))
        reset = inst.exports(self.store).get("hangLimitInitializer")
        for k, f in enumerate(exports):
            if f.name == "hangLimitInitializer":
                continue
            if not f.callable():
                self.trace.events.append((f.name, "not callable", f.params, f.results))
                continue
            fn = wrap.exports(self.store)[f"w{k}"]
            for a in range(self.opts.argsets):
                self._call(f, a, fn, reset)
        self._memory(inst)

    def _instantiate(self, wasm: bytes) -> Any:
        """The instance, or None (compile or instantiation failure recorded)."""
        w, ev = self.w, self.trace.events
        self._define_logs()
        try:
            module = w.Module(self.engine, wasm)
        except Exception as e:
            ev.append(("compile", "failed"))
            self.trace.notes.append(f"compile: {str(e).strip()[:300]}")
            return None
        self._set_budget(10**12)
        try:
            inst = self.linker.instantiate(self.store, module)
        except Exception as e:
            ev.append(("instantiate",) + trap_event(w, e))
            self.trace.notes.append(f"instantiate: {str(e).strip()[:300]}")
            return None
        ev.append(("instantiate", "ok", tuple(self.log)))
        self.log.clear()
        return inst

    def _define_logs(self) -> None:
        w, V = self.w, self.w.ValType
        for tag, params in (("i32", [V.i32()]), ("i64", [V.i64()]), ("f32", [V.i32()]),
                            ("f64", [V.i64()]), ("v128", [V.i64(), V.i64()])):
            self.linker.define_func("h", tag, w.FuncType(params, []), self._logger(tag))
        wat = LOG_HELPER.replace("SIMD", LOG_V128 if self.case.features.simd else "")
        helper = self.linker.instantiate(self.store, w.Module(self.engine, wat))
        self.linker.define_instance(self.store, "fuzzing-support", helper)

    def _logger(self, tag: str) -> Callable[..., None]:
        # Not through `self`: a host function that refers to its store (here
        # by way of self.store) makes a cycle that neither Ember's nor the
        # wasmtime package's objects let the garbage collector break, and
        # every module run would keep its store and memory reservations.
        log = self.log
        return lambda *bits: log.append((tag,) + bits)

    def _set_budget(self, fuel: int) -> None:
        if self.opts.fuel:
            self.store.set_fuel(fuel)
        else:
            self.store.set_epoch_deadline(max(1, int(self.opts.timeout / Ticker.period)))

    def _call(self, f: FuncExport, a: int, fn: Any, reset: Any) -> None:
        args = [arg_value(t, c, a, j, self.case.denan)
                for j, (t, c) in enumerate(carrier_params(f))]
        fuel = self.opts.fuel[self.calls % len(self.opts.fuel)] if self.opts.fuel else 0
        self.calls += 1
        outcome: Event
        try:
            self._set_budget(10**9)
            if reset is not None:
                reset(self.store)
            self._set_budget(fuel)
            r = fn(self.store, *args)
            values = r if isinstance(r, list) else [] if r is None else [r]
            outcome = ("ok", tuple(zip(carrier_results(f), values)))
        except Exception as e:
            outcome = trap_event(self.w, e)
            self.trace.interrupted |= outcome[2:3] == ("INTERRUPT",)
        left = self.store.get_fuel() if self.opts.fuel else None
        self.trace.events.append((f.name, a, outcome, tuple(self.log), left))
        self.log.clear()

    def _memory(self, inst: Any) -> None:
        """The size and a digest of the memory -ttf modules export."""
        mem = inst.exports(self.store).get("memory")
        if isinstance(mem, self.w.Memory):
            data = bytes(mem.read(self.store, 0, mem.data_len(self.store)))
            self.trace.events.append(("memory", len(data), hashlib.sha256(data).hexdigest()[:16]))


# ---- comparing ---------------------------------------------------------------

def _loose_value(ty: str, bits: Any) -> Any:
    """`bits` of type `ty` with any NaN replaced by "nan" (v128 by lanes)."""
    if not isinstance(bits, int):
        return bits
    if ty == "f32":
        return "nan" if bits & 0x7F800000 == 0x7F800000 and bits & 0x7FFFFF else bits
    if ty in ("f64", "v128"):
        u = bits & (2**64 - 1)
        if u & 0x7FF0000000000000 == 0x7FF0000000000000 and u & 0xFFFFFFFFFFFFF:
            return "nan"
        if ty == "v128":
            return tuple(_loose_value("f32", u >> s & 0xFFFFFFFF) for s in (0, 32))
    return bits


def loose(event: Event) -> Event:
    """An event with NaN bits forgotten (results and log entries)."""
    if len(event) != 5 or not isinstance(event[2], tuple):
        return event
    name, a, outcome, log, left = event
    if outcome[0] == "ok":
        outcome = ("ok", tuple((t, _loose_value(t, v)) for t, v in outcome[1]))
    log = tuple((e[0],) + tuple(_loose_value(e[0], v) for v in e[1:]) for e in log)
    return (name, a, outcome, log, left)


def first_difference(a: Trace, b: Trace, exact: bool) -> Optional[str]:
    ea = a.events if exact else [loose(e) for e in a.events]
    eb = b.events if exact else [loose(e) for e in b.events]
    if ea == eb:
        return None
    i = next((i for i, (x, y) in enumerate(zip(ea, eb)) if x != y), min(len(ea), len(eb)))

    def show(t: Trace) -> str:
        return repr(t.events[i])[:700] if i < len(t.events) else "(nothing more)"
    notes = "".join(f"\n    ember note: {n}" for n in a.notes) + \
        "".join(f"\n    wasmtime note: {n}" for n in b.notes)
    return f"event {i}:\n    ember:    {show(a)}\n    wasmtime: {show(b)}{notes}"


@dataclass
class Verdict:
    status: str  # same | diverged | not generated | timed out | compile failed | NaN bits only
    detail: str = ""


def engines() -> Tuple[Any, Any]:
    """The engine under test and the reference (EMBER_FUZZ_SELF=1: wasmtime twice,
    to check the fuzzer itself)."""
    import wasmtime
    if os.environ.get("EMBER_FUZZ_SELF") == "1":
        return wasmtime, wasmtime
    import ember
    return ember, wasmtime


def compare(case: Case, wasm: bytes, opts: Options) -> Verdict:
    ours, ref = engines()
    canon = opts.canon and not case.denan
    # --denan scrubs scalar NaNs only: with SIMD, vector lanes can still hold
    # NaNs whose bits the spec leaves open, so those modules compare loosely.
    exact = canon or (case.denan and not case.features.simd)
    a = EngineRun(ours, case, opts, canon).run(wasm)
    b = EngineRun(ref, case, opts, canon).run(wasm)
    if a.interrupted or b.interrupted:
        return Verdict("timed out")
    diff = first_difference(a, b, exact)
    if diff and not exact:
        # NaN bits may have reached memory or integers: what canonicalization
        # does not remove is a divergence.
        diff = first_difference(EngineRun(ours, case, opts, True).run(wasm),
                                EngineRun(ref, case, opts, True).run(wasm), True)
        if not diff:
            return Verdict("NaN bits only")
    if diff:
        return Verdict("diverged", diff)
    return Verdict("compile failed" if a.events == [("compile", "failed")] else "same")


def check(case: Case, opts: Options, wasm_opt: str, tmp: Path) -> Tuple[Verdict, Optional[bytes]]:
    wasm = generate(case, opts, wasm_opt, tmp)
    if wasm is None:
        return Verdict("not generated"), None
    try:
        return compare(case, wasm, opts), wasm
    except Malformed as e:
        return Verdict("diverged", f"the fuzzer could not read the module: {e}"), wasm


# ---- the command -------------------------------------------------------------

@dataclass
class Summary:
    per_set: Dict[str, "Counter[str]"] = field(default_factory=dict)
    divergences: List[Tuple[Case, str]] = field(default_factory=list)

    def add(self, case: Case, verdict: Verdict) -> None:
        self.per_set.setdefault(case.features.name, Counter())[verdict.status] += 1
        if verdict.status == "diverged":
            self.divergences.append((case, verdict.detail))

    def modules(self) -> int:
        return sum(c[s] for c in self.per_set.values() for s in c if s != "not generated")

    def report(self) -> str:
        lines = [f"  {name}: " + ", ".join(f"{n} {s}" for s, n in sorted(c.items()))
                 for name, c in self.per_set.items()]
        lines.append(f"{self.modules()} modules, {len(self.divergences)} divergences")
        return "\n".join(lines)


def fuzz(seed: int, indices: Sequence[int], sets: Sequence[FeatureSet], opts: Options,
         deadline: float = float("inf"), keep_dir: Optional[Path] = None,
         echo: Callable[[str], None] = lambda s: None, verbose: bool = False) -> Summary:
    """Runs the modules `indices` of run `seed` until `deadline` (time.monotonic())."""
    wasm_opt = shutil.which("wasm-opt")
    if not wasm_opt:
        raise FileNotFoundError("wasm-opt (binaryen) is needed")
    summary = Summary()
    with tempfile.TemporaryDirectory() as tmpdir:
        for index in indices:
            if time.monotonic() > deadline:
                break
            case = case_for(seed, index, sets)
            verdict, wasm = check(case, opts, wasm_opt, Path(tmpdir))
            summary.add(case, verdict)
            if verbose:
                echo(f"{case}: {verdict.status}")
            if verdict.status == "diverged":
                echo(f"DIVERGENCE {case}: {verdict.detail}")
                if keep_dir and wasm:
                    keep(keep_dir, case, wasm, verdict.detail)
    return summary


def keep(keep_dir: Path, case: Case, wasm: bytes, detail: str) -> None:
    keep_dir.mkdir(parents=True, exist_ok=True)
    (keep_dir / f"{case.filename()}.wasm").write_bytes(wasm)
    (keep_dir / f"{case.filename()}.txt").write_text(f"{case}\n{detail}\n")


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    names = [fs.name for fs in FEATURE_SETS]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=1, help="run seed (default 1)")
    p.add_argument("--count", type=int,
                   help="modules to run (default 100, or unbounded with --time)")
    p.add_argument("--time", type=float, help="stop starting new modules after SECONDS")
    p.add_argument("--start", type=int, default=0, help="first module index")
    p.add_argument("--index", type=int, help="run only module INDEX (to reproduce one)")
    p.add_argument("--features", choices=["all"] + names, action="append",
                   help="feature set(s) to cycle through (default: all that binaryen has, "
                        "except threads)")
    p.add_argument("--fuel", default="10000000,2000,300",
                   help="fuel per call, used in turn (default %(default)s)")
    p.add_argument("--no-fuel", action="store_true",
                   help="bound calls by epoch interruption (--timeout) instead of fuel")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per call with --no-fuel")
    p.add_argument("--no-canon", action="store_true",
                   help="run non-denan modules without NaN canonicalization (NaNs match any NaN)")
    p.add_argument("--argsets", type=int, default=3, help="calls per export (default 3)")
    p.add_argument("--strategy", default="",
                   help="Ember's Config.strategy: auto, cranelift (eager, compiled code's "
                        "guard pages and checks) or interpreter (default: Ember's default)")
    p.add_argument("--tier-up-after", type=int, default=0,
                   help="Ember's Config.tier_up_after with strategy auto: 1 tiers every "
                        "function up at its first call or loop iteration (default: Ember's)")
    p.add_argument("--keep-dir", type=Path, help="save divergent modules (and a .txt) here")
    p.add_argument("--verbose", "-v", action="store_true", help="print every module's verdict")
    return p.parse_args(argv)


def options_from(args: argparse.Namespace) -> Options:
    fuel = () if args.no_fuel else tuple(int(x) for x in args.fuel.split(","))
    return Options(fuel=fuel, canon=not args.no_canon, argsets=args.argsets, timeout=args.timeout,
                   strategy=args.strategy, tier_up_after=args.tier_up_after)


def selected_sets(choice: Optional[List[str]]) -> List[FeatureSet]:
    wasm_opt = shutil.which("wasm-opt")
    have = available_sets(wasm_opt) if wasm_opt else []
    missing = [fs.name for fs in FEATURE_SETS if fs not in have]
    if missing:
        print(f"feature sets this wasm-opt cannot generate: {', '.join(missing)}", file=sys.stderr)
    if not choice or "all" in choice:
        return [fs for fs in have if fs.default]
    return [fs for fs in have if fs.name in choice]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    sets = selected_sets(args.features)
    if not sets:
        print("no feature set to run (is wasm-opt installed?)", file=sys.stderr)
        return 2
    if args.index is not None:
        indices: Sequence[int] = [args.index]
    else:
        count = args.count if args.count is not None else (10**9 if args.time else 100)
        indices = range(args.start, args.start + count)
    deadline = time.monotonic() + args.time if args.time else float("inf")
    summary = fuzz(args.seed, indices, sets, options_from(args), deadline, args.keep_dir,
                   echo=lambda s: print(s, flush=True), verbose=args.verbose)
    print(summary.report())
    return 1 if summary.divergences else 0


if __name__ == "__main__":
    sys.exit(main())

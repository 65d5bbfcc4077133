"""Tables, machine facts and docs/performance.md for the benchmark tools.

bench/run.py and bench/micro.py each own one marked section of
docs/performance.md (`<!-- bench:suite -->` ... `<!-- /bench:suite -->`,
`<!-- bench:micro -->` ... `<!-- /bench:micro -->`) and replace only that
section, so hand-written parts of the file (profiling notes) survive a rerun.
The chart (docs/performance.png) is drawn with matplotlib, imported only when
a chart is drawn: the tests and `--quick`/`--no-docs` runs do without it.
"""
import datetime
import math
import os
import platform
import re
import shutil
import subprocess
from typing import Any, Dict, List, Optional, Sequence

TEMPLATE = """# Performance

How Ember compares with other engines on the same machine in one run. The
sections between `bench:` markers are generated: the benchmark suite by
`python3 bench/run.py`, the micro-benchmarks by `python3 bench/micro.py`; each
rerun replaces its own section only.

<!-- bench:suite -->
<!-- /bench:suite -->

<!-- bench:micro -->
<!-- /bench:micro -->
"""


def _first_line(cmd: List[str]) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        out = (p.stdout or p.stderr).strip().splitlines()
        return out[0] if out else "?"
    except (OSError, subprocess.SubprocessError):
        return "not found"


def machine_facts(root: str) -> Dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1048576:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    osname = platform.system()
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    try:
        from importlib.metadata import version
        wasmtime_version = version("wasmtime")
    except Exception:
        wasmtime_version = "not installed"
    commit = _first_line(["git", "-C", root, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": f"{osname}, Linux {platform.release()}" if platform.system() == "Linux"
              else f"{osname} {platform.release()}",
        "python": platform.python_version(),
        "wasmtime": wasmtime_version,
        "node": _first_line(["node", "--version"]) if shutil.which("node") else "not installed",
        "clang": _first_line(["clang", "--version"]),
        "ember": commit + (" (with uncommitted changes)" if dirty else ""),
        "load": load,
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def machine_lines(m: Dict[str, str]) -> List[str]:
    return [
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM; {m['os']}",
        f"- Software: Python {m['python']}, wasmtime package {m['wasmtime']}, "
        f"node {m['node']}, {m['clang']}",
        f"- Ember commit {m['ember']}; measured {m['date']}, load average at start {m['load']}",
    ]


def geomean(xs: Sequence[float]) -> Optional[float]:
    xs = [x for x in xs if x and x > 0]
    if not xs:
        return None
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def _median(xs: Sequence[float]) -> Optional[float]:
    xs = sorted(xs)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def summarise(results: Dict[str, Dict[str, dict]], engines: List[str],
              interpreters: set) -> dict:
    """Medians, ratios and geomeans from the raw per-repetition results."""
    programs = list(results)
    time: Dict[str, Dict[str, Any]] = {}
    compile_: Dict[str, Dict[str, Any]] = {}
    inst: Dict[str, Dict[str, Any]] = {}
    notes: Dict[str, str] = {}
    for name in programs:
        time[name], compile_[name], inst[name] = {}, {}, {}
        for e in engines:
            r = results[name].get(e, {})
            if r.get("run") and "error" not in r and not r.get("mismatch"):
                time[name][e] = _median(r["run"])
                if r.get("compile"):
                    compile_[name][e] = _median(r["compile"])
                if r.get("instantiate"):
                    inst[name][e] = _median(r["instantiate"])
            elif "unavailable" in r:
                time[name][e] = "unavailable"
                notes[e] = "unavailable: " + r["unavailable"]
            elif r.get("mismatch"):
                time[name][e] = "WRONG"
            else:
                time[name][e] = "failed"

    def ratio(name: str, a: str, b: str) -> Optional[float]:
        x, y = time[name].get(a), time[name].get(b)
        if isinstance(x, float) and isinstance(y, float) and y > 0:
            return x / y
        return None

    others = [e for e in engines if e != "native"]
    interp = [e for e in engines if e in interpreters]
    vs_native = {n: {e: ratio(n, e, "native") for e in others} for n in programs}
    ember: Dict[str, Dict[str, Optional[float]]] = {}
    for n in programs:
        best: Optional[str] = None
        for e in interp:
            t = time[n].get(e)
            if isinstance(t, float) and (best is None or t < time[n][best]):
                best = e
        # Ember's interpreter against the others' when it ran on its own.
        mine = "ember-interp" if "ember-interp" in engines else "ember"
        ember[n] = {"wasmtime": ratio(n, "ember", "wasmtime"),
                    "interp": ratio(n, mine, best) if best else None}
    geo = {e: geomean([x for x in (vs_native[n][e] for n in programs) if x]) for e in others}
    geo_ember = {k: geomean([x for x in (ember[n][k] for n in programs) if x])
                 for k in ("wasmtime", "interp")}
    return {"engines": engines, "programs": programs, "time": time, "compile": compile_,
            "instantiate": inst, "vs_native": vs_native, "ember": ember, "geo": geo,
            "geo_ember": geo_ember, "notes": notes, "interp_names": interp,
            "complete": {e: all(vs_native[n][e] for n in programs) for e in others}}


def _cell(v: object, fmt: str) -> str:
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    return format(v, fmt)


def _table(header: List[str], rows: List[List[str]]) -> List[str]:
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def tables(s: dict) -> List[str]:
    engines, programs = s["engines"], s["programs"]
    others = [e for e in engines if e != "native"]
    interp_label = "/".join(s["interp_names"]) or "other interpreter"
    lines = ["Run time of `_start` (native: the whole process), median, seconds:", ""]
    lines += _table(["program"] + engines,
                    [[n] + [_cell(s["time"][n].get(e), ".3f") for e in engines]
                     for n in programs])
    lines += ["", "Slowdown relative to native (lower is better) and Ember's ratios "
              "to the others (below 1: Ember is faster):", ""]
    has_ember = "ember" in engines
    header = ["program"] + [f"{e} ×native" for e in others]
    mine = "ember-interp" if "ember-interp" in engines else "ember"
    if has_ember:
        header += ["ember / wasmtime", f"{mine} / {interp_label}"]
    rows = []
    for n in programs:
        r = [n] + [_cell(s["vs_native"][n][e], ".2f") for e in others]
        if has_ember:
            r += [_cell(s["ember"][n]["wasmtime"], ".2f"), _cell(s["ember"][n]["interp"], ".2f")]
        rows.append(r)
    geo = ["**geomean**"] + [
        ("**" + _cell(s["geo"][e], ".2f") + "**" + ("" if s["complete"][e] or s["geo"][e] is None
                                                   else " (partial)"))
        for e in others]
    if has_ember:
        geo += ["**" + _cell(s["geo_ember"][k], ".2f") + "**" for k in ("wasmtime", "interp")]
    rows.append(geo)
    lines += _table(header, rows)
    comp_engines = [e for e in others if any(e in s["compile"][n] for n in programs)]
    if comp_engines:
        lines += ["", "Compile time (`Module(engine, bytes)`; node: `WebAssembly.compile`) and "
                  "instantiation with WASI, median, milliseconds:", ""]
        header = ["program"] + [f"{e} compile" for e in comp_engines] + \
                 [f"{e} instantiate" for e in comp_engines]
        rows = [[n] + [_cell(_ms(s["compile"][n].get(e)), ".1f") for e in comp_engines]
                + [_cell(_ms(s["instantiate"][n].get(e)), ".2f") for e in comp_engines]
                for n in programs]
        lines += _table(header, rows)
    if s["notes"]:
        lines += [""] + [f"- {e}: {why}" for e, why in sorted(s["notes"].items())]
    return lines


def _ms(v: Optional[float]) -> Optional[float]:
    return None if v is None else v * 1000.0


def text_table(s: dict) -> str:
    return "\n".join(tables(s))


def replace_section(path: str, key: str, body: List[str]) -> None:
    text = open(path).read() if os.path.exists(path) else TEMPLATE
    begin, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    block = begin + "\n" + "\n".join(body).rstrip() + "\n" + end
    if begin in text and end in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text,
                      flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


MATPLOTLIB_MISSING = ("the chart (docs/performance.png) needs matplotlib: "
                      "`python3 -m pip install matplotlib`, or run with --no-docs")


def chart_unavailable() -> Optional[str]:
    """Why the chart cannot be drawn here, or None; checked before a run."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return MATPLOTLIB_MISSING
    return None


def _ratio(v: float) -> str:
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def write_chart(path: str, s: dict) -> None:
    """Each engine's run time relative to native, per program and the geomean:
    grouped horizontal bars on a log axis, the value at the end of each bar."""
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator
    except ImportError as e:
        raise RuntimeError(MATPLOTLIB_MISSING) from e
    series = [e for e in s["engines"] if e != "native"]
    programs = list(s["programs"])
    rows = [[s["vs_native"][n][e] for e in series] for n in programs]
    rows.append([s["geo"][e] for e in series])
    ys = [float(i) for i in range(len(programs))] + [len(programs) + 0.4]  # geomean set apart
    present = [v for row in rows for v in row if v]
    lo = 0.5
    while lo > min(present + [1.0]) / 1.3:
        lo /= 2
    hi = max(present + [10.0]) * 1.8

    h = 0.8 / max(1, len(series))
    fig = Figure(figsize=(9, 1.5 + 0.15 * len(ys) * (len(series) + 1.5)), layout="constrained")
    ax = fig.add_subplot()
    for j, engine in enumerate(series):
        pos = [y - 0.4 + h * (j + 0.5) for y in ys]
        vals = [row[j] or 0.0 for row in rows]
        bars = ax.barh(pos, [v - lo if v else 0.0 for v in vals], height=h, left=lo, label=engine)
        ax.bar_label(bars, [_ratio(v) if v else "n/a" for v in vals], padding=3, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda v, _: "1× (native)" if v == 1 else f"{v:g}×"))
    ax.grid(axis="x", color="0.85")
    ax.set_axisbelow(True)
    ax.axvline(1.0, color="0.4", linewidth=1, linestyle="--", zorder=1.5)
    ax.axhline(len(programs) - 0.3, color="0.5", linewidth=0.8)
    ax.set_yticks(ys, programs + ["geomean"])
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.set_ylim(ys[-1] + 0.6, -0.6)
    ax.set_xlabel("run time relative to native (log scale; lower is better)")
    fig.suptitle("Run time relative to native, per program and engine")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(series), frameon=False)
    fig.savefig(path, dpi=100)


def write_suite_docs(path: str, s: dict, command: str, machine: Dict[str, str], reps: int,
                     sizes: Dict[str, int]) -> None:
    chart = os.path.splitext(path)[0] + ".png"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_chart(chart, s)
    body = ["## Benchmark suite", "",
            f"{len(sizes)} C programs of our own from `bench/src/` (see `bench/README.md`), "
            "built to wasm32-wasi and natively with clang -O2. Every engine's output is "
            "checked against the native build's before any figure is reported.", "",
            f"Command: `{command}` — {reps} repetitions, median.", ""]
    body += machine_lines(machine)
    body += ["- Sizes (argv[1]): " + ", ".join(f"{n} {v}" for n, v in sizes.items()), ""]
    body += tables(s)
    body += ["", f"![Run time relative to native]({os.path.basename(chart)})"]
    replace_section(path, "suite", body)

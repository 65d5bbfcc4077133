"""The benchmark harness's own logic (bench/run.py, bench/report.py) on
made-up results: output checking, ratios, geomeans,
the docs sections and the chart. No engine runs here."""
import importlib
import os
import struct
import sys

import pytest

from conftest import required

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))

# bench/ is a folder of scripts, not a package: import them by name from it.
report = importlib.import_module("report")
run = importlib.import_module("run")


def fake(t, out="p 0001\n", **extra):
    r = {"run": [t, t * 1.1, t * 0.9], "outputs": [out] * 3, "compile": [0.01], "instantiate": [0.001]}
    r.update(extra)
    return r


def test_mismatch_is_reported_and_marked():
    per_engine = {"native": fake(1.0), "ember": fake(5.0, out="p 0002\n")}
    problems = run.check_outputs("p", 10, per_engine, {})
    assert len(problems) == 1 and "ember" in problems[0]
    assert per_engine["ember"]["mismatch"]
    s = report.summarise({"p": per_engine}, ["native", "ember"], set())
    assert s["time"]["p"]["ember"] == "WRONG"
    assert s["vs_native"]["p"]["ember"] is None


def test_native_checked_against_expected_file():
    per_engine = {"native": fake(1.0, out="p 0003\n")}
    problems = run.check_outputs("p", 10, per_engine, {("p", 10): "p 0001"})
    assert problems and "expected.txt" in problems[0]


def test_no_reference_is_a_problem():
    assert run.check_outputs("p", 10, {"ember": fake(1.0)}, {})


def test_ratios_and_geomeans():
    results = {
        "a": {"native": fake(1.0), "wasmtime": fake(2.0), "pulley": fake(20.0), "ember": fake(10.0)},
        "b": {"native": fake(2.0), "wasmtime": fake(2.0), "pulley": fake(40.0), "ember": fake(40.0)},
    }
    s = report.summarise(results, ["native", "wasmtime", "pulley", "ember"], {"pulley"})
    assert s["vs_native"]["a"]["ember"] == pytest.approx(10.0)
    assert s["ember"]["b"]["interp"] == pytest.approx(1.0)
    assert s["geo"]["ember"] == pytest.approx((10.0 * 20.0) ** 0.5)
    assert s["geo_ember"]["wasmtime"] == pytest.approx((5.0 * 20.0) ** 0.5)
    text = report.text_table(s)
    assert "**geomean**" in text and "ember / pulley" in text


def test_unavailable_engine_has_no_number():
    results = {"a": {"native": fake(1.0), "ember": {"unavailable": "no WASI in this build"}}}
    s = report.summarise(results, ["native", "ember"], set())
    assert s["time"]["a"]["ember"] == "unavailable"
    assert s["geo"]["ember"] is None
    assert "unavailable: no WASI in this build" in report.text_table(s)


def test_docs_sections_replace_only_their_own(tmp_path):
    path = str(tmp_path / "perf.md")
    report.replace_section(path, "suite", ["first"])
    with open(path, "a") as f:
        f.write("\n## Hand-written notes\nkeep me\n")
    report.replace_section(path, "micro", ["micro table"])
    report.replace_section(path, "suite", ["second"])
    text = open(path).read()
    assert "second" in text and "first" not in text
    assert "micro table" in text and "keep me" in text


def chart_summary():
    results = {"fib": {"native": fake(1.0), "wasmtime": fake(1.2), "ember": fake(9.0)},
               "sort": {"native": fake(1.0), "wasmtime": {"error": "trap"}, "ember": fake(5.0)}}
    return report.summarise(results, ["native", "wasmtime", "ember"], set())


def test_chart_is_a_png(tmp_path):
    try:
        import matplotlib  # noqa: F401  (installed by scripts/install-deps.sh)
    except ImportError:
        required("matplotlib")
    path = str(tmp_path / "chart.png")
    report.write_chart(path, chart_summary())
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 500 and height > 200


def test_missing_matplotlib_is_reported_before_the_run(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m.split(".")[0] == "matplotlib"] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # makes `import matplotlib` fail
    with pytest.raises(RuntimeError, match="pip install matplotlib"):
        report.write_chart(str(tmp_path / "chart.png"), chart_summary())
    with pytest.raises(SystemExit):  # argument check, before any engine runs
        run.main(["--engines", "ember", "--docs", str(tmp_path / "perf.md")])
    assert not (tmp_path / "perf.md").exists()


def test_every_program_has_source_wasm_and_sizes():
    srcs = sorted(f[:-2] for f in os.listdir(os.path.join(ROOT, "bench", "src")) if f.endswith(".c"))
    wasms = sorted(f[:-5] for f in os.listdir(os.path.join(ROOT, "bench", "wasm"))
                   if f.endswith(".wasm"))
    assert srcs == wasms == sorted(run.PROGRAMS)
    expected = run.read_expected()
    for name, (full, quick) in run.PROGRAMS.items():
        assert (name, full) in expected and (name, quick) in expected

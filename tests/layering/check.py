#!/usr/bin/env python3
"""The layering of src/: which folder may include which, and no cycles.

Each folder of src/ is one stage of the pipeline (docs/architecture.md). A
folder may include headers of the folders listed for it in ALLOWED and of no
other; the allowed graph itself has no cycles, so no include cycle between
folders can come back. Public headers (include/ember/) include only each
other, and the Python binding (python/src) only them and its own files.
What is still wrong today is listed in KNOWN, with the issue that
removes it: the check fails on a new violation and also when a listed one
is gone (then delete it from the list).

Usage: check.py [REPO_ROOT]   (exit 1 with a report on any failure)
       check.py --selftest      (the check must catch planted violations)
"""
import re
import sys
from pathlib import Path
from typing import Dict, List, Set, Tuple

ALLOWED: Dict[str, Set[str]] = {
    "support": set(),
    "platform": {"support"},
    "ir": {"support"},
    "binary": {"ir", "support"},
    "text": {"ir", "support"},
    "validate": {"binary", "ir", "support"},
    "component": {"binary", "ir", "support", "validate"},
    "runtime": {"ir", "platform", "support"},
    "interp": {"ir", "platform", "runtime", "support", "validate"},
    "jit": {"interp", "ir", "platform", "runtime", "support"},
    "compile": {"binary", "interp", "ir", "jit", "runtime", "support", "validate"},
    "wasi": {"ir", "runtime", "support"},
    "api": {"binary", "compile", "interp", "ir", "jit", "platform", "runtime", "support", "text",
            "validate", "wasi"},
    "canon": {"api", "compile", "component", "ir", "runtime", "support", "text", "validate"},
    "wasip2": {"api", "canon", "component", "ir", "runtime", "support", "wasi"},
    "wast": {"api", "binary", "compile", "interp", "ir", "runtime", "support", "text",
             "validate"},
}

# (from-folder, to-folder) edges that break the rules today, and why.
KNOWN: Dict[Tuple[str, str], str] = {}
# Internal headers that public headers still include: none. The public
# vocabulary is include/ember/types.hh; the public_header.* CTest tests also
# compile each public header alone with only include/ on the path.
KNOWN_PUBLIC: Set[str] = set()
# Internal headers the Python binding (python/src) still includes: none. It
# sits on the public API only, so each rule and message exists once (in
# include/ember and src/api); an internal include fails the check.
KNOWN_PY: Set[str] = set()

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def includes(path: Path) -> List[str]:
    return INCLUDE.findall(path.read_text(errors="replace"))


def folder_edges(src: Path) -> Dict[Tuple[str, str], List[str]]:
    """(from, to) -> files of `from` that include a header of `to`."""
    folders = {p.name for p in src.iterdir() if p.is_dir()}
    edges: Dict[Tuple[str, str], List[str]] = {}
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".cc", ".hh", ".inc", ".def") or not path.is_file():
            continue
        here = path.relative_to(src).parts[0]
        for inc in includes(path):
            there = inc.split("/")[0]
            if there != here and there in folders:
                edges.setdefault((here, there), []).append(str(path.relative_to(src)))
    return edges


def acyclic(graph: Dict[str, Set[str]]) -> bool:
    state: Dict[str, int] = {}

    def visit(n: str) -> bool:
        if state.get(n) == 1:
            return False
        if state.get(n) == 2:
            return True
        state[n] = 1
        ok = all(visit(m) for m in graph.get(n, set()))
        state[n] = 2
        return ok

    return all(visit(n) for n in graph)


def main(root: Path) -> int:
    src = root / "src"
    problems: List[str] = []
    if not acyclic(ALLOWED):
        problems.append("the ALLOWED table itself has a cycle")
    folders = {p.name for p in src.iterdir() if p.is_dir()}
    for f in sorted(folders - set(ALLOWED)):
        problems.append(f"src/{f}/ is not in the layering table (add it to ALLOWED)")
    edges = folder_edges(src)
    for (a, b), files in sorted(edges.items()):
        if b not in ALLOWED.get(a, set()) and (a, b) not in KNOWN:
            problems.append(f"src/{a}/ may not include src/{b}/: {', '.join(files[:5])}")
    for (a, b) in sorted(KNOWN):
        if (a, b) not in edges:
            problems.append(f"known violation {a} -> {b} is gone: delete it from KNOWN")
    public = set()
    for path in sorted((root / "include" / "ember").glob("*.hh")):
        for inc in includes(path):
            if not inc.startswith("ember/"):
                public.add(inc)
                if inc not in KNOWN_PUBLIC:
                    problems.append(f"include/ember/{path.name} includes {inc} (outside include/ember)")
    for inc in sorted(KNOWN_PUBLIC - public):
        problems.append(f"known public include {inc} is gone: delete it from KNOWN_PUBLIC")
    binding = set()
    for path in sorted((root / "python" / "src").glob("*.[ch]*")):
        for inc in includes(path):
            if "/" not in inc or inc.startswith("ember/"):
                continue  # its own files and the public API
            binding.add(inc)
            if inc not in KNOWN_PY:
                problems.append(f"python/src/{path.name} includes {inc} (internal; use include/ember)")
    if (root / "python" / "src").is_dir():
        for inc in sorted(KNOWN_PY - binding):
            problems.append(f"known binding include {inc} is gone: delete it from KNOWN_PY")
    for p in problems:
        print("layering:", p)
    print(f"layering: {len(edges)} folder dependencies checked, {len(problems)} problems")
    return 1 if problems else 0


def selftest() -> int:
    """Copies the tree's layout, plants violations one at a time, and
    requires the check to fail on each (and to pass on the clean copy)."""
    import shutil
    import tempfile
    root = Path(__file__).resolve().parents[2]
    plants = [
        ("src/validate/planted.cc", '#include "interp/translate.hh"\n'),  # a forbidden edge
        ("src/ir/planted.hh", '#include "runtime/store_data.hh"\n'),       # a cycle ir <-> runtime
        ("include/ember/planted.hh", '#include "runtime/runtime.hh"\n'),   # public -> internal
        ("src/newfolder/x.cc", "\n"),                                      # unknown folder
        ("python/src/planted.cc", '#include "validate/validate.hh"\n'),   # binding -> internal
    ]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "tree"
        shutil.copytree(root / "src", base / "src")
        shutil.copytree(root / "include", base / "include")
        shutil.copytree(root / "python" / "src", base / "python" / "src")
        if main(base) != 0:
            print("selftest: the clean copy fails")
            return 1
        for rel, text in plants:
            path = base / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            caught = main(base) != 0
            path.unlink()
            if not caught:
                print(f"selftest: a planted {rel} was not caught")
                return 1
    print("selftest: every planted violation was caught")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--selftest"]:
        sys.exit(selftest())
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])))

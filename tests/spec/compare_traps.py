"""Compares the trap logs (`ember wast --trap-log`) of one suite run by
different tiers: every trapping action must give the same trap and the same
backtrace (function index and module offset of every frame) in each.

Stack exhaustion is compared by message only: the interpreter runs out of
its value stack and compiled code may run out of the native stack first, so
the depth (and with mutual recursion, which function is innermost) differs.

Usage: compare_traps.py MIN_LINES REFERENCE_LOG OTHER_LOG...
Fails when a log has fewer than MIN_LINES lines (a run that logged nothing
proves nothing) or when any line differs.
"""
import sys
from typing import List


def normalized(path: str) -> List[str]:
    out = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            where, _, rest = line.partition(" ")
            if rest.startswith("call stack exhausted"):
                line = f"{where} call stack exhausted"
            out.append(line)
    return out


def main(argv: List[str]) -> int:
    minimum, reference, others = int(argv[1]), argv[2], argv[3:]
    want = normalized(reference)
    status = 0
    for path in [reference] + others:
        lines = normalized(path)
        if len(lines) < minimum:
            print(f"{path}: {len(lines)} trapping actions logged, expected at least {minimum}")
            status = 1
    for path in others:
        have = normalized(path)
        missing = sorted(set(want) - set(have))
        extra = sorted(set(have) - set(want))
        for line in missing[:20]:
            print(f"{reference} only: {line}")
        for line in extra[:20]:
            print(f"{path} only: {line}")
        if missing or extra or len(want) != len(have):
            print(f"{path}: {len(missing)} lines differ from {reference}")
            status = 1
        else:
            print(f"{path}: {len(have)} trapping actions, the same traps and frames as {reference}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))

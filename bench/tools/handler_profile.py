#!/usr/bin/env python3
"""Attributes `perf record` samples inside Ember's dispatch loop to IR handlers.

    perf record -e cpu-clock -F 4000 -o prof.data -- \\
        python3 bench/profile_run.py --ember-build build/prof fib 36
    python3 bench/tools/handler_profile.py prof.data build/prof

The dispatch loop is one function (ember::interp::run) whose handlers are
labels, so a profiler sees one symbol. This script finds the loop's base label
in the extension's machine code (the `lea base(%rip)` that feeds the first
`jmp *`), adds each handler's offset (`irdump --handlers`) and gives every
sample the handler whose label precedes it. Code the compiler placed out of
line (the call sequence, trap exits) is counted under the handler before it,
so read the top entries together with `perf annotate`.
"""
import bisect
import collections
import glob
import os
import re
import subprocess
import sys
from typing import Dict, List, Optional, Set, Tuple


def main() -> int:
    data, build = sys.argv[1], sys.argv[2]
    so = glob.glob(os.path.join(build, "python", "ember", "_ember*.so"))[0]
    nm = subprocess.run(["nm", "-D", so], capture_output=True, text=True).stdout
    run_addr = None
    for line in nm.splitlines():
        if "_ZN5ember6interp3runE" in line:
            run_addr = int(line.split()[0], 16)
    if run_addr is None:
        print("ember::interp::run not found in", so, file=sys.stderr)
        return 1
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                          f"--start-address={run_addr:#x}",
                          f"--stop-address={run_addr + 0x800:#x}", so],
                         capture_output=True, text=True).stdout
    base: Optional[int] = None
    for line in dis.splitlines():
        m = re.search(r"lea\s+-?0x[0-9a-f]+\(%rip\),%\w+\s+#\s*([0-9a-f]+)", line)
        if m:
            base = int(m.group(1), 16)
        if base is not None and "jmp    *" in line:
            break
    if base is None:
        print("the dispatch loop's base label was not found in", so, file=sys.stderr)
        return 1
    handlers = subprocess.run([os.path.join(build, "irdump"), "--handlers"],
                              capture_output=True, text=True, check=True).stdout
    starts: Dict[int, List[str]] = {}
    for line in handlers.splitlines():
        off, name = line.split(None, 1)
        starts.setdefault(base + int(off), []).append(name)
    addrs = sorted(starts)
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,symoff"],
                            capture_output=True, text=True).stdout
    counts: "collections.Counter[str]" = collections.Counter()
    total = inside = 0
    for line in script.splitlines():
        total += 1
        m = re.search(r"ember::interp::run\S*\+0x([0-9a-f]+)", line)
        if not m:
            continue
        inside += 1
        a = run_addr + int(m.group(1), 16)
        i = bisect.bisect_right(addrs, a) - 1
        counts["(loop entry and setup)" if i < 0 else "/".join(starts[addrs[i]])] += 1
    print(f"{inside} of {total} samples in the dispatch loop ({100 * inside / max(1, total):.1f}%)")
    for name, c in counts.most_common(int(sys.argv[3]) if len(sys.argv) > 3 else 25):
        print(f"  {100 * c / max(1, inside):5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

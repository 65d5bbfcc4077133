#!/usr/bin/env python3
"""Exact dynamic IR-op counts of Ember's dispatch loop, from callgrind.

    valgrind --tool=callgrind --dump-instr=yes --compress-pos=no \\
        --compress-strings=no --callgrind-out-file=cg.out \\
        /path/to/real/python3 bench/profile_run.py --ember-build build/prof collatz 100000
    python3 bench/tools/handler_counts.py cg.out build/prof

(Give valgrind the real interpreter binary, not a pyenv shim script.) With
--dump-instr the cost of each machine instruction is its execution count, so
the count at a handler's first instruction is the number of times that IR
op ran (a label reached by fall-through, e.g. Return after Return1, also
counts those). Prints the IR ops executed, host instructions per IR op,
indirect jumps per IR op and the op histogram. If the profile was taken with
--collect-jumps=yes as well, also the most frequent pairs (op, next op),
from the edges of the dispatch jumps (each handler ends in its own `jmp *`).
"""
import bisect
import collections
import glob
import os
import re
import subprocess
import sys
from typing import Dict, List, Optional, Set, Tuple

RUN = "ember::interp::run("


def main() -> int:
    out, build = sys.argv[1], sys.argv[2]
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    so = glob.glob(os.path.join(build, "python", "ember", "_ember*.so"))[0]
    nm = subprocess.run(["nm", "-D", so], capture_output=True, text=True).stdout
    run_addr = next(int(l.split()[0], 16) for l in nm.splitlines() if "_ZN5ember6interp3runE" in l)
    size_line = subprocess.run(["nm", "-D", "-S", so], capture_output=True, text=True).stdout
    run_size = next(int(l.split()[1], 16) for l in size_line.splitlines()
                    if "_ZN5ember6interp3runE" in l)
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                          f"--start-address={run_addr:#x}",
                          f"--stop-address={run_addr + run_size:#x}", so],
                         capture_output=True, text=True).stdout
    base: Optional[int] = None
    indirect: Set[int] = set()
    for line in dis.splitlines():
        m = re.search(r"lea\s+-?0x[0-9a-f]+\(%rip\),%\w+\s+#\s*([0-9a-f]+)", line)
        if m and base is None:
            base = int(m.group(1), 16)
        m = re.match(r"\s*([0-9a-f]+):\s+jmp\s+\*", line)
        if m:
            indirect.add(int(m.group(1), 16))
    if base is None:
        print("the dispatch loop's base label was not found in", so, file=sys.stderr)
        return 1
    handlers = subprocess.run([os.path.join(build, "irdump"), "--handlers"],
                              capture_output=True, text=True, check=True).stdout
    names: Dict[int, List[str]] = collections.defaultdict(list)
    for line in handlers.splitlines():
        off, name = line.split(None, 1)
        names[base + int(off)].append(name)

    counts: "collections.Counter[int]" = collections.Counter()
    edges: "collections.Counter[Tuple[int, int]]" = collections.Counter()
    in_run = skip = False
    pending_jump: Optional[Tuple[int, int]] = None
    with open(out) as f:
        for line in f:
            if skip:
                skip = False
                continue
            if pending_jump is not None:
                src = int(line.split()[0], 16)
                if in_run:
                    edges[(src, pending_jump[1])] += pending_jump[0]
                pending_jump = None
                continue
            if line.startswith("fn="):
                in_run = line[3:].startswith(RUN)
                continue
            if line.startswith("calls="):
                skip = True
                continue
            if line.startswith("jump="):
                parts = line[5:].split()
                pending_jump = (int(parts[0]), int(parts[1], 16))
                continue
            if in_run and line.startswith("0x"):
                parts = line.split()
                counts[int(parts[0], 16)] += int(parts[-1])
    total_instr = sum(counts.values())
    ops: "collections.Counter[str]" = collections.Counter()
    for addr, ns in names.items():
        if counts.get(addr):
            ops["/".join(ns)] += counts[addr]
    n_ops = sum(ops.values())
    n_ind = sum(counts.get(a, 0) for a in indirect)
    print(f"IR ops executed: {n_ops:,}; host instructions in the loop: {total_instr:,} "
          f"({total_instr / max(1, n_ops):.2f} per op); indirect jumps: {n_ind:,} "
          f"({n_ind / max(1, n_ops):.2f} per op)")
    for name, c in ops.most_common(top):
        print(f"  {100 * c / n_ops:5.1f}%  {c:>14,}  {name}")
    starts = sorted(names)
    pairs: "collections.Counter[Tuple[str, str]]" = collections.Counter()
    for (src, dst), c in edges.items():
        if src not in indirect or dst not in names:
            continue
        i = bisect.bisect_right(starts, src) - 1
        if i >= 0:
            pairs[("/".join(names[starts[i]]), "/".join(names[dst]))] += c
    if pairs:
        print("most frequent pairs (the first op is the handler holding the jump; code "
              "placed out of line counts under the handler before it):")
        for (a, b), c in pairs.most_common(top):
            print(f"  {100 * c / n_ops:5.1f}%  {c:>14,}  {a} -> {b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Writes the link order of the `vigil` binary's functions from callgrind profiles.

Usage: symbol_order.py BINARY OUT PROFILE...

Every function the profiles saw run is listed by its symbol name, those that more of the
profiles ran first, hottest first among equals. The release build hands the list to the
linker (`build.rs`), which places those functions together at the start of the code. A run
then touches a few megabytes of code pages instead of pages all over the binary's eleven:
the kernel maps a file's pages around each one touched, so scattered code costs resident
memory (see ARCHITECTURE.md, "Code layout"). Profiles must be recorded with
`valgrind --tool=callgrind --demangle=no`.
"""
import re
import subprocess
import sys
from collections import defaultdict


def self_costs(path, costs):
    names = {}
    current = None
    skip_next = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            # A function's name is given once, where its number first appears: on a `fn=`
            # line (the function whose costs follow) or a `cfn=` line (one it calls).
            m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
            if m:
                if m.group(3):
                    names[m.group(2)] = m.group(3)
                if m.group(1) == "fn":
                    current = names.get(m.group(2))
                continue
            if line.startswith("calls="):
                skip_next = True  # the next cost line is the call's inclusive cost
                continue
            if line[:1].isdigit() or line[:1] in "+-*":
                if skip_next:
                    skip_next = False
                    continue
                parts = line.split()
                if current and len(parts) >= 2 and parts[1].isdigit():
                    costs[current] += int(parts[1])


def main():
    binary, out, *profiles = sys.argv[1:]
    costs = defaultdict(int)
    runs = defaultdict(int)
    for p in profiles:
        one = defaultdict(int)
        self_costs(p, one)
        for n, c in one.items():
            costs[n] += c
            runs[n] += 1
    nm = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True)
    defined = {line.split()[-1] for line in nm.stdout.splitlines() if len(line.split()) >= 3}
    # What every run executes first (start-up, the compiler, the engine's core), then what
    # fewer runs need: a run touches the common part and little of the rest. Hottest first
    # within each.
    ordered = sorted((n for n in costs if n in defined), key=lambda n: (-runs[n], -costs[n], n))
    with open(out, "w", encoding="utf-8") as f:
        for n in ordered:
            f.write(n + "\n")
    print(f"{out}: {len(ordered)} functions", file=sys.stderr)


if __name__ == "__main__":
    main()

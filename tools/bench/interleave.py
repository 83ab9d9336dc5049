#!/usr/bin/env python3
"""Times commands run in turn, ABBA, so that a drift of the machine's speed
(this VM's drifts by 20 to 30% within minutes) falls on each alike.

hyperfine runs each command's runs as one block; a block that falls in a
slower spell than its neighbour's skews their ratio. Here round i runs the
commands in order when i is even and in reverse when it is odd.

With --pause-ms P, each run is preceded by P ms of idleness (not timed):
what a command costs when it does not follow another one at once.

Usage: interleave.py --runs N [--warmup W] [--pause-ms P] --out FILE NAME CMD [NAME CMD]...
Writes hyperfine's JSON shape: {"results": [{"command": NAME, "times": [s]}]}.
A command that fails stops the run with its status.
"""
import argparse
import json
import shlex
import subprocess
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--pause-ms", type=float, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("pairs", nargs="+", help="NAME CMD [NAME CMD]...")
    a = p.parse_args()
    if len(a.pairs) % 2:
        p.error("commands come as NAME CMD pairs")
    named = [(a.pairs[i], shlex.split(a.pairs[i + 1])) for i in range(0, len(a.pairs), 2)]
    times = {name: [] for name, _ in named}
    for i in range(a.warmup + a.runs):
        for name, argv in (named if i % 2 == 0 else named[::-1]):
            if a.pause_ms > 0:
                time.sleep(a.pause_ms / 1000)
            start = time.perf_counter()
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                sys.stderr.write("%s failed (%d): %s\n" % (name, done.returncode,
                                                           done.stderr.decode(errors="replace")))
                return 1
            if i >= a.warmup:
                times[name].append(elapsed)
    with open(a.out, "w") as f:
        json.dump({"results": [{"command": name, "times": times[name]} for name, _ in named]}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Draw latency distributions as horizontal box plots, one subplot per input.

Inputs are hyperfine --export-json files, floor.c --json output, or custom
files shaped like hyperfine's: {"results": [{"command": LABEL, "times": [s]}]}.
Join files with ',' to plot them in one subplot, e.g. a runtime's export and
the floor it is measured against.

  tools/bench/plot.py -o docs/benchmarks.png --title "Start-up" a.json,floor.json
"""
import argparse
import json
import os
import statistics
import textwrap

import matplotlib

matplotlib.use("Agg")  # no display on build machines
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter


def load(path):
    """Returns [(label, times_ms)] for one JSON file."""
    with open(path) as f:
        data = json.load(f)
    if data.get("name") == "floor":
        return [("floor (net)" if data["net"] else "floor", data["samples_ms"])]
    return [(r["command"], [t * 1000 for t in r["times"]]) for r in data["results"]]


def draw(ax, title, series):
    labels = ["\n".join(textwrap.wrap(label, 40)) for label, _ in series]
    times = [t for _, t in series]
    ax.boxplot(times, vert=False, labels=labels, widths=0.4,
               flierprops={"markersize": 3})
    ax.invert_yaxis()  # first command on top, as in the input
    lo = min(min(t) for t in times)
    hi = max(max(t) for t in times)
    if hi / lo > 20:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    for pos, t in enumerate(times, start=1):
        median = statistics.median(t)
        ax.text(median, pos - 0.24, f"{median:.3g} ms", ha="center",
                va="bottom", fontsize=8)
    ax.set_title(title)
    ax.set_xlabel("milliseconds")
    ax.grid(axis="x", alpha=0.3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+",
                        help="JSON file(s); join with ',' to share a subplot")
    parser.add_argument("--title", action="append", default=[],
                        help="subplot title, once per input in order "
                        "(default: the file names)")
    parser.add_argument("-o", "--output", default="docs/benchmarks.png")
    args = parser.parse_args()
    if len(args.title) > len(args.inputs):
        parser.error("more --title options than inputs")

    groups = []
    for i, arg in enumerate(args.inputs):
        paths = arg.split(",")
        title = (args.title[i] if i < len(args.title)
                 else ", ".join(os.path.basename(p) for p in paths))
        groups.append((title, [s for p in paths for s in load(p)]))

    # Height grows with the number of boxes so labels never overlap.
    sizes = [len(series) for _, series in groups]
    fig, axes = plt.subplots(
        len(groups), 1, squeeze=False, layout="constrained",
        figsize=(10, sum(0.6 * n + 1.2 for n in sizes)),
        gridspec_kw={"height_ratios": [n + 2 for n in sizes]})
    for ax, (title, series) in zip(axes[:, 0], groups):
        draw(ax, title, series)
    fig.savefig(args.output, dpi=120)


if __name__ == "__main__":
    main()

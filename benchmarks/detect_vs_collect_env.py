"""envtool detect against PyTorch's collect_env, alternately, in the same environment.

Prints the median wall time and peak memory (max RSS) of each and the ratios. Both run as
fresh processes, as a user would run them. Usage:

    python benchmarks/detect_vs_collect_env.py [--rounds 7] [--python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def run_once(argv: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS in MiB, exit code and stdout of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024.0, proc.returncode, out.decode("utf-8", "replace")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    detect = [args.python, "-m", "envtool", "detect", "--json"]
    collect = [args.python, "-m", "torch.utils.collect_env"]
    # one warm-up each: the page cache, not the first import, is what a user sees on a rerun
    for argv in (detect, collect):
        _, _, code, _ = run_once(argv)
        if code != 0:
            print(f"{' '.join(argv[1:])} failed (exit {code}); is torch installed in {args.python}?", file=sys.stderr)
            return 1
    times: dict[str, list[float]] = {"detect": [], "collect_env": []}
    mems: dict[str, list[float]] = {"detect": [], "collect_env": []}
    sizes: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, argv in (("detect", detect), ("collect_env", collect)):
            wall, rss, _, out = run_once(argv)
            times[name].append(wall)
            mems[name].append(rss)
            sizes[name] = len(out)
    d_t, c_t = statistics.median(times["detect"]), statistics.median(times["collect_env"])
    d_m, c_m = max(mems["detect"]), max(mems["collect_env"])
    fields = len(json.dumps(json.loads(run_once(detect)[3])["data"]).split('":')) - 1
    print(f"rounds: {args.rounds}, python: {args.python}")
    print(
        f"envtool detect --json        median {d_t * 1000:7.0f} ms   peak RSS {d_m:6.1f} MiB   ({fields} JSON fields)"
    )
    print(
        f"python -m torch.utils.collect_env  median {c_t * 1000:7.0f} ms   peak RSS {c_m:6.1f} MiB   "
        f"({sizes['collect_env']} bytes of text)"
    )
    print(f"speed-up: {c_t / d_t:.1f}x   memory: {c_m / d_m:.1f}x less")
    return 0


if __name__ == "__main__":
    sys.exit(main())

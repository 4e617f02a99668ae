"""`envtool diagnose` on pastes of 10 KB, 1 MB and 10 MB: time and peak memory (the reading must stay linear).

    python benchmarks/diagnose_scale.py [--rounds 3] [--sizes 10000,1000000,10000000] [--baseline REV]

Six inputs per size: "dense" cycles the real pastes and collect_env dumps of ../shared/fixtures
up to the size (every form and message, over and over, as a log that repeats its blocks does: the
reader reads a repeated block once), "distinct" cycles them with a line naming the copy at the head
of every block, so that no block repeats (as a log that prints a step line of its own before the same report or
traceback: the reader reads each block's repeated tail once), "unique" names the copy at the head and at the foot of
every block, so that no block, head or tail of one repeats (the worst case: every line is read), "log" puts them
once in the middle of a plain training log of the size (what a pasted log usually is), "gpu-log" in the middle
of a training log whose every line names the GPU, CUDA and torch with numbers of its own (no line repeats, and each
is one the free-form readers must look at), and "smi-log" in the middle of `nvidia-smi -l 1`'s output (a captured H100
banner with MIG devices, its temperatures, power and memory new each second: every block is a table to read). Each
size runs in a fresh process: the time is the best of --rounds of reading the paste and judging it
(``read_paste`` + ``paste_rules.diagnose_paste``); the peak is tracemalloc's peak of Python
allocations in a separate round, and the process's peak RSS. Wall and CPU time are both shown:
on a shared machine the wall time also counts the time other processes held the core. A second line
times the reading as the command does it: from 20,000 lines the free-form forms are read in a forked copy of the
process, on another core, beside the other readers (wall time, and the CPU time of both). "command" is
the wall time of the whole ``envtool diagnose --json FILE`` a person runs (Python's start, the imports,
reading the file, rendering), best of --rounds, with the bytecode an installed envtool has (pip compiles what it
installs), and in parentheses without any (a checkout under PYTHONDONTWRITEBYTECODE compiles every module each run).

``--baseline REV`` also runs the ``envtool`` package of git revision REV (``git archive``) on the
same inputs, each size right after the current code, and prints the CPU-time ratio: on a shared
machine whose speed drifts, the ratio measured in one run is the figure to compare.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"

CHILD = r"""
import json, resource, sys, time, tracemalloc
from envtool import paste_rules
from envtool.diagnose import read_paste
text = open(sys.argv[1], encoding="utf-8").read()
rounds = int(sys.argv[2])
best = cpu = None
for _ in range(rounds):
    t0, c0 = time.perf_counter(), time.process_time()
    paste = read_paste(text)
    findings, verdict = paste_rules.diagnose_paste(paste.facts, paste.signs)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    best = dt if best is None else min(best, dt)
    cpu = dc if cpu is None else min(cpu, dc)
# the command's way on a long paste: its free-form forms read in a forked copy on another core (wall time; the CPU
# time counts both processes)
par = par_cpu = None
try:
    from envtool.diagnose import _ALONGSIDE_LINES, clean_numbered, drop_repeats
    from envtool.runner import alongside
except ImportError:  # (a baseline from before it)
    alongside = None
# (a paste shorter than that is read in one process)
forked = alongside is not None and len(drop_repeats(*clean_numbered(text))[0]) >= _ALONGSIDE_LINES
for _ in range(rounds if forked else 0):
    t0, c0, k0 = time.perf_counter(), time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    paste = read_paste(text, alongside=alongside)
    paste_rules.diagnose_paste(paste.facts, paste.signs)
    k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    dt = time.perf_counter() - t0
    dc = time.process_time() - c0 + (k1.ru_utime + k1.ru_stime) - (k0.ru_utime + k0.ru_stime)
    par = dt if par is None else min(par, dt)
    par_cpu = dc if par_cpu is None else min(par_cpu, dc)
tracemalloc.start()
paste = read_paste(text)
paste_rules.diagnose_paste(paste.facts, paste.signs)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": best, "cpu_seconds": cpu, "py_peak": peak, "rss_kib": rss,
                  "two_cores": par if forked else None, "two_cores_cpu": par_cpu,
                  "lines": text.count("\n"), "findings": len(findings), "cause": verdict["cause"]}))
"""


def _corpus() -> str:
    parts = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "pastes").glob("*.txt"))]
    parts += [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "collect_env").glob("*.txt"))]
    if not parts:
        raise SystemExit(f"no fixtures under {FIXTURES}; this benchmark reads the shared pastes")
    return "\n".join(parts) + "\n"


def _reference_loop() -> float:
    """The best of three CPU times of a plain Python loop: how fast this machine runs Python, whatever its CPU name."""
    best = None
    for _ in range(3):
        t0, total = time.process_time(), 0
        for i in range(10_000_000):
            total += i
        dt = time.process_time() - t0
        best = dt if best is None else min(best, dt)
    assert best is not None
    return best


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", default="10000,1000000,10000000", help="bytes, comma-separated")
    ap.add_argument("--workdir", default=None, help="where to write the inputs (default: a temporary folder)")
    ap.add_argument("--baseline", default=None, metavar="REV", help="also time envtool as of this git revision")
    args = ap.parse_args()
    import tempfile

    corpus = _corpus()
    log_line = "2024-05-01 12:00:00 INFO step 1234 loss 0.1234 lr 1e-4 a training log line\n"
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    cores = os.cpu_count()
    print(
        f"CPU: {_cpu_model()} ({cores} cores, load average {load}); Python {platform.python_version()}; "
        f"best of {args.rounds}; this machine's pure-Python speed: {_reference_loop():.2f} s for 10 million "
        "integer additions (to scale the seconds below between machines)"
    )
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        baseline = _export(args.baseline, Path(tmp) / "baseline") if args.baseline else None
        for kind in ("dense", "distinct", "unique", "log", "gpu-log", "smi-log"):
            print(_KINDS[kind])
            _run_sizes(args, corpus, log_line, kind, Path(tmp), baseline)
    return 0


_KINDS = {
    "dense": "dense: every paste and dump cycled up to the size (its blocks repeat)",
    "distinct": "distinct: every paste and dump cycled up to the size, each block naming its copy at its head",
    "unique": "unique: every paste and dump cycled up to the size, each block naming its copy at its head and foot "
    "(the worst case: every line is read)",
    "log": "log: every paste and dump once, in the middle of a training log of the size",
    "gpu-log": "gpu-log: every paste and dump once, in the middle of a training log whose lines name the GPU and CUDA",
    "smi-log": "smi-log: every paste and dump once, in the middle of `nvidia-smi -l 1` (a real H100 banner, new "
    "numbers each second)",
}


def _gpu_log(corpus: str, size: int) -> str:
    """A training log of about ``size`` whose every line names the GPU, CUDA and torch, its numbers its own (no line
    repeats), with the corpus once in its middle."""
    lines: list[str] = []
    total, step = len(corpus), 0
    while total < size:
        step += 1
        line = (
            f"2024-05-01 12:{step // 60 % 60:02d}:{step % 60:02d} INFO step {step} "
            f"loss {(step * 7919) % 10007 / 10007:.4f} "
            f"gpu memory {(step * 104729) % 79000 + 1000} MiB on cuda:0 torch.cuda.max_memory_allocated "
            f"{(step * 1299709) % 9 * 10**9 + step}\n"
        )
        lines.append(line)
        total += len(line)
    half = len(lines) // 2
    return "".join(lines[:half]) + corpus + "".join(lines[half:])


_SMI_CAPTURE = FIXTURES / "nvidia-smi" / "h100-80gb-mig-driver590-capture.txt"
_SMI_NUMBER = re.compile(r"(\d+)(?=C |W /|MiB /)")


def _smi_log(corpus: str, size: int) -> str:
    """``nvidia-smi -l 1`` for about ``size``: the captured H100 banner (driver 590, MIG devices) once a second, its
    time, temperature, power and memory its own in every copy (no block repeats), the corpus once in the middle."""
    capture = _SMI_CAPTURE.read_text(encoding="utf-8")
    start = capture.index("# $ nvidia-smi \n")
    banner = capture[capture.index("\n", capture.index("\n", start) + 1) + 1 : capture.index("\n\n\n#", start)]
    banner = banner.split("\n", 1)[1]  # (the capture's own time line goes; each copy prints its own)
    blocks: list[str] = []
    total, second = len(corpus), 0
    while total < size:
        second += 1
        numbered = _renumbered(banner, iter(range(second * 7, second * 7 + 10_000, 13)))
        stamp = f"Tue Jul 14 {9 + second // 3600 % 12:02d}:{second // 60 % 60:02d}:{second % 60:02d} 2026"
        block = f"{stamp}\n{numbered}\n\n"
        blocks.append(block)
        total += len(block)
    half = len(blocks) // 2
    return "".join(blocks[:half]) + corpus + "".join(blocks[half:])


def _renumbered(banner: str, steps: Iterator[int]) -> str:
    """The banner with each temperature, power and memory figure moved on by the next of ``steps``."""
    return _SMI_NUMBER.sub(lambda m: _same_width(m.group(1), next(steps)), banner)


def _same_width(number: str, step: int) -> str:
    """Another number in the columns of ``number`` (the banner's borders stay where nvidia-smi prints them)."""
    return str((int(number) + step) % 10 ** len(number)).rjust(len(number))


def _distinct(corpus: str, size: int, foot: bool = False) -> str:
    """The corpus cycled up to ``size`` with a line naming the copy at the head of each block (and with ``foot`` one
    at its foot too): no block repeats (nor, with ``foot``, a block's first or last lines)."""
    parts: list[str] = []
    total, copy = 0, 0
    while total < size:
        copy += 1
        end = f"\n(end of copy {copy})" if foot else ""
        part = f"(copy {copy})\n" + corpus.replace("\n\n", f"{end}\n\n(copy {copy})\n")
        parts.append(part)
        total += len(part)
    return "".join(parts)[:size]


def _export(rev: str, into: Path) -> Path:
    """The ``envtool`` package as of git revision ``rev``, written under ``into`` (a folder to import it from)."""
    out = subprocess.run(["git", "archive", rev, "envtool"], cwd=REPO, capture_output=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"--baseline {rev}: git archive failed: {out.stderr.decode(errors='replace').strip()}")
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def _measure(path: Path, rounds: int, package_root: Path) -> dict[str, float]:
    # The child imports envtool from its working folder: the checkout, or the exported baseline.
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(rounds)],
        capture_output=True,
        text=True,
        check=True,
        cwd=package_root,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def _command(path: Path, rounds: int, pycache: Path | None) -> float:
    """The best wall time of the whole ``envtool diagnose --json`` command on ``path``: with ``pycache``, as an
    installed envtool runs (pip writes the bytecode of what it installs; an untimed first run writes it there), and
    without, as a checkout runs under PYTHONDONTWRITEBYTECODE (every module compiled from its source each time)."""
    env = dict(os.environ)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    argv = [sys.executable, "-m", "envtool", "diagnose", "--json", str(path)]
    if pycache is not None:
        subprocess.run(argv, capture_output=True, check=False, cwd=REPO, env=env)
    best = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        # exit 1 is a finding, not a failure of the run
        subprocess.run(argv, capture_output=True, check=False, cwd=REPO, env=env)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best or 0.0


def _run_sizes(
    args: argparse.Namespace, corpus: str, log_line: str, kind: str, tmp: Path, baseline: Path | None
) -> None:
    prev, prev_size = 0.0, 1
    for size in (int(s) for s in args.sizes.split(",")):
        if kind == "dense":
            text = (corpus * (size // len(corpus) + 1))[:size]
        elif kind in ("distinct", "unique"):
            text = _distinct(corpus, size, foot=kind == "unique")
        elif kind == "gpu-log":
            text = _gpu_log(corpus, size)
        elif kind == "smi-log":
            text = _smi_log(corpus, size)
        else:
            half = log_line * max(0, (size - len(corpus)) // len(log_line) // 2)
            text = half + corpus + half
        path = tmp / f"paste-{kind}-{size}.txt"
        path.write_text(text, encoding="utf-8")
        r = _measure(path, args.rounds, REPO)
        command = _command(path, args.rounds, tmp / "pycache")
        uncached = _command(path, args.rounds, None)
        size = len(text.encode("utf-8"))  # the log form holds every fixture once, whatever the size asked
        per_mb = r["seconds"] / (size / 1e6)
        scale = f"  x{r['seconds'] / prev:.1f} time for x{size / prev_size:.0f} input" if prev else ""
        print(
            f"{size / 1e6:8.2f} MB  {r['lines']:8d} lines  wall {r['seconds'] * 1000:8.1f} ms  "
            f"CPU {r['cpu_seconds'] * 1000:8.1f} ms ({per_mb * 1000:6.1f} ms/MB wall)  "
            f"Python peak {r['py_peak'] / 2**20:7.1f} MiB  "
            f"process peak RSS {r['rss_kib'] / 1024:7.1f} MiB  command {command * 1000:7.1f} ms "
            f"({uncached * 1000:7.1f} ms without bytecode)  "
            f"verdict {r['cause']}{scale}"
        )
        if r.get("two_cores") is not None:
            print(
                f"{'':8s}    forms on another core (the command's way): wall {r['two_cores'] * 1000:8.1f} ms, "
                f"CPU of both processes {r['two_cores_cpu'] * 1000:8.1f} ms "
                f"(x{r['two_cores'] / r['seconds']:.2f} of the wall time on one)"
            )
        if baseline is not None:
            b = _measure(path, args.rounds, baseline)
            print(
                f"{'':8s}    baseline {args.baseline}: CPU {b['cpu_seconds'] * 1000:8.1f} ms  "
                f"Python peak {b['py_peak'] / 2**20:7.1f} MiB  verdict {b['cause']}  "
                f"-> this code takes x{r['cpu_seconds'] / b['cpu_seconds']:.2f} of its CPU time"
            )
        prev, prev_size = r["seconds"], size


if __name__ == "__main__":
    raise SystemExit(main())

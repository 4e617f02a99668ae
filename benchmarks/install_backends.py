"""Install the same small profile with the venv and uv backends into fresh directories; print times and the ratio.

    python benchmarks/install_backends.py [--packages "six==1.17.0 idna==3.10"] [--repeat 2]

Each run is a full `envtool install --yes` (create + install + verify) into a new temp dir.
Also prints `envtool plan` wall time (plan generation must feel instant).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr[-2000:]}")
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", default="six==1.17.0 idna==3.10")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    pins = ", ".join(f'"{p}"' for p in args.packages.split())
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "profiles"
        d.mkdir()
        (d / "bench.toml").write_text(f'extends = "cpu"\npackages = [{pins}]\n[torch]\ninstall = false\n')
        plan_t = [
            timed([sys.executable, "-m", "envtool", "plan", "--profile", "cuda12", "--prefix", str(Path(tmp) / "p")])
            for _ in range(3)
        ]
        times: dict[str, list[float]] = {"venv": [], "uv": []}
        for i in range(args.repeat):
            for backend in times:
                target = Path(tmp) / f"{backend}-{i}"
                times[backend].append(
                    timed(
                        [
                            sys.executable,
                            "-m",
                            "envtool",
                            "install",
                            "--yes",
                            "--json",
                            "--backend",
                            backend,
                            "--profile",
                            "bench",
                            "--profiles-dir",
                            str(d),
                            "--prefix",
                            str(target),
                        ]
                    )
                )
    v, u = statistics.median(times["venv"]), statistics.median(times["uv"])
    print(f"envtool plan (process start to exit), median of 3: {statistics.median(plan_t):.2f} s")
    print(f"install {args.packages} (create + install + verify), median of {args.repeat}:")
    print(f"  venv + pip: {v:.2f} s   uv: {u:.2f} s   ratio venv/uv: {v / u:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

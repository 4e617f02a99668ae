"""How `envtool report merge` scales: 10, 100 and 1,000 checklist reports.

Generates realistic checklist reports (varied statuses, GPUs, envtool versions, some without a
bench, some with a check the others lack) into a temporary folder, merges each set in-process
(`envtool.fleet.merge_reports` + the HTML rendering) and prints wall time, peak traced memory
and the per-report cost relative to the smallest set; then times the CLI once on the largest
set as a fresh process (wall time and max RSS). Usage:

    python benchmarks/merge_scale.py [--sizes 10,100,1000] [--format html|md|json] [--redact]

With ``--redact`` every merge is also redacted (as ``report merge --redact`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from envtool import SCHEMA, fleet, redact, report  # noqa: E402
from envtool.model import DiskInfo, GpuInfo, HostFacts, NvidiaFacts, PythonFacts, SystemFacts, TorchBuild, facts_to_data  # noqa: E402

# GPU names and drivers as nvidia-smi reported them in the captured outputs under
# ../shared/fixtures/nvidia-smi/ (see its SOURCES.md); memory is what those captures show.
GPUS = [
    ("Tesla T4", "515.105.01", "11.7", 15360),  # tesla-t4-driver515.xml
    ("NVIDIA A100-SXM4-80GB", "535.54.03", "12.2", 81920),  # a100-sxm4-80gb-mig-driver535.xml
    ("NVIDIA GeForce RTX 4090", "535.86.05", "12.2", 24564),  # rtx4090-driver535.xml
    ("NVIDIA RTX A5000", "590.44.01", "13.1", 24564),  # rtx-a5000-x2-driver590.xml
    ("NVIDIA H100 80GB HBM3", "590.48.01", "13.1", 81559),  # h100-80gb-mig-driver590-capture.txt
]
# The ids and titles of envtool/checklist.py's CHECKS (copied, so this script runs on its own).
CHECKS = [
    ("os", "OS and architecture supported"),
    ("python", "Python version"),
    ("disk", "Free disk"),
    ("ram", "RAM"),
    ("shm", "/dev/shm size"),
    ("driver", "NVIDIA driver present"),
    ("profile", "Driver and GPUs fit the profile"),
    ("env", "Target environment exists"),
    ("torch_imports", "torch imports"),
    ("torch_build", "torch's CUDA build fits the driver and GPUs"),
    ("gpu_kernel", "A tiny kernel runs on each GPU"),
    ("transformers", "transformers imports and builds a BERT"),
    ("train_step", "A fine-tune step runs with a finite, falling loss"),
    ("bench", "BERT fine-tune speed (bench verdict)"),
    ("smoke_train", "Sentiment smoke fine-tune accuracy"),
]


def make_report(i: int, rng: random.Random) -> dict:
    """One checklist envelope of a made-up machine; the shapes are those of `facts_to_data`."""
    name, driver, cuda, mib = GPUS[i % len(GPUS)]
    n_gpu = rng.choice((1, 2, 4, 8))
    gpus = tuple(
        GpuInfo(
            index=k, name=name, uuid=f"GPU-{i:08x}-{k:04x}", memory_total_bytes=mib * 2**20, compute_capability=None
        )
        for k in range(n_gpu)
    )
    hf = HostFacts(
        system=SystemFacts(
            hostname=f"gpu-node-{i:04d}",
            os_name="Linux",
            os_pretty="Ubuntu 22.04.4 LTS",
            kernel="5.15.0-105-generic",
            arch="x86_64",
            cpu_model="AMD EPYC 7763 64-Core Processor",
            physical_cores=64,
            logical_cores=128,
            ram_total_bytes=512 * 2**30,
            ram_available_bytes=480 * 2**30,
            disks=(DiskInfo(path="/home/user", free_bytes=900 * 2**30),),
        ),
        nvidia=NvidiaFacts(source="nvml", driver_version=driver, cuda_driver_version=cuda, gpus=gpus),
        python=PythonFacts(
            executable="/opt/venv/bin/python",
            version="3.11.9",
            env_kind="venv",
            torch=TorchBuild(version="2.13.0+cu126", cuda="12.6"),
        ),
        env_vars=(("CUDA_VISIBLE_DEVICES", ",".join(map(str, range(n_gpu)))), ("HF_TOKEN", "****")),
    )
    checks = []
    for cid, title in CHECKS[: len(CHECKS) - (i % 7 == 0)]:  # some older reports lack the bench check
        r = rng.random()
        status = "fail" if r < 0.01 else "warn" if r < 0.04 else "skip" if r < 0.06 else "pass"
        checks.append(
            {
                "id": cid,
                "title": title,
                "status": status,
                "seen": f"{title}: observed value {rng.randint(0, 999)}",
                "fix": "envtool install --profile auto" if status in ("fail", "warn") else "",
                "duration_s": round(rng.random() * 2, 3),
            }
        )
    sps = rng.uniform(50, 900)
    bench = (
        None
        if i % 5 == 0
        else {
            "ok": True,
            "model": {"name": "base", "num_hidden_layers": 12, "hidden_size": 768},
            "batch_size": 64,
            "seq_len": 128,
            "precision": "bf16",
            "device_name": name,
            "step_time_s": {"median": 64 / sps, "p10": 60 / sps, "p90": 70 / sps},
            "samples_per_s": sps,
            "tokens_per_s": sps * 128,
            "tflops": sps * 67e9 / 1e12,
            "mfu": None,
            "losses": [0.7 - 0.01 * k for k in range(30)],
            "verdict": {"status": rng.choice(("pass", "pass", "warn")), "reasons": []},
        }
    )
    data = {
        "host": f"gpu-node-{i:04d}",
        "generated_at": "2026-11-29T18:40:00+00:00",
        "target": {"python": "/opt/venv/bin/python", "profile": None},
        "checks": checks,
        "facts": facts_to_data(hf),
        "recommended_profile": {"name": "cuda12.9", "reasons": ["newest CUDA line the driver runs"]},
        "bench": bench,
        "envtool_version": "0.1.0" if i % 10 else "0.0.9",
    }
    return {
        "schema": SCHEMA,
        "command": "checklist",
        "status": "pass",
        "exit_code": 0,
        "data": data,
        "findings": [],
        "errors": [],
    }


def generate(folder: Path, n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"report-{i:04d}.json"
        p.write_text(json.dumps(make_report(i, rng), indent=2), encoding="utf-8")
        paths.append(str(p))
    return paths


REDACT = False  # --redact


def _merged(paths: list[str]) -> dict:
    merged = fleet.merge_reports(paths)
    return redact.process_redactor().redact(merged) if REDACT else merged


def merge_once(paths: list[str], fmt: str) -> tuple[float, int]:
    """Wall seconds of merge (+ redaction) + render, and the size of the rendered text."""
    t0 = time.perf_counter()
    text = report.render(_merged(paths), fmt)
    return time.perf_counter() - t0, len(text)


def peak_traced(paths: list[str], fmt: str) -> int:
    """Peak Python heap (bytes) of merge + render, traced in a separate run (tracing slows it)."""
    tracemalloc.start()
    try:
        report.render(_merged(paths), fmt)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def cli_once(paths: list[str], out: Path, fmt: str) -> tuple[float, float, int]:
    """Wall seconds, max RSS (MiB) and exit code of `envtool report merge` as a fresh process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "envtool", "report", "merge", *paths, "--format", fmt, "--output", str(out)]
        + (["--redact"] if REDACT else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.stderr.write(err.decode("utf-8", "replace"))
    return wall, usage.ru_maxrss / 1024.0, code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--format", default="html", choices=("html", "md", "json"))
    ap.add_argument("--redact", action="store_true", help="redact each merge, as `report merge --redact` does")
    args = ap.parse_args()
    global REDACT
    REDACT = args.redact
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="envtool-merge-scale-") as tmp:
        for n in sizes:
            paths = generate(Path(tmp) / str(n), n)
            in_bytes = sum(os.path.getsize(p) for p in paths)
            merge_once(paths, args.format)  # warm the page cache and imports
            wall, out_len = min(merge_once(paths, args.format) for _ in range(3 if n <= 100 else 1))
            peak = peak_traced(paths, args.format)
            rows.append((n, wall, peak, in_bytes, out_len))
        base_n, base_t, base_m = rows[0][0], rows[0][1], rows[0][2]
        print(
            f"{'reports':>8} {'input MiB':>10} {'output KiB':>11} {'merge+render s':>15} {'ms/report':>10} "
            f"{'peak MiB':>9} {'KiB/report':>11} {'time/report vs first':>21} {'mem/report vs first':>20}"
        )
        for n, wall, peak, in_bytes, out_len in rows:
            print(
                f"{n:>8} {in_bytes / 2**20:>10.1f} {out_len / 1024:>11.0f} {wall:>15.3f} {1000 * wall / n:>10.2f} "
                f"{peak / 2**20:>9.1f} {peak / 1024 / n:>11.1f}"
                f" {(wall / n) / (base_t / base_n):>21.2f} {(peak / n) / (base_m / base_n):>20.2f}"
            )
        big = max(sizes)
        paths = [str(Path(tmp) / str(big) / f"report-{i:04d}.json") for i in range(big)]
        wall, rss, code = cli_once(paths, Path(tmp) / f"fleet.{args.format}", args.format)
        print(
            f"CLI `envtool report merge` of {big} reports ({args.format}): {wall:.2f} s wall, "
            f"max RSS {rss:.0f} MiB, exit {code}"
        )
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

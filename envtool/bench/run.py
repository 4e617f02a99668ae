"""Running the BERT workload (``finetune_smoke.bench``) in a target python, and reading its result.

The workload runs in the *target* python as a subprocess, so a segfault, an out-of-memory or a
hang in torch becomes a clean result.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from envtool import runner
from envtool.errors import BadInputError, ExternalError


def workload_dir() -> Path:
    """The ``finetune_smoke`` package that ships with envtool."""
    import finetune_smoke

    return Path(finetune_smoke.__file__).resolve().parent


def bench_argv(python: str, options: Mapping[str, Any]) -> list[str]:
    """``<python> -m finetune_smoke.bench --json`` with the workload's own options."""
    argv = [python, "-m", "finetune_smoke.bench", "--json"]
    for key in ("model", "precision", "batch_size", "seq_len", "steps", "warmup", "device", "dropout"):
        value = options.get(key)
        if value is not None:
            argv += [f"--{key.replace('_', '-')}", str(value)]
    if options.get("compile"):
        argv.append("--compile")
    if options.get("no_compile"):
        argv.append("--no-compile")
    if options.get("peaks"):
        # The one peak table is envtool's knowledge; the workload only divides by it.
        argv += ["--peaks", json.dumps(options["peaks"], sort_keys=True)]
        if options.get("peak_source"):
            argv += ["--peak-source", str(options["peak_source"])]
    if options.get("progress_file"):
        argv += ["--progress-file", str(options["progress_file"])]
    return argv


def run_smoke(
    python: str, argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None, with_data: bool = False
) -> runner.Completed:
    """Run ``<python> -m finetune_smoke.<argv>`` with envtool's copy of the workload.

    The package is copied into a private folder put first on PYTHONPATH, so the target runs
    envtool's copy of the workload without seeing anything else of envtool's environment.
    """
    base = dict(os.environ if env is None else env)
    ignore = shutil.ignore_patterns("__pycache__", *(() if with_data else ("data",)))
    with tempfile.TemporaryDirectory(prefix="envtool-smoke-") as tmp:
        shutil.copytree(workload_dir(), Path(tmp) / "finetune_smoke", ignore=ignore)
        base["PYTHONPATH"] = os.pathsep.join(p for p in (tmp, base.get("PYTHONPATH", "")) if p)
        base.setdefault("HF_HUB_OFFLINE", "1")
        try:
            return runner.capture([python, "-m", *argv], timeout=timeout, env=base, tie_to_parent=True)
        except ExternalError as exc:
            raise BadInputError(f"--python {python}: {exc}") from exc


def result_of(done: runner.Completed, python: str, timeout: float) -> dict[str, Any]:
    """The workload's JSON, or an ``ok: false`` result saying how the process ended."""
    if done.timed_out:
        return {
            "ok": False,
            "error": {"kind": "timeout", "message": f"the workload did not finish within {timeout:.0f} s"},
        }
    result = None
    for line in reversed(done.stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except ValueError:
                result = None
            break
    if isinstance(result, dict) and ("ok" in result or "test" in result):
        return result
    if done.signal is None and (
        "No module named 'torch'" in done.stderr or "No module named 'transformers'" in done.stderr
    ):
        return {
            "ok": False,
            "error": {
                "kind": "missing_dependency",
                "message": f"{python} lacks torch or transformers: " + done.stderr.strip().splitlines()[-1],
            },
        }
    return {"ok": False, "error": {"kind": "crashed", "message": done.describe_failure(8)}}


def run_workload(
    python: str,
    options: Mapping[str, Any],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the bench workload in ``python`` and return its JSON (``ok: false`` results included).

    ``on_phase`` hears each phase the workload enters (probing, compiling, timing), read from a
    progress file it writes, while this thread waits for it.
    """
    if on_phase is None:
        done = run_smoke(python, bench_argv(python, options)[2:], timeout=timeout, env=env)
        return result_of(done, python, timeout)
    with tempfile.TemporaryDirectory(prefix="envtool-bench-") as tmp:
        progress = Path(tmp) / "phase"
        argv = bench_argv(python, {**options, "progress_file": str(progress)})[2:]
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["done"] = run_smoke(python, argv, timeout=timeout, env=env)
            except BaseException as exc:  # handed back to the calling thread below
                box["exc"] = exc

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        seen = ""
        while worker.is_alive():
            worker.join(0.2)
            try:
                now = progress.read_text(encoding="utf-8").strip()
            except OSError:
                continue
            if now and now != seen:
                seen = now
                on_phase(now)
        if "exc" in box:
            raise box["exc"]
        return result_of(box["done"], python, timeout)

"""Running the BERT workload (``finetune_smoke.bench``) in a target python, and reading its result.

The workload runs in the *target* python as a subprocess, so a segfault, an out-of-memory or a
hang in torch becomes a clean result; ``envtool.workload`` makes the private copy it runs from.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from envtool import runner, workload
from envtool.errors import BadInputError, ExternalError

workload_dir = workload.workload_dir
result_of = workload.result_of


def bench_argv(python: str, options: Mapping[str, Any]) -> list[str]:
    """``<python> -m finetune_smoke.bench --json`` with the workload's own options."""
    return [python, "-m", f"{workload.PACKAGE}.bench", *workload.bench_args(options)]


def run_smoke(
    python: str, argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None, with_data: bool = False
) -> runner.Completed:
    """Run ``<python> -m ARGV`` with envtool's copy of the workload (``envtool.workload``, the one safe way)."""
    try:
        return workload.run_in_target(python, argv, timeout=timeout, env=env, with_data=with_data)
    except FileNotFoundError as exc:
        raise BadInputError(f"{exc}; reinstall envtool") from exc
    except ExternalError as exc:
        raise BadInputError(f"--python {python}: {exc}") from exc


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

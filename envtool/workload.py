"""The one way to run the ``finetune_smoke`` workload in a target python.

The workload must import the TARGET environment's torch and transformers. envtool's own
``finetune_smoke`` folder cannot simply go on the child's ``PYTHONPATH``: in a normal
(non-editable) install its parent is envtool's site-packages, and with envtool's ``bench`` extra
that folder holds a torch and a transformers too, which would shadow the target's. So the
package is copied into a private temporary folder, and that folder alone is the child's
``PYTHONPATH`` (whatever ``PYTHONPATH`` envtool itself runs with describes envtool's
environment, not the target's). The child also runs from that folder, because ``python -m``
puts the working directory first on ``sys.path``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from envtool import runner

PACKAGE = "finetune_smoke"
BENCH_OPTIONS = ("model", "precision", "batch_size", "seq_len", "steps", "warmup", "device", "dropout")


def workload_dir() -> Path | None:
    """The ``finetune_smoke`` package shipped with envtool (found, not imported), or None."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    pkg = Path(next(iter(spec.submodule_search_locations))).resolve()
    return pkg if (pkg / "bench.py").is_file() else None


@contextmanager
def private_copy(*, with_data: bool = False) -> Iterator[Path]:
    """A temporary folder holding a copy of the workload package and nothing else.

    ``with_data``: also copy its ``data/`` folder (the smoke fine-tune's dataset). Raises
    ``FileNotFoundError`` when envtool was installed without the workload.
    """
    src = workload_dir()
    if src is None:
        raise FileNotFoundError(f"the {PACKAGE} workload was not found beside envtool")
    ignore = shutil.ignore_patterns("__pycache__", *(() if with_data else ("data",)))
    with tempfile.TemporaryDirectory(prefix="envtool-workload-") as tmp:
        shutil.copytree(src, Path(tmp) / PACKAGE, ignore=ignore)
        yield Path(tmp)


def child_env(root: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` with ``root`` as the whole ``PYTHONPATH``; the hub stays offline (nothing to fetch)."""
    out = dict(os.environ if env is None else env)
    out["PYTHONPATH"] = str(root)
    out.setdefault("HF_HUB_OFFLINE", "1")
    return out


def run_in_target(
    python: str,
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    with_data: bool = False,
) -> runner.Completed:
    """Run ``<python> -m ARGV`` (a workload module, or torchrun of one) from a private copy of the workload.

    Raises ``FileNotFoundError`` without the workload, and what ``runner.capture`` raises when
    ``python`` cannot be run.
    """
    with private_copy(with_data=with_data) as root:
        return runner.capture(
            [python, "-m", *argv],
            timeout=timeout,
            env=child_env(root, env),
            cwd=str(root),
            tie_to_parent=True,
        )


def run_module(
    python: str,
    module: str,
    args: Sequence[str] = (),
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    with_data: bool = False,
) -> runner.Completed:
    """Run ``<python> -m finetune_smoke.<module> ARGS`` from a private copy of the workload."""
    return run_in_target(python, [f"{PACKAGE}.{module}", *args], timeout=timeout, env=env, with_data=with_data)


def bench_args(options: Mapping[str, Any]) -> list[str]:
    """``finetune_smoke.bench``'s own options for a mapping of them (None: the workload's default)."""
    args = ["--json"]
    for key in BENCH_OPTIONS:
        value = options.get(key)
        if value is not None:
            args += [f"--{key.replace('_', '-')}", str(value)]
    if options.get("compile"):
        args.append("--compile")
    if options.get("no_compile"):
        args.append("--no-compile")
    if options.get("peaks"):
        # The one peak table is envtool's knowledge; the workload only divides by it.
        args += ["--peaks", json.dumps(options["peaks"], sort_keys=True)]
        if options.get("peak_source"):
            args += ["--peak-source", str(options["peak_source"])]
    if options.get("progress_file"):
        args += ["--progress-file", str(options["progress_file"])]
    return args


def result_of(done: runner.Completed, python: str, timeout: float) -> dict[str, Any]:
    """The workload's JSON (its last JSON line), or an ``ok: false`` result saying how it ended."""
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


def run_bench(
    python: str, options: Mapping[str, Any], *, timeout: float, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The bench workload's result in ``python`` (``ok: false`` results included)."""
    done = run_module(python, "bench", bench_args(options), timeout=timeout, env=env)
    return result_of(done, python, timeout)

"""Kept bench runs: the result store in the cache directory, and the comparison with an earlier run."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envtool.errors import BadInputError
from envtool.util import atomic_write_text
from finetune_smoke.result import BenchResult, ModelInfo


def results_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(base) / "envtool" / "bench"


def save_result(record: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Path:
    """Keep a run (result, verdict, facts) as ``<cache>/envtool/bench/<time>.json``; atomic."""
    d = results_dir(env)
    d.mkdir(parents=True, exist_ok=True)
    path = d / time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    path = path.with_name(path.name + f"-{os.getpid()}.json")
    return atomic_write_text(path, json.dumps(record, indent=1))


def load_previous(which: str, env: Mapping[str, str] | None = None) -> tuple[dict[str, Any], str]:
    """``last`` (the newest kept run) or a file: an envtool bench envelope or a kept record."""
    if which == "last":
        files = sorted(results_dir(env).glob("*.json"))
        if not files:
            raise BadInputError(
                f"--compare last: no earlier run is kept in {results_dir(env)}; run `envtool bench` once first"
            )
        path = files[-1]
    else:
        path = Path(which)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise BadInputError(f"--compare {which}: cannot read {path} as JSON ({type(exc).__name__})") from exc
    data = obj.get("data", obj) if isinstance(obj, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("result"), dict):
        raise BadInputError(f"--compare {which}: {path} is not an envtool bench result (expected a 'result' object)")
    return data, str(path)


def compare(now: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """The change of the headline numbers, and whether the runs are comparable (same shape, precision, device)."""
    a, b = BenchResult.from_json(now), BenchResult.from_json(before)
    out: dict[str, Any] = {}
    for key, x, y in (("samples_per_s", a.samples_per_s, b.samples_per_s), ("tflops", a.tflops, b.tflops)):
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and y:
            out[key] = {"before": y, "now": x, "change": x / y - 1.0}
    hidden = (a.model or ModelInfo()).hidden_size, (b.model or ModelInfo()).hidden_size
    out["comparable"] = (a.batch_size, a.seq_len, a.precision, a.device_name) == (
        b.batch_size,
        b.seq_len,
        b.precision,
        b.device_name,
    ) and hidden[0] == hidden[1]
    return out

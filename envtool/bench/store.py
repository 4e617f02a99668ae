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
    """The change of the headline numbers, and whether the runs are comparable."""
    out: dict[str, Any] = {}
    for key in ("samples_per_s", "tflops"):
        a, b = now.get(key), before.get(key)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
            out[key] = {"before": b, "now": a, "change": a / b - 1.0}
    same = all(now.get(k) == before.get(k) for k in ("batch_size", "seq_len", "precision", "device_name")) and (
        now.get("model") or {}
    ).get("hidden_size") == (before.get("model") or {}).get("hidden_size")
    out["comparable"] = same
    return out

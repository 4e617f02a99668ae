"""``envtool report merge``: read a fleet's checklist reports and merge them into one envelope.

The merge reads each report, validates it and keeps only a small per-machine summary, so
memory grows with the number of machines, not with the size of their facts. Rendering the
merged envelope is ``envtool.report``'s job.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from envtool import SCHEMA, __version__
from envtool.errors import BadInputError
from envtool.report import (
    _RANK,
    MERGE_COMMAND,
    _checks,
    _counts,
    _d,
    _num,
    _s,
    _status,
    _torch_text,
    gpu_summary,
    worst_status,
)

MAX_REPORT_BYTES = 50 * 2**20  # a checklist report is kilobytes; refuse to read a disk image


def validate_report(obj: Any, name: str) -> dict[str, Any]:
    """Check that ``obj`` is an envtool checklist envelope; raise BadInputError naming ``name``."""
    hint = "give the JSON written by `envtool checklist --format json`"
    if not isinstance(obj, dict):
        raise BadInputError(f"{name}: not an envtool report (the JSON is not an object); {hint}")
    if obj.get("schema") != SCHEMA:
        raise BadInputError(
            f"{name}: not an envtool report (schema is {obj.get('schema')!r}, expected {SCHEMA!r}); {hint}"
        )
    if obj.get("command") != "checklist":
        raise BadInputError(f"{name}: an envtool {obj.get('command')!r} report, not a checklist; {hint}")
    data = obj.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
        raise BadInputError(f"{name}: data.checks is missing or not a list; {hint}")
    for i, c in enumerate(data["checks"]):
        if not isinstance(c, dict) or not isinstance(c.get("id"), str) or str(c.get("status")) not in _RANK:
            raise BadInputError(f"{name}: data.checks[{i}] needs a string id and a status of pass, warn, fail or skip")
    return obj


def read_report(path: str) -> dict[str, Any]:
    """Read and validate one checklist JSON report; every problem is a BadInputError naming the file."""
    try:
        with open(path, "rb") as fh:
            # Not fh.read(MAX + 1): CPython allocates that whole buffer up front, 50 MiB per file.
            too_big = os.fstat(fh.fileno()).st_size > MAX_REPORT_BYTES
            raw = b"" if too_big else fh.read()
    except OSError as exc:
        raise BadInputError(
            f"{path}: cannot read ({exc.strerror or exc}); give the path of a checklist JSON report"
        ) from exc
    if too_big:
        raise BadInputError(f"{path}: larger than {MAX_REPORT_BYTES // 2**20} MiB; not a checklist report")
    try:
        obj = json.loads(raw.decode("utf-8", errors="replace"))
    except RecursionError:  # json decodes nested arrays/objects recursively
        raise BadInputError(f"{path}: not a checklist report: JSON nested too deeply") from None
    except ValueError as exc:
        raise BadInputError(
            f"{path}: not JSON ({exc}); give the JSON written by `envtool checklist --format json`"
        ) from exc
    return validate_report(obj, path)


def summarize(report: Mapping[str, Any], file: str) -> dict[str, Any]:
    """The per-machine row of a fleet report (small: the merge keeps only these)."""
    data = _d(report.get("data"))
    facts = _d(data.get("facts"))
    checks = _checks(data)
    statuses = {str(c["id"]): _status(c.get("status")) for c in checks}
    status = worst_status(statuses.values()) if checks else _status(report.get("status"))
    bad = next((c for c in checks if _status(c.get("status")) == "fail"), None) or next(
        (c for c in checks if _status(c.get("status")) == "warn"), None
    )
    bench = data.get("bench") if isinstance(data.get("bench"), dict) else None
    verdict = ""
    sps = None
    if bench is not None:
        if bench.get("ok") is False:
            verdict = "failed: " + _s(_d(bench.get("error")).get("kind"))
        else:
            sps = _num(bench.get("samples_per_s"))
            v = _d(bench.get("verdict"))
            verdict = _status(v.get("status")) if v else ""
    host = data.get("host") or _d(facts.get("system")).get("hostname") or os.path.basename(file)
    return {
        "host": str(host),
        "label": str(host),
        "file": file,
        "status": "pass" if status == "skip" else status,
        "envtool_version": data.get("envtool_version"),
        "generated_at": data.get("generated_at"),
        "counts": _counts(statuses.values()),
        "checks": statuses,
        "problem": {
            "id": str(bad.get("id")),
            "title": str(bad.get("title") or bad.get("id")),
            "fix": str(bad.get("fix") or ""),
            "seen": str(bad.get("seen") or ""),
        }
        if bad
        else None,
        "gpus": gpu_summary(facts.get("gpus")),
        "driver": _d(facts.get("nvidia")).get("driver_version") or "none",
        "profile": _s(_d(data.get("recommended_profile")).get("name")),
        "torch": _torch_text(facts),
        "samples_per_s": sps,
        "bench_verdict": verdict,
        "_titles": [(str(c["id"]), str(c.get("title") or c["id"])) for c in checks],
    }


def merge_reports(paths: Sequence[str], *, now: datetime | None = None) -> dict[str, Any]:
    """Read, validate and merge checklist reports into a ``report merge`` envelope.

    Every file is validated before anything is returned, so a caller that writes only on
    success never writes a partial fleet. ``data.machines`` is ordered failing first, then
    warn, then pass, then by label. Duplicate host names are kept, labelled by file.
    """
    if not paths:
        raise BadInputError("no reports given; name one or more checklist JSON files")
    machines = [summarize(read_report(p), p) for p in paths]
    titles: dict[str, str] = {}
    for m in machines:
        for cid, title in m.pop("_titles"):
            titles.setdefault(cid, title)
    by_host = Counter(m["host"] for m in machines)
    by_base = Counter(os.path.basename(m["file"]) for m in machines if by_host[m["host"]] > 1)
    for m in machines:
        if by_host[m["host"]] > 1:
            base = os.path.basename(m["file"])
            m["label"] = f"{m['host']} ({base if by_base[base] == 1 else m['file']})"
    machines.sort(key=lambda m: (_RANK[m["status"]], m["label"].casefold(), m["file"]))
    counts = _counts(m["status"] for m in machines)
    versions = Counter(_s(m["envtool_version"]) for m in machines)
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    data = {
        "merged_at": stamp,
        "fleet_status": worst_status(m["status"] for m in machines),
        "counts": {s: counts[s] for s in ("fail", "warn", "pass")},
        "envtool_versions": dict(sorted(versions.items())),
        "checks": [{"id": k, "title": v} for k, v in titles.items()],
        "machines": machines,
        "envtool_version": __version__,
    }
    return {
        "schema": SCHEMA,
        "command": MERGE_COMMAND,
        "status": "pass",
        "exit_code": 0,
        "data": data,
        "findings": [],
        "errors": [],
    }

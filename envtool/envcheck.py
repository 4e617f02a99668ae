"""An environment against its ``envtool-lock.json``: read the target (its every distribution, the lock,
the guard's files) and let ``envtool.drift`` judge what changed. Used by `envtool check` and the checklist.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from envtool.errors import BadInputError, ExternalError
from envtool.model import CheckResult, Status
from envtool.util import existing_env_python

# --------------------------------------------------------------------------- reading the environment


def _clean_env() -> dict[str, str]:
    """The target on its own, as install verified it: no PYTHONPATH, no user site."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def inspect_all(python: str, *, timeout: float = 60.0) -> dict[str, Any]:
    """``_pyinspect`` with every distribution, run by ``python``. Raises ``ExternalError``."""
    from envtool import runner
    from envtool.probes import _pyinspect

    source = Path(_pyinspect.__file__).read_text(encoding="utf-8")
    # cwd: `python -c` puts the working directory first on sys.path; its packages are not the environment's.
    done = runner.capture(
        [python, "-c", source, "--all-dists"], timeout=timeout, env=_clean_env(), cwd=os.path.dirname(python) or None
    )
    try:
        raw = json.loads(done.stdout.strip().splitlines()[-1]) if done.ok else None
    except (ValueError, IndexError):
        raw = None
    if not isinstance(raw, dict):
        raise ExternalError(f"{python} could not list its packages: {done.describe_failure(5)}")
    return raw


def read_lock(prefix: Path) -> dict[str, Any]:
    """The environment's ``envtool-lock.json``; a missing or malformed one is bad input (exit 2)."""
    from envtool.install import LOCK_FILE

    path = prefix / LOCK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInputError(
            f"{path}: no such file; `envtool check` compares an environment made by `envtool install` with its lock "
            "(give --prefix DIR of one)"
        ) from None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        lock = json.loads(text)
    except ValueError as exc:
        raise BadInputError(
            f"{path}: not valid JSON ({exc}); reinstall with `envtool install --force-recreate`"
        ) from exc
    if not isinstance(lock, dict) or lock.get("schema") != "envtool-lock/1":
        raise BadInputError(f'{path}: key "schema" must be "envtool-lock/1"; this is not an envtool lock file')
    if not isinstance(lock.get("installed"), dict):
        raise BadInputError(f'{path}: key "installed" must be an object of package -> version')
    return lock


def torch_file_mismatches(dists: list[dict[str, Any]]) -> tuple[list[str], str | None]:
    """Files of torch that no longer match its ``RECORD``, and the RECORD's fingerprint (None: not found)."""
    from envtool import drift

    torch = next((d for d in dists if d.get("name") == "torch" and d.get("location")), None)
    if torch is None:
        return [], None
    site = Path(torch["location"])
    record = next(iter(sorted(site.glob(f"torch-{torch['version']}.dist-info/RECORD"))), None)
    if record is None:
        return [], None
    try:
        text = record.read_text(encoding="utf-8")
    except OSError:
        return [], None
    bad = []
    for rel, algo, digest in drift.parse_record(text):
        try:
            data = (site / rel).read_bytes()
        except OSError:
            bad.append(f"{rel} (missing)")
            continue
        try:
            ok = drift.record_digest(data, algo) == digest
        except ValueError:  # an algorithm hashlib does not have: cannot judge
            continue
        if not ok:
            bad.append(rel)
    return bad, drift.record_fingerprint(text)


def read_guard_state(prefix: Path) -> Any:
    from envtool import drift, guard

    path = prefix / guard.MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict):
        return drift.GuardState()
    files = [str(f) for f in manifest.get("files") or ()]
    exists = {f: Path(f).is_file() for f in files}
    contents: dict[str, str | None] = {}
    for f in files:
        try:
            contents[f] = Path(f).read_text(encoding="utf-8") if exists[f] else None
        except (OSError, UnicodeDecodeError):
            contents[f] = None
    return drift.guard_state(manifest, exists, contents)


def resolve_target(prefix: str | None, python: str | None, *, timeout: float) -> tuple[Path, str, dict[str, Any]]:
    """(the environment's directory, its python, its inspection) from --prefix or --python."""
    if prefix is not None:
        where = Path(prefix).expanduser().absolute()
        if not where.is_dir():
            raise BadInputError(f"--prefix {prefix}: no such directory; give the directory of an environment")
        exe = existing_env_python(str(where))
        if exe is None:
            raise BadInputError(f"--prefix {prefix}: no bin/python in it; give the directory of an environment")
        return where, exe, inspect_all(exe, timeout=timeout)
    exe = python or sys.executable
    if not os.path.exists(exe):
        raise BadInputError(f"--python {exe}: no such file; give the path of a Python interpreter")
    raw = inspect_all(exe, timeout=timeout)
    return Path(str(raw.get("prefix") or sys.prefix)), exe, raw


def drift_of(prefix: Path, raw: dict[str, Any], lock: dict[str, Any]) -> Any:
    from envtool import drift

    dists = [d for d in raw.get("dists") or () if isinstance(d, dict)]
    now: dict[str, str] = {}
    for d in dists:  # the first on sys.path is the one that imports
        now.setdefault(str(d["name"]), str(d["version"]))
    files, record_fp = torch_file_mismatches(dists)
    return drift.compare(
        str(prefix),
        lock,
        now,
        guard=read_guard_state(prefix),
        torch_files=files,
        torch_record_fingerprint=record_fp,
    )


def rewrite_guard(prefix: Path, python: str, lock: dict[str, Any]) -> Any:
    """The guard again, from the lock's verified versions (not today's: those may have drifted)."""
    from envtool import guard

    if not (lock.get("verification") or {}).get("ok"):
        raise BadInputError(
            f"{prefix}: its envtool-lock.json records a failed verification; guard only a verified environment"
        )
    plan = lock.get("plan") or {}
    torch_reqs = [str(r) for r in plan.get("torch_requirements") or ()]
    prof = lock.get("profile") or {}
    return guard.guard_environment(
        prefix,
        backend=str(plan.get("backend") or "venv"),
        platform=str(plan.get("platform") or sys.platform),
        python=python,
        installed={str(k): str(v) for k, v in lock["installed"].items()},
        companions=torch_reqs,
        python_version=prof.get("python") if isinstance(prof, dict) else None,
    )


def checklist_check(python: str, *, timeout: float = 60.0) -> CheckResult | None:
    """The checklist's drift item for the environment of ``python``; None when it has no lock file.

    FAIL on an error finding (torch replaced), WARN on the others, PASS when it matches its lock.
    """
    from envtool.install import LOCK_FILE

    try:
        prefix, _, raw = resolve_target(None, python, timeout=timeout)
    except (BadInputError, ExternalError):
        return None
    if not (prefix / LOCK_FILE).is_file():
        return None
    title = "the environment still matches its envtool-lock.json"
    try:
        d = drift_of(prefix, raw, read_lock(prefix))
    except BadInputError as exc:
        return CheckResult(id="drift", title=title, status=Status.FAIL, seen=str(exc), fix="reinstall it")
    if d.clean:
        return CheckResult(id="drift", title=title, status=Status.PASS, seen=f"{prefix}: as installed, guard in place")
    worst = next((f for f in d.findings if f.severity.value == "error"), d.findings[0])
    return CheckResult(
        id="drift",
        title=title,
        status=Status.FAIL if worst.severity.value == "error" else Status.WARN,
        seen="; ".join(f"{f.id}: {f.message}" for f in d.findings),
        fix=worst.fix,
    )

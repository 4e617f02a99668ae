"""Pure: an environment now against its ``envtool-lock.json`` (and its guard) -> drift and findings.

``install`` records the exact versions it verified (``installed`` in the lock) and the guard
records what it pinned and the digest of torch's ``RECORD``. Drift is what changed since:
packages added, removed or at another version, torch above all (its local label is its
variant: ``+cu129`` is not ``+cpu``), torch's own files no longer matching its ``RECORD``, and
the guard's files gone or edited. The caller (``envtool check``) reads the environment; this
module only compares.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.utils import canonicalize_name

from envtool.model import Finding, Severity
from envtool.rules import VOCABULARY

# The findings of `envtool check` (their severities and meanings live in rules.VOCABULARY).
TORCH_REPLACED = "torch_replaced"
ENV_DRIFT = "env_drift"
GUARD_REMOVED = "guard_removed"
SEVERITY: dict[str, Severity] = {fid: VOCABULARY[fid][0] for fid in (TORCH_REPLACED, ENV_DRIFT, GUARD_REMOVED)}
_SHOWN = 8  # packages named in one message; the data has them all


@dataclass(frozen=True, kw_only=True)
class Change:
    name: str
    locked: str | None  # None: added since
    now: str | None  # None: removed since


@dataclass(frozen=True, kw_only=True)
class GuardState:
    """What is on disk of the guard: the manifest (None: none) and what is missing or edited."""

    manifest: Mapping[str, Any] | None = None
    missing: tuple[str, ...] = ()  # files of the manifest that are gone
    edited: tuple[str, ...] = ()  # files whose guard part is no longer there


@dataclass(frozen=True, kw_only=True)
class Drift:
    target: str
    added: tuple[Change, ...] = ()
    removed: tuple[Change, ...] = ()
    changed: tuple[Change, ...] = ()
    torch: Change | None = None  # set when torch itself changed
    torch_files: tuple[str, ...] = ()  # files of torch that no longer match its RECORD
    torch_record_changed: bool = False  # torch's RECORD is not the one the guard saw
    guard: GuardState = field(default_factory=GuardState)
    findings: tuple[Finding, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.findings


def variant_of(version: str | None) -> str:
    """The build a torch version names: its local label (``cu129``, ``cpu``, ``rocm6.4``) or PyPI's."""
    if not version:
        return "none"
    return version.split("+", 1)[1] if "+" in version else "the default index's build (no local label)"


def _build(version: str | None) -> str:
    v = variant_of(version)
    return f"build {v}" if version and "+" in version else v


def parse_record(text: str) -> list[tuple[str, str, str]]:
    """``RECORD`` rows as (path, hash algorithm, urlsafe-base64 digest); rows without a hash are skipped."""
    rows = []
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 2 or not row[1] or "=" not in row[1]:
            continue
        algo, _, digest = row[1].partition("=")
        rows.append((row[0], algo, digest))
    return rows


# Files pip writes into a dist-info at install time: they differ between two installs of one wheel.
_INSTALL_TIME = ("INSTALLER", "REQUESTED", "direct_url.json", "RECORD")


def record_fingerprint(text: str) -> str:
    """The wheel's own files and hashes in a ``RECORD``, as one sha256: the same for every install of one wheel.

    Rows without a hash (bytecode compiled at install time) and the files pip adds to the
    dist-info (``INSTALLER``, ``REQUESTED``, ``direct_url.json``) do not count.
    """
    import hashlib

    rows = sorted(
        f"{path}\t{algo}={digest}"
        for path, algo, digest in parse_record(text)
        if not (".dist-info/" in path and path.rsplit("/", 1)[-1] in _INSTALL_TIME)
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def record_digest(data: bytes, algo: str) -> str:
    import hashlib

    return base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode()


def _canon(dists: Mapping[str, str]) -> dict[str, str]:
    return {canonicalize_name(k): v for k, v in dists.items()}


def _names(changes: Sequence[Change], what: str) -> str:
    def one(c: Change) -> str:
        if c.locked and c.now:
            return f"{c.name} {c.locked} -> {c.now}"
        return f"{c.name} {c.now or c.locked}"

    if not changes:
        return ""
    shown = ", ".join(one(c) for c in changes[:_SHOWN])
    more = f" and {len(changes) - _SHOWN} more" if len(changes) > _SHOWN else ""
    return f"{what} {shown}{more}"


def compare(
    target: str,
    lock: Mapping[str, Any],
    now: Mapping[str, str],
    *,
    guard: GuardState = GuardState(),
    torch_files: Sequence[str] = (),
    torch_record_fingerprint: str | None = None,
    profile: str | None = None,
) -> Drift:
    """The drift of the environment at ``target`` from its lock, with its findings.

    ``now`` is every installed distribution (name -> version); ``torch_files`` the files of
    torch that no longer match its RECORD; ``torch_record_fingerprint`` is ``record_fingerprint``
    of torch's RECORD today (compared with the guard's, when the guard recorded one).
    """
    locked = _canon(lock.get("installed") or {})
    current = _canon(now)
    added = tuple(Change(name=n, locked=None, now=current[n]) for n in sorted(set(current) - set(locked)))
    removed = tuple(Change(name=n, locked=locked[n], now=None) for n in sorted(set(locked) - set(current)))
    changed = tuple(
        Change(name=n, locked=locked[n], now=current[n])
        for n in sorted(set(locked) & set(current))
        if locked[n] != current[n]
    )
    torch = next((c for c in (*removed, *changed) if c.name == "torch"), None)
    if torch is None and "torch" in current and "torch" not in locked and "torch" in {c.name for c in added}:
        torch = next(c for c in added if c.name == "torch")
    manifest = guard.manifest
    saw = manifest.get("torch_record_fingerprint") if manifest else None
    record_changed = bool(saw and torch_record_fingerprint and saw != torch_record_fingerprint and torch is None)

    where = f"--prefix {target}"
    recreate = f"`envtool install --force-recreate --profile {profile or lock_profile(lock) or 'NAME'} {where}`"
    findings: list[Finding] = []
    if torch is not None or torch_files or record_changed:
        if torch is not None and torch.now is None:
            what = f"torch {torch.locked} (verified by envtool install) is no longer installed"
        elif torch is not None and torch.locked is None:
            what = f"torch {torch.now} was installed after envtool install (the lock has none)"
        elif torch is not None:
            what = (
                f"torch {torch.locked} (verified by envtool install, {_build(torch.locked)}) "
                f"was replaced by {torch.now} ({_build(torch.now)})"
            )
        elif record_changed:
            what = "torch was reinstalled from another wheel since envtool install (its RECORD differs)"
        else:
            shown = ", ".join(torch_files[:_SHOWN]) + (
                f" and {len(torch_files) - _SHOWN} more" if len(torch_files) > _SHOWN else ""
            )
            what = f"{len(torch_files)} file(s) of torch no longer match its RECORD: {shown}"
        findings.append(
            Finding(
                id=TORCH_REPLACED,
                severity=SEVERITY[TORCH_REPLACED],
                message=what,
                fix=f"make a new verified environment: {recreate}; then keep its guard (see `envtool check {where}`)",
            )
        )
    others = [c for c in (*added, *removed, *changed) if c.name != "torch"]
    if others:
        parts = [
            _names([c for c in changed if c.name != "torch"], "changed:"),
            _names([c for c in added if c.name != "torch"], "added:"),
            _names([c for c in removed if c.name != "torch"], "removed:"),
        ]
        findings.append(
            Finding(
                id=ENV_DRIFT,
                severity=SEVERITY[ENV_DRIFT],
                message=f"{len(others)} package(s) differ from envtool-lock.json; " + "; ".join(p for p in parts if p),
                fix=f"if that was not on purpose, {recreate}; `envtool check {where} --json` lists every change",
            )
        )
    verified = bool((lock.get("verification") or {}).get("ok"))
    guard_fix = f"write it again from the lock: `envtool check {where} --write-guard`"
    if manifest is None and verified and "torch" in locked:
        findings.append(
            Finding(
                id=GUARD_REMOVED,
                severity=SEVERITY[GUARD_REMOVED],
                message=f"{target} has no guard: a later pip or uv install may replace its verified torch",
                fix=guard_fix,
            )
        )
    elif manifest is not None and (guard.missing or guard.edited):
        gone = [*(f"{p} (deleted)" for p in guard.missing), *(f"{p} (edited)" for p in guard.edited)]
        findings.append(
            Finding(
                id=GUARD_REMOVED,
                severity=SEVERITY[GUARD_REMOVED],
                message="the guard that keeps the verified torch was removed: " + ", ".join(gone),
                fix=guard_fix + " (or leave it off if you upgrade on purpose)",
            )
        )
    return Drift(
        target=target,
        added=added,
        removed=removed,
        changed=changed,
        torch=torch,
        torch_files=tuple(torch_files),
        torch_record_changed=record_changed,
        guard=guard,
        findings=tuple(findings),
    )


def lock_profile(lock: Mapping[str, Any]) -> str | None:
    prof = lock.get("profile")
    if isinstance(prof, dict):
        name = prof.get("name")
        return name if isinstance(name, str) else None
    return prof if isinstance(prof, str) else None


def guard_state(
    manifest: Mapping[str, Any] | None,
    exists: Mapping[str, bool],
    contents: Mapping[str, str | None],
) -> GuardState:
    """Which of the manifest's files are gone, and which no longer hold their guard part.

    ``exists``/``contents``: for each path the manifest names, whether it is there and its text.
    The constraints file must still hold every pin; pip's site file must still name it; the
    activate script and conda's pinned file must still hold the guard block.
    """
    if manifest is None:
        return GuardState()
    from envtool.guard import BEGIN, CONSTRAINTS_FILE

    missing, edited = [], []
    pins = [str(p) for p in manifest.get("pins") or ()]
    constraints = str(manifest.get("constraints") or "")
    for path in [str(p) for p in manifest.get("files") or ()]:
        if not exists.get(path):
            missing.append(path)
            continue
        text = contents.get(path) or ""
        if path.endswith(CONSTRAINTS_FILE):
            lines = {ln.strip() for ln in text.splitlines()}
            ok = all(p in lines for p in pins)
        elif path.endswith(("pip.conf", "pip.ini")):
            from urllib.parse import quote

            ok = constraints in text or quote(constraints) in text
        else:
            ok = BEGIN in text
        if not ok:
            edited.append(path)
    return GuardState(manifest=manifest, missing=tuple(missing), edited=tuple(edited))


def drift_to_data(d: Drift) -> dict[str, Any]:
    def ch(cs: Sequence[Change]) -> list[dict[str, Any]]:
        return [{"name": c.name, "locked": c.locked, "now": c.now} for c in cs]

    return {
        "target": d.target,
        "clean": d.clean,
        "added": ch(d.added),
        "removed": ch(d.removed),
        "changed": ch(d.changed),
        "torch": None
        if d.torch is None
        else {
            "locked": d.torch.locked,
            "now": d.torch.now,
            "locked_build": variant_of(d.torch.locked),
            "build_now": variant_of(d.torch.now),
        },
        "torch_files_changed": list(d.torch_files),
        "torch_record_changed": d.torch_record_changed,
        "guard": {
            "present": d.guard.manifest is not None,
            "missing": list(d.guard.missing),
            "edited": list(d.guard.edited),
        },
    }

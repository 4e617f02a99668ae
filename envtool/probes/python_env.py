"""The Python environment: interpreter, env kind, installers on PATH, and installed torch.

Torch is read from its metadata and ``torch/version.py`` text, never imported. The target
interpreter is inspected in-process when it is the one running envtool, otherwise by
running ``_pyinspect.py`` with it (a subprocess with a timeout).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from envtool import runner
from envtool.errors import EnvtoolError
from envtool.model import DistInfo, ProbeNote, PythonFacts, ToolInfo, TorchBuild
from envtool.probes import _pyinspect

INSTALLERS = ("pip", "uv", "conda", "mamba", "micromamba")
_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?(?:[.\-+]?[A-Za-z0-9]+)*)")


def facts_from_inspection(raw: Mapping[str, Any]) -> PythonFacts:
    """Turn ``_pyinspect.inspect()`` output into ``PythonFacts`` (pure)."""
    dists = [DistInfo(name=d["name"], version=d["version"], location=d.get("location")) for d in raw.get("dists", ())]
    first: dict[str, DistInfo] = {}
    for d in dists:
        first.setdefault(d.name, d)
    torches = tuple(
        TorchBuild(
            version=str(t["version"]),
            cuda=t.get("cuda") or None,
            hip=t.get("hip") or None,
            debug=t.get("debug"),
            git_version=t.get("git_version"),
            location=t.get("location"),
            cudnn=_cudnn_from_dists(dists),
        )
        for t in raw.get("torch_installs", ())
    )
    # A torch listed in metadata but without version.py (a broken or partial install) still counts.
    if not torches and "torch" in first:
        torches = (TorchBuild(version=first["torch"].version, location=first["torch"].location),)
    user_site = raw.get("user_site")
    user_site_torch = bool(
        user_site and len(torches) > 1 and any(t.location and _same_path(t.location, user_site) for t in torches)
    )
    return PythonFacts(
        executable=raw.get("executable"),
        version=raw.get("version"),
        implementation=raw.get("implementation"),
        env_kind=raw.get("env_kind"),
        env_prefix=raw.get("prefix"),
        conda_env_name=raw.get("conda_env_name"),
        torch=torches[0] if torches else None,
        torch_installs=torches,
        transformers=first["transformers"].version if "transformers" in first else None,
        nvidia_wheels=tuple(d for d in dists if d.name.startswith("nvidia-") and d.name != "nvidia-ml-py"),
        pynvml_dists=tuple(d for d in dists if d.name in ("pynvml", "nvidia-ml-py")),
        user_site_torch=user_site_torch,
    )


def _same_path(a: str, b: str) -> bool:
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except OSError:
        return a == b


def _cudnn_from_dists(dists: list[DistInfo]) -> str | None:
    for d in dists:
        if re.fullmatch(r"nvidia-cudnn-cu\d+", d.name):
            return d.version
    return None


def inspect_python(python: str | None, *, timeout: float = 10.0) -> tuple[dict[str, Any] | None, ProbeNote]:
    """Inspect the given interpreter (None: this one)."""
    start = time.monotonic()
    # Compare the paths as given, not resolved: a venv's python is a symlink to its base
    # interpreter, and the same binary runs another environment from another path.
    if python is None or os.path.abspath(python) == os.path.abspath(sys.executable):
        try:
            raw = _pyinspect.inspect()
        except Exception as exc:  # never let the survey crash the report
            return None, ProbeNote(probe="python", status="error", reason=f"{type(exc).__name__}: {exc}")
        return raw, ProbeNote(probe="python", status="ok", duration_s=time.monotonic() - start)
    # Passed with -c, not by path: a script's own folder would go first on sys.path.
    source = Path(_pyinspect.__file__).read_text(encoding="utf-8")
    try:
        done = runner.capture([python, "-c", source], timeout=timeout)
    except EnvtoolError as exc:
        return None, ProbeNote(probe="python", status="unavailable", reason=str(exc))
    if not done.ok:
        return None, ProbeNote(
            probe="python", status="timeout" if done.timed_out else "error", reason=done.describe_failure(5)
        )
    try:
        raw = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None, ProbeNote(probe="python", status="error", reason=f"{python} printed no JSON")
    return raw, ProbeNote(probe="python", status="ok", duration_s=time.monotonic() - start)


def _conda_meta_version(exe: str, package: str) -> str | None:
    """conda and mamba are Python programs that take ~0.5 s to print their version;
    their own install records it in ``<prefix>/conda-meta/<package>-<version>-<build>.json``."""
    real = Path(os.path.realpath(exe))
    for prefix in (real.parent.parent, real.parent.parent.parent):
        meta = prefix / "conda-meta"
        if meta.is_dir():
            for f in meta.glob(f"{package}-[0-9]*.json"):
                m = re.match(rf"{re.escape(package)}-(\d[^-]*)-", f.name)
                if m:
                    return m.group(1)
    return None


def _tool_version(name: str, path: str, timeout: float) -> str | None:
    if name in ("conda", "mamba"):
        v = _conda_meta_version(path, name)
        if v:
            return v
    try:
        done = runner.capture([path, "--version"], timeout=timeout)
    except EnvtoolError:
        return None
    m = _VERSION.search(done.stdout + " " + done.stderr) if done.ok else None
    return m.group(1) if m else None


def probe_tools(
    env: Mapping[str, str] | None = None, *, timeout: float = 3.0, pip: DistInfo | None = None
) -> tuple[tuple[ToolInfo, ...], ProbeNote]:
    """The installers with their versions, read in parallel.

    ``pip`` is the target interpreter's own pip (``python -m pip``), read from its metadata:
    running ``pip --version`` costs a third of a second. The others are looked up on PATH.
    """
    start = time.monotonic()
    env = os.environ if env is None else env
    path = env.get("PATH", "")
    found = {name: runner.which(name, path=path) for name in INSTALLERS if name != "pip"}
    jobs = {n: p for n, p in found.items() if p}
    with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
        futures = {n: pool.submit(_tool_version, n, p, timeout) for n, p in jobs.items()}
        versions = {n: f.result() for n, f in futures.items()}
    tools = [ToolInfo(name="pip", path=pip.location if pip else None, version=pip.version if pip else None)]
    tools += [ToolInfo(name=n, path=found[n], version=versions.get(n)) for n in INSTALLERS if n != "pip"]
    return tuple(tools), ProbeNote(probe="tools", status="ok", duration_s=time.monotonic() - start)


def probe_python(
    python: str | None = None, env: Mapping[str, str] | None = None, *, timeout: float = 10.0
) -> tuple[PythonFacts, tuple[ProbeNote, ...]]:
    """Survey the target interpreter and the installers on PATH. Never raises."""
    raw, note = inspect_python(python, timeout=timeout)
    facts = facts_from_inspection(raw) if raw else PythonFacts(executable=python)
    pip = None
    if raw:
        pip = next(
            (
                DistInfo(name="pip", version=d["version"], location=d.get("location"))
                for d in raw.get("dists", ())
                if d["name"] == "pip"
            ),
            None,
        )
    tools, tnote = probe_tools(env, pip=pip)
    return dataclasses.replace(facts, tools=tools), (note, tnote)

"""Inspect a Python environment without importing torch. Standard library only.

This file is both imported (for the interpreter envtool runs in) and run by a *target*
interpreter (its source passed with ``-c``), which may be old: keep the syntax plain
(Python 3.6+: signature annotations are quoted, since builtin generics cannot be subscripted there)
and import nothing outside the standard library. It prints one JSON object.
"""

import json
import os
import re
import site
import sys
from typing import Any

_DIST_DIR = re.compile(
    r"^(?P<name>[A-Za-z0-9_.]+?)-(?P<version>[^-]+?)(?:-py[\d.]+)?(?:-[^-]+)?\.(dist-info|egg-info)$"
)
_INTERESTING = re.compile(
    r"^(torch|transformers|pip|pynvml|nvidia[-_].+|triton|pytorch[-_]triton|tokenizers|accelerate|numpy|torchvision|torchaudio)$"
)
_VERSION_PY_FIELDS = ("__version__", "cuda", "hip", "debug", "git_version")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_torch_version_py(text: str) -> "dict[str, Any]":
    """Fields of ``torch/version.py``: ``__version__``, ``cuda``, ``hip``, ``debug``, ``git_version``."""
    out: dict[str, Any] = {}
    for field in _VERSION_PY_FIELDS:
        m = re.search(r"^" + re.escape(field) + r"\s*(?::\s*[^=]+)?=\s*(.+?)\s*$", text, re.M)
        if not m:
            continue
        raw = m.group(1)
        if raw in ("None",):
            out[field] = None
        elif raw in ("True", "False"):
            out[field] = raw == "True"
        else:
            q = re.match(r"""^(['"])(.*)\1$""", raw)
            out[field] = q.group(2) if q else raw
    return out


def _scan_dists(entry: str, everything: bool = False) -> "list[dict[str, Any]]":
    found: list[dict[str, Any]] = []
    try:
        names = os.listdir(entry)
    except OSError:
        return found
    for n in names:
        m = _DIST_DIR.match(n)
        if not m:
            continue
        name = _norm(m.group("name"))
        if everything or _INTERESTING.match(name):
            found.append({"name": name, "version": m.group("version"), "location": entry})
    return found


def _torch_at(entry: str) -> "dict[str, Any] | None":
    vp = os.path.join(entry, "torch", "version.py")
    try:
        with open(vp, "rb") as fh:
            text = fh.read(65536).decode("utf-8", "replace")
    except OSError:
        return None
    fields = parse_torch_version_py(text)
    if not fields.get("__version__"):
        return None
    return {
        "version": fields.get("__version__"),
        "cuda": fields.get("cuda"),
        "hip": fields.get("hip"),
        "debug": fields.get("debug"),
        "git_version": fields.get("git_version"),
        "location": entry,
    }


def _env_kind(prefix: str, base_prefix: str) -> str:
    if os.path.isdir(os.path.join(prefix, "conda-meta")):
        return "conda"
    if prefix != base_prefix or os.path.exists(os.path.join(prefix, "pyvenv.cfg")):
        return "venv"
    return "system"


def inspect(everything: bool = False) -> "dict[str, Any]":
    """Everything about this interpreter's environment that envtool reads without importing torch.

    ``everything``: every distribution, not only the interesting ones (``envtool check``).
    """
    paths = []
    for p in sys.path:
        p = p or os.getcwd()
        if os.path.isdir(p) and p not in paths:
            paths.append(p)
    dists = []
    torches = []
    seen_torch_dirs = set()
    for entry in paths:
        dists.extend(_scan_dists(entry, everything))
        t = _torch_at(entry)
        if t is not None:
            real = os.path.realpath(os.path.join(entry, "torch"))
            if real not in seen_torch_dirs:
                seen_torch_dirs.add(real)
                torches.append(t)
    try:
        user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    except Exception:
        user_site = None
    conda_name = None
    prefix = sys.prefix
    kind = _env_kind(prefix, getattr(sys, "base_prefix", prefix))
    if kind == "conda":
        conda_name = os.path.basename(prefix) if os.path.basename(os.path.dirname(prefix)) == "envs" else "base"
    return {
        "executable": sys.executable,
        "version": "{}.{}.{}".format(*sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "prefix": prefix,
        "env_kind": kind,
        "conda_env_name": conda_name,
        "dists": dists,
        "torch_installs": torches,
        "user_site": user_site,
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(inspect("--all-dists" in sys.argv[1:])))

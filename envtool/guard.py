"""Pure: the installer configuration that keeps a verified torch from being replaced later.

Most lost GPU builds are not picked wrong; they are replaced afterwards: a later
``pip install -r requirements.txt`` or ``pip install some-package`` that depends on torch
resolves torch again against PyPI and swaps the CUDA build for another one (pypa/pip#12902,
pytorch/pytorch#160162). So once ``install`` has verified an environment, the environment's
own installer configuration pins what was verified:

- pip: a constraints file inside the environment, named by the environment's site
  configuration file. pip reads ``<sys.prefix>/pip.conf`` (``pip.ini`` on Windows) for every
  command run by that interpreter, activated or not, venv or conda
  (https://pip.pypa.io/en/stable/topics/configuration/, "Site"). The constraint goes under
  ``[install]``: pip's per-command section overrides ``[global]`` and the site file is read
  last, so it wins over a user or global ``constraint`` (whose files are carried over, so a
  machine-wide cap still holds).
- uv: ``uv pip install`` reads no configuration inside an environment (uv.toml is looked up
  from the working directory upwards, then per user and system:
  https://docs.astral.sh/uv/concepts/configuration-files/), but it honours ``UV_CONSTRAINT``
  (https://docs.astral.sh/uv/reference/environment/). The environment's POSIX ``activate``
  script exports it, and ``deactivate`` restores the previous value.
- conda: ``conda-meta/pinned`` (one match spec a line, ``#`` comments). Torch comes from pip
  here (PyTorch publishes no conda packages any more), so conda is kept from installing its
  own ``pytorch``/``torchvision`` over it, and Python from changing its minor version (which
  would orphan every pip-installed package).

Nothing here touches the disk except ``write_guard``, which writes what ``plan_guard`` decided.
"""

from __future__ import annotations

import configparser
import io
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from packaging.utils import canonicalize_name

from envtool.util import atomic_write_text

CONSTRAINTS_FILE = "envtool-constraints.txt"
MANIFEST_FILE = "envtool-guard.json"
MANIFEST_SCHEMA = "envtool-guard/1"
BEGIN = "# >>> envtool guard >>>"
END = "# <<< envtool guard <<<"

# The packages whose versions are tied to the torch build: torch, its companions and the CUDA
# libraries it loads. ``nvidia-ml-py`` is NVML's binding, not a library torch loads.
_TIED = re.compile(r"^(torch|torchvision|torchaudio|triton|pytorch-triton(-.+)?|nvidia-.+)$")
_NOT_TIED = frozenset({"nvidia-ml-py"})
# conda-forge's names for what pip installed here.
_CONDA_BLOCK = ("pytorch", "torchvision", "torchaudio")


@dataclass(frozen=True, kw_only=True)
class GuardFile:
    """One file the guard writes: its path and its whole new content."""

    path: str
    content: str
    purpose: str


@dataclass(frozen=True, kw_only=True)
class Guard:
    """What the guard pins, the files that hold it, and what it cannot stop."""

    target: str
    pins: tuple[str, ...]
    files: tuple[GuardFile, ...]
    limits: tuple[str, ...]
    lift: str  # how to upgrade on purpose


def guarded_pins(installed: Mapping[str, str], companions: Sequence[str] = ()) -> tuple[str, ...]:
    """``name==version`` for torch, its companions and the ``nvidia-*`` wheels, as installed.

    The exact installed version, local label included (``torch==2.13.0+cpu``): without the
    label a CUDA ``2.13.0`` from another index would satisfy a pin meant for the CPU build.
    ``companions`` (the plan's torch-index pins) count too, whatever their names.
    """
    extra = {canonicalize_name(c.split("==", 1)[0].split("[", 1)[0].strip()) for c in companions}
    pins = {}
    for name, version in installed.items():
        cname = canonicalize_name(name)
        if cname in _NOT_TIED:
            continue
        if _TIED.match(cname) or cname in extra:
            pins[cname] = f"{cname}=={version}"
    return tuple(pins[k] for k in sorted(pins))


def _path_for_installer(path: str) -> str:
    """pip and uv split these settings on whitespace; a path with a space goes as a file URI."""
    if not re.search(r"\s", path):
        return path
    if re.match(r"^[A-Za-z]:[\\/]", path):
        return PureWindowsPath(path).as_uri()
    return PurePosixPath(path).as_uri()


def _join(target: str, name: str, platform: str) -> str:
    return str((PureWindowsPath if platform == "win32" else PurePosixPath)(target, name))


def pip_conf_name(platform: str) -> str:
    return "pip.ini" if platform == "win32" else "pip.conf"


def constraints_text(pins: Sequence[str], lift: str) -> str:
    lines = [
        "# envtool: the versions `envtool install` verified in this environment.",
        "# pip (through pip.conf) and uv (through UV_CONSTRAINT, set by bin/activate) refuse to replace them.",
        f"# To upgrade on purpose: {lift}",
        *pins,
    ]
    return "\n".join(lines) + "\n"


def pip_conf_text(existing: str | None, constraints: Sequence[str], lift: str) -> str:
    """The site ``pip.conf`` with ``[install] constraint`` naming ``constraints`` (others kept)."""
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]  # pip's keys are case-sensitive
    if existing:
        cp.read_string(existing)
    if not cp.has_section("install"):
        cp.add_section("install")
    cp.set("install", "constraint", " ".join(dict.fromkeys(constraints)))
    out = io.StringIO()
    cp.write(out)
    head = (
        "# envtool guard: pip reads this file for every install into this environment; the constraint\n"
        "# keeps the verified torch (envtool-constraints.txt) and carries over the machine's own.\n"
        f"# To upgrade on purpose: {lift}\n"
    )
    return head + out.getvalue().rstrip() + "\n"


def _strip_block(text: str) -> str:
    """``text`` without any envtool guard block (so writing the guard twice changes nothing)."""
    return re.sub(rf"[ \t]*{re.escape(BEGIN)}.*?{re.escape(END)}[ \t]*\n?", "", text, flags=re.S)


def activate_text(existing: str, constraints: str) -> str | None:
    """A POSIX ``activate`` that exports ``UV_CONSTRAINT``; None when its ``deactivate`` is not found.

    Both venv's and uv's templates define ``deactivate () {`` and call ``deactivate
    nondestructive`` first, so the restore goes at the top of that function.
    """
    base = _strip_block(existing)
    m = re.search(r"^deactivate\s*\(\)\s*\{[ \t]*\n", base, re.M)
    if m is None:
        return None
    restore = (
        f"    {BEGIN}\n"
        '    if [ -n "${_ENVTOOL_OLD_UV_CONSTRAINT+x}" ] ; then\n'
        '        if [ -n "$_ENVTOOL_OLD_UV_CONSTRAINT" ] ; then\n'
        '            UV_CONSTRAINT="$_ENVTOOL_OLD_UV_CONSTRAINT"\n'
        "            export UV_CONSTRAINT\n"
        "        else\n"
        "            unset UV_CONSTRAINT\n"
        "        fi\n"
        "        unset _ENVTOOL_OLD_UV_CONSTRAINT\n"
        "    fi\n"
        f"    {END}\n"
    )
    value = _path_for_installer(constraints)
    export = (
        f"\n{BEGIN}\n"
        "# uv reads no configuration inside an environment; UV_CONSTRAINT keeps `uv pip install` from\n"
        "# replacing the verified torch while this environment is active.\n"
        '_ENVTOOL_OLD_UV_CONSTRAINT="${UV_CONSTRAINT-}"\n'
        f'UV_CONSTRAINT="{value}${{UV_CONSTRAINT:+ $UV_CONSTRAINT}}"\n'
        "export UV_CONSTRAINT\n"
        f"{END}\n"
    )
    return base[: m.end()] + restore + base[m.end() :].rstrip("\n") + "\n" + export


def conda_pinned_text(existing: str | None, python_version: str | None) -> str:
    """``conda-meta/pinned`` with the guard's block (the file's other lines kept)."""
    base = _strip_block(existing or "").rstrip("\n")
    lines = [
        BEGIN,
        "# torch here comes from pip; conda must not install its own build over it. Pinned specs only",
        "# constrain what a solve would install, so these block conda's packages of these names.",
        *(f"{name} <0a0" for name in _CONDA_BLOCK),
    ]
    mm = re.match(r"^(\d+)\.(\d+)", python_version or "")
    if mm:
        lines.append("# a new Python minor version would orphan every package pip installed")
        lines.append(f"python {mm.group(1)}.{mm.group(2)}.*")
    lines.append(END)
    return (base + "\n" if base else "") + "\n".join(lines) + "\n"


def lift_hint(target: str) -> str:
    return (
        f"`envtool install --force-recreate --prefix {target} ...` for a new verified environment, "
        f"or lift the guard: delete the `constraint` line of {target}'s pip.conf (pip) and the envtool block "
        "of its bin/activate (uv); pip refuses to run while pip.conf names a constraints file that is gone"
    )


def plan_guard(
    target: str,
    *,
    backend: str,
    platform: str,
    installed: Mapping[str, str],
    companions: Sequence[str] = (),
    inherited_constraints: Sequence[str] = (),
    existing_pip_conf: str | None = None,
    existing_activate: str | None = None,
    existing_pinned: str | None = None,
    python_version: str | None = None,
    torch_record_fingerprint: str | None = None,
) -> Guard:
    """Every file of the guard for the environment at ``target``, with its full content.

    ``inherited_constraints`` are the constraint files pip's user/global configuration names
    today (they would be overridden by the site file otherwise). ``existing_*`` are the current
    contents of the files the guard edits (None: absent).
    """
    pins = guarded_pins(installed, companions)
    lift = lift_hint(target)
    limits: list[str] = []
    files: list[GuardFile] = []
    cpath = _join(target, CONSTRAINTS_FILE, platform)
    files.append(GuardFile(path=cpath, content=constraints_text(pins, lift), purpose="the pins"))
    files.append(
        GuardFile(
            path=_join(target, pip_conf_name(platform), platform),
            content=pip_conf_text(existing_pip_conf, [_path_for_installer(cpath), *inherited_constraints], lift),
            purpose="pip: the site configuration names the pins",
        )
    )
    limits.append("PIP_CONSTRAINT or PIP_CONFIG_FILE=os.devnull in the environment overrides pip.conf")
    if backend == "conda":
        files.append(
            GuardFile(
                path=_join(target, "conda-meta/pinned", platform),
                content=conda_pinned_text(existing_pinned, python_version),
                purpose="conda: pinned specs",
            )
        )
    else:
        new_activate = activate_text(existing_activate, cpath) if existing_activate is not None else None
        if new_activate is None or platform == "win32":
            limits.append("uv: no POSIX activate script to set UV_CONSTRAINT; `uv pip install` is not guarded")
        else:
            files.append(
                GuardFile(
                    path=_join(target, "bin/activate", platform),
                    content=new_activate,
                    purpose="uv: UV_CONSTRAINT while the environment is active",
                )
            )
            limits.append(
                "uv: only while the environment is activated through bin/activate (not `uv pip install --python`)"
            )
    limits.append("`pip uninstall`, other tools writing into site-packages and edits by hand are not stopped")
    manifest = {
        "schema": MANIFEST_SCHEMA,
        "pins": list(pins),
        "files": [f.path for f in files],
        "constraints": cpath,
        "torch_record_fingerprint": torch_record_fingerprint,
        "limits": limits,
    }
    files.append(
        GuardFile(
            path=_join(target, MANIFEST_FILE, platform),
            content=json.dumps(manifest, indent=2) + "\n",
            purpose="what the guard wrote (read by `envtool check`)",
        )
    )
    return Guard(target=target, pins=pins, files=tuple(files), limits=tuple(limits), lift=lift)


def parse_pip_constraints(config_list: str) -> tuple[str, ...]:
    """Constraint files from ``pip config list`` output (``install.`` beats ``global.``; env vars skipped).

    Lines look like ``global.constraint='/etc/xdg/pip/constraints.txt'``.
    """
    found: dict[str, str] = {}
    for line in config_list.splitlines():
        m = re.match(r"^(global|install)\.constraint=(['\"]?)(.*)\2\s*$", line.strip())
        if m:
            found[m.group(1)] = m.group(3)
    value = found.get("install", found.get("global", ""))
    return tuple(value.split())


# --------------------------------------------------------------------------- the shell: reads and writes the env


def write_guard(guard: Guard) -> list[Path]:
    """Write the guard's files, each atomically and keeping its old mode (new ones: 0644)."""
    out = []
    for f in guard.files:
        path = Path(f.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            mode = 0o644  # readable by everyone who shares the environment, as pip's own files are
        atomic_write_text(path, f.content)
        os.chmod(path, mode)
        out.append(path)
    return out


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def torch_record(target: Path) -> Path | None:
    """torch's ``RECORD`` inside the environment (POSIX or Windows layout), if there is one."""
    for pattern in ("lib/python*/site-packages/torch-*.dist-info/RECORD", "Lib/site-packages/torch-*.dist-info/RECORD"):
        for hit in sorted(target.glob(pattern)):
            return hit
    return None


def _fingerprint(record: Path) -> str | None:
    from envtool.drift import record_fingerprint

    text = _read(record)
    return record_fingerprint(text) if text is not None else None


def inherited_pip_constraints(python: str, *, timeout: float = 60.0) -> tuple[str, ...]:
    """The constraint files pip's user and global configuration name for ``python`` today."""
    from envtool import runner
    from envtool.errors import EnvtoolError

    env = {k: v for k, v in os.environ.items() if k != "PIP_CONSTRAINT"}
    try:
        done = runner.capture([python, "-m", "pip", "config", "list"], timeout=timeout, env=env)
    except EnvtoolError:
        return ()
    return parse_pip_constraints(done.stdout) if done.ok else ()


def guard_environment(
    target: Path,
    *,
    backend: str,
    platform: str,
    python: str,
    installed: Mapping[str, str],
    companions: Sequence[str] = (),
    python_version: str | None = None,
) -> Guard:
    """Read what the guard edits, decide its files, write them. Returns the guard written."""
    rec = torch_record(target)
    guard = plan_guard(
        str(target),
        backend=backend,
        platform=platform,
        installed=installed,
        companions=companions,
        inherited_constraints=inherited_pip_constraints(python),
        existing_pip_conf=_read(target / pip_conf_name(platform)),
        existing_activate=_read(target / "bin" / "activate"),
        existing_pinned=_read(target / "conda-meta" / "pinned"),
        python_version=python_version,
        torch_record_fingerprint=_fingerprint(rec) if rec else None,
    )
    write_guard(guard)
    return guard


def after_install(target: Path, plan: Any, python: str, installed: Mapping[str, str]) -> dict[str, Any] | None:
    """The guard of a verified ``install`` (None: the profile installs no torch), as JSON data with a message."""
    if not plan.profile.torch:
        return None
    try:
        g = guard_environment(
            target,
            backend=plan.backend,
            platform=plan.platform,
            python=python,
            installed=installed,
            companions=plan.torch_requirements,
            python_version=plan.profile.python,
        )
    except OSError as exc:
        return {"error": str(exc), "message": f"could not write the guard: {exc}"}
    return {
        "pins": list(g.pins),
        "files": [f.path for f in g.files],
        "limits": list(g.limits),
        "lift": g.lift,
        "message": f"guarded {', '.join(g.pins)}; to upgrade on purpose: {g.lift}",
    }

"""Pure: a profile, a target and a backend -> a ``Plan`` of argv steps, and its exports.

Nothing here runs anything or reads the machine: the caller passes the platform, the base
interpreter and the conda tool. Torch always comes from the profile's torch index through
``--index-url`` (uv: the same option, its explicit default index), never a second, extra index:
with two indexes pip takes the highest version from either, which is how the December 2022
``torchtriton`` package on PyPI shadowed PyTorch's nightly dependency
(https://pytorch.org/blog/compromised-nightly-dependency/). So torch and the other packages
are installed in two steps, each with exactly one index.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from envtool.errors import BadInputError
from envtool.model import Profile, to_jsonable

BACKENDS = ("venv", "uv", "conda")
CONDA_TOOLS = ("conda", "mamba", "micromamba")
FORMATS = ("text", "json", "sh", "environment.yml", "requirements.txt", "uv-project", "pixi", "dockerfile")


@dataclass(frozen=True, kw_only=True)
class Step:
    """One command of a plan. ``stage`` is ``create``, ``torch`` or ``packages``."""

    argv: tuple[str, ...]
    reason: str
    stage: str


@dataclass(frozen=True, kw_only=True)
class Plan:
    profile: Profile
    backend: str
    tool: str  # the program of the create step: a python, "uv", "conda", "mamba", "micromamba"
    prefix: str | None  # the environment's directory (None: a conda env by name)
    name: str | None  # conda env name (or the name a venv's prefix was derived from)
    python: str  # the new environment's interpreter ("python" inside `conda run -n NAME`)
    groups: tuple[str, ...]
    torch_requirements: tuple[str, ...]  # from torch's index
    requirements: tuple[str, ...]  # from the default index (or its mirror)
    torch_index: str | None  # None: the installer's configured default
    index: str | None
    platform: str
    steps: tuple[Step, ...]
    # What the index would install for the torch step (envtool.resolve), and the pins it gave:
    # (name, version as the index names it, sha256 of the wheel).
    resolution: dict[str, Any] | None = None
    lock: tuple[tuple[str, str, str | None], ...] = ()


def env_python(prefix: str, platform: str) -> str:
    """The interpreter inside an environment directory."""
    if platform == "win32":
        return str(PureWindowsPath(prefix) / "Scripts" / "python.exe")
    return str(PurePosixPath(prefix) / "bin" / "python")


def torch_index_for(profile: Profile, platform: str) -> str | None:
    """Torch's index on ``platform``: the profile's own where it applies, else the default (mirror)."""
    if profile.torch_index and (not profile.torch_index_platforms or platform in profile.torch_index_platforms):
        return profile.torch_index
    return profile.index


def index_args(url: str | None) -> list[str]:
    """Installer options for exactly one index: ``--index-url`` (https), or a local wheelhouse."""
    if url is None:
        return []
    if url.startswith("file://"):
        # A local wheelhouse is a flat folder of wheels: no index at all, only that folder.
        return ["--no-index", "--find-links", url]
    return ["--index-url", url]


def requirements_for(profile: Profile, groups: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(torch's pins, the other pins) for the profile and the chosen optional groups."""
    known = dict(profile.groups)
    for g in groups:
        if g not in known:
            raise BadInputError(f"profile {profile.name} has no group '{g}'; its groups: {', '.join(known) or 'none'}")
    if profile.torch:
        torch: tuple[str, ...] = (f"torch=={profile.torch}", *profile.torch_packages)
    elif profile.torch_range:
        torch = (f"torch{profile.torch_range}", *profile.torch_packages)
    else:
        torch = ()
    rest = list(profile.packages)
    for g in groups:
        rest += [r for r in known[g] if r not in rest]
    return torch, tuple(rest)


def build_plan(
    profile: Profile,
    *,
    backend: str = "venv",
    prefix: str | None = None,
    name: str | None = None,
    envs_dir: str | None = None,
    groups: Sequence[str] = (),
    platform: str = "linux",
    base_python: str | None = None,
    conda_tool: str = "conda",
) -> Plan:
    """The steps that make a NEW environment for ``profile``.

    ``prefix`` or ``name`` picks the target; for venv/uv a name means ``envs_dir/NAME``.
    ``base_python`` creates a venv (default ``python3.X`` of the profile). Raises
    ``BadInputError`` for a bad combination.
    """
    if backend not in BACKENDS:
        raise BadInputError(f"unknown backend '{backend}'; use one of: {', '.join(BACKENDS)}")
    if prefix and name:
        raise BadInputError("give --prefix DIR or --name NAME, not both")
    if conda_tool not in CONDA_TOOLS:
        raise BadInputError(f"unknown conda tool '{conda_tool}'; use one of: {', '.join(CONDA_TOOLS)}")
    name = name if prefix is None else None
    if prefix is None and name is None:
        name = profile.name
    if backend != "conda" and prefix is None:
        if not envs_dir:
            raise BadInputError(
                "--name needs a directory for named environments (ENVTOOL_ENVS_DIR); or give --prefix DIR"
            )
        prefix = str(PurePosixPath(envs_dir) / name) if platform != "win32" else str(PureWindowsPath(envs_dir) / name)  # type: ignore[operator]
    pyver = profile.python or "3"
    torch_reqs, reqs = requirements_for(profile, groups)
    t_index = torch_index_for(profile, platform)
    steps: list[Step] = []

    if backend == "conda":
        where = ["--prefix", prefix] if prefix else ["--name", name or ""]
        channels = [a for ch in (profile.conda_channels or ("conda-forge",)) for a in ("-c", ch)]
        tool = conda_tool
        steps.append(
            Step(
                argv=(tool, "create", "--yes", *where, "--override-channels", *channels, f"python={pyver}", "pip"),
                reason=f"a new conda environment with Python {pyver} and pip from "
                f"{', '.join(profile.conda_channels or ('conda-forge',))} only (PyTorch publishes no conda packages "
                "any more)",
                stage="create",
            )
        )
        capture = [] if tool == "micromamba" else ["--no-capture-output"]  # stream pip's output live
        pip = [tool, "run", *where, *capture, "python", "-m", "pip", "install", "--no-input"]
        python = env_python(prefix, platform) if prefix else "python"
    else:
        assert prefix is not None
        python = env_python(prefix, platform)
        if backend == "venv":
            tool = base_python or f"python{pyver}"
            steps.append(
                Step(
                    argv=(tool, "-m", "venv", prefix),
                    reason=f"a new virtual environment with Python {pyver} (stdlib venv; pip comes with it)",
                    stage="create",
                )
            )
            pip = [python, "-m", "pip", "install", "--no-input"]
        else:
            tool = "uv"
            steps.append(
                Step(
                    argv=("uv", "venv", "--python", base_python or pyver, prefix),
                    reason=f"a new virtual environment with Python {pyver} (uv)",
                    stage="create",
                )
            )
            pip = ["uv", "pip", "install", "--python", python]
    if torch_reqs:
        src = t_index or "the installer's configured default index"
        steps.append(
            Step(
                argv=(*pip, *torch_reqs, *index_args(t_index)),
                reason=f"torch {profile.torch or profile.torch_range} ({profile.variant}) from {src} only "
                "(--index-url: one index, never an extra one)",
                stage="torch",
            )
        )
    if reqs:
        src = profile.index or "the installer's configured default index"
        what = "the profile's packages" + (f" and group(s) {', '.join(groups)}" if groups else "")
        steps.append(
            Step(argv=(*pip, *reqs, *index_args(profile.index)), reason=f"{what} from {src}", stage="packages")
        )
    return Plan(
        profile=profile,
        backend=backend,
        tool=tool,
        prefix=prefix,
        name=name,
        python=python,
        groups=tuple(groups),
        torch_requirements=torch_reqs,
        requirements=reqs,
        torch_index=t_index,
        index=profile.index,
        platform=platform,
        steps=tuple(steps),
    )


def with_resolution(plan: Plan, resolution: dict[str, Any], pins: Sequence[tuple[str, str, str | None]]) -> Plan:
    """The plan with the index's answer recorded; resolved pins replace the torch step's requirements.

    A range (``torch>=2.13,<2.16``) becomes the exact version the check found (local tag kept:
    ``torch==2.13.0+cpu``), so the install gets what was checked. ``pins`` may hold the step's
    dependencies too (and a package once per wheel file): all go into ``lock``, only the packages
    the step names are pinned in its command.
    """
    if not pins:
        return dataclasses.replace(plan, resolution=resolution)
    from packaging.utils import canonicalize_name

    named = {canonicalize_name(_req_name(r)) for r in plan.torch_requirements}
    exact = tuple(dict.fromkeys(f"{name}=={version}" for name, version, _ in pins if canonicalize_name(name) in named))
    steps = tuple(
        dataclasses.replace(s, argv=_swap(s.argv, plan.torch_requirements, exact)) if s.stage == "torch" else s
        for s in plan.steps
    )
    return dataclasses.replace(plan, resolution=resolution, lock=tuple(pins), torch_requirements=exact, steps=steps)


def _req_name(req: str) -> str:
    from packaging.requirements import Requirement

    return Requirement(req).name


def _swap(argv: tuple[str, ...], old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    out = [a for a in argv if a not in old]
    at = next((i for i, a in enumerate(argv) if a in old), len(out))
    return (*out[:at], *new, *out[at:])


# --------------------------------------------------------------------------- exports


def plan_to_data(plan: Plan) -> dict[str, Any]:
    """The plan as JSON data (``plan --format json`` and the envelope's ``data.plan``)."""
    data: dict[str, Any] = to_jsonable(plan)
    data["profile"] = plan.profile.name
    data["steps"] = [{"argv": list(s.argv), "reason": s.reason, "stage": s.stage} for s in plan.steps]
    return data


def to_text(plan: Plan) -> str:
    """Numbered steps, each with its reason and its command."""
    target = plan.prefix or f"conda env '{plan.name}'"
    lines = [f"Plan: profile {plan.profile.name} with {plan.backend} into {target}"]
    for i, s in enumerate(plan.steps, 1):
        lines.append(f"{i}. {s.reason}")
        lines.append("   " + shlex.join(s.argv))
    return "\n".join(lines) + "\n"


def to_sh(plan: Plan) -> str:
    """A POSIX shell script of the steps (stops at the first failure)."""
    lines = ["#!/bin/sh", f"# envtool plan: profile {plan.profile.name}, backend {plan.backend}", "set -eu"]
    for s in plan.steps:
        lines.append(f"# {s.reason}")
        lines.append(shlex.join(s.argv))
    return "\n".join(lines) + "\n"


def _torch_note(plan: Plan, prefix: str) -> list[str]:
    """Header lines for exports that cannot hold torch's own index beside the default one."""
    if not plan.torch_requirements or plan.torch_index == plan.index:
        return []
    cmd = shlex.join(["pip", "install", *plan.torch_requirements, *index_args(plan.torch_index)])
    return [
        f"{prefix}torch comes from its own index, and one requirements list can name only one index",
        f"{prefix}(an extra index would let another one shadow it: dependency confusion). Install it first:",
        f"{prefix}  {cmd}",
    ]


def _export_reqs(plan: Plan) -> list[str]:
    same = plan.torch_index == plan.index
    return [*(plan.torch_requirements if same else ()), *plan.requirements]


def to_requirements_txt(plan: Plan) -> str:
    """A pip requirements file with the exact pins (torch included when it shares the index)."""
    lines = [f"# envtool profile {plan.profile.name}: exact pins for Python {plan.profile.python or '3'}"]
    lines += _torch_note(plan, "# ")
    lines += index_args(plan.index) and [" ".join(index_args(plan.index))]
    lines += _export_reqs(plan)
    return "\n".join(lines) + "\n"


def to_environment_yml(plan: Plan) -> str:
    """A conda environment file: Python and pip from the profile's channels, the pins through pip."""
    lines = [f"# envtool profile {plan.profile.name}"]
    lines += _torch_note(plan, "# ")
    if plan.prefix and plan.backend == "conda":
        lines.append(f"prefix: {json.dumps(plan.prefix)}")
    else:
        lines.append(f"name: {json.dumps(plan.name or plan.profile.name)}")
    lines.append("channels:")
    lines += [f"  - {json.dumps(ch)}" for ch in (plan.profile.conda_channels or ("conda-forge",))]
    lines.append("  - nodefaults")  # only the listed channels, as --override-channels does
    lines.append("dependencies:")
    lines.append(f"  - python={plan.profile.python or '3'}")
    lines.append("  - pip")
    pip_lines = [" ".join(index_args(plan.index))] if plan.index else []
    pip_lines += _export_reqs(plan)
    if pip_lines:
        lines.append("  - pip:")
        lines += [f"    - {json.dumps(r)}" for r in pip_lines]
    return "\n".join(lines) + "\n"


def render(plan: Plan, fmt: str) -> str:
    """The plan in one of ``FORMATS``."""
    if fmt == "text":
        return to_text(plan)
    if fmt == "json":
        return json.dumps(plan_to_data(plan), indent=2) + "\n"
    if fmt == "sh":
        return to_sh(plan)
    if fmt in ("requirements.txt", "uv-project", "pixi", "dockerfile"):
        from envtool import export  # the lab-tooling exports (and the hashed requirements file)

        return export.render(plan, fmt)
    if fmt == "environment.yml":
        return to_environment_yml(plan)
    raise BadInputError(f"unknown format '{fmt}'; use one of: {', '.join(FORMATS)}")

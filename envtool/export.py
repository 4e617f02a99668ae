"""Pure: a ``Plan`` as the lab's own tooling writes it: a uv project, a pixi workspace, a Dockerfile,
a hashed requirements file. ``plan --format`` prints them.

Each export keeps the plan's one rule: torch comes from torch's own index and nothing else does
(an extra index would let a package of the same name elsewhere shadow it). uv and pixi can say
that per package (``explicit = true`` / a per-package ``index``); a Dockerfile runs the plan's
two pip steps. Every export starts with the lines it cannot express, as comments.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from envtool.plan import Plan, index_args

FORMATS = ("uv-project", "pixi", "dockerfile")
# sys.platform -> pixi's platform names (by machine architecture).
_PIXI_PLATFORMS = {
    ("linux", "x86_64"): "linux-64",
    ("linux", "aarch64"): "linux-aarch64",
    ("darwin", "arm64"): "osx-arm64",
    ("darwin", "x86_64"): "osx-64",
    ("win32", "x86_64"): "win-64",
    ("win32", "amd64"): "win-64",
}


def _q(s: str) -> str:
    """A TOML basic string (JSON's escaping is a subset TOML accepts)."""
    return json.dumps(s)


def _name(req: str) -> str:
    return canonicalize_name(Requirement(req).name)


def _header(plan: Plan, what: str, cannot: Sequence[str]) -> list[str]:
    p = plan.profile
    torch = f"torch {p.torch} ({p.variant})" if p.torch else "no torch"
    lines = [f"# envtool profile {p.name}: {torch}, Python {p.python or '3'} -- {what}"]
    if cannot:
        lines.append("# What this file cannot express:")
        lines += [f"#   - {c}" for c in cannot]
    return lines


def _driver_note(plan: Plan) -> list[str]:
    p = plan.profile
    if not p.is_gpu:
        return []
    floor = f" >= {p.min_driver}" if p.min_driver else ""
    return [
        f"the NVIDIA driver{floor} (CUDA {p.cuda}) and the GPUs' compute capability: check them with `envtool detect`"
    ]


def _local_index(url: str) -> bool:
    return url.startswith("file://")


def _index_name(plan: Plan) -> str:
    return f"pytorch-{plan.profile.variant}"


def _platform_marker(plan: Plan) -> str | None:
    plats = plan.profile.torch_index_platforms
    if not plats or not plan.torch_index or plan.torch_index == plan.index:
        return None
    return " or ".join(f"sys_platform == '{pl}'" for pl in plats)


# --------------------------------------------------------------------------- uv project


def _torch_dependencies(plan: Plan, marker: str | None) -> list[str]:
    """The torch step's requirements; a resolved local build (``==2.13.0+cpu``) only where torch's index serves it.

    Elsewhere (the default index, e.g. macOS for the cpu profile) the same release without the local label.
    """
    if not marker:
        return list(plan.torch_requirements)
    others = " and ".join(f"sys_platform != '{pl}'" for pl in plan.profile.torch_index_platforms)
    out: list[str] = []
    for req in plan.torch_requirements:
        if "+" in req:
            out += [f"{req}; {marker}", f"{req.split('+', 1)[0]}; {others}"]
        else:
            out.append(req)
    return out


def to_uv_project(plan: Plan) -> str:
    """The ``pyproject.toml`` tables of a uv project that locks and syncs the profile's torch."""
    p = plan.profile
    own_index = bool(plan.torch_requirements and plan.torch_index and plan.torch_index != plan.index)
    marker = _platform_marker(plan)
    cannot = [
        *_driver_note(plan),
        "that nothing replaces torch later: `uv sync` restores the locked versions; `uv pip install` into the "
        "project's environment is not held by uv.lock",
    ]
    lines = _header(plan, "the tables of a uv project's pyproject.toml (`uv lock && uv sync`)", cannot)
    lines.append("# Merge them into the project's pyproject.toml; [project] name and version stay the project's own.")
    lines.append("[project]")
    if p.python:
        lines.append(f"requires-python = {_q(f'=={p.python}.*')}")
    lines.append("dependencies = [")
    lines += [f"    {_q(r)}," for r in (*_torch_dependencies(plan, marker if own_index else None), *plan.requirements)]
    lines.append("]")
    if plan.index:
        lines += ["", "[[tool.uv.index]]", 'name = "default"', f"url = {_q(plan.index)}", "default = true"]
        if _local_index(plan.index):
            lines.append('format = "flat"')
    if own_index:
        assert plan.torch_index is not None
        lines += ["", "[[tool.uv.index]]", f"name = {_q(_index_name(plan))}", f"url = {_q(plan.torch_index)}"]
        if _local_index(plan.torch_index):
            lines.append('format = "flat"  # a folder of wheels, not a simple index')
        lines.append("explicit = true  # only the packages named in [tool.uv.sources] come from it")
        lines += ["", "[tool.uv.sources]"]
        source = f"index = {_q(_index_name(plan))}" + (f", marker = {_q(marker)}" if marker else "")
        for req in plan.torch_requirements:
            lines.append(f"{_name(req)} = [{{ {source} }}]")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- pixi


def pixi_platform(platform: str, arch: str | None) -> str | None:
    return _PIXI_PLATFORMS.get((platform, (arch or "x86_64").lower()))


def to_pixi(plan: Plan, *, arch: str | None = None) -> str:
    """A ``pixi.toml``: Python from the profile's channels, torch and the pins from PyPI indexes."""
    p = plan.profile
    plat = pixi_platform(plan.platform, arch)
    cannot = [*_driver_note(plan)]
    if plat is None:
        cannot.append(f"a pixi platform for {plan.platform}/{arch or '?'}: add it to `platforms` by hand")
    if p.is_gpu:
        cannot.append(
            "pixi checks `system-requirements.cuda` against the machine's driver (the __cuda virtual package); "
            "on a build host without a GPU set CONDA_OVERRIDE_CUDA"
        )
    lines = _header(plan, "a pixi workspace (`pixi install`)", cannot)
    lines += ["[workspace]", f"name = {_q('envtool-' + p.name)}"]
    lines.append("channels = [" + ", ".join(_q(c) for c in (p.conda_channels or ("conda-forge",))) + "]")
    lines.append("platforms = [" + (_q(plat) if plat else "") + "]")
    if p.is_gpu and p.cuda:
        # The CUDA line of the build; newer pixi also takes it per platform ({ platform = ..., cuda = ... }).
        major_minor = ".".join(p.cuda.split(".")[:2])
        lines += ["", "[system-requirements]", f"cuda = {_q(major_minor)}"]
    separate = bool(plan.torch_requirements and plan.torch_index and plan.torch_index != plan.index)
    torch_local = separate and _local_index(plan.torch_index or "")
    if torch_local:
        cannot.append(
            "a folder of wheels as one package's index: torch's folder is in find-links, open to every package"
        )
    lines += ["", "[dependencies]", f"python = {_q((p.python or '3') + '.*')}"]
    links = [u for u in (plan.index, plan.torch_index if torch_local else None) if u and _local_index(u)]
    options = []
    if plan.index and not _local_index(plan.index):
        options.append(f"index-url = {_q(plan.index)}")
    if links:
        options.append("find-links = [" + ", ".join(f"{{ url = {_q(u)} }}" for u in links) + "]")
    if options:
        lines += ["", "[pypi-options]", *options]
    lines += ["", "[pypi-dependencies]"]
    own_index = separate and not torch_local
    for req in plan.torch_requirements:
        r = Requirement(req)
        spec = str(r.specifier)
        if own_index:
            assert plan.torch_index is not None
            lines.append(f"{_name(req)} = {{ version = {_q(spec)}, index = {_q(plan.torch_index)} }}")
        else:
            lines.append(f"{_name(req)} = {_q(spec)}")
    for req in plan.requirements:
        r = Requirement(req)
        lines.append(f"{_name(req)} = {_q(str(r.specifier) or '*')}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- Dockerfile


def to_dockerfile(plan: Plan) -> str:
    """A Dockerfile: a plain Python base (PyTorch's wheels bring their own CUDA libraries), the plan's pip steps.

    The pins of torch and its companions are written to a constraints file that ``PIP_CONSTRAINT``
    names, so a later ``pip install`` in a derived image cannot replace them (envtool's guard).
    """
    p = plan.profile
    cannot = [
        *_driver_note(plan),
        "the GPUs at run time: start the container with `docker run --gpus all` (NVIDIA Container Toolkit on the host)",
    ]
    if plan.platform != "linux":
        cannot.append(f"a {plan.platform} image: the file follows the plan, whose platform is {plan.platform}")
    lines = _header(plan, "a Dockerfile (`docker build .`)", cannot)
    lines.append(
        "# PyTorch's wheels carry the CUDA runtime libraries they need (the nvidia-* wheels), so a plain Python"
    )
    lines.append("# image is enough; a CUDA base image would add a second CUDA beside them.")
    lines.append(f"FROM python:{p.python or '3'}-slim")
    lines.append("ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1")
    pip = ["python", "-m", "pip", "install", "--no-input"]
    if plan.torch_requirements:
        lines.append(f"# torch {p.torch} ({p.variant}) from {plan.torch_index or 'the default index'} only")
        lines.append("RUN " + shlex.join([*pip, *plan.torch_requirements, *index_args(plan.torch_index)]))
        names = "|".join(re.escape(_name(r)) for r in plan.torch_requirements)
        lines.append("# the guard: later installs in this image (and images built FROM it) keep these versions")
        lines.append(
            "RUN python -m pip freeze | grep -iE "
            + shlex.quote(f"^({names}|triton|nvidia-[a-z0-9-]+)==")
            + " > /etc/envtool-constraints.txt"
        )
        lines.append("ENV PIP_CONSTRAINT=/etc/envtool-constraints.txt")
    if plan.requirements:
        lines.append(f"# the profile's packages from {plan.index or 'the default index'}")
        lines.append("RUN " + shlex.join([*pip, *plan.requirements, *index_args(plan.index)]))
    if p.torch:
        lines.append('CMD ["python", "-c", "import torch; print(torch.__version__, torch.cuda.is_available())"]')
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- requirements.txt with hashes


def plan_hashes(plan: Plan) -> Mapping[str, Sequence[str]]:
    """The hashes the index resolution recorded (``Plan.lock``): canonical name -> ``sha256:<hex>`` (empty: none)."""
    out: dict[str, list[str]] = {}
    for name, _version, digest in getattr(plan, "lock", ()) or ():
        if not isinstance(digest, str):
            continue
        h = digest if ":" in digest else f"sha256:{digest}"
        if re.fullmatch(r"sha(256|384|512):[0-9a-f]+", h):
            out.setdefault(canonicalize_name(str(name)), []).append(h)
    return out


def torch_step_dependencies(plan: Plan) -> list[str]:
    """``name==version`` of each package the resolution found the torch step installs beyond the ones it names."""
    named = {_name(r) for r in plan.torch_requirements}
    rows = sorted((canonicalize_name(str(name)), version) for name, version, _ in plan.lock)
    return list(dict.fromkeys(f"{name}=={version}" for name, version in rows if name not in named))


def to_requirements_txt(plan: Plan, hashes: Mapping[str, Sequence[str]] | None = None) -> str:
    """The plan's requirements file, with ``--hash`` options where the resolution gave hashes.

    pip's hash-checking mode is all or nothing: once one line has a hash every requirement,
    dependencies included, must have one. So when the file holds the torch step, the step's
    dependencies as the resolution found them (``Plan.lock``) are written too, and the hashes are
    written only when every line has them; otherwise the file says which pins have none.
    """
    from envtool.plan import to_requirements_txt as plain

    hashes = plan_hashes(plan) if hashes is None else hashes
    text = plain(plan)
    pins = [ln for ln in text.splitlines() if ln and not ln.startswith(("#", "-"))]
    if not pins:
        return text
    torch_here = bool(plan.torch_requirements) and any(r in pins for r in plan.torch_requirements)
    deps = torch_step_dependencies(plan) if torch_here else []
    missing = [pin for pin in (*pins, *deps) if _name(pin) not in hashes]
    if missing:
        why = "the plan carries no hashes" if not hashes else f"no hashes for {', '.join(missing)}"
        return text + f"# no --hash lines: {why} (pip's hash-checking needs every requirement hashed)\n"

    def hashed(pin: str) -> str:
        return f"{pin} \\\n    " + " ".join(f"--hash={h}" for h in hashes[_name(pin)])

    out = [hashed(ln) if ln in pins else ln for ln in text.splitlines()]
    if deps:
        out.append("# what the torch step installs with it, as the index resolved it")
        out += [hashed(d) for d in deps]
    if plan.requirements:
        out.append(
            "# the dependencies of the profile's packages need hashes too: `pip install --require-hashes` refuses any "
            "without"
        )
    return "\n".join(out) + "\n"


def render(plan: Plan, fmt: str, *, arch: str | None = None) -> str:
    """One of ``FORMATS`` (and the hashed ``requirements.txt``)."""
    if fmt == "uv-project":
        return to_uv_project(plan)
    if fmt == "pixi":
        return to_pixi(plan, arch=arch)
    if fmt == "dockerfile":
        return to_dockerfile(plan)
    if fmt == "requirements.txt":
        return to_requirements_txt(plan)
    raise ValueError(fmt)


def render_any(plan: Plan, fmt: str, *, arch: str | None = None) -> str:
    """Any ``plan --format``: these exports, or the plan's own formats. ``arch`` None: this machine's."""
    import platform as _platform

    from envtool.plan import render as plan_render

    if fmt in FORMATS:
        return render(plan, fmt, arch=arch or _platform.machine())
    return plan_render(plan, fmt)

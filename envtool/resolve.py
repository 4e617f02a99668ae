"""Ask the installer what it would really install for a plan's torch step, before installing.

The knowledge tables can never be fully current, and an index (a mirror, a proxy, the default
index) may hold another build than the profile names. So the torch requirements of a plan are
resolved, dependencies included, by the installer that will run the torch step, with the plan's
one index, the target Python and the target platform:

- pip (the venv and conda backends): ``pip install --dry-run --report -`` (``--target`` to a
  throw-away folder, which pip needs for ``--platform``; nothing is downloaded beyond metadata
  and nothing is installed);
- uv (the uv backend; uv reads its own configuration, not pip's, so pip's answer could differ):
  ``uv pip compile --format pylock.toml --generate-hashes`` with ``--python-platform``.

From the answer this module reads the torch wheel chosen and its variant: the ``+cpu`` /
``+cuXXX`` local tag, or for an untagged wheel the CUDA line of its ``nvidia-*`` /
``cuda-toolkit`` requirements (pip: markers evaluated for the target platform; uv: the CUDA
packages the resolution holds), none meaning a CPU build. Every wheel of the resolution, torch's
dependencies included, comes back with its sha256, so the plan can pin and hash the whole step.

The subprocess goes through :mod:`envtool.runner`; the reading of the report is pure
(:func:`read_report`). Results are cached per index, requirements, platform and Python for the
life of the process and on disk for an hour (``ENVTOOL_CACHE_DIR``, else the user cache).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from envtool import knowledge
from envtool.util import release_tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10, where pyproject.toml brings tomli (the type-check venv has none)
    import tomli as tomllib  # type: ignore[import-not-found]

TIMEOUT_S = 120.0
INSTALLERS = ("pip", "uv")
CACHE_TTL_S = 3600.0
MAX_TRIES = 4  # a range: versions whose wheel has another variant are excluded and resolved again


def _manylinux(arch: str) -> tuple[str, ...]:
    """manylinux_2_28 down to manylinux_2_17, then the legacy aliases.

    pip does not widen a ``--platform manylinux_2_28_*`` to the older glibc levels (it widens
    only ``manylinux2014``/``manylinux2010``), and torch's CUDA 13 dependencies are
    ``manylinux_2_27`` wheels: each level is named.
    """
    return (*(f"manylinux_2_{n}_{arch}" for n in range(28, 16, -1)), f"manylinux2014_{arch}", f"linux_{arch}")


# The wheel platform tags pip is asked to accept for each platform (newest manylinux first).
PIP_PLATFORMS: dict[str, tuple[str, ...]] = {
    "linux-x86_64": _manylinux("x86_64"),
    "linux-aarch64": _manylinux("aarch64"),
    "win-amd64": ("win_amd64",),
    "macos-arm64": ("macosx_14_0_arm64", "macosx_13_0_arm64", "macosx_12_0_arm64", "macosx_11_0_arm64"),
}
# uv's --python-platform for each platform (the manylinux level of PyTorch's current Linux wheels).
UV_PLATFORMS: dict[str, str] = {
    "linux-x86_64": "x86_64-manylinux_2_28",
    "linux-aarch64": "aarch64-manylinux_2_28",
    "win-amd64": "x86_64-pc-windows-msvc",
    "macos-arm64": "aarch64-apple-darwin",
}
# PEP 508 marker values of each platform, to read a wheel's requirements as that platform would.
_MARKERS: dict[str, dict[str, str]] = {
    "linux-x86_64": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
    },
    "linux-aarch64": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "aarch64",
        "os_name": "posix",
    },
    "win-amd64": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64", "os_name": "nt"},
    "macos-arm64": {
        "sys_platform": "darwin",
        "platform_system": "Darwin",
        "platform_machine": "arm64",
        "os_name": "posix",
    },
}

_LOCAL = re.compile(r"\+(cpu|cu\d{2,3}|rocm[\d.]+|xpu)\b", re.IGNORECASE)
_CU_NAME = re.compile(r"^nvidia-[a-z0-9-]+-cu(\d+)$")


@dataclass(frozen=True, kw_only=True)
class Wheel:
    name: str
    version: str  # as the index names it, local tag included ("2.13.0+cpu")
    url: str
    sha256: str | None


@dataclass(frozen=True, kw_only=True)
class Resolution:
    """What the index would install. ``status``: ok, mismatch, unavailable, failed or skipped."""

    status: str
    message: str
    index: str | None  # None: the installer's configured default index
    platform: str
    python: str
    torch: Wheel | None = None
    variant: str | None = None  # "cpu", "cu130"
    cuda: str | None = None  # "13.0"; None for a CPU build
    wheels: tuple[Wheel, ...] = ()
    excluded: tuple[str, ...] = ()  # versions of a range skipped because their wheel had another variant
    installer: str = "pip"  # who was asked: "pip" or "uv"
    deps: bool = True  # whether ``wheels`` holds the dependencies of the torch step too
    cached: bool = False

    @property
    def refused(self) -> bool:
        return self.status in ("mismatch", "unavailable")


# --------------------------------------------------------------------------- pure parts


def index_label(index: str | None, installer: str = "pip") -> str:
    """How a message names an index; uv's default is its own (uv does not read pip's configuration)."""
    if index is None:
        return "uv's default index" if installer == "uv" else "the default index"
    return f"index {index}"


def build_text(variant: str | None, cuda: str | None) -> str:
    """'a CPU build' / 'a CUDA 13.0 build' / 'a rocm6.4 build'."""
    if variant == "cpu" or (variant is None and cuda is None):
        return "a CPU build"
    if cuda:
        return f"a CUDA {cuda} build"
    return f"a {variant} build"


def wheel_variant(metadata: Mapping[str, Any], platform: str, python: str = "3.11") -> tuple[str, str | None]:
    """(variant, CUDA line) of a torch wheel from its report metadata.

    The local tag wins ("2.13.0+cu130" -> ("cu130", "13.0")); an untagged wheel is judged by the
    CUDA packages it requires on ``platform``: ``cuda-toolkit==13.0.3`` -> 13.0,
    ``nvidia-cuda-runtime-cu12==12.8.90`` -> 12.8, another ``nvidia-*-cu12`` -> 12 (minor
    unknown); none -> ("cpu", None).
    """
    version = str(metadata.get("version", ""))
    m = _LOCAL.search(version)
    if m:
        tag = m.group(1).lower()
        if tag.startswith("cu"):
            digits = tag[2:]
            return tag, f"{digits[:-1]}.{digits[-1]}"
        return tag, None
    from packaging.requirements import InvalidRequirement, Requirement

    env = {**_MARKERS.get(platform, {}), "python_version": python, "python_full_version": f"{python}.0"}
    majors: list[str] = []
    for text in metadata.get("requires_dist") or ():
        try:
            req = Requirement(str(text))
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        name = req.name.lower().replace("_", "-")
        pinned = next((s.version for s in req.specifier if s.operator in ("==", "===")), None)
        if name == "cuda-toolkit" and pinned:
            parts = release_tuple(pinned)
            if parts:
                return f"cu{parts[0]}{parts[1]}", f"{parts[0]}.{parts[1]}"
        if name.startswith("nvidia-cuda-runtime-cu") and pinned:
            parts = release_tuple(pinned)
            if parts:
                return f"cu{parts[0]}{parts[1]}", f"{parts[0]}.{parts[1]}"
        cu = _CU_NAME.match(name)
        if cu:
            majors.append(cu.group(1))
    if majors:
        major = max(majors, key=int)
        return f"cu{major}", major
    return "cpu", None


def variant_matches(want: str, got: str, cuda: str | None) -> bool:
    """Whether the resolved build is the profile's: same tag, or same CUDA line for an untagged wheel."""
    if want == got:
        return True
    tv = knowledge.torch_variant(want)
    return bool(tv and tv.cuda and cuda and (cuda == tv.cuda or (cuda.isdigit() and tv.cuda.split(".")[0] == cuda)))


def _judge(
    wheels: Sequence[Wheel],
    torch_meta: Mapping[str, Any] | None,
    *,
    want_variant: str,
    profile: str,
    base: Resolution,
) -> Resolution:
    """The verdict on a resolution: its torch wheel's variant against the profile's."""
    torch = next((w for w in wheels if w.name.lower() == "torch"), None)
    if torch is None or torch_meta is None:
        return replace(base, message="the installer's report names no torch wheel", wheels=tuple(wheels))
    variant, cuda = wheel_variant(torch_meta, base.platform, base.python)
    what = f"{index_label(base.index, base.installer)} would install torch {torch.version}, {build_text(variant, cuda)}"
    found = replace(base, torch=torch, variant=variant, cuda=cuda, wheels=tuple(wheels))
    if not variant_matches(want_variant, variant, cuda):
        return replace(
            found, status="mismatch", message=f"{what}, for the {profile} profile (which wants {want_variant})"
        )
    return replace(found, status="ok", message=f"{what}, as the {profile} profile wants")


def read_report(
    text: str,
    *,
    want_variant: str,
    profile: str,
    index: str | None,
    platform: str,
    python: str,
    deps: bool = True,
) -> Resolution:
    """Judge a ``pip install --dry-run --report`` JSON for a profile's torch variant."""
    base = Resolution(status="failed", message="", index=index, platform=platform, python=python, deps=deps)
    try:
        report = json.loads(text)
        items = list(report.get("install") or [])
    except (ValueError, AttributeError, TypeError):
        return replace(base, message=f"the installer's report could not be read: {text[:160]!r}")
    wheels: list[Wheel] = []
    torch_meta: Mapping[str, Any] | None = None
    for item in items:
        meta = item.get("metadata") or {}
        info = item.get("download_info") or {}
        hashes = (info.get("archive_info") or {}).get("hashes") or {}
        w = Wheel(
            name=canonicalize_name(str(meta.get("name", ""))),  # one spelling whoever was asked
            version=str(meta.get("version", "")),
            url=str(info.get("url", "")),
            sha256=hashes.get("sha256"),
        )
        wheels.append(w)
        if w.name.lower() == "torch":
            torch_meta = meta
    return _judge(wheels, torch_meta, want_variant=want_variant, profile=profile, base=base)


def read_pylock(
    text: str,
    *,
    want_variant: str,
    profile: str,
    index: str | None,
    platform: str,
    python: str,
    deps: bool = True,
) -> Resolution:
    """Judge the ``pylock.toml`` (PEP 751) that ``uv pip compile`` wrote for one platform.

    A lock names no package's requirements, so an untagged torch wheel is judged by the CUDA
    packages the resolution itself holds (``cuda-toolkit==13.0.3``, ``nvidia-*-cu12``): for one
    platform, every package in it is installed. Without dependencies that is only a tag.
    """
    base = Resolution(
        status="failed", message="", index=index, platform=platform, python=python, installer="uv", deps=deps
    )
    try:
        packages = list(tomllib.loads(text).get("packages") or [])
    except (tomllib.TOMLDecodeError, AttributeError, TypeError):
        return replace(base, message=f"uv's lock could not be read: {text[:160]!r}")
    wheels: list[Wheel] = []
    torch_version: str | None = None
    for pkg in packages:
        if not isinstance(pkg, dict):
            continue
        name, version = canonicalize_name(str(pkg.get("name", ""))), str(pkg.get("version", ""))
        # uv lists each matching file of the version (build tags, several manylinux levels): all their hashes count
        files = [w for w in pkg.get("wheels") or () if isinstance(w, dict)]
        if isinstance(pkg.get("sdist"), dict):
            files.append(pkg["sdist"])
        for f in files or [{}]:
            sha = (f.get("hashes") or {}).get("sha256")
            wheels.append(Wheel(name=name, version=version, url=str(f.get("url") or f.get("path") or ""), sha256=sha))
        if name.lower() == "torch":
            torch_version = version
    meta = None
    if torch_version is not None and not deps and not _LOCAL.search(torch_version):
        # without the dependencies the lock holds no CUDA package to tell the build by
        return replace(base, message=f"uv resolved an untagged torch {torch_version} without its dependencies")
    if torch_version is not None:
        requires = [f"{w.name}=={w.version}" for w in wheels if w.name.lower() != "torch"]
        meta = {"version": torch_version, "requires_dist": requires}
    return _judge(wheels, meta, want_variant=want_variant, profile=profile, base=base)


# What pip and uv say when the index has no distribution that fits (rather than failing to run).
_UNAVAILABLE = ("No matching distribution", "Could not find a version", "ResolutionImpossible", "No solution found")
# What they say when an index could not be reached: then "nothing fits" is no verdict on the index.
_UNREACHABLE = (
    "Failed to establish a new connection",
    "NewConnectionError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "Could not fetch URL",
    "connection error",
    "Failed to fetch",
    "error sending request",
    "dns error",
)


def unreachable(stderr: str) -> str | None:
    """The installer's first line saying an index could not be reached, else None."""
    for line in stderr.splitlines():
        for marker in _UNREACHABLE:
            at = line.find(marker)
            if at >= 0:
                # pip wraps the reason in a repr ("...: Failed to establish ...: [Errno -2] ...')"): the reason alone
                return re.split(r"['\"]\)", line[at:])[0].strip()[:200]
    return None


def unavailable_message(
    stderr: str, requirements: Sequence[str], index: str | None, platform: str, python: str, installer: str = "pip"
) -> str:
    lines = [line.strip() for line in stderr.splitlines()]
    # pip: "ERROR: ..."; uv: "error: No solution found ..." then "cause: Because ..." (or "╰─▶ Because ...")
    errors = [ln for ln in lines if ln.startswith("ERROR:")] or [
        ln.split("▶", 1)[-1].removeprefix("cause:").strip() for ln in lines if ln.startswith(("cause:", "╰─▶"))
    ]
    tail = " ".join(errors[:1])[:240]
    return (
        f"{index_label(index, installer)} has nothing for {' '.join(requirements)} on {platform} with Python {python}"
        + (f" ({tail})" if tail else "")
    )


def dry_run_argv(
    installer: Sequence[str],
    requirements: Sequence[str],
    index_args: Sequence[str],
    *,
    platform: str,
    python: str,
    target: str,
    deps: bool = True,
) -> list[str]:
    """pip's dry run for one index, the target platform and Python (``deps``: torch's dependencies too)."""
    plat = [a for tag in PIP_PLATFORMS.get(platform, ()) for a in ("--platform", tag)]
    return [
        *installer,
        "install",
        "--dry-run",
        "--quiet",
        "--no-input",
        "--report",
        "-",
        "--ignore-installed",
        *(() if deps else ("--no-deps",)),
        "--only-binary=:all:",
        "--timeout",
        "15",
        "--retries",
        "1",
        "--target",
        target,
        "--python-version",
        python,
        "--implementation",
        "cp",
        *plat,
        *requirements,
        *index_args,
    ]


def uv_compile_argv(
    uv: Sequence[str], index_args: Sequence[str], *, platform: str, python: str, deps: bool = True
) -> list[str]:
    """uv's resolution for one index, the target platform and Python; the requirements come on stdin.

    ``--generate-hashes`` makes uv hash a local wheel too (an index's hashes it reports as they are).
    """
    return [
        *uv,
        "pip",
        "compile",
        "-",
        "--format",
        "pylock.toml",
        "--no-header",
        "--quiet",
        "--generate-hashes",
        "--only-binary",
        ":all:",
        "--python-version",
        python,
        "--python-platform",
        UV_PLATFORMS.get(platform, "x86_64-manylinux_2_28"),
        *(() if deps else ("--no-deps",)),
        *index_args,
    ]


# --------------------------------------------------------------------------- running it

_MEMO: dict[str, Resolution] = {}


def _cache_dir(env: Mapping[str, str]) -> Path:
    if env.get("ENVTOOL_CACHE_DIR"):
        return Path(env["ENVTOOL_CACHE_DIR"])
    return Path(env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "envtool" / "resolve"


def _key(parts: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _from_json(data: Mapping[str, Any]) -> Resolution:
    def wheel(d: Mapping[str, Any] | None) -> Wheel | None:
        return Wheel(**d) if d else None

    return Resolution(
        status=data["status"],
        message=data["message"],
        index=data["index"],
        platform=data["platform"],
        python=data["python"],
        torch=wheel(data.get("torch")),
        variant=data.get("variant"),
        cuda=data.get("cuda"),
        wheels=tuple(w for w in (wheel(x) for x in data.get("wheels", ())) if w),
        excluded=tuple(data.get("excluded", ())),
        installer=data.get("installer", "pip"),
        deps=bool(data.get("deps", False)),
        cached=True,
    )


def to_data(res: Resolution) -> dict[str, Any]:
    from envtool.model import to_jsonable

    data: dict[str, Any] = to_jsonable(res)
    return data


def resolve(
    *,
    profile: str,
    want_variant: str,
    requirements: Sequence[str],
    index: str | None,
    index_args: Sequence[str],
    platform: str,
    python: str,
    installer: Sequence[str] | None = None,
    kind: str = "pip",
    deps: bool = True,
    timeout: float = TIMEOUT_S,
    env: Mapping[str, str] | None = None,
    use_cache: bool = True,
) -> Resolution:
    """Resolve ``requirements`` (torch first) on one index for ``platform`` and ``python``.

    ``kind`` names the installer asked (``pip`` or ``uv``; ``installer`` its argv, default this
    python's pip or the uv on PATH). ``deps``: the dependencies of the torch step are resolved
    too, so their pins and hashes come back (still one dry run).

    A torch requirement that is a range is resolved to the newest version whose wheel has the
    profile's variant: a version with another variant is excluded and the range resolved again
    (at most ``MAX_TRIES`` dry runs).
    """
    from envtool import runner
    from envtool.errors import ToolNotFoundError
    from envtool.util import atomic_write_text

    if kind not in INSTALLERS:
        raise ValueError(f"unknown installer {kind!r}")
    env = os.environ if env is None else env
    if installer is None:
        installer = [sys.executable, "-m", "pip"] if kind == "pip" else [runner.which("uv") or "uv"]
    installer = list(installer)
    reqs = list(requirements)
    key = _key([profile, want_variant, *reqs, index or "", *index_args, platform, python, kind, str(deps), *installer])
    if use_cache and key in _MEMO:
        return replace(_MEMO[key], cached=True)
    cache_file = _cache_dir(env) / f"{key}.json"
    if use_cache:
        try:
            if time.time() - cache_file.stat().st_mtime < CACHE_TTL_S:
                res = _from_json(json.loads(cache_file.read_text(encoding="utf-8")))
                _MEMO[key] = res
                return res
        except (OSError, ValueError, KeyError, TypeError):
            pass
    excluded: list[str] = []
    res = Resolution(
        status="failed", message="not run", index=index, platform=platform, python=python, installer=kind, deps=deps
    )
    ranged = bool(reqs) and not re.match(r"^torch\s*===?\s*[^,;]+$", reqs[0])
    with tempfile.TemporaryDirectory(prefix="envtool-resolve-") as target:
        for _ in range(MAX_TRIES if ranged else 1):
            first = reqs[0] + "".join(f",!={v}" for v in excluded) if excluded else reqs[0]
            wanted = [first, *reqs[1:]]
            if kind == "uv":
                argv = uv_compile_argv(installer, index_args, platform=platform, python=python, deps=deps)
                stdin: str | None = "\n".join(wanted) + "\n"
            else:
                argv = dry_run_argv(
                    installer, wanted, index_args, platform=platform, python=python, target=target, deps=deps
                )
                stdin = None
            try:
                done = runner.capture(argv, timeout=timeout, input_text=stdin)
            except ToolNotFoundError:
                res = replace(res, status="failed", message=f"{kind} is not installed ({installer[0]} not found)")
                break
            if done.timed_out:
                res = replace(res, status="failed", message=f"the installer's dry run took longer than {timeout:.0f} s")
                break
            down = unreachable(done.stderr) if done.returncode != 0 else None
            if down is not None:
                res = replace(res, status="failed", message=f"the index could not be reached ({down})")
                break
            if done.returncode != 0:
                if any(m in done.stderr for m in _UNAVAILABLE):
                    res = replace(
                        res,
                        status="unavailable",
                        message=unavailable_message(done.stderr, wanted, index, platform, python, kind),
                    )
                else:
                    res = replace(
                        res, status="failed", message=f"the installer's dry run failed: {done.stderr.strip()[-240:]}"
                    )
                break
            read = read_pylock if kind == "uv" else read_report
            res = read(
                done.stdout,
                want_variant=want_variant,
                profile=profile,
                index=index,
                platform=platform,
                python=python,
                deps=deps,
            )
            if res.status == "mismatch" and ranged and res.torch is not None:
                excluded.append(res.torch.version.split("+")[0])
                continue
            break
    if excluded:
        res = replace(res, excluded=tuple(excluded))
        if res.status == "unavailable":
            res = replace(
                res,
                message=f"{index_label(index, kind)} has no torch in {reqs[0]} built as {want_variant} for {platform} "
                f"(other builds only: {', '.join(excluded)})",
            )
    if use_cache and res.status != "failed":
        _MEMO[key] = res
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(cache_file, json.dumps(to_data(res)))
        except OSError:
            pass  # a cache that cannot be written only costs the next run a dry run
    return res


# --------------------------------------------------------------------------- the plan's check


def check_plan(plan: Any, *, offline: bool = False, machine: str | None = None, **kw: Any) -> tuple[Any, list[Any]]:
    """The plan with its torch step resolved (pins and hashes recorded), and findings.

    ``offline``: nothing is asked and the plan says so. A refused resolution (another build than
    the profile's, or nothing for this platform/Python) is an error finding; a dry run that
    could not run at all is a warning (the plan stands, unchecked).
    """
    import platform as _platform

    from envtool import plan as planmod
    from envtool.model import Finding, Severity

    if not plan.torch_requirements:
        return plan, []
    if offline:
        note = "not checked against the index (--offline)"
        guess = knowledge.pypi_default_variant(plan.profile.torch or "", _plat(plan.platform, machine))
        if plan.torch_index is None and guess and guess != plan.profile.variant:
            tv = knowledge.torch_variant(guess)
            note += (
                f"; on the default index torch {plan.profile.torch} is normally "
                f"{build_text(guess, tv.cuda if tv else None)} (PyPI), not {plan.profile.variant}"
            )
        return planmod.with_resolution(plan, {"status": "skipped", "message": note}, ()), []
    platform = _plat(plan.platform, machine or _platform.machine())
    python = plan.profile.python or f"{sys.version_info[0]}.{sys.version_info[1]}"
    # The installer that will run the torch step is the one asked: uv reads its own configuration.
    kw = {"kind": "uv" if plan.backend == "uv" else "pip", **kw}
    res = resolve(
        profile=plan.profile.name,
        want_variant=plan.profile.variant,
        requirements=list(plan.torch_requirements),
        index=plan.torch_index,
        index_args=planmod.index_args(plan.torch_index),
        platform=platform,
        python=python,
        **kw,
    )
    data = to_data(res)
    if res.status == "ok":
        pins = tuple((w.name, w.version, w.sha256) for w in res.wheels)
        return planmod.with_resolution(plan, data, pins), []
    fid = "index_variant_mismatch" if res.status == "mismatch" else "no_wheels_for_platform"
    if res.status == "failed":
        finding = Finding(
            id="index_check_failed",
            severity=Severity.WARN,
            message=f"could not check what {index_label(plan.torch_index, res.installer)} would install: {res.message}",
            fix=("install uv (`pip install uv`), " if "not installed" in res.message else "")
            + "check the network and the index, or plan with --offline to skip the check",
        )
    else:
        finding = Finding(
            id=fid,
            severity=Severity.ERROR,
            message=res.message,
            fix="point the profile (or ENVTOOL_MIRROR_PYTORCH) at an index that has this build, "
            "or pick another profile (`envtool profiles`)",
        )
    return planmod.with_resolution(plan, data, ()), [finding]


def _plat(sys_platform: str, machine: str | None) -> str:
    default = {"win32": "AMD64", "darwin": "arm64"}.get(sys_platform, "x86_64")
    if sys_platform != sys.platform:
        machine = default  # planning for another OS: its one published architecture
    return knowledge.platform_of_sys(sys_platform, machine or default) or "linux-x86_64"

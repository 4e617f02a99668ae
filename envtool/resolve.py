"""Ask the installer what it would really install for a plan's torch step, before installing.

The knowledge tables can never be fully current, and an index (a mirror, a proxy, the default
index) may hold another build than the profile names. So the torch requirements of a plan are
resolved by ``pip install --dry-run --report - --no-deps`` with the plan's one index, the target
Python and the target platform (``--target`` to a throw-away folder, which pip needs for
``--platform``; nothing is downloaded beyond metadata and nothing is installed). From the
report this module reads the torch wheel chosen and its variant: the ``+cpu`` / ``+cuXXX``
local tag, or for an untagged wheel the CUDA line of its ``nvidia-*`` / ``cuda-toolkit``
requirements (markers evaluated for the target platform), none meaning a CPU build.

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

from envtool import knowledge
from envtool.util import release_tuple

TIMEOUT_S = 120.0
CACHE_TTL_S = 3600.0
MAX_TRIES = 4  # a range: versions whose wheel has another variant are excluded and resolved again

# The wheel platform tags pip is asked to accept for each platform (newest manylinux first).
PIP_PLATFORMS: dict[str, tuple[str, ...]] = {
    "linux-x86_64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "linux_x86_64"),
    "linux-aarch64": ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64", "linux_aarch64"),
    "win-amd64": ("win_amd64",),
    "macos-arm64": ("macosx_14_0_arm64", "macosx_13_0_arm64", "macosx_12_0_arm64", "macosx_11_0_arm64"),
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
    cached: bool = False

    @property
    def refused(self) -> bool:
        return self.status in ("mismatch", "unavailable")


# --------------------------------------------------------------------------- pure parts


def index_label(index: str | None) -> str:
    return "the default index" if index is None else f"index {index}"


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


def read_report(
    text: str, *, want_variant: str, profile: str, index: str | None, platform: str, python: str
) -> Resolution:
    """Judge a ``pip install --dry-run --report`` JSON for a profile's torch variant."""
    base = Resolution(status="failed", message="", index=index, platform=platform, python=python)
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
            name=str(meta.get("name", "")),
            version=str(meta.get("version", "")),
            url=str(info.get("url", "")),
            sha256=hashes.get("sha256"),
        )
        wheels.append(w)
        if w.name.lower() == "torch":
            torch_meta = meta
    torch = next((w for w in wheels if w.name.lower() == "torch"), None)
    if torch is None or torch_meta is None:
        return replace(base, message="the installer's report names no torch wheel", wheels=tuple(wheels))
    variant, cuda = wheel_variant(torch_meta, platform, python)
    what = f"{index_label(index)} would install torch {torch.version}, {build_text(variant, cuda)}"
    if not variant_matches(want_variant, variant, cuda):
        return replace(
            base,
            status="mismatch",
            message=f"{what}, for the {profile} profile (which wants {want_variant})",
            torch=torch,
            variant=variant,
            cuda=cuda,
            wheels=tuple(wheels),
        )
    return replace(
        base,
        status="ok",
        message=f"{what}, as the {profile} profile wants",
        torch=torch,
        variant=variant,
        cuda=cuda,
        wheels=tuple(wheels),
    )


def unavailable_message(stderr: str, requirements: Sequence[str], index: str | None, platform: str, python: str) -> str:
    errors = [line.strip() for line in stderr.splitlines() if line.startswith("ERROR:")]
    tail = " ".join(errors[:1])[:240]
    return f"{index_label(index)} has nothing for {' '.join(requirements)} on {platform} with Python {python}" + (
        f" ({tail})" if tail else ""
    )


def dry_run_argv(
    installer: Sequence[str],
    requirements: Sequence[str],
    index_args: Sequence[str],
    *,
    platform: str,
    python: str,
    target: str,
) -> list[str]:
    """The installer's dry run for one index, the target platform and Python, no dependencies."""
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
        "--no-deps",
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
    timeout: float = TIMEOUT_S,
    env: Mapping[str, str] | None = None,
    use_cache: bool = True,
) -> Resolution:
    """Resolve ``requirements`` (torch first) on one index for ``platform`` and ``python``.

    A torch requirement that is a range is resolved to the newest version whose wheel has the
    profile's variant: a version with another variant is excluded and the range resolved again
    (at most ``MAX_TRIES`` dry runs).
    """
    from envtool import runner
    from envtool.util import atomic_write_text

    env = os.environ if env is None else env
    installer = list(installer or [sys.executable, "-m", "pip"])
    reqs = list(requirements)
    key = _key([profile, want_variant, *reqs, index or "", *index_args, platform, python, *installer])
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
    res = Resolution(status="failed", message="not run", index=index, platform=platform, python=python)
    ranged = bool(reqs) and not re.match(r"^torch\s*===?\s*[^,;]+$", reqs[0])
    with tempfile.TemporaryDirectory(prefix="envtool-resolve-") as target:
        for _ in range(MAX_TRIES if ranged else 1):
            first = reqs[0] + "".join(f",!={v}" for v in excluded) if excluded else reqs[0]
            argv = dry_run_argv(
                installer, [first, *reqs[1:]], index_args, platform=platform, python=python, target=target
            )
            done = runner.capture(argv, timeout=timeout)
            if done.timed_out:
                res = replace(res, status="failed", message=f"the installer's dry run took longer than {timeout:.0f} s")
                break
            if done.returncode != 0:
                if any(
                    m in done.stderr
                    for m in ("No matching distribution", "Could not find a version", "ResolutionImpossible")
                ):
                    res = replace(
                        res,
                        status="unavailable",
                        message=unavailable_message(done.stderr, [first, *reqs[1:]], index, platform, python),
                    )
                else:
                    res = replace(
                        res, status="failed", message=f"the installer's dry run failed: {done.stderr.strip()[-240:]}"
                    )
                break
            res = read_report(
                done.stdout, want_variant=want_variant, profile=profile, index=index, platform=platform, python=python
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
                message=f"{index_label(index)} has no torch in {reqs[0]} built as {want_variant} for {platform} "
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
            message=f"could not check what {index_label(plan.torch_index)} would install: {res.message}",
            fix="check the network and the index, or plan with --offline to skip the check",
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

"""Knowledge tables: CUDA drivers, PyTorch wheel variants and GPU models, with pure queries.

The data lives in TOML files shipped beside this module (package data); every number there
carries its source in a ``# source:`` comment. This module only loads them (once, cached) and
answers questions about them. It imports nothing heavy because ``detect`` loads it on every run.

Arch-specific SASS (``9.0a``, ``10.0a``, ``12.0a``) and family SASS (``10.0f``, ``12.0f``) are
treated as follows in :func:`arch_covered`: an ``a`` target runs only on exactly that capability
(``9.0a`` serves 9.0, not 9.x or anything newer); an ``f`` target runs on its own capability
and newer minors of the same major (``12.0f`` serves 12.0 and 12.1). Plain SASS runs on the same
major at the same or a higher minor; PTX is JIT-compiled by the driver for the same or any newer
capability. An ``a``/``f`` suffix on a PTX entry is treated like the SASS rule, because such PTX
uses instructions that newer architectures need not have.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from envtool.tomlfile import loads_toml
from envtool.util import driver_version_parts, release_tuple, version_parts

__all__ = [
    "PLATFORMS",
    "GpuSpec",
    "TorchVariant",
    "arch_covered",
    "availability",
    "compute_capability",
    "driver_supports_cuda",
    "driver_text",
    "gpu_spec",
    "gpu_specs",
    "max_cuda_for_driver",
    "min_driver_for_cuda",
    "parse_arch_list",
    "platform_key",
    "platform_of_sys",
    "pypi_default_variant",
    "python_floor",
    "torch_variant",
    "torch_variants",
    "variant_platforms",
    "wheel_platforms",
]


@dataclass(frozen=True, kw_only=True)
class GpuSpec:
    """One GPU model from ``gpus.toml``; ``None`` numbers are unknown, not zero."""

    model: str
    compute_capability: str | None  # None: no NVIDIA list read confirms it
    architecture: str
    fp32_tflops: float | None
    tf32_tflops: float | None
    bf16_tflops: float | None
    fp16_tflops: float | None
    memory_bandwidth_gbs: float | None
    memory_gb: float | None
    # NVIDIA's published BERT-base fine-tune throughput; no source gives one for any GPU in the
    # table, so it is None everywhere (kept so callers can ask).
    bert_base_seq_per_s: float | None
    bert_large_seq_per_s: float | None  # NVIDIA DeepLearningExamples BERT-large SQuAD fine-tune, 1 GPU
    bert_large_precision: str | None = None  # the precision that figure was measured at ("fp16", "amp")
    unified_memory: bool = False  # the GPU shares the system memory with the OS (GB10, Jetson)


@dataclass(frozen=True, kw_only=True)
class TorchVariant:
    """A PyTorch wheel variant ("cu128", "cpu") and the archs compiled into it on one platform."""

    name: str  # "cu128"
    cuda: str | None  # "12.8"; None for cpu
    first_torch: str
    last_torch: str | None  # None: still published
    sass: tuple[str, ...]  # for the newest release of the variant unless asked for another
    ptx: tuple[str, ...]
    unconfirmed: tuple[str, ...] = ()  # archs no source confirms for this release: unknown, not covered
    platform: str = "linux-x86_64"  # the platform whose arch list this is


PLATFORMS = ("linux-x86_64", "linux-aarch64", "win-amd64", "macos-arm64")
_X86_BUILDS = ("linux-x86_64", "win-amd64")  # an arch block without `platforms` describes these


# --------------------------------------------------------------------------- loading


@functools.cache
def _builtin(filename: str) -> dict[str, Any]:
    """Parse one shipped TOML table (cached: the files never change at run time)."""
    text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
    table: dict[str, Any] = loads_toml(text)
    return table


_EXTRA_DIRS: tuple[str, ...] = ()  # --knowledge-dir, set by the CLI for one run


def use_knowledge_dirs(dirs: Iterable[str]) -> None:
    """Knowledge directories given on the command line (after ENVTOOL_KNOWLEDGE_DIR's)."""
    global _EXTRA_DIRS
    _EXTRA_DIRS = tuple(d for d in dirs if d)


def knowledge_dirs() -> tuple[str, ...]:
    """ENVTOOL_KNOWLEDGE_DIR (os.pathsep-separated), then --knowledge-dir; later ones win."""
    env = os.environ.get("ENVTOOL_KNOWLEDGE_DIR", "")
    return (*(d for d in env.split(os.pathsep) if d), *_EXTRA_DIRS)


@functools.cache
def _overlay_files(dirs: tuple[str, ...]) -> tuple[tuple[Path, dict[str, Any], str], ...]:
    from envtool.knowledge import overlay

    return tuple(f for d in dirs for f in overlay.read_dir(Path(d)))


def check_knowledge_dirs() -> int:
    """Read and check every knowledge file now (exit 2 on a bad one); how many there are."""
    return len(_overlay_files(knowledge_dirs()))


@functools.cache
def _layered(filename: str, dirs: tuple[str, ...]) -> dict[str, Any]:
    builtin = _builtin(filename)
    files = _overlay_files(dirs)
    if not files:
        return builtin
    from envtool.knowledge import overlay

    return overlay.layer(builtin, filename, files)


def _load(filename: str) -> dict[str, Any]:
    """One table: the shipped file with the lab's knowledge files layered over it."""
    return _layered(filename, knowledge_dirs())


def _os_key(os_name: str) -> str:
    # Probes report platform.system() spellings; a pasted report may say "windows" or "win32".
    return "windows" if os_name.strip().lower().startswith("win") else "linux"


def platform_key(os_name: str | None, arch: str | None) -> str | None:
    """The wheel platform of a machine (``"Linux", "aarch64"`` -> ``"linux-aarch64"``), ``None`` if unknown.

    Anything other than the four platforms PyTorch publishes for comes back in the same
    ``os-arch`` form ("macos-x86_64"), so that availability can name it and find no wheels.
    """
    if not os_name or not arch:
        return None
    o = os_name.strip().lower()
    a = arch.strip().lower()
    a = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}.get(a, a)
    if o.startswith("win"):
        return "win-amd64" if a == "x86_64" else f"win-{a}"
    if o in ("darwin", "macos", "mac"):
        return "macos-arm64" if a == "aarch64" else f"macos-{a}"
    if o.startswith("linux"):
        return f"linux-{a}"
    return f"{o}-{a}"


def platform_of_sys(sys_platform: str, machine: str) -> str | None:
    """The wheel platform from ``sys.platform`` ("linux", "win32", "darwin") and a machine name."""
    return platform_key({"win32": "Windows", "darwin": "Darwin"}.get(sys_platform, sys_platform), machine)


def provenance(filename: str, table: str) -> list[dict[str, Any]]:
    """Every entry of one table with ``_origin``: "envtool:FILE" or the lab's "PATH:LINE"."""
    rows = _load(filename).get(table, [])
    return [{**r, "_origin": r.get("_origin", f"envtool:{filename}")} for r in rows]


def minor_compat_floors() -> dict[str, dict[str, str]]:
    """The minor-version-compatibility floor of each CUDA major, per OS."""
    return {
        str(k): {kk: str(vv) for kk, vv in v.items()}
        for k, v in _load("cuda_drivers.toml").get("minor_compat", {}).items()
    }


# --------------------------------------------------------------------------- versions


def _cuda_tuple(v: str) -> tuple[int, int] | None:
    # "12.8", "12.8.1", "V12.8.61", "12080" (NVML's integer form) -> (12, 8)
    s = v.strip().lstrip("vV")
    if s.isdigit() and len(s) >= 4:
        n = int(s)
        return (n // 1000, (n % 1000) // 10)
    t = release_tuple(s)
    return (t[0], t[1]) if t else None


def driver_text(v: str | None) -> str | None:
    """A driver version in NVIDIA's form (``"31.0.15.8157"`` -> ``"581.57"``), ``None`` if not one."""
    t = driver_version_parts(v)
    if t is None:
        return None
    if len(t) == 2:
        return f"{t[0]}.{t[1]:02d}"
    return (v or "").strip()


# --------------------------------------------------------------------------- CUDA drivers


def _releases() -> list[dict[str, Any]]:
    return sorted(_load("cuda_drivers.toml")["release"], key=lambda r: _cuda_tuple(r["cuda"]) or (0, 0))


def _drv(v: str) -> tuple[int, ...]:
    # Table values are well-formed (a test checks); an unreadable one sorts below every driver.
    return driver_version_parts(v) or ()


def min_driver_for_cuda(cuda: str, os_name: str = "Linux", *, minor_compat: bool = True) -> str | None:
    """The oldest driver that runs code built with CUDA ``cuda`` on ``os_name``.

    ``minor_compat=True`` answers with the CUDA major's minor-version-compatibility floor
    (12.8 -> "525.60.13"), which suffices for PyTorch wheels (they bundle their runtime);
    for CUDA 10.x and older, which have no minor-version compatibility, it falls back to the
    toolkit's own driver. ``minor_compat=False`` answers with the driver packaged with that
    toolkit release (12.8 -> "570.26"). ``None`` when the table does not know the answer
    (unknown release, or a Windows value NVIDIA lists as N/A).
    """
    ver = _cuda_tuple(cuda)
    if ver is None:
        return None
    key = _os_key(os_name)
    if minor_compat:
        floor = _load("cuda_drivers.toml").get("minor_compat", {}).get(str(ver[0]))
        if floor is not None:
            # 11.0 predates the 11.x floor: its own (older) driver is enough for it.
            own = _own_driver(ver, key)
            if own is not None and _drv(own) < _drv(floor[key]):
                return own
            value = floor.get(key)
            return str(value) if value is not None else None
    return _own_driver(ver, key)


def _own_driver(ver: tuple[int, int], key: str) -> str | None:
    for row in _releases():
        if _cuda_tuple(row["cuda"]) == ver:
            value = row.get(key)
            return str(value) if value is not None else None
    return None


def max_cuda_for_driver(driver: str, os_name: str = "Linux") -> str | None:
    """The newest CUDA toolkit whose own driver is at or below ``driver`` (535.54.03 -> "12.2").

    Meant for pasted reports, where NVML's own CUDA version is unknown. ``None`` when the
    driver is older than every row or not a version. NVIDIA lists no Windows driver for the
    CUDA 13.x toolkits (N/A); a Windows driver at or above a major's minor-version floor (580
    for 13.x, with no OS split) is counted as reaching that major's first release ("13.0"), a
    lower bound, since the exact maximum cannot be read from the table.
    """
    have = driver_version_parts(driver)
    if have is None:
        return None
    key = _os_key(os_name)
    best: str | None = None
    for row in _releases():
        need = row.get(key)
        if need is not None and _drv(need) <= have:
            best = row["cuda"]
    floors = _load("cuda_drivers.toml").get("minor_compat", {})
    for major, floor in floors.items():
        rows = [r for r in _releases() if r["cuda"].split(".")[0] == major]
        if not rows or any(key in r for r in rows) or floor.get(key) is None:
            continue  # this OS has toolkit rows for the major: the loop above answered
        first = rows[0]["cuda"]
        if _drv(floor[key]) <= have and (
            best is None or (_cuda_tuple(first) or (0, 0)) > (_cuda_tuple(best) or (0, 0))
        ):
            best = first
    return best


def driver_supports_cuda(
    driver: str | None, driver_max_cuda: str | None, cuda: str, os_name: str = "Linux"
) -> bool | None:
    """Whether code built with CUDA ``cuda`` (a wheel's ``torch.version.cuda``) runs on this driver.

    With a driver version it is judged by the floor of ``cuda``'s major on ``os_name`` (NVIDIA's
    minor-version compatibility: 450.80.02 / 452.39 for 11.x, 525.60.13 / 528.33 for 12.x, 580
    for 13.x; the toolkit's own driver before 11.x), never by a toolkit row the table lacks for
    that OS. Without one, by the driver's own maximum CUDA (NVML's): the same or newer runs it.
    ``None`` when there is too little to judge.
    """
    want = _cuda_tuple(cuda)
    if want is None:
        return None
    have_max = _cuda_tuple(driver_max_cuda) if driver_max_cuda else None
    drv = driver_version_parts(driver) if driver else None
    if have_max is not None and have_max >= want:
        return True
    if drv is not None:
        floor = min_driver_for_cuda(cuda, os_name)
        if floor is None:
            return None
        return drv >= _drv(floor)
    if have_max is None:
        return None
    if have_max[0] != want[0]:
        return False
    floor = min_driver_for_cuda(cuda, os_name)
    if floor is None:
        return None
    # No driver number: a driver whose own CUDA is X.Y shipped no older than X.Y's toolkit
    # driver, so if that already meets the floor the minor-compat path is open.
    own = _own_driver(have_max, _os_key(os_name))
    if own is not None and _drv(own) >= _drv(floor):
        return True
    return None


# --------------------------------------------------------------------------- torch variants


def _variant_from_row(row: dict[str, Any], archs: dict[str, Any], platform: str) -> TorchVariant:
    return TorchVariant(
        name=row["name"],
        cuda=row.get("cuda"),
        first_torch=row["first_torch"],
        last_torch=row.get("last_torch"),
        sass=tuple(archs.get("sass", ())),
        ptx=tuple(archs.get("ptx", ())),
        unconfirmed=tuple(archs.get("unconfirmed", ())),
        platform=platform,
    )


def _rows() -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in _load("torch_builds.toml")["variant"]}


def _in_range(tv: tuple[int, int, int], block: dict[str, Any], row: dict[str, Any]) -> bool:
    lo = release_tuple(block.get("from_torch", row["first_torch"]))
    hi = release_tuple(block["to_torch"]) if block.get("to_torch") else None
    return lo is not None and tv >= lo and (hi is None or tv <= hi)


def _arch_blocks(row: dict[str, Any], platform: str) -> list[dict[str, Any]]:
    return [b for b in row.get("archs", []) if platform in b.get("platforms", _X86_BUILDS)]


def torch_variants() -> tuple[TorchVariant, ...]:
    """Every known wheel variant, archs as of its newest Linux x86_64 release, oldest CUDA first."""
    return _torch_variants(knowledge_dirs())


@functools.cache
def _torch_variants(dirs: tuple[str, ...]) -> tuple[TorchVariant, ...]:
    rows = _layered("torch_builds.toml", dirs)["variant"]
    return tuple(_variant_from_row(r, (_arch_blocks(r, PLATFORMS[0]) or [{}])[-1], PLATFORMS[0]) for r in rows)


def torch_variant(name: str, torch_version: str | None = None, platform: str | None = None) -> TorchVariant | None:
    """The variant ``name`` ("cu128", "+cu128" or a full "2.7.0+cu128"), archs as of ``torch_version``.

    Archs changed between releases (cu128 gained 7.0 in 2.8.0 and lost it again in 2.11.0), so
    pass the installed torch version when known. ``platform`` ("linux-aarch64", see
    :func:`platform_key`) picks that platform's arch list (aarch64 lists differ); ``None`` means
    linux-x86_64. ``None`` when the variant is unknown or was not published for that torch
    release. Nightlies ("2.13.0.dev2026...") count as their release. Whether wheels exist for a
    platform at all is :func:`availability`'s question.
    """
    key = name.strip().lower()
    if "+" in key:
        ver_part, key = key.split("+", 1)
        if torch_version is None and release_tuple(ver_part):
            torch_version = ver_part
    plat = platform or PLATFORMS[0]
    row = _rows().get(key)
    if row is None:
        return None
    ranges = _arch_blocks(row, plat) or [{}]
    if torch_version is None:
        return _variant_from_row(row, ranges[-1], plat)
    tv = release_tuple(torch_version)
    if tv is None or not _published(row, tv):
        return None
    for block in ranges:
        if _in_range(tv, block, row):
            return _variant_from_row(row, block, plat)
    return _variant_from_row(row, {}, plat)


def _published(row: dict[str, Any], tv: tuple[int, int, int]) -> bool:
    first = release_tuple(row["first_torch"])
    last = release_tuple(row["last_torch"]) if row.get("last_torch") else None
    if first is None or tv < first or (last is not None and tv > last):
        return False
    return not any(release_tuple(m) == tv for m in row.get("missing_torch", ()))


def wheel_platforms(variant: str, torch_version: str) -> tuple[str, ...]:
    """The platforms for which torch ``torch_version`` was published as ``variant`` (per the table)."""
    row = _rows().get(variant.strip().lower())
    tv = release_tuple(torch_version)
    if row is None or tv is None or not _published(row, tv):
        return ()
    out: list[str] = []
    for block in row.get("wheels", []):
        if _in_range(tv, block, row):
            out += [p for p in block.get("platforms", ()) if p not in out]
    return tuple(sorted(out, key=_platform_order))


def variant_platforms(variant: str) -> tuple[str, ...]:
    """Every platform any release of ``variant`` was published for."""
    row = _rows().get(variant.strip().lower())
    out: list[str] = []
    for block in (row or {}).get("wheels", []):
        out += [p for p in block.get("platforms", ()) if p not in out]
    return tuple(sorted(out, key=_platform_order))


def _platform_order(platform: str) -> tuple[int, str]:
    return (PLATFORMS.index(platform) if platform in PLATFORMS else len(PLATFORMS), platform)


def python_floor(torch_version: str) -> str | None:
    """The oldest Python that torch ``torch_version`` supports ("2.15.0" -> "3.11"), ``None`` if unknown."""
    tv = release_tuple(torch_version)
    if tv is None:
        return None
    for block in _load("torch_builds.toml").get("python", []):
        lo = release_tuple(block.get("from_torch"))
        hi = release_tuple(block["to_torch"]) if block.get("to_torch") else None
        if lo is not None and tv >= lo and (hi is None or tv <= hi):
            return str(block["min"])
    return None


def torchvision_pairs(torch_version: str) -> tuple[str, ...] | None:
    """The torchvision version prefixes that pair with torch ``torch_version`` ("2.3.1" -> ("0.18",)), from
    torchvision's own table; ``None`` when the table does not list that torch."""
    tv = release_tuple(torch_version)
    if tv is None:
        return None
    row = _load("torch_builds.toml").get("torchvision", {}).get(f"{tv[0]}.{tv[1]}")
    return tuple(str(v) for v in row) if row else None


def torchvision_pairs_with(torch_version: str, torchvision_version: str) -> bool | None:
    """Whether torchvision ``torchvision_version`` is the release built for torch ``torch_version``; ``None`` when
    either version is unreadable or the table does not list that torch."""
    pairs = torchvision_pairs(torch_version)
    got = release_tuple(torchvision_version)
    if pairs is None or got is None:
        return None
    for prefix in pairs:
        want = tuple(int(p) for p in prefix.split("."))
        if got[: len(want)] == want:
            return True
    return False


def availability(
    variant: str, torch_version: str | None, platform: str | None, python: str | None = None
) -> str | None:
    """Why torch ``torch_version`` as ``variant`` cannot be installed on ``platform`` with ``python``.

    ``None`` when a wheel exists (or too little is known to say it does not: an unknown
    platform or Python is not evidence). The reason names the platform and which list was read.
    """
    if torch_version is None or platform is None:
        return None
    row = _rows().get(variant.strip().lower())
    if row is None:
        return None  # an unknown variant is the profile validator's to report
    tv = release_tuple(torch_version)
    if tv is None:
        return None
    where = f"torch_builds.toml [{variant}] wheels"
    if not _published(row, tv):
        return f"torch {torch_version} was not published as {variant} on any platform ({where})"
    plats = wheel_platforms(variant, torch_version)
    if platform not in plats:
        listed = ", ".join(plats) or "none"
        return f"no torch {torch_version} {variant} wheels for {platform} (published for: {listed}; {where})"
    floor = python_floor(torch_version)
    if python and floor and version_parts(python, 2) < version_parts(floor, 2):
        return f"torch {torch_version} needs Python >= {floor}, not {python} (torch_builds.toml [[python]])"
    return None


def pypi_default_variant(torch_version: str, platform: str | None = "linux-x86_64") -> str | None:
    """The variant a plain ``pip install torch==X`` gets from the default index ("2.11.0" -> "cu130").

    Known for linux-x86_64 from the table; on linux-aarch64 and macos-arm64 that wheel is a CPU
    build (see the table's notes); ``None`` elsewhere (Windows: not confirmed).
    """
    tv = release_tuple(torch_version)
    if tv is None:
        return None
    if platform in ("linux-aarch64", "macos-arm64"):
        return "cpu"
    if platform not in (None, "linux-x86_64"):
        return None
    value = _load("torch_builds.toml").get("pypi_default", {}).get(f"{tv[0]}.{tv[1]}")
    return str(value) if value is not None else None


# --------------------------------------------------------------------------- archs


_ARCH_RE = re.compile(r"^(?:sm_|compute_)?(\d+)(?:\.(\d+))?([af]?)$")


def _arch(a: str) -> tuple[int, int, str] | None:
    # "8.6" / "sm_86" / "compute_90" / "90a" / "10.0f" / "sm_120" -> (major, minor, suffix)
    s = a.strip().lower()
    m = _ARCH_RE.match(s)
    if not m:
        return None
    major, minor, suffix = m.group(1), m.group(2), m.group(3)
    if minor is None:  # "86" / "120": the last digit is the minor
        if len(major) < 2:
            return None
        major, minor = major[:-1], major[-1]
    return int(major), int(minor), suffix


def _fmt(major: int, minor: int, suffix: str) -> str:
    return f"{major}.{minor}{suffix}"


def parse_arch_list(arch_list: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``torch.cuda.get_arch_list()`` strings -> (sass, ptx) as dotted capabilities.

    ``["sm_80", "sm_90a", "compute_90"]`` -> ``(("8.0", "9.0a"), ("9.0",))``. Unparseable
    entries are skipped; order is kept, duplicates dropped.
    """
    sass: list[str] = []
    ptx: list[str] = []
    for item in arch_list:
        s = item.strip().lower()
        parsed = _arch(s)
        if parsed is None:
            continue
        target = ptx if s.startswith("compute_") else sass
        text = _fmt(*parsed)
        if text not in target:
            target.append(text)
    return tuple(sass), tuple(ptx)


def arch_covered(cc: str, sass: Iterable[str], ptx: Iterable[str] = ()) -> bool:
    """Whether a GPU of capability ``cc`` can run a build holding these SASS and PTX archs.

    SASS serves the same major at the same or a higher minor ("8.6" is served by sass "8.0";
    "12.0" is not served by sass "10.0"); PTX serves its own and every newer capability
    ("9.0" is served by ptx "8.0"). See the module docstring for "a"/"f" suffixes.
    """
    dev = _arch(cc)
    if dev is None:
        return False
    d_major, d_minor = dev[0], dev[1]

    def suffixed_ok(major: int, minor: int, suffix: str) -> bool | None:
        if suffix == "a":
            return (major, minor) == (d_major, d_minor)
        if suffix == "f":
            return major == d_major and minor <= d_minor
        return None

    def any_runs(archs: Iterable[str], plain_ok: Callable[[int, int], bool]) -> bool:
        for a in archs:
            p = _arch(a)
            if p is None:
                continue
            special = suffixed_ok(*p)
            if special if special is not None else plain_ok(p[0], p[1]):
                return True
        return False

    # SASS runs on the same major at the same or a higher minor; PTX on anything at or above it
    return any_runs(sass, lambda major, minor: major == d_major and minor <= d_minor) or any_runs(
        ptx, lambda major, minor: (major, minor) <= (d_major, d_minor)
    )


# --------------------------------------------------------------------------- GPUs


def _gpu_table() -> tuple[tuple[tuple[re.Pattern[str], ...], GpuSpec], ...]:
    return _gpu_table_for(knowledge_dirs())


@functools.cache
def _gpu_table_for(dirs: tuple[str, ...]) -> tuple[tuple[tuple[re.Pattern[str], ...], GpuSpec], ...]:
    rows = []
    for g in _layered("gpus.toml", dirs)["gpu"]:
        pats = tuple(re.compile(p, re.IGNORECASE) for p in g["match"])
        spec = GpuSpec(
            model=g["model"],
            compute_capability=g.get("compute_capability"),
            architecture=g.get("architecture") or "unknown",
            fp32_tflops=g.get("fp32_tflops"),
            tf32_tflops=g.get("tf32_tflops"),
            bf16_tflops=g.get("bf16_tflops"),
            fp16_tflops=g.get("fp16_tflops"),
            memory_bandwidth_gbs=g.get("memory_bandwidth_gbs"),
            memory_gb=g.get("memory_gb"),
            bert_base_seq_per_s=g.get("bert_base_seq_per_s"),
            bert_large_seq_per_s=g.get("bert_large_seq_per_s"),
            bert_large_precision=g.get("bert_large_precision"),
            unified_memory=bool(g.get("unified_memory", False)),
        )
        rows.append((pats, spec))
    return tuple(rows)


def gpu_specs() -> tuple[GpuSpec, ...]:
    """Every GPU model in the table (for generated tests and listings)."""
    return tuple(spec for _, spec in _gpu_table())


_GLUED_SERIES = re.compile(r"\b(RTX|GTX|MX)(?=\d{3,4})", re.I)
_GLUED_SUFFIX = re.compile(r"\b((?:RTX|GTX|MX) \d{3,4})(Ti|SUPER)\b", re.I)


def gpu_spec(name: str) -> GpuSpec | None:
    """The table entry for a GPU name as NVML/nvidia-smi/collect_env print it, or ``None``.

    Entries are tried most specific first; the first pattern that matches wins. Unknown
    names (including the generic "Graphics Device") give ``None``.
    """
    text = " ".join(name.split())
    if not text:
        return None
    # A name typed by hand runs the words together ("rtx4090", "GTX1080Ti"); NVML never does.
    text = _GLUED_SUFFIX.sub(r"\1 \2", _GLUED_SERIES.sub(r"\1 ", text))
    for pats, spec in _gpu_table():
        if any(p.search(text) for p in pats):
            return spec
    return None


def compute_capability(name: str) -> str | None:
    """The compute capability ("8.9") for a GPU name, or ``None`` when the name is unknown."""
    spec = gpu_spec(name)
    return spec.compute_capability if spec else None

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
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

__all__ = [
    "GpuSpec",
    "TorchVariant",
    "arch_covered",
    "compute_capability",
    "driver_supports_cuda",
    "driver_version_tuple",
    "gpu_spec",
    "max_cuda_for_driver",
    "min_driver_for_cuda",
    "parse_arch_list",
    "pypi_default_variant",
    "torch_variant",
    "torch_variants",
]


@dataclass(frozen=True, kw_only=True)
class GpuSpec:
    """One GPU model from ``gpus.toml``; ``None`` numbers are unknown, not zero."""

    model: str
    compute_capability: str
    architecture: str
    fp32_tflops: float | None
    tf32_tflops: float | None
    bf16_tflops: float | None
    fp16_tflops: float | None
    memory_bandwidth_gbs: float | None
    memory_gb: float | None
    bert_base_seq_per_s: float | None  # NVIDIA BERT reference, with its conditions in the TOML
    bert_large_seq_per_s: float | None


@dataclass(frozen=True, kw_only=True)
class TorchVariant:
    """A PyTorch wheel variant ("cu128", "cpu") and the archs compiled into it."""

    name: str  # "cu128"
    cuda: str | None  # "12.8"; None for cpu
    first_torch: str
    last_torch: str | None  # None: still published
    sass: tuple[str, ...]  # for the newest release of the variant unless asked for another
    ptx: tuple[str, ...]


# --------------------------------------------------------------------------- loading


@functools.cache
def _load(filename: str) -> dict[str, Any]:
    """Parse one shipped TOML table (cached: the files never change at run time)."""
    text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _os_key(os_name: str) -> str:
    # Probes report platform.system() spellings; a pasted report may say "windows" or "win32".
    return "windows" if os_name.strip().lower().startswith("win") else "linux"


# --------------------------------------------------------------------------- versions


def driver_version_tuple(v: str) -> tuple[int, ...]:
    """``"535.54.03"`` -> ``(535, 54, 3)``; Windows ``"536.40"`` -> ``(536, 40)``.

    Raises ValueError for text that is not a dotted run of integers.
    """
    parts = v.strip().split(".")
    if not parts or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a driver version: {v!r}")
    return tuple(int(p) for p in parts)


def _cuda_tuple(v: str) -> tuple[int, int] | None:
    # "12.8", "12.8.1", "V12.8.61", "12080" (NVML's integer form) -> (12, 8)
    s = v.strip().lstrip("vV")
    if s.isdigit() and len(s) >= 4:
        n = int(s)
        return (n // 1000, (n % 1000) // 10)
    m = re.match(r"^(\d+)\.(\d+)", s)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _torch_tuple(v: str) -> tuple[int, int, int] | None:
    # "2.13.0.dev20260530+cu132" -> (2, 13, 0); "2.11" -> (2, 11, 0)
    m = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", v)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


# --------------------------------------------------------------------------- CUDA drivers


def _releases() -> list[dict[str, Any]]:
    return sorted(_load("cuda_drivers.toml")["release"], key=lambda r: _cuda_tuple(r["cuda"]))


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
            if own is not None and driver_version_tuple(own) < driver_version_tuple(floor[key]):
                return own
            return floor.get(key)
    return _own_driver(ver, key)


def _own_driver(ver: tuple[int, int], key: str) -> str | None:
    for row in _releases():
        if _cuda_tuple(row["cuda"]) == ver:
            return row.get(key)
    return None


def max_cuda_for_driver(driver: str, os_name: str = "Linux") -> str | None:
    """The newest CUDA toolkit whose own driver is at or below ``driver`` (535.54.03 -> "12.2").

    Meant for pasted reports, where NVML's own CUDA version is unknown. ``None`` when the
    driver is older than every row or not a version. On Windows the CUDA 13.x rows have no
    toolkit driver (NVIDIA lists N/A), so the answer stops at 12.9 there.
    """
    try:
        have = driver_version_tuple(driver)
    except ValueError:
        return None
    key = _os_key(os_name)
    best: str | None = None
    for row in _releases():
        need = row.get(key)
        if need is not None and driver_version_tuple(need) <= have:
            best = row["cuda"]
    return best


def driver_supports_cuda(
    driver: str | None, driver_max_cuda: str | None, cuda: str, os_name: str = "Linux"
) -> bool | None:
    """Whether code built with CUDA ``cuda`` (a wheel's ``torch.version.cuda``) runs on this driver.

    True when the driver's own maximum CUDA (NVML's, or derived from ``driver`` via the table)
    is the same or newer, or when it is the same major and ``driver`` meets that major's
    minor-version-compatibility floor. ``None`` when there is too little to judge.
    """
    want = _cuda_tuple(cuda)
    if want is None:
        return None
    have_max = _cuda_tuple(driver_max_cuda) if driver_max_cuda else None
    drv: tuple[int, ...] | None = None
    if driver:
        try:
            drv = driver_version_tuple(driver)
        except ValueError:
            drv = None
    if have_max is None and drv is not None:
        derived = max_cuda_for_driver(driver or "", os_name)
        have_max = _cuda_tuple(derived) if derived else None
        if have_max is None:
            # Older than every toolkit in the table, yet a version: it runs none of them.
            floor = min_driver_for_cuda(cuda, os_name)
            return False if floor is None or drv < driver_version_tuple(floor) else None
    if have_max is None:
        return None
    if have_max >= want:
        return True
    if have_max[0] != want[0]:
        return False
    floor = min_driver_for_cuda(cuda, os_name)
    if floor is None:
        return None
    if drv is None:
        # No driver number: a driver whose own CUDA is X.Y shipped no older than X.Y's toolkit
        # driver, so if that already meets the floor the minor-compat path is open.
        own = _own_driver(have_max, _os_key(os_name))
        if own is not None and driver_version_tuple(own) >= driver_version_tuple(floor):
            return True
        return None
    return drv >= driver_version_tuple(floor)


# --------------------------------------------------------------------------- torch variants


def _variant_from_row(row: dict[str, Any], archs: dict[str, Any]) -> TorchVariant:
    return TorchVariant(
        name=row["name"],
        cuda=row.get("cuda"),
        first_torch=row["first_torch"],
        last_torch=row.get("last_torch"),
        sass=tuple(archs.get("sass", ())),
        ptx=tuple(archs.get("ptx", ())),
    )


@functools.cache
def torch_variants() -> tuple[TorchVariant, ...]:
    """Every known wheel variant, archs as of its newest release, oldest CUDA first."""
    rows = _load("torch_builds.toml")["variant"]
    return tuple(_variant_from_row(r, (r.get("archs") or [{}])[-1]) for r in rows)


def torch_variant(name: str, torch_version: str | None = None) -> TorchVariant | None:
    """The variant ``name`` ("cu128", "+cu128" or a full "2.7.0+cu128"), archs as of ``torch_version``.

    Archs changed between releases (cu128 gained 7.0 in 2.8.0 and lost it again in 2.11.0), so
    pass the installed torch version when known. ``None`` when the variant is unknown or was
    not published for that torch release. Nightlies ("2.13.0.dev2026...") count as their release.
    """
    key = name.strip().lower()
    if "+" in key:
        ver_part, key = key.split("+", 1)
        if torch_version is None and _torch_tuple(ver_part):
            torch_version = ver_part
    rows = {r["name"]: r for r in _load("torch_builds.toml")["variant"]}
    row = rows.get(key)
    if row is None:
        return None
    ranges = row.get("archs") or [{}]
    if torch_version is None:
        return _variant_from_row(row, ranges[-1])
    tv = _torch_tuple(torch_version)
    if tv is None:
        return None
    first = _torch_tuple(row["first_torch"])
    last = _torch_tuple(row["last_torch"]) if row.get("last_torch") else None
    if first is None or tv < first or (last is not None and tv > last):
        return None
    for block in ranges:
        lo = _torch_tuple(block.get("from_torch", row["first_torch"]))
        hi = _torch_tuple(block["to_torch"]) if block.get("to_torch") else None
        if lo is not None and tv >= lo and (hi is None or tv <= hi):
            return _variant_from_row(row, block)
    return _variant_from_row(row, {})


def pypi_default_variant(torch_version: str) -> str | None:
    """The variant a plain ``pip install torch==X`` gets on Linux x86_64 ("2.11.0" -> "cu130")."""
    tv = _torch_tuple(torch_version)
    if tv is None:
        return None
    return _load("torch_builds.toml").get("pypi_default", {}).get(f"{tv[0]}.{tv[1]}")


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


@functools.cache
def _gpu_table() -> tuple[tuple[tuple[re.Pattern[str], ...], GpuSpec], ...]:
    rows = []
    for g in _load("gpus.toml")["gpu"]:
        pats = tuple(re.compile(p, re.IGNORECASE) for p in g["match"])
        spec = GpuSpec(
            model=g["model"],
            compute_capability=g["compute_capability"],
            architecture=g["architecture"],
            fp32_tflops=g.get("fp32_tflops"),
            tf32_tflops=g.get("tf32_tflops"),
            bf16_tflops=g.get("bf16_tflops"),
            fp16_tflops=g.get("fp16_tflops"),
            memory_bandwidth_gbs=g.get("memory_bandwidth_gbs"),
            memory_gb=g.get("memory_gb"),
            bert_base_seq_per_s=g.get("bert_base_seq_per_s"),
            bert_large_seq_per_s=g.get("bert_large_seq_per_s"),
        )
        rows.append((pats, spec))
    return tuple(rows)


def gpu_specs() -> tuple[GpuSpec, ...]:
    """Every GPU model in the table (for generated tests and listings)."""
    return tuple(spec for _, spec in _gpu_table())


def gpu_spec(name: str) -> GpuSpec | None:
    """The table entry for a GPU name as NVML/nvidia-smi/collect_env print it, or ``None``.

    Entries are tried most specific first; the first pattern that matches wins. Unknown
    names (including the generic "Graphics Device") give ``None``.
    """
    text = " ".join(name.split())
    if not text:
        return None
    for pats, spec in _gpu_table():
        if any(p.search(text) for p in pats):
            return spec
    return None


def compute_capability(name: str) -> str | None:
    """The compute capability ("8.9") for a GPU name, or ``None`` when the name is unknown."""
    spec = gpu_spec(name)
    return spec.compute_capability if spec else None

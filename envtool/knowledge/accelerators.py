"""Queries on the non-NVIDIA and NVIDIA-on-Arm tables: ``rocm.toml``, ``xpu.toml``, ``apple.toml``, ``jetson.toml``.

Every number in those files carries its source; what no table lists is unknown (None). Pure and
cached: the files never change at run time.
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from envtool.util import release_tuple

TABLES = ("rocm.toml", "xpu.toml", "apple.toml", "jetson.toml")
ROCM_INDEX = "https://download.pytorch.org/whl/rocm"


@functools.cache
def load(filename: str) -> dict[str, Any]:
    text = resources.files("envtool.knowledge").joinpath(filename).read_text(encoding="utf-8")
    try:
        toml = importlib.import_module("tomllib")
    except ModuleNotFoundError:  # Python 3.10
        toml = importlib.import_module("tomli")
    data: dict[str, Any] = toml.loads(text)
    return data


# --------------------------------------------------------------------------- AMD


@dataclass(frozen=True, kw_only=True)
class AmdGpu:
    name: str  # the name matched, or every listed name when found by PCI id (one chip, several cards)
    gfx: str
    vram_gib: float | None = None
    compute_units: int | None = None
    shared_memory: bool = False
    weak: bool = False


def _amd_rows() -> list[dict[str, Any]]:
    return list(load("rocm.toml").get("gpu", []))


def _row_gpu(row: dict[str, Any], name: str | None = None) -> AmdGpu:
    return AmdGpu(
        name=name or " / ".join(row["names"]),
        gfx=row["gfx"],
        vram_gib=row.get("vram_gib"),
        compute_units=row.get("compute_units"),
        shared_memory=bool(row.get("shared_memory", False)),
        weak=bool(row.get("weak", False)),
    )


# The note an Accelerator carries when its gfx target was taken from the AMD table by the GPU's name (a paste that
# names the card only)
BY_NAME_NOTE = "its gfx target from envtool's AMD table, by name"


def amd_gpu(name: str | None = None, pci_device: str | None = None) -> AmdGpu | None:
    """An AMD GPU by marketing name (longest listed name contained in it wins) or PCI device id."""
    rows = _amd_rows()
    if pci_device:
        dev = pci_device.lower().removeprefix("0x").split(":")[-1].zfill(4)
        for row in rows:
            if dev in row.get("pci", []):
                return _row_gpu(row)
    if name:
        low = name.lower()
        best: tuple[int, dict[str, Any]] | None = None
        for row in rows:
            for n in row["names"]:
                if _contains_word(low, n.lower()) and (best is None or len(n) > best[0]):
                    best = (len(n), row)
        if best:
            return _row_gpu(
                best[1], next(n for n in best[1]["names"] if len(n) == best[0] and _contains_word(low, n.lower()))
            )
    return None


def _contains_word(text: str, word: str) -> bool:
    # "RX 7900 XT" must not match "RX 7900 XTX": the name must end at a word boundary.
    return re.search(r"(?<![A-Za-z0-9])" + re.escape(word) + r"(?![A-Za-z0-9])", text) is not None


def rocm_wheel_targets(torch_version: str | None) -> tuple[str, ...] | None:
    """The gfx targets in PyTorch's ROCm wheels of that torch release; None when no table row covers it."""
    want = release_tuple(torch_version)
    if want is None:
        return None
    for row in load("rocm.toml").get("wheel_targets", []):
        lo, hi = release_tuple(row["from_torch"]), release_tuple(row["to_torch"])
        if lo is not None and hi is not None and lo <= want <= hi:
            return tuple(row["targets"])
    return None


def rocm_indexes(torch_version: str | None) -> tuple[str, ...]:
    """The ROCm versions PyTorch published that torch release for (``whl/rocmX.Y``), newest last."""
    want = release_tuple(torch_version)
    if want is None:
        return ()
    for row in load("rocm.toml").get("index", []):
        have = release_tuple(row["torch"])
        if have is not None and have[:2] == want[:2]:
            return tuple(row["rocm"])
    return ()


def newest_torch_with_target(gfx: str) -> str | None:
    """The newest torch release whose ROCm wheels carry ``gfx`` (per the table), or None."""
    best: tuple[tuple[int, int, int], str] | None = None
    for row in load("rocm.toml").get("wheel_targets", []):
        hi = release_tuple(row["to_torch"])
        if gfx in row["targets"] and hi is not None and (best is None or hi > best[0]):
            best = (hi, row["to_torch"])
    return best[1] if best else None


# --------------------------------------------------------------------------- peaks

PEAK_TABLES = ("rocm.toml", "xpu.toml", "apple.toml")


@dataclass(frozen=True, kw_only=True)
class Peak:
    """A device's dense (no sparsity) peak TFLOP/s by precision; ``None`` is unknown, never zero.

    ``units`` is the count of compute units (AMD CUs, Intel vector engines, Apple GPU cores) the
    figures are for; ``scaled`` says the figures were scaled to a device with fewer of them.
    """

    name: str
    bf16_tflops: float | None = None
    fp16_tflops: float | None = None
    fp32_tflops: float | None = None
    tf32_tflops: float | None = None
    weak: bool = False
    units: int | None = None
    scaled: bool = False
    table: str = ""

    def by_precision(self) -> dict[str, float]:
        """The known peaks keyed as the workload names precisions (``bf16``, ``fp16``, ``fp32``, ``tf32``)."""
        values = {
            "fp32": self.fp32_tflops,
            "tf32": self.tf32_tflops,
            "bf16": self.bf16_tflops,
            "fp16": self.fp16_tflops,
        }
        return {k: float(v) for k, v in values.items() if v}


_PEAK_KEYS = ("bf16_tflops", "fp16_tflops", "fp32_tflops", "tf32_tflops")


def _peak_of(row: dict[str, Any], table: str, units: int | None) -> Peak | None:
    """The row's peak for a device of ``units`` compute units (None: not told), or None when it does not apply."""
    have = row.get("units")
    values = {k: row.get(k) for k in _PEAK_KEYS}
    scaled = False
    if have is None or units is None:
        # A figure that depends on the configuration (Apple's per GPU-core count) needs the device's count.
        if row.get("units_required") and units is None:
            return None
    elif units != have:
        if not row.get("scale") or units > have:
            return None
        # The vendor's figure is a per-unit rate times the units: a partition or stack gets its share.
        values = {k: (v * units / have if v else v) for k, v in values.items()}
        scaled = True
    if not any(values.values()):
        return None
    return Peak(
        name=str(row["name"]),
        weak=bool(row.get("weak", False)),
        units=units if scaled else have,
        scaled=scaled,
        table=table,
        **{k: (round(float(v), 2) if v else None) for k, v in values.items()},
    )


def peak(name: str | None, *, units: int | None = None, pci_device: str | None = None) -> Peak | None:
    """The dense peak of an AMD/Intel/Apple device, by name (longest listed name in it wins) or PCI device id.

    ``units`` is the device's compute-unit count when the machine reports it: a row for another
    configuration does not apply (None), except where the row says its figure scales per unit.
    Rows marked ``exact`` match only the whole name ("Apple M1" is not "Apple M1 Max").
    """
    low = " ".join((name or "").lower().split())
    dev = pci_device.lower().removeprefix("0x").split(":")[-1].zfill(4) if pci_device else None
    found: list[tuple[int, dict[str, Any], str]] = []
    for table in PEAK_TABLES:
        for row in load(table).get("peak", []):
            n = str(row["name"]).lower()
            if low and (low == n or (not row.get("exact") and _contains_word(low, n))):
                found.append((len(n), row, table))
            elif dev and dev in row.get("pci", []):
                found.append((0, row, table))  # by PCI id: below any name match
    # "AMD Instinct MI250X/MI250" (torch's name for both) matches two rows: the one for this device's
    # CU count first, then the longest name, then a row that scales to the device over one that does not.
    found.sort(key=lambda f: (units is None or f[1].get("units") != units, -f[0], not f[1].get("scale")))
    for _, row, table in found:
        got = _peak_of(row, table, units)
        if got is not None:
            return got
    return None


def jetson_peak(board: str | None, memory_bytes: int | None) -> Peak | None:
    """A Jetson module's GPU peak by its board name (device tree model) and memory, from ``jetson.toml``.

    The board name does not tell the modules of one family apart (the AGX Orin developer kit
    came with the 32 GB and the 64 GB module), so a row names the memory that marks its module.
    """
    low = (board or "").lower()
    if not low:
        return None
    gib = memory_bytes / 2**30 if memory_bytes else None
    for row in load("jetson.toml").get("peak", []):
        if str(row["board"]).lower() not in low:
            continue
        floor = row.get("min_memory_gib")
        if floor is not None and (gib is None or gib < floor):
            continue
        found = _peak_of(row, "jetson.toml", None)
        if found is not None:
            return found
    return None


# --------------------------------------------------------------------------- Intel XPU


def xpu_index() -> str:
    return str(load("xpu.toml")["index"]["url"])


def xpu_family(name: str | None = None, pci_device: str | None = None) -> str | None:
    """The validated XPU family ("Arc B-Series", ...) of an Intel GPU, or None (not on PyTorch's list)."""
    for row in load("xpu.toml").get("family", []):
        if pci_device and pci_device.lower().removeprefix("0x").split(":")[-1].zfill(4) in row.get("pci", []):
            return str(row["name"])
        if name and any(m.lower() in name.lower() for m in row.get("match", [])):
            return str(row["name"])
    return None


# --------------------------------------------------------------------------- macOS


def mps_min_macos() -> int:
    return int(load("apple.toml")["mps"]["min_macos_major"])


def mps_floor_for(torch_version: str | None) -> tuple[int, int] | None:
    """The macOS (major, minor) that a torch release's MPS backend needs: the current floor for an unknown or recent
    torch, an older release's own floor from the table, or None where the table has none for that torch."""
    mps = load("apple.toml")["mps"]
    shown = release_tuple(torch_version)
    current = release_tuple(str(mps["min_macos_as_of_torch"]))
    if shown is None or current is None or shown >= current:
        return (int(mps["min_macos_major"]), 0)
    for row in load("apple.toml").get("mps_floor", []):
        first, last = release_tuple(str(row["from"])), release_tuple(str(row["through"]))
        if first is not None and last is not None and first <= shown and shown[:2] <= last[:2]:
            major, _, minor = str(row["macos"]).partition(".")
            return (int(major), int(minor or 0))
    return None


def intel_mac_last_torch() -> str:
    return str(load("apple.toml")["intel_mac"]["last_torch"])


# --------------------------------------------------------------------------- NVIDIA on Arm, Jetson


def _core_row(part: str) -> dict[str, Any] | None:
    for row in load("jetson.toml").get("arm_core", []):
        if row["part"] == part.lower():
            return dict(row)
    return None


def arm_core(part: str) -> str | None:
    row = _core_row(part)
    return str(row["core"]) if row else None


def sbsa_soc(part: str) -> str | None:
    row = _core_row(part)
    return str(row["sbsa_soc"]) if row and row.get("sbsa_soc") else None


def sbsa_soc_by_core(core: str) -> str | None:
    """The SoC from lscpu's core name ("Neoverse-V2" -> "Grace") where /proc/cpuinfo was not read."""
    for row in load("jetson.toml").get("arm_core", []):
        if row["core"].lower() == core.strip().lower() and row.get("sbsa_soc"):
            return str(row["sbsa_soc"])
    return None


def aarch64_archs(variant: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(SASS, PTX) of the generic aarch64 wheels of a CUDA variant ("cu128"), or None when not listed."""
    for row in load("jetson.toml").get("aarch64_archs", []):
        if row["variant"] == variant:
            return tuple(row["sass"]), tuple(row["ptx"])
    return None


def jetson_soc_by_compatible(tegra: str) -> str | None:
    for row in load("jetson.toml").get("tegra_soc", []):
        if row["compatible"] == tegra:
            return str(row["soc"])
    return None


def tegra_gpu_arch(soc: str | None, cuda: str | None) -> str | None:
    """The Tegra GPU's arch ("sm_87" Orin; Thor "sm_110" on CUDA 13, "sm_101" on CUDA 12)."""
    major = release_tuple(cuda)
    for row in load("jetson.toml").get("tegra_soc", []):
        if row["soc"] == soc:
            if major is None:
                return str(row["gpu_arch_cuda13"]) if row["gpu_arch_cuda13"] == row["gpu_arch_cuda12"] else None
            return str(row["gpu_arch_cuda13"] if major[0] >= 13 else row["gpu_arch_cuda12"])
    return None


@dataclass(frozen=True, kw_only=True)
class JetPack:
    jetpack: str
    cuda: str
    python: str
    weak: bool = False


def jetpack_for_l4t(l4t: str) -> JetPack | None:
    """The JetPack of an L4T release: an exact row first, then a row naming only its major.minor or major."""
    parts = l4t.split(".")
    candidates = [".".join(parts[:n]) for n in (3, 2, 1)]
    rows = {row["l4t"]: row for row in load("jetson.toml").get("jetpack", [])}
    for key in candidates:
        if key in rows:
            row = rows[key]
            return JetPack(
                jetpack=row["jetpack"], cuda=row["cuda"], python=row["python"], weak=bool(row.get("weak", False))
            )
    return None


@dataclass(frozen=True, kw_only=True)
class Channel:
    jetpack: str
    profile: str
    index: str
    confirmed: bool


def jetson_channel(jetpack: str | None) -> Channel | None:
    for row in load("jetson.toml").get("channel", []):
        if row["jetpack"] == jetpack:
            return Channel(
                jetpack=row["jetpack"], profile=row["profile"], index=row["index"], confirmed=bool(row["confirmed"])
            )
    return None


# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True, kw_only=True)
class AccelVariant:
    """A torch wheel variant outside the CUDA tables: ``rocm6.4``, ``xpu``, ``jp6-cu126``."""

    name: str
    kind: str  # "rocm", "xpu", "jetson"
    targets: tuple[str, ...] = ()  # gfx targets for ROCm; () when unknown


def accel_variant(variant: str, torch_version: str | None) -> AccelVariant | None:
    """The variant when it is one of these tables' (None: not theirs, or torch not published for it)."""
    if m := re.fullmatch(r"rocm(\d+\.\d+(?:\.\d+)?)", variant):
        if torch_version and m.group(1) not in rocm_indexes(torch_version):
            return None
        return AccelVariant(name=variant, kind="rocm", targets=rocm_wheel_targets(torch_version) or ())
    if variant == "xpu":
        return AccelVariant(name=variant, kind="xpu")
    if re.fullmatch(r"jp\d+-cu\d+", variant):
        return AccelVariant(name=variant, kind="jetson")
    return None

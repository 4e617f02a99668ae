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


@dataclass(frozen=True, kw_only=True)
class Peak:
    name: str
    bf16_tflops: float | None = None
    fp16_tflops: float | None = None
    fp32_tflops: float | None = None
    weak: bool = False


def peak(name: str | None) -> Peak | None:
    """The device's dense peak from the AMD/Intel/Apple tables, by name (longest match wins)."""
    if not name:
        return None
    low = name.lower()
    best: tuple[int, dict[str, Any]] | None = None
    for table in ("rocm.toml", "xpu.toml", "apple.toml"):
        for row in load(table).get("peak", []):
            n = row["name"].lower()
            if _contains_word(low, n) and (best is None or len(n) > best[0]):
                best = (len(n), row)
    if best is None:
        return None
    row = best[1]
    return Peak(
        name=row["name"],
        bf16_tflops=row.get("bf16_tflops"),
        fp16_tflops=row.get("fp16_tflops"),
        fp32_tflops=row.get("fp32_tflops"),
        weak=bool(row.get("weak", False)),
    )


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

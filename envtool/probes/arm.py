"""NVIDIA on Arm: Grace servers (GH200/GB200) and DGX Spark (GB10) are ``sbsa``; Jetson boards are ``tegra``.

The CPU core comes from /proc/cpuinfo's ``CPU part`` (lscpu's "Model name" as a second opinion),
Jetson from /etc/nv_tegra_release and the device tree. Nothing here needs NVML: Jetson has none
worth the name (``nvidia-smi`` on JetPack 6 prints ``Orin (nvgpu)`` with every field N/A, which
is normal there), and GB10's NVML says "Not Supported" for memory, so its unified memory is read
from /proc/meminfo. The JetPack, CUDA and GPU of a board come from the sourced tables in
``envtool/knowledge/jetson.toml``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from envtool.knowledge import accelerators as kn


def _read(path: Path, limit: int = 1 << 16) -> str | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return None


def cpu_part(cpuinfo: str) -> tuple[str | None, str | None]:
    """/proc/cpuinfo -> (implementer, part) of the first core, e.g. ("0x41", "0xd4f")."""
    impl = re.search(r"^CPU implementer\s*:\s*(0x[0-9a-fA-F]+)", cpuinfo, re.M)
    part = re.search(r"^CPU part\s*:\s*(0x[0-9a-fA-F]+)", cpuinfo, re.M)
    return (impl.group(1).lower() if impl else None, part.group(1).lower() if part else None)


def lscpu_model(text: str) -> str | None:
    """lscpu's "Model name" (``Neoverse-V2``, ``Cortex-A78AE``)."""
    m = re.search(r"^\s*Model name:\s*(.+?)\s*$", text, re.M)
    return m.group(1) if m else None


def is_64k_kernel(kernel_release: str | None) -> bool | None:
    """``6.8.0-1013-nvidia-64k`` -> True (64 KiB pages; NVIDIA's Grace kernels)."""
    if not kernel_release:
        return None
    return kernel_release.endswith("-64k")


def parse_nv_tegra_release(text: str) -> str | None:
    """``# R36 (release), REVISION: 4.3, ...`` -> "36.4.3"; ``R39 ... REVISION: 2.0`` -> "39.2.0"."""
    m = re.search(r"#\s*R(\d+)\s*\(release\),\s*REVISION:\s*(\d+)(?:\.(\d+))?", text)
    if not m:
        return None
    return f"{m.group(1)}.{m.group(2)}.{m.group(3) or 0}"


def parse_compatible(raw: str) -> tuple[str, ...]:
    """/proc/device-tree/compatible is NUL-separated; a copy printed run-together
    (``...p3834-0008nvidia,p3834-0008nvidia,tegra264``) is split before each vendor prefix."""
    parts = [p for p in raw.replace("\x00", "\n").splitlines() if p.strip()]
    out: list[str] = []
    for p in parts:
        out.extend(x for x in re.split(r"(?<=[0-9a-z])(?=nvidia,)", p.strip()) if x)
    return tuple(out)


def tegra_soc(compatible: tuple[str, ...], model: str | None) -> str | None:
    """The Jetson SoC: from the device tree's ``nvidia,tegraNNN`` entry, else from the model name."""
    for c in compatible:
        if m := re.fullmatch(r"nvidia,(tegra\d+)", c):
            soc = kn.jetson_soc_by_compatible(m.group(1))
            if soc:
                return soc
    low = (model or "").lower()
    for name in ("Thor", "Orin", "Xavier"):
        if name.lower() in low:
            return name
    return None


def probe_arm(
    *,
    arch: str | None,
    kernel: str | None,
    proc: str | Path = "/proc",
    etc: str | Path = "/etc",
    lscpu_text: str | None = None,
) -> dict[str, Any]:
    """PlatformFacts fields for an aarch64 Linux machine (empty on other machines)."""
    if arch not in ("aarch64", "arm64"):
        return {}
    proc, etc = Path(proc), Path(etc)
    facts: dict[str, Any] = {}
    notes: list[str] = []
    _, part = cpu_part(_read(proc / "cpuinfo") or "")
    facts["cpu_part"] = part
    core = kn.arm_core(part) if part else None
    facts["cpu_core"] = core or (lscpu_model(lscpu_text) if lscpu_text else None)
    facts["kernel_64k"] = is_64k_kernel(kernel)
    tegra = _read(etc / "nv_tegra_release")
    model = _read(proc / "device-tree" / "model")
    compat = _read(proc / "device-tree" / "compatible")
    if tegra or (kernel or "").endswith("-tegra"):
        facts["kind"] = "tegra"
        l4t = parse_nv_tegra_release(tegra or "")
        facts["l4t"] = l4t
        facts["board"] = model.strip("\x00\n ") if model else None
        facts["compatible"] = parse_compatible(compat) if compat else ()
        soc = tegra_soc(facts["compatible"], facts["board"])
        facts["soc"] = soc
        jp = kn.jetpack_for_l4t(l4t) if l4t else None
        if jp is not None:
            facts["jetpack"] = jp.jetpack
            facts["board_cuda"] = jp.cuda
        elif l4t:
            notes.append(f"L4T {l4t} is not in envtool's JetPack table; the JetPack version is unknown")
        facts["gpu_arch"] = kn.tegra_gpu_arch(soc, facts.get("board_cuda")) if soc else None
        total = _meminfo_total(proc)
        if total:
            facts["unified_memory_bytes"] = total
            facts["unified_memory_source"] = "/proc/meminfo MemTotal (the Jetson GPU shares the system RAM)"
    else:
        soc = kn.sbsa_soc(part) if part else None
        if soc is None and facts["cpu_core"]:
            soc = kn.sbsa_soc_by_core(facts["cpu_core"])
        if soc and not (proc / "driver" / "nvidia").is_dir():
            # Other vendors' SoCs use these cores too: Grace/GB10 only with NVIDIA's driver loaded.
            notes.append(f"{facts['cpu_core']} cores without NVIDIA's driver loaded: not taken for {soc}")
            soc = None
        facts["soc"] = soc
        if soc:
            facts["kind"] = "sbsa"
        if soc == "GB10":
            total = _meminfo_total(proc)
            if total:
                facts["unified_memory_bytes"] = total
                facts["unified_memory_source"] = (
                    "/proc/meminfo MemTotal (GB10's NVML answers Not Supported for memory; the GPU uses system RAM)"
                )
    facts["notes"] = tuple(notes)
    return facts


def _meminfo_total(proc: Path) -> int | None:
    text = _read(proc / "meminfo") or ""
    m = re.search(r"^MemTotal:\s*(\d+)\s*kB", text, re.M)
    return int(m.group(1)) * 1024 if m else None

"""Apple silicon and macOS: the chip, its unified memory, the macOS version, Rosetta.

``uname -m`` is not used to tell Apple silicon apart: an x86_64 python under Rosetta sees
``x86_64`` there (dcloudio/native-docs#154). ``sysctl hw.optional.arm64`` answers for the
machine, whatever the process runs as.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from envtool.model import Accelerator


def parse_sysctl(text: str) -> dict[str, str]:
    """``sysctl -a`` / ``sysctl key ...`` lines (``key: value``) -> a dict."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and " " not in key.strip():
            out[key.strip()] = value.strip()
    return out


def parse_sw_vers(text: str) -> dict[str, str]:
    """``sw_vers`` -> ProductName / ProductVersion / BuildVersion (tab or space separated)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def apple_chip(sysctl: dict[str, str]) -> str | None:
    """ "Apple M3 Max", or None. macOS 11 on M1 says only "Apple processor" (archspec's capture)."""
    brand = sysctl.get("machdep.cpu.brand_string", "")
    m = re.match(r"Apple (M\d+(?: (?:Pro|Max|Ultra))?)\b", brand)
    return f"Apple {m.group(1)}" if m else None


def is_apple_silicon(sysctl: dict[str, str]) -> bool | None:
    if sysctl.get("hw.optional.arm64") == "1":
        return True
    if sysctl.get("machdep.cpu.brand_string", "").startswith("Apple"):
        return True
    if sysctl:
        return False
    return None


def chip_family(chip: str | None) -> str | None:
    """ "Apple M3 Max" -> "M3" (the generation the peak table is keyed on)."""
    m = re.search(r"\b(M\d+)\b", chip or "")
    return m.group(1) if m else None


def gpu_from_system_profiler(text: str) -> tuple[str | None, int | None, str | None]:
    """``system_profiler SPDisplaysDataType -json`` -> (GPU name, GPU core count, Metal family).

    The core count (``sppci_cores``) is absent from the captures here; None then. Old macOS
    names the M1 ``kHW_AppleM1Item`` (a localisation key), which is not taken as a name.
    """
    try:
        data = json.loads(text)
    except ValueError:
        return _gpu_from_text(text)
    for item in data.get("SPDisplaysDataType", []) if isinstance(data, dict) else []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("sppci_model") or item.get("_name") or "")
        cores = item.get("sppci_cores")
        family = item.get("spdisplays_mtlgpufamilysupport") or item.get("spdisplays_metalfamily")
        return (
            name if name and not name.startswith("kHW_") else None,
            int(str(cores)) if str(cores or "").isdigit() else None,
            str(family) if family else None,
        )
    return None, None, None


def _gpu_from_text(text: str) -> tuple[str | None, int | None, str | None]:
    # A cut-short JSON document (the captures are excerpts): read the first GPU's fields by pattern.
    name = re.search(r'"(?:sppci_model|_name)"\s*:\s*"([^"]+)"', text)
    cores = re.search(r'"sppci_cores"\s*:\s*"?(\d+)', text)
    family = re.search(r'"spdisplays_(?:mtlgpufamilysupport|metalfamily)"\s*:\s*"([^"]+)"', text)
    n = name.group(1) if name else None
    return (
        n if n and not n.startswith("kHW_") else None,
        int(cores.group(1)) if cores else None,
        family.group(1) if family else None,
    )


def parse_hardware_overview(text: str) -> dict[str, str]:
    """``system_profiler SPHardwareDataType`` text -> its ``Key: value`` pairs (Chip, Memory, ...)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and value.strip():
            out[key.strip()] = value.strip()
    return out


def macos_major(version: str | None) -> int | None:
    """ "14.7.5" -> 14; "10.15.5" -> 10. macOS 26 follows 15 (the year numbering): an integer compare holds."""
    m = re.match(r"\s*(\d+)", version or "")
    return int(m.group(1)) if m else None


Runner = Callable[[list[str], float], str | None]


def probe_apple(run: Runner, *, timeout: float = 5.0) -> tuple[list[Accelerator], dict[str, Any]]:
    """The Apple GPU (one, built into the chip) and the macOS facts; run only on macOS."""
    # One key per call where a key may be missing: sysctl fails as a whole on an unknown name
    # (hw.optional.arm64 on older Intel Macs, sysctl.proc_translated outside Rosetta's era).
    sysctl: dict[str, str] = {}
    for keys in (["machdep.cpu.brand_string", "hw.memsize"], ["hw.optional.arm64"], ["sysctl.proc_translated"]):
        sysctl.update(parse_sysctl(run(["sysctl", *keys], timeout) or ""))
    vers = parse_sw_vers(run(["sw_vers"], timeout) or "")
    facts: dict[str, Any] = {
        "macos_version": vers.get("ProductVersion"),
        "rosetta": sysctl.get("sysctl.proc_translated") == "1" if "sysctl.proc_translated" in sysctl else None,
    }
    silicon = is_apple_silicon(sysctl)
    facts["kind"] = None if silicon is None else "apple-silicon" if silicon else "intel-mac"
    chip = apple_chip(sysctl)
    mem = int(sysctl["hw.memsize"]) if sysctl.get("hw.memsize", "").isdigit() else None
    facts["soc"] = chip
    if not silicon:
        return [], facts
    name, cores, family = gpu_from_system_profiler(
        run(["system_profiler", "SPDisplaysDataType", "-json"], timeout) or ""
    )
    facts["unified_memory_bytes"] = mem
    facts["unified_memory_source"] = "sysctl hw.memsize (the GPU shares it)" if mem else None
    accel = Accelerator(
        index=0,
        vendor="apple",
        name=name or chip,
        arch=chip_family(name or chip),
        compute_units=cores,
        memory_bytes=mem,
        memory_shared=True,
        driver=family,
        source="sysctl",
    )
    return [accel], facts

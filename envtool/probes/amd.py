"""AMD GPUs (and Hygon DCUs, which print the same tools' output) without importing torch.

Order of trust, as the tools disagree: the KFD topology in /sys (what the ROCm runtime itself
enumerates, one node per GPU partition), then ``amd-smi``/``rocm-smi`` JSON, then ``rocminfo``,
then PCI ids (vendor 0x1002) as the last resort. Parsers are pure functions on text; readers
take their roots as parameters so tests point them at captured trees.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from envtool.model import Accelerator
from envtool.probes.pci import VENDORS

AMD_VENDOR = 0x1002
KFD_TOPOLOGY = "/sys/class/kfd/kfd/topology"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --------------------------------------------------------------------------- gfx names


def gfx_from_target_version(value: int) -> str | None:
    """KFD's decimal ``gfx_target_version`` -> the gfx name (90402 -> gfx942, 90010 -> gfx90a).

    The number is ``major*10000 + minor*100 + stepping``; the name prints the stepping in hex
    (ROCm/rocm-cli#343, the capture trees). 0 means "not a GPU" (CPU nodes).
    """
    if value <= 0:
        return None
    major, rest = divmod(value, 10000)
    minor, stepping = divmod(rest, 100)
    return f"gfx{major}{minor}{stepping:x}"


def base_gfx(name: str | None) -> str | None:
    """``gfx942:sramecc+:xnack-`` / ``amdgcn-amd-amdhsa--gfx90a:xnack-`` -> ``gfx942`` / ``gfx90a``."""
    if not name:
        return None
    m = re.search(r"gfx[0-9a-f]+", name.strip().lower())
    return m.group(0) if m else None


def is_hygon(vendor_text: str | None) -> bool:
    """Hygon DCUs ship look-alike ROCm tools (gpustack's hygon captures); they get no AMD wheels."""
    t = (vendor_text or "").lower()
    return "hygon" in t or "haiguang" in t


# --------------------------------------------------------------------------- KFD topology


def parse_kfd_properties(text: str) -> dict[str, int]:
    """One ``nodes/N/properties`` file -> its ``key value`` pairs (values are integers)."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def accelerators_from_kfd(
    nodes: Mapping[int, Mapping[str, int]], names: Mapping[int, str] | None = None
) -> list[Accelerator]:
    """KFD nodes -> GPUs (CPU nodes have ``simd_count 0``). Old kernels have no ``gfx_target_version``."""
    names = names or {}
    out: list[Accelerator] = []
    for node in sorted(nodes):
        props = nodes[node]
        if props.get("simd_count", 0) <= 0:
            continue
        vendor_id = props.get("vendor_id")
        device_id = props.get("device_id")
        gfx = gfx_from_target_version(props["gfx_target_version"]) if "gfx_target_version" in props else None
        simd_per_cu = props.get("simd_per_cu") or 4  # GCN/CDNA/RDNA: 4 SIMDs per CU (the captures' simd_per_cu)
        notes: list[str] = []
        if "gfx_target_version" not in props:
            notes.append("this kernel's KFD has no gfx_target_version; rocminfo names the target")
        mem = props.get("local_mem_size") or None
        out.append(
            Accelerator(
                index=len(out),
                vendor="amd" if vendor_id in (None, AMD_VENDOR) else VENDORS.get(vendor_id, f"pci-{vendor_id:04x}"),
                name=(names.get(node) or "").strip() or None,
                arch=gfx,
                pci_id=f"{vendor_id:04x}:{device_id:04x}" if vendor_id and device_id else None,
                compute_units=props["simd_count"] // simd_per_cu,
                memory_bytes=mem,
                physical_id=str(props["unique_id"]) if props.get("unique_id") else None,
                source="kfd",
                notes=tuple(notes),
            )
        )
    return out


def read_kfd(topology: str | Path = KFD_TOPOLOGY) -> list[Accelerator] | None:
    """The GPUs in a KFD topology tree, or None when there is no such tree (no amdgpu/KFD)."""
    root = Path(topology) / "nodes"
    if not root.is_dir():
        return None
    nodes: dict[int, dict[str, int]] = {}
    names: dict[int, str] = {}
    for d in root.iterdir():
        if not d.name.isdigit():
            continue
        try:
            nodes[int(d.name)] = parse_kfd_properties((d / "properties").read_text(errors="replace"))
        except OSError:
            continue
        try:
            name = (d / "name").read_text(errors="replace").strip()
        except OSError:
            name = ""
        if base_gfx(name):  # newer kernels write "ip discovery" here, older ones the gfx name or nothing
            names[int(d.name)] = name
    return accelerators_from_kfd(nodes, names)


def partitions(accels: list[Accelerator]) -> dict[str, int]:
    """physical_id -> number of partitions, for GPUs shown as more than one device."""
    counts: dict[str, int] = {}
    for a in accels:
        if a.physical_id:
            counts[a.physical_id] = counts.get(a.physical_id, 0) + 1
    return {k: v for k, v in counts.items() if v > 1}


# --------------------------------------------------------------------------- amd-smi / rocm-smi


def parse_amd_smi_static_json(text: str) -> list[Accelerator]:
    """``amd-smi static --json`` (a list, or ``{"gpu_data": [...]}`` in newer releases)."""
    data = json.loads(text)
    items = data.get("gpu_data", []) if isinstance(data, dict) else data
    out: list[Accelerator] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        asic = item.get("asic") or {}
        vram = (item.get("vram") or {}).get("size") or {}
        mem = _size_bytes(vram.get("value"), vram.get("unit"))
        driver = item.get("driver") or {}
        vendor_name = str(asic.get("vendor_name") or "")
        vid, did = _hex(asic.get("vendor_id")), _hex(asic.get("device_id"))
        cus = asic.get("num_compute_units")
        out.append(
            Accelerator(
                index=int(item.get("gpu", len(out))),
                vendor="hygon" if is_hygon(vendor_name) else "amd",
                name=_na(asic.get("market_name")),
                arch=base_gfx(_na(asic.get("target_graphics_version"))),
                pci_id=f"{vid:04x}:{did:04x}" if vid is not None and did is not None else None,
                compute_units=int(cus) if isinstance(cus, int) else None,
                memory_bytes=mem,
                driver=_na(driver.get("name")),
                source="amd-smi",
            )
        )
    return out


def parse_rocm_smi_json(text: str) -> list[Accelerator]:
    """``rocm-smi ... --json``: ``{"card0": {...}}``. Its ``"GFX Version": "gfx9010"`` is KFD's
    decimal number glued to "gfx" (ROCm/rocm_smi_lib#159), so it is decoded, not trusted as a name.
    """
    data = json.loads(text)
    out: list[Accelerator] = []
    for key in sorted((k for k in data if re.fullmatch(r"card\d+", k)), key=lambda k: int(k[4:])):
        card = data[key]
        if not isinstance(card, dict):
            continue
        vendor_text = str(card.get("Card Vendor") or "")
        mem: int | None = None
        for mkey, value in card.items():
            low = mkey.lower()
            if low.startswith("vram total memory") and "used" not in low:
                unit = "B" if "(b)" in low else "MiB" if "(mib)" in low else None
                mem = _size_bytes(_num(value), unit)
        dev = _hex(card.get("Device ID") or card.get("Card Model"))
        out.append(
            Accelerator(
                index=int(key[4:]),
                vendor="hygon" if is_hygon(vendor_text) else "amd",
                name=_na(card.get("Card Series") or card.get("Device Name")),
                arch=gfx_from_smi(card.get("GFX Version")),
                pci_id=f"{AMD_VENDOR:04x}:{dev:04x}" if dev is not None and not is_hygon(vendor_text) else None,
                memory_bytes=mem,
                source="rocm-smi",
            )
        )
    return out


def gfx_from_smi(value: Any) -> str | None:
    """rocm-smi's "GFX Version" -> a gfx name. It prints the major, then minor*100+stepping in three
    decimal digits: "gfx9010" = 9 | 0 10 -> gfx90a, "gfx11001" = 11 | 0 01 -> gfx1101. Real names pass
    through: three digits (gfx942) or four starting with 1 (gfx1100), or any with a hex letter (gfx90a).
    """
    text = str(value or "").strip().lower()
    m = re.fullmatch(r"gfx(\d+)", text)
    if not m:
        return base_gfx(text)
    digits = m.group(1)
    if len(digits) == 3 or (len(digits) == 4 and digits[0] == "1"):
        return text
    if len(digits) < 4:
        return None
    return gfx_from_target_version(int(digits[:-3]) * 10000 + int(digits[-3]) * 100 + int(digits[-2:]))


# --------------------------------------------------------------------------- rocminfo


def parse_rocminfo(text: str) -> tuple[list[Accelerator], dict[str, str]]:
    """``rocminfo`` -> the GPU agents, and header facts (``kfd_version`` from "ROCk module version X").

    Fields are read by name, not by indentation (some captures have none). CPU agents are skipped
    even when their name says "Instinct" (MI300A's CPU agent); Hygon's DCU agents are vendor hygon.
    """
    text = _ANSI.sub("", text)
    header: dict[str, str] = {}
    if m := re.search(r"ROCk module version (\S+) is loaded", text):
        header["kfd_version"] = m.group(1)
    if m := re.search(r"^\s*Runtime Version:\s*(\S+)", text, re.M):
        header["runtime"] = m.group(1)
    agents: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if re.fullmatch(r"Agent \d+", line):
            current = {}
            agents.append(current)
            continue
        if current is None or ":" not in line:
            continue
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key and key not in current:  # the first occurrence: nested pool/ISA blocks repeat "Name"
            current[key] = value
    out: list[Accelerator] = []
    for agent in agents:
        if agent.get("Device Type", "").upper() not in ("GPU", "DCU"):
            continue
        vendor = agent.get("Vendor Name", "")
        chip = re.search(r"\(0x([0-9a-fA-F]+)\)", agent.get("Chip ID", ""))
        cus = agent.get("Compute Unit", "")
        hygon = is_hygon(vendor)
        out.append(
            Accelerator(
                index=len(out),
                vendor="hygon" if hygon else "amd",
                name=agent.get("Marketing Name") or None,
                arch=base_gfx(agent.get("Name")),
                pci_id=f"{AMD_VENDOR:04x}:{int(chip.group(1), 16):04x}" if chip and not hygon else None,
                compute_units=int(cus) if cus.isdigit() else None,
                physical_id=agent.get("Uuid")
                if agent.get("Uuid", "").startswith("GPU-") and agent.get("Uuid") != "GPU-XX"
                else None,
                source="rocminfo",
            )
        )
    return out, header


# --------------------------------------------------------------------------- ROCm install, driver, access


def parse_rocm_version(text: str) -> str | None:
    """The leading ``X.Y[.Z]`` of ``/opt/rocm/.info/version`` (the file was never captured: nothing more assumed)."""
    m = re.match(r"\s*(\d+\.\d+(?:\.\d+)?)", text)
    return m.group(1) if m else None


def parse_update_alternatives(text: str) -> str | None:
    """``update-alternatives --display rocm`` -> the version the link points to ("/opt/rocm-6.3.1" -> "6.3.1")."""
    m = re.search(r"link currently points to \S*/rocm-(\d+\.\d+(?:\.\d+)?)", text)
    return m.group(1) if m else None


def read_rocm_version(rocm_root: str | Path = "/opt/rocm") -> str | None:
    """``.info/version``, else the versioned folder /opt/rocm links to (``/opt/rocm-6.3.1``, the same
    link update-alternatives manages): a ROCm 7.14 docker install lacked the file (ROCm/legacy-rocm-build#419)."""
    for name in ("version", "version-dev"):  # DeepSpeed moved from version-dev to version (deepspeedai/DeepSpeed#5815)
        try:
            text = (Path(rocm_root) / ".info" / name).read_text(errors="replace")
        except OSError:
            continue
        if v := parse_rocm_version(text):
            return v
    m = re.fullmatch(r"rocm-(\d+\.\d+(?:\.\d+)?)", Path(os.path.realpath(rocm_root)).name)
    return m.group(1) if m else None


def amdgpu_loaded(sys_root: str | Path = "/sys") -> bool:
    return (Path(sys_root) / "module" / "amdgpu").is_dir()


def device_access(dev_root: str | Path = "/dev") -> tuple[bool | None, tuple[str, ...]]:
    """Whether /dev/kfd opens read-write for this user, and the groups owning it and the render nodes.

    None when /dev/kfd does not exist (no ROCm kernel driver, or a container without the device).
    """
    import grp

    kfd = Path(dev_root) / "kfd"
    if not kfd.exists():
        return None, ()
    groups: list[str] = []
    for p in [kfd, *sorted((Path(dev_root) / "dri").glob("renderD*"))]:
        try:
            gid = p.stat().st_gid
            name = grp.getgrgid(gid).gr_name
        except (OSError, KeyError):
            continue
        if name not in groups:
            groups.append(name)
    return os.access(kfd, os.R_OK | os.W_OK), tuple(groups)


def visible_devices(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The variables that hide AMD GPUs from torch (HIP and the ROCr runtime read them)."""
    keys = ("HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "HSA_OVERRIDE_GFX_VERSION")
    return tuple((k, env[k]) for k in keys if k in env)


# --------------------------------------------------------------------------- the reader


Runner = Callable[[list[str], float], str | None]


def probe_amd(
    run: Runner,
    *,
    topology: str | Path = KFD_TOPOLOGY,
    timeout: float = 5.0,
) -> tuple[list[Accelerator], list[str]]:
    """AMD/Hygon GPUs by the most trusted reader that answers; ``run(argv, timeout)`` gives a
    tool's stdout or None (not installed, failed, timed out). Returns the GPUs and notes.

    KFD gives partitions, gfx targets and the PCI vendor (AMD 1002, Hygon 1d94) without any tool;
    rocminfo is asked only when there is no KFD tree or a node lacks its gfx target (old kernels).
    """
    notes: list[str] = []
    kfd = read_kfd(topology)
    info_text = run(["rocminfo"], timeout) if kfd is None or any(a.arch is None for a in kfd) else None
    from_info, _ = parse_rocminfo(info_text) if info_text else ([], {})
    if kfd:
        if from_info:
            kfd = _fill_from(kfd, from_info)
        return kfd, notes
    if from_info:
        return from_info, notes
    for argv, parser in (
        (["amd-smi", "static", "--asic", "--vram", "--driver", "--json"], parse_amd_smi_static_json),
        (["rocm-smi", "--showproductname", "--showmeminfo", "vram", "--json"], parse_rocm_smi_json),
    ):
        text = run(argv, timeout)
        if not text:
            continue
        try:
            found = parser(text)
        except (ValueError, TypeError, KeyError) as exc:
            notes.append(f"{argv[0]}: unreadable output ({type(exc).__name__})")
            continue
        if found:
            return found, notes
    return [], notes


def _fill_from(kfd: list[Accelerator], info: list[Accelerator]) -> list[Accelerator]:
    """Names, missing gfx targets and the vendor from rocminfo's agents, matched in order."""
    import dataclasses

    out = []
    for i, a in enumerate(kfd):
        other = info[i] if i < len(info) else info[-1]
        out.append(
            dataclasses.replace(
                a,
                name=a.name or other.name,
                arch=a.arch or other.arch,
                vendor="hygon" if other.vendor == "hygon" else a.vendor,
            )
        )
    return out


# --------------------------------------------------------------------------- helpers


def _na(value: Any) -> str | None:
    s = str(value).strip() if value is not None else ""
    return None if s in ("", "N/A", "n/a", "None") else s


def _hex(value: Any) -> int | None:
    s = str(value or "").strip().lower()
    try:
        return int(s, 16) if s.startswith("0x") else None
    except ValueError:
        return None


def _num(value: Any) -> float | None:
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _size_bytes(value: Any, unit: Any) -> int | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        return None
    factor = {"B": 1, "KB": 1024, "MB": 2**20, "MiB": 2**20, "GB": 2**30, "GiB": 2**30}.get(str(unit))
    return int(value * factor) if factor else None

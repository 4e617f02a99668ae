"""Intel GPUs (Arc A/B, Data Center GPU Max): PCI ids, ``xpu-smi`` and ``sycl-ls``.

torch's XPU backend reaches a GPU through Level Zero: a GPU that ``sycl-ls`` lists only under
``opencl:gpu`` (intel/llvm#17535) is seen by the machine but not usable by torch.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from envtool.model import Accelerator
from envtool.probes.pci import PciDevice

INTEL_VENDOR = 0x8086


def parse_xpu_smi_discovery(text: str) -> list[Accelerator]:
    """``xpu-smi discovery [-d N]``: boxed (``| 0 | Device Name: ...``) or border-less layouts."""
    devices: list[dict[str, str]] = []
    for raw in text.splitlines():
        if "|" in raw:
            cells = raw.split("|")
            if len(cells) < 3:
                continue
            first, rest = cells[1].strip(), cells[2].strip()
        else:
            m = re.match(r"^\s*(\d*)\s+(\S.*?)\s*$", raw)
            if not m:
                continue
            first, rest = m.group(1), m.group(2)
        if first.isdigit():
            devices.append({"_id": first})
        if not devices or ":" not in rest:
            continue
        key, _, value = rest.partition(":")
        devices[-1].setdefault(key.strip(), value.strip())
    out: list[Accelerator] = []
    for d in devices:
        pci = d.get("PCI Device ID")
        name = d.get("Device Name")
        if pci is None and name and (m := re.search(r"\[(0x[0-9a-fA-F]+)\]", name)):
            pci = m.group(1)
        mem = re.match(r"([\d.]+)\s*MiB", d.get("Memory Physical Size", ""))
        eus = d.get("Number of EUs", "")
        out.append(
            Accelerator(
                index=int(d["_id"]),
                vendor="intel",
                name=name,
                pci_id=f"{INTEL_VENDOR:04x}:{int(pci, 16):04x}" if pci else None,
                compute_units=int(eus) if eus.isdigit() else None,
                memory_bytes=int(float(mem.group(1)) * 2**20) if mem else None,
                driver=d.get("Driver Version"),
                source="xpu-smi",
            )
        )
    return out


def parse_xpu_smi_banner(text: str) -> dict[str, str]:
    """``xpu-smi`` (v2.0 banner): the driver and Level Zero versions."""
    out: dict[str, str] = {}
    if m := re.search(r"Driver:\s*(\S+)", text):
        out["driver"] = m.group(1)
    if m := re.search(r"Level Zero:\s*(\S+)", text):
        out["level_zero"] = m.group(1)
    return out


_SYCL_NEW = re.compile(r"\[(?P<backend>[a-z_]+):(?P<type>[a-z]+)\]\[[a-z_]+:(?P<idx>\d+)\]\s*(?P<rest>.*)")
_SYCL_OLD = re.compile(r"\[(?P<backend>[a-z_]+):(?P<type>[a-z]+):(?P<idx>\d+)\]\s*(?P<rest>.*)")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SyclDevice:
    backend: str  # "level_zero", "opencl", "native_cpu"
    type: str  # "gpu", "cpu", "acc", "fpga"
    index: int
    name: str
    version: str | None = None


def parse_sycl_ls(text: str) -> list[SyclDevice]:
    """``sycl-ls`` device lines, old (``[ext_oneapi_level_zero:gpu:0]``) and new
    (``[level_zero:gpu][level_zero:0]``) formats; CI timestamps in front are skipped."""
    out: list[SyclDevice] = []
    for raw in text.splitlines():
        line = re.sub(r"^\d{4}-\d\d-\d\dT[\d:.]+Z\s*", "", raw.strip())
        m = _SYCL_NEW.match(line) or _SYCL_OLD.match(line)
        if not m:
            continue
        backend = m.group("backend").removeprefix("ext_oneapi_")
        rest = m.group("rest")
        platform_name, _, device = rest.partition(", ")
        ver = re.search(r"\[([^\]]+)\]\s*$", device)
        name = re.sub(r"\s*\[[^\]]+\]\s*$", "", device).strip()
        # The device's driver/API version follows its name: " OpenCL 3.0 NEO", " 12.55.8", " 1.3".
        name = re.sub(r"\s+(OpenCL\s.*|\d+(\.\d+)+)$", "", name)
        out.append(
            SyclDevice(
                backend=backend,
                type=m.group("type"),
                index=int(m.group("idx")),
                name=name or platform_name,
                version=ver.group(1) if ver else None,
            )
        )
    return out


def level_zero_gpus(devices: list[SyclDevice]) -> list[SyclDevice]:
    return [d for d in devices if d.backend == "level_zero" and d.type == "gpu"]


def _norm(name: str) -> str:
    return re.sub(r"\(tm\)|\(r\)|graphics|intel|[^a-z0-9]", "", name.lower())


def mark_usable(accels: list[Accelerator], sycl: list[SyclDevice] | None) -> list[Accelerator]:
    """Each Intel GPU usable (True) when a Level Zero GPU of its name is listed, False when
    ``sycl-ls`` ran and lists none such; unchanged (None) when sycl-ls did not run."""
    if sycl is None:
        return accels
    l0 = [_norm(d.name) for d in level_zero_gpus(sycl)]
    out = []
    for a in accels:
        key = _norm(a.name or "")
        ok = any(key and (key in n or n in key) for n in l0) if key else bool(l0)
        note = (
            ()
            if ok
            else ("sycl-ls lists no Level Zero device for it (OpenCL only): torch's XPU backend cannot use it",)
        )
        out.append(dataclasses.replace(a, usable=ok, notes=a.notes + note))
    return out


def from_pci(devices: list[PciDevice]) -> list[Accelerator]:
    return [
        Accelerator(index=i, vendor="intel", pci_id=d.pci_id, driver=d.driver, source="pci")
        for i, d in enumerate(d for d in devices if d.vendor_id == INTEL_VENDOR)
    ]


def accelerators_from_sycl(sycl: list[SyclDevice]) -> list[Accelerator]:
    """GPUs from sycl-ls alone (no xpu-smi): one per distinct GPU name, Level Zero ones usable."""
    seen: dict[str, Accelerator] = {}
    for d in sycl:
        if d.type != "gpu" or "intel" not in d.name.lower():
            continue
        key = _norm(d.name)
        prev = seen.get(key)
        usable = d.backend == "level_zero" or bool(prev and prev.usable)
        seen[key] = Accelerator(
            index=len(seen) if prev is None else prev.index,
            vendor="intel",
            name=d.name,
            usable=usable,
            source="sycl-ls",
        )
    out = sorted(seen.values(), key=lambda a: a.index)
    return mark_usable(out, sycl)


Runner = Callable[[list[str], float], str | None]


def probe_intel(
    run: Runner, pci: list[PciDevice] | None, *, timeout: float = 5.0
) -> tuple[list[Accelerator], dict[str, object]]:
    """Intel GPUs from xpu-smi, else sycl-ls (it names them), else PCI ids; each marked usable by
    torch XPU when sycl-ls ran. PCI entries are not matched to sycl-ls by position: the tools
    order an iGPU and a dGPU differently (the captured Windows and Linux A770 listings)."""
    facts: dict[str, object] = {}
    pci_intel = [d for d in pci or [] if d.vendor_id == INTEL_VENDOR]
    smi = run(["xpu-smi", "discovery"], timeout)
    accels = parse_xpu_smi_discovery(smi) if smi else []
    if smi:
        banner = parse_xpu_smi_banner(run(["xpu-smi"], timeout) or "")
        if banner.get("level_zero"):
            facts["level_zero_version"] = banner["level_zero"]
    sycl_text = run(["sycl-ls"], timeout) if accels or pci_intel else None
    sycl = parse_sycl_ls(sycl_text) if sycl_text else None
    if sycl is not None:
        facts["level_zero"] = bool(level_zero_gpus(sycl))
        accels = mark_usable(accels, sycl) if accels else accelerators_from_sycl(sycl)
    if not accels:
        accels = from_pci(pci_intel)
    return accels, facts

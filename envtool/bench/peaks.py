"""Which accelerator the workload will run on, and its sourced dense peaks by precision.

Pure: the machine's facts and the ``--device`` asked for in, the device, its backend and the
knowledge tables' peaks out. ``envtool bench`` and the checklist's bench check both pass the
workload ``--peaks``/``--peak-source`` from :func:`device_peaks`, and the verdict reads the same
answer, so the three never disagree on a device's peak.

Backends are torch's: ``cuda`` (NVIDIA, Jetson included), ``hip`` (AMD: a ROCm torch exposes
the GPU as ``cuda``), ``xpu`` (Intel), ``mps`` (Apple) and ``cpu``. An unknown peak is no
peak (``peaks`` empty, ``reason`` says why): nothing is filled in from a neighbour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from envtool import knowledge
from envtool.knowledge import accelerators
from envtool.model import Accelerator, HostFacts

GPU_BACKENDS = ("cuda", "hip", "xpu", "mps")  # torch backends that run on an accelerator
_VENDOR = {"amd": "AMD", "intel": "Intel", "apple": "Apple"}


@dataclass(frozen=True, kw_only=True)
class DevicePeaks:
    device: str  # as torch names it: "cuda:0", "xpu:0", "mps", "cpu"
    backend: str  # "cuda", "hip", "xpu", "mps", "cpu"
    name: str | None = None  # the device's name as detected
    peaks: dict[str, float] = field(default_factory=dict)  # precision -> dense TFLOP/s; {} = unknown
    source: str | None = None
    reason: str | None = None  # why there is no peak


def backend_of(device: str, torch_hip: bool = False) -> str:
    """The backend a torch device string runs on (a ROCm torch's ``cuda`` is HIP)."""
    kind = device.split(":")[0]
    if kind == "cuda":
        return "hip" if torch_hip else "cuda"
    return kind if kind in ("xpu", "mps") else "cpu"


def _index(device: str) -> int:
    m = re.fullmatch(r"[a-z]+:(\d+)", device)
    return int(m.group(1)) if m else 0


def _vendor(facts: HostFacts, vendor: str) -> list[Accelerator]:
    # `usable` False: seen but torch cannot use it (an Intel GPU without Level Zero); in listed order
    return [a for a in facts.accelerators if a.vendor == vendor and a.usable is not False]


def _torch_kind(facts: HostFacts) -> str | None:
    """What the target's torch build drives: "cuda", "hip", "xpu", "mps", "cpu"; None when no torch was read."""
    torch = facts.python.torch
    if torch is None:
        return None
    if torch.hip:
        return "hip"
    if torch.cuda:
        return "cuda"
    if "+xpu" in torch.version:
        return "xpu"
    if facts.platform.kind == "apple-silicon" or (facts.system.os_name == "Darwin" and facts.system.arch == "arm64"):
        return "mps"  # the default index's macOS arm64 wheel is the MPS build (apple.toml)
    return "cpu"


def resolve_device(facts: HostFacts, device: str | None) -> tuple[str, str]:
    """(device, backend) the workload runs on for ``--device`` (``None``/``auto``: the order below).

    ``auto``: NVIDIA GPU 0 (a Jetson's GPU included), else the first AMD GPU, else the first
    Intel GPU torch can use, else Apple's; a torch build that drives only one of them narrows the
    choice to it, and a CPU-only torch runs on the CPU.
    """
    asked = (device or "auto").strip().lower()
    kind = _torch_kind(facts)
    nvidia = bool(facts.nvidia.gpus) or facts.platform.kind == "tegra"
    if asked == "auto":
        order = [
            ("cuda", nvidia),
            ("hip", bool(_vendor(facts, "amd"))),
            ("xpu", bool(_vendor(facts, "intel"))),
            ("mps", bool(_vendor(facts, "apple")) or facts.platform.kind == "apple-silicon"),
        ]
        for backend, present in order:
            if present and kind in (None, backend):
                return ("mps" if backend == "mps" else "xpu:0" if backend == "xpu" else "cuda:0"), backend
        return "cpu", "cpu"
    if asked in ("cuda", "xpu"):
        asked += ":0"
    if asked.startswith("cuda"):
        hip = kind == "hip" or (kind is None and not nvidia and bool(_vendor(facts, "amd")))
        return asked, "hip" if hip else "cuda"
    return asked, backend_of(asked)


def device_peaks(facts: HostFacts, device: str | None) -> DevicePeaks:
    """The device ``--device`` picks and its dense peaks from the knowledge tables (``{}``: unknown)."""
    dev, backend = resolve_device(facts, device)
    if backend == "cpu":
        # the workload reads the CPU's own peak (finetune_smoke.flops); a GPU's would be wrong there
        return DevicePeaks(device=dev, backend=backend, reason="a CPU: the workload computes its peak itself")
    index = _index(dev)
    if backend == "cuda":
        return _nvidia(facts, dev, index)
    vendor = {"hip": "amd", "xpu": "intel", "mps": "apple"}[backend]
    found = _vendor(facts, vendor)
    accel = found[index] if index < len(found) else None
    if accel is None:
        return DevicePeaks(device=dev, backend=backend, reason=f"no {_VENDOR[vendor]} GPU {index} in the facts")
    name = accel.name or (facts.platform.soc if vendor == "apple" else None)
    peak = accelerators.peak(name, units=accel.compute_units, pci_device=accel.pci_id)
    if peak is None:
        return DevicePeaks(device=dev, backend=backend, name=name, reason=_why_unknown(name, accel, vendor))
    return DevicePeaks(
        device=dev, backend=backend, name=name, peaks=peak.by_precision(), source=_source(peak, accel.compute_units)
    )


def nvidia_peaks(name: str | None) -> tuple[dict[str, float], str | None]:
    """Every dense peak ``gpus.toml`` holds for an NVIDIA GPU name, by precision ({} and None: unknown)."""
    spec = knowledge.gpu_spec(name) if name else None
    if spec is None:
        return {}, None
    values = {
        "fp32": spec.fp32_tflops,
        "tf32": spec.tf32_tflops,
        "bf16": spec.bf16_tflops,
        "fp16": spec.fp16_tflops or spec.bf16_tflops,
    }
    return {k: float(v) for k, v in values.items() if v}, f"{spec.model}, envtool knowledge table"


def _nvidia(facts: HostFacts, dev: str, index: int) -> DevicePeaks:
    gpu = next((g for g in facts.nvidia.gpus if g.index == index), None)
    name = gpu.name if gpu is not None else None
    spec = knowledge.gpu_spec(name) if name else None
    peaks, source = nvidia_peaks(name)
    if peaks:
        return DevicePeaks(device=dev, backend="cuda", name=name, peaks=peaks, source=source)
    pf = facts.platform
    if pf.kind == "tegra" and index == 0:
        # a Jetson's GPU name ("Orin (nvgpu)", or none without NVML) does not tell the module: the board does
        jet = accelerators.jetson_peak(pf.board, pf.unified_memory_bytes)
        label = name or f"the {pf.soc or 'Tegra'} GPU"
        if jet is not None:
            return DevicePeaks(device=dev, backend="cuda", name=label, peaks=jet.by_precision(), source=_source(jet))
        return DevicePeaks(
            device=dev,
            backend="cuda",
            name=label,
            reason=f"no sourced peak for the GPU of {pf.board or 'this Jetson'} in jetson.toml",
        )
    if gpu is None:
        return DevicePeaks(device=dev, backend="cuda", reason=f"no NVIDIA GPU {index} in the facts")
    why = "not in the knowledge table" if spec is None else f"no sourced dense peak for {spec.model} in gpus.toml"
    return DevicePeaks(device=dev, backend="cuda", name=name, reason=f"{name}: {why}")


def _source(peak: accelerators.Peak, units: int | None = None) -> str:
    text = f"{peak.name}, envtool knowledge table ({peak.table}"
    if peak.scaled and units:
        text += f"; scaled to this device's {units} compute units"
    return text + ("; a secondary source)" if peak.weak else ")")


def _why_unknown(name: str | None, accel: Accelerator, vendor: str) -> str:
    label = name or accel.pci_id or f"{vendor} GPU {accel.index}"
    if vendor == "apple" and accel.compute_units is None:
        return f"no sourced peak for {label}: Apple's figures depend on the GPU core count, which was not read"
    return f"no sourced peak for {label} in the knowledge tables"


def peak_options(facts: HostFacts, device: str | None) -> dict[str, Any]:
    """The workload's ``peaks``/``peak_source`` options for ``--device`` ({} when the peak is unknown)."""
    found = device_peaks(facts, device)
    if not found.peaks:
        return {}
    return {"peaks": dict(found.peaks), "peak_source": found.source}

"""One device layer for the workload: CUDA (NVIDIA and ROCm/HIP), Intel XPU, Apple MPS and the CPU.

Everything the bench does that differs by backend goes through here: availability, synchronize,
timing a region, the allocator's cache and peak, the device's name and identity, whether its
memory is the host's, which fused kernels and grad scaler it has. torch is passed in, never
imported here, so the pure parts (``/proc/meminfo``, the unified-memory batch cap) are tested
without it and the rest is tested against fakes of the few torch names it calls.

The torch names used, as torch 2.13 spells them: ``torch.cuda.{is_available, device_count,
synchronize, Event, empty_cache, reset_peak_memory_stats, max_memory_allocated, memory_allocated,
get_device_name, get_device_capability, get_device_properties}`` (``gcnArchName``,
``is_integrated``), ``torch.version.{cuda, hip, xpu}``; the same names under ``torch.xpu``
(``is_integrated_gpu``); ``torch.mps.{synchronize, empty_cache, driver_allocated_memory,
current_allocated_memory, recommended_max_memory}``, ``torch.mps.event.Event``,
``torch.backends.mps.{is_built, is_available, is_macos_or_newer}``.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The device types ``--device auto`` tries, best first; the CPU is the fallback. A ROCm build of
# torch speaks HIP through the ``cuda`` device type, so "cuda" covers NVIDIA and AMD alike.
AUTO_ORDER = ("cuda", "xpu", "mps")
ACCELERATORS = frozenset(AUTO_ORDER)

# On a unified-memory machine the step's estimated peak may use at most this share of the memory
# budget. The rest is left to the OS, the page cache and whatever else runs there: past the budget
# such a machine swaps or calls the OOM killer instead of raising a clean OOM the batch search can
# catch. envtool's policy, not a published figure.
UNIFIED_MEMORY_FRACTION = 0.7
# The two batch sizes whose measured peaks give the per-sample memory (a straight line through them).
ESTIMATE_BATCHES = (1, 8)

# macOS 14.0: the oldest macOS the current torch wheels support MPS on (developer.apple.com/metal/pytorch,
# "Apple silicon, macOS 14.0 or later" for PyTorch 2.11).
MPS_MIN_MACOS = (14, 0)


def accelerator_module(torch: Any, device_type: str) -> Any:
    """``torch.cuda``, ``torch.xpu`` or ``torch.mps`` for the device type; None for the CPU or a torch without it."""
    if device_type not in ACCELERATORS:
        return None
    return getattr(torch, device_type, None)


def is_accelerator(device_type: str) -> bool:
    """Whether the device type is a GPU-like accelerator (the GPU auto shape, events, an allocator)."""
    return device_type in ACCELERATORS


def backend_label(torch: Any, device_type: str) -> str:
    """The backend behind a device type: cuda, hip (a ROCm build's ``cuda``), xpu, mps or cpu."""
    if device_type == "cuda" and getattr(getattr(torch, "version", None), "hip", None):
        return "hip"
    return device_type


def device_count(torch: Any, device_type: str) -> int:
    """How many devices of the type this torch sees (the CPU counts as one; MPS as at most one)."""
    if device_type == "cpu":
        return 1
    if device_type == "mps":
        backends_mps = getattr(getattr(torch, "backends", None), "mps", None)
        if backends_mps is None or not backends_mps.is_built() or not backends_mps.is_available():
            return 0
        return 1
    mod = accelerator_module(torch, device_type)
    if mod is None or not mod.is_available():
        return 0
    return int(mod.device_count())


def is_available(torch: Any, device_type: str) -> bool:
    """Whether at least one device of the type can run work here."""
    return device_count(torch, device_type) > 0


def unavailable_reason(torch: Any, device_type: str) -> str:
    """Why this torch cannot use the device type (for the one-line bad-input error)."""
    version = getattr(torch, "version", None)
    if device_type == "cuda":
        if getattr(version, "hip", None):
            return (
                "this torch is a ROCm build but sees no AMD GPU (is /dev/kfd readable: the render and video "
                "groups? HIP_VISIBLE_DEVICES or ROCR_VISIBLE_DEVICES set to hide it?)"
            )
        if getattr(version, "cuda", None):
            return "no CUDA device is visible to this torch (driver loaded? CUDA_VISIBLE_DEVICES?)"
        return "this torch is a CPU-only build (no CUDA or ROCm)"
    if device_type == "xpu":
        mod = getattr(torch, "xpu", None)
        if mod is None or not getattr(version, "xpu", None):
            return "this torch is not an XPU build (install it from PyTorch's xpu index)"
        return "this XPU build of torch sees no Intel GPU (Level Zero runtime and GPU driver installed?)"
    if device_type == "mps":
        backends_mps = getattr(getattr(torch, "backends", None), "mps", None)
        if backends_mps is None or not backends_mps.is_built():
            return "this torch is built without MPS (MPS needs torch's macOS arm64 wheel on Apple silicon)"
        newer = getattr(backends_mps, "is_macos_or_newer", None)
        if newer is not None and not newer(*MPS_MIN_MACOS):
            return f"MPS is built in but not available: this torch needs macOS {MPS_MIN_MACOS[0]}.0 or newer"
        return "MPS is built in but not available (no Metal device, or a virtual machine without one)"
    return f"unknown device type {device_type!r}"


def resolve(torch: Any, requested: str) -> tuple[Any, str | None]:
    """The torch.device for ``--device``, or (None, why) when it is absent; bad syntax raises ValueError.

    ``auto`` picks cuda (NVIDIA or HIP) > xpu > mps > cpu.
    """
    if requested == "auto":
        for kind in AUTO_ORDER:
            if is_available(torch, kind):
                return torch.device(kind, 0), None
        return torch.device("cpu"), None
    try:
        device = torch.device(requested)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(str(exc)) from exc
    if device.type == "cpu":
        return device, None
    if device.type not in ACCELERATORS:
        raise ValueError(f"device type {device.type!r} is not benched here: use auto, cpu, cuda:N, xpu:N or mps")
    count = device_count(torch, device.type)
    if count == 0:
        return None, unavailable_reason(torch, device.type)
    index = device.index or 0
    if index >= count:
        label = backend_label(torch, device.type).upper()
        return None, f"only {count} {label} device(s) visible"
    return torch.device(device.type, index), None


# ------------------------------------------------------------------------------------------
# Synchronize, timing, the allocator.
# ------------------------------------------------------------------------------------------


def synchronize(torch: Any, device: Any) -> None:
    """Wait for the device's queued work (a no-op on the CPU, where ops return when done)."""
    if device.type == "mps":
        torch.mps.synchronize()
    elif device.type in ("cuda", "xpu"):
        accelerator_module(torch, device.type).synchronize(device)


def _event(torch: Any, device_type: str) -> Any:
    if device_type == "mps":
        return torch.mps.event.Event(enable_timing=True)
    return accelerator_module(torch, device_type).Event(enable_timing=True)


def time_region(torch: Any, device: Any, fn: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``fn`` and return (its result, seconds the device spent on it).

    On an accelerator two timing events bracket the work on the device's queue (CUDA/HIP and XPU
    ``Event(enable_timing=True)``, MPS ``torch.mps.event.Event``), so the host's launch latency is
    not counted; the CPU uses the wall clock.
    """
    if not is_accelerator(device.type):
        t0 = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t0
    start, end = _event(torch, device.type), _event(torch, device.type)
    start.record()
    out = fn()
    end.record()
    end.synchronize()
    return out, float(start.elapsed_time(end)) / 1000.0


def empty_cache(torch: Any, device: Any) -> None:
    """Hand the caching allocator's free blocks back (after an OOM, before a measurement)."""
    mod = accelerator_module(torch, device.type)
    if mod is not None:
        mod.empty_cache()


def reset_peak_memory(torch: Any, device: Any) -> None:
    """Start a new peak-memory window.

    MPS keeps no peak counter: its window starts by emptying the cache, and the peak read later is
    what the Metal driver holds for the process then (freed blocks stay in the pools until emptied).
    """
    if device.type in ("cuda", "xpu"):
        accelerator_module(torch, device.type).reset_peak_memory_stats(device)
    elif device.type == "mps":
        torch.mps.empty_cache()


def peak_memory(torch: Any, device: Any) -> tuple[int, str] | None:
    """(bytes, kind) of the device memory peak since ``reset_peak_memory``; None on the CPU.

    Kinds: ``cuda_max_allocated`` (NVIDIA and HIP), ``xpu_max_allocated``, ``mps_driver_allocated``
    (the driver's allocation for the process, cached pool blocks included: an upper bound of the peak).
    """
    if device.type in ("cuda", "xpu"):
        return int(accelerator_module(torch, device.type).max_memory_allocated(device)), f"{device.type}_max_allocated"
    if device.type == "mps":
        return int(torch.mps.driver_allocated_memory()), "mps_driver_allocated"
    return None


def current_memory(torch: Any, device: Any) -> int:
    """Bytes the allocator holds for live tensors now (0 on the CPU)."""
    if device.type in ("cuda", "xpu"):
        return int(accelerator_module(torch, device.type).memory_allocated(device))
    if device.type == "mps":
        return int(torch.mps.current_allocated_memory())
    return 0


def recommended_max_memory(torch: Any, device: Any) -> int | None:
    """MPS's recommended working-set size (Metal's recommendedMaxWorkingSetSize); None elsewhere or before torch 2.3."""
    if device.type != "mps":
        return None
    getter = getattr(getattr(torch, "mps", None), "recommended_max_memory", None)
    return int(getter()) if getter is not None else None


# ------------------------------------------------------------------------------------------
# What the device is.
# ------------------------------------------------------------------------------------------


def _properties(torch: Any, device: Any) -> Any:
    mod = accelerator_module(torch, device.type)
    getter = getattr(mod, "get_device_properties", None) if device.type in ("cuda", "xpu") else None
    if getter is None:
        return None
    try:
        return getter(device)
    except (RuntimeError, AssertionError):
        return None


def capability(torch: Any, device: Any) -> tuple[int, int] | None:
    """The CUDA compute capability on NVIDIA; None elsewhere (a HIP build's numbers are not CUDA's)."""
    if device.type != "cuda" or backend_label(torch, "cuda") == "hip":
        return None
    major, minor = torch.cuda.get_device_capability(device)
    return int(major), int(minor)


def gcn_arch(torch: Any, device: Any) -> str | None:
    """The ROCm GPU's arch as torch reports it (``gfx942:sramecc+:xnack-``); None off HIP."""
    if backend_label(torch, device.type) != "hip":
        return None
    name = getattr(_properties(torch, device), "gcnArchName", None)
    return str(name) if name else None


def apple_chip(run: Callable[[list[str]], str | None] | None = None) -> str | None:
    """The Apple chip (``Apple M3 Max``) from ``sysctl -n machdep.cpu.brand_string``; None when unreadable."""
    text = (run or _run_short)(["sysctl", "-n", "machdep.cpu.brand_string"])
    line = (text or "").strip().splitlines()
    return line[0].strip() if line and line[0].strip() else None


def _run_short(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False, shell=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def device_name(torch: Any, device: Any, *, cpu_name: str, run: Callable[[list[str]], str | None] | None = None) -> str:
    """The device's marketing name: ``torch.cuda``/``torch.xpu.get_device_name``, the Apple chip, or the CPU's."""
    if device.type in ("cuda", "xpu"):
        return str(accelerator_module(torch, device.type).get_device_name(device))
    if device.type == "mps":
        chip = apple_chip(run)
        return f"{chip} GPU (MPS)" if chip else "Apple MPS device"
    return cpu_name


def unified_memory(torch: Any, device: Any) -> tuple[bool, str]:
    """Whether the device's memory is the host's RAM, and how that is known.

    MPS: always (Apple silicon has one memory). CUDA and HIP: ``cudaDeviceProp::integrated``
    (torch's ``is_integrated``), set on Jetson and on GB10 (``integrated=1`` measured on a DGX
    Spark, ggml-org/llama.cpp#24933) and on APUs. XPU: ``is_integrated_gpu`` (Core Ultra iGPUs).
    """
    if device.type == "mps":
        return True, "MPS: Apple silicon's GPU shares the unified memory"
    if device.type not in ("cuda", "xpu"):
        return False, "not an accelerator"
    props = _properties(torch, device)
    attr = "is_integrated" if device.type == "cuda" else "is_integrated_gpu"
    value = getattr(props, attr, None)
    if value is None:
        return False, f"this torch reports no {attr}: taken as discrete"
    if value:
        return True, f"{backend_label(torch, device.type)}: {attr} is set (an integrated GPU on host memory)"
    return False, f"{backend_label(torch, device.type)}: {attr} is 0 (its own memory)"


@dataclass(frozen=True, kw_only=True)
class DeviceInfo:
    """What the result says about the device: identity, backend and memory model."""

    type: str
    backend: str
    name: str
    count: int
    capability: tuple[int, int] | None = None
    gcn_arch: str | None = None
    unified_memory: bool = False
    unified_memory_reason: str = ""


def describe(
    torch: Any, device: Any, *, cpu_name: str, run: Callable[[list[str]], str | None] | None = None
) -> DeviceInfo:
    """Gather the device's identity once, at the start of a run."""
    unified, why = unified_memory(torch, device)
    return DeviceInfo(
        type=device.type,
        backend=backend_label(torch, device.type),
        name=device_name(torch, device, cpu_name=cpu_name, run=run),
        count=device_count(torch, device.type),
        capability=capability(torch, device),
        gcn_arch=gcn_arch(torch, device),
        unified_memory=unified,
        unified_memory_reason=why,
    )


# ------------------------------------------------------------------------------------------
# What the device's torch offers: fused AdamW, the grad scaler, bf16.
# ------------------------------------------------------------------------------------------


def fused_adamw_devices(torch: Any) -> frozenset[str]:
    """The device types this torch has fused optimizer kernels for.

    torch >= 2.4 lists them in ``torch.utils._foreach_utils._get_fused_kernels_supported_devices``
    (2.13: mps, cuda, xpu, hpu, cpu, mtia and the private-use backend); older torch only had CUDA.
    """
    utils = getattr(getattr(torch, "utils", None), "_foreach_utils", None)
    listed = getattr(utils, "_get_fused_kernels_supported_devices", None)
    if listed is None:
        return frozenset({"cuda"})
    try:
        return frozenset(str(d) for d in listed())
    except Exception:  # noqa: BLE001 - a private helper: anything odd means "unknown", i.e. CUDA only
        return frozenset({"cuda"})


def optimizer_kind(torch: Any, device_type: str, *, precision: str | None = None) -> tuple[str, str]:
    """ "fused" or "foreach" for AdamW on this device, and why.

    MPS with fp16 (a grad scaler) takes foreach: the MPS fused Adam kernel ignored the scaler's
    ``grad_scale`` and ``found_inf`` until pytorch/pytorch#186360 (2026), so a skipped step would
    still have updated the weights.
    """
    if device_type not in fused_adamw_devices(torch):
        return "foreach", f"this torch has no fused AdamW kernel for {device_type}"
    if device_type == "mps" and precision == "fp16":
        return "foreach", "MPS fused Adam ignored the grad scaler before pytorch/pytorch#186360"
    return "fused", f"fused AdamW kernel for {device_type}"


def half_works(torch: Any, device: Any, dtype_name: str) -> tuple[bool, str]:
    """Whether a tiny matmul in ``bf16``/``fp16`` runs on the device (MPS bf16 needs a newer macOS and torch)."""
    dtype = getattr(torch, {"bf16": "bfloat16", "fp16": "float16"}[dtype_name])
    try:
        a = torch.ones(4, 4, dtype=dtype, device=device)
        _ = (a @ a).sum().item()
    except (RuntimeError, TypeError) as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        return False, f"a {dtype_name} matmul fails on this {device.type}: {type(exc).__name__}: {first}"
    return True, ""


def grad_scaler_works(torch: Any, device: Any) -> tuple[bool, str]:
    """Whether ``torch.amp.GradScaler`` runs a scaled step on the device (fp16 is offered only then).

    A real step on one parameter: older torch on MPS failed in ``unscale_`` (a float64 cast MPS does
    not have, pytorch/pytorch#142397).
    """
    try:
        p = torch.zeros(2, device=device, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        scaler = torch.amp.GradScaler(device.type)
        scaler.scale((p * 2.0).sum()).backward()
        scaler.step(opt)
        scaler.update()
    except (RuntimeError, TypeError, AttributeError) as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        return False, f"torch.amp.GradScaler fails on this {device.type}: {type(exc).__name__}: {first}"
    return True, ""


# ------------------------------------------------------------------------------------------
# Unified memory: the budget and the batch cap (pure arithmetic, and /proc/meminfo).
# ------------------------------------------------------------------------------------------


def parse_meminfo(text: str) -> dict[str, int]:
    """``/proc/meminfo`` as bytes per key (lines like ``MemAvailable:   12345 kB``)."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        parts = rest.split()
        if not sep or not parts or not parts[0].isdigit():
            continue
        scale = 1024 if len(parts) > 1 and parts[1].lower() == "kb" else 1
        out[key.strip()] = int(parts[0]) * scale
    return out


def mem_available(text: str) -> int | None:
    """MemAvailable in bytes: what the kernel estimates can be allocated without swapping (None if absent)."""
    return parse_meminfo(text).get("MemAvailable")


def read_meminfo(path: str = "/proc/meminfo") -> str | None:
    """The text of ``/proc/meminfo`` (None off Linux)."""
    with contextlib.suppress(OSError):
        return Path(path).read_text(encoding="utf-8", errors="replace")
    return None


@dataclass(frozen=True, kw_only=True)
class MemoryBudget:
    """How much memory the step may reach on a unified-memory device, and where the figure comes from.

    ``limit_bytes`` is the most the step's device peak may be: the share of the budget, plus what
    the run already held when a "still available" figure was read (that memory is counted in the
    peak but not in MemAvailable).
    """

    budget_bytes: int | None
    source: str
    limit_bytes: int | None


def memory_budget(
    *,
    device_type: str,
    meminfo_text: str | None,
    recommended_max: int | None,
    resident_bytes: int,
    fraction: float = UNIFIED_MEMORY_FRACTION,
) -> MemoryBudget:
    """The budget of a unified-memory device: MPS's recommended working set, or Linux's MemAvailable.

    ``recommended_max`` (``torch.mps.recommended_max_memory()``, Metal's recommendedMaxWorkingSetSize)
    is a total for the process; MemAvailable is what is left beside what the run already holds
    (``resident_bytes``, the allocator's current total). On Jetson and GB10 MemAvailable is read
    rather than ``torch.cuda.mem_get_info``, whose "free" leaves out the reclaimable page cache
    there (sgl-project/sglang#10075, vllm-project/vllm#35356).
    """
    if device_type == "mps" and recommended_max:
        return MemoryBudget(
            budget_bytes=recommended_max,
            source="torch.mps.recommended_max_memory()",
            limit_bytes=int(recommended_max * fraction),
        )
    available = mem_available(meminfo_text) if meminfo_text else None
    if available is not None:
        return MemoryBudget(
            budget_bytes=available,
            source="/proc/meminfo MemAvailable",
            limit_bytes=resident_bytes + int(available * fraction),
        )
    return MemoryBudget(budget_bytes=None, source="no memory budget readable here", limit_bytes=None)


@dataclass(frozen=True, kw_only=True)
class BatchCap:
    """The start batch after the unified-memory cap, the estimate behind it and why."""

    start: int
    capped: bool
    per_sample_bytes: int | None
    fixed_bytes: int | None
    estimated_peak_bytes: int | None
    reason: str


def estimate_line(peaks: Mapping[int, int]) -> tuple[int, int] | None:
    """(fixed bytes, bytes per sample) of the straight line through two measured (batch -> peak) points."""
    if len(peaks) < 2:
        return None
    (b1, p1), (b2, p2) = sorted(peaks.items())[:1] + sorted(peaks.items())[-1:]
    if b2 <= b1:
        return None
    per = max(0, (p2 - p1) // (b2 - b1))
    return max(0, p1 - per * b1), per


def halvings(start: int) -> list[int]:
    """The batches the OOM search tries from ``start``: start, start // 2, ... 1."""
    out = []
    b = start
    while b >= 1:
        out.append(b)
        b //= 2
    return out


def cap_batch(
    start: int, *, peaks: Mapping[int, int], limit_bytes: int | None, fraction: float = UNIFIED_MEMORY_FRACTION
) -> BatchCap:
    """Cap the start of the batch search so the estimated peak stays under ``limit_bytes``.

    The estimate is linear in the batch (weights, gradients and optimizer state are fixed; the
    activations grow with it), fitted through the measured peaks of small batches. The cap is the
    largest batch of the halving sequence from ``start`` whose estimate fits, so the search keeps
    the batches it would have tried; 0 when not even batch 1 fits.
    """
    line = estimate_line(peaks)
    if limit_bytes is None or line is None:
        why = "no memory budget" if limit_bytes is None else "no peak measured at two batch sizes"
        return BatchCap(
            start=start,
            capped=False,
            per_sample_bytes=line[1] if line else None,
            fixed_bytes=line[0] if line else None,
            estimated_peak_bytes=None,
            reason=f"unified memory, but {why}: the batch search starts at {start} uncapped",
        )
    fixed, per = line
    share = f"{fraction:.0%} of the budget"
    for b in halvings(start):
        estimate = fixed + per * b
        if estimate <= limit_bytes:
            if b == start:
                reason = (
                    f"batch {start} is estimated at {estimate / 2**30:.2f} GiB, within {share} "
                    f"({limit_bytes / 2**30:.2f} GiB): not capped"
                )
            else:
                reason = (
                    f"capped at {b} (from {start}): its estimated peak {estimate / 2**30:.2f} GiB "
                    f"({per / 2**20:.1f} MiB per sample + {fixed / 2**30:.2f} GiB fixed) stays within {share} "
                    f"({limit_bytes / 2**30:.2f} GiB); a larger batch would push the shared memory into swap"
                )
            return BatchCap(
                start=b,
                capped=b != start,
                per_sample_bytes=per,
                fixed_bytes=fixed,
                estimated_peak_bytes=estimate,
                reason=reason,
            )
    return BatchCap(
        start=0,
        capped=True,
        per_sample_bytes=per,
        fixed_bytes=fixed,
        estimated_peak_bytes=fixed + per,
        reason=f"not even batch 1 is estimated within {share} ({limit_bytes / 2**30:.2f} GiB)",
    )

"""A stand-in for the ``pynvml`` module (nvidia-ml-py), for machines without an NVIDIA GPU.

It mimics nvidia-ml-py 13.x: the same call names, the same exception classes
(``NVMLError`` and one ``NVMLError_<Name>`` subclass per ``NVML_ERROR_*`` code, built the
way pynvml's ``_extractNVMLErrorsAsClasses`` builds them, with the same messages), the
same return shapes (``nvmlDeviceGetUUID`` returns bytes, ``nvmlDeviceGetPciInfo().busId``
is bytes, power in milliwatts, memory in bytes). ``test_nvml.py`` checks these names and
codes against the installed pynvml.

The GPU values are never invented: they are read from captured ``nvidia-smi`` output
(``gpus_from_nvidia_smi_xml``, ``gpus_from_query_csv``), independently of envtool's parser.
Install it with ``monkeypatch.setitem(sys.modules, "pynvml", make_fake_pynvml(...))``.
"""

from __future__ import annotations

import re
import string
import threading
import types
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# NVML return codes and the messages pynvml gives them (nvidia-ml-py 13.615.71 pynvml.py,
# NVML_ERROR_* constants and NVMLError._errcode_to_string).
ERROR_CODES: dict[str, tuple[int, str]] = {
    "UNINITIALIZED": (1, "Uninitialized"),
    "INVALID_ARGUMENT": (2, "Invalid Argument"),
    "NOT_SUPPORTED": (3, "Not Supported"),
    "NO_PERMISSION": (4, "Insufficient Permissions"),
    "NOT_FOUND": (6, "Not Found"),
    "DRIVER_NOT_LOADED": (9, "Driver Not Loaded"),
    "TIMEOUT": (10, "Timeout"),
    "LIBRARY_NOT_FOUND": (12, "NVML Shared Library Not Found"),
    "FUNCTION_NOT_FOUND": (13, "Function Not Found"),
    "GPU_IS_LOST": (15, "GPU is lost"),
    "LIB_RM_VERSION_MISMATCH": (18, "RM has detected an NVML/RM version mismatch."),
    "UNKNOWN": (999, "Unknown Error"),
}

# Bit values of nvmlClocksEventReason* in nvidia-ml-py 13.615.71 pynvml.py, keyed by the
# suffix nvidia-smi's XML uses in <clocks_event_reason_*> / <clocks_throttle_reason_*>.
XML_REASON_BITS: dict[str, int] = {
    "gpu_idle": 0x1,
    "applications_clocks_setting": 0x2,
    "sw_power_cap": 0x4,
    "hw_slowdown": 0x8,
    "sync_boost": 0x10,
    "sw_thermal_slowdown": 0x20,
    "hw_thermal_slowdown": 0x40,
    "hw_power_brake_slowdown": 0x80,
    "display_clocks_setting": 0x100,
}


@dataclass(frozen=True)
class FakeGpu:
    """What NVML would return for one GPU. ``None`` makes that call raise NotSupported."""

    name: str
    uuid: str | None
    pci_bus_id: str
    memory_total_bytes: int | None
    compute_capability: tuple[int, int] | None
    persistence_mode: int | None
    mig_mode: int | None
    ecc_uncorrected_volatile: int | None
    clocks_event_reasons: int | None
    power_limit_mw: int | None
    pcie_gen_current: int | None
    pcie_gen_max: int | None
    pcie_width_current: int | None
    pcie_width_max: int | None


# --------------------------------------------------------------------------- from captures

_NA = {
    "n/a",
    "[n/a]",
    "not supported",
    "[not supported]",
    "requested functionality has been deprecated",
    "[requested functionality has been deprecated]",
}


def _value(node: ET.Element | None) -> str | None:
    if node is None:
        return None
    text = (node.text or "").strip()
    return None if not text or text.lower() in _NA else text


def _leading_number(text: str | None) -> float | None:
    if text is None:
        return None
    m = re.match(r"\d+(?:\.\d+)?", text)
    return float(m.group(0)) if m else None


def _enabled(text: str | None) -> int | None:
    if text is None:
        return None
    return {"enabled": 1, "disabled": 0}.get(text.lower())


def gpus_from_nvidia_smi_xml(
    text: str, compute_capabilities: Iterable[tuple[int, int] | None] | None = None
) -> list[FakeGpu]:
    """One FakeGpu per ``<gpu>`` of a captured ``nvidia-smi -q -x`` file.

    nvidia-smi's XML has no compute capability, so the caller passes it (with its source).
    """
    root = ET.fromstring(text)
    gpus = root.findall("gpu")
    ccs = list(compute_capabilities) if compute_capabilities is not None else [None] * len(gpus)
    out = []
    for gpu, cc in zip(gpus, ccs, strict=False):
        reasons_node = gpu.find("clocks_event_reasons")
        if reasons_node is None:
            reasons_node = gpu.find("clocks_throttle_reasons")
        mask: int | None = None
        if reasons_node is not None:
            mask = 0
            for child in reasons_node:
                suffix = re.sub(r"^clocks_(event|throttle)_reason_", "", child.tag)
                if (child.text or "").strip() == "Active":
                    mask |= XML_REASON_BITS[suffix]
        ecc = _value(gpu.find("ecc_errors/volatile/double_bit/total"))
        if ecc is None:
            parts = [_value(n) for n in gpu.findall("ecc_errors/volatile/*") if "uncorrectable" in n.tag]
            nums = [int(p) for p in parts if p is not None]
            ecc = str(sum(nums)) if nums else None
        power = _value(gpu.find("gpu_power_readings/current_power_limit")) or _value(
            gpu.find("power_readings/power_limit")
        )
        mem = _leading_number(_value(gpu.find("fb_memory_usage/total")))
        link = "pci/pci_gpu_link_info"
        out.append(
            FakeGpu(
                name=_value(gpu.find("product_name")) or "",
                uuid=_value(gpu.find("uuid")),
                pci_bus_id=_value(gpu.find("pci/pci_bus_id")) or "",
                memory_total_bytes=None if mem is None else int(mem) * 1024 * 1024,
                compute_capability=cc,
                persistence_mode=_enabled(_value(gpu.find("persistence_mode"))),
                mig_mode=_enabled(_value(gpu.find("mig_mode/current_mig"))),
                ecc_uncorrected_volatile=None if ecc is None else int(ecc),
                clocks_event_reasons=mask,
                power_limit_mw=None if power is None else round(float(power.split()[0]) * 1000),
                pcie_gen_current=_int(_value(gpu.find(f"{link}/pcie_gen/current_link_gen"))),
                pcie_gen_max=_int(_value(gpu.find(f"{link}/pcie_gen/max_link_gen"))),
                pcie_width_current=_int(_value(gpu.find(f"{link}/link_widths/current_link_width"))),
                pcie_width_max=_int(_value(gpu.find(f"{link}/link_widths/max_link_width"))),
            )
        )
    return out


def _int(text: str | None) -> int | None:
    n = _leading_number(text)
    return None if n is None else int(n)


def _major_minor(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def gpus_from_query_csv(rows: Iterable[Mapping[str, str | None]]) -> list[FakeGpu]:
    """FakeGpus from parsed ``--query-gpu`` CSV rows (the captures query ``compute_cap``
    and ``clocks_event_reasons.active``, the very values NVML returns)."""
    out = []
    for row in rows:
        cc = row.get("compute_cap")
        mask = row.get("clocks_event_reasons.active")
        power = _leading_number(row.get("power.limit"))
        mem = _leading_number(row.get("memory.total"))
        out.append(
            FakeGpu(
                name=row.get("name") or "",
                uuid=row.get("uuid"),
                pci_bus_id=row.get("pci.bus_id") or "",
                memory_total_bytes=None if mem is None else int(mem) * 1024 * 1024,
                compute_capability=None if cc is None else _major_minor(cc),
                persistence_mode=_enabled(row.get("persistence_mode")),
                mig_mode=_enabled(row.get("mig.mode.current")),
                ecc_uncorrected_volatile=_int(row.get("ecc.errors.uncorrected.volatile.total")),
                clocks_event_reasons=None if mask is None else int(mask, 16),
                power_limit_mw=None if power is None else round(power * 1000),
                pcie_gen_current=_int(row.get("pcie.link.gen.current")),
                pcie_gen_max=_int(row.get("pcie.link.gen.max")),
                pcie_width_current=_int(row.get("pcie.link.width.current")),
                pcie_width_max=_int(row.get("pcie.link.width.max")),
            )
        )
    return out


# --------------------------------------------------------------------------- the module


class _Handle:
    def __init__(self, index: int) -> None:
        self.index = index


class _PciInfo:
    def __init__(self, bus_id: str) -> None:
        self.busId = bus_id.encode()  # a c_char array: bytes
        self.busIdLegacy = bus_id.encode()


class _Memory:
    def __init__(self, total: int) -> None:
        self.total = total
        self.free = 0
        self.used = total


def _make_errors(module: types.ModuleType) -> None:
    """NVMLError and its subclasses, as pynvml's ``_extractNVMLErrorsAsClasses`` makes them."""
    messages = {code: msg for code, msg in ERROR_CODES.values()}

    class NVMLError(Exception):
        _valClassMapping: dict[int, type] = {}

        def __new__(typ, value):  # noqa: N804 - pynvml's spelling
            if typ is NVMLError:
                typ = NVMLError._valClassMapping.get(value, typ)
            obj = Exception.__new__(typ)
            obj.value = value
            return obj

        def __str__(self) -> str:
            return messages.get(self.value, f"NVML Error with code {self.value}")

        def __eq__(self, other: object) -> bool:
            return self.value == getattr(other, "value", None)

        __hash__ = Exception.__hash__

    NVMLError.__module__ = "pynvml"
    module.NVMLError = NVMLError
    for name, (code, _msg) in ERROR_CODES.items():
        setattr(module, f"NVML_ERROR_{name}", code)
        class_name = "NVMLError_" + string.capwords(name, "_").replace("_", "")

        def gen_new(val: int):
            def new(typ, *args):
                return NVMLError.__new__(typ, val)

            return new

        cls = type(class_name, (NVMLError,), {"__new__": gen_new(code)})
        cls.__module__ = "pynvml"
        setattr(module, class_name, cls)
        NVMLError._valClassMapping[code] = cls


def make_fake_pynvml(
    gpus: list[FakeGpu],
    *,
    driver_version: str,
    cuda_driver_version: int,
    nvml_version: str | None = None,
    init_error: str | None = None,
    fail: Mapping[tuple[int, str], str] | None = None,
    block: threading.Event | None = None,
    old_bytes_api: bool = False,
) -> types.ModuleType:
    """A module that answers like pynvml on a machine with ``gpus``.

    ``init_error``: the NVMLError_* class name nvmlInit raises. ``fail``: (GPU index, call
    name) -> NVMLError_* class name that call raises. ``block``: nvmlInit waits on this
    event (a hung driver). ``old_bytes_api``: names and versions come back as bytes, as in
    pynvml releases before 11.
    """
    m = types.ModuleType("pynvml")
    m.__file__ = "<fake pynvml>"
    _make_errors(m)
    m.NVML_FEATURE_DISABLED = 0
    m.NVML_FEATURE_ENABLED = 1
    m.NVML_DEVICE_MIG_DISABLE = 0
    m.NVML_DEVICE_MIG_ENABLE = 1
    m.NVML_MEMORY_ERROR_TYPE_CORRECTED = 0
    m.NVML_MEMORY_ERROR_TYPE_UNCORRECTED = 1
    m.NVML_VOLATILE_ECC = 0
    m.NVML_AGGREGATE_ECC = 1
    m.calls = []
    m.init_count = 0
    m.shutdown_count = 0
    state = {"init": False}
    fail = dict(fail or {})

    def err(name: str) -> Exception:
        return getattr(m, name)()

    def s(text: str) -> str | bytes:
        return text.encode() if old_bytes_api else text

    def system(fn):
        def wrapper(*args):
            m.calls.append(fn.__name__)
            if not state["init"]:
                raise err("NVMLError_Uninitialized")
            return fn(*args)

        wrapper.__name__ = fn.__name__
        setattr(m, fn.__name__, wrapper)
        return wrapper

    def device(fn):
        """A per-GPU call: checks the handle, the scripted failures, and NotSupported."""

        def wrapper(handle, *args):
            m.calls.append(fn.__name__)
            if not state["init"]:
                raise err("NVMLError_Uninitialized")
            if (handle.index, fn.__name__) in fail:
                raise err(fail[(handle.index, fn.__name__)])
            value = fn(gpus[handle.index], *args)
            if value is None:
                raise err("NVMLError_NotSupported")
            return value

        wrapper.__name__ = fn.__name__
        setattr(m, fn.__name__, wrapper)
        return wrapper

    def nvmlInit():
        m.calls.append("nvmlInit")
        if block is not None:
            block.wait()
        if init_error:
            raise err(init_error)
        state["init"] = True
        m.init_count += 1

    def nvmlShutdown():
        m.calls.append("nvmlShutdown")
        if not state["init"]:
            raise err("NVMLError_Uninitialized")
        state["init"] = False
        m.shutdown_count += 1

    m.nvmlInit = nvmlInit
    m.nvmlShutdown = nvmlShutdown

    @system
    def nvmlSystemGetDriverVersion():
        return s(driver_version)

    @system
    def nvmlSystemGetCudaDriverVersion_v2():
        return cuda_driver_version

    @system
    def nvmlSystemGetCudaDriverVersion():
        return cuda_driver_version

    @system
    def nvmlSystemGetNVMLVersion():
        if nvml_version is None:
            raise err("NVMLError_NotSupported")
        return s(nvml_version)

    @system
    def nvmlDeviceGetCount():
        return len(gpus)

    def nvmlDeviceGetHandleByIndex(index):
        m.calls.append("nvmlDeviceGetHandleByIndex")
        if not state["init"]:
            raise err("NVMLError_Uninitialized")
        if (index, "nvmlDeviceGetHandleByIndex") in fail:
            raise err(fail[(index, "nvmlDeviceGetHandleByIndex")])
        if not 0 <= index < len(gpus):
            raise err("NVMLError_InvalidArgument")
        return _Handle(index)

    m.nvmlDeviceGetHandleByIndex = nvmlDeviceGetHandleByIndex

    @device
    def nvmlDeviceGetName(g):
        return s(g.name)

    @device
    def nvmlDeviceGetUUID(g):
        return None if g.uuid is None else g.uuid.encode()  # no convertStrBytes in 13.x

    @device
    def nvmlDeviceGetPciInfo(g):
        return _PciInfo(g.pci_bus_id)

    @device
    def nvmlDeviceGetMemoryInfo(g):
        return None if g.memory_total_bytes is None else _Memory(g.memory_total_bytes)

    @device
    def nvmlDeviceGetCudaComputeCapability(g):
        return g.compute_capability

    @device
    def nvmlDeviceGetPersistenceMode(g):
        return g.persistence_mode

    @device
    def nvmlDeviceGetMigMode(g):
        return None if g.mig_mode is None else [g.mig_mode, g.mig_mode]

    @device
    def nvmlDeviceGetTotalEccErrors(g, error_type, counter_type):
        if (error_type, counter_type) != (m.NVML_MEMORY_ERROR_TYPE_UNCORRECTED, m.NVML_VOLATILE_ECC):
            wanted = (error_type, counter_type)
            raise AssertionError(f"the fake knows only volatile uncorrected ECC, got {wanted}")
        return g.ecc_uncorrected_volatile

    @device
    def nvmlDeviceGetCurrentClocksEventReasons(g):
        return g.clocks_event_reasons

    @device
    def nvmlDeviceGetCurrentClocksThrottleReasons(g):
        return g.clocks_event_reasons

    @device
    def nvmlDeviceGetPowerManagementLimit(g):
        return g.power_limit_mw

    @device
    def nvmlDeviceGetCurrPcieLinkGeneration(g):
        return g.pcie_gen_current

    @device
    def nvmlDeviceGetMaxPcieLinkGeneration(g):
        return g.pcie_gen_max

    @device
    def nvmlDeviceGetCurrPcieLinkWidth(g):
        return g.pcie_width_current

    @device
    def nvmlDeviceGetMaxPcieLinkWidth(g):
        return g.pcie_width_max

    return m


FAKE_CALLS = (
    "nvmlInit",
    "nvmlShutdown",
    "nvmlSystemGetDriverVersion",
    "nvmlSystemGetCudaDriverVersion_v2",
    "nvmlSystemGetCudaDriverVersion",
    "nvmlSystemGetNVMLVersion",
    "nvmlDeviceGetCount",
    "nvmlDeviceGetHandleByIndex",
    "nvmlDeviceGetName",
    "nvmlDeviceGetUUID",
    "nvmlDeviceGetPciInfo",
    "nvmlDeviceGetMemoryInfo",
    "nvmlDeviceGetCudaComputeCapability",
    "nvmlDeviceGetPersistenceMode",
    "nvmlDeviceGetMigMode",
    "nvmlDeviceGetTotalEccErrors",
    "nvmlDeviceGetCurrentClocksEventReasons",
    "nvmlDeviceGetCurrentClocksThrottleReasons",
    "nvmlDeviceGetPowerManagementLimit",
    "nvmlDeviceGetCurrPcieLinkGeneration",
    "nvmlDeviceGetMaxPcieLinkGeneration",
    "nvmlDeviceGetCurrPcieLinkWidth",
    "nvmlDeviceGetMaxPcieLinkWidth",
)
"""Every pynvml call the fake provides; the test checks each exists in the real pynvml."""


def fake_attrs(module: Any) -> list[str]:
    """The NVMLError_* class names the fake defines."""
    return sorted(n for n in vars(module) if n.startswith("NVMLError_"))

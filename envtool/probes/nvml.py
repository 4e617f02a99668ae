"""What the NVIDIA driver says: NVML first, ``nvidia-smi -q -x`` as the fallback.

This is the only module that imports ``pynvml`` (from the nvidia-ml-py distribution), and
it does so inside ``read_nvml`` so that ``envtool detect`` starts fast and works without it.
Reading (running NVML or nvidia-smi) is kept apart from parsing: ``parse_nvidia_smi_xml``
and ``parse_nvidia_smi_query_csv`` are pure functions on text, tested on captured output.

A value the driver marks as not available ("N/A", "Not Supported", "Requested functionality
has been deprecated", ...) is not an error: the GpuInfo field stays ``None`` and its name
goes into ``GpuInfo.unsupported``. A field that is simply absent from the output (older
schemas, trimmed dumps) stays ``None`` without being listed, because nothing was said.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envtool import runner
from envtool.errors import ExternalError, ToolNotFoundError
from envtool.model import GpuInfo, NvidiaFacts, ProbeNote

__all__ = [
    "THROTTLE_REASON_BITS",
    "GpuTopology",
    "link_class",
    "nvlink_count",
    "parse_nvidia_smi_topo",
    "probe_topology",
    "read_nvidia_smi_topo",
    "read_nvml_topology",
    "topology_from_nvml",
    "cuda_version_from_int",
    "hardware_present",
    "parse_nvidia_smi_query_csv",
    "parse_nvidia_smi_xml",
    "probe_nvidia",
    "read_nvidia_smi",
    "read_nvml",
    "throttle_reasons_from_mask",
]

# Texts nvidia-smi prints instead of a value the GPU or driver does not report. Seen in the
# captured outputs under shared/fixtures/nvidia-smi/ ("N/A", "Not Found" in
# tesla-k80-x4-azure-out-of-order-driver430.xml, "Requested functionality has been
# deprecated" in rtx3060-driver570.xml and the 590 files, "[N/A]" in the CSV captures);
# "Not Supported" and "Unknown Error" are NVML's own error strings (nvidia-ml-py pynvml.py,
# NVMLError._errcode_to_string) that nvidia-smi prints in their place.
_UNSUPPORTED_TEXTS = frozenset(
    {
        "n/a",
        "not supported",
        "requested functionality has been deprecated",
        "not found",
        "unknown error",
    }
)

# NVML's clock event ("throttle") reason bits -> stable names. The bit values are those of
# nvidia-ml-py 13.615.71 pynvml.py (nvmlClocksEventReason* / nvmlClocksThrottleReason*,
# "GpuIdle = 0x1" ... "DisplayClockSetting = 0x100", "BoardLimit = 0x200",
# "Reliability = 0x400"), the same values as nvml.h's nvmlClocksEventReason* macros.
THROTTLE_REASON_BITS: tuple[tuple[int, str], ...] = (
    (0x0000000000000001, "gpu_idle"),
    (0x0000000000000002, "applications_clocks_setting"),
    (0x0000000000000004, "sw_power_cap"),
    (0x0000000000000008, "hw_slowdown"),
    (0x0000000000000010, "sync_boost"),
    (0x0000000000000020, "sw_thermal_slowdown"),
    (0x0000000000000040, "hw_thermal_slowdown"),
    (0x0000000000000080, "hw_power_brake_slowdown"),
    (0x0000000000000100, "display_clock_setting"),
    (0x0000000000000200, "board_limit"),
    (0x0000000000000400, "reliability"),
)

# nvidia-smi's XML spells one reason differently from NVML's constant name
# (<clocks_event_reason_display_clocks_setting>, every captured XML); map it to the NVML
# spelling so both sources give the same names.
_XML_REASON_ALIASES = {"display_clocks_setting": "display_clock_setting"}

_MIB = 1024 * 1024


# =========================================================================== pure parsing


def _is_unsupported(text: str) -> bool:
    value = text.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1].strip()
    return value.lower() in _UNSUPPORTED_TEXTS


# nvidia-smi 610 appends a note to renamed labels: "610.62 [Deprecated; will be removed in
# CUDA 14.0. Use KMD Version instead]" (rtx2080super-windows-driver610-capture.txt, -q).
_DEPRECATION_NOTE = re.compile(r"\s*\[deprecated[^\]]*\]\s*$", re.IGNORECASE)


def _clean_version(text: str | None) -> str | None:
    if text is None:
        return None
    value = _DEPRECATION_NOTE.sub("", text).strip()
    if not value or _is_unsupported(value) or value.lower().startswith("deprecated"):
        return None
    return value


class _GpuReader:
    """Reads one ``<gpu>`` element, recording the fields the driver marks unsupported."""

    def __init__(self, gpu: ET.Element) -> None:
        self.gpu = gpu
        self.unsupported: list[str] = []

    def text(self, path: str, field: str) -> str | None:
        """The element's text; None when absent; None + ``unsupported`` when marked N/A."""
        node = self.gpu.find(path)
        if node is None:
            return None
        value = (node.text or "").strip()
        if _is_unsupported(value):
            self._mark(field)
            return None
        return value or None

    def first_text(self, paths: Sequence[str], field: str) -> str | None:
        """The first of ``paths`` present in the document (schemas renamed elements)."""
        for path in paths:
            if self.gpu.find(path) is not None:
                return self.text(path, field)
        return None

    def number(self, path: str | Sequence[str], field: str) -> float | None:
        value = self.text(path, field) if isinstance(path, str) else self.first_text(path, field)
        if value is None:
            return None
        m = re.match(r"[-+]?\d+(?:\.\d+)?", value)
        return float(m.group(0)) if m else None

    def flag(self, path: str, field: str) -> bool | None:
        value = self.text(path, field)
        if value is None:
            return None
        low = value.lower()
        if low == "enabled":
            return True
        if low == "disabled":
            return False
        return None

    def _mark(self, field: str) -> None:
        if field not in self.unsupported:
            self.unsupported.append(field)


def _int_or_none(value: float | None) -> int | None:
    return None if value is None else int(value)


def _ecc_uncorrected(r: _GpuReader) -> int | None:
    """Volatile uncorrected ECC errors, in whichever schema the document uses.

    DTD v9-v11 (v100-sxm3-32gb-ecc-retired-pages-driver410.xml, tesla-t4-driver515.xml):
    ``ecc_errors/volatile/double_bit/total``. DTD v12 (a100-sxm4-80gb-mig-driver535.xml):
    ``volatile/{sram,dram}_uncorrectable``. DTD v13 (rtx-a5000-x2-driver590.xml):
    ``volatile/{sram_uncorrectable_parity,sram_uncorrectable_secded,dram_uncorrectable}``.
    The newer schemas are summed, as NVML's total uncorrected count is.
    """
    volatile = r.gpu.find("ecc_errors/volatile")
    if volatile is None:
        return None
    total = volatile.find("double_bit/total")
    if total is not None:
        n = r.number("ecc_errors/volatile/double_bit/total", "ecc_uncorrected")
        return _int_or_none(n)
    parts = [child for child in volatile if "uncorrectable" in child.tag]
    if not parts:
        return None
    numbers: list[int] = []
    for child in parts:
        value = (child.text or "").strip()
        if re.fullmatch(r"\d+", value):
            numbers.append(int(value))
    if numbers:
        return sum(numbers)
    if all(_is_unsupported(child.text or "") for child in parts):
        r._mark("ecc_uncorrected")
    return None


def _throttle_reasons(r: _GpuReader) -> tuple[str, ...]:
    # DTD <= v11 uses clocks_throttle_reasons; v12+ renamed it clocks_event_reasons (with a
    # separate clocks_event_reasons_counters element that is not a reason list).
    for container, prefix in (
        ("clocks_event_reasons", "clocks_event_reason_"),
        ("clocks_throttle_reasons", "clocks_throttle_reason_"),
    ):
        node = r.gpu.find(container)
        if node is None:
            continue
        active: list[str] = []
        values: list[str] = []
        for child in node:
            if not child.tag.startswith(prefix):
                continue
            value = (child.text or "").strip()
            values.append(value)
            if value.lower() == "active":
                name = child.tag[len(prefix) :]
                active.append(_XML_REASON_ALIASES.get(name, name))
        if values and all(_is_unsupported(v) for v in values):
            r._mark("throttle_reasons")
        return tuple(active)
    return ()


def _parse_gpu(index: int, gpu: ET.Element) -> GpuInfo:
    r = _GpuReader(gpu)
    name = r.text("product_name", "name")
    uuid = r.text("uuid", "uuid")
    bus_id = r.text("pci/pci_bus_id", "pci_bus_id") or (gpu.get("id") or None)
    mem_mib = r.number("fb_memory_usage/total", "memory_total_bytes")
    persistence = r.flag("persistence_mode", "persistence_mode")
    mig = r.flag("mig_mode/current_mig", "mig_mode")
    ecc = _ecc_uncorrected(r)
    reasons = _throttle_reasons(r)
    # DTD v12 split power_readings into gpu_power_readings and module_power_readings (see
    # rtx4090-driver535.xml); the module one is about the whole module, not this GPU.
    power = r.number(
        (
            "gpu_power_readings/current_power_limit",
            "power_readings/current_power_limit",
            "power_readings/power_limit",
        ),
        "power_limit_w",
    )
    link = "pci/pci_gpu_link_info"
    gen_cur = r.number(f"{link}/pcie_gen/current_link_gen", "pcie_gen_current")
    gen_max = r.number(f"{link}/pcie_gen/max_link_gen", "pcie_gen_max")
    width_cur = r.number(f"{link}/link_widths/current_link_width", "pcie_width_current")
    width_max = r.number(f"{link}/link_widths/max_link_width", "pcie_width_max")
    return GpuInfo(
        index=index,
        name=name,
        uuid=uuid,
        pci_bus_id=bus_id,
        memory_total_bytes=None if mem_mib is None else int(mem_mib) * _MIB,
        # No captured DTD (v9-v13) carries the compute capability; the caller fills it
        # from the knowledge table by name.
        compute_capability=None,
        persistence_mode=persistence,
        mig_mode=mig,
        ecc_uncorrected=ecc,
        throttle_reasons=reasons,
        power_limit_w=power,
        pcie_gen_current=_int_or_none(gen_cur),
        pcie_gen_max=_int_or_none(gen_max),
        pcie_width_current=_int_or_none(width_cur),
        pcie_width_max=_int_or_none(width_max),
        unsupported=tuple(r.unsupported),
    )


def parse_nvidia_smi_xml(text: str) -> NvidiaFacts:
    """Parse ``nvidia-smi -q -x`` output into NvidiaFacts(source="nvidia-smi").

    GPUs are indexed in document order, which is nvidia-smi's own index (``minor_number``
    can be out of order, e.g. on Azure K80s). Raises ``ValueError`` with a short message
    when the text is not an nvidia-smi XML log.
    """
    if not text or not text.strip():
        raise ValueError("nvidia-smi printed nothing")
    try:
        # expat neither fetches the external DTD nor expands external entities.
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"nvidia-smi output is not valid XML ({exc})") from None
    if root.tag != "nvidia_smi_log":
        raise ValueError(f"not an nvidia-smi XML log (root element <{root.tag}>)")

    driver = _clean_version(root.findtext("driver_version"))
    if driver is None:
        # Driver 610 deprecates "Driver Version" in favour of "KMD Version" (seen in the
        # -q text and --query-gpu CSV of rtx2080super-windows-driver610-capture.txt). No
        # 610 XML was available: the element name <kmd_version> is inferred from the CSV
        # field name and is unverified.
        driver = _clean_version(root.findtext("kmd_version"))
    # <cuda_version> is absent before driver 410 (gtx1070-x6-driver384.xml) and reads
    # "Not Found" on some (tesla-k80-x4-azure-out-of-order-driver430.xml).
    cuda = _clean_version(root.findtext("cuda_version"))
    gpus = tuple(_parse_gpu(i, gpu) for i, gpu in enumerate(root.findall("gpu")))
    return NvidiaFacts(
        source="nvidia-smi",
        driver_version=driver,
        cuda_driver_version=cuda,
        gpus=gpus,
    )


_UNIT_SUFFIX = re.compile(r"\s*\[[^\]]*\]\s*$")


def parse_nvidia_smi_query_csv(text: str, fields: Sequence[str] | None = None) -> list[dict[str, str | None]]:
    """Parse ``nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]`` output.

    Without ``fields`` the first line is the header; its unit suffixes ("memory.used [MiB]")
    are dropped from the keys, so keys are the query field names. With ``noheader`` output,
    pass the queried ``fields``. "[N/A]"-style cells and empty cells become ``None``; other
    cells are kept as text (with their units unless ``nounits`` was used).
    Raises ``ValueError`` when a row has a different number of cells than the header.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if fields is None:
        if not lines:
            return []
        sep = ", " if ", " in lines[0] else ","
        keys = [_UNIT_SUFFIX.sub("", h.strip()) for h in lines[0].split(sep)]
        lines = lines[1:]
    else:
        keys = [f.strip() for f in fields]
        sep = ", " if any(", " in line for line in lines) or len(keys) == 1 else ","
    rows: list[dict[str, str | None]] = []
    for n, line in enumerate(lines, 1):
        cells = [c.strip() for c in line.split(sep)]
        if len(cells) != len(keys):
            raise ValueError(f"nvidia-smi CSV row {n} has {len(cells)} cells, expected {len(keys)}")
        rows.append({k: (None if not c or _is_unsupported(c) else c) for k, c in zip(keys, cells)})
    return rows


def cuda_version_from_int(value: int) -> str | None:
    """NVML's CUDA driver version integer to text: 12080 -> "12.8", 11020 -> "11.2".

    The encoding is 1000 * major + 10 * minor (NVML docs, nvmlSystemGetCudaDriverVersion;
    the CUDA_VERSION macro in cuda.h uses the same).
    """
    if value <= 0:
        return None
    return f"{value // 1000}.{(value % 1000) // 10}"


def throttle_reasons_from_mask(mask: int) -> tuple[str, ...]:
    """NVML's clock event reason bitmask to stable names, lowest bit first."""
    return tuple(name for bit, name in THROTTLE_REASON_BITS if mask & bit)


# =========================================================================== nvidia-smi


_SMI_PROBE = "nvidia-smi"


def _first_meaningful_line(*texts: str) -> str:
    lines = [line.strip() for t in texts for line in (t or "").splitlines() if line.strip()]
    for line in lines:
        if not line.startswith("<"):
            return line[:300]
    return lines[0][:300] if lines else ""


def read_nvidia_smi(timeout: float, env: Mapping[str, str] | None = None) -> tuple[str | None, ProbeNote]:
    """Run ``nvidia-smi -q -x`` and return its stdout, or None and the reason.

    Note statuses: ``ok``; ``unavailable`` (not on PATH); ``timeout``; ``error`` (non-zero
    exit, with nvidia-smi's first meaningful line, e.g. "Failed to initialize NVML:
    Driver/library version mismatch").
    """
    start = time.monotonic()

    def note(status: str, reason: str = "") -> ProbeNote:
        return ProbeNote(probe=_SMI_PROBE, status=status, reason=reason, duration_s=time.monotonic() - start)

    try:
        done = runner.capture(["nvidia-smi", "-q", "-x"], timeout=timeout, env=env)
    except ToolNotFoundError:
        return None, note("unavailable", "nvidia-smi was not found on PATH")
    except ExternalError as exc:  # found but not executable
        return None, note("error", str(exc))
    if done.timed_out:
        return None, note("timeout", f"nvidia-smi did not answer within {timeout:g} s")
    if done.returncode != 0:
        line = _first_meaningful_line(done.stdout, done.stderr)
        what = f"nvidia-smi exited with code {done.returncode}"
        if done.signal is not None:
            what = f"nvidia-smi was killed by signal {done.signal}"
        return None, note("error", f"{what}: {line}" if line else what)
    return done.stdout, note("ok")


# =========================================================================== NVML


_NVML_PROBE = "nvml"


def _decode(value: Any) -> str | None:
    """Old pynvml releases returned bytes for names and versions; newer ones return str."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    text = str(value).strip().rstrip("\x00")
    return text or None


def _nvml_classes(pynvml: Any, *names: str) -> tuple[type[BaseException], ...]:
    """The named NVMLError subclasses this pynvml has (older releases lack some), for ``except``."""
    found = (getattr(pynvml, name, None) for name in names)
    return tuple(c for c in found if isinstance(c, type) and issubclass(c, BaseException))


class _GpuLost(Exception):
    pass


def _read_gpu(pynvml: Any, index: int, problems: list[str]) -> GpuInfo:
    # FunctionNotFound: the installed driver's library lacks the call, so it cannot report it.
    not_supported = _nvml_classes(pynvml, "NVMLError_NotSupported", "NVMLError_FunctionNotFound")
    gpu_lost = _nvml_classes(pynvml, "NVMLError_GpuIsLost", "NVMLError_GpuNotFound")
    nvml_error = _nvml_classes(pynvml, "NVMLError") or (Exception,)
    try:
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
    except nvml_error as exc:
        return GpuInfo(index=index, error=f"cannot get a handle: {exc}")

    unsupported: list[str] = []
    values: dict[str, Any] = {}

    def read(field: str, fn: Callable[[], Any]) -> None:
        try:
            values[field] = fn()
        except not_supported:
            unsupported.append(field)
        except gpu_lost as exc:
            raise _GpuLost(str(exc)) from None
        except nvml_error as exc:  # e.g. Insufficient Permissions: unknown, not unsupported
            problems.append(f"GPU {index} {field}: {exc}")
        except AttributeError as exc:  # an old pynvml without this call
            problems.append(f"GPU {index} {field}: this pynvml cannot read it ({exc})")

    def pcie_info() -> str | None:
        return _decode(pynvml.nvmlDeviceGetPciInfo(handle).busId)

    def cc() -> str:
        major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(handle)
        return f"{major}.{minor}"

    def persistence() -> bool:
        enabled = getattr(pynvml, "NVML_FEATURE_ENABLED", 1)
        return pynvml.nvmlDeviceGetPersistenceMode(handle) == enabled

    def mig() -> bool:
        enabled = getattr(pynvml, "NVML_DEVICE_MIG_ENABLE", 1)
        return pynvml.nvmlDeviceGetMigMode(handle)[0] == enabled

    def ecc() -> int:
        return int(
            pynvml.nvmlDeviceGetTotalEccErrors(
                handle,
                getattr(pynvml, "NVML_MEMORY_ERROR_TYPE_UNCORRECTED", 1),
                getattr(pynvml, "NVML_VOLATILE_ECC", 0),
            )
        )

    def reasons() -> tuple[str, ...]:
        # nvmlDeviceGetCurrentClocksEventReasons replaced ...ThrottleReasons (deprecated,
        # "will be removed in CUDA 14.0" per nvidia-ml-py 13.615.71); older pynvml lacks it.
        fn = (
            getattr(pynvml, "nvmlDeviceGetCurrentClocksEventReasons", None)
            or pynvml.nvmlDeviceGetCurrentClocksThrottleReasons
        )
        return throttle_reasons_from_mask(int(fn(handle)))

    try:
        read("name", lambda: _decode(pynvml.nvmlDeviceGetName(handle)))
        read("uuid", lambda: _decode(pynvml.nvmlDeviceGetUUID(handle)))
        read("pci_bus_id", pcie_info)
        read("memory_total_bytes", lambda: int(pynvml.nvmlDeviceGetMemoryInfo(handle).total))
        read("compute_capability", cc)
        read("persistence_mode", persistence)
        read("mig_mode", mig)
        read("ecc_uncorrected", ecc)
        read("throttle_reasons", reasons)
        # NVML reports milliwatts.
        read("power_limit_w", lambda: pynvml.nvmlDeviceGetPowerManagementLimit(handle) / 1000.0)
        read("pcie_gen_current", lambda: int(pynvml.nvmlDeviceGetCurrPcieLinkGeneration(handle)))
        read("pcie_gen_max", lambda: int(pynvml.nvmlDeviceGetMaxPcieLinkGeneration(handle)))
        read("pcie_width_current", lambda: int(pynvml.nvmlDeviceGetCurrPcieLinkWidth(handle)))
        read("pcie_width_max", lambda: int(pynvml.nvmlDeviceGetMaxPcieLinkWidth(handle)))
    except _GpuLost as exc:
        values["error"] = str(exc) or "GPU is lost"
    if values.get("throttle_reasons") is None:
        values.pop("throttle_reasons", None)
    return GpuInfo(index=index, unsupported=tuple(unsupported), **values)


def _linux_nvml_missing() -> bool:
    """True when, on Linux, the driver's NVML library cannot be loaded at all.

    Importing pynvml costs ~35 ms, a third of ``detect``; on the many machines without a
    driver a direct ``dlopen`` of the library pynvml would load answers in well under 1 ms.
    Skipped when a pynvml module is already imported (tests inject fakes that way).
    """
    if not sys.platform.startswith("linux") or "pynvml" in sys.modules:
        return False
    import ctypes

    try:
        ctypes.CDLL("libnvidia-ml.so.1")  # the name pynvml's _LoadNvmlLibrary uses on Linux
    except OSError:
        return True
    return False


def _read_nvml_blocking() -> tuple[NvidiaFacts | None, str, str]:
    """The NVML work itself: (facts, note status, note reason). May block on a sick driver."""
    if _linux_nvml_missing():
        return (
            None,
            "unavailable",
            "NVML library not found (libnvidia-ml.so.1 cannot be loaded): no NVIDIA driver installed?",
        )
    try:
        import pynvml  # nvidia-ml-py; imported here only, and late: see the module docstring
    except ImportError as exc:
        return None, "unavailable", f"the pynvml module (nvidia-ml-py) is not installed: {exc}"

    nvml_error = _nvml_classes(pynvml, "NVMLError") or (Exception,)
    try:
        pynvml.nvmlInit()
    except _nvml_classes(pynvml, "NVMLError_LibraryNotFound") as exc:
        return None, "unavailable", f"NVML library not found, no NVIDIA driver installed? ({exc})"
    except _nvml_classes(pynvml, "NVMLError_DriverNotLoaded") as exc:
        return None, "unavailable", f"the NVIDIA kernel driver is not loaded ({exc})"
    except _nvml_classes(pynvml, "NVMLError_LibRmVersionMismatch") as exc:
        # The user-space library and the loaded kernel module differ (typically an upgrade
        # without a reboot); the rules turn this into `no_driver`.
        msg = f"Driver/library version mismatch: {exc} (reboot, or reload the nvidia kernel module)"
        return NvidiaFacts(source="nvml", error=msg), "error", msg
    except nvml_error as exc:
        return None, "error", f"nvmlInit failed: {exc}"

    problems: list[str] = []
    try:
        driver = cuda = nvml_version = None
        try:
            driver = _decode(pynvml.nvmlSystemGetDriverVersion())
        except nvml_error as exc:
            problems.append(f"driver version: {exc}")
        try:
            try:
                cuda_int = pynvml.nvmlSystemGetCudaDriverVersion_v2()
            except (AttributeError, *_nvml_classes(pynvml, "NVMLError_FunctionNotFound")):
                cuda_int = pynvml.nvmlSystemGetCudaDriverVersion()
            cuda = cuda_version_from_int(int(cuda_int))
        except nvml_error as exc:
            problems.append(f"CUDA driver version: {exc}")
        try:
            nvml_version = _decode(pynvml.nvmlSystemGetNVMLVersion())
        except nvml_error as exc:
            problems.append(f"NVML version: {exc}")
        try:
            count = int(pynvml.nvmlDeviceGetCount())
        except nvml_error as exc:
            msg = f"cannot count GPUs: {exc}"
            facts = NvidiaFacts(
                source="nvml",
                driver_version=driver,
                cuda_driver_version=cuda,
                nvml_version=nvml_version,
                error=msg,
            )
            return facts, "error", msg
        gpus = tuple(_read_gpu(pynvml, i, problems) for i in range(count))
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:  # noqa: BLE001 - shutting down must not hide the answer
            pass
    lost = [f"GPU {g.index}: {g.error}" for g in gpus if g.error]
    facts = NvidiaFacts(
        source="nvml",
        driver_version=driver,
        cuda_driver_version=cuda,
        nvml_version=nvml_version,
        gpus=gpus,
    )
    return facts, "ok", "; ".join(lost + problems)


def read_nvml(timeout: float) -> tuple[NvidiaFacts | None, ProbeNote]:
    """Ask NVML (via pynvml) about the driver and every GPU, giving up after ``timeout``.

    Returns None with status ``unavailable`` when pynvml or the driver's library is missing
    or the driver is not loaded; NvidiaFacts with ``error`` set on a driver/library version
    mismatch; ``timeout`` when NVML did not answer (the call is left running in a daemon
    thread, since a call blocked inside the driver cannot be interrupted).
    """
    start = time.monotonic()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = _read_nvml_blocking()
        except BaseException as exc:  # noqa: BLE001 - reported to the caller below
            box["exc"] = exc

    thread = threading.Thread(target=work, name="envtool-nvml", daemon=True)
    thread.start()
    thread.join(timeout)

    def note(status: str, reason: str) -> ProbeNote:
        return ProbeNote(probe=_NVML_PROBE, status=status, reason=reason, duration_s=time.monotonic() - start)

    if thread.is_alive():
        return None, note("timeout", f"NVML did not answer within {timeout:g} s (a hung driver?)")
    if "exc" in box:
        exc = box["exc"]
        return None, note("error", f"reading NVML failed: {type(exc).__name__}: {exc}")
    facts, status, reason = box["result"]
    return facts, note(status, reason)


# =========================================================================== PCI bus

# PCI vendor ID 0x10de is NVIDIA (PCI ID Repository, https://pci-ids.ucw.cz/read/PC/10de);
# the captured rtx-a5000-x2-driver590.xml shows it too (<pci_device_id>223110DE</...>).
_NVIDIA_VENDOR = 0x10DE
# PCI base class 0x03 is "Display controller" (VGA 0x0300, 3D controller 0x0302; PCI ID
# Repository, https://pci-ids.ucw.cz/read/PD/03); the same capture shows
# <pci_base_class>3</pci_base_class>.
_DISPLAY_CLASS = 0x03


def hardware_present(sys_root: str = "/sys") -> bool | None:
    """True when an NVIDIA display/3D controller is on the PCI bus, per sysfs.

    None when ``<sys_root>/bus/pci/devices`` cannot be read (not Linux, or no sysfs).
    This needs no driver, so it tells "no GPU" apart from "GPU without a working driver".
    """
    devices = Path(sys_root) / "bus" / "pci" / "devices"
    try:
        entries = list(devices.iterdir())
    except OSError:
        return None
    for dev in entries:
        try:
            vendor = int((dev / "vendor").read_text().strip(), 16)
            pci_class = int((dev / "class").read_text().strip(), 16)
        except (OSError, ValueError):
            continue
        if vendor == _NVIDIA_VENDOR and (pci_class >> 16) == _DISPLAY_CLASS:
            return True
    return False


# =========================================================================== the probe


def probe_nvidia(
    timeout: float = 5.0,
    env: Mapping[str, str] | None = None,
    sys_root: str = "/sys",
) -> tuple[NvidiaFacts, tuple[ProbeNote, ...]]:
    """NVML first; nvidia-smi when NVML is unavailable or fails; then the PCI bus. Never raises.

    Takes at most about ``2 * timeout`` (one timeout each for NVML and nvidia-smi).
    """
    notes: list[ProbeNote] = []
    facts: NvidiaFacts | None = None
    try:
        facts, nvml_note = read_nvml(timeout)
        notes.append(nvml_note)
        if facts is None or facts.error:
            smi_facts = _probe_nvidia_smi(timeout, env, notes)
            if smi_facts is not None and (facts is None or smi_facts.error is None):
                facts = smi_facts
    except Exception as exc:  # noqa: BLE001 - a bug here must not stop `envtool detect`
        notes.append(ProbeNote(probe="nvidia", status="error", reason=_bug(exc)))
    try:
        present = hardware_present(sys_root)
    except Exception as exc:  # noqa: BLE001
        present = None
        notes.append(ProbeNote(probe="pci", status="error", reason=_bug(exc)))
    return dataclasses.replace(facts or NvidiaFacts(), hardware_present=present), tuple(notes)


def _bug(exc: BaseException, doing: str = "") -> str:
    where = f" {doing}" if doing else ""
    return f"internal error{where}: {type(exc).__name__}: {exc}"


def _probe_nvidia_smi(timeout: float, env: Mapping[str, str] | None, notes: list[ProbeNote]) -> NvidiaFacts | None:
    text, note = read_nvidia_smi(timeout, env)
    if text is None:
        notes.append(note)
        if note.status == "error":
            # nvidia-smi ran and the driver refused: keep its words for the rules.
            return NvidiaFacts(source="nvidia-smi", error=note.reason)
        return None
    try:
        facts = parse_nvidia_smi_xml(text)
    except ValueError as exc:
        notes.append(dataclasses.replace(note, status="error", reason=str(exc)))
        return None
    except Exception as exc:  # noqa: BLE001 - a parser bug becomes a note
        notes.append(dataclasses.replace(note, status="error", reason=_bug(exc, "parsing nvidia-smi XML")))
        return None
    notes.append(note)
    return facts


# =========================================================================== topology
#
# Added for `envtool bench --nproc`: how the GPUs reach each other, to explain a low all-reduce
# bandwidth or scaling efficiency. Two readers, one shape: `nvidia-smi topo -m` (parsed by a
# pure function) and NVML's P2P status + common PCIe ancestor.


@dataclass(frozen=True, kw_only=True)
class GpuTopology:
    """The GPU-to-GPU link matrix of one machine.

    ``links`` holds one entry per unordered pair (i < j) with nvidia-smi's code: ``NV#`` (a
    bonded set of # NVLinks), ``PIX``, ``PXB``, ``PHB``, ``NODE``, ``SYS`` (legend of
    `nvidia-smi topo -m`), or ``NV`` when NVML says NVLink P2P works but not over how many links.
    ``p2p`` holds, per pair, NVML's P2P read status ("ok", "not_supported", ...), when read.
    """

    source: str  # "nvidia-smi topo -m" or "nvml"
    gpus: tuple[int, ...] = ()
    links: tuple[tuple[int, int, str], ...] = ()
    p2p: tuple[tuple[int, int, str], ...] = ()
    cpu_affinity: tuple[tuple[int, str], ...] = ()
    numa_affinity: tuple[tuple[int, str], ...] = ()
    nics: tuple[str, ...] = ()


# The link codes of `nvidia-smi topo -m`, from its own legend (printed under every matrix, e.g.
# shared/fixtures/nvidia-smi/h100-80gb-mig-driver590-capture.txt, section "topo -m"):
# X = self; SYS = PCIe + the SMP interconnect between NUMA nodes (QPI/UPI); NODE = PCIe + the
# interconnect between host bridges within a NUMA node; PHB = PCIe + a host bridge (the CPU);
# PXB = several PCIe bridges, no host bridge; PIX = at most one PCIe bridge; NV# = # bonded NVLinks.
# Older drivers printed SOC for what is now SYS.
_PCIE_CODES = ("PIX", "PXB", "PHB", "NODE", "SYS", "SOC")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def link_class(code: str) -> str:
    """``nvlink``, ``pcie`` (through switches only: PIX/PXB), ``pcie_host`` (PHB/NODE/SYS: via the CPU) or ``unknown``."""
    c = code.strip().upper()
    if c.startswith("NV"):
        return "nvlink"
    if c in ("PIX", "PXB"):
        return "pcie"
    if c in ("PHB", "NODE", "SYS", "SOC"):
        return "pcie_host"
    return "unknown"


def nvlink_count(code: str) -> int | None:
    """The # of ``NV#``; None for other codes or a bare ``NV``."""
    m = re.fullmatch(r"NV(\d+)", code.strip().upper())
    return int(m.group(1)) if m else None


def parse_nvidia_smi_topo(text: str) -> GpuTopology | None:
    """Parse `nvidia-smi topo -m` output; None when it holds no GPU matrix.

    Tolerates the ANSI underline nvidia-smi puts on the header row, NIC/mlx5 rows and columns,
    empty trailing cells, and a legend after the matrix.
    """
    lines = [_ANSI.sub("", line).rstrip("\r\n") for line in text.splitlines()]
    header: list[str] | None = None
    rows: dict[int, list[str]] = {}
    nics: list[str] = []
    for line in lines:
        if line.strip().startswith("Legend"):
            break
        cells = [c.strip() for c in line.split("\t")]
        if header is None:
            if "GPU0" in cells and cells[0] == "":
                header = cells[1:]
            continue
        first = cells[0]
        m = re.fullmatch(r"GPU(\d+)", first)
        if m:
            rows[int(m.group(1))] = cells[1:]
        elif first and not first.startswith("#"):
            nics.append(first)
    if header is None or not rows:
        return None
    gpu_cols = {i: int(h[3:]) for i, h in enumerate(header) if re.fullmatch(r"GPU\d+", h)}
    cpu_col = header.index("CPU Affinity") if "CPU Affinity" in header else None
    numa_col = header.index("NUMA Affinity") if "NUMA Affinity" in header else None
    links: dict[tuple[int, int], str] = {}
    cpu: list[tuple[int, str]] = []
    numa: list[tuple[int, str]] = []
    for g, cells in sorted(rows.items()):
        for col, other in gpu_cols.items():
            if other == g or col >= len(cells):
                continue
            code = cells[col]
            if code and code != "X":
                links.setdefault((min(g, other), max(g, other)), code)
        for col, out in ((cpu_col, cpu), (numa_col, numa)):
            if col is not None and col < len(cells) and cells[col] and cells[col] != "N/A":
                out.append((g, cells[col]))
    return GpuTopology(
        source="nvidia-smi topo -m",
        gpus=tuple(sorted(rows)),
        links=tuple((a, b, c) for (a, b), c in sorted(links.items())),
        cpu_affinity=tuple(cpu),
        numa_affinity=tuple(numa),
        nics=tuple(nics),
    )


def read_nvidia_smi_topo(timeout: float, env: Mapping[str, str] | None = None) -> tuple[str | None, ProbeNote]:
    """Run ``nvidia-smi topo -m``; its stdout, or None and the reason."""
    start = time.monotonic()

    def note(status: str, reason: str = "") -> ProbeNote:
        return ProbeNote(probe="nvidia-smi topo", status=status, reason=reason, duration_s=time.monotonic() - start)

    try:
        done = runner.capture(["nvidia-smi", "topo", "-m"], timeout=timeout, env=env)
    except ToolNotFoundError:
        return None, note("unavailable", "nvidia-smi was not found on PATH")
    except ExternalError as exc:
        return None, note("error", str(exc))
    if done.timed_out:
        return None, note("timeout", f"nvidia-smi topo -m did not answer within {timeout:g} s")
    if done.returncode != 0:
        return None, note("error", _first_meaningful_line(done.stdout, done.stderr) or f"exit code {done.returncode}")
    return done.stdout, note("ok")


# nvmlGpuTopologyLevel_t -> the topo -m code of the same meaning. Values from nvidia-ml-py
# pynvml.py ("NVML_TOPOLOGY_INTERNAL = 0", "SINGLE = 10", "MULTIPLE = 20", "HOSTBRIDGE = 30",
# "NODE = 40", "SYSTEM = 50"), as in nvml.h's nvmlGpuTopologyLevel_t.
_NVML_LEVEL_CODES = {0: "PIX", 10: "PIX", 20: "PXB", 30: "PHB", 40: "NODE", 50: "SYS"}
# nvmlGpuP2PStatus_t, from nvidia-ml-py pynvml.py (NVML_P2P_STATUS_OK = 0 ... UNKNOWN = 6).
_NVML_P2P_STATUS = {
    0: "ok",
    1: "chipset_not_supported",
    2: "gpu_not_supported",
    3: "ioh_topology_not_supported",
    4: "disabled_by_regkey",
    5: "not_supported",
    6: "unknown",
}
# nvmlGpuP2PCapsIndex_t: READ = 0, NVLINK = 2 (pynvml.py; its NVML_P2P_CAPS_INDEX_READ is
# written "0," there, a one-element tuple, so the integers are used instead of the names).
_P2P_READ, _P2P_NVLINK = 0, 2


def topology_from_nvml(
    pairs: Mapping[tuple[int, int], tuple[int | None, int | None, int | None]], gpus: Sequence[int]
) -> GpuTopology:
    """Pure: NVML answers per pair (common-ancestor level, P2P read status, NVLink P2P status) -> GpuTopology."""
    links, p2p = [], []
    for (a, b), (level, read, nvlink) in sorted(pairs.items()):
        if nvlink == 0:
            code = "NV"
        elif level is not None and level in _NVML_LEVEL_CODES:
            code = _NVML_LEVEL_CODES[level]
        else:
            code = "?"
        links.append((a, b, code))
        if read is not None:
            p2p.append((a, b, _NVML_P2P_STATUS.get(read, f"status_{read}")))
    return GpuTopology(source="nvml", gpus=tuple(gpus), links=tuple(links), p2p=tuple(p2p))


def read_nvml_topology(timeout: float) -> tuple[GpuTopology | None, ProbeNote]:
    """NVML's view of every GPU pair (P2P read / NVLink status, common PCIe ancestor), bounded by ``timeout``."""
    start = time.monotonic()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            import pynvml  # the only module allowed to

            pynvml.nvmlInit()
            try:
                n = int(pynvml.nvmlDeviceGetCount())
                handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(n)]
                pairs: dict[tuple[int, int], tuple[int | None, int | None, int | None]] = {}
                for a in range(n):
                    for b in range(a + 1, n):
                        answers: list[int | None] = []
                        for call in (
                            lambda: pynvml.nvmlDeviceGetTopologyCommonAncestor(handles[a], handles[b]),
                            lambda: pynvml.nvmlDeviceGetP2PStatus(handles[a], handles[b], _P2P_READ),
                            lambda: pynvml.nvmlDeviceGetP2PStatus(handles[a], handles[b], _P2P_NVLINK),
                        ):
                            try:
                                answers.append(int(call()))
                            except Exception:  # noqa: BLE001 - NotSupported on one pair is an answer, not a failure
                                answers.append(None)
                        pairs[(a, b)] = (answers[0], answers[1], answers[2])
                box["topo"] = topology_from_nvml(pairs, range(n))
            finally:
                pynvml.nvmlShutdown()
        except Exception as exc:  # noqa: BLE001 - a probe never raises
            box["error"] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout)
    took = time.monotonic() - start
    if thread.is_alive():
        return None, ProbeNote(
            probe="nvml topology", status="timeout", reason=f"NVML did not answer within {timeout:g} s", duration_s=took
        )
    if "error" in box:
        return None, ProbeNote(probe="nvml topology", status="unavailable", reason=box["error"], duration_s=took)
    return box["topo"], ProbeNote(probe="nvml topology", status="ok", duration_s=took)


def probe_topology(
    timeout: float = 10.0, env: Mapping[str, str] | None = None
) -> tuple[GpuTopology | None, tuple[ProbeNote, ...]]:
    """`nvidia-smi topo -m` first (it counts NVLinks), NVML's P2P view as the fallback; P2P status merged in when both answer."""
    text, note = read_nvidia_smi_topo(timeout, env)
    topo = parse_nvidia_smi_topo(text) if text else None
    notes = [note]
    nv, nv_note = read_nvml_topology(timeout)
    notes.append(nv_note)
    if topo is None:
        return nv, tuple(notes)
    if nv is not None and nv.p2p:
        topo = dataclasses.replace(topo, p2p=nv.p2p)
    return topo, tuple(notes)

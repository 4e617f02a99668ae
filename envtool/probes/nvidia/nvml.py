"""What NVML says, through pynvml (from the nvidia-ml-py distribution).

This is the only module that imports ``pynvml``, and it does so inside the readers so that
``envtool detect`` starts fast and works without it. Each reader runs its NVML calls in a
daemon thread bounded by a timeout: a call blocked inside a sick driver cannot be
interrupted, only left behind. The bit and integer decodings are pure and tested directly.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from typing import Any

from envtool.model import GpuInfo, NvidiaFacts, ProbeNote
from envtool.util import call_with_timeout

__all__ = [
    "THROTTLE_REASON_BITS",
    "cuda_version_from_int",
    "read_nvml",
    "read_nvml_pairs",
    "throttle_reasons_from_mask",
]


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
        return bool(pynvml.nvmlDeviceGetPersistenceMode(handle) == enabled)

    def mig() -> bool:
        enabled = getattr(pynvml, "NVML_DEVICE_MIG_ENABLE", 1)
        return bool(pynvml.nvmlDeviceGetMigMode(handle)[0] == enabled)

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
        no_v2: tuple[type[BaseException], ...] = (AttributeError, *_nvml_classes(pynvml, "NVMLError_FunctionNotFound"))
        try:
            try:
                cuda_int = pynvml.nvmlSystemGetCudaDriverVersion_v2()
            except no_v2:
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
        with contextlib.suppress(Exception):  # shutting down must not hide the answer
            pynvml.nvmlShutdown()
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
    finished, result, exc = call_with_timeout(_read_nvml_blocking, timeout)

    def note(status: str, reason: str) -> ProbeNote:
        return ProbeNote(probe=_NVML_PROBE, status=status, reason=reason, duration_s=time.monotonic() - start)

    if not finished:
        return None, note("timeout", f"NVML did not answer within {timeout:g} s (a hung driver?)")
    if exc is not None or result is None:
        return None, note("error", f"reading NVML failed: {type(exc).__name__}: {exc}")
    facts, status, reason = result
    return facts, note(status, reason)


# nvmlGpuP2PCapsIndex_t: READ = 0, NVLINK = 2 (pynvml.py; its NVML_P2P_CAPS_INDEX_READ is
# written "0," there, a one-element tuple, so the integers are used instead of the names).
_P2P_READ, _P2P_NVLINK = 0, 2

# Per GPU pair (a < b): (common-ancestor level, P2P read status, NVLink P2P status), each the
# raw NVML integer, or None where NVML could not answer for that pair.
PairAnswers = dict[tuple[int, int], tuple[int | None, int | None, int | None]]


def _read_pairs_blocking() -> tuple[PairAnswers, int]:
    import pynvml  # the only module allowed to; late, as in read_nvml

    pynvml.nvmlInit()
    try:
        n = int(pynvml.nvmlDeviceGetCount())
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(n)]
        pairs: PairAnswers = {}
        for a in range(n):
            for b in range(a + 1, n):
                answers: list[int | None] = []
                for call, extra in (
                    ("nvmlDeviceGetTopologyCommonAncestor", ()),
                    ("nvmlDeviceGetP2PStatus", (_P2P_READ,)),
                    ("nvmlDeviceGetP2PStatus", (_P2P_NVLINK,)),
                ):
                    try:  # looked up here: an old pynvml without the call answers None for it
                        answers.append(int(getattr(pynvml, call)(handles[a], handles[b], *extra)))
                    except Exception:  # NotSupported on one pair is an answer, not a failure
                        answers.append(None)
                pairs[(a, b)] = (answers[0], answers[1], answers[2])
        return pairs, n
    finally:
        pynvml.nvmlShutdown()


def read_nvml_pairs(timeout: float) -> tuple[tuple[PairAnswers, int] | None, ProbeNote]:
    """NVML's raw answers for every GPU pair and the GPU count, bounded by ``timeout``."""
    start = time.monotonic()
    finished, result, exc = call_with_timeout(_read_pairs_blocking, timeout)
    took = time.monotonic() - start
    if not finished:
        return None, ProbeNote(
            probe="nvml topology", status="timeout", reason=f"NVML did not answer within {timeout:g} s", duration_s=took
        )
    if exc is not None or result is None:
        reason = f"{type(exc).__name__}: {exc}"
        return None, ProbeNote(probe="nvml topology", status="unavailable", reason=reason, duration_s=took)
    return result, ProbeNote(probe="nvml topology", status="ok", duration_s=took)

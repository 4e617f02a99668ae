"""Plain, frozen data: facts about a machine, findings, and command results.

Every field that a probe may fail to read is Optional; ``None`` means "unknown",
never "absent" or "zero". Rules treat unknown as no evidence either way.
Collections are tuples so the objects stay hashable and immutable.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any


class StrEnum(str, enum.Enum):
    """``enum.StrEnum`` for Python < 3.11."""

    def __str__(self) -> str:
        return str(self.value)


class Severity(StrEnum):
    ERROR = "error"
    WARN = "warn"
    INFO = "info"


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


# --------------------------------------------------------------------------- probes


@dataclass(frozen=True, kw_only=True)
class ProbeNote:
    """How one probe went: ``ok``, ``unavailable`` (the thing is not there), ``timeout`` or ``error``."""

    probe: str
    status: str
    reason: str = ""
    duration_s: float = 0.0


# --------------------------------------------------------------------------- system


@dataclass(frozen=True, kw_only=True)
class DiskInfo:
    path: str
    total_bytes: int | None = None
    free_bytes: int | None = None


@dataclass(frozen=True, kw_only=True)
class SystemFacts:
    hostname: str | None = None
    os_name: str | None = None  # "Linux", "Windows", "Darwin"
    os_pretty: str | None = None  # "Debian GNU/Linux 12 (bookworm)"
    kernel: str | None = None
    glibc: str | None = None
    arch: str | None = None  # "x86_64", "aarch64"
    container: str | None = None  # "docker", "podman", "kubernetes", "lxc", ... or None for bare metal
    wsl: int | None = None  # 1 or 2 under WSL, else None
    cpu_model: str | None = None
    cpu_vendor: str | None = None
    physical_cores: int | None = None
    logical_cores: int | None = None
    cpu_max_mhz: float | None = None
    cpu_flags: tuple[str, ...] = ()  # only the flags that matter: avx2, avx512f, avx512_bf16, amx_bf16, ...
    ram_total_bytes: int | None = None
    ram_available_bytes: int | None = None
    disks: tuple[DiskInfo, ...] = ()
    shm_bytes: int | None = None


# --------------------------------------------------------------------------- NVIDIA


@dataclass(frozen=True, kw_only=True)
class GpuInfo:
    """One NVIDIA GPU. ``unsupported`` names the fields the GPU or driver does not report."""

    index: int
    name: str | None = None
    uuid: str | None = None
    pci_bus_id: str | None = None
    memory_total_bytes: int | None = None
    compute_capability: str | None = None  # "8.0"; from NVML, or from the knowledge table by name
    persistence_mode: bool | None = None
    mig_mode: bool | None = None
    ecc_uncorrected: int | None = None  # volatile double-bit / uncorrected errors
    throttle_reasons: tuple[str, ...] = ()  # active reasons, e.g. ("hw_slowdown", "sw_thermal")
    power_limit_w: float | None = None
    pcie_gen_current: int | None = None
    pcie_gen_max: int | None = None
    pcie_width_current: int | None = None
    pcie_width_max: int | None = None
    unsupported: tuple[str, ...] = ()
    error: str | None = None  # e.g. "GPU is lost": the GPU is listed but could not be read


@dataclass(frozen=True, kw_only=True)
class NvidiaFacts:
    """What the NVIDIA driver says. ``source`` is ``nvml``, ``nvidia-smi`` or ``None`` (no driver found)."""

    source: str | None = None
    driver_version: str | None = None  # "535.54.03"
    cuda_driver_version: str | None = None  # the driver's maximum CUDA, "12.2"
    nvml_version: str | None = None
    gpus: tuple[GpuInfo, ...] = ()
    hardware_present: bool | None = None  # an NVIDIA display/3D controller on the PCI bus
    error: str | None = None  # e.g. "Driver/library version mismatch"


# --------------------------------------------------------------------------- toolkit


@dataclass(frozen=True, kw_only=True)
class ToolkitFacts:
    """The CUDA *toolkit* (compiler), which torch wheels do not need at run time."""

    nvcc_path: str | None = None
    nvcc_version: str | None = None  # "12.4"
    cuda_home: str | None = None
    cuda_home_source: str | None = None  # "CUDA_HOME", "CUDA_PATH", "/usr/local/cuda"


# --------------------------------------------------------------------------- python


@dataclass(frozen=True, kw_only=True)
class ToolInfo:
    name: str
    path: str | None = None
    version: str | None = None


@dataclass(frozen=True, kw_only=True)
class DistInfo:
    name: str
    version: str
    location: str | None = None


@dataclass(frozen=True, kw_only=True)
class TorchBuild:
    """An installed torch, read from its metadata and ``torch/version.py`` without importing it."""

    version: str
    cuda: str | None = None  # "12.8"; None for a CPU build
    hip: str | None = None
    cudnn: str | None = None
    debug: bool | None = None
    git_version: str | None = None
    location: str | None = None

    @property
    def variant(self) -> str:
        if self.hip:
            return f"rocm{self.hip}"
        if self.cuda:
            return "cu" + self.cuda.replace(".", "")
        return "cpu"


@dataclass(frozen=True, kw_only=True)
class PythonFacts:
    executable: str | None = None
    version: str | None = None
    implementation: str | None = None
    env_kind: str | None = None  # "venv", "conda", "system"
    env_prefix: str | None = None
    conda_env_name: str | None = None
    tools: tuple[ToolInfo, ...] = ()  # pip, uv, conda, mamba, micromamba (path None when absent)
    torch: TorchBuild | None = None  # the torch this python imports first
    torch_installs: tuple[TorchBuild, ...] = ()  # every torch found on sys.path
    transformers: str | None = None
    nvidia_wheels: tuple[DistInfo, ...] = ()  # nvidia-cublas-cu12, ...
    pynvml_dists: tuple[DistInfo, ...] = ()  # pynvml and/or nvidia-ml-py
    user_site_torch: bool = False  # a torch in the user site shadows the environment's


# --------------------------------------------------------------------------- deep torch probe


@dataclass(frozen=True, kw_only=True)
class DeviceRun:
    """A tiny kernel run on one device by the deep probe."""

    device: str  # "cuda:0" (ROCm GPUs too), "xpu:0", "mps" or "cpu"
    name: str | None = None
    capability: str | None = None
    ok: bool = False
    error: str | None = None
    seconds: float | None = None
    arch: str | None = None  # the gfx target of a ROCm device ("gfx942"), from gcnArchName


@dataclass(frozen=True, kw_only=True)
class TorchRuntime:
    """What torch itself says, from the deep probe or from a pasted report.

    ``outcome`` is ``ok``, ``import_error``, ``timeout``, ``crashed`` or ``unknown`` (pasted report).
    ``messages`` holds the warnings and errors torch printed; rules read them.
    """

    python: str | None = None
    outcome: str = "unknown"
    error: str | None = None
    version: str | None = None
    cuda: str | None = None
    hip: str | None = None
    cuda_available: bool | None = None
    device_count: int | None = None
    arch_list: tuple[str, ...] = ()  # "sm_80", "compute_90"
    cudnn: str | None = None
    nccl: str | None = None
    devices: tuple[DeviceRun, ...] = ()
    loaded_libraries: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    duration_s: float | None = None
    # Other vendors' backends (a ROCm build answers through ``cuda_available`` and ``hip``):
    xpu: str | None = None  # the SYCL/oneAPI build of an XPU torch, collect_env's "XPU used to build PyTorch"
    xpu_available: bool | None = None  # torch.xpu.is_available()
    mps_available: bool | None = None  # torch.backends.mps.is_available()


# --------------------------------------------------------------------------- the whole host


@dataclass(frozen=True, kw_only=True)
class HostFacts:
    system: SystemFacts = field(default_factory=SystemFacts)
    nvidia: NvidiaFacts = field(default_factory=NvidiaFacts)
    toolkit: ToolkitFacts = field(default_factory=ToolkitFacts)
    python: PythonFacts = field(default_factory=PythonFacts)
    env_vars: tuple[tuple[str, str], ...] = ()  # relevant variables, secrets already masked
    torch_runtime: TorchRuntime | None = None
    probes: tuple[ProbeNote, ...] = ()
    source: str = "detect"  # "detect", "collect_env", "envtool-report"
    # Non-NVIDIA accelerators and platform facts (envtool/probes/amd.py, apple.py, intel.py, arm.py):
    accelerators: tuple[Accelerator, ...] = ()
    platform: PlatformFacts = field(default_factory=lambda: PlatformFacts())


# --------------------------------------------------------------------------- findings and results


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """A line of a pasted report that shows a finding, with its 1-based line number."""

    line: int
    text: str


@dataclass(frozen=True, kw_only=True)
class Finding:
    id: str
    severity: Severity
    message: str
    fix: str = ""
    evidence: tuple[Evidence, ...] = ()  # lines of a pasted report; in JSON only when there are some


@dataclass(frozen=True, kw_only=True)
class Misfit:
    """Why one profile does not fit this machine (``rules.profile_fit``).

    ``id`` is a finding id; ``reason`` is the short phrase a recommendation lists after the
    profile's name ("needs a driver >= 525.60.13"), ``message`` the whole sentence.
    """

    profile: str
    id: str
    severity: Severity
    message: str
    fix: str
    reason: str

    def finding(self, severity: Severity | None = None) -> Finding:
        return Finding(id=self.id, severity=severity or self.severity, message=self.message, fix=self.fix)


@dataclass(frozen=True, kw_only=True)
class Recommendation:
    name: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CommandResult:
    """What a command returns; the CLI renders it and exits with ``exit_code``."""

    command: str
    data: dict[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    errors: tuple[str, ...] = ()
    exit_code: int = 0
    text: str | None = None  # stdout, already rendered (an export or a --format other than text); not in JSON

    @property
    def status(self) -> Status:
        if self.exit_code != 0 or any(f.severity == Severity.ERROR for f in self.findings):
            return Status.FAIL
        if any(f.severity == Severity.WARN for f in self.findings):
            return Status.WARN
        return Status.PASS


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, enums and tuples to plain JSON types (properties are not included)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


def from_jsonable(cls: type, data: Any) -> Any:
    """Rebuild a dataclass tree from ``to_jsonable`` output; unknown keys are ignored.

    Used to read envtool's own JSON reports back (``envtool diagnose report.json``), so it
    is lenient: a missing key takes the field's default, a value of the wrong shape raises
    ``TypeError`` or ``ValueError`` for the caller to turn into a clean error.
    """
    import typing

    if not isinstance(data, dict):
        raise TypeError(f"expected an object for {cls.__name__}, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        kwargs[f.name] = _coerce(hints[f.name], data[f.name])
    return cls(**kwargs)


def _coerce(tp: Any, value: Any) -> Any:
    import types
    import typing

    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        non_none = [a for a in args if a is not type(None)]
        return _coerce(non_none[0], value) if len(non_none) == 1 else value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v) for v in value)
        return tuple(_coerce(a, v) for a, v in zip(args, value, strict=False))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_jsonable(tp, value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in (int, float, str, bool) and value is not None and not isinstance(value, tp):
        raise TypeError(f"expected {tp.__name__}, got {type(value).__name__}")
    return value


def facts_to_data(facts: HostFacts) -> dict[str, Any]:
    """The JSON layout of facts in ``detect``'s ``data``: GPUs as a top-level list."""
    data: dict[str, Any] = to_jsonable(facts)
    data["gpus"] = data["nvidia"].pop("gpus")
    data["env_vars"] = dict(facts.env_vars)
    return data


def facts_from_data(data: dict[str, Any]) -> HostFacts:
    """Inverse of ``facts_to_data`` (lenient: missing keys are unknown)."""
    data = dict(data)
    nvidia = dict(data.get("nvidia") or {})
    if "gpus" in data:
        nvidia["gpus"] = data.pop("gpus")
    data["nvidia"] = nvidia
    env = data.get("env_vars")
    if isinstance(env, dict):
        data["env_vars"] = [[k, v] for k, v in env.items()]
    facts: HostFacts = from_jsonable(HostFacts, data)
    return facts


@dataclass(frozen=True, kw_only=True)
class Profile:
    """A hardware profile from ``profiles/*.toml`` (after inheritance is resolved)."""

    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    python: str | None = None
    torch: str | None = None  # exact torch version, "2.13.0"
    variant: str = "cpu"  # the torch wheel variant: "cpu", "cu118", "cu128", ...
    cuda: str | None = None  # the CUDA line of the build, "12.8"; None for cpu
    torch_index: str | None = None  # None: the installer's configured default index
    path: str | None = None  # the file it came from
    # Added by the provisioning issue (all defaulted, so older callers keep working):
    torch_packages: tuple[str, ...] = ()  # exact pins installed from torch's index with torch ("torchvision==0.28.0")
    torch_index_platforms: tuple[str, ...] = ()  # sys.platform values where torch_index applies; () = everywhere
    packages: tuple[str, ...] = ()  # requirements from the default index ("transformers==5.24.0")
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # optional groups: (name, requirements)
    index: str | None = None  # the default package index (a mirror); None: the installer's configured default
    conda_channels: tuple[str, ...] = ()
    min_driver: str | None = None  # Linux driver floor of the CUDA line, from the knowledge tables
    archs: tuple[str, ...] = ()  # GPU archs compiled in ("sm_80", "compute_90"), from the knowledge tables
    torch_range: str | None = None  # a version range (">=2.13,<2.16") resolved against the index at plan time

    @property
    def is_gpu(self) -> bool:
        return self.cuda is not None


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """One item of the onboarding checklist."""

    id: str
    title: str
    status: Status
    seen: str = ""  # what was observed
    fix: str = ""  # what to do when it is not PASS
    duration_s: float = 0.0


def _finding_json(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = to_jsonable(f)
    if not f.evidence:
        del out["evidence"]  # the four-key finding of the envtool/1 contract stays as it was
    return out


def envelope(result: CommandResult) -> dict[str, Any]:
    """The JSON contract (``envtool/1``): these keys, always, in this order."""
    from envtool import SCHEMA, __version__

    return {
        "schema": SCHEMA,
        "command": result.command,
        "status": str(result.status),
        "exit_code": result.exit_code,
        "data": {**to_jsonable(result.data), "envtool_version": __version__},
        "findings": [_finding_json(f) for f in result.findings],
        "errors": list(result.errors),
    }


# --------------------------------------------------------------------------- other accelerators and platforms


@dataclass(frozen=True, kw_only=True)
class Accelerator:
    """One non-NVIDIA accelerator (AMD, Intel, Apple; Hygon DCUs too), as the machine reports it.

    On a partitioned AMD Instinct GPU each partition is one entry (torch sees one device per
    partition); entries of one physical GPU share ``physical_id``. ``source`` names the reader
    (``kfd``, ``amd-smi``, ``rocm-smi``, ``rocminfo``, ``pci``, ``sysctl``, ``xpu-smi``, ``sycl-ls``).
    """

    index: int
    vendor: str  # "amd", "intel", "apple", "hygon"
    name: str | None = None
    arch: str | None = None  # "gfx942", "gfx1100"; None when the reader cannot tell
    pci_id: str | None = None  # "1002:74a1"
    compute_units: int | None = None  # AMD CUs, Intel EUs, Apple GPU cores
    memory_bytes: int | None = None
    memory_shared: bool | None = None  # True: unified/host memory (APUs, Apple silicon)
    driver: str | None = None
    physical_id: str | None = None  # shared by the partitions of one physical GPU
    usable: bool | None = None  # False: seen but unusable by torch (e.g. no Level Zero device for XPU)
    source: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PlatformFacts:
    """Facts beyond the NVIDIA x86 machine: ROCm, oneAPI, macOS and NVIDIA on Arm (Grace, GB10, Jetson).

    ``kind`` is ``sbsa`` (Arm server/desktop with a discrete-style NVIDIA GPU: Grace, GB10),
    ``tegra`` (Jetson), ``apple-silicon``, ``intel-mac`` or None.
    """

    kind: str | None = None
    cpu_part: str | None = None  # aarch64 "CPU part", "0xd4f"
    cpu_core: str | None = None  # "Neoverse-V2"
    soc: str | None = None  # "Grace", "GB10", "Thor", "Orin", "Apple M3"
    kernel_64k: bool | None = None  # an `-nvidia-64k` (64 KiB pages) kernel
    l4t: str | None = None  # Jetson Linux release, "36.4.3"
    jetpack: str | None = None  # "6.1/6.2" (from the L4T release; None when no source maps it)
    board: str | None = None  # /proc/device-tree/model
    compatible: tuple[str, ...] = ()  # /proc/device-tree/compatible
    board_cuda: str | None = None  # the CUDA the board's JetPack ships, "12.6"
    gpu_arch: str | None = None  # Tegra GPU, "sm_87"
    unified_memory_bytes: int | None = None  # the GPU shares RAM with the OS (GB10, Jetson, Apple)
    unified_memory_source: str | None = None
    macos_version: str | None = None  # "14.7.5"
    rosetta: bool | None = None  # an x86_64 python on Apple silicon
    rocm_version: str | None = None  # /opt/rocm/.info/version
    amdgpu_loaded: bool | None = None  # /sys/module/amdgpu
    kfd_accessible: bool | None = None  # /dev/kfd opens for reading and writing
    render_groups: tuple[str, ...] = ()  # the groups of /dev/kfd and /dev/dri/renderD* ("render", "video")
    user_groups: tuple[str, ...] = ()
    level_zero: bool | None = None  # sycl-ls shows a level_zero:gpu device
    visible_devices: tuple[tuple[str, str], ...] = ()  # HIP_/ROCR_VISIBLE_DEVICES, ZE_AFFINITY_MASK, ...
    notes: tuple[str, ...] = ()

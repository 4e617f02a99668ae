"""OS, kernel, glibc, container/WSL, CPU, RAM, disk and /dev/shm.

Readers take their roots (``proc``, ``etc``, paths) as parameters so tests can point them at
prepared trees; parsers are pure functions on text.
"""

from __future__ import annotations

import os
import platform
import re
import socket
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from envtool.model import DiskInfo, ProbeNote, SystemFacts

# The CPU flags that decide which kernels torch can use (bf16 autocast on CPU needs
# AVX512-BF16 or AMX; oneDNN's fast paths need AVX2/AVX-512).
RELEVANT_FLAGS = (
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
    "amx_fp16",
    # aarch64
    "asimd",
    "sve",
    "sve2",
    "bf16",
    "i8mm",
)


def _read(path: Path | str, limit: int = 1 << 20) -> str | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return None


def parse_os_release(text: str) -> dict[str, str]:
    """``/etc/os-release`` -> its keys, quotes removed."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def parse_cpuinfo(text: str) -> dict[str, object]:
    """``/proc/cpuinfo`` -> model, vendor and the relevant flags (x86 ``flags`` or arm ``Features``)."""
    model = vendor = None
    flags: set[str] = set()
    cores: set[tuple[str, str]] = set()
    package = ""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().lower()
        value = value.strip()
        if key == "model name" and model is None:
            model = value
        elif key == "vendor_id" and vendor is None:
            vendor = value
        elif key in ("flags", "features") and not flags:
            flags = set(value.split())
        elif key == "physical id":
            package = value
        elif key == "core id":
            cores.add((package, value))
    return {
        "model": model,
        "vendor": vendor,
        "flags": tuple(f for f in RELEVANT_FLAGS if f in flags),
        "physical_cores": len(cores) or None,
    }


def parse_meminfo(text: str) -> tuple[int | None, int | None]:
    """``/proc/meminfo`` -> (total, available) in bytes."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0]) * (1024 if len(parts) > 1 and parts[1] == "kB" else 1)
    return values.get("MemTotal"), values.get("MemAvailable")


def detect_container(*, proc: str = "/proc", root: str = "/", env: Mapping[str, str] | None = None) -> str | None:
    """docker, podman, kubernetes, lxc, containerd, or None. Order matters: k8s runs on docker/containerd."""
    env = os.environ if env is None else env
    if env.get("KUBERNETES_SERVICE_HOST"):
        return "kubernetes"
    if os.path.exists(os.path.join(root, "run/.containerenv")):
        return "podman"
    container_env = env.get("container")
    if container_env:
        return container_env  # systemd's convention: "podman", "lxc", "docker", ...
    if os.path.exists(os.path.join(root, ".dockerenv")):
        return "docker"
    cgroup = _read(os.path.join(proc, "1/cgroup")) or ""
    for marker, name in (
        ("kubepods", "kubernetes"),
        ("docker", "docker"),
        ("containerd", "containerd"),
        ("lxc", "lxc"),
    ):
        if marker in cgroup:
            return name
    return None


def detect_wsl(kernel_release: str | None, osrelease_text: str | None = None) -> int | None:
    """1 or 2 under Windows Subsystem for Linux, else None."""
    text = f"{kernel_release or ''} {osrelease_text or ''}".lower()
    if "microsoft" not in text and "wsl" not in text:
        return None
    return 2 if ("wsl2" in text or "microsoft-standard" in text) else 1


def glibc_version() -> str | None:
    lib, version = platform.libc_ver()
    return version if lib == "glibc" and version else None


def _cpu_max_mhz(sys_root: str = "/sys") -> float | None:
    text = _read(os.path.join(sys_root, "devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"))
    if text and text.strip().isdigit():
        return int(text.strip()) / 1000.0
    return None


def disk_usage(paths: Iterable[str]) -> tuple[DiskInfo, ...]:
    import shutil

    out: list[DiskInfo] = []
    seen: set[str] = set()
    for p in paths:
        if not p or p in seen:
            continue
        seen.add(p)
        try:
            usage = shutil.disk_usage(p)
        except OSError:
            out.append(DiskInfo(path=p))
            continue
        out.append(DiskInfo(path=p, total_bytes=usage.total, free_bytes=usage.free))
    return tuple(out)


def shm_size(path: str = "/dev/shm") -> int | None:
    try:
        st = os.statvfs(path)
    except (OSError, AttributeError):
        return None
    return st.f_frsize * st.f_blocks


def probe_system(
    *,
    env: Mapping[str, str] | None = None,
    proc: str = "/proc",
    etc: str = "/etc",
    sys_root: str = "/sys",
    cwd: str | None = None,
) -> tuple[SystemFacts, tuple[ProbeNote, ...]]:
    """Survey the host. Never raises: a part that cannot be read stays None."""
    start = time.monotonic()
    env = os.environ if env is None else env
    notes: list[ProbeNote] = []
    uname = platform.uname()
    os_name = uname.system or None
    osrel = parse_os_release(_read(os.path.join(etc, "os-release")) or "")
    cpu: dict[str, object] = {}
    if os_name == "Linux":
        cpu = parse_cpuinfo(_read(os.path.join(proc, "cpuinfo")) or "")
    model = cpu.get("model") or (uname.processor or None)
    ram_total = ram_avail = physical = None
    logical = os.cpu_count()
    max_mhz = _cpu_max_mhz(sys_root)
    if os_name == "Linux":
        # /proc is read directly: importing psutil alone costs ~40 ms of detect's ~150.
        ram_total, ram_avail = parse_meminfo(_read(os.path.join(proc, "meminfo")) or "")
        cores = cpu.get("physical_cores")
        physical = cores if isinstance(cores, int) else None
    if ram_total is None or physical is None:
        try:
            import psutil

            vm = psutil.virtual_memory()
            ram_total = ram_total or int(vm.total)
            ram_avail = ram_avail or int(vm.available)
            physical = physical or psutil.cpu_count(logical=False)
            freq = psutil.cpu_freq() if max_mhz is None else None
            if freq and freq.max:
                max_mhz = float(freq.max)
        except Exception as exc:  # psutil missing or failing: keep the rest of the report
            notes.append(ProbeNote(probe="system.psutil", status="error", reason=str(exc)))
    home = env.get("HOME") or os.path.expanduser("~")
    try:
        here = cwd or os.getcwd()
    except OSError:
        here = None
    try:
        hostname = socket.gethostname()
    except OSError:
        hostname = None
    facts = SystemFacts(
        hostname=hostname,
        os_name=os_name,
        os_pretty=osrel.get("PRETTY_NAME") or (f"{uname.system} {uname.release}" if os_name else None),
        kernel=uname.release or None,
        glibc=glibc_version() if os_name == "Linux" else None,
        arch=uname.machine or None,
        container=detect_container(proc=proc, env=env) if os_name == "Linux" else None,
        wsl=detect_wsl(uname.release, _read(os.path.join(proc, "sys/kernel/osrelease")))
        if os_name == "Linux"
        else None,
        cpu_model=str(model) if model else None,
        cpu_vendor=str(cpu["vendor"]) if cpu.get("vendor") else None,
        physical_cores=physical,
        logical_cores=logical,
        cpu_max_mhz=max_mhz,
        cpu_flags=tuple(cpu.get("flags") or ()),  # type: ignore[arg-type]
        ram_total_bytes=ram_total,
        ram_available_bytes=ram_avail,
        disks=disk_usage([p for p in (here, home) if p]),
        shm_bytes=shm_size() if os_name == "Linux" else None,
    )
    notes.append(ProbeNote(probe="system", status="ok", duration_s=time.monotonic() - start))
    return facts, tuple(notes)


_SECRET = re.compile(r"TOKEN|KEY|SECRET|PASSW(OR)?D|PASS$|CREDENTIAL|AUTH", re.I)
_RELEVANT = re.compile(
    r"^(CUDA_VISIBLE_DEVICES|CUDA_HOME|CUDA_PATH|CUDA_MODULE_LOADING|CUDA_LAUNCH_BLOCKING|LD_LIBRARY_PATH|"
    r"LD_PRELOAD|PYTORCH_.*|TORCH_.*|NCCL_.*|HF_.*|HUGGING_FACE_.*|TRANSFORMERS_.*|NVIDIA_.*|"
    r"OMP_NUM_THREADS|MKL_NUM_THREADS|CONDA_PREFIX|CONDA_DEFAULT_ENV|VIRTUAL_ENV|PIP_INDEX_URL|"
    r"PIP_EXTRA_INDEX_URL|UV_INDEX_URL|UV_EXTRA_INDEX_URL|UV_TORCH_BACKEND|PYTHONPATH|PYTHONNOUSERSITE)$"
)
MASK = "****"


def is_secret_name(name: str) -> bool:
    return bool(_SECRET.search(name))


def _mask_url_credentials(value: str) -> str:
    # https://user:pass@host/simple -> https://****@host/simple
    return re.sub(r"(?<=://)[^/@\s]+@", MASK + "@", value)


def relevant_env(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The variables that change what torch/NCCL/HF do, secrets masked."""
    out = []
    for name in sorted(env):
        if not _RELEVANT.match(name):
            continue
        value = env[name]
        out.append((name, MASK if is_secret_name(name) else _mask_url_credentials(value)))
    return tuple(out)

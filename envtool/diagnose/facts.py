"""What was read from a paste, mapped onto :class:`~envtool.model.HostFacts`."""

from __future__ import annotations

import importlib
import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from itertools import accumulate
from typing import Any

from envtool.diagnose.forms import APPLE_CHIP_NAME, Told, driver_own_cuda
from envtool.diagnose.grammar import _Report
from envtool.diagnose.lines import _KEYS, _NOT_COLLECTED, _key_of
from envtool.diagnose.messages import (
    parse_driver_too_old,
    parse_found_gpu_capability,
    parse_incompatible_capability,
    parse_supported_arch_list,
)
from envtool.model import (
    DistInfo,
    Evidence,
    GpuInfo,
    HostFacts,
    NvidiaFacts,
    ProbeNote,
    PythonFacts,
    SystemFacts,
    ToolkitFacts,
    TorchBuild,
    TorchRuntime,
)

SOURCE = "collect_env"

_ARCH_ALIASES = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "aarch64": "aarch64",
    "arm64": "arm64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "i686": "i686",
    "i386": "i386",
    "armv7l": "armv7l",
    "riscv64": "riscv64",
}


def _lists_torch(rep: _Report) -> bool:
    # "[pip3] torch==..." lines alone (the tail of a report) still describe the install.
    return any(name == "torch" for name, _ in rep.pip) or any(name in _CONDA_TORCH for name, _, _ in rep.conda)


_CONDA_TORCH = frozenset({"pytorch", "pytorch-nightly", "pytorch-cpu", "torch"})


def _facts_from_report(rep: _Report, messages: tuple[str, ...], cut: frozenset[int] = frozenset()) -> HostFacts:
    """The facts of the report's fields; ``cut`` holds the GPU indexes whose names are nvidia-smi's cut prefixes."""
    f = rep.fields
    torch_version = _collected(f.get("torch_version"))
    cuda_build = _major_minor(_collected(f.get("cuda_build")))
    hip_build = _major_minor(_collected(f.get("hip_build")))
    debug = _bool(f.get("debug"))
    primary = TorchBuild(version=torch_version, cuda=cuda_build, hip=hip_build, debug=debug) if torch_version else None
    installs = _torch_installs(primary, rep)

    system = _system_facts(rep)
    gpus, other_gpus = _gpus(rep, hip_build)
    gpus = _fill_capabilities(gpus, messages, cut)
    mismatch = any("driver/library version mismatch" in m.lower() for m in messages)
    nv_error = "Driver/library version mismatch" if mismatch else None
    nvidia = NvidiaFacts(
        source=SOURCE,
        driver_version=_driver_version(f.get("driver")),
        # collect_env never prints the driver's own CUDA version; torch's "too old (found version 11040)" does.
        cuda_driver_version=next((v for v in map(parse_driver_too_old, messages) if v), None),
        gpus=tuple(gpus),
        hardware_present=True if gpus else None,
        error=nv_error,
    )
    toolkit = ToolkitFacts(nvcc_version=_major_minor(_collected(f.get("nvcc"))))

    pip = dict(rep.pip)
    conda = {name: version for name, version, _ in rep.conda}
    transformers = pip.get("transformers") or conda.get("transformers")
    wheels: dict[str, DistInfo] = {}
    pynvml: dict[str, DistInfo] = {}
    for name, version in [*rep.pip, *((n, v) for n, v, _ in rep.conda)]:
        if name in ("pynvml", "nvidia-ml-py", "nvidia-ml-py3"):
            pynvml.setdefault(name, DistInfo(name=name, version=version))
        elif name.startswith("nvidia-"):
            wheels.setdefault(name, DistInfo(name=name, version=version))
    python = PythonFacts(
        version=_python_version(f.get("python_version")),
        implementation="PyPy" if "PyPy" in (f.get("python_version") or "") else None,
        torch=primary,
        torch_installs=installs,
        transformers=transformers,
        nvidia_wheels=tuple(wheels.values()),
        pynvml_dists=tuple(pynvml.values()),
    )

    arch_list: tuple[str, ...] = ()
    for m in messages:
        arch_list = parse_supported_arch_list(m)
        if arch_list:
            break
    runtime = TorchRuntime(
        outcome="unknown",
        version=torch_version,
        cuda=cuda_build,
        hip=hip_build,
        cuda_available=_bool(f.get("cuda_available")),
        arch_list=arch_list,
        cudnn=_cudnn_version(rep.cudnn_lines, f.get("cudnn")),
        messages=messages,
    )

    notes = [f"layout: {rep.layout}", f"{len(f)} known fields"]
    if not rep.fields and messages:
        notes = ["no report, torch messages only"]
    if other_gpus:
        notes.append("non-NVIDIA GPU reported: " + "; ".join(other_gpus))
    if rep.extras:
        notes.append("other fields: " + "; ".join(rep.extras))
    return HostFacts(
        system=system,
        nvidia=nvidia,
        toolkit=toolkit,
        python=python,
        torch_runtime=runtime,
        probes=(ProbeNote(probe=SOURCE, status="ok", reason="; ".join(notes)),),
        source=SOURCE,
    )


def _collected(value: str | None) -> str | None:
    """The value, or None for collect_env's placeholders ("Could not collect", "N/A", "No CUDA", "None")."""
    if value is None:
        return None
    v = value.strip().strip("`").strip()
    return None if v.lower() in _NOT_COLLECTED else v


def _bool(value: str | None) -> bool | None:
    v = (_collected(value) or "").lower()
    # torch 1.0-1.6 printed Yes/No (``replace_bools``), later torch prints True/False.
    if v in ("true", "yes"):
        return True
    if v in ("false", "no"):
        return False
    return None


def _major_minor(value: str | None) -> str | None:
    """ "9.0.176" -> "9.0", "6.3.42131-fa1d09cbd" -> "6.3", "12.8" -> "12.8"; anything else -> None."""
    if not value:
        return None
    m = re.match(r"(?:V|v|release\s+)?(\d{1,3})\.(\d{1,3})", value)
    return f"{int(m.group(1))}.{int(m.group(2))}" if m else None


def _python_version(value: str | None) -> str | None:
    v = _collected(value)
    if not v:
        return None
    m = re.match(r"(\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?\+?)", v)
    return m.group(1) if m else None


def _driver_version(value: str | None) -> str | None:
    v = _collected(value)
    if not v:
        return None
    # "535.54.03", and the bare branch people type ("Driver Version: 535").
    m = re.match(r"(\d+(?:\.\d+){1,3}|\d{3}(?![\d.]))", v)
    return m.group(1) if m else None


def _local_tag_build(version: str) -> tuple[str | None, str | None]:
    """(cuda, hip) from a wheel's local version: "+cu121" -> ("12.1", None), "+rocm6.3" -> (None, "6.3")."""
    local = version.partition("+")[2].lower()
    m = re.match(r"cu(\d{1,2})(\d)$", local)
    if m:
        return f"{int(m.group(1))}.{m.group(2)}", None
    m = re.match(r"rocm(\d+\.\d+)", local)
    if m:
        return None, m.group(1)
    return None, None


def _conda_build(build: str) -> tuple[str | None, str | None]:
    """(cuda, hip) from a conda build string: "py3.7_cuda90_cudnn7_1" -> "9.0", "py3.10_cuda11.8_..." -> "11.8"."""
    b = build.lower()
    m = re.search(r"cuda(\d+)\.(\d+)", b) or re.search(r"cuda(\d{1,2})(\d)(?!\d)", b)
    if m:
        return f"{int(m.group(1))}.{m.group(2)}", None
    m = re.search(r"rocm(\d+\.\d+)", b)
    if m:
        return None, m.group(1)
    return None, None


def _torch_installs(primary: TorchBuild | None, rep: _Report) -> tuple[TorchBuild, ...]:
    """Every torch the report shows: the imported one, then pip/conda entries of other versions.

    pip and conda list the same site-packages, so a torch with the same public version in
    both is one install; a different version is a second install (a conflict the rules flag).
    """
    installs: list[TorchBuild] = [primary] if primary else []

    def add(version: str, cuda: str | None, hip: str | None) -> None:
        base = version.partition("+")[0]
        for k, t in enumerate(installs):
            if t.version.partition("+")[0] == base and (
                "+" not in version or "+" not in t.version or t.version == version
            ):
                if not t.cuda and not t.hip and (cuda or hip) and t is not primary:
                    installs[k] = TorchBuild(version=t.version, cuda=cuda, hip=hip)
                return
        installs.append(TorchBuild(version=version, cuda=cuda, hip=hip))

    for name, version in rep.pip:
        if name == "torch":
            add(version, *_local_tag_build(version))
    listed: set[str] = set()
    for name, version, build in rep.conda:
        if name in _CONDA_TORCH:
            if name in listed:
                continue  # one environment's conda list names a package once: this is another listing
            listed.add(name)
            cuda, hip = _conda_build(build)
            if not (cuda or hip):
                cuda, hip = _local_tag_build(version)
            add(version, cuda, hip)
    return tuple(installs)


def _gpus(rep: _Report, hip_build: str | None) -> tuple[list[GpuInfo], list[str]]:
    """NVIDIA GPUs from the "GPU models and configuration" value, and other GPUs named there."""
    gpus: list[GpuInfo] = []
    for line in rep.gpu_lines:
        m = re.match(r"GPU (\d+):\s*(.*)$", line)
        if not m:
            continue
        name = re.sub(r"\s*\(UUID:[^)]*\)", "", m.group(2)).strip() or None
        gpus.append(GpuInfo(index=int(m.group(1)), name=name))
    other: list[str] = []
    value = _collected(rep.fields.get("gpus"))
    if value and not gpus and not value.startswith("GPU "):
        # ROCm builds (and macOS) print torch.cuda.get_device_name() here, not nvidia-smi -L.
        # (and a hand-typed template's "GPU models and configuration: M1 Max" names Apple silicon's GPU)
        if hip_build or re.search(r"\b(?:AMD|Radeon|Instinct)\b|\(gfx\w+", value) or APPLE_CHIP_NAME.match(value):
            other.append(value)
        else:
            gpus.append(GpuInfo(index=0, name=value))
    return gpus, other


def _fill_capabilities(
    gpus: list[GpuInfo], messages: Sequence[str], cut: frozenset[int] = frozenset()
) -> list[GpuInfo]:
    """Compute capability per GPU: torch's "Found GPU<n> ... capability X.Y" first, else the knowledge table.

    A name nvidia-smi cut (index in ``cut``) is a prefix: the table's patterns would take "GeForce RTX 3060"
    for a 3060 when it may be a 3060 Ti, so only a prefix every matching model agrees on gives a capability.
    """
    by_index: dict[int, tuple[str, str]] = {}
    by_name: dict[str, str] = {}
    for msg in messages:
        for idx, name, found_cc in parse_found_gpu_capability(msg):
            by_index.setdefault(idx, (name, found_cc))
        inc = parse_incompatible_capability(msg)
        if inc and inc[0] and inc[1]:
            by_name.setdefault(inc[0], inc[1])
    if not gpus and by_index:
        # Only the warning names the GPUs (a report cut short, or messages alone).
        gpus = [GpuInfo(index=i, name=n) for i, (n, _) in sorted(by_index.items())]
    elif not gpus and by_name:
        # "NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible ...": the GPU torch saw.
        gpus = [GpuInfo(index=i, name=n) for i, n in enumerate(by_name)]
    lookup = _knowledge_lookup()
    out = []
    for g in gpus:
        cc: str | None = None
        is_cut = g.index in cut
        if g.index in by_index and (
            not g.name or by_index[g.index][0] == g.name or (is_cut and by_index[g.index][0].startswith(g.name))
        ):
            cc = by_index[g.index][1]
        elif g.name and g.name in by_name:
            cc = by_name[g.name]
        elif g.name and is_cut:
            cc = _cut_capability(g.name)
        elif g.name and lookup is not None:
            try:
                cc = lookup(g.name)
            except Exception:  # a bug in the table must not lose the report
                cc = None
        out.append(GpuInfo(index=g.index, name=g.name, compute_capability=cc) if cc else g)
    return out


_BRANDS = ("nvidia ", "tesla ", "geforce ")


def _model_key(name: str) -> str:
    """A model's name compared as nvidia-smi may print it: no brand words, "-" as a blank, one case."""
    key = " ".join(name.lower().replace("-", " ").split())
    for brand in _BRANDS:
        key = key.removeprefix(brand)
    return key


def _cut_capability(prefix: str) -> str | None:
    """The capability of every table model whose name starts with ``prefix`` (a name nvidia-smi cut), when they
    all have the same one; None when none, or models of different (or unknown) capabilities, match."""
    key = _model_key(prefix)
    if not any(c.isdigit() for c in key):
        return None  # "NVIDIA GeForce ...": a brand, no model
    try:
        specs = importlib.import_module("envtool.knowledge").gpu_specs()
    except Exception:  # the knowledge package is optional to the readers
        return None
    found = {spec.compute_capability for spec in specs if _model_key(spec.model).startswith(key)}
    return found.pop() if len(found) == 1 and None not in found else None


def _knowledge_lookup() -> Any:
    # envtool.knowledge is written separately and may be absent or partial.
    try:
        mod = importlib.import_module("envtool.knowledge")
    except Exception:
        return None
    fn = getattr(mod, "compute_capability", None)
    return fn if callable(fn) else None


_CUDNN_FILE = re.compile(
    r"libcudnn(?:_\w+?)?\.so\.(\d+(?:\.\d+){0,2})"  # Linux: libcudnn.so.8.9.7, libcudnn_ops_infer.so.8.0.5
    r"|libcudnn(?:_\w+?)?\.(\d+(?:\.\d+){0,2})\.dylib"  # macOS: libcudnn.7.dylib
    r"|cudnn(?:_\w+?)?64_(\d+)\.dll",  # Windows: cudnn64_7.dll, cudnn_ops_infer64_8.dll
    re.I,
)


def _cudnn_version(lines: Sequence[str], value: str | None) -> str | None:
    """The first cuDNN version the report names, as "9.1.0" (or "7" when only a major is known)."""
    for line in lines:
        m = _CUDNN_FILE.search(line)
        if m:
            return next(g for g in m.groups() if g)
    v = _collected(value)
    if not v:
        return None
    if re.fullmatch(r"\d+\.\d+(?:\.\d+)?", v):
        return v
    if re.fullmatch(r"\d{4,6}", v):
        # torch.backends.cudnn.version() style integer. cudnn_version.h: cuDNN 9+ defines
        # CUDNN_VERSION as MAJOR*10000 + MINOR*100 + PATCH (90100 = 9.1.0); cuDNN 7-8 used
        # MAJOR*1000 + MINOR*100 + PATCH (7605 = 7.6.5, 8902 = 8.9.2).
        n = int(v)
        if n >= 90000:
            return f"{n // 10000}.{(n % 10000) // 100}.{n % 100}"
        return f"{n // 1000}.{(n % 1000) // 100}.{n % 100}"
    return None


_LINUX_WORDS = re.compile(
    r"\b(?:Linux|Ubuntu|Debian|CentOS|Red Hat|RHEL|Fedora|Rocky|AlmaLinux|SUSE|openSUSE|Arch|Manjaro|Gentoo"
    r"|Alpine|Amazon|Mint|Pop!_OS|Oracle)\b",
    re.I,
)


def _system_facts(rep: _Report) -> SystemFacts:
    f = rep.fields
    os_raw = _collected(f.get("os"))
    platform_ = _collected(f.get("platform")) or ""
    libc = _collected(f.get("libc"))

    os_name = None
    if platform_.startswith("Linux-") or (libc or "").startswith("glibc"):
        os_name = "Linux"
    elif platform_.startswith("Windows-") or (os_raw or "").startswith(("Microsoft Windows", "Windows ")):
        # (a template's hand-typed "OS: Windows 10" too)
        os_name = "Windows"
    elif platform_.startswith(("macOS-", "Darwin-")) or (os_raw or "").lower().startswith(("macos", "mac os")):
        os_name = "Darwin"
    elif os_raw and _LINUX_WORDS.search(os_raw):
        os_name = "Linux"
    elif (f.get("python_version") or "").find("MSC v.") >= 0:
        os_name = "Windows"

    arch = None
    kernel = None
    m = re.match(r"^Linux-(.+?)-(x86_64|aarch64|ppc64le|s390x|armv7l|i686|riscv64)(?:-|$)", platform_)
    if m:
        kernel, arch = m.group(1), m.group(2)
    elif platform_.startswith("macOS-"):
        mm = re.search(r"-(x86_64|arm64)(?:-|$)", platform_)
        arch = mm.group(1) if mm else None
    os_pretty = os_raw
    if os_raw:
        mo = re.match(r"^(.*?)\s*\(([\w-]+)\)$", os_raw)
        if mo and mo.group(2).lower() in _ARCH_ALIASES:
            os_pretty = mo.group(1) or None
            arch = arch or _ARCH_ALIASES[mo.group(2).lower()]
    if arch is None:
        cpu_arch = rep.cpu.get("architecture", "").lower()
        arch = _ARCH_ALIASES.get(cpu_arch)
    if arch is None:
        mp = re.search(r"\[MSC v\.\d+ \d+ bit \((AMD64|ARM64)\)\]", f.get("python_version") or "")
        if mp:
            arch = _ARCH_ALIASES[mp.group(1).lower()]

    glibc = None
    if libc and libc.startswith("glibc-"):
        glibc = libc[len("glibc-") :] or None
    elif "-with-glibc" in platform_:
        glibc = platform_.rsplit("-with-glibc", 1)[1] or None

    wsl = None
    if kernel and "microsoft" in kernel.lower():
        # The WSL2 kernel is "...-microsoft-standard-WSL2", WSL1 reports "...-Microsoft".
        wsl = 2 if ("wsl2" in kernel.lower() or "microsoft-standard" in kernel.lower()) else 1

    cpu = rep.cpu
    model = cpu.get("model name") or cpu.get("name") or (rep.cpu_bare[0] if rep.cpu_bare else None)
    vendor = cpu.get("vendor id") or cpu.get("manufacturer")
    logical = _int(cpu.get("cpu(s)"))
    cores = _int(cpu.get("core(s) per socket"))
    sockets = _int(cpu.get("socket(s)"))
    max_mhz = _float(cpu.get("cpu max mhz") or cpu.get("maxclockspeed"))
    flags = tuple(fl for fl in _relevant_flags() if fl in set((cpu.get("flags") or "").split()))
    return SystemFacts(
        os_name=os_name,
        os_pretty=os_pretty,
        kernel=kernel,
        glibc=glibc,
        arch=arch,
        wsl=wsl,
        cpu_model=(model or "").strip() or None,
        cpu_vendor=(vendor or "").strip() or None,
        physical_cores=cores * sockets if cores and sockets else None,
        logical_cores=logical,
        cpu_max_mhz=max_mhz,
        cpu_flags=flags,
    )


def _relevant_flags() -> tuple[str, ...]:
    # The same flag list as the live probe, so a pasted report and ``detect`` compare.
    try:
        from envtool.probes.system import RELEVANT_FLAGS
    except Exception:
        return ("avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16")
    return tuple(RELEVANT_FLAGS)


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float((value or "").strip())
    except ValueError:
        return None


# --------------------------------------------------------------------------- free-form facts


def merge_told(facts: HostFacts, told: Told) -> HostFacts:
    """``facts`` with what only the free-form forms tell (the driver's CUDA, NVML's version, PCI GPUs)."""
    nv = facts.nvidia
    gpus = tuple(
        replace(g, compute_capability=told.capabilities[g.index])
        if not g.compute_capability and g.index in told.capabilities
        else g
        for g in nv.gpus
    )
    # nvidia-smi's banner proves a GPU is there even where the paste names no model (paste 20: one
    # hand-typed banner line); a failure elsewhere in the paste (another time, a container) does not undo that.
    answered = told.smi_answered
    nvidia = replace(
        nv,
        gpus=gpus,
        cuda_driver_version=nv.cuda_driver_version or told.cuda_driver,
        nvml_version=nv.nvml_version or told.nvml_library,
        hardware_present=True if (gpus or told.pci_gpus or nv.hardware_present or answered) else None,
    )
    python = facts.python
    if python.torch is None and len(python.torch_installs) == 1 and told.packages:
        python = replace(python, torch=python.torch_installs[0])  # a package list names the one torch there is
    system = facts.system
    # A Windows path beside a POSIX site-packages (a Windows test harness driving a Linux run) is no Windows host.
    if told.windows and not told.posix_python and system.os_name is None:
        system = replace(system, os_name="Windows")
    elif told.macos and not told.windows and system.os_name is None:
        system = replace(system, os_name="Darwin")
    rt = facts.torch_runtime
    if rt is not None and told.arch_list and not rt.arch_list:
        rt = replace(rt, arch_list=told.arch_list)  # torch.cuda.get_arch_list() as a REPL printed it
    return replace(facts, nvidia=nvidia, system=system, python=python, torch_runtime=rt)


class LineIndex:
    """The lines that hold a text, found by ``str.find`` over the lines joined (built on first use): the
    lookups below run once per fact, and a Python loop over every line of a long log per lookup is the cost."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self._joined: str | None = None
        self._starts: Sequence[int] = ()

    def holding(self, needle: str) -> Iterator[int]:
        """The indexes, in order, of the lines that contain ``needle``."""
        if not needle or "\n" in needle:
            return  # no line holds a line break
        if self._joined is None:
            self._joined = "\n".join(self.lines)
            # Where each line starts in the joined text (an array: a long log's list of ints would be bigger).
            self._starts = array("q", accumulate(map(len, self.lines), initial=0))
            self._starts = array("q", map(int.__add__, self._starts, range(len(self._starts))))
        joined, starts = self._joined, self._starts
        at = joined.find(needle)
        while at >= 0:
            i = bisect_right(starts, at) - 1
            yield i
            at = joined.find(needle, starts[i + 1])


def _whole_number(line: str, needle: str) -> bool:
    """Whether ``line`` holds the version ``needle`` with no digit run on either side ("1.11.0" is not in "1.11.08"
    nor in "11.11.0")."""
    at = line.find(needle)
    while at >= 0:
        before = line[at - 1] if at else ""
        after = line[at + len(needle)] if at + len(needle) < len(line) else ""
        if not (before.isdigit() or (before == "." and at > 1 and line[at - 2].isdigit()) or after.isdigit()):
            return True
        at = line.find(needle, at + 1)
    return False


def _find_line(index: LineIndex, origin: Sequence[int], needle: str) -> tuple[int, str] | None:
    """The first line that states ``needle``: a line of the report's own shape (a known key, a package line,
    a table row) before any other mention, such as prose or a note about the report."""
    if not needle:
        return None
    first: tuple[int, str] | None = None
    lines = index.lines
    numeric = needle[0].isdigit() and needle[-1].isdigit()
    for i in index.holding(needle):
        line = lines[i]
        if numeric and not _whole_number(line, needle):
            continue  # "1.11.0" inside "intel-extension-for-pytorch 1.11.08" is another version
        hit = (origin[i] if i < len(origin) else i + 1), line.strip()[:300]
        s = line.strip()
        key = _key_of(s)
        if (key is not None and key in _KEYS) or s.startswith(("[pip", "[conda]", "|", "GPU ")) or s.find(needle) < 40:
            return hit
        first = first or hit
    return first


# collect_env prints torch.version.cuda; a None shows as "None" (torch 2.x) or, through its replace_nones,
# as "Could not collect" (torch 1.x, vLLM's copy: pytorch/pytorch#49325 "1.7.1+cpu", the 2.4.0+cpu fixture).
# Only with torch's own version beside it: without torch, collect_env prints "N/A" there.
_CPU_BUILD_NONE = re.compile(r"^\s*CUDA used to build PyTorch:\s*(None|Could not collect)\s*$")
_IPEX = ("intel-extension-for-pytorch", "intel_extension_for_pytorch")


def _cpu_signs(
    facts: HostFacts, rep: _Report, index: LineIndex, origin: Sequence[int], signs: dict[str, list[Evidence]]
) -> None:
    """Positive signs of a CPU-only torch (a ``+cpu`` tag, a conda ``cpu`` build, ``cpuonly``, a None CUDA build).

    A version without a local tag is no sign: conda, source and pre-1.x pip builds carry none.
    """
    out = signs.setdefault("cpu_build", [])
    searched: set[str] = set()

    def add(needle: str) -> None:
        # Each needle is looked up once (a long log repeats its package lists); each lookup is a linear scan.
        if needle in searched or len(searched) >= 16:
            return
        searched.add(needle)
        hit = _find_line(index, origin, needle)
        if hit and all(e.line != hit[0] for e in out):
            out.append(Evidence(line=hit[0], text=hit[1]))

    py = facts.python
    for t in (py.torch, *py.torch_installs):
        if t is not None and t.version.partition("+")[2].lower().startswith("cpu"):
            add(t.version)
    for name, version, build in rep.conda:
        b = build.lower()
        if (
            (name in _CONDA_TORCH and "cpu" in b.split("_"))
            or name == "cpuonly"
            or (name == "pytorch-mutex" and b == "cpu")
        ):
            add(build if build else version)
    t = facts.python.torch
    other_backend = bool(t and (t.hip or t.version.partition("+")[2].lower().startswith("xpu")))
    # Intel's extension ships torch builds without a local tag whose torch.version.cuda is None too.
    other_backend = other_backend or any(name.startswith(_IPEX) for name, _ in rep.pip)
    other_backend = other_backend or any(name.startswith(_IPEX) for name, _, _ in rep.conda)
    if not other_backend and not (facts.torch_runtime and facts.torch_runtime.xpu):
        for i in index.holding("CUDA used to build"):
            line = index.lines[i]
            m = _CPU_BUILD_NONE.match(line)
            if m and (t is not None or m.group(1) == "None"):
                out.append(Evidence(line=origin[i] if i < len(origin) else i + 1, text=line.strip()))
                break
    if not out:
        del signs["cpu_build"]


def _fact_signs(facts: HostFacts, index: LineIndex, origin: Sequence[int], signs: dict[str, list[Evidence]]) -> None:
    """The lines that state the driver, the GPUs, torch and the nvidia-* wheels, where no form marked them."""

    def mark(topic: str, needle: str | None) -> None:
        if not needle:
            return
        hit = _find_line(index, origin, needle)
        lst = signs.setdefault(topic, [])
        if hit and len(lst) < 8 and all(e.line != hit[0] for e in lst):
            lst.append(Evidence(line=hit[0], text=hit[1]))
        if not lst:
            del signs[topic]

    nv = facts.nvidia
    if "driver" not in signs:
        mark("driver", nv.driver_version)
    too_old = signs.get("msg:driver_too_old")
    if nv.cuda_driver_version and "cuda_driver" not in signs and too_old:
        signs["cuda_driver"] = [too_old[0]]  # "found version 11040" is the driver's CUDA
    if "gpu" not in signs:
        for g in nv.gpus[:8]:
            mark("gpu", g.name)
    rt = facts.torch_runtime
    if "cuda_available" not in signs and rt is not None and rt.cuda_available is not None:
        mark("cuda_available", "CUDA available")
    py = facts.python
    if "torch" not in signs and py.torch:
        mark("torch", py.torch.version)
    if len(py.torch_installs) > 1:
        for t in py.torch_installs[:8]:
            mark("torch_installs", t.version)
    majors = {d.name.rpartition("-cu")[2] for d in py.nvidia_wheels if "-cu" in d.name}
    if len(majors) > 1:
        for d in py.nvidia_wheels[:16]:
            if "-cu" in d.name:
                mark("wheels", d.name)


def told_gpu_lines(told: Told) -> dict[int, tuple[str | None, int, bool]]:
    """GPU index -> (the name the free-form forms read, its line, whether nvidia-smi cut the name), in the
    indexes ``_inject`` gives them."""
    if told.gpus:
        return {i: (n, told.gpu_lines[i], i in told.cut_gpus) for i, n in told.gpus.items() if i in told.gpu_lines}
    return {k: (n, line, False) for k, (n, line) in enumerate(zip(told.pci_gpus, told.pci_lines, strict=False))}


def _same_gpu_name(a: str | None, b: str | None) -> bool:
    x, y = " ".join((a or "").split()), " ".join((b or "").split())
    return not x or not y or x.startswith(y) or y.startswith(x)


_CUDNN_WORDS = ("cuDNN", "cudnn", "CUDNN", "CuDNN")
_PYTHON_WORDS = ("Python", "python")


def _line_near(index: LineIndex, origin: Sequence[int], words: Sequence[str], value: str) -> int | None:
    """The first line that holds one of ``words`` and ``value``, None when no line holds both.

    A line that states the field (a known key, or the word near its start, as a library path or a REPL
    line has it) comes before a mention further into a line (a traceback path, a note about the report).
    """
    stated: int | None = None
    mention: int | None = None
    for word in words:
        for i in index.holding(word):
            if stated is not None and i >= stated:
                break
            line = index.lines[i]
            if value not in line:
                continue
            s = line.strip()
            key = _key_of(s)
            if (key is not None and key in _KEYS) or s.find(word) < 40:
                stated = i
                break
            if mention is None or i < mention:
                mention = i
    best = stated if stated is not None else mention
    if best is None:
        return None
    return origin[best] if best < len(origin) else best + 1


def _told_rows(
    facts: HostFacts,
    signs: Mapping[str, Sequence[Evidence]],
    index: LineIndex,
    origin: Sequence[int],
    gpu_lines: Mapping[int, tuple[str | None, int, bool]] | None = None,
) -> tuple[tuple[str, str, int | None], ...]:
    """(what, value, line) for each thing the paste stated, and nothing it did not.

    ``gpu_lines`` (from :func:`told_gpu_lines`) gives each GPU of a list its own line.
    """
    rows: list[tuple[str, str, int | None]] = []
    own = gpu_lines or {}

    def line_of(topic: str, value: str) -> int | None:
        ev = signs.get(topic)
        if ev:
            return ev[0].line
        hit = _find_line(index, origin, value)
        return hit[0] if hit else None

    nv = facts.nvidia
    if nv.driver_version:
        rows.append(("NVIDIA driver", nv.driver_version, line_of("driver", nv.driver_version)))
    elif branch := next((t for t in signs if t.startswith("driver_branch:")), None):
        # Told, never used as the driver's version: which CUDA a branch runs depends on the version within it.
        rows.append(
            ("NVIDIA driver branch", f"{branch.partition(':')[2]} (from an install command)", signs[branch][0].line)
        )
    if nv.cuda_driver_version:
        value = nv.cuda_driver_version
        compat = signs.get("compat_libcuda")
        own_cuda = driver_own_cuda(nv.driver_version) if compat and nv.driver_version else None
        if own_cuda:
            value += f" (above the {own_cuda} of driver {nv.driver_version}: a forward-compatibility libcuda is loaded)"
        rows.append(("driver's CUDA", value, compat[0].line if compat else line_of("cuda_driver", value)))
    if nv.nvml_version:
        rows.append(("NVML library", nv.nvml_version, line_of("nvml_library", nv.nvml_version)))
    for g in nv.gpus:
        read = own.get(g.index)
        mine = bool(read and _same_gpu_name(read[0], g.name))
        # A cut name is shown as cut: "GeForce RTX 208" is no model.
        cut = bool(g.name and mine and read and read[2])
        notes = (["name cut by nvidia-smi"] if cut else []) + (
            [f"compute capability {g.compute_capability}"] if g.compute_capability else []
        )
        label = (f"{g.name}\u2026" if cut else g.name or "an NVIDIA GPU") + (f" ({'; '.join(notes)})" if notes else "")
        where = read[1] if read and mine else line_of("gpu", g.name or "NVIDIA")
        rows.append((f"GPU {g.index}", label, where))
    if not nv.gpus and nv.hardware_present:
        if signs.get("gpu"):
            rows.append(("GPU", "an NVIDIA GPU on the PCI bus", line_of("gpu", "NVIDIA")))
        else:  # nvidia-smi answered (merge_told): a GPU is there, its model is not in the paste
            rows.append(
                (
                    "GPU",
                    "an NVIDIA GPU (nvidia-smi answered; the model is not in the paste)",
                    line_of("driver", "NVIDIA"),
                )
            )
    accel_lines = [e.line for e in signs.get("accel", ())]
    for k, a in enumerate(facts.accelerators[:16]):
        unnamed = "Apple silicon (the chip is not in the paste)" if a.vendor == "apple" else a.vendor
        label = (a.name or a.pci_id or unnamed) + (f" ({a.arch})" if a.arch else "")
        where = accel_lines[k] if k < len(accel_lines) else (accel_lines[0] if accel_lines else None)
        vendor = {"amd": "AMD", "intel": "Intel", "apple": "Apple", "hygon": "Hygon"}.get(a.vendor, a.vendor)
        rows.append((f"{vendor} GPU {a.index}", label, where))
    pf = facts.platform
    if pf.kind in ("sbsa", "tegra"):
        what = f"{pf.soc or 'NVIDIA on Arm'} ({pf.kind})" + (", 64 KiB-page kernel" if pf.kernel_64k else "")
        if pf.l4t:
            what += f", L4T {pf.l4t}" + (f" = JetPack {pf.jetpack} (CUDA {pf.board_cuda})" if pf.jetpack else "")
        ev = signs.get("platform")
        rows.append(("platform", what, ev[0].line if ev else None))
    py = facts.python
    for t in py.torch_installs or ((py.torch,) if py.torch else ()):
        cpu = bool(signs.get("cpu_build")) and not t.cuda and not t.hip
        xpu = t.version.partition("+")[2].lower().startswith("xpu")
        build = (
            f"CUDA {t.cuda}"
            if t.cuda
            else f"ROCm {t.hip}"
            if t.hip
            else "XPU build"
            if xpu
            else "CPU build"
            if cpu
            else "build not stated"
        )
        rows.append(("torch", f"{t.version} ({build})", line_of("torch", t.version)))
    for key, shown in signs.items():
        if key.startswith("torchvision_unpaired:") and shown:
            rows.append(("torchvision", f"{key.partition(':')[2]} (not built for this torch)", shown[0].line))
    rt = facts.torch_runtime
    if rt is not None and rt.cuda_available is not None:
        rows.append(("CUDA available", str(rt.cuda_available), line_of("cuda_available", "vailable")))
    if rt is not None and rt.xpu_available is not None:
        rows.append(("XPU available", str(rt.xpu_available), line_of("", "Is XPU available")))
    if rt is not None and rt.cudnn:
        # Near its own word: a bare version ("8", from cudnn64_8.dll) is on many lines of other fields.
        cudnn_at = signs.get("cudnn")
        rows.append(
            ("cuDNN", rt.cudnn, cudnn_at[0].line if cudnn_at else _line_near(index, origin, _CUDNN_WORDS, rt.cudnn))
        )
    for d in py.nvidia_wheels:
        rows.append(("wheel", f"{d.name} {d.version}", line_of("", d.name)))
    if facts.toolkit.nvcc_version:
        rows.append(("nvcc", facts.toolkit.nvcc_version, line_of("nvcc", "release " + facts.toolkit.nvcc_version)))
    if py.version:
        rows.append(("Python", py.version, _line_near(index, origin, _PYTHON_WORDS, py.version)))
    if facts.system.os_pretty or facts.system.os_name:
        rows.append(("OS", facts.system.os_pretty or facts.system.os_name or "", None))
    packages = signs.get("system_packages") or ()
    if packages:
        rows.append(("system packages", "NVIDIA/CUDA packages are listed", packages[0].line))
    for topic, ev in signs.items():
        if topic.startswith("msg:") and ev:
            rows.append(("message", ev[0].text[:160], ev[0].line))
    return tuple(rows)

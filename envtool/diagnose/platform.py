"""What a pasted report says about accelerators beyond NVIDIA's and about the platform.

A ROCm, XPU or macOS collect_env dump, or one from NVIDIA on Arm, is mapped onto the same
:attr:`~envtool.model.HostFacts.accelerators` and :attr:`~envtool.model.HostFacts.platform`
that ``envtool detect`` fills (``envtool/probes/amd.py``, ``intel.py``, ``apple.py``,
``arm.py``), so ``rules.evaluate``/``rules.recommend`` and ``envtool/accel_rules.py`` judge a
paste like a detected machine. What the paste does not state stays unknown.

The fields, as torch/utils/collect_env.py prints them (torch 2.13):
- ROCm builds: ``ROCM used to build PyTorch``, ``HIP runtime version`` and ``MIOpen runtime version``
  (both read from ``torch._C._show_config()``: the build's, not the machine's ROCm), and one GPU line,
  ``torch.cuda.get_device_name(None)`` with the ``gcnArchName`` after it
  (``AMD Instinct MI300X (gfx942:sramecc+:xnack-)``): the current device only, so the count is unknown.
- XPU builds: ``Is XPU available``, ``XPU used to build PyTorch``, the ``Intel GPU driver version``
  list, ``Intel GPU models onboard`` (from the OS; ``N/A`` even when torch sees devices) and
  ``Intel GPU models detected`` (one ``_XpuDeviceProperties(...)`` per device torch sees).
- macOS: the OS line (``macOS 15.3.1 (arm64)``, ``Mac OSX 11.0 (x86_64)`` in torch 1.x), the
  ``macOS-...-arm64`` platform string and the one-line CPU section (the brand string). collect_env
  prints no MPS field.
- NVIDIA on Arm: the ``-tegra`` / ``-nvidia-64k`` kernel in the platform string, the GPU names
  (``NVIDIA GB10``, ``HGX GB200``, ``Orin (nvgpu)``) and lscpu's core name.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from envtool.diagnose.lines import Words, visit_lines
from envtool.knowledge import accelerators as kn
from envtool.model import Accelerator, Evidence, GpuInfo, HostFacts, PlatformFacts
from envtool.probes.apple import chip_family
from envtool.probes.arm import parse_nv_tegra_release

_MIB = 2**20

# One bounded line each (the module's rule: a huge paste costs linear time).
_FIELD = re.compile(r"^([A-Za-z][\w ()/.-]{0,60}?)\s*:(.*)$")
_GFX = re.compile(r"^(.*?)\s*\((gfx[0-9a-f]{3,5})(?::[^)]*)?\)\s*$", re.I)
_AMD_NAME = re.compile(r"\b(?:AMD|Radeon|Instinct)\b", re.I)
_HYGON_NAME = re.compile(r"\b(?:Hygon|DCU)\b", re.I)
_XPU_DEVICE = re.compile(r"^\*\s*\[(\d+)\]\s*_XpuDeviceProperties\((.*)$")
_XPU_ATTR = re.compile(r"(\w+)=('[^']*'|[^,)]*)")
_BULLET = re.compile(r"^\*\s*(.+?)\s*$")
_MEM = re.compile(r"^(\d+)\s*([KMG]B)$", re.I)
_MAC_OS = re.compile(r"^(?:macOS|Mac OSX|Mac OS X)\s+(\d+(?:\.\d+){0,2})\s*(?:\((\w+)\))?", re.I)
_MAC_PLATFORM = re.compile(r"^macOS-(\d+(?:\.\d+){0,2})-(arm64|x86_64)")
_APPLE_CHIP = re.compile(r"^Apple (M\d+(?: (?:Pro|Max|Ultra))?)\b")
_NGC_SOC = (("GB10", "GB10"), ("GB200", "Grace"), ("GB300", "Grace"), ("GH200", "Grace"))


@dataclass(frozen=True, kw_only=True)
class _Fields:
    """The vendor fields of one paste, with the line each came from."""

    values: dict[str, tuple[str, int]]
    xpu_devices: list[tuple[int, dict[str, str], int]]
    xpu_onboard: list[tuple[str, int]]
    xpu_drivers: list[tuple[str, str, int]]


# The fields read from ``_Fields.values`` and the keys that open an Intel block: a line that starts
# with none of them is skipped before the field pattern runs.
_READ_KEYS = (
    "gpu models and configuration",
    "rocm used to build pytorch",
    "hip runtime version",
    "miopen runtime version",
    "is xpu available",
    "xpu used to build pytorch",
    "os",
    "python platform",
    "intel gpu driver version",
    "intel gpu models onboard",
    "intel gpu models detected",
)

# An issue template's bullet before a key, "- OS: macOS 14.2", Lightning's commented-out "#- OS (e.g., Linux): ..."
_KEY_BULLETS = ("- ", "* ", "#- ")
_BULLET_KEY = re.compile(r"(?:[-*]|#-)\s+")
_EXAMPLE = re.compile(r"\s*\(e\.g\.[^)]{0,60}\)")  # the template's "(e.g., Linux)" after the key
# Their first characters, both cases: most lines start with another and skip the lower-casing.
_READ_FIRST = frozenset(k[0] for k in _READ_KEYS) | frozenset(k[0].upper() for k in _READ_KEYS) | frozenset("-#")
# ... and their first three characters ("os" has two): "INFO ..." log lines share the "I" of "Intel".
_READ_HEADS = frozenset(k[:3] for k in _READ_KEYS)
# The lines _scan reads: those that open with a key, bare or bulleted (a long log's other lines are skipped in a few
# scans).
_READ_LINES = Words((), _READ_KEYS + tuple(b + k for b in _KEY_BULLETS for k in _READ_KEYS))


def _scan(lines: Sequence[str], origin: Sequence[int]) -> _Fields:
    values: dict[str, tuple[str, int]] = {}
    devices: list[tuple[int, dict[str, str], int]] = []
    onboard: list[tuple[str, int]] = []
    drivers: list[tuple[str, str, int]] = []
    block: str | None = None
    numbered = len(origin)

    def pending() -> bool:  # a line skipped would only end the block: the line after one in a block is read
        return block is not None

    for i in visit_lines(lines, _READ_LINES, pending):
        raw = lines[i]
        first = raw[:1]
        if first != "*" and first not in _READ_FIRST and first.isascii() and not first.isspace() and first:
            block = None  # the test below, on a line that needs no stripping for it (most of a long log)
            continue
        s = raw.strip()[:2000]
        if not s:
            block = None
            continue
        first = s[0]
        if first != "*" and first not in _READ_FIRST and first.isascii():
            block = None  # the test below, without lower-casing the line
            continue
        at = origin[i] if i < numbered else i + 1
        if first == "*" and block is not None:
            m = _XPU_DEVICE.match(s)
            if block == "detected" and m and len(devices) < 64:
                attrs = {k: v.strip("'") for k, v in _XPU_ATTR.findall(m.group(2))}
                devices.append((int(m.group(1)), attrs, at))
            elif block == "onboard" and (b := _BULLET.match(s)) and len(onboard) < 64:
                onboard.append((b.group(1), at))
            elif block == "driver" and (b := _BULLET.match(s)) and len(drivers) < 16:
                name, _, version = b.group(1).partition(":")
                drivers.append((name.strip(), version.strip(), at))
            continue
        if first in "-*#" and (b := _BULLET_KEY.match(s)) is not None:
            s = s[b.end() :]  # a bulleted field, read as the field
        if "(e.g." in s[:64]:
            s = _EXAMPLE.sub("", s, count=1)
        head = s[:3].lower()
        if (head not in _READ_HEADS and not head.startswith("os")) or not s[:48].lower().startswith(_READ_KEYS):
            block = None  # no field that is read below, nor one that opens an Intel block
            continue
        m = _FIELD.match(s)
        if not m:
            block = None
            continue
        key = m.group(1).strip().lower()
        block = {
            "intel gpu driver version": "driver",
            "intel gpu models onboard": "onboard",
            "intel gpu models detected": "detected",
        }.get(key)
        if key not in values:
            values[key] = (m.group(2).strip(), at)
    return _Fields(values=values, xpu_devices=devices, xpu_onboard=onboard, xpu_drivers=drivers)


_MAC_PLATFORM_ANY = re.compile(r"\bmacOS-(\d+(?:\.\d+){0,2})-(arm64|x86_64)\b")
_SW_VERS = re.compile(r"^\s*ProductVersion:\s*(\d+(?:\.\d+){0,2})\s*$")


def _free_form_macos(lines: Sequence[str]) -> re.Match[str] | None:
    """The macOS version (and arch, when it says) of a free-form paste: platform.platform()'s string anywhere in a
    line, else sw_vers's ProductVersion (read only where the paste already showed macOS)."""
    version = None
    for raw in lines:
        if "macOS-" in raw and (m := _MAC_PLATFORM_ANY.search(raw)):
            return m
        if version is None and "ProductVersion" in raw:
            version = _SW_VERS.match(raw)
    return version


# An Apple chip a free-form paste names: system_profiler's "Chip: Apple M2 Pro" (Hardware) and "Chipset Model: Apple
# M2" (Displays), or a Mac named with its chip in prose ("Mac mini M4", "M2 MacBook Air"; the forms reader's words).
_CHIP_LINE = re.compile(
    r"^\s*(?:Chip(?:set Model)?:\s*Apple |(?:[-*#]+\s*)?GPU models and configuration:\s*(?:Apple )?)"
    r"(M\d{1,2}(?: (?:Pro|Max|Ultra))?)\b"
)
_CHIP_PROSE = re.compile(
    r"\b(?:MacBook(?:\s+(?:Pro|Air))?|Mac\s?(?:mini|Studio|Pro)|iMac)\s+\(?(M\d{1,2}(?: (?:Pro|Max|Ultra))?)\b"
    r"|\b(M\d{1,2}(?: (?:Pro|Max|Ultra))?)\s+(?:MBP|MacBook|Mac\s?(?:mini|Studio|Pro)?|iMac)\b"
)


def _free_form_chip(lines: Sequence[str]) -> str | None:
    """The Apple M-series chip a free-form paste names ("Apple M2 Pro"), or None (read only where it showed macOS)."""
    for raw in lines:
        if ("Apple M" in raw or "configuration:" in raw) and (m := _CHIP_LINE.match(raw)):
            return f"Apple {m.group(1)}"
        if ("Mac" in raw or "MBP" in raw) and (p := _CHIP_PROSE.search(raw)):
            return f"Apple {p.group(1) or p.group(2)}"
    return None


# The L4T release as a paste gives it: /etc/nv_tegra_release's "# R36 (release), REVISION: 4.3" (parsed as envtool's
# own probe does), or "L4T 32.4.3" / "L4T R35.4.1" in prose or jtop's output.
_L4T_PROSE = re.compile(r"\bL4T\s*:?\s*R?(\d{2}\.\d{1,2}(?:\.\d{1,2})?)\b")


def _l4t_release(lines: Sequence[str]) -> tuple[str, int] | None:
    """(the L4T release, the index of its line), or None."""
    for i, raw in enumerate(lines):
        if "REVISION" in raw and (l4t := parse_nv_tegra_release(raw)):
            return l4t, i
        if "L4T" in raw and (m := _L4T_PROSE.search(raw)):
            parts = m.group(1).split(".")
            return ".".join(parts + ["0"] * (3 - len(parts))), i
    return None


def _value(fields: _Fields, key: str) -> str | None:
    v = fields.values.get(key)
    if v is None:
        return None
    text = v[0].strip()
    return None if text.lower() in ("", "n/a", "none", "no cuda", "could not collect") else text


class _LineTexts:
    """Line number -> the stripped line, looked up in the line numbers (they go up with the lines)."""

    def __init__(self, lines: Sequence[str], origin: Sequence[int]) -> None:
        self._lines, self._origin = lines, origin
        self._texts: dict[int, str] | None = None

    def get(self, at: int, default: str = "") -> str:
        """The last line numbered ``at`` that is not blank, stripped (a line split in two keeps its number)."""
        lines, origin = self._lines, self._origin
        if len(origin) == len(lines):  # the numbers go up with the lines: look them up
            for i in range(bisect_right(origin, at) - 1, bisect_left(origin, at) - 1, -1):
                if text := lines[i].strip():
                    return text
            return default
        if self._texts is None:
            o, n = self._origin, len(self._origin)
            self._texts = {o[i] if i < n else i + 1: ln.strip() for i, ln in enumerate(self._lines) if ln.strip()}
        return self._texts.get(at, default)


def _sign(fields: _Fields, signs: dict[str, list[Evidence]], topic: str, key: str, lines_text: _LineTexts) -> None:
    v = fields.values.get(key)
    if v is None:
        return
    lst = signs.setdefault(topic, [])
    if len(lst) < 8 and all(e.line != v[1] for e in lst):
        lst.append(Evidence(line=v[1], text=lines_text.get(v[1], f"{key}: {v[0]}")[:300]))


def _bool(value: str | None) -> bool | None:
    v = (value or "").lower()
    return True if v in ("true", "yes") else False if v in ("false", "no") else None


def _memory(value: str | None) -> int | None:
    m = _MEM.match((value or "").strip())
    if not m:
        return None
    return int(m.group(1)) * {"KB": 2**10, "MB": _MIB, "GB": 2**30}[m.group(2).upper()]


@dataclass(frozen=True, kw_only=True)
class VendorRead:
    """What :func:`read_vendor` found: the facts' new parts and the runtime's XPU/MPS answers."""

    accelerators: tuple[Accelerator, ...] = ()
    platform: PlatformFacts = PlatformFacts()
    nvidia_gpus: tuple[GpuInfo, ...] | None = None  # the NVIDIA list without the AMD GPUs it held
    xpu_available: bool | None = None
    xpu_build: str | None = None
    notes: tuple[str, ...] = ()


def vendor_fields(lines: Sequence[str], origin: Sequence[int]) -> _Fields:
    """The ROCm, XPU, macOS and NVIDIA-on-Arm fields of the cleaned lines, for :func:`read_vendor`."""
    return _scan(lines, origin)


def read_vendor(
    facts: HostFacts,
    lines: Sequence[str],
    origin: Sequence[int],
    signs: dict[str, list[Evidence]],
    fields: _Fields | None = None,
) -> VendorRead:
    """The accelerators and platform facts a paste states; ``signs`` gains the lines that show them
    (topics ``accel``, ``macos``, ``platform``). ``fields``: :func:`vendor_fields` of the lines, if read already."""
    if fields is None:
        fields = _scan(lines, origin)
    text_at = _LineTexts(lines, origin)
    sysf = facts.system
    torch = facts.python.torch
    rt = facts.torch_runtime
    hip = (torch.hip if torch else None) or (rt.hip if rt else None)
    accels: list[Accelerator] = []
    notes: list[str] = []
    pf: dict[str, Any] = {}
    nvidia_gpus: tuple[GpuInfo, ...] | None = None

    # AMD (and Hygon) from the GPU line(s) of a ROCm build
    gpu_value = _value(fields, "gpu models and configuration")
    amd_lines: list[str] = []
    if (
        gpu_value
        and not gpu_value.startswith("GPU ")
        and (hip or _GFX.match(gpu_value) or _AMD_NAME.search(gpu_value) or _HYGON_NAME.search(gpu_value))
    ):
        amd_lines.append(gpu_value)
    kept = [g for g in facts.nvidia.gpus if not (g.name and (_AMD_NAME.search(g.name) or _HYGON_NAME.search(g.name)))]
    if len(kept) != len(facts.nvidia.gpus):
        amd_lines.extend(g.name or "" for g in facts.nvidia.gpus if g not in kept)
        nvidia_gpus = tuple(kept)
    for n, value in enumerate(amd_lines):
        m = _GFX.match(value)
        name = (m.group(1) if m else value).strip() or None
        arch = m.group(2).lower() if m else None
        vendor = "hygon" if _HYGON_NAME.search(value) else "amd"
        by_name = None if arch or vendor != "amd" or not name else kn.amd_gpu(name=name)
        accels.append(
            Accelerator(
                index=n,
                vendor=vendor,
                name=name,
                arch=arch or (by_name.gfx if by_name else None),
                source="collect_env",
                notes=(
                    *(
                        ()
                        if len(amd_lines) != 1
                        else ("collect_env names the current device only: the GPU count is unknown",)
                    ),
                    *((f"{kn.BY_NAME_NOTE} ({by_name.gfx})",) if by_name else ()),
                ),
            )
        )
    if accels:
        _sign(fields, signs, "accel", "gpu models and configuration", text_at)
        for key, label in (
            ("rocm used to build pytorch", "torch built with ROCm"),
            ("hip runtime version", "torch's HIP runtime"),
            ("miopen runtime version", "torch's MIOpen"),
        ):
            if _value(fields, key):
                notes.append(f"{label} {_value(fields, key)} (collect_env)")
        if hip and rt is not None and rt.cuda_available is True and sysf.os_name == "Linux":
            # torch.cuda.is_available() on a ROCm build opened /dev/kfd: the driver is there and usable.
            pf["amdgpu_loaded"] = True
            pf["kfd_accessible"] = True

    # Intel GPUs that torch's XPU backend sees (or the OS lists)
    level_zero: bool | None = None
    for idx, attrs, at in fields.xpu_devices:
        dev_id = attrs.get("device_id", "")
        pci = f"8086:{dev_id.lower().removeprefix('0x').zfill(4)}" if re.fullmatch(r"0x[0-9a-fA-F]+", dev_id) else None
        platform_name = attrs.get("platform_name", "")
        on_l0 = "level-zero" in platform_name.lower() or "level_zero" in platform_name.lower()
        level_zero = level_zero or on_l0
        eus = attrs.get("gpu_eu_count", "")
        accels.append(
            Accelerator(
                index=idx,
                vendor="intel",
                name=attrs.get("name") or None,
                pci_id=pci,
                compute_units=int(eus) if eus.isdigit() else None,
                memory_bytes=_memory(attrs.get("total_memory")),
                driver=attrs.get("driver_version") or None,
                usable=True if on_l0 else None,
                source="collect_env",
            )
        )
        lst = signs.setdefault("accel", [])
        if len(lst) < 8:
            lst.append(Evidence(line=at, text=text_at.get(at, "")[:300]))
    if not fields.xpu_devices:
        for n, (name, at) in enumerate(fields.xpu_onboard):
            if name.lower() in ("n/a", "none"):
                continue
            accels.append(Accelerator(index=n, vendor="intel", name=name, source="collect_env"))
            lst = signs.setdefault("accel", [])
            if len(lst) < 8:
                lst.append(Evidence(line=at, text=text_at.get(at, "")[:300]))
    for name, version, _ in fields.xpu_drivers:
        if name.lower() in ("level_zero", "libze1", "intel-level-zero-gpu"):
            notes.append(f"Level Zero: {name} {version}")
    if level_zero:
        pf["level_zero"] = True
    xpu_available = _bool(_value(fields, "is xpu available"))
    xpu_build = _value(fields, "xpu used to build pytorch")

    # macOS
    os_value = _value(fields, "os") or ""
    platform_value = _value(fields, "python platform") or ""
    mo, mp = _MAC_OS.match(os_value), _MAC_PLATFORM.match(platform_value)
    if not (mo or mp) and signs.get("macos"):
        mp = _free_form_macos(lines)  # platform.platform()'s "macOS-12.7.6-arm64-arm-64bit", sw_vers's version
    if mo or mp or sysf.os_name == "Darwin":
        mac_version = (mp.group(1) if mp else None) or (mo.group(1) if mo else None)
        mp_arch = mp.group(2) if mp and (mp.lastindex or 0) >= 2 else None  # sw_vers says no arch
        arch = mp_arch or (mo.group(2) if mo and mo.group(2) else None) or sysf.arch
        brand = next((ln.strip() for ln in _cpu_lines(lines) if ln.strip().startswith(("Apple", "Intel"))), "")
        chip_m = _APPLE_CHIP.match(brand)
        chip = f"Apple {chip_m.group(1)}" if chip_m else None
        if chip is None:
            chip = _free_form_chip(lines)  # a free-form paste: system_profiler's lines, a Mac named with its chip
        pf["macos_version"] = mac_version
        if arch == "arm64":
            pf["kind"] = "apple-silicon"
            pf["rosetta"] = False  # an arm64 python runs natively
        elif arch == "x86_64" and chip:
            pf["kind"] = "apple-silicon"
            pf["rosetta"] = True  # Rosetta reports the Apple chip's brand string to an x86_64 process
        elif arch == "x86_64" and brand.startswith("Intel"):
            pf["kind"] = "intel-mac"
        elif arch == "x86_64":
            notes.append("an x86_64 python on macOS: an Intel Mac or Rosetta on Apple silicon (the paste does not say)")
        elif arch is None and chip:
            pf["kind"] = "apple-silicon"  # an Apple chip named; whether python runs natively the paste does not say
        pf["soc"] = chip
        if pf.get("kind") == "apple-silicon":
            accels.append(
                Accelerator(
                    index=0,
                    vendor="apple",
                    name=chip,
                    arch=chip_family(chip),
                    memory_shared=True,
                    source="collect_env",
                )
            )
        _sign(fields, signs, "macos", "os", text_at)
        _sign(fields, signs, "macos", "python platform", text_at)

    # NVIDIA on Arm (a Jetson board named in the paste is one whatever else it shows: every Jetson is an aarch64
    # Linux board)
    gpu_names = [g.name or "" for g in (nvidia_gpus if nvidia_gpus is not None else facts.nvidia.gpus)]
    jetson = any(n.startswith("Jetson ") or "Tegra X" in n for n in gpu_names) or bool(
        signs.get("l4t_release") or signs.get("jetpack")
    )
    if (sysf.os_name == "Linux" and sysf.arch == "aarch64") or (jetson and sysf.os_name in (None, "Linux")):
        names = gpu_names
        kernel = sysf.kernel or ""
        core = _lscpu_core(lines)
        if kernel.endswith("-tegra") or any("nvgpu" in n for n in names) or jetson:
            pf["kind"] = "tegra"
            soc = next((s for s in ("Thor", "Orin", "Xavier") if any(s in n for n in names)), None)
            pf["soc"] = soc
            found = _l4t_release(lines)
            l4t = found[0] if found else None
            jp = kn.jetpack_for_l4t(l4t) if l4t else None
            if found:
                pf["l4t"] = l4t
                at = origin[found[1]] if found[1] < len(origin) else found[1] + 1
                signs.setdefault("platform", []).append(Evidence(line=at, text=lines[found[1]].strip()[:300]))
            if jp is not None:
                pf["jetpack"], pf["board_cuda"] = jp.jetpack, jp.cuda
            pf["gpu_arch"] = kn.tegra_gpu_arch(soc, pf.get("board_cuda")) if soc else None
            if l4t is None:
                notes.append("Jetson: the paste does not give the L4T release, so the JetPack is unknown")
            elif jp is None:
                notes.append(f"L4T {l4t} is not in envtool's JetPack table; the JetPack version is unknown")
        elif names:
            soc = next((s for key, s in _NGC_SOC if any(key in n for n in names)), None)
            if soc is None and core:
                soc = kn.sbsa_soc_by_core(core)
            if soc:
                pf["kind"] = "sbsa"
                pf["soc"] = soc
        if pf.get("kind"):
            pf["cpu_core"] = core
            pf["kernel_64k"] = kernel.endswith("-64k") if kernel else None
            _sign(fields, signs, "platform", "python platform", text_at)

    if not accels and not pf and not notes and xpu_available is None:
        return VendorRead(nvidia_gpus=nvidia_gpus)
    platform = replace(facts.platform, **pf, notes=(*facts.platform.notes, *notes))
    return VendorRead(
        accelerators=tuple(accels),
        platform=platform,
        nvidia_gpus=nvidia_gpus,
        xpu_available=xpu_available,
        xpu_build=xpu_build,
        notes=tuple(notes),
    )


def _cpu_lines(lines: Sequence[str]) -> list[str]:
    """The lines after ``CPU:`` up to the next blank line (macOS prints the brand string alone)."""
    out: list[str] = []
    inside = False
    for ln in lines:
        s = ln.strip()
        if s == "CPU:":
            inside = True
            continue
        if inside:
            if not s or len(out) >= 64:
                break
            out.append(s)
    return out


def _lscpu_core(lines: Sequence[str]) -> str | None:
    for s in _cpu_lines(lines):
        m = re.match(r"Model name:\s*(.+?)\s*$", s)
        if m:
            return m.group(1)
    return None


def apply_vendor(facts: HostFacts, read: VendorRead) -> HostFacts:
    """``facts`` with what :func:`read_vendor` found."""
    out = facts
    if read.nvidia_gpus is not None:
        nv = facts.nvidia
        out = replace(
            out,
            nvidia=replace(nv, gpus=read.nvidia_gpus, hardware_present=True if read.nvidia_gpus else None),
        )
    if read.accelerators or read.platform != facts.platform:
        out = replace(out, accelerators=read.accelerators, platform=read.platform)
    rt = out.torch_runtime
    if rt is not None and (read.xpu_available is not None or read.xpu_build):
        out = replace(out, torch_runtime=replace(rt, xpu_available=read.xpu_available, xpu=read.xpu_build))
    return out

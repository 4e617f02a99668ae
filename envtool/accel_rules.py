"""Pure rules for the machines beyond NVIDIA on x86: AMD ROCm, Intel XPU, Apple MPS, Hygon DCUs,
and NVIDIA on Arm (Grace, GB10, Jetson).

``rules.evaluate`` appends :func:`evaluate`'s findings and passes its own through :func:`adjust`;
``rules.recommend`` asks :func:`recommend` first and passes the NVIDIA answer through
:func:`annotate`. Nothing here reads the machine; unknown facts (None) are never evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from envtool.knowledge import accelerators as kn
from envtool.model import Accelerator, Finding, HostFacts, Profile, Recommendation, Severity
from envtool.util import release_text, release_tuple, version_parts

# Each id, its severity and meaning; merged into rules.VOCABULARY (so the README check covers them).
VOCABULARY: dict[str, tuple[Severity, str]] = {
    "rocm_no_access": (
        Severity.ERROR,
        "/dev/kfd is there but this user cannot open it (not in the render/video groups)",
    ),
    "amdgpu_missing": (Severity.ERROR, "an AMD GPU is on the PCI bus but the amdgpu kernel driver (KFD) is not loaded"),
    "rocm_visible_devices_hides_all": (
        Severity.WARN,
        "HIP_VISIBLE_DEVICES or ROCR_VISIBLE_DEVICES hides every AMD GPU",
    ),
    "gpu_partitioned": (Severity.INFO, "an AMD Instinct GPU is split into compute partitions, each its own device"),
    "hygon_dcu": (
        Severity.INFO,
        "a Hygon DCU: ROCm-like tools, but not an AMD GPU; PyTorch's ROCm wheels do not apply",
    ),
    "xpu_no_level_zero": (
        Severity.ERROR,
        "an Intel GPU without a Level Zero device: torch's XPU backend cannot use it",
    ),
    "mps_unavailable": (Severity.ERROR, "Apple silicon on a macOS too old for current torch's MPS backend"),
    "macos_x86_torch_eol": (Severity.WARN, "an Intel Mac (or an x86_64 python under Rosetta): torch stops at 2.2.x"),
    "accel_build_mismatch": (
        Severity.ERROR,
        "torch is built for another vendor's GPUs (CUDA on an AMD/Intel machine, ROCm without an AMD GPU)",
    ),
}


# Ids of rules.VOCABULARY these rules also use (rules.py imports this module, not the other way round).
_SHARED = {"arch_unsupported": Severity.ERROR, "no_gpu": Severity.INFO, "cpu_build_on_gpu": Severity.ERROR}


def _f(fid: str, message: str, fix: str = "", severity: Severity | None = None) -> Finding:
    default = VOCABULARY[fid][0] if fid in VOCABULARY else _SHARED[fid]
    return Finding(id=fid, severity=severity or default, message=message, fix=fix)


def _amd(facts: HostFacts) -> list[Accelerator]:
    return [a for a in facts.accelerators if a.vendor == "amd"]


def _intel(facts: HostFacts) -> list[Accelerator]:
    return [a for a in facts.accelerators if a.vendor == "intel"]


def _label(a: Accelerator) -> str:
    return f"{a.name or a.pci_id or a.vendor}" + (f" ({a.arch})" if a.arch else "")


def _names(accels: Sequence[Accelerator]) -> str:
    counts: dict[str, int] = {}
    for a in accels:
        counts[_label(a)] = counts.get(_label(a), 0) + 1
    return ", ".join(f"{n}x {k}" if n > 1 else k for k, n in counts.items())


def _torch(facts: HostFacts) -> tuple[str | None, str | None, str | None]:
    """(version, cuda, hip) of the torch in use: the deep probe's word first, then the metadata's."""
    rt = facts.torch_runtime
    t = facts.python.torch
    version = (t.version if t else None) or (rt.version if rt else None)
    cuda = (rt.cuda if rt and rt.version else None) or (t.cuda if t else None)
    hip = (rt.hip if rt and rt.version else None) or (t.hip if t else None)
    return version, cuda, hip


# --------------------------------------------------------------------------- findings


def evaluate(facts: HostFacts) -> list[Finding]:
    """Findings of the vendors' own failures (unsorted; rules.evaluate sorts)."""
    out: list[Finding] = []
    pf = facts.platform
    amd = _amd(facts)
    intel = _intel(facts)
    hygon = [a for a in facts.accelerators if a.vendor == "hygon"]
    version, cuda, hip = _torch(facts)
    nvidia = bool(facts.nvidia.gpus or facts.nvidia.hardware_present)

    # AMD: driver, access, visibility, partitions, the wheel's gfx targets
    if amd and pf.amdgpu_loaded is False:
        out.append(
            _f(
                "amdgpu_missing",
                f"AMD GPU(s) {_names(amd)} are on the PCI bus but the amdgpu kernel driver is not loaded",
                "install AMD's driver (`sudo amdgpu-install --usecase=dkms` from AMD's ROCm install guide), or "
                "`sudo modprobe amdgpu`; then reboot",
            )
        )
    if amd and pf.kfd_accessible is False:
        groups = " and ".join(g for g in pf.render_groups if g not in ("root",)) or "render and video"
        out.append(
            _f(
                "rocm_no_access",
                f"/dev/kfd exists but this user cannot open it (device groups: {groups}; "
                f"yours: {', '.join(pf.user_groups) or 'unknown'})",
                "`sudo usermod -aG render,video $USER`, then log out and back in (in a container: "
                "`--device=/dev/kfd --device=/dev/dri --group-add video --group-add render`)",
            )
        )
    env = dict(pf.visible_devices)
    for var in ("HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES"):
        value = env.get(var)
        if value is not None and amd and _hides_all(value, len(amd)):
            out.append(
                _f(
                    "rocm_visible_devices_hides_all",
                    f"{var}={value!r} hides all {len(amd)} AMD GPU device(s) from torch",
                    f"unset {var} or list valid indices, e.g. `export {var}=0`",
                )
            )
    parts: dict[str, list[Accelerator]] = {}
    for a in amd:
        if a.physical_id:
            parts.setdefault(a.physical_id, []).append(a)
    split = {k: v for k, v in parts.items() if len(v) > 1}
    if split:
        sizes = sorted({len(v) for v in split.values()})
        cus = sorted({a.compute_units for v in split.values() for a in v if a.compute_units})
        out.append(
            _f(
                "gpu_partitioned",
                f"{len(split)} physical AMD GPU(s) are split into {'/'.join(map(str, sizes))} compute partitions each "
                f"({sum(len(v) for v in split.values())} devices"
                + (f", {'/'.join(map(str, cus))} CUs each" if cus else "")
                + "); torch sees one device per partition and each is a fraction of the GPU",
                "a choice, not a fault: for one device per GPU set the compute partition to SPX with amd-smi "
                "(AMD SMI's 'GPU partitioning' guide)",
            )
        )
    if hip and amd:
        targets = kn.rocm_wheel_targets(version)
        if targets is not None and _is_official_rocm(version):
            for gfx in sorted({a.arch for a in amd if a.arch and a.arch not in targets}):
                # a target read from the GPU's name (a paste that names the card only) is the card's own: under
                # HSA_OVERRIDE_GFX_VERSION the runtime runs it as another, which the paste cannot show
                by_name = all(any(n.startswith(kn.BY_NAME_NOTE) for n in a.notes) for a in amd if a.arch == gfx)
                out.append(_arch_unsupported(gfx, version, targets, by_name=by_name))
    if hygon:
        out.append(
            _f(
                "hygon_dcu",
                f"Hygon DCU(s) {_names(hygon)}: their rocm-smi/rocminfo look like AMD's, but PyTorch's ROCm wheels "
                "do not support them",
                "use the torch build Hygon ships with its DTK (Hygon's developer site); "
                "envtool installs the CPU build here",
            )
        )

    # Jetson: a generic aarch64 CUDA wheel needs code for the Tegra GPU's exact arch
    if pf.kind == "tegra" and cuda and pf.gpu_arch and "+cu" in (version or ""):
        variant = "cu" + (version or "").partition("+cu")[2]
        listed = kn.aarch64_archs(variant)
        arch = pf.gpu_arch.removeprefix("sm_")
        have = f"{arch[:-1]}.{arch[-1]}"
        if listed is not None and have not in listed[0]:
            out.append(
                _f(
                    "arch_unsupported",
                    f"torch {version} is PyTorch's generic aarch64 {variant} build (sm_"
                    + " sm_".join(a.replace(".", "") for a in listed[0])
                    + f"); this Jetson's GPU is {pf.gpu_arch}, and Tegra GPUs do not run desktop code of another "
                    "arch (NVIDIA's Jetson guide; 'no kernel image is available', pytorch/pytorch#145560)",
                    "install the wheel for this JetPack: `envtool install --profile auto` (`envtool detect` names it)",
                )
            )

    # Intel: Level Zero
    for a in intel:
        if a.usable is False and kn.xpu_family(a.name, a.pci_id):
            out.append(
                _f(
                    "xpu_no_level_zero",
                    f"{_label(a)} is visible only through OpenCL: sycl-ls lists no Level Zero GPU, which torch's XPU "
                    "backend needs",
                    "install Intel's GPU driver with its Level Zero runtime (Intel's 'PyTorch Prerequisites "
                    "for Intel GPUs' page), then check that `sycl-ls` lists it as [level_zero:gpu]",
                )
            )

    # Apple
    # The MPS floor of the torch the report shows (torch 2.1 said "supported on MacOS 12.3+": pytorch/pytorch#111999
    # on macOS 13.5.2 is no floor problem), or the current one where no torch is shown (what an install would get).
    shown = (
        facts.python.torch.version
        if facts.python.torch
        else (facts.torch_runtime.version if facts.torch_runtime else None)
    )
    floor = kn.mps_floor_for(shown)
    if pf.kind == "apple-silicon" and pf.macos_version and floor is not None:
        macos = version_parts(pf.macos_version, 2)
        if macos and macos + (0,) * (2 - len(macos)) < floor:
            need = f"{floor[0]}" if floor[1] == 0 else f"{floor[0]}.{floor[1]}"
            whose = f"torch {shown}'s" if shown and floor[0] < kn.mps_min_macos() else "current torch's"
            out.append(
                _f(
                    "mps_unavailable",
                    f"macOS {pf.macos_version} is older than macOS {need}, which {whose} MPS backend needs "
                    "(Apple's Metal/PyTorch page; torch's own message): torch runs on the CPU only",
                    f"upgrade macOS to {need} or later (System Settings > General > Software Update)",
                )
            )
    x86_mac = pf.kind is None and facts.system.os_name == "Darwin" and facts.system.arch == "x86_64"
    if pf.kind == "intel-mac" or (pf.kind == "apple-silicon" and pf.rosetta) or x86_mac:
        what = (
            "this python runs under Rosetta (x86_64) on Apple silicon"
            if pf.kind == "apple-silicon"
            else "this python is x86_64 on macOS (an Intel Mac, or Rosetta on Apple silicon)"
            if x86_mac
            else "this is an Intel (x86_64) Mac"
        )
        out.append(
            _f(
                "macos_x86_torch_eol",
                f"{what}: PyTorch's last macOS x86_64 wheels are {kn.intel_mac_last_torch()} (no MPS)",
                "use an arm64 python (e.g. from python.org or `uv python install`), not one under Rosetta"
                if pf.kind == "apple-silicon"
                else f"pin torch=={kn.intel_mac_last_torch()} by hand, or run on a Linux or Apple silicon machine",
            )
        )

    # a torch built for another vendor
    if version and cuda and not nvidia and (amd or any(_is_xpu(a) for a in intel)):
        target = "AMD (ROCm)" if amd else "Intel (XPU)"
        out.append(
            _f(
                "accel_build_mismatch",
                f"torch {version} is a CUDA build, but this machine's GPUs are {target}: {_names(amd or intel)}",
                "install the matching build: `envtool install --profile auto` (it picks the "
                + ("ROCm" if amd else "XPU")
                + " profile)",
            )
        )
    if version and hip and facts.source == "detect" and not amd and not hygon:
        out.append(
            _f(
                "accel_build_mismatch",
                f"torch {version} is a ROCm build, but no AMD GPU was found",
                "install the build for this machine: `envtool install --profile auto`",
                severity=Severity.WARN,
            )
        )
    return out


def _hides_all(value: str, count: int) -> bool:
    value = value.strip()
    if value in ("", "-1"):
        return True
    first = value.split(",")[0].strip()
    return first.isdigit() and int(first) >= count


def _is_official_rocm(version: str | None) -> bool:
    # TheRock and source builds (2.9.1+rocm7.13.0a..., 2.3.0a0+git...) have their own target lists.
    local = (version or "").partition("+")[2]
    return local.startswith("rocm") and "a" not in local.removeprefix("rocm") and "git" not in (version or "")


def _is_xpu(a: Accelerator) -> bool:
    return kn.xpu_family(a.name, a.pci_id) is not None


def _arch_unsupported(gfx: str, version: str | None, targets: Sequence[str], *, by_name: bool = False) -> Finding:
    newest = kn.newest_torch_with_target(gfx)
    fix = (
        f"install a torch whose ROCm wheels carry {gfx} (torch {newest} per envtool's table): "
        "`envtool install --profile auto`"
        if newest and release_tuple(newest) != release_tuple(version)
        else f"no PyTorch ROCm wheel in envtool's table carries {gfx}: build torch from source with "
        f"PYTORCH_ROCM_ARCH={gfx}, or use AMD's own builds (TheRock's per-family indexes)"
    )
    if by_name:
        return _f(
            "arch_unsupported",
            f"the AMD GPU is {gfx} by its name (envtool's AMD table), and {gfx} is not among the gfx targets of "
            f"torch {release_text(version)}'s ROCm wheels ({' '.join(targets)}): its kernels fail (a segfault, "
            "'invalid device function') unless HSA_OVERRIDE_GFX_VERSION runs it as a listed target",
            fix + "; `rocminfo | grep gfx` names the target the runtime uses",
            Severity.WARN,
        )
    return _f(
        "arch_unsupported",
        f"the AMD GPU target {gfx} is not among the gfx targets of torch {release_text(version)}'s ROCm wheels "
        f"({' '.join(targets)})",
        fix,
    )


def adjust(facts: HostFacts, findings: Sequence[Finding]) -> list[Finding]:
    """Reword the NVIDIA rules' findings where another accelerator or an Arm machine changes the fix."""
    out: list[Finding] = []
    others = [a for a in facts.accelerators if a.vendor in ("amd", "intel", "apple")]
    pf = facts.platform
    for f in findings:
        if f.id == "arch_unsupported" and pf.kind == "tegra" and f.message.startswith("GPU "):
            # Judged on the x86 wheels' arch lists, which do not describe aarch64 wheels; evaluate()
            # checks a Jetson against the aarch64 lists (and torch's own words stay as they are).
            continue
        if f.id == "no_gpu" and others:
            f = dataclasses.replace(
                f,
                message=f"no NVIDIA GPU; this machine has {_names(others)} (the recommendation says which build fits)",
                fix="see `envtool detect` for the profile of these accelerators",
            )
        elif f.id == "cpu_build_on_gpu" and pf.kind in ("sbsa", "tegra"):
            f = dataclasses.replace(
                f,
                message=f.message + "; on aarch64 the default index's torch is always the CPU build",
                fix="install a CUDA build from PyTorch's (or, on Jetson, NVIDIA's) index: "
                "`envtool install --profile auto` (`envtool plan --profile auto` shows the index)",
            )
        out.append(f)
    return out


# --------------------------------------------------------------------------- recommendation


def _profile(profiles: Sequence[Profile], name: str) -> Profile | None:
    return next((p for p in profiles if p.name == name or name in p.aliases), None)


def _cpu_name(profiles: Sequence[Profile]) -> str:
    cpu = next((p for p in profiles if p.variant == "cpu"), None)
    return cpu.name if cpu else "cpu"


def _kind_profiles(profiles: Sequence[Profile], kind: str) -> list[Profile]:
    out = []
    for p in profiles:
        av = kn.accel_variant(p.variant, p.torch)
        if av is not None and av.kind == kind:
            out.append(p)
    return sorted(out, key=lambda p: version_parts(p.torch, 3), reverse=True)


def recommend(facts: HostFacts, profiles: Sequence[Profile]) -> Recommendation | None:
    """The profile for a Jetson, or for a machine whose accelerators are not NVIDIA's; None: the
    NVIDIA rules decide (x86, Grace, GB10, and mixed machines with an NVIDIA GPU)."""
    pf = facts.platform
    cpu = _cpu_name(profiles)
    if pf.kind == "tegra":
        return _recommend_jetson(facts, profiles, cpu)
    if facts.nvidia.gpus or facts.nvidia.hardware_present:
        return None
    amd = _amd(facts)
    if amd:
        return _recommend_rocm(facts, profiles, amd, cpu)
    xpu = [a for a in _intel(facts) if _is_xpu(a)]
    if xpu:
        return _recommend_xpu(facts, profiles, xpu, cpu)
    if pf.kind in ("apple-silicon", "intel-mac"):
        return _recommend_mac(facts, cpu)
    if facts.system.os_name == "Darwin" and facts.source != "detect":
        # a paste that shows macOS (a /Users/ path, a Darwin kernel) but neither the chip nor python's arch
        return Recommendation(
            name=cpu,
            reasons=(
                "a Mac: the paste names neither its chip nor python's arch",
                f"chosen: {cpu} (on macOS it installs the default index's wheel, MPS included on Apple silicon; "
                f"an Intel Mac's wheels end at torch {kn.intel_mac_last_torch()})",
            ),
        )
    hygon = [a for a in facts.accelerators if a.vendor == "hygon"]
    if hygon:
        return Recommendation(
            name=cpu,
            reasons=(
                f"Hygon DCU(s) found: {_names(hygon)}",
                "PyTorch's ROCm wheels do not support Hygon DCUs (Hygon ships its own torch with its DTK)",
                f"{cpu}: the CPU build of torch",
            ),
        )
    return None


def _recommend_rocm(facts: HostFacts, profiles: Sequence[Profile], amd: list[Accelerator], cpu: str) -> Recommendation:
    pf = facts.platform
    reasons = [f"AMD GPU(s) found: {_names(amd)} (from {amd[0].source})"]
    if facts.system.os_name == "Windows":
        # AMD's "Installing PyTorch for ROCm" applies to Linux; its Windows page installs AMD's own wheels.
        reasons.append(
            "Windows: PyTorch's ROCm wheels are Linux builds; AMD ships its own Windows wheels (AMD's "
            "'PyTorch via PIP installation' page for Windows), which envtool does not install"
        )
        return Recommendation(name=cpu, reasons=(*reasons, f"{cpu}: envtool's ROCm profiles do not apply here"))
    if pf.rocm_version:
        reasons.append(f"ROCm {pf.rocm_version} is installed (/opt/rocm); torch's ROCm wheels bring their own runtime")
    if pf.amdgpu_loaded is False:
        reasons.append("the amdgpu kernel driver is not loaded: no ROCm profile can run until it is")
        return Recommendation(name=cpu, reasons=(*reasons, f"{cpu}: until the driver is installed"))
    gfx = sorted({a.arch for a in amd if a.arch})
    if not gfx:
        reasons.append("no GPU's gfx target could be read (rocminfo would name it): judging by the newest ROCm profile")
    for p in _kind_profiles(profiles, "rocm"):
        targets = kn.rocm_wheel_targets(p.torch)
        if targets is None:
            reasons.append(f"{p.name}: skipped, envtool's table has no gfx list for torch {p.torch}")
            continue
        missing = [g for g in gfx if g not in targets]
        if missing:
            reasons.append(f"{p.name}: no, torch {p.torch}'s ROCm wheels have no {' '.join(missing)}")
            continue
        reasons.append(f"{p.name}: fits (torch {p.torch}'s ROCm wheels carry {' '.join(gfx) or 'the usual targets'})")
        others = [a for a in facts.accelerators if a.vendor == "intel" and _is_xpu(a)]
        if others:
            reasons.append(f"the Intel GPU(s) {_names(others)} stay unused: one torch build serves one vendor")
        reasons.append(f"chosen: {p.name} (torch {p.torch}, the newest ROCm profile whose wheels carry every GPU)")
        return Recommendation(name=p.name, reasons=tuple(reasons))
    # Some GPUs covered, some not (e.g. a Radeon beside an APU's integrated GPU): target the covered ones.
    best: tuple[int, Profile, list[str]] | None = None
    for p in _kind_profiles(profiles, "rocm"):
        targets = kn.rocm_wheel_targets(p.torch) or ()
        covered = [g for g in gfx if g in targets]
        if covered and (best is None or len(covered) > best[0]):
            best = (len(covered), p, [g for g in gfx if g not in targets])
    if best is not None:
        _, p, left = best
        reasons.append(
            f"chosen: {p.name} (torch {p.torch}) for the GPUs its wheels carry; {' '.join(left)} stay unused: "
            "hide them with HIP_VISIBLE_DEVICES, and an integrated GPU in the BIOS (ROCm's install guide: ROCm "
            "does not support integrated graphics)"
        )
        return Recommendation(name=p.name, reasons=tuple(reasons))
    reasons.append(
        f"no ROCm profile's wheels carry {' '.join(gfx)}: {cpu} until a build for it exists "
        "(HSA_OVERRIDE_GFX_VERSION is unsupported and envtool's sources confirm it for no GPU)"
    )
    return Recommendation(name=cpu, reasons=tuple(reasons))


def _recommend_xpu(facts: HostFacts, profiles: Sequence[Profile], xpu: list[Accelerator], cpu: str) -> Recommendation:
    families = ", ".join(sorted({kn.xpu_family(a.name, a.pci_id) or "?" for a in xpu}))
    reasons = [f"Intel GPU(s) found: {_names(xpu)} ({families}, on PyTorch's validated XPU list)"]
    if all(a.usable is False for a in xpu):
        reasons.append(
            "no Level Zero device (sycl-ls): torch's XPU backend cannot use them until Intel's driver is installed"
        )
        return Recommendation(name=cpu, reasons=(*reasons, f"{cpu}: until the driver is installed"))
    if facts.platform.level_zero is None:
        reasons.append(
            "sycl-ls did not run: Level Zero not checked (install Intel's driver if torch.xpu sees no device)"
        )
    profs = _kind_profiles(profiles, "xpu")
    if not profs:
        return Recommendation(name=cpu, reasons=(*reasons, f"no XPU profile is defined: {cpu}"))
    p = profs[0]
    reasons.append(f"chosen: {p.name} (torch {p.torch} from {p.torch_index or 'the XPU index'})")
    return Recommendation(name=p.name, reasons=tuple(reasons))


def _recommend_mac(facts: HostFacts, cpu: str) -> Recommendation:
    pf = facts.platform
    if pf.kind == "intel-mac" or pf.rosetta:
        return Recommendation(
            name=cpu,
            reasons=(
                "an Intel Mac" if pf.kind == "intel-mac" else "Apple silicon, but this python runs under Rosetta",
                f"PyTorch's macOS x86_64 wheels end at {kn.intel_mac_last_torch()}: the {cpu} profile's torch will not "
                "install here (see the macos_x86_torch_eol finding)",
            ),
        )
    reasons = [
        f"Apple silicon: {pf.soc or 'Apple M-series'}" + (f", macOS {pf.macos_version}" if pf.macos_version else "")
    ]
    major = version_parts(pf.macos_version, 1)
    if major and major[0] < kn.mps_min_macos():
        reasons.append(f"macOS < {kn.mps_min_macos()}: current torch runs on the CPU only here (no MPS)")
    else:
        reasons.append("the default index's macOS arm64 wheel has MPS (Apple's Metal/PyTorch page): no special index")
    reasons.append(f"chosen: {cpu} (on macOS it installs the default index's wheel, MPS included)")
    return Recommendation(name=cpu, reasons=tuple(reasons))


def _recommend_jetson(facts: HostFacts, profiles: Sequence[Profile], cpu: str) -> Recommendation:
    pf = facts.platform
    reasons = [
        f"Jetson: {pf.board or pf.soc or 'a Tegra board'}, L4T {pf.l4t or '?'}"
        + (f" = JetPack {pf.jetpack} (CUDA {pf.board_cuda})" if pf.jetpack else "")
        + (f", GPU {pf.gpu_arch}" if pf.gpu_arch else ""),
        "Tegra GPUs are not binary compatible with desktop code of a lower minor version (NVIDIA's Jetson guide): "
        + (
            f"the generic aarch64 wheels' sm_80 code is not assumed to run on {pf.gpu_arch}"
            if pf.gpu_arch
            else "the generic aarch64 wheels' desktop code is not assumed to run on this Tegra GPU"
        ),
    ]
    channel = kn.jetson_channel(pf.jetpack)
    if channel is None:
        reasons.append(
            f"no wheel channel for JetPack {pf.jetpack or 'unknown'} in envtool's table "
            "(NVIDIA's 'PyTorch for Jetson' forum thread lists wheels per JetPack)"
        )
        return Recommendation(name=cpu, reasons=(*reasons, f"{cpu}: until a matching wheel is installed by hand"))
    p = _profile(profiles, channel.profile)
    if not channel.confirmed:
        reasons.append(
            f"JetPack {channel.jetpack}: which wheels run is disputed by the sources ({channel.index} is reported to "
            "work through sm_80 code on sm_87 by one weak source, against NVIDIA's Jetson guide): unconfirmed"
        )
        return Recommendation(
            name=cpu,
            reasons=(
                *reasons,
                f"{cpu}: try `envtool install --profile {channel.profile}` only to test it, then "
                "`envtool detect --deep`",
            ),
        )
    if p is None:
        return Recommendation(name=cpu, reasons=(*reasons, f"profile {channel.profile} is not defined: {cpu}"))
    reasons.append(
        f"chosen: {p.name} (torch {p.torch} from {p.torch_index or channel.index}, Python {p.python or '?'})"
    )
    return Recommendation(name=p.name, reasons=tuple(reasons))


def annotate(facts: HostFacts, rec: Recommendation) -> Recommendation:
    """Add to the NVIDIA recommendation what the other accelerators and an Arm host change."""
    extra: list[str] = []
    others = [a for a in facts.accelerators if a.vendor in ("amd", "intel") and (a.vendor == "amd" or _is_xpu(a))]
    if others and facts.nvidia.gpus:
        extra.append(
            f"also found: {_names(others)}; one torch build serves one vendor, so this environment targets the NVIDIA "
            "GPU(s) (use a second environment with a ROCm/XPU profile for the others)"
        )
    pf = facts.platform
    if pf.kind == "sbsa":
        extra.append(
            f"aarch64 ({pf.soc or pf.cpu_core or 'Arm'} host): the default index's torch is CPU-only; the chosen "
            "profile takes torch from PyTorch's CUDA index"
        )
        if pf.unified_memory_bytes:
            extra.append(f"the GPU shares the system memory: {pf.unified_memory_source}")
    if not extra:
        return rec
    return dataclasses.replace(rec, reasons=(*rec.reasons, *extra))


def profile_fit(profile: Profile, facts: HostFacts) -> list[Finding]:
    """Why a ROCm, XPU or Jetson profile does not fit this machine (empty: it fits, or it is not such a profile)."""
    av = kn.accel_variant(profile.variant, profile.torch)
    if av is None:
        return []
    surveyed = facts.source == "detect"  # a pasted report may just not list the accelerators
    if av.kind == "rocm":
        amd = _amd(facts)
        if not amd:
            return (
                [
                    _f(
                        "no_gpu",
                        f"profile {profile.name} needs an AMD GPU and none was found",
                        "use `--profile cpu`",
                        severity=Severity.ERROR,
                    )
                ]
                if surveyed
                else []
            )
        targets = kn.rocm_wheel_targets(profile.torch)
        if targets is None:
            return []
        return [
            _f(
                "arch_unsupported",
                f"profile {profile.name} (torch {profile.torch} {profile.variant}) has no kernels for {gfx}",
                "pick a profile whose wheels carry it (see `envtool profiles`)",
            )
            for gfx in sorted({a.arch for a in amd if a.arch and a.arch not in targets})
        ]
    if av.kind == "xpu":
        if not any(_is_xpu(a) for a in _intel(facts)) and surveyed:
            return [
                _f(
                    "no_gpu",
                    f"profile {profile.name} needs an Intel Arc or Data Center Max GPU and none was found",
                    "use `--profile cpu`",
                    severity=Severity.ERROR,
                )
            ]
        return []
    pf = facts.platform
    channel = next((c for c in (kn.jetson_channel(pf.jetpack),) if c and c.profile == profile.name), None)
    if channel is None and (surveyed or pf.kind == "tegra"):
        where = f"JetPack {pf.jetpack}" if pf.kind == "tegra" else "not a Jetson"
        return [
            _f(
                "no_gpu",
                f"profile {profile.name} is for Jetson boards on its JetPack; this machine: {where}",
                "see `envtool detect` for the profile of this machine",
                severity=Severity.ERROR,
            )
        ]
    return []

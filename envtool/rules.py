"""Pure rules: facts -> findings (with fixes) and the recommended profile (with reasons).

Nothing here reads the machine. Unknown facts (``None``) are never evidence: a rule fires
only on what was actually seen. Thresholds are parameters with documented defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from envtool import accel_rules, knowledge
from envtool.diagnose import messages as torch_messages
from envtool.model import Evidence, Finding, GpuInfo, HostFacts, Misfit, Profile, Recommendation, Severity
from envtool.util import GIB, release_text, version_major, version_parts


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    shm_min_bytes: int = 1 * GIB  # DataLoader workers pass tensors through /dev/shm; docker's default is 64 MiB
    disk_warn_bytes: int = 20 * GIB  # a CUDA torch environment takes 5-10 GiB, a model cache more
    disk_error_bytes: int = 5 * GIB
    ram_warn_bytes: int = 8 * GIB


# Each finding id, its severity, and what it means. The README's table is generated from it
# (and a test checks that every id here has a test and a README row).
VOCABULARY: dict[str, tuple[Severity, str]] = {
    "no_gpu": (Severity.INFO, "no NVIDIA GPU; an error when a CUDA profile or check asked for one"),
    "no_driver": (
        Severity.ERROR,
        "NVIDIA GPU hardware is present but no working driver (or a driver/library mismatch)",
    ),
    "driver_too_old": (Severity.ERROR, "torch's CUDA build (or the chosen profile) needs a newer driver"),
    "arch_unsupported": (Severity.ERROR, "a GPU's compute capability is not compiled into the torch build"),
    "cpu_build_on_gpu": (Severity.ERROR, "a CPU-only torch on a machine with an NVIDIA GPU"),
    "conflicting_installs": (
        Severity.WARN,
        "two torch installs, user-site shadowing, nvidia-* wheels of two CUDA majors, or pynvml beside nvidia-ml-py",
    ),
    "toolkit_mismatch": (
        Severity.WARN,
        "nvcc's CUDA major differs from torch's; matters only when building extensions",
    ),
    "shm_small": (Severity.WARN, "/dev/shm is too small for DataLoader workers"),
    "low_disk": (Severity.WARN, "little free disk in the working directory or home (error when very low)"),
    "low_ram": (Severity.WARN, "little RAM for fine-tuning"),
    "cuda_visible_devices_hides_all": (Severity.WARN, "CUDA_VISIBLE_DEVICES hides every GPU"),
    "torch_missing": (Severity.INFO, "torch is not installed in the target environment"),
    "torch_import_failed": (Severity.ERROR, "torch fails to import, hangs or crashes (deep probe)"),
    "cuda_unavailable": (
        Severity.ERROR,
        "torch has a CUDA build and there are GPUs, but torch.cuda.is_available() is False",
    ),
    "kernel_failed": (Severity.ERROR, "a tiny matmul failed on a device (deep probe)"),
    "gpu_error": (Severity.ERROR, "the driver lists a GPU it cannot read (lost, fallen off the bus)"),
    "ecc_errors": (Severity.WARN, "a GPU reports uncorrected ECC errors"),
    "gpu_throttled": (Severity.WARN, "a GPU is slowed by a thermal or hardware slowdown"),
    "probe_failed": (Severity.WARN, "a probe failed or timed out; the report is partial"),
    # `envtool bench` (envtool/bench/verdict.py judges these)
    "bench_faster_precision": (Severity.WARN, "another precision's GEMMs ran clearly faster than the step's"),
    "bench_compile_slower": (Severity.WARN, "the compiled step was slower than eager steps timed beside it"),
    # `envtool bench --nproc N` (envtool/bench/dist_verdict.py judges these)
    "dist_port_in_use": (Severity.ERROR, "the master port is taken (checked before launching)"),
    "dist_rendezvous_timeout": (Severity.ERROR, "a node did not join the rendezvous in time"),
    "dist_rank_failed": (Severity.ERROR, "a distributed worker exited with an error"),
    "dist_timeout": (Severity.ERROR, "the distributed run did not finish within --timeout; its workers were killed"),
    "dist_failed": (Severity.ERROR, "the distributed run failed otherwise"),
    "dist_low_scaling": (
        Severity.WARN,
        "N ranks reach too little of N times one rank's throughput (error when far below)",
    ),
    "dist_low_busbw": (Severity.WARN, "all-reduce bus bandwidth far below the link's (error when very low)"),
    "dist_no_p2p": (Severity.WARN, "NVML says two GPUs in use cannot talk peer-to-peer"),
    # knowledge tables against what was seen or what exists
    "no_wheels_for_platform": (
        Severity.ERROR,
        "the profile's torch build is not published for this OS/CPU architecture or Python",
    ),
    "index_variant_mismatch": (
        Severity.ERROR,
        "the index would install another torch build than the profile's (checked before installing)",
    ),
    "index_check_failed": (Severity.WARN, "the index could not be asked what it would install; the plan is unchecked"),
    "knowledge_mismatch": (
        Severity.WARN,
        "torch's measured arch list or NVML's compute capability disagrees with envtool's knowledge table",
    ),
    # `envtool check` (envtool/drift.py judges these)
    "torch_replaced": (
        Severity.ERROR,
        "the torch `envtool install` verified was replaced, removed or its files changed",
    ),
    "env_drift": (Severity.WARN, "packages were added, removed or changed since `envtool install` (envtool-lock.json)"),
    "guard_removed": (
        Severity.WARN,
        "the guard that keeps pip and uv from replacing the verified torch is gone or edited",
    ),
    # causes only a pasted report shows (`envtool diagnose`; the paste block below judges these)
    "fabric_manager_down": (
        Severity.ERROR,
        "NVSwitch Fabric Manager not running or at another version than the driver (CUDA Error 802)",
    ),
    "container_without_gpu": (Severity.ERROR, "a container started without GPU access (no --gpus / CDI device)"),
    "exclusive_process_mode": (
        Severity.ERROR,
        "GPUs in Exclusive_Process compute mode: a second process gets 'busy or unavailable'",
    ),
}
VOCABULARY.update(accel_rules.VOCABULARY)  # AMD, Intel, Apple, Hygon and NVIDIA-on-Arm (envtool/accel_rules.py)

# Throttle reasons that slow real work (idle, application clocks and sw power cap at idle are normal).
_BAD_THROTTLE = {
    "hw_slowdown",
    "hw_thermal_slowdown",
    "hw_power_brake_slowdown",
    "sw_thermal_slowdown",
}


def _f(fid: str, message: str, fix: str = "", severity: Severity | None = None) -> Finding:
    return Finding(id=fid, severity=severity or VOCABULARY[fid][0], message=message, fix=fix)


def gpu_capability(gpu: GpuInfo) -> str | None:
    """The GPU's compute capability: from the driver, else from the knowledge table by name."""
    if gpu.compute_capability:
        return gpu.compute_capability
    return knowledge.compute_capability(gpu.name) if gpu.name else None


def has_gpu(facts: HostFacts) -> bool | None:
    """True when an NVIDIA GPU is known to be there, False when known not to be, None when unknown.

    A survey of this machine (``detect``) that found nothing means no GPU; a pasted report
    that lists none may just have been cut short, so there it is unknown.
    """
    if facts.nvidia.gpus or facts.nvidia.hardware_present:
        return True
    if facts.platform.kind == "tegra":  # a Jetson's GPU is on the SoC, whatever NVML says (accel_rules.py)
        return True
    return False if facts.source == "detect" else None


def machine_platform(facts: HostFacts) -> str | None:
    """The wheel platform of the machine the facts describe ("linux-aarch64"), None if unknown."""
    return knowledge.platform_key(facts.system.os_name, facts.system.arch)


def driver_max_cuda(facts: HostFacts) -> str | None:
    """The newest CUDA the driver supports: NVML's figure, else derived from the driver version.

    Derived figures for Windows drivers >= 580 are a lower bound ("13.0"): NVIDIA lists no
    Windows driver for the 13.x toolkits, only the 13.x floor, which holds on both OSes.
    """
    nv = facts.nvidia
    if nv.cuda_driver_version:
        return nv.cuda_driver_version
    if nv.driver_version:
        return knowledge.max_cuda_for_driver(nv.driver_version, facts.system.os_name or "Linux")
    return None


def _driver_fix(cuda: str, os_name: str | None) -> str:
    floor = knowledge.min_driver_for_cuda(cuda, os_name or "Linux")
    windows = (os_name or "").lower().startswith("win")
    how = (
        "NVIDIA's Windows driver download or GeForce/NVIDIA App"
        if windows
        else "e.g. `sudo ubuntu-drivers install` or your distribution's nvidia-driver package"
    )
    if floor:
        return f"install an NVIDIA driver >= {floor} ({how}), then reboot"
    return "install a newer NVIDIA driver, then reboot"


# --------------------------------------------------------------------------- torch messages


def findings_from_messages(messages: Iterable[str], os_name: str | None = None) -> list[Finding]:
    """What torch said about itself (warnings/errors seen by the deep probe or in a pasted report)."""
    out: list[Finding] = []
    seen: set[str] = set()

    def add(f: Finding) -> None:
        if f.id not in seen:
            seen.add(f.id)
            out.append(f)

    for msg in messages:
        if cuda := torch_messages.parse_driver_too_old(msg):
            add(
                _f(
                    "driver_too_old",
                    f"torch says the NVIDIA driver is too old: it supports CUDA {cuda} at most, "
                    "less than torch's CUDA build needs",
                    _driver_fix("12.0" if cuda.startswith("11") else cuda, os_name)
                    + ", or install a torch built for CUDA <= "
                    + cuda,
                )
            )
        if torch_messages.says_driver_insufficient(msg):
            add(
                _f(
                    "driver_too_old",
                    f"CUDA says the driver is older than the CUDA runtime torch uses ('{msg.strip()[:160]}')",
                    "install a newer NVIDIA driver (see `envtool detect` for the minimum), or a torch built for an "
                    "older CUDA (`envtool install --profile auto`)",
                )
            )
        unsupported = torch_messages.parse_unsupported_code(msg)
        if unsupported is not None:
            add(_unsupported_code_finding(msg, *unsupported))
            continue
        incompatible = torch_messages.parse_incompatible_capability(msg)
        if incompatible or torch_messages.says_no_kernel_image(msg) or torch_messages.says_gpu_too_old(msg):
            cc = incompatible[1] if incompatible else None
            what = f"a GPU of compute capability {cc}" if cc else "this GPU"
            add(
                _f(
                    "arch_unsupported",
                    f"torch says its build has no kernels for {what} ('{msg.strip()[:160]}')",
                    "install a torch build that covers this GPU: run `envtool detect` for the profile that does, "
                    "then `envtool install --profile auto`",
                )
            )
        if torch_messages.says_no_driver(msg):
            add(
                _f(
                    "no_driver",
                    f"torch cannot reach the NVIDIA driver ('{msg.strip()[:160]}')",
                    "install or repair the NVIDIA driver (reboot after a driver update to clear a driver/library "
                    "mismatch)",
                )
            )
        if torch_messages.says_cpu_build(msg):
            add(
                _f(
                    "cpu_build_on_gpu",
                    "torch is a CPU-only build ('Torch not compiled with CUDA enabled')",
                    "install a CUDA build of torch: `envtool install --profile auto`",
                )
            )
    return out


def _unsupported_code_finding(msg: str, cc: str | None, torch_pin: str | None) -> Finding:
    """torch 2.10+'s "does not include kernels for this GPU", checked against the build's archs.

    The check in torch compares capabilities exactly, but SASS built for sm_X.Y runs on any
    X.Z with Z >= Y (CUDA C Programming Guide, "Binary Compatibility"): a GB10 (12.1) runs
    the sm_120 kernels of a cu130 wheel (pytorch/pytorch#172629). So the knowledge table decides.
    """
    variant = torch_pin.partition("+")[2] if torch_pin else ""
    tv = knowledge.torch_variant(variant, release_text(torch_pin)) if variant and torch_pin else None
    if cc and tv is not None and knowledge.arch_covered(cc, tv.sass, tv.ptx):
        return _f(
            "arch_unsupported",
            f"torch warns that it has no kernels for this GPU (compute capability {cc}), but the {variant} wheels of "
            f"torch {release_text(torch_pin)} carry SASS that runs on it: the warning is a false positive",
            "nothing to do; a later torch release drops the warning",
            severity=Severity.INFO,
        )
    return _f(
        "arch_unsupported",
        f"torch says its build has no kernels for this GPU ('{msg.strip()[:160]}')",
        "install a torch build that covers this GPU: run `envtool detect` for the profile that does, "
        "then `envtool install --profile auto`",
    )


# --------------------------------------------------------------------------- the rules


def evaluate(facts: HostFacts, thresholds: Thresholds = Thresholds()) -> list[Finding]:
    """All findings for a machine's facts, most severe first (stable within a severity)."""
    out: list[Finding] = []
    nv = facts.nvidia
    os_name = facts.system.os_name
    gpu = has_gpu(facts)
    torch = facts.python.torch
    rt = facts.torch_runtime

    # probes that failed: the report is partial, say so
    for note in facts.probes:
        if note.status in ("timeout", "error"):
            out.append(
                _f(
                    "probe_failed",
                    f"the {note.probe} probe {'timed out' if note.status == 'timeout' else 'failed'}: "
                    f"{note.reason or 'no detail'}",
                    "the rest of the report stands; rerun with --debug for details",
                )
            )

    # GPUs and driver
    if gpu is False:
        out.append(
            _f(
                "no_gpu",
                "no NVIDIA GPU was found; the cpu profile fits this machine",
                "nothing to do for CPU work; for GPU work use a machine with an NVIDIA GPU",
            )
        )
    if nv.error or (nv.hardware_present and not nv.gpus and not nv.driver_version):
        detail = nv.error or "the PCI bus shows an NVIDIA GPU but neither NVML nor nvidia-smi could talk to a driver"
        out.append(
            _f(
                "no_driver",
                f"NVIDIA GPU hardware found but no working driver: {detail}",
                "install the NVIDIA driver (`sudo ubuntu-drivers install` or your distribution's nvidia-driver "
                "package); after a driver update, reboot to clear a driver/library version mismatch",
            )
        )
    for g in nv.gpus:
        label = f"GPU {g.index} ({g.name or 'unknown'})"
        if g.error:
            out.append(
                _f(
                    "gpu_error",
                    f"{label} is listed but cannot be read: {g.error}",
                    "check `nvidia-smi` and `sudo dmesg | grep -i xid`; a lost GPU needs a reset (`nvidia-smi -r -i "
                    f"{g.index}`) or a reboot",
                )
            )
        if g.ecc_uncorrected:
            out.append(
                _f(
                    "ecc_errors",
                    f"{label} reports {g.ecc_uncorrected} uncorrected ECC errors",
                    f"drain the GPU and reset it (`sudo nvidia-smi -r -i {g.index}`); persistent errors mean RMA",
                )
            )
        bad = sorted(set(g.throttle_reasons) & _BAD_THROTTLE)
        if bad:
            out.append(
                _f(
                    "gpu_throttled",
                    f"{label} is slowed by: {', '.join(bad)}",
                    "check cooling and power (`nvidia-smi -q -d PERFORMANCE,TEMPERATURE,POWER`)",
                )
            )

    cvd = dict(facts.env_vars).get("CUDA_VISIBLE_DEVICES")
    if cvd is not None and nv.gpus and _hides_all(cvd, nv.gpus):
        out.append(
            _f(
                "cuda_visible_devices_hides_all",
                f"CUDA_VISIBLE_DEVICES={cvd!r} hides all {len(nv.gpus)} GPU(s) from torch",
                "unset CUDA_VISIBLE_DEVICES or list valid indices/UUIDs, e.g. `export CUDA_VISIBLE_DEVICES=0`",
            )
        )

    # torch against the driver and the GPUs
    if torch is None and (rt is None or not rt.version):
        if facts.source == "detect":
            out.append(
                _f(
                    "torch_missing",
                    "torch is not installed in this Python environment",
                    "create an environment with `envtool install --profile auto`",
                )
            )
    else:
        build_cuda = (rt.cuda if rt and rt.version else None) or (torch.cuda if torch else None)
        build_hip = (rt.hip if rt and rt.version else None) or (torch.hip if torch else None)
        version = (torch.version if torch else None) or (rt.version if rt else None)
        if gpu and not build_cuda and not build_hip and version:
            out.append(
                _f(
                    "cpu_build_on_gpu",
                    f"torch {version} is a CPU-only build, but this machine has an NVIDIA GPU",
                    "install a CUDA build: `envtool install --profile auto` (or see `envtool detect` for the matching "
                    "profile)",
                )
            )
        if build_cuda and (nv.driver_version or nv.cuda_driver_version):
            ok = knowledge.driver_supports_cuda(
                nv.driver_version, nv.cuda_driver_version, build_cuda, os_name or "Linux"
            )
            if ok is False:
                out.append(
                    _f(
                        "driver_too_old",
                        f"torch {version} is built for CUDA {build_cuda}, but driver "
                        f"{knowledge.driver_text(nv.driver_version) or nv.driver_version or '?'} supports CUDA "
                        f"{driver_max_cuda(facts) or '?'} at most (it needs a driver >= "
                        f"{knowledge.min_driver_for_cuda(build_cuda, os_name or 'Linux') or '?'})",
                        _driver_fix(build_cuda, os_name)
                        + f", or install a torch built for CUDA <= {driver_max_cuda(facts) or 'the driver'}'s "
                        "(`envtool install --profile auto`)",
                    )
                )
        if build_cuda:
            out.extend(_arch_findings(facts, version, build_cuda))
        if (
            build_cuda
            and facts.toolkit.nvcc_version
            and version_major(facts.toolkit.nvcc_version) != version_major(build_cuda)
        ):
            out.append(
                _f(
                    "toolkit_mismatch",
                    f"the CUDA toolkit (nvcc {facts.toolkit.nvcc_version}) differs in major version from torch's CUDA "
                    f"build ({build_cuda}); this matters only when compiling CUDA extensions",
                    f"only if you build extensions: install the CUDA {build_cuda.split('.')[0]}.x toolkit and point "
                    "CUDA_HOME at it",
                )
            )

    out.extend(_conflicts(facts))

    # the deep probe
    if rt is not None:
        if rt.outcome in ("import_error", "timeout", "crashed"):
            out.append(
                _f(
                    "torch_import_failed",
                    f"torch could not be used from {rt.python or 'the target python'}: {rt.error}",
                    "reinstall torch into a fresh environment: `envtool install --profile auto`",
                )
            )
        if rt.outcome == "ok" and rt.cuda and rt.cuda_available is False and nv.gpus:
            out.append(
                _f(
                    "cuda_unavailable",
                    f"torch {rt.version} (CUDA {rt.cuda}) sees no usable GPU although the driver lists {len(nv.gpus)}",
                    "check the driver (`nvidia-smi`), CUDA_VISIBLE_DEVICES, and container GPU flags (`--gpus all`)",
                )
            )
        for d in rt.devices:
            if not d.ok:
                out.append(
                    _f(
                        "kernel_failed",
                        f"a tiny matmul failed on {d.device} ({d.name or '?'}): {d.error}",
                        "see the error; `envtool detect --deep --debug` shows torch's full output",
                    )
                )
        out.extend(f for f in findings_from_messages(rt.messages, os_name) if f.id not in {x.id for x in out})

    # the host
    sysf = facts.system
    if sysf.os_name == "Linux" and sysf.shm_bytes is not None and sysf.shm_bytes < thresholds.shm_min_bytes:
        out.append(
            _f(
                "shm_small",
                f"/dev/shm is {sysf.shm_bytes / 2**20:.0f} MiB; DataLoader workers need more",
                "in docker: `--shm-size=8g` or `--ipc=host`; on a host: `sudo mount -o remount,size=8G /dev/shm`",
            )
        )
    for disk in sysf.disks:
        if disk.free_bytes is None:
            continue
        if disk.free_bytes < thresholds.disk_warn_bytes:
            sev = Severity.ERROR if disk.free_bytes < thresholds.disk_error_bytes else Severity.WARN
            out.append(
                _f(
                    "low_disk",
                    f"only {disk.free_bytes / GIB:.1f} GiB free at {disk.path}; a CUDA torch environment and a model "
                    "cache need 20 GiB or more",
                    "free space or point HF_HOME / the environment prefix at a larger disk",
                    severity=sev,
                )
            )
    if sysf.ram_total_bytes is not None and sysf.ram_total_bytes < thresholds.ram_warn_bytes:
        out.append(
            _f(
                "low_ram",
                f"{sysf.ram_total_bytes / GIB:.1f} GiB of RAM; fine-tuning BERT-base wants 8 GiB or more",
                "use a smaller batch or a machine with more memory",
            )
        )

    # other vendors' accelerators and NVIDIA on Arm (envtool/accel_rules.py)
    out = accel_rules.adjust(facts, out) + accel_rules.evaluate(facts)

    order = {Severity.ERROR: 0, Severity.WARN: 1, Severity.INFO: 2}
    return sorted(out, key=lambda f: order[f.severity])


def _hides_all(value: str, gpus: Sequence[GpuInfo]) -> bool:
    value = value.strip()
    if value in ("", "-1", "NoDevFiles", "none", "void"):
        return True
    first = value.split(",")[0].strip()
    if first.isdigit():
        return int(first) >= len(gpus)  # torch stops at the first invalid index
    if first.startswith(("GPU-", "MIG-")):
        uuids = [g.uuid or "" for g in gpus]
        return not any(u.startswith(first) for u in uuids)
    return False


def _arch_findings(facts: HostFacts, version: str | None, build_cuda: str) -> list[Finding]:
    rt = facts.torch_runtime
    torch = facts.python.torch
    platform = machine_platform(facts)
    variant = (torch.variant if torch else None) or "cu" + build_cuda.replace(".", "")
    # NVIDIA's NGC and Jetson builds ("2.8.0a0+5228986c39.nv25.06") carry their own arch lists, not the wheels'.
    ngc = re.search(r"\.nv\d{2}\.\d{2}$", version or "") is not None
    tv = None if ngc else knowledge.torch_variant(variant, release_text(version), platform)
    table_name = (
        f"the {variant} wheels of torch {release_text(version) or ''} for {platform or 'linux-x86_64'}".replace(
            "  ", " "
        )
    )
    out: list[Finding] = []
    if rt is not None and rt.arch_list:
        sass, ptx = knowledge.parse_arch_list(rt.arch_list)
        source = "torch.cuda.get_arch_list()"
        if tv is not None and (set(sass), set(ptx)) != (set(tv.sass), set(tv.ptx)):
            out.append(
                _f(
                    "knowledge_mismatch",
                    f"torch.cuda.get_arch_list() says {_arch_text(sass, ptx)}; "
                    f"envtool's table says {_arch_text(tv.sass, tv.ptx)} for {table_name}",
                    _CORRECT_TABLE.format(what="the measured list"),
                )
            )
    else:
        if tv is None:
            return []
        sass, ptx = tv.sass, tv.ptx
        source = table_name
    for g in facts.nvidia.gpus:
        if g.compute_capability and g.name:
            claimed = knowledge.compute_capability(g.name)
            if claimed and claimed != g.compute_capability:
                out.append(
                    _f(
                        "knowledge_mismatch",
                        f"GPU {g.index} ({g.name}): NVML says compute capability {g.compute_capability}; "
                        f"envtool's GPU table says {claimed}",
                        _CORRECT_TABLE.format(what="NVML"),
                    )
                )
        cc = gpu_capability(g)
        if cc and not knowledge.arch_covered(cc, sass, ptx):
            unconfirmed = tv is not None and source == table_name and cc in tv.unconfirmed
            note = f" (sm_{cc.replace('.', '')} is not confirmed in these wheels)" if unconfirmed else ""
            out.append(
                _f(
                    "arch_unsupported",
                    f"GPU {g.index} ({g.name}, compute capability {cc}) is not covered by {source}: "
                    f"{_arch_text(sass, ptx)}{note}",
                    "install a torch build that covers it: `envtool detect` names the profile, "
                    "`envtool install --profile auto` installs it",
                )
            )
    return out


_CORRECT_TABLE = "trust {what}; correct the table with a knowledge file (`--knowledge-dir`, see docs/knowledge.md)"


def _arch_text(sass: Sequence[str], ptx: Sequence[str]) -> str:
    return " ".join([*(f"sm_{a.replace('.', '')}" for a in sass), *(f"compute_{a.replace('.', '')}" for a in ptx)])


def _conflicts(facts: HostFacts) -> list[Finding]:
    py = facts.python
    out = []
    versions = {(t.version, t.location) for t in py.torch_installs}
    if len(py.torch_installs) > 1:
        where = "; ".join(f"{t.version} at {t.location or '?'}" for t in py.torch_installs)
        out.append(
            _f(
                "conflicting_installs",
                f"{len(py.torch_installs)} torch installs are visible ({where}); the first one wins",
                "remove the extra ones (`pip uninstall torch` in the user site or the shadowing path), or use a fresh "
                "environment",
                severity=Severity.ERROR if len({v for v, _ in versions}) > 1 else Severity.WARN,
            )
        )
    elif py.user_site_torch:
        out.append(
            _f(
                "conflicting_installs",
                "a torch in the user site-packages shadows the environment's",
                "`python -m pip uninstall torch` outside the environment, or set PYTHONNOUSERSITE=1",
            )
        )
    majors = {m.group(1) for d in py.nvidia_wheels if (m := re.search(r"-cu(\d+)$", d.name))}
    if len(majors) > 1:
        out.append(
            _f(
                "conflicting_installs",
                f"nvidia-* CUDA wheels of {len(majors)} CUDA majors are installed together "
                f"(cu{', cu'.join(sorted(majors))})",
                "uninstall the wheels of the CUDA major torch does not use, or recreate the environment",
            )
        )
    names = {d.name for d in py.pynvml_dists}
    if {"pynvml", "nvidia-ml-py"} <= names:
        out.append(
            _f(
                "conflicting_installs",
                "both pynvml and nvidia-ml-py are installed; both provide the `pynvml` module and overwrite each other",
                "`pip uninstall -y pynvml && pip install --force-reinstall nvidia-ml-py`",
            )
        )
    return out


# --------------------------------------------------------------------------- profiles


def _misfit(
    profile: Profile, fid: str, message: str, fix: str, reason: str, severity: Severity | None = None
) -> Misfit:
    return Misfit(
        profile=profile.name,
        id=fid,
        severity=severity or VOCABULARY[fid][0],
        message=message,
        fix=fix,
        reason=reason,
    )


def profile_fit(profile: Profile, facts: HostFacts) -> list[Misfit]:
    """Why a profile does not fit this machine (empty: it fits)."""
    unavailable = _unavailable(profile, facts)
    if unavailable:
        return [
            _misfit(
                profile, unavailable.id, unavailable.message, unavailable.fix, unavailable.message.split(": ", 1)[-1]
            )
        ]
    if not profile.is_gpu:
        # ROCm, XPU and Jetson profiles; [] for cpu
        return [
            _misfit(profile, f.id, f.message, f.fix, f.message, f.severity)
            for f in accel_rules.profile_fit(profile, facts)
        ]
    nv = facts.nvidia
    os_name = facts.system.os_name
    if has_gpu(facts) is False:
        return [
            _misfit(
                profile,
                "no_gpu",
                f"profile {profile.name} needs an NVIDIA GPU and this machine has none",
                "use `--profile cpu`",
                "no NVIDIA GPU",
                severity=Severity.ERROR,
            )
        ]
    driver_known = bool(nv.driver_version or nv.cuda_driver_version)
    if nv.error or (facts.source == "detect" and nv.hardware_present and not driver_known):
        why = nv.error or "none found"
        return [
            _misfit(
                profile,
                "no_driver",
                f"profile {profile.name} needs a working NVIDIA driver: {why}",
                _driver_fix(profile.cuda or "12.0", os_name),
                f"needs a working NVIDIA driver: {why}",
            )
        ]
    out = []
    if driver_known:
        ok = knowledge.driver_supports_cuda(
            nv.driver_version, nv.cuda_driver_version, profile.cuda or "", os_name or "Linux"
        )
        if ok is False:
            need = knowledge.min_driver_for_cuda(profile.cuda or "", os_name or "Linux")
            out.append(
                _misfit(
                    profile,
                    "driver_too_old",
                    f"profile {profile.name} (CUDA {profile.cuda}) needs a driver >= {need or '?'}; this one is "
                    f"{knowledge.driver_text(nv.driver_version) or nv.driver_version or '?'} "
                    f"(CUDA {driver_max_cuda(facts) or '?'})",
                    _driver_fix(profile.cuda or "", os_name),
                    f"needs a driver >= {need}",
                )
            )
    tv = knowledge.torch_variant(profile.variant, profile.torch, machine_platform(facts))
    if tv is not None:
        for g in nv.gpus:
            cc = gpu_capability(g)
            if cc and not knowledge.arch_covered(cc, tv.sass, tv.ptx):
                gpu = f"GPU {g.index} ({g.name}, compute capability {cc})"
                note = " (not confirmed in these wheels)" if cc in tv.unconfirmed else ""
                out.append(
                    _misfit(
                        profile,
                        "arch_unsupported",
                        f"profile {profile.name} (torch {profile.torch} {profile.variant}, {tv.platform} arch list) "
                        f"has no kernels for {gpu}{note}",
                        "pick a profile whose build covers it (see `envtool profiles`)",
                        f"no kernels for {gpu}{note}",
                    )
                )
    return out


def _unavailable(profile: Profile, facts: HostFacts) -> Finding | None:
    """A finding when the profile's torch wheels do not exist for this machine's platform/Python."""
    platform = machine_platform(facts)
    reason = knowledge.availability(profile.variant, profile.torch, platform, profile.python)
    if reason is None:
        return None
    return _f(
        "no_wheels_for_platform",
        f"profile {profile.name} cannot be installed on {platform}: {reason}",
        "pick a profile published for this platform (`envtool profiles` lists where each installs)",
    )


def _sass_covers_all(profile: Profile, facts: HostFacts) -> bool:
    """Minor-version compatibility cannot JIT PTX: every GPU needs real SASS in the build."""
    tv = knowledge.torch_variant(profile.variant, profile.torch, machine_platform(facts))
    if tv is None:
        return True
    caps = [gpu_capability(g) for g in facts.nvidia.gpus]
    return all(knowledge.arch_covered(cc, tv.sass, ()) for cc in caps if cc)


def recommend(facts: HostFacts, profiles: Sequence[Profile]) -> Recommendation:
    """Jetson and non-NVIDIA machines are envtool/accel_rules.py's; the NVIDIA answer gets its notes."""
    other = accel_rules.recommend(facts, profiles)
    if other is not None:
        return other
    return accel_rules.annotate(facts, _recommend_nvidia(facts, profiles))


def _recommend_nvidia(facts: HostFacts, profiles: Sequence[Profile]) -> Recommendation:
    """The profile that fits this machine best, with the reasoning step by step.

    Among the CUDA profiles whose build covers every GPU and whose CUDA line the driver runs
    (natively, or through CUDA minor-version compatibility when the build has real SASS for
    every GPU, since that path cannot JIT PTX) and whose wheels exist for this platform, the
    newest CUDA major wins, and within it the newest torch. No fit means ``cpu``, with what to change.
    """
    reasons: list[str] = []
    cpu = next((p for p in profiles if not p.is_gpu), None)
    cpu_name = cpu.name if cpu else "cpu"
    nv = facts.nvidia
    gpu = has_gpu(facts)
    if not gpu:
        if gpu is False:
            reasons.append("no NVIDIA GPU found" + (f" ({nv.error})" if nv.error else ""))
        else:
            reasons.append("this report does not show an NVIDIA GPU (it may be cut short)")
        return Recommendation(name=cpu_name, reasons=tuple(reasons + [f"{cpu_name}: the CPU build of torch"]))
    names = ", ".join(f"{g.index}: {g.name} (sm {gpu_capability(g) or '?'})" for g in nv.gpus) or "on the PCI bus"
    reasons.append(f"NVIDIA GPU(s) found: {names}")
    driver_known = bool(nv.driver_version or nv.cuda_driver_version)
    if nv.error or (not driver_known and facts.source == "detect"):
        why = nv.error or "neither NVML nor nvidia-smi answered"
        reasons.append(f"no working NVIDIA driver ({why}): no CUDA profile can run until one is installed")
        return Recommendation(name=cpu_name, reasons=tuple(reasons + [f"{cpu_name}: until a driver is installed"]))
    max_cuda = driver_max_cuda(facts)
    if driver_known:
        reasons.append(f"driver {nv.driver_version or '?'} supports CUDA up to {max_cuda or '?'}")
    else:
        reasons.append(
            "the report does not give the driver version: judging by the GPUs only"
            " (check the driver against the profile's minimum)"
        )
    os_name = facts.system.os_name or "Linux"
    chosen: Profile | None = None
    # Newest CUDA major first; within it the newest torch (cuda12.6 with 2.14.1 before cuda12.8 with 2.11.0).
    order = sorted(
        (p for p in profiles if p.is_gpu),
        key=lambda p: (version_parts(p.cuda, 1), version_parts(p.torch, 3), version_parts(p.cuda, 3)),
        reverse=True,
    )
    for p in order:
        misfits = profile_fit(p, facts)
        if misfits:
            reasons.append(f"{p.name}: no, " + "; ".join(m.reason for m in misfits))
            continue
        compat = bool(max_cuda and version_parts(p.cuda, 3) > version_parts(max_cuda, 3))
        if compat and not _sass_covers_all(p, facts):
            reasons.append(
                f"{p.name}: no, CUDA {p.cuda} is newer than the driver's {max_cuda} and the build has only PTX"
                " for a GPU, which minor-version compatibility cannot run"
            )
            continue
        need = knowledge.min_driver_for_cuda(p.cuda or "", os_name)
        if compat:
            reasons.append(
                f"{p.name}: fits through CUDA minor-version compatibility"
                f" (CUDA {p.cuda} > the driver's {max_cuda}, same major, driver >= {need})"
            )
        elif driver_known:
            reasons.append(f"{p.name}: fits (CUDA {p.cuda} <= {max_cuda or '?'}, the build covers every GPU)")
        else:
            reasons.append(f"{p.name}: the build covers every GPU; needs a driver >= {need}")
        chosen = p
        break
    if chosen is None:
        reasons.append(f"no CUDA profile fits: {cpu_name} until the driver is updated or a matching profile is added")
        return Recommendation(name=cpu_name, reasons=tuple(reasons))
    reasons.append(f"chosen: {chosen.name} (torch {chosen.torch}, the newest torch on the newest CUDA major that fits)")
    return Recommendation(name=chosen.name, reasons=tuple(reasons))


# --------------------------------------------------------------------------- causes read from a paste
# A pasted report shows symptoms line by line. ``signs`` maps a topic ("msg:<kind>" for torch's
# and CUDA's messages, "gpu", "driver", "container", "fabric_manager", ... as
# envtool.diagnose.Paste.signs names them) to the paste's lines that show it. An error needs
# such a line; where the lines are thin, the finding is a warning with the one command that
# would settle it.

Signs = Mapping[str, Sequence[Evidence]]

SETTLE_DRIVER = "nvidia-smi"
SETTLE_TORCH = 'python -c "import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available())"'
SETTLE_FABRIC = "systemctl status nvidia-fabricmanager"
SETTLE_MODE = "nvidia-smi --query-gpu=index,compute_mode --format=csv"

# The order in which a verdict names a root cause when several errors show.
CAUSE_ORDER = (
    "fabric_manager_down",
    "container_without_gpu",
    "exclusive_process_mode",
    "no_driver",
    "driver_too_old",
    "arch_unsupported",
    "accel_build_mismatch",
    "cpu_build_on_gpu",
    "conflicting_installs",
    "torch_import_failed",
    "cuda_unavailable",
    "mps_unavailable",
    "xpu_no_level_zero",
    "gpu_error",
)
# A specific cause explains the generic symptom it shows as.
_SUPERSEDES = {
    "container_without_gpu": frozenset({"no_driver", "cuda_unavailable"}),
    "fabric_manager_down": frozenset({"no_driver", "cuda_unavailable"}),
}
# The sign topics that prove each generic finding on a paste.
_EVIDENCE_TOPICS = {
    "no_driver": ("msg:nvml_mismatch", "msg:no_driver", "msg:smi_no_driver", "msg:driver_init_failed", "kernel_module"),
    "driver_too_old": ("msg:driver_too_old", "msg:driver_insufficient", "cuda_driver", "driver", "torch"),
    "arch_unsupported": (
        "msg:incompatible_capability",
        "msg:old_gpu",
        "msg:unsupported_code",
        "msg:no_kernel_image",
        "gpu",
        "accel",
        "torch",
    ),
    "cpu_build_on_gpu": ("cpu_build", "msg:not_compiled_with_cuda", "gpu"),
    "conflicting_installs": ("torch_installs", "wheels"),
    "toolkit_mismatch": ("nvcc", "torch"),
    "cuda_unavailable": ("cuda_available", "gpu"),
    # accel_rules' ids: the accelerator, macOS and platform lines of envtool/diagnose/platform.py
    "accel_build_mismatch": ("accel", "torch"),
    "mps_unavailable": ("macos",),
    "macos_x86_torch_eol": ("macos",),
    "xpu_no_level_zero": ("accel",),
    "hygon_dcu": ("accel",),
}
_SETTLE_FOR = {
    "no_driver": SETTLE_DRIVER,
    "driver_too_old": SETTLE_DRIVER,
    "arch_unsupported": SETTLE_TORCH,
    "cpu_build_on_gpu": SETTLE_DRIVER,
    "conflicting_installs": SETTLE_TORCH,
}


def diagnose_paste(facts: HostFacts, signs: Signs) -> tuple[list[Finding], dict[str, str | None]]:
    """Findings for a pasted report, each with the lines that show it, and the verdict.

    The verdict is ``{"cause": id or None, "summary": ..., "settle": command or None}``: the
    root cause first, or "no environment problem found in this report".
    """
    specific = paste_findings(facts, signs)
    drop = {f.id for f in specific}
    for f in specific:
        drop |= _SUPERSEDES.get(f.id, frozenset())
    out = list(specific)
    for f in evaluate(facts):
        if f.id in drop:
            continue
        ev = tuple(e for t in _EVIDENCE_TOPICS.get(f.id, ()) for e in signs.get(t, ()))
        if f.id == "cpu_build_on_gpu" and not any(signs.get(t) for t in ("cpu_build", "msg:not_compiled_with_cuda")):
            continue  # a version without a local tag is no CPU build: unknown is never evidence
        if f.severity == Severity.ERROR and not ev:
            settle = _SETTLE_FOR.get(f.id, "envtool detect --json")
            f = replace(
                f,
                severity=Severity.WARN,
                message=f.message + " (no line of the paste shows it)",
                fix=f"{f.fix}; to settle it, run `{settle}`",
            )
        out.append(replace(f, evidence=_dedup(ev)))
    rt = facts.torch_runtime
    shown = any(f.id in CAUSE_ORDER and f.severity != Severity.INFO for f in out)
    if (
        not shown
        and rt is not None
        and rt.cuda_available is False
        and (facts.nvidia.gpus or facts.nvidia.hardware_present)
    ):
        out.append(
            replace(
                _f(
                    "cuda_unavailable",
                    "torch says CUDA is not available although the paste names an NVIDIA GPU; the paste does not "
                    "show why",
                    "check the driver (`nvidia-smi`), the torch build and CUDA_VISIBLE_DEVICES; to settle it, run "
                    f"`{SETTLE_TORCH}`",
                    Severity.WARN,
                ),
                evidence=_dedup(e for t in ("cuda_available", "gpu") for e in signs.get(t, ())),
            )
        )
    rank = {fid: i for i, fid in enumerate(CAUSE_ORDER)}
    sev = {Severity.ERROR: 0, Severity.WARN: 1, Severity.INFO: 2}
    out.sort(key=lambda f: (sev[f.severity], rank.get(f.id, len(rank))))
    return out, _verdict(out, facts)


def _verdict(findings: Sequence[Finding], facts: HostFacts) -> dict[str, str | None]:
    causes = [f for f in findings if f.id in CAUSE_ORDER and f.severity != Severity.INFO]
    if causes:
        top = causes[0]
        settle = top.fix.rpartition("to settle it, run `")[2].rstrip("`") if "to settle it" in top.fix else None
        if top.severity == Severity.ERROR:
            return {"cause": top.id, "summary": f"root cause: {top.message}", "settle": settle}
        return {"cause": top.id, "summary": f"likely cause (thin evidence): {top.message}", "settle": settle}
    settle = None
    if not (facts.nvidia.driver_version or facts.nvidia.gpus or facts.nvidia.hardware_present or facts.accelerators):
        settle = SETTLE_DRIVER
    elif not (facts.python.torch or (facts.torch_runtime and facts.torch_runtime.version)):
        settle = SETTLE_TORCH
    return {"cause": None, "summary": "no environment problem found in this report", "settle": settle}


def _dedup(ev: Iterable[Evidence]) -> tuple[Evidence, ...]:
    seen: set[int] = set()
    out = []
    for e in sorted(ev, key=lambda e: e.line):
        if e.line not in seen:
            seen.add(e.line)
            out.append(e)
    return tuple(out[:8])


def _with_settle(fix: str, command: str) -> str:
    return f"{fix}; to settle it, run `{command}`"


def paste_findings(facts: HostFacts, signs: Signs) -> list[Finding]:
    """The causes a paste's lines show: driver, container, Fabric Manager, compute mode, CPU build, libraries."""

    def ev(*topics: str) -> tuple[Evidence, ...]:
        return _dedup(e for t in topics for e in signs.get(t, ()))

    def add(fid: str, message: str, fix: str, evidence: tuple[Evidence, ...], severity: Severity | None = None) -> None:
        out.append(replace(_f(fid, message, fix, severity), evidence=evidence))

    out: list[Finding] = []
    nv = facts.nvidia
    gpu_named = bool(nv.gpus or nv.hardware_present)
    container = ev("container", "container_run_no_gpu", "no_smi")
    gpu_requested = ev("container_run_gpu", "container_gpu_requested")

    # NVSwitch Fabric Manager: CUDA's Error 802 "system not yet initialized"
    e802 = tuple(
        e
        for e in ev("msg:device_count_error", "msg:not_initialized")
        if "802" in e.text or "not yet initialized" in e.text
    )
    fm_bad, fm = ev("fabric_manager_failed"), ev("fabric_manager")
    fm_fix = (
        "start Fabric Manager at exactly the driver's version: `sudo apt-get install nvidia-fabricmanager-<branch>="
        "<driver version>` (unpin it if pinned), then `sudo systemctl enable --now nvidia-fabricmanager`"
    )
    if fm_bad or (e802 and fm):
        add(
            "fabric_manager_down",
            "CUDA cannot initialise (Error 802: system not yet initialized) and Fabric Manager is not running "
            "cleanly: on an NVSwitch machine CUDA waits for it",
            fm_fix,
            _dedup((*e802, *fm_bad, *fm)),
        )
    elif e802:
        add(
            "fabric_manager_down",
            "CUDA Error 802 (system not yet initialized): on NVSwitch machines (HGX/DGX) this is Fabric Manager "
            "not running or at another version than the driver",
            _with_settle(fm_fix, SETTLE_FABRIC),
            e802,
            Severity.WARN,
        )

    # a container started without GPU access
    toolkit = ev("msg:docker_no_gpu_driver")
    no_driver_msgs = ev("msg:no_driver", "msg:no_device")
    container_fix = (
        "start the container with GPU access: `docker run --gpus all ...` (compose: a `deploy.resources."
        "reservations.devices` entry with `capabilities: [gpu]`; Kubernetes/Podman: a CDI device), with the NVIDIA "
        "Container Toolkit installed on the host"
    )
    if toolkit:
        add(
            "container_without_gpu",
            "docker cannot give the container a GPU: the NVIDIA Container Toolkit is not set up on the host",
            "install the NVIDIA Container Toolkit (`nvidia-container-toolkit`), run `sudo nvidia-ctk runtime "
            "configure --runtime=docker` and restart docker",
            toolkit,
        )
    elif no_driver_msgs and container and not gpu_requested:
        add(
            "container_without_gpu",
            "torch finds no NVIDIA driver inside a container that was started without GPU access",
            container_fix,
            _dedup((*no_driver_msgs, *container)),
        )

    # Exclusive_Process compute mode
    busy, exclusive = ev("msg:device_busy"), ev("exclusive_mode")
    mode_fix = (
        "give each process its own GPU (one rank per GPU, CUDA_VISIBLE_DEVICES), or set the default mode: "
        "`sudo nvidia-smi -c DEFAULT` (the admin's choice on shared machines)"
    )
    if busy:
        add(
            "exclusive_process_mode",
            "CUDA says the GPU is busy or unavailable: in Exclusive_Process compute mode a second process "
            "(another rank, or another user's job) cannot open it",
            mode_fix if exclusive else _with_settle(mode_fix, SETTLE_MODE),
            _dedup((*busy, *exclusive)),
        )
    elif exclusive:
        add(
            "exclusive_process_mode",
            "the GPUs are in Exclusive_Process compute mode: only one process can use each",
            mode_fix,
            exclusive,
            Severity.WARN,
        )

    # no working driver
    mismatch = ev("msg:nvml_mismatch", "driver_mismatch")
    if mismatch:
        side = _mismatch_side(facts, signs, container)
        add(
            "no_driver",
            f"the NVIDIA driver's kernel module and its user-space library differ (NVML driver/library version "
            f"mismatch){side[0]}",
            side[1],
            _dedup((*mismatch, *ev("driver_upgrade", "nvml_library", "driver", "nvcc"))),
        )
    smi = ev("msg:smi_no_driver", "msg:smi_no_devices", "kernel_module")
    if smi and not mismatch:
        module = bool(signs.get("kernel_module"))
        add(
            "no_driver",
            "the NVIDIA kernel module is not loaded or not bound to the GPUs"
            if module
            else "nvidia-smi cannot reach a GPU through the driver",
            "another driver (nouveau) holds the GPUs: blacklist it, `sudo modprobe nvidia` or reboot; if that fails, "
            "reinstall the driver for this kernel"
            if module
            else "reinstall a driver that supports these GPUs and reboot; check `lspci | grep -i nvidia` and "
            "`sudo dmesg | grep -i nvrm`",
            _dedup((*smi, *ev("gpu", "driver_package"))),
        )
    libcuda = tuple(
        e for e in ev("msg:missing_library") if (torch_messages.missing_library(e.text) or "").startswith("libcuda.")
    )
    if libcuda:
        wsl = ev("wsl")
        add(
            "no_driver",
            "the driver's libcuda.so cannot be loaded: it is missing or not on the loader's path",
            "on WSL2 it lives in /usr/lib/wsl/lib: add that to LD_LIBRARY_PATH (or link libcuda.so.1 from there next "
            "to the library that loads it); elsewhere install the driver's user-space package (libnvidia-compute-"
            "<branch>) matching the kernel module",
            _dedup((*libcuda, *wsl)),
        )
    if no_driver_msgs and not any(f.id == "container_without_gpu" for f in out):
        fix = "install the NVIDIA driver and reboot; in a container, start it with `--gpus all`"
        if gpu_named:
            add(
                "no_driver",
                "torch finds no NVIDIA driver although the paste names an NVIDIA GPU",
                fix,
                _dedup((*no_driver_msgs, *ev("gpu"))),
            )
        else:
            add(
                "no_driver",
                "torch finds no NVIDIA driver (the paste does not show whether this machine has an NVIDIA GPU)",
                _with_settle(fix, SETTLE_DRIVER),
                no_driver_msgs,
                Severity.WARN,
            )
    compat = ev("msg:forward_compat", "msg:device_count_error")
    compat = tuple(e for e in compat if "forward compatibility" in e.text)
    if compat and not any(f.id == "no_driver" for f in out):
        add(
            "no_driver",
            "CUDA error 804: CUDA's forward-compatibility libraries are in use on a GPU or driver that does not "
            "support them",
            "remove the cuda-compat folder (e.g. /usr/local/cuda/compat) from LD_LIBRARY_PATH, or install a driver "
            "new enough for the CUDA in use; after a driver update, reboot",
            _dedup((*compat, *ev("ld_library_path"))),
        )
    init_failed = ev("msg:driver_init_failed")
    if init_failed and not any(f.id == "no_driver" for f in out):
        add(
            "no_driver",
            "the CUDA driver fails to initialise" + ("" if gpu_named else " (the paste does not show an NVIDIA GPU)"),
            "check `nvidia-smi`; reinstall the driver and reboot; in a container start it with `--gpus all`"
            + ("" if gpu_named else f"; to settle it, run `{SETTLE_DRIVER}`"),
            _dedup((*init_failed, *ev("gpu"))),
            None if gpu_named else Severity.WARN,
        )
    no_smi = ev("no_smi")
    if no_smi and not any(f.id in ("no_driver", "container_without_gpu") for f in out):
        add(
            "no_driver",
            "nvidia-smi is not installed where this ran: no NVIDIA driver there, or a container started without "
            "GPU access",
            f"install the NVIDIA driver, or start the container with `--gpus all`; to settle it, run `{SETTLE_DRIVER}` "
            "on the host",
            no_smi,
            Severity.WARN,
        )
    unknown = ev("msg:cuda_unknown")
    if unknown and not any(f.id == "no_driver" for f in out):
        after = ev("driver_upgrade") or container
        add(
            "no_driver",
            "CUDA fails with 'unknown error'"
            + (" right after a driver change or inside a container" if after else "")
            + ": the driver stack is not usable"
            + ("" if after else " (it can also be an application fault; the paste does not tell)"),
            "reboot after a driver install or upgrade; in a container start it with `--gpus all`"
            + ("" if after else f"; to settle it, run `{SETTLE_DRIVER}`"),
            _dedup((*unknown, *after)),
            None if after else Severity.WARN,
        )

    # a CPU-only torch: only a positive sign counts
    cpu = ev("cpu_build", "msg:not_compiled_with_cuda")
    if cpu:
        fix = "install a CUDA build of torch: `envtool install --profile auto`"
        passive = all(e.text.startswith("CUDA used to build PyTorch") for e in cpu)
        if facts.system.os_name == "Darwin" or (passive and not gpu_named):
            pass  # no NVIDIA GPU on a Mac; a collect_env field alone on a box with no GPU named says nothing
        elif signs.get("msg:not_compiled_with_cuda") and not gpu_named:
            # The program asked for CUDA and torch refused: that line is the failure itself.
            add(
                "cpu_build_on_gpu",
                "torch is a CPU-only build and the program asked for CUDA ('Torch not compiled with CUDA enabled')",
                fix,
                cpu,
            )
        elif gpu_named:
            add(
                "cpu_build_on_gpu",
                "torch is a CPU-only build on a machine with an NVIDIA GPU",
                fix,
                _dedup((*cpu, *ev("gpu"))),
            )
        else:
            add(
                "cpu_build_on_gpu",
                "torch is a CPU-only build (the paste does not show whether this machine has an NVIDIA GPU)",
                _with_settle(fix, SETTLE_DRIVER),
                cpu,
                Severity.WARN,
            )

    # CUDA libraries of another version ahead of the wheel's
    ld = ev("ld_library_path")
    for e in ev("msg:cudnn_incompat"):
        versions = torch_messages.parse_cudnn_incompat(e.text)
        what = f" (built with cuDNN {versions[0]}, loaded {versions[1]})" if versions else ""
        add(
            "conflicting_installs",
            f"torch loads another cuDNN than the one it was built with{what}: a system cuDNN is ahead of the wheel's",
            "remove the system CUDA/cuDNN folders from LD_LIBRARY_PATH (or unset it) so torch loads its own "
            "nvidia-cudnn wheel",
            _dedup((e, *ld)),
            Severity.ERROR,
        )
        break
    broken = tuple(e for e in ev("msg:undefined_symbol") if torch_messages.cuda_library_named(e.text))
    if broken and not any(f.id == "conflicting_installs" for f in out):
        add(
            "conflicting_installs",
            "a CUDA library of another version is loaded ahead of the one torch was built against (undefined symbol)",
            "find which copy loads (`ldd .../torch/lib/libtorch_cuda.so`); remove system CUDA folders from "
            "LD_LIBRARY_PATH, uninstall nvidia-* wheels of the other CUDA major and a second torch in the user "
            "site, or reinstall torch into a fresh environment",
            _dedup((*broken, *ld, *ev("wheels", "torch_installs"))),
            Severity.ERROR,
        )
    missing = tuple(
        e
        for e in ev("msg:missing_library")
        if torch_messages.cuda_library_named(e.text)
        and not (torch_messages.missing_library(e.text) or "").startswith("libcuda.")
        # a CPU build has no libtorch_cuda.so: that is the CPU build's finding, not a second one
        and not (cpu and (torch_messages.missing_library(e.text) or "").startswith("libtorch_cuda"))
    )
    if missing and not any(f.id == "conflicting_installs" for f in out):
        lib = torch_messages.missing_library(missing[0].text) or "a CUDA library"
        add(
            "conflicting_installs",
            f"torch cannot load {lib}: the nvidia-* wheel that provides it is missing, or a path hides it",
            "reinstall torch with its dependencies (`pip install --force-reinstall torch`) in a fresh environment; "
            "do not point LD_LIBRARY_PATH at another CUDA",
            _dedup((*missing, *ld)),
            Severity.ERROR,
        )
    return out


def _mismatch_side(facts: HostFacts, signs: Signs, container: Sequence[Evidence]) -> tuple[str, str]:
    """(what the paste says about the two sides, which side to fix) for an NVML driver/library mismatch."""
    nv = facts.nvidia
    lib, module = nv.nvml_version, nv.driver_version
    reboot = "reboot (or unload and reload the nvidia kernel modules) so the loaded module matches the libraries"
    if signs.get("driver_upgrade"):
        return ": the driver's libraries were upgraded while the old kernel module stayed loaded", (
            reboot + "; pin the driver packages so unattended upgrades do not move them"
        )
    nvcc, cuda = facts.toolkit.nvcc_version, nv.cuda_driver_version
    if nvcc and cuda and version_parts(nvcc, 2) > version_parts(cuda, 2):
        return (
            f": the container's CUDA {nvcc} user space is newer than the host driver {module or '?'} (CUDA {cuda})",
            f"upgrade the host driver to one that supports CUDA {nvcc}, or use an image built for CUDA <= {cuda}",
        )
    if lib and module and lib != module:
        return f": the library is {lib}, the loaded kernel module {module}", reboot
    if lib:
        return f": the library is {lib}", reboot + f"; if it persists, reinstall driver {lib} (kernel module included)"
    if container:
        return " inside a container", (
            "use an image whose NVIDIA libraries come from the host (`--gpus all` with the NVIDIA Container "
            "Toolkit), not baked into the image"
        )
    return "", reboot + "; if it persists, reinstall one driver version (kernel module and libraries together)"

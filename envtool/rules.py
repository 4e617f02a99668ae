"""Pure rules: facts -> findings (with fixes) and the recommended profile (with reasons).

Nothing here reads the machine. Unknown facts (``None``) are never evidence: a rule fires
only on what was actually seen. Thresholds are parameters with documented defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from envtool import accel_rules, knowledge
from envtool.diagnose import messages as torch_messages
from envtool.model import Finding, GpuInfo, HostFacts, Misfit, Profile, Recommendation, Severity
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
    "gpu_device_permission": (
        Severity.ERROR,
        "(`diagnose`) torch sees the GPU as root but not as the user: the user cannot open the NVIDIA device files",
    ),
    "cuda_visible_devices_not_exported": (
        Severity.WARN,
        "(`diagnose`) CUDA_VISIBLE_DEVICES set in a shell without export: the programs it starts see every GPU",
    ),
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
    # causes only a pasted report shows (`envtool diagnose`; envtool/paste_rules.py judges these)
    "fabric_manager_down": (
        Severity.ERROR,
        "NVSwitch Fabric Manager not running or at another version than the driver (CUDA Error 802)",
    ),
    "container_without_gpu": (Severity.ERROR, "a container started without GPU access (no --gpus / CDI device)"),
    "exclusive_process_mode": (
        Severity.ERROR,
        "GPUs in Exclusive_Process compute mode: a second process gets 'busy or unavailable'",
    ),
    "shm_too_small": (
        Severity.ERROR,
        "shared memory (/dev/shm) too small for DataLoader workers or NCCL (a container's 64 MB default)",
    ),
    "image_platform_mismatch": (
        Severity.ERROR,
        "a container image (or a program) built for another CPU architecture than the host's (amd64 on Arm)",
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


def quoted(msg: str, limit: int = 160) -> str:
    """A message shortened for a finding's text: whole when short, else cut at a word with an ellipsis."""
    text = " ".join(msg.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:.") + "\u2026"


def finding(fid: str, message: str, fix: str = "", severity: Severity | None = None) -> Finding:
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


def _driver_how(os_name: str | None) -> str:
    if (os_name or "").lower().startswith("win"):
        return "NVIDIA's Windows driver download or GeForce/NVIDIA App"
    return "e.g. `sudo ubuntu-drivers install` or your distribution's nvidia-driver package"


def _driver_fix(cuda: str, os_name: str | None) -> str:
    floor = knowledge.min_driver_for_cuda(cuda, os_name or "Linux")
    how = _driver_how(os_name)
    if floor:
        return f"install an NVIDIA driver >= {floor} ({how}), then reboot"
    return "install a newer NVIDIA driver, then reboot"


_READ_TORCH_CUDA = 'python -c "import torch; print(torch.version.cuda)"'


def torch_cuda_line_for_driver(driver_cuda: str, os_name: str | None = None) -> str | None:
    """The newest CUDA a known torch wheel variant is built for that a driver whose own CUDA is
    ``driver_cuda`` runs for sure (natively or through minor-version compatibility); None when none.

    Judged from the driver's CUDA alone (torch's "found version 11040"): a variant whose fit the
    tables cannot confirm (a CUDA 11.0 driver may predate 11.x's floor) does not count.
    """
    best: str | None = None
    for tv in knowledge.torch_variants():
        if not tv.cuda or knowledge.driver_supports_cuda(None, driver_cuda, tv.cuda, os_name or "Linux") is not True:
            continue
        if best is None or version_parts(tv.cuda, 2) > version_parts(best, 2):
            best = tv.cuda
    return best


def driver_too_old_fix(
    driver_cuda: str | None, build_cuda: str | None, os_name: str | None = None, runs: str | None = None
) -> str:
    """The fix for a driver too old for torch's CUDA build.

    With torch's build known, the driver it needs; without it, how to read the build (no floor is
    guessed). The alternative, a torch this driver runs, names ``runs`` (a profile the caller chose
    for this driver, so the fix and the recommendation agree), else the newest CUDA line of a known
    wheel variant the driver runs for sure, and is left out when there is none (no torch wheel was
    ever built for a CUDA 6.5 driver).
    """
    if build_cuda:
        fix = _driver_fix(build_cuda, os_name)
    else:
        fix = (
            "install a newer NVIDIA driver, one for the CUDA your torch was built with "
            f"(`{_READ_TORCH_CUDA}` prints it; `envtool profiles` lists each CUDA line's driver floor; "
            f"{_driver_how(os_name)}), then reboot"
        )
    if runs:
        return fix + f", or install a torch this driver runs: `envtool install --profile {runs}`"
    line = torch_cuda_line_for_driver(driver_cuda, os_name) if driver_cuda else None
    if line:
        compat = version_parts(line, 2) > version_parts(driver_cuda or "", 2)
        why = f" (CUDA {version_major(line)}.x minor-version compatibility runs it on this driver)" if compat else ""
        return fix + f", or install a torch built for CUDA {line}{why} (`envtool install --profile auto`)"
    return fix


# --------------------------------------------------------------------------- torch messages

# CUDA Error 803 (cudaErrorSystemDriverMismatch), seen by the deep probe or in a paste.
DRIVER_MISMATCH_803 = (
    "CUDA Error 803 (cudaErrorSystemDriverMismatch, 'system has unsupported display driver / cuda driver "
    "combination'): the CUDA driver library (libcuda) and the loaded NVIDIA kernel module are of different "
    "versions: a driver updated without a reboot, two driver installs mixed (distribution packages and "
    "NVIDIA's .run installer), or, in a container, the image's own libcuda instead of the host's"
)
DRIVER_MISMATCH_803_FIX = (
    "reboot (the old kernel module stays loaded until then); if it persists, reinstall one driver so that "
    "libcuda and the kernel module match (the module's version: `cat /proc/driver/nvidia/version`; "
    "libcuda's: the suffix of `readlink -f` on the libcuda.so.1 that `ldconfig -p | grep libcuda.so.1` "
    "lists); in a container, start it "
    "with `--gpus all` so the NVIDIA Container Toolkit mounts the host's libcuda, and drop the image's own "
    "copy (a cuda-compat folder such as /usr/local/cuda/compat on LD_LIBRARY_PATH, or driver libraries "
    "baked into the image)"
)


def findings_from_messages(
    messages: Iterable[str], os_name: str | None = None, build_cuda: str | None = None
) -> list[Finding]:
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
                finding(
                    "driver_too_old",
                    f"torch says the NVIDIA driver is too old: it supports CUDA {cuda} at most, "
                    "less than torch's CUDA build needs",
                    driver_too_old_fix(cuda, build_cuda, os_name),
                )
            )
        if torch_messages.says_driver_insufficient(msg):
            add(
                finding(
                    "driver_too_old",
                    f"CUDA says the driver is older than the CUDA runtime torch uses ('{quoted(msg)}')",
                    "install a newer NVIDIA driver (see `envtool detect` for the minimum), or a torch built for an "
                    "older CUDA (`envtool install --profile auto`)",
                )
            )
        unsupported = torch_messages.parse_unsupported_code(msg)
        if unsupported is not None:
            add(_unsupported_code_finding(msg, *unsupported))
            continue
        in_range = torch_messages.parse_capability_range(msg)
        if in_range is not None:
            add(_capability_range_finding(msg, *in_range))
            continue
        incompatible = torch_messages.parse_incompatible_capability(msg)
        if incompatible or torch_messages.says_no_kernel_image(msg) or torch_messages.says_gpu_too_old(msg):
            cc = incompatible[1] if incompatible else None
            what = f"a GPU of compute capability {cc}" if cc else "this GPU"
            add(
                finding(
                    "arch_unsupported",
                    f"torch says its build has no kernels for {what} ('{quoted(msg)}')",
                    "install a torch build that covers this GPU: run `envtool detect` for the profile that does, "
                    "then `envtool install --profile auto`",
                )
            )
        if torch_messages.says_system_driver_mismatch(msg):
            add(finding("no_driver", DRIVER_MISMATCH_803, DRIVER_MISMATCH_803_FIX))
        if torch_messages.says_no_driver(msg):
            add(
                finding(
                    "no_driver",
                    f"torch cannot reach the NVIDIA driver ('{quoted(msg)}')",
                    "install or repair the NVIDIA driver (reboot after a driver update to clear a driver/library "
                    "mismatch)",
                )
            )
        if torch_messages.says_cpu_build(msg):
            add(
                finding(
                    "cpu_build_on_gpu",
                    "torch is a CPU-only build ('Torch not compiled with CUDA enabled')",
                    "install a CUDA build of torch: `envtool install --profile auto`",
                )
            )
    return out


def _capability_range_finding(msg: str, cc: tuple[int, int], low: tuple[int, int], high: tuple[int, int]) -> Finding:
    """torch 2.x's "Minimum and Maximum cuda capability supported by this version of PyTorch is (8.0) - (12.0)".

    torch warns for any capability outside the range of its arch list, but the list's highest arch
    runs on a GPU of the same major and a higher minor (SASS for X.Y runs on X.Z, Z >= Y: CUDA C
    Programming Guide, "Binary Compatibility"; the same rule as ``knowledge.arch_covered``): a GB10
    (12.1) runs the sm_120 kernels of a build whose maximum is 12.0 (pytorch/pytorch#172629).
    """
    text = f"{cc[0]}.{cc[1]}"
    top = f"{high[0]}.{high[1]}"
    if cc >= low and knowledge.arch_covered(text, (top,)):
        return finding(
            "arch_unsupported",
            f"torch warns that this GPU's compute capability {text} is outside its build's range "
            f"({low[0]}.{low[1]}) - ({top}), but the build's kernels for {top} run on it (same major, higher "
            "minor: CUDA's binary compatibility): the warning is a false positive",
            "nothing to do; torch 2.10 and later check the build's kernels instead (pytorch/pytorch#166185)",
            severity=Severity.INFO,
        )
    return finding(
        "arch_unsupported",
        f"torch says its build has no kernels for a GPU of compute capability {text} (it supports "
        f"{low[0]}.{low[1]} to {top}: '{quoted(msg)}')",
        "install a torch build that covers this GPU: run `envtool detect` for the profile that does, "
        "then `envtool install --profile auto`",
    )


def _unsupported_code_finding(msg: str, cc: str | None, torch_pin: str | None) -> Finding:
    """torch 2.10+'s "does not include kernels for this GPU", checked against the build's archs.

    The check in torch compares capabilities exactly, but SASS built for sm_X.Y runs on any
    X.Z with Z >= Y (CUDA C Programming Guide, "Binary Compatibility"): a GB10 (12.1) runs
    the sm_120 kernels of a cu130 wheel (pytorch/pytorch#172629). So the knowledge table decides.
    """
    variant = torch_pin.partition("+")[2] if torch_pin else ""
    tv = knowledge.torch_variant(variant, release_text(torch_pin)) if variant and torch_pin else None
    if cc and tv is not None and knowledge.arch_covered(cc, tv.sass, tv.ptx):
        return finding(
            "arch_unsupported",
            f"torch warns that it has no kernels for this GPU (compute capability {cc}), but the {variant} wheels of "
            f"torch {release_text(torch_pin)} carry SASS that runs on it: the warning is a false positive",
            "nothing to do; a later torch release drops the warning",
            severity=Severity.INFO,
        )
    return finding(
        "arch_unsupported",
        f"torch says its build has no kernels for this GPU ('{quoted(msg)}')",
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
                finding(
                    "probe_failed",
                    f"the {note.probe} probe {'timed out' if note.status == 'timeout' else 'failed'}: "
                    f"{note.reason or 'no detail'}",
                    "the rest of the report stands; rerun with --debug for details",
                )
            )

    # GPUs and driver
    if gpu is False:
        out.append(
            finding(
                "no_gpu",
                "no NVIDIA GPU was found; the cpu profile fits this machine",
                "nothing to do for CPU work; for GPU work use a machine with an NVIDIA GPU",
            )
        )
    if nv.error or (nv.hardware_present and not nv.gpus and not nv.driver_version):
        detail = nv.error or "the PCI bus shows an NVIDIA GPU but neither NVML nor nvidia-smi could talk to a driver"
        out.append(
            finding(
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
                finding(
                    "gpu_error",
                    f"{label} is listed but cannot be read: {g.error}",
                    "check `nvidia-smi` and `sudo dmesg | grep -i xid`; a lost GPU needs a reset (`nvidia-smi -r -i "
                    f"{g.index}`) or a reboot",
                )
            )
        if g.ecc_uncorrected:
            out.append(
                finding(
                    "ecc_errors",
                    f"{label} reports {g.ecc_uncorrected} uncorrected ECC errors",
                    f"drain the GPU and reset it (`sudo nvidia-smi -r -i {g.index}`); persistent errors mean RMA",
                )
            )
        bad = sorted(set(g.throttle_reasons) & _BAD_THROTTLE)
        if bad:
            out.append(
                finding(
                    "gpu_throttled",
                    f"{label} is slowed by: {', '.join(bad)}",
                    "check cooling and power (`nvidia-smi -q -d PERFORMANCE,TEMPERATURE,POWER`)",
                )
            )

    cvd = dict(facts.env_vars).get("CUDA_VISIBLE_DEVICES")
    if cvd is not None and nv.gpus and _hides_all(cvd, nv.gpus):
        out.append(
            finding(
                "cuda_visible_devices_hides_all",
                f"CUDA_VISIBLE_DEVICES={cvd!r} hides all {len(nv.gpus)} GPU(s) from torch",
                "unset CUDA_VISIBLE_DEVICES or list valid indices/UUIDs, e.g. `export CUDA_VISIBLE_DEVICES=0`",
            )
        )

    # torch against the driver and the GPUs
    if torch is None and (rt is None or not rt.version):
        if facts.source == "detect":
            out.append(
                finding(
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
                finding(
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
                    finding(
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
                finding(
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
                finding(
                    "torch_import_failed",
                    f"torch could not be used from {rt.python or 'the target python'}: {rt.error}",
                    "reinstall torch into a fresh environment: `envtool install --profile auto`",
                )
            )
        if rt.outcome == "ok" and rt.cuda and rt.cuda_available is False and nv.gpus:
            out.append(
                finding(
                    "cuda_unavailable",
                    f"torch {rt.version} (CUDA {rt.cuda}) sees no usable GPU although the driver lists {len(nv.gpus)}",
                    "check the driver (`nvidia-smi`), CUDA_VISIBLE_DEVICES, and container GPU flags (`--gpus all`)",
                )
            )
        for d in rt.devices:
            if not d.ok:
                out.append(
                    finding(
                        "kernel_failed",
                        f"a tiny matmul failed on {d.device} ({d.name or '?'}): {d.error}",
                        "see the error; `envtool detect --deep --debug` shows torch's full output",
                    )
                )
        out.extend(f for f in findings_from_messages(rt.messages, os_name, rt.cuda) if f.id not in {x.id for x in out})

    # the host
    sysf = facts.system
    if sysf.os_name == "Linux" and sysf.shm_bytes is not None and sysf.shm_bytes < thresholds.shm_min_bytes:
        out.append(
            finding(
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
                finding(
                    "low_disk",
                    f"only {disk.free_bytes / GIB:.1f} GiB free at {disk.path}; a CUDA torch environment and a model "
                    "cache need 20 GiB or more",
                    "free space or point HF_HOME / the environment prefix at a larger disk",
                    severity=sev,
                )
            )
    if sysf.ram_total_bytes is not None and sysf.ram_total_bytes < thresholds.ram_warn_bytes:
        out.append(
            finding(
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
                finding(
                    "knowledge_mismatch",
                    f"torch.cuda.get_arch_list() says {_arch_text(sass, ptx)}; "
                    f"envtool's table says {_arch_text(tv.sass, tv.ptx)} for {table_name}",
                    _CORRECT_TABLE.format(what="the measured list"),
                )
            )
    else:
        if tv is None:
            return _old_wheel_arch_findings(facts, version)
        sass, ptx = tv.sass, tv.ptx
        source = table_name
    for g in facts.nvidia.gpus:
        if g.compute_capability and g.name:
            claimed = knowledge.compute_capability(g.name)
            if claimed and claimed != g.compute_capability:
                out.append(
                    finding(
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
                finding(
                    "arch_unsupported",
                    f"GPU {g.index} ({g.name}, compute capability {cc}) is not covered by {source}: "
                    f"{_arch_text(sass, ptx)}{note}",
                    "install a torch build that covers it: `envtool detect` names the profile, "
                    "`envtool install --profile auto` installs it",
                )
            )
    return out


# PyTorch's wheels for CUDA 10.x and older (a "+cu102" local tag: its own index's builds) hold SASS up to sm_75 and no
# PTX: pytorch/builder's manywheel/build.sh set TORCH_CUDA_ARCH_LIST to "3.7;5.0;6.0;7.0" (later ";7.5" too) for
# 10.x, without "+PTX"; and CUDA 10.x's nvcc has no target above sm_75 (sm_80 came with CUDA 11.0). A GPU of 8.0 or
# newer runs none of their kernels (replicate/cog#436: "1.10.2+cu102" on an RTX 3090).
_OLD_WHEEL = re.compile(r"\+cu(\d{2,3})$")


def _old_wheel_arch_findings(facts: HostFacts, version: str | None) -> list[Finding]:
    m = _OLD_WHEEL.search(version or "")
    if m is None or int(m.group(1)[:-1]) > 10:
        return []
    out = []
    for g in facts.nvidia.gpus:
        cc = gpu_capability(g)
        if cc and version_parts(cc)[:1] >= (8,):
            out.append(
                finding(
                    "arch_unsupported",
                    f"GPU {g.index} ({g.name}, compute capability {cc}) is not covered by torch {version}: PyTorch's "
                    "wheels for CUDA 10 and older hold kernels up to sm_75 and no PTX, and CUDA 10 cannot build for "
                    f"{cc}",
                    "install a torch built for CUDA 11.1 or newer (`envtool detect` names the profile, `envtool "
                    "install --profile auto` installs it)",
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
            finding(
                "conflicting_installs",
                f"{len(py.torch_installs)} torch installs are visible ({where}); the first one wins",
                "remove the extra ones (`pip uninstall torch` in the user site or the shadowing path), or use a fresh "
                "environment",
                severity=Severity.ERROR if len({v for v, _ in versions}) > 1 else Severity.WARN,
            )
        )
    elif py.user_site_torch:
        out.append(
            finding(
                "conflicting_installs",
                "a torch in the user site-packages shadows the environment's",
                "`python -m pip uninstall torch` outside the environment, or set PYTHONNOUSERSITE=1",
            )
        )
    majors = {m.group(1) for d in py.nvidia_wheels if (m := re.search(r"-cu(\d+)$", d.name))}
    if len(majors) > 1:
        out.append(
            finding(
                "conflicting_installs",
                f"nvidia-* CUDA wheels of {len(majors)} CUDA majors are installed together "
                f"(cu{', cu'.join(sorted(majors))})",
                "uninstall the wheels of the CUDA major torch does not use, or recreate the environment",
            )
        )
    names = {d.name for d in py.pynvml_dists}
    if {"pynvml", "nvidia-ml-py"} <= names:
        out.append(
            finding(
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
    return finding(
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
    names = ", ".join(f"{g.index}: {g.name} (sm {gpu_capability(g) or '?'})" for g in nv.gpus) or (
        "on the PCI bus" if facts.source == "detect" else "model not in the report, so its architecture is unknown"
    )
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

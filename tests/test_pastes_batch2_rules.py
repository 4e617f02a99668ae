"""`envtool diagnose` on the causes a second batch of real pastes showed and the rules missed.

Each paste is inlined as far as the test needs it, with its thread cited; the tests check the
finding, its severity and the line it cites, and that the verdict and the profile agree with it.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

from envtool import rules
from envtool.diagnose import messages
from envtool.model import Severity

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
    # the forward-compatibility libcuda is loaded only for a CUDA newer than the driver (PKU-YuanGroup/Video-LLaVA#22)
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("driver_too_old", "error")]
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


# --------------------------------------------------------------------------- P2: ROCm, XPU and WSL

# ROCm/rocALUTION#197: "invalid device function" on a gfx1031 card; HSA_OVERRIDE_GFX_VERSION=10.3.0 fixed it.
ROCALUTION_197 = (
    "Number of HIP devices in the system: 1\n"
    "Matrix+Vectors loading:5.7e-05 sec\n"
    "HIP error: invalid device function\n"
    "File: /src/extlibs/rocALUTION/src/base/hip/hip_vector.cpp; line: 845\n"
    "\n"
    "Maybe rocalution (I am using 5.7.1 RHEL version) is not compiled to support my gfx1031 card?\n"
)
# ROCm/legacy-rocm-build#5264: the template's capitalised "Invalid", a Radeon Pro WX 5100.
ROCM_5264 = (
    "VAEEncode\n"
    "HIP error: Invalid device function\n"
    "HIP kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be "
    "incorrect.\n"
    "\n"
    "### GPU\n"
    "\n"
    "2x AMD Radeon (TM) Pro WX 5100 Graphics\n"
)


def test_hip_invalid_device_function_is_arch_unsupported_with_the_gfx_target() -> None:
    code, env = _run(ROCALUTION_197)
    assert code == 1
    assert _found(env) == [("arch_unsupported", "error", [3, 6])]
    f = env["findings"][0]
    assert "gfx1031" in f["message"] and "invalid device function" in f["message"]
    assert "HSA_OVERRIDE_GFX_VERSION=10.3.0" in f["fix"]  # an RDNA2 card, as the existing rule says


def test_hip_invalid_device_function_any_capitalisation_is_a_report() -> None:
    code, env = _run(ROCM_5264)
    assert code == 1
    assert _found(env) == [("arch_unsupported", "error", [2])]
    assert "HSA_OVERRIDE_GFX_VERSION`" in env["findings"][0]["fix"]  # no gfx shown: no value guessed
    _, env = _run("hipErrorInvalidDeviceFunction\n")
    assert [f["id"] for f in env["findings"]] == ["arch_unsupported"]


def test_a_hip_error_is_no_nvidia_cause_for_the_profile() -> None:
    _, env = _run(ROCM_5264)
    rec = env["data"]["recommended_profile"]
    assert rec["name"] is None
    assert "AMD ROCm" in rec["reasons"][0] and "NVIDIA one" not in rec["reasons"][0]


def test_cuda_invalid_device_function_is_no_hip_error() -> None:
    # CUDA's words alone: a warning about the GPU code (no AMD GPU, no ROCm, no error without the GPU shown)
    _, env = _run("RuntimeError: CUDA error: invalid device function\n")
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("arch_unsupported", "warn"), f
    assert "AMD" not in f["message"] and "HIP" not in f["message"] and "ROCm" not in f["fix"], f


# intel/intel-extension-for-pytorch#702: torch's XPU backend sees no device although sycl-ls lists an Arc A770.
IPEX_702 = (
    "2.3.1+cxx11.abi\n"
    "2.3.110+xpu\n"
    "/home/u/anaconda3/envs/ipex/lib/python3.10/site-packages/torch/xpu/__init__.py:57: UserWarning: XPU device "
    "count is zero! (Triggered internally at /build/pytorch/c10/xpu/XPUFunctions.cpp:50.)\n"
    "  return torch._C._xpu_getDeviceCount()\n"
)


def test_xpu_device_count_zero_is_a_report_with_the_xpu_settle_command() -> None:
    code, env = _run(IPEX_702)
    assert code == 0
    verdict = env["data"]["verdict"]
    assert "XPU device count is zero" in verdict["summary"] and "line 3" in verdict["summary"]
    assert verdict["settle"] == 'python -c "import torch; print(torch.__version__, torch.xpu.is_available())"'
    assert "nvidia-smi" not in verdict["settle"]
    rec = env["data"]["recommended_profile"]
    assert rec["name"] is None and "Intel XPU" in rec["reasons"][0]


# pytorch/pytorch#157775: a Windows collect_env of an XPU torch (cut here to its first fields).
XPU_COLLECT_ENV = (
    "PyTorch version: 2.7.1+xpu\n"
    "Is debug build: False\n"
    "CUDA used to build PyTorch: Could not collect\n"
    "ROCM used to build PyTorch: N/A\n"
    "\n"
    "OS: Microsoft Windows 11 Pro (10.0.26100 64-bit)\n"
    "Is CUDA available: False\n"
)
# pytorch/pytorch#164346: a ROCm nightly's library list.
ROCM_LIBS = (
    "Versions of relevant libraries:\n"
    "[pip3] numpy==2.2.6\n"
    "[pip3] nvidia-cuda-runtime-cu13==0.0.0a0\n"
    "[pip3] pytorch-triton-rocm==3.5.0+gitbbb06c03\n"
    "[pip3] torch==2.10.0.dev20250929+rocm7.0\n"
)


def test_an_amd_or_intel_torch_is_never_told_to_run_nvidia_smi() -> None:
    code, env = _run(XPU_COLLECT_ENV)
    assert code == 0
    assert env["data"]["verdict"]["settle"].endswith('torch.xpu.is_available())"')
    rec = env["data"]["recommended_profile"]
    assert rec["name"] is None
    assert not any("does not show an NVIDIA GPU" in r for r in rec["reasons"])
    assert "line 1" in rec["reasons"][0]
    code, env = _run(ROCM_LIBS)
    assert code == 0
    assert env["data"]["verdict"]["settle"] == "rocm-smi"
    rec = env["data"]["recommended_profile"]
    assert rec["name"] is None and "AMD ROCm" in rec["reasons"][0] and "line 5" in rec["reasons"][0]
    # the same list from a CUDA torch still asks nvidia-smi
    _, env = _run(ROCM_LIBS.replace("+rocm7.0", "+cu128").replace("pytorch-triton-rocm", "triton"))
    assert env["data"]["verdict"]["settle"] == "nvidia-smi"


# microsoft/WSL#9166: nvidia-utils-510 installed inside WSL, then NVML is blocked.
WSL_9166 = (
    "I have installed Ubuntu 22.04 on WSL2 and upgraded the driver for my RTX 2080 ti on the host os.\n"
    "`apt install nvidia-utils-510`\n"
    "```\n"
    "# nvidia-smi\n"
    "\n"
    "Failed to initialize NVML: GPU access blocked by the operating system\n"
    "Failed to properly shut down NVML: GPU access blocked by the operating system\n"
    "```\n"
)


def test_nvml_blocked_in_wsl_is_no_driver_with_the_wsl_fix() -> None:
    code, env = _run(WSL_9166)
    assert code == 1
    [f] = env["findings"]
    assert (f["id"], f["severity"]) == ("no_driver", "error")
    assert 6 in [e["line"] for e in f["evidence"]]
    for part in ("/usr/lib/wsl/lib/nvidia-smi", "WDDM", "Windows NVIDIA driver", "nvidia-utils-"):
        assert part in f["fix"], part
    assert env["data"]["verdict"]["cause"] == "no_driver"


# --------------------------------------------------------------------------- P9b: a message quoted in prose


def test_a_quote_opened_before_the_start_phrase_ends_the_message() -> None:
    # cBio/cbio-cluster#144: the quote opens before "Error selecting", the message's phrase is later.
    text = (
        'it is cancelled with an "Error selecting compatible GPU all CUDA-capable devices are busy or unavailable" '
        "in which case my job disappears from the queue.\n"
    )
    assert messages.extract_torch_messages(text) == ("all CUDA-capable devices are busy or unavailable",)
    # mit-han-lab/bevfusion#283: the closing quote and the sentence's period go.
    text = (
        'I also encountered a problem "RuntimeError: CUDA error: no kernel image is available for execution on the '
        'device".\n'
    )
    assert messages.extract_torch_messages(text) == (
        "CUDA error: no kernel image is available for execution on the device",
    )
    # an apostrophe in the prose before is no quote
    text = "I don't know why: Found no NVIDIA driver on your system. Please check that you've installed it\n"
    assert messages.extract_torch_messages(text) == (
        "Found no NVIDIA driver on your system. Please check that you've installed it",
    )


# --------------------------------------------------------------------------- P10: toolkit_mismatch


def test_a_system_toolkit_matters_only_to_an_extension_build() -> None:
    # pytorch/pytorch#94291: collect_env of a cu118 nightly with a CUDA 12.0 toolkit, no extension built.
    text = (
        "PyTorch version: 2.0.0.dev20230203+cu118\n"
        "Is debug build: False\n"
        "CUDA used to build PyTorch: 11.8\n"
        "Is CUDA available: False\n"
        "CUDA runtime version: 12.0.140\n"
    )
    _, env = _run(text)
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("toolkit_mismatch", "info")]
    # the same report with an extension build in it: a warning
    _, env = _run(text + "running build_ext\nerror: command 'nvcc' failed: nvcc fatal : Unsupported gpu architecture\n")
    assert ("toolkit_mismatch", "warn") in [(f["id"], f["severity"]) for f in env["findings"]]


def test_error_803_among_the_deep_probes_messages() -> None:
    msg = (
        "CUDA initialization: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions before "
        "calling NumCudaDevices() that might have already set an error? Error 803: system has unsupported display "
        "driver / cuda driver combination"
    )
    [f] = rules.findings_from_messages([msg])
    assert (f.id, f.severity) == ("no_driver", Severity.ERROR)
    assert "803" in f.message
    assert (
        rules.findings_from_messages(
            [
                msg.replace(
                    "803: system has unsupported display driver / cuda driver combination",
                    "500: named symbol not found",
                )
            ]
        )
        == []
    )


# microsoft/WSL#11865: an L40S in TCC mode under WSL 2 (the issue template's boxes, then the banner).
WSL_11865 = (
    "### Are you using WSL 1 or WSL 2?\n"
    "\n"
    "- [X] WSL 2\n"
    "- [ ] WSL 1\n"
    "\n"
    "| NVIDIA-SMI 555.85                 Driver Version: 555.85         CUDA Version: 12.5     |\n"
    "|-----------------------------------------+------------------------+----------------------+\n"
    "| GPU  Name                  Driver-Model | Bus-Id          Disp.A | Volatile Uncorr. ECC |\n"
    "|=========================================+========================+======================|\n"
    "|   0  NVIDIA L40S                  TCC   |   00000000:61:00.0 Off |                    0 |\n"
)


def test_a_tcc_gpu_under_wsl_2_is_a_warning() -> None:
    code, env = _run(WSL_11865)
    assert code == 0
    assert _found(env) == [("no_driver", "warn", [3, 10])]
    assert "WDDM" in env["findings"][0]["message"]
    assert env["data"]["verdict"]["settle"] == "/usr/lib/wsl/lib/nvidia-smi"
    # WSL 1 ticked instead, or the banner in WDDM mode: nothing to say
    _, env = _run(WSL_11865.replace("[X] WSL 2", "[ ] WSL 2").replace("[ ] WSL 1", "[X] WSL 1"))
    assert env["findings"] == []
    _, env = _run(WSL_11865.replace(" TCC ", "WDDM"))
    assert env["findings"] == []


# --------------------------------------------------------------------------- P4b: a forward-compat libcuda on a GeForce

# NVIDIA/libnvidia-container#131: inside nvidia/cuda:11.2.2 on a 450 host driver, the banner shows CUDA 11.2 (the
# image's cuda-compat libcuda) on an RTX 2080 Ti; the title was Error 804.
LIBNVIDIA_CONTAINER_131 = (
    "root@gemfield:~# nvidia-smi\n"
    "+-----------------------------------------------------------------------------+\n"
    "| NVIDIA-SMI 450.102.04   Driver Version: 450.102.04   CUDA Version: 11.2     |\n"
    "|-------------------------------+----------------------+----------------------+\n"
    "| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |\n"
    "| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |\n"
    "|===============================+======================+======================|\n"
    "|   0  GeForce RTX 208...  Off  | 00000000:19:00.0 Off |                  N/A |\n"
    "| 27%   37C    P8     7W / 250W |      6MiB / 11019MiB |      0%      Default |\n"
    "+-------------------------------+----------------------+----------------------+\n"
)


def test_a_forward_compat_libcuda_on_a_geforce_is_a_driver_too_old() -> None:
    # The image's CUDA is newer than the host driver ships, and a GeForce cannot take the compat libcuda.
    code, env = _run(LIBNVIDIA_CONTAINER_131)
    assert code == 1 and env["data"]["verdict"]["cause"] == "driver_too_old", env["data"]["verdict"]
    assert ("driver_too_old", "error", [3, 8]) in _found(env), _found(env)
    f = next(f for f in env["findings"] if f["id"] == "driver_too_old")
    assert "forward-compatibility" in f["message"] and "Error 804" in f["message"]


def test_a_forward_compat_libcuda_on_a_data_center_gpu_is_no_finding() -> None:
    # The same banner on a Tesla: forward compatibility is meant for it (the told row still says it is loaded).
    code, env = _run(LIBNVIDIA_CONTAINER_131.replace("GeForce RTX 208...", "Tesla V100-PCIE..."))
    assert code == 0 and env["findings"] == [], env["findings"]
    told = {r["what"]: r["value"] for r in env["data"]["told"]}
    assert "forward-compatibility libcuda" in told["driver's CUDA"], told

"""`envtool diagnose` on the forms a third batch of real pastes showed and the readers missed.

Each paste is inlined as far as the test needs it, with its thread cited; the tests check the
finding, its severity and the line it cites, and that the verdict agrees with it.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# --------------------------------------------------------------------------- a None CUDA build, torch 1.x's way

# pytorch/pytorch#44303: collect_env indented four spaces inside single backticks; torch 1.3.1 printed
# torch.version.cuda None as "Could not collect" (its replace_nones), on an RTX 2080 Ti with driver 430.64.
PYTORCH_44303 = (
    "`\n"
    "    python -m torch.utils.collect_env\n"
    "    Collecting environment information...\n"
    "    PyTorch version: 1.3.1\n"
    "    Is debug build: No\n"
    "    CUDA used to build PyTorch: Could not collect\n"
    "\n"
    "    OS: Ubuntu 18.04.4 LTS\n"
    "    Python version: 3.7\n"
    "    Is CUDA available: No\n"
    "    CUDA runtime version: 10.1.105\n"
    "    GPU models and configuration: GPU 0: GeForce RTX 2080 Ti\n"
    "    Nvidia driver version: 430.64\n"
    "`\n"
)


def test_could_not_collect_as_the_cuda_build_beside_a_torch_version_is_a_cpu_build() -> None:
    code, env = _run(PYTORCH_44303)
    assert code == 1
    assert _found(env) == [("cpu_build_on_gpu", "error", [6, 12])]
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu"


def test_could_not_collect_without_torch_is_no_cpu_build() -> None:
    # the same lines with torch not installed ("N/A" version): nothing says what torch is
    text = PYTORCH_44303.replace("PyTorch version: 1.3.1", "PyTorch version: N/A")
    _, env = _run(text)
    assert "cpu_build_on_gpu" not in [f["id"] for f in env["findings"]]


def test_could_not_collect_beside_intels_extension_is_no_cpu_build() -> None:
    # an Intel extension build carries no local tag and no CUDA either
    text = PYTORCH_44303.replace("`\n", "", 1) + "[pip3] intel-extension-for-pytorch==1.13.10\n"
    _, env = _run(text)
    assert "cpu_build_on_gpu" not in [f["id"] for f in env["findings"]]


# --------------------------------------------------------------------------- torch's extension builder's CUDA check

# vllm-project/vllm#2219: pip's indented subprocess output, torch's own two-line wrap (torch/utils/cpp_extension.py
# CUDA_MISMATCH_MESSAGE).
VLLM_2219 = (
    "```\n"
    "     The detected CUDA version (11.8) mismatches the version that was used to compile\n"
    "      PyTorch (12.1). Please make sure to use the same CUDA versions.\n"
    "\n"
    "      [end of output]\n"
    "\n"
    "  note: This error originates from a subprocess, and is likely not a problem with pip.\n"
    "  ERROR: Failed building wheel for vllm\n"
    "Failed to build vllm\n"
    "```\n"
)
# pengHTYX/Era3D#23: prose, a `pip list` row of the torch, the message unindented.
ERA3D_23 = (
    "Hi i'm installing the tool to build the 3d mesh inside a conda environment where i've installed torch with "
    "cuda 118\n"
    "torch                     2.1.2+cu118\n"
    "\n"
    "but when i run the command:\n"
    "pip install git+https://github.com/NVlabs/tiny-cuda-nn/#subdirectory=bindings/torch\n"
    "\n"
    "it return me:\n"
    "The detected CUDA version (12.0) mismatches the version that was used to compile\n"
    "PyTorch (11.8). Please make sure to use the same CUDA versions.\n"
)


def test_extension_builders_cuda_mismatch_is_the_toolkit_mismatch_that_failed_the_build() -> None:
    code, env = _run(VLLM_2219)
    assert code == 1
    assert _found(env) == [("toolkit_mismatch", "error", [2])]
    f = env["findings"][0]
    assert "CUDA 11.8" in f["message"] and "(12.1)" in f["message"] and "major" in f["message"]
    assert "CUDA 12.x toolkit" in f["fix"] and "CUDA_HOME" in f["fix"]
    assert env["data"]["verdict"]["cause"] == "toolkit_mismatch"


def test_extension_builders_cuda_mismatch_cites_the_torch_row_too() -> None:
    code, env = _run(ERA3D_23)
    assert code == 1
    assert _found(env) == [("toolkit_mismatch", "error", [2, 8])]
    assert "CUDA 11.x" in env["findings"][0]["fix"]


def test_an_old_torchs_minor_mismatch_names_the_exact_toolkit() -> None:
    # torch before 1.11 refused any difference, not only another major
    text = VLLM_2219.replace("(11.8)", "(10.1)").replace("(12.1)", "(10.2)")
    _, env = _run(text)
    f = env["findings"][0]
    assert f["id"] == "toolkit_mismatch" and "another version" in f["message"]
    assert "CUDA 10.2 toolkit" in f["fix"]


def test_the_minor_mismatch_warning_is_no_finding() -> None:
    # CUDA_MISMATCH_WARN: torch builds on; a paste of only it holds nothing to diagnose
    text = (
        "UserWarning: The detected CUDA version (12.1) has a minor version mismatch with the version that was used "
        "to compile PyTorch (12.4). Most likely this shouldn't be a problem.\n"
        "PyTorch version: 2.4.0+cu124\n"
    )
    _, env = _run(text)
    assert "toolkit_mismatch" not in [f["id"] for f in env["findings"]]


# --------------------------------------------------------------------------- cudaErrorUnknown, torch 1.x's way

# pytorch/pytorch#43281: THC's two wordings of error 999 after the machine idled; reloading nvidia_uvm fixed it.
PYTORCH_43281 = (
    "```\n"
    "THCudaCheck FAIL file=/opt/conda/conda-bld/pytorch_1591914886554/work/aten/src/THC/THCGeneral.cpp line=47 "
    "error=999 : unknown error\n"
    "Traceback (most recent call last):\n"
    '  File "/home/user/anaconda3/envs/work/lib/python3.8/site-packages/torch/cuda/__init__.py", line 153, in '
    "_lazy_init\n"
    "    torch._C._cuda_init()\n"
    "RuntimeError: cuda runtime error (999) : unknown error at /opt/conda/conda-bld/pytorch_1591914886554/work/"
    "aten/src/THC/THCGeneral.cpp:47\n"
    "```\n"
)


def test_thcs_error_999_unknown_error_is_cuda_unknown_error() -> None:
    code, env = _run(PYTORCH_43281)
    assert code == 0  # a warning: the paste does not say why
    assert _found(env) == [("no_driver", "warn", [2, 6])]
    assert "nvidia_uvm" in env["findings"][0]["fix"]
    assert env["data"]["verdict"]["cause"] == "no_driver"


def test_error_30_was_cudaerrorunknown_before_cuda_10_1() -> None:
    # torch/cutorch#197's wording, as a torch 0.x THC build printed it
    _, env = _run("RuntimeError: cuda runtime error (30) : unknown error at /pytorch/torch/lib/THC/THCGeneral.c:70\n")
    assert [f["id"] for f in env["findings"]] == ["no_driver"]


def test_another_thc_error_number_is_no_unknown_error() -> None:
    # error 2 is out of memory, not cudaErrorUnknown
    _, env = _run(
        "RuntimeError: cuda runtime error (2) : out of memory at /pytorch/aten/src/THC/THCCachingAllocator.cpp:510\n"
    )
    assert "no_driver" not in [f["id"] for f in env["findings"]]


# --------------------------------------------------------------------------- error 35 with no NVIDIA driver in sight

# Akegarasu/lora-scripts#101: bitsandbytes' error 35 on a laptop whose only GPU is an Intel Iris Xe (the maintainer:
# CPU training is not supported). CUDA returns the same error when no NVIDIA driver exists at all.
LORA_SCRIPTS_101 = (
    "```\n"
    " poch 1/10\n"
    "Error CUDA driver version is insufficient for CUDA runtime version at line 167 in file "
    "D:\\ai\\tool\\bitsandbytes\\csrc\\ops.cu\n"
    "Traceback (most recent call last):\n"
    "...\n"
    "```\n"
    "\n"
    "I'm using a integrated Intel GPU(iris xe graphics). os is win 11, torch==2.0.0+cu118 torchvision==0.15.1+cu118.\n"
)


def test_error_35_beside_only_another_vendors_gpu_is_no_nvidia_gpu_as_a_warning() -> None:
    code, env = _run(LORA_SCRIPTS_101)
    assert code == 0
    assert _found(env) == [("no_gpu", "warn", [3, 8])]
    assert env["data"]["verdict"]["cause"] == "no_gpu"
    f = env["findings"][0]
    assert "line 8" in f["message"] and "no NVIDIA driver at all" in f["message"]
    assert "--profile cpu" in f["fix"] and "if an NVIDIA GPU is there" in f["fix"] and "nvidia-smi" in f["fix"]
    assert env["data"]["verdict"]["settle"] == "nvidia-smi"


def test_error_35_beside_a_driver_version_stays_an_error() -> None:
    # the same message with the driver the paste names (an nvidia-smi banner row)
    text = LORA_SCRIPTS_101 + "| NVIDIA-SMI 391.35                 Driver Version: 391.35                    |\n"
    code, env = _run(text)
    assert code == 1
    assert [(f["id"], f["severity"]) for f in env["findings"]][0] == ("driver_too_old", "error")


def test_error_35_alone_with_no_other_gpu_named_stays_an_error() -> None:
    # without the prose naming another vendor's GPU, nothing says the NVIDIA driver is absent rather than old
    text = LORA_SCRIPTS_101.rpartition("I'm using")[0]
    code, env = _run(text)
    assert code == 1
    assert _found(env) == [("driver_too_old", "error", [3])]


def test_an_nvidia_gpu_beside_intel_graphics_keeps_error_35_an_error() -> None:
    text = LORA_SCRIPTS_101 + "GPU: NVIDIA GeForce GTX 1650 and Intel Iris Xe\n"
    _, env = _run(text)
    assert env["findings"][0]["severity"] == "error"


# --------------------------------------------------------------------------- conda info's virtual packages

# pytorch/pytorch#67997: `conda info` on a Jetson Xavier NX; "__cuda=10.2=0" is the driver's CUDA (conda's user
# guide, "Managing virtual packages": "Maximum version of CUDA supported by the display driver").
PYTORCH_67997 = (
    " conda info-\n"
    "     active environment : pytracking\n"
    "          conda version : 4.10.3\n"
    "         python version : 3.7.1.final.0\n"
    "       virtual packages : __cuda=10.2=0\n"
    "                          __linux=4.9.253=0\n"
    "                          __glibc=2.27=0\n"
    "                          __archspec=1=aarch64\n"
)


def test_conda_infos_cuda_virtual_package_is_the_drivers_cuda() -> None:
    code, env = _run(PYTORCH_67997)
    assert code == 0  # a report now (it was refused): nothing in it is a cause
    told = {row["what"]: (row["value"], row["line"]) for row in env["data"]["told"]}
    assert told["driver's CUDA"] == ("10.2", 5)


def test_the_driver_cuda_from_conda_info_judges_a_torch_build() -> None:
    # with a torch of a newer CUDA beside it, the driver is too old, citing the virtual-package line
    text = PYTORCH_67997 + "PyTorch version: 1.10.0+cu113\nCUDA used to build PyTorch: 11.3\n"
    code, env = _run(text)
    assert code == 1
    f = env["findings"][0]
    assert f["id"] == "driver_too_old" and f["severity"] == "error"
    assert 5 in [e["line"] for e in f["evidence"]]


# --------------------------------------------------------------------------- a Jetson whose torch sees no CUDA

# Lmy0217/PyTorch-aarch64#3: a third-party aarch64 wheel on a Jetson Nano; the maintainer: it "only support cpu".
AARCH64_3 = (
    "I successfully install the torch on my jetson nano(Jetpack 4.4 [L4T 32.4.3]),but cuda.is_available() returns "
    "false\n"
)


def test_a_jetson_whose_named_torch_sees_no_cuda_is_a_cpu_build_warning() -> None:
    code, env = _run(AARCH64_3 + "pip list | grep torch\ntorch            1.6.0\n")
    assert code == 0
    assert _found(env) == [("cpu_build_on_gpu", "warn", [1, 3])], _found(env)
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu"
    assert "built for its JetPack" in env["findings"][0]["message"]
    assert env["data"]["verdict"]["settle"].startswith("python -c")


def test_a_jetson_torch_the_paste_does_not_name_is_no_cpu_build() -> None:
    _, env = _run(AARCH64_3)
    assert not any(f["id"] == "cpu_build_on_gpu" for f in env["findings"]), env["findings"]


def test_a_jetson_torch_with_a_cuda_build_is_not_called_a_cpu_build() -> None:
    _, env = _run(AARCH64_3 + "torch.__version__ -> '2.5.0a0+872d972e41.nv24.08'\ntorch.version.cuda -> 12.6\n")
    assert not any(f["id"] == "cpu_build_on_gpu" for f in env["findings"]), env["findings"]


def test_cuda_unavailable_on_a_desktop_gpu_is_not_the_jetson_reading() -> None:
    _, env = _run("GPU 0: NVIDIA GeForce RTX 3090\ncuda.is_available() returns false\n")
    assert not any("Jetson" in f["message"] for f in env["findings"]), env["findings"]

"""`envtool diagnose` on forms a seventh held-out batch of real pastes showed, each inlined as far as the test
needs it, with its thread and how the thread settled the cause; and the near misses each rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# JoshuaKimsey/Linux-StableDiffusion-Script#17: torch's "no driver" on a machine with an AMD card only (the
# maintainer: the script is for NVIDIA only).
AMD_VEGA_17 = (
    "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a "
    "driver from http://www.nvidia.com/Download/index.aspx\n"
    "\n"
    "I have an AMD Card \n"
    "\n"
    "The card I have is : AMD Vega 20 radeon VII \n"
)


def test_no_driver_with_only_an_amd_card_named_is_no_gpu() -> None:
    code, env = _run(AMD_VEGA_17)
    assert env["data"]["verdict"]["cause"] == "no_gpu", env["data"]["verdict"]
    assert ("no_gpu", "warn", [1, 3]) in _found(env), _found(env)
    assert not any(f["id"] == "no_driver" for f in env["findings"]), env["findings"]
    assert code == 0


def test_the_profile_for_another_vendors_gpu_named_in_prose_is_undetermined() -> None:
    _, env = _run(AMD_VEGA_17)
    rec = env["data"]["recommended_profile"]
    assert rec["name"] is None and "another vendor's GPU (line 3)" in rec["reasons"][0], rec


def test_a_cpu_line_naming_radeon_graphics_is_no_other_gpu() -> None:
    # An APU's CPU line ("with Radeon Graphics") says nothing of the discrete GPU a laptop may also have.
    text = AMD_VEGA_17.split("\n\n")[0] + "\nModel name: AMD Ryzen 7 5800H with Radeon Graphics\n"
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_driver", env["data"]["verdict"]


# gpustack/gpustack#2134: a stray nvidia-smi on a Windows machine whose only GPU is an AMD 7900XTX (the
# maintainer: "the environment is being detected as CUDA").
GPUSTACK_2134 = (
    "**AMD gpu can't force GPU to run gpustack**\n"
    "4. feedback log :2025-06-03T10:35:19+08:00 - gpustack.worker.worker_manager - ERROR - Failed to get GPU devices "
    "while start rpc servers: Failed to execute ['nvidia-smi', '--format=csv,noheader', '--query-gpu=index,name']: "
    "Unexpected return code: 9, stdout: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
    "driver. Make sur\n"
    "- OS: win11 24H2 26100.4061\n"
    "- GPU:7900XTX\n"
)


def test_nvidia_smi_failing_where_only_an_amd_gpu_is_named_is_no_gpu() -> None:
    _, env = _run(GPUSTACK_2134)
    assert env["data"]["verdict"]["cause"] == "no_gpu", env["data"]["verdict"]
    assert not any(f["id"] == "no_driver" for f in env["findings"]), env["findings"]


def test_nvidia_smi_failing_beside_an_nvidia_gpu_stays_no_driver() -> None:
    _, env = _run(GPUSTACK_2134.replace("- GPU:7900XTX", "- GPU: RTX 4090"))
    assert env["data"]["verdict"]["cause"] == "no_driver", env["data"]["verdict"]


# illinois-scicomp/machine-shop-maintenance#70: the loaded kernel module and Debian's nvidia-smi package at two
# versions (fixed by finishing the install: `sudo apt install --fix-broken`).
MODULE_70 = (
    "So, there does seem to be a mismatch:\n"
    "```console\n"
    "kgk2@bock:~$ cat /proc/driver/nvidia/version \n"
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  520.56.06  Thu Oct  6 21:38:55 UTC 2022\n"
    "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14) \n"
    "kgk2@bock:~$ dpkg -l nvidia-smi\n"
    "Desired=Unknown/Install/Remove/Purge/Hold\n"
    "| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n"
    "|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n"
    "||/ Name           Version      Architecture Description\n"
    "+++-==============-============-============-==================================\n"
    "ii  nvidia-smi     525.85.12-1  amd64        NVIDIA System Management Interface\n"
    "```\n"
)


def test_kernel_module_and_user_space_package_at_two_versions_is_no_driver() -> None:
    code, env = _run(MODULE_70)
    assert env["data"]["verdict"]["cause"] == "no_driver", env["data"]["verdict"]
    assert ("no_driver", "error", [4, 12]) in _found(env), _found(env)
    finding = next(f for f in env["findings"] if f["id"] == "no_driver")
    assert "520.56.06" in finding["message"] and "525.85.12" in finding["message"], finding["message"]
    assert code == 1


def test_kernel_module_and_user_space_package_at_one_version_is_no_finding() -> None:
    _, env = _run(MODULE_70.replace("525.85.12-1", "520.56.06-1"))
    assert not any(f["id"] == "no_driver" for f in env["findings"]), env["findings"]


def test_a_working_nvidia_smi_banner_outweighs_the_package_list() -> None:
    banner = "| NVIDIA-SMI 525.85.12    Driver Version: 525.85.12    CUDA Version: 12.0     |\n"
    _, env = _run(MODULE_70 + banner)
    assert not any(f["id"] == "no_driver" for f in env["findings"]), env["findings"]


# system123/SOMatch#7: a CUDA image run without GPU access (the repo owner: "run docker using the
# `--runtime=nvidia` argument").
SOMATCH_7 = (
    "I ran : \n"
    "docker run -it pytorch/pytorch:1.1.0-cuda10.0-cudnn7.5-runtime /bin/bash\n"
    "\n"
    "And : echo $CUDA_HOME\n"
    "\n"
    "with an empty result.\n"
)


def test_a_cuda_image_run_without_gpu_access_is_a_container_warning() -> None:
    code, env = _run(SOMATCH_7)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", env["data"]["verdict"]
    assert ("container_without_gpu", "warn", [2]) in _found(env), _found(env)
    assert env["data"]["verdict"]["settle"] == "docker run --rm --gpus all IMAGE nvidia-smi"
    assert code == 0


def test_a_cuda_image_run_with_gpus_gets_no_container_finding() -> None:
    _, env = _run(SOMATCH_7.replace("docker run -it", "docker run --gpus all -it"))
    assert not any(f["id"] == "container_without_gpu" for f in env["findings"]), env["findings"]


def test_a_plain_image_run_is_no_container_finding() -> None:
    _, env = _run(SOMATCH_7.replace("pytorch/pytorch:1.1.0-cuda10.0-cudnn7.5-runtime", "ubuntu:22.04"))
    assert not any(f["id"] == "container_without_gpu" for f in env.get("findings", [])), env


# sonoisa/arm64-docker-pytorch-tensorflow#3: MPS asked for inside Docker on an M1 Mac (the maintainer: "the M1
# Mac GPU is not available in Docker containers").
MPS_DOCKER_3 = (
    "ubuntu@6c43f6619444:~$ python\n"
    "Python 3.8.10 (default, Jun 22 2022, 20:18:18)\n"
    ">>> import platform\n"
    ">>> platform.platform()\n"
    "'Linux-5.15.49-linuxkit-aarch64-with-glibc2.29'\n"
    ">>> import torch\n"
    ">>> torch.backends.mps.is_available()\n"
    "False\n"
)


def test_mps_unavailable_where_torch_runs_on_linux() -> None:
    code, env = _run(MPS_DOCKER_3)
    assert env["data"]["verdict"]["cause"] == "mps_unavailable", env["data"]["verdict"]
    assert ("mps_unavailable", "error", [5, 8]) in _found(env), _found(env)
    finding = next(f for f in env["findings"] if f["id"] == "mps_unavailable")
    assert "linuxkit" in finding["message"], finding["message"]
    assert code == 1


def test_mps_available_is_no_finding() -> None:
    _, env = _run(MPS_DOCKER_3.replace("False\n", "True\n"))
    assert not any(f["id"] == "mps_unavailable" for f in env["findings"]), env["findings"]


# pytorch/pytorch#96964: rocBLAS without the 7900XTX's gfx1100 kernel library in torch 2.0.0's ROCm wheel (AMD's
# sunway513: "7900xtx (Navi31) is not yet supported by ROCm stack").
ROCBLAS_96964 = (
    "```\n"
    "rocBLAS error: Cannot read /home/kali/miniconda3/envs/pytorch2/lib/python3.9/site-packages/torch/lib/rocblas/"
    "library/TensileLibrary.dat: No such file or directory\n"
    "```\n"
    "\n"
    "It is found that the reason is the lack of the rocblas library file with the architecture of gfx1100\n"
    "\n"
    "GPU\uff1aAMD 7900XTX\n"
    "Pytorch: 2.0.0\n"
)


def test_rocblas_without_the_gpus_tensile_library_is_an_arch_warning() -> None:
    _, env = _run(ROCBLAS_96964)
    assert env["data"]["verdict"]["cause"] == "arch_unsupported", env["data"]["verdict"]
    assert ("arch_unsupported", "warn", [2, 5]) in _found(env), _found(env)
    finding = next(f for f in env["findings"] if f["id"] == "arch_unsupported")
    assert "gfx1100" in finding["message"] and "rocBLAS" in finding["message"], finding["message"]

"""The forms a second batch of real pastes showed the readers losing, each with a few lines of the real paste.

The upper-case constants are cut from the thread named in the comment above each (lines kept as the
reporter pasted them, fewer of them and trailing blanks aside), so a case fails when that form stops being
read, whatever the rest of the paste held. The short strings inside the tests are variants written for the
case: the same form with another value, or the near miss that must not be read.
"""

from __future__ import annotations

import pytest

from envtool import paste_rules
from envtool.diagnose import read_paste
from envtool.errors import BadInputError
from envtool.model import Severity

# pytorch/pytorch#37212 (comment by WenmuZhou): collect_env's first key typed without its colon,
# the GPU list with full-width colons.
COLLECT_ENV_NO_COLON = """install command is `pip3 install torch`
outptu of `python -m torch.utils.collect_env` is
```sh
PyTorch version 1.5.0
Is debug build: No
CUDA used to build PyTorch: 10.2

Os: Ubuntu 18.04.3 LTS
GCC version: (Ubuntu 7.4.0-1ubuntu1~18.04.1) 7.4.0
CMake version: version 3.10.2

Python version: 3.6
Is CUDA available: No
CUDA runtime version: 10.0.130
GPU models and configuration:
GPU 0\uff1a Tesla P100-PCIE-16GB
GPU 1\uff1a Tesla P100-PCIE-16GB
GPU 2\uff1a Tesla P100-PCIE-16GB
GPU 3\uff1a Tesla P100-PCIE-16GB

Nvidia driver version: 410.104
cuDNN version: /usr/lib/x86_64-linux-gnu/libcudnn.so.7.6.5

Version of relevant libraries:
[pip3] numpy==1.17.4
[pip3] torch==1.5.0
[pip3] torchvision==0.6.0
[conda] Could not collect
```
"""


def _ids(text: str) -> list[tuple[str, Severity]]:
    paste = read_paste(text)
    findings, _ = paste_rules.diagnose_paste(paste.facts, paste.signs)
    return [(f.id, f.severity) for f in findings]


def _told(text: str) -> dict[str, tuple[str, int | None]]:
    return {what: (value, line) for what, value, line in read_paste(text).told}


# --------------------------------------------------------------------------- P3e: "PyTorch version 1.5.0"


def test_collect_envs_first_key_without_its_colon_joins_the_build() -> None:
    paste = read_paste(COLLECT_ENV_NO_COLON)
    torch = paste.facts.python.torch
    assert torch is not None and (torch.version, torch.cuda) == ("1.5.0", "10.2")
    assert _told(COLLECT_ENV_NO_COLON)["torch"] == ("1.5.0 (CUDA 10.2)", 4)
    # 410.104 runs CUDA 10.0 at most: the thread's cause, once the build's CUDA is on the torch row.
    assert ("driver_too_old", Severity.ERROR) in _ids(COLLECT_ENV_NO_COLON)


def test_a_colon_less_torch_version_needs_the_reports_other_keys() -> None:
    # Prose and a lone hand-typed line are not collect_env's field.
    prose = "PyTorch version 1.5.0 is broken\nCUDA used to build PyTorch: 10.2\nNvidia driver version: 410.104\n"
    assert read_paste(prose).facts.python.torch is None
    lone = "PyTorch version 1.5.0\nCUDA used to build PyTorch: 10.2\n"
    assert read_paste(lone).facts.python.torch is None
    # The header alone is evidence enough.
    headed = "Collecting environment information...\nPyTorch version 2.1.0+cu121\nIs CUDA available: True\n"
    torch = read_paste(headed).facts.python.torch
    assert torch is not None and (torch.version, torch.cuda) == ("2.1.0+cu121", "12.1")


def test_a_report_with_the_colon_keeps_its_own_field() -> None:
    text = COLLECT_ENV_NO_COLON.replace("Is debug build: No", "PyTorch version: 1.6.0\nIs debug build: No")
    torch = read_paste(text).facts.python.torch
    assert torch is not None and torch.version == "1.6.0"


# --------------------------------------------------------------------------- P8: "E. Thread"

# cBio/cbio-cluster#144: a 2014 banner (driver 340, no CUDA column) with the GPU in Exclusive_Thread mode.
BANNER_2014_E_THREAD = """+------------------------------------------------------+
| NVIDIA-SMI 340.29     Driver Version: 340.29         |
|-------------------------------+----------------------+----------------------+
| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |
| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |
|===============================+======================+======================|
|   0  GeForce GTX TITAN   Off  | 0000:03:00.0     N/A |                  N/A |
| 57%   79C    P0    N/A /  N/A |    362MiB /  6143MiB |     N/A    E. Thread |
+-------------------------------+----------------------+----------------------+
"""


def test_exclusive_thread_mode_is_an_exclusive_mode() -> None:
    paste = read_paste(BANNER_2014_E_THREAD)
    assert [e.line for e in paste.signs["exclusive_mode"]] == [8]
    assert ("exclusive_process_mode", Severity.WARN) in _ids(BANNER_2014_E_THREAD)
    busy = 'it is cancelled with an "Error selecting compatible GPU all CUDA-capable devices are busy or unavailable"\n'
    assert ("exclusive_process_mode", Severity.ERROR) in _ids(busy + BANNER_2014_E_THREAD)


def test_exclusive_thread_in_the_query_and_q_forms() -> None:
    q = "GPU 00000000:03:00.0\n    Product Name                    : GeForce GTX TITAN\n"
    assert "exclusive_mode" in read_paste(q + "    Compute Mode                    : Exclusive_Thread\n").signs
    assert "exclusive_mode" not in read_paste(q + "    Compute Mode                    : Default\n").signs
    csv = "name, compute_mode\nGeForce GTX TITAN, Exclusive_Thread\n"
    assert "exclusive_mode" in read_paste(csv).signs
    # The default and prohibited modes are no exclusive mode.
    default = BANNER_2014_E_THREAD.replace("E. Thread", "  Default")
    assert "exclusive_mode" not in read_paste(default).signs
    prohibited = BANNER_2014_E_THREAD.replace("  E. Thread", "Prohibited")
    assert "exclusive_mode" not in read_paste(prohibited).signs


# --------------------------------------------------------------------------- P9a: each told row its own line

# jade-hpc-gpu/jade-hpc-gpu.github.io#73 (comment by qizhuli): a banner with two GPUs, each in E. Process.
BANNER_2019_TWO_GPUS = """`nvidia-smi` returns the following:
```
+-----------------------------------------------------------------------------+
| NVIDIA-SMI 384.145                Driver Version: 384.145                   |
|-------------------------------+----------------------+----------------------+
| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |
| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |
|===============================+======================+======================|
|   0  Tesla V100-SXM2...  On   | 00000000:06:00.0 Off |                    0 |
| N/A   39C    P0    72W / 300W |   1092MiB / 16152MiB |      0%   E. Process |
+-------------------------------+----------------------+----------------------+
|   1  Tesla V100-SXM2...  On   | 00000000:07:00.0 Off |                    0 |
| N/A   38C    P0    44W / 300W |     10MiB / 16152MiB |      0%   E. Process |
+-------------------------------+----------------------+----------------------+
"""


def test_every_gpu_of_a_list_keeps_its_own_line() -> None:
    rows = [(w, line) for w, _, line in read_paste(BANNER_2019_TWO_GPUS).told if w.startswith("GPU")]
    assert rows == [("GPU 0", 9), ("GPU 1", 12)]
    rows = [(w, line) for w, _, line in read_paste(COLLECT_ENV_NO_COLON).told if w.startswith("GPU")]
    assert rows == [("GPU 0", 16), ("GPU 1", 17), ("GPU 2", 18), ("GPU 3", 19)]
    listed = "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-1)\nGPU 1: NVIDIA A100-SXM4-80GB (UUID: GPU-2)\n"
    assert [line for w, _, line in read_paste(listed).told if w.startswith("GPU")] == [1, 2]
    pci = (
        "01:00.0 VGA compatible controller: NVIDIA Corporation GA102 [GeForce RTX 3090] (rev a1)\n"
        "02:00.0 VGA compatible controller: NVIDIA Corporation GA102 [GeForce RTX 3090] (rev a1)\n"
    )
    assert [line for w, _, line in read_paste(pci).told if w.startswith("GPU")] == [1, 2]


# pytorch/pytorch#157775: a Windows collect_env whose cuDNN is only a DLL's major ("8"), under a Python line
# that holds an 8 too.
COLLECT_ENV_WINDOWS_CUDNN_DLL = """PyTorch version: 2.7.1+xpu
Is debug build: False
CUDA used to build PyTorch: Could not collect
ROCM used to build PyTorch: N/A

OS: Microsoft Windows 11 \u4e13\u4e1a\u7248 (10.0.26100 64 \u4f4d)
GCC version: Could not collect
Clang version: Could not collect
CMake version: version 3.24.3
Libc version: N/A

Python version: 3.10.13 | packaged by Anaconda, Inc. | (main, Sep 11 2023, 13:24:38) [MSC v.1916 64 bit (AMD64)] \
(64-bit runtime)
Python platform: Windows-10-10.0.26100-SP0
Is CUDA available: False
CUDA runtime version: 11.8.89
CUDA_MODULE_LOADING set to: N/A
GPU models and configuration: Could not collect
Nvidia driver version: Could not collect
cuDNN version: C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.8\\bin\\cudnn_ops_train64_8.dll
HIP runtime version: N/A
"""


def test_the_cudnn_row_points_at_the_cudnn_line() -> None:
    told = _told(COLLECT_ENV_WINDOWS_CUDNN_DLL)
    assert told["cuDNN"] == ("8", 19)
    assert told["Python"] == ("3.10.13", 12)
    repl = ">>> import torch\n>>> torch.__version__\n'2.0.1'\n>>> torch.backends.cudnn.version()\n8600\n"
    assert _told(repl)["cuDNN"] == ("8.6.0", 5)
    # A mention further into a line (a traceback path, a note) gives way to the line that states the field.
    bullets = (
        '  File "/home/caomeng/anaconda3/envs/maskrcnn_benchmark/lib/python3.7/site-packages/torch/__init__.py"\n'
        " - PyTorch version: 1.0.1\n - Python version: 3.7\n"
    )
    assert _told(bullets)["Python"] == ("3.7", 3)
    noted = (
        "notes: two RTX 4090, driver 560.35.03, a system CUDA 12.1.105 runtime and system cuDNN 8.9.7\n"
        "cuDNN version: Probably one of the following:\n/usr/lib/libcudnn.so.8.9.7\n"
    )
    assert _told("PyTorch version: 2.4.0+cpu\n" + noted)["cuDNN"] == ("8.9.7", 4)


# --------------------------------------------------------------------------- P3c: a GPU under any key

# DeepVAC/TorchPod#43: the environment typed as Chinese bullets.
CHINESE_BULLETS = """# ENV
- \u663e\u5361\u578b\u53f7: GeForce GTX 1650
- \u9a71\u52a8\u7248\u672c: Driver Version: 460.80
"""


def test_a_gpu_model_under_any_key_is_a_gpu_the_table_knows() -> None:
    paste = read_paste(CHINESE_BULLETS)
    gpus = paste.facts.nvidia.gpus
    assert [(g.name, g.compute_capability) for g in gpus] == [("GeForce GTX 1650", "7.5")]
    assert _told(CHINESE_BULLETS)["GPU 0"] == ("GeForce GTX 1650 (compute capability 7.5)", 2)
    # The hand-typed "TI" spelled as the table does.
    gpus = read_paste("Model: GeForce GTX 1080TI\n").facts.nvidia.gpus
    assert [(g.name, g.compute_capability) for g in gpus] == [("GeForce GTX 1080 Ti", "6.1")]


def test_a_value_the_table_does_not_know_is_no_gpu() -> None:
    # NVIDIA/nvidia-docker#1066: "gpu:  1050TI" names no brand, and the table has no 1050 Ti.
    assert (
        read_paste(
            "nvidia Driver Version:       384.111\ngpu:                                  1050TI\n"
        ).facts.nvidia.gpus
        == ()
    )
    for text in ("Note: GeForce RTX 9999\n", "Error: GeForce RTX 3090 is what I bought last year\n"):
        assert read_paste(text + "Driver Version: 535.54.03\n").facts.nvidia.gpus == ()


def test_a_gpu_under_a_key_is_not_a_second_gpu_beside_another_reader() -> None:
    banner = "|   0  GeForce GTX 1650    Off  | 00000000:01:00.0 Off |                  N/A |\n"
    typed = "GPU: GeForce GTX 1650\n"
    for text in (banner + CHINESE_BULLETS, CHINESE_BULLETS + banner, typed + CHINESE_BULLETS, banner + typed):
        assert [g.name for g in read_paste(text).facts.nvidia.gpus] == ["GeForce GTX 1650"], text
    # A report's own GPU field wins; the bullet adds no GPU.
    report = "PyTorch version: 2.1.0\nGPU models and configuration: GPU 0: NVIDIA GeForce GTX 1650\n" + CHINESE_BULLETS
    assert [g.name for g in read_paste(report).facts.nvidia.gpus] == ["NVIDIA GeForce GTX 1650"]


# --------------------------------------------------------------------------- P3a: a branch from an install command

# NVIDIA/nvidia-docker#747: the host's driver as the reporter installed it, a Caffe error, lspci.
INSTALL_COMMAND_K80 = """My host (18.04) is configured as follows:
sudo apt-get -y install nvidia-driver-396 nvidia-modprobe nvidia-docker2

I get the following core dump:
F0524 09:04:15.975416  9945 common.cpp:152] Check failed: error == cudaSuccess (35 vs. 0)  CUDA driver version is \
insufficient for CUDA runtime version
00:1e.0 3D controller: NVIDIA Corporation GK210GL [Tesla K80] (rev a1)
"""


def test_an_install_command_tells_the_driver_branch_not_its_version() -> None:
    paste = read_paste(INSTALL_COMMAND_K80)
    assert [e.line for e in paste.signs["driver_branch:396"]] == [2]
    assert _told(INSTALL_COMMAND_K80)["NVIDIA driver branch"] == ("396 (from an install command)", 2)
    # 396.18 and 396.54 run different CUDA: the branch is no driver version for the rules.
    assert paste.facts.nvidia.driver_version is None
    for line, branch in (
        ("sudo apt install nvidia-utils-510", "510"),
        ("apt-get install -y --no-install-recommends nvidia-headless-535-server", "535"),
        ("sudo apt install nvidia-driver-550-open", "550"),
    ):
        assert f"driver_branch:{branch}" in read_paste(line + "\n" + INSTALL_COMMAND_K80).signs, line


def test_a_removal_or_a_version_is_no_install_branch() -> None:
    for line in ("sudo apt purge nvidia-driver-396", "sudo apt-get remove nvidia-utils-510", "see nvidia-driver-396"):
        assert not any(t.startswith("driver_branch") for t in read_paste(line + "\nDriver Version: 535\n").signs), line
    # A full driver version wins the told rows; the branch row is only for a paste without one.
    text = INSTALL_COMMAND_K80 + "| NVIDIA-SMI 396.54       Driver Version: 396.54       CUDA Version: 9.2     |\n"
    told = _told(text)
    assert told["NVIDIA driver"][0] == "396.54" and "NVIDIA driver branch" not in told
    # An install command alone is no report.
    with pytest.raises(BadInputError):
        read_paste("sudo apt install nvidia-utils-510\n")


# --------------------------------------------------------------------------- P7: names nvidia-smi cut

# NVIDIA/libnvidia-container#131: a 2020 banner whose GPU name nvidia-smi cut to fit its column.
CUT_2080 = "|   0  GeForce RTX 208...  Off  | 00000000:19:00.0 Off |                  N/A |\n"
# pytorch/pytorch#68611: the WDDM banner, name cut.
CUT_1050 = "|   0  GeForce GTX 105... WDDM  | 00000000:01:00.0 Off |                  N/A |\n"
# Atinoda/text-generation-webui-docker#37: a banner of the CUDA 11 era, only the brand left.
CUT_BRAND = "|   0  NVIDIA GeForce ...  On   | 00000000:01:00.0 Off |                  Off |\n"


def test_a_cut_name_is_shown_as_cut() -> None:
    assert _told(CUT_2080)["GPU 0"] == ("GeForce RTX 208\u2026 (name cut by nvidia-smi)", 1)
    assert _told(CUT_BRAND)["GPU 0"] == ("NVIDIA GeForce\u2026 (name cut by nvidia-smi)", 1)
    # A full name is no cut one.
    full = "|   0  Tesla K80           On   | 00000000:01:00.0 Off |                    0 |\n"
    assert _told(full)["GPU 0"] == ("Tesla K80 (compute capability 3.7)", 1)


def test_a_cut_name_gets_a_capability_only_where_the_table_settles_it() -> None:
    # 2080 Ti and 2080 SUPER both start so (the SUPER's capability is unknown to the table): no capability.
    assert read_paste(CUT_2080).facts.nvidia.gpus[0].compute_capability is None
    assert read_paste(CUT_BRAND).facts.nvidia.gpus[0].compute_capability is None
    # Only the GTX 1050 starts so.
    assert _told(CUT_1050)["GPU 0"] == ("GeForce GTX 105\u2026 (name cut by nvidia-smi; compute capability 6.1)", 1)
    # "NVIDIA A10..." may be an A100 (8.0) as well as an A10 (8.6), which the table's pattern alone would take.
    cut_a10 = "|   0  NVIDIA A10...  On  | 00000000:01:00.0 Off |                    0 |\n"
    gpu = read_paste(cut_a10).facts.nvidia.gpus[0]
    assert (gpu.name, gpu.compute_capability) == ("NVIDIA A10", None)
    # Every model that starts "GeForce GTX 108" (1080, 1080 Ti) is 6.1: settled.
    cut_1080 = "|   0  GeForce GTX 108...  Off  | 00000000:01:00.0  On |                  N/A |\n"
    assert read_paste(cut_1080).facts.nvidia.gpus[0].compute_capability == "6.1"
    # The V100-PCIE rows keep their name and capability.
    v100 = "|   1  Tesla V100-PCIE...  Off  | 00000000:86:00.0 Off |                    0 |\n"
    gpu = read_paste(v100).facts.nvidia.gpus[0]
    assert (gpu.name, gpu.compute_capability) == ("Tesla V100-PCIE", "7.0")


# --------------------------------------------------------------------------- P4b: a banner's CUDA above its driver's

# SYSTRAN/faster-whisper#653: the banner line as typed; a 470 driver's own CUDA is 11.4.
BANNER_470_CUDA_12_1 = "NVIDIA-SMI 470.57.02    Driver Version: 470.57.02    CUDA Version: 12.1  \n"
# NVIDIA/libnvidia-container#131: inside nvidia/cuda:11.2.2, a 450 driver (own CUDA 11.0) shows 11.2.
BANNER_450_CUDA_11_2 = "| NVIDIA-SMI 450.102.04   Driver Version: 450.102.04   CUDA Version: 11.2     |\n"


def test_a_banner_cuda_above_the_drivers_own_is_a_compat_libcuda() -> None:
    for text, own in ((BANNER_470_CUDA_12_1, "11.4"), (BANNER_450_CUDA_11_2, "11.0")):
        paste = read_paste(text)
        assert [e.line for e in paste.signs["compat_libcuda"]] == [1]
        cuda, line = _told(text)["driver's CUDA"]
        assert line == 1 and f"above the {own} of driver" in cuda and "forward-compatibility" in cuda


def test_a_banner_at_its_drivers_own_cuda_is_no_compat_libcuda() -> None:
    for text in (
        "| NVIDIA-SMI 470.57.02    Driver Version: 470.57.02    CUDA Version: 11.4     |\n",
        "| NVIDIA-SMI 535.54.03    Driver Version: 535.54.03    CUDA Version: 12.2     |\n",
        "| NVIDIA-SMI 461.72       Driver Version: 461.72       CUDA Version: 11.2     |\n",  # Windows numbering
        "Driver Version: 535 / CUDA 12.2\n",  # a bare branch is no version to compare
    ):
        assert "compat_libcuda" not in read_paste(text).signs, text
    # A Jetson's driver (JetPack 6: 540.4.0 with CUDA 12.6) is numbered apart from the desktop table.
    jetson = (
        "| NVIDIA-SMI 540.4.0                Driver Version: 540.4.0      CUDA Version: 12.6     |\n"
        "|   0  Orin (nvgpu)                  N/A  | N/A              N/A |                  N/A |\n"
    )
    assert "compat_libcuda" not in read_paste(jetson).signs
    orin = "| NVIDIA-SMI 540.45.01   Driver Version: 540.45.01   CUDA Version: 12.6     |\nJetson AGX Orin\n"
    assert "compat_libcuda" not in read_paste(orin).signs

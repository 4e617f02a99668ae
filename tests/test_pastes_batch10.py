"""`envtool diagnose` on forms a tenth held-out batch of real pastes showed (and two misses of the seventh), each
inlined as far as the test needs it, with its thread and how the thread settled the cause; and the near misses each
rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found
from envtool_cli import told_rows as _rows

# pytorch/pytorch#28195: torch 1.0 (CUDA 9.0) saw the GPU, torch 1.2 (CUDA 10.0) on the same machine does not;
# the reporter says torch called the driver too old.
TWO_BUILDS_28195 = (
    "when i use pytorch1.0 and enter the following commands\uff1a\n"
    ">>> import torch\n"
    ">>> print(torch.__version__)\n"
    "1.0.0.dev20190102\n"
    ">>> torch.cuda.is_available()\n"
    "True\n"
    ">>> print(torch.version.cuda)\n"
    "9.0.176\n"
    ">>> exit()\n"
    "after i update pythorch to version1.2,and enter the following commands:\n"
    "print(torch.__version__)\n"
    "1.2.0\n"
    ">>> torch.cuda.is_available()\n"
    "False\n"
    ">>> print(torch.version.cuda)\n"
    "10.0.130\n"
    ">>> exit()\n"
)
TOLD_28195 = "\nwhen i run my program\uff0cthe msg is that my Nvidia version is too old.\n"


def test_two_builds_one_seeing_the_gpu_read_the_one_that_fails() -> None:
    _, env = _run(TWO_BUILDS_28195)
    rows = _rows(env)
    assert rows["torch"] == ("1.2.0 (CUDA 10.0)", 12), rows
    assert rows["CUDA available"] == ("False", 14), rows  # the row's line shows its value


def test_an_older_cuda_build_that_worked_makes_the_driver_the_likely_cause() -> None:
    code, env = _run(TWO_BUILDS_28195)
    v = env["data"]["verdict"]
    assert v["cause"] == "driver_too_old", v
    assert v["settle"] == "nvidia-smi", v
    (f,) = [f for f in env["findings"] if f["id"] == "driver_too_old"]
    assert f["severity"] == "warn", f  # no line shows the driver's version
    assert {6, 14} <= {e["line"] for e in f["evidence"]}, f
    assert "CUDA 9.0" in f["message"] and "CUDA 10.0" in f["message"], f["message"]
    assert "410.48" in f["fix"], f["fix"]  # CUDA 10.0's Linux driver floor
    assert code == 0  # a warning does not fail the command


def test_the_same_build_printing_true_and_false_is_no_driver_finding() -> None:
    # one torch, is_available() True and later False (CUDA_VISIBLE_DEVICES, a crash): nothing about the driver
    same = TWO_BUILDS_28195.replace("1.2.0\n", "1.0.0.dev20190102\n").replace("10.0.130", "9.0.176")
    _, env = _run(same)
    assert "driver_too_old" not in {f["id"] for f in env["findings"]}, _found(env)
    assert _rows(env)["CUDA available"] == ("False", 14)


def test_a_newer_build_that_worked_is_no_driver_finding() -> None:
    # the build that fails is the older one: the driver runs the newer CUDA, so it is not too old
    swapped = TWO_BUILDS_28195.replace("9.0.176", "X").replace("10.0.130", "9.0.176").replace("X", "10.0.130")
    _, env = _run(swapped)
    assert "driver_too_old" not in {f["id"] for f in env["findings"]}, _found(env)


def test_the_reporters_words_for_torchs_driver_message_are_a_warning() -> None:
    text = ">>> import torch\n>>> torch.__version__\n'1.2.0'\n>>> torch.version.cuda\n'10.0.130'\n" + TOLD_28195
    _, env = _run(text)
    assert ("driver_too_old", "warn", [3, 5, 7]) in _found(env) or env["data"]["verdict"]["cause"] == "driver_too_old"
    (f,) = [f for f in env["findings"] if f["id"] == "driver_too_old"]
    assert 7 in {e["line"] for e in f["evidence"]}, f


def test_a_question_about_the_driver_is_no_finding() -> None:
    text = ">>> import torch\n>>> torch.version.cuda\n'10.0.130'\nIs my nvidia driver too old?\n"
    _, env = _run(text)
    assert "driver_too_old" not in {f["id"] for f in env["findings"]}, _found(env)


def test_a_banner_that_shows_the_driver_decides_over_the_reporters_words() -> None:
    # the banner's CUDA 12.2 runs torch's CUDA 11.8: the table decides, the prose does not
    text = (
        "| NVIDIA-SMI 535.104.05   Driver Version: 535.104.05   CUDA Version: 12.2     |\n"
        ">>> torch.version.cuda\n'11.8'\nmy driver is too old\n"
    )
    _, env = _run(text)
    assert "driver_too_old" not in {f["id"] for f in env["findings"]}, _found(env)


# pytorch/pytorch#31243: torch.cuda.is_available() False and nothing else (the driver was 410.48, said later).
UNAVAILABLE_31243 = (
    "$ pip install torch===1.3.0 torchvision===0.4.1 -f https://download.pytorch.org/whl/torch_stable.html\n"
    "$ python3\n"
    ">>> import torch\n"
    ">>> torch.cuda.is_available()\n"
    "False\n"
)


def test_cuda_unavailable_with_nothing_else_is_not_a_healthy_verdict() -> None:
    code, env = _run(UNAVAILABLE_31243)
    v = env["data"]["verdict"]
    assert v["cause"] is None, v
    assert "no environment problem found" not in v["summary"], v["summary"]
    assert "line 5" in v["summary"], v["summary"]
    assert v["suspects"] == ["cpu_build_on_gpu", "no_driver", "driver_too_old"], v
    assert v["settle"] == "nvidia-smi", v
    assert code == 0  # no line shows a problem: no finding


def test_cuda_unavailable_on_a_cuda_build_leaves_the_driver_side() -> None:
    _, env = _run(UNAVAILABLE_31243 + ">>> torch.version.cuda\n'10.1'\n")
    assert env["data"]["verdict"]["suspects"] == ["no_driver", "driver_too_old"], env["data"]["verdict"]


def test_cuda_unavailable_on_a_mac_is_healthy() -> None:
    _, env = _run(UNAVAILABLE_31243 + ">>> import platform; platform.platform()\n'macOS-14.2-arm64-arm-64bit'\n")
    assert env["data"]["verdict"]["summary"].startswith("no environment problem found"), env["data"]["verdict"]


def test_cuda_unavailable_on_a_cpu_build_is_the_cpu_builds_question() -> None:
    _, env = _run(UNAVAILABLE_31243 + ">>> torch.__version__\n'2.1.0+cpu'\n")
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", env["data"]["verdict"]


# JIA-Lab-research/MGM#91: DeepSpeed's op builder refusing a CUDA 12.2 toolkit for a torch built with CUDA 11.7
# (maintainer: "align them to 11.7 or 12.2").
DEEPSPEED_91 = (
    "deepspeed.ops.op_builder.builder.CUDAMismatchException: >- DeepSpeed Op Builder: Installed CUDA version 12.2 "
    "does not match the version torch was compiled with 11.7, unable to compile cuda/cpp extensions without a "
    "matching cuda version.\n"
    "\n"
    "how should i fix it\n"
)


def test_deepspeeds_cuda_mismatch_is_a_toolkit_mismatch() -> None:
    code, env = _run(DEEPSPEED_91)
    assert env["data"]["verdict"]["cause"] == "toolkit_mismatch", env["data"]["verdict"]
    (f,) = [f for f in env["findings"] if f["id"] == "toolkit_mismatch"]
    assert f["severity"] == "error" and [e["line"] for e in f["evidence"]] == [1], f
    assert "DeepSpeed" in f["message"] and "12.2" in f["message"] and "11.7" in f["message"], f["message"]
    assert "CUDA 11.x toolkit" in f["fix"], f["fix"]
    assert code == 1


# AbdBarho/stable-diffusion-webui-docker#130: compose's `driver: nvidia` on a host without the NVIDIA Container
# Toolkit (reporter: "answer was in the FAQ. >Install NVIDIA Container Toolkit").
COMPOSE_130 = (
    "I tried to run the app with: ```sudo docker compose --profile auto up --build``` and got an error:\n"
    "```Attaching to webui-docker-auto-1```\n"
    '```Error response from daemon: could not select device driver "nvidia" with capabilities: [[gpu]]```\n'
    " - OS: Arch Linux\n"
    " - GPU/VRAM: 16GB RTX A4000\n"
)


def test_compose_asking_for_the_nvidia_driver_without_the_toolkit() -> None:
    _, env = _run(COMPOSE_130)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", env["data"]["verdict"]
    (f,) = [f for f in env["findings"] if f["id"] == "container_without_gpu"]
    assert f["severity"] == "error" and 3 in [e["line"] for e in f["evidence"]], f
    assert "nvidia-ctk runtime configure" in f["fix"], f["fix"]


# aws-samples/aws-deep-learning-ami-ubuntu-dcv-desktop#33: the image lacked Fabric Manager (the repository's own
# issue), told in one sentence with a misplaced backtick.
FABRIC_33 = (
    "Currently `nvidia-fabricmanage`r is not installed so on A100, H100, H200 and B200 instances, CUDA "
    "initialization fails with 802 system error.\n"
)


def test_error_802_told_beside_a_missing_fabric_manager() -> None:
    # told in a sentence, not CUDA's own line: a warning (prose makes no error)
    _, env = _run(FABRIC_33)
    assert env["data"]["verdict"]["cause"] == "fabric_manager_down", env["data"]["verdict"]
    assert ("fabric_manager_down", "warn", [1]) in _found(env), _found(env)


def test_cudas_own_802_beside_a_failed_fabric_manager_is_an_error() -> None:
    text = (
        "RuntimeError: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions before calling "
        "NumCudaDevices() that might have already set an error? Error 802: system not yet initialized\n"
        "nvidia-fabricmanager.service: Failed with result 'exit-code'.\n"
    )
    _, env = _run(text)
    assert ("fabric_manager_down", "error", [1, 2]) in _found(env), _found(env)


def test_error_802_told_alone_is_a_fabric_manager_warning() -> None:
    _, env = _run("After the driver update every job fails: CUDA error 802 on all eight GPUs.\n")
    assert ("fabric_manager_down", "warn", [1]) in _found(env), _found(env)


def test_802_that_is_no_cuda_error_is_no_finding() -> None:
    for text in (
        "CUDA 12.1 trains 802 samples per second on this node\n",
        "the server listens on port 802 and nvidia-smi works\n",
    ):
        _, env = _run(text + "| NVIDIA-SMI 535.104.05   Driver Version: 535.104.05   CUDA Version: 12.2     |\n")
        assert "fabric_manager_down" not in {f["id"] for f in env["findings"]}, (text, _found(env))


# invoke-ai/InvokeAI#22: a Mac told of in prose, and torch's "not compiled with CUDA" retold.
M1_22 = (
    "for fun, i tried to run it on an M1 MBP and it complained that Torch was not compiled with CUDA enabled. it's "
    "unlikely it will work on this machine because it appears to require CUDA\n"
)


def test_a_retold_not_compiled_message_beside_a_gpu_is_a_warning() -> None:
    _, env = _run("my RTX 3060 box complained that Torch was not compiled with CUDA enabled\n")
    assert ("cpu_build_on_gpu", "warn", [1]) in _found(env), _found(env)
    # Quoted, it is torch's own line: an error where the paste names the machine's GPU, in a form or as the reporter's
    # own ("my RTX 3060", as "my GPU is an RTX 3060"); a GPU prose only mentions is not the machine's (a warning).
    _, env = _run("my RTX 3060 box says: AssertionError: Torch not compiled with CUDA enabled\n")
    assert ("cpu_build_on_gpu", "error", [1]) in _found(env), _found(env)
    _, env = _run("unlike the RTX 3060 box, this one says: AssertionError: Torch not compiled with CUDA enabled\n")
    assert ("cpu_build_on_gpu", "warn", [1]) in _found(env), _found(env)
    gpu = "GPU 0: NVIDIA GeForce RTX 3060 (UUID: GPU-1)\n"
    _, env = _run(gpu + "AssertionError: Torch not compiled with CUDA enabled\n")
    assert ("cpu_build_on_gpu", "error", [1, 2]) in _found(env), _found(env)


def test_a_retold_not_compiled_message_on_a_mac_in_prose_is_the_macs_note() -> None:
    _, env = _run(M1_22)
    assert ("no_gpu", "info", [1]) in _found(env), _found(env)
    assert "cpu_build_on_gpu" not in {f["id"] for f in env["findings"]}, _found(env)


def test_a_mac_word_in_prose_is_no_mac() -> None:
    # "machine", "Mac address", "M1 chip" of a car: no Mac
    for line in ("my machine has a GTX 1080", "the MAC address of eth0 changed", "the M1 motorway"):
        _, env = _run(line + "\nRuntimeError: Torch not compiled with CUDA enabled\n")
        assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", (line, env["data"]["verdict"])


# facebookresearch/detectron2#1574: detectron2's collect_env shows torchvision imported from another conda
# environment than torch (maintainer: "Which torchvision is used by `import torchvision` depends on how your
# environment is configured").
D2_RULE = "-" * 100 + "\n"
D2_SPLIT_1574 = (
    'I use the command "wget -nc -q https://github.com/facebookresearch/detectron2/raw/master/detectron2/utils/'
    'collect_env.py && python collect_env.py", the environment as follows:\n'
    + D2_RULE
    + "PyTorch                1.4.0 @/public/home/u/.conda/envs/detectron2/lib/python3.6/site-packages/torch\n"
    "torchvision            0.2.1 @/public/home/u/.conda/envs/CenterNet/lib/python3.6/site-packages/torchvision\n"
    "torchvision            unknown\n" + D2_RULE
)


def test_torchvision_imported_from_another_environment() -> None:
    code, env = _run(D2_SPLIT_1574)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", env["data"]["verdict"]
    # torchvision 0.2.1 is not torch 1.4's (0.5): an error
    assert ("conflicting_installs", "error", [3, 4]) in _found(env), _found(env)
    assert code == 1


def test_torchvision_from_another_folder_that_pairs_is_a_warning() -> None:
    _, env = _run(D2_SPLIT_1574.replace("0.2.1 @", "0.5.0 @"))
    assert ("conflicting_installs", "warn", [3, 4]) in _found(env), _found(env)


def test_torch_and_torchvision_from_one_folder_is_no_finding() -> None:
    same = D2_SPLIT_1574.replace("envs/CenterNet", "envs/detectron2").replace("0.2.1 @", "0.5.0 @")
    _, env = _run(same)
    assert "conflicting_installs" not in {f["id"] for f in env["findings"]}, _found(env)


# detectron2's collect_env as its issue template asks for it (detectron2#3248 on Windows, #722 with sixteen K80s
# on one line, #4854 with the arch flags); the rows are read as the table they are.
D2_WINDOWS_3248 = (
    "----------------------  ------------------------------------------------------------------\n"
    "sys.platform            win32\n"
    "Python                  3.8.10 (tags/v3.8.10:3d8993a, May  3 2021, 11:48:03) [MSC v.1928 64 bit (AMD64)]\n"
    "CUDA compiler           CUDA 11.0\n"
    "detectron2 arch flags   D:\\_DL\\detectron2\\detectron2\\_C.cp38-win_amd64.pyd; cannot find cuobjdump\n"
    "PyTorch                 1.9.0+cu111 @D:\\Program Files (x86)\\Python\\Python38\\lib\\site-packages\\torch\n"
    "GPU available           True\n"
    "GPU 0                   Quadro T2000 with Max-Q Design (arch=7.5)\n"
    "torchvision             0.10.0+cu111 @D:\\Program Files (x86)\\Python\\Python38\\lib\\site-packages\\torchvision\n"
)


def test_detectron2s_table_on_windows() -> None:
    _, env = _run(D2_WINDOWS_3248)
    rows = _rows(env)
    assert rows["torch"] == ("1.9.0+cu111 (CUDA 11.1)", 6), rows
    assert rows["CUDA available"] == ("True", 7), rows
    assert rows["GPU 0"][1] == 8 and "7.5" in rows["GPU 0"][0], rows
    assert rows["nvcc"] == ("11.0", 4), rows
    assert rows["Python"] == ("3.8.10", 3), rows
    assert env["findings"] == [] or all(f["severity"] != "error" for f in env["findings"]), _found(env)


def test_detectron2s_gpu_row_with_many_indexes() -> None:
    text = "CUDA available                             True\nGPU 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15  Tesla K80\n"
    _, env = _run(text)
    gpus = [r for r in env["data"]["told"] if r["what"].startswith("GPU ")]
    assert len(gpus) == 16 and all(r["line"] == 2 and "Tesla K80" in r["value"] for r in gpus), gpus


D2_ARCH_4854 = (
    "CUDA compiler           CUDA 11.8\n"
    "detectron2 arch flags   7.5\n"
    "PyTorch                 1.13.1+cu116 @/usr/local/lib/python3.9/dist-packages/torch\n"
    "GPU available           Yes\n"
    "GPU 0                   Tesla T4 (arch=7.5)\n"
    "Driver version          525.85.12\n"
    "torchvision             0.14.1+cu116 @/usr/local/lib/python3.9/dist-packages/torchvision\n"
    "torchvision arch flags  3.5, 5.0, 6.0, 7.0, 7.5, 8.0, 8.6\n"
)


def test_detectron2_built_for_the_gpu_is_no_arch_finding() -> None:
    _, env = _run(D2_ARCH_4854)
    assert "arch_unsupported" not in {f["id"] for f in env["findings"]}, _found(env)


def test_detectron2_built_only_for_a_newer_gpu() -> None:
    _, env = _run(D2_ARCH_4854.replace("arch flags   7.5", "arch flags   8.6"))
    assert ("arch_unsupported", "error", [2, 5]) in _found(env), _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "arch_unsupported"]
    assert 'TORCH_CUDA_ARCH_LIST="7.5"' in f["fix"], f["fix"]


def test_detectron2_built_only_for_an_older_gpu_may_run_through_ptx() -> None:
    text = D2_ARCH_4854.replace("Tesla T4 (arch=7.5)", "NVIDIA GeForce RTX 3090 (arch=8.6)")
    _, env = _run(text)
    assert ("arch_unsupported", "warn", [2, 5]) in _found(env), _found(env)

"""`envtool diagnose` on containers a held-out batch of real pastes showed: a run without GPU access, a run
without the `compute` capability, and a docker-compose service's own output.

Each paste is inlined as far as the test needs it, with its thread cited.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# floydhub/dl-docker#3: a plain `docker run` (no --gpus, no nvidia-docker), then is_available() False in IPython.
FLOYDHUB_3 = (
    "```\n"
    "$ sudo docker run  -t -i floydhub/pytorch:latest-gpu-py3 ipython\n"
    "Python 3.5.3 (default, Feb 13 2017, 20:35:17) \n"
    "In [1]: import torch\n"
    "\n"
    "In [2]: torch.cuda.is_available()\n"
    "Out[2]: False\n"
    "```\n"
)


def test_cuda_unavailable_after_a_run_without_gpu_access_is_a_container_warning() -> None:
    code, env = _run(FLOYDHUB_3)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", env["data"]["verdict"]
    assert ("container_without_gpu", "warn", [2, 7]) in _found(env), _found(env)
    assert code == 0  # a warning: the daemon's default runtime could still have given the GPU


def test_a_run_with_gpus_then_cuda_unavailable_is_no_container_finding() -> None:
    code, env = _run(FLOYDHUB_3.replace("docker run  -t", "docker run --gpus all -t"))
    assert not any(f["id"] == "container_without_gpu" for f in env["findings"]), env["findings"]


# containerd/nerdctl#1023: `--gpus capabilities=utility,...` gives nvidia-smi but not libcuda (torch sees no GPU).
NERDCTL_1023 = (
    "### Description\n"
    "\n"
    "nerdctl run -it --rm --gpus capabilities=utility,device=GPU-3a23c669-1f69-c64e-cf85-44e9b07e7a2a "
    "nvidia/cuda:9.0-base nvidia-smi\n"
    "\n"
    "when i use python pytorch,torch.cuda.is_available(),return false.\n"
)


def test_gpus_without_the_compute_capability_are_a_container_finding() -> None:
    code, env = _run(NERDCTL_1023)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", env["data"]["verdict"]
    f = next(f for f in env["findings"] if f["id"] == "container_without_gpu")
    assert f["evidence"][0]["line"] == 3 and "compute" in f["fix"], f
    # With the failure shown next to it (torch finds no driver), it is an error.
    code, env = _run(NERDCTL_1023 + "RuntimeError: Found no NVIDIA driver on your system.\n")
    assert ("container_without_gpu", "error", [3, 6]) in _found(env), _found(env)


def test_compute_among_the_capabilities_is_no_finding() -> None:
    for caps in ("compute,utility", "all", "utility,compute"):
        code, env = _run(NERDCTL_1023.replace("capabilities=utility", f"capabilities={caps}"))
        assert not any(f["id"] == "container_without_gpu" for f in env["findings"]), (caps, env["findings"])


# weaviate/weaviate#1736: a docker-compose service's traceback ("qna-transformers_1  | "), torch finds no driver.
WEAVIATE_1736 = (
    "```\n"
    'qna-transformers_1  |   File "/usr/local/lib/python3.9/site-packages/torch/cuda/__init__.py", line 170, in '
    "_lazy_init\n"
    "qna-transformers_1  |     torch._C._cuda_init()\n"
    "qna-transformers_1  | RuntimeError: Found no NVIDIA driver on your system. Please check that you have an "
    "NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx\n"
    "```\n"
)


def test_a_compose_service_finding_no_driver_is_a_container_without_gpu() -> None:
    code, env = _run(WEAVIATE_1736)
    assert code == 1 and env["data"]["verdict"]["cause"] == "container_without_gpu", env["data"]["verdict"]
    ids = _found(env)
    assert ids[0][0] == "container_without_gpu" and 2 in ids[0][2] and 4 in ids[0][2], ids
    # The same error outside any container stays a driver question.
    code, env = _run(WEAVIATE_1736.replace("qna-transformers_1  | ", ""))
    assert env["data"]["verdict"]["cause"] != "container_without_gpu", env["data"]["verdict"]


def test_an_nvidia_smi_table_is_no_compose_output() -> None:
    banner = (
        "| NVIDIA-SMI 535.54.03   Driver Version: 535.54.03   CUDA Version: 12.2 |\n"
        "|   0  Tesla T4            Off  | 00000000:00:1E.0 Off |                    0 |\n"
        "RuntimeError: Found no NVIDIA driver on your system.\n"
    )
    code, env = _run(banner)
    assert env["data"]["verdict"]["cause"] != "container_without_gpu", env["data"]["verdict"]


# AUTOMATIC1111/stable-diffusion-webui#2986: "busy or unavailable" on Windows 10 with an A5000; the driver was
# not installed well (a WDDM GPU cannot be in an exclusive compute mode).
A1111_2986 = (
    "Hello. I installed Stable Diffusion on a machine with an A5000 graphics card. But I get the error "
    '"RuntimeError: CUDA error: all CUDA-capable devices are busy or unavailable".\n'
    "Windows 10\n"
    "Installed: VC_redist.x64.exe, vs_Community2017, cuda_11.3.1_win10_network\n"
)


def test_busy_or_unavailable_on_windows_is_the_driver_not_an_exclusive_mode() -> None:
    code, env = _run(A1111_2986)
    assert env["data"]["verdict"]["cause"] == "no_driver", env["data"]["verdict"]
    assert ("no_driver", "warn", [1, 2]) in _found(env), _found(env)
    assert not any(f["id"] == "exclusive_process_mode" for f in env["findings"])
    # Without the Windows line the message is the exclusive mode's, as on Linux.
    code, env = _run(A1111_2986.replace("Windows 10\n", ""))
    assert env["data"]["verdict"]["cause"] == "exclusive_process_mode", env["data"]["verdict"]


def test_a_windows_line_in_prose_is_not_a_windows_line() -> None:
    code, env = _run(A1111_2986.replace("Windows 10\n", "I also tried Windows 10 drivers from the vendor site\n"))
    assert env["data"]["verdict"]["cause"] == "exclusive_process_mode", env["data"]["verdict"]


def test_a_sentence_that_says_what_is_available_gives_is_read() -> None:
    # Hand-typed forms from issue bodies: the value in any case, after return/returns/returned, a sentence going on.
    from envtool.diagnose import read_paste

    for line, value in (
        ("torch.cuda.is_available() return false", False),
        ("but torch.cuda.is_available() returns False on my RTX 3090", False),
        ("torch.cuda.is_available() returned true.", True),
        ("torch.cuda.is_available() returns False", False),
    ):
        rt = read_paste(f"NVIDIA GeForce RTX 3090\n{line}\n").facts.torch_runtime
        assert rt is not None and rt.cuda_available is value, (line, rt)
    # A version stated in a sentence is the version, not the words after it.
    torch = read_paste("print(torch.__version__) gives 2.0.1+cu118 here\n").facts.python.torch
    assert torch is not None and torch.version == "2.0.1+cu118", torch


def test_a_long_message_is_cut_at_a_word_in_the_finding() -> None:
    from envtool import rules

    msg = (
        "PyTorch no longer supports this GPU because it is too old. "
        "The minimum cuda capability supported by this library is 3.7."
    )
    short = rules.quoted(msg, 80)
    assert short.endswith("\u2026") and len(short) <= 81 and msg.startswith(short[:-1]), short
    assert short[:-1].split()[-1] in msg.split(), short  # a whole word before the ellipsis
    assert rules.quoted("  a   short   one ") == "a short one"


def test_nvidia_smi_missing_told_in_a_sentence_is_read() -> None:
    # cnstark/pytorch-docker#19: "`nvidia-smi` 命令返回错误 command not found" (the command returns an error:
    # command not found), in a CUDA image whose nvcc works; the fix was `--gpus all`.
    code, env = _run("你好，安装完之后 `nvcc -V`显示了 cuda 版本，但是 `nvidia-smi` 命令返回错误 command not found\n")
    f = next(f for f in env["findings"] if f["id"] == "no_driver")
    assert f["severity"] == "warn" and "--gpus all" in f["fix"] and f["evidence"][0]["line"] == 1, f
    # A sentence about another command is not nvidia-smi's.
    code, env = _run("nvidia-smi works, but `nvcc` gives command not found\nNVIDIA-SMI 535.54.03\n")
    assert not any(f["id"] == "no_driver" for f in env["findings"]), env["findings"]


def test_a_jetson_named_in_prose_is_the_machine_and_gets_the_jetson_reasoning() -> None:
    # Lmy0217/PyTorch-aarch64#3: "I successfully install the torch on my jetson nano(Jetpack 4.4 [L4T 32.4.3]),but
    # cuda.is_available() returns false" (a CPU-only aarch64 wheel).
    code, env = _run(
        "I successfully install the torch on my jetson nano(Jetpack 4.4 [L4T 32.4.3]),but cuda.is_available() "
        "returns false\n"
    )
    told = {r["what"]: r["value"] for r in env["data"]["told"]}
    assert told["GPU 0"] == "Jetson Nano (compute capability 5.3)", told
    rec = env["data"]["recommended_profile"]
    assert rec["reasons"][0].startswith("Jetson:"), rec  # no desktop CUDA profile for a Jetson
    assert "sm_87" not in " ".join(rec["reasons"]), rec  # the Nano is no Orin
    assert not any(f["severity"] == "error" for f in env["findings"]), env["findings"]


def test_the_jetson_boards_of_nvidias_legacy_list_have_their_capability() -> None:
    from envtool.knowledge import compute_capability

    # NVIDIA's "Legacy CUDA GPU Compute Capability" list; collect_env names the SoC for the Nano and the TX2.
    for name, cc in (
        ("Jetson Nano", "5.3"),
        ("NVIDIA Tegra X1", "5.3"),
        ("NVIDIA Tegra X2", "6.2"),
        ("Jetson AGX Xavier", "7.2"),
        ("Jetson Xavier NX", "7.2"),
    ):
        assert compute_capability(name) == cc, name
    # prose that names no board stays unread
    code, env = _run("my nano is a jetson clone\nNVIDIA-SMI 535.54.03   Driver Version: 535.54.03\n")
    assert not any(r["value"].startswith("Jetson") for r in env["data"]["told"]), env["data"]["told"]


def test_a_jetsons_l4t_release_in_the_paste_names_its_jetpack_and_profile() -> None:
    # /etc/nv_tegra_release's own line (the format envtool's Jetson probe parses) beside a named board.
    code, env = _run("Jetson AGX Orin\n# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64\n")
    rows = {r["what"]: (r["value"], r["line"]) for r in env["data"]["told"]}
    assert rows["platform"] == ("Orin (tegra), L4T 36.4.3 = JetPack 6.1/6.2 (CUDA 12.6)", 2), rows
    rec = env["data"]["recommended_profile"]
    assert rec["name"] == "jetson-jp6" and "JetPack 6.1/6.2" in rec["reasons"][0], rec
    # "L4T 32.4.3" in prose: a release envtool's JetPack table does not hold stays without a JetPack.
    code, env = _run("my jetson nano (Jetpack 4.4 [L4T 32.4.3])\n")
    rows = {r["what"]: r["value"] for r in env["data"]["told"]}
    assert rows["platform"] == "NVIDIA on Arm (tegra), L4T 32.4.3", rows
    assert env["data"]["recommended_profile"]["name"] == "cpu"

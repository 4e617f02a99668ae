"""`envtool diagnose` on torchvision (and torchaudio, extensions) built for another torch or CUDA than the torch
installed: forms a held-out batch of real pastes showed.

Each paste is inlined as far as the test needs it, with its thread cited.
"""

from __future__ import annotations

import pytest
from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

from envtool import knowledge
from envtool.diagnose.messages import parse_companion_cuda

# bmaltais/kohya_ss#1028: torch cu117 and torchvision cu118 in one venv.
KOHYA_1028 = (
    "I'm running Kubuntu 22.04, and with the recent release (v21.7.10), I get this Python error when trying to start "
    "training:\n"
    "\n"
    "`RuntimeError: Detected that PyTorch and torchvision were compiled with different CUDA versions. PyTorch has "
    "CUDA Version=11.7 and torchvision has CUDA Version=11.8. Please reinstall the torchvision that matches your "
    "PyTorch install.`\n"
)


def test_torchvision_of_another_cuda_is_conflicting_installs_naming_both_cudas() -> None:
    code, env = _run(KOHYA_1028)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", env["data"]["verdict"]
    assert ("conflicting_installs", "error", [3]) in _found(env), _found(env)
    finding = env["findings"][0]
    assert "torchvision was built for CUDA 11.8 and torch for CUDA 11.7" in finding["message"]
    assert code == 1


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Detected that PyTorch and torchvision were compiled with different CUDA major versions. PyTorch has "
            "CUDA Version=12.1 and torchvision has CUDA Version=11.8. Please reinstall the torchvision that matches "
            "your PyTorch install.",
            ("torchvision", "12.1", "11.8"),
        ),
        (
            # torchaudio's own wording ("whereas", "version" in lower case)
            "Detected that PyTorch and TorchAudio were compiled with different CUDA versions. PyTorch has CUDA "
            "version 11.7 whereas TorchAudio has CUDA version 11.8. Please install the TorchAudio version that "
            "matches your PyTorch version.",
            ("TorchAudio", "11.7", "11.8"),
        ),
        ("Detected that PyTorch and torchvision were compiled with different CUDA versions.", None),
    ],
)
def test_companion_cuda_message_is_parsed(message: str, expected: tuple[str, str, str] | None) -> None:
    assert parse_companion_cuda(message) == expected


def test_torchaudio_message_in_a_traceback_names_torchaudio() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/opt/app/run.py", line 3, in <module>\n'
        "    import torchaudio\n"
        "RuntimeError: Detected that PyTorch and TorchAudio were compiled with different CUDA versions. PyTorch "
        "has CUDA version 12.8 whereas TorchAudio has CUDA version 12.6. Please install the TorchAudio version "
        "that matches your PyTorch version.\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs"
    assert "TorchAudio was built for CUDA 12.6" in env["findings"][0]["message"], env["findings"]


# facebookresearch/maskrcnn-benchmark#813: updating torchvision pulled in another torch; torchvision's _C lacks
# a symbol of torch's C++ API.
MASKRCNN_813 = (
    "ImportError: /home/jiang/anaconda3/envs/maskrcnn_benchmark/lib/python3.6/site-packages/torchvision/"
    "_C.cpython-36m-x86_64-linux-gnu.so: undefined symbol: _ZN2at19NonVariableTypeMode10is_enabledEv\n"
)


def test_torchvision_library_missing_a_torch_symbol_is_conflicting_installs() -> None:
    code, env = _run(MASKRCNN_813)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", env["data"]["verdict"]
    assert ("conflicting_installs", "error", [1]) in _found(env), _found(env)
    assert env["findings"][0]["message"].startswith("torchvision's compiled library lacks one of torch's C++ symbols")
    assert code == 1


def test_an_extension_of_its_own_missing_a_torch_symbol_is_named_by_its_folder() -> None:
    text = (
        "ImportError: /usr/lib/python3/dist-packages/flash_attn_2_cuda.cpython-310-x86_64-linux-gnu.so: undefined "
        "symbol: _ZN3c104cuda9SetDeviceEi\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs"
    assert env["findings"][0]["message"].startswith("flash_attn_2_cuda's compiled library"), env["findings"]


def test_a_cuda_library_symbol_in_an_extension_is_not_read_as_a_torch_mismatch() -> None:
    # cudaLaunchKernelExC is CUDA's, not torch's C++ API: the CUDA-library reading owns it
    text = "ImportError: /env/lib/python3.10/site-packages/torch/lib/libtorch_cuda.so: undefined symbol: cudaLaunchKernelExC, version libcudart.so.11.0\n"  # noqa: E501
    _, env = _run(text)
    messages = [f["message"] for f in env["findings"]]
    assert not any("compiled library lacks" in m for m in messages), messages


def test_torchvision_ops_that_do_not_exist_are_conflicting_installs() -> None:
    text = (
        '  File "/root/.venv/lib/python3.12/site-packages/torchvision/_meta_registrations.py", line 18, in wrapper\n'
        "RuntimeError: operator torchvision::nms does not exist\n"
    )
    code, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", env["data"]["verdict"]
    assert ("conflicting_installs", "error", [2]) in _found(env), _found(env)
    assert code == 1


# pytorch/vision#4886: wheels of torch 1.6.0 and torchvision 0.11.1 (built for torch 1.10) side by side.
VISION_4886 = (
    "### Versions\n"
    "\n"
    "Versions:\n"
    "torch-1.6.0-cp36-cp36m-manylinux1_x86_64.whl\n"
    "torchvision-0.11.1-cp36-cp36m-manylinux1_x86_64.whl\n"
)


def test_a_torchvision_of_another_torch_release_listed_is_a_warning() -> None:
    code, env = _run(VISION_4886)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", env["data"]["verdict"]
    assert ("conflicting_installs", "warn", [4, 5]) in _found(env), _found(env)
    assert "torchvision 0.11.1 beside torch 1.6.0" in env["findings"][0]["message"]
    assert code == 0


def test_the_pair_torchvision_lists_gets_no_finding() -> None:
    _, env = _run(VISION_4886.replace("0.11.1", "0.7.0"))
    assert not any(f["id"] == "conflicting_installs" for f in env["findings"]), env["findings"]


def test_pip_list_with_torchvision_of_another_cuda_tag_is_a_warning() -> None:
    text = "torch                    2.0.1+cu117\ntorchvision              0.15.2+cu118\n"
    _, env = _run(text)
    assert ("conflicting_installs", "warn", [1, 2]) in _found(env), _found(env)


def test_nightly_pairs_are_not_judged_by_the_release_table() -> None:
    # torchvision's main pairs with torch's main: a nightly's numbers are not the release table's
    text = "[pip3] torch==2.12.0a0+rocm7.13.0a20260313\n[pip3] torchvision==0.26.0a0+rocm7.13.0a20260313\n"
    _, env = _run(text)
    assert not any(f["id"] == "conflicting_installs" for f in env["findings"]), env["findings"]


def test_a_wheel_file_named_in_prose_is_not_the_installed_torch() -> None:
    text = (
        "GPU: Radeon RX 580 Series\n"
        "I tried the solution you provided, but I couldn't find the file: "
        "torch-1.8.0a0+56b43f4-cp38-cp38-linux_x86_64.whl\n"
    )
    _, env = _run(text)
    told = {row["what"]: row["value"] for row in env["data"]["told"]} if "told" in env["data"] else {}
    assert not any("1.8.0a0" in str(v) for v in told.values()), told
    # pip's own download line does name what it installs
    _, env = _run("Collecting torch===1.7.1\n  Downloading torch-1.7.1-cp38-cp38-win_amd64.whl (184.0 MB)\n")
    assert "1.7.1" in str(env["data"]), env["data"]


@pytest.mark.parametrize(
    ("torch", "torchvision", "expected"),
    [
        ("2.3.1+cu121", "0.18.1+cu121", True),
        ("1.6.0", "0.11.1", False),
        ("1.3.1", "0.4.2", True),
        ("1.2.0", "0.4.2", False),
        ("2.14.0", "0.29.0", True),
        ("9.0.0", "0.1.0", None),  # a torch the table does not list: unknown, not a mismatch
        ("2.3.1", "main", None),
    ],
)
def test_torchvision_pairs_come_from_its_table(torch: str, torchvision: str, expected: bool | None) -> None:
    assert knowledge.torchvision_pairs_with(torch, torchvision) is expected


def test_what_the_paste_told_shows_the_unpaired_torchvision() -> None:
    _, env = _run(VISION_4886)
    rows = [(r["what"], r["value"], r["line"]) for r in env["data"]["told"]]
    assert ("torchvision", "0.11.1 (not built for this torch)", 5) in rows, rows

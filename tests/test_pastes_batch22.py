"""`envtool diagnose` on the forms batches 22 and 23 of held-out real pastes showed, inlined as far as each test needs,
with its thread and how the thread settled the cause; and the near misses each rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found
from envtool_cli import told_rows as _told

# facebookresearch/detectron2#384 (training in docker; the reporter's fix: `--shm-size="8g"`): the worker's death
# alone.
EXITED_384 = "RuntimeError: DataLoader worker (pid(s) 25) exited unexpectedly\n"


def test_a_dataloader_worker_that_exited_is_a_shm_warning() -> None:
    code, env = _run(EXITED_384)
    (f,) = [f for f in env["findings"] if f["id"] == "shm_too_small"]
    assert f["severity"] == "warn" and f["evidence"][0]["line"] == 1, _found(env)
    assert "num_workers=0" in f["fix"] and env["data"]["verdict"]["settle"] == "df -h /dev/shm"


def test_another_process_that_exited_is_no_shm_finding() -> None:
    code, env = _run("RuntimeError: CUDA error: unspecified launch failure\nProcess 25 exited unexpectedly\n")
    assert "shm_too_small" not in [f["id"] for f in env["findings"]], _found(env)


# kornia/kornia#4247 (torch 2.14.0+cu130 on driver 550; the reporter's workaround: a cu124 torch): a script's
# name=value print, and the environment typed as plain lines.
KORNIA_4247 = (
    ".venv/bin/python -W ignore -c \"import torch; print(f'torch={torch.__version__} | torch_cuda={torch.version.cuda}"
    " | cuda_available={torch.cuda.is_available()}')\"\n"
    "\n"
    "torch=2.14.0+cu130 | torch_cuda=13.0 | cuda_available=False\n"
    "\n"
    "Environment:\n"
    "Debian GNU/Linux 13.6\n"
    "RTX 4050 Laptop GPU, 6 GB\n"
    "NVIDIA driver 550.163.01\n"
)


def test_name_value_prints_and_plain_lines_give_driver_too_old() -> None:
    code, env = _run(KORNIA_4247)
    assert code == 1 and env["data"]["verdict"]["cause"] == "driver_too_old", _found(env)
    told = _told(env)
    assert told["torch"] == ("2.14.0+cu130 (CUDA 13.0)", 3) and told["CUDA available"] == ("False", 3)
    assert told["NVIDIA driver"] == ("550.163.01", 8)
    assert told["GPU 0"] == ("RTX 4050 Laptop GPU (compute capability 8.9)", 7)


def test_a_conda_spec_is_no_name_value_print() -> None:
    _, env = _run("dependencies:\n  - cudatoolkit=11.3\n  - pytorch=1.11.0\n  - torch=1.11.0\n")
    assert env["data"]["torch_runtime"]["version"] is None, env["data"]["torch_runtime"]


# NVIDIA/TransformerEngine#3333 (a fused-attention bug, fixed in TE): the environment as a markdown table.
TE_3333 = (
    "| Component | Version |\n"
    "|---|---|\n"
    "| GPU | NVIDIA GeForce RTX 5090 (sm_120) |\n"
    "| Driver | 595.84 |\n"
    "| PyTorch | 2.11.0+cu130 |\n"
    "| CUDA | 13.0.1 |\n"
)


def test_a_markdown_table_of_versions_is_read_as_keys_and_values() -> None:
    code, env = _run(TE_3333)
    told = _told(env)
    assert code == 0 and not env["findings"], _found(env)
    assert told["GPU 0"][1] == 3 and told["GPU 0"][0].startswith("NVIDIA GeForce RTX 5090")
    assert told["NVIDIA driver"] == ("595.84", 4) and told["torch"][0].startswith("2.11.0+cu130")
    assert env["data"]["verdict"]["summary"].startswith("no environment problem found")


# lllyasviel/Fooocus#1202 (`--force-reinstall` pulled PyPI's Windows wheel, a CPU build, over the CUDA one).
FOOOCUS_1202 = (
    "Downloading idna-3.6-py3-none-any.whl (61 kB)\nDownloading torch-2.1.2-cp311-cp311-win_amd64.whl (192.3 MB)\n"
)


def test_a_small_torch_wheel_is_a_cpu_build() -> None:
    _, env = _run(FOOOCUS_1202)
    (f,) = [f for f in env["findings"] if f["id"] == "cpu_build_on_gpu"]
    assert f["severity"] == "warn" and [e["line"] for e in f["evidence"]] == [2], _found(env)
    for big in (
        "Downloading torch-2.1.2-cp311-cp311-win_amd64.whl (2473.9 MB)\n",
        "Downloading torch-2.1.2-cp311-cp311-manylinux1_x86_64.whl (670.2 MB)\n",
        "Downloading torch-2.1.2-cp311-none-macosx_11_0_arm64.whl (59.6 MB)\n",  # a Mac's: no CUDA to leave out
    ):
        _, env = _run(big)
        assert "cpu_build_on_gpu" not in [x["id"] for x in env["findings"]], (big, _found(env))


# valeoai/xmuda#19 (a CPU-only torch 1.4.0; the fix: the +cu100 wheel): a value marked by hand.
XMUDA_19 = "cuda version:10.0\ntorch version:1.4.0\nprint(torch.cuda.is_available())\n>>false\n"


def test_a_hand_marked_false_is_read_and_the_cpu_build_leads_the_suspects() -> None:
    _, env = _run(XMUDA_19)
    assert _told(env)["CUDA available"] == ("False", 4)
    assert env["data"]["verdict"]["suspects"][0] == "cpu_build_on_gpu"


# ultralytics/ultralytics#4679 (AutoBatch chose too large a batch, fixed in #4680): the device torch found.
AUTOBATCH_4679 = (
    "AutoBatch: Computing optimal batch size for imgsz=640\n"
    "AutoBatch: CUDA:0 (Tesla T4) 14.75G total, 0.25G reserved, 0.12G allocated, 14.38G free\n"
)


def test_ultralytics_autobatch_names_the_gpu_torch_runs_on() -> None:
    code, env = _run(AUTOBATCH_4679)
    told = _told(env)
    assert code == 0 and not env["findings"], _found(env)
    assert told["GPU 0"] == ("Tesla T4 (compute capability 7.5)", 2) and told["CUDA available"] == ("True", 2)

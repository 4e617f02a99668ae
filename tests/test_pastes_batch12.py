"""`envtool diagnose` on forms a twelfth held-out batch of real pastes showed, each inlined as far as the test
needs it, with its thread and how the thread settled the cause; and the near misses each rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found
from envtool_cli import told_rows as _rows

# deepspeedai/DeepSpeed#6762: ds_report's "DeepSpeed general environment info" block (a packaging bug; the
# environment was fine).
DS_REPORT_6762 = (
    "```\n"
    "DeepSpeed general environment info:\n"
    "torch install path ............... ['/home/deepspeed/test/trans-venv/lib/python3.12/site-packages/torch']\n"
    "torch version .................... 2.3.0+cu121\n"
    "deepspeed info ................... 0.15.5+unknown, unknown, unknown\n"
    "torch cuda version ............... 12.1\n"
    "torch hip version ................ None\n"
    "nvcc version ..................... 12.0\n"
    "deepspeed wheel compiled w. ...... torch 0.0, cuda 0.0\n"
    "shared memory (/dev/shm) size .... 125.77 GB\n"
    "```\n"
)


def test_ds_reports_environment_block_is_a_report() -> None:
    code, env = _run(DS_REPORT_6762)
    rows = _rows(env)
    assert rows["torch"] == ("2.3.0+cu121 (CUDA 12.1)", 4), rows
    assert rows["nvcc"] == ("12.0", 8), rows
    # a system nvcc beside torch's CUDA is no error without an extension build
    assert not [f for f in env["findings"] if f["severity"] == "error"], _found(env)
    assert env["data"]["verdict"]["cause"] is None
    assert code == 0


def test_a_dotted_leader_line_of_another_key_is_no_fact() -> None:
    _, env = _run("deepspeed info ................... 0.15.5+unknown\n>>> torch.__version__\n'2.3.0'\n")
    assert "nvcc" not in _rows(env) and _rows(env)["torch"][1] == 3, _rows(env)


# lm-sys/FastChat#1203: hand-typed key/value lines, the torch value typed with its expression.
FASTCHAT_1203 = (
    "OS: Rocky Linux 9\nCuda version: 12.1\nnvcc version: 11.7\nTorch version: torch.version: '2.0.1+cu117' \n"
)


def test_hand_typed_nvcc_and_a_torch_value_with_its_expression() -> None:
    _, env = _run(FASTCHAT_1203)
    rows = _rows(env)
    assert rows["torch"] == ("2.0.1+cu117 (CUDA 11.7)", 4), rows
    assert rows["nvcc"] == ("11.7", 3), rows


# ai4d-iasc/trixie#41: TensorFlow's CUDA diagnostics name the loaded kernel module's version.
TF_41 = (
    "2020-11-20 09:05:26.945836: I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:200] libcuda reported version "
    "is: Not found: was unable to find libcuda.so DSO loaded into this program\n"
    "2020-11-20 09:05:26.945893: I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:204] kernel reported version "
    "is: 418.67.0\n"
)


def test_tensorflows_kernel_reported_version_is_the_driver() -> None:
    _, env = _run(TF_41)
    assert _rows(env)["NVIDIA driver"] == ("418.67.0", 2), _rows(env)

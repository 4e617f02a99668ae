"""`envtool diagnose` on the forms a third batch of real pastes showed and the readers missed.

Each paste is inlined as far as the test needs it, with its thread cited; the tests check the
finding, its severity and the line it cites, and that the verdict agrees with it.
"""

from __future__ import annotations

from typing import Any

from envtool_cli import diagnose


def _run(text: str) -> tuple[int, dict[str, Any]]:
    return diagnose("-", stdin=text)


def _found(env: dict[str, Any]) -> list[tuple[str, str, list[int]]]:
    return [(f["id"], f["severity"], [e["line"] for e in f["evidence"]]) for f in env["findings"]]


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

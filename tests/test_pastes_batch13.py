"""`envtool diagnose` on forms a thirteenth held-out batch of real pastes showed, inlined as far as the test needs
it, with its thread and how the thread settled the cause; and the near misses the rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# NVIDIA/apex#1748: apex's setup.py refusing nvcc 12.3 for a torch built with CUDA 12.1 (its own check).
APEX_1748 = (
    "torch.__version__  = 2.1.0+cu121\n"
    "\n"
    "Compiling cuda extensions with\n"
    "nvcc: NVIDIA (R) Cuda compiler driver\n"
    "Copyright (c) 2005-2023 NVIDIA Corporation\n"
    "Built on Fri_Sep__8_19:17:24_PDT_2023\n"
    "Cuda compilation tools, release 12.3, V12.3.52\n"
    "Build cuda_12.3.r12.3/compiler.33281558_0\n"
    "from /usr/local/cuda/bin\n"
    "\n"
    "Traceback (most recent call last):\n"
    '  File "setup.py", line 178, in <module>\n'
    "    check_cuda_torch_binary_vs_bare_metal(CUDA_HOME)\n"
    '  File "setup.py", line 40, in check_cuda_torch_binary_vs_bare_metal\n'
    "    raise RuntimeError(\n"
    "RuntimeError: Cuda extensions are being compiled with a version of Cuda that does not match the version used "
    "to compile Pytorch binaries.  Pytorch binaries were compiled with Cuda 12.1.\n"
    "In some cases, a minor-version mismatch will not cause later errors:  "
    "https://github.com/NVIDIA/apex/pull/323#discussion_r287021798.  You can try commenting out this check (at your "
    "own risk).\n"
)


def test_apexs_own_cuda_check_is_a_toolkit_mismatch() -> None:
    code, env = _run(APEX_1748)
    assert env["data"]["verdict"]["cause"] == "toolkit_mismatch", env["data"]["verdict"]
    (f,) = [f for f in env["findings"] if f["id"] == "toolkit_mismatch"]
    assert f["severity"] == "error" and {7, 16} <= {e["line"] for e in f["evidence"]}, f
    assert "apex" in f["message"] and "12.3" in f["message"] and "12.1" in f["message"], f["message"]
    assert code == 1


def test_apexs_check_without_the_nvcc_banner_still_names_torchs_cuda() -> None:
    # the toolkit's version is only in the banner; the message alone shows the mismatch
    text = "\n".join(APEX_1748.splitlines()[9:]) + "\n"
    _, env = _run(text)
    (f,) = [f for f in env["findings"] if f["id"] == "toolkit_mismatch"]
    assert f["severity"] == "error" and "(12.1)" in f["message"] and "CUDA 12.3" not in f["message"], f


def test_another_setup_pys_runtime_error_is_no_toolkit_mismatch() -> None:
    _, env = _run("RuntimeError: Cuda extensions are being compiled with gcc 4.8\n>>> torch.version.cuda\n'12.1'\n")
    assert "toolkit_mismatch" not in {f["id"] for f in env["findings"]}, _found(env)

"""`envtool diagnose` on `ldd` output that shows a wheel's library loading a system CUDA library.

Each paste is inlined as far as the test needs it, with its thread cited.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# infiniflow/ragflow#4466: the wheel's libcusparse resolves libnvJitLink.so.12 from /usr/local/cuda-12.1 through
# LD_LIBRARY_PATH (the undefined __nvJitLinkAddData_12_1 is in the title only).
RAGFLOW_4466 = (
    "### Describe your problem\n"
    "\n"
    "ldd /home/mit/kxyRAG/ragflow/.venv/lib/python3.12/site-packages/torch/lib/../../nvidia/cusparse/lib/"
    "libcusparse.so.12\n"
    "\tlinux-vdso.so.1 (0x00007ffebafed000)\n"
    "\tlibnvJitLink.so.12 => /usr/local/cuda-12.1/lib64/libnvJitLink.so.12 (0x000070ddad800000)\n"
    "\tlibpthread.so.0 => /lib/x86_64-linux-gnu/libpthread.so.0 (0x000070ddc0d62000)\n"
    "\n"
    "(ragflow-py3.12) mit@mit-FRONTIER:~/kxyRAG/ragflow$ echo $LD_LIBRARY_PATH\n"
    "/usr/local/cuda-12.1/lib64:\n"
)


def test_ldd_of_a_wheel_library_loading_a_system_cuda_library_is_a_conflict_warning() -> None:
    code, env = _run(RAGFLOW_4466)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", env["data"]["verdict"]
    assert ("conflicting_installs", "warn", [3, 5, 9]) in _found(env), _found(env)
    assert "libnvJitLink.so.12 from the system" in env["findings"][0]["message"]
    assert code == 0


def test_ldd_resolving_the_wheels_own_libraries_gets_no_finding() -> None:
    text = RAGFLOW_4466.replace(
        "/usr/local/cuda-12.1/lib64/libnvJitLink.so.12",
        "/home/mit/kxyRAG/ragflow/.venv/lib/python3.12/site-packages/nvidia/nvjitlink/lib/libnvJitLink.so.12",
    ).replace("/usr/local/cuda-12.1/lib64:\n", "\n")
    _, env = _run(text)
    assert not any(f["id"] == "conflicting_installs" for f in env["findings"]), env["findings"]


def test_the_drivers_libcuda_from_the_system_is_no_conflict() -> None:
    # libcuda.so.1 is the driver's: it always comes from the system
    text = (
        "ldd /venv/lib/python3.10/site-packages/torch/lib/libtorch_cuda.so\n"
        "\tlibcuda.so.1 => /lib/x86_64-linux-gnu/libcuda.so.1 (0x00007f0000000000)\n"
    )
    _, env = _run(text)
    assert not any(f["id"] == "conflicting_installs" for f in env["findings"]), env["findings"]

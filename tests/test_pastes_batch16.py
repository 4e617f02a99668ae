"""`envtool diagnose` on forms batches 16 and 17 of held-out real pastes showed, inlined as far as each test needs,
with its thread and how the thread settled the cause; and the near misses each rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# ComputationalRadiationPhysics/cuda_memtest#33: a CUDA program that is not torch, built without the GT 720's sm_35.
MEMTEST_33 = (
    "[11/21/2021 13:15:17][nis-arch][0]:NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.86  Tue Oct 26 21:55:45 "
    "UTC 2021\n"
    "[11/21/2021 13:15:17][nis-arch][0]:Device name=NVIDIA GeForce GT 720, global memory size=2097283072\n"
    "[11/21/2021 13:15:17][nis-arch][0]:major=3, minor=5\n"
    "[11/21/2021 13:15:17][nis-arch][0]:ERROR: CUDA error: no kernel image is available for execution on the device, "
    "line 590, file /home/nis/Downloads/cuda_memtest-dev/tests.cu\n"
)


def test_no_kernel_image_from_another_program_names_that_program() -> None:
    _, env = _run(MEMTEST_33)
    (f,) = [f for f in env["findings"] if f["id"] == "arch_unsupported"]
    assert f["message"].startswith("the program's CUDA build has no kernels"), f["message"]
    assert "torch" not in f["fix"].replace("TORCH_CUDA_ARCH_LIST for a torch extension", ""), f["fix"]


def test_no_kernel_image_in_torchs_runtime_error_stays_torchs() -> None:
    text = (
        "RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
        "Compile with `TORCH_USE_CUDA_DSA` to enable device-side assertions.\n"
    )
    _, env = _run(text)
    (f,) = [f for f in env["findings"] if f["id"] == "arch_unsupported"]
    assert f["message"].startswith("torch says"), f["message"]


# NVlabs/neuralrgbd#24: a CPU-only torch on a machine the reporter says has no GPU; the demo asks for CUDA.
NO_GPU_24 = (
    "I recieve this error when running `sh run_demo.sh `: \n"
    "\n"
    "AssertionError: Torch not compiled with CUDA enabled\n"
    "\n"
    "I've also made sure to install the version of torch that doesn't require CUDA. Since I don't have a GPU I don't "
    "need CUDA. So I have a 'cpu only' installation of torch, but still I am getting this error.\n"
)


def test_not_compiled_on_a_machine_the_report_says_has_no_gpu_is_no_gpu() -> None:
    code, env = _run(NO_GPU_24)
    assert env["data"]["verdict"]["cause"] == "no_gpu", env["data"]["verdict"]
    assert ("no_gpu", "warn", [3, 5]) in _found(env), _found(env)
    assert "cpu_build_on_gpu" not in {f["id"] for f in env["findings"]}, _found(env)
    assert code == 0


def test_a_gpu_named_beside_the_words_keeps_the_cpu_build() -> None:
    # "I don't have a GPU driver problem, my RTX 3060 works": the named GPU decides
    text = "AssertionError: Torch not compiled with CUDA enabled\nmy RTX 3060 is fine, I don't have a GPU problem\n"
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", env["data"]["verdict"]


def test_no_gpu_found_is_a_symptom_not_the_words() -> None:
    _, env = _run("AssertionError: Torch not compiled with CUDA enabled\nno GPU found, what do I do?\n")
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", env["data"]["verdict"]


def test_the_words_alone_make_no_report() -> None:
    code, _ = _run("Since I don't have a GPU I would like to run it on the CPU.\n")
    assert code == 2

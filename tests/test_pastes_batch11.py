"""`envtool diagnose` on forms an eleventh held-out batch of real pastes showed, each inlined as far as the test
needs it, with its thread and how the thread settled the cause; and the near misses each rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# qixuema/envs#4: nvidia-smi's failure typed with a left single quotation mark, fixed by rebuilding the module with
# dkms.
SMI_CURLY_4 = (
    "\u7b2c\u4e00\u6b65\uff0c\u6253\u5f00\u7ec8\u7aef\uff0c\u5148\u7528 nvidia-smi \u67e5\u770b\u4e00\u4e0b\n"
    "```JavaScript\n"
    "NVIDIA-SMI has failed because it couldn\u2018t communicate with the NVIDIA driver.\n"
    "Make sure that the latest NVIDIA driver is installed and running.\n"
    "```\n"
)


def test_nvidia_smis_failure_with_a_typographic_apostrophe() -> None:
    for quote in ("\u2018", "\u2019"):
        code, env = _run(SMI_CURLY_4.replace("\u2018", quote))
        assert env["data"]["verdict"]["cause"] == "no_driver", env["data"]["verdict"]
        assert ("no_driver", "error", [3]) in _found(env), _found(env)
        assert code == 1


# vllm-project/vllm#5635: libnvidia-container refusing a CUDA 12.4 image on a host with driver 530 (maintainer: the
# image moved to CUDA 12.4).
CONTAINER_CLI_5635 = (
    "I have ubuntu-22.04, cuda==12.1, nvidia driver == 530, gpu==V100\n"
    "Error log\n"
    "```\n"
    "docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI "
    "runtime create failed: runc create failed: unable to start container process: error during container init: "
    "error running hook #0: error running hook: exit status 1, stdout: , stderr: Auto-detected mode as 'legacy'\n"
    "nvidia-container-cli: requirement error: unsatisfied condition: cuda>=12.4, please update your driver to a newer "
    "version, or use an earlier cuda container: unknown.\n"
    "```\n"
)


def test_the_container_toolkits_cuda_requirement_is_a_driver_too_old() -> None:
    code, env = _run(CONTAINER_CLI_5635)
    assert env["data"]["verdict"]["cause"] == "driver_too_old", env["data"]["verdict"]
    (f,) = [f for f in env["findings"] if f["id"] == "driver_too_old"]
    assert f["severity"] == "error" and 5 in [e["line"] for e in f["evidence"]], f
    assert "CUDA 12.4" in f["message"], f["message"]
    assert f["fix"].startswith("update the host's NVIDIA driver to one for CUDA 12.4"), f["fix"]
    assert "earlier" in f["fix"] or "older" in f["fix"] or "image built for the CUDA" in f["fix"], f["fix"]
    assert code == 1


def test_another_requirement_of_the_container_toolkit_is_no_driver_finding() -> None:
    text = "nvidia-container-cli: requirement error: unsatisfied condition: brand = tesla\n"
    _, env = _run(text + ">>> torch.version.cuda\n'12.1'\n")
    assert "driver_too_old" not in {f["id"] for f in env["findings"]}, _found(env)


# nebari-dev/nebari#1642: a JupyterHub pod's /dev/shm full (fixed with an emptyDir of medium Memory).
SHM_1642 = (
    "We have run into a `No space left on device` error that appears to be due to the limited amount of space on the "
    "`/dev/shm` (shared memory) drive.\n"
)


def test_no_space_left_on_dev_shm_is_shm_too_small() -> None:
    _, env = _run("OSError: [Errno 28] No space left on device: '/dev/shm/wnsm_4f1c2a'\n")
    assert ("shm_too_small", "error", [1]) in _found(env), _found(env)


def test_a_report_that_says_dev_shm_is_full_is_a_warning() -> None:
    # the reporter's sentence, not the error's own line: prose makes a warning at most
    _, env = _run(SHM_1642)
    assert env["data"]["verdict"]["cause"] == "shm_too_small", env["data"]["verdict"]
    assert ("shm_too_small", "warn", [1]) in _found(env), _found(env)


def test_no_space_left_elsewhere_is_no_shm_finding() -> None:
    text = (
        "OSError: [Errno 28] No space left on device: '/home/user/.cache/torch/hub'\n>>> torch.version.cuda\n'12.1'\n"
    )
    _, env = _run(text)
    assert "shm_too_small" not in {f["id"] for f in env["findings"]}, _found(env)


# ultralytics/ultralytics#8869: torch installed from the CPU index ("pip install torch==2.2.0 ... --index-url
# .../whl/cpu"), fixed by installing from the cu121 index. The fix in the same paste settles it the other way.
CPU_INDEX = (
    "pip install torch==2.2.0 torchvision==0.17.0 torchaudio==2.2.0 --index-url https://download.pytorch.org/whl/cpu\n"
)
FIX_8869 = "fixed it by uninstalling and installing using pip3 install torch torchvision torchaudio --index-url https://download.pytorch.org/whl/cu121\n"


def test_an_install_from_the_cpu_index_is_a_cpu_build_warning() -> None:
    _, env = _run("my GPU is an RTX 3060 and torch.cuda.is_available() returns False\n" + CPU_INDEX)
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", env["data"]["verdict"]
    assert ("cpu_build_on_gpu", "warn", [1, 2]) in _found(env), _found(env)


def test_a_later_install_from_a_cuda_index_undoes_it() -> None:
    _, env = _run("my GPU is an RTX 3060\n" + CPU_INDEX + FIX_8869)
    assert "cpu_build_on_gpu" not in {f["id"] for f in env["findings"]}, _found(env)


def test_a_cpu_index_beside_a_cuda_build_is_no_finding() -> None:
    # the torch the paste shows is a CUDA build: the command did not make it
    _, env = _run(CPU_INDEX + ">>> torch.__version__\n'2.2.0+cu121'\n")
    assert "cpu_build_on_gpu" not in {f["id"] for f in env["findings"]}, _found(env)

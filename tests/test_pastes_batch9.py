"""`envtool diagnose` on forms a ninth held-out batch of real pastes showed, each inlined as far as the test
needs it, with its thread and how the thread settled the cause; and the near misses each rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# stackhpc/ansible-slurm-appliance#287: rsyslog writes the kernel message's line breaks as "#012" (fixed by a reboot).
SYSLOG_287 = (
    "Got this after running `extras.yml`.\n"
    "```\n"
    "TASK [cuda : Enable NVIDIA Persistence Daemon] ****************************************\n"
    "Jun 30 11:07:05 gpu-0 kernel: NVRM: API mismatch: the client has the version 535.54.03, but#012NVRM: this "
    "kernel module has the version 530.30.02.  Please#012NVRM: make sure that this kernel module and all NVIDIA "
    "driver#012NVRM: components have the same version.\n"
    "```\n"
    "It is fixed by a reboot.\n"
)


def test_an_nvrm_api_mismatch_with_syslogs_escaped_line_breaks() -> None:
    code, env = _run(SYSLOG_287)
    assert env["data"]["verdict"]["cause"] == "no_driver", env["data"]["verdict"]
    assert ("no_driver", "error", [4]) in _found(env), _found(env)
    assert code == 1


# fastai/docker-containers#21: torch 2.x's DataLoader message, hard-wrapped inside a quote.
FASTAI_21 = (
    'it erred with  the following message: " RuntimeError: DataLoader worker (pid 47) is killed by signal: Bus\n'
    "error. It is possible that dataloader's workers are out of shared\n"
    'memory. Please try to raise your shared memory limit.". Any help would be appreciated.\n'
)


def test_a_wrapped_dataloader_bus_error_is_shm_too_small() -> None:
    _, env = _run(FASTAI_21)
    assert env["data"]["verdict"]["cause"] == "shm_too_small", env["data"]["verdict"]
    assert ("shm_too_small", "error", [1]) in _found(env), _found(env)


# NVIDIA-BioNeMo-blueprints/generative-virtual-screening#8: a pod whose node runs it under runc, so no nvidia-smi is
# mounted ("the nvidia-container-toolkit was not setup correctly").
KUBECTL_8 = (
    "```bash\n"
    "kubectl run gpu-test1 --image=nvidia/cuda:12.6.2-base-ubuntu22.04 --restart=Never --command -- nvidia-smi\n"
    "```\n"
    "```log\n"
    'Error: failed to start container "gpu-test1": Error response from daemon: failed to create task for container: '
    "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: "
    'error during container init: exec: "nvidia-smi": executable file not found in $PATH: unknown\n'
    "```\n"
)


def test_runc_not_finding_nvidia_smi_in_a_pod_is_a_container_warning() -> None:
    _, env = _run(KUBECTL_8)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", env["data"]["verdict"]
    assert env["data"]["verdict"]["settle"] == "kubectl exec POD -- nvidia-smi", env["data"]["verdict"]


# ai-dock/comfyui#79: the machine's only GPU, an Intel iGPU, named in a sentence that also says "CPU".
COMFY_79 = (
    "> RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a "
    "driver from http://www.nvidia.com/Download/index.aspx\n"
    "\n"
    "This isn't unexpected; however my Intel CPU also has an integrated GPU and I'd like to use that.\n"
)


def test_an_integrated_gpu_in_a_sentence_about_the_cpu_is_no_gpu() -> None:
    _, env = _run(COMFY_79)
    assert env["data"]["verdict"]["cause"] == "no_gpu", env["data"]["verdict"]
    assert ("no_gpu", "warn", [1, 3]) in _found(env), _found(env)


def test_a_cpu_model_line_is_still_no_gpu() -> None:
    text = COMFY_79.split("\n\n")[0] + "\nCPU: AMD Ryzen 7 5800H with Radeon Graphics\n"
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_driver", env["data"]["verdict"]


# ogkalu2/comic-translate#17: Ultralytics' banner names a CPU build, and the program asked for CUDA (fixed by the
# cu121 wheel).
ULTRALYTICS_17 = (
    "Ultralytics YOLOv8.1.3 \U0001f680 Python-3.10.11 torch-2.1.0+cpu\n"
    "An Error occurred: Invalid CUDA 'device=0' requested. Use 'device=cpu' or pass valid CUDA device(s) if "
    "available, i.e. 'device=0' or 'device=0,1,2,3' for Multi-GPU.\n"
    "\n"
    "torch.cuda.is_available(): False\n"
    "torch.cuda.device_count(): 0\n"
)


def test_ultralytics_banner_with_a_cpu_build_is_cpu_build_on_gpu() -> None:
    _, env = _run(ULTRALYTICS_17)
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", env["data"]["verdict"]
    told = {r["what"]: r["value"] for r in env["data"]["told"]}
    assert told.get("torch", "").startswith("2.1.0+cpu"), told


def test_ultralytics_banner_with_a_cuda_build_names_the_gpu() -> None:
    text = "YOLOv5 \U0001f680 v7.0-187 Python-3.8.10 torch-1.13.1+cu117 CUDA:0 (Tesla T4, 15102MiB)\n"
    _, env = _run(text)
    told = {r["what"]: r["value"] for r in env["data"]["told"]}
    assert told.get("torch", "").startswith("1.13.1+cu117"), told
    assert any(k.startswith("GPU 0") and "Tesla T4" in v for k, v in told.items()), told
    assert not any(f["severity"] == "error" for f in env["findings"]), env["findings"]


# iot-salzburg/gpu-jupyter#22: a test run with `--gpus all` shows the GPU, the notebook's container has no
# nvidia-smi (fixed by adding `--gpus all` to the notebook's `docker run`).
JUPYTER_22 = (
    "I tried building and running them, but despite confirmative output at \n"
    "docker run --gpus all nvidia/cuda:10.1-base-ubuntu18.04 nvidia-smi\n"
    "\n"
    "> NVIDIA-SMI 450.51.05    Driver Version: 450.51.05    CUDA Version: 11.0\n"
    "\n"
    'cuda is not available in pylabs. "torch.cuda.is_available()" returns "False".\n'
    '"!nvidia-smi" in the notebook does also not work: "/bin/bash: nvidia-smi: command not found"\n'
)


def test_nvidia_smi_missing_beside_a_run_with_gpus_is_a_container_warning() -> None:
    _, env = _run(JUPYTER_22)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", env["data"]["verdict"]
    assert ("container_without_gpu", "warn", [2, 7]) in _found(env), _found(env)

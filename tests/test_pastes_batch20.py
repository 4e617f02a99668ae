"""`envtool diagnose` on the forms batches 20 and 21 of held-out real pastes showed, inlined as far as each test needs,
with its thread and how the thread settled the cause; and the near misses each rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found


def _one(env: dict, fid: str) -> dict:
    (f,) = [f for f in env["findings"] if f["id"] == fid]
    return f


# acheong08/Diffusion-ColabUI#108 and geocine/sd-easy-mode#18 (torch cu117 beside torchvision cu118 after a Colab
# update; the maintainers pinned the matching torchvision): torchvision's message, hard-wrapped by the paste.
WRAPPED_TV = (
    "RuntimeError: Detected that PyTorch and torchvision were compiled with different\n"
    "CUDA versions. PyTorch has CUDA Version=11.7 and torchvision has CUDA \n"
    "Version=11.8. Please reinstall the torchvision that matches your PyTorch \n"
    "install.\n"
)


def test_a_hard_wrapped_torchvision_cuda_mismatch_is_read_whole() -> None:
    code, env = _run(WRAPPED_TV)
    assert code == 1 and env["data"]["verdict"]["cause"] == "conflicting_installs", _found(env)
    f = _one(env, "conflicting_installs")
    assert "11.8" in f["message"] and "11.7" in f["message"] and f["evidence"][0]["line"] == 1


# huggingface/diffusers#10513 (a diffusers 0.32 regression; the environment is fine) and #6446 (a hub download stall
# on a Colab CPU runtime): the Hugging Face `env` commands' bullets. transformers 4.48+ prints "(accelerator?)".
DIFFUSERS_ENV = (
    "- \U0001f917 Diffusers version: 0.32.1\n"
    "- Platform: Linux-6.1.85+-x86_64-with-glibc2.35\n"
    "- Running on Google Colab?: Yes\n"
    "- Python version: 3.10.12\n"
    "- PyTorch version (GPU?): 2.5.1+cu121 (True)\n"
    "- Huggingface_hub version: 0.27.1\n"
    "- Accelerator: NVIDIA A100-SXM4-40GB, 40960 MiB\n"
    "- Using GPU in script?:no\n"
)
CPU_RUNTIME_ENV = (
    "- `diffusers` version: 0.25.0\n"
    "- Python version: 3.10.12\n"
    "- PyTorch version (GPU?): 2.1.0+cu121 (False)\n"
    "- Using GPU in script?: <fill in>\n"
)
TRANSFORMERS_ENV = (
    "- `transformers` version: 5.13.1\n- PyTorch version (accelerator?): 2.12.1+cu130 (CUDA)\n- GPU type: Tesla T4\n"
)


def test_hugging_face_env_bullets_are_a_report() -> None:
    code, env = _run(DIFFUSERS_ENV)
    data = env["data"]
    assert code == 0 and not [f for f in env["findings"] if f["severity"] == "error"], _found(env)
    assert data["verdict"]["summary"].startswith("no environment problem found")
    told = {r["what"]: (r["value"], r["line"]) for r in data["told"]}
    assert told["torch"][1] == 5 and told["torch"][0].startswith("2.5.1+cu121")
    assert told["CUDA available"] == ("True", 5)
    assert told["GPU 0"][0].startswith("NVIDIA A100-SXM4-40GB") and told["GPU 0"][1] == 7
    assert "40960" not in told["GPU 0"][0]


def test_hugging_face_env_reads_the_answer_in_brackets() -> None:
    code, env = _run(CPU_RUNTIME_ENV)
    told = {r["what"]: r["value"] for r in env["data"]["told"]}
    assert code == 0 and told["CUDA available"] == "False" and told["torch"].startswith("2.1.0+cu121")
    assert not [f for f in env["findings"] if f["severity"] == "error"], _found(env)
    _, env = _run(TRANSFORMERS_ENV)
    told = {r["what"]: r["value"] for r in env["data"]["told"]}
    assert told["CUDA available"] == "True" and told["GPU 0"].startswith("Tesla T4"), told
    # another accelerator in the brackets says nothing about CUDA
    _, env = _run("- PyTorch version (accelerator?): 2.8.0+xpu (XPU)\n")
    assert "CUDA available" not in {r["what"] for r in env["data"]["told"]}


def test_a_plain_pytorch_version_bullet_is_still_the_grammars() -> None:
    _, env = _run("- PyTorch version: 1.0.1\n- CUDA/cuDNN version: 10.1\n")
    told = {r["what"]: r["value"] for r in env["data"]["told"]}
    assert told["torch"].startswith("1.0.1") and "CUDA available" not in told


# coder/code-server#922 (answered: install nvidia-docker2 and run with `--runtime=nvidia`; the reporter accepted):
# docker names a container's host after its id, whatever the user.
CODER_922 = "coder@15a2d07c1ad2:~/project$ nvidia-smi\nbash: nvidia-smi: command not found\n"


def test_nvidia_smi_missing_at_a_containers_prompt_is_a_container_without_gpu() -> None:
    code, env = _run(CODER_922)
    f = _one(env, "container_without_gpu")
    assert f["severity"] == "warn" and [e["line"] for e in f["evidence"]] == [1, 2], _found(env)
    assert f["evidence"][0]["text"].startswith("coder@15a2d07c1ad2:")  # the prompt, which shows the container
    assert env["data"]["verdict"]["settle"] == "docker run --rm --gpus all IMAGE nvidia-smi"
    assert "no_driver" not in [x["id"] for x in env["findings"]]


def test_nvidia_smi_missing_at_a_hosts_prompt_stays_no_driver() -> None:
    for prompt in ("coder@workstation:~/project$", "coder@deadbeef:~$", "me@15a2d07c1ad2x:~$"):
        _, env = _run(f"{prompt} nvidia-smi\nbash: nvidia-smi: command not found\n")
        ids = [f["id"] for f in env["findings"]]
        assert ids == ["no_driver"], (prompt, _found(env))
        # the settling command stops at its closing backtick ("`nvidia-smi` on the host")
        assert env["data"]["verdict"]["settle"] == "nvidia-smi"


# jupyter/docker-stacks#2166 (podman without a CDI spec; the maintainer: generate one and pass the device): inside
# the container torch is a CUDA build and CUDA is not available.
JUPYTER_2166 = (
    'root@0c2c6f58df4f:/usr/bin# python -c "import torch; print(torch.version.cuda)"\n'
    "12.1\n"
    "\n"
    'root@0c2c6f58df4f:/usr/bin# python -c "import torch; print(torch.cuda.is_available())" \n'
    "False\n"
)


def test_a_cuda_build_unavailable_inside_a_container_points_at_the_container() -> None:
    _, env = _run(JUPYTER_2166)
    f = _one(env, "container_without_gpu")
    assert f["severity"] == "warn" and "CUDA 12.1" in f["message"], _found(env)
    assert {1, 5} <= {e["line"] for e in f["evidence"]}
    assert env["data"]["verdict"]["cause"] == "container_without_gpu"


def test_a_cuda_build_unavailable_in_a_container_given_gpus_is_no_container_finding() -> None:
    text = "root@0c2c6f58df4f:/# docker run --gpus all img\n" + JUPYTER_2166
    _, env = _run(text)
    assert "container_without_gpu" not in [f["id"] for f in env["findings"]], _found(env)
    _, env = _run(JUPYTER_2166.replace("root@0c2c6f58df4f", "root@workstation"))
    assert "container_without_gpu" not in [f["id"] for f in env["findings"]], _found(env)


# NVIDIA/nvidia-container-toolkit#50 (the reporter's fix: the device nodes the CDI spec lacked): the spec's
# top-level device nodes, no /dev/nvidia-uvm among them.
CDI_50 = (
    "---\n"
    "cdiVersion: 0.5.0\n"
    "containerEdits:\n"
    "  deviceNodes:\n"
    "  - path: /dev/nvidiactl\n"
    "  hooks:\n"
    "  - args:\n"
    "    - nvidia-ctk\n"
    "    hookName: createContainer\n"
    "...\n"
    "\n"
    "$ python\n"
    ">>> import torch\n"
    ">>> torch.cuda.is_available()\n"
    "False\n"
)


def test_a_cdi_spec_without_nvidia_uvm_is_a_container_without_gpu() -> None:
    _, env = _run(CDI_50)
    f = _one(env, "container_without_gpu")
    assert f["severity"] == "warn" and "/dev/nvidia-uvm" in f["message"], _found(env)
    assert [e["line"] for e in f["evidence"]] == [2, 5, 15]
    assert "nvidia-ctk cdi generate" in f["fix"] and env["data"]["verdict"]["settle"] == "nvidia-ctk cdi list"


def test_a_cdi_spec_with_nvidia_uvm_is_no_finding() -> None:
    text = CDI_50.replace("  - path: /dev/nvidiactl\n", "  - path: /dev/nvidiactl\n  - path: /dev/nvidia-uvm\n")
    _, env = _run(text)
    assert "/dev/nvidia-uvm" not in " ".join(f["message"] for f in env["findings"]), _found(env)


# Sygil-Dev/sygil-webui#490 (the maintainer: update docker compose to >= 1.28 for GPU support).
COMPOSE_490 = (
    "docker-compose version 1.17.1, build unknown\n"
    "\n"
    "The Compose file './docker-compose.yaml' is invalid because:\n"
    "services.stable-diffusion.deploy.resources.reservations value Additional properties are not allowed "
    "('devices' was unexpected)\n"
)


def test_a_compose_too_old_for_gpu_devices_is_the_cause() -> None:
    code, env = _run(COMPOSE_490)
    f = _one(env, "container_without_gpu")
    assert code == 1 and f["severity"] == "error", _found(env)
    assert [e["line"] for e in f["evidence"]] == [1, 4] and "1.28" in f["fix"]
    # another property the compose file got wrong is no GPU finding
    _, env = _run(COMPOSE_490.replace("'devices'", "'ports'"))
    assert not env["findings"] or "container_without_gpu" not in [x["id"] for x in env["findings"]]


# NVIDIA/nvidia-container-runtime#190 (the maintainer: podman's --gpus flag is only there for Docker's command line
# and attaches nothing; CDI's `--device nvidia.com/gpu=all` works): crun's own words.
CRUN_190 = (
    "Error: crun: executable file `nvidia-smi` not found in $PATH: No such file or directory: OCI runtime attempted "
    "to invoke a command that was not found\n"
)


def test_crun_not_finding_nvidia_smi_is_a_podman_container_without_gpu() -> None:
    _, env = _run(CRUN_190)
    f = _one(env, "container_without_gpu")
    assert f["severity"] == "warn" and "nvidia.com/gpu=all" in f["fix"] and "--gpus" in f["fix"], _found(env)
    assert "the container shows" not in f["message"]  # one line shows both
    assert env["data"]["verdict"]["settle"].startswith("podman run")


# AUTOMATIC1111/stable-diffusion-webui#17025 (the AMD auto-install left a CUDA torch; ROCm wheels fixed it): the web
# UI's launch check alone, its `assert torch.cuda.is_available()` failed.
A1111_17025 = (
    "Traceback (most recent call last):\n"
    '  File "/home/u/stable-diffusion-webui/launch.py", line 48, in <module>\n'
    "    main()\n"
    "RuntimeError: Torch is not able to use GPU; add --skip-torch-cuda-test to COMMANDLINE_ARGS variable to disable "
    "this check\n"
)


def test_the_web_uis_gpu_check_is_a_report_of_cuda_unavailable() -> None:
    code, env = _run(A1111_17025)
    verdict = env["data"]["verdict"]
    assert code == 0 and verdict["cause"] is None, _found(env)
    assert "cpu_build_on_gpu" in verdict["suspects"] and "ROCm build" in verdict["summary"]
    told = {r["what"]: (r["value"], r["line"]) for r in env["data"]["told"]}
    assert told["CUDA available"] == ("False", 4)


# sgl-project/sglang#1467 (a decode-attention kernel bug, fixed in v0.3.1.post3; the environment is fine): only the
# tail of nvidia-smi's output, its empty processes table, and a uname line.
SGLANG_1467 = (
    "+---------------------------------------------------------------------------------------+\n"
    "| Processes:                                                                            |\n"
    "|  GPU   GI   CI        PID   Type   Process name                            GPU Memory |\n"
    "|        ID   ID                                                             Usage      |\n"
    "|=======================================================================================|\n"
    "+---------------------------------------------------------------------------------------+\n"
    "os:  Linux host-0 4.19.91-014.15-kangaroo.alios7.x86_64 #1 SMP Wed Jul 10 15:22:10 CST 2024 x86_64 GNU/Linux\n"
)


def test_nvidia_smis_processes_table_alone_is_a_healthy_report() -> None:
    code, env = _run(SGLANG_1467)
    assert code == 0 and not env["findings"], _found(env)
    assert env["data"]["verdict"]["summary"].startswith("no environment problem found")
    assert "nvidia-smi answered" in " ".join(r["value"] for r in env["data"]["told"])


def test_a_processes_table_does_not_hide_nvidia_smi_failing() -> None:
    text = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n" + SGLANG_1467
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_driver", _found(env)

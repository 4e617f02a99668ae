"""`envtool diagnose` on Kubernetes pods without the NVIDIA runtime: forms held-out batches of real pastes showed.

A pod gets the NVIDIA runtime only as its node's default container runtime or through its spec's
`runtimeClassName: nvidia`. Each paste is inlined as far as the test needs it, with its thread cited.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# NVIDIA/nvidia-container-runtime#147: k8s + containerd with runc as the default runtime (the fix: "nvidia").
CONTAINERD_147 = (
    "However when using k8s+containerd it looks like /usr/bin/nvidia-smi is mapped through as a blank file inside "
    "the container.\n"
    "\n"
    "version = 2\n"
    'root = "/var/lib/docker/containerd/daemon"\n'
    "\n"
    'default_runtime_name = "runc"\n'
)


def test_containerd_with_runc_as_default_runtime_is_a_container_warning() -> None:
    code, env = _run(CONTAINERD_147)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", env["data"]["verdict"]
    assert ("container_without_gpu", "warn", [6]) in _found(env), _found(env)
    assert env["data"]["verdict"]["settle"] == "kubectl exec POD -- nvidia-smi"
    assert code == 0


def test_containerd_with_nvidia_as_default_runtime_gets_no_finding() -> None:
    _, env = _run(CONTAINERD_147.replace('"runc"', '"nvidia"') + "nvidia.com/gpu: 1\n")
    assert not any(f["id"] == "container_without_gpu" for f in env["findings"]), env["findings"]


# canonical/microk8s#4408: a pod asks for nvidia.com/gpu, its spec names no runtimeClassName.
MICROK8S_4408 = (
    "microk8s kubectl apply -f - <<EOF\n"
    "apiVersion: v1\n"
    "kind: Pod\n"
    "metadata:\n"
    "  name: nvidia-smi\n"
    "spec:\n"
    "  restartPolicy: OnFailure\n"
    "  containers:\n"
    "    - name: nvidia-smi\n"
    "      image: nvidia/cuda:12.2.2-devel-ubuntu22.04\n"
    '      command: ["nvidia-smi"]\n'
    "      resources:\n"
    "        limits:\n"
    "          nvidia.com/gpu: 1\n"
    "EOF\n"
)


def test_pod_asking_for_a_gpu_without_runtime_class_is_a_container_warning() -> None:
    code, env = _run(MICROK8S_4408)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", env["data"]["verdict"]
    assert ("container_without_gpu", "warn", [1, 14]) in _found(env), _found(env)
    assert code == 0


def test_pod_with_runtime_class_gets_no_finding() -> None:
    text = MICROK8S_4408.replace("spec:\n", "spec:\n  runtimeClassName: nvidia\n")
    _, env = _run(text)
    assert not any(f["id"] == "container_without_gpu" for f in env["findings"]), env["findings"]


# mudler/LocalAI#2117: a k0s pod's entrypoint finds no nvidia-smi (the fix: runtimeClassName: nvidia).
LOCALAI_2117 = (
    "**Environment, CPU architecture, OS, and Version:**\n"
    "kubernetes k0s 1.29.4 on ubuntu 22.04\n"
    "**Describe the bug**\n"
    "running the image in a pod on a gpu enabled node, i got:\n"
    "```\n"
    " ===> LocalAI All-in-One (AIO) container starting...\n"
    "NVIDIA GPU detected\n"
    "/aio/entrypoint.sh: line 52: nvidia-smi: command not found\n"
    "```\n"
)


def test_nvidia_smi_missing_in_a_kubernetes_pod_is_a_container_warning_not_no_driver() -> None:
    _, env = _run(LOCALAI_2117)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", env["data"]["verdict"]
    assert ("container_without_gpu", "warn", [2, 8]) in _found(env), _found(env)
    assert not any(f["id"] == "no_driver" for f in env["findings"]), env["findings"]


def test_nvidia_smi_missing_without_kubernetes_stays_no_driver() -> None:
    _, env = _run(LOCALAI_2117.replace("kubernetes k0s 1.29.4 on ubuntu 22.04", "ubuntu 22.04"))
    assert any(f["id"] == "no_driver" for f in env["findings"]), env["findings"]


def test_a_kubernetes_mention_alone_is_no_report() -> None:
    code, _ = _run("We run kubernetes k0s 1.29.4 on ubuntu 22.04 and kubectl 1.29.\n")
    assert code == 2

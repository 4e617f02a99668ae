"""`envtool diagnose` on forms a fourteenth held-out batch of real pastes showed (a sample taken as generic searches
returned the threads), inlined as far as each test needs, with its thread and how the thread settled the cause.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# ankane/torch.rb#16: a Ruby binding's library calling one of torch's Python-binding functions (libtorch_python):
# the binding's own bug (its maintainer removed the call), not a torch of another version.
RUBY_16 = (
    "(py37) tsuyoshi@Jupiter:~/work/ruby/torch.rb$ bundle exec ruby examples/mnist/main.rb\n"
    "Device type: cuda\n"
    "/home/tsuyoshi/.rvm/rubies/ruby-2.7.2/bin/ruby: symbol lookup error: /home/tsuyoshi/work/ruby/torch.rb/lib/torch/"
    "ext.so: undefined symbol: _ZN5torch5utils14cuda_lazy_initEv\n"
    "Ubuntu-18.04\n"
    "CUDA 10.1\n"
)


def test_a_python_binding_symbol_missing_outside_python_is_no_install_conflict() -> None:
    _, env = _run(RUBY_16)
    assert not [f for f in env["findings"] if f["severity"] == "error"], _found(env)


def test_the_same_symbol_missing_in_a_python_packages_library_is_one() -> None:
    text = (
        "ImportError: /home/u/venv/lib/python3.10/site-packages/torch_scatter/_scatter_cuda.so: undefined symbol: "
        "_ZN5torch5utils14cuda_lazy_initEv\n"
    )
    _, env = _run(text)
    assert ("conflicting_installs", "error", [1]) in _found(env), _found(env)


def test_a_cuda_runtime_symbol_is_still_a_cuda_library_break() -> None:
    text = (
        "ImportError: /usr/lib/python3/site-packages/torch/lib/libtorch_cuda.so: undefined symbol: "
        "cudaLaunchKernelExC, version libcudart.so.11.0\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", env["data"]["verdict"]


# fedbiomed/fedbiomed#464: only the second line of torch's incompatible-GPU warning, for an RTX A6000 (sm_86).
ARCH_464 = (
    "When trying to use a Nvidia RTX A6000 we get this error message:\n"
    "```\n"
    "The current PyTorch install supports CUDA capabilities sm_37 sm_50 sm_60 sm_70.\n"
    "```\n"
)


def test_the_second_line_of_torchs_incompatible_gpu_warning_alone() -> None:
    code, env = _run(ARCH_464)
    assert env["data"]["verdict"]["cause"] == "arch_unsupported", env["data"]["verdict"]
    assert ("arch_unsupported", "error", [3]) in _found(env), _found(env)
    assert code == 1


# ameli/manylinux-cuda#5: a run without GPU access fails, and the run with `--gpus all` fails in the NVIDIA
# Container Toolkit's hook, which cannot load the host driver's NVML: no container flag fixes that.
CLI_NVML_5 = (
    'when I start a container "docker run -it sameli/manylinux2014_x86_64_cuda_12.3" and run nvida-smi command '
    "inside it fails with the following message, am I missing something here?\n"
    "\n"
    "[root@24c96d985c30 /]# nvidia-smi\n"
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA "
    "driver is installed and running.\n"
    "\n"
    'I have also tried "docker run --gpus all sameli/manylinux2014_x86_64_cuda_12.3 nvidia-smi"\n'
    "output:\n"
    "docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime "
    "create failed: runc create failed: unable to start container process: error during container init: error "
    "running hook #0: error running hook: exit status 1, stdout: , stderr: Auto-detected mode as 'legacy'\n"
    "nvidia-container-cli: initialization error: load library failed: libnvidia-ml.so.1: cannot open shared object "
    "file: no such file or directory: unknown.\n"
)


def test_the_toolkit_unable_to_load_the_hosts_nvml_is_the_host_driver() -> None:
    code, env = _run(CLI_NVML_5)
    assert env["data"]["verdict"]["cause"] == "no_driver", env["data"]["verdict"]
    (f,) = [f for f in env["findings"] if f["id"] == "no_driver"]
    assert f["severity"] == "error" and 9 in [e["line"] for e in f["evidence"]], f
    assert "host" in f["fix"] and "container_without_gpu" not in {x["id"] for x in env["findings"]}, _found(env)
    assert code == 1


def test_a_run_without_gpu_access_alone_is_still_the_containers() -> None:
    _, env = _run("\n".join(CLI_NVML_5.splitlines()[:4]) + "\n")
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", env["data"]["verdict"]

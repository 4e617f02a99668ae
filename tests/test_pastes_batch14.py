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

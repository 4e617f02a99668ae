"""`envtool diagnose` on forms an eighth held-out batch of real pastes showed, each inlined as far as the test
needs it, with its thread and how the thread settled the cause.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# MIC-DKFZ/HD-BET (a Dell XPS 13 with only an Intel iGPU): torch's message quoted on the line that names the GPU;
# the message's own "an NVIDIA GPU" names none.
HDBET = (
    'I use a Dell XPS 13 9300 with the GPU: "Intel Corporation Iris Plus Graphics G7 (rev 07)" -- on Ubuntu 20.04. '
    'When I try to run HD-BET it gives an error "RuntimeError: Found no NVIDIA driver on your system. Please check '
    'that you have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx". \n'
)


def test_an_intel_igpu_on_the_line_of_torchs_message_is_no_gpu() -> None:
    _, env = _run(HDBET)
    assert env["data"]["verdict"]["cause"] == "no_gpu", env["data"]["verdict"]
    assert ("no_gpu", "warn", [1]) in _found(env), _found(env)


def test_an_nvidia_gpu_on_that_line_is_no_other_vendors_only() -> None:
    _, env = _run(HDBET.replace("the GPU:", "an RTX 3050 and the iGPU:"))
    assert env["data"]["verdict"]["cause"] == "no_driver", env["data"]["verdict"]


# lllyasviel/Fooocus: the iGPU's name as typed, with a typo ("Irish") that a list of names would miss.
FOOOCUS_IRIS = (
    "**Full Console Log**\n"
    "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a "
    "driver from http://www.nvidia.com/Download/index.aspx\n"
    "\n"
    "**Its just for nVidia GPU?**\n"
    "Not work with other GPU.  My laptop used Intel(R) Irish(R) Xe Graphics\n"
)


def test_an_intel_graphics_name_typed_with_a_typo_is_another_vendors_gpu() -> None:
    _, env = _run(FOOOCUS_IRIS)
    assert env["data"]["verdict"]["cause"] == "no_gpu", env["data"]["verdict"]
    assert ("no_gpu", "warn", [2, 5]) in _found(env), _found(env)


# pytorch/pytorch#139425: torch 2.5.1 on macOS 12.7.6; torch's message names an older floor than the build's
# (malfet: "it should have say that you need MacOS 13.0"). The version is in platform.platform()'s string and in
# sw_vers's tab-separated output.
MPS_139425 = (
    "I have a MacBook M1 (macOS-12.7.6-arm64-arm-64bit), but whenever I try to move a tensor to a MPS device, I "
    "come across the following error:\n"
    "\n"
    "```bash\n"
    "RuntimeError: The MPS backend is supported on MacOS 12.3+.\n"
    "Current OS version can be queried using `sw_vers`.\n"
    "\n"
    ">> sw_vers\n"
    "ProductName:\tmacOS\n"
    "ProductVersion:\t12.7.6\n"
    "BuildVersion:\t21H1320\n"
    "```\n"
)


def test_mps_refused_on_a_macos_below_the_floor_is_mps_unavailable() -> None:
    code, env = _run(MPS_139425)
    assert env["data"]["verdict"]["cause"] == "mps_unavailable", env["data"]["verdict"]
    # line 1 names the macOS in platform.platform()'s form ("macOS-12.7.6-arm64-arm-64bit")
    assert ("mps_unavailable", "error", [1, 4, 8]) in _found(env), _found(env)
    assert "12.7.6" in env["findings"][0]["message"], env["findings"][0]
    assert code == 1


def test_a_macos_at_the_floor_gets_no_mps_finding() -> None:
    text = MPS_139425.replace("12.7.6", "15.1.1")
    _, env = _run(text)
    assert not any(f["id"] == "mps_unavailable" and f["severity"] == "error" for f in env["findings"]), env

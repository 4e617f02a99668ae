"""`envtool diagnose` on forms a tenth held-out batch of real pastes showed (and two misses of the seventh), each
inlined as far as the test needs it, with its thread and how the thread settled the cause; and the near misses each
rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# pytorch/pytorch#28195: torch 1.0 (CUDA 9.0) saw the GPU, torch 1.2 (CUDA 10.0) on the same machine does not;
# the reporter says torch called the driver too old.
TWO_BUILDS_28195 = (
    "when i use pytorch1.0 and enter the following commands\uff1a\n"
    ">>> import torch\n"
    ">>> print(torch.__version__)\n"
    "1.0.0.dev20190102\n"
    ">>> torch.cuda.is_available()\n"
    "True\n"
    ">>> print(torch.version.cuda)\n"
    "9.0.176\n"
    ">>> exit()\n"
    "after i update pythorch to version1.2,and enter the following commands:\n"
    "print(torch.__version__)\n"
    "1.2.0\n"
    ">>> torch.cuda.is_available()\n"
    "False\n"
    ">>> print(torch.version.cuda)\n"
    "10.0.130\n"
    ">>> exit()\n"
)
TOLD_28195 = "\nwhen i run my program\uff0cthe msg is that my Nvidia version is too old.\n"


def _rows(env: dict) -> dict[str, tuple[str, int | None]]:
    return {r["what"]: (r["value"], r.get("line")) for r in env["data"]["told"]}


def test_two_builds_one_seeing_the_gpu_read_the_one_that_fails() -> None:
    _, env = _run(TWO_BUILDS_28195)
    rows = _rows(env)
    assert rows["torch"] == ("1.2.0 (CUDA 10.0)", 12), rows
    assert rows["CUDA available"] == ("False", 14), rows  # the row's line shows its value


def test_an_older_cuda_build_that_worked_makes_the_driver_the_likely_cause() -> None:
    code, env = _run(TWO_BUILDS_28195)
    v = env["data"]["verdict"]
    assert v["cause"] == "driver_too_old", v
    assert v["settle"] == "nvidia-smi", v
    (f,) = [f for f in env["findings"] if f["id"] == "driver_too_old"]
    assert f["severity"] == "warn", f  # no line shows the driver's version
    assert {6, 14} <= {e["line"] for e in f["evidence"]}, f
    assert "CUDA 9.0" in f["message"] and "CUDA 10.0" in f["message"], f["message"]
    assert "410.48" in f["fix"], f["fix"]  # CUDA 10.0's Linux driver floor
    assert code == 0  # a warning does not fail the command


def test_the_same_build_printing_true_and_false_is_no_driver_finding() -> None:
    # one torch, is_available() True and later False (CUDA_VISIBLE_DEVICES, a crash): nothing about the driver
    same = TWO_BUILDS_28195.replace("1.2.0\n", "1.0.0.dev20190102\n").replace("10.0.130", "9.0.176")
    _, env = _run(same)
    assert "driver_too_old" not in {f["id"] for f in env["findings"]}, _found(env)
    assert _rows(env)["CUDA available"] == ("False", 14)


def test_a_newer_build_that_worked_is_no_driver_finding() -> None:
    # the build that fails is the older one: the driver runs the newer CUDA, so it is not too old
    swapped = TWO_BUILDS_28195.replace("9.0.176", "X").replace("10.0.130", "9.0.176").replace("X", "10.0.130")
    _, env = _run(swapped)
    assert "driver_too_old" not in {f["id"] for f in env["findings"]}, _found(env)


def test_the_reporters_words_for_torchs_driver_message_are_a_warning() -> None:
    text = ">>> import torch\n>>> torch.__version__\n'1.2.0'\n>>> torch.version.cuda\n'10.0.130'\n" + TOLD_28195
    _, env = _run(text)
    assert ("driver_too_old", "warn", [3, 5, 7]) in _found(env) or env["data"]["verdict"]["cause"] == "driver_too_old"
    (f,) = [f for f in env["findings"] if f["id"] == "driver_too_old"]
    assert 7 in {e["line"] for e in f["evidence"]}, f


def test_a_question_about_the_driver_is_no_finding() -> None:
    text = ">>> import torch\n>>> torch.version.cuda\n'10.0.130'\nIs my nvidia driver too old?\n"
    _, env = _run(text)
    assert "driver_too_old" not in {f["id"] for f in env["findings"]}, _found(env)


def test_a_banner_that_shows_the_driver_decides_over_the_reporters_words() -> None:
    # the banner's CUDA 12.2 runs torch's CUDA 11.8: the table decides, the prose does not
    text = (
        "| NVIDIA-SMI 535.104.05   Driver Version: 535.104.05   CUDA Version: 12.2     |\n"
        ">>> torch.version.cuda\n'11.8'\nmy driver is too old\n"
    )
    _, env = _run(text)
    assert "driver_too_old" not in {f["id"] for f in env["findings"]}, _found(env)


# pytorch/pytorch#31243: torch.cuda.is_available() False and nothing else (the driver was 410.48, said later).
UNAVAILABLE_31243 = (
    "$ pip install torch===1.3.0 torchvision===0.4.1 -f https://download.pytorch.org/whl/torch_stable.html\n"
    "$ python3\n"
    ">>> import torch\n"
    ">>> torch.cuda.is_available()\n"
    "False\n"
)


def test_cuda_unavailable_with_nothing_else_is_not_a_healthy_verdict() -> None:
    code, env = _run(UNAVAILABLE_31243)
    v = env["data"]["verdict"]
    assert v["cause"] is None, v
    assert "no environment problem found" not in v["summary"], v["summary"]
    assert "line 5" in v["summary"], v["summary"]
    assert v["suspects"] == ["cpu_build_on_gpu", "no_driver", "driver_too_old"], v
    assert v["settle"] == "nvidia-smi", v
    assert code == 0  # no line shows a problem: no finding


def test_cuda_unavailable_on_a_cuda_build_leaves_the_driver_side() -> None:
    _, env = _run(UNAVAILABLE_31243 + ">>> torch.version.cuda\n'10.1'\n")
    assert env["data"]["verdict"]["suspects"] == ["no_driver", "driver_too_old"], env["data"]["verdict"]


def test_cuda_unavailable_on_a_mac_is_healthy() -> None:
    _, env = _run(UNAVAILABLE_31243 + ">>> import platform; platform.platform()\n'macOS-14.2-arm64-arm-64bit'\n")
    assert env["data"]["verdict"]["summary"].startswith("no environment problem found"), env["data"]["verdict"]


def test_cuda_unavailable_on_a_cpu_build_is_the_cpu_builds_question() -> None:
    _, env = _run(UNAVAILABLE_31243 + ">>> torch.__version__\n'2.1.0+cpu'\n")
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", env["data"]["verdict"]

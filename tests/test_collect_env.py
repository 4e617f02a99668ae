"""Tests for envtool.collect_env: pasted collect_env dumps and torch's own messages -> HostFacts.

The dumps are the captured real reports in ../shared/fixtures/collect_env (see its
SOURCES.md); the torch messages below are real wordings quoted from the threads named
next to each one. Synthetic cases only re-wrap those real texts.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import sys
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envtool.diagnose import (
    extract_torch_messages,
    facts_from_envtool_report,
    load_report,
    parse_collect_env,
    parse_driver_too_old,
    parse_found_gpu_capability,
    parse_incompatible_capability,
    parse_supported_arch_list,
)
from envtool.diagnose import facts as diagnose_facts
from envtool.diagnose import lines as diagnose_lines
from envtool.errors import BadInputError
from envtool.model import (
    DistInfo,
    GpuInfo,
    HostFacts,
    NvidiaFacts,
    PythonFacts,
    SystemFacts,
    TorchBuild,
    TorchRuntime,
    facts_to_data,
)


@pytest.fixture(autouse=True)
def _no_knowledge_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # The capability table is another module's job; keep these tests independent of it.
    monkeypatch.setattr(diagnose_facts, "_knowledge_lookup", lambda: None)


def report_body(path: Path) -> str:
    """A fixture file's report: everything after the "source:"/"notes:" header and its blank line."""
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n\n")
    assert sep and head.startswith("source:"), f"{path.name} does not have the documented header"
    return body


def fixture(dirpath: Path, prefix: str) -> Path:
    matches = sorted(dirpath.glob(f"{prefix}-*.txt"))
    assert len(matches) == 1, f"expected one fixture named {prefix}-*.txt"
    return matches[0]


def gpu_names(facts: HostFacts) -> list[str | None]:
    return [g.name for g in facts.nvidia.gpus]


# --------------------------------------------------------------------------- the real dumps

# Values read off each captured report by hand. Keys: python.torch.version / .cuda / .hip,
# torch_runtime fields, nvidia driver + GPU names, toolkit nvcc, system fields.
EXPECTED: dict[str, dict[str, object]] = {
    "01": dict(
        torch="1.0.0.dev20181022",
        cuda="9.0",
        debug=False,
        available=True,
        driver="396.37",
        gpus=["GeForce GTX 1070"],
        cudnn=None,
        os_pretty="Ubuntu 16.04.3 LTS",
        os_name="Linux",
        python="3.5",
        nvcc="9.2",
    ),
    "02": dict(
        torch="1.0.0",
        cuda="9.0",
        available=True,
        driver="398.36",
        gpus=["GeForce GTX 1050"],
        os_pretty="Microsoft Windows 10 Enterprise",
        os_name="Windows",
        python="3.7",
        nvcc=None,
        installs=[("1.0.0", "9.0")],
    ),
    "03": dict(
        torch="1.5.0+cu101",
        cuda="10.1",
        available=True,
        driver="442.92",
        gpus=["TITAN RTX", "TITAN RTX"],
        cudnn="7",
        os_pretty="Microsoft Windows Server 2019 Standard",
        os_name="Windows",
        nvcc="10.1",
    ),
    "04": dict(
        torch="1.3.1",
        cuda="10.1",
        available=False,
        driver=None,
        gpus=[],
        cudnn=None,
        nvcc=None,
        os_pretty="Red Hat Enterprise Linux Server 7.6 (Maipo)",
        os_name="Linux",
        installs=[("1.3.1", "10.1")],
    ),
    "05": dict(
        torch="1.7.0+cu101",
        cuda="10.1",
        hip=None,
        debug=True,
        available=True,
        driver="418.67",
        gpus=["Tesla T4"],
        os_pretty="Ubuntu 18.04.5 LTS",
        arch="x86_64",
        python="3.6",
        nvcc="10.1",
    ),
    "06": dict(
        torch=None,
        cuda=None,
        available=None,
        driver="510.47.03",
        gpus=["Tesla T4"],
        cudnn="8.0.5",
        glibc="2.27",
        kernel="5.4.0-1068-aws",
        python="3.9.12",
        arch="x86_64",
        nvcc=None,
    ),
    "07": dict(
        torch="2.7.0.dev20250123+rocm6.3",
        cuda=None,
        hip="6.3",
        available=True,
        driver=None,
        gpus=[],
        os_pretty="Gentoo Linux",
        os_name="Linux",
        glibc="2.40",
        python="3.12.8",
        note="AMD Radeon RX 5700 XT",
    ),
    "08": dict(
        torch="2.12.0a0+rocm7.13.0a20260313",
        cuda=None,
        hip="7.2",
        available=True,
        driver=None,
        gpus=[],
        os_pretty="Microsoft Windows 11 Pro (10.0.26200 64-Bit)",
        os_name="Windows",
        arch="x86_64",
        cpu_model="AMD RYZEN AI MAX 385 w/ Radeon 8050S",
        python="3.12.10",
        installs=[("2.12.0a0+rocm7.13.0a20260313", None)],
    ),
    "09": dict(
        torch="2.10.0.dev20251008",
        cuda=None,
        hip=None,
        available=False,
        driver=None,
        gpus=[],
        cudnn=None,
        os_pretty="macOS 13.7.4",
        os_name="Darwin",
        arch="arm64",
        cpu_model="Apple M2 Max",
        python="3.11.9",
    ),
    "10": dict(
        torch="2.9.0.dev20250701+cu128",
        cuda="12.8",
        available=True,
        nvcc=None,
        os_name="Windows",
        os_pretty="Microsoft Windows 11 \u5c08\u696d\u7248 (10.0.26100 64 \u4f4d\u5143)",
        python="3.12.10",
    ),
    "11": dict(
        torch="2.13.0.dev20260530+cu132",
        cuda="13.2",
        available=True,
        driver=None,
        gpus=["NVIDIA GeForce RTX 5090"],
        nvcc="13.3",
        os_pretty="Microsoft Windows 11 Home (10.0.26200 64-bit)",
    ),
    "12": dict(
        torch="2.5.1+cu118",
        cuda="11.8",
        available=True,
        gpus=["Tesla V100S-PCIE-32GB"] * 3,
        nvcc="11.8",
        glibc="2.31",
        messages=(),
    ),
    "13": dict(
        torch="2.4.0+cu121",
        cuda="12.1",
        available=True,
        driver="535.183.01",
        gpus=["NVIDIA GeForce RTX 3090"] * 8,
        nvcc="12.6",
        arch="x86_64",
        messages=(),
    ),
    "14": dict(
        torch="2.5.1+cu124",
        cuda="12.4",
        hip=None,
        debug=False,
        os_pretty="Red Hat Enterprise Linux release 8.3 (Ootpa)",
        glibc="2.28",
        python="3.10.16",
        gpus=[],
        note="vllm-sectioned",
    ),
    "15": dict(
        torch="2.4.0+cpu",
        cuda=None,
        available=False,
        driver="560.35.03",
        gpus=["NVIDIA GeForce RTX 4090"] * 2,
        cudnn="8.9.7",
        nvcc="12.1",
        installs=[("2.4.0+cpu", None)],
    ),
    "16": dict(
        torch="2.5.1+cu124",
        cuda="12.4",
        available=False,
        driver=None,
        gpus=[],
        cudnn=None,
        cpu_model="Intel(R) Xeon(R) 6960P",
        note="HPU devices=8x HL-325L",
    ),
    "17": dict(
        torch="2.5.0.dev20240720+cu121",
        cuda="12.1",
        gpus=["NVIDIA H100 80GB HBM3"] * 6,
        os_pretty="SYS-121C-TN2R",
        os_name="Linux",
        kernel="5.14.0-284.30.1.el9_2.x86_64",
        glibc="2.34",
        nvcc="12.1",
    ),
    "18": dict(
        torch="1.8.0.dev20201117",
        cuda=None,
        available=False,
        gpus=[],
        os_pretty="Mac OSX 11.0",
        os_name="Darwin",
        arch="x86_64",
        python="3.8",
        installs=[("1.8.0.dev20201117", None)],
    ),
}


def test_every_fixture_parses(collect_env_fixtures: Path) -> None:
    files = sorted(collect_env_fixtures.glob("[0-9][0-9]-*.txt"))
    assert files, "no collect_env fixtures found"
    for path in files:
        body = report_body(path)
        for text in (body, path.read_text(encoding="utf-8")):  # with and without the header lines
            facts = parse_collect_env(text)
            assert facts.source == "collect_env"
            assert facts.nvidia.source == "collect_env"
            assert facts.torch_runtime is not None and facts.torch_runtime.outcome == "unknown"
            assert facts.python.tools == ()
        assert path.name[:2] in EXPECTED, f"{path.name}: add its expected values to EXPECTED"


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_fixture_values(collect_env_fixtures: Path, prefix: str) -> None:
    exp = EXPECTED[prefix]
    facts = parse_collect_env(report_body(fixture(collect_env_fixtures, prefix)))
    py, rt, nv, sysf = facts.python, facts.torch_runtime, facts.nvidia, facts.system
    assert rt is not None
    if "torch" in exp:
        assert (py.torch.version if py.torch else None) == exp["torch"]
        assert rt.version == exp["torch"]
    if "cuda" in exp:
        assert (py.torch.cuda if py.torch else None) == exp["cuda"]
        assert rt.cuda == exp["cuda"]
    if "hip" in exp:
        assert (py.torch.hip if py.torch else None) == exp["hip"]
        assert rt.hip == exp["hip"]
    if "debug" in exp:
        assert py.torch is not None and py.torch.debug is exp["debug"]
    if "available" in exp:
        assert rt.cuda_available is exp["available"]
    if "driver" in exp:
        assert nv.driver_version == exp["driver"]
        assert nv.cuda_driver_version is None
    if "gpus" in exp:
        assert gpu_names(facts) == exp["gpus"]
        assert [g.index for g in nv.gpus] == list(range(len(exp["gpus"])))  # type: ignore[arg-type]
        assert nv.hardware_present is (True if exp["gpus"] else None)
    if "cudnn" in exp:
        assert rt.cudnn == exp["cudnn"]
    if "nvcc" in exp:
        assert facts.toolkit.nvcc_version == exp["nvcc"]
    for key in ("os_pretty", "os_name", "arch", "glibc", "kernel", "cpu_model"):
        if key in exp:
            assert getattr(sysf, key) == exp[key], key
    if "python" in exp:
        assert py.version == exp["python"]
    if "installs" in exp:
        assert [(t.version, t.cuda) for t in py.torch_installs] == exp["installs"]
    if "messages" in exp:
        assert rt.messages == exp["messages"]
    if "note" in exp:
        assert exp["note"] in facts.probes[0].reason


def test_not_collected_values_stay_unknown(collect_env_fixtures: Path) -> None:
    # 06: torch was not importable, so every torch field reads N/A.
    facts = parse_collect_env(report_body(fixture(collect_env_fixtures, "06")))
    assert facts.python.torch is None and facts.python.torch_installs == ()
    assert facts.torch_runtime is not None
    assert (facts.torch_runtime.version, facts.torch_runtime.cuda, facts.torch_runtime.cuda_available) == (
        None,
        None,
        None,
    )
    # 04: "No CUDA" everywhere is no evidence of GPUs either way.
    facts = parse_collect_env(report_body(fixture(collect_env_fixtures, "04")))
    assert facts.nvidia.gpus == () and facts.nvidia.hardware_present is None and facts.nvidia.driver_version is None


def test_rocm_gpu_is_not_taken_for_an_nvidia_gpu(collect_env_fixtures: Path) -> None:
    for prefix in ("07", "08"):
        facts = parse_collect_env(report_body(fixture(collect_env_fixtures, prefix)))
        assert facts.nvidia.gpus == ()
        assert facts.python.torch is not None and facts.python.torch.variant.startswith("rocm")


def test_cpu_wheel_on_gpu_host_keeps_both_facts(collect_env_fixtures: Path) -> None:
    facts = parse_collect_env(report_body(fixture(collect_env_fixtures, "15")))
    assert facts.python.torch is not None and facts.python.torch.variant == "cpu"
    assert len(facts.nvidia.gpus) == 2
    # The vLLM warnings repeat one loader error; it is kept once.
    assert facts.torch_runtime is not None
    assert len(facts.torch_runtime.messages) == 1
    assert "libtorch_cuda.so: cannot open shared object file" in facts.torch_runtime.messages[0]


def test_lscpu_block(collect_env_fixtures: Path) -> None:
    facts = parse_collect_env(report_body(fixture(collect_env_fixtures, "16")))
    assert facts.system.cpu_vendor == "GenuineIntel"
    assert facts.system.logical_cores == 288
    assert facts.system.physical_cores is None  # the paste stops before "Core(s) per socket"


# --------------------------------------------------------------------------- wrapped and cut dumps

WRAPPERS = {
    "plain": lambda t: t,
    "fence": lambda t: "```\n" + t + "\n```\n",
    "fence4-unbalanced": lambda t: "````text\n" + t + "\n```\n",
    "details": lambda t: "<details>\n<summary>collect_env output</summary>\n\n```\n" + t + "\n```\n</details>\n",
    "quoted": lambda t: "".join("> " + line + "\n" for line in t.splitlines()),
    "prompt": lambda t: "(venv) user@host:~/proj$ python -m torch.utils.collect_env\n" + t,
    "prose": lambda t: "### Versions\n\n" + t + "\n\nThanks for looking! Any idea what is wrong?\n",
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "cr": lambda t: t.replace("\n", "\r"),
    "indented": lambda t: "".join("    " + line + "\n" for line in t.splitlines()),
}


def _core(facts: HostFacts) -> tuple[object, ...]:
    return (facts.system, facts.nvidia, facts.toolkit, facts.python, facts.torch_runtime)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=st.sampled_from(sorted(EXPECTED)),
    wrappers=st.lists(st.sampled_from(sorted(WRAPPERS)), min_size=1, max_size=3),
)
def test_wrapping_does_not_change_the_facts(collect_env_fixtures: Path, prefix: str, wrappers: list[str]) -> None:
    body = report_body(fixture(collect_env_fixtures, prefix))
    text = body
    for name in wrappers:
        text = WRAPPERS[name](text)
    assert _core(parse_collect_env(text)) == _core(parse_collect_env(body))


def test_merged_header_line(collect_env_fixtures: Path) -> None:
    # 07: "Collecting environment information..." + 215 spaces + "PyTorch version: ..." on one line.
    body = report_body(fixture(collect_env_fixtures, "07"))
    first = next(line for line in body.splitlines() if "Collecting environment" in line)
    assert "PyTorch version:" in first
    facts = parse_collect_env(first)
    assert facts.python.torch is not None and facts.python.torch.version == "2.7.0.dev20250123+rocm6.3"


def _is_report_line(line: str) -> bool:
    key = diagnose_lines._key_of(diagnose_lines._unquote(line).strip())
    return key in diagnose_lines._REPORT_KEYS


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_cut_at_every_line(collect_env_fixtures: Path, prefix: str) -> None:
    lines = report_body(fixture(collect_env_fixtures, prefix)).splitlines(keepends=True)
    seen_report = False
    for k in range(1, len(lines) + 1):
        seen_report = seen_report or _is_report_line(lines[k - 1]) or "Collecting" in lines[k - 1]
        text = "".join(lines[:k])
        if seen_report:
            parse_collect_env(text)  # must not raise
        else:
            # Before the first field there may be nothing but a prompt or a log line.
            with contextlib.suppress(BadInputError):
                parse_collect_env(text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(sorted(EXPECTED)), data=st.data())
def test_cut_anywhere_never_crashes(collect_env_fixtures: Path, prefix: str, data: st.DataObject) -> None:
    body = report_body(fixture(collect_env_fixtures, prefix))
    cut = data.draw(st.integers(min_value=0, max_value=len(body)))
    try:
        facts = parse_collect_env(body[:cut])
    except BadInputError:
        return
    assert facts.source == "collect_env"


# --------------------------------------------------------------------------- torch messages

# Real wordings, each from the thread named beside it (only the surrounding prose is left out).
DRIVER_TOO_OLD_WARNING = (  # IEIT-Yuan/Yuan-2.0#65
    "/usr/local/lib/python3.10/dist-packages/torch/cuda/__init__.py:124: UserWarning: CUDA initialization: "
    "The NVIDIA driver on your system is too old (found version 11000). Please update your GPU driver by "
    "downloading and installing a new version from the URL: http://www.nvidia.com/Download/index.aspx "
    "Alternatively, go to: https://pytorch.org to install a PyTorch version that has been compiled with your "
    "version of the CUDA driver. (Triggered internally at /opt/pytorch/pytorch/c10/cuda/CUDAFunctions.cpp:108.)\n"
    "  return torch._C._cuda_getDeviceCount() > 0\n"
)
DRIVER_TOO_OLD_WRAPPED = """\
AssertionError:\x20
The NVIDIA driver on your system is too old (found version 9000).
Please update your GPU driver by downloading and installing a new
version from the URL: http://www.nvidia.com/Download/index.aspx
Alternatively, go to: https://pytorch.org to install
a PyTorch version that has been compiled with your version
of the CUDA driver.
"""  # wuhuikai/FastFCN#37
INCOMPATIBLE_SM86 = """\
.venv/lib/python3.7/site-packages/torch/cuda/__init__.py:146: UserWarning:\x20
NVIDIA GeForce RTX 3080 Laptop GPU with CUDA capability sm_86 is not compatible with the current PyTorch installation.
The current PyTorch install supports CUDA capabilities sm_37 sm_50 sm_60 sm_70.
If you want to use the NVIDIA GeForce RTX 3080 Laptop GPU GPU with PyTorch, please check the instructions at \
https://pytorch.org/get-started/locally/
"""  # meituan/YOLOv6#350
OLD_GPU = """\
/home/lasercat/.local/lib/python3.6/site-packages/torch/cuda/__init__.py:87: UserWarning:\x20
    Found GPU0 GeForce GTX 660 Ti which is of cuda capability 3.0.
    PyTorch no longer supports this GPU because it is too old.
    The minimum cuda capability that we support is 3.5.
\x20\x20\x20\x20
  warnings.warn(old_gpu_warn % (d, name, major, capability[1]))
"""  # wording of alievk/avatarify-python#58, layout of ROCm/pytorch#627
OLD_GPU_37 = (  # AUTOMATIC1111/stable-diffusion-webui#3003
    "Found GPU0 NVIDIA GTX TITAN Black which is of cuda capability 3.5. PyTorch no longer supports this GPU "
    "because it is too old. The minimum cuda capability supported by this library is 3.7."
)
UNSUPPORTED_CODE = """\
/home/matti/test/test_torch_2.7/.venv/lib/python3.12/site-packages/torch/cuda/__init__.py:371: UserWarning: \
Found GPU0 Tesla V100-PCIE-32GB which is of compute capability (CC) 7.0.
The following list shows the CCs this version of PyTorch was built for and the hardware CCs it supports:
- 7.5 which supports hardware CC >=7.5,<8.0
- 8.0 which supports hardware CC >=8.0,<9.0 except {8.7}
- 8.6 which supports hardware CC >=8.6,<9.0 except {8.7}
- 9.0 which supports hardware CC >=9.0,<10.0
- 10.0 which supports hardware CC >=10.0,<11.0 except {10.1}
- 12.0 which supports hardware CC >=12.0,<13.0
Please follow the instructions at https://pytorch.org/get-started/locally/ to install a PyTorch release that \
supports one of these CUDA versions: 12.6, 12.8
  _warn_unsupported_code(d, device_cc, code_ccs)
"""  # pytorch/pytorch#182250
NO_KERNEL = """\
RuntimeError: CUDA error: no kernel image is available for execution on the device
CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be \
incorrect.
For debugging consider passing CUDA_LAUNCH_BLOCKING=1.
Compile with `TORCH_USE_CUDA_DSA` to enable device-side assertions.
"""  # mit-han-lab/llm-awq#238
NOT_COMPILED = (
    '    raise AssertionError("Torch not compiled with CUDA enabled")\n'
    "AssertionError: Torch not compiled with CUDA enabled\n"
)
NO_DRIVER = (  # princeton-nlp/SimCSE#244
    "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and "
    "installed a driver from http://www.nvidia.com/Download/index.aspx\n"
)
NO_DRIVER_WRAPPED = """\
AssertionError:
Found no NVIDIA driver on your system. Please check that you
have an NVIDIA GPU and installed a driver from
http://www.nvidia.com/Download/index.aspx
Initialzing...
"""  # AbnerHqC/GaitSet#95
INIT_FAILED = (  # wenet-e2e/wenet#700
    "/data/home/miniconda3/envs/wenet/lib/python3.8/site-packages/torch/cuda/__init__.py:52: UserWarning: CUDA "
    "initialization: CUDA driver initialization failed, you might not have a CUDA gpu. (Triggered internally at  "
    "/opt/conda/conda-bld/pytorch_1631630839582/work/c10/cuda/CUDAFunctions.cpp:115.)\n"
    "  return torch._C._cuda_getDeviceCount() > 0\n"
)
FORWARD_COMPAT = (  # hpcaitech/ColossalAI#4381
    "  /opt/conda/lib/python3.9/site-packages/torch/cuda/__init__.py:83: UserWarning: CUDA initialization: Unexpected "
    "error from cudaGetDeviceCount(). Did you run some cuda functions before calling NumCudaDevices() that might have "
    "already set an error? Error 804: forward compatibility was attempted on non supported HW (Triggered internally "
    "at  /opt/conda/conda-bld/pytorch_1659484809662/work/c10/cuda/CUDAFunctions.cpp:109.)\n"
    "  return torch._C._cuda_getDeviceCount() > 0\n"
)
FORWARD_COMPAT_WRAPPED = """\
RuntimeError: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions before calling \
NumCudaDevices() that might have\x20
already set an error? Error 804: forward compatibility was attempted on non supported HW
---------------------
"""  # chenfei-wu/TaskMatrix#379
UNDEFINED_SYMBOL = (  # Layne-Huang/PMDM#5
    "ImportError: /home/anaconda3/envs/mol/lib/python3.9/site-packages/torch/lib/libtorch_cuda.so: undefined symbol: "
    "cudaLaunchKernelExC, version libcudart.so.11.0\n"
)
MISSING_CUDNN = """\
  File "/home/anne/.cache/pypoetry/virtualenvs/transformers-test-hTrBSg_k-py3.8/lib/python3.8/\
site-packages/torch/__init__.py", line 229, in <module>
    from torch._C import *  # noqa: F403
ImportError: libcudnn.so.8: cannot open shared object file: No such file or directory
"""  # pytorch/pytorch#104259
NVML_MISMATCH = (  # YoshitakaMo/localcolabfold#127
    "moscardo@jupyter-moscardo:/$ nvidia-smi\nFailed to initialize NVML: Driver/library version mismatch\n"
)

MESSAGE_CASES = [
    (
        DRIVER_TOO_OLD_WARNING,
        "CUDA initialization: The NVIDIA driver on your system is too old (found version 11000).",
        "(Triggered internally at /opt/pytorch/pytorch/c10/cuda/CUDAFunctions.cpp:108.)",
    ),
    (
        DRIVER_TOO_OLD_WRAPPED,
        "The NVIDIA driver on your system is too old (found version 9000).",
        "with your version of the CUDA driver.",
    ),
    (
        INCOMPATIBLE_SM86,
        "NVIDIA GeForce RTX 3080 Laptop GPU with CUDA capability sm_86",
        "https://pytorch.org/get-started/locally/",
    ),
    (
        OLD_GPU,
        "Found GPU0 GeForce GTX 660 Ti which is of cuda capability 3.0.",
        "The minimum cuda capability that we support is 3.5.",
    ),
    (OLD_GPU_37, "Found GPU0 NVIDIA GTX TITAN Black", "supported by this library is 3.7."),
    (
        UNSUPPORTED_CODE,
        "Found GPU0 Tesla V100-PCIE-32GB which is of compute capability (CC) 7.0.",
        "one of these CUDA versions: 12.6, 12.8",
    ),
    (NO_KERNEL, "CUDA error: no kernel image is available for execution on the device", "execution on the device"),
    (NOT_COMPILED, "Torch not compiled with CUDA enabled", "Torch not compiled with CUDA enabled"),
    (NO_DRIVER, "Found no NVIDIA driver on your system.", "index.aspx"),
    (
        NO_DRIVER_WRAPPED,
        "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU",
        "index.aspx",
    ),
    (
        INIT_FAILED,
        "CUDA initialization: CUDA driver initialization failed, you might not have a CUDA gpu.",
        "CUDAFunctions.cpp:115.)",
    ),
    (FORWARD_COMPAT, "CUDA initialization: Unexpected error from cudaGetDeviceCount().", "CUDAFunctions.cpp:109.)"),
    (
        FORWARD_COMPAT_WRAPPED,
        "Unexpected error from cudaGetDeviceCount().",
        "Error 804: forward compatibility was attempted on non supported HW",
    ),
    (
        UNDEFINED_SYMBOL,
        "/home/anaconda3/envs/mol/lib/python3.9/site-packages/torch/lib/libtorch_cuda.so: undefined symbol:",
        "version libcudart.so.11.0",
    ),
    (MISSING_CUDNN, "libcudnn.so.8: cannot open shared object file", "No such file or directory"),
    (NVML_MISMATCH, "Failed to initialize NVML: Driver/library version mismatch", "version mismatch"),
]


@pytest.mark.parametrize(("text", "starts", "ends"), MESSAGE_CASES)
def test_each_message_is_found_whole(text: str, starts: str, ends: str) -> None:
    msgs = extract_torch_messages(text)
    assert len(msgs) == 1, msgs
    assert msgs[0].startswith(starts)
    assert msgs[0].endswith(ends)
    assert "\n" not in msgs[0] and "  " not in msgs[0]


@pytest.mark.parametrize(("text", "starts", "ends"), MESSAGE_CASES)
def test_messages_alone_are_a_report(text: str, starts: str, ends: str) -> None:
    facts = parse_collect_env(text)
    assert facts.torch_runtime is not None
    assert facts.torch_runtime.messages == extract_torch_messages(text)
    assert facts.python.torch is None
    assert "messages only" in facts.probes[0].reason


def test_messages_in_quoted_and_crlf_paste() -> None:
    text = "".join("> " + line + "\r\n" for line in INCOMPATIBLE_SM86.splitlines())
    assert extract_torch_messages(text) == extract_torch_messages(INCOMPATIBLE_SM86)


def test_several_messages_keep_their_order_and_drop_repeats() -> None:
    text = NO_DRIVER + "some output\n" + NO_KERNEL + NO_DRIVER + UNSUPPORTED_CODE.replace("GPU0", "GPU1")
    msgs = extract_torch_messages(text)
    assert [m[:20] for m in msgs] == [
        "Found no NVIDIA driv",
        "CUDA error: no kerne",
        "Found GPU1 Tesla V10",
    ]


def test_the_rtx_5090_warning_wrapped_by_the_paste() -> None:
    # The wording in the brief, as torch 2.x prints it ("sm_120"), broken mid-list by a narrow paste.
    text = (
        "UserWarning: \nNVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current "
        "PyTorch\n"
        "installation. The current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70\n"
        "sm_75 sm_80 sm_86 sm_90.\n\nnext paragraph\n"
    )
    (msg,) = extract_torch_messages(text)
    assert parse_incompatible_capability(msg) == (
        "NVIDIA GeForce RTX 5090",
        "12.0",
        ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"),
    )


def test_readers() -> None:
    (msg,) = extract_torch_messages(DRIVER_TOO_OLD_WARNING)
    assert parse_driver_too_old(msg) == "11.0"
    assert parse_driver_too_old("The NVIDIA driver on your system is too old (found version 11040).") == "11.4"
    assert parse_driver_too_old("Found no NVIDIA driver on your system.") is None

    (msg,) = extract_torch_messages(INCOMPATIBLE_SM86)
    assert parse_incompatible_capability(msg) == (
        "NVIDIA GeForce RTX 3080 Laptop GPU",
        "8.6",
        ("sm_37", "sm_50", "sm_60", "sm_70"),
    )
    # bismex/MetaBIN#15 lists a PTX arch too.
    assert parse_incompatible_capability(
        "NVIDIA GeForce RTX 3060 with CUDA capability sm_86 is not compatible with the current PyTorch installation.\n"
        "The current PyTorch install supports CUDA capabilities sm_37 sm_50 sm_60 sm_61 sm_70 sm_75 compute_37."
    ) == ("NVIDIA GeForce RTX 3060", "8.6", ("sm_37", "sm_50", "sm_60", "sm_61", "sm_70", "sm_75", "compute_37"))
    assert parse_incompatible_capability(NO_DRIVER) is None

    (msg,) = extract_torch_messages(OLD_GPU)
    assert parse_found_gpu_capability(msg) == [(0, "GeForce GTX 660 Ti", "3.0")]
    (msg,) = extract_torch_messages(UNSUPPORTED_CODE)
    assert parse_found_gpu_capability(msg) == [(0, "Tesla V100-PCIE-32GB", "7.0")]
    assert parse_supported_arch_list(msg) == ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120")
    assert parse_found_gpu_capability(NO_KERNEL) == []


def test_messages_inside_a_dump_fill_runtime_and_gpus(collect_env_fixtures: Path) -> None:
    body = report_body(fixture(collect_env_fixtures, "11"))
    warning = INCOMPATIBLE_SM86.replace("NVIDIA GeForce RTX 3080 Laptop GPU", "NVIDIA GeForce RTX 5090").replace(
        "sm_86", "sm_120"
    )
    lines = body.splitlines(keepends=True)
    text = lines[0] + warning + "".join(lines[1:])  # between the header and the first field
    facts = parse_collect_env(text)
    rt = facts.torch_runtime
    assert rt is not None and rt.arch_list == ("sm_37", "sm_50", "sm_60", "sm_70")
    assert len(rt.messages) == 1
    assert facts.python.torch is not None and facts.python.torch.version == "2.13.0.dev20260530+cu132"
    assert facts.nvidia.gpus == (GpuInfo(index=0, name="NVIDIA GeForce RTX 5090", compute_capability="12.0"),)


def test_found_gpu_warning_gives_capability_by_index(collect_env_fixtures: Path) -> None:
    body = report_body(fixture(collect_env_fixtures, "12"))
    warn = UNSUPPORTED_CODE.replace("Tesla V100-PCIE-32GB", "Tesla V100S-PCIE-32GB").replace("GPU0", "GPU1")
    facts = parse_collect_env(warn + body)
    assert [g.compute_capability for g in facts.nvidia.gpus] == [None, "7.0", None]
    # With no GPU list at all (messages only), the warning still names the GPU.
    facts = parse_collect_env(OLD_GPU)
    assert facts.nvidia.gpus == (GpuInfo(index=0, name="GeForce GTX 660 Ti", compute_capability="3.0"),)


def test_nvml_mismatch_sets_the_driver_error() -> None:
    facts = parse_collect_env(NVML_MISMATCH)
    assert facts.nvidia.error == "Driver/library version mismatch"


def test_knowledge_table_is_used_when_present_and_absence_is_tolerated(
    collect_env_fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = report_body(fixture(collect_env_fixtures, "05"))
    monkeypatch.undo()  # drop the autouse stub: exercise the real lazy import
    stub = types.ModuleType("envtool.knowledge")
    stub.compute_capability = lambda name: "7.5" if name == "Tesla T4" else None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "envtool.knowledge", stub)
    assert parse_collect_env(body).nvidia.gpus[0].compute_capability == "7.5"
    monkeypatch.setitem(sys.modules, "envtool.knowledge", None)  # the module is absent: import fails
    assert parse_collect_env(body).nvidia.gpus[0].compute_capability is None


# --------------------------------------------------------------------------- package lists


def test_conflicting_torch_installs(collect_env_fixtures: Path) -> None:
    body = report_body(fixture(collect_env_fixtures, "13")).rstrip("\n")
    extra = (
        "\n\nVersions of relevant libraries:\n"
        "[pip3] numpy==1.26.4\n"
        "[pip3] nvidia-cublas-cu12==12.1.3.1\n"
        "[pip3] nvidia-ml-py==12.560.30\n"
        "[pip3] torch==2.4.0\n"
        "[pip3] transformers==4.46.2\n"
        "[conda] pytorch                   1.13.1          py3.9_cuda11.7_cudnn8.5.0_0    pytorch\n"
        "[conda] torch                     2.4.0                    pypi_0    pypi\n"
    )
    py = parse_collect_env(body + extra).python
    assert [(t.version, t.cuda) for t in py.torch_installs] == [("2.4.0+cu121", "12.1"), ("1.13.1", "11.7")]
    assert py.transformers == "4.46.2"
    assert py.nvidia_wheels == (DistInfo(name="nvidia-cublas-cu12", version="12.1.3.1"),)
    assert py.pynvml_dists == (DistInfo(name="nvidia-ml-py", version="12.560.30"),)


def test_two_pip_torches_are_two_installs() -> None:
    text = "Versions of relevant libraries:\n[pip3] torch==2.1.0+cu121\n[pip3] torch==2.3.1+cpu\n"
    py = parse_collect_env(text).python
    assert py.torch is None
    assert [(t.version, t.cuda) for t in py.torch_installs] == [("2.1.0+cu121", "12.1"), ("2.3.1+cpu", None)]


def test_conda_build_string_gives_cuda(collect_env_fixtures: Path) -> None:
    # 02: conda's pytorch 1.0.0 py3.7_cuda90_cudnn7_1 is the same install as pip's torch==1.0.0.
    py = parse_collect_env(report_body(fixture(collect_env_fixtures, "02"))).python
    assert len(py.torch_installs) == 1 and py.torch_installs[0].cuda == "9.0"
    # 18: _pytorch_select is a conda selector package, not a torch.
    py = parse_collect_env(report_body(fixture(collect_env_fixtures, "18"))).python
    assert [t.version for t in py.torch_installs] == ["1.8.0.dev20201117"]


def test_cudnn_version_forms() -> None:
    def cudnn(value: str) -> str | None:
        rt = parse_collect_env(f"PyTorch version: 2.3.0\ncuDNN version: {value}\n").torch_runtime
        assert rt is not None
        return rt.cudnn

    assert cudnn("90100") == "9.1.0"
    assert cudnn("8902") == "8.9.2"
    assert cudnn("/usr/lib/x86_64-linux-gnu/libcudnn.so.9.1.0") == "9.1.0"
    assert cudnn("Could not collect") is None
    assert cudnn("something else") is None


# --------------------------------------------------------------------------- rejection and JSON


@pytest.mark.parametrize(
    "text",
    ["", "hello world\n", "OS: Ubuntu 22.04\nPython version: 3.10\n", "```\n```\n", "{" * 0 + "[1, 2, 3]"],
)
def test_text_without_report_or_message_is_rejected(text: str) -> None:
    with pytest.raises(BadInputError) as err:
        parse_collect_env(text)
    assert "\n" not in str(err.value)


def test_huge_random_text_is_rejected() -> None:
    # 100 MB of base64 lines; must finish promptly (linear scanning, no backtracking).
    text = base64.encodebytes(os.urandom(75_000_000)).decode("ascii")
    with pytest.raises(BadInputError):
        parse_collect_env(text)


def _sample_facts() -> HostFacts:
    return HostFacts(
        system=SystemFacts(os_name="Linux", os_pretty="Ubuntu 22.04.4 LTS", arch="x86_64", glibc="2.35"),
        nvidia=NvidiaFacts(
            source="nvml",
            driver_version="560.35.03",
            cuda_driver_version="12.6",
            gpus=(
                GpuInfo(
                    index=0, name="NVIDIA GeForce RTX 4090", compute_capability="8.9", throttle_reasons=("sw_thermal",)
                ),
            ),
        ),
        python=PythonFacts(
            version="3.10.12",
            torch=TorchBuild(version="2.4.0+cpu"),
            torch_installs=(TorchBuild(version="2.4.0+cpu"),),
            nvidia_wheels=(DistInfo(name="nvidia-cublas-cu12", version="12.1.3.1"),),
        ),
        torch_runtime=TorchRuntime(outcome="ok", version="2.4.0+cpu", cuda_available=False, messages=("x",)),
        env_vars=(("CUDA_VISIBLE_DEVICES", "0"),),
    )


def test_envtool_report_round_trips(tmp_path: Path) -> None:
    facts = _sample_facts()
    data = facts_to_data(facts)
    data["recommended_profile"] = {"name": "cpu", "reasons": []}
    envelope = {
        "schema": "envtool/1",
        "command": "detect",
        "status": "warn",
        "exit_code": 0,
        "data": data,
        "findings": [],
        "errors": [],
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(envelope, indent=2), encoding="utf-8")
    assert load_report("\n  " + path.read_text(encoding="utf-8"), str(path)) == facts
    assert facts_from_envtool_report(json.loads(path.read_text(encoding="utf-8"))) == facts


@pytest.mark.parametrize(
    "obj",
    [
        {"foo": 1},
        {"schema": "other/2", "data": {}},
        {"schema": "envtool/1", "command": "profiles", "data": {"profiles": []}},
        {"schema": "envtool/1", "data": {"system": "not an object"}},
    ],
)
def test_foreign_json_is_rejected(obj: dict[str, object]) -> None:
    with pytest.raises(BadInputError) as err:
        load_report(json.dumps(obj), "foreign.json")
    msg = str(err.value)
    assert msg.startswith("foreign.json: ") and "\n" not in msg


def test_errors_name_the_file() -> None:
    with pytest.raises(BadInputError, match=r"^broken\.json: not valid JSON"):
        load_report('{"schema": "envtool/1",', "broken.json")
    with pytest.raises(BadInputError, match=r"^notes\.txt: no collect_env report found"):
        load_report("just some notes\n", "notes.txt")
    with pytest.raises(BadInputError, match=r"envtool/1"):
        facts_from_envtool_report({"schema": "envtool/0"})


def test_load_report_reads_a_dump(collect_env_fixtures: Path) -> None:
    path = fixture(collect_env_fixtures, "13")
    facts = load_report(path.read_text(encoding="utf-8"), path.name)
    assert facts.source == "collect_env" and len(facts.nvidia.gpus) == 8


def test_parsed_facts_survive_the_json_layout(collect_env_fixtures: Path) -> None:
    # What `envtool diagnose --json` writes for a dump reads back as the same facts.
    facts = parse_collect_env(report_body(fixture(collect_env_fixtures, "15")))
    envelope = {"schema": "envtool/1", "command": "diagnose", "data": facts_to_data(facts)}
    assert load_report(json.dumps(envelope), "x.json") == facts
    assert dataclasses.asdict(facts)  # plain data all the way down

"""`envtool diagnose` on free-form pastes: the real ones in ../shared/fixtures/pastes, and each form by name.

The fixture cases are generated from the table in pastes/SOURCES.md: a new row there becomes a
new case here. A row whose cause is confirmed must get that cause as the verdict; a healthy one
must get no error finding; an unconfirmed one must at least be read without an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from envtool_cli import diagnose
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envtool import paste_rules, profiles
from envtool.diagnose import read_paste
from envtool.errors import BadInputError
from envtool.model import Severity

PASTES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "pastes"

# The cause the SOURCES.md table names (its bold words), mapped onto a finding id; the first
# phrase found wins. A confirmed row whose cause matches none of these fails the test below,
# so a new kind of cause gets a mapping (and a rule) rather than passing unnoticed.
CAUSE_IDS = (
    ("fabric manager", "fabric_manager_down"),
    ("container without", "container_without_gpu"),
    ("exclusive_process", "exclusive_process_mode"),
    ("nvml driver/library mismatch", "no_driver"),
    ("wsl libcuda", "no_driver"),
    ("no working driver", "no_driver"),
    ("driver too old", "driver_too_old"),
    ("gpu too old", "arch_unsupported"),
    ("new gpu on an old build", "arch_unsupported"),
    ("cpu-only torch", "cpu_build_on_gpu"),
    ("conflicting installs", "conflicting_installs"),
)
HEALTHY = ("healthy", "genuine library bug")

# Pastes whose cause the thread established from text that is not in the paste (prose, a
# screenshot, the issue title). Reading them as the cause would need evidence the paste does
# not hold; the test checks instead that they get no wrong error and the settling command.
NOT_IN_PASTE = {
    "10-headerless-banner-rows-only-host-healthy-container-without-nvidia-docker": (
        "only the host's healthy banner; that the container lacked --gpus is in the reporter's prose"
    ),
    "20-hand-typed-banner-line-chinese-fullwidth-colon-cpu-torch": (
        "a driver line and a Python version; the CPU build is in the issue title and a screenshot"
    ),
}


def _rows() -> list[dict[str, str]]:
    """The SOURCES.md table, one dict per fixture row (file, cause, how)."""
    sources = PASTES / "SOURCES.md"
    if not sources.is_file():
        return []
    rows = []
    for line in sources.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) >= 4 and re.match(r"\d{2}-", cells[0]):
            rows.append({"file": cells[0], "cause": cells[2], "how": cells[3]})
    return rows


def _expected(row: dict[str, str]) -> str | None:
    """The finding id the row's cause names, "healthy", or None when the row is unconfirmed."""
    if row["how"].lower().startswith("unconfirmed"):
        return None
    bold = " ".join(re.findall(r"\*\*(.+?)\*\*", row["cause"])) or row["cause"]
    text = bold.lower()
    if any(h in text for h in HEALTHY):
        return "healthy"
    for phrase, fid in CAUSE_IDS:
        if phrase in text or phrase in row["cause"].lower():
            return fid
    raise AssertionError(f"{row['file']}: no finding id for the cause {bold!r}; add it to CAUSE_IDS")


ROWS = _rows()


def _judge(text: str) -> tuple[list, dict]:
    paste = read_paste(text)
    return paste_rules.diagnose_paste(paste.facts, paste.signs)


def _check_evidence(findings: list, text: str) -> None:
    lines = text.split("\n")
    for f in findings:
        if f.severity == Severity.ERROR:
            assert f.evidence, f"{f.id}: an error finding without a line of the paste"
        for e in f.evidence:
            assert 1 <= e.line <= len(lines), (f.id, e)
            raw = " ".join(lines[e.line - 1].split())
            tokens = [t.strip("'\"`*") for t in e.text.split()]
            assert any(len(t) >= 3 and t in raw for t in tokens), (f.id, e, raw)


def test_the_sources_table_is_read() -> None:
    if not ROWS:
        pytest.skip("the shared pastes fixtures are absent")
    files = {p.stem for p in PASTES.glob("*.txt")}
    assert {r["file"] for r in ROWS} == files  # every fixture has a row, every row a fixture
    assert {_expected(r) for r in ROWS} - {None, "healthy"}, "no confirmed cause was read from the table"


@pytest.mark.parametrize("row", ROWS, ids=[r["file"][:2] for r in ROWS])
def test_paste_gets_its_cause(row: dict[str, str]) -> None:
    text = (PASTES / f"{row['file']}.txt").read_text(encoding="utf-8")
    expected = _expected(row)
    findings, verdict = _judge(text)
    _check_evidence(findings, text)
    errors = [f.id for f in findings if f.severity == Severity.ERROR]
    if row["file"] in NOT_IN_PASTE:
        assert not errors, (row["file"], errors)
        assert verdict["cause"] is None and verdict["settle"] == paste_rules.SETTLE_TORCH, verdict
        # The healthy driver side is said in plain words, with where to look and the container check.
        assert verdict["summary"].startswith("the driver side this paste shows is healthy"), verdict
        assert "Python environment or container where torch runs" in verdict["summary"]
        assert paste_rules.SETTLE_CONTAINER in verdict["summary"]
        # The cause its thread established is named as a suspect (no line shows it, so it is no finding).
        assert expected in verdict["suspects"], (row["file"], verdict)
        assert f"(`{expected}`)" in verdict["summary"]
    elif expected == "healthy":
        assert not errors, (row["file"], errors)
    elif expected is not None:
        assert verdict["cause"] == expected, (row["file"], verdict, [(f.id, f.severity.value) for f in findings])


@pytest.mark.parametrize("row", ROWS, ids=[r["file"][:2] for r in ROWS])
def test_paste_runs_through_the_cli(row: dict[str, str]) -> None:
    code, env = diagnose(str(PASTES / f"{row['file']}.txt"))
    assert code in (0, 1), env
    assert env["data"]["verdict"]["summary"]
    for f in env["findings"]:
        assert set(f) <= {"id", "severity", "message", "fix", "evidence"}
        for e in f.get("evidence", []):
            assert set(e) == {"line", "text"} and isinstance(e["line"], int)


@pytest.mark.skipif(not PASTES.is_dir(), reason="the shared pastes fixtures are absent")
def test_a_banner_line_alone_proves_a_gpu_and_the_profile_follows_the_driver() -> None:
    # Paste 20 (X-PLUG/MobileAgent#60): one hand-typed banner line. nvidia-smi prints its version row
    # only when it reached a GPU, so the recommendation is a CUDA profile the 475 driver runs, not cpu.
    code, env = diagnose(str(PASTES / "20-hand-typed-banner-line-chinese-fullwidth-colon-cpu-torch.txt"))
    assert code == 0 and env["data"]["nvidia"]["hardware_present"] is True
    rec = env["data"]["recommended_profile"]
    chosen = {p.name: p for p in profiles.load_profiles(None)}[rec["name"]]
    assert chosen.is_gpu and chosen.cuda is not None and chosen.cuda.startswith("11."), rec
    assert any("architecture is unknown" in r for r in rec["reasons"]), rec
    assert not any("does not show an NVIDIA GPU" in r for r in rec["reasons"]), rec
    told = {row["what"]: row for row in env["data"]["told"]}
    assert told["GPU"]["line"] == 1 and "model is not in the paste" in told["GPU"]["value"]


@pytest.mark.parametrize(
    "extra",
    [
        "Failed to initialize NVML: Driver/library version mismatch\n",
        "No devices were found\n",
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
    ],
)
def test_a_banner_beside_an_nvidia_smi_failure_is_a_gpu_without_a_working_driver(extra: str) -> None:
    # The banner (from the host, or from before) still proves the GPU; the failure is the verdict.
    text = "| NVIDIA-SMI 535.54.03   Driver Version: 535.54.03   CUDA Version: 12.2 |\n" + extra
    paste = read_paste(text)
    assert paste.facts.nvidia.hardware_present is True
    findings, verdict = _judge(text)
    assert verdict["cause"] == "no_driver" and findings[0].severity == Severity.ERROR
    assert not verdict["summary"].startswith("the driver side")


def test_the_healthy_driver_side_verdict_needs_nothing_from_torch() -> None:
    banner = "| NVIDIA-SMI 535.54.03   Driver Version: 535.54.03   CUDA Version: 12.2 |\n"
    _, verdict = _judge(banner)
    assert verdict["cause"] is None and "(driver 535.54.03, CUDA 12.2, at least one GPU" in verdict["summary"]
    assert "line 1)" in verdict["summary"]
    # Once the paste shows torch, the judgement is on what it shows.
    for torch_line in (">>> torch.__version__\n'2.1.0+cu121'\n", "torch==2.1.0+cu121\n"):
        _, verdict = _judge(banner + torch_line)
        assert verdict["summary"] == "no environment problem found in this report", verdict
    # Prose that speaks of torch (conda-forge/pytorch-cpu-feedstock#521, a library bug) is not "nothing from torch".
    _, verdict = _judge(banner + "* Pytorch 2.10 through 2.12 from conda-forge\n")
    assert verdict["summary"] == "no environment problem found in this report", verdict
    # A path through a torch folder is no such word.
    _, verdict = _judge(banner + "cd /opt/torch_models\n")
    assert verdict["summary"].startswith("the driver side"), verdict
    # A driver version alone (no banner, no GPU) shows no GPU: the plain verdict.
    _, verdict = _judge("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.54.03  Tue Jun  6 22:20:39 UTC 2023\n")
    assert verdict["summary"] == "no environment problem found in this report"
    assert verdict["suspects"] == []


def test_the_suspects_follow_what_the_paste_shows() -> None:
    banner = "| NVIDIA-SMI 535.54.03   Driver Version: 535.54.03   CUDA Version: 12.2 |\n"
    assert _judge(banner)[1]["suspects"] == ["cpu_build_on_gpu", "container_without_gpu"]
    # A compose log around it: the container is the likelier.
    _, verdict = _judge("Attaching to trainer_1\n" + banner)
    assert verdict["suspects"] == ["container_without_gpu", "cpu_build_on_gpu"], verdict
    # Windows outside WSL (a Windows path in a traceback frame) runs no Linux container.
    _, verdict = _judge(banner + 'File "C:\\Users\\lab\\train.py", line 3, in <module>\n')
    assert verdict["suspects"] == ["cpu_build_on_gpu"], verdict
    # A named cause leaves no suspects.
    _, verdict = _judge(banner + "AssertionError: Torch not compiled with CUDA enabled\n")
    assert verdict["cause"] == "cpu_build_on_gpu" and verdict["suspects"] == [], verdict


# --------------------------------------------------------------------------- the forms, by name

BANNER_2020 = """\
Wed Mar 22 17:08:32 2023
+-----------------------------------------------------------------------------+
| NVIDIA-SMI 450.119.03   Driver Version: 450.119.03   CUDA Version: 11.0     |
|-------------------------------+----------------------+----------------------+
| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |
| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |
|                               |                      |               MIG M. |
|===============================+======================+======================|
|   0  A100-SXM4-40GB      On   | 00000000:04:00.0 Off |                    0 |
| N/A   30C    P0    58W / 400W |   1404MiB / 40537MiB |      0%   E. Process |
|                               |                      |             Disabled |
"""


def test_banner_with_mig_row_gives_driver_cuda_gpu_and_compute_mode() -> None:
    paste = read_paste(BANNER_2020)
    nv = paste.facts.nvidia
    assert (nv.driver_version, nv.cuda_driver_version) == ("450.119.03", "11.0")
    assert [(g.index, g.name) for g in nv.gpus] == [(0, "A100-SXM4-40GB")]
    assert [e.line for e in paste.signs["driver"]] == [3]
    assert [e.line for e in paste.signs["exclusive_mode"]] == [10]
    findings, _ = paste_rules.diagnose_paste(paste.facts, paste.signs)
    assert ("exclusive_process_mode", Severity.WARN) in [(f.id, f.severity) for f in findings]


def test_newest_banner_kmd_and_umd_labels() -> None:
    text = "| NVIDIA-SMI 610.43.02              KMD Version: 610.43.02     CUDA UMD Version: 13.3     |\n"
    nv = read_paste(text).facts.nvidia
    assert (nv.driver_version, nv.cuda_driver_version) == ("610.43.02", "13.3")


def test_banner_without_borders_truncated_and_hand_typed() -> None:
    rows = "|   1  Tesla V100-PCIE...  Off  | 00000000:86:00.0 Off |                    0 |\n"
    assert read_paste(rows).facts.nvidia.gpus[0].name == "Tesla V100-PCIE"
    nv = read_paste("Driver Version: 535 / CUDA 12.2\n").facts.nvidia
    assert (nv.driver_version, nv.cuda_driver_version) == ("535", "12.2")
    nv = read_paste(
        "当前环境：NVIDIA-SMI 475.14       Driver Version: 475.14       CUDA Version: 11.4  \r\n"
    ).facts.nvidia
    assert (nv.driver_version, nv.cuda_driver_version) == ("475.14", "11.4")


def test_nvidia_smi_list_and_query_csv() -> None:
    text = "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-1b2c3d4e-aaaa-bbbb-cccc-123456789abc)\n"
    assert [g.name for g in read_paste(text).facts.nvidia.gpus] == ["NVIDIA A100-SXM4-80GB"]
    csv = "name, driver_version, compute_mode\nNVIDIA H100 80GB HBM3, 550.54.15, Exclusive_Process\n"
    paste = read_paste(csv)
    assert paste.facts.nvidia.driver_version == "550.54.15"
    assert paste.facts.nvidia.gpus[0].name == "NVIDIA H100 80GB HBM3"
    assert "exclusive_mode" in paste.signs


def test_nvidia_smi_q_output() -> None:
    text = (
        "Driver Version                            : 535.104.05\n"
        "Attached GPUs                             : 1\n"
        "GPU 00000000:07:00.0\n"
        "    Product Name                          : NVIDIA A100-SXM4-80GB\n"
        "    Compute Mode                          : Exclusive_Process\n"
    )
    paste = read_paste(text)
    assert paste.facts.nvidia.driver_version == "535.104.05"
    assert [g.name for g in paste.facts.nvidia.gpus] == ["NVIDIA A100-SXM4-80GB"]
    assert [e.line for e in paste.signs["exclusive_mode"]] == [5]


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        (
            "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
            "Make sure that the latest NVIDIA driver is installed and running.\n",
            "no_driver",
        ),
        ("Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 550.144\n", "no_driver"),
        ("$ nvidia-smi\nNo devices were found\n", "no_driver"),
    ],
)
def test_nvidia_smi_error_lines(text: str, cause: str) -> None:
    findings, verdict = _judge(text)
    assert verdict["cause"] == cause
    assert findings[0].severity == Severity.ERROR and findings[0].evidence


def test_a_mismatch_says_which_side_to_fix() -> None:
    findings, _ = _judge(
        "Failed to initialize NVML: Driver/library version mismatch\n"
        "NVRM: API mismatch: the client has the version 535.161.07, but\n"
        "NVRM: this kernel module has the version 535.54.03.\n"
        "NVML library version: 535.161\n"
    )
    assert "535.161" in findings[0].message and "reboot" in findings[0].fix
    upgraded = (
        "Failed to initialize NVML: Driver/library version mismatch\n"
        "Upgrade: libnvidia-common-460:amd64 (460.56-0ubuntu0.20.04.1, 460.73.01-0ubuntu0.20.04.1)\n"
    )
    findings, _ = _judge(upgraded)
    assert "upgraded" in findings[0].message and [e.line for e in findings[0].evidence] == [1, 2]


def test_proc_version_lspci_lshw_dpkg_and_windows_driver() -> None:
    nv = read_paste("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.54.03  Tue Jun  6 22:20:39 UTC 2023\n")
    assert nv.facts.nvidia.driver_version == "535.54.03"
    pci = read_paste("01:00.0 VGA compatible controller: NVIDIA Corporation GA102 [GeForce RTX 3090] (rev a1)\n")
    assert pci.facts.nvidia.hardware_present and pci.facts.nvidia.gpus[0].name == "GeForce RTX 3090"
    lshw = "  *-display\n       product: AD102 [GeForce RTX 4090]\n       vendor: NVIDIA Corporation\n"
    assert read_paste(lshw).facts.nvidia.gpus[0].name == "GeForce RTX 4090"
    dpkg = "ii  nvidia-driver-535   535.183.01-0ubuntu1   amd64   NVIDIA driver metapackage\n"
    assert "driver_package:535" in read_paste(dpkg).signs
    win = read_paste("NVIDIA GeForce RTX 4070   31.0.15.5186\n").facts
    assert (win.nvidia.driver_version, win.system.os_name) == ("551.86", "Windows")


def test_windows_device_manager_and_wmic_list() -> None:
    facts = read_paste("Name: NVIDIA GeForce RTX 3080\r\nDriver Version: 31.0.15.2698\r\n").facts
    assert (facts.nvidia.driver_version, facts.nvidia.gpus[0].name) == ("526.98", "NVIDIA GeForce RTX 3080")
    assert (
        read_paste("Name=NVIDIA GeForce RTX 3080\nDriverVersion=31.0.15.2698\n").facts.nvidia.driver_version == "526.98"
    )
    # wmic's list prints its keys in alphabetical order: the version comes before the GPU that makes it NVIDIA's.
    listed = read_paste("DriverVersion=31.0.15.5186\r\nName=NVIDIA GeForce RTX 3060\r\n")
    assert (listed.facts.nvidia.driver_version, listed.facts.nvidia.gpus[0].name) == (
        "551.86",
        "NVIDIA GeForce RTX 3060",
    )
    assert [e.line for e in listed.signs["driver"]] == [1] and [e.line for e in listed.signs["gpu"]] == [2]
    # wmic's table (`wmic path win32_VideoController get name,driverversion`): both in one row.
    row = read_paste("DriverVersion   Name\n31.0.15.5186    NVIDIA GeForce RTX 3060\n").facts
    assert (row.nvidia.driver_version, [g.name for g in row.nvidia.gpus]) == ("551.86", ["NVIDIA GeForce RTX 3060"])
    # Another vendor's driver numbering is not read as NVIDIA's.
    with pytest.raises(BadInputError):
        read_paste("Name: Intel(R) UHD Graphics 770\nDriver Version: 31.0.101.4502\n")
    with pytest.raises(BadInputError):
        read_paste("DriverVersion=31.0.101.4502\nName=Intel(R) UHD Graphics 770\n")


def test_fields_typed_on_one_line_with_full_width_commas() -> None:
    # Chinese issue templates: "显卡：..., 驱动版本：..." (graphics card, driver version) on one line.
    text = "显卡：NVIDIA GeForce RTX 4090，驱动版本：535.104.05，CUDA版本：12.2\nPyTorch版本：2.1.0+cpu\n"
    paste = read_paste(text)
    nv = paste.facts.nvidia
    assert (nv.driver_version, [g.name for g in nv.gpus]) == ("535.104.05", ["NVIDIA GeForce RTX 4090"])
    assert paste.facts.python.torch is not None and paste.facts.python.torch.version == "2.1.0+cpu"
    findings, verdict = _judge(text)
    assert verdict["cause"] == "cpu_build_on_gpu", verdict
    assert {e.line for e in findings[0].evidence} == {1, 2}
    # A full-width comma inside one value splits nothing; the GPU is still known.
    one = read_paste("显卡：NVIDIA GeForce RTX 4090，24GB\n").facts.nvidia
    assert len(one.gpus) == 1 and one.gpus[0].compute_capability == "8.9"


def test_package_lists_pip_freeze_conda_and_uv() -> None:
    freeze = "torch==2.3.1+cu121\nnvidia-cudnn-cu12==8.9.2.26\nnvidia-cublas-cu11==11.10.3.66\n"
    facts = read_paste(freeze).facts
    assert facts.python.torch is not None and facts.python.torch.cuda == "12.1"
    findings, _ = _judge(freeze)
    assert "conflicting_installs" in [f.id for f in findings]  # cu11 and cu12 wheels together
    listing = "Package    Version\n---------- -----------\ntorch      2.1.0+cpu\ntorchvision 0.16.0+cpu\n"
    paste = read_paste(listing)
    assert "cpu_build" in paste.signs
    conda = "pytorch                   2.1.0           py3.10_cuda12.1_cudnn8.9.2_0    pytorch\n"
    assert read_paste(conda).facts.python.torch_installs[0].cuda == "12.1"
    wheel = "pip3 install https://download.pytorch.org/whl/cu100/torch-1.0.1.post2-cp35-cp35m-linux_x86_64.whl\n"
    assert read_paste(wheel).facts.python.torch_installs[0].cuda == "10.0"


@pytest.mark.parametrize(
    "text",
    [
        ">>> torch.__version__\n'2.0.1+cu118'\n",
        "torch.__version__: '2.0.1+cu118'\n",
        "`torch.__version__`\nreturns 2.0.1+cu118\n",
        "$ python -c 'import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available())'\n"
        "2.0.1+cu118 11.8 True\n",
    ],
)
def test_repl_and_script_output(text: str) -> None:
    facts = read_paste(text).facts
    assert facts.python.torch is not None and facts.python.torch.version == "2.0.1+cu118"


def test_repl_values_cuda_none_availability_and_cudnn() -> None:
    paste = read_paste(">>> print(torch.version.cuda)\nNone\n>>> torch.cuda.is_available() → False\n")
    assert "cpu_build" in paste.signs
    assert paste.facts.torch_runtime is not None and paste.facts.torch_runtime.cuda_available is False
    rt = read_paste("torch.backends.cudnn.version(): 8600\nPyTorch version: 2.0.1\n").facts.torch_runtime
    assert rt is not None and rt.cudnn == "8.6.0"


def test_issue_template_bullets_and_markdown_values() -> None:
    text = (
        " - PyTorch Version (e.g., 1.0): 1.6.0\n"
        " - CUDA/cuDNN version: 10.1\n"
        " - GPU models and configuration: GeForce RTX 3090\n"
        "- **Nvidia driver**: `455.23.05`\n"
    )
    facts = read_paste(text).facts
    assert facts.python.torch is not None and facts.python.torch.version == "1.6.0"
    assert [g.name for g in facts.nvidia.gpus] == ["GeForce RTX 3090"]
    assert facts.nvidia.driver_version == "455.23.05"


# --------------------------------------------------------------------------- precision


def test_no_local_tag_is_not_a_cpu_build() -> None:
    # pip's torch 1.0.1 was a CUDA build without a "+cu" tag; conda's carry none either.
    text = "- PyTorch version: 1.0.1\n- GPU models and configuration: GeForce GTX 1080 Ti\n"
    findings, verdict = _judge(text)
    assert "cpu_build_on_gpu" not in [f.id for f in findings]
    assert verdict["cause"] is None


def test_red_herrings_stay_red_herrings() -> None:
    text = (
        "I tried export CUDA_VISIBLE_DEVICES = 0 before running.\n"
        "nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release 11.8, V11.8.89\n"
        "PyTorch version: 2.3.1+cu121\nNvidia driver version: 550.54.15\n"
        "GPU models and configuration: GPU 0: NVIDIA A100-SXM4-80GB\n"
    )
    findings, verdict = _judge(text)
    assert not [f for f in findings if f.severity == Severity.ERROR]
    assert {f.id for f in findings} <= {"toolkit_mismatch"}
    assert verdict["cause"] is None


def test_a_real_library_bug_gets_no_error() -> None:
    text = (
        "* GPU: RTX 5070 Laptop GPU\n* cublas: 13.5.1.27 -- broken\n"
        "* System driver Nvidia driver: 595.71.05 (Cuda 13.2.0???)\n"
        "RuntimeError: CUDA error: CUBLAS_STATUS_EXECUTION_FAILED when calling `cublasGemmEx( handle, ...)`\n"
    )
    findings, verdict = _judge(text)
    assert not [f for f in findings if f.severity == Severity.ERROR] and verdict["cause"] is None


def test_found_no_driver_needs_a_gpu_or_a_container_for_an_error() -> None:
    alone = "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU\n"
    findings, verdict = _judge(alone)
    assert findings[0].severity == Severity.WARN and verdict["settle"] == paste_rules.SETTLE_DRIVER
    with_gpu = alone + "01:00.0 3D controller: NVIDIA Corporation GA100 [A100 PCIe 40GB] (rev a1)\n"
    assert _judge(with_gpu)[1]["cause"] == "no_driver"
    in_container = "$ docker run -it myimage python train.py\n" + alone
    findings, verdict = _judge(in_container)
    assert verdict["cause"] == "container_without_gpu" and [e.line for e in findings[0].evidence] == [1, 2]
    requested = "$ docker run --gpus all -it myimage python train.py\n" + alone
    assert _judge(requested)[1]["cause"] != "container_without_gpu"


def test_cuda_unknown_error_is_a_driver_error_only_with_context() -> None:
    msg = "RuntimeError: CUDA unknown error - this may be due to an incorrectly set up environment\n"
    assert _judge(msg)[0][0].severity == Severity.WARN
    assert _judge("root@3f2a1b4c5d6e:/workspace# python t.py\n" + msg)[0][0].severity == Severity.ERROR


def test_fabric_manager_error_802() -> None:
    e802 = "RuntimeError: CUDA error: system not yet initialized\n"
    findings, verdict = _judge(e802)
    assert verdict["cause"] == "fabric_manager_down" and findings[0].severity == Severity.WARN
    assert verdict["settle"] == paste_rules.SETTLE_FABRIC
    log = "Feb 24 09:28:19 host nv-fabricmanager[1507]: fabric manager NVSwitch driver version mismatch, failed\n"
    findings, verdict = _judge(e802 + log)
    assert verdict["cause"] == "fabric_manager_down" and findings[0].severity == Severity.ERROR
    assert [e.line for e in findings[0].evidence] == [1, 2]


def test_docker_without_the_container_toolkit() -> None:
    text = 'docker: Error response from daemon: could not select device driver "" with capabilities: [[gpu]].\n'
    assert _judge(text)[1]["cause"] == "container_without_gpu"


def test_old_gpu_message_with_unfilled_placeholders() -> None:
    text = (
        "UserWarning: Found GPU%d %s which is of cuda capability %d.%d.\n"
        "    PyTorch no longer supports this GPU because it is too old.\n"
    )
    assert _judge(text)[1]["cause"] == "arch_unsupported"


def test_newest_wording_on_a_covered_gpu_is_not_an_error() -> None:
    text = (
        "UserWarning: Found GPU0 NVIDIA GB10 which is of compute capability (CC) 12.1.\n"
        "Your installed torch==2.13.0+cu130 does not include kernels for this GPU.\n"
    )
    findings, verdict = _judge(text)
    assert verdict["cause"] is None and [f.severity for f in findings] == [Severity.INFO]


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        (
            "RuntimeError: cuDNN version incompatibility: PyTorch was compiled against (8, 7, 0) but found "
            "runtime version (8, 6, 0).\nLD_LIBRARY_PATH=/usr/local/cuda/lib64\n",
            "conflicting_installs",
        ),
        (
            "ImportError: /usr/lib/python3/site-packages/torch/lib/libtorch_cuda.so: undefined symbol: "
            "cudaLaunchKernelExC, version libcudart.so.11.0\n",
            "conflicting_installs",
        ),
        (
            "ImportError: libcudnn.so.8: cannot open shared object file: No such file or directory\n",
            "conflicting_installs",
        ),
        ("OSError: libcuda.so.1: cannot open shared object file: No such file or directory\n", "no_driver"),
        ("RuntimeError: CUDA error: all CUDA-capable devices are busy or unavailable\n", "exclusive_process_mode"),
    ],
)
def test_library_and_device_messages(text: str, cause: str) -> None:
    assert _judge(text)[1]["cause"] == cause


# --------------------------------------------------------------------------- forms and causes from real reports
# Each text below is a line (or lines) as it was posted in the thread named next to it.


@pytest.mark.parametrize(
    "text",
    [
        # pytorch/pytorch#10910 (conda's cudatoolkit moved from 9.0 to 9.2 under the binaries)
        "ImportError: libcudart.so.9.0: cannot open shared object file: No such file or directory\n",
        # pytorch/vision#6628 (a cu117 wheel without its nvidia-cublas dependency)
        '  File "/opt/python/cp37-cp37m/lib/python3.7/site-packages/torch/__init__.py", line 153, '
        "in _load_global_deps\n"
        "    ctypes.CDLL(lib_path, mode=ctypes.RTLD_GLOBAL)\n"
        '  File "/opt/python/cp37-cp37m/lib/python3.7/ctypes/__init__.py", line 364, in __init__\n'
        "    self._handle = _dlopen(self._name, mode)\n"
        "OSError: libcublas.so.11: cannot open shared object file: No such file or directory\n",
        # sgl-project/sglang#10951
        "ImportError: libnvrtc.so.12: cannot open shared object file: No such file or directory\n",
        # facefusion/facefusion-docker#9: a compose prefix, and cuDNN's message glued in front
        "facefusion-docker-facefusion-cuda-1  | Could not load library libcudnn_cnn_infer.so.8. Error: libnvrtc.so: "
        "cannot open shared object file: No such file or directory\n"
        "facefusion-docker-facefusion-cuda-1 exited with code 139\n",
    ],
)
def test_a_cuda_library_that_cannot_be_opened(text: str) -> None:
    findings, verdict = _judge(text)
    assert verdict["cause"] == "conflicting_installs" and findings[0].severity == Severity.ERROR
    assert [e.text for e in findings[0].evidence][0].endswith(
        "cannot open shared object file: No such file or directory"
    )
    _check_evidence(findings, text)


def test_cuda_unknown_error_right_after_a_driver_upgrade_is_the_driver() -> None:
    # The error as in pytorch/pytorch#49081 (fixed by the reboot after the driver install), beside the apt
    # history line of lyulyul/shine-cluster#30 (fixture 02) that shows the driver's libraries moving.
    text = (
        "Upgrade: libnvidia-common-460:amd64 (460.56-0ubuntu0.20.04.1, 460.73.01-0ubuntu0.20.04.1)\n"
        "RuntimeError: CUDA unknown error - this may be due to an incorrectly set up environment, e.g. changing env "
        "variable CUDA_VISIBLE_DEVICES after program start. Setting the available devices to be zero.\n"
    )
    findings, verdict = _judge(text)
    assert verdict["cause"] == "no_driver" and findings[0].severity == Severity.ERROR
    assert [e.line for e in findings[0].evidence] == [1, 2] and "driver change" in findings[0].message


def test_pip_and_conda_listing_the_same_torch_is_one_install() -> None:
    # pytorch/pytorch#35646: collect_env of a clean `conda install pytorch ... cudatoolkit=10.1` env.
    text = (
        "[pip] numpy==1.18.1\n[pip] torch==1.4.0\n[pip] torchvision==0.5.0\n"
        "[conda] cudatoolkit               10.1.243             h6bb024c_0  \n"
        "[conda] pytorch                   1.4.0           py3.7_cuda10.1.243_cudnn7.6.3_0    pytorch\n"
        "[conda] torchvision               0.5.0                py37_cu101    pytorch\n"
    )
    findings, verdict = _judge(text)
    assert "conflicting_installs" not in [f.id for f in findings] and verdict["cause"] is None
    assert [t.version for t in read_paste(text).facts.python.torch_installs] == ["1.4.0"]


def test_a_banner_line_with_a_stray_label() -> None:
    # pytorch/pytorch#85332: the banner's version row typed after an "nvidia-smi:" label.
    text = (
        "nvidia-smi:NVIDIA-SMI 450.51.05    Driver Version: 450.51.05    CUDA Version: 11.0 \n"
        "nvcc -V:Cuda compilation tools, release 10.2, V10.2.89\n"
        "print(torch.__version__)\n1.8.1+cu102\n"
    )
    paste = read_paste(text)
    nv = paste.facts.nvidia
    assert (nv.driver_version, nv.cuda_driver_version, nv.hardware_present) == ("450.51.05", "11.0", True)
    assert paste.facts.python.torch is not None and paste.facts.python.torch.cuda == "10.2"
    findings, verdict = _judge(text)
    assert not [f for f in findings if f.severity == Severity.ERROR]  # cu102 on a CUDA 11.0 driver runs
    assert verdict["summary"] == "no environment problem found in this report"


@pytest.mark.skipif(not PASTES.is_dir(), reason="the shared pastes fixtures are absent")
def test_the_2023_wddm_banner_and_the_open_kernel_module_version() -> None:
    # Fixture 19 (mrhan1993/Fooocus-API#84): the 89-column banner with TCC/WDDM, and torch refusing CUDA.
    text = (PASTES / "19-windows-traceback-plus-wddm-banner-2023-layout-torch-not-compiled.txt").read_text("utf-8")
    paste = read_paste(text)
    nv = paste.facts.nvidia
    assert (nv.driver_version, nv.cuda_driver_version) == ("546.17", "12.3")
    assert [(g.index, g.name) for g in nv.gpus] == [(0, "NVIDIA GeForce RTX 2060")]
    findings, verdict = _judge(text)
    assert verdict["cause"] == "cpu_build_on_gpu" and findings[0].severity == Severity.ERROR
    assert {1, 28} <= {e.line for e in findings[0].evidence}  # the message and the GPU's row
    # Fixture 29 (nix-community/nixGL#186): "for x86_64" and double spaces in the open module's string.
    text = (PASTES / "29-proc-driver-nvidia-version-open-kernel-module-format-healthy.txt").read_text("utf-8")
    assert read_paste(text).facts.nvidia.driver_version == "565.57.01"


# --------------------------------------------------------------------------- wrapping


@pytest.mark.parametrize(
    "wrap",
    [
        lambda t: "".join(f"doods_1  | {line}\n" for line in t.splitlines()),
        lambda t: "".join(f"Oct 04 13:19:39 host svc[394]: {line}\n" for line in t.splitlines()),
        lambda t: "".join(f"[2025-07-01T05:06:30.004+00:00] {line}\n" for line in t.splitlines()),
        lambda t: "".join(f"[rank0]: {line}\n" for line in t.splitlines()),
        lambda t: "".join(f"> {line}\n" for line in t.splitlines()),
        lambda t: "Some prose first.\n\n<details><summary>log</summary>\n\n```text\n" + t + "```\n</details>\n",
        lambda t: t.replace("\n", "\r\n"),
    ],
)
def test_wrapped_pastes_keep_cause_and_line_numbers(wrap: Callable[[str], str]) -> None:
    base = "RuntimeError: CUDA error: CUDA-capable device(s) is/are busy or unavailable\n" + BANNER_2020
    text = wrap(base)
    findings, verdict = _judge(text)
    assert verdict["cause"] == "exclusive_process_mode"
    _check_evidence(findings, text)


def test_two_records_glued_and_hard_wrapped_messages() -> None:
    glued = "  0%|          | 0/1 [00:00<?, ?it/s]Could not load library libcudnn_cnn_infer.so.8. Error: libcuda.so: "
    glued += "cannot open shared object file: No such file or directory\n"
    assert _judge(glued)[1]["cause"] == "no_driver"
    wrapped = (
        "RuntimeError: The NVIDIA driver on your system is too old (found\nversion 11040). Please update your GPU "
        "driver\n"
    )
    assert _judge(wrapped)[1]["cause"] == "driver_too_old"


def test_nothing_diagnosable_is_bad_input_with_one_line() -> None:
    with pytest.raises(BadInputError) as exc:
        read_paste("Hello, my training is slow. Any idea?\nThanks!\n")
    assert "\n" not in str(exc.value)
    code, env = diagnose("-", stdin="Hello, my training is slow.\n")
    assert code == 2 and env["errors"] and "\n" not in env["errors"][0]


def test_a_recognised_message_alone_is_a_report() -> None:
    code, env = diagnose(
        "-", stdin="RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
    )
    assert code == 1 and env["data"]["verdict"]["cause"] == "arch_unsupported"
    assert env["findings"][0]["evidence"] == [
        {"line": 1, "text": "CUDA error: no kernel image is available for execution on the device"}
    ]


def test_the_paste_shows_only_what_it_told() -> None:
    code, env = diagnose("-", stdin=BANNER_2020)
    told = {row["what"] for row in env["data"]["told"]}
    assert told == {"NVIDIA driver", "driver's CUDA", "GPU 0"}
    assert {row["line"] for row in env["data"]["told"]} == {3, 9}


# --------------------------------------------------------------------------- fuzz: nothing raises


def _paste_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(PASTES.glob("*.txt"))] if PASTES.is_dir() else []


TEXTS = _paste_texts()


@pytest.mark.skipif(not TEXTS, reason="the shared pastes fixtures are absent")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    i=st.integers(min_value=0, max_value=max(len(TEXTS) - 1, 0)),
    j=st.integers(min_value=0, max_value=max(len(TEXTS) - 1, 0)),
    cut=st.floats(min_value=0.0, max_value=1.0),
    width=st.integers(min_value=8, max_value=200),
    prefix=st.sampled_from(["", "> ", "[rank0]: ", "web_1  | ", "Oct 04 13:19:39 host svc[394]: ", "$ ", "`"]),
    mode=st.sampled_from(["truncate", "rewrap", "interleave", "prefix"]),
)
def test_fuzz_pastes_never_raise(i: int, j: int, cut: float, width: int, prefix: str, mode: str) -> None:
    a, b = TEXTS[i], TEXTS[j]
    if mode == "truncate":
        text = a[: int(len(a) * cut)]
    elif mode == "rewrap":
        flat = a.replace("\n", " ")
        text = "\n".join(flat[k : k + width] for k in range(0, len(flat), width))
    elif mode == "interleave":
        la, lb = a.splitlines(), b.splitlines()
        text = "\n".join(x for pair in zip(la, lb, strict=False) for x in pair)
    else:
        text = "".join(prefix + line + "\n" for line in a.splitlines())
    try:
        paste = read_paste(text)
    except BadInputError:
        return
    findings, verdict = paste_rules.diagnose_paste(paste.facts, paste.signs)
    assert verdict["summary"]
    for f in findings:
        if f.severity == Severity.ERROR:
            assert f.evidence


def test_driver_too_old_from_a_banner_and_the_repl() -> None:
    text = "| NVIDIA-SMI 470.82.01    Driver Version: 470.82.01    CUDA Version: 11.4     |\n>>> torch.__version__\n"
    text += "'2.1.0+cu121'\n"
    findings, verdict = _judge(text)
    assert verdict["cause"] == "driver_too_old" and [e.line for e in findings[0].evidence] == [1, 3]


def test_minor_version_compatibility_is_honoured() -> None:
    # A CUDA 12.4 driver runs a cu129 build (same major, driver >= 525): sgl-project/sglang#14665.
    text = "CUDA Driver Version: 550.127.05\nPyTorch: 2.8.0+cu129\nGPU 0,1: NVIDIA H100 NVL\n"
    findings, verdict = _judge(text)
    assert "driver_too_old" not in [f.id for f in findings] and verdict["cause"] is None


def test_a_gpu_named_anywhere_against_the_build() -> None:
    text = "GPU models and configuration: GPU 0: NVIDIA GeForce RTX 5090\nPyTorch version: 2.4.0+cu121\n"
    findings, verdict = _judge(text)
    assert verdict["cause"] == "arch_unsupported" and [e.line for e in findings[0].evidence] == [1, 2]


def test_cuda_unavailable_with_no_cause_shown_is_a_warning_with_the_settling_command() -> None:
    text = (
        "|   0  NVIDIA A100-SXM4-80GB      On   | 00000000:07:00.0 Off |                    0 |\n"
        ">>> torch.__version__\n'2.1.0+cu121'\n>>> torch.cuda.is_available()\nFalse\n"
    )
    findings, verdict = _judge(text)
    assert [(f.id, f.severity) for f in findings] == [("cuda_unavailable", Severity.WARN)]
    assert verdict["settle"] == paste_rules.SETTLE_TORCH and [e.line for e in findings[0].evidence] == [1, 5]


@pytest.mark.parametrize(
    ("text", "cause", "severity"),
    [
        (
            "RuntimeError: CUDA error: CUDA driver version is insufficient for CUDA runtime version\n",
            "driver_too_old",
            Severity.ERROR,
        ),
        (
            "UserWarning: CUDA initialization: Unexpected error from cudaGetDeviceCount(). Did you run some cuda "
            "functions before calling NumCudaDevices() that might have already set an error? Error 804: forward "
            "compatibility was attempted on non supported HW\n",
            "driver_too_old",
            Severity.ERROR,
        ),
        (
            "RuntimeError: CUDA driver initialization failed, you might not have a CUDA gpu.\n",
            "no_driver",
            Severity.WARN,
        ),
        ("$ nvidia-smi\nbash: nvidia-smi: command not found\n", "no_driver", Severity.WARN),
    ],
)
def test_more_driver_messages(text: str, cause: str, severity: Severity) -> None:
    findings, verdict = _judge(text)
    assert verdict["cause"] == cause and findings[0].severity == severity and findings[0].evidence


# --------------------------------------------------------------------------- more failures, each from real reports


def test_a_gpu_the_driver_lost_is_a_reboot_and_a_hardware_check() -> None:
    # nvidia-smi's own line, and the kernel's Xid 79 (NVIDIA's Xid catalog: "GPU has fallen off the bus").
    for text in (
        "$ nvidia-smi\nUnable to determine the device handle for GPU 0000:3B:00.0: GPU is lost.  Reboot the system "
        "to recover this GPU\n",
        "Oct 04 13:19:39 node3 kernel: NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, GPU has fallen off the bus.\n",
    ):
        findings, verdict = _judge(text)
        assert verdict["cause"] == "no_driver" and "fell off the PCI bus" in verdict["summary"], verdict
        assert findings[0].severity == Severity.ERROR and findings[0].evidence
        assert "reboot" in findings[0].fix and "modprobe" not in findings[0].fix  # not a module to load


def test_cuda_out_of_memory_is_a_report_with_no_environment_problem() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "train.py", line 88, in <module>\n'
        "    loss.backward()\n"
        "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.69 GiB total capacity; 20.12 GiB "
        "already allocated; 1.02 GiB free; 21.50 GiB reserved in total by PyTorch)\n"
    )
    findings, verdict = _judge(text)
    assert not [f for f in findings if f.severity != Severity.INFO], findings
    assert verdict["cause"] is None and "ran out of GPU memory" in verdict["summary"], verdict
    code, env = diagnose("-", stdin=text)
    assert code == 0 and env["data"]["told"][0]["what"] == "message"


def test_rocm_without_kernels_for_the_gpu_is_arch_unsupported() -> None:
    # pytorch/pytorch#73534, ROCm/legacy-rocm-build#2061 (an RX 6600: HSA_OVERRIDE_GFX_VERSION=10.3.0 worked).
    text = (
        "rocminfo | grep gfx\n  Name:                    gfx1031\n"
        '"hipErrorNoBinaryForGpu: Unable to find code object for all current devices!"\nAborted (core dumped)\n'
    )
    findings, verdict = _judge(text)
    assert verdict["cause"] == "arch_unsupported" and "gfx1031" in verdict["summary"], verdict
    assert "HSA_OVERRIDE_GFX_VERSION=10.3.0" in findings[0].fix
    assert {e.line for e in findings[0].evidence} == {2, 3}
    # Without the target named, the override is named without a value.
    findings, _ = _judge("hipErrorNoBinaryForGpu: Unable to find code object for all current devices!\n")
    assert findings[0].id == "arch_unsupported" and "10.3.0" not in findings[0].fix


def test_torch_not_compiled_with_cuda_on_a_mac_is_no_cpu_build_error() -> None:
    # A Mac has no CUDA: the program asked for it; the build is the right one (system_profiler's "Chip:" line,
    # a /Users/ path in the traceback).
    text = (
        "Hardware Overview:\n      Model Name: MacBook Pro\n      Chip: Apple M2 Pro\n"
        '  File "/Users/me/proj/run.py", line 12, in <module>\n    model.cuda()\n'
        "AssertionError: Torch not compiled with CUDA enabled\n"
    )
    paste = read_paste(text)
    assert paste.facts.system.os_name == "Darwin"
    findings, verdict = _judge(text)
    assert not [f for f in findings if f.severity == Severity.ERROR], findings
    info = [f for f in findings if f.id == "no_gpu"]
    assert info and "mps" in info[0].fix and {e.line for e in info[0].evidence} >= {3, 6}
    # The verdict names it as the paste's root cause (no nvidia-smi to settle anything on a Mac).
    assert verdict["cause"] == "no_gpu" and verdict["settle"] is None, verdict
    assert "the environment is right for a Mac" in verdict["summary"], verdict
    # The same error on Linux with an NVIDIA GPU named stays the CPU build.
    linux = "GPU 0: NVIDIA GeForce RTX 3090 (UUID: GPU-1c2d)\nAssertionError: Torch not compiled with CUDA enabled\n"
    assert _judge(linux)[1]["cause"] == "cpu_build_on_gpu"
    # C:\\Users is Windows, not a Mac.
    assert read_paste(
        'File "C:\\Users\\me\\run.py", line 1\nTorch not compiled with CUDA enabled\n'
    ).facts.system.os_name == ("Windows")


# --------------------------------------------------------------------------- forms seen in real threads (lines quoted)


def test_torch_names_the_gpu_and_the_drivers_cuda() -> None:
    # leggedlab's paste: torch's warning is the only place the GPU is named.
    warn = (
        "NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current PyTorch installation.\n"
        "The current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90.\n"
    )
    gpus = read_paste(warn).facts.nvidia.gpus
    assert [(g.name, g.compute_capability) for g in gpus] == [("NVIDIA GeForce RTX 5090", "12.0")]
    # IEIT-Yuan/Yuan-2.0#65's UserWarning: "found version 11000" is the driver's CUDA, shown on its line.
    old = (
        "UserWarning: CUDA initialization: The NVIDIA driver on your system is too old (found version 11000). "
        "Please update your GPU driver by downloading and installing a new version from the URL: "
        "http://www.nvidia.com/Download/index.aspx\n"
    )
    paste = read_paste(old)
    assert paste.facts.nvidia.cuda_driver_version == "11.0"
    assert ("driver's CUDA", "11.0", 1) in paste.told


def test_torch_0_4_cudnn_mismatch_wording() -> None:
    # VisionLearningGroup/DA_Detection#14: integers and "mismatch" (torch 0.4-1.0).
    text = "RuntimeError: cuDNN version mismatch: PyTorch was compiled against 7102 but linked against 7600\n"
    findings, verdict = _judge(text)
    assert verdict["cause"] == "conflicting_installs", verdict
    assert "7.1.2" in findings[0].message and "7.6.0" in findings[0].message


def test_conda_install_plans_specs_and_the_features_column() -> None:
    # conda/conda#11001: the plan conda printed; the CPU build is in its rows (no GPU named: a warning).
    plan = (
        "The following NEW packages will be INSTALLED:\n\n"
        "  cpuonly            pytorch/noarch::cpuonly-2.0-0\n"
        "  pytorch            pytorch/win-64::pytorch-1.10.0-py3.6_cpu_0\n"
        "  pytorch-mutex      pytorch/noarch::pytorch-mutex-1.0-cpu\n"
    )
    paste = read_paste(plan)
    assert paste.facts.python.torch is not None and paste.facts.python.torch.version == "1.10.0"
    findings, verdict = _judge(plan)
    assert verdict["cause"] == "cpu_build_on_gpu" and findings[0].severity == Severity.WARN, verdict
    # pytorch/pytorch#32369: conda 4.x's features column, "[cpuonly]", before the channel.
    row = "pytorch                   1.4.0               py3.7_cpu_0  [cpuonly]  pytorch\n"
    assert read_paste(row).facts.python.torch is not None
    assert _judge(row)[1]["cause"] == "cpu_build_on_gpu"
    # environment.yml specs.
    spec = read_paste("dependencies:\n  - cudatoolkit=11.3\n  - pytorch=1.11.0\n").facts.python
    assert spec.torch is not None and spec.torch.version == "1.11.0"


def test_markdown_bold_around_collect_env_lines() -> None:
    # pytorch/pytorch#32369: "**CUDA used to build PyTorch: 10.0.130**", "**Is CUDA available: Yes".
    text = "PyTorch version: 1.3.1\n**CUDA used to build PyTorch: 10.0.130**\n**Is CUDA available: Yes\n"
    facts = read_paste(text).facts
    assert facts.python.torch is not None and facts.python.torch.cuda == "10.0"
    assert facts.torch_runtime is not None and facts.torch_runtime.cuda_available is True


def test_two_listings_of_one_package_are_two_environments_not_two_installs() -> None:
    # pytorch/pytorch#32369 compares env1 and env2: conda lists a package once per environment.
    text = (
        "pytorch                   1.3.1           cuda100py37h53c1284_0\n"
        "pytorch                   1.4.0               py3.7_cpu_0  [cpuonly]  pytorch\n"
    )
    findings, _ = _judge(text)
    assert "conflicting_installs" not in [f.id for f in findings]


def test_prose_facts_are_used_only_where_no_form_states_them() -> None:
    # isri-aist's issue body: "My GPU is RTX3060, NVIDIA Driver is 535.86, and CUDA version is 12.2."
    prose = "My GPU is RTX3060, NVIDIA Driver is 535.86, and CUDA version is 12.2.\n"
    nv = read_paste(prose + "AssertionError: Torch not compiled with CUDA enabled\n").facts.nvidia
    assert nv.driver_version == "535.86" and [(g.name, g.compute_capability) for g in nv.gpus] == [("RTX 3060", "8.6")]
    # A banner states the driver: the prose does not override it.
    banner = "| NVIDIA-SMI 550.54.14   Driver Version: 550.54.14   CUDA Version: 12.4 |\n"
    assert read_paste(prose + banner).facts.nvidia.driver_version == "550.54.14"
    # lllyasviel/Fooocus: a line that is only the GPU's name; an unknown name invents nothing.
    assert [g.name for g in read_paste("NVIDIA GeForce RTX 3050\nNo devices were found\n").facts.nvidia.gpus] == [
        "NVIDIA GeForce RTX 3050"
    ]
    assert not read_paste("NVIDIA GeForce RTX 5\nNo devices were found\n").facts.nvidia.gpus
    # kohya's launcher log: "INFO     Torch 2.0.1+cu118".
    log = "17:22:49-350014 INFO     Torch 2.0.1+cu118\nNo devices were found\n"
    torch = read_paste(log).facts.python.torch
    assert torch is not None and torch.version == "2.0.1+cu118"


def test_quoted_errors_windows_harnesses_and_elided_uuids() -> None:
    # NVIDIA/nvidia-docker#533: the message quoted in prose ends at its quote.
    text = (
        "inside the container, I get the error 'Found no NVIDIA driver on your system', which is odd given that "
        "nvidia-smi seems to show everything fine.\n"
    )
    assert read_paste(text).facts.torch_runtime.messages == ("Found no NVIDIA driver on your system",)
    # microsoft/lisa: a Windows test harness's frames beside the Linux run's torch path: no Windows host.
    mixed = (
        "stdout /home/user/.local/lib/python3.6/site-packages/torch/cuda/__init__.py:80: UserWarning: CUDA "
        "initialization: Unexpected error from cudaGetDeviceCount(). Error 802: system not yet initialized\n"
        '  File "C:\\GitEnlistments\\lisa\\testsuite.py", line 767, in __run_case\n'
    )
    assert read_paste(mixed).facts.system.os_name is None
    # A GPU line whose UUID the reporter elided.
    gpus = read_paste("GPU 0: NVIDIA H200 (...)\nNo devices were found\n").facts.nvidia.gpus
    assert [g.name for g in gpus] == ["NVIDIA H200"]


def test_a_few_template_bullets_are_free_form_not_a_dump() -> None:
    bullets = "- PyTorch version: 1.0.1\n- GPU models and configuration: GeForce RTX 2080 Ti\n"
    assert read_paste(bullets).form == "free-form"
    header = "Collecting environment information...\nPyTorch version: 2.1.0\n"
    assert read_paste(header).form == "collect_env"


def test_a_programs_own_cuda_error_is_a_report_without_an_environment_problem() -> None:
    # torch's c10/cuda/CUDAException.h prefix on an error the program caused: no environment cause, but a report.
    for text in (
        "RuntimeError: CUDA error: device-side assert triggered\n"
        "For debugging consider passing CUDA_LAUNCH_BLOCKING=1.\n",
        "RuntimeError: CUDA error: CUBLAS_STATUS_NOT_INITIALIZED when calling `cublasCreate(handle)`\n",
    ):
        findings, verdict = _judge(text)
        assert not [f for f in findings if f.severity == Severity.ERROR], findings
        assert verdict["summary"] == "no environment problem found in this report", verdict
    # A known kind opening at the same place still wins over the generic one.
    _, verdict = _judge("RuntimeError: CUDA error: no kernel image is available for execution on the device\n")
    assert verdict["cause"] == "arch_unsupported"


@pytest.mark.skipif(not TEXTS, reason="the shared pastes fixtures are absent")
def test_a_paste_pasted_three_times_reads_as_once() -> None:
    # Its blocks are read once: the same facts, rows and verdict, the evidence quoting the first copy.
    for text in TEXTS:
        try:
            once = read_paste(text)
        except BadInputError:
            continue
        body = text.rstrip("\n")
        thrice = read_paste(f"{body}\n\n{body}\n\n{body}\n")
        assert thrice.facts == once.facts
        assert thrice.told == once.told
        assert {k: v[0] for k, v in thrice.signs.items()} == {k: v[0] for k, v in once.signs.items()}
        # No evidence from the copies, but for a line standing alone between blank lines (too short a block to
        # call a repeat: a double-spaced paste repeats its table borders).
        lines = body.split("\n")
        alone = {
            i + 1
            for i, line in enumerate(lines)
            if line.strip()
            and (i == 0 or not lines[i - 1].strip())
            and (i + 1 == len(lines) or not lines[i + 1].strip())
        }
        n = len(lines) + 1
        for e in (e for v in thrice.signs.values() for e in v if e.line > len(lines)):
            assert (e.line - 1) % n + 1 in alone, e
        assert (
            paste_rules.diagnose_paste(thrice.facts, thrice.signs)[1]
            == paste_rules.diagnose_paste(once.facts, once.signs)[1]
        )


def test_only_a_block_the_paste_already_held_is_dropped() -> None:
    from envtool.diagnose.lines import drop_repeats

    lines = ["GPU 0: A100", "GPU 1: A100", "", "x", "", "GPU 0: A100", "GPU 1: A100", "", "GPU 0: A100", "y"]
    kept, numbers = drop_repeats(lines, list(range(1, 11)))
    assert kept == ["GPU 0: A100", "GPU 1: A100", "", "x", "", "GPU 0: A100", "y"]  # the last block differs
    assert numbers == [1, 2, 3, 4, 5, 9, 10]
    # A paste double-spaced line by line (a table's borders repeat, one line to a block) is read as it is.
    spaced = ["+---+", "", "| 0 |", "", "+---+", "", "| 1 |", "", "+---+"]
    assert drop_repeats(spaced, list(range(1, 10))) == (spaced, list(range(1, 10)))


_FRAMES = [
    "Traceback (most recent call last):",
    '  File "train.py", line 12, in <module>',
    "    model.cuda()",
    '  File "torch/nn/modules/module.py", line 905, in cuda',
]


def test_a_block_that_ends_or_begins_as_an_earlier_one_keeps_only_the_lines_that_differ() -> None:
    from envtool.diagnose.lines import drop_repeats

    # every step prints a line of its own, then the same traceback: its tail goes
    lines = ["step 1", *_FRAMES, "", "step 2", *_FRAMES, "", "step 3", *_FRAMES]
    kept, numbers = drop_repeats(lines, list(range(1, len(lines) + 1)))
    assert kept == ["step 1", *_FRAMES, "", "step 2", "", "step 3"]
    assert numbers == [1, 2, 3, 4, 5, 6, 7, 12, 13]
    # the same frames, then an error line of its own: its head goes
    lines = [*_FRAMES, "RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB", ""]
    lines += [*_FRAMES, "    return self._apply(lambda t: t.cuda(device))", "RuntimeError: Tried to allocate 2.00 GiB"]
    kept, numbers = drop_repeats(lines, list(range(1, len(lines) + 1)))
    assert kept == lines[:6] + lines[-2:]
    assert numbers == [1, 2, 3, 4, 5, 6, 11, 12]
    # the earlier block opens the paste: its tail goes no further back than its first line
    lines = [*_FRAMES, "", "step 2", *_FRAMES, "", "step 2"]
    kept, _ = drop_repeats(lines, list(range(1, 13)))
    assert kept == [*_FRAMES, "", "step 2", "", "step 2"]


def test_only_a_head_or_tail_of_four_lines_or_more_is_dropped() -> None:
    from envtool.diagnose.lines import drop_repeats

    # a block that differs at both ends is read whole, whatever its middle repeats
    lines = ["step 1", *_FRAMES, "loss 0.5", "", "step 2", *_FRAMES, "loss 0.4"]
    assert drop_repeats(lines, list(range(1, 13))) == (lines, list(range(1, 13)))
    # three lines are no run (a wrapped message's last lines: "Please update your GPU driver ...")
    lines = ["step 1", *_FRAMES[1:], "", "step 2", *_FRAMES[1:]]
    assert drop_repeats(lines, list(range(1, 10))) == (lines, list(range(1, 10)))


def test_a_mac_told_by_system_profiler_a_bundle_path_or_its_model_and_chip_is_a_mac() -> None:
    # system_profiler's displays section (datalab-to/chandra#11), an app bundle's frame and "Mac mini M4"
    # (Comfy-Org/ComfyUI#6719): each makes the paste a Mac's, and torch's message the program's ask for CUDA.
    error = "AssertionError: Torch not compiled with CUDA enabled\n"
    for mac in (
        "Chipset Model: Apple M2\nType: GPU\nVendor: Apple (0x106b)\n",
        "Metal Support: Metal 4\n",
        '  File "/Applications/ComfyUI.app/Contents/Resources/ComfyUI/execution.py", line 327, in execute\n',
        "Mac mini M4\n",
        "MacBook Air (M2)\n",
        "- OS: mac 13.0\n",  # zai-org/ChatGLM-6B#549's template bullet
    ):
        paste = read_paste(mac + error)
        assert paste.facts.system.os_name == "Darwin", mac
        findings, verdict = _judge(mac + error)
        assert verdict["cause"] == "no_gpu" and not [f for f in findings if f.severity == Severity.ERROR], mac
    # Not a Mac: an app folder without a bundle, a mini PC.
    for other in (
        "- OS: Ubuntu 22.04\n",
        "/opt/Applications/run.py\n",
        "my mini PC M4 slot\n",
    ):
        assert read_paste(other + error).facts.system.os_name != "Darwin", other


@pytest.mark.skipif(not TEXTS, reason="the shared pastes fixtures are absent")
def test_a_paste_whose_every_block_repeats_under_a_heading_of_its_own_reads_as_once() -> None:
    # A log that prints "step N" and then the same report, traceback or table: each block's tail is a repeat (its
    # lines are read once), and the verdict and findings are those of one copy.
    for text in TEXTS:
        try:
            once = read_paste(text)
        except BadInputError:
            continue
        body = text.rstrip("\n")
        copies = "\n\n".join(f"step {n}\n" + body.replace("\n\n", f"\n\nstep {n}\n") for n in (1, 2, 3))
        again = read_paste(copies + "\n")
        assert again.facts == once.facts, text[:80]
        before, after = (paste_rules.diagnose_paste(p.facts, p.signs) for p in (once, again))
        assert [(f.id, f.severity) for f in after[0]] == [(f.id, f.severity) for f in before[0]]
        # (the same verdict, its line numbers moved on by the headings)
        assert re.sub(r"\blines? [\d, and]+", "", str(after[1])) == re.sub(r"\blines? [\d, and]+", "", str(before[1]))

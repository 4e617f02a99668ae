"""The NVIDIA probe: nvidia-smi parsers on captured real output, nvidia-smi and NVML readers
against fakes built from those captures, the PCI check, and the real probe on this machine."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from pathlib import Path

import pytest

from envtool.model import GpuInfo, NvidiaFacts
from envtool.probes import nvidia as nvml
from envtool.probes.nvidia import (
    THROTTLE_REASON_BITS,
    cuda_version_from_int,
    hardware_present,
    parse_nvidia_smi_query_csv,
    parse_nvidia_smi_xml,
    probe_nvidia,
    read_nvidia_smi,
    read_nvml,
    throttle_reasons_from_mask,
)

try:  # `python -m pytest` from the repository root
    from tests.fakes import fake_pynvml as fp
except ImportError:  # plain `pytest`: the tests folder itself is on sys.path
    from fakes import fake_pynvml as fp  # type: ignore[no-redef]

posix_only = pytest.mark.skipif(os.name != "posix", reason="fake nvidia-smi is a shell script")


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def split_capture_sections(text: str) -> list[tuple[str, str | None, str]]:
    """Split an nvidia_gpu_exporter ``*-capture.txt`` into (title, command, body) sections.

    Each section is a banner line of ``#``, ``# title`` and optionally ``# $ command``
    lines, a closing banner, then the raw output up to the next banner.
    """
    banner = re.compile(r"^#{20,}\s*$")
    lines = text.splitlines()
    sections: list[tuple[str, str | None, str]] = []
    i = 0
    while i < len(lines):
        if not banner.match(lines[i]):
            i += 1
            continue
        j = i + 1
        header: list[str] = []
        while j < len(lines) and not banner.match(lines[j]):
            header.append(lines[j])
            j += 1
        k = j + 1
        body: list[str] = []
        while k < len(lines) and not banner.match(lines[k]):
            body.append(lines[k])
            k += 1
        title = header[0].lstrip("# ").strip() if header else ""
        command = next((h[len("# $ ") :].strip() for h in header if h.startswith("# $ ")), None)
        sections.append((title, command, "\n".join(body)))
        i = k
    return sections


def query_gpu_sections(path: Path) -> list[tuple[str, str]]:
    return [
        (title, body)
        for title, command, body in split_capture_sections(read(path))
        if command and command.startswith("nvidia-smi --query-gpu=")
    ]


# =========================================================================== XML: every file

# file -> (driver, cuda, GPU names in document order). Read from each file by hand.
EXPECTED = {
    "a100-sxm4-40gb-mig-driver510.xml": ("510.47.03", "11.6", ["NVIDIA A100-SXM4-40GB"]),
    "a100-sxm4-80gb-mig-driver535.xml": ("535.54.03", "12.2", ["NVIDIA A100-SXM4-80GB"]),
    "grid-p4-1q-vgpu-windows-driver513.xml": ("513.46", "11.6", ["GRID P4-1Q"]),
    "gt1030-driver470.xml": ("470.74", "11.4", ["NVIDIA GeForce GT 1030"]),
    "gt730-trimmed-util-na-driver384.xml": ("384.111", None, ["GeForce GT 730"]),
    "gtx1070-x6-driver384.xml": ("384.66", None, ["GeForce GTX 1070"] * 6),
    "gtx1660ti-graphics-device-driver418.xml": ("418.43", "10.1", ["Graphics Device"]),
    "rtx-a5000-x2-driver590.xml": ("590.44.01", "13.1", ["NVIDIA RTX A5000"] * 2),
    "rtx-pro-6000-blackwell-maxq-driver590.xml": (
        "590.44.01",
        "13.1",
        ["NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition"],
    ),
    "rtx2080ti-x2-driver410.xml": ("410.73", "10.0", ["GeForce RTX 2080 Ti"] * 2),
    "rtx3060-driver570.xml": ("570.124.04", "12.8", ["NVIDIA GeForce RTX 3060"]),
    "rtx3080-windows-wddm-driver536.xml": ("536.40", "12.2", ["NVIDIA GeForce RTX 3080"]),
    "rtx4090-driver535.xml": ("535.86.05", "12.2", ["NVIDIA GeForce RTX 4090"]),
    "tesla-k80-x4-azure-out-of-order-driver430.xml": ("430.26", None, ["Tesla K80"] * 4),
    "tesla-t4-driver515.xml": ("515.105.01", "11.7", ["Tesla T4"]),
    "v100-sxm3-32gb-ecc-retired-pages-driver410.xml": ("410.104", "10.0", ["Tesla V100-SXM3-32GB"]),
}


def test_expectations_cover_every_xml_fixture(nvidia_smi_fixtures: Path) -> None:
    assert sorted(p.name for p in nvidia_smi_fixtures.glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parse_xml_fixture(nvidia_smi_fixtures: Path, name: str) -> None:
    text = read(nvidia_smi_fixtures / name)
    facts = parse_nvidia_smi_xml(text)
    driver, cuda, names = EXPECTED[name]
    assert facts.source == "nvidia-smi"
    assert facts.driver_version == driver
    assert facts.cuda_driver_version == cuda
    assert [g.name for g in facts.gpus] == names
    assert [g.index for g in facts.gpus] == list(range(len(names)))
    assert len(facts.gpus) == len(re.findall(r"<gpu id=", text))
    for gpu in facts.gpus:
        assert gpu.error is None
        assert gpu.compute_capability is None  # no captured DTD carries it
        assert set(gpu.unsupported) <= {f for f in GpuInfo.__dataclass_fields__}
        assert len(set(gpu.unsupported)) == len(gpu.unsupported)
        # Every GPU in these captures shows its bus id, and it matches the <gpu id=...>.
        assert gpu.pci_bus_id and gpu.pci_bus_id in text


def pcie(gpu: GpuInfo) -> tuple[int | None, ...]:
    return (gpu.pcie_gen_current, gpu.pcie_gen_max, gpu.pcie_width_current, gpu.pcie_width_max)


def gpus_of(nvidia_smi_fixtures: Path, name: str) -> tuple[GpuInfo, ...]:
    return parse_nvidia_smi_xml(read(nvidia_smi_fixtures / name)).gpus


def test_v100_volatile_ecc_and_fields(nvidia_smi_fixtures: Path) -> None:
    (gpu,) = gpus_of(nvidia_smi_fixtures, "v100-sxm3-32gb-ecc-retired-pages-driver410.xml")
    assert gpu.ecc_uncorrected == 1  # volatile double_bit total; the aggregate is 7627
    assert gpu.memory_total_bytes == 32480 * 1024 * 1024
    assert gpu.persistence_mode is True
    assert gpu.power_limit_w == 350.0
    assert gpu.throttle_reasons == ("gpu_idle",)
    assert pcie(gpu) == (3, 3, 16, 16)
    assert gpu.unsupported == ()


def test_k80_document_order_not_minor_number(nvidia_smi_fixtures: Path) -> None:
    text = read(nvidia_smi_fixtures / "tesla-k80-x4-azure-out-of-order-driver430.xml")
    assert re.findall(r"<minor_number>(\d+)</minor_number>", text) == ["1", "2", "3", "0"]
    facts = parse_nvidia_smi_xml(text)
    assert facts.cuda_driver_version is None  # <cuda_version>Not Found</cuda_version>
    assert [g.index for g in facts.gpus] == [0, 1, 2, 3]
    assert [g.pci_bus_id for g in facts.gpus] == [
        "00001580:00:00.0",
        "00002DF7:00:00.0",
        "00004968:00:00.0",
        "0000F8D6:00:00.0",
    ]
    assert [g.throttle_reasons for g in facts.gpus] == [
        ("applications_clocks_setting",),
        ("applications_clocks_setting",),
        ("gpu_idle",),
        ("gpu_idle",),
    ]
    assert all(g.ecc_uncorrected == 0 for g in facts.gpus)


def test_old_driver_without_cuda_version_element(nvidia_smi_fixtures: Path) -> None:
    text = read(nvidia_smi_fixtures / "gtx1070-x6-driver384.xml")
    assert "<cuda_version>" not in text
    facts = parse_nvidia_smi_xml(text)
    assert facts.cuda_driver_version is None
    assert [g.pcie_width_current for g in facts.gpus] == [1] * 6
    assert [g.pcie_gen_current for g in facts.gpus] == [3, 2, 2, 2, 2, 2]


def test_mig_a100s(nvidia_smi_fixtures: Path) -> None:
    (a40,) = gpus_of(nvidia_smi_fixtures, "a100-sxm4-40gb-mig-driver510.xml")
    (a80,) = gpus_of(nvidia_smi_fixtures, "a100-sxm4-80gb-mig-driver535.xml")
    assert a40.mig_mode is True and a80.mig_mode is True
    assert a40.power_limit_w == 400.0  # DTD v11 <power_readings><power_limit>
    # DTD v12: the GPU's limit, not <module_power_readings>' N/A.
    assert a80.power_limit_w == 500.0
    assert "power_limit_w" not in a80.unsupported
    assert a80.ecc_uncorrected == 0  # sram + dram uncorrectable
    assert "ecc_uncorrected" in a40.unsupported  # all volatile counters N/A under MIG


def test_graphics_device_and_blackwell(nvidia_smi_fixtures: Path) -> None:
    (dev,) = gpus_of(nvidia_smi_fixtures, "gtx1660ti-graphics-device-driver418.xml")
    assert dev.name == "Graphics Device"
    (bw,) = gpus_of(nvidia_smi_fixtures, "rtx-pro-6000-blackwell-maxq-driver590.xml")
    assert bw.name == "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition"
    assert bw.memory_total_bytes == 97887 * 1024 * 1024
    assert bw.power_limit_w == 300.0


def test_windows_captures(nvidia_smi_fixtures: Path) -> None:
    (rtx3080,) = gpus_of(nvidia_smi_fixtures, "rtx3080-windows-wddm-driver536.xml")
    assert "persistence_mode" in rtx3080.unsupported and rtx3080.persistence_mode is None
    (grid,) = gpus_of(nvidia_smi_fixtures, "grid-p4-1q-vgpu-windows-driver513.xml")
    assert set(grid.unsupported) >= {
        "persistence_mode",
        "power_limit_w",
        "pcie_gen_current",
        "pcie_gen_max",
        "pcie_width_current",
        "pcie_width_max",
    }
    assert grid.pcie_gen_max is None and grid.power_limit_w is None


def test_throttle_reasons_two_schemas(nvidia_smi_fixtures: Path) -> None:
    # clocks_throttle_reasons (DTD v10)
    gpus = gpus_of(nvidia_smi_fixtures, "rtx2080ti-x2-driver410.xml")
    assert [g.throttle_reasons for g in gpus] == [("gpu_idle",), ("sw_power_cap",)]
    # clocks_event_reasons (DTD v13), next to clocks_event_reasons_counters
    gpus = gpus_of(nvidia_smi_fixtures, "rtx-a5000-x2-driver590.xml")
    assert [g.throttle_reasons for g in gpus] == [("gpu_idle",), ("gpu_idle",)]


def test_absent_is_unknown_not_unsupported(nvidia_smi_fixtures: Path) -> None:
    (gpu,) = gpus_of(nvidia_smi_fixtures, "gt730-trimmed-util-na-driver384.xml")
    assert gpu.power_limit_w is None and gpu.memory_total_bytes is None
    assert gpu.unsupported == ()
    assert gpu.persistence_mode is True


def test_deprecated_elsewhere_does_not_disturb(nvidia_smi_fixtures: Path) -> None:
    text = read(nvidia_smi_fixtures / "rtx3060-driver570.xml")
    assert "<reset_required>Requested functionality has been deprecated</reset_required>" in text
    (gpu,) = parse_nvidia_smi_xml(text).gpus
    assert gpu.power_limit_w == 170.0
    assert gpu.unsupported == ("mig_mode", "ecc_uncorrected")


@pytest.mark.parametrize(
    "marker",
    ["Requested functionality has been deprecated", "[N/A]", "Not Supported", "Unknown Error", "Not Found"],
)
def test_unsupported_markers_in_a_read_field(nvidia_smi_fixtures: Path, marker: str) -> None:
    # The real A5000 capture, with its persistence and power-limit values replaced by a
    # marker text nvidia-smi prints (the deprecated one appears in this very file).
    text = read(nvidia_smi_fixtures / "rtx-a5000-x2-driver590.xml")
    edited = text.replace(
        "<persistence_mode>Enabled</persistence_mode>", f"<persistence_mode>{marker}</persistence_mode>"
    ).replace(
        "<current_power_limit>230.00 W</current_power_limit>",
        f"<current_power_limit>{marker}</current_power_limit>",
    )
    assert edited != text
    for gpu in parse_nvidia_smi_xml(edited).gpus:
        assert gpu.persistence_mode is None and gpu.power_limit_w is None
        assert "persistence_mode" in gpu.unsupported and "power_limit_w" in gpu.unsupported


def test_driver_610_deprecation_suffix(nvidia_smi_fixtures: Path) -> None:
    # Driver 610 prints "610.62 [Deprecated; ...]" for the old labels (the -q section of the
    # 2080 SUPER capture). No 610 XML exists among the captures, so put those exact
    # strings into a real XML's version elements.
    capture = read(nvidia_smi_fixtures / "rtx2080super-windows-driver610-capture.txt")
    driver = re.search(r"^Driver Version\s+: (.+)$", capture, re.M).group(1)  # type: ignore[union-attr]
    cuda = re.search(r"^CUDA Version\s+: (.+)$", capture, re.M).group(1)  # type: ignore[union-attr]
    assert "[Deprecated" in driver and "[Deprecated" in cuda
    text = read(nvidia_smi_fixtures / "rtx3080-windows-wddm-driver536.xml")
    text = text.replace("<driver_version>536.40<", f"<driver_version>{driver}<")
    text = text.replace("<cuda_version>12.2<", f"<cuda_version>{cuda}<")
    facts = parse_nvidia_smi_xml(text)
    assert (facts.driver_version, facts.cuda_driver_version) == ("610.62", "13.3")


# =========================================================================== XML: bad input


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "garbage \ufffd\ufffd not xml",
        b"\xff\xfe\x00\x81<<<".decode("utf-8", errors="replace"),
        "<nvidia_smi_log><gpu id='0'>",
        "<html><body>proxy error</body></html>",
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    ],
)
def test_garbage_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_nvidia_smi_xml(text)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.99])
def test_truncated_fixture_raises_value_error(nvidia_smi_fixtures: Path, fraction: float) -> None:
    text = read(nvidia_smi_fixtures / "rtx-a5000-x2-driver590.xml")
    with pytest.raises(ValueError):
        parse_nvidia_smi_xml(text[: int(len(text) * fraction)])


# =========================================================================== CSV


def test_p100_csv_nounits(nvidia_smi_fixtures: Path) -> None:
    rows = parse_nvidia_smi_query_csv(read(nvidia_smi_fixtures / "tesla-p100-csv-nounits.txt"))
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == "Tesla P100-PCIE-16GB"
    assert row["uuid"] == "GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6"
    assert row["fan.speed"] is None  # [N/A]
    assert row["memory.free"] == "16280"  # key without its " [MiB]" unit
    assert row["power.draw"] == "28.16"
    assert row["clocks.current.video"] == "835"


def test_csv_noheader_with_fields(nvidia_smi_fixtures: Path) -> None:
    header, data = read(nvidia_smi_fixtures / "tesla-p100-csv-nounits.txt").splitlines()
    fields = [re.sub(r" \[.*\]$", "", h.strip()) for h in header.split(",")]
    assert parse_nvidia_smi_query_csv(data, fields=fields) == parse_nvidia_smi_query_csv(header + "\n" + data)


def test_csv_row_with_wrong_cell_count(nvidia_smi_fixtures: Path) -> None:
    text = read(nvidia_smi_fixtures / "tesla-p100-csv-nounits.txt")
    with pytest.raises(ValueError):
        parse_nvidia_smi_query_csv(text.rsplit(",", 2)[0])


def test_h100_capture_csv(nvidia_smi_fixtures: Path) -> None:
    sections = query_gpu_sections(nvidia_smi_fixtures / "h100-80gb-mig-driver590-capture.txt")
    assert [title.split(" ::")[0] for title, _ in sections] == ["idle", "load"]
    for _title, body in sections:
        (row,) = parse_nvidia_smi_query_csv(body)
        assert len(row) == 212
        assert row["name"] == "NVIDIA H100 80GB HBM3"
        assert row["driver_version"] == "590.48.01"
        assert row["compute_cap"] == "9.0"
        assert row["mig.mode.current"] == "Enabled"
        assert row["memory.total"] == "81559 MiB"  # no nounits: the value keeps its unit
        assert row["pcie.link.gen.hostmax"] is None  # [N/A]
        assert row["display_mode"] is None  # [Requested functionality has been deprecated]
    idle, load = (parse_nvidia_smi_query_csv(body)[0] for _, body in sections)
    assert idle["clocks_event_reasons.active"] == "0x0000000000000001"
    assert load["clocks_event_reasons.active"] == "0x0000000000000000"


def test_2080super_610_capture_csv(nvidia_smi_fixtures: Path) -> None:
    sections = query_gpu_sections(nvidia_smi_fixtures / "rtx2080super-windows-driver610-capture.txt")
    assert len(sections) == 2
    for _title, body in sections:
        (row,) = parse_nvidia_smi_query_csv(body)
        assert len(row) == 239
        assert row["driver_version"] == "610.62"
        assert row["kmd_version"] == "610.62"
        assert row["name"] == "NVIDIA GeForce RTX 2080 SUPER"
        assert row["compute_cap"] == "7.5"
        assert row["persistence_mode"] is None and row["mig.mode.current"] is None


# =========================================================================== small pure helpers


def test_cuda_version_from_int() -> None:
    assert cuda_version_from_int(12080) == "12.8"
    assert cuda_version_from_int(13010) == "13.1"
    assert cuda_version_from_int(11020) == "11.2"
    assert cuda_version_from_int(10000) == "10.0"
    assert cuda_version_from_int(0) is None


def test_throttle_mask() -> None:
    assert throttle_reasons_from_mask(0) == ()
    assert throttle_reasons_from_mask(0x1) == ("gpu_idle",)
    assert throttle_reasons_from_mask(0x4 | 0x40) == ("sw_power_cap", "hw_thermal_slowdown")
    assert len(throttle_reasons_from_mask(0x1FF)) == 9  # the H100's "supported" mask


def test_throttle_bits_match_installed_pynvml() -> None:
    real = pytest.importorskip("pynvml")
    camel = {
        "gpu_idle": "GpuIdle",
        "applications_clocks_setting": "ApplicationsClocksSetting",
        "sw_power_cap": "SwPowerCap",
        "hw_slowdown": "HwSlowdown",
        "sync_boost": "SyncBoost",
        "sw_thermal_slowdown": "SwThermalSlowdown",
        "hw_thermal_slowdown": "HwThermalSlowdown",
        "hw_power_brake_slowdown": "HwPowerBrakeSlowdown",
        "display_clock_setting": "DisplayClockSetting",
        "board_limit": "BoardLimit",
        "reliability": "Reliability",
    }
    for bit, name in THROTTLE_REASON_BITS:
        value = getattr(real, f"nvmlClocksEventReason{camel[name]}", None)
        if value is None:
            value = getattr(real, f"nvmlClocksThrottleReason{camel[name]}")
        assert value == bit, name


# =========================================================================== nvidia-smi reader


def fake_smi(tmp_path: Path, body: str) -> dict[str, str]:
    """Put an ``nvidia-smi`` shell script first on PATH; return the env to pass."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    script = bindir / "nvidia-smi"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    return env


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return not re.search(r"^State:\s+Z", status, re.M)


@posix_only
def test_read_smi_timeout_kills_everything(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    env = fake_smi(tmp_path, f'sleep 30 &\necho $$ $! > "{pids}"\nwait')
    start = time.monotonic()
    text, note = read_nvidia_smi(1.0, env=env)
    elapsed = time.monotonic() - start
    assert text is None
    assert note.status == "timeout" and note.probe == "nvidia-smi"
    assert elapsed < 25  # it did not wait for the 30 s sleep
    for _ in range(50):  # the kernel may take a moment to tear the group down
        if not any(alive(int(p)) for p in pids.read_text().split()):
            break
        time.sleep(0.1)
    assert not any(alive(int(p)) for p in pids.read_text().split())


@posix_only
def test_read_smi_non_utf8_garbage(tmp_path: Path) -> None:
    env = fake_smi(tmp_path, r"printf '\377\376\000\201garbage<<\n'")
    text, note = read_nvidia_smi(10.0, env=env)
    assert note.status == "ok"
    assert text is not None and "garbage" in text and "\ufffd" in text
    with pytest.raises(ValueError):
        parse_nvidia_smi_xml(text)


@posix_only
def test_read_smi_device_handle_error(tmp_path: Path) -> None:
    msg = "Unable to determine the device handle for GPU0000:01:00.0: Unknown Error"
    env = fake_smi(tmp_path, f'echo "{msg}"\nexit 255')
    text, note = read_nvidia_smi(10.0, env=env)
    assert text is None
    assert note.status == "error"
    assert msg in note.reason and "255" in note.reason


@posix_only
def test_read_smi_stderr_message(tmp_path: Path) -> None:
    msg = "Failed to initialize NVML: Driver/library version mismatch"
    env = fake_smi(tmp_path, f'echo "" \necho "{msg}" >&2\nexit 18')
    text, note = read_nvidia_smi(10.0, env=env)
    assert text is None and note.status == "error" and msg in note.reason


@posix_only
def test_read_smi_real_fixture(tmp_path: Path, nvidia_smi_fixtures: Path) -> None:
    fixture = nvidia_smi_fixtures / "rtx-a5000-x2-driver590.xml"
    env = fake_smi(tmp_path, f'cat "{fixture}"')
    text, note = read_nvidia_smi(10.0, env=env)
    assert note.status == "ok" and text is not None
    facts = parse_nvidia_smi_xml(text)
    assert [g.pci_bus_id for g in facts.gpus] == ["00000000:81:00.0", "00000000:C1:00.0"]


def test_read_smi_missing(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))
    text, note = read_nvidia_smi(5.0, env=env)
    assert text is None and note.status == "unavailable"


# =========================================================================== NVML reader

# RTX A5000 is compute capability 8.6: NVIDIA's CUDA GPUs list
# (https://developer.nvidia.com/cuda-gpus, "RTX A5000 | 8.6", as copied in
# https://blog.csdn.net/HaoZiHuang/article/details/125834480), and torch's own warning
# "NVIDIA RTX A5000 with CUDA capability sm_86" (Project-MONAI/monai-deploy-app-sdk#359).
A5000_CC = (8, 6)


def a5000_fake(nvidia_smi_fixtures: Path, **kwargs):
    text = read(nvidia_smi_fixtures / "rtx-a5000-x2-driver590.xml")
    gpus = fp.gpus_from_nvidia_smi_xml(text, [A5000_CC, A5000_CC])
    assert len(gpus) == 2
    # <driver_version>590.44.01</driver_version>, <cuda_version>13.1</cuda_version>
    return fp.make_fake_pynvml(gpus, driver_version="590.44.01", cuda_driver_version=13010, **kwargs)


@pytest.fixture
def install(monkeypatch: pytest.MonkeyPatch):
    def _install(module) -> None:
        monkeypatch.setitem(sys.modules, "pynvml", module)

    return _install


def test_nvml_reads_both_gpus_like_nvidia_smi(nvidia_smi_fixtures: Path, install) -> None:
    fake = a5000_fake(nvidia_smi_fixtures)
    install(fake)
    facts, note = read_nvml(10.0)
    assert note.status == "ok" and note.probe == "nvml"
    assert facts is not None
    assert (facts.source, facts.driver_version, facts.cuda_driver_version) == ("nvml", "590.44.01", "13.1")
    assert facts.nvml_version is None and "NVML version" in note.reason  # the fake has none
    smi = parse_nvidia_smi_xml(read(nvidia_smi_fixtures / "rtx-a5000-x2-driver590.xml"))
    assert len(facts.gpus) == 2
    for got, want in zip(facts.gpus, smi.gpus, strict=True):
        assert isinstance(got.uuid, str) and isinstance(got.pci_bus_id, str)  # decoded bytes
        assert got.compute_capability == "8.6"
        # NVML and nvidia-smi agree on everything nvidia-smi shows.
        assert got == GpuInfo(**{**want.__dict__, "compute_capability": "8.6"})
    assert fake.init_count == 1 and fake.shutdown_count == 1


def test_nvml_h100_mig_from_capture_csv(nvidia_smi_fixtures: Path, install) -> None:
    capture = nvidia_smi_fixtures / "h100-80gb-mig-driver590-capture.txt"
    (_, idle_body), _ = query_gpu_sections(capture)
    gpus = fp.gpus_from_query_csv(parse_nvidia_smi_query_csv(idle_body))
    version = dict(re.findall(r"^(NVML version|DRIVER version|CUDA Version)\s+: (\S+)$", read(capture), re.M))
    assert version == {"NVML version": "590.48", "DRIVER version": "590.48.01", "CUDA Version": "13.1"}
    install(
        fp.make_fake_pynvml(
            gpus,
            driver_version=version["DRIVER version"],
            cuda_driver_version=13010,  # "CUDA Version : 13.1"
            nvml_version=version["NVML version"],
        )
    )
    facts, note = read_nvml(10.0)
    assert note.status == "ok" and note.reason == ""
    assert facts is not None and facts.nvml_version == "590.48"
    (gpu,) = facts.gpus
    assert gpu.name == "NVIDIA H100 80GB HBM3"
    assert gpu.compute_capability == "9.0" and gpu.mig_mode is True
    assert gpu.memory_total_bytes == 81559 * 1024 * 1024
    assert gpu.ecc_uncorrected == 0 and gpu.power_limit_w == 700.0
    assert gpu.throttle_reasons == ("gpu_idle",)
    assert pcie(gpu) == (5, 5, 16, 16)


def test_nvml_library_not_found(nvidia_smi_fixtures: Path, install) -> None:
    fake = a5000_fake(nvidia_smi_fixtures, init_error="NVMLError_LibraryNotFound")
    install(fake)
    facts, note = read_nvml(10.0)
    assert facts is None and note.status == "unavailable"
    assert "NVML Shared Library Not Found" in note.reason
    assert fake.calls == ["nvmlInit"]


def test_nvml_driver_not_loaded(nvidia_smi_fixtures: Path, install) -> None:
    install(a5000_fake(nvidia_smi_fixtures, init_error="NVMLError_DriverNotLoaded"))
    facts, note = read_nvml(10.0)
    assert facts is None and note.status == "unavailable" and "Driver Not Loaded" in note.reason


def test_nvml_version_mismatch(nvidia_smi_fixtures: Path, install) -> None:
    install(a5000_fake(nvidia_smi_fixtures, init_error="NVMLError_LibRmVersionMismatch"))
    facts, note = read_nvml(10.0)
    assert note.status == "error"
    assert facts is not None and facts.source == "nvml" and facts.gpus == ()
    assert facts.error is not None and facts.error.startswith("Driver/library version mismatch")


def test_nvml_pynvml_not_installed(install) -> None:
    install(None)  # makes `import pynvml` raise ImportError
    facts, note = read_nvml(10.0)
    assert facts is None and note.status == "unavailable" and "nvidia-ml-py" in note.reason


def test_nvml_one_field_not_supported(nvidia_smi_fixtures: Path, install) -> None:
    fail = {(0, "nvmlDeviceGetPowerManagementLimit"): "NVMLError_NotSupported"}
    install(a5000_fake(nvidia_smi_fixtures, fail=fail))
    facts, note = read_nvml(10.0)
    assert facts is not None
    g0, g1 = facts.gpus
    assert g0.power_limit_w is None and "power_limit_w" in g0.unsupported
    assert g0.name == "NVIDIA RTX A5000" and g0.pcie_gen_max == 4 and g0.error is None
    assert g1.power_limit_w == 230.0 and "power_limit_w" not in g1.unsupported


def test_nvml_other_field_error_is_not_unsupported(nvidia_smi_fixtures: Path, install) -> None:
    fail = {(1, "nvmlDeviceGetPersistenceMode"): "NVMLError_NoPermission"}
    install(a5000_fake(nvidia_smi_fixtures, fail=fail))
    facts, note = read_nvml(10.0)
    assert facts is not None
    g1 = facts.gpus[1]
    assert g1.persistence_mode is None and "persistence_mode" not in g1.unsupported
    assert "GPU 1 persistence_mode: Insufficient Permissions" in note.reason


@pytest.mark.parametrize("call", ["nvmlDeviceGetHandleByIndex", "nvmlDeviceGetMemoryInfo"])
def test_nvml_gpu_lost_on_one_of_two(nvidia_smi_fixtures: Path, install, call: str) -> None:
    fake = a5000_fake(nvidia_smi_fixtures, fail={(1, call): "NVMLError_GpuIsLost"})
    install(fake)
    facts, note = read_nvml(10.0)
    assert facts is not None and note.status == "ok"
    g0, g1 = facts.gpus
    assert g0.error is None
    assert (g0.name, g0.power_limit_w, g0.throttle_reasons) == ("NVIDIA RTX A5000", 230.0, ("gpu_idle",))
    assert pcie(g0) == (1, 4, 16, 16)
    assert g1.index == 1 and g1.error is not None and "GPU is lost" in g1.error
    assert g1.memory_total_bytes is None
    assert "GPU 1" in note.reason and "GPU is lost" in note.reason
    assert fake.shutdown_count == 1


def test_nvml_old_bytes_api(nvidia_smi_fixtures: Path, install) -> None:
    install(a5000_fake(nvidia_smi_fixtures, old_bytes_api=True, nvml_version="13.590.44.01"))
    facts, _ = read_nvml(10.0)
    assert facts is not None
    assert facts.driver_version == "590.44.01" and isinstance(facts.nvml_version, str)
    assert facts.gpus[0].name == "NVIDIA RTX A5000"


def test_nvml_hang_times_out(nvidia_smi_fixtures: Path, install) -> None:
    release = threading.Event()
    install(a5000_fake(nvidia_smi_fixtures, block=release))
    try:
        facts, note = read_nvml(0.5)
        assert facts is None and note.status == "timeout"
    finally:
        release.set()  # let the abandoned daemon thread finish


def test_fake_matches_installed_pynvml(nvidia_smi_fixtures: Path) -> None:
    real = pytest.importorskip("pynvml")
    fake = a5000_fake(nvidia_smi_fixtures)
    for call in fp.FAKE_CALLS:
        assert callable(getattr(real, call, None)), call
        assert callable(getattr(fake, call)), call
    names = fp.fake_attrs(fake)
    assert {"NVMLError_NotSupported", "NVMLError_GpuIsLost", "NVMLError_LibRmVersionMismatch"} <= set(names)
    for name in names:
        real_cls, fake_cls = getattr(real, name), getattr(fake, name)
        assert issubclass(real_cls, real.NVMLError)
        assert real_cls().value == fake_cls().value, name
        assert str(real_cls()) == str(fake_cls()), name
    for const in (
        "NVML_FEATURE_ENABLED",
        "NVML_DEVICE_MIG_ENABLE",
        "NVML_MEMORY_ERROR_TYPE_UNCORRECTED",
        "NVML_VOLATILE_ECC",
    ):
        assert getattr(real, const) == getattr(fake, const), const


# =========================================================================== PCI bus


def fake_sysfs(root: Path, devices: dict[str, tuple[str, str]]) -> str:
    for addr, (vendor, pci_class) in devices.items():
        d = root / "bus" / "pci" / "devices" / addr
        d.mkdir(parents=True)
        (d / "vendor").write_text(vendor + "\n")
        (d / "class").write_text(pci_class + "\n")
    (root / "bus" / "pci" / "devices").mkdir(parents=True, exist_ok=True)
    return str(root)


def test_hardware_present(tmp_path: Path, nvidia_smi_fixtures: Path) -> None:
    # Vendor and class from the captures: A5000 <pci_device_id>223110DE (vendor is the low
    # 16 bits), base class 3 / sub class 0; the H100 CSV's pci.baseClass 0x3, subClass 0x2.
    a5000 = read(nvidia_smi_fixtures / "rtx-a5000-x2-driver590.xml")
    m = re.search(r"<pci_device_id>[0-9A-F]{4}([0-9A-F]{4})<", a5000)
    assert m is not None
    vendor = "0x" + m.group(1).lower()
    assert vendor == "0x10de"
    vga, three_d = "0x030000", "0x030200"
    assert hardware_present(fake_sysfs(tmp_path / "a", {"0000:81:00.0": (vendor, vga)})) is True
    assert hardware_present(fake_sysfs(tmp_path / "b", {"0000:00:09.0": (vendor, three_d)})) is True
    # Not GPUs: an NVIDIA HDMI audio function (class 0x0403, "Audio device") and an Intel
    # (vendor 0x8086) VGA controller; both numbers from the PCI ID Repository,
    # https://pci-ids.ucw.cz/read/PD/04 and https://pci-ids.ucw.cz/read/PC/8086.
    others = {"0000:81:00.1": (vendor, "0x040300"), "0000:00:02.0": ("0x8086", vga)}
    assert hardware_present(fake_sysfs(tmp_path / "c", others)) is False
    assert hardware_present(fake_sysfs(tmp_path / "d", {})) is False
    assert hardware_present(str(tmp_path / "missing")) is None


# =========================================================================== the whole probe


@posix_only
def test_probe_falls_back_to_nvidia_smi(tmp_path: Path, nvidia_smi_fixtures: Path, install) -> None:
    install(a5000_fake(nvidia_smi_fixtures, init_error="NVMLError_LibraryNotFound"))
    env = fake_smi(tmp_path, f'cat "{nvidia_smi_fixtures / "tesla-k80-x4-azure-out-of-order-driver430.xml"}"')
    facts, notes = probe_nvidia(timeout=10.0, env=env, sys_root=str(tmp_path / "nosys"))
    assert facts.source == "nvidia-smi" and len(facts.gpus) == 4
    assert facts.hardware_present is None
    assert [(n.probe, n.status) for n in notes] == [("nvml", "unavailable"), ("nvidia-smi", "ok")]


@posix_only
def test_probe_nvml_first(tmp_path: Path, nvidia_smi_fixtures: Path, install) -> None:
    install(a5000_fake(nvidia_smi_fixtures))
    env = fake_smi(tmp_path, "exit 99")  # would fail if it were run
    sysfs = fake_sysfs(tmp_path / "sys", {"0000:81:00.0": ("0x10de", "0x030000")})
    facts, notes = probe_nvidia(timeout=10.0, env=env, sys_root=sysfs)
    assert facts.source == "nvml" and len(facts.gpus) == 2 and facts.hardware_present is True
    assert [n.probe for n in notes] == ["nvml"]


@posix_only
def test_probe_garbage_from_smi_is_a_note(tmp_path: Path, nvidia_smi_fixtures: Path, install) -> None:
    install(a5000_fake(nvidia_smi_fixtures, init_error="NVMLError_LibraryNotFound"))
    env = fake_smi(tmp_path, r"printf '\377\376garbage'")
    facts, notes = probe_nvidia(timeout=10.0, env=env, sys_root=str(tmp_path))
    assert facts.gpus == () and facts.source is None
    assert notes[-1].probe == "nvidia-smi" and notes[-1].status == "error"
    assert "not valid XML" in notes[-1].reason and len(notes[-1].reason) < 200


@posix_only
def test_probe_driver_mismatch_keeps_the_error(tmp_path: Path, nvidia_smi_fixtures: Path, install) -> None:
    install(a5000_fake(nvidia_smi_fixtures, init_error="NVMLError_LibRmVersionMismatch"))
    env = fake_smi(tmp_path, 'echo "Failed to initialize NVML: Driver/library version mismatch"\nexit 18')
    facts, notes = probe_nvidia(timeout=10.0, env=env, sys_root=str(tmp_path))
    assert facts.source == "nvml" and facts.error and "mismatch" in facts.error
    assert [(n.probe, n.status) for n in notes] == [("nvml", "error"), ("nvidia-smi", "error")]


@posix_only
def test_probe_no_driver_message_from_smi(tmp_path: Path, install) -> None:
    install(None)
    msg = (
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
        "Make sure that the latest NVIDIA driver is installed and running."
    )
    env = fake_smi(tmp_path, f'echo "{msg}"\nexit 9')
    facts, _ = probe_nvidia(timeout=10.0, env=env, sys_root=str(tmp_path))
    assert facts.source == "nvidia-smi" and facts.error is not None and "couldn't communicate" in facts.error


@posix_only
def test_probe_parser_bug_becomes_note(
    tmp_path: Path, nvidia_smi_fixtures: Path, install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(None)
    env = fake_smi(tmp_path, f'cat "{nvidia_smi_fixtures / "tesla-t4-driver515.xml"}"')

    def broken(text: str) -> NvidiaFacts:
        raise KeyError("boom")

    monkeypatch.setattr(nvml, "parse_nvidia_smi_xml", broken)
    facts, notes = probe_nvidia(timeout=10.0, env=env, sys_root=str(tmp_path))
    assert facts.gpus == ()
    assert notes[-1].status == "error" and "KeyError" in notes[-1].reason


@posix_only
def test_probe_everything_hangs(tmp_path: Path, nvidia_smi_fixtures: Path, install) -> None:
    release = threading.Event()
    install(a5000_fake(nvidia_smi_fixtures, block=release))
    env = fake_smi(tmp_path, "exec sleep 30")
    try:
        start = time.monotonic()
        facts, notes = probe_nvidia(timeout=1.0, env=env, sys_root=str(tmp_path))
        assert time.monotonic() - start < 25  # neither the NVML hang nor the 30 s sleep
    finally:
        release.set()
    assert facts.gpus == ()
    assert [(n.probe, n.status) for n in notes] == [("nvml", "timeout"), ("nvidia-smi", "timeout")]


def test_real_probe_on_this_machine() -> None:
    """This machine has no NVIDIA GPU or driver: the real probe says so without raising."""
    if Path("/dev/nvidiactl").exists():
        pytest.skip("this machine has an NVIDIA driver")
    facts, notes = probe_nvidia(timeout=5.0)
    assert isinstance(facts, NvidiaFacts)
    assert facts.gpus == ()
    assert notes and notes[0].probe == "nvml" and notes[0].status in {"unavailable", "error"}
    assert all(n.status != "ok" or n.probe == "nvidia-smi" for n in notes)


def test_importing_the_probe_does_not_import_pynvml() -> None:
    """``envtool detect`` start-up stays fast: pynvml is imported only inside read_nvml."""
    import subprocess

    code = "import sys, envtool.probes.nvidia; print('pynvml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"

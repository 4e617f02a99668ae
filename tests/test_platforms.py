"""AMD ROCm, Intel XPU, Apple MPS, Hygon DCUs and NVIDIA on Arm (Grace, GB10, Jetson).

Everything here is checked against real captured outputs in ``../shared/fixtures/hw`` (see its
SOURCES.md): parsers on the text, readers on copies of the captured /sys trees or on trees built
from captured file contents, tools as scripts that print a capture. No machine of these kinds was
at hand: what a real run would check first is in docs/platforms.md.
"""

from __future__ import annotations

import dataclasses
import shutil
import stat
from pathlib import Path

import pytest
from hostfacts import host, text

from envtool import accel_rules, rules
from envtool.knowledge import accelerators as kn
from envtool.model import (
    Accelerator,
    Finding,
    GpuInfo,
    HostFacts,
    NvidiaFacts,
    PlatformFacts,
    Profile,
    PythonFacts,
    TorchBuild,
    facts_from_data,
    facts_to_data,
)
from envtool.probes import amd, apple, arm, intel, pci, platforms
from envtool.profiles import load_profiles


@pytest.fixture(scope="module")
def profiles() -> list[Profile]:
    return load_profiles(env={})


def ids(findings: list[Finding]) -> set[str]:
    return {f.id for f in findings}


def tools_dir(tmp_path: Path, outputs: dict[str, Path]) -> str:
    """A PATH folder whose scripts print captured outputs (a tool this machine cannot have)."""
    d = tmp_path / "bin"
    d.mkdir(exist_ok=True)
    for name, capture in outputs.items():
        script = d / name
        script.write_text(f"#!/bin/sh\nexec '{shutil.which('cat')}' '{capture}'\n", encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(d)


# =========================================================================== AMD: parsers


def test_kfd_decimal_target_version_names_the_gfx_target() -> None:
    assert amd.gfx_from_target_version(90402) == "gfx942"
    assert amd.gfx_from_target_version(110000) == "gfx1100"
    assert amd.gfx_from_target_version(90010) == "gfx90a"
    assert amd.gfx_from_target_version(0) is None  # CPU nodes


def test_kfd_tree_mi210x8(hw: Path) -> None:
    gpus = amd.read_kfd(hw / "amd-kfd-topology-mi210x8-gfx90a")
    assert gpus is not None and len(gpus) == 8  # the 2 CPU nodes (simd_count 0) are skipped
    assert {(g.arch, g.compute_units, g.pci_id) for g in gpus} == {("gfx90a", 104, "1002:740f")}
    assert amd.partitions(gpus) == {}


@pytest.mark.parametrize(
    ("tree", "devices", "cus", "pci_id"),
    [
        ("amd-kfd-topology-mi300x-cpx-gfx942", 63, 38, "1002:74a1"),
        ("amd-kfd-topology-mi308x-cpx-gfx942", 32, 20, "1002:74a2"),
    ],
)
def test_kfd_tree_partitioned_mi300_series(hw: Path, tree: str, devices: int, cus: int, pci_id: str) -> None:
    gpus = amd.read_kfd(hw / tree)
    assert gpus is not None and len(gpus) == devices  # one KFD node per CPX partition
    assert {(g.arch, g.compute_units, g.pci_id) for g in gpus} == {("gfx942", cus, pci_id)}
    assert len(amd.partitions(gpus)) == 8  # partitions of one physical GPU share its unique_id
    assert all(n > 1 for n in amd.partitions(gpus).values())


def test_kfd_tree_of_an_old_kernel_has_no_target(hw: Path) -> None:
    gpus = amd.read_kfd(hw / "amd-kfd-topology-mi25-vega10-old-kernel")
    assert gpus is not None and gpus and all(g.arch is None for g in gpus)
    assert gpus[0].pci_id == "1002:6860" and "gfx_target_version" in gpus[0].notes[0]


def test_no_kfd_tree_is_none(tmp_path: Path) -> None:
    assert amd.read_kfd(tmp_path / "absent") is None


@pytest.mark.parametrize(
    ("capture", "count", "vendor", "name", "gfx", "cus", "pci_id"),
    [
        ("amd-rocminfo-mi300x-x4-gfx942.txt", 4, "amd", "AMD Instinct MI300X", "gfx942", 304, "1002:74a1"),
        ("amd-rocminfo-rx7800xt-gfx1101-rocm6.2.4.txt", 1, "amd", "AMD Radeon RX 7800 XT", "gfx1101", 60, "1002:747e"),
        ("amd-rocminfo-8x-vega20-gfx906-rocm2-ansi.txt", 8, "amd", "Vega 20", "gfx906", 60, "1002:66a1"),
        ("amd-rocminfo-rx6700xt-gfx1030.txt", 1, "amd", "AMD Radeon RX 6700 XT", "gfx1030", 40, "1002:73df"),
        (
            "amd-rocminfo-w7900-gfx1100-rocm6.0-agent2-excerpt.txt",
            1,
            "amd",
            "AMD Radeon PRO W7900",
            "gfx1100",
            96,
            "1002:7448",
        ),
        ("hygon-dcu-rocminfo-k100ai-gfx928.txt", 1, "hygon", "K1xx_AI", "gfx928", None, None),
    ],
)
def test_rocminfo_gpu_agents(
    hw: Path, capture: str, count: int, vendor: str, name: str, gfx: str, cus: int | None, pci_id: str | None
) -> None:
    gpus, _ = amd.parse_rocminfo(text(hw, capture))
    assert len(gpus) == count
    g = gpus[0]
    assert (g.vendor, g.name, g.arch, g.pci_id) == (vendor, name, gfx, pci_id)
    if cus is not None:
        assert g.compute_units == cus


def test_rocminfo_header_and_mi300a_cpu_agent(hw: Path) -> None:
    gpus, header = amd.parse_rocminfo(text(hw, "amd-rocminfo-mi300a-apu-rocm6.4-header-excerpt.txt"))
    assert gpus == []  # its Agent 1 is named "AMD Instinct MI300A Accelerator" but is the CPU
    assert header == {"kfd_version": "6.12.12", "runtime": "1.15"}
    _, header = amd.parse_rocminfo(text(hw, "amd-rocminfo-rx7800xt-gfx1101-rocm6.2.4.txt"))
    assert header["kfd_version"] == "6.2.4"


@pytest.mark.parametrize(
    ("capture", "vendor", "gfx", "pci_id", "memory"),
    [
        ("amd-rocm-smi-json-rx7800xt-rocm6.2.4.json", "amd", "gfx1101", "1002:747e", 17163091968),
        ("amd-rocm-smi-showproductname-json-mi250x-gfx9010.json", "amd", "gfx90a", "1002:7408", None),
        ("hygon-dcu-rocm-smi-json-k100ai.json", "hygon", None, None, 65520 * 2**20),
    ],
)
def test_rocm_smi_json(
    hw: Path, capture: str, vendor: str, gfx: str | None, pci_id: str | None, memory: int | None
) -> None:
    (g,) = amd.parse_rocm_smi_json(text(hw, capture))
    assert (g.vendor, g.arch, g.pci_id, g.memory_bytes) == (vendor, gfx, pci_id, memory)


def test_rocm_smi_gfx_version_is_a_number_not_a_name() -> None:
    # "gfx9010" (MI250X) and "gfx11001" (RX 7800 XT) are KFD's number, printed oddly; real names pass through.
    assert amd.gfx_from_smi("gfx9010") == "gfx90a"
    assert amd.gfx_from_smi("gfx11001") == "gfx1101"
    assert [amd.gfx_from_smi(v) for v in ("gfx942", "gfx1100", "gfx90a")] == ["gfx942", "gfx1100", "gfx90a"]


def test_amd_smi_static_json_mi210(hw: Path) -> None:
    (g,) = amd.parse_amd_smi_static_json(text(hw, "amd-smi-static-json-mi210.json"))
    assert (g.name, g.arch, g.compute_units, g.pci_id, g.driver) == (
        "AMD Instinct MI210",
        "gfx90a",
        104,
        "1002:740f",
        "amdgpu",
    )
    assert g.memory_bytes == 65520 * 2**20


def test_lspci_display_controllers_only(hw: Path) -> None:
    (navi31,) = pci.parse_lspci_nn(text(hw, "amd-lspci-nn-rx7900xtx-navi31.txt"))
    assert (navi31.vendor, navi31.pci_id, navi31.class_code) == ("amd", "1002:744c", 0x0300)
    (navi48,) = pci.parse_lspci_nn(text(hw, "amd-lspci-vnn-radeon-ai-pro-r9700-navi48.txt"))
    assert (navi48.pci_id, navi48.driver) == ("1002:7551", "amdgpu")
    # an AMD PCI bridge on the card (vendor 1002) is not a GPU
    assert pci.parse_lspci_nn(text(hw, "amd-lspci-vv-rx9070xt-on-rpi5-aarch64-bridge-excerpt.txt")) == []


def test_amd_table_by_name_and_pci() -> None:
    assert kn.amd_gpu(name="AMD Instinct MI300X").gfx == "gfx942"
    assert kn.amd_gpu(pci_device="744c").gfx == "gfx1100"
    assert kn.amd_gpu(name="AMD Radeon RX 7900 XT").name == "RX 7900 XT"
    assert kn.amd_gpu(name="NVIDIA H100") is None


def test_rocm_wheel_targets_per_torch_release() -> None:
    t29 = kn.rocm_wheel_targets("2.9.1+rocm6.4")
    t210 = kn.rocm_wheel_targets("2.10.0")
    assert t29 is not None and t210 is not None and len(t29) == 11
    assert set(t210) - set(t29) == {"gfx950", "gfx1150", "gfx1151"}
    assert "gfx1201" not in (kn.rocm_wheel_targets("2.7.1") or ())
    assert kn.rocm_wheel_targets("2.13.0") is None  # no source: unknown, not the newest list
    assert kn.rocm_indexes("2.9.0") == ("6.4",)


# =========================================================================== Intel


def test_xpu_smi_discovery_layouts(hw: Path) -> None:
    (b580,) = intel.parse_xpu_smi_discovery(text(hw, "intel-xpu-smi-discovery-d0-arc-b580-xpusmi2.0.txt"))
    assert (b580.name, b580.pci_id, b580.compute_units) == ("Intel(R) Arc(TM) B580 Graphics", "8086:e20b", 160)
    assert b580.memory_bytes == int(12216.00 * 2**20)
    (a770,) = intel.parse_xpu_smi_discovery(text(hw, "intel-xpu-smi-discovery-d0-arc-a770-borderless-excerpt.txt"))
    assert (a770.name, a770.pci_id, a770.driver) == ("Intel(R) Arc(TM) A770 Graphics", "8086:56a0", "17013219")
    (pre,) = intel.parse_xpu_smi_discovery(text(hw, "intel-xpu-smi-discovery-0x020a-preproduction.txt"))
    assert pre.pci_id == "8086:020a"  # no marketing name: the id comes from "[0x020a]"
    banner = intel.parse_xpu_smi_banner(text(hw, "intel-xpu-smi-banner-arc-b580-xpusmi2.0.txt"))
    assert banner["level_zero"] == "1.27.0"


@pytest.mark.parametrize(
    ("capture", "usable"),
    [
        ("intel-sycl-ls-a750-no-level-zero.txt", {"Intel(R) Arc(TM) A750 Graphics": False}),
        ("intel-sycl-ls-verbose-a750-ci-timestamped-excerpt.txt", {"Intel(R) Arc(TM) A750 Graphics": True}),
        (
            "intel-sycl-ls-verbose-linux-a770-uhd630-excerpt.txt",
            {"Intel(R) Arc(TM) A770 Graphics": True, "Intel(R) UHD Graphics 630": True},
        ),
        (
            "intel-sycl-ls-windows-a770-uhd770-oneapi2024.0.txt",
            {"Intel(R) UHD Graphics 770": True, "Intel(R) Arc(TM) A770 Graphics": True},
        ),
    ],
)
def test_sycl_ls_level_zero_decides_usable(hw: Path, capture: str, usable: dict[str, bool]) -> None:
    found = intel.accelerators_from_sycl(intel.parse_sycl_ls(text(hw, capture)))
    assert {a.name: a.usable for a in found} == usable


def test_xpu_families() -> None:
    assert kn.xpu_family("Intel(R) Arc(TM) B580 Graphics") == "Arc B-Series"
    assert kn.xpu_family(pci_device="0bd5") == "Data Center GPU Max"
    assert kn.xpu_family("Intel(R) UHD Graphics 630") is None


# =========================================================================== Apple


def test_sysctl_apple_silicon(hw: Path) -> None:
    m3 = apple.parse_sysctl(text(hw, "apple-sysctl-m3max-sequoia.txt"))
    assert apple.is_apple_silicon(m3) and apple.apple_chip(m3) == "Apple M3 Max"
    assert m3["hw.memsize"] == "38654705664"
    m1 = apple.parse_sysctl(text(hw, "apple-sysctl-m1-bigsur-apple-processor.txt"))
    assert apple.is_apple_silicon(m1) is True  # hw.optional.arm64: 1, though the brand is "Apple processor"
    assert apple.apple_chip(m1) is None


def test_sw_vers_and_system_profiler(hw: Path) -> None:
    assert apple.parse_sw_vers(text(hw, "apple-sw_vers-catalina-intel.txt"))["ProductVersion"] == "10.15.5"
    assert apple.gpu_from_system_profiler(
        text(hw, "apple-system-profiler-displays-json-m3pro-3displays-excerpt.json")
    ) == (
        "Apple M3 Pro",
        None,  # no core count in this capture: unknown
        "spdisplays_metal3",
    )
    name, _, family = apple.gpu_from_system_profiler(
        text(hw, "apple-system-profiler-displays-json-m1-bigsur-metalfamily-excerpt.json")
    )
    assert name is None and family == "spdisplays_mtlgpufamilyapple7"  # "kHW_AppleM1Item" is not a name
    hwo = apple.parse_hardware_overview(text(hw, "apple-system-profiler-hardware-text-m3-air-sonoma.txt"))
    assert (hwo["Chip"], hwo["Memory"]) == ("Apple M3", "16 GB")


def test_probe_apple_with_captured_tools(hw: Path) -> None:
    outputs = {
        ("sysctl",): text(hw, "apple-sysctl-m3max-sequoia.txt"),
        ("sw_vers",): text(hw, "apple-sw_vers-catalina-intel.txt").replace("10.15.5", "15.3.1"),
        ("system_profiler",): text(hw, "apple-system-profiler-displays-json-m3pro-3displays-excerpt.json"),
    }
    accels, facts = apple.probe_apple(lambda argv, timeout: outputs.get((argv[0],)))
    (gpu,) = accels
    assert (gpu.vendor, gpu.arch, gpu.memory_bytes, gpu.memory_shared) == ("apple", "M3", 38654705664, True)
    assert facts["kind"] == "apple-silicon" and facts["macos_version"] == "15.3.1"


# =========================================================================== NVIDIA on Arm


def test_arm_cpu_parts_and_kernels(hw: Path) -> None:
    assert arm.cpu_part(text(hw, "nvidia-gb10-proc-cpuinfo-excerpt.txt")) == ("0x41", "0xd87")
    assert kn.arm_core("0xd87") == "Cortex-A725" and kn.sbsa_soc("0xd87") == "GB10"
    assert kn.arm_core("0xd4f") == "Neoverse-V2" and kn.sbsa_soc("0xd4f") == "Grace"
    assert arm.lscpu_model(text(hw, "nvidia-gh200-480gb-harvard-lscpu.txt")) == "Neoverse-V2"
    release = text(hw, "nvidia-gh200-480gb-lambda-docker-uname-a.txt").split()[2]
    assert arm.is_64k_kernel(release) is True
    assert arm.is_64k_kernel(text(hw, "jetson-agx-orin-jp6.2-r36.4.3-uname-a.txt").split()[2]) is False


def _jtop_raw(log: str, path: str) -> str:
    """The value printed under ``Path: <path>`` in a ``jtop --error-log`` RAW section."""
    lines = log.splitlines()
    i = lines.index(f"Path: {path}")
    return lines[i + 1]


def test_nv_tegra_release_and_device_tree(hw: Path) -> None:
    assert arm.parse_nv_tegra_release(text(hw, "jetson-agx-orin-jp6.2-r36.4.3-etc-nv_tegra_release.txt")) == "36.4.3"
    jp72 = text(hw, "jetson-agx-orin-jtop-error-log-r39.2-jp7.2.txt")
    assert arm.parse_nv_tegra_release(jp72) == "39.2.0"  # 12-hour time and double spaces in its DATE
    thor = text(hw, "jetson-thor-jtop-error-log-r38.2.txt")
    compat = arm.parse_compatible(_jtop_raw(thor, "/proc/device-tree/compatible"))
    assert compat == ("nvidia,p4071-0000+p3834-0008", "nvidia,p3834-0008", "nvidia,tegra264")
    assert arm.tegra_soc(compat, None) == "Thor"
    assert arm.tegra_soc(("nvidia,p3737-0000+p3701-0000",), "NVIDIA Jetson AGX Orin Developer Kit") == "Orin"


def test_jetpack_table() -> None:
    jp6 = kn.jetpack_for_l4t("36.4.3")
    assert jp6 is not None and (jp6.jetpack, jp6.cuda, jp6.python) == ("6.1/6.2", "12.6", "3.10")
    assert kn.jetpack_for_l4t("38.2.0").jetpack == "7.0/7.1"
    assert kn.jetpack_for_l4t("39.2.0").cuda == "13.2"
    assert kn.jetpack_for_l4t("37.0.0") is None  # not in the table: unknown
    assert kn.tegra_gpu_arch("Thor", "13.0") == "sm_110" and kn.tegra_gpu_arch("Orin", "12.6") == "sm_87"


# --------------------------------------------------------------------------- trees built from captures


def _meminfo() -> str:
    # No /proc/meminfo of these machines was captured: this machine's real one stands in (only its shape counts).
    return Path("/proc/meminfo").read_text(encoding="utf-8")


def jetson_root(tmp_path: Path, hw: Path, which: str) -> Path:
    """/etc/nv_tegra_release and /proc/device-tree from the Jetson captures."""
    root = tmp_path / which
    (root / "etc").mkdir(parents=True)
    (root / "proc/device-tree").mkdir(parents=True)
    if which == "orin-jp6.2":
        release = text(hw, "jetson-agx-orin-jp6.2-r36.4.3-etc-nv_tegra_release.txt")
        log = text(hw, "jetson-agx-orin-jtop-error-log-r36.4.4-jp6.2.1.txt")  # same board: its model line
        compat = None
    else:
        log = text(
            hw,
            "jetson-agx-orin-jtop-error-log-r39.2-jp7.2.txt"
            if which == "orin-jp7.2"
            else "jetson-thor-jtop-error-log-r38.2.txt",
        )
        release = _jtop_raw(log, "/etc/nv_tegra_release")
        compat = (
            _jtop_raw(log, "/proc/device-tree/compatible").replace("nvidia,", "\x00nvidia,").lstrip("\x00") + "\x00"
        )
    (root / "etc/nv_tegra_release").write_text(release + "\n", encoding="utf-8")
    (root / "proc/device-tree/model").write_text(_jtop_raw(log, "/sys/firmware/devicetree/base/model") + "\x00")
    if compat:
        (root / "proc/device-tree/compatible").write_text(compat)
    (root / "proc/meminfo").write_text(_meminfo(), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("which", "kernel", "l4t", "jetpack", "cuda", "soc", "gpu"),
    [
        ("orin-jp6.2", "5.15.148-tegra", "36.4.3", "6.1/6.2", "12.6", "Orin", "sm_87"),
        ("orin-jp7.2", "6.8.12-1021-tegra", "39.2.0", "7.2", "13.2", "Orin", "sm_87"),
        ("thor", "6.8.12-tegra", "38.2.0", "7.0/7.1", "13.0", "Thor", "sm_110"),
    ],
)
def test_probe_arm_on_jetson_trees(
    tmp_path: Path, hw: Path, which: str, kernel: str, l4t: str, jetpack: str, cuda: str, soc: str, gpu: str
) -> None:
    root = jetson_root(tmp_path, hw, which)
    f = arm.probe_arm(arch="aarch64", kernel=kernel, proc=root / "proc", etc=root / "etc")
    assert (f["kind"], f["l4t"], f["jetpack"], f["board_cuda"], f["soc"], f["gpu_arch"]) == (
        "tegra",
        l4t,
        jetpack,
        cuda,
        soc,
        gpu,
    )
    assert f["board"].startswith("NVIDIA Jetson AGX")
    assert f["unified_memory_bytes"] and "/proc/meminfo" in f["unified_memory_source"]


def gb10_root(tmp_path: Path, hw: Path, *, driver: bool = True) -> Path:
    root = tmp_path / "gb10"
    (root / "proc").mkdir(parents=True)
    (root / "proc/cpuinfo").write_text(text(hw, "nvidia-gb10-proc-cpuinfo-excerpt.txt"), encoding="utf-8")
    (root / "proc/meminfo").write_text(_meminfo(), encoding="utf-8")
    if driver:
        (root / "proc/driver/nvidia").mkdir(parents=True)
    return root


def test_probe_arm_gb10_reads_unified_memory_from_meminfo(tmp_path: Path, hw: Path) -> None:
    root = gb10_root(tmp_path, hw)
    f = arm.probe_arm(arch="aarch64", kernel="6.17.0-1008-nvidia", proc=root / "proc", etc=root / "etc")
    assert (f["kind"], f["soc"], f["cpu_part"], f["kernel_64k"]) == ("sbsa", "GB10", "0xd87", False)
    total = next(int(line.split()[1]) * 1024 for line in _meminfo().splitlines() if line.startswith("MemTotal:"))
    assert f["unified_memory_bytes"] == total and "Not Supported" in f["unified_memory_source"]


def test_arm_cores_without_nvidia_are_not_taken_for_grace(tmp_path: Path, hw: Path) -> None:
    root = gb10_root(tmp_path, hw, driver=False)
    f = arm.probe_arm(arch="aarch64", kernel="6.8.0", proc=root / "proc", etc=root / "etc")
    assert f.get("soc") is None and f.get("kind") is None and f["notes"]


def test_probe_arm_is_silent_on_x86(tmp_path: Path) -> None:
    assert arm.probe_arm(arch="x86_64", kernel="6.1.0", proc=tmp_path, etc=tmp_path) == {}


# =========================================================================== the whole probe, through runner


def test_probe_platforms_on_a_kfd_tree(tmp_path: Path, hw: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(hw / "amd-kfd-topology-mi300x-cpx-gfx942", root / "sys/class/kfd/kfd/topology")
    (root / "sys/module/amdgpu").mkdir(parents=True)
    (accels, pf), notes = platforms.probe_platforms(
        env={"PATH": str(tmp_path / "empty"), "HIP_VISIBLE_DEVICES": "0"},
        root=str(root),
        os_name="Linux",
        arch="x86_64",
        kernel="6.8.0",
    )
    assert len(accels) == 63 and {a.arch for a in accels} == {"gfx942"}
    assert pf.amdgpu_loaded is True and pf.kfd_accessible is None  # no /dev/kfd in this tree
    assert ("HIP_VISIBLE_DEVICES", "0") in pf.visible_devices
    assert notes[-1].probe == "platforms"


def test_probe_platforms_runs_captured_tools(tmp_path: Path, hw: Path) -> None:
    # Hygon: no KFD tree captured, but its rocminfo is; rocminfo is found on PATH through the runner.
    root = tmp_path / "root"
    (root / "opt/rocm").mkdir(parents=True)
    path = tools_dir(tmp_path, {"rocminfo": hw / "hygon-dcu-rocminfo-k100ai-gfx928.txt"})
    (accels, _), _ = platforms.probe_platforms(
        env={"PATH": path}, root=str(root), os_name="Linux", arch="x86_64", kernel="5.4"
    )
    (dcu,) = accels
    assert (dcu.vendor, dcu.arch, dcu.source) == ("hygon", "gfx928", "rocminfo")


def test_probe_platforms_from_sysfs_pci(tmp_path: Path, hw: Path) -> None:
    """Intel Max 1550 by its PCI id (0x0bd5, from the collect_env capture) and xpu-smi absent; the
    sysfs class value of a display controller is written as sysfs writes it (0x038000)."""
    root = tmp_path / "root"
    dev = root / "sys/bus/pci/devices/0000:29:00.0"
    dev.mkdir(parents=True)
    (dev / "vendor").write_text("0x8086\n")
    (dev / "device").write_text("0x0bd5\n")
    (dev / "class").write_text("0x038000\n")
    (accels, pf), _ = platforms.probe_platforms(
        env={"PATH": str(tmp_path / "none")}, root=str(root), os_name="Linux", arch="x86_64", kernel="6.8"
    )
    (gpu,) = accels
    assert (gpu.vendor, gpu.pci_id, gpu.source) == ("intel", "8086:0bd5", "pci")
    assert pf.level_zero is None  # sycl-ls did not run: unknown, not False


def test_detect_json_carries_accelerators_and_platform(tmp_path: Path, hw: Path) -> None:
    gpus, _ = amd.parse_rocminfo(text(hw, "amd-rocminfo-mi300x-x4-gfx942.txt"))
    facts = HostFacts(accelerators=tuple(gpus), platform=PlatformFacts(kind="sbsa", compatible=("a", "b")))
    data = facts_to_data(facts)
    assert data["accelerators"][0]["arch"] == "gfx942" and data["platform"]["kind"] == "sbsa"
    assert facts_from_data(data) == facts


# =========================================================================== named scenarios


AMD_OK = PlatformFacts(amdgpu_loaded=True, kfd_accessible=True, render_groups=("render",))


def mi300x(hw: Path) -> tuple[Accelerator, ...]:
    gpus, _ = amd.parse_rocminfo(text(hw, "amd-rocminfo-mi300x-x4-gfx942.txt"))
    return tuple(gpus)


def test_scenario_mi300x_with_a_rocm6_torch(hw: Path, profiles: list[Profile]) -> None:
    facts = host(accels=mi300x(hw), pf=AMD_OK, torch=TorchBuild(version="2.9.1+rocm6.4", hip="6.4"))
    findings = rules.evaluate(facts)
    assert not ids(findings) & {"arch_unsupported", "accel_build_mismatch", "rocm_no_access", "amdgpu_missing"}
    assert not [f for f in findings if f.severity.value != "info"]
    rec = rules.recommend(facts, profiles)
    assert rec.name == "rocm7.1" and any("gfx942" in r for r in rec.reasons)


def test_scenario_mi300x_with_a_cuda_torch(hw: Path, profiles: list[Profile]) -> None:
    facts = host(accels=mi300x(hw), pf=AMD_OK, torch=TorchBuild(version="2.13.0+cu130", cuda="13.0"))
    findings = rules.evaluate(facts)
    assert "accel_build_mismatch" in ids(findings)
    no_gpu = next(f for f in findings if f.id == "no_gpu")
    assert "MI300X" in no_gpu.message  # not "the cpu profile fits"
    assert rules.recommend(facts, profiles).name == "rocm7.1"


def test_scenario_mi300x_user_not_in_render_group(hw: Path) -> None:
    pf = dataclasses.replace(AMD_OK, kfd_accessible=False, render_groups=("render",), user_groups=("users",))
    findings = rules.evaluate(host(accels=mi300x(hw), pf=pf))
    f = next(f for f in findings if f.id == "rocm_no_access")
    assert "usermod -aG render,video" in f.fix


def test_scenario_partitioned_mi300x(hw: Path) -> None:
    gpus = amd.read_kfd(hw / "amd-kfd-topology-mi300x-cpx-gfx942") or []
    f = next(f for f in rules.evaluate(host(accels=tuple(gpus), pf=AMD_OK)) if f.id == "gpu_partitioned")
    assert "38 CUs" in f.message and "63 devices" in f.message


def test_scenario_rx7900xtx_from_pci_only(hw: Path, profiles: list[Profile]) -> None:
    devices = pci.parse_lspci_nn(text(hw, "amd-lspci-nn-rx7900xtx-navi31.txt"))
    accels = tuple(platforms._amd_from_pci(devices))
    assert accels[0].arch == "gfx1100"
    rec = rules.recommend(host(accels=accels, pf=AMD_OK), profiles)
    assert rec.name == "rocm7.1"
    # no amdgpu driver: no ROCm profile can run yet
    no_driver = host(accels=accels, pf=PlatformFacts(amdgpu_loaded=False))
    assert "amdgpu_missing" in ids(rules.evaluate(no_driver))
    assert rules.recommend(no_driver, profiles).name == "cpu"


def test_scenario_rx9070xt_on_an_old_torch(hw: Path, profiles: list[Profile]) -> None:
    # Navi 48 from the AI PRO R9700 capture: the RX 9070 XT's chip (gfx1201).
    devices = pci.parse_lspci_nn(text(hw, "amd-lspci-vnn-radeon-ai-pro-r9700-navi48.txt"))
    accels = tuple(platforms._amd_from_pci(devices))
    assert accels[0].arch == "gfx1201"
    facts = host(accels=accels, pf=AMD_OK, torch=TorchBuild(version="2.7.1+rocm6.3", hip="6.3"))
    f = next(f for f in rules.evaluate(facts) if f.id == "arch_unsupported")
    assert "gfx1201" in f.message and "2.10.0" in f.fix
    assert "HSA_OVERRIDE_GFX_VERSION" not in f.fix  # no source confirms it for any GPU here
    assert rules.recommend(facts, profiles).name == "rocm7.1"


def test_scenario_gfx_target_no_wheel_carries(profiles: list[Profile]) -> None:
    dcu_like = Accelerator(index=0, vendor="amd", name="gfx928 part", arch="gfx928", source="rocminfo")
    rec = rules.recommend(host(accels=(dcu_like,), pf=AMD_OK), profiles)
    assert rec.name == "cpu" and "unsupported" in rec.reasons[-1]


def test_scenario_m3_macbook_with_the_default_wheel(hw: Path, profiles: list[Profile]) -> None:
    hwo = apple.parse_hardware_overview(text(hw, "apple-system-profiler-hardware-text-m3-air-sonoma.txt"))
    # macOS 14.7.5 per the capture's SOURCES row (the excerpt itself does not print it)
    pf = PlatformFacts(kind="apple-silicon", soc=hwo["Chip"], macos_version="14.7.5")
    gpu = Accelerator(index=0, vendor="apple", name=hwo["Chip"], arch=apple.chip_family(hwo["Chip"]), source="sysctl")
    facts = host(accels=(gpu,), pf=pf, torch=TorchBuild(version="2.13.0"), os_name="Darwin", arch="arm64")
    found = ids(rules.evaluate(facts))
    assert not found & {"mps_unavailable", "cpu_build_on_gpu", "macos_x86_torch_eol", "accel_build_mismatch"}
    rec = rules.recommend(facts, profiles)
    assert rec.name == "cpu" and any("MPS" in r for r in rec.reasons)


def test_scenario_m1_on_macos_13(hw: Path, profiles: list[Profile]) -> None:
    sysctl = apple.parse_sysctl(text(hw, "apple-sysctl-m1-bigsur-apple-processor.txt"))
    assert apple.is_apple_silicon(sysctl)
    pf = PlatformFacts(kind="apple-silicon", macos_version="13.6")  # the scenario: the same M1 on macOS 13
    facts = host(pf=pf, os_name="Darwin", arch="arm64")
    assert "mps_unavailable" in ids(rules.evaluate(facts))
    rec = rules.recommend(facts, profiles)
    assert rec.name == "cpu" and any("no MPS" in r for r in rec.reasons)
    # macOS 26 follows 15: an integer compare, not a string one
    assert "mps_unavailable" not in ids(rules.evaluate(host(pf=dataclasses.replace(pf, macos_version="26.3.1"))))


def test_scenario_intel_mac_and_rosetta(hw: Path) -> None:
    vers = apple.parse_sw_vers(text(hw, "apple-sw_vers-catalina-intel.txt"))
    facts = host(pf=PlatformFacts(kind="intel-mac", macos_version=vers["ProductVersion"]), os_name="Darwin")
    f = next(f for f in rules.evaluate(facts) if f.id == "macos_x86_torch_eol")
    assert "2.2.2" in f.message
    rosetta = host(pf=PlatformFacts(kind="apple-silicon", rosetta=True, macos_version="15.3.1"), os_name="Darwin")
    assert "arm64 python" in next(f for f in rules.evaluate(rosetta) if f.id == "macos_x86_torch_eol").fix


def test_scenario_arc_b580_with_the_xpu_wheel(hw: Path, profiles: list[Profile]) -> None:
    (b580,) = intel.parse_xpu_smi_discovery(text(hw, "intel-xpu-smi-discovery-d0-arc-b580-xpusmi2.0.txt"))
    facts = host(accels=(b580,), torch=TorchBuild(version="2.12.0+xpu"))
    assert not ids(rules.evaluate(facts)) & {"xpu_no_level_zero", "accel_build_mismatch", "cpu_build_on_gpu"}
    rec = rules.recommend(facts, profiles)
    assert rec.name == "xpu" and any("Arc B-Series" in r for r in rec.reasons)


def test_scenario_arc_without_level_zero(hw: Path, profiles: list[Profile]) -> None:
    (a750,) = intel.accelerators_from_sycl(intel.parse_sycl_ls(text(hw, "intel-sycl-ls-a750-no-level-zero.txt")))
    facts = host(accels=(a750,), pf=PlatformFacts(level_zero=False))
    assert "xpu_no_level_zero" in ids(rules.evaluate(facts))
    assert rules.recommend(facts, profiles).name == "cpu"


def test_scenario_max_1550(tmp_path: Path, profiles: list[Profile]) -> None:
    gpu = Accelerator(
        index=0, vendor="intel", pci_id="8086:0bd5", source="pci"
    )  # as test_probe_platforms_from_sysfs_pci reads it
    rec = rules.recommend(host(accels=(gpu,)), profiles)
    assert rec.name == "xpu" and any("Data Center GPU Max" in r for r in rec.reasons)
    assert any("Level Zero not checked" in r for r in rec.reasons)


def test_scenario_hygon_dcu(hw: Path, profiles: list[Profile]) -> None:
    (dcu,) = amd.parse_rocm_smi_json(text(hw, "hygon-dcu-rocm-smi-json-k100ai.json"))
    facts = host(accels=(dcu,))
    found = ids(rules.evaluate(facts))
    assert "hygon_dcu" in found and "arch_unsupported" not in found
    rec = rules.recommend(facts, profiles)
    assert rec.name == "cpu" and any("Hygon" in r for r in rec.reasons)


def test_scenario_nvidia_and_amd_in_one_box(hw: Path, profiles: list[Profile]) -> None:
    w7900, _ = amd.parse_rocminfo(text(hw, "amd-rocminfo-w7900-gfx1100-rocm6.0-agent2-excerpt.txt"))
    # the NVIDIA side as the GH200 Lambda capture's nvidia-smi reports driver and CUDA (570.124.06, 12.8)
    nv = NvidiaFacts(
        source="nvidia-smi",
        driver_version="570.124.06",
        cuda_driver_version="12.8",
        gpus=(GpuInfo(index=0, name="NVIDIA A100-SXM4-80GB", compute_capability="8.0"),),
    )
    facts = host(accels=tuple(w7900), pf=AMD_OK, nvidia=nv)
    rec = rules.recommend(facts, profiles)
    chosen = next(p for p in profiles if p.name == rec.name)
    assert chosen.is_gpu and any("one torch build serves one vendor" in r for r in rec.reasons)


# --------------------------------------------------------------------------- NVIDIA on Arm


def gh200(hw: Path, tmp_path: Path) -> HostFacts:
    root = tmp_path / "gh200"
    (root / "proc/driver/nvidia").mkdir(parents=True)
    release = text(hw, "nvidia-gh200-480gb-lambda-docker-uname-a.txt").split()[2]
    pf = arm.probe_arm(
        arch="aarch64",
        kernel=release,
        proc=root / "proc",
        etc=root / "etc",
        lscpu_text=text(hw, "nvidia-gh200-480gb-lambda-docker-lscpu.txt"),
    )
    # nvidia-gh200-480gb-lambda-docker-nvidia-smi.txt: driver 570.124.06, CUDA 12.8, "NVIDIA GH200 480GB", 97871MiB
    nv = NvidiaFacts(
        source="nvidia-smi",
        driver_version="570.124.06",
        cuda_driver_version="12.8",
        gpus=(GpuInfo(index=0, name="NVIDIA GH200 480GB", memory_total_bytes=97871 * 2**20, compute_capability="9.0"),),
    )
    return host(nvidia=nv, pf=PlatformFacts(**pf), arch="aarch64", torch=TorchBuild(version="2.13.0"))


def test_scenario_gh200_with_the_default_index_cpu_wheel(hw: Path, tmp_path: Path, profiles: list[Profile]) -> None:
    facts = gh200(hw, tmp_path)
    assert (facts.platform.kind, facts.platform.soc, facts.platform.kernel_64k) == ("sbsa", "Grace", True)
    f = next(f for f in rules.evaluate(facts) if f.id == "cpu_build_on_gpu")
    assert "aarch64" in f.message and "envtool install --profile auto" in f.fix
    rec = rules.recommend(facts, profiles)
    chosen = next(p for p in profiles if p.name == rec.name)
    assert chosen.is_gpu and chosen.torch_index and any("aarch64" in r for r in rec.reasons)


def test_scenario_gb10_with_cu130(hw: Path, tmp_path: Path, profiles: list[Profile]) -> None:
    root = gb10_root(tmp_path, hw)
    pf = PlatformFacts(
        **arm.probe_arm(arch="aarch64", kernel="6.17.0-1008-nvidia", proc=root / "proc", etc=root / "etc")
    )
    # nvidia-smi-gb10-dgx-spark-580.126.09.txt: driver 580.126.09, CUDA 13.0, memory "Not Supported"
    nv = NvidiaFacts(
        source="nvidia-smi",
        driver_version="580.126.09",
        cuda_driver_version="13.0",
        gpus=(GpuInfo(index=0, name="NVIDIA GB10", compute_capability="12.1", unsupported=("memory",)),),
    )
    facts = host(nvidia=nv, pf=pf, arch="aarch64", torch=TorchBuild(version="2.12.0.dev20260325+cu130", cuda="13.0"))
    found = ids(rules.evaluate(facts))
    assert not found & {"cpu_build_on_gpu", "arch_unsupported", "driver_too_old"}
    rec = rules.recommend(facts, profiles)
    # a CUDA 13 profile (the newest the 580 driver runs; GB10's sm_121 runs the sm_120 code of the aarch64 lists)
    assert rec.name.startswith("cuda13") and any("/proc/meminfo" in r for r in rec.reasons)


def jetson(
    hw: Path, tmp_path: Path, which: str, kernel: str, torch: TorchBuild | None, nv: NvidiaFacts | None = None
) -> HostFacts:
    root = jetson_root(tmp_path, hw, which)
    pf = PlatformFacts(**arm.probe_arm(arch="aarch64", kernel=kernel, proc=root / "proc", etc=root / "etc"))
    return host(pf=pf, arch="aarch64", torch=torch, nvidia=nv)


# jetson-agx-orin-jp6.2-r36.4.3-nvidia-smi.txt: "Orin (nvgpu)", driver 540.4.0, CUDA 12.6, everything else N/A
ORIN_SMI = NvidiaFacts(
    source="nvidia-smi",
    driver_version="540.4.0",
    cuda_driver_version="12.6",
    gpus=(GpuInfo(index=0, name="Orin (nvgpu)"),),
)


def test_scenario_jetson_orin_jp62(hw: Path, tmp_path: Path, profiles: list[Profile]) -> None:
    facts = jetson(hw, tmp_path, "orin-jp6.2", "5.15.148-tegra", None, ORIN_SMI)
    found = ids(rules.evaluate(facts))
    assert not found & {"gpu_error", "no_driver", "arch_unsupported", "driver_too_old"}  # N/A fields are normal here
    rec = rules.recommend(facts, profiles)
    chosen = next(p for p in profiles if p.name == rec.name)
    assert rec.name == "jetson-jp6" and chosen.python == "3.10" and "jp6/cu126" in (chosen.torch_index or "")
    # a generic aarch64 CUDA wheel has no sm_87 code (pytorch/pytorch#145560)
    generic = dataclasses.replace(facts, python=PythonFacts(torch=TorchBuild(version="2.6.0+cu126", cuda="12.6")))
    f = next(f for f in rules.evaluate(generic) if f.id == "arch_unsupported")
    assert "sm_87" in f.message and "Tegra" in f.message
    # and the default index's CPU wheel: the fix names the right channel through `plan`
    cpu = dataclasses.replace(facts, python=PythonFacts(torch=TorchBuild(version="2.13.0")))
    assert "aarch64" in next(f for f in rules.evaluate(cpu) if f.id == "cpu_build_on_gpu").message


def test_scenario_jetson_orin_jp72_is_unconfirmed(hw: Path, tmp_path: Path, profiles: list[Profile]) -> None:
    facts = jetson(hw, tmp_path, "orin-jp7.2", "6.8.12-1021-tegra", None)
    assert facts.platform.jetpack == "7.2"
    rec = rules.recommend(facts, profiles)
    assert rec.name == "cpu" and any("unconfirmed" in r for r in rec.reasons)


def test_scenario_jetson_thor_jp7(hw: Path, tmp_path: Path, profiles: list[Profile]) -> None:
    facts = jetson(hw, tmp_path, "thor", "6.8.12-tegra", TorchBuild(version="2.9.1+cu128", cuda="12.8"))
    assert (facts.platform.soc, facts.platform.gpu_arch) == ("Thor", "sm_110")
    # torch 2.9.1+cu128 on Thor: "no kernel image is available" (OpenRAL/openral#167)
    assert "arch_unsupported" in ids(rules.evaluate(facts))
    rec = rules.recommend(facts, profiles)
    assert rec.name == "cuda13.0"
    ok = dataclasses.replace(facts, python=PythonFacts(torch=TorchBuild(version="2.13.0+cu130", cuda="13.0")))
    assert "arch_unsupported" not in ids(rules.evaluate(ok))


def test_scenario_jetpack5_has_no_channel(profiles: list[Profile]) -> None:
    pf = PlatformFacts(kind="tegra", l4t="35.4.1", jetpack="5.1.2", soc="Orin")
    rec = rules.recommend(host(pf=pf, arch="aarch64"), profiles)
    assert rec.name == "cpu" and any("JetPack 5.1.2" in r for r in rec.reasons)


# A real JetPack 5.1.2 AGX Orin developer kit, as its owner printed it (`cat /etc/nv_tegra_release`, then
# `apt-cache show nvidia-jetpack` -> 5.1.2-b104): boxcutter/kvm@06854848d68976b4e52477748b162485032bd1fa,
# docs/NVIDIA_JETSON_DEVELOPER_KIT_SETUP.md. No JetPack 5 capture is in ../shared/fixtures/hw/.
JP5_RELEASE = (
    "# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64, DATE: Tue Aug  1 19:57:35 UTC 2023"
)


@pytest.mark.parametrize("with_model", [True, False])
def test_scenario_jetson_agx_orin_jp5_from_a_real_release_file(
    hw: Path, tmp_path: Path, profiles: list[Profile], with_model: bool
) -> None:
    assert arm.parse_nv_tegra_release(JP5_RELEASE) == "35.4.1"
    root = jetson_root(tmp_path, hw, "orin-jp6.2")  # the same devkit's model line (its JetPack 6 capture)
    (root / "etc/nv_tegra_release").write_text(JP5_RELEASE + "\n", encoding="utf-8")
    if not with_model:
        (root / "proc/device-tree/model").unlink()
    f = arm.probe_arm(arch="aarch64", kernel="5.10.120-tegra", proc=root / "proc", etc=root / "etc")
    assert (f["kind"], f["l4t"], f["jetpack"], f["board_cuda"]) == ("tegra", "35.4.1", "5.1.2", "11.4")
    # the SoC comes from the device tree; without it JetPack 5 could be a Xavier as well as an Orin: unknown
    assert f.get("soc") == ("Orin" if with_model else None)
    facts = host(pf=PlatformFacts(**f), arch="aarch64")  # no nvidia-smi output: none from JetPack 5 was read
    assert not ids(rules.evaluate(facts)) & {"gpu_error", "no_driver", "driver_too_old"}
    rec = rules.recommend(facts, profiles)
    assert rec.name == "cpu" and any("JetPack 5.1.2" in r for r in rec.reasons)


# =========================================================================== tables and vocabulary


@pytest.mark.parametrize("name", kn.TABLES)
def test_every_table_header_has_a_source(name: str) -> None:
    from importlib import resources

    lines = resources.files("envtool.knowledge").joinpath(name).read_text(encoding="utf-8").splitlines()
    missing = []
    for i, line in enumerate(lines):
        if line.startswith("["):
            block = []
            j = i - 1
            while j >= 0 and lines[j].startswith("#"):
                block.append(lines[j])
                j -= 1
            if not any(b.startswith("# source:") for b in block):
                missing.append(f"{name}:{i + 1}: {line}")
    assert not missing, missing


def test_new_finding_ids_are_in_the_vocabulary_and_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for fid in accel_rules.VOCABULARY:
        assert fid in rules.VOCABULARY and f"`{fid}`" in readme


def test_accelerator_profiles_load_with_their_indexes(profiles: list[Profile]) -> None:
    by = {p.name: p for p in profiles}
    assert by["rocm6.4"].torch_index == "https://download.pytorch.org/whl/rocm6.4"
    assert kn.rocm_wheel_targets(by["rocm7.1"].torch) is not None
    assert by["xpu"].torch_index == kn.xpu_index()
    assert not any(by[n].is_gpu for n in ("rocm6.4", "rocm7.1", "xpu", "jetson-jp6"))  # never picked as CUDA


def test_plain_x86_machine_is_untouched(profiles: list[Profile]) -> None:
    facts = host()
    assert accel_rules.evaluate(facts) == [] and accel_rules.recommend(facts, profiles) is None
    assert rules.recommend(facts, profiles).name == "cpu"


def test_runner_is_the_only_way_tools_run() -> None:
    src = Path(platforms.__file__).read_text(encoding="utf-8")
    assert "subprocess" not in src and "runner.capture" in src
    for mod in (amd, apple, arm, intel, pci):
        assert "subprocess" not in Path(mod.__file__).read_text(encoding="utf-8")


def test_jetson_without_nvml_still_has_a_gpu(hw: Path, tmp_path: Path, profiles: list[Profile]) -> None:
    facts = jetson(hw, tmp_path, "thor", "6.8.12-tegra", TorchBuild(version="2.13.0"))  # no nvidia-smi answer at all
    found = ids(rules.evaluate(facts))
    assert "no_gpu" not in found and "cpu_build_on_gpu" in found
    thor_profile = next(p for p in profiles if p.name == "cuda13.0")
    assert rules.profile_fit(thor_profile, facts) == []
    jp6 = next(p for p in profiles if p.name == "jetson-jp6")
    assert [f.id for f in rules.profile_fit(jp6, facts)] == ["no_gpu"]  # JetPack 7 is not its JetPack


def test_accelerator_profiles_fit_only_their_machines(hw: Path, profiles: list[Profile]) -> None:
    by = {p.name: p for p in profiles}
    amd_box = host(accels=mi300x(hw), pf=AMD_OK)
    assert rules.profile_fit(by["rocm6.4"], amd_box) == [] and rules.profile_fit(by["xpu"], amd_box)
    assert [f.id for f in rules.profile_fit(by["rocm6.4"], host())] == ["no_gpu"]
    navi48 = Accelerator(index=0, vendor="amd", name="AMD Radeon RX 9070 XT", arch="gfx1201", source="rocminfo")
    old = dataclasses.replace(by["rocm6.4"], torch="2.7.1", variant="rocm6.3")
    assert [f.id for f in rules.profile_fit(old, host(accels=(navi48,), pf=AMD_OK))] == ["arch_unsupported"]


def test_detect_text_shows_other_accelerators_and_the_platform(hw: Path, tmp_path: Path) -> None:
    from rich.console import Console

    from envtool import render
    from envtool.model import CommandResult

    gpus = amd.read_kfd(hw / "amd-kfd-topology-mi308x-cpx-gfx942") or []
    facts = jetson(hw, tmp_path, "orin-jp6.2", "5.15.148-tegra", None)
    facts = dataclasses.replace(
        facts, accelerators=tuple(gpus[:2]), platform=dataclasses.replace(facts.platform, rocm_version="6.3.1")
    )
    console = Console(record=True, width=200)
    for item in render.renderables(CommandResult(command="detect", data=facts_to_data(facts))):
        console.print(item)
    out = console.export_text()
    assert "Other accelerators" in out and "gfx942" in out and "1002:74a2" in out
    assert "L4T 36.4.3, JetPack 6.1/6.2, CUDA 12.6" in out and "sm_87" in out and "ROCm" in out


def test_a_plain_machine_shows_no_platform_block() -> None:
    from envtool import render

    assert render._platform_sections(facts_to_data(HostFacts())) == []


def test_scenario_gh200_with_cu126(hw: Path, tmp_path: Path, profiles: list[Profile]) -> None:
    # collect_env-vllm-gh200-144g-cu126-excerpt.txt: torch 2.6.0+cu126 on a GH200 (kernel 6.8.0-1027-nvidia-64k)
    facts = gh200(hw, tmp_path)
    facts = dataclasses.replace(facts, python=PythonFacts(torch=TorchBuild(version="2.6.0+cu126", cuda="12.6")))
    found = ids(rules.evaluate(facts))
    assert not found & {"cpu_build_on_gpu", "arch_unsupported", "driver_too_old", "accel_build_mismatch"}


def test_scenario_gb200_with_cu128(profiles: list[Profile]) -> None:
    # collect_env-hgx-gb200x4-cu128-excerpt.txt: 4x "HGX GB200" (no "NVIDIA" prefix), driver 570.124.06,
    # torch 2.7.1+cu128; compute capability 10.0 from nvidia-gb200x4-sglang-check_env-excerpt.txt
    gpus = tuple(GpuInfo(index=i, name="HGX GB200", compute_capability="10.0") for i in range(4))
    nv = NvidiaFacts(source="nvidia-smi", driver_version="570.124.06", gpus=gpus)
    pf = PlatformFacts(kind="sbsa", soc="Grace", cpu_core="Neoverse-V2")
    facts = host(nvidia=nv, pf=pf, arch="aarch64", torch=TorchBuild(version="2.7.1+cu128", cuda="12.8"))
    found = ids(rules.evaluate(facts))
    assert not found & {"cpu_build_on_gpu", "arch_unsupported", "driver_too_old", "no_gpu"}
    rec = rules.recommend(facts, profiles)
    assert next(p for p in profiles if p.name == rec.name).is_gpu and any("aarch64" in r for r in rec.reasons)


def test_probe_platforms_with_captured_xpu_smi_and_sycl_ls(tmp_path: Path, hw: Path) -> None:
    root = tmp_path / "root"
    dev = root / "sys/bus/pci/devices/0000:03:00.0"  # the B580's address in the xpu-smi capture
    dev.mkdir(parents=True)
    (dev / "vendor").write_text("0x8086\n")
    (dev / "device").write_text("0xe20b\n")
    (dev / "class").write_text("0x030000\n")
    discovery = tmp_path / "discovery.txt"
    discovery.write_text(text(hw, "intel-xpu-smi-discovery-d0-arc-b580-xpusmi2.0.txt"))
    path = tools_dir(tmp_path, {"xpu-smi": discovery, "sycl-ls": hw / "intel-sycl-ls-a750-no-level-zero.txt"})
    (accels, pf), _ = platforms.probe_platforms(
        env={"PATH": path}, root=str(root), os_name="Linux", arch="x86_64", kernel="6.19"
    )
    (b580,) = accels
    assert (b580.name, b580.source) == ("Intel(R) Arc(TM) B580 Graphics", "xpu-smi")
    # this sycl-ls (another machine's) lists no Level Zero GPU at all: the B580 is marked unusable
    assert b580.usable is False and pf.level_zero is False


def test_thor_with_nvml_is_judged_on_the_aarch64_lists(hw: Path, tmp_path: Path) -> None:
    # Were NVML to report Thor as compute capability 11.0, the x86 cu130 list (no 11.0) must not raise
    # a false arch_unsupported: the aarch64 cu130 wheels carry sm_110.
    nv = NvidiaFacts(
        source="nvml",
        driver_version="580.00",
        cuda_driver_version="13.0",
        gpus=(GpuInfo(index=0, name="NVIDIA Thor", compute_capability="11.0"),),
    )
    facts = jetson(hw, tmp_path, "thor", "6.8.12-tegra", TorchBuild(version="2.13.0+cu130", cuda="13.0"), nv)
    assert "arch_unsupported" not in ids(rules.evaluate(facts))
    x86 = dataclasses.replace(facts, platform=PlatformFacts(), system=dataclasses.replace(facts.system, arch="x86_64"))
    assert "arch_unsupported" in ids(rules.evaluate(x86))  # the same GPU judged on x86's list


def test_peaks_are_only_what_a_source_gave() -> None:
    mi300x = kn.peak("AMD Instinct MI300X")
    assert mi300x is not None and mi300x.bf16_tflops == 1307.4 and not mi300x.weak  # from AMD's own ROCm docs
    assert kn.peak("AMD Instinct MI210").fp16_tflops == 181.0
    assert kn.peak("AMD Radeon RX 7900 XT") is None  # the XTX's figure is not the XT's
    assert kn.peak("Apple M3 Max") is None and kn.peak("Intel(R) Arc(TM) B580 Graphics") is None
    max1550 = kn.peak("Intel(R) Data Center GPU Max 1550", units=1024)
    assert max1550 is not None and max1550.bf16_tflops is None  # a measured figure is not a peak


def test_hip_visible_devices_hiding_every_gpu(hw: Path) -> None:
    gpus = mi300x(hw)  # 4 GPUs
    hidden = dataclasses.replace(AMD_OK, visible_devices=(("HIP_VISIBLE_DEVICES", "4"),))
    f = next(f for f in rules.evaluate(host(accels=gpus, pf=hidden)) if f.id == "rocm_visible_devices_hides_all")
    assert "all 4" in f.message
    shown = dataclasses.replace(AMD_OK, visible_devices=(("ROCR_VISIBLE_DEVICES", "0,1"),))
    assert "rocm_visible_devices_hides_all" not in ids(rules.evaluate(host(accels=gpus, pf=shown)))


def test_a_rocm_torch_without_an_amd_gpu() -> None:
    f = next(
        f
        for f in rules.evaluate(host(torch=TorchBuild(version="2.9.1+rocm6.4", hip="6.4")))
        if f.id == "accel_build_mismatch"
    )
    assert f.severity.value == "warn" and "ROCm build" in f.message


def test_every_new_id_is_exercised_here() -> None:
    src = Path(__file__).read_text(encoding="utf-8")
    assert [fid for fid in accel_rules.VOCABULARY if f'"{fid}"' not in src] == []


def test_dgpu_beside_an_igpu_named_by_sycl_ls(tmp_path: Path, hw: Path, profiles: list[Profile]) -> None:
    # Arc A770 + UHD 630 (intel/llvm#12880's sycl-ls); the A770's PCI id 0x56a0 from the xpu-smi capture
    root = tmp_path / "root"
    dev = root / "sys/bus/pci/devices/0000:03:00.0"
    dev.mkdir(parents=True)
    (dev / "vendor").write_text("0x8086\n")
    (dev / "device").write_text("0x56a0\n")
    (dev / "class").write_text("0x030000\n")
    path = tools_dir(tmp_path, {"sycl-ls": hw / "intel-sycl-ls-verbose-linux-a770-uhd630-excerpt.txt"})
    (accels, pf), _ = platforms.probe_platforms(
        env={"PATH": path}, root=str(root), os_name="Linux", arch="x86_64", kernel="6.8"
    )
    assert [a.name for a in accels] == ["Intel(R) Arc(TM) A770 Graphics", "Intel(R) UHD Graphics 630"]
    assert pf.level_zero is True
    rec = rules.recommend(host(accels=accels, pf=pf), profiles)
    assert rec.name == "xpu" and "UHD" not in rec.reasons[0]  # the iGPU is listed, not targeted


def test_a_gpu_no_wheel_carries_beside_one_that_is(hw: Path, profiles: list[Profile]) -> None:
    (rx7800,), _ = amd.parse_rocminfo(text(hw, "amd-rocminfo-rx7800xt-gfx1101-rocm6.2.4.txt"))
    (dcu_like,), _ = amd.parse_rocminfo(text(hw, "hygon-dcu-rocminfo-k100ai-gfx928.txt"))
    other = dataclasses.replace(dcu_like, vendor="amd", index=1)  # a gfx target no listed wheel carries
    rec = rules.recommend(host(accels=(rx7800, other), pf=AMD_OK), profiles)
    assert rec.name == "rocm7.1" and "gfx928 stay unused" in rec.reasons[-1]


def test_rocm_version_from_the_info_file_or_the_link(tmp_path: Path, hw: Path) -> None:
    assert amd.parse_update_alternatives(text(hw, "amd-update-alternatives-display-rocm-6.3.1.txt")) == "6.3.1"
    real = tmp_path / "rocm-6.3.1"
    real.mkdir()
    (tmp_path / "rocm").symlink_to(real)
    # no .info/version (its contents were not captured): the link's target, as in the capture, names it
    assert amd.read_rocm_version(tmp_path / "rocm") == "6.3.1"
    assert amd.read_rocm_version(tmp_path / "absent") is None

"""Pasted reports from AMD, Intel, Apple and NVIDIA-on-Arm machines, judged like detected ones.

One test per real capture (``../shared/fixtures/hw/collect_env-*.txt`` and the ROCm/macOS dumps
of ``../shared/fixtures/collect_env/``, sources in each folder's SOURCES.md). Each test states what
the capture really shows: the facts read from it, the findings envtool raises (and the false alarms it
must not raise) and the profile it recommends. Nothing here is an invented report.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from envtool import paste_rules, profiles, rules
from envtool.diagnose import Paste, read_paste
from envtool.model import Finding, HostFacts, Recommendation, Severity


@dataclasses.dataclass(frozen=True)
class Judged:
    paste: Paste
    findings: list[Finding]
    verdict: dict[str, str | None]
    rec: Recommendation
    lines: list[str]

    @property
    def facts(self) -> HostFacts:
        return self.paste.facts

    def ids(self, *severities: Severity) -> list[str]:
        return [f.id for f in self.findings if not severities or f.severity in severities]

    def finding(self, fid: str) -> Finding:
        return next(f for f in self.findings if f.id == fid)


def _body(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.parent.name == "collect_env":  # these files open with a "source:/notes:" header
        head, _, text = text.partition("\n\n")
        assert head.startswith("source:")
    return text


def judge(path: Path) -> Judged:
    text = _body(path)
    paste = read_paste(text)
    findings, verdict = paste_rules.diagnose_paste(paste.facts, paste.signs)
    rec = rules.recommend(paste.facts, profiles.load_profiles(None))
    return Judged(paste=paste, findings=findings, verdict=verdict, rec=rec, lines=text.split("\n"))


def assert_evidence_is_real(j: Judged, f: Finding) -> None:
    assert f.evidence, f"{f.id} has no line of the paste behind it"
    for e in f.evidence:
        assert " ".join(e.text.split()) in " ".join(j.lines[e.line - 1].split())


def capture(folder: Path, name: str) -> Path:
    path = folder / name
    assert path.is_file(), f"capture {name} is missing"
    return path


# --------------------------------------------------------------------------- AMD (ROCm builds)


def test_rx6950xt_rocm6_0_wheel_reads_gfx1030_and_gets_the_rocm_profile(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-rocm6.0-rx6950xt-gfx1030-excerpt.txt"))
    (gpu,) = j.facts.accelerators
    assert (gpu.vendor, gpu.name, gpu.arch, gpu.source) == ("amd", "AMD Radeon RX 6950 XT", "gfx1030", "collect_env")
    assert j.facts.python.torch is not None and j.facts.python.torch.hip == "6.0"
    assert not j.facts.nvidia.gpus
    # "Is CUDA available: True" on a ROCm build: torch opened /dev/kfd, so the driver is there.
    assert j.facts.platform.amdgpu_loaded is True and j.facts.platform.kfd_accessible is True
    assert not j.ids(Severity.ERROR, Severity.WARN)
    assert j.verdict["cause"] is None
    assert j.rec.name.startswith("rocm")


def test_mi210_source_build_strips_the_sramecc_xnack_suffix_and_judges_no_wheel_list(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-rocm6.1-mi210-source-build-excerpt.txt"))
    (gpu,) = j.facts.accelerators
    assert (gpu.name, gpu.arch) == ("AMD Instinct MI210", "gfx90a")
    assert j.facts.python.torch is not None and j.facts.python.torch.version == "2.3.0a0+gitae01701"
    # A source build carries the targets it was built for: no wheel table judges it.
    assert "arch_unsupported" not in j.ids()
    assert not j.ids(Severity.ERROR, Severity.WARN)
    assert any("MIOpen 3.1.0" in n for n in j.facts.platform.notes)


def test_mi250x_nightly_rocm6_2_no_false_alarm(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-rocm6.2-mi250x-torch2.6dev-excerpt.txt"))
    (gpu,) = j.facts.accelerators
    assert (gpu.name, gpu.arch) == ("AMD Instinct MI250X/MI250", "gfx90a")
    assert not j.ids(Severity.ERROR, Severity.WARN)
    assert j.rec.name.startswith("rocm")


def test_mi300x_therock_rocm7_13_no_false_alarm_and_rocm_profile(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-rocm7.13-therock-mi300x-torch2.9.1-excerpt.txt"))
    (gpu,) = j.facts.accelerators
    assert (gpu.name, gpu.arch) == ("AMD Instinct MI300X", "gfx942")
    assert j.facts.torch_runtime is not None and j.facts.torch_runtime.xpu_available is False
    assert not j.ids(Severity.ERROR, Severity.WARN)
    assert "accel_build_mismatch" not in j.ids()
    assert j.rec.name.startswith("rocm")
    # The told rows say it is a ROCm build, never a CPU build ("CUDA used to build PyTorch: N/A").
    torch_rows = [v for w, v, _ in j.paste.told if w == "torch"]
    assert torch_rows and all("ROCm" in v for v in torch_rows)


def test_mi300x_facts_with_a_cuda_torch_get_accel_build_mismatch(hw: Path) -> None:
    # The named scenario "MI300X with a CUDA torch": the MI300X capture's facts with the torch of the
    # HGX GB200 capture (2.7.1+cu128), both real; collect_env has no dump of this mix.
    amd = judge(capture(hw, "collect_env-rocm7.13-therock-mi300x-torch2.9.1-excerpt.txt")).facts
    cuda = judge(capture(hw, "collect_env-hgx-gb200x4-cu128-excerpt.txt")).facts
    rt = amd.torch_runtime
    assert rt is not None and cuda.python.torch is not None
    facts = dataclasses.replace(
        amd,
        python=dataclasses.replace(amd.python, torch=cuda.python.torch, torch_installs=(cuda.python.torch,)),
        torch_runtime=dataclasses.replace(rt, version=cuda.python.torch.version, cuda="12.8", hip=None),
    )
    found = [f for f in rules.evaluate(facts) if f.id == "accel_build_mismatch"]
    assert len(found) == 1 and found[0].severity == Severity.ERROR
    assert "AMD Instinct MI300X (gfx942)" in found[0].message


def test_rx5700xt_gfx1010_nightly_gets_arch_unsupported_with_its_gpu_line(collect_env_fixtures: Path) -> None:
    j = judge(capture(collect_env_fixtures, "07-rocm-nightly-gentoo-details-block-merged-first-line.txt"))
    (gpu,) = j.facts.accelerators
    assert (gpu.name, gpu.arch) == ("AMD Radeon RX 5700 XT", "gfx1010")
    f = j.finding("arch_unsupported")
    assert f.severity == Severity.ERROR and "gfx1010" in f.message
    assert "PYTORCH_ROCM_ARCH=gfx1010" in f.fix and "HSA_OVERRIDE_GFX_VERSION" not in f.fix
    assert_evidence_is_real(j, f)
    assert any("gfx1010" in e.text for e in f.evidence)
    assert j.verdict["cause"] == "arch_unsupported"
    assert j.rec.name == "cpu"


def test_radeon_8050s_on_windows_reads_gfx1151_but_offers_no_linux_rocm_profile(collect_env_fixtures: Path) -> None:
    j = judge(capture(collect_env_fixtures, "08-rocm-windows-runtimewarning-powershell-cpu-complete.txt"))
    (gpu,) = j.facts.accelerators
    assert (gpu.name, gpu.arch) == ("AMD Radeon(TM) 8050S Graphics", "gfx1151")
    assert j.facts.system.os_name == "Windows"
    assert j.facts.platform.kfd_accessible is None  # no /dev/kfd on Windows: nothing said
    assert not j.ids(Severity.ERROR)
    assert j.rec.name == "cpu" and any("Windows" in r for r in j.rec.reasons)


# --------------------------------------------------------------------------- Intel (XPU builds)


def test_max1550x4_xpu_nightly_reads_the_detected_device_and_level_zero(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-xpu-2.8dev-max1550x4-excerpt.txt"))
    # The excerpt ends inside the first _XpuDeviceProperties: one device torch sees is shown.
    (gpu,) = j.facts.accelerators
    assert (gpu.vendor, gpu.name) == ("intel", "Intel(R) Data Center GPU Max 1550")
    assert (gpu.compute_units, gpu.memory_bytes, gpu.usable) == (512, 65536 * 2**20, True)
    assert j.facts.platform.level_zero is True
    rt = j.facts.torch_runtime
    assert rt is not None and (rt.xpu_available, rt.xpu) == (True, "20250101")
    # "CUDA used to build PyTorch: None" is no CPU build on an XPU wheel.
    assert "cpu_build" not in j.paste.signs
    assert [v for w, v, _ in j.paste.told if w == "torch"] == ["2.8.0.dev20250516+xpu (XPU build)"]
    assert not j.ids(Severity.ERROR, Severity.WARN)
    assert j.rec.name == "xpu"


def test_max1550x8_ubuntu24_reads_the_pci_id(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-xpu-max1550x8-ubuntu24.04-excerpt.txt"))
    (gpu,) = j.facts.accelerators  # cut after the first detected device
    assert (gpu.pci_id, gpu.compute_units, gpu.driver) == ("8086:0bd5", 512, "1.6.33578+51")
    assert any("libze1 1.24.0.0" in n for n in j.facts.platform.notes)
    assert j.rec.name == "xpu"


def test_max1100_onboard_na_still_lists_the_devices_torch_sees(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-xpu-max1100-onboard-NA-excerpt.txt"))
    assert [(a.index, a.name, a.pci_id) for a in j.facts.accelerators] == [
        (0, "Intel(R) Data Center GPU Max 1100", "8086:0bda"),
        (1, "Intel(R) Data Center GPU Max 1100", "8086:0bda"),
    ]
    assert all(a.usable for a in j.facts.accelerators)
    assert not j.ids(Severity.ERROR, Severity.WARN)
    assert j.rec.name == "xpu"


def test_arc_pro_b60_indented_paste_level_zero_v2(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-xpu-arc-pro-b60x8-levelzero-v2-excerpt.txt"))
    (gpu,) = j.facts.accelerators
    assert (gpu.name, gpu.pci_id, gpu.compute_units) == ("Intel(R) Arc(TM) Pro B60 Graphics", "8086:e211", 160)
    assert gpu.memory_bytes == 24480 * 2**20
    assert j.facts.platform.level_zero is True
    assert j.rec.name == "xpu"


# --------------------------------------------------------------------------- macOS


def test_m1max_macos15_default_wheel_no_false_alarm(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-macos15.3.1-arm64-m1max-vllm-excerpt.txt"))
    pf = j.facts.platform
    assert (pf.kind, pf.macos_version, pf.soc, pf.rosetta) == ("apple-silicon", "15.3.1", "Apple M1 Max", False)
    (gpu,) = j.facts.accelerators
    assert (gpu.vendor, gpu.arch, gpu.memory_shared) == ("apple", "M1", True)
    assert not j.ids(Severity.ERROR, Severity.WARN)
    assert j.rec.name == "cpu" and any("MPS" in r for r in j.rec.reasons)


def test_m2max_on_macos13_gets_mps_unavailable_with_its_os_line(collect_env_fixtures: Path) -> None:
    j = judge(capture(collect_env_fixtures, "09-macos-arm64-mps-nightly-complete.txt"))
    pf = j.facts.platform
    assert (pf.kind, pf.macos_version, pf.soc) == ("apple-silicon", "13.7.4", "Apple M2 Max")
    f = j.finding("mps_unavailable")
    assert f.severity == Severity.ERROR and "13.7.4" in f.message
    assert_evidence_is_real(j, f)
    assert j.verdict["cause"] == "mps_unavailable"
    assert any("no MPS" in r for r in j.rec.reasons)


def test_x86_64_python_on_macos11_warns_torch_stops_at_2_2(collect_env_fixtures: Path) -> None:
    j = judge(capture(collect_env_fixtures, "18-macos-x86_64-nightly-conda-pytorch-select-cpu.txt"))
    pf = j.facts.platform
    # The dump has no CPU section: an Intel Mac or Rosetta, unknown, so no kind is claimed.
    assert (pf.kind, pf.macos_version, pf.rosetta) == (None, "11.0", None)
    assert not j.facts.accelerators
    f = j.finding("macos_x86_torch_eol")
    assert f.severity == Severity.WARN and "x86_64 on macOS" in f.message
    assert not j.ids(Severity.ERROR)


def test_a_dump_typed_as_template_bullets_reads_its_platform_fields_as_the_dump(collect_env_fixtures: Path) -> None:
    # An issue template's "- OS: ..." bullets (Lightning's "#- OS (e.g., Linux): ..." commented out) carry the same
    # fields: the macOS version and the verdict are the dump's.
    text = _body(capture(collect_env_fixtures, "09-macos-arm64-mps-nightly-complete.txt"))
    for bullet in ("- ", "* ", "#- "):
        typed = "".join(bullet + line if ":" in line else line for line in text.splitlines(keepends=True))
        paste = read_paste(typed)
        _, verdict = paste_rules.diagnose_paste(paste.facts, paste.signs)
        assert (paste.facts.platform.macos_version, verdict["cause"]) == ("13.7.4", "mps_unavailable"), bullet
    lightning = "#- OS (e.g., Linux): MacOS 15.3.2\nMac mini M4\nAssertionError: Torch not compiled with CUDA enabled\n"
    assert read_paste(lightning).facts.platform.macos_version == "15.3.2"


# --------------------------------------------------------------------------- NVIDIA on Arm


def test_gb10_dgx_spark_cu130_is_sbsa_with_no_false_alarm(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-gb10-dgx-spark-2.12dev-cu130-excerpt.txt"))
    pf = j.facts.platform
    assert (pf.kind, pf.soc, pf.kernel_64k) == ("sbsa", "GB10", False)
    assert [g.name for g in j.facts.nvidia.gpus] == ["NVIDIA GB10"]
    assert not j.ids(Severity.ERROR, Severity.WARN)
    assert j.rec.name.startswith("cuda")


def test_gb200_ngc_nv25_06_build_is_not_judged_by_the_wheels_arch_lists(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-gb200x4-ngc-2.8.0a0-nv25.06-excerpt.txt"))
    assert j.facts.python.torch is not None and j.facts.python.torch.version == "2.8.0a0+5228986c39.nv25.06"
    assert [g.name for g in j.facts.nvidia.gpus] == ["NVIDIA GB200"] * 4
    assert (j.facts.platform.kind, j.facts.platform.soc) == ("sbsa", "Grace")
    assert "arch_unsupported" not in j.ids()
    assert not j.ids(Severity.ERROR, Severity.WARN)


def test_hgx_gb200_names_without_nvidia_on_a_64k_kernel(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-hgx-gb200x4-cu128-excerpt.txt"))
    assert [(g.name, g.compute_capability) for g in j.facts.nvidia.gpus] == [("HGX GB200", "10.0")] * 4
    pf = j.facts.platform
    assert (pf.kind, pf.soc, pf.cpu_core, pf.kernel_64k) == ("sbsa", "Grace", "Neoverse-V2", True)
    assert not j.facts.accelerators
    assert not j.ids(Severity.ERROR, Severity.WARN)
    assert j.rec.name.startswith("cuda") and any("aarch64" in r for r in j.rec.reasons)


def test_gb200_vllm_cu130_no_false_alarm(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-vllm-gb200x4-cu130-excerpt.txt"))
    assert (j.facts.platform.kind, j.facts.platform.soc) == ("sbsa", "Grace")
    assert not j.ids(Severity.ERROR, Severity.WARN)
    assert j.rec.name.startswith("cuda")


def test_gh200_144g_cu126_is_grace_on_a_64k_kernel(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-vllm-gh200-144g-cu126-excerpt.txt"))
    assert [g.name for g in j.facts.nvidia.gpus] == ["NVIDIA GH200 144G HBM3e"]
    pf = j.facts.platform
    assert (pf.kind, pf.soc, pf.kernel_64k) == ("sbsa", "Grace", True)
    assert not j.ids(Severity.ERROR, Severity.WARN)
    assert j.rec.name.startswith("cuda")


def test_gh200_conda_excerpt_is_grace_without_a_torch_line(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-gh200-480gb-conda-cuda12.1-excerpt.txt"))
    assert (j.facts.platform.kind, j.facts.platform.soc, j.facts.platform.kernel_64k) == ("sbsa", "Grace", True)
    assert j.facts.python.torch is None  # the excerpt starts below the PyTorch lines
    assert not j.ids(Severity.ERROR, Severity.WARN)


def test_jetson_orin_jp6_nvgpu_is_tegra_sm87_and_only_cuda_unavailable(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-jetson-orin-jp6-nvgpu-cuda-false-excerpt.txt"))
    pf = j.facts.platform
    assert (pf.kind, pf.soc, pf.gpu_arch, pf.cpu_core) == ("tegra", "Orin", "sm_87", "Cortex-A78AE")
    assert pf.jetpack is None and pf.l4t is None  # collect_env prints neither
    # "Is CUDA available: False" with "GPU 0: Orin (nvgpu)": the capture's real problem, and the only one.
    assert j.ids(Severity.ERROR, Severity.WARN) == ["cuda_unavailable"]
    assert "arch_unsupported" not in j.ids()
    assert j.rec.name == "cpu" and any("no wheel channel" in r for r in j.rec.reasons)


def test_jetson_orin_jp5_nvidia_wheel_is_tegra_with_no_false_alarm(hw: Path) -> None:
    j = judge(capture(hw, "collect_env-jetson-agx-orin-jp5-nv23.02-wheel-excerpt.txt"))
    assert j.facts.platform.kind == "tegra"
    assert j.facts.python.torch is not None and j.facts.python.torch.version == "2.0.0a0+ec3941ad.nv23.02"
    assert not j.ids(Severity.ERROR, Severity.WARN)

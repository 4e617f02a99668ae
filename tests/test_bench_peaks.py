"""The bench's device peaks beyond x86 NVIDIA, and the verdict per backend (cuda, hip, xpu, mps).

Facts are built with envtool's own parsers from the captured outputs in ``../shared/fixtures/hw``
(see its SOURCES.md), as tests/test_platforms.py does; no GPU of these kinds was at hand.
"""

from __future__ import annotations

import dataclasses
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hostfacts import host, text

from envtool import bench, checklist, knowledge
from envtool.bench import verdict
from envtool.commands.bench import _gpu_peaks
from envtool.knowledge import accelerators as kn
from envtool.model import (
    Accelerator,
    GpuInfo,
    HostFacts,
    NvidiaFacts,
    PlatformFacts,
    PythonFacts,
    Status,
    TorchBuild,
)
from envtool.probes import amd, apple, intel

ROCM = TorchBuild(version="2.9.1+rocm6.4", hip="6.4")
CUDA = TorchBuild(version="2.13.0+cu130", cuda="13.0")
XPU = TorchBuild(version="2.12.0+xpu")


def result(device: str, name: str, tflops: float, precision: str = "bf16", **extra: Any) -> dict[str, Any]:
    return {
        "ok": True,
        "device": device,
        "device_name": name,
        "precision": precision,
        "tf32": False,
        "tflops": tflops,
        "losses": [0.7, 0.69, 0.68],
        **extra,
    }


# =========================================================================== the tables


PEAK_KEYS = {"bf16_tflops", "fp16_tflops", "fp32_tflops", "tf32_tflops"}
ROW_KEYS = PEAK_KEYS | {"name", "weak", "units", "scale", "units_required", "exact", "pci", "measured_bf16_tflops"}


@pytest.mark.parametrize("table", [*kn.PEAK_TABLES, "jetson.toml"])
def test_peak_rows_are_well_formed(table: str) -> None:
    rows = kn.load(table).get("peak", [])
    assert rows, table
    for row in rows:
        allowed = ROW_KEYS | ({"board", "min_memory_gib"} if table == "jetson.toml" else set())
        assert set(row) <= allowed, (table, row)
        assert any(row.get(k) for k in PEAK_KEYS), row  # a row without a peak is no row
        assert all(row[k] > 0 for k in PEAK_KEYS & set(row)), row
        assert not row.get("scale") or row.get("units"), row  # a per-unit rate needs the units it is for


@pytest.mark.parametrize("table", [*kn.PEAK_TABLES, "jetson.toml", "gpus.toml"])
def test_every_peak_row_quotes_its_figure(table: str) -> None:
    """Each stored peak is a figure its source block quotes: as printed (to the rounding stored), or the
    dense half of a quoted sparse figure, or a per-device half of a two-device card's figure."""
    lines = resources.files("envtool.knowledge").joinpath(table).read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.strip() not in ("[[peak]]", "[[gpu]]"):
            continue
        block = []
        j = i - 1
        while j >= 0 and lines[j].startswith("#"):
            block.append(lines[j])
            j -= 1
        quoted = [float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", " ".join(block))]
        for row_line in lines[i + 1 :]:
            if not row_line.strip() or row_line.startswith(("#", "[")):
                break
            key, _, value = row_line.partition("=")
            if key.strip() in PEAK_KEYS:
                v = float(value)
                assert any(abs(x - v) < 0.051 or abs(x / 2 - v) < 0.51 for x in quoted), (table, i + 1, row_line)


def test_dense_peaks_by_the_names_the_tools_print(hw: Path) -> None:
    (mi300x, *_), _ = amd.parse_rocminfo(text(hw, "amd-rocminfo-mi300x-x4-gfx942.txt"))
    p = kn.peak(mi300x.name, units=mi300x.compute_units, pci_device=mi300x.pci_id)
    assert p is not None and (p.bf16_tflops, p.fp32_tflops, p.weak, p.scaled) == (1307.4, 163.4, False, False)
    (mi210,) = amd.parse_amd_smi_static_json(text(hw, "amd-smi-static-json-mi210.json"))
    p = kn.peak(mi210.name, units=mi210.compute_units)
    assert p is not None and (p.bf16_tflops, p.fp32_tflops, p.weak) == (181.0, 45.3, False)
    # rocm-smi names an MI250X "AMD INSTINCT MI200 (MCM) OAM ...": found by its PCI id, per GCD (one torch device)
    (mi250x,) = amd.parse_rocm_smi_json(text(hw, "amd-rocm-smi-showproductname-json-mi250x-gfx9010.json"))
    p = kn.peak(mi250x.name, units=mi250x.compute_units, pci_device=mi250x.pci_id)
    assert p is not None and p.name == "MI250X" and (p.bf16_tflops, p.fp32_tflops) == (191.5, 47.85)
    # torch's own name for both parts: the CU count decides (104 = MI250's GCD, AMD's own figure)
    assert kn.peak("AMD Instinct MI250X/MI250", units=104).bf16_tflops == 181.05
    (w7900,), _ = amd.parse_rocminfo(text(hw, "amd-rocminfo-w7900-gfx1100-rocm6.0-agent2-excerpt.txt"))
    assert w7900.name == "AMD Radeon PRO W7900" and kn.peak(w7900.name, units=w7900.compute_units) is None
    assert kn.peak("AMD Radeon RX 7900 XTX", units=96).fp16_tflops == 122.8
    market = re.search(r"MARKET_NAME: (\S+)", text(hw, "amd-smi-static-text-mi300a-x4-amdsmi24.txt"))
    assert market and market.group(1) == "MI300A"
    p = kn.peak(market.group(1))
    assert p is not None and (p.bf16_tflops, p.fp32_tflops, p.units) == (980.6, 122.6, 228)
    assert kn.peak("AMD Instinct MI325X").bf16_tflops == 1307.4
    # lspci's family string names three cards: no figure for any of them
    assert kn.peak("Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]") is None


def test_a_partition_gets_its_share_of_the_chip(hw: Path) -> None:
    parts = amd.read_kfd(hw / "amd-kfd-topology-mi300x-cpx-gfx942")
    assert parts and parts[0].compute_units == 38 and parts[0].name is None
    p = kn.peak(parts[0].name, units=parts[0].compute_units, pci_device=parts[0].pci_id)
    assert p is not None and p.scaled and p.bf16_tflops == pytest.approx(1307.4 * 38 / 304, abs=0.01)
    assert kn.peak("AMD Instinct MI300X", units=400) is None  # more CUs than the chip: another part


def test_intel_peaks(hw: Path) -> None:
    (b580,) = intel.parse_xpu_smi_discovery(text(hw, "intel-xpu-smi-discovery-d0-arc-b580-xpusmi2.0.txt"))
    (a770,) = intel.parse_xpu_smi_discovery(text(hw, "intel-xpu-smi-discovery-d0-arc-a770-borderless-excerpt.txt"))
    assert kn.peak(b580.name, units=b580.compute_units) is None and kn.peak(a770.name) is None
    dump = text(hw, "collect_env-xpu-max1550x8-ubuntu24.04-excerpt.txt")
    eus = int(re.search(r"gpu_eu_count=(\d+)", dump).group(1))
    name = re.search(r"name='([^']+)'", dump).group(1)
    stack = kn.peak(name, units=eus)
    assert eus == 512 and stack is not None and stack.scaled and stack.fp16_tflops == 419.5
    assert stack.bf16_tflops is None  # the measured 273 stays a measurement
    assert kn.peak(None, pci_device="8086:0bd5") is None  # by PCI id alone: one card or two devices?


def test_apple_peaks_need_the_chip_and_its_gpu_cores(hw: Path) -> None:
    chips = {
        f: apple.apple_chip(apple.parse_sysctl(text(hw, f)))
        for f in ("apple-sysctl-m1pro-monterey.txt", "apple-sysctl-m3max-sequoia.txt", "apple-sysctl-m4max-sequoia.txt")
    }
    assert list(chips.values()) == ["Apple M1 Pro", "Apple M3 Max", "Apple M4 Max"]
    assert kn.peak("Apple M1 Pro") is None  # the captures carry no GPU core count
    assert kn.peak("Apple M1 Pro", units=16).fp32_tflops == 5.2
    assert kn.peak("Apple M1 Pro", units=14) is None  # another configuration: Apple states nothing for it
    assert kn.peak("Apple M1", units=8).fp32_tflops == 2.6
    assert kn.peak("Apple M1 Max", units=32).fp32_tflops == 10.4  # not the "Apple M1" row
    assert kn.peak("Apple M1 Max", units=24) is None  # only an estimate exists for the 24-core part
    assert kn.peak("Apple M3 Max", units=40) is None and kn.peak("Apple M4 Max", units=40) is None
    name, _, _ = apple.gpu_from_system_profiler(
        text(hw, "apple-system-profiler-displays-json-m3pro-3displays-excerpt.json")
    )
    assert name == "Apple M3 Pro" and kn.peak(name) is None


def test_nvidia_on_arm_rows() -> None:
    gh = knowledge.gpu_spec("NVIDIA GH200 480GB")
    assert gh is not None and (gh.bf16_tflops, gh.memory_gb, gh.unified_memory) == (989.0, 96.0, False)
    gh144 = knowledge.gpu_spec("NVIDIA GH200 144G HBM3e")
    assert gh144 is not None and gh144.model == "GH200 144G" and gh144.memory_gb == 144.0
    gb10 = knowledge.gpu_spec("NVIDIA GB10")
    assert gb10 is not None and gb10.unified_memory and gb10.fp32_tflops == 31.0 and gb10.bf16_tflops is None
    for name in ("NVIDIA GB200", "HGX GB200", "NVIDIA Thor", "Orin (nvgpu)"):
        spec = knowledge.gpu_spec(name)
        assert spec is not None and not (spec.bf16_tflops or spec.fp32_tflops), name
    assert knowledge.gpu_spec("Orin (nvgpu)").unified_memory
    assert knowledge.gpu_spec("NVIDIA Thor").unified_memory


def test_jetson_peak_by_board_and_memory(hw: Path) -> None:
    board = re.search(
        r"NVIDIA Jetson AGX Orin Developer Kit", text(hw, "jetson-agx-orin-jtop-error-log-r36.4.4-jp6.2.1.txt")
    )
    ram = re.search(r"RAM \d+/(\d+)MB", text(hw, "jetson-agx-orin-tegrastats-jp7.2-r39.2.txt"))
    assert board and ram
    p = kn.jetson_peak(board.group(0), int(ram.group(1)) * 2**20)
    assert p is not None and p.fp32_tflops == 5.3 and p.weak
    assert kn.jetson_peak(board.group(0), 30 * 2**30) is None  # a 32 GB module is another GPU configuration
    assert kn.jetson_peak(board.group(0), None) is None
    assert kn.jetson_peak("NVIDIA Jetson AGX Thor Developer Kit", 122 * 2**30) is None


# =========================================================================== the device the workload uses


def mi300x_box(hw: Path, torch: TorchBuild | None = ROCM) -> HostFacts:
    gpus, _ = amd.parse_rocminfo(text(hw, "amd-rocminfo-mi300x-x4-gfx942.txt"))
    return host(accels=tuple(gpus), torch=torch)


def gh200_box(torch: TorchBuild | None = CUDA) -> HostFacts:
    # nvidia-gh200-480gb-lambda-docker-nvidia-smi.txt: "NVIDIA GH200 480GB", 97871MiB
    gpu = GpuInfo(index=0, name="NVIDIA GH200 480GB", memory_total_bytes=97871 * 2**20, compute_capability="9.0")
    return host(nvidia=NvidiaFacts(source="nvidia-smi", gpus=(gpu,)), torch=torch, arch="aarch64")


def test_gpu_peaks_per_device_choice(hw: Path) -> None:
    peaks, source = _gpu_peaks(gh200_box(), None)
    assert peaks == {"fp32": 67.0, "tf32": 495.0, "bf16": 989.0, "fp16": 989.0} and "GH200" in str(source)
    assert _gpu_peaks(gh200_box(), "cuda:1") == (None, None)  # no GPU 1
    assert _gpu_peaks(gh200_box(), "cpu") == (None, None)  # the workload computes a CPU's peak itself
    # the default index's CPU wheel on a GH200: the workload runs on the CPU, a GPU peak would be wrong there
    assert _gpu_peaks(gh200_box(TorchBuild(version="2.13.0")), "auto") == (None, None)
    peaks, source = _gpu_peaks(mi300x_box(hw), "cuda:2")  # a ROCm torch's cuda:N is the AMD GPU
    assert peaks == {"fp32": 163.4, "tf32": 653.7, "bf16": 1307.4, "fp16": 1307.4} and "rocm.toml" in str(source)
    assert _gpu_peaks(mi300x_box(hw, torch=None), None)[0] == peaks  # no torch read: the first AMD GPU


def test_auto_on_a_box_with_nvidia_and_amd(hw: Path) -> None:
    w7900, _ = amd.parse_rocminfo(text(hw, "amd-rocminfo-w7900-gfx1100-rocm6.0-agent2-excerpt.txt"))
    a100 = GpuInfo(index=0, name="NVIDIA A100-SXM4-80GB", compute_capability="8.0")
    box = host(accels=tuple(w7900), nvidia=NvidiaFacts(gpus=(a100,)), torch=CUDA)
    found = bench.device_peaks(box, None)
    assert (found.device, found.backend, found.peaks["bf16"]) == ("cuda:0", "cuda", 312.0)
    rocm = dataclasses.replace(box, python=PythonFacts(torch=ROCM))
    found = bench.device_peaks(rocm, None)
    assert (found.backend, found.name, found.peaks) == ("hip", "AMD Radeon PRO W7900", {})
    assert "no sourced peak for AMD Radeon PRO W7900" in str(found.reason)
    assert bench.device_peaks(rocm, "cuda:0").backend == "hip"  # the ROCm torch sees the Radeon as cuda:0


def test_xpu_and_mps_devices(hw: Path) -> None:
    (b580,) = intel.parse_xpu_smi_discovery(text(hw, "intel-xpu-smi-discovery-d0-arc-b580-xpusmi2.0.txt"))
    box = host(accels=(b580,), torch=XPU)
    found = bench.device_peaks(box, None)
    assert (found.device, found.backend, found.peaks) == ("xpu:0", "xpu", {})
    assert _gpu_peaks(box, "xpu") == (None, None)
    stack = Accelerator(index=0, vendor="intel", name="Intel(R) Data Center GPU Max 1550", compute_units=512)
    peaks, source = _gpu_peaks(host(accels=(stack,), torch=XPU), "xpu:0")
    assert peaks == {"fp32": 26.0, "tf32": 209.5, "fp16": 419.5} and "512 compute units" in str(source)
    # an Apple M1 Pro: the capture has the chip, the core count is the scenario's (system_profiler's sppci_cores)
    chip = apple.apple_chip(apple.parse_sysctl(text(hw, "apple-sysctl-m1pro-monterey.txt")))
    gpu = Accelerator(index=0, vendor="apple", name=chip, source="sysctl")
    mac = host(
        accels=(gpu,),
        pf=PlatformFacts(kind="apple-silicon", soc=chip),
        torch=TorchBuild(version="2.13.0"),
        os_name="Darwin",
        arch="arm64",
    )
    found = bench.device_peaks(mac, None)
    assert (found.device, found.peaks) == ("mps", {}) and "GPU core count" in str(found.reason)
    mac16 = dataclasses.replace(mac, accelerators=(dataclasses.replace(gpu, compute_units=16),))
    assert _gpu_peaks(mac16, "mps")[0] == {"fp32": 5.2}


def jetson_orin() -> HostFacts:
    # the board as jtop read /proc/device-tree/model, its memory as tegrastats printed it (62817MB)
    pf = PlatformFacts(
        kind="tegra", soc="Orin", board="NVIDIA Jetson AGX Orin Developer Kit", unified_memory_bytes=62817 * 2**20
    )
    smi = NvidiaFacts(source="nvidia-smi", gpus=(GpuInfo(index=0, name="Orin (nvgpu)"),))
    return host(pf=pf, nvidia=smi, torch=TorchBuild(version="2.5.0a0+872d972e41.nv24.08", cuda="12.6"), arch="aarch64")


def test_jetson_and_gb10_devices() -> None:
    peaks, source = _gpu_peaks(jetson_orin(), None)
    assert peaks == {"fp32": 5.3} and "jetson.toml" in str(source)
    no_nvml = dataclasses.replace(jetson_orin(), nvidia=NvidiaFacts())  # JetPack 5: no nvidia-smi
    assert _gpu_peaks(no_nvml, None)[0] == {"fp32": 5.3}
    gb10 = host(nvidia=NvidiaFacts(gpus=(GpuInfo(index=0, name="NVIDIA GB10"),)), torch=CUDA, arch="aarch64")
    assert _gpu_peaks(gb10, None)[0] == {"fp32": 31.0}
    gb200 = host(nvidia=NvidiaFacts(gpus=(GpuInfo(index=0, name="NVIDIA GB200"),)), torch=CUDA, arch="aarch64")
    found = bench.device_peaks(gb200, None)
    assert found.peaks == {} and "no sourced dense peak for GB200" in str(found.reason)


def test_the_checklist_passes_the_same_peaks(hw: Path) -> None:
    seen: list[dict[str, Any]] = []

    def workload(options: Any) -> dict[str, Any]:
        seen.append(dict(options))
        return result("cuda:0", "AMD Instinct MI300X", 400.0, backend="hip")

    facts = mi300x_box(hw)
    ctx = checklist.Context(
        facts=facts,
        python="/e/bin/python",
        python_exists=True,
        config=checklist.ChecklistConfig(bench_options={"model": "tiny", "device": "cuda:1"}),
        profile=None,
        profile_note="given",
        deep_probe=lambda: None,
        transformers_probe=lambda: {},
        workload=workload,
        train=lambda: {},
        command=lambda c: (0, ""),
    )
    ctx.results["train_step"] = checklist.CheckResult(id="train_step", title="t", status=Status.PASS)
    got = checklist.check_bench(ctx)
    want = bench.peak_options(facts, "cuda:1")
    assert seen[0]["peaks"] == want["peaks"] == {"fp32": 163.4, "tf32": 653.7, "bf16": 1307.4, "fp16": 1307.4}
    assert seen[0]["peak_source"] == want["peak_source"] and seen[0]["model"] == "tiny"
    assert got.status == Status.PASS and "1307.4" in got.seen


# =========================================================================== the verdict per backend


def test_hip_is_judged_by_amd_peaks_and_never_by_nvidia_references(hw: Path) -> None:
    facts = mi300x_box(hw)
    v = bench.judge(result("cuda:0", "AMD Instinct MI300X", 400.0, backend="hip"), facts)
    assert v.backend == "hip" and v.peak_tflops == 1307.4 and v.mfu == pytest.approx(400 / 1307.4)
    assert v.status == Status.PASS and v.reference_ratio is None
    assert not any("NVIDIA's published" in r for r in v.reasons)
    # no `backend` in an older result: the ROCm torch of the facts says HIP
    assert bench.judge(result("cuda:0", "AMD Instinct MI300X", 100.0), facts).backend == "hip"
    # no facts either: torch on ROCm names the GPU "AMD ..."
    v = bench.judge(result("cuda:0", "AMD Instinct MI300X", 100.0, peak_tflops=1307.4, peak_source="rocm.toml"))
    assert v.backend == "hip" and v.peak_tflops == 1307.4 and v.status == Status.FAIL  # 7.6 % of peak
    fp32 = bench.judge(result("cuda:0", "AMD Instinct MI300X", 50.0, precision="fp32", backend="hip"), facts)
    assert fp32.peak_tflops == 163.4 and not any("TF32" in r for r in fp32.reasons)  # TF32: NVIDIA's hint only


def test_a_partition_is_judged_against_its_share(hw: Path) -> None:
    parts = amd.read_kfd(hw / "amd-kfd-topology-mi300x-cpx-gfx942")
    assert parts
    facts = host(accels=tuple(parts), torch=ROCM)
    v = bench.judge(result("cuda:3", "AMD Instinct MI300X", 50.0, backend="hip"), facts)
    assert (
        v.peak_tflops == pytest.approx(1307.4 * 38 / 304, abs=0.01)
        and v.status == Status.PASS
        and "compute units" in str(v.peak_source)
    )


def test_the_nvidia_table_is_not_applied_to_other_vendors() -> None:
    # a device name that an NVIDIA pattern would catch ("A2" in "...A2...") still gets no NVIDIA figure off CUDA
    r = result("xpu:0", "Intel(R) Arc(TM) A2 Graphics", 5.0, backend="xpu", gemm_tflops=20.0)
    assert knowledge.gpu_spec("Intel(R) Arc(TM) A2 Graphics") is not None
    v = bench.judge(r)
    assert v.peak_tflops is None and v.status == Status.WARN
    assert any(x.startswith("no sourced peak for Intel(R) Arc(TM) A2 Graphics (xpu:0, xpu)") for x in v.reasons)


def test_unknown_peak_is_judged_by_the_measured_ceiling(hw: Path) -> None:
    (b580,) = intel.parse_xpu_smi_discovery(text(hw, "intel-xpu-smi-discovery-d0-arc-b580-xpusmi2.0.txt"))
    facts = host(accels=(b580,), torch=XPU)
    base = result("xpu:0", "Intel(R) Arc(TM) B580 Graphics", 0.0, backend="xpu", gemm_probes={"bf16": 60.0})
    ok = bench.judge({**base, "tflops": 20.0}, facts)
    assert ok.peak_tflops is None and ok.mfu is None and ok.status == Status.WARN  # never PASS without a peak
    assert any("no sourced peak for Intel(R) Arc(TM) B580 Graphics" in x for x in ok.reasons)
    assert any("33% of the best GEMM" in x for x in ok.reasons)
    broken = bench.judge({**base, "tflops": 60.0 * verdict.CEILING_WARN / 2}, facts)
    assert broken.status == Status.FAIL
    nothing = bench.judge({**base, "gemm_probes": None, "tflops": 20.0}, facts)
    assert nothing.status == Status.WARN and any("nothing to judge against" in x for x in nothing.reasons)


def test_mps_and_jetson_results() -> None:
    mac = host(
        accels=(Accelerator(index=0, vendor="apple", name="Apple M1", compute_units=8),),
        pf=PlatformFacts(kind="apple-silicon", soc="Apple M1"),
        torch=TorchBuild(version="2.13.0"),
        os_name="Darwin",
        arch="arm64",
    )
    v = bench.judge(result("mps", "Apple M1", 0.8, precision="fp32", backend="mps"), mac)
    assert (v.backend, v.peak_tflops, v.status) == ("mps", 2.6, Status.PASS)
    assert not any("TF32" in r for r in v.reasons)
    bf16 = bench.judge(result("mps", "Apple M1", 0.8, backend="mps", gemm_tflops=2.0), mac)
    assert bf16.peak_tflops is None and any("no bf16 figure" in r for r in bf16.reasons)  # Apple states fp32 only
    orin = bench.judge(result("cuda:0", "Orin", 1.0, precision="fp32"), jetson_orin())
    assert orin.backend == "cuda" and orin.peak_tflops == 5.3 and orin.status == Status.WARN  # 19 % of 5.3
    assert any("TF32" in r for r in orin.reasons)  # an NVIDIA GPU: the TF32 hint applies


def test_a_cpu_run_beside_an_amd_gpu_is_not_an_nvidia_failure(hw: Path) -> None:
    cpu = {"ok": True, "device": "cpu", "precision": "fp32", "losses": [0.7], "gemm_tflops": 1.0, "tflops": 0.5}
    v = bench.judge(cpu, mi300x_box(hw, torch=TorchBuild(version="2.13.0+cpu")))
    assert v.backend == "cpu" and v.status == Status.PASS
    assert bench.judge(cpu, gh200_box(TorchBuild(version="2.13.0+cpu"))).status == Status.FAIL

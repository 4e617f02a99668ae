"""Rules: scenarios built from captured real nvidia-smi outputs, cases generated from the tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from envtool import knowledge, profiles, rules
from envtool.model import (
    DiskInfo,
    DistInfo,
    GpuInfo,
    HostFacts,
    NvidiaFacts,
    ProbeNote,
    Profile,
    PythonFacts,
    SystemFacts,
    ToolkitFacts,
    TorchBuild,
    TorchRuntime,
)
from envtool.probes.nvidia import parse_nvidia_smi_xml
from envtool.util import driver_version_parts

GIB = 1024**3


def ids(findings) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.id for f in findings]


def host(nv: NvidiaFacts, torch: TorchBuild | None = None, **kw) -> HostFacts:  # type: ignore[no-untyped-def]
    from envtool.detect import _fill_capabilities

    py = PythonFacts(torch=torch, torch_installs=(torch,) if torch else ())
    return HostFacts(
        nvidia=_fill_capabilities(nv),
        python=kw.pop("python", py),
        system=kw.pop(
            "system",
            SystemFacts(
                os_name="Linux",
                shm_bytes=8 * GIB,
                disks=(DiskInfo(path="/", free_bytes=100 * GIB),),
                ram_total_bytes=64 * GIB,
            ),
        ),
        **kw,
    )


def smi(nvidia_smi_fixtures: Path, name: str) -> NvidiaFacts:
    return parse_nvidia_smi_xml((nvidia_smi_fixtures / name).read_text(encoding="utf-8", errors="replace"))


@pytest.fixture(scope="module")
def profs() -> list:
    return profiles.load_profiles()


# --------------------------------------------------------------------------- named scenarios


def test_cpu_machine_no_gpu(profs) -> None:  # type: ignore[no-untyped-def]
    facts = host(NvidiaFacts(hardware_present=False), TorchBuild(version="2.13.0+cpu"))
    assert "no_gpu" in ids(rules.evaluate(facts))
    assert "cpu_build_on_gpu" not in ids(rules.evaluate(facts))
    assert rules.recommend(facts, profs).name == "cpu"


def test_no_driver_gpu_on_the_bus(profs) -> None:  # type: ignore[no-untyped-def]
    facts = host(NvidiaFacts(hardware_present=True))
    found = rules.evaluate(facts)
    assert "no_driver" in ids(found)
    rec = rules.recommend(facts, profs)
    assert rec.name == "cpu" and any("driver" in r for r in rec.reasons)


def test_driver_library_mismatch_is_no_driver() -> None:
    facts = host(NvidiaFacts(source="nvml", error="Driver/library version mismatch", hardware_present=True))
    assert "no_driver" in ids(rules.evaluate(facts))


def test_old_driver_with_new_torch(nvidia_smi_fixtures: Path) -> None:
    # A real RTX 2080 Ti box on driver 410 (CUDA 10.0) with a cu124 torch.
    nv = smi(nvidia_smi_fixtures, "rtx2080ti-x2-driver410.xml")
    facts = host(nv, TorchBuild(version="2.5.1+cu124", cuda="12.4"))
    found = rules.evaluate(facts)
    assert "driver_too_old" in ids(found)
    f = next(f for f in found if f.id == "driver_too_old")
    assert "410.73" in f.message and f.fix


def test_minor_version_compat_is_not_an_alarm(nvidia_smi_fixtures: Path) -> None:
    # Driver 535 (max CUDA 12.2) runs a cu124 build through minor-version compatibility.
    nv = smi(nvidia_smi_fixtures, "rtx4090-driver535.xml")
    facts = host(nv, TorchBuild(version="2.5.1+cu124", cuda="12.4"))
    assert "driver_too_old" not in ids(rules.evaluate(facts))


def test_blackwell_needs_cu128_or_newer(nvidia_smi_fixtures: Path) -> None:
    nv = smi(nvidia_smi_fixtures, "rtx-pro-6000-blackwell-maxq-driver590.xml")
    assert "arch_unsupported" in ids(rules.evaluate(host(nv, TorchBuild(version="2.6.0+cu126", cuda="12.6"))))
    assert "arch_unsupported" not in ids(rules.evaluate(host(nv, TorchBuild(version="2.9.1+cu128", cuda="12.8"))))


def test_recommendation_for_blackwell_is_a_build_that_covers_it(nvidia_smi_fixtures: Path, profs) -> None:  # type: ignore[no-untyped-def]
    nv = smi(nvidia_smi_fixtures, "rtx-pro-6000-blackwell-maxq-driver590.xml")
    rec = rules.recommend(host(nv), profs)
    chosen = profiles.find_profile(rec.name, profs)
    tv = knowledge.torch_variant(chosen.variant, chosen.torch)
    assert chosen.is_gpu and knowledge.arch_covered("12.0", tv.sass, tv.ptx)
    assert any("driver 590.44.01" in r for r in rec.reasons)


def test_kepler_is_not_promised_a_cuda_build(nvidia_smi_fixtures: Path, profs) -> None:  # type: ignore[no-untyped-def]
    # Tesla K80 (sm_37) on driver 430: 430 is too old even for CUDA 11 (450.80.02), so cpu with the reason.
    nv = smi(nvidia_smi_fixtures, "tesla-k80-x4-azure-out-of-order-driver430.xml")
    rec = rules.recommend(host(nv), profs)
    assert rec.name == "cpu"
    assert any("cuda11.8" in r and "450.80.02" in r for r in rec.reasons)
    # On 470 the driver is fine, but no source confirms sm_37 in torch 2.7.1+cu118 (and its
    # cuDNN 9 needs compute capability 5.0): still cpu, and the reason says "not confirmed".
    newer = dataclasses.replace(nv, driver_version="470.82.01", cuda_driver_version="11.4")
    rec = rules.recommend(host(newer), profs)
    assert rec.name == "cpu"
    assert any(r.startswith("cuda11.8: no") and "not confirmed" in r for r in rec.reasons), rec.reasons


def test_pascal_is_not_served_by_turing_only_builds(nvidia_smi_fixtures: Path, profs) -> None:  # type: ignore[no-untyped-def]
    nv = smi(nvidia_smi_fixtures, "gtx1070-x6-driver384.xml")
    nv = dataclasses.replace(nv, driver_version="590.44.01", cuda_driver_version="13.1")
    rec = rules.recommend(host(nv), profs)
    chosen = profiles.find_profile(rec.name, profs)
    tv = knowledge.torch_variant(chosen.variant, chosen.torch)
    assert knowledge.arch_covered("6.1", tv.sass, tv.ptx), rec


def test_two_gpus_of_different_archs(nvidia_smi_fixtures: Path, profs) -> None:  # type: ignore[no-untyped-def]
    # A Pascal and a Blackwell in one box (from two real captures): no single build after
    # cu126 covers sm_61 and no cu126 covers sm_120, so no CUDA profile fits both.
    pascal = smi(nvidia_smi_fixtures, "gtx1070-x6-driver384.xml").gpus[0]
    black = smi(nvidia_smi_fixtures, "rtx-pro-6000-blackwell-maxq-driver590.xml")
    nv = dataclasses.replace(
        black, gpus=(dataclasses.replace(pascal, index=0), dataclasses.replace(black.gpus[0], index=1))
    )
    rec = rules.recommend(host(nv), profs)
    fitting = [p.name for p in profs if p.is_gpu and not rules.profile_fit(p, host(nv))]
    if not fitting:
        assert rec.name == "cpu"
    else:
        assert rec.name in fitting


def test_gpu_lost_and_field_not_supported() -> None:
    nv = NvidiaFacts(
        source="nvml",
        driver_version="590.44.01",
        cuda_driver_version="13.1",
        gpus=(
            GpuInfo(index=0, name="NVIDIA RTX A5000", compute_capability="8.6", unsupported=("ecc_uncorrected",)),
            GpuInfo(index=1, error="GPU is lost"),
        ),
    )
    found = rules.evaluate(host(nv, TorchBuild(version="2.9.1+cu128", cuda="12.8")))
    assert ids(found).count("gpu_error") == 1
    assert "ecc_errors" not in ids(found)  # unsupported is not an error


def test_real_ecc_errors_and_throttle(nvidia_smi_fixtures: Path) -> None:
    nv = smi(nvidia_smi_fixtures, "v100-sxm3-32gb-ecc-retired-pages-driver410.xml")
    assert "ecc_errors" in ids(rules.evaluate(host(nv)))
    g = dataclasses.replace(nv.gpus[0], throttle_reasons=("hw_slowdown", "gpu_idle"))
    assert "gpu_throttled" in ids(rules.evaluate(host(dataclasses.replace(nv, gpus=(g,)))))
    g = dataclasses.replace(nv.gpus[0], throttle_reasons=("gpu_idle",))
    assert "gpu_throttled" not in ids(rules.evaluate(host(dataclasses.replace(nv, gpus=(g,)))))


def test_cpu_build_on_gpu(nvidia_smi_fixtures: Path) -> None:
    nv = smi(nvidia_smi_fixtures, "rtx4090-driver535.xml")
    assert "cpu_build_on_gpu" in ids(rules.evaluate(host(nv, TorchBuild(version="2.4.0+cpu"))))
    assert "cpu_build_on_gpu" not in ids(rules.evaluate(host(nv, TorchBuild(version="2.4.0+cu121", cuda="12.1"))))


def test_conflicting_installs() -> None:
    t1 = TorchBuild(version="2.5.1+cu124", cuda="12.4", location="/env/site-packages")
    t2 = TorchBuild(version="2.3.0+cu121", cuda="12.1", location="/home/u/.local/site-packages")
    nv = NvidiaFacts(hardware_present=False)
    assert "conflicting_installs" in ids(
        rules.evaluate(host(nv, python=PythonFacts(torch=t1, torch_installs=(t1, t2))))
    )
    py = PythonFacts(
        nvidia_wheels=(
            DistInfo(name="nvidia-cublas-cu11", version="11.11"),
            DistInfo(name="nvidia-cublas-cu12", version="12.4"),
        )
    )
    assert "conflicting_installs" in ids(rules.evaluate(host(nv, python=py)))
    py = PythonFacts(
        pynvml_dists=(DistInfo(name="pynvml", version="11.5"), DistInfo(name="nvidia-ml-py", version="12.5"))
    )
    assert "conflicting_installs" in ids(rules.evaluate(host(nv, python=py)))
    py = PythonFacts(pynvml_dists=(DistInfo(name="nvidia-ml-py", version="12.5"),))
    assert "conflicting_installs" not in ids(rules.evaluate(host(nv, python=py)))


def test_toolkit_mismatch_only_on_major() -> None:
    nv = NvidiaFacts(hardware_present=False)
    t = TorchBuild(version="2.5.1+cu124", cuda="12.4")
    assert "toolkit_mismatch" in ids(rules.evaluate(host(nv, t, toolkit=ToolkitFacts(nvcc_version="11.8"))))
    assert "toolkit_mismatch" not in ids(rules.evaluate(host(nv, t, toolkit=ToolkitFacts(nvcc_version="12.1"))))
    assert "toolkit_mismatch" not in ids(rules.evaluate(host(nv, t)))  # unknown is not an alarm


def test_shm_disk_ram_thresholds() -> None:
    nv = NvidiaFacts(hardware_present=False)
    small = SystemFacts(
        os_name="Linux", shm_bytes=64 * 2**20, disks=(DiskInfo(path="/w", free_bytes=2 * GIB),), ram_total_bytes=4 * GIB
    )
    found = rules.evaluate(host(nv, system=small))
    assert {"shm_small", "low_disk", "low_ram"} <= set(ids(found))
    assert next(f for f in found if f.id == "low_disk").severity.value == "error"
    unknown = SystemFacts(os_name="Linux")
    assert not {"shm_small", "low_disk", "low_ram"} & set(ids(rules.evaluate(host(nv, system=unknown))))


@pytest.mark.parametrize(
    "value,hides", [("", True), ("-1", True), ("2", True), ("0", False), ("1,0", False), ("GPU-deadbeef", True)]
)
def test_cuda_visible_devices(value: str, hides: bool) -> None:
    nv = NvidiaFacts(
        source="nvml",
        driver_version="590.44.01",
        cuda_driver_version="13.1",
        gpus=(GpuInfo(index=0, uuid="GPU-1234"), GpuInfo(index=1, uuid="GPU-5678")),
    )
    found = ids(rules.evaluate(host(nv, env_vars=(("CUDA_VISIBLE_DEVICES", value),))))
    assert ("cuda_visible_devices_hides_all" in found) is hides


def test_failed_probe_is_reported() -> None:
    facts = host(
        NvidiaFacts(hardware_present=False),
        probes=(ProbeNote(probe="nvidia-smi", status="timeout", reason="no answer in 2 s"),),
    )
    assert "probe_failed" in ids(rules.evaluate(facts))


def test_torch_messages_become_findings() -> None:
    msgs = (
        "The NVIDIA driver on your system is too old (found version 11040). Please update your GPU driver",
        "NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current PyTorch installation.",
    )
    found = rules.evaluate(
        HostFacts(source="collect_env", torch_runtime=TorchRuntime(version="2.6.0+cu124", cuda="12.4", messages=msgs))
    )
    assert {"driver_too_old", "arch_unsupported"} <= set(ids(found))
    assert "11.4" in next(f for f in found if f.id == "driver_too_old").message


def test_deep_probe_failures() -> None:
    nv = NvidiaFacts(
        source="nvml",
        driver_version="590.44.01",
        cuda_driver_version="13.1",
        gpus=(GpuInfo(index=0, name="NVIDIA H100 80GB HBM3", compute_capability="9.0"),),
    )
    rt = TorchRuntime(outcome="ok", version="2.9.1+cu128", cuda="12.8", cuda_available=False)
    assert "cuda_unavailable" in ids(
        rules.evaluate(host(nv, TorchBuild(version="2.9.1+cu128", cuda="12.8"), torch_runtime=rt))
    )
    rt = TorchRuntime(outcome="crashed", error="killed by SIGSEGV")
    assert "torch_import_failed" in ids(
        rules.evaluate(host(nv, TorchBuild(version="2.9.1+cu128", cuda="12.8"), torch_runtime=rt))
    )


def test_unknown_facts_raise_no_alarm() -> None:
    """A pasted report with almost nothing in it gives no errors."""
    facts = HostFacts(source="collect_env", python=PythonFacts(torch=TorchBuild(version="2.5.1+cu124", cuda="12.4")))
    assert not [f for f in rules.evaluate(facts) if f.severity.value == "error"]


def test_every_finding_id_is_in_the_vocabulary_and_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for fid in rules.VOCABULARY:
        assert f"`{fid}`" in readme, f"{fid} missing from the README's finding table"


# --------------------------------------------------------------------------- generated from the tables


def _gpu_variants() -> list:
    return [v for v in knowledge.torch_variants() if v.cuda]


@pytest.mark.parametrize("variant", _gpu_variants(), ids=lambda v: v.name)
def test_newest_driver_passes_every_build(variant) -> None:  # type: ignore[no-untyped-def]
    nv = NvidiaFacts(
        source="nvml",
        driver_version="999.99.99",
        cuda_driver_version="99.9",
        gpus=(GpuInfo(index=0, name="x", compute_capability=variant.sass[-1]),),
    )
    torch = TorchBuild(version=f"{variant.last_torch or variant.first_torch}+{variant.name}", cuda=variant.cuda)
    assert "driver_too_old" not in ids(rules.evaluate(host(nv, torch)))


@pytest.mark.parametrize("variant", _gpu_variants(), ids=lambda v: v.name)
def test_outdated_driver_fails_every_build(variant) -> None:  # type: ignore[no-untyped-def]
    floor = knowledge.min_driver_for_cuda(variant.cuda, "Linux")
    below = f"{(driver_version_parts(floor) or (0,))[0] - 1}.99"
    nv = NvidiaFacts(
        source="nvml", driver_version=below, gpus=(GpuInfo(index=0, name="x", compute_capability=variant.sass[-1]),)
    )
    torch = TorchBuild(version=f"{variant.last_torch or variant.first_torch}+{variant.name}", cuda=variant.cuda)
    assert "driver_too_old" in ids(rules.evaluate(host(nv, torch)))


@pytest.mark.parametrize("variant", _gpu_variants(), ids=lambda v: v.name)
def test_arch_rule_follows_the_table(variant) -> None:  # type: ignore[no-untyped-def]
    version = variant.last_torch or variant.first_torch
    torch = TorchBuild(version=f"{version}+{variant.name}", cuda=variant.cuda)
    tv = knowledge.torch_variant(variant.name, version)
    for cc in ("3.5", "3.7", "5.0", "6.1", "7.0", "7.5", "8.6", "8.9", "9.0", "10.0", "12.0"):
        nv = NvidiaFacts(
            source="nvml",
            driver_version="999.99.99",
            cuda_driver_version="99.9",
            gpus=(GpuInfo(index=0, name="x", compute_capability=cc),),
        )
        expected = not knowledge.arch_covered(cc, tv.sass, tv.ptx)
        assert ("arch_unsupported" in ids(rules.evaluate(host(nv, torch)))) is expected, cc


# --------------------------------------------------------------------------- every OS and architecture
# Named scenarios from real captures, changed only in what this machine cannot show (OS, CPU
# architecture, driver); the expected answers follow the knowledge tables' sources.

WINDOWS = SystemFacts(os_name="Windows", arch="AMD64", ram_total_bytes=64 * GIB)
AARCH64 = SystemFacts(os_name="Linux", arch="aarch64", shm_bytes=8 * GIB, ram_total_bytes=64 * GIB)


def _gpu(name: str, cc: str | None = None) -> GpuInfo:
    return GpuInfo(index=0, name=name, compute_capability=cc)


def test_windows_rtx4090_on_581_with_cu130_is_fine(nvidia_smi_fixtures: Path, profs) -> None:  # type: ignore[no-untyped-def]
    # A pasted Windows report: no NVML CUDA version; NVIDIA lists no Windows driver for 13.x
    # toolkits, but the 13.x floor (580) holds on both OSes.
    nv = smi(nvidia_smi_fixtures, "rtx4090-driver535.xml")
    nv = dataclasses.replace(nv, driver_version="581.57", cuda_driver_version=None)
    facts = host(nv, TorchBuild(version="2.13.0+cu130", cuda="13.0"), system=WINDOWS, source="collect_env")
    assert not {"driver_too_old", "arch_unsupported"} & set(ids(rules.evaluate(facts)))
    rec = rules.recommend(facts, profs)
    assert rec.name.startswith("cuda13"), rec.reasons
    assert not any("cuda13.0: no" in r for r in rec.reasons), rec.reasons
    # the same driver in Windows' own form reads the same
    win_form = dataclasses.replace(nv, driver_version="31.0.15.8157")
    facts = host(win_form, TorchBuild(version="2.13.0+cu130", cuda="13.0"), system=WINDOWS, source="collect_env")
    assert "driver_too_old" not in ids(rules.evaluate(facts))


def test_windows_rtx5090_on_576_gets_a_12x_build_with_windows_wheels(collect_env_fixtures: Path, profs) -> None:  # type: ignore[no-untyped-def]
    from envtool.diagnose import parse_collect_env

    text = (collect_env_fixtures / "11-windows-cu132-nightly-empty-module-loading-no-driver-version.txt").read_text(
        encoding="utf-8"
    )
    facts = parse_collect_env(text)
    assert facts.system.os_name == "Windows" and facts.nvidia.gpus[0].name == "NVIDIA GeForce RTX 5090"
    facts = dataclasses.replace(
        facts, nvidia=dataclasses.replace(facts.nvidia, driver_version="576.02"), system=WINDOWS
    )
    # the nightly's cu132 needs the 13.x floor, 580
    too_old = [f for f in rules.evaluate(facts) if f.id == "driver_too_old"]
    assert too_old and "580" in too_old[0].message + too_old[0].fix
    rec = rules.recommend(facts, profs)
    # cu129 has no Windows wheels and cu126 no sm_120: the 12.x build with both is cu128 (2.11.0)
    assert rec.name == "cuda12.8", rec.reasons
    assert any(r.startswith("cuda13.0: no") and "580" in r for r in rec.reasons)


@pytest.mark.parametrize(
    ("name", "cc"),
    [("NVIDIA GH200 480GB", "9.0"), ("NVIDIA GB10", "12.1"), ("NVIDIA Thor", "11.0")],
)
def test_aarch64_gpus_use_the_sbsa_arch_lists(profs, name: str, cc: str) -> None:  # type: ignore[no-untyped-def]
    nv = NvidiaFacts(source="nvml", driver_version="580.95.05", cuda_driver_version="13.0", gpus=(_gpu(name),))
    facts = host(nv, system=AARCH64)
    assert rules.gpu_capability(facts.nvidia.gpus[0]) == cc  # from the GPU table by name
    rec = rules.recommend(facts, profs)
    assert rec.name.startswith("cuda13"), rec.reasons
    chosen = profiles.find_profile(rec.name, profs)
    tv = knowledge.torch_variant(chosen.variant, chosen.torch, "linux-aarch64")
    assert tv is not None and knowledge.arch_covered(cc, tv.sass, tv.ptx)
    if name == "NVIDIA Thor":
        # sm_110 is only in the aarch64 lists: judged with the x86_64 list it would not fit
        x86 = knowledge.torch_variant(chosen.variant, chosen.torch)
        assert x86 is not None and not knowledge.arch_covered(cc, x86.sass, x86.ptx)
        # and cu126 aarch64 holds sm_80 and sm_90 only
        misfits = rules.profile_fit(profiles.find_profile("cuda12.6", profs), facts)
        assert [m.id for m in misfits] == ["arch_unsupported"] and "linux-aarch64 arch list" in misfits[0].message


def test_gtx1080ti_on_580_gets_the_last_build_with_pascal(profs) -> None:  # type: ignore[no-untyped-def]
    nv = NvidiaFacts(
        source="nvml",
        driver_version="580.65.06",
        cuda_driver_version="13.0",
        gpus=(_gpu("NVIDIA GeForce GTX 1080 Ti"),),
    )
    rec = rules.recommend(host(nv), profs)
    assert rec.name == "cuda12.6", rec.reasons
    assert profiles.find_profile(rec.name, profs).torch == "2.14.1"


def test_a100_on_535_with_cu121_is_fine_and_gets_the_official_12x_build(nvidia_smi_fixtures: Path, profs) -> None:  # type: ignore[no-untyped-def]
    nv = smi(nvidia_smi_fixtures, "a100-sxm4-80gb-mig-driver535.xml")
    facts = host(nv, TorchBuild(version="2.5.1+cu121", cuda="12.1"))
    assert not {"driver_too_old", "arch_unsupported"} & set(ids(rules.evaluate(facts)))
    rec = rules.recommend(facts, profs)
    assert rec.name == "cuda12.6", rec.reasons  # newest torch on the newest CUDA major 535 runs


def test_rtx3090_on_470_with_cu118_is_fine(profs) -> None:  # type: ignore[no-untyped-def]
    nv = NvidiaFacts(
        source="nvml", driver_version="470.82.01", cuda_driver_version="11.4", gpus=(_gpu("NVIDIA GeForce RTX 3090"),)
    )
    facts = host(nv, TorchBuild(version="2.7.1+cu118", cuda="11.8"))
    assert not {"driver_too_old", "arch_unsupported"} & set(ids(rules.evaluate(facts)))
    assert rules.recommend(facts, profs).name == "cuda11.8"
    # a cu121 torch on the same driver is too old for it: the 12.x floor is 525.60.13
    facts = host(nv, TorchBuild(version="2.5.1+cu121", cuda="12.1"))
    assert "driver_too_old" in ids(rules.evaluate(facts))


def test_k80_on_470_with_cu118_27_is_flagged_as_unconfirmed(nvidia_smi_fixtures: Path) -> None:
    nv = smi(nvidia_smi_fixtures, "tesla-k80-x4-azure-out-of-order-driver430.xml")
    nv = dataclasses.replace(nv, driver_version="470.82.01", cuda_driver_version="11.4")
    found = [
        f
        for f in rules.evaluate(host(nv, TorchBuild(version="2.7.1+cu118", cuda="11.8")))
        if f.id == "arch_unsupported"
    ]
    assert found and "not confirmed" in found[0].message
    # 2.6.0+cu118 did carry sm_37 (measured get_arch_list())
    assert "arch_unsupported" not in ids(rules.evaluate(host(nv, TorchBuild(version="2.6.0+cu118", cuda="11.8"))))


def _platform_system(platform: str) -> SystemFacts:
    os_name, arch = {
        "linux-x86_64": ("Linux", "x86_64"),
        "linux-aarch64": ("Linux", "aarch64"),
        "win-amd64": ("Windows", "AMD64"),
        "macos-arm64": ("Darwin", "arm64"),
    }[platform]
    return SystemFacts(os_name=os_name, arch=arch, ram_total_bytes=64 * GIB)


@pytest.mark.parametrize("platform", knowledge.PLATFORMS)
@pytest.mark.parametrize("variant", knowledge.torch_variants(), ids=lambda v: v.name)
def test_every_platform_variant_pair(platform: str, variant) -> None:  # type: ignore[no-untyped-def]
    """Generated from the tables: a profile fits a platform only where its wheels exist, and
    there the platform's own arch list is the one applied."""
    version = variant.last_torch or "2.14.1"
    published = platform in knowledge.wheel_platforms(variant.name, version)
    reason = knowledge.availability(variant.name, version, platform, "3.11")
    assert (reason is None) is published, reason
    prof = Profile(
        name="p", torch=version, variant=variant.name, cuda=variant.cuda, python="3.11"
    )  # built directly: a profile per pair
    tv = knowledge.torch_variant(variant.name, version, platform)
    assert tv is not None
    cc = (tv.sass or ("8.0",))[-1]
    nv = NvidiaFacts(source="nvml", driver_version="999.99.99", cuda_driver_version="99.9", gpus=(_gpu("x", cc),))
    misfits = rules.profile_fit(prof, host(nv, system=_platform_system(platform)))
    if not published:
        assert [m.id for m in misfits] == ["no_wheels_for_platform"] and platform in misfits[0].message
    else:
        assert misfits == [], misfits


def test_knowledge_mismatch_shows_the_measurement_beside_the_table() -> None:
    nv = NvidiaFacts(
        source="nvml",
        driver_version="580.65.06",
        cuda_driver_version="13.0",
        gpus=(GpuInfo(index=0, name="NVIDIA GeForce RTX 4090", compute_capability="8.6"),),
    )
    measured = ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120")  # no compute_120 in this build
    rt = TorchRuntime(outcome="ok", version="2.14.1+cu130", cuda="13.0", arch_list=measured)
    found = [f for f in rules.evaluate(host(nv, TorchBuild(version="2.14.1+cu130", cuda="13.0"), torch_runtime=rt))]
    mismatch = [f for f in found if f.id == "knowledge_mismatch"]
    assert len(mismatch) == 2 and all(f.severity.value == "warn" for f in mismatch)
    assert any("get_arch_list() says sm_75" in f.message and "compute_120" in f.message for f in mismatch)
    assert any("NVML says compute capability 8.6" in f.message and "says 8.9" in f.message for f in mismatch)
    # when they agree, nothing is said
    nv_ok = dataclasses.replace(nv, gpus=(GpuInfo(index=0, name="NVIDIA GeForce RTX 4090", compute_capability="8.9"),))
    rt_ok = dataclasses.replace(rt, arch_list=(*measured, "compute_120"))
    found = rules.evaluate(host(nv_ok, TorchBuild(version="2.14.1+cu130", cuda="13.0"), torch_runtime=rt_ok))
    assert "knowledge_mismatch" not in ids(found)


def test_a_profile_without_wheels_for_the_python_does_not_fit() -> None:
    prof = Profile(name="new", torch="2.15.0", variant="cu132", cuda="13.2", python="3.10")
    nv = NvidiaFacts(
        source="nvml", driver_version="580.65.06", cuda_driver_version="13.0", gpus=(_gpu("NVIDIA H100 PCIe"),)
    )
    misfits = rules.profile_fit(prof, host(nv, system=_platform_system("linux-x86_64")))
    assert [m.id for m in misfits] == ["no_wheels_for_platform"]
    assert "Python >= 3.11" in misfits[0].message and "linux-x86_64" in misfits[0].message
    # an unknown CPU architecture is not evidence: no verdict on availability
    assert rules.profile_fit(prof, host(nv)) == []

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
    PythonFacts,
    SystemFacts,
    ToolkitFacts,
    TorchBuild,
    TorchRuntime,
)
from envtool.probes.nvml import parse_nvidia_smi_xml
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

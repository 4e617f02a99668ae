"""`envtool bench`: verdict rules generated from the tables, and real runs of the workload on CPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from envtool_cli import cli_json

from envtool import bench, knowledge
from envtool.bench import verdict
from envtool.model import GpuInfo, HostFacts, NvidiaFacts, PythonFacts, Status, SystemFacts, TorchBuild


def gpu_result(name: str, tflops: float, precision: str = "bf16") -> dict:
    return {
        "ok": True,
        "device": "cuda:0",
        "device_name": name,
        "precision": precision,
        "tf32": True,
        "tflops": tflops,
        "losses": [0.7, 0.69, 0.68],
    }


def _gpus_with_peaks() -> list:
    return [s for s in knowledge.gpu_specs() if s.bf16_tflops or s.fp16_tflops]


def test_flops_formula_matches_the_published_figure() -> None:
    # BERT-base at S=128: 67.0 GFLOP per sequence (DESIGN.md)
    assert round(verdict._flops_per_seq(12, 768, 128) / 1e9, 1) == 67.0


@pytest.mark.parametrize("spec", _gpus_with_peaks(), ids=lambda s: s.model)
def test_gpu_verdict_bands_follow_the_table(spec) -> None:  # type: ignore[no-untyped-def]
    name = spec.model
    precision = "bf16" if spec.bf16_tflops else "fp16"
    peak = spec.bf16_tflops or spec.fp16_tflops
    assert knowledge.gpu_spec(name) == spec
    ref = bench.reference_tflops(name)[0]
    # well above both bars: pass
    high = max(peak * 0.5, (ref or 0) * 1.2)
    assert bench.judge(gpu_result(name, high, precision)).status == Status.PASS
    # far below both: fail
    low = min(peak * 0.05, (ref or peak) * 0.2)
    assert bench.judge(gpu_result(name, low, precision)).status == Status.FAIL
    # between the MFU bars: warn (or fail when the published reference says so)
    mid = peak * (verdict.GPU_MFU_PASS + verdict.GPU_MFU_WARN) / 2
    v = bench.judge(gpu_result(name, mid, precision))
    assert v.status in (Status.WARN, Status.FAIL) and abs(v.mfu - mid / peak) < 1e-9
    if ref is None:
        assert v.status == Status.WARN


def test_reference_throughput_is_in_flops_terms() -> None:
    ref, source = bench.reference_tflops("NVIDIA H200")
    spec = knowledge.gpu_spec("NVIDIA H200")
    assert ref == pytest.approx(spec.bert_base_seq_per_s * verdict._flops_per_seq(12, 768, 384) / 1e12)
    assert "384" in source


def test_unknown_gpu_is_a_warning_not_a_guess() -> None:
    v = bench.judge(gpu_result("Graphics Device", 50.0))
    assert v.status == Status.WARN and v.mfu is None


def test_failed_and_nan_results_fail() -> None:
    assert bench.judge({"ok": False, "error": {"kind": "oom", "message": "x"}}).status == Status.FAIL
    assert (
        bench.judge({"ok": True, "device": "cpu", "losses": [0.7, float("nan")], "tflops": 1.0}).status == Status.FAIL
    )


def test_cpu_bands_use_the_gemm_measured_in_the_same_run() -> None:
    base = {"ok": True, "device": "cpu", "precision": "fp32", "losses": [0.7], "gemm_tflops": 1.0}
    assert bench.judge({**base, "tflops": 0.5}).status == Status.PASS
    assert bench.judge({**base, "tflops": 0.2}).status == Status.WARN
    assert bench.judge({**base, "tflops": 0.01}).status == Status.FAIL


def test_explanations_for_a_low_figure() -> None:
    gpu = GpuInfo(
        index=0,
        name="NVIDIA A100-SXM4-80GB",
        throttle_reasons=("hw_slowdown", "gpu_idle"),
        pcie_width_current=8,
        pcie_width_max=16,
    )
    facts = HostFacts(
        nvidia=NvidiaFacts(gpus=(gpu,)), python=PythonFacts(torch=TorchBuild(version="2.9.1+cu128", cuda="12.8"))
    )
    reasons = " ".join(bench.judge(gpu_result("NVIDIA A100-SXM4-80GB", 10.0), facts).reasons)
    assert "hw_slowdown" in reasons and "gpu_idle" not in reasons and "x8 of x16" in reasons
    cpu_facts = HostFacts(
        nvidia=NvidiaFacts(gpus=(gpu,)),
        python=PythonFacts(torch=TorchBuild(version="2.13.0+cpu")),
        system=SystemFacts(),
    )
    v = bench.judge(
        {"ok": True, "device": "cpu", "precision": "fp32", "losses": [0.7], "gemm_tflops": 1.0, "tflops": 0.5},
        cpu_facts,
    )
    assert v.status == Status.FAIL and any("CPU-only torch" in r for r in v.reasons)


def test_compare() -> None:
    before = {
        "samples_per_s": 100.0,
        "tflops": 10.0,
        "batch_size": 8,
        "seq_len": 128,
        "precision": "bf16",
        "device_name": "x",
        "model": {"hidden_size": 768},
    }
    c = bench.compare({**before, "samples_per_s": 110.0, "tflops": 11.0}, before)
    assert c["samples_per_s"]["change"] == pytest.approx(0.10) and c["comparable"]
    assert not bench.compare({**before, "seq_len": 256}, before)["comparable"]


# --------------------------------------------------------------------------- real runs


@pytest.mark.integration
def test_real_bench_on_cpu_is_kept_and_compared(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    code, out = cli_json("bench", "--model", "tiny", "--steps", "2", "--warmup", "1", "--batch-size", "4", env=env)
    r = out["data"]["result"]
    assert r["ok"] and r["device"] == "cpu" and len(r["losses"]) == 3
    assert out["data"]["verdict"]["status"] in ("pass", "warn", "fail")
    assert code == (1 if out["data"]["verdict"]["status"] == "fail" else 0)
    saved = Path(out["data"]["saved_to"])
    assert saved.parent == tmp_path / "envtool" / "bench" and json.loads(saved.read_text())["facts"]["system"]
    code, out2 = cli_json(
        "bench", "--model", "tiny", "--steps", "2", "--warmup", "1", "--batch-size", "4", "--compare", "last", env=env
    )
    assert out2["data"]["compare"]["comparable"] is True
    assert "samples_per_s" in out2["data"]["compare"]


@pytest.mark.integration
def test_nan_loss_is_a_clean_failure(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    code, out = cli_json(
        "bench",
        "--model",
        "tiny",
        "--steps",
        "2",
        "--warmup",
        "1",
        "--batch-size",
        "2",
        "--no-save",
        env={"FINETUNE_SMOKE_INJECT_NAN": "2"},
    )
    assert code == 1
    assert out["data"]["result"]["error"]["kind"] == "nan_loss"
    assert out["data"]["verdict"]["status"] == "fail"


def test_missing_model_folder_is_bad_input(tmp_path: Path) -> None:
    code, out = cli_json("bench", "--model", str(tmp_path / "no-such-model"), "--no-save")
    assert code == 2 and "no-such-model" in out["errors"][0]


def test_a_crashing_target_python_is_a_clean_result(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nkill -SEGV $$\n")
    fake.chmod(0o755)
    code, out = cli_json("bench", "--python", str(fake), "--no-save")
    assert code == 3
    assert (
        out["data"]["result"]["error"]["kind"] == "crashed" and "SIGSEGV" in out["data"]["result"]["error"]["message"]
    )


def test_a_python_without_torch(tmp_path: Path) -> None:
    import venv

    venv.EnvBuilder(with_pip=False).create(tmp_path / "v")
    code, out = cli_json("bench", "--prefix", str(tmp_path / "v"), "--no-save")
    assert code == 3
    assert out["data"]["result"]["error"]["kind"] in ("import_error", "missing_dependency")


def test_compare_with_a_hostile_file_is_bad_input(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    code, out = cli_json("bench", "--compare", str(deep), "--no-save")
    assert code == 2 and "deep.json" in out["errors"][0]


def test_compile_flags_reach_the_workload() -> None:
    assert "--compile" in bench.bench_argv("py", {"compile": True})
    argv = bench.bench_argv("py", {"no_compile": True, "model": "tiny"})
    assert "--no-compile" in argv and "--compile" not in argv and argv[argv.index("--model") + 1] == "tiny"
    argv = bench.bench_argv("py", {"dropout": "hash"})
    assert argv[argv.index("--dropout") + 1] == "hash" and "--dropout" not in bench.bench_argv("py", {})

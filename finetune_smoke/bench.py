"""Timed BERT fine-tune steps on one device -> one JSON object.

Run as ``python -m finetune_smoke.bench --json`` (or by file path) inside the environment
under test. Stdout holds exactly one JSON object with ``--json``; progress goes to stderr.

The result is ``finetune_smoke.result.BenchResult`` (schema ``finetune_smoke.bench/2``), the
one contract between this workload and envtool. Before timing, the run probes the step's largest
GEMM in every precision the device offers and picks the precision by measured rate
(``finetune_smoke.choose``); the compile is chosen by rule and, when compiled, checked against
eager steps timed beside; every decision is in ``choices``. A failure is
``{"schema", "ok": false, "error": {"kind": ..., "message": ...}}`` with exit code 1 (the
workload failed) or 2 (bad input).

Hidden test hook: ``--inject-nan N`` (or env ``FINETUNE_SMOKE_INJECT_NAN=N``) multiplies the
loss of step N (1-based, warm-up included) by NaN so the NaN path can be exercised for real.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import sys
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

if __package__ in (None, ""):  # run by file path: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from finetune_smoke import device as dev
from finetune_smoke._util import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    JsonArgumentParser,
    SmokeError,
    emit,
    log,
    quiet_transformers,
    wants_debug,
    wants_json,
)
from finetune_smoke.choose import (
    DROPOUTS,
    PRECISIONS,
    check_compile,
    choose_compile,
    choose_dropout,
    choose_precision,
    probe_candidates,
)
from finetune_smoke.flops import bert_train_flops, cpu_peak_tflops, parse_cpuinfo, step_stats
from finetune_smoke.result import SCHEMA, BenchResult, Choice, ModelInfo, StepTimes, failure

# (layers, hidden, heads, intermediate). tiny/mini/small/medium: the BERT miniatures of
# google-research/bert README.md ("BERT-Tiny L=2 H=128, Mini L=4 H=256, Small L=4 H=512,
# Medium L=8 H=512", heads = H/64, feed-forward 4H). base/large: Devlin et al. 2018, "BERT:
# Pre-training of Deep Bidirectional Transformers", sec. 3 (L=12 H=768 A=12; L=24 H=1024 A=16).
SIZES: dict[str, tuple[int, int, int, int]] = {
    "tiny": (2, 128, 2, 512),
    "mini": (4, 256, 4, 1024),
    "small": (4, 512, 8, 2048),
    "medium": (8, 512, 8, 2048),
    "base": (12, 768, 12, 3072),
    "large": (24, 1024, 16, 4096),
}
# bert-base-uncased's WordPiece vocabulary size (google-research/bert, uncased_L-12_H-768_A-12
# bert_config.json "vocab_size": 30522).
BERT_VOCAB = 30522


class AutoShape(TypedDict):
    """What ``auto`` means on a device: the model size, batch, timed and warm-up steps."""

    model: str
    batch_size: int
    steps: int
    warmup: int


# CPU auto shape: BERT-small at B=16, S=128 is ~0.16 TFLOP per step, 0.5-6 s per step on a 2-core
# VM (quiet to heavily shared). The first step (the batch-fit probe) and one warm-up are untimed.
CPU_AUTO: AutoShape = {"model": "small", "batch_size": 16, "steps": 8, "warmup": 1}
# GPU auto shape: BERT-base at S=128, starting at B=256 and halving on OOM ("fills the GPU").
GPU_AUTO: AutoShape = {"model": "base", "batch_size": 256, "steps": 30, "warmup": 5}
# Without --steps, timing stops once the timing loop (warm-up and the compile check included) took
# this long, after at least MIN_AUTO_STEPS: a verdict within a minute on a loaded 2-core CPU.
AUTO_TIMING_BUDGET_S = 25.0
MIN_AUTO_STEPS = 3


@dataclass(kw_only=True)
class BenchConfig:
    """The resolved request (after ``auto`` choices)."""

    model: str = "auto"
    precision: str = "auto"
    batch_size: int | None = None
    seq_len: int = 128
    steps: int | None = None
    warmup: int | None = None
    compile: bool | None = None  # None: auto (see choose_compile)
    dropout: str = "auto"  # auto, torch or hash (see choose_dropout)
    device: str = "auto"
    peak_tflops: float | None = None
    peaks: dict[str, float] | None = None  # precision (fp32, tf32, bf16, fp16) -> dense peak, from envtool
    peak_source: str | None = None
    progress_file: str | None = None
    inject_nan: int | None = None
    lr: float = 1e-4
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------
# Pure decisions (no torch): unit-testable.
# ------------------------------------------------------------------------------------------


def prior_precision(
    requested: str,
    *,
    device_type: str,
    capability: tuple[int, int] | None,
    cpu_flags: frozenset[str],
    backend: str | None = None,
) -> tuple[str, str]:
    """The precision to use without a measurement (``finetune_smoke.train``, the distributed ranks); say why.

    ``finetune_smoke.bench`` measures instead (``choose.choose_precision``). GPUs: bf16 autocast
    from compute capability 8.0 (Ampere tensor cores do BF16), fp16 with a grad scaler on 7.x
    (Volta/Turing tensor cores do FP16 only), fp32 below. CPUs: bf16 with AMX-BF16 or
    AVX512-BF16, both measured faster than fp32 on a GEMM of BERT-small's shape (2048x512x2048,
    torch 2.13: 2.7x on a Zen 4 EPYC with AVX512-BF16 and no AMX, issue 14; ~6x on this project's
    AMX Xeon, see docs/bench.md), fp32 elsewhere. ROCm, XPU and MPS: fp32, the one precision that
    runs on every GPU of theirs; which half precision pays there is what the bench measures.
    """
    if requested != "auto":
        return requested, "requested"
    if (device_type == "cuda" and backend == "hip") or device_type in ("xpu", "mps"):
        return "fp32", f"{backend or device_type}: fp32 without a measurement (the bench measures the half precisions)"
    if device_type == "cuda":
        if capability is not None and capability >= (8, 0):
            return "bf16", f"compute capability {capability[0]}.{capability[1]} >= 8.0: bf16 tensor cores"
        if capability is not None and capability >= (7, 0):
            return "fp16", f"compute capability {capability[0]}.{capability[1]}: fp16 tensor cores only"
        return "fp32", "no tensor cores below compute capability 7.0"
    if "amx_bf16" in cpu_flags:
        return "bf16", "CPU has AMX-BF16"
    if "avx512_bf16" in cpu_flags:
        return "bf16", "CPU has AVX512-BF16"
    return "fp32", "no bf16 matrix unit on this CPU"


def _short(exc: BaseException, limit: int = 300) -> str:
    """One line of an exception (Inductor's can run to pages): type and first line, capped."""
    first = (str(exc).strip().splitlines() or [""])[0]
    text = f"{type(exc).__name__}: {first}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compile_model(torch: Any, model: Any) -> tuple[Any, str]:
    """Compile the model in place; returns (the callable to step, how it was compiled).

    Regional compilation: each BERT layer is compiled on its own (``nn.Module.compile``), and
    since the layers are identical, Dynamo/Inductor compile one and reuse it for the rest. That
    halved the cold compile here (39 s vs 80 s for the whole model, 2-core VM under load) at
    about the same step time; embeddings, pooler and loss stay eager. Anything that is not a
    HF BERT layout gets the whole-model ``torch.compile``.
    """
    layers = getattr(getattr(getattr(model, "bert", None), "encoder", None), "layer", None)
    if layers is not None and len(layers) > 0:
        for layer in layers:
            layer.compile()
        return model, "regional (per encoder layer)"
    return torch.compile(model), "whole model"


def install_dropout(model: Any, dropout: str, *, compiled: bool) -> str:
    """Put the hash dropout in place when ``dropout`` is "hash"; returns what it replaced.

    In a compiled model only the encoder's dropouts change: the embeddings and the classifier
    run eager, where the hash costs more than ``bernoulli_`` (embeddings forward and backward
    56 ms vs 36 ms here).
    """
    if dropout != "hash":
        return ""
    from finetune_smoke import hashdrop  # noqa: PLC0415 - imports torch

    encoder = getattr(getattr(model, "bert", None), "encoder", None) if compiled else None
    swapped = hashdrop.install(model, within=encoder)
    return f"; {swapped} dropout modules{' of the encoder' if encoder is not None else ''} and the attention dropout"


def uncompile_model(torch: Any, model: Any) -> None:
    """Undo ``compile_model`` after a failure, so the same module runs eager."""
    torch._dynamo.reset()
    for module in model.modules():
        # nn.Module.compile stores the compiled forward here; None restores the plain call.
        if getattr(module, "_compiled_call_impl", None) is not None:
            module._compiled_call_impl = None


def resolve_model_spec(model: str, device_type: str) -> tuple[str, tuple[int, int, int, int] | None, Path | None]:
    """Map ``--model`` to (name, size tuple or None, folder or None)."""
    if model == "auto":
        name = GPU_AUTO["model"] if dev.is_accelerator(device_type) else CPU_AUTO["model"]
        return name, SIZES[name], None
    if model in SIZES:
        return model, SIZES[model], None
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise SmokeError(
            "model_not_found",
            f"model {model!r} is neither a size ({', '.join(SIZES)}) nor an existing folder",
            exit_code=EXIT_BAD_INPUT,
        )
    if not (folder / "config.json").is_file():
        raise SmokeError(
            "model_not_found",
            f"folder {str(folder)!r} has no config.json: not a Hugging Face model folder",
            exit_code=EXIT_BAD_INPUT,
        )
    return folder.name, None, folder


def inject_nan_step(cli_value: int | None, env: dict[str, str]) -> int | None:
    """The step to poison with NaN (test hook), from the flag or FINETUNE_SMOKE_INJECT_NAN."""
    if cli_value is not None:
        return cli_value
    raw = env.get("FINETUNE_SMOKE_INJECT_NAN", "").strip()
    return int(raw) if raw.isdigit() else None


def read_cpu_info() -> Any:
    """Read /proc/cpuinfo (and the cpufreq ceiling); an empty CpuInfo off Linux."""
    text = ""
    with contextlib.suppress(OSError):
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    max_freq: str | None = None
    with contextlib.suppress(OSError):
        max_freq = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text()
    info = parse_cpuinfo(text, max_freq_khz=max_freq)
    if info.model_name == "unknown CPU" and platform.processor():
        info = type(info)(
            model_name=platform.processor(), flags=info.flags, mhz=info.mhz, threads_per_core=info.threads_per_core
        )
    return info


def logical_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# ------------------------------------------------------------------------------------------
# The torch side.
# ------------------------------------------------------------------------------------------


def _import_torch() -> Any:
    try:
        import torch  # noqa: PLC0415 - imported late so that --help and errors work without it
    except ImportError as exc:
        raise SmokeError("import_error", f"torch is not importable in {sys.executable}: {exc}") from exc
    return torch


def _is_oom(torch: Any, exc: BaseException) -> bool:
    if isinstance(exc, (getattr(torch, "OutOfMemoryError", ()), getattr(torch.cuda, "OutOfMemoryError", ()))):
        return True
    text = str(exc)
    # CPU allocations fail as a plain RuntimeError from c10's DefaultCPUAllocator.
    return isinstance(exc, RuntimeError) and ("can't allocate memory" in text or "out of memory" in text)


def resolve_device(torch: Any, requested: str) -> Any:
    """``auto`` -> cuda (NVIDIA or ROCm) > xpu > mps > cpu; a named but absent device is bad input, saying why."""
    try:
        device, why = dev.resolve(torch, requested)
    except ValueError as exc:
        raise SmokeError("bad_argument", f"--device {requested!r}: {exc}", exit_code=EXIT_BAD_INPUT) from exc
    if device is None:
        raise SmokeError("device_unavailable", f"--device {requested}: {why}", exit_code=EXIT_BAD_INPUT)
    return device


def build_model(torch: Any, size: tuple[int, int, int, int] | None, folder: Path | None, *, seed: int) -> Any:
    """A BertForSequenceClassification: random init of a named size, or loaded from a folder.

    Random init does the same compute as the pretrained weights, and needs no download.
    """
    from transformers import BertConfig, BertForSequenceClassification  # noqa: PLC0415

    torch.manual_seed(seed)
    if folder is not None:
        try:
            return BertForSequenceClassification.from_pretrained(str(folder), num_labels=2, attn_implementation="sdpa")
        except (OSError, ValueError) as exc:
            raise SmokeError(
                "model_not_found", f"cannot load a BERT from {str(folder)!r}: {exc}", exit_code=EXIT_BAD_INPUT
            ) from exc
    assert size is not None
    layers, hidden, heads, inter = size
    # PretrainedConfig's kwargs (num_labels, attn_implementation) are not in BertConfig's signature.
    extra: dict[str, Any] = {"num_labels": 2, "attn_implementation": "sdpa"}
    config = BertConfig(
        vocab_size=BERT_VOCAB,
        num_hidden_layers=layers,
        hidden_size=hidden,
        num_attention_heads=heads,
        intermediate_size=inter,
        **extra,
    )
    return BertForSequenceClassification(config)


def make_optimizer(
    torch: Any, params: Iterable[Any], *, lr: float, device_type: str, precision: str | None = None
) -> tuple[Any, str]:
    """AdamW, fused where this torch has a fused kernel for the device (``device.optimizer_kind``), else foreach."""
    params = list(params)
    kind, _why = dev.optimizer_kind(torch, device_type, precision=precision)
    if kind == "foreach":
        return torch.optim.AdamW(params, lr=lr, foreach=True), "AdamW(foreach)"
    try:
        return torch.optim.AdamW(params, lr=lr, fused=True), "AdamW(fused)"
    except (RuntimeError, TypeError, ValueError):
        # torch < 2.4 has no fused CPU AdamW; foreach is the next-best multi-tensor path.
        return torch.optim.AdamW(params, lr=lr, foreach=True), "AdamW(foreach)"


def synthetic_batches(
    torch: Any, *, batch: int, seq_len: int, vocab: int, device: Any, count: int, seed: int
) -> list[dict[str, Any]]:
    """Token batches made before timing, on the device: no tokenizer or host copy in the loop."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        ids = torch.randint(1000, vocab, (batch, seq_len), generator=gen)  # skip [PAD]/[CLS] ids
        labels = torch.randint(0, 2, (batch,), generator=gen)
        out.append(
            {
                "input_ids": ids.to(device),
                "attention_mask": torch.ones(batch, seq_len, dtype=torch.long).to(device),
                "labels": labels.to(device),
            }
        )
    return out


@dataclass(kw_only=True)
class Stepper:
    """One training step with the chosen precision policy."""

    torch: Any
    model: Any
    optimizer: Any
    device: Any
    precision: str
    scaler: Any = None

    def __post_init__(self) -> None:
        if self.precision == "fp16":
            self.scaler = self.torch.amp.GradScaler(self.device.type)

    def step(self, batch: dict[str, Any], *, poison: bool = False) -> Any:
        """Forward, backward, AdamW; returns the detached loss tensor (no host sync)."""
        torch = self.torch
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.precision)
        with torch.autocast(self.device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            loss = self.model(**batch).loss
        if poison:
            loss = loss * float("nan")
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.detach()


def _free(torch: Any, device: Any) -> None:
    gc.collect()
    dev.empty_cache(torch, device)


def largest_fitting_batch(torch: Any, stepper: Stepper, *, start: int, seq_len: int, vocab: int, seed: int) -> int:
    """Halve ``start`` until one step fits in memory; 0 if not even batch 1 fits."""
    batch = start
    while batch >= 1:
        try:
            data = synthetic_batches(
                torch, batch=batch, seq_len=seq_len, vocab=vocab, device=stepper.device, count=1, seed=seed
            )
            stepper.step(data[0])
            return batch
        except Exception as exc:  # noqa: BLE001 - only OOM is expected; anything else re-raises
            if not _is_oom(torch, exc):
                raise
            stepper.optimizer.zero_grad(set_to_none=True)
            # An OOM inside optimizer.step can leave a parameter's state half made ("step" set,
            # "exp_avg" missing: a KeyError on the retry). Nothing has been timed yet: start clean.
            stepper.optimizer.state.clear()
            _free(torch, stepper.device)
            batch //= 2
    return 0


def half_checks(torch: Any, device: Any) -> dict[str, str]:
    """The half precisions that a tiny on-device check finds unusable here, with why (none on CPU or CUDA).

    MPS: a bf16 matmul (bf16 on MPS needs a newer macOS and torch); XPU and MPS: fp16 needs a grad
    scaler that runs on the device. CUDA/HIP are left to the GEMM probe, which drops a precision
    whose matmul raises.
    """
    out: dict[str, str] = {}
    if device.type == "mps":
        ok, why = dev.half_works(torch, device, "bf16")
        if not ok:
            out["bf16"] = why
    if device.type in ("mps", "xpu"):
        ok, why = dev.grad_scaler_works(torch, device)
        if not ok:
            out["fp16"] = why
    return out


def batch_search_reason(device_type: str) -> str | None:
    """How the batch was searched where memory is not shared with the host."""
    if dev.is_accelerator(device_type):
        return "device memory of its own: the batch search halves on OOM"
    return None


@dataclass(frozen=True, kw_only=True)
class Sizing:
    """The unified-memory batch sizing of a run: the peaks measured, the budget and the cap."""

    peaks: dict[int, int]
    resident_bytes: int
    budget: dev.MemoryBudget
    cap: dev.BatchCap

    def choice(self, *, fits: int) -> Choice:
        """The batch decision for the result's ``choices``."""
        return Choice(
            what="batch",
            options={
                "measured_peaks": {str(b): p for b, p in self.peaks.items()},
                "budget_bytes": self.budget.budget_bytes,
                "budget_source": self.budget.source,
                "limit_bytes": self.budget.limit_bytes,
                "capped_start": self.cap.start,
                "estimated_peak_bytes": self.cap.estimated_peak_bytes,
            },
            chosen=fits,
            why=self.cap.reason,
        )


def measure_peaks(
    torch: Any, stepper: Stepper, *, batches: Sequence[int], seq_len: int, vocab: int, seed: int
) -> dict[int, int]:
    """The device memory peak of one eager step at each batch size (a batch that runs out is left out)."""
    device = stepper.device
    peaks: dict[int, int] = {}
    for b in batches:
        try:
            data = synthetic_batches(torch, batch=b, seq_len=seq_len, vocab=vocab, device=device, count=1, seed=seed)
            _free(torch, device)
            dev.reset_peak_memory(torch, device)
            stepper.step(data[0])
            dev.synchronize(torch, device)
            got = dev.peak_memory(torch, device)
        except Exception as exc:  # noqa: BLE001 - only OOM is expected; anything else re-raises
            if not _is_oom(torch, exc):
                raise
            stepper.optimizer.zero_grad(set_to_none=True)
            stepper.optimizer.state.clear()
            _free(torch, device)
            break
        if got is not None:
            peaks[b] = got[0]
        del data
    return peaks


def unified_batch_cap(torch: Any, stepper: Stepper, *, start: int, seq_len: int, vocab: int, seed: int) -> Sizing:
    """Cap the batch search's start on a unified-memory device, from measured peaks and the memory budget.

    The peaks of eager steps at ``device.ESTIMATE_BATCHES`` give a line (fixed + per sample); the
    budget is MPS's recommended working set or Linux's MemAvailable, read after those steps with
    the cache emptied; ``device.cap_batch`` does the arithmetic. Eager, because a compiled step
    would recompile for each probe shape; its peak is at most eager's in practice, so the cap errs
    on the safe side.
    """
    device = stepper.device
    peaks = measure_peaks(torch, stepper, batches=dev.ESTIMATE_BATCHES, seq_len=seq_len, vocab=vocab, seed=seed)
    _free(torch, device)
    resident = dev.current_memory(torch, device)
    budget = dev.memory_budget(
        device_type=device.type,
        meminfo_text=dev.read_meminfo(),
        recommended_max=dev.recommended_max_memory(torch, device),
        resident_bytes=resident,
    )
    cap = dev.cap_batch(start, peaks=peaks, limit_bytes=budget.limit_bytes)
    log(f"bench: unified memory: {cap.reason} (budget from {budget.source})")
    return Sizing(peaks=peaks, resident_bytes=resident, budget=budget, cap=cap)


def reconcile_cpu_peak(peak: float | None, source: str, gemm_tflops: float) -> tuple[float | None, str]:
    """A CPU's peak from its listed clock, unless a GEMM measured faster: then the measurement.

    /proc/cpuinfo gives the nominal clock (in a VM, often the only one visible); cores that
    turbo above it beat that "peak" (measured here: 0.43 TFLOP/s fp32 on 2 cores listed at
    2.30 GHz, i.e. ~3.3 GHz). A peak below a measurement is wrong, and MFU against it would
    pass 100 %, so the measured GEMM takes its place and the source says so.
    """
    if peak is None or gemm_tflops <= peak:
        return peak, source
    return gemm_tflops, (
        f"the measured GEMM ({gemm_tflops:.3f} TFLOP/s), above the {peak:.3f} of {source}: "
        "the cores run faster than their listed clock"
    )


def measure_gemm(torch: Any, *, m: int, k: int, n: int, precision: str, device: Any, budget_s: float = 0.6) -> float:
    """Best TFLOP/s of an (m x k) @ (k x n) matmul in ``precision`` (fp32, tf32, bf16, fp16).

    The shape is the model's own largest GEMM (tokens x hidden @ hidden x intermediate), so the
    ceiling speaks for this workload, not for an idealised square matrix. ``tf32`` is fp32 inputs
    with TF32 tensor cores allowed; ``fp32`` on a GPU forbids them, for the duration of the probe.
    """
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(m, k, generator=gen).to(device=device, dtype=dtype)
    b = torch.randn(k, n, generator=gen).to(device=device, dtype=dtype)
    flops = 2.0 * m * k * n
    best = 0.0
    tf32_before = None
    if device.type == "cuda":
        tf32_before = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    on_device = dev.is_accelerator(device.type)

    def ten() -> None:
        for _ in range(10):
            torch.matmul(a, b)

    try:
        torch.matmul(a, b)  # warm-up: library init and kernel selection
        dev.synchronize(torch, device)
        deadline = time.perf_counter() + budget_s
        reps = 0
        while reps < 3 or (time.perf_counter() < deadline and reps < 50):
            if on_device:  # ten launches per pair of events: one matmul is too short for a GPU's event clock
                _, dt10 = dev.time_region(torch, device, ten)
                dt = dt10 / 10
            else:
                t0 = time.perf_counter()
                torch.matmul(a, b)
                dt = time.perf_counter() - t0
            best = max(best, flops / dt / 1e12)
            reps += 1
    finally:
        if tf32_before is not None:
            torch.backends.cuda.matmul.allow_tf32 = tf32_before
    return best


def probe_gemms(
    torch: Any,
    *,
    m: int,
    k: int,
    n: int,
    device: Any,
    candidates: Mapping[str, str | None],
    rounds: int = 3,
    budget_s: float = 0.12,
) -> dict[str, float | None]:
    """TFLOP/s of the step's largest GEMM in every offered precision, the best of ``rounds`` alternations.

    The candidates take turns, so a moment of load from other processes on a shared machine hits
    them alike. A precision whose matmul raises (no kernel for it here) is None, like one not offered.
    """
    rates: dict[str, float | None] = {name: None for name in candidates}
    offered = [name for name, why in candidates.items() if why is None]
    failed: set[str] = set()
    for _ in range(rounds):
        for name in offered:
            if name in failed:
                continue
            try:
                rate = measure_gemm(torch, m=m, k=k, n=n, precision=name, device=device, budget_s=budget_s)
            except (RuntimeError, TypeError) as exc:
                log(f"bench: no {name} GEMM here: {_short(exc)}")
                failed.add(name)
                rates[name] = None
                continue
            rates[name] = max(rates[name] or 0.0, rate)
    return rates


class Progress:
    """The phase the run is in, written to a file envtool shows while it waits (``--progress-file``)."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def __call__(self, phase: str) -> None:
        log(f"bench: {phase}")
        if self.path:
            try:
                tmp = self.path + ".tmp"
                Path(tmp).write_text(phase, encoding="utf-8")
                os.replace(tmp, self.path)
            except OSError:
                pass  # progress is a courtesy; the run does not depend on it


def _stance(torch: Any, stance: str) -> Any:
    """``torch.compiler.set_stance`` as a context (torch >= 2.6), or None where this torch lacks it."""
    compiler = getattr(torch, "compiler", None)
    set_stance = getattr(compiler, "set_stance", None)
    return set_stance(stance) if set_stance is not None else None


def loss_is_falling(values: Sequence[float]) -> bool | None:
    """Whether the loss fell: the mean of the last third below the mean of the first third (None: too few)."""
    if len(values) < 3:
        return None
    third = max(1, len(values) // 3)
    return sum(values[-third:]) / third < sum(values[:third]) / third


def run(cfg: BenchConfig) -> dict[str, Any]:
    """Run the benchmark described by ``cfg``; returns the ok result's JSON or raises SmokeError."""
    torch = _import_torch()
    quiet_transformers()
    try:
        import transformers  # noqa: PLC0415
    except ImportError as exc:
        raise SmokeError("import_error", f"transformers is not importable in {sys.executable}: {exc}") from exc

    phase = Progress(cfg.progress_file)
    device = resolve_device(torch, cfg.device)
    auto = GPU_AUTO if dev.is_accelerator(device.type) else CPU_AUTO
    cpu = read_cpu_info()
    info = dev.describe(torch, device, cpu_name=cpu.model_name)
    capability = info.capability
    name, size, folder = resolve_model_spec(cfg.model, device.type)
    steps = cfg.steps if cfg.steps is not None else auto["steps"]
    warmup = cfg.warmup if cfg.warmup is not None else auto["warmup"]
    if steps < 1 or warmup < 0 or cfg.seq_len < 1 or (cfg.batch_size is not None and cfg.batch_size < 1):
        raise SmokeError(
            "bad_argument", "steps and seq-len must be >= 1, warmup >= 0, batch-size >= 1", exit_code=EXIT_BAD_INPUT
        )
    if cfg.precision not in ("auto", *PRECISIONS):
        raise SmokeError("bad_argument", f"--precision {cfg.precision!r}: use auto, fp32, bf16 or fp16", exit_code=2)

    tf32 = False
    if device.type == "cuda" and capability is not None and capability >= (8, 0):
        # TF32 for whatever still runs in fp32 (and for all matmuls under --precision fp32).
        torch.set_float32_matmul_precision("high")
        torch.backends.cudnn.allow_tf32 = True
        tf32 = True

    phase("building the model")
    model = build_model(torch, size, folder, seed=cfg.seed).to(device)
    model.train()
    mc = model.config
    if cfg.seq_len > mc.max_position_embeddings:
        raise SmokeError(
            "bad_argument",
            f"--seq-len {cfg.seq_len} exceeds the model's max_position_embeddings {mc.max_position_embeddings}",
            exit_code=EXIT_BAD_INPUT,
        )
    batch = cfg.batch_size or auto["batch_size"]

    # Measure before deciding: the step's largest GEMM (tokens x hidden @ hidden x intermediate)
    # in every precision the device offers.
    candidates = probe_candidates(
        device.type, capability, cpu.flags, backend=info.backend, not_working=half_checks(torch, device)
    )
    gemm_shape = (batch * cfg.seq_len, mc.hidden_size, mc.intermediate_size)
    phase(f"probing GEMMs {gemm_shape[0]}x{gemm_shape[1]}x{gemm_shape[2]} in {', '.join(candidates)}")
    t_probe = time.perf_counter()
    rates = probe_gemms(torch, m=gemm_shape[0], k=gemm_shape[1], n=gemm_shape[2], device=device, candidates=candidates)
    probe_s = time.perf_counter() - t_probe
    precision, precision_reason, precision_choice = choose_precision(
        cfg.precision, rates, device_type=info.backend, not_offered=candidates
    )
    optimizer, opt_name = make_optimizer(
        torch, model.parameters(), lr=cfg.lr, device_type=device.type, precision=precision
    )

    sizing = None
    if info.unified_memory:
        phase("estimating the step's memory (unified memory: the GPU shares the host's RAM)")
        sizing = unified_batch_cap(
            torch,
            Stepper(torch=torch, model=model, optimizer=optimizer, device=device, precision=precision),
            start=batch,
            seq_len=cfg.seq_len,
            vocab=mc.vocab_size,
            seed=cfg.seed,
        )
        cap = sizing.cap
        if cap.start == 0:
            raise SmokeError("oom", f"{cap.reason} on {device}", max_batch_fit=0, estimated=True)
        if cap.capped and cfg.batch_size is not None:
            raise SmokeError(
                "oom",
                f"batch {batch} at seq-len {cfg.seq_len} would exceed the unified memory budget on {device}: "
                f"{cap.reason}; use --batch-size {cap.start} or less",
                max_batch_fit=cap.start,
                batch_size=batch,
                estimated=True,
            )
        batch = cap.start
    compiled, compile_reason = choose_compile(cfg.compile, device_type=device.type)
    dropout, dropout_reason = choose_dropout(cfg.dropout)
    dropout_reason += install_dropout(model, dropout, compiled=compiled)
    runnable = model
    if compiled:
        try:
            runnable, how = compile_model(torch, model)
            compile_reason += f"; {how}"
        except Exception as exc:  # noqa: BLE001 - e.g. a torch without dynamo support for this Python
            uncompile_model(torch, model)
            runnable, compiled, compile_reason = model, False, f"torch.compile failed, ran eager: {_short(exc)}"
    stepper = Stepper(torch=torch, model=runnable, optimizer=optimizer, device=device, precision=precision)

    dev.reset_peak_memory(torch, device)
    phase("compiling (the first step)" if compiled else "the first step")
    t_first = time.perf_counter()
    try:
        fits = largest_fitting_batch(
            torch, stepper, start=batch, seq_len=cfg.seq_len, vocab=mc.vocab_size, seed=cfg.seed
        )
    except SmokeError:
        raise
    except Exception as exc:  # noqa: BLE001
        if not compiled:
            raise
        # Compilation happens on this first call (no C++ compiler, an Inductor bug...). It fails
        # before the optimizer steps, so the weights are untouched: carry on eager, and say so.
        log(f"bench: torch.compile failed, falling back to eager: {_short(exc)}")
        uncompile_model(torch, model)
        optimizer.zero_grad(set_to_none=True)
        compiled, compile_reason = False, f"torch.compile failed, ran eager: {_short(exc)}"
        stepper = Stepper(torch=torch, model=model, optimizer=optimizer, device=device, precision=precision)
        fits = largest_fitting_batch(
            torch, stepper, start=batch, seq_len=cfg.seq_len, vocab=mc.vocab_size, seed=cfg.seed
        )
    # The first step carries the one-off costs (compilation, oneDNN/MKL kernel set-up).
    first_step_s = time.perf_counter() - t_first
    if fits == 0:
        raise SmokeError("oom", f"not even batch 1 at seq-len {cfg.seq_len} fits on {device}", max_batch_fit=0)
    if fits < batch and cfg.batch_size is not None:
        raise SmokeError(
            "oom",
            f"batch {batch} at seq-len {cfg.seq_len} runs out of memory on {device}; batch {fits} fits",
            max_batch_fit=fits,
            batch_size=batch,
        )
    batch = fits
    # That probe step also counts as warm-up in effect; the timed loop still runs its own.

    data = synthetic_batches(
        torch, batch=batch, seq_len=cfg.seq_len, vocab=mc.vocab_size, device=device, count=2, seed=cfg.seed + 1
    )
    dev.synchronize(torch, device)
    dev.reset_peak_memory(torch, device)

    # The compile check: eager steps of the same model (the compiled regions run eager under the
    # "force_eager" stance) interleaved with the compiled ones, so both see the same machine.
    check_every = 3 if compiled and _stance(torch, "default") is not None else 0
    losses: list[Any] = []
    times: list[float] = []
    eager_times: list[float] = []
    total = warmup + steps
    phase(
        f"timing {warmup} warm-up + {steps} steps, {name} B={batch} S={cfg.seq_len} {precision}"
        + (" compiled, eager steps beside" if check_every else "")
    )

    def timed(fn: Any) -> tuple[Any, float]:
        return dev.time_region(torch, device, fn)

    budget = AUTO_TIMING_BUDGET_S if cfg.steps is None else None
    timing_started = time.perf_counter()
    try:
        eager_warm = False
        for i in range(total):
            if budget is not None and len(times) >= MIN_AUTO_STEPS and time.perf_counter() - timing_started > budget:
                log(f"bench: {len(times)} steps timed in {budget:.0f} s, the auto budget: stopping there")
                break
            poison = cfg.inject_nan is not None and i + 1 == cfg.inject_nan
            loss, dt = timed(lambda poison=poison, i=i: stepper.step(data[i % len(data)], poison=poison))
            losses.append(loss)
            if i >= warmup:
                times.append(dt)
                if check_every and (i - warmup) % check_every == 0:
                    with _stance(torch, "force_eager"):
                        if not eager_warm:  # eager's own one-off set-up, untimed
                            losses.append(stepper.step(data[(i + 1) % len(data)]))
                            eager_warm = True
                        loss, dt = timed(lambda i=i: stepper.step(data[(i + 1) % len(data)]))
                    losses.append(loss)
                    eager_times.append(dt)
    except Exception as exc:  # noqa: BLE001
        if _is_oom(torch, exc):
            raise SmokeError(
                "oom", f"out of memory during the timed steps at batch {batch}", max_batch_fit=batch // 2
            ) from exc
        raise
    loss_values = [float(x) for x in torch.stack([x.float() for x in losses]).cpu().tolist()]
    bad = [i + 1 for i, v in enumerate(loss_values) if not math.isfinite(v)]
    if bad:
        raise SmokeError(
            "nan_loss",
            f"loss became {loss_values[bad[0] - 1]} at step {bad[0]} (1-based, warm-up included)",
            step=bad[0],
            losses=[v if math.isfinite(v) else str(v) for v in loss_values],
        )

    device_peak = dev.peak_memory(torch, device)
    if device_peak is not None:
        peak_mem, peak_kind = device_peak
    else:
        import resource  # noqa: PLC0415 - POSIX only, and only needed here

        # ru_maxrss is KiB on Linux: the process's peak resident set, weights and Python included.
        peak_mem, peak_kind = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024, "process_max_rss"
    device_name = info.name

    stats = step_stats(times)
    flops_step = bert_train_flops(batch=batch, seq_len=cfg.seq_len, layers=mc.num_hidden_layers, hidden=mc.hidden_size)
    tflops = flops_step / stats["median"] / 1e12
    eager_s = step_stats(eager_times)["median"] if eager_times else None
    compile_s = max(0.0, first_step_s - stats["median"]) if compiled else None

    used = "tf32" if precision == "fp32" and tf32 else precision
    gemm = rates.get(used) or rates.get(precision)
    if not gemm:  # a forced precision the probe did not offer: measure it now, for its own ceiling
        gemm = measure_gemm(torch, m=gemm_shape[0], k=gemm_shape[1], n=gemm_shape[2], precision=used, device=device)
    peak, peak_source = _peak(cfg, device, cpu, used, precision)
    if device.type == "cpu" and not cfg.peak_tflops and not cfg.peaks:
        peak, peak_source = reconcile_cpu_peak(peak, peak_source, gemm)
    measured = {k: v for k, v in rates.items() if v}
    ceiling_precision = max(measured, key=lambda k: measured[k]) if measured else used
    ceiling = max(measured.values()) if measured else gemm

    choices = [precision_choice]
    if compiled:
        check, _slower = check_compile(stats["median"], eager_s, compile_s)
        compile_why = f"{compile_reason}; {check}"
    else:
        compile_why = compile_reason
    choices.append(
        Choice(
            what="compile",
            options={
                "compiled_step_s": stats["median"] if compiled else None,
                "eager_step_s": eager_s if compiled else stats["median"],
                "compile_s": compile_s,
            },
            chosen=compiled,
            why=compile_why,
        )
    )
    choices.append(
        Choice(
            what="dropout", options={"torch": "nn.Dropout", "hash": "counter hash"}, chosen=dropout, why=dropout_reason
        )
    )
    if sizing is not None:
        choices.append(sizing.choice(fits=batch))
    timed_losses = loss_values
    n_params = sum(p.numel() for p in model.parameters())
    result = BenchResult(
        ok=True,
        model=ModelInfo(
            name=name,
            source="folder" if folder is not None else "random_init",
            num_hidden_layers=mc.num_hidden_layers,
            hidden_size=mc.hidden_size,
            num_attention_heads=mc.num_attention_heads,
            intermediate_size=mc.intermediate_size,
            vocab_size=mc.vocab_size,
            parameters=n_params,
        ),
        batch_size=batch,
        seq_len=cfg.seq_len,
        precision=precision,
        precision_reason=precision_reason,
        device=str(device),
        device_name=device_name,
        attention=getattr(mc, "_attn_implementation", None),
        optimizer=opt_name,
        compile=compiled,
        compile_reason=compile_why,
        compile_s=compile_s,
        eager_step_s=eager_s,
        dropout=dropout,
        dropout_reason=dropout_reason,
        standard_stack=dropout == "torch" and getattr(mc, "_attn_implementation", None) == "sdpa",
        first_step_s=first_step_s,
        tf32=tf32,
        steps=len(times),
        warmup=warmup,
        step_time_s=StepTimes(**stats, times=list(times)),
        samples_per_s=batch / stats["median"],
        tokens_per_s=batch * cfg.seq_len / stats["median"],
        flops_per_step=flops_step,
        tflops=tflops,
        peak_tflops=peak,
        peak_source=peak_source,
        mfu=(tflops / peak) if peak else None,
        gemm_tflops=gemm,
        gemm_shape=list(gemm_shape),
        mfu_vs_gemm=(tflops / gemm) if gemm else None,
        gemm_probes=dict(rates),
        gemm_probe_s=probe_s,
        ceiling_tflops=ceiling,
        ceiling_precision=ceiling_precision,
        choices=choices,
        loss_falling=loss_is_falling(timed_losses),
        peak_memory_bytes=peak_mem,
        peak_memory_kind=peak_kind,
        losses=loss_values,
        final_loss=loss_values[-1],
        threads=torch.get_num_threads(),
        backend=info.backend,
        device_count=info.count,
        compute_capability=list(info.capability) if info.capability else None,
        gcn_arch=info.gcn_arch,
        unified_memory=info.unified_memory,
        unified_memory_reason=info.unified_memory_reason,
        memory_budget_bytes=sizing.budget.budget_bytes if sizing else None,
        memory_budget_source=sizing.budget.source if sizing else None,
        batch_cap_reason=sizing.cap.reason if sizing else batch_search_reason(device.type),
        per_sample_bytes=sizing.cap.per_sample_bytes if sizing else None,
        versions={
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "cuda": getattr(torch.version, "cuda", None),
            "hip": getattr(torch.version, "hip", None),
            "xpu": getattr(torch.version, "xpu", None),
        },
    )
    return result.to_json()


def _peak(cfg: BenchConfig, device: Any, cpu: Any, used: str, precision: str) -> tuple[float | None, str]:
    """The dense peak of the precision used: given by envtool (``--peaks``/``--peak-tflops``), or the CPU's."""
    if cfg.peak_tflops:
        return cfg.peak_tflops, "given by --peak-tflops"
    if cfg.peaks:
        value = cfg.peaks.get(used) or cfg.peaks.get(precision)
        if value:
            return float(value), f"{used} dense peak, {cfg.peak_source or 'given by --peaks'}"
        return None, f"no {used} peak in {cfg.peak_source or '--peaks'}"
    if dev.is_accelerator(device.type):
        return None, "no peak given (envtool passes the GPU's from its knowledge table)"
    return cpu_peak_tflops(cpu, logical_cpus=logical_cpus(), precision=precision)


def _peaks_arg(text: str) -> dict[str, float]:
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from exc
    if not isinstance(obj, dict) or not all(isinstance(v, (int, float)) for v in obj.values() if v is not None):
        raise argparse.ArgumentTypeError('expected an object of numbers, e.g. {"bf16": 989}')
    return {str(k): float(v) for k, v in obj.items() if v is not None}


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m finetune_smoke.bench``."""
    p = JsonArgumentParser(
        prog="finetune_smoke.bench", description="Timed BERT fine-tune steps -> throughput, TFLOP/s, MFU."
    )
    p.add_argument("--model", default="auto", help=f"auto, {', '.join(SIZES)}, or a local Hugging Face BERT folder")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"])
    p.add_argument("--batch-size", type=int, default=None, help="default: auto (fills the GPU; a small batch on CPU)")
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--steps", type=int, default=None, help="timed steps (default 30 on GPU, 8 on CPU)")
    p.add_argument("--warmup", type=int, default=None, help="untimed warm-up steps (default 5 on GPU, 2 on CPU)")
    p.add_argument(
        "--compile",
        dest="compile",
        action="store_const",
        const=True,
        default=None,
        help="torch.compile the model (default auto: compiled on GPUs, eager on CPUs)",
    )
    p.add_argument("--no-compile", dest="compile", action="store_const", const=False, help="run eager")
    p.add_argument(
        "--dropout",
        default="auto",
        choices=list(DROPOUTS),
        help="dropout masks: torch (nn.Dropout, the default) or hash (a counter hash: not the standard stack)",
    )
    p.add_argument(
        "--device", default="auto", help="auto (cuda > xpu > mps > cpu), cpu, cuda:N (NVIDIA or ROCm), xpu:N or mps"
    )
    p.add_argument(
        "--peak-tflops", type=float, default=None, help="the device's peak TFLOP/s for MFU, when known better"
    )
    p.add_argument(
        "--peaks",
        type=_peaks_arg,
        default=None,
        help='the GPU\'s dense peaks as JSON, e.g. {"fp32": 67, "tf32": 495, "bf16": 989, "fp16": 989}',
    )
    p.add_argument("--peak-source", default=None, help="where --peaks come from, for the result")
    p.add_argument("--progress-file", default=None, help="write the current phase to this file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    p.add_argument("--debug", action="store_true", help="show tracebacks instead of clean errors")
    # For tests only: poison the loss of step N with NaN to exercise the nan_loss path.
    p.add_argument("--inject-nan", type=int, default=None, help=argparse.SUPPRESS)
    return p


def _identity(r: BenchResult) -> str:
    """The backend and arch after the device's name, where they add something (`` (hip, gfx942:...)``)."""
    parts = [p for p in (r.backend if r.backend not in (None, "cpu") else None, r.gcn_arch) if p]
    if r.compute_capability:
        parts.append("sm_" + "".join(str(x) for x in r.compute_capability))
    return f" ({', '.join(parts)})" if parts else ""


def _human(obj: dict[str, Any]) -> str:
    r = BenchResult.from_json(obj)
    if not r.ok:
        err = r.error or {}
        return f"error ({err.get('kind')}): {err.get('message')}"
    m = r.model or ModelInfo()
    st = r.step_time_s or StepTimes()
    mfu = f"{r.mfu:.1%}" if r.mfu is not None else "n/a"
    probes = ", ".join(f"{k} {v:.3f}" for k, v in (r.gemm_probes or {}).items() if v)
    lines = [
        f"model      {m.name} (L={m.num_hidden_layers} H={m.hidden_size} A={m.num_attention_heads}, "
        f"{(m.parameters or 0) / 1e6:.1f} M params)",
        f"shape      batch {r.batch_size} x seq {r.seq_len}, {r.precision} ({r.precision_reason})",
        f"device     {r.device} - {r.device_name}{_identity(r)}; {r.optimizer}, attention {r.attention}",
        f"compile    {'on' if r.compile else 'off'} ({r.compile_reason}); first step {r.first_step_s or 0:.1f} s",
        f"dropout    {r.dropout} ({r.dropout_reason})",
        f"step       median {st.median * 1e3:.1f} ms (p10 {st.p10 * 1e3:.1f}, p90 {st.p90 * 1e3:.1f})",
        f"throughput {r.samples_per_s or 0:.1f} samples/s, {r.tokens_per_s or 0:.0f} tokens/s",
        f"compute    {r.tflops or 0:.3f} TFLOP/s; MFU {mfu} of {r.peak_tflops or 'n/a'} ({r.peak_source}); "
        f"{r.mfu_vs_gemm or 0:.1%} of the measured {r.precision} GEMM ({r.gemm_tflops or 0:.3f} TFLOP/s)",
        f"GEMMs      {probes} TFLOP/s; ceiling {r.ceiling_precision} {r.ceiling_tflops or 0:.3f}",
        f"memory     {(r.peak_memory_bytes or 0) / 2**20:.0f} MiB ({r.peak_memory_kind})"
        + (f"; unified memory: {r.batch_cap_reason}" if r.unified_memory else ""),
        f"loss       {r.losses[0]:.4f} -> {r.final_loss or 0:.4f}" + ("" if r.loss_falling else " (not falling)"),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 the workload failed, 2 bad input)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    as_json, debug = wants_json(args_list), wants_debug(args_list)
    try:
        ns = build_parser().parse_args(args_list)
        cfg = BenchConfig(
            model=ns.model,
            precision=ns.precision,
            batch_size=ns.batch_size,
            seq_len=ns.seq_len,
            steps=ns.steps,
            warmup=ns.warmup,
            compile=ns.compile,
            dropout=ns.dropout,
            device=ns.device,
            peak_tflops=ns.peak_tflops,
            peaks=ns.peaks,
            peak_source=ns.peak_source,
            progress_file=ns.progress_file,
            inject_nan=inject_nan_step(ns.inject_nan, dict(os.environ)),
            seed=ns.seed,
        )
        result = run(cfg)
        code = EXIT_OK
    except SmokeError as exc:
        if debug:
            raise
        result = failure(**exc.to_json())
        code = exc.exit_code
    except KeyboardInterrupt:
        result = failure("interrupted", "interrupted")
        code = 130
    except Exception as exc:  # noqa: BLE001 - a bug or an unforeseen torch failure: still one clean object
        if debug:
            raise
        tail = traceback.format_exc().strip().splitlines()[-3:]
        result = {
            "schema": SCHEMA,
            "ok": False,
            "error": {"kind": "internal", "message": f"{type(exc).__name__}: {exc}", "where": tail},
        }
        code = EXIT_FAILED
    emit(result, as_json=as_json, human=_human(result))
    return code


if __name__ == "__main__":
    sys.exit(main())

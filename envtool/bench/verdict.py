"""The single-process verdict: a workload result and the machine's facts in, PASS/WARN/FAIL with reasons out.

Pure: nothing here runs a process or imports torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from envtool import knowledge
from envtool.model import HostFacts, Status

# Verdict bands. MFU (model FLOP utilisation against the datasheet's dense peak) of a BERT
# fine-tune step: NVIDIA's own BERT code reaches 13-36 % of peak (DESIGN.md, from its
# published throughputs), so 25 % and more is a healthy modern stack, under 10 % is broken
# (CPU fallback, fp32 on tensor-core GPUs, a throttled or starved GPU).
GPU_MFU_PASS = 0.25
GPU_MFU_WARN = 0.10
# Against NVIDIA's published BERT fine-tune throughput for the same GPU, in FLOP/s terms.
REF_PASS = 0.8
REF_WARN = 0.4
# On a CPU the practical ceiling is a GEMM of the same precision measured in the same run:
# a BERT step spends most of its time in GEMMs, so reaching a third of it is normal.
CPU_GEMM_PASS = 0.30
CPU_GEMM_WARN = 0.10

# NVIDIA DeepLearningExamples BERT (PyTorch) fine-tuning on SQuAD: seq 384, mixed precision,
# one GPU, BERT-base (12 layers, 768 hidden) and BERT-large (24, 1024) -- see gpus.toml.
REF_SEQ_LEN = 384
REF_SHAPES = {"base": (12, 768), "large": (24, 1024)}


@dataclass(frozen=True, kw_only=True)
class Verdict:
    status: Status
    reasons: tuple[str, ...]
    mfu: float | None = None
    peak_tflops: float | None = None
    peak_source: str | None = None
    reference_ratio: float | None = None


def _flops_per_seq(layers: int, hidden: int, seq_len: int) -> float:
    # the same formula the workload reports with (DESIGN.md); shared, not copied
    from finetune_smoke.flops import bert_train_flops_per_seq

    return bert_train_flops_per_seq(layers=layers, hidden=hidden, seq_len=seq_len)


def gpu_peak(name: str | None, precision: str, tf32: bool) -> tuple[float | None, str | None]:
    """The dense peak for the precision the workload ran at, from the knowledge table."""
    spec = knowledge.gpu_spec(name) if name else None
    if spec is None:
        return None, None
    if precision == "bf16":
        value = spec.bf16_tflops
    elif precision == "fp16":
        value = spec.fp16_tflops or spec.bf16_tflops
    else:
        value = spec.tf32_tflops if tf32 and spec.tf32_tflops else spec.fp32_tflops
    return (
        value,
        f"{spec.model} {precision}{' (TF32)' if precision == 'fp32' and tf32 else ''} dense peak, envtool knowledge table",
    )


def reference_tflops(name: str | None) -> tuple[float | None, str | None]:
    """NVIDIA's published BERT-base fine-tune throughput for this GPU, as achieved TFLOP/s."""
    spec = knowledge.gpu_spec(name) if name else None
    if spec is None or not spec.bert_base_seq_per_s:
        return None, None
    layers, hidden = REF_SHAPES["base"]
    tflops = spec.bert_base_seq_per_s * _flops_per_seq(layers, hidden, REF_SEQ_LEN) / 1e12
    return (
        tflops,
        f"NVIDIA BERT-base SQuAD fine-tune on {spec.model}: {spec.bert_base_seq_per_s:g} seq/s at S={REF_SEQ_LEN} = {tflops:.1f} TFLOP/s",
    )


def _band(value: float, pass_at: float, warn_at: float) -> Status:
    return Status.PASS if value >= pass_at else Status.WARN if value >= warn_at else Status.FAIL


def _worst(statuses: Sequence[Status]) -> Status:
    order = [Status.FAIL, Status.WARN, Status.PASS]
    return next((s for s in order if s in statuses), Status.PASS)


def judge(result: Mapping[str, Any], facts: HostFacts | None = None) -> Verdict:
    """PASS / WARN / FAIL for a workload result, with the reasons and what explains a low figure."""
    if not result.get("ok"):
        err = result.get("error") or {}
        return Verdict(
            status=Status.FAIL,
            reasons=(f"the workload failed ({err.get('kind', 'error')}): {err.get('message', '')}".strip(),),
        )
    reasons: list[str] = []
    statuses: list[Status] = []
    losses = [x for x in result.get("losses") or [] if x is not None]
    if not losses or any(
        not isinstance(x, (int, float)) or x != x or x in (float("inf"), float("-inf")) for x in losses
    ):
        return Verdict(status=Status.FAIL, reasons=("the loss is not finite",))
    device = str(result.get("device", "cpu"))
    precision = str(result.get("precision", "fp32"))
    tflops = float(result.get("tflops") or 0.0)
    mfu = peak = ref_ratio = None
    peak_source = None
    if device.startswith("cuda"):
        peak, peak_source = gpu_peak(result.get("device_name"), precision, bool(result.get("tf32")))
        if peak is None and result.get("peak_tflops"):
            peak, peak_source = float(result["peak_tflops"]), str(result.get("peak_source") or "the workload's table")
        if peak:
            mfu = tflops / peak
            statuses.append(_band(mfu, GPU_MFU_PASS, GPU_MFU_WARN))
            reasons.append(
                f"{tflops:.3g} TFLOP/s is {mfu:.0%} of the {peak:g} TFLOP/s peak (pass >= {GPU_MFU_PASS:.0%}, warn >= {GPU_MFU_WARN:.0%})"
            )
        ref, ref_source = reference_tflops(result.get("device_name"))
        if ref:
            ref_ratio = tflops / ref
            statuses.append(_band(ref_ratio, REF_PASS, REF_WARN))
            reasons.append(f"{ref_ratio:.2f}x NVIDIA's published BERT figure ({ref_source})")
        if not statuses:
            reasons.append(f"{result.get('device_name')} is not in the knowledge table: no peak to judge against")
            statuses.append(Status.WARN)
    else:
        gemm = result.get("gemm_tflops")
        if gemm:
            ratio = tflops / float(gemm)
            statuses.append(_band(ratio, CPU_GEMM_PASS, CPU_GEMM_WARN))
            reasons.append(
                f"{tflops:.3g} TFLOP/s is {ratio:.0%} of a {precision} GEMM measured in the same run ({float(gemm):.3g} TFLOP/s; pass >= {CPU_GEMM_PASS:.0%}, warn >= {CPU_GEMM_WARN:.0%})"
            )
        if result.get("mfu") is not None:
            mfu, peak, peak_source = float(result["mfu"]), result.get("peak_tflops"), result.get("peak_source")
            what = "peak" if str(peak_source or "").startswith("the measured GEMM") else "theoretical peak"
            reasons.append(f"{mfu:.0%} of the CPU's {precision} {what} ({peak_source})")
        if not statuses:
            statuses.append(Status.WARN)
            reasons.append("no GEMM ceiling was measured: nothing to judge against")
    reasons += explain(result, facts)
    if facts is not None and facts.nvidia.gpus and not device.startswith("cuda"):
        statuses.append(Status.FAIL)
    return Verdict(
        status=_worst(statuses),
        reasons=tuple(reasons),
        mfu=mfu,
        peak_tflops=peak,
        peak_source=peak_source,
        reference_ratio=ref_ratio,
    )


def explain(result: Mapping[str, Any], facts: HostFacts | None) -> list[str]:
    """What the machine shows that would explain a low figure."""
    out: list[str] = []
    device = str(result.get("device", "cpu"))
    precision = str(result.get("precision", "fp32"))
    if facts is not None:
        if facts.nvidia.gpus and not device.startswith("cuda"):
            torch = facts.python.torch
            out.append(
                "this machine has an NVIDIA GPU but the workload ran on the CPU"
                + (" (a CPU-only torch)" if torch and not torch.cuda else "")
            )
        idx = _cuda_index(device)
        gpu = next((g for g in facts.nvidia.gpus if g.index == idx), None) if idx is not None else None
        if gpu is not None:
            slow = [r for r in gpu.throttle_reasons if r not in ("gpu_idle", "applications_clocks_setting")]
            if slow:
                out.append(f"GPU {gpu.index} reports clock throttling: {', '.join(slow)}")
            if gpu.pcie_width_current and gpu.pcie_width_max and gpu.pcie_width_current < gpu.pcie_width_max:
                out.append(f"GPU {gpu.index}'s PCIe link runs at x{gpu.pcie_width_current} of x{gpu.pcie_width_max}")
    if device.startswith("cuda") and precision == "fp32" and not result.get("tf32"):
        out.append("fp32 without TF32 on a GPU: try --precision auto (bf16 on compute capability >= 8.0)")
    return out


def _cuda_index(device: str) -> int | None:
    if device == "cuda":
        return 0
    if device.startswith("cuda:") and device[5:].isdigit():
        return int(device[5:])
    return None

"""The single-process verdict: a workload result and the machine's facts in, PASS/WARN/FAIL with reasons out.

Pure: nothing here runs a process or imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from envtool import knowledge
from envtool.bench import peaks as accel
from envtool.model import Finding, HostFacts, Severity, Status
from finetune_smoke.choose import COMPILE_SLOWER, PRECISION_MARGIN
from finetune_smoke.result import BenchResult

# Verdict bands. MFU (model FLOP utilisation against the datasheet's dense peak) of a BERT
# fine-tune step: NVIDIA's own BERT code reaches 13-36 % of peak (DESIGN.md, from its
# published throughputs), so 25 % and more is a healthy modern stack, under 10 % is broken
# (CPU fallback, fp32 on tensor-core GPUs, a throttled or starved GPU).
GPU_MFU_PASS = 0.25
GPU_MFU_WARN = 0.10
# Against NVIDIA's published BERT fine-tune throughput for the same GPU, in FLOP/s terms.
REF_PASS = 0.8
REF_WARN = 0.4
# On a CPU the device ceiling is the best GEMM of the step's shape measured in the same run, across
# the precisions the device offers; the verdict says how far the step is from it. The band, though,
# is set against the fp32 GEMM measured beside it: the rest of the step (softmax, layer norm, GELU,
# the optimizer) runs on the vector units in every precision, so a matrix unit (AMX) that makes
# bf16 GEMMs 8x faster cannot make the step 8x faster (measured here: a bf16 step at 5-16 % of the
# AMX ceiling and about 100 % of the fp32 GEMM). A step in a slower precision than the best is
# told by `bench_faster_precision`, so fp32 on a CPU whose bf16 runs 2.7x faster cannot pass.
CPU_GEMM_PASS = 0.30
CPU_GEMM_WARN = 0.10
# A GPU with no sourced peak (an Apple GPU, an Arc card, GB200) is judged against the best GEMM of the
# step's shape measured in the same run: under CEILING_WARN of it is broken (FAIL). Above it the verdict
# stays WARN, never PASS: a ceiling measured on a throttled or misconfigured device is low with it, so
# only a sourced peak can say the device itself is fast.
CEILING_WARN = 0.10

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
    findings: tuple[Finding, ...] = ()
    ceiling_tflops: float | None = None
    ceiling_precision: str | None = None
    backend: str | None = None  # torch's: cuda (NVIDIA), hip (AMD), xpu, mps, cpu


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
        f"{spec.model} {precision}{' (TF32)' if precision == 'fp32' and tf32 else ''} dense peak, envtool knowledge "
        "table",
    )


def reference_tflops(name: str | None) -> tuple[float | None, str | None]:
    """NVIDIA's published BERT fine-tune throughput for this GPU, as achieved TFLOP/s (base, else large).

    Only figures the knowledge table holds with a source count; without one the verdict rests on
    the MFU bands and says so.
    """
    spec = knowledge.gpu_spec(name) if name else None
    if spec is None:
        return None, None
    for size, seq_per_s in (("base", spec.bert_base_seq_per_s), ("large", spec.bert_large_seq_per_s)):
        if seq_per_s:
            layers, hidden = REF_SHAPES[size]
            tflops = seq_per_s * _flops_per_seq(layers, hidden, REF_SEQ_LEN) / 1e12
            return tflops, (
                f"NVIDIA BERT-{size} SQuAD fine-tune on {spec.model}: {seq_per_s:g} seq/s at S={REF_SEQ_LEN}"
                f" = {tflops:.1f} TFLOP/s"
            )
    return None, None


def _band(value: float, pass_at: float, warn_at: float) -> Status:
    return Status.PASS if value >= pass_at else Status.WARN if value >= warn_at else Status.FAIL


def _worst(statuses: Sequence[Status]) -> Status:
    order = [Status.FAIL, Status.WARN, Status.PASS]
    return next((s for s in order if s in statuses), Status.PASS)


def _used(r: BenchResult) -> str:
    """The probe name of the precision the step ran at (an fp32 step with TF32 on runs at TF32)."""
    return "tf32" if r.precision == "fp32" and r.tf32 else str(r.precision or "fp32")


def _faster_precision(r: BenchResult) -> Finding | None:
    """A finding when the run measured another precision's GEMMs clearly faster than the one the step used."""
    probes = {k: v for k, v in (r.gemm_probes or {}).items() if v}
    used = _used(r)
    mine = probes.get(used) or r.gemm_tflops
    if not probes or not mine:
        return None
    best = max(probes, key=lambda k: probes[k])
    if best == used or probes[best] < mine * PRECISION_MARGIN:
        return None
    flag = "fp32" if best == "tf32" else best
    return Finding(
        id="bench_faster_precision",
        severity=Severity.WARN,
        message=(
            f"{best} GEMMs ran {probes[best] / mine:.1f}x faster than {used} on this device in the same run "
            f"({probes[best]:.3g} vs {mine:.3g} TFLOP/s), but the step ran {used}"
        ),
        fix=f"run with --precision auto (or --precision {flag}) to let the step use the faster precision",
    )


def _compile_slower(r: BenchResult, median: float) -> Finding | None:
    if not r.compile or not r.eager_step_s or median <= r.eager_step_s * COMPILE_SLOWER:
        return None
    return Finding(
        id="bench_compile_slower",
        severity=Severity.WARN,
        message=(
            f"torch.compile made the step slower: {median * 1e3:.1f} ms compiled vs {r.eager_step_s * 1e3:.1f} ms"
            " eager, timed side by side in the same run"
        ),
        fix="run with --no-compile; the eager figure is what this device reaches",
    )


def judge(result: Mapping[str, Any] | BenchResult, facts: HostFacts | None = None) -> Verdict:
    """PASS / WARN / FAIL for a workload result, with the reasons, findings and what explains a low figure."""
    r = result if isinstance(result, BenchResult) else BenchResult.from_json(result)
    if not r.ok:
        err = r.error or {}
        return Verdict(
            status=Status.FAIL,
            reasons=(f"the workload failed ({err.get('kind', 'error')}): {err.get('message', '')}".strip(),),
        )
    reasons: list[str] = []
    statuses: list[Status] = []
    findings: list[Finding] = []
    losses = [x for x in r.losses if x is not None]
    if not losses or any(not isinstance(x, (int, float)) or not math.isfinite(x) for x in losses):
        return Verdict(status=Status.FAIL, reasons=("the loss is not finite",))
    device = str(r.device or "cpu")
    tflops = float(r.tflops or 0.0)
    median = r.step_time_s.median if r.step_time_s else 0.0
    mfu = peak = ref_ratio = None
    peak_source = None
    probes = {k: v for k, v in (r.gemm_probes or {}).items() if v}
    ceiling = max([*probes.values(), float(r.gemm_tflops or 0.0)]) or None
    ceiling_name = max(probes, key=lambda k: probes[k]) if probes else _used(r)
    backend = result_backend(result, facts)
    if backend in accel.GPU_BACKENDS:
        peak, peak_source, unknown = _device_peak(r, backend, facts)
        if peak:
            mfu = tflops / peak
            statuses.append(_band(mfu, GPU_MFU_PASS, GPU_MFU_WARN))
            reasons.append(
                f"{tflops:.3g} TFLOP/s is {mfu:.0%} of the {peak:g} TFLOP/s {_used(r)} peak"
                f" (pass >= {GPU_MFU_PASS:.0%}, warn >= {GPU_MFU_WARN:.0%})"
            )
        # NVIDIA's published BERT throughputs are for NVIDIA GPUs: never applied to AMD, Intel or Apple
        ref, ref_source = reference_tflops(r.device_name) if backend == "cuda" else (None, None)
        if ref:
            ref_ratio = tflops / ref
            statuses.append(_band(ref_ratio, REF_PASS, REF_WARN))
            reasons.append(f"{ref_ratio:.2f}x NVIDIA's published BERT figure ({ref_source})")
        elif peak:
            reasons.append(
                f"no sourced BERT fine-tune figure for {r.device_name} in the knowledge table:"
                " the verdict rests on the MFU bands"
            )
        if not peak:
            reasons.append(f"no sourced peak for {r.device_name or device} ({device}, {backend}): {unknown}")
            if ceiling:
                ratio = tflops / ceiling
                statuses.append(Status.FAIL if ratio < CEILING_WARN else Status.WARN)
                reasons.append(
                    f"judged by the ceiling measured in this run instead: {ratio:.0%} of the best GEMM of the"
                    f" step's shape ({ceiling_name}, {ceiling:.3g} TFLOP/s; fail < {CEILING_WARN:.0%}, and at most"
                    " warn without a sourced peak)"
                )
            elif not statuses:
                reasons.append("no GEMM ceiling was measured either: nothing to judge against")
                statuses.append(Status.WARN)
        elif ceiling:
            reasons.append(
                f"{tflops / ceiling:.0%} of the device ceiling measured in this run"
                f" ({ceiling_name} GEMM of the step's shape, {ceiling:.3g} TFLOP/s)"
            )
    else:
        vector = probes.get("fp32")
        if ceiling:
            ratio = tflops / ceiling
            if vector:
                statuses.append(_band(tflops / vector, CPU_GEMM_PASS, CPU_GEMM_WARN))
                reasons.append(
                    f"{tflops / vector:.0%} of the fp32 GEMM of the step's shape ({vector:.3g} TFLOP/s), the rate of"
                    f" the vector units the rest of the step runs on (pass >= {CPU_GEMM_PASS:.0%},"
                    f" warn >= {CPU_GEMM_WARN:.0%})"
                )
            else:
                statuses.append(_band(ratio, CPU_GEMM_PASS, CPU_GEMM_WARN))
            same = (
                f"; {tflops / float(r.gemm_tflops):.0%} of the {_used(r)} GEMM ({float(r.gemm_tflops):.3g})"
                if r.gemm_tflops and ceiling_name != _used(r)
                else ""
            )
            reasons.append(
                f"{tflops:.3g} TFLOP/s is {ratio:.0%} of the device ceiling, the best GEMM of the step's shape"
                f" measured in the same run ({ceiling_name}, {ceiling:.3g} TFLOP/s{same}"
                + (")" if vector else f"; pass >= {CPU_GEMM_PASS:.0%}, warn >= {CPU_GEMM_WARN:.0%})")
            )
        if r.mfu is not None:
            mfu, peak, peak_source = float(r.mfu), r.peak_tflops, r.peak_source
            what = "peak" if str(peak_source or "").startswith("the measured GEMM") else "theoretical peak"
            reasons.append(f"{mfu:.0%} of the CPU's {_used(r)} {what} ({peak_source})")
        if not statuses:
            statuses.append(Status.WARN)
            reasons.append("no GEMM ceiling was measured: nothing to judge against")
        reasons.append(
            "no sourced BERT fine-tune figure exists for CPUs: the verdict rests on the GEMMs measured in the same run"
        )
    faster = _faster_precision(r)
    if faster is not None:
        findings.append(faster)
        statuses.append(Status.WARN)
    slower = _compile_slower(r, median)
    if slower is not None:
        findings.append(slower)
        statuses.append(Status.WARN)
    if r.dropout == "hash":
        reasons.append(
            "dropout ran as the counter hash (--dropout hash), not nn.Dropout: not what a standard training loop runs"
        )
    reasons += explain(result, facts)
    if facts is not None and facts.nvidia.gpus and backend == "cpu":
        statuses.append(Status.FAIL)
    return Verdict(
        status=_worst(statuses),
        reasons=tuple(reasons),
        findings=tuple(findings),
        mfu=mfu,
        peak_tflops=peak,
        peak_source=peak_source,
        reference_ratio=ref_ratio,
        ceiling_tflops=ceiling,
        ceiling_precision=ceiling_name if ceiling else None,
        backend=backend,
    )


def explain(result: Mapping[str, Any] | BenchResult, facts: HostFacts | None) -> list[str]:
    """What the machine shows that would explain a low figure."""
    r = result if isinstance(result, BenchResult) else BenchResult.from_json(result)
    out: list[str] = []
    device = str(r.device or "cpu")
    precision = str(r.precision or "fp32")
    backend = result_backend(result, facts)
    if facts is not None:
        if facts.nvidia.gpus and backend == "cpu":
            torch = facts.python.torch
            out.append(
                "this machine has an NVIDIA GPU but the workload ran on the CPU"
                + (" (a CPU-only torch)" if torch and not torch.cuda else "")
            )
        # NVML's throttle and PCIe facts are the NVIDIA GPUs'; a ROCm torch's cuda:0 is an AMD GPU
        idx = _cuda_index(device) if backend == "cuda" else None
        gpu = next((g for g in facts.nvidia.gpus if g.index == idx), None) if idx is not None else None
        if gpu is not None:
            slow = [x for x in gpu.throttle_reasons if x not in ("gpu_idle", "applications_clocks_setting")]
            if slow:
                out.append(f"GPU {gpu.index} reports clock throttling: {', '.join(slow)}")
            if gpu.pcie_width_current and gpu.pcie_width_max and gpu.pcie_width_current < gpu.pcie_width_max:
                out.append(f"GPU {gpu.index}'s PCIe link runs at x{gpu.pcie_width_current} of x{gpu.pcie_width_max}")
    if backend == "cuda" and precision == "fp32" and not r.tf32:
        # TF32 is NVIDIA's (compute capability >= 8.0); other backends are told by bench_faster_precision
        out.append("fp32 without TF32 on a GPU: try --precision auto (bf16 on compute capability >= 8.0)")
    return out


def result_backend(result: Mapping[str, Any] | BenchResult, facts: HostFacts | None = None) -> str:
    """The backend a result ran on: its ``backend`` field, else read from ``device`` (and the torch build)."""
    given = result.get("backend") if isinstance(result, Mapping) else getattr(result, "backend", None)
    if given in (*accel.GPU_BACKENDS, "cpu"):
        return str(given)
    device = str((result.get("device") if isinstance(result, Mapping) else result.device) or "cpu")
    name = str((result.get("device_name") if isinstance(result, Mapping) else result.device_name) or "")
    torch = facts.python.torch if facts is not None else None
    hip = bool(torch and torch.hip) or name.startswith("AMD ")  # a ROCm torch names its GPUs "AMD ..."
    return accel.backend_of(device, torch_hip=hip)


def _device_peak(r: BenchResult, backend: str, facts: HostFacts | None) -> tuple[float | None, str | None, str]:
    """(peak of the precision used, its source, why unknown): the NVIDIA table only for NVIDIA GPUs."""
    used = _used(r)
    if backend == "cuda":
        peak, source = gpu_peak(r.device_name, str(r.precision or "fp32"), bool(r.tf32))
        if peak:
            return peak, source, ""
    why = "not in the knowledge tables"
    if facts is not None:
        found = accel.device_peaks(facts, str(r.device or "auto"))
        if found.backend == backend:
            value = found.peaks.get(used) or (found.peaks.get("fp32") if used == "tf32" else None)
            if value:
                return value, f"{found.name} {used} dense peak, {found.source}", ""
            why = found.reason or f"no {used} figure in {found.source}"
    if r.peak_tflops:
        return float(r.peak_tflops), str(r.peak_source or "given to the workload"), ""
    return None, None, why


def _cuda_index(device: str) -> int | None:
    if device == "cuda":
        return 0
    if device.startswith("cuda:") and device[5:].isdigit():
        return int(device[5:])
    return None


def gpu_peaks(name: str | None) -> tuple[dict[str, float], str | None]:
    """Every dense peak the knowledge table holds for this NVIDIA GPU, by precision, for the workload's MFU."""
    return accel.nvidia_peaks(name)

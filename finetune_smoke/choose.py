"""The bench's decisions from what the run measured: precision by GEMM rate, compile by rule and check, dropout.

Pure (no torch), so the policy is tested against recorded probe figures of other machines. Each
decision returns the pick, why, and a ``Choice`` for the result that lists every candidate.
"""

from __future__ import annotations

from collections.abc import Mapping

from finetune_smoke.result import Choice

# A lower precision is picked only when its GEMM probe beats the next one up by this factor:
# autocast adds casts and keeps softmax, layer norm and the loss in fp32, so a GEMM that is barely
# faster does not make the step faster. envtool's policy, not a published figure.
PRECISION_MARGIN = 1.15
# A compiled step slower than eager by more than this (measured in the same run) is reported.
COMPILE_SLOWER = 1.03

PRECISIONS = ("fp32", "bf16", "fp16")

# Why MPS runs eager: Inductor's Metal backend first shipped in torch 2.8 (release notes: "MPSInductor:
# torch.compile for Apple GPUs", pytorch/pytorch#150121), and a user measured a compiled transformer
# layer at 30.4 ms vs 4.95 ms eager on torch 2.10 (discuss.pytorch.org, "JITed nn.TransformerDecoderLayer
# runs significantly slower than in eager mode").
MPS_EAGER = (
    "auto: eager on MPS, where Inductor's Metal backend is new (torch 2.8) and was measured slower than "
    "eager on a transformer layer (30.4 vs 4.95 ms, torch 2.10)"
)


def probe_candidates(
    device_type: str,
    capability: tuple[int, int] | None,
    cpu_flags: frozenset[str],
    *,
    backend: str | None = None,
    not_working: Mapping[str, str] | None = None,
) -> dict[str, str | None]:
    """The GEMM precisions to probe: name -> None (probe it) or why the device does not offer it.

    ``tf32`` is fp32 inputs on TF32 tensor cores (what an fp32 step runs at on NVIDIA Ampere and
    newer). ROCm (``backend`` "hip"), XPU and MPS probe fp32, bf16 and fp16; TF32 is an NVIDIA
    mode here. ``not_working`` names the precisions a tiny on-device check found unusable (MPS
    bf16 on an older macOS or torch, a grad scaler that fails) with why. On a CPU, bf16 is always
    probed (oneDNN emulates it where no unit exists: the probe shows the cost); fp16 only with
    AVX512-FP16 or AMX-FP16, without which it is emulated and slower.
    """
    out: dict[str, str | None]
    if device_type == "cuda" and backend != "hip":
        cc = capability or (0, 0)
        out = {
            "fp32": None,
            "tf32": None if cc >= (8, 0) else f"no TF32 below compute capability 8.0 (this GPU: {cc[0]}.{cc[1]})",
            "bf16": None if cc >= (8, 0) else f"no bf16 tensor cores below compute capability 8.0 ({cc[0]}.{cc[1]})",
            "fp16": None,
        }
    elif device_type == "cuda":
        out = {"fp32": None, "tf32": "TF32 is not probed on ROCm", "bf16": None, "fp16": None}
    elif device_type in ("xpu", "mps"):
        out = {"fp32": None, "bf16": None, "fp16": None}
    else:
        fp16 = None if cpu_flags & {"avx512_fp16", "amx_fp16"} else "no AVX512-FP16 or AMX-FP16 on this CPU"
        out = {"fp32": None, "bf16": None, "fp16": fp16}
    for name, why in (not_working or {}).items():
        if out.get(name, "") is None:
            out[name] = why
    return out


def _fmt(rates: Mapping[str, float | None]) -> str:
    return ", ".join(f"{k} {v:.3g}" for k, v in rates.items() if v) + " TFLOP/s"


def choose_precision(
    requested: str,
    rates: Mapping[str, float | None],
    *,
    device_type: str,
    not_offered: Mapping[str, str | None] | None = None,
) -> tuple[str, str, Choice]:
    """The step's precision from the GEMM probe's TFLOP/s per precision (None: not offered or failed).

    fp32's rate is TF32's where the probe ran one (an fp32 step runs its matmuls on TF32 there).
    Between the half precisions bf16 wins unless fp16 is clearly faster (bf16 needs no grad scaler
    and keeps fp32's range); the half precision is taken when it beats fp32 by PRECISION_MARGIN.
    """
    options: dict[str, object] = {k: v for k, v in rates.items() if v}
    for k, why in (not_offered or {}).items():
        if why:
            options[k] = f"not offered: {why}"
    fp32 = rates.get("tf32") or rates.get("fp32")
    bf16, fp16 = rates.get("bf16"), rates.get("fp16")
    if requested != "auto":
        return (
            requested,
            "requested by --precision",
            Choice(what="precision", options=options, chosen=requested, why="requested by --precision"),
        )
    half, half_rate = None, None
    if bf16 and (not fp16 or bf16 * PRECISION_MARGIN >= fp16):
        half, half_rate = "bf16", bf16
    elif fp16:
        half, half_rate = "fp16", fp16
    if not fp32:
        if half:
            why = f"auto: only {half} was measured ({_fmt(rates)})"
        else:
            why = "auto: no GEMM probe succeeded; fp32 runs everywhere"
        chosen = half or "fp32"
    elif half and half_rate and half_rate >= fp32 * PRECISION_MARGIN:
        fp32_name = "TF32" if rates.get("tf32") else "fp32"
        why = f"auto: {half} GEMMs ran {half_rate / fp32:.2f}x {fp32_name} on this {device_type} ({_fmt(rates)})" + (
            "; fp16 with a grad scaler" if half == "fp16" else ""
        )
        chosen = half
    else:
        best = f"{half} reached only {half_rate / fp32:.2f}x" if half and half_rate else "no half precision ran"
        why = f"auto: fp32, as {best} (a lower precision needs >= {PRECISION_MARGIN:.2f}x; {_fmt(rates)})"
        chosen = "fp32"
    return chosen, why, Choice(what="precision", options=options, chosen=chosen, why=why)


def choose_compile(requested: bool | None, *, device_type: str) -> tuple[bool, str]:
    """Whether to ``torch.compile``: on GPUs yes, on CPUs no, unless ``--compile``/``--no-compile`` says.

    GPU: Inductor fuses the memory-bound ops around the GEMMs, the usual gain of a compiled
    training step; the run times eager steps beside the compiled ones and reports the gain
    (``check_compile``), so a compile that does not pay is said. CPU: measured on 2-core VMs, a cold
    compile of BERT-small costs 10-65 s (quiet to loaded) and gained -5..+12 % (issue-14 AMD EPYC:
    fp32 10.4 vs 11.0, bf16 20.4 vs 19.5 samples/s; this project's AMX Xeon, benchmarks/bench_vs_seed.py:
    fp32 19.2 vs 17.1, bf16 39.0 vs 37.2): as much as the bench's whole time budget for a few per cent,
    so CPU runs stay eager and bench_vs_seed prints what compiling would have given. The GPU rule
    covers CUDA, ROCm (its device type is ``cuda``) and XPU, where Inductor generates Triton code;
    MPS stays eager (``MPS_EAGER``).
    """
    if requested is not None:
        return requested, "requested by --compile" if requested else "disabled by --no-compile"
    if device_type in ("cuda", "xpu"):
        return True, "auto: compiled on GPU; eager steps are timed beside to check the gain"
    if device_type == "mps":
        return False, MPS_EAGER
    return False, "auto: eager on CPU, where a cold compile (10-65 s) costs as much as the timing budget for -5..+12 %"


def check_compile(compiled_s: float, eager_s: float | None, compile_s: float | None) -> tuple[str, bool]:
    """The compile check's sentence and whether compiled steps were slower than eager ones."""
    if eager_s is None or eager_s <= 0 or compiled_s <= 0:
        return "no eager steps were timed beside the compiled ones", False
    gain = eager_s / compiled_s
    cost = f"; the compile took {compile_s:.1f} s" if compile_s is not None else ""
    slower = compiled_s > eager_s * COMPILE_SLOWER
    verdict = "slower than eager" if slower else "faster than eager" if gain > 1.0 else "as fast as eager"
    return (
        f"compiled steps {compiled_s * 1e3:.1f} ms vs eager {eager_s * 1e3:.1f} ms: {gain:.2f}x, {verdict}{cost}",
        slower,
    )


DROPOUTS = ("auto", "torch", "hash")


def choose_dropout(requested: str) -> tuple[str, str]:
    """How dropout draws its masks: ``nn.Dropout`` (the standard stack), or the counter hash on request.

    The counter-hash dropout (``finetune_smoke.hashdrop``) is a kernel no user's training runs,
    so its figures say what a loop with it could reach, not what a standard loop reaches; it is
    kept only as an explicit ``--dropout hash`` and the result says so (``standard_stack``).
    """
    if requested == "hash":
        return "hash", "requested: counter-hash dropout, not nn.Dropout (not the standard stack)"
    if requested == "torch":
        return "torch", "requested: nn.Dropout"
    return "torch", "auto: nn.Dropout, the standard stack"

"""Pure arithmetic for the benchmark: FLOP counts, step-time statistics and the CPU peak.

Nothing here imports torch, so the numbers can be unit-tested anywhere and the tables can be
read by other tools. Every data number carries its source next to it. GPU peaks are not here:
envtool's knowledge table holds them and passes the GPU's to the workload (``--peaks``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "bert_train_flops",
    "bert_train_flops_per_seq",
    "percentile",
    "step_stats",
    "CpuInfo",
    "parse_cpuinfo",
    "cpu_peak_tflops",
]


def bert_train_flops_per_seq(*, layers: int, hidden: int, seq_len: int) -> float:
    """Training FLOPs (forward + backward) of one sequence through a BERT encoder.

    72 * S * L * H^2 * (1 + S / (6H)): the dense matmuls (QKV, output projection, the two FFN
    matmuls with a 4H intermediate) give 24*S*H^2 forward FLOPs per layer, attention scores and
    context add 4*S^2*H; backward is twice forward, so training is 3x. Embeddings and the
    classifier head are excluded (lookups and a tiny matmul). Source: DESIGN.md "Facts gathered"
    (the formula of Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU
    Clusters", eq. 2 without the logit layer). Assumes intermediate_size == 4 * hidden.
    """
    if layers <= 0 or hidden <= 0 or seq_len <= 0:
        raise ValueError("layers, hidden and seq_len must be positive")
    return 72.0 * seq_len * layers * hidden**2 * (1.0 + seq_len / (6.0 * hidden))


def bert_train_flops(*, batch: int, seq_len: int, layers: int, hidden: int) -> float:
    """Training FLOPs of one optimizer step over ``batch`` sequences (see the per-sequence form)."""
    if batch <= 0:
        raise ValueError("batch must be positive")
    return batch * bert_train_flops_per_seq(layers=layers, hidden=hidden, seq_len=seq_len)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100), the same rule as numpy's default."""
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0.0 <= q <= 100.0:
        raise ValueError("q must be within 0..100")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def step_stats(step_times_s: Sequence[float]) -> dict[str, float]:
    """Median, p10 and p90 of the timed steps, in seconds."""
    return {
        "median": percentile(step_times_s, 50.0),
        "p10": percentile(step_times_s, 10.0),
        "p90": percentile(step_times_s, 90.0),
    }


# --------------------------------------------------------------------------------------------
# CPU peak: cores x clock x FLOP/cycle for the widest unit the flags advertise.
# --------------------------------------------------------------------------------------------

# FP32 FLOP per cycle per core.
# AVX2 + FMA: two 256-bit FMA ports x 8 lanes x 2 = 32. AVX-512 with two FMA units: 2 x 16 x 2 =
# 64. Source: "FLOPs per cycle for Sandy Bridge and Haswell SSE2/AVX/AVX2/AVX-512",
# https://stackoverflow.com/questions/15655835 (Haswell..Skylake: 32 SP; Skylake-SP with two
# AVX-512 FMA units: 64 SP). Whether a Xeon has one or two AVX-512 FMA units is not in
# /proc/cpuinfo (Gold 5xxx/Silver have one, Gold 6xxx/Platinum two: Intel community thread
# "Calculate the Max Flops on Skylake", https://community.intel.com/t5/Software-Tuning-Performance/
# Calculate-the-Max-Flops-on-Skylake/td-p/1160952); we assume two, so MFU errs low, not high.
FP32_FLOP_PER_CYCLE_AVX2_FMA = 32
FP32_FLOP_PER_CYCLE_AVX512_2FMA = 64
# AMX-BF16 (TMUL): 1024 BF16 FLOP per cycle per core on 4th-gen Xeon Scalable.
# Source: Intel, "Accelerate AI Workloads with Intel AMX" solution brief, as cited by
# https://en.wikipedia.org/wiki/Advanced_Matrix_Extensions ("2048 INT8 or 1024 BF16 operations
# per cycle").
BF16_FLOP_PER_CYCLE_AMX = 1024


@dataclass(frozen=True, kw_only=True)
class CpuInfo:
    """What the peak calculation needs from /proc/cpuinfo (and cpufreq when present)."""

    model_name: str
    flags: frozenset[str]
    mhz: float | None  # the advertised clock; None when unknown
    threads_per_core: int


def parse_cpuinfo(text: str, *, max_freq_khz: str | None = None) -> CpuInfo:
    """Parse Linux /proc/cpuinfo text (first processor block is representative).

    ``max_freq_khz`` is the content of cpufreq's ``cpuinfo_max_freq`` when readable; it is the
    turbo ceiling and beats the instantaneous "cpu MHz" (which is the nominal TSC rate in VMs).
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break  # the first processor block is enough
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = frozenset(fields.get("flags", fields.get("Features", "")).split())
    mhz: float | None = None
    if max_freq_khz and max_freq_khz.strip().isdigit():
        mhz = int(max_freq_khz.strip()) / 1000.0
    elif fields.get("cpu MHz"):
        try:
            mhz = float(fields["cpu MHz"])
        except ValueError:
            mhz = None
    threads_per_core = 1
    try:
        siblings = int(fields.get("siblings", "0"))
        cores = int(fields.get("cpu cores", "0"))
        if siblings > 0 and cores > 0:
            threads_per_core = max(1, siblings // cores)
    except ValueError:
        pass
    return CpuInfo(
        model_name=fields.get("model name", "unknown CPU"),
        flags=flags,
        mhz=mhz,
        threads_per_core=threads_per_core,
    )


def cpu_peak_tflops(info: CpuInfo, *, logical_cpus: int, precision: str) -> tuple[float | None, str]:
    """Theoretical peak TFLOP/s of the CPUs this process may use, and how it was derived.

    ``logical_cpus`` is the affinity count; hyperthreads share FMA units, so it is divided by
    threads per core. Returns ``(None, reason)`` when the flags name no unit we have a figure for.
    """
    if info.mhz is None or info.mhz <= 0:
        return None, "clock unknown"
    cores = max(1, logical_cpus // info.threads_per_core)
    ghz = info.mhz / 1000.0
    if precision == "bf16" and "amx_bf16" in info.flags:
        per_cycle, unit = BF16_FLOP_PER_CYCLE_AMX, "AMX-BF16 1024 FLOP/cycle"
    elif "avx512f" in info.flags:
        per_cycle, unit = FP32_FLOP_PER_CYCLE_AVX512_2FMA, "AVX-512 2xFMA 64 FP32 FLOP/cycle"
    elif "avx2" in info.flags and "fma" in info.flags:
        per_cycle, unit = FP32_FLOP_PER_CYCLE_AVX2_FMA, "AVX2 FMA 32 FP32 FLOP/cycle"
    else:
        return None, "no AVX2/FMA, AVX-512 or AMX flags: no peak figure for this CPU"
    peak = cores * ghz * 1e9 * per_cycle / 1e12
    return peak, f"{cores} cores x {ghz:.2f} GHz x {unit}"

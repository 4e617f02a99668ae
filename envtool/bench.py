"""Run the BERT workload in a target environment and judge it.

The workload (``finetune_smoke.bench``) runs in the *target* python as a subprocess, so a
segfault, an out-of-memory or a hang in torch becomes a clean result. The verdict is pure:
the workload's JSON plus the machine's facts in, PASS/WARN/FAIL with reasons out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envtool import knowledge, runner
from envtool.errors import BadInputError, ExternalError
from envtool.model import Finding, HostFacts, Severity, Status
from envtool.util import atomic_write_text

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


# --------------------------------------------------------------------------- running it


def workload_dir() -> Path:
    """The ``finetune_smoke`` package that ships with envtool."""
    import finetune_smoke

    return Path(finetune_smoke.__file__).resolve().parent


def bench_argv(python: str, options: Mapping[str, Any]) -> list[str]:
    """``<python> -m finetune_smoke.bench --json`` with the workload's own options."""
    argv = [python, "-m", "finetune_smoke.bench", "--json"]
    for key in ("model", "precision", "batch_size", "seq_len", "steps", "warmup", "device", "dropout"):
        value = options.get(key)
        if value is not None:
            argv += [f"--{key.replace('_', '-')}", str(value)]
    if options.get("compile"):
        argv.append("--compile")
    if options.get("no_compile"):
        argv.append("--no-compile")
    return argv


def run_smoke(
    python: str, argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None, with_data: bool = False
) -> runner.Completed:
    """Run ``<python> -m finetune_smoke.<argv>`` with envtool's copy of the workload.

    The package is copied into a private folder put first on PYTHONPATH, so the target runs
    envtool's copy of the workload without seeing anything else of envtool's environment.
    """
    base = dict(os.environ if env is None else env)
    ignore = shutil.ignore_patterns("__pycache__", *(() if with_data else ("data",)))
    with tempfile.TemporaryDirectory(prefix="envtool-smoke-") as tmp:
        shutil.copytree(workload_dir(), Path(tmp) / "finetune_smoke", ignore=ignore)
        base["PYTHONPATH"] = os.pathsep.join(p for p in (tmp, base.get("PYTHONPATH", "")) if p)
        base.setdefault("HF_HUB_OFFLINE", "1")
        try:
            return runner.capture([python, "-m", *argv], timeout=timeout, env=base, tie_to_parent=True)
        except ExternalError as exc:
            raise BadInputError(f"--python {python}: {exc}") from exc


def result_of(done: runner.Completed, python: str, timeout: float) -> dict[str, Any]:
    """The workload's JSON, or an ``ok: false`` result saying how the process ended."""
    if done.timed_out:
        return {
            "ok": False,
            "error": {"kind": "timeout", "message": f"the workload did not finish within {timeout:.0f} s"},
        }
    result = None
    for line in reversed(done.stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except ValueError:
                result = None
            break
    if isinstance(result, dict) and ("ok" in result or "test" in result):
        return result
    if done.signal is None and (
        "No module named 'torch'" in done.stderr or "No module named 'transformers'" in done.stderr
    ):
        return {
            "ok": False,
            "error": {
                "kind": "missing_dependency",
                "message": f"{python} lacks torch or transformers: " + done.stderr.strip().splitlines()[-1],
            },
        }
    return {"ok": False, "error": {"kind": "crashed", "message": done.describe_failure(8)}}


def run_workload(
    python: str, options: Mapping[str, Any], *, timeout: float, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Run the bench workload in ``python`` and return its JSON (``ok: false`` results included)."""
    done = run_smoke(python, bench_argv(python, options)[2:], timeout=timeout, env=env)
    return result_of(done, python, timeout)


# --------------------------------------------------------------------------- kept results


def results_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(base) / "envtool" / "bench"


def save_result(record: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Path:
    """Keep a run (result, verdict, facts) as ``<cache>/envtool/bench/<time>.json``; atomic."""
    d = results_dir(env)
    d.mkdir(parents=True, exist_ok=True)
    path = d / time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    path = path.with_name(path.name + f"-{os.getpid()}.json")
    return atomic_write_text(path, json.dumps(record, indent=1))


def load_previous(which: str, env: Mapping[str, str] | None = None) -> tuple[dict[str, Any], str]:
    """``last`` (the newest kept run) or a file: an envtool bench envelope or a kept record."""
    if which == "last":
        files = sorted(results_dir(env).glob("*.json"))
        if not files:
            raise BadInputError(
                f"--compare last: no earlier run is kept in {results_dir(env)}; run `envtool bench` once first"
            )
        path = files[-1]
    else:
        path = Path(which)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise BadInputError(f"--compare {which}: cannot read {path} as JSON ({type(exc).__name__})") from exc
    data = obj.get("data", obj) if isinstance(obj, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("result"), dict):
        raise BadInputError(f"--compare {which}: {path} is not an envtool bench result (expected a 'result' object)")
    return data, str(path)


def compare(now: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """The change of the headline numbers, and whether the runs are comparable."""
    out: dict[str, Any] = {}
    for key in ("samples_per_s", "tflops"):
        a, b = now.get(key), before.get(key)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
            out[key] = {"before": b, "now": a, "change": a / b - 1.0}
    same = all(now.get(k) == before.get(k) for k in ("batch_size", "seq_len", "precision", "device_name")) and (
        now.get("model") or {}
    ).get("hidden_size") == (before.get("model") or {}).get("hidden_size")
    out["comparable"] = same
    return out


# =========================================================================== distributed
#
# `envtool bench --nproc N`: PyTorch's own elastic launcher (torch.distributed.run, torchrun)
# in the target python runs N copies of finetune_smoke.dist_bench per node; envtool only builds
# its command line, bounds it in time, reads the ranks' JSON files and judges them.

DIST_SCHEMA = "envtool.dist_bench/1"
DEFAULT_MASTER_PORT = 29500  # torchrun's own default for --master-port (torch/distributed/run.py)

# Scaling-efficiency bands per link class: (pass at, warn at); below warn is FAIL. These are
# envtool's policy, not published figures: DDP overlaps the gradient all-reduce with the
# backward pass, so over NVLink/NVSwitch almost nothing should show; PCIe and networks cost more.
# On a CPU (gloo) the ranks share the cores and the memory bus, so the figure is informational:
# WARN below 0.5, never FAIL.
EFFICIENCY_BANDS: dict[str, tuple[float, float | None]] = {
    "nvlink": (0.90, 0.75),
    "pcie": (0.75, 0.50),
    "pcie_host": (0.75, 0.50),
    "network": (0.75, 0.50),
    "unknown": (0.75, 0.50),
    "cpu": (0.50, None),
}
# Bus bandwidth against the link's theoretical per-direction peak (nccl-tests' busbw is meant to
# be compared with the hardware peak: NVIDIA/nccl-tests doc/PERFORMANCE.md, "Bus bandwidth").
# The bands are envtool's policy (not published figures): NCCL rarely exceeds ~80 % of a link.
BUSBW_PASS = 0.60
BUSBW_WARN = 0.30
# Only messages at least this large are judged: below, latency, not bandwidth, sets the time
# (nccl-tests doc/PERFORMANCE.md: "on large sizes, it makes more sense to look at the bandwidth").
BUSBW_MIN_BYTES = 64 << 20

# NVLink bandwidth per link and per direction, GB/s, by compute capability.
# 7.0 V100 (NVLink 2): 6 links, 300 GB/s total both directions -> 25 per link per direction.
#   source: NVIDIA Tesla V100 datasheet ("NVLink 300 GB/s"), as tabulated at
#   https://alpha-one-index.github.io/ai-infra-index/specs/networking-interconnects.html (NVLink 2.0: 6 links, 50 GB/s per link bidirectional)
# 8.0 A100 (NVLink 3): 12 links, 600 GB/s total -> 25. Also what the driver itself reports:
#   `nvidia-smi nvlink -s` on an A100-SXM4-80GB prints "Link 0: 25 GB/s" ... "Link 11: 25 GB/s"
#   (a public GitHub measurement report, found with the code search, index id 61378134661).
# 8.6 GA102 (RTX 3090 / A6000, NVLink 3 bridge): "four x4 links, each link providing 14.0625
#   GB/sec bandwidth in each direction" -- NVIDIA Ampere GA102 GPU Architecture whitepaper, as quoted
#   in Hugging Face transformers docs perf_hardware.
# 9.0 H100/H200 SXM (NVLink 4): 18 links, 900 GB/s total -> 25. source: NVIDIA H100 datasheet
#   ("NVLink: 900GB/s"), tabulated at the ai-infra-index page above (NVLink 4.0: 18 links x 50 GB/s bidirectional).
# 10.0 B200 (NVLink 5): 18 links, 1.8 TB/s total -> 50. Same page (NVLink 5.0: 18 x 100 GB/s bidirectional).
# NOT verified against NVIDIA's own PDFs in this session (the pages above reproduce them).
NVLINK_GBS_PER_LINK = {"7.0": 25.0, "8.0": 25.0, "8.6": 14.0625, "9.0": 25.0, "10.0": 50.0}
# PCIe usable bandwidth per lane and per direction, GB/s (128b/130b encoding from gen 3):
# gen3 8 GT/s -> 0.985, gen4 16 GT/s -> 1.969, gen5 32 GT/s -> 3.938 (x16: 15.75 / 31.5 / 63.0).
# source: PCI-SIG base specifications as tabulated in Wikipedia "PCI Express" (reproduced at
# https://hpc-notes.pages.dev/reference/pcie: 3.0 0.99/15.7, 4.0 1.97/31.5, 5.0 3.94/63.0 GB/s).
PCIE_GBS_PER_LANE = {1: 0.25, 2: 0.5, 3: 0.985, 4: 1.969, 5: 3.938}


@dataclass(frozen=True, kw_only=True)
class Launch:
    """Where this node sits in the job: torchrun's --nnodes/--node-rank/--master-addr/--master-port."""

    nproc: int
    nnodes: int = 1
    node_rank: int = 0
    master_addr: str = "127.0.0.1"
    master_port: int = DEFAULT_MASTER_PORT
    rdzv_timeout: float = 60.0
    source: str = "arguments"  # "arguments", or "slurm" when any value came from SLURM_*

    @property
    def world_size(self) -> int:
        return self.nproc * self.nnodes


def parse_slurm_nodelist(text: str) -> list[str]:
    """Expand Slurm's compressed host list: ``node[01-03,07],gpu5`` -> node01 node02 node03 node07 gpu5.

    Zero padding of a range is kept (``[08-10]`` -> 08 09 10). Several bracket groups in one name
    (``rack[1-2]-n[1-2]``) expand as a product, in Slurm's order.
    """
    hosts: list[str] = []
    for item in _split_top_level(text.strip()):
        hosts += _expand_host(item)
    return hosts


def _split_top_level(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def _expand_host(item: str) -> list[str]:
    m = re.search(r"\[([^\]]*)\]", item)
    if not m:
        return [item]
    head, tail = item[: m.start()], item[m.end() :]
    values: list[str] = []
    for part in m.group(1).split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            width = len(lo)
            values += [str(n).zfill(width) for n in range(int(lo), int(hi) + 1)]
        elif part:
            values.append(part)
    return [h for v in values for h in _expand_host(head + v + tail)]


def launch_from_env(
    env: Mapping[str, str],
    *,
    nproc: int,
    nnodes: int | None = None,
    node_rank: int | None = None,
    master_addr: str | None = None,
    master_port: int | None = None,
    rdzv_timeout: float = 60.0,
) -> Launch:
    """The launch, given values first, then Slurm's variables (under ``srun``), then single-node defaults.

    Slurm: SLURM_NNODES (or SLURM_JOB_NUM_NODES), SLURM_NODEID, the first host of
    SLURM_JOB_NODELIST (or SLURM_NODELIST) as the master, and a port derived from SLURM_JOB_ID so
    that two jobs sharing a node do not collide (the recipe of many Slurm+torchrun guides).
    """
    slurm = bool(env.get("SLURM_JOB_ID"))
    used_slurm = False

    def from_slurm(*names: str) -> str | None:
        nonlocal used_slurm
        for n in names:
            v = env.get(n, "").strip()
            if v:
                used_slurm = True
                return v
        return None

    if nnodes is None:
        raw = from_slurm("SLURM_NNODES", "SLURM_JOB_NUM_NODES") if slurm else None
        nnodes = int(raw) if raw and raw.isdigit() else 1
    if node_rank is None:
        raw = from_slurm("SLURM_NODEID") if slurm and nnodes > 1 else None
        node_rank = int(raw) if raw and raw.isdigit() else 0
    if master_addr is None:
        raw = from_slurm("SLURM_JOB_NODELIST", "SLURM_NODELIST") if slurm and nnodes > 1 else None
        hosts = parse_slurm_nodelist(raw) if raw else []
        master_addr = hosts[0] if hosts else "127.0.0.1"
    if master_port is None:
        job = env.get("SLURM_JOB_ID", "").strip() if slurm else ""
        if job.isdigit():
            used_slurm = True
            master_port = 20000 + int(job) % 20000  # stays within 20000-39999, below Linux's ephemeral range
        else:
            master_port = DEFAULT_MASTER_PORT
    if nproc < 1 or nnodes < 1 or not 0 <= node_rank < nnodes:
        raise BadInputError(
            f"--nproc {nproc} --nnodes {nnodes} --node-rank {node_rank}: need nproc >= 1, nnodes >= 1 and 0 <= node-rank < nnodes"
        )
    if not 0 < master_port < 65536:
        raise BadInputError(f"--master-port {master_port}: not a TCP port (1-65535)")
    return Launch(
        nproc=nproc,
        nnodes=nnodes,
        node_rank=node_rank,
        master_addr=master_addr,
        master_port=master_port,
        rdzv_timeout=rdzv_timeout,
        source="slurm" if used_slurm else "arguments",
    )


def dist_argv(python: str, launch: Launch, options: Mapping[str, Any], out_dir: str) -> list[str]:
    """``<python> -m torch.distributed.run ... -m finetune_smoke.dist_bench --json --out-dir DIR ...``.

    ``--max-restarts 0``: a failed rank ends the run instead of restarting the group. The static
    rendezvous' ``timeout`` bounds the wait for missing peers; the workers' process-group timeout
    (``--timeout``) bounds a collective that a hung or vanished peer never joins.
    """
    t = max(1, int(round(launch.rdzv_timeout)))
    argv = [
        python,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        str(launch.nproc),
        "--nnodes",
        str(launch.nnodes),
        "--node-rank",
        str(launch.node_rank),
        "--master-addr",
        launch.master_addr,
        "--master-port",
        str(launch.master_port),
        "--max-restarts",
        "0",
        "--rdzv-conf",
        f"timeout={t}",
        "-m",
        "finetune_smoke.dist_bench",
        "--json",
        "--out-dir",
        out_dir,
        "--timeout",
        str(t),
    ]
    for key in (
        "model",
        "precision",
        "batch_size",
        "seq_len",
        "steps",
        "warmup",
        "allreduce_max_bytes",
        "allreduce_min_bytes",
        "allreduce_iters",
    ):
        value = options.get(key)
        if value is not None:
            argv += [f"--{key.replace('_', '-')}", str(value)]
    device = options.get("device")
    if device not in (None, "auto"):
        argv += ["--device", "cuda" if str(device).startswith("cuda") else str(device)]
    return argv


def is_local_address(host: str) -> bool:
    """Whether ``host`` names this machine (loopback, its hostname, or one of its addresses)."""
    import socket

    if host in ("localhost", "127.0.0.1", "::1", "0.0.0.0") or host.startswith("127."):
        return True
    names = {socket.gethostname(), socket.getfqdn()}
    if host in names:
        return True
    try:
        target = {ai[4][0] for ai in socket.getaddrinfo(host, None)}
        mine = {ai[4][0] for n in names for ai in socket.getaddrinfo(n, None)}
    except OSError:
        return False
    return bool(target & mine) or any(a.startswith("127.") for a in target)


def port_in_use(port: int, host: str = "") -> bool:
    """True when nothing can listen on ``port`` here (someone holds it), as torchrun's store would."""
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # Without SO_REUSEADDR, like a fresh listener: a port held in LISTEN is refused.
        s.bind((host, port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


def read_rank_files(out_dir: Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Rank 0's gathered ``result.json`` (None when absent) and every ``rank-N.json`` found."""
    gathered = _read_json(out_dir / "result.json")
    ranks = [r for p in sorted(out_dir.glob("rank-*.json")) if (r := _read_json(p)) is not None]
    return gathered, ranks


# torchrun's and c10d's own wording for the failures we turn into findings (torch 2.13, seen in
# this project's runs): a store port already taken, peers that never came, a client that never
# reached the store, and the elastic agent's summary of a failed child.
_PORT_IN_USE = re.compile(r"EADDRINUSE|address already in use", re.I)
_RDZV_TIMEOUT = re.compile(
    r"waiting for clients|client socket has timed out|RendezvousTimeoutError|Timed out after \d+ seconds", re.I
)
_ROOT_CAUSE = re.compile(r"Root Cause.*?rank\s*:\s*(\d+).*?exitcode\s*:\s*(-?\d+)", re.S)


def classify_failure(
    done_text: str,
    *,
    timed_out: bool,
    returncode: int | None,
    rank_errors: Sequence[Mapping[str, Any]],
    timeout: float,
    launch: Launch,
) -> dict[str, Any]:
    """Pure: how a distributed run failed, from torchrun's output and the ranks' error files."""
    if timed_out:
        return {
            "kind": "timeout",
            "message": f"the distributed run did not finish within {timeout:.0f} s; every worker was killed",
        }
    failed = [e for e in rank_errors if not e.get("ok")]
    # A rank that failed on its own (not one that saw its peer vanish) is the root cause.
    own = [e for e in failed if (e.get("error") or {}).get("kind") != "internal"] or failed
    if own:
        first = own[0]
        err = first.get("error") or {}
        return {
            "kind": "rank_failed",
            "rank": first.get("rank"),
            "rank_error_kind": err.get("kind"),
            "message": f"rank {first.get('rank')} failed ({err.get('kind')}): {err.get('message', '')}",
        }
    if _PORT_IN_USE.search(done_text):
        return {
            "kind": "port_in_use",
            "message": f"port {launch.master_port} on {launch.master_addr} is already in use: torchrun could not start its rendezvous store",
        }
    if _RDZV_TIMEOUT.search(done_text):
        line = next((ln.strip() for ln in done_text.splitlines() if _RDZV_TIMEOUT.search(ln)), "")
        return {
            "kind": "rendezvous_timeout",
            "message": f"not every node joined the rendezvous at {launch.master_addr}:{launch.master_port} within {launch.rdzv_timeout:.0f} s ({launch.nnodes} node(s) expected): {line}",
        }
    m = _ROOT_CAUSE.search(done_text)
    if m:
        return {
            "kind": "rank_failed",
            "rank": int(m.group(1)),
            "message": f"rank {m.group(1)} exited with code {m.group(2)}",
        }
    if "No module named 'torch'" in done_text or "No module named 'transformers'" in done_text:
        return {"kind": "missing_dependency", "message": "the target python lacks torch or transformers"}
    tail = "\n".join(done_text.strip().splitlines()[-6:])
    return {"kind": "crashed", "message": f"torchrun exited with code {returncode}" + (f":\n{tail}" if tail else "")}


def aggregate(raw: Mapping[str, Any], *, world_size: int | None = None) -> dict[str, Any]:
    """Pure: the ranks' numbers -> world_size, per-rank and aggregate samples/s, efficiency, all-reduce table.

    ``scaling_efficiency`` = aggregate DDP samples/s / (N x single-process samples/s), where the
    single-process figure is the mean over ranks of the same step without the gradient all-reduce
    (``no_sync``), measured in the same processes (see finetune_smoke/dist_bench.py for why).
    All-reduce: per size, the slowest rank's mean time (the collective is done when the last rank
    is); algbw = bytes / time, busbw = algbw x 2(n-1)/n (NVIDIA/nccl-tests doc/PERFORMANCE.md).
    """
    ranks = sorted((r for r in raw.get("ranks") or [] if isinstance(r, dict)), key=lambda r: r.get("rank", 0))
    n = int(world_size or raw.get("world_size") or len(ranks) or 1)
    per = []
    for r in ranks:
        ddp, local = r.get("ddp") or {}, r.get("local") or {}
        per.append(
            {
                "rank": r.get("rank"),
                "local_rank": r.get("local_rank"),
                "host": r.get("host"),
                "device": r.get("device"),
                "device_name": r.get("device_name"),
                "threads": r.get("threads"),
                "batch_size": r.get("batch_size"),
                "samples_per_s": ddp.get("samples_per_s", r.get("samples_per_s")),
                "local_samples_per_s": local.get("samples_per_s"),
                "step_time_s": (ddp.get("step_time_s") or {}).get("median"),
                "local_step_time_s": (local.get("step_time_s") or {}).get("median"),
                "tflops": r.get("tflops"),
                "losses": r.get("losses"),
            }
        )
    complete = len(per) == n and n > 0
    total = sum(float(p["samples_per_s"] or 0.0) for p in per)
    locals_ = [float(p["local_samples_per_s"]) for p in per if p["local_samples_per_s"]]
    single = sum(locals_) / len(locals_) if locals_ else None
    eff = total / (n * single) if complete and single else None
    table = []
    sizes = sorted({int(e["bytes"]) for r in ranks for e in r.get("allreduce") or []})
    factor = 2.0 * (n - 1) / n
    for size in sizes:
        times = [
            float(e["time_s"])
            for r in ranks
            for e in r.get("allreduce") or []
            if int(e["bytes"]) == size and e.get("time_s")
        ]
        if not times:
            continue
        t = max(times)
        algbw = size / t / 1e9
        table.append({"bytes": size, "time_s": t, "algbw_gbs": algbw, "busbw_gbs": algbw * factor})
    return {
        "world_size": n,
        "ranks": per,
        "complete": complete,
        "samples_per_s": total,
        "single_process_samples_per_s": single,
        "scaling_efficiency": eff,
        "efficiency_method": "same run: each rank also times the step inside DDP.no_sync() (no gradient all-reduce); single = mean of those",
        "allreduce": table,
    }


def run_distributed(
    python: str, launch: Launch, options: Mapping[str, Any], *, timeout: float, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Launch this node's share of the distributed bench with torchrun; the aggregated result (``ok: false`` included)."""
    base = dict(os.environ if env is None else env)
    head = {
        "ok": False,
        "mode": "distributed",
        "schema": DIST_SCHEMA,
        "nproc_per_node": launch.nproc,
        "nnodes": launch.nnodes,
        "node_rank": launch.node_rank,
        "master_addr": launch.master_addr,
        "master_port": launch.master_port,
        "launch_source": launch.source,
    }
    # Node 0 hosts torchrun's store: a taken port there is found before anything starts.
    if launch.node_rank == 0 and is_local_address(launch.master_addr) and port_in_use(launch.master_port):
        return {
            **head,
            "error": {
                "kind": "port_in_use",
                "message": f"port {launch.master_port} on {launch.master_addr} is already in use (by another job, or a leftover run)",
            },
        }
    if "OMP_NUM_THREADS" not in base:
        # torchrun would force 1 thread per rank; a fair CPU share per rank is cores / nproc.
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        base["OMP_NUM_THREADS"] = str(max(1, cores // launch.nproc))
    with tempfile.TemporaryDirectory(prefix="envtool-dist-") as out:
        argv = dist_argv(python, launch, options, out)
        head["launcher"] = [os.path.basename(argv[0]), *argv[1:]]
        done = run_smoke(python, argv[2:], timeout=timeout, env=base)
        gathered, files = read_rank_files(Path(out))
    text = done.stdout + "\n" + done.stderr
    # Rank 0 wrote the whole job's result before tearing down: a crash after that (a gloo rank
    # aborting while its peer closes sockets) does not undo the measurement, but is said.
    teardown = None
    if (
        not done.ok
        and not done.timed_out
        and gathered
        and gathered.get("ok")
        and len(gathered.get("ranks") or ()) == launch.world_size
    ):
        teardown = f"the run completed, then the launcher exited with {done.returncode} while the ranks shut down"
    if (done.ok or teardown) and (gathered or files):
        raw = gathered or {
            **(files[0] if files else {}),
            "ranks": [f["self"] for f in files if f.get("ok") and f.get("self")],
        }
        agg = aggregate(raw, world_size=launch.world_size)
        common = {
            k: raw.get(k)
            for k in (
                "backend",
                "model",
                "seq_len",
                "precision",
                "precision_reason",
                "tf32",
                "optimizer",
                "steps",
                "warmup",
                "versions",
            )
        }
        note = (
            None
            if agg["complete"]
            else f"this node holds ranks {[r['rank'] for r in agg['ranks']]}; node 0 reports the whole job"
        )
        note = "; ".join(n for n in (note, teardown) if n) or None
        return {**head, **common, **agg, "ok": True, "note": note, "wall_s": done.duration_s}
    error = classify_failure(
        text, timed_out=done.timed_out, returncode=done.returncode, rank_errors=files, timeout=timeout, launch=launch
    )
    return {**head, "error": error, "wall_s": done.duration_s, "log_tail": "\n".join(text.strip().splitlines()[-30:])}


# --------------------------------------------------------------------------- the verdict


@dataclass(frozen=True, kw_only=True)
class DistVerdict:
    status: Status
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    link: str | None = None
    scaling_efficiency: float | None = None
    expected_busbw_gbs: float | None = None
    busbw_ratio: float | None = None


def _topo_get(topology: Any, key: str) -> Any:
    if topology is None:
        return None
    return topology.get(key) if isinstance(topology, Mapping) else getattr(topology, key, None)


def used_links(topology: Any, gpus: Sequence[int]) -> list[tuple[int, int, str]]:
    """The topology's links between the GPUs the ranks used."""
    want = set(gpus)
    return [(int(a), int(b), str(c)) for a, b, c in (_topo_get(topology, "links") or []) if a in want and b in want]


def _link_kind(result: Mapping[str, Any], links: Sequence[tuple[int, int, str]]) -> str:
    from envtool.probes.nvidia import link_class

    if result.get("backend") == "gloo" or not str((result.get("ranks") or [{}])[0].get("device", "")).startswith(
        "cuda"
    ):
        return "cpu"
    if int(result.get("nnodes") or 1) > 1:
        return "network"
    classes = {link_class(c) for _, _, c in links}
    for worst in ("pcie_host", "pcie", "unknown", "nvlink"):
        if worst in classes:
            return worst
    return "unknown"


def expected_busbw(
    kind: str, links: Sequence[tuple[int, int, str]], gpus: Sequence[Any], capability: str | None
) -> tuple[float | None, str]:
    """The theoretical per-direction peak of the slowest link the ranks use, GB/s, and how it was got."""
    from envtool.probes.nvidia import nvlink_count

    if kind == "nvlink":
        per = NVLINK_GBS_PER_LINK.get(capability or "")
        counts = [nvlink_count(c) for _, _, c in links]
        if per is None or not counts or any(c is None for c in counts):
            return None, f"NVLink per-link rate for compute capability {capability} or the link count is unknown"
        n = min(c for c in counts if c is not None)
        return n * per, f"{n} NVLinks x {per:g} GB/s per direction (compute capability {capability})"
    if kind in ("pcie", "pcie_host"):
        lanes = [(g.pcie_gen_max, g.pcie_width_max) for g in gpus if g.pcie_gen_max and g.pcie_width_max]
        if not lanes:
            return None, "the GPUs' PCIe generation and width are unknown"
        gen, width = min(lanes, key=lambda gw: PCIE_GBS_PER_LANE.get(gw[0], 0.0) * gw[1])
        per = PCIE_GBS_PER_LANE.get(gen)
        if per is None:
            return None, f"PCIe gen {gen} is not in envtool's table"
        return per * width, f"PCIe gen{gen} x{width}: {per * width:.1f} GB/s per direction"
    return None, "no expected figure for this link (CPU/gloo or a network between nodes)"


def judge_distributed(result: Mapping[str, Any], topology: Any = None, facts: HostFacts | None = None) -> DistVerdict:
    """PASS / WARN / FAIL for a distributed run, with findings and what explains a low figure.

    Efficiency is judged against the band of the slowest link the ranks use (EFFICIENCY_BANDS),
    the largest all-reduce's busbw against that link's theoretical peak (BUSBW_PASS/WARN).
    """
    if not result.get("ok"):
        return _judge_failure(result)
    reasons: list[str] = []
    statuses: list[Status] = []
    findings: list[Finding] = []
    ranks = result.get("ranks") or []
    losses = [x for r in ranks for x in (r.get("losses") or [])]
    if any(not isinstance(x, (int, float)) or x != x or x in (float("inf"), float("-inf")) for x in losses):
        return DistVerdict(status=Status.FAIL, reasons=("a rank's loss is not finite",))
    local_gpus = sorted({int(r["local_rank"]) for r in ranks if r.get("local_rank") is not None})
    links = used_links(topology, local_gpus)
    kind = _link_kind(result, links)
    eff = result.get("scaling_efficiency")
    n = int(result.get("world_size") or 1)
    reasons.append(
        f"{n} rank(s) over {result.get('nnodes', 1)} node(s), {result.get('backend')}; link: {kind}"
        + (f" ({', '.join(f'GPU{a}-GPU{b} {c}' for a, b, c in links[:6])})" if links else "")
    )
    if not result.get("complete"):
        reasons.append(result.get("note") or "not every rank's numbers are here")
        return DistVerdict(status=Status.PASS, reasons=tuple(reasons), link=kind)
    if eff is not None and n > 1:
        pass_at, warn_at = EFFICIENCY_BANDS.get(kind, EFFICIENCY_BANDS["unknown"])
        st = Status.PASS if eff >= pass_at else Status.WARN if warn_at is None or eff >= warn_at else Status.FAIL
        statuses.append(st)
        reasons.append(
            f"scaling efficiency {eff:.0%}: {result.get('samples_per_s', 0):.1f} samples/s over {n} x {result.get('single_process_samples_per_s') or 0:.1f} "
            f"(pass >= {pass_at:.0%}"
            + (f", warn >= {warn_at:.0%})" if warn_at is not None else ", informational on CPU)")
        )
        if st != Status.PASS:
            findings.append(
                Finding(
                    id="dist_low_scaling",
                    severity=Severity.WARN if st == Status.WARN else Severity.ERROR,
                    message=f"{n} ranks reach {eff:.0%} of {n}x one rank's throughput over {kind}",
                    fix="see the topology and all-reduce table; a larger --batch-size per rank hides more of the gradient all-reduce",
                )
            )
    capability = None
    gpus: list[Any] = []
    if facts is not None:
        gpus = [g for g in facts.nvidia.gpus if g.index in local_gpus]
        capability = next((g.compute_capability for g in gpus if g.compute_capability), None)
    peak, how = expected_busbw(kind, links, gpus, capability)
    big = [e for e in result.get("allreduce") or [] if e.get("bytes", 0) >= BUSBW_MIN_BYTES]
    ratio = None
    if big and peak:
        best = max(e["busbw_gbs"] for e in big)
        ratio = best / peak
        st = _band(ratio, BUSBW_PASS, BUSBW_WARN)
        statuses.append(st)
        reasons.append(
            f"all-reduce busbw {best:.1f} GB/s is {ratio:.0%} of {how} (pass >= {BUSBW_PASS:.0%}, warn >= {BUSBW_WARN:.0%})"
        )
        if st != Status.PASS:
            findings.append(
                Finding(
                    id="dist_low_busbw",
                    severity=Severity.WARN if st == Status.WARN else Severity.ERROR,
                    message=f"all-reduce bus bandwidth {best:.1f} GB/s is {ratio:.0%} of the {kind} link's {peak:.1f} GB/s",
                    fix="run with NCCL_DEBUG=INFO to see the transport NCCL chose (P2P/SHM/NET); check `nvidia-smi topo -m` and ACS/IOMMU settings",
                )
            )
    elif result.get("allreduce"):
        top = max(result["allreduce"], key=lambda e: e["bytes"])
        reasons.append(f"all-reduce of {top['bytes'] / 2**20:.0f} MiB: busbw {top['busbw_gbs']:.2f} GB/s ({how})")
    reasons += explain_distributed(result, topology, links, kind, facts)
    for a, b, status in _topo_get(topology, "p2p") or []:
        if a in local_gpus and b in local_gpus and status != "ok":
            findings.append(
                Finding(
                    id="dist_no_p2p",
                    severity=Severity.WARN,
                    message=f"NVML: peer-to-peer between GPU {a} and GPU {b} is {status}: NCCL goes through host memory",
                    fix="check the BIOS (ACS, IOMMU) and that both GPUs sit under one PCIe root; NCCL_P2P_LEVEL cannot enable what the platform forbids",
                )
            )
    if kind != "cpu" and str((ranks or [{}])[0].get("device", "")).startswith("cuda") and n == 1:
        reasons.append("one GPU: no inter-GPU path was measured")
    return DistVerdict(
        status=_worst(statuses),
        reasons=tuple(reasons),
        findings=tuple(findings),
        link=kind,
        scaling_efficiency=eff,
        expected_busbw_gbs=peak,
        busbw_ratio=ratio,
    )


def explain_distributed(
    result: Mapping[str, Any], topology: Any, links: Sequence[tuple[int, int, str]], kind: str, facts: HostFacts | None
) -> list[str]:
    """What the topology and the machine show that would explain a low figure."""
    from envtool.probes.nvidia import link_class

    out: list[str] = []
    host = [f"GPU{a}-GPU{b} ({c})" for a, b, c in links if link_class(c) == "pcie_host"]
    if host:
        out.append(
            "these GPU pairs talk through the CPU's host bridge or across sockets, the slowest intra-node path: "
            + ", ".join(host[:6])
        )
    numa = dict(_topo_get(topology, "numa_affinity") or [])
    used = sorted({int(r["local_rank"]) for r in result.get("ranks") or [] if r.get("local_rank") is not None})
    nodes = {numa.get(g) for g in used if numa.get(g) is not None}
    if len(nodes) > 1:
        out.append(
            f"the ranks' GPUs sit on {len(nodes)} NUMA nodes ({', '.join(sorted(map(str, nodes)))}): traffic crosses the CPU interconnect"
        )
    if facts is not None:
        for g in facts.nvidia.gpus:
            if (
                g.index in used
                and g.pcie_width_current
                and g.pcie_width_max
                and g.pcie_width_current < g.pcie_width_max
            ):
                out.append(f"GPU {g.index}'s PCIe link runs at x{g.pcie_width_current} of x{g.pcie_width_max}")
    if kind == "cpu":
        threads = [r.get("threads") for r in result.get("ranks") or []]
        out.append(
            f"gloo on CPU: the ranks share this machine's cores ({threads} threads per rank) and memory bus, so part of the loss is compute sharing, not communication"
        )
    if kind == "network":
        out.append(
            "between nodes the network sets the pace: NCCL_DEBUG=INFO shows whether NCCL uses InfiniBand/RoCE (NET/IB) or plain TCP sockets (NET/Socket)"
        )
    return out


# What each failure means for the user, and the finding it becomes.
_FAILURE_FINDINGS = {
    "port_in_use": ("dist_port_in_use", "pick a free --master-port (or stop the job that holds it)"),
    "rendezvous_timeout": (
        "dist_rendezvous_timeout",
        "start the same command on every node (each with its --node-rank) within --rdzv-timeout; check that --master-addr is reachable from every node and the port is open",
    ),
    "rank_failed": ("dist_rank_failed", "read the failing rank's error above; rerun with --nproc 1 to see it alone"),
    "timeout": ("dist_timeout", "raise --timeout, or look for a rank stuck in a collective (NCCL_DEBUG=INFO)"),
}


def _judge_failure(result: Mapping[str, Any]) -> DistVerdict:
    err = result.get("error") or {}
    kind = str(err.get("kind", "crashed"))
    message = str(err.get("message", ""))
    fid, fix = _FAILURE_FINDINGS.get(
        kind, ("dist_failed", "run `envtool bench` (single process) first to check the environment itself")
    )
    finding = Finding(id=fid, severity=Severity.ERROR, message=message, fix=fix)
    return DistVerdict(
        status=Status.FAIL, reasons=(f"the distributed run failed ({kind}): {message}",), findings=(finding,)
    )

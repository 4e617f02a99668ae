"""`envtool bench`: time a real BERT fine-tuning step in the target environment and judge it."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from envtool.commands import HELPS
from envtool.commands._common import add_target, env_python, run_with_progress
from envtool.errors import EXIT_BAD_INPUT, EXIT_EXTERNAL, EXIT_FAILED, BadInputError
from envtool.model import CommandResult, Status, facts_to_data, to_jsonable

NAME = "bench"
HELP = HELPS[NAME]

# How a failed workload maps onto envtool's exit codes.
_EXIT_FOR_KIND = {
    "model_not_found": EXIT_BAD_INPUT,
    "bad_argument": EXIT_BAD_INPUT,
    "device_unavailable": EXIT_BAD_INPUT,
    "crashed": EXIT_EXTERNAL,
    "timeout": EXIT_EXTERNAL,
    "missing_dependency": EXIT_EXTERNAL,
    "import_error": EXIT_EXTERNAL,
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_target(p, "the environment to bench")
    p.add_argument(
        "--model",
        default=None,
        help="auto (default), tiny, mini, small, base, large, or a local Hugging Face BERT folder",
    )
    p.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"], default=None)
    p.add_argument("--batch-size", type=int, default=None, metavar="N")
    p.add_argument("--seq-len", type=int, default=None, metavar="N")
    p.add_argument("--steps", type=int, default=None, metavar="N")
    p.add_argument("--warmup", type=int, default=None, metavar="N")
    comp = p.add_mutually_exclusive_group()
    comp.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the model (default auto: compiled on GPUs, checked against eager; eager on CPUs)",
    )
    comp.add_argument("--no-compile", action="store_true", help="never torch.compile")
    p.add_argument(
        "--dropout",
        choices=["auto", "torch", "hash"],
        default=None,
        help="dropout masks: nn.Dropout (auto, torch) or a counter hash (hash: not the standard stack)",
    )
    p.add_argument("--device", default=None, help="auto, cpu, cuda:N (NVIDIA, or AMD under a ROCm torch), xpu:N or mps")
    p.add_argument(
        "--timeout", type=float, default=600.0, metavar="S", help="stop the workload after S seconds (default 600)"
    )
    p.add_argument(
        "--compare", metavar="FILE|last", help="show the change against an earlier run (a kept run or a --json output)"
    )
    p.add_argument("--no-save", action="store_true", help="do not keep this run in the cache directory")
    d = p.add_argument_group("multi-GPU and multi-node (torchrun in the target python)")
    d.add_argument(
        "--nproc",
        type=int,
        default=None,
        metavar="N",
        help="workers per node (one GPU each; gloo on CPU); turns on the distributed bench",
    )
    d.add_argument(
        "--nnodes", type=int, default=None, metavar="M", help="nodes in the job (default 1, or SLURM_NNODES under srun)"
    )
    d.add_argument(
        "--node-rank",
        type=int,
        default=None,
        metavar="R",
        help="this node's rank, 0 hosts the rendezvous (default 0, or SLURM_NODEID)",
    )
    d.add_argument(
        "--master-addr",
        default=None,
        metavar="HOST",
        help="node 0's address (default 127.0.0.1, or the first host of SLURM_JOB_NODELIST)",
    )
    d.add_argument(
        "--master-port",
        type=int,
        default=None,
        metavar="P",
        help="rendezvous port on node 0 (default 29500, or derived from SLURM_JOB_ID)",
    )
    d.add_argument(
        "--rdzv-timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="how long to wait for every node, and for a stuck collective (default 60)",
    )


def target_python(args: argparse.Namespace) -> str:
    if args.prefix:
        found = env_python(args.prefix)
        if found:
            return found
        raise BadInputError(
            f"--prefix {args.prefix}: no python in it (looked for bin/python); give an environment's directory"
        )
    if args.python:
        if not os.path.exists(args.python):
            raise BadInputError(f"--python {args.python}: no such file; give the path of a Python interpreter")
        return str(args.python)
    return sys.executable


def run(args: argparse.Namespace, ui: Any = None) -> CommandResult:
    from envtool import bench
    from envtool.detect import collect_facts

    python = target_python(args)
    if getattr(args, "nproc", None) is not None or getattr(args, "nnodes", None) is not None:
        return run_distributed(args, python, ui)
    if args.model and os.sep in args.model and not os.path.isdir(args.model):
        raise BadInputError(
            f"--model {args.model}: no such folder; give a local Hugging Face BERT folder or a size (tiny ... large)"
        )
    previous = bench.load_previous(args.compare) if args.compare else None
    facts = collect_facts(python=python)
    options = {
        k: getattr(args, k)
        for k in (
            "model",
            "precision",
            "batch_size",
            "seq_len",
            "steps",
            "warmup",
            "device",
            "compile",
            "no_compile",
            "dropout",
        )
    }
    options["peaks"], options["peak_source"] = _gpu_peaks(facts, args.device)
    start = time.monotonic()
    result = _run_with_phases(ui, python, options, args.timeout)
    verdict = bench.judge(result, facts)
    data: dict[str, Any] = {
        "python": python,
        "wall_s": time.monotonic() - start,
        "result": result,
        "verdict": to_jsonable(verdict),
    }
    if previous is not None:
        data["compare"] = {"against": previous[1], **bench.compare(result, previous[0]["result"])}
    if not args.no_save and result.get("ok"):
        data["saved_to"] = str(bench.save_result({**data, "facts": facts_to_data(facts)}))
    if not result.get("ok"):
        code = _EXIT_FOR_KIND.get((result.get("error") or {}).get("kind", ""), EXIT_FAILED)
        return CommandResult(command=NAME, data=data, errors=(verdict.reasons[0],), exit_code=code)
    return CommandResult(
        command=NAME,
        data=data,
        findings=verdict.findings,
        exit_code=EXIT_FAILED if verdict.status == Status.FAIL else 0,
    )


def _gpu_peaks(facts: Any, device: str | None) -> tuple[dict[str, float] | None, str | None]:
    """The sourced dense peaks of the accelerator the workload will use (``envtool.bench.peaks``), for its MFU."""
    from envtool import bench

    found = bench.device_peaks(facts, device)
    return (dict(found.peaks) or None), (found.source if found.peaks else None)


def _run_with_phases(ui: Any, python: str, options: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run the workload while the person sees which phase it is in (probing, compiling, timing)."""
    from envtool import bench

    title = "BERT bench"  # the phase needs the width; the python is in the result
    if ui is None:
        return bench.run_workload(python, options, timeout=timeout)
    with ui.progress(f"{title}: starting") as advance:
        return bench.run_workload(
            python,
            options,
            timeout=timeout,
            on_phase=lambda phase: advance(0, description=f"{title}: {phase}"),
        )


_EXIT_FOR_DIST_KIND = {
    "port_in_use": EXIT_BAD_INPUT,
    "rendezvous_timeout": EXIT_EXTERNAL,
    "timeout": EXIT_EXTERNAL,
    "crashed": EXIT_EXTERNAL,
    "missing_dependency": EXIT_EXTERNAL,
}


def run_distributed(args: argparse.Namespace, python: str, ui: Any = None) -> CommandResult:
    """``--nproc N``: this node's share of a torchrun job, aggregated and judged."""
    from envtool import bench
    from envtool.detect import collect_facts

    if args.compare:
        raise BadInputError("--compare works with the single-process bench only")
    if args.model and os.sep in args.model and not os.path.isdir(args.model):
        raise BadInputError(
            f"--model {args.model}: no such folder; give a local Hugging Face BERT folder or a size (tiny ... large)"
        )
    launch = bench.launch_from_env(
        os.environ,
        nproc=args.nproc or 1,
        nnodes=args.nnodes,
        node_rank=args.node_rank,
        master_addr=args.master_addr,
        master_port=args.master_port,
        rdzv_timeout=args.rdzv_timeout,
    )
    facts = collect_facts(python=python)
    options = {
        k: getattr(args, k) for k in ("model", "precision", "batch_size", "seq_len", "steps", "warmup", "device")
    }
    start = time.monotonic()
    result = run_with_progress(
        ui,
        f"{launch.world_size} ranks of DDP BERT steps + all-reduce in {python}",
        lambda: bench.run_distributed(python, launch, options, timeout=args.timeout),
    )
    topology = None
    if result.get("ok") and str((result.get("ranks") or [{}])[0].get("device", "")).startswith("cuda"):
        from envtool.probes.nvidia import probe_topology

        topo, notes = probe_topology(timeout=10.0)
        topology = to_jsonable(topo) if topo is not None else None
        result["topology"] = (
            topology
            if topology is not None
            else {"source": None, "reason": "; ".join(n.reason for n in notes if n.reason)}
        )
    else:
        result["topology"] = None
    verdict = bench.judge_distributed(result, topology, facts)
    data: dict[str, Any] = {
        "python": python,
        "wall_s": time.monotonic() - start,
        "result": result,
        "verdict": to_jsonable(verdict),
    }
    if not args.no_save and result.get("ok"):
        data["saved_to"] = str(bench.save_result({**data, "facts": facts_to_data(facts)}))
    if not result.get("ok"):
        err = result.get("error") or {}
        code = _EXIT_FOR_DIST_KIND.get(str(err.get("kind")), EXIT_FAILED)
        if err.get("kind") == "rank_failed":
            code = _EXIT_FOR_KIND.get(
                str(err.get("rank_error_kind")),
                EXIT_FAILED if err.get("rank_error_kind") in ("oom", "nan_loss", "injected_failure") else EXIT_EXTERNAL,
            )
        return CommandResult(
            command=NAME, data=data, findings=verdict.findings, errors=(verdict.reasons[0],), exit_code=code
        )
    return CommandResult(
        command=NAME,
        data=data,
        findings=verdict.findings,
        exit_code=EXIT_FAILED if verdict.status == Status.FAIL else 0,
    )


def render(result: CommandResult) -> list[Any]:
    from envtool.render import bench_renderables

    return bench_renderables(result)

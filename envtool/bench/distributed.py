"""Running the distributed bench: rank files, how a run failed, and the aggregate of the ranks' numbers."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envtool.bench.launch import Launch, dist_argv, is_local_address, port_in_use
from envtool.bench.run import run_smoke

DIST_SCHEMA = "envtool.dist_bench/1"


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
            "message": f"port {launch.master_port} on {launch.master_addr} is already in use: torchrun could not"
            " start its rendezvous store",
        }
    if _RDZV_TIMEOUT.search(done_text):
        line = next((ln.strip() for ln in done_text.splitlines() if _RDZV_TIMEOUT.search(ln)), "")
        return {
            "kind": "rendezvous_timeout",
            "message": f"not every node joined the rendezvous at {launch.master_addr}:{launch.master_port} within"
            f" {launch.rdzv_timeout:.0f} s ({launch.nnodes} node(s) expected): {line}",
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
        "efficiency_method": "same run: each rank also times the step inside DDP.no_sync() (no gradient all-reduce);"
        " single = mean of those",
        "allreduce": table,
    }


def run_distributed(
    python: str, launch: Launch, options: Mapping[str, Any], *, timeout: float, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Launch this node's share of the distributed bench with torchrun; the aggregated result (``ok: false`` too)."""
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
                "message": f"port {launch.master_port} on {launch.master_addr} is already in use"
                " (by another job, or a leftover run)",
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

"""One rank of the distributed BERT bench: DDP fine-tune steps, then an all-reduce sweep.

Launched by PyTorch's elastic launcher, never by hand-made process spawning::

    python -m torch.distributed.run --nproc-per-node N [--nnodes M --node-rank R
        --master-addr HOST --master-port P] -m finetune_smoke.dist_bench --json --out-dir DIR

torchrun sets RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT.
Each rank writes ``DIR/rank-<RANK>.json`` (its own numbers, or ``{"ok": false, "error"}`` when
it fails), so the launching side can tell which rank died. Rank 0 also gathers every rank's
numbers and writes ``DIR/result.json`` (schema ``finetune_smoke.dist_bench/1``) and, with
``--json``, prints that object on stdout.

Per rank it measures two phases on the same DDP-wrapped model, in the same processes:

* ``ddp``: ordinary DDP steps (forward, backward with the gradient all-reduce, AdamW);
* ``local``: the same steps inside ``DistributedDataParallel.no_sync()``, i.e. without the
  gradient all-reduce. This is the "single-process" figure: each rank keeps its own device,
  threads and memory, so the ratio isolates what communication costs. (A separate 1-process
  launch would need a second model load and, on a CPU, would get all cores instead of its share,
  which measures core sharing rather than the inter-process path.)

The all-reduce sweep times ``dist.all_reduce`` (sum, float32) over message sizes and reports
the max over ranks of the mean time per call, from which the launching side computes nccl-tests'
algbw and busbw.

Hidden test hooks: ``--fail-rank N`` (or env ``FINETUNE_SMOKE_DIST_FAIL_RANK=N``) makes rank N
fail right after the process group is up; ``--hang-rank N`` (or ``FINETUNE_SMOKE_DIST_HANG_RANK``)
makes rank N sleep forever there.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import socket
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run by file path: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
from finetune_smoke.bench import (
    SIZES,
    AutoShape,
    Stepper,
    _import_torch,
    _is_oom,
    build_model,
    make_optimizer,
    prior_precision,
    read_cpu_info,
    resolve_model_spec,
    synthetic_batches,
)
from finetune_smoke.flops import bert_train_flops, step_stats

SCHEMA = "finetune_smoke.dist_bench/1"

# Per-rank defaults. GPU: BERT-base at B=64, S=128 per rank (about 10 GB with AdamW states, so it
# fits any data-centre GPU; a batch large enough that DDP can hide the gradient all-reduce behind
# the backward pass, as real fine-tunes do). CPU: BERT-mini at B=8 keeps a 2-rank run on a
# 2-core machine within seconds per step.
GPU_AUTO: AutoShape = {"model": "base", "batch_size": 64, "steps": 20, "warmup": 5}
CPU_AUTO: AutoShape = {"model": "mini", "batch_size": 8, "steps": 4, "warmup": 1}
# All-reduce message sizes (bytes). GPU: 1 MiB .. 1 GiB in x4 steps, the range where nccl-tests'
# busbw reaches its plateau on NVLink and PCIe. CPU (gloo over loopback or TCP): 64 KiB .. 4 MiB,
# small enough for a 2-core CI machine.
GPU_SIZES = tuple(1 << s for s in range(20, 31, 2))
CPU_SIZES = tuple(1 << s for s in range(16, 23, 2))


def sweep_sizes(min_bytes: int | None, max_bytes: int | None, *, on_gpu: bool) -> list[int]:
    """The message sizes of the all-reduce sweep: x4 steps, float32 multiples, within the bounds."""
    default = GPU_SIZES if on_gpu else CPU_SIZES
    lo = min_bytes if min_bytes is not None else default[0]
    hi = max_bytes if max_bytes is not None else default[-1]
    if lo < 4 or hi < lo:
        raise SmokeError(
            "bad_argument", f"all-reduce sizes: need 4 <= min ({lo}) <= max ({hi})", exit_code=EXIT_BAD_INPUT
        )
    out, size = [], lo
    while size <= hi:
        out.append(size - size % 4)
        size *= 4
    if out[-1] != hi - hi % 4:
        out.append(hi - hi % 4)
    return out


def _env_int(env: dict[str, str], name: str, default: int | None = None) -> int | None:
    raw = env.get(name, "").strip()
    return int(raw) if raw.lstrip("-").isdigit() else default


def _sync(torch: Any, device: Any) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed_steps(
    torch: Any, stepper: Stepper, data: list[dict[str, Any]], *, count: int, device: Any, ctx: Any = None
) -> tuple[list[float], list[Any]]:
    """Run ``count`` steps; wall time per step (the host waits for the device each step).

    The host syncs per step on a GPU too: a DDP step ends with the gradient all-reduce, and a
    per-step wall time is what the slowest rank sees, the number that scales.
    """
    import contextlib

    times: list[float] = []
    losses: list[Any] = []
    for i in range(count):
        _sync(torch, device)
        t0 = time.perf_counter()
        with ctx() if ctx is not None else contextlib.nullcontext():
            losses.append(stepper.step(data[i % len(data)]))
        _sync(torch, device)
        times.append(time.perf_counter() - t0)
    return times, losses


def allreduce_sweep(
    torch: Any, dist: Any, *, sizes: Sequence[int], device: Any, iters: int, warmup: int
) -> list[dict[str, Any]]:
    """Mean seconds per ``all_reduce`` of each size on this rank, between barriers."""
    out = []
    for size in sizes:
        t = torch.ones(size // 4, dtype=torch.float32, device=device)
        for _ in range(warmup):
            dist.all_reduce(t)
        _sync(torch, device)
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(iters):
            dist.all_reduce(t)
        _sync(torch, device)
        dt = (time.perf_counter() - t0) / iters
        out.append({"bytes": size, "time_s": dt, "iters": iters})
        del t
    return out


def die_with_parent() -> None:
    """End this rank when its launcher dies, even by SIGKILL.

    torchrun starts every worker in a session of its own, so a caller that kills torchrun's
    process group (envtool's timeout does) would not reach the workers. Linux: the kernel sends
    SIGKILL when the parent goes (prctl PR_SET_PDEATHSIG = 1, linux/prctl.h). Elsewhere, and as
    a second line, a daemon thread exits the process once the parent pid changes (reparenting).
    """
    import signal
    import threading

    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent or parent == 1:  # the launcher is already gone
        os._exit(EXIT_FAILED)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(EXIT_FAILED)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def run_rank(ns: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """This rank's part; returns rank 0's gathered result (other ranks: their own)."""
    torch = _import_torch()
    import torch.distributed as dist  # noqa: PLC0415

    quiet_transformers()
    try:
        import transformers  # noqa: PLC0415
    except ImportError as exc:
        raise SmokeError("import_error", f"transformers is not importable in {sys.executable}: {exc}") from exc

    rank = _env_int(env, "RANK", 0) or 0
    local_rank = _env_int(env, "LOCAL_RANK", 0) or 0
    world = _env_int(env, "WORLD_SIZE", 1) or 1
    want_gpu = ns.device in ("auto", "cuda") and torch.cuda.is_available()
    if ns.device == "cuda" and not torch.cuda.is_available():
        raise SmokeError(
            "device_unavailable", "--device cuda: no CUDA device is visible to this torch", exit_code=EXIT_BAD_INPUT
        )
    if want_gpu:
        if local_rank >= torch.cuda.device_count():
            raise SmokeError(
                "device_unavailable",
                f"local rank {local_rank} has no GPU: only {torch.cuda.device_count()} visible; use --nproc <= that",
                exit_code=EXIT_BAD_INPUT,
            )
        device = torch.device("cuda", local_rank)  # one GPU per local rank
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        device = torch.device("cpu")
        backend = "gloo"
    threads = _env_int(env, "OMP_NUM_THREADS")
    if device.type == "cpu" and threads:
        torch.set_num_threads(threads)

    timeout = datetime.timedelta(seconds=ns.timeout)
    kwargs: dict[str, Any] = {"backend": backend, "timeout": timeout}
    if backend == "nccl":
        kwargs["device_id"] = device  # binds the communicator eagerly to this rank's GPU
    try:
        dist.init_process_group(**kwargs)
    except TypeError:  # torch < 2.3 has no device_id
        kwargs.pop("device_id", None)
        dist.init_process_group(**kwargs)
    try:
        fail_rank = ns.fail_rank if ns.fail_rank is not None else _env_int(env, "FINETUNE_SMOKE_DIST_FAIL_RANK")
        if fail_rank == rank:
            raise SmokeError("injected_failure", f"rank {rank} failed on purpose (test hook)")
        hang_rank = ns.hang_rank if ns.hang_rank is not None else _env_int(env, "FINETUNE_SMOKE_DIST_HANG_RANK")
        if hang_rank == rank:
            log(f"dist_bench rank {rank}: hanging on purpose (test hook)")
            time.sleep(10**6)
        result = _bench(
            torch, dist, transformers, ns, rank=rank, local_rank=local_rank, world=world, device=device, backend=backend
        )
        # Every rank is past the gather before any tears its group down, and the result is on
        # disk before the teardown: a peer closing its sockets first has been seen to abort a
        # gloo rank (SIGABRT) after the work was done.
        dist.barrier()
        if ns.out_dir:
            _persist(Path(ns.out_dir), rank, result)
        if _env_int(env, "FINETUNE_SMOKE_DIST_ABORT_AT_EXIT") == rank:  # test hook: a crash in teardown
            os.abort()
        return result
    finally:
        # A broken group at exit changes nothing for the result.
        with contextlib.suppress(Exception):
            dist.destroy_process_group()


def _bench(
    torch: Any,
    dist: Any,
    transformers: Any,
    ns: argparse.Namespace,
    *,
    rank: int,
    local_rank: int,
    world: int,
    device: Any,
    backend: str,
) -> dict[str, Any]:
    from torch.nn.parallel import DistributedDataParallel as DDP  # noqa: PLC0415

    auto = GPU_AUTO if device.type == "cuda" else CPU_AUTO
    cpu = read_cpu_info()
    capability = torch.cuda.get_device_capability(device) if device.type == "cuda" else None
    precision, precision_reason = prior_precision(
        ns.precision, device_type=device.type, capability=capability, cpu_flags=cpu.flags
    )
    model_arg = auto["model"] if ns.model == "auto" else ns.model
    name, size, folder = resolve_model_spec(model_arg, device.type)
    steps = ns.steps if ns.steps is not None else auto["steps"]
    warmup = ns.warmup if ns.warmup is not None else auto["warmup"]
    batch = ns.batch_size if ns.batch_size is not None else auto["batch_size"]
    if steps < 1 or warmup < 0 or batch < 1 or ns.seq_len < 1:
        raise SmokeError(
            "bad_argument", "steps, batch-size and seq-len must be >= 1, warmup >= 0", exit_code=EXIT_BAD_INPUT
        )
    tf32 = False
    if device.type == "cuda" and capability is not None and capability >= (8, 0):
        torch.set_float32_matmul_precision("high")
        torch.backends.cudnn.allow_tf32 = True
        tf32 = True

    # The same seed on every rank: DDP broadcasts rank 0's weights anyway; the data differs per rank.
    model = build_model(torch, size, folder, seed=ns.seed).to(device)
    model.train()
    mc = model.config
    ddp = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer, opt_name = make_optimizer(torch, ddp.parameters(), lr=1e-4, device_type=device.type)
    stepper = Stepper(torch=torch, model=ddp, optimizer=optimizer, device=device, precision=precision)
    data = synthetic_batches(
        torch, batch=batch, seq_len=ns.seq_len, vocab=mc.vocab_size, device=device, count=2, seed=ns.seed + 1 + rank
    )

    log(f"dist_bench rank {rank}/{world}: {name} B={batch} S={ns.seq_len} {precision} on {device} ({backend})")
    try:
        _timed_steps(torch, stepper, data, count=warmup, device=device)
        dist.barrier()
        ddp_times, ddp_losses = _timed_steps(torch, stepper, data, count=steps, device=device)
        dist.barrier()
        # One untimed no_sync step first: the reducer's first pass in this mode rebuilds state.
        _timed_steps(torch, stepper, data, count=1, device=device, ctx=ddp.no_sync)
        local_times, local_losses = _timed_steps(torch, stepper, data, count=steps, device=device, ctx=ddp.no_sync)
        dist.barrier()
    except Exception as exc:  # noqa: BLE001
        if _is_oom(torch, exc):
            raise SmokeError(
                "oom",
                f"rank {rank}: batch {batch} at seq-len {ns.seq_len} runs out of memory on {device}; give a smaller "
                "--batch-size",
            ) from exc
        raise
    losses = [float(x) for x in torch.stack([x.float() for x in ddp_losses + local_losses]).cpu().tolist()]
    bad = [i + 1 for i, v in enumerate(losses) if not math.isfinite(v)]
    if bad:
        raise SmokeError("nan_loss", f"rank {rank}: loss became {losses[bad[0] - 1]} at timed step {bad[0]}")

    sweep: list[dict[str, Any]] = []
    if world > 1 and not ns.no_allreduce:
        sizes = sweep_sizes(ns.allreduce_min_bytes, ns.allreduce_max_bytes, on_gpu=device.type == "cuda")
        iters = ns.allreduce_iters if ns.allreduce_iters is not None else (20 if device.type == "cuda" else 5)
        sweep = allreduce_sweep(torch, dist, sizes=sizes, device=device, iters=iters, warmup=2)

    ddp_stats = step_stats(ddp_times)
    local_stats = step_stats(local_times)
    flops_step = bert_train_flops(batch=batch, seq_len=ns.seq_len, layers=mc.num_hidden_layers, hidden=mc.hidden_size)
    mine = {
        "rank": rank,
        "local_rank": local_rank,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu.model_name,
        "threads": torch.get_num_threads(),
        "batch_size": batch,
        "ddp": {"step_time_s": {**ddp_stats, "times": ddp_times}, "samples_per_s": batch / ddp_stats["median"]},
        "local": {"step_time_s": {**local_stats, "times": local_times}, "samples_per_s": batch / local_stats["median"]},
        "samples_per_s": batch / ddp_stats["median"],
        "tflops": flops_step / ddp_stats["median"] / 1e12,
        "losses": losses,
        "allreduce": sweep,
    }
    gathered: list[Any] = [None] * world
    dist.all_gather_object(gathered, mine)
    common = {
        "schema": SCHEMA,
        "world_size": world,
        "backend": backend,
        "model": {
            "name": name,
            "num_hidden_layers": mc.num_hidden_layers,
            "hidden_size": mc.hidden_size,
            "parameters": sum(p.numel() for p in model.parameters()),
        },
        "seq_len": ns.seq_len,
        "precision": precision,
        "precision_reason": precision_reason,
        "tf32": tf32,
        "optimizer": opt_name,
        "steps": steps,
        "warmup": warmup,
        "flops_per_step_per_rank": flops_step,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "cuda": getattr(torch.version, "cuda", None),
            "nccl": ".".join(map(str, torch.cuda.nccl.version())) if backend == "nccl" else None,
        },
    }
    return {**common, "ok": True, "rank": rank, "ranks": sorted(gathered, key=lambda r: r["rank"]), "self": mine}


def _write(path: Path, obj: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj), encoding="utf-8")
    os.replace(tmp, path)  # a reader never sees half a file


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m finetune_smoke.dist_bench`` (one rank)."""
    p = JsonArgumentParser(
        prog="finetune_smoke.dist_bench",
        description="One rank of the DDP BERT bench and all-reduce sweep (run under torchrun).",
    )
    p.add_argument("--model", default="auto", help=f"auto, {', '.join(SIZES)}, or a local Hugging Face BERT folder")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"])
    p.add_argument("--batch-size", type=int, default=None, help="per rank (default 64 on GPU, 8 on CPU)")
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cpu", "cuda"],
        help="cuda: one GPU per local rank (NCCL); cpu: gloo",
    )
    p.add_argument("--allreduce-min-bytes", type=int, default=None)
    p.add_argument("--allreduce-max-bytes", type=int, default=None)
    p.add_argument("--allreduce-iters", type=int, default=None)
    p.add_argument("--no-allreduce", action="store_true", help="skip the all-reduce sweep")
    p.add_argument("--timeout", type=float, default=300.0, help="process-group timeout of every collective, seconds")
    p.add_argument("--out-dir", default=None, help="write rank-<RANK>.json (and rank 0: result.json) here")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--debug", action="store_true")
    p.add_argument("--fail-rank", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--hang-rank", type=int, default=None, help=argparse.SUPPRESS)
    return p


def _persist(out_dir: Path, rank: int, result: dict[str, Any]) -> None:
    """This rank's file, and on rank 0 the gathered result, for the launching side to read."""
    try:
        _write(out_dir / f"rank-{rank}.json", {k: v for k, v in result.items() if k != "ranks"})
        if rank == 0 and result.get("ok"):
            _write(out_dir / "result.json", {k: v for k, v in result.items() if k not in ("self", "rank")})
    except OSError as exc:
        log(f"dist_bench rank {rank}: cannot write to {out_dir}: {exc}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of one rank; returns its exit code (0 ok, 1 failed, 2 bad input)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    as_json, debug = wants_json(args_list), wants_debug(args_list)
    env = dict(os.environ)
    rank = _env_int(env, "RANK", 0) or 0
    out_dir: Path | None = None
    if "TORCHELASTIC_RUN_ID" in env or "LOCAL_RANK" in env:  # under torchrun, not run by hand
        die_with_parent()
    try:
        ns = build_parser().parse_args(args_list)
        out_dir = Path(ns.out_dir) if ns.out_dir else None
        result = run_rank(ns, env)
        code = EXIT_OK
    except SmokeError as exc:
        if debug:
            raise
        result = {"schema": SCHEMA, "ok": False, "rank": rank, "error": exc.to_json()}
        code = exc.exit_code
    except KeyboardInterrupt:
        result = {
            "schema": SCHEMA,
            "ok": False,
            "rank": rank,
            "error": {"kind": "interrupted", "message": "interrupted"},
        }
        code = 130
    except Exception as exc:  # noqa: BLE001 - a collective that timed out or a peer that vanished lands here too
        if debug:
            raise
        tail = traceback.format_exc().strip().splitlines()[-3:]
        result = {
            "schema": SCHEMA,
            "ok": False,
            "rank": rank,
            "error": {"kind": "internal", "message": f"rank {rank}: {type(exc).__name__}: {exc}", "where": tail},
        }
        code = EXIT_FAILED
    if out_dir is not None:
        _persist(out_dir, rank, result)
    if rank == 0 or not result.get("ok"):
        shown = {k: v for k, v in result.items() if k not in ("self",)}
        emit(shown, as_json=as_json, human=json.dumps(shown, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())

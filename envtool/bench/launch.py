"""Where this node sits in a distributed bench: Slurm host lists, torchrun's command line, ports.

`envtool bench --nproc N`: PyTorch's own elastic launcher (torch.distributed.run, torchrun) in
the target python runs N copies of finetune_smoke.dist_bench per node; envtool only builds its
command line, bounds it in time, reads the ranks' JSON files and judges them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envtool.errors import BadInputError

DEFAULT_MASTER_PORT = 29500  # torchrun's own default for --master-port (torch/distributed/run.py)


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
            f"--nproc {nproc} --nnodes {nnodes} --node-rank {node_rank}: need nproc >= 1, nnodes >= 1 and 0 <= "
            "node-rank < nnodes"
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
    return bool(target & mine) or any(str(a).startswith("127.") for a in target)


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

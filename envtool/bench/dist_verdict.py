"""The distributed verdict: scaling efficiency and all-reduce bandwidth against the links the ranks use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from envtool.bench.verdict import _band, _worst
from envtool.model import Finding, HostFacts, Severity, Status

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
#   https://alpha-one-index.github.io/ai-infra-index/specs/networking-interconnects.html
#   (NVLink 2.0: 6 links, 50 GB/s per link bidirectional)
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
            f"scaling efficiency {eff:.0%}: {result.get('samples_per_s', 0):.1f} samples/s over {n} x "
            f"{result.get('single_process_samples_per_s') or 0:.1f} "
            f"(pass >= {pass_at:.0%}"
            + (f", warn >= {warn_at:.0%})" if warn_at is not None else ", informational on CPU)")
        )
        if st != Status.PASS:
            findings.append(
                Finding(
                    id="dist_low_scaling",
                    severity=Severity.WARN if st == Status.WARN else Severity.ERROR,
                    message=f"{n} ranks reach {eff:.0%} of {n}x one rank's throughput over {kind}",
                    fix="see the topology and all-reduce table; a larger --batch-size per rank hides more of the "
                    "gradient all-reduce",
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
            f"all-reduce busbw {best:.1f} GB/s is {ratio:.0%} of {how} (pass >= {BUSBW_PASS:.0%}, warn >= "
            f"{BUSBW_WARN:.0%})"
        )
        if st != Status.PASS:
            findings.append(
                Finding(
                    id="dist_low_busbw",
                    severity=Severity.WARN if st == Status.WARN else Severity.ERROR,
                    message=f"all-reduce bus bandwidth {best:.1f} GB/s is {ratio:.0%} of the {kind} link's {peak:.1f} "
                    "GB/s",
                    fix="run with NCCL_DEBUG=INFO to see the transport NCCL chose (P2P/SHM/NET); check `nvidia-smi "
                    "topo -m` and ACS/IOMMU settings",
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
                    message=f"NVML: peer-to-peer between GPU {a} and GPU {b} is {status}: NCCL goes through host "
                    "memory",
                    fix="check the BIOS (ACS, IOMMU) and that both GPUs sit under one PCIe root; NCCL_P2P_LEVEL cannot "
                    "enable what the platform forbids",
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
            f"the ranks' GPUs sit on {len(nodes)} NUMA nodes ({', '.join(sorted(map(str, nodes)))}): traffic crosses "
            "the CPU interconnect"
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
            f"gloo on CPU: the ranks share this machine's cores ({threads} threads per rank) and memory bus, so part "
            "of the loss is compute sharing, not communication"
        )
    if kind == "network":
        out.append(
            "between nodes the network sets the pace: NCCL_DEBUG=INFO shows whether NCCL uses InfiniBand/RoCE (NET/IB) "
            "or plain TCP sockets (NET/Socket)"
        )
    return out


# What each failure means for the user, and the finding it becomes.
_FAILURE_FINDINGS = {
    "port_in_use": ("dist_port_in_use", "pick a free --master-port (or stop the job that holds it)"),
    "rendezvous_timeout": (
        "dist_rendezvous_timeout",
        "start the same command on every node (each with its --node-rank) within --rdzv-timeout; check that "
        "--master-addr is reachable from every node and the port is open",
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

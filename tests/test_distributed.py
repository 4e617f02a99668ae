"""`envtool bench --nproc`: torchrun launches, failures that end cleanly, topology, verdict rules."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from envtool_cli import cli_json

from envtool import bench
from envtool.bench import dist_verdict
from envtool.model import Status
from envtool.probes import nvidia as nvml

PYTHON = os.environ.get("ENVTOOL_TEST_PYTHON") or __import__("sys").executable
WORKER = "finetune_smoke.dist_bench"
# The smallest real run: BERT-tiny, 4 sequences per rank, 2 timed steps, small all-reduce sizes.
TINY = {"model": "tiny", "batch_size": 4, "seq_len": 64, "steps": 2, "warmup": 1, "allreduce_max_bytes": 1 << 20}

# Real `nvidia-smi topo -m` matrices quoted in public GitHub files (found with the code search;
# the index did not give their repository names): a 4x A100-SXM4-80GB node with one RoCE NIC
# (index id 61378134661), and a 2-GPU node whose GPUs meet only across sockets (SYS) with two
# mlx5 NICs (index id 29543893137). Copied byte for byte, tabs included.
A100_X4_TOPO = (
    "\tGPU0\tGPU1\tGPU2\tGPU3\tNIC0\tCPU Affinity\tNUMA Affinity\tGPU NUMA ID\n"
    "GPU0\t X \tNV12\tNV12\tNV12\tSYS\t32-63,96-127\t1\t\tN/A\n"
    "GPU1\tNV12\t X \tNV12\tNV12\tSYS\t32-63,96-127\t1\t\tN/A\n"
    "GPU2\tNV12\tNV12\t X \tNV12\tSYS\t32-63,96-127\t1\t\tN/A\n"
    "GPU3\tNV12\tNV12\tNV12\t X \tSYS\t32-63,96-127\t1\t\tN/A\n"
    "NIC0\tSYS\tSYS\tSYS\tSYS\t X \t\t\t\t\n"
    "\n"
    "Legend:\n"
    "\n"
    "  X    = Self\n"
)
SYS_X2_TOPO = (
    "\tGPU0\tGPU1\tmlx5_0\tmlx5_1\tCPU Affinity\tNUMA Affinity\n"
    "GPU0\t X \tSYS\tSYS\tSYS\t0\t0-1\n"
    "GPU1\tSYS\t X \tSYS\tSYS\t0\t0-1\n"
    "mlx5_0\tSYS\tSYS\t X \tSYS\t\t\n"
    "mlx5_1\tSYS\tSYS\tSYS\t X \t\t\n"
    "\n"
    "Legend:\n"
)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def leftover_workers() -> list[str]:
    """Live (non-zombie) processes of this checkout's python running the worker or a torchrun of it.

    Only this interpreter's (``sys.prefix``): another checkout's test run on the same machine is not ours.
    """
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if WORKER in cmd and sys.prefix in cmd and state != "Z":
            found.append(f"{d.name}: {cmd}")
    return found


def assert_no_leftovers() -> None:
    # killpg is immediate, but a SIGKILLed process may take a moment to be reaped.
    deadline = time.monotonic() + 5
    while leftover_workers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftover_workers() == []


# --------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        ("node01", ["node01"]),
        ("node[01-03]", ["node01", "node02", "node03"]),
        ("gpu[08-10,15],login1", ["gpu08", "gpu09", "gpu10", "gpu15", "login1"]),
        ("a[1-2]-b[1-2]", ["a1-b1", "a1-b2", "a2-b1", "a2-b2"]),
        ("x1,y[3,5]", ["x1", "y3", "y5"]),
    ],
)
def test_slurm_nodelist(text: str, hosts: list[str]) -> None:
    assert bench.parse_slurm_nodelist(text) == hosts


def test_launch_reads_slurm_unless_given() -> None:
    env = {"SLURM_JOB_ID": "123456", "SLURM_NNODES": "4", "SLURM_NODEID": "2", "SLURM_JOB_NODELIST": "gpu[07-10]"}
    launch = bench.launch_from_env(env, nproc=8)
    assert (launch.nnodes, launch.node_rank, launch.master_addr, launch.source) == (4, 2, "gpu07", "slurm")
    assert launch.master_port == 20000 + 123456 % 20000 and launch.world_size == 32
    given = bench.launch_from_env(env, nproc=8, nnodes=2, node_rank=0, master_addr="10.0.0.1", master_port=29400)
    assert (given.nnodes, given.node_rank, given.master_addr, given.master_port) == (2, 0, "10.0.0.1", 29400)
    plain = bench.launch_from_env({}, nproc=2)
    assert (plain.nnodes, plain.node_rank, plain.master_addr, plain.master_port, plain.source) == (
        1,
        0,
        "127.0.0.1",
        29500,
        "arguments",
    )
    with pytest.raises(Exception, match="node-rank"):
        bench.launch_from_env({}, nproc=2, nnodes=2, node_rank=2)


def test_torchrun_command_line() -> None:
    launch = bench.Launch(nproc=4, nnodes=2, node_rank=1, master_addr="n1", master_port=29400, rdzv_timeout=30)
    argv = bench.dist_argv("/env/bin/python", launch, {"model": "base", "batch_size": 32, "device": "cuda:0"}, "/out")
    assert argv[:3] == ["/env/bin/python", "-m", "torch.distributed.run"]
    joined = " ".join(argv)
    for part in (
        "--nproc-per-node 4",
        "--nnodes 2",
        "--node-rank 1",
        "--master-addr n1",
        "--master-port 29400",
        "--max-restarts 0",
        "--rdzv-conf timeout=30",
        f"-m {WORKER} --json --out-dir /out --timeout 30",
        "--batch-size 32",
        "--device cuda",
    ):
        assert part in joined, part


def test_topo_parser_on_the_captured_h100(nvidia_smi_fixtures: Path) -> None:
    text = (nvidia_smi_fixtures / "h100-80gb-mig-driver590-capture.txt").read_text(encoding="utf-8")
    # the section: after its "# $ nvidia-smi topo -m" banner and rule line, up to the next rule
    section = text.split("# $ nvidia-smi topo -m\n", 1)[1].split("\n", 1)[1].split("\n" + "#" * 20, 1)[0]
    topo = nvml.parse_nvidia_smi_topo(section)  # the header row is wrapped in ANSI underline codes
    assert topo is not None and topo.gpus == (0,) and topo.links == ()
    assert topo.cpu_affinity == ((0, "0-19"),) and topo.numa_affinity == ((0, "0"),)


def test_topo_parser_on_multi_gpu_matrices() -> None:
    a100 = nvml.parse_nvidia_smi_topo(A100_X4_TOPO)
    assert a100 is not None and a100.gpus == (0, 1, 2, 3) and a100.nics == ("NIC0",)
    assert len(a100.links) == 6 and {c for _, _, c in a100.links} == {"NV12"}
    assert dict(a100.numa_affinity) == {0: "1", 1: "1", 2: "1", 3: "1"}
    sys2 = nvml.parse_nvidia_smi_topo(SYS_X2_TOPO)
    assert sys2 is not None and sys2.links == ((0, 1, "SYS"),) and sys2.nics == ("mlx5_0", "mlx5_1")
    assert nvml.parse_nvidia_smi_topo("No devices were found\n") is None
    assert [nvml.link_class(c) for c in ("NV12", "PIX", "PXB", "PHB", "NODE", "SYS")] == [
        "nvlink",
        "pcie",
        "pcie",
        "pcie_host",
        "pcie_host",
        "pcie_host",
    ]


def test_topology_from_nvml_answers() -> None:
    # NVML levels and P2P statuses are nvml.h enums (values from nvidia-ml-py's pynvml.py).
    topo = nvml.topology_from_nvml({(0, 1): (50, 5, 5), (0, 2): (10, 0, 0), (1, 2): (None, None, None)}, [0, 1, 2])
    assert topo.links == ((0, 1, "SYS"), (0, 2, "NV"), (1, 2, "?"))
    assert topo.p2p == ((0, 1, "not_supported"), (0, 2, "ok"))


def rank(r: int, samples: float, local: float, ar: list[tuple[int, float]], device: str = "cuda:0") -> dict:
    return {
        "rank": r,
        "local_rank": r,
        "device": device,
        "batch_size": 64,
        "ddp": {"samples_per_s": samples, "step_time_s": {"median": 64 / samples}},
        "local": {"samples_per_s": local, "step_time_s": {"median": 64 / local}},
        "losses": [0.7, 0.69],
        "allreduce": [{"bytes": b, "time_s": t} for b, t in ar],
    }


def test_aggregate_uses_the_nccl_tests_definitions() -> None:
    size = 1 << 30
    raw = {"world_size": 4, "ranks": [rank(i, 100.0, 110.0, [(size, 0.010 + i * 0.001)]) for i in range(4)]}
    agg = bench.aggregate(raw)
    assert agg["complete"] and agg["samples_per_s"] == pytest.approx(400.0)
    assert agg["scaling_efficiency"] == pytest.approx(400.0 / (4 * 110.0))
    row = agg["allreduce"][0]
    assert row["time_s"] == pytest.approx(0.013)  # the slowest rank
    assert row["algbw_gbs"] == pytest.approx(size / 0.013 / 1e9)
    assert row["busbw_gbs"] == pytest.approx(row["algbw_gbs"] * 2 * 3 / 4)
    half = bench.aggregate({"world_size": 4, "ranks": raw["ranks"][:2]})
    assert not half["complete"] and half["scaling_efficiency"] is None


def gpu_result(eff: float, busbw_gbs: float, n: int = 2) -> dict:
    single = 100.0
    return {
        "ok": True,
        "backend": "nccl",
        "nnodes": 1,
        "world_size": n,
        "complete": True,
        "ranks": [rank(i, single * eff, single, []) for i in range(n)],
        "samples_per_s": n * single * eff,
        "single_process_samples_per_s": single,
        "scaling_efficiency": eff,
        "allreduce": [{"bytes": 1 << 30, "time_s": 0.01, "algbw_gbs": busbw_gbs, "busbw_gbs": busbw_gbs}],
    }


def test_verdict_nvlink_bands() -> None:
    topo = nvml.parse_nvidia_smi_topo(A100_X4_TOPO)
    from envtool.model import GpuInfo, HostFacts, NvidiaFacts

    facts = HostFacts(
        nvidia=NvidiaFacts(
            gpus=tuple(GpuInfo(index=i, name="NVIDIA A100-SXM4-80GB", compute_capability="8.0") for i in range(4))
        )
    )
    peak = 12 * dist_verdict.NVLINK_GBS_PER_LINK["8.0"]
    good = bench.judge_distributed(gpu_result(0.95, peak * 0.8), topo, facts)
    assert (
        good.status == Status.PASS and good.link == "nvlink" and good.expected_busbw_gbs == peak and not good.findings
    )
    slow = bench.judge_distributed(gpu_result(0.80, peak * 0.4), topo, facts)
    assert slow.status == Status.WARN and {f.id for f in slow.findings} == {"dist_low_scaling", "dist_low_busbw"}
    bad = bench.judge_distributed(gpu_result(0.5, peak * 0.1), topo, facts)
    assert bad.status == Status.FAIL


def test_verdict_pcie_from_captured_xml_explains_the_sys_path(nvidia_smi_fixtures: Path) -> None:
    # Two real RTX A5000s (their PCIe generation and width from the captured nvidia-smi -q -x).
    facts_nv = nvml.parse_nvidia_smi_xml(
        (nvidia_smi_fixtures / "rtx-a5000-x2-driver590.xml").read_text(encoding="utf-8")
    )
    from envtool.model import HostFacts

    facts = HostFacts(nvidia=facts_nv)
    g = facts_nv.gpus[0]
    assert g.pcie_gen_max and g.pcie_width_max
    peak = dist_verdict.PCIE_GBS_PER_LANE[g.pcie_gen_max] * g.pcie_width_max
    topo = nvml.parse_nvidia_smi_topo(SYS_X2_TOPO)
    v = bench.judge_distributed(gpu_result(0.7, peak * 0.2), topo, facts)
    assert v.link == "pcie_host" and v.expected_busbw_gbs == pytest.approx(peak)
    assert v.status == Status.FAIL  # busbw below 30 % of the link
    assert any("host bridge or across sockets" in r for r in v.reasons)
    assert bench.judge_distributed(gpu_result(0.8, peak * 0.7), topo, facts).status == Status.PASS


def test_cpu_efficiency_is_informational() -> None:
    r = gpu_result(0.3, 1.0)
    r["backend"] = "gloo"
    for x in r["ranks"]:
        x["device"] = "cpu"
    v = bench.judge_distributed(r)
    assert v.link == "cpu" and v.status == Status.WARN and [f.id for f in v.findings] == ["dist_low_scaling"]


def test_classify_failure_texts_torchrun_prints() -> None:
    launch = bench.Launch(nproc=1, nnodes=2, master_port=29613, rdzv_timeout=8)
    # The lines below are what torch 2.13's torchrun printed in this project's runs.
    inuse = (
        "torch.distributed.DistNetworkError: The server socket has failed to listen on any local network address."
        " port: 29612, useIpv6: false, code: -98, name: EADDRINUSE, message: address already in use"
    )
    client = (
        "torch.distributed.DistNetworkError: The client socket has timed out after 8000ms while trying to connect"
        " to (127.0.0.1, 29613)."
    )
    server = "torch.distributed.DistStoreError: Timed out after 9 seconds waiting for clients. 1/2 clients joined."
    assert (
        bench.classify_failure(inuse, timed_out=False, returncode=1, rank_errors=[], timeout=60, launch=launch)["kind"]
        == "port_in_use"
    )
    for text in (client, server):
        assert (
            bench.classify_failure(text, timed_out=False, returncode=1, rank_errors=[], timeout=60, launch=launch)[
                "kind"
            ]
            == "rendezvous_timeout"
        )
    assert (
        bench.classify_failure("", timed_out=True, returncode=None, rank_errors=[], timeout=60, launch=launch)["kind"]
        == "timeout"
    )


# --------------------------------------------------------------------------- real torchrun runs (gloo, CPU)


@pytest.mark.integration
def test_two_process_gloo_run_through_torchrun(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    port = free_port()
    code, out = cli_json(
        "bench",
        "--nproc",
        "2",
        "--master-port",
        str(port),
        "--model",
        "tiny",
        "--batch-size",
        "4",
        "--seq-len",
        "64",
        "--steps",
        "2",
        "--warmup",
        "1",
        "--no-save",
    )
    r = out["data"]["result"]
    assert r["ok"], r.get("error")
    assert r["world_size"] == 2 and r["backend"] == "gloo" and r["complete"]
    assert [x["rank"] for x in r["ranks"]] == [0, 1] and all(
        x["samples_per_s"] > 0 and x["local_samples_per_s"] > 0 for x in r["ranks"]
    )
    assert r["samples_per_s"] == pytest.approx(sum(x["samples_per_s"] for x in r["ranks"]))
    assert r["scaling_efficiency"] == pytest.approx(r["samples_per_s"] / (2 * r["single_process_samples_per_s"]))
    assert r["allreduce"] and all(
        e["busbw_gbs"] == pytest.approx(e["algbw_gbs"]) for e in r["allreduce"]
    )  # 2(n-1)/n = 1 at n=2
    assert r["launcher"][1:3] == ["-m", "torch.distributed.run"]
    assert out["data"]["verdict"]["link"] == "cpu" and code in (0, 1)
    assert_no_leftovers()


@pytest.mark.integration
def test_two_nodes_on_loopback(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    port = free_port()
    results: dict[int, dict] = {}

    def node(r: int) -> None:
        launch = bench.Launch(
            nproc=1, nnodes=2, node_rank=r, master_addr="127.0.0.1", master_port=port, rdzv_timeout=60
        )
        results[r] = bench.run_distributed(
            PYTHON, launch, TINY, timeout=240, env={**os.environ, "OMP_NUM_THREADS": "1"}
        )

    threads = [threading.Thread(target=node, args=(r,)) for r in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0]["ok"], results[0].get("error")
    assert results[1]["ok"], results[1].get("error")
    assert results[0]["world_size"] == 2 and results[0]["complete"] and results[0]["scaling_efficiency"] is not None
    assert [x["rank"] for x in results[1]["ranks"]] == [1] and not results[1]["complete"]
    v = bench.judge_distributed(results[0])
    assert v.link == "cpu" and "over 2 node(s)" in v.reasons[0]  # gloo on CPU stays informational
    assert_no_leftovers()


@pytest.mark.integration
def test_a_failing_rank_ends_the_run_with_a_finding(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    start = time.monotonic()
    code, out = cli_json(
        "bench",
        "--nproc",
        "2",
        "--master-port",
        str(free_port()),
        "--model",
        "tiny",
        "--batch-size",
        "2",
        "--seq-len",
        "32",
        "--steps",
        "1",
        "--warmup",
        "0",
        "--timeout",
        "120",
        "--no-save",
        env={"FINETUNE_SMOKE_DIST_FAIL_RANK": "1"},
    )
    assert time.monotonic() - start < 120
    err = out["data"]["result"]["error"]
    assert err["kind"] == "rank_failed" and err["rank"] == 1 and err["rank_error_kind"] == "injected_failure"
    assert [f["id"] for f in out["findings"]] == ["dist_rank_failed"] and code == 1 and out["status"] == "fail"
    assert_no_leftovers()


@pytest.mark.integration
def test_a_missing_peer_times_out_the_rendezvous(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    launch = bench.Launch(
        nproc=1, nnodes=2, node_rank=0, master_addr="127.0.0.1", master_port=free_port(), rdzv_timeout=5
    )
    start = time.monotonic()
    r = bench.run_distributed(PYTHON, launch, TINY, timeout=90, env=dict(os.environ))
    assert time.monotonic() - start < 90
    assert not r["ok"] and r["error"]["kind"] == "rendezvous_timeout", r
    v = bench.judge_distributed(r)
    assert v.status == Status.FAIL and [f.id for f in v.findings] == ["dist_rendezvous_timeout"]
    assert_no_leftovers()


@pytest.mark.integration
def test_a_hung_rank_is_killed_at_envtools_timeout(tmp_path: Path) -> None:
    # torchrun puts each worker in a session of its own, so killing torchrun's process group
    # alone would orphan them: the workers must die with their launcher.
    pytest.importorskip("torch")
    launch = bench.Launch(nproc=2, nnodes=1, master_addr="127.0.0.1", master_port=free_port(), rdzv_timeout=600)
    env = {**os.environ, "FINETUNE_SMOKE_DIST_HANG_RANK": "1", "OMP_NUM_THREADS": "1"}
    r = bench.run_distributed(PYTHON, launch, TINY, timeout=45, env=env)
    assert r["error"]["kind"] == "timeout" and r["wall_s"] < 60
    assert "hanging on purpose" in r["log_tail"]  # the workers were running when the timeout hit
    assert_no_leftovers()


def test_a_port_in_use_is_found_before_launching() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        code, out = cli_json("bench", "--nproc", "2", "--master-port", str(port), "--no-save")
    finally:
        holder.close()
    assert code == 2 and out["data"]["result"]["error"]["kind"] == "port_in_use"
    assert [f["id"] for f in out["findings"]] == ["dist_port_in_use"] and "launcher" not in out["data"]["result"]


@pytest.mark.integration
def test_a_crash_after_the_work_keeps_the_result_and_says_so(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    launch = bench.Launch(nproc=2, nnodes=1, master_addr="127.0.0.1", master_port=free_port(), rdzv_timeout=120)
    env = {**os.environ, "FINETUNE_SMOKE_DIST_ABORT_AT_EXIT": "1", "OMP_NUM_THREADS": "1"}
    r = bench.run_distributed(PYTHON, launch, TINY, timeout=240, env=env)
    assert r["ok"] and r["world_size"] == 2 and len(r["ranks"]) == 2
    assert "completed, then the launcher exited" in r["note"]
    assert_no_leftovers()

"""`envtool bench`: run the BERT workload in a target environment and judge it.

One module per job: ``verdict`` (the single-process judge), ``peaks`` (the device the workload
uses and its sourced peaks), ``run`` (running the workload in a target python), ``store`` (kept
runs and comparisons), ``launch`` (where a node sits in a distributed job), ``distributed``
(running and aggregating one), ``dist_verdict`` (its judge).
The names below are the package's API; the modules hold the rest.
"""

from __future__ import annotations

from envtool.bench.dist_verdict import DistVerdict, judge_distributed
from envtool.bench.distributed import aggregate, classify_failure, read_rank_files, run_distributed
from envtool.bench.launch import Launch, dist_argv, launch_from_env, parse_slurm_nodelist
from envtool.bench.peaks import DevicePeaks, device_peaks, peak_options, resolve_device
from envtool.bench.run import bench_argv, result_of, run_smoke, run_workload, workload_dir
from envtool.bench.store import compare, load_previous, results_dir, save_result
from envtool.bench.verdict import Verdict, gpu_peak, gpu_peaks, judge, reference_tflops

__all__ = [
    "DevicePeaks",
    "DistVerdict",
    "Launch",
    "Verdict",
    "aggregate",
    "bench_argv",
    "classify_failure",
    "compare",
    "device_peaks",
    "dist_argv",
    "gpu_peak",
    "gpu_peaks",
    "judge",
    "judge_distributed",
    "launch_from_env",
    "load_previous",
    "parse_slurm_nodelist",
    "peak_options",
    "read_rank_files",
    "reference_tflops",
    "resolve_device",
    "result_of",
    "results_dir",
    "run_distributed",
    "run_smoke",
    "run_workload",
    "save_result",
    "workload_dir",
]

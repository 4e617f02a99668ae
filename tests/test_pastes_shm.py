"""`envtool diagnose` on shared memory (/dev/shm) too small for DataLoader workers or NCCL (`shm_too_small`).

Docker gives a container 64 MB of /dev/shm; torch's DataLoader workers pass tensors through it and NCCL's
shared-memory transport keeps its buffers there (pytorch/pytorch's README: increase it "with --ipc=host or
--shm-size"). Each paste is inlined as far as the test needs it, with its thread and how it was settled.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# NVIDIA/nccl#342: NCCL 2.7.3 in nvidia/cuda:10.1-devel-ubuntu18.04; the reporter: "It is the /dev/shm size
# problem under the docker. By default, the shm size is limited to 64MB under docker."
NCCL_342 = (
    "Software: \n"
    "docker nvidia/cuda:10.1-devel-ubuntu18.04 image and\n"
    "libnccl2=2.7.3-1+cuda10.1 \\\n"
    "\n"
    "Error information:\n"
    "include/shm.h:28 NCCL WARN Call to posix_fallocate failed: No space left on device\n"
    "include/shm.h:48 NCCL WARN Error while creating shared memory segment nccl-shm-recv-250a7cc850ba9298-0-1-3 "
    "(size 9637888)\n"
)


def test_nccl_out_of_shared_memory_is_the_root_cause() -> None:
    code, env = _run(NCCL_342)
    assert env["data"]["verdict"]["cause"] == "shm_too_small", env["data"]["verdict"]
    assert ("shm_too_small", "error", [6, 7]) in _found(env), _found(env)
    assert code == 1


# pytorch/ci-infra#490 ("Add /dev/shm tmpfs mount to workflow pods"): timestamped NCCL lines of a CI pod.
CI_INFRA_490 = (
    "[2026-04-22 21:34:20] mt-l-x86iavx512-45-172-t4-4-csmpw-runner-g4sfw-workflow:202016:202235 [0] "
    "misc/shmutils.cc:88 NCCL WARN Error: failed to extend /dev/shm/nccl-WU88OE to 9637892 bytes, error: No space "
    "left on device (28)\n"
    "\n"
    "[2026-04-22 21:34:20] mt-l-x86iavx512-45-172-t4-4-csmpw-runner-g4sfw-workflow:202016:202235 [0] "
    "misc/shmutils.cc:132 NCCL WARN Error while creating shared memory segment /dev/shm/nccl-WU88OE (size 9637888), "
    "error: No space left on device (28)\n"
    "mt-l-x86iavx512-45-172-t4-4-csmpw-runner-g4sfw-workflow:202016:202235 [0] NCCL INFO transport/shm.cc:551 -> 2\n"
)


def test_timestamped_nccl_lines_name_both_failures() -> None:
    _, env = _run(CI_INFRA_490)
    assert ("shm_too_small", "error", [1, 3]) in _found(env), _found(env)
    shm = next(f for f in env["findings"] if f["id"] == "shm_too_small")
    assert "NCCL" in shm["message"] and "--shm-size" in shm["fix"], shm


# NVIDIA/nccl#1518: NCCL's own CUDA call failed ("Cuda failure 'invalid argument'") before the segment, and the
# reporter's /dev/shm had "plenty of space": the segment's failure is no sign of its size.
NCCL_1518 = (
    "My /dev/shm is 64MB and there's plenty of space\n"
    "[1] misc/shmutils.cc:103 NCCL WARN Cuda failure 'invalid argument'\n"
    "\n"
    "[1] misc/shmutils.cc:114 NCCL WARN Error while creating shared memory segment /dev/shm/nccl-NzwJ7O (size "
    "9637888)\n"
)


def test_a_segment_that_failed_on_a_cuda_call_is_no_shm_finding() -> None:
    _, env = _run(NCCL_1518)
    assert not any(f["id"] == "shm_too_small" for f in env["findings"]), env["findings"]


# fal-ai-community/video-diffusion-speedrun#2: the bare NCCL line and the container's `docker run`; the reporter
# fixed it with `--shm-size=1g`.
SPEEDRUN_2 = (
    "It almost worked except for the `Error while creating shared memory segment /dev/shm/nccl-pZafXL (size "
    "7340384)` when I tried it first time (Docker version 24.0.7, build 24.0.7-0ubuntu2~22.04.1)\n"
    "\n"
    "```docker run --gpus all --rm -it video-diffusion /bin/bash```\n"
)


def test_a_bare_segment_failure_in_a_container_is_a_warning_with_the_docker_fix() -> None:
    code, env = _run(SPEEDRUN_2)
    assert env["data"]["verdict"]["cause"] == "shm_too_small", env["data"]["verdict"]
    assert ("shm_too_small", "warn", [1]) in _found(env), _found(env)
    shm = next(f for f in env["findings"] if f["id"] == "shm_too_small")
    assert shm["fix"].startswith("start the container with a larger /dev/shm"), shm["fix"]
    assert code == 0


# qubvel-org/segmentation_models.pytorch#172: torch's SIGBUS hint glued to a tqdm bar, as the terminal drew it
# (a commenter: "This is because of the Docker .... ensure you specify the parameter shm_size").
SMP_172 = (
    "Epoch: 0\n"
    "train:   2%|██▋                                         | 1/46 [00:01<01:10,  1.56s/it, dice_loss - 0.9637, "
    "iou_score - 0.01636]ERROR: Unexpected bus error encountered in worker. This might be caused by insufficient "
    "shared memory (shm).\n"
    "ERROR: Unexpected bus error encountered in worker. This might be caused by insufficient shared memory (shm).\n"
)


def test_dataloader_bus_error_glued_to_a_progress_bar() -> None:
    _, env = _run(SMP_172)
    assert env["data"]["verdict"]["cause"] == "shm_too_small", env["data"]["verdict"]
    assert ("shm_too_small", "error", [2]) in _found(env), _found(env)  # a repeat is kept once
    assert env["data"]["verdict"]["settle"] == "df -h /dev/shm"  # no container shown: the size is to be seen


# logicalclocks/hopsworks#1557 (torch 2.x wording, in a Kubernetes deployment) and idiap/ESLAM#20 (fixed with
# `--shm-size="32g"`): the worker's death and ATen's failed write into /dev/shm.
HOPSWORKS_1557 = (
    "In k8s Deployment of Jupyter\n"
    "RuntimeError: DataLoader worker (pid 729) is killed by signal: Bus error. It is possible that dataloader's "
    "workers are out of shared memory. Please try to raise your shared memory limit.\n"
    "Traceback (most recent call last):\n"
    '  File "/srv/hops/anaconda/envs/hopsworks_environment/lib/python3.10/site-packages/torch/storage.py", line '
    "526, in _share_fd_cpu_\n"
    "    return super()._share_fd_cpu_(*args, **kwargs)\n"
    "RuntimeError: unable to write to file </torch_739_144252761_4>: No space left on device (28)\n"
)


def test_worker_killed_and_failed_write_in_a_pod_get_the_pod_fix() -> None:
    _, env = _run(HOPSWORKS_1557)
    assert ("shm_too_small", "error", [2, 6]) in _found(env), _found(env)
    shm = next(f for f in env["findings"] if f["id"] == "shm_too_small")
    assert shm["fix"].startswith("give the pod a larger /dev/shm") and "medium: Memory" in shm["fix"], shm["fix"]


# NVIDIA/flownet2-pytorch#43: torch 0.3's wording, with the TH allocator's source line; fixed with --ipc=host.
FLOWNET_43 = (
    "Error : RuntimeError: unable to write to file </torch_18693_1954506624> at "
    "/pytorch/torch/lib/TH/THAllocator.c:271\n"
)


def test_old_torch_failed_write_into_shm() -> None:
    _, env = _run(FLOWNET_43)
    assert env["data"]["verdict"]["cause"] == "shm_too_small", env["data"]["verdict"]
    assert ("shm_too_small", "error", [1]) in _found(env), _found(env)


def test_a_bus_error_named_in_prose_alone_is_no_report() -> None:
    # No message of torch's or NCCL's: a sentence about shared memory is no evidence.
    code, env = _run("I think my shared memory is too small, the docker default is 64MB\n")
    assert code == 2, env

"""`envtool diagnose` on the forms batches 18 and 19 of held-out real pastes showed, inlined as far as each test needs,
with its thread and how the thread settled the cause; and the near misses each rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# ORNL/HydraGNN#251 (the author's PR added the missing host-to-device copy) and rotem-shalev/Ham2Pose#6: ATen's
# device check, the program's bug.
DEVICES_251 = (
    "RuntimeError: Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!\n"
)
DEVICES_6 = (
    "RuntimeError: Expected all tensors to be on the same device, but found at least two devices, cpu and cuda:0! "
    "(when checking argument for argument mat2 in method wrapper_CUDA_mm)\n"
)


def test_tensors_on_two_devices_is_the_programs_bug_not_the_environment() -> None:
    for text in (DEVICES_251, DEVICES_6):
        code, env = _run(text)
        verdict = env["data"]["verdict"]
        assert code == 0 and not env["findings"], _found(env)
        assert verdict["cause"] is None and verdict["summary"].startswith("no environment problem found"), verdict
        assert "a bug in the program" in verdict["summary"] and "line 1" in verdict["summary"]
        assert env["data"]["told"][0]["what"] == "message"


def test_tensors_on_two_devices_does_not_hide_an_environment_cause() -> None:
    text = "RuntimeError: The NVIDIA driver on your system is too old (found version 11040).\n" + DEVICES_251
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "driver_too_old"


# NVIDIA/nccl-tests#276 (an H200 node: Fabric Manager restarted without a GPU reset; the maintainer's diagnosis, the
# reporter confirmed), NVIDIA/nccl#1488 (the same after stopping and starting Fabric Manager); NCCL 2.29's own
# message (pytorch/pytorch#177472): "usually caused by a system or configuration error in the Fabric Manager".
NVLS_276 = "gpu47:4962:5097 [1] transport/nvls.cc:223 NCCL WARN Cuda failure 999 'unknown error\n"
NVLS_BIND = (
    "ncclUnhandledCudaError: Call to CUDA function failed.\n"
    "Failed to bind NVLink SHARP (NVLS) Multicast memory of size 2097152 : CUDA error 401 'the operation cannot be "
    "performed in the present state'.\n"
    "This is usually caused by a system or configuration error in the Fabric Manager or NVSwitches.\n"
)


def test_an_nvls_failure_points_at_fabric_manager_as_a_warning() -> None:
    for text, line in ((NVLS_276, 1), (NVLS_BIND, 2)):
        _, env = _run(text)
        (f,) = [f for f in env["findings"] if f["id"] == "fabric_manager_down"]
        assert f["severity"] == "warn" and line in [e["line"] for e in f["evidence"]], _found(env)
        assert "NCCL_NVLS_ENABLE=0" in f["fix"] and "reset the GPUs" in f["fix"]
        assert env["data"]["verdict"]["settle"] == "systemctl status nvidia-fabricmanager"


def test_nvls_info_lines_and_other_nccl_cuda_failures_are_no_fabric_finding() -> None:
    for text in (
        "node1:1:1 [0] NCCL INFO NVLS multicast support is available on dev 0\n",
        "node1:1:1 [0] NCCL INFO transport/nvls.cc:409 -> 1\n",
        "node1:1:1 [0] misc/shmutils.cc:72 NCCL WARN Cuda failure 'invalid argument'\n",
    ):
        code, env = _run(text)
        assert "fabric_manager_down" not in {f["id"] for f in env["findings"]}, (text, _found(env))

"""`envtool diagnose` rules and recommendation on real pastes from public threads (not in the shared fixtures).

Each paste is inlined as the thread shows it (cited by repository and issue); the tests check the
cause the thread established, that the recommended profile does not contradict the verdict, and
that the fix texts guess no number the paste does not give.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

from envtool_cli import diagnose

from envtool import paste_rules, profiles, rules
from envtool.cli import main
from envtool.diagnose import read_paste
from envtool.model import Evidence, Finding, GpuInfo, HostFacts, NvidiaFacts, Severity, TorchRuntime

# IEIT-Yuan/Yuan-2.0#65: torch's warning alone, a Chinese question after it.
YUAN_11000 = (
    "/usr/local/lib/python3.10/dist-packages/torch/cuda/__init__.py:124: UserWarning: CUDA initialization: The NVIDIA "
    "driver on your system is too old (found version 11000). Please update your GPU driver by downloading and "
    "installing a new version \n"
    "请问需要安装什么版本？\n"
)
# rikdz/GraphWriter#6: the old multi-line message, a CUDA 6.5 driver.
GRAPHWRITER_6050 = (
    "The NVIDIA driver on your system is too old (found version 6050).\n"
    "Please update your GPU driver by downloading and installing a new\n"
    "version from the URL: http://www.nvidia.com/Download/index.aspx\n"
    "Alternatively, go to: https://pytorch.org to install\n"
    "a PyTorch version that has been compiled with your version\n"
    "of the CUDA driver.\n"
)
# lllyasviel/Fooocus#1313: torch's message and three truncated banner lines (driver 470.86, CUDA 11.4).
FOOOCUS_11040 = (
    "RuntimeError: The NVIDIA driver on your system is too old (found version 11040). Please update your GPU driver "
    "by downloading and installing a new version from the URL: http://www.nvidia.com/Download/index.aspx "
    "Alternatively, go to: https://py\n"
    "\n"
    "Ubuntu 21.04\n"
    "Nvidia GeForce RTX 3050 laptop GPU\n"
    "\n"
    "-nvidia-smi\n"
    "\n"
    "+-----------------------------------------------------------------------------+\n"
    "| NVIDIA-SMI 470.86       Driver Version: 470.86       CUDA Version: 11.4\n"
    "|-------------------------------+----------------------+----------------------+\n"
)
# zai-org/ChatGLM3#100: one line, CUDA 11.6.
CHATGLM_11060 = (
    "RuntimeError: The NVIDIA driver on your system is too old (found version 11060). Please update your GPU driver "
    "by downloading and installing a new version from the URL: http://www.nvidia.com/Download/index.aspx "
    "Alternatively, go to: https://py\n"
)
# Hellod035/LeggedLab#26: torch's sm_120 warning under Chinese labels.
LEGGEDLAB_SM120 = (
    "环境：\n5090+i9-14th\n运行：\n"
    "python legged_lab/scripts/train.py --task=g1_flat --headless --logger=tensorboard --num_envs=64\n"
    "报错：\n"
    "NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current PyTorch installation.\n"
    "The current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90.\n"
    "If you want to use the NVIDIA GeForce RTX 5090 GPU with PyTorch, please check the instructions at "
    "https://pytorch.org/get-started/locally/\n"
)
# AUTOMATIC1111/stable-diffusion-webui#3003: a Kepler card no current build covers.
A1111_TITAN_BLACK = (
    "The console returned a pretty cut and dry error: Found GPU0 NVIDIA GTX TITAN Black which is of cuda capability "
    "3.5. PyTorch no longer supports this GPU because it is too old. The minimum cuda capability supported by this "
    "library is 3.7.\n"
)
# mattshma/bigdata#108: a plain `docker run` (no GPU flag), nvidia-smi fails inside; nvidia-docker works.
BIGDATA_DOCKER = (
    "使用：\n"
    "`sudo docker run -v /usr/bin:/usr/local/nvidia/bin -v /usr/lib64/nvidia:/usr/local/nvidia/lib -p 8888:8888 "
    "MY_DOCKER_IMAGE` 启动 jupyter 镜像后，登录 jupyter terminel，执行命令报错如下：\n"
    "```\n"
    "$ nvidia-smi\n"
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA "
    "driver is installed and running.\n"
    "```\n"
    "\n"
    "很奇怪，使用`sudo nvidia-docker run --rm nvidia/cuda nvidia-smi`能看到结果。\n"
)
# NVIDIA/nvidia-docker#533: GPUs given (--runtime=nvidia, NVIDIA_VISIBLE_DEVICES), nvidia-smi works, torch finds
# no driver: the compute capability is missing.
NVIDIA_DOCKER_533 = (
    "I've installed the latest version of nvidia-docker (v2) in order to run PyTorch on the GPU from this container.\n"
    "\n"
    "I've followed your instructions and am able to open nvidia-smi inside the container, which displays the driver "
    "version 387.12, same as my local machine.\n"
    "\n"
    "Still, whenever I try to use the GPU on PyTorch inside the container, I get the error 'Found no NVIDIA driver on "
    "your system', which is odd given that nvidia-smi seems to show everything fine.\n"
    "\n"
    "Opened the container with:\n"
    "`docker run --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=all -it --rm allennlp/allennlp\n"
    "`\n"
)
# NVIDIA/k8s-device-plugin#457: "Found no NVIDIA driver" and an in-container banner whose CUDA Version is N/A.
K8S_CUDA_NA = (
    "When we try to access the GPU \n"
    "```\n"
    'python -c "import torch; print(torch.zeros(1).cuda()); print(torch.cuda.is_available())"\n'
    "```\n"
    "we get error saying  `RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA "
    "GPU and installed a driver from http://www.nvidia.com/Download/index.aspx` \n"
    "\n"
    "Output of nvidia-smi -a from inside the docker container\n"
    "```\n"
    "+-----------------------------------------------------------------------------+\n"
    "| NVIDIA-SMI 470.182.03   Driver Version: 470.182.03   CUDA Version: N/A      |\n"
    "|-------------------------------+----------------------+----------------------+\n"
)
# pytorch/pytorch#13893: pytorch-nightly and pytorch mixed in one conda env.
PYTORCH_13893 = (
    "Traceback (most recent call last):\n"
    '  File "setup.py", line 7, in <module>\n'
    "    import torch\n"
    '  File "/home/caomeng/anaconda3/envs/maskrcnn_benchmark/lib/python3.7/site-packages/torch/__init__.py", line 84, '
    "in <module>\n"
    "    from torch._C import *\n"
    "ImportError: /home/caomeng/anaconda3/envs/maskrcnn_benchmark/lib/python3.7/site-packages/torch/lib/libtorch.so.1: "
    "undefined symbol: _ZTIN2at10TensorImplE\n"
    "\n"
    " - PyTorch Version (e.g., 1.0): 1.0\n"
    " - OS (e.g., Linux): Linux\n"
)
# pytorch/pytorch#90673: a CUDA library's symbol (libcusparse 12 in a CUDA 11.7 env).
PYTORCH_90673 = (
    ">>> import torch\n"
    "Traceback (most recent call last):\n"
    '  File "<stdin>", line 1, in <module>\n'
    '  File "/fsx/conda/envs/test_libcusparse/lib/python3.10/site-packages/torch/__init__.py", line 192, in <module>\n'
    "    from torch._C import *  # noqa: F403\n"
    "ImportError: /fsx/conda/envs/test_libcusparse/lib/python3.10/site-packages/torch/lib/libtorch_cuda_cu.so: "
    "undefined symbol: cusparseSpSM_analysis, version libcusparse.so.11\n"
)
# pytorch/pytorch#102968: a ROCm torch, healthy (an MIOpen bug).
PYTORCH_102968_ROCM = (
    "Collecting environment information...\n"
    "PyTorch version: 2.0.1+rocm5.4.2\n"
    "Is debug build: False\n"
    "CUDA used to build PyTorch: N/A\n"
    "ROCM used to build PyTorch: 5.4.22803-474e8620\n"
)


def _run(text: str) -> tuple[int, dict[str, Any]]:
    return diagnose("-", stdin=text)


def _rec(env: dict[str, Any]) -> dict:
    return env["data"]["recommended_profile"]


def _undetermined(env: dict[str, Any]) -> bool:
    rec = _rec(env)
    return (
        rec["name"] is None
        and rec["reasons"][0].startswith("profile undetermined")
        and any("envtool detect --json" in r for r in rec["reasons"])
    )


def _fix(env: dict, fid: str) -> str:
    return next(f["fix"] for f in env["findings"] if f["id"] == fid)


# --------------------------------------------------------------------------- P1c: the profile follows the verdict


def test_an_nvidia_verdict_without_gpu_or_driver_facts_is_no_cpu_recommendation() -> None:
    for text, cause in (
        (YUAN_11000, "driver_too_old"),
        (GRAPHWRITER_6050, "driver_too_old"),
        (CHATGLM_11060, "driver_too_old"),
        (BIGDATA_DOCKER, "container_without_gpu"),
    ):
        code, env = _run(text)
        assert env["data"]["verdict"]["cause"] == cause, text[:40]
        rec = _rec(env)
        assert rec["name"] != "cpu", text[:40]
        assert not any("does not show an NVIDIA GPU" in r for r in rec["reasons"]), text[:40]
        assert set(rec) == {"name", "reasons"}  # the envelope's recommendation keeps its keys


def test_undetermined_names_the_reason_and_the_command_on_that_machine() -> None:
    code, env = _run(YUAN_11000)
    assert code == 1
    assert _undetermined(env)
    assert "driver_too_old" in _rec(env)["reasons"][0] and "line 1" in _rec(env)["reasons"][0]


def test_text_output_says_undetermined(tmp_path: Path) -> None:
    p = tmp_path / "paste.txt"
    p.write_text(YUAN_11000, encoding="utf-8")
    out = io.StringIO()
    main(["diagnose", str(p)], stdout=out, stderr=io.StringIO())
    assert "Recommended profile: undetermined" in out.getvalue()
    assert "Recommended profile: None" not in out.getvalue()


def _facts(nv: NvidiaFacts) -> HostFacts:
    return HostFacts(source="collect_env", nvidia=nv)


def _verdict_for(cause: str, line: int, text: str) -> tuple[list[Finding], paste_rules.Verdict]:
    f = rules.finding(cause, "m", "fix")
    return [replace(f, evidence=(Evidence(line=line, text=text),))], {"cause": cause}


def test_driver_cuda_from_torchs_message_alone_still_undetermined() -> None:
    # The reader may turn "found version 11000" into the driver's CUDA: a CUDA 11.0 driver may predate
    # 11.x's minor-version floor (450.80.02), and the GPU is unknown, so no profile is confirmed.
    loaded = profiles.load_profiles(None)
    findings, verdict = _verdict_for("driver_too_old", 1, YUAN_11000.splitlines()[0])
    rec = paste_rules.recommend(_facts(NvidiaFacts(cuda_driver_version="11.0")), loaded, findings, verdict)
    assert rec.name is None and "driver_too_old" in rec.reasons[0]
    # a CUDA 11.4 driver (found version 11040) runs cu118 for sure: named, and it runs on this driver
    rec = paste_rules.recommend(_facts(NvidiaFacts(cuda_driver_version="11.4")), loaded, findings, verdict)
    assert rec.name == "cuda11.8" and rec.runs_on_driver


def test_the_gpu_torch_names_leads_to_a_build_that_covers_it_with_the_driver_check() -> None:
    code, env = _run(LEGGEDLAB_SM120)
    assert env["data"]["verdict"]["cause"] == "arch_unsupported"
    rec = _rec(env)
    assert rec["name"] != "cpu"
    if rec["name"] is not None:  # the reader made the RTX 5090 a GPU fact
        assert any("check the driver" in r and "nvidia-smi" in r for r in rec["reasons"])
    # with the GPU as a fact (sm 12.0) and no driver: a build covering sm_120, with the driver check
    loaded = profiles.load_profiles(None)
    nv = NvidiaFacts(gpus=(GpuInfo(index=0, name="NVIDIA GeForce RTX 5090", compute_capability="12.0"),))
    findings, verdict = _verdict_for("arch_unsupported", 6, LEGGEDLAB_SM120.splitlines()[5])
    rec2 = paste_rules.recommend(_facts(nv), loaded, findings, verdict)
    chosen = {p.name: p for p in loaded}[rec2.name or "cpu"]
    assert chosen.is_gpu and "sm_120" in chosen.archs
    assert "check the driver before installing" in rec2.reasons[-1] and not rec2.runs_on_driver


def test_a_gpu_no_build_covers_stays_cpu() -> None:
    code, env = _run(A1111_TITAN_BLACK)
    assert env["data"]["verdict"]["cause"] == "arch_unsupported"
    assert _rec(env)["name"] == "cpu"


def test_a_driver_that_runs_no_profile_recommends_the_profile_after_the_fix() -> None:
    # NVIDIA/DIGITS#2005's kind of banner (driver 375.26) with a GPU the table knows: the driver blocks every
    # CUDA profile, so the answer is the profile for the GPU once the driver is updated, not cpu.
    loaded = profiles.load_profiles(None)
    nv = NvidiaFacts(driver_version="375.26", gpus=(GpuInfo(index=0, name="Tesla P100-PCIE-16GB"),))
    findings, verdict = _verdict_for("exclusive_process_mode", 3, "all CUDA-capable devices are busy or unavailable")
    rec = paste_rules.recommend(_facts(nv), loaded, findings, verdict)
    assert rec.name is not None and rec.name != "cpu" and not rec.runs_on_driver
    assert "once it is fixed" in rec.reasons[-1]


def test_conflicting_cuda_libraries_are_an_nvidia_cause_two_torch_builds_are_not() -> None:
    code, env = _run(PYTORCH_90673)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs"
    assert _undetermined(env)
    code, env = _run(PYTORCH_13893)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs"
    assert _rec(env)["name"] == "cpu"  # nothing in it proves an NVIDIA GPU


# --------------------------------------------------------------------------- P3: containers


def test_nvidia_smi_failing_in_a_container_started_without_gpu_flag() -> None:
    code, env = _run(BIGDATA_DOCKER)
    assert code == 1
    assert env["data"]["verdict"]["cause"] == "container_without_gpu"
    f = next(f for f in env["findings"] if f["id"] == "container_without_gpu")
    lines = {e["line"] for e in f["evidence"]}
    assert {2, 5} <= lines  # the GPU-less run and nvidia-smi's failure
    assert "--gpus all" in f["fix"]
    assert not [f for f in env["findings"] if f["id"] == "no_driver" and f["severity"] == "error"]


def test_the_failure_pairs_with_the_run_before_it() -> None:
    # A run with GPU access before the failure and a bare one after: the failure is not the bare run's.
    text = (
        "$ docker run --gpus all -it myimage bash\n"
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest "
        "NVIDIA driver is installed and running.\n"
        "$ docker run -it myimage bash\n"
    )
    code, env = _run(text)
    assert env["data"]["verdict"]["cause"] != "container_without_gpu"
    text = (
        "$ docker run -it myimage bash\n"
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest "
        "NVIDIA driver is installed and running.\n"
        "$ docker run --gpus all -it myimage bash\n"
    )
    code, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu"
    f = next(f for f in env["findings"] if f["id"] == "container_without_gpu")
    assert "line 3" in f["message"] and {1, 2, 3} <= {e["line"] for e in f["evidence"]}


def test_gpus_given_but_no_libcuda_is_the_compute_capability() -> None:
    for text in (NVIDIA_DOCKER_533, K8S_CUDA_NA):
        code, env = _run(text)
        assert code == 1, text[:40]
        assert env["data"]["verdict"]["cause"] == "container_without_gpu", text[:40]
        assert "NVIDIA_DRIVER_CAPABILITIES=compute" in _fix(env, "container_without_gpu")
        assert "libcuda" in env["data"]["verdict"]["summary"]


def test_cuda_version_na_is_signed() -> None:
    paste = read_paste(K8S_CUDA_NA)
    assert [e.line for e in paste.signs["smi_cuda_na"]] == [10]
    assert paste.facts.nvidia.driver_version == "470.182.03" and paste.facts.nvidia.cuda_driver_version is None


def _mismatch(nv: NvidiaFacts, signs: dict[str, tuple[Evidence, ...]]) -> str:
    base = {
        "msg:nvml_mismatch": (Evidence(line=3, text="Failed to initialize NVML: Driver/library version mismatch"),),
        "nvml_library": (Evidence(line=4, text="NVML library version: 565.57"),),
    }
    found = paste_rules.paste_findings(_facts(nv), {**base, **signs})
    return next(f.fix for f in found if f.id == "no_driver")


def test_a_container_images_nvml_newer_than_the_hosts_module_fixes_the_image() -> None:
    # k4yt3x/video2x#1226: "NVML library version: 565.57" in the image, "on a Linux Mint host, where the nvidia
    # driver is 535" (a stated driver), or inside a container run.
    nv = NvidiaFacts(driver_version="535", nvml_version="565.57")
    host = Evidence(
        line=6, text="when I run things like nvidia-smi on a Linux Mint host, where the nvidia driver is 535"
    )
    for signs in (
        {"driver_stated": (host,)},
        {"driver": (host,)},
        {"container_run_gpu": (Evidence(line=1, text="docker run --gpus all x"),)},
    ):
        fix = _mismatch(nv, signs)
        assert fix.startswith("fix the image, not the host"), signs
        assert "--gpus all" in fix
    # on a host, the library newer than the loaded module is an upgrade without a reboot
    fix = _mismatch(nv, {"driver": (Evidence(line=6, text="Driver Version: 535"),)})
    assert fix.startswith("reboot")


# --------------------------------------------------------------------------- P4c: torch's own symbols


def test_torchs_own_symbol_missing_from_its_own_library_is_two_builds_mixed() -> None:
    code, env = _run(PYTORCH_13893)
    assert code == 1
    f = next(f for f in env["findings"] if f["id"] == "conflicting_installs")
    assert f["severity"] == "error" and "libtorch.so.1" in f["message"] and "_ZTIN2at10TensorImplE" in f["message"]
    assert "two different torch builds" in f["message"]
    assert [e["line"] for e in f["evidence"]] == [6]
    # a CUDA library's symbol keeps the CUDA-library reading
    code, env = _run(PYTORCH_90673)
    f = next(f for f in env["findings"] if f["id"] == "conflicting_installs")
    assert "CUDA library" in f["message"]
    # an extension's missing at:: symbol is not torch's own library
    code, env = _run(
        "ImportError: /site-packages/torchvision/_C.so: undefined symbol: _ZN3c106detail14torchCheckFailEPKcS2_jS2_\n"
    )
    assert not any("torch's own library" in f["message"] for f in env["findings"])


# --------------------------------------------------------------------------- P8: the driver fix


def test_driver_fix_guesses_no_floor_and_no_torch_that_never_existed() -> None:
    code, env = _run(GRAPHWRITER_6050)
    fix = _fix(env, "driver_too_old")
    assert "6.5" not in fix and "525.60.13" not in fix
    assert "torch.version.cuda" in fix  # how to read the build the driver must serve
    code, env = _run(CHATGLM_11060)
    fix = _fix(env, "driver_too_old")
    assert "525.60.13" not in fix  # torch's build is not in the paste
    assert "CUDA 11.8" in fix or "--profile" in fix  # a CUDA 11.6 driver runs cu118 (minor-version compatibility)
    assert "driver_too_old" in rules.VOCABULARY


def test_driver_fix_names_the_recommended_profile() -> None:
    code, env = _run(FOOOCUS_11040)
    rec = _rec(env)["name"]
    assert rec == "cuda11.8"
    fix = _fix(env, "driver_too_old")
    assert f"--profile {rec}" in fix
    assert "CUDA <= 11.4" not in fix


def test_driver_fix_with_a_known_build_names_its_floor() -> None:
    msg = "The NVIDIA driver on your system is too old (found version 11040). Please update your GPU driver"
    found = rules.evaluate(
        HostFacts(source="collect_env", torch_runtime=TorchRuntime(version="2.6.0+cu124", cuda="12.4", messages=(msg,)))
    )
    fix = next(f.fix for f in found if f.id == "driver_too_old")
    assert "525.60.13" in fix  # 12.x's minor-version floor: the build's CUDA is known
    assert rules.driver_too_old_fix("6.5", None) == rules.driver_too_old_fix("6.5", None, runs=None)
    assert "torch built for" not in rules.driver_too_old_fix("6.5", None)
    assert "torch built for" not in rules.driver_too_old_fix("11.0", None)  # may predate 11.x's floor
    assert "CUDA 11.8" in rules.driver_too_old_fix("11.4", None)
    assert rules.driver_too_old_fix("11.4", "12.1", runs="cuda11.8").endswith("`envtool install --profile cuda11.8`")


# --------------------------------------------------------------------------- P9: ROCm


def test_no_nvidia_smi_settle_for_a_rocm_report() -> None:
    code, env = _run(PYTORCH_102968_ROCM)
    assert code == 0
    assert env["data"]["verdict"]["settle"] != "nvidia-smi"
    # the same report from a CUDA torch with no GPU shown still asks nvidia-smi
    code, env = _run(PYTORCH_102968_ROCM.replace("2.0.1+rocm5.4.2", "2.0.1+cu118").replace("ROCM used", "X"))
    assert env["data"]["verdict"]["settle"] == "nvidia-smi"


def test_the_facts_driver_fix_names_the_build_floor_and_the_recommended_profile() -> None:
    # torch's build from a REPL answer and the driver from a banner: the facts' driver_too_old, whose fix
    # names the build's floor and, as its alternative, the profile recommended for this driver.
    text = (
        ">>> torch.__version__\n"
        "'2.6.0+cu124'\n"
        "| NVIDIA-SMI 470.86       Driver Version: 470.86       CUDA Version: 11.4     |\n"
        "|   0  NVIDIA GeForce RTX 3090    Off  | 00000000:01:00.0 Off |                  N/A |\n"
    )
    code, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "driver_too_old"
    rec = _rec(env)["name"]
    assert rec == "cuda11.8"
    fix = _fix(env, "driver_too_old")
    assert "525.60.13" in fix and fix.endswith(f"`envtool install --profile {rec}`")


def test_a_traceback_cut_in_the_driver_check_inside_a_gpu_less_container_is_a_warning() -> None:
    # kaggle rcic (the reporter's docker run and a traceback that stops at torch's _lazy_init -> _check_driver).
    text = (
        "sudo docker run -t -i --privileged testimage bash\n"
        "Traceback (most recent call last):\n"
        '\t  File "/opt/conda/lib/python3.6/site-packages/torch/nn/modules/module.py", line 297, in <lambda>\n'
        "\t\treturn self._apply(lambda t: t.cuda(device))\n"
        '\t  File "/opt/conda/lib/python3.6/site-packages/torch/cuda/__init__.py", line 178, in _lazy_init\n'
        "\t\t_check_driver()\n"
    )
    paste = read_paste(text)
    findings, verdict = paste_rules.diagnose_paste(paste.facts, paste.signs)
    assert verdict["cause"] == "container_without_gpu" and findings[0].severity == Severity.WARN, verdict
    assert {e.line for e in findings[0].evidence} == {1, 6}
    assert verdict["settle"] == paste_rules.SETTLE_DRIVER
    # With the GPU flag on the run, the cut traceback says nothing.
    paste = read_paste(text.replace("--privileged", "--gpus all"))
    findings, _ = paste_rules.diagnose_paste(paste.facts, paste.signs)
    assert not [f for f in findings if f.id == "container_without_gpu"]


def test_a_healthy_but_old_driver_is_to_be_updated_not_fixed() -> None:
    # anibali/docker-pytorch#27's kind of banner (driver 435.21, two V100s) with no finding: the profile's reason
    # says to update the driver, and names no finding that is not there.
    banner = (
        "| NVIDIA-SMI 435.21       Driver Version: 435.21       CUDA Version: 10.1     |\n"
        "|   0  Tesla V100-PCIE...  Off  | 00000000:37:00.0 Off |                    0 |\n"
    )
    code, env = _run(banner)
    assert code == 0 and env["findings"] == [], env["findings"]
    last = _rec(env)["reasons"][-1]
    assert "once it is updated" in last and "finding" not in last, last

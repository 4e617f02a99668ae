"""`envtool diagnose` on forms a thirteenth held-out batch of real pastes showed, inlined as far as the test needs
it, with its thread and how the thread settled the cause; and the near misses the rule must leave alone.
"""

from __future__ import annotations

from envtool_cli import diagnose_text as _run
from envtool_cli import findings_of as _found

# NVIDIA/apex#1748: apex's setup.py refusing nvcc 12.3 for a torch built with CUDA 12.1 (its own check).
APEX_1748 = (
    "torch.__version__  = 2.1.0+cu121\n"
    "\n"
    "Compiling cuda extensions with\n"
    "nvcc: NVIDIA (R) Cuda compiler driver\n"
    "Copyright (c) 2005-2023 NVIDIA Corporation\n"
    "Built on Fri_Sep__8_19:17:24_PDT_2023\n"
    "Cuda compilation tools, release 12.3, V12.3.52\n"
    "Build cuda_12.3.r12.3/compiler.33281558_0\n"
    "from /usr/local/cuda/bin\n"
    "\n"
    "Traceback (most recent call last):\n"
    '  File "setup.py", line 178, in <module>\n'
    "    check_cuda_torch_binary_vs_bare_metal(CUDA_HOME)\n"
    '  File "setup.py", line 40, in check_cuda_torch_binary_vs_bare_metal\n'
    "    raise RuntimeError(\n"
    "RuntimeError: Cuda extensions are being compiled with a version of Cuda that does not match the version used "
    "to compile Pytorch binaries.  Pytorch binaries were compiled with Cuda 12.1.\n"
    "In some cases, a minor-version mismatch will not cause later errors:  "
    "https://github.com/NVIDIA/apex/pull/323#discussion_r287021798.  You can try commenting out this check (at your "
    "own risk).\n"
)


def test_apexs_own_cuda_check_is_a_toolkit_mismatch() -> None:
    code, env = _run(APEX_1748)
    assert env["data"]["verdict"]["cause"] == "toolkit_mismatch", env["data"]["verdict"]
    (f,) = [f for f in env["findings"] if f["id"] == "toolkit_mismatch"]
    assert f["severity"] == "error" and {7, 16} <= {e["line"] for e in f["evidence"]}, f
    assert "apex" in f["message"] and "12.3" in f["message"] and "12.1" in f["message"], f["message"]
    assert code == 1


def test_apexs_check_without_the_nvcc_banner_still_names_torchs_cuda() -> None:
    # the toolkit's version is only in the banner; the message alone shows the mismatch
    text = "\n".join(APEX_1748.splitlines()[9:]) + "\n"
    _, env = _run(text)
    (f,) = [f for f in env["findings"] if f["id"] == "toolkit_mismatch"]
    assert f["severity"] == "error" and "(12.1)" in f["message"] and "CUDA 12.3" not in f["message"], f


def test_another_setup_pys_runtime_error_is_no_toolkit_mismatch() -> None:
    _, env = _run("RuntimeError: Cuda extensions are being compiled with gcc 4.8\n>>> torch.version.cuda\n'12.1'\n")
    assert "toolkit_mismatch" not in {f["id"] for f in env["findings"]}, _found(env)


# kohya-ss/sd-scripts#1597: torch's DLL error with the Windows part in German (fbgemm.dll needs libomp140.x86_64.dll;
# the reporter fixed it with Visual Studio's C++ build tools), hard-wrapped by the launcher's log.
DLL_1597 = (
    "02:54:16-476773 INFO     nVidia toolkit detected\n"
    "02:54:18-197331 ERROR    Could not load torch: [WinError 126] Das angegebene Modul wurde nicht gefunden. Error "
    "loading\n"
    '                         "P:\\AI\\kohya_ss\\venv\\lib\\site-packages\\torch\\lib\\fbgemm.dll" or one of its '
    "dependencies.\n"
)
# pytorch/pytorch#61947: WinError 127 for caffe2.dll (maintainer: check the DLL exists, else reinstall the wheel).
DLL_61947 = (
    'when I tried to impotr torch,it always occured _"WinError 127 Error loading '
    'D:\\Python\\Python37\\Lib\\site-packages\\torch\\lib\\caffe2.dll or one of its dependencies."_\n'
)
DLL_133397 = (
    '  File "C:\\Users\\USER\\AppData\\Local\\Programs\\Python\\Python312\\Lib\\site-packages\\torch\\__init__.py", '
    "line 148, in <module>\n"
    "    raise err\n"
    "OSError: [WinError 126] The specified module could not be found. Error loading "
    '"C:\\Users\\USER\\AppData\\Local\\Programs\\Python\\Python312\\Lib\\site-packages\\torch\\lib\\fbgemm.dll" or one '
    "of its dependencies.\n"
)


def test_torchs_windows_dll_error_in_another_language_wrapped() -> None:
    code, env = _run(DLL_1597)
    assert env["data"]["verdict"]["cause"] == "torch_import_failed", env["data"]["verdict"]
    (f,) = [f for f in env["findings"] if f["id"] == "torch_import_failed"]
    assert f["severity"] == "error" and "fbgemm.dll" in f["message"] and "126" in f["message"], f
    assert "2.4.1" in f["fix"] and "libomp140" in f["fix"], f["fix"]
    assert code == 1


def test_a_dll_error_of_another_torch_is_the_redistributables() -> None:
    _, env = _run(DLL_133397.replace("fbgemm.dll", "c10.dll") + ">>> torch.__version__\n'2.5.1+cu124'\n")
    (f,) = [f for f in env["findings"] if f["id"] == "torch_import_failed"]
    assert "c10.dll" in f["message"] and "Visual C++ Redistributable" in f["fix"], f


def test_fbgemm_on_a_later_torch_is_no_libomp_fix() -> None:
    _, env = _run(DLL_133397 + ">>> torch.__version__\n'2.6.0'\n")
    (f,) = [f for f in env["findings"] if f["id"] == "torch_import_failed"]
    assert "libomp140" not in f["fix"], f["fix"]


def test_winerror_127_is_a_dll_found_first() -> None:
    _, env = _run(DLL_61947)
    (f,) = [f for f in env["findings"] if f["id"] == "torch_import_failed"]
    assert "caffe2.dll" in f["message"] and "127" in f["message"] and "PATH" in f["fix"], f


def test_another_programs_dll_error_is_no_torch_finding() -> None:
    # a DLL outside torch's own folder, as another program says it
    text = "Error loading \"C:\\Program Files\\Foo\\bar.dll\": access denied\n>>> torch.__version__\n'2.5.1'\n"
    _, env = _run(text)
    assert "torch_import_failed" not in {f["id"] for f in env["findings"]}, _found(env)

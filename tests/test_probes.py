"""System, Python-environment and toolkit probes, and the runner, on real processes and files."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from envtool import runner
from envtool.errors import ToolNotFoundError
from envtool.probes import _pyinspect, python_env, system, toolkit, torch_runtime

# --------------------------------------------------------------------------- runner


def test_runner_captures_a_real_process() -> None:
    done = runner.capture(
        [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"], timeout=30
    )
    assert done.returncode == 3 and done.stdout.strip() == "out" and done.stderr.strip() == "err"
    assert "exited with code 3" in done.describe_failure()


def test_runner_decodes_garbage_bytes() -> None:
    done = runner.capture(
        [sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'\\xff\\xfe ok \\x80')"], timeout=30
    )
    assert "ok" in done.stdout and "\ufffd" in done.stdout


def test_runner_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    code = (
        "import subprocess,sys,time; p=subprocess.Popen([sys.executable,'-c','import time; time.sleep(60)']); "
        f"open({str(marker)!r},'w').write(str(p.pid)); time.sleep(60)"
    )
    start = time.monotonic()
    done = runner.capture([sys.executable, "-c", code], timeout=2)
    assert done.timed_out and time.monotonic() - start < 15
    child = int(marker.read_text())
    time.sleep(0.2)
    assert not _alive(child)  # the grandchild is gone too


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that is not there counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def test_runner_tied_child_runs_its_argv_unchanged() -> None:
    done = runner.capture(
        [sys.executable, "-c", "import sys; print(sys.argv[1:]); sys.exit(4)", "a b", "--x"],
        timeout=60,
        tie_to_parent=True,
    )
    assert done.stdout.strip() == "['a b', '--x']" and done.returncode == 4


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_runner_tied_child_dies_with_envtool(tmp_path: Path) -> None:
    """SIGKILL leaves envtool no chance to clean up: the kernel's parent-death signal must."""
    marker = tmp_path / "child.pid"
    child = f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    parent = (
        "import sys; from envtool import runner; "
        f"runner.capture([sys.executable, '-c', {child!r}], timeout=120, tie_to_parent=True)"
    )
    proc = subprocess.Popen([sys.executable, "-c", parent])
    try:
        deadline = time.monotonic() + 60
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int(marker.read_text())
        assert _alive(pid)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    survived = _alive(pid)
    if survived:
        os.kill(pid, 9)
    assert not survived


def test_runner_missing_tool_is_typed() -> None:
    with pytest.raises(ToolNotFoundError, match="no-such-tool-xyz"):
        runner.capture(["no-such-tool-xyz"], timeout=5)


def test_runner_never_uses_a_shell() -> None:
    import ast

    pkg = Path(runner.__file__).parent
    for path in pkg.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "shell":
                assert isinstance(node.value, ast.Constant) and node.value.value is False, f"shell= in {path}"


def test_only_the_runner_starts_subprocesses() -> None:
    pkg = Path(runner.__file__).parent
    offenders = [
        p.name
        for p in pkg.rglob("*.py")
        if p.name not in ("runner.py",)
        and ("subprocess." in p.read_text(encoding="utf-8") or "os.system(" in p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# --------------------------------------------------------------------------- system

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu sse avx avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile amx_int8
processor\t: 1
physical id\t: 0
core id\t\t: 0
processor\t: 2
physical id\t: 1
core id\t\t: 0
"""


def test_parse_cpuinfo() -> None:
    info = system.parse_cpuinfo(CPUINFO)
    assert info["model"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert {"avx2", "avx512_bf16", "amx_bf16", "amx_tile"} <= set(info["flags"])
    assert "sse" not in info["flags"]
    assert info["physical_cores"] == 2  # two sockets, one core each, hyperthreads counted once


def test_parse_meminfo_and_os_release() -> None:
    assert system.parse_meminfo("MemTotal:       16384 kB\nMemAvailable:    8192 kB\n") == (16384 * 1024, 8192 * 1024)
    osr = system.parse_os_release('NAME="Ubuntu"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n# c\nID=ubuntu\n')
    assert osr["PRETTY_NAME"] == "Ubuntu 22.04.4 LTS" and osr["ID"] == "ubuntu"


def test_container_and_wsl_detection(tmp_path: Path) -> None:
    (tmp_path / "proc" / "1").mkdir(parents=True)
    (tmp_path / "proc" / "1" / "cgroup").write_text("0::/kubepods/besteffort/pod1234\n")
    assert system.detect_container(proc=str(tmp_path / "proc"), root=str(tmp_path), env={}) == "kubernetes"
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".containerenv").write_text("")
    assert system.detect_container(proc=str(tmp_path / "proc"), root=str(tmp_path), env={}) == "podman"
    assert system.detect_container(proc=str(tmp_path / "none"), root=str(tmp_path / "none"), env={}) is None
    assert system.detect_wsl("5.15.153.1-microsoft-standard-WSL2") == 2
    assert system.detect_wsl("4.4.0-19041-Microsoft") == 1
    assert system.detect_wsl("6.8.0-45-generic") is None


def test_relevant_env_masks_secrets() -> None:
    env = {
        "HF_TOKEN": "hf_x",
        "NCCL_DEBUG": "INFO",
        "HOME": "/h",
        "PIP_INDEX_URL": "https://u:p@m.example/simple",
        "WANDB_API_KEY": "k",
    }
    got = dict(system.relevant_env(env))
    assert got == {"HF_TOKEN": "****", "NCCL_DEBUG": "INFO", "PIP_INDEX_URL": "https://****@m.example/simple"}


def test_probe_system_here() -> None:
    facts, notes = system.probe_system()
    assert facts.logical_cores == os.cpu_count()
    assert facts.ram_total_bytes and facts.ram_total_bytes > 0
    assert facts.disks and facts.disks[0].free_bytes is not None
    if sys.platform.startswith("linux"):
        assert facts.glibc and facts.shm_bytes


# --------------------------------------------------------------------------- python env


def test_parse_torch_version_py() -> None:
    text = (
        "from typing import Optional\n__version__ = '2.5.1+cu124'\ndebug = False\n"
        "cuda: Optional[str] = '12.4'\ngit_version = 'abc'\nhip: Optional[str] = None\n"
    )
    assert _pyinspect.parse_torch_version_py(text) == {
        "__version__": "2.5.1+cu124",
        "debug": False,
        "cuda": "12.4",
        "git_version": "abc",
        "hip": None,
    }


def _make_torch(site: Path, version: str, cuda: str | None) -> None:
    (site / "torch").mkdir(parents=True)
    (site / "torch" / "__init__.py").write_text("raise ImportError('never imported by the survey')\n")
    (site / "torch" / "version.py").write_text(
        f"__version__ = {version!r}\ncuda = {cuda!r}\nhip = None\ndebug = False\n"
    )
    (site / f"torch-{version.split('+')[0]}.dist-info").mkdir()


@pytest.mark.integration
def test_a_real_venv_with_two_torches_and_mixed_cuda_wheels(tmp_path: Path) -> None:
    venv.EnvBuilder(with_pip=False).create(tmp_path / "env")
    py = tmp_path / "env" / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    _make_torch(site, "2.5.1+cu124", "12.4")
    (site / "nvidia_cublas_cu12-12.4.5.8.dist-info").mkdir()
    (site / "nvidia_cublas_cu11-11.11.3.6.dist-info").mkdir()
    (site / "nvidia_cudnn_cu12-9.1.0.70.dist-info").mkdir()
    (site / "pynvml-11.5.0.dist-info").mkdir()
    (site / "nvidia_ml_py-12.535.133.dist-info").mkdir()
    shadow = tmp_path / "shadow"
    _make_torch(shadow, "2.3.0+cu121", "12.1")
    (site / "shadow.pth").write_text(str(shadow) + "\n")
    facts, notes = python_env.probe_python(str(py))
    assert notes[0].status == "ok"
    assert facts.env_kind == "venv"
    assert [t.version for t in facts.torch_installs] == ["2.5.1+cu124", "2.3.0+cu121"]
    assert facts.torch.cuda == "12.4" and facts.torch.cudnn == "9.1.0.70"
    assert {d.name for d in facts.nvidia_wheels} == {"nvidia-cublas-cu12", "nvidia-cublas-cu11", "nvidia-cudnn-cu12"}
    assert {d.name for d in facts.pynvml_dists} == {"pynvml", "nvidia-ml-py"}


def test_python_probe_of_a_broken_interpreter(tmp_path: Path) -> None:
    bad = tmp_path / "python"
    bad.write_text("#!/bin/sh\necho 'not python' >&2\nexit 7\n")
    bad.chmod(0o755)
    facts, notes = python_env.probe_python(str(bad))
    assert notes[0].status == "error" and "7" in notes[0].reason
    assert facts.torch is None


def test_tools_found_on_path_with_versions(tmp_path: Path) -> None:
    uv = tmp_path / "uv"
    uv.write_text("#!/bin/sh\necho 'uv 0.9.7 (abc 2025-11-01)'\n")
    uv.chmod(0o755)
    tools, _ = python_env.probe_tools({"PATH": str(tmp_path)})
    got = {t.name: t for t in tools}
    assert got["uv"].version == "0.9.7" and got["uv"].path == str(uv)
    assert got["conda"].path is None


# --------------------------------------------------------------------------- toolkit


def test_parse_nvcc_version() -> None:
    text = (
        "nvcc: NVIDIA (R) Cuda compiler driver\nCopyright (c) 2005-2024 NVIDIA Corporation\n"
        "Cuda compilation tools, release 12.4, V12.4.131\nBuild cuda_12.4.r12.4/compiler.34097967_0\n"
    )
    assert toolkit.parse_nvcc_version(text) == "12.4"
    assert toolkit.parse_nvcc_version("garbage") is None


def test_toolkit_probe_with_a_fake_nvcc(tmp_path: Path) -> None:
    nvcc = tmp_path / "nvcc"
    nvcc.write_text("#!/bin/sh\necho 'Cuda compilation tools, release 11.8, V11.8.89'\n")
    nvcc.chmod(0o755)
    facts, note = toolkit.probe_toolkit({"PATH": str(tmp_path), "CUDA_HOME": "/opt/cuda-11.8"})
    assert (
        facts.nvcc_version == "11.8" and facts.cuda_home == "/opt/cuda-11.8" and facts.cuda_home_source == "CUDA_HOME"
    )
    facts, note = toolkit.probe_toolkit({"PATH": str(tmp_path / "none")}, default_dirs=())
    assert facts.nvcc_version is None and note.status == "unavailable"


# --------------------------------------------------------------------------- deep probe, pure part


def test_runtime_from_probe_keeps_what_came_before_a_hang() -> None:
    stages = [
        {
            "stage": "import",
            "ok": True,
            "version": "2.5.1+cu124",
            "cuda": "12.4",
            "cuda_available": True,
            "device_count": 2,
            "arch_list": ["sm_80", "sm_90"],
            "messages": [],
        },
        {"stage": "device", "device": "cuda:0", "name": "NVIDIA H100", "capability": "9.0", "ok": True, "seconds": 0.1},
    ]
    rt = torch_runtime.runtime_from_probe("py", stages, returncode=None, timed_out=True, stderr="", duration=5.0)
    assert rt.outcome == "timeout" and "running a kernel" in rt.error
    assert rt.version == "2.5.1+cu124" and rt.arch_list == ("sm_80", "sm_90") and len(rt.devices) == 1
    rt = torch_runtime.runtime_from_probe(
        "py", [], returncode=-11, timed_out=False, stderr="Segmentation fault", duration=1.0
    )
    assert rt.outcome == "crashed" and "SIGSEGV" in rt.error


def test_probe_output_ignores_chatter() -> None:
    out = 'hello\n@@envtool {"stage": "import", "ok": true}\n@@envtool {broken\n'
    assert torch_runtime.parse_probe_output(out) == [{"stage": "import", "ok": True}]


@pytest.mark.integration
def test_a_venv_made_from_this_python_is_inspected_as_itself(tmp_path: Path) -> None:
    # its bin/python is a symlink to the interpreter running the tests, yet another environment
    venv.EnvBuilder(with_pip=False, symlinks=True).create(tmp_path / "v")
    facts, notes = python_env.probe_python(str(tmp_path / "v" / "bin" / "python"))
    assert facts.env_prefix == str(tmp_path / "v")
    assert facts.torch is None


def test_a_tool_beside_the_running_python_is_found_without_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``.venv/bin/envtool`` without an activated venv: uv installed into that venv still counts."""
    bindir = tmp_path / "venv-bin"
    bindir.mkdir()
    uv = bindir / "uv"
    uv.write_text("#!/bin/sh\necho 'uv 0.9.7'\n")
    uv.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(bindir / "python"))
    assert runner.which("uv", path=str(tmp_path / "empty")) == str(uv)
    assert runner.resolve(["uv", "--version"], env={"PATH": str(tmp_path / "empty")})[0] == str(uv)
    tools, _ = python_env.probe_tools({"PATH": str(tmp_path / "empty")})
    assert {t.name: t.path for t in tools}["uv"] == str(uv)
    assert runner.which("no-such-tool-xyz", path=str(tmp_path / "empty")) is None

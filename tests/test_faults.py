"""The fault matrix: real faults injected into detect, checklist, install and bench.

Each test breaks something for real (a fake ``nvidia-smi`` first on PATH, a fake torch in a
real venv, an index on 127.0.0.1 that refuses or never answers, a file-size limit, a signal
to a real ``envtool install``) and checks that envtool finishes, says what is wrong, and
loses nothing. NVML faults go through the fake pynvml built from captured nvidia-smi output
(``tests/fakes``): this machine has no GPU. See the README's "Faults and hostile input".
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
from envtool_cli import cli_json

from envtool import install

try:  # `python -m pytest` from the repository root
    from tests.fakes import fake_pynvml as fp
except ImportError:  # plain `pytest`: the tests folder itself is on sys.path
    from fakes import fake_pynvml as fp  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
posix_only = pytest.mark.skipif(
    os.name != "posix", reason="fake tools are shell scripts; signals and rlimits are POSIX"
)

# A checklist file that leaves out the slow workload checks, so a fault test stays short.
LEAN = '[checks]\nskip = ["transformers", "train_step", "bench", "smoke_train"]\n'


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), extra.get("PYTHONPATH", "")) if p)
    return env


def cli_proc(*argv: str, env: dict[str, str], timeout: float = 120) -> tuple[int, dict]:
    """``python -m envtool ARGV --json`` as a real process (its own signals, limits, PATH)."""
    done = subprocess.run(
        [sys.executable, "-m", "envtool", *argv, "--json"], capture_output=True, text=True, env=env, timeout=timeout
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def ids(envelope: dict) -> list[str]:
    return [f["id"] for f in envelope["findings"]]


def lean_checklist(tmp_path: Path) -> str:
    p = tmp_path / "lean.toml"
    p.write_text(LEAN)
    return str(p)


# =========================================================================== probes: nvidia-smi

DEVICE_HANDLE = "Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error"
SMI_FAULTS = {
    # name: (shell body of the fake nvidia-smi, probe status, words that must reach the report)
    "hangs": ("sleep 60", "timeout", "did not answer"),
    "garbage": ("echo 'this is not XML <<<'", "error", "nvidia-smi"),
    "non_utf8": (r"printf '\377\376\000\201<nvidia_smi_log>\n'", "error", "nvidia-smi"),
    "device_handle": (f'echo "{DEVICE_HANDLE}"\nexit 255', "error", DEVICE_HANDLE),
}


def fake_smi(tmp_path: Path, body: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    smi = bin_dir / "nvidia-smi"
    smi.write_text(f"#!/bin/sh\n{body}\n")
    smi.chmod(0o755)
    return subprocess_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def _smi_note(envelope: dict) -> dict:
    notes = [
        n for n in envelope["data"].get("probes") or envelope["data"]["facts"]["probes"] if n["probe"] == "nvidia-smi"
    ]
    assert len(notes) == 1, notes
    return notes[0]


@posix_only
@pytest.mark.integration
@pytest.mark.parametrize("fault", sorted(SMI_FAULTS))
def test_detect_survives_a_broken_nvidia_smi(tmp_path: Path, fault: str) -> None:
    body, status, words = SMI_FAULTS[fault]
    code, env = cli_proc("detect", "--timeout", "2", env=fake_smi(tmp_path, body))
    note = _smi_note(env)
    assert note["status"] == status and words in note["reason"], note
    # the report is whole apart from the GPU part, and says it is partial or that the driver failed
    assert env["data"]["system"]["logical_cores"] == os.cpu_count()
    assert env["data"]["recommended_profile"]["name"] == "cpu"
    assert {"probe_failed", "no_driver"} & set(ids(env)), ids(env)
    assert code in (0, 1) and env["exit_code"] == code


@posix_only
@pytest.mark.integration
def test_checklist_survives_a_hanging_nvidia_smi(tmp_path: Path) -> None:
    # checklist's probes use their default 5 s timeout: bounded, so the test is too
    code, env = cli_proc(
        "checklist", "--checklist", lean_checklist(tmp_path), env=fake_smi(tmp_path, "sleep 60"), timeout=180
    )
    assert _smi_note(env)["status"] == "timeout"
    checks = {c["id"]: c["status"] for c in env["data"]["checks"]}
    assert checks["os"] == "pass" and checks["torch_imports"] in ("pass", "fail")
    left = subprocess.run(["pgrep", "-f", str(tmp_path / "bin" / "nvidia-smi")], capture_output=True, text=True)
    assert left.stdout.strip() == ""  # nothing left sleeping


@posix_only
@pytest.mark.integration
def test_checklist_reports_the_device_handle_error(tmp_path: Path) -> None:
    code, env = cli_proc(
        "checklist",
        "--checklist",
        lean_checklist(tmp_path),
        env=fake_smi(tmp_path, SMI_FAULTS["device_handle"][0]),
        timeout=180,
    )
    assert DEVICE_HANDLE in _smi_note(env)["reason"]
    assert code == env["exit_code"] and env["data"]["checks"]


# =========================================================================== probes: NVML (fake pynvml)

A5000_CC = (8, 6)  # NVIDIA's CUDA GPUs list, "RTX A5000 | 8.6" (the source test_nvml.py cites)


def a5000(nvidia_smi_fixtures: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    text = (nvidia_smi_fixtures / "rtx-a5000-x2-driver590.xml").read_bytes().decode("utf-8", errors="replace")
    gpus = fp.gpus_from_nvidia_smi_xml(text, [A5000_CC, A5000_CC])
    # <driver_version>590.44.01</driver_version>, <cuda_version>13.1</cuda_version>
    return fp.make_fake_pynvml(gpus, driver_version="590.44.01", cuda_driver_version=13010, **kwargs)


@pytest.fixture
def no_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No nvidia-smi to fall back on: NVML is the only source, as the fault needs."""
    monkeypatch.setenv(
        "PATH",
        os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "nvidia-smi").exists()),
    )


def test_nvml_library_missing_is_a_note_not_a_crash(
    nvidia_smi_fixtures: Path, monkeypatch: pytest.MonkeyPatch, no_smi: None
) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", a5000(nvidia_smi_fixtures, init_error="NVMLError_LibraryNotFound"))
    code, env = cli_json("detect")
    nvml_note = next(n for n in env["data"]["probes"] if n["probe"] == "nvml")
    assert nvml_note["status"] == "unavailable" and "NVML Shared Library Not Found" in nvml_note["reason"]
    assert env["data"]["gpus"] == [] and env["data"]["recommended_profile"]["name"] == "cpu"
    assert code == env["exit_code"]


@pytest.mark.parametrize("call", ["nvmlDeviceGetHandleByIndex", "nvmlDeviceGetMemoryInfo"])
def test_one_lost_gpu_of_two_is_a_finding_and_the_other_is_read(
    nvidia_smi_fixtures: Path, monkeypatch: pytest.MonkeyPatch, no_smi: None, call: str
) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", a5000(nvidia_smi_fixtures, fail={(1, call): "NVMLError_GpuIsLost"}))
    code, env = cli_json("detect")
    g0, g1 = env["data"]["gpus"]
    assert g0["name"] == "NVIDIA RTX A5000" and g0["error"] is None and g0["memory_total_bytes"]
    assert "GPU is lost" in g1["error"]
    lost = [f for f in env["findings"] if f["id"] == "gpu_error"]
    assert len(lost) == 1 and "GPU is lost" in lost[0]["message"] and lost[0]["fix"]
    assert code == 1 == env["exit_code"]


def test_not_supported_on_one_gpu_is_no_error(
    nvidia_smi_fixtures: Path, monkeypatch: pytest.MonkeyPatch, no_smi: None
) -> None:
    fail = {
        (0, "nvmlDeviceGetPowerManagementLimit"): "NVMLError_NotSupported",
        (0, "nvmlDeviceGetTotalEccErrors"): "NVMLError_NotSupported",
    }
    monkeypatch.setitem(sys.modules, "pynvml", a5000(nvidia_smi_fixtures, fail=fail))
    code, env = cli_json("detect")
    g0, g1 = env["data"]["gpus"]
    assert {"power_limit_w"} <= set(g0["unsupported"]) and g0["power_limit_w"] is None and g0["error"] is None
    assert g1["power_limit_w"] == 230.0
    assert "gpu_error" not in ids(env) and "probe_failed" not in ids(env)


def test_checklist_with_a_lost_gpu_finishes_and_fails(
    tmp_path: Path, nvidia_smi_fixtures: Path, monkeypatch: pytest.MonkeyPatch, no_smi: None
) -> None:
    monkeypatch.setitem(
        sys.modules,
        "pynvml",
        a5000(nvidia_smi_fixtures, fail={(1, "nvmlDeviceGetHandleByIndex"): "NVMLError_GpuIsLost"}),
    )
    checklist = tmp_path / "c.toml"
    checklist.write_text(
        "[checks]\n"
        'skip = ["torch_imports", "torch_build", "gpu_kernel", "transformers", "train_step", "bench", "smoke_train"]\n'
    )
    code, env = cli_json("checklist", "--checklist", str(checklist), "--output", str(tmp_path / "r.html"))
    checks = {c["id"]: c for c in env["data"]["checks"]}
    assert checks["driver"]["status"] == "fail" and "590.44.01" in checks["driver"]["seen"]
    assert "GPU 1" in checks["driver"]["seen"] and "GPU is lost" in checks["driver"]["seen"] and checks["driver"]["fix"]
    assert code == 1
    assert "GPU is lost" in (tmp_path / "r.html").read_text(encoding="utf-8")


# =========================================================================== probes: a broken torch

TORCH_FAULTS = {
    "raises": ("raise ImportError('libcudnn.so.9: cannot open shared object file')\n", "import_error", "libcudnn.so.9"),
    "hangs": ("import time\ntime.sleep(60)\n", "timeout", "did not finish"),
    "aborts": ("import os\nos.abort()\n", "crashed", "SIGABRT"),
}


def venv_with_torch(tmp_path: Path, body: str) -> Path:
    """A real venv whose torch package runs ``body`` on import (its version.py is honest)."""
    venv.EnvBuilder(with_pip=False).create(tmp_path / "env")
    py = tmp_path / "env" / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
    )
    (site / "torch").mkdir()
    (site / "torch" / "version.py").write_text("__version__ = '2.13.0+cpu'\ncuda = None\nhip = None\ndebug = False\n")
    (site / "torch" / "__init__.py").write_text(body)
    return py


@posix_only
@pytest.mark.integration
@pytest.mark.parametrize("fault", sorted(TORCH_FAULTS))
def test_checklist_with_a_broken_torch(tmp_path: Path, fault: str) -> None:
    """The real deep probe against the real broken torch; the hang is cut by the probe's timeout."""
    from envtool import checklist
    from envtool.detect import collect_facts
    from envtool.probes.torch_runtime import probe_torch_runtime

    body, outcome, words = TORCH_FAULTS[fault]
    py = str(venv_with_torch(tmp_path, body))

    def never(*_: object) -> dict:
        raise AssertionError("a check that depends on torch ran although torch does not import")

    ctx = checklist.Context(
        facts=collect_facts(python=py),
        python=py,
        python_exists=True,
        config=checklist.ChecklistConfig(),
        profile=None,
        profile_note="none",
        deep_probe=lambda: probe_torch_runtime(py, timeout=4)[0],
        transformers_probe=never,
        workload=never,
        train=never,
        command=lambda c: (0, ""),
    )
    results = {r.id: r for r in checklist.run_checks(ctx)}
    assert ctx.runtime().outcome == outcome
    assert results["torch_imports"].status == "fail" and words in results["torch_imports"].seen
    assert all(results[c].status == "skip" for c in ("torch_build", "transformers", "train_step", "bench"))


@posix_only
@pytest.mark.integration
def test_checklist_cli_with_an_aborting_torch_exits_1_with_a_report(tmp_path: Path) -> None:
    py = venv_with_torch(tmp_path, TORCH_FAULTS["aborts"][0])
    report = tmp_path / "report.json"
    code, env = cli_json(
        "checklist", "--python", str(py), "--checklist", lean_checklist(tmp_path), "--output", str(report)
    )
    checks = {c["id"]: c for c in env["data"]["checks"]}
    assert code == 1 and checks["torch_imports"]["status"] == "fail" and "SIGABRT" in checks["torch_imports"]["seen"]
    assert json.loads(report.read_text())["data"]["checks"] == env["data"]["checks"]


# =========================================================================== installs

SMALL = (
    'description = "test: small real packages"\nextends = "cpu"\npackages = ["six==1.17.0"]\n[torch]\ninstall = false\n'
)


def profiles_dir(tmp_path: Path, text: str = SMALL) -> Path:
    d = tmp_path / "profiles"
    d.mkdir(exist_ok=True)
    (d / "small.toml").write_text(text, encoding="utf-8")
    return d


def tree_digest(root: Path) -> dict[str, str]:
    """Every file's bytes (and every link's target) under ``root``: 'byte-for-byte untouched'."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def sibling(tmp_path: Path) -> Iterator[Path]:
    """The user's other environment, made before; it must come out byte-for-byte the same."""
    path = tmp_path / "other-env"
    venv.EnvBuilder(with_pip=False).create(path)
    (path / "user-notes.txt").write_text("mine\n")
    before = tree_digest(path)
    yield path
    assert tree_digest(path) == before


@pytest.fixture
def silent_index() -> Iterator[str]:
    """An index on 127.0.0.1 that accepts connections and never writes a byte."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/simple"
    stop.set()
    t.join(5)
    for c in held:
        c.close()
    server.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connections are refused
    return port


def index_env(monkeypatch: pytest.MonkeyPatch | None, url: str, timeout: str = "5") -> dict[str, str]:
    """pip pointed at ``url`` only (no config file, no find-links, no retries)."""
    extra = {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_FIND_LINKS": "",
        "PIP_INDEX_URL": url,
        "PIP_RETRIES": "0",
        "PIP_DEFAULT_TIMEOUT": timeout,
    }
    if monkeypatch is not None:
        for k, v in extra.items():
            monkeypatch.setenv(k, v)
    return subprocess_env(**extra)


def assert_clean(target: Path) -> None:
    """Nothing of a failed install is left: no environment, no lock, no marker."""
    assert not target.exists()
    assert not install.lock_path(target).exists()
    assert not install.partial_marker(target).exists()


def rerun_succeeds(tmp_path: Path, target: Path) -> dict:
    """A plain rerun (the machine's own index) makes a verified environment at the same place."""
    code, env = cli_json(
        "install", "--yes", "--profile", "small", "--profiles-dir", str(profiles_dir(tmp_path)), "--prefix", str(target)
    )
    assert code == 0, env["errors"]
    assert json.loads((target / install.LOCK_FILE).read_text())["installed"]["six"] == "1.17.0"
    assert not install.lock_path(target).exists() and not install.partial_marker(target).exists()
    return env


@posix_only
@pytest.mark.integration
def test_index_that_refuses_connections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sibling: Path) -> None:
    index_env(monkeypatch, f"http://127.0.0.1:{closed_port()}/simple")
    target = tmp_path / "env"
    code, env = cli_json(
        "install", "--yes", "--profile", "small", "--profiles-dir", str(profiles_dir(tmp_path)), "--prefix", str(target)
    )
    assert code == 3 and "step 2" in env["errors"][0] and "log:" in env["errors"][0]
    assert_clean(target)
    assert "six" in (tmp_path / "env.envtool.log").read_text()  # the log says what pip tried


@posix_only
@pytest.mark.integration
def test_index_that_never_answers_is_cut_by_the_step_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, silent_index: str, sibling: Path
) -> None:
    index_env(monkeypatch, silent_index, timeout="600")  # pip would wait 10 minutes per try
    target = tmp_path / "env"
    code, env = cli_json(
        "install",
        "--yes",
        "--profile",
        "small",
        "--profiles-dir",
        str(profiles_dir(tmp_path)),
        "--prefix",
        str(target),
        "--step-timeout",
        "15",
    )
    assert code == 3 and "timed out" in env["errors"][0]
    assert_clean(target)


NUMPY = SMALL.replace('"six==1.17.0"', '"numpy==2.2.6"')  # its OpenBLAS library is far over 8 MiB


@posix_only
@pytest.mark.integration
def test_write_failure_part_way_rolls_back(tmp_path: Path, sibling: Path) -> None:
    """RLIMIT_FSIZE on envtool and its installers: the venv (pip's wheel is 2 MiB) is made,
    then pip fails writing numpy's large shared library (EFBIG; Python ignores SIGXFSZ)."""
    limit = 8 * 2**20
    target = tmp_path / "env"
    argv = [
        "install",
        "--yes",
        "--json",
        "--profile",
        "small",
        "--profiles-dir",
        str(profiles_dir(tmp_path, NUMPY)),
        "--prefix",
        str(target),
    ]
    code = (
        f"import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        "os.execv(sys.executable, [sys.executable, '-m', 'envtool', *sys.argv[1:]])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, env=subprocess_env(), timeout=300
    )
    env = json.loads(done.stdout)
    assert done.returncode == 3, env["errors"]
    assert "step 2" in env["errors"][0] and "numpy" in (tmp_path / "env.envtool.log").read_text()
    assert_clean(target)


def _pids_using(target: Path) -> list[int]:
    """Processes whose command line names ``target`` (an installer this test started)."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                cmd = (d / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(str(target).encode() in part for part in cmd):
                found.append(int(d.name))
    return found


def _start_install_against(tmp_path: Path, target: Path, url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "envtool",
            "install",
            "--yes",
            "--profile",
            "small",
            "--profiles-dir",
            str(profiles_dir(tmp_path)),
            "--prefix",
            str(target),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=index_env(None, url, timeout="600"),
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until pip is running against the silent index
        if line.startswith("+ ") and "pip install" in line:
            break
    time.sleep(1.0)
    assert target.exists() and (target / "pyvenv.cfg").exists()  # a half-made environment
    return proc


@posix_only
@pytest.mark.integration
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sigint_or_sigterm_mid_install_rolls_back_then_a_rerun_succeeds(
    tmp_path: Path, silent_index: str, sibling: Path, sig: signal.Signals
) -> None:
    target = tmp_path / "env"
    proc = _start_install_against(tmp_path, target, silent_index)
    try:
        proc.send_signal(sig)
        rest = proc.communicate(timeout=60)[0]
    finally:
        proc.kill()
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest
    assert_clean(target)
    assert not _pids_using(target)  # pip's process group went with it
    rerun_succeeds(tmp_path, target)


@posix_only
@pytest.mark.integration
def test_sigkill_mid_install_then_a_rerun_cleans_up_and_succeeds(
    tmp_path: Path, silent_index: str, sibling: Path
) -> None:
    target = tmp_path / "env"
    proc = _start_install_against(tmp_path, target, silent_index)
    proc.kill()  # SIGKILL: no handler runs, nothing is rolled back
    proc.communicate(timeout=30)
    for pid in _pids_using(target):  # none expected (see the next test); never leave one behind
        os.kill(pid, signal.SIGKILL)
    # what a killed run leaves: the half-made env, its marker, and a lock file of a dead pid
    assert target.exists() and install.partial_marker(target).exists() and install.lock_path(target).exists()
    env = rerun_succeeds(tmp_path, target)
    assert "half-made" in env["data"]["recovered"]


@posix_only
@pytest.mark.integration
def test_sigkill_mid_install_leaves_no_installer_running(tmp_path: Path, silent_index: str) -> None:
    target = tmp_path / "env"
    proc = _start_install_against(tmp_path, target, silent_index)
    proc.kill()
    proc.communicate(timeout=30)
    time.sleep(1.0)
    orphans = _pids_using(target)
    for pid in orphans:
        os.kill(pid, signal.SIGKILL)
    assert orphans == []


def test_a_second_install_is_refused_while_the_first_holds_the_lock(tmp_path: Path, sibling: Path) -> None:
    target = tmp_path / "env"
    with install.target_lock(target):
        code, env = cli_json(
            "install",
            "--yes",
            "--profile",
            "small",
            "--profiles-dir",
            str(profiles_dir(tmp_path)),
            "--prefix",
            str(target),
        )
        assert code == 1 and "being installed" in env["errors"][0]
        assert not target.exists() and not install.partial_marker(target).exists()


def test_a_users_own_directory_is_never_taken_for_a_half_made_env(tmp_path: Path) -> None:
    target = tmp_path / "env"
    target.mkdir()
    (target / "data.txt").write_text("precious\n")
    install.lock_path(target).write_text("999999999\n")  # a stale lock, but no partial marker
    code, env = cli_json(
        "install", "--yes", "--profile", "small", "--profiles-dir", str(profiles_dir(tmp_path)), "--prefix", str(target)
    )
    assert code == 2 and "already exists" in env["errors"][0]
    assert (target / "data.txt").read_text() == "precious\n"


# =========================================================================== bench


@posix_only
@pytest.mark.integration
@pytest.mark.parametrize(
    "body,kind,code,words",
    [
        ("import time\ntime.sleep(60)\n", "timeout", 3, "did not finish within 3 s"),
        # the OOM killer's signal: the worker dies without a word
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "crashed", 3, "SIGKILL"),
    ],
)
def test_bench_worker_that_hangs_or_is_killed(tmp_path: Path, body: str, kind: str, code: int, words: str) -> None:
    py = venv_with_torch(tmp_path, body)
    got, env = cli_json("bench", "--python", str(py), "--timeout", "3", "--no-save")
    err = env["data"]["result"]["error"]
    assert err["kind"] == kind and words in err["message"], err
    assert got == code and env["data"]["verdict"]["status"] == "fail"
    assert not _pids_using(py.parent.parent)  # the hung workload is gone

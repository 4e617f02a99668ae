"""Real installs into temp dirs: success + verification, failure rollback, Ctrl-C, locks,
the conda backend against a stand-in, uv, and one end-to-end torch install (integration)."""

from __future__ import annotations

import http.server
import io
import json
import os
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
import time
import venv
from pathlib import Path

import pytest

from envtool import checklist, install, runner, workload
from envtool.cli import main
from envtool.model import HostFacts

REPO = Path(__file__).resolve().parents[1]
SMALL = (
    'description = "test: small real packages"\nextends = "cpu"\npackages = ["six==1.17.0"]\n[torch]\ninstall = false\n'
)


def profiles_dir(tmp_path: Path, text: str = SMALL, name: str = "small") -> Path:
    d = tmp_path / "profiles"
    d.mkdir(exist_ok=True)
    (d / f"{name}.toml").write_text(text, encoding="utf-8")
    return d


def run_install(*args: str) -> tuple[int, dict]:
    out = io.StringIO()
    code = main(["install", "--yes", "--json", *args], stdout=out, stderr=io.StringIO())
    return code, json.loads(out.getvalue())


# --------------------------------------------------------------------------- runner.stream


def test_stream_echoes_logs_and_keeps_exit_code(tmp_path: Path) -> None:
    seen: list[str] = []
    log = tmp_path / "log"
    done = runner.stream(
        [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(4)"],
        timeout=30,
        on_line=seen.append,
        log_file=log,
    )
    assert done.returncode == 4 and not done.ok
    assert seen[0].startswith("+ ") and "out" in seen and "err" in seen
    assert log.read_text().splitlines() == seen


def test_stream_timeout_kills_the_group(tmp_path: Path) -> None:
    done = runner.stream(
        [sys.executable, "-c", "import time; print('x', flush=True); time.sleep(60)"],
        timeout=1,
        log_file=tmp_path / "log",
    )
    assert done.timed_out and done.returncode is None


# --------------------------------------------------------------------------- real venv installs


@pytest.mark.integration
def test_small_venv_install_succeeds_and_verifies(tmp_path: Path) -> None:
    target = tmp_path / "env"
    code, env = run_install(
        "--profile", "small", "--profiles-dir", str(profiles_dir(tmp_path)), "--prefix", str(target)
    )
    assert code == 0, env["errors"]
    checks = {c["id"]: c for c in env["data"]["verification"]}
    assert checks["pins"]["status"] == "pass" and "six 1.17.0" in checks["pins"]["seen"]
    assert checks["python"]["status"] == "pass" and checks["env"]["status"] == "pass"
    assert checks["torch_imports"]["status"] == "skip" and "installs no torch" in checks["torch_imports"]["seen"]
    lock = json.loads((target / install.LOCK_FILE).read_text())
    assert lock["installed"]["six"] == "1.17.0" and lock["verification"]["ok"] is True
    assert not install.lock_path(target).exists()  # released
    # a second install into the same target is refused: always a NEW environment
    code, env = run_install(
        "--profile", "small", "--profiles-dir", str(profiles_dir(tmp_path)), "--prefix", str(target)
    )
    assert code == 2 and "already exists" in env["errors"][0]
    assert (target / install.LOCK_FILE).exists()  # and it was left alone


@pytest.mark.integration
def test_unresolvable_pin_fails_with_exit_3_and_leaves_nothing(tmp_path: Path) -> None:
    d = profiles_dir(tmp_path, SMALL.replace("six==1.17.0", "six==99.0.0"))
    target = tmp_path / "env"
    code, env = run_install("--profile", "small", "--profiles-dir", str(d), "--prefix", str(target))
    assert code == 3
    assert "six==99.0.0" in env["errors"][0] or "No matching distribution" in env["errors"][0]
    assert not target.exists()
    assert "log:" in env["errors"][0]


def test_locked_target_is_refused_and_a_dead_holder_is_recovered(tmp_path: Path) -> None:
    target = tmp_path / "env"
    d = profiles_dir(tmp_path)
    with install.target_lock(target):
        code, env = run_install("--profile", "small", "--profiles-dir", str(d), "--prefix", str(target))
    assert code == 1 and f"process {os.getpid()}" in env["errors"][0]
    assert not target.exists()
    # a lock file left by a dead process (no flock held) is taken over
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    install.lock_path(target).write_text(dead + "\n")
    with install.target_lock(target) as path:
        assert path.read_text().strip() == str(os.getpid())


def test_refuses_a_gpu_profile_on_a_machine_without_one(tmp_path: Path) -> None:
    from envtool.detect import collect_facts
    from envtool.rules import has_gpu

    if has_gpu(collect_facts()) is not False:
        pytest.skip("this machine has an NVIDIA GPU")
    code, env = run_install("--profile", "cuda12", "--prefix", str(tmp_path / "env"))
    assert code == 1 and [f["id"] for f in env["findings"]] == ["no_gpu"]
    assert not (tmp_path / "env").exists()
    code, env = run_install("--profile", "cuda12", "--prefix", str(tmp_path / "env"), "--force", "--dry-run")
    assert code == 0 and env["data"]["dry_run"] and env["findings"][0]["severity"] == "warn"


class _Hang(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - an index that never answers: pip waits in its install step
        time.sleep(60)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.integration
def test_sigint_mid_install_rolls_back(tmp_path: Path) -> None:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Hang)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = tmp_path / "env"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_FIND_LINKS": "",
        "PIP_DEFAULT_TIMEOUT": "60",
        "PIP_INDEX_URL": f"http://127.0.0.1:{server.server_address[1]}/simple",
    }
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
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # wait until pip is running against the hanging index
            if line.startswith("+ ") and "pip install" in line:
                break
        time.sleep(1.0)
        assert target.exists()
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[0]
    finally:
        proc.kill()
        server.shutdown()
    assert proc.returncode == 130, rest
    assert not target.exists()
    assert not install.lock_path(target).exists()
    assert (tmp_path / "env.envtool.log").read_text().startswith("+ ")


# --------------------------------------------------------------------------- conda (stand-in) and uv

# A STAND-IN for conda: conda cannot reach its channels on this machine. It records every
# call, makes a real venv for `create`, and runs `run ... python ARGS` with that venv's python.
STAND_IN = """#!{python}
import json, os, subprocess, sys
with open(os.environ["STANDIN_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
prefix = args[args.index("--prefix") + 1]
if args[0] == "create":
    sys.exit(subprocess.call([{python!r}, "-m", "venv", prefix]) or os.makedirs(os.path.join(prefix, "conda-meta")))
if args[0] == "run":
    rest = args[args.index("python") + 1:]
    sys.exit(subprocess.call([os.path.join(prefix, "bin", "python"), *rest]))
sys.exit(2)
"""


@pytest.mark.integration
def test_conda_backend_against_a_recording_stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    conda = bin_dir / "conda"
    conda.write_text(STAND_IN.format(python=sys.executable))
    conda.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("STANDIN_LOG", str(log))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "env"
    code, env = run_install(
        "--backend",
        "conda",
        "--profile",
        "small",
        "--profiles-dir",
        str(profiles_dir(tmp_path)),
        "--prefix",
        str(target),
    )
    assert code == 0, env["errors"]
    # detect's python-env probe asks the stand-in for its version; the rest is the plan
    calls = [c for c in (json.loads(line) for line in log.read_text().splitlines()) if c != ["--version"]]
    assert calls == [
        ["create", "--yes", "--prefix", str(target), "--override-channels", "-c", "conda-forge", "python=3.11", "pip"],
        [
            "run",
            "--prefix",
            str(target),
            "--no-capture-output",
            "python",
            "-m",
            "pip",
            "install",
            "--no-input",
            "six==1.17.0",
        ],
    ]
    assert (target / install.LOCK_FILE).exists()
    assert env["data"]["activate"] == f"conda activate {target}"


def _uv() -> str:
    found = runner.which("uv") or runner.which("uv", str(Path(sys.executable).parent))
    if found:
        return found
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "uv"], capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        pytest.skip(f"uv is not installed and could not be installed from PyPI: {done.stderr.strip()[-200:]}")
    return str(Path(sys.executable).parent / "uv")


@pytest.mark.integration
def test_uv_backend_real_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uv = _uv()
    monkeypatch.setenv("PATH", f"{Path(uv).parent}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "env"
    code, env = run_install(
        "--backend", "uv", "--profile", "small", "--profiles-dir", str(profiles_dir(tmp_path)), "--prefix", str(target)
    )
    assert code == 0, env["errors"]
    assert env["data"]["steps"][0]["argv"][:2] == ["uv", "venv"]
    assert json.loads((target / install.LOCK_FILE).read_text())["installed"]["six"] == "1.17.0"


# --------------------------------------------------------------------------- end to end, real torch

E2E = """description = "test: the cpu profile with torch from the installer's configured default"
extends = "cpu"
[torch]
version = "2.13.0"
index = "default"
"""


@pytest.mark.integration
def test_end_to_end_torch_install_verifies(tmp_path: Path) -> None:
    """torch 2.13.0 from the installer's default (here served from local disk), then every check."""
    target = tmp_path / "env"
    code, env = run_install(
        "--profile", "e2e", "--profiles-dir", str(profiles_dir(tmp_path, E2E, "e2e")), "--prefix", str(target)
    )
    checks = {c["id"]: c for c in env["data"].get("verification", [])}
    assert code == 0, (env["errors"], checks)
    for cid in ("pins", "torch_imports", "torch_build", "transformers"):
        assert checks[cid]["status"] == "pass", checks[cid]
    # the torch version and the CPU build match the profile; transformers is installed at its pin
    assert "torch 2.13.0" in checks["pins"]["seen"] and "transformers " in checks["pins"]["seen"]
    assert "CUDA none" in checks["torch_build"]["seen"] and "kernel ran on cpu" in checks["torch_imports"]["seen"]
    bert = checks["train_step"]
    assert bert["status"] == ("pass" if workload.workload_dir() else "skip"), bert
    lock = json.loads((target / install.LOCK_FILE).read_text())
    assert lock["installed"]["torch"].startswith("2.13.0")


# --------------------------------------------------------------------------- the workload in a target python


def test_workload_child_sees_only_its_private_copy(tmp_path: Path) -> None:
    with workload.private_copy() as root:
        assert sorted(p.name for p in root.iterdir()) == ["finetune_smoke"]
        assert (root / "finetune_smoke" / "bench.py").is_file() and not (root / "finetune_smoke" / "data").exists()
        env = workload.child_env(root, {"PYTHONPATH": str(tmp_path), "PATH": os.environ.get("PATH", "")})
        assert env["PYTHONPATH"] == str(root) and env["HF_HUB_OFFLINE"] == "1"
    assert not root.exists()


@pytest.mark.integration
def test_bert_step_imports_the_targets_torch_not_envtools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a non-editable install ``finetune_smoke`` lies in envtool's site-packages, beside the torch
    and transformers of envtool's ``bench`` extra: the new environment's BERT step must not see them."""
    site = tmp_path / "envtool-site-packages"
    src = workload.workload_dir()
    assert src is not None
    shutil.copytree(src, site / "finetune_smoke", ignore=shutil.ignore_patterns("__pycache__", "data"))
    leaked = tmp_path / "leaked"
    for name in ("torch", "transformers"):
        (site / name).mkdir()
        (site / name / "__init__.py").write_text(
            f"open({str(leaked)!r}, 'a').write({name!r} + '\\n')\nraise SystemExit(7)\n"
        )
    monkeypatch.setattr(workload, "workload_dir", lambda: site / "finetune_smoke")
    venv.EnvBuilder(with_pip=False).create(tmp_path / "target")  # the target: no torch at all
    py = str(tmp_path / "target" / "bin" / "python")
    ctx = checklist.Context.for_target(
        facts=HostFacts(),
        python=py,
        config=checklist.ChecklistConfig(),
        profile=None,
        profile_note="",
        env={**install.standalone_env(), "PYTHONPATH": str(site)},  # envtool's own path must not leak either
    )
    res = ctx.workload({"model": "tiny", "steps": 1, "warmup": 0, "batch_size": 2, "seq_len": 8, "device": "cpu"})
    assert not leaked.exists(), leaked.read_text()
    # the workload ran (envtool's copy) and found no torch in the target: the truth about the target
    assert res["ok"] is False and "No module named 'torch'" in res["error"]["message"], res


# --------------------------------------------------------------------------- the pipeline and onboard


def test_pipeline_steps_run_in_order_and_an_int_ends_the_run() -> None:
    from envtool import workflow

    seen: list[str] = []

    def step(name: str, out: int | None = None):  # type: ignore[no-untyped-def]
        def run(s: workflow.InstallState) -> workflow.InstallState | int:
            seen.append(name)
            return s if out is None else out

        return run

    state = workflow.InstallState(
        options=workflow.InstallOptions(request=workflow.PlanRequest(profile="cpu")),
        verification=workflow.Verification(),
        facts=HostFacts(),
        ui=workflow.QuietUi(),
    )
    assert workflow.execute(state, [step("a"), step("b")]) == (state, 0)
    assert workflow.execute(state, [step("c"), step("d", 5), step("e")]) == (state, 5)
    assert seen == ["a", "b", "c", "d"]


def test_install_auto_surveys_the_machine_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from envtool import detect

    calls: list[object] = []
    real = detect.collect_facts

    def counting(**kwargs: object) -> object:
        calls.append(kwargs)
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(detect, "collect_facts", counting)
    code, env = run_install("--profile", "auto", "--prefix", str(tmp_path / "env"), "--dry-run")
    assert code == 0 and env["data"]["dry_run"] and env["data"]["recommended_profile"]["reasons"]
    assert len(calls) == 1


def test_dry_run_renders_the_plan_with_the_plan_renderer(tmp_path: Path) -> None:
    from envtool_cli import cli_text

    code, out, _ = cli_text("install", "--profile", "cpu", "--prefix", str(tmp_path / "env"), "--dry-run")
    assert code == 0 and "dry run: nothing was installed" in out
    assert "-m venv" in out and "torch==" in out  # the plan's own text: its steps
    assert not (tmp_path / "env").exists()


@pytest.mark.integration
def test_onboard_installs_and_runs_the_checklist_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from envtool import workflow

    runs: list[object] = []
    real = checklist.run_checks

    def counting(ctx: checklist.Context, only: object = None):  # type: ignore[no-untyped-def]
        runs.append(only)
        return real(ctx, only)  # type: ignore[arg-type]

    monkeypatch.setattr(workflow.checklist, "run_checks", counting)
    target, report = tmp_path / "env", tmp_path / "onboarding.json"
    out = io.StringIO()
    code = main(
        [
            "onboard",
            "--json",
            "--yes",
            "--profile",
            "small",
            "--profiles-dir",
            str(profiles_dir(tmp_path)),
            "--prefix",
            str(target),
            "--output",
            str(report),
        ],
        stdout=out,
        stderr=io.StringIO(),
    )
    env = json.loads(out.getvalue())
    checks = {c["id"]: c for c in env["data"]["checks"]}
    assert runs == [None]  # the whole list, once: it is also the install's verification
    assert env["data"]["install"]["target"] == str(target) and checks["pins"]["status"] == "pass"
    assert list(checks) == [c["id"] for c in env["data"]["checks"]]  # every check once
    lock = json.loads((target / install.LOCK_FILE).read_text())
    assert [c["id"] for c in lock["verification"]["checks"]] == list(checks)
    assert json.loads(report.read_text())["data"]["checks"] == env["data"]["checks"]
    assert code == (1 if any(c["status"] == "fail" for c in checks.values()) else 0)


@pytest.mark.integration
def test_onboard_checks_an_existing_environment_as_it_is(tmp_path: Path) -> None:
    venv.EnvBuilder(with_pip=False).create(tmp_path / "env")
    out = io.StringIO()
    code = main(
        ["onboard", "--json", "--prefix", str(tmp_path / "env"), "--output", str(tmp_path / "r.md")],
        stdout=out,
        stderr=io.StringIO(),
    )
    env = json.loads(out.getvalue())
    checks = {c["id"]: c for c in env["data"]["checks"]}
    assert env["data"]["install"] is None and checks["env"]["status"] == "pass"
    assert checks["torch_imports"]["status"] == "fail" and checks["pins"]["status"] == "skip"
    assert code == 1 and (tmp_path / "r.md").read_text().startswith("# envtool checklist")


def test_onboard_refuses_a_bad_output_name_before_any_work(tmp_path: Path) -> None:
    out = io.StringIO()
    code = main(
        ["onboard", "--json", "--yes", "--prefix", str(tmp_path / "env"), "--output", str(tmp_path / "r.txt")],
        stdout=out,
        stderr=io.StringIO(),
    )
    assert code == 2 and "r.txt" in json.loads(out.getvalue())["errors"][0]
    assert not (tmp_path / "env").exists()

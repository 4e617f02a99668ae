"""The command line for real: envelope contract, exit codes, detect on this machine, faults."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from envtool.cli import main

ENVELOPE_KEYS = ["schema", "command", "status", "exit_code", "data", "findings", "errors"]
REPO = Path(__file__).resolve().parents[1]


def run_main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def run_cli(*argv: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), (env or {}).get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "envtool", *argv], capture_output=True, text=True, env=full_env, timeout=timeout
    )


def test_detect_json_envelope_contract() -> None:
    code, out, err = run_main("detect", "--json")
    env = json.loads(out)  # exactly one JSON object on stdout
    assert list(env) == ENVELOPE_KEYS
    assert env["schema"] == "envtool/1"
    assert env["command"] == "detect"
    assert env["exit_code"] == code
    assert env["status"] in ("pass", "warn", "fail")
    data = env["data"]
    assert isinstance(data["gpus"], list)
    assert set(data["recommended_profile"]) == {"name", "reasons"}
    assert data["recommended_profile"]["reasons"]
    for key in ("system", "nvidia", "toolkit", "python", "env_vars", "probes"):
        assert key in data
    for f in env["findings"]:
        assert set(f) == {"id", "severity", "message", "fix"}


def test_detect_on_this_machine_sees_real_facts() -> None:
    code, out, _ = run_main("detect", "--json")
    data = json.loads(out)["data"]
    assert data["python"]["executable"]
    assert data["python"]["version"] == "{}.{}.{}".format(*sys.version_info[:3])
    assert data["system"]["logical_cores"] == os.cpu_count()
    if not data["gpus"] and not data["nvidia"]["hardware_present"]:
        assert data["recommended_profile"]["name"] == "cpu"
        assert "no_gpu" in [f["id"] for f in json.loads(out)["findings"]]


def test_detect_does_not_import_torch() -> None:
    code = (
        "import sys; from envtool.cli import main; import io; main(['detect','--json'], stdout=io.StringIO()); "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "False False", done.stderr


def test_detect_text_output_has_sections() -> None:
    code, out, _ = run_main("detect")
    for title in ("System", "NVIDIA", "CUDA toolkit", "Python", "Recommended profile"):
        assert title in out


def test_bad_usage_is_exit_2_one_line_no_traceback() -> None:
    done = run_cli("detect", "--no-such-flag")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_bad_usage_with_json_still_gives_an_envelope() -> None:
    code, out, _ = run_main("detect", "--json", "--timeout", "abc")
    env = json.loads(out)
    assert code == 2 and env["exit_code"] == 2 and env["status"] == "fail" and env["errors"]


def test_missing_python_is_bad_input() -> None:
    code, _, err = run_main("detect", "--python", "/nonexistent/python3")
    assert code == 2 and "--python" in err


@pytest.mark.integration
def test_detect_deep_runs_torch_for_real() -> None:
    pytest.importorskip("torch")
    code, out, _ = run_main("detect", "--deep", "--json")
    rt = json.loads(out)["data"]["torch_runtime"]
    assert rt["outcome"] == "ok"
    import torch

    assert rt["version"] == torch.__version__
    assert rt["devices"] and all(d["ok"] for d in rt["devices"])
    assert any("libtorch" in lib for lib in rt["loaded_libraries"])


def _fake_torch(tmp_path: Path, body: str) -> Path:
    pkg = tmp_path / "site" / "torch"
    pkg.mkdir(parents=True)
    (pkg / "version.py").write_text("__version__ = '2.5.1+cu124'\ncuda = '12.4'\nhip = None\ndebug = False\n")
    (pkg / "__init__.py").write_text(textwrap.dedent(body))
    return tmp_path / "site"


@pytest.mark.integration
@pytest.mark.parametrize(
    "body,outcome,needle",
    [
        (
            "raise ImportError('libcudnn.so.9: cannot open shared object file: No such file or directory')\n",
            "import_error",
            "libcudnn.so.9",
        ),
        ("import time\ntime.sleep(60)\n", "timeout", "did not finish"),
        ("import os\nos.abort()\n", "crashed", "SIGABRT"),
    ],
)
def test_broken_torch_becomes_a_finding(tmp_path: Path, body: str, outcome: str, needle: str) -> None:
    site = _fake_torch(tmp_path, body)
    start = time.monotonic()
    done = run_cli("detect", "--deep", "--deep-timeout", "4", "--json", env={"PYTHONPATH": str(site)})
    assert time.monotonic() - start < 60  # bounded: the hang was cut by the timeout, not by pytest
    env = json.loads(done.stdout)
    rt = env["data"]["torch_runtime"]
    assert rt["outcome"] == outcome
    assert needle in rt["error"]
    ids = [f["id"] for f in env["findings"]]
    assert "torch_import_failed" in ids
    assert done.returncode == 1
    # the fast survey still read the fake torch's version.py without importing it
    assert env["data"]["python"]["torch"]["version"] == "2.5.1+cu124"


@pytest.mark.integration
def test_hanging_nvidia_smi_is_cut_by_its_timeout(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nsleep 60\n")
    fake.chmod(0o755)
    start = time.monotonic()
    done = run_cli("detect", "--json", "--timeout", "2", env={"PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"})
    elapsed = time.monotonic() - start
    env = json.loads(done.stdout)
    assert elapsed < 30
    notes = {n["probe"]: n for n in env["data"]["probes"]}
    smi = [n for n in env["data"]["probes"] if n["status"] == "timeout"]
    assert smi, notes
    assert "probe_failed" in [f["id"] for f in env["findings"]]
    # no sleeping nvidia-smi left behind
    left = subprocess.run(["pgrep", "-f", str(fake)], capture_output=True, text=True)
    assert left.stdout.strip() == ""


@pytest.mark.integration
def test_python_flag_inspects_another_interpreter(tmp_path: Path) -> None:
    import venv

    venv.EnvBuilder(with_pip=False).create(tmp_path / "v")
    py = tmp_path / "v" / "bin" / "python"
    code, out, _ = run_main("detect", "--python", str(py), "--json")
    data = json.loads(out)["data"]
    assert data["python"]["env_kind"] == "venv"
    assert data["python"]["env_prefix"] == str(tmp_path / "v")
    assert data["python"]["torch"] is None
    assert "torch_missing" in [f["id"] for f in json.loads(out)["findings"]]


def test_secret_env_values_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_plantedsecretvalue123")
    monkeypatch.setenv("PIP_INDEX_URL", "https://alice:pw-planted-456@mirror.example/simple")
    for argv in (("detect", "--json"), ("detect",)):
        code, out, err = run_main(*argv)
        assert "hf_plantedsecretvalue123" not in out + err
        assert "pw-planted-456" not in out + err
    data = json.loads(run_main("detect", "--json")[1])["data"]
    assert data["env_vars"]["HF_TOKEN"] == "****"
    assert "mirror.example" in data["env_vars"]["PIP_INDEX_URL"]


def _imports(path: Path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_the_core_never_climbs_up_to_the_commands() -> None:
    """Orchestration lives below every command: only the CLI loads commands, and no command reaches
    into another one (``_common`` holds what they share; rendering a shared data shape is the exception)."""
    pkg = REPO / "envtool"
    commands = {p.stem for p in (pkg / "commands").glob("*.py") if not p.stem.startswith("_")}
    for path in pkg.rglob("*.py"):
        rel = path.relative_to(pkg)
        used = {m for m in _imports(path) if m.startswith("envtool.commands")}
        if rel.parts[0] == "commands":
            others = {m.split(".")[2] for m in used if m.count(".") >= 2} & (commands - {path.stem})
            # onboard's result holds checklist data: it renders it with the checklist's renderer
            allowed = {"checklist"} if path.stem == "onboard" else set()
            assert others <= allowed, (rel, others)
        elif rel != Path("cli.py"):
            assert not used, (rel, used)

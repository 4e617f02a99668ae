"""Security: no shell, a timeout on every subprocess, one index for torch, names that cannot
escape their folders, commands only from a file the user named, machine values escaped in
HTML and Markdown, and planted secrets absent from every output and every written file."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest
from envtool_cli import cli_json, cli_text

REPO = Path(__file__).resolve().parents[1]
PKG = REPO / "envtool"


# =========================================================================== the code itself


def _calls(path: Path) -> list[tuple[str, ast.Call]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            out.append((ast.unparse(node.func), node))
    return out


def test_no_shell_true_and_every_subprocess_has_a_timeout() -> None:
    checked = 0
    for path in sorted(PKG.rglob("*.py")):
        for name, call in _calls(path):
            kw = {k.arg: k.value for k in call.keywords}
            if "shell" in kw:
                assert isinstance(kw["shell"], ast.Constant) and kw["shell"].value is False, (
                    f"shell= in {path}:{call.lineno}"
                )
            # The runner's parent-death wrapper is a child script whose job is to exec the real argv.
            wrapper_exec = name == "os.execv" and path.name == "_parent_death.py"
            assert wrapper_exec or (
                name not in ("os.system", "os.popen") and not name.startswith(("os.spawn", "os.exec"))
            ), f"{name} in {path}:{call.lineno}"
            leaf = name.rsplit(".", 1)[-1]
            if name.startswith("subprocess.") and leaf in ("run", "call", "check_call", "check_output"):
                assert "timeout" in kw, f"{name} without timeout in {path}:{call.lineno}"
            if name.startswith("runner.") and leaf in ("capture", "stream"):
                assert "timeout" in kw or any(isinstance(k, ast.keyword) and k.arg is None for k in call.keywords), (
                    f"{name} without timeout in {path}:{call.lineno}"
                )
                checked += 1
            if name == "subprocess.Popen":
                # only the runner starts processes, and it waits with a timeout on each
                assert path.name == "runner.py", f"Popen outside the runner: {path}:{call.lineno}"
    assert checked >= 10  # the walk really saw the package's subprocess calls


def test_pynvml_is_imported_by_one_module_only() -> None:
    """One module speaks to the driver's library, so its timeouts and fallbacks cover every call."""
    importers = set()
    for path in sorted(PKG.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("__import__", "importlib.import_module"):
                names = [a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if any(n == "pynvml" or n.startswith("pynvml.") for n in names):
                importers.add(path.relative_to(PKG).as_posix())
    assert importers == {"probes/nvidia/nvml.py"}


def test_runner_waits_with_a_timeout_on_every_popen() -> None:
    text = (PKG / "runner.py").read_text(encoding="utf-8")
    assert text.count("subprocess.Popen(") == 1  # one place starts processes and words a failure to
    assert "proc.communicate(" in text and "timeout=timeout" in text and "left = start + timeout" in text


def test_extra_index_url_appears_nowhere_that_installs() -> None:
    for root in (PKG, REPO / "profiles"):
        for path in root.rglob("*"):
            if path.suffix in (".py", ".toml"):
                tree_text = path.read_text(encoding="utf-8")
                if path.suffix == ".py":
                    # docstrings and comments may explain why it is never used; code may not use it
                    strings = [
                        n.value
                        for n in ast.walk(ast.parse(tree_text))
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    ]
                    assert not any(
                        s.strip() == "--extra-index-url" or s.startswith("--extra-index-url") for s in strings
                    ), path
                else:
                    assert "extra-index-url" not in tree_text and "extra_index_url" not in tree_text, path


@pytest.mark.parametrize("backend", ["venv", "uv", "conda"])
def test_torch_comes_only_through_index_url(tmp_path: Path, backend: str) -> None:
    from envtool import plan, profiles

    seen = 0
    for prof in profiles.load_profiles(env={}):
        if not prof.torch or not prof.torch_index:
            continue
        p = plan.build_plan(prof, backend=backend, prefix=str(tmp_path / "env"), platform="linux")
        torch_steps = [s for s in p.steps if s.stage == "torch"]
        assert len(torch_steps) == 1, prof.name
        argv = list(torch_steps[0].argv)
        assert "--extra-index-url" not in argv and argv.count("--index-url") == 1, argv
        assert argv[argv.index("--index-url") + 1] == p.torch_index
        seen += 1
    assert seen >= 2


# =========================================================================== names and commands


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "..", "cpu/../../x", "a\x00b", "-rf"])
def test_profile_names_cannot_escape(tmp_path: Path, name: str) -> None:
    for argv in (
        ("plan", "--profile", name),
        ("install", "--profile", name, "--dry-run", "--prefix", str(tmp_path / "e")),
    ):
        code, env = cli_json(*argv)
        assert code == 2 and env["errors"], (argv, env)
    code, env = cli_json("install", "--profile", "cpu", "--name", name, "--dry-run")
    assert code == 2


def test_names_inside_files_cannot_escape(tmp_path: Path) -> None:
    outside = tmp_path / "evil.toml"
    outside.write_text('description = "outside"\n[torch]\ninstall = false\n')
    d = tmp_path / "profiles"
    d.mkdir()
    (d / "lab.toml").write_text('extends = "../evil"\n')
    code, env = cli_json("profiles", "--profiles-dir", str(d))
    assert code == 2 and "extends" in env["errors"][0]
    c = tmp_path / "c.toml"
    c.write_text(
        '[thresholds]\nexpected_profile = "../evil"\n[checks]\n'
        'skip = ["torch_imports", "torch_build", "gpu_kernel", "transformers", "train_step", "bench", "smoke_train"]\n'
    )
    code, env = cli_json("checklist", "--checklist", str(c))
    prof = next(x for x in env["data"]["checks"] if x["id"] == "profile")
    assert prof["status"] == "fail" and "not a plain name" in prof["seen"]


def test_custom_checks_run_argv_only_from_the_named_file_never_a_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "pwned"
    literal = str(tmp_path / "a b; touch pwned")  # a shell would also run `touch pwned` in the cwd
    monkeypatch.chdir(tmp_path)
    c = tmp_path / "c.toml"
    skip = '["torch_imports", "torch_build", "gpu_kernel", "transformers", "train_step", "bench", "smoke_train"]'
    c.write_text(f'[checks]\nskip = {skip}\n[[command]]\nid = "touch"\nargv = ["touch", {json.dumps(literal)}]\n')
    report = tmp_path / "report.json"
    code, env = cli_json("checklist", "--checklist", str(c), "--output", str(report))
    assert {x["id"]: x["status"] for x in env["data"]["checks"]}["touch"] == "pass"
    assert Path(literal).exists() and not marker.exists()  # one argv element, not a shell line
    Path(literal).unlink()
    # A report that carries commands (as another machine could send) is only read, never run.
    obj = json.loads(report.read_text())
    obj["data"]["command"] = [{"id": "x", "argv": ["touch", str(marker)]}]
    obj["data"]["commands"] = obj["data"]["command"]
    obj["data"]["checks"].append(
        {
            "id": "evil",
            "title": "evil",
            "status": "fail",
            "seen": "",
            "fix": f"touch {marker}",
            "argv": ["touch", str(marker)],
        }
    )
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps(obj))
    assert (
        cli_json("report", "merge", str(hostile), "--output", str(tmp_path / "fleet.html"))[0] == 1
    )  # its "evil" check fails
    cli_json("diagnose", str(hostile))
    cli_json("checklist", "--checklist", str(hostile))  # not TOML: refused, nothing run
    assert not marker.exists()


# =========================================================================== escaping machine values

XSS = "<script>alert(1)</script>"


def test_script_in_a_gpu_name_from_the_driver_renders_as_text(
    tmp_path: Path, nvidia_smi_fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nvidia-smi's real XML (escaped, as nvidia-smi escapes) with a hostile product name."""
    from xml.sax.saxutils import escape

    text = (nvidia_smi_fixtures / "tesla-t4-driver515.xml").read_text(encoding="utf-8", errors="replace")
    assert "<product_name>Tesla T4</product_name>" in text
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "smi.xml").write_text(
        text.replace("<product_name>Tesla T4</product_name>", f"<product_name>{escape(XSS)}</product_name>")
    )
    (bin_dir / "nvidia-smi").write_text(f"#!/bin/sh\ncat '{bin_dir / 'smi.xml'}'\n")
    (bin_dir / "nvidia-smi").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setitem(__import__("sys").modules, "pynvml", None)  # NVML absent: nvidia-smi is the source
    monkeypatch.setenv("NCCL_DEBUG", f"INFO{XSS}")  # an environment value shown in the facts
    c = tmp_path / "c.toml"
    c.write_text(
        "[checks]\n"
        'skip = ["torch_imports", "torch_build", "gpu_kernel", "transformers", "train_step", "bench", "smoke_train"]\n'
    )
    outputs = {}
    for ext in ("html", "md", "json"):
        code, env = cli_json("checklist", "--checklist", str(c), "--output", str(tmp_path / f"r.{ext}"))
        outputs[ext] = (tmp_path / f"r.{ext}").read_text(encoding="utf-8")
    assert env["data"]["facts"]["gpus"][0]["name"] == XSS  # the fact is kept as it was
    for fmt in ("html", "md"):
        code, merged = cli_json("report", "merge", str(tmp_path / "r.json"), "--output", str(tmp_path / f"fleet.{fmt}"))
        assert code == (1 if merged["data"]["fleet_status"] == "fail" else 0) == merged["exit_code"]
        outputs["fleet." + fmt] = (tmp_path / f"fleet.{fmt}").read_text(encoding="utf-8")
    for name in ("html", "fleet.html"):
        assert "<script>alert" not in outputs[name] and "&lt;script&gt;alert(1)&lt;/script&gt;" in outputs[name], name
    for name in ("md", "fleet.md"):
        assert "<script>" not in outputs[name] and "\\<script\\>" in outputs[name], name


# =========================================================================== secrets

SECRETS = {
    "HF_TOKEN": "hf_PLANTEDhfTokenValue0001",
    "WANDB_API_KEY": "PLANTEDwandbKey0002",
    "PIP_INDEX_URL": "https://alice:PLANTEDpipPass0003@mirror.example/simple",
    "MY_SECRET_PASSWORD": "PLANTEDmyPassword0004",
}
NEEDLES = ["hf_PLANTEDhfTokenValue0001", "PLANTEDwandbKey0002", "PLANTEDpipPass0003", "PLANTEDmyPassword0004"]


def _assert_clean(where: str, text: str) -> None:
    for needle in NEEDLES:
        assert needle not in text, f"{needle} leaked into {where}"


@pytest.mark.integration
def test_planted_secrets_appear_in_no_output_and_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    c = tmp_path / "c.toml"
    c.write_text('[checks]\nskip = ["transformers", "train_step", "bench", "smoke_train"]\n')
    texts: dict[str, str] = {}

    def run(label: str, *argv: str) -> str:
        code, out, err = cli_text(*argv)
        texts[label] = out + err
        return out

    detect_json = run("detect --json", "detect", "--json")
    run("detect", "detect")
    (tmp_path / "detect.json").write_text(detect_json)
    run("diagnose --json", "diagnose", str(tmp_path / "detect.json"), "--json")
    run("diagnose", "diagnose", str(tmp_path / "detect.json"))
    for ext in ("md", "html", "json"):
        run(f"checklist {ext}", "checklist", "--checklist", str(c), "--output", str(tmp_path / f"r.{ext}"), "--json")
    run("checklist text", "checklist", "--checklist", str(c))
    for fmt in ("html", "md", "json"):
        run(
            f"merge {fmt}",
            "report",
            "merge",
            str(tmp_path / "r.json"),
            "--output",
            str(tmp_path / f"fleet.{fmt}"),
            "--json",
        )
    run("plan", "plan", "--profile", "cpu", "--prefix", str(tmp_path / "e"), "--format", "json")
    run("plan sh", "plan", "--profile", "cpu", "--prefix", str(tmp_path / "e"), "--format", "sh")
    run("install --dry-run", "install", "--profile", "cpu", "--prefix", str(tmp_path / "e"), "--dry-run", "--json")
    out = run(
        "bench --json",
        "bench",
        "--model",
        "tiny",
        "--steps",
        "1",
        "--warmup",
        "0",
        "--batch-size",
        "2",
        "--seq-len",
        "16",
        "--json",
    )
    assert json.loads(out)["data"]["result"].get("ok") is not None
    assert json.loads(detect_json)["data"]["env_vars"].get("HF_TOKEN") == "****"  # it was seen, and masked
    for label, text in texts.items():
        _assert_clean(label, text)
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "c.toml"]
    assert any(p.parent.name == "bench" for p in files)  # the kept bench run (with its facts) is searched too
    assert len(files) >= 8
    for p in files:
        _assert_clean(str(p.relative_to(tmp_path)), p.read_text(encoding="utf-8", errors="replace"))

"""`envtool checklist`: the checklist file, custom command checks, prerequisites, real runs."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from envtool_cli import cli_json, cli_text

from envtool import checklist
from envtool.errors import BadInputError


def write(tmp_path: Path, text: str) -> str:
    p = tmp_path / "checklist.toml"
    p.write_text(text)
    return str(p)


# --------------------------------------------------------------------------- the file


def test_defaults_and_a_full_file(tmp_path: Path) -> None:
    assert checklist.load_config(None).min_python == "3.10"
    cfg = checklist.load_config(
        write(
            tmp_path,
            """
[thresholds]
min_python = "3.11"
min_disk_gib = 50
expected_profile = "cpu"
[checks]
skip = ["bench"]
train = true
[bench]
model = "tiny"
steps = 2
[[command]]
id = "has_true"
title = "true runs"
argv = ["true"]
timeout = 5
""",
        )
    )
    assert cfg.min_python == "3.11" and cfg.min_disk_gib == 50 and cfg.skip == ("bench",) and cfg.train
    assert cfg.commands[0].argv == ("true",) and cfg.bench_options == {"model": "tiny", "steps": 2}


@pytest.mark.parametrize(
    "text,needle",
    [
        ("[thresholds]\nmin_pyton = '3.10'\n", "did you mean 'min_python'"),
        ("[thresholds]\nmin_disk_gib = 'lots'\n", "thresholds.min_disk_gib' must be a int or float"),
        ("[thresholds]\nmin_python = 'three'\n", "must be a version"),
        ("[checks]\nskip = ['benhc']\n", "did you mean 'bench'"),
        ("[[command]]\nid = 'x'\nargv = 'rm -rf /'\n", "command[0].argv' must be a list"),
        ("[[command]]\nid = 'x'\nargv = []\n", "non-empty list of strings"),
        ("[[command]]\nid = 'os'\nargv = ['true']\n", "must be a new plain name"),
        ("[[command]]\nid = 'x'\nargv = ['true']\ntimeout = -1\n", "timeout must be > 0"),
        ("[[command]]\nargv = ['true']\n", "needs 'id'"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_files_name_file_key_and_fix(tmp_path: Path, text: str, needle: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BadInputError) as exc:
        checklist.load_config(path)
    assert needle in str(exc.value) and path in str(exc.value)


def test_bad_file_is_exit_2_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "[thresholds]\nmin_pyton = '3.10'\n")
    done = subprocess.run(
        [sys.executable, "-m", "envtool", "checklist", "--checklist", path],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and path in done.stderr


# --------------------------------------------------------------------------- real runs


FAST = "[checks]\nskip = ['bench', 'train_step', 'transformers']\n"


@pytest.mark.integration
def test_custom_command_checks_fail_time_out_and_pass(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        FAST
        + """
[[command]]
id = "passes"
argv = ["true"]
[[command]]
id = "fails"
title = "a lab check that fails"
argv = ["sh", "-c", "echo 'mount missing' >&2; exit 3"]
fix = "ask IT"
[[command]]
id = "hangs"
argv = ["sleep", "30"]
timeout = 1
[[command]]
id = "absent"
argv = ["no-such-program-xyz"]
""",
    )
    code, env = cli_json("checklist", "--checklist", path)
    checks = {c["id"]: c for c in env["data"]["checks"]}
    assert checks["passes"]["status"] == "pass"
    assert (
        checks["fails"]["status"] == "fail"
        and "exit 3" in checks["fails"]["seen"]
        and "mount missing" in checks["fails"]["seen"]
        and checks["fails"]["fix"] == "ask IT"
    )
    assert (
        checks["hangs"]["status"] == "fail"
        and "did not finish" in checks["hangs"]["seen"]
        and checks["hangs"]["duration_s"] < 15
    )
    assert checks["absent"]["status"] == "fail"
    assert code == 1
    assert [c["id"] for c in env["data"]["checks"]][:3] == ["os", "python", "disk"]
    for skipped in ("bench", "train_step", "transformers"):
        assert checks[skipped]["status"] == "skip" and "left out" in checks[skipped]["seen"]


@pytest.mark.integration
def test_broken_torch_skips_what_depends_on_it(tmp_path: Path) -> None:
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
    (site / "torch").mkdir()
    (site / "torch" / "version.py").write_text("__version__ = '2.13.0+cpu'\ncuda = None\nhip = None\n")
    (site / "torch" / "__init__.py").write_text(
        "raise ImportError('libtorch_cpu.so: cannot open shared object file')\n"
    )
    code, env = cli_json("checklist", "--prefix", str(tmp_path / "env"))
    checks = {c["id"]: c for c in env["data"]["checks"]}
    assert checks["env"]["status"] == "pass"
    assert checks["torch_imports"]["status"] == "fail" and "libtorch_cpu.so" in checks["torch_imports"]["seen"]
    for cid in ("torch_build", "transformers", "train_step", "bench"):
        assert checks[cid]["status"] == "skip", cid
    assert "torch does not import" in checks["torch_build"]["seen"]
    assert code == 1


@pytest.mark.integration
def test_missing_environment(tmp_path: Path) -> None:
    code, env = cli_json("checklist", "--prefix", str(tmp_path / "nope"), "--checklist", write(tmp_path, FAST))
    checks = {c["id"]: c for c in env["data"]["checks"]}
    assert checks["env"]["status"] == "fail" and checks["torch_imports"]["status"] == "skip"
    assert code == 1


@pytest.mark.integration
def test_full_checklist_on_this_machine_with_reports(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    cfg = write(tmp_path, "[bench]\nmodel = 'tiny'\nsteps = 2\nwarmup = 1\nbatch_size = 4\n")
    html = tmp_path / "report.html"
    code, env = cli_json("checklist", "--checklist", cfg, "--output", str(html))
    checks = {c["id"]: c for c in env["data"]["checks"]}
    for cid in ("os", "python", "env", "torch_imports", "torch_build", "transformers", "train_step"):
        assert checks[cid]["status"] == "pass", (cid, checks[cid])
    assert checks["bench"]["status"] in ("pass", "warn", "fail")
    assert env["data"]["bench"]["ok"] and env["data"]["bench"]["verdict"]["status"] == checks["bench"]["status"]
    assert checks["smoke_train"]["status"] == "skip"
    assert code == (1 if any(c["status"] == "fail" for c in checks.values()) else 0)
    text = html.read_text()
    assert "<html" in text.lower() and all(
        c["title"].replace("'", "&#x27;") in text or c["title"] in text for c in checks.values()
    )
    assert env["data"]["report_file"] == str(html)


def test_output_name_must_say_its_format(tmp_path: Path) -> None:
    code, env = cli_json("checklist", "--output", str(tmp_path / "report.txt"))
    assert code == 2 and "report.txt" in env["errors"][0]
    assert not (tmp_path / "report.txt").exists()


@pytest.mark.integration
@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_report_formats_on_stdout(tmp_path: Path, fmt: str) -> None:
    cfg = write(tmp_path, FAST)
    code, out, err = cli_text("checklist", "--checklist", cfg, "--format", fmt)
    assert "internal error" not in err
    if fmt == "md":
        assert out.startswith("# envtool checklist") and "| status | check |" in out
    elif fmt == "html":
        assert out.lstrip().lower().startswith("<!doctype html")
    else:
        env = json.loads(out)
        assert env["command"] == "checklist" and [c["id"] for c in env["data"]["checks"]][:2] == ["os", "python"]

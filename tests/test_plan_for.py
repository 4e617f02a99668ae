"""`envtool plan --for REPORT`: plan for the machine a report describes (envtool/target.py).

The reports are captured real outputs (``../shared/fixtures``) and this machine's own
``envtool detect --json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib
from envtool_cli import cli_json, cli_text

from envtool import target
from envtool.errors import BadInputError
from envtool.model import HostFacts, SystemFacts


def _plan_for(report: Path, *args: str) -> tuple[int, dict]:
    return cli_json("plan", "--offline", "--for", str(report), "--prefix", "/opt/envs/bert", *args)


def test_a_gpu_node_seen_from_a_host_without_one(collect_env_fixtures: Path) -> None:
    code, env = _plan_for(
        collect_env_fixtures / "13-vllm-collect-env-warning-first-8x-rtx3090.txt", "--profile", "auto"
    )
    assert code == 0, env["errors"]
    t = env["data"]["for"]
    assert (t["platform"], t["arch"], t["driver"]) == ("linux", "x86_64", "535.183.01")
    assert len(t["gpus"]) == 8 and t["gpus"][0]["compute_capability"] == "8.6"
    prof = env["data"]["plan"]["profile"]
    assert prof.startswith("cuda")  # a CUDA build for its GPUs, though this machine has none
    assert any("RTX 3090" in r or "8.6" in r for r in env["data"]["recommended_profile"]["reasons"])
    # The create step names no interpreter of this machine.
    create = env["data"]["plan"]["steps"][0]["argv"]
    assert create[0] == "python3.11"


def test_a_profile_that_does_not_fit_the_target_is_a_finding(collect_env_fixtures: Path) -> None:
    report = collect_env_fixtures / "02-torch1.0-windows-conda-cuda90-complete.txt"
    code, env = cli_json(
        "plan", "--offline", "--for", str(report), "--profile", "cuda13.0", "--prefix", "C:\\envs\\bert"
    )
    assert code == 1
    assert env["data"]["for"]["platform"] == "win32" and env["data"]["plan"]["platform"] == "win32"
    # driver 398.36 is too old for CUDA 13.0, and its GTX 1050 (sm_61) is not in the build
    assert [f["id"] for f in env["findings"]] == ["driver_too_old", "arch_unsupported"]
    assert env["data"]["plan"]["python"] == "C:\\envs\\bert\\Scripts\\python.exe"  # the target's path, as written
    assert any("Python 3.7" in n for n in env["data"]["for"]["notes"])  # the target's Python is not the profile's
    # On the screen the export itself says it does not fit.
    code, out, _ = cli_text(
        "plan", "--offline", "--for", str(report), "--profile", "cuda13.0", "--prefix", "C:\\e", "--format", "sh"
    )
    assert code == 1 and out.splitlines()[0] == "#!/bin/sh"
    assert out.splitlines()[1].startswith("# envtool: profile cuda13.0 does not fit")
    code, env = cli_json("plan", "--offline", "--for", str(report), "--profile", "cuda13.0", "--prefix", "envs\\bert")
    assert code == 2 and "absolute directory on the target" in env["errors"][0]


@pytest.mark.parametrize(
    "fmt", ["text", "json", "sh", "environment.yml", "requirements.txt", "uv-project", "pixi", "dockerfile"]
)
def test_for_works_with_every_format(shared_fixtures: Path, fmt: str) -> None:
    report = shared_fixtures / "hw" / "collect_env-gh200-480gb-conda-cuda12.1-excerpt.txt"
    code, out, err = cli_text(
        "plan", "--offline", "--for", str(report), "--profile", "auto", "--prefix", "/e", "--format", fmt
    )
    assert code == 0, err
    assert out.strip()
    if fmt == "pixi":
        assert tomllib.loads(out)["workspace"]["platforms"] == ["linux-aarch64"]  # the GH200's, not this machine's


def test_this_machines_own_detect_report(tmp_path: Path) -> None:
    code, detected = cli_json("detect")
    report = tmp_path / "here.json"
    report.write_text(json.dumps(detected), encoding="utf-8")
    code, env = _plan_for(report, "--profile", "auto")
    assert code == 0, env["errors"]
    assert env["data"]["for"]["platform"] == "linux"
    assert env["data"]["for"]["arch"] == detected["data"]["system"]["arch"]


def test_install_for_refuses_before_any_work(collect_env_fixtures: Path, tmp_path: Path) -> None:
    where = tmp_path / "never"
    report = collect_env_fixtures / "13-vllm-collect-env-warning-first-8x-rtx3090.txt"
    code, env = cli_json("install", "--for", str(report), "--profile", "cpu", "--prefix", str(where), "--yes")
    assert code == 2 and "installs only on the machine it runs on" in env["errors"][0]
    assert not where.exists()


def test_bad_reports_are_bad_input(tmp_path: Path) -> None:
    code, env = _plan_for(tmp_path / "missing.json", "--profile", "cpu")
    assert code == 2 and "cannot read" in env["errors"][0]
    junk = tmp_path / "junk.json"
    junk.write_text('{"schema": "other"}', encoding="utf-8")
    code, env = _plan_for(junk, "--profile", "cpu")
    assert code == 2 and str(junk) in env["errors"][0]
    code, env = cli_json(
        "plan", "--offline", "--for", str(junk), "--platform", "linux", "--profile", "cpu", "--prefix", "/e"
    )
    assert code == 2 and "leave out --platform" in env["errors"][0]


def test_platform_of_report_os_lines() -> None:
    assert target.platform_of("Linux") == "linux"
    assert target.platform_of(None, "Microsoft Windows 11 Pro") == "win32"
    assert target.platform_of("Darwin") == "darwin"
    assert target.platform_of(None, "Ubuntu 22.04.4 LTS (x86_64)") == "linux"
    assert target.platform_of(None, None) is None
    with pytest.raises(BadInputError, match="which operating system"):
        target.target_from_facts(HostFacts(system=SystemFacts()), "r.txt")

"""`envtool checklist`: the checklist file, custom command checks, prerequisites, real runs."""

from __future__ import annotations

import dataclasses
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


# --------------------------------------------------------------------------- the engine, with given probes


def fake_context(*, plan=None, packages=None, workload=None, profile=None):  # type: ignore[no-untyped-def]
    """A context for this machine's facts whose probes are the test's own (no torch is imported)."""
    from envtool.model import DeviceRun, HostFacts, PythonFacts, SystemFacts, TorchBuild, TorchRuntime

    def never(*_: object) -> dict:
        raise AssertionError("not expected to run")

    facts = HostFacts(
        system=SystemFacts(os_name="Linux", arch="x86_64"),
        python=PythonFacts(
            executable="/e/bin/python",
            version="3.11.9",
            env_kind="venv",
            env_prefix="/e",
            torch=TorchBuild(version="2.13.0+cpu"),
        ),
        source="detect",
    )
    runtime = TorchRuntime(outcome="ok", version="2.13.0+cpu", cuda=None, devices=(DeviceRun(device="cpu", ok=True),))
    return checklist.Context(
        facts=facts,
        python="/e/bin/python",
        python_exists=True,
        config=checklist.ChecklistConfig(),
        profile=profile,
        profile_note="given",
        deep_probe=lambda: runtime,
        transformers_probe=lambda: {"ok": True, "version": "5.0.0", "parameters": 10},
        workload=workload or never,
        train=never,
        command=lambda c: (0, ""),
        packages_probe=(lambda: packages) if packages is not None else None,
        plan=plan,
    )


def small_plan(pins: tuple[str, ...] = ("six==1.17.0",), torch: str | None = None):  # type: ignore[no-untyped-def]
    from envtool import plan, profiles

    cpu = profiles.find_profile("cpu", profiles.load_profiles(None))
    prof = dataclasses.replace(cpu, packages=pins, torch=torch, torch_packages=())
    return plan.build_plan(prof, prefix="/e", base_python="/usr/bin/python3.11")


def test_pins_compare_the_environment_with_the_plan() -> None:
    p = small_plan(("six==1.17.0", "idna==3.10"))
    py = p.profile.python
    ctx = fake_context(plan=p, packages={"python": f"{py}.9", "dists": {"six": "1.17.0", "IDNA": "3.7"}})
    results = {r.id: r for r in checklist.run_checks(ctx, only=checklist.INSTALL_CHECKS)}
    assert list(results) == list(checklist.INSTALL_CHECKS)
    pins = results["pins"]
    assert pins.status == "fail" and "idna 3.7 does not match ==3.10" in pins.seen and "--force-recreate" in pins.fix
    assert ctx.installed == {"six": "1.17.0", "IDNA": "3.7"}
    ok = fake_context(plan=p, packages={"python": f"{py}.1", "dists": {"six": "1.17.0", "idna": "3.10"}})
    assert next(r for r in checklist.run_checks(ok, only=("env", "pins"))).status == "pass"
    wrong_py = fake_context(plan=p, packages={"python": "3.9.1", "dists": {"six": "1.17.0", "idna": "3.10"}})
    res = {r.id: r for r in checklist.run_checks(wrong_py, only=("env", "pins"))}
    assert res["pins"].status == "fail" and f"the profile wants {py}" in res["pins"].seen


def test_a_profile_without_torch_skips_the_torch_checks_with_its_reason() -> None:
    ctx = fake_context(plan=small_plan(), packages={"python": "3.11.9", "dists": {"six": "1.17.0"}})
    results = {r.id: r for r in checklist.run_checks(ctx, only=checklist.INSTALL_CHECKS)}
    assert results["torch_imports"].status == "skip" and "installs no torch" in results["torch_imports"].seen
    for cid in ("torch_build", "transformers", "train_step"):
        assert results[cid].status == "skip" and "installs no" in results[cid].seen, cid
    assert ctx.torch_runtime is None  # the deep probe never ran


def test_the_torch_build_must_be_the_profiles() -> None:
    cuda_plan = dataclasses.replace(
        small_plan(torch="2.13.0"),
        profile=dataclasses.replace(small_plan(torch="2.13.0").profile, cuda="12.6", variant="cu126"),
    )
    ctx = fake_context(plan=cuda_plan, packages={"python": "3.11.9", "dists": {"six": "1.17.0", "torch": "2.13.0"}})
    results = {r.id: r for r in checklist.run_checks(ctx, only=("env", "pins", "torch_imports", "torch_build"))}
    assert results["torch_imports"].status == "pass" and "kernel ran on cpu" in results["torch_imports"].seen
    assert results["torch_build"].status == "fail" and "wants cu126" in results["torch_build"].seen


def test_checks_run_the_deep_probe_once_and_keep_the_bench_result() -> None:
    calls: list[dict] = []

    def workload(options):  # type: ignore[no-untyped-def]
        calls.append(dict(options))
        return {
            "ok": True,
            "losses": [2.0, 1.9, 1.5, 1.2],
            "samples_per_s": 10.0,
            "tflops": 0.1,
            "device_name": "cpu",
            "precision": "fp32",
        }

    ctx = fake_context(workload=workload)
    probes = []
    runtime = ctx.deep_probe
    ctx.deep_probe = lambda: probes.append(1) or runtime()
    results = {r.id: r for r in checklist.run_checks(ctx)}
    assert results["train_step"].status == "pass" and results["bench"].status in ("pass", "warn", "fail")
    assert len(probes) == 1 and ctx.facts_seen().torch_runtime is ctx.torch_runtime
    assert ctx.bench_result is not None and "verdict" in ctx.bench_result and len(calls) == 2
    assert results["pins"].status == "skip" and "no install plan" in results["pins"].seen


def test_a_missing_workload_is_a_skip_not_a_failure() -> None:
    ctx = fake_context(
        workload=lambda o: {
            "ok": False,
            "error": {"kind": checklist.MISSING_WORKLOAD, "message": "not found beside envtool"},
        }
    )
    res = {r.id: r for r in checklist.run_checks(ctx, only=("env", "torch_imports", "transformers", "train_step"))}
    assert res["train_step"].status == "skip" and "not found beside envtool" in res["train_step"].seen


def test_profile_misfits_are_structured() -> None:
    from envtool import profiles, rules
    from envtool.model import HostFacts, NvidiaFacts, Severity

    profs = profiles.load_profiles(None)
    gpu = next(p for p in profs if p.is_gpu)
    facts = HostFacts(nvidia=NvidiaFacts(), source="detect")
    (m,) = rules.profile_fit(gpu, facts)
    assert (m.profile, m.id, m.severity) == (gpu.name, "no_gpu", "error") and m.fix and m.reason
    assert m.finding().id == "no_gpu" and m.finding(Severity.WARN).severity == "warn"
    res = checklist.check_profile(dataclasses.replace(fake_context(profile=gpu), facts=facts))
    assert res.status == "fail" and res.seen == m.message and res.fix == m.fix

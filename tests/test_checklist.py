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


# --------------------------------------------------------------------------- the GPU checks per vendor
# Facts from the real captures in ../shared/fixtures/hw (rocminfo, xpu-smi, sycl-ls, nv_tegra_release,
# collect_env dumps read by `envtool diagnose`); the deep probe is the test's own (no such GPU here).


def vendor_context(facts, runtime=None, plan=None):  # type: ignore[no-untyped-def]
    from envtool.model import TorchRuntime

    def never(*_: object) -> dict:
        raise AssertionError("not expected to run")

    return checklist.Context(
        facts=facts,
        python="/e/bin/python",
        python_exists=True,
        config=checklist.ChecklistConfig(),
        profile=None,
        profile_note="given",
        deep_probe=lambda: runtime or TorchRuntime(outcome="ok", version="2.10.0"),
        transformers_probe=never,
        workload=never,
        train=never,
        command=lambda c: (0, ""),
        plan=plan,
    )


def _gpu_checks(ctx) -> dict:  # type: ignore[no-untyped-def]
    """The driver check, then the kernel check as if torch imported (that check has its own tests)."""
    out = {"driver": checklist.check_driver(ctx)}
    ctx.results["torch_imports"] = checklist._r("torch_imports", checklist.Status.PASS, "given")
    out["gpu_kernel"] = checklist.check_gpu_kernel(ctx)
    return out


def _capture(shared_fixtures: Path, name: str) -> str:
    return (shared_fixtures / "hw" / name).read_text(encoding="utf-8")


def _mi300x_facts(shared_fixtures: Path, **platform):  # type: ignore[no-untyped-def]
    from envtool.model import HostFacts, PlatformFacts, PythonFacts, SystemFacts, TorchBuild
    from envtool.probes import amd

    gpus, _ = amd.parse_rocminfo(_capture(shared_fixtures, "amd-rocminfo-mi300x-x4-gfx942.txt"))
    return HostFacts(
        system=SystemFacts(os_name="Linux", arch="x86_64"),
        python=PythonFacts(executable="/e/bin/python", torch=TorchBuild(version="2.10.0+rocm7.1", hip="7.1")),
        accelerators=tuple(gpus),
        platform=PlatformFacts(**platform),
        source="detect",
    )


def _hip_runs(n: int, ok: bool = True):  # type: ignore[no-untyped-def]
    from envtool.model import DeviceRun, TorchRuntime

    devices = tuple(
        DeviceRun(device=f"cuda:{i}", name="AMD Instinct MI300X", arch="gfx942", ok=ok, error=None if ok else "boom")
        for i in range(n)
    )
    return TorchRuntime(outcome="ok", version="2.10.0+rocm7.1", hip="7.1", cuda_available=True, devices=devices)


def test_amd_driver_is_amdgpu_and_kfd_and_the_kernel_runs_through_hip(shared_fixtures: Path) -> None:
    facts = _mi300x_facts(shared_fixtures, amdgpu_loaded=True, kfd_accessible=True, rocm_version="6.3.1")
    res = _gpu_checks(vendor_context(facts, _hip_runs(4)))
    assert res["driver"].status == "pass" and "amdgpu loaded, /dev/kfd opens" in res["driver"].seen
    assert "4 AMD GPU device(s): AMD Instinct MI300X (gfx942)" in res["driver"].seen
    assert res["gpu_kernel"].status == "pass" and "cuda:3 AMD Instinct MI300X (gfx942): ok" in res["gpu_kernel"].seen
    # Two of four partitions/GPUs visible to torch: not ready.
    short = _gpu_checks(vendor_context(facts, _hip_runs(2)))["gpu_kernel"]
    assert short.status == "fail" and "2 of 4 GPUs visible" in short.seen


def test_amd_driver_fails_without_kfd_access_or_amdgpu(shared_fixtures: Path) -> None:
    no_access = _mi300x_facts(
        shared_fixtures, amdgpu_loaded=True, kfd_accessible=False, render_groups=("render",), user_groups=("users",)
    )
    r = _gpu_checks(vendor_context(no_access, _hip_runs(0)))
    assert (
        r["driver"].status == "fail"
        and "/dev/kfd" in r["driver"].seen
        and "usermod -aG render,video" in r["driver"].fix
    )
    assert r["gpu_kernel"].status == "fail" and "render and video groups" in r["gpu_kernel"].fix
    no_driver = _mi300x_facts(shared_fixtures, amdgpu_loaded=False)
    d = checklist.check_driver(vendor_context(no_driver))
    assert d.status == "fail" and "amdgpu" in d.seen and "amdgpu-install" in d.fix
    unknown = checklist.check_driver(vendor_context(_mi300x_facts(shared_fixtures)))
    assert unknown.status == "warn" and "not read: amdgpu, /dev/kfd access" in unknown.seen


def test_amd_paste_facts_pass_the_driver_check(shared_fixtures: Path) -> None:
    # A ROCm torch saying "Is CUDA available: True" opened /dev/kfd (the MI300X TheRock dump).
    from envtool.diagnose import read_paste

    facts = read_paste(_capture(shared_fixtures, "collect_env-rocm7.13-therock-mi300x-torch2.9.1-excerpt.txt")).facts
    assert checklist.check_driver(vendor_context(facts)).status == "pass"


def _b580_facts(shared_fixtures: Path, sycl: str | None):  # type: ignore[no-untyped-def]
    from envtool.model import HostFacts, PlatformFacts, PythonFacts, SystemFacts, TorchBuild
    from envtool.probes import intel

    gpus = intel.parse_xpu_smi_discovery(_capture(shared_fixtures, "intel-xpu-smi-discovery-d0-arc-b580-xpusmi2.0.txt"))
    devices = intel.parse_sycl_ls(_capture(shared_fixtures, sycl)) if sycl else None
    marked = intel.mark_usable(gpus, devices)
    return HostFacts(
        system=SystemFacts(os_name="Linux", arch="x86_64"),
        python=PythonFacts(executable="/e/bin/python", torch=TorchBuild(version="2.12.0+xpu")),
        accelerators=tuple(marked),
        platform=PlatformFacts(level_zero=bool(devices and intel.level_zero_gpus(devices)) if sycl else None),
        source="detect",
    )


def test_intel_driver_is_level_zero_and_the_kernel_runs_on_xpu(shared_fixtures: Path) -> None:
    from envtool.model import DeviceRun, TorchRuntime

    facts = _b580_facts(shared_fixtures, None)
    (gpu,) = facts.accelerators
    warn = checklist.check_driver(vendor_context(facts))
    assert warn.status == "warn" and "Level Zero not checked" in warn.seen and "sycl-ls" in warn.fix
    rt = TorchRuntime(
        outcome="ok",
        version="2.12.0+xpu",
        xpu_available=True,
        devices=(DeviceRun(device="xpu:0", name=gpu.name, ok=True),),
    )
    res = _gpu_checks(vendor_context(facts, rt))
    assert res["gpu_kernel"].status == "pass" and res["gpu_kernel"].seen.startswith("xpu:0 ")
    none = _gpu_checks(vendor_context(facts, TorchRuntime(outcome="ok", version="2.12.0+xpu", xpu_available=False)))
    assert none["gpu_kernel"].status == "fail" and "xpu available: False" in none["gpu_kernel"].seen
    assert "Level Zero" in none["gpu_kernel"].fix


def test_intel_gpu_only_on_opencl_fails_the_driver_check(shared_fixtures: Path) -> None:
    # The A750 sycl-ls capture lists no level_zero:gpu: the B580 (or any Intel GPU) is then not usable.
    facts = _b580_facts(shared_fixtures, "intel-sycl-ls-a750-no-level-zero.txt")
    assert facts.accelerators[0].usable is False
    d = checklist.check_driver(vendor_context(facts))
    assert d.status == "fail" and "Level Zero" in d.seen and "level_zero:gpu" in d.fix


def _paste_facts(path: Path):  # type: ignore[no-untyped-def]
    from envtool.diagnose import read_paste

    text = path.read_text(encoding="utf-8")
    if path.parent.name == "collect_env":
        text = text.partition("\n\n")[2]
    facts = read_paste(text).facts
    return dataclasses.replace(facts, python=dataclasses.replace(facts.python, executable="/e/bin/python"))


def test_apple_driver_is_the_macos_version_and_the_kernel_runs_on_mps(shared_fixtures: Path) -> None:
    from envtool.model import DeviceRun, TorchRuntime

    m1 = _paste_facts(shared_fixtures / "hw" / "collect_env-macos15.3.1-arm64-m1max-vllm-excerpt.txt")
    d = checklist.check_driver(vendor_context(m1))
    assert d.status == "pass" and "Apple M1 Max, macOS 15.3.1" in d.seen and "MPS needs macOS 14" in d.seen
    rt = TorchRuntime(
        outcome="ok", version="2.5.1", mps_available=True, devices=(DeviceRun(device="mps", name="mps", ok=True),)
    )
    assert _gpu_checks(vendor_context(m1, rt))["gpu_kernel"].status == "pass"
    cpu_only = TorchRuntime(
        outcome="ok", version="2.5.1", mps_available=False, devices=(DeviceRun(device="cpu", ok=True),)
    )
    k = _gpu_checks(vendor_context(m1, cpu_only))["gpu_kernel"]
    assert k.status == "fail" and "mps available: False" in k.seen and "Rosetta" in k.fix


def test_apple_on_macos13_fails_the_driver_check(shared_fixtures: Path) -> None:
    m2 = _paste_facts(shared_fixtures / "collect_env" / "09-macos-arm64-mps-nightly-complete.txt")
    d = checklist.check_driver(vendor_context(m2))
    assert d.status == "fail" and "13.7.4" in d.seen and "upgrade macOS" in d.fix


def test_jetson_driver_is_l4t(shared_fixtures: Path) -> None:
    from envtool.knowledge import accelerators as kn
    from envtool.model import DeviceRun, HostFacts, PlatformFacts, PythonFacts, SystemFacts, TorchRuntime
    from envtool.probes import arm

    l4t = arm.parse_nv_tegra_release(
        _capture(shared_fixtures, "jetson-agx-orin-jp6.2-r36.4.3-etc-nv_tegra_release.txt")
    )
    jp = kn.jetpack_for_l4t(l4t or "")
    assert l4t == "36.4.3" and jp is not None
    pf = PlatformFacts(kind="tegra", l4t=l4t, jetpack=jp.jetpack, board_cuda=jp.cuda, soc="Orin", gpu_arch="sm_87")
    facts = HostFacts(
        system=SystemFacts(os_name="Linux", arch="aarch64", kernel="5.15.148-tegra"),
        python=PythonFacts(executable="/e/bin/python"),
        platform=pf,
        source="detect",
    )
    d = checklist.check_driver(vendor_context(facts))
    assert d.status == "pass" and "L4T 36.4.3 = JetPack 6.1/6.2, CUDA 12.6" in d.seen and "part of L4T" in d.seen
    rt = TorchRuntime(
        outcome="ok", version="2.5.0", cuda="12.6", devices=(DeviceRun(device="cuda:0", name="Orin", ok=True),)
    )
    # The Jetson GPU is torch's cuda:0 (no NVML on JetPack 6: nvidia-smi's table is all N/A).
    assert _gpu_checks(vendor_context(facts, rt))["gpu_kernel"].status == "pass"


def test_jetson_paste_without_l4t_warns_instead_of_asking_for_a_driver(shared_fixtures: Path) -> None:
    # JetPack 6's nvidia-smi/collect_env: "GPU 0: Orin (nvgpu)", "Nvidia driver version: N/A" is normal there.
    facts = _paste_facts(shared_fixtures / "hw" / "collect_env-jetson-orin-jp6-nvgpu-cuda-false-excerpt.txt")
    d = checklist.check_driver(vendor_context(facts))
    assert d.status == "warn" and "nv_tegra_release" in d.seen and "NVIDIA driver" not in d.fix


def test_the_torch_build_must_be_the_rocm_profiles(shared_fixtures: Path) -> None:
    from envtool import profiles
    from envtool.model import TorchRuntime

    rocm = profiles.find_profile("rocm7.1", profiles.load_profiles(None))
    xpu = profiles.find_profile("xpu", profiles.load_profiles(None))
    hip = _hip_runs(1)
    assert checklist._build_fits_plan(hip, rocm)
    assert not checklist._build_fits_plan(dataclasses.replace(hip, hip="6.4"), rocm)
    assert not checklist._build_fits_plan(TorchRuntime(outcome="ok", version="2.10.0+cpu"), rocm)
    assert not checklist._build_fits_plan(hip, xpu)
    assert checklist._build_fits_plan(TorchRuntime(outcome="ok", version="2.12.0+xpu", xpu="20250101"), xpu)
    cpu = profiles.find_profile("cpu", profiles.load_profiles(None))
    assert not checklist._build_fits_plan(hip, cpu)  # a ROCm torch is no CPU build


def test_a_cuda_torch_on_an_amd_machine_fails_the_build_check(shared_fixtures: Path) -> None:
    from envtool.model import TorchBuild, TorchRuntime

    facts = _mi300x_facts(shared_fixtures, amdgpu_loaded=True, kfd_accessible=True)
    facts = dataclasses.replace(
        facts, python=dataclasses.replace(facts.python, torch=TorchBuild(version="2.13.0+cu130", cuda="13.0"))
    )
    rt = TorchRuntime(outcome="ok", version="2.13.0+cu130", cuda="13.0", cuda_available=False)
    ctx = vendor_context(facts, rt)
    ctx.results["torch_imports"] = checklist._r("torch_imports", checklist.Status.PASS, "given")
    b = checklist.check_torch_build(ctx)
    assert b.status == "fail" and "CUDA build" in b.seen and "ROCm" in b.fix
    k = checklist.check_gpu_kernel(ctx)
    assert k.status == "fail" and "cuda available: False" in k.seen and "AMD GPU(s)" in k.seen


# --------------------------------------------------------------------------- the deep probe's vendor parts


def test_deep_probe_reports_the_xpu_and_mps_backends_of_the_real_torch() -> None:
    torch = pytest.importorskip("torch")
    from envtool.probes import _torch_probe

    info = _torch_probe.backend_info(torch)
    # The CPU wheel of this machine: both backends exist as modules and say "not available".
    assert info["xpu_available"] is False and info["xpu_count"] == 0 and info["mps_available"] is False
    assert _torch_probe.device_list({"device_count": 0, **info}) == ["cpu"]


def test_deep_probe_runs_on_hip_xpu_and_mps_devices_and_keeps_its_json() -> None:
    import types

    from envtool.probes import _torch_probe, torch_runtime

    assert _torch_probe.device_list({"device_count": 2}) == ["cuda:0", "cuda:1"]
    assert _torch_probe.device_list({"device_count": 0, "xpu_count": 1}) == ["xpu:0"]
    assert _torch_probe.device_list({"mps_available": True}) == ["mps"]
    # A ROCm torch: the device's gcnArchName as rocminfo prints it for the MI300X capture.
    props = types.SimpleNamespace(gcnArchName="gfx942:sramecc+:xnack-")
    fake = types.SimpleNamespace(
        version=types.SimpleNamespace(hip="6.4.43482", cuda=None),
        cuda=types.SimpleNamespace(
            get_device_name=lambda i: "AMD Instinct MI300X",
            get_device_capability=lambda i: (9, 4),
            get_device_properties=lambda i: props,
        ),
        xpu=types.SimpleNamespace(get_device_name=lambda i: "Intel(R) Arc(TM) B580 Graphics"),
    )
    assert _torch_probe.describe(fake, "cuda:0") == {
        "name": "AMD Instinct MI300X",
        "capability": "9.4",
        "arch": "gfx942",
    }
    assert _torch_probe.describe(fake, "xpu:0") == {"name": "Intel(R) Arc(TM) B580 Graphics"}
    stages = [
        {"stage": "import", "ok": True, "version": "2.12.0+xpu", "xpu": "20250101", "xpu_available": True},
        {"stage": "device", "device": "xpu:0", "name": "Intel(R) Arc(TM) B580 Graphics", "ok": True},
        {"stage": "done"},
    ]
    rt = torch_runtime.runtime_from_probe("py", stages, returncode=0, timed_out=False, stderr="", duration=1.0)
    assert (rt.xpu, rt.xpu_available, rt.mps_available) == ("20250101", True, None)
    assert rt.devices[0].device == "xpu:0" and rt.devices[0].ok
    # An old probe's JSON (no vendor keys) still reads, the new keys unknown.
    old = torch_runtime.runtime_from_probe(
        "py",
        [{"stage": "import", "ok": True, "version": "2.1.0"}],
        returncode=0,
        timed_out=False,
        stderr="",
        duration=1,
    )
    assert (old.xpu_available, old.mps_available, old.xpu) == (None, None, None)

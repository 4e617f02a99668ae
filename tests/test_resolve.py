"""envtool.resolve: what the index would really install, read from pip's dry-run report.

The pure reading is tested on reports shaped like pip's; the ``integration`` tests run pip for
real against this machine's configured index, which serves torch 2.13.0 as a CPU build and
2.14.1 as a CUDA 13 build.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from envtool import plan, profiles, resolve
from envtool.cli import main


def _report(version: str, requires: list[str] | None = None, sha: str = "ab" * 32) -> str:
    item = {
        "download_info": {
            "url": f"https://example.invalid/torch-{version}.whl",
            "archive_info": {"hashes": {"sha256": sha}},
        },
        "metadata": {"name": "torch", "version": version, "requires_dist": requires or []},
    }
    return json.dumps({"version": "1", "install": [item]})


def _read(text: str, want: str = "cpu", platform: str = "linux-x86_64", index: str | None = None) -> resolve.Resolution:
    return resolve.read_report(text, want_variant=want, profile="p", index=index, platform=platform, python="3.11")


# --------------------------------------------------------------------------- pure


@pytest.mark.parametrize(
    ("version", "requires", "platform", "variant", "cuda"),
    [
        ("2.13.0+cpu", [], "linux-x86_64", "cpu", None),
        ("2.13.0+cu130", [], "linux-x86_64", "cu130", "13.0"),
        ("2.7.1+cu118", [], "win-amd64", "cu118", "11.8"),
        # untagged PyPI wheels: the CUDA packages they require on that platform
        (
            "2.14.1",
            ['cuda-toolkit[cublas,cudart]==13.0.3; platform_system == "Linux"'],
            "linux-x86_64",
            "cu130",
            "13.0",
        ),
        ("2.14.1", ['cuda-toolkit[cublas,cudart]==13.0.3; platform_system == "Linux"'], "win-amd64", "cpu", None),
        ("2.15.0", ['cuda-toolkit[cudart]==13.2.2; platform_system == "Linux"'], "linux-aarch64", "cu132", "13.2"),
        ("2.8.0", ['nvidia-cuda-runtime-cu12==12.8.90; platform_system == "Linux"'], "linux-x86_64", "cu128", "12.8"),
        (
            "2.3.0",
            ['nvidia-cublas-cu12==12.1.3.1; platform_system == "Linux" and platform_machine == "x86_64"'],
            "linux-x86_64",
            "cu12",
            "12",
        ),
        (
            "2.3.0",
            ['nvidia-cublas-cu12==12.1.3.1; platform_system == "Linux" and platform_machine == "x86_64"'],
            "linux-aarch64",
            "cpu",
            None,
        ),
        ("2.13.0", ["filelock", "sympy>=1.13.3"], "macos-arm64", "cpu", None),
    ],
)
def test_wheel_variant(version: str, requires: list[str], platform: str, variant: str, cuda: str | None) -> None:
    assert resolve.wheel_variant({"version": version, "requires_dist": requires}, platform) == (variant, cuda)


def test_a_cuda_build_for_the_cpu_profile_is_refused_with_what_the_index_gives() -> None:
    res = _read(_report("2.14.1", ['cuda-toolkit[cudart]==13.0.3; platform_system == "Linux"']))
    assert res.status == "mismatch" and res.refused
    assert res.message.startswith("the default index would install torch 2.14.1, a CUDA 13.0 build, for the p profile")


def test_the_profiles_build_is_accepted_with_its_pin_and_hash() -> None:
    res = _read(_report("2.13.0+cpu", sha="cd" * 32), index="https://mirror.example/whl/cpu")
    assert res.status == "ok" and not res.refused
    assert res.torch is not None and (res.torch.version, res.torch.sha256) == ("2.13.0+cpu", "cd" * 32)
    assert "index https://mirror.example/whl/cpu would install torch 2.13.0+cpu, a CPU build" in res.message
    # an untagged wheel of the profile's CUDA line counts as the profile's build
    ok = _read(_report("2.14.1", ['cuda-toolkit==13.0.3; platform_system == "Linux"']), want="cu130")
    assert ok.status == "ok"
    assert _read(_report("2.14.1", ['cuda-toolkit==13.0.3; platform_system == "Linux"']), want="cu126").refused


def test_unreadable_report_is_a_failure_not_a_verdict() -> None:
    assert _read("not json").status == "failed"
    assert _read(json.dumps({"install": []})).status == "failed"


def test_dry_run_argv_names_platform_python_and_one_index() -> None:
    argv = resolve.dry_run_argv(
        ["pip"],
        ["torch==2.13.0"],
        ["--index-url", "https://x/whl/cpu"],
        platform="win-amd64",
        python="3.12",
        target="/t",
    )
    assert argv[:3] == ["pip", "install", "--dry-run"]
    assert argv[argv.index("--platform") + 1] == "win_amd64" and argv[argv.index("--python-version") + 1] == "3.12"
    assert {"--only-binary=:all:", "--ignore-installed"} <= set(argv)
    assert "--no-deps" not in argv  # the step's dependencies are resolved too (their pins and hashes)
    assert argv[-3:] == ["torch==2.13.0", "--index-url", "https://x/whl/cpu"]
    assert "--no-deps" in resolve.dry_run_argv(
        ["pip"], ["torch==2.13.0"], [], platform="win-amd64", python="3.12", target="/t", deps=False
    )


def test_pip_is_given_every_manylinux_level_torchs_dependencies_use() -> None:
    # pip widens no --platform manylinux_2_28 to older levels; the CUDA 13 nvidia-* wheels are manylinux_2_27
    argv = resolve.dry_run_argv(["pip"], ["torch"], [], platform="linux-aarch64", python="3.11", target="/t")
    plats = [argv[i + 1] for i, a in enumerate(argv) if a == "--platform"]
    assert plats[0] == "manylinux_2_28_aarch64" and "manylinux_2_27_aarch64" in plats
    assert "manylinux_2_17_aarch64" in plats and plats[-1] == "linux_aarch64"


def test_uv_compile_argv_names_platform_python_hashes_and_one_index() -> None:
    argv = resolve.uv_compile_argv(
        ["uv"], ["--no-index", "--find-links", "file:///m/cpu"], platform="linux-aarch64", python="3.12"
    )
    assert argv[:4] == ["uv", "pip", "compile", "-"]  # the requirements come on stdin
    assert argv[argv.index("--python-platform") + 1] == "aarch64-manylinux_2_28"
    assert argv[argv.index("--python-version") + 1] == "3.12"
    assert argv[argv.index("--format") + 1] == "pylock.toml" and "--generate-hashes" in argv
    assert argv[-3:] == ["--no-index", "--find-links", "file:///m/cpu"] and "--no-deps" not in argv
    win = resolve.uv_compile_argv(["uv"], [], platform="win-amd64", python="3.11", deps=False)
    assert win[win.index("--python-platform") + 1] == "x86_64-pc-windows-msvc" and "--no-deps" in win


def _pylock(*packages: tuple[str, str, list[str]]) -> str:
    """A pylock.toml as ``uv pip compile --format pylock.toml`` writes it (name, version, wheel hashes)."""
    lines = ['lock-version = "1.0"', 'created-by = "uv"', 'requires-python = ">=3.11"']
    for name, version, shas in packages:
        wheels = ", ".join(
            f'{{ url = "https://files.example/{name}-{version}-{i}.whl", hashes = {{ sha256 = "{sha}" }} }}'
            for i, sha in enumerate(shas)
        )
        lines += ["", "[[packages]]", f'name = "{name}"', f'version = "{version}"', f"wheels = [{wheels}]"]
    return "\n".join(lines) + "\n"


def _read_uv(text: str, want: str = "cpu", deps: bool = True) -> resolve.Resolution:
    return resolve.read_pylock(
        text, want_variant=want, profile="p", index=None, platform="linux-x86_64", python="3.11", deps=deps
    )


def test_uv_lock_a_tagged_cpu_build_with_its_dependencies_and_hashes() -> None:
    res = _read_uv(_pylock(("filelock", "3.20.0", ["aa" * 32]), ("torch", "2.13.0+cpu", ["bb" * 32])))
    assert res.status == "ok" and res.installer == "uv" and res.variant == "cpu"
    assert res.torch is not None and (res.torch.version, res.torch.sha256) == ("2.13.0+cpu", "bb" * 32)
    assert [(w.name, w.sha256) for w in res.wheels] == [("filelock", "aa" * 32), ("torch", "bb" * 32)]
    assert res.message.startswith("uv's default index would install torch 2.13.0+cpu, a CPU build")


def test_uv_lock_an_untagged_wheel_is_judged_by_the_cuda_packages_it_resolved() -> None:
    cuda13 = _pylock(
        ("cuda-toolkit", "13.0.3", ["01" * 32]),
        ("nvidia-cudnn-cu13", "9.24.0.43", ["02" * 32]),
        ("torch", "2.14.1", ["03" * 32, "04" * 32]),  # two files of one version (a build tag): both hashes
    )
    res = _read_uv(cuda13)
    assert res.status == "mismatch" and (res.variant, res.cuda) == ("cu130", "13.0")
    assert "uv's default index would install torch 2.14.1, a CUDA 13.0 build, for the p profile" in res.message
    assert _read_uv(cuda13, want="cu130").status == "ok"
    assert [w.sha256 for w in res.wheels if w.name == "torch"] == ["03" * 32, "04" * 32]
    cu128 = _pylock(("nvidia-cuda-runtime-cu12", "12.8.90", ["05" * 32]), ("torch", "2.10.0", ["06" * 32]))
    assert (_read_uv(cu128).variant, _read_uv(cu128).cuda) == ("cu128", "12.8")
    plain = _pylock(("sympy", "1.14.0", ["07" * 32]), ("torch", "2.13.0", ["08" * 32]))
    assert _read_uv(plain).variant == "cpu"  # no CUDA package in the resolution: a CPU build (macOS' wheel)
    # without its dependencies an untagged wheel's build cannot be told: a failure, not a verdict
    assert _read_uv(_pylock(("torch", "2.14.1", ["03" * 32])), deps=False).status == "failed"


def test_unreadable_uv_lock_is_a_failure() -> None:
    assert _read_uv("not = [toml").status == "failed"
    assert _read_uv(_pylock(("filelock", "3.20.0", ["aa" * 32]))).status == "failed"  # no torch in it


def test_uvs_no_solution_is_unavailable_with_its_cause() -> None:
    # uv 0.13's own words for a Python the index has no wheel for
    stderr = (
        "error: No solution found when resolving dependencies\n"
        "  cause: Because torch==2.13.0+cpu has no wheels with a matching Python implementation tag (e.g., `cp38`) "
        "and there is no version of torch==2.13.0, we can conclude that all of:\n"
    )
    msg = resolve.unavailable_message(stderr, ["torch==2.13.0"], None, "linux-x86_64", "3.8", "uv")
    assert msg.startswith("uv's default index has nothing for torch==2.13.0 on linux-x86_64 with Python 3.8 (Because")


def test_an_index_that_cannot_be_reached_is_no_verdict_on_it() -> None:
    # pip's and uv's own words (this machine, PyTorch's index out of reach); pip then says "no matching
    # distribution" for what it could not see, which must not read as "the index has nothing"
    pip = (
        "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection "
        "broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f33>: "
        "Failed to establish a new connection: [Errno -2] Name or service not known')': /whl/cu130\n"
        "ERROR: No matching distribution found for cuda-bindings<14,>=13.0.3\n"
    )
    assert resolve.unreachable(pip) == "Failed to establish a new connection: [Errno -2] Name or service not known"
    uv = (
        "error: Request failed after 3 retries in 7.0s\n"
        "  cause: Failed to fetch: https://download.pytorch.org/whl/cu130/torch/\n"
        "  cause: dns error\n"
    )
    assert resolve.unreachable(uv) == "Failed to fetch: https://download.pytorch.org/whl/cu130/torch/"
    assert resolve.unreachable("ERROR: No matching distribution found for torch==9.9\n") is None


def test_an_unreachable_index_makes_the_check_a_warning() -> None:
    import sys

    script = (
        "import sys; sys.stderr.write(\"WARNING: Retrying after connection broken by 'NewConnectionError(: "
        "Failed to establish a new connection: [Errno -2] Name or service not known')'\\n"
        'ERROR: No matching distribution found for torch==2.13.0\\n"); sys.exit(1)'
    )
    p, found = resolve.check_plan(_cpu_plan(), installer=[sys.executable, "-c", script], use_cache=False)
    assert [(f.id, f.severity.value) for f in found] == [("index_check_failed", "warn")]
    assert "could not be reached (Failed to establish a new connection" in found[0].message


def test_with_resolution_pins_the_torch_step_exactly() -> None:
    prof = profiles.find_profile("cuda13", profiles.load_profiles(env={}))
    p = plan.build_plan(prof, prefix="/e", base_python="py")
    pinned = plan.with_resolution(
        p, {"status": "ok"}, [("torch", "2.14.1+cu130", "ab" * 32), ("torchvision", "0.29.1+cu130", None)]
    )
    step = next(s for s in pinned.steps if s.stage == "torch")
    assert "torch==2.14.1+cu130" in step.argv and "torchvision==0.29.1+cu130" in step.argv
    assert "torch==2.14.1" not in step.argv and step.argv[-2:] == (
        "--index-url",
        "https://download.pytorch.org/whl/cu130",
    )
    assert plan.plan_to_data(pinned)["lock"][0] == ["torch", "2.14.1+cu130", "ab" * 32]


def test_with_resolution_pins_the_named_packages_and_locks_their_dependencies() -> None:
    prof = profiles.find_profile("cuda13", profiles.load_profiles(env={}))
    p = plan.build_plan(prof, prefix="/e", base_python="py")
    pins = [
        ("filelock", "3.20.0", "aa" * 32),
        ("torch", "2.14.1+cu130", "ab" * 32),
        ("torch", "2.14.1+cu130", "ac" * 32),  # a second file of the same version
        ("torchvision", "0.29.1+cu130", "ad" * 32),
    ]
    pinned = plan.with_resolution(p, {"status": "ok"}, pins)
    step = next(s for s in pinned.steps if s.stage == "torch")
    assert pinned.torch_requirements == ("torch==2.14.1+cu130", "torchvision==0.29.1+cu130")
    assert "filelock==3.20.0" not in step.argv and step.argv.count("torch==2.14.1+cu130") == 1
    assert [row[0] for row in plan.plan_to_data(pinned)["lock"]] == ["filelock", "torch", "torch", "torchvision"]


def test_the_lock_file_carries_the_steps_dependencies_and_hashes(tmp_path: Path) -> None:
    from envtool import install

    prof = profiles.find_profile("cpu", profiles.load_profiles(env={"ENVTOOL_MIRROR_PYTORCH": "default"}))
    pins = [("filelock", "3.20.0", "aa" * 32), ("torch", "2.13.0+cpu", "bb" * 32)]
    pinned = plan.with_resolution(plan.build_plan(prof, prefix="/e", base_python="py"), {"status": "ok"}, pins)
    written = json.loads(install.write_lock(tmp_path, pinned, {}, [], []).read_text(encoding="utf-8"))
    assert written["plan"]["lock"] == [list(row) for row in pins]


def test_a_uv_plan_asks_uv_and_a_missing_uv_is_a_warning(tmp_path: Path) -> None:
    prof = profiles.find_profile("cpu", profiles.load_profiles(env={"ENVTOOL_MIRROR_PYTORCH": "default"}))
    uv_plan = plan.build_plan(prof, backend="uv", prefix="/e", base_python="py")
    missing = str(tmp_path / "no-such-uv")
    p, found = resolve.check_plan(uv_plan, installer=[missing], use_cache=False)
    assert [(f.id, f.severity.value) for f in found] == [("index_check_failed", "warn")]
    assert "uv is not installed" in found[0].message and "pip install uv" in found[0].fix
    assert p.resolution is not None and p.resolution["installer"] == "uv" and p.lock == ()


def test_offline_check_is_skipped_and_says_so() -> None:
    prof = profiles.find_profile("cpu", profiles.load_profiles(env={"ENVTOOL_MIRROR_PYTORCH": "default"}))
    p, found = resolve.check_plan(plan.build_plan(prof, prefix="/e", base_python="py"), offline=True)
    assert found == [] and p.resolution is not None and p.resolution["status"] == "skipped"
    # the table's knowledge of the default index is used for a hint
    assert "CUDA 13.0 build" in p.resolution["message"] and "--offline" in p.resolution["message"]


def test_range_in_a_profile_is_validated(tmp_path: Path) -> None:
    from envtool.errors import BadInputError

    (tmp_path / "r.toml").write_text('extends = "cpu"\n[torch]\nversions = ">=2.13,,<"\n', encoding="utf-8")
    with pytest.raises(BadInputError, match=r"r\.toml \(line 3\): key 'torch.versions'"):
        profiles.load_profiles(str(tmp_path), env={})
    (tmp_path / "r.toml").write_text('extends = "cpu"\n[torch]\nversions = ">=2.13,<2.16"\n', encoding="utf-8")
    prof = profiles.find_profile("r", profiles.load_profiles(str(tmp_path), env={}))
    assert prof.torch is None and prof.torch_range == ">=2.13,<2.16"
    assert plan.requirements_for(prof, [])[0] == ("torch>=2.13,<2.16",)


# --------------------------------------------------------------------------- for real, against this machine's index


def _resolve(req: str, want: str = "cpu", **kw: Any) -> resolve.Resolution:
    args: dict[str, Any] = {
        "profile": "cpu",
        "want_variant": want,
        "requirements": [req],
        "index": None,
        "index_args": [],
        "platform": "linux-x86_64",
        "python": "3.11",
        "use_cache": False,
    }
    args.update(kw)
    return resolve.resolve(**args)


@pytest.mark.integration
def test_real_index_cpu_build_resolves_with_its_hash() -> None:
    res = _resolve("torch==2.13.0")
    assert res.status == "ok", res.message
    assert res.torch is not None and res.torch.version == "2.13.0+cpu" and res.variant == "cpu"
    assert res.torch.sha256 and len(res.torch.sha256) == 64


@pytest.mark.integration
def test_real_index_cuda_build_is_refused_for_the_cpu_profile() -> None:
    res = _resolve("torch==2.14.1")
    assert res.status == "mismatch"
    assert "the default index would install torch 2.14.1, a CUDA 13.0 build, for the cpu profile" in res.message


@pytest.mark.integration
def test_real_index_range_resolves_to_the_newest_version_with_the_profiles_variant() -> None:
    res = _resolve("torch>=2.13,<2.16")
    assert res.status == "ok", res.message
    assert res.torch is not None and res.torch.version == "2.13.0+cpu"
    # the newer versions here are CUDA 13 builds: skipped, newest first
    assert res.excluded[0] == "2.14.1" and all(v.startswith("2.14.") for v in res.excluded)
    # the same range for a CUDA 13.0 profile takes the newest
    cuda = _resolve("torch>=2.13,<2.16", want="cu130")
    assert cuda.status == "ok" and cuda.torch is not None and cuda.torch.version == "2.14.1"


@pytest.mark.integration
def test_real_index_has_nothing_for_this_python() -> None:
    res = _resolve("torch==2.13.0", python="3.8")
    assert res.status == "unavailable" and res.refused
    assert "has nothing for torch==2.13.0 on linux-x86_64 with Python 3.8" in res.message


@pytest.mark.integration
def test_real_plan_records_pins_and_hashes_and_refuses_a_wrong_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVTOOL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ENVTOOL_MIRROR_PYTORCH", "default")
    monkeypatch.setattr(resolve, "_MEMO", {})
    out = io.StringIO()
    code = main(
        ["plan", "--profile", "cpu", "--prefix", str(tmp_path / "e"), "--json"], stdout=out, stderr=io.StringIO()
    )
    env = json.loads(out.getvalue())
    assert code == 0 and env["data"]["plan"]["resolution"]["status"] == "ok"
    assert (
        env["data"]["plan"]["lock"][0][:2] == ["torch", "2.13.0+cpu"] and len(env["data"]["plan"]["lock"][0][2]) == 64
    )
    assert "torch==2.13.0+cpu" in env["data"]["plan"]["steps"][1]["argv"]
    assert list((tmp_path / "cache").glob("*.json"))  # cached for the next run
    # a profile whose pin is a CUDA build on this index: refused, naming what it would give
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "cpu14.toml").write_text('extends = "cpu"\n[torch]\nversion = "2.14.1"\n', encoding="utf-8")
    out = io.StringIO()
    code = main(
        [
            "plan",
            "--profile",
            "cpu14",
            "--profiles-dir",
            str(tmp_path / "p"),
            "--prefix",
            str(tmp_path / "e"),
            "--json",
        ],
        stdout=out,
        stderr=io.StringIO(),
    )
    env = json.loads(out.getvalue())
    assert code == 1 and env["findings"][0]["id"] == "index_variant_mismatch"
    assert "would install torch 2.14.1, a CUDA 13.0 build, for the cpu14 profile" in env["findings"][0]["message"]
    # --offline skips the check and says so
    out = io.StringIO()
    code = main(
        [
            "plan",
            "--profile",
            "cpu14",
            "--profiles-dir",
            str(tmp_path / "p"),
            "--prefix",
            str(tmp_path / "e"),
            "--offline",
            "--json",
        ],
        stdout=out,
        stderr=io.StringIO(),
    )
    assert code == 0 and json.loads(out.getvalue())["data"]["plan"]["resolution"]["status"] == "skipped"


def _cpu_plan() -> plan.Plan:
    prof = profiles.find_profile("cpu", profiles.load_profiles(env={"ENVTOOL_MIRROR_PYTORCH": "default"}))
    return plan.build_plan(prof, prefix="/e", base_python="py")


def test_a_check_that_cannot_run_is_a_warning_and_the_plan_stands(tmp_path: Path) -> None:
    import sys

    failing = [sys.executable, "-c", "import sys; sys.stderr.write('ERROR: index unreachable'); sys.exit(1)"]
    p, found = resolve.check_plan(_cpu_plan(), installer=failing, use_cache=False)
    assert [(f.id, f.severity.value) for f in found] == [("index_check_failed", "warn")]
    assert "index unreachable" in found[0].message
    assert p.resolution is not None and p.resolution["status"] == "failed" and p.lock == ()
    assert p.torch_requirements == ("torch==2.13.0",)  # unchanged: nothing was learned


def test_the_dry_run_is_bounded_by_its_timeout() -> None:
    import sys

    hanging = [sys.executable, "-c", "import time; time.sleep(30)"]
    p, found = resolve.check_plan(_cpu_plan(), installer=hanging, timeout=1, use_cache=False)
    assert found[0].id == "index_check_failed" and "longer than 1 s" in found[0].message


# --------------------------------------------------------------------------- uv, for real
#
# uv reads none of pip's configuration, so it cannot see this machine's local torch CPU wheel
# (pip's find-links folder) unless the plan points at it. The tests point the plan at a local
# flat index that holds that wheel and the dependencies pip resolved for it (downloaded once),
# as a lab's wheelhouse mirror would (ENVTOOL_MIRROR_PYTORCH=file://...).


def _find_links() -> list[str]:
    import subprocess
    import sys

    dirs = os.environ.get("PIP_FIND_LINKS", "").split()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60, check=False
        )
        for line in done.stdout.splitlines():
            if ".find-links=" in line:
                dirs += line.split("=", 1)[1].strip("'\"").split()
    except (OSError, subprocess.SubprocessError):
        pass
    return dirs


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``MIRROR/cpu``: the local torch CPU wheel and its dependencies, as pip resolves them (a flat index)."""
    import subprocess
    import sys

    from envtool import runner

    if runner.which("uv") is None:
        pytest.skip("uv is not installed (`pip install uv`)")
    whl = next(
        (w for d in _find_links() for w in sorted(Path(d.removeprefix("file://")).glob("torch-*+cpu-*.whl"))), None
    )
    if whl is None:
        pytest.skip("no local torch CPU wheel to stand in for PyTorch's index")
    folder = tmp_path_factory.mktemp("mirror") / "cpu"
    folder.mkdir()
    (folder / whl.name).symlink_to(whl)
    version = whl.name.split("-")[1].split("+")[0]
    pip = _resolve(f"torch=={version}", use_cache=True)  # the configured index: torch and what it needs
    assert pip.status == "ok", pip.message
    deps = [f"{w.name}=={w.version}" for w in pip.wheels if w.name.lower() != "torch"]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(folder),
            *deps,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"the dependencies could not be downloaded: {done.stderr.strip()[-200:]}")
    return folder


def _uv_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """uv's own configuration from the environment would change its answer: none in these tests."""
    for key in list(os.environ):
        if key.startswith("UV_") and key != "UV_CACHE_DIR":
            monkeypatch.delenv(key)


@pytest.mark.integration
def test_real_uv_resolves_a_flat_index_with_the_same_pins_as_pip_and_hashes_every_wheel(
    wheelhouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _uv_env(monkeypatch)
    url = wheelhouse.as_uri()
    args = {"index": url, "index_args": plan.index_args(url)}
    uv = _resolve("torch==2.13.0", kind="uv", **args)
    assert uv.status == "ok", uv.message
    assert uv.installer == "uv" and uv.torch is not None and uv.torch.version == "2.13.0+cpu" and uv.variant == "cpu"
    assert len(uv.wheels) > 1 and all(w.sha256 and len(w.sha256) == 64 for w in uv.wheels)
    pip = _resolve("torch==2.13.0", **args)
    assert pip.status == "ok", pip.message
    assert {(w.name.lower(), w.version) for w in uv.wheels} == {(w.name.lower(), w.version) for w in pip.wheels}
    assert {w.sha256 for w in uv.wheels} == {w.sha256 for w in pip.wheels}
    # a folder that lacks a dependency: uv names it, and the step would fail the same way
    lean = wheelhouse.parent / "lean"
    lean.mkdir(exist_ok=True)
    torch_whl = next(wheelhouse.glob("torch-*.whl"))
    if not (lean / torch_whl.name).exists():
        (lean / torch_whl.name).symlink_to(torch_whl.resolve())
    res = _resolve("torch==2.13.0", kind="uv", index=lean.as_uri(), index_args=plan.index_args(lean.as_uri()))
    assert res.status == "unavailable" and "was not found in the provided package locations" in res.message
    # without the dependencies: torch alone
    alone = _resolve(
        "torch==2.13.0", kind="uv", deps=False, index=lean.as_uri(), index_args=plan.index_args(lean.as_uri())
    )
    assert alone.status == "ok" and [w.name for w in alone.wheels] == ["torch"] and not alone.deps


@pytest.mark.integration
def test_real_uv_answers_for_its_own_index_not_pips(monkeypatch: pytest.MonkeyPatch) -> None:
    # pip's configuration here adds a folder with torch 2.13.0+cpu; uv reads none of it and takes
    # the default index's torch 2.13.0, which is a CUDA 13.0 build on Linux x86_64
    _uv_env(monkeypatch)
    assert _resolve("torch==2.13.0").status == "ok"
    res = _resolve("torch==2.13.0", kind="uv")
    assert res.status == "mismatch", res.message
    assert res.message.startswith(
        "uv's default index would install torch 2.13.0, a CUDA 13.0 build, for the cpu profile"
    )
    assert any(w.name == "cuda-toolkit" for w in res.wheels)


@pytest.mark.integration
def test_real_uv_plan_records_the_steps_dependencies_and_hashes(
    wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _uv_env(monkeypatch)
    monkeypatch.setenv("ENVTOOL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ENVTOOL_MIRROR_PYTORCH", wheelhouse.parent.as_uri())
    monkeypatch.setattr(resolve, "_MEMO", {})
    out = io.StringIO()
    argv = ["plan", "--profile", "cpu", "--backend", "uv", "--prefix", str(tmp_path / "e"), "--json"]
    code = main(argv, stdout=out, stderr=io.StringIO())
    data = json.loads(out.getvalue())["data"]["plan"]
    assert code == 0, data["resolution"]["message"]
    assert data["resolution"]["status"] == "ok" and data["resolution"]["installer"] == "uv"
    names = [row[0].lower() for row in data["lock"]]
    assert "torch" in names and "filelock" in names and all(len(row[2]) == 64 for row in data["lock"])
    torch_step = next(s for s in data["steps"] if s["stage"] == "torch")
    assert torch_step["argv"][:2] == ["uv", "pip"] and "torch==2.13.0+cpu" in torch_step["argv"]
    assert not any(a.startswith("filelock") for a in torch_step["argv"])  # locked, not named in the command

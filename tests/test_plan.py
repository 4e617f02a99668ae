"""Plans are pure: exact argv per backend, one index per step, exact exports."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from envtool import plan, profiles
from envtool.cli import main
from envtool.errors import BadInputError

PS = profiles.load_profiles(env={})


def prof(name: str) -> profiles.Profile:
    return profiles.find_profile(name, PS)


def test_venv_plan_exact() -> None:
    p = plan.build_plan(
        prof("cuda12"), backend="venv", prefix="/envs/dl", base_python="/usr/bin/python3.11", platform="linux"
    )
    assert [s.argv for s in p.steps] == [
        ("/usr/bin/python3.11", "-m", "venv", "/envs/dl"),
        (
            "/envs/dl/bin/python",
            "-m",
            "pip",
            "install",
            "--no-input",
            "torch==2.14.1",
            "torchvision==0.29.1",
            "--index-url",
            "https://download.pytorch.org/whl/cu126",
        ),
        ("/envs/dl/bin/python", "-m", "pip", "install", "--no-input", "transformers==5.24.0"),
    ]
    assert all(s.reason for s in p.steps)


def test_uv_plan_exact() -> None:
    p = plan.build_plan(prof("cpu"), backend="uv", prefix="/envs/dl", platform="linux")
    assert [s.argv for s in p.steps] == [
        ("uv", "venv", "--python", "3.11", "/envs/dl"),
        (
            "uv",
            "pip",
            "install",
            "--python",
            "/envs/dl/bin/python",
            "torch==2.13.0",
            "--index-url",
            "https://download.pytorch.org/whl/cpu",
        ),
        ("uv", "pip", "install", "--python", "/envs/dl/bin/python", "transformers==5.24.0"),
    ]


def test_conda_plan_exact_by_name() -> None:
    p = plan.build_plan(prof("cuda11"), backend="conda", name="dl", platform="linux", conda_tool="mamba")
    assert [s.argv for s in p.steps] == [
        ("mamba", "create", "--yes", "--name", "dl", "--override-channels", "-c", "conda-forge", "python=3.11", "pip"),
        (
            "mamba",
            "run",
            "--name",
            "dl",
            "--no-capture-output",
            "python",
            "-m",
            "pip",
            "install",
            "--no-input",
            "torch==2.7.1",
            "torchvision==0.22.1",
            "torchaudio==2.7.1",
            "--index-url",
            "https://download.pytorch.org/whl/cu118",
        ),
        (
            "mamba",
            "run",
            "--name",
            "dl",
            "--no-capture-output",
            "python",
            "-m",
            "pip",
            "install",
            "--no-input",
            "transformers==5.24.0",
        ),
    ]


@pytest.mark.parametrize("backend", plan.BACKENDS)
@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_never_extra_index_and_torch_only_from_its_index(backend: str, platform: str) -> None:
    for pr in PS:
        p = plan.build_plan(pr, backend=backend, prefix="/e", groups=["notebook"], platform=platform)
        for s in p.steps:
            assert "--extra-index-url" not in s.argv
            assert s.argv.count("--index-url") <= 1
        torch_step = next(s for s in p.steps if s.stage == "torch")
        want = plan.torch_index_for(pr, platform)
        assert (want in torch_step.argv) if want else ("--index-url" not in torch_step.argv)
        pkgs = next(s for s in p.steps if s.stage == "packages")
        assert "--index-url" not in pkgs.argv  # the default index: the installer's own configuration
        assert not any(a.startswith("torch==") for a in pkgs.argv)


def test_groups_and_unknown_group() -> None:
    p = plan.build_plan(prof("cpu"), prefix="/e", groups=["notebook"])
    assert "jupyter==1.1.1" in p.requirements and p.requirements[0] == "transformers==5.24.0"
    with pytest.raises(BadInputError, match="no group 'notebok'"):
        plan.build_plan(prof("cpu"), prefix="/e", groups=["notebok"])


def test_mirrors_and_local_wheelhouse(tmp_path: Path) -> None:
    (tmp_path / "mirrors.toml").write_text(
        '[mirrors]\npytorch = "file:///srv/wheelhouse"\nindex = "https://mirror.lab/simple"\n'
    )
    ps = profiles.load_profiles(str(tmp_path), env={})
    p = plan.build_plan(profiles.find_profile("cuda12.6", ps), prefix="/e", base_python="py")
    assert p.steps[1].argv[-3:] == ("--no-index", "--find-links", "file:///srv/wheelhouse/cu126")
    assert p.steps[2].argv[-2:] == ("--index-url", "https://mirror.lab/simple")
    # requirements.txt then names the mirror as its one index
    assert plan.to_requirements_txt(p).splitlines()[4] == "--index-url https://mirror.lab/simple"


def test_environment_yml_exact() -> None:
    p = plan.build_plan(prof("cpu"), backend="conda", prefix="/envs/dl", groups=["notebook"], platform="linux")
    assert plan.to_environment_yml(p) == (
        "# envtool profile cpu\n"
        "# torch comes from its own index, and one requirements list can name only one index\n"
        "# (an extra index would let another one shadow it: dependency confusion). Install it first:\n"
        "#   pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu\n"
        'prefix: "/envs/dl"\n'
        "channels:\n"
        '  - "conda-forge"\n'
        "  - nodefaults\n"
        "dependencies:\n"
        "  - python=3.11\n"
        "  - pip\n"
        "  - pip:\n"
        '    - "transformers==5.24.0"\n'
        '    - "numpy==2.4.6"\n'
        '    - "pandas==3.1.1"\n'
        '    - "scikit-learn==1.9.1"\n'
        '    - "matplotlib==3.11.2"\n'
        '    - "tqdm==4.70.1"\n'
        '    - "jupyter==1.1.1"\n'
        '    - "ipython==9.18.1"\n'
    )


def test_requirements_txt_is_loadable_and_exact(tmp_path: Path) -> None:
    (tmp_path / "same.toml").write_text('extends = "cpu"\n[torch]\nindex = "default"\n')
    ps = profiles.load_profiles(str(tmp_path), env={})
    for name, has_torch in (("cpu", False), ("same", True)):
        text = plan.to_requirements_txt(plan.build_plan(profiles.find_profile(name, ps), prefix="/e", platform="linux"))
        reqs = [Requirement(line) for line in text.splitlines() if line and not line.startswith("#")]
        assert all(len(r.specifier) == 1 and next(iter(r.specifier)).operator == "==" for r in reqs)
        assert any(r.name == "torch" for r in reqs) is has_torch


def test_windows_paths() -> None:
    p = plan.build_plan(prof("cpu"), prefix="C:\\envs\\dl", platform="win32")
    assert p.python == "C:\\envs\\dl\\Scripts\\python.exe"


def test_bad_combinations() -> None:
    with pytest.raises(BadInputError):
        plan.build_plan(prof("cpu"), prefix="/a", name="b")
    with pytest.raises(BadInputError):
        plan.build_plan(prof("cpu"), backend="poetry", prefix="/a")


def test_cli_plan_formats(tmp_path: Path) -> None:
    out = io.StringIO()
    assert (
        main(
            ["plan", "--profile", "cpu", "--prefix", str(tmp_path / "e"), "--format", "sh", "--platform", "linux"],
            stdout=out,
            stderr=io.StringIO(),
        )
        == 0
    )
    lines = out.getvalue().splitlines()
    assert lines[:3] == ["#!/bin/sh", "# envtool plan: profile cpu, backend venv", "set -eu"]
    assert any(line.endswith("--index-url https://download.pytorch.org/whl/cpu") for line in lines)  # not wrapped
    out = io.StringIO()
    assert (
        main(
            ["plan", "--profile", "cuda13", "--backend", "conda", "--name", "x", "--json"],
            stdout=out,
            stderr=io.StringIO(),
        )
        == 0
    )
    data = json.loads(out.getvalue())["data"]
    assert data["plan"]["profile"] == "cuda13.0" and [s["stage"] for s in data["plan"]["steps"]] == [
        "create",
        "torch",
        "packages",
    ]
    assert main(["plan", "--profile", "nope"], stdout=io.StringIO(), stderr=io.StringIO()) == 2
    assert main(["plan", "--profile", "cpu", "--name", "../x"], stdout=io.StringIO(), stderr=io.StringIO()) == 2

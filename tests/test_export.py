"""`plan --format uv-project|pixi|dockerfile|requirements.txt` (envtool/export.py).

The uv export is tested for real: a project made of the fragment must `uv lock`, with torch taken
from a local folder of wheels (PyPI's index is not PyPI's torch index, and this machine cannot
reach PyPI's torch index), through the same mirror option a lab behind a firewall uses.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from envtool_cli import cli_text

from envtool import export, profiles
from envtool import plan as planmod


def _plan(name: str, platform: str = "linux") -> planmod.Plan:
    prof = profiles.find_profile(name, profiles.load_profiles(env={}))
    return planmod.build_plan(prof, prefix="/e", platform=platform)


def test_uv_project_takes_torch_and_companions_from_an_explicit_index() -> None:
    p = _plan("cuda12.6")
    doc = tomllib.loads(export.to_uv_project(p))
    (index,) = doc["tool"]["uv"]["index"]
    assert index == {"name": "pytorch-cu126", "url": "https://download.pytorch.org/whl/cu126", "explicit": True}
    assert doc["tool"]["uv"]["sources"]["torch"] == [{"index": "pytorch-cu126"}]
    assert set(doc["tool"]["uv"]["sources"]) == {"torch", "torchvision"}
    assert doc["project"]["dependencies"] == [*p.torch_requirements, *p.requirements]
    assert doc["project"]["requires-python"] == "==3.11.*"


def test_uv_project_cpu_index_only_where_the_profile_says() -> None:
    doc = tomllib.loads(export.to_uv_project(_plan("cpu")))
    src = doc["tool"]["uv"]["sources"]["torch"][0]
    assert src["marker"] == "sys_platform == 'linux' or sys_platform == 'win32'"


def test_a_mirror_becomes_the_default_index_and_a_local_folder_is_flat() -> None:
    p = _plan("cpu")
    p = dataclasses.replace(p, index="https://mirror.lab/simple", torch_index="file:///srv/wheels/cpu")
    doc = tomllib.loads(export.to_uv_project(p))
    default, torch = doc["tool"]["uv"]["index"]
    assert default == {"name": "default", "url": "https://mirror.lab/simple", "default": True}
    assert torch["format"] == "flat" and torch["explicit"] is True


def test_every_export_names_what_it_cannot_express() -> None:
    p = _plan("cuda12.6")
    for fmt in export.FORMATS:
        text = planmod.render(p, fmt)
        assert "# What this file cannot express:" in text
        assert "525.60.13" in text  # the driver floor is the machine's business, said in every file


def test_pixi_has_the_cuda_line_the_index_per_package_and_the_pins() -> None:
    p = _plan("cuda12.6")
    doc = tomllib.loads(export.to_pixi(p, arch="x86_64"))
    assert doc["workspace"]["platforms"] == ["linux-64"]
    assert doc["system-requirements"] == {"cuda": "12.6"}
    assert doc["dependencies"]["python"] == "3.11.*"
    assert doc["pypi-dependencies"]["torch"] == {
        "version": "==2.14.1",
        "index": "https://download.pytorch.org/whl/cu126",
    }
    assert doc["pypi-dependencies"]["transformers"] == "==5.24.0"
    aarch = tomllib.loads(export.to_pixi(p, arch="aarch64"))
    assert aarch["workspace"]["platforms"] == ["linux-aarch64"]


def test_pixi_cpu_has_no_cuda_requirement() -> None:
    doc = tomllib.loads(export.to_pixi(_plan("cpu")))
    assert "system-requirements" not in doc


def test_dockerfile_plain_python_base_the_plan_steps_and_the_guard() -> None:
    p = _plan("cuda12.6")
    text = export.to_dockerfile(p)
    lines = text.splitlines()
    assert "FROM python:3.11-slim" in lines
    assert not any(ln.startswith("FROM nvidia/cuda") for ln in lines)
    run = [ln for ln in lines if ln.startswith("RUN ")]
    assert "torch==2.14.1 torchvision==0.29.1 --index-url https://download.pytorch.org/whl/cu126" in run[0]
    assert "ENV PIP_CONSTRAINT=/etc/envtool-constraints.txt" in lines
    assert "transformers==5.24.0" in run[-1] and "--index-url" not in run[-1]
    assert "--gpus all" in text


def test_requirements_txt_says_when_there_are_no_hashes() -> None:
    text = planmod.render(_plan("cuda12.6"), "requirements.txt")
    assert "--hash=" not in text and "# no --hash lines: the plan carries no hashes" in text


def test_requirements_txt_writes_hashes_only_when_every_pin_has_them() -> None:
    p = _plan("cpu", platform="darwin")  # one index: torch is in the file
    h = "sha256:" + "a" * 64
    full = export.to_requirements_txt(p, {"torch": [h], "transformers": [h]})
    assert f"torch==2.13.0 \\\n    --hash={h}" in full
    partial = export.to_requirements_txt(p, {"torch": [h]})
    assert "--hash=" not in partial and "no hashes for transformers==5.24.0" in partial


def test_plan_hashes_reads_the_resolved_pins() -> None:
    # The index resolution records (name, version, sha256) in Plan.lock (envtool/resolve.py)
    p = dataclasses.replace(_plan("cpu"), lock=(("Torch", "2.13.0+cpu", "b" * 64), ("transformers", "5.24.0", None)))
    assert export.plan_hashes(p) == {"torch": ["sha256:" + "b" * 64]}
    assert export.plan_hashes(_plan("cpu")) == {}


def _no_packages(p: planmod.Plan, lock: tuple[tuple[str, str, str | None], ...]) -> planmod.Plan:
    return dataclasses.replace(p, requirements=(), lock=lock)


def test_requirements_txt_hashes_the_torch_steps_dependencies_too() -> None:
    # The resolution records what the torch step installs with torch (envtool/resolve.py), each with its hash
    lock = (("torch", "2.13.0", "b" * 64), ("sympy", "1.14.0", "c" * 64), ("Filelock", "3.20.0", "d" * 64))
    p = _no_packages(_plan("cpu", platform="darwin"), lock)
    text = export.to_requirements_txt(p)
    lines = text.splitlines()
    assert f"torch==2.13.0 \\\n    --hash=sha256:{'b' * 64}" in text
    deps = lines[lines.index("# what the torch step installs with it, as the index resolved it") + 1 :]
    assert deps == [
        "filelock==3.20.0 \\",
        f"    --hash=sha256:{'d' * 64}",
        "sympy==1.14.0 \\",
        f"    --hash=sha256:{'c' * 64}",
    ]
    assert "need hashes too" not in text  # nothing else in the file: complete for --require-hashes
    # one dependency without a hash: no hash lines at all (pip's all or nothing), and which one says so
    partial = export.to_requirements_txt(_no_packages(p, (*lock[:2], ("filelock", "3.20.0", None))))
    assert "--hash=" not in partial and "no hashes for filelock==3.20.0" in partial
    # the profile's own packages are not resolved: their dependencies are still to be hashed
    with_packages = dataclasses.replace(p, requirements=("transformers==5.24.0",))
    h = "sha256:" + "e" * 64
    full = export.to_requirements_txt(with_packages, {"torch": [h], "sympy": [h], "filelock": [h], "transformers": [h]})
    assert "filelock==3.20.0 \\" in full and full.rstrip().endswith("refuses any without")


def test_a_torch_step_from_its_own_index_lends_no_dependencies_to_the_file() -> None:
    # torch from torch's index is not in this file (its note says to install it first): nor are its dependencies
    p = dataclasses.replace(_plan("cuda12.6"), lock=(("torch", "2.14.1", "b" * 64), ("sympy", "1.14.0", "c" * 64)))
    text = export.to_requirements_txt(p)
    assert "sympy" not in text and "no hashes for transformers==5.24.0" in text


def test_the_formats_are_offered_by_plan() -> None:
    for fmt in (*export.FORMATS, "requirements.txt"):
        code, out, err = cli_text("plan", "--profile", "cpu", "--prefix", "/tmp/envtool-x", "--format", fmt)
        assert code == 0, err
        assert out.startswith("# envtool profile cpu")


# --------------------------------------------------------------------------- uv lock, for real


def _torch_wheel() -> Path | None:
    """A torch wheel on this machine's local wheel folder (pip's find-links), if there is one."""
    dirs = os.environ.get("PIP_FIND_LINKS", "").split()
    try:
        done = subprocess.run(
            ["python3", "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60, check=False
        )
        for line in done.stdout.splitlines():
            if ".find-links=" in line:
                dirs += line.split("=", 1)[1].strip("'\"").split()
    except (OSError, subprocess.SubprocessError):
        pass
    for d in dirs:
        for whl in sorted(Path(d.removeprefix("file://")).glob("torch-*+cpu-*.whl")):
            return whl
    return None


@pytest.mark.integration
def test_uv_locks_a_project_made_of_the_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from envtool import runner

    uv = runner.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (`pip install uv`)")
    whl = _torch_wheel()
    if whl is None:
        pytest.skip("no local torch CPU wheel to stand in for PyTorch's index")
    version = whl.name.split("-")[1]  # "2.13.0+cpu"
    mirror = tmp_path / "mirror"
    (mirror / "cpu").mkdir(parents=True)
    (mirror / "cpu" / whl.name).symlink_to(whl)
    # A lab's own profile on the lab's mirror: torch from the local folder, nothing else (fast to lock).
    profs = tmp_path / "profiles"
    profs.mkdir()
    (profs / "labcpu.toml").write_text(
        'description = "test"\npython = "3.11"\n[torch]\n'
        f'version = "{version.split("+")[0]}"\nvariant = "cpu"\nindex = "https://download.pytorch.org/whl/cpu"\n'
        'index_platforms = ["linux"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ENVTOOL_MIRROR_PYTORCH", mirror.as_uri())
    # --offline: the folder holds torch alone, which the uv project takes from it, while the plan's own torch
    # step (`--no-index --find-links`) would need torch's dependencies there too, and the index check says so
    code, fragment, err = cli_text(
        "plan",
        "--profile",
        "labcpu",
        "--profiles-dir",
        str(profs),
        "--prefix",
        "/tmp/x",
        "--offline",
        "--format",
        "uv-project",
    )
    assert code == 0, err
    project = tmp_path / "proj"
    project.mkdir()
    # Merged into a project's own pyproject.toml, as the export's header says.
    text = fragment.replace("[project]\n", '[project]\nname = "labproj"\nversion = "0.1.0"\n', 1)
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    done = subprocess.run([uv, "lock"], cwd=project, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    torches = {(p["version"], str(p["source"].get("registry"))) for p in lock["package"] if p["name"] == "torch"}
    assert (version, str(mirror / "cpu")) in torches  # the profile's build, from torch's index, on Linux
    dry = subprocess.run([uv, "sync", "--dry-run"], cwd=project, capture_output=True, text=True, timeout=600, env=env)
    assert dry.returncode == 0, dry.stderr
    assert f"torch=={version}" in dry.stderr + dry.stdout


@pytest.mark.integration
def test_a_hashed_requirements_file_passes_pips_hash_checking_for_real(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The torch step with every dependency and hash, as the resolution found them, is what pip accepts."""
    if _torch_wheel() is None:
        pytest.skip("no local torch CPU wheel on this machine's configured index")
    from envtool import resolve

    profs = tmp_path / "profiles"
    profs.mkdir()
    # torch alone (no packages of its own) from the installer's configured index: the file holds the whole step
    (profs / "labcpu.toml").write_text(
        'description = "test"\npython = "3.11"\n[torch]\nversion = "2.13.0"\nvariant = "cpu"\n'
        'index = "https://download.pytorch.org/whl/cpu"\nindex_platforms = ["linux"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ENVTOOL_MIRROR_PYTORCH", "default")
    monkeypatch.setenv("ENVTOOL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(resolve, "_MEMO", {})
    code, text, err = cli_text(
        "plan",
        "--profile",
        "labcpu",
        "--profiles-dir",
        str(profs),
        "--prefix",
        "/tmp/x",
        "--format",
        "requirements.txt",
    )
    assert code == 0, err
    assert "torch==2.13.0+cpu \\\n    --hash=sha256:" in text and "# what the torch step installs with it" in text
    req = tmp_path / "requirements.txt"
    req.write_text(text, encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed", "--require-hashes"]
    done = subprocess.run(
        [*pip, "--target", str(tmp_path / "t"), "-r", str(req)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # a hash that is not the wheel's is refused: the file's hashes are what pip checks
    digest = text.split("--hash=sha256:", 1)[1][:64]
    req.write_text(text.replace(digest, "0" * 64, 1), encoding="utf-8")
    bad = subprocess.run(
        [*pip, "--target", str(tmp_path / "t2"), "-r", str(req)], capture_output=True, text=True, timeout=600
    )
    assert bad.returncode != 0 and "THESE PACKAGES DO NOT MATCH THE HASHES" in bad.stderr

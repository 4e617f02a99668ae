"""The guard: pins in the environment's own installer configuration (envtool/guard.py).

The pure tests check what goes into which file; the integration tests make real venvs, install
real wheels with pip (and uv when it is on PATH) and show that a later install is refused while
the guard is there, and replaces the package when it is not.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from envtool import guard

INSTALLED = {
    "torch": "2.13.0+cu129",
    "torchvision": "0.28.0+cu129",
    "nvidia-cublas-cu12": "12.9.1.4",
    "nvidia_cudnn_cu12": "9.10.2.21",
    "nvidia-ml-py": "13.580.82",
    "triton": "3.5.0",
    "transformers": "5.24.0",
    "pip": "25.3",
}


# --------------------------------------------------------------------------- pure


def test_pins_are_torch_its_companions_and_cuda_wheels_with_the_local_label() -> None:
    pins = guard.guarded_pins(INSTALLED, ["torch==2.13.0", "torchvision==0.28.0"])
    assert pins == (
        "nvidia-cublas-cu12==12.9.1.4",
        "nvidia-cudnn-cu12==9.10.2.21",
        "torch==2.13.0+cu129",
        "torchvision==0.28.0+cu129",
        "triton==3.5.0",
    )


def test_a_companion_of_the_plan_is_pinned_whatever_its_name() -> None:
    pins = guard.guarded_pins({"torch": "2.7.1+cu118", "xformers": "0.0.30"}, ["torch==2.7.1", "xformers==0.0.30"])
    assert "xformers==0.0.30" in pins


def test_venv_guard_files(tmp_path: Path) -> None:
    activate = "deactivate () {\n    unset VIRTUAL_ENV\n}\ndeactivate nondestructive\nexport VIRTUAL_ENV=/x\n"
    g = guard.plan_guard(
        "/envs/a",
        backend="venv",
        platform="linux",
        installed=INSTALLED,
        inherited_constraints=["/etc/xdg/pip/constraints.txt"],
        existing_activate=activate,
    )
    paths = {f.path: f.content for f in g.files}
    assert set(paths) == {
        "/envs/a/envtool-constraints.txt",
        "/envs/a/pip.conf",
        "/envs/a/bin/activate",
        "/envs/a/envtool-guard.json",
    }
    assert "torch==2.13.0+cu129" in paths["/envs/a/envtool-constraints.txt"].splitlines()
    conf = paths["/envs/a/pip.conf"]
    assert "[install]" in conf
    assert "constraint = /envs/a/envtool-constraints.txt /etc/xdg/pip/constraints.txt" in conf
    assert "--force-recreate" in conf  # the way out is named where the user will look
    act = paths["/envs/a/bin/activate"]
    assert act.index("_ENVTOOL_OLD_UV_CONSTRAINT") < act.index("unset VIRTUAL_ENV")  # restored in deactivate
    assert 'UV_CONSTRAINT="/envs/a/envtool-constraints.txt${UV_CONSTRAINT:+ $UV_CONSTRAINT}"' in act
    manifest = json.loads(paths["/envs/a/envtool-guard.json"])
    assert manifest["constraints"] == "/envs/a/envtool-constraints.txt"
    assert "/envs/a/pip.conf" in manifest["files"]


def test_writing_the_guard_twice_changes_nothing() -> None:
    activate = "deactivate () {\n    unset VIRTUAL_ENV\n}\n"
    first = guard.plan_guard("/e", backend="uv", platform="linux", installed=INSTALLED, existing_activate=activate)
    files = {f.path: f.content for f in first.files}
    again = guard.plan_guard(
        "/e",
        backend="uv",
        platform="linux",
        installed=INSTALLED,
        existing_activate=files["/e/bin/activate"],
        existing_pip_conf=files["/e/pip.conf"],
        inherited_constraints=guard.parse_pip_constraints("install.constraint='/e/envtool-constraints.txt'"),
    )
    assert {f.path: f.content for f in again.files} == files


def test_an_existing_pip_conf_keeps_its_other_settings() -> None:
    text = guard.pip_conf_text("[global]\nindex-url = https://mirror.example/simple\n", ["/e/c.txt"], "lift")
    assert "index-url = https://mirror.example/simple" in text
    assert "constraint = /e/c.txt" in text


def test_a_path_with_a_space_goes_to_pip_and_uv_as_a_file_uri() -> None:
    g = guard.plan_guard(
        "/my envs/a",
        backend="venv",
        platform="linux",
        installed=INSTALLED,
        existing_activate="deactivate () {\n}\n",
    )
    files = {f.path: f.content for f in g.files}
    assert "constraint = file:///my%20envs/a/envtool-constraints.txt" in files["/my envs/a/pip.conf"]
    assert "file:///my%20envs/a/envtool-constraints.txt" in files["/my envs/a/bin/activate"]


def test_conda_guard_pins_conda_packages_away_and_python_minor() -> None:
    g = guard.plan_guard(
        "/c",
        backend="conda",
        platform="linux",
        installed=INSTALLED,
        existing_pinned="numpy 2.*\n",
        python_version="3.11",
    )
    files = {f.path: f.content for f in g.files}
    pinned = files["/c/conda-meta/pinned"].splitlines()
    assert pinned[0] == "numpy 2.*"
    assert "pytorch <0a0" in pinned and "python 3.11.*" in pinned
    assert "/c/pip.conf" in files  # pip inside a conda env reads <sys.prefix>/pip.conf too
    assert "/c/bin/activate" not in files


def test_no_activate_script_is_named_as_a_limit() -> None:
    g = guard.plan_guard("/e", backend="uv", platform="linux", installed=INSTALLED, existing_activate=None)
    assert any("uv pip install` is not guarded" in lim for lim in g.limits)


def test_windows_uses_pip_ini() -> None:
    g = guard.plan_guard("C:\\envs\\a", backend="venv", platform="win32", installed=INSTALLED)
    assert "C:\\envs\\a\\pip.ini" in {f.path for f in g.files}


def test_parse_pip_constraints() -> None:
    out = "global.cert='/etc/ssl/x.crt'\nglobal.constraint='/etc/a.txt /etc/b.txt'\n:env:.constraint='/z'\n"
    assert guard.parse_pip_constraints(out) == ("/etc/a.txt", "/etc/b.txt")
    assert guard.parse_pip_constraints(out + "install.constraint='/i.txt'\n") == ("/i.txt",)


# --------------------------------------------------------------------------- real installs


def _wheel(folder: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    """A minimal pure-Python wheel that pip installs like any other."""
    mod = name.replace("-", "_")
    dist = f"{mod}-{version}.dist-info"
    files = {
        f"{mod}/__init__.py": f"VERSION = {version!r}\n",
        f"{dist}/METADATA": "Metadata-Version: 2.1\n"
        f"Name: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: envtool-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    rows = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        rows.append([path, f"sha256={digest}", str(len(text.encode()))])
    rows.append([f"{dist}/RECORD", "", ""])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    files[f"{dist}/RECORD"] = buf.getvalue()
    out = folder / f"{mod}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return out


def _pip(env: Path, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_CONSTRAINT", "VIRTUAL_ENV"))}
    run_env.update(extra_env or {})
    return subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "--no-input", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=run_env,
    )


def _version(env: Path, module: str) -> str:
    done = subprocess.run(
        [str(env / "bin" / "python"), "-c", f"import {module}; print({module}.VERSION)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.strip()


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    """``pinme`` 1.0 and 2.0, and ``needs-pinme2``, which requires pinme>=2 (as a package needing another torch)."""
    house = tmp_path / "wheels"
    house.mkdir()
    _wheel(house, "pinme", "1.0")
    _wheel(house, "pinme", "2.0")
    _wheel(house, "needs-pinme2", "1.0", ("pinme>=2",))
    return house


def _env_with_pinme(tmp_path: Path, wheelhouse: Path, name: str) -> Path:
    env = tmp_path / name
    venv.EnvBuilder(with_pip=True).create(env)
    done = _pip(env, "--no-index", "--find-links", str(wheelhouse), "pinme==1.0")
    assert done.returncode == 0, done.stderr
    return env


@pytest.mark.integration
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")
def test_pip_refuses_to_replace_a_guarded_package_and_replaces_an_unguarded_one(
    tmp_path: Path, wheelhouse: Path
) -> None:
    guarded = _env_with_pinme(tmp_path, wheelhouse, "guarded")
    unguarded = _env_with_pinme(tmp_path, wheelhouse, "unguarded")
    g = guard.guard_environment(
        guarded,
        backend="venv",
        platform=sys.platform,
        python=str(guarded / "bin" / "python"),
        installed={"pinme": "1.0"},
        companions=["pinme==1.0"],
    )
    assert "pinme==1.0" in g.pins

    # A later install of something that needs another version: pip's own conflict message, nothing changed.
    later = _pip(guarded, "--no-index", "--find-links", str(wheelhouse), "needs-pinme2")
    assert later.returncode != 0
    assert "ResolutionImpossible" in later.stderr, later.stderr
    assert "The user requested (constraint) pinme==1.0" in later.stdout, later.stdout
    assert _version(guarded, "pinme") == "1.0"
    direct = _pip(guarded, "--no-index", "--find-links", str(wheelhouse), "pinme==2.0")
    assert direct.returncode != 0 and "(constraint) pinme==1.0" in direct.stdout
    assert _version(guarded, "pinme") == "1.0"
    # ... and an explicit upgrade is held back to the pin.
    assert _pip(guarded, "--no-index", "--find-links", str(wheelhouse), "-U", "pinme").returncode == 0
    assert _version(guarded, "pinme") == "1.0"

    # Without the guard the same command replaces it.
    done = _pip(unguarded, "--no-index", "--find-links", str(wheelhouse), "needs-pinme2")
    assert done.returncode == 0, done.stderr
    assert _version(unguarded, "pinme") == "2.0"

    # Removing the guard (as its message says) lets the upgrade through.
    (guarded / guard.CONSTRAINTS_FILE).unlink()
    (guarded / "pip.conf").unlink()
    done = _pip(guarded, "--no-index", "--find-links", str(wheelhouse), "needs-pinme2")
    assert done.returncode == 0, done.stderr
    assert _version(guarded, "pinme") == "2.0"


@pytest.mark.integration
@pytest.mark.skipif(sys.platform == "win32" or shutil.which("bash") is None, reason="POSIX activate script")
def test_uv_refuses_while_the_environment_is_active(tmp_path: Path, wheelhouse: Path) -> None:
    from envtool import runner

    uv = runner.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    env = tmp_path / "uvenv"
    subprocess.run([uv, "venv", "-q", str(env)], check=True, timeout=120)
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(env / "bin" / "python"),
            "--no-index",
            "-f",
            str(wheelhouse),
            "pinme==1.0",
        ],
        check=True,
        timeout=120,
    )
    guard.guard_environment(
        env,
        backend="uv",
        platform=sys.platform,
        python=str(env / "bin" / "python"),
        installed={"pinme": "1.0"},
        companions=["pinme==1.0"],
    )
    script = (
        f'. "{env}/bin/activate"\n'
        f'"{uv}" pip install --no-index -f "{wheelhouse}" needs-pinme2; echo "rc=$?"\n'
        'echo "active=${UV_CONSTRAINT-}"\n'
        "deactivate\n"
        'echo "after=${UV_CONSTRAINT-unset}"\n'
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("UV_CONSTRAINT", "VIRTUAL_ENV"))}
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, env=clean)
    assert "rc=0" not in done.stdout, done.stdout + done.stderr
    assert "pinme==1.0" in done.stderr  # uv names the constraint it could not break
    assert f"active={env}/envtool-constraints.txt" in done.stdout
    assert "after=unset" in done.stdout
    assert _version(env, "pinme") == "1.0"


@pytest.mark.integration
@pytest.mark.skipif(sys.platform != "linux", reason="the local torch CPU wheel is a Linux wheel")
def test_envtool_install_guards_the_torch_it_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end: `envtool install` (real torch), then a later pip install that needs another torch."""
    from envtool_cli import cli_json
    from test_export import _torch_wheel

    whl = _torch_wheel()
    if whl is None:
        pytest.skip("no local torch CPU wheel: the install would download a GPU-sized torch")
    version = whl.name.split("-")[1]
    profs = tmp_path / "profiles"
    profs.mkdir()
    # The cpu profile without its other packages (a faster install); torch from the installer's own
    # configuration, whose local folder holds the CPU wheel.
    (profs / "torchonly.toml").write_text(
        'description = "torch alone"\nextends = "cpu"\npackages = []\n', encoding="utf-8"
    )
    monkeypatch.setenv("ENVTOOL_MIRROR_PYTORCH", "default")
    env = tmp_path / "env"
    code, out = cli_json(
        "install", "--profile", "torchonly", "--profiles-dir", str(profs), "--prefix", str(env), "--yes", "--no-bert"
    )
    assert code == 0, out["errors"]
    assert out["data"]["guard"]["pins"] == [f"torch=={version}"]
    assert (env / "pip.conf").is_file() and (env / guard.CONSTRAINTS_FILE).is_file()

    house = tmp_path / "later"
    house.mkdir()
    _wheel(house, "needs-newer-torch", "1.0", ("torch>=99",))
    later = _pip(env, "--find-links", str(house), "needs-newer-torch")
    assert later.returncode != 0
    assert "needs-newer-torch 1.0 depends on torch>=99" in later.stdout
    assert "The user requested (constraint)" in later.stdout and f"=={version}" in later.stdout
    code, checked = cli_json("check", "--prefix", str(env))
    assert code == 0 and checked["findings"] == [], checked["findings"]  # torch unchanged, guard in place

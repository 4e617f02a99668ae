"""`envtool check`: an environment against its envtool-lock.json and its guard (envtool/drift.py)."""

from __future__ import annotations

import json
import sys
import venv
from pathlib import Path

import pytest
from envtool_cli import cli_json
from test_guard import _pip, _wheel

from envtool import drift, envcheck

LOCK = {
    "schema": "envtool-lock/1",
    "profile": {"name": "cuda12.9"},
    "installed": {"torch": "2.13.0+cu129", "nvidia-cublas-cu12": "12.9.1.4", "transformers": "5.24.0", "pip": "25.3"},
    "verification": {"ok": True, "checks": []},
}
MANIFEST = {"pins": ["torch==2.13.0+cu129"], "files": [], "constraints": "/e/envtool-constraints.txt"}


def ids(d: drift.Drift) -> list[str]:
    return [f.id for f in d.findings]


# --------------------------------------------------------------------------- pure


def test_an_environment_as_installed_with_its_guard_is_clean() -> None:
    d = drift.compare("/e", LOCK, dict(LOCK["installed"]), guard=drift.GuardState(manifest=MANIFEST))
    assert d.clean and not d.findings


def test_another_torch_build_is_an_error_naming_both_builds() -> None:
    now = {**LOCK["installed"], "torch": "2.13.0"}
    d = drift.compare("/e", LOCK, now, guard=drift.GuardState(manifest=MANIFEST))
    assert ids(d) == ["torch_replaced"]
    msg = d.findings[0].message
    assert "2.13.0+cu129 (verified by envtool install, build cu129)" in msg
    assert "by 2.13.0 (the default index's build (no local label))" in msg
    assert "--force-recreate --profile cuda12.9 --prefix /e" in d.findings[0].fix
    assert d.torch == drift.Change(name="torch", locked="2.13.0+cu129", now="2.13.0")


def test_torch_removed_and_files_changed_are_errors() -> None:
    now = {k: v for k, v in LOCK["installed"].items() if k != "torch"}
    gone = drift.compare("/e", LOCK, now, guard=drift.GuardState(manifest=MANIFEST))
    assert ids(gone) == ["torch_replaced"] and "no longer installed" in gone.findings[0].message
    d = drift.compare(
        "/e", LOCK, dict(LOCK["installed"]), guard=drift.GuardState(manifest=MANIFEST), torch_files=["torch/_C.so"]
    )
    assert ids(d) == ["torch_replaced"] and "torch/_C.so" in d.findings[0].message


def test_same_version_from_another_wheel_is_caught_by_the_record_digest() -> None:
    manifest = {**MANIFEST, "torch_record_fingerprint": "aa"}
    same = drift.compare(
        "/e", LOCK, dict(LOCK["installed"]), guard=drift.GuardState(manifest=manifest), torch_record_fingerprint="aa"
    )
    other = drift.compare(
        "/e", LOCK, dict(LOCK["installed"]), guard=drift.GuardState(manifest=manifest), torch_record_fingerprint="bb"
    )
    assert same.clean
    assert ids(other) == ["torch_replaced"] and other.torch_record_changed


def test_other_packages_are_drift_warnings_listing_each_change() -> None:
    now = {**LOCK["installed"], "nvidia_cublas_cu12": "12.9.9", "requests": "2.33.0"}
    now.pop("transformers")
    d = drift.compare("/e", LOCK, now, guard=drift.GuardState(manifest=MANIFEST))
    assert ids(d) == ["env_drift"]
    msg = d.findings[0].message
    assert "nvidia-cublas-cu12 12.9.1.4 -> 12.9.9" in msg and "added: requests 2.33.0" in msg
    assert "removed: transformers 5.24.0" in msg
    only_added = drift.compare(
        "/e", LOCK, {**LOCK["installed"], "requests": "2.33.0"}, guard=drift.GuardState(manifest=MANIFEST)
    )
    assert only_added.findings[0].message == "1 package(s) differ from envtool-lock.json; added: requests 2.33.0"


def test_no_guard_on_a_verified_environment_is_a_warning_with_the_way_back() -> None:
    d = drift.compare("/e", LOCK, dict(LOCK["installed"]))
    assert ids(d) == ["guard_removed"] and "--write-guard" in d.findings[0].fix


def test_guard_state_sees_deleted_and_edited_files() -> None:
    files = ["/e/envtool-constraints.txt", "/e/pip.conf", "/e/bin/activate"]
    manifest = {**MANIFEST, "files": files}
    st = drift.guard_state(
        manifest,
        {"/e/envtool-constraints.txt": True, "/e/pip.conf": True, "/e/bin/activate": False},
        {"/e/envtool-constraints.txt": "torch==2.13.0+cu129\n", "/e/pip.conf": "[install]\n"},
    )
    assert st.missing == ("/e/bin/activate",) and st.edited == ("/e/pip.conf",)
    d = drift.compare("/e", LOCK, dict(LOCK["installed"]), guard=st)
    assert ids(d) == ["guard_removed"]


def test_every_check_finding_is_in_the_vocabulary_and_the_readme() -> None:
    from envtool import rules

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for fid in drift.SEVERITY:
        assert fid in rules.VOCABULARY and f"`{fid}`" in readme


def test_the_record_fingerprint_is_the_wheel_not_the_install() -> None:
    wheel = "torch/__init__.py,sha256=abc,12\ntorch/_C.so,sha256=def,99\n"
    first = wheel + "torch-2.13.0.dist-info/INSTALLER,sha256=pip,4\ntorch-2.13.0.dist-info/REQUESTED,sha256=e3b,0\n"
    again = "torch/__pycache__/x.pyc,,\n" + wheel + "torch-2.13.0.dist-info/RECORD,,\n"
    assert drift.record_fingerprint(first) == drift.record_fingerprint(again)
    other = wheel.replace("sha256=def", "sha256=xyz")
    assert drift.record_fingerprint(other) != drift.record_fingerprint(first)


def test_parse_record_skips_rows_without_hashes() -> None:
    text = "torch/__init__.py,sha256=abc,12\ntorch-2.13.0.dist-info/RECORD,,\ntorch/__pycache__/x.pyc,,\n"
    assert drift.parse_record(text) == [("torch/__init__.py", "sha256", "abc")]


def test_a_missing_lock_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").symlink_to(sys.executable)
    code, env = cli_json("check", "--prefix", str(tmp_path))
    assert code == 2 and "envtool-lock.json: no such file" in env["errors"][0]


# --------------------------------------------------------------------------- a real environment


def _fake_torch_env(tmp_path: Path) -> tuple[Path, Path]:
    """A venv with a small wheel named torch (2.13.0+cu129) and its lock, as install leaves them."""
    house = tmp_path / "wheels"
    house.mkdir()
    _wheel(house, "torch", "2.13.0+cu129")
    _wheel(house, "torch", "2.13.0")
    _wheel(house, "extra-pkg", "1.0")
    env = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env)
    done = _pip(env, "--no-index", "--find-links", str(house), "torch==2.13.0+cu129")
    assert done.returncode == 0, done.stderr
    raw = envcheck.inspect_all(str(env / "bin" / "python"))
    installed = {d["name"]: d["version"] for d in raw["dists"]}
    lock = {**LOCK, "installed": installed, "plan": {"backend": "venv", "platform": sys.platform}}
    (env / "envtool-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    return env, house


@pytest.mark.integration
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")
def test_check_a_real_environment_through_its_life(tmp_path: Path) -> None:
    env, house = _fake_torch_env(tmp_path)

    code, out = cli_json("check", "--prefix", str(env))
    assert code == 0 and [f["id"] for f in out["findings"]] == ["guard_removed"]  # installed, no guard yet

    code, out = cli_json("check", "--prefix", str(env), "--write-guard")
    assert code == 0 and out["findings"] == [] and out["data"]["clean"] is True
    assert "torch==2.13.0+cu129" in out["data"]["guard_written"]["pins"]
    item = envcheck.checklist_check(str(env / "bin" / "python"))
    assert item is not None and item.id == "drift" and item.status.value == "pass"

    # A package added beside it: drift, a warning.
    assert _pip(env, "--no-index", "--find-links", str(house), "extra-pkg").returncode == 0
    code, out = cli_json("check", "--prefix", str(env))
    assert code == 0 and [f["id"] for f in out["findings"]] == ["env_drift"]
    assert out["data"]["added"] == [{"name": "extra-pkg", "locked": None, "now": "1.0"}]

    # A file of torch edited in place: its RECORD no longer matches.
    site = next((env / "lib").glob("python*/site-packages"))
    (site / "torch" / "__init__.py").write_text("VERSION = 'tampered'\n", encoding="utf-8")
    code, out = cli_json("check", "--prefix", str(env))
    assert code == 1 and "torch_replaced" in [f["id"] for f in out["findings"]]
    assert out["data"]["torch_files_changed"] == ["torch/__init__.py"]

    # torch replaced by another build (the guard removed first, or pip would refuse): an error naming both.
    (env / "pip.conf").unlink()
    done = _pip(env, "--no-index", "--find-links", str(house), "torch===2.13.0")
    assert done.returncode == 0, done.stderr
    code, out = cli_json("check", "--python", str(env / "bin" / "python"))
    found = {f["id"]: f for f in out["findings"]}
    assert code == 1 and set(found) == {"torch_replaced", "env_drift", "guard_removed"}
    assert "2.13.0+cu129" in found["torch_replaced"]["message"] and "by 2.13.0 " in found["torch_replaced"]["message"]
    assert out["data"]["torch"]["build_now"].startswith("the default index's build")

    # The checklist's item says the same.
    res = envcheck.checklist_check(str(env / "bin" / "python"))
    assert res is not None and res.status.value == "fail" and "torch_replaced" in res.seen


@pytest.mark.integration
def test_the_checklist_item_is_absent_without_a_lock() -> None:
    # envtool's own environment was not made by envtool install
    assert envcheck.checklist_check(sys.executable) is None or (Path(sys.prefix) / "envtool-lock.json").is_file()


def test_pyinspect_lists_every_distribution_only_when_asked() -> None:
    from envtool.probes import _pyinspect

    some = {d["name"] for d in _pyinspect.inspect()["dists"]}
    every = {d["name"] for d in _pyinspect.inspect(True)["dists"]}
    assert "pytest" not in some and "pytest" in every and some <= every

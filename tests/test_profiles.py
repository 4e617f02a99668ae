"""Profiles: the shipped ones, inheritance, a lab's directory, mirrors, and validation errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from envtool import knowledge, profiles
from envtool.cli import main
from envtool.errors import BadInputError


def write(d: Path, name: str, text: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"{name}.toml"
    p.write_text(text, encoding="utf-8")
    return p


def load(d: Path | None = None, **env: str) -> dict[str, profiles.Profile]:
    return {p.name: p for p in profiles.load_profiles(str(d) if d else None, env=env)}


def test_shipped_profiles_and_aliases() -> None:
    ps = profiles.load_profiles(env={})
    names = {p.name for p in ps}
    assert {"cpu", "cuda11.8", "cuda12.6", "cuda12.8", "cuda13.0", "cuda13.2"} <= names
    # the aliases point at official builds (PyTorch's support matrix for the pinned release)
    assert profiles.find_profile("cuda11", ps).name == "cuda11.8"
    assert profiles.find_profile("cuda12", ps).name == "cuda12.6"
    assert profiles.find_profile("cuda13", ps).name == "cuda13.0"
    for p in ps:
        assert p.python and p.torch and p.conda_channels == ("conda-forge",)
        assert any(r.startswith("transformers==") for r in p.packages)
        assert "notebook" in dict(p.groups)
        # the CPU profile must not pull PyPI's torchvision beside a CPU torch
        if not p.is_gpu:
            assert not any(r.startswith("torchvision") for r in p.packages + p.torch_packages)


def test_driver_floor_and_archs_come_from_the_knowledge_tables() -> None:
    for p in profiles.load_profiles(env={}):
        if not p.is_gpu:
            assert p.min_driver is None and p.archs == ()
            continue
        tv = knowledge.torch_variant(p.variant, p.torch)
        assert p.min_driver == knowledge.min_driver_for_cuda(p.cuda, "Linux")
        assert p.archs[: len(tv.sass)] == tuple(f"sm_{a.replace('.', '')}" for a in tv.sass)


def test_cpu_profile_uses_pytorch_cpu_index_only_on_linux_and_windows() -> None:
    from envtool.plan import torch_index_for

    cpu = load()["cpu"]
    assert torch_index_for(cpu, "linux") == "https://download.pytorch.org/whl/cpu"
    assert torch_index_for(cpu, "win32") == "https://download.pytorch.org/whl/cpu"
    assert torch_index_for(cpu, "darwin") is None


def test_inheritance_overrides_and_index_default(tmp_path: Path) -> None:
    write(
        tmp_path,
        "lab",
        'extends = "cpu"\npackages = ["six==1.17.0"]\n[torch]\nindex = "default"\n[groups]\nextra = ["idna==3.10"]\n',
    )
    p = load(tmp_path)["lab"]
    assert p.torch == "2.13.0" and p.python == "3.11"  # inherited
    assert p.packages == ("six==1.17.0",)  # replaced
    assert p.torch_index is None  # "default" undoes the inherited index
    assert dict(p.groups)["extra"] == ("idna==3.10",) and "notebook" in dict(p.groups)


def test_lab_directory_overrides_builtin_and_env_var(tmp_path: Path) -> None:
    write(tmp_path / "a", "cpu", 'description = "lab cpu"\n[torch]\nversion = "2.13.0"\n')
    assert load(tmp_path / "a")["cpu"].description == "lab cpu"
    assert load(None, ENVTOOL_PROFILES_DIR=str(tmp_path / "a"))["cpu"].description == "lab cpu"


def test_torch_install_false_means_no_torch(tmp_path: Path) -> None:
    write(tmp_path, "small", 'extends = "cpu"\n[torch]\ninstall = false\n')
    assert load(tmp_path)["small"].torch is None


def test_mirrors_file_and_env_rewrite_every_index(tmp_path: Path) -> None:
    (tmp_path / "mirrors.toml").write_text(
        '[mirrors]\npytorch = "https://mirror.lab/torch"\nindex = "https://mirror.lab/pypi/simple"\nconda = "https://mirror.lab/conda"\n'
    )
    ps = load(tmp_path)
    assert "mirrors" not in ps
    assert ps["cuda12.6"].torch_index == "https://mirror.lab/torch/cu126"
    assert ps["cpu"].index == "https://mirror.lab/pypi/simple"
    assert ps["cpu"].conda_channels == ("https://mirror.lab/conda/conda-forge",)
    ps = load(tmp_path, ENVTOOL_MIRROR_PYTORCH="file:///srv/wheels")
    assert ps["cpu"].torch_index == "file:///srv/wheels/cpu"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('pyhton = "3.11"\n', "unknown key 'pyhton'; did you mean 'python'?"),
        ('[torch]\nverison = "2.13.0"\n', "unknown key 'torch.verison'; did you mean 'version'?"),
        ('description = "x"\npython = 3.11\n', "(line 2): key 'python' must be a string"),
        ('[torch]\nindex = "http://example.org/simple"\n', "must be an https:// URL"),
        ('packages = ["transformers>=5"]\n', "must be an exact pin"),
        ('packages = ["not a requirement!!"]\n', "is not a valid requirement"),
        ('[torch]\nversion = "two"\n', "is not a version"),
        ('extends = "../cpu"\n', "must be a plain profile name"),
        ('extends = "cpux"\n', "did you mean 'cpu'?"),
        ('[torch]\nvariant = "cu999"\n', "not a known torch wheel variant"),
        ('[torch]\nversion = "2.13.0"\nvariant = "cu118"\n', "was not published for cu118"),
        ("python = [", "not valid TOML"),
    ],
)
def test_validation_errors_name_file_key_and_fix(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path, "bad", text)
    with pytest.raises(BadInputError) as exc:
        load(tmp_path)
    assert expected in str(exc.value)
    assert "bad.toml" in str(exc.value)


def test_profile_file_name_and_lookup_must_be_plain(tmp_path: Path) -> None:
    write(tmp_path, "bad name", "")
    with pytest.raises(BadInputError, match="plain names"):
        load(tmp_path)
    with pytest.raises(BadInputError, match="not a plain name"):
        profiles.find_profile("../../etc/passwd", profiles.load_profiles(env={}))


def test_cycle_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "a", 'extends = "b"\n')
    write(tmp_path, "b", 'extends = "a"\n')
    with pytest.raises(BadInputError, match="cycle"):
        load(tmp_path)


def test_bad_profile_is_exit_2_one_line(tmp_path: Path) -> None:
    write(tmp_path, "bad", 'pyhton = "3.11"\n')
    err = io.StringIO()
    assert main(["plan", "--profile", "cpu", "--profiles-dir", str(tmp_path)], stdout=io.StringIO(), stderr=err) == 2
    assert err.getvalue().count("\n") == 1 and "Traceback" not in err.getvalue()


def test_profiles_command_says_why_gpu_profiles_do_not_fit() -> None:
    import json

    out = io.StringIO()
    main(["profiles", "--json"], stdout=out, stderr=io.StringIO())
    rows = {r["name"]: r for r in json.loads(out.getvalue())["data"]["profiles"]}
    assert rows["cpu"]["fits"] is True
    assert rows["cuda12.6"]["min_driver"] and rows["cuda12.6"]["archs"]
    # where each profile installs, from the availability table
    assert rows["cpu"]["platforms"] == ["linux-x86_64", "linux-aarch64", "win-amd64", "macos-arm64"]
    assert rows["cuda12.8"]["platforms"] == ["linux-x86_64", "linux-aarch64", "win-amd64"]
    assert rows["cuda11.8"]["platforms"] == ["linux-x86_64", "win-amd64"]
    # whatever this machine is, a misfit always says why
    assert all(r["fits"] or r["why_not"] for r in rows.values())

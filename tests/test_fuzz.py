"""Hostile and broken input: any profile, checklist file, pasted report or fleet report either
gives a result or a clean ``BadInputError`` (exit 2 through the CLI), never a traceback, in
bounded time (hypothesis ``deadline``) and bounded memory (a 100 MB input, measured)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envtool import checklist, diagnose, profiles, report
from envtool.cli import main
from envtool.errors import BadInputError

REPO = Path(__file__).resolve().parents[1]
FUZZ = settings(
    max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

# --------------------------------------------------------------------------- TOML made from the schemas

_scalar = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=True),
    st.sampled_from(
        [
            "2.13.0",
            "cu126",
            "https://x.example/simple",
            "file:///w",
            "default",
            "3.11",
            "six==1.17.0",
            "../../etc",
            "cpu",
        ]
    ),
)
_value = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid TOML basic string (same escapes)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v == float("inf") else "-inf" if v == float("-inf") else repr(v))
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{_toml_str(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"


def _toml(doc: dict[str, Any]) -> str:
    return "".join(f"{_toml_str(k)} = {_toml_value(v)}\n" for k, v in doc.items())


def _doc(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Documents whose keys are mostly the real schema's, so validation is reached, not just parsing."""
    return st.dictionaries(st.sampled_from(keys) | st.text(min_size=1, max_size=10), _value, max_size=6)


PROFILE_KEYS = ["description", "aliases", "extends", "python", "torch", "packages", "groups", "index", "conda_channels"]
TORCH_KEYS = ["version", "variant", "index", "index_platforms", "packages", "install"]
CHECKLIST_KEYS = ["thresholds", "checks", "bench", "command"]


@st.composite
def profile_docs(draw: st.DrawFn) -> dict[str, Any]:
    doc = draw(_doc(PROFILE_KEYS))
    if draw(st.booleans()):
        doc["torch"] = draw(st.dictionaries(st.sampled_from(TORCH_KEYS), _value, max_size=4))
    return doc


@st.composite
def checklist_docs(draw: st.DrawFn) -> dict[str, Any]:
    doc = draw(_doc(CHECKLIST_KEYS))
    if draw(st.booleans()):
        doc["thresholds"] = draw(
            st.dictionaries(
                st.sampled_from(
                    [
                        "min_python",
                        "min_disk_gib",
                        "min_ram_gib",
                        "min_shm_gib",
                        "min_driver",
                        "expected_profile",
                        "min_accuracy",
                    ]
                ),
                _value,
                max_size=4,
            )
        )
    if draw(st.booleans()):
        doc["command"] = draw(
            st.lists(
                st.dictionaries(
                    st.sampled_from(["id", "title", "argv", "expect_exit", "timeout", "fix"]), _value, max_size=6
                ),
                max_size=3,
            )
        )
    return doc


def _returns_or_bad_input(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except BadInputError as exc:
        assert str(exc) and "\n" not in str(exc).strip() or "TOML" in str(exc)


@FUZZ
@given(doc=profile_docs(), raw_text=st.text(max_size=200))
def test_fuzz_profiles(tmp_path_factory: pytest.TempPathFactory, doc: dict[str, Any], raw_text: str) -> None:
    d = tmp_path_factory.mktemp("p")
    (d / "fuzz.toml").write_text(_toml(doc), encoding="utf-8")
    _returns_or_bad_input(profiles.read_raw, d / "fuzz.toml")
    _returns_or_bad_input(profiles.load_profiles, str(d), {})
    (d / "fuzz.toml").write_text(raw_text, encoding="utf-8")
    _returns_or_bad_input(profiles.load_profiles, str(d), {})


@FUZZ
@given(doc=checklist_docs(), raw=st.binary(max_size=200))
def test_fuzz_checklist_file(tmp_path_factory: pytest.TempPathFactory, doc: dict[str, Any], raw: bytes) -> None:
    d = tmp_path_factory.mktemp("c")
    (d / "c.toml").write_text(_toml(doc), encoding="utf-8")
    _returns_or_bad_input(checklist.load_config, str(d / "c.toml"))
    (d / "c.toml").write_bytes(raw)
    _returns_or_bad_input(checklist.load_config, str(d / "c.toml"))


# --------------------------------------------------------------------------- pasted reports

_LINES = [
    "PyTorch version: 2.5.1+cu124",
    "Is CUDA available: True",
    "CUDA used to build PyTorch: 12.4",
    "GPU models and configuration:",
    "GPU 0: NVIDIA A100-SXM4-80GB",
    "Nvidia driver version: 535.104.05",
    "OS: Ubuntu 22.04.4 LTS (x86_64)",
    "[pip3] torch==2.5.1",
    "[conda] torch 2.5.1 py3.11_cuda12.4_cudnn9.1.0_0 pytorch",
    "Versions of relevant libraries:",
    "CPU:",
    "Python version: 3.11.9 (main) [GCC 11.2.0] (64-bit runtime)",
    "Is debug build: False",
    "NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current PyTorch installation.",
    "The NVIDIA driver on your system is too old (found version 11040).",
    "```",
    "> ",
    "<details>",
    "\ufeff",
    "\x00",
    "\r",
]


@FUZZ
@given(lines=st.lists(st.sampled_from(_LINES) | st.text(max_size=60), max_size=30))
def test_fuzz_collect_env_text(lines: list[str]) -> None:
    _returns_or_bad_input(diagnose.load_report, "\n".join(lines), "fuzz.txt")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_FACT_KEYS = ["system", "nvidia", "gpus", "python", "toolkit", "torch_runtime", "env_vars", "probes", "source"]


@FUZZ
@given(data=st.dictionaries(st.sampled_from(_FACT_KEYS), _json, max_size=6))
def test_fuzz_envtool_json_report(data: dict[str, Any]) -> None:
    text = json.dumps({"schema": "envtool/1", "command": "detect", "data": data})
    _returns_or_bad_input(diagnose.load_report, text, "fuzz.json")


_check = st.fixed_dictionaries(
    {"id": st.text(max_size=8), "status": st.sampled_from(["pass", "warn", "fail", "skip"])},
    optional={"title": _json, "seen": _json, "fix": _json, "duration_s": _json},
)
_checklist_data = st.fixed_dictionaries(
    {"checks": st.lists(_check, max_size=5)},
    optional={
        "host": _json,
        "facts": st.dictionaries(st.sampled_from(_FACT_KEYS), _json, max_size=4),
        "bench": _json,
        "recommended_profile": _json,
        "generated_at": _json,
        "envtool_version": _json,
    },
)


@FUZZ
@given(reports=st.lists(_checklist_data | _json, min_size=1, max_size=3), fmt=st.sampled_from(["html", "md", "json"]))
def test_fuzz_report_merge(tmp_path_factory: pytest.TempPathFactory, reports: list[Any], fmt: str) -> None:
    d = tmp_path_factory.mktemp("m")
    paths = []
    for i, data in enumerate(reports):
        p = d / f"r{i}.json"
        obj = (
            {"schema": "envtool/1", "command": "checklist", "status": "pass", "data": data}
            if isinstance(data, dict) and "checks" in data
            else data
        )
        p.write_text(json.dumps(obj), encoding="utf-8")
        paths.append(str(p))
    from envtool import fleet

    try:
        merged = fleet.merge_reports(paths)
    except BadInputError:
        return
    assert report.render(merged, fmt)
    out = io.StringIO()
    code = main(
        ["report", "merge", *paths, "--output", str(d / f"fleet.{fmt}"), "--json"], stdout=out, stderr=io.StringIO()
    )
    want = 1 if merged["data"]["fleet_status"] == "fail" else 0
    assert code == want and json.loads(out.getvalue())["exit_code"] == want


@settings(max_examples=25, deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300))
def test_fuzz_cli_diagnose_and_merge_exit_0_1_or_2(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    d = tmp_path_factory.mktemp("cli")
    f = d / "in.txt"
    f.write_bytes(raw)
    for argv in (["diagnose", str(f)], ["report", "merge", str(f), "--output", str(d / "o.html")]):
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--json"], stdout=out, stderr=err)
        env = json.loads(out.getvalue())
        assert code in (0, 1, 2) and env["exit_code"] == code
        assert not any(e.startswith("internal error") for e in env["errors"]), env["errors"]


# --------------------------------------------------------------------------- each bug found, pinned

DEEP_TOML = "a = " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_JSON = '{"schema": "envtool/1", "data": {"system": ' + "[" * 100000 + "]" * 100000 + "}}"


def test_deeply_nested_toml_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "deep.toml").write_text(DEEP_TOML)
    for fn, arg in ((profiles.read_raw, tmp_path / "deep.toml"), (checklist.load_config, str(tmp_path / "deep.toml"))):
        with pytest.raises(BadInputError, match="nested too deeply"):
            fn(arg)
    (tmp_path / "mirrors.toml").write_text(DEEP_TOML)
    (tmp_path / "deep.toml").unlink()
    with pytest.raises(BadInputError, match="nested too deeply"):
        profiles.load_profiles(str(tmp_path), {})


def test_deeply_nested_json_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="nested too deeply"):
        diagnose.load_report(DEEP_JSON, "deep.json")
    (tmp_path / "deep.json").write_text(DEEP_JSON)
    from envtool import fleet

    with pytest.raises(BadInputError, match="nested too deeply"):
        fleet.merge_reports([str(tmp_path / "deep.json")])


def test_mirrors_file_that_is_not_utf8_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "mirrors.toml").write_bytes(b"\xff\xfe[mirrors]\n")
    with pytest.raises(BadInputError, match="mirrors.toml"):
        profiles.load_profiles(str(tmp_path), {})


def test_versions_of_thousands_of_digits_are_bad_input(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text('[torch]\nversion = "' + "9" * 5000 + '"\n')
    with pytest.raises(BadInputError, match="torch.version"):
        profiles.read_raw(tmp_path / "x.toml")
    (tmp_path / "c.toml").write_text('[thresholds]\nmin_python = "' + "9" * 5000 + '"\n')
    with pytest.raises(BadInputError, match="min_python"):
        checklist.load_config(str(tmp_path / "c.toml"))


# --------------------------------------------------------------------------- 100 MB inputs: bounded memory

HUNDRED_MB = 100 * 2**20
LOG_LINE = "2024-05-01 12:00:00 INFO step 1234 loss 0.1234 lr 1e-4 a training log line\n"


def _peak_rss_of(argv: list[str]) -> tuple[int, dict, int]:
    """Run ``envtool ARGV --json`` in a child; (exit code, envelope, the child's peak RSS in bytes)."""
    code = (
        "import io, json, resource, sys; from envtool.cli import main; out = io.StringIO(); "
        "c = main(sys.argv[1:], stdout=out, stderr=io.StringIO()); "
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024; "
        "print(json.dumps({'code': c, 'env': json.loads(out.getvalue()), 'rss': rss}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv, "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return got["code"], got["env"], got["rss"]


@pytest.mark.integration
def test_100mb_log_around_a_real_dump_is_diagnosed_in_bounded_memory(
    tmp_path: Path, collect_env_fixtures: Path
) -> None:
    dump = (collect_env_fixtures / "15-cpu-wheel-on-2x-rtx4090-warnings-after-header.txt").read_text(
        encoding="utf-8", errors="replace"
    )
    half = LOG_LINE * (HUNDRED_MB // len(LOG_LINE) // 2)
    big = tmp_path / "big.txt"
    big.write_text(half + dump + half, encoding="utf-8")
    size = big.stat().st_size
    code, env, rss = _peak_rss_of(["diagnose", str(big)])
    assert code == 1 and "cpu_build_on_gpu" in [f["id"] for f in env["findings"]]  # the dump inside was found
    assert rss < 10 * size, f"peak RSS {rss / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB input"


@pytest.mark.integration
def test_100mb_garbage_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as fh:  # one 100 MB line: not a report
        fh.write(b"{" + b"x" * (HUNDRED_MB - 2) + b"}")
    code, env, rss = _peak_rss_of(["diagnose", str(big)])
    assert code == 2 and env["errors"][0].startswith(str(big))
    assert rss < 10 * HUNDRED_MB
    code, env, rss = _peak_rss_of(["report", "merge", str(big), "--output", str(tmp_path / "fleet.html")])
    assert code == 2 and "larger than" in env["errors"][0] and not (tmp_path / "fleet.html").exists()
    assert rss < 10 * HUNDRED_MB

"""Tests for envtool.knowledge: the tables' provenance, and queries checked against the tables
themselves (light-the-torch style) and against the captured real nvidia-smi outputs."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from envtool import knowledge as kn
from envtool.util import driver_version_parts

TOML_FILES = ("cuda_drivers.toml", "torch_builds.toml", "gpus.toml")


def _text(name: str) -> str:
    return resources.files("envtool.knowledge").joinpath(name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- provenance


@pytest.mark.parametrize("name", TOML_FILES)
def test_every_table_header_is_preceded_by_a_source_comment(name: str) -> None:
    """Convention: the comment block directly above each [x]/[[x]] header has a "# source:" line."""
    lines = _text(name).splitlines()
    headers = [i for i, line in enumerate(lines) if re.match(r"^\s*\[", line)]
    assert headers, f"{name} has no tables"
    missing = []
    for i in headers:
        block = []
        j = i - 1
        while j >= 0 and lines[j].lstrip().startswith("#"):
            block.append(lines[j])
            j -= 1
        if not any(line.lstrip().startswith("# source:") for line in block):
            missing.append(f"{name}:{i + 1}: {lines[i].strip()}")
    assert not missing, "table headers without a '# source:' comment:\n" + "\n".join(missing)


@pytest.mark.parametrize("name", TOML_FILES)
def test_no_number_outside_a_sourced_table(name: str) -> None:
    """Numbers may only sit under a table header (which the test above ties to a source)."""
    seen_header = False
    for line in _text(name).splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            seen_header = True
        elif stripped and not stripped.startswith("#"):
            assert seen_header, f"{name}: value before any sourced table: {stripped}"


# --------------------------------------------------------------------------- small parsers


def test_driver_version_parts_reads_linux_and_windows_forms() -> None:
    assert driver_version_parts("535.54.03") == (535, 54, 3)
    assert driver_version_parts("536.40") == (536, 40)
    assert driver_version_parts("580") == (580,)
    # Windows' own form: the last five digits are NVIDIA's number
    assert driver_version_parts("31.0.15.8157") == (581, 57)
    assert driver_version_parts("27.21.14.5671") == (456, 71)
    assert kn.driver_text("31.0.15.8157") == "581.57"
    assert driver_version_parts("Not Found") is None


def test_parse_arch_list() -> None:
    assert kn.parse_arch_list(["sm_80", "sm_90a", "compute_90"]) == (("8.0", "9.0a"), ("9.0",))
    # A real list: torch 2.11.0+cu128 in pytorch/pytorch#182250, plus a PTX entry.
    got = kn.parse_arch_list(["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120", "compute_120"])
    assert got == (("7.5", "8.0", "8.6", "9.0", "10.0", "12.0"), ("12.0",))
    assert kn.parse_arch_list(["bogus", "sm_120f", "sm_120f"]) == (("12.0f",), ())


@pytest.mark.parametrize(
    ("cc", "sass", "ptx", "expected"),
    [
        ("8.6", ["8.0"], [], True),  # same major, lower minor
        ("8.0", ["8.6"], [], False),  # SASS never runs on a lower minor
        ("12.0", ["10.0"], [], False),  # another major
        ("9.0", [], ["8.0"], True),  # PTX JITs forward
        ("7.5", [], ["8.0"], False),  # ... never backward
        ("9.0", ["9.0a"], [], True),
        ("10.0", ["9.0a"], [], False),  # arch-specific: exactly that cc
        ("12.1", ["12.0f"], [], True),  # family: same major, newer minor
        ("12.1", ["12.0a"], [], False),
        ("13.0", ["12.0f"], [], False),
        ("garbage", ["8.0"], ["8.0"], False),
    ],
)
def test_arch_covered(cc: str, sass: list[str], ptx: list[str], expected: bool) -> None:
    assert kn.arch_covered(cc, sass, ptx) is expected


# --------------------------------------------------------------------------- CUDA drivers


def _release_rows() -> list[dict]:
    return kn._load("cuda_drivers.toml")["release"]


def _below(v: str) -> str:
    """A driver version just below ``v`` (one step down in its last component)."""
    parts = list(driver_version_parts(v) or ())
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] > 0:
            parts[i] -= 1
            return ".".join(str(p) for p in parts[: i + 1]) + (".99" * (len(parts) - i - 1))
    raise AssertionError(v)


def test_design_and_known_rows() -> None:
    assert kn.min_driver_for_cuda("12.8") == "525.60.13"
    assert kn.min_driver_for_cuda("12.8", minor_compat=False) == "570.26"
    assert kn.min_driver_for_cuda("11.8") == "450.80.02"
    assert kn.min_driver_for_cuda("11.8", "Windows") == "452.39"
    assert kn.min_driver_for_cuda("12.4", "Windows") == "528.33"
    assert kn.min_driver_for_cuda("10.2") == "440.33"  # no minor compat before 11
    assert kn.min_driver_for_cuda("13.1", "Windows", minor_compat=False) is None  # NVIDIA: N/A
    assert kn.min_driver_for_cuda("12.7", minor_compat=False) is None  # never released
    # A minor newer than the table (13.4, 13.5 are left out) still gets its major's floor.
    assert kn.min_driver_for_cuda("13.5") == "580"
    assert kn.max_cuda_for_driver("535.54.03") == "12.2"


@pytest.mark.parametrize("os_name", ["Linux", "Windows"])
def test_newest_driver_supports_every_cuda_line(os_name: str) -> None:
    key = os_name.lower()
    drivers = [r[key] for r in _release_rows() if key in r]
    newest = max(drivers, key=lambda d: driver_version_parts(d) or ())
    max_cuda = kn.max_cuda_for_driver(newest, os_name)
    for row in _release_rows():
        if key not in row:  # NVIDIA lists no Windows toolkit driver for 13.x
            continue
        assert kn.driver_supports_cuda(newest, max_cuda, row["cuda"], os_name) is True, row


@pytest.mark.parametrize("row", _release_rows(), ids=lambda r: r["cuda"])
def test_driver_just_below_a_toolkit_driver_does_not_reach_that_toolkit(row: dict) -> None:
    for os_name in ("Linux", "Windows"):
        need = row.get(os_name.lower())
        if need is None:
            continue
        assert kn.max_cuda_for_driver(need, os_name) == row["cuda"]
        below = kn.max_cuda_for_driver(_below(need), os_name)
        assert below is None or kn._cuda_tuple(below) < kn._cuda_tuple(row["cuda"])


@pytest.mark.parametrize("major", ["11", "12", "13"])
def test_minor_compat_floor_is_the_edge(major: str) -> None:
    floors = kn._load("cuda_drivers.toml")["minor_compat"][major]
    for os_name in ("Linux", "Windows"):
        floor = floors[os_name.lower()]
        newest_minor = max((r["cuda"] for r in _release_rows() if r["cuda"].split(".")[0] == major), key=kn._cuda_tuple)
        # A driver of the same major that reports only X.0 runs X.newest through minor compat...
        assert kn.driver_supports_cuda(floor, f"{major}.0", newest_minor, os_name) is True
        # ...but not one step below the floor.
        assert kn.driver_supports_cuda(_below(floor), f"{major}.0", newest_minor, os_name) is False


def test_driver_supports_cuda_edges() -> None:
    assert kn.driver_supports_cuda("470.74", "11.4", "12.1") is False  # older major
    assert kn.driver_supports_cuda(None, None, "12.1") is None
    assert kn.driver_supports_cuda("535.54.03", None, "12.8") is True  # derived 12.2 + compat
    assert kn.driver_supports_cuda("384.66", None, "11.8") is False
    assert kn.driver_supports_cuda("535.54.03", "12.2", "not-a-version") is None


# --------------------------------------------------------------------------- torch variants


def test_variant_names_and_design_arch_lists() -> None:
    names = {v.name for v in kn.torch_variants()}
    assert {"cpu", "cu118", "cu121", "cu124", "cu126", "cu128", "cu129", "cu130", "cu132"} <= names
    assert kn.torch_variant("cu126").sass == ("5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0")
    assert "7.0" not in kn.torch_variant("cu128", "2.7.0").sass  # DESIGN: 2.7.0 cu128 lacked sm_70
    assert kn.torch_variant("cu128", "2.10.0").sass == ("7.0", "7.5", "8.0", "8.6", "9.0", "10.0", "12.0")
    assert kn.torch_variant("cu130").ptx == ("12.0",)
    # sm_37: built into cu118 up to 2.6.0; unconfirmed (unknown, not covered) for 2.7.x
    assert kn.torch_variant("cu118", "2.6.0").sass[0] == "3.7"
    assert "3.7" not in kn.torch_variant("cu118", "2.7.1").sass
    assert kn.torch_variant("cu118", "2.7.1").unconfirmed == ("3.7",)
    assert kn.torch_variant("2.13.0.dev20260530+cu132").cuda == "13.2"
    assert kn.torch_variant("cu128", "2.12.0") is None  # dropped in 2.12
    assert kn.torch_variant("cu999") is None
    assert kn.torch_variant("cpu").cuda is None


def test_pypi_default_variant() -> None:
    assert kn.pypi_default_variant("2.7.1") == "cu126"
    assert kn.pypi_default_variant("2.11.0") == "cu130"
    assert kn.pypi_default_variant("1.13.1") is None
    for torch_minor, variant in kn._load("torch_builds.toml")["pypi_default"].items():
        assert kn.torch_variant(variant, f"{torch_minor}.0") is not None, (torch_minor, variant)


@pytest.mark.parametrize("variant", kn.torch_variants(), ids=lambda v: v.name)
def test_variant_coverage_generated_from_the_tables(variant: kn.TorchVariant) -> None:
    if variant.cuda is None:
        assert not variant.sass and not variant.ptx
        return
    major = int(variant.cuda.split(".")[0])
    # Blackwell (sm_120, RTX 5090) only from cu128 on; Kepler K80 (3.7) only in cu118 and older;
    # Pascal GTX 1070 (6.1) not in cu128 or newer (12.6 is the last 12.x line that keeps it).
    blackwell = kn.arch_covered(kn.compute_capability("NVIDIA GeForce RTX 5090"), variant.sass, variant.ptx)
    kepler = kn.arch_covered(kn.compute_capability("Tesla K80"), variant.sass, variant.ptx)
    pascal = kn.arch_covered(kn.compute_capability("GeForce GTX 1070"), variant.sass, variant.ptx)
    cuda = kn._cuda_tuple(variant.cuda)
    assert blackwell is (cuda >= (12, 8))
    # Kepler only in cu118, and there only up to 2.6.0 (torch_variants() gives the newest release)
    assert kepler is False
    assert kn.arch_covered("3.7", *_archs("cu118", "2.6.0")) and not kn.arch_covered("3.7", *_archs(variant.name, None))
    if cuda >= (12, 8):
        assert not pascal
    # Every CUDA variant serves the A100 and H100 it was built for.
    assert kn.arch_covered("8.0", variant.sass, variant.ptx)
    assert kn.arch_covered("9.0", variant.sass, variant.ptx)
    # Its CUDA line has a driver row.
    assert kn.min_driver_for_cuda(variant.cuda, minor_compat=False) is not None or major >= 13


def _archs(name: str, version: str | None, platform: str | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tv = kn.torch_variant(name, version, platform)
    assert tv is not None, (name, version, platform)
    return tv.sass, tv.ptx


def test_volta_history_of_cu128() -> None:
    v100 = kn.compute_capability("Tesla V100-SXM2-16GB")
    assert not kn.arch_covered(v100, kn.torch_variant("cu128", "2.7.0").sass)
    assert kn.arch_covered(v100, kn.torch_variant("cu128", "2.9.1").sass)
    assert not kn.arch_covered(v100, kn.torch_variant("cu128", "2.11.0").sass)
    assert kn.arch_covered(v100, kn.torch_variant("cu126", "2.13.0").sass)


# --------------------------------------------------------------------------- GPUs


def _fixture_names(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in sorted(folder.glob("*.xml")):
        names |= set(re.findall(r"<product_name>([^<]*)</product_name>", path.read_text(errors="replace")))
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(errors="replace")
        names |= {m.strip() for m in re.findall(r"Product Name\s*:\s*(.+)", text)}
        csv = re.search(r"^name, uuid.*\n([^,\n]+),", text, re.MULTILINE)
        if csv:
            names.add(csv.group(1).strip())
    return names


# Expected capability of every product name found in the captured outputs (None = unknown).
FIXTURE_CC = {
    "GRID P4-1Q": "6.1",
    "GeForce GT 730": "3.5",
    "GeForce GTX 1070": "6.1",
    "GeForce RTX 2080 Ti": "7.5",
    "Graphics Device": None,
    "NVIDIA A100-SXM4-40GB": "8.0",
    "NVIDIA A100-SXM4-80GB": "8.0",
    "NVIDIA GeForce GT 1030": None,  # 6.1 per its family, but on no NVIDIA list read: unknown
    "NVIDIA GeForce RTX 3060": "8.6",
    "NVIDIA GeForce RTX 3080": "8.6",
    "NVIDIA GeForce RTX 4090": "8.9",
    "NVIDIA RTX A5000": "8.6",
    "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition": "12.0",
    "Tesla K80": "3.7",
    "Tesla T4": "7.5",
    "Tesla V100-SXM3-32GB": "7.0",
    "NVIDIA H100 80GB HBM3": "9.0",
    "NVIDIA GeForce RTX 2080 SUPER": None,  # likewise (7.5 per its family)
    "Tesla P100-PCIE-16GB": "6.0",
}


def test_every_fixture_product_name_is_matched(nvidia_smi_fixtures: Path) -> None:
    names = _fixture_names(nvidia_smi_fixtures)
    assert "Graphics Device" in names and "Tesla K80" in names  # the reader found the real names
    unexpected = names - FIXTURE_CC.keys()
    assert not unexpected, f"new fixture names need an expectation: {unexpected}"
    for name in sorted(names):
        assert kn.compute_capability(name) == FIXTURE_CC[name], name


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("NVIDIA A100-SXM4-80GB", "A100 SXM4 80GB"),
        ("NVIDIA A100-SXM4-40GB", "A100 SXM4 40GB"),
        ("NVIDIA A100 80GB PCIe", "A100 PCIe 80GB"),
        ("NVIDIA A100-PCIE-40GB", "A100 PCIe 40GB"),
        ("NVIDIA H100 80GB HBM3", "H100 SXM"),
        ("NVIDIA H100 PCIe", "H100 PCIe"),
        ("NVIDIA H100 NVL", "H100 NVL"),
        ("NVIDIA H200", "H200"),
        ("NVIDIA A10G", "A10G"),
        ("NVIDIA A10", "A10"),
        ("NVIDIA L40S", "L40S"),
        ("NVIDIA L4", "L4"),
        ("Tesla V100S-PCIE-32GB", "V100S PCIe 32GB"),
        ("Tesla V100-SXM2-16GB", "V100 SXM2"),
        ("TITAN RTX", "TITAN RTX"),
        ("NVIDIA GeForce RTX 3090", "GeForce RTX 3090"),
        ("NVIDIA GeForce RTX 3090 Ti", "GeForce RTX 3090 Ti"),
        ("NVIDIA GeForce RTX 4090", "GeForce RTX 4090"),
        ("NVIDIA GeForce RTX 4090 D", None),
        ("NVIDIA GeForce RTX 4090 Laptop GPU", None),  # another product than the desktop card
        ("NVIDIA GeForce RTX 3080 Laptop GPU", None),
        ("NVIDIA GeForce RTX 4050 Laptop GPU", "GeForce RTX 4050"),  # a laptop-only part: NVIDIA's list names it so
        ("NVIDIA GeForce RTX 4070 Ti SUPER", None),  # not on NVIDIA's list as read
        ("NVIDIA GeForce RTX 4070 Ti", "GeForce RTX 4070 Ti"),
        ("NVIDIA GH200 480GB", "GH200"),
        ("NVIDIA GB10", "GB10"),
        ("NVIDIA GB200", "GB200"),
        ("NVIDIA B300 SXM6 AC", "B300"),
        ("NVIDIA Thor", "Jetson Thor"),
        ("Orin (nvgpu)", "Jetson Orin"),
        ("NVIDIA RTX 4000 SFF Ada Generation", "RTX 4000 Ada"),
        ("NVIDIA RTX PRO 4000 Blackwell", "RTX PRO 4000 Blackwell"),
        ("Tesla P40", "Tesla P40"),
        ("Tesla M40 24GB", "Tesla M40"),
        ("NVIDIA TITAN V", "TITAN V"),
        ("NVIDIA GeForce GTX TITAN X", "GeForce GTX TITAN X"),
        ("GeForce GTX 980M", None),
        ("NVIDIA GeForce RTX 5090", "GeForce RTX 5090"),
        ("Graphics Device", None),
        ("", None),
    ],
)
def test_gpu_name_matching(name: str, model: str | None) -> None:
    spec = kn.gpu_spec(name)
    assert (spec.model if spec else None) == model


def test_gpu_table_is_consistent() -> None:
    arch_by_major = {
        "3": "Kepler",
        "6": "Pascal",
        "7": None,
        "8": None,
        "9": "Hopper",
        "10": "Blackwell",
        "11": "Blackwell",
        "12": "Blackwell",
        "5": "Maxwell",
    }
    for pats, spec in kn._gpu_table():
        assert pats, spec
        if spec.compute_capability is None:  # unconfirmed: unknown, never guessed
            continue
        assert re.fullmatch(r"\d+\.\d", spec.compute_capability), spec
        expected = arch_by_major.get(spec.compute_capability.split(".")[0])
        assert expected is None or spec.architecture == expected, spec
        for value in (spec.fp32_tflops, spec.tf32_tflops, spec.bf16_tflops, spec.fp16_tflops, spec.memory_gb):
            assert value is None or value > 0, spec
        # Each entry is reachable: its own model name is not swallowed by an earlier entry.
        # (Generic family entries are named after the family, so they match themselves last.)
        assert kn.gpu_spec(spec.model) is not None


def test_design_numbers_appear_as_stated() -> None:
    h200 = kn.gpu_spec("NVIDIA H200")
    assert (h200.fp32_tflops, h200.tf32_tflops, h200.bf16_tflops) == (67.0, 495.0, 989.0)
    # No BERT figure for the H200 (or any BERT-base figure at all) is in NVIDIA's BERT README
    assert (h200.bert_base_seq_per_s, h200.bert_large_seq_per_s) == (None, None)
    assert all(s.bert_base_seq_per_s is None for s in kn.gpu_specs())
    h100 = kn.gpu_spec("NVIDIA H100 PCIe")
    assert (h100.fp32_tflops, h100.tf32_tflops, h100.bf16_tflops) == (51.0, 378.0, 756.0)
    a100 = kn.gpu_spec("NVIDIA A100-SXM4-80GB")
    assert (a100.fp32_tflops, a100.tf32_tflops, a100.bf16_tflops) == (19.5, 156.0, 312.0)
    # DeepLearningExamples BERT README: SQuAD BERT-large fine-tune, 1x A100 80GB, mixed precision
    assert (a100.bert_large_seq_per_s, a100.bert_large_precision) == (110.5, "amp")
    assert kn.gpu_spec("Tesla T4").bf16_tflops is None  # Turing has no BF16 tensor cores
    assert kn.gpu_spec("Tesla T4").fp16_tflops == 65.0
    assert kn.gpu_spec("NVIDIA L40S").bf16_tflops == 362.0


# --------------------------------------------------------------------------- a lab's knowledge files

LAB = """\
# source: our lab's nvidia-smi --query-gpu=name,compute_cap, 2026-11-30
[[gpu]]
model = "GeForce RTX 4070 Ti SUPER"
match = ['\\bRTX 4070 Ti SUPER\\b']
compute_capability = "8.9"
architecture = "Ada Lovelace"

[[gpu]]
model = "A10G"
match = ['\\bA10G\\b']
compute_capability = "8.6"
architecture = "Ampere"
source = "AWS G5 instance documentation"

[[release]]
cuda = "13.4"
linux = "600.10"
source = "a lab copy of NVIDIA's 13.4 release notes, Table 3"

[[variant]]
name = "cu134"
cuda = "13.4"
first_torch = "2.15.0"
source = "a lab's check of download.pytorch.org/whl/cu134"

[[variant.wheels]]
platforms = ["linux-x86_64"]

[[variant.archs]]
sass = ["7.5", "8.0", "8.6", "9.0", "10.0", "12.0"]
ptx = ["12.0"]
"""


@pytest.fixture
def lab_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "lab.toml").write_text(LAB, encoding="utf-8")
    monkeypatch.setenv("ENVTOOL_KNOWLEDGE_DIR", str(tmp_path))
    return tmp_path


def test_lab_knowledge_is_layered_over_the_builtin_tables(lab_dir: Path) -> None:
    assert kn.compute_capability("NVIDIA GeForce RTX 4070 Ti SUPER") == "8.9"
    assert kn.compute_capability("NVIDIA A10G") == "8.6"  # replaces the unconfirmed built-in entry
    assert kn.max_cuda_for_driver("600.10") == "13.4"
    assert kn.torch_variant("cu134", "2.15.0").cuda == "13.4"
    assert kn.availability("cu134", "2.15.0", "linux-x86_64") is None
    rows = {r["model"]: r["_origin"] for r in kn.provenance("gpus.toml", "gpu")}
    assert rows["A10G"] == f"{lab_dir / 'lab.toml'}:8" and rows["H200"] == "envtool:gpus.toml"


def test_without_a_lab_directory_the_builtin_tables_stand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVTOOL_KNOWLEDGE_DIR", raising=False)
    assert kn.compute_capability("NVIDIA GeForce RTX 4070 Ti SUPER") is None
    assert kn.torch_variant("cu134") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[gpu]]\nmodel = "X"\nmatch = ["x"]\n', r"lab\.toml \(line 1\): \[\[gpu\]\] entry has no source"),
        (
            '# source: s\n[[gpu]]\nmodel = "X"\nmatch = ["x"]\ncompute_capabilty = "8.9"\n',
            r"\(line 5\): unknown key 'gpu.compute_capabilty'; did you mean 'gpu.compute_capability'",
        ),
        ('# source: s\n[[gpu]]\nmodel = "X"\nmatch = ["(x"]\n', r"\(line 2\): key 'gpu.match'"),
        (
            '# source: s\n[[gpu]]\nmodel = "X"\nmatch = ["x"]\ncompute_capability = "89"\n',
            r"'gpu.compute_capability' = '89'",
        ),
        (
            '# source: s\n[[release]]\ncuda = "13.4"\nlinux = 600\n',
            r"\(line 4\): key 'release.linux' has the wrong type",
        ),
        ('# source: s\n[[gpus]]\nmodel = "X"\n', r"unknown table 'gpus'"),
        ("[[gpu]\n", r"lab\.toml: not valid TOML"),
    ],
)
def test_bad_lab_files_are_exit_2_naming_file_key_and_line(tmp_path: Path, text: str, expected: str) -> None:
    import io

    from envtool.cli import main

    (tmp_path / "lab.toml").write_text(text, encoding="utf-8")
    err = io.StringIO()
    code = main(["--knowledge-dir", str(tmp_path), "knowledge"], stdout=io.StringIO(), stderr=err)
    assert code == 2 and re.search(expected, err.getvalue()), err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_knowledge_command_shows_where_each_fact_came_from(lab_dir: Path) -> None:
    import io
    import json

    from envtool.cli import main

    out = io.StringIO()
    code = main(["knowledge", "--gpu", "NVIDIA A10G", "--table", "gpus", "--json"], stdout=out, stderr=io.StringIO())
    data = json.loads(out.getvalue())["data"]
    assert code == 0 and [g["_origin"] for g in data["gpus"]] == [f"{lab_dir / 'lab.toml'}:8"]
    out = io.StringIO()
    main(["knowledge", "--table", "variants", "--json"], stdout=out, stderr=io.StringIO())
    origins = {v["name"]: v["_origin"] for v in json.loads(out.getvalue())["data"]["variants"]}
    assert origins["cu130"] == "envtool:torch_builds.toml" and origins["cu134"].endswith("lab.toml:20")


def test_a_gpu_name_typed_with_its_words_run_together_is_looked_up() -> None:
    # Hand-typed names in reports ("Graphics card: rtx4090", NVlabs/tiny-cuda-nn#239); NVML never glues them.
    from envtool.knowledge import gpu_spec

    for typed, model in (
        ("rtx4090", "GeForce RTX 4090"),
        ("GTX1080Ti", "GeForce GTX 1080 Ti"),
        ("RTX3080 ti", "GeForce RTX 3080 Ti"),
    ):
        spec = gpu_spec(typed)
        assert spec is not None and spec.model == model, typed
    assert gpu_spec("rtx") is None and gpu_spec("RTX4090 Laptop GPU") is None  # a laptop part stays unknown

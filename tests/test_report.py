"""Reports: Markdown/JSON goldens, escaping, secrets, the fleet merge and its CLI, HTML in a real Chromium."""

from __future__ import annotations

import copy
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from envtool import fleet, report
from envtool.cli import main
from envtool.model import DiskInfo, GpuInfo, HostFacts, NvidiaFacts, PythonFacts, SystemFacts, TorchBuild, facts_to_data

GOLDEN = Path(__file__).parent / "golden"
SECRET = "hf_PLANTEDsecret0123456789"
XSS = "<script>alert(1)</script>"

# The GPU below is the one in the captured `nvidia-smi -q -x` of a Tesla T4
# (../shared/fixtures/nvidia-smi/tesla-t4-driver515.xml, influxdata/telegraf testdata);
# test_t4_fake_matches_capture checks the two agree.
T4_NVIDIA = NvidiaFacts(
    source="nvidia-smi",
    driver_version="515.105.01",
    cuda_driver_version="11.7",
    gpus=(
        GpuInfo(
            index=0,
            name="Tesla T4",
            uuid="GPU-d37e67a5-91dd-3774-a5cb-99096249601a",
            pci_bus_id="00000000:00:1E.0",
            memory_total_bytes=16106127360,
            persistence_mode=False,
            ecc_uncorrected=0,
            power_limit_w=70.0,
            pcie_gen_current=3,
            pcie_gen_max=3,
            pcie_width_current=8,
            pcie_width_max=16,
            unsupported=("mig_mode",),
        ),
    ),
)

CHECKS = [
    {
        "id": "python_version",
        "title": "Python version",
        "status": "pass",
        "seen": "3.11.7",
        "fix": "",
        "duration_s": 0.01,
    },
    {
        "id": "torch_imports",
        "title": "torch imports",
        "status": "pass",
        "seen": "torch 2.13.0+cu126",
        "fix": "",
        "duration_s": 1.23,
    },
    {
        "id": "cuda_available",
        "title": "CUDA available",
        "status": "warn",
        "seen": "1 GPU | driver 515 (CUDA 11.7 max)",
        "fix": "update the driver to >= 525.60.13 for cu126 natively",
        "duration_s": 0.4,
    },
    {
        "id": "gpu_kernel",
        "title": "kernel runs on every GPU",
        "status": "fail",
        "seen": "cuda:0: no kernel image is available",
        "fix": "envtool install --profile auto",
        "duration_s": 2.5,
    },
    {
        "id": "shm",
        "title": "/dev/shm size",
        "status": "skip",
        "seen": "not checked in a container",
        "fix": "",
        "duration_s": 0.0,
    },
]


def facts(gpu_name: str | None = None) -> dict[str, Any]:
    nv = T4_NVIDIA
    if gpu_name is not None:
        nv = NvidiaFacts(
            source=nv.source,
            driver_version=nv.driver_version,
            cuda_driver_version=nv.cuda_driver_version,
            gpus=(
                GpuInfo(**{**{f: getattr(nv.gpus[0], f) for f in nv.gpus[0].__dataclass_fields__}, "name": gpu_name}),
            ),
        )
    hf = HostFacts(
        system=SystemFacts(
            hostname="gpu-node-07",
            os_name="Linux",
            os_pretty="Ubuntu 22.04.4 LTS",
            kernel="5.15.0-105-generic",
            arch="x86_64",
            cpu_model="Intel(R) Xeon(R) CPU @ 2.20GHz",
            physical_cores=4,
            logical_cores=8,
            ram_total_bytes=32 * 1024**3,
            ram_available_bytes=30 * 1024**3,
            disks=(DiskInfo(path="/home/ana", free_bytes=50 * 1024**3),),
        ),
        nvidia=nv,
        python=PythonFacts(
            executable="/home/ana/.venv/bin/python",
            version="3.11.7",
            env_kind="venv",
            torch=TorchBuild(version="2.13.0+cu126", cuda="12.6"),
        ),
        env_vars=(("HF_TOKEN", "****"), ("CUDA_VISIBLE_DEVICES", "0")),
    )
    return facts_to_data(hf)


def envelope(
    *,
    host: str = "gpu-node-07",
    checks: list[dict[str, Any]] | None = None,
    version: str = "0.1.0",
    gpu_name: str | None = None,
    bench: bool = True,
) -> dict[str, Any]:
    """A checklist envelope as `envtool checklist --format json` writes it (cli.envelope's keys)."""
    checks = copy.deepcopy(CHECKS if checks is None else checks)
    worst = report.worst_status(c["status"] for c in checks)
    data: dict[str, Any] = {
        "host": host,
        "generated_at": "2026-11-29T18:40:00+00:00",
        "target": {"python": "/home/ana/.venv/bin/python", "profile": "cuda12.6"},
        "checks": checks,
        "facts": facts(gpu_name),
        "recommended_profile": {
            "name": "cuda11.8",
            "reasons": ["driver 515.105.01 runs CUDA up to 11.7", "cuda11.8: minor-version compatibility"],
        },
        "bench": None,
        "envtool_version": version,
    }
    if bench:
        data["bench"] = {
            "ok": True,
            "model": {
                "name": "base",
                "source": "random_init",
                "num_hidden_layers": 12,
                "hidden_size": 768,
                "num_attention_heads": 12,
                "intermediate_size": 3072,
                "vocab_size": 30522,
                "parameters": 109_483_778,
            },
            "batch_size": 32,
            "seq_len": 128,
            "precision": "fp16",
            "device_name": gpu_name or "Tesla T4",
            "step_time_s": {"median": 0.5, "p10": 0.48, "p90": 0.55},
            "samples_per_s": 64.0,
            "tokens_per_s": 8192.0,
            "tflops": 4.29,
            "mfu": 0.066,
            "losses": [0.71, 0.69, 0.70, 0.66, 0.62, 0.60, 0.55, 0.51],
            "verdict": {"status": "warn", "reasons": ["MFU 6.6% is low for fp16 on a T4"]},
        }
    status = {"pass": "pass", "warn": "warn", "fail": "fail"}[worst]
    return {
        "schema": "envtool/1",
        "command": "checklist",
        "status": status,
        "exit_code": 1 if worst == "fail" else 0,
        "data": data,
        "findings": [],
        "errors": [],
    }


def write(path: Path, obj: Any) -> str:
    path.write_text(json.dumps(obj), encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------- the fake is the capture


def test_t4_fake_matches_capture(nvidia_smi_fixtures: Path) -> None:
    from envtool.probes.nvidia import parse_nvidia_smi_xml

    real = parse_nvidia_smi_xml((nvidia_smi_fixtures / "tesla-t4-driver515.xml").read_text(encoding="utf-8"))
    assert (real.driver_version, real.cuda_driver_version, real.source) == (
        T4_NVIDIA.driver_version,
        T4_NVIDIA.cuda_driver_version,
        T4_NVIDIA.source,
    )
    assert real.gpus == T4_NVIDIA.gpus


# --------------------------------------------------------------------------- goldens


@pytest.mark.parametrize(("fmt", "golden"), [("md", "checklist.md"), ("json", "checklist.json")])
def test_single_report_golden(fmt: str, golden: str) -> None:
    text = report.render(envelope(), fmt)
    path = GOLDEN / golden
    if os.environ.get("ENVTOOL_REGEN_GOLDEN"):  # regenerate by hand, then review the diff by eye
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_fleet_golden(tmp_path: Path) -> None:
    files = [
        write(tmp_path / "a.json", envelope(host="node-a")),
        write(tmp_path / "b.json", envelope(host="node-b", checks=CHECKS[:2], version="0.0.9")),
    ]
    merged = fleet.merge_reports(files, now=datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc))
    # File paths differ per run; the golden holds the base names.
    for m in merged["data"]["machines"]:
        m["file"] = os.path.basename(m["file"])
    for fmt, golden in (("md", "fleet.md"), ("json", "fleet.json")):
        text = report.render(merged, fmt)
        path = GOLDEN / golden
        if os.environ.get("ENVTOOL_REGEN_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        assert text == path.read_text(encoding="utf-8"), golden


def test_markdown_contents() -> None:
    md = report.render_markdown(envelope())
    assert md.startswith("# envtool checklist: gpu-node-07\n")
    assert "2026-11-29T18:40:00+00:00" in md and "envtool 0.1.0" in md
    assert "**FAIL**: 1 fail, 1 warn, 2 pass, 1 skip" in md
    # '|' inside a cell is escaped, so the table keeps five columns.
    row = next(line for line in md.splitlines() if "CUDA available" in line)
    assert "1 GPU \\| driver 515" in row
    assert row.replace("\\|", "").count("|") == 6


# --------------------------------------------------------------------------- escaping and secrets


def test_script_in_gpu_name_and_seen_is_text() -> None:
    checks = copy.deepcopy(CHECKS)
    checks[0]["seen"] = XSS
    env = envelope(checks=checks, gpu_name=XSS, host="<b>host</b>")
    page = report.render_html(env)
    assert "<script>alert" not in page and "<b>host" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    md = report.render_markdown(env)
    assert "<script>" not in md and "\\<script\\>alert(1)\\</script\\>" in md


def test_renderers_do_not_reexpose_masked_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The secret is in this process's environment; detect already masked it in the report.
    monkeypatch.setenv("HF_TOKEN", SECRET)
    env = envelope()
    assert env["data"]["facts"]["env_vars"]["HF_TOKEN"] == "****"
    merged = fleet.merge_reports([write(tmp_path / "a.json", env)])
    outputs = [report.render(env, f) for f in ("md", "html", "json")] + [
        report.render(merged, f) for f in ("md", "html", "json")
    ]
    for text in outputs:
        assert SECRET not in text
    # Markdown and HTML show only the facts they name, never the environment.
    for text in outputs[:2] + outputs[3:5]:
        assert "HF_TOKEN" not in text and "CUDA_VISIBLE_DEVICES" not in text


# --------------------------------------------------------------------------- merge


def fleet_files(tmp_path: Path) -> list[str]:
    ok = [dict(c, status="pass") for c in CHECKS]
    return [
        write(tmp_path / "ok.json", envelope(host="node-ok", checks=ok)),
        write(tmp_path / "bad.json", envelope(host="node-bad")),
        write(
            tmp_path / "old.json",
            envelope(
                host="node-old",
                checks=[dict(c, status="pass") for c in CHECKS[:3]]
                + [dict(CHECKS[2], id="legacy_check", title="legacy check", status="warn")],
                version="0.0.9",
            ),
        ),
        write(tmp_path / "dup1.json", envelope(host="node-ok", checks=ok)),
    ]


def test_merge_orders_failing_first_and_shows_versions(tmp_path: Path) -> None:
    merged = fleet.merge_reports(fleet_files(tmp_path))
    assert merged["schema"] == "envtool/1" and merged["command"] == "report merge"
    ms = merged["data"]["machines"]
    assert [m["status"] for m in ms] == ["fail", "warn", "pass", "pass"]
    assert ms[0]["host"] == "node-bad" and ms[0]["problem"]["title"] == "kernel runs on every GPU"
    assert ms[0]["problem"]["fix"] == "envtool install --profile auto"
    old = ms[1]
    assert old["host"] == "node-old" and old["envtool_version"] == "0.0.9" and old["problem"]["title"] == "legacy check"
    # Duplicate host names are both kept, labelled by file.
    assert sorted(m["label"] for m in ms[2:]) == ["node-ok (dup1.json)", "node-ok (ok.json)"]
    assert merged["data"]["counts"] == {"fail": 1, "warn": 1, "pass": 2}
    assert merged["data"]["envtool_versions"] == {"0.0.9": 1, "0.1.0": 3}
    assert [c["id"] for c in merged["data"]["checks"]] == [
        "python_version",
        "torch_imports",
        "cuda_available",
        "gpu_kernel",
        "shm",
        "legacy_check",
    ]
    md = report.render_markdown(merged)
    rows = [line for line in md.split("## Checks")[1].splitlines() if line.startswith("| node-")]
    assert rows[0].startswith("| node-bad |") and rows[1].startswith("| node-old |")
    assert "\u2014" in rows[1]  # node-old has no gpu_kernel / shm check
    assert "| 0.0.9 |" in md
    page = report.render_html(merged)
    assert page.index("node-bad") < page.index("node-old") < page.index("node-ok")
    assert "0.0.9" in page and "\u2014" in page


def test_cli_merge_writes_each_format(tmp_path: Path) -> None:
    files = fleet_files(tmp_path)
    for fmt in ("html", "md", "json"):
        out = tmp_path / f"fleet.{fmt}"
        assert main(["report", "merge", *files, "--output", str(out)]) == 1  # node-bad fails
        text = out.read_text(encoding="utf-8")
        assert "node-bad" in text
    data = json.loads((tmp_path / "fleet.json").read_text(encoding="utf-8"))
    assert data["command"] == "report merge" and len(data["data"]["machines"]) == 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".envtool-report-")]


def test_cli_merge_json_envelope(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.html"
    assert main(["report", "merge", *fleet_files(tmp_path), "--format", "html", "-o", str(out), "--json"]) == 1
    env = json.loads(capsys.readouterr().out)
    assert env["command"] == "report" and env["data"]["machines"] == 4 and env["data"]["fleet_status"] == "fail"
    assert env["exit_code"] == 1 and out.exists()  # a failing machine fails the merge, and the report is still written
    assert env["data"]["not_ready"][0]["machine"] == "node-bad"


@pytest.mark.parametrize("kind", ["foreign", "not_json", "missing", "detect_report", "bad_checks"])
def test_cli_merge_bad_input_is_exit_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    good = write(tmp_path / "good.json", envelope())
    bad = tmp_path / f"{kind}.json"
    if kind == "foreign":
        bad.write_text(json.dumps({"name": "some other tool", "version": 3}), encoding="utf-8")
    elif kind == "not_json":
        bad.write_text("torch 2.13.0\nno json here\n", encoding="utf-8")
    elif kind == "detect_report":
        bad.write_text(json.dumps({**envelope(), "command": "detect"}), encoding="utf-8")
    elif kind == "bad_checks":
        e = envelope()
        e["data"]["checks"] = {"torch_imports": "pass"}
        bad.write_text(json.dumps(e), encoding="utf-8")
    out = tmp_path / "fleet.html"
    # The bad file comes last: the good one must not have been written out already.
    assert main(["report", "merge", good, str(bad), "--output", str(out)]) == 2
    assert str(bad) in capsys.readouterr().err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["good.json"] + ([] if kind == "missing" else [bad.name])
    )


def test_cli_merge_bad_input_keeps_old_output(tmp_path: Path) -> None:
    out = tmp_path / "fleet.md"
    out.write_text("previous report\n", encoding="utf-8")
    assert main(["report", "merge", str(tmp_path / "nope.json"), "--output", str(out), "--json"]) == 2
    assert out.read_text(encoding="utf-8") == "previous report\n"


# --------------------------------------------------------------------------- real Chromium

CHROMIUM = shutil.which("chromium")
chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (CI installs Debian's chromium; apt-get install -y chromium)"
)


def _argv(tmp_path: Path) -> list[str]:
    return [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]


def _chromium(tmp_path: Path, page: Path, *extra: str, fragment: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_argv(tmp_path), *extra, page.as_uri() + fragment], capture_output=True, text=True, timeout=60, check=False
    )


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) with the stdlib."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, bpp, rows


def _check_in_browser(tmp_path: Path, page: Path, titles: list[str]) -> None:
    shot = tmp_path / f"{page.stem}.png"
    r = _chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.exists(), r.stderr[-2000:]
    width, bpp, rows = png_pixels(shot.read_bytes())
    colours = {row[i : i + 3] for row in rows[::7] for i in range(0, width * bpp, bpp * 5)}
    assert len(colours) > 20, "the screenshot is blank"
    dom = _chromium(tmp_path, page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    import re

    text = re.sub(r"<[^>]+>", " ", dom.stdout)
    for title in titles:
        assert title in text.replace("&amp;", "&"), title
    return None


@chromium
def test_single_report_in_chromium(tmp_path: Path) -> None:
    page = tmp_path / "checklist.html"
    checks = copy.deepcopy(CHECKS)
    checks[1]["seen"] = XSS
    page.write_text(report.render_html(envelope(checks=checks, gpu_name=XSS)), encoding="utf-8")
    _check_in_browser(tmp_path, page, [c["title"] for c in CHECKS])
    dom = _chromium(tmp_path, page, "--dump-dom").stdout
    # The planted <script> reached the DOM as text, not as an element.
    assert dom.count("<script") == 0 and "&lt;script&gt;alert(1)" in dom


@chromium
def test_fleet_report_in_chromium(tmp_path: Path) -> None:
    files = fleet_files(tmp_path)
    page = tmp_path / "fleet.html"
    assert main(["report", "merge", *files, "--output", str(page)]) == 1  # node-bad fails; the page is written
    _check_in_browser(tmp_path, page, [c["title"] for c in CHECKS] + ["legacy check"])
    dom = _chromium(tmp_path, page, "--dump-dom").stdout
    # The inline script ran: it un-hid the status filter.
    assert '<div class="controls" id="controls">' in dom


# --------------------------------------------------------------------------- shipped resources

RESOURCES = Path(report.__file__).parent / "resources"


def test_pages_inline_the_shipped_stylesheets_and_script(tmp_path: Path) -> None:
    css, fleet_css, fleet_js = (RESOURCES / n for n in ("report.css", "fleet.css", "fleet.js"))
    page = report.render_html(envelope())
    assert css.read_text(encoding="utf-8") in page
    assert fleet_css.read_text(encoding="utf-8") not in page and "<script>" not in page
    fleet_page = report.render_html(fleet.merge_reports(fleet_files(tmp_path)))
    for f in (css, fleet_css, fleet_js):
        assert f.read_text(encoding="utf-8") in fleet_page, f.name


@pytest.mark.integration
def test_a_built_wheel_ships_and_reads_the_resources(tmp_path: Path) -> None:
    """A non-editable install carries the stylesheets, the script and the child scripts."""
    repo = Path(__file__).resolve().parents[1]
    src = tmp_path / "src"
    for name in ("envtool", "finetune_smoke", "profiles"):
        shutil.copytree(repo / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(repo / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("envtool-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [f"envtool/resources/{n}" for n in ("report.css", "fleet.css", "fleet.js")]
    shipped += ["envtool/_parent_death.py", "envtool/probes/_pyinspect.py", "envtool/probes/_torch_probe.py"]
    shipped += [f"envtool/probes/nvidia/{n}.py" for n in ("__init__", "nvml", "smi", "topology")]
    assert set(shipped) <= names, sorted(set(shipped) - names)
    site = tmp_path / "site"
    done = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); from envtool import report; "
        "print(report.__file__); print(len(report._resource('report.css')), len(report._resource('fleet.js')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(site)], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    where, sizes = out.stdout.splitlines()
    assert Path(where).is_relative_to(site)  # the installed copy, not this checkout
    assert [int(n) for n in sizes.split()] == [
        len((RESOURCES / n).read_text(encoding="utf-8")) + 1 for n in ("report.css", "fleet.js")
    ]


# --------------------------------------------------------------------------- bench section


def test_bench_chart_prefers_step_times_then_losses() -> None:
    env = envelope()
    bench = env["data"]["bench"]
    assert report.bench_series(bench) == ("loss", bench["losses"])
    bench["step_time_s"]["times"] = [0.52, 0.5, 0.49]
    assert report.bench_series(bench) == ("step time (s)", [0.52, 0.5, 0.49])
    page = report.render_html(env)
    assert page.count("<circle") == 3 and "step 3: step time (s)" in page


def test_failed_or_missing_bench() -> None:
    env = envelope()
    env["data"]["bench"] = {"ok": False, "error": {"kind": "oom", "message": "not even batch 1 | fits"}}
    md = report.render_markdown(env)
    assert "failed (oom): not even batch 1 \\| fits" in md
    assert "<svg" not in report.render_html(env)
    env["data"]["bench"] = None
    assert "## Bench\n\nNot run.\n" in report.render_markdown(env)


@chromium
def test_fleet_sort_and_filter_run_in_chromium(tmp_path: Path) -> None:
    import re

    page = tmp_path / "fleet.html"
    page.write_text(report.render_html(fleet.merge_reports(fleet_files(tmp_path))), encoding="utf-8")

    def rows(fragment: str) -> list[tuple[str, bool]]:
        r = _chromium(tmp_path, page, "--dump-dom", fragment=fragment)
        assert r.returncode == 0, r.stderr[-2000:]
        return [
            (m.group(2), "hidden" in m.group(1))
            for m in re.finditer(r'<tr data-s="\w+" class="\w+"([^>]*)>.*?<strong>([^<]+)</strong>', r.stdout)
        ]

    # Sorted by machine name (column 1), the fleet's failing-first order is replaced.
    assert [label for label, _ in rows("#sort=1")] == [
        "node-bad",
        "node-ok (dup1.json)",
        "node-ok (ok.json)",
        "node-old",
    ]
    assert [label for label, _ in rows("#sort=1&desc=1")] == [
        "node-old",
        "node-ok (ok.json)",
        "node-ok (dup1.json)",
        "node-bad",
    ]
    # Only failing machines shown.
    assert [label for label, hidden in rows("#show=fail") if not hidden] == ["node-bad"]

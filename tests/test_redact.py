"""--redact: each kind of identifier planted, then searched for in every output and written file."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest
from envtool_cli import cli_json, cli_text

from envtool.model import CommandResult, Finding, Severity
from envtool.probes.nvidia import parse_nvidia_smi_xml
from envtool.redact import Redactor

KEY = b"k" * 32

# =========================================================================== the pure redactor


def test_each_kind_in_its_key_and_in_text_is_replaced_the_same_way() -> None:
    uuid = "GPU-5fd4a5b2-0c0b-6a1f-4b3e-7d2c9a8e1f00"
    doc = {
        "host": "node-17",
        "system": {"hostname": "node-17", "disks": [{"path": "/home/ada/work"}]},
        "gpus": [{"uuid": uuid, "pci_bus_id": "00000000:3B:00.0", "serial": "1324021045678"}],
        "nics": [{"mac": "0c:42:a1:9e:77:10", "ip": "192.168.40.7"}],
        "checks": [
            {
                "seen": f"node-17 sees {uuid} at 00000000:3B:00.0, 0c:42:a1:9e:77:10 / 192.168.40.7 / "
                "fd12:3456:789a::21, Serial Number : 1324021045678, files in /home/ada/x and /Users/bob/y, "
                '"Serial Number": "TPX20231"'
            }
        ],
    }
    r = Redactor(KEY)
    out = r.redact(doc)
    text = json.dumps(out)
    for planted in (
        "node-17",
        "ada",
        "bob",
        uuid,
        "3B:00.0",
        "0c:42:a1:9e:77:10",
        "192.168.40.7",
        "fd12:3456:789a::21",
        "1324021045678",
        "TPX20231",
    ):
        assert planted not in text, planted
    seen = out["checks"][0]["seen"]
    # Same value, same placeholder: in its own key and wherever the text repeats it.
    for key_value, where in (
        (out["host"], out["system"]["hostname"]),
        (out["gpus"][0]["uuid"], seen),
        (out["gpus"][0]["pci_bus_id"], seen),
        (out["gpus"][0]["serial"], seen),
        (out["nics"][0]["mac"], seen),
        (out["nics"][0]["ip"], seen),
    ):
        assert key_value.startswith("<") and key_value in where
    assert out["system"]["disks"][0]["path"].endswith(">/work")  # the home folder, not the path under it
    kinds = {p.split("-")[0].strip("<") for p in r.mapping.values()}
    assert {"host", "home", "user", "gpu", "pci", "serial", "mac", "ip"} <= kinds


def test_different_values_get_different_placeholders_and_the_key_decides_them() -> None:
    a = Redactor(KEY).redact({"machines": [{"host": "a1"}, {"host": "b2"}]})
    assert a["machines"][0]["host"] != a["machines"][1]["host"]
    again = Redactor(KEY).redact({"host": "b2"})
    other = Redactor(b"o" * 32).redact({"host": "b2"})
    assert again["host"] == a["machines"][1]["host"] != other["host"]


def test_a_fleet_of_hosts_sharing_prefixes_each_keeps_its_own_placeholder() -> None:
    hosts = [f"gpu-node-{i}" for i in range(1, 301)]  # gpu-node-1 is a prefix of gpu-node-10 and -100
    doc = {"machines": [{"host": h, "label": f"{h} ({h}.json)"} for h in hosts]}
    out = Redactor(KEY).redact(doc)["machines"]
    placeholders = [m["host"] for m in out]
    assert len(set(placeholders)) == len(hosts)
    for m in out:
        assert m["label"] == f"{m['host']} ({m['host']}.json)"


def test_environment_values_unless_known_safe_secrets_stay_masked() -> None:
    env = {
        "CUDA_VISIBLE_DEVICES": "0,1",
        "NCCL_DEBUG": "INFO",
        "NCCL_SOCKET_IFNAME": "ib0",
        "LD_LIBRARY_PATH": "/opt/lab-cuda/lib64",
        "HF_TOKEN": "****",
        "WANDB_API_KEY": "not-masked-in-a-paste",  # a pasted report may not have masked it
        "PIP_INDEX_URL": "https://****@mirror.lab.example/simple",
    }
    r = Redactor(KEY)
    out = r.redact({"env_vars": env, "toolkit": {"nvcc_path": "/opt/lab-cuda/lib64/../bin/nvcc"}})
    got = out["env_vars"]
    assert got["CUDA_VISIBLE_DEVICES"] == "0,1" and got["NCCL_DEBUG"] == "INFO"
    assert got["HF_TOKEN"] == "****" and got["WANDB_API_KEY"] == "****"
    for name in ("NCCL_SOCKET_IFNAME", "LD_LIBRARY_PATH", "PIP_INDEX_URL"):
        assert got[name].startswith("<env-"), name
    # A long value is replaced where other text repeats it, with the same placeholder.
    assert out["toolkit"]["nvcc_path"] == got["LD_LIBRARY_PATH"] + "/../bin/nvcc"
    # The same as [[name, value]] pairs (the shape diagnose reads back).
    pairs = Redactor(KEY).redact({"env_vars": [[k, v] for k, v in env.items()]})["env_vars"]
    assert dict(pairs) == got


def test_a_kept_value_is_still_scanned() -> None:
    uuid = "GPU-11111111-2222-3333-4444-555555555555"
    out = Redactor(KEY).redact({"env_vars": {"CUDA_VISIBLE_DEVICES": uuid}})
    assert out["env_vars"]["CUDA_VISIBLE_DEVICES"].startswith("<gpu-uuid-")


def test_what_is_not_an_identifier_is_left_alone() -> None:
    doc = {
        "gpus": [{"serial": "N/A", "uuid": None, "name": "Tesla T4"}],
        "dump": "<serial>N/A</serial> Serial Number: unknown, power N/A",
        "generated_at": "2026-12-01T20:41:27+00:00",
        "seen": "nvidia-cudnn-cu12==9.1.0.70, cudnn-9.1.0.70, MASTER_ADDR 127.0.0.1, ::1, 0.0.0.0, torch::jit",
        "python": {"version": "3.11.7", "executable": "/root/.venv/bin/python"},
        "host": "gpu1",
        "note": "gpu12 is another machine",
    }
    out = Redactor(KEY).redact(doc)
    for key in ("gpus", "dump", "generated_at", "seen", "python"):
        assert out[key] == doc[key], key
    assert out["note"] == doc["note"]  # a host is replaced as a whole word only


def test_a_second_pass_changes_nothing_and_keeps_the_placeholders() -> None:
    doc = {"host": "node-3", "seen": "node-3 at 10.0.4.5 under /home/eve", "env_vars": {"HF_HOME": "/data/hf-cache"}}
    once = Redactor(KEY).redact(doc)
    assert Redactor(KEY).redact(once) == once


def test_known_identity_is_replaced_in_text_that_names_it() -> None:
    r = Redactor(KEY, [("host", "lab-box"), ("user", "eve"), ("home", "/srv/people/eve")])
    out = r.redact({"seen": "copied to /srv/people/eve/envs on lab-box by eve"})
    assert "eve" not in out["seen"] and "lab-box" not in out["seen"] and "/envs on <host-" in out["seen"]


def test_a_result_is_redacted_in_data_findings_errors_and_text() -> None:
    result = CommandResult(
        command="detect",
        data={"system": {"hostname": "node-9"}},
        findings=(Finding(id="x", severity=Severity.WARN, message="node-9 at 10.9.9.9", fix="ssh node-9"),),
        errors=("cannot reach 10.9.9.9",),
        text="# node-9\n",
    )
    out = Redactor(KEY).result(result)
    blob = json.dumps(out.data) + out.findings[0].message + out.findings[0].fix + "".join(out.errors) + str(out.text)
    assert "node-9" not in blob and "10.9.9.9" not in blob
    assert out.findings[0].id == "x" and out.exit_code == result.exit_code


# =========================================================================== the commands

HOST = "planted-host-q7x"
OTHER_HOST = "planted-host-b2"
USER = "plantedusr"
ENV = {
    "NCCL_SOCKET_IFNAME": "plantedif0",
    "HF_HOME": "/srv/planted-hf-cache",
    "CUDA_VISIBLE_DEVICES": "0,1",
    "HF_TOKEN": "hf_PLANTEDsecretToken01",
}
SERIAL = "1324021045678"
MAC = "0c:42:a1:9e:77:10"
IPV4 = "10.77.3.21"
IPV6 = "fd12:3456:789a::21"
SECRET = "hf_PLANTEDsecretToken01"


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nvidia_smi_fixtures: Path) -> dict[str, str]:
    """A machine whose host, user, home, environment and two GPUs carry planted identifiers."""
    home = tmp_path / "home" / USER
    home.mkdir(parents=True)
    monkeypatch.setattr(socket, "gethostname", lambda: HOST)
    for name in ("USER", "LOGNAME"):
        monkeypatch.setenv(name, USER)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("LD_LIBRARY_PATH", f"{home}/lib")
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    xml = nvidia_smi_fixtures / "rtx-a5000-x2-driver590.xml"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nvidia-smi").write_text(f"#!/bin/sh\ncat '{xml}'\n")
    (bin_dir / "nvidia-smi").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setitem(sys.modules, "pynvml", None)  # NVML absent: nvidia-smi is the source
    gpus = parse_nvidia_smi_xml(xml.read_text(encoding="utf-8", errors="replace")).gpus
    needles = {"host": HOST, "user": USER, "home": f"/home/{USER}"}
    needles.update({f"env {k}": v for k, v in ENV.items() if k not in ("CUDA_VISIBLE_DEVICES", "HF_TOKEN")})
    for g in gpus:
        assert g.uuid and g.pci_bus_id
        needles[f"uuid {g.index}"] = g.uuid
        needles[f"pci {g.index}"] = g.pci_bus_id
    return needles


def _leaks(needles: dict[str, str], outputs: dict[str, str]) -> list[str]:
    return [
        f"{kind} ({value}) in {where}"
        for where, text in outputs.items()
        for kind, value in needles.items()
        if value in text
    ]


def _checklist_file(tmp_path: Path) -> str:
    """A lab checklist whose own commands print a serial, a MAC, IP addresses and the host."""
    skip = '["torch_imports", "torch_build", "gpu_kernel", "transformers", "train_step", "bench", "smoke_train"]'
    lines = [
        f"Serial Number : {SERIAL} link {MAC}",
        f"addr {IPV4} and {IPV6} on {HOST}",
    ]
    text = f"[checks]\nskip = {skip}\n"
    for i, line in enumerate(lines):
        argv = [sys.executable, "-c", f"print({line!r})"]
        text += f'[[command]]\nid = "lab{i}"\ntitle = "lab check {i}"\nargv = {json.dumps(argv)}\n'
    p = tmp_path / "lab.toml"
    p.write_text(text)
    return str(p)


def test_without_redact_the_planted_identifiers_are_there(planted: dict[str, str], tmp_path: Path) -> None:
    """The search below can fail: the same run without --redact shows every planted value."""
    _, out, _ = cli_text("detect", "--json")
    missing = [k for k, v in planted.items() if v not in out and k != "user"]  # the user name is in the home path
    assert missing == []
    assert SECRET not in out


def test_detect_and_diagnose_redacted(planted: dict[str, str], tmp_path: Path) -> None:
    outputs: dict[str, str] = {}
    code, out, err = cli_text("detect", "--json")
    (tmp_path / "detect.json").write_text(out)  # unredacted, as another machine could send it
    for label, argv in (
        ("detect --json", ("detect", "--redact", "--json")),
        ("detect", ("detect", "--redact")),
        ("diagnose --json", ("diagnose", str(tmp_path / "detect.json"), "--redact", "--json")),
        ("diagnose", ("diagnose", str(tmp_path / "detect.json"), "--redact")),
    ):
        _, out, err = cli_text(*argv)
        outputs[label] = out + err
    assert _leaks({**planted, "secret": SECRET}, outputs) == []
    env = json.loads(outputs["detect --json"])
    assert env["data"]["env_vars"]["CUDA_VISIBLE_DEVICES"] == "0,1"  # known safe: kept
    assert env["data"]["env_vars"]["HF_TOKEN"] == "****"
    assert len(env["data"]["gpus"]) == 2 and env["data"]["gpus"][0]["name"] == "NVIDIA RTX A5000"
    assert env["data"]["gpus"][0]["uuid"] != env["data"]["gpus"][1]["uuid"]


def test_checklist_and_fleet_redacted_in_stdout_and_every_file(planted: dict[str, str], tmp_path: Path) -> None:
    needles = {**planted, "serial": SERIAL, "mac": MAC, "ipv4": IPV4, "ipv6": IPV6, "secret": SECRET}
    lab = _checklist_file(tmp_path)
    outputs: dict[str, str] = {}
    # An unredacted report first: its custom checks really printed the identifiers.
    code, plain = cli_json("checklist", "--checklist", lab, "--output", str(tmp_path / f"{HOST}.json"))
    seen = " ".join(c["seen"] for c in plain["data"]["checks"])
    assert SERIAL in seen and MAC in seen and IPV4 in seen and IPV6 in seen
    for ext in ("md", "html", "json"):
        out_file = tmp_path / f"r.{ext}"
        _, out, err = cli_text("checklist", "--checklist", lab, "--output", str(out_file), "--redact", "--json")
        outputs[f"checklist --json ({ext})"] = out + err
        outputs[f"r.{ext}"] = out_file.read_text(encoding="utf-8")
    for fmt in ("md", "html"):
        _, out, err = cli_text("checklist", "--checklist", lab, "--redact", "--format", fmt)
        outputs[f"checklist --format {fmt}"] = out + err
    _, out, err = cli_text("checklist", "--checklist", lab, "--redact")
    outputs["checklist"] = out + err
    # A second machine's report, then the fleet merged from the unredacted reports.
    other = json.loads((tmp_path / f"{HOST}.json").read_text())
    other["data"]["host"] = OTHER_HOST
    other["data"]["facts"]["system"]["hostname"] = OTHER_HOST
    (tmp_path / f"{OTHER_HOST}.json").write_text(json.dumps(other))
    reports = [str(tmp_path / f"{h}.json") for h in (HOST, OTHER_HOST)]
    for fmt in ("html", "md", "json"):
        fleet_file = tmp_path / f"fleet.{fmt}"
        _, out, err = cli_text("report", "merge", *reports, "--output", str(fleet_file), "--redact", "--json")
        outputs[f"merge --json ({fmt})"] = out + err
        outputs[f"fleet.{fmt}"] = fleet_file.read_text(encoding="utf-8")
    _, out, err = cli_text("report", "merge", *reports, "--output", str(tmp_path / "fleet2.md"), "--redact")
    outputs["merge"] = out + err + (tmp_path / "fleet2.md").read_text(encoding="utf-8")
    assert _leaks({**needles, "other host": OTHER_HOST}, outputs) == []
    # The fleet still lines up: two machines, two placeholders, each also naming its report file.
    machines = json.loads(outputs["fleet.json"])["data"]["machines"]
    hosts = [m["host"] for m in machines]
    assert len(set(hosts)) == 2 and all(h.startswith("<host-") for h in hosts)
    assert all(m["file"].endswith(f"{m['host']}.json") for m in machines)
    redacted = json.loads(outputs["r.json"])
    assert redacted["data"]["host"] == redacted["data"]["facts"]["system"]["hostname"]

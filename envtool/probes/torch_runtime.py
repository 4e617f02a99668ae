"""The deep probe: what torch itself says, from a subprocess of the target interpreter.

Importing torch takes seconds and can crash or hang on a broken install, so it happens in
``_torch_probe.py`` run by the target python with a timeout. Whatever it printed before a
hang or a crash is kept; the failure becomes the probe's ``outcome``.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envtool import runner
from envtool.errors import EnvtoolError
from envtool.model import DeviceRun, ProbeNote, TorchRuntime
from envtool.probes import _torch_probe

MARK = _torch_probe.MARK


def parse_probe_output(stdout: str) -> list[dict[str, Any]]:
    """The ``@@envtool {json}`` lines of the probe, in order (other lines are torch's chatter)."""
    out = []
    for line in stdout.splitlines():
        if line.startswith(MARK):
            try:
                obj = json.loads(line[len(MARK) :])
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
    return out


def _stderr_messages(stderr: str) -> tuple[str, ...]:
    """Lines of stderr that look like torch's warnings or errors (kept for the rules)."""
    keep = []
    for line in stderr.splitlines():
        s = line.strip()
        if s and any(
            w in s
            for w in ("Warning", "Error", "error", "CUDA", "driver", "capability", "undefined symbol", "cannot open")
        ):
            keep.append(s[:500])
    return tuple(keep[-20:])


def runtime_from_probe(
    python: str, stages: list[dict[str, Any]], *, returncode: int | None, timed_out: bool, stderr: str, duration: float
) -> TorchRuntime:
    """Pure: the probe's stage records plus how the process ended -> TorchRuntime."""
    imp = next((s for s in stages if s.get("stage") == "import"), None)
    devices = tuple(
        DeviceRun(
            device=str(s.get("device")),
            name=s.get("name"),
            capability=s.get("capability"),
            ok=bool(s.get("ok")),
            error=s.get("error"),
            seconds=s.get("seconds"),
            arch=s.get("arch"),
        )
        for s in stages
        if s.get("stage") == "device"
    )
    done = next((s for s in stages if s.get("stage") == "done"), None)
    messages = list(imp.get("messages", []) if imp else [])
    for s in stages:
        if s.get("stage") == "device":
            messages += s.get("messages", [])
            if s.get("error"):
                messages.append(s["error"])
    messages += list(_stderr_messages(stderr))
    for key in ("cuda_error", "xpu_error"):
        if imp and imp.get(key):
            messages.append(imp[key])
    error: str | None
    if timed_out:
        outcome = "timeout"
        stage = "importing torch" if imp is None else ("running a kernel" if done is None else "finishing")
        error = f"the torch probe did not finish within {duration:.0f} s (hung while {stage})"
    elif returncode is not None and returncode < 0:
        outcome = "crashed"
        try:
            sig = signal.Signals(-returncode).name
        except ValueError:
            sig = f"signal {-returncode}"
        stage = "importing torch" if imp is None else "running a kernel"
        error = f"the python running torch was killed by {sig} while {stage}"
    elif imp is not None and not imp.get("ok"):
        outcome = "import_error"
        error = str(imp["error"]) if imp.get("error") is not None else None
        messages.append(str(error))
    elif imp is None:
        outcome = "crashed" if returncode else "import_error"
        tail = stderr.strip().splitlines()[-1:] if stderr.strip() else []
        error = f"the torch probe exited with code {returncode}" + (f": {tail[0]}" if tail else "")
    else:
        outcome = "ok"
        error = None
    # keep order, drop duplicates
    uniq = tuple(dict.fromkeys(m for m in messages if m))
    imp = imp or {}
    return TorchRuntime(
        python=python,
        outcome=outcome,
        error=error,
        version=imp.get("version"),
        cuda=imp.get("cuda"),
        hip=imp.get("hip"),
        cuda_available=imp.get("cuda_available"),
        device_count=imp.get("device_count"),
        arch_list=tuple(imp.get("arch_list") or ()),
        cudnn=imp.get("cudnn"),
        nccl=imp.get("nccl"),
        devices=devices,
        loaded_libraries=tuple(done.get("loaded_libraries", ())) if done else (),
        messages=uniq,
        duration_s=duration,
        xpu=imp.get("xpu"),
        xpu_available=imp.get("xpu_available"),
        mps_available=imp.get("mps_available"),
    )


def probe_torch_runtime(
    python: str | None = None, *, timeout: float = 60.0, env: Mapping[str, str] | None = None
) -> tuple[TorchRuntime, ProbeNote]:
    """Import torch in a subprocess of ``python`` and run a tiny matmul on each device. Never raises."""
    python = python or sys.executable
    # Passed with -c, not by path: a script's own folder would go first on sys.path.
    source = Path(_torch_probe.__file__).read_text(encoding="utf-8")
    try:
        done = runner.capture([python, "-c", source], timeout=timeout, env=env, tie_to_parent=True)
    except EnvtoolError as exc:
        rt = TorchRuntime(python=python, outcome="import_error", error=str(exc))
        return rt, ProbeNote(probe="torch_runtime", status="unavailable", reason=str(exc))
    rt = runtime_from_probe(
        python,
        parse_probe_output(done.stdout),
        returncode=done.returncode,
        timed_out=done.timed_out,
        stderr=done.stderr,
        duration=done.duration_s,
    )
    status = {"ok": "ok", "timeout": "timeout"}.get(rt.outcome, "error")
    return rt, ProbeNote(probe="torch_runtime", status=status, reason=rt.error or "", duration_s=done.duration_s)

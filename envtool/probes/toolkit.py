"""The CUDA *toolkit*: nvcc and CUDA_HOME.

PyTorch's wheels bring their own CUDA runtime libraries; the toolkit matters only for
building extensions. So this is reported as "toolkit", never as "runtime".
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping

from envtool import runner
from envtool.errors import EnvtoolError
from envtool.model import ProbeNote, ToolkitFacts

_NVCC_RELEASE = re.compile(r"release (\d+\.\d+)")


def parse_nvcc_version(text: str) -> str | None:
    """``nvcc --version`` output -> "12.4" (from "Cuda compilation tools, release 12.4, V12.4.131")."""
    m = _NVCC_RELEASE.search(text)
    return m.group(1) if m else None


def find_cuda_home(
    env: Mapping[str, str], default_dirs: tuple[str, ...] = ("/usr/local/cuda",)
) -> tuple[str | None, str | None]:
    """CUDA_HOME the way torch.utils.cpp_extension finds it: CUDA_HOME, CUDA_PATH, then /usr/local/cuda."""
    for var in ("CUDA_HOME", "CUDA_PATH"):
        if env.get(var):
            return env[var], var
    for d in default_dirs:
        if os.path.isdir(d):
            return d, d
    return None, None


def probe_toolkit(
    env: Mapping[str, str] | None = None, *, timeout: float = 5.0, default_dirs: tuple[str, ...] = ("/usr/local/cuda",)
) -> tuple[ToolkitFacts, ProbeNote]:
    """nvcc on PATH (or under CUDA_HOME/bin) and its release. Never raises."""
    start = time.monotonic()
    env = os.environ if env is None else env
    home, home_source = find_cuda_home(env, default_dirs)
    nvcc = runner.which("nvcc", path=env.get("PATH", ""))
    if nvcc is None and home:
        candidate = os.path.join(home, "bin", "nvcc")
        nvcc = candidate if os.access(candidate, os.X_OK) else None
    if nvcc is None:
        return ToolkitFacts(cuda_home=home, cuda_home_source=home_source), ProbeNote(
            probe="toolkit", status="unavailable", reason="nvcc not found", duration_s=time.monotonic() - start
        )
    try:
        done = runner.capture([nvcc, "--version"], timeout=timeout, env=env)
    except EnvtoolError as exc:
        return ToolkitFacts(nvcc_path=nvcc, cuda_home=home, cuda_home_source=home_source), ProbeNote(
            probe="toolkit", status="error", reason=str(exc)
        )
    version = parse_nvcc_version(done.stdout) if done.ok else None
    status = "ok" if version else ("timeout" if done.timed_out else "error")
    reason = "" if version else done.describe_failure(3)
    return ToolkitFacts(nvcc_path=nvcc, nvcc_version=version, cuda_home=home, cuda_home_source=home_source), ProbeNote(
        probe="toolkit", status=status, reason=reason, duration_s=time.monotonic() - start
    )

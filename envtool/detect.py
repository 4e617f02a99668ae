"""Gather the facts of this machine: every probe in parallel, each with its own timeout."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from envtool import knowledge
from envtool.model import HostFacts, NvidiaFacts, ProbeNote
from envtool.probes import nvidia, platforms, python_env, system, toolkit, torch_runtime


def _fill_capabilities(nv: NvidiaFacts) -> NvidiaFacts:
    """nvidia-smi's XML has no compute capability: take it from the knowledge table by name."""
    gpus = tuple(
        g
        if g.compute_capability or not g.name
        else dataclasses.replace(g, compute_capability=knowledge.compute_capability(g.name))
        for g in nv.gpus
    )
    return dataclasses.replace(nv, gpus=gpus)


def collect_facts(
    *,
    python: str | None = None,
    deep: bool = False,
    env: Mapping[str, str] | None = None,
    probe_timeout: float = 5.0,
    deep_timeout: float = 90.0,
) -> HostFacts:
    """Run every probe (the deep torch probe too when ``deep``). Never raises for a failing probe."""
    env = dict(os.environ if env is None else env)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=6) as pool:
        f_sys = pool.submit(system.probe_system, env=env)
        f_nv = pool.submit(nvidia.probe_nvidia, timeout=probe_timeout, env=env)
        f_tk = pool.submit(toolkit.probe_toolkit, env, timeout=probe_timeout)
        f_py = pool.submit(python_env.probe_python, python, env, timeout=probe_timeout * 2)
        f_rt = pool.submit(torch_runtime.probe_torch_runtime, python, timeout=deep_timeout, env=env) if deep else None
        f_pf = pool.submit(platforms.probe_platforms, env=env, timeout=probe_timeout)  # AMD, Intel, Apple, Arm
        notes: list[ProbeNote] = []
        sysf, n = _safe(f_sys, "system")
        notes += n
        nv, n = _safe(f_nv, "nvidia")
        notes += n
        tk, n = _safe(f_tk, "toolkit")
        notes += n
        py, n = _safe(f_py, "python")
        notes += n
        pf, n = _safe(f_pf, "platforms")
        notes += n
        rt = None
        if f_rt is not None:
            rt, n = _safe(f_rt, "torch_runtime")
            notes += n
    notes.append(ProbeNote(probe="detect", status="ok", duration_s=time.monotonic() - start))
    kwargs: dict[str, Any] = {}
    for key, value in (("system", sysf), ("nvidia", nv), ("toolkit", tk), ("python", py)):
        if value is not None:
            kwargs[key] = _fill_capabilities(value) if key == "nvidia" else value
    if pf is not None:
        kwargs["accelerators"], kwargs["platform"] = pf
    return HostFacts(
        **kwargs,
        env_vars=system.relevant_env(env),
        torch_runtime=rt,
        probes=tuple(notes),
        source="detect",
    )


def with_python(
    facts: HostFacts, python: str, env: Mapping[str, str] | None = None, *, probe_timeout: float = 5.0
) -> HostFacts:
    """``facts`` with only the python part surveyed again, for ``python``.

    For an interpreter that did not exist when the machine was surveyed (the environment
    ``envtool install`` has just made): the machine's own facts stay as they were collected.
    """
    env = dict(os.environ if env is None else env)
    py, notes = python_env.probe_python(python, env, timeout=probe_timeout * 2)
    return dataclasses.replace(facts, python=py, probes=(*facts.probes, *notes))


def _safe(future: Future[Any], name: str) -> tuple[Any, list[ProbeNote]]:
    """A probe's result, or (None, a note) if the probe itself had a bug."""
    try:
        value, notes = future.result()
    except Exception as exc:  # a bug in a probe must not take the report down
        return None, [ProbeNote(probe=name, status="error", reason=f"{type(exc).__name__}: {exc}")]
    if isinstance(notes, ProbeNote):
        notes = [notes]
    return value, list(notes)

"""Rich renderings of command results for people. Builds renderables; the CLI decides where they go."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envtool.model import CommandResult, Severity
from envtool.util import GIB
from finetune_smoke.result import BenchResult, ModelInfo, StepTimes

_SEV_STYLE = {"error": "bold red", "warn": "yellow", "info": "cyan"}
_SEV_MARK = {"error": "FAIL", "warn": "WARN", "info": "info"}


def _gib(n: Any) -> str:
    return f"{n / GIB:.1f} GiB" if isinstance(n, (int, float)) else "?"


def _v(x: Any) -> str:
    if x is None or x == "" or x == []:
        return "unknown"
    if isinstance(x, bool):
        return "yes" if x else "no"
    return str(x)


def _kv_table(rows: list[tuple[str, Any]]):  # type: ignore[no-untyped-def]
    from rich.table import Table
    from rich.text import Text

    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    for k, v in rows:
        # Values come from the machine or a pasted report: never interpret them as markup.
        t.add_row(Text(k), Text(v if isinstance(v, str) else _v(v)))
    return t


def _facts_sections(data: Mapping[str, Any]) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    s = data.get("system") or {}
    nv = data.get("nvidia") or {}
    tk = data.get("toolkit") or {}
    py = data.get("python") or {}
    out: list[Any] = []
    where = s.get("container") or ("WSL" + str(s["wsl"]) if s.get("wsl") else "bare metal or VM")
    disks = ", ".join(f"{d['path']} {_gib(d.get('free_bytes'))} free" for d in s.get("disks") or []) or None
    cores = f"{s.get('physical_cores') or '?'} physical / {s.get('logical_cores') or '?'} logical"
    out.append(
        (
            "System",
            _kv_table(
                [
                    (
                        "OS",
                        f"{_v(s.get('os_pretty'))} ({_v(s.get('arch'))}, kernel {_v(s.get('kernel'))}, glibc "
                        f"{_v(s.get('glibc'))})",
                    ),
                    ("Runs in", where),
                    ("CPU", f"{_v(s.get('cpu_model'))}, {cores}"),
                    ("CPU flags", " ".join(s.get("cpu_flags") or []) or None),
                    ("RAM", f"{_gib(s.get('ram_total_bytes'))} ({_gib(s.get('ram_available_bytes'))} available)"),
                    ("Disk", disks),
                    ("/dev/shm", _gib(s.get("shm_bytes")) if s.get("shm_bytes") is not None else None),
                ]
            ),
        )
    )
    gpus = data.get("gpus") or []
    if nv.get("driver_version"):
        driver = f"{nv['driver_version']} (max CUDA {_v(nv.get('cuda_driver_version'))}, via {_v(nv.get('source'))})"
    else:
        why = "; ".join(
            f"{n['probe']}: {n.get('reason') or n['status']}"
            for n in data.get("probes") or []
            if n["probe"] in ("nvml", "nvidia-smi") and n["status"] != "ok"
        )
        driver = "none found" + (f" ({why})" if why else "")
    if nv.get("error"):
        driver += f" ({nv['error']})"
    if gpus:
        t = Table(show_edge=False, pad_edge=False)
        for col in ("#", "GPU", "sm", "memory", "PCIe now/max", "MIG", "notes"):
            t.add_column(col)
        for g in gpus:
            now = f"gen{g.get('pcie_gen_current') or '?'}x{g.get('pcie_width_current') or '?'}"
            pcie = f"{now} / gen{g.get('pcie_gen_max') or '?'}x{g.get('pcie_width_max') or '?'}"
            notes = g.get("error") or ", ".join(g.get("throttle_reasons") or []) or ""
            cells = (
                str(g.get("index")),
                _v(g.get("name")),
                _v(g.get("compute_capability")),
                _gib(g.get("memory_total_bytes")),
                pcie,
                _v(g.get("mig_mode")),
                notes,
            )
            t.add_row(*(Text(c) for c in cells))
        out.append((f"NVIDIA: driver {driver}", t))
    else:
        hw = nv.get("hardware_present")
        out.append(
            (
                "NVIDIA",
                _kv_table(
                    [
                        ("Driver", driver),
                        ("GPUs", "none found" + (" (but an NVIDIA device is on the PCI bus)" if hw else "")),
                    ]
                ),
            )
        )
    out.extend(_platform_sections(data))  # other vendors' accelerators, Arm/Jetson/macOS facts
    out.append(
        (
            "CUDA toolkit (nvcc; torch wheels do not need it)",
            _kv_table(
                [
                    ("nvcc", f"{_v(tk.get('nvcc_version'))} at {_v(tk.get('nvcc_path'))}"),
                    (
                        "CUDA_HOME",
                        f"{_v(tk.get('cuda_home'))}"
                        + (f" (from {tk['cuda_home_source']})" if tk.get("cuda_home_source") else ""),
                    ),
                ]
            ),
        )
    )
    torch = py.get("torch")
    torch_s = (
        f"{torch['version']} "
        + (
            f"(CUDA {torch['cuda']})"
            if torch.get("cuda")
            else f"(ROCm {torch['hip']})"
            if torch.get("hip")
            else "(CPU build)"
        )
        if torch
        else "not installed"
    )
    tools = (
        ", ".join(f"{t['name']} {t.get('version') or ''}".strip() for t in py.get("tools") or [] if t.get("path"))
        or "none"
    )
    env_label = py.get("env_kind") or "?"
    if py.get("conda_env_name"):
        env_label += f" '{py['conda_env_name']}'"
    out.append(
        (
            "Python",
            _kv_table(
                [
                    ("Interpreter", f"{_v(py.get('version'))} at {_v(py.get('executable'))} ({env_label})"),
                    ("Installers", tools),
                    ("torch", torch_s),
                    ("transformers", py.get("transformers") or "not installed"),
                    (
                        "nvidia-* wheels",
                        ", ".join(f"{d['name']} {d['version']}" for d in py.get("nvidia_wheels") or []) or "none",
                    ),
                ]
            ),
        )
    )
    rt = data.get("torch_runtime")
    if rt:
        devs = "; ".join(
            f"{d['device']} {d.get('name') or ''}: {'ok' if d.get('ok') else 'FAILED ' + str(d.get('error'))}"
            for d in rt.get("devices") or []
        )
        out.append(
            (
                "torch, imported (deep probe)",
                _kv_table(
                    [
                        ("Outcome", rt.get("outcome") + (f": {rt['error']}" if rt.get("error") else "")),
                        (
                            "Build",
                            f"torch {_v(rt.get('version'))}, CUDA {_v(rt.get('cuda'))}, cuDNN {_v(rt.get('cudnn'))}, "
                            f"NCCL {_v(rt.get('nccl'))}",
                        ),
                        ("Archs", " ".join(rt.get("arch_list") or []) or None),
                        ("Kernels", devs or None),
                        (
                            "Loaded libs",
                            str(len(rt.get("loaded_libraries") or [])) + " CUDA/torch libraries"
                            if rt.get("loaded_libraries")
                            else None,
                        ),
                    ]
                ),
            )
        )
    env = data.get("env_vars") or {}
    if env:
        out.append(("Environment", _kv_table([(k, v) for k, v in env.items()])))
    return out


def _findings(result: CommandResult):  # type: ignore[no-untyped-def]
    from rich.table import Table
    from rich.text import Text

    t = Table.grid(padding=(0, 1))
    t.add_column(no_wrap=True)
    t.add_column()
    for f in result.findings:
        sev = f.severity.value if isinstance(f.severity, Severity) else str(f.severity)
        t.add_row(Text(_SEV_MARK[sev], style=_SEV_STYLE[sev]), Text.assemble((f.id, "bold"), ": ", f.message))
        for e in f.evidence:
            t.add_row("", Text(f"line {e.line}: {e.text}", style="dim"))
        if f.fix:
            t.add_row("", Text.assemble(("fix: ", "dim"), f.fix))
    return t


_SHORT_PLATFORM = {"linux-x86_64": "linux", "linux-aarch64": "linux-arm", "win-amd64": "win", "macos-arm64": "mac"}
# --------------------------------------------------------------------------- bench


def _bench_distributed(data: Mapping[str, Any]) -> list[Any]:
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    r = data.get("result") or {}
    items: list[Any] = []
    if not r.get("ok"):
        return items
    m = r.get("model") or {}
    items.append(
        Rule(
            Text(f"Distributed BERT fine-tune: {r.get('world_size')} ranks, {r.get('backend')}", style="bold"),
            align="left",
        )
    )
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    eff = r.get("scaling_efficiency")
    single = r.get("single_process_samples_per_s")
    for k, val in (
        (
            "Launch",
            f"{r.get('nnodes')} node(s) x {r.get('nproc_per_node')} per node, this is node {r.get('node_rank')},"
            f" rendezvous {r.get('master_addr')}:{r.get('master_port')} ({r.get('launch_source')})",
        ),
        ("Model", f"BERT {m.get('name')}, seq {r.get('seq_len')}, {r.get('precision')}"),
        (
            "Throughput",
            f"{r.get('samples_per_s', 0):.1f} samples/s in all"
            + (f"; one rank without all-reduce {single:.1f}" if single else ""),
        ),
        ("Scaling", f"{eff:.0%} efficiency" if eff is not None else (r.get("note") or "n/a")),
    ):
        head.add_row(Text(k), Text(str(val)))
    items.append(head)
    t = Table(title="ranks", title_justify="left")
    for col in ("rank", "host", "device", "batch", "samples/s", "no-sync samples/s", "step ms"):
        t.add_column(col, justify="right" if col not in ("host", "device") else "left")
    for p in r.get("ranks") or []:
        t.add_row(
            str(p.get("rank")),
            str(p.get("host")),
            f"{p.get('device')} {p.get('device_name') or ''}".strip(),
            str(p.get("batch_size")),
            f"{p.get('samples_per_s') or 0:.1f}",
            f"{p.get('local_samples_per_s') or 0:.1f}",
            f"{(p.get('step_time_s') or 0) * 1000:.1f}",
        )
    items.append(t)
    if r.get("allreduce"):
        a = Table(title="all-reduce (float32, sum)", title_justify="left")
        for col in ("size", "time us", "algbw GB/s", "busbw GB/s"):
            a.add_column(col, justify="right")
        for e in r["allreduce"]:
            a.add_row(
                f"{e['bytes'] / 2**20:g} MiB" if e["bytes"] >= 2**20 else f"{e['bytes'] / 1024:g} KiB",
                f"{e['time_s'] * 1e6:.0f}",
                f"{e['algbw_gbs']:.2f}",
                f"{e['busbw_gbs']:.2f}",
            )
        items.append(a)
    topo = r.get("topology")
    if isinstance(topo, dict) and topo.get("links"):
        items.append(
            Text(
                "topology ("
                + str(topo.get("source"))
                + "): "
                + ", ".join(f"GPU{x}-GPU{y} {c}" for x, y, c in topo["links"][:12])
            )
        )
    return items


def _bench_single(r: BenchResult, v: Mapping[str, Any]) -> list[Any]:
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    m = r.model or ModelInfo()
    st = r.step_time_s or StepTimes()
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    threads = f", {r.threads} threads" if r.device == "cpu" else ""
    probes = ", ".join(f"{k} {x:.3g}" for k, x in (r.gemm_probes or {}).items() if x)
    rows = [
        ("Device", f"{r.device_name} ({r.device}){threads}"),
        (
            "Model",
            f"BERT {m.name}: {m.num_hidden_layers} layers, hidden {m.hidden_size},"
            f" {(m.parameters or 0) / 1e6:.1f} M parameters ({m.source})",
        ),
        (
            "Shape",
            f"batch {r.batch_size} x seq {r.seq_len}, {r.precision}, {r.attention} attention, {r.optimizer},"
            f" dropout {r.dropout}, {'compiled' if r.compile else 'eager'}",
        ),
        (
            "GEMM probes",
            (f"{probes} TFLOP/s on {'x'.join(str(n) for n in r.gemm_shape or [])}" if probes else "none")
            + (f" ({r.gemm_probe_s:.1f} s)" if r.gemm_probe_s is not None else ""),
        ),
    ]
    for c in r.choices:
        rows.append((f"Chose {c.what}", f"{c.chosen}: {c.why}"))
    if not r.choices:  # a result of schema 1
        rows.append(("Chose", f"{r.precision} ({r.precision_reason}); compile {r.compile} ({r.compile_reason})"))
    rows += [
        (
            "Step time",
            f"median {st.median * 1000:.1f} ms (p10 {st.p10 * 1000:.1f}, p90 {st.p90 * 1000:.1f})"
            f" over {r.steps} steps after {r.warmup} warm-up; first step {r.first_step_s or 0:.1f} s",
        ),
        ("Throughput", f"{r.samples_per_s or 0:.1f} samples/s, {r.tokens_per_s or 0:.0f} tokens/s"),
        (
            "Compute",
            f"{r.tflops or 0:.3g} TFLOP/s"
            + (f", MFU {v['mfu']:.1%} of the {r.precision} peak" if v.get("mfu") is not None else "")
            + (
                f", ceiling {r.ceiling_tflops:.3g} TFLOP/s ({r.ceiling_precision} GEMM)"
                if r.ceiling_tflops
                else (f", GEMM {r.gemm_tflops:.3g} TFLOP/s" if r.gemm_tflops else "")
            ),
        ),
        (
            "Loss",
            " ".join(f"{x:.3f}" for x in r.losses[:12])
            + ("" if r.loss_falling is None else " (falling)" if r.loss_falling else " (not falling)"),
        ),
    ]
    for k, val in rows:
        t.add_row(Text(k), Text(str(val)))
    return [Rule(Text("BERT fine-tune benchmark", style="bold"), align="left"), t]


def bench_renderables(result: CommandResult) -> list[Any]:
    """`envtool bench`: the run (single-process or distributed), its verdict and the comparison."""
    from rich.rule import Rule
    from rich.text import Text

    data = result.data
    r = data.get("result") or {}
    v = data.get("verdict") or {}
    items: list[Any] = []
    if r.get("mode") == "distributed":
        items += _bench_distributed(data)
    elif r.get("ok"):
        items += _bench_single(BenchResult.from_json(r), v)
    items += findings_block(result)
    style = {"pass": "green", "warn": "yellow", "fail": "red"}.get(str(v.get("status")), "")
    items.append(Rule(Text(f"Verdict: {str(v.get('status', '?')).upper()}", style=f"bold {style}"), align="left"))
    for reason in v.get("reasons") or []:
        items.append(Text(f"  - {reason}"))
    cmp_ = data.get("compare")
    if cmp_:
        items.append(Rule(Text(f"Against {cmp_['against']}", style="bold"), align="left"))
        for key in ("samples_per_s", "tflops"):
            if key in cmp_:
                c = cmp_[key]
                items.append(Text(f"  {key}: {c['before']:.2f} -> {c['now']:.2f} ({c['change']:+.1%})"))
        if not cmp_.get("comparable"):
            items.append(Text("  (different shape, precision or device: not like for like)"))
    if data.get("saved_to"):
        items.append(Text(f"kept as {data['saved_to']}", style="dim"))
    return items


# --------------------------------------------------------------------------- the default


def renderables(result: CommandResult) -> list[Any]:
    """The default rendering: facts (detect/diagnose), profiles, findings, recommendation, status."""
    from rich.rule import Rule
    from rich.text import Text

    items: list[Any] = []
    data = result.data
    if result.command in ("detect", "diagnose"):
        told = data.get("told") if result.command == "diagnose" else None
        if result.command == "diagnose":
            items.append(Text.assemble(("Report: ", "bold"), f"{data.get('input')} ({data.get('form') or 'report'})"))
            verdict = data.get("verdict") or {}
            if verdict:  # the verdict first, then what the paste told
                items.append(Text.assemble(("Verdict: ", "bold"), verdict.get("summary") or ""))
                if verdict.get("settle"):
                    items.append(Text.assemble(("To settle it, run: ", "bold"), verdict["settle"]))
        if told is not None:
            items.append(Rule(Text("What the paste told", style="bold"), align="left"))
            items.append(
                _kv_table(
                    [(f"{r['what']} (line {r['line']})" if r.get("line") else r["what"], r["value"]) for r in told]
                )
            )
        else:
            for title, body in _facts_sections(data):
                items.append(Rule(Text(title, style="bold"), align="left"))
                items.append(body)
    if result.command == "profiles":
        from rich.table import Table

        t = Table(show_edge=False)
        for col in ("profile (aliases)", "torch", "CUDA", "driver >=", "GPU archs", "installs on", "fits"):
            t.add_column(col, no_wrap=True)
        why: list[Any] = []
        for p in data.get("profiles", []):
            fits = ("[green]yes[/green]" + (" *" if p.get("recommended") else "")) if p["fits"] else "[red]no[/red]"
            sm = [a for a in p.get("archs") or [] if a.startswith("sm_")]
            ptx = any(a.startswith("compute_") for a in p.get("archs") or [])
            cpu_only = (p.get("variant") or "cpu") == "cpu"  # ROCm/XPU/Jetson wheels have no sm_ archs: "-"
            span = (f"{sm[0]}-{sm[-1]}" if len(sm) > 1 else (sm[0] if sm else "any CPU" if cpu_only else "-")) + (
                "+PTX" if ptx else ""
            )
            aliases = ", ".join(p.get("aliases") or [])
            cells = (
                p["name"] + (f" ({aliases})" if aliases else ""),
                _v(p.get("torch")) + f" {p.get('variant') or 'cpu'}",
                p.get("cuda") or "-",
                p.get("min_driver") or "-",
                span,
                " ".join(_SHORT_PLATFORM.get(x, x) for x in p.get("platforms") or []) or "-",
            )
            t.add_row(*(Text(c) for c in cells), fits)
            for reason in p.get("why_not") or []:
                why.append(Text(f"  {p['name']}: {reason}"))
        items.append(t)
        rec = data.get("recommended_profile") or {}
        items.append(Text(f"* recommended for this machine: {rec.get('name')}"))
        items += why
    items += findings_block(result)
    rec = data.get("recommended_profile")
    if rec and result.command != "profiles":
        items.append(Rule(Text(f"Recommended profile: {rec['name'] or 'undetermined'}", style="bold"), align="left"))
        for i, r in enumerate(rec.get("reasons") or [], 1):
            items.append(Text(f"  {i}. {r}"))
    items.append(status_line(result))
    return items


def findings_block(result: CommandResult) -> list[Any]:
    from rich.rule import Rule

    if not result.findings:
        return []
    return [Rule("[bold]Findings[/bold]", align="left"), _findings(result)]


def status_line(result: CommandResult) -> str:
    status = str(result.status).upper()
    style = {"PASS": "green", "WARN": "yellow", "FAIL": "red"}.get(status, "")
    errors = sum(1 for f in result.findings if f.severity == Severity.ERROR)
    warns = sum(1 for f in result.findings if f.severity == Severity.WARN)
    return f"[{style}]{status}[/]: {errors} error(s), {warns} warning(s)"


# --------------------------------------------------------------------------- other accelerators and platforms


def _platform_sections(data: Mapping[str, Any]) -> list[Any]:
    """AMD/Intel/Apple/Hygon accelerators and the Arm, Jetson, macOS and ROCm facts; nothing when there are none."""
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = []
    accels = data.get("accelerators") or []
    pf = data.get("platform") or {}
    if accels:
        t = Table(show_edge=False, pad_edge=False)
        for col in ("#", "vendor", "name", "arch", "CUs/EUs", "memory", "via", "notes"):
            t.add_column(col)
        for a in accels:
            mem = _gib(a.get("memory_bytes")) + (" shared" if a.get("memory_shared") else "")
            notes = "; ".join(a.get("notes") or [])
            if a.get("usable") is False:
                notes = ("not usable by torch; " + notes).rstrip("; ")
            cells = (
                str(a.get("index")),
                _v(a.get("vendor")),
                _v(a.get("name") or (f"PCI {a['pci_id']}" if a.get("pci_id") else None)),
                _v(a.get("arch")),
                _v(a.get("compute_units")),
                mem if a.get("memory_bytes") else "unknown",
                _v(a.get("source")),
                notes,
            )
            t.add_row(*(Text(c) for c in cells))
        out.append(("Other accelerators", t))
    rows: list[tuple[str, Any]] = []
    if pf.get("kind"):
        rows.append(("Platform", pf["kind"] + (f" ({pf['soc']})" if pf.get("soc") else "")))
    if pf.get("cpu_part") or pf.get("cpu_core"):
        rows.append(("CPU core", f"{_v(pf.get('cpu_core'))} (part {_v(pf.get('cpu_part'))})"))
    if pf.get("kernel_64k"):
        rows.append(("Kernel", "64 KiB pages (-64k)"))
    if pf.get("l4t"):
        rows.append(("Jetson", f"L4T {pf['l4t']}, JetPack {_v(pf.get('jetpack'))}, CUDA {_v(pf.get('board_cuda'))}"))
        rows.append(("Board", f"{_v(pf.get('board'))}, GPU {_v(pf.get('gpu_arch'))}"))
    if pf.get("unified_memory_bytes"):
        rows.append(("Unified memory", f"{_gib(pf['unified_memory_bytes'])} ({_v(pf.get('unified_memory_source'))})"))
    if pf.get("macos_version"):
        rows.append(("macOS", pf["macos_version"] + (" (python under Rosetta)" if pf.get("rosetta") else "")))
    if pf.get("rocm_version") or pf.get("amdgpu_loaded") is not None:
        access = {True: "yes", False: "NO", None: "no /dev/kfd"}[pf.get("kfd_accessible")]
        rows.append(
            (
                "ROCm",
                f"{_v(pf.get('rocm_version'))}, amdgpu {'loaded' if pf.get('amdgpu_loaded') else 'not loaded'}, "
                f"/dev/kfd usable: {access}",
            )
        )
    if pf.get("level_zero") is not None:
        rows.append(("Level Zero GPU", _v(pf.get("level_zero"))))
    for k, v in pf.get("visible_devices") or []:
        rows.append((k, v))
    for n in pf.get("notes") or []:
        rows.append(("Note", n))
    if rows:
        out.append(("Platform", _kv_table(rows)))
    return out

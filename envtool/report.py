"""Markdown / HTML / JSON renderings of a checklist report and of a merged fleet.

Renderers are pure: an envelope (the ``envtool/1`` JSON contract, as ``model.envelope()``
builds it) goes in, text comes out. Every value that comes from a machine (host and GPU
names, check text, versions) is escaped for the target format, so a GPU called ``<script>``
is shown, never run. The renderers show only the fields they name; they never dump
``facts.env_vars`` or read anything from the process running them, so a value masked by
``detect`` stays masked. The stylesheets and the fleet page's script ship as package data
in ``envtool/resources/``. Reading and merging a fleet's reports is ``envtool.fleet``.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from envtool.errors import BadInputError
from envtool.util import GIB, atomic_write_text

STATUSES = ("fail", "warn", "pass", "skip")
# Worst first: a machine's status is its worst check; the fleet is ordered by it.
_RANK = {"fail": 0, "warn": 1, "pass": 2, "skip": 3}
MERGE_COMMAND = "report merge"
MISSING = "\u2014"  # an em dash: this machine's report has no such check

Envelope = Mapping[str, Any]
# A report file's format from its suffix, for every command that writes one.
FORMAT_BY_SUFFIX = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".json": "json"}


# --------------------------------------------------------------------------- small helpers


def _s(x: Any) -> str:
    """A value as display text; unknown is "unknown"."""
    if x is None or x == "" or x == [] or x == {}:
        return "unknown"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def _d(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _gib(n: Any) -> str:
    v = _num(n)
    return f"{v / GIB:.1f} GiB" if v is not None else "unknown"


def _status(x: Any) -> str:
    s = str(x).lower() if x is not None else ""
    return s if s in _RANK else "skip"


def worst_status(statuses: Iterable[Any]) -> str:
    """The worst of pass/warn/fail (skip counts as pass; nothing at all is pass)."""
    ranked = [_RANK[_status(s)] for s in statuses]
    best = min(ranked, default=_RANK["pass"])
    return "pass" if best == _RANK["skip"] else STATUSES[best]


def _counts(statuses: Iterable[Any]) -> dict[str, int]:
    c = Counter(_status(s) for s in statuses)
    return {s: c.get(s, 0) for s in STATUSES}


def _counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)


def _fmt_rate(x: Any) -> str:
    v = _num(x)
    if v is None:
        return "unknown"
    return f"{v:,.1f}" if v < 1000 else f"{v:,.0f}"


def _fmt_seconds(x: Any) -> str:
    v = _num(x)
    if v is None:
        return ""
    return f"{v:.3f} s" if v < 1 else f"{v:.2f} s"


# --------------------------------------------------------------------------- facts -> display rows


def gpu_summary(gpus: Any) -> str:
    """GPUs grouped by name, e.g. ``2x Tesla T4``; ``none`` when the list is empty."""
    names = [(_d(g).get("name") or "unknown GPU") for g in (gpus if isinstance(gpus, list) else [])]
    if not names:
        return "none"
    counts = Counter(names)
    return ", ".join(f"{n}x {name}" if n > 1 else str(name) for name, n in counts.items())


def _torch_text(facts: Mapping[str, Any]) -> str:
    py = _d(facts.get("python"))
    t = _d(py.get("torch"))
    if not t:
        rt = _d(facts.get("torch_runtime"))
        return _s(rt.get("version")) if rt.get("version") else "not installed"
    build = f"CUDA {t['cuda']}" if t.get("cuda") else f"ROCm {t['hip']}" if t.get("hip") else "CPU build"
    return f"{_s(t.get('version'))} ({build})"


def _driver_text(facts: Mapping[str, Any]) -> str:
    nv = _d(facts.get("nvidia"))
    if not nv.get("driver_version"):
        return "none found" + (f" ({nv['error']})" if nv.get("error") else "")
    return f"{nv['driver_version']} (max CUDA {_s(nv.get('cuda_driver_version'))})"


def facts_rows(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The machine facts a ticket needs, as (label, text) rows; only these fields, never env vars."""
    facts = _d(data.get("facts"))
    s = _d(facts.get("system"))
    py = _d(facts.get("python"))
    os_text = f"{_s(s.get('os_pretty') or s.get('os_name'))} ({_s(s.get('arch'))}, kernel {_s(s.get('kernel'))})"
    if s.get("container"):
        os_text += f", in {s['container']}"
    cpu = (
        f"{_s(s.get('cpu_model'))}, {_s(s.get('physical_cores'))} physical / {_s(s.get('logical_cores'))} logical cores"
    )
    ram = f"{_gib(s.get('ram_total_bytes'))} ({_gib(s.get('ram_available_bytes'))} available)"
    raw_gpus = facts.get("gpus")
    gpus = raw_gpus if isinstance(raw_gpus, list) else []
    gpu_lines = []
    for g in gpus:
        g = _d(g)
        extra = [f"sm {g['compute_capability']}"] if g.get("compute_capability") else []
        if g.get("memory_total_bytes") is not None:
            extra.append(_gib(g.get("memory_total_bytes")))
        if g.get("error"):
            extra.append(f"error: {g['error']}")
        gpu_lines.append(f"{_s(g.get('index'))}: {_s(g.get('name'))}" + (f" ({', '.join(extra)})" if extra else ""))
    rec = _d(data.get("recommended_profile"))
    rec_text = _s(rec.get("name"))
    reasons = [str(r) for r in rec.get("reasons") or []] if isinstance(rec.get("reasons"), list) else []
    if reasons:
        rec_text += ": " + "; ".join(reasons)
    return [
        ("OS", os_text),
        ("CPU", cpu),
        ("RAM", ram),
        ("GPUs", "; ".join(gpu_lines) or "none"),
        ("Driver", _driver_text(facts)),
        ("Python", f"{_s(py.get('version'))} at {_s(py.get('executable'))}"),
        ("torch", _torch_text(facts)),
        ("Recommended profile", rec_text),
    ]


def bench_series(bench: Mapping[str, Any]) -> tuple[str, list[float]]:
    """The per-step series to chart: step times when the bench gives them, else the losses."""
    st = _d(bench.get("step_time_s"))
    times = st.get("times")
    if isinstance(times, list) and times:
        return "step time (s)", [float(t) for t in times if _num(t) is not None]
    losses = bench.get("losses")
    if isinstance(losses, list) and losses:
        return "loss", [float(v) for v in losses if _num(v) is not None]
    return "", []


def bench_rows(bench: Any) -> list[tuple[str, str]]:
    """The bench result as (label, text) rows; empty when there was no bench."""
    if not isinstance(bench, dict):
        return []
    if bench.get("ok") is False:
        err = _d(bench.get("error"))
        return [("Result", f"failed ({_s(err.get('kind'))}): {_s(err.get('message'))}")]
    m = _d(bench.get("model"))
    st = _d(bench.get("step_time_s"))
    model = _s(m.get("name"))
    if m.get("num_hidden_layers") is not None:
        model += f" ({m['num_hidden_layers']} layers, hidden {_s(m.get('hidden_size'))})"
    rows = [
        ("Model", model),
        ("Device", _s(bench.get("device_name"))),
        ("Setup", f"{_s(bench.get('precision'))}, batch {_s(bench.get('batch_size'))}, seq {_s(bench.get('seq_len'))}"),
        (
            "Step time",
            f"median {_fmt_seconds(st.get('median')) or 'unknown'} "
            f"(p10 {_fmt_seconds(st.get('p10')) or '?'}, p90 {_fmt_seconds(st.get('p90')) or '?'})",
        ),
        (
            "Throughput",
            f"{_fmt_rate(bench.get('samples_per_s'))} samples/s, {_fmt_rate(bench.get('tokens_per_s'))} tokens/s",
        ),
    ]
    tf = _num(bench.get("tflops"))
    mfu = _num(bench.get("mfu"))
    if tf is not None:
        rows.append(("Compute", f"{tf:.2f} TFLOP/s" + (f", MFU {mfu:.1%}" if mfu is not None else ", MFU unknown")))
    v = _d(bench.get("verdict"))
    if v:
        reasons = v.get("reasons") if isinstance(v.get("reasons"), list) else []
        rows.append(
            (
                "Verdict",
                _status(v.get("status")).upper() + (": " + "; ".join(str(r) for r in reasons) if reasons else ""),
            )
        )
    return rows


def _checks(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    checks = data.get("checks")
    return [c for c in checks if isinstance(c, dict)] if isinstance(checks, list) else []


def _target_text(data: Mapping[str, Any]) -> str:
    t = _d(data.get("target"))
    return f"python {_s(t.get('python'))}, profile {t.get('profile') or 'auto'}"


# --------------------------------------------------------------------------- JSON


def render_json(envelope: Envelope) -> str:
    """The envelope itself, pretty-printed (UTF-8 kept as is), with a final newline."""
    return json.dumps(envelope, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- Markdown

# CommonMark treats these as markup; a backslash makes each a literal character. '<' and '>'
# are escaped too, so a value like "<script>" stays text in renderers that allow raw HTML.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~!])")


def md_escape(text: Any) -> str:
    """Inline Markdown text: markup characters escaped, line breaks folded (safe in table cells)."""
    s = str(text)
    s = re.sub(r"\s*[\r\n]+\s*", " ", s)
    return _MD_SPECIAL.sub(r"\\\1", s)


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def render_markdown(envelope: Envelope) -> str:
    """A checklist report (or a merged fleet) as Markdown for a ticket. Deterministic."""
    if envelope.get("command") == MERGE_COMMAND:
        return render_fleet_markdown(envelope)
    data = _d(envelope.get("data"))
    checks = _checks(data)
    counts = _counts(c.get("status") for c in checks)
    overall = worst_status(c.get("status") for c in checks)
    e = md_escape
    lines = [
        f"# envtool checklist: {e(_s(data.get('host')))}",
        "",
        f"Generated {e(_s(data.get('generated_at')))} by envtool {e(_s(data.get('envtool_version')))}; "
        f"target {e(_target_text(data))}.",
        "",
        f"**{overall.upper()}**: {_counts_text(counts)}",
        "",
        "## Checklist",
        "",
    ]
    if checks:
        lines += _md_table(
            ("status", "check", "seen", "fix", "time"),
            (
                (
                    f"**{_status(c.get('status')).upper()}**",
                    e(c.get("title") or c.get("id") or ""),
                    e(c.get("seen") or ""),
                    e(c.get("fix") or ""),
                    _fmt_seconds(c.get("duration_s")),
                )
                for c in checks
            ),
        )
    else:
        lines.append("No checks were run.")
    lines += ["", "## Machine", ""]
    lines += _md_table(("fact", "value"), ((k, e(v)) for k, v in facts_rows(data)))
    lines += ["", "## Bench", ""]
    brows = bench_rows(data.get("bench"))
    if brows:
        lines += _md_table(("", "result"), ((k, e(v)) for k, v in brows))
    else:
        lines.append("Not run.")
    return "\n".join(lines) + "\n"


def render_fleet_markdown(envelope: Envelope) -> str:
    """A merged fleet as Markdown: one summary table (not ready first), then machines x checks."""
    data = _d(envelope.get("data"))
    machines = [m for m in data.get("machines") or [] if isinstance(m, dict)]
    check_cols = [c for c in data.get("checks") or [] if isinstance(c, dict)]
    e = md_escape
    counts = _d(data.get("counts"))
    lines = [
        f"# envtool fleet report: {len(machines)} machine(s)",
        "",
        f"Merged {e(_s(data.get('merged_at')))} by envtool {e(_s(data.get('envtool_version')))}; reports from envtool "
        + e(", ".join(f"{v} ({n})" for v, n in _d(data.get("envtool_versions")).items()) or "unknown")
        + ".",
        "",
        f"**{_s(data.get('fleet_status')).upper()}**: "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("fail", "warn", "pass"))
        + " machine(s)",
        "",
        "## Machines",
        "",
    ]
    lines += _md_table(
        (
            "status",
            "machine",
            "envtool",
            "GPUs",
            "driver",
            "profile",
            "torch",
            "samples/s",
            "bench",
            "first problem",
            "fix",
        ),
        (
            (
                f"**{m['status'].upper()}**",
                e(m["label"]),
                e(_s(m.get("envtool_version"))),
                e(m["gpus"]),
                e(m["driver"]),
                e(m["profile"]),
                e(m["torch"]),
                _fmt_rate(m.get("samples_per_s")) if m.get("samples_per_s") is not None else "",
                e(m.get("bench_verdict") or ""),
                e((m.get("problem") or {}).get("title", "")),
                e((m.get("problem") or {}).get("fix", "")),
            )
            for m in machines
        ),
    )
    lines += ["", "## Checks", ""]
    lines += _md_table(
        ["machine"] + [e(c.get("title") or c.get("id")) for c in check_cols],
        ([e(m["label"])] + [m["checks"].get(c["id"], MISSING) for c in check_cols] for m in machines),
    )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- HTML


def _h(x: Any) -> str:
    return html.escape(str(x), quote=True)


@functools.cache
def _resource(name: str) -> str:
    """A stylesheet or script shipped in ``envtool/resources/`` (package data), read once.

    ``report.css`` styles every page. ``fleet.css`` keeps the fleet table light with 1,000
    machines: one short text node per check cell, colour from a one-letter class, no nested
    elements. ``fleet.js`` sorts by the clicked column (numbers numerically, text otherwise;
    ``data-v`` overrides the text) and hides rows whose status is unticked; without JS the
    table is already sorted failing-first. A link can carry the view:
    ``#sort=COLUMN_INDEX[&desc=1][&show=fail,warn]``.
    """
    return "\n" + (resources.files("envtool") / "resources" / name).read_text(encoding="utf-8")


_FLEET_BANNER = {"fail": "NOT READY", "warn": "READY, WITH WARNINGS", "pass": "ALL READY", "skip": "ALL READY"}
_CELL = {"pass": ("P", "\u2713"), "warn": ("W", "!"), "fail": ("F", "\u2717"), "skip": ("S", "\u2013")}


def _page(title: str, body: str, extra_css: str = "", script: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(title)}</title>\n<style>{_resource('report.css')}{extra_css}</style>\n</head>\n<body>\n<main>\n{body}</main>\n"
        + (f"<script>{script}</script>\n" if script else "")
        + "</body>\n</html>\n"
    )


def _badge(status: Any) -> str:
    s = _status(status)
    return f'<span class="b {s}">{s.upper()}</span>'


def _kv_html(rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f'<tr><td class="k">{_h(k)}</td><td>{_h(v)}</td></tr>' for k, v in rows)
    return f'<div class="scroll"><table>{body}</table></div>\n'


def svg_chart(values: Sequence[float], label: str, width: int = 640, height: int = 180) -> str:
    """A small inline SVG line chart of a per-step series (numbers only; the label is escaped)."""
    if not values:
        return ""
    pad_l, pad_r, pad_t, pad_b = 56, 12, 12, 28
    lo, hi = min(values), max(values)
    if hi == lo:  # a flat series still gets a visible line in the middle
        lo, hi = lo - 0.5 * (abs(lo) or 1), hi + 0.5 * (abs(hi) or 1)
    n = len(values)
    w, h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(i: int) -> float:
        return pad_l + (w * i / (n - 1) if n > 1 else w / 2)

    def y(v: float) -> float:
        return pad_t + h * (1 - (v - lo) / (hi - lo))

    pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    dots = (
        "".join(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5"/>' for i, v in enumerate(values)) if n <= 60 else ""
    )
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{_h(label)} per step" xmlns="http://www.w3.org/2000/svg">'
        f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="#f6f8fa" stroke="#d9dee7"/>'
        f'<text x="{pad_l - 6}" y="{pad_t + 10}" text-anchor="end" font-size="11" fill="#5b6475">{hi:.4g}</text>'
        f'<text x="{pad_l - 6}" y="{pad_t + h}" text-anchor="end" font-size="11" fill="#5b6475">{lo:.4g}</text>'
        f'<text x="{pad_l}" y="{height - 8}" font-size="11" fill="#5b6475">step 1</text>'
        f'<text x="{pad_l + w}" y="{height - 8}" text-anchor="end" font-size="11" fill="#5b6475">'
        f"step {n}: {_h(label)}</text>"
        f'<polyline points="{pts}" fill="none" stroke="#0969da" stroke-width="2"/>'
        f'<g fill="#0969da">{dots}</g></svg>'
    )


def render_html(envelope: Envelope) -> str:
    """A checklist report (or a merged fleet) as one self-contained HTML page."""
    if envelope.get("command") == MERGE_COMMAND:
        return render_fleet_html(envelope)
    data = _d(envelope.get("data"))
    checks = _checks(data)
    counts = _counts(c.get("status") for c in checks)
    overall = worst_status(c.get("status") for c in checks)
    host = _s(data.get("host"))
    meta = (
        f"Generated {_h(_s(data.get('generated_at')))} by envtool {_h(_s(data.get('envtool_version')))}"
        f" \u00b7 target {_h(_target_text(data))}"
    )
    first_bad = next((c for c in checks if _status(c.get("status")) == overall and overall != "pass"), None)
    banner_msg = {"pass": "ready", "warn": "ready, with warnings", "fail": "not ready"}[overall]
    if first_bad:
        banner_msg += f": {first_bad.get('title') or first_bad.get('id')}"
    parts = [
        f'<h1>envtool checklist: {_h(host)}</h1>\n<p class="meta">{meta}</p>\n',
        f'<div class="banner {overall}"><strong>{overall.upper()}</strong>{_h(banner_msg)}'
        f"<br><span>{_h(_counts_text(counts))}</span></div>\n",
        "<h2>Checklist</h2>\n",
    ]
    if checks:
        rows = "".join(
            f'<tr class="{_status(c.get("status"))}"><td>{_badge(c.get("status"))}</td>'
            f"<td><strong>{_h(c.get('title') or c.get('id') or '')}</strong></td>"
            f'<td>{_h(c.get("seen") or "")}</td><td class="fix">{_h(c.get("fix") or "")}</td>'
            f'<td class="num">{_h(_fmt_seconds(c.get("duration_s")))}</td></tr>'
            for c in checks
        )
        parts.append(
            '<div class="scroll"><table><thead><tr><th>status</th><th>check</th><th>seen</th><th>fix</th>'
            f'<th class="num">time</th></tr></thead><tbody>{rows}</tbody></table></div>\n'
        )
    else:
        parts.append("<p>No checks were run.</p>\n")
    parts += ["<h2>Machine</h2>\n", _kv_html(facts_rows(data)), "<h2>Bench</h2>\n"]
    bench = data.get("bench")
    brows = bench_rows(bench)
    if brows:
        parts.append(_kv_html(brows))
        label, series = bench_series(_d(bench))
        if series:
            parts.append(svg_chart(series, label))
    else:
        parts.append("<p>Not run.</p>\n")
    parts.append(
        f"<footer>{_h(host)} \u00b7 {_h(_s(data.get('generated_at')))}"
        f" \u00b7 envtool {_h(_s(data.get('envtool_version')))}</footer>\n"
    )
    return _page(f"envtool checklist: {host} ({overall.upper()})", "".join(parts))


def render_fleet_html(envelope: Envelope) -> str:
    """A merged fleet as one self-contained HTML page: sortable, filterable, failing machines first."""
    data = _d(envelope.get("data"))
    machines = [m for m in data.get("machines") or [] if isinstance(m, dict)]
    check_cols = [c for c in data.get("checks") or [] if isinstance(c, dict)]
    counts = _d(data.get("counts"))
    fleet = _status(data.get("fleet_status"))
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("fail", "warn", "pass"))
    versions = _d(data.get("envtool_versions"))
    parts = [
        f"<h1>envtool fleet report: {len(machines)} machine(s)</h1>\n",
        f'<p class="meta">Merged {_h(_s(data.get("merged_at")))} by envtool {_h(_s(data.get("envtool_version")))}'
        + (
            f" \u00b7 reports from envtool {_h(', '.join(f'{v} ({n})' for v, n in versions.items()))}"
            if versions
            else ""
        )
        + "</p>\n",
        f'<div class="banner {"pass" if fleet == "skip" else fleet}"><strong>{_h(_FLEET_BANNER[fleet])}</strong>'
        f"{counts.get('fail', 0)} failing, {counts.get('warn', 0)} with warnings, "
        f"{counts.get('pass', 0)} ready</div>\n",
        '<div class="controls" id="controls" hidden>Show: '
        + "".join(
            f'<label><input type="checkbox" data-s="{s}" checked> {s} ({counts.get(s, 0)})</label>'
            for s in ("fail", "warn", "pass")
        )
        + ' <span><span id="shown">'
        + str(len(machines))
        + "</span> shown; click a column to sort</span></div>\n",
    ]
    # Status, machine and the reason first, then the check matrix, then the details: what an
    # admin needs to act on stays on screen even when the details scroll off to the right.
    head = [("status", "s"), ("machine", "t"), ("first problem", "t"), ("fix", "t")]
    tail = [
        ("envtool", "t"),
        ("GPUs", "t"),
        ("driver", "t"),
        ("profile", "t"),
        ("torch", "t"),
        ("samples/s", "n"),
        ("bench", "t"),
    ]
    ths = "".join(f'<th data-k="{k}">{_h(t)}</th>' for t, k in head)
    ths += "".join(
        f'<th class="c" data-k="c" title="{_h(c.get("id"))}"><span>{_h(c.get("title") or c.get("id"))}</span></th>'
        for c in check_cols
    )
    ths += "".join(f'<th data-k="{k}"{" class=num" if k == "n" else ""}>{_h(t)}</th>' for t, k in tail)
    body: list[str] = []
    for m in machines:
        st = m["status"]
        sps = m.get("samples_per_s")
        prob = m.get("problem") or {}
        cells = [
            f'<td data-v="{_RANK[st]}">{_badge(st)}</td>',
            f'<td title="{_h(m.get("file") or "")}"><strong>{_h(m["label"])}</strong></td>',
            f'<td class="w">{_h(prob.get("title", ""))}</td><td class="w fix">{_h(prob.get("fix", ""))}</td>',
        ]
        for c in check_cols:
            cs = m["checks"].get(c["id"])
            if cs is None:
                cells.append(f'<td class="c M">{MISSING}</td>')
            else:
                cls, mark = _CELL[_status(cs)]
                cells.append(f'<td class="c {cls}" data-v="{_RANK[_status(cs)]}">{mark}</td>')
        cells += [
            f"<td>{_h(_s(m.get('envtool_version')))}</td>",
            f"<td>{_h(m['gpus'])}</td><td>{_h(m['driver'])}</td><td>{_h(m['profile'])}</td><td>{_h(m['torch'])}</td>",
            f'<td class="num" data-v="{sps if sps is not None else -1}">'
            f"{_fmt_rate(sps) if sps is not None else ''}</td>",
            f"<td>{_h(m.get('bench_verdict') or '')}</td>",
        ]
        body.append(f'<tr data-s="{st}" class="{st}">{"".join(cells)}</tr>\n')
    parts.append(
        f'<div class="scroll"><table class="fleet" id="fleet"><thead><tr>{ths}</tr></thead><tbody>\n'
        f"{''.join(body)}</tbody></table></div>\n"
    )
    parts.append(
        '<p class="meta">Check cells: \u2713 pass, ! warn, \u2717 fail, \u2013 skip,'
        " \u2014 not in that machine's report.</p>\n"
    )
    parts.append(
        f"<footer>fleet of {len(machines)} \u00b7 {_h(_s(data.get('merged_at')))}"
        f" \u00b7 envtool {_h(_s(data.get('envtool_version')))}</footer>\n"
    )
    return _page(f"envtool fleet report: {summary}", "".join(parts), _resource("fleet.css"), _resource("fleet.js"))


RENDERERS = {"html": render_html, "md": render_markdown, "json": render_json}


def render(envelope: Envelope, fmt: str) -> str:
    """Render ``envelope`` as ``html``, ``md`` or ``json``."""
    try:
        return RENDERERS[fmt](envelope)
    except KeyError:
        raise BadInputError(f"unknown format {fmt!r}; use one of {', '.join(RENDERERS)}") from None


def write_atomic(path: str, text: str) -> None:
    """Write a report so that a reader never sees half of it and a failure leaves the old file."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BadInputError(f"--output {path}: the folder {folder} does not exist")
    atomic_write_text(path, text, prefix=".envtool-report-")

"""`envtool report merge FILE... --output FILE`: merge checklist reports into one fleet view."""

from __future__ import annotations

import argparse
import os
from typing import Any

from envtool import redact
from envtool.commands import HELPS
from envtool.errors import BadInputError
from envtool.model import CommandResult

NAME = "report"
HELP = HELPS[NAME]


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="report_action", metavar="ACTION", required=True)
    m = sub.add_parser(
        "merge", help="merge checklist reports: machines x checks, not-ready machines first", description=HELP
    )
    m.add_argument(
        "files", nargs="+", metavar="FILE", help="checklist JSON reports (`envtool checklist --format json`)"
    )
    m.add_argument(
        "--format",
        choices=("html", "md", "json"),
        default=None,
        help="output format (default: from the --output suffix, else html)",
    )
    m.add_argument(
        "--output", "-o", required=True, metavar="FILE", help="where to write the merged report (written atomically)"
    )
    # The CLI adds --json/--debug to `report`; accept them after `merge` too. SUPPRESS keeps
    # this parser from overwriting a value given before `merge`.
    m.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON object on stdout")
    m.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    redact.add_argument(m)


def run(args: argparse.Namespace, ui: Any = None) -> CommandResult:
    from envtool import fleet, report

    fmt = args.format or report.FORMAT_BY_SUFFIX.get(os.path.splitext(args.output)[1].lower(), "html")
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise BadInputError(f"--output {args.output}: the folder {out_dir} does not exist")
    if ui is not None:
        ui.status(f"merging {len(args.files)} report(s)")
    # Every input is read and validated before anything is written.
    merged = fleet.merge_reports(args.files)
    # One redactor for the whole fleet: a host gets one placeholder in every row and file name.
    redactor = redact.process_redactor() if args.redact else None
    if redactor is not None:
        merged = redactor.redact(merged)
    text = report.render(merged, fmt)
    report.write_atomic(args.output, text)
    d = merged["data"]
    not_ready = [
        {"machine": m["label"], "status": m["status"], "problem": (m["problem"] or {}).get("title", "")}
        for m in d["machines"]
        if m["status"] != "pass"
    ]
    data = {
        "action": "merge",
        "output": args.output,
        "format": fmt,
        "machines": len(d["machines"]),
        "counts": d["counts"],
        "fleet_status": d["fleet_status"],
        "not_ready": not_ready,
    }
    # Like every other command: 1 when a check failed, here on any machine of the fleet, so a
    # lab's CI can gate on the merged report. Warnings alone are 0. The report is written either way.
    result = CommandResult(command=NAME, data=data, exit_code=1 if d["fleet_status"] == "fail" else 0)
    return result if redactor is None else redactor.result(result)


def render(result: CommandResult) -> list[Any]:
    """One summary line per not-ready machine (at most 20), then where the report went."""
    from rich.text import Text

    d = result.data
    c = d.get("counts") or {}
    items: list[Any] = []
    for row in (d.get("not_ready") or [])[:20]:
        style = "red" if row["status"] == "fail" else "yellow"
        items.append(
            Text.assemble(
                (row["status"].upper(), style),
                " ",
                (row["machine"], "bold"),
                f": {row['problem']}" if row["problem"] else "",
            )
        )
    more = len(d.get("not_ready") or []) - 20
    if more > 0:
        items.append(Text(f"... and {more} more"))
    items.append(
        Text(
            f"{d.get('machines')} machine(s): {c.get('fail', 0)} fail, {c.get('warn', 0)} warn, "
            f"{c.get('pass', 0)} pass; wrote {d.get('output')} ({d.get('format')})"
        )
    )
    return items

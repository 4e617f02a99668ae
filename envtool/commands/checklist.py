"""`envtool checklist`: the lab onboarding checklist, in order, with fixes, as a report to file."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import os
import socket
import sys
from pathlib import Path
from typing import Any

from envtool import redact
from envtool.commands import HELPS
from envtool.commands._common import add_profiles_dir, add_target, env_python
from envtool.errors import BadInputError
from envtool.model import CommandResult, Status, facts_to_data, to_jsonable
from envtool.util import atomic_write_text

NAME = "checklist"
HELP = HELPS[NAME]
_MARK = {"pass": ("PASS", "green"), "warn": ("WARN", "yellow"), "fail": ("FAIL", "bold red"), "skip": ("SKIP", "dim")}
_FORMATS = ("text", "md", "html", "json")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_target(p, "the environment to check")
    p.add_argument(
        "--profile",
        metavar="NAME",
        help="the profile the machine should fit (default: the checklist file's, else the recommended one)",
    )
    p.add_argument(
        "--checklist", metavar="FILE", help="a lab's checklist TOML: thresholds, which checks, its own commands"
    )
    p.add_argument("--format", choices=_FORMATS, default="text", help="what goes to the screen (default text)")
    p.add_argument(
        "--output", metavar="FILE", help="also write the report to FILE (.html, .md or .json by its extension)"
    )
    p.add_argument("--train", action="store_true", help="also run the sentiment smoke fine-tune (minutes)")
    add_profiles_dir(p)
    redact.add_argument(p)


def _target(args: argparse.Namespace) -> str:
    if args.prefix:
        # a missing one is reported by the "env" check, not refused here
        return env_python(args.prefix) or os.path.join(args.prefix, "bin", "python")
    return args.python or sys.executable


def _output_format(path: str) -> str:
    ext = Path(path).suffix.lower()
    fmt = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".json": "json"}.get(ext)
    if fmt is None:
        raise BadInputError(f"--output {path}: name the report .html, .md or .json")
    return fmt


def _context(args: argparse.Namespace, python: str, config: Any) -> Any:
    from envtool import bench, checklist, profiles, rules, runner
    from envtool.detect import collect_facts
    from envtool.errors import EnvtoolError
    from envtool.probes.torch_runtime import probe_torch_runtime

    exists = os.path.exists(python)
    facts = collect_facts(python=python if exists else None)
    if not exists:
        from envtool.model import PythonFacts

        facts = dataclasses.replace(facts, python=PythonFacts(executable=python))
    profs = profiles.load_profiles(args.profiles_dir)
    rec = rules.recommend(facts, profs)
    name = args.profile or config.expected_profile
    note = (
        "asked for"
        if args.profile
        else (f"expected by {config.source}" if config.expected_profile else "recommended by detect")
    )
    try:
        profile = profiles.find_profile(name or rec.name, profs)
    except BadInputError as exc:
        profile, note = None, str(exc)

    def transformers_probe() -> dict[str, Any]:
        done = runner.capture(
            [python, "-c", checklist.TRANSFORMERS_PROBE],
            timeout=180,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
            tie_to_parent=True,
        )
        return checklist.parse_last_json(done.stdout) or {"ok": False, "error": done.describe_failure(5)}

    def train() -> dict[str, Any]:
        done = bench.run_smoke(python, ["finetune_smoke.train", "--json"], timeout=900, with_data=True)
        return bench.result_of(done, python, 900)

    def command(cmd: Any) -> tuple[int | None, str]:
        try:
            done = runner.capture(list(cmd.argv), timeout=cmd.timeout)
        except EnvtoolError as exc:
            return 127, str(exc)
        return (None if done.timed_out else done.returncode), done.stdout + done.stderr

    return checklist.Context(
        facts=facts,
        python=python,
        python_exists=exists,
        config=config,
        profile=profile,
        profile_note=note,
        deep_probe=lambda: probe_torch_runtime(python, timeout=120)[0],
        transformers_probe=transformers_probe,
        workload=lambda options: bench.run_workload(python, options, timeout=900),
        train=train,
        command=command,
    ), rec


def run(args: argparse.Namespace, ui: Any = None) -> CommandResult:
    from envtool import checklist

    config = checklist.load_config(args.checklist)
    if args.train:
        config = dataclasses.replace(config, train=True)
    out_fmt = _output_format(args.output) if args.output else None
    python = _target(args)
    ctx, rec = _context(args, python, config)
    results = []
    for res in checklist.run_checks(ctx):
        results.append(res)
        if ui is not None:
            label, style = _MARK[str(res.status)]
            ui.status(f"[{style}]{label}[/] {res.title} [dim]({res.duration_s:.1f} s)[/dim]")
    data: dict[str, Any] = {
        "host": socket.gethostname(),
        "generated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "target": {"python": python, "profile": ctx.profile.name if ctx.profile else None},
        "checks": [to_jsonable(r) for r in results],
        "facts": facts_to_data(
            ctx.facts
            if "runtime" not in ctx.cache
            else dataclasses.replace(ctx.facts, torch_runtime=ctx.cache["runtime"])
        ),
        "recommended_profile": {"name": rec.name, "reasons": list(rec.reasons)},
        "bench": ctx.cache.get("bench"),
    }
    data = redact.maybe_data(args, data)  # before anything is rendered or written
    failed = any(r.status == Status.FAIL for r in results)
    result = CommandResult(command=NAME, data=data, exit_code=1 if failed else 0)
    if args.format != "text":
        from envtool import report
        from envtool.model import envelope

        result = dataclasses.replace(result, text=report.render(envelope(result), args.format))
    if args.output:
        from envtool import report
        from envtool.model import envelope

        text = report.render(envelope(result), out_fmt)  # type: ignore[arg-type]
        path = Path(args.output)
        try:
            atomic_write_text(path, text, prefix=".envtool-report-")
        except OSError as exc:
            raise BadInputError(f"--output {args.output}: cannot write ({exc.strerror or exc})") from exc
        data["report_file"] = str(path)
    return redact.maybe_result(args, result)


def render(result: CommandResult) -> list[Any]:
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    data = result.data
    t = Table.grid(padding=(0, 1))
    t.add_column(no_wrap=True)
    t.add_column(ratio=1)
    t.add_column(justify="right", no_wrap=True)
    counts: dict[str, int] = {}
    for c in data.get("checks", []):
        label, style = _MARK[c["status"]]
        counts[c["status"]] = counts.get(c["status"], 0) + 1
        t.add_row(Text(label, style=style), Text(c["title"], style="bold"), f"{c.get('duration_s', 0):.1f} s")
        if c.get("seen"):
            t.add_row("", Text(c["seen"]), "")
        if c.get("fix"):
            t.add_row("", Text.assemble(("fix: ", "dim"), c["fix"]), "")
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("pass", "warn", "fail", "skip"))
    items: list[Any] = [
        Rule(
            Text(f"Onboarding checklist: {data.get('host')} ({data.get('generated_at')})", style="bold"), align="left"
        ),
        t,
    ]
    status = "FAIL" if counts.get("fail") else "PASS"
    items.append(Text(f"{status}: {summary}", style="bold green" if status == "PASS" else "bold red"))
    if data.get("report_file"):
        items.append(Text(f"report written to {data['report_file']}"))
    return items

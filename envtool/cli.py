"""The command line: argparse subcommands, each a short adapter into the core.

This is the only module that prints. Commands return a ``CommandResult``; ``--json`` puts
exactly one envelope on stdout, otherwise ``envtool.render`` builds rich text for people.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from envtool import SCHEMA, __version__
from envtool.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, BadInputError, EnvtoolError
from envtool.model import CommandResult, Finding, Severity, facts_to_data, to_jsonable


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so --json can still answer with an envelope."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise BadInputError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object on stdout, everything else on stderr")
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    parser = _Parser(prog="envtool", description="Survey, provision and benchmark a deep-learning machine.", parents=[common])
    parser.add_argument("--version", action="version", version=f"envtool {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("detect", parents=[common], help="what this machine is, what is wrong with it, which profile fits")
    p.add_argument("--deep", action="store_true", help="also import torch in a subprocess and run a tiny kernel on each device")
    p.add_argument("--python", metavar="PATH", help="the target interpreter (default: the one running envtool)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="per-probe timeout in seconds (default 5)")
    p.add_argument("--deep-timeout", type=float, default=90.0, metavar="S", help="timeout of the deep probe (default 90)")
    p.add_argument("--profiles-dir", metavar="DIR", help="a lab's own profiles, overriding the built-in ones")

    p = sub.add_parser("diagnose", parents=[common], help="read a pasted collect_env dump or an envtool JSON report and diagnose it")
    p.add_argument("file", metavar="FILE", help="the report file, or - for standard input")
    p.add_argument("--profiles-dir", metavar="DIR", help="a lab's own profiles, overriding the built-in ones")

    p = sub.add_parser("profiles", parents=[common], help="list the profiles and whether each fits this machine")
    p.add_argument("--profiles-dir", metavar="DIR", help="a lab's own profiles, overriding the built-in ones")
    return parser


# --------------------------------------------------------------------------- commands


def _exit_for(findings: Sequence[Finding]) -> int:
    return 1 if any(f.severity == Severity.ERROR for f in findings) else 0


def cmd_detect(args: argparse.Namespace) -> CommandResult:
    from envtool import profiles, rules
    from envtool.detect import collect_facts

    if args.python and not os.path.exists(args.python):
        raise BadInputError(f"--python {args.python}: no such file; give the path of a Python interpreter")
    facts = collect_facts(python=args.python, deep=args.deep, probe_timeout=args.timeout, deep_timeout=args.deep_timeout)
    findings = rules.evaluate(facts)
    rec = rules.recommend(facts, profiles.load_profiles(args.profiles_dir))
    data = facts_to_data(facts)
    data["recommended_profile"] = {"name": rec.name, "reasons": list(rec.reasons)}
    return CommandResult(command="detect", data=data, findings=tuple(findings), exit_code=_exit_for(findings))


def cmd_diagnose(args: argparse.Namespace) -> CommandResult:
    from envtool import collect_env, profiles, rules

    if args.file == "-":
        text, name = sys.stdin.buffer.read().decode("utf-8", errors="replace"), "<stdin>"
    else:
        try:
            with open(args.file, "rb") as fh:
                text = fh.read().decode("utf-8", errors="replace")
        except OSError as exc:
            raise BadInputError(f"{args.file}: cannot read ({exc.strerror or exc}); give the path of a collect_env dump or an envtool JSON report") from exc
        name = args.file
    facts = collect_env.load_report(text, name)
    findings = rules.evaluate(facts)
    rec = rules.recommend(facts, profiles.load_profiles(args.profiles_dir))
    data = facts_to_data(facts)
    data["input"] = name
    data["recommended_profile"] = {"name": rec.name, "reasons": list(rec.reasons)}
    return CommandResult(command="diagnose", data=data, findings=tuple(findings), exit_code=_exit_for(findings))


def cmd_profiles(args: argparse.Namespace) -> CommandResult:
    from envtool import profiles, rules
    from envtool.detect import collect_facts

    profs = profiles.load_profiles(args.profiles_dir)
    facts = collect_facts()
    rec = rules.recommend(facts, profs)
    rows = []
    for p in profs:
        misfits = rules.profile_fit(p, facts)
        rows.append(
            {
                **to_jsonable(p),
                "cuda": p.cuda,
                "fits": not misfits,
                "why_not": [m.message for m in misfits],
                "recommended": p.name == rec.name,
            }
        )
    return CommandResult(command="profiles", data={"profiles": rows, "recommended_profile": {"name": rec.name, "reasons": list(rec.reasons)}})


COMMANDS = {"detect": cmd_detect, "diagnose": cmd_diagnose, "profiles": cmd_profiles}


# --------------------------------------------------------------------------- output


def envelope(result: CommandResult) -> dict[str, Any]:
    """The JSON contract (``envtool/1``): these keys, always, in this order."""
    return {
        "schema": SCHEMA,
        "command": result.command,
        "status": str(result.status),
        "exit_code": result.exit_code,
        "data": {**to_jsonable(result.data), "envtool_version": __version__},
        "findings": [to_jsonable(f) for f in result.findings],
        "errors": list(result.errors),
    }


def _emit(result: CommandResult, as_json: bool, out: TextIO, err: TextIO) -> None:
    if as_json:
        out.write(json.dumps(envelope(result), indent=2, ensure_ascii=False) + "\n")
        out.flush()
        return
    if result.errors and not result.data:
        for e in result.errors:
            err.write(f"envtool: error: {e}\n")
        return
    from envtool import render

    render.print_result(result, out)


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run envtool with ``argv`` (default: sys.argv[1:]) and return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    debug = "--debug" in argv
    command = next((a for a in argv if a in COMMANDS), "envtool")
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help and --version
            return int(exc.code or 0)
        if not args.command:
            parser.print_help(out)
            return EXIT_BAD_INPUT
        result = COMMANDS[args.command](args)
    except KeyboardInterrupt:
        err.write("envtool: interrupted\n")
        return EXIT_INTERRUPTED
    except EnvtoolError as exc:
        if debug:
            import traceback

            traceback.print_exc(file=err)
        result = CommandResult(command=command, errors=(str(exc),), exit_code=exc.exit_code)
        if not as_json:
            err.write(f"envtool: error: {exc}\n")
            return exc.exit_code
    except Exception as exc:  # a bug: one line, the traceback only with --debug
        if debug:
            raise
        msg = f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
        result = CommandResult(command=command, errors=(msg,), exit_code=1)
        if not as_json:
            err.write(f"envtool: {msg}\n")
            return 1
    _emit(result, as_json, out, err)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())

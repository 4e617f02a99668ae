"""The command line: argparse subcommands (``envtool/commands/``), and the only module that prints.

Commands return a ``CommandResult``. With ``--json`` exactly one envelope goes to stdout and
everything else to stderr; otherwise rich renderables are printed for people. While a
command runs it talks to the person only through the ``Ui`` given to it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from envtool import __version__, commands
from envtool.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, BadInputError, EnvtoolError
from envtool.model import CommandResult, envelope


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so --json can still answer with an envelope."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise BadInputError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that command's options are built (and its module imported)."""
    common = _Parser(add_help=False)
    common.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout, everything else on stderr"
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    common.add_argument(
        "--knowledge-dir",
        metavar="DIR",
        action="append",
        default=None,
        help="a lab's knowledge files over the built-in tables (also ENVTOOL_KNOWLEDGE_DIR; docs/knowledge.md)",
    )
    parser = _Parser(
        prog="envtool", description="Survey, provision and benchmark a deep-learning machine.", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"envtool {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, text in commands.HELPS.items():
        p = sub.add_parser(name, parents=[common], help=text, description=text)
        if only is None or name == only:
            commands.load(name).add_arguments(p)
    return parser


class Ui:
    """How a running command talks to the person: status lines, progress, a yes/no question.

    Everything goes to stderr, so ``--json`` output on stdout stays one object. With
    ``quiet`` (JSON mode) status lines are dropped; errors and questions are not.
    """

    def __init__(self, err: TextIO, *, quiet: bool = False, interactive: bool | None = None) -> None:
        self.err = err
        self.quiet = quiet
        self.interactive = sys.stdin.isatty() if interactive is None else interactive
        self._console: Any = None

    @property
    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.err, highlight=False)
        return self._console

    def status(self, message: str) -> None:
        """One line of progress (dropped in --json mode)."""
        if not self.quiet:
            self.console.print(message)

    def line(self, text: str) -> None:
        """A raw line of a child process's output (not markup-interpreted)."""
        if not self.quiet:
            self.console.out(text, highlight=False)

    @contextmanager
    def progress(self, description: str, total: float | None = None) -> Iterator[Any]:
        """A rich progress bar on stderr; yields ``advance(n=1, description=None)``."""
        if self.quiet or not self.err.isatty():
            yield lambda n=1, description=None: None
            return
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        ) as prog:
            task = prog.add_task(description, total=total)

            def advance(n: float = 1, description: str | None = None) -> None:
                prog.update(task, advance=n, description=description)

            yield advance

    def confirm(self, question: str) -> bool:
        """Ask yes/no on the terminal; without one, the answer is no (use --yes)."""
        if not self.interactive:
            return False
        self.err.write(f"{question} [y/N] ")
        self.err.flush()
        answer = sys.stdin.readline().strip().lower()
        return answer in ("y", "yes")


def _emit(result: CommandResult, as_json: bool, out: TextIO, err: TextIO) -> None:
    if as_json:
        out.write(json.dumps(envelope(result), indent=2, ensure_ascii=False) + "\n")
        out.flush()
        return
    for e in result.errors:
        err.write(f"envtool: error: {e}\n")
    if result.text is not None:  # an export: byte for byte, never wrapped by a console
        out.write(result.text if result.text.endswith("\n") else result.text + "\n")
        out.flush()
        return
    if not result.data and not result.findings:
        return
    from rich.console import Console

    from envtool import render

    mod = commands.load(result.command) if result.command in commands.NAMES else None
    items = mod.render(result) if mod is not None and hasattr(mod, "render") else render.renderables(result)
    console = Console(file=out, highlight=False)
    for item in items:
        console.print(item)


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run envtool with ``argv`` (default: sys.argv[1:]) and return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    debug = "--debug" in argv
    command = next((a for a in argv if a in commands.NAMES), "envtool")
    try:
        parser = build_parser(only=command if command in commands.NAMES else None)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help and --version
            return int(exc.code or 0)
        if not args.command:
            parser.print_help(out)
            return EXIT_BAD_INPUT
        from envtool import knowledge

        # read from argv itself: argparse's subparser default would hide a value given before the command
        knowledge.use_knowledge_dirs(
            [v for i, a in enumerate(argv[:-1]) if a == "--knowledge-dir" for v in (argv[i + 1],)]
            + [a.split("=", 1)[1] for a in argv if a.startswith("--knowledge-dir=")]
        )
        knowledge.check_knowledge_dirs()  # a bad knowledge file is exit 2 before any work
        ui = Ui(err, quiet=as_json)
        result: CommandResult = commands.load(args.command).run(args, ui)
    except KeyboardInterrupt:
        err.write("envtool: interrupted\n")
        result = CommandResult(command=command, errors=("interrupted",), exit_code=EXIT_INTERRUPTED)
        if not as_json:
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

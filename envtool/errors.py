"""The tool's own errors. Each carries the exit code the CLI returns for it."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # a check, finding or verification failed
EXIT_BAD_INPUT = 2  # usage, profile, file
EXIT_EXTERNAL = 3  # an installer, the network, the target python
EXIT_INTERRUPTED = 130


class EnvtoolError(Exception):
    """Base class: an error the CLI shows as one line, without a traceback."""

    exit_code = EXIT_FAILED


class BadInputError(EnvtoolError):
    """Bad usage, a bad profile or file: say which file, which key, and the fix.

    The message is one line whatever a user's file holds: a key or value with a line break in it
    is shown with the break escaped.
    """

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: object = "") -> None:
        text = str(message).strip()
        super().__init__(text.replace("\r", "\\r").replace("\n", "\\n"))


class ExternalError(EnvtoolError):
    """An external program (installer, target python, network) failed."""

    exit_code = EXIT_EXTERNAL


class ToolNotFoundError(ExternalError):
    """A program envtool needs is not on PATH."""

    def __init__(self, tool: str, hint: str = "") -> None:
        msg = f"'{tool}' was not found on PATH"
        if hint:
            msg += f"; {hint}"
        super().__init__(msg)
        self.tool = tool

"""One module per subcommand, each a short adapter into the core.

A command module defines:

- ``NAME`` and ``HELP``;
- ``add_arguments(parser)``: its options (``--json`` and ``--debug`` are added by the CLI);
- ``run(args, ui) -> CommandResult``: does the work and prints nothing; ``ui`` (from the CLI)
  is the only way to talk to the person while it runs (progress, a yes/no question);
- optionally ``render(result) -> list`` of rich renderables for people; without it the
  CLI uses ``envtool.render.renderables``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# Each command and its one-line help, in the order of `envtool --help`. The help lives here so
# that building the parser imports only the command being run (detect must start fast).
HELPS: dict[str, str] = {
    "detect": "what this machine is, what is wrong with it, which profile fits",
    "diagnose": "name the root cause in a pasted report (collect_env, nvidia-smi, package lists, logs, torch errors)",
    "profiles": "list the profiles and whether each fits this machine",
    "bench": (
        "time a real BERT fine-tuning step (forward, backward, AdamW) and judge it against what the device should reach"
    ),
    "report": "merge checklist JSON reports of many machines into one HTML, Markdown or JSON fleet report",
    "plan": "print the steps that would install a profile into a new environment (runs nothing)",
    "install": "install a profile into a NEW environment and verify it (torch, transformers, GPUs, a BERT step)",
    "checklist": "the lab onboarding checklist: every check in order, pass/warn/fail with the fix, as a report",
    "knowledge": "show envtool's knowledge tables (GPUs, torch builds, drivers) and which file each fact came from",
    "onboard": "provision an environment (profile auto), verify and bench it, and write the checklist report",
    "check": "compare an environment envtool installed with its envtool-lock.json: drift, a replaced torch, the guard",
}
NAMES = tuple(HELPS)


def load(name: str) -> ModuleType:
    return importlib.import_module(f"envtool.commands.{name}")

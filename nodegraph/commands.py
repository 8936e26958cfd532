"""Commands a node library adds to ``nodegraph`` (``model``, ``train``...).

The ``nodegraph.commands`` entry-point group maps a command name to a module that
offers one of two shapes:

- ``SUMMARY`` (one line for ``nodegraph --help``), ``add_arguments(parser)`` and
  ``run(args) -> int``: ``nodegraph`` parses the options (``args`` is the
  ``argparse.Namespace``; a command with actions adds its own subparsers);
- ``SUMMARY`` and ``main(argv) -> int``: the command parses its own arguments
  (``argv`` is everything after its name, ``--help`` included).

The module is imported when the command runs or ``nodegraph --help`` lists it, so
it should import its heavy dependencies inside ``run``/``main``. A library whose
command fails to import is named, with the error, when that command is asked for.
"""

from __future__ import annotations

import argparse
import logging
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

log = logging.getLogger("nodegraph.commands")

ENTRY_POINT_GROUP = "nodegraph.commands"


def library_commands() -> dict[str, ModuleType | str]:
    """Command name → its module, or the error text when it failed to import."""
    commands: dict[str, ModuleType | str] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            commands[ep.name] = ep.load()
        except Exception as exc:  # a broken library must not break the other commands
            commands[ep.name] = f"{ep.value} failed to import: {type(exc).__name__}: {exc}"
    return commands


def parses_own_arguments(command: ModuleType | str) -> bool:
    """Whether ``command`` is of the second shape (``main(argv)``)."""
    return isinstance(command, ModuleType) and hasattr(command, "main")


def add_parsers(sub: Any, commands: dict[str, ModuleType | str]) -> None:
    """Add a parser per library command to the subparsers ``sub``; each sets
    ``func`` to a callable ``(args) -> int``."""
    for name, command in commands.items():
        if isinstance(command, str):
            parser = sub.add_parser(name, help=f"(unavailable: {command})")
            parser.set_defaults(func=lambda args, why=command: _unavailable(why))
        elif parses_own_arguments(command):
            parser = sub.add_parser(name, add_help=False, help=f"{command.SUMMARY} "
                                    f"({name} --help)")
            parser.add_argument("args", nargs=argparse.REMAINDER)
            parser.set_defaults(func=lambda args, main=command.main: main(args.args))
        else:
            parser = sub.add_parser(name, help=command.SUMMARY, description=command.SUMMARY)
            command.add_arguments(parser)
            parser.set_defaults(func=command.run)


def _unavailable(why: str) -> int:
    log.error("%s", why)
    return 1

"""The base of this project's management commands: a bad argument is told in
one line (`manage.py add: error: ... (see manage.py add --help)`) instead of
argparse's usage block. Other failures are turned into one line by manage.py."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    # Django's system checks load every URL and view module first, a third of a
    # command's start; `migrate` (which `make run` runs first) still checks.
    requires_system_checks: list[str] = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        prog = parser.prog

        def error(message: str):
            if parser.called_from_command_line:
                parser.exit(2, f"{prog}: error: {message} (see {prog} --help)\n")
            raise CommandError(f"Error: {message}")

        parser.error = error  # type: ignore[method-assign]
        return parser

#!/usr/bin/env python
"""Run a management command on the instance in DATA_DIR.

Before any command but help and Django's migration commands, DATA_DIR is set
up as `make run` would (events.setup). A failure a user can cause (a bad
argument, an unusable DATA_DIR, a missing file, a database that cannot be
opened) is printed as one line on stderr, with exit status 1 (2 for bad
arguments); `--traceback` shows the Python traceback instead.
"""

import os
import sys

# Commands that work without a set-up DATA_DIR (or set it up themselves).
NO_SETUP = {"help", "version", "migrate", "makemigrations", "showmigrations", "sqlmigrate", "squashmigrations"}
HELP_FLAGS = {"-h", "--help", "--version"}


def command_name(argv: list[str]) -> str:
    return argv[1] if len(argv) > 1 else "help"


def needs_setup(argv: list[str]) -> bool:
    name = command_name(argv)
    return name not in NO_SETUP and name not in HELP_FLAGS and not HELP_FLAGS & set(argv[2:])


def run(argv: list[str]) -> None:
    import django
    from django.core.management import execute_from_command_line

    from events.setup import check_data_dir, ensure_ready

    if command_name(argv) != "help" and not HELP_FLAGS & set(argv[1:]):
        check_data_dir()  # before loading the apps: an unusable DATA_DIR fails fast
    django.setup()
    if needs_setup(argv):
        ensure_ready()
    execute_from_command_line(argv)


def describe(exc: BaseException) -> str:
    """One line for a failure: what went wrong, without Python's internals."""
    from django.db import DatabaseError

    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename}" if exc.filename else ""
        return f"error:{where}: {exc.strerror}" if where else f"error: {exc.strerror}"
    if isinstance(exc, DatabaseError):
        return f"error: database: {exc}"
    text = str(exc).strip() or type(exc).__name__
    name = type(exc).__module__.split(".")[0]
    if name in ("events", "sync", "calendar_p2p") or isinstance(exc, ValueError | LookupError):
        return f"error: {text}"
    return f"error: {type(exc).__name__}: {text} (run again with --traceback for details)"


def main() -> None:
    os.umask(0o077)  # DATA_DIR's files are the owner's alone (events.setup.make_private)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calendar_p2p.settings")
    try:
        run(sys.argv)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:
        if "--traceback" in sys.argv:
            raise
        message = " ".join(describe(exc).split())
        sys.stderr.write(message[:2000] + "\n")
        sys.exit(1)


if __name__ == "__main__":
    main()

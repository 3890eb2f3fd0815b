"""Make DATA_DIR a working instance, as `make run` would: create the
directory, migrate both databases (`default`: the log; `index`: its view),
make the identity key pair and `instance.json`.

`ensure_ready()` runs before every management command (manage.py) and when
the server starts (sync/runtime.py). When everything is already set up it
costs a few `stat` calls: a stamp file records what was set up (the code's
migrations and the database files, by inode), and only when that no longer
matches (a fresh directory, a deleted `index.sqlite3`, a restored database,
new migrations) does it take the setup lock and check for real. An index
database that had to be created is folded from the log again at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import stat
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

STAMP = ".setup-stamp"
LOCK = ".setup.lock"
DATABASES = ("default", "index")


class SetupError(Exception):
    """DATA_DIR cannot be made a working instance (the message says why)."""


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


def check_data_dir() -> None:
    """Raise SetupError when DATA_DIR is not a writable directory."""
    if getattr(settings, "DATA_DIR_ERROR", ""):
        raise SetupError(settings.DATA_DIR_ERROR)
    where = data_dir()
    if not where.is_dir():
        raise SetupError(f"DATA_DIR {where} is not a directory")
    if not os.access(where, os.W_OK | os.X_OK):
        raise SetupError(f"DATA_DIR {where} is not writable")


def _sqlite_files() -> dict[str, Path]:
    return {
        alias: Path(settings.DATABASES[alias]["NAME"])
        for alias in DATABASES
        if settings.DATABASES[alias]["ENGINE"].endswith("sqlite3")
    }


def _fingerprint() -> str | None:
    """What the stamp records; None when a file setup makes is missing."""
    from django.apps import apps

    parts = []
    for app in apps.get_app_configs():
        folder = Path(app.path) / "migrations"
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(".py") and n != "__init__.py")
        except OSError:
            continue
        parts.append(f"{app.label}:{','.join(names)}")
    for alias in DATABASES:
        db = settings.DATABASES[alias]
        parts.append(f"{alias}:{db['ENGINE']}:{db.get('HOST', '')}:{db.get('PORT', '')}:{db['NAME']}")
    for alias, path in _sqlite_files().items():
        try:
            st = os.stat(path)
        except OSError:
            return None
        parts.append(f"{alias}-file:{st.st_dev}:{st.st_ino}")
    from events.identity import KEY_FILE
    from events.instance import FILE

    for name in (KEY_FILE, FILE):
        if not (data_dir() / name).exists():
            return None
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def is_ready() -> bool:
    fingerprint = _fingerprint()
    if fingerprint is None:
        return False
    try:
        return (data_dir() / STAMP).read_text().strip() == fingerprint
    except OSError:
        return False


PRIVATE_UMASK = 0o077


def make_private(where: Path | None = None) -> None:
    """DATA_DIR holds the owner's sessions, keys and calendar: from now on this
    process creates files only its user can read (SQLite's -wal and -shm too),
    and what is already there is made 0700 (directories) and 0600 (files)."""
    os.umask(PRIVATE_UMASK)
    where = where or data_dir()
    try:
        top = os.lstat(where)
    except OSError:
        return
    if stat.S_ISDIR(top.st_mode) and stat.S_IMODE(top.st_mode) & 0o077:
        os.chmod(where, stat.S_IMODE(top.st_mode) & 0o700 | 0o700)
    for root, dirs, files in os.walk(where):
        for name in dirs + files:
            _private(os.path.join(root, name))


def _private(path: str) -> None:
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode) or not stat.S_IMODE(st.st_mode) & 0o077:
        return
    try:
        os.chmod(path, 0o700 if stat.S_ISDIR(st.st_mode) else stat.S_IMODE(st.st_mode) & 0o700)
    except OSError as e:  # a file of another user: say so, and go on
        logger.warning("cannot make %s private: %s", path, e.strerror or e)


def ensure_ready() -> None:
    """Set DATA_DIR up unless it is; raise SetupError when it cannot be."""
    check_data_dir()
    try:
        make_private()
    except OSError as e:
        raise SetupError(f"cannot make DATA_DIR {data_dir()} private: {e.strerror or e}") from None
    if is_ready():
        return
    try:
        with _setup_lock():
            if not is_ready():
                _set_up()
    except OSError as e:
        raise SetupError(f"cannot set up DATA_DIR {data_dir()}: {e.strerror or e}") from None


@contextlib.contextmanager
def _setup_lock():
    """One process sets up at a time (two commands started on a fresh directory)."""
    fd = os.open(data_dir() / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _set_up() -> None:
    from django.db import DatabaseError

    from events import instance, log
    from events.index.fold import rebuild
    from events.routers import INDEX_DB

    fresh_index = False
    for alias, path in _sqlite_files().items():
        if not path.exists():
            # a left-over write-ahead log of a deleted database must not be replayed into the new one
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            fresh_index = fresh_index or alias == INDEX_DB
    try:
        for alias in DATABASES:
            if _migrate(alias) and alias == INDEX_DB:
                fresh_index = True
        log.signing_key()
        if not instance.path().exists():
            _move_legacy_time_zone()
            instance.ensure_file()
        if fresh_index:
            count = rebuild()
            if count:
                logger.info("the index was made again from the %d log entries", count)
        _own_calendar_entries()
    except DatabaseError as e:
        raise SetupError(f"cannot set up the databases in DATA_DIR {data_dir()}: {e}") from None
    fingerprint = _fingerprint()
    if fingerprint is not None:
        _write_stamp(fingerprint)


def _own_calendar_entries() -> None:
    """Publish the encryption key and make the Personal calendar; while
    writes are held (a restored backup), the first write does it later."""
    from events import log
    from events.calendars.own import ensure_own_entries

    if settings.MODE == "mirror":
        return
    try:
        ensure_own_entries()
    except log.LocalWritesHeld as e:
        logger.warning("calendar set-up waits: %s", e)


def _migrate(alias: str) -> bool:
    """Apply the migrations `alias` lacks; True if it had none applied before."""
    from django.core.management import call_command
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return False
    empty = not executor.loader.applied_migrations
    call_command("migrate", database=alias, verbosity=0, interactive=False)
    return empty


def _move_legacy_time_zone() -> None:
    """Earlier versions kept the owner's zone in the Preference table: move it
    to instance.json, which now holds the one time zone of the instance."""
    from events import instance
    from events.models import Preference
    from events.preferences import TZ_KEY
    from events.recurrence.timing import is_zone

    row = Preference.objects.filter(key=TZ_KEY).first()
    if row is None:
        return
    if is_zone(row.value) and not instance.stored().get("time_zone"):
        instance.save(time_zone=row.value)
    row.delete()


def _write_stamp(fingerprint: str) -> None:
    where = data_dir() / STAMP
    tmp = where.with_name(f"{STAMP}.{os.getpid()}")
    tmp.write_text(fingerprint + "\n")
    os.replace(tmp, where)


def prepare_server(host: str, port: int | str) -> None:
    """At server start: set up, record who the server is, repair an index
    whose rows were deleted while its cursor stayed, and check the log quickly
    (events/health.py: what is wrong is logged and shown on every owner page;
    the server starts anyway, so the owner can see it and export what is sound)."""
    from events import health, instance

    ensure_ready()
    try:
        instance.record_server_start(host, port)
    except OSError as e:
        raise SetupError(f"cannot write {instance.path()}: {e.strerror or e}") from None
    _repair_emptied_index()
    health.check_at_start()


def _repair_emptied_index() -> None:
    from events.index.fold import rebuild
    from events.models import IndexCursor, IndexKey, LogEntry
    from events.routers import INDEX_DB

    cursor = IndexCursor.objects.using(INDEX_DB).filter(pk=1).first()
    if cursor is None or cursor.arrival == 0 or IndexKey.objects.using(INDEX_DB).exists():
        return
    # No event rows is right for a log with no event yet (a new instance's key and calendar entries)
    if LogEntry.objects.filter(raw__contains='"type":"event.').exists():
        logger.info("the index has a cursor but no rows: folding the log again")
        rebuild()

"""Shared fixtures and options."""

import importlib
import os

import pytest
from hypothesis import settings

from devtools.services import SERVICE_VARIABLES

# In CI every property test draws the same examples, so a run cannot fail by
# chance; locally they explore new examples each time.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

TRIGGERS = ("log_entry_no_update", "log_entry_no_delete")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
OWNER_PASSWORD = "correct horse battery"



@pytest.fixture(scope="session", autouse=True)
def services():
    """The PostgreSQL databases and Redis this test run uses (`make test-postgres`), by
    variable, or {}. Once the settings have read them they leave the environment, so
    commands and instances the tests start keep SQLite files in their own DATA_DIR;
    a test hands them on explicitly (`Instance(..., services=...)`)."""
    from django.conf import settings

    _ = settings.DATABASES  # read before the variables go
    found = {name: os.environ.pop(name) for name in SERVICE_VARIABLES if name in os.environ}
    yield found
    os.environ.update(found)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases; on PostgreSQL, before they are dropped, end the
    sessions that worker threads (database_sync_to_async, the tests' own) left open."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for conn in connections.all():
            if conn.vendor == "postgresql":
                with conn.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                conn.close()


@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher():
    """In-process tests hash passwords with MD5: microseconds instead of the
    production hasher's deliberate fraction of a second per login or account.
    Real instances (`spawn`) are separate processes and keep the production hasher."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        yield


# --- personas ------------------------------------------------------------------------------


@pytest.fixture
def owner(db, django_user_model):
    """The instance owner's account (its password is OWNER_PASSWORD)."""
    return django_user_model.objects.create_user("owner", password=OWNER_PASSWORD)


@pytest.fixture
def owner_client(owner):
    """A Django test client logged in as the owner (a client of its own, not `client`)."""
    from django.test import Client

    c = Client()
    c.force_login(owner)
    return c


@pytest.fixture
def paired_peer(db):
    """A paired peer with its own Ed25519 key (`tests.support.personas.Persona`): sign entries
    as it with `paired_peer.feed(n)`, connect as it with `await paired_peer.session()`."""
    from tests.support.personas import Persona, pair

    return pair(Persona("peer"))


@pytest.fixture
def stranger():
    """A key nobody paired (`tests.support.personas.Persona`), e.g. `await stranger.connect()`."""
    from tests.support.personas import Persona

    return Persona("stranger")


@pytest.fixture
def flushable_log(transactional_db):
    """Transactional tests end with a flush (DELETE on SQLite): lift the append-only
    triggers for it, and put them back for the next test. PostgreSQL flushes with
    TRUNCATE, which row triggers do not see."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    install = importlib.import_module("events.migrations.0002_append_only")
    with connection.cursor() as cur:
        existing = {r[0] for r in cur.execute("select name from sqlite_master where type = 'trigger'")}
        for name, sql in zip(TRIGGERS, install.SQLITE, strict=True):
            if name not in existing:
                cur.execute(sql)
    yield
    _until_no_table_is_locked(connection)
    with connection.cursor() as cur:
        for name in TRIGGERS:
            cur.execute(f"DROP TRIGGER IF EXISTS {name}")


def _until_no_table_is_locked(connection, timeout: float = 10.0) -> None:
    """Let database work the test left running (a session's disconnect, a hub
    woken by the test's last write, in the database thread) end before the
    flush: in SQLite's shared-cache memory database a table another connection
    still reads cannot be emptied ("database table is locked")."""
    import time

    from asgiref.sync import SyncToAsync
    from django.db import OperationalError

    SyncToAsync.single_thread_executor.submit(lambda: None).result(timeout)
    deadline = time.monotonic() + timeout
    with connection.cursor() as cur:
        tables = [r[0] for r in cur.execute("select name from sqlite_master where type = 'table'")]
        for table in tables:
            while True:
                try:  # takes the table's write lock, as the flush's DELETE will, and changes nothing
                    cur.execute(f'DELETE FROM "{table}" WHERE 0')
                    break
                except OperationalError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)


@pytest.fixture(scope="session")
def instance_template(tmp_path_factory):
    """Migrated databases, copied into every real instance a test starts."""
    from devtools.instances import Instance

    return Instance.template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def databases_for(request, services):
    """`databases_for("a")`: the services a real instance named "a" runs on. In a test
    marked `postgres_too`, run with PostgreSQL and Redis (`make test-postgres`), that is
    databases of its own there, dropped after the test; otherwise {} (SQLite files)."""
    import uuid

    from devtools.services import drop_services, own_services

    on_postgres = "DATABASE_URL" in services and request.node.get_closest_marker("postgres_too") is not None
    made = []

    def make(name: str) -> dict[str, str]:
        if not on_postgres:
            return {}
        made.append(own_services(f"{name}_{uuid.uuid4().hex[:8]}", services))
        return made[-1]

    yield make
    for own in made:
        drop_services(own)


@pytest.fixture
def spawn(tmp_path, instance_template, databases_for):
    """Start real daphne instances: `spawn("a")`, or with Instance options such as a fixed
    "now" and zone, `spawn("a", now="2026-11-29T10:00", tz="Europe/Bucharest")`; all are
    killed after the test (see `databases_for` for where their data lives)."""
    from devtools.instances import Instance

    started = []

    def make(name: str, **options) -> Instance:
        options.setdefault("services", databases_for(name))
        inst = Instance(tmp_path / name, instance_template, name=name, **options).start()
        started.append(inst)
        return inst

    yield make
    for inst in started:
        inst.kill()


def pytest_addoption(parser):
    parser.addoption(
        "--long", action="store_true", default=False,
        help="resilience tests: run the long schedules (more instances, operations and crash trials)",
    )


@pytest.fixture(scope="session")
def long_mode(request) -> bool:
    """True with `pytest --long` or CONVERGENCE_LONG=1."""
    return bool(request.config.getoption("--long")) or os.environ.get("CONVERGENCE_LONG", "") not in ("", "0")


@pytest.fixture(autouse=True)
def fresh_login_throttle():
    """Each test starts with no failed logins counted (events.throttle lives in process memory)."""
    from events import throttle

    throttle.reset()
    yield


@pytest.fixture(autouse=True)
def own_head_dir(tmp_path_factory, monkeypatch):
    """Each test keeps the record of our feed's head and the waiting writes
    (events/own_head.py) in a directory of its own: the test databases are new
    for each test, a record left by another test would disagree with them."""
    from events import own_head

    where = tmp_path_factory.mktemp("own-head")
    monkeypatch.setattr(own_head, "state_dir", lambda: where)
    return where

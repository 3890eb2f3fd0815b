"""Shared fixtures and options."""

import importlib
import os

import pytest
from hypothesis import settings

# In CI every property test draws the same examples, so a run cannot fail by
# chance; locally they explore new examples each time.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

TRIGGERS = ("log_entry_no_update", "log_entry_no_delete")


@pytest.fixture
def flushable_log(transactional_db):
    """Transactional tests end with a flush (DELETE): lift the append-only
    triggers for it, and put them back for the next test."""
    from django.db import connection

    install = importlib.import_module("events.migrations.0002_append_only")
    with connection.cursor() as cur:
        existing = {r[0] for r in cur.execute("select name from sqlite_master where type = 'trigger'")}
        for name, sql in zip(TRIGGERS, install.SQLITE, strict=True):
            if name not in existing:
                cur.execute(sql)
    yield
    with connection.cursor() as cur:
        for name in TRIGGERS:
            cur.execute(f"DROP TRIGGER IF EXISTS {name}")


@pytest.fixture(scope="session")
def instance_template(tmp_path_factory):
    """Migrated databases, copied into every real instance a test starts."""
    from devtools.instances import Instance

    return Instance.template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def spawn(tmp_path, instance_template):
    """Start real daphne instances: `spawn("a")`; all are killed after the test."""
    from devtools.instances import Instance

    started = []

    def make(name: str) -> Instance:
        inst = Instance(tmp_path / name, instance_template, name=name).start()
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

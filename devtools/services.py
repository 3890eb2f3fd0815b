"""Databases of their own in one PostgreSQL cluster and Redis, for a real
instance or a benchmark (`.ci/services run ...` provides the cluster).

    services = own_services("a", cluster)   # {"DATABASE_URL": ..., "INDEX_DATABASE_URL": ..., "REDIS_URL": ...}
    Instance(path, name="a", services=services)
    drop_services(services)

Each name gets two fresh databases (the log and the index) and a Redis
database number of its own, so that two instances on one Redis never hear
each other's groups.
"""

from __future__ import annotations

import itertools
import os
import re
from urllib.parse import urlsplit, urlunsplit

SERVICE_VARIABLES = ("DATABASE_URL", "INDEX_DATABASE_URL", "REDIS_URL")
REDIS_DATABASES = 16  # Redis's default `databases`; number 0 is left to the process itself
_redis_numbers = itertools.cycle(range(1, REDIS_DATABASES))


def cluster() -> dict[str, str]:
    """The PostgreSQL and Redis this process was given, by variable, or {}."""
    return {name: os.environ[name] for name in SERVICE_VARIABLES if os.environ.get(name)}


def _database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def admin_connection(url: str):
    """An autocommit connection to the cluster of `url` (its `postgres` database)."""
    import psycopg

    return psycopg.connect(_database(url, "postgres"), autocommit=True)


def own_services(name: str, given: dict[str, str]) -> dict[str, str]:
    """Fresh databases named after `name` (dropped first if a killed run left
    them) in the cluster of `given`, and a Redis database of their own."""
    if not re.fullmatch(r"[a-z0-9_]{1,40}", name):
        raise ValueError(f"not a database name: {name!r}")
    with admin_connection(given["DATABASE_URL"]) as admin:
        for db in (name, f"{name}_index"):
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{db}"')
    found = {
        "DATABASE_URL": _database(given["DATABASE_URL"], name),
        "INDEX_DATABASE_URL": _database(given["DATABASE_URL"], f"{name}_index"),
    }
    if given.get("REDIS_URL"):
        found["REDIS_URL"] = _database(given["REDIS_URL"], str(next(_redis_numbers)))
    return found


def drop_services(services: dict[str, str]) -> None:
    """Drop the databases `own_services` made."""
    with admin_connection(services["DATABASE_URL"]) as admin:
        for variable in ("DATABASE_URL", "INDEX_DATABASE_URL"):
            db = urlsplit(services[variable]).path.lstrip("/")
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

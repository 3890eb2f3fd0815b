"""Real instances for multi-process tests and benchmarks: daphne subprocesses
on free ports, each with its own DATA_DIR, driven through manage.py.

    template = Instance.template(tmp_path)            # migrate once
    a = Instance(tmp_path / "a", template, name="a").start()
    b = Instance(tmp_path / "b", template, name="b", now="2026-11-29T10:00", tz="Europe/Bucharest")
    a.manage("invite")  -> stdout
    a.stop()  /  a.kill()  (SIGKILL)

The template holds migrated databases only: every instance makes its own
identity key and secret on first start.

`now=` fixes the calendar's "now" (CALENDAR_NOW, an ISO datetime, wall-clock
time in the instance's zone without an offset) and `tz=` the instance's zone
(TIME_ZONE), so that what its pages show does not depend on the day tests run.

`services=` names its PostgreSQL databases and Redis ({"DATABASE_URL": ...,
"INDEX_DATABASE_URL": ..., "REDIS_URL": ...}); without it an instance keeps
SQLite files in its DATA_DIR and the in-memory channel layer, whatever the
test process itself uses.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devtools.services import SERVICE_VARIABLES

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DB_FILES = ("calendar.sqlite3", "index.sqlite3")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    def __init__(
        self,
        data_dir: Path,
        template: Path | None = None,
        *,
        name: str = "instance",
        port: int | None = None,
        public_url: str | None = None,
        now: str | None = None,
        tz: str | None = None,
        mode: str | None = None,
        services: dict[str, str] | None = None,
    ):
        self.data_dir = Path(data_dir)
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.public_url = public_url or self.url  # what peers are told to dial (e.g. a proxy)
        self.now = now  # the calendar's fixed "now" (CALENDAR_NOW), None for the real time
        self.tz = tz  # the instance's zone (TIME_ZONE), None for the inherited one
        self.mode = mode  # MODE: "mirror" for a mirror, None for a calendar
        self.services = dict(services or {})  # DATABASE_URL, INDEX_DATABASE_URL, REDIS_URL
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir / "daphne.log"
        if not self.data_dir.exists():
            self.data_dir.mkdir(parents=True)
            if template is not None:
                for f in DB_FILES:
                    if (template / f).exists():
                        shutil.copy2(template / f, self.data_dir / f)

    @staticmethod
    def template(where: Path) -> Path:
        """A data dir with migrated databases and no identity."""
        where = Path(where)
        where.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
        env["DATA_DIR"] = str(where)
        for db in ("default", "index"):
            subprocess.run([PYTHON, "manage.py", "migrate", "--database", db, "-v", "0"], cwd=REPO, env=env, check=True)
        for f in ("identity.key", "secret_key"):
            (where / f).unlink(missing_ok=True)
        for f in where.glob("*.sqlite3-*"):
            f.unlink()
        return where

    @property
    def env(self) -> dict[str, str]:
        # The databases and channel layer of the test process are its own: an
        # instance gets its SQLite files unless given `services` of its own.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k not in SERVICE_VARIABLES}
        env.update(self.services)
        env.update(
            DATA_DIR=str(self.data_dir),
            PUBLIC_URL=self.public_url,
            INSTANCE_NAME=self.name,
            PORT=str(self.port),
            DJANGO_SETTINGS_MODULE="calendar_p2p.settings",
        )
        if self.now is not None:
            env["CALENDAR_NOW"] = self.now
        if self.tz is not None:
            env["TIME_ZONE"] = self.tz
        if self.mode is not None:
            env["MODE"] = self.mode
        return env

    def launch(self) -> Instance:
        """Start the server process without waiting for it to answer."""
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "calendar_p2p.asgi:application"],
            cwd=REPO,
            env=self.env,
            stdout=logf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        logf.close()
        return self

    def start(self, wait: float = 20.0) -> Instance:
        self.launch()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.url + "/", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start on {self.url}")

    def _signal(self, sig: int, wait: float = 10.0) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def manage(self, *args: str, check: bool = True, timeout: float = 120.0) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} on {self.name} failed ({done.returncode}): {done.stderr}{done.stdout}")
        return done.stdout

    def run_python(self, code: str) -> str:
        """Run Python with Django set up for this instance (e.g. to append entries)."""
        return self.manage("shell", "-v", "0", "-c", code)

    def append(self, *texts: str) -> None:
        """Append note entries to this instance's own feed (beside the running server)."""
        bodies = [{"type": "note", "text": t} for t in texts]
        self.run_python(f"from events import log\nfor b in {bodies!r}: log.append_local(b)")

    def peers(self) -> dict:
        return json.loads(self.manage("peers", "--json"))

    def author(self) -> str:
        return self.peers()["self"]["author"]

    def rows(self, sql: str, params: tuple = (), *, index: bool = False) -> list[tuple]:
        """Read the instance's log (or its index) directly, read-only, from its
        SQLite file or its PostgreSQL database. `sql` uses `?` placeholders."""
        if "DATABASE_URL" in self.services:
            import psycopg

            url = self.services["INDEX_DATABASE_URL" if index else "DATABASE_URL"]
            with psycopg.connect(url) as db:
                return [tuple(r) for r in db.execute(sql.replace("?", "%s"), params).fetchall()]
        name = "index.sqlite3" if index else "calendar.sqlite3"
        db = sqlite3.connect(f"file:{self.data_dir / name}?mode=ro", uri=True, timeout=30)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def stores(self, text: str) -> bool:
        """True if `text` is anywhere the instance keeps data: a file of its
        DATA_DIR or, on PostgreSQL, any row of its two databases."""
        needle = text.encode()
        if any(needle in p.read_bytes() for p in self.data_dir.rglob("*") if p.is_file()):
            return True
        if "DATABASE_URL" not in self.services:
            return False
        import psycopg

        for variable in ("DATABASE_URL", "INDEX_DATABASE_URL"):
            with psycopg.connect(self.services[variable]) as db:
                tables = [t for (t,) in db.execute(
                    "select table_name from information_schema.tables where table_schema = 'public'")]
                for table in tables:  # each row as text, bytea columns in hex and as bytes
                    for (row,) in db.execute(f'select t::text from "{table}" t'):
                        if text in row or needle.hex() in row:
                            return True
        return False

    def vector(self) -> dict[str, int]:
        return dict(self.rows("select author, seq from log_feed"))

    def hashes(self) -> set[str]:
        return {h for (h,) in self.rows("select hash from log_entry")}

    def has_entry(self, hash_: str) -> bool:
        return bool(self.rows("select 1 from log_entry where hash = ?", (hash_,)))

    def peak_rss_kb(self) -> int:
        """VmHWM of the server process."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


SEED_CODE = """
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from events.entry import sign_entry
from events import log
for a in range({authors}):
    key, prev, batch = Ed25519PrivateKey.generate(), None, []
    for seq in range(1, {per} + 1):
        e = sign_entry(key, seq=seq, prev=prev, body={{"type": "note", "text": "seeded entry %d of author %d" % (seq, a)}},
                       time=1795000000000 + seq)
        prev = e.hash
        batch.append(e)
        if len(batch) == 2000:
            assert {{o.result for o in log.receive(batch)}} == {{"stored"}}
            batch = []
    if batch:
        assert {{o.result for o in log.receive(batch)}} == {{"stored"}}
"""

CHECK_CODE = """
from events import log
from events.entry import parse_entry
heads = {}
n = 0
for e in log.all_entries():
    e2 = parse_entry(e.raw)
    seq, head = heads.get(e.author, (0, None))
    assert e.seq == seq + 1 and e.prev == head, (e.author, e.seq)
    heads[e.author] = (e.seq, e2.hash)
    n += 1
assert {a: s for a, (s, _) in heads.items()} == log.vector()
print(n)
"""


def seed(instance: Instance, n: int, authors: int = 4) -> None:
    """Store `n` entries signed by `authors` fresh keys into `instance` (fast path: sign + receive)."""
    instance.run_python(SEED_CODE.format(authors=authors, per=n // authors))


def check_log(instance: Instance) -> int:
    """Re-validate every stored entry and chain; returns the entry count."""
    return int(instance.run_python(CHECK_CODE).strip())

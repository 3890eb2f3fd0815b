"""Two daphne processes serve one instance behind one PostgreSQL database and
one Redis server (docs/deploy.md): a write through either reaches the open
pages of both, and exactly one of them dials peers, the other taking over
within seconds when it dies. Runs in `make test-postgres` only."""

import http.cookiejar
import json
import urllib.request
import uuid
from urllib.parse import urlencode, urlsplit

import pytest
from websockets.sync.client import connect

from devtools.instances import Instance, wait_until
from devtools.services import admin_connection, drop_services, own_services
from sync.leader import APPLICATION_NAME

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PASSWORD = "correct horse battery"
NOW = "2026-11-29T10:00"


@pytest.fixture
def instance_services(services):
    """Databases of their own in the test run's PostgreSQL, and its Redis."""
    if "DATABASE_URL" not in services or "REDIS_URL" not in services:
        pytest.skip("needs PostgreSQL and Redis (make test-postgres)")
    own = own_services(f"two_processes_{uuid.uuid4().hex[:8]}", services)
    yield own
    drop_services(own)


@pytest.fixture
def two_processes(tmp_path, instance_services):
    """One instance (one DATA_DIR, one database) served by two daphne processes."""
    data = tmp_path / "data"
    one = Instance(data, name="shared", services=instance_services, now=NOW, tz="UTC")
    two = Instance(data, name="shared", services=instance_services, now=NOW, tz="UTC", public_url=one.url)
    two.log_path = tmp_path / "two.log"
    started = []
    try:
        started.append(one.start())
        started.append(two.start())
        yield one, two
    finally:
        for inst in started:
            inst.kill()


class Owner:
    """The owner's browser: one cookie jar for both processes (cookies go by host, not port)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def get(self, url: str) -> str:
        return self.opener.open(url, timeout=20).read().decode()

    def post(self, url: str, fields: dict, *, page: str) -> str:
        self.get(page)  # sets the CSRF cookie
        data = urlencode({**fields, "csrfmiddlewaretoken": self.cookie("csrftoken")}).encode()
        request = urllib.request.Request(url, data, headers={"Referer": page})
        return self.opener.open(request, timeout=60).read().decode()

    def live(self, inst: Instance):
        """The calendar page's /ws/live/ socket at `inst`."""
        host = urlsplit(inst.url).netloc
        headers = {"Origin": inst.url, "Cookie": f"sessionid={self.cookie('sessionid')}"}
        return connect(f"ws://{host}/ws/live/", additional_headers=headers, open_timeout=20)


def _told(socket) -> dict:
    return json.loads(socket.recv(timeout=20))


def test_a_write_through_either_process_reaches_the_pages_of_both(two_processes):
    import redis

    one, two = two_processes
    owner = Owner()
    owner.post(one.url + "/setup/", {"password": PASSWORD, "password2": PASSWORD}, page=one.url + "/setup/")
    assert "Sign in" not in owner.get(two.url + "/")  # the session is in the shared database
    with owner.live(one) as page_one, owner.live(two) as page_two:
        groups = redis.Redis.from_url(one.services["REDIS_URL"])
        wait_until(lambda: groups.zcard("asgi:group:live") == 2, 20, message="both pages in the Redis group")
        owner.post(one.url + "/quick/add/", {"text": "lunch with ana tomorrow at noon"}, page=one.url + "/")
        assert _told(page_one) == _told(page_two) == {"type": "index.changed"}
        owner.post(two.url + "/quick/add/", {"text": "dentist tomorrow at 4pm"}, page=two.url + "/")
        assert _told(page_one) == _told(page_two) == {"type": "index.changed"}
    for inst in (one, two):
        page = owner.get(inst.url + "/agenda/")
        assert "lunch with ana" in page.lower() and "dentist" in page.lower()


def _dialing_pid(services: dict) -> int | None:
    """The process holding the dialer's lock, by the name its connection carries."""
    database = urlsplit(services["DATABASE_URL"]).path.lstrip("/")
    with admin_connection(services["DATABASE_URL"]) as admin:
        rows = admin.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = %s AND a.application_name LIKE %s",
            [database, APPLICATION_NAME + "%"],
        ).fetchall()
    assert len(rows) <= 1, rows
    return int(rows[0][0].rsplit(" ", 1)[1].rstrip(")")) if rows else None


def test_one_process_dials_and_the_other_takes_over_when_it_dies(two_processes, instance_services):
    one, two = two_processes
    wait_until(lambda: _dialing_pid(instance_services) == one.pid, 20, message="the first process dials")
    wait_until(lambda: "waiting for the dialer's lock" in two.log_text(), 20, message="the second one waits")
    assert "dials peers now" not in two.log_text()
    one.kill()
    wait_until(lambda: _dialing_pid(instance_services) == two.pid, 15, message="the second process takes over")
    assert "dials peers now" in two.log_text()

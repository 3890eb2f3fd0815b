"""Attacks found against real instances, each closed (docs/reliability.md, "Hardening")."""

import pytest
from django.test import Client

from sync import pairing, protocol
from sync.models import PairingRequest

pytestmark = pytest.mark.django_db(databases=["default", "index"])

KEY = "ab" * 32


# --- 5. the invite page shows the configured address, not the request's Host -------------------


def test_the_invite_page_ignores_the_host_header(settings, owner):
    settings.PUBLIC_URL = "https://cal.example.org"
    page = Client(HTTP_HOST="evil.example").get("/pair/abcdefghijklmnopqrstuvwxyz012345/").content.decode()
    assert "https://cal.example.org/pair/abcdefghijklmnopqrstuvwxyz012345/" in page
    assert "evil.example" not in page


# --- 7. a request over the cap is refused, not "recorded" -------------------------------------


def test_a_pairing_request_over_the_cap_is_refused_truthfully(monkeypatch):
    monkeypatch.setattr(pairing, "MAX_PENDING_REQUESTS", 3)
    for i in range(3):
        with pytest.raises(pairing.PairingRefused) as e:
            pairing.admit(key=f"{i:02x}" * 32, name=f"p{i}", url=None, invite=None)
        assert e.value.code == "pending"
    with pytest.raises(pairing.PairingRefused) as e:
        pairing.admit(key=KEY, name="one too many", url=None, invite=None)
    assert e.value.code != "pending" and "not recorded" in e.value.message
    assert protocol.ProtocolError(e.value.code, "").closes
    assert not PairingRequest.objects.filter(author=KEY).exists()
    with pytest.raises(pairing.PairingRefused) as e:  # one already waiting is still told the truth
        pairing.admit(key="00" * 32, name="p0", url=None, invite=None)
    assert e.value.code == "pending"


# --- 9. control characters in peer names are dropped at the door -------------------------------

HOSTILE_NAME = "evil\x1b[2J\x1b]0;pwned\x07\r\nname\u202e\x00"


def test_a_hello_name_loses_its_control_characters():
    frame = protocol.hello(key=KEY, nonce="cd" * 32, name=HOSTILE_NAME, url=None)
    name = protocol.decode(frame)["name"]
    assert name == "evil[2J]0;pwned name"
    assert all(c.isprintable() for c in name)


def test_a_pairing_request_name_is_stored_without_control_characters():
    with pytest.raises(pairing.PairingRefused):
        pairing.admit(key=KEY, name=HOSTILE_NAME, url=None, invite=None)
    stored = PairingRequest.objects.get(author=KEY).name
    assert stored.isprintable() and "\x1b" not in stored
    peer = pairing.record_paired(key="cd" * 32, name=HOSTILE_NAME, url="http://127.0.0.1:1")
    assert peer.name.isprintable()


# --- 6. a path-traversal attempt on /static is a quiet 404 ------------------------------------


async def _get(app, path: str) -> tuple[int, bytes]:
    from asgiref.testing import ApplicationCommunicator

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"host", b"127.0.0.1")], "scheme": "http", "server": ("127.0.0.1", 8000),
             "client": ("127.0.0.1", 1234), "http_version": "1.1", "asgi": {"version": "3.0"}}
    comm = ApplicationCommunicator(app, scope)
    await comm.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await comm.receive_output(5)
    body = b""
    while True:
        message = await comm.receive_output(5)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    return start["status"], body


@pytest.mark.parametrize("path", ["/static/../../../../etc/passwd", "/static/..%2f..%2fetc/passwd",
                                  "/static/%2e%2e/%2e%2e/etc/passwd", "/static/app.js/../../settings.py"])
async def test_static_path_traversal_is_a_quiet_404(path, caplog):
    from urllib.parse import unquote

    from django.core.asgi import get_asgi_application

    from calendar_p2p.static import QuietStaticFilesHandler

    app = QuietStaticFilesHandler(get_asgi_application())
    status, body = await _get(app, unquote(path))
    assert status == 404 and b"root:" not in body
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL") or r.exc_info], caplog.text
    assert (await _get(app, "/static/app.js"))[0] == 200


# --- 3. cookies are Secure behind HTTPS ---------------------------------------------------------

COOKIES = ("import json; from django.conf import settings as s; print(json.dumps([s.SESSION_COOKIE_SECURE,"
           " s.CSRF_COOKIE_SECURE, getattr(s, 'SECURE_PROXY_SSL_HEADER', None)]))")


def _cookie_settings(tmp_path, **env):
    import json
    import subprocess
    import sys
    from pathlib import Path

    env = {"DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "calendar_p2p.settings", "PATH": "/usr/bin:/bin", **env}
    out = subprocess.run([sys.executable, "-c", COOKIES], cwd=Path(__file__).resolve().parents[1], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_cookies_are_secure_when_the_public_url_is_https(tmp_path):
    assert _cookie_settings(tmp_path / "a", PUBLIC_URL="http://127.0.0.1:8000") == [False, False, None]
    assert _cookie_settings(tmp_path / "b", PUBLIC_URL="https://cal.example.org")[:2] == [True, True]
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "instance.json").write_text('{"public_url": "https://cal.example.org"}')
    assert _cookie_settings(tmp_path / "c")[:2] == [True, True]
    assert _cookie_settings(tmp_path / "d", BEHIND_HTTPS_PROXY="1") == [True, True, ["HTTP_X_FORWARDED_PROTO", "https"]]


# --- 1. DATA_DIR and every file in it are the owner's alone --------------------------------------


def _modes(where):
    import os
    import stat

    found = {".": stat.S_IMODE(os.stat(where).st_mode)}
    for path in where.rglob("*"):
        found[str(path.relative_to(where))] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


def test_a_command_leaves_data_dir_private_and_fixes_an_existing_one(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "old-notes.txt").write_text("x")
    os.chmod(data / "old-notes.txt", 0o644)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k not in ("PUBLIC_URL", "TIME_ZONE")}
    env.update(DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="calendar_p2p.settings")
    code = "from django.contrib.auth.models import User; User.objects.create_user('owner', password='pw123456')"
    subprocess.run(["sh", "-c", f'umask 022; exec "{sys.executable}" manage.py shell -v 0 -c "{code}"'],
                   cwd=Path(__file__).resolve().parents[1], env=env, check=True, capture_output=True, timeout=120)
    modes = _modes(data)
    assert "calendar.sqlite3" in modes and "secret_key" in modes
    loose = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert not loose, loose


def test_make_private_fixes_every_file_and_directory(tmp_path):
    import os

    from events.setup import make_private

    old = os.umask(0o022)
    try:
        (tmp_path / "static" / "css").mkdir(parents=True)
        for name in ("calendar.sqlite3", "calendar.sqlite3-wal", "calendar.sqlite3-shm", "static/css/app.css"):
            (tmp_path / name).write_text("x")
        os.chmod(tmp_path, 0o755)
        make_private(tmp_path)
        assert not {n: oct(m) for n, m in _modes(tmp_path).items() if m & 0o077}
        (tmp_path / "new").write_text("x")  # the process's files from now on, too
        assert not _modes(tmp_path)["new"] & 0o077
    finally:
        os.umask(old)


# --- 2. failed logins are throttled per address and globally -----------------------------------


@pytest.fixture
def throttle_clock(monkeypatch):
    from events import throttle

    now = [1000.0]
    monkeypatch.setattr(throttle, "_clock", lambda: now[0])
    throttle.reset()
    yield now
    throttle.reset()


def _login(password: str, address: str = "203.0.113.5"):
    return Client(REMOTE_ADDR=address).post("/login/", {"password": password})


def test_failed_logins_are_throttled_per_address_and_the_owner_gets_in_after_the_window(owner, throttle_clock):
    from events import throttle
    from tests.conftest import OWNER_PASSWORD

    for _ in range(throttle.ADDRESS_LIMIT):
        assert _login("wrong").status_code == 400
    refused = _login(OWNER_PASSWORD)  # even the right password waits: no oracle while locked
    assert refused.status_code == 429
    assert f"Too many attempts, try again in {int(throttle.WINDOW)} seconds" in refused.content.decode()
    assert refused["Retry-After"] == str(int(throttle.WINDOW))
    assert _login(OWNER_PASSWORD, address="198.51.100.7").status_code == 302  # another address is not locked
    throttle_clock[0] += 120
    assert "try again in 180 seconds" in _login(OWNER_PASSWORD).content.decode()
    throttle_clock[0] += 180
    assert _login(OWNER_PASSWORD).status_code == 302


def test_failed_logins_are_throttled_globally(owner, throttle_clock, monkeypatch):
    from events import throttle
    from tests.conftest import OWNER_PASSWORD

    monkeypatch.setattr(throttle, "GLOBAL_LIMIT", 12)
    for i in range(12):
        assert _login("wrong", address=f"192.0.2.{i}").status_code == 400
    assert _login(OWNER_PASSWORD, address="192.0.2.200").status_code == 429
    throttle_clock[0] += throttle.WINDOW
    assert _login(OWNER_PASSWORD, address="192.0.2.200").status_code == 302


# --- 8. the dialer does not reach into private networks for a peer ----------------------------

PRIVATE_URLS = ["http://10.0.0.5:8000", "http://192.168.1.1", "http://127.0.0.1:8000", "http://169.254.169.254/",
                "http://[::1]:8000", "http://[fe80::1]:80", "http://[::ffff:10.1.2.3]/", "http://localhost:8000",
                "http://0.0.0.0:8000"]


@pytest.mark.parametrize("url", PRIVATE_URLS)
async def test_a_public_instance_refuses_to_dial_a_private_address_a_peer_names(settings, url):
    from sync.dialer import dial_refusal

    settings.PUBLIC_URL, settings.ALLOW_PRIVATE_PEERS = "https://cal.example.org", False
    assert "refused to dial" in await dial_refusal(url)
    assert await dial_refusal("https://93.184.216.34/") == ""
    settings.ALLOW_PRIVATE_PEERS = True
    assert await dial_refusal(url) == ""


async def test_an_instance_on_a_private_network_dials_private_peers(settings):
    from sync.dialer import dial_refusal

    settings.ALLOW_PRIVATE_PEERS = False
    for own in ("http://192.168.1.10:8000", "http://127.0.0.1:8000", "http://localhost:8000"):
        settings.PUBLIC_URL = own
        assert await dial_refusal("http://10.0.0.5:8000") == ""


async def test_the_dialer_does_not_connect_to_a_refused_address(settings, monkeypatch):
    from sync import dialer
    from sync.hub import Hub

    settings.PUBLIC_URL, settings.ALLOW_PRIVATE_PEERS = "https://cal.example.org", False

    async def never(*args, **kwargs):
        raise AssertionError("dialed")

    monkeypatch.setattr(dialer, "run_connection", never)
    hub = Hub()
    result = await dialer.sync_peer_once(KEY, "http://169.254.169.254/", hub=hub)
    assert not result.ok and not result.reached and "refused to dial" in result.message


# --- 4. a strict Content-Security-Policy on every page -----------------------------------------


def test_every_page_sends_the_content_security_policy(owner_client, client):
    from calendar_p2p.security import POLICY
    from tests.test_web_security import ALL, dummy_path

    assert "script-src 'self'" in POLICY and "'unsafe-inline'" not in POLICY.replace("style-src-attr 'unsafe-inline'", "")
    for name, _ in ALL:
        path = dummy_path(name)
        for c in (owner_client, client):
            response = c.get(path)
            assert response["Content-Security-Policy"] == POLICY, (path, response.status_code)
    for path in ("/", "/week/", "/agenda/", "/peers/", "/settings/", "/login/", "/no-such-page/"):
        assert owner_client.get(path)["Content-Security-Policy"] == POLICY, path


def test_templates_have_no_inline_script_or_event_handler():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path in [*root.glob("templates/**/*.html"), *root.glob("*/templates/**/*.html")]:
        html = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"inline script in {path}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"event-handler attribute in {path}"
        assert "<style" not in html and "javascript:" not in html, path

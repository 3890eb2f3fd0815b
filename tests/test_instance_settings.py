"""Who the instance is (public URL, name, time zone): DATA_DIR/instance.json,
the environment over it, the Settings page, and a server and the commands
agreeing on it."""

import json
import os
import stat
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from events import instance
from events.preferences import viewer_tz

PASSWORD = "correct horse battery"


@pytest.fixture
def own_dir(settings, tmp_path):
    """A data directory of this test's own, and no value from the environment."""
    settings.DATA_DIR = tmp_path
    settings.PUBLIC_URL = settings.INSTANCE_NAME = settings.CALENDAR_TIME_ZONE = ""
    settings.HOST, settings.PORT = "127.0.0.1", "8000"
    return tmp_path


# --- the file and its precedence ------------------------------------------------------


def test_without_file_or_environment_the_defaults_apply(own_dir):
    now = instance.current()
    assert now.public_url == "http://127.0.0.1:8000"
    assert now.name and now.time_zone
    assert set(now.source.values()) == {"default"}


def test_the_file_is_private_and_its_values_apply_at_once(own_dir):
    instance.save(public_url="https://cal.example.org", name="kitchen", time_zone="Europe/Bucharest")
    path = own_dir / "instance.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "public_url": "https://cal.example.org", "name": "kitchen", "time_zone": "Europe/Bucharest"}
    now = instance.current()
    assert (now.public_url, now.name, now.time_zone) == ("https://cal.example.org", "kitchen", "Europe/Bucharest")
    assert viewer_tz() == "Europe/Bucharest"
    instance.save(name="hall")  # merged, and seen by the next read without a restart
    assert (instance.name(), instance.public_url()) == ("hall", "https://cal.example.org")
    assert not [p for p in own_dir.iterdir() if p.name.startswith(".instance.json")]  # no temporary left


def test_the_environment_overrides_the_file(own_dir, settings):
    instance.save(public_url="https://cal.example.org", name="kitchen")
    settings.PUBLIC_URL, settings.INSTANCE_NAME = "https://other.example.org", "env-name"
    now = instance.current()
    assert (now.public_url, now.name) == ("https://other.example.org", "env-name")
    assert now.from_environment("public_url") and now.from_environment("name")
    assert not now.from_environment("time_zone")


def test_the_server_address_comes_before_this_process_own_default(own_dir, settings):
    instance.save(server_url="http://127.0.0.1:8101")
    assert instance.public_url() == "http://127.0.0.1:8101"
    assert instance.current().source["public_url"] == "server"
    instance.save(public_url="https://cal.example.org")
    assert instance.public_url() == "https://cal.example.org"


def test_a_server_start_records_what_the_environment_gives(own_dir, settings):
    settings.PUBLIC_URL, settings.INSTANCE_NAME = "https://cal.example.org/", "kitchen"
    instance.record_server_start("127.0.0.1", "8101")
    assert instance.stored() == {
        "public_url": "https://cal.example.org", "name": "kitchen", "server_url": "http://127.0.0.1:8101"}
    settings.PUBLIC_URL = settings.INSTANCE_NAME = ""
    instance.record_server_start("127.0.0.1", "8102")  # a restart without them keeps them
    assert (instance.public_url(), instance.name()) == ("https://cal.example.org", "kitchen")
    assert instance.stored()["server_url"] == "http://127.0.0.1:8102"


@pytest.mark.parametrize("url, cleaned", [
    ("https://cal.example.org/", "https://cal.example.org"),
    ("HTTP://Cal.Example.org:8443/calendar", "http://cal.example.org:8443/calendar"),
    ("http://[::1]:8000", "http://[::1]:8000"),
    ("http://192.168.1.20:8001", "http://192.168.1.20:8001"),
])
def test_public_urls_are_normalized(url, cleaned):
    assert instance.clean_public_url(url) == cleaned


@pytest.mark.parametrize("url, says", [
    ("", "Give the address"),
    ("cal.example.org", "http:// or https://"),
    ("ftp://cal.example.org", "http:// or https://"),
    ("http://", "host name"),
    ("http://:8000", "host name"),
    ("https://cal.example.org:99999", "port"),
    ("https://cal.example.org?x=1", "query"),
    ("https://cal.example.org/#top", "fragment"),
    ("https://user:pw@cal.example.org", "user name or password"),
    ("https://cal.example.org/a b", "spaces"),
    ("https://cal.example.org/\x00", "control characters"),
    ("https://cal.example.org/<script>", "path"),
    ("https://cal.example.org/pair/x", "path"),
    ("https://cal.example.org/" + "a" * 600, "longer than"),
])
def test_bad_public_urls_are_refused_with_a_reason(url, says):
    with pytest.raises(ValueError, match=says):
        instance.clean_public_url(url)


@pytest.mark.parametrize("name, says", [
    ("", "Give the name"), ("   ", "Give the name"), ("a" * 101, "longer than 100"),
    ("kitchen\nhall", "control characters"), ("bell\x07", "control characters"),
])
def test_bad_names_are_refused_with_a_reason(name, says):
    with pytest.raises(ValueError, match=says):
        instance.clean_name(name)


def test_names_are_trimmed_and_may_be_any_script():
    assert instance.clean_name("  Ana’s calendar 📅 ") == "Ana’s calendar 📅"


@pytest.mark.parametrize("url, loopback", [
    ("http://127.0.0.1:8000", True), ("http://127.1.2.3", True), ("http://localhost:8000", True),
    ("http://[::1]:8000", True), ("http://LOCALHOST.", True), ("http://app.localhost", True),
    ("http://192.168.1.20:8000", False), ("https://cal.example.org", False), ("http://[2001:db8::1]", False),
])
def test_loopback_addresses_are_recognized(url, loopback):
    assert instance.is_loopback(url) is loopback


# --- the Settings page ---------------------------------------------------------------


PAGE = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture
def client_in(db, own_dir):
    owner = get_user_model().objects.create_user("owner", password=PASSWORD)
    c = Client()
    c.force_login(owner)
    return c


@PAGE
def test_the_page_changes_the_name_and_public_url(client_in):
    response = client_in.post("/settings/", {"name": "kitchen", "public_url": "https://cal.example.org/", "tz": "UTC"})
    assert response.status_code == 302
    assert (instance.name(), instance.public_url()) == ("kitchen", "https://cal.example.org")
    page = client_in.get("/settings/").content.decode()
    assert "friends now see this instance as “kitchen”" in page
    assert 'value="https://cal.example.org"' in page and 'value="kitchen"' in page
    assert "loopback-warning" not in page


@PAGE
def test_the_page_warns_about_a_loopback_public_url(client_in):
    page = client_in.get("/settings/").content.decode()  # the default http://127.0.0.1:8000
    assert "loopback-warning" in page and "no friend" in page
    assert client_in.post("/settings/", {"public_url": "http://localhost:8001"}).status_code == 302
    assert "loopback-warning" in client_in.get("/settings/").content.decode()


@PAGE
def test_the_page_refuses_bad_values_and_says_why(client_in):
    before = instance.current()
    response = client_in.post("/settings/", {"name": "a\x07b", "public_url": "cal.example.org", "tz": "UTC"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "control characters" in page and "http:// or https://" in page
    assert instance.current() == before
    assert not (client_in.post("/settings/", {"tz": "Nowhere/Land"}).status_code == 302)


@PAGE
def test_a_field_left_out_keeps_its_value(client_in):
    instance.save(name="kitchen")
    assert client_in.post("/settings/", {"tz": "Europe/Bucharest"}).status_code == 302
    assert (instance.name(), viewer_tz()) == ("kitchen", "Europe/Bucharest")


@PAGE
def test_values_set_by_the_environment_are_shown_but_not_changed(client_in, settings):
    settings.PUBLIC_URL, settings.INSTANCE_NAME = "https://env.example.org", "env-name"
    page = client_in.get("/settings/").content.decode()
    assert "Set by the PUBLIC_URL environment variable" in page
    assert "Set by the INSTANCE_NAME environment variable" in page
    assert page.count("disabled") >= 2
    response = client_in.post("/settings/", {"name": "kitchen", "public_url": "https://cal.example.org", "tz": "UTC"})
    assert response.status_code == 302
    assert (instance.name(), instance.public_url()) == ("env-name", "https://env.example.org")
    assert "name" not in instance.stored() and "public_url" not in instance.stored()


@PAGE
def test_a_change_shows_at_once_in_every_page(client_in):
    assert client_in.post("/settings/", {"name": "Ana's kitchen"}).status_code == 302
    assert "Ana&#x27;s kitchen" in client_in.get("/peers/").content.decode()


# --- a server and the commands agree -------------------------------------------------


@pytest.mark.slow
def test_invite_without_the_environment_prints_the_server_url(tmp_path, instance_template):
    from devtools.instances import PYTHON, REPO, Instance

    server = Instance(tmp_path / "a", instance_template, name="kitchen", public_url="https://cal.example.org").start()
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "INSTANCE_NAME", "PORT", "HOST")}
        env["DATA_DIR"] = str(server.data_dir)

        def manage(*args):
            done = subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            return done.stdout

        assert manage("invite").startswith("https://cal.example.org/pair/")
        assert json.loads(manage("whoami", "--json"))["name"] == "kitchen"
        assert server.peers()["self"]["name"] == "kitchen"
    finally:
        server.stop()
    # restarted without PUBLIC_URL and INSTANCE_NAME, on another port: still the same instance
    again = Instance(server.data_dir, name="kitchen")
    again_env = {k: v for k, v in again.env.items() if k not in ("PUBLIC_URL", "INSTANCE_NAME")}
    proc = subprocess.Popen(
        [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(again.port), "calendar_p2p.asgi:application"],
        cwd=REPO, env=again_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        import urllib.request

        from devtools.instances import wait_until

        def answers():
            try:
                return urllib.request.urlopen(again.url + "/", timeout=1).status
            except OSError:
                return None

        wait_until(answers, timeout=30, message="the restarted server")
        assert manage("invite").startswith("https://cal.example.org/pair/")
        stored = json.loads((server.data_dir / "instance.json").read_text())
        assert stored["name"] == "kitchen" and stored["server_url"] == again.url
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_without_public_url_the_server_address_is_the_public_url(tmp_path, instance_template):
    """PORT alone: a later command prints http://HOST:PORT of the server, not its own default."""
    from devtools.instances import PYTHON, REPO, Instance

    server = Instance(tmp_path / "b", instance_template, name="b")
    env = {k: v for k, v in server.env.items() if k != "PUBLIC_URL"}
    proc = subprocess.Popen(
        [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(server.port), "calendar_p2p.asgi:application"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        from devtools.instances import wait_until

        wait_until(lambda: (server.data_dir / "instance.json").exists() and "server_url" in
                   json.loads((server.data_dir / "instance.json").read_text() or "{}"), timeout=30,
                   message="the server to record its address")
        plain = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "PORT", "HOST")}
        done = subprocess.run([PYTHON, "manage.py", "invite"], cwd=REPO, capture_output=True, text=True,
                              env={**plain, "DATA_DIR": str(server.data_dir)}, timeout=120)
        assert done.stdout.startswith(f"http://127.0.0.1:{server.port}/pair/"), done.stderr
    finally:
        proc.kill()
        proc.wait()

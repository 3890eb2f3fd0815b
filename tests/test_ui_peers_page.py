"""What the Peers page says: the invite link only while it can be used,
"last seen" as people say it, and a plain sentence for an unreachable peer."""

import datetime as dt
import errno
import socket

import pytest
from django.utils import timezone

from sync import pairing
from sync.models import Peer
from sync.views import unreachable

pytestmark = pytest.mark.django_db(databases=["default", "index"])

KEY = "cd" * 32
URL = "http://10.0.0.9:8000"


@pytest.fixture(autouse=True)
def fixed_now(settings):
    settings.CALENDAR_NOW = "2026-11-29T10:00"
    settings.CALENDAR_TIME_ZONE = "UTC"


def test_a_used_invite_link_and_its_qr_code_go_away(owner_client):
    owner_client.post("/peers/invite/")
    page = owner_client.get("/peers/").content.decode()
    invite = page.split('id="invite-url" type="text" readonly value="')[1].split('"')[0]
    assert "<svg" in page
    pairing.admit(key=KEY, name="bob", url=URL, invite=invite.rstrip("/").rsplit("/", 1)[-1])
    page = owner_client.get("/peers/").content.decode()
    assert invite not in page and "<svg" not in page
    assert "Your invite link has been used" in page
    assert "has been used" in owner_client.get("/peers/?fragment=1").content.decode()  # the live part says so too


def test_an_expired_invite_link_goes_away(owner_client):
    owner_client.post("/peers/invite/")
    from sync.models import Invite

    Invite.objects.update(expires=timezone.now() - dt.timedelta(minutes=1))
    page = owner_client.get("/peers/").content.decode()
    assert "/pair/" not in page.split("Pair with a friend")[0] and "Your invite link expired" in page


@pytest.mark.parametrize(("seen", "said"), [
    ("2026-11-29T09:59:30+00:00", "just now"),
    ("2026-11-29T09:55:00+00:00", "5 minutes ago"),
    ("2026-11-29T07:00:00+00:00", "3 hours ago"),
    ("2026-11-28T08:00:00+00:00", "yesterday"),
    ("2026-11-20T08:00:00+00:00", "9 days ago"),
    ("2026-06-01T08:00:00+00:00", "on 1 Jun 2026"),
])
def test_last_seen_is_said_as_people_say_it_with_the_exact_time_beside(owner_client, seen, said):
    Peer.objects.create(author=KEY, name="bob", url=URL, last_seen=dt.datetime.fromisoformat(seen))
    page = owner_client.get("/peers/").content.decode()
    exact = dt.datetime.fromisoformat(seen)
    assert f'title="{exact:%-d %B %Y, %H:%M:%S} (UTC)">{said}</time>' in page


@pytest.mark.parametrize(("error", "sentence"), [
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('10.0.0.9', 8000)"),
     f"Nothing answered at {URL}: their instance may be switched off, or the address or port is wrong."),
    (socket.gaierror(-2, "Name or service not known"),
     f"No computer called {URL} could be found. Check the address for typing mistakes."),
    (TimeoutError(), f"{URL} took too long to answer. Check that their instance is running and try again."),
    (OSError(errno.EHOSTUNREACH, "No route to host"), f"{URL} cannot be reached from this network."),
])
def test_an_unreachable_peer_gets_a_plain_sentence(error, sentence):
    said = unreachable(URL, error)
    assert said == sentence and "Errno" not in said


def test_the_invite_landing_page_is_styled_and_shows_the_link(client, owner):
    token = pairing.create_invite().rstrip("/").rsplit("/", 1)[-1]
    page = client.get(f"/pair/{token}/").content.decode()
    assert "app.css" in page and 'data-copy="invite-url"' in page and "python manage.py pair" in page

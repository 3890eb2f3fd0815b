"""The peers page and the import/export page with the Django test client."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from events.index.query import query
from sync.models import PairingRequest, Peer
from tests.support.browser import OwnerBrowser

pytestmark = pytest.mark.django_db(databases=["default", "index"])

KEY = "ab" * 32
ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:imported-1@test\r
DTSTAMP:20261101T000000Z\r
DTSTART:20261203T100000Z\r
DTEND:20261203T110000Z\r
SUMMARY:<b>imported</b> meeting\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_the_page_shows_who_we_are(owner_client):
    page = owner_client.get("/peers/").content.decode()
    assert "This instance" in page and "test-instance" in page and "No paired peers yet" in page


def test_an_invite_comes_with_a_qr_code(owner_client):
    response = owner_client.post("/peers/invite/", follow=True)
    page = response.content.decode()
    assert "/pair/" in page and "<svg" in page and 'data-copy="invite-url"' in page


def test_a_bad_pair_url_says_what_is_wrong(owner_client):
    page = owner_client.post("/peers/pair/", {"url": "not a url"}, follow=True).content.decode()
    assert "not an instance URL" in page
    assert not Peer.objects.exists()


def test_approving_a_request_pairs(owner_client):
    req = PairingRequest.objects.create(author=KEY, direction="incoming", name="<i>bob</i>", url="http://10.0.0.2:8000",
                                        created=timezone.now())
    page = owner_client.get("/peers/").content.decode()
    assert "wants to pair" in page and "&lt;i&gt;bob&lt;/i&gt;" in page
    owner_client.post("/peers/request/", {"request": req.id, "answer": "approve"})
    assert Peer.objects.filter(author=KEY, state="paired").exists()
    page = owner_client.get("/peers/?fragment=1").content.decode()
    assert "Unpair" in page and "<progress" in page


def test_refusing_a_request(owner_client):
    req = PairingRequest.objects.create(author=KEY, direction="incoming", name="eve", url="", created=timezone.now())
    owner_client.post("/peers/request/", {"request": req.id, "answer": "refuse"})
    assert not Peer.objects.exists()
    assert PairingRequest.objects.get(id=req.id).state == "refused"


def test_unpair_and_block(owner_client):
    Peer.objects.create(author=KEY, name="bob", url="http://10.0.0.2:8000")
    owner_client.post("/peers/unpair/", {"author": KEY})
    assert not Peer.objects.exists()
    Peer.objects.create(author=KEY, name="bob", url="http://10.0.0.2:8000")
    owner_client.post("/peers/block/", {"author": KEY})
    assert Peer.objects.get(author=KEY).state == "blocked"
    assert "Unblock" in owner_client.get("/peers/").content.decode()
    owner_client.post("/peers/block/", {"author": KEY, "undo": "1"})
    assert not Peer.objects.exists()


def test_peer_names_show_on_their_events(owner_client):
    Peer.objects.create(author=KEY, name="bob", url="http://10.0.0.2:8000")
    from events.authors import author_label, author_names

    assert author_label(KEY, author_names()) == "bob"


def test_importing_an_ics_file(owner_client):
    upload = SimpleUploadedFile("cal.ics", ICS, content_type="text/calendar")
    response = owner_client.post("/calendar/", {"file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 new" in page
    titles = [o.title for o in query(date(2026, 12, 1), date(2026, 12, 31), "UTC").occurrences]
    assert titles == ["<b>imported</b> meeting"]
    month = owner_client.get("/?d=2026-12-01").content.decode()
    assert "&lt;b&gt;imported&lt;/b&gt; meeting" in month


def test_a_broken_ics_file_is_refused(owner_client):
    upload = SimpleUploadedFile("bad.ics", b"hello", content_type="text/calendar")
    response = owner_client.post("/calendar/", {"file": upload})
    assert response.status_code == 400


def test_the_subscription_url_is_shown_once_made(owner_client):
    page = owner_client.post("/calendar/feed/", {"action": "rotate"}, follow=True).content.decode()
    assert 'id="feed-url"' in page and "webcal://" in page
    page = owner_client.post("/calendar/feed/", {"action": "revoke"}, follow=True).content.decode()
    assert 'id="feed-url"' not in page
    assert owner_client.get("/calendar.ics").status_code == 200


def children(pid: int) -> set[int]:
    """The live child processes of `pid`."""
    from pathlib import Path

    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found |= {int(p) for p in (task / "children").read_text().split()}
        except FileNotFoundError:  # that thread just ended
            pass
    return found


def test_pairing_from_the_page_happens_inside_the_server(spawn):
    """The Peers page pairs in the server's own event loop (no `manage.py pair`
    process), and the running dialer then connects to the new peer."""
    import threading

    from devtools.instances import wait_until

    a, b = spawn("a"), spawn("b")
    owner = OwnerBrowser(a)
    owner.post("/setup/", {"password": "correct horse battery", "password2": "correct horse battery"})
    invite = b.manage("invite").strip()
    seen: set[int] = set()
    errors: list[BaseException] = []
    done = threading.Event()

    def watch():
        try:
            while not done.is_set():
                seen.update(children(a.pid))
                done.wait(0.005)
        except BaseException as e:  # the test fails below rather than passing unwatched
            errors.append(e)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        page = owner.post("/peers/pair/", {"url": invite}, page="/peers/")
    finally:
        done.set()
        watcher.join()
    assert not errors, errors
    assert f"paired with b ({b.author()})" in page
    assert not seen, f"the server started processes while pairing: {seen}"
    peer = wait_until(lambda: [p for p in a.peers()["peers"] if p["connected"]], 20, message="a's dialer connects to b")[0]
    assert (peer["name"], peer["url"], peer["state"]) == ("b", b.url, "paired")
    assert [(p["name"], p["state"]) for p in b.peers()["peers"]] == [("a", "paired")]

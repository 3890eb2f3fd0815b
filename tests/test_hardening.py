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

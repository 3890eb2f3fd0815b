"""The Settings page's app passwords: made (shown once), listed, revoked."""

import re

import pytest

from dav import passwords
from dav.models import AppPassword
from devtools.dav_client import DavClient
from events import throttle

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture(autouse=True)
def fresh():
    throttle.reset()
    passwords.forget()


def test_the_settings_page_offers_app_passwords(owner_client):
    page = owner_client.get("/settings/").content.decode()
    assert (
        "Your calendar on your phone" in page and "/dav/" in page and "Make an app password" in page
    )


def test_a_password_made_on_the_page_is_shown_once_and_works(owner_client):
    response = owner_client.post("/settings/app-passwords/new/", {"name": "Phone"})
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    password = re.search(
        r'id="app-password" type="text" readonly value="([a-z0-9-]+)"', response.content.decode()
    ).group(1)
    assert DavClient(password).propfind("/dav/").status_code == 207
    settings = owner_client.get("/settings/").content.decode()
    assert "Phone" in settings and password not in settings


def test_a_bad_name_is_one_line_and_revoking_stops_the_device(owner_client):
    response = owner_client.post("/settings/app-passwords/new/", {"name": "  "}, follow=True)
    assert "give the device a name" in response.content.decode()
    password = passwords.create("Tablet").password
    response = owner_client.post("/settings/app-passwords/revoke/", {"name": "Tablet"}, follow=True)
    assert "Revoked the app password of “Tablet”" in response.content.decode()
    assert not AppPassword.objects.exists()
    assert DavClient(password).propfind("/dav/").status_code == 401


def test_the_forms_need_the_owner(client, owner):
    assert client.post("/settings/app-passwords/new/", {"name": "Phone"}).status_code == 302
    assert not AppPassword.objects.exists()

import pytest
from django.conf import settings


def test_it_uses_a_private_data_dir():
    assert "calendar-p2p-test-" in str(settings.DATA_DIR)


def test_the_home_page_sends_a_new_instance_to_setup(client, db):
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/setup/")


def test_the_home_page_sends_a_visitor_to_login_once_the_owner_exists(client, owner):
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/")


@pytest.mark.django_db(databases=["default", "index"])
def test_the_home_page_shows_the_owner_the_calendar(owner_client):
    assert owner_client.get("/").status_code == 200


def test_in_process_tests_hash_passwords_with_md5(owner):
    assert owner.password.startswith("md5$")

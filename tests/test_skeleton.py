from django.conf import settings


def test_it_uses_a_private_data_dir():
    assert "calendar-p2p-test-" in str(settings.DATA_DIR)


def test_it_serves_the_home_page(client, db):
    response = client.get("/")
    assert response.status_code in (200, 302)

"""Settings pick bigger deployments up from the environment."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHOW = (
    "import json; from django.conf import settings as s; from events import instance as i;"
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    "'index': s.DATABASES['index']['ENGINE'], 'layer': s.CHANNEL_LAYERS['default']['BACKEND'],"
    "'url': i.public_url(), 'name_': i.name()}))"
)


def settings_with(tmp_path, **env):
    env = {"DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "calendar_p2p.settings", "PATH": "/usr/bin:/bin", **env}
    out = subprocess.run([sys.executable, "-c", SHOW], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_it_defaults_to_sqlite_and_the_in_memory_layer(tmp_path):
    s = settings_with(tmp_path, HOST="0.0.0.0", PORT="8123", INSTANCE_NAME="kitchen")
    assert s["db"] == s["index"] == "django.db.backends.sqlite3"
    assert s["name"] == str(tmp_path / "calendar.sqlite3")
    assert s["layer"] == "channels.layers.InMemoryChannelLayer"
    assert (s["url"], s["name_"]) == ("http://0.0.0.0:8123", "kitchen")


def test_it_takes_postgresql_and_redis_from_the_environment(tmp_path):
    s = settings_with(tmp_path, DATABASE_URL="postgres://cal:pw@db.example:5432/cal", REDIS_URL="redis://127.0.0.1:6379/0")
    assert (s["db"], s["name"]) == ("django.db.backends.postgresql", "cal")
    assert s["index"] == "django.db.backends.sqlite3"
    assert s["layer"] == "channels_redis.core.RedisChannelLayer"


def test_it_creates_its_identity_files_once_and_private(tmp_path):
    settings_with(tmp_path)
    key, secret = (tmp_path / "secret_key").read_bytes(), tmp_path / "secret_key"
    settings_with(tmp_path)
    assert secret.read_bytes() == key
    assert secret.stat().st_mode & 0o777 == 0o600

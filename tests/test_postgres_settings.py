"""DATABASE_URL, INDEX_DATABASE_URL and REDIS_URL: what the settings accept, and
one line (no traceback) for what they cannot use."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHOW = (
    "from django.conf import settings as s; import json;"
    "print(json.dumps({'db': s.DATABASES['default'], 'index': s.DATABASES['index']['ENGINE'],"
    " 'layer': s.CHANNEL_LAYERS['default']}, default=str))"
)


def run_settings(tmp_path, code: str = SHOW, **env) -> subprocess.CompletedProcess:
    env = {"DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "calendar_p2p.settings", "PATH": "/usr/bin:/bin", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def test_it_keeps_postgresql_connections_and_checks_them_before_use(tmp_path):
    done = run_settings(tmp_path, DATABASE_URL="postgres://cal:pw@db.example:5432/cal",
                        INDEX_DATABASE_URL="postgresql://cal:pw@db.example/cal_index", REDIS_URL="redis://127.0.0.1:6379/0")
    s = json.loads(done.stdout)
    assert (s["db"]["ENGINE"], s["db"]["NAME"], s["db"]["HOST"]) == ("django.db.backends.postgresql", "cal", "db.example")
    assert (s["db"]["CONN_MAX_AGE"], s["db"]["CONN_HEALTH_CHECKS"]) == (600, True)
    assert s["index"] == "django.db.backends.postgresql"
    assert s["layer"] == {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:6379/0"]}}


@pytest.mark.parametrize(
    "variable,value,says",
    [
        ("DATABASE_URL", "mysql://cal:secret@db/cal", "DATABASE_URL must be postgres://USER:PASSWORD@HOST:PORT/DATABASE (got mysql)"),
        ("DATABASE_URL", "db.example", "DATABASE_URL must be postgres://USER:PASSWORD@HOST:PORT/DATABASE (got no scheme)"),
        ("INDEX_DATABASE_URL", "postgres://cal:secret@db.example/", "INDEX_DATABASE_URL must be postgres://"),
        ("DATABASE_URL", "postgres://cal:secret@db:99999/cal", "DATABASE_URL must be postgres://"),
        ("REDIS_URL", "127.0.0.1:6379", "REDIS_URL must be redis://HOST:PORT/DB"),
    ],
)
def test_a_url_it_cannot_use_is_one_line(tmp_path, variable, value, says):
    done = run_settings(tmp_path, **{variable: value})
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert says in line and "secret" not in line


@pytest.mark.parametrize(
    "variable,value,module,says",
    [
        ("DATABASE_URL", "postgres://cal@db/cal", "psycopg", "pip install 'calendar-p2p[postgres]'"),
        ("REDIS_URL", "redis://127.0.0.1:6379/0", "channels_redis", "pip install 'calendar-p2p[redis]'"),
    ],
)
def test_a_missing_driver_is_named_with_the_way_to_install_it(tmp_path, variable, value, module, says):
    hide = f"import sys; sys.modules[{module!r}] = None; import django; django.setup()"
    done = run_settings(tmp_path, hide, **{variable: value})
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"error: {variable} ") and line.endswith(says)

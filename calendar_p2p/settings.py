"""Settings: everything an instance varies by comes from the environment.

A fresh checkout runs with no configuration: SQLite files and the in-memory
channel layer in DATA_DIR. DATABASE_URL (PostgreSQL) and REDIS_URL
(channels-redis) switch to the bigger deployment.
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from events.identity import load_or_create_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, "") or default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.lower() in ("1", "true", "yes", "on")


DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "data"))).resolve()
# An unusable DATA_DIR is reported by events.setup (one line, no traceback);
# until then this process gets a throw-away secret it never shares.
DATA_DIR_ERROR = ""
try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    SECRET_KEY = load_or_create_secret_key(DATA_DIR)
except OSError as e:
    reason = "a file is in its place" if DATA_DIR.is_file() else (e.strerror or str(e))
    DATA_DIR_ERROR = f"DATA_DIR {DATA_DIR} is not usable: {reason}"
    SECRET_KEY = secrets.token_urlsafe(50)

HOST = env("HOST", "127.0.0.1")
PORT = env("PORT", "8000")

# What the environment says about who this instance is, and nothing else:
# read them through events.instance, which falls back to DATA_DIR/instance.json
# and then to defaults (http://HOST:PORT, the host name, the system's zone).
PUBLIC_URL = env("PUBLIC_URL").rstrip("/")
INSTANCE_NAME = env("INSTANCE_NAME")
CALENDAR_TIME_ZONE = env("TIME_ZONE")
# For tests and demos only: a fixed "now" (ISO datetime) for the calendar (events/clock.py).
CALENDAR_NOW = env("CALENDAR_NOW")

# "mirror": a headless instance with no calendar of its own that stores and
# relays the feeds of the instances that name it (docs/PROTOCOL.md section 6.8).
MODE = env("MODE", "calendar")
if MODE not in ("calendar", "mirror"):
    raise ImproperlyConfigured(f"MODE must be calendar or mirror, not {MODE!r}")

# Dial private, loopback and link-local addresses that peers name even when
# this instance's own public URL is not on such a network (sync/dialer.py).
ALLOW_PRIVATE_PEERS = env_bool("ALLOW_PRIVATE_PEERS")

DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = [h for h in env("ALLOWED_HOSTS", "*").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "events",
    "sync",
    "dav",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "calendar_p2p.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "calendar_p2p.urls"
ASGI_APPLICATION = "calendar_p2p.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def sqlite(path: Path) -> dict:
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock
    # at BEGIN so two writers queue instead of failing on lock upgrade.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


def installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def database_from_url(variable: str) -> dict:
    """PostgreSQL from a postgres:// URL. Anything else stops the process with one
    line: the log's append-only triggers and the advisory locks that keep arrivals
    and the dialer in order exist for PostgreSQL and SQLite only."""
    import dj_database_url

    url = env(variable)
    try:
        config = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    except ValueError:
        config = {}
    if config.get("ENGINE") != "django.db.backends.postgresql" or not config.get("NAME"):
        scheme = url.partition("://")[0] if "://" in url else "no scheme"
        raise SystemExit(f"error: {variable} must be postgres://USER:PASSWORD@HOST:PORT/DATABASE (got {scheme})")
    if not installed("psycopg"):
        raise SystemExit(f"error: {variable} names PostgreSQL, which needs psycopg: pip install 'calendar-p2p[postgres]'")
    return config


DATABASES = {
    # The log, peers, invites and the owner's account.
    "default": database_from_url("DATABASE_URL") if env("DATABASE_URL") else sqlite(DATA_DIR / "calendar.sqlite3"),
    # The index: a materialized view of the log, deletable and regenerated on start.
    "index": database_from_url("INDEX_DATABASE_URL") if env("INDEX_DATABASE_URL") else sqlite(DATA_DIR / "index.sqlite3"),
}
DATABASE_ROUTERS = ["events.routers.IndexRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


if env("REDIS_URL"):
    # Groups over Redis: a write in one server process reaches the pages open on every other.
    if not env("REDIS_URL").startswith(("redis://", "rediss://", "unix://")):
        raise SystemExit("error: REDIS_URL must be redis://HOST:PORT/DB (or rediss://, unix://)")
    if not installed("channels_redis"):
        raise SystemExit("error: REDIS_URL needs channels-redis: pip install 'calendar-p2p[redis]'")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [env("REDIS_URL")]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
LOGIN_URL = "/login/"
SESSION_COOKIE_HTTPONLY = True


def _stored_public_url() -> str:
    """The public URL instance.json holds (events.instance writes it; read here before the apps load)."""
    import json

    try:
        data = json.loads((DATA_DIR / "instance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(data.get("public_url") or "") if isinstance(data, dict) else ""


# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
BEHIND_HTTPS_PROXY = env_bool("BEHIND_HTTPS_PROXY")
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Cookies go over HTTPS only when the instance is reached over HTTPS (its public
# URL, as the server starts, or the proxy says so).
HTTPS = BEHIND_HTTPS_PROXY or (PUBLIC_URL or _stored_public_url()).lower().startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}

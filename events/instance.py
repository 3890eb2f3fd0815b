"""Who this instance is: its public URL, name and time zone.

They live in `DATA_DIR/instance.json` (mode 0600, replaced atomically), so
the server and every management command of one data directory agree on them.
Each value is taken from, in order:

1. the environment (`PUBLIC_URL`, `INSTANCE_NAME`, `TIME_ZONE`; settings.py
   keeps what the environment gives, and nothing else, in the settings
   `PUBLIC_URL`, `INSTANCE_NAME` and `CALENDAR_TIME_ZONE`);
2. the file: what the server was started with, or what the owner chose on
   the Settings page;
3. a default: for the URL, the `http://HOST:PORT` the server last listened
   on (also in the file), else this process's own `HOST`/`PORT`; the host
   name; the system's time zone.

The time zone is also the owner's viewer zone: quick-add phrases are read
in it and the calendar is shown in it (`events.preferences`).

The file is read again whenever it changes on disk (one `stat` per call), so
a change on the Settings page applies at once to the running server.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

FILE = "instance.json"
FIELDS = ("public_url", "name", "time_zone")
# field -> (environment variable, setting holding its value)
ENV = {
    "public_url": ("PUBLIC_URL", "PUBLIC_URL"),
    "name": ("INSTANCE_NAME", "INSTANCE_NAME"),
    "time_zone": ("TIME_ZONE", "CALENDAR_TIME_ZONE"),
}
SERVER_URL = "server_url"  # the http://HOST:PORT the server last listened on
MAX_NAME = 100
MAX_URL = 500
LOOPBACK_HOSTS = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


@dataclass(frozen=True)
class InstanceSettings:
    public_url: str
    name: str
    time_zone: str
    # field -> where its value came from: "environment", "file", "server" or "default"
    source: dict[str, str] = field(default_factory=dict)

    def from_environment(self, name: str) -> bool:
        return self.source.get(name) == "environment"

    def env_variable(self, name: str) -> str:
        return ENV[name][0]


# --- reading -------------------------------------------------------------------------

_lock = threading.Lock()
_cache: dict[str, tuple[tuple, dict]] = {}


def path() -> Path:
    return Path(settings.DATA_DIR) / FILE


def stored() -> dict:
    """The file's values (empty when it does not exist or cannot be read)."""
    where = path()
    try:
        st = os.stat(where)
    except OSError:
        return {}
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    hit = _cache.get(str(where))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data = {k: v for k, v in data.items() if isinstance(v, str) and v}
    _cache[str(where)] = (stamp, data)
    return data


def _environment(name: str) -> str:
    return str(getattr(settings, ENV[name][1], "") or "").strip()


def current() -> InstanceSettings:
    """The effective values: environment, then the file, then the defaults."""
    file = stored()
    values: dict[str, str] = {}
    source: dict[str, str] = {}
    for name in FIELDS:
        env_value, file_value = _environment(name), file.get(name, "")
        if env_value:
            values[name], source[name] = env_value, "environment"
        elif file_value:
            values[name], source[name] = file_value, "file"
        elif name == "public_url" and file.get(SERVER_URL):
            values[name], source[name] = file[SERVER_URL], "server"
        else:
            values[name], source[name] = _default(name), "default"
    values["public_url"] = values["public_url"].rstrip("/")
    return InstanceSettings(**values, source=source)


def public_url() -> str:
    return current().public_url


def name() -> str:
    return current().name


def time_zone() -> str:
    return current().time_zone


def listen_url(host: str | None = None, port: int | str | None = None) -> str:
    """http://HOST:PORT, from this process's settings unless given."""
    host = host or getattr(settings, "HOST", "127.0.0.1") or "127.0.0.1"
    port = port or getattr(settings, "PORT", 8000) or 8000
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _default(name: str) -> str:
    if name == "public_url":
        return listen_url()
    if name == "name":
        return socket.gethostname()
    return system_time_zone()


def system_time_zone() -> str:
    """The machine's IANA zone name (from /etc/localtime's link), else UTC."""
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        return "UTC"
    _, found, zone = target.partition("zoneinfo/")
    return zone if found and zone else "UTC"


# --- writing -------------------------------------------------------------------------


def save(**values: str | None) -> dict:
    """Merge values into the file (None or "" removes one); return what it holds.

    The new content goes to a private temporary file that replaces the old
    one, so a reader or a crash never sees half a file."""
    unknown = set(values) - {*FIELDS, SERVER_URL}
    if unknown:
        raise ValueError(f"unknown instance settings: {', '.join(sorted(unknown))}")
    with _lock:
        data = dict(stored())
        for key, value in values.items():
            if value:
                data[key] = value
            else:
                data.pop(key, None)
        _write(path(), data)
    return data


def ensure_file() -> None:
    """Create the file (empty) unless it exists."""
    if not path().exists():
        with _lock:
            if not path().exists():
                _write(path(), {})


def _write(where: Path, data: dict) -> None:
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    tmp = where.with_name(f".{where.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, where)
    finally:
        tmp.unlink(missing_ok=True)
    try:
        dir_fd = os.open(where.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def record_server_start(host: str, port: int | str) -> dict:
    """What a starting server knows about itself goes into the file: the
    address it listens on, and the public URL, name and zone the environment
    gives (so commands run later without them agree with the server)."""
    values: dict[str, str | None] = {SERVER_URL: listen_url(host, port)}
    for name in FIELDS:
        env_value = _environment(name)
        if env_value:
            values[name] = clean_public_url(env_value) if name == "public_url" else env_value
    if all(stored().get(k) == v for k, v in values.items()):
        return stored()
    return save(**values)


# --- validation ----------------------------------------------------------------------

_PATH = re.compile(r"(/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)*\Z")


def _given(text: str, what: str, limit: int, *, missing: str) -> str:
    """The text stripped; ValueError (`missing`) when it is empty, or when it is over `limit`."""
    text = (text or "").strip()
    if not text:
        raise ValueError(missing)
    if len(text) > limit:
        raise ValueError(f"The {what} is longer than {limit} characters.")
    return text


def clean_public_url(text: str) -> str:
    """The URL peers dial, normalized (no trailing slash); ValueError says what is wrong."""
    text = _given(
        text, "address", MAX_URL,
        missing="Give the address friends' instances use to reach this one, e.g. https://cal.example.org",
    )
    if any(c.isspace() or unicodedata.category(c).startswith("C") for c in text):
        raise ValueError("The address must not contain spaces or control characters.")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("The address must start with http:// or https://")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError("The address has an invalid port (it must be a number from 1 to 65535).") from None
    if not host:
        raise ValueError("The address needs a host name, e.g. https://cal.example.org")
    if parts.username is not None or parts.password is not None:
        raise ValueError("The address must not contain a user name or password.")
    if port == 0:
        raise ValueError("The address has an invalid port (it must be a number from 1 to 65535).")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError("The address must not have a query (?…) or fragment (#…): only scheme, host, port and a path prefix.")
    if not _PATH.match(parts.path) or "//" in parts.path or "/pair/" in f"{parts.path}/":
        raise ValueError("The address's path is not a plain path prefix (like /calendar).")
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme.lower()}://{netloc}{parts.path}".rstrip("/")


def clean_name(text: str) -> str:
    """The instance name peers see; ValueError says what is wrong."""
    text = _given(text, "name", MAX_NAME, missing="Give the name your friends see for this instance.")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") for c in text):
        raise ValueError("The name must not contain control characters or line breaks.")
    return text


def is_loopback(url: str) -> bool:
    """True when the URL's host is this machine only (127.x, ::1, localhost)."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)

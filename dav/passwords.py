"""App passwords: one per device, named, shown once, stored hashed, revocable.

A device sends its password with every request (HTTP Basic), and the
production hasher takes a deliberate fraction of a second. So a password
that checked out is remembered in this process for a while, keyed by its
SHA-256 (never the password itself), and each request only confirms that
the row still exists: a revoked password stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from dav.models import AppPassword

MAX_NAME = 100
REMEMBER = 600.0  # seconds a checked password is remembered
TOUCH_EVERY = timedelta(minutes=5)  # last_used_at is written at most this often

_lock = threading.Lock()
_remembered: dict[str, tuple[int, float]] = {}  # sha256(password) -> (row id, when checked)


class PasswordError(ValueError):
    """An app password cannot be made or revoked as asked; the message says why."""


@dataclass(frozen=True)
class NewPassword:
    name: str
    password: str  # shown once


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise PasswordError("give the device a name, e.g. “Phone”")
    if len(name) > MAX_NAME:
        raise PasswordError(f"a device name has at most {MAX_NAME} characters")
    return name


def _new_secret() -> str:
    """Four groups of five lowercase letters and digits: about 103 bits, easy to type on a phone."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def create(name: str) -> NewPassword:
    name = _clean_name(name)
    password = _new_secret()
    try:
        with transaction.atomic():
            AppPassword.objects.create(
                name=name, password=make_password(password), created_at=timezone.now()
            )
    except IntegrityError:
        raise PasswordError(
            f"there is already an app password named “{name}”; revoke it first"
        ) from None
    return NewPassword(name, password)


def listing() -> list[AppPassword]:
    return list(AppPassword.objects.order_by("name"))


def revoke(name: str) -> None:
    deleted, _ = AppPassword.objects.filter(name=_clean_name(name)).delete()
    if not deleted:
        raise PasswordError(f"no app password named “{name}”")
    forget()


def forget() -> None:
    with _lock:
        _remembered.clear()


def check(password: str) -> AppPassword | None:
    """The app password row `password` belongs to, or None."""
    if not password:
        return None
    digest = hashlib.sha256(password.encode()).hexdigest()
    now = time.monotonic()
    with _lock:
        hit = _remembered.get(digest)
    if hit is not None and now - hit[1] < REMEMBER:
        row = AppPassword.objects.filter(pk=hit[0]).first()
        if row is not None:
            return _touched(row)
    for row in AppPassword.objects.all():
        if check_password(password, row.password):
            with _lock:
                if len(_remembered) > 1000:
                    _remembered.clear()
                _remembered[digest] = (row.pk, now)
            return _touched(row)
    return None


def _touched(row: AppPassword) -> AppPassword:
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        AppPassword.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row

"""The secret subscription URL (webcal) for the calendar.

The token is 256 random bits from `secrets`, carried in the URL path, and
stored only as its SHA-256: the URL is shown when it is made and never
again. Rotating makes a new URL and revokes the old one; revoking leaves no
working URL. A revoked or unknown token gets a 404 like any missing page.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from events import instance
from events.models import CalendarFeed

TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class FeedUrl:
    token: str
    url: str  # PUBLIC_URL + path
    webcal: str  # the same with webcal:// (http) or webcals:// (https), which calendar apps open


def url_for(token: str) -> FeedUrl:
    path = reverse("ics-feed", kwargs={"token": token})
    url = f"{instance.public_url()}{path}"
    scheme, _, rest = url.partition("://")
    webcal = f"{'webcals' if scheme == 'https' else 'webcal'}://{rest}"
    return FeedUrl(token, url, webcal)


def active_feed() -> CalendarFeed | None:
    return CalendarFeed.objects.filter(revoked_at__isnull=True).order_by("-created_at").first()


def rotate_feed(*, now: datetime | None = None) -> FeedUrl:
    """A new subscription URL; any earlier one stops working."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        CalendarFeed.objects.filter(revoked_at__isnull=True).update(revoked_at=now)
        CalendarFeed.objects.create(token_hash=_hash(token), created_at=now)
    return url_for(token)


create_feed = rotate_feed  # making the first URL and replacing one are the same act


def revoke_feed(*, now: datetime | None = None) -> int:
    """Stop every subscription URL; returns how many were active."""
    return CalendarFeed.objects.filter(revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def is_valid_token(token: str) -> bool:
    if not token or len(token) > 100:
        return False
    return CalendarFeed.objects.filter(token_hash=_hash(token), revoked_at__isnull=True).exists()

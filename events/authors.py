"""How authors are shown: a stable colour from the author id, and a name."""

from __future__ import annotations

import hashlib

from django.apps import apps

from events import instance, log


def author_hue(author: str) -> int:
    """A hue in 0..359 derived from the author id, the same on every instance."""
    return int(hashlib.sha256(author.encode()).hexdigest()[:8], 16) % 360


def author_names() -> dict[str, str]:
    """Author id -> display name: this instance's owner, then paired peers.

    Peers are looked up through the app registry: `sync` builds on `events`,
    so `events` does not import it."""
    names: dict[str, str] = {}
    if apps.is_installed("sync"):
        peer = apps.get_model("sync", "Peer")
        names.update((a, n) for a, n in peer.objects.values_list("author", "name") if n)
    names[log.my_author_id()] = f"You ({instance.name()})"
    return names


def author_label(author: str, names: dict[str, str]) -> str:
    return names.get(author) or f"{author[:12]}…"


def paired_authors() -> set[str]:
    """The author ids of paired peers (not blocked ones); through the app registry, as above."""
    if not apps.is_installed("sync"):
        return set()
    peer = apps.get_model("sync", "Peer")
    return set(peer.objects.filter(state=peer.PAIRED).values_list("author", flat=True))

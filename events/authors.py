"""How authors are shown: a stable colour from the author id, and a name."""

from __future__ import annotations

import hashlib

from django.apps import apps
from django.conf import settings

from events import log


def author_hue(author: str) -> int:
    """A hue in 0..359 derived from the author id, the same on every instance."""
    return int(hashlib.sha256(author.encode()).hexdigest()[:8], 16) % 360


def author_names() -> dict[str, str]:
    """Author id -> display name: this instance's owner, then paired peers."""
    names: dict[str, str] = {}
    for model_name in ("Peer",):
        try:
            model = apps.get_model("sync", model_name)
        except LookupError:
            continue
        fields = {f.name for f in model._meta.get_fields()}
        if {"author", "name"} <= fields:
            names.update(model.objects.values_list("author", "name"))
    names[log.my_author_id()] = f"You ({settings.INSTANCE_NAME})"
    return names


def author_label(author: str, names: dict[str, str]) -> str:
    return names.get(author) or f"{author[:12]}…"

"""Unpairing or blocking a peer drops its claim on our own feed (docs/PROTOCOL.md section 3.3)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from events import log
from sync.models import Peer


@receiver(post_delete, sender=Peer, dispatch_uid="sync.peer_gone_drops_claim")
def peer_gone(sender, instance: Peer, **kwargs) -> None:
    log.drop_own_feed_claims(instance.author)


@receiver(post_save, sender=Peer, dispatch_uid="sync.peer_blocked_drops_claim")
def peer_saved(sender, instance: Peer, **kwargs) -> None:
    if instance.state == Peer.BLOCKED:
        log.drop_own_feed_claims(instance.author)

"""The sync app's pages: the owner's Peers page (identity, invites with URL
and QR code, pairing by URL, pending requests, paired peers with live status,
unpair and block, fork evidence and held writes) and the public invite page."""

from __future__ import annotations

import errno
import socket
import ssl

import segno
from asgiref.sync import sync_to_async
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from events import forks, instance, local_writes, log
from events.authors import author_hue
from events.views.auth import owner_required
from events.views.common import page_context
from sync import mirror, pairing, runtime, status, store
from sync.dialer import pair_failure
from sync.models import Invite

PAIR_TIMEOUT = 40.0


def qr_svg(text: str) -> str:
    """The QR code of `text` as inline SVG (segno writes only its own markup)."""
    return segno.make(text, error="m").svg_inline(scale=4, dark="#1f2328", omitsize=True, title="Invite QR code")


def _peer_rows(peers: list[dict], my_entries: int) -> list[dict]:
    rows = []
    for p in peers:
        total = max(my_entries, 1)
        they_have = max(my_entries - p["peer_lacks"], 0) if my_entries else total
        rows.append({
            **p,
            "hue": author_hue(p["author"]),
            "progress_value": they_have,
            "progress_max": total,
            "in_sync": p["connected"] and not p["peer_lacks"] and not p["we_lack"],
        })
    return rows


def unreachable(url: str, e: Exception) -> str:
    """Why pairing with `url` failed, said plainly: what the owner can do
    about a refused connection, an unknown name or a timeout, not its errno."""
    if isinstance(e, TimeoutError):
        return f"{url} took too long to answer. Check that their instance is running and try again."
    if isinstance(e, ssl.SSLError):
        return f"{url} answered, but its secure connection could not be checked (a certificate problem)."
    if isinstance(e, socket.gaierror):
        return f"No computer called {url} could be found. Check the address for typing mistakes."
    if isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == errno.ECONNREFUSED:
        return f"Nothing answered at {url}: their instance may be switched off, or the address or port is wrong."
    if getattr(e, "errno", None) in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return f"{url} cannot be reached from this network."
    if isinstance(e, OSError):
        return f"{url} could not be reached. Check the address and that their instance is running."
    return pair_failure(url, e)


def _invite_state(request) -> tuple[str, str]:
    """The invite link made on this page and whether it is still "open",
    "used" (a friend paired with it) or "expired": only an open link is shown."""
    url = request.session.get("invite_url", "")
    if not url:
        return "", ""
    token = url.rstrip("/").rsplit("/", 1)[-1]
    found = Invite.objects.filter(token_hash=pairing.hash_token(token)).first()
    if found is None or found.expires <= timezone.now():
        return url, "expired"
    return url, "used" if found.used_at is not None else "open"


def _context(request) -> dict:
    state = status.status()
    me = state["self"]
    invite_url, invite_state = _invite_state(request)
    if invite_state != "open":
        invite_url = ""
    return {
        "nav": "peers",
        "me": me,
        "invite_url": invite_url,
        "invite_state": invite_state,
        "invite_qr": qr_svg(invite_url) if invite_url else "",
        "peers": _peer_rows([p for p in state["peers"] if p["state"] == "paired"], me["entries"]),
        "blocked": [p for p in state["peers"] if p["state"] == "blocked"],
        "requests": [r for r in state["requests"] if r["direction"] == "incoming"],
        "outgoing": [r for r in state["requests"] if r["direction"] == "outgoing"],
        "forks": log.forks(),
        "mirror": None if mirror.is_mirror() else mirror.my_mirror(),
        "is_mirror": mirror.is_mirror(),
        "fragment_url": "/peers/?fragment=1",
    }


def invite_page(request, token):
    """What a browser sees at an invite URL: how to use it (no login, nothing consumed)."""
    url = f"{pairing.public_url()}/pair/{token}/"  # the configured address, never the request's Host
    return render(request, "sync/invite.html", {"invite_url": url, "instance_name": instance.name()})


@owner_required
def peers(request):
    context = _context(request)
    if request.GET.get("fragment"):
        return render(request, "peers/_status.html", context)
    return render(request, "peers/peers.html", page_context(request, **context))


@require_POST
@owner_required
def invite(request):
    request.session["invite_url"] = pairing.create_invite()
    messages.success(request, "A new invite link is ready: it works once, for a week.")
    return redirect("peers")


@require_POST
@owner_required
async def pair(request):
    """Pair in the server's own event loop, beside its dialer, which dials a new peer at once.
    Outside the server (the test client) a runtime of the request's own does it."""
    url = request.POST.get("url", "").strip()
    as_mirror = request.POST.get("mirror") == "on"
    try:
        base, _ = pairing.split_pair_url(url)
        if as_mirror:
            mirror.refuse_naming_here()
    except ValueError as e:
        messages.error(request, str(e))
        return redirect("peers")
    replication = runtime.of(getattr(request, "scope", {})) or runtime.Runtime()
    try:
        result = await replication.pair(url, timeout=PAIR_TIMEOUT)
    except Exception as e:  # unreachable, refused, broken: say so on the page, plainly
        messages.error(request, unreachable(url, e))
        return redirect("peers")
    if result.result not in ("paired", "pending"):
        messages.error(request, result.message or result.result)
        return redirect("peers")
    message = result.message or result.result
    if as_mirror:
        try:
            # A view's database work: Django closes the request's connections itself, as for any view
            named = await sync_to_async(mirror.name_after_pairing)(result.result, result.key, base)
        except ValueError as e:
            messages.error(request, f"{message}; {e}")
            return redirect("peers")
        message = f"{message}; {named}"
    messages.success(request, message)
    return redirect("peers")


def _author(request) -> str:
    try:
        return pairing.find_peer_key(request.POST.get("author", ""))
    except LookupError:
        return ""


@require_POST
@owner_required
def answer_request(request):
    try:
        request_id = int(request.POST.get("request", ""))
        if request.POST.get("answer") == "approve":
            peer = pairing.approve(request_id)
            messages.success(request, f"Paired with {peer.name or peer.author[:12]}.")
        else:
            pairing.refuse(request_id)
            messages.success(request, "Request refused.")
    except (ValueError, LookupError) as e:
        messages.error(request, str(e) or "no such request")
    return redirect("peers")


@require_POST
@owner_required
def unpair(request):
    author = _author(request)
    if author and pairing.unpair(author):
        messages.success(request, "Unpaired. Their entries already here stay.")
    else:
        messages.error(request, "No such paired peer.")
    return redirect("peers")


@require_POST
@owner_required
def block(request):
    author = _author(request)
    if not author or author == log.my_author_id():
        messages.error(request, "No such peer.")
        return redirect("peers")
    if request.POST.get("undo"):
        pairing.unblock(author)
        messages.success(request, "Unblocked.")
    else:
        pairing.block(author)
        messages.success(request, "Blocked: its connections are refused and its entries neither stored nor relayed.")
    return redirect("peers")


@require_POST
@owner_required
def fork_decision(request):
    """The owner decides about an author that signed two histories (docs/PROTOCOL.md section 2.5)."""
    try:
        author = forks.find_forked_author(request.POST.get("author", ""))
        decision = request.POST.get("decision", "")
        pairing.decide_fork(author, decision)
    except (LookupError, ValueError) as e:
        messages.error(request, str(e).strip("'\""))
        return redirect("peers")
    if decision == forks.BLOCK:
        messages.success(request, "Blocked: that author's entries are no longer stored or relayed.")
    else:
        messages.success(request, "Keeping the branch we hold: that author's new entries are accepted again.")
    return redirect("peers")


@require_POST
@owner_required
def save_waiting(request):
    """The owner goes ahead: the writes waiting for a peer to confirm our own
    feed are signed now (docs/PROTOCOL.md section 3.4)."""
    signed = local_writes.go_ahead()
    messages.success(request, f"Saved {signed} waiting change{'s' if signed != 1 else ''}.")
    return redirect("peers")


@require_POST
@owner_required
def clear_refusals(request):
    """Offer a peer again the feeds held back after it kept refusing an entry (sync/refusals.py)."""
    try:
        key = pairing.find_peer_key(request.POST.get("author", ""))
    except (LookupError, ValueError) as e:
        messages.error(request, str(e).strip("'\""))
        return redirect("peers")
    store.clear_refusals(key)
    messages.success(request, "Those feeds are offered to that peer again.")
    return redirect("peers")

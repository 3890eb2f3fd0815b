"""The peers page (filled in once pairing lands)."""

from events.views_auth import owner_required
from events.views_common import render_page


@owner_required
def peers(request):
    return render_page(request, "peers.html", {"nav": "peers"})

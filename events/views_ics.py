"""Import/export page (filled in once the iCalendar functions land)."""

from events.views_auth import owner_required
from events.views_common import render_page


@owner_required
def ics_page(request):
    return render_page(request, "ics.html", {"nav": "ics"})

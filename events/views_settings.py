"""The settings page: the viewer's time zone."""

from django.contrib import messages
from django.shortcuts import redirect

from events.preferences import set_viewer_tz, viewer_tz, zone_names
from events.recurrence.timing import is_zone
from events.views_auth import owner_required
from events.views_common import render_page


@owner_required
def settings_page(request):
    error = ""
    if request.method == "POST":
        name = request.POST.get("tz", "").strip()
        if is_zone(name):
            set_viewer_tz(name)
            messages.success(request, f"Times are now shown in {name}.")
            return redirect("settings")
        error = f"“{name}” is not a time zone this instance knows (for example Europe/Bucharest)."
    context = {"nav": "settings", "tz": viewer_tz(), "zones": zone_names(), "error": error}
    return render_page(request, "settings.html", context, status=400 if error else 200)

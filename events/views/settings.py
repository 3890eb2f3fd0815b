"""The settings page: the instance's name and public URL (what peers see) and
its time zone, kept in DATA_DIR/instance.json (events.instance). A value set
by an environment variable is shown, not editable."""

from django.contrib import messages
from django.shortcuts import redirect

from events import instance
from events.forms import InstanceSettingsForm
from events.preferences import viewer_tz, zone_names
from events.views.auth import owner_required
from events.views.common import render_page

# form field -> instance setting
FIELDS = {"name": "name", "public_url": "public_url", "tz": "time_zone"}


def _current() -> tuple[dict, dict]:
    now = instance.current()
    initial = {"name": now.name, "public_url": now.public_url, "tz": viewer_tz()}
    locked = {field: now.env_variable(key) for field, key in FIELDS.items() if now.from_environment(key)}
    return initial, locked


@owner_required
def settings_page(request):
    initial, locked = _current()
    status = 200
    if request.method == "POST":
        data = request.POST.copy()
        for field, value in initial.items():  # a field left out of the form keeps its value
            data.setdefault(field, value)
        form = InstanceSettingsForm(data, initial=initial, locked=locked)
        if form.is_valid():
            changed = {
                FIELDS[f]: form.cleaned_data[f] for f in FIELDS if f not in locked and form.cleaned_data[f] != initial[f]
            }
            if changed:
                instance.save(**changed)
            messages.success(request, _saved_message(changed))
            return redirect("settings")
        status = 400
    else:
        form = InstanceSettingsForm(initial=initial, locked=locked)
    public_url = instance.public_url()
    context = {
        "nav": "settings",
        "form": form,
        "zones": zone_names(),
        "public_url": public_url,
        "loopback": instance.is_loopback(public_url),
    }
    return render_page(request, "settings.html", context, status=status)


def _saved_message(changed: dict) -> str:
    if not changed:
        return "Nothing changed."
    parts = []
    if "name" in changed:
        parts.append(f"friends now see this instance as “{changed['name']}”")
    if "public_url" in changed:
        parts.append(f"friends' instances now reach it at {changed['public_url']}")
    if "time_zone" in changed:
        parts.append(f"times are now shown in {changed['time_zone']}")
    text = "; ".join(parts)
    return f"Saved: {text}."

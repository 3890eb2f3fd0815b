from django.urls import path, re_path

from events.views import auth as views_auth
from events.views import calendar as views_calendar
from events.views import conflicts as views_conflicts
from events.views import event as views_event
from events.views import ics_files as ics_views
from events.views import ics_page as views_ics
from events.views import quickadd as views_quickadd
from events.views import settings as views_settings

urlpatterns = [
    path("", views_calendar.month, name="month"),
    path("week/", views_calendar.week, name="week"),
    path("agenda/", views_calendar.agenda, name="agenda"),
    path("setup/", views_auth.setup, name="setup"),
    path("login/", views_auth.login_view, name="login"),
    path("logout/", views_auth.logout_view, name="logout"),
    path("quick/preview/", views_quickadd.preview, name="quick_preview"),
    path("quick/add/", views_quickadd.add, name="quick_add"),
    path("event/", views_event.detail, name="event"),
    path("event/delete/", views_event.delete, name="event_delete"),
    path("event/cancel/", views_event.cancel, name="event_cancel"),
    path("conflicts/", views_conflicts.conflicts, name="conflicts"),
    path("conflicts/resolve/", views_conflicts.resolve, name="conflict_resolve"),
    path("settings/", views_settings.settings_page, name="settings"),
    path("calendar/", views_ics.ics_page, name="ics"),
    path("calendar/feed/", views_ics.feed, name="ics_feed_url"),
]

# iCalendar: export (owner), one event (owner), import (owner), subscription (secret URL).
urlpatterns += [
    path("calendar.ics", ics_views.calendar_ics, name="ics-calendar"),
    re_path(r"^events/(?P<uid>[^/]+)\.ics$", ics_views.event_ics, name="ics-event"),
    path("import.ics", ics_views.import_ics, name="ics-import"),
    re_path(r"^feed/(?P<token>[A-Za-z0-9_-]{16,100})\.ics$", ics_views.feed_ics, name="ics-feed"),
]

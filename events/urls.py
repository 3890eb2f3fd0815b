from django.urls import path, re_path

from events import ics_views, views

urlpatterns = [
    path("", views.home, name="home"),
]

# iCalendar: export (owner), one event (owner), import (owner), subscription (secret URL).
urlpatterns += [
    path("calendar.ics", ics_views.calendar_ics, name="ics-calendar"),
    re_path(r"^events/(?P<uid>[^/]+)\.ics$", ics_views.event_ics, name="ics-event"),
    path("import.ics", ics_views.import_ics, name="ics-import"),
    re_path(r"^feed/(?P<token>[A-Za-z0-9_-]{16,100})\.ics$", ics_views.feed_ics, name="ics-feed"),
]

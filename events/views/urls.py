"""The owner's pages and the .ics files. Templates and `reverse()` use these URL names: keep them."""

from django.urls import path, re_path

from events.views import (
    auth,
    calendar,
    calendars,
    conflicts,
    drag,
    event,
    findtime,
    ics_files,
    ics_page,
    quickadd,
    reminders,
    search,
    settings,
    timegrid,
    undo,
)

urlpatterns = [
    path("", calendar.month, name="month"),
    path("week/", timegrid.week, name="week"),
    path("day/", timegrid.day, name="day"),
    path("agenda/", calendar.agenda, name="agenda"),
    path("search/", search.search_page, name="search"),
    path("reminders/", reminders.due, name="reminders"),
    path("find-time/", findtime.find_time, name="find_time"),
    path("find-time/hours/", findtime.save_hours, name="find_time_hours"),
    path("find-time/book/", findtime.book, name="find_time_book"),
    path("setup/", auth.setup, name="setup"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("quick/preview/", quickadd.preview, name="quick_preview"),
    path("quick/add/", quickadd.add, name="quick_add"),
    path("event/", event.detail, name="event"),
    path("event/delete/", event.delete, name="event_delete"),
    path("event/cancel/", event.cancel, name="event_cancel"),
    path("event/shift/", drag.move, name="event_shift"),
    path("event/new/", drag.create, name="event_new"),
    path("undo/", undo.undo, name="undo"),
    path("conflicts/", conflicts.conflicts, name="conflicts"),
    path("conflicts/resolve/", conflicts.resolve, name="conflict_resolve"),
    path("settings/", settings.settings_page, name="settings"),
    path("calendars/", calendars.calendars_page, name="calendars"),
    path("calendars/create/", calendars.create, name="calendar_create"),
    path("calendars/update/", calendars.update, name="calendar_update"),
    path("calendars/share/", calendars.share, name="calendar_share"),
    path("calendars/unshare/", calendars.unshare, name="calendar_unshare"),
    path("calendars/visibility/", calendars.visibility, name="calendar_visibility"),
    path("calendars/default/", calendars.default, name="calendar_default"),
    path("calendars/reminder/", calendars.reminder, name="calendar_reminder"),
    path("calendars/delete/", calendars.delete, name="calendar_delete"),
    path("event/move/", event.move, name="event_move"),
    path("calendar/", ics_page.ics_page, name="ics"),
    path("calendar/feed/", ics_page.feed, name="ics_feed_url"),
]

# iCalendar: export (owner), one event (owner), import (owner), subscription (secret URL).
urlpatterns += [
    path("calendar.ics", ics_files.calendar_ics, name="ics-calendar"),
    re_path(r"^events/(?P<uid>[^/]+)\.ics$", ics_files.event_ics, name="ics-event"),
    path("import.ics", ics_files.import_ics, name="ics-import"),
    re_path(r"^feed/(?P<token>[A-Za-z0-9_-]{16,100})\.ics$", ics_files.feed_ics, name="ics-feed"),
]

"""CalDAV routes (RFC 4791): discovery, the principal, the calendar home, its
collections and their resources. Every route takes every method, so the
views answer OPTIONS, PROPFIND, REPORT, PUT, DELETE and unknown ones alike."""

from django.urls import path, re_path

from dav import views

urlpatterns = [
    path(".well-known/caldav", views.well_known, name="dav-well-known"),
    path("dav/", views.root, name="dav-root"),
    path("dav/principal/", views.principal, name="dav-principal"),
    path("dav/calendars/", views.home, name="dav-home"),
    re_path(
        r"^dav/calendars/(?P<collection>[A-Za-z0-9_-]{1,64})/$",
        views.collection,
        name="dav-collection",
    ),
    re_path(
        r"^dav/calendars/(?P<collection>[A-Za-z0-9_-]{1,64})/(?P<name>[^/]{1,300})$",
        views.resource,
        name="dav-resource",
    ),
]

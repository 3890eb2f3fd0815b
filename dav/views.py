"""The CalDAV endpoints: thin views that authenticate, bring the resource
table up to date (`dav.changes.refresh`) and hand each method to its module.

Routes take every method (Django's views do not restrict them), so OPTIONS,
PROPFIND, REPORT and unknown methods arrive here; CSRF does not apply (these
requests carry Basic credentials, never the session cookie's authority).
"""

from __future__ import annotations

from functools import wraps

from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from dav import auth, changes, collections, propfind, reports, writing
from dav.properties import (
    COLLECTION_KIND,
    HOME,
    HOME_KIND,
    OBJECT_KIND,
    PRINCIPAL,
    PRINCIPAL_KIND,
    ROOT,
    ROOT_KIND,
    Target,
    collection_href,
    object_href,
)
from dav.resources import live_in, live_resource
from dav.xml import DAV, DavError, tag
from events.log import LocalWritesHeld


def _endpoint(view):
    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS" and "HTTP_AUTHORIZATION" not in request.META:
            return _options()
        refusal = auth.refused(request)
        if refusal is not None:
            return refusal
        try:
            state = changes.refresh()
            if request.method == "OPTIONS":
                return _options()
            return view(request, state, *args, **kwargs)
        except DavError as e:
            return e.response()
        except LocalWritesHeld as e:
            return DavError(503, str(e)).response()

    return wrapper


def _options() -> HttpResponse:
    response = HttpResponse(status=200)
    response["DAV"] = "1, 3, calendar-access"
    response["Allow"] = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT"
    response["Content-Length"] = "0"
    return response


def _not_allowed(request) -> HttpResponse:
    if request.method in ("MKCALENDAR", "MKCOL"):
        raise DavError(
            403, "calendars cannot be made over CalDAV", tag(DAV, "resource-must-be-null")
        )
    raise DavError(405, f"{request.method} is not supported here")


DAV_METHODS = ("PROPFIND", "REPORT", "OPTIONS")


def dav_at_site_root(page):
    """The site root is also where a calendar app configured with only the
    instance's address starts (RFC 6764 section 6: it asks for
    current-user-principal there): DAV methods get the DAV root, the rest
    get `page` with CSRF checked as usual."""
    csrf = CsrfViewMiddleware(lambda request: None)

    @csrf_exempt
    @wraps(page)
    def view(request, *args, **kwargs):
        if request.method in DAV_METHODS:
            return root(request)
        refused = csrf.process_view(request, page, args, kwargs)
        return refused if refused is not None else page(request, *args, **kwargs)

    return view


@csrf_exempt
def well_known(request):
    """RFC 6764 section 5: the context path of the CalDAV service."""
    return HttpResponseRedirect(ROOT, status=301) if request.method != "OPTIONS" else _options()


def _collection_level(request, target: Target, members) -> HttpResponse:
    if request.method == "PROPFIND":
        return propfind.propfind(request, target, members)
    if request.method == "PROPPATCH":
        return propfind.proppatch(request, target)
    return _not_allowed(request)


@_endpoint
def root(request, state):
    return _collection_level(request, Target(ROOT_KIND, ROOT, state), list)


@_endpoint
def principal(request, state):
    return _collection_level(request, Target(PRINCIPAL_KIND, PRINCIPAL, state), list)


@_endpoint
def home(request, state):
    def members():
        return [
            Target(COLLECTION_KIND, collection_href(c), state, c)
            for c in collections.visible_collections()
        ]

    return _collection_level(request, Target(HOME_KIND, HOME, state), members)


def _collection(collection_id: str) -> collections.Collection:
    found = collections.collection_named(collection_id)
    if found is None:
        raise DavError(404, "no such calendar")
    return found


@_endpoint
def collection(request, state, collection):
    if request.method in ("MKCALENDAR", "MKCOL"):
        return _not_allowed(request)
    found = _collection(collection)
    target = Target(COLLECTION_KIND, collection_href(found), state, found)
    if request.method == "REPORT":
        return reports.report(request, target)
    if request.method == "DELETE":
        raise DavError(403, "calendars cannot be deleted over CalDAV")

    def members():
        return [
            Target(OBJECT_KIND, object_href(found.id, row.name), state, found, row)
            for row in live_in(found.id)
        ]

    return _collection_level(request, target, members)


@_endpoint
def resource(request, state, collection, name):
    found = _collection(collection)
    href = object_href(found.id, name)
    if request.method == "PUT":
        return writing.put(request, found, name)
    if request.method == "DELETE":
        return writing.delete(request, found, name)
    row = live_resource(found.id, name)
    if row is None:
        raise DavError(404, "no such event")
    target = Target(OBJECT_KIND, href, state, found, row)
    if request.method in ("GET", "HEAD"):
        return writing.get(request, target)
    if request.method == "PROPFIND":
        return propfind.propfind(request, target, list)
    if request.method == "REPORT":
        return reports.report(request, target)
    return _collection_level(request, target, list)

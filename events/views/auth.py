"""First run (choose the owner's password), login and logout.

There is exactly one owner, a django.contrib.auth User. Until it exists every
page leads to the setup page; once it exists the setup page is gone.
"""

from __future__ import annotations

from functools import wraps

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from events import throttle

OWNER_USERNAME = "owner"


def owner_exists() -> bool:
    return get_user_model().objects.exists()


def owner_required(view):
    """Login required; before the first run, send everyone to the setup page.
    Wraps sync and async views alike."""

    if iscoroutinefunction(view):

        @wraps(view)
        async def async_wrapper(request, *args, **kwargs):
            if (await request.auser()).is_authenticated:
                return await view(request, *args, **kwargs)
            return _not_owner(request, await sync_to_async(owner_exists)())

        return async_wrapper

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        return _not_owner(request, owner_exists())

    return wrapper


def _not_owner(request, owner_exists: bool):
    if not owner_exists:
        return redirect("setup")
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.get_full_path())


def setup(request):
    if owner_exists():
        raise Http404("the owner's password is already set")
    error = ""
    if request.method == "POST":
        password, again = request.POST.get("password", ""), request.POST.get("password2", "")
        user_model = get_user_model()
        try:
            if password != again:
                raise ValidationError("The two passwords differ.")
            validate_password(password, user_model(username=OWNER_USERNAME))
        except ValidationError as e:
            error = " ".join(e.messages)
        else:
            with transaction.atomic():
                if owner_exists():
                    raise Http404("the owner's password is already set")
                user = user_model.objects.create_user(OWNER_USERNAME, password=password)
            login(request, user)
            return redirect("month")
    return render(request, "auth/setup.html", {"error": error}, status=400 if error else 200)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return "/"
    return target


def login_view(request):
    if not owner_exists():
        return redirect("setup")
    error, status = "", 200
    if request.method == "POST":
        address = request.META.get("REMOTE_ADDR", "") or "?"
        wait = throttle.retry_after(address)
        if wait:
            error, status = f"Too many attempts, try again in {wait} seconds.", 429
        else:
            user = authenticate(request, username=OWNER_USERNAME, password=request.POST.get("password", ""))
            if user is not None:
                throttle.succeeded(address)
                login(request, user)
                return HttpResponseRedirect(_next_url(request))
            throttle.failed(address)
            error, status = "Wrong password.", 400
    context = {"error": error, "next": _next_url(request)}
    response = render(request, "auth/login.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(wait)
    return response


@require_POST
def logout_view(request):
    logout(request)
    return redirect("login")

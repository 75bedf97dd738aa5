"""Helpers for server-rendered pages (the customer site and the organizer portal)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .cookies import access_cookie_name


def login_required_page(view):
    """Send anonymous visitors to the login page and back; say why when the session ran out."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.COOKIES.get(access_cookie_name()):
            messages.info(request, "Your session timed out. Log in again to continue.")
        else:
            messages.info(request, "Log in to continue.")
        back = request.get_full_path() if request.method == "GET" else request.POST.get("next")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect_to_login(back, login_url=reverse("login"))  # `next` URL-encoded
        return redirect("login")

    return wrapper

"""Template helpers of the public pages."""

from django import template
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.state import token_backend

from apps.accounts.cookies import access_cookie_name
from apps.accounts.permissions import is_organizer, is_staff_member

register = template.Library()


@register.simple_tag(takes_context=True)
def session_expires(context) -> str:
    """The access cookie's expiry (epoch seconds) for the refresh script; empty when absent."""
    request = context.get("request")
    raw = request.COOKIES.get(access_cookie_name()) if request else None
    if not raw:
        return ""
    try:
        return str(int(token_backend.decode(raw, verify=True)["exp"]))
    except (TokenBackendError, KeyError, ValueError):
        return ""


@register.filter
def organizer(user) -> bool:
    return is_organizer(user)


@register.filter
def door_staff(user) -> bool:
    """On some organizer's team (a scanner works the door, nothing else)."""
    return is_staff_member(user)

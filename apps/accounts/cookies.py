"""Auth cookies: HttpOnly, SameSite=Strict, Secure outside DEBUG, paths as narrow as work.

The access cookie goes to every path (API and pages) and, when Secure, has the
`__Host-` prefix (Secure, Path=/, no Domain: the browser enforces all three).
The refresh cookie goes only to the auth endpoints that use it (refresh, logout),
so it cannot have `__Host-`; it gets `__Secure-` instead.
"""

from django.conf import settings
from django.http import HttpResponse
from rest_framework_simplejwt.settings import api_settings as jwt_settings

REFRESH_COOKIE_PATH = "/api/v1/auth/"


def secure() -> bool:
    return settings.VENUE_AUTH_COOKIE_SECURE


def access_cookie_name() -> str:
    return "__Host-venue_access" if secure() else "venue_access"


def refresh_cookie_name() -> str:
    return "__Secure-venue_refresh" if secure() else "venue_refresh"


def set_auth_cookies(response: HttpResponse, *, access: str, refresh: str) -> None:
    common = {"httponly": True, "samesite": "Strict", "secure": secure()}
    response.set_cookie(
        access_cookie_name(),
        access,
        max_age=int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        path="/",
        **common,
    )
    response.set_cookie(
        refresh_cookie_name(),
        refresh,
        max_age=int(jwt_settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
        path=REFRESH_COOKIE_PATH,
        **common,
    )


def clear_auth_cookies(response: HttpResponse) -> None:
    response.delete_cookie(access_cookie_name(), path="/", samesite="Strict")
    response.delete_cookie(refresh_cookie_name(), path=REFRESH_COOKIE_PATH, samesite="Strict")

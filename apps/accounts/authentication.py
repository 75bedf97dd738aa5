"""Authenticate API requests by Bearer header (programs) or access cookie (browsers).

Either way the user is read from the database on every request, so deactivating
a user or changing their role takes effect on their next request. Cookie
requests that change something must carry Django's CSRF header.
"""

from django.middleware.csrf import CsrfViewMiddleware
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError

from apps.core.exceptions import ApplicationError

from .cookies import access_cookie_name


class CsrfFailed(ApplicationError):
    status_code = 403
    code = "csrf_failed"
    message = "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header."


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def enforce_csrf(request) -> None:
    """Raise CsrfFailed unless an unsafe request carries a valid CSRF token."""
    django_request = getattr(request, "_request", request)
    check = _CsrfCheck(lambda req: None)
    check.process_request(django_request)
    reason = check.process_view(django_request, None, (), {})
    if reason:
        raise CsrfFailed(details={"reason": str(reason)})


def user_from_access_token(raw_token: str):
    """Return the active user an access token names, or None if the token is not valid."""
    auth = JWTAuthentication()
    try:
        validated = auth.get_validated_token(raw_token.encode())
        return auth.get_user(validated)
    except (TokenError, AuthenticationFailed):
        return None


class CookieJWTAuthentication(JWTAuthentication):
    """Bearer header first; else the HttpOnly access cookie, with CSRF enforced."""

    def authenticate(self, request):
        if self.get_header(request) is not None:
            return super().authenticate(request)
        raw_token = request.COOKIES.get(access_cookie_name())
        if not raw_token:
            return None
        user = user_from_access_token(raw_token)
        if user is None:
            # A stale cookie makes the request anonymous; protected views answer 401.
            return None
        enforce_csrf(request)
        return user, None

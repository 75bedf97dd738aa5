"""Sign people into the server-rendered pages with the same access cookie as the API."""

from django.utils.functional import SimpleLazyObject

from .authentication import user_from_access_token
from .cookies import access_cookie_name


class JWTCookieUserMiddleware:
    """Replace an anonymous request.user with the user of a valid access cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw_token = request.COOKIES.get(access_cookie_name())
        if raw_token:
            session_user = request.user

            def resolve():
                if session_user.is_authenticated:
                    return session_user
                return user_from_access_token(raw_token) or session_user

            request.user = SimpleLazyObject(resolve)
        return self.get_response(request)

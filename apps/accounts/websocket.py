"""Who is on the other end of a WebSocket: the same access JWT as the API.

Browsers send the HttpOnly access cookie with the handshake (the origin check
in `venue.asgi` keeps other sites from riding on it); programs send
`Authorization: Bearer <access>`. The user is read from the database, so a
deactivated user or a revoked token is refused at the next connection.
"""

from channels.db import database_sync_to_async
from django.http.cookie import parse_cookie

from .authentication import user_from_access_token
from .cookies import access_cookie_name


def token_from_scope(scope) -> str | None:
    """The access token of a WebSocket handshake: Bearer header first, else the cookie."""
    headers = dict(scope.get("headers") or [])
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    cookies = scope.get("cookies")
    if cookies is None:
        cookies = parse_cookie(headers.get(b"cookie", b"").decode("latin-1"))
    return cookies.get(access_cookie_name()) or None


@database_sync_to_async
def user_from_scope(scope):
    """The active user the handshake's access token names, or None."""
    token = token_from_scope(scope)
    return user_from_access_token(token) if token else None

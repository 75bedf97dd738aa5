"""The Origin rule of every WebSocket: no `Origin` is a program, a foreign one is refused.

Browsers always send `Origin` on a WebSocket handshake, and they send the
visitor's cookies with it, so a page of another site must be refused: that is
the protection against cross-site WebSocket hijacking. A client that sends no
`Origin` at all is not a browser page (a mobile app, a script): it carries no
visitor's cookies by accident and is let through; `/ws/me/` still needs its own
credentials (`Authorization: Bearer <access>` on the upgrade request).
"""

from channels.security.websocket import OriginValidator
from django.conf import settings


class SiteOriginValidator(OriginValidator):
    """Accept a handshake without `Origin`; one with an `Origin` must be one of ALLOWED_HOSTS.

    An `Origin` that is present but unreadable (not Latin-1, `null`, no host) counts
    as foreign, never as missing."""

    async def __call__(self, scope, receive, send):
        origins = [value for name, value in scope.get("headers", []) if name == b"origin"]
        if not origins:
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)

    def valid_origin(self, parsed_origin):
        return parsed_origin is not None and self.validate_origin(parsed_origin)


def site_origin_validator(application):
    """Wrap a WebSocket application in the Origin rule, with the hosts of ALLOWED_HOSTS."""
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return SiteOriginValidator(application, allowed_hosts)

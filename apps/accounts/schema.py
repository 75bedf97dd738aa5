"""Describe the cookie-or-Bearer authentication in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .cookies import access_cookie_name


class CookieJWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.CookieJWTAuthentication"
    name = ["bearerAuth", "jwtCookieAuth"]

    def get_security_requirement(self, auto_schema):
        # Either one signs a request in (alternatives), not both together.
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            {"type": "apiKey", "in": "cookie", "name": access_cookie_name()},
        ]

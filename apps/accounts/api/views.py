"""Auth endpoints of docs/api.md: cookies for browsers, token pairs for programs."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.middleware.csrf import get_token, rotate_token
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import recovery, services, verification
from apps.accounts.authentication import enforce_csrf
from apps.accounts.cookies import clear_auth_cookies, refresh_cookie_name, set_auth_cookies

from .privacy import AccountDeleteMixin
from .serializers import (
    LoginSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    RefreshInputSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    UserSerializer,
)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BAD_CREDENTIALS = OpenApiResponse(description="`invalid_credentials`: no such email and password.")
BAD_REFRESH = OpenApiResponse(
    description="`token_not_valid`: the refresh token is missing, expired or revoked; log in."
)
CSRF_FAILED = OpenApiResponse(
    description="`csrf_failed`: send the `csrftoken` cookie's value in X-CSRFToken."
)


def _login_response(request, user, status_code=status.HTTP_200_OK) -> Response:
    refresh = services.tokens_issue(user=user)
    response = Response(UserSerializer(user).data, status=status_code)
    set_auth_cookies(response, access=str(refresh.access_token), refresh=str(refresh))
    rotate_token(request._request)  # a fresh csrftoken cookie for the new session
    return response


class _PublicAuthView(APIView):
    """Login-like endpoints: no session or cookie needed, limited per client IP."""

    authentication_classes = []
    permission_classes = []
    throttle_scope = "login"


class RegisterView(_PublicAuthView):
    @extend_schema(
        request=RegisterSerializer,
        responses={201: UserSerializer, 409: OpenApiResponse(description="`email_taken`.")},
    )
    def post(self, request):
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        verification.verification_request(user=user, base_url=request.build_absolute_uri("/"))
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(_PublicAuthView):
    """Check email and password; set the HttpOnly auth cookies and a fresh CSRF cookie."""

    @extend_schema(request=LoginSerializer, responses={200: UserSerializer, 401: BAD_CREDENTIALS})
    def post(self, request):
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_login(request=request, **data.validated_data)
        return _login_response(request, user)


class PasswordResetView(_PublicAuthView):
    """Ask for a reset link by email. The answer is the same whether or not an account
    has this email (nobody learns who has an account); limited per client IP like
    login, and to a few emails an hour per account."""

    @extend_schema(
        request=PasswordResetSerializer,
        responses={202: OpenApiResponse(description="Queued: an email if the account exists.")},
    )
    def post(self, request):
        data = PasswordResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery.password_reset_request(
            email=data.validated_data["email"], base_url=request.build_absolute_uri("/")
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(_PublicAuthView):
    """Set a new password with the link's `uid` and `token`: the link is void after, and
    every session and refresh token of the account is revoked."""

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={
            204: OpenApiResponse(description="Password changed; log in with it."),
            400: OpenApiResponse(
                description="`reset_link_invalid` (used, expired or not this account's), "
                "or `validation_error` on `password`"
            ),
        },
    )
    def post(self, request):
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery.password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenView(_PublicAuthView):
    """Exchange email and password for a Bearer token pair (programs; no cookies, no CSRF)."""

    @extend_schema(
        request=LoginSerializer, responses={200: TokenPairSerializer, 401: BAD_CREDENTIALS}
    )
    def post(self, request):
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_login(request=request, **data.validated_data)
        refresh = services.tokens_issue(user=user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class TokenRefreshView(_PublicAuthView):
    """Rotate a Bearer refresh token: the old one stops working."""

    @extend_schema(
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer, 401: BAD_REFRESH},
    )
    def post(self, request):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _, refresh = services.tokens_refresh(raw_refresh=data.validated_data["refresh"])
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class CookieRefreshView(_PublicAuthView):
    """Rotate the refresh cookie and issue a new access cookie (CSRF header required)."""

    throttle_scope = None

    @extend_schema(
        request=None, responses={200: UserSerializer, 401: BAD_REFRESH, 403: CSRF_FAILED}
    )
    def post(self, request):
        enforce_csrf(request)
        raw = request.COOKIES.get(refresh_cookie_name())
        if not raw:
            raise services.InvalidRefreshToken("No refresh cookie. Log in again.")
        user, refresh = services.tokens_refresh(raw_refresh=raw)
        response = Response(UserSerializer(user).data)
        set_auth_cookies(response, access=str(refresh.access_token), refresh=str(refresh))
        return response


class LogoutView(_PublicAuthView):
    """Revoke the refresh cookie's token and clear the auth cookies (CSRF header required)."""

    throttle_scope = None

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Logged out."),
            303: OpenApiResponse(description="Logged out from an HTML form: back to the site."),
            403: CSRF_FAILED,
        },
    )
    def post(self, request):
        enforce_csrf(request)
        services.tokens_revoke(raw_refresh=request.COOKIES.get(refresh_cookie_name()))
        if request.content_type.startswith(FORM_TYPES):
            # The site's "Log out" button posts here: only this path gets the refresh cookie.
            messages.info(request._request, "You are logged out.")
            response = HttpResponseRedirect("/", status=status.HTTP_303_SEE_OTHER)
        else:
            response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_auth_cookies(response)
        return response


class MeView(AccountDeleteMixin, APIView):  # DELETE: api/privacy.py
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserSerializer})
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class CsrfView(APIView):
    """Set a fresh `csrftoken` cookie for scripts to echo in X-CSRFToken."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(responses={204: OpenApiResponse(description="csrftoken cookie set.")})
    def get(self, request):
        get_token(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)

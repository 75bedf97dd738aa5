"""The owner's side of an account (docs/api.md "Accounts"): profile, password, email."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import verification
from apps.accounts.cookies import set_auth_cookies
from apps.accounts.services import tokens_issue
from apps.core import serializers as strict

from .serializers import NewPasswordField, UserSerializer


class ProfileSerializer(serializers.Serializer):
    full_name = strict.CharField(max_length=150, required=False)


class PasswordChangeSerializer(serializers.Serializer):
    current_password = strict.CharField(max_length=128, write_only=True, trim_whitespace=False)
    password = NewPasswordField(max_length=128, write_only=True, trim_whitespace=False)


class EmailChangeSerializer(serializers.Serializer):
    email = strict.EmailField(max_length=254)
    password = strict.CharField(max_length=128, write_only=True, trim_whitespace=False)


class VerifySerializer(serializers.Serializer):
    token = strict.CharField(max_length=300, help_text="The last part of the emailed link.")


WRONG_PASSWORD = OpenApiResponse(description="`wrong_password`")


def base_url(request) -> str:
    return request.build_absolute_uri("/")


class ProfileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ProfileSerializer, responses={200: UserSerializer})
    def patch(self, request):
        data = ProfileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        if "full_name" in data.validated_data:  # a PATCH names only what changes
            user = verification.profile_update(user=user, **data.validated_data)
        return Response(UserSerializer(user).data)


class PasswordChangeView(APIView):
    """A new password, proving the current one. Every other token of the account is
    revoked; a cookie session gets fresh cookies, so this browser stays signed in."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={
            200: UserSerializer,
            400: OpenApiResponse(description="`wrong_password`, or `validation_error`"),
        },
    )
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = verification.password_change(
            user=request.user,
            current=data.validated_data["current_password"],
            new=data.validated_data["password"],
        )
        response = Response(UserSerializer(user).data)
        refresh = tokens_issue(user=user)
        set_auth_cookies(response, access=str(refresh.access_token), refresh=str(refresh))
        return response


class EmailChangeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=EmailChangeSerializer,
        responses={
            202: UserSerializer,
            400: WRONG_PASSWORD,
            409: OpenApiResponse(description="`email_taken`"),
            429: OpenApiResponse(description="`rate_limited`: too many emails this hour"),
        },
        description="The new address gets a link; the change takes effect when it is "
        "opened (`pending_email` until then). The account's own address is unchanged.",
    )
    def post(self, request):
        data = EmailChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = verification.email_change_request(user=request.user, **data.validated_data)
        if user.pending_email:
            verification.verification_send(user=user, base_url=base_url(request))
        return Response(UserSerializer(user).data, status=status.HTTP_202_ACCEPTED)


class VerifyView(APIView):
    """Open an email-verification link (the token from it); no sign-in needed."""

    authentication_classes = []
    permission_classes = []
    throttle_scope = "login"

    @extend_schema(
        request=VerifySerializer,
        responses={
            200: UserSerializer,
            400: OpenApiResponse(description="`verify_link_invalid`"),
            409: OpenApiResponse(description="`email_taken`: another account took it meanwhile"),
        },
    )
    def post(self, request):
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(UserSerializer(verification.email_verify(**data.validated_data)).data)


class VerifyResendView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(description="Sent (or nothing to prove)."),
            429: OpenApiResponse(description="`rate_limited`"),
        },
    )
    def post(self, request):
        verification.verification_send(user=request.user, base_url=base_url(request))
        return Response(status=status.HTTP_202_ACCEPTED)

"""The owner's data (docs/api.md "Your data"): `GET auth/me/export/` and `DELETE auth/me/`.

`DELETE auth/me/` is served by `MeView` (auth/me/'s GET stays there) through
`AccountDeleteMixin`. It checks the password, so it counts against the `login_ip` tier
as login does (on top of `user` and `write`); auth/me/'s GET does not.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import privacy
from apps.accounts.cookies import clear_auth_cookies
from apps.core import serializers as strict
from apps.core.schema import VenueAutoSchema


class AccountDeleteSerializer(serializers.Serializer):
    password = strict.CharField(max_length=128, write_only=True, trim_whitespace=False)


class DeleteBodySchema(VenueAutoSchema):
    """drf-spectacular documents bodies of POST, PUT and PATCH only; this DELETE has one."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


class ExportSchema(VenueAutoSchema):
    """The export's shape is the sections the apps registered (`accounts.privacy`)."""

    def get_response_serializers(self):
        return privacy.export_serializer()


REFUSED = OpenApiResponse(
    description="`active_bookings`: a confirmed booking of yours, or a ticket given to you, "
    "is for a showtime that has not ended (`details.bookings`: their references, "
    "`details.tickets`: `REFERENCE-number`); cancel or attend first. `organizer_account`, "
    "`team_member`, `admin_account`: the account acts for an organizer (or is an admin): "
    "hand it over, or leave the team, first. Nothing is erased."
)


class AccountDeleteMixin:  # `DELETE auth/me/` for MeView (no docstring: GET would show it)
    schema = DeleteBodySchema()

    @property
    def throttle_scope(self) -> str | None:
        request = getattr(self, "request", None)
        return "login" if request is not None and request.method == "DELETE" else None

    @extend_schema(
        request=AccountDeleteSerializer,
        responses={
            204: OpenApiResponse(
                description="Deleted: personal data erased, signed out everywhere (the auth "
                "cookies are cleared), an email to the old address."
            ),
            400: OpenApiResponse(description="`wrong_password` (nothing erased), or "
                                 "`validation_error`"),
            409: REFUSED,
        },
        description="Delete your account, proving the password. Your name and email are "
        "erased, waitlist entries deleted, live holds released, every sign-in revoked; "
        "bookings, tickets and payments stay, anonymised, in the organizers' books.",
    )  # fmt: skip
    def delete(self, request):
        data = AccountDeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        privacy.user_delete(user=request.user, password=data.validated_data["password"])
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_auth_cookies(response)
        return response


class ExportView(APIView):
    """Everything VENUE holds about you, as one JSON document."""

    permission_classes = [IsAuthenticated]
    schema = ExportSchema()

    @extend_schema(
        description="Your account, team membership, sign-ins (never the tokens), bookings "
        "with their tickets, tickets given to you, hand-overs, holds, payments, waitlist "
        "entries, door scans and showtime cancellations. Nothing of anyone else; no ticket "
        "codes (the booking's page shows the tickets)."
    )
    def get(self, request):
        return Response(privacy.user_export(user=request.user))

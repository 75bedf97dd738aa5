"""Waitlist endpoints: join, see your place, leave; the organizer's counts per slot."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.waitlist import errors, selectors, services

from .serializers import (
    EntrySerializer,
    JoinInputSerializer,
    JoinOutputSerializer,
    SummarySerializer,
)


class WaitlistView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: EntrySerializer,
            404: OpenApiResponse(description="waitlist_entry_not_found: you are not in line"),
        },
    )
    def get(self, request, slot_id: int):
        """Your live entry on this showtime's waitlist, with your place in line or your offer."""
        entry = selectors.entry_live(request.user, slot_id)
        if entry is None:
            raise errors.EntryNotFound()
        return Response(selectors.entry_payload(entry))

    @extend_schema(
        request=JoinInputSerializer,
        responses={
            201: JoinOutputSerializer,
            404: OpenApiResponse(description="slot_not_found"),
            409: OpenApiResponse(
                description="seats_available (hold them instead), already_waitlisted, "
                "slot_not_on_sale"
            ),
        },
    )
    def post(self, request, slot_id: int):
        """Join the line for 1-10 places; only when the showtime cannot sell them now."""
        data = JoinInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.waitlist_join(
            user=request.user, slot_id=slot_id, quantity=data.validated_data["quantity"]
        )
        return Response(
            {"position": selectors.entry_position(entry)}, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Left; an open offer is declined and passes on."),
            404: OpenApiResponse(description="waitlist_entry_not_found"),
        },
    )
    def delete(self, request, slot_id: int):
        services.waitlist_leave(user=request.user, slot_id=slot_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WaitlistSummaryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            200: SummarySerializer,
            404: OpenApiResponse(description="slot_not_found: not a showtime of yours"),
        },
    )
    def get(self, request, slot_id: int):
        """Waitlist counts of a showtime, for its organizer (and admins)."""
        slot = selectors.slot_for_summary(request.user, slot_id)
        if slot is None:
            raise errors.SlotNotFound()
        return Response(selectors.slot_summary(slot))

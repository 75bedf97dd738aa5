"""Ticket transfer endpoints of API.md: give a ticket away, list the tickets given to you.

Both transfer paths call `services.ticket_transfer`: the booking's (`bookings/{id}/
tickets/{number}/transfer/`, for the buyer) and the ticket's own (`tickets/{id}/
transfer/`, for whoever holds it now). Writes count against the `write` rate tier.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.bookings import selectors, services
from apps.core.pagination import PageNumberPagination

from .serializers import HeldTicketSerializer, TransferInputSerializer, TransferOutputSerializer

TRANSFER_RESPONSES = {
    200: TransferOutputSerializer,
    400: OpenApiResponse(
        description="`validation_error` (not an email), `transfer_to_self` (your own "
        "address), `transfer_recipient_invalid` (an address that cannot take it)"
    ),
    404: OpenApiResponse(description="`ticket_not_found`: no such ticket that you hold now"),
    409: OpenApiResponse(
        description="`ticket_used` (admitted at the door), `ticket_cancelled`, "
        "`transfer_closed` (the showtime has started or was called off)"
    ),
}


def _transfer(request, **ticket) -> Response:
    data = TransferInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    email = data.validated_data["email"]
    given = services.ticket_transfer(
        user=request.user, email=email, base_url=request.build_absolute_uri("/"), **ticket
    )
    return Response(
        {
            "id": given.pk,
            "booking_reference": given.booking.reference,
            "number": given.number,
            "seat": given.seat_id,
            "status": given.status,
            "transferred_to": selectors.mask_email(email.strip().lower()),
        }
    )


class BookingTicketTransferView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=TransferInputSerializer,
        responses=TRANSFER_RESPONSES,
    )
    def post(self, request, booking_id: int, number: int):
        return _transfer(request, booking_id=booking_id, number=number)


class TicketTransferView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=TransferInputSerializer,
        responses=TRANSFER_RESPONSES,
    )
    def post(self, request, ticket_id: int):
        return _transfer(request, ticket_id=ticket_id)


class HeldTicketListView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = PageNumberPagination

    @extend_schema(responses={200: HeldTicketSerializer(many=True)})
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.held_tickets(request.user), request, view=self)
        return paginator.get_paginated_response([selectors.held_ticket_payload(t) for t in page])

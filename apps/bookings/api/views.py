"""Booking endpoints of API.md: hold, release, confirm (idempotent), list, cancel, and the
booking's documents (tickets PDF, .ics)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.bookings import documents, errors, selectors, services
from apps.bookings.payments import provider_names
from apps.core.exceptions import ApplicationError
from apps.core.pagination import PageNumberPagination

from .payments import PaymentActionSerializer, payment_return_url
from .serializers import (
    BookingDetailSerializer,
    BookingSerializer,
    CancelOutputSerializer,
    ConfirmInputSerializer,
    HoldInputSerializer,
    HoldSerializer,
    TicketsCancelInputSerializer,
    TicketsCancelOutputSerializer,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    # What the view takes: up to 255 characters, not all blank (else 400).
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"},
    location=OpenApiParameter.HEADER,
    required=True,
    description="Unique per purchase; repeats within 24 h replay the first response.",
)


class HoldCreateView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "booking"

    @extend_schema(
        request=HoldInputSerializer,
        responses={
            201: HoldSerializer,
            400: OpenApiResponse(
                description="`validation_error`, `too_many_seats`, `invalid_seats`, "
                "`seating_mismatch`, or `promo_invalid` (`details.reason`: `window`, "
                "`showtime`, `categories`, `used_up`, `used_up_by_you`; nothing held)."
            ),
            409: OpenApiResponse(
                description="`seat_unavailable` (nothing held), `slot_not_on_sale`, "
                "`slot_not_found`, `hold_in_progress`, or `limit_exceeded` (the event's "
                "per-customer cap: `details` has `limit`, `held`, `booked`, `asked`, `left`)."
            ),
        },
    )
    def post(self, request):
        data = HoldInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hold = services.hold_create(
            user=request.user,
            slot_id=data.validated_data["slot"],
            promo_code=data.validated_data.get("promo_code") or None,
            **data.hold_arguments(),
        )
        return Response(selectors.hold_payload(hold), status=status.HTTP_201_CREATED)


class HoldListView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = PageNumberPagination

    @extend_schema(responses={200: HoldSerializer(many=True)})
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.hold_list(request.user), request, view=self)
        return paginator.get_paginated_response([selectors.hold_payload(h) for h in page])


class HoldDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Released."),
            404: OpenApiResponse(description="hold_not_found"),
        }
    )
    def delete(self, request, hold_id: int):
        services.hold_release(user=request.user, hold_id=hold_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConfirmView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "booking"

    @extend_schema(
        request=ConfirmInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: BookingSerializer,
            202: OpenApiResponse(
                PaymentActionSerializer,
                description="The customer must authorise the payment first (3-D Secure): "
                "send them to `redirect_url`; they come back to the site, or poll "
                "`GET payments/{payment}/`. Repeats of this request answer 202 until the "
                "payment ends, then its booking (201) or refusal.",
            ),
            402: OpenApiResponse(description="payment_declined (the hold is kept)"),
            404: OpenApiResponse(description="hold_not_found: no such live hold of yours"),
            409: OpenApiResponse(
                description="request_in_progress; slot_not_on_sale (the showtime was "
                "cancelled, its event cancelled, or it has started: nothing charged)"
            ),
            410: OpenApiResponse(description="hold_expired"),
            422: OpenApiResponse(description="idempotency_key_reused"),
            502: OpenApiResponse(description="payment_provider_error (nothing booked)"),
        },
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 255:
            raise errors.IdempotencyKeyRequired()
        data = ConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = data.validated_data["payment"]
        if payment["method"] not in provider_names():
            raise ApplicationError(
                "Unknown payment method.",
                code="invalid_payment_method",
                details={"methods": provider_names()},
            )
        code = (data.validated_data.get("promo_code") or "").strip().upper()
        if code and selectors.hold_promo_code(request.user, data.validated_data["hold"]) != code:
            raise errors.PromoInvalid(
                "Codes apply when the seats are held: hold them again with this code."
            )
        outcome = services.booking_confirm(
            user=request.user,
            hold_id=data.validated_data["hold"],
            method=payment["method"],
            token=payment["token"],
            key=key,
            fingerprint=services.request_fingerprint(data.validated_data),
            return_url=payment_return_url(request),
        )
        response = Response(outcome.body, status=outcome.status)
        if outcome.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class BookingListView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = PageNumberPagination

    @extend_schema(responses={200: BookingSerializer(many=True)})
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.booking_list(request.user), request, view=self)
        return paginator.get_paginated_response([selectors.booking_payload(b) for b in page])


class BookingDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: BookingDetailSerializer})
    def get(self, request, booking_id: int):
        booking = selectors.booking_get(request.user, booking_id)
        if booking is None:
            raise errors.BookingNotFound()
        return Response(selectors.booking_payload(booking, with_qr=True))


class BookingCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: CancelOutputSerializer,
            404: OpenApiResponse(description="booking_not_found"),
            409: OpenApiResponse(description="already_cancelled, or cancellation_closed"),
        },
    )
    def post(self, request, booking_id: int):
        booking = services.booking_cancel(user=request.user, booking_id=booking_id)
        return Response({"status": booking.status})


TICKETS_CANCEL_ERRORS = {
    400: OpenApiResponse(description="`validation_error`, `invalid_tickets`"),
    404: OpenApiResponse(description="`booking_not_found`, `ticket_not_found`"),
    409: OpenApiResponse(
        description="`already_cancelled`, `cancellation_closed` (past the cut-off), "
        "`ticket_used` (admitted at the door), `ticket_cancelled`, `ticket_given_away` "
        "(only the organizer may cancel a ticket given to someone else)"
    ),
}


def tickets_cancel_response(result) -> Response:
    """The answer of a partial cancellation, the customer's or the organizer's."""
    return Response(
        {
            "status": result.booking.status,
            "cancelled": list(result.numbers),
            "refund": str(result.amount),
            "booking": selectors.booking_payload(
                selectors.booking_for_payload(result.booking.pk), with_qr=True
            ),
        }
    )


class BookingTicketsCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=TicketsCancelInputSerializer,
        responses={200: TicketsCancelOutputSerializer, **TICKETS_CANCEL_ERRORS},
        description="Cancel some tickets of your booking (before the cancellation cut-off): "
        "their seats are free at once and what you paid for them is refunded; the rest of "
        "the booking stands. Naming every live ticket cancels the booking.",
    )
    def post(self, request, booking_id: int):
        data = TicketsCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.booking_tickets_cancel(
            booking_id=booking_id, numbers=data.validated_data["tickets"], user=request.user
        )
        return tickets_cancel_response(result)


class _ErrorsAsJson(BaseContentNegotiation):
    """A download answers its errors in JSON whatever `Accept` says: a client asking for
    `application/pdf` gets the 404's error body, not a 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _BookingDocumentView(APIView):
    """GET a document of one of your bookings: 200 the file, 404 anyone else's."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _ErrorsAsJson

    def booking(self, request, booking_id: int):
        booking = documents.booking_for_documents(request.user, booking_id)
        if booking is None:
            raise errors.BookingNotFound()
        return booking


class BookingTicketsPdfView(_BookingDocumentView):
    """Your booking's tickets as a PDF, one page each (fpdf2)."""

    @extend_schema(
        operation_id="bookings_tickets_pdf",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="One page per ticket with its QR code; a cancelled ticket's "
                "page says CANCELLED and has none. Saved as `venue-<reference>.pdf`.",
            ),
            404: OpenApiResponse(description="booking_not_found"),
        },
    )
    def get(self, request, booking_id: int):
        booking = self.booking(request, booking_id)
        return documents.download(
            documents.tickets_pdf(booking),
            name=documents.filename(booking, "pdf"),
            content_type=documents.PDF_TYPE,
        )


class BookingCalendarView(_BookingDocumentView):
    """Your booking's showtime as an iCalendar file, linking to the booking page."""

    @extend_schema(
        operation_id="bookings_calendar_ics",
        responses={
            (200, "text/calendar"): OpenApiResponse(
                OpenApiTypes.STR,
                description="iCalendar (RFC 5545): one VEVENT, UID `booking-<reference>@venue`, "
                "start and end in UTC. Saved as `venue-<reference>.ics`.",
            ),
            404: OpenApiResponse(description="booking_not_found"),
        },
    )
    def get(self, request, booking_id: int):
        booking = self.booking(request, booking_id)
        page = request.build_absolute_uri(reverse("booking-detail", args=[booking.pk]))
        return documents.download(
            documents.booking_ics(booking, url=page),
            name=documents.filename(booking, "ics"),
            content_type=documents.ICS_TYPE,
        )

"""Booking endpoints of API.md: hold, release, confirm (idempotent), list, cancel."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.bookings import errors, selectors, services
from apps.bookings.payments import provider_names
from apps.core.exceptions import ApplicationError
from apps.core.pagination import PageNumberPagination

from .serializers import (
    BookingDetailSerializer,
    BookingSerializer,
    CancelOutputSerializer,
    ConfirmInputSerializer,
    HoldInputSerializer,
    HoldSerializer,
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
            409: OpenApiResponse(
                description="`seat_unavailable` (nothing held), `slot_not_on_sale`, "
                "`slot_not_found`, or `hold_in_progress`."
            ),
        },
    )
    def post(self, request):
        data = HoldInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hold = services.hold_create(
            user=request.user,
            slot_id=data.validated_data["slot"],
            seat_ids=data.validated_data.get("seats"),
            quantity=data.validated_data.get("quantity"),
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
        outcome = services.booking_confirm(
            user=request.user,
            hold_id=data.validated_data["hold"],
            method=payment["method"],
            token=payment["token"],
            key=key,
            fingerprint=services.request_fingerprint(data.validated_data),
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

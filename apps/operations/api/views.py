"""Organizer operations (docs/api.md "Organizer operations"): cancel a showtime and follow
the job, cancel some tickets of a booking, move bookings to another showtime, read the
money ledger."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import IsOrganizer
from apps.bookings import errors as booking_errors
from apps.bookings import ledger
from apps.bookings import selectors as booking_selectors
from apps.bookings import services as bookings
from apps.bookings.api.serializers import (
    TicketsCancelInputSerializer,
    TicketsCancelOutputSerializer,
)
from apps.bookings.api.views import TICKETS_CANCEL_ERRORS, tickets_cancel_response
from apps.bookings.models import Booking
from apps.catalog.selectors import event_editable
from apps.core.pagination import PageNumberPagination
from apps.operations import errors, moves, selectors, services
from apps.scheduling.models import Slot
from apps.scheduling.selectors import slot_editable

from . import serializers as s

NOT_YOURS = OpenApiResponse(description="not a showtime (or job) of yours")


def _slot(request, slot_id: int):
    slot = slot_editable(request.user).filter(pk=slot_id).first()
    if slot is None:
        raise errors.SlotNotFound()
    return slot


def _job(request, job_id: int):
    job = selectors.jobs_of(request.user).filter(pk=job_id).first()
    if job is None:
        raise errors.JobNotFound()
    return job


class SlotCancelView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(
        responses={200: s.CancelPreviewSerializer, 404: NOT_YOURS},
        description="What cancelling the showtime would do; changes nothing.",
    )
    def get(self, request, slot_id: int):
        preview = selectors.cancel_preview(_slot(request, slot_id))
        return Response(s.CancelPreviewSerializer(preview).data)

    @extend_schema(
        request=s.CancelInSerializer,
        responses={
            202: s.JobStartedSerializer,
            404: NOT_YOURS,
            409: OpenApiResponse(description="`slot_not_cancellable`: it has started"),
        },
        description="Cancel the showtime now (no new holds or payments), then a job "
        "cancels and refunds every booking and tells every customer and everyone "
        "waiting. Asking again returns the same job.",
    )
    def post(self, request, slot_id: int):
        data = s.CancelInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.slot_cancel(
            slot=_slot(request, slot_id), reason=data.validated_data["reason"], by=request.user
        )
        return Response({"job": job.pk}, status=status.HTTP_202_ACCEPTED)


def _event(request, event_id: int):
    event = event_editable(request.user).filter(pk=event_id).first()
    if event is None:
        raise errors.EventNotFound()
    return event


class EventCancelView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(
        responses={200: s.EventCancelPreviewSerializer, 404: NOT_YOURS},
        description="What cancelling the event would do, per showtime still to come.",
    )
    def get(self, request, event_id: int):
        preview = selectors.event_cancel_preview(_event(request, event_id))
        return Response(s.EventCancelPreviewSerializer(preview).data)

    @extend_schema(
        request=s.CancelInSerializer,
        responses={202: s.JobsStartedSerializer, 404: NOT_YOURS},
        description="Cancel the event now (none of its showtimes sells from then on) "
        "and every showtime still to come, each with its own job as "
        "`POST slots/{id}/cancel/`. Asking again returns the same jobs.",
    )
    def post(self, request, event_id: int):
        data = s.CancelInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        jobs = services.event_cancel(
            event=_event(request, event_id),
            reason=data.validated_data["reason"],
            by=request.user,
        )
        return Response({"jobs": [job.pk for job in jobs]}, status=status.HTTP_202_ACCEPTED)


class JobView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(responses={200: s.JobSerializer, 404: NOT_YOURS})
    def get(self, request, job_id: int):
        return Response(s.JobSerializer(selectors.job_progress(_job(request, job_id))).data)


class JobRetryView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(
        request=None,
        responses={202: s.JobSerializer, 404: NOT_YOURS},
        description="Run the job again: refused refunds are asked again; nothing is "
        "cancelled, refunded or told twice.",
    )
    def post(self, request, job_id: int):
        job = services.job_retry(job=_job(request, job_id))
        return Response(s.JobSerializer(selectors.job_progress(job)).data, status=202)


def _booking_of(request, slot_id: int, booking_id: int):
    slot = _slot(request, slot_id)
    booking = Booking.objects.filter(pk=booking_id, slot=slot).first()
    if booking is None:
        raise booking_errors.BookingNotFound("No such booking of this showtime.")
    return booking


def _target(request, slot, value) -> Slot | None:
    """The showtime to move to: one of the organizer's, of the same event (else None)."""
    return slot_editable(request.user).filter(pk=value, event_id=slot.event_id).first()


class BookingTicketsCancelView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(
        request=TicketsCancelInputSerializer,
        responses={200: TicketsCancelOutputSerializer, **TICKETS_CANCEL_ERRORS},
        description="Cancel some tickets of a booking of your showtime at any time before "
        "it starts (tickets given to someone else included): their seats are free at once "
        "and what was paid for them is refunded. Naming every live ticket cancels the "
        "booking.",
    )
    def post(self, request, slot_id: int, booking_id: int):
        booking = _booking_of(request, slot_id, booking_id)
        data = TicketsCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = bookings.booking_tickets_cancel(
            booking_id=booking.pk,
            numbers=data.validated_data["tickets"],
            by_organizer=True,
            by=request.user,
        )
        return tickets_cancel_response(result)


MOVE_ERRORS = {
    404: NOT_YOURS,
    409: OpenApiResponse(
        description="`move_not_possible` (another event, cancelled or started showtimes, "
        "reserved vs general admission, categories the target does not sell), "
        "`move_target_not_found`, `move_no_seats` (no room together of its categories), "
        "`ticket_used`, `already_cancelled`; the booking is left as it was"
    ),
}


class BookingMoveView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(
        request=s.MoveInSerializer,
        responses={200: s.MoveOutSerializer, **MOVE_ERRORS},
        description="Move one booking to another showtime of the same event, all or "
        "nothing: the same seats where the screen is the same and they are free, else the "
        "best free seats of each category together; new tickets (the old QR texts are "
        "refused at the door); the customer is emailed.",
    )
    def post(self, request, slot_id: int, booking_id: int):
        booking = _booking_of(request, slot_id, booking_id)
        data = s.MoveInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = _target(request, booking.slot, data.validated_data["slot"])
        moved = bookings.booking_move(
            booking_id=booking.pk,
            to_slot_id=target.pk if target else 0,
            by=request.user,
            refund_difference=data.validated_data["refund_difference"],
            from_slot_id=slot_id,
        )
        move = moved.move
        body = {
            "booking": booking_selectors.booking_payload(
                booking_selectors.booking_for_payload(booking.pk), with_qr=True
            ),
            "from_slot": move.from_slot_id,
            "to_slot": move.to_slot_id,
            "same_seats": move.same_seats,
            "seats": move.seats,
            "difference": str(move.difference),
            "refunded": str(move.refunded),
        }
        return Response(body)


TO_PARAM = OpenApiParameter(
    "to",
    {"type": "integer", "minimum": 1, "maximum": s.BIGINT},
    required=True,
    description="The target showtime.",
)


class SlotMoveView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(
        parameters=[TO_PARAM],
        responses={
            200: s.MovePreviewSerializer,
            400: OpenApiResponse(description="`validation_error`: `to` missing"),
            **MOVE_ERRORS,
        },
        description="What moving every booking of this showtime to `to` needs, and what "
        "`to` has free, per seat category; changes nothing.",
    )
    def get(self, request, slot_id: int):
        slot = _slot(request, slot_id)
        to = s.MovePreviewQuerySerializer(data=request.query_params)
        to.is_valid(raise_exception=True)
        target = moves.move_target_check(
            slot=slot, to_slot=_target(request, slot, to.validated_data["to"])
        )
        return Response(s.MovePreviewSerializer(selectors.move_preview(slot, target)).data)

    @extend_schema(
        request=s.MoveInSerializer,
        responses={202: s.JobStartedSerializer, **MOVE_ERRORS},
        description="Move every confirmed booking of this showtime to another of the same "
        "event, one booking at a time (each all or nothing, each customer emailed). Follow "
        "it at `GET moves/{id}/`. Asking again while it runs returns the same job.",
    )
    def post(self, request, slot_id: int):
        slot = _slot(request, slot_id)
        data = s.MoveInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = moves.slot_move(
            slot=slot,
            to_slot=_target(request, slot, data.validated_data["slot"]),
            by=request.user,
            refund_difference=data.validated_data["refund_difference"],
        )
        return Response({"job": job.pk}, status=status.HTTP_202_ACCEPTED)


def _move_job(request, job_id: int):
    job = selectors.move_jobs_of(request.user).filter(pk=job_id).first()
    if job is None:
        raise errors.JobNotFound()
    return job


class MoveJobView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(responses={200: s.MoveJobSerializer, 404: NOT_YOURS})
    def get(self, request, job_id: int):
        job = _move_job(request, job_id)
        return Response(s.MoveJobSerializer(selectors.move_job_progress(job)).data)


class MoveJobRetryView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(
        request=None,
        responses={202: s.MoveJobSerializer, 404: NOT_YOURS},
        description="Try the bookings that could not move again (there may be room now).",
    )
    def post(self, request, job_id: int):
        job = moves.move_job_retry(job=_move_job(request, job_id))
        return Response(s.MoveJobSerializer(selectors.move_job_progress(job)).data, status=202)


class SlotLedgerView(APIView):
    permission_classes = [IsOrganizer]
    pagination_class = PageNumberPagination

    @extend_schema(
        responses={200: s.LedgerSerializer, 404: NOT_YOURS},
        description="The showtime's money: every charge, refund and move of money (paged, "
        "oldest first) and the totals, which reconcile with its bookings to the cent "
        "(`net == booked + owed`). The portal's money page has the same as CSV.",
    )
    def get(self, request, slot_id: int):
        slot = _slot(request, slot_id)
        books = ledger.slot_ledger(slot.pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(books.entries, request, view=self)
        body = {
            "slot": slot.pk,
            "charged": str(books.charged),
            "refunded": str(books.refunded),
            "moved_in": str(books.moved_in),
            "moved_out": str(books.moved_out),
            "net": str(books.net),
            "booked": str(books.booked),
            "owed": str(books.owed),
            "kept": str(books.kept),
            "reconciles": books.reconciles,
            "count": books.count,
            "results": [
                {
                    "id": entry.pk,
                    "created_at": entry.created_at,
                    "kind": entry.kind,
                    "amount": str(entry.amount),
                    "booking": entry.booking.reference if entry.booking else None,
                    "provider": entry.provider,
                    "provider_ref": entry.provider_ref,
                    "by": entry.by.email if entry.by else None,
                    "reason": entry.reason,
                }
                for entry in page
            ],
        }
        return Response(s.LedgerSerializer(body).data)

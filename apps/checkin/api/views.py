"""The door's API (docs/api.md "Door check-in"): scan, offline lists and uploads, figures."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import IsTeamStaff, staff_organizer_ids, team_role
from apps.catalog.models import Event
from apps.checkin import errors, selectors, services
from apps.core.exceptions import NotFound
from apps.scheduling.models import Slot

from . import serializers as s

REFUSALS = OpenApiResponse(
    description="`already_checked_in` (`details`: `at`, `gate` of its entry), "
    "`wrong_showtime`, `ticket_cancelled`, `checkin_closed` (`details`: `opens_at`, "
    "`closes_at`), `not_checked_in` / `reentry_not_allowed` (exit scans)"
)
NOT_YOURS = OpenApiResponse(description="`slot_not_found`: not a showtime your team works")


def staff_slot(request, slot_id: int) -> Slot:
    slot = selectors.staff_slots(request.user).filter(pk=slot_id).first()
    if slot is None:
        raise errors.SlotNotFound()
    return slot


def door_slot(request, slot_id: int) -> Slot:
    """`staff_slot` for the scan paths: the same rule, fewer columns."""
    slot = selectors.door_slot(request.user, slot_id)
    if slot is None:
        raise errors.SlotNotFound()
    return slot


def ticket_body(ticket) -> dict | None:
    if ticket is None:
        return None
    return {
        "number": ticket.number,
        "seat_label": ticket.seat.label if ticket.seat else None,
        "category": ticket.seat.category if ticket.seat else "general",
        "booking_reference": ticket.booking.reference,
    }


def _counts(slot: Slot, figures: dict | None = None) -> dict:
    """Checked in and expected: those the scan read after its commit, else read now."""
    figures = figures or selectors.door_counts(slot.pk)
    return {"checked_in": figures["checked_in"], "expected": figures["expected"]}


class ScanView(APIView):
    permission_classes = [IsTeamStaff]
    throttle_scope = "door"

    @extend_schema(
        request=s.ScanInSerializer,
        responses={
            200: s.ScanOutSerializer,
            400: OpenApiResponse(description="`invalid_ticket`: forged or unreadable"),
            404: NOT_YOURS,
            409: REFUSALS,
        },
    )
    def post(self, request):
        data = s.ScanInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = door_slot(request, data.validated_data["slot"])
        outcome = services.ticket_scan(
            staff=request.user,
            slot=slot,
            code=data.validated_data["code"],
            gate=data.validated_data["gate"],
            direction=data.validated_data["direction"],
        )
        if not outcome.admitted:
            details = dict(outcome.details)
            if outcome.ticket is not None:
                details["ticket"] = ticket_body(outcome.ticket)
            raise errors.BY_RESULT[outcome.result](details=details)
        return Response(
            {
                "result": outcome.result,
                "ticket": ticket_body(outcome.ticket),
                **_counts(slot, outcome.figures),
            }
        )


class UploadView(APIView):
    """An offline gate's scans, sent when the network is back."""

    permission_classes = [IsTeamStaff]
    throttle_scope = "door"

    @extend_schema(
        request=s.UploadInSerializer, responses={200: s.UploadOutSerializer, 404: NOT_YOURS}
    )
    def post(self, request):
        data = s.UploadInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = door_slot(request, data.validated_data["slot"])
        outcomes = services.scans_upload(
            staff=request.user,
            slot=slot,
            gate=data.validated_data["gate"],
            scans=data.validated_data["scans"],
        )
        results = [
            {
                "ref": outcome.scan.client_ref,
                "result": outcome.result,
                "ticket": ticket_body(outcome.ticket),
                "details": outcome.details,
            }
            for outcome in outcomes
        ]
        return Response({"results": results, **_counts(slot)})


class FiguresView(APIView):
    permission_classes = [IsTeamStaff]

    @extend_schema(responses={200: s.FiguresSerializer, 404: NOT_YOURS})
    def get(self, request, slot_id: int):
        return Response(
            s.FiguresSerializer(selectors.checkin_figures(staff_slot(request, slot_id))).data
        )

    @extend_schema(
        request=s.WindowInSerializer,
        responses={
            200: s.FiguresSerializer,
            400: OpenApiResponse(description="`invalid_window`"),
            403: OpenApiResponse(description="scanners read, they do not set the window"),
            404: NOT_YOURS,
        },
        description="Set when the door admits; a bound left empty (or null) is the default "
        "(two hours before the start, until the end).",
    )
    def patch(self, request, slot_id: int):
        slot = staff_slot(request, slot_id)
        if not selectors.may_manage_door(request.user, slot):
            raise PermissionDenied("Only the organizer and its managers set the door's window.")
        data = s.WindowInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.checkin_window_set(
            slot=slot,
            opens_at=data.validated_data.get("opens_at"),
            closes_at=data.validated_data.get("closes_at"),
        )
        slot = staff_slot(request, slot_id)  # read again: the window came with the slot
        return Response(s.FiguresSerializer(selectors.checkin_figures(slot)).data)


class ListView(APIView):
    """What an offline gate downloads before the doors open."""

    permission_classes = [IsTeamStaff]

    @extend_schema(responses={200: s.CheckinListSerializer, 404: NOT_YOURS})
    def get(self, request, slot_id: int):
        slot = staff_slot(request, slot_id)
        return Response(s.CheckinListSerializer(selectors.checkin_list(slot)).data)


class ConflictsView(APIView):
    permission_classes = [IsTeamStaff]

    @extend_schema(responses={200: s.ConflictSerializer(many=True), 404: NOT_YOURS})
    def get(self, request, slot_id: int):
        slot = staff_slot(request, slot_id)
        rows = [
            {
                "ticket": ticket_body(scan.ticket),
                "first_at": scan.conflict_with.scanned_at if scan.conflict_with else None,
                "first_gate": scan.conflict_with.gate if scan.conflict_with else "",
                "second_at": scan.scanned_at,
                "second_gate": scan.gate,
            }
            for scan in selectors.double_entries(slot)
        ]
        return Response(s.ConflictSerializer(rows, many=True).data)


class EventRulesView(APIView):
    permission_classes = [IsTeamStaff]

    @extend_schema(
        request=s.RulesInSerializer,
        responses={
            200: s.RulesInSerializer,
            403: OpenApiResponse(description="scanners do not set door rules"),
            404: OpenApiResponse(description="`event_not_found`"),
        },
    )
    def patch(self, request, event_id: int):
        ids = staff_organizer_ids(request.user)
        events = Event.objects.all() if ids is None else Event.objects.filter(organizer_id__in=ids)
        event = events.filter(pk=event_id).first()
        if event is None:
            raise NotFound("No such event of yours.", code="event_not_found")
        if team_role(request.user, event.organizer_id) not in ("organizer", "manager"):
            raise PermissionDenied("Only the organizer and its managers set door rules.")
        data = s.RulesInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "reentry" in data.validated_data:
            services.checkin_rules_set(event=event, reentry=data.validated_data["reentry"])
        return Response({"reentry": selectors.reentry_of_event(event)})

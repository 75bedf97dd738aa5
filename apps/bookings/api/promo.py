"""Promo codes of an event, for its organizer (docs/api.md "Promo codes"): list, create,
change (retire with `active: false`). Customers use them with `hold-seats`."""

from decimal import Decimal

from django.db.models import Count, Q
from django.db.models.functions import Now
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import IsOrganizer
from apps.bookings import errors
from apps.bookings.models import PromoCode
from apps.bookings.services.promo import promo_code_create, promo_code_update
from apps.catalog.selectors import event_editable
from apps.core import serializers as strict
from apps.core.exceptions import NotFound
from apps.scheduling.models import Slot

NOT_YOURS = OpenApiResponse(description="not an event (or code) of yours")


class PromoCodeSerializer(strict.ModelSerializer):
    code = strict.RegexField(
        r"^[A-Za-z0-9_-]{3,32}$",
        help_text="3-32 letters, digits, - or _; matched case-blind.",
    )
    slots = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        source="slot_ids",
        required=False,
        max_length=500,
        help_text="Ids of the event's showtimes it is for; empty: all of them.",
    )
    categories = serializers.ListField(
        child=strict.CharField(max_length=32),
        required=False,
        max_length=20,
        help_text="Seat categories it takes off; empty: all.",
    )
    ticket_types = serializers.ListField(
        child=strict.CharField(max_length=32),
        required=False,
        max_length=8,
        help_text="Ticket type codes it takes off (adult, child, ...); empty: all.",
    )
    amount = strict.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("99999.99"),
        help_text="Percent or money off; 0 only for a presale code that gives no discount.",
    )
    max_uses = serializers.IntegerField(
        min_value=0, max_value=1_000_000, required=False, allow_null=True
    )
    max_uses_per_customer = serializers.IntegerField(
        min_value=1, max_value=100, required=False, allow_null=True
    )
    uses = serializers.IntegerField(
        read_only=True,
        source="uses_count",
        default=0,
        help_text="Uses now: bookings made with it and live holds keeping one.",
    )

    class Meta:
        model = PromoCode
        fields = [
            "id",
            "code",
            "kind",
            "amount",
            "per",
            "slots",
            "categories",
            "ticket_types",
            "valid_from",
            "valid_until",
            "max_uses",
            "max_uses_per_customer",
            "presale",
            "active",
            "uses",
        ]
        read_only_fields = ["id", "uses"]

    def validate(self, attrs):
        event = self.context["event"]
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        amount = attrs.get("amount", getattr(self.instance, "amount", None))
        if kind == PromoCode.Kind.PERCENT and amount is not None and amount > 100:
            raise serializers.ValidationError({"amount": "A percentage is at most 100."})
        presale = attrs.get("presale", getattr(self.instance, "presale", False))
        if amount is not None and amount <= 0 and not presale:
            raise serializers.ValidationError(
                {"amount": "More than 0 (only a presale code may give no discount)."}
            )
        start = attrs.get("valid_from", getattr(self.instance, "valid_from", None))
        end = attrs.get("valid_until", getattr(self.instance, "valid_until", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"valid_until": "Must come after valid_from."})
        if "slot_ids" in attrs:
            wanted = set(attrs.pop("slot_ids"))
            attrs["slots"] = list(Slot.objects.filter(pk__in=wanted, event=event))
            if len(attrs["slots"]) != len(wanted):
                raise serializers.ValidationError({"slots": "Only showtimes of this event."})
        return attrs


def _with_uses(queryset):
    live = Q(uses__booking__isnull=False) | Q(uses__expires_at__gt=Now())
    return queryset.annotate(uses_count=Count("uses", filter=live)).prefetch_related("slots")


def _body(code: PromoCode) -> dict:
    code.slot_ids = sorted(slot.pk for slot in code.slots.all())
    return PromoCodeSerializer(code).data


def _event(request, event_id: int):
    event = event_editable(request.user).filter(pk=event_id).first()
    if event is None:
        raise NotFound("No such event of yours.", code="event_not_found")
    return event


class EventPromoCodesView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(responses={200: PromoCodeSerializer(many=True), 404: NOT_YOURS})
    def get(self, request, event_id: int):
        event = _event(request, event_id)
        codes = _with_uses(PromoCode.objects.filter(event=event)).order_by("code")
        return Response([_body(code) for code in codes])

    @extend_schema(
        request=PromoCodeSerializer,
        responses={
            201: PromoCodeSerializer,
            400: OpenApiResponse(description="`validation_error`"),
            404: NOT_YOURS,
            409: OpenApiResponse(description="`promo_code_taken`"),
        },
    )
    def post(self, request, event_id: int):
        event = _event(request, event_id)
        data = PromoCodeSerializer(data=request.data, context={"event": event})
        data.is_valid(raise_exception=True)
        code = promo_code_create(event=event, **data.validated_data)
        return Response(_body(code), status=status.HTTP_201_CREATED)


class PromoCodeView(APIView):
    permission_classes = [IsOrganizer]

    def code(self, request, code_id: int) -> PromoCode:
        code = (
            _with_uses(PromoCode.objects.filter(event__in=event_editable(request.user)))
            .select_related("event")
            .filter(pk=code_id)
            .first()
        )
        if code is None:
            raise errors.PromoCodeNotFound()
        return code

    @extend_schema(responses={200: PromoCodeSerializer, 404: NOT_YOURS})
    def get(self, request, code_id: int):
        return Response(_body(self.code(request, code_id)))

    @extend_schema(
        request=PromoCodeSerializer(partial=True),
        responses={
            200: PromoCodeSerializer,
            400: OpenApiResponse(description="`validation_error`"),
            404: NOT_YOURS,
        },
        description="Change a code; its text stays. `active: false` retires it (holds and "
        "bookings made with it stand).",
    )
    def patch(self, request, code_id: int):
        code = self.code(request, code_id)
        data = PromoCodeSerializer(
            code, data=request.data, partial=True, context={"event": code.event}
        )
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("code", None)
        promo_code_update(code=code, **fields)
        return Response(_body(self.code(request, code_id)))

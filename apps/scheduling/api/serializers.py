"""Serializers of events-with-showtimes, slots, seat maps and schedule rules."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalog.api.serializers import MovieBriefSerializer, VenueBriefSerializer
from apps.catalog.models import Event, Screen, category_validator
from apps.catalog.selectors import event_editable, screen_editable
from apps.core import serializers as strict

from .. import ticket_types
from ..models import GenerationJob, ScheduleRule, Seating, Slot, SlotStatus
from ..ticket_types import MAX_TYPES

SEAT_STATUSES = ["available", "held", "booked"]
PRICE = {"max_digits": 8, "decimal_places": 2, "min_value": 0}


def _category_prices(value: dict) -> dict:
    """Prices by seat category: at most 20, each key a category word."""
    if len(value) > 20:
        raise serializers.ValidationError("At most 20 price categories.")
    for category in value:
        category_validator(category)
    return value


class PricesField(serializers.DictField):
    """Category to price, e.g. {"standard": "9.50", "premium": "14.00"}."""

    child = serializers.DecimalField(**PRICE)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value:
            raise serializers.ValidationError("Give at least one price.")
        return _category_prices(value)


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
class PricesOutField(serializers.Field):
    def to_representation(self, slot):
        return {p.category: str(p.price) for p in slot.prices.all()}


class TypePricesField(serializers.DictField):
    """A showtime's own prices of the event's further ticket types:
    {"child": {"standard": "6.00"}}."""

    child = serializers.DictField(child=serializers.DecimalField(**PRICE))

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > MAX_TYPES:
            raise serializers.ValidationError(f"At most {MAX_TYPES} ticket types.")
        for code, prices in value.items():
            category_validator(code)
            _category_prices(prices)
        return value


class TicketTypeOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    prices = serializers.DictField(child=serializers.CharField())


class TicketTypeInSerializer(serializers.Serializer):
    code = strict.CharField(
        max_length=32, validators=[category_validator], help_text="e.g. adult, child"
    )
    name = strict.CharField(max_length=64)
    prices = serializers.DictField(
        child=serializers.DecimalField(**PRICE),
        required=False,
        help_text="Per seat category, for the whole event; not for the first type, whose "
        "price is each showtime's own.",
    )

    def validate_prices(self, value):
        return _category_prices(value)


class TicketTypesSerializer(serializers.Serializer):
    """An event's ticket types, in order: the first is the full price."""

    ticket_types = TicketTypeInSerializer(many=True, min_length=1, max_length=MAX_TYPES)


class ScreenBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Screen
        fields = ["id", "name"]


class SlotSerializer(serializers.ModelSerializer):
    event_title = serializers.CharField(source="event.title", read_only=True)
    venue = VenueBriefSerializer(source="screen.venue", read_only=True)
    screen = ScreenBriefSerializer(read_only=True)
    available = serializers.SerializerMethodField()
    prices = PricesOutField(source="*", read_only=True)
    currency = serializers.CharField(
        source="event.currency", read_only=True, help_text="Its event's currency (ISO 4217)."
    )
    type_prices = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField()),
        read_only=True,
        help_text="This showtime's own prices of further ticket types, per seat category.",
    )
    ticket_types = serializers.SerializerMethodField(
        help_text="What each ticket type costs per seat category at this showtime; the "
        "first is the default."
    )

    class Meta:
        model = Slot
        fields = [
            "id",
            "event",
            "event_title",
            "starts_at",
            "ends_at",
            "venue",
            "screen",
            "seating",
            "capacity",
            "available",
            "prices",
            "ticket_types",
            "type_prices",
            "currency",
            "status",
            "sales_open_at",
            "sales_close_at",
            "seatmap_version",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_available(self, slot) -> int:
        return self.context["availability"][slot.pk]

    @extend_schema_field(TicketTypeOutSerializer(many=True))
    def get_ticket_types(self, slot) -> list[dict]:
        known = self.context.get("ticket_types")
        types = known[slot.event_id] if known else ticket_types.event_types(slot.event_id)
        base = {p.category: p.price for p in slot.prices.all()}
        return [t.as_json() for t in ticket_types.price_table(types, base, slot.type_prices)]


@extend_schema_field(OpenApiTypes.INT)
class EventField(serializers.PrimaryKeyRelatedField):
    """An event id among the caller's own events."""

    def get_queryset(self):
        return event_editable(self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class ScreenField(serializers.PrimaryKeyRelatedField):
    """A screen id among the screens of the caller's own venues."""

    def get_queryset(self):
        return screen_editable(self.context["request"].user)


class SlotCreateSerializer(serializers.Serializer):
    event = EventField()
    screen = ScreenField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(
        required=False, help_text="Default for movies: starts_at plus the runtime."
    )
    seating = serializers.ChoiceField(choices=Seating.choices, default=Seating.RESERVED)
    capacity = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False, help_text="General admission only."
    )
    prices = PricesField()
    type_prices = TypePricesField(required=False)
    sales_open_at = serializers.DateTimeField(required=False, allow_null=True)
    sales_close_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs):
        if attrs["seating"] == Seating.RESERVED and "capacity" in attrs:
            raise serializers.ValidationError(
                {"capacity": "Reserved seating takes its capacity from the seat layout."}
            )
        return attrs


class SlotUpdateSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    prices = PricesField(required=False)
    type_prices = TypePricesField(required=False)
    sales_open_at = serializers.DateTimeField(required=False, allow_null=True)
    sales_close_at = serializers.DateTimeField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=SlotStatus.choices, required=False)

    def validate(self, attrs):
        slot = self.context["slot"]
        if "capacity" in attrs and slot.seating == Seating.RESERVED:
            raise serializers.ValidationError(
                {"capacity": "Reserved seating takes its capacity from the seat layout."}
            )
        return attrs


class SeatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    category = serializers.CharField()
    price = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    status = serializers.ChoiceField(choices=SEAT_STATUSES)
    x = serializers.IntegerField()
    y = serializers.IntegerField()


class SeatMapSerializer(serializers.Serializer):
    slot = serializers.IntegerField()
    version = serializers.IntegerField()
    seating = serializers.ChoiceField(choices=Seating.choices)
    capacity = serializers.IntegerField()
    available = serializers.IntegerField()
    seats = SeatSerializer(many=True)


class EventListSerializer(serializers.ModelSerializer):
    movie = MovieBriefSerializer(read_only=True, allow_null=True, help_text="Null but for movies.")
    starts_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="The next upcoming showtime, if any."
    )

    class Meta:
        model = Event
        fields = ["id", "type", "title", "city", "status", "banner", "movie", "starts_at"]
        read_only_fields = fields


class EventSlotSerializer(SlotSerializer):
    """A showtime inside its event's page: the event and the sales window are said there."""

    class Meta(SlotSerializer.Meta):
        fields = [
            name
            for name in SlotSerializer.Meta.fields
            if name
            not in {"event", "event_title", "sales_open_at", "sales_close_at", "seatmap_version"}
        ]
        read_only_fields = fields


class EventDetailSerializer(EventListSerializer):
    slots = serializers.SerializerMethodField()

    class Meta(EventListSerializer.Meta):
        fields = [
            *EventListSerializer.Meta.fields,
            "description",
            "max_tickets_per_customer",
            "booking_fee_per_ticket",
            "booking_fee_per_order",
            "tax_rate",
            "prices_include_tax",
            "currency",
            "refund_fees",
            "slots",
        ]
        read_only_fields = fields

    @extend_schema_field(EventSlotSerializer(many=True))
    def get_slots(self, event):
        return EventSlotSerializer(self.context["slots"], many=True, context=self.context).data


class GenerateSlotsSerializer(serializers.Serializer):
    """A schedule rule. `times`: each start time on each wanted day. `pack`: fill opening hours."""

    screen = ScreenField()
    mode = serializers.ChoiceField(choices=ScheduleRule.Mode.choices)
    name = strict.CharField(max_length=100, required=False, allow_blank=True)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        required=False,
        max_length=7,
        help_text="ISO weekdays, 1 = Monday .. 7 = Sunday; empty or missing = every day.",
    )
    start_times = serializers.ListField(
        child=serializers.TimeField(), required=False, max_length=24, help_text='e.g. ["18:00"]'
    )
    opening_time = serializers.TimeField(required=False, help_text="pack: default the screen's")
    closing_time = serializers.TimeField(required=False, help_text="pack: default the screen's")
    duration_minutes = serializers.IntegerField(
        min_value=1, max_value=1440, required=False, help_text="Default: the movie's runtime."
    )
    buffer_minutes = serializers.IntegerField(min_value=0, max_value=240, default=20)
    seating = serializers.ChoiceField(choices=Seating.choices, default=Seating.RESERVED)
    capacity = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    prices = PricesField()

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": "date_to must not be before date_from."})
        if attrs["mode"] == ScheduleRule.Mode.TIMES and not attrs.get("start_times"):
            raise serializers.ValidationError(
                {"start_times": 'Mode "times" needs start times, e.g. ["14:00", "20:30"].'}
            )
        return attrs


class GenerationJobSerializer(serializers.ModelSerializer):
    rule = serializers.IntegerField(source="rule_id", read_only=True)
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "rule",
            "status",
            "total",
            "created",
            "skipped",
            "conflicted",
            "conflicts",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "status_url",
        ]
        read_only_fields = fields

    def get_status_url(self, job) -> str:
        request = self.context["request"]
        return request.build_absolute_uri(
            reverse("v1:event-generation-job", kwargs={"pk": job.rule.event_id, "job_id": job.pk})
        )

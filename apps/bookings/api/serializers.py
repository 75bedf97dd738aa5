from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.bookings.models import Booking, Hold, Ticket
from apps.bookings.payments import provider_names
from apps.bookings.services import MAX_SEATS_PER_HOLD
from apps.catalog.models import category_validator
from apps.core import serializers as strict

TYPE_CODE = r"^[a-z][a-z0-9_-]{0,31}$"
SEAT_ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "oneOf": [
                SEAT_ID,
                {
                    "type": "object",
                    "properties": {
                        "id": SEAT_ID,
                        "type": {"type": "string", "pattern": TYPE_CODE},
                    },
                    "required": ["id"],
                    "additionalProperties": False,
                },
            ]
        },
        "minItems": 1,
        "maxItems": MAX_SEATS_PER_HOLD,
        "uniqueItems": True,
    }
)
class HoldSeatsField(serializers.Field):
    """Seat ids, or {"id", "type"} to name a seat's ticket type (a plain id, or no
    `type`, takes the first type): past MAX_SEATS_PER_HOLD the service answers 400
    `too_many_seats`, and none or a seat twice is a 400 too. The value is a list of
    (seat id, type code or None)."""

    default_error_messages = {
        "invalid": 'Each seat is an id or {{"id": <seat id>, "type": "<ticket type>"}}.'
    }

    def to_internal_value(self, data):
        if not isinstance(data, list) or not 1 <= len(data) <= 100:
            raise serializers.ValidationError("Give a list of 1 to 10 seats.")
        seats = []
        for item in data:
            if isinstance(item, dict) and not set(item) - {"id", "type"}:
                pk, code = item.get("id"), item.get("type")
            else:
                pk, code = item, None
            if not isinstance(pk, int) or isinstance(pk, bool) or not 1 <= pk <= 2**63 - 1:
                self.fail("invalid")
            if code is not None:
                strict.CharField(max_length=32, validators=[category_validator]).run_validation(
                    code
                )
            seats.append((pk, code))
        return seats

    def to_representation(self, value):
        return [pk if code is None else {"id": pk, "type": code} for pk, code in value]


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_SEATS_PER_HOLD})
class HoldQuantityField(serializers.IntegerField):
    """Places of general admission: past MAX_SEATS_PER_HOLD, 400 `too_many_seats`."""


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0, "maximum": MAX_SEATS_PER_HOLD},
        "minProperties": 1,
        "maxProperties": 8,
    }
)
class HoldQuantitiesField(serializers.DictField):
    """General admission by ticket type: {"adult": 2, "child": 1}."""

    child = serializers.IntegerField(min_value=0, max_value=MAX_SEATS_PER_HOLD)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not 1 <= len(value) <= 8:
            raise serializers.ValidationError("Name 1 to 8 ticket types.")
        for code in value:
            category_validator(code)
        return value


class HoldInputSerializer(serializers.Serializer):
    """`seats` for reserved seating, or `quantity` or `quantities` (per ticket type) for
    general admission: one of the three."""

    one_of_fields = ("seats", "quantity", "quantities")

    slot = serializers.IntegerField(min_value=1)
    seats = HoldSeatsField(required=False)
    quantity = HoldQuantityField(min_value=1, max_value=100, required=False)
    quantities = HoldQuantitiesField(required=False)
    promo_code = strict.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="A promo code of the event (case-blind); unknown, expired, out of scope "
        "or used up: 400 `promo_invalid`, nothing held.",
    )

    def validate(self, attrs):
        if sum(name in attrs for name in self.one_of_fields) != 1:
            raise serializers.ValidationError(
                "Send one of `seats` (reserved), `quantity` or `quantities`."
            )
        return attrs

    def hold_arguments(self) -> dict:
        """The `hold_create` arguments of the validated request."""
        data = self.validated_data
        if "seats" in data:
            types = {pk: code for pk, code in data["seats"] if code is not None}
            return {"seat_ids": [pk for pk, _ in data["seats"]], "seat_types": types or None}
        if "quantities" in data:
            return {"quantities": data["quantities"]}
        return {"quantity": data["quantity"]}


class BreakdownSerializer(serializers.Serializer):
    subtotal = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="List prices.")
    discount = serializers.DecimalField(max_digits=10, decimal_places=2)
    fees = serializers.DecimalField(max_digits=10, decimal_places=2)
    tax = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="Inside the total, or added to it."
    )
    tax_included = serializers.BooleanField()
    currency = serializers.CharField(help_text="ISO 4217, the event's.")
    total = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="subtotal - discount + fees, plus tax when it is not included.",
    )


class HoldSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slot = serializers.IntegerField()
    seats = serializers.ListField(child=serializers.IntegerField())
    quantity = serializers.IntegerField()
    total = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="To pay: `subtotal` less `discount`."
    )
    subtotal = serializers.DecimalField(max_digits=10, decimal_places=2)
    discount = serializers.DecimalField(max_digits=10, decimal_places=2)
    breakdown = BreakdownSerializer()
    promo_code = serializers.CharField(allow_null=True)
    ticket_types = serializers.DictField(
        child=serializers.IntegerField(), help_text="Tickets held per ticket type."
    )
    kind = serializers.ChoiceField(choices=Hold.Kind.choices)
    expires_at = serializers.DateTimeField()


@extend_schema_field({"type": "string", "enum": provider_names()})
class PaymentMethodField(strict.CharField):
    """A method of VENUE_PAYMENT_METHODS; another is a 400 `invalid_payment_method`."""


class PaymentInputSerializer(serializers.Serializer):
    method = PaymentMethodField(max_length=32)
    token = strict.CharField(max_length=512)


class ConfirmInputSerializer(serializers.Serializer):
    hold = serializers.IntegerField(min_value=1)
    payment = PaymentInputSerializer()
    promo_code = strict.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Optional: the code the hold was priced with (codes apply when holding); "
        "another one is 400 `promo_invalid`.",
    )


class TicketSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    seat = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(allow_null=True, help_text="null once given away.")
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="What was paid for this ticket; a live booking's tickets add up to its total.",
    )
    fee = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="The booking fee inside `price`: what a customer's cancellation keeps when "
        "the event does not refund fees.",
    )
    type = serializers.CharField(
        allow_null=True, help_text="Its ticket type's code (adult, child, ...) as sold."
    )
    type_name = serializers.CharField(allow_null=True)
    qr = serializers.CharField(
        allow_null=True,
        help_text="The exact text the QR code encodes (short, signed); the door scanner "
        "accepts it (`POST checkin/scan/`). null for a ticket given to someone else: its "
        "QR text is theirs.",
    )
    qr_svg = serializers.CharField(
        allow_null=True, help_text="An SVG data URI of the QR code of `qr`; null with it."
    )
    transferred_to = serializers.CharField(
        allow_null=True,
        help_text="Who holds the ticket now if it was given away (email masked, "
        "`r***@example.com`); null while it is the booking's.",
    )


class BookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Booking.Status.choices)
    slot = serializers.IntegerField()
    seats = serializers.ListField(child=serializers.IntegerField())
    quantity = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    discount = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="What a promo code took off the total."
    )
    breakdown = BreakdownSerializer(help_text="The price as booked.")
    created_at = serializers.DateTimeField()


class BookingDetailSerializer(BookingSerializer):
    tickets = TicketSerializer(many=True)


class CancelOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Booking.Status.choices)


class TicketsCancelInputSerializer(serializers.Serializer):
    tickets = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=32767),
        min_length=1,
        max_length=100,
        help_text="The numbers of the tickets to cancel (`tickets[].number`).",
    )


class TicketsCancelOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Booking.Status.choices,
        help_text="`cancelled` when no live ticket was left (the whole booking then is).",
    )
    cancelled = serializers.ListField(child=serializers.IntegerField())
    refund = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="Given back for these tickets."
    )
    booking = BookingDetailSerializer()


class TransferInputSerializer(serializers.Serializer):
    email = strict.EmailField(
        max_length=254, help_text="Whom to give the ticket to (an account is made if none)."
    )


class TransferOutputSerializer(serializers.Serializer):
    """The ticket given away: no QR text or code, they are the recipient's now."""

    id = serializers.IntegerField()
    booking_reference = serializers.CharField()
    number = serializers.IntegerField()
    seat = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    transferred_to = serializers.CharField(help_text="The recipient's email, masked.")


class HeldTicketSerializer(serializers.Serializer):
    """A ticket someone gave you, with its QR code."""

    id = serializers.IntegerField()
    booking_reference = serializers.CharField()
    number = serializers.IntegerField()
    slot = serializers.IntegerField()
    event_title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    seat = serializers.IntegerField(allow_null=True)
    seat_label = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    booking_status = serializers.ChoiceField(choices=Booking.Status.choices)
    qr = serializers.CharField(help_text="The text the QR code encodes (`POST checkin/scan/`).")
    qr_svg = serializers.CharField(help_text="An SVG data URI of the QR code of `qr`.")

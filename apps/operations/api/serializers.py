from rest_framework import serializers

from apps.core import serializers as strict

from ..models import JobStatus


class CancelInSerializer(serializers.Serializer):
    reason = strict.CharField(
        max_length=300, help_text="Told to every customer and shown to the organizer."
    )


class CancelPreviewSerializer(serializers.Serializer):
    slot = serializers.IntegerField()
    bookings = serializers.IntegerField(help_text="Confirmed bookings it cancels.")
    customers = serializers.IntegerField()
    tickets = serializers.IntegerField()
    refund_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    waiting = serializers.IntegerField(help_text="People on the waitlist it tells.")


class ShowtimePreviewSerializer(CancelPreviewSerializer):
    starts_at = serializers.DateTimeField()


class EventCancelPreviewSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    bookings = serializers.IntegerField()
    customers = serializers.IntegerField(help_text="Summed per showtime.")
    tickets = serializers.IntegerField()
    refund_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    waiting = serializers.IntegerField()
    showtimes = ShowtimePreviewSerializer(many=True, help_text="Those still to come.")


class JobsStartedSerializer(serializers.Serializer):
    jobs = serializers.ListField(child=serializers.IntegerField(), help_text="One per showtime.")


class JobStartedSerializer(serializers.Serializer):
    job = serializers.IntegerField()


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slot = serializers.IntegerField()
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    done = serializers.IntegerField(help_text="Bookings cancelled, refunded (or tried) and told.")
    total = serializers.IntegerField()
    failed_refunds = serializers.IntegerField(help_text="Refunds a provider refused.")
    failed_emails = serializers.IntegerField(
        help_text="Customers the mail server could not reach (once the job has ended)."
    )
    waitlist_closed = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


BIGINT = 2**63 - 1  # ids past a bigint match nothing (and must not reach the database)


class MoveInSerializer(serializers.Serializer):
    slot = serializers.IntegerField(
        min_value=1, max_value=BIGINT, help_text="The showtime (of the same event) to move to."
    )
    refund_difference = strict.BooleanField(
        default=True,
        help_text="Refund what a cheaper showtime saves, ticket by ticket (true), or keep "
        "the price paid (false). A dearer showtime costs the customer nothing more.",
    )


class MoveOutSerializer(serializers.Serializer):
    booking = serializers.DictField(help_text="The booking as `GET bookings/{id}/` shows it.")
    from_slot = serializers.IntegerField()
    to_slot = serializers.IntegerField()
    same_seats = serializers.BooleanField()
    seats = serializers.DictField(
        child=serializers.IntegerField(), help_text="Old seat id -> new seat id."
    )
    difference = serializers.DecimalField(max_digits=10, decimal_places=2)
    refunded = serializers.DecimalField(max_digits=10, decimal_places=2)


class MovePreviewSerializer(serializers.Serializer):
    slot = serializers.IntegerField()
    to_slot = serializers.IntegerField()
    bookings = serializers.IntegerField(help_text="Confirmed bookings it would move.")
    tickets = serializers.IntegerField()
    free = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Free places of the target per seat category (general: `general`).",
    )
    needed = serializers.DictField(
        child=serializers.IntegerField(), help_text="Places the bookings need per category."
    )


class MoveJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slot = serializers.IntegerField()
    to_slot = serializers.IntegerField()
    refund_difference = serializers.BooleanField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    done = serializers.IntegerField(help_text="Bookings moved.")
    failed = serializers.IntegerField(help_text="Bookings that could not move (left as they were).")
    total = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class LedgerEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    kind = serializers.CharField(help_text="`charge`, `refund`, `moved_out` or `moved_in`.")
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    booking = serializers.CharField(allow_null=True, help_text="Its reference.")
    provider = serializers.CharField()
    provider_ref = serializers.CharField()
    by = serializers.CharField(allow_null=True, help_text="Who made it happen (email).")
    reason = serializers.CharField()


class LedgerSerializer(serializers.Serializer):
    slot = serializers.IntegerField()
    charged = serializers.DecimalField(max_digits=12, decimal_places=2)
    refunded = serializers.DecimalField(max_digits=12, decimal_places=2)
    moved_in = serializers.DecimalField(max_digits=12, decimal_places=2)
    moved_out = serializers.DecimalField(max_digits=12, decimal_places=2)
    net = serializers.DecimalField(max_digits=12, decimal_places=2)
    booked = serializers.DecimalField(max_digits=12, decimal_places=2)
    owed = serializers.DecimalField(max_digits=12, decimal_places=2)
    kept = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Booking fees kept when customers cancelled (events that keep fees).",
    )
    reconciles = serializers.BooleanField(help_text="net == booked + owed + kept, to the cent.")
    count = serializers.IntegerField()
    results = LedgerEntrySerializer(many=True)


class MovePreviewQuerySerializer(serializers.Serializer):
    to = serializers.IntegerField(min_value=1, max_value=BIGINT)

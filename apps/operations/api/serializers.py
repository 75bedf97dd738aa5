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

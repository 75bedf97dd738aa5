"""What organizer operations hold about a person, for `accounts.privacy` (found there by
autodiscovery): the showtime cancellations that took their bookings (the organizer's
reason, when they were told, a refund the provider refused).

Nothing is erased: these are the organizer's records of refunds, kept with the
anonymised account's bookings.
"""

from rest_framework import serializers

from apps.accounts import privacy

from .models import JobBooking


class CancellationExport(serializers.Serializer):
    booking = serializers.CharField(source="booking.reference")
    reason = serializers.CharField(source="job.reason")
    cancelled_at = serializers.DateTimeField()
    notified_at = serializers.DateTimeField(allow_null=True)
    refund_error = serializers.CharField(help_text="Empty when the refund went through.")


def _cancellations(user):
    return (
        JobBooking.objects.filter(booking__user=user)
        .select_related("booking", "job")
        .order_by("id")
    )


privacy.register(
    "showtime_cancellations",
    rows=_cancellations,
    serializer=CancellationExport,
    help="Showtimes the organizer cancelled, with your bookings of them.",
)

"""What the door holds about a person, for `accounts.privacy` (found there by
autodiscovery): the scans of the tickets they hold (their bookings' own, and tickets
given to them; a ticket they gave away is its new holder's).

Nothing is erased: a scan names a ticket, a gate and a time, the organizer's record of
its door, and it stays with the anonymised account's tickets. The staff who scanned are
not exported (the organizer's people, not the customer's data).
"""

from django.db.models import Q
from rest_framework import serializers

from apps.accounts import privacy

from .models import Scan, ScanDirection, ScanResult


class ScanExport(serializers.Serializer):
    ticket = serializers.SerializerMethodField(help_text="Booking reference and ticket number.")
    showtime = serializers.IntegerField(source="slot_id")
    gate = serializers.CharField()
    direction = serializers.ChoiceField(choices=ScanDirection.choices)
    result = serializers.ChoiceField(choices=ScanResult.choices)
    scanned_at = serializers.DateTimeField()
    offline = serializers.BooleanField()

    def get_ticket(self, scan) -> str:
        return f"{scan.ticket.booking.reference}-{scan.ticket.number}"


def _scans(user):
    theirs = Q(ticket__holder=user) | Q(ticket__holder__isnull=True, ticket__booking__user=user)
    return (
        Scan.objects.filter(theirs).select_related("ticket__booking").order_by("scanned_at", "id")
    )


privacy.register(
    "checkin_scans",
    rows=_scans,
    serializer=ScanExport,
    help="Every scan of your tickets at the door.",
)

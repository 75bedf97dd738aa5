"""What the waitlist holds about a person, for `accounts.privacy` (found there by
autodiscovery): their entries, past and live.

Erasing (inside `user_delete`'s transaction, before the booking engine's eraser): every
entry of theirs is deleted, so they leave every line at once. The rows are locked
first: a promotion offering to one of them at that moment either finishes before
(its offer's hold is then released by the booking engine's eraser, and its seats go
to the next in line) or finds the entry gone and plans again. Entries are no money
record: nothing of them is kept.
"""

from rest_framework import serializers

from apps.accounts import privacy
from apps.core.db import require_transaction

from .models import WaitlistEntry


class WaitlistEntryExport(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField(source="slot.event.title")
    showtime = serializers.IntegerField(source="slot_id")
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    quantity = serializers.IntegerField()
    status = serializers.CharField(help_text="waiting, offered, fulfilled, expired, left, closed")
    created_at = serializers.DateTimeField()
    offered_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


def _entries(user):
    return WaitlistEntry.objects.filter(user=user).select_related("slot__event").order_by("id")


def erase(user) -> None:
    require_transaction()
    ids = list(
        WaitlistEntry.objects.select_for_update().filter(user=user).values_list("pk", flat=True)
    )
    WaitlistEntry.objects.filter(pk__in=ids).delete()


privacy.register(
    "waitlist_entries",
    rows=_entries,
    serializer=WaitlistEntryExport,
    help="Your places in the waitlists of sold-out showtimes.",
)
privacy.register_eraser(erase)

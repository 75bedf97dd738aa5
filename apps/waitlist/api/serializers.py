from rest_framework import serializers

from apps.waitlist.models import MAX_QUANTITY, WaitlistEntry


class JoinInputSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class JoinOutputSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 is the head of the line.")


class OfferSerializer(serializers.Serializer):
    hold = serializers.IntegerField(help_text="Confirm it with POST bookings/confirm/.")
    quantity = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    expires_at = serializers.DateTimeField()


class EntrySerializer(serializers.Serializer):
    slot = serializers.IntegerField()
    quantity = serializers.IntegerField()
    status = serializers.ChoiceField(choices=WaitlistEntry.Status.choices)
    position = serializers.IntegerField(
        allow_null=True, help_text="Place in line while waiting; null once offered."
    )
    joined_at = serializers.DateTimeField()
    offer = OfferSerializer(allow_null=True, help_text="The held seats, while offered.")


class StatusCountSerializer(serializers.Serializer):
    entries = serializers.IntegerField()
    places = serializers.IntegerField()


class SummarySerializer(serializers.Serializer):
    slot = serializers.IntegerField()
    statuses = serializers.DictField(
        child=StatusCountSerializer(),
        help_text="Per status (waiting, offered, fulfilled, expired, left): entries and places.",
    )

from rest_framework import serializers

from apps.checkin.models import Scan
from apps.core import serializers as strict

GATE = {"max_length": 40, "help_text": "The gate's name, as staff call it (`north`)."}


class ScanInSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    code = strict.CharField(
        max_length=120,
        trim_whitespace=True,
        help_text="A ticket's QR text, or a booking reference typed at the door "
        "(`ABCD2345`, or `ABCD2345-2` for its second ticket).",
    )
    gate = strict.CharField(**GATE)
    direction = serializers.ChoiceField(choices=Scan.Direction.choices, default="in")


class ScanTicketSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    seat_label = serializers.CharField(allow_null=True)
    category = serializers.CharField()
    booking_reference = serializers.CharField()


class ScanOutSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["admitted", "exited"])
    ticket = ScanTicketSerializer()
    checked_in = serializers.IntegerField()
    expected = serializers.IntegerField()


class OfflineScanSerializer(serializers.Serializer):
    ref = strict.CharField(max_length=64, help_text="The gate's own id of this scan (unique).")
    code = strict.CharField(max_length=120)
    scanned_at = serializers.DateTimeField(help_text="When the gate scanned it (its clock).")
    direction = serializers.ChoiceField(choices=Scan.Direction.choices, default="in")


class UploadInSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    gate = strict.CharField(**GATE)
    scans = OfflineScanSerializer(many=True, max_length=2000, min_length=1)

    def validate_scans(self, scans):
        refs = [s["ref"] for s in scans]
        if len(set(refs)) != len(refs):
            raise serializers.ValidationError("Each scan needs its own `ref`.")
        return scans


class UploadResultSerializer(serializers.Serializer):
    ref = serializers.CharField()
    result = serializers.ChoiceField(choices=Scan.Result.choices)
    ticket = ScanTicketSerializer(allow_null=True)
    details = serializers.DictField(help_text="`at` and `gate` of the admission it conflicts with.")


class UploadOutSerializer(serializers.Serializer):
    results = UploadResultSerializer(many=True)
    checked_in = serializers.IntegerField()
    expected = serializers.IntegerField()


class FiguresSerializer(serializers.Serializer):
    slot = serializers.IntegerField()
    expected = serializers.IntegerField(help_text="Tickets of confirmed bookings.")
    checked_in = serializers.IntegerField(help_text="Tickets inside now.")
    double_entries = serializers.IntegerField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    reentry = serializers.BooleanField()


class WindowInSerializer(serializers.Serializer):
    opens_at = serializers.DateTimeField(allow_null=True, required=False)
    closes_at = serializers.DateTimeField(allow_null=True, required=False)


class RulesInSerializer(serializers.Serializer):
    reentry = strict.BooleanField(required=False, help_text="Left out: unchanged.")


class ListTicketSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="sha256 of the QR text (upper case), first 24 hex.")
    booking_reference = serializers.CharField()
    number = serializers.IntegerField()
    seat_label = serializers.CharField(allow_null=True)
    category = serializers.CharField()
    status = serializers.CharField()


class CheckinListSerializer(serializers.Serializer):
    slot = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    reentry = serializers.BooleanField()
    tickets = ListTicketSerializer(many=True)


class ConflictSerializer(serializers.Serializer):
    ticket = ScanTicketSerializer()
    first_at = serializers.DateTimeField()
    first_gate = serializers.CharField()
    second_at = serializers.DateTimeField()
    second_gate = serializers.CharField()

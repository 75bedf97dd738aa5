from rest_framework import serializers

from apps.bookings.models import Booking, Hold


class HoldInputSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1)
    seats = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=100
    )
    quantity = serializers.IntegerField(min_value=1, max_value=100, required=False)

    def validate(self, attrs):
        if ("seats" in attrs) == ("quantity" in attrs):
            raise serializers.ValidationError("Send either `seats` (reserved) or `quantity`.")
        return attrs


class HoldSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slot = serializers.IntegerField()
    seats = serializers.ListField(child=serializers.IntegerField())
    quantity = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    kind = serializers.ChoiceField(choices=Hold.Kind.choices)
    expires_at = serializers.DateTimeField()


class PaymentInputSerializer(serializers.Serializer):
    method = serializers.CharField(max_length=32)
    token = serializers.CharField(max_length=512)


class ConfirmInputSerializer(serializers.Serializer):
    hold = serializers.IntegerField(min_value=1)
    payment = PaymentInputSerializer()


class TicketSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    seat = serializers.IntegerField(allow_null=True)
    code = serializers.CharField()
    qr_svg = serializers.CharField(help_text="An SVG data URI of the QR code (signed ticket id).")


class BookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Booking.Status.choices)
    slot = serializers.IntegerField()
    seats = serializers.ListField(child=serializers.IntegerField())
    quantity = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    created_at = serializers.DateTimeField()


class BookingDetailSerializer(BookingSerializer):
    tickets = TicketSerializer(many=True)


class CancelOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Booking.Status.choices)

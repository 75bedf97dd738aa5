"""Serializers of the catalog API: input validation and output shapes."""

from rest_framework import serializers

from apps.core import serializers as strict

from ..models import Event, EventType, Movie, MovieFormat, Screen, Venue, category_validator
from ..selectors import movie_list, venue_editable

# Letters, digits, spaces and .&'+-, not only spaces (at most 32: the field's max_length).
SHORT_WORD = r"^[\w .&'+-]*[\w.&'+-][\w .&'+-]*$"


class MovieSerializer(strict.ModelSerializer):
    genres = serializers.ListField(
        child=strict.RegexField(SHORT_WORD, max_length=32), max_length=10, required=False
    )
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=MovieFormat.choices), max_length=10, required=False
    )
    runtime_minutes = serializers.IntegerField(min_value=1, max_value=1000)
    poster = serializers.FileField(read_only=True)

    class Meta:
        model = Movie
        fields = [
            "id",
            "title",
            "synopsis",
            "runtime_minutes",
            "rating",
            "language",
            "genres",
            "formats",
            "poster",
        ]

    def validate_formats(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def validate_genres(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(v.strip() for v in value))


class MovieBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Movie
        fields = ["id", "title", "runtime_minutes", "rating", "language", "formats"]


class ImageUploadSerializer(serializers.Serializer):
    """A multipart upload; the content is checked by decoding it, never by its name."""

    file = serializers.FileField(allow_empty_file=False, use_url=False)


class EventWriteSerializer(strict.ModelSerializer):
    movie = serializers.PrimaryKeyRelatedField(
        queryset=movie_list(), required=False, allow_null=True
    )

    class Meta:
        model = Event
        fields = [
            "type",
            "title",
            "description",
            "city",
            "status",
            "movie",
            "max_tickets_per_customer",
            "booking_fee_per_ticket",
            "booking_fee_per_order",
            "tax_rate",
            "prices_include_tax",
            "currency",
            "refund_fees",
        ]
        extra_kwargs = {
            "booking_fee_per_ticket": {"min_value": 0},
            "booking_fee_per_order": {"min_value": 0},
            "tax_rate": {"min_value": 0, "max_value": 100},
        }

    def validate(self, attrs: dict) -> dict:
        type_ = attrs.get("type", getattr(self.instance, "type", None))
        movie = attrs["movie"] if "movie" in attrs else getattr(self.instance, "movie", None)
        if type_ == EventType.MOVIE and movie is None:
            raise serializers.ValidationError({"movie": "A movie event needs a movie."})
        if type_ != EventType.MOVIE and movie is not None:
            raise serializers.ValidationError(
                {"movie": f"Only movie events point at a movie, not a {type_}."}
            )
        return attrs


class VenueSerializer(strict.ModelSerializer):
    class Meta:
        model = Venue
        fields = ["id", "name", "address", "city", "timezone"]


class VenueBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Venue
        fields = ["id", "name", "address", "city", "timezone"]


class OwnVenueField(serializers.PrimaryKeyRelatedField):
    """A venue id, only among the caller's venues: others' are 'does not exist'."""

    def get_queryset(self):
        return venue_editable(self.context["request"].user)


class ScreenSerializer(strict.ModelSerializer):
    venue = OwnVenueField()
    seat_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Screen
        fields = [
            "id",
            "venue",
            "name",
            "opening_time",
            "closing_time",
            "seat_count",
            "layout_version",
        ]
        read_only_fields = ["layout_version"]


class LayoutItemSerializer(serializers.Serializer):
    """A seat (`number`, `category`, optional `label` and `x`) or an aisle (`gap`)."""

    one_of_fields = ("number", "gap")

    number = serializers.IntegerField(min_value=1, max_value=999, required=False)
    category = strict.CharField(
        trim_whitespace=False,  # checked as sent, like the schema's pattern says
        max_length=32,
        validators=[category_validator],
        required=False,
        default="standard",
    )
    label = strict.RegexField(r"^[A-Za-z0-9-]{1,16}$", required=False)
    x = serializers.IntegerField(min_value=0, max_value=999, required=False)
    gap = serializers.IntegerField(min_value=1, max_value=50, required=False)

    def validate(self, attrs: dict) -> dict:
        if "gap" in attrs:
            if "number" in attrs:
                raise serializers.ValidationError("An item is a seat or a gap, not both.")
            return {"gap": attrs["gap"]}
        if "number" not in attrs:
            raise serializers.ValidationError(
                'Each item needs a seat "number" (or is a {"gap": n} aisle).'
            )
        return attrs


class LayoutRowSerializer(serializers.Serializer):
    name = strict.RegexField(r"^[A-Za-z0-9]{1,8}$")
    seats = LayoutItemSerializer(many=True, allow_empty=False, max_length=300)


class LayoutSerializer(serializers.Serializer):
    rows = LayoutRowSerializer(many=True, max_length=200)

    def validate_rows(self, rows: list[dict]) -> list[dict]:
        total = sum(1 for row in rows for item in row["seats"] if "gap" not in item)
        if total > 5000:
            raise serializers.ValidationError(f"At most 5000 seats per screen; got {total}.")
        return rows


class LayoutSeatOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    number = serializers.IntegerField()
    category = serializers.CharField()
    x = serializers.IntegerField()


class LayoutRowOutSerializer(serializers.Serializer):
    name = serializers.CharField()
    y = serializers.IntegerField()
    seats = LayoutSeatOutSerializer(many=True)


class LayoutOutSerializer(serializers.Serializer):
    screen = serializers.IntegerField()
    version = serializers.IntegerField()
    seat_count = serializers.IntegerField()
    categories = serializers.DictField(child=serializers.IntegerField())
    rows = LayoutRowOutSerializer(many=True)

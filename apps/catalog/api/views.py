"""Catalog endpoints: movies (public reads), organizers' venues, screens and seat layouts."""

from collections import Counter

import django_filters
from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from apps.accounts.permissions import IsOrganizer, ReadOnlyOrOrganizer, acting_organizer
from apps.core.filters import IdFilter

from .. import selectors, services
from ..models import Movie, Screen
from .serializers import (
    ImageUploadSerializer,
    LayoutOutSerializer,
    LayoutSerializer,
    MovieSerializer,
    ScreenSerializer,
    VenueSerializer,
)


class MovieFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=100)
    language = django_filters.CharFilter(lookup_expr="iexact", max_length=32)
    rating = django_filters.CharFilter(lookup_expr="iexact", max_length=16)
    ordering = django_filters.OrderingFilter(
        fields=(("title", "title"), ("runtime_minutes", "runtime_minutes"), ("id", "id"))
    )

    class Meta:
        model = Movie
        fields = ["search", "language", "rating"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(synopsis__icontains=value))

    def is_valid(self) -> bool:
        # `?ordering=,` (or `title,`) names no field: a 400, not an unordered page.
        valid = super().is_valid()
        if valid and "" in (self.data.get("ordering") or "x").split(","):
            self.form.add_error("ordering", "Name fields to order by, separated by commas.")
            return False
        return valid


IN_USE = OpenApiResponse(
    description="`in_use`: showtimes or events still use it (`details.protected`)."
)
ID = r"[0-9]+"  # a path id is digits: anything else is no such object (404), not a 500


def layout_payload(screen: Screen) -> dict:
    rows = selectors.screen_layout_rows(screen)
    categories = Counter(seat["category"] for row in rows for seat in row["seats"])
    return {
        "screen": screen.pk,
        "version": screen.layout_version,
        "seat_count": sum(categories.values()),
        "categories": dict(sorted(categories.items())),
        "rows": rows,
    }


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: IN_USE}))
class MovieViewSet(viewsets.ModelViewSet):
    """The movie catalog: anyone reads; organizers add movies and change the ones they added."""

    lookup_value_regex = ID

    throttle_scope = "catalog"  # public reads count against the per-IP scraping tier

    serializer_class = MovieSerializer
    permission_classes = [ReadOnlyOrOrganizer]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = MovieFilter

    def get_queryset(self):
        if self.request.method in SAFE_METHODS:
            return selectors.movie_list()
        return selectors.movie_editable(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.movie_create(
            created_by=acting_organizer(self.request.user), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.movie_update(
            movie=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.movie_delete(movie=instance)

    @extend_schema(
        request={"multipart/form-data": ImageUploadSerializer},
        responses={
            200: MovieSerializer,
            413: OpenApiResponse(description="`image_too_large`: over the upload limit."),
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def poster(self, request, pk=None):
        """Upload the poster (multipart field `file`): any JPEG, PNG, WebP or GIF, re-encoded."""
        movie = self.get_object()
        upload = ImageUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        movie = services.movie_poster_set(movie=movie, upload=upload.validated_data["file"])
        return Response(MovieSerializer(movie, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={204: None})
    @poster.mapping.delete
    def poster_delete(self, request, pk=None):
        services.movie_poster_clear(movie=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: IN_USE}))
class VenueViewSet(viewsets.ModelViewSet):
    """The caller's venues (all venues for admins)."""

    lookup_value_regex = ID

    serializer_class = VenueSerializer
    permission_classes = [IsOrganizer]
    filter_backends = []

    def get_queryset(self):
        return selectors.venue_editable(self.request.user).order_by("name", "id")

    def perform_create(self, serializer):
        serializer.instance = services.venue_create(
            organizer=acting_organizer(self.request.user), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.venue_update(
            venue=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.venue_delete(venue=instance)


class ScreenFilter(django_filters.FilterSet):
    # A venue id that is not one of yours filters to nothing, as `slots/?screen=` does.
    venue = IdFilter(field_name="venue_id")

    class Meta:
        model = Screen
        fields = ["venue"]


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: IN_USE}))
class ScreenViewSet(viewsets.ModelViewSet):
    """The screens of the caller's venues, and their seat layouts."""

    lookup_value_regex = ID

    serializer_class = ScreenSerializer
    permission_classes = [IsOrganizer]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = ScreenFilter

    def get_queryset(self):
        return selectors.screen_editable(self.request.user).order_by("venue_id", "name", "id")

    def _reload(self, screen: Screen) -> Screen:
        return self.get_queryset().get(pk=screen.pk)

    def perform_create(self, serializer):
        screen = services.screen_create(**serializer.validated_data)
        serializer.instance = self._reload(screen)

    def perform_update(self, serializer):
        screen = services.screen_update(screen=serializer.instance, **serializer.validated_data)
        serializer.instance = self._reload(screen)

    def perform_destroy(self, instance):
        services.screen_delete(screen=instance)

    @extend_schema(responses=LayoutOutSerializer)
    @action(detail=True, methods=["get"])
    def layout(self, request, pk=None):
        """The seat layout: rows top to bottom, seats left to right; missing columns are aisles."""
        return Response(layout_payload(self.get_object()))

    @extend_schema(
        request=LayoutSerializer,
        responses={
            200: LayoutOutSerializer,
            409: OpenApiResponse(
                description="`layout_in_use`: seats with upcoming showtimes would be removed "
                "(`details.removed_seats`)."
            ),
        },
    )
    @layout.mapping.put
    def layout_replace(self, request, pk=None):
        """Replace the layout. Seats keep their ids by label; removing seats in use is refused."""
        screen = self.get_object()
        data = LayoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        screen = services.screen_layout_replace(screen=screen, rows=data.validated_data["rows"])
        return Response(layout_payload(screen))

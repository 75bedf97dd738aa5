"""Events with their showtimes, slots, seat maps and slot generation."""

import django_filters
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from apps.accounts.permissions import ReadOnlyOrOrganizer, acting_organizer
from apps.catalog import services as catalog_services
from apps.catalog.api.serializers import EventWriteSerializer, ImageUploadSerializer
from apps.catalog.models import Event, EventType
from apps.core.cache import cache_key, public_cached
from apps.core.filters import IdFilter

from .. import selectors, services, ticket_types
from ..models import Slot
from .serializers import (
    EventDetailSerializer,
    EventListSerializer,
    GenerateSlotsSerializer,
    GenerationJobSerializer,
    SeatMapSerializer,
    SlotCreateSerializer,
    SlotSerializer,
    SlotUpdateSerializer,
    TicketTypesSerializer,
)

ID = r"[0-9]+"  # a path id is digits: anything else is no such object (404), not a 500
IMAGE_TOO_LARGE = OpenApiResponse(description="`image_too_large`: over the upload limit.")
SLOT_CONFLICT = OpenApiResponse(
    description="`slot_overlap` (`details.conflicts`), `slot_started`, or `event_cancelled`."
)

ORDERINGS = [
    ("starts_at", "next showtime, soonest first"),
    ("-starts_at", "next showtime, latest first"),
    ("title", "title A-Z"),
    ("-title", "title Z-A"),
]


class DateRangeFilterSet(django_filters.FilterSet):
    date_from = django_filters.DateFilter(
        method="keep",
        help_text="Only with a showtime on or after this day (the venue's local day), YYYY-MM-DD.",
    )
    date_to = django_filters.DateFilter(
        method="keep",
        help_text="Only with a showtime on or before this day (the venue's local day), YYYY-MM-DD.",
    )

    def keep(self, queryset, name, value):
        return queryset  # applied by the selector, which needs both bounds at once

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid:
            data = self.form.cleaned_data
            start, end = data.get("date_from"), data.get("date_to")
            if start and end and end < start:
                self.form.add_error("date_to", "date_to must not be before date_from.")
                return False
        return valid


class EventFilter(DateRangeFilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, help_text="Words in the title or description."
    )
    type = django_filters.ChoiceFilter(choices=EventType.choices)
    city = django_filters.CharFilter(lookup_expr="iexact", max_length=100)
    ordering = django_filters.ChoiceFilter(
        choices=ORDERINGS, method="keep", help_text="Default: starts_at."
    )

    class Meta:
        model = Event
        fields = ["search", "type", "city", "date_from", "date_to", "ordering"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(movie__title__icontains=value)
        )


class SlotFilter(DateRangeFilterSet):
    event = IdFilter(field_name="event_id")
    screen = IdFilter(field_name="screen_id")

    class Meta:
        model = Slot
        fields = ["event", "screen", "date_from", "date_to"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return selectors.on_local_days(queryset, data.get("date_from"), data.get("date_to"))


def _public_cached(request, namespace: str, build):
    """Serve `build()` from the public cache unless the caller may see drafts."""
    if selectors.can_see_drafts(request.user):
        return build()
    return public_cached(cache_key(namespace, request.build_absolute_uri()), build)


@extend_schema_view(
    list=extend_schema(summary="Events, soonest showtime first"),
    retrieve=extend_schema(summary="An event with its upcoming showtimes"),
    destroy=extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(description="`in_use`: it has showtimes; cancel it instead."),
        }
    ),
)
class EventViewSet(viewsets.ModelViewSet):
    """Events: anyone reads published ones; organizers manage their own."""

    lookup_value_regex = ID

    throttle_scope = "catalog"  # public reads count against the per-IP scraping tier

    permission_classes = [ReadOnlyOrOrganizer]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = EventFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        if self.action == "list":
            return EventListSerializer
        if self.action in ("create", "partial_update"):
            return EventWriteSerializer
        return EventDetailSerializer

    def get_queryset(self):
        if self.request.method in SAFE_METHODS:
            return selectors.event_list(self.request.user)
        return selectors.event_list(self.request.user, editable=True)

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        filterset = EventFilter(self.request.query_params, queryset=queryset, request=self.request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        data = filterset.form.cleaned_data
        queryset = selectors.event_list(
            self.request.user, date_from=data.get("date_from"), date_to=data.get("date_to")
        )
        filterset.queryset = queryset
        return filterset.qs.order_by(*selectors.event_ordering(data.get("ordering")))

    def _detail(self, event: Event) -> dict:
        slots = selectors.event_upcoming_slots(event, self.request.user)
        context = {
            **self.get_serializer_context(),
            "slots": slots,
            "availability": selectors.slot_availability_map(selectors.slot_capacities(slots)),
            "ticket_types": {event.pk: ticket_types.event_types(event.pk)},
        }
        return EventDetailSerializer(event, context=context).data

    def list(self, request, *args, **kwargs):
        build = super().list
        return Response(
            _public_cached(request, "events:list", lambda: build(request, *args, **kwargs).data)
        )

    def retrieve(self, request, *args, **kwargs):
        data = _public_cached(request, "events:detail", lambda: self._detail(self.get_object()))
        # Places left change with every hold: never take them from the cache.
        fresh = selectors.slot_availability_map({s["id"]: s["capacity"] for s in data["slots"]})
        slots = [{**slot, "available": fresh[slot["id"]]} for slot in data["slots"]]
        return Response({**data, "slots": slots})

    @extend_schema(request=EventWriteSerializer, responses={201: EventDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = EventWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        event = catalog_services.event_create(
            organizer=acting_organizer(request.user), **data.validated_data
        )
        event = self.get_queryset().get(pk=event.pk)
        return Response(self._detail(event), status=status.HTTP_201_CREATED)

    @extend_schema(request=EventWriteSerializer, responses=EventDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        event = self.get_object()
        data = EventWriteSerializer(
            event, data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        event = catalog_services.event_update(event=event, **data.validated_data)
        return Response(self._detail(self.get_queryset().get(pk=event.pk)))

    def perform_destroy(self, instance):
        catalog_services.event_delete(event=instance)

    @extend_schema(
        request={"multipart/form-data": ImageUploadSerializer},
        responses={200: EventDetailSerializer, 413: IMAGE_TOO_LARGE},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def banner(self, request, pk=None):
        """Upload the banner (multipart field `file`): any JPEG, PNG, WebP or GIF, re-encoded."""
        event = self.get_object()
        upload = ImageUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        catalog_services.event_banner_set(event=event, upload=upload.validated_data["file"])
        return Response(self._detail(self.get_queryset().get(pk=event.pk)))

    @extend_schema(request=None, responses={204: None})
    @banner.mapping.delete
    def banner_delete(self, request, pk=None):
        catalog_services.event_banner_clear(event=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=GenerateSlotsSerializer,
        responses={
            202: GenerationJobSerializer,
            409: OpenApiResponse(description="`event_cancelled`."),
        },
    )
    @action(detail=True, methods=["post"], url_path="generate-slots")
    def generate_slots(self, request, pk=None):
        """Generate showtimes from a rule in a background task; follow `status_url`."""
        event = self.get_object()
        data = GenerateSlotsSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        job = services.schedule_rule_create(event=event, **data.validated_data)
        job.refresh_from_db()
        body = GenerationJobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses=GenerationJobSerializer,
        parameters=[OpenApiParameter("job_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"generate-slots/(?P<job_id>[0-9]+)",
        url_name="generation-job",
        permission_classes=[ReadOnlyOrOrganizer],
    )
    def generation_job(self, request, pk=None, job_id=None):
        """The progress of a slot generation: status and created/skipped/conflicted counts."""
        if not selectors.can_see_drafts(request.user):
            raise NotFound()
        job = selectors.generation_job_for(request.user, int(pk), int(job_id))
        if job is None:
            raise NotFound()
        return Response(GenerationJobSerializer(job, context=self.get_serializer_context()).data)


@extend_schema_view(
    destroy=extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(
                description="`slot_has_bookings` (`details.bookings`): cancel it instead."
            ),
        }
    )
)
class SlotViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Showtimes: anyone reads those of published events; organizers manage their own."""

    lookup_value_regex = ID

    throttle_scope = "catalog"  # public reads count against the per-IP scraping tier

    serializer_class = SlotSerializer
    permission_classes = [ReadOnlyOrOrganizer]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = SlotFilter

    def get_queryset(self):
        user = self.request.user
        if self.request.method not in SAFE_METHODS:
            return selectors.slot_editable(user)
        qs = selectors.slot_visible(user)
        if self.action == "list":
            qs = selectors.slot_upcoming(qs)
        return qs.order_by("starts_at", "id")

    def _serialize(self, slots, many: bool = False):
        items = slots if many else [slots]
        context = {
            **self.get_serializer_context(),
            "availability": selectors.slot_availability_map(selectors.slot_capacities(items)),
            "ticket_types": ticket_types.events_types({slot.event_id for slot in items}),
        }
        return SlotSerializer(slots, many=many, context=context).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._serialize(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._serialize(self.get_object()))

    def _out(self, slot: Slot, status_code=status.HTTP_200_OK) -> Response:
        slot = selectors.slot_editable(self.request.user).get(pk=slot.pk)
        return Response(self._serialize(slot), status=status_code)

    @extend_schema(
        request=SlotCreateSerializer, responses={201: SlotSerializer, 409: SLOT_CONFLICT}
    )
    def create(self, request, *args, **kwargs):
        data = SlotCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        slot = services.slot_create(**data.validated_data)
        return self._out(slot, status.HTTP_201_CREATED)

    @extend_schema(
        request=SlotUpdateSerializer,
        responses={
            200: SlotSerializer,
            409: OpenApiResponse(
                description="`slot_overlap`, `slot_started`, `event_cancelled`, or "
                "`capacity_below_sold`."
            ),
        },
    )
    def partial_update(self, request, *args, **kwargs):
        slot = self.get_object()
        data = SlotUpdateSerializer(
            data=request.data, context={**self.get_serializer_context(), "slot": slot}
        )
        data.is_valid(raise_exception=True)
        slot = services.slot_update(slot=slot, **data.validated_data)
        return self._out(slot)

    def perform_destroy(self, instance):
        services.slot_delete(slot=instance)

    @extend_schema(responses=SeatMapSerializer)
    @action(detail=True, methods=["get"])
    def seats(self, request, pk=None):
        """The seat map: every seat with its price and live status (never cached)."""
        return Response(SeatMapSerializer(selectors.slot_seat_map(self.get_object())).data)


class EventTicketTypesView(generics.GenericAPIView):
    """An event's ticket types, in order: the first is the full price (each showtime's own
    prices), each further type has a price per seat category for the whole event, which
    a showtime may override (`type_prices`)."""

    permission_classes = [ReadOnlyOrOrganizer]
    serializer_class = TicketTypesSerializer
    throttle_scope = "catalog"

    def get_queryset(self):
        return selectors.event_list(
            self.request.user, editable=self.request.method not in SAFE_METHODS
        )

    def _body(self, event: Event) -> Response:
        types = [
            {"code": code, "name": name, "prices": prices}
            for code, name, prices in ticket_types.event_types(event.pk)
        ]
        return Response({"ticket_types": types})

    def get(self, request, pk):
        return self._body(self.get_object())

    @extend_schema(responses={200: TicketTypesSerializer})
    def put(self, request, pk):
        """Replace them (1 to 8; the first takes no prices). Holds keep their prices."""
        event = self.get_object()
        data = TicketTypesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.ticket_types_set(event=event, types=data.validated_data["ticket_types"])
        return self._body(event)

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile

from apps.accounts.adminsite import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from apps.accounts.permissions import acting_organizer, is_admin
from apps.core.exceptions import ApplicationError

from . import services
from .api.serializers import MovieSerializer
from .images import image_process
from .models import Event, Movie, Screen, Seat, Venue


def checked_image(form: forms.ModelForm, field: str, max_size: tuple[int, int]):
    """Put admin uploads through the same decoding, caps and re-encoding as the API."""
    value = form.cleaned_data.get(field)
    if isinstance(value, UploadedFile):
        try:
            return image_process(value, max_size=max_size, name=field)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
    return value


class MovieForm(forms.ModelForm):
    class Meta:
        model = Movie
        fields = [*(f for f in MovieSerializer.Meta.fields if f != "id"), "created_by"]

    def clean_poster(self):
        return checked_image(self, "poster", settings.VENUE_POSTER_MAX_SIZE)


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["type", "title", "description", "banner", "organizer", "city", "status", "movie"]

    def clean_banner(self):
        return checked_image(self, "banner", settings.VENUE_BANNER_MAX_SIZE)


def _image_change(form, field: str) -> dict:
    """The service's argument for an image field: a new (checked) file, `None` to clear."""
    if field not in form.changed_data:
        return {}
    value = form.cleaned_data.get(field)
    return {field: value or None}


class OrganizerOwnedAdmin(ServiceAdmin):
    """Admins pick the organizer; an organizer's own objects are always its own."""

    def get_exclude(self, request, obj=None):
        if is_admin(request.user):
            return super().get_exclude(request, obj)
        return [*(super().get_exclude(request, obj) or []), "organizer"]

    def owner(self, request, form):
        return form.cleaned_data.get("organizer") or acting_organizer(request.user)


@admin.register(Movie)
class MovieAdmin(ServiceAdmin):
    """The shared movie catalog: the admins' (organizers pick movies for their events)."""

    form = MovieForm
    list_display = ["title", "runtime_minutes", "rating", "language", "created_by"]
    list_filter = ["rating", "language"]
    search_fields = ["title", "synopsis"]
    raw_id_fields = ["created_by"]

    def service_save(self, request, obj, form, change):
        fields = self.changed_fields(form)
        fields.pop("poster", None)
        fields.update(_image_change(form, "poster"))
        if change:
            return services.movie_update(movie=Movie.objects.get(pk=obj.pk), **fields)
        fields.pop("created_by", None)
        created_by = form.cleaned_data.get("created_by") or acting_organizer(request.user)
        return services.movie_create(created_by=created_by, **fields)

    def service_delete(self, request, obj):
        services.movie_delete(movie=obj)


@admin.register(Event)
class EventAdmin(OrganizerOwnedAdmin):
    form = EventForm
    owner_field = "organizer"
    list_display = ["title", "type", "status", "city", "organizer", "movie", "created_at"]
    list_filter = ["type", "status", "city"]
    search_fields = ["title", "description", "organizer__email", "movie__title"]
    raw_id_fields = ["organizer"]
    list_select_related = ["organizer", "movie"]

    def service_save(self, request, obj, form, change):
        fields = self.changed_fields(form)
        fields.pop("banner", None)
        fields.update(_image_change(form, "banner"))
        if change:
            return services.event_update(event=Event.objects.get(pk=obj.pk), **fields)
        fields.pop("organizer", None)
        return services.event_create(organizer=self.owner(request, form), **fields)

    def service_delete(self, request, obj):
        services.event_delete(event=obj)


class ScreenInline(ReadOnlyInline):
    """The venue's screens, for reading; a screen is changed on its own page."""

    model = Screen
    fields = ["name", "opening_time", "closing_time", "layout_version"]
    show_change_link = True


@admin.register(Venue)
class VenueAdmin(OrganizerOwnedAdmin):
    owner_field = "organizer"
    list_display = ["name", "city", "timezone", "organizer"]
    list_filter = ["city", "timezone"]
    search_fields = ["name", "address", "city", "organizer__email"]
    raw_id_fields = ["organizer"]
    inlines = [ScreenInline]

    def service_save(self, request, obj, form, change):
        fields = self.changed_fields(form)
        if change:
            return services.venue_update(venue=Venue.objects.get(pk=obj.pk), **fields)
        fields.pop("organizer", None)
        return services.venue_create(organizer=self.owner(request, form), **fields)

    def service_delete(self, request, obj):
        services.venue_delete(venue=obj)


@admin.register(Screen)
class ScreenAdmin(ServiceAdmin):
    """Screens and their hours; the seat layout is drawn in the organizer portal."""

    owner_field = "venue__organizer"
    list_display = ["name", "venue", "opening_time", "closing_time", "layout_version"]
    list_filter = ["venue__city", "venue"]
    search_fields = ["name", "venue__name"]
    readonly_fields = ["layout_version"]
    list_select_related = ["venue"]

    def service_save(self, request, obj, form, change):
        fields = self.changed_fields(form)
        if change:
            return services.screen_update(screen=Screen.objects.get(pk=obj.pk), **fields)
        return services.screen_create(**fields)

    def service_delete(self, request, obj):
        services.screen_delete(screen=obj)


@admin.register(Seat)
class SeatAdmin(ReadOnlyAdmin):
    """Seats change only with their screen's whole layout (screen_layout_replace)."""

    owner_field = "screen__venue__organizer"
    list_display = ["label", "screen", "row", "number", "category", "x", "y"]
    list_filter = ["category", "screen__venue", "screen"]
    search_fields = ["label", "screen__name", "screen__venue__name"]
    list_select_related = ["screen__venue"]

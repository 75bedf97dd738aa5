from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile

from apps.core.exceptions import ApplicationError

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
        fields = [
            "title",
            "synopsis",
            "runtime_minutes",
            "rating",
            "language",
            "genres",
            "formats",
            "poster",
            "created_by",
        ]

    def clean_poster(self):
        return checked_image(self, "poster", settings.VENUE_POSTER_MAX_SIZE)


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["type", "title", "description", "banner", "organizer", "city", "status", "movie"]

    def clean_banner(self):
        return checked_image(self, "banner", settings.VENUE_BANNER_MAX_SIZE)


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    form = MovieForm
    list_display = ["title", "runtime_minutes", "rating", "language", "created_by"]
    list_filter = ["rating", "language"]
    search_fields = ["title", "synopsis"]
    raw_id_fields = ["created_by"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    form = EventForm
    list_display = ["title", "type", "status", "city", "organizer", "movie", "created_at"]
    list_filter = ["type", "status", "city"]
    search_fields = ["title", "description", "organizer__email", "movie__title"]
    raw_id_fields = ["organizer", "movie"]
    list_select_related = ["organizer", "movie"]


class ScreenInline(admin.TabularInline):
    model = Screen
    extra = 0
    fields = ["name", "opening_time", "closing_time", "layout_version"]
    readonly_fields = ["layout_version"]
    show_change_link = True


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "timezone", "organizer"]
    list_filter = ["city", "timezone"]
    search_fields = ["name", "address", "city", "organizer__email"]
    raw_id_fields = ["organizer"]
    inlines = [ScreenInline]


@admin.register(Screen)
class ScreenAdmin(admin.ModelAdmin):
    list_display = ["name", "venue", "opening_time", "closing_time", "layout_version"]
    list_filter = ["venue__city", "venue"]
    search_fields = ["name", "venue__name"]
    readonly_fields = ["layout_version"]
    list_select_related = ["venue"]


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ["label", "screen", "row", "number", "category", "x", "y"]
    list_filter = ["category", "screen__venue", "screen"]
    search_fields = ["label", "screen__name", "screen__venue__name"]
    list_select_related = ["screen__venue"]
    raw_id_fields = ["screen"]

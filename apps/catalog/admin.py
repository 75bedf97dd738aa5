from django.contrib import admin

from .models import Event, Movie, Screen, Seat, Venue


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["title", "runtime_minutes", "rating", "language", "created_by"]
    list_filter = ["rating", "language"]
    search_fields = ["title", "synopsis"]
    raw_id_fields = ["created_by"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
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

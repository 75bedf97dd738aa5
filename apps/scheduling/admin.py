from django.contrib import admin

from .models import GenerationJob, ScheduleRule, Slot, SlotPrice


class SlotPriceInline(admin.TabularInline):
    model = SlotPrice
    extra = 0


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["event", "screen", "starts_at", "ends_at", "seating", "capacity", "status"]
    list_filter = ["status", "seating", "event__type", "screen__venue"]
    search_fields = ["event__title", "screen__name", "screen__venue__name"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["event", "screen", "rule"]
    readonly_fields = ["seatmap_version"]
    list_select_related = ["event", "screen__venue"]
    inlines = [SlotPriceInline]


@admin.register(SlotPrice)
class SlotPriceAdmin(admin.ModelAdmin):
    list_display = ["slot", "category", "price"]
    list_filter = ["category"]
    search_fields = ["slot__event__title", "category"]
    raw_id_fields = ["slot"]
    list_select_related = ["slot__event"]


@admin.register(ScheduleRule)
class ScheduleRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "event", "screen", "mode", "date_from", "date_to", "seating"]
    list_filter = ["mode", "seating"]
    search_fields = ["name", "event__title", "screen__name"]
    raw_id_fields = ["event", "screen"]
    list_select_related = ["event", "screen"]


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = ["id", "rule", "status", "created", "skipped", "conflicted", "finished_at"]
    list_filter = ["status"]
    search_fields = ["rule__event__title", "error"]
    raw_id_fields = ["rule"]
    readonly_fields = ["started_at", "finished_at"]

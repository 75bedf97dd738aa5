from django.contrib import admin

from .models import WaitlistEntry


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = [
        "id", "slot", "user", "quantity", "status", "skipped", "offered_hold_id", "created_at"
    ]  # fmt: skip
    list_filter = ["status", "created_at"]
    search_fields = ["user__email", "slot__event__title"]
    list_select_related = ["user", "slot__event"]
    readonly_fields = [
        "user", "slot", "quantity", "skipped", "offered_hold_id", "created_at", "offered_at",
        "closed_at",
    ]  # fmt: skip
    fields = ["status", *readonly_fields]

    def has_add_permission(self, request):
        return False

from django.contrib import admin, messages

from apps.accounts.adminsite import ReadOnlyAdmin
from apps.core.exceptions import ApplicationError

from . import services
from .models import WaitlistEntry


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdmin):
    """The line is read here; taking someone out of it goes through waitlist_leave (an open
    offer is declined and its seats pass to the next in line)."""

    owner_field = "slot__event__organizer"
    list_display = [
        "id", "slot", "user", "quantity", "status", "skipped", "offered_hold_id", "created_at"
    ]  # fmt: skip
    list_filter = ["status", "created_at"]
    search_fields = ["user__email", "slot__event__title"]
    list_select_related = ["user", "slot__event"]
    actions = ["remove_from_waitlist"]

    def has_remove_permission(self, request) -> bool:
        return self.has_view_permission(request)

    @admin.action(description="Remove selected entries from the waitlist", permissions=["remove"])
    def remove_from_waitlist(self, request, queryset):
        done = 0
        for entry in queryset.select_related("user"):
            try:
                services.waitlist_leave(user=entry.user, slot_id=entry.slot_id)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"Entry {entry.pk}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"Removed {done} waitlist entries.", messages.SUCCESS)

from django.contrib import admin, messages

from apps.core.exceptions import ApplicationError

from . import services
from .models import Booking, GeneralInventory, Hold, IdempotencyRecord, Payment, SeatClaim, Ticket


class TicketInline(admin.TabularInline):
    model = Ticket
    extra = 0
    can_delete = False
    readonly_fields = ["number", "seat", "code"]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["reference", "user", "slot", "status", "quantity", "total", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["reference", "user__email", "slot__event__title"]
    readonly_fields = [
        "reference", "user", "slot", "status", "quantity", "total", "created_at", "cancelled_at"
    ]  # fmt: skip
    list_select_related = ["user", "slot__event"]
    inlines = [TicketInline]
    actions = ["cancel_bookings"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Cancel selected bookings (frees seats, refunds, moves the waitlist)")
    def cancel_bookings(self, request, queryset):
        done = 0
        for booking in queryset:
            try:
                services.booking_cancel(booking_id=booking.pk)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{booking.reference}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"Cancelled {done} booking(s).", messages.SUCCESS)


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "slot", "kind", "quantity", "total", "expires_at"]
    list_filter = ["kind"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "slot", "kind", "quantity", "total", "expires_at", "created_at"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "amount", "provider", "status", "provider_ref", "updated_at"]
    list_filter = ["status", "provider"]
    search_fields = ["provider_ref", "user__email", "booking__reference"]
    readonly_fields = [f.name for f in Payment._meta.fields]


@admin.register(SeatClaim)
class SeatClaimAdmin(admin.ModelAdmin):
    list_display = ["slot", "seat", "hold", "booking", "expires_at"]
    readonly_fields = ["slot", "seat", "hold", "booking", "expires_at"]


@admin.register(GeneralInventory)
class GeneralInventoryAdmin(admin.ModelAdmin):
    list_display = ["slot", "available"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "status", "response_status", "created_at"]
    list_filter = ["status"]
    search_fields = ["key", "user__email"]

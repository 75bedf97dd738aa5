import contextlib

from django.contrib import admin, messages

from apps.accounts.adminsite import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from apps.core.exceptions import ApplicationError

from . import errors, services
from .models import (
    Booking,
    GeneralInventory,
    Hold,
    IdempotencyRecord,
    LedgerEntry,
    Payment,
    SeatClaim,
    Ticket,
    TicketTransfer,
)


class TicketInline(ReadOnlyInline):
    model = Ticket
    fields = ["number", "seat", "status", "holder"]

    def has_view_permission(self, request, obj=None) -> bool:
        return True  # shown with a booking the viewer may see


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    """Bookings are read here and cancelled by booking_cancel (the action): never
    edited or deleted, they are the organizer's books."""

    owner_field = "slot__event__organizer"
    list_display = ["reference", "user", "slot", "status", "quantity", "total", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["reference", "user__email", "slot__event__title"]
    readonly_fields = [
        "reference", "user", "slot", "status", "quantity", "total", "created_at", "cancelled_at"
    ]  # fmt: skip
    list_select_related = ["user", "slot__event"]
    inlines = [TicketInline]
    actions = ["cancel_bookings"]

    def has_cancel_permission(self, request) -> bool:
        return self.has_view_permission(request)

    @admin.action(
        description="Cancel selected bookings (frees seats, refunds, moves the waitlist)",
        permissions=["cancel"],
    )
    def cancel_bookings(self, request, queryset):
        done = 0
        for booking in queryset:
            try:
                services.booking_cancel(booking_id=booking.pk, by=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{booking.reference}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"Cancelled {done} booking(s).", messages.SUCCESS)


@admin.register(Hold)
class HoldAdmin(ServiceAdmin):
    """Holds are read here; deleting one releases it (hold_release), giving back its seats
    or its general-admission places."""

    owner_field = "slot__event__organizer"
    organizer_actions = frozenset({"view", "delete"})
    list_display = ["id", "user", "slot", "kind", "quantity", "total", "expires_at"]
    list_filter = ["kind"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "slot", "kind", "quantity", "total", "expires_at", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def service_delete(self, request, obj):
        # Expired, booked or released meanwhile: nothing is left to give back.
        with contextlib.suppress(errors.HoldNotFound):
            services.hold_release(hold_id=obj.pk)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "amount", "provider", "status", "provider_ref", "updated_at"]
    list_filter = ["status", "provider"]
    search_fields = ["provider_ref", "user__email", "booking__reference"]
    readonly_fields = [f.name for f in Payment._meta.fields]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """The money ledger, for reading: its organizer sees its showtimes' rows."""

    owner_field = "slot__event__organizer"
    list_display = ["created_at", "kind", "amount", "booking", "provider_ref", "by", "reason"]
    list_filter = ["kind", "reason", "provider"]
    search_fields = ["provider_ref", "booking__reference"]
    readonly_fields = [f.name for f in LedgerEntry._meta.fields]


@admin.register(TicketTransfer)
class TicketTransferAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "ticket", "from_user", "to_user"]
    search_fields = ["ticket__booking__reference", "to_email"]
    readonly_fields = [f.name for f in TicketTransfer._meta.fields]


@admin.register(SeatClaim)
class SeatClaimAdmin(ReadOnlyAdmin):
    list_display = ["slot", "seat", "hold", "booking", "expires_at"]
    readonly_fields = ["slot", "seat", "hold", "booking", "expires_at"]


@admin.register(GeneralInventory)
class GeneralInventoryAdmin(ReadOnlyAdmin):
    list_display = ["slot", "available"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "status", "response_status", "created_at"]
    list_filter = ["status"]
    search_fields = ["key", "user__email"]

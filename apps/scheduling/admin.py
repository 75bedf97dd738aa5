from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin

from apps.accounts.adminsite import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin

from . import services
from .models import GenerationJob, ScheduleRule, Slot, SlotPrice

# What slot_update may change; the event, the screen and the seating are fixed at creation.
SLOT_CHANGEABLE = ["starts_at", "ends_at", "capacity", "status", "sales_open_at", "sales_close_at"]


class SlotForm(forms.ModelForm):
    prices = forms.JSONField(
        help_text='One price per seat category, e.g. {"standard": "12.00", "premium": "18.00"}; '
        'general admission: {"general": "20.00"}.'
    )

    class Meta:
        model = Slot
        fields = [
            "event", "screen", "starts_at", "ends_at", "seating", "capacity",
            "sales_open_at", "sales_close_at", "status",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["capacity"].required = False  # reserved seating: the layout's seat count
        self.fields["ends_at"].required = False  # default: the start plus the event's runtime
        if self.instance.pk:
            self.initial["prices"] = {p.category: str(p.price) for p in self.instance.prices.all()}

    def clean_prices(self) -> dict[str, Decimal]:
        value = self.cleaned_data["prices"]
        if not isinstance(value, dict) or not value:
            raise forms.ValidationError('A JSON object of prices, e.g. {"standard": "12.00"}.')
        try:
            prices = {str(k): Decimal(str(v)) for k, v in value.items()}
        except (InvalidOperation, ValueError) as exc:
            raise forms.ValidationError("Each price must be a number.") from exc
        if any(not p.is_finite() or p < 0 for p in prices.values()):
            raise forms.ValidationError("Prices must be zero or more.")
        return prices


class SlotPriceInline(ReadOnlyInline):
    """Prices for reading; they change through the showtime's `prices` field."""

    model = SlotPrice
    fields = ["category", "price"]


@admin.register(Slot)
class SlotAdmin(ServiceAdmin):
    """Showtimes, created, changed and deleted by slot_create/slot_update/slot_delete with
    all their checks (overlaps under the screen's lock, prices, capacity, started)."""

    form = SlotForm
    owner_field = "event__organizer"
    list_display = ["event", "screen", "starts_at", "ends_at", "seating", "capacity", "status"]
    list_filter = ["status", "seating", "event__type", "screen__venue"]
    search_fields = ["event__title", "screen__name", "screen__venue__name"]
    date_hierarchy = "starts_at"
    readonly_fields = ["seatmap_version"]
    list_select_related = ["event", "screen__venue"]
    inlines = [SlotPriceInline]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["event", "screen", "seating"] if obj is not None else []
        return [*fixed, *super().get_readonly_fields(request, obj)]

    def service_save(self, request, obj, form, change):
        fields = self.changed_fields(form)
        if change:
            fields = {k: v for k, v in fields.items() if k in SLOT_CHANGEABLE}
            if "prices" in form.changed_data:
                fields["prices"] = form.cleaned_data["prices"]
            return services.slot_update(slot=Slot.objects.get(pk=obj.pk), **fields)
        data = form.cleaned_data
        return services.slot_create(
            event=data["event"],
            screen=data["screen"],
            starts_at=data["starts_at"],
            ends_at=data.get("ends_at"),
            seating=data["seating"],
            capacity=data.get("capacity"),
            prices=data["prices"],
            sales_open_at=data.get("sales_open_at"),
            sales_close_at=data.get("sales_close_at"),
        )

    def service_delete(self, request, obj):
        services.slot_delete(slot=obj)


@admin.register(SlotPrice)
class SlotPriceAdmin(ReadOnlyAdmin):
    owner_field = "slot__event__organizer"
    list_display = ["slot", "category", "price"]
    list_filter = ["category"]
    search_fields = ["slot__event__title", "category"]
    list_select_related = ["slot__event"]


@admin.register(ScheduleRule)
class ScheduleRuleAdmin(ReadOnlyAdmin):
    """Rules are made (and their showtimes generated) in the portal or the API."""

    owner_field = "event__organizer"
    list_display = ["__str__", "event", "screen", "mode", "date_from", "date_to", "seating"]
    list_filter = ["mode", "seating"]
    search_fields = ["name", "event__title", "screen__name"]
    list_select_related = ["event", "screen"]


@admin.register(GenerationJob)
class GenerationJobAdmin(ReadOnlyAdmin):
    owner_field = "rule__event__organizer"
    list_display = ["id", "rule", "status", "created", "skipped", "conflicted", "finished_at"]
    list_filter = ["status"]
    search_fields = ["rule__event__title", "error"]

"""An event's promo codes in the portal: `/organizer/events/<id>/promo-codes/` lists them
with their uses, makes new ones and retires old ones, through `bookings.services`."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.db.models.functions import Now
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.bookings import services as bookings
from apps.bookings.models import PromoCode
from apps.core.exceptions import ApplicationError
from apps.scheduling.models import Slot

from .selectors import my_event_or_404
from .views import organizer_required


class PromoCodeForm(forms.Form):
    code = forms.RegexField(
        label="Code",
        regex=r"^[A-Za-z0-9_-]{3,32}$",
        help_text="3-32 letters, digits, - or _; customers type it in any case.",
    )
    kind = forms.ChoiceField(label="Kind", choices=PromoCode.Kind.choices)
    amount = forms.DecimalField(
        label="Amount", min_value=Decimal("0"), max_digits=8, decimal_places=2,
        help_text="A percentage (at most 100) or an amount of money; 0 only for a presale code.",
    )  # fmt: skip
    per = forms.ChoiceField(
        label="Applies", choices=PromoCode.Per.choices,
        help_text="An amount off once per order, or off each ticket (never below zero).",
    )  # fmt: skip
    slots = forms.ModelMultipleChoiceField(
        label="Showtimes", queryset=Slot.objects.none(), required=False,
        help_text="None ticked: every showtime of the event.",
    )  # fmt: skip
    categories = forms.CharField(
        label="Seat categories", required=False, max_length=300,
        help_text="Comma-separated, e.g. standard, premium. Empty: every category.",
    )  # fmt: skip
    ticket_types = forms.CharField(
        label="Ticket types", required=False, max_length=300,
        help_text="Comma-separated codes, e.g. child, senior. Empty: every type.",
    )  # fmt: skip
    valid_from = forms.DateTimeField(label="Valid from", required=False)
    valid_until = forms.DateTimeField(label="Valid until", required=False)
    max_uses = forms.IntegerField(label="Uses in all", min_value=0, required=False)
    max_uses_per_customer = forms.IntegerField(
        label="Uses per customer", min_value=1, max_value=100, required=False
    )
    presale = forms.BooleanField(
        label="Presale code", required=False,
        help_text="Its holders may buy the showtimes it is for before their public sale opens.",
    )  # fmt: skip

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slots"].queryset = Slot.objects.filter(event=event).order_by("starts_at")

    def clean(self):
        data = super().clean()
        if data.get("kind") == PromoCode.Kind.PERCENT and (data.get("amount") or 0) > 100:
            self.add_error("amount", "A percentage is at most 100.")
        if data.get("amount") is not None and data["amount"] <= 0 and not data.get("presale"):
            self.add_error("amount", "More than 0 (only a presale code may give no discount).")
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", "Must come after “Valid from”.")
        for name in ("categories", "ticket_types"):
            data[name] = [c.strip().lower() for c in (data.get(name) or "").split(",") if c.strip()]
        return data


@require_http_methods(["GET", "POST"])
@organizer_required
def promo_codes(request: HttpRequest, event_id: int) -> HttpResponse:
    event = my_event_or_404(request.user, event_id)
    form = PromoCodeForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            code = bookings.promo_code_create(event=event, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error("code", exc.message)
        else:
            messages.success(request, f"Code {code.code} created.")
            return redirect("organizer:promo-codes", event.pk)
    live = Q(uses__booking__isnull=False) | Q(uses__expires_at__gt=Now())
    codes = (
        PromoCode.objects.filter(event=event)
        .annotate(uses_count=Count("uses", filter=live))
        .prefetch_related("slots")
        .order_by("-active", "code")
    )
    return render(
        request, "organizer/promo_codes.html", {"event": event, "form": form, "codes": codes}
    )


@require_POST
@organizer_required
def promo_code_retire(request: HttpRequest, event_id: int, code_id: int) -> HttpResponse:
    event = my_event_or_404(request.user, event_id)
    code = PromoCode.objects.filter(pk=code_id, event=event).first()
    if code is None:
        raise Http404("No such code of this event.")
    bookings.promo_code_update(code=code, active=False)
    messages.success(request, f"Code {code.code} retired: it no longer applies to new holds.")
    return redirect("organizer:promo-codes", event.pk)

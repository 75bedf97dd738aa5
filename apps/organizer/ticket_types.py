"""An event's ticket types in the portal: `/organizer/events/<id>/ticket-types/` lists them
and replaces them (`scheduling.services.ticket_types_set`), shows what each costs at each
upcoming showtime, and sets a showtime's own prices of the further types (`slot_update`).

Both forms are plain text, one type a line, so a whole price list reads and edits at once:
`child | Child | standard 6.00, premium 9.00` for the event, `child: standard 4.00` for a
showtime."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods, require_POST

from apps.catalog.models import category_validator
from apps.core.exceptions import ApplicationError
from apps.scheduling import services as scheduling
from apps.scheduling.selectors import slot_editable, slot_prices, slot_upcoming
from apps.scheduling.ticket_types import MAX_PRICE, MAX_TYPES, event_types, price_table

from .selectors import my_event_or_404
from .views import organizer_required

SHOWN_SLOTS = 50  # the page lists the next showtimes, not a whole season
NEW_EVENT_TYPES = "adult | Adult\n"


def _code(text: str, line: int) -> str:
    code = text.strip().lower()
    try:
        category_validator(code)
    except ValidationError:
        raise ValidationError(
            f"Line {line}: “{text.strip()}” is not a code: a short lower-case word such as "
            "adult or child (letters, digits, - or _)."
        ) from None
    return code


def _prices(text: str, line: int) -> dict[str, str]:
    """`standard 6.00, premium 9.00` as {"standard": "6.00", "premium": "9.00"}."""
    prices: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        words = item.split()
        if len(words) != 2:
            raise ValidationError(
                f"Line {line}: “{item}” is not a price: write a seat category and an amount, "
                "such as standard 6.00."
            )
        category, amount = words[0].lower(), words[1]
        try:
            category_validator(category)
        except ValidationError:
            raise ValidationError(
                f"Line {line}: “{words[0]}” is not a seat category (standard, premium...)."
            ) from None
        try:
            price = Decimal(amount)
        except InvalidOperation:
            price = None
        if price is None or not price.is_finite() or not 0 <= price <= MAX_PRICE:
            raise ValidationError(f"Line {line}: “{amount}” is not an amount such as 6.00.")
        if price != price.quantize(Decimal("0.01")):
            raise ValidationError(f"Line {line}: “{amount}”: a price is to the cent.")
        if category in prices:
            raise ValidationError(f"Line {line}: {category} has two prices.")
        prices[category] = str(price.quantize(Decimal("0.01")))
    return prices


def _lines(text: str) -> list[tuple[int, str]]:
    """The non-empty lines of `text`, numbered from 1 as the person sees them."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _price_text(prices: dict) -> str:
    return ", ".join(f"{category} {price}" for category, price in sorted(prices.items()))


class TicketTypesForm(forms.Form):
    types = forms.CharField(
        label="Ticket types, one a line",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": MAX_TYPES, "spellcheck": "false"}),
        help_text=(
            "code | Name | prices, in the order customers see them. The first line is the "
            "full price, each showtime's own prices, so it takes none: adult | Adult. Each "
            "further line gives a price per seat category for the whole event: "
            "child | Child | standard 6.00, premium 9.00. A category left out is not sold to "
            f"that type. At most {MAX_TYPES} types."
        ),
    )

    def clean_types(self) -> list[dict]:
        types = []
        for n, line in _lines(self.cleaned_data["types"]):
            parts = [part.strip() for part in line.split("|")]
            if len(parts) not in (2, 3):
                raise ValidationError(
                    f"Line {n}: “{line}” is not a ticket type: write code | Name, then "
                    "| prices for every line but the first."
                )
            name = parts[1]
            if not name or len(name) > 64:
                raise ValidationError(f"Line {n}: give the type a name of at most 64 characters.")
            prices = _prices(parts[2], n) if len(parts) == 3 else {}
            types.append({"code": _code(parts[0], n), "name": name, "prices": prices})
        if not types:
            raise ValidationError("Give at least one ticket type.")
        return types


def types_text(types: list[tuple[str, str, dict]]) -> str:
    """The event's types as the form writes them (a new event starts with one, adult)."""
    if not types:
        return NEW_EVENT_TYPES
    lines = [f"{code} | {name}" for code, name, _ in types[:1]]
    lines += [f"{code} | {name} | {_price_text(prices)}" for code, name, prices in types[1:]]
    return "\n".join(lines) + "\n"


class SlotTypePricesForm(forms.Form):
    type_prices = forms.CharField(
        label="Own prices",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="One further type a line, such as child: standard 4.00, premium 6.00. "
        "Empty: the event's prices.",
    )

    def __init__(self, *args, slot, when: str, **kwargs):
        super().__init__(*args, prefix=f"slot-{slot.pk}", **kwargs)
        self.slot = slot
        self.fields["type_prices"].label = f"Own prices of the showtime on {when}"

    def clean_type_prices(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for n, line in _lines(self.cleaned_data["type_prices"]):
            code, colon, prices = line.partition(":")
            if not colon:
                raise ValidationError(
                    f"Line {n}: “{line}” is not a type's prices: write code: standard 4.00."
                )
            code = _code(code, n)
            if code in found:
                raise ValidationError(f"Line {n}: {code} comes twice.")
            if own := _prices(prices, n):  # `child:` alone: the event's prices
                found[code] = own
        return found


def _when(slot) -> str:
    """When the showtime starts, in its venue's zone (as the other portal pages write it)."""
    return date_format(timezone.localtime(slot.starts_at, slot.screen.venue.tzinfo), "D j M, H:i T")


def _showtime(slot, types: list, form: SlotTypePricesForm | None) -> dict:
    """One showtime's part of the page: what each type costs per seat category there
    (marking its own prices), and its form (`form`, or a fresh one with its own prices)."""
    further = [code for code, _, _ in types[1:]]
    own = {code: slot.type_prices[code] for code in further if slot.type_prices.get(code)}
    if form is None:  # overrides of a type that is gone no longer count: left out
        text = "\n".join(f"{code}: {_price_text(prices)}" for code, prices in own.items())
        form = SlotTypePricesForm(initial={"type_prices": text}, slot=slot, when=_when(slot))
    base = slot_prices(slot)
    categories = sorted(base)
    # `slot_ticket_types` would read the event's types again for every showtime.
    table = price_table(types, base, slot.type_prices or {})
    rows = [
        {
            "type": row,
            "cells": [(row.prices.get(c), c in own.get(row.code, {})) for c in categories],
        }
        for row in table
    ]
    return {"slot": slot, "form": form, "categories": categories, "rows": rows}


def _page(request, event, form: TicketTypesForm, posted: SlotTypePricesForm | None = None):
    """The page: the types, the form replacing them, and each upcoming showtime's prices
    (`posted`: a showtime's form sent back with its errors, in place of its fresh one)."""
    types = event_types(event.pk)
    qs = slot_upcoming(slot_editable(request.user).filter(event=event)).order_by("starts_at")
    slots = list(qs[: SHOWN_SLOTS + 1])
    more, slots = len(slots) > SHOWN_SLOTS, slots[:SHOWN_SLOTS]
    if posted is not None and posted.slot.pk not in {slot.pk for slot in slots}:
        slots.append(posted.slot)
    showtimes = [
        _showtime(slot, types, posted if posted and posted.slot.pk == slot.pk else None)
        for slot in slots
    ]
    categories = sorted({c for _, _, prices in types[1:] for c in prices})
    context = {
        "event": event,
        "form": form,
        "types": [
            {"code": code, "name": name, "prices": [prices.get(c) for c in categories]}
            for code, name, prices in types
        ],
        "categories": categories,
        "showtimes": showtimes,
        "more": more,
        "further": len(types) > 1,
    }
    return render(request, "organizer/ticket_types.html", context)


@require_http_methods(["GET", "POST"])
@organizer_required
def ticket_types(request: HttpRequest, event_id: int) -> HttpResponse:
    event = my_event_or_404(request.user, event_id)
    if request.method == "GET":
        form = TicketTypesForm(initial={"types": types_text(event_types(event.pk))})
        return _page(request, event, form)
    form = TicketTypesForm(request.POST)
    if form.is_valid():
        try:
            saved = scheduling.ticket_types_set(event=event, types=form.cleaned_data["types"])
        except ApplicationError as exc:
            form.add_error("types", exc.message)
        else:
            names = ", ".join(t.name for t in saved)
            messages.success(request, f"Ticket types saved: {names}.")
            return redirect("organizer:ticket-types", event.pk)
    return _page(request, event, form)


@require_POST
@organizer_required
def slot_type_prices(request: HttpRequest, event_id: int, slot_id: int) -> HttpResponse:
    event = my_event_or_404(request.user, event_id)
    slot = slot_editable(request.user).filter(pk=slot_id, event=event).first()
    if slot is None:
        raise Http404("No such showtime of this event.")
    form = SlotTypePricesForm(request.POST, slot=slot, when=_when(slot))
    if form.is_valid():
        try:
            scheduling.slot_update(slot=slot, type_prices=form.cleaned_data["type_prices"])
        except ApplicationError as exc:
            form.add_error("type_prices", exc.message)
        else:
            messages.success(request, f"Prices of the showtime on {_when(slot)} saved.")
            url = reverse("organizer:ticket-types", args=[event.pk])
            return redirect(f"{url}#slot-{slot.pk}")
    types_form = TicketTypesForm(initial={"types": types_text(event_types(event.pk))})
    return _page(request, event, types_form, posted=form)

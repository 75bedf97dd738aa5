"""Forms of the organizer portal. Services validate too; their refusals land on the fields."""

import json
import re
from datetime import time
from decimal import Decimal, InvalidOperation

from django import forms

from apps.catalog.models import (
    CURRENCIES,
    MAX_TICKETS_CAP,
    EventStatus,
    EventType,
    Movie,
    category_validator,
    default_currency,
)
from apps.core.exceptions import ApplicationError
from apps.scheduling.models import ScheduleRule, Seating

ROW_NAMES = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read as 1 and 0
MAX_ROWS = len(ROW_NAMES)
MAX_SEATS_PER_ROW = 60
WEEKDAYS = [
    (1, "Mon"),
    (2, "Tue"),
    (3, "Wed"),
    (4, "Thu"),
    (5, "Fri"),
    (6, "Sat"),
    (7, "Sun"),
]


def apply_service_error(form: forms.Form, exc: ApplicationError) -> None:
    """Put a service's refusal on the fields it names, or on the whole form."""
    placed = False
    for name, messages in (exc.details or {}).items():
        if name in form.fields and isinstance(messages, list):
            for message in messages:
                form.add_error(name, str(message))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class EventForm(forms.Form):
    type = forms.ChoiceField(label="Type", choices=EventType.choices)
    title = forms.CharField(label="Title", max_length=200)
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    city = forms.CharField(label="City", max_length=100)
    status = forms.ChoiceField(
        label="Status",
        choices=EventStatus.choices,
        help_text="Only published events are on sale and shown on the site.",
    )
    movie = forms.ModelChoiceField(
        label="Movie",
        queryset=Movie.objects.all(),
        required=False,
        help_text="Movie events show a movie of the catalog; leave empty otherwise.",
    )
    max_tickets_per_customer = forms.IntegerField(
        label="Tickets per customer",
        required=False,
        min_value=1,
        max_value=MAX_TICKETS_CAP,
        help_text="The most tickets one customer may hold and book across this event's "
        "showtimes (held and paid together). Leave empty for no cap.",
    )
    booking_fee_per_ticket = forms.DecimalField(
        label="Booking fee per ticket", min_value=0, max_value=10000, decimal_places=2,
        initial=0, required=False, help_text="Added to each ticket's price at checkout.",
    )  # fmt: skip
    booking_fee_per_order = forms.DecimalField(
        label="Booking fee per order", min_value=0, max_value=10000, decimal_places=2,
        initial=0, required=False, help_text="Added once to each order.",
    )  # fmt: skip
    tax_rate = forms.DecimalField(
        label="Tax rate (%)", min_value=0, max_value=100, decimal_places=2, initial=0,
        required=False, help_text="e.g. 23 for 23% VAT; empty or 0 for none.",
    )  # fmt: skip
    prices_include_tax = forms.BooleanField(
        label="Prices include the tax", required=False, initial=True,
        help_text="Untick to add the tax on top of the prices at checkout.",
    )  # fmt: skip
    refund_fees = forms.BooleanField(
        label="Refund booking fees", required=False, initial=True,
        help_text="Customers who cancel get the booking fees back too. Untick to keep them "
        "(a cancelled showtime always refunds everything).",
    )  # fmt: skip
    currency = forms.ChoiceField(
        label="Currency", choices=CURRENCIES, initial=default_currency, required=False,
        help_text="What the prices, fees and payments of this event are in.",
    )  # fmt: skip
    banner = forms.FileField(
        label="Banner image",
        required=False,
        help_text="JPEG, PNG, WebP or GIF; it is resized to at most 1920x1080.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*", "data-preview": "banner-preview"}
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("type") == EventType.MOVIE and not data.get("movie"):
            self.add_error("movie", "Pick the movie this event shows.")
        if data.get("type") and data.get("type") != EventType.MOVIE:
            data["movie"] = None
        for name in ("booking_fee_per_ticket", "booking_fee_per_order", "tax_rate"):
            if data.get(name) is None:
                data[name] = Decimal("0")
        if not data.get("currency"):  # not sent: the event keeps its own (a new one the site's)
            data.pop("currency", None)
        return data


class VenueForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    address = forms.CharField(label="Address", max_length=300, required=False)
    city = forms.CharField(label="City", max_length=100)
    timezone = forms.CharField(
        label="Time zone",
        max_length=64,
        initial="UTC",
        help_text="An IANA name, e.g. Europe/Lisbon.",
    )


class ScreenForm(forms.Form):
    name = forms.CharField(label="Screen name", max_length=100)
    opening_time = forms.TimeField(
        label="Opens",
        initial=time(10),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    closing_time = forms.TimeField(
        label="Closes",
        initial=time(23, 30),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


def _int_list(value: str, field: str) -> list[int]:
    items = [part.strip() for part in (value or "").split(",") if part.strip()]
    try:
        return sorted({int(item) for item in items})
    except ValueError:
        raise forms.ValidationError(
            f"List {field} as numbers separated by commas, e.g. 4, 10."
        ) from None


class LayoutForm(forms.Form):
    """A grid of rows x seats with aisles and categories; the grid editor can refine cells."""

    rows = forms.IntegerField(label="Rows", min_value=1, max_value=MAX_ROWS, initial=10)
    seats_per_row = forms.IntegerField(
        label="Seats per row", min_value=1, max_value=MAX_SEATS_PER_ROW, initial=12
    )
    aisles_after = forms.CharField(
        label="Aisles after seat numbers",
        required=False,
        help_text="Comma-separated, e.g. 3, 9 puts an aisle after seats 3 and 9.",
    )
    default_category = forms.CharField(label="Default category", initial="standard", max_length=32)
    row_categories = forms.CharField(
        label="Row categories",
        required=False,
        help_text="One per line: rows and a category, e.g. “J-K premium” or “A accessible”.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    cells = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_aisles_after(self):
        return _int_list(self.cleaned_data.get("aisles_after"), "aisles")

    def clean_default_category(self):
        value = self.cleaned_data["default_category"].strip().lower()
        category_validator(value)
        return value

    def clean_row_categories(self):
        rules = []
        for line in (self.cleaned_data.get("row_categories") or "").splitlines():
            if not line.strip():
                continue
            match = re.fullmatch(
                r"\s*([A-Za-z])(?:\s*-\s*([A-Za-z]))?\s+([a-z][a-z0-9_-]{0,31})\s*", line
            )
            if not match:
                raise forms.ValidationError(
                    f"“{line.strip()}” is not a rule; write rows then a category, e.g. J-K premium."
                )
            first, last, category = (
                match.group(1).upper(),
                (match.group(2) or match.group(1)).upper(),
                match.group(3),
            )
            rules.append((first, last, category))
        return rules

    def clean_cells(self):
        raw = self.cleaned_data.get("cells")
        if not raw:
            return None
        try:
            grid = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(
                "The grid editor sent a broken layout; reload the page."
            ) from None
        if not isinstance(grid, list) or not all(isinstance(row, list) for row in grid):
            raise forms.ValidationError("The grid editor sent a broken layout; reload the page.")
        for row in grid:
            for cell in row:
                if cell != "aisle":
                    try:
                        category_validator(cell)
                    except forms.ValidationError:
                        raise forms.ValidationError(
                            f"“{cell}” is not a category; use a short lower-case word."
                        ) from None
        return grid

    def grid(self) -> list[list[str]]:
        """Cells per row: a category name or "aisle"."""
        data = self.cleaned_data
        if data.get("cells"):
            return data["cells"]
        names = ROW_NAMES[: data["rows"]]
        grid = []
        for name in names:
            category = data["default_category"]
            for first, last, rule_category in data["row_categories"]:
                if first <= name <= last:
                    category = rule_category
            row = []
            for number in range(1, data["seats_per_row"] + 1):
                row.append(category)
                if number in data["aisles_after"] and number < data["seats_per_row"]:
                    row.append("aisle")
            grid.append(row)
        return grid


def grid_rows(grid: list[list[str]]) -> list[dict]:
    """Turn editor cells into the rows screen_layout_replace takes (aisles become gaps)."""
    rows = []
    for index, cells in enumerate(grid[:MAX_ROWS]):
        seats, number = [], 0
        for cell in cells:
            if cell == "aisle":
                seats.append({"gap": 1})
            else:
                number += 1
                seats.append({"number": number, "category": cell})
        if number:
            rows.append({"name": ROW_NAMES[index], "seats": seats})
    return rows


def layout_grid(seats: list[dict]) -> list[list[str]]:
    """The editor cells of an existing layout (columns without a seat become aisles)."""
    by_row: dict[int, dict[int, str]] = {}
    for seat in seats:
        by_row.setdefault(seat["y"], {})[seat["x"]] = seat["category"]
    grid = []
    for y in sorted(by_row):
        cells = by_row[y]
        grid.append([cells.get(x, "aisle") for x in range(max(cells) + 1)])
    return grid


class ScheduleForm(forms.Form):
    screen = forms.ModelChoiceField(label="Screen", queryset=None)
    mode = forms.ChoiceField(label="Mode", choices=ScheduleRule.Mode.choices, initial="times")
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    weekdays = forms.TypedMultipleChoiceField(
        label="Weekdays",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        help_text="None ticked: every day.",
        widget=forms.CheckboxSelectMultiple,
    )
    start_times = forms.CharField(
        label="Start times",
        required=False,
        help_text="Local times, comma-separated, e.g. 18:00, 21:00 (fixed start times mode).",
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=1,
        max_value=1000,
        required=False,
        help_text="Empty: the movie's runtime.",
    )
    buffer_minutes = forms.IntegerField(
        label="Cleaning buffer (minutes)", min_value=0, max_value=240, initial=20
    )
    seating = forms.ChoiceField(label="Seating", choices=Seating.choices)
    capacity = forms.IntegerField(
        label="Capacity", min_value=1, required=False, help_text="General admission only."
    )
    prices = forms.CharField(
        label="Prices",
        help_text="category=price, comma-separated, e.g. standard=9.50, premium=14.00 "
        "(general admission: general=20.00).",
    )

    def __init__(self, *args, screens=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["screen"].queryset = screens

    def clean_start_times(self):
        values = []
        for part in (self.cleaned_data.get("start_times") or "").split(","):
            part = part.strip()
            if not part:
                continue
            match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", part)
            if not match:
                raise forms.ValidationError(
                    f"“{part}” is not a time; write it as HH:MM, e.g. 18:30."
                )
            values.append(time(int(match.group(1)), int(match.group(2))))
        return values

    def clean_prices(self):
        prices = {}
        for part in self.cleaned_data["prices"].split(","):
            if not part.strip():
                continue
            category, _, amount = part.partition("=")
            category = category.strip().lower()
            try:
                category_validator(category)
                value = Decimal(amount.strip())
            except (forms.ValidationError, InvalidOperation):
                raise forms.ValidationError(
                    f"“{part.strip()}” is not category=price, e.g. standard=9.50."
                ) from None
            if value < 0:
                raise forms.ValidationError("Prices cannot be negative.")
            prices[category] = value
        if not prices:
            raise forms.ValidationError("Give at least one price, e.g. standard=9.50.")
        return prices

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "Pick a date on or after the From date.")
        if (
            data.get("mode") == ScheduleRule.Mode.TIMES
            and not data.get("start_times")
            and "start_times" not in self.errors
        ):
            self.add_error("start_times", "Give at least one start time, e.g. 18:00.")
        if data.get("seating") == Seating.GENERAL and not data.get("capacity"):
            self.add_error("capacity", "General admission needs a capacity, e.g. 300.")
        return data

    def rule_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("screen")
        data["weekdays"] = data.get("weekdays") or []
        if data["seating"] == Seating.RESERVED:
            data["capacity"] = None
        return data


def layout_initial(grid: list[list[str]]) -> dict:
    """The form values that describe an existing layout, so the editor opens on it."""
    if not grid:
        return {}
    widest = max(grid, key=len)
    seats = [cell for cell in widest if cell != "aisle"]
    aisles_after, number = [], 0
    for cell in widest:
        if cell == "aisle":
            if number and number not in aisles_after:
                aisles_after.append(number)
        else:
            number += 1
    categories = [cell for row in grid for cell in row if cell != "aisle"]
    default = max(set(categories), key=categories.count) if categories else "standard"
    row_rules = []
    for index, row in enumerate(grid[:MAX_ROWS]):
        kinds = {cell for cell in row if cell != "aisle"}
        if len(kinds) == 1 and (kind := kinds.pop()) != default:
            row_rules.append(f"{ROW_NAMES[index]} {kind}")
    return {
        "rows": len(grid),
        "seats_per_row": len(seats),
        "aisles_after": ", ".join(str(n) for n in aisles_after),
        "default_category": default,
        "row_categories": "\n".join(row_rules),
    }

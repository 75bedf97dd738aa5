"""Organizer portal pages (organizers and admins only): parse, call one service, render."""

import csv
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.accounts.pages import login_required_page
from apps.accounts.permissions import acting_organizer, is_organizer
from apps.catalog import selectors as catalog_selectors
from apps.catalog import services as catalog
from apps.core.exceptions import ApplicationError
from apps.scheduling import services as scheduling
from apps.scheduling.selectors import generation_job_for

from . import selectors
from .forms import (
    ROW_NAMES,
    EventForm,
    LayoutForm,
    ScheduleForm,
    ScreenForm,
    VenueForm,
    apply_service_error,
    grid_rows,
    layout_grid,
    layout_initial,
)

BOOKINGS_PAGE = 200


def organizer_required(view):
    """Anonymous visitors log in first; customers get the 403 page."""

    @wraps(view)
    @login_required_page
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not is_organizer(request.user):
            raise PermissionDenied("The organizer portal is for organizers.")
        return view(request, *args, **kwargs)

    return wrapper


@organizer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    series = selectors.sales_by_day(request.user)
    return render(
        request,
        "organizer/dashboard.html",
        {
            "sales": selectors.slot_sales(request.user),
            "chart": selectors.sales_chart(series),
            "events": selectors.my_events(request.user)[:10],
        },
    )


# --- events


@organizer_required
def event_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "organizer/event_list.html", {"events": selectors.my_events(request.user)}
    )


def _event_save(request, form: EventForm, event=None):
    """Save the form's event and its banner in one service call: all or nothing."""
    data = dict(form.cleaned_data)
    banner = data.pop("banner", None)
    if banner is False:
        data["banner"] = None  # "clear" ticked
    elif isinstance(banner, UploadedFile):  # else the form hands back the current banner
        data["banner"] = banner
    try:
        if event is None:
            return catalog.event_create(organizer=acting_organizer(request.user), **data)
        return catalog.event_update(event=event, **data)
    except ApplicationError as exc:
        apply_service_error(form, exc)
        return None


@require_http_methods(["GET", "POST"])
@organizer_required
def event_create(request: HttpRequest) -> HttpResponse:
    form = EventForm(request.POST or None, request.FILES or None, initial={"status": "published"})
    if request.method == "POST" and form.is_valid():
        event = _event_save(request, form)
        if event is not None:
            messages.success(request, f"Event “{event.title}” created. Now schedule its showtimes.")
            return redirect("organizer:event-schedule", event_id=event.pk)
    return render(request, "organizer/event_form.html", {"form": form, "event": None})


@require_http_methods(["GET", "POST"])
@organizer_required
def event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.my_event_or_404(request.user, event_id)
    initial = {
        "type": event.type,
        "title": event.title,
        "description": event.description,
        "city": event.city,
        "status": event.status,
        "movie": event.movie,
        "max_tickets_per_customer": event.max_tickets_per_customer,
        "booking_fee_per_ticket": event.booking_fee_per_ticket,
        "booking_fee_per_order": event.booking_fee_per_order,
        "tax_rate": event.tax_rate,
        "prices_include_tax": event.prices_include_tax,
        "currency": event.currency,
        "refund_fees": event.refund_fees,
        "banner": event.banner,
    }
    form = EventForm(request.POST or None, request.FILES or None, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and _event_save(request, form, event) is not None
    ):
        messages.success(request, f"Event “{event.title}” saved.")
        return redirect("organizer:event-list")
    return render(request, "organizer/event_form.html", {"form": form, "event": event})


@require_http_methods(["GET", "POST"])
@organizer_required
def event_schedule(request: HttpRequest, event_id: int) -> HttpResponse:
    """Add a schedule rule and generate its showtimes in the background."""
    event = selectors.my_event_or_404(request.user, event_id)
    screens = selectors.my_screens(request.user)
    form = ScheduleForm(request.POST or None, screens=screens)
    if request.method == "POST" and form.is_valid():
        try:
            job = scheduling.schedule_rule_create(
                event=event, screen=form.cleaned_data["screen"], **form.rule_fields()
            )
        except ApplicationError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("organizer:generation-job", event_id=event.pk, job_id=job.pk)
    context = {"form": form, "event": event, "rules": event.schedule_rules.select_related("screen")}
    return render(request, "organizer/event_schedule.html", context)


@organizer_required
def generation_job(request: HttpRequest, event_id: int, job_id: int) -> HttpResponse:
    job = generation_job_for(request.user, event_id, job_id)
    if job is None:
        raise Http404("No such generation job.")
    done = job.status in ("succeeded", "failed")
    return render(
        request,
        "organizer/generation_job.html",
        {"job": job, "event": job.rule.event, "done": done},
    )


# --- venues, screens and layouts


@require_http_methods(["GET", "POST"])
@organizer_required
def venue_list(request: HttpRequest) -> HttpResponse:
    form = VenueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            venue = catalog.venue_create(
                organizer=acting_organizer(request.user), **form.cleaned_data
            )
        except ApplicationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"Venue “{venue.name}” created. Add its screens.")
            return redirect("organizer:venue-detail", venue_id=venue.pk)
    context = {"form": form, "venues": selectors.my_venues(request.user)}
    return render(request, "organizer/venue_list.html", context)


@require_http_methods(["GET", "POST"])
@organizer_required
def venue_detail(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = catalog_selectors.venue_editable(request.user).filter(pk=venue_id).first()
    if venue is None:
        raise Http404("No such venue of yours.")
    form = ScreenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            screen = catalog.screen_create(venue=venue, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"Screen “{screen.name}” added. Draw its seat layout.")
            return redirect("organizer:screen-layout", screen_id=screen.pk)
    screens = selectors.my_screens(request.user).filter(venue=venue)
    context = {"form": form, "venue": venue, "screens": screens}
    return render(request, "organizer/venue_detail.html", context)


@require_http_methods(["GET", "POST"])
@organizer_required
def screen_layout(request: HttpRequest, screen_id: int) -> HttpResponse:
    """The seat-layout editor: rows x seats, aisles and categories; preview, then save."""
    screen = selectors.my_screens(request.user).filter(pk=screen_id).first()
    if screen is None:
        raise Http404("No such screen of yours.")
    grid = layout_grid(catalog_selectors.screen_seats(screen))
    form = LayoutForm(request.POST or None, initial=layout_initial(grid))
    if request.method == "POST" and form.is_valid():
        grid = form.grid()
        if request.POST.get("action") == "save":
            try:
                catalog.screen_layout_replace(screen=screen, rows=grid_rows(grid))
            except ApplicationError as exc:
                apply_service_error(form, exc)
            else:
                count = sum(cell != "aisle" for row in grid for cell in row)
                messages.success(request, f"Layout of “{screen.name}” saved: {count} seats.")
                return redirect("organizer:screen-layout", screen_id=screen.pk)
    context = {
        "form": form,
        "screen": screen,
        "grid": [{"name": ROW_NAMES[i], "cells": cells} for i, cells in enumerate(grid)],
        "columns": max((len(row) for row in grid), default=0),
        "categories": sorted({c for row in grid for c in row if c != "aisle"}) or ["standard"],
    }
    return render(request, "organizer/screen_layout.html", context)


# --- bookings per showtime


@organizer_required
def slot_bookings(request: HttpRequest, slot_id: int) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    slot, bookings = selectors.slot_bookings(request.user, slot_id, search)
    if slot is None:
        raise Http404("No such showtime of yours.")
    if request.GET.get("format") == "csv":
        return _bookings_csv(slot, bookings)
    context = {
        "slot": slot,
        "bookings": bookings[:BOOKINGS_PAGE],
        "q": search,
        "count": bookings.count(),
    }
    return render(request, "organizer/slot_bookings.html", context)


def _bookings_csv(slot, bookings) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="showtime-{slot.pk}-bookings.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "reference",
            "status",
            "email",
            "name",
            "quantity",
            "seats",
            "total",
            "booked_at",
            "discount",
            "promo_code",
            "fees",
            "tax",
            "tickets",
        ]
    )
    for booking in bookings:
        live = [
            t
            for t in booking.tickets.all()
            if t.status != "cancelled" or booking.status == "cancelled"
        ]
        seats = " ".join(t.seat.label for t in live if t.seat_id)
        writer.writerow(
            [
                booking.reference,
                booking.status,
                "" if booking.user.erased else booking.user.email,
                "(deleted account)" if booking.user.erased else _csv_safe(booking.user.full_name),
                booking.quantity,
                seats,
                booking.total,
                booking.created_at.isoformat(),
                booking.discount,
                booking.promo_code.code if booking.promo_code else "",
                (booking.breakdown or {}).get("fees", "0.00"),
                (booking.breakdown or {}).get("tax", "0.00"),
                _csv_safe("; ".join(f"{t.label}: {t.price}" for t in live)),
            ]
        )
    return response


def _csv_safe(value: str) -> str:
    """Keep spreadsheet apps from running a customer's name as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value

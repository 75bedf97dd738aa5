"""Changing bookings from the portal: cancel some tickets of a booking, move a booking (or
every booking of a showtime) to another showtime of the same event.

`/organizer/slots/<slot>/bookings/<booking>/` shows one booking's tickets with what was
paid for each: tick some to cancel and refund them (`bookings.booking_tickets_cancel`),
or pick another showtime to move the booking to (`bookings.booking_move`).
`/organizer/slots/<id>/move/` picks the target showtime, shows what the move needs and
what the target has free per seat category, and starts a move job
(`operations.moves.slot_move`); `/organizer/moves/<job>/` follows it (refreshing while
it runs), lists the bookings that could not move and why, and runs it again.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apps.bookings import services as bookings
from apps.bookings.models import Booking
from apps.core.exceptions import ApplicationError
from apps.operations import moves
from apps.operations import selectors as operations
from apps.scheduling.models import SlotStatus
from apps.scheduling.selectors import slot_editable

from .views import organizer_required

REFUND_HELP = (
    "When the new showtime is cheaper, give each customer the difference back. Untick to "
    "keep the price they paid. A dearer showtime never costs them more."
)


class MoveForm(forms.Form):
    to = forms.TypedChoiceField(label="Move to", coerce=int)
    refund_difference = forms.BooleanField(
        label="Refund the difference", required=False, initial=True, help_text=REFUND_HELP
    )

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(slot.pk, _label(slot)) for slot in targets]


def _label(slot) -> str:
    """A showtime as the organizer reads it: the venue's local time, where."""
    local = timezone.localtime(slot.starts_at, slot.screen.venue.tzinfo)
    return f"{local:%a %d %b %Y, %H:%M} · {slot.screen.venue.name}, {slot.screen.name}"


def _slot_of(request: HttpRequest, slot_id: int):
    slot = (
        slot_editable(request.user)
        .select_related("event", "screen__venue")
        .filter(pk=slot_id)
        .first()
    )
    if slot is None:
        raise Http404("No such showtime of yours.")
    return slot


def _targets(request: HttpRequest, slot):
    """The showtimes a booking of `slot` may move to: the same event's, to come, not
    cancelled, of the same seating."""
    return (
        slot_editable(request.user)
        .filter(event_id=slot.event_id, seating=slot.seating, starts_at__gt=timezone.now())
        .exclude(pk=slot.pk)
        .exclude(status=SlotStatus.CANCELLED)
        .select_related("screen__venue")
        .order_by("starts_at", "pk")
    )


@require_http_methods(["GET", "POST"])
@organizer_required
def booking_manage(request: HttpRequest, slot_id: int, booking_id: int) -> HttpResponse:
    slot = _slot_of(request, slot_id)
    booking = (
        Booking.objects.select_related("user")
        .filter(pk=booking_id, slot=slot)
        .prefetch_related("tickets__seat", "tickets__holder")
        .first()
    )
    if booking is None:
        raise Http404("No such booking of this showtime.")
    targets = _targets(request, slot)
    move_form = MoveForm(
        request.POST if request.POST.get("action") == "move" else None, targets=targets
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "move":
                if move_form.is_valid():
                    moved = bookings.booking_move(
                        booking_id=booking.pk,
                        to_slot_id=move_form.cleaned_data["to"],
                        by=request.user,
                        refund_difference=move_form.cleaned_data["refund_difference"],
                        from_slot_id=slot.pk,
                    )
                    refunded = moved.move.refunded
                    messages.success(
                        request,
                        f"Booking {booking.reference} moved"
                        f"{' to the same seats' if moved.move.same_seats else ''}; the customer "
                        f"is emailed the new tickets"
                        f"{f' and {refunded} is refunded' if refunded else ''}.",
                    )
                    return redirect("organizer:booking-manage", moved.move.to_slot_id, booking.pk)
            else:
                numbers = sorted({int(n) for n in request.POST.getlist("tickets") if n.isdigit()})
                if not numbers:
                    messages.error(request, "Tick at least one ticket to cancel.")
                    return redirect("organizer:booking-manage", slot.pk, booking.pk)
                result = bookings.booking_tickets_cancel(
                    booking_id=booking.pk, numbers=numbers, by_organizer=True, by=request.user
                )
                messages.success(
                    request,
                    f"{len(result.numbers)} ticket{pluralize(len(result.numbers))} cancelled; "
                    f"{result.amount} will be refunded to the customer.",
                )
                return redirect("organizer:booking-manage", slot.pk, booking.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("organizer:booking-manage", slot.pk, booking.pk)
    context = {
        "slot": slot,
        "booking": booking,
        "tickets": booking.tickets.all(),
        "move_form": move_form,
        "editable": booking.status == Booking.Status.CONFIRMED and slot.starts_at > timezone.now(),
    }
    return render(request, "organizer/booking_manage.html", context)


@require_http_methods(["GET", "POST"])
@organizer_required
def slot_move(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = _slot_of(request, slot_id)
    running = slot.move_jobs.filter(status="running").first()
    if running is not None:
        return redirect("organizer:move-job", running.pk)
    targets = _targets(request, slot)
    data = (
        request.POST if request.method == "POST" else (request.GET if "to" in request.GET else None)
    )
    form = MoveForm(data, targets=targets)
    preview = None
    if data is not None and form.is_valid():
        target = targets.filter(pk=form.cleaned_data["to"]).first()
        try:
            if request.method == "POST":
                job = moves.slot_move(
                    slot=slot,
                    to_slot=target,
                    by=request.user,
                    refund_difference=form.cleaned_data["refund_difference"],
                )
                return redirect("organizer:move-job", job.pk)
            preview = operations.move_preview(
                slot, moves.move_target_check(slot=slot, to_slot=target)
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    context = {
        "slot": slot,
        "form": form,
        "preview": preview,
        "short": preview
        and any(preview["free"].get(c, 0) < n for c, n in preview["needed"].items()),
        "jobs": slot.move_jobs.select_related("to_slot").order_by("-id")[:5],
    }
    return render(request, "organizer/slot_move.html", context)


def _move_job_of(request: HttpRequest, job_id: int):
    job = (
        operations.move_jobs_of(request.user)
        .select_related("slot__event", "slot__screen__venue", "to_slot__screen__venue")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        raise Http404("No such move of yours.")
    return job


@organizer_required
def move_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _move_job_of(request, job_id)
    context = {
        "job": job,
        "slot": job.slot,
        "progress": operations.move_job_progress(job),
        "failed": operations.move_failures(job),
        "running": job.status == job.Status.RUNNING,
    }
    return render(request, "organizer/move_job.html", context)


@require_POST
@organizer_required
def move_job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    moves.move_job_retry(job=_move_job_of(request, job_id))
    messages.info(request, "The bookings that could not move are being tried again.")
    return redirect("organizer:move-job", job_id)

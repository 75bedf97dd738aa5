"""Reads of organizer operations: what cancelling a showtime would do, and a job's progress."""

from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from apps.accounts.permissions import acting_organizer, is_admin
from apps.bookings.models import Booking, Payment, Ticket
from apps.bookings.selectors import live_claims, slot_available
from apps.catalog.models import Seat
from apps.scheduling.models import GENERAL_CATEGORY, Seating, Slot
from apps.waitlist.models import WaitlistEntry

from .models import Job, MoveItem, MoveJob


def cancel_preview(slot: Slot) -> dict:
    """What cancelling `slot` will do: the bookings and tickets it cancels, the money it
    refunds, the people on its waitlist it tells."""
    confirmed = Booking.objects.filter(slot=slot, status=Booking.Status.CONFIRMED)
    counts = confirmed.aggregate(bookings=Count("pk"), customers=Count("user", distinct=True))
    refund = Payment.objects.filter(
        booking__in=confirmed, status=Payment.Status.SUCCEEDED
    ).aggregate(total=Sum("amount"))["total"]
    return {
        "slot": slot.pk,
        "bookings": counts["bookings"],
        "customers": counts["customers"],
        "tickets": Ticket.objects.filter(booking__in=confirmed).count(),
        "refund_total": refund or Decimal("0.00"),
        "waiting": WaitlistEntry.objects.filter(slot=slot, status__in=WaitlistEntry.LIVE).count(),
    }


def event_cancel_preview(event) -> dict:
    """`cancel_preview` summed over the event's showtimes still to come, and each."""
    slots = (
        Slot.objects.filter(event=event, starts_at__gt=timezone.now())
        .select_related("screen__venue")
        .order_by("starts_at", "pk")
    )
    showtimes = [
        cancel_preview(slot) | {"starts_at": slot.starts_at, "zone": slot.screen.venue.timezone}
        for slot in slots
    ]
    totals = {
        key: sum((p[key] for p in showtimes), Decimal("0.00") if key == "refund_total" else 0)
        for key in ("bookings", "customers", "tickets", "refund_total", "waiting")
    }
    return {"event": event.pk, **totals, "showtimes": showtimes}


def job_progress(job: Job) -> dict:
    """Done / total bookings, refunds the providers refused, and the job's state."""
    items = job.items.aggregate(
        taken=Count("pk"),
        done=Count("pk", filter=Q(notified_at__isnull=False)),
        failed=Count("pk", filter=~Q(refund_error="")),
        untold=Count("pk", filter=Q(notified_at__isnull=True)),
    )
    remaining = Booking.objects.filter(slot_id=job.slot_id, status=Booking.Status.CONFIRMED)
    return {
        "id": job.pk,
        "slot": job.slot_id,
        "reason": job.reason,
        "status": job.status,
        "done": items["done"],
        "total": items["taken"] + remaining.count(),
        "failed_refunds": items["failed"],
        "failed_emails": items["untold"] if job.status != Job.Status.RUNNING else 0,
        "waitlist_closed": job.waitlist_closed,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def failed_refunds(job: Job) -> QuerySet:
    """The job's bookings whose refund a provider refused, with why."""
    return job.items.exclude(refund_error="").select_related("booking__user").order_by("pk")


def jobs_of(user) -> QuerySet[Job]:
    """The jobs `user` may see: its organizer's (a manager's too), every one for admins."""
    if is_admin(user):
        return Job.objects.all()
    organizer = acting_organizer(user)
    return Job.objects.filter(organizer=organizer) if organizer else Job.objects.none()


def move_preview(slot: Slot, to_slot: Slot) -> dict:
    """What moving every booking of `slot` to `to_slot` needs, and what the target has
    free, per seat category (general admission: `general`)."""
    confirmed = Booking.objects.filter(slot=slot, status=Booking.Status.CONFIRMED)
    live = Ticket.objects.filter(booking__in=confirmed).exclude(status=Ticket.Status.CANCELLED)
    if slot.seating == Seating.RESERVED:
        needed = dict(
            live.values("seat__category").annotate(n=Count("pk")).values_list("seat__category", "n")
        )
        taken = live_claims().filter(slot_id=to_slot.pk).values("seat_id")
        free = dict(
            Seat.objects.filter(screen_id=to_slot.screen_id)
            .exclude(pk__in=taken)
            .values("category")
            .annotate(n=Count("pk"))
            .values_list("category", "n")
        )
    else:
        needed = {GENERAL_CATEGORY: live.count()}
        free = {GENERAL_CATEGORY: slot_available(to_slot.pk)}
    return {
        "slot": slot.pk,
        "to_slot": to_slot.pk,
        "bookings": confirmed.count(),
        "tickets": sum(needed.values()),
        "needed": needed,
        "free": {category: free.get(category, 0) for category in sorted(set(free) | set(needed))},
    }


def move_pending(job: MoveJob) -> QuerySet[Booking]:
    """Bookings still on the job's old showtime that it has not given up on."""
    given_up = MoveItem.objects.filter(job=job, booking=OuterRef("pk"), moved_at__isnull=True)
    return (
        Booking.objects.filter(slot_id=job.slot_id, status=Booking.Status.CONFIRMED)
        .exclude(Exists(given_up.exclude(error="")))
        .order_by("pk")
    )


def move_jobs_of(user) -> QuerySet[MoveJob]:
    """The move jobs `user` may see (as `jobs_of`)."""
    if is_admin(user):
        return MoveJob.objects.all()
    organizer = acting_organizer(user)
    return MoveJob.objects.filter(organizer=organizer) if organizer else MoveJob.objects.none()


def move_job_progress(job: MoveJob) -> dict:
    """Moved / total bookings, those that could not move, and the job's state."""
    items = job.items.aggregate(
        moved=Count("pk", filter=Q(moved_at__isnull=False)),
        failed=Count("pk", filter=Q(moved_at__isnull=True) & ~Q(error="")),
        taken=Count("pk"),
    )
    left = (
        move_pending(job)
        .exclude(Exists(MoveItem.objects.filter(job=job, booking=OuterRef("pk"))))
        .count()
    )
    return {
        "id": job.pk,
        "slot": job.slot_id,
        "to_slot": job.to_slot_id,
        "refund_difference": job.refund_difference,
        "status": job.status,
        "done": items["moved"],
        "failed": items["failed"],
        "total": items["taken"] + left,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def move_failures(job: MoveJob):
    """The bookings the job could not move, with why."""
    return (
        job.items.filter(moved_at__isnull=True)
        .exclude(error="")
        .select_related("booking__user")
        .order_by("pk")
    )

"""Reads of organizer operations: what cancelling a showtime would do, and a job's progress."""

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from apps.accounts.permissions import acting_organizer, is_admin
from apps.bookings.models import Booking, Payment, Ticket
from apps.scheduling.models import Slot
from apps.waitlist.models import WaitlistEntry

from .models import Job


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

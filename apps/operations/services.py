"""Cancelling a showtime: stop the sale at once, then a job cancels, refunds and tells.

`slot_cancel` (the API, the portal) cancels the showtime through the scheduling
service, so no hold or payment of it succeeds from then on, and starts the job.
`job_run` (Celery, `tasks.run_job`) does the rest, one booking at a time, each in its
own transactions:

1. record that the job takes the booking (`JobBooking`), then cancel it through
   `bookings.services.booking_cancel` (seats free, tickets cancelled, payments marked
   for refund);
2. refund each of its payments through its provider (`payment_refund`, which never
   refunds a payment twice); a refusal is kept on the item for the organizer;
3. email the customer (reason, refund), then mark the item told.

A job that ends with a refund refused or an email not sent is `failed`: the
organizer sees which, and a retry redoes only those.

Then the showtime's waitlist is closed and everyone waiting is told. Running a job
again (a retry, a redelivered task, the periodic resume) redoes only what is missing:
bookings still confirmed, refunds still pending, customers not yet told. A lease on
the job keeps two runs from working at once; a run that dies (a killed worker) lets
its lease lapse and the next run takes over. A customer told just before a worker
died, and not yet marked, is told again: a second email rather than none.
"""

import contextlib
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from apps.accounts.models import User
from apps.bookings import errors as booking_errors
from apps.bookings import services as bookings
from apps.bookings.models import Booking, Payment
from apps.catalog.models import Event, EventStatus
from apps.catalog.services import event_update
from apps.core.mail import send_templated
from apps.scheduling import errors as scheduling_errors
from apps.scheduling.models import Slot, SlotStatus
from apps.scheduling.services import slot_update
from apps.waitlist.services import waitlist_close

from . import errors
from .leases import lapsed, lease
from .models import Job, JobBooking, MoveJob

logger = logging.getLogger(__name__)


BATCH = 100


def slot_cancel(*, slot: Slot, reason: str, by: User) -> Job:
    """Cancel the showtime now and start its job; the same job if it was started before."""
    job = Job.objects.filter(slot=slot).first()
    if job is not None:
        return job
    if slot.status != SlotStatus.CANCELLED:
        try:
            slot_update(slot=slot, status=SlotStatus.CANCELLED)
        except scheduling_errors.SlotStarted as exc:
            raise errors.SlotNotCancellable() from exc
    try:
        with transaction.atomic(durable=True):
            job = Job.objects.create(
                organizer_id=slot.event.organizer_id, slot=slot, reason=reason, created_by=by
            )
            transaction.on_commit(lambda: _queue(job.pk), robust=True)
    except IntegrityError:  # started by someone else at the same moment
        job = Job.objects.get(slot=slot)
    return job


def event_cancel(*, event: Event, reason: str, by: User) -> list[Job]:
    """Cancel a whole event: it stops selling at once (its status), then every showtime
    still to come is cancelled with its own job. Asking again returns the same jobs."""
    if event.status != EventStatus.CANCELLED:
        event_update(event=event, status=EventStatus.CANCELLED)
    jobs = []
    for slot in Slot.objects.filter(event=event, starts_at__gt=timezone.now()).order_by(
        "starts_at", "pk"
    ):
        with contextlib.suppress(errors.SlotNotCancellable):  # it started meanwhile
            jobs.append(slot_cancel(slot=slot, reason=reason, by=by))
    return jobs


def job_retry(*, job: Job) -> Job:
    """Run a job again: refunds that were refused are asked again, nothing is done twice."""
    with transaction.atomic(durable=True):
        Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, finished_at=None)
        transaction.on_commit(lambda: _queue(job.pk), robust=True)
    job.refresh_from_db()
    return job


def _queue(job_id: int) -> None:
    from .tasks import run_job

    run_job.delay(job_id)


def job_run(*, job_id: int) -> Job | None:
    """Do what the job has left to do; None if another run holds it (or it is finished)."""
    with transaction.atomic(durable=True):
        if not lease(Job, job_id, first=True):
            return None
    job = Job.objects.select_related("slot__event", "slot__screen__venue").get(pk=job_id)
    while True:
        ids = list(
            Booking.objects.filter(slot_id=job.slot_id, status=Booking.Status.CONFIRMED)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        for booking_id in ids:
            _settle(job, _take(job, booking_id))  # one booking done before the next
        lease(Job, job_id)
    # What an earlier run left: refunds refused, customers not told.
    pending = job.items.filter(Q(notified_at__isnull=True) | ~Q(refund_error="")).order_by("pk")
    for number, item in enumerate(pending.select_related("booking__user"), 1):
        _settle(job, item)
        if number % BATCH == 0:
            lease(Job, job_id)
    closed = waitlist_close(slot_id=job.slot_id)
    with transaction.atomic(durable=True):
        failed = job.items.filter(Q(notified_at__isnull=True) | ~Q(refund_error="")).exists()
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED if failed else Job.Status.DONE,
            finished_at=timezone.now(),
            lease_until=None,
            waitlist_closed=job.waitlist_closed + len(closed),
        )
    job.refresh_from_db()
    return job


def _take(job: Job, booking_id: int) -> JobBooking:
    """Record that the job takes this booking, then cancel it (the record comes first, so
    a run that dies in between still refunds and tells it next time)."""
    # IntegrityError: another run recorded it at the same moment.
    with contextlib.suppress(IntegrityError), transaction.atomic(durable=True):
        JobBooking.objects.get_or_create(job=job, booking_id=booking_id)
    # Cancelled meanwhile (by its customer, or another run): refunded all the same.
    with contextlib.suppress(booking_errors.AlreadyCancelled):
        bookings.booking_cancel(booking_id=booking_id, by_organizer=True, by=job.created_by)
    return JobBooking.objects.select_related("booking__user").get(booking_id=booking_id)


def _settle(job: Job, item: JobBooking) -> None:
    """Refund what is still to refund, then tell the customer once."""
    error = ""
    for payment_id in Payment.objects.filter(
        booking_id=item.booking_id, status=Payment.Status.REFUND_PENDING
    ).values_list("pk", flat=True):
        try:
            bookings.payment_refund(payment_id=payment_id)
        except Exception as exc:  # the provider refused or failed: listed, retried later
            logger.warning("Refund failed", extra={"payment": payment_id}, exc_info=True)
            error = f"{type(exc).__name__}: {exc}"[:200]
    JobBooking.objects.filter(pk=item.pk).update(refund_error=error)
    if item.notified_at is None:
        # "Refunded" only once the provider said so; a refund another worker is still
        # running (the booking's own refund task) is "on its way".
        refunded = not item.booking.payments.filter(status=Payment.Status.REFUND_PENDING).exists()
        try:
            _tell(job, item.booking, refunded=refunded)
        except Exception:  # the mail server: this customer is told on the next run
            logger.warning(
                "Cancellation email failed", extra={"booking": item.booking_id}, exc_info=True
            )
            return
        JobBooking.objects.filter(pk=item.pk).update(notified_at=timezone.now())


def _tell(job: Job, booking: Booking, *, refunded: bool) -> None:
    slot = job.slot
    venue = slot.screen.venue
    amount = booking.payments.filter(
        status__in=[Payment.Status.REFUNDED, Payment.Status.REFUND_PENDING]
    ).aggregate(total=Sum(F("amount") - F("refunded_in_part")))["total"] or Decimal("0.00")
    send_templated(
        "operations/email/showtime_cancelled",
        {
            "name": booking.user.full_name or booking.user.email,
            "booking": booking,
            "event": slot.event,
            "venue": venue,
            "starts": slot.starts_at,
            "zone": venue.timezone,
            "reason": job.reason,
            "amount": amount,
            "refunded": refunded,
        },
        to=[booking.user.email],
        tz=venue.tzinfo,
    )


def jobs_resume() -> int:
    """The safety net (beat): run again every running job whose run died (lease lapsed),
    cancellations and moves."""
    from .moves import queue_move_job

    ids = lapsed(Job)
    for job_id in ids:
        _queue(job_id)
    moves = lapsed(MoveJob)
    for job_id in moves:
        queue_move_job(job_id)
    return len(ids) + len(moves)

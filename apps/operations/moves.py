"""Moving a showtime's bookings to another showtime of the same event (a concert put back
a week, a screening moved to another day).

`slot_move` (the API, the portal) checks the target and starts a `MoveJob`; `move_job_run`
(Celery, `tasks.run_move_job`) moves the showtime's confirmed bookings one at a time
through `bookings.services.booking_move`, each all or nothing in its own transaction
(new seats claimed against buyers, new tickets and QR texts, the customer emailed, a
cheaper showtime's difference refunded if the organizer chose so). A booking that cannot
move (no room left of its category, a ticket already used) is left exactly as it was and
listed with why; the organizer can run the job again once there is room. A lease keeps
two runs apart and a dead run's lease lapses, as for cancellations (`leases`).

The old showtime keeps selling: an organizer who wants it closed cancels it once its
bookings have moved (nothing is left to refund by then).
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.bookings import errors as booking_errors
from apps.bookings import services as bookings
from apps.core.exceptions import ApplicationError
from apps.scheduling.models import Slot

from . import selectors
from .leases import lease
from .models import MoveItem, MoveJob

logger = logging.getLogger(__name__)

BATCH = 100


def move_target_check(*, slot: Slot, to_slot: Slot | None) -> Slot:
    """The checks `booking_move` makes of the two showtimes, made up front so the
    organizer hears at once that a target cannot take any booking."""
    bookings.move_slots_check(slot, to_slot, timezone.now())
    return to_slot


def slot_move(*, slot: Slot, to_slot: Slot | None, by: User, refund_difference: bool) -> MoveJob:
    """Start moving every confirmed booking of `slot` to `to_slot`; the running job if
    one is moving this showtime already."""
    running = MoveJob.objects.filter(slot=slot, status=MoveJob.Status.RUNNING).first()
    if running is not None:
        return running
    move_target_check(slot=slot, to_slot=to_slot)
    try:
        with transaction.atomic(durable=True):
            job = MoveJob.objects.create(
                organizer_id=slot.event.organizer_id,
                slot=slot,
                to_slot=to_slot,
                refund_difference=refund_difference,
                created_by=by,
            )
            transaction.on_commit(lambda: queue_move_job(job.pk), robust=True)
    except IntegrityError:  # started by someone else at the same moment
        job = MoveJob.objects.get(slot=slot, status=MoveJob.Status.RUNNING)
    return job


def move_job_retry(*, job: MoveJob) -> MoveJob:
    """Try the bookings that could not move again (there may be room now)."""
    with transaction.atomic(durable=True):
        if MoveJob.objects.filter(slot_id=job.slot_id, status=MoveJob.Status.RUNNING).exists():
            return job
        job.items.filter(moved_at__isnull=True).exclude(error="").update(error="")
        MoveJob.objects.filter(pk=job.pk).update(status=MoveJob.Status.RUNNING, finished_at=None)
        transaction.on_commit(lambda: queue_move_job(job.pk), robust=True)
    job.refresh_from_db()
    return job


def queue_move_job(job_id: int) -> None:
    from .tasks import run_move_job

    run_move_job.delay(job_id)


def move_job_run(*, job_id: int) -> MoveJob | None:
    """Move what the job has left to move; None if another run holds it."""
    with transaction.atomic(durable=True):
        if not lease(MoveJob, job_id, first=True):
            return None
    job = MoveJob.objects.get(pk=job_id)
    while True:
        ids = list(selectors.move_pending(job).values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        for booking_id in ids:
            _move_one(job, booking_id)
        lease(MoveJob, job_id)
    with transaction.atomic(durable=True):
        failed = job.items.filter(moved_at__isnull=True).exclude(error="").exists()
        MoveJob.objects.filter(pk=job_id).update(
            status=MoveJob.Status.FAILED if failed else MoveJob.Status.DONE,
            finished_at=timezone.now(),
            lease_until=None,
        )
    job.refresh_from_db()
    return job


def _move_one(job: MoveJob, booking_id: int) -> None:
    with transaction.atomic(durable=True):
        item, _ = MoveItem.objects.get_or_create(job=job, booking_id=booking_id)
    try:
        bookings.booking_move(
            booking_id=booking_id,
            to_slot_id=job.to_slot_id,
            by=job.created_by,
            refund_difference=job.refund_difference,
            from_slot_id=job.slot_id,
        )
    except booking_errors.AlreadyCancelled:
        MoveItem.objects.filter(pk=item.pk).delete()  # its customer cancelled meanwhile
    except ApplicationError as exc:
        MoveItem.objects.filter(pk=item.pk).update(error=f"{exc.code}: {exc.message}"[:200])
    except Exception as exc:  # the database, a bug: listed, and tried again on a retry
        logger.exception("Booking move failed", extra={"booking": booking_id})
        MoveItem.objects.filter(pk=item.pk).update(error=f"{type(exc).__name__}: {exc}"[:200])
    else:
        MoveItem.objects.filter(pk=item.pk).update(moved_at=timezone.now(), error="")

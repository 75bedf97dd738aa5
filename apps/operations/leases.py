"""A job's lease: the run at work holds it and renews it as it goes; a run that dies (a
killed worker) lets it lapse after VENUE_JOB_LEASE_SECONDS, and the next run takes over.
Shared by the cancellation and move jobs (any model with `status` and `lease_until`)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone


def lease_length() -> timedelta:
    return timedelta(seconds=settings.VENUE_JOB_LEASE_SECONDS)


def lease(model, job_id: int, *, first: bool = False) -> bool:
    """Take (`first`) or renew the job's lease; False if another run holds it."""
    now = timezone.now()
    owned = model.objects.filter(pk=job_id, status=model.Status.RUNNING)
    if first:
        owned = owned.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    return bool(owned.update(lease_until=now + lease_length()))


def lapsed(model) -> list[int]:
    """Running jobs whose run died: their lease lapsed (or was never taken)."""
    now = timezone.now()
    stale = model.objects.filter(status=model.Status.RUNNING).filter(
        Q(lease_until__isnull=True, created_at__lt=now - lease_length()) | Q(lease_until__lt=now)
    )
    return list(stale.values_list("pk", flat=True))

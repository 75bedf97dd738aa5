"""Organizer operations that take a while: a job per cancelled showtime.

A `Job` is started by the organizer and run by Celery (`tasks.run_job`); its progress
is what its `JobBooking` rows say, one per booking it cancelled, so the figures stay
true when a worker dies half way and the job is run again.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.bookings.models import Booking
from apps.scheduling.models import Slot


class JobStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed: some refunds were refused or emails not sent"


class Job(models.Model):
    """Cancelling one showtime: stop the sale, cancel and refund every booking, tell
    every customer and everyone waiting."""

    Status = JobStatus

    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="operation_jobs"
    )
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="cancel_jobs")
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The run at work holds this; when it passes, another run may take over.
    lease_until = models.DateTimeField(null=True, blank=True)
    waitlist_closed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One cancellation per showtime: starting it again returns the same job.
            models.UniqueConstraint(fields=["slot"], name="operations_one_cancel_job_per_slot"),
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="operations_job_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"cancel showtime {self.slot_id} ({self.status})"


class JobBooking(models.Model):
    """One booking a job cancelled: whether its refund went through, whether its
    customer was told."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="cancel_item")
    refund_error = models.CharField(max_length=200, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"booking {self.booking_id} of job {self.job_id}"


class MoveJob(models.Model):
    """Moving every booking of one showtime to another of the same event, one booking at
    a time (`bookings.services.booking_move`, all or nothing each)."""

    Status = JobStatus

    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="move_jobs"
    )
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="move_jobs")
    to_slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="+")
    # Refund what a cheaper showtime saves (else the customer keeps paying the old price).
    refund_difference = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Asking again while one runs returns it: two runs never race over one showtime.
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status="running"),
                name="operations_one_running_move_per_slot",
            ),
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="operations_move_job_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"move showtime {self.slot_id} to {self.to_slot_id} ({self.status})"


class MoveItem(models.Model):
    """One booking a move job took: moved, or why it could not be (left untouched)."""

    job = models.ForeignKey(MoveJob, on_delete=models.CASCADE, related_name="items")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="move_items")
    moved_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "booking"], name="operations_move_item_once"),
        ]

    def __str__(self) -> str:
        return f"booking {self.booking_id} of move job {self.job_id}"

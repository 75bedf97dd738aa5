"""Cancelling a showtime from the portal: see what it will do, confirm, watch the job.

`/organizer/slots/<id>/cancel/` shows the preview (bookings, tickets, money to
refund, people waiting) and asks for the reason; posting it calls
`operations.services.slot_cancel` and leads to `/organizer/cancellations/<job id>/`,
which refreshes itself while the job runs and lists refunds a provider refused,
with a button that runs the job again. `/organizer/events/<id>/cancel/` does the
same for every showtime of an event still to come, and then lists their jobs.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.exceptions import ApplicationError
from apps.operations import selectors as operations
from apps.operations import services
from apps.operations.models import Job
from apps.scheduling.selectors import slot_editable

from .selectors import my_event_or_404
from .views import organizer_required


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "aria-describedby": "reason-help"}),
        help_text="Every customer reads this in their email, e.g. “The projector failed.”",
    )


@require_http_methods(["GET", "POST"])
@organizer_required
def slot_cancel(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = slot_editable(request.user).select_related("screen__venue").filter(pk=slot_id).first()
    if slot is None:
        raise Http404("No such showtime of yours.")
    job = slot.cancel_jobs.first()
    if job is not None:
        return redirect("organizer:cancel-job", job.pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.slot_cancel(
                slot=slot, reason=form.cleaned_data["reason"], by=request.user
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("organizer:cancel-job", job.pk)
    context = {"slot": slot, "preview": operations.cancel_preview(slot), "form": form}
    return render(request, "organizer/slot_cancel.html", context)


def _job_of(request: HttpRequest, job_id: int):
    job = operations.jobs_of(request.user).select_related("slot__event", "slot__screen__venue")
    job = job.filter(pk=job_id).first()
    if job is None:
        raise Http404("No such cancellation of yours.")
    return job


@organizer_required
def cancel_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_of(request, job_id)
    context = {
        "job": job,
        "slot": job.slot,
        "progress": operations.job_progress(job),
        "failed": operations.failed_refunds(job),
        "running": job.status == job.Status.RUNNING,
    }
    return render(request, "organizer/cancel_job.html", context)


@require_POST
@organizer_required
def cancel_job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    services.job_retry(job=_job_of(request, job_id))
    messages.info(request, "The refused refunds and unsent emails are being tried again.")
    return redirect("organizer:cancel-job", job_id)


@require_http_methods(["GET", "POST"])
@organizer_required
def event_cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    event = my_event_or_404(request.user, event_id)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_cancel(event=event, reason=form.cleaned_data["reason"], by=request.user)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("organizer:event-cancel", event.pk)
    jobs = Job.objects.filter(slot__event=event).select_related("slot__screen__venue")
    jobs = [(job, operations.job_progress(job)) for job in jobs.order_by("slot__starts_at")]
    context = {
        "event": event,
        "form": form,
        "jobs": jobs,
        "running": any(progress["status"] == "running" for _, progress in jobs),
        "preview": None if event.status == "cancelled" else operations.event_cancel_preview(event),
    }
    return render(request, "organizer/event_cancel.html", context)

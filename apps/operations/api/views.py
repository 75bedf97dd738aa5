"""Organizer operations (docs/api.md "Organizer operations"): cancel a showtime, follow the job."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import IsOrganizer
from apps.catalog.selectors import event_editable
from apps.operations import errors, selectors, services
from apps.scheduling.selectors import slot_editable

from . import serializers as s

NOT_YOURS = OpenApiResponse(description="not a showtime (or job) of yours")


def _slot(request, slot_id: int):
    slot = slot_editable(request.user).filter(pk=slot_id).first()
    if slot is None:
        raise errors.SlotNotFound()
    return slot


def _job(request, job_id: int):
    job = selectors.jobs_of(request.user).filter(pk=job_id).first()
    if job is None:
        raise errors.JobNotFound()
    return job


class SlotCancelView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(
        responses={200: s.CancelPreviewSerializer, 404: NOT_YOURS},
        description="What cancelling the showtime would do; changes nothing.",
    )
    def get(self, request, slot_id: int):
        preview = selectors.cancel_preview(_slot(request, slot_id))
        return Response(s.CancelPreviewSerializer(preview).data)

    @extend_schema(
        request=s.CancelInSerializer,
        responses={
            202: s.JobStartedSerializer,
            404: NOT_YOURS,
            409: OpenApiResponse(description="`slot_not_cancellable`: it has started"),
        },
        description="Cancel the showtime now (no new holds or payments), then a job "
        "cancels and refunds every booking and tells every customer and everyone "
        "waiting. Asking again returns the same job.",
    )
    def post(self, request, slot_id: int):
        data = s.CancelInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.slot_cancel(
            slot=_slot(request, slot_id), reason=data.validated_data["reason"], by=request.user
        )
        return Response({"job": job.pk}, status=status.HTTP_202_ACCEPTED)


def _event(request, event_id: int):
    event = event_editable(request.user).filter(pk=event_id).first()
    if event is None:
        raise errors.EventNotFound()
    return event


class EventCancelView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(
        responses={200: s.EventCancelPreviewSerializer, 404: NOT_YOURS},
        description="What cancelling the event would do, per showtime still to come.",
    )
    def get(self, request, event_id: int):
        preview = selectors.event_cancel_preview(_event(request, event_id))
        return Response(s.EventCancelPreviewSerializer(preview).data)

    @extend_schema(
        request=s.CancelInSerializer,
        responses={202: s.JobsStartedSerializer, 404: NOT_YOURS},
        description="Cancel the event now (none of its showtimes sells from then on) "
        "and every showtime still to come, each with its own job as "
        "`POST slots/{id}/cancel/`. Asking again returns the same jobs.",
    )
    def post(self, request, event_id: int):
        data = s.CancelInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        jobs = services.event_cancel(
            event=_event(request, event_id),
            reason=data.validated_data["reason"],
            by=request.user,
        )
        return Response({"jobs": [job.pk for job in jobs]}, status=status.HTTP_202_ACCEPTED)


class JobView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(responses={200: s.JobSerializer, 404: NOT_YOURS})
    def get(self, request, job_id: int):
        return Response(s.JobSerializer(selectors.job_progress(_job(request, job_id))).data)


class JobRetryView(APIView):
    permission_classes = [IsOrganizer]

    @extend_schema(
        request=None,
        responses={202: s.JobSerializer, 404: NOT_YOURS},
        description="Run the job again: refused refunds are asked again; nothing is "
        "cancelled, refunded or told twice.",
    )
    def post(self, request, job_id: int):
        job = services.job_retry(job=_job(request, job_id))
        return Response(s.JobSerializer(selectors.job_progress(job)).data, status=202)

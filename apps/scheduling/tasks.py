"""Asynchronous entry points of scheduling."""

from celery import shared_task

from . import services


@shared_task(name="scheduling.generate_slots")
def generate_slots_task(job_id: int) -> str:
    """Generate the slots of a job's rule; safe to deliver twice."""
    return services.generation_job_run(job_id=job_id).status

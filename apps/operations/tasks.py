"""Asynchronous entry points of organizer operations: each takes ids and calls one service."""

from celery import shared_task

from . import moves, services


# Acknowledged after the run, and given back if the worker dies, so a killed worker's
# job is run again (the lease lapses first); the beat's resume is the net under that.
@shared_task(name="operations.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> str:
    job = services.job_run(job_id=job_id)
    return job.status if job else "busy"


@shared_task(name="operations.resume_jobs")
def resume_jobs() -> int:
    return services.jobs_resume()


@shared_task(name="operations.run_move_job", acks_late=True, reject_on_worker_lost=True)
def run_move_job(job_id: int) -> str:
    job = moves.move_job_run(job_id=job_id)
    return job.status if job else "busy"

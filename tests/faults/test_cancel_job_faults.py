# ruff: noqa: E501  (the manage.py shell snippets read best on one line each)
"""A showtime's cancellation job survives its Celery worker being killed half way.

On the suite's own PostgreSQL and Redis: a general-admission showtime with BOOKINGS
paid bookings (test provider); the organizer cancels it, the job starts on a real
Celery worker (`celery -A venue worker -B`, production settings, mail written to
files); when a fifth of the customers are told the worker's whole process group is
SIGKILLed, and a new worker is started. Its beat's `operations.resume_jobs` takes the
job over once the dead run's lease lapses (VENUE_JOB_LEASE_SECONDS, short here), and
the job ends `done`. Then, in the database and the mail folder: every booking
cancelled, every payment refunded exactly once at the provider, every customer told;
a customer told a second time is possible only for the one being told at the kill
(the email went, the mark did not), never more.
"""

from __future__ import annotations

import email
import time
from collections import Counter
from pathlib import Path

from tests.support import servers, sites

from . import checks

BOOKINGS = 150
LEASE_SECONDS = 6
SUBJECT = "is cancelled: booking"

SETUP = """
from datetime import timedelta
from django.utils import timezone
from apps.accounts.models import Role, User
from apps.catalog import services as catalog
from apps.catalog.models import EventStatus, EventType
from apps.scheduling.services import slot_create
from tests.support.booking import book
org = User.objects.create_user('job-org@venue.test', None, role=Role.ORGANIZER)
event = catalog.event_create(organizer=org, type=EventType.CONCERT, title='Storm night', city='Porto', status=EventStatus.PUBLISHED)
venue = catalog.venue_create(organizer=org, name='Job arena', city='Porto')
screen = catalog.screen_create(venue=venue, name='Floor')
start = timezone.now() + timedelta(days=2)
slot = slot_create(event=event, screen=screen, seating='general', capacity={places}, starts_at=start, ends_at=start + timedelta(hours=3), prices={{'general': '20.00'}})
User.objects.bulk_create([User(email=f'job-fan{{i}}@venue.test', full_name=f'Fan {{i}}', password='!') for i in range({bookings})])
for fan in User.objects.filter(email__startswith='job-fan').order_by('id'):
    book(fan, slot.pk, quantity=2)
print(slot.pk, org.pk)
"""

CANCEL = """
from apps.accounts.models import User
from apps.operations.services import slot_cancel
from apps.scheduling.models import Slot
job = slot_cancel(slot=Slot.objects.get(pk={slot}), reason='Storm warning', by=User.objects.get(pk={org}))
print(job.pk)
"""


def printed(output: str) -> str:
    """What the snippet printed last (log lines may come before it)."""
    return output.strip().splitlines()[-1]


def told(mail_dir: Path) -> Counter:
    """How many cancellation emails each address got (Django's file backend)."""
    counts: Counter = Counter()
    for path in mail_dir.glob("*.log"):
        for raw in path.read_text().split("\n" + "-" * 79 + "\n"):
            message = email.message_from_string(raw.strip())
            if SUBJECT in (message["Subject"] or ""):
                counts[message["To"]] += 1
    return counts


def job_progress(conn, job_id: int) -> tuple[str, int]:
    status = conn.execute("SELECT status FROM operations_job WHERE id = %s", [job_id]).fetchone()
    notified = conn.execute(
        "SELECT count(*) FROM operations_jobbooking WHERE job_id = %s AND notified_at IS NOT NULL",
        [job_id],
    ).fetchone()
    return status[0], notified[0]


def wait_for(check, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def test_a_killed_worker_leaves_the_job_to_a_restart_with_nothing_doubled(
    services, tmp_path, fault_report
):
    services.ensure_up()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **services.env,
        # Production settings with mail to files (the SMTP backend has no server here).
        "DJANGO_SETTINGS_MODULE": "tests.browser.settings",
        "VENUE_TEST_MAIL_DIR": str(mail_dir),
        "VENUE_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    slot_id, org_id = printed(
        sites.manage(
            ["shell", "-c", SETUP.format(bookings=BOOKINGS, places=2 * BOOKINGS)], env, timeout=300
        )
    ).split()
    worker = servers.CeleryWorker(tmp_path, env, concurrency=2)
    try:
        worker.start()
        worker.wait_ready()
        job_id = int(
            printed(sites.manage(["shell", "-c", CANCEL.format(slot=slot_id, org=org_id)], env))
        )
        with checks.connect(services.database_url) as conn:
            wait_for(
                lambda: job_progress(conn, job_id)[1] >= BOOKINGS // 5,
                timeout=90,
                what="a fifth of the customers told",
            )
            worker.kill_group()  # SIGKILL: main process, pool children and beat
            killed_at = time.monotonic()
            status, at_kill = job_progress(conn, job_id)
            time.sleep(1.0)
            assert job_progress(conn, job_id)[1] == at_kill  # nobody works on it now
            assert status == "running" and at_kill < BOOKINGS

            worker.start()
            worker.wait_ready()
            wait_for(
                lambda: job_progress(conn, job_id)[0] != "running",
                timeout=120,
                what="the job to finish after the restart",
            )
            finished_after = time.monotonic() - killed_at
            status, notified = job_progress(conn, job_id)
            left, bookings, paid, refunded_once, refunds = conn.execute(
                """
                SELECT count(*) FILTER (WHERE b.status <> 'cancelled'), count(DISTINCT b.id),
                       count(p.id), count(c.id) FILTER (WHERE c.refunds = 1),
                       coalesce(sum(c.refunds), 0)
                FROM bookings_booking b
                JOIN bookings_payment p ON p.booking_id = b.id
                LEFT JOIN bookings_testprovidercharge c ON c.ref = p.provider_ref
                WHERE b.slot_id = %s
                """,
                [int(slot_id)],
            ).fetchone()
            statuses = {
                row[0]
                for row in conn.execute(
                    "SELECT DISTINCT status FROM bookings_payment WHERE slot_id = %s",
                    [int(slot_id)],
                )
            }
    finally:
        worker.stop()

    counts = told(mail_dir)
    twice = sum(n - 1 for n in counts.values() if n > 1)
    figures = {
        "bookings": BOOKINGS,
        "told_at_kill": at_kill,
        "finished_s_after_kill": round(finished_after, 1),
        "refunds": refunds,
        "customers_told": len(counts),
        "told_twice": twice,
    }
    figures["summary"] = (
        f"{BOOKINGS} bookings, worker SIGKILLed with {at_kill} told; job {status} "
        f"{figures['finished_s_after_kill']} s after the kill; {refunds} refunds, "
        f"{len(counts)} customers told, {twice} told twice"
    )
    fault_report.record("cancel_job_worker_sigkill", figures)
    assert status == "done" and notified == BOOKINGS
    assert bookings == BOOKINGS and left == 0
    assert paid == BOOKINGS and statuses == {"refunded"}
    assert refunded_once == BOOKINGS and refunds == BOOKINGS  # each exactly once
    assert set(counts) == {f"job-fan{i}@venue.test" for i in range(BOOKINGS)}
    assert twice <= 1, counts.most_common(3)

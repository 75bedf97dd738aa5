"""Showtime cancellation benchmark: how long a job takes to cancel, refund and tell
every booking of a sold-out showtime.

    make bench            # or: .venv/bin/python bench/cancel.py --help

Needs PostgreSQL (DATABASE_URL; a scratch database `venue_bench_<pid>` is created and
dropped) and Redis (REDIS_URL). Production settings, in this process: --bookings
bookings of --per-booking places on one general-admission showtime, made through the
booking services and paid with the test provider; then `operations.services
.slot_cancel` cancels it and its job runs here (Celery eager, emails to Django's
in-memory backend, so the mail server is not measured). Prints the job's time and
rate, CPU per booking of this process and of PostgreSQL, and checks in the database
that every booking is cancelled, every payment refunded exactly once and every
customer told once; exits non-zero otherwise.
"""

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from booking import Bench, general_showtime, sell_general  # noqa: E402


class CancelBench:
    def __init__(self, args):
        self.args = args
        self.base = Bench(args)

    def sell_out(self):
        args = self.args
        organizer, slot = general_showtime("Cancelled night", args.bookings * args.per_booking)
        sell_general(slot, [args.per_booking] * args.bookings)
        return organizer, slot

    def run(self) -> int:
        args = self.args
        print(
            f"VENUE cancellation bench: one showtime, {args.bookings} bookings of "
            f"{args.per_booking} place{'s' if args.per_booking > 1 else ''}, the job in process"
        )
        self.base.create_database()
        try:
            from django.conf import settings
            from django.core import mail

            from venue.celery import app

            # The job runs here, and emails go to memory: the mail server is not measured.
            app.conf.task_always_eager = True
            settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
            mail.outbox = []
            started = time.perf_counter()
            organizer, slot = self.sell_out()
            print(f"  setup: {args.bookings} bookings in {time.perf_counter() - started:.1f} s")
            mail.outbox.clear()
            cpu_before = self.base.cpu_seconds()
            started = time.perf_counter()
            from apps.operations import services

            job = services.slot_cancel(slot=slot, reason="Bench storm", by=organizer)
            elapsed = time.perf_counter() - started
            cpu_after = self.base.cpu_seconds()
            return self.report(job, slot, elapsed, cpu_before, cpu_after)
        finally:
            self.base.drop_database()

    def report(self, job, slot, elapsed, cpu_before, cpu_after) -> int:
        from django.core import mail

        from apps.bookings.models import Booking, Payment, TestProviderCharge
        from apps.operations.selectors import job_progress

        job.refresh_from_db()
        progress = job_progress(job)
        n = progress["total"] or 1
        print(f"\njob {job.pk}: {job.status}, {progress['done']} of {progress['total']} done")
        print(f"  cancelled, refunded and told in {elapsed:.1f} s = {n / elapsed:.0f} bookings/s")
        shares = ", ".join(
            f"{name} {(cpu_after[name] - before) / n * 1000:.2f}"
            for name, before in cpu_before.items()
            if name != "gunicorn"
        )
        print(f"  CPU ms per booking: {shares} (this process is the 'load generator')")
        bookings = Booking.objects.filter(slot=slot)
        paid = Payment.objects.filter(booking__in=bookings)
        refunds = Counter(
            TestProviderCharge.objects.filter(ref__in=paid.values("provider_ref")).values_list(
                "refunds", flat=True
            )
        )
        told = Counter(m.to[0] for m in mail.outbox if "cancelled" in m.subject)
        counted = {
            "confirmed left": bookings.filter(status="confirmed").count(),
            "payments by refunds at the provider": dict(refunds),
            "customers told once": sum(1 for c in told.values() if c == 1),
            "customers told twice or more": sum(1 for c in told.values() if c > 1),
        }
        print(f"\nin the database: {counted}")
        ok = (
            job.status == "done"
            and counted["confirmed left"] == 0
            and set(refunds) == {1}
            and counted["customers told once"] == bookings.count()
            and counted["customers told twice or more"] == 0
        )
        print("every booking cancelled, refunded once and told once" if ok else "FAILED")
        return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bookings", type=int, default=2000, help="bookings on the showtime")
    parser.add_argument("--per-booking", type=int, default=2, help="places per booking")
    args = parser.parse_args()
    if args.bookings < 1 or args.per_booking < 1 or args.per_booking > 10:
        parser.error("--bookings must be at least 1, --per-booking 1 to 10")
    args.processes, args.threads = 1, 1  # Bench's server settings; no server here
    sys.exit(CancelBench(args).run())


if __name__ == "__main__":
    main()

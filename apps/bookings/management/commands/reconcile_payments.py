"""Settle payments a crash left between charge and booking (beat runs this every 10 s)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from apps.bookings.services import payments_reconcile


class Command(BaseCommand):
    help = "Finish or refund payments stuck between charge and booking."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=float,
            default=None,
            help="Only payments untouched for this many seconds "
            "(default VENUE_PAYMENT_STALE_SECONDS, 15).",
        )

    def handle(self, *args, older_than: float | None, **options):
        settled = payments_reconcile(
            older_than=None if older_than is None else timedelta(seconds=older_than)
        )
        self.stdout.write(f"settled {settled} payment(s)")

"""Settle payments a crash left between charge and booking (beat runs this every minute)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from apps.bookings.services import payments_reconcile


class Command(BaseCommand):
    help = "Finish or refund payments stuck between charge and booking."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=float,
            default=120.0,
            help="Only payments untouched for this many seconds (default 120).",
        )

    def handle(self, *args, older_than: float, **options):
        settled = payments_reconcile(older_than=timedelta(seconds=older_than))
        self.stdout.write(f"settled {settled} payment(s)")

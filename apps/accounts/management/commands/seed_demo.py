"""Load the demo data of API.md. Idempotent: running it twice changes nothing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.models import Role
from apps.accounts.services import user_ensure

DEMO_PASSWORD = "venue-demo-pass"
DEMO_USERS = [
    ("demo@venue.test", "Demo Customer", Role.CUSTOMER),
    ("organizer@venue.test", "Demo Organizer", Role.ORGANIZER),
]


class Command(BaseCommand):
    help = "Create the demo users and catalog (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        for email, full_name, role in DEMO_USERS:
            user_ensure(email=email, password=DEMO_PASSWORD, full_name=full_name, role=role)
            self.stdout.write(f"user {email} ({role})")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

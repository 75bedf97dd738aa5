"""Load the demo data of docs/api.md. Idempotent: running it again creates no duplicates."""

from datetime import time, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.accounts.models import Role, TeamMember, TeamRole
from apps.accounts.services import team_member_add, user_ensure
from apps.catalog import services as catalog
from apps.catalog.models import Event, EventStatus, EventType, Movie, Screen, Venue
from apps.scheduling import signals
from apps.scheduling.models import ScheduleRule, Seating
from apps.scheduling.services import slots_generate, ticket_types_set

DEMO_PASSWORD = "venue-demo-pass"
DEMO_USERS = [
    ("demo@venue.test", "Demo Customer", Role.CUSTOMER),
    ("organizer@venue.test", "Demo Organizer", Role.ORGANIZER),
]
# Scans at the demo organizer's doors (a customer account on its team).
DEMO_SCANNER = ("scanner@venue.test", "Demo Door Scanner")
DEMO_DAYS = 7
CENT = Decimal("0.01")
# The concert's per-customer ticket cap (`Event.max_tickets_per_customer`).
DEMO_CONCERT_CAP = 4


def cinema_rows() -> list[dict]:
    """Rows A-J of 12 seats, aisles after seats 3 and 9: 120 seats in three categories."""
    rows = []
    for index, name in enumerate("ABCDEFGHIJ"):
        seats: list[dict] = []
        for number in range(1, 13):
            if number in (4, 10):
                seats.append({"gap": 1})
            if name == "A" and number in (1, 2):
                category = "accessible"
            else:
                category = "premium" if index >= 8 else "standard"
            seats.append({"number": number, "category": category})
        rows.append({"name": name, "seats": seats})
    return rows


def studio_rows() -> list[dict]:
    """Rows A-H of 14 seats with a centre aisle: 112 seats, the front three rows premium."""
    rows = []
    for index, name in enumerate("ABCDEFGH"):
        seats: list[dict] = []
        for number in range(1, 15):
            if number == 8:
                seats.append({"gap": 2})
            seats.append({"number": number, "category": "premium" if index < 3 else "standard"})
        rows.append({"name": name, "seats": seats})
    return rows


class Command(BaseCommand):
    help = (
        "Create the demo users, venue, screens, events (the concert capped at "
        f"{DEMO_CONCERT_CAP} tickets per customer) and next week's showtimes (idempotent)."
    )

    # No outer transaction: each service owns its own (durable), and every step is
    # idempotent, so a run that stops half way is completed by the next one.
    def handle(self, *args, **options):
        users = {}
        for email, full_name, role in DEMO_USERS:
            users[role] = user_ensure(
                email=email, password=DEMO_PASSWORD, full_name=full_name, role=role
            )
            self.stdout.write(f"user {email} ({role})")
        organizer = users[Role.ORGANIZER]
        email, full_name = DEMO_SCANNER
        scanner = user_ensure(
            email=email, password=DEMO_PASSWORD, full_name=full_name, role=Role.CUSTOMER
        )
        if not TeamMember.objects.filter(user=scanner).exists():
            team_member_add(organizer=organizer, email=email, role=TeamRole.SCANNER, by=organizer)
        self.stdout.write(f"user {email} (scanner for {organizer.email})")

        venue = Venue.objects.filter(organizer=organizer, name="VENUE Riverside").first()
        if venue is None:
            venue = catalog.venue_create(
                organizer=organizer,
                name="VENUE Riverside",
                address="1 Riverside Walk",
                city="Lisbon",
                timezone="Europe/Lisbon",
            )
        cinema = self._screen(venue, "Screen 1", cinema_rows())
        studio = self._screen(venue, "Studio", studio_rows())
        hall = self._screen(venue, "Main Hall", None)

        movie = Movie.objects.filter(title="The Last Showtime").first() or catalog.movie_create(
            created_by=organizer,
            title="The Last Showtime",
            synopsis="A projectionist keeps an old cinema alive for one last night.",
            runtime_minutes=128,
            rating="PG-13",
            language="English",
            genres=["Drama", "Comedy"],
            formats=["2D", "IMAX"],
        )
        film = self._event(
            organizer,
            EventType.MOVIE,
            "The Last Showtime",
            movie=movie,
            description="The festival favourite, now in IMAX.",
        )
        concert = self._event(
            organizer,
            EventType.CONCERT,
            "Harbour Lights Live",
            description="An evening of songs by the river. Standing only.",
        )
        # Every run leaves the cap at DEMO_CONCERT_CAP, on a concert seeded before it too.
        if concert.max_tickets_per_customer != DEMO_CONCERT_CAP:
            concert = catalog.event_update(event=concert, max_tickets_per_customer=DEMO_CONCERT_CAP)
        play = self._event(
            organizer,
            EventType.PLAY,
            "A Midsummer Night's Dream",
            description="Shakespeare's comedy in the round.",
        )

        today = timezone.localdate(timezone=venue.tzinfo)
        rules = [
            (
                film,
                cinema,
                Seating.RESERVED,
                None,
                ["14:00", "17:30", "21:00"],
                [],
                None,
                {"standard": "9.50", "premium": "14.00", "accessible": "9.50"},
            ),
            (
                play,
                studio,
                Seating.RESERVED,
                None,
                ["19:30"],
                [],
                150,
                {"standard": "25.00", "premium": "40.00"},
            ),
            (concert, hall, Seating.GENERAL, 400, ["20:00"], [5, 6], 180, {"general": "35.00"}),
        ]
        for event, screen, seating, capacity, starts, weekdays, duration, prices in rules:
            rule, _ = ScheduleRule.objects.update_or_create(
                event=event,
                screen=screen,
                name="demo",
                defaults={
                    "mode": ScheduleRule.Mode.TIMES,
                    "date_from": today,
                    "date_to": today + timedelta(days=DEMO_DAYS - 1),
                    "weekdays": weekdays,
                    "start_times": starts,
                    "duration_minutes": duration,
                    "seating": seating,
                    "capacity": capacity,
                    "prices": prices,
                },
            )
            result = slots_generate(rule=rule)
            self.stdout.write(
                f"{event.title}: {result.created} showtimes created, {result.skipped} kept"
            )
        # Reserved showtimes sell adult and child tickets: a child pays 60% of the price.
        for event, _, seating, _, _, _, _, prices in rules:
            if seating == Seating.RESERVED:
                child = {
                    c: str((Decimal(p) * Decimal("0.6")).quantize(CENT)) for c, p in prices.items()
                }
                ticket_types_set(
                    event=event,
                    types=[
                        {"code": "adult", "name": "Adult"},
                        {"code": "child", "name": "Child", "prices": child},
                    ],
                )
        # The apps above scheduling add theirs (bookings: the DEMO10 promo code).
        signals.demo_seeded.send(sender=None, events=[film, concert, play], organizer=organizer)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _screen(self, venue: Venue, name: str, rows: list[dict] | None) -> Screen:
        screen = Screen.objects.filter(venue=venue, name=name).first()
        if screen is None:
            screen = catalog.screen_create(
                venue=venue, name=name, opening_time=time(10), closing_time=time(23, 59)
            )
        if rows and not screen.seats.exists():
            screen = catalog.screen_layout_replace(screen=screen, rows=rows)
        return screen

    def _event(self, organizer, type_: str, title: str, **fields) -> Event:
        event = Event.objects.filter(organizer=organizer, title=title, type=type_).first()
        if event is None:
            event = catalog.event_create(
                organizer=organizer,
                type=type_,
                title=title,
                city="Lisbon",
                status=EventStatus.PUBLISHED,
                **fields,
            )
        return event

"""Reads of the catalog: who may see and change what, and cached seat layouts."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet

from apps.accounts.models import User
from apps.accounts.permissions import acting_organizer, is_admin, is_organizer
from apps.core.cache import cached

from .models import Event, EventStatus, Movie, Screen, Seat, Venue

LAYOUT_TIMEOUT = 60 * 60

Viewer = User | AnonymousUser


def event_visible(user: Viewer) -> QuerySet[Event]:
    """Events the user may read: published ones, plus their own (all of them for admins)."""
    qs = Event.objects.select_related("movie")
    if is_admin(user):
        return qs
    if is_organizer(user):
        return qs.filter(Q(status=EventStatus.PUBLISHED) | Q(organizer=acting_organizer(user)))
    return qs.filter(status=EventStatus.PUBLISHED)


def event_editable(user: Viewer) -> QuerySet[Event]:
    """Events the user may change: their own or, for a manager, its organizer's (all for
    admins, none for customers)."""
    qs = Event.objects.select_related("movie")
    if is_admin(user):
        return qs
    if is_organizer(user):
        return qs.filter(organizer=acting_organizer(user))
    return qs.none()


def movie_list() -> QuerySet[Movie]:
    return Movie.objects.all()


def movie_editable(user: Viewer) -> QuerySet[Movie]:
    """Movies the user may change: those they (for a manager: its organizer) added (all
    for admins)."""
    if is_admin(user):
        return Movie.objects.all()
    if is_organizer(user):
        return Movie.objects.filter(created_by=acting_organizer(user))
    return Movie.objects.none()


def venue_editable(user: Viewer) -> QuerySet[Venue]:
    if is_admin(user):
        return Venue.objects.all()
    if is_organizer(user):
        return Venue.objects.filter(organizer=acting_organizer(user))
    return Venue.objects.none()


def screen_editable(user: Viewer) -> QuerySet[Screen]:
    return (
        Screen.objects.filter(venue__in=venue_editable(user))
        .select_related("venue")
        .annotate(seat_count=Count("seats"))
    )


def screen_seats(screen: Screen) -> list[dict[str, Any]]:
    """Return the screen's seats (id, label, row, number, category, x, y), cached per layout.

    The key holds the layout version, so an edited layout is never served stale.
    """
    key = f"catalog:layout:{screen.pk}:{screen.layout_version}"
    return cached(
        key,
        lambda: list(
            Seat.objects.filter(screen_id=screen.pk)
            .order_by("y", "x", "id")
            .values("id", "label", "row", "number", "category", "x", "y")
        ),
        timeout=LAYOUT_TIMEOUT,
    )


def screen_layout_rows(screen: Screen) -> list[dict[str, Any]]:
    """Group the screen's seats into rows, in the shape the layout endpoint accepts."""
    rows: dict[str, dict[str, Any]] = {}
    for seat in screen_seats(screen):
        row = rows.setdefault(seat["row"], {"name": seat["row"], "y": seat["y"], "seats": []})
        row["seats"].append(
            {
                "id": seat["id"],
                "label": seat["label"],
                "number": seat["number"],
                "category": seat["category"],
                "x": seat["x"],
            }
        )
    return list(rows.values())

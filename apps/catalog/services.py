"""Writes on the catalog. Each service owns its transaction."""

from collections import Counter
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.db.models import F, ProtectedError

from apps.accounts.models import User
from apps.core.cache import public_cache_bump
from apps.core.exceptions import ApplicationError

from .errors import InUse, InvalidLayout
from .images import image_process
from .models import Event, Movie, Screen, Seat, Venue
from .signals import layout_changed, layout_changing


def _save(instance: models.Model) -> None:
    """Validate the instance like a form would, then save it; field errors become a 400."""
    try:
        instance.full_clean()
    except DjangoValidationError as exc:
        raise ApplicationError(
            "The request has invalid fields.", code="validation_error", details=exc.message_dict
        ) from exc
    instance.save()
    public_cache_bump()


def _assign(instance: models.Model, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)


def _delete(instance: models.Model, what: str) -> None:
    try:
        with transaction.atomic():
            instance.delete()
            public_cache_bump()
    except ProtectedError as exc:
        raise InUse(
            f"This {what} is still used by showtimes or events; remove those first "
            "(or cancel it instead).",
            details={
                "protected": sorted({str(obj._meta.verbose_name) for obj in exc.protected_objects})
            },
        ) from exc


def _replace_file(instance: models.Model, field: str, content) -> None:
    """Store the new file, save the row, and delete the old file once committed."""
    old = getattr(instance, field)
    old_name = old.name if old else ""
    storage = old.storage
    if content is None:
        setattr(instance, field, "")
    else:
        getattr(instance, field).save(content.name, content, save=False)
    instance.save(update_fields=[field, "updated_at"])
    public_cache_bump()
    if old_name:
        transaction.on_commit(lambda: storage.delete(old_name))


# --- Movies


@transaction.atomic(durable=True)
def movie_create(*, created_by: User, **fields: Any) -> Movie:
    """Create a movie of the shared catalog."""
    movie = Movie(created_by=created_by, **fields)
    _save(movie)
    return movie


@transaction.atomic(durable=True)
def movie_update(*, movie: Movie, **fields: Any) -> Movie:
    _assign(movie, fields)
    _save(movie)
    return movie


def movie_delete(*, movie: Movie) -> None:
    """Delete a movie that no event shows."""
    _delete(movie, "movie")


@transaction.atomic(durable=True)
def movie_poster_set(*, movie: Movie, upload) -> Movie:
    """Validate, re-encode and store a poster, replacing any previous one."""
    content = image_process(upload, max_size=settings.VENUE_POSTER_MAX_SIZE, name="poster")
    _replace_file(movie, "poster", content)
    return movie


@transaction.atomic(durable=True)
def movie_poster_clear(*, movie: Movie) -> Movie:
    _replace_file(movie, "poster", None)
    return movie


# --- Events


_KEEP = object()


def _banner_content(banner):
    """Validate and re-encode a new banner before anything is written: `None` clears it,
    `_KEEP` leaves it alone."""
    if banner is _KEEP or banner is None:
        return banner
    return image_process(banner, max_size=settings.VENUE_BANNER_MAX_SIZE, name="banner")


@transaction.atomic(durable=True)
def event_create(*, organizer: User, banner=None, **fields: Any) -> Event:
    """Create an event, with its banner if one is given, in one transaction: a bad banner
    writes nothing."""
    content = _banner_content(banner)
    event = Event(organizer=organizer, **fields)
    _save(event)
    if content is not None:
        _replace_file(event, "banner", content)
    return event


@transaction.atomic(durable=True)
def event_update(*, event: Event, banner=_KEEP, **fields: Any) -> Event:
    """Change an event's fields and, when `banner` is given, set (an upload) or clear
    (`None`) its banner, all or nothing: on any error the row and `event` are unchanged."""
    content = _banner_content(banner)
    before = {name: getattr(event, name) for name in fields}
    try:
        _assign(event, fields)
        _save(event)
        if content is not _KEEP and (content is not None or event.banner):
            _replace_file(event, "banner", content)
    except Exception:
        _assign(event, before)
        raise
    return event


def event_delete(*, event: Event) -> None:
    """Delete an event without showtimes; one with showtimes must be cancelled instead."""
    _delete(event, "event")


def event_banner_set(*, event: Event, upload) -> Event:
    return event_update(event=event, banner=upload)


def event_banner_clear(*, event: Event) -> Event:
    return event_update(event=event, banner=None)


# --- Venues and screens


@transaction.atomic(durable=True)
def venue_create(*, organizer: User, **fields: Any) -> Venue:
    venue = Venue(organizer=organizer, **fields)
    _save(venue)
    return venue


@transaction.atomic(durable=True)
def venue_update(*, venue: Venue, **fields: Any) -> Venue:
    _assign(venue, fields)
    _save(venue)
    return venue


def venue_delete(*, venue: Venue) -> None:
    _delete(venue, "venue")


@transaction.atomic(durable=True)
def screen_create(**fields: Any) -> Screen:
    screen = Screen(**fields)
    _save(screen)
    return screen


@transaction.atomic(durable=True)
def screen_update(*, screen: Screen, **fields: Any) -> Screen:
    _assign(screen, fields)
    _save(screen)
    return screen


def screen_delete(*, screen: Screen) -> None:
    _delete(screen, "screen")


# --- Seat layouts

MAX_LAYOUT_COLUMN = 999
# Seats that move are parked this far right first, so no two ever share a place mid-update.
PARKING_OFFSET = 30000


def layout_seats(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn rows of seats and gaps into seat dicts with label, row, number, category, x, y.

    A seat's `x` defaults to the column after the previous item; `{"gap": n}` skips
    n columns (an aisle). Rows are laid top to bottom in the order given.
    """
    seats: list[dict[str, Any]] = []
    row_names = Counter(row["name"] for row in rows)
    duplicate_rows = sorted(name for name, count in row_names.items() if count > 1)
    if duplicate_rows:
        raise InvalidLayout(
            f"Row names must be unique; repeated: {', '.join(duplicate_rows)}.",
            code="layout_duplicate_row",
            details={"rows": duplicate_rows},
        )
    for y, row in enumerate(rows):
        x = 0
        for item in row["seats"]:
            if "gap" in item:
                x += item["gap"]
                continue
            if item.get("x") is not None:
                if item["x"] < x:
                    raise InvalidLayout(
                        f"Row {row['name']}: seat {item['number']} is at column {item['x']}, "
                        "left of the seat before it; list seats left to right.",
                        code="layout_bad_position",
                        details={"row": row["name"], "number": item["number"]},
                    )
                x = item["x"]
            seats.append(
                {
                    "label": item.get("label") or f"{row['name']}{item['number']}",
                    "row": row["name"],
                    "number": item["number"],
                    "category": item["category"],
                    "x": x,
                    "y": y,
                }
            )
            x += 1
    widest = max((seat["x"] for seat in seats), default=0)
    if widest > MAX_LAYOUT_COLUMN:
        raise InvalidLayout(
            f"The layout is {widest + 1} columns wide; at most {MAX_LAYOUT_COLUMN + 1} fit.",
            code="layout_too_wide",
            details={"columns": widest + 1, "max_columns": MAX_LAYOUT_COLUMN + 1},
        )
    labels = Counter(seat["label"] for seat in seats)
    duplicates = sorted(label for label, count in labels.items() if count > 1)
    if duplicates:
        raise InvalidLayout(
            f"Seat labels must be unique; repeated: {', '.join(duplicates[:20])}.",
            code="layout_duplicate_label",
            details={"labels": duplicates},
        )
    return seats


@transaction.atomic(durable=True)
def screen_layout_replace(*, screen: Screen, rows: list[dict[str, Any]]) -> Screen:
    """Make the screen's seats exactly `rows`, keeping the ids of seats whose label stays.

    Locks the screen so concurrent layout edits and slot creations serialise.
    """
    desired = layout_seats(rows)
    screen = Screen.objects.select_for_update().get(pk=screen.pk)
    existing = {seat.label: seat for seat in Seat.objects.filter(screen=screen)}
    wanted = {seat["label"] for seat in desired}
    removed = [seat.pk for label, seat in existing.items() if label not in wanted]
    layout_changing.send(
        sender=Screen,
        screen=screen,
        removed_seat_ids=removed,
        categories={seat["category"] for seat in desired},
    )

    fields = ["row", "number", "category", "x", "y"]
    to_update, to_create = [], []
    for spec in desired:
        seat = existing.get(spec["label"])
        if seat is None:
            to_create.append(Seat(screen=screen, **spec))
        elif any(getattr(seat, f) != spec[f] for f in fields):
            _assign(seat, {f: spec[f] for f in fields})
            to_update.append(seat)
    Seat.objects.filter(pk__in=removed).delete()
    if to_update:
        # Positions may swap between seats: park the moved ones first to keep (x, y) unique.
        Seat.objects.filter(pk__in=[s.pk for s in to_update]).update(x=F("x") + PARKING_OFFSET)
        Seat.objects.bulk_update(to_update, fields, batch_size=500)
    Seat.objects.bulk_create(to_create, batch_size=500)
    Screen.objects.filter(pk=screen.pk).update(layout_version=F("layout_version") + 1)
    screen.refresh_from_db()
    layout_changed.send(sender=Screen, screen=screen)
    public_cache_bump()
    return screen

"""Buying in tests: hold, then pay with the test payment provider, by the services or the API.

`book` is the one-line purchase (a confirmed booking); `pay` confirms a hold the test
made itself, as the API would (method "test", the fingerprint of the request body);
`api_hold` and `api_confirm` go through the endpoints with an API client. `sold_out`
books every seat of `reserved_slot` (take it with `from tests.support.booking import *`).
"""

import pytest

from apps.bookings import services
from apps.bookings.models import Booking, LedgerEntry

__all__ = [  # what `import *` gives a conftest: the fixtures and the helpers
    "api_confirm",
    "api_hold",
    "book",
    "book_pairs",
    "confirm_body",
    "pay",
    "sold_out",
]


def confirm_body(hold_id: int, token: str = "ok") -> dict:
    """The body of `POST /api/v1/bookings/confirm/` paying with the test provider, whose
    token "ok" pays ("decline" and "error" fail; apps/bookings/payments.py)."""
    return {"hold": hold_id, "payment": {"method": "test", "token": token}}


def pay(user, hold_id: int, *, key: str | None = None, token: str = "ok") -> services.Outcome:
    """Confirm `user`'s hold as `POST /api/v1/bookings/confirm/` does, with Idempotency-Key
    `key` (by default one of the hold's own, so every hold is paid for once)."""
    return services.booking_confirm(
        user=user,
        hold_id=hold_id,
        method="test",
        token=token,
        key=key or f"book-{hold_id}",
        fingerprint=services.request_fingerprint(confirm_body(hold_id, token)),
    )


def book(user, slot_id: int, **hold_kwargs) -> Booking:
    """Hold and pay in one go: a confirmed booking of `user` (`seat_ids=` or `quantity=`)."""
    hold = services.hold_create(user=user, slot_id=slot_id, **hold_kwargs)
    return Booking.objects.get(pk=pay(user, hold.pk).body["id"])


def book_pairs(slot, seat_ids, buyers) -> list[Booking]:
    """One booking of two seats side by side per buyer, in seat order (A1-A2, A3-A4, ...)."""
    return [
        book(buyer, slot.pk, seat_ids=seat_ids[2 * i : 2 * i + 2]) for i, buyer in enumerate(buyers)
    ]


def api_hold(client, slot_id: int, **body):
    """`POST /api/v1/bookings/hold-seats/` (`seats=[...]` or `quantity=n`)."""
    return client.post("/api/v1/bookings/hold-seats/", {"slot": slot_id, **body}, format="json")


def api_confirm(client, hold_id: int, key: str = "k-1", token: str = "ok"):
    """`POST /api/v1/bookings/confirm/` with the test provider and Idempotency-Key `key`."""
    return client.post(
        "/api/v1/bookings/confirm/",
        confirm_body(hold_id, token),
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.fixture
def sold_out(reserved_slot, seat_ids, people):
    """The reserved slot with every seat booked: one booking per row (A, B, C, D)."""
    owners = people(4, prefix="owner")
    return [
        book(owner, reserved_slot.pk, seat_ids=seat_ids[i * 5 : (i + 1) * 5])
        for i, owner in enumerate(owners)
    ]


def ledger_rows(slot) -> list[tuple]:
    """The showtime's money ledger as (kind, amount, reason, by_id, booking_id), oldest first."""
    return list(
        LedgerEntry.objects.filter(slot=slot)
        .order_by("id")
        .values_list("kind", "amount", "reason", "by_id", "booking_id")
    )

"""The text a ticket's QR code carries: short, unguessable and signed.

`VT1.<ticket id>.<mac>`: the ticket's id in base 32, then 80 bits of an HMAC-SHA256 of
the id and the ticket's secret code under SECRET_KEY, in base 32. Uppercase letters,
digits and dots only, so the QR code uses its compact alphanumeric mode: about 25
characters fit a version 2 code (25 x 25 modules) at error correction level M, which
a phone reads off a cracked screen in a dark foyer. Guessing a valid text means
guessing 80 random bits; reissuing a ticket (a new `code`) voids its old text.
"""

import base64
import hmac
import io
import re

import segno
from django.utils.crypto import salted_hmac

from .models import Ticket

PREFIX = "VT1"
SALT = "venue.bookings.ticket-qr"
MAC_BYTES = 10
_TEXT = re.compile(r"^VT1\.([A-Z2-7]{1,13})\.([A-Z2-7]{16})$")


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def _mac(ticket_id: int, code: str) -> str:
    digest = salted_hmac(SALT, f"{ticket_id}:{code}", algorithm="sha256").digest()
    return _b32(digest[:MAC_BYTES])


def qr_text(ticket: Ticket) -> str:
    """The exact text the ticket's QR code encodes (the door scanner accepts it)."""
    ticket_id = _b32(ticket.pk.to_bytes(8, "big").lstrip(b"\0") or b"\0")
    return f"{PREFIX}.{ticket_id}.{_mac(ticket.pk, ticket.code)}"


def ticket_id_from_qr(text: str) -> tuple[int, str] | None:
    """The ticket id and the MAC a text claims, or None if it is not a ticket text at all.

    The claim is proven only by `qr_matches` against the ticket's current code."""
    match = _TEXT.match((text or "").strip().upper())
    if match is None:
        return None
    try:
        raw = _unb32(match.group(1))
    except ValueError:
        return None
    return int.from_bytes(raw, "big"), match.group(2)


def qr_matches(ticket: Ticket, mac: str) -> bool:
    return hmac.compare_digest(_mac(ticket.pk, ticket.code), mac)


def qr_svg_uri(text: str) -> str:
    """The QR code of `text` as an SVG `data:` URI, for pages (error correction M)."""
    return segno.make(text, error="m").svg_data_uri(scale=4)


def qr_png(text: str) -> bytes:
    """The QR code of `text` as a PNG (5 px per module, quiet zone included), for emails."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=5)
    return buffer.getvalue()

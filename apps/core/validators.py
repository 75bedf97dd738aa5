"""Validators any app may use."""

import zoneinfo

from django.core.exceptions import ValidationError


def validate_timezone(value: str) -> None:
    """An IANA time zone name this machine knows, such as Europe/Lisbon."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone name such as Europe/Lisbon.")

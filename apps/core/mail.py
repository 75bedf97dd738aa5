"""Emails from templates: a text and an HTML body, times shown in a given time zone.

`send_templated("bookings/email/booking_confirmed", context, to=[...], tz=venue.tzinfo)`
renders `<name>_subject.txt`, `<name>.txt` and `<name>.html` with Django's template
engine, under `timezone.override(tz)`, so every `{{ some_datetime|date:"..." }}` in
them reads in that zone (the venue's, where the show is), as the pages do.
"""

import zoneinfo

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone


def send_templated(
    name: str, context: dict, *, to: list[str], tz: zoneinfo.ZoneInfo | None = None
) -> None:
    with timezone.override(tz or timezone.get_current_timezone()):
        subject = " ".join(render_to_string(f"{name}_subject.txt", context).split())
        text = render_to_string(f"{name}.txt", context)
        html = render_to_string(f"{name}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    message.attach_alternative(html, "text/html")
    message.send()

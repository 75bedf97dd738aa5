"""Emails from templates: a text and an HTML body, times shown in a given time zone.

`send_templated("bookings/email/booking_confirmed", context, to=[...], tz=venue.tzinfo)`
renders `<name>_subject.txt`, `<name>.txt` and `<name>.html` with Django's template
engine, under `timezone.override(tz)`, so every `{{ some_datetime|date:"..." }}` in
them reads in that zone (the venue's, where the show is), as the pages do.

`images` (content id -> PNG bytes) travel inside the message (multipart/related), and
the HTML shows them as `<img src="cid:<content id>">`: mail clients block remote and
`data:` images far more often than inline ones.
"""

import zoneinfo
from email.mime.image import MIMEImage

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone


def send_templated(
    name: str,
    context: dict,
    *,
    to: list[str],
    tz: zoneinfo.ZoneInfo | None = None,
    images: dict[str, bytes] | None = None,
) -> None:
    with timezone.override(tz or timezone.get_current_timezone()):
        subject = " ".join(render_to_string(f"{name}_subject.txt", context).split())
        text = render_to_string(f"{name}.txt", context)
        html = render_to_string(f"{name}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    message.attach_alternative(html, "text/html")
    if images:
        message.mixed_subtype = "related"
        for content_id, png in images.items():
            image = MIMEImage(png, "png")
            image.add_header("Content-ID", f"<{content_id}>")
            image.add_header("Content-Disposition", "inline", filename=f"{content_id}.png")
            message.attach(image)
    message.send()

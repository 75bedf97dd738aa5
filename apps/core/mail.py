"""Emails from templates: a text and an HTML body, times shown in a given time zone.

`send_templated("bookings/email/booking_confirmed", context, to=[...], tz=venue.tzinfo)`
renders `<name>_subject.txt`, `<name>.txt` and `<name>.html` with Django's template
engine, under `timezone.override(tz)`, so every `{{ some_datetime|date:"..." }}` in
them reads in that zone (the venue's, where the show is), as the pages do.

`images` (content id -> PNG bytes) travel inside the message (multipart/related), and
the HTML shows them as `<img src="cid:<content id>">`: mail clients block remote and
`data:` images far more often than inline ones.

`attachments` (`(filename, bytes, mimetype)` triples, e.g. a PDF and an .ics) are files
to save. The message is then multipart/mixed: first the body (multipart/related with
the alternative text/HTML and the inline images, or the alternative alone), then each
file with `Content-Disposition: attachment`. A `text/*` file is sent as UTF-8 text.
"""

import zoneinfo
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.template.loader import render_to_string
from django.utils import timezone


class _TemplatedEmail(EmailMultiAlternatives):
    """mixed(related(alternative(text, html), images...), files...): the images next to the
    HTML that shows them, the files apart. Without files the top part is the related one;
    without images, the alternative one."""

    def __init__(self, *args, images: list[MIMEImage], **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images = images

    def _create_message(self, msg):  # Django 5.2: body, alternatives, then attachments
        body = self._create_alternatives(msg)
        if self.inline_images:
            related = SafeMIMEMultipart(
                _subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET
            )
            related.attach(body)
            for image in self.inline_images:
                related.attach(image)
            body = related
        return self._create_attachments(body)


def _inline_image(content_id: str, png: bytes) -> MIMEImage:
    image = MIMEImage(png, "png")
    image.add_header("Content-ID", f"<{content_id}>")
    image.add_header("Content-Disposition", "inline", filename=f"{content_id}.png")
    return image


def send_templated(
    name: str,
    context: dict,
    *,
    to: list[str],
    tz: zoneinfo.ZoneInfo | None = None,
    images: dict[str, bytes] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    with timezone.override(tz or timezone.get_current_timezone()):
        subject = " ".join(render_to_string(f"{name}_subject.txt", context).split())
        text = render_to_string(f"{name}.txt", context)
        html = render_to_string(f"{name}.html", context)
    message = _TemplatedEmail(
        subject=subject,
        body=text,
        to=to,
        images=[_inline_image(cid, png) for cid, png in (images or {}).items()],
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or ():
        message.attach(filename, content, mimetype)
    message.send()

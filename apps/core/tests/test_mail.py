"""send_templated's MIME structure: the body, inline images beside it, files apart."""

from django.core import mail

from apps.core import mail as core_mail


def _send(monkeypatch, **kwargs):
    monkeypatch.setattr(core_mail, "render_to_string", lambda name, context: f"<p>{name}</p>")
    core_mail.send_templated("x/hello", {}, to=["a@example.org"], **kwargs)
    (message,) = mail.outbox
    return message.message()


def test_images_alone_make_a_related_message(monkeypatch):
    mime = _send(monkeypatch, images={"qr": b"\x89PNG fake"})
    assert mime.get_content_type() == "multipart/related"
    alternative, image = mime.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert image["Content-ID"] == "<qr>" and image.get_content_disposition() == "inline"


def test_files_without_images_follow_the_alternative_body(monkeypatch):
    mime = _send(monkeypatch, attachments=[("a.ics", b"BEGIN:VCALENDAR\r\n", "text/calendar")])
    assert mime.get_content_type() == "multipart/mixed"
    body, file = mime.get_payload()
    assert body.get_content_type() == "multipart/alternative"
    assert (file.get_content_type(), file.get_filename()) == ("text/calendar", "a.ics")
    assert file.get_content_disposition() == "attachment"
    assert file.get_payload(decode=True).startswith(b"BEGIN:VCALENDAR")

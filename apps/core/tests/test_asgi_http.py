import pytest
from channels.testing import HttpCommunicator
from django.test import RequestFactory

from apps.core import views
from venue.asgi import application


@pytest.mark.django_db(transaction=True)
async def test_asgi_http_echoes_a_sane_request_id():
    communicator = HttpCommunicator(
        application,
        "GET",
        "/healthz",
        headers=[(b"host", b"localhost"), (b"x-request-id", b"asgi-trace-0001")],
    )
    response = await communicator.get_response()
    assert response["status"] == 200
    headers = dict(response["headers"])
    assert headers[b"X-Request-ID"] == b"asgi-trace-0001"


@pytest.mark.parametrize(
    ("handler", "status", "code", "text"),
    [
        (views.bad_request, 400, "bad_request", b"Bad request"),
        (views.permission_denied, 403, "permission_denied", b"Not allowed"),
    ],
)
def test_error_handlers_answer_json_for_the_api_and_html_for_pages(handler, status, code, text):
    factory = RequestFactory()
    api = handler(factory.get("/api/v1/x/"), None)
    assert api.status_code == status
    assert code.encode() in api.content
    page = handler(factory.get("/somewhere/"), None)
    assert page.status_code == status
    assert text in page.content


@pytest.mark.django_db
def test_wsgi_application_serves_http():
    from venue.wsgi import application as wsgi_application

    environ = RequestFactory().get("/healthz", HTTP_HOST="localhost").environ
    statuses = []
    body = b"".join(wsgi_application(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["200 OK"]
    assert body == b'{"status": "ok"}'

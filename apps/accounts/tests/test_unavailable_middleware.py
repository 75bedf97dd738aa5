"""A database outage met while reading the access cookie's user (in middleware, before any
view runs) is a 503 like any other, for the API and for pages."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client, override_settings
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts.cookies import access_cookie_name
from apps.core.tests.test_errors import error_of
from apps.core.tests.test_unavailable import unavailable_lines

pytestmark = [pytest.mark.django_db, pytest.mark.urls("apps.core.tests.urls")]


@override_settings(DEBUG=False)
@pytest.mark.parametrize("path", ["/api/test/private/", "/"])
def test_an_outage_met_in_middleware_is_a_503_too(path, customer, caplog):
    """The access cookie's user is read in middleware, before any view runs."""
    client = Client(raise_request_exception=False)
    client.cookies[access_cookie_name()] = str(AccessToken.for_user(customer))
    with (
        mock.patch(
            "apps.accounts.authentication.user_from_access_token",
            side_effect=OperationalError("the database system is shutting down"),
        ),
        mock.patch(
            "apps.accounts.middleware.user_from_access_token",
            side_effect=OperationalError("the database system is shutting down"),
        ),
    ):
        response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    if path.startswith("/api/"):
        assert error_of(response)["code"] == "service_unavailable"
    assert len(unavailable_lines(caplog)) == 1

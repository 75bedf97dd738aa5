"""The access-control matrix of the endpoints that need no object: status per role.

Each row is (method, path, body, {role: expected status}). Roles: anonymous,
customer, organizer, admin. Endpoints about an object (own or another
organizer's), and writes naming one in their body, are in test_access_objects.py.
Between them the two matrices cover every operation of the OpenAPI schema under
/api/v1/: `test_every_api_operation_is_in_a_matrix` fails for one without a row.
"""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.test_access_objects import MATRIX as OBJECT_MATRIX

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "customer", "organizer", "admin")
PUBLIC = dict.fromkeys(ROLES, 200)
SIGNED_IN = {"anonymous": 401, "customer": 200, "organizer": 200, "admin": 200}
SIGNED_IN_400 = {"anonymous": 401, "customer": 400, "organizer": 400, "admin": 400}
BAD_LOGIN = {"email": "x@example.org", "password": "wrong-one"}


def organizers(status):
    """Organizers and admins only: the customer is refused (403), the anonymous asked to sign in."""
    return {"anonymous": 401, "customer": 403, "organizer": status, "admin": status}


NEW_EVENT = {"type": "concert", "title": "Gig", "city": "Faro"}
NEW_MOVIE = {"title": "Film", "runtime_minutes": 90}
NEW_VENUE = {"name": "Hall", "city": "Faro"}

MATRIX = [
    ("get", "/api/v1/", None, PUBLIC),
    ("get", "/api/v1/auth/me/", None, SIGNED_IN),
    ("get", "/api/v1/tickets/", None, SIGNED_IN),  # tickets given to you: your own list
    ("get", "/api/v1/auth/csrf/", None, dict.fromkeys(ROLES, 204)),
    # Public auth endpoints answer the same whoever asks; bad credentials are 401 for all.
    ("post", "/api/v1/auth/login/", BAD_LOGIN, dict.fromkeys(ROLES, 401)),
    ("post", "/api/v1/auth/token/", BAD_LOGIN, dict.fromkeys(ROLES, 401)),
    ("post", "/api/v1/auth/token/refresh/", {"refresh": "bad"}, dict.fromkeys(ROLES, 401)),
    ("post", "/api/v1/auth/register/", {"email": "x"}, dict.fromkeys(ROLES, 400)),
    ("post", "/api/v1/auth/refresh/", None, dict.fromkeys(ROLES, 401)),
    ("post", "/api/v1/auth/logout/", None, dict.fromkeys(ROLES, 204)),
    # The owner's account: signed-in users only (bodies refused past access control).
    ("patch", "/api/v1/auth/me/profile/", {}, SIGNED_IN),
    ("post", "/api/v1/auth/me/email/", {}, {**SIGNED_IN_400}),
    ("post", "/api/v1/auth/me/password/", {}, {**SIGNED_IN_400}),
    # Your data: the export, and deleting (a wrong password erases nothing, for any role).
    ("get", "/api/v1/auth/me/export/", None, SIGNED_IN),
    ("delete", "/api/v1/auth/me/", {"password": "wrong-one"}, SIGNED_IN_400),
    ("post", "/api/v1/auth/verify-email/", {"token": "forged"}, dict.fromkeys(ROLES, 400)),
    ("post", "/api/v1/auth/verify-email/resend/", None,
     {"anonymous": 401, "customer": 202, "organizer": 202, "admin": 202}),
    # Password reset answers the same for every caller and every email.
    ("post", "/api/v1/auth/password-reset/", {"email": "x@example.org"},
     dict.fromkeys(ROLES, 202)),
    ("post", "/api/v1/auth/password-reset/confirm/",
     {"uid": "MQ", "token": "bad-token", "password": "a-long-passphrase-9"},
     dict.fromkeys(ROLES, 400)),
    # Catalog and showtime reads are public; venues and screens are the organizer's own.
    ("get", "/api/v1/slots/", None, PUBLIC),
    ("get", "/api/v1/venues/", None, organizers(200)),
    ("get", "/api/v1/screens/", None, organizers(200)),
    # Creating what belongs to nobody yet: any organizer (and admins).
    ("post", "/api/v1/events/", NEW_EVENT, organizers(201)),
    ("post", "/api/v1/movies/", NEW_MOVIE, organizers(201)),
    ("post", "/api/v1/venues/", NEW_VENUE, organizers(201)),
    # The team: the organizer's (an admin has its own, empty); customers are refused.
    ("get", "/api/v1/team/members/", None, organizers(200)),
    ("post", "/api/v1/team/members/", {"email": "nobody@example.org", "role": "scanner"},
     organizers(400)),
    # The door, for a showtime nobody has: staff get 404, everyone else no further than 403.
    ("post", "/api/v1/checkin/scan/", {"slot": 999999, "code": "VT1.AE.X", "gate": "g"},
     organizers(404)),
    # Stripe's webhook: no account at all, only its signature (none here: 400 for everyone).
    ("post", "/api/v1/payments/stripe/webhook/", {"type": "payment_intent.succeeded"},
     dict.fromkeys(ROLES, 400)),
    ("post", "/api/v1/checkin/upload/",
     {"slot": 999999, "gate": "g", "scans": [{"ref": "1", "code": "x",
                                              "scanned_at": "2026-01-01T00:00:00Z"}]},
     organizers(404)),
]  # fmt: skip


@pytest.fixture
def clients(make_user, bearer):
    result = {"anonymous": APIClient()}
    for role in ROLES[1:]:
        user = make_user(f"{role}@matrix.example.org", role)
        client = APIClient()
        client.credentials(**{"HTTP_AUTHORIZATION": bearer(user)["HTTP_AUTHORIZATION"]})
        result[role] = client
    return result


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(clients, role, method, path, body, expected):
    response = getattr(clients[role], method)(path, body, format="json")
    assert response.status_code == expected[role], response.content


def _operation(method: str, path: str) -> tuple[str, str]:
    """(METHOD, path) with every path parameter written `{}`: `{id}` and `{event}` alike."""
    return method.upper(), re.sub(r"\{[^}]*\}", "{}", path)


def test_every_api_operation_is_in_a_matrix():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = {
        _operation(method, path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    covered = {_operation(row[0], row[1]) for row in (*MATRIX, *OBJECT_MATRIX)}
    missing = sorted(documented - covered)
    assert not missing, "operations without access rows (add them to a matrix):\n" + "\n".join(
        f"{method} {path}" for method, path in missing
    )
    stale = sorted(covered - documented)
    assert not stale, "rows for operations the schema does not have:\n" + "\n".join(
        f"{method} {path}" for method, path in stale
    )

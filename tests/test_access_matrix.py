"""The access-control matrix: every API endpoint × every role.

Each row is (method, path, body, {role: expected status}). Roles: anonymous,
customer, organizer, admin. Later issues add their endpoints' rows here, with
own and foreign objects where ownership applies.
"""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "customer", "organizer", "admin")
PUBLIC = dict.fromkeys(ROLES, 200)
SIGNED_IN = {"anonymous": 401, "customer": 200, "organizer": 200, "admin": 200}
BAD_LOGIN = {"email": "x@example.org", "password": "wrong-one"}

MATRIX = [
    ("get", "/api/v1/", None, PUBLIC),
    ("get", "/api/v1/auth/me/", None, SIGNED_IN),
    ("get", "/api/v1/auth/csrf/", None, dict.fromkeys(ROLES, 204)),
    # Public auth endpoints answer the same whoever asks; bad credentials are 401 for all.
    ("post", "/api/v1/auth/login/", BAD_LOGIN, dict.fromkeys(ROLES, 401)),
    ("post", "/api/v1/auth/token/", BAD_LOGIN, dict.fromkeys(ROLES, 401)),
    ("post", "/api/v1/auth/token/refresh/", {"refresh": "bad"}, dict.fromkeys(ROLES, 401)),
    ("post", "/api/v1/auth/register/", {"email": "x"}, dict.fromkeys(ROLES, 400)),
    ("post", "/api/v1/auth/refresh/", None, dict.fromkeys(ROLES, 401)),
    ("post", "/api/v1/auth/logout/", None, dict.fromkeys(ROLES, 204)),
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

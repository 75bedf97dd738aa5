import base64
import json
from datetime import timedelta

import jwt
import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.accounts.cookies import access_cookie_name, refresh_cookie_name
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"


def login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/login/", {"email": email, "password": password}, format="json")


def csrf_client() -> APIClient:
    return APIClient(enforce_csrf_checks=True)


def csrf_header(client) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


# --- register


def test_register_creates_a_customer(api_client):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"email": "New.Person@Example.org", "password": PASSWORD, "full_name": "New Person"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new.person@example.org"
    assert body["role"] == "customer"
    assert set(body) == {"id", "email", "full_name", "role", "email_verified", "pending_email"}


def test_register_refuses_a_duplicate_email_whatever_its_case(api_client, customer):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"email": "CUSTOMER@example.org", "password": PASSWORD, "full_name": "Again"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


@pytest.mark.parametrize("password", ["short1", "password123", "1234567890123"])
def test_register_refuses_a_weak_password(api_client, password):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"email": "weak@example.org", "password": password, "full_name": "Weak"},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["password"]


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        '{"email": 5, "password": [], "full_name": {}}',
        '{"email": "a@b.c"}',
        json.dumps({"email": "x" * 300 + "@a.b", "password": PASSWORD, "full_name": "X"}),
    ],
)
def test_register_answers_bad_bodies_with_400(api_client, body):
    response = api_client.post("/api/v1/auth/register/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("validation_error", "malformed_request")


# --- login with cookies


def test_login_sets_httponly_strict_secure_cookies_and_csrf(api_client, customer):
    response = login(api_client, "Customer@Example.org")
    assert response.status_code == 200
    assert response.json()["email"] == "customer@example.org"
    access = response.cookies[access_cookie_name()]
    refresh = response.cookies[refresh_cookie_name()]
    assert access_cookie_name().startswith("__Host-")
    assert refresh_cookie_name().startswith("__Secure-")
    for cookie in (access, refresh):
        assert cookie["httponly"] and cookie["secure"]
        assert cookie["samesite"] == "Strict"
    assert access["path"] == "/"
    assert refresh["path"] == "/api/v1/auth/"
    csrf = response.cookies["csrftoken"]
    assert csrf.value and not csrf["httponly"]
    assert api_client.get(ME).json()["email"] == "customer@example.org"


def test_wrong_password_and_unknown_email_answer_the_same(api_client, customer):
    wrong = login(api_client, "customer@example.org", "not-the-password")
    unknown = login(api_client, "nobody@example.org", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda r: {k: v for k, v in r.json()["error"].items() if k != "request_id"}  # noqa: E731
    assert strip(wrong) == strip(unknown)
    assert strip(wrong)["code"] == "invalid_credentials"
    assert access_cookie_name() not in wrong.cookies


def test_me_needs_authentication(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_cookie_request_without_csrf_header_is_refused(customer):
    client = csrf_client()
    login(client, customer.email)
    response = client.post("/api/v1/auth/refresh/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    response = client.post("/api/v1/auth/refresh/", **csrf_header(client))
    assert response.status_code == 200


@pytest.mark.urls("apps.core.tests.urls")
def test_cookie_authenticated_write_needs_csrf_but_bearer_does_not(customer, bearer):
    client = csrf_client()
    login(client, customer.email)
    refused = client.post("/api/test/echo/", {"quantity": 1}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    allowed = client.post("/api/test/echo/", {"quantity": 1}, format="json", **csrf_header(client))
    assert allowed.status_code == 200
    program = csrf_client()
    assert (
        program.post(
            "/api/test/echo/", {"quantity": 1}, format="json", **bearer(customer)
        ).status_code
        == 200
    )


def test_refresh_rotates_the_cookies(customer):
    client = csrf_client()
    login(client, customer.email)
    old_refresh = client.cookies[refresh_cookie_name()].value
    response = client.post("/api/v1/auth/refresh/", **csrf_header(client))
    assert response.status_code == 200
    new_refresh = response.cookies[refresh_cookie_name()].value
    assert new_refresh != old_refresh
    # The rotated-out token no longer works.
    client.cookies[refresh_cookie_name()] = old_refresh
    response = client.post("/api/v1/auth/refresh/", **csrf_header(client))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_refresh_without_cookie_is_401(api_client):
    response = api_client.post("/api/v1/auth/refresh/")
    assert response.status_code == 401


def test_logout_revokes_the_refresh_token_and_clears_cookies(customer):
    client = csrf_client()
    login(client, customer.email)
    refresh = client.cookies[refresh_cookie_name()].value
    response = client.post("/api/v1/auth/logout/", **csrf_header(client))
    assert response.status_code == 204
    assert response.cookies[access_cookie_name()].value == ""
    assert response.cookies[refresh_cookie_name()].value == ""
    client.cookies[refresh_cookie_name()] = refresh
    response = client.post("/api/v1/auth/refresh/", **csrf_header(client))
    assert response.status_code == 401


def test_csrf_endpoint_sets_the_cookie(api_client):
    response = api_client.get("/api/v1/auth/csrf/")
    assert response.status_code == 204
    assert response.cookies["csrftoken"].value


# --- tokens for programs


def token_pair(client, email, password=PASSWORD):
    response = client.post("/api/v1/auth/token/", {"email": email, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def test_token_pair_works_as_bearer(api_client, customer):
    pair = token_pair(api_client, customer.email)
    assert set(pair) == {"access", "refresh"}
    response = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert response.json() == {
        "id": customer.pk,
        "email": customer.email,
        "full_name": customer.full_name,
        "role": "customer",
        "email_verified": False,
        "pending_email": "",
    }


def test_token_with_wrong_password_is_401(api_client, customer):
    response = api_client.post("/api/v1/auth/token/", {"email": customer.email, "password": "x"})
    assert response.status_code == 401


# A token that fails verification must not act as the user it names, whichever way it comes.
# The victim is an admin: had the forgery worked, each probe below would answer 200.
VENUES = "/api/v1/venues/"  # organizers and admins only (a customer gets 403)
ADMIN_SITE = "/admin/"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims_of(token) -> dict:
    payload = str(token).split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def assert_acts_as_nobody(token: str, victim) -> None:
    """As a Bearer header the token is refused (401 `authentication_failed`, the token
    `token_not_valid`); as the access cookie it is ignored, so the request is anonymous
    (401 `not_authenticated`) and the admin site sends it to its login page."""
    program = APIClient()
    for path in (ME, VENUES):
        response = program.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401, (path, response.content)
        error = response.json()["error"]
        assert error["code"] == "authentication_failed", error
        assert error["details"]["code"] == "token_not_valid", error
        assert victim.email.encode() not in response.content

    browser = APIClient()
    browser.cookies[access_cookie_name()] = token
    for path in (ME, VENUES):
        response = browser.get(path)
        assert response.status_code == 401, (path, response.content)
        assert response.json()["error"]["code"] == "not_authenticated"
        assert victim.email.encode() not in response.content
    page = browser.get(ADMIN_SITE)
    assert page.status_code == 302, page.status_code
    assert page["Location"].startswith("/admin/login/")


def test_the_forgery_probes_answer_200_to_the_genuine_admin_token(admin_user):
    """The control: the admin's real token reaches all that the forgeries must not."""
    token = str(AccessToken.for_user(admin_user))
    program = APIClient()
    assert program.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}").json()["id"] == admin_user.pk
    assert program.get(VENUES, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    browser = APIClient()
    browser.cookies[access_cookie_name()] = token
    assert browser.get(ME).json()["id"] == admin_user.pk
    assert browser.get(VENUES).status_code == 200
    assert browser.get(ADMIN_SITE).status_code == 200


def test_expired_access_token_is_refused(admin_user):
    token = AccessToken.for_user(admin_user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert_acts_as_nobody(str(token), admin_user)


def test_tampered_signature_is_refused(admin_user):
    token = str(AccessToken.for_user(admin_user))
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert_acts_as_nobody(tampered, admin_user)


def test_tampered_payload_is_refused(customer, admin_user):
    """The customer's token rewritten to name the admin, even with the admin's password
    fingerprint (so only the signature stands in the way), keeping the customer's signature."""
    header, _, signature = str(AccessToken.for_user(customer)).split(".")
    admin_claims = claims_of(AccessToken.for_user(admin_user))
    claims = claims_of(AccessToken.for_user(customer))
    claims["user_id"] = admin_claims["user_id"]
    claims["hash_password"] = admin_claims["hash_password"]
    assert_acts_as_nobody(f"{header}.{b64(claims)}.{signature}", admin_user)


def test_alg_none_is_refused(admin_user):
    claims = claims_of(AccessToken.for_user(admin_user))
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    assert_acts_as_nobody(unsigned, admin_user)


def test_token_signed_with_another_key_is_refused(admin_user):
    claims = claims_of(AccessToken.for_user(admin_user))
    forged = jwt.encode(claims, "not-the-servers-signing-key-but-long-enough", algorithm="HS256")
    assert_acts_as_nobody(forged, admin_user)


def test_refresh_token_used_as_access_token_is_refused(admin_user):
    assert_acts_as_nobody(str(RefreshToken.for_user(admin_user)), admin_user)


def test_access_token_used_as_refresh_token_is_refused(api_client, customer):
    access = AccessToken.for_user(customer)
    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": str(access)})
    assert response.status_code == 401


def test_reused_refresh_token_revokes_the_whole_family(api_client, customer, caplog):
    first = token_pair(api_client, customer.email)
    second = api_client.post("/api/v1/auth/token/refresh/", {"refresh": first["refresh"]})
    assert second.status_code == 200
    second = second.json()
    reused = api_client.post("/api/v1/auth/token/refresh/", {"refresh": first["refresh"]})
    assert reused.status_code == 401
    assert any(getattr(r, "event", "") == "token_reuse_detected" for r in caplog.records)
    # The thief's copy and the owner's newer token both stop working.
    newer = api_client.post("/api/v1/auth/token/refresh/", {"refresh": second["refresh"]})
    assert newer.status_code == 401


def test_garbage_refresh_token_is_401(api_client):
    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": "not.a.token"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


# --- changes take effect on the next request


def test_deactivated_user_is_refused_on_the_next_request(api_client, customer, bearer):
    headers = bearer(customer)
    assert api_client.get(ME, **headers).status_code == 200
    customer.is_active = False
    customer.save()
    assert api_client.get(ME, **headers).status_code == 401


def test_deactivated_cookie_user_is_anonymous_on_the_next_request(api_client, customer):
    login(api_client, customer.email)
    customer.is_active = False
    customer.save()
    assert api_client.get(ME).status_code == 401


def test_role_change_applies_on_the_next_request(api_client, customer, bearer, caplog):
    headers = bearer(customer)
    customer.role = "organizer"
    customer.save()
    assert api_client.get(ME, **headers).json()["role"] == "organizer"
    assert any(getattr(r, "event", "") == "role_changed" for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_password_change_revokes_refresh_and_access_tokens(customer):
    client = APIClient()
    pair = token_pair(client, customer.email)
    customer.set_password("a-brand-new-passphrase")
    customer.save()
    assert (
        client.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}).status_code == 401
    )
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {pair['access']}").status_code == 401


def test_pages_see_the_user_of_the_api_login(api_client, customer):
    login(api_client, customer.email)
    page = api_client.get("/")
    assert customer.email.encode() in page.content


def test_stale_cookie_leaves_pages_anonymous(api_client, customer):
    api_client.cookies[access_cookie_name()] = "stale.token.value"
    page = api_client.get("/")
    assert page.status_code == 200
    assert customer.email.encode() not in page.content

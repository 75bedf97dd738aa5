"""The admin's user pages write through `accounts.services`.

Transactional, as in production: a service's durable transaction may not nest in the
one Django's admin opens around its views, so these pages must not open one.
"""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.accounts import services
from apps.accounts.models import Role, User

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-admin-password-42"


@pytest.fixture
def admin():
    return User.objects.create_superuser("root@venue.test", PASSWORD, full_name="Root")


@pytest.fixture
def browser(admin):
    client = Client()
    client.force_login(admin)
    return client


def live_tokens(user: User) -> int:
    return OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).count()


def test_an_admin_adds_a_user_who_can_log_in(browser):
    response = browser.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Person@Venue.test",
            "full_name": "New Person",
            "role": Role.ORGANIZER,
            "usable_password": "true",
            "password1": "another-long-password-7",
            "password2": "another-long-password-7",
        },
    )
    assert response.status_code == 302, response.content
    user = User.objects.get(email="new.person@venue.test")  # one account whatever the case
    assert (user.full_name, user.role) == ("New Person", Role.ORGANIZER)
    assert user.check_password("another-long-password-7")


def test_adding_an_email_that_exists_is_refused_without_a_500(browser, admin):
    response = browser.post(
        reverse("admin:accounts_user_add"),
        {
            "email": admin.email,
            "full_name": "Twin",
            "role": Role.CUSTOMER,
            "usable_password": "true",
            "password1": "another-long-password-7",
            "password2": "another-long-password-7",
        },
    )
    assert response.status_code in (200, 302)
    assert User.objects.filter(email=admin.email).count() == 1


def test_deactivating_in_the_change_form_revokes_the_refresh_tokens(browser):
    user = User.objects.create_user("fan@venue.test", PASSWORD, full_name="Fan")
    services.tokens_issue(user=user)
    assert live_tokens(user) == 1
    change = reverse("admin:accounts_user_change", args=[user.pk])
    form = browser.get(change).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"is_active": "", "role": Role.ORGANIZER, "full_name": "Fan Renamed"})
    data = {k: v for k, v in data.items() if k not in ("is_active", "groups", "password")}
    response = browser.post(change, data)
    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert (user.is_active, user.role, user.full_name) == (False, Role.ORGANIZER, "Fan Renamed")
    assert live_tokens(user) == 0


def test_an_admin_cannot_deactivate_themself(browser, admin):
    change = reverse("admin:accounts_user_change", args=[admin.pk])
    data = {"email": admin.email, "full_name": "Root", "role": admin.role, "is_staff": "on"}
    data["is_superuser"] = "on"  # is_active left out: unticked
    response = browser.post(change, data, follow=True)
    assert "cannot deactivate your own account" in str(list(response.context["messages"]))
    admin.refresh_from_db()
    assert admin.is_active


def test_the_password_form_sets_it_through_the_service_and_revokes_tokens(browser):
    user = User.objects.create_user("fan@venue.test", PASSWORD, full_name="Fan")
    services.tokens_issue(user=user)
    response = browser.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {
            "usable_password": "true",
            "password1": "a-brand-new-password-9",
            "password2": "a-brand-new-password-9",
        },
    )
    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert user.check_password("a-brand-new-password-9")
    assert live_tokens(user) == 0


def test_users_are_deactivated_not_deleted(browser):
    user = User.objects.create_user("fan@venue.test", PASSWORD, full_name="Fan")
    assert browser.get(reverse("admin:accounts_user_delete", args=[user.pk])).status_code == 403

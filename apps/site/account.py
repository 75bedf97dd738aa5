"""The owner's account page `/account/` (name, email, password, "Your data": the export
download and deleting the account) and the page an email-verification link opens,
`/verify-email/<token>/` (`accounts.verification`, `accounts.privacy`)."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout as session_logout
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import ValidationError as DRFValidationError

from apps.accounts import privacy, verification
from apps.accounts.cookies import clear_auth_cookies, set_auth_cookies
from apps.accounts.pages import login_required_page
from apps.accounts.services import tokens_issue
from apps.core.exceptions import ApplicationError
from apps.core.ratelimit import client_ip, hit


class NameForm(forms.Form):
    full_name = forms.CharField(label="Name", max_length=150)


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="New email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Your password", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )  # fmt: skip


class PasswordForm(forms.Form):
    current_password = forms.CharField(
        label="Current password", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )  # fmt: skip
    password = forms.CharField(
        label="New password", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )  # fmt: skip


class DeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password, to confirm", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )  # fmt: skip


def _base(request) -> str:
    return request.build_absolute_uri("/")


@require_http_methods(["GET", "POST"])
@login_required_page
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    which = request.POST.get("form") if request.method == "POST" else None
    name = NameForm(
        request.POST if which == "name" else None, initial={"full_name": user.full_name}
    )
    email = EmailForm(request.POST if which == "email" else None, prefix="email")
    password = PasswordForm(request.POST if which == "password" else None, prefix="pw")
    response = None
    try:
        if which == "name" and name.is_valid():
            verification.profile_update(user=user, full_name=name.cleaned_data["full_name"])
            messages.success(request, "Your name is saved.")
            response = redirect("account")
        elif which == "email" and email.is_valid():
            user = verification.email_change_request(user=user, **email.cleaned_data)
            if user.pending_email:
                verification.verification_send(user=user, base_url=_base(request))
                messages.success(
                    request,
                    f"We emailed {user.pending_email} a link: the change takes effect "
                    "when you open it.",
                )
            response = redirect("account")
        elif which == "password" and password.is_valid():
            user = verification.password_change(
                user=user,
                current=password.cleaned_data["current_password"],
                new=password.cleaned_data["password"],
            )
            messages.success(request, "Your password is changed; other devices are signed out.")
            response = redirect("account")
            refresh = tokens_issue(user=user)  # this browser stays signed in
            set_auth_cookies(response, access=str(refresh.access_token), refresh=str(refresh))
    except DRFValidationError as exc:
        for message in exc.detail.get("password", []):
            password.add_error("password", str(message))
    except ApplicationError as exc:
        target = {"email": email, "password": password}.get(which, name)
        target.add_error(None, exc.message)
    if response is not None:
        return response
    return _page(request, name_form=name, email_form=email, password_form=password)


def _page(request: HttpRequest, **context) -> HttpResponse:
    """The account page, with fresh forms wherever the caller has none of its own."""
    user = request.user
    context.setdefault("name_form", NameForm(initial={"full_name": user.full_name}))
    context.setdefault("email_form", EmailForm(prefix="email"))
    context.setdefault("password_form", PasswordForm(prefix="pw"))
    context.setdefault("delete_form", DeleteForm(prefix="delete"))
    return render(request, "site/account.html", context)


@require_GET
@login_required_page
def account_export(request: HttpRequest) -> HttpResponse:
    """Everything VENUE holds about the user, as a JSON download."""
    data = privacy.user_export(user=request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = f"venue-data-{timezone.now():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required_page
def account_delete(request: HttpRequest) -> HttpResponse:
    """Delete the account (password proven): signed out, home with a message. A refusal
    (bookings still to come, an organizer's account) is shown on the account page."""
    form = DeleteForm(request.POST, prefix="delete")
    refusal = None
    if form.is_valid():
        usage = hit(request, "login_ip", f"ip:{client_ip(request)}")  # as the API's DELETE
        if usage is not None and usage.exceeded:
            form.add_error(None, f"Too many tries from here. Wait {usage.retry_after} s.")
        else:
            try:
                privacy.user_delete(user=request.user, password=form.cleaned_data["password"])
            except verification.WrongPassword as exc:
                form.add_error("password", exc.message)
            except ApplicationError as exc:
                refusal = exc
            else:
                session_logout(request)  # an admin-site session, if any
                messages.success(
                    request,
                    "Your account is deleted and you are logged out. We emailed your old "
                    "address what we kept.",
                )
                response = redirect("home")
                clear_auth_cookies(response)
                return response
    return _page(request, delete_form=form, refusal=refusal)


@require_POST
@login_required_page
def verification_resend(request: HttpRequest) -> HttpResponse:
    try:
        verification.verification_send(user=request.user, base_url=_base(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "We sent the link again.")
    return redirect("account")


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = verification.email_verify(token=token)
    except ApplicationError as exc:
        return render(request, "site/verify_email.html", {"error": exc.message}, status=400)
    return render(request, "site/verify_email.html", {"email": user.email})

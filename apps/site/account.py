"""The owner's account page `/account/` (name, email, password) and the page an
email-verification link opens, `/verify-email/<token>/` (`accounts.verification`)."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import ValidationError as DRFValidationError

from apps.accounts import verification
from apps.accounts.cookies import set_auth_cookies
from apps.accounts.pages import login_required_page
from apps.accounts.services import tokens_issue
from apps.core.exceptions import ApplicationError


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
    context = {"name_form": name, "email_form": email, "password_form": password}
    return render(request, "site/account.html", context)


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

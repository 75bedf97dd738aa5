"""Forgot your password: `/password-reset/` asks for the email, the emailed link opens
`/password-reset/<uid>/<token>/`, which sets a new password (`accounts.recovery`).

Every answer to the first form is the same, whether or not the email has an account.
Posting it counts against the `login_ip` rate tier, like logging in.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.exceptions import ValidationError as DRFValidationError

from apps.accounts import recovery
from apps.core.ratelimit import client_ip, hit


class ResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class NewPasswordForm(forms.Form):
    password = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    again = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("again") and data["password"] != data["again"]:
            self.add_error("again", "The two passwords differ.")
        return data


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        usage = hit(request, "login_ip", f"ip:{client_ip(request)}")
        if usage is not None and usage.exceeded:
            form.add_error(None, f"Too many tries from here. Wait {usage.retry_after} s.")
        else:
            recovery.password_reset_request(
                email=form.cleaned_data["email"], base_url=request.build_absolute_uri("/")
            )
            return redirect("password-reset-sent")
    return render(request, "site/password_reset.html", {"form": form})


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    return render(request, "site/password_reset_sent.html", {"minutes": minutes})


@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    if recovery.reset_user(uid, token) is None:
        return render(request, "site/password_reset_invalid.html", status=400)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recovery.password_reset_confirm(
                uid=uid, token=token, password=form.cleaned_data["password"]
            )
        except DRFValidationError as exc:
            for message in exc.detail.get("password", []):
                form.add_error("password", str(message))
        except recovery.ResetLinkInvalid:
            return render(request, "site/password_reset_invalid.html", status=400)
        else:
            messages.success(request, "Your password is changed. Log in with it.")
            return redirect("login")
    return render(request, "site/password_reset_confirm.html", {"form": form})

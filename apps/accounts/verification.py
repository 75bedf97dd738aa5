"""Proving an email address, and the owner's own changes to the account.

A new account gets a link that proves its address; a changed address takes effect
only once the link sent to the new one is opened (until then `pending_email` holds
it and the old address stays). The link's token is the user's id and the address,
signed with a timestamp under SECRET_KEY (`django.core.signing`): it names one
account and one address, and expires after `VENUE_EMAIL_VERIFY_SECONDS`. Sending
again is limited to `EMAILS_PER_HOUR` per account.

With `VENUE_REQUIRE_VERIFIED_EMAIL` on, an account whose address is not proven may
browse and hold seats but not pay (`bookings` refuses the confirm with 403
`email_not_verified`).
"""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions

from apps.core.cache import count_this_hour
from apps.core.exceptions import ApplicationError
from apps.core.mail import send_templated

from .audit import audit
from .models import User
from .services import EmailTaken, user_password_set

SALT = "venue.accounts.verify-email"
EMAILS_PER_HOUR = 3


class VerifyLinkInvalid(ApplicationError):
    code = "verify_link_invalid"
    message = "This link is not valid: it expired, or the address changed since. Ask again."


class WrongPassword(ApplicationError):
    code = "wrong_password"
    message = "The password is not right."


class TooManyEmails(ApplicationError):
    status_code = 429
    code = "rate_limited"
    message = "Enough emails for now: try again within the hour."

    def __init__(self):
        super().__init__(details={"retry_after": 3600})
        self.retry_after = 3600  # the counter's window: at most that long


def _token(user: User, email: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"u": user.pk, "e": email})


def _link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/verify-email/{token}/"


def verification_request(*, user: User, base_url: str) -> None:
    """Queue the first link of a new account (registration answers without waiting)."""
    from .tasks import send_verification

    send_verification.delay(user.pk, base_url)


def verification_send(*, user: User, base_url: str) -> None:
    """Email the link that proves the address being verified (the pending one if the
    owner is changing it, else the account's own); refused past EMAILS_PER_HOUR."""
    email = user.pending_email or user.email
    if not user.pending_email and user.email_verified_at is not None:
        return  # nothing to prove
    if count_this_hour("verify-emails", user.pk) > EMAILS_PER_HOUR:
        raise TooManyEmails()
    send_templated(
        "accounts/email/verify_email",
        {
            "name": user.full_name or user.email,
            "email": email,
            "link": _link(base_url, _token(user, email)),
            "changing": bool(user.pending_email),
            "hours": settings.VENUE_EMAIL_VERIFY_SECONDS // 3600,
        },
        to=[email],
    )
    audit("email_verification_sent", target_user_id=user.pk)


def email_verify(*, token: str) -> User:
    """Open a link: the address it names is proven (a pending one takes effect)."""
    try:
        claim = signing.TimestampSigner(salt=SALT).unsign_object(
            token, max_age=settings.VENUE_EMAIL_VERIFY_SECONDS
        )
        user_id, email = int(claim["u"]), str(claim["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise VerifyLinkInvalid() from exc
    try:
        with transaction.atomic(durable=True):
            user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
            if user is None:
                raise VerifyLinkInvalid()
            if user.pending_email and email == user.pending_email:
                if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                    raise EmailTaken()
                user.email, user.pending_email = email, ""
                user.email_verified_at = timezone.now()
                user.save(update_fields=["email", "pending_email", "email_verified_at"])
                audit("email_changed", target_user_id=user.pk)
            elif email == user.email:
                if user.email_verified_at is None:
                    user.email_verified_at = timezone.now()
                    user.save(update_fields=["email_verified_at"])
                    audit("email_verified", target_user_id=user.pk)
            else:
                raise VerifyLinkInvalid()
    except IntegrityError as exc:  # the address was taken at the same moment
        raise EmailTaken() from exc
    return user


@transaction.atomic(durable=True)
def email_change_request(*, user: User, email: str, password: str) -> User:
    """Ask to move the account to a new address (the password proves it is the owner);
    the change waits for the new address's link (send it with `verification_send`)."""
    if not user.check_password(password):
        raise WrongPassword()
    email = User.objects.normalize_email(email)
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise EmailTaken()
    user.pending_email = "" if email.lower() == user.email.lower() else email
    user.save(update_fields=["pending_email"])
    audit("email_change_requested", target_user_id=user.pk)
    return user


@transaction.atomic(durable=True)
def profile_update(*, user: User, full_name: str) -> User:
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    return user


def password_change(*, user: User, current: str, new: str) -> User:
    """The owner sets a new password, proving the current one; every token and session
    of the account is revoked (the caller signs this device in again)."""
    if not user.check_password(current):
        raise WrongPassword("The current password is not right.")
    try:
        validate_password(new, user=user)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({"password": list(exc.messages)}) from exc
    return user_password_set(user=user, password=new)

"""Getting back into an account: a one-time password-reset link sent by email.

Django's token machinery (`default_token_generator`) makes the link: the token is an
HMAC of the user's id, password hash and last login under SECRET_KEY, with a
timestamp. So it expires (`PASSWORD_RESET_TIMEOUT`, `VENUE_PASSWORD_RESET_SECONDS`),
it is void once used (the password hash changes), and it proves nothing for any
other account.

Asking for a link answers the same whether or not the email has an account: the
request only queues `accounts.send_password_reset`, which looks the account up and
sends at most `RESET_EMAILS_PER_HOUR` links per account. Setting the new password
goes through `user_password_set`, so every refresh token of the account is revoked
when it commits (access tokens carry the password's hash and fail at once, and the
admin's sessions lapse with the old hash).
"""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework import exceptions

from apps.core.cache import count_this_hour
from apps.core.exceptions import ApplicationError
from apps.core.mail import send_templated

from .audit import audit
from .models import User
from .services import user_password_set

RESET_EMAILS_PER_HOUR = 3


class ResetLinkInvalid(ApplicationError):
    code = "reset_link_invalid"
    message = "This reset link is not valid: it was used already, or it expired. Ask for a new one."


def password_reset_request(*, email: str, base_url: str) -> None:
    """Queue the reset email; nothing tells the caller whether the account exists."""
    from .tasks import send_password_reset

    send_password_reset.delay(User.objects.normalize_email(email), base_url)


def reset_link(user: User, base_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{base_url.rstrip('/')}/password-reset/{uid}/{token}/"


def password_reset_send(*, email: str, base_url: str) -> bool:
    """Email a reset link to the active account with this email, if there is one and it
    has not had RESET_EMAILS_PER_HOUR links this hour; True if one was sent."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return False
    if count_this_hour("reset-emails", user.pk) > RESET_EMAILS_PER_HOUR:
        audit("password_reset_throttled", target_user_id=user.pk)
        return False
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    send_templated(
        "accounts/email/password_reset",
        {
            "name": user.full_name or user.email,
            "link": reset_link(user, base_url),
            "minutes": minutes,
        },
        to=[user.email],
    )
    audit("password_reset_sent", target_user_id=user.pk)
    return True


def reset_user(uid: str, token: str) -> User | None:
    """The account a link names, if its token is valid for that account now."""
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


def password_reset_confirm(*, uid: str, token: str, password: str) -> User:
    """Set the new password of the account the link names; the link is void after.

    The link went to the account's address, so opening it proves that address too: an
    account not yet confirmed (one made for a ticket given to it, say) is confirmed."""
    user = reset_user(uid, token)
    if user is None:
        raise ResetLinkInvalid()
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({"password": list(exc.messages)}) from exc
    user_password_set(user=user, password=password)
    if user.email_verified_at is None:  # one statement of its own, after the password
        user.email_verified_at = timezone.now()
        User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(
            email_verified_at=user.email_verified_at
        )
    audit("password_reset", target_user_id=user.pk)
    return user

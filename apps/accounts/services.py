"""Writes on users and their tokens: registration, login, token rotation and revocation."""

import logging

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from apps.core.exceptions import ApplicationError
from apps.core.ratelimit import client_ip

from . import lockout
from .audit import audit
from .models import Role, TeamMember, TeamRole, User


class InvalidCredentials(ApplicationError):
    status_code = 401
    code = "invalid_credentials"
    message = "The email or password is not right."


class AccountLocked(ApplicationError):
    status_code = 429
    code = "account_locked"
    message = "Too many failed logins. Try again later."

    def __init__(self, retry_after: int):
        super().__init__(details={"retry_after": retry_after})
        self.retry_after = retry_after


class EmailTaken(ApplicationError):
    status_code = 409
    code = "email_taken"
    message = "An account with this email already exists."


class InvalidRefreshToken(ApplicationError):
    status_code = 401
    code = "token_not_valid"
    message = "The refresh token is not valid. Log in again."


def user_register(*, email: str, password: str, full_name: str) -> User:
    """Create a customer account; the password must pass Django's validators."""
    email = User.objects.normalize_email(email)
    candidate = User(email=email, full_name=full_name)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({"password": list(exc.messages)}) from exc
    if User.objects.filter(email=email).exists():
        raise EmailTaken()
    try:
        with transaction.atomic(durable=True):
            return User.objects.create_user(
                email, password, full_name=full_name, role=Role.CUSTOMER
            )
    except IntegrityError as exc:  # a concurrent registration won the race
        raise EmailTaken() from exc


def user_login(*, request, email: str, password: str) -> User:
    """Check credentials under the per-account lockout; the same error for any wrong pair."""
    email = User.objects.normalize_email(email)
    ip = client_ip(request)  # behind a proxy, the client's, as the rate limits see it
    locked_for = lockout.seconds_locked(email)
    if locked_for:
        audit("login_refused_locked", email=email, ip=ip, level=logging.WARNING)
        raise AccountLocked(locked_for)
    user = authenticate(getattr(request, "_request", request), email=email, password=password)
    if user is None:
        audit("login_failed", email=email, ip=ip, level=logging.WARNING)
        locked_for = lockout.record_failure(email, ip)
        if locked_for:
            raise AccountLocked(locked_for)
        raise InvalidCredentials()
    lockout.record_success(email)
    audit("login_succeeded", user_id=user.pk, ip=ip)
    return user


def tokens_issue(*, user: User) -> RefreshToken:
    """Make a new refresh token (recorded as outstanding) with its access token."""
    return RefreshToken.for_user(user)


def _refresh_payload(raw_refresh: str) -> dict:
    """Return the claims of a refresh token whose signature, expiry and type are valid."""
    try:
        payload = token_backend.decode(raw_refresh, verify=True)
    except TokenBackendError as exc:
        raise InvalidRefreshToken() from exc
    if payload.get(jwt_settings.TOKEN_TYPE_CLAIM) != "refresh" or "jti" not in payload:
        raise InvalidRefreshToken()
    return payload


def tokens_refresh(*, raw_refresh: str) -> tuple[User, RefreshToken]:
    """Rotate a refresh token: retire it and issue a new pair. A reused token revokes all."""
    payload = _refresh_payload(raw_refresh)
    user = User.objects.filter(pk=payload.get(jwt_settings.USER_ID_CLAIM), is_active=True).first()
    fingerprint = payload.get(jwt_settings.REVOKE_TOKEN_CLAIM)
    if user is None or fingerprint != get_md5_hash_password(user.password):
        raise InvalidRefreshToken()
    with transaction.atomic(durable=True):
        outstanding = OutstandingToken.objects.filter(jti=payload["jti"]).first()
        if outstanding is None:
            raise InvalidRefreshToken()
        # The unique blacklist row decides, even between two concurrent refreshes.
        _, retired_now = BlacklistedToken.objects.get_or_create(token=outstanding)
        if retired_now:
            return user, tokens_issue(user=user)
    # A retired token came back: someone holds a copy. Revoke the whole family.
    tokens_revoke_all(user=user)
    audit("token_reuse_detected", user_id=user.pk, level=logging.WARNING)
    raise InvalidRefreshToken()


def tokens_revoke(*, raw_refresh: str | None) -> int | None:
    """Blacklist one refresh token (logout); return its user's id. Invalid tokens are ignored."""
    try:
        payload = _refresh_payload(raw_refresh) if raw_refresh else None
    except InvalidRefreshToken:
        payload = None
    outstanding = payload and OutstandingToken.objects.filter(jti=payload["jti"]).first()
    user_id = None
    if outstanding:
        BlacklistedToken.objects.get_or_create(token=outstanding)
        user_id = outstanding.user_id
    audit("logout", user_id=user_id)
    return user_id


def tokens_revoke_all(*, user: User) -> int:
    """Blacklist every refresh token of `user`; return how many were still live."""
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    tokens = list(live)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True
    )
    return len(tokens)


@transaction.atomic(durable=True)
def user_ensure(*, email: str, password: str, full_name: str, role: str = Role.CUSTOMER) -> User:
    """Create the user if missing, else bring name, role and password to the given values."""
    email = User.objects.normalize_email(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        return User.objects.create_user(email, password, full_name=full_name, role=role)
    user.full_name, user.role = full_name, role
    if not user.check_password(password):
        user.set_password(password)
    user.save()
    return user


@transaction.atomic(durable=True)
def user_set_active(*, user: User, active: bool, by: User | None = None) -> bool:
    """Activate or deactivate an account (effective on its next request); a deactivated
    account's refresh tokens are revoked. Nobody deactivates themself. True if changed."""
    if by is not None and by.pk == user.pk and not active:
        raise ApplicationError("You cannot deactivate your own account.", code="forbidden_self")
    if user.is_active == active:
        return False
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit("user_activated" if active else "user_deactivated", target_user_id=user.pk)
    if not active:
        transaction.on_commit(lambda: tokens_revoke_all(user=user))
    return True


# --- Accounts managed by an admin (the Django admin's user pages)

USER_ADMIN_FIELDS = frozenset(
    {"email", "full_name", "role", "is_active", "is_staff", "is_superuser"}
)


@transaction.atomic(durable=True)
def user_create(
    *, email: str, password: str | None, full_name: str, role: str = Role.CUSTOMER
) -> User:
    """An account made by an admin: `password=None` makes one that cannot log in with a
    password until it is set."""
    email = User.objects.normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise EmailTaken()
    user = User.objects.create_user(email, password, full_name=full_name, role=role)
    audit("user_created", target_user_id=user.pk, role=role)
    return user


@transaction.atomic(durable=True)
def user_update(*, user: User, by: User | None = None, **fields) -> User:
    """Change an account's profile, role or access. Deactivating goes through the same
    rules as `user_set_active` (not oneself; refresh tokens revoked). Role and password
    changes are audited for every save of a user (`accounts.signals`)."""
    unknown = set(fields) - USER_ADMIN_FIELDS
    if unknown:
        raise ApplicationError(
            "These fields cannot be changed here.", code="validation_error",
            details={name: ["Not changeable."] for name in sorted(unknown)},
        )  # fmt: skip
    if fields.get("is_active") is False and by is not None and by.pk == user.pk:
        raise ApplicationError("You cannot deactivate your own account.", code="forbidden_self")
    if "email" in fields:
        fields["email"] = User.objects.normalize_email(fields["email"])
        if User.objects.filter(email=fields["email"]).exclude(pk=user.pk).exists():
            raise EmailTaken()
    deactivated = fields.get("is_active") is False and user.is_active
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()
    if deactivated:
        audit("user_deactivated", target_user_id=user.pk)
        transaction.on_commit(lambda: tokens_revoke_all(user=user))
    return user


@transaction.atomic(durable=True)
def user_password_set(*, user: User, password: str | None) -> User:
    """Set (or, with `None`, disable) an account's password; every refresh token of the
    account is revoked once this commits (`accounts.signals`)."""
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    return user


# --- Teams


class TeamError(ApplicationError):
    status_code = 400
    code = "team_invalid"


class TeamForbidden(ApplicationError):
    status_code = 403
    code = "permission_denied"
    message = "Only the organizer changes its managers."


@transaction.atomic(durable=True)
def team_member_add(*, organizer: User, email: str, role: str, by: User) -> TeamMember:
    """Add an existing account to the organizer's team. The organizer adds anyone; a
    manager adds scanners only. A user works for one organizer at a time."""
    if by.pk != organizer.pk and role != TeamRole.SCANNER:
        raise TeamForbidden()
    user = User.objects.filter(email=User.objects.normalize_email(email), is_active=True).first()
    if user is None:
        raise TeamError(
            "No active account has this email; ask them to register first.",
            code="user_not_found",
            details={"email": email},
        )
    if user.pk == organizer.pk or user.role != Role.CUSTOMER:
        raise TeamError(
            "Organizers and admins cannot join a team; use a customer account.",
            code="team_member_invalid",
        )
    try:
        with transaction.atomic():
            member = TeamMember.objects.create(
                organizer=organizer, user=user, role=role, added_by=by
            )
    except IntegrityError as exc:  # the one-team-per-user rule, even between two requests
        raise TeamError(
            "This account already works for an organizer.", code="team_member_exists"
        ) from exc
    audit("team_member_added", target_user_id=user.pk, organizer_id=organizer.pk, role=role)
    return member


@transaction.atomic(durable=True)
def team_member_remove(*, member: TeamMember, by: User) -> None:
    """Take a member off the team; a manager removes scanners only. Effective at once."""
    if by.pk != member.organizer_id and member.role != TeamRole.SCANNER:
        raise TeamForbidden()
    audit(
        "team_member_removed",
        target_user_id=member.user_id,
        organizer_id=member.organizer_id,
        role=member.role,
    )
    member.delete()

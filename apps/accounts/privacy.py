"""The owner's data: everything VENUE holds about a person (`user_export`), and deleting
the account (`user_delete`). docs/api.md "Your data" is the contract.

Accounts sits below the apps that hold most of it and never imports them. Each of them
has a `privacy` module that registers here what it holds about a person (`register`: a
key of the export, its rows and the serializer that writes them) and how to erase it
(`register_eraser`). They are found the way Django's admin finds `admin` modules
(`autodiscover_modules("privacy")`), on first use: `bookings` (bookings and their
tickets, tickets given to the person, hand-overs, holds, payments), `waitlist`
(entries), `checkin` (door scans of their tickets), `operations` (showtime
cancellations that took their bookings).

`user_delete` is one transaction with the user's row locked:

1. the password must be the account's: 400 `wrong_password`, nothing done;
2. admins, organizers and team members are refused (409 `admin_account`,
   `organizer_account`, `team_member`): their accounts hold or act for an organizer's
   business, which must be handed over first;
3. the erasers of the upper apps run, the highest app first (the reverse of
   INSTALLED_APPS, which is the dependency order): the waitlist deletes the entries
   (an open offer is declined), then the booking engine releases every live hold and
   refuses with 409 `active_bookings` while a confirmed booking (or a ticket given to
   them) is for a showtime that has not ended. A refusal rolls everything back;
4. the account: name blanked, email replaced by `deleted-<id>@deleted.invalid`
   (unique, and undeliverable by definition), pending email and verification
   cleared, password unusable, inactive, every refresh token revoked (access tokens
   carry the password's fingerprint and fail at once; admin sessions lapse with it);
   one audit line `account_deleted` with the id only;
5. after commit: freed seats are announced, and the old address is told.

Kept, linked to the anonymised account: bookings, tickets, payments and scans, the
organizer's books, which it must keep for its accounts (and refunds need them).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from rest_framework import serializers
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.core.exceptions import Conflict
from apps.core.mail import send_templated

from .audit import audit
from .models import Role, TeamMember, TeamRole, User
from .services import tokens_revoke_all
from .verification import WrongPassword

PLACEHOLDER_DOMAIN = User.ERASED_DOMAIN


def placeholder_email(user: User) -> str:
    """The address a deleted account keeps: unique, and never delivered (`.invalid`)."""
    return f"deleted-{user.pk}@{PLACEHOLDER_DOMAIN}"


class AdminAccount(Conflict):
    code = "admin_account"
    message = "An admin account is not deleted here: another admin closes it."


class OrganizerAccount(Conflict):
    code = "organizer_account"
    message = (
        "This account is an organizer's: its events, venues and sales depend on it. "
        "Hand the organizer over (ask VENUE's admins) before deleting it."
    )


class TeamMemberAccount(Conflict):
    code = "team_member"
    message = "You work on an organizer's team: ask the organizer to take you off it first."


# --- What the other apps hold: registered by their `privacy` modules


@dataclass(frozen=True)
class Section:
    key: str
    rows: Callable[[User], Iterable]
    serializer: type[serializers.Serializer]
    help: str = ""


_sections: dict[str, Section] = {}
_erasers: list[Callable[[User], None]] = []
_discovered = False


def register(key: str, *, rows, serializer, help: str = "") -> None:
    """Add `key` to the export: `serializer(rows(user), many=True)`, a list."""
    _sections[key] = Section(key, rows, serializer, help)


def register_eraser(eraser: Callable[[User], None]) -> None:
    """`eraser(user)` runs inside `user_delete`'s transaction (the user's row locked);
    raising an ApplicationError refuses the deletion and rolls everything back."""
    if eraser not in _erasers:
        _erasers.append(eraser)


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("privacy")
        _discovered = True


# --- The export


class AccountExport(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    is_active = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)
    email_verified_at = serializers.DateTimeField(allow_null=True)
    pending_email = serializers.CharField(help_text="Empty if none.")


class TeamMembershipExport(serializers.Serializer):
    organizer = serializers.IntegerField(source="organizer_id")
    organizer_name = serializers.CharField(source="organizer.full_name")
    role = serializers.ChoiceField(choices=TeamRole.choices)
    added_at = serializers.DateTimeField()


class SignInExport(serializers.Serializer):
    """A sign-in (its refresh token): when, until when, whether revoked; never the token."""

    issued_at = serializers.DateTimeField(source="created_at", allow_null=True)
    expires_at = serializers.DateTimeField()
    revoked = serializers.BooleanField()


class _ExportBase(serializers.Serializer):
    exported_at = serializers.DateTimeField()
    account = AccountExport()
    team_memberships = TeamMembershipExport(many=True)
    sign_ins = SignInExport(many=True)


def export_serializer() -> type[serializers.Serializer]:
    """The shape of `user_export`, for the API schema: the account's part and every
    registered section."""
    _discover()
    fields = {
        key: section.serializer(many=True, help_text=section.help)
        for key, section in _sections.items()
    }
    doc = "Everything VENUE holds about you; ticket codes, tokens and passwords left out."
    return type("UserExport", (_ExportBase,), {"__doc__": doc, **fields})


def user_export(*, user: User) -> dict:
    """Everything VENUE holds about `user`, as JSON-ready data (nothing of anyone else)."""
    _discover()
    revoked = BlacklistedToken.objects.filter(token=OuterRef("pk"))
    sign_ins = (
        OutstandingToken.objects.filter(user=user)
        .annotate(revoked=Exists(revoked))
        .order_by("created_at", "id")
    )
    memberships = TeamMember.objects.filter(user=user).select_related("organizer")
    data = {
        "exported_at": serializers.DateTimeField().to_representation(timezone.now()),
        "account": AccountExport(user).data,
        "team_memberships": TeamMembershipExport(memberships, many=True).data,
        "sign_ins": SignInExport(sign_ins, many=True).data,
    }
    for key, section in _sections.items():
        data[key] = section.serializer(section.rows(user), many=True).data
    return data


# --- Deleting the account


def _refuse_roles(user: User) -> None:
    if user.role == Role.ADMIN or user.is_staff or user.is_superuser:
        raise AdminAccount()
    if user.role == Role.ORGANIZER:
        raise OrganizerAccount()
    membership = TeamMember.objects.filter(user=user).first()
    if membership is not None:
        raise TeamMemberAccount(
            details={"organizer": membership.organizer_id, "role": membership.role}
        )


def user_delete(*, user: User, password: str) -> None:
    """Erase `user`'s personal data and close the account (the module's docstring says
    what runs, in which order, and what is kept); the old address is emailed after commit."""
    _discover()
    with transaction.atomic(durable=True):
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active or not user.check_password(password):
            raise WrongPassword()
        _refuse_roles(user)
        for eraser in reversed(_erasers):  # the highest app first
            eraser(user)
        old_email = user.email
        revoked = tokens_revoke_all(user=user)
        user.full_name = ""
        user.email = placeholder_email(user)
        user.pending_email = ""
        user.email_verified_at = None
        user.last_login = None
        user.is_active = False
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
        audit("account_deleted", target_user_id=user.pk, sign_ins_revoked=revoked)
        transaction.on_commit(lambda: _tell(old_email), robust=True)


def _tell(email: str) -> None:
    from .tasks import send_account_deleted

    send_account_deleted.delay(email)


def account_deleted_send(*, email: str) -> None:
    """Tell the old address that its account is gone, and what VENUE kept."""
    send_templated("accounts/email/account_deleted", {"email": email}, to=[email])

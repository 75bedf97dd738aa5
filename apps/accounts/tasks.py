"""Asynchronous entry points of accounts: each takes plain values and calls one service."""

import contextlib

from celery import shared_task

from . import recovery


@shared_task(name="accounts.send_password_reset")
def send_password_reset(email: str, base_url: str) -> bool:
    return recovery.password_reset_send(email=email, base_url=base_url)


@shared_task(name="accounts.send_verification")
def send_verification(user_id: int, base_url: str) -> None:
    from .models import User
    from .verification import TooManyEmails, verification_send

    user = User.objects.filter(pk=user_id, is_active=True).first()
    # TooManyEmails: the owner asked too often; the links already sent still work.
    if user is not None:
        with contextlib.suppress(TooManyEmails):
            verification_send(user=user, base_url=base_url)


@shared_task(name="accounts.send_account_deleted")
def send_account_deleted(email: str) -> None:
    """Tell the old address of a deleted account that it is gone (queued after commit)."""
    from .privacy import account_deleted_send

    account_deleted_send(email=email)
